"""The headline chart with a seasonal SPC reading and rebases: reported values drawn, limits put
back on the reported scale, the method named, accepted and suggested rebases marked (the
suggested ones can be left off, as the public site does)."""

import re
from dataclasses import replace

import numpy as np

from stocktake.analysis.spc import read_chart
from stocktake.model.periods import Period
from stocktake.reports.charts import _reported_scale, headline_chart
from stocktake.results.readings import IndicatorInfo, SpcChart, UnitInfo
from stocktake.results.status import PriorityTrajectory
from tests.reports.trajectories import trajectory_reading


def _spc() -> SpcChart:
    p = Period.parse("2019-01")
    codes = [p.shift(i).code for i in range(60)]
    month = np.arange(60) % 12
    y = 100 + 15 * np.cos(2 * np.pi * month / 12) + np.random.default_rng(1).normal(0, 2, 60)
    y[36:] += 12  # a change of level in 2022
    reading = read_chart(y, codes, polarity="down", accepted_rebases=["2023-06"])
    return SpcChart.of(
        reading, indicator=IndicatorInfo(code="rate", name="Rate", unit_of_measure="per 1,000",
                                         polarity="down", period_type="month",
                                         aggregation="ratio", decimals=1),
        unit=UnitInfo(code="N", name="Nation", level="nation"),
        accepted_rebases=[{"period": "2023-06", "reason": "r", "accepted_by": "a",
                           "accepted_at": "2026-01-01T00:00:00"}])


def _trajectory() -> PriorityTrajectory:
    return trajectory_reading([], ("2021-01", 100.0), ("2024-06", 90.0))


def test_seasonal_points_go_back_to_the_reported_scale():
    spc = _spc()
    assert spc.seasonal_adjustment["applied"] and spc.adjusted
    for model in ("additive", "multiplicative"):
        for pt in spc.points:
            if model == "additive":  # the same points read as additive effects
                pt = replace(pt, seasonal_factor=None, seasonal_effect=pt.observed - pt.value)
            else:
                pt = replace(pt, seasonal_effect=None, seasonal_factor=pt.observed / pt.value)
            back = _reported_scale(pt)
            assert back.value == pt.observed
            for key in ("mean", "lower", "upper"):
                want = (getattr(pt, key) + pt.seasonal_effect if model == "additive"
                        else getattr(pt, key) * pt.seasonal_factor)
                assert abs(getattr(back, key) - want) < 1e-9
            assert back.point_type == pt.point_type


def test_the_chart_names_the_method_and_marks_rebases():
    spc = _spc()
    assert spc.rebase_suggestions, "the 2022 change should be suggested"
    svg = headline_chart(_trajectory(), spc)
    assert "Process limits (XmR, seasonally adjusted)" in svg
    assert "rebased 2023-06" in svg and "Rebased (accepted)" in svg
    first = spc.rebase_suggestions[0]["period"]
    assert f"suggested {first}" in svg and "Suggested rebase" in svg
    assert "read against the usual seasonal pattern" in svg  # the accessible summary
    public = headline_chart(_trajectory(), spc, suggestions=False)
    assert "suggested " not in public and "Suggested rebase" not in public
    assert "rebased 2023-06" in public
    # Each visible label is drawn as text a PDF renderer shows (no paint-order halo on it).
    assert not re.search(r'paint-order="stroke"[^>]*>rebased', svg)


def test_a_staircase_of_suggestions_draws_only_the_latest():
    """Three or more suggested rebases are a drift: the chart marks the latest only (the
    reading note lists the others), so the lines do not bury the data."""
    spc = _spc()
    spc = replace(spc, rebase_suggestions=tuple(
        {"period": q} for q in ("2020-03", "2021-02", "2022-01")))
    svg = headline_chart(_trajectory(), spc)
    assert "suggested 2022-01" in svg
    assert "suggested 2020-03" not in svg and "suggested 2021-02" not in svg
    spc = replace(spc, rebase_suggestions=spc.rebase_suggestions[1:])  # two: both drawn
    svg = headline_chart(_trajectory(), spc)
    assert "suggested 2021-02" in svg and "suggested 2022-01" in svg
