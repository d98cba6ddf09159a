"""Priorities read against their trajectories: per-period readings, and the status of every
priority (latest actual, expected value, gap, SPC icons, forecast at the target date and the
probability of meeting the target), at the priority's scope and for each unit below it.

Trajectories: a priority's ``trajectory`` in priorities.yaml (default ``{method: linear}``),
built by analysis.trajectory. A unit below the scope gets its share of its parent's
trajectory (analysis.trajectory.split_trajectory, level by level down from the scope):

- summed indicators: each child's baseline is its share of the children's total at the
  baseline period, times the parent's trajectory baseline, so the children's trajectories
  add up to the parent's exactly (stated unit targets in ``trajectory.units.targets`` are
  honoured at the first level);
- other indicators (rates, means): each child starts from its own baseline and makes the
  parent's percentage change (``proportional``, the default) or the parent's absolute change
  (``split: equal``); for every method this is the parent's trajectory rescaled by the
  child's baseline over the parent's.

Tolerance: ``tolerance`` in priorities.yaml, a percentage of the expected value (default 5);
within it is on track, outside it ahead or off track according to the polarity.

Met or missed: once the latest complete period reaches the target period, the status is the
verdict at the deadline (analysis.trajectory.target_verdict), ``met`` or ``missed``, with the
actual beside the target and where the series has gone since in ``at_target_period``; the
gap is then the one at the deadline. Earlier stages of a priority (``stages`` in
priorities.yaml) are read the same way at the scope (``stages``). docs/methods/verdicts.md.

All figures use complete periods only (see services.series_data) and the data known at
``as_of``. The units below the scope are read together from the roll-up arrays (one
array pass for their latest periods, their XmR charts in batches): the same figures, to
the last bit, as reading them one at a time (tests/services/test_status_fast.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np

from ...analysis.changepoints import suggest_rebases_many
from ...analysis.forecast import (
    Bounds,
    Forecast,
    ForecastError,
    ForecastRequest,
    forecast_many,
    probability_of_meeting,
)
from ...analysis.rollup import SOURCE_NAMES
from ...analysis.seasonality import SeasonalAdjustment, seasonal_adjustments
from ...analysis.spc import ICON_LABELS, RULES, adjusted_target, chart_method, read_chart, xmr_many
from ...analysis.trajectory import (
    MET,
    NO_DATA,
    PeriodReading,
    TargetVerdict,
    Trajectory,
    TrajectoryError,
    assess,
    assess_one,
    split_trajectory,
    target_verdict,
    trajectory_from_spec,
)
from ...errors import Invalid, StocktakeError
from ...model.entities import Aggregation, DeliveryModel, Indicator, Polarity, Priority
from ...model.periods import Period, PeriodError
from ...reports.method_words import tolerance_in_words
from ...results.status import (
    Baseline,
    ForecastBounds,
    ForecastReading,
    LatestActual,
    Movement,
    PeriodValue,
    PriorityFacts,
    PriorityStatus,
    PriorityStatusWithUnits,
    PriorityTrajectory,
    Since,
    SpcHeadline,
    StageReading,
    StatusReport,
    Tolerance,
    TrajectoryDefinition,
    TrajectoryInUse,
    TrajectorySplit,
    Unavailable,
    UnitReading,
    UnitReadings,
    UnitStatus,
    Verdict,
)
from ...text import N_, Figure, Percent, Plain, Text
from .readings import PARTIAL_RULE
from .series_data import (
    SeriesData,
    active_children,
    check_priority,
    check_unit,
    forecastable,
    iso,
    last_complete,
    within,
)
from .snapshot import Snapshot

DEFAULT_TRAJECTORY = {"method": "linear"}
DEFAULT_TOLERANCE = 5.0  # percent of the expected value
TOLERANCE_MODE = "relative"
OUTSIDE = "outside_trajectory"  # the latest period lies before the baseline or after the target
Forecasts = Literal["none", "scope", "all"]


def tolerance_of(p: Priority, trajectory: Trajectory | None = None,
                 ind: Indicator | None = None) -> tuple[float, str]:
    """(tolerance, mode): a number in priorities.yaml is a percentage of the expected value;
    {absolute: X} is in the headline's units. An absolute tolerance on a summed indicator is
    shared out to a unit in proportion to its target, like the trajectory."""
    raw = p.attributes.get("tolerance", DEFAULT_TOLERANCE)
    if isinstance(raw, dict):
        mode, value = next(iter(raw.items()))
        value = float(value)
        if (mode == "absolute" and trajectory is not None and ind is not None
                and ind.aggregation.value == "sum" and p.target.value):
            value *= abs(trajectory.target_value / p.target.value)
        return value, mode
    return float(raw), TOLERANCE_MODE


def trajectory_of(p: Priority) -> Trajectory:
    """The priority's declared trajectory (default linear) from baseline to target."""
    spec = p.attributes.get("trajectory") or DEFAULT_TRAJECTORY
    try:
        return trajectory_from_spec(spec, p.baseline.period, p.baseline.value,
                                    p.target.period, p.target.value)
    except TrajectoryError as exc:
        raise Invalid(f"priority '{p.code}': {exc}") from None


# -- unit trajectories ----------------------------------------------------------------------

class _Splits:
    """Trajectories of the units below a priority's scope, split level by level (cached)."""

    def __init__(self, data: SeriesData, p: Priority, national: Trajectory):
        self.data, self.p, self.national = data, p, national
        self.indicator = data.model.indicators[p.headline]
        self._cache: dict[str, tuple[dict[str, Trajectory], dict[str, str], TrajectorySplit]] = {}

    def at(self, unit: str) -> tuple[Trajectory | None, str | None, TrajectorySplit | None]:
        """(trajectory, reason when there is none, how the split was made)."""
        if unit == self.p.scope:
            return self.national, None, None
        parent = self.data.model.units[unit].parent
        assert parent is not None
        above, reason, _ = self.at(parent)
        if above is None:
            return None, reason, None
        trajs, reasons, info = self._split(parent, above)
        if unit in trajs:
            return trajs[unit], None, info
        return None, reasons.get(unit, f"'{unit}' is not expected to report"), info

    def _split(self, parent: str, above: Trajectory):
        hit = self._cache.get(parent)
        if hit is not None:
            return hit
        data, ind = self.data, self.indicator
        kids = active_children(data.model, data.hierarchy, parent)
        period = above.baseline_period.code
        baselines = {k: data.value_at(ind.code, k, period) for k in kids}
        missing = [k for k, v in baselines.items() if v is None]
        have = {k: v for k, v in baselines.items() if v is not None}
        summed = Aggregation(ind.aggregation) is Aggregation.SUM
        reasons: dict[str, str] = {}
        rule: str | None = None  # how the units' baselines were set, once they could be
        # Stated unit targets (trajectory.units.targets) reach split_trajectory through the
        # scope's trajectory; unit trajectories carry none, so deeper splits have none.
        try:
            if summed:
                total = sum(have.values())
                if missing:
                    raise TrajectoryError(f"no complete value in the baseline period {period} "
                                          f"for {', '.join(missing)}, so the summed "
                                          "trajectory cannot be shared out")
                if total <= 0:
                    raise TrajectoryError(f"the children of '{parent}' add up to {total:g} in "
                                          f"{period}: no shares to split by")
                factor = above.baseline_value / total
                rule = (
                    f"each unit's share of the children's total in {period} ({total:g}) times "
                    f"the trajectory baseline {above.baseline_value:g} (factor {factor:.6g}), "
                    "so the unit trajectories add up to the one above")
                split = split_trajectory(above, {k: v * factor for k, v in have.items()},
                                         aggregation=Aggregation.SUM)
            else:
                for k in missing:
                    reasons[k] = f"no complete value in the baseline period {period}"
                if not have:
                    raise TrajectoryError(f"no unit below '{parent}' has a complete value in "
                                          f"the baseline period {period}")
                rule = (
                    f"each unit starts from its own value in {period} and follows the trajectory "
                    "above scaled by its baseline over the parent's (the same percentage "
                    "change), unless the split is 'equal' (the same absolute change) or unit "
                    "targets are stated")
                split = split_trajectory(above, have, aggregation=ind.aggregation)
        except TrajectoryError as exc:
            reasons = {k: str(exc) for k in kids}
            hit = ({}, reasons, TrajectorySplit(parent=parent, aggregation=ind.aggregation.value,
                                                baseline_rule=rule))
            self._cache[parent] = hit
            return hit
        trajs = dict(split.units)
        info = TrajectorySplit(parent=parent, aggregation=ind.aggregation.value,
                               baseline_rule=rule, method=split.method,
                               targets_stated=split.targets_stated, rescaled=split.rescaled)
        hit = (trajs, reasons, info)
        self._cache[parent] = hit
        return hit


# -- the pieces of a reading ----------------------------------------------------------------

def _spc_block(periods: list[str], values: list[float], polarity: Polarity,
               target: float | None, rebases: Sequence[str] = (),
               target_period: str | None = None) -> SpcHeadline | Unavailable:
    """The XmR reading of a headline series: against its seasonal expectation where it is
    seasonal (the target read at its period's season), limits restarting at the analyst's
    accepted ``rebases``, rebases suggested."""
    if len(periods) < 2:
        return Unavailable(
            error=f"{len(periods)} complete period(s): an XmR chart needs at least 2")
    try:
        r = read_chart(values, periods, polarity=polarity.value, target=target,
                       accepted_rebases=rebases, target_period=target_period)
    except StocktakeError as exc:
        return Unavailable(error=str(exc))
    last = r.parts[-1]
    return SpcHeadline(
        variation_icon=r.variation_icon, variation_label=r.variation_label,
        assurance_icon=r.assurance_icon, assurance_label=r.assurance_label,
        target=target, n_points=len(r.points), mean=last.mean, lower=last.lower,
        upper=last.upper, trial=last.trial, last_rule=r.points[-1].rule, method=r.method,
        **_spc_context(r.seasonal, r.rebase_suggestions, r.parameters["rebase_at"],
                       r.variation_icon, r.assurance_icon))


def _spc_context(seasonal: dict[str, Any] | None, suggestions: list[dict[str, Any]] | None,
                 rebased_at: list[str], variation: str | None = None,
                 assurance: str | None = None) -> dict[str, Any]:
    """What a status reader needs beside the icons (the last four fields of SpcHeadline):
    the seasonality test and whether the reading is of adjusted values, the rebases in use,
    the rebases suggested, and a caveat on the assurance icon where the level has moved
    away from the limits it is read against."""
    seasonal = dict(seasonal or {})
    seasonal.pop("profile", None)  # the chart's business, not the status row's
    suggestions = list(suggestions or [])
    note = None
    if assurance and suggestions and not rebased_at and variation not in (None,
                                                                          "common_cause"):
        # The latest point is special cause and the level has changed: limits over the whole
        # history describe the old process, so "consistently fails" may no longer hold.
        note = (f"limits over the whole history; the level has changed since "
                f"{suggestions[-1]['period']} (a suggested rebase, not applied)")
    return {"seasonal_adjustment": seasonal, "rebased_at": tuple(rebased_at),
            "rebase_suggestions": tuple(suggestions), "assurance_note": note}


def _forecast_request(periods: list[str], values: list[float], ind: Indicator,
                      target_period: str) -> tuple[ForecastRequest | None, str | None, str | None]:
    """(request, note on the series, error): the checks before a forecast is fitted."""
    periods, values, note = forecastable(periods, values, ind.period_type)
    if not periods:
        return None, note, "no complete periods to forecast from"
    try:
        target = Period.parse(target_period, ind.period_type)
    except PeriodError as exc:
        return None, note, f"target period: {exc}"
    if Period.parse(periods[-1], ind.period_type) >= target:
        return None, note, (f"the latest complete period ({periods[-1]}) is not before the "
                            f"target period ({target.code}): compare the actual with the target")
    try:  # the indicator's min, max and integer: the forecast stays within them
        bounds = Bounds.from_attributes(ind.attributes)
    except ForecastError as exc:
        return None, note, f"indicator {ind.code}'s attributes: {exc}"
    return (ForecastRequest(values, periods, target.code, ind.period_type, bounds=bounds),
            note, None)


def _forecast_result(fc: Forecast | ForecastError, note: str | None, periods: list[str],
                     ind: Indicator, target_value: float | None, full: bool = False
                     ) -> ForecastReading | Unavailable:
    """The forecast block of a reading, from a fitted forecast (or why there is none)."""
    if isinstance(fc, ForecastError):
        return Unavailable(error=str(fc))
    lower = {round(lv * 100): fc.lower[lv][-1] for lv in fc.levels}
    upper = {round(lv * 100): fc.upper[lv][-1] for lv in fc.levels}
    probability = probability_note = probability_rule = None
    if target_value is None:
        probability_note = "no target for this unit"
    elif ind.polarity is Polarity.NEUTRAL:
        probability_note = "a neutral indicator has no direction in which to meet a target"
    else:
        probability = probability_of_meeting(fc, target_value, ind.polarity)
        probability_rule = (f"P(value {'>=' if ind.polarity is Polarity.UP else '<='} "
                            f"{target_value:g} in {fc.target_period}) from the forecast "
                            "distribution" + ("" if not fc.bounds.active else
                                              f", which holds only values within "
                                              f"{fc.bounds.describe()}"))
    return ForecastReading(
        model=fc.model, params=dict(fc.params), first_period=periods[0],
        last_observed=fc.last_observed, n_observations=fc.n_observations,
        period=fc.target_period, mean=fc.mean[-1], lower_80=lower[80], lower_95=lower[95],
        upper_80=upper[80], upper_95=upper[95], interval_method=fc.interval_method,
        bounds=ForecastBounds(min=fc.bounds.min, max=fc.bounds.max,
                              integer=fc.bounds.integer),
        scale=fc.bounds.transform, notes=(*([note] if note else []), *fc.notes),
        probability_of_meeting=probability, probability_note=probability_note,
        probability_rule=probability_rule,
        path=tuple(fc.to_dict()["forecasts"]) if full else None)


def _forecast_blocks(series: list[tuple[list[str], list[float]]], ind: Indicator,
                     targets: list[tuple[str, float | None]], full: bool = False
                     ) -> list[ForecastReading | Unavailable]:
    """Forecast blocks for many series of one indicator, fitted together by forecast_many
    (the same numbers as one at a time; many series share the engine's passes).
    ``targets``: each series' target period and value."""
    prepared = [_forecast_request(periods, values, ind, period)
                for (periods, values), (period, _) in zip(series, targets, strict=True)]
    fitted = iter(forecast_many([req for req, _, _ in prepared if req is not None]))
    return [Unavailable(error=error) if req is None else
            _forecast_result(next(fitted), note, list(req.periods), ind, value, full)
            for (req, note, error), (_, value) in zip(prepared, targets, strict=True)]


def _forecast_block(periods: list[str], values: list[float], ind: Indicator, target_period: str,
                    target_value: float | None, full: bool = False
                    ) -> ForecastReading | Unavailable:
    return _forecast_blocks([(periods, values)], ind, [(target_period, target_value)], full)[0]


def _movement(data: SeriesData, code: str, unit: str) -> Movement:
    ind = data.model.indicators[code]
    last = last_complete(data.points(code, unit))
    previous = before = change = movement = None
    if last is not None:
        previous = Period.parse(last.period, ind.period_type).shift(-1).code
        before = data.value_at(code, unit, previous)
        if before is not None and last.value is not None:
            change = last.value - before
            movement = _since_movement(change, ind.polarity, _shown_decimals(ind))
    return Movement(code=code, name=ind.name, unit_of_measure=ind.unit,
                    polarity=ind.polarity.value, kind=ind.kind.value,
                    period=None if last is None else last.period,
                    value=None if last is None else last.value, previous_period=previous,
                    previous_value=before, change=change, movement=movement)


NO_TRAJECTORY = "no_trajectory"


def is_count(ind: Indicator) -> bool:
    """Does the indicator count events (declared ``integer: true``, summed or not rolled
    up)? Its actuals are then read against the trajectory allowing for chance variation
    (analysis.trajectory.chance)."""
    return (ind.attributes.get("integer") is True
            and Aggregation(ind.aggregation) in (Aggregation.SUM, Aggregation.NONE))


def _chance_note(r: PeriodReading, tolerance: float, mode: str, decimals: int | None) -> Text:
    """Why a count outside the tolerance reads on track: chance puts it that far off. A
    ``Text``: the portfolio says it again in the page's language."""
    within = (Text(N_("%(tolerance)s%%"), tolerance=Plain(tolerance, "g")) if mode == "relative"
              else Text(N_("±%(tolerance)s"), tolerance=Plain(tolerance, ".2g")))
    return Text(N_("%(actual)s against %(expected)s expected is outside the tolerance "
                   "(%(within)s), but chance alone puts a count this far off in %(chance)s of "
                   "periods"),
                actual=Figure(r.actual, 1 if decimals is None else decimals),
                expected=Figure(r.expected, 1), within=within, chance=Percent(r.chance))


def _judge(trajectory: Trajectory, period: str, value: float, p: Priority, ind: Indicator
           ) -> tuple[float | None, float | None, float | None, str, bool, str | None]:
    """(expected value, gap, gap %, status, after the target period, note) of one actual.
    After the target period the target itself is the expectation (it should be held), read
    with the same tolerance. The note says why a count outside the tolerance is on track."""
    period_obj = Period.parse(period, trajectory.period_type)
    if period_obj < trajectory.baseline_period:
        return None, None, None, OUTSIDE, False, None
    after = period_obj > trajectory.target_period
    if after:
        # A flat line at the target from the target period on.
        trajectory = trajectory_from_spec(DEFAULT_TRAJECTORY, trajectory.target_period.code,
                                          trajectory.target_value, period,
                                          trajectory.target_value)
    tolerance, mode = tolerance_of(p, trajectory, ind)
    r = assess_one(trajectory, period_obj, value, ind.polarity, tolerance, mode,
                   count=is_count(ind))
    note = None if r.chance is None else _chance_note(r, tolerance, mode, ind.decimals)
    return r.expected, r.gap, r.gap_pct, r.status, after, note


def _shown_decimals(ind: Indicator) -> int:
    """The decimals a change of this indicator is written with: its own, else one (the
    writers' default for a figure that is not whole)."""
    return 1 if ind.decimals is None else ind.decimals


def _since_movement(change: float, polarity: Polarity, decimals: int | None = None) -> str:
    """The word beside a change: "unchanged" where it is none, or none as written at
    ``decimals`` (a fall of 0.03 written 0.0 beside "down" would contradict itself)."""
    if change == 0 or decimals is not None and round(change, decimals) == 0:
        return "unchanged"
    if polarity is Polarity.NEUTRAL:
        return "up" if change > 0 else "down"
    return "improving" if (change > 0) == (polarity is Polarity.UP) else "worsening"


def verdict_block(v: TargetVerdict, polarity: Polarity) -> Verdict:
    """The ``at_target_period`` block of a reading: the verdict at the deadline beside the
    target, and where the series has gone since (latest complete period and value)."""
    return Verdict(status=v.status, met=v.status == MET, period=v.target_period,
                   target=v.target, actual=v.actual, actual_period=v.period,
                   read_earlier=v.period != v.target_period, gap=v.gap, gap_pct=v.gap_pct,
                   rule=v.rule,
                   since=Since(period=v.latest_period, value=v.latest, change=v.change_since,
                               movement=_since_movement(v.change_since, polarity),
                               meets_target=v.holds))


def _verdict(data: SeriesData, p: Priority, ind: Indicator, unit: str, target: PeriodValue,
             baseline_period: str, trajectory: Trajectory | None, latest_period: str
             ) -> Verdict | None:
    """Met or missed at ``unit`` once its latest complete period reaches the target period
    (None before then, or when no complete value from the baseline to the target exists)."""
    tp = Period.parse(target.period, ind.period_type)
    if Period.parse(latest_period, ind.period_type) < tp:
        return None  # cheap test first: most readings are before their deadline
    periods, values, _partial = data.complete(ind.code, unit)
    tolerance, mode = tolerance_of(p, trajectory, ind)
    v = target_verdict(baseline_period, tp, target.value,
                       dict(zip(periods, values, strict=True)), ind.polarity, tolerance, mode)
    return None if v is None else verdict_block(v, ind.polarity)


def _target(p: Priority, unit: str, trajectory: Trajectory | None) -> PeriodValue | None:
    """The target of a reading: the trajectory's end; at the scope the stated one even when
    the trajectory cannot be built."""
    if trajectory is not None:
        return PeriodValue(period=trajectory.target_period.code, value=trajectory.target_value)
    if unit == p.scope:
        return PeriodValue(period=p.target.period, value=float(p.target.value))
    return None


def _row(data: SeriesData, p: Priority, unit: str, trajectory: Trajectory | None,
         reason: str | None, latest: LatestActual | None, spc: SpcHeadline | Unavailable,
         forecast: ForecastReading | Unavailable | None) -> UnitStatus:
    """A reading: baseline, target, latest complete actual (``latest``) and its judgement
    against the trajectory, beside its SPC headline and forecast."""
    model = data.model
    ind = model.indicators[p.headline]
    u = model.units[unit]
    target = _target(p, unit, trajectory)
    baseline = None
    if trajectory is not None:
        baseline = Baseline(period=trajectory.baseline_period.code,
                            value=trajectory.baseline_value,
                            observed=data.value_at(ind.code, unit,
                                                   trajectory.baseline_period.code))
    elif unit == p.scope:
        baseline = Baseline(period=p.baseline.period, value=p.baseline.value,
                            observed=data.value_at(ind.code, unit, p.baseline.period))
    expected = gap = gap_pct = status_note = verdict = None
    after = False
    if latest is None:
        status = NO_DATA
        status_note = _partial_only_note(data, ind.code, unit)
    elif trajectory is None:
        status = NO_TRAJECTORY
    else:
        expected, gap, gap_pct, status, after, status_note = _judge(
            trajectory, latest.period, float(latest.value), p, ind)
    if latest is not None and target is not None:
        start = (trajectory.baseline_period.code if trajectory is not None
                 else p.baseline.period)
        verdict = _verdict(data, p, ind, unit, target, start, trajectory, latest.period)
        if verdict is not None:
            # Once the deadline's period is complete the verdict is met or missed, and the
            # gap is the one at the deadline; the latest stays in ``latest`` and ``since``.
            status, expected, gap, gap_pct = (verdict.status, verdict.target, verdict.gap,
                                              verdict.gap_pct)
            status_note = None  # a target is a line to cross: no chance reading
    return UnitStatus(
        unit=unit, unit_name=u.name, level=u.level, parent=u.parent, baseline=baseline,
        trajectory_note=reason if trajectory is None else None, target=target, latest=latest,
        expected=expected, gap=gap, gap_pct=gap_pct, after_target=after,
        at_target_period=verdict, status_note=status_note, status=status, spc=spc,
        forecast=forecast,
        probability_of_meeting=(forecast.probability_of_meeting
                                if isinstance(forecast, ForecastReading) else None))


def stage_history(data: SeriesData, p: Priority, current: UnitStatus
                  ) -> tuple[StageReading, ...]:
    """The priority's stages, oldest first, read at its scope: each earlier stage (from
    priorities.yaml ``stages``) closed with its verdict computed from the data (met, missed,
    or no_data when no complete value lies between its baseline and target periods), then
    the current stage with the current status (``current``: the scope's reading)."""
    ind = data.model.indicators[p.headline]
    stages = p.attributes.get("stages") or []
    out: list[StageReading] = []
    if stages:
        periods, values, _partial = data.complete(ind.code, p.scope)
        actuals = dict(zip(periods, values, strict=True))
        tolerance, mode = tolerance_of(p)
        for k, stage in enumerate(stages, start=1):
            base, goal = stage["baseline"], stage["target"]
            v = target_verdict(base["period"], Period.parse(goal["period"], ind.period_type),
                               float(goal["value"]), actuals, ind.polarity, tolerance, mode)
            out.append(StageReading(
                stage=k, current=False, baseline=dict(base), target=dict(goal),
                note=stage.get("note"), status=NO_DATA if v is None else v.status,
                at_target_period=None if v is None else verdict_block(v, ind.polarity)))
    at_scope = current.unit == p.scope
    out.append(StageReading(
        stage=len(stages) + 1, current=True,
        baseline={"period": p.baseline.period, "value": p.baseline.value},
        target={"period": p.target.period, "value": p.target.value}, note=None,
        status=current.status if at_scope else None,
        at_target_period=current.at_target_period if at_scope else None))
    return tuple(out)


def _forecasts(p: Priority, ind: Indicator, targets: list[PeriodValue | None],
               series: Callable[[int], tuple[list[str], list[float]]]
               ) -> list[ForecastReading | Unavailable]:
    """Each reading's forecast to its target (``series(k)``: reading k's complete periods
    and values), all fitted in one forecast_many call."""
    pairs = [(p.target.period, None) if t is None else (t.period, t.value) for t in targets]
    return _forecast_blocks([series(k) for k in range(len(targets))], ind, pairs)


def _partial_only_note(data: SeriesData, code: str, unit: str) -> str | None:
    """Why "no data" where values exist: every period is a partial roll-up (some unit below
    never reports), so none is read. Without this a continent whose one small country has
    gaps read as if nothing at all were known."""
    _, _, partial = data.complete(code, unit)
    if not partial:
        return None
    return (f"no complete period: {len(partial)} reported only in part (latest "
            f"{partial[-1]}: a unit below did not report); status reads complete periods "
            "only, so a unit that never reports leaves the total unread")


def _reading(data: SeriesData, p: Priority, unit: str, trajectory: Trajectory | None,
             reason: str | None, *, with_forecast: bool) -> UnitStatus:
    """One priority's headline at one unit, read against its trajectory: the plain path,
    one unit's points and one XmR chart (``_readings`` does many units at once)."""
    ind = data.model.indicators[p.headline]
    points = data.points(ind.code, unit)
    periods = [pt.period for pt in points if pt.complete]
    values = [float(pt.value) for pt in points if pt.complete]  # type: ignore[arg-type]
    last = last_complete(points)
    latest = None if last is None else LatestActual(
        period=last.period, value=last.value, coverage=last.coverage, source=last.source)
    target = _target(p, unit, trajectory)
    spc = _spc_block(periods, values, ind.polarity,
                     None if target is None else target.value,
                     data.accepted_rebases(ind.code, unit),
                     None if target is None else target.period)
    forecast = (_forecasts(p, ind, [target], lambda k: (periods, values))[0]
                if with_forecast else None)
    return _row(data, p, unit, trajectory, reason, latest, spc, forecast)


def _readings(data: SeriesData, p: Priority, units: list[str],
              found: list[tuple[Trajectory | None, str | None]], *,
              with_forecast: bool) -> list[UnitStatus]:
    """``_reading`` for many units from the roll-up arrays: each unit's latest complete
    period found by one array operation, and the XmR charts of all of them computed
    together (analysis.spc.xmr_many over the units' complete values). Same figures."""
    ind = data.model.indicators[p.headline]
    result = data.rollup(ind.code)
    labels = result.periods or ()
    pos = np.array([data.hierarchy.position(u) for u in units], dtype=np.int64)
    value = result.value[pos]
    done = ~np.isnan(value) & ~result.value_partial[pos]
    count = done.sum(axis=1)
    # The last complete column of each row (read only where the row has one).
    last = (value.shape[1] - 1 - np.argmax(done[:, ::-1], axis=1) if done.size
            else np.zeros(len(units), dtype=np.int64))
    latests: list[LatestActual | None] = []
    for k in range(len(units)):
        latest = None
        if count[k]:
            i, t = int(pos[k]), int(last[k])
            coverage = float(result.coverage[i, t])
            latest = LatestActual(period=labels[t], value=float(value[k, t]),
                                  coverage=None if np.isnan(coverage) else coverage,
                                  source=SOURCE_NAMES[int(result.source[i, t])])
        latests.append(latest)
    targets = [_target(p, unit, traj) for unit, (traj, _) in zip(units, found, strict=True)]
    blocks = _spc_blocks(value, done, count, data.ordinals(ind.code), labels, ind.polarity,
                         [None if t is None else t.value for t in targets],
                         [data.accepted_rebases(ind.code, u) for u in units],
                         [None if t is None else t.period for t in targets])

    def series(k: int) -> tuple[list[str], list[float]]:
        cols = np.flatnonzero(done[k])
        return [labels[t] for t in cols.tolist()], value[k, cols].tolist()

    forecasts: list[ForecastReading | Unavailable | None] = (
        list(_forecasts(p, ind, targets, series)) if with_forecast else [None] * len(units))
    return [_row(data, p, unit, *found[k], latests[k], blocks[k], forecasts[k])
            for k, unit in enumerate(units)]


def _spc_blocks(value: np.ndarray, done: np.ndarray, count: np.ndarray, ordinals: np.ndarray,
                labels: Sequence[str], polarity: Polarity,
                targets: list[float | None],
                rebases: Sequence[Sequence[str]] | None = None,
                target_periods: Sequence[str | None] | None = None
                ) -> list[SpcHeadline | Unavailable]:
    """``_spc_block`` for each row of ``value`` (units x periods) over its complete periods
    (``done``). Each row is tested for seasonality and adjusted on its own (the same
    functions as the plain path); rows with the same number of complete values and no
    accepted rebase are then charted together, packed to the left with a gap flag where a
    period is absent: row for row the arithmetic of ``xmr`` on that one series, so the
    figures are the same to the last bit. Rows with accepted ``rebases`` take the plain path."""
    out: list[SpcHeadline | Unavailable | None] = [None] * len(value)
    charted: dict[int, tuple[np.ndarray, SeasonalAdjustment, list[str]]] = {}

    def period_of(k: int) -> str | None:
        return None if target_periods is None else target_periods[k]

    # Seasonal tests and adjustments together for the rows with the same complete periods.
    by_columns: dict[bytes, list[int]] = {}
    for k in np.flatnonzero(count >= 2).tolist():
        if rebases is None or not rebases[k]:
            by_columns.setdefault(np.packbits(done[k]).tobytes(), []).append(k)
    for ks in by_columns.values():
        cols = np.flatnonzero(done[ks[0]])
        codes = [labels[t] for t in cols.tolist()]
        try:
            adjustments = seasonal_adjustments(value[np.ix_(ks, cols)], codes)
        except StocktakeError:
            continue  # the plain path words the error
        for k, adjustment in zip(ks, adjustments, strict=True):
            charted[k] = (adjustment.values, adjustment, codes)
    for n in np.unique(count[count >= 2]).tolist():
        sel = np.array([k for k in np.flatnonzero(count == n).tolist() if k in charted],
                       dtype=np.int64)
        if not len(sel):
            continue
        cols = np.nonzero(done[sel])[1].reshape(len(sel), n)
        y = np.stack([charted[k][0] for k in sel.tolist()])
        adjacent = np.ones((len(sel), n), dtype=bool)
        adjacent[:, 1:] = np.diff(ordinals[cols], axis=1) == 1
        charted_targets = [adjusted_target(charted[k][1], targets[k], period_of(k))
                           for k in sel.tolist()]
        target = np.array([np.nan if t is None else t for t in charted_targets])
        try:
            batch = xmr_many(y, polarity=polarity.value, target=target, adjacent=adjacent)
        except StocktakeError:
            continue  # e.g. a value too large to chart: each row's own error, below
        suggested = suggest_rebases_many(y, [charted[k][2] for k in sel.tolist()])
        for j, k in enumerate(sel.tolist()):
            if not batch.charted[j]:
                continue  # no two consecutive values: the plain path words the error
            variation, assurance = batch.variation_icon[j], batch.assurance_icon[j]
            _, adjustment, _ = charted[k]
            found = suggested[j][0]
            seasonal = adjustment.to_dict()
            seasonal["target_on_adjusted_scale"] = (
                charted_targets[j] if adjustment.applied and targets[k] is not None else None)
            out[k] = SpcHeadline(
                variation_icon=variation, variation_label=ICON_LABELS[variation],
                assurance_icon=assurance,
                assurance_label=None if assurance is None else ICON_LABELS[assurance],
                target=targets[k], n_points=n, mean=float(batch.mean[j, 0]),
                lower=float(batch.lower[j, 0]), upper=float(batch.upper[j, 0]),
                trial=bool(batch.trial[j, 0]), last_rule=RULES[batch.rule[j, -1]],
                method=chart_method(adjustment),
                **_spc_context(seasonal, [c.to_dict() for c in found], [], variation,
                               assurance))
    for k, block in enumerate(out):
        if block is None:
            cols = np.flatnonzero(done[k])
            out[k] = _spc_block([labels[t] for t in cols.tolist()], value[k, cols].tolist(),
                                polarity, targets[k], () if rebases is None else rebases[k],
                                period_of(k))
    return out  # type: ignore[return-value]


def _load(snap: Snapshot, priority: str | None, unit: str | None
          ) -> tuple[DeliveryModel, list[Priority], SeriesData]:
    """The model, the priorities asked for, and their data from the snapshot (one load
    shared by every view of the same page, pack or command)."""
    model = snap.model
    if unit is not None:
        check_unit(model, unit)
    if priority is not None:
        chosen = [check_priority(model, priority)]
        if unit is not None and not within(model, unit, chosen[0].scope):
            raise Invalid(f"unit '{unit}' is not within the scope '{chosen[0].scope}' of "
                          f"priority '{priority}'")
    else:
        chosen = [p for p in model.priorities.values()
                  if unit is None or within(model, unit, p.scope)]
    return model, chosen, snap.data(priority_codes(model, chosen))


def priority_codes(model: DeliveryModel, chosen: list[Priority]) -> set[str]:
    """The indicators a reading of these priorities needs: headline, leads and counters."""
    return {c for p in chosen for c in [p.headline, *p.leads, *p.counters]
            if c in model.indicators}


def _tolerance(p: Priority, ind: Indicator) -> Tolerance:
    """The priority's tolerance and its rule in words (a Sentence: English in the JSON, its
    figure grouped, said again in a document's or a page's language)."""
    tol, mode = tolerance_of(p)
    return Tolerance(value=tol, mode=mode,
                     rule=tolerance_in_words(tol, mode, count=is_count(ind)))


def _stated(period: str, value: float) -> PeriodValue:
    return PeriodValue(period=period, value=value)


# -- public ---------------------------------------------------------------------------------

def priority_trajectory(snap: Snapshot, priority: str, *, unit: str | None = None,
                        with_forecast: bool = True) -> PriorityTrajectory:
    """A priority's trajectory at its scope (or a unit below it), period by period.

    For each period from baseline to target: the actual (complete periods only), the
    expected value, the gap and gap %, and on track / ahead / off track against the stated
    tolerance (a percentage of the expected value, default 5). A unit below the scope gets
    its share of the trajectory (summed indicators: shares that add up; rates: the same
    percentage change from its own baseline). With a forecast: the path to the target
    period with 80% and 95% intervals and the probability of meeting the target.
    """
    model, (p,), data = _load(snap, priority, unit)
    at = unit or p.scope
    ind = model.indicators[p.headline]
    national = trajectory_of(p)
    traj, reason, split = _Splits(data, p, national).at(at)
    periods, values, partial = data.complete(ind.code, at)
    about = {
        "priority": p.code, "title": p.title, "headline": ind.code, "headline_name": ind.name,
        "unit_of_measure": ind.unit, "polarity": ind.polarity.value, "scope": p.scope,
        "decimals": ind.decimals, "unit": at, "unit_name": model.units[at].name,
        "tolerance": _tolerance(p, ind), "split": split, "trajectory_note": reason,
        "excluded_partial": tuple(partial), "partial_rule": PARTIAL_RULE,
        "as_of": iso(snap.as_of), "data_as_of": iso(data.vintage(ind.code)),
    }
    if traj is None:
        return PriorityTrajectory(**about, trajectory=None, readings=(), at_target_period=None,
                                  counts=None, forecast=None)
    tolerance, mode = tolerance_of(p, traj, ind)
    actuals = dict(zip(periods, values, strict=True))
    assessment = assess(traj, actuals, ind.polarity, tolerance, mode, count=is_count(ind))
    verdict = target_verdict(traj.baseline_period, traj.target_period, traj.target_value,
                             actuals, ind.polarity, tolerance, mode)
    return PriorityTrajectory(
        **about,
        trajectory=TrajectoryDefinition(
            method=traj.method, parameters=traj.parameters,
            seasonal=tuple(traj.seasonal) if traj.seasonal else None,
            seasonal_mode=traj.seasonal_mode,
            baseline=_stated(traj.baseline_period.code, traj.baseline_value),
            target=_stated(traj.target_period.code, traj.target_value)),
        readings=assessment.readings,
        at_target_period=None if verdict is None else verdict_block(verdict, ind.polarity),
        counts=assessment.counts(), actuals_outside=tuple(assessment.outside),
        forecast=(_forecast_block(periods, values, ind, traj.target_period.code,
                                  traj.target_value, full=True)
                  if with_forecast else None))


def _below(model: DeliveryModel, data: SeriesData, at: str, depth: int | None) -> list[str]:
    """The active units below ``at``, level by level, down ``depth`` levels (None: all)."""
    out: list[str] = []
    frontier, level = [at], 0
    while frontier and (depth is None or level < depth):
        frontier = [k for u in frontier for k in active_children(model, data.hierarchy, u)]
        out += frontier
        level += 1
    return out


def priority_status(snap: Snapshot, *, priority: str | None = None, unit: str | None = None,
                    units: bool = True, forecasts: Forecasts = "scope",
                    depth: int | None = 1) -> StatusReport:
    """Where every priority stands, as it would have been computed from what was known at
    the snapshot's as_of.

    For each priority, at its scope (or at --unit, which must lie within the scope):
    baseline, latest complete actual and its period, the expected value on the trajectory
    for that period, the gap and gap %, on track / ahead / off track against the tolerance
    (or, once the target period is complete, met / missed at it: ``at_target_period``),
    SPC variation and assurance icons (with the target), the forecast at the target period
    with 80% and 95% intervals and the probability of meeting the target, the lead and
    counter indicators' latest movement, the stages with their verdicts, and the data
    vintage used. With units, the same for
    each unit below, down ``depth`` levels (default 1; None: every level, from the same one
    load of the data), on its share of the trajectory. Forecasts refit a model many
    times: by default only at the scope ('scope'); 'all' adds every unit, 'none' skips them.
    """
    if forecasts not in ("none", "scope", "all"):
        raise Invalid(f"forecasts must be 'none', 'scope' or 'all', not {forecasts!r}")
    model, chosen, data = _load(snap, priority, unit)
    rows: list[PriorityStatus] = []
    for p in chosen:
        ind = model.indicators[p.headline]
        at = unit or p.scope
        splits: _Splits | None = None
        try:
            national = trajectory_of(p)
        except StocktakeError as exc:  # refused at load time; only an older model gets here
            traj, reason, split = None, str(exc), None
            in_use = None
        else:
            splits = _Splits(data, p, national)
            traj, reason, split = splits.at(at)
            in_use = TrajectoryInUse(method=national.method, parameters=national.parameters,
                                     seasonal=national.seasonal is not None, split=split)
        facts = PriorityFacts(
            code=p.code, title=p.title, title_fr=p.title_fr or None, owner=p.owner,
            headline=ind.code, headline_name=ind.name, headline_name_fr=ind.name_fr or None,
            unit_of_measure=ind.unit, unit_of_measure_fr=ind.unit_fr or None,
            polarity=ind.polarity.value,
            scope=p.scope, decimals=ind.decimals,
            stated_baseline=_stated(p.baseline.period, p.baseline.value),
            stated_target=_stated(p.target.period, p.target.value),
            tolerance=_tolerance(p, ind), data_as_of=iso(data.vintage(ind.code)),
            trajectory=in_use)
        reading = _reading(data, p, at, traj, reason, with_forecast=forecasts != "none")
        rest = {
            "stages": stage_history(data, p, reading),
            "movement": _movement(data, ind.code, at),  # since the period before
            "leads": tuple(_movement(data, c, at) for c in p.leads if c in model.indicators),
            "counters": tuple(_movement(data, c, at) for c in p.counters
                              if c in model.indicators),
        }
        if not units:
            rows.append(PriorityStatus.of(facts, reading, **rest))
            continue
        units_split = None
        kids = _below(model, data, at, depth)
        found = []
        for kid in kids:
            t, why, info = splits.at(kid) if splits else (None, reason, None)
            found.append((t, why))
            units_split = info
        below = _readings(data, p, kids, found, with_forecast=forecasts == "all")
        rows.append(PriorityStatusWithUnits.of(facts, reading, **rest, units_split=units_split,
                                               units=tuple(below)))
    return StatusReport(as_of=iso(snap.as_of), data_as_of=iso(data.data_as_of),
                        forecasts=forecasts, partial_rule=PARTIAL_RULE, priorities=tuple(rows))


def unit_readings(snap: Snapshot, priority: str, *, history: int = 24) -> UnitReadings:
    """Each unit one level below the scope read against its share of the trajectory, period
    by period, from one load of the data: for small multiples and questions such as "Manitoba
    has been off track for 5 months". ``off_track_run`` counts the latest readings in a row
    that are off track. Up to ``history`` periods before the baseline are kept for context."""
    model, (p,), data = _load(snap, priority, None)
    ind = model.indicators[p.headline]
    try:
        splits: _Splits | None = _Splits(data, p, trajectory_of(p))
    except StocktakeError:
        splits = None
    rows = [_unit_track(data, p, ind, kid, *(splits.at(kid)[:2] if splits
                                            else (None, "no trajectory")), history)
            for kid in active_children(model, data.hierarchy, p.scope)]
    return UnitReadings(priority=p.code, headline=ind.code, unit_of_measure=ind.unit,
                        polarity=ind.polarity.value, period_type=ind.period_type,
                        as_of=iso(snap.as_of), units=tuple(rows))


def _unit_track(data: SeriesData, p: Priority, ind: Indicator, unit: str,
                traj: Trajectory | None, reason: str | None, history: int) -> UnitReading:
    """One unit's readings period by period, its run off track and its latest status."""
    periods, values, _partial = data.complete(ind.code, unit)
    name = data.model.units[unit].name
    if traj is None:
        return UnitReading(unit=unit, unit_name=name, readings=(), actuals=(), off_track_run=0,
                           status=NO_TRAJECTORY if periods else NO_DATA, latest=None,
                           expected=None, gap=None, gap_pct=None, trajectory_note=reason,
                           at_target_period=None)
    first = traj.baseline_period.shift(-history)
    actuals = tuple(_stated(q, v) for q, v in zip(periods, values, strict=True)
                    if Period.parse(q, ind.period_type) >= first)
    tolerance, mode = tolerance_of(p, traj, ind)
    by_period = dict(zip(periods, values, strict=True))
    readings = assess(traj, by_period, ind.polarity, tolerance, mode,
                      count=is_count(ind)).readings
    observed = [r for r in readings if r.actual is not None]
    # The latest readings in a row that are off track.
    run = next((k for k, r in enumerate(reversed(observed)) if r.status != "off_track"),
               len(observed))
    status, latest, expected, gap, gap_pct = NO_DATA, None, None, None, None
    if observed:
        last = observed[-1]
        status, latest = last.status, _stated(last.period, last.actual)
        expected, gap, gap_pct = last.expected, last.gap, last.gap_pct
    verdict = target_verdict(traj.baseline_period, traj.target_period, traj.target_value,
                             by_period, ind.polarity, tolerance, mode)
    at_target = None if verdict is None else verdict_block(verdict, ind.polarity)
    if verdict is not None:
        # The deadline has passed: met or missed, and no run of periods off track to chase
        # (the verdict replaces it).
        status, run, latest = verdict.status, 0, _stated(verdict.latest_period, verdict.latest)
        expected, gap, gap_pct = verdict.target, verdict.gap, verdict.gap_pct
    return UnitReading(unit=unit, unit_name=name, readings=tuple(readings), actuals=actuals,
                       off_track_run=run, status=status, latest=latest, expected=expected,
                       gap=gap, gap_pct=gap_pct, trajectory_note=reason,
                       at_target_period=at_target)
