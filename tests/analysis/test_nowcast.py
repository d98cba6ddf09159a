"""Nowcasts from lead indicators, checked against simulations, statsmodels and plain loops."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from stocktake.analysis.nowcast import nowcast
from stocktake.errors import Invalid

LAG, SLOPE, NOISE = 3, 0.8, 0.1


def _simulate(seed: int = 1, periods: int = 90, hidden: int = 3):
    """y's changes = 0.8 x the lead's changes 3 periods earlier + small noise. The headline's
    last ``hidden`` periods are blanked (the truth to nowcast); the lead is complete."""
    rng = np.random.default_rng(seed)
    x = 50 + rng.normal(0, 1, periods).cumsum()
    dy = np.zeros(periods)
    dy[LAG + 1:] = SLOPE * np.diff(x)[:periods - LAG - 1] + rng.normal(0, NOISE,
                                                                        periods - LAG - 1)
    truth = 100 + dy.cumsum()
    y = truth.copy()
    y[periods - hidden:] = np.nan
    return y, x, truth


def test_nowcast_of_hidden_periods_is_close_and_covered():
    y, x, truth = _simulate()
    r = nowcast(y, {"lead": x})
    assert r.lags == {"lead": LAG}
    assert r.last_index == 86
    # The lead (observed to index 89) reaches 3 periods past its end: 89 + 3 - 86 = 6 steps.
    assert [s["step"] for s in r.steps] == [1, 2, 3, 4, 5, 6]
    for s in r.steps[:3]:
        actual = truth[86 + s["step"]]
        assert abs(s["nowcast"] - actual) < 4 * NOISE * np.sqrt(s["step"])
        assert s["lower_95"] <= s["lower_80"] <= actual <= s["upper_80"] <= s["upper_95"]
    assert r.coefficients["lead"] == pytest.approx(SLOPE, abs=0.05)
    assert r.residual_sd == pytest.approx(NOISE, rel=0.3)


def test_fit_and_interval_equal_statsmodels_on_the_same_rows():
    y, x, _ = _simulate(seed=4)
    r = nowcast(y, {"lead": x}, lags={"lead": LAG})
    # Plain rows: change of y at t on change of x at t - 3, both observed.
    rows = [(y[t] - y[t - 1], x[t - LAG] - x[t - LAG - 1]) for t in range(LAG + 1, len(y))
            if np.isfinite(y[t]) and np.isfinite(y[t - 1])]
    dy, dx = map(np.array, zip(*rows, strict=True))
    ols = sm.OLS(dy, sm.add_constant(dx)).fit()
    assert r.coefficients["lead"] == pytest.approx(ols.params[1], rel=1e-9)
    assert r.df == int(ols.df_resid) and r.observations == len(rows)
    assert r.residual_sd == pytest.approx(np.sqrt(ols.scale), rel=1e-9)
    assert r.intercepts == [pytest.approx(ols.params[0], rel=1e-9)]
    # Step 2: the last level plus two predicted changes; its variance is two residual
    # variances plus statsmodels' variance of the summed prediction (the coefficients').
    summed = np.array([2.0, sum(x[86 + h - LAG] - x[86 + h - LAG - 1] for h in (1, 2))])
    pred = ols.get_prediction(summed[None, :])
    q = stats.t.ppf(0.975, ols.df_resid)
    step2 = r.steps[1]
    assert step2["nowcast"] == pytest.approx(y[86] + pred.predicted_mean[0], rel=1e-9)
    half = q * np.sqrt(2 * ols.scale + pred.se_mean[0] ** 2)
    assert step2["upper_95"] - step2["nowcast"] == pytest.approx(half, rel=1e-9)
    assert step2["nowcast"] - step2["lower_95"] == pytest.approx(half, rel=1e-9)


def test_backtest_beats_headline_only_and_naive_mae_matches_a_loop():
    y, x, _ = _simulate(seed=2, periods=60, hidden=0)
    r = nowcast(y, {"lead": x}, lags={"lead": LAG})
    b = r.backtest
    # 59 observed changes, the last third (20) are forecast.
    assert b["forecasts"] == 20 and b["skipped"] == 0
    assert b["first_index"] == 40 and b["last_index"] == 59
    errors = []
    for t in range(40, 60):
        drift = np.mean(np.diff(y[:t]))  # training mean change, data before t only
        errors.append(abs(y[t] - (y[t - 1] + drift)))
    assert b["mae_headline_only"] == pytest.approx(np.mean(errors), rel=1e-9)
    assert b["ratio"] < 0.3
    assert 0.6 <= b["coverage_80"] <= 1.0


def test_seasonal_monthly_headline_is_nowcast_with_its_seasonal_pattern():
    rng = np.random.default_rng(3)
    periods = 72
    pattern = np.tile(np.array([3, -1, -1, -1, 0, 0, 2, -2, 0, 0, 1, -1.0]), 6)
    x = 20 + rng.normal(0, 1, periods).cumsum()
    dy = np.zeros(periods)
    dy[LAG + 1:] = SLOPE * np.diff(x)[:periods - LAG - 1] + rng.normal(0, NOISE,
                                                                        periods - LAG - 1)
    truth = 100 + (dy + pattern).cumsum()
    y = truth.copy()
    y[-2:] = np.nan
    r = nowcast(y, {"lead": x}, season=12)
    assert r.seasonal and r.lags == {"lead": LAG} and len(r.intercepts) == 12
    # The same regression with month dummies in statsmodels (rows t = 4..69).
    t = np.arange(LAG + 1, 70)
    dummies = (t[:, None] % 12 == np.arange(12)).astype(float)
    ols = sm.OLS(np.diff(y)[t - 1], np.column_stack([dummies, np.diff(x)[t - LAG - 1]])).fit()
    assert r.coefficients["lead"] == pytest.approx(ols.params[12], rel=1e-9)
    assert r.intercepts == pytest.approx(list(ols.params[:12]), rel=1e-9)
    assert r.df == int(ols.df_resid) == 66 - 13
    for s in r.steps[:2]:
        assert s["lower_80"] <= truth[69 + s["step"]] <= s["upper_80"]
    # Without the seasonal means the pattern is noise: a much wider residual sd.
    plain = nowcast(y, {"lead": x}, season=0)
    assert not plain.seasonal and plain.residual_sd > 5 * r.residual_sd


@pytest.mark.parametrize(("kwargs", "message", "kind"), [
    ({"leads": {}}, "non-empty mapping", ValueError),
    ({"leads": {"lead": [1.0, 2.0]}}, "same grid", ValueError),
    ({"max_lag": 0}, "max_lag", Invalid),
    ({"lags": {"other": 2}}, "lags must name exactly the leads", Invalid),
    ({"lags": {"lead": 0}}, "lag of 'lead'", Invalid),
    ({"season": -1}, "season", Invalid),
    ({"backtest_fraction": 1.5}, "backtest_fraction", Invalid),
])
def test_bad_arguments_raise(kwargs, message, kind):
    y, x, _ = _simulate()
    args = {"leads": {"lead": x}} | kwargs
    with pytest.raises(kind, match=message):
        nowcast(y, **args)


def test_bad_data_raise():
    y, x, _ = _simulate()
    with pytest.raises(Invalid, match="infinite value at position 5"):
        nowcast(np.where(np.arange(y.size) == 5, np.inf, y), {"lead": x})
    with pytest.raises(Invalid, match="lead 'lead': no two consecutive"):
        nowcast(y, {"lead": np.full(y.size, np.nan)})
    with pytest.raises(Invalid, match="too little data"):
        nowcast(y[:7], {"lead": x[:7]}, lags={"lead": 3})
    with pytest.raises(Invalid, match="at least 2 observed"):
        nowcast(np.r_[1.0, np.full(9, np.nan)], {"lead": x[:10]})
