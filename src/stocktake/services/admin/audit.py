"""The audit log: security events with who, what, on whom, when and from where (issue #15).

Sign-ins (and their failures and refusals), account and role changes, passwords set, API
tokens made, revoked or refused, and model loads are appended here in the same transaction
as the change they record, so that a change never happens without its entry. Nothing in
stocktake changes or deletes an entry, and the database refuses to (triggers of migration
0008). Administrators read it on /admin/audit and with ``stocktake audit``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine

from ...errors import not_found
from ...results.audit import ACTIONS
from ...store import accounts as q


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    action: str
    actor: str
    subject: str | None
    ip: str | None
    detail: dict[str, Any]

    @property
    def words(self) -> str:
        return ACTIONS.get(self.action, self.action.replace("_", " "))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at, "action": self.action, "actor": self.actor,
                "subject": self.subject, "ip": self.ip, "detail": self.detail}


def record(conn: Connection, action: str, *, actor: str, at: datetime,
           subject: str | None = None, ip: str | None = None,
           detail: dict[str, Any] | None = None) -> None:
    """Append one entry, inside the caller's transaction."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")  # a programming mistake
    q.append_audit(conn, at=at, action=action, actor=actor[:200], subject=subject,
                   ip=(ip or None) and ip[:64], detail=detail or {})


def read_log(engine: Engine, *, subject: str | None = None, action: str | None = None,
             since: datetime | None = None, limit: int | None = 200) -> list[AuditEntry]:
    """Entries newest first; ``subject`` (an account) and ``action`` narrow them."""
    if action is not None and action not in ACTIONS:
        raise not_found("audit action", action, list(ACTIONS))
    with engine.connect() as conn:
        rows = q.audit_entries(conn, subject=subject, action=action, since=since, limit=limit)
    return [AuditEntry(**r) for r in rows]
