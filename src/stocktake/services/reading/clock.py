"""What "now" means for a database: the real time, or a simulated world's own clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import Engine

from ...errors import Invalid
from ...store.db import get_meta, utcnow


def now_of(engine: Engine, as_of: datetime | None = None) -> datetime:
    """``as_of`` when given; else the demo's simulated "now" (so the demo reads the same next
    year as today); else the real time (UTC, naive like the stored times)."""
    if as_of is not None:
        return as_of
    clock = get_meta(engine, "clock")
    return datetime.fromisoformat(clock) if clock else utcnow()


def parse_moment(text: str | None, name: str = "as_of") -> datetime | None:
    """An --as-of value, as the CLI and the API take it: a date means the end of that day,
    a timestamp is read as given; times with a zone are turned into UTC (stored times are
    naive UTC). A ValueError names the parameter and shows the forms it accepts."""
    if text is None or text == "":
        return None
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time.max)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{name}={text!r} is not a date (2025-03-01) or an ISO timestamp "
                      "(2025-03-01T12:00)") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment
