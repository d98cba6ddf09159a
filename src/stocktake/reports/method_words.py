"""A trajectory's method and parameters in sentences, for the methods annex of the documents:
a reader of a pack is told how the expected path was drawn, not shown a Python dict. The
sentences are ``Sentence``s (analysis.wording): English text that a French document says
again from the ``alerts`` catalogue (reports.said)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..analysis.wording import A_, Plain, Sentence

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
    return Plain(v, ",.4g") if isinstance(v, float) else str(v)


def _signed(v: Any) -> Any:
    return Plain(v, "+,.4g") if isinstance(v, int | float) else str(v)


def _then(text: str, more: str) -> Sentence:
    """Two sentences one after the other."""
    return Sentence("%(text)s%(more)s", text=text, more=more)


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
