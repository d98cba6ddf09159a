"""The portfolio's row of signals per priority, and the priority page's small multiples and
funnel plot. Expected figures are worked out here from the submitted numbers."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from stocktake.analysis.spc import ICON_LABELS, xmr
from stocktake.intake.service import submit_rows
from stocktake.results.overview import Freshness
from stocktake.results.status import PeriodValue
from stocktake.services.data.model_service import load_model
from stocktake.services.reading.overview import portfolio_rows
from stocktake.services.reading.snapshot import Snapshot
from stocktake.services.routines.assessments import record_assessment
from stocktake.store.db import set_meta
from stocktake.web.app import create_app

from .conftest import signed_in_session

ASSESSMENT = Path(__file__).parents[2] / "examples" / "delivery" / "assessment.yaml"
POPULATION = {"A1": 350_000, "A2": 250_000, "B1": 400_000}  # 1,000,000 in all
# National incidents per month in 2024; the rate per 100,000 is the total / 10.
TOTALS = [100, 98, 101, 99, 100, 102, 97, 100, 99, 101, 120, 125]
SECOND = """
- code: P2
  title: Keep incidents in Province A below 80
  owner: Province A delivery lead
  headline: incidents
  scope: A
  baseline: {period: 2024-01, value: 60}
  target: {period: 2025-06, value: 80}
"""


def split(total: int) -> dict[str, int]:
    a1, a2 = round(total * 0.35), round(total * 0.25)
    return {"A1": a1, "A2": a2, "B1": total - a1 - a2}


@pytest.fixture
def world(engine, small_model_dir):
    """Two priorities, twelve months of data recorded 20 January 2025 09:30, the clock at
    15 February 2025, and two assessment rounds of P1 (the later one amber/red)."""
    priorities = small_model_dir / "priorities.yaml"
    priorities.write_text(priorities.read_text() + SECOND)
    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2024, 1, 2))
    rows = []
    for month, total in enumerate(TOTALS, start=1):
        for unit, count in split(total).items():
            rows += [("incidents", unit, f"2024-{month:02d}", count),
                     ("population", unit, f"2024-{month:02d}", POPULATION[unit])]
    submit_rows(engine, rows, submitter="t", now=datetime(2025, 1, 20, 9, 30))
    first = yaml.safe_load(ASSESSMENT.read_text())
    record_assessment(engine, "P1", first, by="DU", at=datetime(2025, 1, 21))
    later = dict(first, round="2024-Q4", assessed_on="2024-12-31",
                 likelihood={"rating": "amber_red", "rationale": "Province B is slipping."})
    record_assessment(engine, "P1", later, by="DU", at=datetime(2025, 1, 22))
    with engine.begin() as conn:
        set_meta(conn, "clock", "2025-02-15T12:00:00")
    return engine


def expected_icons(values: list[float], polarity: str, target: float) -> tuple[str, str]:
    r = xmr(values, [f"2024-{m:02d}" for m in range(1, 13)], polarity=polarity, target=target)
    return r.variation_icon, r.assurance_icon


def row_html(html: str, code: str) -> str:
    found = re.search(rf'<tr id="priority-{code}">(.*?)</tr>', html, re.S)
    assert found, f"no row for {code}"
    return found.group(1)


def test_portfolio_rows_from_one_load(world):
    rows = {r.code: r for r in portfolio_rows(Snapshot(world)).priorities}
    assert list(rows) == ["P1", "P2"]
    p1, p2 = rows["P1"], rows["P2"]
    # P1: the national rate, total / 1,000,000 x 100,000; down is better; target 8.0.
    rates = [t / 10 for t in TOTALS]
    assert (p1.variation_icon, p1.assurance_icon) == expected_icons(rates, "down", 8.0)
    assert p1.variation_label == ICON_LABELS[p1.variation_icon]
    # Linear 10.0 (2024-01) to 8.0 (2025-12): 2024-12 expects 10 - 2 x 11/23 = 9.0435.
    expected = 10 - 2 * 11 / 23
    assert p1.latest == PeriodValue(period="2024-12", value=pytest.approx(12.5))
    assert p1.expected == pytest.approx(expected)
    assert p1.gap == pytest.approx(12.5 - expected)
    assert p1.gap_pct == pytest.approx((12.5 - expected) / expected * 100)
    assert p1.status == "off_track"  # 38% above, beyond the 5% tolerance, lower is better
    assert (p1.likelihood, p1.round, p1.assessed_on) == (
        "amber_red", "2024-Q4", "2024-12-31")
    assert p1.freshness == Freshness(
        latest_period="2024-12", current_period="2025-02", periods_behind=2,
        period_type="month", text="2 months behind the current month",
        vintage="2025-01-20T09:30:00")
    # P2: incidents in Province A (A1 + A2), at most 80 by 2025-06; never assessed. Its
    # assurance differs from P1's, so a row cannot borrow another priority's icons.
    counts = [split(t)["A1"] + split(t)["A2"] for t in TOTALS]
    assert (p2.variation_icon, p2.assurance_icon) == expected_icons(counts, "down", 80)
    assert p2.assurance_icon != p1.assurance_icon
    assert p2.likelihood is None and p2.latest.value == counts[-1]


def test_portfolio_page_shows_each_priority_as_a_row_of_words(world):
    client = TestClient(create_app(world), cookies={"stocktake_session":
                                                    signed_in_session(world)})
    html = client.get("/").text
    rates = [t / 10 for t in TOTALS]
    counts = [split(t)["A1"] + split(t)["A2"] for t in TOTALS]
    for code, values, target in (("P1", rates, 8.0), ("P2", counts, 80)):
        row = row_html(html, code)
        variation, assurance = expected_icons(values, "down", target)
        assert f'href="/priorities/{code}"' in row  # the row drills down
        assert ICON_LABELS[variation] in row and ICON_LABELS[assurance] in row
        assert "2024-12" in row and "2 months behind the current month (2025-02)" in row
        assert "data recorded 20 January 2025, 09:30 UTC" in row
    p1, p2 = row_html(html, "P1"), row_html(html, "P2")
    assert "Amber/red" in p1 and "Amber/green" not in p1 and "2024-Q4" in p1
    assert "Not assessed" in p2
    gap = 12.5 - (10 - 2 * 11 / 23)
    assert "Off track" in p1
    assert f"gap +{gap:.1f} (+{gap / (10 - 2 * 11 / 23) * 100:.1f}%)" in p1


@pytest.mark.slow
def test_priority_page_has_small_multiples_and_a_funnel(world):
    client = TestClient(create_app(world), cookies={"stocktake_session":
                                                    signed_in_session(world)})
    html = client.get("/priorities/P1").text
    # One panel per province (A and B), and a funnel of the provinces in 2024-12.
    assert html.count('class="panel"') == 2
    funnel = re.search(r'<svg[^>]*class="chart funnel".*?</svg>', html, re.S).group(0)
    assert funnel.count('class="unit"') == 2
    assert funnel.count('class="limit limit-95"') == 2
    assert funnel.count('class="limit limit-99-8"') == 2
    assert "Funnel plot of 2 province values in 2024-12" in funnel
    assert "Population (people)" in funnel
    # P2's headline is a count (sum): no funnel, a sentence saying why.
    html = client.get("/priorities/P2").text
    assert "chart funnel" not in html
    assert "No funnel plot for this priority" in html and "not ratio" in html
    assert "Managing delivery" in html and "/priorities/P2/plan" in html
