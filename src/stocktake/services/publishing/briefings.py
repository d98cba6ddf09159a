"""The leader's documents across all priorities: the monthly note (one page: what moved,
what is off track, what needs a decision) and the delivery report (every priority's
likelihood of delivery as a league table, change since the last report, successes with
credit to those who achieved them, concerns, and a data-quality league)."""

from __future__ import annotations

import calendar
import dataclasses
from datetime import datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from babel.lists import format_list
from sqlalchemy import Engine

from ... import __version__
from ...delivery.assessments import LIKELIHOOD, change, disagreement, parse_assessment
from ...errors import Invalid, Problem
from ...model.entities import DeliveryModel, is_percent
from ...model.periods import Period, PeriodError
from ...reports import locale
from ...reports.formatting import CONCLUDED, verdict_sentence
from ...reports.said import said_in
from ...results.status import PriorityStatus, SpcHeadline, StatusReport, Verdict
from ...store import delivery as store
from ...store.db import get_meta
from ...text import plural
from ..reading.alerts import alerts
from ..reading.clock import now_of
from ..reading.quality import FORMULA, data_quality
from ..reading.series_data import iso
from ..reading.snapshot import Snapshot
from ..reading.status import priority_status, unit_readings
from ..routines.commitments import commitments_brief
from ..routines.escalation import escalation_brief
from ..routines.register import across_priorities
from ..routines.stocktakes import list_actions
from .packs import check_language
from .trust import bearing_on_headline, in_words, quality_league, standing_on, with_care

if TYPE_CHECKING:
    from ...reports.theme import Theme


def _month_end(month: str) -> datetime:
    try:
        p = Period.parse(month, "month")
    except PeriodError as exc:
        raise Invalid(Problem(f"{exc}; write it as YYYY-MM", f"--month {month!r}")) from None
    year, m = p.start.year, p.start.month
    return datetime.combine(p.start.replace(day=calendar.monthrange(year, m)[1]), time.max)


def _stats(row: PriorityStatus) -> dict[str, Any]:
    icon = row.spc.variation_icon if isinstance(row.spc, SpcHeadline) else None
    variation = (icon or "").removesuffix("_high").removesuffix("_low")
    return {"status": row.status, "probability": row.probability_of_meeting,
            "variation": variation or None}


def _latest_assessments(engine: Engine, as_of: datetime | None) -> dict[str, list[Any]]:
    with engine.connect() as conn:
        rows = store.assessments(conn, None, as_of)
    out: dict[str, list[Any]] = {}
    for r in rows:
        out.setdefault(r["priority"], []).append(parse_assessment(r["document"]))
    return out


def _priority_rows(snap: Snapshot, lang: str = "en"
                   ) -> tuple[StatusReport, list[dict[str, Any]]]:
    """Each priority's status (its headline's unit of measure in ``lang``) and its
    likelihood assessments."""
    status = priority_status(snap, units=True, forecasts="scope")
    rounds = _latest_assessments(snap.engine, snap.as_of)
    rows = []
    for head in status.priorities:
        if lang != "en":  # the model's French unit, where it has one
            head = dataclasses.replace(head, unit_of_measure=snap.model.indicators[
                head.headline].unit_in(lang))
        history = rounds.get(head.code, [])
        current = history[-1] if history else None
        previous = history[-2] if len(history) > 1 else None
        stats = _stats(head)
        rows.append({
            "head": head, "assessment": current.to_dict() if current else None,
            "assessed_on": current.assessed_on if current else None,
            "likelihood": current.likelihood if current else None,
            "previous_likelihood": previous.likelihood if previous else None,
            "change": change(previous, current) if current else None,
            "rounds": [(a.round, a.likelihood) for a in history],  # the report's chart
            "flags": disagreement(current.likelihood, probability=stats["probability"],
                                  status=stats["status"], variation_icon=stats["variation"])
            if current else [],
        })
    return status, rows


def _scale(likelihood: str | None) -> int:
    return LIKELIHOOD.index(likelihood) if likelihood in LIKELIHOOD else len(LIKELIHOOD)


def monthly_note_context(engine: Engine, month: str, lang: str = "en") -> dict[str, Any]:
    """The note for the leader at the end of ``month`` (or now, for the current month), its
    sentences and the model's names in ``lang`` (en or fr; the English name where the model
    has no French one)."""
    end = _month_end(month)
    now = now_of(engine)
    as_of = None if end >= now else end
    snap = Snapshot(engine, as_of)
    status, rows = _priority_rows(snap, lang)
    t = locale.translations(lang)
    _ = t.gettext
    model = snap.model
    titles = {r["head"].code: _title(model, r["head"].code, r["head"].title, lang)
              for r in rows}
    # Numbers to treat with care: the alerts standing (open or confirmed) at the month's end.
    standing = alerts(snap)
    care = with_care(snap.model, standing, titles, shown=2, lang=lang)
    if lang != "en":
        care = [_care_in(model, item, standing_on(standing, item["code"]), lang)
                for item in care]
    flagged = {c["code"]: c["counted"] for c in care}
    actions = list_actions(engine, open_only=True, as_of=as_of)
    moved, off_track, decisions = [], [], []
    for r in rows:
        h = r["head"]
        m = h.movement
        if m.change is not None:
            moved.append({"code": h.code, "title": titles[h.code],
                          "name": _name(model, h.headline, h.headline_name, lang),
                          "unit_of_measure": h.unit_of_measure, "period": m.period,
                          "decimals": h.decimals,
                          "value": m.value, "change": m.change,
                          "movement": m.movement,
                          # an improvement is not credited without saying what questions it
                          "alerts": (flagged.get(h.code)
                                     if m.movement == "improving" else None)})
        if h.status == "off_track":
            behind = [u for u in h.below() if u.status == "off_track"]
            off_track.append({"code": h.code, "title": titles[h.code], "gap": h.gap,
                              "gap_pct": h.gap_pct,
                              "unit_of_measure": h.unit_of_measure,
                              "probability": h.probability_of_meeting,
                              "units_behind": [_unit_name(model, u.unit, u.unit_name, lang)
                                               for u in behind],
                              "units": len(h.below())})
        verdict = h.at_target_period
        if h.status == "missed" and verdict and not _assessed_since(r, verdict):
            # A missed target with no likelihood assessment since its deadline: the leader
            # decides what comes next; nothing else about it is progress.
            decisions.append({"code": h.code, "title": titles[h.code],
                              "why": _verdict(verdict, h.unit_of_measure, h.decimals, lang)
                              + " " + _("No likelihood assessment has been recorded since "
                                        "the deadline."),
                              "ask": _("Decide what now: a new stage with a new target, or "
                                       "a new deadline for this one, and commission the "
                                       "assessment.")})
        for f in r["flags"]:
            why = said_in(f["message"], lang)  # the flag's Text, in ``lang``
            decisions.append({"code": h.code, "title": titles[h.code], "why": why,
                              "ask": _("Agree whether to change the rating or the plan.")})
        # (a flagged rating already says the probability is low: not twice)
        if (h.status == "off_track" and (h.probability_of_meeting or 1) < 0.3
                and not r["flags"]):
            probability = (f"{h.probability_of_meeting:.0%}" if lang == "en" else
                           locale.percent(h.probability_of_meeting, lang))
            decisions.append({"code": h.code, "title": titles[h.code],
                              "why": _("Off track, with a %(probability)s probability of "
                                       "meeting the target.") % {"probability": probability},
                              "ask": _("Commission a priority review, or escalate to an "
                                       "intensive routine?")})
    overdue = [a for a in actions.actions if a.days_overdue > 0]
    for a in sorted(overdue, key=lambda a: -a.days_overdue)[:3]:
        decisions.append({"code": a.priority, "title": titles.get(a.priority, ""),
                          "why": _("%(action)s (%(owner)s) is %(days)s days overdue.")
                          % {"action": locale.quoted(a.text, lang), "owner": a.owner,
                             "days": a.days_overdue},
                          "ask": _("Press the owner for a date, or drop it?")})
    concluded = [_concluded(r["head"], titles[r["head"].code]) for r in rows
                 if r["head"].status in CONCLUDED]
    month_name = _month_name(month, lang)
    return {"kind": "note",
            "title": _("Monthly note to the leader: %(month)s") % {"month": month_name},
            "concluded": concluded,
            "decisions": _by_priority(decisions),
            "month_name": month_name,
            "world_label": get_meta(engine, "world_label"),
            "as_of": iso(as_of), "data_as_of": status.data_as_of,
            "priorities": [{"code": r["head"].code, "title": titles[r["head"].code],
                            "status": r["head"].status,
                            "latest": r["head"].latest,
                            "expected": r["head"].expected,
                            "gap_pct": r["head"].gap_pct,
                            "at_target_period": r["head"].at_target_period,
                            "decimals": r["head"].decimals,
                            "unit_of_measure": r["head"].unit_of_measure,
                            "probability": r["head"].probability_of_meeting,
                            "likelihood": r["likelihood"]} for r in rows],
            "moved": moved, "off_track": off_track, "care": care,
            "open_actions": len(actions.actions), "overdue_actions": len(overdue),
            # Since the last note: the month's first moment.
            "commitments": commitments_brief(engine, as_of=as_of,
                                             since=end.replace(day=1, hour=0, minute=0,
                                                               second=0, microsecond=0)),
            "escalation": escalation_brief(engine, as_of=as_of),
            "version": __version__}


def _assessed_since(row: dict[str, Any], verdict: Verdict) -> bool:
    """Has a likelihood assessment been recorded after the target period ended?"""
    on = row.get("assessed_on")
    if on is None:
        return False
    try:
        end = Period.parse(verdict.period).end
    except PeriodError:
        return False
    return on > end


def _concluded(h: PriorityStatus, title: str | None = None, sentence: str | None = None
               ) -> dict[str, Any]:
    """A priority whose target period is complete: its verdict in words, never ranked (its
    ``title`` and ``sentence`` in another language when given)."""
    v = h.at_target_period
    return {"code": h.code, "title": title or h.title, "owner": h.owner,
            "status": h.status, "at_target_period": v,
            "unit_of_measure": h.unit_of_measure, "decimals": h.decimals,
            "sentence": sentence or verdict_sentence(v, h.unit_of_measure, h.decimals)}


def _sentence(text: str) -> str:
    return text if text.endswith((".", "?", "!")) else text + "."


def _by_priority(decisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One item per priority, its reasons together, in the order first raised: the leader
    reads one paragraph per priority, not the same title three times."""
    out: dict[str, dict[str, Any]] = {}
    for d in decisions:
        item = out.setdefault(d["code"], {"code": d["code"], "title": d["title"], "why": [],
                                          "ask": []})
        item["why"].append(_sentence(d["why"]))
        if d["ask"] not in item["ask"]:
            item["ask"].append(d["ask"])
    return [{**d, "why": " ".join(d["why"]), "ask": " ".join(d["ask"])} for d in out.values()]


def _month_name(month: str, lang: str = "en") -> str:
    p = Period.parse(month, "month")
    if lang != "en":
        return locale.month_name(p.start.year, p.start.month, lang)
    return f"{calendar.month_name[p.start.month]} {p.start.year}"


# -- names and sentences in the note's language -------------------------------------------

def _title(model: DeliveryModel, code: str, english: str, lang: str) -> str:
    priority = model.priorities.get(code)
    return priority.title_in(lang) if priority else english


def _name(model: DeliveryModel, code: str, english: str, lang: str) -> str:
    indicator = model.indicators.get(code)
    return indicator.name_in(lang) if indicator else english


def _unit_name(model: DeliveryModel, code: str, english: str, lang: str) -> str:
    unit = model.units.get(code)
    return unit.name_in(lang) if unit else english


def _verdict(v: Verdict, unit_of_measure: str | None, decimals: int | None, lang: str
             ) -> str:
    """A target's verdict in a sentence (formatting.verdict_sentence in English)."""
    if lang == "en":
        return verdict_sentence(v, unit_of_measure, decimals)
    _ = locale.translations(lang).gettext
    percent = is_percent(unit_of_measure)

    def a(x: Any) -> str:
        text = locale.number(x, lang, 1 if percent and decimals is None else decimals)
        return text + "\u00a0%" if percent else text

    return _("%(verdict)s: %(actual)s in %(period)s against a target of %(target)s.") % {
        "verdict": locale.status_word(v.status, lang), "actual": a(v.actual),
        "period": v.actual_period, "target": a(v.target)}


def _levels(model: DeliveryModel, units: list[Any], lang: str) -> str:
    """The levels of the units of the data-quality league, in the plural and joined as
    ``lang`` joins a list ("continents"; "provinces and territories"), named by the model."""
    levels = dict.fromkeys(model.level_in(model.units[q.unit].level, lang) for q in units
                           if q.unit in model.units)
    return format_list([plural(level, lang) for level in levels],
                       locale=locale.BABEL_LOCALES[lang]) if levels else ""


def _care_in(model: DeliveryModel, item: dict[str, Any], standing: list[Any], lang: str
             ) -> dict[str, Any]:
    """A priority's standing alerts (trust.with_care's item), counted and placed in
    ``lang``: the same units, by their names in it."""
    t = locale.translations(lang)
    confirmed = sum(a.status == "confirmed" for a in standing)
    still_open = sum(a.status == "open" for a in standing)
    counted = ([t.ngettext("%(num)d confirmed alert", "%(num)d confirmed alerts", confirmed)
                % {"num": confirmed}] if confirmed else []) + (
               [t.ngettext("%(num)d open alert", "%(num)d open alerts", still_open)
                % {"num": still_open}] if still_open else [])
    names = {a.unit_name: _unit_name(model, a.unit, a.unit_name, lang) for a in standing}
    return {**item, "units": [names.get(u, u) for u in item["units"]],
            "counted": t.gettext("%(first)s and %(second)s") % {
                "first": counted[0], "second": counted[1]} if len(counted) == 2
            else counted[0]}


def delivery_report_context(engine: Engine, *, as_of: datetime | None = None,
                            lang: str = "en") -> dict[str, Any]:
    """Every priority judged: likelihood league, change since the last round, successes
    with credit, concerns, and the data-quality league; in French (``lang`` fr) with the
    model's French names where it has them."""
    # One snapshot for every priority's status and unit readings.
    snap = Snapshot(engine, as_of)
    now, model = snap.now, snap.model
    status, rows = _priority_rows(snap, lang)
    raised = alerts(snap)  # the alerts on the data as known then, reviewed as then
    titles = {r["head"].code: _title(model, r["head"].code, r["head"].title, lang)
              for r in rows}
    english = lang == "en"

    def unit(code: str, name: str) -> str:
        return name if english else _unit_name(model, code, name, lang)

    def verdict(h: PriorityStatus) -> str:
        return (verdict_sentence(h.at_target_period, h.unit_of_measure, h.decimals)
                if english else locale.verdict_sentence(h.at_target_period,
                                                        h.unit_of_measure, h.decimals, lang))

    def flags(r: dict[str, Any]) -> list[dict[str, str]]:
        return r["flags"] if english else [  # each flag's Text, said in ``lang``
            {**f, "message": said_in(f["message"], lang)} for f in r["flags"]]
    # Met and missed are verdicts at a deadline, not progress: their own group, never ranked
    # with the priorities still under way (a missed target must not top a likelihood table).
    concluded = [_concluded(r["head"], titles[r["head"].code],
                            None if english else verdict(r["head"]))
                 for r in rows if r["head"].status in CONCLUDED]
    league = sorted([r for r in rows if r["head"].status not in CONCLUDED],
                    key=lambda r: (_scale(r["likelihood"]),
                                   -(r["head"].probability_of_meeting or 0)))
    successes, concerns = [], []
    actions = list_actions(engine, as_of=as_of).actions
    for r in rows:
        h = r["head"]
        units = unit_readings(snap, h.code).units
        ahead = [u for u in units if u.status in ("ahead", "on_track", "met")]
        ahead.sort(key=lambda u: -(u.gap_pct or 0) * (1 if h.polarity == "up"
                                                               else -1))
        done = [a for a in actions if a.priority == h.code and a.status == "done"
                and (now.date() - datetime.fromisoformat(a.status_on).date()).days <= 183]
        if h.status in ("on_track", "ahead", "met") or ahead:
            credit = [unit(u.unit, u.unit_name) for u in ahead[:4]]
            # Credit respects alerts: say which credited units' figures an alert questions.
            questioned = [{"unit_name": unit(u.unit, u.unit_name), "alerts": [
                in_words(model, a, lang) for a in bearing_on_headline(raised, u.unit, h.code)]}
                for u in ahead[:4]]
            owners = sorted({a.owner for a in done})
            successes.append({
                "code": h.code, "title": titles[h.code], "status": h.status,
                "latest": h.latest, "unit_of_measure": h.unit_of_measure,
                "credit_units": credit, "units_ahead": len(ahead), "units": len(units),
                "credit_alerts": [q for q in questioned if q["alerts"]],
                "credit_owners": owners[:5], "actions_done": len(done),
                "sentence": verdict(h) if h.status == "met" else None})
        behind = sorted([u for u in units if u.off_track_run >= 3],
                        key=lambda u: -u.off_track_run)
        if h.status in ("off_track", "missed") or behind or r["flags"]:
            concerns.append({
                "sentence": verdict(h) if h.status == "missed" else None,
                "units_missed": [unit(u.unit, u.unit_name) for u in units
                                 if u.status == "missed"],
                "code": h.code, "title": titles[h.code], "status": h.status,
                "gap": h.gap, "gap_pct": h.gap_pct, "decimals": h.decimals,
                "probability": h.probability_of_meeting,
                "unit_of_measure": h.unit_of_measure,
                "units_behind": [{"name": unit(u.unit, u.unit_name), "run": u.off_track_run}
                                 for u in behind[:5]],
                "flags": flags(r)})
    quality = data_quality(Snapshot(engine, now, model=model))
    provinces = [q for q in quality.units if model.depth(q.unit) == 1]
    trust = with_care(model, raised, titles, shown=5, lang=lang)
    if not english:
        provinces = [dataclasses.replace(q, name=unit(q.unit, q.name)) for q in provinces]
    return {"kind": "report",
            "title": locale.translations(lang).gettext("Delivery report"),
            "world_label": get_meta(engine, "world_label"),
            "as_of": iso(as_of), "data_as_of": status.data_as_of,
            "today": now.date().isoformat(),
            "league": [{"code": r["head"].code, "title": titles[r["head"].code],
                        "owner": r["head"].owner, "likelihood": r["likelihood"],
                        "previous": r["previous_likelihood"],
                        "change": ((r["change"] or {}).get("sentence") if english
                                   else locale.assessment_change(r["change"], lang)),
                        "round": (r["assessment"] or {}).get("round"),
                        "status": r["head"].status,
                        "gap_pct": r["head"].gap_pct,
                        "probability": r["head"].probability_of_meeting,
                        "flags": flags(r)} for r in league],
            "likelihood_rounds": [(titles[r["head"].code], r["rounds"]) for r in league + [
                r for r in rows if r["head"].status in CONCLUDED]],
            "successes": successes, "concerns": concerns, "concluded": concluded,
            "trust": (trust if english else [
                _care_in(model, item, standing_on(raised, item["code"]), lang)
                for item in trust]),
            # Since the last report: SINCE_DAYS before the moment read (the guide).
            "commitments": commitments_brief(engine, as_of=as_of),
            "escalation": [{**e, "title": titles.get(e["code"], e["title"])}
                           for e in escalation_brief(engine, as_of=as_of)],
            # Worst first: the report's league is there to find the units that need help.
            "quality": {"units": quality_league(provinces, raised, titles, worst_first=True,
                                                lang=lang),
                        "levels": _levels(model, provinces, lang), "formula": FORMULA,
                        "timeliness_rule": quality.timeliness_rule},
            # Across priorities: every current plan's risks and milestones (#17).
            "across": across_priorities(engine, as_of=as_of, lang=lang),
            "version": __version__}


DOCUMENT_FORMATS = (".html", ".pdf", ".docx", ".pptx")


def write_note(engine: Engine, month: str, out: str, *, theme: str | None = None,
               lang: str = "en") -> dict[str, Any]:
    """Gather and write the monthly note (.html, .pdf, or .docx or .pptx in the colours of
    ``theme``, a theme file, else the model's theme) in ``lang``: English, or French as
    .html or .pdf; returns what it holds."""
    check_language(lang)
    path, look = _check(engine, out, theme)
    context = monthly_note_context(engine, month, lang)
    _write(context, path, look, "note", lang)
    return {"out": str(path), "month": month, "data_as_of": context["data_as_of"],
            "as_of": context["as_of"],
            "off_track": [o["code"] for o in context["off_track"]],
            "concluded": [(r["code"], r["status"]) for r in context["concluded"]],
            "decisions": len(context["decisions"])}


def write_report(engine: Engine, out: str, *, as_of: datetime | None = None,
                 theme: str | None = None, lang: str = "en") -> dict[str, Any]:
    """Gather and write the delivery report (.html, .pdf, .docx or .pptx) in ``lang`` (en
    or fr); returns what it holds."""
    check_language(lang)
    path, look = _check(engine, out, theme)
    context = delivery_report_context(engine, as_of=as_of, lang=lang)
    _write(context, path, look, "report", lang)
    return {"out": str(path), "data_as_of": context["data_as_of"], "as_of": context["as_of"],
            "league": [(r["code"], r["likelihood"]) for r in context["league"]],
            "concluded": [(r["code"], r["status"]) for r in context["concluded"]]}


def _check(engine: Engine, out: str, theme: str | None) -> tuple[Path, Theme]:
    """Where to write and in which colours (the --theme file, else the model's theme),
    refused before any work if either is wrong."""
    from ...reports.render import check_out
    from ...reports.theme import load_theme
    from ..data.model_service import model_theme

    return check_out(out, DOCUMENT_FORMATS), load_theme(theme, model_theme(engine))


def _write(context: dict[str, Any], path: Path, theme: Theme, kind: str,
           lang: str = "en") -> None:
    """Write a note or a report (``kind``) as Word, PowerPoint, HTML or PDF, by the
    suffix."""
    suffix = path.suffix.lower()
    if suffix == ".docx":
        from ...reports import word

        build = word.note_docx if kind == "note" else word.report_docx
        build(context, theme, lang).save(path)
    elif suffix == ".pptx":
        from ...reports import briefing_deck

        make = briefing_deck.note_deck if kind == "note" else briefing_deck.report_deck
        make(context, theme, lang).save(str(path))
    else:
        from ...reports.render import render_note, render_report, write_document

        html = (render_note(context, lang) if kind == "note"
                else render_report(context, lang))
        write_document(html, path)
