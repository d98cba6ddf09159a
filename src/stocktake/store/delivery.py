"""Queries for plans, chains, assessments, stocktakes and actions. Rows are appended, never
edited; every read takes ``as_of`` and sees only what was recorded at or before it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, func, select

from ..errors import Conflict
from . import schema as s

VERSIONED = {"plan": s.plan_versions, "chain": s.chain_versions}


def _check_clock(conn: Connection, table: Table, where: Any, at: datetime, what: str) -> None:
    # Versions and updates must be recorded in time order, so "newest" means the same thing
    # by number and by time, and an --as-of view never changes after the fact.
    newest = conn.execute(select(func.max(table.c.recorded_at)).where(where)).scalar()
    if newest is not None and at < newest:
        raise Conflict(f"cannot record {what} at {at:%Y-%m-%d %H:%M:%S}: one was already "
                       f"recorded later, at {newest:%Y-%m-%d %H:%M:%S}")


def add_version(conn: Connection, kind: str, priority: str, document: dict[str, Any], *,
                author: str, reason: str, at: datetime) -> int:
    """Append the next version of a priority's plan or chain; returns its number."""
    t = VERSIONED[kind]
    _check_clock(conn, t, t.c.priority == priority, at, f"a {kind} version")
    last = conn.execute(select(func.max(t.c.version)).where(t.c.priority == priority)).scalar()
    version = (last or 0) + 1
    conn.execute(t.insert().values(priority=priority, version=version, document=document,
                                   author=author, reason=reason, recorded_at=at))
    return version


def versions(conn: Connection, kind: str, priority: str,
             as_of: datetime | None = None) -> list[dict[str, Any]]:
    """Every version known at ``as_of``, oldest first, with its document."""
    t = VERSIONED[kind]
    q = select(t).where(t.c.priority == priority).order_by(t.c.version)
    if as_of is not None:
        q = q.where(t.c.recorded_at <= as_of)
    return [dict(r) for r in conn.execute(q).mappings()]


def add_assessment(conn: Connection, priority: str, *, round: str, assessed_on: str,
                   likelihood: str, document: dict[str, Any], by: str, at: datetime) -> int:
    t = s.assessments
    _check_clock(conn, t, t.c.priority == priority, at, "an assessment")
    return conn.execute(t.insert().values(
        priority=priority, round=round, assessed_on=assessed_on, likelihood=likelihood,
        document=document, recorded_by=by, recorded_at=at)).inserted_primary_key[0]


def assessments(conn: Connection, priority: str | None = None,
                as_of: datetime | None = None) -> list[dict[str, Any]]:
    """One row per priority and round (the newest recording of it), oldest round first."""
    t = s.assessments
    q = select(t).order_by(t.c.priority, t.c.assessed_on, t.c.id)
    if priority is not None:
        q = q.where(t.c.priority == priority)
    if as_of is not None:
        q = q.where(t.c.recorded_at <= as_of)
    newest: dict[tuple[str, str], dict[str, Any]] = {}
    for r in conn.execute(q).mappings():
        newest.pop((r["priority"], r["round"]), None)  # a re-recorded round moves to its date
        newest[(r["priority"], r["round"])] = dict(r)
    return sorted(newest.values(), key=lambda r: (r["priority"], r["assessed_on"], r["id"]))


def set_schedule(conn: Connection, priority: str, cadence: dict[str, Any], *, by: str,
                 at: datetime) -> None:
    t = s.stocktake_schedules
    _check_clock(conn, t, t.c.priority == priority, at, "a stocktake schedule")
    conn.execute(s.stocktake_schedules.insert().values(
        priority=priority, cadence=cadence, recorded_by=by, recorded_at=at))


def schedules(conn: Connection, as_of: datetime | None = None) -> dict[str, dict[str, Any]]:
    """Each priority's newest cadence."""
    t = s.stocktake_schedules
    q = select(t).order_by(t.c.id)
    if as_of is not None:
        q = q.where(t.c.recorded_at <= as_of)
    return {r["priority"]: dict(r) for r in conn.execute(q).mappings()}


def add_stocktake(conn: Connection, priority: str, *, held_on: str, document: dict[str, Any],
                  by: str, at: datetime) -> int:
    t = s.stocktakes
    _check_clock(conn, t, t.c.priority == priority, at, "a stocktake")
    return conn.execute(s.stocktakes.insert().values(
        priority=priority, held_on=held_on, document=document, recorded_by=by,
        recorded_at=at)).inserted_primary_key[0]


def stocktakes(conn: Connection, priority: str | None = None,
               as_of: datetime | None = None) -> list[dict[str, Any]]:
    t = s.stocktakes
    q = select(t).order_by(t.c.held_on, t.c.id)
    if priority is not None:
        q = q.where(t.c.priority == priority)
    if as_of is not None:
        q = q.where(t.c.recorded_at <= as_of)
    return [dict(r) for r in conn.execute(q).mappings()]


def add_action(conn: Connection, priority: str, stocktake_id: int | None, *, code: str,
               text: str, owner: str, due: str, raised_on: str, status: str, by: str,
               at: datetime, review: int | None = None) -> int:
    """An action raised at stocktake ``stocktake_id`` or by priority review ``review`` (one
    of the two), with its first update."""
    if (stocktake_id is None) == (review is None):
        raise ValueError("an action comes from a stocktake or a review, one of the two")
    action_id = conn.execute(s.actions.insert().values(
        priority=priority, stocktake_id=stocktake_id, review=review, code=code, text=text,
        owner=owner, due=due, raised_on=raised_on, recorded_at=at)).inserted_primary_key[0]
    add_action_update(conn, action_id, status=status, note="raised", on_date=raised_on, by=by,
                      at=at)
    return action_id


def add_action_update(conn: Connection, action_id: int, *, status: str, note: str,
                      on_date: str, by: str, at: datetime) -> None:
    t = s.action_updates
    _check_clock(conn, t, t.c.action_id == action_id, at, "an action update")
    conn.execute(t.insert().values(action_id=action_id, status=status, note=note,
                                   on_date=on_date, by=by, recorded_at=at))


def actions(conn: Connection, priority: str | None = None,
            as_of: datetime | None = None) -> list[dict[str, Any]]:
    """Every action known at ``as_of`` with its status then (its newest update by then),
    the date of that status, and the number of updates; oldest first."""
    a, u = s.actions, s.action_updates
    q = select(a).order_by(a.c.raised_on, a.c.id)
    uq = select(u).order_by(u.c.id)
    if priority is not None:
        q = q.where(a.c.priority == priority)
        uq = uq.join(a, a.c.id == u.c.action_id).where(a.c.priority == priority)
    if as_of is not None:
        q = q.where(a.c.recorded_at <= as_of)
        uq = uq.where(u.c.recorded_at <= as_of)
    updates: dict[int, list[dict[str, Any]]] = {}
    for r in conn.execute(uq).mappings():
        updates.setdefault(r["action_id"], []).append(dict(r))
    out = []
    for r in conn.execute(q).mappings():
        row = dict(r)
        history = updates.get(row["id"], [])
        row["status"] = history[-1]["status"] if history else "open"
        row["status_on"] = history[-1]["on_date"] if history else row["raised_on"]
        row["updates"] = history
        out.append(row)
    return out


def review_action_ids(conn: Connection, review: int) -> dict[str, int]:
    """The actions of a priority review's recommendations: code -> action id."""
    q = select(s.actions.c.code, s.actions.c.id).where(s.actions.c.review == review)
    return {code: action_id for code, action_id in conn.execute(q)}


def action_by_id(conn: Connection, action_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(s.actions).where(s.actions.c.id == action_id)).mappings().first()
    return dict(row) if row else None
