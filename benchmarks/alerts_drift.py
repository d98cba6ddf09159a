"""How often does the drift test (analysis.alerts.drift_alerts) raise an alert on real
panels where no one planted anything? Its false-alarm rate, beside the local-break test's.

    PYTHONPATH=src python benchmarks/alerts_drift.py --data PATH/TO/SHARED/DATA

Three public panels in ``--data`` (the project's shared data folder): the FBI's state crime
(51 states, 1979-2019, yearly; rates per 100,000), Australia's prisoners by state (8,
2005-2016, quarterly) and Gapminder's country health (185 countries, 1960-2016, yearly).
Each series is read as a counter would be, once with each polarity (so each direction of
drift counts as the worse way once); the rate is alerts per unit-series per polarity. The
local-break test (both directions at once) is counted beside it, per unit-series. Real
series do change, so some of these alarms are real changes no one planted: an upper bound
on the false-alarm rate.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from stocktake.analysis.alerts import drift_alerts, local_break_alerts

Panel = tuple[list[str], list[str], np.ndarray]  # units, periods, (units, periods)


def _panel(rows: list[dict], unit: str, period: str, value) -> Panel:
    cells: dict[tuple[str, str], float] = {}
    for r in rows:
        v = value(r)
        if v is not None:
            cells[(r[unit], r[period])] = v
    units = sorted({u for u, _ in cells})
    periods = sorted({p for _, p in cells})
    out = np.full((len(units), len(periods)), np.nan)
    ui, pi = {u: i for i, u in enumerate(units)}, {p: i for i, p in enumerate(periods)}
    for (u, p), v in cells.items():
        out[ui[u], pi[p]] = v
    return units, periods, out


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def us_crime(data: Path) -> dict[str, Panel]:
    with open(data / "us_state_crime_ucr_1979_2019.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["level"] == "state"]
    out = {}
    for col in ("violent_crime", "homicide", "robbery", "aggravated_assault",
                "property_crime", "burglary", "larceny", "motor_vehicle_theft"):
        def rate(r, col=col):
            v, pop = _number(r[col]), _number(r["population"])
            return None if v is None or not pop else v / pop * 1e5
        out[f"US {col}"] = _panel(rows, "state", "year", rate)
    return out


def au_prisoners(data: Path) -> dict[str, Panel]:
    with open(data / "au_state_prisoners_quarterly_2005_2016.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r["period"] = r["quarter"][:4] + "-Q" + r["quarter"][-1]
    return {f"AU {col}": _panel(rows, "state", "period", lambda r, c=col: _number(r[c]))
            for col in ("prisoners_female_remanded", "prisoners_female_sentenced",
                        "prisoners_male_remanded", "prisoners_male_sentenced")}


def gapminder(data: Path) -> dict[str, Panel]:
    with open(data / "country_health_gapminder_1960_2016.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return {f"Gapminder {col}": _panel(rows, "country", "year",
                                       lambda r, c=col: _number(r[c]))
            for col in ("infant_mortality", "life_expectancy", "fertility")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True, help="the shared data folder")
    a = ap.parse_args()
    if not (a.data / "us_state_crime_ucr_1979_2019.csv").exists():
        sys.exit(f"--data {a.data}: no us_state_crime_ucr_1979_2019.csv there")
    panels = {**us_crime(a.data), **au_prisoners(a.data), **gapminder(a.data)}
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # series, drifts, breaks
    started = time.perf_counter()
    print("| panel | unit-series | drift alerts (per unit-series per polarity) | "
          "local breaks (per unit-series) |\n|---|---|---|---|")
    for name, (units, periods, values) in panels.items():
        drifts = sum(len(drift_alerts(units, values, periods, indicator=name,
                                      polarity=pol)) for pol in ("up", "down"))
        breaks = len(local_break_alerts(units, values, periods, indicator=name))
        print(f"| {name} | {len(units)} | {drifts} ({drifts / len(units) / 2:.3f}) | "
              f"{breaks} ({breaks / len(units):.3f}) |")
        t = totals[name.split()[0]]
        t[0] += len(units)
        t[1] += drifts
        t[2] += breaks
    for source, (n, d, b) in totals.items():
        print(f"| {source}, all | {n} | {d} ({d / n / 2:.3f}) | {b} ({b / n:.3f}) |")
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
