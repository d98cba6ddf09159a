"""One pass of reminders by e-mail: gather what is due, compose (delivery.reminders), and
send each message once.

A pass holds the database lease ``reminders`` while it runs, so that several processes
(``stocktake remind`` from cron, ``serve --remind-every`` in each web worker) never run two
passes at once; and each message's event key is recorded before it is sent (store.mail.
claim), so even two passes that did overlap could not send an event twice. A failed send is
recorded with its error and tried again by the next pass.

Who gets what (each only if their address book entry wants that kind):
- late returns: each unit's contact, and each provider account over the unit;
- stocktakes: the attendees (and chair) of the priority's last stocktake, and the owner
  accounts of the priority, when the next scheduled one is within COMING_DAYS; the pack goes
  with it as a PDF;
- due: each person named as owner of open actions and milestones coming due or overdue;
- digest: the analysts' and administrators' accounts, once an ISO week.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from ...delivery import plans as dp
from ...delivery import reminders as dr
from ...delivery import stocktakes as ds
from ...delivery.wording import Language
from ...errors import Invalid
from ...model.entities import DeliveryModel
from ...reports.locale import LANGUAGES
from ...reports.wording import wording
from ...results.dues import ReturnDue
from ...store import delivery as delivery_store
from ...store import mail as mail_store
from ...store.db import utcnow, writing
from ..admin.accounts import list_users
from ..admin.addresses import Address, address_book
from ..admin.mailer import MailConfig, Mailer, describe_failure, message
from ..reading.dues import dues
from ..reading.snapshot import Snapshot

LEASE = "reminders"
LEASE_TTL = timedelta(minutes=30)  # a pass that dies frees the lease after this
BASE_URL_VAR = "STOCKTAKE_BASE_URL"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class PassResult:
    """What one pass did: every reminder due now, and what became of each."""

    now: str
    dry_run: bool
    reminders: tuple[dr.Reminder, ...]
    sent: tuple[str, ...] = ()  # event keys
    failed: tuple[tuple[str, str], ...] = ()  # (event key, error)
    already: tuple[str, ...] = ()  # sent before (or being sent by another pass)
    lease_held_by: str | None = None  # another pass was running: nothing done

    def to_dict(self) -> dict[str, Any]:
        return {"now": self.now, "dry_run": self.dry_run,
                "lease_held_by": self.lease_held_by,
                "reminders": [r.to_dict() for r in self.reminders],
                "sent": list(self.sent), "failed": [{"event_key": k, "error": e}
                                                    for k, e in self.failed],
                "already_sent": list(self.already)}


def base_url() -> str:
    return (os.environ.get(BASE_URL_VAR) or DEFAULT_BASE_URL).rstrip("/")


def composed_in(lang: str | None) -> Language:
    """The language of a recipient's reminders: the reminders' catalogue of ``lang``
    (delivery/locale) and its long dates; English when unset or not offered."""
    return wording(lang if lang in LANGUAGES else "en", dr.DOMAIN)


# -- what is due, and to whom -----------------------------------------------------------


@dataclass
class _Book:
    """The address book read for a pass, with the accounts it applies to."""

    entries: dict[tuple[str, str], Address]
    users: list[Any] = field(default_factory=list)

    def to(self, kind: str, key: str, reminder: str, name: str | None = None,
           language: str | None = None) -> dr.Recipient | None:
        entry = self.entries.get((kind, key))
        if entry is None or not entry.wants(reminder):
            return None
        return dr.Recipient(name or key, entry.address, language)

    def accounts(self, reminder: str, keep: Callable[[Any], bool]) -> list[dr.Recipient]:
        """The accounts kept that want ``reminder``, each in the language it chose."""
        return [r for u in self.users if u.active and keep(u)
                and (r := self.to("user", u.username, reminder, language=u.language))
                is not None]


def _late_returns(model: DeliveryModel, late: tuple[ReturnDue, ...], book: _Book, url: str
                  ) -> list[dr.Reminder]:
    by_unit: dict[str, list[dr.LateReturn]] = defaultdict(list)
    for r in late:
        by_unit[r.unit].append(dr.LateReturn(r.unit, r.indicator, r.indicator_name, r.period,
                                             date.fromisoformat(r.due), r.days_late))
    out = []
    for unit, items in by_unit.items():
        name = model.units[unit].name
        over = {unit, *(u.code for u in model.ancestors(unit))}
        recipients = [book.to("unit", unit, "late_returns", f"{name} data team")]
        recipients += book.accounts("late_returns",
                                    lambda u, over=over: u.role == "provider" and u.unit in over)
        out += [dr.late_returns(to, unit, name, items, base_url=url,
                                language=composed_in(to.language))
                for to in recipients if to is not None]
    return out


def _due_items(engine: Engine, model: DeliveryModel, as_of: datetime | None, today: date
               ) -> list[dr.DueItem]:
    """Open actions and milestones due by COMING_DAYS from today (overdue ones included)."""
    horizon = today + timedelta(days=dr.COMING_DAYS)
    out = []
    with engine.connect() as conn:
        for a in delivery_store.actions(conn, None, as_of):
            due = date.fromisoformat(a["due"])
            if a["status"] in ds.OPEN_STATUSES and due <= horizon:
                out.append(dr.DueItem("action", a["priority"], a["code"], a["text"],
                                      a["owner"], due, max(0, (today - due).days)))
        for code in model.priorities:
            versions = delivery_store.versions(conn, "plan", code, as_of)
            if not versions:
                continue
            plan = dp.parse_plan(versions[-1]["document"], model, code)
            for m in plan.milestones:
                if m.owner and m.status not in dp.CLOSED_STATUSES and m.due <= horizon:
                    out.append(dr.DueItem("milestone", code, m.code, m.name, m.owner, m.due,
                                          max(0, (today - m.due).days)))
    return out


def _coming_stocktakes(engine: Engine, model: DeliveryModel, as_of: datetime | None,
                       today: date) -> list[dr.ComingStocktake]:
    out = []
    with engine.connect() as conn:
        schedules = delivery_store.schedules(conn, as_of)
        for code, row in schedules.items():
            if code not in model.priorities:
                continue
            on = ds.parse_cadence(row["cadence"]).next_after(today - timedelta(days=1))
            if on > today + timedelta(days=dr.COMING_DAYS):
                continue
            held = delivery_store.stocktakes(conn, code, as_of)
            last = held[-1]["document"] if held else {}
            people = [*([last["chair"]] if last.get("chair") else []),
                      *last.get("attendees", [])]
            out.append(dr.ComingStocktake(code, model.priorities[code].title, on,
                                          tuple(dict.fromkeys(people))))
    return sorted(out, key=lambda m: (m.on, m.priority))


def plan_pass(engine: Engine, as_of: datetime | None = None) -> tuple[datetime, list[dr.Reminder]]:
    """Every reminder due at ``as_of`` (default: now, or the demo's clock), to everyone in
    the address book who wants it; whether each was sent before is not looked at here."""
    snap = Snapshot(engine, as_of)
    model, now = snap.model, snap.now
    today = now.date()
    url = base_url()
    book = _Book(address_book(engine), list_users(engine))
    late = dues(snap).late
    out = _late_returns(model, late, book, url)

    items = _due_items(engine, model, as_of, today)
    by_owner: dict[str, list[dr.DueItem]] = defaultdict(list)
    for i in items:
        by_owner[i.owner].append(i)
    for owner, mine in by_owner.items():
        to = book.to("person", owner, "due")
        if to is not None:
            out.append(dr.due_items(to, mine, today, language=composed_in(to.language)))

    meetings = _coming_stocktakes(engine, model, as_of, today)
    for m in meetings:
        people = [book.to("person", name, "stocktakes") for name in m.attendees]
        people += book.accounts("stocktakes", lambda u, p=m.priority: u.role == "owner"
                                and p in (u.priorities or ()))
        seen: set[str] = set()
        for to in people:
            if to is not None and to.address not in seen:
                seen.add(to.address)
                out.append(dr.stocktake(to, m, base_url=url,
                                        language=composed_in(to.language)))

    analysts = book.accounts("digest", lambda u: u.role in ("admin", "analyst"))
    if analysts:
        overdue = [i for i in items if i.days_overdue > 0]
        coming = [i for i in items if i.days_overdue == 0]
        out += [dr.digest(to, today, late=len(late), late_units=len({r.unit for r in late}),
                          overdue=overdue, coming=coming, meetings=meetings, base_url=url,
                          language=composed_in(to.language))
                for to in analysts]
    return now, out


# -- one pass ---------------------------------------------------------------------------


def holder_name() -> str:
    """Who holds the lease: host, process and a random tail (threads of one process too)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def remind(engine: Engine, *, as_of: datetime | None = None, dry_run: bool = False,
           config: MailConfig | None = None) -> PassResult:
    """One pass. ``dry_run``: list what would be sent, send and record nothing (no mail
    configuration needed). Otherwise mail must be configured (``MailConfig.from_env``,
    MailNotConfigured if not) and the pass runs only if it gets the lease."""
    if dry_run:
        now, reminders = plan_pass(engine, as_of)
        return PassResult(now=now.isoformat(timespec="seconds"), dry_run=True,
                          reminders=tuple(reminders))
    config = config or MailConfig.from_env()
    holder = holder_name()
    started = utcnow()
    with writing(engine) as conn:
        if not mail_store.take_lease(conn, LEASE, holder, now=started,
                                     until=started + LEASE_TTL):
            held = mail_store.lease_holder(conn, LEASE) or {}
            return PassResult(now=started.isoformat(timespec="seconds"), dry_run=False,
                              reminders=(),
                              lease_held_by=str(held.get("holder", "another process")))
    try:
        now, reminders = plan_pass(engine, as_of)
        return _send_all(engine, config, now, reminders, as_of)
    finally:
        with writing(engine) as conn:
            mail_store.release_lease(conn, LEASE, holder)


def _send_all(engine: Engine, config: MailConfig, now: datetime,
              reminders: list[dr.Reminder], as_of: datetime | None) -> PassResult:
    sent, failed, already = [], [], []
    packs: dict[str, bytes] = {}
    mailer = Mailer(config)
    try:
        for r in reminders:
            attachment = f"pack-{r.pack}.pdf" if r.pack else None
            with writing(engine) as conn:
                claimed = mail_store.claim(
                    conn, r.event_key, at=utcnow(), kind=r.kind, recipient=r.to.address,
                    name=r.to.name, subject=r.subject, body=r.body, attachment=attachment)
            if not claimed:
                already.append(r.event_key)
                continue
            error = None
            try:
                files = None
                if r.pack:
                    if r.pack not in packs:
                        packs[r.pack] = _pack_pdf(engine, r.pack, as_of)
                    files = (attachment, packs[r.pack])
                mailer.send(message(config, r.to.address, r.subject, r.body,
                                    attachment=files))
            except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
                error = describe_failure(exc, config)
                mailer.close()  # a broken connection is opened afresh for the next message
            with writing(engine) as conn:
                mail_store.settle(conn, r.event_key, error=error, at=utcnow())
            if error:
                failed.append((r.event_key, error))
            else:
                sent.append(r.event_key)
    finally:
        mailer.close()
    return PassResult(now=now.isoformat(timespec="seconds"), dry_run=False,
                      reminders=tuple(reminders),
                      sent=tuple(sent), failed=tuple(failed), already=tuple(already))


def _pack_pdf(engine: Engine, priority: str, as_of: datetime | None) -> bytes:
    from ..publishing.packs import write_pack

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"pack-{priority}.pdf"
        write_pack(engine, priority, str(out), as_of=as_of)
        return out.read_bytes()


# -- the record, and a schedule ---------------------------------------------------------


@dataclass(frozen=True)
class SentMessage:
    id: int
    event_key: str
    kind: str
    recipient: str
    name: str
    subject: str
    attachment: str | None
    status: str
    error: str | None
    attempts: int
    created_at: datetime
    sent_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {k: (v.isoformat(timespec="seconds") if isinstance(v, datetime) else v)
                for k, v in self.__dict__.items()}


def message_log(engine: Engine, *, recipients: list[str] | None = None,
                limit: int | None = 200) -> list[SentMessage]:
    """Messages sent or tried, newest first (only to ``recipients`` when given)."""
    with engine.connect() as conn:
        rows = mail_store.messages(conn, recipients=recipients, limit=limit)
    return [SentMessage(**{k: r[k] for k in SentMessage.__dataclass_fields__}) for r in rows]


def message_counts(engine: Engine) -> dict[str, int]:
    """Messages by status (sent, failed, sending), all time: what /metrics reports."""
    with engine.connect() as conn:
        return mail_store.counts_by_status(conn)


_UNITS = {"m": 60, "h": 3600, "d": 86400}


def parse_interval(text: str) -> timedelta:
    """``30m``, ``1h``, ``1d``: at least a minute."""
    t = text.strip().lower()
    if len(t) < 2 or t[-1] not in _UNITS or not t[:-1].isdigit() or int(t[:-1]) < 1:
        raise Invalid(f"{text!r} is not an interval: write a whole number and m, h or d, "
                      "e.g. 30m, 1h or 1d", source="--remind-every")
    return timedelta(seconds=int(t[:-1]) * _UNITS[t[-1]])


def run_every(engine: Engine, every: timedelta, stop: threading.Event,
              on_result: Callable[[PassResult | Exception], None] | None = None) -> None:
    """Run a pass now and then every ``every`` until ``stop`` is set (serve --remind-every).
    An error in one pass is handed to ``on_result`` and the schedule goes on."""
    while not stop.is_set():
        try:
            result: PassResult | Exception = remind(engine)
        except Exception as exc:  # noqa: BLE001 - a schedule outlives one bad pass
            result = exc
        if on_result is not None:
            on_result(result)
        stop.wait(every.total_seconds())
