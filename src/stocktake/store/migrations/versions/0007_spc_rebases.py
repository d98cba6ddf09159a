"""Rebases of SPC limits accepted by an analyst, with their reason, who and when.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "spc_rebases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("indicator", sa.String(64), nullable=False),
        sa.Column("unit", sa.String(64), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("by", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_spc_rebases_key", "spc_rebases", ["indicator", "unit"])


def downgrade() -> None:
    op.drop_index("ix_spc_rebases_key", table_name="spc_rebases")
    op.drop_table("spc_rebases")
