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

The sections live in modules: ``shapes`` (and the seasonal profile), ``path`` (the
``Trajectory`` object), ``spec`` (from priorities.yaml), ``split`` (unit trajectories),
``reading`` (actuals against the trajectory), ``chance`` (how often chance alone puts a
count that far off), ``verdict`` (met or missed) and ``base``
(names they share). Import from here: these are the public names.
"""

from .base import (
    AHEAD,
    DEFAULT_POWER,
    DEFAULT_STEEPNESS,
    MET,
    METHODS,
    MISSED,
    NO_DATA,
    OFF_TRACK,
    ON_MISMATCH,
    ON_TRACK,
    SEASONAL_MODES,
    SPLIT_METHODS,
    TOLERANCE_MODES,
    TrajectoryError,
)
from .chance import CHANCE_LEVEL, chance_of_count
from .path import Trajectory
from .reading import (
    Assessment,
    PeriodReading,
    assess,
    assess_one,
)
from .shapes import (
    Intervention,
    apply_seasonal,
    back_loaded,
    bottom_up,
    check_seasonal,
    constant_rate,
    constant_rate_ratio,
    counterfactual,
    deseasonalise,
    elapsed,
    front_loaded,
    linear,
    s_curve,
    through_landmarks,
)
from .spec import trajectory_from_spec
from .split import (
    UnitSplit,
    split_trajectory,
)
from .verdict import (
    TargetVerdict,
    meets,
    met_rule,
    target_verdict,
)

__all__ = [
    "METHODS",
    "SEASONAL_MODES",
    "SPLIT_METHODS",
    "ON_MISMATCH",
    "TOLERANCE_MODES",
    "ON_TRACK",
    "OFF_TRACK",
    "AHEAD",
    "NO_DATA",
    "MET",
    "MISSED",
    "DEFAULT_STEEPNESS",
    "DEFAULT_POWER",
    "TrajectoryError",
    "elapsed",
    "linear",
    "constant_rate",
    "constant_rate_ratio",
    "s_curve",
    "front_loaded",
    "back_loaded",
    "through_landmarks",
    "Intervention",
    "counterfactual",
    "bottom_up",
    "check_seasonal",
    "apply_seasonal",
    "deseasonalise",
    "Trajectory",
    "trajectory_from_spec",
    "UnitSplit",
    "split_trajectory",
    "PeriodReading",
    "Assessment",
    "assess",
    "assess_one",
    "CHANCE_LEVEL",
    "chance_of_count",
    "TargetVerdict",
    "meets",
    "met_rule",
    "target_verdict",
]
