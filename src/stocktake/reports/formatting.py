"""How figures, dates and ratings are written in pages, packs and reports: the same words
and numbers everywhere, and never a colour without its word."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ..analysis.spc import ICON_LABELS
from ..model.entities import is_percent
from ..results.leads import LeadEvidence
from ..results.status import UnitStatus, Verdict
from .method_words import tolerance_in_words


def number(value: Any, decimals: int | None = None) -> str:
    if value is None:
        return "–"
    value = float(value)
    if decimals is None:
        decimals = 0 if value.is_integer() and abs(value) >= 100 else 1
    if round(value, decimals) == 0:  # rounds to zero: no sign (0.0 for -0.04, never -0.0)
        value = 0.0
    return f"{value:,.{decimals}f}"


def expected_decimals(value: Any, decimals: int | None) -> int | None:
    """The decimals an expected value on a trajectory is written with: the indicator's, and
    one more where it is under 100 steps of its last decimal and not whole at them. A count's
    trajectory passes through 4.47; written "4" beside a gap of +56.7% worked out on 4.47 it
    reads wrong (7 against 4 is +75%), as "4.5" does not. Under 100 steps, rounding moves a
    value by more than half a percent of it; above, the gap as read stays true to the one
    shown. None (no decimals declared) stays None: ``number`` then writes one decimal."""
    if value is None or decimals is None:
        return decimals
    value = float(value)
    if abs(value) * 10**decimals < 100 and round(value, decimals) != round(value, decimals + 1):
        return decimals + 1
    return decimals


def expected(value: Any, decimals: int | None = None) -> str:
    """An expected value on a trajectory (``expected_decimals``): 4.5 for a count's 4.47."""
    return number(value, expected_decimals(value, decimals))


def nonzero(text: str) -> bool:
    """Does a figure as written have a digit other than 0? A sign only then: 0.0, never -0.0
    or +0.0."""
    return any(c in "123456789" for c in text)


def signed(value: Any, decimals: int | None = None) -> str:
    if value is None:
        return "–"
    text = number(abs(float(value)), decimals)
    if not nonzero(text):
        return text
    return ("+" if float(value) > 0 else "−" if float(value) < 0 else "") + text


def percent(value: Any, decimals: int = 0) -> str:
    """A probability (0..1) as a percentage."""
    return "–" if value is None else f"{float(value) * 100:.{decimals}f}%"


def tolerance(value: float, mode: str) -> str:
    """How far from the expected value a reading is still on track, in words, its figure
    with its thousands separated ("within 2,100 (in the headline's units) of the expected
    value is on track; ..."): the methods annex's sentence in English. The reading's own
    ``Tolerance.rule`` keeps the figure bare (2100), as the JSON has always had it."""
    return str(tolerance_in_words(value, mode))


def coverage_text(share: float) -> str:
    """A share of units reported, as a whole percentage that never rounds to 100% unless all
    reported (51 of 52 is "98%", 0.999 is "99%") nor to 0% unless none did: "100% partial"
    would contradict itself."""
    pct = float(share) * 100
    if 0 < pct < 1:
        return "<1%"
    return f"{min(round(pct), 99) if pct < 100 else 100}%"


def when(value: Any) -> str:
    if value is None:
        return "no data yet"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return f"{value:%-d %B %Y, %H:%M} UTC"


def day(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{value:%-d %b %Y}"


STATUS_WORDS = {"on_track": "On track", "ahead": "Ahead", "off_track": "Off track",
                "no_data": "No data", "no_trajectory": "No trajectory",
                "outside_trajectory": "Outside trajectory",
                "met": "Target met", "missed": "Target missed"}
# Verdicts at a deadline, not progress towards one: never ranked with on/off track.
CONCLUDED = ("met", "missed")
LIKELIHOOD_WORDS = {"green": "Green", "amber_green": "Amber/green", "amber_red": "Amber/red",
                    "red": "Red"}
ICON_WORDS = ICON_LABELS  # SPC variation and assurance icons, as Making Data Count words


def status_word(value: Any) -> str:
    return STATUS_WORDS.get(str(value), str(value or "–").replace("_", " ").capitalize())


def amount(value: Any, unit_of_measure: str | None = None, decimals: int | None = None) -> str:
    """A value with its unit: 81.2% for a percentage, 28,980 dwellings for a count."""
    if value is None:
        return "–"
    if is_percent(unit_of_measure):
        return number(value, 1 if decimals is None else decimals) + "%"
    text = number(value, decimals)
    return f"{text} {unit_of_measure}" if unit_of_measure else text


def figure(value: Any, unit_of_measure: str | None = None, decimals: int | None = None) -> str:
    """A value in a sentence that names its indicator: 81.2% for a percentage, else the
    number alone (28,980)."""
    if value is None:
        return "–"
    if is_percent(unit_of_measure):
        return number(value, 1 if decimals is None else decimals) + "%"
    return number(value, decimals)


def difference(value: Any, unit_of_measure: str | None = None,
               decimals: int | None = None, with_unit: bool = False) -> str:
    """The size of a gap between two values: in points when they are percentages (81.2%
    against 78.0% is 3.2 points apart, not 3.2%), else the number alone (``with_unit``:
    followed by the unit, 7,648 dwellings)."""
    if value is None:
        return "–"
    if is_percent(unit_of_measure):
        text = number(abs(float(value)), 1 if decimals is None else decimals)
        return f"{text} {'point' if text == '1' else 'points'}"
    text = number(abs(float(value)), decimals)
    return f"{text} {unit_of_measure}" if with_unit and unit_of_measure else text


def change(value: Any, unit_of_measure: str | None = None, decimals: int | None = None) -> str:
    """A signed movement with its unit: +0.3 points for a percentage, −120 dwellings."""
    if value is None:
        return "–"
    if is_percent(unit_of_measure):
        text = signed(value, 1 if decimals is None else decimals)
        return f"{text} {'point' if text.lstrip('+−') == '1' else 'points'}"
    text = signed(value, decimals)
    return f"{text} {unit_of_measure}" if unit_of_measure else text


def status_sentence(row: UnitStatus, polarity: str | None,
                    unit_of_measure: str | None = None, decimals: int | None = None) -> str:
    """One reading in words, so that no colour stands alone: progress against the
    trajectory, or (once the target period is complete) met or missed at the deadline beside
    the target, and where the series has gone since."""
    word = status_word(row.status)
    latest, expected, verdict = row.latest, row.expected, row.at_target_period
    if latest is None:
        return f"{word}: no complete period has been reported yet."
    if verdict and row.status in CONCLUDED:
        return verdict_sentence(verdict, unit_of_measure, decimals)
    text = f"{word}: {figure(latest.value, unit_of_measure, decimals)} in {latest.period}"
    if expected is not None:
        places = expected_decimals(expected, decimals)
        text += f", against {figure(expected, unit_of_measure, places)} expected on the trajectory"
        if row.gap_pct is not None:
            text += f" ({row.gap_pct:+.1f}%)"
    direction = {"up": "higher is better", "down": "lower is better"}.get(polarity or "")
    return text + (f"; {direction}." if direction else ".")


def verdict_sentence(v: Verdict, unit_of_measure: str | None = None,
                     decimals: int | None = None) -> str:
    """'Target met: 81.2% in 2026-06 against a target of 78.0% (3.2 points above). Since
    then: 74.0% in 2026-09, 7.1 points lower, below the target.'"""
    def a(x: Any) -> str:
        return figure(x, unit_of_measure, decimals)

    word = status_word(v.status)
    when = v.actual_period
    if v.read_earlier:
        when += (f" (the last complete period before the target period "
                 f"{v.period})")
    gap = v.gap or 0.0
    side = ("exactly on it" if gap == 0 else
            f"{difference(gap, unit_of_measure, decimals)} {'above' if gap > 0 else 'below'}")
    text = f"{word}: {a(v.actual)} in {when} against a target of {a(v.target)} ({side})."
    since = v.since
    if since.period and since.period != v.actual_period:
        change = since.change or 0.0
        moved = ("unchanged" if change == 0 else
                 f"{difference(change, unit_of_measure, decimals)} "
                 f"{'higher' if change > 0 else 'lower'}")
        holds = ("still meeting the target" if since.meets_target
                 else "not meeting the target now")
        text += f" Since then: {a(since.value)} in {since.period}, {moved}, {holds}."
    return text


def likelihood_word(value: Any) -> str:
    return LIKELIHOOD_WORDS.get(str(value), "Not assessed" if value is None else str(value))


def icon_word(value: Any) -> str:
    return ICON_WORDS.get(str(value), "–" if value is None else str(value).replace("_", " "))


LEAD_VERDICTS = {
    "lead": "Leads the headline",
    "two_way": "Moves with the headline: the headline leads it at least as strongly",
    "mixed_units": "Significant, but points different ways in different units",
    "sign_conflict": "Significant, but its effect and its correlation point different ways",
    "no_forecast_check": "Significant, but too few periods to check it improves forecasts",
    "no_forecast_gain": "Significant, but does not improve forecasts of the headline",
    "no_evidence": "No evidence that it leads",
}


def lead_evidence(evidence: LeadEvidence | None) -> str:
    """Whether a named lead leads its headline, in a sentence: the finder's reading, the
    best lag, and the out-of-sample forecast gain (services.leads.named_lead_evidence)."""
    if not evidence:
        return "Not tested: too little data in common with the headline"
    verdict = LEAD_VERDICTS.get(evidence.reading, str(evidence.reading))
    if evidence.reading == "no_evidence":
        return verdict
    lag, word = evidence.lag, evidence.period_word or "periods"
    unit = word[:-1] if lag == 1 else word
    gain = evidence.oos_gain
    better = ("" if gain is None else
              f"; forecasts {abs(gain):.0%} {'better' if gain >= 0 else 'worse'} with it")
    return f"{verdict} (best lag {lag} {unit}{better}; across {evidence.units} units)"


FILTERS = {"number": number, "expected": expected, "signed": signed, "percent": percent,
           "when": when, "day": day,
           "status_word": status_word, "likelihood_word": likelihood_word,
           "amount": amount, "figure": figure, "difference": difference, "change": change,
           "status_sentence": status_sentence, "verdict_sentence": verdict_sentence,
           "icon_word": icon_word, "lead_evidence": lead_evidence}
