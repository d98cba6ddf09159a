"""The routine: a stocktake schedule per priority, stocktakes with their decisions and
actions, and the follow-up of every action until it is done."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from ...delivery import stocktakes as ds
from ...delivery.errors import DeliveryError
from ...errors import N_, Conflict, Invalid, NotFound, Text
from ...results.delivery import (
    ActionList,
    ActionRow,
    ActionUpdate,
    ActionUpdated,
    CarriedAction,
    ScheduleSet,
    StocktakeOverview,
    StocktakeRecorded,
)
from ...store import delivery as store
from ...store.db import writing
from ..reading.clock import now_of
from ..reading.series_data import check_priority, iso, read_model
from .documents import load_document


def _parsed(source: str | Path | Any, parse: Any) -> Any:
    raw, name = load_document(source)
    try:
        return parse(raw)
    except DeliveryError as exc:
        raise DeliveryError(exc.problems, source=name) from None


def set_schedule(engine: Engine, priority: str, source: str | Path | Any, *, by: str,
                 at: datetime | None = None) -> ScheduleSet:
    """Set how often the priority is taken stock of, e.g. {every: 3, unit: months, start}
    (without a start: from today, by the database's clock)."""
    if not by.strip():
        raise Invalid(Text(N_("a schedule needs the name of who sets it (--by)")))
    check_priority(read_model(engine), priority)
    moment = now_of(engine) if at is None else at
    if isinstance(source, dict) and not source.get("start"):
        source = {**source, "start": moment.date().isoformat()}
    cadence = _parsed(source, ds.parse_cadence)
    with writing(engine) as conn:
        store.set_schedule(conn, priority, cadence.to_dict(), by=by, at=moment)
    return ScheduleSet(priority=priority, cadence=cadence.to_dict(),
                       next=cadence.next_after(moment.date()).isoformat())


def record_stocktake(engine: Engine, priority: str, source: str | Path | Any, *, by: str,
                     at: datetime | None = None) -> StocktakeRecorded:
    """Store a stocktake: date, attendees, the pack used, decisions and new actions."""
    if not by.strip():
        raise Invalid(Text(N_("a stocktake record needs the name of who records it (--by)")))
    check_priority(read_model(engine), priority)
    meeting = _parsed(source, ds.parse_stocktake)
    document = meeting.to_dict()
    actions = document.pop("actions")
    with writing(engine) as conn:  # the time taken once it is this writer's turn
        moment = now_of(engine) if at is None else at
        held = meeting.held_on.isoformat()
        if any(s["held_on"] == held for s in store.stocktakes(conn, priority)):
            raise Conflict(Text(N_("a stocktake of '%(priority)s' on %(held)s is already "
                                   "recorded"), priority=priority, held=str(held)))
        sid = store.add_stocktake(conn, priority, held_on=held, document=document, by=by,
                                  at=moment)
        ids = [store.add_action(conn, priority, sid, code=a["code"], text=a["text"],
                                owner=a["owner"], due=a["due"], raised_on=held,
                                status=a["status"], by=by, at=moment) for a in actions]
    return StocktakeRecorded(priority=priority, stocktake=sid, held_on=held,
                             actions=tuple(ids), decisions=len(document.get("decisions") or []))


def _action(row: dict[str, Any]) -> ds.Action:
    return ds.Action(code=row["code"], text=row["text"], owner=row["owner"],
                     due=date.fromisoformat(row["due"]), status=row["status"],
                     raised_on=date.fromisoformat(row["raised_on"]),
                     closed_on=(date.fromisoformat(row["status_on"])
                                if row["status"] in ("done", "dropped") else None))


def update_action(engine: Engine, action_id: int, *, status: str, note: str = "",
                  on: date | None = None, by: str, at: datetime | None = None
                  ) -> ActionUpdated:
    """Record an action's progress (its history is kept; the newest update is its status)."""
    if not by.strip():
        raise Invalid(Text(N_("an action update needs the name of who makes it (--by)")))
    with writing(engine) as conn:  # the time taken once it is this writer's turn
        moment = now_of(engine) if at is None else at
        day = on or moment.date()
        done = record_update(conn, action_id, status=status, note=note, on=day, by=by,
                             at=moment)
    return done


def record_update(conn: Connection, action_id: int, *, status: str, note: str, on: date,
                  by: str, at: datetime) -> ActionUpdated:
    """An action's update inside the caller's transaction (a stocktake's action, or a
    review's recommendation followed up from the review)."""
    row = store.action_by_id(conn, action_id)
    if row is None:
        raise NotFound(Text(N_("there is no action %(id)s (see `stocktake actions`)"),
                            id=str(action_id)))
    [current] = [a for a in store.actions(conn, row["priority"]) if a["id"] == action_id]
    updated = ds.apply_update(_action(current), {"status": status, "note": note,
                                                 "on": on.isoformat(), "by": by})
    store.add_action_update(conn, action_id, status=updated.status, note=note,
                            on_date=on.isoformat(), by=by, at=at)
    return ActionUpdated(action=action_id, priority=row["priority"],
                         from_status=current["status"], status=updated.status,
                         on=on.isoformat())


def list_actions(engine: Engine, *, priority: str | None = None, open_only: bool = False,
                 as_of: datetime | None = None) -> ActionList:
    """Every action (or the open ones) known at ``as_of``, with days overdue then."""
    model = read_model(engine)
    if priority is not None:
        check_priority(model, priority)
    today = now_of(engine, as_of).date()
    with engine.connect() as conn:
        rows = store.actions(conn, priority, as_of)
    out = []
    for r in rows:
        a = _action(r)
        if open_only and not a.is_open:
            continue
        out.append(ActionRow(
            id=r["id"], priority=r["priority"], code=r["code"], text=r["text"],
            owner=r["owner"], due=r["due"], raised_on=r["raised_on"], status=r["status"],
            status_on=r["status_on"], days_overdue=a.days_overdue(today),
            updates=tuple(ActionUpdate(status=u["status"], note=u["note"], on=u["on_date"],
                                       by=u["by"]) for u in r["updates"]),
            review=r["review"]))
    return ActionList(as_of=iso(as_of), today=today.isoformat(), actions=tuple(out),
                      summary=_summary(rows, today))


def _summary(rows: list[dict[str, Any]], today: date) -> dict[str, Any]:
    """Follow-up counts over every priority (action codes repeat across priorities)."""
    by_priority: dict[str, list[ds.Action]] = {}
    met: dict[str, list[date]] = {}  # the days of stocktakes that raised actions, before today
    for r in rows:
        by_priority.setdefault(r["priority"], []).append(_action(r))
        raised = date.fromisoformat(r["raised_on"])
        if r["stocktake_id"] is not None and raised < today:
            met.setdefault(r["priority"], []).append(raised)
    parts = [_follow_up(actions, today, max(met.get(code, []), default=None))
             for code, actions in by_priority.items()]
    out: dict[str, Any] = {"as_of": today.isoformat()}
    for key in ("total", "open", "in_progress", "overdue", "done", "dropped",
                "done_since_last"):
        out[key] = sum(p[key] or 0 for p in parts)  # done_since_last: None when all new
    out["most_days_overdue"] = max((p["most_days_overdue"] for p in parts), default=0)
    return out


def _follow_up(actions: list[ds.Action], today: date, since: date | None) -> dict[str, Any]:
    """A priority's follow-up counts, "done since the last stocktake" counted from the last
    stocktake that raised actions (a review's report is not a stocktake)."""
    if since is None:
        return {**ds.follow_up_summary(actions, today), "done_since_last": None}
    return ds.follow_up_summary(actions, today, since=since)


def stocktake_overview(engine: Engine, priority: str, *, as_of: datetime | None = None
                       ) -> StocktakeOverview:
    """The schedule and next date, past stocktakes with their decisions and actions, and the
    actions to follow up at the next one."""
    model = read_model(engine)
    check_priority(model, priority)
    now = now_of(engine, as_of)
    today = now.date()
    with engine.connect() as conn:
        schedule = store.schedules(conn, as_of).get(priority)
        meetings = store.stocktakes(conn, priority, as_of)
        actions = store.actions(conn, priority, as_of)
    by_meeting: dict[int, list[dict[str, Any]]] = {}
    for a in actions:
        by_meeting.setdefault(a["stocktake_id"], []).append(a)
    cadence = ds.parse_cadence(schedule["cadence"]) if schedule else None
    past = [{"id": m["id"], "held_on": m["held_on"], **m["document"],
             "actions": [{"id": a["id"], "code": a["code"], "text": a["text"],
                          "owner": a["owner"], "due": a["due"], "status": a["status"]}
                         for a in by_meeting.get(m["id"], [])]} for m in meetings]
    carried = ds.carried_over([(date.fromisoformat(a["raised_on"]), _action(a))
                               for a in actions], before=today)
    ids = {(a["raised_on"], a["code"]): a["id"] for a in actions}
    carried_over = tuple(CarriedAction(**c, id=ids.get((_isodate(c["raised_on"]), c["code"])))
                         for c in carried)
    return StocktakeOverview(
        priority=priority, as_of=iso(as_of), today=today.isoformat(),
        cadence=cadence.to_dict() if cadence else None,
        next=cadence.next_after(today).isoformat() if cadence else None,
        kept=ds.kept(cadence, [date.fromisoformat(m["held_on"]) for m in meetings], today)
        if cadence else None,
        stocktakes=tuple(past), carried_over=carried_over,
        five_questions=tuple(ds.FIVE_QUESTIONS))


def _isodate(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)
