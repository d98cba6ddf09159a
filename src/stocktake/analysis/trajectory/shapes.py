"""Shapes: baseline value, target value and periods in, one expected value per period out;
and the 12-month seasonal profile laid over any of them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np
from scipy.special import expit

from stocktake.model.periods import Period, PeriodType

from .base import (
    DEFAULT_POWER,
    DEFAULT_STEEPNESS,
    SEASONAL_MODES,
    TrajectoryError,
    _check_within,
    _is_number,
    _number,
)

# Seasonal factors must average 1 (or 0) to this precision, scaled by their size.
_SEASONAL_MEAN_TOL = 1e-6


def elapsed(periods: Sequence[Period]) -> np.ndarray:
    """Elapsed fraction of time for each period: 0 at the first period, 1 at the last."""
    _check_periods(periods)
    n = len(periods) - 1
    return np.arange(n + 1, dtype=float) / n


def linear(baseline: float, target: float, periods: Sequence[Period]) -> np.ndarray:
    """The same absolute change every period."""
    return _from_progress(baseline, target, elapsed(periods))


def constant_rate(baseline: float, target: float, periods: Sequence[Period]) -> np.ndarray:
    """Geometric: the same percentage change every period, ratio (target/baseline)^(1/n)."""
    t = elapsed(periods)
    _require_positive(baseline, target)
    values = baseline * np.exp(t * math.log(target / baseline))
    values[0], values[-1] = baseline, target  # exact at the ends despite rounding
    return values


def constant_rate_ratio(baseline: float, target: float, periods: Sequence[Period]) -> float:
    """The per-period ratio of the constant-rate trajectory (1.02 means +2% a period)."""
    _check_periods(periods)
    _require_positive(baseline, target)
    return (target / baseline) ** (1.0 / (len(periods) - 1))


def s_curve(
    baseline: float,
    target: float,
    periods: Sequence[Period],
    steepness: float = DEFAULT_STEEPNESS,
    midpoint: Period | None = None,
) -> np.ndarray:
    """Slow start, fast middle, slow finish: a logistic curve in time.

    The logistic L(t) = 1 / (1 + exp(-steepness * (t - m))) is rescaled to
    f(t) = (L(t) - L(0)) / (L(1) - L(0)) so the path passes exactly through baseline and
    target. ``m`` is the midpoint period's elapsed fraction (default 0.5, halfway in time);
    with the default midpoint the curve is symmetric: f(t) + f(1 - t) = 1.
    """
    t = elapsed(periods)
    if not _is_number(steepness) or steepness <= 0:
        raise TrajectoryError(f"steepness must be a positive number, got {steepness!r}")
    m = 0.5
    if midpoint is not None:
        _check_within(midpoint, periods, "midpoint")
        m = (midpoint - periods[0]) / (len(periods) - 1)
    logistic = expit(steepness * (np.append(t, [0.0, 1.0]) - m))
    l0, l1 = logistic[-2], logistic[-1]
    return _from_progress(baseline, target, (logistic[:-2] - l0) / (l1 - l0))


def front_loaded(
    baseline: float, target: float, periods: Sequence[Period], k: float = DEFAULT_POWER
) -> np.ndarray:
    """Most of the change early: f(t) = 1 - (1 - t)^k, k >= 1 (k = 1 is linear)."""
    t = elapsed(periods)
    _check_power(k)
    return _from_progress(baseline, target, 1.0 - (1.0 - t) ** k)


def back_loaded(
    baseline: float, target: float, periods: Sequence[Period], k: float = DEFAULT_POWER
) -> np.ndarray:
    """Most of the change late, as interventions bite: f(t) = t^k, k >= 1."""
    t = elapsed(periods)
    _check_power(k)
    return _from_progress(baseline, target, t**k)


def through_landmarks(
    baseline: float,
    target: float,
    periods: Sequence[Period],
    landmarks: Sequence[tuple[Period, float]],
) -> np.ndarray:
    """Piecewise linear through baseline, planned values at given periods, and target.

    Landmarks must lie strictly between the baseline and target periods, in time order.
    """
    _check_periods(periods)
    first, last = periods[0], periods[-1]
    x, y = [0.0], [float(baseline)]
    for period, value in landmarks:
        if not first < period < last:
            raise TrajectoryError(
                f"landmark {period} must lie strictly between the baseline {first} "
                f"and the target {last}"
            )
        if period - first <= x[-1]:
            raise TrajectoryError(f"landmark {period} is not after the one before it")
        x.append(float(period - first))
        y.append(float(value))
    x.append(float(last - first))
    y.append(float(target))
    return np.interp(np.arange(len(periods), dtype=float), x, y)


@dataclass(frozen=True)
class Intervention:
    """An action expected to move the indicator by ``effect`` (signed, indicator units).

    Its contribution is 0 up to and including the ``start`` period, then rises linearly to
    the full effect ``ramp`` periods later and holds: effect * clip((p - start) / ramp, 0, 1).
    With ``ramp`` 0 the full effect applies from ``start`` itself.
    """

    name: str
    start: Period
    effect: float
    ramp: int = 0

    def contribution(self, periods: Sequence[Period]) -> np.ndarray:
        _check_periods(periods)
        if self.start.type != periods[0].type:
            raise TrajectoryError(
                f"intervention '{self.name}' starts in {self.start.type.value} "
                f"{self.start}, but the trajectory runs in {periods[0].type.value}s"
            )
        if not isinstance(self.ramp, Integral) or isinstance(self.ramp, bool) or self.ramp < 0:
            raise TrajectoryError(
                f"intervention '{self.name}': ramp must be a whole number of periods >= 0"
            )
        since = np.arange(len(periods), dtype=float) - (self.start - periods[0])
        if self.ramp == 0:
            share = (since >= 0).astype(float)
        else:
            share = np.clip(since / self.ramp, 0.0, 1.0)
        return self.effect * share + 0.0  # + 0.0 turns -0.0 into 0.0


def counterfactual(baseline: float, periods: Sequence[Period], drift: float = 0.0) -> np.ndarray:
    """The value each period without action: the baseline plus ``drift`` per period."""
    _check_periods(periods)
    return baseline + drift * np.arange(len(periods), dtype=float)


def bottom_up(
    baseline: float,
    periods: Sequence[Period],
    interventions: Sequence[Intervention],
    drift: float = 0.0,
) -> np.ndarray:
    """Counterfactual trend plus the contribution of every intervention.

    It ends where the interventions take it, not necessarily at the target: compare the
    last value with the target (``Trajectory.shortfall``).
    """
    values = counterfactual(baseline, periods, drift)
    for intervention in interventions:
        values = values + intervention.contribution(periods)
    return values


def check_seasonal(factors: Sequence[float], mode: str = "multiplicative") -> tuple[float, ...]:
    """Validate a 12-month profile (January first) and return it as floats.

    Multiplicative factors are positive and average 1; additive ones (indicator units)
    average 0, so the profile moves values within the year without changing their level.
    """
    problems = _seasonal_problems(factors, mode, "seasonal")
    if problems:
        raise TrajectoryError(problems)
    return tuple(float(f) for f in factors)


def apply_seasonal(
    values: np.ndarray,
    periods: Sequence[Period],
    factors: Sequence[float],
    mode: str = "multiplicative",
) -> np.ndarray:
    """Multiply (or add) each monthly value by its calendar month's factor."""
    profile = np.asarray(check_seasonal(factors, mode))
    per_period = profile[_calendar_months(periods)]
    values = np.asarray(values, dtype=float)
    return values * per_period if mode == "multiplicative" else values + per_period


def deseasonalise(
    value: float, period: Period, factors: Sequence[float], mode: str = "multiplicative"
) -> float:
    """Remove a month's seasonal factor from one value (the inverse of apply_seasonal)."""
    factor = check_seasonal(factors, mode)[_calendar_months([period])[0]]
    return value / factor if mode == "multiplicative" else value - factor


def _seasonal_problems(factors: Any, mode: str, path: str) -> list[str]:
    if mode not in SEASONAL_MODES:
        return [f"{path}_mode: {mode!r} is not one of {', '.join(SEASONAL_MODES)}"]
    if not isinstance(factors, Sequence) or isinstance(factors, str):
        return [f"{path}: must be a list of 12 monthly factors, January first"]
    if len(factors) != 12:
        return [f"{path}: needs 12 monthly factors (January first), got {len(factors)}"]
    problems: list[str] = []
    values = [_number(f, f"{path}[{i}]", problems) for i, f in enumerate(factors)]
    if problems:
        return problems
    if mode == "multiplicative":
        problems += [
            f"{path}[{i}]: multiplicative factors must be above 0, got {v:g}"
            for i, v in enumerate(values)
            if v <= 0
        ]
    mean = sum(values) / 12  # type: ignore[arg-type]
    centre = 1.0 if mode == "multiplicative" else 0.0
    scale = max(1.0, max(abs(v) for v in values))  # type: ignore[type-var]
    if abs(mean - centre) > _SEASONAL_MEAN_TOL * scale:
        problems.append(
            f"{path}: {mode} factors must average {centre:g} so the profile does not move "
            f"the level, but they average {mean:.6g}"
            + (
                f"; divide each by {mean:.6g}"
                if mode == "multiplicative" and mean > 0
                else f"; subtract {mean:.6g} from each"
                if mode == "additive"
                else ""
            )
        )
    return problems


def _from_progress(baseline: float, target: float, f: np.ndarray) -> np.ndarray:
    # Written as a weighted mean so f = 0 and f = 1 give the baseline and target exactly.
    return baseline * (1.0 - f) + target * f


def _check_periods(periods: Sequence[Period]) -> None:
    if len(periods) < 2:
        raise TrajectoryError("a trajectory needs at least two periods: baseline and target")
    first = periods[0]
    for i, p in enumerate(periods):
        if not isinstance(p, Period) or p.type != first.type or p.ordinal != first.ordinal + i:
            raise TrajectoryError(
                f"periods must be consecutive {first.type.value}s from baseline to target; "
                f"item {i} is {p!r}"
            )


def _check_power(k: float) -> None:
    if not _is_number(k) or k < 1:
        raise TrajectoryError(f"k must be a number >= 1 (1 is linear), got {k!r}")


def _require_positive(baseline: float, target: float) -> None:
    if baseline <= 0 or target <= 0:
        raise TrajectoryError(
            f"constant_rate needs positive baseline and target values, got {baseline:g} and "
            f"{target:g}: a percentage change from or to a non-positive value is undefined"
        )


def _calendar_months(periods: Sequence[Period]) -> np.ndarray:
    for p in periods:
        if p.type is not PeriodType.MONTH:
            raise TrajectoryError(f"a seasonal profile applies to months; {p} is a {p.type.value}")
    return np.array([p.ordinal % 12 for p in periods])
