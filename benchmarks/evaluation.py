"""Evaluation speed: images/s of 12-sample averaged predictions."""

from __future__ import annotations

from benchmarks.config import BenchConfig
from benchmarks.loops import build_run, subset
from benchmarks.timing import call_timer, rate_summary
from vimax.data.base import Split
from vimax.metrics.accuracy import error_rates

__all__ = ["measure_evaluation"]

# adaptive_autorange stops once the IQR is below this fraction of the median
EVAL_IQR_THRESHOLD = 0.05


def measure_evaluation(config: BenchConfig, test: Split, threads: int) -> dict[str, object]:
    """Images/s of :func:`vimax.metrics.accuracy.error_rates` with ``eval_samples``-sample
    averaging over ``eval_images`` test images, by ``Timer.adaptive_autorange`` (at least
    ``autorange_seconds``, at most 5x that)."""
    split = subset(test, config.eval_images)
    model, _ = build_run("vim", config, 0)
    timer = call_timer(lambda: error_rates(model, split, config.eval_samples), "evaluation", threads,
                       config.clock)
    measurement = timer.adaptive_autorange(threshold=EVAL_IQR_THRESHOLD,
                                           min_run_time=config.autorange_seconds,
                                           max_run_time=5 * config.autorange_seconds)
    summary = rate_summary(measurement, len(split))
    return {"images": len(split), "samples": config.eval_samples, "images_per_s": summary["per_s"],
            "iqr_pct": summary["iqr_pct"], "runs": summary["runs"]}
