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
    # batch_alter_table: SQLite cannot add a NOT NULL column with a default otherwise
    # on every version; on PostgreSQL it is a plain ALTER TABLE.
    with op.batch_alter_table("batches") as batch:
        batch.add_column(sa.Column("backfill", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("published", sa.Date, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("batches") as batch:
        batch.drop_column("published")
        batch.drop_column("backfill")
