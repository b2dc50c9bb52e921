"""All of ``vimax bench`` in one call: the figures as one JSON-ready dict."""

from __future__ import annotations

import datetime
import logging
import os
import platform

import torch

from vimax.benchmark.ceiling import linear_shapes, matmul_ceiling
from vimax.benchmark.config import BenchConfig
from vimax.benchmark.flops import matmul_peak
from vimax.benchmark.measure import (
    build_run,
    fit_optimizer,
    measure_cnn,
    measure_evaluation,
    measure_mlp,
    random_split,
)
from vimax.benchmark.memory import measure_memory
from vimax.config.train import TrainConfig
from vimax.data.base import Split
from vimax.data.config import DataConfig, load_dataset
from vimax.errors import VimaxError

__all__ = ["run_bench", "machine_info", "load_mnist"]

logger = logging.getLogger(__name__)


def machine_info() -> dict[str, object]:
    """What the figures depend on: CPU, cores, threads, torch, load."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            names = [line.split(":", 1)[1].strip() for line in info if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"date": datetime.datetime.now().isoformat(timespec="seconds"), "cpu": cpu,
            "cores": os.cpu_count(), "threads": torch.get_num_threads(),
            "torch": torch.__version__, "python": platform.python_version(),
            "load_average_1min": load}


def load_mnist(config: BenchConfig) -> tuple[Split, Split, str]:
    """MNIST's training and test splits, or random data of MNIST's shape when it is missing."""
    try:
        dataset = load_dataset(DataConfig(name="mnist", data_dir=config.data_dir, download=False))
        return dataset.train, dataset.test, "mnist"
    except VimaxError as error:
        logger.warning("MNIST not available (%s); timing random data of MNIST's shape instead",
                       error)
        n = config.steps * config.batch_size
        return (random_split(n, (1, 28, 28)), random_split(config.eval_images, (1, 28, 28), seed=1),
                "random (MNIST not found)")


# models stacked into batched matmuls for the ceiling of a sweep that trains them as one
STACKED_MODELS = 4


def measure_ceiling(config: BenchConfig, training: dict) -> dict[str, object]:
    """The MLP step's matmuls alone (:mod:`vimax.benchmark.ceiling`) for 1 model and
    ``STACKED_MODELS`` stacked, and for 1 model with the fused Adam step that
    ``vimax train`` runs, against the plain loop's deterministic samples/s."""
    model, _ = build_run("deterministic", config, 0)
    shapes = linear_shapes(model)
    for parameter in model.parameters():
        parameter.grad = torch.randn_like(parameter)
    optimizer = fit_optimizer(model, TrainConfig())
    plain = training["objectives"]["deterministic"]["plain_samples_per_s"]
    results: dict[str, object] = {"shapes": shapes}
    for name, models, extra in (("single", 1, None), ("stacked", STACKED_MODELS, None),
                                ("single_with_adam", 1, optimizer.step)):
        figure = matmul_ceiling(shapes, config.batch_size, config.steps, models, config.repeats, extra)
        figure["ratio_to_plain"] = figure["samples_per_s"] / plain
        results[name] = figure
    return results


def run_bench(config: BenchConfig) -> dict[str, object]:
    """Measure everything ``config`` asks for; see ``benchmarks/README.md``."""
    config.validate()
    previous_threads = torch.get_num_threads()
    if config.threads:
        torch.set_num_threads(config.threads)
    try:
        results: dict[str, object] = {"machine": machine_info(), "config": vars(config).copy()}
        logger.info("measuring the float32 matmul peak")
        peak = matmul_peak(config.peak_sizes)
        results["matmul_peak_gflops"] = peak
        train, test, source = load_mnist(config)
        results["data"] = source
        logger.info("MNIST MLP training, %d steps x %d repeats per loop and objective",
                    config.steps, config.repeats)
        results["training"] = measure_mlp(config, train, peak)
        logger.info("the step's matmuls alone, 1 model and %d stacked", STACKED_MODELS)
        results["ceiling"] = measure_ceiling(config, results["training"])
        logger.info("evaluation, %d images x %d repeats", config.eval_images, config.repeats)
        results["evaluation"] = measure_evaluation(config, test)
        results["cnn"] = None
        if not config.skip_cnn:
            logger.info("CIFAR-10 CNN training, %d steps x %d repeats per memory format",
                        config.cnn_steps, config.repeats)
            results["cnn"] = measure_cnn(config, peak)
        results["memory"] = None
        if not config.skip_memory:
            logger.info("peak memory of 1 epoch of vimax train on %s", config.memory_dataset)
            results["memory"] = measure_memory(config)
        results["machine"]["load_average_1min_end"] = machine_info()["load_average_1min"]
        return results
    finally:
        torch.set_num_threads(previous_threads)
