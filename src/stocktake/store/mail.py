"""Queries for reminders by e-mail: the address book, the record of messages (claimed
before sending, so an event is mailed at most once) and leases on named jobs.

Callers pass a connection inside their own transaction, except where a function says it
needs one of its own (a claim must commit before the message goes out).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.exc import IntegrityError

from .schema_mail import leases, mail_addresses, mail_messages

# -- the address book -------------------------------------------------------------------


def set_address(conn: Connection, kind: str, key: str, address: str, *,
                reminders: list[str] | None, simulated: bool, by: str, at: datetime) -> None:
    """Add or replace the address of (kind, key)."""
    conn.execute(mail_addresses.delete().where(mail_addresses.c.kind == kind,
                                               mail_addresses.c.key == key))
    conn.execute(mail_addresses.insert().values(kind=kind, key=key, address=address,
                                                reminders=reminders, simulated=simulated,
                                                updated_by=by, updated_at=at))


def remove_address(conn: Connection, kind: str, key: str) -> bool:
    return conn.execute(mail_addresses.delete().where(
        mail_addresses.c.kind == kind, mail_addresses.c.key == key)).rowcount == 1


def addresses(conn: Connection, kind: str | None = None) -> list[dict[str, Any]]:
    q = select(mail_addresses).order_by(mail_addresses.c.kind, mail_addresses.c.key)
    if kind is not None:
        q = q.where(mail_addresses.c.kind == kind)
    return [dict(r) for r in conn.execute(q).mappings()]


# -- messages ---------------------------------------------------------------------------


def claim(conn: Connection, event_key: str, *, at: datetime, **values: Any) -> bool:
    """Mark the event's message as being sent; False when it was sent already or another
    process is sending it. A failed one is claimed again (a retry). Run in a transaction
    of its own and commit before sending."""
    m = mail_messages
    retried = conn.execute(m.update().where(m.c.event_key == event_key, m.c.status == "failed")
                           .values(status="sending", error=None, attempts=m.c.attempts + 1,
                                   created_at=at, **values))
    if retried.rowcount == 1:
        return True
    if conn.execute(select(m.c.id).where(m.c.event_key == event_key)).first() is not None:
        return False
    try:
        with conn.begin_nested():  # a racing insert of the same key fails alone
            conn.execute(m.insert().values(event_key=event_key, status="sending", attempts=1,
                                           created_at=at, **values))
    except IntegrityError:
        return False
    return True


def settle(conn: Connection, event_key: str, *, error: str | None, at: datetime) -> None:
    """Record how the send ended: sent, or failed with the error."""
    conn.execute(mail_messages.update().where(mail_messages.c.event_key == event_key).values(
        status="failed" if error else "sent", error=error, sent_at=None if error else at))


def counts_by_status(conn: Connection) -> dict[str, int]:
    """How many messages are sent, failed and being sent."""
    m = mail_messages
    return {status: n for status, n in
            conn.execute(select(m.c.status, func.count()).group_by(m.c.status))}


def messages(conn: Connection, *, recipients: list[str] | None = None,
             limit: int | None = None) -> list[dict[str, Any]]:
    """Messages newest first, optionally only to some addresses."""
    q = select(mail_messages).order_by(mail_messages.c.id.desc())
    if recipients is not None:
        q = q.where(mail_messages.c.recipient.in_(recipients))
    if limit is not None:
        q = q.limit(limit)
    return [dict(r) for r in conn.execute(q).mappings()]


# -- leases -----------------------------------------------------------------------------


def take_lease(conn: Connection, name: str, holder: str, *, now: datetime,
               until: datetime) -> bool:
    """Take (or renew) the lease ``name`` until ``until`` if it is free, expired or already
    ours. Atomic on SQLite and PostgreSQL: a conditional UPDATE, else the first INSERT."""
    taken = conn.execute(leases.update().where(
        leases.c.name == name, (leases.c.expires_at <= now) | (leases.c.holder == holder))
        .values(holder=holder, expires_at=until))
    if taken.rowcount == 1:
        return True
    try:
        with conn.begin_nested():
            conn.execute(leases.insert().values(name=name, holder=holder, expires_at=until))
    except IntegrityError:
        return False  # held by someone else
    return True


def release_lease(conn: Connection, name: str, holder: str) -> None:
    conn.execute(leases.delete().where(leases.c.name == name, leases.c.holder == holder))


def lease_holder(conn: Connection, name: str) -> dict[str, Any] | None:
    row = conn.execute(select(leases).where(leases.c.name == name)).mappings().first()
    return dict(row) if row else None
