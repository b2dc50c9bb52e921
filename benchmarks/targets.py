"""Issue 16's targets, read from the figures of one run, and the fractions two runs are compared on.

The targets (issue 16): every objective's vimax loop at >= 90% of the bound (the
step's matmuls and the fused Adam step, timed in the same rounds) and VIB's and
VIM's overhead over deterministic <= 5%, at 1 thread and at 2; and two runs in a
row agreeing within 3 points on every fraction (:func:`fractions`, compared by
``python -m benchmarks.compare``).
"""

from __future__ import annotations

from typing import Any

from benchmarks.config import OBJECTIVES

__all__ = ["BOUND_FRACTION_MIN", "OVERHEAD_MAX_PCT", "AGREEMENT_POINTS", "TARGET_THREADS", "issue_targets",
           "fractions"]

BOUND_FRACTION_MIN = 0.90
OVERHEAD_MAX_PCT = 5.0
AGREEMENT_POINTS = 3.0
TARGET_THREADS = ("1", "2")


def issue_targets(training_by_threads: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Each target at each measured thread count: the figure and whether it is met.

    ``complete`` says whether both of the issue's thread counts (1 and 2) were measured;
    ``met`` whether every target measured is met.
    """
    per_threads: dict[str, Any] = {}
    for threads, training in training_by_threads.items():
        bound = {name: {"value": row["bound_fraction"], "met": row["bound_fraction"] >= BOUND_FRACTION_MIN}
                 for name, row in training["objectives"].items()}
        overhead = {name: {"value": pct, "met": pct <= OVERHEAD_MAX_PCT}
                    for name, pct in training["overhead_over_deterministic_pct"].items()}
        met = all(t["met"] for t in (*bound.values(), *overhead.values()))
        per_threads[threads] = {"bound_fraction": bound, "overhead_pct": overhead, "met": met}
    return {"bound_fraction_min": BOUND_FRACTION_MIN, "overhead_max_pct": OVERHEAD_MAX_PCT,
            "threads": per_threads, "complete": set(TARGET_THREADS) <= set(per_threads),
            "met": all(t["met"] for t in per_threads.values())}


def fractions(results: dict[str, Any]) -> dict[str, float]:
    """Every training fraction of a run, in points (% for fractions of the bound and overheads,
    x100 for vimax/plain), by a name such as ``"1 thread: vim vimax/bound"``."""
    by_threads = (results.get("training_by_threads")
                  or {str(results["machine"]["threads"]): results["training"]})
    points: dict[str, float] = {}
    for threads, training in by_threads.items():
        label = f"{threads} thread{'s' if threads != '1' else ''}"
        for name in OBJECTIVES:
            row = training["objectives"][name]
            points[f"{label}: {name} vimax/plain"] = 100.0 * row["ratio"]
            points[f"{label}: {name} vimax/bound"] = 100.0 * row["bound_fraction"]
            points[f"{label}: {name} plain/bound"] = 100.0 * row["plain_bound_fraction"]
        for name, pct in training["overhead_over_deterministic_pct"].items():
            points[f"{label}: {name} overhead %"] = pct
    return points
