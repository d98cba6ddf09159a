"""The lineage of computed batches (schema_lineage.batch_lineage): written with the batch,
read back by ``stocktake batches --lineage``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from .schema_lineage import batch_lineage as t


def record_lineage(conn: Connection, batch_id: int, entries: list[dict[str, Any]]) -> None:
    """One row per indicator of the batch: indicator, engine, definition, source, sql,
    snapshot."""
    conn.execute(t.insert(), [
        {"batch_id": batch_id, "indicator": e["indicator"], "engine": e["engine"],
         "definition": e["definition"], "source": e["source"], "query": e["sql"],
         "snapshot": e["snapshot"]} for e in entries])


def batch_lineage(conn: Connection, batch_id: int) -> list[dict[str, Any]]:
    """The lineage of one batch, by indicator (empty for a batch that was not computed)."""
    rows = conn.execute(select(t).where(t.c.batch_id == batch_id).order_by(t.c.indicator))
    return [{"indicator": r.indicator, "engine": r.engine, "definition": r.definition,
             "source": r.source, "sql": r.query, "snapshot": r.snapshot} for r in rows]
