"""Queries for accounts: users, sessions, sign-in attempts, API tokens, account events and
the audit log (only ever appended to: there is no query here that changes or deletes it).

Callers pass a connection inside their own transaction. Tokens arrive here already hashed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from .schema_accounts import (
    account_events,
    api_tokens,
    audit_log,
    login_attempts,
    sessions,
    users,
)

# -- users ------------------------------------------------------------------------------


def insert_user(conn: Connection, **values: Any) -> int:
    return conn.execute(users.insert().values(**values)).inserted_primary_key[0]


def user_by_name(conn: Connection, username: str) -> dict[str, Any] | None:
    row = conn.execute(select(users).where(users.c.username == username)).mappings().first()
    return dict(row) if row else None


def all_users(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(select(users).order_by(users.c.username)).mappings()]


def update_user(conn: Connection, user_id: int, **values: Any) -> None:
    conn.execute(users.update().where(users.c.id == user_id).values(**values))


def active_admins(conn: Connection) -> list[str]:
    q = select(users.c.username).where(users.c.role == "admin", users.c.active.is_(True))
    return list(conn.execute(q).scalars())


# -- sessions ---------------------------------------------------------------------------


def insert_session(conn: Connection, **values: Any) -> int:
    return conn.execute(sessions.insert().values(**values)).inserted_primary_key[0]


def live_session(conn: Connection, token_hash: str, now: datetime) -> dict[str, Any] | None:
    """The unexpired session with this token, joined to its (active) user."""
    q = (select(sessions.c.id.label("session_id"), sessions.c.csrf_token, sessions.c.expires_at,
                users)
         .join(users, users.c.id == sessions.c.user_id)
         .where(sessions.c.token_hash == token_hash, sessions.c.expires_at > now,
                users.c.active.is_(True)))
    row = conn.execute(q).mappings().first()
    return dict(row) if row else None


def set_language(conn: Connection, user_id: int, language: str) -> None:
    conn.execute(users.update().where(users.c.id == user_id).values(language=language))


def extend_session(conn: Connection, session_id: int, expires_at: datetime) -> None:
    conn.execute(sessions.update().where(sessions.c.id == session_id)
                 .values(expires_at=expires_at))


def delete_session(conn: Connection, token_hash: str) -> None:
    conn.execute(sessions.delete().where(sessions.c.token_hash == token_hash))


def delete_user_sessions(conn: Connection, user_id: int) -> int:
    return conn.execute(sessions.delete().where(sessions.c.user_id == user_id)).rowcount


def delete_expired_sessions(conn: Connection, now: datetime) -> None:
    conn.execute(sessions.delete().where(sessions.c.expires_at <= now))


# -- sign-in attempts -------------------------------------------------------------------


def record_attempt(conn: Connection, username: str, ip: str, at: datetime, outcome: str) -> None:
    conn.execute(login_attempts.insert().values(username=username, ip=ip, at=at,
                                                outcome=outcome))


def failure_times(conn: Connection, username: str, ip: str, since: datetime) -> list[datetime]:
    """Times of failed attempts at or after ``since`` for this username from this address,
    since the newest successful sign-in of the same pair (whoever got in from there has shown
    they know the password; a success elsewhere does not clear a stranger's count)."""
    a = login_attempts
    pair = (a.c.username == username) & (a.c.ip == ip)
    last_ok = select(func.max(a.c.at)).where(pair, a.c.outcome == "success").scalar_subquery()
    q = (select(a.c.at)
         .where(pair, a.c.outcome == "failure", a.c.at >= since)
         .where((last_ok.is_(None)) | (a.c.at > last_ok)))
    return list(conn.execute(q.order_by(a.c.at)).scalars())


# -- API tokens -------------------------------------------------------------------------


def insert_token(conn: Connection, **values: Any) -> int:
    return conn.execute(api_tokens.insert().values(**values)).inserted_primary_key[0]


def live_token(conn: Connection, token_hash: str) -> dict[str, Any] | None:
    """The unrevoked token with this hash, joined to its (active) user."""
    q = (select(api_tokens.c.id.label("token_id"), api_tokens.c.scope,
                api_tokens.c.last_used_at, api_tokens.c.last_used_ip, users)
         .join(users, users.c.id == api_tokens.c.user_id)
         .where(api_tokens.c.token_hash == token_hash, api_tokens.c.revoked_at.is_(None),
                users.c.active.is_(True)))
    row = conn.execute(q).mappings().first()
    return dict(row) if row else None


def touch_token(conn: Connection, token_id: int, at: datetime, ip: str | None) -> None:
    conn.execute(api_tokens.update().where(api_tokens.c.id == token_id)
                 .values(last_used_at=at, last_used_ip=ip))


TOKEN_COLUMNS = (api_tokens.c.id, api_tokens.c.scope, api_tokens.c.label,
                 api_tokens.c.created_at, api_tokens.c.last_used_at, api_tokens.c.last_used_ip,
                 api_tokens.c.revoked_at)


def tokens_of(conn: Connection, user_id: int) -> list[dict[str, Any]]:
    q = select(*TOKEN_COLUMNS).where(api_tokens.c.user_id == user_id).order_by(api_tokens.c.id)
    return [dict(r) for r in conn.execute(q).mappings()]


def all_tokens(conn: Connection, *, live_only: bool = False) -> list[dict[str, Any]]:
    """Every user's tokens with the username, oldest first (for administrators)."""
    q = (select(*TOKEN_COLUMNS, users.c.username)
         .join(users, users.c.id == api_tokens.c.user_id).order_by(api_tokens.c.id))
    if live_only:
        q = q.where(api_tokens.c.revoked_at.is_(None))
    return [dict(r) for r in conn.execute(q).mappings()]


def revoke_token(conn: Connection, token_id: int, user_id: int, at: datetime) -> bool:
    """Revoke one of the user's live tokens; False when there is no such token."""
    result = conn.execute(api_tokens.update()
                          .where(api_tokens.c.id == token_id, api_tokens.c.user_id == user_id,
                                 api_tokens.c.revoked_at.is_(None))
                          .values(revoked_at=at))
    return result.rowcount == 1


# -- account events ---------------------------------------------------------------------


def record_event(conn: Connection, username: str, action: str, detail: dict[str, Any], *,
                 by: str, at: datetime) -> None:
    conn.execute(account_events.insert().values(username=username, action=action,
                                                detail=detail, by=by, at=at))


def events(conn: Connection, username: str | None = None) -> list[dict[str, Any]]:
    q = select(account_events).order_by(account_events.c.id)
    if username is not None:
        q = q.where(account_events.c.username == username)
    return [dict(r) for r in conn.execute(q).mappings()]


# -- the audit log ----------------------------------------------------------------------


def append_audit(conn: Connection, *, at: datetime, action: str, actor: str,
                 subject: str | None, ip: str | None, detail: dict[str, Any]) -> None:
    conn.execute(audit_log.insert().values(at=at, action=action, actor=actor, subject=subject,
                                           ip=ip, detail=detail))


def audit_entries(conn: Connection, *, subject: str | None = None, action: str | None = None,
                  since: datetime | None = None, limit: int | None = None
                  ) -> list[dict[str, Any]]:
    """Audit entries, newest first, optionally for one subject or action and from a time."""
    q = select(audit_log).order_by(audit_log.c.id.desc())
    if subject is not None:
        q = q.where(audit_log.c.subject == subject)
    if action is not None:
        q = q.where(audit_log.c.action == action)
    if since is not None:
        q = q.where(audit_log.c.at >= since)
    if limit is not None:
        q = q.limit(limit)
    return [dict(r) for r in conn.execute(q).mappings()]
