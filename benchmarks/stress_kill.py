"""Stress: kill -9 a `stocktake submit` of a large file, again and again, and check after
every kill that the store holds no half batch.

    python benchmarks/stress_kill.py                     # 100 kills on SQLite, 100 on PostgreSQL
    python benchmarks/stress_kill.py --kills 20 --rows 20000 --backend sqlite
    python benchmarks/stress_kill.py --pg-url postgresql+psycopg://...   # an existing database

Each backend gets a fresh database (SQLite: a file; PostgreSQL: a throwaway cluster from
scripts/pg-throwaway, unless --pg-url) and a generated model (benchmarks/_stress.py). One
uninterrupted submission first measures how long a submission takes (T) and how long it
writes (W, from the moment its write transaction is seen until it exits). Then, --kills
times: a new file of --rows rows, every value changed (so an accepted batch writes every
row), is submitted by `python -m stocktake submit FILE --db URL --json` in a child process,
which gets SIGKILL

- *anywhere* (every other kill): after a random time in [0, T]: while Python starts, the
  file is read and checked, or the batch is stored;
- *while writing* (the others): once its write transaction is seen (SQLite: the write
  lock is held, seen by a BEGIN IMMEDIATE that fails at once; PostgreSQL: its backend has
  a transaction id, i.e. it has written), after a random time in [0, W].

After each kill, every batch is checked against its rows (added + revised = the
observations of the batch; no observation of a missing batch) and the outcome counted:
killed before the commit (no new batch), killed after it (a whole new batch), or the
submission finished first. At the end, SQLite's integrity_check. A report, not a test:
it prints the counts and PASS (0 half batches) or MISS, and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _stress import World, child_env, consistency, database  # noqa: E402

from stocktake.services.data.model_service import load_model  # noqa: E402
from stocktake.store.db import open_engine  # noqa: E402

POLL = 0.005  # seconds between looks for the write transaction


class WriteWatch:
    """Whether another process is inside a write transaction on the database."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite:///"):
            self.sqlite = sqlite3.connect(url[len("sqlite:///"):], timeout=0,
                                          isolation_level=None)
        else:
            self.sqlite = None
            self.pg = create_engine(url, isolation_level="AUTOCOMMIT")

    def writing(self) -> bool:
        if self.sqlite is not None:
            try:  # fails at once while another connection holds the write lock
                self.sqlite.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                return True
            self.sqlite.execute("ROLLBACK")
            return False
        with self.pg.connect() as conn:
            return bool(conn.execute(text(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL")).scalar_one())

    def close(self) -> None:
        if self.sqlite is not None:
            self.sqlite.close()
        else:
            self.pg.dispose()


def submit_command(path: Path, url: str) -> list[str]:
    return [sys.executable, "-m", "stocktake", "submit", str(path), "--db", url, "--json",
            "--submitter", "stress"]


def wait_for_write(proc: subprocess.Popen, watch: WriteWatch, limit: float) -> float | None:
    """Seconds until the child is seen writing, or None if it exits first."""
    start = time.perf_counter()
    while proc.poll() is None and time.perf_counter() - start < limit:
        if watch.writing():
            return time.perf_counter() - start
        time.sleep(POLL)
    return None


def calibrate(path: Path, url: str, watch: WriteWatch) -> tuple[float, float]:
    """(T, W): an uninterrupted submission's seconds, and the seconds it wrote."""
    start = time.perf_counter()
    proc = subprocess.Popen(submit_command(path, url), env=child_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    seen = wait_for_write(proc, watch, 600)
    out, _ = proc.communicate()
    total = time.perf_counter() - start
    result = json.loads(out)
    if proc.returncode != 0 or not result.get("accepted"):
        raise RuntimeError(f"the calibration submission failed: {out[:500]!r}")
    return total, (total - seen if seen is not None else total / 10)


def run_backend(kind: str, args: argparse.Namespace, world: World, work: Path) -> dict:
    rng = random.Random(args.seed)
    with database(kind, work, args.pg_url) as url:
        engine = open_engine(url)
        load_model(engine, world.write_model(work / "model"), loaded_by="stress")
        path = work / "submission.csv"
        world.rows(args.rows, 0).write_csv(path)
        watch = WriteWatch(url)
        total, write = calibrate(path, url, watch)
        print(f"{kind}: a submission of {args.rows:,} rows takes {total:.1f} s, "
              f"writing for {write:.2f} s; {args.kills} kills follow", flush=True)
        outcomes: Counter[str] = Counter()
        half, worst = 0, None
        start = time.perf_counter()
        for n in range(1, args.kills + 1):
            world.rows(args.rows, n).write_csv(path)
            before = consistency(engine).batches
            mode = "anywhere" if n % 2 else "while writing"
            proc = subprocess.Popen(submit_command(path, url), env=child_env(),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if mode == "anywhere":
                deadline = time.perf_counter() + rng.uniform(0, total)
                while proc.poll() is None and time.perf_counter() < deadline:
                    time.sleep(POLL)
            elif wait_for_write(proc, watch, 10 * total) is not None:
                time.sleep(rng.uniform(0, write))
            killed = proc.poll() is None
            if killed:
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            check = consistency(engine)
            if not check.ok:
                half += 1
                worst = worst or check
            stored = check.batches - before
            outcomes[f"{mode}: " + ("killed before the commit" if killed and not stored
                                    else "killed after the commit" if killed
                                    else f"finished first (exit {proc.returncode})")] += 1
            if n % 10 == 0 or n == args.kills:
                print(f"  {n}/{args.kills} kills, {check.batches} batches, "
                      f"{check.observations:,} observations, half batches so far: {half} "
                      f"({time.perf_counter() - start:.0f} s)", flush=True)
        watch.close()
        final = consistency(engine)
        integrity = None
        if kind == "sqlite":
            with engine.connect() as conn:
                integrity = conn.execute(text("PRAGMA integrity_check")).scalar_one()
        engine.dispose()
    return {"backend": kind, "rows": args.rows, "seconds a submission": round(total, 2),
            "seconds writing": round(write, 2), "kills": args.kills,
            "outcomes": dict(sorted(outcomes.items())), "batches": final.batches,
            "observations": final.observations, "half batches": len(final.half),
            "checks with a half batch": half, "orphan observations": final.orphans,
            "sqlite integrity_check": integrity,
            "first inconsistency": worst.half[:5] if worst else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=100, help="kills per backend")
    parser.add_argument("--rows", type=int, default=50_000, help="rows a submission")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"),
                        default="both")
    parser.add_argument("--pg-url", help="an existing, empty PostgreSQL database")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    reports = []
    for kind in kinds:
        with tempfile.TemporaryDirectory(prefix=f"stocktake-stress-{kind}-") as work:
            reports.append(run_backend(kind, args, World(), Path(work)))
    for r in reports:
        print(json.dumps(r, indent=2))
    ok = all(r["half batches"] == 0 and r["checks with a half batch"] == 0
             and r["orphan observations"] == 0
             and r["sqlite integrity_check"] in (None, "ok") for r in reports)
    print("Overall: " + ("PASS: no half batch after any kill" if ok else "MISS"))


if __name__ == "__main__":
    main()
