"""Rolling-origin backtest of forecast intervals: do 80% intervals hold 80% of outcomes?

For every series and every origin from ``min_train`` on, the forecasting procedure of
:func:`stocktake.analysis.forecast.forecast` is applied to the data up to the origin only,
and each held-out outcome 1..H steps ahead is checked against the intervals. The forecast
scored at an origin is exactly the one ``forecast()`` returns for the series cut at that
origin (the procedure's earlier-origin runs, which calibrate the interval widths, are
shared between origins rather than recomputed, which gives the same numbers).

Coverage is also given by stratum (``BacktestResult.strata``): by horizon, by the level of
the series at the origin (thirds of the panel), and by whether the outcome was zero, each
beside the coverage the forecasts themselves claimed (an integer interval holds at least its
nominal share, often more: [0, 1] for a count near 0.2 holds 98%). An overall figure can be
held up by easy cases; the strata show where it is not.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from stocktake.analysis.calibration import CALIBRATIONS, RECENT, window_for
from stocktake.analysis.calibration import calibrate as _calibrate
from stocktake.analysis.ets import DAMPED_TREND_MIN_POINTS
from stocktake.analysis.forecast import (
    DEFAULT_LEVELS,
    MIN_POINTS,
    NO_BOUNDS,
    SEASON_LENGTH,
    Bounds,
    ForecastError,
    _cdf,
    _check_levels,
    _differenced,
    _inner_runs,
    _model_sd,
    _moments,
    _offset,
    _period_type,
    _prepare,
    _quantiles,
    _sd_floor,
    _trend,
    _upper_tail,
    _yearly_lag,
)
from stocktake.analysis.forecast_drift import with_drift
from stocktake.analysis.wording import plain_figure
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
    mean: float  # the predictive mean on the value scale
    scale: float  # t scale on the model scale
    df: float
    lower: tuple[float, ...]  # one per level, in BacktestResult.levels order
    upper: tuple[float, ...]
    scaled_error: float | None  # |actual - mean| / in-sample MAE of the (seasonal) naive
    level: float = math.nan  # the last value known at the origin
    claimed: tuple[float, ...] = ()  # P(lower <= value <= upper) under the forecast itself

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
    bounds: Bounds = NO_BOUNDS
    legacy: bool = False  # True: the engine before bounds and the calibration guards
    calibration: str = "per-level"  # how past errors made the intervals (analysis.calibration)
    # stratum -> group -> {"n", "coverage_80", "claimed_80", ...}; see _strata
    strata: Mapping[str, Mapping[str, Mapping[str, float]]] = field(default_factory=dict)

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
        for name in ("level", "actual"):
            for group, row in self.strata.get(name, {}).items():
                lines.append(
                    f"{name} {group}: n {int(row['n'])}"
                    + "".join(
                        f"  {p}%: {row[f'coverage_{p}']:.1%} (claims {row[f'claimed_{p}']:.1%})"
                        for p in (str(round(lv * 100)) for lv in self.levels)
                    )
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
    bounds: Bounds | None = None,
    legacy: bool = False,
    calibration: str = "per-level",
) -> BacktestResult:
    """Measure interval coverage and MASE over rolling origins on many series.

    ``series`` maps a name to (period codes, values). ``min_train``: the first origin has
    this many periods (default 10 years, 16 quarters, 36 months); ``horizons``: an int H
    for 1..H or a list (default 5 years, 8 quarters, 12 months); ``origin_step``: score
    every k-th origin. Missing values follow ``forecast()``: single gaps are interpolated
    (an interpolated value is never scored as an outcome), longer gaps raise.
    ``bounds``: the indicator's range, as forecast() takes it; the scale of a series of
    counts is decided once, on its data before the first origin (forecast() decides on all
    the data it is given: the same choice unless the median crossed the threshold since).
    ``calibrate=False`` scores
    the model's own Gaussian intervals instead (analytic ETS variance, sigma^2 = SSE /
    (n - parameters)), to show what calibration changes. ``legacy=True`` scores the engine
    as it was before bounds: no bounds and no guards on the calibration factor (for
    benchmarks/calibration.py's comparison). ``calibration``: how past errors make the
    intervals, 'per-level' (forecast()'s) or 'variance' (the previous method, one variance
    factor; see analysis.calibration).
    """
    ptype = _period_type(period_type)
    levels_ = _check_levels(levels)
    if calibration not in CALIBRATIONS:
        raise ForecastError(f"calibration {calibration!r} is not one of "
                            f"{', '.join(CALIBRATIONS)}")
    hs = _horizons(horizons, ptype)
    H = max(hs)
    first = DEFAULT_MIN_TRAIN[ptype] if min_train is None else int(min_train)
    if first < MIN_POINTS:
        raise ForecastError(f"min_train {min_train} is below the {MIN_POINTS} points needed")
    if origin_step < 1:
        raise ForecastError(f"origin_step {origin_step} must be at least 1")
    if not series:
        raise ForecastError("no series to backtest")
    base = b = NO_BOUNDS if legacy or bounds is None else bounds
    if not isinstance(b, Bounds):
        raise ForecastError(f"bounds {bounds!r} must be a Bounds (or None)")
    m = SEASON_LENGTH.get(ptype, 0)
    # MASE scale: in-sample MAE of the seasonal naive forecast (Hyndman & Koehler)
    mase_lag = m or 1
    lo_q = 0.5 - np.array(levels_) / 2.0
    hi_q = 0.5 + np.array(levels_) / 2.0

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
        b = base.resolved(y[: origins[0]] if origins else y)  # data before the first origin
        b.check(y, prep.periods, f"series '{name}'")
        z = b.to_model(y)
        if not origins:
            skipped.append(name)
            continue
        n_series += 1
        # Per origin, as forecast() would at it: a weekly season read as the change from a
        # year earlier (lag 52) or not; the procedure's runs for each reading as needed.
        lags = {o: 0 if legacy else _yearly_lag(z[:o], ptype, seasonal, H) for o in origins}
        runs_by_lag: dict[int, tuple[np.ndarray, np.ndarray, dict]] = {}
        # forecast()'s calibration window (the previous methods: the last CALIBRATION_WINDOW
        # origins, as they had)
        window = (window_for(ptype is PeriodType.WEEK)
                  if calibration == "per-level" and not legacy else RECENT)
        for k in sorted(set(lags.values())):
            at = [o - k for o in origins if lags[o] == k]
            w, obs = _differenced(z, observed, k)
            runs_by_lag[k] = (w, obs, _inner_runs(w, obs, range(at[0] - window.origins,
                                                                at[-1] + 1),
                                                  H, m, seasonal, trend=_trend(b)))
        for o in origins:
            k = lags[o]
            w, obs, runs = runs_by_lag[k]
            if not legacy and o - k < DAMPED_TREND_MIN_POINTS:  # as forecast() at o
                runs = with_drift(runs, w, o - k, _trend(b))
            run = runs[o - k]
            offset = _offset(z, o, k, len(run.mean))
            if calibrate:
                cal = _calibrate(w, obs, runs, o - k, _model_sd(run.sd, b), _sd_floor(b),
                                 "variance" if legacy else calibration, legacy=legacy,
                                 window=window,
                                 upper_tail=calibration == "per-level" and not legacy
                                 and _upper_tail(b))
                scale, df = cal.scale, cal.df
            else:
                df, scale = np.full(len(run.sd), np.inf), run.sd
            diffs = np.abs(y[mase_lag:o] - y[: o - mase_lag])
            mae_naive = float(np.mean(diffs)) if len(diffs) else float("nan")
            scored = False
            for h in hs:
                t = o + h - 1
                if t >= n or not observed[t]:
                    continue
                scored = True
                loc = float(run.mean[h - 1] + offset[h - 1])
                sc, d = float(scale[h - 1]), float(df[h - 1])
                lower = _quantiles(lo_q, loc, sc, d, b)
                upper = _quantiles(hi_q, loc, sc, d, b)
                claimed = _cdf(upper, loc, sc, d, b) - _cdf(lower, loc, sc, d, b, strict=True)
                mean = _moments(loc, sc, d, b)[0] if np.isfinite(d) else loc
                err = abs(y[t] - mean)
                records.append(
                    BacktestRecord(
                        series=name,
                        origin=prep.periods[o - 1].code,
                        period=prep.periods[t].code,
                        horizon=h,
                        actual=float(y[t]),
                        mean=float(mean),
                        scale=sc,
                        df=d,
                        lower=tuple(float(v) for v in lower),
                        upper=tuple(float(v) for v in upper),
                        scaled_error=float(err / mae_naive) if mae_naive > 0 else None,
                        level=float(y[o - 1]),
                        claimed=tuple(float(v) for v in claimed),
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
        bounds=base,
        legacy=legacy,
        calibration="variance" if legacy else calibration,
        strata=strata(records, levels_),
    )


def _level_groups(levels: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Thirds of the panel by the level at the origin: labels, and each record's group.
    Cut points that coincide (a panel mostly of zeros) merge their groups."""
    cuts = sorted(set(np.quantile(levels, [1 / 3, 2 / 3]).tolist()))
    edges = [-np.inf, *cuts, np.inf]
    labels = []
    # "value" in each label: beside yearly data a bare "<= 1999" reads as a year.
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        if lo == -np.inf:
            labels.append(f"value <= {plain_figure(hi)}")
        elif hi == np.inf:
            labels.append(f"value > {plain_figure(lo)}")
        else:
            labels.append(f"value {plain_figure(lo)} to {plain_figure(hi)}")
    group = np.searchsorted(np.array(cuts), levels, side="left")
    return labels, group


def strata(
    records: Sequence[BacktestRecord], levels: Sequence[float]
) -> dict[str, dict[str, dict[str, float]]]:
    """Coverage, and the coverage the forecasts claimed, by stratum: ``horizon`` (h),
    ``level`` (thirds of the panel by the last value known at the origin) and ``actual``
    (whether the outcome was zero). Each group: n, coverage_<p> and claimed_<p> for each
    interval level p. ``claimed`` is the mean of P(lower <= value <= upper) under the
    forecast's own distribution: the nominal level, or more where intervals are whole
    numbers or reach a bound."""
    if not records:
        return {}
    pct = [str(round(lv * 100)) for lv in levels]
    covered = np.array([[r.covered(i) for i in range(len(levels))] for r in records])
    claimed = np.array([r.claimed if r.claimed else tuple(levels) for r in records])

    def row(mask: np.ndarray) -> dict[str, float]:
        out: dict[str, float] = {"n": int(mask.sum())}
        for i, p in enumerate(pct):
            out[f"coverage_{p}"] = float(covered[mask, i].mean())
            out[f"claimed_{p}"] = float(claimed[mask, i].mean())
        return out

    h = np.array([r.horizon for r in records])
    zero = np.array([r.actual == 0 for r in records])
    level = np.array([r.level for r in records])
    out: dict[str, dict[str, dict[str, float]]] = {
        "horizon": {str(k): row(h == k) for k in sorted(set(h.tolist()))},
        "actual": {k: row(mask) for k, mask in (("zero", zero), ("not zero", ~zero))
                   if mask.any()},
    }
    if np.all(np.isfinite(level)):
        labels, group = _level_groups(level)
        out["level"] = {lab: row(group == g) for g, lab in enumerate(labels) if (group == g).any()}
    return out
