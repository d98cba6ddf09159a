"""Helpers shared by the benchmarks: phases run in their own processes, peak memory, output.

Each measured phase runs in a fresh child process (the same script with ``--phase``), so
one phase's allocations never count against another's peak, and an interpreter's memory
is never handed back and reused. The child reports over stdout in lines starting with
``MARK``: progress as it goes, then one result (a JSON object) that includes its own peak
resident set size (VmHWM). The parent also reads the child's ``ru_maxrss`` from wait4, an
independent measurement of the same figure.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MARK = "@@bench "
MB = 1024 * 1024


def peak_rss_bytes() -> int:
    """This process's peak resident set size so far (VmHWM), in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status (not Linux?)")


def emit(kind: str, **payload: Any) -> None:
    """Child side: send one message to the parent."""
    sys.stdout.write(MARK + json.dumps({"kind": kind, **payload}) + "\n")
    sys.stdout.flush()


def progress(done: int, total: int) -> None:
    emit("progress", done=done, total=total)


def result(**figures: Any) -> None:
    emit("result", peak_rss=peak_rss_bytes(), **figures)


def cpu_seconds() -> float:
    """CPU time of this process so far, every thread, user and system."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Timer:
    """Wall and CPU seconds of a ``with`` block. The cores are shared with other work:
    CPU time is steadier than wall time when they are busy, and over wall time it shows
    how many cores a phase kept busy."""

    def __enter__(self) -> Timer:
        self.wall, self.cpu = time.perf_counter(), cpu_seconds()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, cpu_seconds() - self.cpu

    def __call__(self) -> float:
        return self.wall


def timed() -> Timer:
    """``with timed() as t: ...``; then ``t()`` (or ``t.wall``) and ``t.cpu`` in seconds."""
    return Timer()


@dataclass
class PhaseRun:
    name: str
    figures: dict[str, Any] = field(default_factory=dict)
    wall: float = 0.0  # the child's whole life, interpreter start and imports included
    maxrss: int = 0  # bytes, from wait4: cross-checks the child's own VmHWM

    @property
    def peak_rss(self) -> int:
        return int(self.figures.get("peak_rss", self.maxrss))


class PhaseError(RuntimeError):
    pass


def run_phase(argv: list[str], name: str,
              on_progress: Callable[[int, int], None] | None = None) -> PhaseRun:
    """Run one phase as a child process; return its result and peak memory."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            bufsize=1)
    run = PhaseRun(name)
    assert proc.stdout is not None and proc.stderr is not None
    for line in proc.stdout:
        if not line.startswith(MARK):
            continue
        msg = json.loads(line[len(MARK):])
        if msg["kind"] == "progress" and on_progress is not None:
            on_progress(msg["done"], msg["total"])
        elif msg["kind"] == "result":
            msg.pop("kind")
            run.figures = msg
    err = proc.stderr.read()
    # wait4 rather than Popen.wait: it returns this child's own rusage.
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    run.wall = time.perf_counter() - start
    run.maxrss = usage.ru_maxrss * 1024  # kilobytes on Linux
    if proc.returncode != 0 or not run.figures:
        raise PhaseError(f"phase '{name}' failed (exit {proc.returncode}):\n{err[-4000:]}")
    return run


def fmt_seconds(s: float | None) -> str:
    return "" if s is None else f"{s:,.2f} s"


def fmt_rate(rows: int, s: float | None) -> str:
    return "" if not s else f"{rows / s:,.0f}"


def fmt_mb(b: int | None) -> str:
    return "" if b is None else f"{b / MB:,.0f} MB"


def free_port() -> int:
    """A port on the loopback interface that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_server(proc: subprocess.Popen, port: int, timeout: float) -> str:
    """The base URL of a server just started as ``proc``, once its /healthz answers 200;
    the server is stopped if it does not within ``timeout`` seconds."""
    import httpx  # only the web benchmarks need it

    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return base
        except httpx.TransportError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError(f"the server did not answer /healthz within {timeout:.0f} s")
