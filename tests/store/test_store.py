"""The store on real SQLite and PostgreSQL: model history, vintages, as-of, atomic batches."""

from datetime import datetime, timedelta

import polars as pl
import pytest
from sqlalchemy import func, select

from stocktake.errors import NotFound
from stocktake.intake.service import submit_file, submit_rows
from stocktake.model.files import ModelError
from stocktake.services.data.export import ExportError, export_observations
from stocktake.services.data.model_service import current_model, load_model
from stocktake.store import schema
from stocktake.store.model_repo import model_history
from stocktake.store.observations import data_as_of, history, latest

T0 = datetime(2025, 1, 10, 9, 0)


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


@pytest.fixture
def loaded(engine, small_model_dir):
    load_model(engine, small_model_dir, loaded_by="tester", now=T0)
    return engine


def test_load_then_reload_keeps_the_history(engine, small_model_dir):
    first = load_model(engine, small_model_dir, loaded_by="ana", now=T0)
    assert first.count("unit", "added") == 6 and first.count("indicator", "added") == 4
    assert first.count("priority", "added") == 1

    again = load_model(engine, small_model_dir, loaded_by="ana", now=T0 + timedelta(hours=1))
    assert again.changes == [] and again.load_id is None  # nothing changed, nothing recorded

    units = (small_model_dir / "units.csv").read_text()
    units = units.replace("Region A2,region,A,250000", "Region A2 (renamed),region,A,250000")
    units = units.replace("B1,Region B1,region,B,400000\n", "") + "B2,Region B2,region,B,1\n"
    (small_model_dir / "units.csv").write_text(units)
    later = T0 + timedelta(days=2)
    third = load_model(engine, small_model_dir, loaded_by="ben", now=later)
    got = {(c.code, c.action) for c in third.changes}
    assert got == {("A2", "changed"), ("B1", "retired"), ("B2", "added")}
    renamed = next(c for c in third.changes if c.code == "A2")
    assert renamed.fields_changed() == ["name"]

    model = current_model(engine)
    assert "B1" not in model.units and model.units["A2"].name == "Region A2 (renamed)"
    with engine.connect() as conn:
        rows = model_history(conn, "A2")
    assert [(r["action"], r["loaded_by"], r["loaded_at"]) for r in rows] == [
        ("added", "ana", T0), ("changed", "ben", later)]
    assert rows[1]["before"]["name"] == "Region A2" and rows[1]["after"]["name"].endswith(
        "(renamed)")


def test_a_bad_model_loads_nothing(engine, small_model_dir):
    (small_model_dir / "indicators.yaml").write_text(
        (small_model_dir / "indicators.yaml").read_text().replace("polarity: up", "polarity: x"))
    with pytest.raises(ModelError):
        load_model(engine, small_model_dir, loaded_by="t", now=T0)
    assert count(engine, schema.units) == 0 and count(engine, schema.model_loads) == 0


def test_dry_run_reports_but_stores_nothing(engine, small_model_dir):
    summary = load_model(engine, small_model_dir, loaded_by="t", now=T0, dry_run=True)
    assert summary.count("unit", "added") == 6
    assert count(engine, schema.units) == 0


def test_vintages_and_as_of(loaded):
    e = loaded
    t1, t2, t3 = T0 + timedelta(days=1), T0 + timedelta(days=40), T0 + timedelta(days=70)
    r1 = submit_rows(e, [("incidents", "A1", "2025-01", 30), ("incidents", "A2", "2025-01", 20)],
                     submitter="Province A", now=t1)
    assert (r1.accepted, r1.added, r1.revised) == (True, 2, 0)
    r2 = submit_rows(e, [("incidents", "A1", "2025-01", 33), ("incidents", "A2", "2025-01", 20),
                         ("incidents", "A1", "2025-02", 25)],
                     submitter="Province A", reason="corrected after audit", now=t2)
    assert (r2.added, r2.revised, r2.unchanged) == (1, 1, 1)
    r3 = submit_rows(e, [("incidents", "A1", "2025-01", 34)], submitter="Province A",
                     reason="second correction", now=t3)
    assert r3.revised == 1

    def value_at(as_of):
        with e.connect() as conn:
            df = latest(conn, as_of=as_of, units=["A1"])
        return dict(zip(df["period"], df["value"], strict=True))

    assert value_at(t1 - timedelta(seconds=1)) == {}
    assert value_at(t1) == {"2025-01": 30.0}
    assert value_at(t2 - timedelta(seconds=1)) == {"2025-01": 30.0}
    assert value_at(t2) == {"2025-01": 33.0, "2025-02": 25.0}
    assert value_at(None) == {"2025-01": 34.0, "2025-02": 25.0}

    with e.connect() as conn:
        vintages = history(conn, "incidents", "A1", "2025-01")
        assert data_as_of(conn, t2 + timedelta(days=1)) == t2
    assert [(v["value"], v["recorded_at"], v["reason"]) for v in vintages] == [
        (30.0, t1, ""), (33.0, t2, "corrected after audit"), (34.0, t3, "second correction")]
    # Three batches, five stored rows: the unchanged A2 value was not stored again.
    assert count(e, schema.batches) == 3 and count(e, schema.observations) == 5


def test_a_file_with_any_error_stores_nothing(loaded, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("indicator,unit,period,value\n"
                   "incidents,A1,2025-01,30\n"
                   "incidents,A1,2025-02,1,234\n"   # a ragged row
                   )
    result = submit_file(loaded, bad, submitter="x")
    assert not result.accepted
    assert count(loaded, schema.observations) == 0 and count(loaded, schema.batches) == 0

    bad.write_text("indicator,unit,period,value\n"
                   "incidents,A1,2025-01,30\n"
                   "incidents,A3,2025-02,12\n"
                   "incidents,A1,2025-13,12\n"
                   "population,A1,2025-03,\"1,234\"\n"
                   "incidents,A1,2025-01,31\n")
    result = submit_file(loaded, bad, submitter="x")
    assert not result.accepted
    found = {(f.row, f.column, f.check) for f in result.findings}
    assert found == {(3, "unit", "unknown_unit"), (4, "period", "period"),
                     (5, "value", "value_type"), (6, None, "duplicate_key")}
    dup = next(f for f in result.findings if f.check == "duplicate_key")
    assert "already appears on row 2" in dup.message
    assert count(loaded, schema.observations) == 0 and count(loaded, schema.batches) == 0


def test_identical_file_is_recognised(loaded, tmp_path):
    f = tmp_path / "ok.csv"
    f.write_text("indicator,unit,period,value\nincidents,A1,2025-01,30\nincidents,B1,2025-01,7\n")
    first = submit_file(loaded, f, submitter="x", now=T0 + timedelta(days=1))
    again = submit_file(loaded, f, submitter="x", now=T0 + timedelta(days=2))
    assert first.batch is not None and again.duplicate_of == first.batch and again.batch is None
    assert count(loaded, schema.batches) == 1 and count(loaded, schema.observations) == 2


def test_resubmitting_an_old_file_after_a_revision_restores_its_values(loaded, tmp_path):
    f = tmp_path / "v1.csv"
    f.write_text("indicator,unit,period,value\nincidents,A1,2025-01,30\n")
    submit_file(loaded, f, submitter="x", now=T0 + timedelta(days=1))
    submit_rows(loaded, [("incidents", "A1", "2025-01", 99)], submitter="x",
                now=T0 + timedelta(days=2))
    back = submit_file(loaded, f, submitter="x", now=T0 + timedelta(days=3))
    assert back.duplicate_of is None and back.revised == 1
    with loaded.connect() as conn:
        assert latest(conn)["value"].to_list() == [30.0]


def test_export_round_trips_through_submit(loaded, tmp_path):
    t1, t2 = T0 + timedelta(days=1), T0 + timedelta(days=5)
    submit_rows(loaded, [("incidents", "A1", "2025-01", 30), ("population", "A1", "2025-01",
                                                              350000.5)], submitter="x", now=t1)
    submit_rows(loaded, [("incidents", "A1", "2025-01", 31)], submitter="x", now=t2)
    out = tmp_path / "old.csv"
    assert export_observations(loaded, out, as_of=t1) == 2
    assert out.read_text() == ("indicator,unit,period,value\n"
                               "incidents,A1,2025-01,30\npopulation,A1,2025-01,350000.5\n")
    parquet = tmp_path / "now.parquet"
    export_observations(loaded, parquet)
    df = pl.read_parquet(parquet)
    assert df.filter(pl.col("indicator") == "incidents")["value"].to_list() == [31.0]
    assert set(df.columns) >= {"indicator", "unit", "period", "value", "recorded_at"}
    # The old export submits back as a revision to the value it held.
    result = submit_file(loaded, out, submitter="x", now=t2 + timedelta(days=1))
    assert (result.revised, result.unchanged) == (1, 1)
    with pytest.raises(NotFound, match="unknown unit"):
        export_observations(loaded, out, units=["ZZ"])
    with pytest.raises(ExportError, match=".csv or .parquet"):
        export_observations(loaded, tmp_path / "x.xlsx")


def test_submitting_before_a_model_exists_is_explained(engine, tmp_path):
    f = tmp_path / "ok.csv"
    f.write_text("indicator,unit,period,value\nincidents,A1,2025-01,30\n")
    result = submit_file(engine, f, submitter="x")
    assert not result.accepted and "stocktake load" in result.findings[0].message


def test_a_bad_trajectory_is_refused_at_load_with_its_line(engine, small_model_dir):
    f = small_model_dir / "priorities.yaml"
    f.write_text(f.read_text() + "  trajectory: {method: s_curv}\n")
    with pytest.raises(ModelError) as info:
        load_model(engine, small_model_dir, loaded_by="t", now=T0)
    [problem] = info.value.problems
    assert (problem.file, problem.line, problem.field) == ("priorities.yaml", 11, "trajectory")
    assert "s_curve" in problem.message  # the did-you-mean
    assert count(engine, schema.units) == 0


def test_migrations_upgrade_a_database_holding_data(db_url):
    """A database made at the first schema, with vintages in it, upgrades to the newest:
    observations keyed by (indicator, unit, period, batch), their times now their
    batches', every value and as-of view as before; down to 0005 and up again too."""
    import sqlalchemy as sa
    from alembic import command
    from sqlalchemy import inspect

    from stocktake.store.db import _alembic_config, current_revision, head_revision, open_engine

    def table(name, *columns):
        return sa.table(name, *[c if isinstance(c, sa.ColumnClause) else sa.column(c)
                                for c in columns])

    t1, t2 = datetime(2024, 2, 5, 9, 30), datetime(2024, 3, 6, 10, 0)
    engine = open_engine(db_url, migrate=False)
    cfg = _alembic_config()

    def migrate(to: str, down: bool = False) -> None:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            (command.downgrade if down else command.upgrade)(cfg, to)

    migrate("0001")
    with engine.begin() as conn:
        conn.execute(table("units", "id", "code", "name", "level", "path", "depth",
                           sa.column("attributes", sa.JSON), sa.column("active", sa.Boolean))
                     .insert(), [{"id": 1, "code": "U1", "name": "Unit", "level": "l",
                                  "path": "/U1/", "depth": 0, "attributes": {}, "active": True}])
        conn.execute(table("indicators", "id", "code", sa.column("definition", sa.JSON),
                           "period_type", sa.column("active", sa.Boolean)).insert(),
                     [{"id": 1, "code": "I1", "definition": {}, "period_type": "month",
                       "active": True}])
        conn.execute(table("batches", "id", "checksum", "submitter", "reason", "source",
                           "format", sa.column("recorded_at", sa.DateTime), "rows", "added",
                           "revised", "unchanged").insert(), [
            {"id": n, "checksum": f"x{n}", "submitter": "old", "reason": "", "source": "f.csv",
             "format": "csv", "recorded_at": at, "rows": 2, "added": 2 - n, "revised": 1,
             "unchanged": 0} for n, at in ((1, t1), (2, t2))])
        conn.execute(table("observations", "indicator_id", "unit_id", "period", "value",
                           "batch_id", sa.column("recorded_at", sa.DateTime)).insert(), [
            {"indicator_id": 1, "unit_id": 1, "period": p, "value": v, "batch_id": b,
             "recorded_at": at}
            for p, v, b, at in (("2024-01", 1.0, 1, t1), ("2024-02", 5.0, 1, t1),
                                ("2024-01", 2.0, 2, t2))])

    def views(conn) -> tuple:
        return (latest(conn).select("period", "value", "recorded_at").rows(),
                latest(conn, as_of=t2 - timedelta(days=1)).select("period", "value").rows(),
                [(v["value"], v["recorded_at"], v["batch_id"])
                 for v in history(conn, "I1", "U1", "2024-01")],
                data_as_of(conn), data_as_of(conn, t1 - timedelta(seconds=1)))

    expected = ([("2024-01", 2.0, t2), ("2024-02", 5.0, t1)],
                [("2024-01", 1.0), ("2024-02", 5.0)], [(1.0, t1, 1), (2.0, t2, 2)], t2, None)
    upgraded = open_engine(db_url)
    assert current_revision(upgraded) == head_revision()
    with upgraded.connect() as conn:
        assert conn.execute(select(schema.batches.c.status, schema.batches.c.warnings)).all() \
            == [("accepted", 0)] * 2
        assert views(conn) == expected
        found = inspect(conn)
        assert found.get_pk_constraint("observations")["constrained_columns"] == [
            "indicator_id", "unit_id", "period", "batch_id"]
        assert found.get_indexes("observations") == []
        assert {c["name"] for c in found.get_columns("observations")} == {
            "indicator_id", "unit_id", "period", "batch_id", "value"}
        if conn.dialect.name == "sqlite":
            ddl = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = "
                                       "'observations'").scalar()
            assert ddl.rstrip().endswith("WITHOUT ROWID")

    migrate("0005", down=True)
    with engine.connect() as conn:  # the old shape: a time on every row, from its batch
        old = table("observations", "period", "value", "batch_id",
                    sa.column("recorded_at", sa.DateTime))
        assert sorted(conn.execute(sa.select(*old.c)).all()) == [
            ("2024-01", 1.0, 1, t1), ("2024-01", 2.0, 2, t2), ("2024-02", 5.0, 1, t1)]
    with open_engine(db_url).connect() as conn:
        assert views(conn) == expected


def test_migrations_build_exactly_the_tables_the_code_declares(db_url):
    """Alembic's own comparison finds nothing between the migrated database and schema.py,
    so a table or column added to one and not the other fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from stocktake.store.db import open_engine

    engine = open_engine(db_url)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), schema.metadata)
    ignorable = {"alembic_version"}
    real = [d for d in diffs if not (d[0] == "remove_table" and d[1].name in ignorable)]
    assert real == []


def test_a_submission_inside_a_rolled_back_transaction_leaves_nothing(db_url, small_model_dir):
    """The submission service takes a savepoint in the caller's transaction; rolling that
    back must discard the batch on SQLite as on PostgreSQL (pysqlite alone would commit at
    the savepoint's release)."""
    from stocktake.intake.service import submit_rows
    from stocktake.services.data.model_service import load_model
    from stocktake.store.db import open_engine

    engine = open_engine(db_url)
    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2024, 1, 2))
    with engine.connect() as conn:
        outer = conn.begin()
        result = submit_rows(conn, [("incidents", "A1", "2024-01", 30)], submitter="t",
                             now=datetime(2024, 2, 5))
        assert result.accepted
        outer.rollback()
    assert count(engine, schema.observations) == 0
    assert count(engine, schema.batches) == 0


def test_the_vintage_column_is_a_time_even_when_nothing_is_known(loaded):
    """An empty store, or a moment before the first batch: no rows, but the frame's
    recorded_at is still a time (an export to Parquet keeps its type)."""
    assert submit_rows(loaded, [("incidents", "A1", "2024-01", 30)], submitter="t",
                       now=T0 + timedelta(days=1)).accepted
    with loaded.connect() as conn:
        for frame in (latest(conn, as_of=T0), latest(conn, indicators=["population"]),
                      latest(conn)):
            assert frame.schema["recorded_at"] == pl.Datetime("us")
        assert latest(conn, as_of=T0).height == 0 and latest(conn).height == 1


def test_as_of_names_the_batches_when_older_data_has_them_out_of_time_order(loaded):
    """Batches are recorded one at a time in time order now; a database written before
    (PostgreSQL, two submissions at once) may hold a later batch under a lower id. What
    was known at T is still exactly what the batches recorded by T brought."""
    from sqlalchemy import update

    first = submit_rows(loaded, [("incidents", "A1", "2024-01", 30)], submitter="t",
                        now=T0 + timedelta(days=1))
    second = submit_rows(loaded, [("incidents", "A2", "2024-01", 25)], submitter="t",
                         now=T0 + timedelta(days=2))
    assert first.batch < second.batch
    with loaded.begin() as conn:  # as if the first had been recorded last
        conn.execute(update(schema.batches).where(schema.batches.c.id == first.batch)
                     .values(recorded_at=T0 + timedelta(days=3)))
    with loaded.connect() as conn:
        units = {at: latest(conn, as_of=T0 + timedelta(days=at))["unit"].to_list()
                 for at in (1, 2.5, 3)}
    assert units == {1: [], 2.5: ["A2"], 3: ["A1", "A2"]}


@pytest.mark.slow
def test_a_database_emptied_and_loaded_again_at_the_same_moment_reads_its_new_model(
        engine, small_model_dir, tmp_path):
    """The model cache must not hand back the first model: the second load repeats the
    first's id and time (as a restore or a test that rebuilds the database does)."""
    from stocktake.store.db import drop_everything, open_engine

    load_model(engine, small_model_dir, loaded_by="tester", now=T0)
    assert "Z9" not in current_model(engine).units
    other = tmp_path / "other"
    other.mkdir()
    for f in small_model_dir.iterdir():
        (other / f.name).write_text(f.read_text())
    with open(other / "units.csv", "a") as f:
        f.write("Z9,Added region,region,A,1000\n")
    url = engine.url.render_as_string(hide_password=False)
    drop_everything(engine)
    engine.dispose()
    again = open_engine(url)
    try:
        load_model(again, other, loaded_by="tester", now=T0)
        assert "Z9" in current_model(again).units
    finally:
        again.dispose()
