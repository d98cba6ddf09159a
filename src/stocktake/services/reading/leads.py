"""Finding lead indicators of a headline across the units of one level, as known at a moment:
gathers the panels (units x periods, complete periods only) that analysis.leads tests."""

from __future__ import annotations

import numpy as np

from ...analysis.leads import (
    DEFAULT_PERMUTATIONS,
    LEAD_READINGS,
    MIN_RESIDUAL_DF,
    MIN_ROWS_PER_UNIT,
    leads,
    minimum_periods,
)
from ...errors import Conflict, Invalid, NotFound, StocktakeError
from ...model.periods import Period, period_range
from ...results.leads import LeadEvidence, LeadFinding
from .series_data import check_indicator, check_priority, components, iso
from .snapshot import Snapshot


def lead_indicators(snap: Snapshot, headline: str, *, candidates: list[str] | None = None,
                    max_lag: int = 6, level: str | None = None,
                    time_effects: bool | None = None, inference: str = "permutation",
                    permutations: int = DEFAULT_PERMUTATIONS, fit_lag: bool = False
                    ) -> LeadFinding:
    """Which indicators move ahead of a headline, and by how many periods, across the units
    of one level (default: the deepest level, where there are most units).

    For every candidate and lag 1..--max-lag: pooled lagged correlation, Granger F-tests per
    unit and pooled (unit fixed effects), out-of-sample gain of one-step forecasts of the
    headline with the candidate, Benjamini-Hochberg q-values over all candidate x lag tests,
    the share of units where the sign agrees, and the reverse test (the headline leading the
    candidate), flagged as possible reverse causality. Candidates default to every indicator
    of the headline's period type, other than the headline and its own parts.

    ``time_effects``: None (default) removes each period's mean across units where Pesaran's
    CD test finds common shocks in the headline; True or False forces it. ``inference``:
    "permutation" (default, re-pairing units at random) or "f". A candidate needs the periods
    ``analysis.leads.minimum_periods`` gives in common with the headline (max_lag + 4 on a
    wide panel; more on a narrow one); with ``fit_lag`` the lags are cut to what the
    periods allow instead.
    """
    model = snap.model
    ind = check_indicator(model, headline)
    if max_lag < 1:
        raise Invalid("--max-lag must be 1 or more")
    own = components(model, headline)
    if candidates is None:
        candidates = [c for c, i in model.indicators.items()
                      if i.period_type == ind.period_type and c not in own]
    for c in candidates:
        check_indicator(model, c)
        if model.indicators[c].period_type != ind.period_type:
            raise Invalid(f"'{c}' is {model.indicators[c].period_type}ly but '{headline}' is "
                          f"{ind.period_type}ly: a lead must be read at the same periods")
    levels = {u.level for u in model.units.values()}
    if level is None:
        level = max(model.units.values(), key=lambda u: model.depth(u.code)).level
    elif level not in levels:
        raise NotFound(f"'{level}' is not a level of the units ({', '.join(sorted(levels))})")
    units = [c for c, u in model.units.items() if u.level == level]
    data = snap.data([headline, *candidates])

    def panel(code: str) -> tuple[list[str], np.ndarray]:
        series = {u: dict(zip(*data.complete(code, u)[:2], strict=True)) for u in units}
        labels = sorted({p for s in series.values() for p in s}, key=Period.parse)
        if not labels:
            return [], np.empty((len(units), 0))
        grid = [p.code for p in period_range(Period.parse(labels[0]), Period.parse(labels[-1]))]
        return grid, np.array([[series[u].get(p, np.nan) for p in grid] for u in units])

    grid, head = panel(headline)
    if not grid:
        raise Conflict(f"no complete data for '{headline}' at level {level}")
    reporting = int(np.isfinite(head).any(axis=1).sum())

    def needed(lag: int) -> int:
        return minimum_periods(lag, max(reporting, 1), time_effects=reporting >= 3)

    if fit_lag:  # as many lags as the headline's periods allow (named leads, yearly data)
        while max_lag > 1 and needed(max_lag) > len(grid):
            max_lag -= 1
    least = needed(max_lag)
    why = (f"--max-lag {max_lag} on {reporting} reporting units needs {least} periods: "
           f"{MIN_ROWS_PER_UNIT} rows per unit after the difference and the lags, and "
           f"{MIN_RESIDUAL_DF} residual degrees of freedom in the pooled regression")
    panels, skipped = {}, []
    for c in candidates:
        c_grid, values = panel(c)
        common = sorted(set(grid) & set(c_grid), key=Period.parse)
        if len(common) < least:
            skipped.append({"candidate": c, "reason": f"{len(common)} periods in common with "
                            f"the headline, fewer than {least} ({why})"})
            continue
        index = {p: t for t, p in enumerate(c_grid)}
        panels[c] = np.array([[row[index[p]] if p in index else np.nan for p in grid]
                              for row in values])
    if not panels:
        raise Conflict(f"no candidate has {least} periods in common with '{headline}' "
                       f"({why}); try a smaller --max-lag")
    result = leads(head, panels, headline_code=headline, max_lag=max_lag,
                   period_type=ind.period_type, units=units,
                   time_effects="auto" if time_effects is None else time_effects,
                   inference=inference, permutations=permutations)
    out = result.to_dict()
    return LeadFinding(
        headline=out["headline"], transform=out["transform"], method=out["method"],
        inference=out["inference"], parameters=out["parameters"], notes=tuple(out["notes"]),
        results=tuple(out["results"]), level=level, units=tuple(units),
        periods=(grid[0], grid[-1]), skipped=tuple(skipped), ranked=tuple(result.ranked()),
        readings=LEAD_READINGS, as_of=iso(snap.as_of), data_as_of=iso(data.data_as_of))


# Lags tried for a priority's named leads: up to a year and a half (building permits lead
# completions by 13-17 months), fewer periods for coarser data.
NAMED_LEAD_MAX_LAG = {"month": 18, "quarter": 6, "year": 3}


def named_lead_evidence(snap: Snapshot, priority: str) -> dict[str, LeadEvidence]:
    """Whether each lead indicator a priority names does lead its headline, as known at the
    snapshot's moment: the finder run on that lead alone (its lags are the test family), at
    the deepest level where the two share enough periods. Leads of another period type, or
    with too little data at every level, are left out (their movement is still shown)."""
    model = snap.model
    p = check_priority(model, priority)
    head = model.indicators[p.headline]
    max_lag = NAMED_LEAD_MAX_LAG.get(str(head.period_type), 6)
    levels = sorted({u.level: model.depth(c) for c, u in model.units.items()}.items(),
                    key=lambda lv: -lv[1])
    evidence: dict[str, LeadEvidence] = {}
    for code in p.leads:
        if code not in model.indicators or model.indicators[code].period_type != head.period_type:
            continue
        for level, _ in levels:
            try:
                found = lead_indicators(snap, p.headline, candidates=[code], max_lag=max_lag,
                                        level=level, fit_lag=True)
            except StocktakeError:  # too little data in common at this level: try the next up
                continue
            row = found.ranked[0]
            evidence[code] = LeadEvidence(
                lag=row["lag"], q_value=row["q_value"], oos_gain=row["oos_gain"],
                sign_agreement=row["sign_agreement"], reading=row["reading"],
                reading_words=LEAD_READINGS[row["reading"]], level=level,
                units=row["units"], periods=found.periods,
                period_word=f"{head.period_type}s", method=found.method, notes=found.notes)
            break
    return evidence
