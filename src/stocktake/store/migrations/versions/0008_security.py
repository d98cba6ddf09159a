"""Security (issue #15): an append-only audit log of security events, where an API token was
last used from, and an index for throttling sign-in by account and address together.

The audit log refuses UPDATE and DELETE in the database itself (a trigger on SQLite and on
PostgreSQL), so that not even a bug in stocktake can rewrite what happened.

Revision ID: 0008_security
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_security"
down_revision = "0007"
branch_labels = None
depends_on = None

REFUSAL = "audit_log is append-only: its rows are never changed or deleted"

SQLITE_TRIGGERS = [
    f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
    for verb in ("UPDATE", "DELETE")
]
POSTGRES_TRIGGERS = [
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
]


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=True),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_subject", "audit_log", ["subject", "at"])
    op.add_column("api_tokens", sa.Column("last_used_ip", sa.String(64), nullable=True))
    op.create_index("ix_login_attempts_pair", "login_attempts", ["username", "ip", "at"])
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRES_TRIGGERS}.get(
            dialect, []):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    op.drop_index("ix_login_attempts_pair", table_name="login_attempts")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("last_used_ip")
    op.drop_index("ix_audit_log_subject", table_name="audit_log")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
