"""Reading the data: one indicator's series at any level, its SPC chart, a fair comparison of
units, and a backtest of the forecasts. Each function reads a ``Snapshot`` (the data as known
at its moment) and returns a typed result (results/readings.py) naming its method, parameters
and the data vintage it rests on, so the same call with the same ``as_of`` gives the same
numbers after newer data has arrived.

Trajectories and priority status are in ``services.status``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from ...analysis.backtest import DEFAULT_HORIZON, DEFAULT_MIN_TRAIN, backtest, strata
from ...analysis.forecast import Bounds, ForecastError
from ...analysis.funnel import funnel, league_table
from ...analysis.spc import read_chart
from ...errors import Conflict, Invalid, NotFound
from ...model.entities import Aggregation, DeliveryModel, Indicator
from ...model.periods import Period, PeriodError, PeriodType
from ...results.readings import (
    BacktestReport,
    ExcludedUnit,
    FunnelUnit,
    IndicatorInfo,
    IndicatorSeries,
    SpcChart,
    UnitComparison,
    UnitInfo,
)
from .series_data import check_indicator, check_unit, forecastable, iso
from .snapshot import Snapshot

PARTIAL_RULE = ("periods whose value is a partial roll-up (an expected child, or a child's "
                "child, has not reported) are left out; reported totals count as complete")


def _indicator_info(indicator: Indicator) -> IndicatorInfo:
    return IndicatorInfo(code=indicator.code, name=indicator.name,
                         unit_of_measure=indicator.unit, polarity=indicator.polarity.value,
                         period_type=indicator.period_type,
                         aggregation=indicator.aggregation.value, decimals=indicator.decimals)


def _unit_info(model: DeliveryModel, code: str) -> UnitInfo:
    u = model.units[code]
    return UnitInfo(code=code, name=u.name, level=u.level)


# -- series ---------------------------------------------------------------------------------

def indicator_series(snap: Snapshot, indicator: str, unit: str) -> IndicatorSeries:
    """An indicator's series at any unit, rolled up from the units below it.

    Each period gives the value used (the computed roll-up when every expected child
    reported, else the unit's own reported total, else the partial roll-up, flagged), the
    computed figure and the reported total side by side with their gap, the coverage (share
    of expected children that reported) and where the value came from. Counts are summed;
    rates are ratios of summed numerators and denominators, never averages of rates.
    """
    model = snap.model
    ind = check_indicator(model, indicator)
    check_unit(model, unit)
    data = snap.data([indicator])
    result = data.rollup(indicator)
    return IndicatorSeries(
        indicator=_indicator_info(ind),
        unit=_unit_info(model, unit),
        children=tuple(c.code for c in model.children(unit)),
        method=result.method,
        parameters=result.parameters,
        reason=result.reason,
        as_of=iso(snap.as_of),
        data_as_of=iso(data.vintage(indicator)),
        points=tuple(data.points(indicator, unit)),
    )


# -- SPC ------------------------------------------------------------------------------------

def _priority_target(model: DeliveryModel, indicator: str, unit: str
                     ) -> tuple[float | None, str | None, str | None]:
    """(value, where it comes from, period) of the target of a priority headlined here."""
    for p in model.priorities.values():
        if p.headline == indicator and p.scope == unit:
            return float(p.target.value), (f"priority {p.code}: target {p.target.value:g} "
                                           f"for {p.target.period}"), p.target.period
    return None, None, None


def spc_chart(snap: Snapshot, indicator: str, unit: str, *, target: float | None = None,
              fix_after_n_points: int | None = None, screen_outliers: bool = True,
              rebase_at: Sequence[str] = (), seasonal: str = "auto") -> SpcChart:
    """XmR chart of one indicator at one unit with the Making Data Count rules.

    Points: period, value, mean, lower and upper process limits, near limits, the
    special-cause rule that fired and the point type (common cause, improvement, concern,
    neutral) read with the indicator's polarity; variation and assurance icons from the last
    point. Without --target, a priority whose headline is this indicator at this unit lends
    its target value (the result says which). Only complete periods are charted: a partial
    roll-up is left out (listed in excluded_partial) rather than shown as a false dip.

    Seasonal series (monthly, quarterly, weekly) are tested for seasonality (an F test of
    period-of-year effects); with --seasonal auto (default) a seasonal series is charted as
    seasonally adjusted values, each point's reported value beside it ('observed'); --seasonal
    off gives the raw chart, on forces the adjustment. Limits restart at the rebases an analyst
    accepted (spc-rebase, in force at --as-of) and at any --rebase-at periods given here;
    rebase points are suggested with their evidence (rebase_suggestions), never applied.
    """
    model = snap.model
    ind = check_indicator(model, indicator)
    check_unit(model, unit)
    target_source = "given" if target is not None else None
    target_period = None  # a given target has no period: read as given on an adjusted chart
    if target is None:
        target, target_source, target_period = _priority_target(model, indicator, unit)
    data = snap.data([indicator])
    periods, values, partial = data.complete(indicator, unit)
    if len(periods) < 2:
        raise Conflict(f"'{indicator}' at '{unit}' has {len(periods)} complete period(s) as "
                       f"of {iso(snap.as_of) or 'now'}: an XmR chart needs at least 2")
    accepted = data.rebases.get((indicator, unit), [])
    result = read_chart(values, periods, polarity=ind.polarity.value, target=target,
                        fix_after_n_points=fix_after_n_points, screen_outliers=screen_outliers,
                        rebase_at=tuple(rebase_at),
                        accepted_rebases=[r.period for r in accepted], seasonal=seasonal,
                        target_period=target_period)
    return SpcChart.of(
        result, indicator=_indicator_info(ind), unit=_unit_info(model, unit), target=target,
        target_source=target_source, accepted_rebases=[r.to_dict() for r in accepted],
        excluded_partial=partial, partial_rule=PARTIAL_RULE, as_of=iso(snap.as_of),
        data_as_of=iso(data.vintage(indicator)))


# -- comparing units ------------------------------------------------------------------------

PERCENT_UNITS = {"%", "percent", "percentage", "per cent", "pct"}


def funnel_kind(indicator: Indicator) -> Literal["proportion", "rate"]:
    """'proportion' when the numerator is part of the denominator (a percentage: unit % or
    scale 100), else 'rate' (counts per unit of denominator, Poisson)."""
    if indicator.unit.strip().lower() in PERCENT_UNITS or float(indicator.scale) == 100.0:
        return "proportion"
    return "rate"


def _default_level(model: DeliveryModel) -> str:
    for root in model.roots():
        kids = model.children(root.code)
        if kids:
            return kids[0].level
    raise Conflict("the model has no unit below its root, so there is nothing to compare")


def compare_units(snap: Snapshot, indicator: str, period: str, *, level: str | None = None,
                  overdispersion: bool | Literal["auto"] = "auto",
                  dispersion_model: Literal["multiplicative", "additive"] = "multiplicative",
                  ) -> UnitComparison:
    """Compare every unit at a level on a rate, fairly: a funnel plot, not a bare ranking.

    Each unit's numerator and denominator (rolled up where needed), its value, and funnel
    limits at 95% and 99.8% around the pooled rate that narrow as the denominator grows
    (Spiegelhalter 2005): binomial for a proportion (the numerator is part of the
    denominator, e.g. a percentage), Poisson for a rate of counts (e.g. per 100,000
    people). Over-dispersion is tested and, with 'auto', adjusted for when the test rejects.
    Units outside 99.8% are the ones to talk about. The league table gives each unit an
    interval and says whether it is distinguishable from the overall rate. Default level:
    the one just below the root.
    """
    model = snap.model
    ind = check_indicator(model, indicator)
    if Aggregation(ind.aggregation) is not Aggregation.RATIO or not (ind.numerator
                                                                     and ind.denominator):
        raise Invalid(
            f"'{indicator}' has aggregation '{ind.aggregation.value}', not ratio: a funnel plot "
            "sets each unit's rate against limits that narrow as its denominator grows, so it "
            "needs an indicator made of a numerator and a denominator (aggregation: ratio)")
    try:
        p = Period.parse(period, ind.period_type)
    except PeriodError as exc:
        raise Invalid(f"period for '{indicator}': {exc}") from None
    levels = sorted({u.level for u in model.units.values()})
    level = level if level is not None else _default_level(model)
    if level not in levels:
        raise NotFound(f"'{level}' is not a level of the model (levels: {', '.join(levels)})")
    data = snap.data([indicator])
    result = data.rollup(indicator)
    labels = list(result.periods or ())
    if p.code not in labels:
        raise Conflict(f"no data for '{indicator}' in {p.code} as of "
                       f"{iso(snap.as_of) or 'now'}")
    t = labels.index(p.code)
    units, nums, dens, rows_info, excluded = [], [], [], {}, []
    for code, u in model.units.items():
        if u.level != level:
            continue
        i = data.hierarchy.index[code]
        y, n = result.numerator[i, t], result.denominator[i, t]  # type: ignore[index]
        if np.isnan(y) or np.isnan(n) or n <= 0:
            excluded.append(ExcludedUnit(
                unit=code, name=u.name, reason="no numerator and denominator for this period"))
            continue
        units.append(code)
        nums.append(float(y))
        dens.append(float(n))
        rows_info[code] = {"name": u.name,
                           "coverage": None if np.isnan(result.coverage[i, t])
                           else float(result.coverage[i, t]),
                           "partial": bool(result.value_partial[i, t])}
    if len(units) < 2:
        raise Conflict(f"only {len(units)} unit(s) at level '{level}' have a numerator and a "
                       f"denominator for '{indicator}' in {p.code}: a comparison needs 2")
    kind = funnel_kind(ind)
    fr = funnel(units, nums, dens, kind=kind, scale=float(ind.scale),
                overdispersion=overdispersion, dispersion_model=dispersion_model)
    out = fr.to_dict()
    return UnitComparison(
        method=out["method"], parameters=out["parameters"], kind=out["kind"],
        scale=out["scale"], overall=out["overall"], phi=out["phi"],
        winsorised=out["winsorised"], dispersion_test=out["dispersion_test"],
        overdispersion_applied=out["overdispersion_applied"],
        dispersion_model=out["dispersion_model"], tau2=out["tau2"],
        units=tuple(_funnel_unit(row, rows_info[row["unit"]]) for row in out["units"]),
        indicator=_indicator_info(ind),
        numerator=ind.numerator,
        denominator=ind.denominator,
        period=p.code,
        level=level,
        kind_rule=("proportion: unit is a percentage or scale is 100 (the numerator is "
                   "part of the denominator); otherwise a Poisson rate"),
        outside_99_8=fr.flagged("99.8"),
        outside_95=fr.flagged("95"),
        league_table=tuple(league_table(fr, level="95", descending=True)),
        league_table_level="95",
        excluded=tuple(excluded),
        as_of=iso(snap.as_of),
        data_as_of=iso(data.vintage(indicator)),
    )


def _funnel_unit(row: dict[str, Any], info: dict[str, Any]) -> FunnelUnit:
    """A unit of analysis.funnel's answer (limits keyed by level: "95", "99.8") with its
    name, coverage and whether its value is a partial roll-up."""
    return FunnelUnit(
        unit=row["unit"], numerator=row["numerator"], denominator=row["denominator"],
        value=row["value"], z=row["z"], z_adjusted=row["z_adjusted"],
        lower_95=row["lower_95"], upper_95=row["upper_95"], outside_95=row["outside_95"],
        lower_99_8=row["lower_99.8"], upper_99_8=row["upper_99.8"],
        outside_99_8=row["outside_99.8"], **info)


# -- backtest -------------------------------------------------------------------------------

# The cost is the forecast procedure rerun at every origin of every series (origin_step
# hardly changes it): about 0.7 s per 100-month series here. Four series keep one indicator
# to a few seconds.
DEFAULT_MAX_SERIES = 4


def _sample_units(codes: list[str], k: int) -> list[str]:
    """k units at evenly spaced positions of the model's unit order (deterministic)."""
    if len(codes) <= k:
        return codes
    picks = np.unique(np.round(np.linspace(0, len(codes) - 1, k)).astype(int))
    return [codes[i] for i in picks]


def backtest_indicator(snap: Snapshot, indicator: str | None = None, *,
                       max_series: int = DEFAULT_MAX_SERIES, origin_step: int = 1,
                       min_train: int | None = None, horizons: int | None = None
                       ) -> BacktestReport:
    """Backtest the forecasts with rolling origins: do 80% and 95% intervals hold 80% and
    95% of what happened?

    For the indicator (default: every priority's headline) the forecast procedure is rerun
    from many past origins using only the data up to each, on the series of several units,
    and each held-out value is checked against the intervals. Reports the measured coverage
    of the 80% and 95% intervals, the number of forecasts scored and the MASE. To stay
    quick, at most --max-series units per indicator are used (evenly spaced in the model's
    unit order, so the same units every run); --origin-step k scores every k-th origin.
    Only complete periods are used, from the last run of two or more missing or partial
    periods on. Forecasts keep within the indicator's min, max and integer attributes, as
    on the status pages.

    Every forecast scored is listed (``forecasts``: unit, origin, period, horizon, actual,
    mean, lower_80, upper_80, lower_95, upper_95), so anyone can recount the coverage, and
    the coverage is also given by stratum (``strata``: by horizon, by the unit's level at
    the origin in thirds, by whether the actual was zero), each beside the coverage the
    forecasts claimed: whole-number intervals hold at least their nominal share, often
    more, so a small count's 80% interval may rightly cover 95%.
    """
    if max_series < 1:
        raise Invalid(f"max_series must be at least 1, not {max_series}")
    model = snap.model
    if indicator is not None:
        codes = [check_indicator(model, indicator).code]
    else:
        codes = list(dict.fromkeys(p.headline for p in model.priorities.values()))
        if not codes:
            raise Invalid("the model has no priorities: name an indicator to backtest")
    data = snap.data(codes)
    units = _sample_units(list(model.units), max_series)
    results, pooled = [], []
    for code in codes:
        ind = model.indicators[code]
        ptype = PeriodType(ind.period_type)
        first = DEFAULT_MIN_TRAIN[ptype] if min_train is None else min_train
        series, notes = {}, []
        for unit in units:
            periods, values, _ = data.complete(code, unit)
            periods, values, note = forecastable(periods, values, ind.period_type)
            if note:
                notes.append(f"{unit}: {note}")
            if periods:
                series[unit] = (periods, values)
        entry: dict[str, Any] = {"indicator": _indicator_info(ind), "units": list(series),
                                 "notes": notes, "data_as_of": iso(data.vintage(code))}
        try:
            bt = backtest(series, ptype, min_train=first, horizons=horizons,
                          origin_step=origin_step,
                          bounds=Bounds.from_attributes(ind.attributes))
        except ForecastError as exc:
            entry.update({"error": str(exc), "n_forecasts": 0})
            results.append(entry)
            continue
        entry.update(_backtest_dict(bt))
        results.append(entry)
        pooled.extend(bt.records)
    overall = None
    if pooled:
        overall = {
            "n_forecasts": len(pooled),
            "coverage_80": float(np.mean([r.covered(0) for r in pooled])),
            "coverage_95": float(np.mean([r.covered(1) for r in pooled])),
            "mase": _mase(pooled),
            "strata": strata(pooled, (0.8, 0.95)),
        }
        if len(codes) > 1:  # thirds of values on different scales would mean nothing
            overall["strata"].pop("level", None)
    return BacktestReport(
        method=("rolling-origin backtest of analysis.forecast (ETS with intervals "
                   "calibrated per level on earlier origins, kept within the indicator's "
                   "min, max and integer); an outcome is covered when it lies in the "
                   "interval (bounds included); strata: horizon, level at the origin "
                   "(thirds of the units' values), actual zero or not, each with the "
                   "coverage the forecasts claimed"),
        parameters={"max_series": max_series, "origin_step": origin_step,
                       "min_train": min_train, "horizons": horizons,
                       "default_min_train": {t.value: v for t, v in DEFAULT_MIN_TRAIN.items()},
                       "default_horizons": {t.value: v for t, v in DEFAULT_HORIZON.items()},
                       "levels": [0.8, 0.95],
                       "unit_sample": "evenly spaced positions in the model's unit order",
                    "partial_periods": PARTIAL_RULE},
        indicators=tuple(results),
        overall=overall,
        as_of=iso(snap.as_of),
        data_as_of=iso(data.data_as_of),
    )


def _mase(records) -> float | None:
    errs = [r.scaled_error for r in records if r.scaled_error is not None]
    return float(np.mean(errs)) if errs else None


def _backtest_dict(bt) -> dict[str, Any]:
    def pct(level: float) -> str:
        return str(round(level * 100))

    return {
        "period_type": bt.period_type,
        "min_train": bt.min_train,
        "origin_step": bt.origin_step,
        "horizons": list(bt.horizons),
        "n_series": bt.n_series,
        "n_origins": bt.n_origins,
        "n_forecasts": bt.n_forecasts,
        **{f"coverage_{pct(lv)}": float(bt.coverage[lv]) for lv in bt.levels},
        "coverage_by_horizon": {pct(lv): {str(h): float(c) for h, c in by_h.items()}
                                for lv, by_h in bt.coverage_by_horizon.items()},
        "forecasts_by_horizon": {str(h): n for h, n in bt.forecasts_by_horizon.items()},
        "mase": None if np.isnan(bt.mase) else float(bt.mase),
        "skipped": list(bt.skipped),
        "bounds": {"min": bt.bounds.min, "max": bt.bounds.max, "integer": bt.bounds.integer},
        "strata": bt.strata,
        "calibration": bt.calibration,
        "summary": bt.summary(),
        "forecasts": [
            {"unit": r.series, "origin": r.origin, "period": r.period, "horizon": r.horizon,
             "actual": r.actual, "mean": r.mean,
             **{f"{side}_{pct(lv)}": getattr(r, side)[i] for i, lv in enumerate(bt.levels)
                for side in ("lower", "upper")}}
            for r in bt.records
        ],
    }
