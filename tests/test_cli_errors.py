"""The command line's one error mapping (stocktake/cli/exits.py), through the real CLI on
real SQLite databases: each kind of StocktakeError exits with its own code and says what
and where on stderr (and as a JSON object on stdout with --json); anything else is a bug,
exit 70, with no traceback unless STOCKTAKE_DEBUG=1."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.cli.common import JsonOption
from stocktake.cli.exits import StocktakeGroup
from stocktake.errors import Conflict, Forbidden, Invalid, NotFound, Problem, StocktakeError
from stocktake.services.reading import status as status_service
from stocktake.services.reading.snapshot import Snapshot
from stocktake.services.reading.status import priority_status
from stocktake.store.db import open_engine

SRC = Path(__file__).parents[1] / "src"
PLAN = Path(__file__).parents[1] / "examples" / "delivery" / "plan.yaml"
# Written out here, not read from the code under test: kind -> (JSON name, exit code).
KINDS = {NotFound: ("not_found", 3), Invalid: ("invalid", 2), Conflict: ("conflict", 4),
         Forbidden: ("forbidden", 5)}
runner = CliRunner()


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def db(tmp_path, small_model_dir) -> str:
    url = f"sqlite:///{tmp_path / 'test.db'}"
    assert run("load", small_model_dir, "--db", url).exit_code == 0
    return url


def expected_answer(exc: StocktakeError) -> tuple[str, int]:
    """The kind and exit code the CLI owes for what a service raised."""
    return next(v for k, v in KINDS.items() if isinstance(exc, k))


def test_an_unknown_priority_is_answered_with_its_kind_and_what_was_asked(db):
    with pytest.raises(StocktakeError) as raised:  # what the service itself says
        priority_status(Snapshot(open_engine(db)), priority="NOPE")
    kind, code = expected_answer(raised.value)

    text = run("status", "--priority", "NOPE", "--db", db)
    assert text.exit_code == code
    assert text.stdout == ""
    assert text.stderr.startswith("error: ") and "'NOPE'" in text.stderr
    assert "P1" in text.stderr  # the priorities there are, or the did-you-mean

    answer = run("status", "--priority", "NOPE", "--db", db, "--json")
    assert answer.exit_code == code
    error = json.loads(answer.stdout)["error"]
    assert error["kind"] == kind
    assert error["message"] == str(raised.value)
    assert [p["message"] for p in error["problems"]] == [
        p.message for p in getattr(raised.value, "problems", [Problem(str(raised.value))])]


def test_a_bad_plan_file_is_invalid_and_every_problem_says_where(db, tmp_path):
    doc = yaml.safe_load(PLAN.read_text(encoding="utf-8"))
    doc["milestones"][1]["due"] = "31/12/2024"
    doc["risks"][0]["likelyhood"] = doc["risks"][0].pop("likelihood")
    bad = tmp_path / "bad_plan.yaml"
    bad.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")

    answer = run("plan", "load", "P1", bad, "--db", db, "--author", "DU", "--json")
    assert answer.exit_code == 2
    error = json.loads(answer.stdout)["error"]
    assert error["kind"] == "invalid"
    said = json.dumps(error["problems"])
    for where in ("milestones[1].due", "risks[0].likelyhood", "risks[0].likelihood"):
        assert where in said and where in " ".join(answer.stderr.split())
    assert "bad_plan.yaml" in error["message"]


@pytest.mark.slow
def test_a_rebase_removed_without_a_period_is_invalid(db):
    text = run("spc-rebase", "incident_rate", "--unit", "N", "--remove", "--db", db)
    assert (text.exit_code, text.stdout) == (2, "")
    assert text.stderr == "error: --remove needs --at PERIOD\n"
    answer = run("spc-rebase", "incident_rate", "--unit", "N", "--remove", "--db", db,
                 "--json")
    assert answer.exit_code == 2
    assert json.loads(answer.stdout) == {"error": {
        "kind": "invalid", "message": "--remove needs --at PERIOD",
        "problems": [{"where": "", "message": "--remove needs --at PERIOD"}]}}


def test_a_usage_error_is_still_clicks_own():
    text = run("status", "--as-of", "yesterday", "--json")
    assert text.exit_code == 2 and "Usage: " in text.stderr and "--as-of" in text.stderr
    assert text.stdout == ""


# -- each kind, from commands that raise it, through the same group as `stocktake` --------

def kinds_app() -> typer.Typer:
    """Two commands (one alone would not make a group) that raise what they are told to."""
    kinds = typer.Typer(cls=StocktakeGroup)

    @kinds.command("fail")
    def fail(kind: str, as_json: JsonOption = False) -> None:
        if kind == "invalid":
            raise Invalid([Problem("not a date like 2026-07-31", "plan.yaml:4 due"),
                           Problem("unknown key", "plan.yaml:9 likelyhood")],
                          source="plan.yaml")
        if kind == "value":
            raise ValueError("'X' is not a unit")
        if kind == "bug":
            raise KeyError("latest")
        raise {"not_found": NotFound, "conflict": Conflict, "forbidden": Forbidden}[kind](
            f"the {kind} message")

    @kinds.command("ok")
    def ok() -> None:
        print("fine")

    return kinds


@pytest.mark.parametrize("kind", [NotFound, Conflict, Forbidden])
def test_each_kind_exits_with_its_own_code(kind):
    name, code = KINDS[kind]
    text = runner.invoke(kinds_app(), ["fail", name])
    assert text.exit_code == code
    assert (text.stdout, text.stderr) == ("", f"error: the {name} message\n")
    answer = runner.invoke(kinds_app(), ["fail", name, "--json"])
    assert answer.exit_code == code
    assert json.loads(answer.stdout) == {"error": {
        "kind": name, "message": f"the {name} message",
        "problems": [{"where": "", "message": f"the {name} message"}]}}


def test_invalid_lists_every_problem_with_where_it_is():
    text = runner.invoke(kinds_app(), ["fail", "invalid"])
    assert text.exit_code == 2
    assert text.stderr.splitlines() == [
        "error: plan.yaml: 2 problems:",
        "  - plan.yaml:4 due: not a date like 2026-07-31",
        "  - plan.yaml:9 likelyhood: unknown key"]
    answer = runner.invoke(kinds_app(), ["fail", "invalid", "--json"])
    assert json.loads(answer.stdout)["error"]["problems"] == [
        {"where": "plan.yaml:4 due", "message": "not a date like 2026-07-31"},
        {"where": "plan.yaml:9 likelyhood", "message": "unknown key"}]


def test_a_plain_value_error_is_a_bug_not_a_bad_argument():
    """A ValueError is a programming error: exit 70 with its type named, not exit 2."""
    text = runner.invoke(kinds_app(), ["fail", "value"])
    assert text.exit_code == 70
    said = " ".join(text.stderr.split())
    assert "internal error" in said and "ValueError: 'X' is not a unit" in said
    assert not said.startswith("error:")


def test_any_other_exception_is_a_bug_with_exit_70():
    text = runner.invoke(kinds_app(), ["fail", "bug"])
    assert text.exit_code == 70
    said = " ".join(text.stderr.split())
    assert "internal error" in said and "bug" in said and "KeyError" in said
    answer = runner.invoke(kinds_app(), ["fail", "bug", "--json"])
    assert json.loads(answer.stdout)["error"]["kind"] == "internal"


def test_a_value_error_inside_a_service_is_a_bug_exit_70_not_a_bad_argument(db, monkeypatch):
    """A plain ValueError raised inside a service (here: where the status reads a
    priority's trajectory) is a programming error, never read as the user's mistake."""
    def broken(p):
        raise ValueError("operands could not be broadcast together with shapes (3,) (4,)")

    monkeypatch.setattr(status_service, "trajectory_of", broken)
    monkeypatch.delenv("STOCKTAKE_DEBUG", raising=False)
    text = run("status", "--db", db)
    assert (text.exit_code, text.stdout) == (70, "")
    said = " ".join(text.stderr.split())
    assert said.startswith("internal error: this is a bug in stocktake")
    assert "ValueError: operands could not be broadcast" in said
    assert "Traceback" not in text.stderr and "error: operands" not in said

    answer = run("status", "--db", db, "--json")
    assert answer.exit_code == 70
    assert json.loads(answer.stdout) == {"error": {
        "kind": "internal", "type": "ValueError",
        "message": "operands could not be broadcast together with shapes (3,) (4,)",
        "problems": []}}

    monkeypatch.setenv("STOCKTAKE_DEBUG", "1")  # the developer's switch: raised as it is
    debug = run("status", "--db", db)
    assert debug.exit_code != 0 and isinstance(debug.exception, ValueError)


# -- a real internal error, in a real process ----------------------------------------------

def stocktake(*args: str, debug: bool = False) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "STOCKTAKE_DEBUG"}
    environ |= {"PYTHONPATH": str(SRC), "COLUMNS": "200"}
    if debug:
        environ["STOCKTAKE_DEBUG"] = "1"
    return subprocess.run([sys.executable, "-m", "stocktake", *args], env=environ,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def broken_db(db) -> str:
    """A database whose observations table was dropped behind stocktake's back: it opens
    (the schema revision is there) and then fails in the middle of a read."""
    with sqlite3.connect(db.removeprefix("sqlite:///")) as conn:
        conn.execute("DROP TABLE observations")
    return db


@pytest.mark.slow
def test_an_internal_error_exits_70_and_shows_no_traceback(broken_db):
    done = stocktake("status", "--db", broken_db)
    assert done.returncode == 70
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    said = " ".join(done.stderr.split())
    assert said.startswith("internal error: this is a bug in stocktake")
    assert "OperationalError" in said and "no such table: observations" in said
    assert "STOCKTAKE_DEBUG=1" in said

    debug = stocktake("status", "--db", broken_db, debug=True)
    assert debug.returncode != 0 and "Traceback" in debug.stderr
    assert "no such table: observations" in debug.stderr
