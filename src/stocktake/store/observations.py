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

OUTPUT_COLUMNS = ["indicator", "unit", "period", "value", "recorded_at", "batch_id"]


@dataclass
class BatchCounts:
    added: int  # first value for its key
    revised: int  # a new vintage of a known key
    unchanged: int  # same as the value already known: nothing stored


def find_batch_by_checksum(conn: Connection, checksum: str) -> dict[str, Any] | None:
    row = conn.execute(select(s.batches).where(s.batches.c.checksum == checksum)
                       .order_by(s.batches.c.id).limit(1)).mappings().first()
    return dict(row) if row else None


def record_batch(conn: Connection, rows: pl.DataFrame, *, checksum: str, submitter: str,
                 reason: str, source: str, format: str,
                 recorded_at: datetime) -> tuple[int, BatchCounts]:
    """Store one validated batch; ``rows`` has indicator_id, unit_id, period, value.

    Call inside a transaction: the batch row and its observations commit together.
    """
    batch_id = conn.execute(s.batches.insert().values(
        checksum=checksum, submitter=submitter, reason=reason, source=source, format=format,
        recorded_at=recorded_at, rows=rows.height, added=0, revised=0, unchanged=0,
    )).inserted_primary_key[0]
    current = current_values(conn, rows)
    merged = rows.join(current, on=["indicator_id", "unit_id", "period"], how="left")
    new = merged.filter(pl.col("current").is_null() | (pl.col("current") != pl.col("value")))
    counts = BatchCounts(
        added=int(new["current"].is_null().sum()),
        revised=int(new["current"].is_not_null().sum()),
        unchanged=rows.height - new.height,
    )
    if new.height:
        conn.execute(s.observations.insert(), new.select(
            "indicator_id", "unit_id", "period", "value",
        ).with_columns(
            pl.lit(batch_id).alias("batch_id"), pl.lit(recorded_at).alias("recorded_at"),
        ).to_dicts())
    conn.execute(s.batches.update().where(s.batches.c.id == batch_id).values(
        added=counts.added, revised=counts.revised, unchanged=counts.unchanged))
    return batch_id, counts


def current_values(conn: Connection, keys: pl.DataFrame) -> pl.DataFrame:
    """The newest stored value for each (indicator_id, unit_id, period) among ``keys``.

    The keys go into a temporary table and each is looked up through the observations
    index, so the cost grows with the batch, not with the history already stored.
    """
    schema = {"indicator_id": pl.Int64, "unit_id": pl.Int64, "period": pl.String,
              "current": pl.Float64}
    if keys.height == 0:
        return pl.DataFrame(schema=schema)
    pg = conn.dialect.name == "postgresql"
    conn.exec_driver_sql(
        "CREATE TEMPORARY TABLE IF NOT EXISTS stocktake_incoming "
        "(indicator_id INTEGER, unit_id INTEGER, period VARCHAR(10))"
        + (" ON COMMIT DROP" if pg else ""))
    conn.exec_driver_sql("DELETE FROM stocktake_incoming")
    rows = keys.select("indicator_id", "unit_id", "period").unique().rows()
    placeholder = "%s" if pg else "?"
    conn.exec_driver_sql(
        f"INSERT INTO stocktake_incoming VALUES ({placeholder}, {placeholder}, {placeholder})",
        rows)
    found = conn.exec_driver_sql(
        "SELECT i.indicator_id, i.unit_id, i.period, ("
        " SELECT o.value FROM observations o WHERE o.indicator_id = i.indicator_id"
        " AND o.unit_id = i.unit_id AND o.period = i.period"
        " ORDER BY o.recorded_at DESC, o.id DESC LIMIT 1) AS current"
        " FROM stocktake_incoming i").all()
    conn.exec_driver_sql("DELETE FROM stocktake_incoming")
    return pl.DataFrame(found, schema=schema, orient="row").filter(
        pl.col("current").is_not_null())


def latest(conn: Connection, *, as_of: datetime | None = None,
           indicators: list[str] | None = None, units: list[str] | None = None) -> pl.DataFrame:
    """The value of every key as known at ``as_of`` (default: now), with its vintage."""
    o, i, u = s.observations, s.indicators, s.units
    conditions = []
    if as_of is not None:
        conditions.append(o.c.recorded_at <= as_of)
    if indicators is not None:
        conditions.append(i.c.code.in_(indicators))
    if units is not None:
        conditions.append(u.c.code.in_(units))
    ranked = (
        select(i.c.code.label("indicator"), u.c.code.label("unit"), o.c.period, o.c.value,
               o.c.recorded_at, o.c.batch_id,
               func.row_number().over(
                   partition_by=(o.c.indicator_id, o.c.unit_id, o.c.period),
                   order_by=(o.c.recorded_at.desc(), o.c.id.desc())).label("rn"))
        .join(i, i.c.id == o.c.indicator_id)
        .join(u, u.c.id == o.c.unit_id)
        .where(and_(True, *conditions))
    ).subquery()
    rows = conn.execute(
        select(*[sub_col for sub_col in ranked.c if sub_col.name != "rn"])
        .where(ranked.c.rn == 1)
        .order_by(ranked.c.indicator, ranked.c.unit, ranked.c.period)
    ).all()
    return pl.DataFrame(rows, schema={
        "indicator": pl.String, "unit": pl.String, "period": pl.String, "value": pl.Float64,
        "recorded_at": pl.Datetime("us"), "batch_id": pl.Int64}, orient="row")


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
