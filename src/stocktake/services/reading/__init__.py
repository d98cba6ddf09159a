"""Reading the data: the series, SPC, comparisons, trajectories, status, forecasts, leads,
quality and alerts, each from one ``Snapshot`` of a world."""
