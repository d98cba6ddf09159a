"""The fast path of priority status (every unit at once from the roll-up arrays, the XmR
charts of many units computed together) gives the same readings, to the last bit, as the
plain path (one unit's points, one XmR chart), on a small world built to hold the awkward
cases: missing and partial periods, a month nobody reported, reported totals, ratios and
percentages, a quarterly indicator, four levels and a unit that is not expected to report."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest
from sqlalchemy import func, select

from stocktake.analysis.spc import xmr, xmr_many
from stocktake.analysis.trajectory import assess, assess_one, trajectory_from_spec
from stocktake.errors import StocktakeError
from stocktake.intake.service import submit_rows
from stocktake.model.periods import Period, PeriodType
from stocktake.results import encode
from stocktake.results.status import ForecastReading, Unavailable
from stocktake.services.data.model_service import load_model
from stocktake.services.reading.series_data import SeriesData, read_model
from stocktake.services.reading.snapshot import Snapshot
from stocktake.services.reading.status import (
    _below,
    _reading,
    _readings,
    _Splits,
    priority_codes,
    priority_status,
    trajectory_of,
)
from stocktake.store import schema as s

UNITS = """code,name,level,parent,active
N,Nation,nation,,
A,Province A,province,N,
B,Province B,province,N,
A1,Region A1,region,A,
A2,Region A2,region,A,
A3,Region A3,region,A,
B1,Region B1,region,B,
B2,Region B2,region,B,
B3,Region B3,region,B,no
A1a,District A1a,district,A1,
A1b,District A1b,district,A1,
"""
INDICATORS = """
- {code: cases, name: Cases, unit: cases, polarity: down, period_type: month,
   aggregation: sum}
- {code: solved, name: Cases solved, unit: cases, polarity: up, period_type: month,
   aggregation: sum}
- {code: solved_pct, name: Share solved, unit: "%", polarity: up, period_type: month,
   aggregation: ratio, numerator: solved, denominator: cases, scale: 100}
- {code: population, name: Population, unit: people, polarity: neutral, period_type: month,
   aggregation: sum}
- {code: case_rate, name: Cases per 100000, unit: per 100000, polarity: down,
   period_type: month, aggregation: ratio, numerator: cases, denominator: population,
   scale: 100000}
- {code: satisfaction, name: Satisfaction, unit: points, polarity: up, period_type: month,
   aggregation: mean}
- {code: visits, name: Visits, unit: visits, polarity: up, period_type: month,
   aggregation: sum}
- {code: inspections, name: Inspections, unit: inspections, polarity: up,
   period_type: quarter, aggregation: sum}
"""
PRIORITIES = """
- {code: P_cases, title: Fewer cases, headline: cases, scope: N, counters: [solved],
   baseline: {period: 2023-01, value: 1000}, target: {period: 2025-12, value: 800},
   tolerance: {absolute: 15}}
- {code: P_solved, title: More solved, headline: solved_pct, scope: N, leads: [visits],
   baseline: {period: 2023-01, value: 40}, target: {period: 2025-12, value: 60},
   trajectory: {method: s_curve}, tolerance: 3}
- {code: P_rate, title: A lower rate, headline: case_rate, scope: N,
   baseline: {period: 2023-02, value: 95}, target: {period: 2026-06, value: 70},
   trajectory: {method: back_loaded, k: 1.5}}
- {code: P_sat, title: Held satisfaction, headline: satisfaction, scope: N,
   baseline: {period: 2023-01, value: 60}, target: {period: 2023-12, value: 62}}
- {code: P_visits, title: More visits, headline: visits, scope: A,
   baseline: {period: 2023-03, value: 500}, target: {period: 2025-12, value: 650}}
- {code: P_insp, title: More inspections, headline: inspections, scope: N,
   baseline: {period: 2023-Q1, value: 300}, target: {period: 2025-Q4, value: 420}}
"""
LEAVES = ["A1a", "A1b", "A2", "A3", "B1", "B2", "B3"]
MONTHS = [Period.parse("2023-01").shift(k).code for k in range(20)]  # to 2024-08
QUARTERS = ["2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4", "2024-Q1", "2024-Q2"]
NOBODY = "2023-11"  # no unit reports anything: the roll-up has no column for it
NOW = datetime(2024, 9, 20)


def _rows() -> list[tuple[str, str, str, float]]:
    rng = np.random.default_rng(7)
    rows: list[tuple[str, str, str, float]] = []
    for u, unit in enumerate(LEAVES):
        level = 80 + 25 * u
        for k, month in enumerate(MONTHS):
            if month == NOBODY:
                continue
            # A trend with noise, and a step in one unit: special causes to find.
            cases = int(level - 1.5 * k + rng.integers(-6, 7) + (25 if unit == "B1" and k > 12
                                                                  else 0))
            solved = int(cases * (0.35 + 0.01 * k + rng.uniform(-0.04, 0.04)))
            gone = unit == "A1b" and month in ("2023-05", "2023-09")  # partial above
            if not gone:
                rows += [("cases", unit, month, cases), ("solved", unit, month, solved)]
            if not (unit == "B1" and month == "2024-02"):  # a gap in the denominator
                rows.append(("population", unit, month, 10_000 * (u + 3)))
            if not (unit == "A2" and month in ("2024-03", "2024-04", "2024-05")):
                rows.append(("satisfaction", unit, month, round(60 + rng.normal(0, 2), 1)))
            visits = 100 + 3 * k + int(rng.integers(0, 10))
            if unit == "A3" and month != "2024-06":
                continue  # A3 has one visits value: no chart
            if unit == "A2" and month not in ("2023-02", "2023-04", "2023-07"):
                continue  # three values, none next to another: no moving range
            rows.append(("visits", unit, month, visits))
        for q in QUARTERS:
            if not (unit == "A2" and q == "2023-Q3"):
                rows.append(("inspections", unit, q, 40 + 5 * u + int(rng.integers(0, 8))))
    # Reported totals: the nation's cases when A1b is missing, the provinces' visits (so
    # their series are complete although their regions' are not).
    rows.append(("cases", "N", "2023-09", 2400))
    for month in MONTHS:
        if month != NOBODY:
            rows += [("visits", "A", month, 520 + MONTHS.index(month)),
                     ("visits", "B", month, 300 + 2 * MONTHS.index(month))]
    return rows


@pytest.fixture
def world(engine, tmp_path):
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "units.csv").write_text(UNITS)
    (model_dir / "indicators.yaml").write_text(INDICATORS)
    (model_dir / "priorities.yaml").write_text(PRIORITIES)
    load_model(engine, model_dir, loaded_by="t", now=datetime(2024, 9, 1))
    result = submit_rows(engine, _rows(), submitter="t", now=NOW)
    assert result.accepted, result.errors
    return engine


def test_every_unit_at_once_reads_as_one_unit_at_a_time(world):
    model = read_model(world)
    chosen = list(model.priorities.values())
    data = SeriesData.load(world, model, priority_codes(model, chosen), None)
    compared, seen = 0, set()
    for p in chosen:
        splits = _Splits(data, p, trajectory_of(p))
        units = _below(model, data, p.scope, None)
        found = [splits.at(u)[:2] for u in units]
        fast = _readings(data, p, units, found, with_forecast=False)
        for row, unit, (traj, reason) in zip(fast, units, found, strict=True):
            plain = _reading(data, p, unit, traj, reason, with_forecast=False)
            assert row == plain, (p.code, unit)
            # the same keys in the same order (JSON output)
            assert list(encode(row)) == list(encode(plain))
            compared += 1
            seen.add(row.spc.error[:18] if isinstance(row.spc, Unavailable) else "charted")
            seen.add(row.status)
            seen.add(None if row.latest is None else row.latest.source)
    assert compared == 5 * 9 + 5  # every unit below each scope but B3 (not expected)
    # The world holds what it was built for: charts, series too short or without a moving
    # range, reported totals, units with no trajectory (a baseline share missing).
    assert {"charted", "1 complete period(", "part 1 (2023-02 to"} <= seen
    assert {"reported", "computed", "no_trajectory", "ahead", "off_track"} <= seen


def test_the_one_call_equals_the_plain_path_with_forecasts(world):
    """The status call itself (forecasts at every unit of one priority): the units' rows as
    the plain path reads them, forecasts included (the series handed to them agree)."""
    out = priority_status(Snapshot(world), priority="P_insp", forecasts="all", depth=None)
    (head,) = out.priorities
    model = read_model(world)
    p = model.priorities["P_insp"]
    data = SeriesData.load(world, model, priority_codes(model, [p]), None)
    splits = _Splits(data, p, trajectory_of(p))
    assert [r.unit for r in head.units] == _below(model, data, "N", None)
    for row in head.units:
        plain = _reading(data, p, row.unit, *splits.at(row.unit)[:2], with_forecast=True)
        assert row == plain, row.unit
    assert sum(isinstance(r.forecast, ForecastReading) for r in head.units) >= 5


def test_xmr_many_with_gap_flags_is_xmr_series_by_series():
    rng = np.random.default_rng(3)
    for n in (2, 5, 7, 12, 31):
        rows = 40
        y = rng.normal(50, 5, size=(rows, n)).round(1)
        y[rows // 2:] += np.arange(n) * 0.8  # trends in half the rows
        # n of n + 6 consecutive periods: gaps in some rows, none in others.
        ordinals = np.sort([rng.permutation(n + 6)[:n] for _ in range(rows)], axis=1)
        adjacent = np.ones((rows, n), dtype=bool)
        adjacent[:, 1:] = np.diff(ordinals, axis=1) == 1
        targets = rng.normal(50, 10, size=rows)
        batch = xmr_many(y, polarity="down", target=targets, adjacent=adjacent)
        for r in range(rows):
            periods = [Period(PeriodType.MONTH, 24_000 + int(o)).code for o in ordinals[r]]
            try:
                one = xmr(y[r].tolist(), periods, polarity="down", target=float(targets[r]))
            except StocktakeError:  # a row with no two consecutive values
                assert not batch.charted[r]
                continue
            assert batch.charted[r]
            last = one.parts[-1]
            assert (batch.mean[r, 0], batch.lower[r, 0], batch.upper[r, 0]) == (
                last.mean, last.lower, last.upper)
            assert [p.rule for p in one.points] == [
                ("none", "outside", "trend", "two_of_three", "shift")[k] for k in batch.rule[r]]
            assert (batch.variation_icon[r], batch.assurance_icon[r]) == (
                one.variation_icon, one.assurance_icon)
    with pytest.raises(ValueError, match="adjacent has shape"):
        xmr_many(np.zeros((2, 3)), adjacent=np.ones(4, dtype=bool))


def test_one_period_read_as_assess_reads_it():
    traj = trajectory_from_spec({"method": "s_curve"}, "2023-01", 40.0, "2024-12", 60.0)
    rng = np.random.default_rng(5)
    for period in ("2023-01", "2023-07", "2024-02", "2024-12"):
        for mode, tolerance in (("relative", 3.0), ("absolute", 0.5)):
            expected = traj.expected_at(period)
            # On the edge of the band, inside and outside it, on both sides.
            band = tolerance if mode == "absolute" else tolerance / 100 * expected
            for actual in (expected + band, expected - band, expected + rng.normal(0, 2)):
                for polarity in ("up", "down", "neutral"):
                    whole = assess(traj, {period: actual}, polarity, tolerance, mode)
                    (want,) = [r for r in whole.readings if r.period == period]
                    assert assess_one(traj, period, actual, polarity, tolerance, mode) == want
    with pytest.raises(StocktakeError, match="outside the trajectory"):
        assess_one(traj, "2025-01", 1.0, "up", 3.0)


def test_vintages_are_the_newest_recording_of_each_indicator(world):
    """Read off the values loaded (the batch of each indicator's newest value), they equal
    the newest time of any batch that stored a row, revisions and as_of included."""
    later = datetime(2024, 10, 3)
    revised = submit_rows(world, [("cases", "B2", "2024-08", 999),
                                  ("satisfaction", "A1a", "2024-09", 61.0)],
                          submitter="t", now=later)
    assert revised.accepted, revised.errors
    model = read_model(world)
    o, i, b = s.observations, s.indicators, s.batches
    seen = []
    for as_of in (None, datetime(2024, 9, 25), datetime(2024, 9, 1)):
        data = SeriesData.load(world, model, list(model.indicators), as_of)
        query = (select(i.c.code, func.max(b.c.recorded_at)).select_from(o)
                 .join(i, i.c.id == o.c.indicator_id).join(b, b.c.id == o.c.batch_id)
                 .group_by(i.c.code))
        if as_of is not None:
            query = query.where(b.c.recorded_at <= as_of)
        with world.connect() as conn:
            want = dict(conn.execute(query).all())
        assert data.vintages == want
        seen.append(want)
    assert seen[0]["cases"] == later and seen[1]["cases"] == NOW and seen[2] == {}


def test_a_retired_units_values_are_not_rolled_up(world, tmp_path):
    month = "2024-01"
    cases = {u: v for ind, u, p, v in _rows() if ind == "cases" and p == month}
    model = read_model(world)
    data = SeriesData.load(world, model, ["cases"], None)
    # B3 is not expected to report, but what it reports counts.
    assert data.value_at("cases", "B", month) == cases["B1"] + cases["B2"] + cases["B3"]
    (tmp_path / "model" / "units.csv").write_text(UNITS.replace("B3,Region B3,region,B,no\n",
                                                                ""))
    load_model(world, tmp_path / "model", loaded_by="t", now=datetime(2024, 10, 1))
    model = read_model(world)
    assert "B3" not in model.units  # retired: its stored values stay, unread
    data = SeriesData.load(world, model, ["cases"], None)
    assert data.value_at("cases", "B", month) == cases["B1"] + cases["B2"]
    assert data.value_at("cases", "N", month) == sum(v for u, v in cases.items() if u != "B3")
