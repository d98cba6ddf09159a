"""Number and date formatting for pages: the same words and figures as the packs and the
CLI (one definition, in reports.formatting), in the language of the page.

In English each filter gives what reports.formatting gives, so an English page is what it
always was; in French the same figures through Babel and the catalogue (i18n). Where a
service wrote a sentence in English (a verdict, how fresh the data are, whether a lead
leads), the French is said again here from the figures it was made of, as public_words
does for the public site, rather than changing the service.
"""

from __future__ import annotations

import re
from typing import Any

from babel.numbers import format_decimal

from ..reports import formatting as english
from ..reports.formatting import figure, status_sentence
from ..reports.said import said_in
from ..results.leads import LeadEvidence
from ..results.overview import Freshness
from ..results.status import Tolerance, Verdict
from ..text import Text, plural
from . import error_pages, i18n, public_words
from .i18n import gettext as _
from .i18n import ngettext
from .public_words import N_


def _english() -> bool:
    return i18n.current() == i18n.DEFAULT


def plus_minus(value: Any, decimals: int = 1) -> str:
    """A signed figure written plainly: -1.5 (a shift in sigma); −1,5 in French."""
    if value is None:
        return "–"
    if _english():
        text = f"{float(value):+.{decimals}f}"  # no sign where it rounds to zero: 0.0
        return text if english.nonzero(text) else text[1:]
    return i18n.change(value, None, decimals)


def signed_percent(value: Any) -> str:
    """A gap in percent, signed: −3.9%; −3,9 %."""
    if _english() or value is None:
        return english.signed(value) + "%"
    return public_words.percent_change(float(value))


def verdict_sentence(v: Verdict, unit_of_measure: str | None = None,
                     decimals: int | None = None) -> str:
    """Met or missed at the deadline, in a sentence (reports.formatting.verdict_sentence)."""
    if _english():
        return english.verdict_sentence(v, unit_of_measure, decimals)
    return _verdict(v, unit_of_measure, decimals)


def verdict_text(row: Any) -> str:
    """A portfolio row's verdict sentence (the service's, in English)."""
    if _english():
        return row.verdict_text
    return _verdict(row.at_target_period, row.unit_of_measure, row.decimals)


def _verdict(v: Verdict, unit_of_measure: str | None, decimals: int | None) -> str:
    # the public site's French verdict: the same sentence from the same figures
    return public_words._verdict(v.status, v, unit_of_measure, decimals)


def verdict_rule(p: Any) -> str:
    """How a priority's verdict at the deadline is read (analysis.trajectory.verdict
    .met_rule), from its polarity, target and tolerance."""
    v = p.at_target_period
    if _english():
        return v.rule
    figure = {"target": format_decimal(v.target, locale=i18n.current())}
    if p.polarity == "up":
        side = _("at or above %(target)s") % figure
    elif p.polarity == "down":
        side = _("at or below %(target)s") % figure
    else:
        figure["tol"] = format_decimal(p.tolerance.value, locale=i18n.current())
        side = (_("within %(tol)s%% of %(target)s") if p.tolerance.mode == "relative"
                else _("within %(tol)s of %(target)s")) % figure
    return _("met when the actual in the target period %(period)s is %(side)s, missed "
             "otherwise; read once that period is complete. When the target period has no "
             "complete value, the last complete value before it (from the baseline on) is "
             "read instead, and named") % {"period": v.period, "side": side}


def tolerance_rule(t: Tolerance) -> str:
    """How far from the trajectory is still on track (public_words.tolerance)."""
    return public_words.tolerance({"tolerance": t.rule, "tolerance_value": t.value,
                                   "tolerance_mode": t.mode})


# services.reading.status._spc_context's caveat on the assurance icon, with its one figure
_ASSURANCE_NOTE = re.compile(r"limits over the whole history; the level has changed since "
                             r"(?P<period>\S+) \(a suggested rebase, not applied\)")


def assurance_note(text: str) -> str:
    """The caveat on an assurance icon read against limits the level has left."""
    found = None if _english() else _ASSURANCE_NOTE.fullmatch(text)
    if found is None:
        return text
    return _("limits over the whole history; the level has changed since %(period)s (a "
             "suggested rebase, not applied)") % {"period": found["period"]}


# services.reading.status._partial_only_note: why "no data" where partial values exist
_PARTIAL_ONLY = re.compile(r"no complete period: (?P<num>\d+) reported only in part \(latest "
                           r"(?P<period>\S+): a unit below did not report\); status reads "
                           r"complete periods only, so a unit that never reports leaves the "
                           r"total unread")


def status_note(text: str) -> str:
    """The note beside a status: why a count outside the tolerance is on track (a ``Text``,
    said again), or why "no data" where only partial roll-ups exist."""
    if isinstance(text, Text):
        return i18n.say(text)
    found = None if _english() else _PARTIAL_ONLY.fullmatch(text)
    if found is None:
        return text
    n = int(found["num"])
    return ngettext("no complete period: %(num)s reported only in part (latest %(period)s: a "
                    "unit below did not report); status reads complete periods only, so a unit "
                    "that never reports leaves the total unread",
                    "no complete period: %(num)s reported only in part (latest %(period)s: a "
                    "unit below did not report); status reads complete periods only, so a unit "
                    "that never reports leaves the total unread", n) % {
        "num": n, "period": found["period"]}


def freshness(f: Freshness) -> str:
    """How far the newest complete period trails the current one (services.reading.overview
    ._freshness): "2 quarters behind the current quarter"."""
    if _english():
        return f.text
    if f.periods_behind is None:
        return _("no complete period yet")
    if f.periods_behind == 0:
        return _(CURRENT[f.period_type]) if f.period_type in CURRENT else f.text
    if f.period_type not in BEHIND:  # a period type without its words: the service's English
        return f.text
    return BEHIND[f.period_type](f.periods_behind) % {"num": f.periods_behind}


def lead_evidence(evidence: LeadEvidence | None) -> str:
    """Whether a named lead leads its headline (reports.formatting.lead_evidence)."""
    if _english():
        return english.lead_evidence(evidence)
    if not evidence:
        return _("Not tested: too little data in common with the headline")
    verdict = _(LEAD_VERDICTS.get(evidence.reading, str(evidence.reading)))
    if evidence.reading == "no_evidence":
        return verdict
    lag = evidence.lag
    word = (evidence.period_word or "periods").removesuffix("s")
    lag_text = (LAG[word](lag) % {"num": lag} if word in LAG
                else f"{lag} {evidence.period_word}")
    gain = evidence.oos_gain
    better = ("" if gain is None else
              (_("; forecasts %(pct)s better with it") if gain >= 0
               else _("; forecasts %(pct)s worse with it"))
              % {"pct": i18n.number(abs(gain) * 100, 0) + "\u00a0%"})
    return _("%(verdict)s (best lag %(lag)s%(better)s; across %(units)s units)") % {
        "verdict": verdict, "lag": lag_text, "better": better, "units": evidence.units}


# The words the pages translate that Python holds, marked for the catalogue
# (tests/web/test_overview_french.py checks that they are the services' and
# reports.formatting's). FREQUENCY_WORDS: unit.html's "Quarterly; due ...".
FREQUENCY_WORDS = (N_("Yearly"), N_("Quarterly"), N_("Monthly"), N_("Weekly"))
MOVEMENT_WORDS = (N_("unchanged"), N_("up"), N_("down"), N_("improving"), N_("worsening"))
POLARITY_WORDS = (N_("higher is better"), N_("lower is better"), N_("neutral"))
CURRENT = {"year": N_("the current year"), "quarter": N_("the current quarter"),
           "month": N_("the current month"), "week": N_("the current week"),
           "day": N_("the current day")}
# How far behind, and a lag, by the period type: literal ngettext calls, so that pybabel
# extracts each with its plural.
BEHIND = {
    "year": lambda n: ngettext("%(num)s year behind the current year",
                               "%(num)s years behind the current year", n),
    "quarter": lambda n: ngettext("%(num)s quarter behind the current quarter",
                                  "%(num)s quarters behind the current quarter", n),
    "month": lambda n: ngettext("%(num)s month behind the current month",
                                "%(num)s months behind the current month", n),
    "week": lambda n: ngettext("%(num)s week behind the current week",
                               "%(num)s weeks behind the current week", n),
    "day": lambda n: ngettext("%(num)s day behind the current day",
                              "%(num)s days behind the current day", n),
}
LAG = {
    "year": lambda n: ngettext("%(num)s year", "%(num)s years", n),
    "quarter": lambda n: ngettext("%(num)s quarter", "%(num)s quarters", n),
    "month": lambda n: ngettext("%(num)s month", "%(num)s months", n),
    "week": lambda n: ngettext("%(num)s week", "%(num)s weeks", n),
    "day": lambda n: ngettext("%(num)s day", "%(num)s days", n),
    "period": lambda n: ngettext("%(num)s period", "%(num)s periods", n),
}
LEAD_VERDICTS = {
    "lead": N_("Leads the headline"),
    "two_way": N_("Moves with the headline: the headline leads it at least as strongly"),
    "mixed_units": N_("Significant, but points different ways in different units"),
    "sign_conflict": N_("Significant, but its effect and its correlation point different ways"),
    "no_forecast_check": N_("Significant, but too few periods to check it improves forecasts"),
    "no_forecast_gain": N_("Significant, but does not improve forecasts of the headline"),
    "no_evidence": N_("No evidence that it leads"),
}

def said(text: str) -> str:
    """An analysis sentence (a chart's reading note or method) in the page's language."""
    return said_in(text, i18n.current())


def levels(level: str) -> str:
    """A level of units (named in the page's language) in the plural: "countries", "pays"."""
    return plural(level, i18n.current())


FILTERS = {**i18n.FILTERS, "said": said, "levels": levels, "signed_percent": signed_percent,
           "plus_minus": plus_minus,
           "percent_change": public_words.percent_change,
           "lead_evidence": lead_evidence, "figure": figure, "status_sentence": status_sentence,
           "verdict_sentence": verdict_sentence, "verdict_text": verdict_text,
           "freshness": freshness, "tolerance_rule": tolerance_rule,
           "assurance_note": assurance_note, "verdict_rule": verdict_rule,
           "status_note": status_note, "page_message": error_pages.page_message}
