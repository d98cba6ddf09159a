"""The answers of the lead-indicator services (services/reading/leads.py and
services/reading/nowcast.py): which indicators move ahead of a headline, whether a
priority's named leads do, and the headline nowcast from its leads. Field order is the key
order of ``--json`` and the API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .base import Result


@dataclass(frozen=True)
class LeadFinding(Result):
    """Which indicators lead a headline, and by how many periods, across the units of one
    level (analysis.leads, with the panel it was run on)."""

    headline: str
    transform: str
    method: str
    inference: str  # "permutation" or "f"
    parameters: Mapping[str, Any]
    notes: tuple[str, ...]
    results: tuple[Mapping[str, Any], ...]  # one row per candidate and lag
    level: str
    units: tuple[str, ...]
    periods: tuple[str, str]  # first and last period of the headline's panel
    skipped: tuple[Mapping[str, str], ...]  # candidates left out, each with its reason
    ranked: tuple[Mapping[str, Any], ...]  # one row per candidate at its best lag, best first
    readings: Mapping[str, str]  # each reading word and what it means
    as_of: str | None
    data_as_of: str | None


@dataclass(frozen=True)
class LeadEvidence(Result):
    """Whether one lead a priority names does lead its headline: the finder run on that
    lead alone, at the deepest level where the two share enough periods."""

    lag: int  # the best lag, in periods
    q_value: float | None
    oos_gain: float | None  # out-of-sample gain of one-step forecasts with the lead
    sign_agreement: float | None  # share of units where the sign agrees
    reading: str  # a key of analysis.leads.LEAD_READINGS
    reading_words: str
    level: str
    units: int
    periods: tuple[str, str]
    period_word: str  # "months", "quarters", ...
    method: str
    notes: tuple[str, ...]


@dataclass(frozen=True)
class NowcastLead(Result):
    """A lead indicator used by a nowcast, at its lag."""

    code: str
    lag: int


@dataclass(frozen=True)
class Nowcast(Result):
    """The headline at a unit for the periods not yet reported, from its lead indicators,
    with intervals and a backtest against the headline-only forecast."""

    headline: str
    unit: str
    leads: tuple[NowcastLead, ...]
    model: Mapping[str, Any]  # the fitted model: method, coefficients, bounds, ...
    periods: tuple[Mapping[str, Any], ...]  # period, nowcast, lower_80 ... upper_95
    last_observed: Mapping[str, Any]  # the last reported period and value
    backtest: Mapping[str, Any]
    as_of: str | None
    data_as_of: str | None
