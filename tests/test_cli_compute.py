"""stocktake compute and stocktake batches --lineage, through the CLI on a real database."""

import json
import shutil

import pytest
from typer.testing import CliRunner

from stocktake.cli import app

from .compute.records import MODEL, by_hand, records, write_parquet

runner = CliRunner()


def run(*args, code: int = 0):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == code, f"exit {result.exit_code}: {result.output}"
    return result


def test_compute_dry_run_then_submit_then_lineage(tmp_path):
    model = tmp_path / "model"
    shutil.copytree(MODEL, model)
    write_parquet(records(), model / "records")
    db = f"sqlite:///{tmp_path / 'c.db'}"
    run("load", model, "--db", db)
    dry = json.loads(run("compute", "seen_4h", "--model", model, "--period", "2024-02",
                         "--dry-run", "--json").stdout)
    hand = by_hand(records(), levels=True)["seen_4h"]
    (only,) = dry["indicators"]
    assert {(v["unit"], v["period"]): v["value"] for v in only["values"]} == pytest.approx(
        {k: v for k, v in hand.items() if k[1] == "2024-02"}, rel=1e-11)
    assert dry["submission"] is None and "<= 240" in only["sql"]
    assert json.loads(run("batches", "--db", db, "--json").stdout) == []  # nothing stored

    out = run("compute", "seen_4h", "attendances", "--model", model, "--db", db).stdout
    assert "Accepted compute as batch 1" in out
    listed = json.loads(run("batches", "--db", db, "--json").stdout)
    assert listed[0]["source"] == "compute: seen_4h, attendances"
    assert listed[0]["format"] == "compute"
    lineage = json.loads(run("batches", "--lineage", "1", "--db", db, "--json").stdout)
    assert [e["indicator"] for e in lineage["lineage"]] == ["attendances", "seen_4h"]
    text = run("batches", "--lineage", "1", "--db", db).stdout
    assert "snapshot: 2 file(s)" in text and "on duckdb" in text

    missing = run("batches", "--lineage", "7", "--db", db, code=3)
    assert "batch 7 has no lineage" in missing.output
    bad = run("compute", "seen4h", "--model", model, "--db", db, code=3)
    assert "did you mean 'seen_4h'" in bad.output
