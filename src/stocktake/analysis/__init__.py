"""The analysis layer: numbers in, numbers out; no database, no files, no web.

Its public modules, each returning typed results (methods in docs/methods/):

- ``rollup``: figures for every unit from the units below it (docs/methods/rollup.md)
- ``trajectory``: expected paths from baseline to target, read against actuals, met or
  missed (docs/methods/verdicts.md)
- ``spc``, ``seasonality``, ``changepoints``: XmR charts, seasonal series, suggested
  rebases (docs/methods/spc.md)
- ``forecast``, ``calibration``, ``backtest``: forecasts with intervals calibrated per
  level, and their measured coverage (docs/methods/forecast.md; ``ets`` and ``ets_batch``
  are its engine)
- ``leads``, ``nowcast``: lead indicators and the headline they foretell
  (docs/methods/leads.md, docs/methods/nowcast.md)
- ``funnel``: units compared fairly by a rate (docs/methods/funnel.md)
- ``quality``, ``outliers``: data-quality scores and outliers in what is submitted
  (docs/methods/quality.md)
- ``alerts``: counters worsening as a headline improves, and recording practice that
  changed at one unit and not its peers (docs/methods/alerts.md)
- ``wording``: numbers as the layer's own sentences say them

Import from the modules (``from stocktake.analysis.spc import xmr``): importing this
package loads none of them.
"""

__all__ = [
    "alerts",
    "backtest",
    "calibration",
    "changepoints",
    "forecast",
    "funnel",
    "leads",
    "nowcast",
    "outliers",
    "quality",
    "rollup",
    "seasonality",
    "spc",
    "trajectory",
    "wording",
]
