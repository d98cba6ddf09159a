"""Where a computed indicator runs: DuckDB (embedded, the default), PostgreSQL, or Spark
(local, or a cluster whose master URL an environment variable gives). Each opens a source
as an Ibis table, runs the aggregate there and brings back only the groups; each says what
the source was when it read it (its snapshot), for the batch's lineage."""

from __future__ import annotations

import glob
import os
import re
import socket
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
    elif not glob.has_magic(str(p)) and not p.exists():
        raise Invalid(f"source '{source.code}': path: {source.path} does not exist (looked "
                      f"for {p})", source="sources.yaml")
    else:
        found = sorted(Path(f) for f in glob.glob(str(p), recursive=True) if Path(f).is_file())
    if not found:
        raise Invalid(f"source '{source.code}': no {source.format} files at {source.path}"
                      f"{' (the folder holds none)' if p.is_dir() else ''}",
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


# How long to wait for a server that does not answer (a PostgreSQL server, a Spark master)
# before saying so: a wrong host should not hold a command for minutes.
CONNECT_TIMEOUT = 10  # seconds


def postgres(source: Source) -> Any:
    url = _postgres_url(source)
    extra = {} if "connect_timeout" in url else {"connect_timeout": CONNECT_TIMEOUT}
    try:
        return ibis.connect(url, **extra)
    except Exception as exc:
        raise Invalid(f"source '{source.code}': cannot connect to PostgreSQL at the URL in "
                      f"{source.url_env} ({str(exc).splitlines()[0]})") from None


def _postgres_url(source: Source) -> str:
    url = os.environ.get(source.url_env or "")
    if not url:
        raise Invalid(f"source '{source.code}': set the environment variable "
                      f"{source.url_env} to the PostgreSQL URL", source="sources.yaml")
    url = url.replace("postgresql+psycopg://", "postgresql://")
    if not url.startswith(("postgresql://", "postgres://")):
        # Ibis would connect to whatever the scheme names (duckdb://, sqlite://...).
        # Only the scheme is shown: the rest may hold a password.
        shown = f"'{url.split('//')[0]}//...'" if "//" in url else "a value without a scheme"
        raise Invalid(f"source '{source.code}': the environment variable {source.url_env} "
                      f"holds {shown}, not a PostgreSQL URL "
                      "(postgresql://user:password@host/dbname)")
    return url


# The forms of a Spark master URL (Spark's "Master URLs"): local mode, a standalone cluster
# (several masters, comma-separated, for high availability), YARN, Kubernetes. (Spark 4
# dropped Mesos.)
SPARK_MASTER_FORMS = ("local", "local[N]", "local[*]", "local[N,F]", "spark://host:port",
                      "yarn", "k8s://host:port")
_LOCAL = re.compile(r"^local(\[(\d+|\*)(,\d+)?\])?$|^local-cluster\[\d+,\d+,\d+\]$")
_HOST_PORT = re.compile(r"^[A-Za-z0-9.\-]+:\d{1,5}$")


def check_spark_master(master: str, where: str) -> None:
    """``master`` is a Spark master URL of a form Spark knows and, for a standalone cluster,
    its masters answer within CONNECT_TIMEOUT; else Invalid naming ``where`` it came from.
    Spark itself would retry an unreachable master for minutes and then fail with a
    traceback."""
    forms = ", ".join(SPARK_MASTER_FORMS)
    if _LOCAL.match(master) or master == "yarn":
        return
    scheme, sep, rest = master.partition("://")
    if not sep or scheme not in ("spark", "k8s"):
        raise Invalid(f"{where} holds '{master}', not a Spark master URL: one of {forms}")
    if scheme == "k8s":  # k8s://https://host:port: the API server, checked by Spark
        return
    hosts = rest.split(",")
    bad = [h for h in hosts if not _HOST_PORT.match(h)]
    if bad:
        raise Invalid(f"{where} holds '{master}': '{bad[0]}' is not host:port "
                      f"(e.g. {scheme}://spark-master:7077)")
    problems = []
    for h in hosts:
        host, _, port = h.rpartition(":")
        try:
            socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT).close()
            return  # one master answering is enough
        except socket.gaierror:
            problems.append(f"no host '{host}' is known")
        except TimeoutError:
            problems.append(f"{h} did not answer within {CONNECT_TIMEOUT} seconds")
        except OSError as exc:
            problems.append(f"{h} refused the connection ({exc.strerror or exc})")
    raise Invalid(f"{where} holds '{master}', a Spark master that cannot be reached: "
                  f"{'; '.join(problems)}")


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
    master = _spark_master(source)
    if master is None:
        return ibis.pyspark.connect(spark_session(next(iter(_SPARK), "local[*]")))
    try:
        return ibis.pyspark.connect(spark_session(master))
    except Exception as exc:  # a master that answers but is not one, refuses the app...
        # (Spark gives up on a silent master after its own registration retries, a minute.)
        raise Invalid(f"source '{source.code}': Spark could not start an application on "
                      f"{master} (the master in {source.url_env}); is it a Spark master "
                      f"that accepts applications? ({str(exc).strip().splitlines()[0]})"
                      ) from None


def _spark_master(source: Source) -> str | None:
    """The source's Spark master URL, checked; None when none is set (local mode)."""
    master = os.environ.get(source.url_env or "", "").strip()
    if not master:
        return None
    if master not in _SPARK:
        check_spark_master(master, f"source '{source.code}': the environment variable "
                                   f"{source.url_env}")
    return master


def preflight(source: Source, engine: str, base: Path) -> None:
    """The checks that need no query: the files are there, the URL is set and of the
    right form, the PostgreSQL server or the Spark master answers. Run for every source
    before any indicator is computed, so a mistake in the last one is found before the
    first one runs."""
    if source.path is not None:
        _files(source, base)
    if engine == "postgres":
        postgres(source).disconnect()  # the server answers, within CONNECT_TIMEOUT
    elif engine == "spark":
        _spark_master(source)
