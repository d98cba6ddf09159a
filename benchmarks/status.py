"""Status benchmark: the status of every priority at every unit, against the input floor and a
straightforward pandas + statsmodels loop.

    python benchmarks/status.py [--units N] [--months M] [--indicators K] [--keep DIR]
                                [--sample S] [--forecast-sample P] [--intake direct|submit]
                                [--no-profile]

The world (benchmarks/_worlds.py): N units in three levels (nation, provinces, districts),
K monthly indicators (counts, ratios, percentages), M months of data for every unit,
six priorities with scope the nation (loaded as _worlds.py says: by default the first
month through submit_frame, the rest inserted directly). Measured in one process, one run.

The question (issue #4): the status of every priority at every unit. The main rows answer it:

(a) ours: one call, ``priority_status(Snapshot(engine), units=True, depth=None,
    forecasts=F)``: the scope and every unit at every level below it, from one load of the data.
    F = 'none': run twice, the faster kept (as the floor). F = 'all' (a forecast at every
    unit): measured in full when the world has at most 200 units (or with
    ``--forecast-sample 0``); above that, the same call at P provinces (``unit=P``,
    depth=None: the province and its districts) with forecasts 'all' and 'none' gives the
    cost of one forecast, which is scaled to the whole count and added to the measured
    'none' call (said so in the output).
(b) the input floor: one SELECT of the observations status reads (the headlines, leads,
    counters and the parts of the ratios, every unit and month), the period as a month
    number computed by SQLite, fetched with sqlite3 and laid into one numpy array
    (indicator x unit x month); twice, the faster kept.
(c) the straightforward baseline: the same observations read with pandas, then a loop
    over every (priority, unit): the series as a pandas Series, its unit trajectory (shares
    of the parent's, as ours), latest value, expected value, gap and status, a plain XmR
    (mean, screened average moving range, limits) and, for 'all', statsmodels
    ExponentialSmoothing (additive damped trend, additive seasonality) with a normal
    interval. The loop without forecasts runs on every series; the forecasts on a sample
    of S series spread over every unit, scaled to the count (said so). Its numbers are
    checked against (a)'s: latest, expected, gap, status, XmR mean and limits must agree
    (the XmR figures only where ours read the raw series: a seasonal one is read adjusted).

Also shown (the older question): the default call, ``priority_status(units=True)`` (the
scope and one level below it, forecasts at the scope: what ``stocktake status`` runs),
against the floor of the whole data.

Targets: (a) <= 3x (b); (c) >= 10x (a). It is a report, not a test: it always exits 0 and
prints PASS or MISS per target (on wall and on CPU time), and a profile of (a) with
forecasts 'none'.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import pstats
import shutil
import sqlite3
import sys
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _common import Timer, timed  # noqa: E402
from _worlds import World, build_world  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from stocktake.services.reading.series_data import components, read_model  # noqa: E402
from stocktake.services.reading.snapshot import Snapshot  # noqa: E402
from stocktake.services.reading.status import priority_status  # noqa: E402
from stocktake.store.db import open_engine  # noqa: E402

TARGET_FLOOR = 3.0  # (a) / (b) at most
TARGET_BASELINE = 10.0  # (c) / (a) at least
console = Console(width=130)


# -- (b) the input floor -------------------------------------------------------------------

def needed_codes(engine) -> list[str]:
    """The indicators priority_status reads: headlines, leads, counters and their parts."""
    model = read_model(engine)
    codes: set[str] = set()
    for p in model.priorities.values():
        for c in [p.headline, *p.leads, *p.counters]:
            codes |= components(model, c)
    return sorted(codes)


def read_floor(db: Path, codes: list[str]) -> tuple[np.ndarray, int]:
    """One SELECT, fetch, and a dense (indicator, unit, month) array of the values. SQLite
    turns each period code into a month number, so no Python string is made per row
    (the world's periods are all months): the least it costs to get these values out."""
    con = sqlite3.connect(db)
    ids = dict(con.execute("SELECT code, id FROM indicators"))
    wanted = [ids[c] for c in codes]
    marks = ",".join("?" * len(wanted))
    month = "CAST(substr(period, 1, 4) AS INTEGER) * 12 + CAST(substr(period, 6, 2) AS INTEGER)"
    rows = con.execute(f"SELECT indicator_id, unit_id, {month}, value FROM observations "
                       f"WHERE indicator_id IN ({marks})", wanted).fetchall()
    con.close()
    # Tuples straight into one structured array: no per-column Python pass.
    obs = np.fromiter(rows, dtype=[("indicator", "i8"), ("unit", "i8"), ("month", "i8"),
                                   ("value", "f8")], count=len(rows))
    del rows
    col = obs["month"] - obs["month"].min()
    ind_pos = np.searchsorted(np.unique(obs["indicator"]), obs["indicator"])
    unit_pos = np.searchsorted(np.unique(obs["unit"]), obs["unit"])
    arr = np.full((ind_pos.max() + 1, unit_pos.max() + 1, col.max() + 1), np.nan)
    arr[ind_pos, unit_pos, col] = obs["value"]
    return arr, len(obs)


# -- (c) the straightforward baseline ------------------------------------------------------

class Baseline:
    """A plain per-series loop: pandas for the series, statsmodels for the forecast."""

    def __init__(self, db: Path, world: World, codes: list[str]):
        import pandas as pd

        self.pd = pd
        con = sqlite3.connect(db)
        marks = ",".join("?" * len(codes))
        self.df = pd.read_sql_query(
            "SELECT i.code AS indicator, u.code AS unit, o.period, o.value FROM observations o"
            " JOIN indicators i ON i.id = o.indicator_id JOIN units u ON u.id = o.unit_id"
            f" WHERE i.code IN ({marks})", con, params=codes)
        con.close()
        # One pass to split the frame per (indicator, unit); each series is then one lookup.
        self.groups = {key: part for key, part in self.df.groupby(["indicator", "unit"])}
        self._totals: dict[tuple[str, str, str], float] = {}
        self.world = world
        self.indicators = {i["code"]: i for i in world.indicators}
        self.parent = {u[0]: u[3] or None for u in world.units}
        self.children: dict[str, list[str]] = {}
        for u in world.units:
            if u[3]:
                self.children.setdefault(u[3], []).append(u[0])
        self._traj: dict[tuple[str, str], tuple[str, float, str, float]] = {}

    def series(self, code: str, unit: str):
        d = self.groups[(code, unit)]
        s = self.pd.Series(d["value"].to_numpy(),
                           index=self.pd.PeriodIndex(d["period"].to_numpy(), freq="M"))
        return s.sort_index().asfreq("M")

    def value(self, code: str, unit: str, period: str) -> float:
        s = self.series(code, unit)
        return float(s.get(self.pd.Period(period, freq="M"), math.nan))

    def trajectory(self, p: dict, unit: str) -> tuple[str, float, str, float]:
        """(baseline period, value, target period, value) of the unit's share."""
        key = (p["code"], unit)
        if key in self._traj:
            return self._traj[key]
        if unit == p["scope"]:
            t = (p["baseline"]["period"], p["baseline"]["value"], p["target"]["period"],
                 p["target"]["value"])
        else:
            bp, bv, tp, tv = self.trajectory(p, self.parent[unit])
            ind = self.indicators[p["headline"]]
            own = self.value(ind["code"], unit, bp)
            if ind["aggregation"] == "sum":  # a share of the children's total
                key = (ind["code"], self.parent[unit], bp)
                if key not in self._totals:
                    self._totals[key] = sum(self.value(ind["code"], k, bp)
                                            for k in self.children[self.parent[unit]])
                total = self._totals[key]
                t = (bp, bv * own / total, tp, tv * own / total)
            else:  # the parent's trajectory rescaled by the unit's baseline
                t = (bp, own, tp, tv * own / bv)
        self._traj[key] = t
        return t

    def reading(self, p: dict, unit: str, with_forecast: bool) -> dict[str, Any]:
        pd = self.pd
        ind = self.indicators[p["headline"]]
        s = self.series(ind["code"], unit).dropna()
        latest_period, latest = s.index[-1], float(s.iloc[-1])
        bp, bv, tp, tv = self.trajectory(p, unit)
        b, t = pd.Period(bp, freq="M"), pd.Period(tp, freq="M")
        k = (latest_period - b).n
        expected = bv + (tv - bv) * k / (t - b).n
        gap = latest - expected
        tol = p.get("tolerance", 5.0)
        band = tol["absolute"] if isinstance(tol, dict) else tol / 100 * abs(expected)
        if abs(gap) <= band * (1 + 1e-9):
            status = "on_track"
        else:
            status = "ahead" if (gap > 0) == (ind["polarity"] == "up") else "off_track"
        # XmR: moving ranges, screened at 3.267 x their average, limits at 2.66 x.
        y = s.to_numpy()
        mr = np.abs(np.diff(y))
        amr = mr.mean()
        kept = mr[(mr < 3.267 * amr) | (amr == 0)]
        mean, width = y.mean(), 2.66 * kept.mean()
        out = {"latest": latest, "expected": expected, "gap": gap, "status": status,
               "mean": mean, "lower": mean - width, "upper": mean + width,
               "beyond": int(((y > mean + width) | (y < mean - width)).sum())}
        if with_forecast:
            out.update(self.forecast(s, t, tv, ind["polarity"]))
        return out

    def forecast(self, s, target, target_value: float, polarity: str) -> dict[str, float]:
        from scipy import stats
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        h = (target - s.index[-1]).n
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = ExponentialSmoothing(s.to_numpy(), trend="add", damped_trend=True,
                                       seasonal="add", seasonal_periods=12,
                                       initialization_method="estimated").fit()
        mean = float(fit.forecast(h)[-1])
        sd = float(np.std(fit.resid, ddof=1)) * math.sqrt(h)
        below = stats.norm.cdf(target_value, mean, sd)
        return {"fc_mean": mean, "probability": below if polarity == "down" else 1 - below}


# -- running ------------------------------------------------------------------------------

def reading_sets(world: World) -> tuple[list[str], dict[str, list[str]]]:
    """The provinces, and each non-district unit's children."""
    kids: dict[str, list[str]] = {}
    for u in world.units:
        if u[3]:
            kids.setdefault(u[3], []).append(u[0])
    return kids["N"], kids


def time_it(fn: Callable[[], Any]) -> tuple[Any, Timer]:
    with timed() as t:
        out = fn()
    return out, t


def fastest(fn: Callable[[], Any], runs: int) -> tuple[Any, Timer]:
    return min((time_it(fn) for _ in range(runs)), key=lambda x: x[1].wall)


def readings(out: dict) -> int:
    return sum(1 + len(p.get("units", [])) for p in out["priorities"])


def compare(ours: dict, base: dict[tuple[str, str], dict]) -> tuple[int, int, list[str]]:
    """How many readings of (a) agree with the baseline's on every shared figure. Where ours
    read the series against its seasonal expectation (the plain loop charts raw values), the
    XmR figures are not shared and only the rest is compared."""
    agree, total, bad = 0, 0, []
    for p in ours["priorities"]:
        for r in [p, *p.get("units", [])]:
            key = (p["code"], r["unit"])
            if key not in base:
                continue
            b, total = base[key], total + 1
            pairs = [(r["latest"]["value"], b["latest"]), (r["expected"], b["expected"]),
                     (r["gap"], b["gap"])]
            if not (r["spc"].get("seasonal_adjustment") or {}).get("applied"):
                pairs += [(r["spc"]["mean"], b["mean"]), (r["spc"]["lower"], b["lower"]),
                          (r["spc"]["upper"], b["upper"])]
            ok = all(math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-6) for x, y in pairs)
            ok = ok and r["status"] == b["status"]
            if ok:
                agree += 1
            elif len(bad) < 5:
                bad.append(f"{key}: ours {[x for x, _ in pairs]} {r['status']}; baseline "
                           f"{[y for _, y in pairs]} {b['status']}")
    return agree, total, bad


def profile(fn: Callable[[], Any], top: int) -> str:
    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    out = io.StringIO()
    st = pstats.Stats(prof, stream=out).strip_dirs()
    st.sort_stats("cumulative").print_stats(top)
    st.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def ratio_rows(table: Table, name: str, ours: Timer, other: Timer, target: float,
               below: bool, note: str) -> None:
    """One row: ours against a reference, the ratio on wall and on CPU time. ``below``:
    ours must be at most ``target`` times the reference (else the reference must be at
    least ``target`` times ours)."""
    if below:
        r_wall, r_cpu = ours.wall / other.wall, ours.cpu / other.cpu
        ok = r_wall <= target and r_cpu <= target
        goal = f"<= {target:g}x"
    else:
        r_wall, r_cpu = other.wall / ours.wall, other.cpu / ours.cpu
        ok = r_wall >= target and r_cpu >= target
        goal = f">= {target:g}x"
    table.add_row(name, f"{ours.wall:,.2f} s ({ours.cpu:,.2f} cpu)",
                  f"{other.wall:,.2f} s ({other.cpu:,.2f} cpu)",
                  f"{r_wall:,.2f}x ({r_cpu:,.2f}x)", goal,
                  "[green]PASS[/]" if ok else "[red]MISS[/]", note)


def sum_timers(*parts: tuple[Timer, float]) -> Timer:
    """A timer made of measured parts, each times a factor (scaling a sample)."""
    t = Timer()
    t.wall = sum(x.wall * k for x, k in parts)
    t.cpu = sum(x.cpu * k for x, k in parts)
    return t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=1000)
    ap.add_argument("--months", type=int, default=120)
    ap.add_argument("--indicators", type=int, default=40)
    ap.add_argument("--keep", type=Path, help="build the world in DIR and keep it")
    ap.add_argument("--sample", type=int, default=24,
                    help="series the baseline forecasts are timed on (scaled to the count)")
    ap.add_argument("--forecast-sample", type=int, default=None,
                    help="provinces our forecasts are timed on, scaled to every unit (0: "
                         "measure every forecast; default 0 up to 200 units, else 2)")
    ap.add_argument("--intake", choices=("submit", "direct"), default="direct",
                    help="every month through submit_frame, or (default) the first month "
                         "and the rest inserted directly into the observations table")
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--profile-top", type=int, default=25)
    args = ap.parse_args(argv)
    if args.months < 36:
        ap.error("--months must be at least 36 (the baseline lies 34 months back)")
    if args.units < 4:
        ap.error("--units must be at least 4 (a nation, a province and districts)")
    if args.indicators < 16:
        ap.error("--indicators must be at least 16 (six headlines, leads and counters)")
    if args.forecast_sample is None:
        args.forecast_sample = 0 if args.units <= 200 else 2

    directory = args.keep or Path(tempfile.mkdtemp(prefix="stocktake-status-"))
    try:
        return run(args, directory)
    finally:
        if args.keep is None:
            shutil.rmtree(directory, ignore_errors=True)


def run(args, directory: Path) -> int:
    console.print(f"[bold]Building the world[/] in {directory} ...")
    world, t_build = time_it(lambda: build_world(directory, units=args.units, months=args.months,
                                                 indicators=args.indicators,
                                                 intake=args.intake))
    provinces, kids = reading_sets(world)
    tm = world.timings
    rate = world.submit_rows / max(tm["submit_frame"], 1e-9)
    how = (f"every month through submit_frame: {world.submit_rows:,} rows in "
           f"{tm['submit_frame']:.1f} s = {rate:,.0f} rows/s, {world.submit_warnings:,} "
           "outlier warnings stored" if world.intake == "submit" else
           f"first month through submit_frame: {world.submit_rows:,} rows in "
           f"{tm['submit_frame']:.2f} s = {rate:,.0f} rows/s; the rest inserted directly "
           f"into observations: {tm['insert_direct']:.1f} s")
    console.print(
        f"{len(world.units):,} units (1 nation, {len(provinces)} provinces, "
        f"{len(world.units) - 1 - len(provinces)} districts), {len(world.indicators)} "
        f"indicators, {len(world.periods)} months ({world.periods[0]} to {world.periods[-1]}), "
        f"{len(world.priorities)} priorities; {world.rows:,} observations stored in "
        f"{t_build.wall:,.1f} s (generate {tm['generate']:.1f} s, load_model "
        f"{tm['load_model']:.1f} s, {how})")

    engine = open_engine(world.url)
    codes = needed_codes(engine)
    n_prio = len(world.priorities)
    every_readings = n_prio * len(world.units)  # the scope and every unit below it

    # (b) the floor, twice (the first also warms the OS file cache), the faster kept.
    (arr, n_rows), t_floor = fastest(lambda: read_floor(world.db, codes), 2)
    console.print(f"(b) floor: {n_rows:,} observations of {len(codes)} indicators -> array "
                  f"{arr.shape}: {t_floor.wall:.2f} s ({t_floor.cpu:.2f} cpu)")

    # (a) every unit in one call, forecasts none: twice, the faster kept.
    def every(forecasts: str, unit: str | None = None) -> dict:
        return priority_status(Snapshot(engine), unit=unit, units=True, forecasts=forecasts,
                               depth=None)

    one, t_none = fastest(lambda: every("none"), 2)
    one = one.to_json()  # the JSON form (outside the timing), which the checks read
    assert readings(one) == every_readings, (readings(one), every_readings)
    console.print(f"(a) every unit, one call (depth=None), forecasts 'none': "
                  f"{t_none.wall:.2f} s ({t_none.cpu:.2f} cpu), {every_readings:,} readings")

    # (a) forecasts at every unit: measured, or the cost of one forecast from P provinces.
    if not args.forecast_sample:
        one_all, t_all = time_it(lambda: every("all"))
        one_all = one_all.to_json()
        fc_note = f"measured: {every_readings:,} forecasts"
        console.print(f"(a) every unit, one call, forecasts 'all': {t_all.wall:.2f} s "
                      f"({t_all.cpu:.2f} cpu)")
    else:
        one_all = None
        sample = provinces[:args.forecast_sample]
        parts: list[tuple[Timer, float]] = []
        n_sampled = 0
        for prov in sample:
            res, t = time_it(lambda prov=prov: every("all", prov))
            _, t0 = time_it(lambda prov=prov: every("none", prov))
            n_sampled += readings(res.to_json())
            parts += [(t, 1.0), (t0, -1.0)]
        per_fc = sum_timers(*[(t, k / n_sampled) for t, k in parts])
        t_all = sum_timers((t_none, 1), (per_fc, every_readings))
        fc_note = (f"ESTIMATED: 'none' measured + {every_readings:,} forecasts x "
                   f"{per_fc.wall * 1000:.0f} ms (timed on {n_sampled} at {len(sample)} "
                   "provinces)")
        console.print(f"(a) forecasts timed at {', '.join(sample)} (unit=P, depth=None, "
                      f"'all' minus 'none'): {per_fc.wall * 1000:.1f} ms "
                      f"({per_fc.cpu * 1000:.1f} cpu) a forecast over {n_sampled} forecasts; "
                      f"every unit, forecasts 'all', estimated: {t_all.wall:.2f} s "
                      f"({t_all.cpu:.2f} cpu)")

    # The default call (scope and provinces, forecasts at the scope), for the record.
    default, t_default = time_it(lambda: priority_status(Snapshot(engine), units=True))
    default = default.to_json()
    console.print(f"    default call priority_status(units=True) (depth 1, forecasts "
                  f"'scope'): {t_default.wall:.2f} s ({t_default.cpu:.2f} cpu), "
                  f"{readings(default)} readings")

    # (c) the baseline.
    baseline, t_read = time_it(lambda: Baseline(world.db, world, codes))
    prios = world.priorities
    every_set = [(p, u) for p in prios for u in [x[0] for x in world.units]]
    base_every, t_loop = time_it(
        lambda: {(p["code"], u): baseline.reading(p, u, False) for p, u in every_set})
    step = max(1, len(every_set) // args.sample)
    sample_set = every_set[::step][:args.sample]
    _, t_fc = time_it(lambda: [baseline.reading(p, u, True) for p, u in sample_set])
    _, t_nofc = time_it(lambda: [baseline.reading(p, u, False) for p, u in sample_set])
    base_fc = sum_timers((t_fc, 1 / len(sample_set)), (t_nofc, -1 / len(sample_set)))
    c_none = sum_timers((t_read, 1), (t_loop, 1))
    c_all = sum_timers((c_none, 1), (base_fc, len(every_set)))
    console.print(f"(c) baseline: pandas read {t_read.wall:.2f} s ({t_read.cpu:.2f} cpu); loop "
                  f"without forecasts over {len(every_set):,} series {t_loop.wall:.2f} s "
                  f"({t_loop.cpu:.2f} cpu); statsmodels forecast {base_fc.wall * 1000:.0f} ms "
                  f"({base_fc.cpu * 1000:.0f} cpu) a series (timed on {len(sample_set)}, "
                  "scaled)")

    agree, total, bad = compare(one, base_every)
    if one_all is not None:  # the forecasting call's other figures agree as well
        a, t, b = compare(one_all, base_every)
        agree, total, bad = agree + a, total + t, bad + b

    table = Table(title=f"Status of every priority at every unit: {len(world.units):,} units x "
                        f"{len(world.indicators)} indicators x {len(world.periods)} months "
                        f"({n_rows:,} observations read), {every_readings:,} readings")
    for col in ("(a) ours, one call", "wall (cpu)", "reference", "ratio wall (cpu)", "target",
                "", "note"):
        table.add_column(col)
    ratio_rows(table, "forecasts none vs (b) floor", t_none, t_floor, TARGET_FLOOR, True,
               "fastest of 2 each")
    ratio_rows(table, "forecasts none vs (c) loop", t_none, c_none, TARGET_BASELINE, False,
               "(c) fully measured")
    ratio_rows(table, "forecasts all vs (b) floor", t_all, t_floor, TARGET_FLOOR, True,
               fc_note)
    ratio_rows(table, "forecasts all vs (c) loop", t_all, c_all, TARGET_BASELINE, False,
               f"(c) forecasts scaled from {len(sample_set)}; (a) {fc_note.split(':')[0]}")
    ratio_rows(table, "default call vs (b) floor", t_default, t_floor, TARGET_FLOOR, True,
               f"depth 1, forecasts at the scope: {readings(default)} readings, "
               f"{n_prio} forecasts")
    console.print(table)
    console.print(f"Same numbers (latest, expected, gap, status, XmR mean and limits): "
                  f"{agree:,}/{total:,} readings of the one call"
                  + (" (forecasts 'none' and 'all')" if one_all is not None else "")
                  + " agree with the baseline's.")
    for line in bad[:5]:
        console.print("  differs: " + line)
    console.print("Forecasts are not compared: ours is a calibrated ETS fit (analysis.forecast),"
                  " the baseline one statsmodels fit with a normal interval.")

    if not args.no_profile:
        console.rule("cProfile of (a), every unit in one call, forecasts 'none'")
        console.print(profile(lambda: every("none"), args.profile_top), markup=False,
                      highlight=False)
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
