"""Does the alert detector (analysis.alerts) find the demo's planted gaming cases, and what
else does it raise? A check on a demo database, read with the existing services.

    PYTHONPATH=src python -m stocktake demo --no-serve --db sqlite:///$PWD/demo.db
    PYTHONPATH=src python benchmarks/alerts_demo.py --db sqlite:///$PWD/demo.db

For each priority with counters, at the level of its planted case (regions, or provinces
for housing), over every unit of that level: counter alerts (headline against each
counter), ratio-shift alerts on each ratio counter's numerator and denominator (a percent
counter without components is read as a share of one), local breaks on the headline and
each counter, and drifts of a counter without components (as the service reads them). A
planted case (demo.series.GAMING) is found when an alert names its unit and its counter;
its start is compared with the planted start. Every other alert is listed: on simulated
data with no other planted change, each is a false alarm.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from stocktake.analysis.alerts import (
    Alert,
    counter_alerts,
    drift_alerts,
    local_break_alerts,
    ratio_shift_alerts,
)
from stocktake.demo.series import GAMING
from stocktake.model.entities import Aggregation
from stocktake.model.periods import Period
from stocktake.services.reading.series_data import SeriesData, read_model
from stocktake.store.db import open_engine


def _panel(data: SeriesData, code: str, rows: list[int]) -> tuple[np.ndarray, list[str]]:
    """(units, periods) of complete values (partial roll-ups as missing)."""
    r = data.rollup(code)
    v = np.where(r.value_partial, np.nan, r.value)[rows]
    return v, list(r.periods or ())


def priority_alerts(data: SeriesData, prio: str, level: str) -> list[Alert]:
    model = data.model
    p = model.priorities[prio]
    units = sorted(c for c, u in model.units.items() if u.level == level)
    rows = [data.hierarchy.position(u) for u in units]
    names = {u: model.units[u].name for u in units}
    head = model.indicators[p.headline]
    hv, periods = _panel(data, p.headline, rows)
    out: list[Alert] = []
    out += local_break_alerts(units, hv, periods, indicator=p.headline, names=names)
    for code in p.counters:
        ind = model.indicators[code]
        cv, cp = _panel(data, code, rows)
        if cp != periods:
            continue
        for i, u in enumerate(units):
            out += counter_alerts(u, hv[i], cv[i], periods, indicators=(p.headline, code),
                                  headline_polarity=head.polarity.value,
                                  counter_polarity=ind.polarity.value, name=names[u])
        if ind.aggregation is Aggregation.RATIO and ind.numerator and ind.denominator:
            num, _ = _panel(data, ind.numerator, rows)
            den, _ = _panel(data, ind.denominator, rows)
            pair = (ind.numerator, ind.denominator)
        else:
            num, den, pair = cv, np.ones_like(cv), (code, "1")
            # as the service: a counter not a declared ratio is also read for a drift
            out += drift_alerts(units, cv, periods, indicator=code, names=names,
                                polarity=ind.polarity.value)
        out += ratio_shift_alerts(units, num, den, periods, indicators=pair, names=names,
                                  ratio_words=f"'{ind.name}'")
    return out


def _distance(a: str, b: str) -> int:
    return Period.parse(a).ordinal - Period.parse(b).ordinal


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", required=True, help="the demo database's URL")
    ap.add_argument("--all", action="store_true", help="print every alert's explanation")
    a = ap.parse_args()
    engine = open_engine(a.db, migrate=False)
    model = read_model(engine)
    t0 = time.perf_counter()
    found_all, others_all, series_all = 0, 0, 0
    print("| priority | planted | from | found by | found start | distance | other alerts "
          "| unit-series read |")
    print("|---|---|---|---|---|---|---|---|")
    for prio, (unit, start, what) in GAMING.items():
        p = model.priorities[prio]
        level = model.units[unit].level
        codes = [p.headline, *p.counters]
        data = SeriesData.load(engine, model, codes, None)
        alerts = priority_alerts(data, prio, level)
        hits = [x for x in alerts if x.unit == unit]
        n_units = sum(1 for u in model.units.values() if u.level == level)
        others = [x for x in alerts if x.unit != unit]
        kinds = sorted({x.kind for x in hits})
        first = min(hits, key=lambda x: abs(_distance(x.start, start)), default=None)
        found_all += bool(hits)
        others_all += len(others)
        series_all += n_units * len(codes)
        print(f"| {prio} | {unit}: {what} | {start} | {', '.join(kinds) or 'NOT FOUND'} | "
              f"{first.start if first else '-'} | "
              f"{_distance(first.start, start) if first else '-'} | {len(others)} | "
              f"{n_units} units x {len(codes)} |")
        for x in (alerts if a.all else hits):
            print(f"    [{x.kind}] {x.unit}: {x.explanation}")
    print(f"\nplanted cases found: {found_all} of {len(GAMING)}; other alerts: {others_all} "
          f"over {series_all} unit-series ({others_all / series_all:.3f} per unit-series); "
          f"{time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
