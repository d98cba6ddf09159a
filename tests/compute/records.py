"""A small set of attendance records, and every indicator of the compute fixture model
computed from them by hand, in plain Python (no engine, no Ibis), to check the engines
against."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

MODEL = Path(__file__).parents[1] / "fixtures" / "compute_model"
UNIT_MAP = {"rx1": "H1"}
# Each hospital's region and nation, as the fixture's units.csv declares them.
ANCESTORS = {"H1": ["R1", "N"], "H2": ["R1", "N"], "H3": ["R2", "N"]}


def records(n: int = 400, seed: int = 19) -> list[dict]:
    rng = random.Random(seed)
    start = datetime(2024, 1, 1)
    out = []
    for _ in range(n):
        hospital = rng.choice(["rx1", "H1", "H2", "H3"])
        minutes = rng.randint(10, 600) if rng.random() > 0.05 else None
        out.append({"hospital": hospital,
                    "arrived": start + timedelta(minutes=rng.randint(0, 120 * 24 * 60)),
                    "minutes": minutes, "kind": rng.choice(["major", "minor"]),
                    "admitted": rng.random() < 0.3})
    return out


def write_parquet(rows: list[dict], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist(rows, schema=pa.schema([
        ("hospital", pa.string()), ("arrived", pa.timestamp("us")), ("minutes", pa.int64()),
        ("kind", pa.string()), ("admitted", pa.bool_())]))
    # Two files, as a partitioned extract would be.
    half = len(rows) // 2
    pq.write_table(table.slice(0, half), folder / "part-1.parquet")
    pq.write_table(table.slice(half), folder / "part-2.parquet")
    return folder


def _period(day: datetime, period_type: str) -> str:
    if period_type == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"


def _percentile(values: list[float], p: float) -> float:
    """Linear interpolation between the order statistics (Hyndman and Fan's type 7)."""
    xs = sorted(values)
    h = (len(xs) - 1) * p
    lo = int(h)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (h - lo) * (xs[hi] - xs[lo])


def by_hand(rows: list[dict], *, levels: bool = False
            ) -> dict[str, dict[tuple[str, str], float]]:
    """Every indicator of the fixture model, per (unit, period), from the records; with
    ``levels`` for the regions and the nation too, each from the records of its
    hospitals."""
    groups: dict[tuple[str, str, str], list[dict]] = {}
    for r in rows:
        unit = UNIT_MAP.get(r["hospital"], r["hospital"])
        for u in [unit] + (ANCESTORS[unit] if levels else []):
            for pt in ("month", "quarter"):
                groups.setdefault((pt, u, _period(r["arrived"], pt)), []).append(r)
    out: dict[str, dict[tuple[str, str], float]] = {
        k: {} for k in ("attendances", "seen_4h", "mean_minutes", "median_minutes",
                        "p90_major", "admitted_rate", "major_minutes")}
    for (pt, unit, period), rs in groups.items():
        key = (unit, period)
        minutes = [r["minutes"] for r in rs if r["minutes"] is not None]
        if pt == "quarter":
            major = [r["minutes"] for r in rs if r["kind"] == "major" and r["minutes"] is not None]
            if major:
                out["p90_major"][key] = _percentile(major, 0.9)
            continue
        out["attendances"][key] = len(rs)
        out["seen_4h"][key] = 100 * sum(1 for m in minutes if m <= 240) / len(rs)
        out["mean_minutes"][key] = sum(minutes) / len(minutes)
        out["median_minutes"][key] = _percentile(minutes, 0.5)
        out["admitted_rate"][key] = 100 * sum(r["admitted"] for r in rs) / len(rs)
        major = [r["minutes"] for r in rs if r["kind"] == "major" and r["minutes"] is not None]
        if any(r["kind"] == "major" for r in rs):
            out["major_minutes"][key] = sum(major)
    return out
