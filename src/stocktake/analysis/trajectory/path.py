"""The Trajectory object: an expected value for each period, with how it was made."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stocktake.model.periods import Period, PeriodType

from .base import _as_period, _check_within, _close


@dataclass(frozen=True, eq=False)
class Trajectory:
    """An expected value for each period from baseline to target, with how it was made.

    ``parameters`` holds the method's parameters with defaults filled in, in spec form
    (period codes as strings), so ``spec()`` fed back to ``trajectory_from_spec`` rebuilds
    the same trajectory. ``components`` holds the parts of a bottom-up trajectory
    (counterfactual and each intervention's contribution, before any seasonal profile).
    """

    method: str
    parameters: dict[str, Any]
    periods: tuple[Period, ...]
    expected: np.ndarray
    baseline_value: float
    target_value: float
    seasonal: tuple[float, ...] | None = None
    seasonal_mode: str | None = None
    components: dict[str, np.ndarray] = field(default_factory=dict)
    unit_split: dict[str, Any] | None = None

    @property
    def baseline_period(self) -> Period:
        return self.periods[0]

    @property
    def target_period(self) -> Period:
        return self.periods[-1]

    @property
    def period_type(self) -> PeriodType:
        return self.periods[0].type

    @property
    def end_value(self) -> float:
        """Where the trajectory ends at the target period."""
        return float(self.expected[-1])

    @property
    def shortfall(self) -> float:
        """How far the end falls short of the target, in the target's direction (>= 0).

        0 when the trajectory reaches or passes the target. When the target is to hold the
        baseline (target equals baseline) it is the distance from the target either way.
        """
        direction = np.sign(self.target_value - self.baseline_value)
        gap = self.target_value - self.end_value
        if direction == 0:
            return 0.0 if _close(gap, 0.0, self.target_value) else abs(gap)
        shortfall = max(0.0, float(direction * gap))
        return 0.0 if _close(shortfall, 0.0, self.target_value) else shortfall

    @property
    def reaches_target(self) -> bool:
        return self.shortfall == 0.0

    def expected_at(self, period: Period | str) -> float:
        """The expected value in one period between baseline and target."""
        p = _as_period(period, self.period_type)
        _check_within(p, self.periods, "period")
        return float(self.expected[p - self.baseline_period])

    def as_series(self) -> dict[str, float]:
        """Period code -> expected value."""
        return {p.code: float(v) for p, v in zip(self.periods, self.expected, strict=True)}

    def spec(self) -> dict[str, Any]:
        """The spec that rebuilds this trajectory with ``trajectory_from_spec``."""
        out: dict[str, Any] = {"method": self.method, **self.parameters}
        if self.seasonal is not None:
            out["seasonal"] = list(self.seasonal)
            out["seasonal_mode"] = self.seasonal_mode
        if self.unit_split is not None:
            out["units"] = dict(self.unit_split)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "parameters": self.parameters,
            "seasonal": list(self.seasonal) if self.seasonal is not None else None,
            "seasonal_mode": self.seasonal_mode,
            "baseline": {"period": self.baseline_period.code, "value": self.baseline_value},
            "target": {"period": self.target_period.code, "value": self.target_value},
            "period_type": self.period_type.value,
            "periods": [p.code for p in self.periods],
            "expected": [float(v) for v in self.expected],
            "end_value": self.end_value,
            "reaches_target": self.reaches_target,
            "shortfall": self.shortfall,
            "components": {k: [float(v) for v in a] for k, a in self.components.items()},
            "units": self.unit_split,
        }
