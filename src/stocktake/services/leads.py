"""Finding lead indicators of a headline across the units of one level, as known at a moment:
gathers the panels (units x periods, complete periods only) that analysis.leads tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

from ..analysis.leads import leads
from ..model.periods import Period, period_range
from .series_data import SeriesData, check_indicator, components, iso, read_model

MIN_PERIODS = 24  # a candidate needs this many periods in common with the headline


def lead_indicators(engine, headline: str, *, candidates: list[str] | None = None,
                    max_lag: int = 6, level: str | None = None,
                    as_of: datetime | None = None, time_effects: bool = False) -> dict[str, Any]:
    """Which indicators move ahead of a headline, and by how many periods, across the units
    of one level (default: the deepest level, where there are most units).

    For every candidate and lag 1..--max-lag: pooled lagged correlation, Granger F-tests per
    unit and pooled (unit fixed effects), out-of-sample gain of one-step forecasts of the
    headline with the candidate, Benjamini-Hochberg q-values over all candidate x lag tests,
    the share of units where the sign agrees, and the reverse test (the headline leading the
    candidate), flagged as possible reverse causality. Candidates default to every indicator
    of the headline's period type, other than the headline and its own parts.
    """
    model = read_model(engine)
    ind = check_indicator(model, headline)
    if max_lag < 1:
        raise ValueError("--max-lag must be 1 or more")
    own = components(model, headline)
    if candidates is None:
        candidates = [c for c, i in model.indicators.items()
                      if i.period_type == ind.period_type and c not in own]
    for c in candidates:
        check_indicator(model, c)
        if model.indicators[c].period_type != ind.period_type:
            raise ValueError(f"'{c}' is {model.indicators[c].period_type}ly but '{headline}' is "
                             f"{ind.period_type}ly: a lead must be read at the same periods")
    levels = {u.level for u in model.units.values()}
    if level is None:
        level = max(model.units.values(), key=lambda u: model.depth(u.code)).level
    elif level not in levels:
        raise ValueError(f"'{level}' is not a level of the units ({', '.join(sorted(levels))})")
    units = [c for c, u in model.units.items() if u.level == level]
    data = SeriesData.load(engine, model, [headline, *candidates], as_of)

    def panel(code: str) -> tuple[list[str], np.ndarray]:
        series = {u: dict(zip(*data.complete(code, u)[:2], strict=True)) for u in units}
        labels = sorted({p for s in series.values() for p in s}, key=Period.parse)
        if not labels:
            return [], np.empty((len(units), 0))
        grid = [p.code for p in period_range(Period.parse(labels[0]), Period.parse(labels[-1]))]
        return grid, np.array([[series[u].get(p, np.nan) for p in grid] for u in units])

    grid, head = panel(headline)
    if not grid:
        raise ValueError(f"no complete data for '{headline}' at level {level}")
    panels, skipped = {}, []
    for c in candidates:
        c_grid, values = panel(c)
        common = sorted(set(grid) & set(c_grid), key=Period.parse)
        if len(common) < MIN_PERIODS:
            skipped.append({"candidate": c, "reason": f"{len(common)} periods in common with "
                            f"the headline (fewer than {MIN_PERIODS})"})
            continue
        index = {p: t for t, p in enumerate(c_grid)}
        panels[c] = np.array([[row[index[p]] if p in index else np.nan for p in grid]
                              for row in values])
    if not panels:
        raise ValueError(f"no candidate has {MIN_PERIODS} periods in common with '{headline}'")
    result = leads(head, panels, headline_code=headline, max_lag=max_lag,
                   period_type=ind.period_type, units=units, time_effects=time_effects)
    out = result.to_dict()
    out.update({"level": level, "units": units, "periods": [grid[0], grid[-1]],
                "skipped": skipped, "ranked": result.ranked(), "as_of": iso(as_of),
                "data_as_of": iso(data.data_as_of)})
    return out
