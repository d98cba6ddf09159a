"""Commitments in two languages (issue #18): each commitment's text and rationale in French
beside the English, "" where none is given (every commitment loaded before this one).

Revision ID: 0016_commitments_french
Revises: 0015_review_actions
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_commitments_french"
down_revision = "0015_review_actions"
branch_labels = None
depends_on = None

COLUMNS = ("text_fr", "rationale_fr")


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column("commitments",
                      sa.Column(name, sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("commitments") as batch:
        for name in COLUMNS:
            batch.drop_column(name)
