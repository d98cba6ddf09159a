"""The demo database, built through the real loader and submission service, on SQLite
and PostgreSQL."""

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.demo.build import DemoError, build_demo
from stocktake.errors import Conflict
from stocktake.services.data.model_service import load_model
from stocktake.services.reading.overview import priority_overview
from stocktake.services.reading.quality import data_quality
from stocktake.services.reading.snapshot import Snapshot
from stocktake.store import schema
from stocktake.store.db import get_meta, open_engine

SMALL_MODEL = Path(__file__).parents[1] / "fixtures" / "small_model"


def test_the_demo_is_labelled_and_reports_progress(demo_engine):
    assert get_meta(demo_engine, "world") == "demo"
    assert "simulated" in get_meta(demo_engine, "world_label")
    assert "Simulating the world" in demo_engine.steps
    assert "Submitting the returns" in demo_engine.steps
    assert "Recording the routines" in demo_engine.steps
    assert "rejected with errors" in demo_engine.summary


def test_the_demo_holds_the_world_the_issue_asks_for(demo_engine):
    overview = priority_overview(Snapshot(demo_engine))
    assert len(overview.priorities) >= 5
    assert all(p.latest is not None for p in overview.priorities)
    with demo_engine.connect() as conn:
        units = conn.execute(select(func.count()).select_from(schema.units)).scalar()
        depth = conn.execute(select(func.max(schema.units.c.depth))).scalar()
        indicators = conn.execute(select(func.count()).select_from(schema.indicators)).scalar()
        revised = conn.execute(select(func.sum(schema.batches.c.revised))).scalar()
        partial_data = conn.execute(select(func.count()).select_from(schema.findings)).scalar()
    assert units >= 40 and depth == 2 and indicators >= 30
    assert revised > 0  # revised earlier values: vintages show
    assert partial_data > 0  # outliers and other warnings kept for follow-up


def test_the_demo_data_quality_varies_and_the_late_units_come_last(demo_engine):
    from datetime import datetime

    clock = datetime.fromisoformat(get_meta(demo_engine, "clock"))  # not today: the demo's now
    units = data_quality(Snapshot(demo_engine, clock)).units
    scores = [u.score for u in units]
    assert max(scores) - min(scores) > 10
    # (the league's order puts units with a standing alert last: read the scores)
    bottom = {u.unit for u in sorted(units, key=lambda u: u.score)[:2]}
    assert bottom == {"NL-LAB", "SK-NOR"}  # the two late reporters of the simulated world


def test_the_planted_rule_breaches_show_in_validity_and_nowhere_else(demo_engine):
    """Values that break an agreed rule are stored with a warning and count against the
    unit's validity until corrected: SK-REG (8 months open) and AB-CEN (2 months) at the
    demo's clock; QC-MTL's 4 months failed before its correction and not after."""
    from datetime import datetime

    from stocktake.demo.world import RULE_BREACHES

    clock = datetime.fromisoformat(get_meta(demo_engine, "clock"))
    failures = {u.unit: (u.rule_failures, u.rule_checks, u.validity)
                for u in data_quality(Snapshot(demo_engine, clock)).units}
    # ... and in their province's and the nation's, which roll up the units below.
    assert {u: f for u, (f, _, _) in failures.items() if f} == {
        "SK-REG": 8, "SK": 8, "AB-CEN": 2, "AB": 2, "CA": 10}
    checks, validity = failures["SK-REG"][1:]
    assert validity == pytest.approx(1 - 8 / checks)
    corrected = next(b for b in RULE_BREACHES if b[5] is not None)
    before = datetime.combine(corrected[5], datetime.min.time())
    then = {u.unit: u.rule_failures
            for u in data_quality(Snapshot(demo_engine, before)).units}
    assert then[corrected[1]] == then["QC"] == 4
    with demo_engine.connect() as conn:
        warned = conn.execute(
            select(schema.findings.c.unit, func.count()).where(
                schema.findings.c.check.like("rule:%")).group_by(schema.findings.c.unit)).all()
    assert dict(warned) == {"SK-REG": 8, "AB-CEN": 2, "QC-MTL": 4}

    # The web page's league table says how many checks failed, beside the rate.
    from fastapi.testclient import TestClient

    from stocktake.services.admin import accounts
    from stocktake.web.app import create_app

    if "pagetest" not in {u.username for u in accounts.list_users(demo_engine)}:
        accounts.create_user(demo_engine, "pagetest", "analyst", "correct horse battery")
    token = accounts.start_session(demo_engine, "pagetest").token
    html = TestClient(create_app(demo_engine), cookies={"stocktake_session": token}).get(
        "/data/quality").text
    row = html[html.index('<span class="code">SK-REG</span>'):]
    row = row[:row.index("</tr>")]
    assert f"{validity:.1%}" in row and f"8 of {checks:,} failed" in row


def test_the_demo_will_not_overwrite_another_world(tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path / 'mine.db'}")
    load_model(engine, SMALL_MODEL, loaded_by="t")
    with pytest.raises(DemoError, match="--force"):
        build_demo(engine)
    result = CliRunner().invoke(app, ["demo", "--no-serve", "--db",
                                      f"sqlite:///{tmp_path / 'mine.db'}"])
    assert result.exit_code == Conflict.exit_code and "is not the demo" in result.output


def test_demo_no_serve_reuses_the_same_demo_and_prints_the_priorities(demo_engine):
    url = demo_engine.url_text
    demo_engine.dispose()
    result = CliRunner().invoke(app, ["demo", "--no-serve", "--db", url])
    assert result.exit_code == 0, result.output
    assert "up to date: reusing it" in result.output  # same seed, same code: not rebuilt
    assert "Demo federation (simulated data)" in result.stdout
    assert "Data as of" in result.stdout
    listed = json.loads(CliRunner().invoke(app, ["priorities", "--json", "--db", url]).stdout)
    assert len(listed["priorities"]) >= 5


@pytest.mark.parametrize("lead, headline, lag", [
    ("or_hours", "surg_within_benchmark_pct", 3),
    ("weapons_calls", "violent_crime_rate", 2),
    ("literacy_screening_pct", "grade3_reading_pct", 6),
])
def test_the_planted_leads_are_found_at_their_lags(demo_engine, lead, headline, lag):
    from stocktake.demo.world import build_world
    from stocktake.services.reading.leads import lead_indicators

    assert (lead, headline, lag) in build_world().planted_leads
    decoys = ["surg_referrals", "youth_program_participants", "unfounded_incidents"]
    report = lead_indicators(Snapshot(demo_engine), headline, candidates=[lead, *decoys],
                             max_lag=8)
    best = report.ranked[0]
    assert (best["candidate"], best["lag"]) == (lead, lag)
    # No re-pairing of the units beats the true one: p at its floor, after refining the r
    # tests near it to 10 x 32 tests / (5% x r) re-pairings, at least 999.
    most = report.parameters["max_permutations"]
    assert 999 <= most <= 10 * 32 / 0.05
    assert best["p_value"] == pytest.approx(1 / (most + 1)) and best["q_value"] < 0.01
    assert best["f_p_value"] < 1e-6
    assert best["reading"] == "lead"


def test_spurious_candidates_are_not_read_as_leads(demo_engine):
    """The same provinces improve on surgery and reading in the demo (their trends share
    timing), so surgical indicators pass the one-way F test for grade-3 reading; they must
    not read as leads. The default (time effects, permutation across units) does not even
    discover them; the old F test did, and only the missing forecast gain saved it."""
    from stocktake.services.reading.leads import lead_indicators

    cands = ["or_hours", "surg_within_benchmark"]
    report = lead_indicators(Snapshot(demo_engine), "grade3_reading_pct", candidates=cands,
                             max_lag=6)
    old = lead_indicators(Snapshot(demo_engine), "grade3_reading_pct", candidates=cands,
                          max_lag=6, time_effects=False, inference="f")
    for row in report.ranked:
        assert row["q_value"] > 0.05 and row["reading"] == "no_evidence", row
    for row in old.ranked:
        assert row["q_value"] < 0.05, row  # the old test alone would call them leads
        assert row["reading"] != "lead", row


def test_named_leads_are_read_on_the_priority_page_and_in_the_pack(demo_engine):
    """The priority's own leads, tested one by one: the planted screening lead reads 'lead'
    at its lag, reading tutors (a provincial step change, no lead planted) do not; the page
    and the pack say so in words."""
    from fastapi.testclient import TestClient

    from stocktake.services.admin import accounts
    from stocktake.services.publishing.packs import pack_context
    from stocktake.services.reading.leads import named_lead_evidence
    from stocktake.web.app import create_app

    evidence = named_lead_evidence(Snapshot(demo_engine), "LIT")
    screening, tutors = evidence["literacy_screening_pct"], evidence["reading_tutors_fte"]
    assert (screening.reading, screening.lag, screening.level) == ("lead", 6, "region")
    assert screening.oos_gain > 0.03  # 4% with time effects (the CD test finds them)
    assert tutors.reading != "lead" and tutors.level == "province"

    sentence = "Leads the headline (best lag 6 months; forecasts"
    if "pagetest" not in {u.username for u in accounts.list_users(demo_engine)}:
        accounts.create_user(demo_engine, "pagetest", "analyst", "correct horse battery")
    token = accounts.start_session(demo_engine, "pagetest").token
    client = TestClient(create_app(demo_engine), cookies={"stocktake_session": token})
    html = client.get("/priorities/LIT").text
    assert "Does it lead the headline?" in html and sentence in html
    leads = {m.code: m for m in pack_context(demo_engine, "LIT")["leads"]}
    assert leads["literacy_screening_pct"].evidence == screening


def test_leads_command_reads_each_candidate(demo_engine):
    """`stocktake leads` as a reader sees it: the planted lead reads 'lead', the surgical
    indicator (a trend shared with reading, no lead) reads 'none' under the default's time
    effects and permutation p-values, and --json carries the same reading."""
    args = ["leads", "grade3_reading_pct", "--candidates", "literacy_screening_pct,or_hours",
            "--max-lag", "6", "--db", demo_engine.url_text]
    out = CliRunner().invoke(app, args, env={"COLUMNS": "120"})
    assert out.exit_code == 0, out.output
    rows = {line.split("│")[1].strip(): line for line in out.output.splitlines()
            if line.startswith("│")}
    assert rows["literacy_screening_pct"].rstrip(" │").endswith("lead")
    assert rows["or_hours"].rstrip(" │").endswith("none")
    assert "Clark-West" in out.output and "two-way = " in out.output
    report = json.loads(CliRunner().invoke(app, [*args, "--json"]).stdout)
    best = {r["candidate"]: r["reading"] for r in report["ranked"]}
    assert best == {"literacy_screening_pct": "lead", "or_hours": "no_evidence"}
