"""Tables for accounts: users and their roles, sessions, sign-in attempts, API tokens and an
append-only log of account changes (migration 0005); the audit log of security events
(migration 0008). Same MetaData as ``schema``.

Secrets are never stored: passwords as argon2id hashes, session and API tokens as the
SHA-256 of the random token the client holds.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from .schema import metadata

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),  # admin | analyst | owner | provider | executive
    Column("password_hash", Text, nullable=False),
    Column("unit", String(64), nullable=True),  # a provider's unit (and every unit below it)
    Column("priorities", JSON, nullable=False),  # an owner's priority codes
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("last_login_at", DateTime, nullable=True),
    Column("language", String(8), nullable=True),  # the web's language they chose (0014)
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False, index=True),  # slides forward with use
    Column("ip", String(64), nullable=True),
)

# Every sign-in attempt (the rate limit reads these, so it holds across workers and restarts).
login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False),
    Column("ip", String(64), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("outcome", String(16), nullable=False),  # success | failure | refused
    Index("ix_login_attempts_username", "username", "at"),
    Index("ix_login_attempts_ip", "ip", "at"),
    Index("ix_login_attempts_pair", "username", "ip", "at"),  # the throttle's one question
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("scope", String(80), nullable=False),  # "read" or "unit:<code>"
    Column("label", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("last_used_at", DateTime, nullable=True),
    Column("revoked_at", DateTime, nullable=True),
    Column("last_used_ip", String(64), nullable=True),
)

# Who changed which account, when and how: appended, never edited.
account_events = Table(
    "account_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, index=True),
    Column("action", String(32), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("by", Text, nullable=False),
    Column("at", DateTime, nullable=False),
)


# Security events (sign-ins and their failures, account changes, tokens, model loads): who,
# what, on whom, when and from which address. Append-only: the database refuses UPDATE and
# DELETE on it (triggers made by migration 0008).
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False, index=True),
    Column("action", String(32), nullable=False),
    Column("actor", Text, nullable=False),  # a username, "cli", "demo" or "anonymous"
    Column("subject", Text, nullable=True),  # the account (or model) acted on
    Column("ip", String(64), nullable=True),  # None: not over the network (the CLI)
    Column("detail", JSON, nullable=False),
    Index("ix_audit_log_subject", "subject", "at"),
)
