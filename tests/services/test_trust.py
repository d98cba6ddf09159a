"""Can we trust these numbers? The alerts in the documents and the rule that credit and
league tables respect them: the ranking rule on constructed cases, then the pack, the note
and the delivery report on a small real world (SQLite) where one region down-codes violent
reports from 2024-01 (tests/services/test_alerts.py), and on the same world without it."""

from __future__ import annotations

import dataclasses
import html
import re
from datetime import datetime

import pytest

from stocktake.reports.render import render_note, render_pack, render_report
from stocktake.results.alerts import AlertItem, AlertReview, AlertsReport
from stocktake.results.quality import UnitQuality
from stocktake.services.publishing.briefings import delivery_report_context, monthly_note_context
from stocktake.services.publishing.packs import pack_context
from stocktake.services.publishing.trust import (
    bearing_on_headline,
    by_kind,
    counted,
    for_documents,
    quality_league,
    with_credit,
)
from stocktake.services.reading.alerts import alerts, review_alert
from stocktake.services.reading.quality import _league
from stocktake.services.reading.snapshot import Snapshot

from .test_alerts import PLANTED, planted_world


# -- the rule, on constructed cases ------------------------------------------------------------
def quality(unit: str, score: float, rank: int) -> UnitQuality:
    """A unit's data quality with the given score and rank (the other figures do not enter
    the league's order)."""
    values = {f.name: 0 for f in dataclasses.fields(UnitQuality)}
    return UnitQuality(**{**values, "unit": unit, "name": f"Unit {unit}", "level": "province",
                          "score": score, "rank": rank})


def alert(unit: str, status: str = "open", priorities: tuple[str, ...] = ("CRIME",),
          start: str = "2024-01") -> AlertItem:
    history = () if status == "open" else (
        AlertReview(alert="x", status=status, note="why", by="ana", at=datetime(2026, 1, 1)),)
    return AlertItem(kind="ratio_shift", unit=unit, indicators=("unfounded", "reports"),
                     start=start, end="2025-12", size={}, evidence=(), strength=5.0,
                     status=status, explanation="from 2024-01 it records more unfounded",
                     id=f"{unit}-{status}-{start}", unit_name=f"Unit {unit}", level="province",
                     priorities=priorities, history=history)


SCORES = [quality("A", 99.0, 1), quality("B", 95.0, 2), quality("C", 90.0, 3),
          quality("D", 80.0, 4)]


def _ordered(report: AlertsReport) -> list:
    """SCORES in the quality service's league order, held back by the alerts as the
    documents read them (bearing_on_headline), then in the documents' words."""
    rows = [{"unit": q.unit} for q in SCORES]
    order = _league(rows, lambda u: "held" if bearing_on_headline(report, u) else None)
    by_unit = {q.unit: q for q in SCORES}
    return [by_unit[r["unit"]] for r, _ in order]


def test_a_unit_with_an_open_alert_on_a_headline_cannot_rank_first():
    report = AlertsReport((alert("A"),))
    league = quality_league(_ordered(report), report, {"CRIME": "Reduce crime"})
    assert [(e.rank, e.quality.unit) for e in league] == [(1, "B"), (2, "C"), (3, "D"),
                                                          (4, "A")]
    assert [e.reason for e in league[:3]] == [None, None, None]
    assert league[3].reason == "1 open alert (from 2024-01) on the headline of Reduce crime"


def test_flagged_units_keep_their_order_by_score_after_the_others():
    report = AlertsReport((alert("C"), alert("A", "confirmed"), alert("A", start="2025-01")))
    league = quality_league(_ordered(report), report, {})
    assert [e.quality.unit for e in league] == ["B", "D", "A", "C"]
    assert league[2].reason == "1 confirmed and 1 open alerts on the headline of CRIME"


def test_worst_first_the_units_that_need_help_lead_the_league():
    """The delivery report's league: a unit whose headline figures an alert questions
    first, then from the lowest score up (D 80, C 90, B 95), ranked from 1."""
    report = AlertsReport((alert("A"),))
    league = quality_league(_ordered(report), report, {"CRIME": "Reduce crime"},
                            worst_first=True)
    assert [(e.rank, e.quality.unit) for e in league] == [(1, "A"), (2, "D"), (3, "C"),
                                                          (4, "B")]
    assert league[0].reason == "1 open alert (from 2024-01) on the headline of Reduce crime"
    assert [e.reason for e in league[1:]] == [None, None, None]
    calm = AlertsReport(())
    assert [e.quality.unit for e in quality_league(_ordered(calm), calm, {},
                                                    worst_first=True)] == ["D", "C", "B", "A"]


def test_only_a_standing_alert_at_the_unit_on_a_priority_counts():
    report = AlertsReport((
        alert("A", "explained"),  # a known, legitimate reason: no longer held against it
        alert("B", priorities=()),  # a related pair that bears on no priority's headline
        alert("A1"),  # a unit below A: read against its own peers, not A's
    ))
    league = quality_league(_ordered(report), report, {})
    assert [e.quality.unit for e in league] == ["A", "B", "C", "D"]
    assert all(e.reason is None for e in league)
    assert bearing_on_headline(AlertsReport((alert("A"),)), "A", "HOUS") == []
    assert len(bearing_on_headline(AlertsReport((alert("A"),)), "A", "CRIME")) == 1


def test_alerts_are_counted_in_words():
    assert counted([]) == "no alert"
    assert counted([alert("A")]) == "1 open alert"
    assert counted([alert("A"), alert("B", "explained"), alert("C", "confirmed"),
                    alert("D")]) == "1 confirmed, 2 open and 1 explained alerts"


# -- the documents, on a small real world ----------------------------------------------------------
@pytest.fixture
def planted(engine, tmp_path):
    planted_world(engine, tmp_path / "model")
    return engine


@pytest.fixture
def clean(engine, tmp_path):
    """The same world up to 2023-12: nothing planted, nothing raised."""
    planted_world(engine, tmp_path / "model", last="2023-12")
    assert alerts(Snapshot(engine)).alerts == ()
    return engine


def _text(page: str) -> str:
    """The words of a document, as a reader sees them (tags dropped, entities read)."""
    body = re.sub(r"</?(strong|em|span|code|a)\b[^>]*>", "", page.split("<body", 1)[-1])
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_the_pack_says_what_the_planted_alerts_found(planted):
    c = pack_context(planted, "CRIME")
    found = {(a.kind, a.unit) for a in c["trust"]["alerts"]}
    assert found == {(a.kind, a.unit) for a in alerts(Snapshot(planted)).alerts}
    shift = next(a for a in c["trust"]["alerts"] if a.kind == "ratio_shift")
    assert shift.unit_name == "Region 3" and shift.status == "open"
    assert shift.indicators == ("Unfounded reports", "Violent reports")  # by name
    assert abs(int(shift.start[:4]) * 12 + int(shift.start[5:]) - (2024 * 12 + 1)) <= 2
    assert shift.sizes[0].what == "Unfounded reports per violent reports"
    units = c["trust"]["units"]  # each unit of the small multiples: its standing alerts
    assert units[PLANTED] == 2 and sum(units.values()) == 2
    text = _text(render_pack(c))
    assert "Can we trust these numbers?" in text and "2 open alerts on this priority" in text
    assert "Region 3 records" in text and "not yet reviewed" in text
    assert "against the other regions" in text and "Evidence:" in text
    assert "⚠ 2 alerts on its figures" in text  # Region 3's small multiple


def test_a_review_shows_in_the_pack_with_its_note(planted):
    shift = next(a for a in alerts(Snapshot(planted)).alerts if a.kind == "ratio_shift")
    review_alert(planted, shift.id, status="explained", by="ana",
                 note="a new recording standard from January 2024")
    text = _text(render_pack(pack_context(planted, "CRIME")))
    assert "1 open and 1 explained alerts" in text
    assert "ana, " in text and "“a new recording standard from January 2024”" in text


def test_a_priority_without_alerts_says_so_and_what_was_checked(clean):
    c = pack_context(clean, "CRIME")
    assert c["trust"]["alerts"] == []
    text = _text(render_pack(c))
    assert "No alert was raised on this priority's data as of" in text
    # what was read: the eight regions, the headline against its counter, the declared pair
    assert ("Read at the 8 regions, each against its peers: violent incidents against its "
            "counter reports classified unfounded") in text
    assert "the declared ratio (unfounded reports per violent reports)" in text


def test_the_note_lists_the_numbers_to_treat_with_care(planted):
    note = monthly_note_context(planted, "2026-01")  # the data were sent on 10 January
    assert [(c["code"], c["counted"], c["units"]) for c in note["care"]] == [
        ("CRIME", "2 open alerts", ["Region 3"])]
    text = _text(render_note(note))
    assert ("Numbers to treat with care" in text
            and "Reduce violent crime: 2 open alerts, on the figures of Region 3." in text)


def test_the_note_has_no_such_list_without_alerts(clean):
    note = monthly_note_context(clean, "2026-01")
    assert note["data_as_of"]  # the data are read, and raise nothing
    assert note["care"] == []
    assert "Numbers to treat with care" not in render_note(note)


def test_the_report_lists_the_alerts_and_the_region_first_in_its_worst_first_league(planted):
    report = delivery_report_context(planted)
    assert [(t["code"], t["counted"]) for t in report["trust"]] == [("CRIME", "2 open alerts")]
    league = report["quality"]["units"]
    assert league[0].quality.unit == PLANTED and league[0].alerts
    assert all(not e.alerts for e in league[1:])
    # the others from the lowest score up: the service's ranks, turned round
    others = [e.quality for e in league[1:]]
    assert [q.rank for q in others] == sorted((q.rank for q in others), reverse=True)
    assert [q.score for q in others] == sorted(q.score for q in others)
    assert [e.rank for e in league] == list(range(1, len(league) + 1))
    text = _text(render_report(report))
    assert "Worst first: the units that need help with their data come first." in text
    assert ("listed first, whatever its score: 2 open alerts on the headline of "
            "Reduce violent crime") in text
    assert "Region 3 records" in text


def test_once_explained_the_region_takes_its_place_by_score_again(planted):
    for a in alerts(Snapshot(planted)).alerts:
        review_alert(planted, a.id, status="explained", by="ana", note="a national standard")
    report = delivery_report_context(planted)
    assert report["trust"] == []
    league = report["quality"]["units"]
    ranks = [e.quality.rank for e in league]
    assert ranks == sorted(ranks, reverse=True) and all(e.reason is None for e in league)


def test_a_question_giving_credit_says_when_alerts_question_the_figures():
    questions = [{"topic": "credit", "severity": 1, "question": "Who should get the credit?",
                  "evidence": "Ahead of the trajectory."},
                 {"topic": "units", "severity": 2, "question": "What will change?",
                  "evidence": "Off track."}]
    report = AlertsReport((alert("A"), alert("B", "confirmed"), alert("C", "explained"),
                           alert("D", priorities=("HOUS",))))
    out = with_credit(questions, report, "CRIME")
    assert out[0]["evidence"] == ("Ahead of the trajectory. Before giving credit: 1 confirmed "
                                  "and 1 open alerts question this priority's figures (see "
                                  "“Can we trust these numbers?”).")
    assert out[1] == questions[1] and out[0]["question"] == questions[0]["question"]
    assert with_credit(questions, report, "LIT") == questions  # none bears on it


def test_a_packs_alerts_are_grouped_by_kind_the_most_serious_first(planted):
    """Many alerts read on one page: one row per kind, the kind with a confirmed alert
    first, each kind's units once in the order of their most serious alert; every alert
    still in the annex."""
    model = Snapshot(planted).model
    items = [dataclasses.replace(alert("A", start="2024-03"), kind="local_break",
                                 strength=2.0),
             alert("B"), dataclasses.replace(alert("C", "confirmed"), strength=1.0),
             dataclasses.replace(alert("B", start="2023-05"), strength=9.0)]
    groups = by_kind(model, for_documents(AlertsReport(tuple(items))))
    assert [g.kind for g in groups] == ["ratio_shift", "local_break"]
    shift = groups[0]
    assert shift.lead.unit == "C" and shift.lead.status == "confirmed"
    assert shift.units == ("Unit C", "Unit B")  # B's two alerts: one unit
    assert (shift.first, shift.last) == ("2023-05", "2024-01")
    assert shift.counted == "1 confirmed and 2 open alerts"
    assert groups[1].units == ("Unit A",) and groups[1].counted == "1 open alert"
    c = pack_context(planted, "CRIME")
    text = _text(render_pack(c))
    section = text[text.index("3 · Can we trust"):text.index("Annex: the alerts in detail")]
    annex = text[text.index("Annex: the alerts in detail"):]
    found = c["trust"]["alerts"]
    assert len(c["trust"]["groups"]) == len({a.kind for a in found})
    assert all(f"alert {a.id}" in annex for a in found)
    assert all(f"alert {g.lead.id}" in section for g in c["trust"]["groups"])
