"""Forecasts of counts and bounded values (issue #13, points 4 and 5).

Checked against independent computations: the probabilities of a rounded, censored,
square-root-scale Student t worked out here from scipy's t (a plain sum over whole numbers),
a numerical integral for the censored mean, Monte Carlo draws, a plain loop over forecast()
for the backtest, coverage counted by a plain loop, and a Poisson process whose coverage is
known.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from stocktake.analysis.backtest import backtest, strata
from stocktake.analysis.forecast import (
    MAX_FACTOR,
    NO_BOUNDS,
    Bounds,
    ForecastError,
    Predictive,
    _calibration,
    _inner_runs,
    _prepare,
    forecast,
    probability_of_meeting,
)
from stocktake.model.periods import PeriodType

DATA = Path(__file__).parents[3] / "shared" / "data"
COUNT = Bounds(min=0, integer=True)


def years(start: int, n: int) -> list[str]:
    return [str(start + i) for i in range(n)]


def pmf_by_hand(loc: float, scale: float, df: float, kmax: int) -> np.ndarray:
    """P(value = k), k = 0..kmax, for value = round(max(T, 0)^2), T ~ loc + scale t(df):
    value k <=> T^2 in [k - 1/2, k + 1/2), and every T below sqrt(1/2) (negative ones too)
    gives 0."""
    t = stats.t(df, loc=loc, scale=scale)
    edges = [t.cdf(math.sqrt(k + 0.5)) for k in range(kmax + 1)]
    return np.diff([0.0, *edges])


# -- the predictive distribution against scipy ------------------------------------------
def test_rounded_sqrt_scale_distribution_matches_a_sum_by_hand():
    loc, scale, df = 1.3, 0.7, 6.0
    d = Predictive(loc, scale, df, Bounds(min=0, integer=True, scale="sqrt"))
    pmf = pmf_by_hand(loc, scale, df, 400)
    cum = np.cumsum(pmf)
    for k in range(12):
        assert d.cdf(k) == pytest.approx(cum[k], abs=1e-12)
        assert d.cdf(k + 0.7) == pytest.approx(cum[k], abs=1e-12)  # a step function
        assert d.cdf_below(k) == pytest.approx(cum[k - 1] if k else 0.0, abs=1e-12)
    assert d.cdf(-0.5) == 0.0 and d.cdf_below(0) == 0.0
    for q in (0.01, 0.1, 0.5, 0.8, 0.9, 0.975, 0.999):
        k = int(np.argmax(cum >= q))  # the smallest whole k with P(<= k) >= q
        assert d.ppf(q) == k
    # The mean by the quantile rule against the exact sum (the tail beyond 400 is tiny).
    mean = float(np.sum(np.arange(401) * pmf))
    assert d.mean() == pytest.approx(mean, rel=5e-3)
    draws = d.rvs(200_000, random_state=1)
    assert set(np.unique(draws)) <= set(range(401))
    for k in (0, 1, 3, 6):
        assert np.mean(draws <= k) == pytest.approx(cum[k], abs=4e-3)


def test_censored_value_scale_distribution_matches_scipy_and_an_integral():
    # A percentage near its ceiling: the mass above 100 sits on 100.
    loc, scale, df = 98.0, 1.5, 8.0
    b = Bounds(min=0, max=100)
    d = Predictive(loc, scale, df, b)
    t = stats.t(df, loc=loc, scale=scale)
    assert d.cdf(99.0) == pytest.approx(t.cdf(99.0))
    assert d.cdf(100.0) == 1.0 and d.cdf_below(100.0) == pytest.approx(t.cdf(100.0))
    assert d.ppf(0.5) == pytest.approx(98.0)
    assert d.ppf(0.975) == 100.0  # t's 97.5% quantile is 101.5: censored at the bound
    lo, hi = d.interval(0.95)
    assert lo >= 0.0 and hi <= 100.0
    # Mean of min(T, 100) by numerical integration: x f(x) below 100, plus 100 P(T > 100).
    below, _ = integrate.quad(lambda x: x * t.pdf(x), -np.inf, 100.0)
    assert d.mean() == pytest.approx(below + 100.0 * t.sf(100.0), abs=2e-3)


def test_probability_of_meeting_holds_only_feasible_values():
    y = [3, 0, 1, 4, 2, 0, 1, 5, 2, 1, 0, 3, 2, 2, 1, 4]
    fc = forecast(y, years(2000, len(y)), "2018", period_type="year", bounds=COUNT)
    assert fc.bounds.transform == "sqrt"
    loc, scale, df = fc.location[-1], fc.scale[-1], fc.df[-1]
    pmf = pmf_by_hand(loc, scale, df, 2000)
    # P(<= 5) is P(0) + ... + P(5): no mass below zero (the issue: 0.497 of 0.516 was).
    assert probability_of_meeting(fc, 5, "down") == pytest.approx(pmf[:6].sum(), abs=1e-12)
    # Higher is better: P(>= 3) = 1 - P(<= 2); P(>= 0) is certain; P(<= -1) impossible.
    assert probability_of_meeting(fc, 3, "up") == pytest.approx(1 - pmf[:3].sum(), abs=1e-12)
    assert probability_of_meeting(fc, 0, "up") == 1.0
    assert probability_of_meeting(fc, -1, "down") == 0.0
    # A target between whole numbers: P(<= 2.5) = P(<= 2); P(>= 2.5) = P(>= 3).
    assert probability_of_meeting(fc, 2.5, "down") == pytest.approx(pmf[:3].sum(), abs=1e-12)
    assert probability_of_meeting(fc, 2.5, "up") == pytest.approx(1 - pmf[:3].sum(), abs=1e-12)


def test_a_bound_reached_with_probability_is_met_with_that_probability():
    # Percent near 100: P(value >= 100) is the mass on 100, not zero.
    y = [95.0, 96.0, 96.5, 97.2, 97.8, 98.1, 98.9, 99.2, 99.4, 99.6, 99.7, 99.8]
    fc = forecast(y, years(2010, len(y)), "2024", period_type="year",
                  bounds=Bounds(min=0, max=100))
    t = stats.t(fc.df[-1], loc=fc.location[-1], scale=fc.scale[-1])
    assert probability_of_meeting(fc, 100, "up") == pytest.approx(t.sf(100.0), abs=1e-12)
    assert 0 < probability_of_meeting(fc, 100, "up") < 1
    assert all(v <= 100.0 for lv in fc.levels for v in fc.upper[lv])
    assert max(fc.upper[0.95]) == 100.0  # the unbounded t would go above
    plain = forecast(y, years(2010, len(y)), "2024", period_type="year")
    assert max(plain.upper[0.95]) > 100.0


# -- forecasts within bounds ------------------------------------------------------------
def small_state_homicide() -> tuple[list[str], list[float]]:
    df = pd.read_csv(DATA / "us_state_crime_ucr_1979_2019.csv")
    g = df[df.state == "SD"].sort_values("year")
    return [str(y) for y in g.year], [float(v) for v in g.homicide]


@pytest.mark.skipif(not DATA.is_dir(), reason="shared real data not available")
def test_real_small_counts_never_below_zero_and_whole_numbers():
    periods, values = small_state_homicide()  # South Dakota: 4 to 37 homicides a year
    assert max(values) <= 40 and np.median(values) <= 20
    fc = forecast(values, periods, "2024", period_type="year", bounds=COUNT)
    plain = forecast(values, periods, "2024", period_type="year")
    assert min(plain.lower[0.95]) < 0  # what main gave: a negative count
    assert fc.model.endswith("on sqrt(value - 0)") and "square-root" in fc.interval_method
    for lv in fc.levels:
        for lo, hi in zip(fc.lower[lv], fc.upper[lv], strict=True):
            assert 0 <= lo <= hi
            assert float(lo).is_integer() and float(hi).is_integer()
    for q in (0.05, 0.5, 0.95):
        k = fc.quantile(q)
        assert float(k).is_integer()
        assert fc.cdf(k) >= q > fc.cdf(k - 1)
    d = fc.to_dict()
    assert d["bounds"] == {"min": 0, "max": None, "integer": True}
    assert d["transform"] == "sqrt" and "rounded" in d["distribution"]


def test_large_counts_stay_on_the_value_scale_but_within_bounds():
    rng = np.random.default_rng(4)
    y = list(np.round(400 - 12 * np.arange(25) + rng.normal(0, 30, 25)))
    fc = forecast(y, years(1995, 25), "2030", period_type="year", bounds=COUNT)
    assert fc.bounds.transform == "identity" and "sqrt" not in fc.model
    plain = forecast(y, years(1995, 25), "2030", period_type="year")
    assert min(plain.lower[0.95]) < 0 <= min(fc.lower[0.95])
    # Above the bound's reach the two agree (the same model; rounding aside).
    assert fc.upper[0.8][0] == pytest.approx(plain.upper[0.8][0], abs=0.5)


def test_county_of_zeros_then_small_counts_stays_finite_and_sensible():
    # The case: 0-3 murders a year, the series starting with years of zeros.
    y = [0.0] * 15 + [1, 0, 2, 1, 0, 3, 1, 0, 2]
    periods = years(1996, len(y))
    fc = forecast(y, periods, "2024", period_type="year", bounds=COUNT)
    assert all(f <= MAX_FACTOR for f in fc.calibration_factor)
    assert fc.lower[0.95] == (0.0,) * 5
    assert all(np.isfinite(fc.upper[0.95])) and max(fc.upper[0.95]) <= 15
    assert max(fc.upper[0.8]) <= 8 and 0.5 < fc.mean[0] < 3
    # The previous calibration (no guard) on the same runs: the factor explodes.
    prep = _prepare(y, periods, PeriodType.YEAR)
    runs = _inner_runs(prep.y, prep.observed, range(len(y) - 30, len(y) + 1), 5, 0, None)
    old, _, _ = _calibration(prep.y, prep.observed, runs, len(y), 5, legacy=True)
    new, _, _ = _calibration(prep.y, prep.observed, runs, len(y), 5)
    assert old.max() > 1e10 and new.max() <= MAX_FACTOR


def test_all_zero_history_still_allows_an_event():
    y = [0.0] * 20
    fc = forecast(y, years(2000, 20), "2021", period_type="year", bounds=COUNT)
    p0 = fc.cdf(0)
    assert 0.8 < p0 < 0.95  # near the rule of three: an event is possible, not likely
    assert fc.interval(0.8) == (0.0, 0.0) and fc.upper[0.95][0] >= 1
    assert any("exactly" in n for n in fc.notes)


def test_bounds_are_checked():
    with pytest.raises(ForecastError, match="outside the indicator's range"):
        forecast([1, 2, -1, 3, 4, 5], years(2000, 6), "2008", period_type="year", bounds=COUNT)
    with pytest.raises(ForecastError, match="2002"):
        forecast([1, 2, -1, 3, 4, 5], years(2000, 6), "2008", period_type="year", bounds=COUNT)
    with pytest.raises(ForecastError, match="below max"):
        Bounds(min=5, max=5)
    with pytest.raises(ForecastError, match="finite number"):
        Bounds(min="0")  # type: ignore[arg-type]
    with pytest.raises(ForecastError, match="true or false"):
        Bounds(integer="yes")  # type: ignore[arg-type]
    assert Bounds.from_attributes({"min": 0, "integer": True, "decimals": 0}) == COUNT
    assert Bounds.from_attributes(None) == NO_BOUNDS and not NO_BOUNDS.active


def test_without_bounds_the_forecast_is_the_student_t_as_before():
    rng = np.random.default_rng(2)
    y = 50 + 0.8 * np.arange(30) + rng.normal(0, 2, 30)
    fc = forecast(list(y), years(1990, 30), "2023", period_type="year")
    t = stats.t(fc.df[-1], loc=fc.mean[-1], scale=fc.scale[-1])
    assert fc.interval(0.8) == pytest.approx(t.interval(0.8))
    assert fc.sd[-1] == pytest.approx(t.std())
    assert fc.cdf(70.0) == pytest.approx(t.cdf(70.0))


# -- the backtest with bounds -----------------------------------------------------------
def poisson_panel(n: int, length: int, rate: float, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    return {f"u{i}": (years(1990, length), [float(v) for v in rng.poisson(rate, length)])
            for i in range(n)}


def test_backtest_scores_exactly_what_bounded_forecast_returns():
    panel = poisson_panel(2, 22, 1.5, seed=5)
    res = backtest(panel, "year", min_train=12, horizons=3, bounds=COUNT)
    checked = 0
    for r in res.records[::7]:
        periods, values = panel[r.series]
        k = periods.index(r.origin) + 1
        fc = forecast(values[:k], periods[:k], r.period, period_type="year", bounds=COUNT)
        assert fc.lower[0.8][-1] == r.lower[0] and fc.upper[0.95][-1] == r.upper[1]
        assert fc.mean[-1] == pytest.approx(r.mean, rel=1e-9)
        checked += 1
    assert checked >= 3


@pytest.mark.slow
def test_coverage_on_a_known_poisson_process_matches_what_is_claimed():
    # iid Poisson(4): the central 80% interval of the truth is [2, 7] (its own coverage,
    # counted here from scipy, 0.889 + ...). Our forecasts should cover about what they
    # claim, and never less than nominal by much.
    panel = poisson_panel(40, 30, 4.0, seed=7)
    res = backtest(panel, "year", min_train=15, horizons=3, origin_step=2, bounds=COUNT)
    covered = np.mean([r.lower[0] <= r.actual <= r.upper[0] for r in res.records])  # a loop
    claimed = np.mean([r.claimed[0] for r in res.records])
    assert res.coverage[0.8] == pytest.approx(covered)
    truth = stats.poisson(4.0)
    lo, hi = truth.ppf(0.1), truth.ppf(0.9)
    true_cover = truth.cdf(hi) - truth.cdf(lo - 1)
    assert abs(covered - claimed) < 0.05
    assert covered > 0.75 and abs(covered - true_cover) < 0.08
    assert all(r.lower[1] >= 0 for r in res.records)


def test_strata_by_hand():
    panel = {"a": (years(2000, 16), [0, 0, 1, 0, 2, 0, 0, 1, 3, 0, 1, 0, 0, 2, 0, 1]),
             "b": (years(2000, 16), [9, 12, 8, 11, 10, 13, 9, 12, 10, 11, 14, 9, 10, 12, 11, 13])}
    res = backtest(panel, "year", min_train=10, horizons=2, bounds=COUNT)
    recs = res.records
    zero = [r for r in recs if r.actual == 0]
    other = [r for r in recs if r.actual != 0]
    s = res.strata
    assert s["actual"]["zero"]["n"] == len(zero) and s["actual"]["not zero"]["n"] == len(other)
    assert s["actual"]["zero"]["coverage_80"] == pytest.approx(
        sum(r.lower[0] <= r.actual <= r.upper[0] for r in zero) / len(zero))
    assert s["actual"]["not zero"]["coverage_95"] == pytest.approx(
        sum(r.lower[1] <= r.actual <= r.upper[1] for r in other) / len(other))
    for h in (1, 2):
        rs = [r for r in recs if r.horizon == h]
        assert s["horizon"][str(h)]["n"] == len(rs)
        assert s["horizon"][str(h)]["claimed_80"] == pytest.approx(
            np.mean([r.claimed[0] for r in rs]))
    # Levels in thirds: every record in exactly one group, the low group the zero county's.
    assert sum(g["n"] for g in s["level"].values()) == len(recs)
    assert strata(recs, (0.8, 0.95)) == s
    # Whole-number intervals claim at least their nominal share.
    assert all(r.claimed[0] >= 0.8 - 1e-9 and r.claimed[1] >= 0.95 - 1e-9 for r in recs)


def test_legacy_switch_reproduces_the_unbounded_engine():
    panel = poisson_panel(1, 20, 0.6, seed=3)
    old = backtest(panel, "year", min_train=10, horizons=2, legacy=True, bounds=COUNT)
    plain = backtest(panel, "year", min_train=10, horizons=2)
    new = backtest(panel, "year", min_train=10, horizons=2, bounds=COUNT)
    assert old.bounds == NO_BOUNDS
    assert any(r.lower[1] < 0 for r in old.records)
    assert all(r.lower[1] >= 0 for r in new.records)
    for a, b in zip(old.records, plain.records, strict=True):  # the same model and means
        assert a.mean == pytest.approx(b.mean)


# -- small counts: level (and season) only ----------------------------------------------
def monthly_counts(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    season = np.exp(0.8 * np.cos(2 * np.pi * np.arange(n) / 12))
    return np.sqrt(rng.poisson(3.0 * season).astype(float))


def test_level_and_season_model_matches_statsmodels_at_the_same_parameters():
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    from stocktake.analysis import ets

    z = monthly_counts(60, seed=8)
    spec = ets._Spec(trend=False, m=12)
    row = np.array([[0.3, 0.0, 1.0, 0.2 / 0.7]])
    sse, x0 = ets._profile_sse(z, spec, row)
    p = {"alpha": 0.3, "beta": 0.0, "gamma": 0.2, "phi": 1.0}
    state, resid = ets._filter(z, spec, p, x0[0])
    fit = ets._Fit(spec, 0.3, 0.0, 0.2, 1.0, x0[0], state, resid, float(sse[0]), 1.0, 0.0)
    sm = ETSModel(pd.Series(z), seasonal="add", seasonal_periods=12).smooth([0.3, 0.2, *x0[0]])
    assert fit.sse == pytest.approx(sm.sse, rel=1e-9)
    pred = sm.get_prediction(start=60, end=71)
    np.testing.assert_allclose(fit.mean(12), np.asarray(pred.predicted_mean), rtol=1e-9)


@pytest.mark.parametrize("seasonal", [None, False])
def test_level_only_engine_matches_the_per_origin_path(seasonal):
    from stocktake.analysis import ets, ets_batch

    z = monthly_counts(48, seed=9)
    wanted = {o: min(6, 48 - o) for o in range(18, 49)}
    new = ets_batch._runs_at(z, wanted, 12, seasonal, False)
    ref = ets._runs_at_reference(z, wanted, 12, seasonal, False)
    assert new.keys() == ref.keys()
    for o in ref:
        assert new[o].fit.name == ref[o].fit.name and not new[o].fit.spec.trend
        assert (new[o].fit.alpha, new[o].fit.gamma) == (ref[o].fit.alpha, ref[o].fit.gamma)
        np.testing.assert_allclose(new[o].mean, ref[o].mean, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(new[o].sd, ref[o].sd, rtol=1e-7)


def test_small_counts_get_no_trend_larger_ones_keep_it():
    y = [0.0] * 6 + [1, 2, 2, 3, 4, 4, 6, 7]
    small = forecast(y, years(2000, len(y)), "2019", period_type="year", bounds=COUNT)
    assert small.model.startswith("ETS(A,N,N)") and any("no trend" in n for n in small.notes)
    big = [float(v) for v in np.arange(14) * 10 + 100]
    large = forecast(big, years(2000, 14), "2019", period_type="year", bounds=COUNT)
    assert "N,N" not in large.model and large.bounds.transform == "identity"


# -- weekly seasons: the change from the same week a year earlier ------------------------
def weekly(n: int) -> list[str]:
    from stocktake.model.periods import Period

    start = Period.parse("2020-W01", "week")
    return [start.shift(i).code for i in range(n)]


def flu_like(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    mu = 2.0 * np.exp(2.5 * np.cos(2 * np.pi * t / 52.18) - 1.5)
    return rng.negative_binomial(5, 5 / (5 + mu)).astype(float)


def test_weekly_season_is_the_same_week_last_year_plus_the_change():
    y = flu_like(160, seed=11)
    periods = weekly(160)
    target = weekly(166)[-1]
    z = np.sqrt(y)
    a, b = z[52:] - z[52:].mean(), z[:-52] - z[:-52].mean()
    assert a @ b / math.sqrt((a @ a) * (b @ b)) > 0.3  # the stated test, by hand
    fc = forecast(list(y), periods, target, period_type="week", bounds=COUNT)
    assert "same week a year earlier" in fc.model and any("weekly season" in n for n in fc.notes)
    # By hand: the change w = sqrt(y_t) - sqrt(y_(t-52)), its level-only forecast (small
    # counts get no trend) from simple exponential smoothing at the fitted alpha, with the
    # initial level profiled by least squares; then last year's same weeks added back.
    w = z[52:] - z[:-52]
    alpha = fc.params["alpha"]
    # SES one-step errors are affine in the initial level l0: e_t = c_t - d_t l0
    c, d = np.empty(len(w)), np.empty(len(w))
    lc, ld = 0.0, 1.0  # level = lc + ld * l0
    for t, v in enumerate(w):
        c[t], d[t] = v - lc, ld
        lc, ld = lc + alpha * c[t], ld - alpha * d[t]
    l0 = float(c @ d / (d @ d))
    level = lc + ld * l0
    np.testing.assert_allclose(np.subtract(fc.location, level), z[160 - 52: 160 - 52 + 6],
                               atol=1e-9)
    assert all(lo >= 0 and float(hi).is_integer() for lo, hi in zip(
        fc.lower[0.95], fc.upper[0.95], strict=True))


def test_weekly_noise_without_a_season_is_not_read_by_year():
    rng = np.random.default_rng(12)
    y = rng.poisson(6.0, 160).astype(float)
    fc = forecast(list(y), weekly(160), weekly(164)[-1], period_type="week", bounds=COUNT)
    assert "year earlier" not in fc.model
    short = forecast(list(flu_like(100, 3)), weekly(100), weekly(104)[-1], period_type="week")
    assert "year earlier" not in short.model  # under two years and 5 weeks: never


def test_backtest_scores_the_weekly_forecast_forecast_returns():
    y = flu_like(150, seed=13)
    periods = weekly(150)
    res = backtest({"d": (periods, list(y))}, "week", min_train=110, horizons=4,
                   origin_step=9, bounds=COUNT)
    assert res.records
    for r in res.records[::3]:
        k = periods.index(r.origin) + 1
        fc = forecast(list(y[:k]), periods[:k], r.period, period_type="week", bounds=COUNT)
        assert "year earlier" in fc.model
        assert (fc.lower[0.8][-1], fc.upper[0.95][-1]) == (r.lower[0], r.upper[1])
        assert fc.mean[-1] == pytest.approx(r.mean, rel=1e-9)
