"""Commitments and escalation (issue #17): the commitments tracker, each commitment's status
changes, each priority's intensity changes and its priority reviews. Every history table is
appended, never edited: what was known at T is what was recorded at or before T.

Revision ID: 0011_commitments
Revises: 0010_backfill
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_commitments"
down_revision = "0010_backfill"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "commitments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("minister", sa.Text, nullable=False),
        sa.Column("department", sa.Text, nullable=False),
        sa.Column("partners", sa.JSON, nullable=False),
        sa.Column("rationale", sa.Text, nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("priority", sa.String(64), nullable=True),
        sa.Column("indicator", sa.String(64), nullable=True),
        sa.Column("public", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "commitment_statuses",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("commitment", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("by", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_commitment_statuses_commitment", "commitment_statuses",
                    ["commitment"])
    op.create_table(
        "priority_intensity",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("priority", sa.String(64), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("by", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_priority_intensity_priority", "priority_intensity", ["priority"])
    op.create_table(
        "priority_reviews",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("priority", sa.String(64), nullable=False),
        sa.Column("review", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("by", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("ux_priority_reviews", "priority_reviews", ["review", "version"],
                    unique=True)


def downgrade() -> None:
    op.drop_index("ux_priority_reviews", table_name="priority_reviews")
    op.drop_table("priority_reviews")
    op.drop_index("ix_priority_intensity_priority", table_name="priority_intensity")
    op.drop_table("priority_intensity")
    op.drop_index("ix_commitment_statuses_commitment", table_name="commitment_statuses")
    op.drop_table("commitment_statuses")
    op.drop_table("commitments")
