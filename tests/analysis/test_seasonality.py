"""Seasonality test and seasonal adjustment (analysis.seasonality), checked against statsmodels
OLS fits and against simulated series whose truth is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from statsmodels.tsa.seasonal import seasonal_decompose

from stocktake.analysis.seasonality import season_length, seasonal_adjustment
from stocktake.analysis.spc import read_chart, xmr
from stocktake.errors import StocktakeError
from stocktake.model.periods import Period


def codes(first: str, n: int) -> list[str]:
    p = Period.parse(first)
    return [p.shift(i).code for i in range(n)]


def weekly_mu(cs: list[str]) -> np.ndarray:
    """A winter-peaking infection profile: about 20 cases a week in summer, 90 at the peak."""
    week = np.array([int(c.split("-W")[1]) for c in cs])
    return 40 * np.exp(0.8 * np.cos(2 * np.pi * (week - 3) / 52))


def flagged_share(values: np.ndarray, cs: list[str]) -> float:
    r = xmr(values, cs)
    return float(np.mean([p.point_type != "common_cause" for p in r.points]))


def test_season_lengths():
    assert [season_length(t) for t in ("month", "quarter", "week", "year", "day")] == [
        12, 4, 52, None, None]


def _ols_f(d: np.ndarray, month: np.ndarray) -> tuple[float, float, int, int]:
    """statsmodels: detrended ~ C(month) against a constant."""
    frame = pd.DataFrame({"d": d, "month": month})
    full = smf.ols("d ~ C(month)", frame).fit()
    f, p, df1 = full.compare_f_test(smf.ols("d ~ 1", frame).fit())
    return f, p, int(df1), int(full.df_resid)


def test_f_test_and_profile_match_statsmodels_additive():
    cs = codes("2019-01", 60)
    rng = np.random.default_rng(4)
    month = np.arange(60) % 12
    y = 3 * np.sin(2 * np.pi * month / 12) + np.repeat([0.0, 1, 2, 4, 5], 12) + rng.normal(
        0, 1.5, 60)
    y[5] = -1.0  # a value <= 0: the additive model
    a = seasonal_adjustment(y, cs)
    assert a.model == "additive"
    assert a.window == ("2019-01", "2022-12")  # the latest 12 months are left out
    dec = seasonal_decompose(y[:48], period=12, model="additive", extrapolate_trend="period")
    d = y[:48] - dec.trend
    ok = np.isfinite(d)
    f, p, df1, df2 = _ols_f(d[ok], month[:48][ok])
    assert a.statistic == pytest.approx(f, rel=1e-9)
    assert a.p_value == pytest.approx(p, rel=1e-6)
    assert a.df == (df1, df2)
    assert a.detected and a.applied
    # The profile is classical decomposition's seasonal component.
    assert [a.profile[k] for k in range(1, 13)] == pytest.approx(dec.seasonal[:12], abs=1e-9)
    np.testing.assert_allclose(a.values[48:], y[48:] - dec.seasonal[:12], atol=1e-9)


def test_a_steady_trend_is_not_taken_for_seasonality():
    # Quarterly counts rising steadily: within each year Q4 > Q1, which one level per year
    # would call seasonal; the moving-average trend does not.
    cs = codes("2005-Q1", 48)
    rejected = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        y = 1000 + 12 * np.arange(48) + rng.normal(0, 8, 48)
        rejected += seasonal_adjustment(y, cs).detected
    assert rejected <= 3  # about 1% expected at alpha = 0.01


def test_multiplicative_profile_matches_statsmodels_on_logs():
    cs = codes("2018-01", 72)
    rng = np.random.default_rng(8)
    month = np.arange(72) % 12
    y = 100 * (1 + 0.5 * np.cos(2 * np.pi * month / 12)) * np.exp(rng.normal(0, 0.05, 72))
    a = seasonal_adjustment(y, cs)
    assert a.model == "multiplicative"
    dec = seasonal_decompose(np.log(y[:60]), period=12, model="additive",
                             extrapolate_trend="period")
    d = np.log(y[:60]) - dec.trend
    ok = np.isfinite(d)
    f, p, _, _ = _ols_f(d[ok], month[:60][ok])
    assert a.statistic == pytest.approx(f, rel=1e-9)
    assert a.p_value == pytest.approx(p, rel=1e-6, abs=1e-300)
    factors = np.exp(dec.seasonal[:12]) / np.exp(dec.seasonal[:12]).mean()
    np.testing.assert_allclose(a.values[60:], y[60:] / factors, rtol=1e-9)


def test_window_points_use_a_profile_from_the_other_years():
    cs = codes("2019-01", 48)
    rng = np.random.default_rng(2)
    month = np.arange(48) % 12
    y = 5 * np.cos(2 * np.pi * month / 12) + rng.normal(0, 1, 48)
    y[0] = -3.0
    a = seasonal_adjustment(y, cs)
    assert a.model == "additive" and a.applied
    # Window 2019-2021. Year 2020 is adjusted with the detrended values of the other years
    # only (plain loop).
    trend = seasonal_decompose(y[:36], period=12, extrapolate_trend="period").trend
    d = y[:36] - trend
    other = [i for i in range(36) if np.isfinite(d[i]) and not 12 <= i < 24]
    means = np.array([np.mean([d[i] for i in other if i % 12 == k]) for k in range(12)])
    effects = means - means.mean()
    np.testing.assert_allclose(a.values[12:24], y[12:24] - effects, atol=1e-9)


def test_week_53_is_read_as_week_52():
    cs = codes("2018-W01", 4 * 52 + 10)  # 2020 has an ISO week 53
    assert "2020-W53" in cs
    rng = np.random.default_rng(1)
    y = rng.poisson(weekly_mu(cs)).astype(float)
    a = seasonal_adjustment(y, cs)
    assert a.applied and a.season_length == 52 and len(a.profile) == 52
    i53, i52 = cs.index("2020-W53"), cs.index("2020-W52")
    # Inside the window, both are adjusted by the same (leave-2020-out) week-52 effect.
    assert y[i53] - a.values[i53] == pytest.approx(y[i52] - a.values[i52])


def test_too_short_or_not_seasonal_period_types_are_charted_raw():
    y = np.arange(30, dtype=float)
    a = seasonal_adjustment(y, codes("2024-01", 30))
    assert not a.applied and a.detected is None and "too little history" in a.reason
    b = seasonal_adjustment(y, codes("1990", 30))
    assert not b.applied and b.season_length is None and "no season" in b.reason
    np.testing.assert_array_equal(b.values, y)


def test_modes():
    cs = codes("2019-01", 60)
    rng = np.random.default_rng(3)
    y = 50 + rng.normal(0, 1, 60)  # no seasonality
    auto = seasonal_adjustment(y, cs)
    assert auto.detected is False and not auto.applied
    forced = seasonal_adjustment(y, cs, mode="on")
    assert forced.applied and "forced" in forced.reason
    seasonal = 50 + 10 * np.cos(2 * np.pi * np.arange(60) / 12) + rng.normal(0, 1, 60)
    off = seasonal_adjustment(seasonal, cs, mode="off")
    assert off.detected and not off.applied
    np.testing.assert_array_equal(off.values, seasonal)
    with pytest.raises(StocktakeError, match="seasonal mode 'maybe'"):
        seasonal_adjustment(y, cs, mode="maybe")


@pytest.mark.slow
def test_weekly_poisson_flags_about_as_often_as_independent_noise():
    cs = codes("2019-W01", 4 * 52)
    mu = weekly_mu(cs)
    raw, adjusted, noise = [], [], []
    for seed in range(120):
        rng = np.random.default_rng(seed)
        y = rng.poisson(mu).astype(float)
        a = seasonal_adjustment(y, cs)
        assert a.applied
        raw.append(flagged_share(y, cs))
        adjusted.append(flagged_share(a.values, cs))
        noise.append(flagged_share(rng.normal(size=len(cs)), cs))
    adjusted_a, noise_a = np.array(adjusted), np.array(noise)
    assert np.mean(raw) > 0.9  # the seasons themselves, read raw
    assert 0.04 < adjusted_a.mean() < 0.10
    assert abs(adjusted_a.mean() - noise_a.mean()) < 0.025
    assert np.quantile(adjusted_a, 0.95) <= 0.20
    assert (adjusted_a > 0.20).mean() <= 0.05  # independent noise: about 1%


def test_weekly_step_of_30_percent_is_flagged_within_weeks():
    cs = codes("2019-W01", 4 * 52)
    step_at = len(cs) - 26
    mu = weekly_mu(cs)
    mu[step_at:] *= 1.3
    delays = []
    for seed in range(60):
        y = np.random.default_rng(1000 + seed).poisson(mu).astype(float)
        r = read_chart(y, cs, polarity="down", suggest=False)
        hits = [i for i, p in enumerate(r.points[step_at:]) if p.point_type == "concern"]
        delays.append(hits[0] + 1 if hits else np.inf)
    delays_a = np.array(delays)
    assert np.isfinite(delays_a).mean() >= 0.95
    assert np.median(delays_a) <= 12  # measured: 9 weeks (benchmarks/spc_seasonal.py)


def test_monthly_summers_are_not_flagged():
    cs = codes("2019-01", 72)
    month = np.array([int(c[5:]) for c in cs])
    summer = np.isin(month, [6, 7, 8])
    raw_summer, adj_summer = [], []
    for seed in range(60):
        rng = np.random.default_rng(seed)
        y = 120 * (1 + 0.12 * np.cos(2 * np.pi * (month - 7) / 12)) + rng.normal(0, 4, 72)
        r_raw = xmr(y, cs, polarity="down")
        r_adj = read_chart(y, cs, polarity="down", suggest=False)
        assert r_adj.seasonal["applied"]
        raw_summer.append(np.mean([p.point_type == "concern" for p, s in
                                   zip(r_raw.points, summer, strict=True) if s]))
        adj_summer.append(np.mean([p.point_type == "concern" for p, s in
                                   zip(r_adj.points, summer, strict=True) if s]))
    assert np.mean(raw_summer) > 0.5
    assert np.mean(adj_summer) < 0.08


def test_read_chart_names_the_method_and_keeps_the_reported_values():
    cs = codes("2019-01", 60)
    y = 100 + 20 * np.cos(2 * np.pi * np.arange(60) / 12) + np.random.default_rng(0).normal(
        0, 2, 60)
    r = read_chart(y, cs, polarity="up")
    d = r.to_dict()
    assert d["method"] == "XmR (Making Data Count) on seasonally adjusted values"
    s = d["seasonal_adjustment"]
    assert s["detected"] and s["applied"] and s["season_length"] == 12
    assert s["method"].startswith("XmR on seasonally adjusted values")
    assert [p["observed"] for p in d["points"]] == pytest.approx(y.tolist())
    raw = read_chart(y, cs, polarity="up", seasonal="off").to_dict()
    assert raw["method"] == "XmR (Making Data Count)"
    assert [p["value"] for p in raw["points"]] == pytest.approx(y.tolist())


def test_many_series_at_once_read_as_one_at_a_time():
    from stocktake.analysis.seasonality import seasonal_adjustments

    cs = codes("2017-01", 96)
    rng = np.random.default_rng(21)
    month = np.arange(96) % 12
    rows = [100 + 10 * np.cos(2 * np.pi * month / 12) + rng.normal(0, 3, 96),  # seasonal
            100 + rng.normal(0, 3, 96),  # not seasonal
            np.exp(rng.normal(0, 0.1, 96)) * (50 + 20 * np.cos(2 * np.pi * month / 12)),
            5 * np.cos(2 * np.pi * month / 12) + rng.normal(0, 1, 96)]  # crosses zero
    rows[0][[10, 40]] = np.nan  # gaps
    together = seasonal_adjustments(np.array(rows), cs)
    for y, batch in zip(rows, together, strict=True):
        alone = seasonal_adjustment(y, cs)
        assert batch.to_dict() == alone.to_dict()
        np.testing.assert_array_equal(batch.values, alone.values)
    assert [t.applied for t in together] == [True, False, True, True]
    assert together[2].model == "multiplicative" and together[3].model == "additive"
