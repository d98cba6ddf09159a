"""Reading the data (series, SPC, comparisons, backtests, trajectories, status) on small
worlds whose numbers are worked out by hand here."""

from __future__ import annotations

import json
import math
from datetime import datetime

import pytest
from scipy import stats

from stocktake.analysis.backtest import backtest
from stocktake.analysis.forecast import Bounds
from stocktake.analysis.spc import read_chart
from stocktake.errors import StocktakeError
from stocktake.intake.service import submit_rows
from stocktake.results import dumps
from stocktake.results.readings import RebaseEvent
from stocktake.results.status import Baseline, LatestActual, PeriodValue
from stocktake.services.data.model_service import load_model
from stocktake.services.reading.readings import (
    backtest_indicator,
    compare_units,
    indicator_series,
    spc_chart,
)
from stocktake.services.reading.rebases import accept_rebase, rebase_history
from stocktake.services.reading.series_data import forecastable
from stocktake.services.reading.snapshot import Snapshot
from stocktake.services.reading.status import priority_status, priority_trajectory

P2 = """
- code: P2
  title: Fewer incidents
  headline: incidents
  scope: N
  baseline: {period: 2024-01, value: 110}
  target: {period: 2025-12, value: 80}
  trajectory: {method: linear}
  tolerance: 10
- code: P3
  title: A short push on the rate
  headline: incident_rate
  scope: N
  baseline: {period: 2024-01, value: 10.0}
  target: {period: 2024-04, value: 9.5}
"""
SOLVED = """
- code: solved
  name: Incidents solved
  unit: incidents
  polarity: up
  period_type: month
  aggregation: sum
- code: solved_pct
  name: Share of incidents solved
  unit: "%"
  polarity: up
  period_type: month
  aggregation: ratio
  numerator: solved
  denominator: incidents
  scale: 100
"""
POP = {"A1": 350_000, "A2": 250_000, "B1": 400_000}
# Incidents by month in A1, A2, B1: 100, 99, 97, 96, 93, 90 in all, a rate per 100,000 of
# 10.0 ... 9.0 for the nation (population 1,000,000).
INCIDENTS = {
    "2024-01": (36, 27, 37), "2024-02": (35, 27, 37), "2024-03": (34, 26, 37),
    "2024-04": (34, 25, 37), "2024-05": (32, 24, 37), "2024-06": (31, 22, 37),
}
T0 = datetime(2024, 8, 1)
T1 = datetime(2024, 8, 5, 10)  # first submission
AS_OF = datetime(2024, 8, 6)  # between the two
T2 = datetime(2024, 9, 5, 10)  # newer data and a revision


def month_rows(period, a1, a2, b1):
    out = []
    for unit, n in zip(("A1", "A2", "B1"), (a1, a2, b1), strict=True):
        out += [("incidents", unit, period, n), ("population", unit, period, POP[unit])]
    return out


def submit(engine, rows, now):
    result = submit_rows(engine, rows, submitter="t", now=now)
    assert result.accepted, result.errors


@pytest.fixture
def world(engine, small_model_dir):
    with open(small_model_dir / "priorities.yaml", "a") as f:
        f.write(P2)
    load_model(engine, small_model_dir, loaded_by="t", now=T0)
    rows = [r for p, v in INCIDENTS.items() for r in month_rows(p, *v)]
    rows += [("incidents", "A1", "2024-07", 30), ("population", "A1", "2024-07", 350_000)]
    # A national total reported beside the regions: 95 where they add up to 90; 92 for July,
    # when only A1 has reported.
    rows += [("incidents", "N", "2024-06", 95), ("incidents", "N", "2024-07", 92)]
    rows += [("screening", u, "2024-Q1", v) for u, v in (("A1", 50), ("A2", 60), ("B1", 70))]
    rows += [("screening", u, "2024-Q2", v) for u, v in (("A1", 55), ("A2", 65), ("B1", 80))]
    submit(engine, rows, T1)
    return engine


def newer_data(engine):
    rows = [("incidents", "A2", "2024-07", 21), ("population", "A2", "2024-07", 250_000),
            ("incidents", "B1", "2024-07", 36), ("population", "B1", "2024-07", 400_000)]
    rows += month_rows("2024-08", 28, 20, 35)
    rows += [("incidents", "A1", "2024-06", 41)]  # a revision
    submit(engine, rows, T2)


def expected_linear(baseline, target, steps, k):
    return baseline + (target - baseline) * k / steps


# -- series ---------------------------------------------------------------------------------

def test_series_keeps_reported_total_beside_computed(world):
    s = indicator_series(Snapshot(world, AS_OF), "incidents", "N")
    by = {p.period: p for p in s.points}
    june, july = by["2024-06"], by["2024-07"]
    assert (june.computed, june.reported, june.gap) == (90, 95, 5)
    assert june.value == 90 and june.source == "computed" and june.coverage == 1.0
    # July: only A1 reported: A has half its children, B none -> coverage 1/2 at N, and the
    # reported national total is used instead of the partial sum.
    assert july.computed == 30 and july.partial is True
    assert july.coverage == 0.5
    assert (july.value, july.source, july.value_partial) == (92, "reported", False)
    assert by["2024-01"].reported is None and by["2024-01"].value == 100
    assert s.method == "sum of the children" and s.parameters["aggregation"] == "sum"
    assert s.data_as_of == T1.isoformat() and s.as_of == AS_OF.isoformat()
    assert s.children == ("A", "B")

    rate = indicator_series(Snapshot(world, AS_OF), "incident_rate", "A")
    first = rate.points[0]
    assert first.period == "2024-01"
    assert first.value == pytest.approx(1e5 * (36 + 27) / 600_000)  # ratio of sums
    assert "sum(numerators) / sum(denominators)" in rate.method


# -- SPC ------------------------------------------------------------------------------------

SPC_VALUES = [40, 42, 38, 41, 39, 43, 40, 37, 42, 41, 39, 40, 41, 60]


@pytest.fixture
def spc_world(engine, small_model_dir):
    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2023, 1, 1))
    periods = [f"2023-{m:02d}" for m in range(1, 13)] + ["2024-01", "2024-02"]
    submit(engine, [("incidents", "B1", p, v) for p, v in zip(periods, SPC_VALUES, strict=True)],
           datetime(2024, 3, 5))
    return engine, periods


@pytest.mark.parametrize("screen", [True, False])
def test_spc_limits_by_hand(spc_world, screen):
    engine, periods = spc_world
    x = SPC_VALUES
    mean = sum(x) / len(x)
    ranges = [abs(b - a) for a, b in zip(x, x[1:], strict=False)]
    amr = sum(ranges) / len(ranges)
    if screen:  # Nelson: drop ranges >= 3.267 AmR (here the jump to 60), recompute once
        kept = [r for r in ranges if r < 3.267 * amr]
        assert len(kept) == len(ranges) - 1
        amr = sum(kept) / len(kept)
    chart = spc_chart(Snapshot(engine), "incidents", "B1", screen_outliers=screen)
    assert [p.period for p in chart.points] == periods
    for p in chart.points:
        assert p.mean == pytest.approx(mean)
        assert p.upper == pytest.approx(mean + 2.66 * amr)
        assert p.lower == pytest.approx(mean - 2.66 * amr)
        assert p.near_upper == pytest.approx(mean + 2.66 * 2 / 3 * amr)
        assert p.near_lower == pytest.approx(mean - 2.66 * 2 / 3 * amr)
    last = chart.points[-1]
    assert mean + 2.66 * amr < 60
    # Incidents: lower is better, so a point above the upper limit is a concern.
    assert (last.rule, last.point_type) == ("outside", "concern")
    assert all(p.rule == "none" for p in chart.points[:-1])
    assert chart.variation_icon == "concern_high"
    assert chart.assurance_icon is None and chart.target is None
    assert chart.parameters["screen_outliers"] is screen
    assert chart.unit.code == "B1" and chart.excluded_partial == ()


def test_spc_takes_the_priority_target_and_leaves_out_partial_periods(world):
    chart = spc_chart(Snapshot(world, AS_OF), "incident_rate", "N")
    assert chart.target == 8.0 and "P1" in chart.target_source
    assert [p.period for p in chart.points] == list(INCIDENTS)
    assert chart.excluded_partial == ("2024-07",)
    # Limits rest on 6 points: trial limits. Rates 10, 9.9, 9.7, 9.6, 9.3, 9.0.
    rates = [sum(v) / 10 for v in INCIDENTS.values()]
    mean = sum(rates) / 6
    amr = sum(abs(b - a) for a, b in zip(rates, rates[1:], strict=False)) / 5
    assert chart.points[0].upper == pytest.approx(mean + 2.66 * amr)
    # Target 8 lies below the lower limit; lower is better: every value fails the target.
    assert mean - 2.66 * amr > 8.0
    assert chart.assurance_icon == "consistently_fails"
    assert chart.points[0].trial is True
    assert spc_chart(Snapshot(world, AS_OF), "incident_rate", "N",
                     target=12.0).assurance_icon == "consistently_passes"


def test_spc_json_is_the_analysis_reading_and_what_it_is_of(spc_world):
    """The typed chart encodes to the dict analysis.spc gives for the same values (a
    different route: read_chart(...).to_dict()), followed by what the chart is of."""
    engine, periods = spc_world
    chart = spc_chart(Snapshot(engine), "incidents", "B1")
    out = json.loads(dumps(chart))
    direct = read_chart(SPC_VALUES, periods, polarity="down").to_dict()
    assert list(out)[:len(direct)] == list(direct)
    assert {k: out[k] for k in direct} == json.loads(json.dumps(direct))
    assert list(out)[len(direct):] == [
        "indicator", "unit", "target", "target_source", "accepted_rebases",
        "excluded_partial", "partial_rule", "as_of", "data_as_of", "reading_note"]
    assert chart.points[-1].point_type == "concern" and not chart.adjusted


def test_an_accepted_rebase_is_recorded_and_restarts_the_limits(spc_world):
    engine, periods = spc_world
    at = datetime(2024, 3, 6, 9)
    done = accept_rebase(engine, "incidents", "B1", "2023-12", reason="new service",
                         by="analyst", now=at)
    assert done == RebaseEvent(indicator="incidents", unit="B1", period="2023-12",
                               action="accept", reason="new service", by="analyst",
                               at="2024-03-06T09:00:00")
    assert "id" not in json.loads(dumps(done))  # a write's answer has no place in history
    (event,) = rebase_history(engine, "incidents", "B1")
    assert (event.action, event.period, event.by, event.at) == (
        "accept", "2023-12", "analyst", "2024-03-06T09:00:00") and event.id is not None
    chart = spc_chart(Snapshot(engine), "incidents", "B1")
    assert [r["period"] for r in chart.accepted_rebases] == ["2023-12"]
    assert [(p.first_period, p.n_points) for p in chart.parts] == [
        ("2023-01", 11), ("2023-12", 3)]
    # Each part's mean is that of its own values, worked out here.
    assert chart.parts[0].mean == pytest.approx(sum(SPC_VALUES[:11]) / 11)
    assert chart.parts[1].mean == pytest.approx(sum(SPC_VALUES[11:]) / 3)
    assert "Limits restart at 2023-12: accepted by analyst" in chart.reading_note
    # As known before the acceptance, one part.
    before = spc_chart(Snapshot(engine, datetime(2024, 3, 6, 8)), "incidents", "B1")
    assert len(before.parts) == 1 and before.accepted_rebases == ()


# -- comparing units ------------------------------------------------------------------------

@pytest.fixture
def funnel_world(engine, small_model_dir):
    with open(small_model_dir / "indicators.yaml", "a") as f:
        f.write(SOLVED)
    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2024, 1, 1))
    rows = month_rows("2024-01", 30, 25, 80)
    rows += [("solved", "A1", "2024-01", 12), ("solved", "A2", "2024-01", 15),
             ("solved", "B1", "2024-01", 20)]
    submit(engine, rows, datetime(2024, 2, 5))
    return engine


def poisson_funnel(y, n):
    """Spiegelhalter's funnel for a Poisson rate, worked out with plain arithmetic."""
    p0 = sum(y) / sum(n)
    se = [math.sqrt(p0 / ni) for ni in n]
    z = [(yi / ni - p0) / s for yi, ni, s in zip(y, n, se, strict=True)]
    phi = sum(zi * zi for zi in z) / len(z)  # fewer than 10 units: no Winsorising
    return p0, se, z, phi


def test_compare_rate_funnel_by_hand(funnel_world):
    y, n = [30, 25, 80], [350_000, 250_000, 400_000]
    p0, se, z, phi = poisson_funnel(y, n)
    out = compare_units(Snapshot(funnel_world), "incident_rate", "2024-01", level="region",
                        overdispersion=False)
    assert out.kind == "rate" and out.scale == 100_000
    assert out.overall == pytest.approx(p0 * 1e5)
    rows = {r.unit: r for r in out.units}
    for i, unit in enumerate(("A1", "A2", "B1")):
        r = rows[unit]
        assert (r.numerator, r.denominator) == (y[i], n[i])
        assert r.value == pytest.approx(1e5 * y[i] / n[i])
        assert r.z == pytest.approx(z[i])
        assert r.upper_95 == pytest.approx(1e5 * (p0 + 1.959964 * se[i]))
        assert r.lower_99_8 == pytest.approx(1e5 * (p0 - 3.090232 * se[i]))
    assert z[2] > 3.090232  # B1: 80 incidents in 400,000 people
    assert out.outside_99_8 == {"above": ["B1"], "below": []}
    assert out.phi == pytest.approx(phi)
    assert out.dispersion_test["p_value"] == pytest.approx(stats.chi2.sf(3 * phi, 2))
    assert out.overdispersion_applied is False
    league = out.league_table
    assert [r.unit for r in league] == ["B1", "A2", "A1"]  # highest rate first
    assert league[0].versus_overall == "higher"
    assert league[0].lower == pytest.approx(1e5 * (80 / 400_000 - 1.959964 * se[2]))

    # The test rejects (p < 0.05): 'auto' widens the limits by sqrt(phi); B1 is then inside.
    auto = compare_units(Snapshot(funnel_world), "incident_rate", "2024-01", level="region")
    assert auto.dispersion_test["p_value"] < 0.05 and auto.overdispersion_applied
    b1 = next(r for r in auto.units if r.unit == "B1")
    assert b1.upper_99_8 == pytest.approx(1e5 * (p0 + 3.090232 * math.sqrt(phi) * se[2]))
    assert b1.outside_99_8 == "inside" and auto.outside_99_8["above"] == []


def test_compare_rolls_up_to_the_default_level_and_knows_proportions(funnel_world):
    out = compare_units(Snapshot(funnel_world), "incident_rate", "2024-01", overdispersion=False)
    assert out.level == "province"
    rows = {r.unit: r for r in out.units}
    assert (rows["A"].numerator, rows["A"].denominator) == (55, 600_000)
    assert (rows["B"].numerator, rows["B"].denominator) == (80, 400_000)

    y, n = [12, 15, 20], [30, 25, 80]  # solved of incidents: a proportion
    share = compare_units(Snapshot(funnel_world), "solved_pct", "2024-01", level="region",
                          overdispersion=False)
    assert share.kind == "proportion"
    p0 = sum(y) / sum(n)
    for r, yi, ni in zip(share.units, y, n, strict=True):
        se = math.sqrt(p0 * (1 - p0) / ni)
        assert r.value == pytest.approx(100 * yi / ni)
        assert r.upper_95 == pytest.approx(100 * min(1.0, p0 + 1.959964 * se))
        assert r.lower_95 == pytest.approx(100 * max(0.0, p0 - 1.959964 * se))


def test_compare_refuses_what_it_cannot_compare(funnel_world):
    with pytest.raises(StocktakeError, match="denominator"):
        compare_units(Snapshot(funnel_world), "incidents", "2024-01")
    with pytest.raises(StocktakeError, match="month"):
        compare_units(Snapshot(funnel_world), "incident_rate", "2024-Q1")
    with pytest.raises(StocktakeError, match="no data"):
        compare_units(Snapshot(funnel_world), "incident_rate", "2023-12")
    with pytest.raises(StocktakeError, match="'county' is not a level"):
        compare_units(Snapshot(funnel_world), "incident_rate", "2024-01", level="county")


# -- backtest -------------------------------------------------------------------------------

def test_backtest_uses_every_units_complete_series(world):
    out = backtest_indicator(Snapshot(world, AS_OF), "incidents", max_series=10, min_train=5,
                             horizons=1)
    (entry,) = out.indicators
    assert entry["units"] == ["N", "A", "A1", "A2", "B", "B1"]
    # Complete months: N 7 (July's reported total), A1 7 (its own July), the others 6.
    months = list(INCIDENTS)
    cols = list(zip(*INCIDENTS.values(), strict=True))
    a1, a2, b1 = ([float(v) for v in c] for c in cols)
    national = [a + b + c for a, b, c in zip(a1, a2, b1, strict=True)]
    by_hand = {"N": (months + ["2024-07"], national + [92.0]),
               "A": (months, [a + b for a, b in zip(a1, a2, strict=True)]),
               "A1": (months + ["2024-07"], a1 + [30.0]), "A2": (months, a2),
               "B": (months, b1), "B1": (months, b1)}
    # incidents are whole numbers from 0 (min: 0, integer: true): forecasts keep to them.
    direct = backtest(by_hand, "month", min_train=5, horizons=1,
                      bounds=Bounds(min=0, integer=True))
    # Origins after 5 months, one step ahead: 2 + 1 + 2 + 1 + 1 + 1 forecasts.
    assert entry["n_forecasts"] == direct.n_forecasts == 8
    assert entry["coverage_80"] == pytest.approx(direct.coverage[0.8])
    assert entry["coverage_95"] == pytest.approx(direct.coverage[0.95])
    assert entry["bounds"] == {"min": 0, "max": None, "integer": True}
    assert entry["calibration"] == direct.calibration == "per-level"
    # Every forecast scored is listed, with the fields to recount the coverage by hand.
    rows = entry["forecasts"]
    assert len(rows) == 8 and set(rows[0]) == {
        "unit", "origin", "period", "horizon", "actual", "mean",
        "lower_80", "upper_80", "lower_95", "upper_95"}
    assert {r["unit"] for r in rows} == set(by_hand)
    recount = sum(r["lower_80"] <= r["actual"] <= r["upper_80"] for r in rows) / len(rows)
    assert recount == pytest.approx(entry["coverage_80"])
    assert all(r["lower_95"] >= 0 and float(r["upper_95"]).is_integer() for r in rows)
    for rec, row in zip(direct.records, rows, strict=True):
        assert (rec.series, rec.origin, rec.period, rec.upper[1]) == (
            row["unit"], row["origin"], row["period"], row["upper_95"])
    strata = entry["strata"]
    assert set(strata) == {"horizon", "level", "actual"}
    assert strata["horizon"]["1"]["n"] == 8
    assert strata["actual"]["not zero"]["coverage_95"] == pytest.approx(entry["coverage_95"])
    assert out.overall["strata"]["horizon"]["1"]["coverage_80"] == pytest.approx(recount)
    # MASE scales by the seasonal naive forecast's error (lag 12): undefined this short.
    assert entry["mase"] is None and math.isnan(direct.mase)
    assert out.overall["n_forecasts"] == 8

    two = backtest_indicator(Snapshot(world, AS_OF), "incidents", max_series=2, min_train=5,
                             horizons=1)
    assert two.indicators[0]["units"] == ["N", "B1"]  # first and last in unit order


# -- trajectories and status ----------------------------------------------------------------

def test_trajectory_readings_by_hand(world):
    out = priority_trajectory(Snapshot(world, AS_OF), "P1", with_forecast=False)
    assert out.trajectory.method == "linear"  # no trajectory declared: the default
    assert out.tolerance.value == 5.0
    readings = out.readings
    assert len(readings) == 24  # 2024-01 .. 2025-12
    for k, (period, v) in enumerate(INCIDENTS.items()):
        r = readings[k]
        actual = sum(v) / 10
        expected = expected_linear(10.0, 8.0, 23, k)
        assert r.period == period and r.actual == pytest.approx(actual)
        assert r.expected == pytest.approx(expected)
        assert r.gap_pct == pytest.approx((actual - expected) / expected * 100)
        band = 0.05 * expected
        want = "on_track" if abs(actual - expected) <= band else (
            "ahead" if actual < expected else "off_track")
        assert r.status == want
    assert readings[5].status == "ahead"  # June: 9.0 against 9.565
    assert readings[6].status == "no_data"  # July is partial: left out
    assert out.excluded_partial == ("2024-07",)


def test_status_by_hand(world):
    out = priority_status(Snapshot(world, AS_OF), priority="P1")
    (p1,) = out.priorities
    assert p1.baseline == Baseline(period="2024-01", value=10.0, observed=10.0)
    assert p1.target == PeriodValue(period="2025-12", value=8.0)
    assert p1.latest.period == "2024-06"  # July is partial at the nation
    assert p1.latest.value == pytest.approx(9.0)
    expected = 10.0 - 2.0 * 5 / 23
    assert p1.expected == pytest.approx(expected)
    assert p1.gap == pytest.approx(9.0 - expected)
    assert p1.gap_pct == pytest.approx((9.0 - expected) / expected * 100)  # -5.9%
    assert p1.status == "ahead"  # beyond 5%, on the good (lower) side
    assert p1.spc.assurance_icon == "consistently_fails"
    fc = p1.forecast
    assert fc.period == "2025-12" and fc.last_observed == "2024-06"
    assert fc.model == "ETS(A,N,N)"  # 6 points: simple exponential smoothing
    assert fc.lower_95 < fc.lower_80 < fc.mean < fc.upper_80 < fc.upper_95
    assert 0 < p1.probability_of_meeting < 1
    assert p1.data_as_of == T1.isoformat() and out.as_of == AS_OF.isoformat()

    # Leads and counters at the nation. Screening (a mean over the leaf units, not of the
    # provinces' means): Q2 mean(55, 65, 80) = 66.67 against Q1 mean(50, 60, 70) = 60.
    (lead,) = p1.leads
    assert (lead.period, lead.previous_value) == ("2024-Q2", 60)
    assert lead.value == pytest.approx(200 / 3)
    assert lead.change == pytest.approx(20 / 3) and lead.movement == "improving"
    # Incidents: July's reported national total 92 against June's 90: worse (lower is better).
    (counter,) = p1.counters
    assert (counter.period, counter.value, counter.change) == ("2024-07", 92, 2)
    assert counter.movement == "worsening"

    # Provinces: a rate, so each makes the nation's 20% cut from its own baseline.
    units = {u.unit: u for u in p1.units}
    a, b = units["A"], units["B"]
    assert a.baseline.value == pytest.approx(10.5)  # 63 per 600,000
    assert b.baseline.value == pytest.approx(9.25)  # 37 per 400,000
    assert a.target.value == pytest.approx(10.5 * 0.8)
    assert a.expected == pytest.approx(expected_linear(10.5, 8.4, 23, 5))
    assert a.latest.value == pytest.approx(1e5 * 53 / 600_000)
    assert a.status == "ahead"  # -12%
    assert b.expected == pytest.approx(expected_linear(9.25, 7.4, 23, 5))
    assert b.gap_pct == pytest.approx((9.25 - b.expected) / b.expected * 100)
    assert b.status == "on_track"  # +4.5%, within 5%
    assert a.forecast is None  # child forecasts only when asked
    full = priority_status(Snapshot(world, AS_OF), priority="P1", forecasts="all")
    assert all(u.forecast.model for u in full.priorities[0].units)


def test_status_of_a_summed_indicator_splits_so_units_add_up(world):
    (p2,) = priority_status(Snapshot(world, AS_OF), priority="P2", forecasts="none").priorities
    # National: July's reported total 92 against 110 - 30 x 6/23; 10% tolerance.
    expected = expected_linear(110, 80, 23, 6)
    assert p2.latest == LatestActual(period="2024-07", value=92, coverage=0.5,
                                     source="reported")
    assert p2.expected == pytest.approx(expected)
    assert p2.gap_pct == pytest.approx((92 - expected) / expected * 100)  # -9.96%
    assert p2.status == "on_track"
    # Shares of the stated baseline 110 by the provinces' January counts 63 and 37.
    units = {u.unit: u for u in p2.units}
    a_base, b_base = 110 * 63 / 100, 110 * 37 / 100
    a_target, b_target = a_base - 30 * 63 / 100, b_base - 30 * 37 / 100
    assert units["A"].baseline == Baseline(period="2024-01", value=pytest.approx(a_base),
                                           observed=63)
    assert units["A"].target.value == pytest.approx(a_target)
    assert units["B"].target.value == pytest.approx(b_target)
    assert a_target + b_target == pytest.approx(80)
    assert units["A"].expected == pytest.approx(expected_linear(a_base, a_target, 23, 5))
    # 53 incidents against 65.2 is outside the 10% tolerance, but a count of incidents
    # that far below its expected value is common by chance (two-sided Poisson, 14%):
    # on track, and the note says why.
    assert units["A"].status == "on_track" and "chance" in units["A"].status_note
    assert units["B"].expected == pytest.approx(expected_linear(b_base, b_target, 23, 5))
    assert units["B"].status == "on_track"  # 37 against 38.3
    assert p2.units_split.aggregation == "sum"
    assert p2.forecast is None

    # At a unit below the scope: the province's own share, and its regions below it.
    (at_a,) = priority_status(Snapshot(world, AS_OF), priority="P2", unit="A",
                              forecasts="none").priorities
    assert at_a.unit == "A" and at_a.expected == units["A"].expected
    kids = {u.unit: u for u in at_a.units}
    assert kids["A1"].baseline.value + kids["A2"].baseline.value == (
        pytest.approx(a_base))
    assert kids["A1"].baseline.value == pytest.approx(a_base * 36 / 63)


def test_once_the_target_period_is_complete_the_target_is_met_or_missed(world):
    # The target period (2024-04) is complete: the verdict is read there, not on the latest
    # figure (was: "ahead" on June's 9.0, hiding that April missed the target).
    (p3,) = priority_status(Snapshot(world, AS_OF), priority="P3").priorities
    # April: 96 incidents per 1,000,000 people = 9.6 per 100,000, against 9.5 (lower is
    # better): missed, by 0.1 (1.05% of the target).
    assert p3.status == "missed" and p3.expected == 9.5
    assert p3.gap == pytest.approx(0.1) and p3.gap_pct == pytest.approx(0.1 / 9.5 * 100)
    v = p3.at_target_period
    assert (v.status, v.met, v.period, v.actual_period, v.read_earlier) == (
        "missed", False, "2024-04", "2024-04", False)
    assert v.actual == pytest.approx(9.6) and v.target == 9.5
    # Since then: June's 90 per 1,000,000 = 9.0, 0.6 lower, now better than the target.
    assert p3.latest.period == "2024-06" and v.since.period == "2024-06"
    assert v.since.value == pytest.approx(9.0)
    assert v.since.change == pytest.approx(-0.6)
    assert v.since.movement == "improving" and v.since.meets_target is True
    assert "not before the target period" in p3.forecast.error
    assert p3.probability_of_meeting is None
    # Each unit on its own share: A (A1+A2) started at 63/600,000 = 10.5, so its target is
    # 10.5 x 9.5/10 = 9.975; April 59/600,000 = 9.833: met. B1's B: 37/400,000 = 9.25 at
    # baseline and in April, target 9.25 x 0.95 = 8.7875: missed.
    units = {u.unit: u for u in p3.units}
    assert units["A"].status == "met" and units["B"].status == "missed"
    assert units["A"].at_target_period.target == pytest.approx(9.975)
    assert units["A"].at_target_period.actual == pytest.approx(59 / 6)
    assert units["B"].at_target_period.target == pytest.approx(8.7875)


def test_before_the_target_period_is_complete_there_is_no_verdict(world):
    # As known in early August the latest complete month is June, before P2's deadline.
    (p2,) = priority_status(Snapshot(world, AS_OF), priority="P2").priorities
    assert p2.status in ("on_track", "ahead", "off_track")
    assert p2.at_target_period is None


def test_forecasts_rest_on_the_stretch_after_the_last_long_gap():
    periods = ["2024-01", "2024-02", "2024-05", "2024-06", "2024-08", "2024-09"]
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    # Two months missing (March, April): start after them; one (July) is interpolated later.
    kept, vals, note = forecastable(periods, values, "month")
    assert kept == periods[2:] and vals == values[2:]
    assert "2024-05 to 2024-09" in note
    assert forecastable(periods[2:], values[2:], "month") == (periods[2:], values[2:], None)


def test_same_as_of_same_numbers_after_newer_data(world):
    def everything():
        return [
            priority_status(Snapshot(world, AS_OF)),
            priority_trajectory(Snapshot(world, AS_OF), "P1"),
            indicator_series(Snapshot(world, AS_OF), "incident_rate", "N"),
            spc_chart(Snapshot(world, AS_OF), "incidents", "A"),
            compare_units(Snapshot(world, AS_OF), "incident_rate", "2024-06", level="region"),
            backtest_indicator(Snapshot(world, AS_OF), "incidents", min_train=5, horizons=1),
        ]

    before = everything()
    newer_data(world)
    assert everything() == before
    (now,) = priority_status(Snapshot(world), priority="P1").priorities
    assert now.latest.period == "2024-08"  # the newer data is there without as_of
    revised = compare_units(Snapshot(world), "incident_rate", "2024-06", level="region")
    assert revised.units[0].numerator == 41 != before[4].units[0].numerator


def test_bad_input_is_named(world):
    with pytest.raises(StocktakeError, match="'incidnets' is not an indicator.*'incidents'"):
        indicator_series(Snapshot(world), "incidnets", "N")
    with pytest.raises(StocktakeError, match="'Z9' is not a unit"):
        spc_chart(Snapshot(world), "incidents", "Z9")
    with pytest.raises(StocktakeError, match="'P9' is not a priority"):
        priority_status(Snapshot(world), priority="P9")
    with pytest.raises(StocktakeError, match="'P9' is not a priority"):
        priority_trajectory(Snapshot(world), "P9")
    with pytest.raises(StocktakeError, match="'Q' is not a unit"):
        priority_status(Snapshot(world), unit="Q")
    with pytest.raises(StocktakeError, match="forecasts must be"):
        priority_status(Snapshot(world), forecasts="some")  # type: ignore[arg-type]
    with pytest.raises(StocktakeError, match="'nope' is not an indicator"):
        backtest_indicator(Snapshot(world), "nope")
    with pytest.raises(StocktakeError, match="0 complete period"):
        spc_chart(Snapshot(world, datetime(2024, 8, 2)), "incidents", "B1")  # before any data


def test_status_of_every_unit_in_one_call_equals_the_call_per_parent(world):
    """depth=None reads every level below the scope from one load; each region's reading
    equals what the call at its province (unit=A / unit=B, the other path) gives."""
    every = priority_status(Snapshot(world, AS_OF), priority="P1", forecasts="none",
                            depth=None).priorities[0].units
    assert [(r.unit, r.parent) for r in every] == [
        ("A", "N"), ("B", "N"), ("A1", "A"), ("A2", "A"), ("B1", "B")]
    by_parent = {}
    for province in ("A", "B"):
        head = priority_status(Snapshot(world, AS_OF), priority="P1", unit=province,
                               forecasts="none").priorities[0]
        by_parent.update({r.unit: r for r in head.units})
    for row in every[2:]:
        other = by_parent[row.unit]
        for key in ("latest", "expected", "gap", "gap_pct", "status", "baseline", "target"):
            assert getattr(row, key) == getattr(other, key), (row.unit, key)
