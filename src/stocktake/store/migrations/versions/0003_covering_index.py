"""A covering index on observations: the reads a submission makes (the stored values and
history around a batch) then come from the index alone.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_observations_cover", "observations",
                    ["indicator_id", "unit_id", "period", "recorded_at", "value", "batch_id"])
    op.drop_index("ix_observations_key", "observations")


def downgrade() -> None:
    op.create_index("ix_observations_key", "observations",
                    ["indicator_id", "unit_id", "period", "recorded_at"])
    op.drop_index("ix_observations_cover", "observations")
