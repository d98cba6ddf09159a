"""Seasonal series read against their seasonal expectation (method: docs/methods/spc.md).

Numbers in, numbers out. A seasonal series (crime in summer, infections in winter) breaks the
XmR chart's assumption that points vary around one mean: every peak would read as special
cause. So, per series:

1. **Detrend.** On the *profile window* (every observed period except the latest season, e.g.
   the latest 12 months) the trend is the centred moving average over one year (a 2 x m
   moving average: classical decomposition, Hyndman & Athanasopoulos FPP3 s.3.4), computed
   from window values only and extended linearly over the half year at each end; the
   detrended value is value - trend. A level, a trend or a step between years is so not
   taken for seasonality.
2. **Test.** The F test of period-of-year effects on the detrended values (one-way analysis
   of variance: ``detrended ~ period-of-year`` against a constant) gives the statistic and the
   p-value; seasonality is *detected* when p < ``ALPHA`` (0.01). The strength of seasonality
   (FPP3 s.4.2: ``max(0, 1 - var(R) / var(S + R))``) is reported beside it.
3. **Profile.** The mean detrended value of each period of the year, centred to sum to zero,
   is the seasonal profile: additive (in the indicator's units), or multiplicative (a factor,
   the same computed on the logarithm) when every value in the window is positive and the log
   leaves less unexplained variation in proportion (see ``_choose_model``). The latest season
   is left out so that a change in the last year is not absorbed into the profile.
4. **Adjust.** Seasonally adjusted value = value - effect (or value / factor). Points inside
   the profile window are adjusted with the profile of the *other* years (leave-one-year-
   out): adjusting a point with a profile computed from itself would make the baseline look
   quieter than later points and the XmR limits too narrow.

Season lengths: month 12, quarter 4, ISO week 52 (week 53, in the years that have one, is read
as week 52); years and days have none. A profile needs every period of the year detrended in
at least two years of the window (so three years of data in all); otherwise the series is
charted raw and the reason given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from scipy import special

from stocktake.model.periods import Period, PeriodError, PeriodType

ALPHA = 0.01  # significance level of the F test
MIN_YEARS = 2  # each period-of-year observed in at least this many years of the window
SEASON_LENGTHS: dict[PeriodType, int] = {
    PeriodType.MONTH: 12,
    PeriodType.QUARTER: 4,
    PeriodType.WEEK: 52,
}
Mode = Literal["auto", "on", "off"]
MODES: tuple[str, ...] = ("auto", "on", "off")

TEST_NAME = ("F test of period-of-year effects on values detrended by a centred year-long "
             "moving average (one-way analysis of variance)")
REFERENCE = (
    "classical decomposition and strength of seasonality as in Hyndman & Athanasopoulos, "
    "Forecasting: principles and practice, 3rd ed., s.3.4 and s.4.2"
)


def season_length(period_type: PeriodType | str) -> int | None:
    """Periods in a seasonal cycle: month 12, quarter 4, week 52; None for year and day."""
    return SEASON_LENGTHS.get(PeriodType(period_type))


@dataclass
class SeasonalAdjustment:
    """The seasonality test of one series and, when applied, its adjusted values."""

    mode: str  # auto | on | off, as asked
    season_length: int | None
    detected: bool | None  # None: not testable
    applied: bool
    values: np.ndarray  # the values to chart: adjusted when applied, else as given
    # per value, the seasonal effect taken off (additive) or factor divided by
    # (multiplicative) when applied, else None: a chart can draw the limits back on the
    # reported scale, following the seasons
    expected: np.ndarray | None = None
    statistic: float | None = None
    df: tuple[int, int] | None = None
    p_value: float | None = None
    strength: float | None = None
    model: str | None = None  # additive | multiplicative
    profile: dict[int, float] = field(default_factory=dict)  # period-of-year (1-based) -> effect
    window: tuple[str, str] | None = None  # first and last period of the profile window
    n_years: int = 0
    reason: str = ""  # why the test or the adjustment was or was not made

    @property
    def method(self) -> str:
        if not self.applied:
            return "XmR on the values as reported (no seasonal adjustment)"
        how = "divided by" if self.model == "multiplicative" else "less"
        return (
            f"XmR on seasonally adjusted values (each value {how} its period-of-year "
            f"{'factor' if self.model == 'multiplicative' else 'effect'}; profile from "
            f"{self.window[0]} to {self.window[1]}, leave-one-year-out inside it)"  # type: ignore[index]
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "test": TEST_NAME,
            "statistic": self.statistic,
            "df": None if self.df is None else list(self.df),
            "p_value": self.p_value,
            "alpha": ALPHA,
            "strength": self.strength,
            "detected": self.detected,
            "applied": self.applied,
            "method": self.method,
            "model": self.model,
            "season_length": self.season_length,
            "profile_window": None if self.window is None else list(self.window),
            "n_years": self.n_years,
            "profile": {str(k): v for k, v in self.profile.items()},
            "reason": self.reason,
            "reference": REFERENCE,
        }


def _positions(periods: Sequence[str], m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(0-based period-of-year, year, ordinal) of each period code."""
    return _positions_of(tuple(str(p) for p in periods), m)


@lru_cache(maxsize=512)
def _positions_of(codes: tuple[str, ...], m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # cached: the units of one indicator mostly share their periods
    pos = np.empty(len(codes), dtype=np.int64)
    year = np.empty(len(codes), dtype=np.int64)
    ordinal = np.empty(len(codes), dtype=np.int64)
    for i, code in enumerate(codes):
        p = Period.parse(code)
        ordinal[i] = p.ordinal
        if p.type is PeriodType.WEEK:
            y, w = str(p.code).split("-W")
            year[i], pos[i] = int(y), min(int(w), m) - 1  # week 53 read as week 52
        else:
            year[i], pos[i] = divmod(p.ordinal, m)
    for a in (pos, year, ordinal):
        a.flags.writeable = False
    return pos, year, ordinal


def _trend(values: np.ndarray, ordinal: np.ndarray, m: int) -> np.ndarray:
    """Centred 2 x m moving average at each value, NaN where its window is not complete
    (around a gap). At the two ends, where no centred window fits, the trend is extended by
    the least-squares line through the m nearest averages (as statsmodels'
    ``seasonal_decompose(..., extrapolate_trend="period")``), so every year keeps its points."""
    o0 = int(ordinal.min())
    dense = np.full(int(ordinal.max()) - o0 + 1, np.nan)
    dense[ordinal - o0] = values
    ma = np.full(len(dense), np.nan)
    if len(dense) > m:
        ok = np.isfinite(dense)
        w = _weights(m)
        total = np.convolve(np.where(ok, dense, 0.0), w, mode="valid")
        count = np.convolve(ok.astype(float), np.ones(m + 1), mode="valid")
        ma[m // 2: m // 2 + len(total)] = np.where(count > m + 0.5, total, np.nan)
    defined = np.flatnonzero(np.isfinite(ma))
    if len(defined) >= 2:
        front, back = int(defined[0]), int(defined[-1])
        for lo, hi, fill in ((front, min(front + m, back), np.arange(0, front)),
                             (max(front, back - m), back, np.arange(back + 1, len(ma)))):
            k = hi - lo
            seg = ma[lo:hi]
            if len(fill) and k >= 2 and np.isfinite(seg).all():
                # least-squares line through (lo..hi-1, seg), closed form
                xc = np.arange(k) - (k - 1) / 2
                level = seg.sum() / k
                slope = float(xc @ seg) / (k * (k * k - 1) / 12)
                ma[fill] = level + slope * (fill - (lo + (k - 1) / 2))
    return ma[ordinal - o0]


@lru_cache(maxsize=8)
def _weights(m: int) -> np.ndarray:
    """The 2 x m moving average's weights: 1/2m at both ends, 1/m between."""
    return np.r_[0.5, np.ones(m - 1), 0.5] / m


def _effects(d: np.ndarray, pos: np.ndarray, m: int) -> np.ndarray:
    """Mean detrended value of each period of the year, centred (NaN where none)."""
    sums = np.bincount(pos, weights=d, minlength=m)
    counts = np.bincount(pos, minlength=m)
    seen = counts > 0
    means = np.full(m, np.nan)
    if not seen.any():
        return means
    means[seen] = sums[seen] / counts[seen]
    return means - means[seen].mean()


Fit = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
# (detrended values, their period of year, their year, season effects [m], remainders)


def _fit(y: np.ndarray, ordinal: np.ndarray, pos: np.ndarray, year: np.ndarray, m: int
         ) -> Fit:
    d_all = y - _trend(y, ordinal, m)
    keep = np.isfinite(d_all)
    d, p, yr = d_all[keep], pos[keep], year[keep]
    effects = _effects(d, p, m)
    return d, p, yr, effects, d - effects[p]


def _f_test(fit: Fit, m: int) -> tuple[float, int, int, float, float]:
    """F statistic, df1, df2, p-value and strength: ``detrended ~ period-of-year`` against a
    constant (one-way analysis of variance)."""
    d, p, _, effects, resid = fit
    groups = len(np.unique(p))
    df1, df2 = groups - 1, len(d) - groups
    if df1 <= 0 or df2 <= 0:
        raise ValueError("too few points for the F test")
    means = np.bincount(p, weights=d, minlength=m) / np.maximum(np.bincount(p, minlength=m), 1)
    rss_full = float(((d - means[p]) ** 2).sum())
    rss_null = float(((d - d.mean()) ** 2).sum())
    if rss_full <= 0:
        f = np.inf if rss_null > 0 else 0.0
        pv = 0.0 if rss_null > 0 else 1.0
    else:
        f = ((rss_null - rss_full) / df1) / (rss_full / df2)
        pv = float(special.fdtrc(df1, df2, f))  # the F distribution's upper tail
    var_sr = float(np.var(d))
    strength = 0.0 if var_sr == 0 else max(0.0, 1.0 - float(np.var(resid)) / var_sr)
    return float(f), df1, df2, pv, strength


def _choose_model(y: np.ndarray, ordinal: np.ndarray, pos: np.ndarray, year: np.ndarray,
                  m: int) -> tuple[str, np.ndarray, Fit]:
    """Multiplicative when every value is positive and the seasonal swing grows with the level:
    the log's remainders, in proportion, are smaller than the additive remainders relative
    to the mean. Returns the model, the values it works on and its fit."""
    additive = _fit(y, ordinal, pos, year, m)
    if (y <= 0).any() or len(additive[0]) == 0:
        return "additive", y, additive
    logs = np.log(y)
    log_fit = _fit(logs, ordinal, pos, year, m)
    rel_add = float(np.sqrt(np.mean(additive[4] ** 2))) / float(np.mean(y))
    rel_log = float(np.sqrt(np.mean(log_fit[4] ** 2)))
    if rel_log < rel_add:
        return "multiplicative", logs, log_fit
    return "additive", y, additive


def _leave_one_year_out(fit: Fit, m: int) -> dict[int, np.ndarray]:
    """Season effects from the detrended values of every year but one, for each year."""
    d, p, yr, effects, _ = fit
    out = {}
    for year in np.unique(yr).tolist():
        other = yr != year
        eff = _effects(d[other], p[other], m)
        out[int(year)] = np.where(np.isnan(eff), effects, eff)
    return out


def seasonal_adjustment(
    values: Sequence[float] | np.ndarray,
    periods: Sequence[str],
    *,
    mode: Mode | str = "auto",
) -> SeasonalAdjustment:
    """Test one series (in period order, NaN for missing) for seasonality and, where it is
    detected (``auto``) or asked for (``on``), give its seasonally adjusted values.

    ``off`` still runs the test (so the reader can see it) but charts the values as given.
    Raises ValueError for an unknown mode or periods that are not period codes.
    """
    if mode not in MODES:
        raise ValueError(f"seasonal mode {mode!r} is not one of {', '.join(MODES)}")
    y = np.asarray(values, dtype=float)
    if len(periods) != len(y):
        raise ValueError(f"periods has {len(periods)} entries but values has {len(y)}")
    out = SeasonalAdjustment(mode=str(mode), season_length=None, detected=None, applied=False,
                             values=y)
    if len(y) == 0:
        out.reason = "no values"
        return out
    try:
        ptype = Period.parse(str(periods[0])).type
    except PeriodError:
        out.reason = "the periods are not period codes: no period of the year to test"
        return out
    m = season_length(ptype)
    out.season_length = m
    if m is None:
        out.reason = f"{ptype.value}ly data have no season of the year to test"
        return out
    try:
        pos, year, ordinal = _positions(periods, m)
    except PeriodError as exc:
        raise ValueError(f"periods: {exc}") from None
    observed = ~np.isnan(y)
    last = ordinal[observed].max() if observed.any() else 0
    window = observed & (ordinal <= last - m)  # the latest season is left out
    wy, wp, wyr, wo = y[window], pos[window], year[window], ordinal[window]
    out.n_years = len(np.unique(wyr))
    if not window.any():
        out.reason = f"too little history for a seasonal profile: fewer than {m + 1} periods"
        return out
    model, fit_y, fit = _choose_model(wy, wo, wp, wyr, m)
    d_pos, d_year = fit[1], fit[2]
    pairs = np.unique(d_pos * 10_000 + (d_year - d_year.min())) if len(d_pos) else d_pos
    years_seen = np.bincount(pairs // 10_000, minlength=m)  # years seen per period of year
    short = int((years_seen < MIN_YEARS).sum())
    if short:
        out.reason = (
            f"too little history for a seasonal profile: every period of the year must be "
            f"detrended (a centred year-long moving average) in at least {MIN_YEARS} years "
            f"before the latest {m} periods ({short} of {m} are not)"
        )
        return out
    codes = [str(periods[i]) for i in np.flatnonzero(window)]
    out.window = (codes[0], codes[-1])
    effects = fit[3]
    try:
        f, df1, df2, p, strength = _f_test(fit, m)
    except ValueError:
        out.reason = "too few points in the profile window for the F test"
        return out
    out.statistic, out.df, out.p_value, out.strength = f, (df1, df2), p, strength
    out.detected = p < ALPHA
    out.model = model
    apply = mode == "on" or (mode == "auto" and out.detected)
    verdict = (f"seasonality {'detected' if out.detected else 'not detected'} "
               f"(F = {f:.2f} on {df1} and {df2} df, p = {p:.2g}, strength {strength:.2f})")
    if not apply:
        out.reason = verdict + ("; adjustment switched off" if mode == "off" else
                                ": the values are charted as reported")
        return out

    # Profile: later points use the whole window; window points leave their own year out.
    scale = _scaled(effects, model)
    expected = np.full(len(y), np.nan)
    expected[observed] = scale[pos[observed]]
    for yr, eff in _leave_one_year_out(fit, m).items():
        mine = window & (year == yr)
        expected[mine] = _scaled(eff, model)[pos[mine]]
    adjusted = y / expected if model == "multiplicative" else y - expected
    out.values = adjusted
    out.expected = expected
    out.applied = True
    out.profile = {k + 1: float(v) for k, v in enumerate(scale)}
    out.reason = verdict + ("; adjustment forced on" if mode == "on" else "")
    return out


def _scaled(effects: np.ndarray, model: str) -> np.ndarray:
    """Effects on the values' scale: additive effects sum to zero; multiplicative factors
    average one (so the adjusted values keep the level of the data)."""
    if model == "multiplicative":
        f = np.exp(effects)
        return f / f.mean()
    return effects


__all__ = [
    "ALPHA",
    "MODES",
    "SEASON_LENGTHS",
    "TEST_NAME",
    "SeasonalAdjustment",
    "season_length",
    "seasonal_adjustment",
]
