"""Splitting a national trajectory into unit trajectories that add up to it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from stocktake.errors import did_you_mean
from stocktake.model.entities import Aggregation

from .base import ON_MISMATCH, SPLIT_METHODS, TrajectoryError, _close, _number
from .path import Trajectory
from .spec import _build


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
                    + did_you_mean(code, list(baselines))
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
