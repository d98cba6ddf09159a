"""Per-level calibration of forecast intervals (issue #13, point 5): the 80% and 95%
half-widths estimated each from past standardized errors, and the Student t through both.

Checked against independent computations: quantiles of distributions known to scipy, with
the sampling error of an empirical quantile; the t's own quantiles from scipy.stats; and
series whose past errors are built to be heavy-tailed or to calm down.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from stocktake.analysis.backtest import backtest
from stocktake.analysis.calibration import (
    CALIBRATION_METHOD,
    DF_RANGE,
    HALF_LIFE,
    _mixture_quantile,
    abs_quantiles,
    t_through,
    upper_quantiles,
)
from stocktake.analysis.forecast import ForecastError, forecast

NORMAL_RATIO = stats.norm.ppf(0.975) / stats.norm.ppf(0.9)  # 1.53


def years(start: int, n: int) -> list[str]:
    return [str(start + i) for i in range(n)]


@pytest.mark.parametrize("dist", [stats.norm(), stats.t(3), stats.t(8), stats.laplace()],
                         ids=["normal", "t3", "t8", "laplace"])
def test_multipliers_match_the_known_quantiles_within_sampling_error(dist):
    n = 4000
    z = dist.rvs(size=n, random_state=np.random.default_rng(11))
    q80, q95 = abs_quantiles([z])[0]
    # P(|Z| <= q) under the true distribution, against the level: the binomial sd of an
    # empirical quantile's level is sqrt(p (1 - p) / n); the prior's 4 pseudo-errors in
    # 4,004 move it by at most 0.001.
    for q, p in ((q80, 0.8), (q95, 0.95)):
        level = dist.cdf(q) - dist.cdf(-q)
        assert abs(level - p) < 3 * math.sqrt(p * (1 - p) / n) + 0.001, (q, level)
    # the 95% multiplier over the 80% one: the distribution's own ratio
    truth = dist.ppf(0.975) / dist.ppf(0.9)
    assert q95 / q80 == pytest.approx(truth, rel=0.06)


def test_without_errors_the_multipliers_are_the_model_own_t():
    q80, q95 = abs_quantiles([np.array([])])[0]
    assert (q80, q95) == pytest.approx((stats.t.ppf(0.9, 4), stats.t.ppf(0.975, 4)))


@pytest.mark.parametrize("df", [3.5, 6.0, 30.0])
def test_the_t_through_two_half_widths_is_the_t_they_came_from(df):
    scale = 2.5
    h80, h95 = scale * stats.t.ppf(0.9, df), scale * stats.t.ppf(0.975, df)
    s, d = t_through(np.array([h80]), np.array([h95]))
    assert d[0] == pytest.approx(df, rel=1e-3)
    assert s[0] == pytest.approx(scale, rel=1e-4)


def test_beyond_the_t_range_the_80_percent_width_is_kept():
    s, d = t_through(np.array([1.0, 1.0]), np.array([1.4, 9.0]))  # lighter than normal; wilder
    assert d[0] == pytest.approx(DF_RANGE[1]) and d[1] == pytest.approx(DF_RANGE[0])
    assert s * stats.t.ppf(0.9, d) == pytest.approx([1.0, 1.0])


def test_recent_errors_weigh_more_in_the_80_percent_quantile():
    # 15 old errors of 3 model sds, then 15 recent ones of about 0.5
    rng = np.random.default_rng(3)
    z = np.concatenate([rng.choice([-1, 1], 15) * 3.0, rng.normal(0, 0.5, 15)])
    plain = abs_quantiles([z], (0.8,))[0, 0]
    recent = abs_quantiles([z], (0.8,), half_life=HALF_LIFE)[0, 0]
    assert plain == pytest.approx(3.0)  # half the errors are 3
    assert recent < 1.5  # the last 15 carry 1 - 2^(-15/5) = 87.5% of the errors' weight
    # the 95% quantile takes no recency: the old errors still set it
    assert abs_quantiles([z], (0.95,))[0, 0] == pytest.approx(3.0)


def _jumpy(seed: int, heavy: bool) -> list[float]:
    rng = np.random.default_rng(seed)
    e = rng.normal(size=50)
    if heavy:  # five shocks of 12 sds within the calibration window
        e[[22, 28, 33, 39, 45]] += np.array([12, -12, 12, -12, 12])
    return list(np.cumsum(e) + 100)


@pytest.mark.parametrize("seed", range(4))
def test_heavy_tailed_past_errors_give_a_95_interval_wider_than_the_normal_ratio(seed):
    fc = forecast(_jumpy(seed, heavy=True), years(1950, 50), "2002", period_type="year")
    for i in range(3):
        up80 = fc.upper[0.8][i] - fc.location[i]
        up95 = fc.upper[0.95][i] - fc.location[i]
        assert up95 / up80 > 1.8 > NORMAL_RATIO
        # the reported df is the t's through both widths: its ratio is the intervals'
        assert up95 / up80 == pytest.approx(
            stats.t.ppf(0.975, fc.df[i]) / stats.t.ppf(0.9, fc.df[i]), rel=1e-9)
    assert "per-level" in fc.interval_method and CALIBRATION_METHOD in fc.interval_method
    assert fc.to_dict()["calibration"] == "per-level"


def test_a_series_too_short_for_past_errors_gets_the_model_own_t():
    fc = forecast([3.0, 4.0, 3.5, 5.0, 4.2], years(2000, 5), "2007", period_type="year")
    assert fc.calibration_errors == (0, 0, 0)
    assert fc.df == pytest.approx((4.0, 4.0, 4.0))
    assert fc.scale == pytest.approx(fc.model_sd)
    assert any("no past errors" in n for n in fc.notes)


def test_backtest_names_its_calibration_and_refuses_an_unknown_one():
    series = {"a": (years(1970, 30), _jumpy(1, heavy=False)[:30])}
    per_level = backtest(series, "year", horizons=2)
    variance = backtest(series, "year", horizons=2, calibration="variance")
    assert per_level.calibration == "per-level" and variance.calibration == "variance"
    assert [r.mean for r in per_level.records] == [r.mean for r in variance.records]
    assert [r.df for r in per_level.records] != [r.df for r in variance.records]
    with pytest.raises(ForecastError, match="calibration 'conformal' is not one of"):
        backtest(series, "year", calibration="conformal")


# -- the upper tail on its own (small counts, censored at 0) ---------------------------------
def _upper_by_bisection(p: float, errors: np.ndarray, weight: float = 4.0) -> float:
    """The smallest x >= 0 with P(z <= x) >= p under the mixture of the signed errors
    (each 1 / (weight + n)) and the t with 4 df (weight / (weight + n)), by bisection on
    scipy's t: the one-sided quantile, computed without analysis.calibration's search."""
    n = len(errors)

    def cdf(x: float) -> float:
        return (weight * stats.t.cdf(x, 4) + np.sum(errors <= x)) / (weight + n)

    lo, hi = 0.0, 1e3
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if cdf(mid) >= p else (mid, hi)
    return hi


def test_upper_quantiles_against_a_one_sided_quantile_by_bisection():
    # a zero-heavy count's errors: many small ones below (the zeros), a few large above
    rng = np.random.default_rng(5)
    z = np.where(rng.random(40) < 0.75, -rng.uniform(0.2, 0.6, 40), rng.uniform(0.5, 4.0, 40))
    got = upper_quantiles([z])[0]
    for q, lv in zip(got, (0.8, 0.95), strict=True):
        assert q == pytest.approx(_upper_by_bisection((1 + lv) / 2, z), abs=1e-9)
    # |z| sets the 80% width by the small errors below; the upper tail needs far more
    assert got[0] > 1.5 * abs_quantiles([z])[0][0]
    # symmetric errors: the two agree within sampling error (both estimate the same point)
    sym = stats.norm.rvs(size=4000, random_state=np.random.default_rng(6))
    np.testing.assert_allclose(upper_quantiles([sym])[0], abs_quantiles([sym])[0], rtol=0.05)


def test_a_zero_heavy_count_forecast_covers_the_months_with_a_case():
    """Months that are mostly zero, with a case now and then: the 80% interval reaches the
    counts that occur, and is wider than the quantiles of |z| alone make it."""
    from stocktake.analysis.calibration import calibrate
    from stocktake.analysis.forecast import Bounds, _runs_at, _wanted_at

    rng = np.random.default_rng(8)
    y = (rng.poisson(0.8, 72) * (rng.random(72) > 0.6)).astype(float)
    months = [f"{2019 + i // 12}-{i % 12 + 1:02d}" for i in range(72)]
    fc = forecast(list(y), months, "2025-03", period_type="month",
                  bounds=Bounds(min=0, integer=True))
    assert fc.bounds.transform == "sqrt" and fc.upper[0.8][0] >= 1
    z, observed = np.sqrt(y), np.ones(72, dtype=bool)
    runs = _runs_at(z, _wanted_at(observed, 3), 12, None, False)
    sd = np.maximum(runs[72].sd, 0.5)
    both = calibrate(z, observed, runs, 72, sd, 0.5, upper_tail=True)
    plain = calibrate(z, observed, runs, 72, sd, 0.5)
    assert np.all(both.scale >= plain.scale - 1e-12) and both.scale[0] > plain.scale[0]
    np.testing.assert_allclose(both.scale, fc.scale, rtol=1e-9)


def _quantile_over_every_candidate(p: float, c0: float, atoms: np.ndarray,
                                   weights: np.ndarray) -> float:
    """The mixture quantile as first written: the mixture's CDF at every atom and at the
    prior's solution in every gap, the smallest of those reaching p."""
    order = np.argsort(atoms, kind="stable")
    a, wt = atoms[order], weights[order]
    before = np.concatenate([[0.0], np.cumsum(wt)])
    lows = np.concatenate([[0.0], a])
    need = (p - before) / c0
    solvable = (need >= 0) & (need < 1)
    inside = stats.t.ppf((1.0 + np.clip(np.where(solvable, need, 0.0), 0, 1 - 1e-15)) / 2, 4)
    candidates = np.concatenate([np.maximum(inside, lows)[solvable], a])
    cdf = 2.0 * stats.t.cdf(candidates, 4) - 1.0
    f = c0 * cdf + before[np.searchsorted(a, candidates, side="right")]
    return float(candidates[f >= p - 1e-12].min())


def test_the_mixture_quantile_is_the_smallest_over_every_candidate():
    """Reading the quantile from the atoms near the p-th share of the mass only (the fast
    path status takes) gives the minimum over every candidate, to the last bit (up to scipy's
    t against the special functions: 1e-12), with ties and with prior weights large and
    small."""
    rng = np.random.default_rng(1)
    for _ in range(150):
        n = int(rng.integers(1, 200))
        atoms = np.abs(rng.standard_t(3, n)) * rng.choice([1.0, 3.0])
        atoms[rng.random(n) < 0.2] = 0.0  # ties, as a count's zeros give
        atoms = np.round(atoms, int(rng.integers(1, 4)))  # more ties
        weights = rng.random(n) + 0.5
        c0 = float(rng.choice([0.5, 0.1, 0.01, 1e-4]))
        weights *= (1 - c0) / weights.sum()
        for p in (0.5, 0.8, 0.9, 0.95, 0.975):
            got = _mixture_quantile(p, c0, atoms, weights)
            want = _quantile_over_every_candidate(p, c0, atoms, weights)
            assert got == pytest.approx(want, rel=1e-12, abs=1e-12), (n, c0, p)
