"""The headline chart's legend lists what the chart draws, and only that."""

from stocktake.reports.charts import headline_chart
from stocktake.results.status import PriorityTrajectory
from tests.reports.trajectories import trajectory_reading


def _trajectory(forecast: bool) -> PriorityTrajectory:
    readings = [(f"2024-{m:02d}", 10.0 - m * 0.1, 10 - m * 0.2) for m in range(1, 7)]
    path = [{"period": f"2024-{m:02d}", "mean": 9.0, "lower_80": 8.5, "upper_80": 9.5,
             "lower_95": 8.0, "upper_95": 10.0} for m in range(7, 13)]
    return trajectory_reading(readings, ("2024-01", 10.0), ("2024-12", 8.0),
                              path if forecast else None)


def test_the_legend_names_only_what_is_drawn():
    plain = headline_chart(_trajectory(forecast=False))
    assert "Trajectory" in plain and "Target" in plain
    for absent in ("Forecast", "Process limits", "Special cause"):
        assert absent not in plain, absent
    assert "Forecast, 80% and 95%" in headline_chart(_trajectory(forecast=True))
