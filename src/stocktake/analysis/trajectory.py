"""Trajectories: the expected path of a priority's headline indicator from baseline to target.

A trajectory says what the indicator should read in every period between its baseline
(period, value) and its target (period, value); actuals are read against it each period
(deliverology idea 3). Real trajectories are rarely straight lines, so several shapes are
offered, the best being built bottom-up from the expected effect of each intervention.

Everything here is pure: numbers and periods in, numbers out.

- Shapes: ``linear``, ``constant_rate`` (geometric), ``s_curve``, ``front_loaded``,
  ``back_loaded``, ``through_landmarks`` and ``bottom_up`` (interventions), each a
  function of the baseline, the target and the consecutive periods from baseline to
  target inclusive, returning one expected value per period.
- ``apply_seasonal`` lays a 12-month profile over any of them.
- ``trajectory_from_spec`` validates a priorities.yaml ``trajectory:`` mapping and builds a
  ``Trajectory``; ``split_trajectory`` turns a national trajectory into unit trajectories
  that add up; ``assess`` reads actuals against a trajectory.

Shapes other than ``interventions`` pass exactly through baseline and target. Most are
``baseline + (target - baseline) * f(t)`` for a progress fraction ``f`` of elapsed time
``t`` (0 at the baseline period, 1 at the target period).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from numbers import Integral, Real
from typing import Any

import numpy as np
from scipy.special import expit

from stocktake.errors import Invalid, TextProblem
from stocktake.model.entities import Aggregation, Polarity
from stocktake.model.periods import Period, PeriodError, PeriodType, period_range

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

# Keys each method accepts in a spec, besides the common ones.
_METHOD_KEYS: dict[str, tuple[str, ...]] = {
    "linear": (),
    "constant_rate": (),
    "s_curve": ("steepness", "midpoint"),
    "front_loaded": ("k",),
    "back_loaded": ("k",),
    "landmarks": ("landmarks",),
    "interventions": ("drift", "interventions"),
}
_COMMON_KEYS = ("method", "seasonal", "seasonal_mode", "units")
_UNITS_KEYS = ("split", "targets", "on_mismatch")
_LANDMARK_KEYS = ("period", "value")
_INTERVENTION_KEYS = ("name", "start", "ramp", "effect")

# Seasonal factors must average 1 (or 0) to this precision, scaled by their size.
_SEASONAL_MEAN_TOL = 1e-6


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


# ---------------------------------------------------------------------------------------
# Shapes: baseline value, target value and periods in, one expected value per period out
# ---------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------
# The Trajectory object
# ---------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------
# From a priorities.yaml spec
# ---------------------------------------------------------------------------------------


def trajectory_from_spec(
    spec: Mapping[str, Any],
    baseline_period: str,
    baseline_value: float,
    target_period: str,
    target_value: float,
) -> Trajectory:
    """Validate a ``trajectory:`` mapping from priorities.yaml and build the trajectory.

    Every problem found is reported at once, each with its field path
    (``trajectory.interventions[1].start``), in one ``TrajectoryError``.

    Spec keys: ``method`` (one of METHODS) and the method's own keys:
    s_curve ``steepness`` (> 0, default 8) and ``midpoint`` (a period, default halfway);
    front_loaded / back_loaded ``k`` (>= 1, default 2); landmarks ``landmarks`` (a list of
    ``{period, value}``); interventions ``drift`` (per period, default 0) and
    ``interventions`` (a list of ``{name, start, ramp (default 0), effect}``). Optional for
    every method: ``seasonal`` (12 monthly factors, January first, monthly indicators
    only), ``seasonal_mode`` (multiplicative, the default, or additive) and ``units``
    (``{split: proportional|equal, targets: {unit: value}, on_mismatch: raise|rescale}``,
    the defaults for ``split_trajectory``).

    With a seasonal profile the shape is built between the seasonally adjusted baseline
    and target (and landmarks), then the profile is laid over it, so the trajectory still
    passes exactly through the stated baseline and target values. Drift and intervention
    effects apply to the seasonally adjusted level.
    """
    problems: list[str] = []
    base_p = _parse_endpoint(baseline_period, "baseline_period", None, problems)
    ptype = base_p.type if base_p is not None else None
    target_p = _parse_endpoint(target_period, "target_period", ptype, problems)
    b = _number(baseline_value, "baseline_value", problems)
    t = _number(target_value, "target_value", problems)
    if base_p is not None and target_p is not None and not base_p < target_p:
        problems.append(f"target_period: {target_p} must come after the baseline period {base_p}")
        target_p = None
    periods = None
    if base_p is not None and target_p is not None:
        periods = period_range(base_p, target_p)

    if not isinstance(spec, Mapping):
        raise TrajectoryError(
            problems
            + [
                f"trajectory: must be a mapping such as {{method: linear}}, "
                f"got {type(spec).__name__}"
            ]
        )
    method = _check_method(spec, problems)
    _check_keys(spec, method, problems)
    ctx = _Ctx(ptype, periods, problems)
    params = _check_parameters(spec, method, ctx)
    seasonal, mode = _check_seasonal_spec(spec, ptype, problems)
    unit_split = _check_units_spec(spec.get("units"), problems) if "units" in spec else None
    if method == "constant_rate" and seasonal is None:
        for name, value in (("baseline_value", b), ("target_value", t)):
            if value is not None and value <= 0:
                problems.append(
                    f"{name}: constant_rate needs positive values (a percentage change "
                    f"from {value:g} is undefined); use linear or another method"
                )
    if problems:
        raise TrajectoryError(problems)
    assert periods is not None and b is not None and t is not None and method is not None
    return _build(method, params, periods, b, t, seasonal, mode, unit_split)


def _build(
    method: str,
    params: dict[str, Any],
    periods: list[Period],
    baseline: float,
    target: float,
    seasonal: tuple[float, ...] | None,
    mode: str | None,
    unit_split: dict[str, Any] | None,
) -> Trajectory:
    """Build from validated spec-form parameters (period codes as strings)."""
    ptype = periods[0].type
    # With a profile, shape the seasonally adjusted path and lay the profile over it.
    adjust: Callable[[float, Period], float] = lambda v, p: v  # noqa: E731
    if seasonal is not None:
        assert mode is not None
        adjust = lambda v, p: deseasonalise(v, p, seasonal, mode)  # noqa: E731
    b, t = adjust(baseline, periods[0]), adjust(target, periods[-1])
    components: dict[str, np.ndarray] = {}
    if method == "linear":
        values = linear(b, t, periods)
    elif method == "constant_rate":
        if seasonal is not None and (b <= 0 or t <= 0):
            raise TrajectoryError(
                "constant_rate needs positive seasonally adjusted values, but the baseline "
                f"and target adjust to {b:g} and {t:g}"
            )
        values = constant_rate(b, t, periods)
    elif method == "s_curve":
        midpoint = params["midpoint"]
        values = s_curve(
            b,
            t,
            periods,
            params["steepness"],
            Period.parse(midpoint, ptype) if midpoint is not None else None,
        )
    elif method == "front_loaded":
        values = front_loaded(b, t, periods, params["k"])
    elif method == "back_loaded":
        values = back_loaded(b, t, periods, params["k"])
    elif method == "landmarks":
        marks = []
        for mark in params["landmarks"]:
            p = Period.parse(mark["period"], ptype)
            marks.append((p, adjust(mark["value"], p)))
        values = through_landmarks(b, t, periods, marks)
    elif method == "interventions":
        components["counterfactual"] = counterfactual(b, periods, params["drift"])
        for item in params["interventions"]:
            action = Intervention(
                item["name"], Period.parse(item["start"], ptype), item["effect"], item["ramp"]
            )
            components[action.name] = action.contribution(periods)
        values = np.sum(list(components.values()), axis=0)
    else:  # pragma: no cover - methods are validated before this point
        raise TrajectoryError(f"unknown method {method!r}")
    if seasonal is not None:
        assert mode is not None
        values = apply_seasonal(values, periods, seasonal, mode)
    return Trajectory(
        method=method,
        parameters=params,
        periods=tuple(periods),
        expected=values,
        baseline_value=float(baseline),
        target_value=float(target),
        seasonal=seasonal,
        seasonal_mode=mode,
        components=components,
        unit_split=unit_split,
    )


# ---------------------------------------------------------------------------------------
# Splitting a national trajectory into unit trajectories
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class UnitSplit:
    """Unit trajectories made from a national one, and how their targets were set."""

    national: Trajectory
    units: dict[str, Trajectory]
    unit_targets: dict[str, float]
    method: str
    aggregation: str
    on_mismatch: str
    targets_stated: bool
    rescaled: bool

    def total(self) -> np.ndarray:
        """The unit trajectories summed period by period."""
        return np.sum([u.expected for u in self.units.values()], axis=0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "aggregation": self.aggregation,
            "on_mismatch": self.on_mismatch,
            "targets_stated": self.targets_stated,
            "rescaled": self.rescaled,
            "unit_targets": self.unit_targets,
            "national": self.national.to_dict(),
            "units": {code: u.to_dict() for code, u in self.units.items()},
        }


def split_trajectory(
    national: Trajectory,
    unit_baselines: Mapping[str, float],
    unit_targets: Mapping[str, float] | None = None,
    method: str | None = None,
    on_mismatch: str | None = None,
    aggregation: Aggregation | str = Aggregation.SUM,
) -> UnitSplit:
    """Give each unit its own trajectory, of the national method, from its own baseline.

    Arguments left as None take the national spec's ``units:`` block, else the defaults
    (no stated targets, ``proportional``, ``raise``).

    Unit targets, when not stated, share the national change (target - baseline):
    ``proportional`` in proportion to unit baselines (every unit makes the same percentage
    change), ``equal`` in equal parts (for a summed indicator; for any other aggregation
    every unit makes the same absolute change as the nation).

    For a summed indicator (``aggregation`` sum) the unit baselines must add up to the
    national baseline (else TrajectoryError), and stated unit targets to the national
    target: when they don't, ``on_mismatch`` ``raise`` raises, and ``rescale`` scales every
    unit's change (target - baseline) by one factor so they add up, keeping each unit's
    share of the effort. The unit trajectories are then checked to sum to the national one
    at every period; if they cannot (constant_rate with unequal percentage changes), a
    TrajectoryError says so.

    What each unit gets of the national plan: landmarks keep the national landmark's
    deviation from baseline times the unit's share of the national change; intervention
    effects are shared the same way; drift and additive seasonal factors are shared in
    proportion to baselines (the unit's size). Multiplicative seasonal factors, S-curve
    and power parameters are the same for every unit. When the national target equals the
    national baseline, baseline shares stand in for shares of the change.
    """
    split = national.unit_split or {}
    method = method if method is not None else split.get("split", "proportional")
    on_mismatch = on_mismatch if on_mismatch is not None else split.get("on_mismatch", "raise")
    if unit_targets is None and split.get("targets") is not None:
        unit_targets = split["targets"]
    problems: list[str] = []
    if method not in SPLIT_METHODS:
        problems.append(f"method: {method!r} is not one of {', '.join(SPLIT_METHODS)}")
    if on_mismatch not in ON_MISMATCH:
        problems.append(f"on_mismatch: {on_mismatch!r} is not one of {', '.join(ON_MISMATCH)}")
    try:
        agg = Aggregation(aggregation)
    except ValueError:
        problems.append(
            f"aggregation: {aggregation!r} is not one of {', '.join(a.value for a in Aggregation)}"
        )
        agg = Aggregation.SUM
    if not isinstance(unit_baselines, Mapping) or not unit_baselines:
        raise TrajectoryError(problems + ["unit_baselines: give at least one unit's baseline"])
    baselines = {
        str(code): _number(v, f"unit_baselines[{code}]", problems)
        for code, v in unit_baselines.items()
    }
    targets: dict[str, float | None] | None = None
    if unit_targets is not None:
        if not isinstance(unit_targets, Mapping):
            problems.append("unit_targets: must be a mapping of unit code to target value")
        else:
            targets = {
                str(code): _number(v, f"unit_targets[{code}]", problems)
                for code, v in unit_targets.items()
            }
            for code in baselines.keys() - targets.keys():
                problems.append(f"unit_targets: no target for unit '{code}'")
            for code in targets.keys() - baselines.keys():
                problems.append(
                    f"unit_targets[{code}]: not among the units with a baseline"
                    + _did_you_mean(code, list(baselines))
                )
    if problems:
        raise TrajectoryError(problems)

    nb, nt = national.baseline_value, national.target_value
    change = nt - nb
    base_total = float(sum(baselines.values()))
    summed = agg is Aggregation.SUM
    if summed and not _close(base_total, nb, nb):
        raise TrajectoryError(
            f"unit_baselines add up to {base_total:g} but the national baseline is {nb:g}; "
            "for a summed indicator they must agree"
        )

    def size_share(code: str) -> float:
        if nb == 0:
            raise TrajectoryError(
                "cannot share in proportion to baselines when the national baseline is 0"
            )
        return baselines[code] / nb

    rescaled = False
    if targets is None:
        if method == "proportional":
            final = {c: b + change * size_share(c) for c, b in baselines.items()}
        else:
            part = 1.0 / len(baselines) if summed else 1.0
            final = {c: b + change * part for c, b in baselines.items()}
    else:
        final = dict(targets)  # type: ignore[arg-type]
        target_total = float(sum(final.values()))
        if summed and not _close(target_total, nt, nt):
            if on_mismatch == "raise":
                raise TrajectoryError(
                    f"unit_targets add up to {target_total:g} but the national target is "
                    f"{nt:g}; correct them or use on_mismatch='rescale'"
                )
            unit_change = target_total - base_total
            if unit_change == 0 or change == 0:
                raise TrajectoryError(
                    f"cannot rescale unit targets: the units' changes add up to "
                    f"{unit_change:g} and the national change is {change:g}"
                )
            factor = change / unit_change
            final = {c: baselines[c] + (final[c] - baselines[c]) * factor for c in final}
            rescaled = True

    def change_share(code: str) -> float:
        return (final[code] - baselines[code]) / change if change != 0 else size_share(code)

    units: dict[str, Trajectory] = {}
    for code, b in baselines.items():
        params = _unit_parameters(
            national,
            b,
            lambda code=code: change_share(code),
            lambda code=code: size_share(code),
        )
        seasonal = national.seasonal
        if seasonal is not None and national.seasonal_mode == "additive":
            seasonal = tuple(f * size_share(code) for f in seasonal)
        units[code] = _build(
            national.method,
            params,
            list(national.periods),
            b,
            final[code],
            seasonal,
            national.seasonal_mode,
            None,
        )

    result = UnitSplit(
        national=national,
        units=units,
        unit_targets={c: float(v) for c, v in final.items()},
        method=method,
        aggregation=agg.value,
        on_mismatch=on_mismatch,
        targets_stated=targets is not None,
        rescaled=rescaled,
    )
    if summed:
        total = result.total()
        scale = max(1.0, float(np.max(np.abs(national.expected))))
        worst = float(np.max(np.abs(total - national.expected)))
        if worst > 1e-9 * scale:
            raise TrajectoryError(
                f"the unit {national.method} trajectories do not add up to the national one "
                f"(off by up to {worst:g}); for constant_rate every unit must make the same "
                "percentage change (split proportional, no stated targets), or use a method "
                "such as linear"
            )
    return result


def _unit_parameters(
    national: Trajectory,
    unit_baseline: float,
    change_share: Callable[[], float],
    size_share: Callable[[], float],
) -> dict[str, Any]:
    """The national parameters as they apply to one unit (see split_trajectory)."""
    params = dict(national.parameters)
    nb = national.baseline_value
    if national.method == "landmarks":
        params["landmarks"] = [
            {"period": m["period"], "value": unit_baseline + (m["value"] - nb) * change_share()}
            for m in national.parameters["landmarks"]
        ]
    elif national.method == "interventions":
        drift = national.parameters["drift"]
        params["drift"] = drift * size_share() if drift else 0.0
        params["interventions"] = [
            {**item, "effect": item["effect"] * change_share()}
            for item in national.parameters["interventions"]
        ]
    return params


# ---------------------------------------------------------------------------------------
# Reading actuals against a trajectory
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodReading:
    """One period's actual read against the trajectory."""

    period: str
    actual: float | None
    expected: float
    gap: float | None  # actual - expected
    gap_pct: float | None  # gap / expected x 100; None when expected is 0 or no actual
    status: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Assessment:
    """Every trajectory period's reading, with the rule used to judge it."""

    method: str
    parameters: dict[str, Any]
    polarity: str
    tolerance: float
    tolerance_mode: str
    readings: tuple[PeriodReading, ...]
    outside: tuple[str, ...]  # periods with actuals outside the trajectory, not judged

    @property
    def tolerance_text(self) -> str:
        unit = "% of expected" if self.tolerance_mode == "relative" else " (indicator units)"
        return f"within {self.tolerance:g}{unit} of the trajectory is on track"

    def latest(self) -> PeriodReading | None:
        """The last period with an actual."""
        with_data = [r for r in self.readings if r.status != NO_DATA]
        return with_data[-1] if with_data else None

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys((ON_TRACK, AHEAD, OFF_TRACK, NO_DATA), 0)
        for r in self.readings:
            out[r.status] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "trajectory": {"method": self.method, "parameters": self.parameters},
            "polarity": self.polarity,
            "tolerance": self.tolerance,
            "tolerance_mode": self.tolerance_mode,
            "rule": self.tolerance_text,
            "readings": [r.to_dict() for r in self.readings],
            "outside": list(self.outside),
            "counts": self.counts(),
        }


def assess(
    trajectory: Trajectory,
    actuals: Mapping[str, float | None],
    polarity: Polarity | str,
    tolerance: float,
    tolerance_mode: str = "relative",
) -> Assessment:
    """Judge each trajectory period's actual against its expected value.

    ``tolerance`` is a percentage of the expected value when ``tolerance_mode`` is
    ``relative`` (5 means 5%, the same scale as ``gap_pct``; when expected is 0 the band has
    no width), or indicator units when ``absolute``. Within the band (inclusive) is
    ``on_track``. Outside it, by polarity: ``up`` (higher is better) is ``ahead`` above and
    ``off_track`` below; ``down`` the reverse; ``neutral`` is ``off_track`` either way.
    A period with no actual (missing, None or NaN) is ``no_data``. Actuals for periods
    outside the trajectory are listed in ``outside`` and not judged.
    """
    problems: list[str] = []
    pol, tol = _judging(polarity, tolerance, tolerance_mode, problems)
    if not isinstance(actuals, Mapping):
        raise TrajectoryError(problems + ["actuals: must be a mapping of period code to value"])
    by_period: dict[Period, float | None] = {}
    for key, value in actuals.items():
        path = f"actuals[{key}]"
        try:
            p = _as_period(key, trajectory.period_type)
        except (PeriodError, TrajectoryError) as exc:
            problems.append(f"{path}: {exc}")
            continue
        if p in by_period:
            problems.append(f"{path}: period {p} is given twice")
            continue
        if value is None or (isinstance(value, Real) and math.isnan(value)):
            by_period[p] = None
        else:
            by_period[p] = _number(value, path, problems)
    if problems:
        raise TrajectoryError(problems)
    assert tol is not None

    readings = []
    for period, expected in zip(trajectory.periods, trajectory.expected, strict=True):
        expected = float(expected)
        actual = by_period.get(period)
        if actual is None:
            readings.append(PeriodReading(period.code, None, expected, None, None, NO_DATA))
            continue
        readings.append(_judged(period.code, actual, expected, tol, tolerance_mode, pol))
    span = set(trajectory.periods)
    outside = tuple(p.code for p in sorted(by_period) if p not in span)
    return Assessment(
        method=trajectory.method,
        parameters=trajectory.parameters,
        polarity=pol.value,
        tolerance=tol,
        tolerance_mode=tolerance_mode,
        readings=tuple(readings),
        outside=outside,
    )


def _judging(polarity: Polarity | str, tolerance: float, tolerance_mode: str,
             problems: list[str]) -> tuple[Polarity, float | None]:
    """The polarity and tolerance an actual is judged by, with what is wrong added to
    ``problems`` (shared by ``assess`` and ``assess_one``)."""
    try:
        pol = Polarity(polarity)
    except ValueError:
        problems.append(f"polarity: {polarity!r} is not one of up, down, neutral")
        pol = Polarity.NEUTRAL
    if tolerance_mode not in TOLERANCE_MODES:
        problems.append(
            f"tolerance_mode: {tolerance_mode!r} is not one of {', '.join(TOLERANCE_MODES)}"
        )
    tol = _number(tolerance, "tolerance", problems)
    if tol is not None and tol < 0:
        problems.append(f"tolerance: must be 0 or more, got {tol:g}")
    return pol, tol


def assess_one(
    trajectory: Trajectory,
    period: Period | str,
    actual: float,
    polarity: Polarity | str,
    tolerance: float,
    tolerance_mode: str = "relative",
) -> PeriodReading:
    """One period's actual read against the trajectory, exactly as ``assess`` reads it, for a
    caller that wants one period (``assess`` builds a reading for every trajectory period)."""
    problems: list[str] = []
    pol, tol = _judging(polarity, tolerance, tolerance_mode, problems)
    value = _number(actual, "actual", problems)
    if problems:
        raise TrajectoryError(problems)
    assert tol is not None and value is not None
    p = _as_period(period, trajectory.period_type)
    _check_within(p, trajectory.periods, "period")
    expected = float(trajectory.expected[p - trajectory.baseline_period])
    return _judged(p.code, value, expected, tol, tolerance_mode, pol)


def _judged(
    period: str, actual: float, expected: float, tol: float, tolerance_mode: str, pol: Polarity
) -> PeriodReading:
    gap = actual - expected
    gap_pct = gap / expected * 100.0 if expected != 0 else None
    band = tol if tolerance_mode == "absolute" else tol / 100.0 * abs(expected)
    band += 1e-9 * max(abs(band), abs(expected), 1e-12)  # inclusive despite rounding
    return PeriodReading(period, actual, expected, gap, gap_pct, _status(gap, band, pol))


def _status(gap: float, band: float, polarity: Polarity) -> str:
    if abs(gap) <= band:
        return ON_TRACK
    if polarity is Polarity.NEUTRAL:
        return OFF_TRACK
    better = gap > 0 if polarity is Polarity.UP else gap < 0
    return AHEAD if better else OFF_TRACK


# ---------------------------------------------------------------------------------------
# Met or missed: the verdict once the target period is complete
# ---------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------
# Spec validation helpers
# ---------------------------------------------------------------------------------------


@dataclass
class _Ctx:
    ptype: PeriodType | None
    periods: list[Period] | None
    problems: list[str]


def _check_method(spec: Mapping[str, Any], problems: list[str]) -> str | None:
    if "method" not in spec:
        problems.append(f"trajectory.method: required, one of {', '.join(METHODS)}")
        return None
    method = spec["method"]
    if not isinstance(method, str):
        problems.append(
            f"trajectory.method: must be a string, one of {', '.join(METHODS)}; got {method!r}"
        )
        return None
    if method not in METHODS:
        problems.append(
            f"trajectory.method: unknown method '{method}'"
            + (_did_you_mean(method, METHODS) or f"; use one of {', '.join(METHODS)}")
        )
        return None
    return method


def _check_keys(spec: Mapping[str, Any], method: str | None, problems: list[str]) -> None:
    own = _METHOD_KEYS[method] if method else tuple(k for ks in _METHOD_KEYS.values() for k in ks)
    allowed = _COMMON_KEYS + own
    for key in spec:
        if key in allowed:
            continue
        users = [m for m, keys in _METHOD_KEYS.items() if key in keys]
        if users:
            problems.append(
                f"trajectory.{key}: not used by method {method} (only by {', '.join(users)})"
            )
        else:
            problems.append(f"trajectory.{key}: unknown key" + _did_you_mean(str(key), allowed))


def _check_parameters(spec: Mapping[str, Any], method: str | None, ctx: _Ctx) -> dict[str, Any]:
    problems = ctx.problems
    if method == "s_curve":
        steepness = spec.get("steepness", DEFAULT_STEEPNESS)
        steepness = _number(steepness, "trajectory.steepness", problems)
        if steepness is not None and steepness <= 0:
            problems.append(f"trajectory.steepness: must be above 0, got {steepness:g}")
        midpoint = None
        if spec.get("midpoint") is not None:
            p = _spec_period(spec["midpoint"], "trajectory.midpoint", ctx)
            if p is not None and ctx.periods is not None:
                first, last = ctx.periods[0], ctx.periods[-1]
                if not first <= p <= last:
                    problems.append(
                        f"trajectory.midpoint: {p} is outside the trajectory {first}..{last}"
                    )
                    p = None
            midpoint = p.code if p is not None else None
        return {"steepness": steepness, "midpoint": midpoint}
    if method in ("front_loaded", "back_loaded"):
        k = _number(spec.get("k", DEFAULT_POWER), "trajectory.k", problems)
        if k is not None and k < 1:
            problems.append(
                f"trajectory.k: must be 1 or more (1 is linear; below 1 the shape flips), got {k:g}"
            )
        return {"k": k}
    if method == "landmarks":
        return {"landmarks": _check_landmarks(spec.get("landmarks"), ctx)}
    if method == "interventions":
        drift = _number(spec.get("drift", 0.0), "trajectory.drift", problems)
        actions = _check_interventions(spec.get("interventions"), ctx)
        return {"drift": drift, "interventions": actions}
    return {}


def _check_landmarks(raw: Any, ctx: _Ctx) -> list[dict[str, Any]]:
    problems = ctx.problems
    if raw is None:
        problems.append("trajectory.landmarks: required, a list of {period, value}")
        return []
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
        problems.append("trajectory.landmarks: must be a non-empty list of {period, value}")
        return []
    out: list[dict[str, Any]] = []
    previous: tuple[int, Period] | None = None
    for i, item in enumerate(raw):
        path = f"trajectory.landmarks[{i}]"
        if not isinstance(item, Mapping):
            problems.append(f"{path}: must be a mapping {{period, value}}, got {item!r}")
            continue
        _unknown_keys(item, _LANDMARK_KEYS, path, problems)
        p = _required(item, "period", path, problems, lambda v, q: _spec_period(v, q, ctx))
        value = _required(item, "value", path, problems, lambda v, q: _number(v, q, problems))
        if p is not None and ctx.periods is not None:
            first, last = ctx.periods[0], ctx.periods[-1]
            if not first < p < last:
                problems.append(
                    f"{path}.period: {p} must lie strictly between the baseline {first} and "
                    f"the target {last}"
                )
                p = None
            elif previous is not None and not previous[1] < p:
                problems.append(
                    f"{path}.period: {p} is not after landmarks[{previous[0]}] "
                    f"({previous[1]}); list landmarks in time order, once each"
                )
        if p is not None:
            previous = (i, p)
            if value is not None:
                out.append({"period": p.code, "value": value})
    return out


def _check_interventions(raw: Any, ctx: _Ctx) -> list[dict[str, Any]]:
    problems = ctx.problems
    if raw is None:
        problems.append("trajectory.interventions: required, a list of {name, start, ramp, effect}")
        return []
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
        problems.append(
            "trajectory.interventions: must be a non-empty list of {name, start, ramp, effect}"
        )
        return []
    out: list[dict[str, Any]] = []
    names: dict[str, int] = {}
    for i, item in enumerate(raw):
        path = f"trajectory.interventions[{i}]"
        if not isinstance(item, Mapping):
            problems.append(f"{path}: must be a mapping {{name, start, ramp, effect}}")
            continue
        _unknown_keys(item, _INTERVENTION_KEYS, path, problems)
        name = _required(item, "name", path, problems, _name_check(problems))
        if name is not None:
            if name in names:
                problems.append(
                    f"{path}.name: '{name}' is already used by interventions[{names[name]}]"
                )
            elif name == "counterfactual":
                problems.append(f"{path}.name: 'counterfactual' is reserved; choose another")
            names.setdefault(name, i)
        start = _required(item, "start", path, problems, lambda v, q: _spec_period(v, q, ctx))
        if start is not None and ctx.periods is not None:
            first, last = ctx.periods[0], ctx.periods[-1]
            if not first <= start <= last:
                problems.append(f"{path}.start: {start} is outside the trajectory {first}..{last}")
        ramp = item.get("ramp", 0)
        if isinstance(ramp, bool) or not isinstance(ramp, Integral) or ramp < 0:
            problems.append(f"{path}.ramp: must be a whole number of periods >= 0, got {ramp!r}")
        effect = _required(item, "effect", path, problems, lambda v, q: _number(v, q, problems))
        if name is not None and start is not None and effect is not None:
            out.append({"name": name, "start": start.code, "ramp": int(ramp), "effect": effect})
    return out


def _check_seasonal_spec(
    spec: Mapping[str, Any], ptype: PeriodType | None, problems: list[str]
) -> tuple[tuple[float, ...] | None, str | None]:
    if "seasonal" not in spec or spec["seasonal"] is None:
        if spec.get("seasonal_mode") is not None:
            problems.append("trajectory.seasonal_mode: given without a seasonal profile")
        return None, None
    mode = spec.get("seasonal_mode") or "multiplicative"
    if mode not in SEASONAL_MODES:
        problems.append(
            f"trajectory.seasonal_mode: '{mode}' is not one of {', '.join(SEASONAL_MODES)}"
            + _did_you_mean(str(mode), SEASONAL_MODES)
        )
        return None, None
    if ptype is not None and ptype is not PeriodType.MONTH:
        problems.append(
            f"trajectory.seasonal: a monthly profile needs monthly periods, but this "
            f"trajectory runs in {ptype.value}s"
        )
    found = _seasonal_problems(spec["seasonal"], mode, "trajectory.seasonal")
    problems.extend(found)
    if found:
        return None, None
    return tuple(float(f) for f in spec["seasonal"]), mode


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


def _check_units_spec(raw: Any, problems: list[str]) -> dict[str, Any] | None:
    path = "trajectory.units"
    if not isinstance(raw, Mapping):
        problems.append(f"{path}: must be a mapping {{split, targets, on_mismatch}}")
        return None
    _unknown_keys(raw, _UNITS_KEYS, path, problems)
    out: dict[str, Any] = {
        "split": raw.get("split", "proportional"),
        "on_mismatch": raw.get("on_mismatch", "raise"),
        "targets": None,
    }
    for key, choices in (("split", SPLIT_METHODS), ("on_mismatch", ON_MISMATCH)):
        if out[key] not in choices:
            problems.append(
                f"{path}.{key}: {out[key]!r} is not one of {', '.join(choices)}"
                + _did_you_mean(str(out[key]), choices)
            )
    targets = raw.get("targets")
    if targets is not None:
        if not isinstance(targets, Mapping):
            problems.append(f"{path}.targets: must be a mapping of unit code to target value")
        else:
            out["targets"] = {
                str(code): _number(v, f"{path}.targets.{code}", problems)
                for code, v in targets.items()
            }
    return out


# ---------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------


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


def _check_within(period: Period, periods: Sequence[Period], what: str) -> None:
    first, last = periods[0], periods[-1]
    if period.type != first.type:
        raise TrajectoryError(
            f"{what} {period} is a {period.type.value}; the trajectory runs in {first.type.value}s"
        )
    if not first <= period <= last:
        raise TrajectoryError(f"{what} {period} is outside the trajectory {first}..{last}")


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


def _parse_endpoint(
    value: Any, path: str, ptype: PeriodType | None, problems: list[str]
) -> Period | None:
    if isinstance(value, Period):
        if ptype is not None and value.type != ptype:
            problems.append(f"{path}: {value} is a {value.type.value}, expected a {ptype.value}")
            return None
        return value
    return _spec_period(value, path, _Ctx(ptype, None, problems))


def _spec_period(value: Any, path: str, ctx: _Ctx) -> Period | None:
    # YAML reads 2025 as an int and 2025-03-15 as a date: accept both.
    if isinstance(value, bool) or not isinstance(value, str | int | date):
        ctx.problems.append(f"{path}: must be a period code such as 2025-03, got {value!r}")
        return None
    code = value.isoformat() if isinstance(value, date) else str(value)
    try:
        return Period.parse(code, ctx.ptype)
    except PeriodError as exc:
        ctx.problems.append(f"{path}: {exc}")
        return None


def _required(
    item: Mapping[str, Any],
    key: str,
    path: str,
    problems: list[str],
    check: Callable[[Any, str], Any],
) -> Any:
    if item.get(key) is None:
        problems.append(f"{path}.{key}: required")
        return None
    return check(item[key], f"{path}.{key}")


def _name_check(problems: list[str]) -> Callable[[Any, str], str | None]:
    def check(value: Any, path: str) -> str | None:
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{path}: must be a non-empty string, got {value!r}")
            return None
        return value.strip()

    return check


def _unknown_keys(
    item: Mapping[str, Any], allowed: Sequence[str], path: str, problems: list[str]
) -> None:
    for key in item:
        if key not in allowed:
            problems.append(f"{path}.{key}: unknown key" + _did_you_mean(str(key), allowed))


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
