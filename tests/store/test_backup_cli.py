"""`stocktake backup` and `stocktake restore` on the command line: what they print, and the
exit code and message of each refusal."""

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.store.db import open_engine
from stocktake.store.schema import observations

runner = CliRunner()


def run(*args) -> object:
    return runner.invoke(app, [str(a) for a in args])


@pytest.mark.slow
def test_backup_then_restore_on_the_command_line(small_model_dir, tmp_path):
    source = f"sqlite:///{tmp_path / 'source.db'}"
    assert run("load", small_model_dir, "--db", source).exit_code == 0
    data = tmp_path / "jan.csv"
    data.write_text("indicator,unit,period,value\nincidents,A1,2025-01,30\n"
                    "incidents,A2,2025-01,12\n")
    assert run("submit", data, "--db", source).exit_code == 0
    out = tmp_path / "b.zip"

    taken = run("backup", "--out", out, "--db", source, "--json")
    assert taken.exit_code == 0, taken.output
    manifest = json.loads(taken.stdout)
    rows = {t["name"]: t["rows"] for t in manifest["tables"]}
    assert rows["observations"] == 2 and rows["units"] == 6 and rows["batches"] == 1

    target = f"sqlite:///{tmp_path / 'target.db'}"
    restored = run("restore", out, "--db", target)
    assert restored.exit_code == 0, restored.output
    assert f"Restored {sum(rows.values()):,} rows into" in restored.stdout
    with open_engine(target).connect() as conn:
        assert conn.execute(select(func.count()).select_from(observations)).scalar() == 2

    again = run("restore", out, "--db", target, "--json")  # the target now holds data
    assert again.exit_code == 4
    error = json.loads(again.stdout)["error"]
    assert error["kind"] == "conflict" and "--force" in error["message"]
    assert run("restore", out, "--db", target, "--force").exit_code == 0

    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(out.read_bytes()[:200])
    refused = run("restore", damaged, "--db", f"sqlite:///{tmp_path / 'other.db'}")
    assert refused.exit_code == 2 and not (tmp_path / "other.db").exists()
    assert "not a stocktake backup, or damaged or truncated" in " ".join(refused.output.split())
