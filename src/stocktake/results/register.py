"""The answer of the risk register and milestone timeline across priorities
(services/routines/register.py); its items are the pure domain's (delivery.register)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..delivery.register import RegisterRisk, TimelineMilestone
from .base import Result


@dataclass(frozen=True)
class AcrossPriorities(Result):
    """Every current plan's risks (highest score first) and milestones (by priority, then
    due date), read on ``today``."""

    as_of: str | None  # the moment asked for (None: now)
    today: str  # the day milestones are judged at
    titles: Mapping[str, str]  # each priority with a plan: its title, in the model's order
    without_plan: tuple[str, ...]  # priorities with no plan at that moment
    risks: tuple[RegisterRisk, ...]
    milestones: tuple[TimelineMilestone, ...]
    # the previous versions' risks that the current plans no longer hold, trend "closed"
    closed: tuple[RegisterRisk, ...] = ()

    @property
    def overdue(self) -> tuple[TimelineMilestone, ...]:
        """The milestones overdue today, the longest late first."""
        return tuple(sorted((m for m in self.milestones if m.status == "overdue"),
                            key=lambda m: -m.days_overdue))


__all__ = ["AcrossPriorities", "RegisterRisk", "TimelineMilestone"]
