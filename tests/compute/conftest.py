"""A copy of the compute fixture model with its records written beside it."""

import shutil

import pytest

from .records import MODEL, records, write_parquet


@pytest.fixture(scope="module")
def rows():
    return records()


@pytest.fixture
def model_dir(tmp_path, rows):
    folder = tmp_path / "model"
    shutil.copytree(MODEL, folder)
    write_parquet(rows, folder / "records")
    return folder


# Spark settings for a few hundred records: one partition, no adaptive plans, no code
# generation, a JIT that starts fast. Together they take Spark's first query on this test
# data from about a minute to about ten seconds on a busy machine.
TINY_SPARK = {"spark.sql.shuffle.partitions": "1", "spark.default.parallelism": "1",
              "spark.sql.adaptive.enabled": "false", "spark.sql.codegen.wholeStage": "false",
              "spark.ui.showConsoleProgress": "false",
              "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"}


@pytest.fixture(scope="session")
def spark():
    """The one Spark session of the test run (local, one core)."""
    from stocktake.compute.engines import spark_session

    return spark_session("local[1]", TINY_SPARK)
