"""How figures, dates and ratings are written in pages, packs and reports: the same words
and numbers everywhere, and never a colour without its word."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ..analysis.spc import ICON_LABELS


def number(value: Any, decimals: int | None = None) -> str:
    if value is None:
        return "–"
    value = float(value)
    if decimals is None:
        decimals = 0 if value.is_integer() and abs(value) >= 100 else 1
    return f"{value:,.{decimals}f}"


def signed(value: Any, decimals: int | None = None) -> str:
    if value is None:
        return "–"
    text = number(abs(float(value)), decimals)
    return ("+" if float(value) > 0 else "−" if float(value) < 0 else "") + text


def percent(value: Any, decimals: int = 0) -> str:
    """A probability (0..1) as a percentage."""
    return "–" if value is None else f"{float(value) * 100:.{decimals}f}%"


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
                "outside_trajectory": "Outside trajectory"}
LIKELIHOOD_WORDS = {"green": "Green", "amber_green": "Amber/green", "amber_red": "Amber/red",
                    "red": "Red"}
ICON_WORDS = ICON_LABELS  # SPC variation and assurance icons, as Making Data Count words


def status_word(value: Any) -> str:
    return STATUS_WORDS.get(str(value), str(value or "–").replace("_", " ").capitalize())


def likelihood_word(value: Any) -> str:
    return LIKELIHOOD_WORDS.get(str(value), "Not assessed" if value is None else str(value))


def icon_word(value: Any) -> str:
    return ICON_WORDS.get(str(value), "–" if value is None else str(value).replace("_", " "))


_LEAD_VERDICTS = {
    "lead": "Leads the headline",
    "two_way": "Moves with the headline: the headline leads it at least as strongly",
    "mixed_units": "Significant, but points different ways in different units",
    "sign_conflict": "Significant, but its effect and its correlation point different ways",
    "no_forecast_check": "Significant, but too few periods to check it improves forecasts",
    "no_forecast_gain": "Significant, but does not improve forecasts of the headline",
    "no_evidence": "No evidence that it leads",
}


def lead_evidence(evidence: Any) -> str:
    """Whether a named lead leads its headline, in a sentence: the finder's reading, the
    best lag, and the out-of-sample forecast gain (services.leads.named_lead_evidence)."""
    if not evidence:
        return "Not tested: too little data in common with the headline"
    verdict = _LEAD_VERDICTS.get(evidence["reading"], str(evidence["reading"]))
    if evidence["reading"] == "no_evidence":
        return verdict
    lag, word = evidence["lag"], evidence.get("period_word") or "periods"
    unit = word[:-1] if lag == 1 else word
    gain = evidence.get("oos_gain")
    better = ("" if gain is None else
              f"; forecasts {abs(gain):.0%} {'better' if gain >= 0 else 'worse'} with it")
    return f"{verdict} (best lag {lag} {unit}{better}; across {evidence['units']} units)"


FILTERS = {"number": number, "signed": signed, "percent": percent, "when": when, "day": day,
           "status_word": status_word, "likelihood_word": likelihood_word,
           "icon_word": icon_word, "lead_evidence": lead_evidence}
