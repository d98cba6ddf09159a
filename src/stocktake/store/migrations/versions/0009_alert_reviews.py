"""The reviews of alerts: an analyst marks an alert explained or confirmed (or reopens it)
with a note; appended, never edited, so the status at any moment can be read back.

Revision ID: 0009_alert_reviews
Revises: 0008_security
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_alert_reviews"
down_revision = "0008_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_reviews",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("alert", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("unit", sa.String(64), nullable=False),
        sa.Column("indicators", sa.Text, nullable=False),
        sa.Column("start", sa.String(10), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("by", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_alert_reviews_alert", "alert_reviews", ["alert"])


def downgrade() -> None:
    op.drop_index("ix_alert_reviews_alert", table_name="alert_reviews")
    op.drop_table("alert_reviews")
