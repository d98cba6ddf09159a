"""Tables for reminders by e-mail (migration 0012): the address book, every message sent or
tried, and the leases that let one process at a time run a pass. Same MetaData as ``schema``.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from .schema import metadata

# Who can be written to: an account (kind "user", key its username), a reporting unit's
# contact (kind "unit", key the unit code) or a person named as an owner or attendee in
# plans and stocktakes (kind "person", key the name as written there). ``reminders`` lists
# the kinds of reminder wanted; None means every kind that concerns them.
mail_addresses = Table(
    "mail_addresses",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),  # user | unit | person
    Column("key", String(200), nullable=False),
    Column("address", String(320), nullable=False),
    Column("reminders", JSON, nullable=True),
    Column("simulated", Boolean, nullable=False),  # the demo's made-up addresses
    Column("updated_by", Text, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("kind", "key", name="uq_mail_addresses_kind_key"),
)

# Every message a pass sent or tried. ``event_key`` is unique: the row is written before
# the message goes out, so no event is mailed twice, even by two passes at once. A send
# that failed is retried by the next pass; one cut off mid-send stays "sending" (at most
# once: better a missed reminder than a duplicate).
mail_messages = Table(
    "mail_messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_key", String(255), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),  # late_returns | stocktakes | due | digest
    Column("recipient", String(320), nullable=False),
    Column("name", Text, nullable=False),  # whom the address belongs to, as listed
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("attachment", Text, nullable=True),  # the attached file's name
    Column("status", String(16), nullable=False),  # sending | sent | failed
    Column("error", Text, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("sent_at", DateTime, nullable=True),
)

# A lease on a named job: whoever holds an unexpired one runs it; taken and renewed with a
# conditional UPDATE (or the first INSERT), which SQLite and PostgreSQL both make atomic.
leases = Table(
    "leases",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(128), nullable=False),
    Column("expires_at", DateTime, nullable=False),
)
