"""A priority's trajectory reading as the charts take it, built by hand for chart tests."""

from __future__ import annotations

from stocktake.analysis.trajectory import PeriodReading
from stocktake.results.status import (
    ForecastBounds,
    ForecastReading,
    PeriodValue,
    PriorityTrajectory,
    Tolerance,
    TrajectoryDefinition,
)


def trajectory_reading(readings: list[tuple[str, float, float]], baseline: tuple[str, float],
                       target: tuple[str, float],
                       path: list[dict] | None = None) -> PriorityTrajectory:
    """Readings (period, actual, expected), the trajectory's baseline and target, and the
    forecast's path when there is one."""
    forecast = None if path is None else ForecastReading(
        model="ETS(A,N,N)", params={}, first_period=readings[0][0],
        last_observed=readings[-1][0], n_observations=len(readings),
        period=path[-1]["period"], mean=path[-1]["mean"], lower_80=path[-1]["lower_80"],
        lower_95=path[-1]["lower_95"], upper_80=path[-1]["upper_80"],
        upper_95=path[-1]["upper_95"], interval_method="analytic",
        bounds=ForecastBounds(min=None, max=None, integer=False), scale=None, notes=(),
        probability_of_meeting=None, probability_note="no target", path=tuple(path))
    return PriorityTrajectory(
        priority="P", title="P", headline="rate", headline_name="Rate", unit_of_measure="per 1,000",
        polarity="down", scope="N", decimals=1, unit="N", unit_name="Nation",
        tolerance=Tolerance(value=5.0, mode="relative", rule="within 5%"), split=None,
        trajectory_note=None, excluded_partial=(), partial_rule="", as_of=None, data_as_of=None,
        trajectory=TrajectoryDefinition(
            method="linear", parameters={}, seasonal=None, seasonal_mode=None,
            baseline=PeriodValue(period=baseline[0], value=baseline[1]),
            target=PeriodValue(period=target[0], value=target[1])),
        readings=tuple(PeriodReading(period=p, actual=a, expected=e, gap=a - e,
                                     gap_pct=(a - e) / e * 100, status="on_track")
                       for p, a, e in readings),
        at_target_period=None, counts=None, forecast=forecast)
