"""Stocktake packs, the monthly note and the delivery report, on the demo world: their
numbers against `stocktake status` for the same --as-of, and regenerated exactly for an
old --as-of after newer data, plans, ratings and actions were recorded."""

import sqlite3
import subprocess
from datetime import datetime

import pytest
from sqlalchemy import delete, update

from stocktake.errors import StocktakeError
from stocktake.reports.formatting import number, percent, signed
from stocktake.services.publishing.briefings import (
    delivery_report_context,
    monthly_note_context,
    write_note,
    write_report,
)
from stocktake.services.publishing.packs import pack_context, write_pack
from stocktake.services.reading.snapshot import Snapshot
from stocktake.services.reading.status import priority_status
from stocktake.store import schema
from stocktake.store.db import get_meta, open_engine, set_meta

AS_OF = datetime(2026, 9, 30, 23, 59, 59)


def _pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def _pages(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines()
                    if line.startswith("Pages:")))


@pytest.fixture(scope="module")
def crime_pdf(demo_engine, tmp_path_factory):
    out = tmp_path_factory.mktemp("packs") / "crime.pdf"
    result = write_pack(demo_engine, "CRIME", str(out), as_of=AS_OF)
    return out, result


def test_the_pack_shows_the_numbers_status_gives_for_the_same_moment(demo_engine, crime_pdf):
    out, _ = crime_pdf
    text = " ".join(_pdf_text(out).split())
    # Computed independently: status with its own forecast at the scope.
    head = priority_status(Snapshot(demo_engine, AS_OF), priority="CRIME", units=True,
                           forecasts="scope").priorities[0]
    assert head.latest.period <= "2026-09"
    for figure in (number(head.latest.value), number(head.expected),
                   signed(head.gap), percent(head.probability_of_meeting)):
        assert figure in text, figure
    for unit in head.units:  # every province with its status word
        assert unit.unit_name in text
    assert "What are you trying to do?" in text and "How can we help?" in text
    assert "Data as of" in text and ("Simulated" in text or "simulated" in text)
    assert _pages(out) >= 6


def test_regenerating_an_old_pack_after_new_records_gives_the_old_numbers(
        demo_engine, tmp_path):
    """A copy of the database cut back to AS_OF (everything recorded later deleted, the
    clock set back) gives, today, the pack the full database gives --as-of AS_OF."""
    if demo_engine.dialect.name != "sqlite":
        pytest.skip("the cut-back copy is made by copying the SQLite file")
    copy = tmp_path / "then.db"
    # The backup API, not a file copy: recent writes may still sit in the WAL file.
    with sqlite3.connect(demo_engine.url.database) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    then = open_engine(f"sqlite:///{copy}")
    with then.begin() as conn:
        for table in (schema.action_updates, schema.plan_versions, schema.chain_versions,
                      schema.assessments, schema.stocktake_schedules):
            conn.execute(delete(table).where(table.c.recorded_at > AS_OF))
        later = [r.id for r in conn.execute(schema.actions.select().where(
            schema.actions.c.recorded_at > AS_OF))]
        conn.execute(delete(schema.action_updates).where(
            schema.action_updates.c.action_id.in_(later)))
        conn.execute(delete(schema.actions).where(schema.actions.c.id.in_(later)))
        conn.execute(delete(schema.stocktakes).where(schema.stocktakes.c.recorded_at > AS_OF))
        gone = schema.batches.select().where(schema.batches.c.recorded_at > AS_OF)
        ids = [r.id for r in conn.execute(gone)]
        for table in (schema.findings, schema.quarantine, schema.observations):
            conn.execute(delete(table).where(table.c.batch_id.in_(ids)))
        conn.execute(update(schema.quarantine).where(schema.quarantine.c.resolved_by.in_(ids))
                     .values(resolved_by=None))
        conn.execute(delete(schema.batches).where(schema.batches.c.id.in_(ids)))
        conn.execute(delete(schema.approvals).where(schema.approvals.c.at > AS_OF))
        set_meta(conn, "clock", AS_OF.isoformat())
    assert get_meta(then, "clock") == AS_OF.isoformat()

    for code in ("CRIME", "HOME"):
        old = _numbers(pack_context(demo_engine, code, as_of=AS_OF))
        assert old == _numbers(pack_context(then, code))
        # ... and they are not simply today's numbers.
        assert old != _numbers(pack_context(demo_engine, code))


def _numbers(c: dict) -> dict:
    h = c["headline"]
    return {
        "latest": h.latest, "expected": h.expected, "gap": h.gap,
        "status": h.status, "probability": h.probability_of_meeting,
        "units": [(u.unit, u.status, u.off_track_run, u.gap) for u in c["units"]],
        "plan": c["plan"] and (c["plan"]["version"], c["plan"]["gaps"]),
        "assessment": c["assessment"].latest and c["assessment"].latest.round,
        "flags": c["assessment"].flags,
        "carried": [(a.code, a.raised_on, a.status, a.days_overdue)
                    for a in c["routine"].carried_over],
        "questions": [q["question"] for q in c["questions"]],
        "quality": [(q.unit, q.score) for q in c["quality"]["units"]],
        "data_as_of": c["data_as_of"],
    }


def test_a_pack_made_twice_for_the_same_moment_is_the_same(demo_engine):
    a = pack_context(demo_engine, "LIT", as_of=AS_OF)
    b = pack_context(demo_engine, "LIT", as_of=AS_OF)
    for c in (a, b):
        c.pop("generated_at")
        c.pop("chain_object")
    assert a == b


def test_the_pack_follows_up_actions_and_flags_a_kind_rating(demo_engine):
    home = pack_context(demo_engine, "HOME")
    # Rated amber/green while the statistics give almost no chance: flagged.
    assert home["assessment"].latest.likelihood == "amber_green"
    assert home["headline"].probability_of_meeting < 0.3
    assert any(f["flag"] == "rated_above_forecast" for f in home["assessment"].flags)
    crime = pack_context(demo_engine, "CRIME")
    carried = crime["routine"].carried_over
    assert carried and all(a.status in ("open", "in_progress") for a in carried)
    assert any(a.days_overdue > 0 for a in carried)
    # A province off track for months is asked about by name, in months.
    runs = [u for u in crime["units"] if u.off_track_run >= 3]
    assert runs
    asked = " ".join(q["question"] for q in crime["questions"])
    assert "months" in asked and any(u.unit_name in asked for u in runs)
    assert crime["plan"]["versions"] >= 2 and crime["chain"].analysis["weak_links"]


def test_the_monthly_note_is_one_page_across_all_priorities(demo_engine, tmp_path):
    note = monthly_note_context(demo_engine, "2026-10")
    assert {p["code"] for p in note["priorities"]} == {"SURG", "CRIME", "LIT", "HOUS", "HOME"}
    assert "HOME" in {o["code"] for o in note["off_track"]}
    assert any(d["code"] == "HOME" for d in note["decisions"])
    # the latest month too: its commitments line and escalation marks must fit as well
    later = tmp_path / "later.pdf"
    write_note(demo_engine, "2026-11", str(later))
    assert _pages(later) == 1
    french = tmp_path / "french.pdf"  # French runs longer: one page as well
    write_note(demo_engine, "2026-11", str(french), lang="fr")
    assert _pages(french) == 1 and "Réalisation des priorités" in _pdf_text(french)
    out = tmp_path / "note.pdf"
    write_note(demo_engine, "2026-10", str(out))
    assert _pages(out) == 1
    text = _pdf_text(out)
    assert "What needs a decision" in text and "October 2026" in text
    with pytest.raises(StocktakeError, match="YYYY-MM"):
        monthly_note_context(demo_engine, "October")


def test_the_delivery_report_ranks_by_likelihood_and_gives_credit(demo_engine, tmp_path):
    report = delivery_report_context(demo_engine)
    order = ["green", "amber_green", "amber_red", "red", None]
    ranks = [order.index(r["likelihood"]) for r in report["league"]]
    assert ranks == sorted(ranks)
    # LIT's target period (2026-06) is complete: a verdict (met, 81.2 against 78.0), in its
    # own group, never ranked as progress (it topped the league as "green" before).
    assert "LIT" not in {r["code"] for r in report["league"]}
    assert [(r["code"], r["status"]) for r in report["concluded"]] == [("LIT", "met")]
    lit = next(s for s in report["successes"] if s["code"] == "LIT")
    assert lit["status"] == "met" and lit["sentence"].startswith("Target met: 81.2% in 2026-06")
    assert lit["credit_units"] and lit["units_ahead"] >= 1
    assert any(c["code"] == "HOME" and c["flags"] for c in report["concerns"])
    assert len(report["quality"]["units"]) == 13
    out = tmp_path / "report.pdf"
    write_report(demo_engine, str(out))
    text = " ".join(_pdf_text(out).split())
    assert "Successes, and who achieved them" in text and lit["credit_units"][0] in text


def test_every_priority_of_the_demo_has_a_pack(demo_engine):
    """Including one whose target date has passed (no forecast to draw)."""
    from stocktake.reports.render import render_pack
    from stocktake.services.reading.series_data import read_model

    for code, p in read_model(demo_engine).priorities.items():
        html = render_pack(pack_context(demo_engine, code))
        assert p.title in html and "How can we help?" in html


def test_a_cancelled_stocktake_is_counted_as_missed(demo_engine):
    from stocktake.services.routines.stocktakes import stocktake_overview

    home = stocktake_overview(demo_engine, "HOME").kept
    assert home["held"] == home["scheduled"] - 1 and len(home["missed"]) == 1
    crime = stocktake_overview(demo_engine, "CRIME").kept
    assert crime["missed"] == [] and crime["held"] == crime["scheduled"]


def test_a_pack_with_a_chain_and_carried_actions_makes_a_deck(demo_engine, tmp_path):
    """CRIME has a delivery chain and open actions carried over: its deck has the chain's
    slide and the actions (the deck once read both as dicts and failed on every such pack)."""
    from pptx import Presentation

    context = pack_context(demo_engine, "CRIME")
    carried = context["routine"].carried_over
    assert context["chain"] is not None and carried
    out = tmp_path / "crime.pptx"
    write_pack(demo_engine, "CRIME", str(out))
    said = []
    for slide in Presentation(str(out)).slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                said.append(shape.text_frame.text)
            if shape.has_table:
                said += [cell.text for row in shape.table.rows for cell in row.cells]
    text = "\n".join(said)
    assert "The delivery chain" in text
    assert all(a.text in text for a in carried)
