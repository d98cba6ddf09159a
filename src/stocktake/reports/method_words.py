"""A trajectory's method and parameters in sentences, for the methods annex of the documents:
a reader of a pack is told how the expected path was drawn, not shown a Python dict."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_SHAPES = {
    "linear": "a straight line from the baseline to the target (the same change every period)",
    "constant_rate": "a constant rate: the same percentage change every period from the "
                     "baseline to the target",
    "s_curve": "an S-curve: a slow start, the fastest change around the midpoint and a slow "
               "finish",
    "front_loaded": "front-loaded: most of the change early",
    "back_loaded": "back-loaded: most of the change late, as the interventions bite",
    "landmarks": "straight lines through the agreed landmarks",
    "interventions": "built bottom-up from the delivery plan's interventions",
}


def _number(v: Any) -> str:
    return f"{v:,.4g}" if isinstance(v, float) else str(v)


def _signed(v: Any) -> str:
    return f"{v:+,.4g}" if isinstance(v, int | float) else str(v)


def trajectory_in_words(method: str | None, parameters: Mapping[str, Any] | None) -> str:
    """How the trajectory runs from the baseline to the target, in one or two sentences
    (parameters as a priorities.yaml ``trajectory:`` holds them, defaults filled in)."""
    if method is None:
        return "No trajectory is set, so readings are not compared with an expected path."
    p = dict(parameters or {})
    text = _SHAPES.get(method, method.replace("_", " "))
    text = text[:1].upper() + text[1:] + "."
    if method == "s_curve":
        text += (f" Steepness {_number(p.get('steepness'))}"
                 f" (higher is a sharper middle), centred on "
                 f"{p.get('midpoint') or 'the halfway point in time'}.")
    elif method in ("front_loaded", "back_loaded") and p.get("k") is not None:
        text += f" Power {_number(p['k'])} (1 would be a straight line; higher is more uneven)."
    elif method == "landmarks":
        marks = [f"{_number(m['value'])} in {m['period']}" for m in p.get("landmarks") or ()]
        text += f" Landmarks: {'; '.join(marks)}." if marks else ""
    elif method == "interventions":
        drift = p.get("drift") or 0
        text += (" Without action the headline would stay at the baseline." if not drift else
                 f" Without action it would move {_signed(drift)} a period.")
        for i in p.get("interventions") or ():
            ramp = i.get("ramp")
            text += (f" {i.get('name', 'An intervention')}: {_signed(i.get('effect'))} from "
                     f"{i.get('start')}" + (f", in full after {ramp} periods" if ramp else "")
                     + ".")
    return text
