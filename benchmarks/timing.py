"""Timing on ``torch.utils.benchmark``, and the statistics the benchmark reports.

Every figure is a :class:`~torch.utils.benchmark.Measurement` (median and
interquartile range, IQR, by ``torch.quantile``). Single tasks are timed by a
:class:`~torch.utils.benchmark.Timer` (which warms up, sets the thread count
and reads a monotonic clock); tasks compared with each other by
:func:`round_robin`, which times one call of each task in turn, round after
round, with the same clock, thread count and garbage collector off as Timer.
Fractions between two tasks (vimax / plain, vimax / bound, the overheads) are
the median of the per-round ratios, with their IQR computed the same way: load
from other processes that changes between rounds hits both sides of a ratio
alike and cancels.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence

import torch
from torch.utils.benchmark import Measurement, Timer
from torch.utils.benchmark.utils.common import TaskSpec

__all__ = ["CLOCKS", "call_timer", "round_robin", "merge", "quartiles", "rate_summary", "paired"]

# "wall": elapsed time (Timer's default clock); "cpu": the process's CPU time, which does not
# advance while other processes hold the cores (meaningful with 1 thread: see benchmarks/README.md)
CLOCKS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.process_time}


def call_timer(call: Callable[[], object], label: str, threads: int, clock: str = "wall") -> Timer:
    """A Timer of ``call()`` with ``threads`` intra-op threads (Timer's own default is 1),
    reading ``CLOCKS[clock]``."""
    return Timer(stmt="call()", globals={"call": call}, label=label, num_threads=threads,
                 timer=CLOCKS[clock])


def round_robin(calls: dict[str, Callable[[], object]], rounds: int, threads: int, clock: str = "wall",
                warmup: int = 2) -> dict[str, Measurement]:
    """Time one call of every task in turn, ``rounds`` times: a Measurement per task, one raw time
    per round (round i of every task at index i).

    Each task is first called ``warmup`` times (untimed; as Timer warms up). The tasks run
    in the order given in even rounds and in reverse in odd ones, so that neither side of a
    pair always runs first. Like Timer, the calls run with ``threads`` intra-op threads and
    the garbage collector off, and read ``CLOCKS[clock]``.
    """
    names = list(calls)
    times: dict[str, list[float]] = {name: [] for name in names}
    read = CLOCKS[clock]
    previous, collecting = torch.get_num_threads(), gc.isenabled()
    torch.set_num_threads(threads)
    try:
        for name in names:
            for _ in range(warmup):
                calls[name]()
        gc.collect()
        gc.disable()
        for index in range(rounds):
            for name in names if index % 2 == 0 else names[::-1]:
                began = read()
                calls[name]()
                times[name].append(read() - began)
    finally:
        if collecting:
            gc.enable()
        torch.set_num_threads(previous)
    return {name: Measurement(number_per_run=1, raw_times=times[name], task_spec=TaskSpec(
                stmt="call()", setup="pass", label=name, num_threads=threads)) for name in names}


def merge(measurements: Sequence[Measurement]) -> Measurement:
    """One Measurement of the repeats of one task (times normalised to one call each)."""
    merged = Measurement.merge(measurements)
    if len(merged) != 1:
        raise ValueError(f"expected the repeats of one task, got {len(merged)} tasks")
    return merged[0]


def quartiles(values: Sequence[float]) -> tuple[float, float, float]:
    """(25th percentile, median, 75th percentile), linear interpolation as in ``Measurement``."""
    t = torch.tensor(list(values), dtype=torch.float64)
    q = torch.quantile(t, torch.tensor([0.25, 0.5, 0.75], dtype=torch.float64))
    return q[0].item(), q[1].item(), q[2].item()


def rate_summary(measurement: Measurement, items_per_call: int) -> dict[str, object]:
    """Items/s at the median time per call, the IQR as % of the median time, and each run's items/s."""
    return {"per_s": items_per_call / measurement.median,
            "iqr_pct": 100.0 * measurement.iqr / measurement.median,
            "runs": [round(items_per_call / t, 1) for t in measurement.times]}


def paired(numerator: Sequence[float], denominator: Sequence[float],
           transform: Callable[[float], float] = lambda r: r) -> dict[str, object]:
    """Median and IQR over rounds of ``transform(numerator[i] / denominator[i])``.

    Each ratio is taken within one round (or one repeat); e.g. the overhead of VIB over
    deterministic in % is ``paired(det_rates, vib_rates, lambda r: 100 * (r - 1))``.
    """
    if len(numerator) != len(denominator) or not numerator:
        raise ValueError("paired ratios need the same, non-zero number of runs on both sides")
    ratios = [transform(a / b) for a, b in zip(numerator, denominator)]
    low, median, high = quartiles(ratios)
    return {"median": median, "iqr": high - low, "runs": [round(r, 4) for r in ratios]}
