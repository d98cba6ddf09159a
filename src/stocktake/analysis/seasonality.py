"""Seasonal series read against their seasonal expectation (method: docs/methods/spc.md).

Numbers in, numbers out. A seasonal series (crime in summer, infections in winter) breaks the
XmR chart's assumption that points vary around one mean: every peak would read as special
cause. So, per series:

1. **Test.** On the *profile window* (every observed period except the latest season, e.g.
   the latest 12 months) fit by least squares ``value ~ year + period-of-year`` (one level per
   calendar year, so trends and steps between years are not taken for seasonality) and
   ``value ~ year``. The F test of the period-of-year effects gives the statistic and the
   p-value; seasonality is *detected* when p < ``ALPHA`` (0.01). The strength of seasonality
   (Hyndman & Athanasopoulos, FPP3 s.4.2: ``max(0, 1 - var(R) / var(S + R))``) is reported
   beside it.
2. **Profile.** The period-of-year effects of the same fit are the seasonal profile: additive
   (in the indicator's units), or multiplicative (a factor, fitted on the log scale) when
   every value in the window is positive and the log fit leaves less unexplained variation
   in proportion (see ``_choose_model``). The latest season is left out so that a change in
   the last year is not absorbed into the profile.
3. **Adjust.** Seasonally adjusted value = value - effect (or value / factor). Points inside
   the profile window are adjusted with the profile fitted *without their own year*
   (leave-one-year-out): adjusting a point with a profile fitted on itself would make the
   baseline look quieter than later points and the XmR limits too narrow.

Season lengths: month 12, quarter 4, ISO week 52 (week 53, in the years that have one, is read
as week 52); years and days have none. A profile needs every period-of-year observed in at
least two years of the window; otherwise the series is charted raw and the reason given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from scipy import stats

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

TEST_NAME = "F test of period-of-year effects (least squares, one level per year)"
REFERENCE = (
    "F test of seasonal dummies; strength of seasonality as in Hyndman & Athanasopoulos, "
    "Forecasting: principles and practice, 3rd ed., s.4.2"
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


def _design(pos: np.ndarray, year: np.ndarray, m: int, years: np.ndarray,
            seasonal: bool) -> np.ndarray:
    """Year dummies, then (if ``seasonal``) sum-to-zero period-of-year columns 0..m-2."""
    cols = [(year[:, None] == years[None, :]).astype(float)]
    if seasonal:
        s = (pos[:, None] == np.arange(m - 1)[None, :]).astype(float)
        s[pos == m - 1] = -1.0
        cols.append(s)
    return np.hstack(cols)


def _fit(y: np.ndarray, pos: np.ndarray, year: np.ndarray, m: int
         ) -> tuple[np.ndarray, np.ndarray, int]:
    """Least squares ``y ~ year + period-of-year``: (season effects [m], residuals, rank)."""
    years = np.unique(year)
    x = _design(pos, year, m, years, True)
    beta, _, rank, _ = np.linalg.lstsq(x, y, rcond=None)
    effects = np.append(beta[len(years):], -beta[len(years):].sum())
    return effects, y - x @ beta, int(rank)


def _rss_years(y: np.ndarray, year: np.ndarray) -> float:
    rss = 0.0
    for yr in np.unique(year):
        v = y[year == yr]
        rss += float(((v - v.mean()) ** 2).sum())
    return rss


Fit = tuple[np.ndarray, np.ndarray, int]  # season effects [m], residuals, rank


def _f_test(y: np.ndarray, year: np.ndarray, pos: np.ndarray, fit: Fit
            ) -> tuple[float, int, int, float, float]:
    """F statistic, df1, df2, p-value and strength of the fit ``y ~ year + period-of-year``
    against ``y ~ year``."""
    effects, resid, rank = fit
    rss_full = float(resid @ resid)
    rss_years = _rss_years(y, year)
    n_years = len(np.unique(year))
    df1 = rank - n_years
    df2 = len(y) - rank
    if df1 <= 0 or df2 <= 0:
        raise ValueError("too few points for the F test")
    if rss_full <= 0:
        f = np.inf if rss_years > 0 else 0.0
        p = 0.0 if rss_years > 0 else 1.0
    else:
        f = ((rss_years - rss_full) / df1) / (rss_full / df2)
        p = float(stats.f.sf(f, df1, df2))
    seasonal = effects[pos]
    var_sr = float(np.var(seasonal + resid))
    strength = 0.0 if var_sr == 0 else max(0.0, 1.0 - float(np.var(resid)) / var_sr)
    return float(f), df1, df2, p, strength


def _choose_model(y: np.ndarray, pos: np.ndarray, year: np.ndarray, m: int
                  ) -> tuple[str, np.ndarray, Fit]:
    """Multiplicative when every value is positive and the seasonal swing grows with the level:
    the log fit's residual spread, in proportion, is smaller than the additive fit's relative
    to the mean. Counts and rates in public services are usually of this kind. Returns the
    model, the values it is fitted to and its fit."""
    additive = _fit(y, pos, year, m)
    if (y <= 0).any():
        return "additive", y, additive
    logs = np.log(y)
    log_fit = _fit(logs, pos, year, m)
    rel_add = float(np.sqrt(np.mean(additive[1] ** 2))) / float(np.mean(y))
    rel_log = float(np.sqrt(np.mean(log_fit[1] ** 2)))
    if rel_log < rel_add:
        return "multiplicative", logs, log_fit
    return "additive", y, additive


def _leave_one_year_out(y: np.ndarray, pos: np.ndarray, year: np.ndarray, m: int
                        ) -> dict[int, np.ndarray]:
    """Season effects fitted without each year in turn: the normal equations of the full fit
    less each year's share, with that year's level fixed at 0, solved together. (Every
    period of the year is seen in at least two years, so each system has a unique solution:
    the least-squares fit of the other years.)"""
    years = np.unique(year)
    k = len(years)
    x = _design(pos, year, m, years, True)
    a = np.empty((k, x.shape[1], x.shape[1]))
    b = np.empty((k, x.shape[1]))
    xtx, xty = x.T @ x, x.T @ y
    for j, yr in enumerate(years.tolist()):
        xj, yj = x[year == yr], y[year == yr]
        a[j], b[j] = xtx - xj.T @ xj, xty - xj.T @ yj
    idx = np.arange(k)
    a[idx, idx, :] = 0.0
    a[idx, :, idx] = 0.0
    a[idx, idx, idx] = 1.0
    b[idx, idx] = 0.0
    try:
        beta = np.linalg.solve(a, b[..., None])[..., 0]
    except np.linalg.LinAlgError:  # a singular system: least squares year by year
        beta = np.stack([np.linalg.lstsq(x[year != yr], y[year != yr], rcond=None)[0]
                         for yr in years])
    s = beta[:, k:]
    effects = np.hstack([s, -s.sum(axis=1, keepdims=True)])
    return {int(yr): effects[j] for j, yr in enumerate(years.tolist())}


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
    wy, wp, wyr = y[window], pos[window], year[window]
    years_seen = {}
    for p_, yr in zip(wp.tolist(), wyr.tolist(), strict=True):
        years_seen.setdefault(p_, set()).add(yr)
    n_years = len(np.unique(wyr))
    out.n_years = n_years
    short = [p_ + 1 for p_ in range(m) if len(years_seen.get(p_, ())) < MIN_YEARS]
    if short:
        out.reason = (
            f"too little history for a seasonal profile: every period of the year must be seen "
            f"in at least {MIN_YEARS} years before the latest {m} periods "
            f"({len(short)} of {m} are not)"
        )
        return out
    codes = [str(periods[i]) for i in np.flatnonzero(window)]
    out.window = (codes[0], codes[-1])
    model, fit_y, fit = _choose_model(wy, wp, wyr, m)
    effects = fit[0]
    try:
        f, df1, df2, p, strength = _f_test(fit_y, wyr, wp, fit)
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
    for yr, eff in _leave_one_year_out(fit_y, wp, wyr, m).items():
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
