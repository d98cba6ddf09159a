"""Targets met or missed, and stages, on a small world whose numbers are worked out by hand
here: loaded and submitted through the real services and CLI into a real database."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.intake.service import submit_rows
from stocktake.services.data.model_service import load_model
from stocktake.services.publishing.briefings import delivery_report_context
from stocktake.services.reading.snapshot import Snapshot
from stocktake.services.reading.status import priority_status, priority_trajectory, unit_readings

SOLVED = """
- code: solved
  name: Incidents solved
  unit: incidents
  polarity: up
  period_type: month
  aggregation: sum
- code: solved_pct
  name: Share of incidents solved
  unit: percent
  polarity: up
  period_type: month
  aggregation: ratio
  numerator: solved
  denominator: incidents
  scale: 100
"""
# The current stage: 50% in January 2024 to 60% by March 2024; an earlier stage: 40% in
# October 2023 to 45% by December 2023.
SOLVE = """
- code: SOLVE
  title: Solve more incidents
  headline: solved_pct
  scope: N
  baseline: {period: 2024-01, value: 50.0}
  target: {period: 2024-03, value: 60.0}
  stages:
    - baseline: {period: 2023-10, value: 40.0}
      target: {period: 2023-12, value: 45.0}
      note: the first push
"""
# Solved of 100 incidents in each of A1, A2, B1, by month; the national share is their sum
# over 300: 40.0, 43.33, 44.0, 50.0, 55.0, 61.0 (183/300), 58.0.
SOLVED_BY_MONTH = {
    "2023-10": (40, 40, 40), "2023-11": (43, 44, 43), "2023-12": (44, 44, 44),
    "2024-01": (50, 50, 50), "2024-02": (55, 55, 55), "2024-03": (63, 63, 57),
    "2024-04": (58, 58, 58),
}
T0 = datetime(2024, 5, 1)
T1 = datetime(2024, 5, 10)


def _world(engine, small_model_dir, skip=()):
    with open(small_model_dir / "indicators.yaml", "a") as f:
        f.write(SOLVED)
    with open(small_model_dir / "priorities.yaml", "a") as f:
        f.write(SOLVE)
    load_model(engine, small_model_dir, loaded_by="t", now=T0)
    rows = []
    for period, solved in SOLVED_BY_MONTH.items():
        for unit, n in zip(("A1", "A2", "B1"), solved, strict=True):
            if (unit, period) in skip:
                continue
            rows += [("incidents", unit, period, 100), ("solved", unit, period, n)]
    result = submit_rows(engine, rows, submitter="t", now=T1)
    assert result.accepted, result.errors
    return engine


@pytest.fixture
def world(engine, small_model_dir):
    return _world(engine, small_model_dir)


def test_the_target_is_met_at_the_target_period_and_the_fall_since_is_said(world):
    (head,) = priority_status(Snapshot(world), priority="SOLVE").priorities
    # March: 183/300 = 61.0% against 60.0: met, 1.0 point (1.67%) above.
    assert head.status == "met"
    v = head.at_target_period
    assert (v.period, v.actual_period) == ("2024-03", "2024-03")
    assert v.actual == pytest.approx(61.0) and v.target == 60.0
    assert v.gap == pytest.approx(1.0) and v.gap_pct == pytest.approx(100 / 60)
    # April: 58.0, 3 points lower, no longer meeting the target; still the latest figure.
    assert head.latest.period == "2024-04"
    assert v.since.value == pytest.approx(58.0)
    assert v.since.change == pytest.approx(-3.0)
    assert (v.since.movement, v.since.meets_target) == ("worsening", False)
    # Units on their shares: both started at 50% so their targets are 60% too. A: 126/200
    # = 63.0 met; B: 57/100 = 57.0 missed by 3 points.
    units = {u.unit: u for u in head.units}
    assert units["A"].status == "met" and units["B"].status == "missed"
    assert units["B"].at_target_period.actual == pytest.approx(57.0)
    assert units["B"].at_target_period.target == pytest.approx(60.0)
    # The same verdicts in the trajectory and in the per-unit readings.
    assert priority_trajectory(Snapshot(world), "SOLVE").at_target_period.status == "met"
    readings = {u.unit: u for u in unit_readings(Snapshot(world), "SOLVE").units}
    assert readings["B"].status == "missed" and readings["B"].off_track_run == 0


def test_stages_keep_the_earlier_target_and_its_verdict(world):
    (head,) = priority_status(Snapshot(world), priority="SOLVE").priorities
    earlier, current = head.stages
    # December 2023: 132/300 = 44.0% against 45.0%: missed by 1 point.
    assert (earlier.stage, earlier.current, earlier.status) == (1, False, "missed")
    assert earlier.note == "the first push"
    assert earlier.at_target_period.actual == pytest.approx(44.0)
    assert earlier.at_target_period.gap == pytest.approx(-1.0)
    assert (current.stage, current.current, current.status) == (2, True, "met")
    assert current.target == {"period": "2024-03", "value": 60.0}


def test_a_target_period_without_a_complete_value_is_read_at_the_one_before(
        engine, small_model_dir):
    # B1 never reports March: the nation's March is partial, so February (165/300 = 55.0%)
    # is read against 60: missed, and the period read is named.
    world = _world(engine, small_model_dir, skip={("B1", "2024-03")})
    (head,) = priority_status(Snapshot(world), priority="SOLVE").priorities
    v = head.at_target_period
    assert head.status == "missed"
    assert (v.actual_period, v.period, v.read_earlier) == ("2024-02", "2024-03", True)
    assert v.actual == pytest.approx(55.0)
    units = {u.unit: u for u in head.units}
    assert units["A"].status == "met"  # A is complete in March: 63%
    assert units["B"].at_target_period.actual_period == "2024-02"


def test_the_cli_says_met_in_json_and_in_words(world):
    url = world.url.render_as_string(hide_password=False)
    runner = CliRunner()
    out = runner.invoke(app, ["status", "--db", url, "--priority", "SOLVE", "--json"])
    assert out.exit_code == 0, out.output
    head = json.loads(out.stdout)["priorities"][0]
    assert head["status"] == "met" and [s["status"] for s in head["stages"]] == ["missed",
                                                                                 "met"]
    table = runner.invoke(app, ["status", "--db", url, "--priority", "SOLVE"],
                          terminal_width=200)
    assert table.exit_code == 0, table.output
    text = " ".join(table.output.split())
    assert "target met: 61.0% in 2024-03 vs 60.0%; since: 58.0% (2024-04)" in text
    assert "target missed: 57.0% in 2024-03 vs 60.0%" in text
    assert "earlier stage: 40.0% (2023-10) to 45.0% (2023-12): target missed, 44.0% in 2023-12" \
        in text
    assert "off track" not in text


def test_the_delivery_report_never_ranks_a_verdict_as_progress(world):
    report = delivery_report_context(world)
    assert [r["code"] for r in report["league"]] == ["P1"]  # its target is 2025-12
    (row,) = report["concluded"]
    assert row["status"] == "met"
    assert row["sentence"] == ("Target met: 61.0% in 2024-03 against a target of 60.0% (1.0 "
                               "points above). Since then: 58.0% in 2024-04, 3.0 points lower, "
                               "not meeting the target now.")


def test_the_monthly_note_asks_for_a_decision_on_a_missed_unassessed_target(
        engine, small_model_dir):
    from stocktake.services.publishing.briefings import monthly_note_context

    # B1 never reports March, so February's 55.0% is read against 60%: missed by 5 points.
    world = _world(engine, small_model_dir, skip={("B1", "2024-03")})
    note = monthly_note_context(world, "2024-05")
    assert {r["code"]: r["status"] for r in note["concluded"]} == {"SOLVE": "missed"}
    (decision,) = [d for d in note["decisions"] if d["code"] == "SOLVE"]
    assert decision["why"].startswith(
        "Target missed: 55.0% in 2024-02 (the last complete period before the "
        "target period 2024-03) against a target of 60.0% (5.0 points below).")
    assert "No likelihood assessment has been recorded since the deadline." in decision["why"]
    assert "a new stage with a new target" in decision["ask"]


@pytest.mark.slow
def test_the_priority_page_shows_the_verdict_and_the_stages(world):
    import re

    from fastapi.testclient import TestClient

    from stocktake.web.app import create_app
    from tests.web.conftest import signed_in_session

    client = TestClient(create_app(world),
                        cookies={"stocktake_session": signed_in_session(world)})
    html = client.get("/priorities/SOLVE").text
    text = " ".join(re.sub(r"<[^>]+>", " ", re.sub(r"<(style|svg).*?</\1>", "", html,
                                                    flags=re.S)).split())
    assert ("Target met: 61.0% in 2024-03 against a target of 60.0% (1.0 points above). "
            "Since then: 58.0% in 2024-04, 3.0 points lower, not meeting the target now.") in text
    # The stages table: the first stage (40 to 45 by 2023-12) missed at 44.0, the current met.
    assert "Stages" in text and "the first push" in text
    assert re.search(r"1 the first push 40\.0 2023-10 45\.0 2023-12 44\.0 2023-12 Target missed",
                     text), text
    assert re.search(r"2 \(current\) 50\.0 2024-01 60\.0 2024-03 61\.0 2024-03 Target met", text)
    # Province B missed its share: said in the units' table, with the gap in points.
    assert re.search(r"Province B B 58\.0 2024-04 57\.0 2024-03 · target 60\.0 −3\.0 points "
                     r"Target missed", text), text


@pytest.mark.slow
def test_the_priorities_table_gives_the_verdict_beside_the_target(world):
    url = world.url.render_as_string(hide_password=False)
    out = CliRunner().invoke(app, ["priorities", "--db", url], terminal_width=250)
    assert out.exit_code == 0, out.output
    assert "60.0 (2024-03): target met, 61.0 in 2024-03" in " ".join(out.output.split())
    listed = json.loads(CliRunner().invoke(app, ["priorities", "--db", url, "--json"]).stdout)
    (solve,) = [p for p in listed["priorities"] if p["code"] == "SOLVE"]
    assert solve["at_target_period"]["status"] == "met"


def test_the_pack_shows_the_verdict_and_the_earlier_stage(world):
    import re

    from stocktake.reports.render import render_pack
    from stocktake.services.publishing.packs import pack_context

    context = pack_context(world, "SOLVE")
    text = " ".join(re.sub(r"<[^>]+>", " ", re.sub(r"<(style|svg).*?</\1>", "",
                                                    render_pack(context), flags=re.S)).split())
    assert "60.0 by 2024-03: Target met (61.0 in 2024-03)" in text
    assert ("Earlier stage 1 40.0 in 2023-10 to 45.0 by 2023-12: Target missed (44.0 in "
            "2023-12) the first push") in text
    assert "Target met: 61.0% in 2024-03 against a target of 60.0%" in text
    # The questions: credit for the met target, and B named for missing its share.
    asked = [q["question"] for q in context["questions"]]
    assert ("The share of incidents solved met its target: 61% in 2024-03 against a target "
            "of 60%. Who should get the credit, and what is the next stage?") in asked
    assert any("1 unit missed its share of the target (Province B)" in q for q in asked), asked
