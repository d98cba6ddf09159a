"""Number and date formatting for pages: the same figures the CLI prints."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def number(value: Any, decimals: int | None = None) -> str:
    if value is None:
        return "–"
    value = float(value)
    if decimals is None:
        decimals = 0 if value.is_integer() and abs(value) >= 100 else 1
    return f"{value:,.{decimals}f}"


def when(value: Any) -> str:
    if value is None:
        return "no data yet"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return f"{value:%-d %B %Y, %H:%M} UTC"


FILTERS = {"number": number, "when": when}
