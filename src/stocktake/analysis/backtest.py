"""Rolling-origin backtest of forecast intervals: do 80% intervals hold 80% of outcomes?

For every series and every origin from ``min_train`` on, the forecasting procedure of
:func:`stocktake.analysis.forecast.forecast` is applied to the data up to the origin only,
and each held-out outcome 1..H steps ahead is checked against the intervals. The forecast
scored at an origin is exactly the one ``forecast()`` returns for the series cut at that
origin (the procedure's earlier-origin runs, which calibrate the interval widths, are
shared between origins rather than recomputed, which gives the same numbers).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from stocktake.analysis.forecast import (
    CALIBRATION_WINDOW,
    DEFAULT_LEVELS,
    MIN_POINTS,
    SEASON_LENGTH,
    ForecastError,
    _calibration,
    _check_levels,
    _inner_runs,
    _period_type,
    _predictive_scale,
    _prepare,
)
from stocktake.model.periods import PeriodType

# Defaults: first origin after this many periods, horizons 1..H.
DEFAULT_MIN_TRAIN = {
    PeriodType.YEAR: 10,
    PeriodType.QUARTER: 16,
    PeriodType.MONTH: 36,
    PeriodType.WEEK: 52,
    PeriodType.DAY: 28,
}
DEFAULT_HORIZON = {
    PeriodType.YEAR: 5,
    PeriodType.QUARTER: 8,
    PeriodType.MONTH: 12,
    PeriodType.WEEK: 13,
    PeriodType.DAY: 14,
}


@dataclass(frozen=True)
class BacktestRecord:
    """One held-out outcome and the forecast made for it."""

    series: str
    origin: str  # the last period known when the forecast was made
    period: str  # the period forecast
    horizon: int
    actual: float
    mean: float
    scale: float
    df: float
    lower: tuple[float, ...]  # one per level, in BacktestResult.levels order
    upper: tuple[float, ...]
    scaled_error: float | None  # |actual - mean| / in-sample MAE of the (seasonal) naive

    def covered(self, i: int) -> bool:
        return self.lower[i] <= self.actual <= self.upper[i]


@dataclass(frozen=True)
class BacktestResult:
    period_type: str
    levels: tuple[float, ...]
    horizons: tuple[int, ...]
    min_train: int
    origin_step: int
    n_series: int
    n_origins: int  # (series, origin) pairs scored
    n_forecasts: int  # (series, origin, horizon) outcomes scored
    coverage: Mapping[float, float]
    coverage_by_horizon: Mapping[float, Mapping[int, float]]
    forecasts_by_horizon: Mapping[int, int]
    mase: float
    mase_by_horizon: Mapping[int, float]
    records: tuple[BacktestRecord, ...]
    skipped: tuple[str, ...]  # series too short for any origin
    calibrated: bool = True  # False: the model's own Gaussian intervals were scored

    def summary(self) -> str:
        head = (
            f"Rolling-origin backtest: {self.n_series} {self.period_type} series, "
            f"{self.n_origins} origins (first after {self.min_train} periods, every "
            f"{self.origin_step}), {self.n_forecasts} forecasts; MASE {self.mase:.3f}"
            + ("" if self.calibrated else "; UNCALIBRATED model intervals")
        )
        cov = "  ".join(f"{round(lv * 100)}%: {self.coverage[lv]:.1%}" for lv in self.levels)
        lines = [
            head,
            f"coverage  {cov}",
            f"{'h':>3} {'n':>6} {'MASE':>7}"
            + "".join(f"{round(lv * 100):>7}%" for lv in self.levels),
        ]
        for h in self.horizons:
            if not self.forecasts_by_horizon.get(h):
                continue
            lines.append(
                f"{h:>3} {self.forecasts_by_horizon[h]:>6} {self.mase_by_horizon[h]:>7.3f}"
                + "".join(f"{self.coverage_by_horizon[lv][h]:>8.1%}" for lv in self.levels)
            )
        if self.skipped:
            lines.append(f"skipped (too short): {', '.join(self.skipped)}")
        return "\n".join(lines)


def _count_values(values: Sequence[float]) -> int:
    n = 0
    for v in values:
        try:
            n += not math.isnan(float(v))
        except (TypeError, ValueError):
            continue
    return n


def _horizons(horizons: int | Sequence[int] | None, ptype: PeriodType) -> tuple[int, ...]:
    if horizons is None:
        return tuple(range(1, DEFAULT_HORIZON[ptype] + 1))
    hs = list(range(1, horizons + 1)) if isinstance(horizons, int) else list(horizons)
    if not hs or any(not isinstance(h, int | np.integer) or h < 1 for h in hs):
        raise ForecastError(f"horizons {horizons!r} must be positive whole numbers of periods")
    return tuple(sorted({int(h) for h in hs}))


def backtest(
    series: Mapping[str, tuple[Sequence[str], Sequence[float]]],
    period_type: PeriodType | str,
    *,
    min_train: int | None = None,
    horizons: int | Sequence[int] | None = None,
    levels: Sequence[float] = DEFAULT_LEVELS,
    origin_step: int = 1,
    seasonal: bool | None = None,
    calibrate: bool = True,
) -> BacktestResult:
    """Measure interval coverage and MASE over rolling origins on many series.

    ``series`` maps a name to (period codes, values). ``min_train``: the first origin has
    this many periods (default 10 years, 16 quarters, 36 months); ``horizons``: an int H
    for 1..H or a list (default 5 years, 8 quarters, 12 months); ``origin_step``: score
    every k-th origin. Missing values follow ``forecast()``: single gaps are interpolated
    (an interpolated value is never scored as an outcome), longer gaps raise.
    ``calibrate=False`` scores the model's own Gaussian intervals instead (analytic ETS
    variance, sigma^2 = SSE / (n - parameters)), to show what calibration changes.
    """
    ptype = _period_type(period_type)
    levels_ = _check_levels(levels)
    hs = _horizons(horizons, ptype)
    H = max(hs)
    first = DEFAULT_MIN_TRAIN[ptype] if min_train is None else int(min_train)
    if first < MIN_POINTS:
        raise ForecastError(f"min_train {min_train} is below the {MIN_POINTS} points needed")
    if origin_step < 1:
        raise ForecastError(f"origin_step {origin_step} must be at least 1")
    if not series:
        raise ForecastError("no series to backtest")
    m = SEASON_LENGTH.get(ptype, 0)
    lag = m or 1  # MASE scale: in-sample MAE of the seasonal naive forecast (Hyndman & Koehler)
    quantiles = 0.5 + np.array(levels_) / 2.0

    records: list[BacktestRecord] = []
    skipped: list[str] = []
    n_series = n_origins = 0
    for name, pair in series.items():
        if len(pair) != 2:
            raise ForecastError(f"series '{name}': give (periods, values)")
        periods, values = pair
        if _count_values(values) <= first:  # no origin to score: skip, whatever the data
            skipped.append(name)
            continue
        prep = _prepare(values, periods, ptype, what=f"series '{name}'")
        y, observed, n = prep.y, prep.observed, len(prep.y)
        origins = [o for o in range(first, n, origin_step) if observed[o - 1]]
        if not origins:
            skipped.append(name)
            continue
        n_series += 1
        runs = _inner_runs(y, observed, range(origins[0] - CALIBRATION_WINDOW, n), H, m, seasonal)
        for o in origins:
            run = runs[o]
            if calibrate:
                factor, df, _ = _calibration(y, observed, runs, o, min(H, n - o))
                scale = _predictive_scale(run.sd, factor)
            else:
                df, scale = np.full(len(run.sd), np.inf), run.sd
            diffs = np.abs(y[lag:o] - y[: o - lag])
            mae_naive = float(np.mean(diffs)) if len(diffs) else float("nan")
            qs = stats.t.ppf(quantiles[:, None], df[None, :])  # (levels, horizons)
            scored = False
            for h in hs:
                t = o + h - 1
                if t >= n or not observed[t]:
                    continue
                scored = True
                q = qs[:, h - 1]
                mean, sc = float(run.mean[h - 1]), float(scale[h - 1])
                err = abs(y[t] - mean)
                records.append(
                    BacktestRecord(
                        series=name,
                        origin=prep.periods[o - 1].code,
                        period=prep.periods[t].code,
                        horizon=h,
                        actual=float(y[t]),
                        mean=mean,
                        scale=sc,
                        df=float(df[h - 1]),
                        lower=tuple(float(mean - qi * sc) for qi in q),
                        upper=tuple(float(mean + qi * sc) for qi in q),
                        scaled_error=float(err / mae_naive) if mae_naive > 0 else None,
                    )
                )
            n_origins += int(scored)
    if not records:
        raise ForecastError(
            f"no forecast could be scored: every series is shorter than min_train + 1 "
            f"({first + 1} periods)"
        )

    def share(recs: list[BacktestRecord], i: int) -> float:
        return float(np.mean([r.covered(i) for r in recs]))

    def mase(recs: list[BacktestRecord]) -> float:
        errs = [r.scaled_error for r in recs if r.scaled_error is not None]
        return float(np.mean(errs)) if errs else float("nan")

    by_h = {h: [r for r in records if r.horizon == h] for h in hs}
    return BacktestResult(
        period_type=ptype.value,
        levels=levels_,
        horizons=hs,
        min_train=first,
        origin_step=origin_step,
        n_series=n_series,
        n_origins=n_origins,
        n_forecasts=len(records),
        coverage={lv: share(records, i) for i, lv in enumerate(levels_)},
        coverage_by_horizon={
            lv: {h: share(rs, i) for h, rs in by_h.items() if rs} for i, lv in enumerate(levels_)
        },
        forecasts_by_horizon={h: len(rs) for h, rs in by_h.items()},
        mase=mase(records),
        mase_by_horizon={h: mase(rs) for h, rs in by_h.items() if rs},
        records=tuple(records),
        skipped=tuple(skipped),
        calibrated=calibrate,
    )
