"""Status benchmark: priority_status over a generated world, against the input floor and a
straightforward pandas + statsmodels loop.

    python benchmarks/status.py [--units N] [--months M] [--indicators K] [--keep DIR]
                                [--sample S] [--every-unit-sample P] [--intake direct|submit]
                                [--no-profile]

The world (benchmarks/_worlds.py): N units in three levels (nation, provinces, districts),
K monthly indicators (counts, ratios, percentages), M months of data for every unit,
six priorities with scope the nation (loaded as _worlds.py says: by default the first
month through submit_frame, the rest inserted directly). Measured in one process, one run:

(a) ours: ``priority_status(engine, units=True, forecasts=F)`` for F = none, scope, all.
    One call reads the scope and the units one level below it (the provinces); with
    ``depth=None`` one call reads every unit at every level (timed too). The older way to
    read *every* unit takes one more call per province (``unit=P``: the province and its
    districts); that sweep is timed with forecasts none, and with forecasts all it is
    estimated from the measured cost per forecast (said so in the output);
    ``--every-unit-sample P`` times P province calls and scales to all of them.
(b) the input floor: one SELECT of the observations status reads (the headlines, leads,
    counters and the parts of the ratios, every unit and month), fetched with sqlite3
    and laid into one numpy array (indicator x unit x month).
(c) the straightforward baseline: the same observations read with pandas, then a loop
    over (priority, unit): the series as a pandas Series, its unit trajectory (shares of
    the parent's, as ours), latest value, expected value, gap and status, a plain XmR
    (mean, screened average moving range, limits) and, where the reading has a forecast,
    statsmodels ExponentialSmoothing (additive damped trend, additive seasonality) with a
    normal interval. The loop without forecasts runs on every series; the forecasts on a
    sample of S series, scaled to the count (said so). Its numbers are checked against
    (a)'s: latest, expected, gap, status, XmR mean and limits must agree.

Targets (the "reading the data" issue): (a) <= 3x (b); (c) >= 10x (a). It is a report,
not a test: it always exits 0 and prints PASS or MISS per target, and a profile of (a).
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

from stocktake.services.series_data import components, read_model  # noqa: E402
from stocktake.services.status import priority_status  # noqa: E402
from stocktake.store.db import open_engine  # noqa: E402

TARGET_FLOOR = 3.0  # (a) / (b) at most
TARGET_BASELINE = 10.0  # (c) / (a) at least
MODES = ("none", "scope", "all")
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
    """One SELECT, fetch, and a dense (indicator, unit, month) array of the values."""
    con = sqlite3.connect(db)
    ids = dict(con.execute("SELECT code, id FROM indicators"))
    wanted = [ids[c] for c in codes]
    marks = ",".join("?" * len(wanted))
    rows = con.execute(f"SELECT indicator_id, unit_id, period, value FROM observations "
                       f"WHERE indicator_id IN ({marks})", wanted).fetchall()
    con.close()
    # Tuples straight into one structured array: no per-column Python pass.
    obs = np.fromiter(rows, dtype=[("indicator", "i8"), ("unit", "i8"), ("period", "U10"),
                                   ("value", "f8")], count=len(rows))
    labels, col = np.unique(obs["period"], return_inverse=True)
    ind_pos = np.searchsorted(np.unique(obs["indicator"]), obs["indicator"])
    unit_pos = np.searchsorted(np.unique(obs["unit"]), obs["unit"])
    arr = np.full((ind_pos.max() + 1, unit_pos.max() + 1, len(labels)), np.nan)
    arr[ind_pos, unit_pos, col] = obs["value"]
    return arr, len(rows)


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


def compare(ours: dict, base: dict[tuple[str, str], dict]) -> tuple[int, int, list[str]]:
    """How many readings of (a) agree with the baseline's on every shared figure."""
    agree, total, bad = 0, 0, []
    for p in ours["priorities"]:
        for r in [p, *p.get("units", [])]:
            key = (p["code"], r["unit"])
            if key not in base:
                continue
            b, total = base[key], total + 1
            pairs = [(r["latest"]["value"], b["latest"]), (r["expected"], b["expected"]),
                     (r["gap"], b["gap"]), (r["spc"]["mean"], b["mean"]),
                     (r["spc"]["lower"], b["lower"]), (r["spc"]["upper"], b["upper"])]
            ok = all(math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-6) for x, y in pairs)
            ok = ok and r["status"] == b["status"]
            if ok:
                agree += 1
            elif len(bad) < 5:
                bad.append(f"{key}: ours {[x for x, _ in pairs]} {r['status']}; baseline "
                           f"{[y for _, y in pairs]} {b['status']}")
    return agree, total, bad


def profile(engine, mode: str, top: int) -> str:
    prof = cProfile.Profile()
    prof.enable()
    priority_status(engine, units=True, forecasts=mode)
    prof.disable()
    out = io.StringIO()
    st = pstats.Stats(prof, stream=out).strip_dirs()
    st.sort_stats("cumulative").print_stats(top)
    st.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def ratio_row(table: Table, name: str, ours: Timer, other: float, other_cpu: float | None,
              target: str, ok: bool, ratio: float, note: str = "") -> None:
    table.add_row(name, f"{ours.wall:,.2f} s ({ours.cpu:,.2f} cpu)",
                  f"{other:,.2f} s" + (f" ({other_cpu:,.2f} cpu)" if other_cpu else ""),
                  f"{ratio:,.2f}x", target,
                  "[green]PASS[/]" if ok else "[red]MISS[/]", note)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=1000)
    ap.add_argument("--months", type=int, default=120)
    ap.add_argument("--indicators", type=int, default=40)
    ap.add_argument("--keep", type=Path, help="build the world in DIR and keep it")
    ap.add_argument("--sample", type=int, default=24,
                    help="series the baseline forecasts are timed on (scaled to the count)")
    ap.add_argument("--every-unit-sample", type=int, default=0,
                    help="time the every-unit sweep on this many provinces and scale (0: all)")
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

    # (b) the floor, twice (the first also warms the OS file cache), fastest kept.
    floors = [time_it(lambda: read_floor(world.db, codes)) for _ in range(2)]
    (arr, n_rows), t_floor = min(floors, key=lambda x: x[1].wall)
    console.print(f"(b) floor: {n_rows:,} observations of {len(codes)} indicators -> array "
                  f"{arr.shape}: {t_floor.wall:.2f} s ({t_floor.cpu:.2f} cpu)")

    # (a) ours, one call per forecasts mode.
    ours: dict[str, tuple[dict, Timer]] = {}
    for mode in MODES:
        ours[mode] = time_it(lambda m=mode: priority_status(engine, units=True, forecasts=m))
        console.print(f"(a) priority_status(units=True, forecasts={mode!r}): "
                      f"{ours[mode][1].wall:.2f} s ({ours[mode][1].cpu:.2f} cpu)")
    per_call = n_prio * (1 + len(provinces))
    fc_count = {"none": 0, "scope": n_prio, "all": per_call}
    per_forecast = (ours["all"][1].wall - ours["none"][1].wall) / max(per_call, 1)
    per_forecast_cpu = (ours["all"][1].cpu - ours["none"][1].cpu) / max(per_call, 1)

    # (a') every unit: the scope call, then one call per province (its districts).
    sweep = provinces if not args.every_unit_sample else provinces[:args.every_unit_sample]
    with timed() as t_sweep:
        every = {"N": ours["none"][0]}
        for prov in sweep:
            every[prov] = priority_status(engine, unit=prov, units=True, forecasts="none")
    scale = len(provinces) / len(sweep)
    sweep_wall = ours["none"][1].wall + t_sweep.wall * scale
    sweep_cpu = ours["none"][1].cpu + t_sweep.cpu * scale
    every_readings = n_prio * (1 + len(provinces) + sum(len(kids[p]) for p in provinces))
    # Forecasts for every unit: the province calls forecast their province again.
    every_forecasts = every_readings + n_prio * len(provinces)
    console.print(f"(a') every unit, forecasts 'none': {1 + len(sweep)} calls in "
                  f"{ours['none'][1].wall + t_sweep.wall:.2f} s"
                  + (f", scaled to {1 + len(provinces)} calls: {sweep_wall:.2f} s"
                     if scale != 1 else "")
                  + f"; per forecast (from 'all' - 'none'): {per_forecast * 1000:.0f} ms")

    # (a'') every unit in one call: every level below the scope from one load.
    with timed() as t_one:
        one = priority_status(engine, units=True, forecasts="none", depth=None)
    one_readings = sum(1 + len(p["units"]) for p in one["priorities"])
    console.print(f"(a'') every unit in one call (depth=None), forecasts 'none': "
                  f"{t_one.wall:.2f} s, {one_readings} readings")

    # (c) the baseline.
    baseline, t_read = time_it(lambda: Baseline(world.db, world, codes))
    prios = world.priorities
    scope_set = [(p, u) for p in prios for u in ["N", *provinces]]
    every_set = [(p, u) for p in prios for u in [x[0] for x in world.units]]

    def loop(pairs):
        return {(p["code"], u): baseline.reading(p, u, False) for p, u in pairs}

    base_scope, t_loop = time_it(lambda: loop(scope_set))
    base_every, t_loop_every = time_it(lambda: loop(every_set))
    step = max(1, len(scope_set) // args.sample)
    sample = scope_set[::step][:args.sample]
    _, t_fc = time_it(lambda: [baseline.reading(p, u, True) for p, u in sample])
    _, t_nofc = time_it(lambda: [baseline.reading(p, u, False) for p, u in sample])
    base_fc = max(t_fc.wall - t_nofc.wall, 0.0) / len(sample)
    base_fc_cpu = max(t_fc.cpu - t_nofc.cpu, 0.0) / len(sample)
    c_wall = {m: t_read.wall + t_loop.wall + fc_count[m] * base_fc for m in MODES}
    c_cpu = {m: t_read.cpu + t_loop.cpu + fc_count[m] * base_fc_cpu for m in MODES}
    c_every = t_read.wall + t_loop_every.wall + every_forecasts * base_fc
    c_every_none = t_read.wall + t_loop_every.wall
    console.print(f"(c) baseline: pandas read {t_read.wall:.2f} s; loop without forecasts "
                  f"{len(scope_set)} series {t_loop.wall:.2f} s, {len(every_set)} series "
                  f"{t_loop_every.wall:.2f} s; statsmodels forecast "
                  f"{base_fc * 1000:.0f} ms a series (timed on {len(sample)}, scaled)")

    agree, total, bad = compare(ours["none"][0], base_scope)
    agree_e, total_e = agree, total
    for prov, res in every.items():
        if prov == "N":
            continue
        a, t, b = compare(res, base_every)
        agree_e, total_e, bad = agree_e + a, total_e + t, bad + b
    a, t, b = compare(one, base_every)  # the one call agrees with the baseline too
    agree_e, total_e, bad = agree_e + a, total_e + t, bad + b

    table = Table(title=f"priority_status on {len(world.units):,} units x "
                        f"{len(world.indicators)} indicators x {len(world.periods)} months "
                        f"({n_rows:,} observations read)")
    for col in ("(a) ours", "wall (cpu)", "baseline", "ratio", "target", "", "note"):
        table.add_column(col)
    for mode in MODES:
        t = ours[mode][1]
        r = t.wall / t_floor.wall
        ratio_row(table, f"forecasts={mode} vs (b) floor", t, t_floor.wall, t_floor.cpu,
                  f"<= {TARGET_FLOOR:g}x", r <= TARGET_FLOOR, r,
                  f"{per_call} readings, {fc_count[mode]} forecasts")
        r = c_wall[mode] / t.wall
        ratio_row(table, f"forecasts={mode} vs (c) loop", t, c_wall[mode], c_cpu[mode],
                  f">= {TARGET_BASELINE:g}x", r >= TARGET_BASELINE, r,
                  "(c) forecasts scaled" if fc_count[mode] else "(c) fully measured")
    sweep_t = Timer()
    sweep_t.wall, sweep_t.cpu = sweep_wall, sweep_cpu
    r = sweep_wall / t_floor.wall
    ratio_row(table, "every unit, none vs (b)", sweep_t, t_floor.wall, t_floor.cpu,
              f"<= {TARGET_FLOOR:g}x", r <= TARGET_FLOOR, r,
              f"{1 + len(provinces)} calls, {every_readings} readings"
              + (" (scaled)" if scale != 1 else ""))
    r = t_one.wall / t_floor.wall
    ratio_row(table, "every unit, one call vs (b)", t_one, t_floor.wall, t_floor.cpu,
              f"<= {TARGET_FLOOR:g}x", r <= TARGET_FLOOR, r,
              f"1 call (depth=None), {one_readings} readings")
    r = c_every_none / sweep_wall
    ratio_row(table, "every unit, none vs (c)", sweep_t, c_every_none, None,
              f">= {TARGET_BASELINE:g}x", r >= TARGET_BASELINE, r, "(c) fully measured")
    est = Timer()
    est.wall = sweep_wall + every_forecasts * per_forecast
    est.cpu = sweep_cpu + every_forecasts * per_forecast_cpu
    r = est.wall / t_floor.wall
    ratio_row(table, "every unit, all vs (b)", est, t_floor.wall, t_floor.cpu,
              f"<= {TARGET_FLOOR:g}x", r <= TARGET_FLOOR, r,
              f"ESTIMATED: {every_forecasts} forecasts x {per_forecast * 1000:.0f} ms")
    r = c_every / est.wall
    ratio_row(table, "every unit, all vs (c)", est, c_every, None, f">= {TARGET_BASELINE:g}x",
              r >= TARGET_BASELINE, r, "both sides' forecasts scaled")
    console.print(table)
    console.print(f"Same numbers (latest, expected, gap, status, XmR mean and limits): "
                  f"{agree}/{total} readings of the one call, {agree_e}/{total_e} over every "
                  f"unit agree with the baseline's.")
    for line in bad[:5]:
        console.print("  differs: " + line)
    console.print("Forecasts are not compared: ours is a calibrated ETS grid fit (31 fits a "
                  "series), the baseline one statsmodels fit with a normal interval.")

    if not args.no_profile:
        console.rule("cProfile of (a), forecasts='scope'")
        console.print(profile(engine, "scope", args.profile_top), markup=False, highlight=False)
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
