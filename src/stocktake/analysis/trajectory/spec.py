"""From a priorities.yaml ``trajectory:`` mapping to a Trajectory, every problem found reported
at once with its field path."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from numbers import Integral
from typing import Any

import numpy as np

from stocktake.errors import did_you_mean
from stocktake.model.periods import Period, PeriodError, PeriodType, period_range

from .base import (
    DEFAULT_POWER,
    DEFAULT_STEEPNESS,
    METHODS,
    ON_MISMATCH,
    SEASONAL_MODES,
    SPLIT_METHODS,
    TrajectoryError,
    _number,
)
from .path import Trajectory
from .shapes import (
    Intervention,
    _seasonal_problems,
    apply_seasonal,
    back_loaded,
    constant_rate,
    counterfactual,
    deseasonalise,
    front_loaded,
    linear,
    s_curve,
    through_landmarks,
)

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


# Checking each part of a spec: problems are collected, never raised one by one.


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
            + (did_you_mean(method, METHODS) or f"; use one of {', '.join(METHODS)}")
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
            problems.append(f"trajectory.{key}: unknown key" + did_you_mean(str(key), allowed))


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
            + did_you_mean(str(mode), SEASONAL_MODES)
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
                + did_you_mean(str(out[key]), choices)
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
            problems.append(f"{path}.{key}: unknown key" + did_you_mean(str(key), allowed))
