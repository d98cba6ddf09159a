"""A small count read against its trajectory through the real services, on a real database:
women held on remand in the ACT and the Northern Territory (ABS 4512.0, 2014-2015), a
count that chance alone moves by more than a 5% tolerance."""

from __future__ import annotations

import math
from datetime import datetime

import pytest

from stocktake.intake.service import submit_rows
from stocktake.services.data.model_service import load_model
from stocktake.services.reading.snapshot import Snapshot
from stocktake.services.reading.status import priority_status, priority_trajectory

UNITS = """code,name,level,parent
AU,Australia,nation,
ACT,Australian Capital Territory,state,AU
NT,Northern Territory,state,AU
"""
INDICATOR = """- code: women_remanded
  name: Women held on remand
  unit: people
  polarity: down
  period_type: quarter
  aggregation: sum
  min: 0
  integer: {integer}
"""
PRIORITIES = """- code: act-remand
  title: Fewer women on remand in the ACT
  headline: women_remanded
  scope: ACT
  baseline: {period: 2014-Q1, value: 5}
  target: {period: 2017-Q4, value: 3}
- code: nt-remand
  title: Fewer women on remand in the NT
  headline: women_remanded
  scope: NT
  baseline: {period: 2014-Q1, value: 48}
  target: {period: 2017-Q4, value: 30}
"""
QUARTERS = ["2014-Q1", "2014-Q2", "2014-Q3", "2014-Q4", "2015-Q1"]
ACT = [5, 5, 5, 5, 7]
NT = [48, 37, 43, 41, 53]


def _world(engine, tmp_path, integer: bool):
    model = tmp_path / "model"
    model.mkdir()
    (model / "units.csv").write_text(UNITS)
    (model / "indicators.yaml").write_text(INDICATOR.format(integer=str(integer).lower()))
    (model / "priorities.yaml").write_text(PRIORITIES)
    load_model(engine, model, loaded_by="t", now=datetime(2014, 1, 1))
    rows = [("women_remanded", unit, q, v)
            for unit, values in (("ACT", ACT), ("NT", NT))
            for q, v in zip(QUARTERS, values, strict=True)]
    assert submit_rows(engine, rows, submitter="t", now=datetime(2015, 5, 15)).accepted
    return Snapshot(engine)


def _two_sided_above(actual: int, mean: float) -> float:
    below = sum(math.exp(-mean) * mean ** k / math.factorial(k) for k in range(actual))
    return 2 * (1 - below)


def test_a_count_within_chance_is_on_track_and_says_why(engine, tmp_path):
    snap = _world(engine, tmp_path, integer=True)
    act = priority_status(snap, priority="act-remand", forecasts="none").priorities[0]
    expected = 5 + (3 - 5) * 4 / 15  # 2015-Q1 on the line from 5 to 3 over 15 quarters
    assert act.expected == pytest.approx(expected)
    assert act.gap_pct == pytest.approx((7 - expected) / expected * 100)  # +56.7%
    assert act.status == "on_track"
    share = _two_sided_above(7, expected)  # 0.33
    assert act.status_note == (f"7 against {expected:.1f} expected is outside the tolerance "
                               f"(5%), but chance alone puts a count this far off in "
                               f"{share:.0%} of periods")
    # 53 against 43.2 in the NT: chance does that in 16% of periods, so on track too;
    # the NT's 2014-Q2 37 against 46.8 is the same reading on the better side.
    nt = priority_status(snap, priority="nt-remand", forecasts="none").priorities[0]
    nt_expected = 48 + (30 - 48) * 4 / 15
    assert nt.status == "on_track"
    assert _two_sided_above(53, nt_expected) > 0.05
    trajectory = priority_trajectory(snap, "nt-remand", with_forecast=False)
    readings = {r.period: r for r in trajectory.readings}
    assert readings["2014-Q2"].status == "on_track" and readings["2014-Q2"].chance is not None
    assert readings["2014-Q1"].chance is None  # on the line: within the tolerance itself
    # The rule printed under the table says so.
    assert trajectory.tolerance.rule.endswith(
        "; a count that chance alone puts as far off in 5% of periods or more is on track too")


def test_a_figure_not_declared_a_count_keeps_the_tolerance_alone(engine, tmp_path):
    snap = _world(engine, tmp_path, integer=False)
    act = priority_status(snap, priority="act-remand", forecasts="none").priorities[0]
    assert act.status == "off_track" and act.status_note is None
    assert "chance" not in act.tolerance.rule
