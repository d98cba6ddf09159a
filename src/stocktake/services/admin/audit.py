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
from ...store import accounts as q

# Every action the log knows, with the words an administrator reads.
ACTIONS: dict[str, str] = {
    "sign_in": "signed in",
    "sign_in_failed": "failed to sign in",
    "sign_in_refused": "sign-in refused (too many failures)",
    "user_created": "account created",
    "role_changed": "role or scope changed",
    "user_disabled": "account disabled",
    "user_enabled": "account enabled",
    "password_set": "password set",
    "token_created": "API token made",
    "token_revoked": "API token revoked",
    "token_refused": "API token refused (beyond its account's powers)",
    "model_loaded": "model loaded",
    "alert_reviewed": "alert reviewed (explained, confirmed or reopened)",
    "mail_address_set": "e-mail address or reminders set",
    "mail_address_removed": "e-mail address removed",
    "commitments_loaded": "commitments loaded",
    "commitment_status_set": "commitment's status changed",
    "intensity_set": "priority's intensity changed",
    "review_changed": "priority review commissioned, reported, followed up or closed",
}


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
