"""The CLI's security commands on real databases (issue #15): the audit log, every user's
API tokens and revoking one, and the password policy on `user add`."""

import json

import pytest
from typer.testing import CliRunner

from stocktake.cli import app

runner = CliRunner()
PW = "correct horse battery"


pytestmark = pytest.mark.usefixtures("cheap_hashing")  # tests/conftest.py


def run(*args, ok=True, input=None):
    result = runner.invoke(app, [str(a) for a in args], input=input)
    if ok and result.exit_code != 0:
        raise AssertionError(f"exit {result.exit_code}: {result.output}\n{result.exception!r}")
    return result


@pytest.mark.slow
def test_audit_tokens_and_revoke_from_the_command_line(db_url, small_model_dir):
    run("load", small_model_dir, "--db", db_url)
    run("user", "add", "pat", "--role", "provider", "--unit", "A", "--password-stdin",
        "--db", db_url, input=PW + "\n")
    weak = run("user", "add", "bob", "--role", "analyst", "--password-stdin", "--db", db_url,
               input="password1234\n", ok=False)
    assert weak.exit_code != 0 and "too easy to guess" in weak.output
    run("user", "token", "pat", "--scope", "unit:A", "--label", "nightly", "--db", db_url)

    tokens = json.loads(run("user", "tokens", "--db", db_url, "--json").stdout)
    assert [(t["id"], t["user"], t["scope"], t["label"]) for t in tokens] == [
        (1, "pat", "unit:A", "nightly")]
    run("user", "revoke-token", "pat", "1", "--db", db_url)
    assert json.loads(run("user", "tokens", "--db", db_url, "--json").stdout) == []
    assert len(json.loads(run("user", "tokens", "pat", "--revoked", "--db", db_url,
                              "--json").stdout)) == 1

    log = json.loads(run("audit", "--db", db_url, "--json").stdout)
    assert [(e["action"], e["actor"], e["subject"], e["ip"]) for e in log] == [
        ("token_revoked", "cli", "pat", None), ("token_created", "cli", "pat", None),
        ("user_created", "cli", "pat", None), ("model_loaded", log[-1]["actor"], "model", None)]
    only = json.loads(run("audit", "--user", "PAT", "--action", "token_created", "--db", db_url,
                          "--json").stdout)
    assert [e["action"] for e in only] == ["token_created"]
    table = run("audit", "--db", db_url).stdout
    assert "revoked" in table and "command" in table
    unknown = run("audit", "--action", "sign_inn", "--db", db_url, ok=False)
    assert unknown.exit_code != 0 and "did you mean 'sign_in'" in unknown.output


def test_audit_help_lists_every_action():
    # Each kind of event the log records, including those of commitments, escalation and
    # mail (issue #17), is named in --action's help, so none has to be guessed.
    from stocktake.services.admin.audit import ACTIONS

    text = " ".join(CliRunner().invoke(app, ["audit", "--help"], env={"COLUMNS": "300"})
                    .output.split())
    missing = [a for a in ACTIONS if a not in text]
    assert not missing
    assert "commitment_status_set" in ACTIONS and "review_changed" in ACTIONS
