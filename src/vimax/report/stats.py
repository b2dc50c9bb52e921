"""The statistics of the report: mean ± std over seeds, Welch's test and interval, Holm, power.

A claim compares two arms of seeds (VIM against VIB). For each one the report gives
the difference of means with its 95 % Welch confidence interval, Welch's two-sided
p-value, the p-value after Holm's correction over every claim of the report, the
smallest difference the seeds could have detected (80 % power), and a verdict:

- "reproduces": VIM is better, as the paper says, and Holm's p < 0.05;
- "contradicted": VIB is better and Holm's p < 0.05;
- "inconclusive": otherwise.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from vimax.report.power import detectable, seeds_for

__all__ = ["Summary", "Comparison", "summarize", "welch_p", "welch_df", "welch_ci", "holm",
           "detectable_difference", "seeds_needed", "compare", "verdict", "ALPHA", "POWER", "VERDICTS"]

ALPHA = 0.05  # the significance level of every claim in the report (after Holm's correction)
POWER = 0.80  # the power of the detectable-difference line
VERDICTS = ("reproduces", "contradicted", "inconclusive")


@dataclass(frozen=True)
class Summary:
    """Values over seeds: their mean, sample standard deviation (None when n < 2) and count."""

    values: tuple[float, ...]

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float | None:
        return sum(self.values) / self.n if self.values else None

    @property
    def std(self) -> float | None:
        if self.n < 2:
            return None
        mean = self.mean
        return math.sqrt(sum((v - mean) ** 2 for v in self.values) / (self.n - 1))


def summarize(values: Iterable[float | None]) -> Summary:
    """A Summary of the finite values, missing ones (None, NaN) left out."""
    return Summary(tuple(float(v) for v in values if v is not None and math.isfinite(v)))


def _testable(a: Summary, b: Summary) -> bool:
    """Welch's statistics need 2 values a side and some spread."""
    return a.n >= 2 and b.n >= 2 and not (a.std == b.std == 0)


def _standard_error(a: Summary, b: Summary) -> float:
    """sqrt(s_a² / n_a + s_b² / n_b), the standard error of the difference of means."""
    return math.sqrt(a.std**2 / a.n + b.std**2 / b.n)


def welch_df(a: Summary, b: Summary) -> float | None:
    """The Welch–Satterthwaite degrees of freedom (None when Welch's test is undefined)."""
    if not _testable(a, b):
        return None
    va, vb = a.std**2 / a.n, b.std**2 / b.n
    return (va + vb) ** 2 / (va**2 / (a.n - 1) + vb**2 / (b.n - 1))


def welch_p(a: Summary, b: Summary) -> float | None:
    """Two-sided p-value of Welch's t-test (unequal variances); None when it is undefined.

    Undefined when either side has fewer than 2 values, or both have no spread.
    """
    if not _testable(a, b):
        return None
    from scipy.stats import ttest_ind

    with warnings.catch_warnings():  # scipy warns on nearly identical values; the p-value stands
        warnings.simplefilter("ignore", RuntimeWarning)
        p = float(ttest_ind(a.values, b.values, equal_var=False).pvalue)
    return p if math.isfinite(p) else None


def welch_ci(a: Summary, b: Summary, level: float = 0.95) -> tuple[float, float] | None:
    """The ``level`` confidence interval of mean(a) − mean(b) with Welch's t (None when undefined).

    difference ± t_{(1+level)/2, ν} · sqrt(s_a²/n_a + s_b²/n_b), ν the Welch–Satterthwaite df.
    """
    df = welch_df(a, b)
    if df is None:
        return None
    from scipy.stats import t

    half = float(t.ppf((1 + level) / 2, df)) * _standard_error(a, b)
    difference = a.mean - b.mean
    return difference - half, difference + half


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm–Bonferroni step-down adjusted p-values, in the order given.

    With p_(1) ≤ … ≤ p_(m) sorted, the adjusted p_(i) = max_{j ≤ i} min(1, (m − j + 1) p_(j)),
    so the adjusted values keep the order of the raw ones; rejecting every adjusted p < α
    controls the family-wise error rate at α. Example: [0.01, 0.04, 0.03, 0.005] →
    [0.03, 0.06, 0.06, 0.02].
    """
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[index]))
        adjusted[index] = running
    return adjusted


def detectable_difference(a: Summary, b: Summary, power: float = POWER, alpha: float = ALPHA) -> float | None:
    """The smallest |mean(a) − mean(b)| that Welch's two-sided test at ``alpha`` detects with ``power``,
    at the observed spreads and seed counts (see :func:`vimax.report.power.detectable` for the
    approximation). None when undefined (fewer than 2 seeds a side, or no spread)."""
    if not _testable(a, b):
        return None
    return detectable(a.std, a.n, b.std, b.n, power, alpha)


def seeds_needed(a: Summary, b: Summary, difference: float, power: float = POWER,
                 alpha: float = ALPHA) -> int | None:
    """Seeds a side for Welch's test to detect ``difference`` with ``power``, at the observed spreads
    (see :func:`vimax.report.power.seeds_for`). None when undefined."""
    if not _testable(a, b) or difference == 0:
        return None
    return seeds_for(a.std, b.std, abs(difference), power, alpha)


@dataclass(frozen=True)
class Comparison:
    """VIM (arm a) against VIB (arm b) on one metric.

    Attributes:
        vim_better: VIM's mean is better (None when a side has no values).
        p: Welch's two-sided p-value (None when it cannot be computed).
        ci: the 95 % Welch interval of VIM's mean − VIB's mean (None when undefined).
        detectable: the smallest difference detectable at 80 % power, α = 0.05 (None when undefined).
    """

    metric: str
    vim: Summary
    vib: Summary
    higher_is_better: bool
    vim_better: bool | None
    p: float | None
    ci: tuple[float, float] | None = None
    detectable: float | None = None

    @property
    def difference(self) -> float | None:
        """VIM's mean − VIB's mean, in the metric's units."""
        if self.vim.mean is None or self.vib.mean is None:
            return None
        return self.vim.mean - self.vib.mean

    @property
    def state(self) -> str:
        """"tested", "untestable" (fewer than 2 seeds a side, or no spread) or "not run"."""
        if self.vim_better is None:
            return "not run"
        return "untestable" if self.p is None else "tested"


def compare(metric: str, vim: Summary, vib: Summary, higher_is_better: bool) -> Comparison:
    """VIM against VIB on ``metric``: direction, Welch's p, the 95 % interval, the power line."""
    if vim.mean is None or vib.mean is None:
        better = None
    else:
        better = vim.mean > vib.mean if higher_is_better else vim.mean < vib.mean
    return Comparison(metric, vim, vib, higher_is_better, better, welch_p(vim, vib), welch_ci(vim, vib),
                      detectable_difference(vim, vib))


def verdict(vim_better: bool, adjusted_p: float, alpha: float = ALPHA) -> str:
    """"reproduces" (VIM better, adjusted p < alpha), "contradicted" (VIB better, adjusted p < alpha)
    or "inconclusive" (adjusted p ≥ alpha, whichever way the means go)."""
    if adjusted_p >= alpha:
        return "inconclusive"
    return "reproduces" if vim_better else "contradicted"
