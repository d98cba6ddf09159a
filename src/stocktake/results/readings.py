"""The answers of the readings: one indicator's series at a unit, its SPC chart, a fair
comparison of units (funnel plot) and a backtest of the forecasts (services/reading/readings.py).

Field order is the order of the keys in ``--json`` and the API (see results/base.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..analysis.funnel import LeagueRow
from ..analysis.spc import SPCPart, SPCResult, describe_reading
from .base import Result, json_name, omit_if_none


@dataclass(frozen=True)
class IndicatorInfo(Result):
    """Which indicator a reading is of, and how its values are read and shown."""

    code: str
    name: str
    unit_of_measure: str
    polarity: str
    period_type: str
    aggregation: str
    decimals: int | None


@dataclass(frozen=True)
class UnitInfo(Result):
    """Which unit a reading is at."""

    code: str
    name: str
    level: str


@dataclass(frozen=True)
class SeriesPoint(Result):
    """One period of one unit's rolled-up series."""

    period: str
    value: float | None  # the value used: the roll-up, the reported total or a partial roll-up
    computed: float | None  # rolled up from the children
    reported: float | None  # the unit's own total
    gap: float | None  # reported - computed
    coverage: float | None  # share of the expected children that reported
    children_expected: int
    children_with_data: int
    partial: bool  # the roll-up misses an expected child (or a child's child)
    value_partial: bool  # the value used is such a partial roll-up
    source: str  # where the value came from

    @property
    def complete(self) -> bool:
        return self.value is not None and not self.value_partial

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class IndicatorSeries(Result):
    """An indicator's series at one unit, rolled up from the units below it."""

    indicator: IndicatorInfo
    unit: UnitInfo
    children: tuple[str, ...]
    method: str
    parameters: Mapping[str, Any]
    reason: str | None
    as_of: str | None  # the moment asked for (None: the newest data)
    data_as_of: str | None  # the newest recording the series rests on
    points: tuple[SeriesPoint, ...]


@dataclass(frozen=True)
class SpcPoint(Result):
    """One charted point: its value, the limits of its part and its special-cause reading;
    on a seasonally adjusted chart also the value as reported and the seasonal effect (or
    factor) removed from it."""

    period: str
    value: float
    mean: float
    lower: float
    upper: float
    near_lower: float
    near_upper: float
    rule: str
    point_type: str
    direction: str | None
    part: int
    trial: bool
    baseline: bool
    observed: float | None = omit_if_none()
    seasonal_effect: float | None = omit_if_none()  # additive adjustment
    seasonal_factor: float | None = omit_if_none()  # multiplicative adjustment


@dataclass(frozen=True, kw_only=True)
class SpcChart(Result):
    """An XmR chart of one indicator at one unit, read with the Making Data Count rules."""

    method: str
    parameters: Mapping[str, Any]
    variation_icon: str
    variation_label: str
    assurance_icon: str | None
    assurance_label: str | None
    warnings: tuple[str, ...]
    parts: tuple[SPCPart, ...]
    points: tuple[SpcPoint, ...]
    # The seasonality test and adjustment; suggested rebases with their evidence and method.
    seasonal_adjustment: Mapping[str, Any] | None = omit_if_none()
    rebase_suggestions: tuple[Mapping[str, Any], ...] | None = omit_if_none()
    rebase_method: Mapping[str, Any] | None = omit_if_none()
    indicator: IndicatorInfo
    unit: UnitInfo
    target: float | None
    target_source: str | None  # "given", or the priority that lends its target
    accepted_rebases: tuple[Mapping[str, Any], ...]
    excluded_partial: tuple[str, ...]  # periods left out as partial roll-ups
    partial_rule: str
    as_of: str | None
    data_as_of: str | None
    reading_note: str  # the reading in plain words (analysis.spc.describe_reading)

    @property
    def adjusted(self) -> bool:
        """Whether the points are seasonally adjusted values (each with its observed)."""
        return bool(self.points) and self.points[0].observed is not None

    @classmethod
    def of(cls, result: SPCResult, *, indicator: IndicatorInfo, unit: UnitInfo,
           target: float | None = None, target_source: str | None = None,
           accepted_rebases: Sequence[Mapping[str, Any]] = (),
           excluded_partial: Sequence[str] = (), partial_rule: str = "",
           as_of: str | None = None, data_as_of: str | None = None) -> SpcChart:
        """The chart of an ``analysis.spc.read_chart`` reading, with what it is of."""
        rebases = tuple(accepted_rebases)
        return cls(
            method=result.method, parameters=dict(result.parameters),
            variation_icon=result.variation_icon, variation_label=result.variation_label,
            assurance_icon=result.assurance_icon, assurance_label=result.assurance_label,
            warnings=tuple(result.warnings), parts=tuple(result.parts),
            points=_spc_points(result), seasonal_adjustment=result.seasonal,
            rebase_suggestions=(None if result.rebase_suggestions is None
                                else tuple(result.rebase_suggestions)),
            rebase_method=result.rebase_method,
            indicator=indicator, unit=unit, target=target, target_source=target_source,
            accepted_rebases=rebases, excluded_partial=tuple(excluded_partial),
            partial_rule=partial_rule, as_of=as_of, data_as_of=data_as_of,
            reading_note=describe_reading({
                "seasonal_adjustment": result.seasonal, "accepted_rebases": rebases,
                "rebase_suggestions": result.rebase_suggestions,
                "assurance_icon": result.assurance_icon, "parameters": result.parameters,
                "variation_icon": result.variation_icon,
                "parts": [part.to_dict() for part in result.parts]}),
        )


def _spc_points(result: SPCResult) -> tuple[SpcPoint, ...]:
    """The chart's points; on an adjusted chart each with its reported value and the
    seasonal effect (additive) or factor (multiplicative) removed from it."""
    points = [SpcPoint(**p.to_dict()) for p in result.points]
    if result.observed is None:
        return tuple(points)
    key = ("seasonal_factor" if (result.seasonal or {}).get("model") == "multiplicative"
           else "seasonal_effect")
    return tuple(replace(p, observed=value, **{key: effect})
                 for p, value, effect in zip(points, result.observed,
                                             result.seasonal_expected or result.observed,
                                             strict=True))


@dataclass(frozen=True, kw_only=True)
class FunnelUnit(Result):
    """One unit on a funnel plot: its rate, its limits at 95% and 99.8%, and where it lies."""

    unit: str
    numerator: float
    denominator: float
    value: float
    z: float
    z_adjusted: float
    lower_95: float
    upper_95: float
    outside_95: str  # "above", "below" or "inside"
    lower_99_8: float = json_name("lower_99.8")
    upper_99_8: float = json_name("upper_99.8")
    outside_99_8: str = json_name("outside_99.8")
    name: str
    coverage: float | None  # share of the unit's expected children that reported
    partial: bool  # its value is a partial roll-up


@dataclass(frozen=True)
class ExcludedUnit(Result):
    """A unit left out of a comparison, and why."""

    unit: str
    name: str
    reason: str


@dataclass(frozen=True)
class UnitComparison(Result):
    """Every unit at a level compared on a rate, fairly: a funnel plot and a league table."""

    method: str
    parameters: Mapping[str, Any]
    kind: str  # "proportion" (binomial) or "rate" (Poisson)
    scale: float
    overall: float  # the pooled rate, scaled
    phi: float
    winsorised: bool
    dispersion_test: Mapping[str, Any]
    overdispersion_applied: bool
    dispersion_model: str
    tau2: float
    units: tuple[FunnelUnit, ...]
    indicator: IndicatorInfo
    numerator: str
    denominator: str
    period: str
    level: str
    kind_rule: str
    outside_99_8: Mapping[str, list[str]]  # "above" / "below" -> units
    outside_95: Mapping[str, list[str]]
    league_table: tuple[LeagueRow, ...]
    league_table_level: str
    excluded: tuple[ExcludedUnit, ...]
    as_of: str | None
    data_as_of: str | None
    # The denominator as the model describes it ({name, unit_of_measure}), for a chart's
    # x axis: set by a page that draws the comparison, not by compare_units.
    denominator_info: Mapping[str, Any] | None = omit_if_none()


@dataclass(frozen=True)
class BacktestReport(Result):
    """Rolling-origin backtests of the forecasts: do the intervals hold what they claim?"""

    method: str
    parameters: Mapping[str, Any]
    # Per indicator: its units, notes, coverage, strata and every forecast scored (or why
    # none could be).
    indicators: tuple[Mapping[str, Any], ...]
    overall: Mapping[str, Any] | None  # pooled over the indicators; None when none scored
    as_of: str | None
    data_as_of: str | None


@dataclass(frozen=True, kw_only=True)
class RebaseEvent(Result):
    """An SPC rebase accepted or removed: where the limits restart, who decided, when, why."""

    id: int | None = omit_if_none()  # its place in the history (None: the answer to a write)
    indicator: str
    unit: str
    period: str  # the first period of the new limits
    action: str  # "accept" or "remove"
    reason: str
    by: str
    at: str  # ISO time, to the second
