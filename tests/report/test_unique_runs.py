"""Runs of one config in several sweeps count once, and the most fully measured one stands for them."""

from __future__ import annotations

from pathlib import Path

from vimax.report.collect import RunResult
from vimax.report.diagnostics import strengths, unique_runs

CONFIG = {"objective": {"name": "vib", "beta": 1e-3, "prior_std": 1.0}, "model": {"latent_dim": 256},
          "train": {"seed": 0}}


def run(sweep: str, metrics: dict | None, evaluation: dict | None = None, config: dict = CONFIG) -> RunResult:
    return RunResult(sweep, "cpu", "vib_seed0", Path(sweep), config, metrics=metrics, evaluation=evaluation)


def test_the_run_with_diagnostics_replaces_an_older_copy_without_them():
    old = run("fig1", {"test_error": 0.012}, {"accuracy": {}})
    new = run("tables2_3", {"test_error": 0.0121, "regulariser_grad_ratio": 0.18, "latent_scale": 1.02,
                            "posterior_std_median": 0.94}, {"accuracy": {}})
    other = run("fig1", {"test_error": 0.02}, config={**CONFIG, "train": {"seed": 1}})
    assert unique_runs([old, other, new]) == [new, other]  # one per config, in first-seen order
    assert unique_runs([new, old]) == [new]
    (measured,) = strengths([old, other, new])
    assert measured.ratio.n == 1 and measured.ratio.mean == 0.18


def test_an_evaluated_run_is_kept_before_an_unevaluated_one_with_diagnostics():
    evaluated = run("table1", {"test_error": 0.012}, {"accuracy": {}})
    unevaluated = run("fig1", {"test_error": 0.012, "regulariser_grad_ratio": 0.2})
    assert unique_runs([unevaluated, evaluated]) == [evaluated]
    assert unique_runs([evaluated, unevaluated]) == [evaluated]
