"""The priorities at a glance: baseline, latest actual at the priority's scope, target, vintage."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from ..store import model_repo
from ..store.observations import data_as_of
from .series_data import Point, SeriesData, last_complete

POLARITY_TEXT = {"up": "higher is better", "down": "lower is better", "neutral": "neutral"}


def priority_overview(engine: Engine, *, as_of: datetime | None = None) -> dict[str, Any]:
    """Every priority with its latest actual at its scope, computed from data known at as_of.

    The latest actual is the newest complete period (every unit expected to report did so,
    all the way down); if no period is complete, the newest period is given with its
    coverage.
    """
    with engine.connect() as conn:
        model = model_repo.read_model(conn)
        vintage = data_as_of(conn, as_of)
    codes = {p.headline for p in model.priorities.values()}
    data = SeriesData.load(engine, model, codes, as_of) if codes else None
    rows = []
    for p in model.priorities.values():
        indicator = model.indicators[p.headline]
        latest_point = _latest_point(data.points(p.headline, p.scope)) if data else None
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


def _latest_point(points: list[Point]) -> dict[str, Any] | None:
    with_value = [pt for pt in points if pt.value is not None]
    if not with_value:
        return None
    done = last_complete(points)
    chosen = done or with_value[-1]
    coverage = 1.0 if chosen.coverage is None else chosen.coverage
    return {"period": chosen.period, "value": chosen.value,
            "coverage": 1.0 if done else coverage, "complete": done is not None}
