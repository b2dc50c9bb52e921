"""The regulariser diagnostics of runs: the column beside each table row, and their strength by β.

``regulariser_grad_ratio`` = ‖∇_z β·D‖ / ‖∇_z CE‖ on a fixed training batch at the end of
training (D = MMD² for VIM, Eq. (18); KL for VIB, Eq. (10)); ``latent_scale`` =
E‖z‖² / (K σ²); ``posterior_std_median`` the median posterior standard deviation.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from vimax.report.collect import RunResult
from vimax.report.format import fmt_small, summary_of
from vimax.report.layout import DIAGNOSTICS, diagnostic
from vimax.report.stats import Summary

__all__ = ["DIAGNOSTICS_HEADER", "INACTIVE", "diagnostics_cell", "ratio_of", "unique_runs", "Strength",
           "strengths"]

DIAGNOSTICS_HEADER = "diagnostics: grad ratio · latent scale · posterior std"
INACTIVE = 1e-3  # a regulariser whose gradient is below this fraction of the task's does nothing measurable


def diagnostics_cell(runs: list[RunResult]) -> str:
    """"2.1e-6 · 0.93 · 0.011": the mean over runs of each diagnostic ("—" when none has any)."""
    means = [summary_of(runs, lambda run, key=key: diagnostic(run, key)).mean for key in DIAGNOSTICS]
    return "—" if all(m is None for m in means) else " · ".join(fmt_small(m) for m in means)


def ratio_of(runs: list[RunResult]) -> Summary:
    """The regulariser gradient ratio over runs (seeds)."""
    return summary_of(runs, lambda run: diagnostic(run, "regulariser_grad_ratio"))


def unique_runs(runs: list[RunResult]) -> list[RunResult]:
    """The runs with distinct configs: a copy of a run in another sweep (same config, seed) counted once.

    Of runs with the same config, the one measured most fully is kept (evaluated first, then with
    the regulariser diagnostics), else the first: a run trained again to measure what an older
    copy lacks stands for that config.
    """
    def fullness(run: RunResult) -> tuple[bool, bool]:
        return run.evaluation is not None, diagnostic(run, "regulariser_grad_ratio") is not None

    position: dict[str, int] = {}
    unique: list[RunResult] = []
    for run in runs:
        key = json.dumps(run.config, sort_keys=True, default=str)
        if key not in position:
            position[key] = len(unique)
            unique.append(run)
        elif fullness(run) > fullness(unique[position[key]]):
            unique[position[key]] = run
    return unique


@dataclass(frozen=True)
class Strength:
    """The diagnostics of one (objective, K, σ, β) over its seeds."""

    objective: str
    latent_dim: int
    prior_std: float
    beta: float
    ratio: Summary
    latent_scale: Summary
    posterior_std: Summary
    test_error: Summary

    @property
    def active(self) -> bool | None:
        return None if self.ratio.mean is None else self.ratio.mean >= INACTIVE

    @property
    def ratio_text(self) -> str:
        """"2.1e-6" or "2.1e-6 (1.9e-6–2.4e-6)" over several seeds."""
        r = self.ratio
        if r.n < 2:
            return fmt_small(r.mean)
        return f"{fmt_small(r.mean)} ({fmt_small(min(r.values))}–{fmt_small(max(r.values))})"


def strengths(runs: list[RunResult]) -> list[Strength]:
    """The diagnostics of every (objective, K, σ, β) of VIB and VIM among runs that measured them."""
    groups: dict[tuple, list[RunResult]] = {}
    for run in unique_runs(runs):
        if run.objective not in ("vim", "vib") or diagnostic(run, "regulariser_grad_ratio") is None:
            continue
        latent = int(run.value("config.model.latent_dim") or 0)
        if run.beta is None or run.prior_std is None or not math.isfinite(run.beta):
            continue
        groups.setdefault((run.objective, latent, float(run.prior_std), float(run.beta)), []).append(run)
    out = []
    for (objective, latent, sigma, beta), group in sorted(groups.items()):
        out.append(Strength(objective, latent, sigma, beta, ratio_of(group),
                            summary_of(group, lambda r: diagnostic(r, "latent_scale")),
                            summary_of(group, lambda r: diagnostic(r, "posterior_std_median")),
                            summary_of(group, "metrics.test_error")))
    return out
