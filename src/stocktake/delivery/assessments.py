"""Judging the likelihood of delivery, PMDU style: one assessment per priority per round.

An assessment rates a priority on the criteria the UK Prime Minister's Delivery Unit used
(degree of challenge; quality of planning, implementation and performance management;
capacity to drive progress; stage of delivery) and, from them, the likelihood of delivery on
a 4-point scale. Each rating keeps the human rationale beside it. Judgements drift and
statistics miss context, so :func:`disagreement` flags where the rating and the numbers part.

Documents are parsed YAML/JSON mappings; ``parse_assessment(a.to_dict()) == a``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ..errors import N_, Text, TextProblem, did_you_mean
from ..text import Plain
from .errors import DeliveryError
from .wording import DOMAIN

# -- scales ------------------------------------------------------------------------------

LIKELIHOOD: tuple[str, ...] = ("green", "amber_green", "amber_red", "red")
LIKELIHOOD_LABELS: dict[str, str] = {
    "green": "Green", "amber_green": "Amber/green", "amber_red": "Amber/red", "red": "Red"}
CHALLENGE: tuple[str, ...] = ("low", "medium", "high", "very_high")
CHALLENGE_LABELS: dict[str, str] = {
    "low": "Low", "medium": "Medium", "high": "High", "very_high": "Very high"}
STAGES: tuple[int, ...] = (1, 2, 3, 4)
STAGE_LABELS: dict[int, str] = {
    1: "Policy development", 2: "Early implementation",
    3: "Implementation well under way", 4: "Embedded"}

# Every rating's words, for templates that show any criterion.
RATING_LABELS: dict[Any, str] = {**LIKELIHOOD_LABELS, **CHALLENGE_LABELS, **STAGE_LABELS}


@dataclass(frozen=True)
class Scale:
    """An ordered rating scale. ``best_first`` says which end is the better one, so a change
    can be called an improvement: lower challenge and a later stage of delivery both are."""

    code: str
    values: tuple[Any, ...]
    labels: tuple[str, ...]
    best_first: bool

    def label(self, value: Any) -> str:
        return self.labels[self.values.index(value)]

    def rank(self, value: Any) -> int:
        """0 for the best value, rising to the worst."""
        i = self.values.index(value)
        return i if self.best_first else len(self.values) - 1 - i


RAG_SCALE = Scale("likelihood", LIKELIHOOD, tuple(LIKELIHOOD_LABELS.values()), True)
CHALLENGE_SCALE = Scale("challenge", CHALLENGE, tuple(CHALLENGE_LABELS.values()), True)
STAGE_SCALE = Scale("stage", STAGES, tuple(STAGE_LABELS.values()), False)

# (key, label, scale), in the order an assessment is read and shown; likelihood comes last
# because it is the judgement the other criteria lead to.
CRITERIA: tuple[tuple[str, str, Scale], ...] = (
    ("degree_of_challenge", "Degree of challenge", CHALLENGE_SCALE),
    ("quality_of_planning", "Quality of planning", RAG_SCALE),
    ("quality_of_implementation", "Quality of implementation", RAG_SCALE),
    ("quality_of_performance_management", "Quality of performance management", RAG_SCALE),
    ("capacity_to_drive_progress", "Capacity to drive progress", RAG_SCALE),
    ("stage_of_delivery", "Stage of delivery", STAGE_SCALE),
    ("likelihood", "Likelihood of delivery", RAG_SCALE),
)
_CRITERION = {key: (label, scale) for key, label, scale in CRITERIA}
_TOP_FIELDS = ("round", "assessed_on", "assessor", *_CRITERION)

# -- shared document reading (also used by stocktakes.py) ---------------------------------

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


REQUIRED = Text(N_("required"))


def _at(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _describe(value: Any) -> Text:
    """A value as a problem names it: ``'x' (text)``, ``nothing``."""
    if value is None:
        return Text(N_("nothing"))
    kind = {bool: N_("true/false"), int: N_("a number"), float: N_("a number"), str: N_("text"),
            list: N_("a list"), dict: N_("a mapping")}.get(type(value), type(value).__name__)
    return Text(N_("%(value)s (%(kind)s)"), value=repr(value), kind=Text(kind))


class _Problems:
    """Collects every problem in a document, each prefixed by its field path."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, message: str) -> None:
        """``message`` at ``path``; a Text is kept (TextProblem.at) for a page to say again."""
        if isinstance(message, Text):
            self.items.append(TextProblem.at(path, message))
        else:
            self.items.append(f"{path}: {message}" if path else message)

    def raise_if_any(self) -> None:
        if self.items:
            raise DeliveryError(self.items)

    def mapping(self, raw: Any, path: str, allowed: Iterable[str]) -> dict[str, Any] | None:
        """The mapping with its keys checked (unknown keys suggest the nearest known one)."""
        if not isinstance(raw, Mapping):
            self.add(path, Text(N_("expected a mapping, got %(value)s"), value=_describe(raw)))
            return None
        allowed = tuple(allowed)
        out: dict[str, Any] = {}
        for key, value in raw.items():
            if str(key) not in allowed:
                self.add(_at(path, str(key)), Text(N_("unknown field%(hint)s"),
                                                   hint=did_you_mean(str(key), allowed)))
            else:
                out[str(key)] = value
        return out

    def text(self, raw: Mapping[str, Any], key: str, path: str, *,
             required: bool = False) -> str | None:
        """Text, stripped; blank counts as absent. Numbers are refused rather than guessed."""
        value = raw.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if value is not None and not isinstance(value, str):
            self.add(_at(path, key), Text(N_("expected text, got %(value)s"),
                                          value=_describe(value)))
        elif required:
            self.add(_at(path, key), REQUIRED)
        return None

    def required(self, raw: Mapping[str, Any], key: str, path: str) -> Any:
        if raw.get(key) is None:
            self.add(_at(path, key), REQUIRED)
        return raw.get(key)

    def date(self, raw: Mapping[str, Any], key: str, path: str, *,
             required: bool = False) -> date | None:
        if required and raw.get(key) is None:
            self.add(_at(path, key), REQUIRED)
        return self.as_date(raw.get(key), _at(path, key))

    def as_date(self, value: Any, path: str) -> date | None:
        if value is None:
            return None
        if isinstance(value, datetime):  # YAML reads 2026-06-12T10:00 as a date-time
            self.add(path, Text(N_("expected a date (YYYY-MM-DD), got the date-time %(value)s"),
                                value=value.isoformat()))
            return None
        if isinstance(value, date):
            return value
        if isinstance(value, str) and _ISO_DATE.match(value.strip()):
            try:
                return date.fromisoformat(value.strip())
            except ValueError as exc:
                self.add(path, Text(N_("%(value)s is not a real date (%(why)s)"),
                                    value=repr(value), why=str(exc)))
                return None
        self.add(path, Text(N_("expected a date (YYYY-MM-DD), got %(value)s"),
                            value=_describe(value)))
        return None

    def choice(self, value: Any, choices: tuple[Any, ...], path: str) -> Any:
        if value in choices and type(value) is type(choices[0]):
            return value
        listed = ", ".join(str(c) for c in choices)
        hint = did_you_mean(value, [str(c) for c in choices]) if isinstance(value, str) else ""
        self.add(path, Text(N_("%(value)s is not one of %(choices)s%(hint)s"), value=repr(value),
                            choices=listed, hint=hint))
        return None


# -- the assessment ------------------------------------------------------------------------


@dataclass(frozen=True)
class Assessment:
    """One round's judgement of one priority. ``ratings`` maps a criterion key to
    ``{"rating": value, "rationale": text or None}``, in :data:`CRITERIA` order."""

    round: str
    assessed_on: date
    assessor: str
    ratings: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def likelihood(self) -> str:
        return self.ratings["likelihood"]["rating"]

    @property
    def likelihood_label(self) -> str:
        return LIKELIHOOD_LABELS[self.likelihood]

    def gaps(self) -> list[dict[str, str]]:
        """What the assessment leaves unsaid: criteria not rated and ratings without a
        rationale, each ``{"criterion", "missing": "rating" | "rationale", "message"}``."""
        out = []
        for key, label, _ in CRITERIA:
            entry = self.ratings.get(key)
            if entry is None:
                out.append({"criterion": key, "missing": "rating",
                            "message": f"{label} is not rated"})
            elif not entry.get("rationale"):
                out.append({"criterion": key, "missing": "rationale",
                            "message": f"{label} is rated {_label(key, entry['rating'])} "
                                       "with no rationale"})
        return out

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"round": self.round, "assessed_on": self.assessed_on.isoformat(),
                               "assessor": self.assessor}
        for key, _, _ in CRITERIA:
            entry = self.ratings.get(key)
            if entry is not None:
                out[key] = {"rating": entry["rating"]}
                if entry.get("rationale"):
                    out[key]["rationale"] = entry["rationale"]
        return out


def _label(key: str, rating: Any) -> str:
    return _CRITERION[key][1].label(rating)


def parse_assessment(raw: Any) -> Assessment:
    """Read an assessment document, or raise DeliveryError listing every problem."""
    problems = _Problems()
    if not raw:
        raise DeliveryError(TextProblem.at("", Text(N_(
            "an assessment needs round, assessed_on, assessor and likelihood ({rating, "
            "rationale}); got nothing"))))
    doc = problems.mapping(raw, "", _TOP_FIELDS)
    if doc is None:
        raise DeliveryError(problems.items)
    round_ = doc.get("round")
    # YAML reads `round: 2026` as a number and `round: 2026-09-30` as a date: both are labels.
    if isinstance(round_, int) and not isinstance(round_, bool):
        round_ = str(round_)
    elif isinstance(round_, date):
        round_ = round_.isoformat()
    round_ = problems.text({"round": round_}, "round", "", required=True)
    assessed_on = problems.date(doc, "assessed_on", "", required=True)
    assessor = problems.text(doc, "assessor", "", required=True)
    problems.required(doc, "likelihood", "")
    ratings: dict[str, dict[str, Any]] = {}
    for key, _, scale in CRITERIA:
        if doc.get(key) is None:
            continue
        entry = problems.mapping(doc[key], key, ("rating", "rationale"))
        if entry is None:
            continue
        rating = problems.required(entry, "rating", key)
        if rating is not None:
            rating = problems.choice(rating, scale.values, _at(key, "rating"))
        rationale = problems.text(entry, "rationale", key, required=key == "likelihood")
        if rating is not None:
            ratings[key] = {"rating": rating, "rationale": rationale}
    problems.raise_if_any()
    return Assessment(round_, assessed_on, assessor, ratings)  # type: ignore[arg-type]


# -- comparing two rounds ------------------------------------------------------------------


def change(previous: Assessment | None, current: Assessment) -> dict[str, Any]:
    """How the ratings moved since the previous round.

    Returns ``{"round", "since", "criteria": {key: {"label", "old", "new", "old_label",
    "new_label", "direction"}}, "direction", "sentence"}``, where direction is "improved",
    "worse", "same", "new" (not rated before) or "removed" (rated before, not now), read on
    each criterion's scale, and ``direction``/``sentence`` are about the likelihood.
    """
    if previous is not None and previous.assessed_on > current.assessed_on:
        raise ValueError(f"change: the previous assessment ({previous.round}, "
                         f"{previous.assessed_on}) is later than the current one "
                         f"({current.round}, {current.assessed_on})")
    criteria: dict[str, dict[str, Any]] = {}
    for key, label, scale in CRITERIA:
        old = previous.ratings.get(key, {}).get("rating") if previous else None
        new = current.ratings.get(key, {}).get("rating")
        if old is None and new is None:
            continue
        if old is None:
            direction = "new"
        elif new is None:
            direction = "removed"
        else:
            step = scale.rank(old) - scale.rank(new)
            direction = "improved" if step > 0 else "worse" if step < 0 else "same"
        criteria[key] = {"label": label, "old": old, "new": new,
                         "old_label": None if old is None else scale.label(old),
                         "new_label": None if new is None else scale.label(new),
                         "direction": direction}
    like = criteria["likelihood"]
    if previous is None or like["direction"] == "new":
        sentence = f"Likelihood first assessed as {like['new_label']} in {current.round}"
    elif like["direction"] == "same":
        sentence = f"Likelihood unchanged at {like['new_label']} since {previous.round}"
    else:
        verb = "improved" if like["direction"] == "improved" else "worsened"
        sentence = (f"Likelihood {verb} from {like['old_label']} to {like['new_label']} "
                    f"since {previous.round}")
    return {"round": current.round, "since": previous.round if previous else None,
            "criteria": criteria, "direction": like["direction"], "sentence": sentence}


# -- judgement against statistics ----------------------------------------------------------

# A rating of green or amber/green while the forecast gives less than this chance of meeting
# the target (or red/amber-red while it gives more than HIGH_PROBABILITY) is flagged.
# Strict comparisons: exactly 30% or 70% is not a disagreement.
LOW_PROBABILITY = 0.30
HIGH_PROBABILITY = 0.70
STATUSES: tuple[str, ...] = ("on_track", "ahead", "off_track", "no_data", "no_trajectory",
                             "outside_trajectory", "met", "missed")
# The brief's short icon names and analysis.spc's (which add _high/_low) both read.
VARIATION_KINDS: tuple[str, ...] = ("improvement", "concern", "common_cause", "neutral",
                                    "too_few_points")


def _percent(p: float, *, below: float | None = None, above: float | None = None) -> str:
    """Whole percent, except where rounding would land on the threshold being crossed
    (29.6% must not read as "30%" in a flag for "below 30%")."""
    text = f"{round(p * 100):.0f}%"
    if below is not None and round(p * 100) >= below * 100:
        text = f"{math.floor(round(p * 1000, 6)) / 10:.1f}%"
    if above is not None and round(p * 100) <= above * 100:
        text = f"{math.ceil(round(p * 1000, 6)) / 10:.1f}%"
    return text


def _a(number_text: str) -> str:
    """'a' or 'an' before a number as spoken: an 8%, an 11%, an 18%, an 80-89%."""
    digits = number_text.split(".")[0].rstrip("%")
    vowel = digits in ("8", "11", "18") or (len(digits) == 2 and digits[0] == "8")
    return "an" if vowel else "a"


def _flag(message: str, /, **values: Any) -> Text:
    """A disagreement's words (or a rating's label) in the chains' and plans' catalogue."""
    return Text.in_catalogue(DOMAIN, message, **values)


def _forecast_gives(rating: Text, pct: str) -> Text:
    """"Rated Amber/green, but the forecast gives a 5% probability of meeting the target"
    (``pct`` as _percent writes it; "an" before 8%, 11%, 18% and 80-89%)."""
    values = dict(rating=rating, pct=Plain(float(pct.rstrip("%"))))
    if _a(pct) == "an":
        return _flag("Rated %(rating)s, but the forecast gives an %(pct)s%% probability of "
                     "meeting the target", **values)
    return _flag("Rated %(rating)s, but the forecast gives a %(pct)s%% probability of "
                 "meeting the target", **values)


def disagreement(likelihood: str, *, probability: float | None, status: str | None,
                 variation_icon: str | None = None) -> list[dict[str, str]]:
    """Where the likelihood rating and the statistics disagree, each ``{"flag", "message"}``.

    ``probability`` is the forecast's probability of meeting the target, ``status`` the
    headline's reading against its trajectory and ``variation_icon`` the SPC icon of its
    latest point. Returns [] when they agree or when there is no statistic to compare.
    """
    problems = _Problems()
    if likelihood not in LIKELIHOOD:
        problems.add("likelihood", Text(N_("%(value)s is not one of %(choices)s%(hint)s"),
                                        value=repr(likelihood), choices=", ".join(LIKELIHOOD),
                                        hint=did_you_mean(likelihood, LIKELIHOOD)
                                        if isinstance(likelihood, str) else ""))
    if probability is not None:
        if isinstance(probability, bool) or not isinstance(probability, (int, float)):
            problems.add("probability", Text(N_("expected a number from 0 to 1, got %(value)s"),
                                             value=_describe(probability)))
            probability = None
        elif math.isnan(probability):
            probability = None  # the forecast could not be made: no statistic
        elif not 0.0 <= probability <= 1.0:
            problems.add("probability", Text(N_("%(value)s is not between 0 and 1"),
                                             value=str(probability)))
    if status is not None and status not in STATUSES:
        problems.add("status", Text(N_("%(value)s is not one of %(choices)s%(hint)s"),
                                    value=repr(status), choices=", ".join(STATUSES),
                                    hint=did_you_mean(status, STATUSES)
                                    if isinstance(status, str) else ""))
    kind = None
    if variation_icon is not None:
        kind = re.sub(r"_(high|low)$", "", str(variation_icon))
        if kind not in VARIATION_KINDS:
            problems.add("variation_icon", Text(N_(
                "%(value)s is not one of %(choices)s (optionally with _high or _low)"),
                value=repr(variation_icon), choices=", ".join(VARIATION_KINDS)))
    problems.raise_if_any()

    # Each message a Text of the chains' and plans' catalogue (delivery/locale), so that a
    # French document says it again (reports.said): marked _flag, not N_, since the web's
    # catalogue, which extracts N_ from this module, does not show them.
    rating = _flag(LIKELIHOOD_LABELS[likelihood])
    flags: list[dict[str, str]] = []
    if probability is not None:
        if likelihood in ("green", "amber_green") and probability < LOW_PROBABILITY:
            flags.append({"flag": "rated_above_forecast", "message": _forecast_gives(
                rating, _percent(probability, below=LOW_PROBABILITY))})
        if likelihood in ("red", "amber_red") and probability > HIGH_PROBABILITY:
            flags.append({"flag": "rated_below_forecast", "message": _forecast_gives(
                rating, _percent(probability, above=HIGH_PROBABILITY))})
    if likelihood == "green" and status == "off_track":
        flags.append({"flag": "green_but_off_track", "message": _flag(
            "Rated %(rating)s, but the latest figure is off track against the trajectory",
            rating=rating)})
    if likelihood == "red" and status in ("on_track", "ahead"):
        flags.append({"flag": "red_but_on_track", "message": _flag(
            "Rated %(rating)s, but the latest figure is ahead of the trajectory", rating=rating)
            if status == "ahead" else _flag(
            "Rated %(rating)s, but the latest figure is on track against the trajectory",
            rating=rating)})
    # After the deadline the statistic is a fact, not a forecast: a rating that says
    # otherwise is flagged whatever its shade.
    if likelihood in ("green", "amber_green") and status == "missed":
        flags.append({"flag": "rated_above_missed", "message": _flag(
            "Rated %(rating)s, but the target was missed at its deadline", rating=rating)})
    if likelihood in ("red", "amber_red") and status == "met":
        flags.append({"flag": "rated_below_met", "message": _flag(
            "Rated %(rating)s, but the target was met at its deadline", rating=rating)})
    if likelihood == "green" and kind == "concern":
        flags.append({"flag": "green_but_concern", "message": _flag(
            "Rated %(rating)s, but the latest figure shows special-cause variation of concern",
            rating=rating)})
    return flags
