"""Everything a stocktake pack shows, gathered from what was known at --as-of, so that a
pack regenerated for the same moment has the same numbers. Rendering is in reports/."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from ... import __version__
from ...analysis.wording import Sentence
from ...delivery import plans as dp
from ...delivery import questions as dq
from ...delivery.stocktakes import FIVE_QUESTIONS
from ...errors import Invalid, Problem, StocktakeError
from ...model.entities import Aggregation, DeliveryModel, Indicator
from ...reports import locale
from ...reports import method_words as mw
from ...reports.method_words import trajectory_in_words
from ...reports.said import said_in
from ...reports.wording import wording
from ...results import encode
from ...results.readings import SpcChart
from ...results.status import (
    ForecastReading,
    Movement,
    PriorityStatus,
    PriorityTrajectory,
    Unavailable,
)
from ...store import delivery as store
from ...store.db import get_meta
from ..reading.alerts import alerts
from ..reading.overview import with_lead_evidence
from ..reading.quality import FORMULA, data_quality
from ..reading.readings import UnitComparison, compare_units, spc_chart
from ..reading.series_data import check_priority, iso
from ..reading.snapshot import Snapshot
from ..reading.status import (
    PARTIAL_RULE,
    priority_status,
    priority_trajectory,
    unit_readings,
)
from ..routines import assessments, chains
from ..routines.escalation import escalation_brief
from ..routines.plans import plan_summary
from ..routines.stocktakes import stocktake_overview
from .trust import bearing_on_headline, priority_trust, with_credit

QUALITY_CONCERN_BELOW = chains.POOR_QUALITY_BELOW
QUALITY_SHOWN = 7  # the lowest-scoring units the pack names, the same in every format


def _period_word(period_type: str) -> str:
    return {"month": "months", "quarter": "quarters", "year": "years", "week": "weeks",
            "day": "days"}.get(period_type, "periods")


def _counted(t: Any, word: str) -> str:
    """The period's word after a number, translated: French counts years in "ans" ("depuis
    15 ans") where it names them "années" ("les années à venir")."""
    counted = t.pgettext("a number of", word)
    return t.gettext(word) if counted == word else counted


def _counts_read_as_counts(questions: list[dict[str, Any]], word: str, counted: str
                           ) -> list[dict[str, Any]]:
    """The questions with a number followed by the period's word in its counted form
    ("depuis 15 années" reads "depuis 15 ans"): the questions' wording has one word for
    the period, for counts and names alike."""
    if word == counted:
        return questions
    after_a_number = re.compile(r"(\d+)(\s)" + re.escape(word) + r"\b")
    return [{**q, **{k: after_a_number.sub(r"\1\2" + counted, q[k])
                     for k in ("question", "evidence") if isinstance(q.get(k), str)}}
            for q in questions]


def pack_context(engine: Engine, priority: str, *, as_of: datetime | None = None,
                 lang: str = "en", snapshot: Snapshot | None = None) -> dict[str, Any]:
    """The numbers, words and pictures' data of one priority's stocktake pack; in French
    (``lang`` fr) with the model's French names where it has them; the chain's summary and
    the plan's checks and changes written in ``lang``. ``snapshot``: the world read at
    ``as_of`` already opened (write_pack's, which its funnel plot reads too)."""
    # One snapshot, read every way (status, trajectory, SPC, units, ...).
    snap = _snapshot(engine, as_of, snapshot)
    model = snap.model
    p = check_priority(model, priority)
    ind = model.indicators[p.headline]
    now = snap.now
    today = now.date()

    status = priority_status(snap, priority=priority, units=True, forecasts="none")
    trajectory = priority_trajectory(snap, priority)
    # The headline's forecast is the trajectory's (with its path), fitted once.
    forecast = trajectory.forecast
    head = dataclasses.replace(
        with_lead_evidence(snap, status.priorities[0]), forecast=forecast,
        probability_of_meeting=(forecast.probability_of_meeting
                                if isinstance(forecast, ForecastReading) else None))
    spc: SpcChart | None = None
    spc_error: str | None = None  # why there are no control limits
    try:
        spc = spc_chart(snap, p.headline, p.scope)
    except StocktakeError as exc:
        spc_error = str(exc)
    units = unit_readings(snap, priority)
    # Can we trust these numbers? The alerts on the data as known then, reviewed as then.
    raised = alerts(snap, priority=priority)
    trust = {**priority_trust(model, priority, raised, lang),
             "units": {u.unit: len(bearing_on_headline(raised, u.unit, priority))
                       for u in units.units}}

    # The scores only: the pack shows its units' lowest scores, not their league places.
    quality = data_quality(Snapshot(engine, now, model=model), league=False)
    scope_units = {p.scope, *(u.unit for u in units.units)}
    quality_rows = [r for r in quality.units if r.unit in scope_units]
    chain = chains.analyse(engine, model, priority, as_of=as_of, quality=quality,
                           lang=lang)  # or None

    with engine.connect() as conn:
        plan_rows = store.versions(conn, "plan", priority, as_of)
    plan = None
    if plan_rows:
        row = plan_rows[-1]
        parsed = dp.parse_plan(row["document"], model, priority)
        plan = {"version": row["version"], "author": row["author"], "reason": row["reason"],
                "recorded_at": iso(row["recorded_at"]), "plan": parsed.to_dict(),
                "versions": len(plan_rows), "changes_since_last": [],
                **vars(plan_summary(model, p, parsed, now, lang=lang))}  # its fields, typed
        if len(plan_rows) > 1:
            before = dp.parse_plan(plan_rows[-2]["document"], model, priority)
            plan["changes_since_last"] = dp.diff_lines(dp.plan_diff(before, parsed),
                                                        wording(lang))

    assessment = assessments.show_assessments(engine, priority, as_of=as_of, status_row=head)
    routine = stocktake_overview(engine, priority, as_of=as_of)

    word = _period_word(ind.period_type)

    def unit_name(code: str, english: str) -> str:  # the questions name units in ``lang``
        return english if lang == "en" or code not in model.units else model.units[
            code].name_in(lang)

    def moved(m: Movement) -> dict[str, Any]:
        named = lang != "en" and m.code in model.indicators
        return {**_direction(m), "name": model.indicators[m.code].name_in(lang) if named
                else m.name}

    questions = dq.questions_from_data({
        # the subject of each question: "the violent crime rate was 129.3 ..."
        "priority_title": _subject(ind, lang),
        "unit_of_measure": ind.unit_in(lang), "polarity": ind.polarity.value,
        "period_word": locale.translations(lang).gettext(word),
        "headline": {"status": head.status, "gap": head.gap,
                     "gap_pct": head.gap_pct, "expected": head.expected,
                     "latest": None if head.latest is None else encode(head.latest),
                     "at_target_period": (None if head.at_target_period is None
                                          else encode(head.at_target_period)),
                     "probability_of_meeting": head.probability_of_meeting,
                     "variation_icon": getattr(head.spc, "variation_icon", None),
                     "assurance_icon": getattr(head.spc, "assurance_icon", None)},
        "units": [{"unit_name": unit_name(u.unit, u.unit_name), "status": u.status,
                   "off_track_run": u.off_track_run, "gap_pct": u.gap_pct}
                  for u in units.units],
        "counters": [moved(m) for m in head.counters],
        "leads": [moved(m) for m in head.leads],
        "quality": [{"unit_name": unit_name(r.unit, r.name), "score": r.score}
                    for r in quality_rows],
        # delivery.questions reads plain mappings (the domain does not know results/)
        "overdue_milestones": [m.to_json() for m in (plan or {}).get("overdue_milestones", ())],
        "overdue_actions": [{"text": a.text, "owner": a.owner, "days_overdue": a.days_overdue}
                            for a in routine.carried_over if a.days_overdue > 0],
        "disagreements": [{**f, "message": said_in(f["message"], lang)}  # a Text, said
                          for f in assessment.flags],
    }, wording=questions_wording(lang))

    questions = with_credit(questions, raised, priority, questions_wording(lang))
    t = locale.translations(lang)
    questions = _counts_read_as_counts(questions, t.gettext(word), _counted(t, word))
    last_meeting = routine.stocktakes[-1] if routine.stocktakes else None
    context = {
        "kind": "pack",
        "title": f"Stocktake: {p.title}",
        "world_label": get_meta(engine, "world_label"),
        "generated_at": iso(datetime.now().replace(microsecond=0)),
        "as_of": iso(as_of), "today": today.isoformat(),
        "data_as_of": head.data_as_of or status.data_as_of,
        "priority": {"code": p.code, "title": p.title, "aspiration": p.aspiration,
                     "owner": p.owner, "scope": p.scope, "scope_name": model.units[p.scope].name,
                     "headline": ind.code, "headline_name": ind.name,
                     "definition": ind.definition, "source": _source(model, ind),
                     "unit_of_measure": ind.unit,
                     "polarity": ind.polarity.value, "period_type": ind.period_type,
                     "baseline": head.stated_baseline, "target": head.stated_target},
        "period_word": word, "period_count_word": word,
        "headline": head, "trajectory": trajectory, "spc": spc, "units": units.units,
        "leads": head.leads, "counters": head.counters,
        "trust": trust,
        "quality": {"units": quality_rows, "concern_below": QUALITY_CONCERN_BELOW,
                    "formula": quality.formula, "timeliness_rule": quality.timeliness_rule,
                    "shown": QUALITY_SHOWN},
        "chain": None if chain is None else chain[0],
        "chain_object": None if chain is None else chain[1],
        "plan": plan,
        "assessment": assessment,
        "routine": routine, "last_stocktake": last_meeting,
        "questions": questions,
        "escalation": escalation_brief(engine, priority=priority, as_of=as_of),
        "five_questions": list(FIVE_QUESTIONS),
        "methods": _methods(head, trajectory, spc, spc_error),
        "aim_trajectory": _aim_trajectory(head, lang),
    }
    return context if lang == "en" else in_language(context, model, lang)


def _aim_trajectory(head: PriorityStatus, lang: str) -> dict[str, str | None]:
    """The trajectory's method and tolerance as question 1 states them: in English the
    method's name, as it always was; in another language its shape; the tolerance said from
    the methods annex's sentence (reports.method_words: within 2,100, its figure grouped)."""
    method = None if head.trajectory is None else head.trajectory.method
    tolerance = said_in(head.tolerance.rule, lang)  # a Sentence (services.reading.status)
    if lang == "en":
        return {"method": method, "tolerance": tolerance}
    shape = None if method is None else said_in(mw.trajectory_shape(method), lang)
    return {"method": None if shape is None else shape.rstrip("."),  # a clause follows
            "tolerance": tolerance}


def _subject(ind: Indicator, lang: str) -> str:
    """The headline as the questions name it: "the violent crime rate"; in French, whose
    article depends on a gender the model does not record, "l’indicateur « Taux ... »"."""
    if lang == "fr":
        return "l’indicateur " + locale.quoted(ind.name_in(lang), lang)
    return "the " + ind.name[:1].lower() + ind.name[1:]


def questions_wording(lang: str) -> dq.Language:
    """The questions from the data in ``lang``: their catalogue (delivery/locale, domain
    ``questions``), the locale's numbers and its plural rule for a count of points."""
    return wording(lang, dq.DOMAIN)


def trajectory_in(trajectory: PriorityTrajectory, model: DeliveryModel,
                  lang: str) -> PriorityTrajectory:
    """A trajectory as a chart in ``lang`` names it: its headline, its unit of measure (the
    y axis) and the unit it is read at, in the model's words of ``lang`` (the English
    where the model has no translation)."""
    if lang == "en":
        return trajectory
    ind = model.indicators[trajectory.headline]
    unit = model.units.get(trajectory.unit)
    return dataclasses.replace(
        trajectory, title=model.priorities[trajectory.priority].title_in(lang),
        headline_name=ind.name_in(lang), unit_of_measure=ind.unit_in(lang),
        unit_name=unit.name_in(lang) if unit else trajectory.unit_name)


def in_language(context: dict[str, Any], model: DeliveryModel, lang: str) -> dict[str, Any]:
    """A pack's context with the model's names in ``lang`` (the English name where the model
    has no translation): the priority, its headline, scope, units, leads and counters, and
    the units of measure they are in."""
    t = locale.translations(lang)
    p = model.priorities[context["priority"]["code"]]
    ind = model.indicators[p.headline]

    def unit_name(code: str, english: str) -> str:
        return model.units[code].name_in(lang) if code in model.units else english

    def indicator_name(code: str, english: str) -> str:
        return model.indicators[code].name_in(lang) if code in model.indicators else english

    def moved(m: Movement) -> Movement:
        unit = (model.indicators[m.code].unit_in(lang) if m.code in model.indicators
                else m.unit_of_measure)
        return dataclasses.replace(m, name=indicator_name(m.code, m.name), unit_of_measure=unit)

    head: PriorityStatus = context["headline"]
    head = dataclasses.replace(head, headline_name=ind.name_in(lang),
                               unit_of_measure=ind.unit_in(lang),
                               leads=tuple(moved(m) for m in head.leads),
                               counters=tuple(moved(m) for m in head.counters))
    french = lang == "fr"
    plan = context["plan"]
    if plan is not None:  # the checks' names (their details are written in lang already)
        plan = {**plan, "checklist": tuple({**c, "check": wording(lang).say(c["check"])}
                                           for c in plan["checklist"])}
    return {
        **context,
        "plan": plan,
        "trajectory": trajectory_in(context["trajectory"], model, lang),
        "title": t.gettext("Stocktake: %(title)s") % {"title": p.title_in(lang)},
        "priority": {**context["priority"], "title": p.title_in(lang),
                     "aspiration": (p.aspiration_fr if french else "") or p.aspiration,
                     "scope_name": unit_name(p.scope, context["priority"]["scope_name"]),
                     "headline_name": ind.name_in(lang),
                     "unit_of_measure": ind.unit_in(lang),
                     "definition": (ind.definition_fr if french else "") or ind.definition},
        "period_word": t.gettext(context["period_word"]),
        "period_count_word": _counted(t, context["period_word"]),
        "headline": head, "leads": head.leads, "counters": head.counters,
        "units": [dataclasses.replace(u, unit_name=unit_name(u.unit, u.unit_name))
                  for u in context["units"]],
        "quality": {**context["quality"], "units": [
            dataclasses.replace(r, name=unit_name(r.unit, r.name))
            for r in context["quality"]["units"]]},
    }


def _source(model: DeliveryModel, ind: Indicator) -> str:
    """Where an indicator's figures come from, as the model says: its own source, or for a
    rate without one, its numerator's and denominator's."""
    if ind.source or not (ind.numerator and ind.denominator):
        return ind.source
    parts = [model.indicators[code] for code in (ind.numerator, ind.denominator)
             if code in model.indicators]
    return "; ".join(f"{part.name}: {part.source}" for part in parts if part.source)


def _direction(m: Movement) -> dict[str, Any]:
    direction = {"improving": "better", "worsening": "worse"}.get(m.movement or "", "flat")
    return {"name": m.name, "direction": direction, "change": m.change,
            "period": m.period, "unit_of_measure": m.unit_of_measure}


def _chart_said(spc: SpcChart | None) -> str:
    """The chart's method and its reading note, each a sentence ("." with no chart)."""
    if spc is None:
        return "."
    if not spc.reading_note:
        return Sentence("%(method)s.", method=spc.method)
    return Sentence("%(method)s. %(note)s", method=spc.method, note=spc.reading_note)


def _methods(head: PriorityStatus, trajectory: PriorityTrajectory, spc: SpcChart | None,
             spc_error: str | None) -> list[dict[str, str]]:
    """What every number rests on, named with its parameters."""
    traj = head.trajectory
    forecast = trajectory.forecast
    verdict = head.at_target_period
    tolerance = head.tolerance
    out = [
        # Sentences (analysis.wording), said in the pack's language by its template
        {"name": "Trajectory", "text": Sentence("%(trajectory)s Tolerance: %(rule)s.",
                                                trajectory=trajectory_in_words(
            None if traj is None else traj.method, None if traj is None else traj.parameters),
                                                rule=tolerance.rule)},
        {"name": "Complete periods",
         "text": mw.said_again(Sentence(mw.COMPLETE_PERIODS), PARTIAL_RULE)},
        *([{"name": "Target met or missed", "text": mw.said_again(mw.target_rule_in_words(
            head.polarity, verdict.period, verdict.target, tolerance.value, tolerance.mode),
            verdict.rule[:1].upper() + verdict.rule[1:] + ".")}] if verdict else []),
        {"name": "Statistical process control", "text": Sentence(
            "XmR chart with Making Data Count rules (a point outside the limits; a run of 7 "
            "rising or falling; 2 of 3 near a limit; 7 on one side of the mean); limits from "
            "the whole series with outliers screened%(error)s. %(chart)s",
            error=f"; {spc_error}" if spc_error else "", chart=_chart_said(spc))},
        {"name": "Data quality", "text": mw.said_again(Sentence(mw.QUALITY_SCORE), FORMULA)},
        {"name": "Alerts", "text": Sentence(
            "Counter alerts (the headline improving beyond noise while a counter worsens), "
            "ratio shifts of indicators declared to move together, local breaks, and drifts "
            "of a counter the worse way; each unit read against the median of its peers at "
            "its level, a change point with the shifted points against XmR limits from "
            "before it (stocktake's methods: alerts). Reviews as recorded up to the pack's "
            "moment.")},
        {"name": "Software", "text": f"stocktake {__version__}"},
    ]
    if isinstance(forecast, ForecastReading) and forecast.model:
        params = ", ".join(f"{k}={_parameter(v)}" for k, v in (forecast.params or {}).items())
        english = (f"{forecast.model} ({params}) fitted to {forecast.n_observations} "
                   f"complete periods from {forecast.first_period} to "
                   f"{forecast.last_observed}; intervals: {forecast.interval_method}; "
                   f"{forecast.probability_rule or ''}.")
        out.insert(2, {"name": "Forecast", "text": mw.said_again(mw.forecast_in_words(
            forecast.model, params, forecast.n_observations, forecast.first_period,
            forecast.last_observed, forecast.interval_method, forecast.probability_rule or ""),
            english)})
    elif isinstance(forecast, Unavailable) and forecast.error:
        out.insert(2, {"name": "Forecast", "text": mw.no_forecast_in_words(forecast.error)})
    return out



def _parameter(v: Any) -> str:
    """A model's parameter in the methods annex: three significant figures, whole from
    1,000 on with no separator (sigma=1280, not 1.28e+03; in French a comma would read as
    the decimal mark)."""
    if not isinstance(v, float):
        return str(v)
    return f"{v:.0f}" if abs(v) >= 1000 else f"{v:.3g}"

PACK_FORMATS = (".html", ".pdf", ".pptx")


def write_pack(engine: Engine, priority: str, out: str, *, as_of: datetime | None = None,
               theme: str | None = None, lang: str = "en") -> dict[str, Any]:
    """Gather, render and write one pack (.html, .pdf, or a .pptx deck in the colours of
    ``theme``, a theme file, else the model's theme) in ``lang`` (en or fr); returns what
    it holds."""
    from ...reports.render import check_out, render_pack, write_document
    from ...reports.theme import load_theme
    from ..data.model_service import model_theme

    check_language(lang)
    path = check_out(out, PACK_FORMATS)  # a bad --out or theme is refused before any work
    look = load_theme(theme, model_theme(engine))
    # One snapshot for the context and the funnel plot: the model and the headline's data
    # read once, and both from the same world.
    snap = Snapshot(engine, as_of)
    context = pack_context(engine, priority, as_of=as_of, lang=lang, snapshot=snap)
    funnel, why_not = headline_funnel(engine, context, as_of=as_of, lang=lang, snapshot=snap)
    if path.suffix.lower() == ".pptx":
        from ...reports.deck import write_deck

        write_deck(context, path, look, funnel=funnel, funnel_note=why_not, lang=lang)
    else:
        write_document(render_pack(context, funnel=funnel, funnel_note=why_not, lang=lang),
                       path)
    head: PriorityStatus = context["headline"]
    return {"priority": priority, "out": str(path), "as_of": context["as_of"],
            "data_as_of": context["data_as_of"], "latest": head.latest,
            "expected": head.expected, "status": head.status,
            "probability_of_meeting": head.probability_of_meeting,
            "questions": [q["question"] for q in context["questions"]]}


def headline_funnel(engine: Engine, context: dict[str, Any], *,
                    as_of: datetime | None = None, lang: str = "en",
                    snapshot: Snapshot | None = None
                    ) -> tuple[UnitComparison | None, str | None]:
    """The units one level below the scope compared on the headline in its latest period
    (a funnel plot), or None and why not (no data yet, not a rate, too few units); its axes
    name the indicators and their units of measure in ``lang``. ``snapshot``: the one the
    context was gathered from, if at hand (its data reused)."""
    t = locale.translations(lang)
    head: PriorityStatus = context["headline"]
    if head.latest is None:
        return None, t.gettext("no complete period of the headline yet")
    snap = _snapshot(engine, as_of, snapshot)
    below = snap.model.children(context["priority"]["scope"])
    if not below:
        return None, t.gettext("the scope has no units below it to compare")
    ind = snap.model.indicators[head.headline]
    if not (ind.aggregation is Aggregation.RATIO and ind.numerator and ind.denominator):
        # compare_units' refusal, in words for the pack's readers (not the model's codes)
        return None, t.gettext(
            "%(name)s is not a rate (a numerator over a denominator), so the units cannot be "
            "set against limits that narrow as they grow; a funnel plot needs an indicator "
            "with aggregation: ratio"
        ) % {"name": ind.name_in(lang)}
    try:
        funnel = compare_units(snap, head.headline, head.latest.period, level=below[0].level)
    except StocktakeError as exc:
        return None, str(exc)
    den = snap.model.indicators.get(funnel.denominator)  # the x axis named as the web names it
    if den is not None:
        funnel = dataclasses.replace(funnel, denominator_info={"name": den.name,
                                                               "unit_of_measure": den.unit})
    return funnel_in(funnel, snap.model, lang), None


def funnel_in(funnel: UnitComparison, model: DeliveryModel, lang: str) -> UnitComparison:
    """A funnel comparison as a chart in ``lang`` names its axes: the headline's name and
    unit of measure (y) and the denominator's (x), in the model's words of ``lang``."""
    if lang == "en":
        return funnel
    ind = model.indicators.get(funnel.indicator.code)
    if ind is not None:
        funnel = dataclasses.replace(funnel, indicator=dataclasses.replace(
            funnel.indicator, name=ind.name_in(lang), unit_of_measure=ind.unit_in(lang)))
    den = model.indicators.get(funnel.denominator)
    if den is not None and funnel.denominator_info:
        funnel = dataclasses.replace(funnel, denominator_info={
            "name": den.name_in(lang), "unit_of_measure": den.unit_in(lang)})
    return funnel


def _snapshot(engine: Engine, as_of: datetime | None, snapshot: Snapshot | None
              ) -> Snapshot:
    """``snapshot`` if given (it must read the same world at the same moment), else a new
    one at ``as_of``."""
    if snapshot is None:
        return Snapshot(engine, as_of)
    if snapshot.engine is not engine or snapshot.as_of != as_of:
        raise ValueError("a snapshot of another database or moment than the one asked for")
    return snapshot


def check_language(lang: str) -> str:
    """``lang`` if the documents are written in it, else Invalid (before any work)."""
    if lang not in locale.LANGUAGES:
        raise Invalid(Problem(f"'{lang}' is not a language of the documents: "
                              f"{', '.join(locale.LANGUAGES)}", "--lang"))
    return lang
