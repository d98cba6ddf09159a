"""Storing a batch: the order rows go into SQLite, and the comparison with stored values."""

import random
from datetime import datetime

import polars as pl
import pytest
from sqlalchemy import func, select

from stocktake.services.data.model_service import load_model
from stocktake.store import model_repo, schema
from stocktake.store.observations import (
    BatchCounts,
    _index_order,
    latest,
    latest_ids,
    new_vintages,
    newest_vintages,
    read_frame,
    record_batch,
)

PERIODS = ["2024", "2024-01", "2024-02", "2024-10", "2024-Q1", "2024-W05", "2024-03-15",
           "2023-12", "2025"]


def frame(n: int, ids: list[int], seed: int = 7) -> pl.DataFrame:
    rng = random.Random(seed)
    return pl.DataFrame({
        "indicator_id": [rng.choice(ids) for _ in range(n)],
        "unit_id": [rng.choice(ids) for _ in range(n)],
        "period": [rng.choice(PERIODS) for _ in range(n)],
        "value": [float(i) for i in range(n)],
    }, schema={"indicator_id": pl.Int64, "unit_id": pl.Int64, "period": pl.String,
               "value": pl.Float64})


@pytest.mark.parametrize("ids", [[1, 2, 3, 40, 41], [1, 7, 2**20], [1, 2**40, 2**41]],
                         ids=["32-bit key", "64-bit key", "ids too large to pack"])
def test_rows_are_stored_in_the_index_order(ids):
    rows = frame(500, ids)
    expected = sorted(range(rows.height), key=lambda i: (
        rows["indicator_id"][i], rows["unit_id"][i], rows["period"][i]))
    got = _index_order(rows).to_list()
    # Ties (the same key twice) may come in either order; the keys must not.
    keys = rows.select("indicator_id", "unit_id", "period").rows()
    assert [keys[i] for i in got] == [keys[i] for i in expected]
    assert sorted(got) == list(range(rows.height))


def test_new_vintages_counts_and_keeps_new_keys_and_changed_values():
    rows = pl.DataFrame({"indicator_id": [1, 1, 1, 2], "unit_id": [1, 2, 3, 1],
                         "period": ["2024-01"] * 4, "value": [5.0, 6.0, 7.0, 0.0],
                         "current": [None, 6.0, 8.0, -0.0]})
    kept, counts = new_vintages(rows)
    assert (counts.added, counts.revised, counts.unchanged) == (1, 1, 2)
    assert kept.columns == ["indicator_id", "unit_id", "period", "value"]
    assert kept["unit_id"].to_list() == [1, 3]


def _record(engine, rows: list[tuple[int, int, str, float]],
            at: datetime = datetime(2024, 3, 1)) -> None:
    new = pl.DataFrame(rows, orient="row", schema={
        "indicator_id": pl.Int64, "unit_id": pl.Int64, "period": pl.String,
        "value": pl.Float64})
    with engine.begin() as conn:
        record_batch(conn, new, BatchCounts(len(rows), 0, 0), checksum="c", submitter="t",
                     reason="", source="test", format="rows",
                     recorded_at=at, rows=len(rows))


def test_a_batch_naming_an_unknown_unit_or_indicator_id_stores_nothing(engine,
                                                                        small_model_dir):
    """The observations table declares no foreign keys; record_batch holds them instead."""
    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2024, 1, 2))
    with engine.connect() as conn:
        ind, unit = model_repo.indicator_ids(conn), model_repo.unit_ids(conn)
    i, u = min(ind.values()), min(unit.values())
    wrong_unit = max(unit.values()) + 7
    with pytest.raises(ValueError, match=rf"unit_id \[{wrong_unit}\] not in table units"):
        _record(engine, [(i, u, "2024-01", 1.0), (i, wrong_unit, "2024-01", 2.0)])
    with pytest.raises(ValueError, match=r"indicator_id \[0\] not in table indicators"):
        _record(engine, [(0, u, "2024-01", 1.0)])
    # The key is the primary key: one value per key in a batch.
    with pytest.raises(Exception, match="UNIQUE constraint failed|duplicate key value"):
        _record(engine, [(i, u, "2024-01", 1.0), (i, u, "2024-01", 2.0)])
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.observations)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(schema.batches)).scalar() == 0
    _record(engine, [(i, u, "2024-01", 1.0)])
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.observations)).scalar() == 1


def _newest_by_hand(rows: list[tuple[int, int, str, float, int]]
                    ) -> list[tuple[int, int, str, float, int]]:
    """The row of the highest batch of each key, sorted by key: plain Python."""
    best: dict[tuple[int, int, str], tuple[int, int, str, float, int]] = {}
    for r in rows:
        if r[:3] not in best or r[4] > best[r[:3]][4]:
            best[r[:3]] = r
    return [best[k] for k in sorted(best)]


@pytest.mark.parametrize("shuffle", [False, True], ids=["key order", "any order"])
def test_newest_vintages_keeps_the_highest_batch_of_each_key(shuffle):
    rng = random.Random(3)
    rows = [(i, u, p, rng.random(), b) for i in (1, 2, 12) for u in (1, 3, 20)
            for p in PERIODS for b in sorted(rng.sample(range(1, 9), rng.randint(1, 3)))]
    if shuffle:
        rng.shuffle(rows)
    df = pl.DataFrame(rows, orient="row", schema={
        "indicator_id": pl.Int64, "unit_id": pl.Int64, "period": pl.String,
        "value": pl.Float64, "batch_id": pl.Int64})
    got = newest_vintages(df)
    assert got.columns == df.columns
    assert got.rows() == _newest_by_hand(rows)
    assert newest_vintages(df.clear()).height == 0


def test_latest_ids_reads_the_newest_vintage_known_at_a_moment(engine, small_model_dir):
    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2024, 1, 2))
    with engine.connect() as conn:
        ind, unit = model_repo.indicator_ids(conn), model_repo.unit_ids(conn)
    (i1, i2), (u1, u2) = sorted(ind.values())[:2], sorted(unit.values())[:2]
    batches = [  # (time, rows): revisions of some keys, new keys, an unchanged key kept
        (datetime(2024, 3, 1), [(i1, u1, "2024-01", 1.0), (i1, u2, "2024-01", 2.0),
                                (i2, u1, "2024-02", 3.0)]),
        (datetime(2024, 4, 1), [(i1, u1, "2024-01", 1.5), (i2, u2, "2024-01", 4.0)]),
        (datetime(2024, 5, 1), [(i1, u1, "2024-01", 1.25), (i2, u1, "2024-02", 3.5)]),
    ]
    stored = []
    for batch_id, (at, rows) in enumerate(batches, start=1):
        _record(engine, rows, at)
        stored += [(*r, batch_id) for r in rows]
    with engine.connect() as conn:
        assert latest_ids(conn).rows() == _newest_by_hand(stored)
        april = latest_ids(conn, as_of=datetime(2024, 4, 15))
        assert april.rows() == _newest_by_hand([r for r in stored if r[4] <= 2])
        only = latest_ids(conn, indicators=[k for k, v in ind.items() if v == i2])
        assert only.rows() == [r for r in _newest_by_hand(stored) if r[0] == i2]
        # latest: the same values under codes
        codes = latest(conn, as_of=datetime(2024, 4, 15), with_vintage=False)
        by_id = {v: k for k, v in ind.items()}, {v: k for k, v in unit.items()}
        assert sorted(codes.rows()) == sorted(
            (by_id[0][i], by_id[1][u], p, v, b) for i, u, p, v, b in april.rows())


def test_read_frame_gives_the_rows_of_any_columns_in_any_order(engine, small_model_dir,
                                                                monkeypatch):
    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2024, 1, 2))
    with engine.connect() as conn:
        i = min(model_repo.indicator_ids(conn).values())
        units = sorted(model_repo.unit_ids(conn).values())
    _record(engine, [(i, u, p, k * 0.1) for k, (u, p) in enumerate(
        (u, p) for u in units for p in PERIODS)])
    monkeypatch.setattr("stocktake.store.observations.READ_SLICE", 7)  # several slices
    o = schema.observations
    with engine.connect() as conn:
        for cols in [(o.c.indicator_id, o.c.unit_id, o.c.period, o.c.value, o.c.batch_id),
                     (o.c.value, o.c.period), (o.c.batch_id,)]:
            query = select(*cols).order_by(o.c.unit_id, o.c.period)
            got = read_frame(conn, query)
            assert got.columns == [c.name for c in cols]
            assert got.rows() == [tuple(r) for r in conn.execute(query)]
        empty = read_frame(conn, select(o.c.period, o.c.value).where(o.c.unit_id < 0))
        assert empty.height == 0 and empty.schema == {"period": pl.String, "value": pl.Float64}


# Values a text form of the float would round: the series read must give them exactly.
AWKWARD = [0.1, 1 / 3, 2 / 3 * 1e-300, 1e300 / 7, -0.0, 81.2, 123456789.12345679, 5e-324]


def test_reading_a_series_at_a_time_gives_the_rows_read_one_by_one(engine, small_model_dir):
    """Observations read a series at a time (_read_by_series: texts joined by the database)
    are the rows of a plain row-per-observation read, values to the last bit, at every
    moment and for any indicators; an empty read is empty."""
    from stocktake.store.observations import _read_by_series

    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2024, 1, 2))
    with engine.connect() as conn:
        ind = model_repo.indicator_ids(conn)
        units = sorted(model_repo.unit_ids(conn).values())
    ids = sorted(ind.values())[:3]
    rng = random.Random(11)
    for day in (1, 2, 3):  # three batches: new keys, and revisions of some
        rows = {(i, u, p): rng.choice(AWKWARD) * rng.randint(1, 9)
                for i in ids for u in rng.sample(units, 3) for p in rng.sample(PERIODS, 4)}
        _record(engine, [(*k, v) for k, v in rows.items()], datetime(2024, 3, day))
    o = schema.observations
    plain = select(o.c.indicator_id, o.c.unit_id, o.c.period, o.c.value, o.c.batch_id)
    with engine.connect() as conn:
        for where in [o.c.batch_id <= 2, o.c.indicator_id.in_(ids[1:]), o.c.batch_id < 0,
                      o.c.batch_id > 0]:
            expected = newest_vintages(read_frame(conn, plain.where(where)))
            by_series = _read_by_series(conn, where)
            assert by_series is not None and by_series.schema == expected.schema
            assert newest_vintages(by_series).rows() == expected.rows()
            one_by_one = read_frame(conn, plain.where(where)).sort(
                "indicator_id", "unit_id", "period", "batch_id")
            assert [str(v) for v in by_series["value"]] == [str(v) for v in
                                                              one_by_one["value"]]
        stored = read_frame(conn, plain).rows()
        for moment, last in [(datetime(2024, 3, 1, 12), 1), (datetime(2024, 3, 2, 12), 2),
                             (None, 3)]:
            assert latest_ids(conn, as_of=moment).rows() == _newest_by_hand(
                [r for r in stored if r[4] <= last])
    assert expected.height > 0


def test_a_period_code_that_would_not_split_is_read_row_by_row(engine, small_model_dir):
    """A code holding the separator cannot be split back from the joined text: the read
    falls back to a row per observation and still gives every value under its key."""
    from stocktake.store.observations import _read_by_series

    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2024, 1, 2))
    with engine.connect() as conn:
        i = min(model_repo.indicator_ids(conn).values())
        u = min(model_repo.unit_ids(conn).values())
    _record(engine, [(i, u, "2024-01", 1.0), (i, u, "2024-02", 2.0)])
    with engine.begin() as conn:  # written by hand: intake never stores such a code
        conn.execute(schema.observations.insert().values(
            indicator_id=i, unit_id=u, period="2024,x", batch_id=1, value=3.0))
    with engine.connect() as conn:
        assert _read_by_series(conn, schema.observations.c.batch_id > 0) is None
        assert latest_ids(conn).rows() == [(i, u, "2024,x", 3.0, 1), (i, u, "2024-01", 1.0, 1),
                                           (i, u, "2024-02", 2.0, 1)]


def test_postgresql_printing_rounded_floats_is_read_row_by_row(engine, small_model_dir):
    """With extra_float_digits at 0 PostgreSQL prints a float rounded to 15 digits: the
    values are then not read from joined text but row by row, as the driver gives them."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's values never come as text")
    from stocktake.store.observations import _read_by_series

    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2024, 1, 2))
    with engine.connect() as conn:
        i = min(model_repo.indicator_ids(conn).values())
        u = min(model_repo.unit_ids(conn).values())
    _record(engine, [(i, u, "2024-01", 1 / 3)])
    with engine.connect() as conn:
        assert _read_by_series(conn, schema.observations.c.batch_id > 0) is not None
        conn.exec_driver_sql("SET extra_float_digits = 0")
        assert _read_by_series(conn, schema.observations.c.batch_id > 0) is None
        row_by_row = read_frame(conn, select(schema.observations.c.value))
        assert latest_ids(conn)["value"].to_list() == row_by_row["value"].to_list()
