"""What "now" means for a database: the real time, or a simulated world's own clock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from ..store.db import get_meta, utcnow


def now_of(engine: Engine, as_of: datetime | None = None) -> datetime:
    """``as_of`` when given; else the demo's simulated "now" (so the demo reads the same next
    year as today); else the real time (UTC, naive like the stored times)."""
    if as_of is not None:
        return as_of
    clock = get_meta(engine, "clock")
    return datetime.fromisoformat(clock) if clock else utcnow()
