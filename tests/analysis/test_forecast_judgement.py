"""Forecasts a reader was misled by (docs/methods/forecast.md, "Found when the verdicts were
tried"), each change checked on a case computed independently of the code."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from stocktake.analysis.backtest import backtest
from stocktake.analysis.forecast import Bounds, forecast, forecast_many

# Australia's prisoners, the national total (the sum of the 32 series of
# au_state_prisoners_quarterly_2005_2016.csv), 2015-Q2 to 2016-Q3: up every quarter.
PRISONERS = [35921.0, 36067.0, 36983.0, 37830.0, 38641.0, 38992.0]
QUARTERS = ["2015-Q2", "2015-Q3", "2015-Q4", "2016-Q1", "2016-Q2", "2016-Q3"]
COUNT = Bounds(min=0, integer=True)


# Gapminder-like: a modelled rate falling in even steps (sd of the steps 0.13, mean -1.98)
STEADY = [80.0, 78.1, 76.0, 74.2, 72.1, 70.0, 68.1]
YEARS = [str(2000 + i) for i in range(len(STEADY))]


def _drift_by_hand(fc, y: list[float], h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The flat forecast plus the drift, computed apart from the code: the drift and its
    standard error by a regression of the steps on a constant (statsmodels), the simple
    exponential smoothing's h-step variance sigma^2 (1 + (h - 1) alpha^2) (Hyndman et al.
    2008, table 6.1) from the fitted alpha and sigma."""
    steps = np.diff(y)
    ols = sm.OLS(steps, np.ones((len(steps), 1))).fit()
    d, se = ols.params[0], ols.bse[0]
    a, sigma = fc.params["alpha"], fc.params["sigma"]
    flat = sigma**2 * (1 + (h - 1) * a**2)
    return d, np.sqrt(flat + (h * se) ** 2)


# -- 1. a short history that moved one way --------------------------------------------------
def test_a_short_steady_history_is_forecast_with_its_drift():
    fc = forecast(STEADY, YEARS, "2012", period_type="year")
    h = np.arange(1, 7)  # 2007 to 2012
    d, sd = _drift_by_hand(fc, STEADY, h)
    assert fc.model == "ETS(A,N,N) with drift"
    assert d == pytest.approx((68.1 - 80.0) / 6)
    assert fc.params["drift"] == pytest.approx(d)
    # alpha near 1 on a one-way history: the flat level is the last value, so the centre is
    # the last value plus h mean steps
    flat_level = fc.location[0] - d
    assert flat_level == pytest.approx(68.1, abs=0.01)
    assert fc.location == pytest.approx(flat_level + h * d, rel=1e-12)
    assert fc.model_sd == pytest.approx(sd, rel=1e-9)
    assert any("in even steps" in n and "mean step" in n for n in fc.notes)
    (many,) = forecast_many([{"values": STEADY, "periods": YEARS, "horizon_to": "2012",
                              "period_type": "year"}])
    assert many.model == fc.model and many.upper[0.8] == pytest.approx(fc.upper[0.8])


def test_the_calibration_reruns_the_drift_at_earlier_origins():
    # At origin 5 (to 2004) the procedure is the drift too: about 72.1 - 1.975 for 2005.
    res = backtest({"x": (YEARS, STEADY)}, "year", min_train=5, horizons=1)
    rec = res.records[0]
    assert rec.origin == "2004"
    assert rec.mean == pytest.approx(72.1 + (72.1 - 80.0) / 4, abs=0.01)
    # the previous engine (legacy) kept the flat forecast
    old = backtest({"x": (YEARS, STEADY)}, "year", min_train=5, horizons=1, legacy=True)
    assert old.records[0].mean == pytest.approx(72.1, abs=0.01)


def test_an_uneven_rise_stays_flat_and_says_why():
    # Australia's prisoners: up every quarter, but by 146 to 916 (steps' sd 0.56 of their
    # mean): on the real panels the drift of such runs did worse than the flat forecast
    fc = forecast(PRISONERS, QUARTERS, "2018-Q4", period_type="quarter", bounds=COUNT)
    assert fc.model == "ETS(A,N,N)"
    assert len(set(np.round(fc.location, 6))) == 1
    assert any("every step of the 6 points was up, but unevenly" in n for n in fc.notes)
    flat = forecast([3.0, 4.0, 3.5, 5.0, 4.5, 5.5, 5.0], YEARS, "2012", period_type="year")
    assert not any("unevenly" in n for n in flat.notes)


@pytest.mark.parametrize(
    ("values", "bounds", "why"),
    [
        ([3.0, 4.0, 3.5, 5.0, 4.5, 5.5, 5.0], None, "steps of both signs"),
        ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], COUNT, "small counts: no trend on the sqrt scale"),
        ([10.0, 11.0, 11.0, 12.0, 13.0, 14.0], None, "a step of zero"),
        ([1000.0, 1200.0, 1250.0, 1700.0, 1750.0, 1800.0], None, "uneven steps"),
    ],
)
def test_other_short_histories_stay_flat(values, bounds, why):  # no drift, no drift note
    fc = forecast(values, [str(2010 + i) for i in range(len(values))], "2020",
                  period_type="year", bounds=bounds)
    assert fc.model.startswith("ETS(A,N,N)"), why
    assert len(set(np.round(fc.location, 9))) == 1, why


def test_ten_points_keep_the_damped_trend():
    y = [float(v) for v in range(10, 20)]
    fc = forecast(y, [str(2000 + i) for i in range(10)], "2012", period_type="year")
    assert fc.model.startswith("ETS(A,A")


# -- 2. an interval many times the model's own sd -------------------------------------------
def test_an_interval_many_model_sds_wide_says_what_its_width_means():
    # a smooth rise that turned: the damped trend's one-step noise is nil, its past
    # forecasts missed by the turn
    y = [float(v) for v in list(range(1, 16)) + [14, 13, 12, 11, 10]]
    fc = forecast(y, [str(2000 + i) for i in range(20)], "2030", period_type="year")
    times = (fc.upper[0.8][-1] - fc.location[-1]) / fc.model_sd[-1]  # read off the interval
    assert times > 4
    (note,) = [n for n in fc.notes if n.startswith("the 80% interval for 2030")]
    assert f"is {times:.0f} times the model's own sd wide" in note
    assert "not as likely values" in note


def test_an_ordinary_interval_has_no_width_note():
    rng = np.random.default_rng(5)
    y = list(100 + np.cumsum(rng.normal(0, 1, 30)))
    fc = forecast(y, [str(1990 + i) for i in range(30)], "2022", period_type="year")
    assert (fc.upper[0.8][-1] - fc.location[-1]) / fc.model_sd[-1] < 4
    assert not any("times the model's own sd" in n for n in fc.notes)
