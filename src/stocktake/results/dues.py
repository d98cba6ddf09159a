"""The answer of "due from me" (services/reading/dues.py): the returns a set of reporting
units owe, late or coming, and the rows set aside from their submissions, awaiting a fix.
Field order is the key order of ``--json``."""

from __future__ import annotations

from dataclasses import dataclass

from .base import Result


@dataclass(frozen=True)
class ReturnDue(Result):
    """One value a unit owes: an indicator for a period, by a deadline."""

    unit: str
    unit_name: str
    indicator: str
    indicator_name: str
    period: str
    due: str  # ISO date of the deadline (the period's end plus the data set's timely days)
    days_late: int  # 0 while the deadline is still ahead


@dataclass(frozen=True)
class SetAside(Result):
    """A row a partial submission quarantined (rejected) and no later batch has fixed."""

    batch: int
    row: int
    unit: str | None
    indicator: str | None
    period: str | None
    value: str | None
    problem: str  # the findings' messages for that row


@dataclass(frozen=True)
class Dues(Result):
    """What is due from ``units`` at ``now``: late (deadline passed within the window, no
    value received), coming (deadline within the window ahead) and rejected rows."""

    now: str
    units: tuple[str, ...]
    window_days: int
    late: tuple[ReturnDue, ...]
    coming: tuple[ReturnDue, ...]
    rejected: tuple[SetAside, ...]
    indicators: tuple[str, ...]  # the indicators these units report
