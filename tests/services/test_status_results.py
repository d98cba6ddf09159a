"""The typed answers of the status family (results/status.py, results/overview.py), read by
attribute on the small world of test_readings.py, with figures worked out by hand there and
here, or reached by another route (another service, or the analysis function directly)."""

# ruff: noqa: F811 (the world fixture of test_readings.py, imported, is each test's argument)

from __future__ import annotations

import dataclasses

import pytest

from stocktake.analysis.trajectory import trajectory_from_spec
from stocktake.results import encode
from stocktake.results.overview import LatestPoint
from stocktake.results.status import (
    PeriodValue,
    PriorityStatusWithUnits,
    TrajectorySplit,
    UnitReading,
)
from stocktake.services.reading.overview import priority_overview, priority_page
from stocktake.services.reading.snapshot import Snapshot
from stocktake.services.reading.status import priority_status, priority_trajectory, unit_readings
from tests.services.test_readings import (  # noqa: F401 (world: the fixture)
    AS_OF,
    T1,
    expected_linear,
    newer_data,
    world,
)


def test_unit_readings_by_hand(world):
    out = unit_readings(Snapshot(world, AS_OF), "P1")
    assert (out.priority, out.headline, out.polarity, out.period_type) == (
        "P1", "incident_rate", "down", "month")
    a, b = out.units
    assert isinstance(a, UnitReading) and (a.unit, b.unit) == ("A", "B")
    # Province A: incidents of A1 + A2 per 600,000 people; July is partial (A2 had not
    # reported), so June is the latest: 53 per 600,000 = 8.833 against 10.5 -> 8.4 linear.
    rates = [100_000 * n / 600_000 for n in (63, 62, 60, 59, 56, 53)]
    assert [v.value for v in a.actuals] == pytest.approx(rates)
    assert [v.period for v in a.actuals] == [f"2024-0{m}" for m in range(1, 7)]
    assert len(a.readings) == 24  # 2024-01 .. 2025-12, one per period of the trajectory
    expected = expected_linear(10.5, 8.4, 23, 5)
    assert a.latest == PeriodValue(period="2024-06", value=pytest.approx(53 / 6))
    assert a.expected == pytest.approx(expected)
    assert a.gap == pytest.approx(53 / 6 - expected)
    assert a.status == "ahead" and a.off_track_run == 0 and a.at_target_period is None
    # Province B (B1 alone): 37 per 400,000 = 9.25 every month, +4.5% against 8.848: on track.
    assert b.latest.value == pytest.approx(9.25)
    assert b.expected == pytest.approx(expected_linear(9.25, 7.4, 23, 5))
    assert b.status == "on_track"
    # The same figures as the status of the same units (another route through the service).
    (head,) = priority_status(Snapshot(world, AS_OF), priority="P1").priorities
    by_unit = {u.unit: u for u in head.units}
    for row in out.units:
        assert (row.status, row.expected, row.gap_pct) == (
            by_unit[row.unit].status, by_unit[row.unit].expected, by_unit[row.unit].gap_pct)


def test_the_status_report_and_its_trajectory_blocks(world):
    report = priority_status(Snapshot(world, AS_OF), priority="P2", forecasts="none")
    assert (report.as_of, report.data_as_of, report.forecasts) == (
        AS_OF.isoformat(), T1.isoformat(), "none")
    (p2,) = report.priorities
    assert isinstance(p2, PriorityStatusWithUnits) and len(p2.below()) == 2
    assert p2.tolerance.value == 10 and p2.tolerance.mode == "relative"
    assert p2.stated_baseline == PeriodValue(period="2024-01", value=110)
    assert p2.trajectory.method == "linear" and p2.trajectory.seasonal is False
    # Summed: the provinces' shares of the baseline by their January counts (63 and 37 of
    # 100), scaled by 110/100 so that they add up to the national trajectory.
    split = p2.units_split
    assert isinstance(split, TrajectorySplit)
    assert (split.parent, split.aggregation) == ("N", "sum")
    assert "(100)" in split.baseline_rule and "factor 1.1" in split.baseline_rule
    assert split.targets_stated is False
    # The stages: none declared, so one, the current, with the scope's status.
    (stage,) = p2.stages
    assert stage.current and stage.status == p2.status and stage.stage == 1
    # The headline's movement: July's reported total 92 against June's 90 (the regions'
    # sum, complete): more incidents, and lower is better.
    assert (p2.movement.period, p2.movement.previous_value, p2.movement.change) == (
        "2024-07", 90, 2)
    assert p2.movement.movement == "worsening"


def test_the_trajectory_reading_matches_the_analysis(world):
    out = priority_trajectory(Snapshot(world, AS_OF), "P1", with_forecast=False)
    line = trajectory_from_spec({"method": "linear"}, "2024-01", 10.0, "2025-12", 8.0)
    assert out.trajectory.baseline == PeriodValue(period="2024-01", value=10.0)
    assert out.trajectory.target == PeriodValue(period="2025-12", value=8.0)
    for r in out.readings:  # the expected values are the analysis' trajectory's
        assert r.expected == pytest.approx(line.expected_at(r.period))
    # January to May within 5% of the line, June 5.9% below it (ahead), July partial and
    # the rest to come: no data.
    assert out.counts == {"on_track": 5, "ahead": 1, "off_track": 0, "no_data": 18}
    assert out.forecast is None and out.at_target_period is None


def test_the_overview_at_a_glance_by_hand(world):
    out = priority_overview(Snapshot(world, AS_OF))
    rows = {r.code: r for r in out.priorities}
    p1, p2, p3 = rows["P1"], rows["P2"], rows["P3"]
    # P1: June's complete 9.0 covers half the way from 10.0 to 8.0.
    assert p1.latest == LatestPoint(period="2024-06", value=pytest.approx(9.0), coverage=1.0,
                                    complete=True)
    assert p1.progress == pytest.approx(0.5)
    assert p1.polarity_text == "lower is better" and p1.scope_name
    # P2: July's reported national total 92 counts as complete: (92 - 110) / (80 - 110).
    assert (p2.latest.period, p2.latest.value, p2.latest.complete) == ("2024-07", 92, True)
    assert p2.progress == pytest.approx(0.6)
    # P3's deadline has passed: the same verdict as the status gives.
    (status,) = priority_status(Snapshot(world, AS_OF), priority="P3").priorities
    assert p3.at_target_period == status.at_target_period
    assert p3.at_target_period.status == "missed"
    assert out.data_as_of == T1.isoformat() and out.as_of == AS_OF.isoformat()


def test_the_priority_page_reads_one_snapshot(world):
    snap = Snapshot(world)
    page = priority_page(snap, "P1")
    assert page.p.code == "P1" and page.status.priorities[0].latest == page.p.latest
    assert page.trajectory == priority_trajectory(snap, "P1")
    assert page.units == unit_readings(snap, "P1")
    assert page.funnel_level == "province" and page.funnel_note is None
    assert page.funnel.period == page.p.latest.period == "2024-06"
    # The leads carry their evidence (screening is quarterly, the headline monthly: not
    # tested, so None), and the status itself is left as it was built.
    assert [m.evidence for m in page.p.leads] == [None]
    # Newer data after the snapshot's first read: the same snapshot still reads its moment,
    # a new one reads the newer data.
    newer_data(world)
    assert priority_trajectory(snap, "P1").readings == page.trajectory.readings
    (now,) = priority_status(Snapshot(world), priority="P1").priorities
    assert now.latest.period == "2024-08" and page.p.latest.period == "2024-06"


def test_results_are_frozen_and_their_json_keeps_the_keys_in_order(world):
    (p1,) = priority_status(Snapshot(world, AS_OF), priority="P1", forecasts="none",
                            units=False).priorities
    with pytest.raises(dataclasses.FrozenInstanceError):
        p1.status = "on_track"  # type: ignore[misc]
    # The keys of a status row, in the order the JSON has always had them.
    assert list(encode(p1)) == [
        "code", "title", "owner", "headline", "headline_name", "unit_of_measure", "polarity",
        "scope", "decimals", "stated_baseline", "stated_target", "tolerance", "data_as_of",
        "trajectory", "unit", "unit_name", "level", "parent", "baseline", "target", "latest",
        "expected", "gap", "gap_pct", "after_target", "at_target_period", "status_note",
        "status", "spc", "forecast", "probability_of_meeting", "stages", "movement", "leads",
        "counters"]
    # A forecast that could not be made is its reason alone; a verdict's "since" is nested.
    (p3,) = priority_status(Snapshot(world, AS_OF), priority="P3", units=False).priorities
    assert list(encode(p3.forecast)) == ["error"]
    assert encode(p3.at_target_period)["since"]["period"] == "2024-06"
