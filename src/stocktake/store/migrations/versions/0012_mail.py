"""Reminders by e-mail: the address book (accounts, units' contacts, named people), every
message sent or tried (unique by event, so none goes twice), and leases so that one process
at a time runs a pass.

Revision ID: 0012_mail
Revises: 0010_backfill
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_mail"
down_revision = "0011_commitments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_addresses",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("reminders", sa.JSON, nullable=True),
        sa.Column("simulated", sa.Boolean, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("kind", "key", name="uq_mail_addresses_kind_key"),
    )
    op.create_table(
        "mail_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("event_key", sa.String(255), nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("attachment", sa.Text, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("sent_at", sa.DateTime, nullable=True),
    )
    op.create_table(
        "leases",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("leases")
    op.drop_table("mail_messages")
    op.drop_table("mail_addresses")
