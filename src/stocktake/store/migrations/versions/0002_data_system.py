"""The data system: data sets and rules in the model, batch scope and status, findings kept
for follow-up, quarantined rows, and approvals that lock a unit's period.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for name in ("datasets", "rules"):
        op.create_table(
            name,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("code", sa.String(64), nullable=False, unique=True),
            sa.Column("definition", sa.JSON, nullable=False),
            sa.Column("active", sa.Boolean, nullable=False),
        )
    with op.batch_alter_table("batches") as batch:
        batch.add_column(sa.Column("status", sa.String(16), nullable=False,
                                   server_default="accepted"))
        batch.add_column(sa.Column("scope", sa.String(64), nullable=True))
        batch.add_column(sa.Column("warnings", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("quarantined", sa.Integer, nullable=False,
                                   server_default="0"))
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id"), nullable=False,
                  index=True),
        sa.Column("row", sa.Integer, nullable=True),
        sa.Column("column", sa.String(128), nullable=True),
        sa.Column("value", sa.Text, nullable=True),
        sa.Column("check", sa.String(128), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("indicator", sa.String(64), nullable=True),
        sa.Column("unit", sa.String(64), nullable=True),
        sa.Column("period", sa.String(10), nullable=True),
    )
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id"), nullable=False,
                  index=True),
        sa.Column("row", sa.Integer, nullable=False),
        sa.Column("indicator", sa.Text, nullable=True),
        sa.Column("unit", sa.Text, nullable=True),
        sa.Column("period", sa.Text, nullable=True),
        sa.Column("value", sa.Text, nullable=True),
        sa.Column("resolved_by", sa.Integer, sa.ForeignKey("batches.id"), nullable=True),
    )
    op.create_table(
        "approvals",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("unit", sa.String(64), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),  # approve | reopen
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("by", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_index("ix_approvals_key", "approvals", ["unit", "period"])


def downgrade() -> None:
    op.drop_index("ix_approvals_key", "approvals")
    for name in ("approvals", "quarantine", "findings", "rules", "datasets"):
        op.drop_table(name)
    with op.batch_alter_table("batches") as batch:
        for col in ("quarantined", "warnings", "scope", "status"):
            batch.drop_column(col)
