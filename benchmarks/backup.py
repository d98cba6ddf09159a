"""Backup benchmark: `stocktake backup` and `stocktake restore` of the demo world on each
engine, beside each engine's own floor.

    python benchmarks/backup.py [--db URL] [--postgres URL] [--observations N]

The demo database is built first if the SQLite file at --db does not hold the current demo
(about half a minute; default a file in the system's temporary folder, kept for the next
run). With --postgres (an empty scratch database: everything in it is replaced) the
PostgreSQL figures are measured too. Measured in this process, one run each:

(a) ours, SQLite: backup of the demo file; restore into a new SQLite file (checking the
    file first, writing in one transaction, reading every table back);
(b) the floor, SQLite: `sqlite3 SRC ".backup DST"` (a page copy, nothing checked);
(c) ours, PostgreSQL: restore of (a)'s file into --postgres, then a backup of it;
(d) the floor, PostgreSQL: `pg_dump -Fc` of the same database and `pg_restore` of that dump
    into a second scratch database.

With --observations N (e.g. 10000000) the world is not the demo but the small test model
with N synthetic observations (every key in many periods and vintages), written straight
into --db (a new SQLite file: replaced) with one INSERT ... SELECT per engine, not through
the submission service, so that ten million rows take seconds to make; on PostgreSQL the
same world is made in --postgres and (c) backs it up first, then restores it.

A floor whose program is not installed is said so, not guessed. A report, not a test: it
prints the figures (wall and CPU seconds of this process; a floor's CPU is its child's)
and exits 0. No target is set yet: the issue asks for the figures.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _common import timed  # noqa: E402

from stocktake.store.backup import backup, restore  # noqa: E402
from stocktake.store.db import drop_everything, open_engine, utcnow  # noqa: E402

SMALL_MODEL = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "small_model"
PERIODS = 600  # months from 1950-01: every key in each, in each synthetic batch

DEFAULT_DB = Path(tempfile.gettempdir()) / "stocktake-bench-demo.db"


def _demo(url: str) -> None:
    from stocktake.demo.build import build_demo, is_current

    engine = open_engine(url)
    if not is_current(engine, 2026):
        print("Building the demo world (about half a minute)...", file=sys.stderr)
        build_demo(engine, seed=2026, force=True)
    engine.dispose()


def _synthetic(url: str, observations: int) -> None:
    """The small model with ``observations`` rows: every (indicator, unit) key in PERIODS
    months, in as many batches (vintages) as it takes, generated inside the database."""
    import sqlalchemy as sa

    from stocktake.services.data.model_service import load_model
    from stocktake.store import schema as s

    drop_everything(open_engine(url, migrate=False))
    engine = open_engine(url)
    load_model(engine, SMALL_MODEL, loaded_by="benchmark")
    with engine.connect() as conn:
        keys = (conn.execute(sa.select(sa.func.count()).select_from(s.indicators)).scalar()
                * conn.execute(sa.select(sa.func.count()).select_from(s.units)).scalar())
    batches = -(-observations // (keys * PERIODS))
    months = [f"{1950 + m // 12}-{m % 12 + 1:02d}" for m in range(PERIODS)]
    print(f"Making {observations:,} observations: {keys} keys x {PERIODS} months x "
          f"{batches} batches...", file=sys.stderr)
    with engine.begin() as conn:
        conn.execute(s.batches.insert(), [{
            "checksum": f"synthetic-{b}", "submitter": "benchmark", "reason": "", "source":
            "synthetic", "format": "csv_long", "recorded_at": utcnow(), "rows": keys * PERIODS,
            "added": keys * PERIODS, "revised": 0, "unchanged": 0} for b in range(batches)])
        conn.exec_driver_sql("CREATE TEMPORARY TABLE months (code VARCHAR(10))")
        conn.execute(sa.text("INSERT INTO months VALUES (:code)"), [{"code": m} for m in months])
        conn.execute(sa.text(
            "INSERT INTO observations (indicator_id, unit_id, period, batch_id, value) "
            "SELECT i.id, u.id, m.code, b.id, (i.id * 31 + u.id * 7 + b.id) % 1000 * 0.25 "
            "FROM indicators i, units u, months m, batches b "
            f"ORDER BY i.id, u.id, m.code, b.id LIMIT {observations}"))
    engine.dispose()


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _floor(args: list[str]) -> tuple[float, float] | None:
    """Wall and CPU seconds of an external program, or None if it is not installed."""
    if shutil.which(args[0]) is None:
        return None
    wall, cpu = time.perf_counter(), _child_cpu()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - wall, _child_cpu() - cpu


def _empty(url: str) -> str:
    drop_everything(open_engine(url, migrate=False))
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=f"sqlite:///{DEFAULT_DB}",
                        help="SQLite URL of the demo (built there if not current)")
    parser.add_argument("--postgres", help="an empty scratch PostgreSQL database (replaced)")
    parser.add_argument("--observations", type=int, metavar="N",
                        help="a synthetic world of N observations instead of the demo")
    args = parser.parse_args()
    if args.observations:
        if args.db == parser.get_default("db"):
            args.db = f"sqlite:///{Path(tempfile.gettempdir()) / 'stocktake-bench-synthetic.db'}"
        with timed() as t:
            _synthetic(args.db, args.observations)
        print(f"SQLite world made in {t.wall:.1f} s", file=sys.stderr)
    else:
        _demo(args.db)
    source = Path(args.db.removeprefix("sqlite:///"))
    rows: list[tuple[str, str, float | None, float | None]] = []
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        with timed() as t:
            manifest = backup(args.db, work / "demo.zip")
        rows.append(("SQLite", "stocktake backup", t.wall, t.cpu))
        with timed() as t:
            restore(work / "demo.zip", f"sqlite:///{work / 'restored.db'}")
        rows.append(("SQLite", "stocktake restore", t.wall, t.cpu))
        floor = _floor(["sqlite3", str(source), f".backup {work / 'floor.db'}"])
        rows.append(("SQLite", "sqlite3 .backup (floor)", *(floor or (None, None))))
        if args.postgres and args.observations:
            with timed() as t:
                _synthetic(args.postgres, args.observations)
            print(f"PostgreSQL world made in {t.wall:.1f} s", file=sys.stderr)
            with timed() as t:
                backup(args.postgres, work / "pg.zip")
            rows.append(("PostgreSQL", "stocktake backup", t.wall, t.cpu))
            rows += _pg_floor(args.postgres, work)  # its dump before ours replaces the world
            target = _empty(args.postgres)
            with timed() as t:
                restore(work / "pg.zip", target)
            rows.append(("PostgreSQL", "stocktake restore", t.wall, t.cpu))
        elif args.postgres:
            target = _empty(args.postgres)
            with timed() as t:
                restore(work / "demo.zip", target)
            rows.append(("PostgreSQL", "stocktake restore", t.wall, t.cpu))
            with timed() as t:
                backup(target, work / "pg.zip")
            rows.append(("PostgreSQL", "stocktake backup", t.wall, t.cpu))
            rows += _pg_floor(target, work)
        size = (work / "demo.zip").stat().st_size
    _report(rows, manifest.rows, size, source.stat().st_size)


def _pg_floor(url: str, work: Path) -> list[tuple[str, str, float | None, float | None]]:
    from sqlalchemy import make_url

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    dump = _floor(["pg_dump", "-Fc", "-f", str(work / "demo.dump"), plain])
    if dump is None:
        return [("PostgreSQL", "pg_dump -Fc (floor)", None, None)]
    second = make_url(url).set(database=f"{make_url(url).database}_floor")
    server = open_engine(url, migrate=False).execution_options(isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{second.database}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{second.database}"')
    loaded = _floor(["pg_restore", "-d", second.set(drivername="postgresql")
                     .render_as_string(hide_password=False), str(work / "demo.dump")])
    with server.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{second.database}"')
    return [("PostgreSQL", "pg_dump -Fc (floor)", *dump),
            ("PostgreSQL", "pg_restore (floor)", *(loaded or (None, None)))]


def _report(rows, total_rows: int, zip_size: int, db_size: int) -> None:
    table = Table(title=f"Backup and restore: {total_rows:,} rows, backup file "
                  f"{zip_size / 1e6:.1f} MB (SQLite file {db_size / 1e6:.1f} MB)")
    for col in ("engine", "what", "wall s", "CPU s"):
        table.add_column(col, justify="left" if col in ("engine", "what") else "right")
    for engine, what, wall, cpu in rows:
        table.add_row(engine, what if wall is not None else f"{what}: not installed",
                      f"{wall:.2f}" if wall is not None else "",
                      f"{cpu:.2f}" if cpu is not None else "")
    Console().print(table)


if __name__ == "__main__":
    main()
