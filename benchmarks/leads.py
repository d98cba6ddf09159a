"""Lead-indicator benchmark: ``leads`` against a loop of statsmodels Granger tests.

    python benchmarks/leads.py [--candidates 200] [--lags 12] [--units 100] [--periods 120]
                               [--sample 3] [--seed 1]

Generates a monthly panel (random walks with seasonality and unit levels; one candidate in
ten leads the headline), then measures in this one process:

(ours)      ``leads(headline, candidates, max_lag=L, period_type="month")``: the transform,
            per-unit and pooled Granger tests, reverse tests, rolling-origin forecasts and
            q-values, for every candidate and lag; timed twice: with the F test's p-values
            and no CD test choice (``inference="f", time_effects=False``: the work before
            issue 13) and with the default (Pesaran's CD test, time effects where it finds
            common shocks, 999 permutations across units for the forward and the reverse
            tests), which costs more;
(baseline)  a straightforward loop calling ``statsmodels.tsa.stattools.
            grangercausalitytests(data, [k])`` per unit, candidate and lag on the same
            transformed series. It is timed on the first ``--sample`` candidates (every unit
            and lag) and scaled to all candidates: the figure is marked "scaled".

The per-unit F statistics and p-values of the sample are compared with ours (largest
absolute difference). The baseline does less than ours (no pooled, reverse, forecast or
q-value work). Target (the issue): ours at least 20x faster. A report, not a test: it
always exits 0 and prints PASS or MISS.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fmt_seconds, timed  # noqa: E402

TARGET_SPEEDUP = 20.0


def make_panel(rng: np.random.Generator, candidates: int, units: int,
               periods: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    season = 5.0 * np.sin(2 * np.pi * np.arange(periods) / 12)
    level = rng.normal(100, 10, (units, 1))
    drivers = {f"c{i:03d}": rng.normal(size=(units, periods)) for i in range(candidates)}
    dy = rng.normal(size=(units, periods))
    for i, code in enumerate(drivers):
        if i % 10 == 0:  # a lead at lag 1 + i // 10 % 6
            lag = 1 + (i // 10) % 6
            dy[:, lag:] += 0.2 * drivers[code][:, :-lag]
    cands = {code: d.cumsum(axis=1) + season + level for code, d in drivers.items()}
    return dy.cumsum(axis=1) + season + level, cands


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--candidates", type=int, default=200)
    ap.add_argument("--lags", type=int, default=12)
    ap.add_argument("--units", type=int, default=100)
    ap.add_argument("--periods", type=int, default=120)
    ap.add_argument("--sample", type=int, default=3, help="candidates the baseline runs on")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    from statsmodels.tsa.stattools import grangercausalitytests

    from stocktake.analysis.leads import leads, transform_series

    rng = np.random.default_rng(a.seed)
    headline, cands = make_panel(rng, a.candidates, a.units, a.periods)
    tests = a.candidates * a.lags * a.units
    print(f"panel: {a.candidates} candidates x {a.lags} lags x {a.units} units x "
          f"{a.periods} periods = {tests:,} per-unit tests")

    with timed() as ours:
        result = leads(headline, cands, max_lag=a.lags, period_type="month", inference="f",
                       time_effects=False)
    print(f"(ours)      leads(inference='f', time_effects=False): {fmt_seconds(ours.wall)} "
          f"wall, {fmt_seconds(ours.cpu)} CPU")
    with timed() as new:
        default = leads(headline, cands, max_lag=a.lags, period_type="month")
    print(f"(ours)      leads() default, {default.parameters['permutations_text']}: "
          f"{fmt_seconds(new.wall)} wall, {fmt_seconds(new.cpu)} CPU "
          f"({new.cpu / ours.cpu:.1f}x the F test's)")

    y, _ = transform_series(headline, period_type="month")
    sample = list(cands)[:a.sample]
    worst_f = worst_p = 0.0
    with timed() as base, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' notice about its verbose argument
        for c, code in enumerate(sample):
            x, _ = transform_series(cands[code], period_type="month")
            for u in range(a.units):
                data = np.column_stack([y[u], x[u]])
                for j, k in enumerate(range(1, a.lags + 1)):
                    f, p, _, _ = grangercausalitytests(data, [k])[k][0]["ssr_ftest"]
                    worst_f = max(worst_f, abs(f - result.unit_f_stat[c, j, u]))
                    worst_p = max(worst_p, abs(p - result.unit_p_value[c, j, u]))
    # The comparison inside the loop is a few microseconds per call, well under 1% of it.
    scale = a.candidates / len(sample)
    base_wall, base_cpu = base.wall * scale, base.cpu * scale
    calls = len(sample) * a.units * a.lags
    print(f"(baseline)  statsmodels loop: {calls:,} calls in {fmt_seconds(base.wall)} "
          f"({base.wall / calls * 1e3:.2f} ms a call); scaled x{scale:g} to all candidates: "
          f"{fmt_seconds(base_wall)} wall, {fmt_seconds(base_cpu)} CPU")
    print(f"same statistics on the sample: max |F diff| {worst_f:.2e}, "
          f"max |p diff| {worst_p:.2e}")
    speed = base_wall / ours.wall
    speed_cpu = base_cpu / ours.cpu
    verdict = "PASS" if speed >= TARGET_SPEEDUP and max(worst_f, worst_p) <= 1e-8 else "MISS"
    print(f"speed-up (F test): {speed:.1f}x wall, {speed_cpu:.1f}x CPU (target >= "
          f"{TARGET_SPEEDUP:g}x, statistics equal to 1e-8): {verdict}")
    print(f"speed-up (default, with the permutations the baseline does not do): "
          f"{base_wall / new.wall:.1f}x wall, {base_cpu / new.cpu:.1f}x CPU")
    for label, r in (("F test", result), ("default", default)):
        found = sum(bool(r.discovered[i].any()) for i in range(0, a.candidates, 10))
        decoys = sum(bool(r.discovered[i].any()) for i in range(a.candidates) if i % 10)
        print(f"{label}: planted leads discovered: {found} of "
              f"{len(range(0, a.candidates, 10))}; decoys discovered: {decoys} of "
              f"{a.candidates - len(range(0, a.candidates, 10))}")


if __name__ == "__main__":
    main()
