"""Observations: append-only values with vintages, and the batches that brought them.

A value is never updated or deleted. Submitting a different value for the same
(indicator, unit, period) adds a row under the new batch; the value "as of" T is the row
of the newest batch recorded at or before T. Identical resubmissions add nothing.

Batches are recorded in time order (record_batch refuses a clock that goes back), so batch
ids and times rise together: "known at T" is "batch id up to the last batch recorded by
T", and a vintage's time is its batch's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    and_,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by

from ..errors import Conflict
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


def new_vintages(rows: pl.DataFrame) -> tuple[pl.DataFrame, BatchCounts]:
    """Compare a batch with what is stored: ``rows`` has indicator_id, unit_id, period, value
    and ``current`` (the stored value of the key; null for a new key). Returns the rows to
    store (new keys and changed values; without ``current``) and the counts."""
    current, value = pl.col("current"), pl.col("value")
    added, revised = rows.select(current.is_null().sum().alias("added"),
                                 (current != value).sum().alias("revised")).row(0)
    counts = BatchCounts(int(added), int(revised), rows.height - int(added) - int(revised))
    if counts.unchanged:
        rows = rows.filter(current.is_null() | (current != value))
    return rows.drop("current"), counts


def record_batch(conn: Connection, vintages: pl.DataFrame, counts: BatchCounts, *,
                 checksum: str, submitter: str, reason: str, source: str, format: str,
                 recorded_at: datetime, rows: int, scope: str | None = None,
                 status: str = "accepted", warnings: int = 0, quarantined: int = 0,
                 backfill: bool = False, published: date | None = None) -> int:
    """Store a batch of ``rows`` rows read: its row in ``batches``, and ``vintages``
    (indicator_id, unit_id, period, value: see new_vintages) in ``observations``.
    ``backfill``: history loaded after the fact, published by its source on ``published``
    where known (timeliness is then not judged by ``recorded_at``).

    Call inside a transaction: the batch row and its observations commit together.
    Batches must be recorded in time order, so the newest vintage is the highest batch's.
    """
    lock_batches(conn)
    newest = conn.execute(select(func.max(s.batches.c.recorded_at))).scalar()
    if newest is not None and recorded_at < newest:
        raise Conflict(f"cannot record a batch at {recorded_at:%Y-%m-%d %H:%M:%S}: batch "
                       f"recorded at {newest:%Y-%m-%d %H:%M:%S} is newer (is the clock "
                       "wrong?)")
    batch_id = conn.execute(s.batches.insert().values(
        checksum=checksum, submitter=submitter, reason=reason, source=source, format=format,
        recorded_at=recorded_at, rows=rows, added=counts.added, revised=counts.revised,
        unchanged=counts.unchanged, status=status, scope=scope, warnings=warnings,
        quarantined=quarantined, backfill=backfill, published=published,
    )).inserted_primary_key[0]
    if vintages.height:
        new = vintages.select("indicator_id", "unit_id", "period", "value")
        _check_ids(conn, new)
        # In the table's key order, so its B-tree grows at the end of each key's range
        # instead of everywhere; a slice at a time, gathered by the sorting order rather
        # than sorted whole.
        order = _index_order(new)
        ordered = (new[order[i:i + INSERT_SLICE]] for i in range(0, new.height, INSERT_SLICE))
        if conn.dialect.name == "postgresql":
            _copy_observations(conn, ordered, batch_id)
        else:
            _insert_observations(conn, ordered, batch_id)
    return batch_id


def lock_batches(conn: Connection) -> None:
    """Record one batch at a time, so batch ids and times rise together: another
    transaction recording a batch waits until this one ends. PostgreSQL: a table lock
    that readers pass; SQLite: already so, a writing transaction holding the only write
    lock (store.db.writing)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE batches IN SHARE ROW EXCLUSIVE MODE")


def _check_ids(conn: Connection, rows: pl.DataFrame) -> None:
    """What foreign keys would hold, once per batch rather than for every row (the
    observations table declares none: see schema.py): every indicator and unit id is in
    the model's tables."""
    for column, table in (("indicator_id", s.indicators), ("unit_id", s.units)):
        known = set(conn.execute(select(table.c.id)).scalars())
        unknown = sorted(set(rows[column].unique().to_list()) - known)
        if unknown:
            raise ValueError(f"cannot store observations: {column} {unknown[:5]} not in "
                             f"table {table.name}")


def _index_order(rows: pl.DataFrame) -> pl.Series:
    """The positions of ``rows`` in the order of (indicator_id, unit_id, period): one
    integer key per row when the three fit in one, which sorts in a tenth of the time of
    three columns (a million rows: 0.1 s of CPU against 0.9 s); 32 bits when they fit,
    which halves the sort's memory (ten million rows: ~100 MB)."""
    codes = sorted(rows["period"].unique().to_list())  # code points: SQLite's text order
    units = int(rows["unit_id"].max()) + 1
    keys = (int(rows["indicator_id"].max()) + 1) * units * len(codes)
    if min(rows["indicator_id"].min(), rows["unit_id"].min()) < 0 or keys >= 1 << 63:
        return rows.select(pl.arg_sort_by("indicator_id", "unit_id", "period")).to_series()
    width = pl.Int32 if keys < 1 << 31 else pl.Int64
    rank = {code: n for n, code in enumerate(codes)}
    key = ((pl.col("indicator_id").cast(width) * units + pl.col("unit_id").cast(width))
           * len(codes) + pl.col("period").replace_strict(rank, return_dtype=width))
    return rows.select(key.arg_sort()).to_series()


INSERT_SLICE = 100_000  # rows turned into Python values at a time
_ROWS_PER_STATEMENT = 250  # rows in one INSERT: one statement step for many rows
BULK_CACHE_KIB = 65536  # SQLite's page cache while storing a batch (default: 2,000 KiB)


def _insert_observations(conn: Connection, slices: Iterable[pl.DataFrame], batch_id: int
                         ) -> None:
    """INSERT with many rows per statement: against one row per statement (executemany)
    it halves the time of a large batch in SQLite, the rest being the B-tree's own work."""
    def statement(n: int) -> str:
        return ("INSERT INTO observations (indicator_id, unit_id, period, batch_id, value) "
                "SELECT column1, column2, column3, ?, column4 FROM (VALUES "
                + ", ".join(["(?, ?, ?, ?)"] * n) + ")")

    full = statement(_ROWS_PER_STATEMENT)
    cursor = conn.connection.dbapi_connection.cursor()
    # A larger page cache for this bulk write only (it is set back after): fewer pages
    # written to the WAL twice, spilled when the cache fills and then changed again (three
    # million rows: a sixth less WAL written).
    cache = cursor.execute("PRAGMA cache_size").fetchone()[0]
    if BULK_CACHE_KIB:
        cursor.execute(f"PRAGMA cache_size=-{int(BULK_CACHE_KIB)}")
    try:
        for part in slices:
            flat: list[Any] = [None] * (4 * part.height)
            for i, column in enumerate(part.get_columns()):
                flat[i::4] = column.to_list()
            step = 4 * _ROWS_PER_STATEMENT
            whole = len(flat) // step * step
            cursor.executemany(full, ([batch_id, *flat[i:i + step]]
                                      for i in range(0, whole, step)))
            if whole < len(flat):
                cursor.execute(statement((len(flat) - whole) // 4),
                               [batch_id, *flat[whole:]])
    finally:
        try:
            cursor.execute(f"PRAGMA cache_size={int(cache)}")
        finally:
            cursor.close()


def _copy_observations(conn: Connection, slices: Iterable[pl.DataFrame], batch_id: int
                       ) -> None:
    """PostgreSQL's COPY, fed the rows as CSV text a slice at a time."""
    columns = "indicator_id, unit_id, period, value, batch_id"
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        with cursor.copy(f"COPY observations ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
            for part in slices:
                copy.write(part.with_columns(batch_id=pl.lit(batch_id))
                           .write_csv(include_header=False, float_precision=None)
                           .encode())
    finally:
        cursor.close()


def record_findings(conn: Connection, batch_id: int, findings: list, checked: pl.DataFrame
                    ) -> None:
    """Keep the findings of an accepted batch for follow-up (outliers, quarantined rows).
    ``checked`` gives a row's indicator, unit and period (canonical) by its row number."""
    if not findings:
        return
    noted = [f.row for f in findings if f.row is not None]
    keys = {r: (i, u, p) for r, i, u, p in checked.filter(pl.col("row").is_in(noted))
            .select("row", "indicator", "unit", "period").iter_rows()}
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
    """The value of every key as known at ``as_of`` (default: now), with its vintage
    (``recorded_at``, its batch's time) when ``with_vintage``: latest_ids with the ids
    turned into codes. Period codes of one type sort as text; a period range may also let
    in codes of other types, which callers ignore.
    """
    ind_codes = _codes(conn, s.indicators)
    unit_codes = _codes(conn, s.units)
    df = latest_ids(conn, as_of=as_of, indicators=indicators, units=units,
                    period_from=period_from, period_to=period_to, ind_codes=ind_codes,
                    unit_codes=unit_codes)
    vintage = []
    if with_vintage:
        times = batch_times(conn, df["batch_id"].unique().to_list())
        vintage = [as_times("batch_id", times).alias("recorded_at")]
    df = df.select(
        pl.col("indicator_id").replace_strict(ind_codes, return_dtype=pl.String)
        .alias("indicator"),
        pl.col("unit_id").replace_strict(unit_codes, return_dtype=pl.String).alias("unit"),
        "period", "value", *vintage, "batch_id",
    )
    return df.sort("indicator", "unit", "period") if ordered else df


def latest_ids(conn: Connection, *, as_of: datetime | None = None,
               indicators: list[str] | None = None, units: list[str] | None = None,
               period_from: str | None = None, period_to: str | None = None,
               ind_codes: dict[int, str] | None = None,
               unit_codes: dict[int, str] | None = None) -> pl.DataFrame:
    """The newest vintage of every key known at ``as_of`` as indicator_id, unit_id,
    period, value, batch_id, sorted by the key (indicator_id, unit_id, period): for readers
    that work on ids, which saves turning every row's ids into codes and back.
    ``ind_codes``/``unit_codes`` (id -> code) when the caller has read them already.

    The newest vintage of a key is the one of the highest batch: no window function in
    the database (on SQLite no sort either, just a range scan of the table in key order),
    the rows read a series at a time (read_vintages). Codes are turned into ids first, so
    the filters run on the key.
    """
    o = s.observations
    conditions = []
    if as_of is not None:
        conditions.append(known_at(conn, as_of, o.c.batch_id))
    if indicators is not None:
        wanted = set(indicators)
        ids = ind_codes if ind_codes is not None else _codes(conn, s.indicators)
        conditions.append(o.c.indicator_id.in_([i for i, c in ids.items() if c in wanted]))
    if units is not None:
        wanted = set(units)
        ids = unit_codes if unit_codes is not None else _codes(conn, s.units)
        conditions.append(o.c.unit_id.in_([i for i, c in ids.items() if c in wanted]))
    if period_from is not None:
        conditions.append(o.c.period >= period_from)
    if period_to is not None:
        conditions.append(o.c.period <= period_to)
    return newest_vintages(read_vintages(conn, and_(True, *conditions)))


def read_vintages(conn: Connection, where: ColumnElement[bool]) -> pl.DataFrame:
    """Every vintage of the observations matching ``where`` (a condition on their columns)
    as indicator_id, unit_id, period, value, batch_id, in key order, read a series at a
    time (_read_by_series; else row by row, read_frame, in the database's order)."""
    df = _read_by_series(conn, where)
    if df is None:
        o = s.observations
        df = read_frame(conn, select(o.c.indicator_id, o.c.unit_id, o.c.period, o.c.value,
                                     o.c.batch_id).where(where))
    return df


_KEY = ("indicator_id", "unit_id", "period")


def newest_vintages(df: pl.DataFrame) -> pl.DataFrame:
    """The row of the highest batch of each key, sorted by the key. SQLite reads the table
    in its key order, (key, batch_id): then the newest vintage is the last row of each run
    of one key, found by comparing each row with the next, with no sort and no hashing.
    Rows in another order (PostgreSQL returns them as stored, batch after batch) are
    sorted first."""
    ind, unit, period = (pl.col(c) for c in _KEY)
    same_key = (ind == ind.shift(-1)) & (unit == unit.shift(-1)) & (period == period.shift(-1))
    if not _in_key_order(df):
        df = df.sort(*_KEY, "batch_id")
    return df.filter(same_key.fill_null(False).not_())


def _in_key_order(df: pl.DataFrame) -> bool:
    """Whether the rows rise strictly in the table's key order (indicator_id, unit_id,
    period, batch_id), each row against the next."""
    ind, unit, period, batch = (pl.col(c) for c in (*_KEY, "batch_id"))
    nxt = [c.shift(-1) for c in (ind, unit, period, batch)]
    return df.select(
        ((ind < nxt[0]) | ((ind == nxt[0]) & ((unit < nxt[1]) | ((unit == nxt[1]) & (
            (period < nxt[2]) | ((period == nxt[2]) & (batch < nxt[3])))))))
        .fill_null(True).all()).item()


_SEPARATOR = ","  # between the texts of one series' rows; in no period code or number
# written into the statement: a bound separator costs SQLite a third more time per row
_JOINED_BY = literal_column(f"'{_SEPARATOR}'")


def _read_by_series(conn: Connection, where: ColumnElement[bool]) -> pl.DataFrame | None:
    """The observations matching ``where`` in key order (read_frame's columns), read as one
    row per series (indicator, unit) holding its periods and batch ids joined into text
    by the database: the driver makes a Python tuple and an object for every cell it
    returns, which was most of the read (the demo's 185,000 rows on SQLite: 151 -> 100 ms
    of CPU). The values are joined too where the database prints a float exactly
    (PostgreSQL: _floats_print_exactly; 116 -> 35 ms); SQLite prints them rounded, so
    they come alone, a row each in key order, from a second statement on the same
    transaction's snapshot.

    None (read_frame then) if the joined text does not split into the series' counts,
    a value does not read back as a number, or the rows do not rise in key order: the
    values would not line up with their keys."""
    o = s.observations
    sqlite = conn.dialect.name == "sqlite"
    names = ["period", "batch_id"] if sqlite else ["period", "batch_id", "value"]
    if not sqlite and not _floats_print_exactly(conn):
        return None
    series = (select(o.c.indicator_id, o.c.unit_id, func.count(),
                     *[_joined(conn, o.c[name]) for name in names])
              .where(where).group_by(o.c.indicator_id, o.c.unit_id)
              .order_by(o.c.indicator_id, o.c.unit_id))
    joined = pl.DataFrame(conn.execute(series).all(), orient="row", schema={
        "indicator_id": pl.Int64, "unit_id": pl.Int64, "n": pl.Int64,
        **dict.fromkeys(names, pl.String)})
    joined = joined.with_columns(pl.col(names).str.split(_SEPARATOR))
    counts = joined.select(pl.all_horizontal(pl.col(name).list.len() == pl.col("n")
                                             for name in names)).to_series()
    if not counts.all():
        return None
    rows = joined.explode(names)
    if sqlite:
        cursor = conn.execute(select(o.c.value).where(where)
                              .order_by(*_KEY, o.c.batch_id)).cursor
        values = pl.Series("value", np.fromiter((row[0] for row in cursor), dtype="f8",
                                                count=rows.height), dtype=pl.Float64)
        cursor.close()
    else:
        values = rows["value"].cast(pl.Float64, strict=False)
        if values.null_count():
            return None
    df = rows.select("indicator_id", "unit_id", "period", values.alias("value"),
                     pl.col("batch_id").cast(pl.Int64))
    return df if _in_key_order(df) else None


def _joined(conn: Connection, column: ColumnElement) -> ColumnElement[str]:
    """A column's values in one series as text joined by _SEPARATOR, in key order. SQLite's
    group_concat joins the rows in the order it reads them, the table's key order;
    PostgreSQL's string_agg is given the order, the periods compared byte by byte as
    SQLite and polars compare them (not in the database's language order)."""
    if conn.dialect.name == "sqlite":
        return func.group_concat(column, _JOINED_BY)
    o = s.observations
    return func.string_agg(cast(column, String), aggregate_order_by(
        _JOINED_BY, o.c.period.collate("C"), o.c.batch_id))


def _floats_print_exactly(conn: Connection) -> bool:
    """Whether PostgreSQL prints a float as the shortest text that reads back as the same
    float: from version 12 on, unless extra_float_digits is 0 or below (the old format,
    rounded to 15 digits)."""
    version = conn.dialect.server_version_info or (0,)
    digits = conn.exec_driver_sql("SHOW extra_float_digits").scalar()
    return version >= (12,) and int(digits) > 0


READ_SLICE = 100_000  # rows read from the database at a time


def read_frame(conn: Connection, query: Select) -> pl.DataFrame:
    """The rows of a query on observations' columns (indicator_id, unit_id, period, value,
    batch_id: any of them, in any order) as a frame. Ids, codes and floats need no
    conversion: they are read straight off the driver's cursor (much faster for the many
    small reads a submission makes), a slice at a time, since a list of every row as
    Python tuples would cost ~200 bytes a row. Each slice goes into one numpy record array
    (the codes as references to the driver's strings), whose fields become the columns:
    a third of the time polars takes to build a frame from row tuples."""
    types = {"indicator_id": (pl.Int64, "i8"), "unit_id": (pl.Int64, "i8"),
             "period": (pl.String, "O"), "value": (pl.Float64, "f8"),
             "batch_id": (pl.Int64, "i8")}
    names = [c.name for c in query.selected_columns]
    schema = {n: types[n][0] for n in names}
    record = np.dtype([(n, types[n][1]) for n in names])
    result = conn.execute(query)
    parts = [pl.DataFrame(schema=schema)]
    while rows := result.cursor.fetchmany(READ_SLICE):
        cells = np.fromiter(rows, dtype=record, count=len(rows))
        del rows
        parts.append(pl.DataFrame([
            pl.Series(n, cells[n].tolist() if schema[n] == pl.String else cells[n],
                      dtype=schema[n]) for n in names]))
    result.close()
    return pl.concat(parts)


def known_at(conn: Connection, as_of: datetime, batch_id: ColumnElement[int]
             ) -> ColumnElement[bool]:
    """The condition "brought by a batch recorded at or before ``as_of``" on a column of
    batch ids. Batches are recorded one at a time in time order, so that is "id up to the
    last batch recorded by then"; where older data has a later batch under a lower id
    (PostgreSQL before one batch was recorded at a time), the batches are named."""
    b = s.batches
    last = conn.execute(select(func.max(b.c.id)).where(b.c.recorded_at <= as_of)).scalar()
    first_later = conn.execute(select(func.min(b.c.id)).where(b.c.recorded_at > as_of)).scalar()
    if last is None:
        return batch_id < 0  # nothing was known yet
    if first_later is None or first_later > last:
        return batch_id <= last
    return batch_id.in_(select(b.c.id).where(b.c.recorded_at <= as_of))


def batch_times(conn: Connection, ids: Iterable[int]) -> dict[int, datetime]:
    """When each batch was recorded: the time of the vintages it brought."""
    b, ids = s.batches, sorted(set(ids))
    times: dict[int, datetime] = {}
    for start in range(0, len(ids), 5000):  # bounded IN lists
        times.update(conn.execute(select(b.c.id, b.c.recorded_at)
                                  .where(b.c.id.in_(ids[start:start + 5000]))).all())
    return times


def as_times(column: str, times: dict[int, datetime]) -> pl.Expr:
    """A column of batch ids as their times (batch_times); a time column even when there
    are none (polars would keep the ids' integer type for an empty mapping)."""
    if not times:
        return pl.lit(None, dtype=pl.Datetime("us"))
    return pl.col(column).replace_strict(times, return_dtype=pl.Datetime("us"))


def _codes(conn: Connection, table) -> dict[int, str]:
    return {r.id: r.code for r in conn.execute(select(table.c.id, table.c.code))}


def history(conn: Connection, indicator: str, unit: str, period: str) -> list[dict[str, Any]]:
    """Every vintage of one value, oldest first, with the batch that brought it."""
    o, b = s.observations, s.batches
    q = (select(o.c.value, b.c.recorded_at, o.c.batch_id, b.c.submitter, b.c.reason,
                b.c.source)
         .join(b, b.c.id == o.c.batch_id)
         .join(s.indicators, s.indicators.c.id == o.c.indicator_id)
         .join(s.units, s.units.c.id == o.c.unit_id)
         .where(s.indicators.c.code == indicator, s.units.c.code == unit, o.c.period == period)
         .order_by(o.c.batch_id))
    return [dict(r) for r in conn.execute(q).mappings()]


def data_as_of(conn: Connection, as_of: datetime | None = None) -> datetime | None:
    """The time of the newest observation known at ``as_of``: the vintage a view rests on.
    That is the time of the newest batch that stored a value (one that only repeated
    known values stored none)."""
    b = s.batches
    q = select(func.max(b.c.recorded_at)).where(b.c.added + b.c.revised > 0)
    if as_of is not None:
        q = q.where(b.c.recorded_at <= as_of)
    return conn.execute(q).scalar()


def list_batches(conn: Connection, limit: int = 50) -> list[dict[str, Any]]:
    q = select(s.batches).order_by(s.batches.c.id.desc()).limit(limit)
    return [dict(r) for r in conn.execute(q).mappings()]
