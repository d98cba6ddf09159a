"""The words and numbers of the monthly note and the delivery report, as the Word document
(reports.word) and the PowerPoint deck (reports.briefing_deck) both print them: table rows,
and list items as (bold lead, rest of the sentence). The same sentences as the HTML
templates, from the same contexts (services.publishing.briefings)."""

from __future__ import annotations

from typing import Any

from .locale import N_, WRITING, gettext, ngettext
from .office import data_as_of_line
from .written import (
    change,
    difference,
    likelihood_word,
    number,
    pct,
    percent,
    said,
    signed,
    status_word,
    word,
)

Item = tuple[str, str]  # (bold lead, the rest)

# The tables' heads and the fixed notes, in English; ``translated`` gives them in the language
# being written.
NOTE_HEADER = [N_("Priority"), N_("Latest"), N_("Expected"), N_("Gap"), N_("Status"),
               N_("P(target)"), N_("Likelihood")]
NOTE_KEY = N_("Status: the latest complete period against the trajectory and tolerance; "
              "once the target period is complete, target met or missed there. P(target): "
              "from the forecast distribution. Likelihood: the latest assessment.")
LEAGUE_HEADER = ["#", N_("Priority"), N_("Likelihood"), N_("Change since last round"),
                 N_("Statistics"), N_("P(target)")]
QUALITY_HEADER = ["#", N_("Unit"), N_("Score"), N_("Completeness"), N_("Timeliness"),
                  N_("Validity")]
QUALITY_ORDER = N_("Worst first: the units that need help with their data come first.")
CONCLUDED_NOTE = N_("The target period is complete, so these are verdicts, not progress: "
                    "not ranked with the priorities still under way.")


def quality_heading(c: dict[str, Any]) -> str:
    """The data-quality league's heading, naming the levels it ranks (the report's
    ``quality.levels``, e.g. "continents"), in the language being written."""
    levels = c["quality"].get("levels")
    if not levels:
        return gettext("Data-quality league")
    return gettext("Data-quality league: %(levels)s", levels=levels)


def more_alerts(n: int, priority: str) -> str:
    """The alerts left out of a list, and the command that lists them all: "and 30 more:
    stocktake alerts --priority X" (the colon spaced as the language spaces it)."""
    return gettext("and %(n)s more:", n=n) + f" stocktake alerts --priority {priority}"


def translated(english: str | list[str]) -> Any:
    """A fixed note or a table's head in the language being written."""
    return [word(w) for w in english] if isinstance(english, list) else word(english)


def note_summary(c: dict[str, Any]) -> str:
    """The note's opening line: the vintage, then how many priorities and how they stand."""
    parts = [ngettext("%(num)d priority", "%(num)d priorities", len(c["priorities"])),
             gettext("%(n)s off track", n=len(c["off_track"]))]
    for status in ("met", "missed"):
        n = sum(1 for r in c["concluded"] if r["status"] == status)
        if n:
            parts.append(ngettext("%(num)d target met", "%(num)d targets met", n)
                         if status == "met" else
                         ngettext("%(num)d target missed", "%(num)d targets missed", n))
    parts.append(ngettext("%(num)d open action", "%(num)d open actions", c["open_actions"])
                 + ", " + gettext("%(n)s overdue", n=c["overdue_actions"]))
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
            number(p["expected"], p["decimals"]) + (" (" + gettext("target") + ")" if v else ""),
            # once the target period is complete the gap is the one there, not the latest's
            (pct(signed(p["gap_pct"])) + (" (" + gettext("at %(period)s", period=v.actual_period)
                                          + ")" if v else "")
             if p["gap_pct"] is not None else signed(None)),
            status_word(p["status"]) + (": " + gettext(
                "%(value)s in %(period)s", value=number(v.actual, p["decimals"]),
                period=v.actual_period) if v else ""),
            percent(p["probability"]), likelihood_word(p["likelihood"])])
    return rows


def moved(c: dict[str, Any]) -> list[Item]:
    """What moved: each headline's change on the period before."""
    return [(m["title"], ": " + gettext(
        "%(change)s in %(period)s on the period before",
        change=change(m["change"], m["unit_of_measure"], m["decimals"]), period=m["period"])
             + f" ({word(m['movement'])}"
             + (f"; ⚠ {m['alerts']}" if m.get("alerts") else "") + ").")
            for m in c["moved"]]


def nothing_off_track(c: dict[str, Any]) -> str:
    """What the note's "what is off track" says when no priority is: that nothing is, but
    not where a target was missed (a reader would take it for all well)."""
    missed = [r["title"] for r in c["concluded"] if r["status"] == "missed"]
    if not missed:
        return gettext("Nothing is off track.")
    return ngettext("Nothing is off track, but %(num)d target was missed: %(titles)s.",
                    "Nothing is off track, but %(num)d targets were missed: %(titles)s.",
                    len(missed), titles=", ".join(missed))


def no_successes(c: dict[str, Any]) -> str:
    """What the report's successes say when there are none: once every priority has reached
    its deadline nothing can be "on track yet", so they point to the verdicts instead."""
    if c["concluded"] and not c["league"]:
        return gettext("Every priority has reached its deadline: see the verdicts above.")
    return gettext("No priority or unit is on track yet.")


def off_track(c: dict[str, Any]) -> list[Item]:
    """What is off track: each priority's units behind their share."""
    items = []
    for o in c["off_track"]:
        behind = o["units_behind"]
        named = ", ".join(behind[:2]) + (" " + gettext("and %(n)s more", n=len(behind) - 2)
                                         if len(behind) > 2 else "")
        items.append((o["title"], ": " + gettext(
            "%(behind)s of %(units)s units behind their share", behind=len(behind),
            units=o["units"]) + (f" ({named})" if behind else "") + "."))
    return items


def decisions(c: dict[str, Any]) -> list[Item]:
    """What needs a decision: the first six, each with why and the ask."""
    return [(f"{d['title']}.", f" {d['why']} {d['ask']}") for d in c["decisions"][:6]]


def care(c: dict[str, Any]) -> list[Item]:
    """Numbers to treat with care: each priority's alerts and the units they name."""
    return [(p["title"], ": " + gettext("%(counted)s, on the figures of %(units)s",
                                        counted=p["counted"], units=", ".join(p["units"]))
             + (" " + ngettext("and %(num)d more unit", "and %(num)d more units",
                               p["more_units"])
                if p.get("more_units", 0) else "") + ".") for p in c.get("care") or ()]


def league_rows(c: dict[str, Any]) -> list[list[str]]:
    """The report's league table: a row per priority under LEAGUE_HEADER."""
    return [[str(i), f"{r['title']} ({r['owner']})" if r["owner"] else r["title"],
             likelihood_word(r["likelihood"]) + (f" ({r['round']})" if r["round"] else ""),
             r["change"] or (gettext("first round") if r["likelihood"]
                             else gettext("not assessed")),
             status_word(r["status"]) + (f" {pct(signed(r['gap_pct']))}"
                                         if r["gap_pct"] is not None else "")
             + "".join("; " + gettext("disagrees: %(message)s", message=said(f["message"]))
                       for f in r["flags"]),
             percent(r["probability"])] for i, r in enumerate(c["league"], 1)]


def quality_row(i: int, entry: Any) -> list[str]:
    """A row of the data-quality league: a unit's quality, or a league entry holding it
    with its rank and why an alert keeps it off the top."""
    q = getattr(entry, "quality", entry)
    name = q.name + (" (" + gettext("listed first, whatever its score: %(reason)s",
                                    reason=entry.reason) + ")"
                     if getattr(entry, "reason", None) else "")
    return [str(getattr(entry, "rank", i)), name, number(q.score, 1), percent(q.completeness),
            percent(q.timeliness), percent(q.validity)]


def report_key(c: dict[str, Any]) -> str:
    """The report's closing note: the quality formula and what each column means."""
    return (f"{gettext(c['quality']['formula'])}. " + gettext(
        "Likelihood: the delivery unit's latest assessment; statistics: the latest complete "
        "period against the trajectory; P(target) from the forecast distribution.")
            + f" stocktake {c['version']}.")


def success_heading(s: dict[str, Any]) -> str:
    return s["title"] + (f" ({status_word(s['status'])})" if s["status"] in (
        "on_track", "ahead", "met") else "")


def credit_alerts(flagged: list[Any]) -> str:
    """The units credited whose figures alerts question, as the HTML report says it."""
    parts = []
    for q in flagged:
        alerts = q["alerts"]
        first = alerts[0]
        more = "; " + gettext("and %(n)s more", n=len(alerts) - 1) if len(alerts) > 1 else ""
        parts.append(f"{q['unit_name']} ({word(first.status)}: {first.moved}{more})")
    which = (gettext("an alert questions the figures of") if len(flagged) == 1
             else gettext("alerts question the figures of"))
    return (f"{which} " + "; ".join(parts)
            + ". " + gettext("Credit the improvement once they are explained."))


def success(s: dict[str, Any]) -> str:
    did = (gettext("%(ahead)s of %(units)s units met their share of the target",
                   ahead=s["units_ahead"], units=s["units"]) if s["status"] == "met"
           else gettext("%(ahead)s of %(units)s units are on or ahead of their share of the "
                        "trajectory", ahead=s["units_ahead"], units=s["units"]))
    text = (f"{s['sentence']} " if s["sentence"] else "") + did
    if s["credit_units"]:
        text += "; " + gettext("credit to %(units)s", units=", ".join(s["credit_units"]))
    text += "."
    if s["actions_done"]:
        text += " " + ngettext("%(num)d stocktake action delivered in the last six months",
                               "%(num)d stocktake actions delivered in the last six months",
                               s["actions_done"])
        text += (" " + gettext("by %(owners)s", owners=", ".join(s["credit_owners"])) + "."
                 if s["credit_owners"] else ".")
    return text


def concern(s: dict[str, Any]) -> str:
    if s["sentence"]:
        text = s["sentence"]
        if s["units_missed"]:
            text += " " + gettext("Units that missed their share: %(units)s.",
                                  units=", ".join(s["units_missed"]))
    else:
        text = ""
        if s["gap"] is not None:
            gap = difference(s["gap"], s["unit_of_measure"], s["decimals"], True)
            text = (gettext("%(gap)s above the trajectory (%(pct)s%%); ", gap=gap,
                            pct=signed(s["gap_pct"])) if s["gap"] > 0 else
                    gettext("%(gap)s below the trajectory (%(pct)s%%); ", gap=gap,
                            pct=signed(s["gap_pct"])))
        text += gettext("%(probability)s probability of meeting the target.",
                        probability=percent(s["probability"]))
    if s["units_behind"]:
        text += " " + gettext("Off track for three periods or more:") + " " + ", ".join(
            f"{u['name']} ({u['run']})" for u in s["units_behind"]) + "."
    return text


# -- across priorities: the risk register and the milestone timeline (issue #17) --------------

RISK_HEADER = ["#", N_("Risk"), N_("Priority"), N_("L × I"), N_("Trend"), N_("Owner"),
               N_("Mitigation")]
RISK_KEY = N_("L × I: likelihood times impact, each scored 1 to 5 in the plan; high from "
              "{high}. Trend: the score against the same risk in the plan's previous "
              "version.")


def risk_trend(r: Any) -> str:
    """A risk's trend in words: "new", "up from 12", "down from 10", "unchanged"."""
    return {"new": gettext("new"),
            "up": gettext("up from %(score)s", score=r.previous_score),
            "down": gettext("down from %(score)s", score=r.previous_score)
            }.get(r.trend, gettext("unchanged"))


def risk_rows(across: Any) -> list[list[str]]:
    """The register's rows under RISK_HEADER, the highest score first."""
    return [[str(i), r.description, across.titles.get(r.priority, r.priority),
             f"{r.likelihood} × {r.impact} = "
             + (gettext("%(score)s high", score=r.score) if r.high else str(r.score)),
             risk_trend(r), r.owner or gettext("no owner"), r.mitigation or gettext("none")]
            for i, r in enumerate(across.risks, 1)]


def closed_sentence(across: Any) -> str:
    """"Closed since each plan's previous version: Court backlog (Cut violent crime, last
    3 × 3 = 9).", or "" when no risk was closed."""
    if not across.closed:
        return ""
    return gettext("Closed since each plan's previous version:") + " " + "; ".join(
        f"{r.description} ({across.titles.get(r.priority, r.priority)}, "
        + gettext("last %(likelihood)s × %(impact)s = %(score)s", likelihood=r.likelihood,
                  impact=r.impact, score=r.score) + ")" for r in across.closed) + "."


def overdue_sentence(across: Any) -> str:
    """"2 of 7 milestones overdue on 2025-02-01: Nurses hired (Screening, 154 days late);
    ...", or that none is."""
    late = across.overdue
    head = (gettext("%(late)s of %(all)s milestones overdue on %(day)s", late=len(late),
                    all=len(across.milestones), day=across.today)
            if late else gettext("No milestone of %(all)s is overdue on %(day)s",
                                 all=len(across.milestones), day=across.today))
    colon = ": " if WRITING.get() == "en" else "\u00a0: "
    return head + "".join(
        [colon + "; ".join(f"{m.name} ({across.titles.get(m.priority, m.priority)}, "
                           + gettext("%(days)s days late", days=m.days_overdue) + ")"
                           for m in late)] if late else []) + "."
