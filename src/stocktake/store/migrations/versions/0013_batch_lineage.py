"""The lineage of computed batches: for each indicator of a batch that ``stocktake compute``
submitted, its definition, the query the engine ran, the engine, the source and the
source's snapshot, so "where did this number come from?" has an answer in the store.

Revision ID: 0013_batch_lineage
Revises: 0010_backfill
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_batch_lineage"
down_revision = "0012_mail"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batch_lineage",
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id"), nullable=False),
        sa.Column("indicator", sa.String(64), nullable=False),
        sa.Column("engine", sa.String(16), nullable=False),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("source", sa.JSON, nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("snapshot", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("batch_id", "indicator"),
    )


def downgrade() -> None:
    op.drop_table("batch_lineage")
