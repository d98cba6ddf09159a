"""Forecasts with honest prediction intervals, and the probability of meeting a target.

Model (a linear innovations state space model, Hyndman et al. 2008, "Forecasting with
Exponential Smoothing"): additive errors with a damped additive trend, ETS(A,Ad,N) (damping
phi estimated in [0.8, 1]; at phi = 1 it is Holt's linear trend, named ETS(A,A,N)), plus
additive seasonality, ETS(A,Ad,A), for quarterly and monthly data where the data supports
it; simple exponential smoothing, ETS(A,N,N), for short series (plus the mean step where a
short series moved one way in even steps: analysis.forecast_drift). Smoothing parameters are
estimated by minimising the one-step sum of squared errors (the Gaussian likelihood with
sigma profiled out); the initial states are solved exactly by least squares for each
candidate, so only the smoothing parameters are searched (a two-stage grid).

Intervals: the model's own analytic h-step variance is known to be too narrow on real
series (it ignores parameter and model uncertainty). Each forecast is therefore calibrated
on the series' own past: the same procedure is rerun at each of the last 30 earlier
origins, using only data up to that origin, and the h-step errors it made are compared
with the sd it claimed. The 80% and 95% half-widths are each read from those errors (their
quantiles, in model sds), and the predictive distribution is the Student t through both:
heavy-tailed past errors give a 95% interval much wider than the 80% one
(analysis.calibration). No value after the forecast origin is ever used.

forecast_many() gives, for many series at once, what forecast() gives for each (the
engine fits series of one length together: several times faster per series).

The models and their fitting are in analysis.ets, the procedure at many origins and for
many series at once in analysis.ets_batch. See docs/methods/forecast.md for the method and
the backtest figures.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import stats

from stocktake.analysis.calibration import (
    CALIBRATION_METHOD,
    CALIBRATION_WINDOW,
    MAX_FACTOR,
    MIN_POINTS,
    PRIOR_DF,
    YEARLY_WINDOW,
    Calibrated,
    calibrate,
    standardized_errors,
    variance_factors,
    window_for,
)
from stocktake.analysis.ets import _Run, _seasonal_min_points
from stocktake.analysis.ets_batch import _runs_at, _runs_many
from stocktake.analysis.forecast_drift import DriftRun, uneven_note, with_drift
from stocktake.errors import Invalid
from stocktake.model.entities import Polarity
from stocktake.model.periods import Period, PeriodError, PeriodType

SEASON_LENGTH = {PeriodType.QUARTER: 4, PeriodType.MONTH: 12}
DEFAULT_LEVELS = (0.8, 0.95)


class ForecastError(Invalid):
    """Input that cannot be forecast: too short, gappy, misordered or mismatched."""


# -- input ------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Prepared:
    y: np.ndarray  # one value per consecutive period; single gaps interpolated
    observed: np.ndarray  # False where the value was interpolated
    periods: tuple[Period, ...]


def _period_type(period_type: PeriodType | str) -> PeriodType:
    try:
        return PeriodType(period_type)
    except ValueError:
        allowed = ", ".join(t.value for t in PeriodType)
        raise ForecastError(f"period_type '{period_type}' is not one of {allowed}") from None


def _parse_periods(
    codes: Sequence[str], ptype: PeriodType, what: str
) -> tuple[list[Period], np.ndarray, tuple[Period, ...]]:
    """The periods, their positions on the consecutive run from the first to the last,
    and that run; errors as _prepare's."""
    parsed: list[Period] = []
    for i, code in enumerate(codes):
        try:
            parsed.append(Period.parse(code, ptype))
        except PeriodError as exc:
            raise ForecastError(f"{what}: period at position {i}: {exc}") from None
    for i in range(1, len(parsed)):
        if parsed[i].ordinal <= parsed[i - 1].ordinal:
            raise ForecastError(
                f"{what}: periods must increase without repeats, but {parsed[i].code} "
                f"follows {parsed[i - 1].code} (position {i})"
            )
    if not parsed:
        return parsed, np.zeros(0, dtype=int), ()
    first = parsed[0]
    at = np.array([p.ordinal - first.ordinal for p in parsed], dtype=int)
    return parsed, at, tuple(first.shift(i) for i in range(parsed[-1].ordinal - first.ordinal + 1))


def _prepare(
    values: Sequence[float],
    periods: Sequence[str],
    ptype: PeriodType,
    what: str = "series",
    parsed: dict[Any, Any] | None = None,
) -> _Prepared:
    """Check a series and lay it on consecutive periods.

    A missing period (absent code or NaN/None value) between two observed ones is filled
    by linear interpolation; two or more missing in a row, or a missing first or last
    value, is refused: a forecast should not rest on invented stretches of data.
    """
    vals, codes = list(values), list(periods)
    if len(vals) != len(codes):
        raise ForecastError(
            f"{what}: {len(vals)} values but {len(codes)} periods; give one period per value"
        )
    key: Any = (ptype, tuple(codes)) if parsed is not None else None
    try:
        hash(key)
    except TypeError:  # not period codes: parsed (and refused) below, never kept
        key = None
    periods_ = parsed.get(key) if parsed is not None and key is not None else None
    if periods_ is None:
        periods_ = _parse_periods(codes, ptype, what)
        if parsed is not None and key is not None:
            parsed[key] = periods_
    numbers = np.empty(len(vals))
    for i, v in enumerate(vals):
        try:
            numbers[i] = np.nan if v is None else float(v)
        except (TypeError, ValueError):
            raise ForecastError(
                f"{what}: value {v!r} for {periods_[0][i].code} is not a number"
            ) from None
        if np.isinf(numbers[i]):
            raise ForecastError(f"{what}: value for {periods_[0][i].code} is infinite")
    n_observed = int(np.sum(~np.isnan(numbers)))
    if n_observed < MIN_POINTS:
        raise ForecastError(
            f"{what}: {n_observed} observed values; at least {MIN_POINTS} are needed to "
            "estimate a forecast and its uncertainty"
        )
    first, last = periods_[0][0], periods_[0][-1]
    y = np.full(last.ordinal - first.ordinal + 1, np.nan)
    y[periods_[1]] = numbers
    full = periods_[2]
    missing = np.isnan(y)
    if missing[0] or missing[-1]:
        end = full[0] if missing[0] else full[-1]
        raise ForecastError(
            f"{what}: no value for {end.code}, at an end of the series; "
            "trim the series so that it starts and ends with observed values"
        )
    i = 0
    while i < len(y):
        if missing[i]:
            j = i
            while missing[j]:
                j += 1
            if j - i > 1:
                raise ForecastError(
                    f"{what}: {j - i} consecutive periods have no value ({full[i].code} to "
                    f"{full[j - 1].code}); only a single missing period is interpolated"
                )
            y[i] = (y[i - 1] + y[i + 1]) / 2.0
            i = j
        else:
            i += 1
    return _Prepared(y=y, observed=~missing, periods=full)


def _check_levels(levels: Sequence[float]) -> tuple[float, ...]:
    out = []
    for level in levels:
        lv = float(level)
        if not 0.0 < lv < 1.0:
            raise ForecastError(f"interval level {level!r} must lie strictly between 0 and 1")
        out.append(lv)
    if not out:
        raise ForecastError("give at least one interval level, e.g. (0.8, 0.95)")
    return tuple(sorted(set(out)))


# -- bounds and the predictive distribution on the value scale ---------------------------
# An indicator's declared range (Indicator.attributes min, max, integer). A series of small
# counts (whole numbers with a min, median at most SQRT_MAX_MEDIAN above it) is modelled on
# the square-root scale, sqrt(y - min): the variance-stabilising scale of Poisson counts, on
# which a zero is an ordinary value and the back-transform has a finite mean under the
# Student t (df >= 4). Larger counts and other bounded values are modelled as they are: their
# noise is not Poisson-dominated, and a trend on the square-root scale is a parabola on the
# value scale, which overshoots (measured: MASE 2.5 against 2.1 on US state violent crime).
# Either way the predictive distribution is censored at the bounds (the probability beyond a
# bound sits on it: P(value = min) is the chance of, say, no cases at all) and, for whole
# numbers, rounded. Measured on the panels of benchmarks/calibration.py before choosing: see
# docs/methods/forecast.md.
SQRT_MAX_MEDIAN = 20.0
COUNT_SD_FLOOR = 0.5  # least model sd on the sqrt scale: see _model_sd
_GRID = 1000  # quantile midpoints for the mean and sd of a bounded predictive distribution


@dataclass(frozen=True)
class Bounds:
    """The values an indicator can take: ``min``, ``max`` (None: no bound) and ``integer``
    (whole numbers only), as declared in Indicator.attributes."""

    min: float | None = None
    max: float | None = None
    integer: bool = False
    scale: str | None = None  # 'sqrt' or 'identity'; None: decided from the data (resolved)

    def __post_init__(self) -> None:
        if self.scale not in (None, "sqrt", "identity"):
            raise ForecastError(f"scale {self.scale!r} must be 'sqrt', 'identity' or None")
        if self.scale == "sqrt" and self.min is None:
            raise ForecastError("the square-root scale needs a min")
        for name in ("min", "max"):
            v = getattr(self, name)
            if v is not None and (
                isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v)
            ):
                raise ForecastError(f"bound {name}={v!r} must be a finite number or None")
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ForecastError(f"bound min={self.min:g} must be below max={self.max:g}")
        if not isinstance(self.integer, bool):
            raise ForecastError(f"integer={self.integer!r} must be true or false")

    @classmethod
    def from_attributes(cls, attributes: Mapping[str, Any] | None) -> Bounds:
        """min, max and integer from an indicator's attributes (others are ignored)."""
        a = attributes or {}
        return cls(a.get("min"), a.get("max"), bool(a.get("integer", False)))

    @property
    def active(self) -> bool:
        return self.min is not None or self.max is not None or self.integer

    @property
    def transform(self) -> str:
        """The scale the model is fitted on (see resolved): 'sqrt' or 'identity'."""
        return self.scale or "identity"

    def resolved(self, y: np.ndarray) -> Bounds:
        """These bounds with the scale decided for the series ``y``: the square root for
        small counts (whole numbers with a min and a median at most SQRT_MAX_MEDIAN above
        it), else the value itself."""
        if self.scale is not None:
            return self
        small = (self.integer and self.min is not None and len(y) > 0
                 and float(np.median(y)) - self.min <= SQRT_MAX_MEDIAN)
        return replace(self, scale="sqrt" if small else "identity")

    def describe(self) -> str:
        parts = []
        if self.min is not None:
            parts.append(f"min {self.min:g}")
        if self.max is not None:
            parts.append(f"max {self.max:g}")
        if self.integer:
            parts.append("whole numbers")
        return ", ".join(parts) or "none"

    def to_model(self, y: np.ndarray) -> np.ndarray:
        if self.transform == "sqrt":
            return np.sqrt(np.maximum(y - self.min, 0.0))  # type: ignore[operator]
        return y

    def from_model(self, z: np.ndarray) -> np.ndarray:
        """Model scale -> value scale, censored at the bounds (not yet rounded)."""
        v = self.min + np.maximum(z, 0.0) ** 2 if self.transform == "sqrt" else z
        return np.clip(v, self.min if self.min is not None else -np.inf,
                       self.max if self.max is not None else np.inf)

    def check(self, y: np.ndarray, periods: Sequence[Period], what: str) -> None:
        """Refuse data outside the declared range: the model could not reproduce it."""
        for i, v in enumerate(y):
            if (self.min is not None and v < self.min) or (self.max is not None and v > self.max):
                raise ForecastError(
                    f"{what}: value {v:g} for {periods[i].code} is outside the indicator's "
                    f"range ({self.describe()})"
                )


NO_BOUNDS = Bounds()


@lru_cache(maxsize=4096)
def _t_grid(df: float) -> np.ndarray:
    """Standard t quantiles at _GRID midpoints (probabilities (i + 0.5) / _GRID)."""
    return stats.t.ppf((np.arange(_GRID) + 0.5) / _GRID, df)


def _quantiles(
    p: np.ndarray | float, loc: np.ndarray | float, scale: np.ndarray | float,
    df: np.ndarray | float, bounds: Bounds,
) -> np.ndarray:
    """Quantiles of the predictive distribution on the value scale (broadcasting). For
    integers, the smallest whole k with P(value <= k) >= p: the value is the continuous one
    rounded to the nearest whole number, so P(value <= k) = F(k + 0.5)."""
    v = bounds.from_model(np.asarray(loc) + np.asarray(scale) * stats.t.ppf(p, df))
    return _rounded(v, bounds)


def _rounded(v: np.ndarray, bounds: Bounds) -> np.ndarray:
    if not bounds.integer:
        return np.asarray(v, dtype=float)
    k = np.ceil(np.asarray(v) - 0.5 - 1e-9) + 0.0  # + 0.0: no "-0"
    lo = -np.inf if bounds.min is None else math.ceil(bounds.min)
    hi = np.inf if bounds.max is None else math.floor(bounds.max)
    return np.clip(k, lo, hi)


def _cdf(
    x: np.ndarray | float, loc: np.ndarray | float, scale: np.ndarray | float,
    df: np.ndarray | float, bounds: Bounds, strict: bool = False,
) -> np.ndarray:
    """P(value <= x) on the value scale (broadcasting); ``strict``: P(value < x)."""
    x = np.asarray(x, dtype=float)
    lo = -np.inf if bounds.min is None else bounds.min
    hi = np.inf if bounds.max is None else bounds.max
    if bounds.integer:  # whole k holds the continuous values in [k - 0.5, k + 0.5)
        k = np.ceil(x - 1e-9) - 1.0 if strict else np.floor(x + 1e-9)
        below, above = k < lo, k >= hi
        xc = k + 0.5
    else:
        below, above = (x <= lo, x > hi) if strict else (x < lo, x >= hi)
        xc = x
    z = bounds.to_model(np.clip(xc, lo, hi))
    out = stats.t.cdf((z - np.asarray(loc)) / np.asarray(scale), df)
    return np.where(above, 1.0, np.where(below, 0.0, out))


def _moments(loc: float, scale: float, df: float, bounds: Bounds) -> tuple[float, float]:
    """Mean and sd on the value scale. Unbounded: the t's own (loc, scale sqrt(df/(df-2))).
    Bounded: by the quantile rule over _GRID midpoints (the back-transformed, censored,
    rounded distribution has no simple closed form)."""
    if not bounds.active:
        return loc, scale * math.sqrt(df / (df - 2.0))
    v = _rounded(bounds.from_model(loc + scale * _t_grid(round(float(df), 9))), bounds)
    mean = float(np.mean(v))
    return mean, float(np.sqrt(max(float(np.mean((v - mean) ** 2)), 0.0)))


class Predictive:
    """The predictive distribution of one forecast period on the value scale: a Student t
    on the model scale (``loc``, ``scale``, ``df``), transformed back, censored at the
    bounds and, for integers, rounded. scipy-like: cdf, sf, ppf, interval, mean, std, rvs."""

    def __init__(self, loc: float, scale: float, df: float, bounds: Bounds = NO_BOUNDS):
        self.loc, self.scale, self.df, self.bounds = float(loc), float(scale), float(df), bounds

    def cdf(self, x: float) -> float:
        return float(_cdf(x, self.loc, self.scale, self.df, self.bounds))

    def cdf_below(self, x: float) -> float:
        """P(value < x): differs from cdf where a value has mass (a bound, a whole number)."""
        return float(_cdf(x, self.loc, self.scale, self.df, self.bounds, strict=True))

    def sf(self, x: float) -> float:
        return 1.0 - self.cdf(x)

    def ppf(self, q: float) -> float:
        return float(_quantiles(q, self.loc, self.scale, self.df, self.bounds))

    def interval(self, level: float) -> tuple[float, float]:
        return self.ppf(0.5 - level / 2.0), self.ppf(0.5 + level / 2.0)

    def mean(self) -> float:
        return _moments(self.loc, self.scale, self.df, self.bounds)[0]

    def std(self) -> float:
        return _moments(self.loc, self.scale, self.df, self.bounds)[1]

    def rvs(self, size: int, random_state: np.random.Generator | int | None = None) -> np.ndarray:
        gen = np.random.default_rng(random_state)
        z = self.loc + self.scale * gen.standard_t(self.df, size=size)
        return _rounded(self.bounds.from_model(z), self.bounds)


_Engine = Callable[..., dict[int, _Run]]  # (y, horizons, m, seasonal, trend)


def _inner_runs(
    y: np.ndarray,
    observed: np.ndarray,
    origins: range,
    horizon: int,
    m: int,
    seasonal: bool | None,
    engine: _Engine = _runs_at,
    trend: bool = True,
) -> dict[int, _Run]:
    """The procedure rerun at earlier origins (origin o = the first o values are known).

    Origins whose last known value was interpolated are skipped, since interpolating it
    would have needed a value from after the origin. (As the engine gives them: a forecast
    at a short origin takes them through analysis.forecast_drift.with_drift.)
    """
    wanted = {
        o: min(horizon, len(y) - o) for o in origins if o >= MIN_POINTS and observed[o - 1]
    }
    return engine(y, wanted, m, seasonal, trend) if wanted else {}


def _calibration(
    y: np.ndarray,
    observed: np.ndarray,
    runs: Mapping[int, _Run],
    origin: int,
    horizon: int,
    sd_floor: float = 0.0,
    legacy: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The previous method's variance factor, df and evidence count for each horizon (see
    analysis.calibration.variance_factors); ``legacy``: without the guards."""
    zs = standardized_errors(y, observed, runs, origin, horizon, sd_floor, legacy)
    return variance_factors(zs, legacy)


# -- the result -------------------------------------------------------------------------
@dataclass(frozen=True)
class Forecast:
    """A forecast from the period after ``last_observed`` to ``target_period``.

    For each forecast period the predictive distribution is a Student t on the model's
    scale with location ``location``, scale ``scale`` and ``df`` degrees of freedom,
    carried to the value scale and kept within ``bounds`` (see Predictive); ``mean`` and
    ``sd`` are that distribution's, on the value scale. Without bounds the model scale is
    the value scale and the distribution is the t itself.
    """

    model: str
    params: Mapping[str, float]
    period_type: str
    last_observed: str
    n_observations: int
    periods: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    df: tuple[float, ...]
    sd: tuple[float, ...]
    model_sd: tuple[float, ...]  # the ETS analytic sd, before calibration
    calibration_factor: tuple[float, ...]  # (scale / model_sd)^2, from past errors
    calibration_errors: tuple[int, ...]  # past h-step errors behind each factor
    levels: tuple[float, ...]
    lower: Mapping[float, tuple[float, ...]]
    upper: Mapping[float, tuple[float, ...]]
    interval_method: str
    interpolated: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    bounds: Bounds = NO_BOUNDS
    location: tuple[float, ...] = ()  # t location on the model scale (default: mean)
    calibration: str = "per-level"  # how past errors set the widths (analysis.calibration)

    @property
    def target_period(self) -> str:
        return self.periods[-1]

    @property
    def transform(self) -> str:
        return self.bounds.transform

    def _index(self, period: str | None) -> int:
        if period is None:
            return len(self.periods) - 1
        try:
            code = Period.parse(period, self.period_type).code
        except PeriodError as exc:
            raise ForecastError(str(exc)) from None
        if code not in self.periods:
            raise ForecastError(
                f"{code} is not a forecast period (they run {self.periods[0]} to "
                f"{self.periods[-1]})"
            )
        return self.periods.index(code)

    def distribution(self, period: str | None = None) -> Predictive:
        """The predictive distribution at ``period``, by default the target period."""
        i = self._index(period)
        loc = self.location[i] if self.location else self.mean[i]
        return Predictive(loc, self.scale[i], self.df[i], self.bounds)

    def cdf(self, x: float, period: str | None = None) -> float:
        """P(value <= x) at ``period`` (default: the target period)."""
        return self.distribution(period).cdf(x)

    def quantile(self, q: float, period: str | None = None) -> float:
        return self.distribution(period).ppf(q)

    def interval(self, level: float, period: str | None = None) -> tuple[float, float]:
        """Central prediction interval at any level, e.g. 0.5 for the interquartile range."""
        lv = _check_levels([level])[0]
        return self.distribution(period).interval(lv)

    def sample(
        self,
        size: int,
        rng: np.random.Generator | int | None = None,
        period: str | None = None,
    ) -> np.ndarray:
        """Draws from the predictive distribution at ``period`` (default: the target)."""
        return self.distribution(period).rvs(size, rng)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "params": dict(self.params),
            "period_type": self.period_type,
            "last_observed": self.last_observed,
            "n_observations": self.n_observations,
            "interval_method": self.interval_method,
            "calibration": self.calibration,
            "distribution": _distribution_name(self.bounds),
            "bounds": {"min": self.bounds.min, "max": self.bounds.max,
                       "integer": self.bounds.integer},
            "transform": self.bounds.transform,  # the scale the model was fitted on
            "interpolated": list(self.interpolated),
            "notes": list(self.notes),
            "forecasts": [
                {
                    "period": p,
                    "mean": self.mean[i],
                    "location": self.location[i] if self.location else self.mean[i],
                    "scale": self.scale[i],
                    "df": self.df[i],
                    "sd": self.sd[i],
                    "model_sd": self.model_sd[i],
                    "calibration_factor": self.calibration_factor[i],
                    "calibration_errors": self.calibration_errors[i],
                    **{f"lower_{round(lv * 100)}": self.lower[lv][i] for lv in self.levels},
                    **{f"upper_{round(lv * 100)}": self.upper[lv][i] for lv in self.levels},
                }
                for i, p in enumerate(self.periods)
            ],
        }

    def summary(self) -> str:
        params = ", ".join(f"{k}={v:.4g}" for k, v in self.params.items())
        head = [
            f"{self.model} fitted to {self.n_observations} {self.period_type}s to "
            f"{self.last_observed}; {params}",
            f"Intervals: {self.interval_method}",
            *(f"Note: {n}" for n in self.notes),
        ]
        cols = "".join(f"  {round(lv * 100)}% interval".rjust(26) for lv in self.levels)
        wp = max(10, *(len(p) for p in self.periods))
        lines = [f"{'period':>{wp}} {'mean':>12} {'sd':>10} {'df':>6}{cols}"]
        for i, p in enumerate(self.periods):
            ints = "".join(
                f"  [{self.lower[lv][i]:>10.4g}, {self.upper[lv][i]:>10.4g}]" for lv in self.levels
            )
            lines.append(
                f"{p:>{wp}} {self.mean[i]:>12.5g} {self.sd[i]:>10.4g} {self.df[i]:>6.1f}{ints}"
            )
        return "\n".join(head + lines)


INTERVAL_METHOD = f"Student t around the ETS point forecast; {CALIBRATION_METHOD}"


def _interval_method(bounds: Bounds) -> str:
    if not bounds.active:
        return INTERVAL_METHOD
    scale = ("on the square-root scale sqrt(value - min), squared back, each half-width at "
             "least the one whose upper end held its share of the past errors"
             if bounds.transform == "sqrt" else "on the value scale")
    kept = ["censored at the bounds (the probability beyond a bound sits on it)"]
    if bounds.integer:
        kept.append("rounded to whole numbers")
    return (f"{INTERVAL_METHOD}; fitted {scale}; the distribution is {' and '.join(kept)} "
            f"({bounds.describe()}); width at most {math.sqrt(MAX_FACTOR):g}x the model's own")


def _distribution_name(bounds: Bounds) -> str:
    if not bounds.active:
        return "student_t"
    name = "student_t_sqrt_scale" if bounds.transform == "sqrt" else "student_t"
    return f"{name}_censored" + ("_rounded" if bounds.integer else "")


def _model_name(name: str, bounds: Bounds) -> str:
    if bounds.transform == "sqrt":
        return f"{name} on sqrt(value - {bounds.min:g})"
    return name


def _model_sd(sd: np.ndarray, bounds: Bounds) -> np.ndarray:
    """The model's sd, floored for small counts: a history of zeros fits exactly (sd 0),
    which would claim the next value is certainly 0. The floor, 0.5 on the square-root
    scale, is the sd of sqrt(Poisson) counts of any but the smallest rate; after a run of
    zeros it gives P(at least 1) of about 11% a period, near the "rule of three" (3/n is
    the 95% upper bound on a rate after n periods of zeros: 15% after 20). Measured on the
    sparse panel of benchmarks/calibration.py: a floor of 0.25 gave intervals of 0 to 153
    for a county of 0-4 a year, and wider than the true distribution's on average."""
    return np.maximum(sd, COUNT_SD_FLOOR) if bounds.transform == "sqrt" else sd


def _trend(bounds: Bounds) -> bool:
    """Whether the procedure may fit a trend: not for small counts on the square-root scale,
    where a trend is extrapolated as a parabola on the value scale (measured on the sparse
    panel of benchmarks/calibration.py: intervals up to 0 to 595 for a county of 0-4 a
    year with a trend, and see docs/methods/forecast.md)."""
    return bounds.transform != "sqrt"


def _offset(z: np.ndarray, origin: int, lag: int, horizon: int) -> np.ndarray:
    """What is added back to the procedure's forecasts of the first ``horizon`` periods
    after ``origin``: the values ``lag`` periods earlier (nothing without a lag)."""
    if not lag:
        return np.zeros(horizon)
    return z[origin - lag : origin - lag + horizon]


def _sd_floor(bounds: Bounds) -> float:
    return COUNT_SD_FLOOR if bounds.transform == "sqrt" else 0.0


def _upper_tail(bounds: Bounds) -> bool:
    """Whether the widths must also hold the upper tail of past errors on its own: small
    counts, whose distribution is censored at 0 (analysis.calibration.upper_quantiles;
    measured on the zero-heavy, sparse and weekly panels of benchmarks/calibration.py)."""
    return bounds.transform == "sqrt"


# -- weekly seasons: the change from the same week a year earlier -------------------------
# ETS has no 52-week season here (52 seasonal states on a few years of data would be mostly
# noise). A weekly series whose values a year apart are correlated (r >= YEARLY_MIN_R on the
# model's scale, with at least two years and MIN_POINTS weeks more) is read instead as the
# change from the same week a year earlier: the procedure is fitted to w_t = z_t - z_(t-52)
# and the forecast for week T + h is z_(T+h-52) + the forecast of w (h <= 52, so the year-
# earlier value is known). Every step uses data before the origin only. Statistics note
# section 7: "compare each period with the same period a year earlier (loses a year, doubles
# the noise)"; measured on the weekly panel of benchmarks/calibration.py.
YEAR_WEEKS = 52
YEARLY_MIN_R = 0.3


def _yearly_r(z: np.ndarray) -> float:
    """Correlation of the series with itself 52 weeks earlier."""
    a, b = z[YEAR_WEEKS:], z[:-YEAR_WEEKS]
    a, b = a - a.mean(), b - b.mean()
    den = math.sqrt(float(a @ a) * float(b @ b))
    return float(a @ b) / den if den > 0 else 0.0


def _yearly_lag(z: np.ndarray, ptype: PeriodType, seasonal: bool | None, horizon: int) -> int:
    """52 when a weekly series is forecast as the change from a year earlier, else 0."""
    if (ptype is not PeriodType.WEEK or seasonal is False or horizon > YEAR_WEEKS
            or len(z) < 2 * YEAR_WEEKS + MIN_POINTS):
        return 0
    return YEAR_WEEKS if _yearly_r(z) >= YEARLY_MIN_R else 0


def _differenced(z: np.ndarray, observed: np.ndarray, lag: int) -> tuple[np.ndarray, np.ndarray]:
    """The series the procedure is fitted to: z itself, or its change over ``lag`` periods
    (observed where both ends were)."""
    if not lag:
        return z, observed
    return z[lag:] - z[:-lag], observed[lag:] & observed[:-lag]


# An 80% interval wider than this many of the model's own sds is flagged in the notes: on
# the real panels such intervals held 92-100% of outcomes (benchmarks/calibration.py
# --widths); the width says how far past forecasts missed, not where the value may go.
WIDE_SDS = 4.0


def _wide_note(period: str, half: float, model_sd: float) -> str | None:
    """The note for an 80% half-width ``half`` at ``period`` (on the model's scale)."""
    if not model_sd > 0 or half <= WIDE_SDS * model_sd:
        return None
    return (f"the 80% interval for {period} is {half / model_sd:.0f} times the model's own sd "
            "wide: this series' earlier forecasts missed by that much, though its noise from one "
            "period to the next is small; intervals this wide held more than their share on "
            "real data, so read its ends as the limit of what the history can say, not as "
            "likely values")


def _build(
    prep: _Prepared,
    ptype: PeriodType,
    run: _Run,
    cal: Calibrated,
    levels: tuple[float, ...],
    bounds: Bounds = NO_BOUNDS,
    offset: np.ndarray | None = None,
    lag: int = 0,
) -> Forecast:
    fit, horizon = run.fit, len(run.mean)
    last = prep.periods[-1]
    loc = run.mean + (offset if offset is not None else 0.0)
    model_sd = _model_sd(run.sd, bounds)
    scale, df, count = cal.scale, cal.df, cal.count
    factor = (scale / model_sd) ** 2
    moments = [_moments(m, s, d, bounds) for m, s, d in zip(loc, scale, df, strict=True)]
    mean = np.array([m for m, _ in moments])
    sd = np.array([v for _, v in moments])
    lower, upper = {}, {}
    for lv in levels:
        lower[lv] = tuple(float(v) for v in _quantiles(0.5 - lv / 2.0, loc, scale, df, bounds))
        upper[lv] = tuple(float(v) for v in _quantiles(0.5 + lv / 2.0, loc, scale, df, bounds))
    params: dict[str, float] = {"alpha": fit.alpha}
    if fit.spec.trend:
        params.update(beta=fit.beta, phi=fit.phi)
    if fit.spec.m:
        params.update(gamma=fit.gamma, season_length=float(fit.spec.m))
    params.update(sigma=fit.sigma, aicc=fit.aicc)
    if isinstance(run, DriftRun):
        params.update(drift=run.drift, step_sd=run.step_sd)
    notes = list(run.notes)
    if not (isinstance(run, DriftRun) or fit.spec.trend or fit.spec.m or lag
            or bounds.transform == "sqrt"):
        uneven = uneven_note(prep.y)
        if uneven:
            notes.append(uneven)
    z = bounds.to_model(prep.y)
    if fit.sse <= (1e-9 * max(float(np.max(np.abs(z))), 1e-3)) ** 2:
        notes.append(
            "the model fits the history exactly: intervals rest on no observed noise"
            + (f" (the model sd is floored at {COUNT_SD_FLOOR:g} on the square-root scale)"
               if bounds.transform == "sqrt" else "")
        )
    if bounds.active:
        notes.append(
            f"bounds ({bounds.describe()}): "
            + (f"small counts (median at most {SQRT_MAX_MEDIAN:g}), fitted on the square-root "
               "scale; " if bounds.transform == "sqrt" else "")
            + "no interval or probability goes beyond them"
            + ("; intervals are whole numbers, so they hold at least their nominal share"
               if bounds.integer else "")
        )
    if lag:
        notes.append(
            f"weekly season (values a year apart correlate, r = "
            f"{_yearly_r(bounds.to_model(prep.y)):.2f} >= {YEARLY_MIN_R:g}): forecast as the "
            f"same week a year earlier plus the change, the change modelled by {fit.name}"
        )
    if ptype is PeriodType.WEEK:
        notes.append(f"weekly data: intervals calibrated on the errors at up to {YEARLY_WINDOW} "
                     "earlier weeks, equally weighted (errors differ with the time of year)")
    if cal.capped:
        notes.append(f"interval width capped at {math.sqrt(MAX_FACTOR):g}x the model's own: "
                     "past errors were far larger than the model expected; read the "
                     "intervals with care")
    wide = _wide_note(last.shift(horizon).code,
                      float(scale[-1] * stats.t.ppf(0.9, df[-1])), float(model_sd[-1]))
    if wide:
        notes.append(wide)
    thin = [h + 1 for h in range(horizon) if count[h] == 0]
    if thin:
        notes.append(
            f"no past errors at horizon {thin[0]}+: width carried from shorter horizons"
            if len(thin) < horizon
            else f"no past errors to calibrate on: width is the model's own with df {PRIOR_DF:g}"
        )
    return Forecast(
        model=_model_name(run.model if isinstance(run, DriftRun) else fit.name, bounds) + (
            " of the change from the same week a year earlier" if lag else ""),
        params=params,
        period_type=ptype.value,
        last_observed=last.code,
        n_observations=int(prep.observed.sum()),
        periods=tuple(last.shift(h).code for h in range(1, horizon + 1)),
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        df=tuple(float(v) for v in df),
        sd=tuple(float(v) for v in sd),
        model_sd=tuple(float(v) for v in model_sd),
        calibration_factor=tuple(float(v) for v in factor),
        calibration_errors=tuple(int(v) for v in count),
        levels=levels,
        lower=lower,
        upper=upper,
        interval_method=_interval_method(bounds),
        interpolated=tuple(
            p.code for p, ok in zip(prep.periods, prep.observed, strict=True) if not ok
        ),
        notes=tuple(notes),
        bounds=bounds,
        location=tuple(float(v) for v in loc),
    )


# -- public API -------------------------------------------------------------------------
@dataclass(frozen=True)
class ForecastRequest:
    """What forecast() takes, for forecast_many: the series and its target period."""

    values: Sequence[float]
    periods: Sequence[str]
    horizon_to: str
    period_type: PeriodType | str
    seasonal: bool | None = None
    levels: Sequence[float] = DEFAULT_LEVELS
    bounds: Bounds | None = None


@dataclass(frozen=True)
class _Job:
    """A checked request: the prepared series and what the procedure needs."""

    prep: _Prepared
    ptype: PeriodType
    horizon: int
    m: int
    seasonal: bool | None
    levels: tuple[float, ...]
    bounds: Bounds = NO_BOUNDS
    lag: int = 0  # 52: the change from the same week a year earlier is modelled

    @property
    def z(self) -> np.ndarray:
        """The series on the model's scale."""
        return self.bounds.to_model(self.prep.y)


def _job(req: ForecastRequest, parsed: dict[Any, Any] | None = None) -> _Job:
    """forecast()'s checks, raising its ForecastErrors. ``parsed``: period codes already
    parsed, shared by the requests of one forecast_many call."""
    ptype = _period_type(req.period_type)
    levels_ = _check_levels(req.levels)
    prep = _prepare(req.values, req.periods, ptype, parsed=parsed)
    bounds = req.bounds or NO_BOUNDS
    if not isinstance(bounds, Bounds):
        raise ForecastError(f"bounds {bounds!r} must be a Bounds (or None)")
    bounds.check(prep.y, prep.periods, "series")
    bounds = bounds.resolved(prep.y)
    try:
        target = Period.parse(req.horizon_to, ptype)
    except PeriodError as exc:
        raise ForecastError(f"horizon_to: {exc}") from None
    last = prep.periods[-1]
    if target <= last:
        raise ForecastError(
            f"horizon_to {target.code} is not after the last observed period {last.code}; "
            "a forecast needs a later period"
        )
    m = SEASON_LENGTH.get(ptype, 0)
    n = len(prep.y)
    seasonal = req.seasonal
    if seasonal and not m:
        raise ForecastError(
            f"seasonal models are offered for quarterly and monthly data, not {ptype.value}"
        )
    if seasonal and n < _seasonal_min_points(m):
        raise ForecastError(
            f"a seasonal model needs at least {_seasonal_min_points(m)} {ptype.value}s; "
            f"the series has {n}"
        )
    lag = _yearly_lag(bounds.to_model(prep.y), ptype, seasonal, target - last)
    return _Job(prep, ptype, target - last, m, seasonal, levels_, bounds, lag)


def forecast(
    values: Sequence[float],
    periods: Sequence[str],
    horizon_to: str,
    *,
    period_type: PeriodType | str,
    seasonal: bool | None = None,
    levels: Sequence[float] = DEFAULT_LEVELS,
    bounds: Bounds | None = None,
) -> Forecast:
    """Forecast a series from its last period to ``horizon_to`` with calibrated intervals.

    ``seasonal``: None decides by AICc (quarterly and monthly data with enough points),
    True asks for the seasonal model (an error if the data is too short), False never.
    ``bounds``: the indicator's range (Bounds.from_attributes(indicator.attributes)); a
    count (whole numbers with a min) is fitted on the square-root scale, and intervals,
    quantiles, cdf and probabilities never go beyond a bound. Data outside it is refused.
    Missing values: a single missing period between observed ones is interpolated
    linearly and listed in ``Forecast.interpolated``; longer gaps are refused.
    """
    req = ForecastRequest(values, periods, horizon_to, period_type, seasonal, levels, bounds)
    return _forecast_jobs([_job(req)])[0]


def forecast_many(
    requests: Sequence[ForecastRequest | Mapping[str, Any]],
) -> list[Forecast | ForecastError]:
    """forecast() for many series at once: one result per request, in order, each what
    forecast() gives for it (the same models, grid points and notes; numbers equal but
    for rounding, about 1e-13 relative), or the ForecastError it raises, in its slot.

    A request is a ForecastRequest or a mapping of forecast()'s arguments (``values``,
    ``periods``, ``horizon_to``, ``period_type``, optional ``seasonal``, ``levels``
    and ``bounds``).
    A request forecast() would reject with another exception (a missing argument, values
    that are not a sequence) gets a ForecastError saying so. Series that need a model at
    the same origins (series of one length, without gaps) are fitted together: several
    times faster per series than a loop of forecast() calls.
    """
    out: list[Forecast | ForecastError | None] = [None] * len(requests)
    jobs: list[_Job] = []
    where: list[int] = []
    parsed: dict[Any, Any] = {}
    for i, raw in enumerate(requests):
        try:
            req = raw if isinstance(raw, ForecastRequest) else ForecastRequest(**raw)
            jobs.append(_job(req, parsed))
            where.append(i)
        except ForecastError as exc:
            out[i] = exc
        except (TypeError, ValueError, AttributeError) as exc:  # malformed request
            out[i] = ForecastError(f"request {i}: {type(exc).__name__}: {exc}")
    for i, fc in zip(where, _forecast_jobs(jobs), strict=True):
        out[i] = fc
    return out  # type: ignore[return-value]  # every slot filled above


def _wanted(prep: _Prepared, horizon: int) -> dict[int, int]:
    """The origins of a forecast, with their horizons: the earlier ones that calibrate
    it, then the last."""
    return _wanted_at(prep.observed, horizon)


def _wanted_at(observed: np.ndarray, horizon: int, window: int = CALIBRATION_WINDOW
               ) -> dict[int, int]:
    n = len(observed)
    wanted = {
        o: min(horizon, n - o)
        for o in range(n - window, n)
        if o >= MIN_POINTS and observed[o - 1]
    }
    return {**wanted, n: horizon}


MANY_SLICE = 256  # requests per call of the engine: its fits are held (~0.3 MB a series)


def _forecast_jobs(jobs: Sequence[_Job]) -> list[Forecast]:
    """_forecast for many jobs, with one call of the engine per MANY_SLICE of them, taken
    in order of length so that series fitted together land in the same slice."""
    order = sorted(range(len(jobs)), key=lambda i: (len(jobs[i].prep.y), jobs[i].m))
    out: list[Forecast | None] = [None] * len(jobs)
    for lo in range(0, len(order), MANY_SLICE):
        part = order[lo : lo + MANY_SLICE]
        ws = [_differenced(jobs[i].z, jobs[i].prep.observed, jobs[i].lag) for i in part]
        windows = [window_for(jobs[i].ptype is PeriodType.WEEK) for i in part]
        tasks = [(w, _wanted_at(obs, jobs[i].horizon, win.origins), jobs[i].m,
                  jobs[i].seasonal, _trend(jobs[i].bounds))
                 for (w, obs), i, win in zip(ws, part, windows, strict=True)]
        for (w, obs), i, runs, win in zip(ws, part, _runs_many(tasks), windows, strict=True):
            j, n = jobs[i], len(w)
            runs = with_drift(runs, w, n, _trend(j.bounds))
            cal = calibrate(w, obs, runs, n, _model_sd(runs[n].sd, j.bounds), _sd_floor(j.bounds),
                            window=win, upper_tail=_upper_tail(j.bounds))
            out[i] = _build(j.prep, j.ptype, runs[n], cal, j.levels, j.bounds,
                            _offset(j.z, len(j.z), j.lag, j.horizon), j.lag)
    return out  # type: ignore[return-value]  # every slot filled above


def _forecast(
    prep: _Prepared,
    ptype: PeriodType,
    horizon: int,
    m: int,
    seasonal: bool | None,
    levels: tuple[float, ...],
    engine: _Engine = _runs_at,
    bounds: Bounds = NO_BOUNDS,
) -> Forecast:
    """The procedure at the last origin and, for the calibration, at the earlier ones:
    all in one call of the engine, so each model is fitted at every origin in one batch."""
    n = len(prep.y)
    bounds = bounds.resolved(prep.y)
    z = bounds.to_model(prep.y)
    lag = _yearly_lag(z, ptype, seasonal, horizon)
    w, obs = _differenced(z, prep.observed, lag)
    window = window_for(ptype is PeriodType.WEEK)
    runs = with_drift(engine(w, _wanted_at(obs, horizon, window.origins), m, seasonal,
                             _trend(bounds)), w, n - lag, _trend(bounds))
    run = runs[n - lag]
    cal = calibrate(w, obs, runs, n - lag, _model_sd(run.sd, bounds), _sd_floor(bounds),
                    window=window, upper_tail=_upper_tail(bounds))
    return _build(prep, ptype, run, cal, levels, bounds,
                  _offset(z, n, lag, horizon), lag)


def probability_of_meeting(
    forecast: Forecast,
    target_value: float,
    polarity: Polarity | str,
    period: str | None = None,
) -> float:
    """P(the value at the target period is at or better than ``target_value``).

    Polarity 'up' (higher is better): P(value >= target); 'down': P(value <= target).
    Read from the forecast's predictive distribution at ``period`` (default: the target
    period, ``forecast.target_period``), which holds only values within the forecast's
    bounds: a count's P(<= 5) is P(0, 1, ..., 5), with no mass below 0.
    """
    try:
        pol = Polarity(polarity)
    except ValueError:
        raise ForecastError(f"polarity {polarity!r} must be 'up' or 'down'") from None
    if pol is Polarity.NEUTRAL:
        raise ForecastError("a neutral indicator has no direction in which a target is met")
    try:
        target = float(target_value)
    except (TypeError, ValueError):
        raise ForecastError(f"target value {target_value!r} is not a number") from None
    if not math.isfinite(target):
        raise ForecastError(f"target value {target_value!r} is not finite")
    dist = forecast.distribution(period)
    return dist.cdf(target) if pol is Polarity.DOWN else 1.0 - dist.cdf_below(target)
