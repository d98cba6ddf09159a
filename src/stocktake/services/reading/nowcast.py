"""Nowcasting a headline at one unit from its priority's lead indicators, as known at a
moment: gathers the complete series that analysis.nowcast works on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
from scipy import stats

from ...analysis.forecast import Bounds, ForecastError, Predictive
from ...analysis.leads import season_length
from ...analysis.nowcast import nowcast as fit_nowcast
from ...errors import Conflict, Invalid
from ...model.periods import Period, PeriodType, period_range
from ...results.leads import Nowcast, NowcastLead
from .series_data import check_indicator, check_unit, iso
from .snapshot import Snapshot


def nowcast(snap: Snapshot, headline: str, unit: str, *, leads: list[str] | None = None,
            lags: Mapping[str, int] | None = None, max_lag: int = 12) -> Nowcast:
    """The headline at ``unit`` for the periods not yet reported, from lead indicators (by
    default the leads of the priorities whose headline it is), with 80% and 95% intervals and
    a rolling-origin backtest against the headline-only forecast. Complete periods only."""
    model = snap.model
    ind = check_indicator(model, headline)
    check_unit(model, unit)
    if leads is None:
        leads = list(dict.fromkeys(c for p in model.priorities.values()
                                   if p.headline == headline for c in p.leads))
        if not leads:
            raise Invalid(f"no priority with headline '{headline}' names lead indicators: "
                          "pass the leads explicitly")
    if not leads:
        raise Invalid("leads must name at least one indicator")
    for c in leads:
        check_indicator(model, c)
        if c == headline:
            raise Invalid(f"'{c}' is the headline itself, not a lead")
        if model.indicators[c].period_type != ind.period_type:
            raise Invalid(f"'{c}' is {model.indicators[c].period_type}ly but '{headline}' is "
                          f"{ind.period_type}ly: a lead must be read at the same periods")
    ptype = PeriodType(ind.period_type)
    data = snap.data([headline, *leads])
    series = {}
    for code in [headline, *leads]:
        periods, values, _ = data.complete(code, unit)
        if not periods:
            raise Conflict(f"no complete data for '{code}' at unit '{unit}'")
        series[code] = dict(zip(periods, values, strict=True))
    ends = [Period.parse(p, ptype) for s in series.values() for p in (min(s, key=_key(ptype)),
                                                                      max(s, key=_key(ptype)))]
    grid = period_range(min(ends), max(ends))
    arrays = {c: np.array([s.get(p.code, np.nan) for p in grid]) for c, s in series.items()}
    result = fit_nowcast(arrays[headline], {c: arrays[c] for c in leads}, lags=lags,
                         max_lag=max_lag, season=season_length(ptype))
    start = grid[0]
    levels = [int(round(lv * 100)) for lv in result.parameters["levels"]]
    try:
        bounds = replace(Bounds.from_attributes(ind.attributes), scale="identity")
    except ForecastError as exc:
        raise Invalid(f"indicator '{headline}' attributes: {exc}") from None
    steps = [_bounded(s, levels, result.df, bounds) for s in result.steps]
    periods = [{"period": start.shift(result.last_index + s["step"]).code,
                "nowcast": s["nowcast"],
                **{f"{side}_{lv}": s[f"{side}_{lv}"] for lv in levels
                   for side in ("lower", "upper")}} for s in steps]
    bt = dict(result.backtest)
    first, last = bt.pop("first_index"), bt.pop("last_index")
    bt["periods"] = ([start.shift(first).code, start.shift(last).code]
                     if first is not None else None)
    return Nowcast(
        headline=headline, unit=unit,
        leads=tuple(NowcastLead(code=c, lag=k) for c, k in result.lags.items()),
        model={"method": result.method, "coefficients": result.coefficients,
                  "intercepts": result.intercepts, "seasonal": result.seasonal,
                  "residual_sd": result.residual_sd, "df": result.df,
                  "observations": result.observations,
                  "lags_chosen": lags is None, "max_lag": max_lag,
                  "bounds": {"min": bounds.min, "max": bounds.max, "integer": bounds.integer},
                  "bound_handling": ("the t interval censored at the indicator's bounds"
                                     + (" and rounded to whole numbers" if bounds.integer
                                        else "") if bounds.active else "none")},
        periods=tuple(periods),
        last_observed={"period": start.shift(result.last_index).code,
                       "value": result.last_level},
        backtest=bt,
        as_of=iso(snap.as_of), data_as_of=iso(data.data_as_of),
    )


def _bounded(step: dict[str, Any], levels: list[int], df: float, bounds: Bounds
             ) -> dict[str, Any]:
    """A step's nowcast and intervals kept within the indicator's min, max and integer:
    the same Student t, censored at the bounds (and rounded), as forecasts do."""
    if not bounds.active:
        return step
    q = float(stats.t.ppf(0.5 + levels[0] / 200, df))
    spread = (step[f"upper_{levels[0]}"] - step["nowcast"]) / q
    dist = Predictive(step["nowcast"], max(spread, 0.0), df, bounds)
    out = dict(step)
    out["nowcast"] = float(np.clip(step["nowcast"], bounds.min if bounds.min is not None
                                   else -np.inf, bounds.max if bounds.max is not None
                                   else np.inf))
    for lv in levels:
        out[f"lower_{lv}"], out[f"upper_{lv}"] = dist.interval(lv / 100)
    return out


def _key(ptype: PeriodType):
    return lambda code: Period.parse(code, ptype).ordinal
