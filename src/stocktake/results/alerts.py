"""Alerts as the read services answer them: each alert with its identity, its status as an
analyst left it, and the history of its reviews (services/reading/alerts.py builds them; the method
is docs/methods/alerts.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from ..analysis.alerts import Shift
from .base import Result

# What an analyst may record about an alert: "open" reopens it.
REVIEW_STATUSES: tuple[str, ...] = ("open", "explained", "confirmed")
# An alert still standing: open, or confirmed (the figure is not to be trusted as it stands);
# an explained one no longer bears on anything.
STANDING: tuple[str, ...] = ("open", "confirmed")


@dataclass(frozen=True)
class AlertReview(Result):
    """One review of an alert: the status it was given, why, by whom and when."""

    alert: str  # the alert's id
    status: str  # one of REVIEW_STATUSES
    note: str
    by: str
    at: datetime


@dataclass(frozen=True)
class AlertItem(Result):
    """One alert: what moved, where, from when, by how much, the evidence, its status.

    The first nine fields are the JSON contract of ``stocktake alerts --json``."""

    kind: str  # counter | ratio_shift | local_break | drift
    unit: str
    indicators: tuple[str, ...]
    start: str  # the first period of the shift
    end: str  # the last period of the new level
    size: Mapping[str, Mapping[str, float | None]]  # per indicator (or ratio): before, after...
    evidence: tuple[Shift, ...]
    strength: float  # the weakest shift's size in noise standard deviations
    status: str  # open | explained | confirmed, as reviewed up to the moment read
    explanation: str
    id: str  # stable across runs: kind, unit, indicators and start
    unit_name: str
    level: str  # the level of the units it was read against (its peers)
    priorities: tuple[str, ...]  # the priorities it bears on
    history: tuple[AlertReview, ...]  # its reviews up to the moment read, oldest first


@dataclass(frozen=True)
class AlertsReport(Result):
    """The alerts of a world (or of a priority, or a unit), open ones first."""

    alerts: tuple[AlertItem, ...]

    @property
    def open(self) -> tuple[AlertItem, ...]:
        return tuple(a for a in self.alerts if a.status == "open")

    @property
    def standing(self) -> tuple[AlertItem, ...]:
        return tuple(a for a in self.alerts if a.status in STANDING)


@dataclass(frozen=True)
class ReviewDone(Result):
    """A review just recorded, with the alert it was about (as it now stands)."""

    review: AlertReview
    alert: AlertItem


__all__ = ["REVIEW_STATUSES", "AlertItem", "AlertReview", "AlertsReport", "ReviewDone"]
