"""Observations: append-only values with vintages, and the batches that brought them.

A value is never updated or deleted. Submitting a different value for the same
(indicator, unit, period) adds a row; the value "as of" T is the newest row recorded at
or before T. Identical resubmissions add nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, and_, func, select

from . import schema as s


@dataclass
class BatchCounts:
    added: int  # first value for its key
    revised: int  # a new vintage of a known key
    unchanged: int  # same as the value already known: nothing stored


def find_batch_by_checksum(conn: Connection, checksum: str) -> dict[str, Any] | None:
    row = conn.execute(select(s.batches).where(s.batches.c.checksum == checksum)
                       .order_by(s.batches.c.id).limit(1)).mappings().first()
    return dict(row) if row else None


_STAGE = "stocktake_incoming"
STAGE_SLICE = 100_000


def stage(conn: Connection, rows: pl.DataFrame) -> None:
    """Put a validated batch (indicator_id, unit_id, period, value) in a temporary table
    beside the newest stored value of each key, looked up through the observations index:
    the cost grows with the batch, not with the history already stored."""
    pg = conn.dialect.name == "postgresql"
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE} (indicator_id INTEGER, "
        "unit_id INTEGER, period VARCHAR(10), value DOUBLE PRECISION, "
        "current DOUBLE PRECISION)" + (" ON COMMIT DROP" if pg else ""))
    conn.exec_driver_sql(f"DELETE FROM {_STAGE}")
    mark = "%s" if pg else "?"
    # In slices: a list of Python tuples for the whole batch costs ~200 bytes a row.
    for part in rows.select("indicator_id", "unit_id", "period", "value").iter_slices(
            STAGE_SLICE):
        conn.exec_driver_sql(
            f"INSERT INTO {_STAGE} (indicator_id, unit_id, period, value) "
            f"VALUES ({mark}, {mark}, {mark}, {mark})", part.rows())
    conn.exec_driver_sql(
        f"UPDATE {_STAGE} SET current = (SELECT o.value FROM observations o"
        f" WHERE o.indicator_id = {_STAGE}.indicator_id AND o.unit_id = {_STAGE}.unit_id"
        f" AND o.period = {_STAGE}.period ORDER BY o.recorded_at DESC, o.id DESC LIMIT 1)")


def staged_counts(conn: Connection) -> BatchCounts:
    added, revised, unchanged = conn.exec_driver_sql(
        "SELECT COALESCE(SUM(CASE WHEN current IS NULL THEN 1 ELSE 0 END), 0),"
        " COALESCE(SUM(CASE WHEN current <> value THEN 1 ELSE 0 END), 0),"
        f" COALESCE(SUM(CASE WHEN current = value THEN 1 ELSE 0 END), 0) FROM {_STAGE}").one()
    return BatchCounts(int(added), int(revised), int(unchanged))


def unstage(conn: Connection) -> None:
    conn.exec_driver_sql(f"DELETE FROM {_STAGE}")


def record_batch(conn: Connection, counts: BatchCounts, *, checksum: str, submitter: str,
                 reason: str, source: str, format: str, recorded_at: datetime, rows: int,
                 scope: str | None = None, status: str = "accepted", warnings: int = 0,
                 quarantined: int = 0) -> int:
    """Store the staged batch: new keys and changed values become new vintages.

    Call inside a transaction: the batch row and its observations commit together.
    Batches must be recorded in time order, so the newest vintage is the newest row.
    """
    newest = conn.execute(select(func.max(s.batches.c.recorded_at))).scalar()
    if newest is not None and recorded_at < newest:
        raise ValueError(f"cannot record a batch at {recorded_at:%Y-%m-%d %H:%M:%S}: batch "
                         f"recorded at {newest:%Y-%m-%d %H:%M:%S} is newer (is the clock "
                         "wrong?)")
    batch_id = conn.execute(s.batches.insert().values(
        checksum=checksum, submitter=submitter, reason=reason, source=source, format=format,
        recorded_at=recorded_at, rows=rows, added=counts.added, revised=counts.revised,
        unchanged=counts.unchanged, status=status, scope=scope, warnings=warnings,
        quarantined=quarantined,
    )).inserted_primary_key[0]
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    conn.exec_driver_sql(
        "INSERT INTO observations (indicator_id, unit_id, period, value, batch_id, recorded_at)"
        f" SELECT indicator_id, unit_id, period, value, {mark}, {mark} FROM {_STAGE}"
        " WHERE current IS NULL OR current <> value"
        # in the index's order: the key index grows at its end instead of everywhere
        " ORDER BY indicator_id, unit_id, period", (batch_id, recorded_at))
    unstage(conn)
    return batch_id


def record_findings(conn: Connection, batch_id: int, findings: list, checked: pl.DataFrame
                    ) -> None:
    """Keep the findings of an accepted batch for follow-up (outliers, quarantined rows)."""
    if not findings:
        return
    keys = {r: (i, u, p) for r, i, u, p in
            checked.select("row", "indicator", "unit", "period").iter_rows()}
    conn.execute(s.findings.insert(), [{
        "batch_id": batch_id, "row": f.row, "column": f.column,
        "value": None if f.value is None else str(f.value), "check": f.check,
        "severity": f.severity, "message": f.message,
        "indicator": keys.get(f.row, (None,) * 3)[0], "unit": keys.get(f.row, (None,) * 3)[1],
        "period": keys.get(f.row, (None,) * 3)[2],
    } for f in findings])


def record_quarantine(conn: Connection, batch_id: int, rows: pl.DataFrame) -> None:
    if rows.height == 0:
        return
    conn.execute(s.quarantine.insert(), [
        {"batch_id": batch_id, "row": r, "indicator": i, "unit": u, "period": p, "value": v}
        for r, i, u, p, v in rows.select("row", "indicator", "unit", "period", "value")
        .iter_rows()])


def latest(conn: Connection, *, as_of: datetime | None = None,
           indicators: list[str] | None = None, units: list[str] | None = None,
           period_from: str | None = None, period_to: str | None = None,
           with_vintage: bool = True, ordered: bool = True) -> pl.DataFrame:
    """The value of every key as known at ``as_of`` (default: now), with its vintage.

    Batches are recorded in time order (record_batch refuses a clock that goes back), so
    the newest vintage of a key is the one with the highest id: no window function or
    sort in the database, just an index range scan. Codes are turned into ids first, so
    the filters run on the observations index. Period codes of one type sort as text; a
    period range may also let in codes of other types, which callers ignore.
    """
    o = s.observations
    ind_codes = _codes(conn, s.indicators)
    unit_codes = _codes(conn, s.units)
    conditions = []
    if as_of is not None:
        conditions.append(o.c.recorded_at <= as_of)
    if indicators is not None:
        wanted = set(indicators)
        conditions.append(o.c.indicator_id.in_([i for i, c in ind_codes.items() if c in wanted]))
    if units is not None:
        wanted = set(units)
        conditions.append(o.c.unit_id.in_([i for i, c in unit_codes.items() if c in wanted]))
    if period_from is not None:
        conditions.append(o.c.period >= period_from)
    if period_to is not None:
        conditions.append(o.c.period <= period_to)
    columns = [o.c.id, o.c.indicator_id, o.c.unit_id, o.c.period, o.c.value, o.c.batch_id]
    schema = {"id": pl.Int64, "indicator_id": pl.Int64, "unit_id": pl.Int64,
              "period": pl.String, "value": pl.Float64, "batch_id": pl.Int64}
    if with_vintage:
        columns.append(o.c.recorded_at)
        schema["recorded_at"] = pl.Datetime("us")
    result = conn.execute(select(*columns).where(and_(True, *conditions)))
    # Ids, codes and floats need no conversion: read them straight off the driver's cursor
    # (much faster for the many small reads a submission makes); times go through
    # SQLAlchemy, which knows how each database stores them.
    rows = result.all() if with_vintage else result.cursor.fetchall()
    df = (pl.DataFrame(rows, schema=schema, orient="row")
          .sort("id")
          .unique(subset=["indicator_id", "unit_id", "period"], keep="last"))
    df = df.select(
        pl.col("indicator_id").replace_strict(ind_codes, return_dtype=pl.String)
        .alias("indicator"),
        pl.col("unit_id").replace_strict(unit_codes, return_dtype=pl.String).alias("unit"),
        "period", "value", *(["recorded_at"] if with_vintage else []), "batch_id",
    )
    return df.sort("indicator", "unit", "period") if ordered else df


def _codes(conn: Connection, table) -> dict[int, str]:
    return {r.id: r.code for r in conn.execute(select(table.c.id, table.c.code))}


def history(conn: Connection, indicator: str, unit: str, period: str) -> list[dict[str, Any]]:
    """Every vintage of one value, oldest first, with the batch that brought it."""
    o, b = s.observations, s.batches
    q = (select(o.c.value, o.c.recorded_at, o.c.batch_id, b.c.submitter, b.c.reason, b.c.source)
         .join(b, b.c.id == o.c.batch_id)
         .join(s.indicators, s.indicators.c.id == o.c.indicator_id)
         .join(s.units, s.units.c.id == o.c.unit_id)
         .where(s.indicators.c.code == indicator, s.units.c.code == unit, o.c.period == period)
         .order_by(o.c.recorded_at, o.c.id))
    return [dict(r) for r in conn.execute(q).mappings()]


def data_as_of(conn: Connection, as_of: datetime | None = None) -> datetime | None:
    """The time of the newest observation known at ``as_of``: the vintage a view rests on."""
    q = select(func.max(s.observations.c.recorded_at))
    if as_of is not None:
        q = q.where(s.observations.c.recorded_at <= as_of)
    return conn.execute(q).scalar()


def list_batches(conn: Connection, limit: int = 50) -> list[dict[str, Any]]:
    q = select(s.batches).order_by(s.batches.c.id.desc()).limit(limit)
    return [dict(r) for r in conn.execute(q).mappings()]
