"""The submission service: one batch in, validated, stored atomically, or nothing stored.

The CLI, the web upload, the API and the demo all submit through ``submit``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine

from ..store import model_repo, observations
from ..store.db import utcnow
from .findings import Finding, SubmissionError
from .readers import LONG_HEADER, checksum, read_file
from .validate import validate_rows


@dataclass
class SubmissionResult:
    accepted: bool
    rows: int
    findings: list[Finding] = field(default_factory=list)
    batch: int | None = None
    duplicate_of: int | None = None  # an identical earlier file: nothing was stored
    added: int = 0
    revised: int = 0
    unchanged: int = 0
    checksum: str = ""
    recorded_at: datetime | None = None

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "batch": self.batch,
            "accepted": self.accepted,
            "rows": self.rows,
            "duplicate_of": self.duplicate_of,
            "added": self.added,
            "revised": self.revised,
            "unchanged": self.unchanged,
            "checksum": self.checksum,
            "recorded_at": self.recorded_at.isoformat() if self.recorded_at else None,
            "findings": [f.to_dict() for f in self.findings],
        }


def submit_file(engine: Engine, path: str | Path, *, submitter: str, reason: str = "",
                now: datetime | None = None) -> SubmissionResult:
    """Read, validate and store one file as one batch."""
    try:
        data, fmt, df = read_file(path)
    except SubmissionError as exc:
        return SubmissionResult(accepted=False, rows=0, findings=exc.findings)
    return submit_frame(engine, df, checksum=checksum(data), source=Path(path).name,
                        format=fmt, submitter=submitter, reason=reason, now=now)


def submit_rows(engine: Engine, rows: list[tuple[str, str, str, Any]], *, submitter: str,
                reason: str = "", source: str = "rows", now: datetime | None = None
                ) -> SubmissionResult:
    """Submit (indicator, unit, period, value) tuples, e.g. from the demo or a form."""
    df = pl.DataFrame(
        [tuple("" if v is None else str(v) for v in r) for r in rows],
        schema={c: pl.String for c in LONG_HEADER}, orient="row",
    ).with_row_index("row", offset=2).with_columns(pl.col("row").cast(pl.Int64))
    text = "\n".join(",".join(map(str, r)) for r in rows).encode()
    return submit_frame(engine, df, checksum=checksum(text), source=source, format="rows",
                        submitter=submitter, reason=reason, now=now)


def submit_frame(engine: Engine, df: pl.DataFrame, *, checksum: str, source: str, format: str,
                 submitter: str, reason: str, now: datetime | None) -> SubmissionResult:
    now = now or utcnow()
    result = SubmissionResult(accepted=False, rows=df.height, checksum=checksum)
    if df.height == 0:
        result.findings.append(Finding(None, None, None, "no_rows", "error",
                                       "the file has a header but no rows of data"))
        return result
    with engine.begin() as conn:
        model = model_repo.read_model(conn)
        if not model.indicators or not model.units:
            result.findings.append(Finding(None, None, None, "no_model", "error",
                                           "no delivery model is loaded: run "
                                           "'stocktake load DIR' first"))
            return result
        checked, findings = validate_rows(df, model, today=now.date())
        result.findings = findings
        if result.errors:
            return result  # all or nothing: leaving the block without writing
        clean = checked.filter(pl.col("ok"))
        ids = model_repo.indicator_ids(conn)
        uids = model_repo.unit_ids(conn)
        keyed = clean.with_columns(
            pl.col("indicator").replace_strict(ids, return_dtype=pl.Int64).alias("indicator_id"),
            pl.col("unit").replace_strict(uids, return_dtype=pl.Int64).alias("unit_id"),
        ).select("indicator_id", "unit_id", "period", "value")
        earlier = observations.find_batch_by_checksum(conn, checksum)
        if earlier is not None:
            pending = observations.current_values(conn, keyed)
            merged = keyed.join(pending, on=["indicator_id", "unit_id", "period"], how="left")
            if merged.filter(pl.col("current").is_null()
                             | (pl.col("current") != pl.col("value"))).height == 0:
                result.accepted = True
                result.duplicate_of = earlier["id"]
                result.unchanged = df.height
                return result
        batch_id, counts = observations.record_batch(
            conn, keyed, checksum=checksum, submitter=submitter, reason=reason, source=source,
            format=format, recorded_at=now)
    result.accepted = True
    result.batch = batch_id
    result.added, result.revised, result.unchanged = counts.added, counts.revised, counts.unchanged
    result.recorded_at = now
    return result
