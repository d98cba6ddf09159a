"""The priorities at a glance: baseline, latest actual at the priority's scope, target, vintage."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from ..analysis.rollup import roll_up_series
from ..model.entities import DeliveryModel, Indicator
from ..model.periods import Period
from ..store import model_repo
from ..store.observations import data_as_of, latest

POLARITY_TEXT = {"up": "higher is better", "down": "lower is better", "neutral": "neutral"}


def components(model: DeliveryModel, code: str) -> set[str]:
    """The indicator and every indicator its roll-up needs (numerator, denominator, weight)."""
    out, todo = set(), [code]
    while todo:
        c = todo.pop()
        if c in out or c not in model.indicators:
            continue
        out.add(c)
        ind: Indicator = model.indicators[c]
        todo += [r for r in (ind.numerator, ind.denominator, ind.weight) if r]
    return out


def observed_values(engine: Engine, model: DeliveryModel, indicator_codes: set[str],
                    as_of: datetime | None) -> dict[tuple[str, str], dict[str, float]]:
    """{(indicator, unit): {period: value}} as known at ``as_of``."""
    with engine.connect() as conn:
        df = latest(conn, as_of=as_of, indicators=sorted(indicator_codes))
    observed: dict[tuple[str, str], dict[str, float]] = {}
    for ind, unit, period, value in df.select("indicator", "unit", "period", "value").iter_rows():
        observed.setdefault((ind, unit), {})[period] = value
    return observed


def priority_overview(engine: Engine, *, as_of: datetime | None = None) -> dict[str, Any]:
    """Every priority with its latest actual at its scope, computed from data known at as_of.

    The latest actual is the newest period in which every unit expected to report did so;
    if no period is complete, the newest period is given with its coverage.
    """
    with engine.connect() as conn:
        model = model_repo.read_model(conn)
        vintage = data_as_of(conn, as_of)
    needed: set[str] = set()
    for p in model.priorities.values():
        needed |= components(model, p.headline)
    observed = observed_values(engine, model, needed, as_of) if needed else {}
    rows = []
    for p in model.priorities.values():
        indicator = model.indicators[p.headline]
        series = roll_up_series(model, p.headline, p.scope, observed)
        latest_point = _latest_point(series)
        progress = None
        if latest_point is not None and p.target.value != p.baseline.value:
            progress = (latest_point["value"] - p.baseline.value) / (
                p.target.value - p.baseline.value)
        rows.append({
            "code": p.code,
            "title": p.title,
            "owner": p.owner,
            "headline": p.headline,
            "headline_name": indicator.name,
            "unit_of_measure": indicator.unit,
            "polarity": indicator.polarity.value,
            "polarity_text": POLARITY_TEXT[indicator.polarity.value],
            "scope": p.scope,
            "scope_name": model.units[p.scope].name if p.scope in model.units else p.scope,
            "baseline": {"period": p.baseline.period, "value": p.baseline.value},
            "target": {"period": p.target.period, "value": p.target.value},
            "latest": latest_point,
            "progress": progress,
        })
    return {
        "as_of": as_of.isoformat() if as_of else None,
        "data_as_of": vintage.isoformat() if vintage else None,
        "priorities": rows,
    }


def _latest_point(series: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    points = [{"period": p, **s} for p, s in series.items() if s.get("value") is not None]
    if not points:
        return None
    points.sort(key=lambda s: Period.parse(s["period"]))
    complete = [s for s in points if s.get("coverage", 1.0) >= 1.0]
    chosen = complete[-1] if complete else points[-1]
    return {"period": chosen["period"], "value": chosen["value"],
            "coverage": chosen.get("coverage", 1.0),
            "complete": chosen.get("coverage", 1.0) >= 1.0}
