"""The emergency-department example (examples/emergency): its generator writes a small
extract, `stocktake compute` computes the four-hour share from it, and the values equal a
plain Python count over the same records, for a hospital and for its region (from the
region's attendances, not from its hospitals' shares)."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from stocktake.cli import app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "emergency"
MIDLANDS = ("MID01", "MID02", "MID03")


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """A copy of the example with 20,000 attendances written by its own generator."""
    root = tmp_path_factory.mktemp("emergency")
    shutil.copytree(EXAMPLE / "model", root / "model")
    spec = importlib.util.spec_from_file_location("ed_generate", EXAMPLE / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    files = module.main(["--rows", "20000", "--out", str(root / "records")])
    assert len(files) == 12  # one file a month, in month=YYYY-MM folders
    return root


def share_within_4h(records: list[dict]) -> float:
    return 100 * sum(1 for r in records if r["minutes"] <= 240) / len(records)


def test_the_four_hour_share_equals_a_count_of_the_records(example, tmp_path):
    runner = CliRunner()
    db = f"sqlite:///{tmp_path / 'ed.db'}"
    assert runner.invoke(app, ["load", str(example / "model"), "--db", db]).exit_code == 0
    result = runner.invoke(app, ["compute", "seen_within_4h", "--model",
                                 str(example / "model"), "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    assert run["submission"]["accepted"]
    (share,) = run["indicators"]
    got = {(v["unit"], v["period"]): v["value"] for v in share["values"]}
    # 12 hospitals, 4 regions and the nation, each month.
    assert len(got) == 17 * 12

    # The same records, read back and counted in plain Python.
    march = [r for r in pq.read_table(example / "records" / "month=2024-03").to_pylist()
             if r["arrival"].month == 3]
    hospital = [r for r in march if r["provider"] == "MID03"]
    region = [r for r in march if r["provider"] in MIDLANDS]
    assert got[("MID03", "2024-03")] == pytest.approx(share_within_4h(hospital), rel=1e-11)
    assert got[("MIDLANDS", "2024-03")] == pytest.approx(share_within_4h(region), rel=1e-11)
    assert got[("NATION", "2024-03")] == pytest.approx(share_within_4h(march), rel=1e-11)
    # The hospitals differ in size and in waits: the mean of their shares is another number.
    mean_of_shares = sum(got[(h, "2024-03")] for h in MIDLANDS) / 3
    assert abs(mean_of_shares - got[("MIDLANDS", "2024-03")]) > 0.5


def test_the_generator_is_deterministic(example, tmp_path):
    spec = importlib.util.spec_from_file_location("ed_generate2", EXAMPLE / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(["--rows", "20000", "--out", str(tmp_path / "again")])
    first = pq.read_table(example / "records" / "month=2024-06" / "attendances.parquet")
    again = pq.read_table(tmp_path / "again" / "month=2024-06" / "attendances.parquet")
    assert first.equals(again) and first.num_rows > 1000
