"""The routine: stocktakes on a schedule, their decisions and actions, and the follow-up.

A stocktake is the leader, the minister and officials reviewing one priority from a data
pack. What it decides and asks for is followed up at the next one: :func:`carried_over` lists
what the next pack must report on, :func:`follow_up_summary` counts it. Action updates are
applied one at a time (the store keeps their history).

Documents are parsed YAML/JSON mappings; ``parse_stocktake(s.to_dict()) == s``.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from ..errors import N_, Text, TextProblem, did_you_mean
from .assessments import REQUIRED, _at, _describe, _Problems
from .errors import DeliveryError

# Barber's five questions, asked at every review, in this order.
FIVE_QUESTIONS: tuple[str, ...] = (
    "What are you trying to do?",
    "How are you going to do it?",
    "How do you know you are succeeding?",
    "If you are not succeeding, what will you change?",
    "How can we help?",
)

ACTION_STATUSES: tuple[str, ...] = ("open", "in_progress", "done", "dropped")
OPEN_STATUSES: tuple[str, ...] = ("open", "in_progress")
CLOSED_STATUSES: tuple[str, ...] = ("done", "dropped")
CADENCE_UNITS: tuple[str, ...] = ("months", "weeks")

_CODE = re.compile(r"^[A-Za-z0-9_.-]+$")

# -- actions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """Something a stocktake asked someone to do by a date."""

    code: str
    text: str
    owner: str
    due: date
    status: str
    raised_on: date | None = None  # the stocktake's date
    closed_on: date | None = None  # when it was marked done or dropped

    def __post_init__(self) -> None:
        if self.status not in ACTION_STATUSES:
            raise ValueError(f"action {self.code}: status {self.status!r} is not one of "
                             f"{', '.join(ACTION_STATUSES)}")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def days_overdue(self, today: date) -> int:
        """Whole days past the due date while still open; 0 on the due date or when closed."""
        return max(0, (today - self.due).days) if self.is_open else 0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "text": self.text, "owner": self.owner,
                               "due": self.due.isoformat(), "status": self.status}
        if self.raised_on is not None:
            out["raised_on"] = self.raised_on.isoformat()
        if self.closed_on is not None:
            out["closed_on"] = self.closed_on.isoformat()
        return out


_ACTION_FIELDS = ("code", "text", "owner", "due", "status", "closed_on")


def _read_action(raw: Any, path: str, problems: _Problems, *, raised_on: date | None,
                 fields: tuple[str, ...] = _ACTION_FIELDS) -> dict[str, Any] | None:
    """The fields of one action, checked; None when too broken to build."""
    doc = problems.mapping(raw, path, fields)
    if doc is None:
        return None
    code = doc.get("code")
    if code is not None and not (isinstance(code, str) and _CODE.match(code)):
        problems.add(_at(path, "code"), Text(N_("%(value)s is not a code (letters, digits, _ . "
                                                "-)"), value=repr(code)))
        code = None
    text = problems.text(doc, "text", path, required=True)
    owner = problems.text(doc, "owner", path, required=True)
    due = problems.date(doc, "due", path, required=True)
    if "raised_on" in fields:
        raised_on = problems.date(doc, "raised_on", path)
    status = doc.get("status") or "open"
    status = problems.choice(status, ACTION_STATUSES, _at(path, "status"))
    closed_on = problems.date(doc, "closed_on", path)
    if raised_on is not None and due is not None and due < raised_on:
        problems.add(_at(path, "due"), Text(N_("%(day)s is before the action was raised "
                                               "(%(raised)s)"), day=str(due),
                                            raised=str(raised_on)))
    if closed_on is not None:
        if status is not None and status not in CLOSED_STATUSES:
            problems.add(_at(path, "closed_on"), Text(N_(
                "only a done or dropped action has a closing date; this one is %(status)s"),
                status=status))
        if raised_on is not None and closed_on < raised_on:
            problems.add(_at(path, "closed_on"), Text(N_("%(day)s is before the action was "
                                                         "raised (%(raised)s)"),
                                                      day=str(closed_on), raised=str(raised_on)))
    if None in (text, owner, due, status):
        return None
    return {"code": code, "text": text, "owner": owner, "due": due, "status": status,
            "raised_on": raised_on, "closed_on": closed_on}


def parse_action(raw: Any) -> Action:
    """Read one stored action (the form :meth:`Action.to_dict` writes), with ``code``
    required; or raise DeliveryError listing every problem."""
    problems = _Problems()
    fields = (*_ACTION_FIELDS, "raised_on")
    got = _read_action(raw, "", problems, raised_on=None, fields=fields)
    if isinstance(raw, Mapping) and raw.get("code") is None:
        problems.add("code", REQUIRED)
    problems.raise_if_any()
    return Action(**got)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ActionUpdate:
    """A later change to an action: a new status and/or a note, on a date, by someone."""

    on: date
    by: str
    status: str | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"on": self.on.isoformat(), "by": self.by}
        if self.status is not None:
            out["status"] = self.status
        if self.note is not None:
            out["note"] = self.note
        return out


def parse_action_update(raw: Any) -> ActionUpdate:
    """Read ``{status, note, on, by}``; or raise DeliveryError listing every problem."""
    problems = _Problems()
    if isinstance(raw, Mapping) and True in raw and "on" not in raw:
        # YAML 1.1 reads the key `on:` as the boolean true.
        raw = {("on" if k is True else k): v for k, v in raw.items()}
    doc = problems.mapping(raw, "", ("status", "note", "on", "by"))
    if doc is None:
        raise DeliveryError(problems.items)
    on = problems.date(doc, "on", "", required=True)
    by = problems.text(doc, "by", "", required=True)
    status = doc.get("status")
    if status is not None:
        status = problems.choice(status, ACTION_STATUSES, "status")
    note = problems.text(doc, "note", "")
    if doc.get("status") is None and doc.get("note") is None:
        problems.add("", Text(N_("an update needs a status, a note or both")))
    problems.raise_if_any()
    return ActionUpdate(on, by, status, note)  # type: ignore[arg-type]


def apply_update(action: Action, update: ActionUpdate | Mapping[str, Any]) -> Action:
    """The action after an update. Reopening a done or dropped action needs a note saying
    why; an update cannot be dated before the action was raised or last closed."""
    if not isinstance(update, ActionUpdate):
        update = parse_action_update(update)
    problems = _Problems()
    if action.raised_on is not None and update.on < action.raised_on:
        problems.add("on", Text(N_("%(day)s is before the action was raised (%(raised)s)"),
                                day=str(update.on), raised=str(action.raised_on)))
    if action.closed_on is not None and update.on < action.closed_on:
        problems.add("on", Text(N_("%(day)s is before the action was closed (%(closed)s)"),
                                day=str(update.on), closed=str(action.closed_on)))
    new = update.status or action.status
    reopening = action.status in CLOSED_STATUSES and new in OPEN_STATUSES
    if reopening and update.note is None:
        problems.add("note", Text(N_("required to reopen an action that is %(status)s: say "
                                     "why it is open again"), status=action.status))
    if problems.items:
        raise DeliveryError(problems.items, source=f"update to action {action.code}")
    if new == action.status:
        return action
    closed_on = update.on if new in CLOSED_STATUSES else None
    return replace(action, status=new, closed_on=closed_on)


# -- stocktakes ----------------------------------------------------------------------------

_STOCKTAKE_FIELDS = ("held_on", "chair", "attendees", "pack", "summary", "decisions", "actions")
_PACK_FIELDS = ("as_of", "data_as_of", "file")


@dataclass(frozen=True)
class Stocktake:
    """One stocktake meeting: who met, from which pack, what they decided and asked for.
    ``decisions`` are ``{"text", "plan_change"}``; ``pack`` holds ISO timestamps as text."""

    held_on: date
    chair: str | None
    attendees: tuple[str, ...]
    pack: dict[str, str] | None
    summary: str | None
    decisions: tuple[dict[str, Any], ...]
    actions: tuple[Action, ...]

    def action(self, code: str) -> Action:
        for a in self.actions:
            if a.code == code:
                return a
        raise KeyError(f"no action {code!r} at the stocktake of {self.held_on}")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"held_on": self.held_on.isoformat()}
        if self.chair is not None:
            out["chair"] = self.chair
        out["attendees"] = list(self.attendees)
        if self.pack is not None:
            out["pack"] = dict(self.pack)
        if self.summary is not None:
            out["summary"] = self.summary
        out["decisions"] = [dict(d) for d in self.decisions]
        out["actions"] = []
        for a in self.actions:
            d = a.to_dict()
            del d["raised_on"]  # the stocktake's own date
            out["actions"].append(d)
        return out


def _timestamp(value: Any, path: str, problems: _Problems) -> str | None:
    """An ISO date or date-time kept as text (YAML may already have read it as one)."""
    if value is None:
        return None
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, str):
        try:
            datetime.fromisoformat(value.strip())
            return value.strip()
        except ValueError:
            pass
    problems.add(path, Text(N_("expected an ISO date-time such as 2026-06-10T00:00:00+00:00, "
                               "got %(value)s"), value=_describe(value)))
    return None


def _string_list(raw: Any, path: str, problems: _Problems) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.add(path, Text(N_("expected a list, got %(value)s"), value=_describe(raw)))
        return ()
    out: list[str] = []
    for i, item in enumerate(raw):
        if not (isinstance(item, str) and item.strip()):
            problems.add(_at(path, i), Text(N_("expected a name, got %(value)s"),
                                            value=_describe(item)))
        elif item.strip() in out:
            problems.add(_at(path, i), Text(N_("%(value)s is listed twice"),
                                            value=repr(item.strip())))
        else:
            out.append(item.strip())
    return tuple(out)


def parse_stocktake(raw: Any) -> Stocktake:
    """Read a stocktake record, or raise DeliveryError listing every problem."""
    if not raw:
        raise DeliveryError(TextProblem.at("", Text(N_(
            "a stocktake needs at least held_on (the date it was held); got nothing"))))
    problems = _Problems()
    doc = problems.mapping(raw, "", _STOCKTAKE_FIELDS)
    if doc is None:
        raise DeliveryError(problems.items)
    held_on = problems.date(doc, "held_on", "", required=True)
    chair = problems.text(doc, "chair", "")
    attendees = _string_list(doc.get("attendees"), "attendees", problems)
    summary = problems.text(doc, "summary", "")

    pack = None
    if doc.get("pack") is not None:
        p = problems.mapping(doc["pack"], "pack", _PACK_FIELDS)
        if p is not None:
            pack = {k: v for k, v in (
                ("as_of", _timestamp(p.get("as_of"), "pack.as_of", problems)),
                ("data_as_of", _timestamp(p.get("data_as_of"), "pack.data_as_of", problems)),
                ("file", problems.text(p, "file", "pack"))) if v is not None}

    decisions: list[dict[str, Any]] = []
    raw_decisions = doc.get("decisions")
    if raw_decisions is not None and not isinstance(raw_decisions, list):
        problems.add("decisions", Text(N_("expected a list, got %(value)s"),
                                       value=_describe(raw_decisions)))
        raw_decisions = None
    for i, item in enumerate(raw_decisions or []):
        path = _at("decisions", i)
        if isinstance(item, str):
            item = {"text": item}
        elif not isinstance(item, Mapping):
            problems.add(path, Text(N_("expected text or {text, plan_change}, got %(value)s"),
                                    value=_describe(item)))
            continue
        d = problems.mapping(item, path, ("text", "plan_change"))
        if d is None:
            continue
        text = problems.text(d, "text", path, required=True)
        plan_change = d.get("plan_change", False)
        if not isinstance(plan_change, bool):
            problems.add(_at(path, "plan_change"), Text(N_("expected true or false, got "
                                                           "%(value)s"),
                                                        value=_describe(plan_change)))
        elif text is not None:
            decisions.append({"text": text, "plan_change": plan_change})

    raw_actions = doc.get("actions")
    if raw_actions is not None and not isinstance(raw_actions, list):
        problems.add("actions", Text(N_("expected a list, got %(value)s"),
                                     value=_describe(raw_actions)))
        raw_actions = None
    read = [_read_action(item, _at("actions", i), problems, raised_on=held_on)
            for i, item in enumerate(raw_actions or [])]
    actions: list[Action] = []
    given: dict[str, int] = {}
    for i, a in enumerate(read):
        if a is not None and a["code"] is not None:
            if a["code"] in given:
                problems.add(_at(_at("actions", i), "code"), Text(N_(
                    "%(value)s is already the code of %(other)s"), value=repr(a["code"]),
                    other=f"actions[{given[a['code']]}]"))
            else:
                given[a["code"]] = i
    used = set(given)
    for i, a in enumerate(read):
        if a is None:
            continue
        if a["code"] is None:
            # A<n> by position, stepping past codes the document gives itself.
            n = i + 1
            while f"A{n}" in used:
                n += 1
            a["code"] = f"A{n}"
            used.add(a["code"])
        actions.append(Action(**a))
    problems.raise_if_any()
    return Stocktake(held_on, chair, attendees, pack, summary,  # type: ignore[arg-type]
                     tuple(decisions), tuple(actions))


# -- the schedule --------------------------------------------------------------------------


def _add_months(d: date, months: int) -> date:
    """Calendar months later, clamped to the month's end: Jan 31 + 1 month = Feb 28 or 29."""
    years, month0 = divmod(d.month - 1 + months, 12)
    year = d.year + years
    return date(year, month0 + 1, min(d.day, calendar.monthrange(year, month0 + 1)[1]))


@dataclass(frozen=True)
class Cadence:
    """Stocktakes every ``every`` months or weeks from ``start``. Each date is counted from
    the start, not from the previous date, so a 31st stays the 31st after a short month."""

    every: int
    unit: str
    start: date

    def __post_init__(self) -> None:
        if isinstance(self.every, bool) or not isinstance(self.every, int) or self.every < 1:
            raise ValueError(f"cadence: every must be a whole number >= 1, got {self.every!r}")
        if self.unit not in CADENCE_UNITS:
            raise ValueError(f"cadence: unit {self.unit!r} is not one of "
                             f"{', '.join(CADENCE_UNITS)}"
                             f"{did_you_mean(str(self.unit), CADENCE_UNITS)}")

    def occurrence(self, k: int) -> date:
        """The k-th scheduled date (0 = start)."""
        if self.unit == "weeks":
            return self.start + timedelta(weeks=k * self.every)
        return _add_months(self.start, k * self.every)

    def dates(self, until: date) -> list[date]:
        """Every scheduled date from the start up to and including ``until``."""
        out = []
        k = 0
        while (d := self.occurrence(k)) <= until:
            out.append(d)
            k += 1
        return out

    def next_after(self, d: date) -> date:
        """The first scheduled date strictly after ``d``."""
        if d < self.start:
            return self.start
        if self.unit == "weeks":
            return self.occurrence((d - self.start).days // (7 * self.every) + 1)
        months = (d.year - self.start.year) * 12 + d.month - self.start.month
        k = months // self.every  # this occurrence falls in d's month or earlier
        while self.occurrence(k) <= d:
            k += 1
        return self.occurrence(k)

    def to_dict(self) -> dict[str, Any]:
        return {"every": self.every, "unit": self.unit, "start": self.start.isoformat()}


def kept(cadence: Cadence, held: Iterable[date], today: date) -> dict[str, Any]:
    """Whether the routine was kept: each scheduled date up to ``today`` is matched to a
    stocktake held within half an interval of it (each stocktake counts once, nearest
    first). A scheduled date is missed once half an interval has passed with none held;
    Baltimore's CitiStat decayed after a third of its meetings were cancelled, so this is
    counted, not assumed. Returns scheduled, held (matched), missed dates, off-schedule
    stocktakes and the share kept."""
    window = timedelta(days=(cadence.every * (7 if cadence.unit == "weeks" else 30.4)) / 2)
    free = sorted(set(held))
    due = [d for d in cadence.dates(today) if d + window < today or d in free]
    matched, missed = [], []
    for d in due:
        near = [h for h in free if abs(h - d) <= window]
        if near:
            best = min(near, key=lambda h: (abs(h - d), h))
            free.remove(best)
            matched.append((d, best))
        else:
            missed.append(d)
    return {"scheduled": len(due), "held": len(matched),
            "missed": [d.isoformat() for d in missed],
            "off_schedule": [h.isoformat() for h in free if h <= today],
            "kept_share": len(matched) / len(due) if due else None}


def parse_cadence(raw: Any) -> Cadence:
    """Read ``{every, unit: months | weeks, start}``; or raise DeliveryError."""
    problems = _Problems()
    doc = problems.mapping(raw, "", ("every", "unit", "start"))
    if doc is None:
        raise DeliveryError(problems.items)
    every = problems.required(doc, "every", "")
    if every is not None and (isinstance(every, bool) or not isinstance(every, int)
                              or every < 1):
        problems.add("every", Text(N_("expected a whole number >= 1, got %(value)s"),
                                   value=_describe(every)))
    unit = problems.required(doc, "unit", "")
    if unit is not None:
        unit = problems.choice(unit, CADENCE_UNITS, "unit")
    start = problems.date(doc, "start", "", required=True)
    problems.raise_if_any()
    return Cadence(every, unit, start)  # type: ignore[arg-type]


# -- follow-up -----------------------------------------------------------------------------


def _checked(actions: Iterable[tuple[date, Action] | Action]) -> list[tuple[date, Action]]:
    """(held_on, action) pairs, from pairs or from actions that know their ``raised_on``;
    refusing pairs that contradict themselves or repeat."""
    out: list[tuple[date, Action]] = []
    seen: set[tuple[date, str]] = set()
    for i, item in enumerate(actions):
        if isinstance(item, Action):
            if item.raised_on is None:
                raise ValueError(f"actions[{i}]: action {item.code} has no raised_on date; "
                                 "pass it as a (held_on, action) pair")
            item = (item.raised_on, item)
        try:
            held_on, action = item
        except (TypeError, ValueError):
            raise ValueError(f"actions[{i}]: expected an Action or a (held_on date, Action) "
                             f"pair, got {item!r}") from None
        if not isinstance(held_on, date) or not isinstance(action, Action):
            raise ValueError(f"actions[{i}]: expected an Action or a (held_on date, Action) "
                             f"pair, got ({held_on!r}, {type(action).__name__})")
        if action.raised_on is not None and action.raised_on != held_on:
            raise ValueError(f"actions[{i}]: action {action.code} was raised on "
                             f"{action.raised_on}, not at the stocktake of {held_on}")
        if (held_on, action.code) in seen:
            raise ValueError(f"actions[{i}]: action {action.code} of the stocktake of "
                             f"{held_on} is listed twice")
        seen.add((held_on, action.code))
        out.append((held_on, action))
    return out


def carried_over(actions: Iterable[tuple[date, Action] | Action],
                 before: date) -> list[dict[str, Any]]:
    """What the next pack must follow up: actions raised at stocktakes held before
    ``before`` that are still open, oldest first. ``actions`` are (held_on, action) pairs or
    actions with ``raised_on``, each as it stood at ``before``. Each row is
    ``{"raised_on", "code", "text", "owner", "due", "status", "days_overdue"}`` with dates
    as ISO text and days overdue counted at ``before``."""
    pairs = [(h, a) for h, a in _checked(actions) if h < before and a.is_open]
    pairs.sort(key=lambda pair: pair[0])  # stable: a stocktake's own order is kept
    return [{"raised_on": h.isoformat(), "code": a.code, "text": a.text, "owner": a.owner,
             "due": a.due.isoformat(), "status": a.status,
             "days_overdue": a.days_overdue(before)} for h, a in pairs]


def follow_up_summary(actions: Iterable[tuple[date, Action] | Action], today: date, *,
                      since: date | None = None) -> dict[str, Any]:
    """Counts for the pack's follow-up box, over actions raised on or before ``today``.

    ``done_since_last`` counts actions closed as done after ``since`` (the last stocktake;
    by default the latest stocktake before ``today`` among the pairs) and up to ``today``.
    A done action with no closing date cannot be placed in time and is not counted there.
    """
    pairs = [(h, a) for h, a in _checked(actions) if h <= today]
    if since is None:
        earlier = [h for h, _ in pairs if h < today]
        since = max(earlier) if earlier else None
    open_ = [a for _, a in pairs if a.is_open]
    overdue = [a.days_overdue(today) for a in open_ if a.days_overdue(today) > 0]
    done = [a for _, a in pairs if a.status == "done"]
    return {
        "as_of": today.isoformat(),
        "since": since.isoformat() if since else None,
        "total": len(pairs),
        "open": len(open_),
        "in_progress": sum(a.status == "in_progress" for a in open_),
        "overdue": len(overdue),
        "most_days_overdue": max(overdue, default=0),
        "done": len(done),
        "dropped": sum(a.status == "dropped" for _, a in pairs),
        "done_since_last": None if since is None else sum(
            a.closed_on is not None and since < a.closed_on <= today for a in done),
    }
