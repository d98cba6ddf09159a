"""Names the trajectory modules share: methods, statuses and defaults, the one error, and
small checks of numbers and periods."""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real
from typing import Any

from stocktake.errors import Invalid, TextProblem
from stocktake.model.periods import Period, PeriodType

METHODS = (
    "linear",
    "constant_rate",
    "s_curve",
    "front_loaded",
    "back_loaded",
    "landmarks",
    "interventions",
)
SEASONAL_MODES = ("multiplicative", "additive")
SPLIT_METHODS = ("proportional", "equal")
ON_MISMATCH = ("raise", "rescale")
TOLERANCE_MODES = ("relative", "absolute")

ON_TRACK = "on_track"
OFF_TRACK = "off_track"
AHEAD = "ahead"
NO_DATA = "no_data"
MET = "met"  # the target period is complete and the actual there reached the target
MISSED = "missed"  # ... and it did not

DEFAULT_STEEPNESS = 8.0
DEFAULT_POWER = 2.0


class TrajectoryError(Invalid):
    """A trajectory that cannot be built or read; ``problems`` lists every problem found."""

    def __init__(self, problems: str | Sequence[str]):
        texts = [problems] if isinstance(problems, str) else list(problems)
        super().__init__([TextProblem(p) for p in texts])

    def _text(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = "\n".join(f"- {p}" for p in self.problems)
        return f"{len(self.problems)} problems with the trajectory:\n{lines}"


def _check_within(period: Period, periods: Sequence[Period], what: str) -> None:
    first, last = periods[0], periods[-1]
    if period.type != first.type:
        raise TrajectoryError(
            f"{what} {period} is a {period.type.value}; the trajectory runs in {first.type.value}s"
        )
    if not first <= period <= last:
        raise TrajectoryError(f"{what} {period} is outside the trajectory {first}..{last}")


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def _number(value: Any, path: str, problems: list[str]) -> float | None:
    if not _is_number(value):
        problems.append(f"{path}: must be a finite number, got {value!r}")
        return None
    return float(value)


def _close(a: float, b: float, scale: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(scale))


def _as_period(value: Period | str, ptype: PeriodType) -> Period:
    p = value if isinstance(value, Period) else Period.parse(str(value), ptype)
    if p.type != ptype:
        raise TrajectoryError(f"{p} is a {p.type.value}; the trajectory runs in {ptype.value}s")
    return p


