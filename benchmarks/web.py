"""Web benchmark: the demo served by uvicorn on loopback under 50 concurrent clients, for
the portfolio page, a priority page and two API reads, beside the same server returning
a small static file (the floor).

    python benchmarks/web.py [--db URL] [--clients 50] [--seconds 20] [--requests N]
                             [--priority SURG] [--profile]

The demo database is built first if the one at --db is not the current demo (about half a
minute; by default the same file as packs.py, kept for the next run). The server is
`stocktake demo`'s: one uvicorn process (``uvicorn.run(create_app(engine))``), started in a
child process on a free loopback port. The clients send the session cookie of the demo's
analyst account (made with ``services.accounts`` if missing), as a browser would.

The load generator is a plain asyncio + httpx client in this process: --clients tasks,
each sending one request after another over its own keep-alive connection, for --seconds
(or until --requests in all) per target, after a short warm-up. The targets run one after
another in one run, floor first:

- floor: ``GET /static/style.css`` (StaticFiles; still passes the app's guard);
- portfolio: ``GET /`` (priority_overview, rendered);
- priority: ``GET /priorities/SURG`` (status with units, trajectory and forecast, SPC, the
  SVG chart);
- API: ``GET /api/v1/priorities`` (priority_overview as JSON);
- API status: ``GET /api/v1/status?priority=SURG`` (priority_status as JSON, from the same
  per-data-version cache as the pages);
- commitments: ``GET /commitments?page=5`` (the demo's 500 commitments, filtered, counted
  and paged 50 at a time, with the movement since the last report);
- public tracker: ``GET /public/commitments.html?q=fund+simulated&page=2`` (the published
  ones only, searched: 79 of the demo's 400 published).

For each: requests, errors (any status but 200, a response without its expected text, or
a failed connection), requests/s, latency p50, p95 and max (from send to the last byte),
and the CPU seconds the server and the client used. The client shares the machine's two
cores with the server, so the floor is the cost of a request end to end on this machine,
not the server alone. Target (the web issue): each page's p95 within 5x of the floor's,
and no errors. A report, not a test: it always exits 0 and prints PASS or MISS.

--profile then runs each page's request in-process under cProfile (a TestClient, no
network) and prints where the time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _common import free_port, wait_for_server  # noqa: E402

from stocktake.demo.build import build_demo, is_current  # noqa: E402
from stocktake.services.admin import accounts  # noqa: E402
from stocktake.store.db import open_engine  # noqa: E402
from stocktake.web.auth import SESSION_COOKIE  # noqa: E402

TARGET = 5.0  # a page's p95 at most this many times the floor's
ACCOUNT = "analyst"
TIMEOUT = 60.0  # seconds; a slower answer counts as an error (a proxy would give up too)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Target:
    name: str
    path: str
    expect: bytes  # text every good response holds (a 200 with the wrong body is an error)


@dataclass
class Run:
    target: Target
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    errors: dict[str, int] = field(default_factory=dict)
    wall: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies) + sum(self.errors.values())

    def quantile(self, q: float) -> float:
        return float(np.quantile(self.latencies, q)) if self.latencies else float("nan")

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


# -- the server -------------------------------------------------------------------------


def serve(url: str, port: int) -> None:
    """Child process: the app as `stocktake demo` serves it."""
    import uvicorn

    from stocktake.web.app import create_app

    uvicorn.run(create_app(open_engine(url)), host="127.0.0.1", port=port,
                log_level="warning")


def start_server(url: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--serve", url, str(port)])
    return proc, wait_for_server(proc, port, timeout=60)


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system, every thread) a process has used: /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def own_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# -- the load generator -----------------------------------------------------------------


async def client_loop(base: str, cookie: str, target: Target, run: Run, deadline: float,
                      budget: list[int]) -> None:
    """One client: a keep-alive connection, one request after another until the deadline
    or until the shared budget of requests is spent."""
    async with httpx.AsyncClient(base_url=base, cookies={SESSION_COOKIE: cookie},
                                 timeout=TIMEOUT,
                                 limits=httpx.Limits(max_connections=1)) as client:
        while time.perf_counter() < deadline and budget[0] > 0:
            budget[0] -= 1
            start = time.perf_counter()
            try:
                response = await client.get(target.path)
                body = response.content
            except httpx.HTTPError as exc:
                run.error(type(exc).__name__)
                continue
            elapsed = time.perf_counter() - start
            if response.status_code != 200:
                run.error(f"HTTP {response.status_code}")
            elif target.expect not in body:
                run.error("unexpected body")
            else:
                run.latencies.append(elapsed)


async def load(base: str, cookie: str, target: Target, clients: int, seconds: float,
               requests: int | None, server_pid: int, progress: Progress) -> Run:
    run = Run(target)
    budget = [requests if requests else 10**12]
    task = progress.add_task(target.name, total=requests if requests else seconds)
    server_cpu, client_cpu = process_cpu(server_pid), own_cpu()
    start = time.perf_counter()
    deadline = start + seconds
    workers = [asyncio.create_task(client_loop(base, cookie, target, run, deadline, budget))
               for _ in range(clients)]
    while not all(w.done() for w in workers):
        await asyncio.sleep(0.25)
        done = run.requests if requests else min(time.perf_counter() - start, seconds)
        progress.update(task, completed=done,
                        description=f"{target.name}: {run.requests:,} requests")
    await asyncio.gather(*workers)
    run.wall = time.perf_counter() - start
    run.server_cpu = process_cpu(server_pid) - server_cpu
    run.client_cpu = own_cpu() - client_cpu
    progress.update(task, completed=run.requests if requests else seconds)
    return run


PENDING_ALERTS = b"are still being read"


async def warm_up(base: str, cookie: str, targets: list[Target]) -> None:
    """A few requests to each target first: imports, template compilation, caches."""
    async with httpx.AsyncClient(base_url=base, cookies={SESSION_COOKIE: cookie},
                                 timeout=60.0) as client:
        for target in targets:
            for _ in range(3):
                response = await client.get(target.path)
                if response.status_code != 200 or target.expect not in response.content:
                    raise RuntimeError(f"{target.path} answered {response.status_code}: "
                                       f"{response.text[:300]}")
        # The portfolio starts reading the alerts of the data in the background; until that
        # is done its CPU would be counted against every request measured.
        deadline = time.monotonic() + 600
        while PENDING_ALERTS in (await client.get("/")).content:
            if time.monotonic() > deadline:
                raise RuntimeError("the alerts were still being read after 600 s")
            await asyncio.sleep(0.5)


# -- where the time goes ----------------------------------------------------------------


def page_work(engine, priority: str) -> dict[str, list[tuple[str, object]]]:
    """What each page's route calls (the same calls as web/app.py), step by step, so a
    profile sees them (a TestClient runs the app in another thread, out of cProfile's
    sight)."""
    from stocktake.reports.charts import headline_chart
    from stocktake.services.reading.overview import priority_overview
    from stocktake.services.reading.readings import spc_chart
    from stocktake.services.reading.snapshot import Snapshot
    from stocktake.services.reading.status import priority_status, priority_trajectory

    def priority_page() -> object:
        snap = Snapshot(engine)
        status = priority_status(snap, priority=priority, units=True, forecasts="none")
        p = status.priorities[0]
        trajectory = priority_trajectory(snap, priority)
        spc = spc_chart(snap, p.headline, p.scope)
        return headline_chart(trajectory, spc)

    first = priority_status(Snapshot(engine), priority=priority, forecasts="none").priorities[0]
    headline, scope = first.headline, first.scope
    overview = ("priority_overview", lambda: priority_overview(Snapshot(engine)))
    return {
        "portfolio": [overview],
        "priority": [
            ("priority_status(units=True)", lambda: priority_status(
                Snapshot(engine), priority=priority, units=True, forecasts="none")),
            ("priority_trajectory", lambda: priority_trajectory(Snapshot(engine), priority)),
            ("spc_chart", lambda: spc_chart(Snapshot(engine), headline, scope)),
            ("the whole route's service calls", priority_page),
        ],
        "API": [overview],
        "API status": [("priority_status", lambda: priority_status(Snapshot(engine),
                                                                   priority=priority))],
    }


def profile(engine, cookie: str, targets: list[Target], priority: str, console: Console,
            repeat: int = 3, top: int = 20) -> None:
    """Each page's request in-process (a TestClient, no network), beside the service
    calls its route makes, then those calls under cProfile."""
    from fastapi.testclient import TestClient

    from stocktake.web.app import create_app

    client = TestClient(create_app(engine), cookies={SESSION_COOKIE: cookie})
    work = page_work(engine, priority)
    for target in targets:
        client.get(target.path)  # warm
        t = time.perf_counter()
        for _ in range(repeat):
            client.get(target.path)
        whole = (time.perf_counter() - t) / repeat
        table = Table(title=f"{target.name} {target.path}: {whole * 1000:.0f} ms a request "
                      f"in-process, one at a time (mean of {repeat})")
        table.add_column("step")
        table.add_column("ms", justify="right")
        table.add_column("share of the request", justify="right")
        profiler = cProfile.Profile()
        for name, step in work[target.name]:
            t = time.perf_counter()
            for _ in range(repeat):
                step()
            took = (time.perf_counter() - t) / repeat
            table.add_row(name, f"{took * 1000:.0f}", f"{took / whole:.0%}")
        profiler.enable()
        work[target.name][-1][1]()
        profiler.disable()
        console.print(table)
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
        stats.print_stats(r"stocktake|sqlalchemy|polars|numpy|statsmodels|scipy", top)
        console.print(out.getvalue(), markup=False, highlight=False, crop=False,
                      soft_wrap=True)


# -- the report -------------------------------------------------------------------------


def session_cookie(engine) -> str:
    if ACCOUNT not in {u.username for u in accounts.list_users(engine)}:
        accounts.create_user(engine, ACCOUNT, ACCOUNT, secrets.token_urlsafe(16))
    return accounts.start_session(engine, ACCOUNT).token


def report(runs: list[Run], clients: int, console: Console, label: str) -> None:
    floor = runs[0]
    floor_p95 = floor.quantile(0.95)
    table = Table(title=f"{clients} concurrent clients against {label}")
    for col in ("target", "path", "requests", "errors", "req/s", "p50 ms", "p95 ms",
                "max ms", "p95 / floor", "server CPU s", "client CPU s",
                f"target <= {TARGET:g}x, no errors"):
        table.add_column(col, justify="left" if col in ("target", "path") else "right")
    verdicts = []
    for run in runs:
        p95 = run.quantile(0.95)
        ratio = p95 / floor_p95
        errors = sum(run.errors.values())
        ok = errors == 0 and (run is floor or ratio <= TARGET)
        verdicts.append(ok)
        table.add_row(run.target.name, run.target.path, f"{run.requests:,}",
                      f"{errors:,}", f"{run.requests / run.wall:,.1f}",
                      f"{run.quantile(0.5) * 1000:,.1f}", f"{p95 * 1000:,.1f}",
                      f"{max(run.latencies, default=float('nan')) * 1000:,.1f}",
                      "(floor)" if run is floor else f"{ratio:.1f}x",
                      f"{run.server_cpu:.1f}", f"{run.client_cpu:.1f}",
                      "PASS" if ok else "MISS")
    console.print(table)
    for run in runs:
        if run.errors:
            console.print(f"{run.target.name} errors: {run.errors}")
    for run in runs[1:]:
        # Server CPU per request: what one request costs the server, whatever the queue.
        per = run.server_cpu / max(len(run.latencies), 1) * 1000
        console.print(f"{run.target.name}: {per:.1f} ms of server CPU a request "
                      f"(floor {floor.server_cpu / max(len(floor.latencies), 1) * 1000:.1f}"
                      f" ms); with {clients} waiting, p50 is about {clients} x that / cores "
                      f"busy.")
    console.print("Overall: " + ("PASS" if all(verdicts) else "MISS"))


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        serve(sys.argv[2], int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=f"sqlite:///{Path(tempfile.gettempdir())}"
                        "/stocktake-bench-demo.db")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="how long each target is loaded (default 20)")
    parser.add_argument("--requests", type=int, default=None,
                        help="stop each target after this many requests instead")
    parser.add_argument("--priority", default="SURG")
    parser.add_argument("--profile", action="store_true",
                        help="then profile each page in-process and print where time goes")
    args = parser.parse_args()
    console = Console(width=max(Console().width, 190))
    engine = open_engine(args.db)
    if not is_current(engine, 2026):
        with Progress(console=console) as bar:
            task = bar.add_task("Building the demo", total=None)
            build_demo(engine, force=True,
                       progress=lambda d, t, what="": bar.update(task, completed=d, total=t,
                                                                 description=what))
    cookie = session_cookie(engine)
    targets = [
        Target("floor", "/static/style.css", b"--brand"),
        Target("portfolio", "/", b"</html>"),
        Target("priority", f"/priorities/{args.priority}", b"</html>"),
        Target("API", "/api/v1/priorities", b'"code"'),
        Target("API status", f"/api/v1/status?priority={args.priority}", b'"priorities"'),
        Target("commitments", "/commitments?page=5", b"Page 5 of 10"),
        Target("public tracker", "/public/commitments.html?q=fund+simulated&page=2",
               b"page 2 of 2"),
    ]
    server, base = start_server(args.db)
    runs = []
    try:
        asyncio.run(warm_up(base, cookie, targets))
        columns = (TextColumn("{task.description:<32}"), BarColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console) as progress:
            for target in targets:
                runs.append(asyncio.run(load(base, cookie, target, args.clients,
                                             args.seconds, args.requests, server.pid,
                                             progress)))
    finally:
        server.terminate()
        server.wait(10)
    label = f"the demo ({engine.url.render_as_string(hide_password=True)}), one uvicorn process"
    report(runs, args.clients, console, label)
    if args.profile:
        profile(engine, cookie, targets[1:], args.priority, console)


if __name__ == "__main__":
    main()
