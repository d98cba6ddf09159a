"""The simulated demo world: a federation shaped like Canada, its delivery model and the
submissions its reporting units send, with the trouble real data has.

``build_world(seed)`` returns a :class:`World`: the three model files as text (units.csv,
indicators.yaml, priorities.yaml) and a time-ordered list of :class:`Submission` batches
(monthly returns, statistics office releases, revisions, late and malformed returns).
Everything is simulated and deterministic from the seed; ``World.notes`` says what was
planted where (trends, lead indicators, gaps, outliers, revisions, late units, gaming)
so tests and documentation can check it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import yaml

from ..model.periods import Period, PeriodType
from . import catalogue as cat
from .french import PRIORITY_TITLES_FR
from .geography import NATION_CODE, PROVINCES, units_csv
from .series import (
    CLASSES,
    GAMING,
    IMPROVING,
    MONTHS,
    QUARTERS,
    SEASON_VIOLENCE,
    STALLING,
    WORSENING,
    YEARS,
    Simulated,
    completions_seasonal,
    month_index,
    seasonal_profile,
    simulate,
)

WORLD_NAME = "Demo federation (simulated data)"
CLOCK = datetime(2026, 11, 20, 12, 0)  # the demo's fixed "now", whatever the real date

# (indicator, unit, period, value). A value is a str only in a malformed return's bad row.
Row = tuple[str, str, str, float | str]


@dataclass
class Submission:
    """One batch sent by a data team: accepted or rejected as a whole."""

    recorded_at: datetime  # naive UTC, simulated
    submitter: str
    reason: str
    rows: list[Row]
    label: str  # "monthly return", "late return", "revision after audit", ...
    expect_errors: bool = False


@dataclass
class World:
    name: str
    clock: datetime
    units_csv: str
    indicators_yaml: str
    priorities_yaml: str
    submissions: list[Submission]
    planted_leads: list[tuple[str, str, int]]  # (lead code, headline code, lag in periods)
    notes: dict[str, Any] = field(default_factory=dict)


# (lead, headline, lag in months, sign of the effect)
PLANTED_LEADS: list[tuple[str, str, int, int]] = [
    ("or_hours", "surg_within_benchmark_pct", 3, +1),
    ("weapons_calls", "violent_crime_rate", 2, +1),
    ("literacy_screening_pct", "grade3_reading_pct", 6, +1),
    ("housing_permits", "housing_completions", 15, +1),
    ("housing_starts", "housing_completions", 9, +1),
    ("eviction_filings", "chronic_homeless", 6, +1),
    ("housing_placements", "chronic_homeless", 2, -1),
]
DECOY_LEADS = ["surg_referrals", "youth_program_participants", "reading_tutors_fte"]

# Regions that send their own returns instead of through their province, and how late.
SELF_REPORTING = {
    "NL-LAB": {"since": "2018-01", "delay_days": 45, "jitter_days": 8,
               "why": "remote region; one data officer; returns arrive six weeks late"},
    "SK-NOR": {"since": "2024-01", "delay_days": 32, "jitter_days": 6,
               "why": "reports separately since a system change in 2024; a month late"},
}
# Never reported: whole returns or some indicators.
FULL_GAPS = {("NU-KIT", m) for m in ("2022-07", "2022-08", "2022-09")} | {("NL-LAB", "2024-12")}
PARTIAL_GAPS = {
    ("QC-NOR", "2024-07"): cat.PRIORITY_INDICATORS["SURG"],  # filled by a late return
    ("ON-NWE", "2019-08"): cat.PRIORITY_INDICATORS["CRIME"],  # never filled
}
LATE_FILL = {("QC-NOR", "2024-07"): date(2024, 11, 12)}
# Keying errors: (indicator, unit, month, factor); corrected on the date given, or never.
KEYING_ERRORS = [
    ("violent_incidents", "NS-EAS", "2024-09", 10, date(2024, 12, 9)),
    ("youth_program_participants", "ON-CEA", "2021-10", 10, None),
    ("surg_referrals", "QC-CAP", "2025-02", 10, None),
]
# Returns that break a rule the data teams agreed (DEMO_RULES in build.py): a warning, so
# the values are stored and count against the unit's validity until corrected.
# (indicator, unit, first month, last month, what went wrong, corrected on or None)
RULE_BREACHES = [
    ("unfounded_incidents", "SK-REG", "2026-03", "2026-10", "a new records system counts "
     "every unfounded report, not only violent ones", None),
    ("affordable_completions", "AB-CEN", "2025-03", "2025-04", "every unit of a "
     "mixed-income project counted as affordable", None),
    ("grade3_exempted", "QC-MTL", "2025-09", "2025-12", "pupils exempted from one subtest "
     "counted as exempted from the assessment", date(2026, 2, 10)),
]
# Malformed returns (province, month): rejected, then resubmitted corrected.
MALFORMED = {
    ("QC", "2024-08"): "decimal comma in a value",
    ("ON", "2025-05"): "unit code typo 'ON-HMA' for ON-HAM",
    ("MB", "2025-06"): "shelter_beds given for month 2025-06 instead of quarter 2025-Q2",
    ("AB", "2025-11"): "indicator code typo 'violent_incident'",
}


def build_world(seed: int = 2026,
                progress: Callable[[int, int], None] | None = None) -> World:
    """Simulate the whole demo world from ``seed`` (same seed, identical world)."""
    rng = np.random.default_rng(seed)
    # Stages: 6 simulations, one per simulated year of returns, then the model texts.
    years = sum(1 for m in MONTHS if m.ordinal % 12 == 11)
    total = 6 + years + 1
    steps = {"done": 0}

    def step() -> None:
        steps["done"] += 1
        if progress is not None:
            progress(steps["done"], total)

    sim = simulate(rng, step)
    _plant_uncorrected_outliers(sim)
    builder = _Builder(sim, rng)
    builder.monthly(step)
    builder.periodic()
    builder.revisions()
    subs = [s for s in builder.subs if s.recorded_at < CLOCK]
    subs.sort(key=lambda s: (s.recorded_at, s.submitter, s.label))
    latest = Latest(subs)
    priorities_text, baselines = _priorities_yaml(latest)
    notes = _notes(sim, builder, subs, baselines, latest)
    step()
    return World(
        name=WORLD_NAME,
        clock=CLOCK,
        units_csv=units_csv(),
        indicators_yaml=cat.indicators_yaml(),
        priorities_yaml=priorities_text,
        submissions=subs,
        planted_leads=[(lead, head, lag) for lead, head, lag, _ in PLANTED_LEADS],
        notes=notes,
    )


def _plant_uncorrected_outliers(sim: Simulated) -> None:
    codes = [r.code for r in sim.regions]
    for ind, unit, month, factor, corrected in KEYING_ERRORS:
        if corrected is None:
            sim.region[ind][codes.index(unit), month_index(month)] *= factor


def _stamp(day: date, rng: np.random.Generator) -> datetime:
    """A working-day time of submission (13:00-22:59 UTC: office hours across Canada)."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    h, m, s = (int(x) for x in rng.integers([13, 0, 0], [23, 60, 60]))
    return datetime(day.year, day.month, day.day, h, m, s)


class _Builder:
    """Turns the simulated values into the submissions that would have carried them."""

    def __init__(self, sim: Simulated, rng: np.random.Generator) -> None:
        self.sim, self.rng = sim, rng
        self.subs: list[Submission] = []
        self.codes = [r.code for r in sim.regions]
        self.row_of = {c: i for i, c in enumerate(self.codes)}
        self.prov_regions = {p: [r.code for r in sim.regions if r.province == p]
                             for p, _, _ in PROVINCES}
        self.prov_name = {p: n for p, n, _ in PROVINCES}
        self.prov_index = {p: i for i, (p, _, _) in enumerate(PROVINCES)}
        self.region_name = {r.code: r.name for r in sim.regions}
        self.month_codes = [m.code for m in MONTHS]
        # Python lists: indexing them is much faster than numpy scalars, row by row.
        self.values = {k: v.tolist() for k, v in sim.region.items()}
        self.values["population"] = sim.population_preliminary.tolist()
        self.prov_values = {k: v.tolist() for k, v in sim.province.items()}
        self.first_reported: dict[tuple[str, str, str], float] = {}
        self._plant_first_reports()
        # Each team's usual delay after month end, in days.
        self.delay = {p: int(rng.integers(6, 18)) + (6 if p in ("YT", "NT", "NU") else 0)
                      for p, _, _ in PROVINCES}
        self.malformed_log: list[dict[str, Any]] = []

    def _plant_first_reports(self) -> None:
        """Values first reported wrongly and revised later (the final value is the truth)."""
        v = self.sim.region
        for ind, unit, month, factor, corrected in KEYING_ERRORS:
            if corrected is not None:
                t = month_index(month)
                self.first_reported[(ind, unit, month)] = float(
                    v[ind][self.row_of[unit], t] * factor)
        for unit in self.prov_regions["NB"]:  # audit: waits measured from the wrong date
            for month in range(month_index("2023-01"), month_index("2023-12") + 1):
                i = self.row_of[unit]
                inflated = min(v["surg_completed"][i, month],
                               round(v["surg_within_benchmark"][i, month] * 1.09))
                self.first_reported[("surg_within_benchmark", unit,
                                     self.month_codes[month])] = float(inflated)
        for ind, unit, first, last, _why, _corrected in RULE_BREACHES:
            for t in range(month_index(first), month_index(last) + 1):
                self.first_reported[(ind, unit, self.month_codes[t])] = self._breach(
                    ind, self.row_of[unit], t)
        for month in range(month_index("2024-01"), month_index("2024-09") + 1):
            i = self.row_of["ON-TOR"]  # duplicates on the by-name list, removed later
            self.first_reported[("chronic_homeless", "ON-TOR", self.month_codes[month])] = (
                float(round(v["chronic_homeless"][i, month] * 1.07)))

    def _breach(self, ind: str, i: int, t: int) -> float:
        """A value that breaks its rule by a margin a reviewer would notice."""
        v = self.sim.region
        if ind == "unfounded_incidents":  # must stay within violent_reports
            return float(round(v["violent_reports"][i, t] * 1.3) + 1)
        if ind == "affordable_completions":  # within housing_completions
            return float(round(v["housing_completions"][i, t] * 1.15) + 1)
        if ind == "grade3_exempted":  # assessed + exempted within enrolled
            enrolled = v["grade3_enrolled"][i, t]
            return float(enrolled - v["grade3_assessed"][i, t] + round(0.04 * enrolled) + 1)
        raise ValueError(f"no rule breach planted for {ind}")

    # -- rows ------------------------------------------------------------------------------
    def region_rows(self, unit: str, t: int, only: list[str] | None = None,
                    skip: list[str] | None = None) -> list[Row]:
        month = self.month_codes[t]
        i = self.row_of[unit]
        rows: list[Row] = []
        for ind in only or cat.REGION_MONTHLY:
            if skip and ind in skip:
                continue
            value = self.first_reported.get((ind, unit, month))
            if value is None:
                value = self.values[ind][i][t]
                if value != value:  # NaN: nothing to report
                    continue
            rows.append((ind, unit, month, value))
        return rows

    def quarter_rows(self, units: list[str], t: int) -> list[Row]:
        period = MONTHS[t].to(PeriodType.QUARTER)
        j = QUARTERS.index(period) if period in QUARTERS else None
        if j is None:
            return []
        return [(ind, u, period.code, float(self.sim.region_quarterly[ind][self.row_of[u], j]))
                for u in units if (u, self.month_codes[t]) not in FULL_GAPS
                for ind in cat.REGION_QUARTERLY]

    # -- monthly returns -------------------------------------------------------------------
    def monthly(self, step: Callable[[], None]) -> None:
        rng = self.rng
        for t, period in enumerate(MONTHS):
            month = period.code
            quarter_end = period.ordinal % 3 == 2
            for p, pname, _ in PROVINCES:
                own = [u for u in self.prov_regions[p] if not self._self_reporting(u, month)]
                rows: list[Row] = []
                for u in own:
                    if (u, month) in FULL_GAPS:
                        continue
                    rows += self.region_rows(u, t, skip=PARTIAL_GAPS.get((u, month)))
                prov_i = self.prov_index[p]
                for ind in cat.PROVINCE_MONTHLY:
                    rows.append((ind, p, month, self.prov_values[ind][prov_i][t]))
                if quarter_end:
                    rows += self.quarter_rows(own, t)
                delay = max(3, self.delay[p] + round(float(rng.normal(0, 2.5))))
                when = _stamp(period.end + timedelta(days=delay), rng)
                sub = Submission(when, f"{pname} delivery office data team",
                                 f"Monthly return for {month}", rows, "monthly return")
                if (p, month) in MALFORMED:
                    self._malformed(p, month, sub)
                else:
                    self.subs.append(sub)
            for u, spec in SELF_REPORTING.items():
                if not self._self_reporting(u, month) or (u, month) in FULL_GAPS:
                    continue
                rows = self.region_rows(u, t)
                if quarter_end:
                    rows += self.quarter_rows([u], t)
                jitter = round(float(rng.normal(0, spec["jitter_days"])))
                delay = max(20, spec["delay_days"] + jitter)
                when = _stamp(period.end + timedelta(days=delay), rng)
                self.subs.append(Submission(when, f"{self.region_name[u]} data office",
                                            f"Monthly return for {month}", rows,
                                            "monthly return"))
            self._statistics_release(t)
            if period.ordinal % 12 == 11:
                step()

    def _self_reporting(self, unit: str, month: str) -> bool:
        spec = SELF_REPORTING.get(unit)
        return spec is not None and month >= spec["since"]

    def _statistics_release(self, t: int) -> None:
        """Permits by province and the national completions total (previous month revised)."""
        month = self.month_codes[t]
        rows: list[Row] = [(ind, p, month, self.prov_values[ind][i][t])
                           for ind in cat.STATS_OFFICE_MONTHLY
                           for i, (p, _, _) in enumerate(PROVINCES)]
        first = self.sim.national_first_release[cat.NATIONAL_TOTAL]
        final = self.sim.national[cat.NATIONAL_TOTAL]
        rows.append((cat.NATIONAL_TOTAL, NATION_CODE, month, float(first[t])))
        if t > 0:
            rows.append((cat.NATIONAL_TOTAL, NATION_CODE, self.month_codes[t - 1],
                         float(final[t - 1])))
        delay = 38 + round(float(self.rng.normal(0, 2)))
        when = _stamp(MONTHS[t].end + timedelta(days=delay), self.rng)
        self.subs.append(Submission(when, cat.STATS, f"Monthly release for {month}: permits; "
                                    f"national completions (previous month revised)", rows,
                                    "statistics office release"))

    def _malformed(self, p: str, month: str, good: Submission) -> None:
        bad_rows = list(good.rows)
        if p == "AB":
            k = next(i for i, r in enumerate(bad_rows) if r[0] == "violent_incidents")
            bad_rows[k] = ("violent_incident", *bad_rows[k][1:])
        elif p == "QC":
            k = next(i for i, r in enumerate(bad_rows)
                     if r[0] == "grade3_reading_pct" and r[1] == "QC-MTL")
            bad_rows[k] = (*bad_rows[k][:3], f"{bad_rows[k][3]:.1f}".replace(".", ","))
        elif p == "ON":
            bad_rows = [(r[0], "ON-HMA", r[2], r[3]) if r[1] == "ON-HAM" else r
                        for r in bad_rows]
        elif p == "MB":
            bad_rows = [(r[0], r[1], month, r[3]) if r[0] == "shelter_beds" else r
                        for r in bad_rows]
        good_rows = set(good.rows)
        wrong = [r for r in bad_rows if r not in good_rows]
        bad = Submission(good.recorded_at, good.submitter, good.reason, bad_rows,
                         "malformed return", expect_errors=True)
        fixed_day = good.recorded_at.date() + timedelta(days=1 + int(self.rng.integers(0, 3)))
        fixed = Submission(_stamp(fixed_day, self.rng), good.submitter,
                           f"Corrected return for {month} after rejection: {MALFORMED[(p, month)]}",
                           good.rows, "resubmission after rejection")
        self.subs += [bad, fixed]
        self.malformed_log.append({
            "submitter": good.submitter, "period": month, "problem": MALFORMED[(p, month)],
            "bad_rows": len(wrong), "example": list(wrong[0]),
            "recorded_at": bad.recorded_at.isoformat(),
            "resubmitted_at": fixed.recorded_at.isoformat(),
        })

    # -- quarterly, yearly and catch-up data ---------------------------------------------------
    def periodic(self) -> None:
        for j, year in enumerate(YEARS):
            rows: list[Row] = [(ind, p, year.code, float(self.sim.province_yearly[ind][i, j]))
                               for ind in cat.PROVINCE_YEARLY
                               for i, (p, _, _) in enumerate(PROVINCES)]
            when = _stamp(date(year.ordinal + 1, 3, 24), self.rng)
            self.subs.append(Submission(when, cat.STATS, f"Police resources, {year.code}",
                                        rows, "annual release"))
        for (unit, month), day in LATE_FILL.items():
            rows = self.region_rows(unit, month_index(month), only=PARTIAL_GAPS[(unit, month)])
            prov = unit.split("-")[0]
            self.subs.append(Submission(
                _stamp(day, self.rng), f"{self.prov_name[prov]} delivery office data team",
                f"Surgery data for {unit} {month}, missing from the monthly return after a "
                "hospital system changeover", rows, "late return"))

    def revisions(self) -> None:
        final_pop = self.sim.region["population"]
        for year in range(2019, 2027):
            ts = [month_index(f"{year - 1}-{m:02d}") for m in range(1, 13)]
            rows: list[Row] = [("population", u, self.month_codes[t], float(final_pop[i, t]))
                               for i, u in enumerate(self.codes) for t in ts]
            when = _stamp(date(year, 3, 18), self.rng)
            self.subs.append(Submission(when, cat.STATS, f"Annual revision of population "
                                        f"estimates for {year - 1}", rows,
                                        "population estimates revised"))
        v = self.sim.region
        nb = [(u, t) for u in self.prov_regions["NB"]
              for t in range(month_index("2023-01"), month_index("2023-12") + 1)]
        self.subs.append(Submission(
            _stamp(date(2024, 5, 14), self.rng), "New Brunswick delivery office data team",
            "Audit found 2023 waits measured from the booking date, not the decision to "
            "treat; surgeries within benchmark recomputed",
            [("surg_within_benchmark", u, self.month_codes[t],
              float(v["surg_within_benchmark"][self.row_of[u], t])) for u, t in nb],
            "revision after audit"))
        for ind, unit, month, _factor, corrected in KEYING_ERRORS:
            if corrected is None:
                continue
            prov = unit.split("-")[0]
            self.subs.append(Submission(
                _stamp(corrected, self.rng), f"{self.prov_name[prov]} delivery office data team",
                f"{ind} for {unit} {month} was keyed with an extra digit", [
                    (ind, unit, month, float(v[ind][self.row_of[unit], month_index(month)]))],
                "correction of keying error"))
        for ind, unit, first, last, why, corrected in RULE_BREACHES:
            if corrected is None:
                continue
            prov = unit.split("-")[0]
            ts = range(month_index(first), month_index(last) + 1)
            self.subs.append(Submission(
                _stamp(corrected, self.rng), f"{self.prov_name[prov]} delivery office data team",
                f"{ind} for {unit} {first} to {last} corrected after a validation warning: "
                f"{why}", [(ind, unit, self.month_codes[t],
                            float(v[ind][self.row_of[unit], t])) for t in ts],
                "correction after a rule warning"))
        i = self.row_of["ON-TOR"]
        ts = range(month_index("2024-01"), month_index("2024-09") + 1)
        self.subs.append(Submission(
            _stamp(date(2024, 11, 12), self.rng), "Ontario delivery office data team",
            "Toronto by-name list deduplicated: people counted twice across shelters removed",
            [("chronic_homeless", "ON-TOR", self.month_codes[t],
              float(v["chronic_homeless"][i, t])) for t in ts],
            "revision after data cleaning"))


# -- reading the submissions back --------------------------------------------------------------

class Latest:
    """The current value of every (indicator, unit, period): the last accepted report."""

    def __init__(self, subs: list[Submission]) -> None:
        self.values: dict[tuple[str, str], dict[str, float]] = {}  # (ind, period) -> unit
        for s in sorted(subs, key=lambda s: s.recorded_at):
            if s.expect_errors:
                continue
            for ind, unit, period, value in s.rows:
                self.values.setdefault((ind, period), {})[unit] = float(value)

    def below_nation(self, indicator: str, period: str) -> dict[str, float]:
        got = self.values.get((indicator, period), {})
        return {u: v for u, v in got.items() if u != NATION_CODE}

    def national(self, indicator: str, period: str) -> float:
        """The national figure, rolled up from the units below the nation.

        Sums sum; ratios are ratios of sums; weighted means are weighted by their weight,
        each over the units that reported every part. The statistics office's own
        national total is a separate fact and is not used here.
        """
        spec = _indicator(indicator)
        agg = spec["aggregation"]
        if agg == "sum":
            return sum(self.below_nation(indicator, period).values())
        if agg == "ratio":
            num = self.below_nation(spec["numerator"], period)
            den = self.below_nation(spec["denominator"], period)
            both = sorted(num.keys() & den.keys())
            return spec["scale"] * sum(num[u] for u in both) / sum(den[u] for u in both)
        if agg == "weighted_mean":
            x = self.below_nation(indicator, period)
            w = self.below_nation(spec["weight"], period)
            both = sorted(x.keys() & w.keys())
            return sum(x[u] * w[u] for u in both) / sum(w[u] for u in both)
        raise ValueError(f"indicator '{indicator}' has aggregation '{agg}', which has no "
                         "national roll-up")

    def last_complete_month(self, indicator: str) -> str:
        """The last month in which at least 95% of the usual reporters reported."""
        spec = _indicator(indicator)
        code = spec["numerator"] if spec["aggregation"] == "ratio" else indicator
        counts = {p: len(self.below_nation(c, p)) for c, p in self.values if c == code}
        full = max(counts.values())
        return max(p for p, n in counts.items() if n >= 0.95 * full)


def _indicator(code: str) -> dict[str, Any]:
    for d in cat.INDICATORS:
        if d["code"] == code:
            return d
    raise ValueError(f"'{code}' is not an indicator of the demo world")


# -- priorities.yaml ----------------------------------------------------------------------------

PRIORITY_SPECS = [
    {"code": "SURG", "title": "Cut surgical wait times",
     "aspiration": "Patients get priority surgery within the medically recommended time, "
                   "wherever they live.",
     "owner": "Federal-provincial surgical access lead (simulated)", "department": "Health",
     "headline": "surg_within_benchmark_pct", "baseline": "2022-06", "target": "2027-03",
     "leads": ["or_hours", "surg_referrals"], "counters": ["surg_removed_pct"]},
    {"code": "CRIME", "title": "Reduce violent crime",
     "aspiration": "Fewer people are victims of violence, in every province and territory.",
     "owner": "Assistant Deputy Minister, Community Safety (simulated)",
     "department": "Public Safety", "headline": "violent_crime_rate", "baseline": "2023-06",
     "target": "2027-06", "leads": ["weapons_calls", "youth_program_participants"],
     "counters": ["unfounded_pct"]},
    {"code": "LIT", "title": "Every child reading by grade 3",
     "aspiration": "Children leave grade 3 able to read, so they can read to learn.",
     "owner": "Council of education ministers' literacy lead (simulated)",
     "department": "Education", "headline": "grade3_reading_pct", "baseline": "2021-06",
     "target": "2026-06", "leads": ["literacy_screening_pct", "reading_tutors_fte"],
     "counters": ["grade3_exempted_pct"]},
    {"code": "HOUS", "title": "Build more homes",
     "aspiration": "Enough new homes are finished each year to bring housing within reach.",
     "owner": "Deputy Minister, Housing, Infrastructure and Communities (simulated)",
     "department": "Housing, Infrastructure and Communities",
     "headline": "housing_completions", "baseline": "2022-12", "target": "2026-12",
     "leads": ["housing_permits", "housing_starts"], "counters": ["affordable_share_pct"]},
    {"code": "HOME", "title": "Halve chronic homelessness",
     "aspiration": "Chronic homelessness is rare, brief and does not recur.",
     "owner": "Reaching Home national director (simulated)",
     "department": "Housing, Infrastructure and Communities",
     "headline": "chronic_homeless", "baseline": "2023-03", "target": "2028-03",
     "leads": ["eviction_filings", "housing_placements"],
     "counters": ["returns_to_homelessness_pct"]},
]


def _split(total: float, shares: list[float], digits: int) -> list[float]:
    """Round ``total * share`` for each share, the last absorbing the rounding."""
    parts = [round(total * s, digits) for s in shares[:-1]]
    return [*parts, round(total - sum(parts), digits)]


def _priorities_yaml(latest: Latest
                     ) -> tuple[str, dict[str, dict[str, Any]]]:
    items = []
    baselines: dict[str, dict[str, Any]] = {}
    for spec in PRIORITY_SPECS:
        code, head = spec["code"], spec["headline"]
        decimals = 0 if head in ("housing_completions", "chronic_homeless") else 1
        b = round(latest.national(head, spec["baseline"]), decimals)
        if decimals == 0:
            b = float(int(b))
        if code == "SURG":
            target = float(round(b + 18))
            gain = target - b
            e = _split(gain, [0.4, 0.3, 0.3], 1)
            trajectory = {"method": "interventions", "drift": 0.0, "interventions": [
                {"name": "Regional surgical centres open", "start": "2022-10", "ramp": 12,
                 "effect": e[0]},
                {"name": "Central referral and pooled wait lists", "start": "2023-09",
                 "ramp": 12, "effect": e[1]},
                {"name": "Extended operating-room hours", "start": "2024-09", "ramp": 18,
                 "effect": e[2]},
            ]}
            tolerance = 2.0
        elif code == "CRIME":
            target = round(b * 0.85, 1)  # a 15% cut, same calendar month as the baseline
            trajectory = {"method": "linear",
                          "seasonal": seasonal_profile(SEASON_VIOLENCE)}
            tolerance = 5.0
        elif code == "LIT":
            target = float(round(b + 8))
            trajectory = {"method": "s_curve", "steepness": 8}
            tolerance = 1.5
        elif code == "HOUS":
            target = float(round(b * 1.3, -2))  # 30% more homes finished, December to December
            trajectory = {"method": "landmarks", "landmarks": [
                {"period": "2023-12", "value": float(round(b * 1.05, -1))},
                {"period": "2024-12", "value": float(round(b * 1.12, -1))},
                {"period": "2025-12", "value": float(round(b * 1.2, -1))},
            ], "seasonal": completions_seasonal()}
            tolerance = float(round(b * 0.08, -1))
        else:  # HOME
            target = float(round(b * 0.5))
            drift = float(round(b * 0.003))
            months = Period.parse(spec["target"]) - Period.parse(spec["baseline"])
            e = _split(target - b - drift * months, [0.35, 0.3, 0.35], 0)
            trajectory = {"method": "interventions", "drift": drift, "interventions": [
                {"name": "Coordinated access on every by-name list", "start": "2023-09",
                 "ramp": 18, "effect": e[0]},
                {"name": "Rent supplements for people leaving shelters", "start": "2024-04",
                 "ramp": 24, "effect": e[1]},
                {"name": "Supportive housing units open", "start": "2025-01", "ramp": 36,
                 "effect": e[2]},
            ]}
            tolerance = float(round(b * 0.05))
        items.append({
            "code": code, "title": spec["title"], "title_fr": PRIORITY_TITLES_FR[code][0],
            "aspiration": spec["aspiration"], "aspiration_fr": PRIORITY_TITLES_FR[code][1],
            "owner": spec["owner"], "department": spec["department"], "headline": head,
            "scope": NATION_CODE,
            "baseline": {"period": spec["baseline"], "value": b},
            "target": {"period": spec["target"], "value": target},
            "leads": spec["leads"], "counters": spec["counters"],
            "trajectory": trajectory, "tolerance": {"absolute": tolerance},
            "published": code != "HOME",
        })
        baselines[code] = {"headline": head, "baseline_period": spec["baseline"],
                           "baseline_value": b, "target_period": spec["target"],
                           "target_value": target, "decimals": decimals}
    header = (
        "# Priorities of the demo federation's agenda. Baselines are the simulated national\n"
        "# values (rolled up from the units below the nation); tolerances are absolute, in the\n"
        "# headline's units. Everything here is simulated, the French titles included.\n"
    )
    text = header + yaml.safe_dump(items, sort_keys=False, allow_unicode=True, width=100)
    return text, baselines


# -- notes ------------------------------------------------------------------------------------

TREND_WINDOWS = {  # (before: 12 months to the baseline, after: the last full year)
    "SURG": (("2021-07", "2022-06"), ("2025-07", "2026-06")),
    "CRIME": (("2022-07", "2023-06"), ("2025-07", "2026-06")),
    "LIT": (("2020-07", "2021-06"), ("2025-07", "2026-06")),
    "HOUS": (("2022-01", "2022-12"), ("2025-07", "2026-06")),
    "HOME": (("2022-04", "2023-03"), ("2025-07", "2026-06")),
}


def _notes(sim: Simulated, b: _Builder, subs: list[Submission],
           baselines: dict[str, dict[str, Any]],
           latest: Latest) -> dict[str, Any]:
    gamed = {"CRIME": GAMING["CRIME"][0], "LIT": GAMING["LIT"][0]}  # gaming moves the headline
    trends: dict[str, Any] = {}
    for prio, classes in sim.classes.items():
        groups: dict[str, list[str]] = {IMPROVING: [], STALLING: [], WORSENING: []}
        for unit, c in classes.items():
            if unit != gamed.get(prio):
                groups[c].append(unit)
        before, after = TREND_WINDOWS[prio]
        trends[prio] = {**groups, "provinces": {
            p: CLASSES[prio][p] for p, _, _ in PROVINCES}, "before": list(before),
            "after": list(after)}
    status = {}
    for code, info in baselines.items():
        # The latest complete month in the baseline's calendar month: no seasonal bias.
        last_full = Period.parse(latest.last_complete_month(info["headline"]))
        b0 = Period.parse(info["baseline_period"])
        last = last_full.shift(-((last_full.ordinal - b0.ordinal) % 12)).code
        value = latest.national(info["headline"], last)
        t0 = Period.parse(info["target_period"])
        path = info["baseline_value"] + (info["target_value"] - info["baseline_value"]) * (
            (Period.parse(last) - b0) / (t0 - b0))
        spec = _indicator(info["headline"])
        better = value >= path if spec["polarity"] == "up" else value <= path
        status[code] = {"compared_period": last, "latest_value": round(value, 1),
                        "linear_path_value": round(path, 1),
                        "ahead_of_linear_path": bool(better),
                        "method": "national value in the latest complete month of the "
                                  "baseline's calendar month, against a straight line from "
                                  "baseline to target"}
    return {
        "seed_independent": "unit classes, planted leads, gaps, outliers, revisions and "
                            "errors are the same for every seed; values change with it",
        "periods": {"first_month": MONTHS[0].code, "last_month": MONTHS[-1].code,
                    "quarters": [QUARTERS[0].code, QUARTERS[-1].code],
                    "years": [YEARS[0].code, YEARS[-1].code]},
        "trends": trends,
        "planted_leads": [{"lead": lead, "headline": head, "lag": lag,
                           "sign": "positive" if sign > 0 else "negative"}
                          for lead, head, lag, sign in PLANTED_LEADS],
        "decoy_leads": DECOY_LEADS,
        "covid": "2020-03 to 2022-02: operating-room hours cut (so surgeries fall and, three "
                 "months on, fewer are within benchmark), a dip in weapons calls, a reading "
                 "loss, and eviction moratoria (fewer chronically homeless six months on)",
        "late_units": {u: {"since": s["since"], "typical_delay_days": s["delay_days"],
                           "why": s["why"]} for u, s in SELF_REPORTING.items()},
        "typical_delay_days": dict(b.delay),
        "gaps": [
            {"unit": "NU-KIT", "periods": ["2022-07", "2022-08", "2022-09"],
             "indicators": "all", "except": ["population"], "filled_later": False,
             "why": "left out of Nunavut's returns; the statistics office's annual "
                    "revision later supplied the population"},
            {"unit": "NL-LAB", "periods": ["2024-12"], "indicators": "all",
             "except": ["population"], "filled_later": False,
             "why": "the region's return was never sent; the annual revision later "
                    "supplied the population"},
            {"unit": "QC-NOR", "periods": ["2024-07"],
             "indicators": PARTIAL_GAPS[("QC-NOR", "2024-07")], "filled_later": True,
             "filled_by": "late return"},
            {"unit": "ON-NWE", "periods": ["2019-08"],
             "indicators": PARTIAL_GAPS[("ON-NWE", "2019-08")], "filled_later": False},
        ],
        "not_applicable": {"indicator": "returns_to_homelessness_pct",
                           "why": "not reported by a region that housed no one that month "
                                  "(a share of zero people)"},
        "outliers": [
            {"indicator": ind, "unit": unit, "period": month, "factor": factor,
             "kind": "keying error (extra digit)",
             "corrected": corrected is not None,
             "corrected_on": corrected.isoformat() if corrected else None}
            for ind, unit, month, factor, corrected in KEYING_ERRORS
        ],
        "rule_breaches": [
            {"indicator": ind, "unit": unit, "periods": [first, last], "why": why,
             "corrected_on": corrected.isoformat() if corrected else None}
            for ind, unit, first, last, why, corrected in RULE_BREACHES
        ],
        "revisions": [
            {"label": "revision after audit", "indicator": "surg_within_benchmark",
             "units": b.prov_regions["NB"], "periods": ["2023-01", "2023-12"],
             "first_reported": "about 9% too high", "recorded_on": "2024-05-14"},
            {"label": "correction of keying error", "indicator": "violent_incidents",
             "units": ["NS-EAS"], "periods": ["2024-09", "2024-09"],
             "first_reported": "10 times too high", "recorded_on": "2024-12-09"},
            {"label": "revision after data cleaning", "indicator": "chronic_homeless",
             "units": ["ON-TOR"], "periods": ["2024-01", "2024-09"],
             "first_reported": "7% too high (duplicates)", "recorded_on": "2024-11-12"},
            {"label": "population estimates revised", "indicator": "population",
             "units": "all regions", "periods": "each spring, the previous calendar year",
             "first_reported": "preliminary estimates, within about 0.5%"},
            {"label": "statistics office release", "indicator": cat.NATIONAL_TOTAL,
             "units": [NATION_CODE], "periods": "every month, revised in the next release",
             "first_reported": "preliminary, within about 2%"},
        ],
        "national_total": {
            "indicator": cat.NATIONAL_TOTAL, "unit": NATION_CODE, "submitter": cat.STATS,
            "note": "published separately by the statistics office; differs slightly "
                    "(about 0.7%) from the sum of the regions, which the baselines use",
        },
        "malformed_returns": b.malformed_log,
        "gaming": [
            {"priority": prio, "unit": unit, "from": start, "what": what,
             "moves_headline": prio in gamed,
             "counter": next(s["counters"][0] for s in PRIORITY_SPECS if s["code"] == prio)}
            for prio, (unit, start, what) in GAMING.items()
        ],
        "baselines": baselines,
        "status_at_clock": status,
        "counts": {"submissions": len(subs), "rows": sum(len(s.rows) for s in subs)},
    }
