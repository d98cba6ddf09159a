"""``stocktake commitments`` and ``stocktake priority`` end to end on SQLite: load, set,
list with counts and movement (table and --json), intensity and a review; bad input refused
with its exit code and nothing stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.errors import Invalid, NotFound
from stocktake.store.db import open_engine, set_meta, writing

HERE = Path(__file__).parent
EXAMPLE = HERE.parent / "examples" / "commitments" / "commitments.csv"
runner = CliRunner(env={"COLUMNS": "200"})


def run(*args: Any, code: int = 0):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == code, (result.output, result.exception)
    return result


def clock(url: str, moment: str) -> None:
    """Set the database's simulated "now", so every recorded time is known."""
    engine = open_engine(url)
    with writing(engine) as conn:
        set_meta(conn, "clock", moment)
    engine.dispose()


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    run("load", HERE / "fixtures" / "small_model", "--db", url)
    clock(url, "2024-01-10T09:00:00")
    run("commitments", "load", EXAMPLE, "--db", url, "--by", "ana")
    clock(url, "2024-02-10T09:00:00")
    return url


def test_list_counts_and_movement(db):
    run("commitments", "set", "C1", "facing_challenges", "--reason", "Stalled", "--db", db,
        "--by", "ana")
    out = json.loads(run("commitments", "--db", db, "--json").stdout)
    assert out["total"] == 4 and out["since"] == "2024-01-11T09:00:00"
    assert out["by_status"]["facing_challenges"] == 1
    assert [(m["code"], m["before"], m["after"]) for m in out["movements"]] == [
        ("C1", "on_track", "facing_challenges")]
    text = run("commitments", "--db", db, "--minister", "Minister of Health").stdout
    assert "Commitments: 2" in text and "C1: underway, on track -> underway, facing " \
        "challenges (Stalled)" in text
    since = json.loads(run("commitments", "--db", db, "--since", "2024-01-01",
                           "--json").stdout)
    assert len(since["movements"]) == 4  # every commitment is new since then


def test_refusals(db):
    assert "needs a reason" in run("commitments", "set", "C1", "not_pursued", "--reason", "",
                                   "--db", db, code=Invalid.exit_code).stderr
    assert "did you mean" in run("commitments", "--minister", "Minister of Helth", "--db",
                                 db, code=NotFound.exit_code).stderr
    out = json.loads(run("commitments", "--db", db, "--json").stdout)
    assert out["movements"] == []  # nothing changed


def test_intensity_and_review(db, tmp_path):
    run("priority", "intensity", "P1", "crisis", "--reason", "Off track", "--db", db)
    run("priority", "review", "commission", "P1", "--scope", "Hiring", "--team", "DU",
        "--db", db)
    f = tmp_path / "r.yaml"
    f.write_text("findings: Pay\nrecommendations:\n"
                 "- {text: Raise pay, owner: Treasury, due: 2024-06-30}\n")
    run("priority", "review", "report", "1", f, "--db", db)
    out = json.loads(run("priority", "escalation", "P1", "--db", db, "--json").stdout)
    p = out["priorities"][0]
    assert (p["level"], p["open_reviews"]) == ("crisis", 1)
    assert p["reviews"][0]["recommendations"][0]["owner"] == "Treasury"
    run("priority", "intensity", "P1", "calm", "--reason", "x", "--db", db,
        code=Invalid.exit_code)
