"""The reviews of alerts (schema_alerts.alert_reviews): appended, never edited, read back as
they stood at a moment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from .schema_alerts import alert_reviews as r


def record(conn: Connection, *, alert: str, kind: str, unit: str, indicators: tuple[str, ...],
           start: str, status: str, note: str, by: str, at: datetime) -> None:
    conn.execute(r.insert().values(alert=alert, kind=kind, unit=unit,
                                   indicators=",".join(indicators), start=start,
                                   status=status, note=note, by=by, at=at))


def reviews(conn: Connection, alerts: list[str] | None = None,
            as_of: datetime | None = None) -> dict[str, list[dict[str, Any]]]:
    """alert id -> its reviews recorded at or before ``as_of`` (default: all), oldest
    first."""
    q = select(r).order_by(r.c.at, r.c.id)
    if alerts is not None:
        q = q.where(r.c.alert.in_(alerts))
    if as_of is not None:
        q = q.where(r.c.at <= as_of)
    out: dict[str, list[dict[str, Any]]] = {}
    for row in conn.execute(q).mappings():
        out.setdefault(row["alert"], []).append(dict(row))
    return out
