"""Monitoring (issue #20): ``/healthz`` for a load balancer, ``/metrics`` for Prometheus.

``/healthz`` answers 200 when the database answers and its schema is the one this version
reads, else 503 saying which. ``/metrics`` is the Prometheus text format: requests by
route template and status, their latencies, submissions accepted and refused, observations
stored, result-cache hits and misses, and reminder e-mails sent and failed. It is open
only to the addresses in ``STOCKTAKE_METRICS_ALLOW`` (networks, comma-separated; default the
machine itself) or to a request bearing ``STOCKTAKE_METRICS_TOKEN`` (``Authorization:
Bearer ...``); anyone else gets a 404, as if it were not there.

With several workers (``stocktake serve --workers N``) each process counts its own, in
prometheus_client's multiprocess mode: ``serve`` gives them one folder
(``PROMETHEUS_MULTIPROC_DIR``, set before any worker starts) where each keeps its counters
in a memory-mapped file, and ``/metrics``, whichever worker answers, adds up every file. So
the figures are the server's, not one worker's. Reminders are sent outside the workers
(by `stocktake remind` from cron, or by `serve`'s schedule), so their counts are read from
the database's record of messages at each scrape, not counted in a process.
"""

from __future__ import annotations

import hmac
import ipaddress
import os

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, text

from ..services.routines.reminders import message_counts
from ..store.db import SchemaNotCurrent, require_current
from .security import Network, parse_networks

METRICS_ALLOW_ENV = "STOCKTAKE_METRICS_ALLOW"
METRICS_TOKEN_ENV = "STOCKTAKE_METRICS_TOKEN"
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
DEFAULT_ALLOW = "127.0.0.1, ::1"

REQUESTS = Counter("stocktake_http_requests", "HTTP requests answered, by route template "
                   "and status", ["method", "route", "status"])
LATENCY = Histogram("stocktake_http_request_duration_seconds", "Time to answer a request, "
                    "by route template", ["method", "route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
SUBMISSIONS = Counter("stocktake_submissions", "Submissions through the web and the API, "
                      "by outcome", ["outcome"])
OBSERVATIONS = Counter("stocktake_observations_stored", "Observations stored by accepted "
                       "submissions (new values and revisions)")
CACHE = Counter("stocktake_cache_lookups", "Lookups in the per-data-version result caches",
                ["cache", "result"])


class _Reminders(Collector):
    """Reminder e-mails sent and failed, from the record of messages (all processes)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self):
        counts = message_counts(self.engine)
        family = CounterMetricFamily("stocktake_reminders", "Reminder e-mails, by outcome "
                                     "(the record of messages)", labels=["outcome"])
        for outcome in ("sent", "failed"):
            family.add_metric([outcome], counts.get(outcome, 0))
        yield family


def count_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)


def count_submission(accepted: bool, stored: int) -> None:
    SUBMISSIONS.labels("accepted" if accepted else "refused").inc()
    if accepted:
        OBSERVATIONS.inc(stored)


def count_cache(cache: str, hit: bool) -> None:
    CACHE.labels(cache, "hit" if hit else "miss").inc()


def exposition(engine: Engine) -> bytes:
    """Every metric in the text format: this process's, or with several workers all of
    theirs added up; then the reminders, from the database."""
    if os.environ.get(MULTIPROCESS_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        counted = generate_latest(registry)
    else:
        counted = generate_latest(REGISTRY)
    recorded = CollectorRegistry()
    recorded.register(_Reminders(engine))
    return counted + generate_latest(recorded)


def metrics_allowed() -> tuple[Network, ...]:
    return parse_networks(os.environ.get(METRICS_ALLOW_ENV, DEFAULT_ALLOW), METRICS_ALLOW_ENV)


def may_read_metrics(request: Request, allowed: tuple[Network, ...]) -> bool:
    token = os.environ.get(METRICS_TOKEN_ENV)
    given = request.headers.get("authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        client = ipaddress.ip_address(request.client.host if request.client else "")
    except ValueError:
        return False
    return any(client in network for network in allowed)


router = APIRouter()


@router.get("/healthz", name="healthz")
def healthz(request: Request) -> JSONResponse:
    """200 when the database answers at the current schema; 503 saying what is wrong."""
    engine = request.app.state.engine
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        revision = require_current(engine)
    except SchemaNotCurrent as exc:
        return JSONResponse({"status": "error", "database": "ok", "schema": str(exc)},
                            status_code=503)
    except Exception as exc:  # the database is down or unreachable: say so, briefly
        return JSONResponse({"status": "error", "database": type(exc).__name__},
                            status_code=503)
    return JSONResponse({"status": "ok", "database": "ok", "schema": revision})


@router.get("/metrics", name="metrics")
def metrics(request: Request) -> Response:
    if not may_read_metrics(request, request.app.state.metrics_allowed):
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    return Response(exposition(request.app.state.engine), media_type=CONTENT_TYPE_LATEST)
