"""The words and numbers of the monthly note and the delivery report, as the Word document
(reports.word) and the PowerPoint deck (reports.briefing_deck) both print them: table rows,
and list items as (bold lead, rest of the sentence). The same sentences as the HTML
templates, from the same contexts (services.publishing.briefings)."""

from __future__ import annotations

from typing import Any

from .formatting import (
    change,
    difference,
    likelihood_word,
    number,
    percent,
    signed,
    status_word,
)
from .office import data_as_of_line, plural

Item = tuple[str, str]  # (bold lead, the rest)

NOTE_HEADER = ["Priority", "Latest", "Expected", "Gap", "Status", "P(target)", "Likelihood"]
NOTE_KEY = ("Status: the latest complete period against the trajectory and tolerance; once "
            "the target period is complete, target met or missed there. P(target): from the "
            "forecast distribution. Likelihood: the latest assessment.")
LEAGUE_HEADER = ["#", "Priority", "Likelihood", "Change since last round", "Statistics",
                 "P(target)"]
QUALITY_HEADER = ["#", "Unit", "Score", "Completeness", "Timeliness", "Validity"]
QUALITY_ORDER = "Worst first: the units that need help with their data come first."
CONCLUDED_NOTE = ("The target period is complete, so these are verdicts, not progress: not "
                  "ranked with the priorities still under way.")


def note_summary(c: dict[str, Any]) -> str:
    """The note's opening line: the vintage, then how many priorities and how they stand."""
    parts = [plural(len(c["priorities"]), "priority", "priorities"),
             f"{len(c['off_track'])} off track"]
    for status in ("met", "missed"):
        n = sum(1 for r in c["concluded"] if r["status"] == status)
        if n:
            parts.append(f"{plural(n, 'target', 'targets')} {status}")
    parts.append(f"{plural(c['open_actions'], 'open action', 'open actions')}, "
                 f"{c['overdue_actions']} overdue")
    return f"{data_as_of_line(c, 'note')}. " + "; ".join(parts) + "."


def note_rows(c: dict[str, Any]) -> list[list[str]]:
    """Where each priority stands: a row per priority under NOTE_HEADER."""
    rows = []
    for p in c["priorities"]:
        latest = p["latest"]
        v = p["at_target_period"]
        rows.append([
            f"{p['title']} ({p['unit_of_measure']})" if p["unit_of_measure"] else p["title"],
            number(latest.value if latest else None, p["decimals"])
            + (f" ({latest.period})" if latest else ""),
            number(p["expected"], p["decimals"]) + (" (target)" if v else ""),
            signed(p["gap_pct"]) + ("%" if p["gap_pct"] is not None else ""),
            status_word(p["status"]) + (f": {number(v.actual, p['decimals'])} in "
                                        f"{v.actual_period}" if v else ""),
            percent(p["probability"]), likelihood_word(p["likelihood"])])
    return rows


def moved(c: dict[str, Any]) -> list[Item]:
    """What moved: each headline's change on the period before."""
    return [(m["title"], f": {change(m['change'], m['unit_of_measure'], m['decimals'])} in "
             f"{m['period']} on the period before ({m['movement']}"
             + (f"; ⚠ {m['alerts']}" if m.get("alerts") else "") + ").")
            for m in c["moved"]]


def off_track(c: dict[str, Any]) -> list[Item]:
    """What is off track: each priority's units behind their share."""
    items = []
    for o in c["off_track"]:
        behind = o["units_behind"]
        named = ", ".join(behind[:2]) + (f" and {len(behind) - 2} more"
                                         if len(behind) > 2 else "")
        items.append((o["title"], f": {len(behind)} of {o['units']} units behind their share"
                      + (f" ({named})" if behind else "") + "."))
    return items


def decisions(c: dict[str, Any]) -> list[Item]:
    """What needs a decision: the first six, each with why and the ask."""
    return [(f"{d['title']}.", f" {d['why']} {d['ask']}") for d in c["decisions"][:6]]


def care(c: dict[str, Any]) -> list[Item]:
    """Numbers to treat with care: each priority's alerts and the units they name."""
    return [(p["title"], f": {p['counted']}, at {', '.join(p['units'])}"
             + (f" and {plural(p['more_units'], 'more unit', 'more units')}"
                if p.get("more_units", 0) else "") + ".") for p in c.get("care") or ()]


def league_rows(c: dict[str, Any]) -> list[list[str]]:
    """The report's league table: a row per priority under LEAGUE_HEADER."""
    return [[str(i), f"{r['title']} ({r['owner']})" if r["owner"] else r["title"],
             likelihood_word(r["likelihood"]) + (f" ({r['round']})" if r["round"] else ""),
             r["change"] or ("first round" if r["likelihood"] else "not assessed"),
             status_word(r["status"]) + (f" {signed(r['gap_pct'])}%"
                                         if r["gap_pct"] is not None else "")
             + "".join(f"; disagrees: {f['message']}" for f in r["flags"]),
             percent(r["probability"])] for i, r in enumerate(c["league"], 1)]


def quality_row(i: int, entry: Any) -> list[str]:
    """A row of the data-quality league: a unit's quality, or a league entry holding it
    with its rank and why an alert keeps it off the top."""
    q = getattr(entry, "quality", entry)
    name = q.name + (f" (listed first, whatever its score: {entry.reason})"
                     if getattr(entry, "reason", None) else "")
    return [str(getattr(entry, "rank", i)), name, number(q.score, 1), percent(q.completeness),
            percent(q.timeliness), percent(q.validity)]


def report_key(c: dict[str, Any]) -> str:
    """The report's closing note: the quality formula and what each column means."""
    return (f"{c['quality']['formula']}. Likelihood: the delivery unit's latest assessment; "
            "statistics: the latest complete period against the trajectory; P(target) from "
            f"the forecast distribution. stocktake {c['version']}.")


def success_heading(s: dict[str, Any]) -> str:
    return s["title"] + (f" ({status_word(s['status'])})" if s["status"] in (
        "on_track", "ahead", "met") else "")


def credit_alerts(flagged: list[Any]) -> str:
    """The units credited whose figures alerts question, as the HTML report says it."""
    parts = []
    for q in flagged:
        alerts = q["alerts"]
        first = alerts[0]
        more = f"; and {len(alerts) - 1} more" if len(alerts) > 1 else ""
        parts.append(f"{q['unit_name']} ({first.status}: {first.moved}{more})")
    which = "an alert questions" if len(flagged) == 1 else "alerts question"
    return (f"{which} the figures of " + "; ".join(parts)
            + ". Credit the improvement once they are explained.")


def success(s: dict[str, Any]) -> str:
    did = ("met their share of the target" if s["status"] == "met"
           else "are on or ahead of their share of the trajectory")
    text = (f"{s['sentence']} " if s["sentence"] else "") + (
        f"{s['units_ahead']} of {s['units']} units {did}")
    if s["credit_units"]:
        text += f"; credit to {', '.join(s['credit_units'])}"
    text += "."
    if s["actions_done"]:
        text += (f" {plural(s['actions_done'], 'stocktake action', 'stocktake actions')} "
                 "delivered in the last six months")
        text += (f" by {', '.join(s['credit_owners'])}." if s["credit_owners"] else ".")
    return text


def concern(s: dict[str, Any]) -> str:
    if s["sentence"]:
        text = s["sentence"]
        if s["units_missed"]:
            text += f" Units that missed their share: {', '.join(s['units_missed'])}."
    else:
        text = ""
        if s["gap"] is not None:
            text = (f"{difference(s['gap'], s['unit_of_measure'], s['decimals'], True)} "
                    f"{'above' if s['gap'] > 0 else 'below'} the trajectory "
                    f"({signed(s['gap_pct'])}%); ")
        text += f"{percent(s['probability'])} probability of meeting the target."
    if s["units_behind"]:
        text += " Off track for three periods or more: " + ", ".join(
            f"{u['name']} ({u['run']})" for u in s["units_behind"]) + "."
    return text


# -- across priorities: the risk register and the milestone timeline (issue #17) --------------

RISK_HEADER = ["#", "Risk", "Priority", "L × I", "Trend", "Owner", "Mitigation"]
RISK_KEY = ("L × I: likelihood times impact, each scored 1 to 5 in the plan; high from "
            "{high}. Trend: the score against the same risk in the plan's previous version.")


def risk_trend(r: Any) -> str:
    """A risk's trend in words: "new", "up from 12", "down from 10", "unchanged"."""
    return {"new": "new", "up": f"up from {r.previous_score}",
            "down": f"down from {r.previous_score}"}.get(r.trend, "unchanged")


def risk_rows(across: Any) -> list[list[str]]:
    """The register's rows under RISK_HEADER, the highest score first."""
    return [[str(i), r.description, across.titles.get(r.priority, r.priority),
             f"{r.likelihood} × {r.impact} = {r.score}" + (" high" if r.high else ""),
             risk_trend(r), r.owner or "no owner", r.mitigation or "none"]
            for i, r in enumerate(across.risks, 1)]


def closed_sentence(across: Any) -> str:
    """"Closed since each plan's previous version: Court backlog (Cut violent crime, last
    3 × 3 = 9).", or "" when no risk was closed."""
    if not across.closed:
        return ""
    return "Closed since each plan's previous version: " + "; ".join(
        f"{r.description} ({across.titles.get(r.priority, r.priority)}, last "
        f"{r.likelihood} × {r.impact} = {r.score})" for r in across.closed) + "."


def overdue_sentence(across: Any) -> str:
    """"2 of 7 milestones overdue on 2025-02-01: Nurses hired (Screening, 154 days late);
    ...", or that none is."""
    late = across.overdue
    head = (f"{len(late)} of {len(across.milestones)} milestones overdue on {across.today}"
            if late else f"No milestone of {len(across.milestones)} is overdue on "
            f"{across.today}")
    return head + "".join(
        [": " + "; ".join(f"{m.name} ({across.titles.get(m.priority, m.priority)}, "
                          f"{m.days_overdue} days late)" for m in late)] if late else []) + "."
