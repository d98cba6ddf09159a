"""A trajectory's method and parameters in sentences, for the methods annex of the documents:
a reader of a pack is told how the expected path was drawn, not shown a Python dict. The
sentences are ``Sentence``s (analysis.wording): English text that a French document says
again from the ``alerts`` catalogue (reports.said)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from ..analysis import calibration as cal
from ..analysis.trajectory import CHANCE_LEVEL
from ..analysis.wording import A_, Percent, Plain, Sentence

_SHAPES = {
    "linear": A_("A straight line from the baseline to the target (the same change every "
                 "period)."),
    "constant_rate": A_("A constant rate: the same percentage change every period from the "
                        "baseline to the target."),
    "s_curve": A_("An S-curve: a slow start, the fastest change around the midpoint and a "
                  "slow finish."),
    "front_loaded": A_("Front-loaded: most of the change early."),
    "back_loaded": A_("Back-loaded: most of the change late, as the interventions bite."),
    "landmarks": A_("Straight lines through the agreed landmarks."),
    "interventions": A_("Built bottom-up from the delivery plan's interventions."),
}


def _number(v: Any) -> Any:
    """Four significant figures, and whole from 1,000 on (27,570, never 2.757e+04)."""
    return Plain(v) if isinstance(v, float) else str(v)


def _signed(v: Any) -> Any:
    if not isinstance(v, int | float):
        return str(v)
    return Plain(v, "+,.0f" if abs(v) >= 1000 else "+,.4g")


def _then(text: str, more: str) -> Sentence:
    """Two sentences one after the other."""
    return Sentence("%(text)s%(more)s", text=text, more=more)


def trajectory_shape(method: str) -> str:
    """A trajectory's shape in one sentence (its first: the one ``trajectory_in_words``
    opens with), or the method's name where it is not one of the known shapes."""
    return Sentence(_SHAPES[method]) if method in _SHAPES else method


def trajectory_in_words(method: str | None, parameters: Mapping[str, Any] | None) -> str:
    """How the trajectory runs from the baseline to the target, in one or two sentences
    (parameters as a priorities.yaml ``trajectory:`` holds them, defaults filled in)."""
    if method is None:
        return Sentence("No trajectory is set, so readings are not compared with an expected "
                        "path.")
    p = dict(parameters or {})
    if method in _SHAPES:
        text: str = Sentence(_SHAPES[method])
    else:
        words = method.replace("_", " ")
        text = words[:1].upper() + words[1:] + "."
    if method == "s_curve":
        text = _then(text, Sentence(
            " Steepness %(steepness)s (higher is a sharper middle), centred on %(midpoint)s.",
            steepness=_number(p.get("steepness")),
            midpoint=p.get("midpoint") or Sentence("the halfway point in time")))
    elif method in ("front_loaded", "back_loaded") and p.get("k") is not None:
        text = _then(text, Sentence(
            " Power %(k)s (1 would be a straight line; higher is more uneven).",
            k=_number(p["k"])))
    elif method == "landmarks":
        marks = [Sentence("%(value)s in %(period)s", value=_number(m["value"]),
                          period=m["period"]) for m in p.get("landmarks") or ()]
        if marks:
            listed = marks[0]
            for mark in marks[1:]:
                listed = Sentence("%(marks)s; %(mark)s", marks=listed, mark=mark)
            text = _then(text, Sentence(" Landmarks: %(marks)s.", marks=listed))
    elif method == "interventions":
        drift = p.get("drift") or 0
        text = _then(text, Sentence(" Without action the headline would stay at the "
                                    "baseline.") if not drift else
                     Sentence(" Without action it would move %(drift)s a period.",
                              drift=_signed(drift)))
        for i in p.get("interventions") or ():
            ramp = i.get("ramp")
            said = dict(name=i.get("name") or Sentence("An intervention"),
                        effect=_signed(i.get("effect")), start=i.get("start"))
            text = _then(text, Sentence(
                " %(name)s: %(effect)s from %(start)s, in full after %(ramp)s periods.",
                ramp=ramp, **said) if ramp else
                Sentence(" %(name)s: %(effect)s from %(start)s.", **said))
    return text


# -- the other rows of the methods annex -------------------------------------------------
# Each says again, as a Sentence, words another layer writes in English (the reading, the
# forecast, the quality score); ``said_again`` keeps the English as it was written should
# the two ever part.

COMPLETE_PERIODS = A_("periods whose value is a partial roll-up (an expected child, or a "
                      "child's child, has not reported) are left out; reported totals count "
                      "as complete")
QUALITY_SCORE = A_("score = 100 x (0.30 completeness + 0.25 timeliness + 0.20 validity "
                   "+ 0.10 (1 - revision rate) + 0.15 (1 - outlier rate)), over the "
                   "components that can be measured, weights rescaled to sum to 1")


def said_again(sentence: Sentence, english: str) -> str:
    """``sentence`` where it is ``english`` word for word, its figures perhaps with their
    thousands separated where the English wrote them bare (2,100 for 2100), else
    ``english`` as it is."""
    return sentence if _ungrouped(str(sentence)) == english else english


def _ungrouped(text: str) -> str:
    """``text`` with the thousands separators of its figures taken out: 27,570 is 27570."""
    return re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)


def tolerance_in_words(value: float, mode: str, *, count: bool = False) -> Sentence:
    """How far from the expected value a reading is still on track (a priority's
    ``tolerance``: a percentage of the expected value, or in the headline's units); for a
    count, also what chance alone puts as far off (analysis.trajectory.chance)."""
    if mode == "relative":
        rule = Sentence("within %(tol)s%% of the expected value is on track; outside it, "
                        "ahead or off track by the indicator's polarity", tol=_grouped(value))
    else:
        rule = Sentence("within %(tol)s (in the headline's units) of the expected value is on "
                        "track; outside it, ahead or off track by the indicator's polarity",
                        tol=_grouped(value))
    if not count:
        return rule
    return Sentence("%(rule)s; a count that chance alone puts as far off in %(level)s of "
                    "periods or more is on track too", rule=rule, level=Percent(CHANCE_LEVEL))


def target_rule_in_words(polarity: str, period: str, target: float, tolerance: float,
                         mode: str) -> Sentence:
    """When a target counts as met, as one capitalised sentence (trajectory.met_rule)."""
    values = dict(target=_grouped(target), tol=_grouped(tolerance))
    side = (Sentence("at or above %(target)s", **values) if polarity == "up" else
            Sentence("at or below %(target)s", **values) if polarity == "down" else
            Sentence("within %(tol)s%% of %(target)s", **values) if mode == "relative" else
            Sentence("within %(tol)s of %(target)s", **values))
    return Sentence("Met when the actual in the target period %(period)s is %(side)s, missed "
                    "otherwise; read once that period is complete. When the target period "
                    "has no complete value, the last complete value before it (from the "
                    "baseline on) is read instead, and named.", period=period, side=side)


def _g(value: float) -> Plain:
    return Plain(value, "g")


def _grouped(value: float) -> Plain:
    """A target or a tolerance as ``:g`` writes it, its thousands separated (34,100; 2.5)."""
    return Plain(value, ",g")


# How a bounded forecast's distribution is fitted and kept (analysis.forecast)
_SCALES = {
    "on the square-root scale sqrt(value - min), squared back, each half-width at least the "
    "one whose upper end held its share of the past errors": A_(
        "on the square-root scale sqrt(value - min), squared back, each half-width at least "
        "the one whose upper end held its share of the past errors"),
    "on the value scale": A_("on the value scale"),
}
_KEPT = {
    "censored at the bounds (the probability beyond a bound sits on it)": A_(
        "censored at the bounds (the probability beyond a bound sits on it)"),
    "censored at the bounds (the probability beyond a bound sits on it) and rounded to whole "
    "numbers": A_("censored at the bounds (the probability beyond a bound sits on it) and "
                  "rounded to whole numbers"),
}
_BOUNDED = re.compile(r"; fitted (?P<scale>.+?); the distribution is (?P<kept>.+?) "
                      r"\((?P<bounds>[^()]*)\); width at most (?P<factor>[0-9.]+)x the "
                      r"model's own$")


def _bounds_in_words(text: str) -> Sentence | None:
    """A forecast's bounds (``Bounds.describe``: "min 0, whole numbers") as a sentence."""
    parts: list[Sentence] = []
    for part in text.split(", "):
        key, _, number = part.partition(" ")
        if part == "whole numbers":
            parts.append(Sentence("whole numbers"))
        elif key in ("min", "max") and re.fullmatch(r"-?[0-9.]+", number):
            parts.append(Sentence("min %(value)s", value=_g(float(number))) if key == "min"
                         else Sentence("max %(value)s", value=_g(float(number))))
        else:
            return None
    said = parts[0]
    for part in parts[1:]:
        said = Sentence("%(parts)s, %(part)s", parts=said, part=part)
    return said


def intervals_in_words(english: str) -> str:
    """A forecast's interval method (``Forecast.interval_method``) said again as a
    sentence, or the English where it is not one of the analysis' own."""
    calibrated = Sentence(
        "Student t around the ETS point forecast; per-level calibration: the 80%% and 95%% "
        "half-widths each estimated from the standardized h-step errors of the same "
        "procedure rerun at up to %(window)s earlier origins (data before the origin only): "
        "80%% = their 80%% quantile (recent errors weigh more, half-life %(half_life)s "
        "origins), 95%% = the larger of their 95%% quantile and the 95%% point of the "
        "variance-calibrated t; each shrunk towards the shorter horizon's (h=1: the model's "
        "own t, %(prior_df)s df) with prior weight %(prior_weight)s; the predictive "
        "distribution is the Student t through both half-widths (df %(low)s to %(high)s)",
        window=str(cal.CALIBRATION_WINDOW), half_life=_g(cal.HALF_LIFE),
        prior_df=_g(cal.PRIOR_DF), prior_weight=_g(cal.PRIOR_WEIGHT),
        low=_g(cal.DF_RANGE[0]), high=_g(cal.DF_RANGE[1]))
    rest = english[len(str(calibrated)):] if english.startswith(str(calibrated)) else None
    if rest == "":
        return said_again(calibrated, english)
    found = _BOUNDED.fullmatch(rest or "")
    if found is None or found["scale"] not in _SCALES or found["kept"] not in _KEPT:
        return english
    bounds = _bounds_in_words(found["bounds"])
    if bounds is None or float(found["factor"]) != math.sqrt(cal.MAX_FACTOR):
        return english
    return said_again(Sentence(
        "%(intervals)s; fitted %(scale)s; the distribution is %(kept)s (%(bounds)s); width "
        "at most %(factor)sx the model's own", intervals=calibrated,
        scale=Sentence(_SCALES[found["scale"]]), kept=Sentence(_KEPT[found["kept"]]),
        bounds=bounds, factor=_g(float(found["factor"]))), english)


_PROBABILITY = re.compile(r"P\(value (?P<op><=|>=) (?P<target>\S+) in (?P<period>\S+)\) from "
                          r"the forecast distribution(?:, which holds only values within "
                          r"(?P<bounds>.+))?$")


def probability_in_words(english: str) -> str:
    """How the chance of meeting the target is read from the forecast, said again as a
    sentence (or the English where it is not the reading's own)."""
    found = _PROBABILITY.fullmatch(english)
    if found is None:
        return english
    try:
        target = float(found["target"])
    except ValueError:
        return english
    said = Sentence("P(value %(op)s %(target)s in %(period)s) from the forecast distribution",
                    op=found["op"], target=_grouped(target), period=found["period"])
    if found["bounds"]:
        bounds = _bounds_in_words(found["bounds"])
        if bounds is None:
            return english
        said = Sentence("%(rule)s, which holds only values within %(bounds)s", rule=said,
                        bounds=bounds)
    return said_again(said, english)


def forecast_in_words(model: str, params: str, n: int, first: str, last: str,
                      intervals: str, probability: str) -> Sentence:
    """The forecast row of the annex: the model fitted, its intervals and the chance of
    meeting the target."""
    return Sentence("%(model)s (%(params)s) fitted to %(n)s complete periods from %(first)s "
                    "to %(last)s; intervals: %(intervals)s; %(probability)s.", model=model,
                    params=params, n=str(n), first=first, last=last,
                    intervals=intervals_in_words(intervals),
                    probability=probability_in_words(probability) if probability else "")


_TOO_LATE = re.compile(r"the latest complete period \((?P<last>[^()]+)\) is not before the "
                       r"target period \((?P<target>[^()]+)\): compare the actual with the "
                       r"target")


def no_forecast_in_words(error: str) -> str:
    """Why there is no forecast (the reading's own reasons said again; any other as it is,
    in English)."""
    found = _TOO_LATE.fullmatch(error)
    why: str = error
    if found:
        why = Sentence("the latest complete period (%(last)s) is not before the target "
                       "period (%(target)s): compare the actual with the target",
                       last=found["last"], target=found["target"])
    elif error == "no complete periods to forecast from":
        why = Sentence(A_("no complete periods to forecast from"))
    return said_again(Sentence("no forecast: %(error)s", error=why), f"no forecast: {error}")
