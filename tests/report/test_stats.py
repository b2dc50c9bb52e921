"""Mean ± std over seeds and Welch's t-test, against scipy and hand-computed values."""

from __future__ import annotations

import math

import pytest
from scipy.stats import ttest_ind

from vimax.report.format import fmt, fmt_beta, summary_verdict
from vimax.report.stats import compare, summarize, welch_p


def test_summary_mean_std_and_missing_values():
    s = summarize([1.0, None, 3.0, float("nan")])
    assert (s.n, s.mean, s.std) == (2, 2.0, math.sqrt(2.0))
    one = summarize([0.5])
    assert (one.n, one.mean, one.std) == (1, 0.5, None)
    assert summarize([]).mean is None
    assert fmt(s) == "2.00 ± 1.41" and fmt(one, 100) == "50.00" and fmt(summarize([])) == "not run"


def test_welch_matches_scipy_and_handles_small_samples():
    a, b = summarize([1.0, 1.2, 0.9]), summarize([1.5, 1.4, 1.8, 1.6])
    assert welch_p(a, b) == pytest.approx(ttest_ind(a.values, b.values, equal_var=False).pvalue)
    assert welch_p(summarize([1.0]), b) is None
    assert welch_p(summarize([1.0, 1.0]), summarize([1.0, 1.0])) is None  # no spread: undefined


@pytest.mark.parametrize(("vim", "vib", "higher", "verdict"), [
    ([1.0, 1.1, 1.05], [2.0, 2.1, 2.05], False, "reproduces"),
    ([2.0, 2.1, 2.05], [1.0, 1.1, 1.05], False, "opposite"),
    ([2.0, 2.1, 2.05], [1.0, 1.1, 1.05], True, "reproduces"),
    ([1.0, 2.0], [1.2, 1.9], False, "not significant"),
    ([1.0], [2.0, 2.1], False, "untestable"),
    ([], [2.0, 2.1], False, "not run"),
])
def test_verdicts(vim, vib, higher, verdict):
    assert compare("m", summarize(vim), summarize(vib), higher).verdict == verdict


def test_beta_written_like_the_paper():
    assert [fmt_beta(b) for b in (1e-3, 1e-9, 2.5e-4, 0.1, 1.0, 100.0)] == \
        ["1e-3", "1e-9", "2.5e-4", "0.1", "1", "100"]


@pytest.mark.parametrize(("vim", "vib", "words"), [
    ([1.0, 2.0], [1.2, 1.9], "not shown (VIM better on average, not significantly)"),
    ([1.3, 2.0], [1.2, 1.9], "does not reproduce (VIM not better on average)"),
    ([2.0, 2.1, 2.05], [1.0, 1.1, 1.05], "does not reproduce (VIB significantly better)"),
    ([1.0, 1.1, 1.05], [2.0, 2.1, 2.05], "reproduces"),
])
def test_summary_verdict_says_which_way_a_non_significant_difference_goes(vim, vib, words):
    assert summary_verdict(compare("m", summarize(vim), summarize(vib), False)) == words
