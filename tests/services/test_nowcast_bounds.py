"""A nowcast of a count keeps within the indicator's bounds: the same Student t interval,
censored at min and rounded to whole numbers, worked out here from scipy's t."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from stocktake.analysis.forecast import Bounds
from stocktake.services.reading.nowcast import _bounded


def test_count_nowcast_interval_is_censored_and_whole():
    df, loc, spread = 9.0, 1.2, 2.0
    step = {"step": 1, "nowcast": loc}
    for lv in (80, 95):
        q = stats.t.ppf(0.5 + lv / 200, df)
        step[f"lower_{lv}"], step[f"upper_{lv}"] = loc - q * spread, loc + q * spread
    assert step["lower_80"] < 0  # what the plain t gives a count
    out = _bounded(step, [80, 95], df, Bounds(min=0, integer=True, scale="identity"))
    for lv in (80, 95):
        q = stats.t.ppf(0.5 + lv / 200, df)
        # Whole k holds the continuous values in [k - 0.5, k + 0.5); below 0 sits on 0.
        assert out[f"lower_{lv}"] == max(0, math.ceil(loc - q * spread - 0.5))
        assert out[f"upper_{lv}"] == math.ceil(loc + q * spread - 0.5)
    assert out["lower_80"] == 0 and out["nowcast"] == loc


def test_percent_nowcast_is_kept_below_its_ceiling_and_unbounded_is_untouched():
    df = 12.0
    q = stats.t.ppf(0.9, df)
    step = {"step": 2, "nowcast": 99.5, "lower_80": 99.5 - q, "upper_80": 99.5 + q}
    out = _bounded(step, [80], df, Bounds(min=0, max=100, scale="identity"))
    assert out["upper_80"] == 100.0 and out["lower_80"] == pytest.approx(99.5 - q)
    assert _bounded(step, [80], df, Bounds()) is step
