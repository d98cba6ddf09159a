"""The delivery commands end to end (plan, chain, assess, stocktakes, actions): exit codes,
JSON output, and bad files refused with exit 2 (unknown codes with NotFound's, clashes
with Conflict's), the problem's path on stderr and nothing stored. The database's "clock"
(the demo's simulated now) is set between commands, so every recording time and day count
is fixed and worked out by hand."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Table, func, select
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.errors import Conflict, Invalid, NotFound, StocktakeError
from stocktake.store import schema
from stocktake.store.db import open_engine, set_meta

EXAMPLES = Path(__file__).parents[1] / "examples" / "delivery"
PLAN, CHAIN = EXAMPLES / "plan.yaml", EXAMPLES / "chain.yaml"
ASSESSMENT, STOCKTAKE = EXAMPLES / "assessment.yaml", EXAMPLES / "stocktake.yaml"
runner = CliRunner(env={"COLUMNS": "200"})  # long tmp paths unbroken (xdist adds a level)


def run(*args: Any, ok: bool = True):
    result = runner.invoke(app, [str(a) for a in args])
    if ok and result.exit_code != 0:
        raise AssertionError(f"exit {result.exit_code}: {result.output}\n{result.exception!r}")
    return result


def as_json(*args: Any) -> Any:
    return json.loads(run(*args, "--json").stdout)


def refused(*args: Any, kind: type[StocktakeError] = Invalid) -> str:
    """Run a command that must fail as a user error of this kind; its stderr, unwrapped."""
    result = run(*args, ok=False)
    assert result.exit_code == kind.exit_code, (
        result.exit_code, result.output, result.exception)
    assert result.stdout == ""
    return " ".join(result.stderr.split())


def rows(db_url: str, table: Table) -> int:
    engine = open_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(table)).scalar_one()
    finally:
        engine.dispose()


def set_clock(db_url: str, moment: str) -> None:
    engine = open_engine(db_url)
    try:
        with engine.begin() as conn:
            set_meta(conn, "clock", moment)
    finally:
        engine.dispose()


def write_yaml(path: Path, doc: Any) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def db(db_url, small_model_dir) -> str:
    run("load", small_model_dir, "--db", db_url)
    return db_url


@pytest.mark.slow
def test_plan_load_show_diff(db, tmp_path):
    set_clock(db, "2024-02-01T09:00:00")
    out = as_json("plan", "load", "P1", PLAN, "--db", db, "--author", "DU")
    assert out == {"priority": "P1", "version": 1, "changed": True, "changes": []}
    again = run("plan", "load", "P1", PLAN, "--db", db, "--author", "DU")
    assert "equals version 1; nothing stored" in again.stdout

    revised = yaml.safe_load(PLAN.read_text(encoding="utf-8"))
    revised["milestones"][1]["status"] = "at_risk"
    revised = write_yaml(tmp_path / "v2.yaml", revised)
    assert "needs a reason" in refused("plan", "load", "P1", revised, "--db", db,
                                       "--author", "DU")
    set_clock(db, "2024-03-01T09:00:00")
    stored = run("plan", "load", "P1", revised, "--db", db, "--author", "DU", "--reason",
                 "Stocktake decision")
    assert "plan version 2 stored" in stored.stdout
    assert "~ milestone youth_sites_open: status on_track -> at_risk" in stored.stdout
    assert rows(db, schema.plan_versions) == 2

    shown = as_json("plan", "show", "P1", "--db", db)
    assert (shown["version"], shown["reason"], shown["recorded_at"]) == (
        2, "Stocktake decision", "2024-03-01T09:00:00")
    assert as_json("plan", "show", "P1", "--db", db, "--version", "1")["version"] == 1
    # A date means the end of that day: 15 February falls between the versions.
    old = as_json("plan", "show", "P1", "--db", db, "--as-of", "2024-02-15")
    assert old["version"] == 1 and [h["version"] for h in old["history"]] == [1]
    text = run("plan", "show", "P1", "--db", db).stdout
    assert "plan version 2 of 2" in text and "Checklist: 1 gap(s)" in text

    diff = as_json("plan", "diff", "P1", "1", "2", "--db", db)
    assert diff["lines"] == ["~ milestone youth_sites_open: status on_track -> at_risk"]
    text = run("plan", "diff", "P1", "1", "2", "--db", db).stdout
    assert "version 2 by DU (2024-03-01): Stocktake decision" in text
    assert "status on_track -> at_risk" in text
    assert "no plan version 3" in refused("plan", "diff", "P1", "1", "3", "--db", db,
                                          kind=NotFound)
    assert "'P9'" in refused("plan", "show", "P9", "--db", db, kind=NotFound)


@pytest.mark.slow
def test_bad_plan_file_exits_2_and_stores_nothing(db, tmp_path):
    doc = yaml.safe_load(PLAN.read_text(encoding="utf-8"))
    doc["milestones"][1]["due"] = "31/12/2024"
    doc["risks"][0]["likelyhood"] = doc["risks"][0].pop("likelihood")
    bad = write_yaml(tmp_path / "bad_plan.yaml", doc)
    err = refused("plan", "load", "P1", bad, "--db", db, "--author", "DU")
    assert "bad_plan.yaml" in err
    assert "milestones[1].due" in err and "risks[0].likelyhood: unknown key" in err
    assert "risks[0].likelihood" in err  # now missing
    assert rows(db, schema.plan_versions) == 0
    err = refused("plan", "load", "P1", tmp_path / "missing.yaml", "--db", db)
    assert "no such file" in err
    (tmp_path / "broken.yaml").write_text("interventions: [\n", encoding="utf-8")
    assert "not valid YAML" in refused("plan", "load", "P1", tmp_path / "broken.yaml",
                                       "--db", db)
    assert rows(db, schema.plan_versions) == 0


@pytest.mark.slow
def test_chain_load_and_show_with_svg(db, tmp_path):
    set_clock(db, "2024-07-01T09:00:00")
    assert "chain version 1 stored" in run("chain", "load", "P1", CHAIN, "--db", db).stdout
    assert "unchanged; nothing stored" in run("chain", "load", "P1", CHAIN, "--db", db).stdout
    assert rows(db, schema.chain_versions) == 1

    svg = tmp_path / "chain.svg"
    text = run("chain", "show", "P1", "--db", db, "--svg", svg).stdout
    assert "7 actors, 6 links" in text and "3 single points of failure" in text
    assert f"Diagram written to {svg}" in " ".join(text.split())
    root = ET.parse(svg).getroot()
    assert root.tag.rsplit("}", 1)[-1] == "svg"
    shown = as_json("chain", "show", "P1", "--db", db)
    assert [(w["from"], w["to"]) for w in shown["analysis"]["weak_links"]] == [
        ("province_b", "patrol_b")]

    doc = yaml.safe_load(CHAIN.read_text(encoding="utf-8"))
    doc["actors"][2]["level"] = "regional"
    del doc["links"][4]["evidence"]  # a weak link must say why
    bad = write_yaml(tmp_path / "bad_chain.yaml", doc)
    err = refused("chain", "load", "P1", bad, "--db", db, "--reason", "x")
    assert "actors[2].level" in err and "links[4].evidence" in err
    assert rows(db, schema.chain_versions) == 1


@pytest.mark.slow
def test_assess_record_and_show(db, tmp_path):
    set_clock(db, "2024-10-01T09:00:00")
    first = as_json("assess", "record", "P1", ASSESSMENT, "--db", db, "--by", "DU")
    assert (first["round"], first["likelihood"], first["change"]["direction"]) == (
        "2024-Q3", "amber_green", "new")
    worse = yaml.safe_load(ASSESSMENT.read_text(encoding="utf-8"))
    worse.update(round="2024-Q4", assessed_on="2024-12-31",
                 likelihood={"rating": "amber_red", "rationale": "Province B slipping"})
    set_clock(db, "2025-01-05T09:00:00")
    text = run("assess", "record", "P1", write_yaml(tmp_path / "q4.yaml", worse), "--db", db,
               "--by", "DU").stdout
    assert "Likelihood worsened from Amber/green to Amber/red since 2024-Q3" in " ".join(
        text.split())

    shown = as_json("assess", "show", "P1", "--db", db)
    assert [r["round"] for r in shown["rounds"]] == ["2024-Q3", "2024-Q4"]
    assert shown["latest"]["change"]["direction"] == "worse"
    earlier = as_json("assess", "show", "P1", "--db", db, "--as-of", "2025-01-04")
    assert [r["round"] for r in earlier["rounds"]] == ["2024-Q3"]
    assert "amber/red" in run("assess", "show", "P1", "--db", db).stdout

    worse["likelihood"] = {"rating": "amber"}
    worse["round"] = "2025-Q1"
    err = refused("assess", "record", "P1", write_yaml(tmp_path / "bad.yaml", worse),
                  "--db", db)
    assert "likelihood.rating" in err and "bad.yaml" in err
    assert rows(db, schema.assessments) == 2


@pytest.mark.slow
def test_stocktakes_and_actions(db, tmp_path):
    set_clock(db, "2024-05-01T09:00:00")
    # From 15 January every 3 months: 15 Apr, then 15 Jul is the first after 1 May.
    out = run("stocktakes", "schedule", "P1", "--db", db, "--every", "3", "--unit", "months",
              "--start", "2024-01-15").stdout
    assert "every 3 months; next stocktake 2024-07-15" in out
    assert "unit" in refused("stocktakes", "schedule", "P1", "--db", db, "--unit", "days",
                             "--start", "2024-01-15")

    set_clock(db, "2024-10-16T09:00:00")
    recorded = as_json("stocktakes", "record", "P1", STOCKTAKE, "--db", db, "--by", "DU")
    assert (recorded["held_on"], recorded["decisions"], len(recorded["actions"])) == (
        "2024-10-15", 2, 2)
    a1, a2 = recorded["actions"]
    assert "already recorded" in refused("stocktakes", "record", "P1", STOCKTAKE, "--db", db,
                                         kind=Conflict)

    # 1 December: A1 (due 30 Nov) is 1 day late, A2 (due 15 Nov) 16 days.
    set_clock(db, "2024-12-01T12:00:00")
    listed = as_json("actions", "list", "--open", "--db", db)
    assert listed["today"] == "2024-12-01"
    assert [(a["id"], a["status"], a["days_overdue"]) for a in listed["actions"]] == [
        (a1, "open", 1), (a2, "open", 16)]

    set_clock(db, "2024-12-03T12:00:00")
    out = run("actions", "update", a2, "--status", "done", "--on", "2024-12-02", "--note",
              "Explained", "--db", db, "--by", "Province B").stdout
    assert f"action {a2} (P1): open -> done on 2024-12-02" in out
    # A1 is now 3 days late; A2 is no longer open.
    listed = as_json("actions", "list", "--open", "--db", db)
    assert [(a["id"], a["days_overdue"]) for a in listed["actions"]] == [(a1, 3)]
    before = as_json("actions", "list", "--db", db, "--as-of", "2024-12-02")
    assert [a["status"] for a in before["actions"]] == ["open", "open"]

    overview = as_json("stocktakes", "show", "P1", "--db", db)
    assert overview["next"] == "2025-01-15"
    assert [(c["id"], c["code"]) for c in overview["carried_over"]] == [(a1, "A1")]
    assert run("stocktakes", "show", "P1", "--db", db).exit_code == 0

    assert "'finished' is not one of" in refused("actions", "update", a1, "--status",
                                                 "finished", "--db", db)
    assert f"there is no action {a2 + 100}" in refused("actions", "update", a2 + 100,
                                                      "--status", "done", "--db", db,
                                                      kind=NotFound)
    assert "not a date" in " ".join(run("actions", "update", a1, "--status", "done", "--on",
                                        "1 Dec", "--db", db, ok=False).stderr.split())
    assert rows(db, schema.action_updates) == 3  # two raised, one done

    doc = yaml.safe_load(STOCKTAKE.read_text(encoding="utf-8"))
    doc["held_on"] = "2025-01-15"
    doc["actions"][1]["due"] = "2024-12-31"  # before the stocktake that raised it
    doc["actions"][0]["owner"] = None
    err = refused("stocktakes", "record", "P1", write_yaml(tmp_path / "bad.yaml", doc),
                  "--db", db)
    assert "actions[0].owner: required" in err and "actions[1].due" in err
    assert rows(db, schema.stocktakes) == 1 and rows(db, schema.actions) == 2
