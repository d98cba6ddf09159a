"""The same definitions give the same values on DuckDB, PostgreSQL and Spark (local), and
equal a plain hand computation over the same records (tests/compute/records.py).

PostgreSQL reads the records from a table of the throwaway cluster (skipped without
STOCKTAKE_TEST_POSTGRES_URL; CI sets it); Spark reads the same Parquet files as DuckDB, and
a Spark table made from them. One Spark session serves the whole test run."""

import os
from dataclasses import replace

import pytest

from stocktake.compute import compute
from stocktake.model.files import load_model_dir

from .records import ANCESTORS, by_hand

PG_SCHEMA = "compute_records"


def run_all(model_dir, sources=None, engine=None):
    model = load_model_dir(model_dir)
    out = {}
    for code, spec in model.computes.items():
        source = (sources or model.sources)[spec.source]
        out[code] = compute(code, spec, source, model.indicators[code].period_type,
                            engine=engine, base=model_dir, ancestors=ANCESTORS)
    return out


def values(results) -> dict[str, dict[tuple[str, str], float]]:
    return {code: {(u, p): v for u, p, v in r.values} for code, r in results.items()}


def assert_same_as_hand_and_duckdb(results, model_dir, rows):
    got = values(results)
    duck = values(run_all(model_dir))
    hand = by_hand(rows, levels=True)  # the regions and the nation too
    for code in hand:
        assert got[code] == duck[code], code  # identical, to the last digit kept
        assert got[code].keys() == hand[code].keys(), code
        for key, v in hand[code].items():
            assert got[code][key] == pytest.approx(v, rel=1e-11), (code, key)


@pytest.fixture
def pg_records(rows):
    """The records in a PostgreSQL table of the throwaway cluster, and its URL."""
    url = os.environ.get("STOCKTAKE_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("no PostgreSQL: set STOCKTAKE_TEST_POSTGRES_URL (scripts/test does)")
    from sqlalchemy import create_engine, text

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
        conn.execute(text(f"CREATE TABLE {PG_SCHEMA}.attendances (hospital text, arrived "
                          "timestamp, minutes bigint, kind text, admitted boolean)"))
        conn.execute(text(f"INSERT INTO {PG_SCHEMA}.attendances VALUES (:hospital, :arrived, "
                          ":minutes, :kind, :admitted)"), rows)
    yield plain
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
    engine.dispose()


@pytest.mark.postgres
def test_postgres_gives_the_same_values(model_dir, rows, pg_records, monkeypatch):
    monkeypatch.setenv("COMPUTE_TEST_PG_URL", pg_records)
    model = load_model_dir(model_dir)
    on_pg = replace(model.sources["attendances"], engine="postgres", path=None,
                    table=f"{PG_SCHEMA}.attendances", url_env="COMPUTE_TEST_PG_URL")
    results = run_all(model_dir, {"attendances": on_pg})
    assert_same_as_hand_and_duckdb(results, model_dir, rows)
    snap = results["attendances"].snapshot
    assert snap["rows"] == len(rows)
    assert snap["newest"] == max(r["arrived"] for r in rows).isoformat()
    assert 'PERCENTILE_CONT' in results["median_minutes"].sql.upper()


@pytest.mark.slow  # Spark starts a JVM: seconds, once per test run
def test_spark_gives_the_same_values_from_files_and_from_a_table(model_dir, rows, spark):
    assert_same_as_hand_and_duckdb(run_all(model_dir, engine="spark"), model_dir, rows)
    # A Spark table (here a view of the same files): the count and the median suffice.
    spark.read.parquet(str(model_dir / "records")).createOrReplaceTempView("attendances_t")
    model = load_model_dir(model_dir)
    as_table = replace(model.sources["attendances"], engine="spark", path=None,
                       table="attendances_t")
    hand = by_hand(rows)
    for code in ("attendances", "median_minutes"):
        spec = model.computes[code]
        result = compute(code, spec, as_table, "month")
        assert {(u, p): v for u, p, v in result.values} == pytest.approx(hand[code],
                                                                          rel=1e-11)
        assert result.snapshot["rows"] == len(rows) and result.engine == "spark"
    assert "PERCENTILE(" in result.sql.upper()
