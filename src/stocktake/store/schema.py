"""Database tables (SQLAlchemy Core). Alembic migrations in ``migrations/`` create them.

Observations are append-only: a correction is a new row (a new vintage), never an
update. The value known at moment T is the key's row of the newest batch recorded at or
before T.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    false,
)

metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

units = Table(
    "units",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("level", String(64), nullable=False),
    Column("parent_code", String(64), nullable=True),
    # Materialised path "/CA/ON/TOR/": "this unit and everything below" is one LIKE.
    Column("path", Text, nullable=False),
    Column("depth", Integer, nullable=False),
    Column("attributes", JSON, nullable=False),
    Column("active", Boolean, nullable=False),
)

indicators = Table(
    "indicators",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("definition", JSON, nullable=False),  # the whole Indicator, as loaded
    Column("period_type", String(16), nullable=False),
    Column("active", Boolean, nullable=False),
)

datasets = Table(
    "datasets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("definition", JSON, nullable=False),
    Column("active", Boolean, nullable=False),
)

rules = Table(
    "rules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("definition", JSON, nullable=False),  # the rule as declared in rules.yaml
    Column("active", Boolean, nullable=False),
)

priorities = Table(
    "priorities",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("definition", JSON, nullable=False),  # the whole Priority, as loaded
    Column("active", Boolean, nullable=False),
)

model_loads = Table(
    "model_loads",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("loaded_at", DateTime, nullable=False),
    Column("source", Text, nullable=False),
    Column("loaded_by", Text, nullable=False),
)

model_changes = Table(
    "model_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("load_id", Integer, ForeignKey("model_loads.id"), nullable=False),
    Column("entity", String(16), nullable=False),  # unit | indicator | priority
    Column("code", String(64), nullable=False),
    Column("action", String(16), nullable=False),  # added | changed | retired
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
)

batches = Table(
    "batches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("checksum", String(64), nullable=False, index=True),
    Column("submitter", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("format", String(16), nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("added", Integer, nullable=False),
    Column("revised", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("status", String(16), nullable=False, server_default="accepted"),  # or partial
    Column("scope", String(64), nullable=True),  # the unit the submitter spoke for
    Column("warnings", Integer, nullable=False, server_default="0"),
    Column("quarantined", Integer, nullable=False, server_default="0"),
    # History loaded after the fact (migration 0010): its values' timeliness is not
    # judged by when they arrived here; ``published`` is when the source published them.
    Column("backfill", Boolean, nullable=False, server_default=false()),
    Column("published", Date, nullable=True),
)

observations = Table(
    "observations",
    metadata,
    # No declared foreign keys: each would cost a lookup in its parent for every row
    # stored (the three: a third of storing a large batch). The ids come from the one
    # write path, store.observations.record_batch, which checks them once per batch;
    # units, indicators and batches are never deleted.
    Column("indicator_id", Integer, nullable=False),  # indicators.id
    Column("unit_id", Integer, nullable=False),  # units.id
    Column("period", String(10), nullable=False),  # canonical code, e.g. 2024-Q1
    # The batch that brought the value (batches.id): its time is the vintage's (batches
    # are recorded in time order, so the highest batch is the newest vintage).
    Column("batch_id", Integer, nullable=False),
    Column("value", Float, nullable=False),
    # The key is the table (SQLite: clustered, no rowid): each value is written once, and
    # the reads around a batch are range scans of it (migration 0006).
    PrimaryKeyConstraint("indicator_id", "unit_id", "period", "batch_id",
                         name="pk_observations"),
    sqlite_with_rowid=False,
)

# Findings kept for follow-up: warnings of accepted batches (e.g. outliers), and the
# errors of quarantined rows.
findings = Table(
    "findings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("batch_id", Integer, ForeignKey("batches.id"), nullable=False, index=True),
    Column("row", Integer, nullable=True),
    Column("column", String(128), nullable=True),
    Column("value", Text, nullable=True),
    Column("check", String(128), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("indicator", String(64), nullable=True),
    Column("unit", String(64), nullable=True),
    Column("period", String(10), nullable=True),
)

# Rows set aside by a --partial submission, as the provider wrote them, until fixed.
quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("batch_id", Integer, ForeignKey("batches.id"), nullable=False, index=True),
    Column("row", Integer, nullable=False),
    Column("indicator", Text, nullable=True),
    Column("unit", Text, nullable=True),
    Column("period", Text, nullable=True),
    Column("value", Text, nullable=True),
    Column("resolved_by", Integer, ForeignKey("batches.id"), nullable=True),
)

# Approval events: a unit's period is locked while its latest event is "approve".
approvals = Table(
    "approvals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("unit", String(64), nullable=False),
    Column("period", String(10), nullable=False),
    Column("action", String(16), nullable=False),  # approve | reopen
    Column("at", DateTime, nullable=False),
    Column("by", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Index("ix_approvals_key", "unit", "period"),
)

# -- delivery: plans, chains, assessments, stocktakes and actions (migration 0004) ----------
# Every table is append-only: a new plan is a new version, a changed rating a new row, an
# action's progress a new update. What was known at T is what was recorded at or before T,
# so a pack for an old --as-of is rebuilt from the plan, ratings and actions of that day.

plan_versions = Table(
    "plan_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("priority", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("document", JSON, nullable=False),  # delivery.plans.Plan.to_dict()
    Column("author", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Index("ux_plan_versions", "priority", "version", unique=True),
)

chain_versions = Table(
    "chain_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("priority", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("document", JSON, nullable=False),  # delivery.chains.Chain.to_dict()
    Column("author", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Index("ux_chain_versions", "priority", "version", unique=True),
)

assessments = Table(
    "assessments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("priority", String(64), nullable=False, index=True),
    Column("round", String(64), nullable=False),
    Column("assessed_on", String(10), nullable=False),  # ISO date
    Column("likelihood", String(16), nullable=False),
    Column("document", JSON, nullable=False),  # delivery.assessments.Assessment.to_dict()
    Column("recorded_by", Text, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
)

stocktake_schedules = Table(
    "stocktake_schedules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("priority", String(64), nullable=False, index=True),
    Column("cadence", JSON, nullable=False),  # {every, unit, start}; the newest row holds
    Column("recorded_by", Text, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
)

stocktakes = Table(
    "stocktakes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("priority", String(64), nullable=False, index=True),
    Column("held_on", String(10), nullable=False),  # ISO date
    Column("document", JSON, nullable=False),  # attendees, pack, summary, decisions
    Column("recorded_by", Text, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
)

actions = Table(
    "actions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("priority", String(64), nullable=False, index=True),
    # Raised at a stocktake or, as a recommendation, by a priority review (its number):
    # exactly one of the two (migration 0015).
    Column("stocktake_id", Integer, ForeignKey("stocktakes.id"), nullable=True, index=True),
    Column("review", Integer, nullable=True),
    Column("code", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("owner", Text, nullable=False),
    Column("due", String(10), nullable=False),  # ISO date
    Column("raised_on", String(10), nullable=False),  # the stocktake's or report's date
    Column("recorded_at", DateTime, nullable=False),
    CheckConstraint("(stocktake_id IS NULL) <> (review IS NULL)", name="ck_actions_source"),
)

# An action's status is its newest update (the first is written with the action).
action_updates = Table(
    "action_updates",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("action_id", Integer, ForeignKey("actions.id"), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("note", Text, nullable=False),
    Column("on_date", String(10), nullable=False),  # ISO date the status changed
    Column("by", Text, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
)

# Rebases of SPC limits the analyst accepted (migration 0007): events appended, never edited.
# A rebase is in force at T while its newest event recorded at or before T is "accept".
spc_rebases = Table(
    "spc_rebases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("indicator", String(64), nullable=False),
    Column("unit", String(64), nullable=False),
    Column("period", String(10), nullable=False),  # the first period of the new limits
    Column("action", String(16), nullable=False),  # accept | remove
    Column("reason", Text, nullable=False),
    Column("by", Text, nullable=False),
    Column("at", DateTime, nullable=False),
    Index("ix_spc_rebases_key", "indicator", "unit"),
)

# Accounts, sessions and API tokens (migration 0005), the reviews of alerts (0008),
# commitments and escalation (0011), the mail of reminders (0012) and the lineage of computed
# batches (0013) live in their own modules, on the same MetaData; imported here so every user
# of the schema sees every table.
from . import (  # noqa: E402,F401
    schema_accounts,
    schema_alerts,
    schema_commitments,
    schema_lineage,
    schema_mail,
)
