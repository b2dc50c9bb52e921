"""Timing on ``torch.utils.benchmark.Timer``, and the statistics the benchmark reports.

Every timing is a :class:`~torch.utils.benchmark.Timer` (which warms up, sets the
thread count and reads a monotonic clock) and its
:class:`~torch.utils.benchmark.Measurement` (median and interquartile range, IQR,
by ``torch.quantile``). Fractions between two timings taken in the same repeat
(vimax / plain, vimax / bound, the overheads) are the median of the per-repeat
ratios, with their IQR computed the same way: load from other processes that
changes between repeats hits both sides of a ratio alike and cancels.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import torch
from torch.utils.benchmark import Measurement, Timer

__all__ = ["CLOCKS", "call_timer", "merge", "quartiles", "rate_summary", "paired"]

# "wall": elapsed time (Timer's default clock); "cpu": the process's CPU time, which does not
# advance while other processes hold the cores (meaningful with 1 thread: see benchmarks/README.md)
CLOCKS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.process_time}


def call_timer(call: Callable[[], object], label: str, threads: int, clock: str = "wall") -> Timer:
    """A Timer of ``call()`` with ``threads`` intra-op threads (Timer's own default is 1),
    reading ``CLOCKS[clock]``."""
    return Timer(stmt="call()", globals={"call": call}, label=label, num_threads=threads,
                 timer=CLOCKS[clock])


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
    """Median and IQR over repeats of ``transform(numerator[i] / denominator[i])``.

    Each ratio is taken within one repeat; e.g. the overhead of VIB over
    deterministic in % is ``paired(det_rates, vib_rates, lambda r: 100 * (r - 1))``.
    """
    if len(numerator) != len(denominator) or not numerator:
        raise ValueError("paired ratios need the same, non-zero number of runs on both sides")
    ratios = [transform(a / b) for a, b in zip(numerator, denominator)]
    low, median, high = quartiles(ratios)
    return {"median": median, "iqr": high - low, "runs": [round(r, 4) for r in ratios]}
