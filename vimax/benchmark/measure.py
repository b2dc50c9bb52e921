"""The timings of ``vimax bench``: the vimax loop against a plain PyTorch loop.

Every timing is repeated; the two loops (and the CNN's two memory formats) are
interleaved within each repeat, alternating which goes first, so that load
from other processes hits both alike. Figures are medians over the repeats.
"""

from __future__ import annotations

import contextlib
import logging
import os
import statistics
import time
from collections.abc import Iterator

import torch
from torch import nn

from vimax.benchmark.config import OBJECTIVES, BenchConfig
from vimax.benchmark.flops import training_step_flops
from vimax.benchmark.plain_loop import PlainModel, train_plain
from vimax.config.train import TrainConfig
from vimax.data.base import Split
from vimax.metrics.accuracy import error_rates
from vimax.models.classifier import ModelConfig, StochasticClassifier, build_classifier
from vimax.objectives.config import ObjectiveConfig, build_objective
from vimax.training.loop import train_epoch

__all__ = ["measure_mlp", "paired_overhead", "measure_evaluation", "measure_cnn", "build_run",
           "fit_optimizer", "random_split"]

logger = logging.getLogger(__name__)


def random_split(n: int, shape: tuple[int, ...], num_classes: int = 10, seed: int = 0) -> Split:
    """``n`` uniform random images of ``shape`` with random labels (speed ignores pixel values)."""
    generator = torch.Generator().manual_seed(seed)
    return Split(torch.rand(n, *shape, generator=generator),
                 torch.randint(0, num_classes, (n,), generator=generator))


def build_run(objective: str, config: BenchConfig, seed: int, trunk: str = "mlp",
              input_shape: tuple[int, ...] = (1, 28, 28)) -> tuple[StochasticClassifier, nn.Module]:
    """A fresh model and objective as ``vimax train`` builds them (beta and prior N(0, I))."""
    torch.manual_seed(seed)
    stochastic = objective != "deterministic"
    built = build_objective(ObjectiveConfig(name=objective, beta=config.beta if stochastic else None,
                                            prior_std=1.0 if stochastic else None))
    if trunk == "mlp":
        model_config = ModelConfig(trunk="mlp", latent_dim=config.latent_dim)
    else:
        model_config = ModelConfig(trunk=trunk, latent_dim=config.cnn_latent_dim,
                                   width=config.cnn_width)
    return build_classifier(model_config, input_shape, 10), built


def fit_optimizer(model: nn.Module, train: TrainConfig) -> torch.optim.Optimizer:
    """The optimizer exactly as :func:`vimax.training.loop.fit` builds it."""
    from vimax.training.loop import make_optimizer

    return make_optimizer(model, train)


@contextlib.contextmanager
def _hidden_stderr() -> Iterator[None]:
    """Run with the progress bar enabled, as in a terminal, but written to /dev/null."""
    with open(os.devnull, "w") as null, contextlib.redirect_stderr(null):
        yield


def vimax_samples_per_s(model: StochasticClassifier, objective: nn.Module, split: Split,
                        batch_size: int, seed: int) -> float:
    """One :func:`train_epoch` over ``split`` as ``vimax train`` runs it; samples/s."""
    train = TrainConfig(epochs=1, batch_size=batch_size, seed=seed, progress=True)
    optimizer = fit_optimizer(model, train)
    with _hidden_stderr():
        began = time.perf_counter()
        _, seen = train_epoch(model, objective, optimizer, split, train, epoch=0)
        seconds = time.perf_counter() - began
    return seen / seconds


def plain_samples_per_s(objective: str, split: Split, config: BenchConfig, seed: int) -> float:
    """One epoch of the plain loop over ``split``; samples/s."""
    torch.manual_seed(seed)
    model = PlainModel.mlp(latent_dim=config.latent_dim)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.5, 0.999))
    began = time.perf_counter()
    train_plain(model, split.images, split.labels, objective, config.batch_size, beta=config.beta,
                optimizer=optimizer)
    return len(split) / (time.perf_counter() - began)


def _mlp_samples_per_s(loop: str, objective: str, split: Split, config: BenchConfig,
                       seed: int) -> float:
    """One epoch of the "plain" or the "vimax" loop on the MNIST MLP; samples/s."""
    if loop == "plain":
        return plain_samples_per_s(objective, split, config, seed)
    model, built = build_run(objective, config, seed)
    return vimax_samples_per_s(model, built, split, config.batch_size, seed)


def _subset(split: Split, n: int) -> Split:
    index = torch.arange(n) % len(split)  # repeats the split when n > len(split)
    return Split(split.images[index], split.labels[index])


def _summary(runs: list[float]) -> dict[str, object]:
    return {"median": statistics.median(runs), "runs": [round(r, 1) for r in runs]}


def _flop_fraction(samples_per_s: float, batch_size: int, step_flops: int, peak: float) -> float:
    return samples_per_s / batch_size * step_flops / (peak * 1e9)


def _step_flops(model: StochasticClassifier, x: torch.Tensor, mmd: bool, latent_dim: int) -> int:
    return training_step_flops(model, lambda: model.decoder(model.posterior(x).mean),
                               mmd_samples=x.shape[0] if mmd else 0, latent_dim=latent_dim)


def measure_mlp(config: BenchConfig, train: Split, peak: float) -> dict[str, object]:
    """Training samples/s of the MNIST MLP, plain loop and vimax loop, per objective."""
    split = _subset(train, config.steps * config.batch_size)
    warm = _subset(train, 3 * config.batch_size)
    for objective in OBJECTIVES:  # warm-up: allocator, kernels, first-call paths
        for loop in ("plain", "vimax"):
            _mlp_samples_per_s(loop, objective, warm, config, seed=0)
    runs: dict[tuple[str, str], list[float]] = {}
    for repeat in range(config.repeats):
        for objective in OBJECTIVES:
            loops = ("plain", "vimax") if repeat % 2 == 0 else ("vimax", "plain")
            for loop in loops:
                runs.setdefault((objective, loop), []).append(
                    _mlp_samples_per_s(loop, objective, split, config, repeat))
            logger.info("repeat %d/%d %s: plain %.0f, vimax %.0f samples/s", repeat + 1,
                        config.repeats, objective, runs[objective, "plain"][-1],
                        runs[objective, "vimax"][-1])
    results: dict[str, object] = {}
    for objective in OBJECTIVES:
        model, _ = build_run(objective, config, 0)
        flops = _step_flops(model, split.images[: config.batch_size], objective == "vim",
                            config.latent_dim)
        plain, vimax = _summary(runs[objective, "plain"]), _summary(runs[objective, "vimax"])
        results[objective] = {
            "plain_samples_per_s": plain["median"], "vimax_samples_per_s": vimax["median"],
            "ratio": vimax["median"] / plain["median"], "flops_per_step": flops,
            "plain_flop_fraction": _flop_fraction(plain["median"], config.batch_size, flops, peak),
            "vimax_flop_fraction": _flop_fraction(vimax["median"], config.batch_size, flops, peak),
            "plain_runs": plain["runs"], "vimax_runs": vimax["runs"],
        }
    return {"objectives": results, "overhead_over_deterministic_pct": paired_overhead(runs)}


def paired_overhead(runs: dict[tuple[str, str], list[float]]) -> dict[str, float]:
    """VIB's and VIM's overhead over deterministic in the vimax loop, in %: the median over
    repeats of deterministic / objective - 1, each ratio taken within one repeat.

    The objectives of a repeat run back to back, so a ratio within a repeat cancels
    load that changes between repeats; a ratio of the medians does not (one quiet run
    gave VIM +0.8% that way and +10.2% paired).
    """
    deterministic = runs["deterministic", "vimax"]
    return {name: 100.0 * (statistics.median(d / o for d, o in zip(deterministic, runs[name, "vimax"]))
                           - 1.0)
            for name in ("vib", "vim")}


def measure_evaluation(config: BenchConfig, test: Split) -> dict[str, object]:
    """Images/s of :func:`error_rates` with ``eval_samples``-sample averaging."""
    split = _subset(test, config.eval_images)
    model, _ = build_run("vim", config, 0)
    error_rates(model, _subset(test, 1000), config.eval_samples)  # warm-up
    runs = []
    for repeat in range(config.repeats):
        began = time.perf_counter()
        error_rates(model, split, config.eval_samples)
        runs.append(len(split) / (time.perf_counter() - began))
        logger.info("repeat %d/%d evaluation: %.0f images/s", repeat + 1, config.repeats, runs[-1])
    summary = _summary(runs)
    return {"images": len(split), "samples": config.eval_samples,
            "images_per_s": summary["median"], "runs": summary["runs"]}


def measure_cnn(config: BenchConfig, peak: float) -> dict[str, object]:
    """Training samples/s of the Table 4 CNN (VIM, K = 64) on random 3x32x32 data,
    with the default (NCHW) and the channels-last (NHWC) memory format."""
    shape = (3, 32, 32)
    data = random_split(config.cnn_steps * config.batch_size, shape)
    formats = {"contiguous": torch.contiguous_format, "channels_last": torch.channels_last}
    splits = {name: Split(data.images.to(memory_format=fmt), data.labels)
              for name, fmt in formats.items()}

    def timed(name: str, split: Split, seed: int) -> float:
        model, objective = build_run("vim", config, seed, trunk="cnn", input_shape=shape)
        model = model.to(memory_format=formats[name])
        return vimax_samples_per_s(model, objective, split, config.batch_size, seed)

    for name in formats:  # warm-up
        timed(name, _subset(splits[name], 2 * config.batch_size), 0)
    runs: dict[str, list[float]] = {name: [] for name in formats}
    for repeat in range(config.repeats):
        order = list(formats) if repeat % 2 == 0 else list(formats)[::-1]
        for name in order:
            runs[name].append(timed(name, splits[name], repeat))
        logger.info("repeat %d/%d CNN: %s", repeat + 1, config.repeats,
                    ", ".join(f"{n} {runs[n][-1]:.1f}" for n in formats))
    model, _ = build_run("vim", config, 0, trunk="cnn", input_shape=shape)
    model.eval()  # count FLOPs without touching the BatchNorm statistics
    flops = _step_flops(model, data.images[: config.batch_size], True, config.cnn_latent_dim)
    results: dict[str, object] = {"flops_per_step": flops, "latent_dim": config.cnn_latent_dim,
                                  "width": config.cnn_width}
    for name in formats:
        summary = _summary(runs[name])
        results[name] = {"samples_per_s": summary["median"], "runs": summary["runs"],
                         "flop_fraction": _flop_fraction(summary["median"], config.batch_size,
                                                         flops, peak)}
    return results
