"""Exporting observations, latest or as known at a past moment, to CSV or Parquet."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from ...errors import Invalid, NotFound
from ...intake.cells import csv_column
from ...store import model_repo
from ...store.observations import latest


class ExportError(Invalid):
    """An export that cannot be written as asked (the file's type)."""


def _as_text(value: pl.Expr) -> pl.Expr:
    """Whole numbers without a trailing '.0', so an export submits back unchanged."""
    return (pl.when(value == value.round(0)).then(value.cast(pl.Int64).cast(pl.String))
            .otherwise(value.cast(pl.String)))


def export_observations(engine: Engine, out: str | Path, *, as_of: datetime | None = None,
                        indicators: list[str] | None = None,
                        units: list[str] | None = None) -> int:
    """Write values to ``out``; CSV has the submit header, Parquet adds each vintage's time."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ExportError(f"{out.name}: the file must end in .csv or .parquet")
    with engine.connect() as conn:
        model = model_repo.read_model(conn, include_retired=True)
        for codes, known, what in ((indicators, model.indicators, "indicator"),
                                   (units, model.units, "unit")):
            unknown = [c for c in codes or [] if c not in known]
            if unknown:
                raise NotFound(f"unknown {what} code(s): {', '.join(unknown)}")
        df = latest(conn, as_of=as_of, indicators=indicators, units=units)
    if suffix == ".csv":  # codes as text no spreadsheet runs; values stay numbers
        df.select(csv_column("indicator"), csv_column("unit"), "period",
                  _as_text(pl.col("value")).alias("value")).write_csv(out)
    else:
        df.write_parquet(out)
    return df.height
