"""Training speed: the vimax loop against the plain loop and the bound, interleaved call by call.

In every repeat each task (the bound, then each objective's plain and vimax
loop, and with ``compile`` its compiled vimax loop) gets a fresh model; then
:func:`benchmarks.timing.round_robin` times one call of each task in turn (10
steps each, the bound's calls included), forwards in even rounds and backwards
in odd ones, round after round until each has trained ``steps`` steps, so that
load from other processes hits every task of a round alike. Samples/s are the
median over all the calls (with the IQR of the time per call, in % of the
median); every fraction (vimax / plain, vimax / bound, the overhead of VIB and
VIM over deterministic, compiled / eager) is the median of its per-round
ratios, over the rounds of all repeats, with their IQR.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

import torch
from torch.utils.benchmark import Measurement

from benchmarks.config import OBJECTIVES, BenchConfig
from benchmarks.flops import training_step_flops
from benchmarks.loops import (
    CompiledRuns,
    bound_step,
    build_run,
    chunked,
    plain_loop,
    random_split,
    subset,
    vimax_loop,
)
from benchmarks.timing import merge, paired, rate_summary, round_robin
from vimax.data.base import Split

__all__ = ["measure_mlp", "measure_cnn", "interleaved", "overheads"]

logger = logging.getLogger(__name__)


def interleaved(builders: dict[str, Callable[[int], Callable[[], object]]], calls: int, repeats: int,
                threads: int, clock: str = "wall") -> dict[str, list[Measurement]]:
    """``repeats`` repeats; in each, every task's call is built fresh by ``builders[name](repeat)``
    (not timed), then :func:`round_robin` times ``calls`` rounds of one call per task. One
    Measurement per task and repeat, its raw times the rounds' (round i at index i)."""
    names = list(builders)
    measurements: dict[str, list[Measurement]] = {name: [] for name in names}
    for repeat in range(repeats):
        built = {name: builders[name](repeat) for name in names}
        for name, measurement in round_robin(built, calls, threads, clock).items():
            measurements[name].append(measurement)
        logger.info("repeat %d/%d: %s", repeat + 1, repeats,
                    ", ".join(f"{n} {measurements[n][-1].median * 1e3:.0f} ms" for n in names))
    return measurements


def _round_rates(measurements: list[Measurement], items_per_call: int) -> list[float]:
    """Items/s of every round of every repeat, in order."""
    return [items_per_call / t for m in measurements for t in m.times]


def _rounded(rates: list[float]) -> list[float]:
    return [round(rate, 1) for rate in rates]


def _summary(measurements: list[Measurement], items_per_call: int) -> dict[str, object]:
    """Items/s at the median time per call over all repeats, its IQR in %, and each repeat's
    items/s (at that repeat's median call) as ``runs``."""
    summary = rate_summary(merge(measurements), items_per_call)
    summary["runs"] = [round(items_per_call / m.median, 1) for m in measurements]
    return summary


def overheads(rates: dict[str, list[float]]) -> dict[str, dict[str, object]]:
    """VIB's and VIM's overhead over deterministic in the vimax loop, in %: per round
    deterministic / objective - 1, then the median and IQR over the rounds."""
    return {name: paired(rates["deterministic/vimax"], rates[f"{name}/vimax"], lambda r: 100.0 * (r - 1.0))
            for name in ("vib", "vim")}


def _flop_fraction(samples_per_s: float, batch_size: int, step_flops: int, peak: float) -> float:
    return samples_per_s / batch_size * step_flops / (peak * 1e9)


def _batch_flops(objective: str, config: BenchConfig, data: Split, batch_size: int, **run: object) -> int:
    """FLOPs of one training step on the first ``batch_size`` examples of ``data``."""
    model, built = build_run(objective, config, 0, **run)
    return training_step_flops(model, built, data.images[:batch_size], data.labels[:batch_size])


def _vimax_run(objective: str, chunks: list[Split], config: BenchConfig, seed: int) -> Callable[[], None]:
    return vimax_loop(*build_run(objective, config, seed), chunks, config.batch_size, seed)


def _compiled(objective: str, rates: dict[str, list[float]], summaries: dict[str, dict],
              run: CompiledRuns, step_seconds: float) -> dict[str, object]:
    """The compiled vimax loop against the eager one: speed, paired ratio, compile seconds, and the
    steps after which the compile time is paid back (None when compiling saved nothing)."""
    ratio = paired(rates[f"{objective}/compiled"], rates[f"{objective}/vimax"])
    bound_fraction = paired(rates[f"{objective}/compiled"], rates["bound"])
    saved = step_seconds * (1.0 - 1.0 / ratio["median"])  # seconds per step
    seconds = run.compile_seconds
    return {"samples_per_s": summaries[f"{objective}/compiled"]["per_s"],
            "iqr_pct": summaries[f"{objective}/compiled"]["iqr_pct"],
            "ratio_to_eager": ratio["median"], "ratio_to_eager_iqr": ratio["iqr"],
            "bound_fraction": bound_fraction["median"], "bound_fraction_iqr": bound_fraction["iqr"],
            "compile_seconds": seconds,
            "break_even_steps": round(seconds / saved) if seconds is not None and saved > 0 else None}


def measure_mlp(config: BenchConfig, train: Split, peak: float, threads: int) -> dict[str, object]:
    """Samples/s of the MNIST MLP's bound, and of the plain and vimax loops per objective."""
    chunk = min(config.chunk_steps, config.steps)
    chunks = chunked(subset(train, config.timed_steps * config.batch_size), chunk * config.batch_size)
    builders: dict[str, Callable[[int], Callable[[], object]]] = {
        "bound": partial(bound_step, config, steps=chunk)}
    compiled = {name: CompiledRuns(name, chunks, config) for name in OBJECTIVES} if config.compile else {}
    for objective in OBJECTIVES:
        builders[f"{objective}/plain"] = partial(plain_loop, objective, chunks, config)
        builders[f"{objective}/vimax"] = partial(_vimax_run, objective, chunks, config)
        if objective in compiled:
            builders[f"{objective}/compiled"] = compiled[objective]
    measurements = interleaved(builders, len(chunks), config.repeats, threads, config.clock)
    per_call = chunk * config.batch_size
    rates = {name: _round_rates(measurements[name], per_call) for name in builders}
    summaries = {name: _summary(measurements[name], per_call) for name in builders}
    bound = summaries["bound"]
    results: dict[str, object] = {}
    for objective in OBJECTIVES:
        plain, vimax = summaries[f"{objective}/plain"], summaries[f"{objective}/vimax"]
        ratio = paired(rates[f"{objective}/vimax"], rates[f"{objective}/plain"])
        bound_fraction = paired(rates[f"{objective}/vimax"], rates["bound"])
        plain_bound_fraction = paired(rates[f"{objective}/plain"], rates["bound"])
        flops = _batch_flops(objective, config, chunks[0], config.batch_size)
        results[objective] = {
            "plain_samples_per_s": plain["per_s"], "vimax_samples_per_s": vimax["per_s"],
            "plain_iqr_pct": plain["iqr_pct"], "vimax_iqr_pct": vimax["iqr_pct"],
            "ratio": ratio["median"], "ratio_iqr": ratio["iqr"],
            "bound_fraction": bound_fraction["median"], "bound_fraction_iqr": bound_fraction["iqr"],
            "plain_bound_fraction": plain_bound_fraction["median"],
            "plain_bound_fraction_iqr": plain_bound_fraction["iqr"],
            "flops_per_step": flops,
            "plain_flop_fraction": _flop_fraction(plain["per_s"], config.batch_size, flops, peak),
            "vimax_flop_fraction": _flop_fraction(vimax["per_s"], config.batch_size, flops, peak),
            "plain_runs": plain["runs"], "vimax_runs": vimax["runs"],
            "plain_round_rates": _rounded(rates[f"{objective}/plain"]),
            "vimax_round_rates": _rounded(rates[f"{objective}/vimax"]),
        }
        if objective in compiled:
            results[objective]["compiled"] = _compiled(objective, rates, summaries, compiled[objective],
                                                       config.batch_size / vimax["per_s"])
    overhead = overheads(rates)
    return {"objectives": results, "steps": config.timed_steps, "chunk_steps": chunk, "threads": threads,
            "rounds": config.repeats * len(chunks),
            "bound": {"samples_per_s": bound["per_s"], "iqr_pct": bound["iqr_pct"], "runs": bound["runs"],
                      "round_rates": _rounded(rates["bound"])},
            "overhead_over_deterministic_pct": {name: o["median"] for name, o in overhead.items()},
            "overhead_iqr_pct": {name: o["iqr"] for name, o in overhead.items()},
            "overhead_runs_pct": {name: o["runs"] for name, o in overhead.items()}}


def measure_cnn(config: BenchConfig, peak: float, threads: int) -> dict[str, object]:
    """Training samples/s of the Table 4 CNN (VIM, K = 64) on random 3x32x32 data, with the
    default (NCHW) and the channels-last (NHWC) memory format, one step per timed call."""
    shape = (3, 32, 32)
    data = random_split(config.cnn_steps * config.batch_size, shape)
    formats = {"contiguous": torch.contiguous_format, "channels_last": torch.channels_last}
    chunks = {name: chunked(Split(data.images.to(memory_format=fmt), data.labels), config.batch_size)
              for name, fmt in formats.items()}

    def build(name: str, seed: int) -> Callable[[], None]:
        model, objective = build_run("vim", config, seed, trunk="cnn", input_shape=shape)
        return vimax_loop(model.to(memory_format=formats[name]), objective, chunks[name],
                          config.batch_size, seed)

    builders = {name: partial(build, name) for name in formats}
    measurements = interleaved(builders, config.cnn_steps, config.repeats, threads, config.clock)
    flops = _batch_flops("vim", config, chunks["contiguous"][0], config.batch_size, trunk="cnn",
                         input_shape=shape)
    rates = {name: _round_rates(measurements[name], config.batch_size) for name in formats}
    results: dict[str, object] = {"flops_per_step": flops, "latent_dim": config.cnn_latent_dim,
                                  "width": config.cnn_width}
    for name in formats:
        summary = _summary(measurements[name], config.batch_size)
        results[name] = {"samples_per_s": summary["per_s"], "iqr_pct": summary["iqr_pct"],
                         "runs": summary["runs"],
                         "flop_fraction": _flop_fraction(summary["per_s"], config.batch_size, flops, peak)}
    ratio = paired(rates["channels_last"], rates["contiguous"])
    results["channels_last_ratio"], results["channels_last_ratio_iqr"] = ratio["median"], ratio["iqr"]
    return results
