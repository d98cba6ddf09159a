"""Actions raised by priority reviews (issue #17): each recommendation of a reported review
is an action in the same table as a stocktake's, so it is listed, followed up and reminded
of the same way. An action now comes from a stocktake (``stocktake_id``) or from a review
(``review``, its number), exactly one of the two.

The recommendations of reviews already reported become actions here, with the history of
their statuses read from the review's versions.

Revision ID: 0015_review_actions
Revises: 0014_user_language
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0015_review_actions"
down_revision = "0014_user_language"
branch_labels = None
depends_on = None

actions = sa.table("actions", sa.column("id", sa.Integer), sa.column("priority", sa.String),
                   sa.column("review", sa.Integer), sa.column("code", sa.String),
                   sa.column("text", sa.Text), sa.column("owner", sa.Text),
                   sa.column("due", sa.String), sa.column("raised_on", sa.String),
                   sa.column("recorded_at", sa.DateTime))
updates = sa.table("action_updates", sa.column("action_id", sa.Integer),
                   sa.column("status", sa.String), sa.column("note", sa.Text),
                   sa.column("on_date", sa.String), sa.column("by", sa.Text),
                   sa.column("recorded_at", sa.DateTime))
reviews = sa.table("priority_reviews", sa.column("id", sa.Integer),
                   sa.column("priority", sa.String), sa.column("review", sa.Integer),
                   sa.column("version", sa.Integer), sa.column("document", sa.JSON),
                   sa.column("by", sa.Text), sa.column("at", sa.DateTime))


def upgrade() -> None:
    def alter(batch: Any) -> None:
        batch.alter_column("stocktake_id", existing_type=sa.Integer, nullable=True)
        batch.add_column(sa.Column("review", sa.Integer, nullable=True))
        batch.create_check_constraint("ck_actions_source",
                                      "(stocktake_id IS NULL) <> (review IS NULL)")

    _alter_actions(alter)
    _actions_of_reported_reviews(op.get_bind())


UPDATE_COLUMNS = "id, action_id, status, note, on_date, by, recorded_at"


def _alter_actions(alter: Callable[[Any], None]) -> None:
    """Alter the actions table. SQLite rebuilds it, and cannot drop a table that another
    refers to while foreign keys are on (they cannot be turned off inside the migration's
    transaction): action_updates is set aside and made again around the rebuild."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute(f"CREATE TABLE _action_updates_0015 AS SELECT {UPDATE_COLUMNS} "
                   "FROM action_updates")
        op.drop_index("ix_action_updates_action_id", table_name="action_updates")
        op.drop_table("action_updates")
    with op.batch_alter_table("actions") as batch:
        alter(batch)
    if sqlite:
        op.create_table(  # as 0004_delivery made it
            "action_updates",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("action_id", sa.Integer, sa.ForeignKey("actions.id"), nullable=False,
                      index=True),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("note", sa.Text, nullable=False),
            sa.Column("on_date", sa.String(10), nullable=False),
            sa.Column("by", sa.Text, nullable=False),
            sa.Column("recorded_at", sa.DateTime, nullable=False),
        )
        op.execute(f"INSERT INTO action_updates ({UPDATE_COLUMNS}) SELECT {UPDATE_COLUMNS} "
                   "FROM _action_updates_0015")
        op.execute("DROP TABLE _action_updates_0015")


def _actions_of_reported_reviews(bind: sa.Connection) -> None:
    """Each recommendation of every review's versions: an action from the version that
    reported it, and an update at each later version that changed its status or note."""
    rows = bind.execute(sa.select(reviews).order_by(reviews.c.review, reviews.c.version))
    seen: dict[tuple[int, str], tuple[int, str, str]] = {}  # -> action id, status, note
    for r in rows.mappings():
        at: datetime = r["at"]
        for rec in (r["document"] or {}).get("recommendations", []):
            key = (r["review"], rec["code"])
            status, note = rec.get("status", "open"), rec.get("note", "")
            if key not in seen:
                action_id = bind.execute(actions.insert().values(
                    priority=r["priority"], review=r["review"], code=rec["code"],
                    text=rec["text"], owner=rec["owner"], due=rec["due"],
                    raised_on=at.date().isoformat(), recorded_at=at
                ).returning(actions.c.id)).scalar_one()
                bind.execute(updates.insert().values(
                    action_id=action_id, status="open", note="raised",
                    on_date=at.date().isoformat(), by=r["by"], recorded_at=at))
                seen[key] = (action_id, "open", "")
            action_id, was, noted = seen[key]
            if (status, note) != (was, noted):
                bind.execute(updates.insert().values(
                    action_id=action_id, status=status, note=note if note != noted else "",
                    on_date=at.date().isoformat(), by=r["by"], recorded_at=at))
                seen[key] = (action_id, status, note)


def downgrade() -> None:
    bind = op.get_bind()
    gone = sa.select(actions.c.id).where(actions.c.review.is_not(None))
    bind.execute(updates.delete().where(updates.c.action_id.in_(gone)))
    bind.execute(actions.delete().where(actions.c.review.is_not(None)))

    def alter(batch: Any) -> None:
        batch.drop_constraint("ck_actions_source", type_="check")
        batch.drop_column("review")
        batch.alter_column("stocktake_id", existing_type=sa.Integer, nullable=False)

    _alter_actions(alter)
