"""What the stress scripts share: a generated model and its data, a throwaway database
(a SQLite file, or a PostgreSQL cluster of its own), and the check that the store holds no
half batch.

The model is a nation, provinces and districts with monthly counts (sum, whole numbers,
min 0). Data rows are for the districts only (so no reported total is checked against its
parts), the months ending with the last complete one; each series has a base value, and
``version`` is added to every value, so submission ``version`` changes every row that the
one before stored: each accepted batch writes all its rows.
"""

from __future__ import annotations

import math
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy import Engine, text

ROOT = Path(__file__).resolve().parents[1]
PG_THROWAWAY = ROOT / "scripts" / "pg-throwaway"


@dataclass(frozen=True)
class World:
    provinces: int = 10
    districts: int = 20  # per province
    indicators: int = 10

    @property
    def district_codes(self) -> list[str]:
        return [f"P{p:02d}D{d:02d}" for p in range(1, self.provinces + 1)
                for d in range(1, self.districts + 1)]

    @property
    def indicator_codes(self) -> list[str]:
        return [f"count_{i:02d}" for i in range(1, self.indicators + 1)]

    def write_model(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        lines = ["code,name,level,parent", "NAT,Nation,nation,"]
        lines += [f"P{p:02d},Province {p:02d},province,NAT"
                  for p in range(1, self.provinces + 1)]
        lines += [f"{d},District {d},district,{d[:3]}" for d in self.district_codes]
        (folder / "units.csv").write_text("\n".join(lines) + "\n")
        (folder / "indicators.yaml").write_text("".join(
            f"- code: {c}\n  name: Count {c[-2:]}\n  unit: events\n  polarity: up\n"
            "  period_type: month\n  aggregation: sum\n  integer: true\n  min: 0\n"
            for c in self.indicator_codes))
        (folder / "priorities.yaml").write_text(
            f"- code: P1\n  title: More events\n  headline: {self.indicator_codes[0]}\n"
            "  scope: NAT\n  baseline: {period: 2024-01, value: 1000}\n"
            "  target: {period: 2028-12, value: 2000}\n")
        return folder

    def rows(self, n_rows: int, version: int, units: list[str] | None = None,
             seed: int = 7) -> pl.DataFrame:
        """``n_rows`` long rows (indicator, unit, period, value) for ``units`` (default
        every district), months ending with the last complete one, the values of
        ``version``."""
        units = units or self.district_codes
        series = len(units) * self.indicators
        months = _months(max(1, math.ceil(n_rows / series)))
        rng = np.random.default_rng(seed)
        base = rng.integers(100, 1000, series)
        frame = pl.DataFrame({
            "indicator": [i for i in self.indicator_codes for _ in units] * len(months),
            "unit": units * self.indicators * len(months),
            "period": [m for m in months for _ in range(series)],
            "value": np.tile(base, len(months)) + version,
        }).head(n_rows)
        return frame.with_columns(pl.col("value").cast(pl.Int64))


def _months(n: int) -> list[str]:
    today = date.today()
    last = today.year * 12 + today.month - 2  # the month before this one
    return [f"{o // 12:04d}-{o % 12 + 1:02d}" for o in range(last - n + 1, last + 1)]


@contextmanager
def database(kind: str, work: Path, pg_url: str | None = None) -> Iterator[str]:
    """A fresh database's URL: a SQLite file in ``work``, or PostgreSQL (``pg_url``, or a
    throwaway cluster of its own, stopped and removed at the end)."""
    if kind == "sqlite":
        yield f"sqlite:///{work / 'stress.db'}"
        return
    if pg_url:
        yield pg_url
        return
    cluster = Path(tempfile.mkdtemp(prefix="stocktake-stress-pg-"))
    url = subprocess.run([str(PG_THROWAWAY), "start", str(cluster)], check=True,
                         capture_output=True, text=True).stdout.strip()
    try:
        yield url
    finally:
        subprocess.run([str(PG_THROWAWAY), "stop", str(cluster)], check=False)


def child_env() -> dict[str, str]:
    """The environment for a `stocktake` child process: this tree's package first."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                      env.get("PYTHONPATH")]))
    return env


@dataclass
class Consistency:
    batches: int
    observations: int
    half: list[tuple[int, int, int]]  # (batch, rows it says it stored, rows there)
    orphans: int  # observations whose batch does not exist

    @property
    def ok(self) -> bool:
        return not self.half and not self.orphans


def consistency(engine: Engine) -> Consistency:
    """Every batch against its rows: a batch stores its added and revised values (never
    the unchanged), so each batch's observations must number exactly added + revised, and
    no observation may name a batch that is not there."""
    with engine.connect() as conn:
        per_batch = conn.execute(text(
            "SELECT b.id, b.added + b.revised, COALESCE(o.n, 0) FROM batches b "
            "LEFT JOIN (SELECT batch_id, COUNT(*) AS n FROM observations GROUP BY batch_id)"
            " o ON o.batch_id = b.id")).all()
        observations = conn.execute(text("SELECT COUNT(*) FROM observations")).scalar_one()
        orphans = conn.execute(text(
            "SELECT COUNT(*) FROM observations o WHERE NOT EXISTS "
            "(SELECT 1 FROM batches b WHERE b.id = o.batch_id)")).scalar_one()
    half = [(b, want, got) for b, want, got in per_batch if want != got]
    return Consistency(len(per_batch), observations, half, orphans)
