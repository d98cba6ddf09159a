"""Forecast benchmark: one calibrated forecast, the batched engine against the per-origin
path it replaced, and a statsmodels fit of the same series for reference.

    python benchmarks/forecast.py [--periods 120] [--series 6] [--horizon 12] [--repeat 3]
                                  [--seed 1] [--many 200]

Generates ``--series`` monthly series of ``--periods`` points (a random walk with drift,
a yearly season and noise; seasonality is considered, as forecast() does by default) and
times, per call, in this one process:

(old)   the per-origin path: the procedure (model choice, both fits) run separately at
        each of the 31 origins, as forecast() did before (``_runs_at_reference``);
(new)   forecast() as it is: each model fitted at all 31 origins in one batched pass.
        "warm": the coarse grid's normal-matrix factors, which do not depend on the
        data, are kept from an earlier series of the same length (a status page or a
        pack forecasts many such series); "cold": every kept table but the coarse grid's
        responses (which the old path keeps too) is dropped before each call;
(sm)    statsmodels ``ExponentialSmoothing(trend="add", damped_trend=True,
        seasonal="add", seasonal_periods=12).fit()`` and its forecast, on the same
        series: one fit, no calibration, for scale.

Then, with ``--many N`` (default 200; 0 skips it), many series at once, as a status page
asks for them: N series of the same kind and length,

(many)  forecast_many() on all N in one call (series of one length fitted together);
(loop)  forecast() called N times, one series after another;

side by side per forecast, with the statsmodels figure above (one fit per series) for
scale, and whether both give the same models, grid points and numbers.

Each figure is the fastest of ``--repeat`` runs over all series, divided by the number
of series; CPU time beside wall time (the cores are shared). The old and new forecasts are
compared: the same model and grid point, and the largest relative difference in the
means and the interval scales. A report, not a test: it always exits 0.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import timed  # noqa: E402

from stocktake.analysis import ets, ets_batch
from stocktake.analysis import forecast as fmod  # noqa: E402
from stocktake.model.periods import Period, PeriodType  # noqa: E402


def make_series(rng: np.random.Generator, periods: int) -> np.ndarray:
    t = np.arange(periods)
    season = rng.normal(0, 4, 12)[t % 12]
    return 200 + np.cumsum(rng.normal(0.2, 1.5, periods)) + season + rng.normal(0, 2, periods)


def codes_for(periods: int) -> list[str]:
    return [f"{2010 + i // 12}-{i % 12 + 1:02d}" for i in range(periods)]


def best_of(repeat: int, run: Callable[[], object]) -> tuple[float, float, object]:
    """Fastest wall and CPU seconds of ``repeat`` runs, and the last run's result."""
    wall = cpu = float("inf")
    out = None
    for _ in range(repeat):
        with timed() as t:
            out = run()
        wall, cpu = min(wall, t.wall), min(cpu, t.cpu)
    return wall, cpu, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--periods", type=int, default=120)
    ap.add_argument("--series", type=int, default=6)
    ap.add_argument("--horizon", type=int, default=12)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--many", type=int, default=200, help="series for the many row (0: skip)")
    a = ap.parse_args()

    import pandas as pd
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    rng = np.random.default_rng(a.seed)
    ptype = PeriodType.MONTH
    codes = codes_for(a.periods)
    target = Period.parse(codes[-1], ptype).shift(a.horizon).code
    values = [make_series(rng, a.periods) for _ in range(a.series)]
    preps = [fmod._prepare(list(v), codes, ptype) for v in values]
    m = fmod.SEASON_LENGTH[ptype]
    print(f"{a.series} monthly series of {a.periods} points, forecast {a.horizon} months "
          f"ahead to {target}; seasonality considered; best of {a.repeat} runs")

    def run_path(engine) -> Callable[[], list[fmod.Forecast]]:
        return lambda: [
            fmod._forecast(p, ptype, a.horizon, m, None, fmod.DEFAULT_LEVELS, engine)
            for p in preps
        ]

    run_path(ets_batch._runs_at)()  # coarse grid tables for both paths, built once per process
    run_path(ets._runs_at_reference)()
    old_w, old_c, old = best_of(a.repeat, run_path(ets._runs_at_reference))
    warm_w, warm_c, new = best_of(a.repeat, run_path(ets_batch._runs_at))
    cold_w, cold_c, _ = best_of(a.repeat, lambda: _cold(preps, ptype, a.horizon, m))

    def statsmodels_fits() -> list[np.ndarray]:
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # statsmodels' convergence notices
            for v in values:
                s = pd.Series(v, index=pd.period_range("2010-01", periods=a.periods, freq="M"))
                fit = ExponentialSmoothing(
                    s, trend="add", damped_trend=True, seasonal="add", seasonal_periods=12
                ).fit()
                out.append(np.asarray(fit.forecast(a.horizon)))
        return out

    sm_w, sm_c, _ = best_of(a.repeat, statsmodels_fits)

    same = all(
        o.model == n.model
        and all(o.params.get(k) == n.params.get(k) for k in ("alpha", "beta", "gamma", "phi"))
        for o, n in zip(old, new, strict=True)
    )
    d_mean = max(
        float(np.max(np.abs(np.subtract(n.mean, o.mean)) / np.abs(o.mean)))
        for o, n in zip(old, new, strict=True)
    )
    d_scale = max(
        float(np.max(np.abs(np.subtract(n.scale, o.scale)) / np.array(o.scale)))
        for o, n in zip(old, new, strict=True)
    )
    k = a.series
    rows = [
        ("(old) per-origin path", old_w, old_c),
        ("(new) batched, warm", warm_w, warm_c),
        ("(new) batched, cold", cold_w, cold_c),
        ("(sm)  statsmodels, one fit", sm_w, sm_c),
    ]
    print(f"{'per forecast':32s} {'wall':>10s} {'CPU':>10s} {'old / this (wall)':>18s}")
    for label, w, c in rows:
        print(f"{label:32s} {w / k * 1e3:8.1f} ms {c / k * 1e3:7.1f} ms {old_w / w:17.1f}x")
    print(f"speed-up of the batched engine: {old_w / warm_w:.1f}x warm, {old_w / cold_w:.1f}x "
          f"cold (wall); {old_c / warm_c:.1f}x, {old_c / cold_c:.1f}x (CPU)")
    print(f"statsmodels' one fit against the batched forecast (31 procedures, two models): "
          f"{sm_w / warm_w:.1f}x warm, {sm_w / cold_w:.1f}x cold (wall)")
    print(f"old vs new: same model and grid point for every series: {same}; largest "
          f"relative difference in the means {d_mean:.1e}, in the interval scales "
          f"{d_scale:.1e}")
    models = sorted({f.model for f in new})
    print(f"models chosen: {', '.join(models)}")
    if a.many > 0:
        _many(a, rng, codes, target, sm_w / k, sm_c / k)


def _many(a: argparse.Namespace, rng: np.random.Generator, codes: list[str], target: str,
          sm_wall: float, sm_cpu: float) -> None:
    """The many row: forecast_many() on N series against N calls of forecast()."""
    reqs = [
        fmod.ForecastRequest(list(make_series(rng, a.periods)), codes, target, "month")
        for _ in range(a.many)
    ]
    fmod.forecast_many(reqs[:2])  # the coarse tables of this length, as the rows above
    many_w, many_c, many = best_of(a.repeat, lambda: fmod.forecast_many(reqs))
    loop_w, loop_c, loop = best_of(a.repeat, lambda: [
        fmod.forecast(r.values, r.periods, r.horizon_to, period_type=r.period_type)
        for r in reqs
    ])
    same = all(
        isinstance(m, fmod.Forecast)
        and m.model == f.model
        and all(m.params.get(k) == f.params.get(k) for k in ("alpha", "beta", "gamma", "phi"))
        and m.notes == f.notes
        for m, f in zip(many, loop, strict=True)
    )
    worst = max(
        float(np.max(np.abs(np.subtract(getattr(m, x), getattr(f, x))) / np.abs(getattr(f, x))))
        for m, f in zip(many, loop, strict=True)
        for x in ("mean", "scale")
    )
    n = a.many
    print(f"\nmany series: {n} monthly series of {a.periods} points, best of {a.repeat} runs")
    print(f"{'per forecast':32s} {'wall':>10s} {'CPU':>10s} {'loop / this (wall)':>19s}")
    for label, w, c in (
        ("(many) forecast_many, one call", many_w / n, many_c / n),
        ("(loop) forecast() per series", loop_w / n, loop_c / n),
        ("(sm)   statsmodels, one fit", sm_wall, sm_cpu),
    ):
        print(f"{label:32s} {w * 1e3:8.1f} ms {c * 1e3:7.1f} ms {loop_w / n / w:18.1f}x")
    print(f"forecast_many against the loop: {loop_w / many_w:.1f}x (wall), "
          f"{loop_c / many_c:.1f}x (CPU); against statsmodels' one fit per series: "
          f"{sm_wall * n / many_w:.1f}x (wall), {sm_cpu * n / many_c:.1f}x (CPU)")
    print(f"many vs loop: same model, grid point and notes for every series: {same}; "
          f"largest relative difference in the means and scales {worst:.1e}")


def _cold(preps, ptype: PeriodType, horizon: int, m: int) -> list[fmod.Forecast]:
    """The batched path with its kept tables dropped before each forecast (the dropping
    is timed too: microseconds)."""
    out = []
    for p in preps:
        ets_batch._FACTORS.clear()
        ets_batch._FINE_TABLES.clear()
        out.append(fmod._forecast(p, ptype, horizon, m, None, fmod.DEFAULT_LEVELS))
    return out


if __name__ == "__main__":
    main()
