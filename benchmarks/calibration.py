"""Calibration benchmark: do 80% and 95% forecast intervals hold 80% and 95% of outcomes, in
every stratum, on real and simulated count panels? The previous engines beside the current.

    python benchmarks/calibration.py [--data DIR] [--quick] [--panels a,b] [--scales] [--no-leads]
                                     [--new-only] [--pooled [--rules a,b]] [--short] [--widths]

Sections (each a function; ``main()`` runs them in order):

1. ``forecast_calibration``: for each panel, a rolling-origin backtest
   (analysis.backtest.backtest) of
   (old)  the previous engine: no bounds, the Student t around the ETS forecast, the
          calibration factor unguarded (``legacy=True``: what main did before issue #13);
   (var)  the engine with bounds but one variance factor for both intervals
          (``calibration="variance"``: what main did before the per-level calibration);
   (new)  the current engine with the panel's bounds (counts: min 0, whole numbers;
          rates: min 0), fitted on the square-root scale for counts, censored and rounded,
          its 80% and 95% half-widths each from quantiles of past errors (small counts:
          at least the upper tail's; weekly data: the errors of the last 60 origins,
          equally weighted);
   (true) on simulated panels, the oracle: the central intervals of the distribution the
          data were drawn from, scored the same way, so a stratum's attainable coverage
          is known (conditioning on the outcome, "actual not zero", lowers it even for a
          perfect forecast).
   Coverage of the 80% and 95% intervals overall and by stratum (horizon, level at the
   origin in thirds, actual zero or not), each beside the coverage the forecasts claim
   (whole-number intervals hold at least their nominal share), and the symptoms of
   issue #13: 95% lower bounds below zero, the widest 80% interval, P(<= 5) mass below 0.
   How sure each of the current engine's coverages is: a 90% interval from a block
   bootstrap over origins (``origin_bootstrap``: whole origins resampled, all their units
   and horizons together; then runs of consecutive origins), with the origins and units
   behind it.
2. ``scale_comparison`` (``--scales``): the choice of scale for counts, measured: the
   previous engine fitted on the value, square-root and log(1 + y) scales (transformed
   outside the engine, intervals back-transformed and rounded), coverage by stratum.
3. ``pooling_candidates`` (``--pooled``): calibrations that pool the errors of a panel's
   units (split-conformal over units, shrinkage of each series towards the panel, the
   panel's era, the shape of errors across horizons), each scored like the engine's
   (measured, none adopted: see docs/methods/forecast.md).
4. lead indicators (skip with ``--no-leads``): false discoveries on null panels built by
   re-pairing units (each candidate is another unit's series), old inference beside the
   new default, and power on planted leads (benchmarks/leads_null.py, which also runs alone).

Panels: real (from the project's shared data folder, ``--data``): US state homicide and
violent crime, yearly 1979-2019 (51 states); Australian prisoners by state, sex and legal
status, quarterly 2005-2016 (32 series); Gapminder infant mortality per 1,000 (a sample of
countries; rates, min 0). Simulated (seeded): ``sparse``: yearly counts of 0-3 like small
counties' murders, many series starting with years of zeros; ``zero``: zero-heavy monthly
counts (zero-inflated negative binomial); ``flu``: weekly district counts with a 52-week
season and negative binomial noise.

A report, not a test: it prints PASS or MISS against the 5-point goal and exits 0.
``--quick`` uses fewer simulated series and every other origin (about a minute).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special, stats

from stocktake.analysis import calibration as cal
from stocktake.analysis.backtest import (
    DEFAULT_HORIZON,
    DEFAULT_MIN_TRAIN,
    BacktestRecord,
    _level_groups,
    backtest,
    strata,
)
from stocktake.analysis.calibration import CALIBRATION_WINDOW
from stocktake.analysis.forecast import (
    SEASON_LENGTH,
    Bounds,
    _cdf,
    _inner_runs,
    _model_sd,
    _period_type,
    _prepare,
    _quantiles,
    _sd_floor,
    _trend,
    _upper_tail,
)
from stocktake.model.periods import Period, PeriodType

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
COUNT = Bounds(min=0, integer=True)
RATE = Bounds(min=0)
GOAL = 5.0  # points from nominal, in every stratum


@dataclass
class Panel:
    name: str
    period_type: str
    series: dict[str, tuple[list[str], list[float]]]
    bounds: Bounds
    step: int = 1  # score every k-th origin
    # simulated panels: name -> (ppf(q, t), cdf(k, t)) of the true distribution at index t
    truth: dict[str, Callable[[float, int], float]] | None = None


# -- panels -----------------------------------------------------------------------------
def _crime(data: Path, column: str) -> dict[str, tuple[list[str], list[float]]]:
    df = pd.read_csv(data / "us_state_crime_ucr_1979_2019.csv")
    df = df[df.level == "state"]
    out = {}
    for state, g in df.groupby("state"):
        g = g.dropna(subset=[column]).sort_values("year")
        out[str(state)] = ([str(y) for y in g.year], [float(v) for v in g[column]])
    return out


def _prisoners(data: Path) -> dict[str, tuple[list[str], list[float]]]:
    df = pd.read_csv(data / "au_state_prisoners_quarterly_2005_2016.csv")
    out = {}
    for state, g in df.groupby("state"):
        g = g.sort_values("quarter")
        for col in df.columns[2:]:
            out[f"{state} {col}"] = (list(g.quarter), [float(v) for v in g[col]])
    return out


def _infant(data: Path, n: int) -> dict[str, tuple[list[str], list[float]]]:
    """Each country's last stretch without missing years (15 years or more), every k-th
    country in alphabetical order to make about n."""
    df = pd.read_csv(data / "country_health_gapminder_1960_2016.csv")
    out = {}
    for country, g in df.groupby("country"):
        g = g.sort_values("year")
        v, yrs = g.infant_mortality.to_numpy(), g.year.to_numpy()
        ok = np.flatnonzero(~np.isnan(v))
        if len(ok) < 15:
            continue
        end = ok[-1]
        gaps = np.flatnonzero(np.isnan(v[: end + 1]))
        start = gaps[-1] + 1 if len(gaps) else ok[0]
        if end + 1 - start >= 15:
            out[str(country)] = ([str(y) for y in yrs[start : end + 1]],
                                 [float(x) for x in v[start : end + 1]])
    keys = sorted(out)[:: max(1, len(out) // n)][:n]
    return {k: out[k] for k in keys}


def _sparse(n: int, seed: int = 1) -> Panel:
    """Small counties: Poisson counts with rates of 0.1 to 3 a year and a slow drift; a
    third of the series start with 3-12 years of zeros (a county too small to record any)."""
    rng = np.random.default_rng(seed)
    years = 30
    series, truth = {}, {}
    for i in range(n):
        rate = rng.gamma(1.5, 0.6) * np.exp(rng.normal(0, 0.02) * np.arange(years))
        if rng.random() < 1 / 3:
            rate[: rng.integers(3, 13)] = 0.0
        y = rng.poisson(rate).astype(float)
        name = f"county{i:03d}"
        series[name] = ([str(1990 + t) for t in range(years)], list(y))
        truth[name] = (lambda r: (lambda q, t: stats.poisson.ppf(q, r[t]),
                                  lambda k, t: stats.poisson.cdf(k, r[t])))(rate)
    return Panel("sim sparse yearly 0-3", "year", series, COUNT, truth=truth)


def _zero_heavy(n: int, seed: int = 2) -> Panel:
    """Monthly counts, zero in 30-70% of months beyond what the count itself gives: a
    zero-inflated negative binomial (size 2) with a mean of about 0.4 when not zero."""
    rng = np.random.default_rng(seed)
    months = 72
    start = Period.parse("2019-01", "month")
    series, truth = {}, {}
    for i in range(n):
        mu, p0 = rng.gamma(1.0, 1.2), rng.uniform(0.3, 0.7)
        nb = stats.nbinom(2, 2 / (2 + mu))
        y = nb.rvs(months, random_state=rng) * (rng.random(months) > p0)
        name = f"service{i:03d}"
        series[name] = ([start.shift(t).code for t in range(months)], [float(v) for v in y])

        def cdf(k: float, t: int, nb=nb, p0=p0) -> float:
            return p0 * (k >= 0) + (1 - p0) * nb.cdf(k)

        def ppf(q: float, t: int, cdf=cdf) -> float:
            k = 0
            while cdf(k, t) < q - 1e-12:
                k += 1
            return k

        truth[name] = (ppf, cdf)
    return Panel("sim zero-heavy monthly", "month", series, COUNT, step=3, truth=truth)


def _flu(n: int, seed: int = 3) -> Panel:
    """Weekly district counts: a 52-week season (a winter peak 5-30 times the summer mean),
    negative binomial noise (size 5), four years."""
    rng = np.random.default_rng(seed)
    weeks = 208
    t = np.arange(weeks)
    start = Period.parse("2020-W01", "week")
    series, truth = {}, {}
    for i in range(n):
        base, amp, phase = rng.uniform(0.5, 3), rng.uniform(1.5, 3.5), rng.uniform(-3, 3)
        mu = base * np.exp(amp * np.cos(2 * np.pi * (t - phase) / 52.18) - 0.6 * amp)
        y = rng.negative_binomial(5, 5 / (5 + mu))
        name = f"district{i:03d}"
        series[name] = ([start.shift(k).code for k in t], [float(v) for v in y])
        truth[name] = (lambda m: (lambda q, k: stats.nbinom.ppf(q, 5, 5 / (5 + m[k])),
                                  lambda x, k: stats.nbinom.cdf(x, 5, 5 / (5 + m[k]))))(mu)
    return Panel("sim flu weekly, 52-week season", "week", series, COUNT, step=4, truth=truth)


def panels(data: Path, quick: bool) -> list[Panel]:
    k = 2 if quick else 1
    return [
        Panel("US state homicide (year)", "year", _crime(data, "homicide"), COUNT),
        Panel("US state violent crime (year)", "year", _crime(data, "violent_crime"), COUNT),
        Panel("AU prisoners (quarter)", "quarter", _prisoners(data), COUNT),
        Panel("Gapminder infant mortality (year)", "year", _infant(data, 60 // k), RATE),
        _sparse(256 // k),
        _zero_heavy(100 // k),
        _flu(140 // k),
    ]


# -- scoring ----------------------------------------------------------------------------
def _oracle(panel: Panel, records: tuple[BacktestRecord, ...]) -> list[BacktestRecord]:
    """The records again with the true distribution's central intervals (the same
    whole-number rule: smallest k with P(<= k) >= q)."""
    assert panel.truth is not None
    index = {name: {p: i for i, p in enumerate(periods)}
             for name, (periods, _) in panel.series.items()}
    out = []
    for r in records:
        ppf, cdf = panel.truth[r.series]
        t = index[r.series][r.period]
        lower = tuple(float(ppf(0.5 - lv / 2, t)) for lv in (0.8, 0.95))
        upper = tuple(float(ppf(0.5 + lv / 2, t)) for lv in (0.8, 0.95))
        claimed = tuple(float(cdf(u, t) - cdf(lo - 1, t)) for lo, u in zip(lower, upper,
                                                                          strict=True))
        out.append(BacktestRecord(r.series, r.origin, r.period, r.horizon, r.actual, r.mean,
                                  r.scale, r.df, lower, upper, r.scaled_error, r.level,
                                  claimed))
    return out


def _symptoms(records: tuple[BacktestRecord, ...] | list[BacktestRecord], legacy: bool) -> str:
    """The issue's symptoms: negative lower bounds, exploding widths, and the probability
    the forecasts put below zero (legacy: the t's mass below 0; new: none, by design)."""
    below = sum(r.lower[1] < 0 for r in records)
    widest = max(r.upper[0] - r.lower[0] for r in records)
    mass = (float(np.mean([stats.t.cdf(0.0, r.df, loc=r.mean, scale=r.scale)
                           for r in records])) if legacy else 0.0)
    return (f"95% lower < 0: {below:,} of {len(records):,}; widest 80% interval {widest:.3g}; "
            f"mean P(value < 0) {mass:.3f}")


def _table(rows: dict[str, dict[str, dict[str, dict[str, float]]]], horizons: list[str]) -> None:
    """One line per stratum group; columns: each engine's 80% and 95% coverage."""
    names = list(rows)
    head = f"  {'stratum':<24}{'n':>7}" + "".join(f"{n + ' 80/95':>20}" for n in names)
    print(head)
    first = rows[names[0]]
    for stratum in ("all", "horizon", "level", "actual"):
        groups = first.get(stratum, {})
        for group in groups:
            if stratum == "horizon" and group not in horizons:
                continue
            label = "all" if stratum == "all" else f"{stratum} {group}"
            cells = []
            for n in names:
                g = rows[n].get(stratum, {}).get(group)
                cells.append("-" if g is None else
                             f"{100 * g['coverage_80']:.1f}/{100 * g['coverage_95']:.1f}")
            print(f"  {label:<24}{int(groups[group]['n']):>7}" + "".join(f"{c:>20}"
                                                                      for c in cells))


def _all(records) -> dict[str, dict[str, dict[str, float]]]:
    s = strata(records, (0.8, 0.95))
    everything = strata([r.__class__(**{**r.__dict__, "horizon": 0}) for r in records],
                        (0.8, 0.95))["horizon"]["0"]
    return {"all": {"": everything}, **s}


def _misses(rows: dict[str, dict[str, dict[str, float]]], claimed: bool,
            truth: dict[str, dict[str, dict[str, float]]] | None = None) -> list[str]:
    """Groups more than GOAL points from nominal (or, with ``claimed``, from what the
    forecasts claim, for whole-number intervals; with ``truth``, from the coverage of the
    true distribution's intervals in the same group)."""
    out = []
    for stratum, groups in rows.items():
        for group, g in groups.items():
            for p, nominal in (("80", 80.0), ("95", 95.0)):
                ref = 100 * g[f"claimed_{p}"] if claimed else nominal
                if truth is not None:
                    ref = 100 * truth[stratum][group][f"coverage_{p}"]
                got = 100 * g[f"coverage_{p}"]
                if abs(got - ref) > GOAL:
                    out.append(f"{stratum} {group} {p}%: {got:.1f} vs {ref:.1f}".replace(
                        "all  ", "all "))
    return out


# -- how sure: a block bootstrap over origins ---------------------------------------------
@dataclass(frozen=True)
class Spread:
    """A coverage's uncertainty: the bootstrap's standard error and central interval, and the
    distinct origins (the blocks resampled) and units behind it."""

    coverage: float
    se: float
    lower: float
    upper: float
    origins: int
    units: int


def origin_bootstrap(origins: np.ndarray, hits: np.ndarray, units: np.ndarray | None = None,
                     resamples: int = 1000, seed: int = 0, level: float = 0.9,
                     run: int = 1) -> Spread:
    """The coverage (mean of ``hits``) with its uncertainty from resampling whole origins:
    every forecast made at an origin (all its units and horizons) is drawn together, since
    they share an era; forecasts independent of each other give the binomial's
    sqrt(p (1 - p) / n). ``run`` > 1: a moving-block bootstrap, runs of that many
    consecutive origins (in the order of their codes, wrapping round) drawn together, for
    neighbouring origins' h-step forecasts overlap and share errors. Seeded: a run repeats
    exactly."""
    keys, block = np.unique(np.asarray(origins), return_inverse=True)
    k = len(keys)
    hit_sum = np.bincount(block, weights=np.asarray(hits, dtype=float), minlength=k)
    size = np.bincount(block, minlength=k).astype(float)
    rng = np.random.default_rng(seed)
    if run <= 1:
        draws = rng.multinomial(k, np.full(k, 1 / k), size=resamples)
    else:  # how often each origin is drawn, over ceil(k / run) runs per resample
        starts = rng.integers(0, k, size=(resamples, -(-k // run)))
        picked = (starts[:, :, None] + np.arange(run)) % k
        flat = picked.reshape(resamples, -1) + k * np.arange(resamples)[:, None]
        draws = np.bincount(flat.ravel(), minlength=k * resamples).reshape(resamples, k)
    cov = (draws @ hit_sum) / (draws @ size)
    tail = (1 - level) / 2
    return Spread(float(hit_sum.sum() / size.sum()), float(cov.std(ddof=1)),
                  float(np.quantile(cov, tail)), float(np.quantile(cov, 1 - tail)),
                  len(keys), len(set(units.tolist())) if units is not None else 0)


def _groups(records) -> dict[str, np.ndarray]:
    """Each stratum's records (as strata() groups them), by the label the tables print."""
    h = np.array([r.horizon for r in records])
    zero = np.array([r.actual == 0 for r in records])
    out = {"all": np.ones(len(records), dtype=bool)}
    out.update({f"horizon {k}": h == k for k in sorted(set(h.tolist()))})
    level = np.array([r.level for r in records])
    if np.all(np.isfinite(level)):
        labels, group = _level_groups(level)
        out.update({f"level {lab}": group == g for g, lab in enumerate(labels)
                    if (group == g).any()})
    out.update({f"actual {k}": m for k, m in (("zero", zero), ("not zero", ~zero)) if m.any()})
    return out


def _spread_table(records, horizons: list[str]) -> None:
    """Each stratum's 80% and 95% coverage with its 90% bootstrap interval over origins
    (1,000 resamples of whole origins), the origins and units behind it, and whether the
    interval reaches the goal (nominal +/- GOAL): 'in' where the coverage itself is within
    the goal, 'chance' where it is not but the interval reaches the goal's band, 'out' where
    the whole interval misses it. Last, the 80% interval again from runs of as many
    consecutive origins as the longest horizon (a moving-block bootstrap)."""
    origins = np.array([r.origin for r in records])
    units = np.array([r.series for r in records])
    run = int(horizons[-1])
    print(f"  {'stratum (new)':<30}{'origins':>8}{'units':>6}"
          f"{'80% [90% interval]':>26}{'95% [90% interval]':>26}{f'80%, runs of {run}':>18}")
    for label, mask in _groups(records).items():
        if label.startswith("horizon ") and label.split()[1] not in horizons:
            continue
        cells = []
        for i, nominal in enumerate((80.0, 95.0)):
            hits = np.array([records[k].covered(i) for k in np.flatnonzero(mask)])
            s = origin_bootstrap(origins[mask], hits, units[mask])
            c, lo, hi = 100 * s.coverage, 100 * s.lower, 100 * s.upper
            verdict = ("in" if abs(c - nominal) <= GOAL else
                       "chance" if lo <= nominal + GOAL and hi >= nominal - GOAL else "out")
            cells.append(f"{c:.1f} [{lo:.1f}, {hi:.1f}] {verdict}")
            if i == 0:
                m = origin_bootstrap(origins[mask], hits, run=run)
                moving = f"[{100 * m.lower:.1f}, {100 * m.upper:.1f}]"
        print(f"  {label:<30}{s.origins:>8}{s.units:>6}" + "".join(f"{c:>26}" for c in cells)
              + f"{moving:>18}")


def forecast_calibration(data: Path, quick: bool, only: list[str] | None,
                         new_only: bool = False) -> None:
    print("== 1. Forecast interval coverage by stratum: old (before bounds), var (one variance "
          "factor) and new (per-level quantiles)")
    for panel in panels(data, quick):
        if only and not any(o.lower() in panel.name.lower() for o in only):
            continue
        step = panel.step * (2 if quick else 1)
        t0 = time.process_time()
        if not new_only:
            old = backtest(panel.series, panel.period_type, origin_step=step, legacy=True)
        t1 = time.process_time()
        if not new_only:
            var = backtest(panel.series, panel.period_type, origin_step=step,
                           bounds=panel.bounds, calibration="variance")
        t2 = time.process_time()
        new = backtest(panel.series, panel.period_type, origin_step=step, bounds=panel.bounds)
        t3 = time.process_time()
        engines = ("new",) if new_only else ("old", "var", "new")
        rows = {"new": _all(new.records)} if new_only else {
            "old": _all(old.records), "var": _all(var.records), "new": _all(new.records)}
        if panel.truth is not None:
            rows["true"] = _all(_oracle(panel, new.records))
        horizons = [str(h) for h in (1, max(new.horizons))]
        print(f"\n{panel.name}: {new.n_series} series, {new.n_forecasts:,} forecasts "
              f"(horizons 1-{max(new.horizons)}, every {step} origin(s)); bounds "
              f"{panel.bounds.describe()}; CPU "
              + ("" if new_only else f"old {t1 - t0:.1f} s, var {t2 - t1:.1f} s, ")
              + f"new {t3 - t2:.1f} s")
        _table(rows, horizons)
        _spread_table(new.records, horizons)
        if not new_only:
            print(f"  old: {_symptoms(old.records, True)}, MASE {old.mase:.3f}")
            print(f"  var: {_symptoms(var.records, False)}, MASE {var.mase:.3f}")
        print(f"  new: {_symptoms(new.records, False)}, MASE {new.mase:.3f}")
        for name in engines:
            miss = _misses(rows[name], claimed=False)
            print(f"  {name}: {'PASS' if not miss else 'MISS'} all strata within {GOAL:g} "
                  f"points of nominal" + ("" if not miss else f" ({len(miss)} miss: "
                                          + "; ".join(miss[:6]) + (" ..." if len(miss) > 6
                                                                   else "") + ")"))
        for name in engines[-2:]:
            miss = _misses(rows[name], claimed=True)
            print(f"  {name}: {'PASS' if not miss else 'MISS'} all strata within {GOAL:g} "
                  "points of the coverage claimed" + ("" if not miss else
                                                      f" ({'; '.join(miss[:6])})"))
        if "true" in rows:
            for name in engines:
                miss = _misses(rows[name], claimed=False, truth=rows["true"])
                print(f"  {name}: {'PASS' if not miss else 'MISS'} all strata within {GOAL:g} "
                      "points of the true distribution's coverage"
                      + ("" if not miss else f" ({len(miss)} miss: {'; '.join(miss[:6])})"))


def scale_comparison(data: Path, quick: bool, only: list[str] | None) -> None:
    """The previous engine on the value, sqrt and log(1 + y) scales, for count panels."""
    print("\n== 2. Scale for counts: the previous engine fitted on each scale "
          "(intervals back-transformed, rounded, floored at 0)")
    scales = {"value": (lambda v: v, lambda v: v),
              "sqrt": (np.sqrt, lambda v: np.maximum(v, 0.0) ** 2),
              "log1p": (np.log1p, lambda v: np.expm1(np.minimum(v, 700.0)))}
    for panel in panels(data, quick):
        if panel.bounds is not COUNT or (only and not any(o.lower() in panel.name.lower()
                                                          for o in only)):
            continue
        step = panel.step * (2 if quick else 1)
        rows = {}
        for name, (fwd, back) in scales.items():
            moved = {k: (p, [float(fwd(v)) for v in vals])
                     for k, (p, vals) in panel.series.items()}
            bt = backtest(moved, panel.period_type, origin_step=step, legacy=True)
            recs = []
            for r in bt.records:
                lo = np.maximum(np.ceil(back(np.array(r.lower)) - 0.5 - 1e-9), 0.0)
                hi = np.maximum(np.ceil(back(np.array(r.upper)) - 0.5 - 1e-9), 0.0)
                recs.append(BacktestRecord(r.series, r.origin, r.period, r.horizon,
                                           float(np.rint(back(r.actual))), r.mean, r.scale,
                                           r.df, tuple(lo), tuple(hi), r.scaled_error,
                                           float(back(r.level)), (0.8, 0.95)))
            rows[name] = _all(recs)
        print(f"\n{panel.name}")
        _table(rows, ["1", str(max(bt.horizons))])


# -- 3. pooling across the units of a panel (--pooled): measured, not adopted ---------------
# The engine calibrates each series on its own earlier errors. The rules below also use the
# errors of the panel's other units, honestly: at an origin whose last known period is c, a
# unit's error counts only if its outcome period is at most c (it was known then), and the
# series' own errors enter only through its own calibration (leave-one-unit-out). Pooling
# is applied to series on the value scale only (small counts on the square-root scale and
# weekly seasons keep their own rule, so the simulated count panels cannot move).
# docs/methods/forecast.md ("Measured: pooling across the units of a panel") has the table.
@dataclass
class _Unit:
    """One series as backtest() sees it: the procedure's runs at every earlier origin, and
    its errors as rows (origin period, outcome period, h, error, the sd dividing it)."""

    y: np.ndarray
    z: np.ndarray
    observed: np.ndarray
    bounds: Bounds
    runs: dict
    origins: list[int]
    periods: list[Period]
    errors: np.ndarray


def _units(panel: Panel) -> dict[str, _Unit]:
    ptype = _period_type(panel.period_type)
    first, horizon = DEFAULT_MIN_TRAIN[ptype], DEFAULT_HORIZON[ptype]
    out = {}
    for name, (periods, values) in panel.series.items():
        prep = _prepare(values, periods, ptype, what=name)
        y, observed, n = prep.y, prep.observed, len(prep.y)
        origins = [o for o in range(first, n) if observed[o - 1]]
        if not origins or ptype is PeriodType.WEEK:
            continue
        b = panel.bounds.resolved(y[: origins[0]])
        z = b.to_model(y)
        runs = _inner_runs(z, observed, range(origins[0] - CALIBRATION_WINDOW, origins[-1] + 1),
                           horizon, SEASON_LENGTH.get(ptype, 0), None, trend=_trend(b))
        rows, sds = [], []
        for o2 in sorted(runs):
            run = runs[o2]
            sds.append(run.sd)
            for h in range(1, len(run.mean) + 1):
                t = o2 + h - 1
                if t < n and observed[t]:
                    # floored at a tenth of the series' median sd so far (no later data)
                    floor = 0.1 * float(np.median([s[h - 1] for s in sds if len(s) >= h]))
                    rows.append((prep.periods[o2 - 1].ordinal, prep.periods[t].ordinal, h,
                                 z[t] - run.mean[h - 1], max(run.sd[h - 1], floor,
                                                             _sd_floor(b))))
        out[name] = _Unit(y, z, observed, b, runs, origins, list(prep.periods),
                          np.array(rows, dtype=float).reshape(-1, 5))
    return out


class _PanelErrors:
    """Every poolable unit's errors in one table, read at an origin."""

    def __init__(self, units: dict[str, _Unit]) -> None:
        names = [u for u in sorted(units) if units[u].bounds.transform == "identity"
                 and len(units[u].errors)]
        self.index = {u: i for i, u in enumerate(names)}
        self.table = (np.concatenate([np.column_stack([np.full(len(units[u].errors), i),
                                                       units[u].errors])
                                      for u, i in self.index.items()])
                      if names else np.zeros((0, 6)))

    def at(self, name: str, c: int, horizon: int, reach: int
           ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """Per h: |z| of the other units' errors known at period c (outcome <= c) from
        origins at most ``reach`` periods before c, each one's age (c - origin) and unit."""
        t = self.table
        keep = (t[:, 2] <= c) & (t[:, 1] >= c - reach) & (t[:, 0] != self.index.get(name, -1))
        t = t[keep]
        by_h = [t[:, 3] == h for h in range(1, horizon + 1)]
        return ([np.abs(t[k, 4] / t[k, 5]) for k in by_h], [c - t[k, 1] for k in by_h],
                [t[k, 0] for k in by_h])


def _weighted_quantile(x: np.ndarray, w: np.ndarray, p: float) -> float:
    """The smallest x with (weight of the values <= x) / total >= p."""
    order = np.argsort(x, kind="stable")
    share = np.cumsum(w[order]) / w.sum()
    return float(x[order][np.searchsorted(share, p - 1e-12)])


def _own(zs: list[np.ndarray]) -> np.ndarray:
    """The engine's multipliers (calibration.calibrate, per-level): 80% and 95% columns."""
    factor, df, _ = cal.variance_factors(zs)
    return np.column_stack([
        cal.abs_quantiles(zs, (0.8,), half_life=cal.HALF_LIFE)[:, 0],
        np.maximum(cal.abs_quantiles(zs, (0.95,))[:, 0],
                   np.sqrt(factor) * special.stdtrit(df, 0.5 + 0.95 / 2))])


def _pooled(reach: int, half_life: float | None):
    """Split-conformal over units: the multipliers are the 80% (recency-weighted) and 95%
    quantiles of the other units' |z| (at least MIN_POOLED of them, else the series' own)."""
    def rule(zs, pool, ages, who=None):
        own = _own(zs)
        for h, (x, age) in enumerate(zip(pool, ages, strict=True)):
            if len(x) >= MIN_POOLED:
                w = 0.5 ** (age / half_life) if half_life else np.ones(len(x))
                own[h] = (_weighted_quantile(x, w, 0.8),
                          _weighted_quantile(x, np.ones(len(x)), 0.95))
        return own
    return rule, reach


def _fallback(least_own: int):
    """Each series' own multipliers where it has at least ``least_own`` errors of its own at
    a horizon, the pooled ones (30 origins, half-life 5) where it has fewer."""
    pooled, _ = _pooled(30, cal.HALF_LIFE)

    def rule(zs, pool, ages, who=None):
        own, panel = _own(zs), pooled(zs, pool, ages)
        few = np.array([len(z) < least_own for z in zs])
        return np.where(few[:, None], panel, own)
    return rule, 30


def _shrunk(weight: float):
    """Hierarchical shrinkage: the series' own distribution of |z| (as the engine mixes it)
    and the other units' |z| with ``weight`` pseudo-errors: own evidence dominates where the
    series has many errors of its own, the panel's where it has few."""
    def rule(zs, pool, ages, who=None):
        out = _own(zs)
        factor, df, _ = cal.variance_factors(zs)
        for col, (level, half_life) in enumerate(((0.8, cal.HALF_LIFE), (0.95, None))):
            mixtures = cal._mixtures(zs, np.abs, cal.PRIOR_WEIGHT, half_life)
            for h, (c0, atoms, weights) in enumerate(mixtures):
                x = pool[h]
                if len(x) < MIN_POOLED:
                    continue
                k = len(zs[h]) / (weight + len(zs[h]))
                q = cal._mixture_quantile(level, c0 * k, np.concatenate([atoms, x]),
                                          np.concatenate([weights * k,
                                                          np.full(len(x), (1 - k) / len(x))]))
                if col == 1:
                    q = max(q, np.sqrt(factor[h]) * special.stdtrit(df[h], 0.5 + 0.95 / 2))
                out[h, col] = q
        return out
    return rule, CALIBRATION_WINDOW


def _era(recent: int):
    """The series' own multipliers times the panel's era: the other units' one-step |z| of
    the last ``recent`` origins over those of the whole window (each level's quantile, the
    window weighted as the engine weighs it)."""
    def rule(zs, pool, ages, who=None):
        own = _own(zs)
        x, age = pool[0], ages[0]
        now = age <= recent
        if len(x) < MIN_POOLED or now.sum() < 20:
            return own
        e80 = (_weighted_quantile(x[now], np.ones(now.sum()), 0.8)
               / _weighted_quantile(x, 0.5 ** ((age - 1) / cal.HALF_LIFE), 0.8))
        e95 = (_weighted_quantile(x[now], np.ones(now.sum()), 0.95)
               / _weighted_quantile(x, np.ones(len(x)), 0.95))
        return own * np.array([e80, e95])
    return rule, CALIBRATION_WINDOW


def _shape(reach: int):
    """The shape of the errors across horizons, pooled; their size the series' own: at
    horizon h the multiplier is the series' own one-step multiplier times the panel's ratio
    of the h-step to the one-step quantile of |z| (each level's), the other units' errors
    only. Both quantiles come from the same origins (those whose h-step outcome is known at
    c, at most ``reach`` periods back), so an era that has changed since cannot pass for a
    shape. Where fewer than MIN_POOLED such errors exist, the series' own multiplier."""
    def rule(zs, pool, ages, who=None):
        own = _own(zs)
        out = own.copy()
        for h in range(1, len(zs)):
            # index h is horizon h + 1, whose errors known at c are from origins >= h + 1 back
            x, one = pool[h], pool[0][ages[0] >= h + 1]
            if min(len(x), len(one)) < MIN_POOLED:
                continue
            ratio = np.array([np.quantile(x, p) / max(np.quantile(one, p), 1e-12)
                              for p in cal.CALIBRATION_LEVELS])
            out[h] = own[0] * ratio
        return out
    return rule, reach


def _unit_shape(reach: int, least: int = 5):
    """As _shape, but the panel's ratio is the median of the other units' own ratios (each
    unit's h-step over its one-step quantile of |z|, from the same origins, where it has at
    least ``least`` of each): a typical unit's shape, which a few units whose model misfits
    at long horizons cannot carry to every other, as they carry a pooled quantile. At least
    10 such units, else the series' own multiplier."""
    def rule(zs, pool, ages, who=None):
        own = _own(zs)
        out = own.copy()
        for h in range(1, len(zs)):
            one = ages[0] >= h + 1
            x1, w1 = pool[0][one], who[0][one]
            ratios = []
            for unit in np.unique(who[h]):
                a, b = pool[h][who[h] == unit], x1[w1 == unit]
                if min(len(a), len(b)) >= least:
                    ratios.append([np.quantile(a, p) / max(np.quantile(b, p), 1e-12)
                                   for p in cal.CALIBRATION_LEVELS])
            if len(ratios) >= 10:
                out[h] = own[0] * np.median(np.array(ratios), axis=0)
        return out
    return rule, reach


MIN_POOLED = 30  # pooled errors at a horizon needed before a rule uses them
POOLING_RULES = {
    "own (the engine)": (lambda zs, pool, ages, who=None: _own(zs), 0),
    "pooled, 30 origins, half-life 5": _pooled(30, cal.HALF_LIFE),
    "pooled, last 10 origins": _pooled(10, None),
    "pooled, last 5 origins": _pooled(5, None),
    "pooled where own < 10 errors": _fallback(10),
    "own + pooled, weight 10": _shrunk(10.0),
    "own + pooled, weight 26": _shrunk(26.0),
    "own x era, last 3 origins": _era(3),
    "own x era, last 5 origins": _era(5),
    "own 1-step x shape, 30 origins": _shape(30),
    "own 1-step x shape, 10 origins": _shape(10),
    "own 1-step x median unit shape": _unit_shape(30),
}


def _pooled_records(units: dict[str, _Unit], errors: _PanelErrors, rule, reach: int
                    ) -> list[BacktestRecord]:
    """The backtest's records with the rule's multipliers, turned into the predictive t as
    calibration.calibrate does (the cap, the least width, non-decreasing in h)."""
    levels = np.array(cal.CALIBRATION_LEVELS)
    cap = np.sqrt(cal.MAX_FACTOR) * special.stdtrit(cal.PRIOR_DF, 0.5 + levels / 2)
    recs = []
    for name, u in units.items():
        b, n = u.bounds, len(u.y)
        for o in u.origins:
            run = u.runs[o]
            sd = _model_sd(run.sd, b)
            zs = cal.standardized_errors(u.z, u.observed, u.runs, o, len(sd), _sd_floor(b))
            pool, ages, who = errors.at(name, u.periods[o - 1].ordinal, len(sd), reach)
            mult = rule(zs, pool, ages, who) if b.transform == "identity" else _own(zs)
            if _upper_tail(b):
                mult = np.maximum(mult, np.column_stack([
                    cal.upper_quantiles(zs, (0.8,), half_life=cal.HALF_LIFE)[:, 0],
                    cal.upper_quantiles(zs, (0.95,))[:, 0]]))
            half = np.asarray(sd)[:, None] * np.minimum(mult, cap)
            half = np.maximum(half, _sd_floor(b) * special.ndtri(0.5 + levels / 2))
            scale, df = cal.t_through(*np.maximum.accumulate(half, axis=0).T)
            for h in range(1, len(sd) + 1):
                t = o + h - 1
                if t >= n or not u.observed[t]:
                    continue
                loc, sc, d = float(run.mean[h - 1]), float(scale[h - 1]), float(df[h - 1])
                lower = _quantiles(0.5 - levels / 2, loc, sc, d, b)
                upper = _quantiles(0.5 + levels / 2, loc, sc, d, b)
                claimed = _cdf(upper, loc, sc, d, b) - _cdf(lower, loc, sc, d, b, strict=True)
                recs.append(BacktestRecord(name, u.periods[o - 1].code, u.periods[t].code, h,
                                           float(u.y[t]), loc, sc, d, tuple(lower),
                                           tuple(upper), None, float(u.y[o - 1]),
                                           tuple(claimed)))
    return recs


def pooling_candidates(data: Path, quick: bool, only: list[str] | None,
                       rules: list[str] | None = None) -> None:
    """Each rule of POOLING_RULES (``rules``: those whose names hold one of these words) on
    each panel: coverage overall, at the first and last horizon, by level third, and the
    strata more than GOAL points from nominal."""
    print("\n== 3. Pooling across the units of a panel: candidate calibrations (80/95)")
    for panel in panels(data, quick):
        if only and not any(o.lower() in panel.name.lower() for o in only):
            continue
        units = _units(panel)
        if not units:
            continue
        errors = _PanelErrors(units)
        print(f"\n{panel.name}: {len(units)} series, {len(errors.index)} poolable "
              "(value scale)")
        for name, (rule, reach) in POOLING_RULES.items():
            if rules and not any(r.lower() in name.lower() for r in rules):
                continue
            t0 = time.process_time()
            recs = _pooled_records(units, errors, rule, reach)
            rows = _all(recs)
            hs = rows["horizon"]
            cells = [("all", rows["all"][""]), ("h1", hs["1"]),
                     (f"h{max(hs, key=int)}", hs[max(hs, key=int)]),
                     *((f"L{i + 1}", g) for i, g in enumerate(rows["level"].values()))]
            miss = _misses(rows, claimed=False)
            if rule is POOLING_RULES["own (the engine)"][0]:  # the harness is faithful
                bt = backtest(panel.series, panel.period_type, bounds=panel.bounds)
                same = sorted((r.series, r.origin, r.horizon, r.lower, r.upper)
                              for r in bt.records if r.series in units) == sorted(
                    (r.series, r.origin, r.horizon, r.lower, r.upper) for r in recs)
                print(f"  (own rule's intervals equal backtest()'s: {same})")
            print(f"  {name:<32}" + " ".join(
                f"{k} {100 * g['coverage_80']:.1f}/{100 * g['coverage_95']:.1f}"
                for k, g in cells)
                + f"  miss {len(miss)}" + (f": {'; '.join(miss[:4])}" if miss else "")
                + f"  ({time.process_time() - t0:.0f} s)", flush=True)


# -- 5. short histories ------------------------------------------------------------------
SHORT_POINTS = range(5, 10)  # the histories forecast() fits without a trend (5 to 9 points)


def _one_sign(v: np.ndarray) -> bool:
    d = np.diff(v)
    return bool(np.all(d > 0) or np.all(d < 0))


def short_history(data: Path, quick: bool, only: list[str] | None) -> None:
    """What a new headline with 5 to 9 points gets: every window of that many consecutive
    points of the real panels (every other start; --quick every fourth) forecast as
    forecast() would, the h-step outcomes after it scored. Coverage of the 80% and 95%
    intervals, and the error: sum |outcome - mean| / sum of each window's mean absolute
    step (a MASE pooled over forecasts), by history (steps all of one sign or not) and
    horizon."""
    from stocktake.analysis.forecast import forecast_many

    print("== 5. Short histories (5-9 points): every window of the real panels")
    step = 4 if quick else 2
    for panel in panels(data, quick)[:4]:
        if only and not any(o.lower() in panel.name.lower() for o in only):
            continue
        ptype = PeriodType(panel.period_type)
        H = DEFAULT_HORIZON[ptype]
        reqs, outs, kinds = [], [], []
        for periods, values in panel.series.values():
            v = np.asarray(values, float)
            known = {Period.parse(c, ptype).code: x for c, x in zip(periods, v, strict=True)}
            for n in SHORT_POINTS:
                for s in range(0, len(v) - n, step):
                    hist = v[s : s + n]
                    last = Period.parse(periods[s + n - 1], ptype)
                    codes = [last.shift(h).code for h in range(1, H + 1)]
                    reqs.append({"values": list(hist), "periods": list(periods[s : s + n]),
                                 "horizon_to": codes[-1], "period_type": ptype,
                                 "bounds": panel.bounds})
                    outs.append([known.get(c, np.nan) for c in codes])
                    kinds.append((_one_sign(hist), float(np.mean(np.abs(np.diff(hist))))))
        t0 = time.process_time()
        fcs = forecast_many(reqs)
        cpu = time.process_time() - t0
        rows: dict[tuple[str, str], list[tuple[bool, bool, float, float]]] = {}
        for fc, actual, (sign, scale) in zip(fcs, outs, kinds, strict=True):
            if isinstance(fc, Exception):
                continue
            for h, a in enumerate(actual, start=1):
                if np.isnan(a):
                    continue
                i = h - 1
                hit80 = fc.lower[0.8][i] <= a <= fc.upper[0.8][i]
                hit95 = fc.lower[0.95][i] <= a <= fc.upper[0.95][i]
                err = abs(a - fc.mean[i])
                for who in ("all", "one sign" if sign else "mixed"):
                    for hz in ("all", str(h)):
                        rows.setdefault((who, hz), []).append((hit80, hit95, err, scale))
        print(f"\n{panel.name}: {len(reqs):,} windows of 5-9 points, horizons 1-{H}; "
              f"CPU {cpu:.1f} s")
        print(f"  {'history':<10}{'horizon':>8}{'n':>8}{'80%':>7}{'95%':>7}{'MASE':>7}")
        for who in ("all", "one sign", "mixed"):
            for hz in ("all", "1", str(H)):
                r = rows.get((who, hz))
                if not r:
                    continue
                a = np.array(r, float)
                mase = a[:, 2].sum() / max(a[:, 3].sum(), 1e-12)
                print(f"  {who:<10}{hz:>8}{len(a):>8}{100 * a[:, 0].mean():>7.1f}"
                      f"{100 * a[:, 1].mean():>7.1f}{mase:>7.3f}")


# -- 6. wide intervals -------------------------------------------------------------------
WIDTH_BANDS = (0.0, 2.0, 4.0, 7.0, 10.0, np.inf)  # 80% half-width in model sds


def interval_widths(data: Path, quick: bool, only: list[str] | None) -> None:
    """Are the widest intervals (in the model's own sds) too wide? Each real panel's series
    forecast at every origin as the backtest scores them (forecast(), 10 years or 16
    quarters first), the outcomes' coverage by the 80% half-width over the model's own sd
    at that horizon, and by whether the width cap bound."""
    from stocktake.analysis.forecast import forecast_many

    print("== 6. Coverage by the interval's width in the model's own sds (real panels)")
    for panel in panels(data, quick)[:4]:
        if only and not any(o.lower() in panel.name.lower() for o in only):
            continue
        ptype = PeriodType(panel.period_type)
        H, first = DEFAULT_HORIZON[ptype], DEFAULT_MIN_TRAIN[ptype]
        step = panel.step * (2 if quick else 1)
        reqs, outs = [], []
        for periods, values in panel.series.values():
            known = {Period.parse(c, ptype).code: x for c, x in zip(periods, values, strict=True)}
            for o in range(first, len(values), step):
                last = Period.parse(periods[o - 1], ptype)
                codes = [last.shift(h).code for h in range(1, H + 1)]
                reqs.append({"values": values[:o], "periods": periods[:o],
                             "horizon_to": codes[-1], "period_type": ptype,
                             "bounds": panel.bounds})
                outs.append([known.get(c, np.nan) for c in codes])
        rows: dict[str, list[tuple[bool, bool]]] = {}
        for fc, actual in zip(forecast_many(reqs), outs, strict=True):
            if isinstance(fc, Exception):
                continue
            capped = any("capped" in n for n in fc.notes)
            for i, a in enumerate(actual):
                if np.isnan(a):
                    continue
                # on the model's scale (the square root, for small counts)
                half = fc.scale[i] * stats.t.ppf(0.9, fc.df[i])
                ratio = half / max(fc.model_sd[i], 1e-12)
                band = int(np.searchsorted(WIDTH_BANDS, ratio, side="right")) - 1
                hit = (fc.lower[0.8][i] <= a <= fc.upper[0.8][i],
                       fc.lower[0.95][i] <= a <= fc.upper[0.95][i])
                lo, hi = WIDTH_BANDS[band], WIDTH_BANDS[band + 1]
                rows.setdefault(f"{lo:g}-{hi:g} sds", []).append(hit)
                rows.setdefault("capped" if capped else "not capped", []).append(hit)
        print(f"\n{panel.name}: {len(reqs):,} forecasts")
        print(f"  {'80% half-width':<16}{'n':>8}{'80%':>7}{'95%':>7}")
        bands = zip(WIDTH_BANDS[:-1], WIDTH_BANDS[1:], strict=True)
        for label in [f"{a:g}-{b:g} sds" for a, b in bands] + ["not capped", "capped"]:
            r = rows.get(label)
            if r:
                a = np.array(r, float)
                print(f"  {label:<16}{len(a):>8}{100 * a[:, 0].mean():>7.1f}"
                      f"{100 * a[:, 1].mean():>7.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA,
                    help="folder with the three real panels' CSV files")
    ap.add_argument("--quick", action="store_true", help="half the series, every other origin")
    ap.add_argument("--panels", help="comma-separated words matching panel names")
    ap.add_argument("--scales", action="store_true", help="also compare scales for counts")
    ap.add_argument("--new-only", action="store_true",
                    help="score only the current engine (not old and var): a third of the time")
    ap.add_argument("--pooled", action="store_true",
                    help="also measure calibrations pooled across a panel's units (section 3)")
    ap.add_argument("--rules", help="with --pooled: comma-separated words matching rule names")
    ap.add_argument("--no-leads", action="store_true",
                    help="skip the lead indicators' false discoveries on null panels")
    ap.add_argument("--short", action="store_true",
                    help="only the short histories (5-9 points) of the real panels (section 5)")
    ap.add_argument("--widths", action="store_true",
                    help="only the coverage by interval width in model sds (section 6)")
    a = ap.parse_args()
    if not a.data.is_dir():
        sys.exit(f"--data {a.data}: no such folder (it holds the real panels' CSV files)")
    only = a.panels.split(",") if a.panels else None
    t0 = time.perf_counter()
    if a.short or a.widths:
        if a.short:
            short_history(a.data, a.quick, only)
        if a.widths:
            interval_widths(a.data, a.quick, only)
        print(f"\ntotal wall time {time.perf_counter() - t0:.0f} s")
        return
    forecast_calibration(a.data, a.quick, only, a.new_only)
    if a.scales:
        scale_comparison(a.data, a.quick, only)
    if a.pooled:
        pooling_candidates(a.data, a.quick, only, a.rules.split(",") if a.rules else None)
    if not a.no_leads:
        # The other half of calibration: lead-indicator discoveries on null panels built by
        # re-pairing units (leads_null.py prints the same table on its own, with options).
        from leads_null import null_panel_table, print_null_table

        print("\nLead indicators: false discoveries on null panels, power on planted leads")
        panels = 20 if a.quick else 40
        print_null_table(null_panel_table(panels=panels, data=a.data), candidates=5)
    print(f"\ntotal wall time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
