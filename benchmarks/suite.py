"""All of the benchmark in one call: the figures as one JSON-ready dict."""

from __future__ import annotations

import dataclasses
import datetime
import logging
import os
import platform

import torch

from benchmarks.ceiling import linear_shapes, matmul_ceiling
from benchmarks.config import BenchConfig
from benchmarks.evaluation import measure_evaluation
from benchmarks.flops import matmul_peak
from benchmarks.loops import build_run, random_split
from benchmarks.memory import measure_memory
from benchmarks.targets import issue_targets
from benchmarks.training import measure_cnn, measure_mlp
from vimax.data.base import Split
from vimax.data.config import DataConfig, load_dataset
from vimax.errors import VimaxError

__all__ = ["run_bench", "machine_info", "load_mnist", "STACKED_MODELS"]

logger = logging.getLogger(__name__)

# models stacked into batched matmuls for the ceiling of a sweep that trains them as one
STACKED_MODELS = 4


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
        logger.warning("MNIST not available (%s); timing random data of MNIST's shape instead", error)
        n = config.steps * config.batch_size
        return (random_split(n, (1, 28, 28)), random_split(config.eval_images, (1, 28, 28), seed=1),
                "random (MNIST not found)")


def measure_ceiling(config: BenchConfig, training: dict, threads: int) -> dict[str, object]:
    """The MLP step's matmuls alone (:mod:`benchmarks.ceiling`) for 1 model and
    ``STACKED_MODELS`` stacked, by ``blocked_autorange``; and for 1 model with the fused
    Adam step, the bound timed within every repeat of the training timings. Each
    against the plain loop's deterministic samples/s (ratio of the medians)."""
    shapes = linear_shapes(build_run("deterministic", config, 0)[0])
    plain = training["objectives"]["deterministic"]["plain_samples_per_s"]
    results: dict[str, object] = {"shapes": shapes}
    for name, models in (("single", 1), ("stacked", STACKED_MODELS)):
        results[name] = matmul_ceiling(shapes, config.batch_size, models, config.autorange_seconds,
                                       threads=threads, clock=config.clock)
    results["single_with_adam"] = {"models": 1, **training["bound"]}
    for name in ("single", "stacked", "single_with_adam"):
        results[name]["ratio_to_plain"] = results[name]["samples_per_s"] / plain
    return results


def measure_training(config: BenchConfig, train: Split, counts: tuple[int, ...],
                     main_peak: float) -> dict[str, dict[str, object]]:
    """The MLP training at each thread count, each against the matmul peak at its own count."""
    by_threads: dict[str, dict[str, object]] = {}
    for count in counts:
        torch.set_num_threads(count)
        peak = main_peak if count == counts[0] else matmul_peak(config.peak_sizes, config.autorange_seconds,
                                                                count, config.clock)
        logger.info("MNIST MLP training at %d thread(s), %d steps x %d repeats per task, round-robin",
                    count, config.timed_steps, config.repeats)
        by_threads[str(count)] = {**measure_mlp(config, train, peak, count), "matmul_peak_gflops": peak}
    torch.set_num_threads(counts[0])
    return by_threads


def run_bench(config: BenchConfig) -> dict[str, object]:
    """Measure everything ``config`` asks for; see ``benchmarks/README.md``."""
    config.validate()
    previous_threads = torch.get_num_threads()
    counts = config.threads or (previous_threads,)
    torch.set_num_threads(counts[0])
    threads = counts[0]
    try:
        results: dict[str, object] = {"machine": machine_info(), "config": dataclasses.asdict(config)}
        logger.info("measuring the float32 matmul peak")
        peak = matmul_peak(config.peak_sizes, config.autorange_seconds, threads, config.clock)
        results["matmul_peak_gflops"] = peak
        train, test, source = load_mnist(config)
        results["data"] = source
        results["training_by_threads"] = by_threads = measure_training(config, train, counts, peak)
        results["training"] = by_threads[str(threads)]
        results["targets"] = issue_targets(by_threads)
        logger.info("the step's matmuls alone, 1 model and %d stacked", STACKED_MODELS)
        results["ceiling"] = measure_ceiling(config, results["training"], threads)
        logger.info("evaluation, %d images per call", config.eval_images)
        results["evaluation"] = measure_evaluation(config, test, threads)
        results["cnn"] = None
        if not config.skip_cnn:
            logger.info("CIFAR-10 CNN training, %d steps x %d repeats per memory format",
                        config.cnn_steps, config.repeats)
            results["cnn"] = measure_cnn(config, peak, threads)
        results["memory"] = None
        if not config.skip_memory:
            logger.info("peak memory of 1 epoch of vimax train on %s", config.memory_dataset)
            results["memory"] = measure_memory(config)
        results["machine"]["load_average_1min_end"] = machine_info()["load_average_1min"]
        return results
    finally:
        torch.set_num_threads(previous_threads)
