"""Fuzzing the intake: mutated CSV, JSON and Excel files submitted to a real database.

    python benchmarks/fuzz.py [--n 10000] [--seed 1] [--timeout 30]

Each file is one of the valid seeds of tests/intake/test_fuzz.py (long and wide CSV, JSON,
an Excel workbook) with one to four random edits (inserted characters that break readers,
deletions, cuts, repeats; for a workbook, in its sheet's XML or in the zip's bytes), and is
submitted (whole or --partial) to a SQLite database holding the small test model and a
first batch. A worker process submits, so that a submission running past --timeout
seconds is counted as a hang and stopped. Counted: tracebacks (any exception but a
StocktakeError), hangs, and refusals that changed the stored data. The target (issue 15)
is 0, 0 and 0. Not run in CI: tests/intake/test_fuzz.py runs a few dozen in seconds.
"""

from __future__ import annotations

import argparse
import importlib.util
import multiprocessing as mp
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

# The seeds and edits are the fuzz test's own, so that both try the same things.
_spec = importlib.util.spec_from_file_location("test_fuzz", ROOT / "tests/intake/test_fuzz.py")
fuzz = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fuzz)

T0 = datetime(2025, 6, 1, 9, 0)
_engine = None


def _open(db: str) -> None:
    global _engine
    from stocktake.store.db import open_engine

    _engine = open_engine(db)


def _submit(path: str, partial: bool) -> tuple[str, str]:
    """In the worker: ('accepted' | 'refused' | 'error' | 'changed' | 'traceback', detail)."""
    from stocktake.errors import StocktakeError
    from stocktake.intake.service import submit_file

    before = fuzz.stored(_engine)
    try:
        result = submit_file(_engine, path, submitter="fuzz", now=T0, partial=partial)
    except StocktakeError as exc:
        return ("changed" if fuzz.stored(_engine) != before else "error"), str(exc)[:200]
    except Exception:  # noqa: BLE001 - counting these is the point
        return "traceback", traceback.format_exc()
    if result.accepted:
        return "accepted", ""
    if fuzz.stored(_engine) != before:
        return "changed", str(result.findings[:3])
    return ("refused" if result.errors else "traceback"), "refused without a reason"


def _pool(db: str) -> mp.pool.Pool:
    return mp.get_context("spawn").Pool(1, initializer=_open, initargs=(db,))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10_000, help="how many mutated files")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds before a hang")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    from stocktake.intake.service import submit_file
    from stocktake.services.data.model_service import load_model
    from stocktake.store.db import open_engine

    work = Path(tempfile.mkdtemp(prefix="fuzz-"))
    db = f"sqlite:///{work / 'fuzz.db'}"
    engine = open_engine(db)
    load_model(engine, fuzz.SMALL_MODEL, loaded_by="fuzz", now=T0 - timedelta(days=1))
    (work / "seed.csv").write_bytes(fuzz.SEEDS["long.csv"])
    assert submit_file(engine, work / "seed.csv", submitter="fuzz", now=T0).accepted
    engine.dispose()

    outcomes: Counter[str] = Counter()
    examples: dict[str, str] = {}
    pool = _pool(db)
    start = time.perf_counter()
    slowest = 0.0
    for n in range(args.n):
        name = rng.choice(sorted(fuzz.SEEDS))
        edits = [(rng.randrange(5), rng.randrange(10_000), rng.randrange(1, 200),
                  rng.choice(fuzz.NASTY) if rng.random() < 0.7
                  else rng.randbytes(rng.randrange(1, 9)))
                 for _ in range(rng.randrange(1, 5))]
        path = work / f"{n}-{name}"
        path.write_bytes(fuzz.mutate_file(name, edits, inside=rng.random() < 0.5))
        began = time.perf_counter()
        try:
            outcome, detail = pool.apply_async(
                _submit, (str(path), rng.random() < 0.3)).get(args.timeout)
        except mp.TimeoutError:
            outcome, detail = "hang", f"over {args.timeout:g} s"
            pool.terminate()
            pool = _pool(db)
        slowest = max(slowest, time.perf_counter() - began)
        outcomes[outcome] += 1
        if outcome in ("traceback", "hang", "changed"):
            examples.setdefault(f"{outcome}: {detail.splitlines()[-1][:120]}", str(path))
        else:
            path.unlink()
    pool.terminate()
    took = time.perf_counter() - start
    print(f"{args.n:,} mutated files in {took:,.0f} s (slowest {slowest:.1f} s): "
          + ", ".join(f"{k} {v:,}" for k, v in sorted(outcomes.items())))
    print(f"tracebacks {outcomes['traceback']}, hangs over {args.timeout:g} s "
          f"{outcomes['hang']}, changes on rejection {outcomes['changed']} "
          "(target: 0, 0, 0)")
    for what, path in examples.items():
        print(f"  {what}  ({path})")


if __name__ == "__main__":
    main()
