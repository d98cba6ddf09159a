"""Across priorities on a real database (SQLite and PostgreSQL): the risk register and the
milestone timeline of every current plan, from the example plan (examples/delivery/
plan.yaml) and a revision of it, and a second priority's plan; every figure worked out by
hand. Then the timeline as SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine

from stocktake.reports.charts import label_width
from stocktake.reports.timeline import milestone_timeline
from stocktake.services.data.model_service import load_model
from stocktake.services.routines.plans import load_plan
from stocktake.services.routines.register import across_priorities

PLAN = Path(__file__).parents[2] / "examples" / "delivery" / "plan.yaml"
SECOND = """
- code: P2
  title: Screen every young person at risk
  owner: Minister of Youth
  headline: incident_rate
  scope: N
  baseline: {period: 2024-01, value: 10.0}
  target: {period: 2025-12, value: 8.0}
"""
P2_PLAN = {
    "interventions": [{"code": "screening", "name": "School screening", "start": "2024-05"}],
    "milestones": [{"code": "nurses", "name": "Screening nurses hired", "owner": "Province B",
                    "due": "2024-08-31", "status": "not_started"}],
    "risks": [{"code": "nurses", "description": "Nurses cannot be hired", "likelihood": 2,
               "impact": 3, "owner": "Province B"}]}


@pytest.fixture
def plans(engine: Engine, small_model_dir: Path) -> Engine:
    """P1 with the example plan (v1) and a revision (v2); P2 with one plan; P3 none."""
    with (small_model_dir / "priorities.yaml").open("a", encoding="utf-8") as f:
        f.write(SECOND + SECOND.replace("P2", "P3").replace("Screen every", "Mentor every"))
    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2024, 1, 2))
    first = yaml.safe_load(PLAN.read_text(encoding="utf-8"))
    load_plan(engine, "P1", first, author="DU", reason="", at=datetime(2024, 2, 1))
    revised = {**first, "risks": [
        {**first["risks"][0], "likelihood": 4},  # staffing: 3 x 4 = 12 -> 4 x 4 = 16
        {"code": "courts", "description": "Court backlog delays cases", "likelihood": 3,
         "impact": 3}]}
    load_plan(engine, "P1", revised, author="DU", reason="stocktake of May",
              at=datetime(2024, 6, 1))
    load_plan(engine, "P2", P2_PLAN, author="DU", reason="", at=datetime(2024, 6, 1))
    return engine


def test_the_register_holds_every_plans_risks_with_their_trend(plans):
    across = across_priorities(plans, as_of=datetime(2025, 2, 1))
    assert across.titles == {"P1": "Cut violent crime", "P2": "Screen every young person at risk"}
    assert across.without_plan == ("P3",)
    assert [(r.priority, r.code, r.score, r.trend, r.previous_score, r.high)
            for r in across.risks] == [("P1", "staffing", 16, "up", 12, True),
                                       ("P1", "courts", 9, "new", None, False),
                                       ("P2", "nurses", 6, "new", None, False)]
    assert across.closed == ()  # the revision keeps staffing, the only risk it had
    staffing = across.risks[0]
    assert staffing.owner == "Province A" and staffing.mitigation.startswith("Recruit")
    # before the revision, the register reads version 1: staffing new at 12
    earlier = across_priorities(plans, as_of=datetime(2024, 3, 1))
    assert [(r.code, r.score, r.trend) for r in earlier.risks] == [("staffing", 12, "new")]


def test_a_risk_the_current_version_drops_is_listed_closed_with_its_last_score(plans):
    revised = yaml.safe_load(PLAN.read_text(encoding="utf-8"))
    revised["risks"][0]["likelihood"] = 4  # staffing as version 2 scored it; courts gone
    load_plan(plans, "P1", revised, author="DU", reason="courts cleared",
              at=datetime(2024, 9, 1))
    across = across_priorities(plans, as_of=datetime(2025, 2, 1))
    assert [(r.priority, r.code, r.score, r.trend) for r in across.risks] == [
        ("P1", "staffing", 16, "same"), ("P2", "nurses", 6, "new")]
    assert [(r.priority, r.code, r.description, r.likelihood, r.impact, r.score, r.trend)
            for r in across.closed] == [
        ("P1", "courts", "Court backlog delays cases", 3, 3, 9, "closed")]
    # read before the third version, nothing is closed yet
    assert across_priorities(plans, as_of=datetime(2024, 8, 1)).closed == ()


def test_the_delivery_report_names_the_risks_closed(plans):
    """HTML (and so PDF), Word and PowerPoint say which risk was closed, at its last score."""
    from stocktake.reports.briefing_deck import report_deck
    from stocktake.reports.render import render_report
    from stocktake.reports.word import report_docx
    from stocktake.services.publishing.briefings import delivery_report_context

    revised = yaml.safe_load(PLAN.read_text(encoding="utf-8"))
    load_plan(plans, "P1", revised, author="DU", reason="courts cleared",
              at=datetime(2024, 9, 1))
    c = delivery_report_context(plans, as_of=datetime(2025, 2, 1))
    said = ("Closed since each plan's previous version: Court backlog delays cases "
            "(Cut violent crime, last 3 × 3 = 9).")
    assert said in render_report(c)
    assert said in [p.text for p in report_docx(c).doc.paragraphs]
    [register] = [s for s in report_deck(c).slides if s.shapes.title is not None
                  and s.shapes.title.text == "Risk register across priorities"]
    assert said in register.notes_slide.notes_text_frame.text
    # without a closed risk, none of them says so
    c = delivery_report_context(plans, as_of=datetime(2024, 8, 1))
    assert "Closed since" not in render_report(c)


def test_the_timeline_marks_the_open_milestones_past_due(plans):
    across = across_priorities(plans, as_of=datetime(2025, 2, 1))
    assert across.today == "2025-02-01"
    assert [(m.priority, m.code, m.status, m.days_overdue) for m in across.milestones] == [
        ("P1", "deterrence_funded", "done", 0),
        ("P1", "youth_sites_open", "overdue", 32),  # due 2024-12-31
        ("P2", "nurses", "overdue", 154)]  # due 2024-08-31: 30 + 31 + 30 + 31 + 31 + 1
    assert [m.code for m in across.overdue] == ["nurses", "youth_sites_open"]


def test_the_timeline_chart_draws_every_milestone_and_marks_the_overdue(plans):
    across = across_priorities(plans, as_of=datetime(2025, 2, 1))
    svg = milestone_timeline(across)
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    rows = [t for t in root.iter(f"{ns}text") if t.get("data-status")]
    assert [(t.text, t.get("data-status")) for t in rows] == [
        ("Funding agreed with both provinces", "done"),
        ("Ten youth programme sites open", "overdue"),
        ("Screening nurses hired", "overdue")]
    texts = ["".join(t.itertext()) for t in root.iter(f"{ns}text")]
    assert "32 days late" in " ".join(texts) and "154 days late" in " ".join(texts)
    assert "today 2025-02-01" in texts
    assert "2 overdue on 2025-02-01" in root.get("aria-label")
    # the axis labels stand apart (estimated widths, as the other charts check)
    ticks = sorted((float(t.get("x")), t.text) for t in root.iter(f"{ns}text")
                   if t.get("class") == "tick")
    assert len(ticks) >= 3
    for (x0, a), (x1, b) in zip(ticks, ticks[1:], strict=False):
        assert x1 - x0 >= (label_width(a, 11) + label_width(b, 11)) / 2
    assert milestone_timeline(across_priorities(plans, as_of=datetime(2024, 1, 3))) == ""


def test_the_delivery_report_carries_the_register_and_the_timeline(plans):
    """HTML (and so PDF), Word and PowerPoint: the same rows and the timeline picture."""
    from stocktake.reports.briefing_deck import report_deck
    from stocktake.reports.render import render_report
    from stocktake.reports.word import report_docx
    from stocktake.services.publishing.briefings import delivery_report_context

    c = delivery_report_context(plans, as_of=datetime(2025, 2, 1))
    assert [r.code for r in c["across"].risks] == ["staffing", "courts", "nurses"]
    html = render_report(c)
    section = html[html.index("Risks and milestones across priorities"):
                   html.index("Data-quality league")]
    assert "4 × 4 = <strong>16 high</strong>" in section and "↑ up from 12" in section
    assert 'class="chart timeline"' in section
    assert "2 of 3 overdue on 1 Feb 2025, the longest 154 days late" in section

    doc = report_docx(c).doc
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert "Risks and milestones across priorities" in headings
    [register] = [t for t in doc.tables if t.rows[0].cells[1].text == "Risk"]
    assert [c.text for c in register.rows[1].cells][1:5] == [
        "Not enough youth workers in rural regions", "Cut violent crime", "4 × 4 = 16 high",
        "up from 12"]
    assert any(p.text.startswith("Figure: Milestones across priorities") for p in doc.paragraphs)

    deck = report_deck(c)
    titles = [s.shapes.title.text for s in deck.slides if s.shapes.title is not None]
    assert "Risk register across priorities" in titles
    assert "Milestones across priorities" in titles
    [slide] = [s for s in deck.slides if s.shapes.title is not None
               and s.shapes.title.text == "Milestones across priorities"]
    assert "154 days late" in slide.notes_slide.notes_text_frame.text
    [register] = [s for s in deck.slides if s.shapes.title is not None
                  and s.shapes.title.text == "Risk register across priorities"]
    assert "3. Nurses cannot be hired (Screen every young person at risk): 2 × 3 = 6, new" \
        in register.notes_slide.notes_text_frame.text
