"""``stocktake alerts`` and ``stocktake alerts review`` on a real SQLite world with a planted
ratio shift (tests/services/test_alerts.py builds it): the JSON shape, the table, the exit
codes of bad input, and a review read back --as-of."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.store.db import open_engine

from .services.test_alerts import PLANTED, planted_world

runner = CliRunner()
FIELDS = ["kind", "unit", "indicators", "start", "end", "size", "evidence", "strength",
          "status"]


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("alerts") / "world.db"
    engine = open_engine(f"sqlite:///{path}")
    planted_world(engine, path.parent / "model")
    engine.dispose()
    return f"sqlite:///{path}"


def alerts_json(db: str, *args: object) -> list[dict]:
    r = run("alerts", "--db", db, "--json", *args)
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert list(out) == ["alerts"]
    return out["alerts"]


def test_the_json_has_the_contracted_fields_in_order(db):
    found = alerts_json(db)
    assert found
    for a in found:
        assert list(a)[:9] == FIELDS
    planted = next(a for a in found if a["kind"] == "ratio_shift")
    assert planted["unit"] == PLANTED and planted["indicators"] == ["unfounded", "reports"]
    assert planted["status"] == "open" and isinstance(planted["evidence"], list)
    assert set(planted["size"]["unfounded/reports"]) == {"before", "after", "change",
                                                         "relative"}


def test_the_table_shows_each_alert_with_its_explanation(db):
    r = run("alerts", "--db", db, "--unit", PLANTED)
    assert r.exit_code == 0, r.output
    assert "ratio shift" in r.stdout and "Region 3 records" in r.stdout


@pytest.mark.parametrize("args, code, kind", [
    (("--priority", "CRIM"), 3, "not_found"),
    (("--unit", "R33"), 3, "not_found"),
])
def test_unknown_codes_exit_3_with_a_suggestion(db, args, code, kind):
    r = run("alerts", "--db", db, "--json", *args)
    assert r.exit_code == code
    assert json.loads(r.stdout)["error"]["kind"] == kind


@pytest.mark.slow
def test_a_review_is_recorded_and_read_back_as_of(db):
    planted = next(a for a in alerts_json(db) if a["kind"] == "ratio_shift")
    bad = run("alerts", "review", planted["id"], "--status", "explaned", "--note", "x",
              "--db", db, "--json")
    assert bad.exit_code == 2 and "did you mean 'explained'" in bad.stdout
    missing = run("alerts", "review", "0000", "--status", "confirmed", "--note", "x",
                  "--db", db)
    assert missing.exit_code == 3
    r = run("alerts", "review", planted["id"], "--status", "confirmed", "--note",
            "down-coding confirmed by the audit", "--db", db, "--json")
    assert r.exit_code == 0, r.output
    done = json.loads(r.stdout)
    assert done["review"]["status"] == "confirmed" and done["alert"]["status"] == "confirmed"
    now = next(a for a in alerts_json(db) if a["id"] == planted["id"])
    assert now["status"] == "confirmed"
    assert [h["note"] for h in now["history"]] == ["down-coding confirmed by the audit"]
    then = next(a for a in alerts_json(db, "--as-of", "2026-01-31") if a["id"] == planted["id"])
    assert then["status"] == "open" and then["history"] == []
