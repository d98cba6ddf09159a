"""The simulated demo world: its model files, its submissions and what was planted in them.

Everything is checked from the world's outputs (model texts and submitted rows) with
plain code written here, not with the generator's own helpers.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections import defaultdict
from datetime import datetime, timedelta

import numpy as np
import pytest

from stocktake.demo.geography import split_exactly
from stocktake.demo.world import Submission, World, build_world
from stocktake.model.files import parse_model
from stocktake.model.periods import Period, PeriodError

# Statistics Canada, 2021 census population counts.
CENSUS_2021 = {
    "NL": 510_550, "PE": 154_331, "NS": 969_383, "NB": 775_610, "QC": 8_501_833,
    "ON": 14_223_942, "MB": 1_342_153, "SK": 1_132_505, "AB": 4_262_635, "BC": 5_000_879,
    "YT": 40_232, "NT": 41_070, "NU": 36_858,
}
CANADA_2021 = 36_991_981


@pytest.fixture(scope="module")
def world() -> World:
    return build_world()


@pytest.fixture(scope="module")
def model(world):
    return parse_model(world.units_csv, world.indicators_yaml, world.priorities_yaml)


class Latest(dict):
    """The last accepted value of every (indicator, unit, period), indexed for roll-ups."""

    def __init__(self, submissions: list[Submission]):
        super().__init__()
        self.by = defaultdict(dict)  # (indicator, period) -> {unit: value}
        for s in submissions:  # already in time order (checked below)
            if not s.expect_errors:
                for ind, unit, period, value in s.rows:
                    self[(ind, unit, period)] = float(value)
                    self.by[(ind, period)][unit] = float(value)


@pytest.fixture(scope="module")
def latest(world) -> Latest:
    return Latest(world.submissions)


def months(first: str, last: str) -> list[str]:
    a, b = Period.parse(first), Period.parse(last)
    return [a.shift(k).code for k in range(b - a + 1)]


def national(model, latest, code: str, periods: list[str],
             units: set[str] | None = None) -> np.ndarray:
    """Roll an indicator up over ``units`` (default: every unit below CA), by its definition."""
    ind = model.indicators[code]

    def total(c: str, p: str, weight: str | None = None) -> float:
        s = 0.0
        for u, v in latest.by[(c, p)].items():
            if u != "CA" and (units is None or u in units):
                s += v * (latest[(weight, u, p)] if weight else 1.0)
        return s

    out = []
    for p in periods:
        if ind.aggregation.value == "sum":
            out.append(total(code, p))
        elif ind.aggregation.value == "ratio":
            out.append(ind.scale * total(ind.numerator, p) / total(ind.denominator, p))
        else:
            out.append(total(code, p, ind.weight) / total(ind.weight, p))
    return np.array(out)


# -- the model files ----------------------------------------------------------------------

def test_model_texts_pass_the_model_loader(model):
    assert len(model.units) >= 40
    assert len(model.indicators) >= 30
    assert len(model.priorities) >= 5


def test_units_are_canada_on_three_levels_with_census_populations(model):
    levels = {u.level for u in model.units.values()}
    assert levels == {"nation", "province", "region"}
    assert [u.code for u in model.roots()] == ["CA"]
    provinces = {u.code: u for u in model.units.values() if u.level == "province"}
    assert {c: u.attributes["population"] for c, u in provinces.items()} == CENSUS_2021
    assert sum(CENSUS_2021.values()) == CANADA_2021
    assert model.units["CA"].attributes["population"] == CANADA_2021
    for code in provinces:
        kids = model.children(code)
        assert kids, f"{code} has no regions"
        assert all(k.level == "region" for k in kids)
        assert sum(k.attributes["population"] for k in kids) == CENSUS_2021[code]
    regions = [u for u in model.units.values() if u.level == "region"]
    assert len(regions) >= 26
    assert all(u.code.startswith(u.parent + "-") and len(u.code) <= 7 for u in regions)


def test_indicators_cover_every_kind_of_aggregation_and_say_they_are_simulated(model):
    inds = model.indicators.values()
    assert all(i.source.startswith("Simulated for the stocktake demo") for i in inds)
    aggs = {i.aggregation.value for i in inds}
    assert {"sum", "ratio", "weighted_mean"} <= aggs
    assert any(i.aggregation.value == "ratio" and i.scale == 100000 for i in inds)
    assert any(i.kind.value == "context" and i.code == "population" for i in inds)
    assert {i.period_type for i in inds} >= {"month", "quarter", "year"}


def test_priorities_each_have_a_headline_two_leads_and_a_counter(model):
    for p in model.priorities.values():
        assert model.indicators[p.headline].kind.value == "headline", p.code
        assert len(p.leads) >= 2, p.code
        assert all(model.indicators[c].kind.value == "lead" for c in p.leads), p.code
        assert p.counters, p.code
        assert all(model.indicators[c].kind.value == "counter" for c in p.counters), p.code
        assert p.scope == "CA"
        assert p.attributes["trajectory"]["method"] in (
            "linear", "s_curve", "landmarks", "interventions")
    methods = {p.attributes["trajectory"]["method"] for p in model.priorities.values()}
    assert len(methods) >= 3


# -- the submissions -------------------------------------------------------------------------

def test_submissions_are_sorted_and_all_before_the_clock(world):
    assert world.clock == datetime(2026, 11, 20, 12, 0)
    times = [s.recorded_at for s in world.submissions]
    assert times == sorted(times)
    assert all(t.tzinfo is None and t < world.clock for t in times)
    assert all(isinstance(s, Submission) and s.rows and s.submitter and s.reason
               for s in world.submissions)


def _row_problem(model, row) -> str | None:
    ind, unit, period, value = row
    if ind not in model.indicators:
        return f"unknown indicator {ind}"
    if unit not in model.units:
        return f"unknown unit {unit}"
    try:
        Period.parse(period, model.indicators[ind].period_type)
    except PeriodError as exc:
        return str(exc)
    if not isinstance(value, float) or not math.isfinite(value):
        return f"value {value!r} is not a number"
    return None


def test_every_clean_row_is_valid_and_every_malformed_return_really_is(world, model):
    malformed = 0
    for s in world.submissions:
        problems = [p for r in s.rows if (p := _row_problem(model, r))]
        if s.expect_errors:
            malformed += 1
            assert problems, f"{s.label} at {s.recorded_at} holds no error"
            continue
        assert not problems, (s.label, s.recorded_at, problems[:3])
        for ind, _unit, _period, value in s.rows:
            attrs = model.indicators[ind].attributes
            assert value >= attrs.get("min", -math.inf) and value <= attrs.get("max", math.inf)
            if attrs.get("integer"):
                assert value == int(value), (ind, value)
    assert malformed >= 3
    found = [p for s in world.submissions if s.expect_errors
             for r in s.rows if (p := _row_problem(model, r))]
    for kind in ("unknown indicator", "unknown unit", "is not a number", "is expected here"):
        assert any(kind in p for p in found), kind


def test_each_malformed_return_is_followed_by_a_corrected_one(world):
    for i, s in enumerate(world.submissions):
        if s.expect_errors:
            later = [t for t in world.submissions[i + 1:] if t.submitter == s.submitter
                     and t.label == "resubmission after rejection"]
            assert later and len(later[0].rows) == len(s.rows)


def test_eight_years_of_mostly_monthly_data(world, model):
    periods = defaultdict(set)
    types = defaultdict(int)
    for s in world.submissions:
        for ind, _u, period, _v in s.rows:
            if ind in model.indicators:
                periods[ind].add(period)
                types[model.indicators[ind].period_type] += 1
    monthly = sorted(periods["grade3_reading_pct"])
    assert monthly[0] == "2018-01" and len(monthly) >= 96
    assert types["month"] > 0.9 * sum(types.values())
    assert types["quarter"] > 0 and types["year"] > 0
    n = sum(len(s.rows) for s in world.submissions)
    assert 150_000 <= n <= 300_000


def test_counts_are_reported_by_regions_and_some_indicators_by_provinces(world, model):
    level_of = defaultdict(set)
    for s in world.submissions:
        if not s.expect_errors:
            for ind, unit, _p, _v in s.rows:
                level_of[ind].add(model.units[unit].level)
    assert level_of["violent_incidents"] == {"region"}
    assert level_of["housing_permits"] == {"province"}
    assert level_of["housing_completions"] == {"region", "nation"}


def test_computed_ratios_are_never_reported_and_everything_else_is(world, model):
    reported = {r[0] for s in world.submissions if not s.expect_errors for r in s.rows}
    ratios = {c for c, i in model.indicators.items() if i.aggregation.value == "ratio"}
    assert reported == set(model.indicators) - ratios


def test_split_exactly_keeps_the_total_and_refuses_bad_weights():
    assert split_exactly(10, [1, 1, 1]) == [4, 3, 3]  # 3.33 each; the first gets the spare
    assert split_exactly(7, [2, 5]) == [2, 5]
    assert split_exactly(100, [1, 2, 3, 4]) == [10, 20, 30, 40]
    with pytest.raises(ValueError, match="positive weights"):
        split_exactly(10, [1, 0])


# -- what was planted ---------------------------------------------------------------------------

def test_baselines_match_the_simulated_national_data(model, latest):
    for p in model.priorities.values():
        value = national(model, latest, p.headline, [p.baseline.period])[0]
        assert p.baseline.value == pytest.approx(value, abs=0.051), p.code
        good_up = model.indicators[p.headline].polarity.value == "up"
        assert (p.target.value > p.baseline.value) == good_up, p.code


def test_some_priorities_are_ahead_of_their_path_and_some_behind(world):
    ahead = [v["ahead_of_linear_path"] for v in world.notes["status_at_clock"].values()]
    assert any(ahead) and not all(ahead)


def test_national_total_is_published_separately_and_differs_slightly(model, latest):
    ps = months("2018-02", "2026-08")
    summed = national(model, latest, "housing_completions", ps)
    published = np.array([latest[("housing_completions", "CA", p)] for p in ps])
    gap = np.abs(published - summed) / summed
    assert (gap > 0).mean() > 0.9 and gap.max() < 0.04


def _lagcorr(lead: np.ndarray, head: np.ndarray, first_month: int, max_lag: int = 24):
    """Correlation of month-on-month changes (month-of-year means removed), lead first."""
    def prep(x):
        d = np.diff(x)
        moy = (first_month + 1 + np.arange(len(d))) % 12
        for m in range(12):
            d[moy == m] -= d[moy == m].mean()
        return d
    a, b = prep(lead), prep(head)
    return np.array([np.corrcoef(a[:len(a) - k], b[k:])[0, 1] for k in range(max_lag + 1)])


def _complete_units(model, latest, codes: list[str], periods: list[str]) -> set[str]:
    """Units that reported every component of ``codes`` in every period."""
    parts = set()
    for c in codes:
        ind = model.indicators[c]
        parts |= {ind.numerator, ind.denominator} if ind.aggregation.value == "ratio" else {c}
        if ind.weight:
            parts.add(ind.weight)
    units = {u for (_i, u, _p) in latest if u != "CA"}
    return {u for u in units
            if all(sum((i, u, p) in latest for p in periods) in (0, len(periods))
                   for i in parts)}


def test_planted_leads_are_found_by_a_lagged_correlation_of_national_series(world, model,
                                                                         latest):
    """Sum the units that reported every month (set aside uncorrected keying errors, as an
    analyst would), difference, remove month-of-year means, and correlate at lags 0-24."""
    ps = months("2018-01", "2026-06")
    keyed = {o["unit"] for o in world.notes["outliers"] if not o["corrected"]}
    signs = {(n["lead"], n["headline"]): n["sign"] for n in world.notes["planted_leads"]}
    assert len(world.planted_leads) >= 5
    planted = {}
    for lead, head, lag in world.planted_leads:
        units = _complete_units(model, latest, [lead, head], ps) - keyed
        corr = _lagcorr(national(model, latest, lead, ps, units),
                        national(model, latest, head, ps, units), first_month=0)
        best = int(np.argmax(np.abs(corr)))
        assert best == lag, (lead, head, lag, best, corr.round(2))
        assert abs(corr[lag]) > 0.35
        assert (corr[lag] > 0) == (signs[(lead, head)] == "positive")
        planted[head] = max(planted.get(head, 0.0), abs(corr[lag]))
    for decoy in world.notes["decoy_leads"]:
        head = next(p.headline for p in model.priorities.values() if decoy in p.leads)
        units = _complete_units(model, latest, [decoy, head], ps) - keyed
        corr = _lagcorr(national(model, latest, decoy, ps, units),
                        national(model, latest, head, ps, units), first_month=0)
        assert np.abs(corr).max() < min(0.5, planted[head] - 0.2), (decoy, corr.round(2))


def test_units_improve_stall_and_worsen_as_the_notes_say(world, model, latest):
    for code, trend in world.notes["trends"].items():
        p = model.priorities[code]
        sign = 1 if model.indicators[p.headline].polarity.value == "up" else -1
        change = {}
        for cls in ("improving", "stalling", "worsening"):
            units = set(trend[cls])
            assert units, (code, cls)
            before = national(model, latest, p.headline, months(*trend["before"]), units)
            after = national(model, latest, p.headline, months(*trend["after"]), units)
            change[cls] = sign * (after.mean() / before.mean() - 1)
        assert change["improving"] > change["stalling"] > change["worsening"], (code, change)
        assert change["improving"] > 0 and change["worsening"] < 0, (code, change)


def test_late_units_report_weeks_after_the_others(world):
    delays = defaultdict(list)
    for s in world.submissions:
        if s.label != "monthly return":
            continue
        unit = next(u for _i, u, p, _v in s.rows if len(p) == 7 and "-" in u)
        end = Period.parse(s.rows[0][2]).end
        delays[unit.split("-")[0] if "delivery office" in s.submitter else unit].append(
            (s.recorded_at.date() - end).days)
    late = world.notes["late_units"]
    assert late
    for unit in late:
        assert statistics.median(delays[unit]) >= 28, unit
    on_time = [statistics.median(v) for k, v in delays.items() if k not in late]
    assert max(on_time) < 28


def test_gaps_are_missing_or_filled_later_as_the_notes_say(world, latest):
    checked = 0
    for gap in world.notes["gaps"]:
        for period in gap["periods"]:
            if gap["indicators"] == "all":
                got = sorted({i for (i, u, p) in latest if u == gap["unit"] and p == period})
                assert got == gap["except"], (gap["unit"], period, got)
                before = Period.parse(gap["periods"][0]).shift(-1).code
                assert len({i for (i, u, p) in latest if u == gap["unit"] and p == before}) > 10
                checked += 1
                continue
            for ind in gap["indicators"]:
                carriers = [s for s in world.submissions if not s.expect_errors
                            and any(r[:3] == (ind, gap["unit"], period) for r in s.rows)]
                if gap["filled_later"]:
                    assert [s.label for s in carriers] == [gap["filled_by"]]
                    assert carriers[0].recorded_at.date() > Period.parse(period).end + \
                        timedelta(days=60)
                else:
                    assert not carriers
                checked += 1
    assert checked >= 10


def test_revisions_leave_earlier_vintages(world):
    history = defaultdict(list)
    for s in world.submissions:
        if not s.expect_errors:
            for ind, unit, period, value in s.rows:
                history[(ind, unit, period)].append((s.label, value))
    for rev in world.notes["revisions"]:
        if not isinstance(rev["units"], list) or rev["indicator"] == "housing_completions":
            continue
        first, last = rev["periods"]
        for unit in rev["units"]:
            for period in months(first, last):
                versions = history[(rev["indicator"], unit, period)]
                assert len(versions) == 2, (rev["label"], unit, period)
                assert versions[-1][0] == rev["label"]
                assert versions[0][1] != versions[1][1]
    pop = [v for v in history.values() if v[-1][0] == "population estimates revised"]
    assert len(pop) > 5000
    assert any(len(v) >= 2 for k, v in history.items() if k[1] == "CA")


def test_outliers_are_keyed_ten_times_too_high(world):
    first: dict[tuple[str, str, str], float] = {}
    series = defaultdict(dict)
    for s in world.submissions:
        if not s.expect_errors and s.label == "monthly return":
            for ind, unit, period, value in s.rows:
                first.setdefault((ind, unit, period), value)
                series[(ind, unit)][period] = value
    for o in world.notes["outliers"]:
        value = first[(o["indicator"], o["unit"], o["period"])]
        p = Period.parse(o["period"])
        around = [series[(o["indicator"], o["unit"])][p.shift(k).code]
                  for k in (-3, -2, -1, 1, 2, 3)]
        assert 5 < value / statistics.median(around) < 20, o


def test_counter_indicators_catch_the_planted_gaming(world, model, latest):
    for g in world.notes["gaming"]:
        p = model.priorities[g["priority"]]
        counter = model.indicators[g["counter"]]
        units = {g["unit"]} | {u.code for u in model.children(g["unit"])}
        start = Period.parse(g["from"])
        before = national(model, latest, counter.code,
                          months(start.shift(-12).code, start.shift(-1).code), units)
        after = national(model, latest, counter.code, months("2025-07", "2026-06"), units)
        worse = after.mean() - before.mean()
        sign = 1 if counter.polarity.value == "down" else -1
        assert sign * worse > 1.0, (p.code, g["unit"], before.mean(), after.mean())


# -- the build itself ---------------------------------------------------------------------------

def test_same_seed_same_world_and_another_seed_another(world):
    again = build_world(2026)
    assert again.units_csv == world.units_csv
    assert again.indicators_yaml == world.indicators_yaml
    assert again.priorities_yaml == world.priorities_yaml
    assert again == world
    other = build_world(7)
    assert other.units_csv == world.units_csv  # geography does not depend on the seed
    assert other.priorities_yaml != world.priorities_yaml
    assert [s.rows for s in other.submissions] != [s.rows for s in world.submissions]


def test_build_is_fast_and_reports_progress():
    calls: list[tuple[int, int]] = []
    start = time.process_time()  # CPU time: what other processes do does not count
    w = build_world(11, progress=lambda done, total: calls.append((done, total)))
    assert time.process_time() - start < 2.0
    assert w.name == "Demo federation (simulated data)"
    assert len(calls) >= 5
    assert all(0 < d <= t for d, t in calls)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert calls[-1][0] == calls[-1][1]


def test_notes_are_plain_json(world):
    assert json.loads(json.dumps(world.notes)) == world.notes
