"""The headline chart's legend lists what the chart draws, and only that."""

from stocktake.reports.charts import headline_chart


def _trajectory(forecast: bool) -> dict:
    readings = [{"period": f"2024-{m:02d}", "actual": 10.0 - m * 0.1, "expected": 10 - m * 0.2}
                for m in range(1, 7)]
    out = {"readings": readings, "headline_name": "Rate", "unit_name": "Nation",
           "unit_of_measure": "per 1,000",
           "trajectory": {"baseline": {"period": "2024-01", "value": 10.0},
                          "target": {"period": "2024-12", "value": 8.0}}}
    if forecast:
        out["forecast"] = {"path": [
            {"period": f"2024-{m:02d}", "mean": 9.0, "lower_80": 8.5, "upper_80": 9.5,
             "lower_95": 8.0, "upper_95": 10.0} for m in range(7, 13)]}
    return out


def test_the_legend_names_only_what_is_drawn():
    plain = headline_chart(_trajectory(forecast=False))
    assert "Trajectory" in plain and "Target" in plain
    for absent in ("Forecast", "Process limits", "Special cause"):
        assert absent not in plain, absent
    assert "Forecast, 80% and 95%" in headline_chart(_trajectory(forecast=True))
