"""Numbers a reader stumbles on, written so that they agree with what sits beside them: a
count's expected value on its trajectory with the decimal its gap was worked out on (4.3
beside +61.0%, not 4), in the CLI, the pages and the documents' one formatter; a change
that rounds to nothing read "unchanged", not "improving" beside 0.0; a small multiple's
latest figure with the document's decimals (49.0, not the axis's 49)."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.intake.service import submit_rows
from stocktake.reports import formatting, locale
from stocktake.reports.charts import unit_panel
from stocktake.results.status import PeriodValue, UnitReading
from stocktake.services.data.model_service import load_model
from stocktake.services.reading.snapshot import Snapshot
from stocktake.services.reading.status import priority_status
from stocktake.web.app import create_app

from ..web.conftest import signed_in_session

NB = "\u00a0"
# A count pushed down from 5 a month in January 2024 to 2 by December 2025, at one region:
# a straight line, so June (5 steps of 23) expects 5 - 3 x 5 / 23 = 4.3478...; June's 7 is
# (7 - 4.3478) / 4.3478 = +61.0% above it. Written with the count's 0 decimals, "4" beside
# +61.0% reads wrong (7 against 4 would be +75%).
PUSH = """
- code: PX
  title: Fewer incidents in B1
  headline: incidents
  scope: B1
  baseline: {period: 2024-01, value: 5}
  target: {period: 2025-12, value: 2}
  trajectory: {method: linear}
  leads: [screening]
"""
EXPECTED = 5 - 3 * 5 / 23


@pytest.mark.parametrize(("value", "decimals", "places"), [
    (4.4783, 0, 1),  # a count's small expected value: one decimal more
    (4.0, 0, 0),  # whole at the count's decimals: nothing to add
    (99.6, 0, 1), (100.4, 0, 0),  # 100 steps of the last decimal: rounding moves it < 0.5%
    (4.47, 1, 2), (45.3, 1, 1),  # at one decimal, under 10.0 gets a second
    (-4.47, 0, 1),  # a size, whatever its sign
    (4.47, None, None),  # no decimals declared: number's own rule (one decimal) stands
    (None, 0, 0)])
def test_the_expected_value_gets_one_more_decimal_below_100_steps(value, decimals, places):
    assert formatting.expected_decimals(value, decimals) == places


def test_the_formatter_writes_an_expected_value_with_its_decimals():
    assert formatting.expected(4.4783, 0) == "4.5"
    assert formatting.expected(1234.4, 0) == "1,234"
    assert formatting.expected(4.0, 0) == "4"


@pytest.fixture
def push(engine, small_model_dir):
    indicators = (small_model_dir / "indicators.yaml").read_text()
    (small_model_dir / "indicators.yaml").write_text(
        indicators.replace("  integer: true\n", "  integer: true\n  decimals: 0\n", 1))
    with open(small_model_dir / "priorities.yaml", "a") as f:
        f.write(PUSH)
    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2024, 8, 1))
    rows = [("incidents", "B1", f"2024-{m:02d}", v)
            for m, v in zip(range(1, 7), (5, 6, 5, 7, 6, 7), strict=True)]
    # screening at B1 moves by 0.03 from Q1 to Q2: written 0.0 at one decimal
    rows += [("screening", "B1", "2024-Q1", 70.0), ("screening", "B1", "2024-Q2", 70.03)]
    result = submit_rows(engine, rows, submitter="t", now=datetime(2024, 8, 5))
    assert result.accepted, result.errors
    return engine


def test_the_status_table_writes_a_counts_expected_value_with_a_decimal(push, db_url):
    out = CliRunner().invoke(app, ["status", "--db", db_url, "--priority", "PX",
                                   "--no-units", "--forecasts", "none"])
    assert out.exit_code == 0, out.output
    assert round(EXPECTED, 1) == 4.3
    # the table's "expected" cell (the chance note beside it says 4.3 too, as it always did)
    assert re.search(r"^expected +4\.3 ", out.output, re.M), out.output
    assert re.search(r"^gap % +\+61\.0%", out.output, re.M), out.output
    report = priority_status(Snapshot(push), priority="PX", units=False, forecasts="none")
    (p,) = report.priorities
    assert p.expected == pytest.approx(EXPECTED)  # the JSON keeps the value as it was
    assert p.gap_pct == pytest.approx((7 - EXPECTED) / EXPECTED * 100)


def test_the_priority_page_writes_it_so_in_english_and_french(push):
    client = TestClient(create_app(push), cookies={"stocktake_session": signed_in_session(push)})
    english = client.get("/priorities/PX").text
    assert "Expected on the trajectory</dt><dd>4.3<" in english
    french = client.get("/priorities/PX?lang=fr").text
    assert "<dd>4,3<span>" in french


def test_a_change_that_rounds_to_nothing_is_unchanged(push):
    report = priority_status(Snapshot(push), priority="PX", units=False, forecasts="none")
    (lead,) = report.priorities[0].leads
    assert lead.change == pytest.approx(0.03)
    assert formatting.signed(lead.change) == "0.0"  # as the pack and the page write it
    assert lead.movement == "unchanged"  # not "improving" beside 0.0


def _latest_label(value: float, decimals: int | None) -> str:
    actuals = (PeriodValue(period="2024-01", value=52.0),
               PeriodValue(period="2024-02", value=value))
    svg = unit_panel(UnitReading(
        unit="U", unit_name="Unit", readings=(), actuals=actuals, off_track_run=0,
        status="on_track", latest=actuals[-1], expected=None, gap=None, gap_pct=None,
        trajectory_note=None, at_target_period=None), decimals=decimals)
    return re.search(r'<text class="latest"[^>]*>([^<]*)</text>', svg).group(1)


def test_a_small_multiples_latest_label_has_the_documents_decimals():
    # no decimals declared: as the document writes 49.0 (formatting.number), not the axis's 49
    assert _latest_label(49.0, None) == "49.0"
    assert _latest_label(1234.0, None) == "1,234"  # whole above 100, as number writes it
    assert _latest_label(49.0, 0) == "49"
    assert _latest_label(49.04, 2) == "49.04"
    with locale.writing_in("fr"):
        assert _latest_label(49.0, None) == "49,0"
