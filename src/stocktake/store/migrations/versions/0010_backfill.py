"""Batches of history loaded after the fact: a batch marked ``backfill`` brought values
that were published long before they were recorded here, so their timeliness is not
judged by when they arrived; ``published`` is when the source really published them,
where known.

Revision ID: 0010_backfill
Revises: 0009_alert_reviews
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_backfill"
down_revision = "0009_alert_reviews"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ALTER TABLE ... ADD COLUMN on both: a NOT NULL column with a constant default
    # is allowed on SQLite too. (A batch operation would copy the table and drop the old
    # one, which the findings' foreign key to batches forbids once there are findings.)
    op.add_column("batches", sa.Column("backfill", sa.Boolean, nullable=False,
                                       server_default=sa.false()))
    op.add_column("batches", sa.Column("published", sa.Date, nullable=True))


def downgrade() -> None:
    # SQLite (3.35+) drops a column in place when no index or constraint names it.
    op.drop_column("batches", "published")
    op.drop_column("batches", "backfill")
