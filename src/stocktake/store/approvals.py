"""Approval and locking of a unit's period. Events are appended, never edited: the
period is locked while its newest event is an approval."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from ..model.entities import DeliveryModel
from . import schema as s


@dataclass(frozen=True)
class Lock:
    unit: str
    period: str
    at: datetime
    by: str
    reason: str


def record(conn: Connection, unit: str, period: str, action: str, *, by: str, reason: str,
           at: datetime) -> None:
    conn.execute(s.approvals.insert().values(unit=unit, period=period, action=action, at=at,
                                             by=by, reason=reason))


def current_locks(conn: Connection) -> dict[tuple[str, str], Lock]:
    """Every (unit, period) whose newest approval event is an approval."""
    a = s.approvals
    newest = (select(a.c.unit, a.c.period, func.max(a.c.id).label("id"))
              .group_by(a.c.unit, a.c.period).subquery())
    rows = conn.execute(select(a).join(newest, newest.c.id == a.c.id)
                        .where(a.c.action == "approve")).mappings()
    return {(r["unit"], r["period"]): Lock(r["unit"], r["period"], r["at"], r["by"],
                                           r["reason"]) for r in rows}


def events(conn: Connection, unit: str | None = None) -> list[dict[str, Any]]:
    q = select(s.approvals).order_by(s.approvals.c.id)
    if unit is not None:
        q = q.where(s.approvals.c.unit == unit)
    return [dict(r) for r in conn.execute(q).mappings()]


def locking_unit(model: DeliveryModel, locks: dict[tuple[str, str], Lock], unit: str,
                 period: str) -> Lock | None:
    """The lock that covers (unit, period): on the unit itself or on a unit above it."""
    if unit not in model.units:
        return None
    for code in [unit, *[u.code for u in model.ancestors(unit)]]:
        lock = locks.get((code, period))
        if lock is not None:
            return lock
    return None
