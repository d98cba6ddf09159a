"""Calibrating forecast intervals on the series' own past errors.

The forecasting procedure is rerun at up to CALIBRATION_WINDOW earlier origins (data
before each origin only); every h-step error whose outcome is known before today's origin
is standardized by the sd the model claimed for it: z = (actual - forecast) / model sd.
From these z, per horizon, two methods make the predictive Student t (scale and degrees of
freedom):

- ``per-level`` (the default): the 80% and 95% half-widths are estimated each on its own.
  The 80% one is the 80% quantile of |z|, recent errors weighing more (half-life
  HALF_LIFE origins: today's noise is more like last year's than like that of 20 years
  ago). The 95% one is the larger of the 95% quantile of |z| and the 95% point of the
  variance-calibrated t below: a 95% quantile rests on the two or three largest of some
  26 overlapping errors and runs low (measured: 90.7% coverage on Gapminder), while the
  variance, dominated by those same large errors, errs wide. Both quantiles are shrunk
  towards the previous horizon's (the model's own t with PRIOR_DF df at h = 1). The t
  is then the one whose 80% and 95% central intervals have these half-widths: heavy-
  tailed errors give a small df, a 95% interval much wider than the 80% one.
- ``variance`` (the method before, kept for comparison): one variance factor, the mean of
  z^2 shrunk towards the previous horizon's, scales both intervals together, with df = 4 +
  errors / h. With heavy tails a few large errors widen the 80% interval as much as the
  95% one, so the 80% over-covers (measured: 90% on US state violent crime).

See docs/methods/forecast.md ("How the intervals are made") for the measurements.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import special

from stocktake.analysis.ets import _Run

MIN_POINTS = 5  # fewer observed values than this: no forecast (and no earlier origin)
PRIOR_WEIGHT = 4.0  # weight, in pseudo-errors, of the prior (the shorter horizon's errors)
CALIBRATION_WINDOW = 30  # earlier origins whose errors calibrate the interval width
SD_FLOOR_SHARE = 0.1  # an earlier origin's model sd counts as at least this share of today's
MAX_FACTOR = 100.0  # width cap: intervals at most sqrt(100) = 10x the model's own (t, 4 df)
PRIOR_DF = 4.0  # without past errors: the model's own sd in a t with 4 df
CALIBRATION_LEVELS = (0.8, 0.95)  # the half-widths estimated from past errors
HALF_LIFE = 5.0  # origins: the weight of an error in the 80% quantile halves every 5
DF_RANGE = (3.0, 200.0)  # tails from a t with 3 df (the square of it has a mean) to ~normal
# Weekly data: its errors differ with the time of year (public-service data is seasonal:
# winter's infections are larger and noisier, and a season that starts early or late
# surprises), so the last 30 weeks, and recency within them, describe the season just gone
# rather than the weeks ahead. Weekly series are calibrated on the errors of a whole year
# of earlier origins and some weeks more, equally weighted (measured on the weekly panel of
# benchmarks/calibration.py: docs/methods/forecast.md).
YEARLY_WINDOW = 60
CALIBRATIONS = ("per-level", "variance")

CALIBRATION_METHOD = (
    "per-level calibration: the 80% and 95% half-widths each estimated from the "
    "standardized h-step errors of the same procedure rerun at up to "
    f"{CALIBRATION_WINDOW} earlier origins (data before the origin only): 80% = their "
    f"80% quantile (recent errors weigh more, half-life {HALF_LIFE:g} origins), 95% = the "
    "larger of their 95% quantile and the 95% point of the variance-calibrated t; each "
    f"shrunk towards the shorter horizon's (h=1: the model's own t, {PRIOR_DF:g} df) with "
    f"prior weight {PRIOR_WEIGHT:g}; the predictive distribution is the Student t through "
    f"both half-widths (df {DF_RANGE[0]:g} to {DF_RANGE[1]:g})"
)
VARIANCE_METHOD = (
    "scale = analytic ETS sd x sqrt(factor), factor estimated from the h-step errors of "
    f"the same procedure rerun at up to {CALIBRATION_WINDOW} earlier origins (data before "
    "the origin only), shrunk towards the shorter horizon's factor (1 at h=1) with prior "
    f"weight {PRIOR_WEIGHT:g}; df = {PRIOR_WEIGHT:g} + errors/h"
)


@dataclass(frozen=True)
class Window:
    """The earlier origins whose errors calibrate a forecast (the last ``origins`` before
    it) and the half-life, in origins, of their weight in the 80% width (None: equal)."""

    origins: int = CALIBRATION_WINDOW
    half_life: float | None = HALF_LIFE


RECENT = Window()  # every series but weekly ones
YEARLY = Window(YEARLY_WINDOW, None)


def window_for(weekly: bool) -> Window:
    """The calibration window of a forecast: YEARLY for weekly data, else RECENT."""
    return YEARLY if weekly else RECENT


@dataclass(frozen=True)
class Calibrated:
    """The predictive t per horizon: ``scale`` (value or model scale, as the model sd
    given), ``df``, the past errors behind each (``count``), and whether the width cap
    bound anywhere (``capped``)."""

    scale: np.ndarray
    df: np.ndarray
    count: np.ndarray
    capped: bool


def standardized_errors(
    y: np.ndarray,
    observed: np.ndarray,
    runs: Mapping[int, _Run],
    origin: int,
    horizon: int,
    sd_floor: float = 0.0,
    legacy: bool = False,
    window: int = CALIBRATION_WINDOW,
) -> list[np.ndarray]:
    """z = (actual - forecast) / model sd for each h = 1..horizon, over every earlier origin
    o2 in the window whose h-step outcome y[o2 + h - 1] was observed before ``origin``.

    The sd dividing an earlier error is at least SD_FLOOR_SHARE of the sd at ``origin``
    (and ``sd_floor``): a fit that was exact on a constant stretch (a county's years of
    zeros) claims an sd near 0, and dividing by it once made factors of 1e23 and intervals
    of +/-1e12. Such an sd says nothing about today's noise. ``legacy``: no floor.
    ``window``: how many earlier origins count (Window.origins)."""
    lo = max(MIN_POINTS, origin - window)
    now = runs.get(origin)
    out = []
    for h in range(1, horizon + 1):
        least = 0.0
        if not legacy:
            today = now.sd[min(h, len(now.sd)) - 1] if now is not None and len(now.sd) else 0.0
            least = max(sd_floor, SD_FLOOR_SHARE * today)
        z = []
        for o2 in range(lo, origin - h + 1):
            run = runs.get(o2)
            if run is None or not observed[o2 + h - 1]:
                continue
            z.append((y[o2 + h - 1] - run.mean[h - 1]) / max(run.sd[h - 1], least))
        out.append(np.array(z, dtype=float))
    return out


# -- the variance factor (the previous method) ---------------------------------------------
def variance_factors(
    zs: list[np.ndarray], legacy: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Variance factor, degrees of freedom and evidence count for each horizon.

    With a scaled-inverse-chi-square prior of weight PRIOR_WEIGHT centred on the previous
    horizon's factor (1 at h = 1: the model's own variance), the posterior factor is
    (w * prior + sum z^2) / (w + count), at most MAX_FACTOR (``legacy``: no cap).
    Overlapping h-step errors from consecutive origins are correlated, so they count as
    count / h degrees of freedom."""
    horizon = len(zs)
    factor, df = np.empty(horizon), np.empty(horizon)
    count = np.array([len(z) for z in zs], dtype=int)
    prior = 1.0
    for h in range(1, horizon + 1):
        z2 = 0.0
        for v in zs[h - 1]:  # in order: the same sums as a plain loop
            z2 += v * v
        factor[h - 1] = (PRIOR_WEIGHT * prior + z2) / (PRIOR_WEIGHT + count[h - 1])
        if not legacy:
            factor[h - 1] = min(factor[h - 1], MAX_FACTOR)
        df[h - 1] = PRIOR_WEIGHT + count[h - 1] / h
        prior = factor[h - 1]
    return factor, df, count


# -- per-level quantiles of |z| (the default) -------------------------------------------------
def _prior_cdf(x: np.ndarray) -> np.ndarray:
    """P(|T| <= x) for T the model's own t (PRIOR_DF degrees of freedom)."""
    return 2.0 * special.stdtr(PRIOR_DF, x) - 1.0


def _prior_ppf(u: np.ndarray | float) -> np.ndarray:
    return special.stdtrit(PRIOR_DF, (1.0 + np.clip(u, 0.0, 1.0 - 1e-15)) / 2.0)


def _mixture_quantile(p: float, c0: float, atoms: np.ndarray, weights: np.ndarray) -> float:
    """The smallest x >= 0 with c0 * P(|T| <= x) + sum(weights[atoms <= x]) >= p: the
    p-quantile of a mixture of the prior (weight c0 > 0) and point masses."""
    order = np.argsort(atoms, kind="stable")
    a, wt = atoms[order], weights[order]
    before = np.concatenate([[0.0], np.cumsum(wt)])  # mass of the atoms below each gap
    # Within the gap after the k-th atom the mixture's CDF rises only with the prior's:
    # its solution there (kept within the gap), or else an atom, is the quantile.
    lows = np.concatenate([[0.0], a])
    need = (p - before) / c0
    solvable = (need >= 0) & (need < 1)
    inside = _prior_ppf(need[solvable])
    # Of the atoms only those near the p-th share of their mass can be the quantile: the CDF
    # at an atom lies between the mass up to it and that plus c0, so one whose mass plus c0
    # falls short of p is below it, and past the first atom whose mass reaches p the rest are
    # larger (the same minimum as over every atom, for a fraction of the t's CDFs).
    mass = before[np.searchsorted(a, a, side="right")]
    first = np.searchsorted(mass + c0, p - 1e-9)
    last = np.searchsorted(mass, p) + 1
    candidates = np.concatenate([np.maximum(inside, lows[solvable]), a[first:last]])
    f = c0 * _prior_cdf(candidates) + before[np.searchsorted(a, candidates, side="right")]
    return float(candidates[f >= p - 1e-12].min())


def abs_quantiles(zs: list[np.ndarray], levels: tuple[float, ...] = CALIBRATION_LEVELS,
                  weight: float = PRIOR_WEIGHT, half_life: float | None = None) -> np.ndarray:
    """Quantiles of |z| at ``levels`` for each horizon: shape (horizon, len(levels)).

    At horizon h the distribution of |z| is F_h = (w F_(h-1) + sum of point masses at the
    |z| of horizon h) / (w + count_h), with F_0 that of |T|, T the model's own t with
    PRIOR_DF df: with few errors the estimate leans on the shorter horizon's (and at first
    on the model's own sd), with many on the errors themselves (the empirical, "conformal"
    quantile). ``half_life``: the errors of each horizon (in order of origin, the last the
    most recent) weigh 2^(-age / half_life), scaled to sum to their count. Each level is
    read from F_h separately."""
    out = np.empty((len(zs), len(levels)))
    for h, (c0, atoms, weights) in enumerate(_mixtures(zs, np.abs, weight, half_life)):
        out[h] = [_mixture_quantile(lv, c0, atoms, weights) for lv in levels]
    return out


def _mixtures(zs: list[np.ndarray], atom: Callable[[np.ndarray], np.ndarray], weight: float,
              half_life: float | None) -> Iterator[tuple[float, np.ndarray, np.ndarray]]:
    """For each horizon in turn: the prior's weight and the atoms (``atom`` of the errors of
    this horizon and those before) with their weights, as abs_quantiles describes."""
    c0, atoms, weights = 1.0, np.zeros(0), np.zeros(0)
    decay = 0.5 ** (1.0 / half_life) if half_life else 1.0
    for z in zs:
        recency = decay ** np.arange(len(z))[::-1]
        if len(z):
            recency *= len(z) / recency.sum()
        keep = weight / (weight + len(z))
        c0, weights = c0 * keep, np.concatenate([weights * keep, recency / (weight + len(z))])
        atoms = np.concatenate([atoms, atom(z)])
        yield c0, atoms, weights


def upper_quantiles(zs: list[np.ndarray], levels: tuple[float, ...] = CALIBRATION_LEVELS,
                    weight: float = PRIOR_WEIGHT, half_life: float | None = None) -> np.ndarray:
    """For each central level L, the (1 + L) / 2 quantile of the signed z (at least 0): the
    multiplier whose interval's upper end held that share of the errors, mixed with the
    prior and weighted as abs_quantiles. For a count censored at 0 only the upper end
    misses: its errors are a few large ones above many small ones below (the zeros), and
    the quantiles of |z| set the upper end by the small ones."""
    out = np.empty((len(zs), len(levels)))
    above = _mixtures(zs, lambda z: np.maximum(z, 0.0), weight, half_life)
    for h, (c0, atoms, weights) in enumerate(above):
        # P(z <= x) for x >= 0: c0 (1/2 + P(|T| <= x) / 2) + the atoms' weight up to x
        out[h] = [_mixture_quantile((1 + lv) / 2 - c0 / 2, c0 / 2, atoms, weights)
                  for lv in levels]
    return out


@lru_cache(maxsize=8)
def _ratio_table(lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """The t's ratio of the hi to the lo central-interval half-width, increasing, and log df
    beside it (the ratio falls as df rises, to the normal's: 1.53 for 95/80)."""
    df = np.geomspace(DF_RANGE[0], DF_RANGE[1], 2000)
    ratio = special.stdtrit(df, 0.5 + hi / 2) / special.stdtrit(df, 0.5 + lo / 2)
    return ratio[::-1].copy(), np.log(df)[::-1].copy()


def t_through(
    half_lo: np.ndarray, half_hi: np.ndarray, levels: tuple[float, float] = CALIBRATION_LEVELS
) -> tuple[np.ndarray, np.ndarray]:
    """Scale and df of the Student t whose central ``levels`` intervals have the half-widths
    given. A ratio hi/lo beyond the t's range (lighter tails than the normal's, or heavier
    than DF_RANGE allows) gets the nearest df, and the t keeps the ``levels[0]`` half-width:
    the other is then a little wider (light tails) or narrower (the heaviest) than asked
    (measured on benchmarks/calibration.py: fewer strata off than splitting the
    difference)."""
    ratio, log_df = _ratio_table(*levels)
    r = np.asarray(half_hi, dtype=float) / np.asarray(half_lo, dtype=float)
    df = np.exp(np.interp(r, ratio, log_df))  # clamps at the table's ends
    return np.asarray(half_lo, dtype=float) / special.stdtrit(df, 0.5 + levels[0] / 2), df


def calibrate(
    y: np.ndarray,
    observed: np.ndarray,
    runs: Mapping[int, _Run],
    origin: int,
    model_sd: np.ndarray,
    sd_floor: float = 0.0,
    method: str = "per-level",
    legacy: bool = False,
    window: Window = RECENT,
    upper_tail: bool = False,
) -> Calibrated:
    """The predictive t at ``origin`` for each horizon 1..len(model_sd), from the errors
    of the earlier ``runs`` (see the module docstring). ``sd_floor``: the least scale (small
    counts on the square-root scale: a history without errors cannot shrink it to 0).

    A later period never gets a narrower interval than an earlier one: the estimates at
    long horizons rest on few, overlapping errors and can dip by chance, while the model's
    own variance never falls with h. ``window``: the earlier origins used and the recency
    weights of the 80% width (window_for). ``upper_tail`` (small counts, censored at 0 on
    the square-root scale): each half-width is at least the one whose upper end held its
    share of the errors (upper_quantiles)."""
    if method not in CALIBRATIONS:
        raise ValueError(f"calibration {method!r} is not one of {', '.join(CALIBRATIONS)}")
    zs = standardized_errors(y, observed, runs, origin, len(model_sd), sd_floor, legacy,
                             window.origins)
    factor, df, count = variance_factors(zs, legacy)
    if method == "variance":
        scale = np.maximum.accumulate(np.maximum(model_sd * np.sqrt(factor), sd_floor))
        return Calibrated(scale, df, count, bool(np.any(factor >= MAX_FACTOR * (1 - 1e-9))))
    lo, hi = CALIBRATION_LEVELS
    multipliers = np.column_stack([
        abs_quantiles(zs, (lo,), half_life=window.half_life)[:, 0],
        np.maximum(abs_quantiles(zs, (hi,))[:, 0],
                   np.sqrt(factor) * special.stdtrit(df, 0.5 + hi / 2)),
    ])
    if upper_tail:
        multipliers = np.maximum(multipliers, np.column_stack([
            upper_quantiles(zs, (lo,), half_life=window.half_life)[:, 0],
            upper_quantiles(zs, (hi,))[:, 0]]))
    prior = special.stdtrit(PRIOR_DF, 0.5 + np.array(CALIBRATION_LEVELS) / 2)
    cap = np.sqrt(MAX_FACTOR) * prior  # the model's own t, 10x as wide
    capped = bool(np.any(multipliers >= cap * (1 - 1e-9)))
    half = np.asarray(model_sd)[:, None] * np.minimum(multipliers, cap)
    # The floor is an sd (of sqrt(Poisson) counts: near normal), so the least half-widths
    # are the normal's with that sd.
    least = sd_floor * special.ndtri(0.5 + np.array(CALIBRATION_LEVELS) / 2)
    half = np.maximum.accumulate(np.maximum(half, least), axis=0)
    scale, df = t_through(half[:, 0], half[:, 1])
    return Calibrated(scale, df, count, capped)
