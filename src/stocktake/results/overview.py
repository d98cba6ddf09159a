"""What the overview services answer (services/reading/overview.py): every priority at a glance,
the portfolio's row of signals per priority, and everything the priority page reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .base import Result, omit_if_none
from .status import (
    PeriodValue,
    PriorityStatus,
    PriorityTrajectory,
    StatusReport,
    UnitReadings,
    Verdict,
)

__all__ = ["Freshness", "LatestPoint", "Portfolio", "PortfolioRow", "PriorityAtAGlance",
           "PriorityOverview", "PriorityPage"]

frozen = dataclass(frozen=True, kw_only=True)


@frozen
class LatestPoint(Result):
    """The newest complete value at a priority's scope, or the newest value with its
    coverage when no period is complete yet."""

    period: str
    value: float
    coverage: float
    complete: bool


@frozen
class PriorityAtAGlance(Result):
    """One priority: baseline, latest actual at its scope, target, and the verdict once
    the target period is complete."""

    at_target_period: Verdict | None
    decimals: int | None
    code: str
    title: str
    title_fr: str | None = omit_if_none()  # the French names, where the model has them
    owner: str | None
    headline: str
    headline_name: str
    headline_name_fr: str | None = omit_if_none()
    unit_of_measure: str | None
    unit_of_measure_fr: str | None = omit_if_none()
    polarity: str
    polarity_text: str  # 'higher is better', 'lower is better' or 'neutral'
    scope: str
    scope_name: str
    scope_name_fr: str | None = omit_if_none()
    baseline: PeriodValue
    target: PeriodValue
    latest: LatestPoint | None
    progress: float | None  # the share of the distance from baseline to target covered


@frozen
class PriorityOverview(Result):
    """Every priority at a glance, as known at ``as_of``."""

    as_of: str | None
    data_as_of: str | None
    priorities: tuple[PriorityAtAGlance, ...]


@frozen
class Freshness(Result):
    """How far the newest complete period trails the period that "now" falls in."""

    latest_period: str | None
    current_period: str
    periods_behind: int | None
    period_type: str
    text: str
    vintage: str | None  # when the data were last recorded


@frozen
class PortfolioRow(Result):
    """One priority as the portfolio's row of signals: SPC icons with their words, the
    latest likelihood of delivery, the gap to the trajectory and the data's freshness."""

    code: str
    title: str
    owner: str | None
    headline: str
    headline_name: str
    unit_of_measure: str | None
    polarity: str
    polarity_text: str
    scope: str
    scope_name: str
    latest: PeriodValue | None
    baseline: PeriodValue
    target: PeriodValue
    progress: float | None
    spc_error: str | None  # why there are no icons
    variation_icon: str | None
    variation_label: str | None
    variation_colour: str | None
    assurance_icon: str | None
    assurance_label: str | None
    assurance_colour: str | None
    assurance_note: str | None
    status_note: str | None
    spc_trial: bool
    likelihood: str | None  # the latest round's assessment
    assessed_on: str | None
    round: str | None
    status: str
    expected: float | None
    gap: float | None
    gap_pct: float | None
    decimals: int | None
    at_target_period: Verdict | None
    verdict_text: str | None
    freshness: Freshness


@frozen
class Portfolio(Result):
    """Every priority as one row of signals, as known at ``as_of``."""

    as_of: str | None
    data_as_of: str | None
    now: str
    priorities: tuple[PortfolioRow, ...]


@frozen
class PriorityPage(Result):
    """What the priority page reads, from one snapshot."""

    status: StatusReport
    p: PriorityStatus  # the priority's status, with its units and the leads' evidence
    trajectory: PriorityTrajectory
    spc: Mapping[str, Any] | None  # services.readings.spc_chart; None: too few periods
    units: UnitReadings
    funnel: Mapping[str, Any] | None  # services.readings.compare_units, or None
    funnel_note: str | None  # why there is no funnel
    funnel_level: str | None  # the level of the units compared
