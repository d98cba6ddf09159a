"""The answers about commitments and escalation (services.routines.commitments and
.escalation): what ``stocktake commitments`` and ``stocktake priority ...`` print, the
pages show and the documents carry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..delivery.commitments import STATUSES
from ..errors import Problem
from .base import Result, omit_if_none


@dataclass(frozen=True)
class CommitmentsReport(Result):
    """The commitments matching a filter (one page of them), with the counts of all that
    match and the movement since ``since``."""

    as_of: datetime  # the moment read ("data as of")
    since: datetime  # the start of the movement: the last report (see the guide)
    filters: dict[str, Any]
    total: int  # commitments matching the filter (every page)
    by_status: dict[str, int]  # status key -> count, in the scale's order
    by_minister: dict[str, dict[str, int]]
    by_department: dict[str, dict[str, int]]
    movements: tuple[dict[str, Any], ...]  # delivery.commitments.Movement.to_dict()
    page: int
    pages: int
    commitments: tuple[dict[str, Any], ...]  # this page, delivery.commitments.Commitment
    ministers: tuple[str, ...] = ()  # every minister and department (before the filters),
    departments: tuple[str, ...] = ()  # for the filters' choices

    @property
    def status_words(self) -> dict[str, str]:
        return STATUSES


@dataclass(frozen=True)
class CommitmentsLoaded(Result):
    source: str
    added: int
    updated: int
    status_changes: int
    unchanged: int
    # Rows lacking a French translation, once the file holds any French (issue #18).
    warnings: tuple[Problem, ...] | None = omit_if_none()


@dataclass(frozen=True)
class StatusSet(Result):
    code: str
    before: str | None
    status: str
    label: str
    reason: str
    by: str
    at: datetime


@dataclass(frozen=True)
class PriorityEscalation(Result):
    """A priority's intensity now, with its history, and its reviews."""

    priority: str
    title: str
    level: str
    label: str
    history: tuple[dict[str, Any], ...]  # delivery.escalation.IntensityChange.to_dict()
    reviews: tuple[dict[str, Any], ...]  # delivery.escalation.Review.to_dict(), newest
    open_reviews: int


@dataclass(frozen=True)
class EscalationReport(Result):
    as_of: datetime
    priorities: tuple[PriorityEscalation, ...]


@dataclass(frozen=True)
class ReviewDone(Result):
    """A review after a change (commissioned, reported, followed up or closed)."""

    what: str
    review: dict[str, Any]
    by: str
    at: datetime
