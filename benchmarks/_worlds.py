"""A generated delivery world for the reading benchmarks: model files, a SQLite store, data.

    world = build_world(directory, units=1000, months=120, indicators=40)

The tree has three levels: a nation, provinces, and districts shared out evenly among them
(1,000 units: 1 + 27 + 972). The indicators are monthly: counts (sum, whole numbers, the
first one the population), ratios (a count per 100,000 people, and one a percentage of
another count) and percentages (mean). Every unit reports every indicator in every month
ending with the last complete month; provinces and the nation report the exact roll-up of
their districts (sums, means of the districts' values, ratios of the summed parts), so the
store holds what a clean federation would send. Six priorities have headlines of each
aggregation, leads and counters, scope the nation, baseline 34 months before the end of
the data and target 14 months after it.

Loading: the model goes through ``load_model``. With ``intake='direct'`` (the default) the
first month goes through ``submit_frame`` (every validation layer) and the other months
are inserted straight into the ``observations`` table under one ``batches`` row, in key
order: what is measured is status, not intake, and submit_frame month by month was too
slow for 4.8 million rows here (200 units x 40 indicators x 120 months, 960,000 rows in
120 monthly batches, took 119 s, about 8,100 rows/s, against 119,000 rows/s for the first
month into an empty store; at 1,000 units that is 10 minutes or more). With
``intake='submit'`` every month goes through ``submit_frame`` as one batch. Status reads
the same values either way: one vintage per key.
"""

from __future__ import annotations

import math
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import yaml
from sqlalchemy import Engine, select

from stocktake.intake.service import submit_frame
from stocktake.model.periods import Period
from stocktake.services.data.model_service import load_model
from stocktake.store import schema as s
from stocktake.store.db import open_engine, utcnow

MODEL_DIR = "model"
DB_NAME = "status.db"
TARGET_AHEAD = 14  # months after the last complete month
BASELINE_BACK = 34  # months before it


@dataclass
class World:
    directory: Path
    db: Path
    units: list[tuple[str, str, str, str]]  # code, name, level, parent
    indicators: list[dict]
    priorities: list[dict]
    periods: list[str]
    rows: int
    timings: dict[str, float] = field(default_factory=dict)
    submit_rows: int = 0  # rows that went through submit_frame
    submit_warnings: int = 0  # outlier warnings the submitted batches stored
    intake: str = "submit"

    @property
    def url(self) -> str:
        return f"sqlite:///{self.db}"


def _tree(n_units: int) -> list[tuple[str, str, str, str]]:
    if n_units < 4:
        raise ValueError(f"--units must be at least 4 (a nation, a province, districts), "
                         f"not {n_units}")
    provinces = max(1, round(math.sqrt(n_units - 1) * 0.85))
    districts = n_units - 1 - provinces
    out = [("N", "Nation", "nation", "")]
    out += [(f"P{p:02d}", f"Province {p}", "province", "N") for p in range(provinces)]
    for d in range(districts):
        p = d % provinces
        out.append((f"P{p:02d}D{d:04d}", f"District {d}", "district", f"P{p:02d}"))
    return out


def _indicators(k: int) -> list[dict]:
    if k < 16:  # six headlines of three kinds, with leads and counters to spare
        raise ValueError(f"--indicators must be at least 16, not {k}")
    n_ratio, n_mean = max(2, k // 10), max(2, k // 5)
    n_count = k - n_ratio - n_mean
    out = [{"code": "population", "name": "Population", "unit": "people",
            "polarity": "neutral", "period_type": "month", "aggregation": "sum",
            "kind": "context", "integer": True, "min": 0}]
    for i in range(1, n_count):
        out.append({"code": f"c{i:02d}", "name": f"Count {i}", "unit": "events",
                    "polarity": "up" if i % 2 else "down", "period_type": "month",
                    "aggregation": "sum", "kind": "input", "integer": True, "min": 0})
    for i in range(1, n_ratio + 1):
        # r01: c02 as a percentage of c01 (positivity-like); the others: per 100,000 people.
        if i == 1:
            num, den, scale, unit = "c02", "c01", 100, "%"
        else:
            num, den, scale, unit = f"c{i + 1:02d}", "population", 100000, "per 100,000"
        out.append({"code": f"r{i:02d}", "name": f"Ratio {i}", "unit": unit,
                    "polarity": "down" if i % 2 else "up", "period_type": "month",
                    "aggregation": "ratio", "numerator": num, "denominator": den,
                    "scale": scale, "kind": "headline"})
    for i in range(1, n_mean + 1):
        out.append({"code": f"m{i:02d}", "name": f"Percentage {i}", "unit": "%",
                    "polarity": "up" if i % 2 else "down", "period_type": "month",
                    "aggregation": "mean", "kind": "lead", "min": 0, "max": 100})
    return out


def _values(units, indicators, months: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """code -> (units, months) array, districts generated, the levels above rolled up."""
    codes = [u[0] for u in units]
    index = {c: i for i, c in enumerate(codes)}
    districts = np.array([i for i, u in enumerate(units) if u[2] == "district"])
    provinces = np.array([i for i, u in enumerate(units) if u[2] == "province"])
    parent = np.array([index[u[3]] if u[3] else -1 for u in units])
    n_d = len(districts)
    t = np.arange(months)
    season = 1 + 0.12 * np.sin(2 * np.pi * t / 12)
    pop = rng.lognormal(math.log(60000), 0.6, n_d)[:, None] * (1 + 0.001 * t)[None, :]
    out: dict[str, np.ndarray] = {}

    def roll(district_values: np.ndarray, how: str) -> np.ndarray:
        full = np.full((len(units), months), np.nan)
        full[districts] = district_values
        for r in provinces:
            kids = full[parent == r]
            full[r] = kids.sum(axis=0) if how == "sum" else kids.mean(axis=0)
        # The nation: a sum of its provinces, or (a mean) the plain mean over every district,
        # as stocktake rolls a mean up (not a mean of the provinces' means).
        full[0] = full[provinces].sum(axis=0) if how == "sum" else district_values.mean(axis=0)
        return full

    for ind in indicators:
        code, agg = ind["code"], ind["aggregation"]
        if code == "population":
            out[code] = roll(np.round(pop), "sum")
        elif agg == "sum":
            rate = rng.lognormal(math.log(5.0), 0.8)  # per 1,000 people a month
            slope = rng.normal(0, 0.004)
            unit_effect = rng.lognormal(0, 0.3, n_d)[:, None]
            lam = pop / 1000 * rate * unit_effect * season[None, :] * (1 + slope * t)[None, :]
            out[code] = roll(rng.poisson(np.clip(lam, 0, None)).astype(float), "sum")
        elif agg == "mean":
            level = rng.uniform(40, 85)
            drift = rng.normal(0, 0.05)
            unit_effect = rng.normal(0, 6, n_d)[:, None]
            v = level + unit_effect + drift * t[None, :] + rng.normal(0, 2.0, (n_d, months))
            out[code] = roll(np.round(np.clip(v, 0, 100), 1), "mean")
    for ind in indicators:  # ratios last: their parts must exist
        if ind["aggregation"] == "ratio":
            num, den = out[ind["numerator"]], out[ind["denominator"]]
            if ind["code"] == "r01":  # a share of c01: keep the numerator below it
                num = np.floor(out["c01"] * rng.uniform(0.05, 0.2))
                num = roll(num[districts], "sum")
                out[ind["numerator"]] = num
            with np.errstate(divide="ignore", invalid="ignore"):
                out[ind["code"]] = np.where(den > 0, num / den * ind["scale"], np.nan)
    return out


def _priorities(indicators: list[dict], values: dict[str, np.ndarray], periods: list[str]
                ) -> list[dict]:
    by_agg: dict[str, list[str]] = {}
    for ind in indicators:
        if ind["kind"] != "context":
            by_agg.setdefault(ind["aggregation"], []).append(ind["code"])
    polarity = {ind["code"]: ind["polarity"] for ind in indicators}
    heads = [by_agg["ratio"][0], by_agg["sum"][3], by_agg["mean"][0], by_agg["ratio"][1],
             by_agg["sum"][7], by_agg["mean"][1]]
    spare = [c for c in by_agg["sum"][8:] + by_agg["mean"][2:] if c not in heads]
    base_i = len(periods) - 1 - BASELINE_BACK
    base_p = periods[base_i]
    target_p = Period.parse(periods[-1], "month").shift(TARGET_AHEAD).code
    out = []
    for k, head in enumerate(heads, start=1):
        base = float(values[head][0, base_i])
        better = 1.15 if polarity[head] == "up" else 0.85
        leads = [spare[(2 * k) % len(spare)], spare[(2 * k + 1) % len(spare)]]
        counters = [spare[(2 * k + 5) % len(spare)]]
        p = {"code": f"P{k}", "title": f"Priority {k}", "owner": f"Minister {k}",
             "headline": head, "scope": "N",
             "baseline": {"period": base_p, "value": round(base, 4)},
             "target": {"period": target_p, "value": round(base * better, 4)},
             "leads": leads, "counters": counters}
        if k == 6:
            p["tolerance"] = {"absolute": 1.0}
        out.append(p)
    return out


def _write_model(directory: Path, units, indicators, priorities) -> Path:
    d = directory / MODEL_DIR
    d.mkdir(parents=True, exist_ok=True)
    with open(d / "units.csv", "w") as f:
        f.write("code,name,level,parent\n")
        f.writelines(",".join(u) + "\n" for u in units)
    (d / "indicators.yaml").write_text(yaml.safe_dump(indicators, sort_keys=False))
    (d / "priorities.yaml").write_text(yaml.safe_dump(priorities, sort_keys=False))
    return d


def last_complete_month(today: date | None = None) -> Period:
    today = today or date.today()
    return Period.parse(f"{today.year}-{today.month:02d}", "month").shift(-1)


def _ids(engine: Engine, table) -> dict[str, int]:
    with engine.connect() as conn:
        return {r.code: r.id for r in conn.execute(select(table.c.id, table.c.code))}


def build_world(directory: str | Path, *, units: int = 1000, months: int = 120,
                indicators: int = 40, seed: int = 20240601, intake: str = "direct") -> World:
    """Generate the model and data and load them into ``directory/status.db``.

    ``intake``: 'submit' sends every month through submit_frame (one batch a month);
    'direct' sends the first month only and inserts the rest into the tables."""
    if intake not in ("submit", "direct"):
        raise ValueError(f"intake must be 'submit' or 'direct', not {intake!r}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    db = directory / DB_NAME
    for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        p.unlink(missing_ok=True)
    rng = np.random.default_rng(seed)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    tree = _tree(units)
    inds = _indicators(indicators)
    end = last_complete_month()
    periods = [end.shift(i - months + 1).code for i in range(months)]
    values = _values(tree, inds, months, rng)
    prios = _priorities(inds, values, periods)
    model_dir = _write_model(directory, tree, inds, prios)
    timings["generate"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    engine = open_engine(f"sqlite:///{db}")
    load_model(engine, model_dir, loaded_by="bench")
    timings["load_model"] = time.perf_counter() - t0

    codes = [u[0] for u in tree]
    ind_codes = [i["code"] for i in inds]
    n_submit = months if intake == "submit" else 1
    # Month by month through submit_frame, as providers' files: every validation layer
    # (outliers against the history stored so far), one batch a month, in time order.
    t0 = time.perf_counter()
    submitted, warnings_stored = 0, 0
    start = utcnow()
    for m in range(n_submit):
        month = pl.DataFrame({
            "indicator": np.repeat(ind_codes, len(codes)).tolist(),
            "unit": codes * len(ind_codes),
            "period": [periods[m]] * (len(codes) * len(ind_codes)),
            "value": [repr(float(v)) for c in ind_codes for v in values[c][:, m]],
        }).with_row_index("row", offset=2).with_columns(pl.col("row").cast(pl.Int64))
        res = submit_frame(engine, month, checksum=f"bench-{seed}-{periods[m]}",
                           source=f"generated {periods[m]}", format="rows", submitter="bench",
                           now=start + timedelta(seconds=m))
        if not res.accepted:
            raise RuntimeError(f"submit_frame refused {periods[m]}: "
                               + "; ".join(f.message for f in res.errors[:5]))
        submitted += month.height
        warnings_stored += len(res.warnings)
    timings["submit_frame"] = time.perf_counter() - t0
    start_month = n_submit

    # The rest straight into the tables: one batch row, observations in key order.
    if start_month == months:
        engine.dispose()
        return World(directory, db, tree, inds, prios, periods, submitted, timings, submitted,
                     warnings_stored, intake)
    t0 = time.perf_counter()
    unit_ids, ind_ids = _ids(engine, s.units), _ids(engine, s.indicators)
    recorded = start + timedelta(seconds=n_submit)
    with engine.begin() as conn:
        batch_id = conn.execute(s.batches.insert().values(
            checksum=f"bench-rest-{seed}", submitter="bench", reason="generated world",
            source="benchmarks/_worlds.py", format="direct", recorded_at=recorded,
            rows=0, added=0, revised=0, unchanged=0)).inserted_primary_key[0]
    engine.dispose()
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    rest = periods[start_month:]
    n = 0
    with con:
        for c in ind_codes:
            arr = values[c][:, start_month:]
            iid = ind_ids[c]
            for u, code in enumerate(codes):
                uid, row = unit_ids[code], arr[u]
                ok = ~np.isnan(row)
                con.executemany(
                    "INSERT INTO observations (indicator_id, unit_id, period, value, batch_id)"
                    " VALUES (?, ?, ?, ?, ?)",
                    [(iid, uid, p, float(v), batch_id)
                     for p, v, k in zip(rest, row.tolist(), ok.tolist(), strict=True) if k])
                n += int(ok.sum())
        con.execute("UPDATE batches SET rows = ?, added = ? WHERE id = ?", (n, n, batch_id))
    con.close()
    timings["insert_direct"] = time.perf_counter() - t0
    return World(directory, db, tree, inds, prios, periods, n + submitted, timings,
                 submitted, warnings_stored, intake)
