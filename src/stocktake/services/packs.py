"""Everything a stocktake pack shows, gathered from what was known at --as-of, so that a
pack regenerated for the same moment has the same numbers. Rendering is in reports/."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from .. import __version__
from ..delivery import plans as dp
from ..delivery.questions import questions_from_data
from ..delivery.stocktakes import FIVE_QUESTIONS
from ..store import delivery as store
from ..store.db import get_meta
from . import assessments, chains
from .clock import now_of
from .leads import attach_lead_evidence
from .plans import plan_summary
from .quality import FORMULA, data_quality
from .readings import spc_chart
from .series_data import SeriesData, check_priority, iso, read_model
from .snapshot import Snapshot
from .status import (
    PARTIAL_RULE,
    priority_codes,
    priority_status,
    priority_trajectory,
    unit_readings,
)
from .stocktakes import stocktake_overview

QUALITY_CONCERN_BELOW = chains.POOR_QUALITY_BELOW


def _period_word(period_type: str) -> str:
    return {"month": "months", "quarter": "quarters", "year": "years", "week": "weeks",
            "day": "days"}.get(period_type, "periods")


def pack_context(engine: Engine, priority: str, *, as_of: datetime | None = None
                 ) -> dict[str, Any]:
    """The numbers, words and pictures' data of one priority's stocktake pack."""
    model = read_model(engine)
    p = check_priority(model, priority)
    ind = model.indicators[p.headline]
    now = now_of(engine, as_of)
    today = now.date()

    # One load of the data, read four ways (status, trajectory, SPC, units).
    data = SeriesData.load(engine, model, priority_codes(model, [p]), as_of)
    status = priority_status(engine, priority=priority, as_of=as_of, units=True,
                             forecasts="none", data=data)
    head = status["priorities"][0]
    trajectory = priority_trajectory(engine, priority, as_of=as_of, data=data)
    forecast = trajectory.get("forecast") or {}
    head["forecast"] = forecast
    head["probability_of_meeting"] = forecast.get("probability_of_meeting")
    snap = Snapshot(engine, as_of, model=model)
    attach_lead_evidence(snap, priority, head)
    try:
        spc = spc_chart(snap, p.headline, p.scope)
    except ValueError as exc:
        spc = {"error": str(exc), "points": []}
    units = unit_readings(engine, priority, as_of=as_of, data=data)

    quality = data_quality(Snapshot(engine, now, model=model))
    scope_units = {p.scope, *(u["unit"] for u in units["units"])}
    quality_rows = [r for r in quality.units if r.unit in scope_units]
    chain = chains.analyse(engine, model, priority, as_of=as_of, quality=quality)  # or None

    with engine.connect() as conn:
        plan_rows = store.versions(conn, "plan", priority, as_of)
    plan = None
    if plan_rows:
        row = plan_rows[-1]
        parsed = dp.parse_plan(row["document"], model, priority)
        plan = {"version": row["version"], "author": row["author"], "reason": row["reason"],
                "recorded_at": iso(row["recorded_at"]), "plan": parsed.to_dict(),
                "versions": len(plan_rows), "changes_since_last": [],
                **vars(plan_summary(model, p, parsed, now))}  # its fields, typed
        if len(plan_rows) > 1:
            before = dp.parse_plan(plan_rows[-2]["document"], model, priority)
            plan["changes_since_last"] = dp.diff_lines(dp.plan_diff(before, parsed))

    assessment = assessments.show_assessments(engine, priority, as_of=as_of, status_row=head)
    routine = stocktake_overview(engine, priority, as_of=as_of)

    word = _period_word(ind.period_type)
    questions = questions_from_data({
        # the subject of each question: "the violent crime rate was 129.3 ..."
        "priority_title": "the " + ind.name[:1].lower() + ind.name[1:],
        "unit_of_measure": ind.unit, "polarity": ind.polarity.value,
        "period_word": word,
        "headline": {"status": head.get("status"), "gap": head.get("gap"),
                     "gap_pct": head.get("gap_pct"), "expected": head.get("expected"),
                     "latest": head.get("latest"),
                     "at_target_period": head.get("at_target_period"),
                     "probability_of_meeting": head.get("probability_of_meeting"),
                     "variation_icon": (head.get("spc") or {}).get("variation_icon"),
                     "assurance_icon": (head.get("spc") or {}).get("assurance_icon")},
        "units": [{"unit_name": u["unit_name"], "status": u["status"],
                   "off_track_run": u["off_track_run"], "gap_pct": u.get("gap_pct")}
                  for u in units["units"]],
        "counters": [_direction(m) for m in head.get("counters") or []],
        "leads": [_direction(m) for m in head.get("leads") or []],
        "quality": [{"unit_name": r.name, "score": r.score} for r in quality_rows],
        # delivery.questions reads plain mappings (the domain does not know results/)
        "overdue_milestones": [m.to_json() for m in (plan or {}).get("overdue_milestones", ())],
        "overdue_actions": [{"text": a["text"], "owner": a["owner"],
                             "days_overdue": a["days_overdue"]}
                            for a in routine.carried_over if a["days_overdue"] > 0],
        "disagreements": list(assessment.flags),
    })

    last_meeting = routine.stocktakes[-1] if routine.stocktakes else None
    return {
        "kind": "pack",
        "title": f"Stocktake: {p.title}",
        "world_label": get_meta(engine, "world_label"),
        "generated_at": iso(datetime.now().replace(microsecond=0)),
        "as_of": iso(as_of), "today": today.isoformat(),
        "data_as_of": head.get("data_as_of") or status["data_as_of"],
        "priority": {"code": p.code, "title": p.title, "aspiration": p.aspiration,
                     "owner": p.owner, "scope": p.scope, "scope_name": model.units[p.scope].name,
                     "headline": ind.code, "headline_name": ind.name,
                     "definition": ind.definition, "unit_of_measure": ind.unit,
                     "polarity": ind.polarity.value, "period_type": ind.period_type,
                     "baseline": head["stated_baseline"], "target": head["stated_target"]},
        "period_word": word,
        "headline": head, "trajectory": trajectory, "spc": spc, "units": units["units"],
        "leads": head.get("leads") or [], "counters": head.get("counters") or [],
        "quality": {"units": quality_rows, "concern_below": QUALITY_CONCERN_BELOW,
                    "formula": quality.formula},
        "chain": None if chain is None else chain[0],
        "chain_object": None if chain is None else chain[1],
        "plan": plan,
        "assessment": assessment,
        "routine": routine, "last_stocktake": last_meeting,
        "questions": questions,
        "five_questions": list(FIVE_QUESTIONS),
        "methods": _methods(head, trajectory, spc),
    }


def _direction(m: dict[str, Any]) -> dict[str, Any]:
    direction = {"improving": "better", "worsening": "worse"}.get(m.get("movement") or "",
                                                                    "flat")
    return {"name": m["name"], "direction": direction, "change": m.get("change"),
            "period": m.get("period"), "unit_of_measure": m.get("unit_of_measure")}


def _methods(head: dict[str, Any], trajectory: dict[str, Any], spc: dict[str, Any]
             ) -> list[dict[str, str]]:
    """What every number rests on, named with its parameters."""
    traj = head.get("trajectory") or {}
    forecast = trajectory.get("forecast") or {}
    out = [
        {"name": "Trajectory", "text": f"{traj.get('method', 'none')} from the baseline to the "
         f"target; parameters {traj.get('parameters') or {}}; "
         f"{head['tolerance']['rule']}."},
        {"name": "Complete periods", "text": PARTIAL_RULE},
        *([{"name": "Target met or missed",
            "text": head["at_target_period"]["rule"][:1].upper()
            + head["at_target_period"]["rule"][1:] + "."}]
          if head.get("at_target_period") else []),
        {"name": "Statistical process control", "text": "XmR chart with Making Data Count "
         "rules (a point outside the limits; a run of 7 rising or falling; 2 of 3 near a "
         "limit; 7 on one side of the mean); limits from the whole series with outliers "
         "screened" + (f"; {spc['error']}" if spc.get("error") else "") + ". "
         + (spc.get("method", "") + ". " + spc.get("reading_note", "")).strip()},
        {"name": "Data quality", "text": FORMULA},
        {"name": "Software", "text": f"stocktake {__version__}"},
    ]
    if forecast.get("model"):
        params = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                           for k, v in (forecast.get("params") or {}).items())
        out.insert(2, {"name": "Forecast", "text": f"{forecast['model']} ({params}) fitted "
                       f"to {forecast.get('n_observations')} complete periods from "
                       f"{forecast.get('first_period')} to {forecast.get('last_observed')}; "
                       f"intervals: {forecast.get('interval_method')}; "
                       f"{forecast.get('probability_rule', '')}."})
    elif forecast.get("error"):
        out.insert(2, {"name": "Forecast", "text": f"none: {forecast['error']}"})
    return out


def write_pack(engine: Engine, priority: str, out: str, *, as_of: datetime | None = None
               ) -> dict[str, Any]:
    """Gather, render and write one pack (.html or .pdf); returns what it holds."""
    from ..reports.render import render_pack, write_document

    context = pack_context(engine, priority, as_of=as_of)
    path = write_document(render_pack(context), out)
    head = context["headline"]
    return {"priority": priority, "out": str(path), "as_of": context["as_of"],
            "data_as_of": context["data_as_of"], "latest": head.get("latest"),
            "expected": head.get("expected"), "status": head.get("status"),
            "probability_of_meeting": head.get("probability_of_meeting"),
            "questions": [q["question"] for q in context["questions"]]}
