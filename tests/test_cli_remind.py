"""`stocktake remind` and `stocktake mail` on a real SQLite world (tests/services/
test_reminders.py's): the dry run previews and records nothing, a pass without mail
configured exits 6, sends nothing and never shows a password; the address book refuses
bad input with exit 2 and changes nothing."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.store.db import open_engine

from .services.test_reminders import (
    AS_OF,
    address_everyone,
    build_world,
    recorded,
)

pytestmark = pytest.mark.usefixtures("cheap_hashing")  # tests/conftest.py
runner = CliRunner()


@pytest.fixture
def world(tmp_path, small_model_dir):
    """The world on SQLite only: what the CLI adds to the service is tested once."""
    engine = open_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    build_world(engine, small_model_dir)
    address_everyone(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def db(world) -> str:
    return world.url.render_as_string(hide_password=False)


def run(*args: str):
    return runner.invoke(app, list(args))


def test_a_dry_run_previews_who_gets_what_and_records_nothing(db, world):
    out = run("remind", "--dry-run", "--as-of", AS_OF.isoformat(), "--db", db, "--json")
    assert out.exit_code == 0, out.output
    body = json.loads(out.output)
    assert body["dry_run"] is True and body["sent"] == []
    got = {(r["to"], r["kind"]) for r in body["reminders"]}
    assert ("pm@example.test", "stocktakes") in got and len(got) == 7
    [pm] = [r for r in body["reminders"] if r["to"] == "pm@example.test"]
    assert pm["attachment"] == "pack-P1.pdf"
    assert recorded(world) == 0


def test_without_mail_configured_remind_exits_6_and_sends_nothing(db, world,
                                                                  monkeypatch):
    monkeypatch.setenv("STOCKTAKE_SMTP_URL", "")
    monkeypatch.delenv("STOCKTAKE_MAIL_FROM", raising=False)
    out = run("remind", "--db", db)
    assert out.exit_code == 6
    assert "mail is not configured" in out.output
    assert recorded(world) == 0


def test_a_bad_address_is_refused_with_exit_2_and_nothing_changes(db):
    before = run("mail", "addresses", "--db", db, "--json").output
    out = run("mail", "set", "team", "B1", "nope", "--db", db)
    assert out.exit_code == 2
    assert "'team' is not one of user, unit, person" in out.output
    assert "'nope' is not an e-mail address" in out.output
    assert run("mail", "addresses", "--db", db, "--json").output == before
