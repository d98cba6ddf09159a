"""The priorities at a glance: baseline, latest actual at the priority's scope, target, vintage."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from ..analysis.spc import ICON_COLOURS, ICON_LABELS
from ..analysis.trajectory import target_verdict
from ..model.periods import Period
from ..reports.formatting import verdict_sentence
from ..results.readings import UnitComparison
from ..store import delivery as delivery_store
from ..store import model_repo
from ..store.observations import data_as_of
from .clock import now_of
from .leads import attach_lead_evidence
from .readings import compare_units, spc_chart
from .series_data import Point, SeriesData, check_priority, iso, last_complete, read_model
from .snapshot import Snapshot
from .status import (
    priority_codes,
    priority_status,
    priority_trajectory,
    tolerance_of,
    unit_readings,
    verdict_block,
)

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
        verdict = None
        if data is not None:  # met or missed, once the target period is complete
            periods, values, _partial = data.complete(p.headline, p.scope)
            tolerance, mode = tolerance_of(p)
            found = target_verdict(p.baseline.period,
                                   Period.parse(p.target.period, indicator.period_type),
                                   p.target.value, dict(zip(periods, values, strict=True)),
                                   indicator.polarity, tolerance, mode)
            verdict = None if found is None else verdict_block(found, indicator.polarity)
        rows.append({
            "at_target_period": verdict,
            "decimals": indicator.decimals,
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


# -- the portfolio's row of icons, and the priority page ------------------------------------

PERIOD_WORDS = {"year": ("year", "years"), "quarter": ("quarter", "quarters"),
                "month": ("month", "months"), "week": ("week", "weeks"),
                "day": ("day", "days")}


def _freshness(latest_period: str | None, period_type: str, now: datetime,
               vintage: str | None) -> dict[str, Any]:
    """The newest complete period, how far it trails the period ``now`` falls in (that one is
    still running, so 1 is the usual lag), and when the data were last recorded."""
    current = Period.containing(now.date(), period_type)
    behind = None
    if latest_period is not None:
        behind = current - Period.parse(latest_period, period_type)
    one, many = PERIOD_WORDS[str(period_type)]
    if behind is None:
        text = "no complete period yet"
    elif behind == 0:
        text = f"the current {one}"
    else:
        text = f"{behind} {one if behind == 1 else many} behind the current {one}"
    return {"latest_period": latest_period, "current_period": current.code,
            "periods_behind": behind, "period_type": str(period_type), "text": text,
            "vintage": vintage}


def portfolio_rows(engine: Engine, *, as_of: datetime | None = None) -> dict[str, Any]:
    """Every priority as one row of signals, from one load of the data: SPC variation and
    assurance icons (with their Making Data Count words), the latest likelihood of delivery,
    the gap to the trajectory (on/off track) and the data's freshness, as known at as_of."""
    with engine.connect() as conn:
        model = model_repo.read_model(conn)
        rounds = delivery_store.assessments(conn, None, as_of)
    chosen = list(model.priorities.values())
    data = SeriesData.load(engine, model, priority_codes(model, chosen), as_of)
    status = priority_status(engine, as_of=as_of, units=False, forecasts="none", data=data)
    latest_round: dict[str, dict[str, Any]] = {}
    for r in rounds:  # oldest round first: the last one seen is the latest
        latest_round[r["priority"]] = r
    now = now_of(engine, as_of)
    rows = []
    for s in status["priorities"]:
        spc = s.get("spc") or {}
        ind = model.indicators[s["headline"]]
        variation, assurance = spc.get("variation_icon"), spc.get("assurance_icon")
        r = latest_round.get(s["code"])
        latest = s.get("latest")
        base, goal = s["stated_baseline"]["value"], s["stated_target"]["value"]
        progress = (None if latest is None or goal == base
                    else (latest["value"] - base) / (goal - base))
        verdict = s.get("at_target_period")
        if verdict is not None and goal != base:  # the distance covered by the deadline
            progress = (verdict["actual"] - base) / (goal - base)
        rows.append({
            "code": s["code"], "title": s["title"], "owner": s["owner"],
            "headline": s["headline"], "headline_name": s["headline_name"],
            "unit_of_measure": s["unit_of_measure"], "polarity": s["polarity"],
            "polarity_text": POLARITY_TEXT[s["polarity"]], "scope": s["scope"],
            "scope_name": s["unit_name"],
            "latest": None if latest is None else {"period": latest["period"],
                                                   "value": latest["value"]},
            "baseline": s["stated_baseline"], "target": s["stated_target"],
            "progress": progress,
            "spc_error": spc.get("error"),
            "variation_icon": variation,
            "variation_label": ICON_LABELS.get(variation) if variation else None,
            "variation_colour": ICON_COLOURS.get(variation) if variation else None,
            "assurance_icon": assurance,
            "assurance_label": ICON_LABELS.get(assurance) if assurance else None,
            "assurance_colour": ICON_COLOURS.get(assurance) if assurance else None,
            "assurance_note": spc.get("assurance_note"),
            "status_note": s.get("status_note"),
            "spc_trial": bool(spc.get("trial")),
            "likelihood": None if r is None else r["likelihood"],
            "assessed_on": None if r is None else r["assessed_on"],
            "round": None if r is None else r["round"],
            "status": s["status"], "expected": s["expected"], "gap": s["gap"],
            "gap_pct": s["gap_pct"], "decimals": s.get("decimals"),
            "at_target_period": s.get("at_target_period"),
            "verdict_text": (verdict_sentence(s["at_target_period"], s["unit_of_measure"],
                                              s.get("decimals"))
                             if s.get("at_target_period") else None),
            "freshness": _freshness(None if latest is None else latest["period"],
                                    ind.period_type, now, s["data_as_of"]),
        })
    return {"as_of": iso(as_of), "data_as_of": status["data_as_of"], "now": now.isoformat(),
            "priorities": rows}


def priority_page(engine: Engine, code: str, *, as_of: datetime | None = None
                  ) -> dict[str, Any]:
    """What the priority page reads, from one load of the data: the status (units one level
    down), the trajectory with its forecast, the SPC chart of the headline at the scope (None
    when there are too few periods), each unit's readings for small multiples, and a
    funnel comparison of the units one level down in the latest complete period (or why
    there is none), and whether each named lead does lead the headline. Raises ValueError
    for an unknown priority."""
    model = read_model(engine)
    p = check_priority(model, code)
    data = SeriesData.load(engine, model, priority_codes(model, [p]), as_of)
    status = priority_status(engine, priority=code, as_of=as_of, units=True,
                             forecasts="none", data=data)
    trajectory = priority_trajectory(engine, code, as_of=as_of, data=data)
    units = unit_readings(engine, code, as_of=as_of, data=data)
    head = status["priorities"][0]
    snap = Snapshot(engine, as_of, model=model)
    attach_lead_evidence(snap, code, head)
    try:
        spc = spc_chart(snap, p.headline, p.scope)
    except ValueError:  # too few complete periods for limits: the page says so
        spc = None
    kids = [u for u in model.units.values() if u.parent == p.scope]
    level = kids[0].level if kids else None
    funnel: UnitComparison | None = None
    funnel_note: str | None = None
    if head.get("latest") is None:
        funnel_note = "No complete period yet, so no comparison of units."
    elif level is None:
        funnel_note = f"{head['unit_name']} has no units below it to compare."
    else:
        try:
            funnel = compare_units(snap, p.headline, head["latest"]["period"], level=level)
        except ValueError as exc:  # e.g. not a ratio indicator: the page says why
            funnel_note = str(exc)
        else:  # the x axis's name: the denominator as the model describes it
            den = model.indicators.get(funnel.denominator)
            if den is not None:
                funnel = replace(funnel, denominator_info={"name": den.name,
                                                           "unit_of_measure": den.unit})
    return {"status": status, "p": head, "trajectory": trajectory, "spc": spc, "units": units,
            "funnel": funnel, "funnel_note": funnel_note, "funnel_level": level}
