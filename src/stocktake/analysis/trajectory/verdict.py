"""Met or missed: the verdict on a target once its period is complete."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stocktake.model.entities import Polarity
from stocktake.model.periods import Period

from .base import MET, MISSED


@dataclass(frozen=True)
class TargetVerdict:
    """Whether a target was met, read once its period is complete, and where the series has
    gone since. ``period`` is the period whose actual was read: the target period itself,
    or (when it has no complete value) the last complete period before it."""

    status: str  # MET or MISSED
    target_period: str
    target: float
    period: str
    actual: float
    gap: float  # actual - target
    gap_pct: float | None  # gap / target x 100; None when the target is 0
    latest_period: str
    latest: float
    change_since: float  # latest - actual: the movement since the deadline
    holds: bool  # does the latest value still meet the target?
    rule: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def meets(value: float, target: float, polarity: Polarity | str, tolerance: float = 0.0,
          tolerance_mode: str = "relative") -> bool:
    """Does ``value`` meet ``target``? Up: at or above it; down: at or below it (a target
    is a line to cross, so no tolerance); neutral (no better side): within the tolerance
    of it. Rounding in the last digits never turns a met target into a missed one."""
    pol = Polarity(polarity)
    slack = 1e-9 * max(abs(target), abs(value), 1e-12)
    if pol is Polarity.UP:
        return value >= target - slack
    if pol is Polarity.DOWN:
        return value <= target + slack
    band = tolerance if tolerance_mode == "absolute" else tolerance / 100.0 * abs(target)
    return abs(value - target) <= band + slack


def met_rule(polarity: Polarity | str, target_period: str, target: float,
             tolerance: float = 0.0, tolerance_mode: str = "relative") -> str:
    """The rule of ``target_verdict`` in words, for JSON and pages."""
    pol = Polarity(polarity)
    if pol is Polarity.NEUTRAL:
        side = (f"within {tolerance:g}% of {target:g}" if tolerance_mode == "relative"
                else f"within {tolerance:g} of {target:g}")
    else:
        side = f"at or {'above' if pol is Polarity.UP else 'below'} {target:g}"
    return (f"met when the actual in the target period {target_period} is {side}, missed "
            "otherwise; read once that period is complete. When the target period has no "
            "complete value, the last complete value before it (from the baseline on) is "
            "read instead, and named")


def target_verdict(
    baseline_period: Period | str,
    target_period: Period | str,
    target: float,
    actuals: Mapping[str, float],
    polarity: Polarity | str,
    tolerance: float = 0.0,
    tolerance_mode: str = "relative",
) -> TargetVerdict | None:
    """Met or missed, once the target period is complete; None before then.

    ``actuals``: complete periods only (period code -> value), of the same period type as
    the target. The verdict is due when the latest complete period is at or after the
    target period. The actual read is the target period's; when that period has no
    complete value, the last complete value at or before it (but not before the baseline)
    stands in and is named in ``period``. None also when there is no such value: nothing
    to judge the target by.
    """
    tp = target_period if isinstance(target_period, Period) else Period.parse(target_period)
    bp = (baseline_period if isinstance(baseline_period, Period)
          else Period.parse(baseline_period, tp.type))
    by_period = sorted((Period.parse(k, tp.type), float(v)) for k, v in actuals.items()
                       if v is not None and not math.isnan(float(v)))
    if not by_period or by_period[-1][0] < tp:
        return None
    before = [(p, v) for p, v in by_period if bp <= p <= tp]
    if not before:
        return None
    period, actual = before[-1]
    latest_period, latest = by_period[-1]
    gap = actual - target
    return TargetVerdict(
        status=MET if meets(actual, target, polarity, tolerance, tolerance_mode) else MISSED,
        target_period=tp.code, target=float(target), period=period.code, actual=actual,
        gap=gap, gap_pct=gap / target * 100.0 if target != 0 else None,
        latest_period=latest_period.code, latest=latest, change_since=latest - actual,
        holds=meets(latest, target, polarity, tolerance, tolerance_mode),
        rule=met_rule(polarity, tp.code, target, tolerance, tolerance_mode))
