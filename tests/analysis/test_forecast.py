"""Forecasts, their intervals and the probability of meeting a target.

Checked against independent computations: statsmodels' ETS implementation (same
parameters -> same residuals, forecasts and closed-form variances), the textbook variance
formula by hand, a Student t CDF integrated by hand, Monte Carlo draws made here, a plain
loop over the public API for the calibration, and rolling-origin coverage on real data.
"""

from __future__ import annotations

import csv
import math
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from stocktake.analysis import ets, ets_batch
from stocktake.analysis.backtest import backtest
from stocktake.analysis.forecast import (
    ForecastError,
    forecast,
    probability_of_meeting,
)
from stocktake.errors import Invalid
from stocktake.model.entities import Polarity

DATA = Path(__file__).parents[3] / "shared" / "data"


def years(start: int, n: int) -> list[str]:
    return [str(start + i) for i in range(n)]


def quarters(start_year: int, n: int) -> list[str]:
    return [f"{start_year + i // 4}-Q{i % 4 + 1}" for i in range(n)]


def trend_series(n: int, seed: int, sigma: float = 2.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 50.0 + 0.8 * np.arange(n) + rng.normal(0.0, sigma, n)


# -- the ETS engine against statsmodels -------------------------------------------------
def fit_at(y: np.ndarray, spec, alpha: float, beta: float, gamma: float, phi: float):
    """Our model at fixed smoothing parameters, initial states profiled out."""
    row = np.array([[alpha, beta / alpha, phi, gamma / (1 - alpha)]])
    sse, x0 = ets._profile_sse(y, spec, row)
    p = {"alpha": alpha, "beta": beta, "gamma": gamma, "phi": phi}
    state, resid = ets._filter(y, spec, p, x0[0])
    fit = ets._Fit(spec, alpha, beta, gamma, phi, x0[0], state, resid, float(sse[0]), 1.0, 0.0)
    return fit


def test_damped_trend_matches_statsmodels_at_the_same_parameters():
    rng = np.random.default_rng(3)
    y = 50 + 0.8 * np.arange(30) + np.cumsum(rng.normal(0, 1, 30)) + rng.normal(0, 2, 30)
    fit = fit_at(y, ets._Spec(trend=True, m=0), alpha=0.4, beta=0.1, gamma=0.0, phi=0.9)
    assert fit.sse == pytest.approx(float(np.sum(fit.residuals**2)), rel=1e-9)
    sm = ETSModel(pd.Series(y), trend="add", damped_trend=True).smooth(
        [0.4, 0.1, 0.9, fit.x0[0], fit.x0[1]]
    )
    assert fit.sse == pytest.approx(sm.sse, rel=1e-9)
    # the profiled initial states are optimal: nudging them only raises statsmodels' SSE
    for dx in ([0.5, 0.0], [0.0, 0.05], [-0.3, -0.02]):
        nudged = [0.4, 0.1, 0.9, fit.x0[0] + dx[0], fit.x0[1] + dx[1]]
        assert ETSModel(pd.Series(y), trend="add", damped_trend=True).smooth(nudged).sse > sm.sse
    pred = sm.get_prediction(start=30, end=35)
    np.testing.assert_allclose(fit.mean(6), np.asarray(pred.predicted_mean), rtol=1e-9)
    # statsmodels uses the closed-form AAdN variance (Hyndman et al. 2008, table 6.1);
    # we use the recursion 1 + sum c_j^2.
    np.testing.assert_allclose(
        fit.relative_variance(6), np.asarray(pred.forecast_variance) / sm.mse, rtol=1e-9
    )


@pytest.mark.parametrize("m", [4, 12])
def test_seasonal_model_matches_statsmodels_at_the_same_parameters(m):
    rng = np.random.default_rng(5)
    n = 10 * m
    pattern = rng.normal(0, 3, m)
    y = 50 + np.cumsum(rng.normal(0, 1, n)) + np.tile(pattern, 10) + rng.normal(0, 1, n)
    fit = fit_at(y, ets._Spec(trend=True, m=m), alpha=0.3, beta=0.1, gamma=0.2, phi=0.9)
    assert abs(sum(fit.x0[2:])) < 1e-9  # seasonal states sum to zero
    mod = ETSModel(pd.Series(y), trend="add", damped_trend=True, seasonal="add", seasonal_periods=m)
    sm = mod.smooth([0.3, 0.1, 0.2, 0.9, *fit.x0])
    assert fit.sse == pytest.approx(sm.sse, rel=1e-9)
    pred = sm.get_prediction(start=n, end=n + 2 * m + 1)
    np.testing.assert_allclose(fit.mean(2 * m + 2), np.asarray(pred.predicted_mean), rtol=1e-9)
    # the variance jumps by the seasonal term at h = m + 1 and 2m + 1
    np.testing.assert_allclose(
        fit.relative_variance(2 * m + 2),
        np.asarray(pred.forecast_variance) / sm.mse,
        rtol=1e-9,
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fit_is_as_good_as_statsmodels_maximum_likelihood(seed):
    rng = np.random.default_rng(seed)
    y = 100 + np.cumsum(rng.normal(0.3, 1, 36)) + rng.normal(0, 1, 36)
    ours = ets_batch._fit(y, ets._Spec(trend=True, m=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = ETSModel(pd.Series(y), trend="add", damped_trend=True).fit(disp=False)
    # Our grid must reach (within 1%) the SSE of statsmodels' optimiser, whose phi lies in
    # our range [0.8, 1].
    assert ours.sse <= theirs.sse * 1.01


# -- intervals on a series whose truth is known -----------------------------------------
def test_model_sd_is_the_textbook_damped_trend_formula():
    y = trend_series(40, seed=11)
    fc = forecast(y, years(1980, 40), "2025", period_type="year")
    p = fc.params
    alpha, beta, phi, sigma = p["alpha"], p["beta"], p["phi"], p["sigma"]
    # Var(h-step) = sigma^2 (1 + sum_{j=1}^{h-1} (alpha + beta (phi + ... + phi^j))^2)
    expected = []
    for h in range(1, 7):
        total = 1.0
        for j in range(1, h):
            total += (alpha + beta * sum(phi**i for i in range(1, j + 1))) ** 2
        expected.append(sigma * math.sqrt(total))
    np.testing.assert_allclose(fc.model_sd, expected, rtol=1e-9)


def test_interval_widths_near_theory_for_a_gaussian_linear_trend():
    """y = 50 + 0.8 t + N(0, 2^2), 60 years. The theoretical h-step sd with the trend
    estimated by least squares is sigma sqrt(1 + 1/n + (t_h - mean t)^2 / Sxx), about 2.07;
    the ideal 80% interval is +/- 1.2816 of that."""
    n, sigma, reps = 60, 2.0, 12
    t = np.arange(n)
    sxx = float(np.sum((t - t.mean()) ** 2))
    theory = np.array(
        [sigma * math.sqrt(1 + 1 / n + (n - 1 + h - t.mean()) ** 2 / sxx) for h in range(1, 6)]
    )
    model_ratio, width_ratio, sigmas = [], [], []
    for rep in range(reps):
        fc = forecast(trend_series(n, seed=100 + rep), years(1900, n), "1964", period_type="year")
        model_ratio.append(np.array(fc.model_sd) / theory)
        width = np.array(fc.upper[0.8]) - np.array(fc.lower[0.8])
        width_ratio.append(width / (2 * stats.norm.ppf(0.9) * theory))
        sigmas.append(fc.params["sigma"])
    assert np.median(sigmas) == pytest.approx(sigma, rel=0.15)
    # The model's own sd matches theory closely ...
    assert np.all(np.abs(np.median(model_ratio, axis=0) - 1) < 0.15)
    # ... and calibration on the series' own past errors widens it only modestly here
    # (Student t with finite df, and early origins that had fewer points to learn from).
    med = np.median(width_ratio, axis=0)
    assert np.all(med > 0.9) and np.all(med < 1.4), med


# -- the probability of meeting a target ------------------------------------------------
def _t_cdf_by_hand(x: float, loc: float, scale: float, df: float) -> float:
    """Student t CDF by Simpson's rule on the density, from far in the lower tail."""
    c = math.gamma((df + 1) / 2) / (math.sqrt(df * math.pi) * math.gamma(df / 2))
    z_hi = (x - loc) / scale
    z_lo = min(z_hi, 0.0) - 400.0
    steps = 400_000
    h = (z_hi - z_lo) / steps
    zs = np.linspace(z_lo, z_hi, steps + 1)
    dens = c * (1 + zs**2 / df) ** (-(df + 1) / 2)
    weights = np.ones(steps + 1)
    weights[1:-1:2], weights[2:-1:2] = 4, 2
    return float(h / 3 * np.sum(weights * dens))


def test_probability_of_meeting_against_hand_cdf_and_monte_carlo():
    y = trend_series(30, seed=4)
    fc = forecast(y, years(1990, 30), "2024", period_type="year")
    assert fc.target_period == "2024"
    loc, scale, df = fc.mean[-1], fc.scale[-1], fc.df[-1]
    target = loc + 0.7 * scale
    p_up = probability_of_meeting(fc, target, "up")
    p_down = probability_of_meeting(fc, target, Polarity.DOWN)
    by_hand = 1.0 - _t_cdf_by_hand(target, loc, scale, df)
    assert p_up == pytest.approx(by_hand, abs=1e-6)
    assert p_down == pytest.approx(1.0 - by_hand, abs=1e-6)
    # Monte Carlo from draws made here (not the forecast's own sampler)
    draws = loc + scale * np.random.default_rng(9).standard_t(df, size=400_000)
    assert p_up == pytest.approx(np.mean(draws >= target), abs=0.004)
    # the sd reported is the t's: scale * sqrt(df / (df - 2))
    assert fc.sd[-1] == pytest.approx(scale * math.sqrt(df / (df - 2)))
    # and the forecast's own sampler draws from the same distribution
    own = fc.sample(200_000, rng=1)
    assert np.mean(own >= target) == pytest.approx(p_up, abs=0.005)
    # intervals are the t quantiles
    lo, hi = fc.lower[0.95][-1], fc.upper[0.95][-1]
    assert _t_cdf_by_hand(hi, loc, scale, df) - _t_cdf_by_hand(lo, loc, scale, df) == (
        pytest.approx(0.95, abs=1e-6)
    )


def test_probability_at_an_earlier_forecast_period_and_far_targets():
    fc = forecast(trend_series(25, seed=8), years(2000, 25), "2030", period_type="year")
    assert fc.periods == ("2025", "2026", "2027", "2028", "2029", "2030")
    p = probability_of_meeting(fc, fc.mean[0], "up", period="2025")
    assert p == pytest.approx(0.5, abs=1e-9)
    assert probability_of_meeting(fc, fc.mean[-1] - 100 * fc.sd[-1], "up") > 0.999
    assert probability_of_meeting(fc, fc.mean[-1] - 100 * fc.sd[-1], "down") < 0.001


# -- calibration: a plain loop over the public API --------------------------------------
def _quantile_by_bisection(p: float, c0: float, atoms: list[float], weights: list[float]) -> float:
    """The smallest x with c0 P(|T_4| <= x) + sum(weights of atoms <= x) >= p, by bisection
    on scipy's t (independent of analysis.calibration's closed-form search)."""
    def cdf(x: float) -> float:
        held = sum(w for a, w in zip(atoms, weights, strict=True) if a <= x)
        return c0 * (2 * stats.t.cdf(x, 4) - 1) + held

    lo, hi = 0.0, 1e3
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if cdf(mid) >= p else (mid, hi)
    return hi


def test_per_level_calibration_by_a_plain_loop_over_earlier_origins():
    """The 80% and 95% half-widths of analysis.calibration, rebuilt from forecast() calls at
    every earlier origin, mixtures solved by bisection and the t found by a root search."""
    from scipy import optimize

    y = trend_series(20, seed=21, sigma=3.0) + np.sin(np.arange(20)) * 4
    codes = years(2000, 20)
    fc = forecast(y, codes, "2021", period_type="year")
    z = {1: [], 2: []}
    for o in range(5, 20):  # every earlier origin with at least 5 points
        past = forecast(y[:o], codes[:o], str(2000 + o + 1), period_type="year")
        for h in (1, 2):
            if o + h - 1 < 20:
                z[h].append((y[o + h - 1] - past.mean[h - 1]) / past.model_sd[h - 1])
    assert fc.calibration_errors == (len(z[1]), len(z[2]))
    # The previous method's variance factors (their t's 95% point is a floor for the 95%)
    f1 = (4.0 * 1.0 + sum(v * v for v in z[1])) / (4.0 + len(z[1]))
    f2 = (4.0 * f1 + sum(v * v for v in z[2])) / (4.0 + len(z[2]))
    var95 = [math.sqrt(f1) * stats.t.ppf(0.975, 4 + len(z[1])),
             math.sqrt(f2) * stats.t.ppf(0.975, 4 + len(z[2]) / 2)]

    def weights(errs: list[float], half_life: float | None) -> list[float]:
        r = [0.5 ** ((len(errs) - 1 - i) / half_life) if half_life else 1.0
             for i in range(len(errs))]
        return [v * len(errs) / sum(r) / (4.0 + len(errs)) for v in r]

    half = []
    for p, half_life in ((0.8, 5.0), (0.95, None)):
        k1, k2 = 4 / (4 + len(z[1])), 4 / (4 + len(z[2]))
        w1, w2 = weights(z[1], half_life), weights(z[2], half_life)
        q1 = _quantile_by_bisection(p, k1, [abs(v) for v in z[1]], w1)
        q2 = _quantile_by_bisection(p, k1 * k2, [abs(v) for v in z[1] + z[2]],
                                    [w * k2 for w in w1] + w2)
        half.append([q1, q2])
    half[1] = [max(q, v) for q, v in zip(half[1], var95, strict=True)]
    h80 = np.maximum.accumulate(np.array(half[0]) * fc.model_sd)
    h95 = np.maximum.accumulate(np.array(half[1]) * fc.model_sd)
    for i in range(2):
        def gap(d: float, i: int = i) -> float:
            return stats.t.ppf(0.975, d) / stats.t.ppf(0.9, d) - h95[i] / h80[i]

        df = (3.0 if gap(3.0) < 0 else 200.0 if gap(200.0) > 0
              else optimize.brentq(gap, 3.0, 200.0, xtol=1e-12))
        assert fc.df[i] == pytest.approx(df, rel=1e-3)
        assert fc.scale[i] == pytest.approx(h80[i] / stats.t.ppf(0.9, df), rel=1e-4)
        # the intervals are the t's: its 80% half-width is the one estimated
        assert fc.upper[0.8][i] - fc.mean[i] == pytest.approx(h80[i], rel=1e-4)


def test_backtest_scores_exactly_what_forecast_returns_and_never_looks_ahead():
    y = trend_series(24, seed=2) + np.cos(np.arange(24)) * 3
    codes = years(1990, 24)
    result = backtest({"s": (codes, y)}, "year", min_train=10, horizons=3)
    by_origin = defaultdict(dict)
    for r in result.records:
        by_origin[r.origin][r.horizon] = r
    for o in (10, 15, 21):
        fc = forecast(
            y[:o], codes[:o], codes[o - 1 + 3] if o + 2 < 24 else "2016", period_type="year"
        )
        for h, rec in by_origin[codes[o - 1]].items():
            assert rec.mean == pytest.approx(fc.mean[h - 1], rel=1e-12)
            assert rec.lower[0] == pytest.approx(fc.lower[0.8][h - 1], rel=1e-12)
            assert rec.upper[1] == pytest.approx(fc.upper[0.95][h - 1], rel=1e-12)
    # changing the values after an origin leaves that origin's forecasts untouched
    y2 = y.copy()
    y2[15:] += 50.0
    other = backtest({"s": (codes, y2)}, "year", min_train=10, horizons=3)
    before = [(r.mean, r.lower, r.upper) for r in result.records if int(r.origin) <= 2004]
    after = [(r.mean, r.lower, r.upper) for r in other.records if int(r.origin) <= 2004]
    assert before == after
    assert result.n_forecasts == sum(min(3, 24 - o) for o in range(10, 24))


def test_backtest_coverage_and_mase_by_hand():
    y = trend_series(22, seed=31)
    codes = years(1990, 22)
    res = backtest({"a": (codes, y)}, "year", min_train=12, horizons=[1, 2])
    recs = res.records
    assert res.coverage[0.8] == pytest.approx(
        np.mean([r.lower[0] <= r.actual <= r.upper[0] for r in recs])
    )
    assert res.coverage_by_horizon[0.95][2] == pytest.approx(
        np.mean([r.lower[1] <= r.actual <= r.upper[1] for r in recs if r.horizon == 2])
    )
    # MASE: |error| over the in-sample MAE of the naive forecast, by hand for one record
    r = recs[0]
    o = codes.index(r.origin) + 1
    naive_mae = np.mean(np.abs(np.diff(y[:o])))
    assert r.scaled_error == pytest.approx(abs(r.actual - r.mean) / naive_mae)
    assert res.mase == pytest.approx(np.mean([x.scaled_error for x in recs]))


# -- model choice -----------------------------------------------------------------------
def test_short_series_fall_back_to_simple_exponential_smoothing():
    fc = forecast([3.0, 4.0, 3.5, 5.0, 4.5, 5.5, 5.0], years(2010, 7), "2019", period_type="year")
    assert fc.model == "ETS(A,N,N)"
    assert set(fc.params) == {"alpha", "sigma", "aicc"}
    assert any("short series" in n for n in fc.notes)
    assert len(set(np.round(fc.mean, 9))) == 1  # a flat forecast


def test_monthly_seasonality_is_found():
    rng = np.random.default_rng(13)
    n = 36
    codes = [f"{2015 + i // 12}-{i % 12 + 1:02d}" for i in range(n)]
    y = 80 + np.cumsum(rng.normal(0, 1, n)) + 10 * np.sin(np.arange(n) * 2 * np.pi / 12)
    fc = forecast(y, codes, "2018-06", period_type="month")
    assert fc.model.endswith(",A)") and fc.params["season_length"] == 12
    assert len(fc.periods) == 6


def test_seasonality_is_chosen_when_present_and_not_when_absent():
    rng = np.random.default_rng(12)
    n = 32
    base = 200 + np.cumsum(rng.normal(0, 1, n))
    seasonal = forecast(
        base + np.tile([12.0, -6.0, 9.0, -15.0], n // 4),
        quarters(2010, n),
        "2019-Q4",
        period_type="quarter",
    )
    assert seasonal.model.endswith(",A)")
    assert "gamma" in seasonal.params
    plain = forecast(base, quarters(2010, n), "2019-Q4", period_type="quarter")
    assert plain.model.endswith(",N)")
    assert any("AICc" in note for note in plain.notes)
    # too short for a seasonal model: says so
    short = forecast(base[:12], quarters(2010, 12), "2013-Q2", period_type="quarter")
    assert short.model.endswith(",N)")
    assert any("too few points for a seasonal model" in note for note in short.notes)
    assert forecast(
        base, quarters(2010, n), "2018-Q1", period_type="quarter", seasonal=True
    ).model.endswith(",A)")


# -- missing values and bad input -------------------------------------------------------
def test_single_gaps_are_interpolated_and_listed():
    y = list(trend_series(15, seed=1))
    y[6] = float("nan")
    fc = forecast(y, years(2000, 15), "2016", period_type="year")
    assert fc.interpolated == ("2006",)
    assert fc.n_observations == 14
    # a missing period code counts as a gap too, the same way
    codes = years(2000, 15)
    fc2 = forecast(y[:6] + y[7:], codes[:6] + codes[7:], "2016", period_type="year")
    assert fc2.interpolated == ("2006",) and fc2.mean == fc.mean


@pytest.mark.parametrize(
    ("values", "periods", "horizon_to", "kwargs", "message"),
    [
        ([1.0, 2.0, 3.0, 4.0], years(2000, 4), "2006", {}, "at least 5"),
        ([1.0, 2.0, 3.0], years(2000, 4), "2006", {}, "3 values but 4 periods"),
        (
            [1, 2, float("nan"), float("nan"), 5, 6, 7],
            years(2000, 7),
            "2009",
            {},
            "2 consecutive periods have no value (2002 to 2003)",
        ),
        ([float("nan"), 2, 3, 4, 5, 6, 7], years(2000, 7), "2009", {}, "no value for 2000"),
        ([1, 2, 3, 4, 5, 6, None], years(2000, 7), "2009", {}, "no value for 2006"),
        ([1, 2, 3, 4, float("inf"), 6], years(2000, 6), "2009", {}, "2004 is infinite"),
        ([1, 2, "x", 4, 5, 6], years(2000, 6), "2009", {}, "'x' for 2002 is not a number"),
        ([1, 2, 3, 4, 5, 6], years(2000, 6), "2004", {}, "not after the last observed"),
        ([1, 2, 3, 4, 5, 6], years(2000, 6), "2005", {}, "not after the last observed"),
        (
            [1, 2, 3, 4, 5, 6],
            ["2000", "2001", "2001", "2003", "2004", "2005"],
            "2009",
            {},
            "2001 follows 2001",
        ),
        (
            [1, 2, 3, 4, 5, 6],
            ["2000", "2001", "2002-Q1", "2003", "2004", "2005"],
            "2009",
            {},
            "position 2",
        ),
        ([1, 2, 3, 4, 5, 6], years(2000, 6), "2009-Q1", {}, "horizon_to"),
        (
            [1, 2, 3, 4, 5, 6],
            years(2000, 6),
            "2009",
            {"period_type": "decade"},
            "period_type 'decade'",
        ),
        ([1, 2, 3, 4, 5, 6], years(2000, 6), "2009", {"levels": (0.8, 1.0)}, "level 1.0"),
        (
            [1, 2, 3, 4, 5, 6],
            years(2000, 6),
            "2009",
            {"seasonal": True},
            "quarterly and monthly data, not year",
        ),
        (
            list(range(10)),
            quarters(2000, 10),
            "2004-Q1",
            {"period_type": "quarter", "seasonal": True},
            "at least 14 quarters",
        ),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(values, periods, horizon_to, kwargs, message):
    kwargs = {"period_type": "year", **kwargs}
    with pytest.raises(ForecastError) as err:
        forecast(values, periods, horizon_to, **kwargs)
    assert message in str(err.value)
    assert isinstance(err.value, Invalid)  # the user's to put right


def test_bad_probability_and_backtest_input():
    fc = forecast(trend_series(12, seed=0), years(2000, 12), "2014", period_type="year")
    with pytest.raises(ForecastError, match="neutral"):
        probability_of_meeting(fc, 60.0, "neutral")
    with pytest.raises(ForecastError, match="must be 'up' or 'down'"):
        probability_of_meeting(fc, 60.0, "higher")
    with pytest.raises(ForecastError, match="not finite"):
        probability_of_meeting(fc, float("nan"), "up")
    with pytest.raises(ForecastError, match="2016 is not a forecast period"):
        probability_of_meeting(fc, 60.0, "up", period="2016")
    good = (years(2000, 12), list(trend_series(12, seed=0)))
    bad = (years(2000, 16), [1.0, 2.0] + [float("nan")] * 3 + [5.0] * 11)
    with pytest.raises(ForecastError, match="series 'bad': 3 consecutive periods"):
        backtest({"good": good, "bad": bad}, "year")
    with pytest.raises(ForecastError, match="min_train 3"):
        backtest({"good": good}, "year", min_train=3)
    with pytest.raises(ForecastError, match="horizons"):
        backtest({"good": good}, "year", horizons=[0, 1])
    with pytest.raises(ForecastError, match="no forecast could be scored"):
        backtest({"good": good}, "year", min_train=12)
    # a series too short to score is skipped and listed, not an error
    res = backtest({"good": good, "short": (years(2000, 3), [1.0, 2.0, 3.0])}, "year")
    assert res.skipped == ("short",) and res.n_series == 1


# -- honesty on real data ---------------------------------------------------------------
def _need_data() -> None:
    if not DATA.is_dir():
        pytest.skip(f"real data folder {DATA} is absent (it sits beside the repository)")


def _read(name: str) -> list[dict[str, str]]:
    with open(DATA / name, newline="") as fh:
        return list(csv.DictReader(fh))


def crime_rate_series() -> dict[str, tuple[list[str], list[float]]]:
    """Violent crime, property crime and homicide per 100,000, every state and DC."""
    out: dict[str, tuple[list[str], list[float]]] = {}
    rows = [r for r in _read("us_state_crime_ucr_1979_2019.csv") if r["level"] == "state"]
    rows.sort(key=lambda r: (r["state"], int(r["year"])))
    for ind in ("violent_crime", "property_crime", "homicide"):
        for r in rows:
            codes, vals = out.setdefault(f"{r['state']}/{ind}", ([], []))
            codes.append(r["year"])
            vals.append(float(r[ind]) / float(r["population"]) * 1e5)
    return out


def prisoner_series() -> dict[str, tuple[list[str], list[float]]]:
    """The 32 bottom series (state x sex x legal status) and the 8 state totals."""
    out: dict[str, tuple[list[str], list[float]]] = {}
    rows = _read("au_state_prisoners_quarterly_2005_2016.csv")
    rows.sort(key=lambda r: (r["state"], r["quarter"]))
    cols = [c for c in rows[0] if c.startswith("prisoners_")]
    for r in rows:
        for c in [*cols, "total"]:
            v = sum(float(r[k]) for k in cols) if c == "total" else float(r[c])
            codes, vals = out.setdefault(f"{r['state']}/{c}", ([], []))
            codes.append(r["quarter"])
            vals.append(v)
    return out


def gapminder_series(every: int = 4) -> dict[str, tuple[list[str], list[float]]]:
    """Infant mortality, life expectancy and fertility for every 4th country in
    alphabetical order, each from the end of its last gap of two or more years."""
    by_country: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in _read("country_health_gapminder_1960_2016.csv"):
        by_country[r["country"]].append(r)
    out: dict[str, tuple[list[str], list[float]]] = {}
    for country in sorted(by_country)[::every]:
        rows = sorted(by_country[country], key=lambda r: int(r["year"]))
        for ind in ("infant_mortality", "life_expectancy", "fertility"):
            vals = [float(r[ind]) if r[ind] else math.nan for r in rows]
            codes = [r["year"] for r in rows]
            while vals and math.isnan(vals[-1]):
                vals, codes = vals[:-1], codes[:-1]
            start = 0
            for i in range(1, len(vals)):
                if math.isnan(vals[i - 1]) and math.isnan(vals[i]):
                    start = i + 1
            while start < len(vals) and math.isnan(vals[start]):
                start += 1
            out[f"{country}/{ind}"] = (codes[start:], vals[start:])
    return out


@pytest.mark.slow  # 20-30 s: thousands of rolling-origin forecasts; CI runs it
@pytest.mark.parametrize(
    ("name", "loader", "period_type"),
    [
        ("US state crime rates, annual 1979-2019", crime_rate_series, "year"),
        ("Australian prisoners, quarterly 2005-2016", prisoner_series, "quarter"),
        ("Gapminder country health, annual 1960-2016", gapminder_series, "year"),
    ],
)
def test_interval_coverage_on_real_data_is_within_10_points(name, loader, period_type):
    _need_data()
    result = backtest(loader(), period_type)
    print(f"\n{name}\n{result.summary()}")
    for level in (0.8, 0.95):
        assert abs(result.coverage[level] - level) <= 0.10, (level, result.coverage[level])
    assert result.n_forecasts > 5000


@pytest.mark.slow  # 3 s: a backtest over the whole prisoner panel; CI runs it
def test_the_model_own_intervals_would_be_too_narrow_on_real_data():
    """Why the calibration exists: on the prisoner panel, plain ETS intervals cover far
    less than they claim, and worse the further ahead."""
    _need_data()
    plain = backtest(prisoner_series(), "quarter", calibrate=False)
    print(f"\n{plain.summary()}")
    assert plain.coverage[0.8] < 0.70 and plain.coverage[0.95] < 0.85
    assert plain.coverage_by_horizon[0.8][8] < plain.coverage_by_horizon[0.8][1]


def test_weekly_season_is_calibrated_on_a_year_of_origins_equally_weighted():
    """A weekly series read as the change from a year earlier: its half-widths rebuilt from
    forecast() calls at each of the 60 earlier weeks (not the 30 of other series), every
    error weighing the same (no recency), mixtures solved by bisection on scipy's t."""
    from scipy import optimize

    from stocktake.analysis.forecast import Bounds
    from stocktake.model.periods import Period

    rng = np.random.default_rng(17)
    n = 170
    t = np.arange(n + 1)
    mu = 2.0 * np.exp(2.5 * np.cos(2 * np.pi * t / 52.18) - 1.5)
    y = rng.negative_binomial(5, 5 / (5 + mu)).astype(float)
    start = Period.parse("2020-W01", "week")
    codes = [start.shift(i).code for i in range(n + 1)]
    count = Bounds(min=0, integer=True)
    fc = forecast(y[:n], codes[:n], codes[n], period_type="week", bounds=count)
    assert "year earlier" in fc.model and any("60 earlier weeks" in x for x in fc.notes)
    least = max(0.5, 0.1 * fc.model_sd[0])  # an earlier sd counts as at least this
    z = []
    for o in range(n - 60, n):
        past = forecast(y[:o], codes[:o], codes[o], period_type="week", bounds=count)
        assert "year earlier" in past.model
        z.append((math.sqrt(y[o]) - past.location[0]) / max(past.model_sd[0], least))
    assert fc.calibration_errors == (60,)
    k0, w = 4 / 64, [1 / 64] * 60  # prior weight 4; equal weights
    h80 = _quantile_by_bisection(0.8, k0, [abs(v) for v in z], w)
    factor = (4.0 + sum(v * v for v in z)) / 64
    h95 = max(_quantile_by_bisection(0.95, k0, [abs(v) for v in z], w),
              math.sqrt(factor) * stats.t.ppf(0.975, 64))
    h80, h95 = (max(h * fc.model_sd[0], 0.5 * stats.norm.ppf(q))
                for h, q in ((h80, 0.9), (h95, 0.975)))

    def gap(d: float) -> float:
        return stats.t.ppf(0.975, d) / stats.t.ppf(0.9, d) - h95 / h80

    df = (3.0 if gap(3.0) < 0 else 200.0 if gap(200.0) > 0
          else optimize.brentq(gap, 3.0, 200.0, xtol=1e-12))
    assert fc.df[0] == pytest.approx(df, rel=1e-3)
    assert fc.scale[0] == pytest.approx(h80 / stats.t.ppf(0.9, df), rel=1e-4)
