"""Reading actuals against a trajectory, period by period: on track, ahead, off track, no data."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Real
from typing import Any

from stocktake.model.entities import Polarity
from stocktake.model.periods import Period, PeriodError

from .base import (
    AHEAD,
    NO_DATA,
    OFF_TRACK,
    ON_TRACK,
    TOLERANCE_MODES,
    TrajectoryError,
    _as_period,
    _check_within,
    _number,
)
from .chance import CHANCE_LEVEL, chance_of_count
from .path import Trajectory

_COUNT_RULE = (f"; so is a count that chance alone puts as far from the expected value in "
              f"{CHANCE_LEVEL:.0%} of periods or more (two-sided Poisson)")


@dataclass(frozen=True)
class PeriodReading:
    """One period's actual read against the trajectory."""

    period: str
    actual: float | None
    expected: float
    gap: float | None  # actual - expected
    gap_pct: float | None  # gap / expected x 100; None when expected is 0 or no actual
    status: str
    # A count outside the tolerance but within chance of the expected value (read on track):
    # how often chance alone puts a count this far off (chance.chance_of_count). None else.
    chance: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        if self.chance is None:  # only a count read on track by chance carries it
            del out["chance"]
        return out


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
    count: bool = False  # a count: within chance of the expected value is on track too

    @property
    def tolerance_text(self) -> str:
        unit = "% of expected" if self.tolerance_mode == "relative" else " (indicator units)"
        text = f"within {self.tolerance:g}{unit} of the trajectory is on track"
        return text + (_COUNT_RULE if self.count else "")

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
    *,
    count: bool = False,
) -> Assessment:
    """Judge each trajectory period's actual against its expected value.

    ``tolerance`` is a percentage of the expected value when ``tolerance_mode`` is
    ``relative`` (5 means 5%, the same scale as ``gap_pct``; when expected is 0 the band has
    no width), or indicator units when ``absolute``. Within the band (inclusive) is
    ``on_track``. Outside it, by polarity: ``up`` (higher is better) is ``ahead`` above and
    ``off_track`` below; ``down`` the reverse; ``neutral`` is ``off_track`` either way.
    ``count``: the indicator counts events (declared ``integer: true``); an actual outside
    the band is still ``on_track`` when chance alone puts a count that far from the
    expected value in at least CHANCE_LEVEL of periods (two-sided Poisson), and its
    reading says how often (``chance``).
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
        readings.append(_judged(period.code, actual, expected, tol, tolerance_mode, pol,
                                count))
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
        count=count,
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
    *,
    count: bool = False,
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
    return _judged(p.code, value, expected, tol, tolerance_mode, pol, count)


def _judged(
    period: str, actual: float, expected: float, tol: float, tolerance_mode: str,
    pol: Polarity, count: bool = False,
) -> PeriodReading:
    gap = actual - expected
    gap_pct = gap / expected * 100.0 if expected != 0 else None
    band = tol if tolerance_mode == "absolute" else tol / 100.0 * abs(expected)
    band += 1e-9 * max(abs(band), abs(expected), 1e-12)  # inclusive despite rounding
    status = _status(gap, band, pol)
    if count and status != ON_TRACK:
        # Outside the band, but a count this far off may be the chance variation of a
        # count: that is no evidence of being off course (or ahead of it).
        chance = chance_of_count(actual, expected)
        if chance is not None and chance >= CHANCE_LEVEL:
            return PeriodReading(period, actual, expected, gap, gap_pct, ON_TRACK, chance)
    return PeriodReading(period, actual, expected, gap, gap_pct, status)


def _status(gap: float, band: float, polarity: Polarity) -> str:
    if abs(gap) <= band:
        return ON_TRACK
    if polarity is Polarity.NEUTRAL:
        return OFF_TRACK
    better = gap > 0 if polarity is Polarity.UP else gap < 0
    return AHEAD if better else OFF_TRACK
