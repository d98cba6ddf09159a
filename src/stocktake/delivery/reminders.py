"""Reminders by e-mail, composed: who is told what, and the event each message stands for.

Pure: it takes what is due (late returns, actions and milestones, coming stocktakes) and
returns ``Reminder`` objects; the service (services/routines/reminders.py) gathers the
items, sends and records. Each reminder carries an ``event_key``: the same event always
gives the same key, so a message is never sent twice for it (the store keeps the keys).

- ``late_returns``: a unit's contact (and its providers) about returns not received; the
  event is the set of late returns, so a new late return makes a new reminder and the same
  list never goes twice.
- ``stocktakes``: a coming stocktake to each attendee, with the pack attached; the event is
  the meeting (priority and date).
- ``due``: an owner's actions and milestones coming due or overdue; the event is the list of
  items with their state (coming or overdue), so an item turning overdue is told again.
- ``digest``: the week's summary to the delivery unit; the event is the ISO week.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

KINDS: tuple[str, ...] = ("late_returns", "stocktakes", "due", "digest")
KIND_TEXT = {
    "late_returns": "late data returns from your reporting units",
    "stocktakes": "coming stocktakes you attend, with the pack",
    "due": "your actions and milestones coming due or overdue",
    "digest": "the weekly digest for the delivery unit",
}
COMING_DAYS = 7  # how far ahead an action, milestone or stocktake is "coming"


@dataclass(frozen=True)
class Recipient:
    name: str  # whom the address belongs to: a username, a unit's name, a person
    address: str


@dataclass(frozen=True)
class LateReturn:
    unit: str
    indicator: str
    indicator_name: str
    period: str
    due: date
    days_late: int


@dataclass(frozen=True)
class DueItem:
    """An action or a milestone, open, coming due or overdue."""

    what: str  # action | milestone
    priority: str
    code: str
    text: str
    owner: str
    due: date
    days_overdue: int  # 0: not yet overdue (coming due)


@dataclass(frozen=True)
class ComingStocktake:
    priority: str
    priority_name: str
    on: date
    attendees: tuple[str, ...]


@dataclass(frozen=True)
class Reminder:
    kind: str
    event_key: str
    to: Recipient
    subject: str
    body: str
    why: str  # one line for the --dry-run preview
    pack: str | None = None  # the priority whose pack goes with it

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "event_key": self.event_key, "name": self.to.name,
                "to": self.to.address, "subject": self.subject, "why": self.why,
                "attachment": f"pack-{self.pack}.pdf" if self.pack else None}


def _digest(parts: Sequence[object]) -> str:
    return hashlib.sha256("\n".join(map(str, parts)).encode()).hexdigest()[:16]


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def late_returns(to: Recipient, unit: str, unit_name: str, items: Sequence[LateReturn], *,
                 base_url: str) -> Reminder:
    """One message to a unit's contact listing its late returns, with the links to the
    upload page and to the Excel template of each period."""
    items = sorted(items, key=lambda r: (r.due, r.indicator))
    periods = sorted({r.period for r in items})
    lines = [f"Dear {to.name},", "",
             f"{unit_name} ({unit}) has {_plural(len(items), 'return')} past its deadline "
             "and not yet received:", ""]
    lines += [f"- {r.indicator_name} ({r.indicator}), {r.period}: due {r.due.isoformat()}, "
              f"{_plural(r.days_late, 'day')} late" for r in items]
    lines += ["", f"Send them on the upload page: {base_url}/data/submit", "",
              "The Excel template, filled in with the indicators you report:"]
    lines += [f"- {p}: {base_url}/data/template?unit={unit}&period={p}" for p in periods]
    lines += ["", "-- stocktake (an automatic reminder; reply to the delivery unit)"]
    worst = max(r.days_late for r in items)
    return Reminder(
        kind="late_returns",
        event_key=f"late_returns:{to.address}:{unit}:"
                  f"{_digest([(r.indicator, r.period) for r in items])}",
        to=to, subject=f"{unit_name}: {_plural(len(items), 'data return')} late",
        body="\n".join(lines),
        why=f"{_plural(len(items), 'late return')} for {unit}, the oldest "
            f"{_plural(worst, 'day')} late")


def due_items(to: Recipient, items: Sequence[DueItem], today: date) -> Reminder:
    """One message to an owner: their overdue items first, then those coming due."""
    overdue = sorted((i for i in items if i.days_overdue > 0), key=lambda i: i.due)
    coming = sorted((i for i in items if i.days_overdue == 0), key=lambda i: i.due)
    lines = [f"Dear {to.name},", ""]
    if overdue:
        lines += [f"Overdue on {today.isoformat()}:", ""]
        lines += [f"- {i.what} {i.code} ({i.priority}): {i.text}; due {i.due.isoformat()}, "
                  f"{_plural(i.days_overdue, 'day')} overdue" for i in overdue]
        lines.append("")
    if coming:
        lines += [f"Coming due in the next {COMING_DAYS} days:", ""]
        lines += [f"- {i.what} {i.code} ({i.priority}): {i.text}; due {i.due.isoformat()}"
                  for i in coming]
        lines.append("")
    lines += ["Please update their status, or tell the delivery unit what stands in the way.",
              "", "-- stocktake (an automatic reminder)"]
    parts = []
    if overdue:
        parts.append(f"{len(overdue)} overdue")
    if coming:
        parts.append(f"{len(coming)} coming due")
    key = _digest(sorted((i.what, i.priority, i.code, i.due, i.days_overdue > 0)
                         for i in items))
    return Reminder(kind="due", event_key=f"due:{to.address}:{key}", to=to,
                    subject=f"Actions and milestones: {', '.join(parts)}",
                    body="\n".join(lines), why=f"{', '.join(parts)} (owner {to.name})")


def stocktake(to: Recipient, meeting: ComingStocktake, *, base_url: str) -> Reminder:
    """A coming stocktake, to one attendee, with the pack attached."""
    body = "\n".join([
        f"Dear {to.name},", "",
        f"The stocktake of {meeting.priority_name} ({meeting.priority}) is on "
        f"{meeting.on:%A %d %B %Y}.", "",
        "The pack is attached: the five questions, the headline against its trajectory, and "
        "the actions to follow up.",
        f"The priority's page: {base_url}/priorities/{meeting.priority}", "",
        "-- stocktake (an automatic reminder)"])
    return Reminder(kind="stocktakes",
                    event_key=f"stocktakes:{to.address}:{meeting.priority}:"
                              f"{meeting.on.isoformat()}",
                    to=to, subject=f"Stocktake on {meeting.on.isoformat()}: "
                                   f"{meeting.priority_name}",
                    body=body, why=f"stocktake of {meeting.priority} on {meeting.on}",
                    pack=meeting.priority)


def digest(to: Recipient, today: date, *, late: int, late_units: int,
           overdue: Sequence[DueItem], coming: Sequence[DueItem],
           meetings: Sequence[ComingStocktake], base_url: str) -> Reminder:
    """The delivery unit's weekly digest: late data, overdue and coming items, meetings."""
    year, week, _ = today.isocalendar()
    lines = [f"Dear {to.name},", "", f"The week of {today.isoformat()} (week {week}):", "",
             f"- Late data returns: {late} from {_plural(late_units, 'reporting unit')}",
             f"- Overdue actions and milestones: {len(overdue)}",
             f"- Coming due in the next {COMING_DAYS} days: {len(coming)}",
             f"- Stocktakes in the next {COMING_DAYS} days: {len(meetings)}", ""]
    if overdue:
        lines += ["Most overdue:", ""]
        lines += [f"- {i.what} {i.code} ({i.priority}, {i.owner}): "
                  f"{_plural(i.days_overdue, 'day')}"
                  for i in sorted(overdue, key=lambda i: -i.days_overdue)[:10]]
        lines.append("")
    if meetings:
        lines += ["Stocktakes:", ""]
        lines += [f"- {m.on.isoformat()}: {m.priority_name}" for m in meetings]
        lines.append("")
    lines += [f"The portfolio: {base_url}/", "", "-- stocktake (the weekly digest)"]
    return Reminder(kind="digest", event_key=f"digest:{to.address}:{year}-W{week:02d}", to=to,
                    subject=f"Weekly digest, week {week} of {year}: {late} late returns, "
                            f"{len(overdue)} overdue",
                    body="\n".join(lines), why=f"the weekly digest for week {week}")
