"""False alarms and detection delay of SPC readings of seasonal series (docs/methods/spc.md).

Simulated series with a real seasonal profile and Poisson noise, read three ways:
raw XmR, XmR on the difference from the same period a year earlier, and XmR on seasonally
adjusted values (analysis.seasonality, what the product does). For each: the share of points
flagged special cause on series with no change, and, after a +30% step, the number of
periods until the first point at or after the step is flagged in the direction of the step.

    PYTHONPATH=src python benchmarks/spc_seasonal.py [--seeds 200]
"""

from __future__ import annotations

import argparse

import numpy as np

from stocktake.analysis.seasonality import seasonal_adjustment
from stocktake.analysis.spc import xmr
from stocktake.model.periods import Period

WEEKS = 4 * 52  # four years of weekly data
MONTHS = 6 * 12


def week_codes(n: int, first: str = "2019-W01") -> list[str]:
    p = Period.parse(first)
    return [p.shift(i).code for i in range(n)]


def month_codes(n: int, first: str = "2019-01") -> list[str]:
    p = Period.parse(first)
    return [p.shift(i).code for i in range(n)]


def weekly_profile(codes: list[str]) -> np.ndarray:
    """A winter-peaking infection profile: 20 cases a week in summer, ~90 at the peak."""
    week = np.array([int(c.split("-W")[1]) for c in codes])
    return 40 * np.exp(0.8 * np.cos(2 * np.pi * (week - 3) / 52))


def monthly_profile(codes: list[str]) -> np.ndarray:
    """A summer-peaking crime profile (+/- 12%) around 120 a month."""
    month = np.array([int(c[5:]) for c in codes])
    return 120 * (1 + 0.12 * np.cos(2 * np.pi * (month - 7) / 12))


def _flags(values: np.ndarray, codes: list[str]) -> np.ndarray:
    r = xmr(values, codes, polarity="neutral")
    return np.array([p.point_type != "common_cause" for p in r.points])


def _sides(values: np.ndarray, codes: list[str]) -> np.ndarray:
    r = xmr(values, codes, polarity="neutral")
    return np.array([0 if p.point_type == "common_cause" else (1 if p.direction == "high" else -1)
                     for p in r.points])


def readings(y: np.ndarray, codes: list[str], m: int) -> dict[str, np.ndarray]:
    """Per point +1/-1 flagged high/low, 0 common cause, for each way of reading; NaN-free
    series only. YoY loses the first season: padded with 0."""
    yoy = y[m:] - y[:-m]
    adj = seasonal_adjustment(y, codes, mode="auto")
    return {
        "raw": _sides(y, codes),
        "year_on_year": np.concatenate([np.zeros(m, int), _sides(yoy, codes[m:])]),
        "seasonally_adjusted": _sides(adj.values, codes),
        "_applied": np.array([adj.applied]),
    }


def run(seeds: int, kind: str) -> None:
    if kind == "weekly":
        codes, m = week_codes(WEEKS), 52
        mu = weekly_profile(codes)
    else:
        codes, m = month_codes(MONTHS), 12
        mu = monthly_profile(codes)
    n = len(codes)
    step_at = n - m // 2  # a +30% step half a season before the end
    rates: dict[str, list[float]] = {}
    delays: dict[str, list[float]] = {}
    applied = 0
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        y = rng.poisson(mu).astype(float)
        r = readings(y, codes, m)
        applied += int(r.pop("_applied")[0])
        for name, side in r.items():
            scored = side[m:] if name == "year_on_year" else side
            rates.setdefault(name, []).append(float(np.mean(scored != 0)))
        mu_step = mu.copy()
        mu_step[step_at:] *= 1.3
        y2 = rng.poisson(mu_step).astype(float)
        for name, side in readings(y2, codes, m).items():
            if name.startswith("_"):
                continue
            hit = np.flatnonzero(side[step_at:] > 0)
            delays.setdefault(name, []).append(float(hit[0] + 1) if len(hit) else np.inf)
    print(f"\n{kind}: {n} periods, season {m}, {seeds} seeds; seasonality detected and "
          f"adjusted in {applied}/{seeds} no-change series")
    print(f"{'reading':22s} {'flagged mean':>12s} {'p95':>6s} {'max':>6s} {'>20%':>6s}   "
          f"{'step found':>10s} {'median delay':>12s} {'p90 delay':>9s}")
    for name in rates:
        f = np.array(rates[name])
        d = np.array(delays[name])
        found = np.isfinite(d)
        med = np.median(d[found]) if found.any() else np.nan
        p90 = np.quantile(d, 0.9) if found.mean() >= 0.9 else np.inf
        print(f"{name:22s} {f.mean():12.1%} {np.quantile(f, 0.95):6.1%} {f.max():6.1%} "
              f"{(f > 0.2).mean():6.1%}   "
              f"{found.mean():10.0%} {med:12.0f} {p90:9.0f}")


def independent_noise(seeds: int, n: int) -> None:
    rates = []
    for seed in range(seeds):
        y = np.random.default_rng(seed).normal(size=n)
        rates.append(_flags(y, [str(i) for i in range(n)]).mean())
    r = np.array(rates)
    print(f"\nindependent normal noise, {n} points: flagged mean {r.mean():.1%}, "
          f"p95 {np.quantile(r, 0.95):.1%}, max {r.max():.1%}, over 20% in {(r > 0.2).mean():.1%}"
          " of series")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200)
    args = parser.parse_args()
    independent_noise(args.seeds, WEEKS)
    run(args.seeds, "weekly")
    independent_noise(args.seeds, MONTHS)
    run(args.seeds, "monthly")

