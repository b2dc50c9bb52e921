"""Mean ± std over seeds and Welch's t-test of VIM against VIB."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Summary", "Comparison", "summarize", "welch_p", "compare", "ALPHA"]

ALPHA = 0.05  # the significance level of every claim in the report


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


def welch_p(a: Summary, b: Summary) -> float | None:
    """Two-sided p-value of Welch's t-test (unequal variances); None when it is undefined.

    Undefined when either side has fewer than 2 values, or both have no spread.
    """
    if a.n < 2 or b.n < 2 or a.std == b.std == 0:
        return None
    from scipy.stats import ttest_ind

    with warnings.catch_warnings():  # scipy warns on nearly identical values; the p-value stands
        warnings.simplefilter("ignore", RuntimeWarning)
        p = float(ttest_ind(a.values, b.values, equal_var=False).pvalue)
    return p if math.isfinite(p) else None


@dataclass(frozen=True)
class Comparison:
    """VIM against VIB on one metric.

    Attributes:
        vim_better: VIM's mean is better (None when a side has no values).
        p: Welch's p-value (None when it cannot be computed).
    """

    metric: str
    vim: Summary
    vib: Summary
    higher_is_better: bool
    vim_better: bool | None
    p: float | None

    @property
    def significant(self) -> bool:
        return self.p is not None and self.p < ALPHA

    @property
    def verdict(self) -> str:
        """"reproduces", "not significant", "opposite", "untestable" or "not run"."""
        if self.vim_better is None:
            return "not run"
        if self.p is None:
            return "untestable"
        if not self.significant:
            return "not significant"
        return "reproduces" if self.vim_better else "opposite"


def compare(metric: str, vim: Summary, vib: Summary, higher_is_better: bool) -> Comparison:
    """Is VIM better than VIB on ``metric``, and is the difference significant?"""
    if vim.mean is None or vib.mean is None:
        better = None
    else:
        better = vim.mean > vib.mean if higher_is_better else vim.mean < vib.mean
    return Comparison(metric, vim, vib, higher_is_better, better, welch_p(vim, vib))
