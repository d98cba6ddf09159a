"""Where a computed indicator runs: DuckDB (embedded, the default), PostgreSQL, or Spark
(local, or a cluster whose master URL an environment variable gives). Each opens a source
as an Ibis table, runs the aggregate there and brings back only the groups; each says what
the source was when it read it (its snapshot), for the batch's lineage."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir

from ..errors import Invalid
from ..model.computed import Source

# Which engines can read a source: files are read by DuckDB or Spark, a PostgreSQL table
# only by PostgreSQL, a Spark table only by Spark.
FILE_ENGINES = ("duckdb", "spark")


def engines_for(source: Source) -> tuple[str, ...]:
    if source.path is not None:
        return FILE_ENGINES
    return (source.engine,)


@dataclass
class Opened:
    """A source opened on an engine: its table, the connection, and its snapshot."""

    engine: str
    backend: Any
    table: ir.Table
    snapshot: dict[str, Any]

    def run(self, expr: ir.Table) -> list[dict[str, Any]]:
        """The aggregate's rows (a few per unit and period), computed by the engine."""
        return self.backend.to_pyarrow(expr).to_pylist()

    def sql(self, expr: ir.Table) -> str:
        return str(self.backend.compile(expr))


def open_source(source: Source, engine: str, base: Path) -> Opened:
    """Open ``source`` on ``engine`` (relative paths are read from ``base``, the model
    folder), or Invalid saying why it cannot be."""
    if engine not in engines_for(source):
        raise Invalid(f"source '{source.code}' cannot be read by {engine}: it is "
                      f"read by {' or '.join(engines_for(source))}", source="--engine")
    if source.path is not None:
        files = _files(source, base)
        backend = duckdb() if engine == "duckdb" else spark_backend(source)
        reader = backend.read_parquet if source.format == "parquet" else backend.read_csv
        paths = [str(f) for f in files]
        # Named after the source, so the query kept in the lineage reads as it should.
        table = (reader(paths, table_name=source.code) if engine == "duckdb"
                 else reader(paths[0] if len(paths) == 1 else _folder_of(source, base),
                             table_name=source.code))
        return Opened(engine, backend, table, _file_snapshot(files, base))
    backend = postgres(source) if engine == "postgres" else spark_backend(source)
    schema, _, name = (source.table or "").rpartition(".")
    try:
        table = backend.table(name, database=schema or None)
    except Exception as exc:  # the engine's own error: no such table, no permission
        raise Invalid(f"source '{source.code}': cannot open table {source.table} on "
                      f"{engine}: {str(exc).splitlines()[0]}") from None
    return Opened(engine, backend, table, _table_snapshot(table, source))


def _files(source: Source, base: Path) -> list[Path]:
    p = Path(source.path or "")
    p = p if p.is_absolute() else base / p
    suffix = "." + source.format
    if p.is_dir():
        found = sorted(f for f in p.rglob(f"*{suffix}") if f.is_file())
    else:
        found = sorted(Path(f) for f in glob.glob(str(p), recursive=True) if Path(f).is_file())
    if not found:
        raise Invalid(f"source '{source.code}': no {source.format} files at {source.path}",
                      source="sources.yaml")
    return found


def _folder_of(source: Source, base: Path) -> str:
    p = Path(source.path or "")
    return str(p if p.is_absolute() else base / p)


def _file_snapshot(files: list[Path], base: Path) -> dict[str, Any]:
    """The files read, each with its size and modification time: a later change to any of
    them shows in the lineage."""
    listed = []
    for f in files:
        st = f.stat()
        name = str(f.relative_to(base)) if f.is_relative_to(base) else str(f)
        listed.append({"file": name, "bytes": st.st_size,
                       "modified": datetime.fromtimestamp(st.st_mtime, UTC).isoformat()})
    return {"files": listed, "bytes": sum(x["bytes"] for x in listed)}


def _table_snapshot(table: ir.Table, source: Source) -> dict[str, Any]:
    """The table's row count and its newest date (the high-water mark), counted by the
    engine."""
    row = table.aggregate(rows=table.count(), newest=table[source.date].max()).to_pyarrow()
    got = row.to_pylist()[0]
    newest = got["newest"]
    return {"table": source.table, "rows": int(got["rows"]),
            "newest": newest.isoformat() if hasattr(newest, "isoformat") else newest}


# -- the engines ----------------------------------------------------------------------

def duckdb() -> Any:
    """An embedded DuckDB: nothing to install or start; it streams Parquet and spills to
    disk, so its memory does not grow with the number of records."""
    return ibis.duckdb.connect()


def postgres(source: Source) -> Any:
    url = os.environ.get(source.url_env or "")
    if not url:
        raise Invalid(f"source '{source.code}': set the environment variable "
                      f"{source.url_env} to the PostgreSQL URL", source="sources.yaml")
    url = url.replace("postgresql+psycopg://", "postgresql://")
    try:
        return ibis.connect(url)
    except Exception as exc:
        raise Invalid(f"source '{source.code}': cannot connect to PostgreSQL "
                      f"({str(exc).splitlines()[0]})") from None


_SPARK: dict[str, Any] = {}  # one session per master URL, for the life of the process


def spark_session(master: str = "local[*]", conf: dict[str, str] | None = None) -> Any:
    """A Spark session (started once per process: starting one takes seconds), with any
    further settings in ``conf`` (e.g. for tiny test data). UTC, so a timestamp falls on
    the same day as in the other engines."""
    if master not in _SPARK:
        from pyspark.sql import SparkSession

        builder = (SparkSession.builder.master(master).appName("stocktake compute")
                   .config("spark.sql.session.timeZone", "UTC")
                   .config("spark.ui.enabled", "false"))
        for key, value in (conf or {}).items():
            builder = builder.config(key, value)
        _SPARK[master] = builder.getOrCreate()
        _SPARK[master].sparkContext.setLogLevel("ERROR")
    return _SPARK[master]


def spark_backend(source: Source) -> Any:
    # The source's cluster; else a session this process already started (the tests', the
    # benchmark's, with their own settings); else a local one on every core.
    master = os.environ.get(source.url_env or "", "") or next(iter(_SPARK), "local[*]")
    return ibis.pyspark.connect(spark_session(master))
