"""The address book of reminders: an e-mail address, and the reminders wanted, for an
account (``user``), a reporting unit's contact (``unit``) or a person named as an owner or
attendee in plans and stocktakes (``person``). Changes are recorded in the audit log."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from ...delivery.reminders import KINDS
from ...errors import Invalid, NotFound, Problem, not_found
from ...store import accounts as account_store
from ...store import mail as store
from ...store import model_repo
from ...store.db import utcnow, writing
from . import audit

ADDRESS_KINDS = ("user", "unit", "person")
# A pragmatic check (one @, a dot in the domain, no spaces): the server has the last word.
ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


@dataclass(frozen=True)
class Address:
    kind: str
    key: str
    address: str
    reminders: tuple[str, ...] | None  # None: every kind that concerns them
    simulated: bool
    updated_by: str
    updated_at: datetime

    def wants(self, kind: str) -> bool:
        return self.reminders is None or kind in self.reminders

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.key, "address": self.address,
                "reminders": list(self.reminders) if self.reminders is not None else None,
                "simulated": self.simulated, "updated_by": self.updated_by,
                "updated_at": self.updated_at.isoformat(timespec="seconds")}


def _address(row: dict[str, Any]) -> Address:
    r = row["reminders"]
    return Address(row["kind"], row["key"], row["address"],
                   tuple(r) if r is not None else None, bool(row["simulated"]),
                   row["updated_by"], row["updated_at"])


def check_reminders(reminders: list[str] | None) -> list[str] | None:
    if reminders is None:
        return None
    unknown = [r for r in reminders if r not in KINDS]
    if unknown:
        raise Invalid([Problem(f"{r!r} is not a kind of reminder: use "
                               f"{', '.join(KINDS)}", "reminders") for r in unknown])
    return [k for k in KINDS if k in reminders]  # in the one order, once each


def set_address(engine: Engine, kind: str, key: str, address: str, *,
                reminders: list[str] | None = None, simulated: bool = False,
                by: str = "cli", at: datetime | None = None) -> Address:
    """Give (kind, key) this address and choice of reminders, replacing any before."""
    problems = []
    if kind not in ADDRESS_KINDS:
        problems.append(Problem(f"{kind!r} is not one of {', '.join(ADDRESS_KINDS)}", "kind"))
    address = address.strip()
    if not ADDRESS.match(address):
        problems.append(Problem(f"{address!r} is not an e-mail address", "address"))
    key = key.strip()
    if not key:
        problems.append(Problem("is empty", "key"))
    if problems:
        raise Invalid(problems)
    wanted = check_reminders(reminders)
    moment = at or utcnow()
    with writing(engine) as conn:
        if kind == "user" and account_store.user_by_name(conn, key) is None:
            raise NotFound(f"no account {key!r}")
        if kind == "unit":
            units = model_repo.unit_ids(conn)
            if key not in units:
                raise not_found("reporting unit", key, units)
        store.set_address(conn, kind, key, address, reminders=wanted, simulated=simulated,
                          by=by, at=moment)
        audit.record(conn, "mail_address_set", actor=by, subject=f"{kind}:{key}",
                     detail={"address": address, "reminders": wanted}, at=moment)
    return Address(kind, key, address, tuple(wanted) if wanted is not None else None,
                   simulated, by, moment)


def remove_address(engine: Engine, kind: str, key: str, *, by: str = "cli") -> None:
    with writing(engine) as conn:
        if not store.remove_address(conn, kind, key):
            raise NotFound(f"no address for {kind} {key!r}")
        audit.record(conn, "mail_address_removed", actor=by, subject=f"{kind}:{key}",
                     detail={}, at=utcnow())


def list_addresses(engine: Engine, kind: str | None = None) -> list[Address]:
    with engine.connect() as conn:
        return [_address(r) for r in store.addresses(conn, kind)]


def address_book(engine: Engine) -> dict[tuple[str, str], Address]:
    return {(a.kind, a.key): a for a in list_addresses(engine)}


# -- the demo ---------------------------------------------------------------------------

SIMULATED_DOMAIN = "example.org"  # reserved for examples (RFC 2606): never a real mailbox


def _slug(text: str) -> str:
    text = re.sub(r"\(simulated\)", "", text, flags=re.IGNORECASE)
    return re.sub(r"[^a-z0-9]+", ".", text.lower()).strip(".")[:60] or "someone"


def people_named(engine: Engine) -> list[str]:
    """Everyone named as an action's or milestone's owner, or at a stocktake."""
    from ...store import delivery as delivery_store

    names: set[str] = set()
    with engine.connect() as conn:
        model = model_repo.read_model(conn)
        names |= {a["owner"] for a in delivery_store.actions(conn)}
        for st in delivery_store.stocktakes(conn):
            doc = st["document"]
            names |= set(doc.get("attendees", [])) | ({doc["chair"]} if doc.get("chair")
                                                      else set())
        for code in model.priorities:
            versions = delivery_store.versions(conn, "plan", code)
            if versions:
                doc = versions[-1]["document"]
                names |= {m["owner"] for m in doc.get("milestones", []) if m.get("owner")}
    return sorted(n for n in names if n)


def simulated_addresses(engine: Engine, *, domain: str = SIMULATED_DOMAIN) -> int:
    """Give every account, reporting unit and named person of the demo a made-up address
    at ``domain``, marked simulated; returns how many. Real addresses already set are
    kept (only simulated ones are replaced)."""
    with engine.connect() as conn:
        existing = {(r["kind"], r["key"]): r["simulated"] for r in store.addresses(conn)}
        users = [u["username"] for u in account_store.all_users(conn)]
        units = list(model_repo.unit_ids(conn))
    wanted = ([("user", u, f"{_slug(u)}@{domain}") for u in users]
              + [("unit", u, f"data.{_slug(u)}@{domain}") for u in units]
              + [("person", p, f"{_slug(p)}@{domain}") for p in people_named(engine)])
    moment = utcnow()
    n = 0
    with writing(engine) as conn:
        for kind, key, address in wanted:
            if existing.get((kind, key), True):  # absent, or simulated before
                store.set_address(conn, kind, key, address, reminders=None, simulated=True,
                                  by="demo", at=moment)
                n += 1
    return n
