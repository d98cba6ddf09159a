"""The commitments tracker and escalation on real databases (SQLite and PostgreSQL): loading
from CSV and YAML, status changes with reasons, the counts and the movement since the last
report, the public filter; intensity and priority reviews. Every expected count is worked
out by hand from the rows written here."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from stocktake.errors import Conflict, Invalid, NotFound
from stocktake.services.data.model_service import load_model
from stocktake.services.routines.commitments import (
    commitments_csv,
    commitments_report,
    load_commitments,
    set_status,
)
from stocktake.services.routines.escalation import (
    close_review,
    commission_review,
    escalation,
    follow_up,
    report_review,
    set_intensity,
)
from stocktake.store.schema_commitments import commitment_statuses, commitments

EXAMPLE = Path(__file__).parents[2] / "examples" / "commitments" / "commitments.csv"

T0, T1, T2 = datetime(2024, 1, 5), datetime(2024, 2, 20), datetime(2024, 3, 10)


@pytest.fixture
def world(engine: Engine, small_model_dir: Path) -> Engine:
    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2024, 1, 2))
    return engine


@pytest.fixture
def loaded(world: Engine, tmp_path: Path) -> Engine:
    done = load_commitments(world, EXAMPLE, by="ana", at=T0)
    assert (done.added, done.updated, done.status_changes) == (4, 0, 0)
    return world


def count(engine: Engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_load_counts_and_filters(loaded):
    r = commitments_report(loaded, as_of=T1)
    assert r.total == 4
    assert r.by_status == {"completed_fully": 1, "completed_modified": 0, "on_track": 2,
                           "facing_challenges": 0, "not_pursued": 1}
    assert r.by_minister["Minister of Health"]["on_track"] == 1
    assert r.by_minister["Minister of Health"]["completed_fully"] == 1
    assert r.by_department["Finance"]["not_pursued"] == 1
    c1 = next(c for c in r.commitments if c["code"] == "C1")
    assert c1["partners"] == ["Ontario", "Quebec"] and c1["priority"] == "P1"
    assert c1["label"] == "underway, on track"
    assert commitments_report(loaded, as_of=T1, minister="minister of health").total == 2
    assert commitments_report(loaded, as_of=T1, status="not being pursued").total == 1
    assert [c["code"] for c in commitments_report(loaded, as_of=T1,
                                                  search="ROADS fix").commitments] == ["C4"]
    assert {c["code"] for c in commitments_report(loaded, as_of=T1,
                                                  public_only=True).commitments} == {"C1", "C2"}
    paged = commitments_report(loaded, as_of=T1, page=2, per_page=3)
    assert (paged.pages, paged.page, [c["code"] for c in paged.commitments]) == (2, 2, ["C4"])
    # The public CSV: published only, with the day the data are as of.
    text = commitments_csv(commitments_report(loaded, as_of=T1, public_only=True,
                                              per_page=0))
    lines = text.splitlines()
    assert lines[0].endswith(",data_as_of") and len(lines) == 3
    assert "C3" not in text and lines[1].endswith(",2024-02-20")


def test_status_change_kept_and_movement_since(loaded):
    # Refused, and nothing recorded: no reason, an unknown status, an unknown code.
    with pytest.raises(Invalid):
        set_status(loaded, "C1", "not_pursued", reason=" ", by="ana", at=T1)
    with pytest.raises(Invalid):
        set_status(loaded, "C1", "done", reason="x", by="ana", at=T1)
    with pytest.raises(NotFound, match="did you mean 'C1'"):
        set_status(loaded, "c1", "on_track", reason="x", by="ana", at=T1)
    assert count(loaded, commitment_statuses) == 4
    set_status(loaded, "C1", "underway, facing challenges", reason="Recruitment stalled",
               by="ana", at=T1)
    r = commitments_report(loaded, as_of=T2, since=datetime(2024, 2, 1))
    assert [(m["code"], m["before"], m["after"]) for m in r.movements] == [
        ("C1", "on_track", "facing_challenges")]
    assert r.movements[0]["reason"] == "Recruitment stalled"
    # Before the change, read as it was: no movement, C1 on track.
    then = commitments_report(loaded, as_of=datetime(2024, 2, 1), since=T0)
    assert then.movements == ()
    assert next(c for c in then.commitments if c["code"] == "C1")["status"] == "on_track"
    c1 = next(c for c in r.commitments if c["code"] == "C1")
    assert [(h["status"], h["by"]) for h in c1["history"]] == [
        ("on_track", "ana"), ("facing_challenges", "ana")]
    # Default since: 30 days before the moment read; T0's loads are older than that.
    assert [m["code"] for m in commitments_report(loaded, as_of=T2).movements] == ["C1"]


def test_reload_records_only_changes(loaded, tmp_path):
    f = tmp_path / "again.yaml"
    f.write_text("commitments:\n"
                 "- {code: C4, text: Fix the roads, minister: Minister of Transport,\n"
                 "   department: Transport, status: completed fully, reason: Done}\n"
                 "- {code: C5, text: New, minister: Minister of Transport,\n"
                 "   department: Transport}\n", encoding="utf-8")
    done = load_commitments(loaded, f, by="bo", at=T1)
    assert (done.added, done.status_changes) == (1, 1)
    assert count(loaded, commitment_statuses) == 6


def test_bad_rows_all_listed_and_nothing_loaded(world, tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("code,text,minister,department,status,priority,evidence\n"
                 "C1,A,M,D,not being pursued,,\n"
                 "C2,B,,D,underway on track,P9,javascript:alert(1)\n", encoding="utf-8")
    with pytest.raises(Invalid) as e:
        load_commitments(world, f, by="ana", at=T0)
    wheres = [p.where for p in e.value.problems]
    assert wheres == ["bad.csv:2", "bad.csv:3", "bad.csv:3", "bad.csv:3", "bad.csv:3"]
    assert "a web address" in e.value.problems[4].message
    assert "needs a reason" in e.value.problems[0].message
    assert "did you mean 'underway, on track'" in e.value.problems[2].message
    assert count(world, commitments) == 0


def test_intensity_history(world):
    assert escalation(world).priorities[0].level == "routine"
    set_intensity(world, "P1", "intensive", reason="Off track two quarters", by="ana", at=T0)
    after = set_intensity(world, "P1", "crisis", reason="Worse", by="ana", at=T1)
    assert after.level == "crisis"
    assert [h["level"] for h in after.history] == ["intensive", "crisis"]
    assert escalation(world, as_of=datetime(2024, 2, 1)).priorities[0].level == "intensive"
    with pytest.raises(Invalid):
        set_intensity(world, "P1", "urgent", reason="x", by="ana")
    with pytest.raises(Invalid):
        set_intensity(world, "P1", "routine", reason="", by="ana")
    with pytest.raises(NotFound):
        set_intensity(world, "P9", "routine", reason="x", by="ana")


def test_review_lifecycle(world):
    done = commission_review(world, "P1", scope="Why recruitment stalls",
                             team=["Delivery Unit", "Treasury"], by="ana", at=T0)
    n = done.review["number"]
    assert escalation(world).priorities[0].open_reviews == 1
    with pytest.raises(Conflict):
        follow_up(world, n, "R1", status="done", by="ana", at=T1)
    with pytest.raises(Invalid) as e:
        report_review(world, n, findings="F", recommendations=[{"text": "x"}], by="ana",
                      at=T1)
    assert [p.where for p in e.value.problems] == ["recommendations[0].owner",
                                                    "recommendations[0].due"]
    report_review(world, n, findings="Pay is uncompetitive",
                  recommendations=[{"text": "Raise pay", "owner": "Treasury",
                                    "due": "2024-06-30"},
                                   {"text": "Fast hiring", "owner": "Health",
                                    "due": "2024-04-30"}], by="ana", at=T1)
    up = follow_up(world, n, "R2", status="done", note="Launched", by="ana", at=T2)
    assert [(r["code"], r["status"]) for r in up.review["recommendations"]] == [
        ("R1", "open"), ("R2", "done")]
    close_review(world, n, reason="All followed up", by="ana", at=datetime(2024, 4, 1))
    p = escalation(world).priorities[0]
    assert p.open_reviews == 0 and p.reviews[0]["stage"] == "closed"
    assert p.reviews[0]["version"] == 4
    # As it was before the report: commissioned, no recommendations.
    then = escalation(world, as_of=datetime(2024, 2, 1)).priorities[0].reviews[0]
    assert then["stage"] == "commissioned" and then["recommendations"] == []


def test_note_report_and_pack_carry_commitments_and_escalation(loaded):
    from stocktake.reports.render import render_note, render_pack, render_report
    from stocktake.services.publishing.briefings import (
        delivery_report_context,
        monthly_note_context,
    )
    from stocktake.services.publishing.packs import pack_context

    plain = render_note(monthly_note_context(loaded, "2024-01"))
    assert "intensive" not in plain and "review 1" not in plain  # routine: nothing said
    set_status(loaded, "C1", "facing_challenges", reason="Recruitment stalled", by="ana",
               at=T1)
    set_intensity(loaded, "P1", "intensive", reason="Off track two quarters", by="ana",
                  at=T1)
    commission_review(loaded, "P1", scope="Why recruitment stalls", team=["DU"], by="ana",
                      at=T1)
    note = render_note(monthly_note_context(loaded, "2024-02"))
    assert "Commitments: 1 of 4 moved since 1 Feb 2024; 1 underway, facing challenges, " \
        "1 not being pursued." in note
    assert "intensive, review 1" in note
    report = render_report(delivery_report_context(loaded, as_of=T2))
    assert "Hire 100 nurses" in report and "Recruitment stalled" in report
    assert "priority review 1 commissioned: Why recruitment stalls" in report
    assert "1 underway, facing challenges" in report
    pack = render_pack(pack_context(loaded, "P1", as_of=T2))
    assert "Intensity" in pack and "intensive support" in pack
