"""Each user's language for the web (issue #18): English or French, chosen with the switch
on every page and remembered for the account; none until they choose.

Revision ID: 0014_user_language
Revises: 0013_batch_lineage
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_user_language"
down_revision = "0013_batch_lineage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("language", sa.String(8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("language")
