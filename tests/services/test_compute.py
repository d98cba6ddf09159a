"""stocktake compute's service: the values computed from the records go in as one batch
through the submission service, with their lineage; a recomputation after the records
change records revisions; a dry run or bad input stores nothing."""

import shutil

import pytest
from sqlalchemy import func, select

from stocktake.errors import Invalid, NotFound
from stocktake.services.data.compute import compute_indicators
from stocktake.services.data.model_service import load_model
from stocktake.store import schema
from stocktake.store.db import open_engine
from stocktake.store.lineage import batch_lineage
from stocktake.store.observations import latest

from ..compute.records import MODEL, by_hand, records, write_parquet


@pytest.fixture
def model_dir(tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(MODEL, folder)
    write_parquet(records(), folder / "records")
    return folder


@pytest.fixture
def sqlite_store(tmp_path, migrated_sqlite):
    """A fresh SQLite store only: what these tests check does not depend on the store."""
    path = tmp_path / "store.db"
    shutil.copyfile(migrated_sqlite, path)
    engine = open_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def batches(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(schema.batches)).scalar_one()


def test_computed_values_are_stored_as_a_batch_with_lineage(engine, model_dir):
    load_model(engine, model_dir, loaded_by="test")
    run = compute_indicators(engine, model_dir, ["seen_4h", "attendances"], submitter="t")
    assert run.submission.accepted and run.submission.format == "compute"
    hand = by_hand(records(), levels=True)
    with engine.connect() as conn:
        stored = latest(conn).to_dicts()
        lineage = batch_lineage(conn, run.submission.batch)
    got = {(r["indicator"], r["unit"], r["period"]): r["value"] for r in stored}
    want = {(code, u, p): v for code in ("seen_4h", "attendances")
            for (u, p), v in hand[code].items()}
    assert got.keys() == want.keys()
    assert all(got[k] == pytest.approx(v, rel=1e-11) for k, v in want.items())
    assert [e["indicator"] for e in lineage] == ["attendances", "seen_4h"]
    assert lineage[1]["engine"] == "duckdb" and "<= 240" in lineage[1]["sql"]
    assert lineage[1]["definition"]["measure"] == "share"
    assert len(lineage[1]["snapshot"]["files"]) == 2


def test_recomputing_after_the_records_change_records_revisions(engine, model_dir):
    load_model(engine, model_dir, loaded_by="test")
    first = compute_indicators(engine, model_dir, ["attendances"])
    again = compute_indicators(engine, model_dir, ["attendances"])
    assert again.submission.duplicate_of == first.submission.batch  # nothing changed
    rows = records()
    rows[0]["hospital"] = "H3" if rows[0]["hospital"] != "H3" else "H2"
    write_parquet(rows, model_dir / "records")
    changed = compute_indicators(engine, model_dir, ["attendances"])
    # One attendance moved to a hospital of the other region: both hospitals and both
    # regions are revised; the nation's count is unchanged.
    assert changed.submission.accepted and changed.submission.revised == 4
    with engine.connect() as conn:
        snap = batch_lineage(conn, changed.submission.batch)[0]["snapshot"]
    assert snap["files"][0]["file"] == "records/part-1.parquet"


def test_a_dry_run_and_bad_input_store_nothing(sqlite_store, model_dir):
    engine = sqlite_store
    load_model(engine, model_dir, loaded_by="test")
    run = compute_indicators(engine, model_dir, ["median_minutes"], period="2024-03",
                             dry_run=True)
    assert run.submission is None and {p for _, p, _ in run.computed[0].values} == {"2024-03"}
    since = compute_indicators(engine, model_dir, ["attendances"], since="2024-03", dry_run=True)
    assert {p for _, p, _ in since.computed[0].values} == {"2024-03", "2024-04"}
    with pytest.raises(Invalid, match="not both"):
        compute_indicators(engine, model_dir, period="2024-03", since="2024-03")
    with pytest.raises(NotFound, match="seen_4hrs"):
        compute_indicators(engine, model_dir, ["seen_4hrs"])
    with pytest.raises(Invalid, match="--period: '2024-13'"):
        compute_indicators(engine, model_dir, period="2024-13")
    with pytest.raises(Invalid, match="read by duckdb or spark, not postgres"):
        compute_indicators(engine, model_dir, engine="postgres")
    assert batches(engine) == 0


def test_a_quarter_is_computed_from_all_its_months(sqlite_store, model_dir):
    engine = sqlite_store
    load_model(engine, model_dir, loaded_by="test")
    run = compute_indicators(engine, model_dir, ["p90_major"], period="2024-02", dry_run=True)
    hand = by_hand(records(), levels=True)["p90_major"]
    assert {(u, p): v for u, p, v in run.computed[0].values} == pytest.approx(
        {k: v for k, v in hand.items() if k[1] == "2024-Q1"}, rel=1e-11)
