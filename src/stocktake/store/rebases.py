"""Rebases of SPC limits accepted by an analyst. Events are appended, never edited: a rebase
is in force at moment T while its newest event recorded at or before T is an acceptance, so
a reading ``--as-of`` a moment before the acceptance does not use it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from . import schema as s


@dataclass(frozen=True)
class Rebase:
    indicator: str
    unit: str
    period: str
    reason: str
    by: str
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"indicator": self.indicator, "unit": self.unit, "period": self.period,
                "reason": self.reason, "accepted_by": self.by,
                "accepted_at": self.at.isoformat(timespec="seconds")}


def record(conn: Connection, indicator: str, unit: str, period: str, action: str, *,
           reason: str, by: str, at: datetime) -> None:
    if action not in ("accept", "remove"):
        raise ValueError(f"rebase action {action!r} is neither 'accept' nor 'remove'")
    conn.execute(s.spc_rebases.insert().values(indicator=indicator, unit=unit, period=period,
                                               action=action, reason=reason, by=by, at=at))


def in_force(conn: Connection, indicators: list[str] | None = None,
             as_of: datetime | None = None) -> dict[tuple[str, str], list[Rebase]]:
    """(indicator, unit) -> its rebases in force at ``as_of`` (default: now), by period."""
    r = s.spc_rebases
    q = select(r).order_by(r.c.id)
    if indicators is not None:
        q = q.where(r.c.indicator.in_(indicators))
    if as_of is not None:
        q = q.where(r.c.at <= as_of)
    newest: dict[tuple[str, str, str], Any] = {}
    for row in conn.execute(q).mappings():
        newest[(row["indicator"], row["unit"], row["period"])] = row
    out: dict[tuple[str, str], list[Rebase]] = {}
    for (ind, unit, period), row in newest.items():
        if row["action"] == "accept":
            out.setdefault((ind, unit), []).append(
                Rebase(ind, unit, period, row["reason"], row["by"], row["at"]))
    for rebases in out.values():
        rebases.sort(key=lambda x: x.period)
    return out


def events(conn: Connection, indicator: str, unit: str) -> list[dict[str, Any]]:
    r = s.spc_rebases
    q = (select(r).where(r.c.indicator == indicator, r.c.unit == unit).order_by(r.c.id))
    return [dict(row) for row in conn.execute(q).mappings()]
