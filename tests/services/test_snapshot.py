"""A Snapshot reads one world: the model once, the data once and at one moment, even when a
submission arrives between two reads of the same page."""

from __future__ import annotations

from datetime import datetime

from stocktake.intake.service import submit_rows
from stocktake.services.data.model_service import load_model
from stocktake.services.reading.snapshot import Snapshot

T0, T1, T2 = datetime(2024, 8, 1), datetime(2024, 8, 5), datetime(2024, 9, 5)


def submit(engine, rows, now):
    result = submit_rows(engine, rows, submitter="t", now=now)
    assert result.accepted, result.errors


def test_a_snapshot_reads_one_moment_even_as_data_arrives(engine, small_model_dir):
    load_model(engine, small_model_dir, loaded_by="t", now=T0)
    submit(engine, [("incidents", "A1", "2024-01", 30), ("screening", "A1", "2024-Q1", 50)], T1)
    snap = Snapshot(engine)
    first = snap.data(["incidents"])
    assert first.value_at("incidents", "A1", "2024-01") == 30
    # A revision and a new indicator's value arrive after the snapshot was first read.
    submit(engine, [("incidents", "A1", "2024-01", 99), ("screening", "A1", "2024-Q1", 70)], T2)
    both = snap.data(["incidents", "screening"])  # a second load, for more indicators
    assert both.value_at("incidents", "A1", "2024-01") == 30
    assert both.value_at("screening", "A1", "2024-Q1") == 50
    assert both.as_of is None and both.data_as_of == T1  # as asked: the newest, at T1
    assert snap.data(["incidents"]) is both  # nothing new asked: no new load
    # A new snapshot sees the revision.
    assert Snapshot(engine).data(["incidents"]).value_at("incidents", "A1", "2024-01") == 99


def test_as_of_is_the_readers_moment(engine, small_model_dir):
    load_model(engine, small_model_dir, loaded_by="t", now=T0)
    submit(engine, [("incidents", "A1", "2024-01", 30)], T1)
    submit(engine, [("incidents", "A1", "2024-01", 99)], T2)
    snap = Snapshot(engine, as_of=datetime(2024, 8, 6))
    data = snap.data(["incidents"])
    assert data.value_at("incidents", "A1", "2024-01") == 30
    assert data.as_of == datetime(2024, 8, 6) and snap.now == datetime(2024, 8, 6)
    assert snap.model is snap.model  # read once
