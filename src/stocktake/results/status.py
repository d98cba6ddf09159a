"""What the status services answer (services/reading/status.py): where a priority stands at
its scope and at each unit below it, read against its trajectory, its SPC chart and its forecast.

The leaves come first (a figure and its period, the verdict at a deadline, the SPC headline,
the forecast at the target period, a lead's movement), then the readings built from them
(a unit's status, a priority's status, its trajectory period by period, each unit's track).
Field order is the order of the keys in ``--json`` and the API (results.base).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Self

from ..analysis.trajectory import PeriodReading
from .base import Result, omit_if_none

__all__ = [
    "Baseline", "ForecastBounds", "ForecastReading", "LatestActual", "Movement", "PeriodValue",
    "PriorityFacts", "PriorityStatus", "PriorityStatusWithUnits", "PriorityTrajectory",
    "Since", "SpcHeadline", "StageReading", "StatusReport", "Tolerance", "TrajectoryDefinition",
    "TrajectoryInUse", "TrajectorySplit", "Unavailable", "UnitReading", "UnitReadings",
    "UnitStatus", "Verdict",
]

frozen = dataclass(frozen=True, kw_only=True)


def _shallow(result: Result) -> dict[str, Any]:
    """A result's fields by name, values as they are (``dataclasses.asdict`` copies deep)."""
    return {f.name: getattr(result, f.name) for f in fields(result)}


# -- leaves ---------------------------------------------------------------------------------

@frozen
class PeriodValue(Result):
    """A figure and the period it belongs to (a stated baseline or target, a latest actual)."""

    period: str
    value: float | None


@frozen
class Baseline(Result):
    """Where a trajectory starts, and the value actually observed in that period."""

    period: str
    value: float
    observed: float | None  # the complete value recorded for the baseline period, if any


@frozen
class LatestActual(Result):
    """The newest complete value at a unit, with how it was made."""

    period: str
    value: float
    coverage: float | None  # the share of the children that reported (None: a leaf)
    source: str  # reported, rolled up, ... (analysis.rollup.SOURCE_NAMES)


@frozen
class Tolerance(Result):
    """How far from the expected value a reading may lie and still be on track."""

    value: float
    mode: str  # 'relative' (a percentage of the expected value) or 'absolute'
    rule: str


@frozen
class Unavailable(Result):
    """Why a block of a reading (the SPC headline, the forecast) could not be computed."""

    error: str


@frozen
class Since(Result):
    """Where a series has gone since its deadline: the latest complete period and value."""

    period: str
    value: float
    change: float
    movement: str  # improving / worsening / unchanged (up / down for a neutral indicator)
    meets_target: bool


@frozen
class Verdict(Result):
    """Met or missed at the deadline: the actual beside the target, and the series since."""

    status: str  # 'met' or 'missed'
    met: bool
    period: str  # the target period
    target: float
    actual: float
    actual_period: str  # where the actual was read (earlier when the deadline has no value)
    read_earlier: bool
    gap: float
    gap_pct: float | None
    rule: str
    since: Since


@frozen
class SpcHeadline(Result):
    """The XmR reading of a headline series: Making Data Count icons, the latest limits, the
    seasonal adjustment and the rebases in use or suggested."""

    variation_icon: str
    variation_label: str
    assurance_icon: str | None  # None without a target
    assurance_label: str | None
    target: float | None
    n_points: int
    mean: float
    lower: float
    upper: float
    trial: bool  # trial limits: fewer than 12 points
    last_rule: str | None  # the special-cause rule the latest point breaks, if any
    method: str
    seasonal_adjustment: Mapping[str, Any]  # the seasonality test (analysis.seasonality)
    rebased_at: tuple[str, ...]  # periods where accepted rebases restart the limits
    rebase_suggestions: tuple[Mapping[str, Any], ...]
    assurance_note: str | None  # a caveat when the level has moved away from the limits


@frozen
class ForecastBounds(Result):
    """The values the forecast keeps within (the indicator's min, max and integer)."""

    min: float | None
    max: float | None
    integer: bool


@frozen
class ForecastReading(Result):
    """The forecast at the target period with its 80% and 95% intervals, and the
    probability of meeting the target."""

    model: str
    params: Mapping[str, Any]
    first_period: str
    last_observed: str
    n_observations: int
    period: str  # the target period
    mean: float
    lower_80: float
    lower_95: float
    upper_80: float
    upper_95: float
    interval_method: str
    bounds: ForecastBounds
    scale: str | None
    notes: tuple[str, ...]
    probability_of_meeting: float | None
    probability_note: str | None = omit_if_none()  # why there is no probability
    probability_rule: str | None = omit_if_none()  # how the probability was read
    path: tuple[Mapping[str, Any], ...] | None = omit_if_none()  # every period to the target


@frozen
class Movement(Result):
    """An indicator's latest complete value at a unit and its change since the period
    before (a lead or counter indicator, or the headline)."""

    code: str
    name: str
    unit_of_measure: str | None
    polarity: str
    kind: str
    period: str | None
    value: float | None
    previous_period: str | None
    previous_value: float | None
    change: float | None
    movement: str | None  # improving / worsening / unchanged (up / down when neutral)
    # Whether a named lead does lead the headline (services.leads.named_lead_evidence), on
    # the priority page and in the pack only.
    evidence: Mapping[str, Any] | None = omit_if_none()


@frozen
class TrajectorySplit(Result):
    """How a unit's share of the trajectory above it was made. The later fields are absent
    when the split could not be made (the unit's ``trajectory_note`` says why)."""

    parent: str
    aggregation: str
    baseline_rule: str | None = omit_if_none()
    method: str | None = omit_if_none()
    targets_stated: bool | None = omit_if_none()
    rescaled: bool | None = omit_if_none()


@frozen
class TrajectoryInUse(Result):
    """The priority's declared trajectory, as a status row names it."""

    method: str
    parameters: Mapping[str, Any]
    seasonal: bool
    split: TrajectorySplit | None  # at a unit below the scope: how its share was made


@frozen
class StageReading(Result):
    """One stage of a priority (an earlier target, or the current one) and its verdict."""

    stage: int
    current: bool
    baseline: Mapping[str, Any]  # period and value, as stated in priorities.yaml
    target: Mapping[str, Any]
    note: str | None
    status: str | None
    at_target_period: Verdict | None


# -- a priority's status --------------------------------------------------------------------

@frozen
class UnitStatus(Result):
    """Where a priority's headline stands at one unit: the latest complete actual against the
    unit's trajectory, the SPC headline and (when asked for) the forecast."""

    unit: str
    unit_name: str
    level: str
    parent: str | None
    baseline: Baseline | None
    trajectory_note: str | None = omit_if_none()  # why the unit has no trajectory
    target: PeriodValue | None
    latest: LatestActual | None
    expected: float | None
    gap: float | None
    gap_pct: float | None
    after_target: bool  # the latest period is past the target period (the target is held)
    at_target_period: Verdict | None  # once the target period is complete
    status_note: str | None  # why 'no_data' where values exist (partial periods only), or
    # why a count outside the tolerance reads on track (within chance of the expected value)
    status: str
    spc: SpcHeadline | Unavailable
    forecast: ForecastReading | Unavailable | None  # None: not asked for
    probability_of_meeting: float | None


@frozen
class PriorityFacts(Result):
    """What a priority states: its headline, scope, stated baseline and target, tolerance."""

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
    scope: str
    decimals: int | None
    stated_baseline: PeriodValue
    stated_target: PeriodValue
    tolerance: Tolerance
    data_as_of: str | None  # the newest recording behind the headline
    trajectory: TrajectoryInUse | None


# The JSON of a priority's status is its facts, then its reading at the scope (or --unit),
# then its stages and movements: dataclasses collect fields from the last base to the first.
@frozen
class PriorityStatus(UnitStatus, PriorityFacts):
    """Where a priority stands at its scope (or a unit within it): its facts, its reading,
    the verdicts of its stages and the movement of its headline, leads and counters."""

    stages: tuple[StageReading, ...]
    movement: Movement  # the headline's, since the period before
    leads: tuple[Movement, ...]
    counters: tuple[Movement, ...]

    @classmethod
    def of(cls, facts: PriorityFacts, reading: UnitStatus, **rest: Any) -> Self:
        """The status of a priority from its facts, its reading and the rest of the fields."""
        return cls(**_shallow(facts), **_shallow(reading), **rest)

    def below(self) -> tuple[UnitStatus, ...]:
        """The units read below the scope (none unless they were asked for)."""
        return ()


@frozen
class PriorityStatusWithUnits(PriorityStatus):
    """A priority's status with each unit below it read on its share of the trajectory."""

    units_split: TrajectorySplit | None  # how the units' trajectories were made
    units: tuple[UnitStatus, ...]

    def below(self) -> tuple[UnitStatus, ...]:
        return self.units


@frozen
class StatusReport(Result):
    """Where every priority asked for stands, as known at ``as_of``."""

    as_of: str | None
    data_as_of: str | None
    forecasts: str  # which readings carry a forecast: 'none', 'scope' or 'all'
    partial_rule: str
    priorities: tuple[PriorityStatus, ...]


# -- a priority's trajectory, period by period ----------------------------------------------

@frozen
class TrajectoryDefinition(Result):
    """A trajectory as drawn: its method and parameters from its baseline to its target."""

    method: str
    parameters: Mapping[str, Any]
    seasonal: tuple[float, ...] | None  # the seasonal profile, when there is one
    seasonal_mode: str | None
    baseline: PeriodValue
    target: PeriodValue


@frozen
class PriorityTrajectory(Result):
    """A priority's actuals against its trajectory at one unit, period by period, with the
    verdict at the deadline and the forecast to the target period."""

    priority: str
    title: str
    headline: str
    headline_name: str
    unit_of_measure: str | None
    polarity: str
    scope: str
    decimals: int | None
    unit: str
    unit_name: str
    tolerance: Tolerance
    split: TrajectorySplit | None
    trajectory_note: str | None
    excluded_partial: tuple[str, ...]  # periods left out: reported only in part
    partial_rule: str
    as_of: str | None
    data_as_of: str | None
    trajectory: TrajectoryDefinition | None  # None: the unit has no trajectory
    readings: tuple[PeriodReading, ...]
    at_target_period: Verdict | None
    counts: Mapping[str, int] | None  # readings by status
    actuals_outside: tuple[str, ...] | None = omit_if_none()  # periods not judged
    forecast: ForecastReading | Unavailable | None


# -- each unit's track, for small multiples -------------------------------------------------

@frozen
class UnitReading(Result):
    """One unit below the scope read against its share of the trajectory, period by period,
    with the run of latest readings off track."""

    unit: str
    unit_name: str
    readings: tuple[PeriodReading, ...]
    actuals: tuple[PeriodValue, ...]  # from up to ``history`` periods before the baseline
    off_track_run: int
    status: str
    latest: PeriodValue | None
    expected: float | None
    gap: float | None
    gap_pct: float | None
    trajectory_note: str | None
    at_target_period: Verdict | None


@frozen
class UnitReadings(Result):
    """Each unit one level below a priority's scope, read period by period."""

    priority: str
    headline: str
    unit_of_measure: str | None
    polarity: str
    period_type: str
    as_of: str | None
    units: tuple[UnitReading, ...]
