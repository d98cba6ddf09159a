"""Stress: many submitters at once through the API on PostgreSQL, then check that nothing
was lost.

    python benchmarks/stress_concurrency.py                       # 50 submitters, 3 rounds
    python benchmarks/stress_concurrency.py --submitters 10 --rounds 1 --rows 500
    python benchmarks/stress_concurrency.py --pg-url postgresql+psycopg://...  # existing db

A throwaway PostgreSQL cluster (scripts/pg-throwaway, unless --pg-url) gets a generated
model (benchmarks/_stress.py) and the app, served as `stocktake serve` serves it (one
uvicorn process) on a loopback port. --submitters threads, each with its own API token
(scope unit:NAT, an analyst's) and its own districts, start together and POST
/api/v1/submissions --rounds times each: --rows rows of their districts as JSON, every
value changed from the round before, so each accepted batch stores every row it sent.

Then, from the database: every accepted batch is there, with its rows exactly (indicator,
unit, period and value, nothing more, nothing less); the store holds no other batch; every
key's current value is the one its submitter's last accepted round sent; and every batch
has as many observations as it says it stored (benchmarks/_stress.py). Refusals (any
status but 200) are counted by status: a refused submission must have stored nothing,
which the batch count shows. A report, not a test: it prints the counts and PASS (nothing
lost, nothing extra) or MISS, and exits 0.
"""

from __future__ import annotations

import argparse
import json
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _common import free_port, wait_for_server  # noqa: E402
from _stress import World, child_env, consistency, database  # noqa: E402

from stocktake.services.admin import accounts  # noqa: E402
from stocktake.services.data.model_service import load_model  # noqa: E402
from stocktake.store.db import open_engine  # noqa: E402

TIMEOUT = 600.0  # seconds a submission may take before the client gives up


@dataclass
class Submitter:
    token: str
    units: list[str]
    sent: dict[int, list[tuple[str, str, str, float]]] = field(default_factory=dict)
    accepted: dict[int, int] = field(default_factory=dict)  # round -> batch
    refused: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)


def start_server(url: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "stocktake", "serve", "--db", url,
                             "--port", str(port)], env=child_env(),
                            stderr=subprocess.DEVNULL)
    return proc, wait_for_server(proc, port, timeout=120)


def submit_rounds(base: str, who: Submitter, world: World, rows: int, rounds: int,
                  start: threading.Barrier) -> None:
    with httpx.Client(base_url=base, timeout=TIMEOUT,
                      headers={"Authorization": f"Bearer {who.token}"}) as client:
        start.wait()
        for r in range(1, rounds + 1):
            frame = world.rows(rows, r, units=who.units)
            batch = [(i, u, p, float(v)) for i, u, p, v in frame.iter_rows()]
            who.sent[r] = batch
            body = {"rows": [{"indicator": i, "unit": u, "period": p, "value": v}
                             for i, u, p, v in batch], "reason": f"round {r}"}
            t = time.perf_counter()
            try:
                response = client.post("/api/v1/submissions", json=body)
            except httpx.HTTPError as exc:
                who.refused[type(exc).__name__] += 1
                continue
            who.latencies.append(time.perf_counter() - t)
            answer = response.json() if response.headers.get(
                "content-type", "").startswith("application/json") else {}
            if response.status_code == 200 and answer.get("accepted"):
                who.accepted[r] = answer["batch"]
            else:
                who.refused[f"HTTP {response.status_code}"] += 1


def stored_rows(engine, batch: int) -> list[tuple[str, str, str, float]]:
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(text(
            "SELECT i.code, u.code, o.period, o.value FROM observations o "
            "JOIN indicators i ON i.id = o.indicator_id JOIN units u ON u.id = o.unit_id "
            "WHERE o.batch_id = :b"), {"b": batch}).all())


def current_values(engine) -> dict[tuple[str, str, str], float]:
    """Each key's newest value (the highest batch is the newest vintage)."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT i.code, u.code, o.period, o.value, o.batch_id FROM observations o "
            "JOIN indicators i ON i.id = o.indicator_id JOIN units u ON u.id = o.unit_id"
        )).all()
    newest: dict[tuple[str, str, str], tuple[int, float]] = {}
    for i, u, p, v, b in rows:
        if (i, u, p) not in newest or b > newest[(i, u, p)][0]:
            newest[(i, u, p)] = (b, v)
    return {k: v for k, (_, v) in newest.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submitters", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="submissions each")
    parser.add_argument("--rows", type=int, default=2_000, help="rows a submission")
    parser.add_argument("--pg-url", help="an existing, empty PostgreSQL database")
    args = parser.parse_args()
    world = World(provinces=10, districts=max(20, -(-args.submitters * 4 // 10)))
    districts = world.district_codes
    share = len(districts) // args.submitters
    with tempfile.TemporaryDirectory(prefix="stocktake-stress-") as work, \
            database("postgresql", Path(work), args.pg_url) as url:
        engine = open_engine(url)
        load_model(engine, world.write_model(Path(work) / "model"), loaded_by="stress")
        accounts.create_user(engine, "stress", "analyst", secrets.token_urlsafe(16))
        who = [Submitter(accounts.create_api_token(engine, "stress", "unit:NAT",
                                                   label=f"submitter {n}"),
                         districts[n * share:(n + 1) * share])
               for n in range(args.submitters)]
        server, base = start_server(url)
        try:
            start = threading.Barrier(args.submitters)
            threads = [threading.Thread(target=submit_rounds,
                                        args=(base, w, world, args.rows, args.rounds, start))
                       for w in who]
            began = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - began
        finally:
            server.terminate()
            server.wait(30)
        accepted = {(n, r): b for n, w in enumerate(who) for r, b in w.accepted.items()}
        wrong = [(n, r, b) for (n, r), b in accepted.items()
                 if stored_rows(engine, b) != sorted(who[n].sent[r])]
        check = consistency(engine)
        expected_current = {(i, u, p): v for w in who if w.accepted
                            for i, u, p, v in w.sent[max(w.accepted)]}
        current = current_values(engine)
        stale = sum(1 for k, v in expected_current.items() if current.get(k) != v)
        # Keys of a submitter with no accepted round must hold nothing at all.
        strays = sum(1 for k in current if k not in expected_current)
        refused = sum((w.refused for w in who), Counter())
        latencies = np.array([x for w in who for x in w.latencies])
        engine.dispose()
    report = {
        "submitters": args.submitters, "rounds": args.rounds, "rows a submission": args.rows,
        "submissions": args.submitters * args.rounds, "accepted": len(accepted),
        "refused": dict(refused), "seconds": round(wall, 1),
        "latency p50 s": round(float(np.quantile(latencies, 0.5)), 2) if latencies.size
        else None,
        "latency p95 s": round(float(np.quantile(latencies, 0.95)), 2) if latencies.size
        else None,
        "batches stored": check.batches, "observations": check.observations,
        "accepted batches whose rows differ from those sent": len(wrong),
        "batches stored but not accepted": check.batches - len(accepted),
        "keys not at their last accepted value": stale, "keys no accepted batch sent": strays,
        "half batches": len(check.half), "orphan observations": check.orphans,
    }
    print(json.dumps(report, indent=2))
    ok = (not wrong and check.batches == len(accepted) and not stale and not strays
          and check.ok)
    print("Overall: " + ("PASS: nothing lost, nothing extra" if ok else "MISS")
          + ("" if not refused else f" ({sum(refused.values())} submissions refused: "
             "see 'refused')"))


if __name__ == "__main__":
    main()
