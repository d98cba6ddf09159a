"""Reminders by e-mail, composed: who is told what, and the event each message stands for.

Pure: it takes what is due (late returns, actions and milestones, coming stocktakes) and
returns ``Reminder`` objects; the service (services/routines/reminders.py) gathers the
items, sends and records. Each reminder carries an ``event_key``: the same event always
gives the same key, so a message is never sent twice for it (the store keeps the keys).
Each is composed in its recipient's language, a ``Language`` (delivery.wording; the service
passes it: an account's language, English when unset); the event key and the ``why`` line do
not depend on it.

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

from .wording import CATALOGUES, ENGLISH, N_, Language  # noqa: F401 (CATALOGUES: its catalogue)

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
    language: str | None = None  # an account's language (users.language); None: English


# The reminders' own catalogue domain (reminders.pot, and a .po for each language beside
# it, in delivery.wording's CATALOGUES). English, the default, is the messages themselves.
DOMAIN = "reminders"


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


def _plural(n: int, one: str, many: str | None = None) -> str:  # the English ``why`` lines
    return f"{n} {one if n == 1 else (many or one + 's')}"


WHAT = {"action": N_("action"), "milestone": N_("milestone")}


def late_returns(to: Recipient, unit: str, unit_name: str, items: Sequence[LateReturn], *,
                 base_url: str, language: Language = ENGLISH) -> Reminder:
    """One message to a unit's contact listing its late returns, with the links to the
    upload page and to the Excel template of each period."""
    _, ngettext = language.words.gettext, language.words.ngettext
    items = sorted(items, key=lambda r: (r.due, r.indicator))
    periods = sorted({r.period for r in items})
    lines = [_("Dear %(name)s,") % {"name": to.name}, "",
             ngettext("%(unit_name)s (%(unit)s) has %(num)d return past its deadline and not yet "
                "received:",
                "%(unit_name)s (%(unit)s) has %(num)d returns past its deadline and not yet "
                "received:", len(items)) % {"unit_name": unit_name, "unit": unit,
                                             "num": len(items)}, ""]
    lines += ["- " + ngettext("%(indicator_name)s (%(indicator)s), %(period)s: due %(due)s, "
                        "%(num)d day late",
                        "%(indicator_name)s (%(indicator)s), %(period)s: due %(due)s, "
                        "%(num)d days late", r.days_late)
              % {"indicator_name": r.indicator_name, "indicator": r.indicator,
                 "period": r.period, "due": r.due.isoformat(), "num": r.days_late}
              for r in items]
    lines += ["", _("Send them on the upload page: %(url)s") % {"url": f"{base_url}/data/submit"},
              "", _("The Excel template, filled in with the indicators you report:")]
    lines += [f"- {p}: {base_url}/data/template?unit={unit}&period={p}" for p in periods]
    lines += ["", _("-- stocktake (an automatic reminder; reply to the delivery unit)")]
    worst = max(r.days_late for r in items)
    return Reminder(
        kind="late_returns",
        event_key=f"late_returns:{to.address}:{unit}:"
                  f"{_digest([(r.indicator, r.period) for r in items])}",
        to=to, subject=ngettext("%(unit_name)s: %(num)d data return late",
                          "%(unit_name)s: %(num)d data returns late", len(items))
        % {"unit_name": unit_name, "num": len(items)},
        body="\n".join(lines),
        why=f"{_plural(len(items), 'late return')} for {unit}, the oldest "
            f"{_plural(worst, 'day')} late")


def due_items(to: Recipient, items: Sequence[DueItem], today: date, *,
              language: Language = ENGLISH) -> Reminder:
    """One message to an owner: their overdue items first, then those coming due."""
    _, ngettext = language.words.gettext, language.words.ngettext
    overdue = sorted((i for i in items if i.days_overdue > 0), key=lambda i: i.due)
    coming = sorted((i for i in items if i.days_overdue == 0), key=lambda i: i.due)

    def item(i: DueItem) -> dict[str, object]:
        return {"what": _(WHAT[i.what]), "code": i.code, "priority": i.priority,
                "text": i.text, "due": i.due.isoformat(), "num": i.days_overdue}

    lines = [_("Dear %(name)s,") % {"name": to.name}, ""]
    if overdue:
        lines += [_("Overdue on %(day)s:") % {"day": today.isoformat()}, ""]
        lines += ["- " + ngettext("%(what)s %(code)s (%(priority)s): %(text)s; due %(due)s, "
                            "%(num)d day overdue",
                            "%(what)s %(code)s (%(priority)s): %(text)s; due %(due)s, "
                            "%(num)d days overdue", i.days_overdue) % item(i)
                  for i in overdue]
        lines.append("")
    if coming:
        lines += [ngettext("Coming due in the next %(num)d day:",
                           "Coming due in the next %(num)d days:", COMING_DAYS)
                  % {"num": COMING_DAYS}, ""]
        lines += ["- " + _("%(what)s %(code)s (%(priority)s): %(text)s; due %(due)s") % item(i)
                  for i in coming]
        lines.append("")
    lines += [_("Please update their status, or tell the delivery unit what stands in the way."),
              "", _("-- stocktake (an automatic reminder)")]
    parts, english = [], []
    if overdue:
        parts.append(_("%(num)d overdue") % {"num": len(overdue)})
        english.append(f"{len(overdue)} overdue")
    if coming:
        parts.append(_("%(num)d coming due") % {"num": len(coming)})
        english.append(f"{len(coming)} coming due")
    key = _digest(sorted((i.what, i.priority, i.code, i.due, i.days_overdue > 0)
                         for i in items))
    return Reminder(kind="due", event_key=f"due:{to.address}:{key}", to=to,
                    subject=_("Actions and milestones: %(items)s") % {"items": ", ".join(parts)},
                    body="\n".join(lines), why=f"{', '.join(english)} (owner {to.name})")


def stocktake(to: Recipient, meeting: ComingStocktake, *, base_url: str,
              language: Language = ENGLISH) -> Reminder:
    """A coming stocktake, to one attendee, with the pack attached."""
    _ = language.words.gettext
    body = "\n".join([
        _("Dear %(name)s,") % {"name": to.name}, "",
        _("The stocktake of %(name)s (%(code)s) is on %(day)s.") % {
            "name": meeting.priority_name, "code": meeting.priority,
            "day": language.long_day(meeting.on)}, "",
        _("The pack is attached: the five questions, the headline against its trajectory, and "
          "the actions to follow up."),
        _("The priority's page: %(url)s") % {"url": f"{base_url}/priorities/{meeting.priority}"},
        "", _("-- stocktake (an automatic reminder)")])
    return Reminder(kind="stocktakes",
                    event_key=f"stocktakes:{to.address}:{meeting.priority}:"
                              f"{meeting.on.isoformat()}",
                    to=to, subject=_("Stocktake on %(day)s: %(name)s") % {
                        "day": meeting.on.isoformat(), "name": meeting.priority_name},
                    body=body, why=f"stocktake of {meeting.priority} on {meeting.on}",
                    pack=meeting.priority)


def digest(to: Recipient, today: date, *, late: int, late_units: int,
           overdue: Sequence[DueItem], coming: Sequence[DueItem],
           meetings: Sequence[ComingStocktake], base_url: str,
           language: Language = ENGLISH) -> Reminder:
    """The delivery unit's weekly digest: late data, overdue and coming items, meetings."""
    _, ngettext = language.words.gettext, language.words.ngettext
    year, week, _weekday = today.isocalendar()
    days = {"days": COMING_DAYS}
    lines = [_("Dear %(name)s,") % {"name": to.name}, "",
             _("The week of %(day)s (week %(week)d):") % {"day": today.isoformat(),
                                                         "week": week}, "",
             "- " + ngettext("Late data returns: %(late)d from %(num)d reporting unit",
                       "Late data returns: %(late)d from %(num)d reporting units", late_units)
             % {"late": late, "num": late_units},
             "- " + _("Overdue actions and milestones: %(num)d") % {"num": len(overdue)},
             "- " + _("Coming due in the next %(days)d days: %(num)d") % {
                 **days, "num": len(coming)},
             "- " + _("Stocktakes in the next %(days)d days: %(num)d") % {
                 **days, "num": len(meetings)}, ""]
    if overdue:
        lines += [_("Most overdue:"), ""]
        lines += ["- " + ngettext("%(what)s %(code)s (%(priority)s, %(owner)s): %(num)d day",
                            "%(what)s %(code)s (%(priority)s, %(owner)s): %(num)d days",
                            i.days_overdue)
                  % {"what": _(WHAT[i.what]), "code": i.code, "priority": i.priority,
                     "owner": i.owner, "num": i.days_overdue}
                  for i in sorted(overdue, key=lambda i: -i.days_overdue)[:10]]
        lines.append("")
    if meetings:
        lines += [_("Stocktakes:"), ""]
        lines += [f"- {m.on.isoformat()}: {m.priority_name}" for m in meetings]
        lines.append("")
    lines += [_("The portfolio: %(url)s") % {"url": f"{base_url}/"}, "",
              _("-- stocktake (the weekly digest)")]
    return Reminder(kind="digest", event_key=f"digest:{to.address}:{year}-W{week:02d}", to=to,
                    subject=_("Weekly digest, week %(week)d of %(year)d: %(late)d late returns, "
                              "%(overdue)d overdue") % {"week": week, "year": year,
                                                        "late": late,
                                                        "overdue": len(overdue)},
                    body="\n".join(lines), why=f"the weekly digest for week {week}")
