"""The report's statistics against scipy, worked examples, closed forms and a simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm, t, ttest_ind

from vimax.report.claims import apply_holm, claim
from vimax.report.format import fmt, fmt_beta
from vimax.report.power import detectable
from vimax.report.stats import (
    compare,
    detectable_difference,
    holm,
    seeds_needed,
    summarize,
    verdict,
    welch_ci,
    welch_df,
    welch_p,
)


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
    assert welch_ci(summarize([1.0]), b) is None and detectable_difference(summarize([1.0]), b) is None


def test_welch_interval_by_hand_and_against_scipy():
    a, b = summarize([1.37, 1.34, 1.40]), summarize([1.26, 1.19, 1.33, 1.30])
    va, vb = a.std**2 / 3, b.std**2 / 4
    df = (va + vb) ** 2 / (va**2 / 2 + vb**2 / 3)  # Welch–Satterthwaite, by hand
    half = t.ppf(0.975, df) * math.sqrt(va + vb)
    low, high = welch_ci(a, b)
    assert welch_df(a, b) == pytest.approx(df)
    assert (low, high) == pytest.approx((a.mean - b.mean - half, a.mean - b.mean + half))
    result = ttest_ind(a.values, b.values, equal_var=False)
    if hasattr(result, "confidence_interval"):  # scipy >= 1.11
        interval = result.confidence_interval(0.95)
        assert (low, high) == pytest.approx((interval.low, interval.high))


def test_holm_worked_example():
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # step-down: 0.02 * 3 = 0.06, then 0.03 * 2 = 0.06, then 0.5 * 1 = 0.5
    assert holm([0.5, 0.02, 0.03]) == pytest.approx([0.5, 0.06, 0.06])
    assert holm([0.4, 0.6]) == pytest.approx([0.8, 0.8])  # kept monotone: 0.6 * 1 < 0.4 * 2
    assert holm([0.9, 0.8]) == [1.0, 1.0] and holm([]) == []


@pytest.mark.parametrize(("vim", "vib", "higher", "expected"), [
    ([1.0, 1.1, 1.05], [2.0, 2.1, 2.05], False, "reproduces"),      # significant, the paper's direction
    ([2.0, 2.1, 2.05], [1.0, 1.1, 1.05], False, "contradicted"),    # significant, the opposite direction
    ([2.0, 2.1, 2.05], [1.0, 1.1, 1.05], True, "reproduces"),
    ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], False, "inconclusive"),      # a tie
    ([1.0, 2.0], [1.2, 1.9], False, "inconclusive"),
])
def test_verdicts_on_fixtures(vim, vib, higher, expected):
    item = claim("m", compare("m", summarize(vim), summarize(vib), higher))
    assert apply_holm([item]) == 1 and item.adjusted_p == pytest.approx(item.comparison.p)
    assert item.verdict == expected


def test_verdict_uses_the_corrected_p():
    assert verdict(True, 0.01) == "reproduces" and verdict(False, 0.049) == "contradicted"
    assert verdict(True, 0.05) == verdict(False, 0.2) == "inconclusive"
    significant = claim("a", compare("m", summarize([1.0, 1.1, 1.05]), summarize([1.3, 1.45, 1.5]), False))
    alone = significant.comparison.p
    assert 0.01 < alone < 0.05
    others = [claim(str(i), compare("m", summarize([1.0, 1.5, 2.0]), summarize([1.1, 1.6, 2.0]), False))
              for i in range(5)]
    assert apply_holm([significant, *others]) == 6
    assert significant.adjusted_p == pytest.approx(6 * alone) and significant.verdict == "inconclusive"


def test_missing_sides_are_not_tested():
    one = claim("m", compare("m", summarize([1.0]), summarize([2.0, 2.1]), False))
    none = claim("m", compare("m", summarize([]), summarize([2.0, 2.1]), False))
    assert apply_holm([one, none]) == 0
    assert (one.verdict, none.verdict) == ("untestable", "not run")
    assert "cannot be tested yet" in one.sentence and "not run yet" in none.sentence


def test_detectable_difference_tends_to_the_normal_approximation():
    rng = np.random.default_rng(1)
    a, b = summarize(rng.normal(0, 1, 4000)), summarize(rng.normal(0, 2, 3000))
    se = math.sqrt(a.std**2 / a.n + b.std**2 / b.n)
    assert detectable_difference(a, b) == pytest.approx((norm.ppf(0.975) + norm.ppf(0.8)) * se, rel=2e-3)


def test_detectable_difference_has_its_power_in_a_simulation():
    """At the detectable difference, Welch's test on simulated seeds rejects ~80 % of the time."""
    n = 10
    rng = np.random.default_rng(0)
    x = rng.standard_normal(n)
    unit = summarize(((x - x.mean()) / x.std(ddof=1)).tolist())  # sample standard deviation exactly 1
    delta = detectable_difference(unit, unit)
    draws = 20000
    p = ttest_ind(rng.standard_normal((draws, n)) + delta, rng.standard_normal((draws, n)), axis=1,
                  equal_var=False).pvalue
    assert float((p < 0.05).mean()) == pytest.approx(0.80, abs=0.02)
    assert detectable_difference(unit, unit, power=0.9) > delta  # more power needs a larger difference


def test_seeds_needed_agrees_with_the_detectable_difference():
    a, b = summarize([1.0, 2.0, 3.0]), summarize([2.0, 3.0, 4.0])  # variances 1 and 1
    n = seeds_needed(a, b, 0.5)
    assert detectable(1.0, n, 1.0, n, 0.8, 0.05) <= 0.5 < detectable(1.0, n - 1, 1.0, n - 1, 0.8, 0.05)
    z = norm.ppf(0.975) + norm.ppf(0.8)
    assert math.ceil(2 * z**2 / 0.25) <= n <= math.ceil(2 * z**2 / 0.25) + 2  # ~ the normal approximation
    assert seeds_needed(a, b, -0.5) == n and seeds_needed(a, b, 100.0) == 2
    assert seeds_needed(a, b, detectable_difference(a, b) * 1.001) == 3  # what these 3 seeds detect
    assert seeds_needed(a, b, 0.0) is None and seeds_needed(summarize([1.0]), b, 0.5) is None


def test_claim_sentence_gives_interval_both_p_values_and_power():
    vim, vib = summarize([0.0137, 0.0134, 0.0140]), summarize([0.0126, 0.0119, 0.0133])
    item = claim("Table 1: VIM has a lower test error than VIB", compare("test error", vim, vib, False),
                 scale=100, unit="%", paper=-0.03)
    apply_holm([item])
    c = item.comparison
    text = item.sentence
    assert text.startswith("**Table 1: VIM has a lower test error than VIB: inconclusive**")
    low, high = 100 * c.ci[0], 100 * c.ci[1]
    assert f"VIM − VIB = {100 * c.difference:+.2f} points, 95 % CI [{low:+.2f}, {high:+.2f}]" in text
    assert "the paper's -0.03 lies inside it" in text
    assert f"Welch p = {c.p:.3f}, Holm p = {c.p:.3f}: VIB is better on average" in text
    needed = seeds_needed(vim, vib, -0.0003)
    assert needed > 10 and (f"before correction): {100 * c.detectable:.2f} points; the paper's difference "
                            f"(0.03) is smaller, and would take about {needed} seeds a side.") in text


def test_beta_written_like_the_paper():
    assert [fmt_beta(b) for b in (1e-3, 1e-9, 2.5e-4, 0.1, 1.0, 100.0)] == \
        ["1e-3", "1e-9", "2.5e-4", "0.1", "1", "100"]
