"""A priority review's recommendations are actions (issue #17): listed with the actions of
the stocktakes, followed up from either side onto one record, reminded of to their owners,
and made from the reviews of a database upgraded from before (migration 0015). Real SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from alembic import command

from stocktake.delivery.errors import DeliveryError
from stocktake.services.admin.addresses import set_address
from stocktake.services.routines.escalation import (
    commission_review,
    escalation,
    follow_up,
    report_review,
)
from stocktake.services.routines.reminders import remind
from stocktake.services.routines.stocktakes import list_actions, update_action
from stocktake.store.db import _alembic_config, open_engine
from stocktake.store.schema import action_updates, actions
from stocktake.store.schema_commitments import priority_reviews

from .test_commitments import T0, T1, T2
from .test_commitments import world as world  # noqa: F401  (the fixture)
from .test_reminders import AS_OF, build_world

RECOMMENDATIONS = [{"text": "Raise pay", "owner": "Treasury", "due": "2024-06-30"},
                   {"text": "Fast hiring", "owner": "Health", "due": "2024-04-30"}]


def reported(engine, at=T1) -> int:
    n = commission_review(engine, "P1", scope="Why recruitment stalls", team=["DU"],
                          by="ana", at=T0).review["number"]
    report_review(engine, n, findings="Pay is uncompetitive",
                  recommendations=RECOMMENDATIONS, by="ana", at=at)
    return n


def counts(engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return tuple(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                     for t in (actions, action_updates, priority_reviews))


def test_recommendations_are_actions_followed_up_on_one_record(world):  # noqa: F811
    assert list_actions(world).actions == ()
    n = reported(world)
    listed = list_actions(world, as_of=T1).actions
    assert [(a.code, a.owner, a.due, a.status, a.review, a.raised_on) for a in listed] == [
        ("R1", "Treasury", "2024-06-30", "open", n, "2024-02-20"),
        ("R2", "Health", "2024-04-30", "open", n, "2024-02-20")]
    r1, r2 = (a.id for a in listed)
    # Followed up as an action: the review reads the same status and note.
    update_action(world, r1, status="in_progress", note="Pay talks begun", by="owner",
                  at=T2)
    # Followed up from the review: the action records it.
    follow_up(world, n, "R2", status="done", note="Launched", by="ana", at=T2)
    listed_after = list_actions(world)
    after = {a.code: a for a in listed_after.actions}
    # Counted as done, but not "since the last stocktake": a review's report is not one.
    assert (listed_after.summary["done"], listed_after.summary["done_since_last"]) == (1, 0)
    assert (after["R1"].status, after["R2"].status) == ("in_progress", "done")
    assert [(u.status, u.note, u.by) for u in after["R2"].updates] == [
        ("open", "raised", "ana"), ("done", "Launched", "ana")]
    [review] = escalation(world).priorities[0].reviews
    assert [(r["code"], r["status"], r["note"]) for r in review["recommendations"]] == [
        ("R1", "in_progress", "Pay talks begun"), ("R2", "done", "Launched")]
    # Reopening a done recommendation needs a note, as any action: nothing changes.
    before = counts(world)
    with pytest.raises(DeliveryError):
        follow_up(world, n, "R2", status="open", by="ana", at=datetime(2024, 3, 20))
    assert counts(world) == before
    # As known before the follow-ups: both open.
    then = escalation(world, as_of=datetime(2024, 3, 1)).priorities[0].reviews[0]
    assert {r["status"] for r in then["recommendations"]} == {"open"}


def test_a_reminder_pass_reminds_a_recommendations_owner(engine, small_model_dir):
    world = build_world(engine, small_model_dir)
    n = commission_review(world, "P1", scope="Late returns", team=["DU"], by="ana",
                          at=datetime(2024, 12, 23))
    report_review(world, n.review["number"], findings="Providers lack staff",
                  recommendations=[{"text": "Fund two analysts", "owner": "Finance team",
                                    "due": "2024-12-31"}], by="ana",
                  at=datetime(2024, 12, 24))
    set_address(world, "person", "Finance team", "finance@example.test", by="t")
    preview = remind(world, as_of=AS_OF, dry_run=True)
    [mail] = [r for r in preview.reminders if r.to.address == "finance@example.test"]
    assert mail.kind == "due" and mail.subject == "Actions and milestones: 1 overdue"
    assert "action R1 (P1): Fund two analysts" in mail.body
    assert "due 2024-12-31, 10 days overdue" in mail.body  # to 10 January 2025


def test_the_upgrade_makes_actions_of_reviews_reported_before(db_url):
    # A review reported and followed up at schema 0013, before recommendations were actions.
    old = open_engine(db_url, migrate=False)
    cfg = _alembic_config()
    with old.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0013_batch_lineage")
    doc = {"number": 1, "priority": "P1", "stage": "reported", "commissioned_on": "2024-01-05",
           "scope": "S", "team": ["DU"], "findings": "F", "version": 1,
           "recommendations": [{**r, "code": f"R{i + 1}", "status": "open", "note": ""}
                               for i, r in enumerate(RECOMMENDATIONS)]}
    followed = {**doc, "version": 2, "recommendations": [
        doc["recommendations"][0], {**doc["recommendations"][1], "status": "done",
                                    "note": "Launched"}]}
    with old.begin() as conn:
        for version, d, at in ((1, doc, T1), (2, followed, T2)):
            conn.execute(priority_reviews.insert().values(
                priority="P1", review=1, version=version, document=d, by="ana", reason="x",
                at=at))
    old.dispose()
    engine = open_engine(db_url)  # upgraded to the newest schema
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(actions).order_by(actions.c.id)).mappings().all()
            ups = conn.execute(sa.select(action_updates).order_by(action_updates.c.id)
                               ).mappings().all()
        assert [(r["code"], r["review"], r["stocktake_id"], r["owner"], r["raised_on"])
                for r in rows] == [("R1", 1, None, "Treasury", "2024-02-20"),
                                   ("R2", 1, None, "Health", "2024-02-20")]
        r2 = rows[1]["id"]
        assert [(u["status"], u["note"], u["on_date"]) for u in ups
                if u["action_id"] == r2] == [("open", "raised", "2024-02-20"),
                                             ("done", "Launched", "2024-03-10")]
    finally:
        engine.dispose()
