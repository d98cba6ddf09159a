"""The demo's simulated series: the values the units finally report, as numpy arrays.

Every series is built from a trend (per unit, by its class: improving, stalling or
worsening), a seasonal pattern, shared shocks (national and provincial AR(1) factors) and
noise (Poisson or binomial counts, so small units are noisier, as in real data). Lead
indicators are planted by driving a headline with the lead's own log-deviation (or level)
``lag`` months earlier, so their relationship survives aggregation to the nation.

All randomness comes from one ``numpy.random.Generator``, drawn in a fixed order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..model.periods import Period, PeriodType, period_range
from .geography import PROVINCES, Region, regions

FIRST_MONTH = Period.parse("2018-01")
LAST_MONTH = Period.parse("2026-10")
MONTHS = period_range(FIRST_MONTH, LAST_MONTH)
T = len(MONTHS)
PRE = 24  # months simulated before the first reported month, for lagged drivers
CENSUS_MONTH = Period.parse("2021-05")

# Quarters and years whose data can be complete by the demo's clock.
QUARTERS = period_range(FIRST_MONTH.to(PeriodType.QUARTER), Period.parse("2026-Q3"))
YEARS = period_range(Period.parse("2018"), Period.parse("2025"))

IMPROVING, STALLING, WORSENING = "improving", "stalling", "worsening"

# Trend class of each priority's headline, by province, with region exceptions.
CLASSES: dict[str, dict[str, str]] = {
    "SURG": {
        **dict.fromkeys(["ON", "QC", "AB", "NS", "PE"], IMPROVING),
        **dict.fromkeys(["BC", "MB", "SK", "NB", "YT", "NT", "NU"], STALLING),
        "NL": WORSENING, "ON-NWE": STALLING, "BC-NOR": WORSENING,
    },
    "CRIME": {
        **dict.fromkeys(["QC", "NS", "NB", "AB"], IMPROVING),
        **dict.fromkeys(["ON", "BC", "PE", "NL", "MB", "YT", "NT"], STALLING),
        "SK": WORSENING, "NU": WORSENING,
    },
    "LIT": {
        **dict.fromkeys(["ON", "NB", "NS", "AB", "MB", "PE"], IMPROVING),
        **dict.fromkeys(["QC", "BC", "NL", "YT", "NT", "NU"], STALLING),
        "SK": WORSENING, "BC-NOR": WORSENING,
    },
    "HOUS": {
        **dict.fromkeys(["AB", "QC", "NS", "PE", "NB", "SK"], IMPROVING),
        **dict.fromkeys(["BC", "MB", "NL", "YT", "NT", "NU"], STALLING),
        "ON": WORSENING,
    },
    "HOME": {
        **dict.fromkeys(["NL", "NB"], IMPROVING),
        **dict.fromkeys(["QC", "SK", "MB", "PE", "YT", "NT", "NU", "AB"], STALLING),
        **dict.fromkeys(["ON", "BC", "NS"], WORSENING),
        "AB-SOU": IMPROVING, "ON-WAT": IMPROVING,
    },
}

# Units where a counter indicator catches gaming or a perverse effect (see notes).
GAMING = {
    "SURG": ("ON-CEN", "2024-03", "wait lists 'validated': patients removed without surgery"),
    "CRIME": ("MB-WPG", "2024-01", "violent reports down-coded to unfounded"),
    "LIT": ("ON-MIS", "2024-01", "weak readers exempted from the assessment"),
    "HOUS": ("AB", "2024-01", "completions surge in market housing; affordable share falls"),
    "HOME": ("BC-VCH", "2024-06", "placements into housing that does not last"),
}


@dataclass
class Simulated:
    """Final values, as the units end up reporting them (outliers left uncorrected included).

    ``region[code]`` is (regions x months), ``province[code]`` (provinces x months),
    ``region_quarterly`` (regions x quarters), ``province_yearly`` (provinces x years),
    ``national`` the statistics office's published national totals (months). NaN means
    not reported (e.g. a percentage of zero people).
    """

    regions: list[Region]
    region: dict[str, np.ndarray] = field(default_factory=dict)
    province: dict[str, np.ndarray] = field(default_factory=dict)
    region_quarterly: dict[str, np.ndarray] = field(default_factory=dict)
    province_yearly: dict[str, np.ndarray] = field(default_factory=dict)
    national: dict[str, np.ndarray] = field(default_factory=dict)
    national_first_release: dict[str, np.ndarray] = field(default_factory=dict)
    population_preliminary: np.ndarray | None = None
    classes: dict[str, dict[str, str]] = field(default_factory=dict)  # priority -> unit -> cls


def month_index(code: str) -> int:
    return Period.parse(code, PeriodType.MONTH) - FIRST_MONTH


def _normalise(factors: list[float]) -> np.ndarray:
    a = np.asarray(factors, dtype=float)
    return a / a.mean()


# Seasonal factors, January first (multiplicative unless said otherwise).
SEASON_SURGERY = _normalise([1.0, 1.03, 1.06, 1.02, 1.03, 0.99, 0.86, 0.84, 1.02, 1.06, 1.05,
                             0.90])
SEASON_REFERRALS = _normalise([1.04, 1.02, 1.05, 1.0, 1.0, 0.97, 0.9, 0.9, 1.02, 1.05, 1.04,
                               0.95])
SEASON_VIOLENCE = _normalise([0.92, 0.86, 0.96, 0.98, 1.05, 1.07, 1.11, 1.10, 1.02, 0.99, 0.96,
                              0.98])
SEASON_WEAPONS = _normalise([0.90, 0.87, 0.95, 0.99, 1.06, 1.09, 1.12, 1.11, 1.01, 0.98, 0.95,
                             0.97])
SEASON_YOUTH = _normalise([1.05, 1.08, 1.05, 1.08, 1.02, 0.85, 0.7, 0.7, 1.05, 1.12, 1.1, 0.9])
SEASON_READING_PTS = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 2.5, -1.0, -2.0, -3.5, -2.0, -1.0, -0.5])
SEASON_READING_PTS = SEASON_READING_PTS - SEASON_READING_PTS.mean()
SEASON_SURGERY_PTS = np.array([-1.5, -0.5, 0.5, 0.5, 0.5, 0.0, -0.5, 0.0, 0.5, 0.5, 0.0, -0.5])
SEASON_PERMITS = _normalise([0.75, 0.78, 0.98, 1.08, 1.15, 1.17, 1.12, 1.08, 1.04, 1.02, 0.96,
                             0.87])
SEASON_EVICTIONS = _normalise([1.08, 1.0, 1.02, 1.0, 0.98, 0.97, 0.97, 0.98, 1.0, 1.01, 1.0,
                               0.99])
# Completions are permits 13-17 months on, half of them at 15 months.
COMPLETION_KERNEL = {13: 1 / 12, 14: 2 / 12, 15: 6 / 12, 16: 2 / 12, 17: 1 / 12}
STARTS_LAG = 6


def completions_seasonal() -> list[float]:
    """The seasonal factors completions inherit from permits (for the trajectory)."""
    out = []
    for m in range(12):
        out.append(sum(w * SEASON_PERMITS[(m - lag) % 12] for lag, w in COMPLETION_KERNEL.items()))
    a = np.asarray(out)
    return seasonal_profile(a / a.mean())


def seasonal_profile(factors) -> list[float]:
    """Factors rounded to 3 decimals that still average exactly 1 (the trajectory checks
    this): the rounding residue goes to the largest factor."""
    rounded = [round(float(x), 3) for x in factors]
    big = int(np.argmax(rounded))
    rounded[big] = round(rounded[big] + round(len(rounded) - sum(rounded), 3), 3)
    return rounded


class _Sim:
    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.regions = regions()
        self.prov_codes = [p for p, _, _ in PROVINCES]
        self.prov_index = {p: i for i, p in enumerate(self.prov_codes)}
        self.R, self.P = len(self.regions), len(self.prov_codes)
        self.rp = np.array([self.prov_index[r.province] for r in self.regions])
        self.t = np.arange(T)
        self.tt = np.arange(-PRE, T)  # extended time, for lagged drivers
        self.moy = (FIRST_MONTH.ordinal + self.t) % 12
        self.moy_ext = (FIRST_MONTH.ordinal + self.tt) % 12
        self.years = (self.t - month_index("2018-01")) / 12.0
        self.out = Simulated(self.regions)

    # -- building blocks ----------------------------------------------------------------
    def ar1(self, n: int, length: int, phi: float, sd: float) -> np.ndarray:
        e = self.rng.normal(0.0, sd, (n, length))
        x = np.empty_like(e)
        x[:, 0] = e[:, 0] / np.sqrt(1 - phi * phi)
        for k in range(1, length):
            x[:, k] = phi * x[:, k - 1] + e[:, k]
        return x

    def ramp(self, start: str, months: int, ext: bool = False) -> np.ndarray:
        """0 before ``start``, rising linearly to 1 over ``months`` months, then 1."""
        tt = self.tt if ext else self.t
        return np.clip((tt - month_index(start) + 1) / months, 0.0, 1.0)

    def flat(self, ext: bool = False) -> np.ndarray:
        return np.zeros(T + PRE if ext else T)

    def per_unit(self, values: np.ndarray) -> np.ndarray:
        """A (units x months) array holding each unit's constant value, to adjust in place."""
        return np.repeat(values[:, None], T, axis=1)

    def classes(self, priority: str) -> list[str]:
        spec = CLASSES[priority]
        return [spec.get(r.code, spec[r.province]) for r in self.regions]

    def by_class(self, cls: list[str], paths: dict[str, np.ndarray]) -> np.ndarray:
        """(regions x time) effect: each region gets the path of its class."""
        return np.stack([paths[c] for c in cls])

    def region_row(self, code: str) -> int:
        return next(i for i, r in enumerate(self.regions) if r.code == code)

    # -- context --------------------------------------------------------------------------
    def population(self) -> None:
        growth = {"NL": 0.002, "PE": 0.02, "NS": 0.013, "NB": 0.011, "QC": 0.009, "ON": 0.013,
                  "MB": 0.011, "SK": 0.01, "AB": 0.017, "BC": 0.015, "YT": 0.016, "NT": 0.002,
                  "NU": 0.012}
        g = np.array([growth[r.province] for r in self.regions])
        g = g + self.rng.normal(0.0, 0.003, self.R)  # cities grow faster than the rest
        # Immigration surge 2022-07 to 2024-06, then a cap on temporary residents.
        surge = 0.012 * ((self.t >= month_index("2022-07")) & (self.t < month_index("2024-07")))
        cap = -0.010 * (self.t >= month_index("2025-01"))
        monthly = (g[:, None] + surge[None, :] + cap[None, :]) / 12.0
        log_level = np.cumsum(monthly, axis=1)
        log_level -= log_level[:, [month_index(CENSUS_MONTH.code)]]
        census = np.array([r.population for r in self.regions], dtype=float)
        pop = np.rint(census[:, None] * np.exp(log_level))
        self.pop = pop
        self.pop_prov = np.zeros((self.P, T))
        np.add.at(self.pop_prov, self.rp, pop)
        self.out.region["population"] = pop
        # Monthly returns carry a preliminary estimate, revised each spring for the
        # previous year; the current year's estimates are not yet revised.
        err = self.rng.normal(0.0, 0.0025, pop.shape)
        err[:, self.t >= month_index("2026-01")] = 0.0
        self.out.population_preliminary = np.rint(pop * (1 + err))
        self.per100k = pop / 1e5

    # -- surgical wait times -----------------------------------------------------------------
    def surgery(self) -> None:
        rng, R = self.rng, self.R
        cls = self.classes("SURG")
        covid = np.zeros(T + PRE)
        for code, v in [("2020-03", -0.25), ("2020-04", -0.75), ("2020-05", -0.55),
                        ("2020-06", -0.3), ("2020-07", -0.15), ("2020-08", -0.1),
                        ("2020-09", -0.1), ("2020-10", -0.1), ("2020-11", -0.1),
                        ("2020-12", -0.12), ("2021-01", -0.2), ("2021-02", -0.12),
                        ("2021-03", -0.1), ("2021-04", -0.15), ("2021-05", -0.1),
                        ("2022-01", -0.3), ("2022-02", -0.15)]:
            covid[month_index(code) + PRE] = v
        # u: log-deviation of operating-room hours; the planted lead (3 months).
        u = (self.ar1(1, T + PRE, 0.75, 0.045) + self.ar1(R, T + PRE, 0.5, 0.05)
             + covid[None, :])
        capacity = self.by_class(cls, {
            IMPROVING: 0.12 * self.ramp("2022-07", 48),
            STALLING: 0.04 * self.ramp("2022-07", 18),
            WORSENING: -0.06 * self.ramp("2023-06", 36),
        })
        u_now = u[:, PRE:]
        hours = rng.poisson(self.per100k * 190 * SEASON_SURGERY[self.moy] * np.exp(u_now)
                            * (1 + capacity))
        completed = rng.poisson(self.per100k * 95 * SEASON_SURGERY[self.moy]
                                * np.exp(0.8 * u_now) * (1 + 0.6 * capacity))
        base = {"NL": 66, "PE": 68, "NS": 62, "NB": 60, "QC": 66, "ON": 74, "MB": 63, "SK": 67,
                "AB": 64, "BC": 69, "YT": 70, "NT": 65, "NU": 60}
        level = np.array([base[r.province] for r in self.regions]) + rng.normal(0, 2.5, R)
        pre_trend = -1.0 * np.clip(self.years, 0, 2.2)
        backlog = -7.0 * self.ramp("2020-04", 3) * (1 - self.ramp("2020-07", 42))
        trend = self.by_class(cls, {
            IMPROVING: 14.0 * self.ramp("2022-07", 48),
            STALLING: 5.0 * self.ramp("2022-07", 18),
            WORSENING: -12.0 * self.ramp("2023-06", 30),
        })
        pct = (level[:, None] + pre_trend + backlog + trend + SEASON_SURGERY_PTS[self.moy]
               + 25.0 * u[:, PRE - 3:PRE - 3 + T] + self.ar1(R, T, 0.5, 0.8))
        pct = np.clip(pct, 5.0, 98.0)
        within = rng.binomial(completed, pct / 100.0)
        removed_rate = np.clip(0.07 + rng.normal(0, 0.01, R)[:, None]
                               + rng.normal(0, 0.004, (R, T)), 0.02, 0.3)
        g_unit, g_start, _ = GAMING["SURG"]
        removed_rate[self.region_row(g_unit)] += 0.07 * self.ramp(g_start, 12)
        removed = rng.poisson(completed * removed_rate / (1 - removed_rate))
        referral_shock = self.ar1(1, T, 0.8, 0.03) + self.ar1(R, T, 0.6, 0.06)
        referrals = rng.poisson(self.per100k * 105 * SEASON_REFERRALS[self.moy]
                                * (1 + 0.01 * self.years) * np.exp(referral_shock))
        o = self.out.region
        o["or_hours"], o["surg_completed"], o["surg_within_benchmark"] = hours, completed, within
        o["surg_removed_without_surgery"], o["surg_list_exits"] = removed, completed + removed
        o["surg_referrals"] = referrals
        self.out.classes["SURG"] = dict(zip([r.code for r in self.regions], cls, strict=True))

    # -- violent crime ------------------------------------------------------------------------
    def crime(self) -> None:
        rng, R = self.rng, self.R
        cls = self.classes("CRIME")
        annual = {"NL": 1500, "PE": 1000, "NS": 1400, "NB": 1550, "QC": 1150, "ON": 1000,
                  "MB": 2300, "SK": 2400, "AB": 1500, "BC": 1400, "YT": 4500, "NT": 9000,
                  "NU": 9500}
        rate = (np.array([annual[r.province] for r in self.regions]) / 12.0
                * np.exp(rng.normal(0, 0.15, R)))
        covid = np.zeros(T + PRE)
        covid[month_index("2020-04") + PRE] = -0.2
        covid[month_index("2020-05") + PRE] = -0.12
        # w: log-deviation of weapons calls; the planted lead (2 months).
        w = self.ar1(1, T + PRE, 0.3, 0.05) + self.ar1(R, T + PRE, 0.5, 0.07) + covid[None, :]
        calls = rng.poisson(self.per100k * 22 * (rate[:, None] / 110.0)
                            * SEASON_WEAPONS[self.moy] * np.exp(w[:, PRE:]))
        rise = 0.03 * np.clip(self.years, 0, month_index("2023-06") / 12.0)
        trend = rise + self.by_class(cls, {
            IMPROVING: -0.14 * self.ramp("2023-07", 36),
            STALLING: self.flat(),
            WORSENING: 0.10 * self.ramp("2023-07", 36),
        })
        lam = (self.per100k * rate[:, None] * SEASON_VIOLENCE[self.moy]
               * np.exp(trend + 0.8 * w[:, PRE - 2:PRE - 2 + T] + self.ar1(R, T, 0.3, 0.03)))
        founded = rng.poisson(lam)
        f = np.clip(rng.uniform(0.11, 0.17, R), 0.05, 0.3)[:, None]
        unfounded = rng.poisson(lam * f / (1 - f))
        downcode = np.zeros((R, T))
        g_unit, g_start, _ = GAMING["CRIME"]
        downcode[self.region_row(g_unit)] = 0.10 * self.ramp(g_start, 24)
        moved = rng.binomial(founded, downcode)
        incidents, unfounded = founded - moved, unfounded + moved
        youth_shock = self.ar1(R, T, 0.6, 0.08)
        expansion = 1 + 0.2 * self.ramp("2019-09", 1) + 0.25 * self.ramp("2023-01", 1)
        youth = rng.poisson(self.per100k * 35 * SEASON_YOUTH[self.moy] * expansion
                            * np.exp(youth_shock))
        o = self.out.region
        o["violent_incidents"], o["unfounded_incidents"] = incidents, unfounded
        o["violent_reports"], o["weapons_calls"] = incidents + unfounded, calls
        o["youth_program_participants"] = youth
        per100k = {"NL": 170, "PE": 160, "NS": 180, "NB": 165, "QC": 185, "ON": 170, "MB": 190,
                   "SK": 195, "AB": 160, "BC": 160, "YT": 340, "NT": 420, "NU": 480}
        officers = np.zeros((self.P, len(YEARS)))
        for j, y in enumerate(YEARS):
            may = month_index(f"{y.code}-05")
            for i, p in enumerate(self.prov_codes):
                officers[i, j] = np.rint(self.pop_prov[i, may] / 1e5 * per100k[p]
                                         * (1 + 0.004 * j) * np.exp(rng.normal(0, 0.01)))
        self.out.province_yearly["police_officers"] = officers
        self.out.classes["CRIME"] = dict(zip([r.code for r in self.regions], cls, strict=True))

    # -- early-grade literacy ------------------------------------------------------------------
    def literacy(self) -> None:
        rng, R = self.rng, self.R
        cls = self.classes("LIT")
        s0_p = {"NL": 50, "PE": 55, "NS": 52, "NB": 48, "QC": 60, "ON": 45, "MB": 50, "SK": 55,
                "AB": 52, "BC": 58, "YT": 50, "NT": 40, "NU": 35}
        s0 = np.array([s0_p[r.province] for r in self.regions]) + rng.normal(0, 4, R)
        ramp_paths = {
            IMPROVING: 32.0 * self.ramp("2021-07", 48, ext=True),
            STALLING: 10.0 * self.ramp("2021-07", 18, ext=True),
            WORSENING: -12.0 * self.ramp("2023-07", 24, ext=True),
        }
        # Screening rate (percent): the planted lead (6 months).
        screening = np.clip(s0[:, None] + self.by_class(cls, ramp_paths)
                            + self.ar1(1, T + PRE, 0.7, 1.8) + self.ar1(R, T + PRE, 0.5, 1.5),
                            3.0, 97.0)
        decline = 1 - 0.004 * self.years
        k3 = np.rint(self.pop * 0.0425 * decline)
        screened = rng.binomial(k3.astype(np.int64), screening[:, PRE:] / 100.0)
        enrolled = np.rint(self.pop * 0.0106 * decline * (1 + rng.normal(0, 0.002, (R, T))))
        exempt_rate = self.per_unit(np.clip(0.03 + rng.normal(0, 0.006, R), 0.005, 0.2))
        g_unit, g_start, _ = GAMING["LIT"]
        extra = np.zeros((R, T))
        extra[self.region_row(g_unit)] = 0.07 * self.ramp(g_start, 18)
        exempted = rng.binomial(enrolled.astype(np.int64), exempt_rate + extra)
        assessed = enrolled - exempted
        r0 = 68.0 + rng.normal(0, 3, self.P)[self.rp] + rng.normal(0, 2, R)
        covid_loss = -5.0 * self.ramp("2020-04", 6) * (1 - self.ramp("2020-10", 33))
        worse = self.by_class(cls, {
            IMPROVING: self.flat(), STALLING: self.flat(),
            WORSENING: -5.0 * self.ramp("2023-07", 24),
        })
        p = (r0[:, None] + 0.35 * (screening[:, PRE - 6:PRE - 6 + T] - s0[:, None])
             + SEASON_READING_PTS[self.moy] + covid_loss + worse
             + 60.0 * extra + self.ar1(1, T, 0.5, 0.4) + self.ar1(R, T, 0.5, 0.7))
        p = np.clip(p, 5.0, 98.0)
        meeting = rng.binomial(assessed.astype(np.int64), p / 100.0)
        reading = np.round(100.0 * meeting / np.maximum(assessed, 1), 1)
        reading[assessed == 0] = np.nan
        tutors = np.zeros((self.P, T))
        for i in range(self.P):
            base = self.pop_prov[i] / 1e5 * 3.0
            steps = 1 + 0.3 * self.ramp("2022-09", 1) + 0.15 * self.ramp("2024-09", 1)
            tutors[i] = np.round(base * steps * (1 + rng.normal(0, 0.01, T)), 1)
        o = self.out.region
        o["k3_enrolment"], o["students_screened"] = k3, screened
        o["grade3_enrolled"], o["grade3_exempted"], o["grade3_assessed"] = (
            enrolled, exempted, assessed)
        o["grade3_reading_pct"] = reading
        self.out.province["reading_tutors_fte"] = tutors
        self.out.classes["LIT"] = dict(zip([r.code for r in self.regions], cls, strict=True))

    # -- housing completions -------------------------------------------------------------------
    def housing(self) -> None:
        rng, R, P = self.rng, self.R, self.P
        prov_cls = [CLASSES["HOUS"][p] for p in self.prov_codes]
        factor = {"NL": 0.55, "PE": 1.2, "NS": 1.05, "NB": 0.9, "QC": 0.85, "ON": 1.0,
                  "MB": 0.9, "SK": 0.7, "AB": 1.25, "BC": 1.45, "YT": 1.1, "NT": 0.4, "NU": 0.6}
        cycle = (0.18 * self.ramp("2021-01", 9, ext=True)
                 - 0.22 * self.ramp("2022-10", 9, ext=True)
                 + 0.12 * self.ramp("2024-03", 12, ext=True))
        paths = {
            IMPROVING: 0.35 * self.ramp("2022-06", 30, ext=True),
            STALLING: self.flat(ext=True),
            WORSENING: -0.30 * self.ramp("2023-01", 21, ext=True)
            + 0.10 * self.ramp("2025-06", 12, ext=True),
        }
        log_rate = (np.log(58 * np.array([factor[p] for p in self.prov_codes]))[:, None]
                    + np.log(SEASON_PERMITS[self.moy_ext])[None, :] + cycle[None, :]
                    + np.stack([paths[c] for c in prov_cls])
                    + self.ar1(1, T + PRE, 0.6, 0.08) + self.ar1(P, T + PRE, 0.4, 0.08))
        pop_ext = np.concatenate([np.repeat(self.pop_prov[:, :1], PRE, axis=1), self.pop_prov],
                                 axis=1)
        permits = rng.poisson(pop_ext / 1e5 * np.exp(log_rate)).astype(float)
        share = np.array([r.population for r in self.regions], dtype=float)
        prov_total = np.zeros(P)
        np.add.at(prov_total, self.rp, share)
        share = share / prov_total[self.rp]
        per_region = permits[self.rp] * share[:, None]  # (R, T+PRE)
        starts = rng.poisson(per_region[:, PRE - STARTS_LAG:PRE - STARTS_LAG + T] * 0.93
                             * np.exp(rng.normal(0, 0.06, (R, T))))
        pipeline = sum(w * per_region[:, PRE - lag:PRE - lag + T]
                       for lag, w in COMPLETION_KERNEL.items())
        completions = rng.poisson(pipeline * 0.90 * np.exp(rng.normal(0, 0.05, (R, T))))
        afford = self.per_unit(np.clip(0.10 + rng.normal(0, 0.02, R), 0.03, 0.3))
        g_prov, g_start, _ = GAMING["HOUS"]
        afford[self.rp == self.prov_index[g_prov]] -= 0.05 * self.ramp(g_start, 30)
        affordable = rng.binomial(completions, np.clip(afford, 0.005, 1))
        o = self.out.region
        o["housing_starts"], o["housing_completions"] = starts, completions
        o["affordable_completions"] = affordable
        self.out.province["housing_permits"] = permits[:, PRE:]
        total = completions.sum(axis=0)
        self.out.national["housing_completions"] = np.rint(
            total * np.exp(rng.normal(0, 0.007, T)))
        self.out.national_first_release["housing_completions"] = np.rint(
            self.out.national["housing_completions"] * np.exp(rng.normal(0, 0.01, T)))
        cls = [CLASSES["HOUS"].get(r.code, CLASSES["HOUS"][r.province]) for r in self.regions]
        self.out.classes["HOUS"] = dict(zip([r.code for r in self.regions], cls, strict=True))

    # -- chronic homelessness ---------------------------------------------------------------------
    def homelessness(self) -> None:
        rng, R, P = self.rng, self.R, self.P
        cls = self.classes("HOME")
        per100k = {"NL": 18, "PE": 25, "NS": 38, "NB": 28, "QC": 22, "ON": 42, "MB": 48,
                   "SK": 40, "AB": 45, "BC": 62, "YT": 140, "NT": 190, "NU": 160}
        h = (np.array([per100k[r.province] for r in self.regions])
             * np.exp(rng.normal(0, 0.25, R)))
        rise = 0.07 * np.clip(self.years, 0, month_index("2023-03") / 12.0)
        trend = rise + self.by_class(cls, {
            IMPROVING: -0.45 * self.ramp("2023-04", 43),
            STALLING: 0.03 * np.clip(self.years - 5.25, 0, None),
            WORSENING: 0.25 * self.ramp("2023-04", 39),
        })
        expected = self.per100k * h[:, None] * np.exp(trend)
        moratorium = np.zeros(T + PRE)
        for code, v in [("2020-04", -0.5), ("2020-05", -0.5), ("2020-06", -0.5),
                        ("2020-07", -0.5), ("2020-08", -0.5), ("2020-09", -0.3),
                        ("2020-10", -0.15)]:
            moratorium[month_index(code) + PRE] = v
        # e: log-deviation of eviction filings by province; the planted lead (6 months).
        e = self.ar1(1, T + PRE, 0.8, 0.06) + self.ar1(P, T + PRE, 0.6, 0.07) + moratorium
        affordability = 0.05 * np.clip(self.years - 4.0, 0, None)
        evictions = rng.poisson(self.pop_prov / 1e5 * 22 * SEASON_EVICTIONS[self.moy]
                                * np.exp(e[:, PRE:] + affordability))
        # q: log-deviation of placements into housing; the planted lead (2 months, negative).
        q = self.ar1(1, T + PRE, 0.6, 0.09) + self.ar1(R, T + PRE, 0.4, 0.10)
        placements = rng.poisson(expected * 0.05 * np.exp(q[:, PRE:]))
        chronic = rng.poisson(expected * np.exp(0.40 * e[self.rp, PRE - 6:PRE - 6 + T]
                                                - 0.35 * q[:, PRE - 2:PRE - 2 + T]
                                                + self.ar1(R, T, 0.5, 0.015)))
        ret = self.per_unit(np.clip(0.14 + rng.normal(0, 0.02, R), 0.02, 0.5))
        g_unit, g_start, _ = GAMING["HOME"]
        ret[self.region_row(g_unit)] += 0.12 * self.ramp(g_start, 18)
        returned = rng.binomial(placements, ret)
        returns_pct = np.round(100.0 * returned / np.maximum(placements, 1), 1)
        returns_pct[placements == 0] = np.nan  # no one housed: no share to report
        beds = np.zeros((R, len(QUARTERS)))
        bed_rate = 45 * np.exp(rng.normal(0, 0.2, R))
        for j, qq in enumerate(QUARTERS):
            last = month_index(qq.subperiods(PeriodType.MONTH)[-1].code)
            beds[:, j] = np.rint(self.per100k[:, last] * bed_rate * (1 + 0.05 * j / 4)
                                 * (1 + rng.normal(0, 0.01, R)))
        o = self.out.region
        o["chronic_homeless"], o["housing_placements"] = chronic, placements
        o["returns_to_homelessness_pct"] = returns_pct
        self.out.province["eviction_filings"] = evictions
        self.out.region_quarterly["shelter_beds"] = beds
        self.out.classes["HOME"] = dict(zip([r.code for r in self.regions], cls, strict=True))


def simulate(rng: np.random.Generator, step=None) -> Simulated:
    """Simulate every series in a fixed order; ``step()`` is called after each stage."""
    sim = _Sim(rng)
    for stage in (sim.population, sim.surgery, sim.crime, sim.literacy, sim.housing,
                  sim.homelessness):
        stage()
        if step is not None:
            step()
    out = sim.out
    for d in (out.region, out.province, out.region_quarterly, out.province_yearly,
              out.national, out.national_first_release):
        for k in d:
            d[k] = np.asarray(d[k], dtype=float)
    return out
