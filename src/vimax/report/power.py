"""Power of Welch's two-sided t-test, on plain numbers: the detectable difference, the seeds needed.

Approximation: the Welch statistic is taken as a noncentral t with the Welch–Satterthwaite
degrees of freedom ν of the given spreads and noncentrality δ / SE, SE = sqrt(s_a²/n_a + s_b²/n_b),
the observed standard deviations taken as the true ones (for equal seed counts SE is the
pooled-variance standard error). δ solves P(|T| > t_{1−α/2, ν}) = power, both tails counted.
For many seeds it tends to the normal approximation (z_{1−α/2} + z_{power}) · SE = 2.80 · SE at
80 % power, α = 0.05. With few seeds it is optimistic, because the real test also estimates the
variances: at 3 seeds a side with equal spreads the simulated power of Welch's test at this δ is
~0.70, at 10 seeds ~0.79 (tests/report/test_stats.py). So the true detectable difference is, if
anything, larger, and the true number of seeds needed, if anything, higher.
"""

from __future__ import annotations

import math

__all__ = ["detectable", "seeds_for", "MAX_SEEDS"]

MAX_SEEDS = 10**6  # seeds_for answers "more than this" with None


def _welch_df(va: float, vb: float, na: int, nb: int) -> float:
    """Welch–Satterthwaite degrees of freedom from the variances of the two means."""
    return (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))


def detectable(std_a: float, n_a: int, std_b: float, n_b: int, power: float, alpha: float) -> float:
    """The smallest |difference of means| detected with ``power`` (needs n ≥ 2 a side, some spread)."""
    from scipy.optimize import brentq
    from scipy.stats import nct, t

    va, vb = std_a**2 / n_a, std_b**2 / n_b
    df = _welch_df(va, vb, n_a, n_b)
    critical = float(t.ppf(1 - alpha / 2, df))

    def shortfall(noncentrality: float) -> float:
        far_tail = float(nct.cdf(-critical, df, noncentrality))  # scipy gives NaN deep in this tail
        reject = float(nct.sf(critical, df, noncentrality)) + (far_tail if math.isfinite(far_tail) else 0.0)
        return reject - power

    upper = critical + 1.0
    while shortfall(upper) < 0:  # power rises with the noncentrality; widen until it is reached
        upper *= 2
    return brentq(shortfall, 0.0, upper, xtol=1e-10) * math.sqrt(va + vb)


def seeds_for(std_a: float, std_b: float, difference: float, power: float, alpha: float) -> int | None:
    """The fewest seeds n (the same on each side, n ≥ 2) whose detectable difference is ≤ ``difference``.

    The detectable difference falls as n grows, so n is found by doubling, then bisection.
    None when more than :data:`MAX_SEEDS` would be needed.
    """
    def enough(n: int) -> bool:
        return detectable(std_a, n, std_b, n, power, alpha) <= difference

    if enough(2):
        return 2
    low, high = 2, 4
    while not enough(high):
        if high >= MAX_SEEDS:
            return None
        low, high = high, min(2 * high, MAX_SEEDS)
    while high - low > 1:  # enough(high), not enough(low)
        middle = (low + high) // 2
        low, high = (low, middle) if enough(middle) else (middle, high)
    return high
