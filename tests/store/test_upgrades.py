"""Upgrading a database made by an earlier version (issue #20): for every earlier schema
revision, a database is built at that revision by the migrations themselves, filled with
rows in every table, then upgraded to the newest schema; every value must still be there
and "as known at" a moment between two batches must read what was known then.

The revisions come from the migration scripts, so a new revision is tested from the day it
is added. The rows are made from each table's reflected columns (a value per type, the
foreign keys pointing at the parent's rows), so a new table is filled too; the
observations and their batches are written by hand, as two vintages of one key, for the
as-of reading.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from stocktake.store.db import _alembic_config, current_revision, head_revision, open_engine
from stocktake.store.observations import latest


def earlier_revisions() -> list[str]:
    """Every revision but the newest, oldest first."""
    script = ScriptDirectory.from_config(_alembic_config())
    walked = [r.revision for r in script.walk_revisions()]  # newest first
    return list(reversed(walked))[:-1]


# Columns a migration removed on purpose, and why: a value there may not survive.
DROPPED = {
    ("observations", "id"): "0006: the key (indicator, unit, period, batch) is the table",
    ("observations", "recorded_at"): "0006: a vintage's time is its batch's recorded_at",
}

T1, T2 = datetime(2024, 3, 1, 9, 0), datetime(2024, 3, 8, 9, 0)  # the two batches
BETWEEN = datetime(2024, 3, 4, 12, 0)
ROWS = 2  # rows per table (ids 1 and 2; the foreign keys point at the same index)


def _value(column: sa.Column, i: int) -> Any:
    t = column.type
    if isinstance(t, sa.Boolean):
        return i % 2 == 0
    if isinstance(t, sa.Integer):
        return i
    if isinstance(t, sa.Float | sa.Numeric):
        return i + 0.25
    if isinstance(t, sa.DateTime):
        return datetime(2024, 1, i, 12, 30)
    if isinstance(t, sa.Date):
        return date(2024, 1, i)
    if isinstance(t, sa.JSON):
        return {"column": column.name, "n": i, "list": [i, "x"]}
    text = f"{i}-{column.name}"
    length = getattr(t, "length", None)
    return text[:length] if length else text


def _fill(conn: sa.Connection, meta: sa.MetaData) -> dict[str, list[dict[str, Any]]]:
    written: dict[str, list[dict[str, Any]]] = {}
    for table in meta.sorted_tables:
        if table.name == "alembic_version":
            continue
        if table.name == "observations":
            rows = _observations(table)
        else:
            rows = []
            for i in range(1, ROWS + 1):
                row = {c.name: _value(c, i) for c in table.columns}
                for fk in table.foreign_keys:
                    parent = written.get(fk.column.table.name)
                    if parent:
                        row[fk.parent.name] = parent[i - 1][fk.column.name]
                if table.name == "batches":
                    row["recorded_at"] = (T1, T2)[i - 1]
                if table.name == "actions" and "review" in table.columns:
                    row["review"] = None  # from a stocktake, not a review (0015's check)
                rows.append(row)
        conn.execute(table.insert(), rows)
        written[table.name] = rows
    return written


def _observations(table: sa.Table) -> list[dict[str, Any]]:
    """Key (1, 1, 2024-01): 10.0 in batch 1, then 20.0 in batch 2; key (2, 2, 2024-02): 5.0
    in batch 1 only."""
    cells = [(1, 1, "2024-01", 1, 10.0, T1), (1, 1, "2024-01", 2, 20.0, T2),
             (2, 2, "2024-02", 1, 5.0, T1)]
    rows = []
    for n, (ind, unit, period, batch, value, at) in enumerate(cells, start=1):
        row = {"indicator_id": ind, "unit_id": unit, "period": period, "batch_id": batch,
               "value": value, "id": n, "recorded_at": at}
        rows.append({k: v for k, v in row.items() if k in table.columns})
    return rows


def _migrate(engine: sa.Engine, to: str) -> None:
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, to)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return b is not None and a is not None and abs(float(a) - float(b)) < 1e-12
    return a == b


@pytest.mark.parametrize("revision", earlier_revisions())
def test_an_upgrade_keeps_every_value_and_every_as_of_view(db_url, revision):
    old = open_engine(db_url, migrate=False)
    _migrate(old, revision)
    meta = sa.MetaData()
    meta.reflect(old)
    with old.begin() as conn:
        written = _fill(conn, meta)
    old.dispose()

    engine = open_engine(db_url)  # what `stocktake db upgrade` runs
    assert current_revision(engine) == head_revision()
    now = sa.MetaData()
    now.reflect(engine)
    lost = []
    with engine.connect() as conn:
        for name, rows in written.items():
            assert name in now.tables, f"table {name} was dropped by an upgrade from {revision}"
            table = now.tables[name]
            kept = [c for c in rows[0] if c in table.columns]
            lost += [(name, c) for c in rows[0] if c not in table.columns
                     and (name, c) not in DROPPED]
            key = [table.c[c] for c in kept if table.c[c].primary_key] or [table.c[kept[0]]]
            found = [dict(r._mapping) for r in conn.execute(
                sa.select(*[table.c[c] for c in kept]).order_by(*key))]
            wanted = sorted(rows, key=lambda r: tuple(r[c.name] for c in key))
            assert len(found) == len(wanted), name
            for got, want in zip(found, wanted, strict=True):
                for c in kept:
                    assert _same(got[c], want[c]), (name, c, got[c], want[c])
        assert not lost, f"columns lost by the upgrade from {revision}: {lost}"

        indicator = {r["id"]: r["code"] for r in written["indicators"]}
        unit = {r["id"]: r["code"] for r in written["units"]}
        then = latest(conn, as_of=BETWEEN, with_vintage=True)
        assert then.select("indicator", "unit", "period", "value", "recorded_at").rows() == [
            (indicator[1], unit[1], "2024-01", 10.0, T1),
            (indicator[2], unit[2], "2024-02", 5.0, T1)]
        newest = latest(conn)
        assert newest.select("indicator", "unit", "period", "value").rows() == [
            (indicator[1], unit[1], "2024-01", 20.0), (indicator[2], unit[2], "2024-02", 5.0)]
    engine.dispose()
