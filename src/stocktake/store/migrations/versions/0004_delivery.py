"""Delivery: versioned plans and chains, assessments, stocktake schedules, stocktakes,
actions and their updates. All append-only.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _versioned(name: str) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("priority", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
    )
    op.create_index(f"ux_{name}", name, ["priority", "version"], unique=True)


def upgrade() -> None:
    _versioned("plan_versions")
    _versioned("chain_versions")
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("priority", sa.String(64), nullable=False, index=True),
        sa.Column("round", sa.String(64), nullable=False),
        sa.Column("assessed_on", sa.String(10), nullable=False),
        sa.Column("likelihood", sa.String(16), nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "stocktake_schedules",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("priority", sa.String(64), nullable=False, index=True),
        sa.Column("cadence", sa.JSON, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "stocktakes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("priority", sa.String(64), nullable=False, index=True),
        sa.Column("held_on", sa.String(10), nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "actions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("priority", sa.String(64), nullable=False, index=True),
        sa.Column("stocktake_id", sa.Integer, sa.ForeignKey("stocktakes.id"), nullable=False,
                  index=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("owner", sa.Text, nullable=False),
        sa.Column("due", sa.String(10), nullable=False),
        sa.Column("raised_on", sa.String(10), nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "action_updates",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("action_id", sa.Integer, sa.ForeignKey("actions.id"), nullable=False,
                  index=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("on_date", sa.String(10), nullable=False),
        sa.Column("by", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    for name in ("action_updates", "actions", "stocktakes", "stocktake_schedules",
                 "assessments", "chain_versions", "plan_versions"):
        op.drop_table(name)
