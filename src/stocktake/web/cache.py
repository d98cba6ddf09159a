"""Results of read-only services, kept while nothing they read has changed.

A page is read far more often than data arrives: the portfolio and a priority page cost a
few hundred milliseconds to compute and are the same for everyone until the next batch,
model load, approval, plan, rating or stocktake. The cache key holds the *data version*:
the newest id of every append-only table those results read, and "now" as the results
read it (the demo's clock, else today's date: complete periods and timeliness move with
it), taken in one small query per request. Nothing is ever stale: a new row is a new
version. The API's reads keep their encoded JSON here (``cached_json``), so a repeated
read costs the version query and the sending.

The commitments tracker has its own cache (``COMMITMENTS``): its key is the newest status
change and the newest audit record, since every load and status change of a commitment
writes one in the same transaction (a load replaces a commitment's row in place, so the
rows themselves carry no version). An audit record of anything else (a sign-in) only
costs a new read.

One cache per engine (a web application holds them), so two databases never share
entries. Values are shared between callers: treat them as read-only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from fastapi.responses import JSONResponse
from sqlalchemy import Engine, func, select

from ..store import schema as s
from ..store.db import utcnow
from ..store.schema_accounts import audit_log
from ..store.schema_commitments import commitment_statuses
from .monitoring import count_cache

T = TypeVar("T")

# Every table whose rows a cached result may read (append-only, so max(id) moves on change).
_VERSIONED = (s.batches, s.model_loads, s.approvals, s.plan_versions, s.chain_versions,
              s.assessments, s.stocktakes, s.actions, s.action_updates,
              s.stocktake_schedules, s.spc_rebases)
# What the commitments pages read: their status changes, and the audit of their loads.
COMMITMENTS = (commitment_statuses, audit_log)


class ResultCache:
    def __init__(self, engine: Engine, size: int = 256, name: str = "results",
                 versioned: tuple[Any, ...] = _VERSIONED) -> None:
        self.engine, self.size, self.name = engine, size, name  # name: in the metrics
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()
        self.hits = self.misses = 0  # answers served from the cache, and computed
        self._version_query = select(*[select(func.max(t.c.id)).scalar_subquery()
                                       for t in versioned],
                                     select(s.meta.c.value).where(s.meta.c.key == "clock")
                                     .scalar_subquery())

    def version(self) -> tuple[Any, ...]:
        with self.engine.connect() as conn:
            *ids, clock = conn.execute(self._version_query).one()
        return (*ids, clock or utcnow().date())

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value for ``key`` at the current data version, computed once: callers
        asking at the same time wait for the first instead of computing it again."""
        full = (key, self.version())
        with self._guard:
            if full in self._values:
                self._values.move_to_end(full)
                self.hits += 1
                count_cache(self.name, hit=True)
                return self._values[full]
            lock = self._locks.setdefault(full, threading.Lock())
        with lock:
            with self._guard:
                if full in self._values:
                    self.hits += 1
                    count_cache(self.name, hit=True)
                    return self._values[full]
                self.misses += 1
                count_cache(self.name, hit=False)
            value = compute()  # an exception is raised to every caller, and not kept
            with self._guard:
                self._values[full] = value
                self._locks.pop(full, None)
                while len(self._values) > self.size:
                    self._values.popitem(last=False)
            return value


class _EncodedJSON(JSONResponse):
    """A JSONResponse of JSON already encoded (by JSONResponse, once): sent as it is."""

    def render(self, content: Any) -> bytes:
        return content


def cached_json(cache: ResultCache, key: Hashable, compute: Callable[[], Any]) -> JSONResponse:
    """The JSON response of ``compute()`` (a JSON-ready value), computed and encoded once
    per data version: the bytes JSONResponse would send."""
    return _EncodedJSON(cache.get(key, lambda: JSONResponse(compute()).body))
