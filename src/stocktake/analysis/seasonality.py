"""Seasonal series read against their seasonal expectation.

Numbers in, numbers out. A seasonal series (crime in summer, infections in winter) breaks the
XmR chart's assumption that points vary around one mean, so, per series: detrend over the
profile window (every observed period but the latest season), test for period-of-year
effects (an F test at ``ALPHA``), estimate the profile (additive or multiplicative, see
``_fits``) and adjust each point, inside the window with the profile of the other years.
Season lengths: month 12, quarter 4, ISO week 52; years and days have none.

The method, its checks and its references: docs/methods/spc.md, section 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from scipy import special

from stocktake.errors import Invalid
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

    def on_adjusted_scale(self, value: float, period: str) -> float:
        """A value on the reported scale at ``period`` (a target) on the charted, adjusted
        scale: less that period-of-year's effect, or divided by its factor; unchanged when no
        adjustment was applied. A target for June is then read against the limits June's
        values would have, not against the year's average level."""
        if not self.applied or not self.profile or self.season_length is None:
            return value
        pos = int(_positions([period], self.season_length)[0][0]) + 1
        scale = self.profile[pos]
        return value / scale if self.model == "multiplicative" else value - scale

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


@lru_cache(maxsize=8)
def _weights(m: int) -> np.ndarray:
    """The 2 x m moving average's weights: 1/2m at both ends, 1/m between."""
    return np.r_[0.5, np.ones(m - 1), 0.5] / m


def seasonal_adjustment(
    values: Sequence[float] | np.ndarray,
    periods: Sequence[str],
    *,
    mode: Mode | str = "auto",
) -> SeasonalAdjustment:
    """Test one series (in period order, NaN for missing) for seasonality and, where it is
    detected (``auto``) or asked for (``on``), give its seasonally adjusted values.

    ``off`` still runs the test (so the reader can see it) but charts the values as given.
    An unknown mode is ``Invalid``; periods that are not period codes, a ValueError (the
    caller built them).
    """
    y = np.asarray(values, dtype=float)
    if y.ndim != 1:
        raise ValueError(f"values must be one-dimensional, not of shape {y.shape}")
    return seasonal_adjustments(y[None, :], periods, mode=mode)[0]


def seasonal_adjustments(
    matrix: np.ndarray,
    periods: Sequence[str],
    *,
    mode: Mode | str = "auto",
) -> list[SeasonalAdjustment]:
    """``seasonal_adjustment`` for each row of ``matrix`` (series x periods, NaN for missing),
    all on the same ``periods``, computed together: row for row the same figures as one
    series at a time (which is a batch of one)."""
    if mode not in MODES:
        raise Invalid(f"seasonal mode {mode!r} is not one of {', '.join(MODES)}")
    ys = np.asarray(matrix, dtype=float)
    if ys.ndim != 2:
        raise ValueError(f"matrix must be two-dimensional, not of shape {ys.shape}")
    rows, n = ys.shape
    if len(periods) != n:
        raise ValueError(f"periods has {len(periods)} entries but values has {n}")
    outs = [SeasonalAdjustment(mode=str(mode), season_length=None, detected=None,
                               applied=False, values=ys[r]) for r in range(rows)]

    def say(reason: str, which: Sequence[int] | None = None) -> list[SeasonalAdjustment]:
        for r in range(rows) if which is None else which:
            outs[r].reason = reason
        return outs

    if n == 0:
        return say("no values")
    try:
        ptype = Period.parse(str(periods[0])).type
    except PeriodError:
        return say("the periods are not period codes: no period of the year to test")
    m = season_length(ptype)
    for o in outs:
        o.season_length = m
    if m is None:
        return say(f"{ptype.value}ly data have no season of the year to test")
    try:
        pos, year, ordinal = _positions(periods, m)
    except PeriodError as exc:
        raise ValueError(f"periods: {exc}") from None

    observed = ~np.isnan(ys)
    last = np.where(observed, ordinal[None, :], np.iinfo(np.int64).min).max(axis=1)
    window = observed & (ordinal[None, :] <= (last - m)[:, None])  # the latest season left out
    years = np.unique(year)
    in_year = year[None, :] == years[:, None]  # years x periods
    for r in range(rows):
        outs[r].n_years = int((window[r][None, :] & in_year).any(axis=1).sum())
    live = [r for r in range(rows) if window[r].any()]
    say(f"too little history for a seasonal profile: fewer than {m + 1} periods",
        [r for r in range(rows) if not window[r].any()])
    if not live:
        return outs
    wy = np.where(window, ys, np.nan)[live]
    fits = _fits(wy, ordinal, pos, year, years, m)
    _finish(outs, live, fits, ys[live], window[live], periods, pos, year, years, m, str(mode))
    return outs


def _fits(wy: np.ndarray, ordinal: np.ndarray, pos: np.ndarray, year: np.ndarray,
          years: np.ndarray, m: int) -> dict[str, Any]:
    """The additive fit of every row and the log fit of rows whose window values are all
    positive; per row, multiplicative when every value is positive and the seasonal swing
    grows with the level: the log's remainders, in proportion, are smaller than the additive
    remainders relative to the mean (counts and rates in public services are usually so)."""
    add = _fit_rows(wy, ordinal, pos, year, years, m)
    positive = np.where(np.isnan(wy), 1.0, wy).min(axis=1) > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log(np.where(positive[:, None], wy, np.nan))
    log = _fit_rows(logs, ordinal, pos, year, years, m)
    n_add = np.isfinite(add["resid"]).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        level = np.nansum(wy, axis=1) / np.isfinite(wy).sum(axis=1)
        rel_add = np.sqrt(np.nansum(add["resid"] ** 2, axis=1) / n_add) / level
        rel_log = np.sqrt(np.nansum(log["resid"] ** 2, axis=1)
                          / np.isfinite(log["resid"]).sum(axis=1))
    mult = positive & (n_add > 0) & (rel_log < rel_add)
    return {"add": add, "log": log, "mult": mult, "logs": logs}


def _fit_rows(y: np.ndarray, ordinal: np.ndarray, pos: np.ndarray, year: np.ndarray,
              years: np.ndarray, m: int) -> dict[str, np.ndarray]:
    """Detrend each row (NaN where not in the window or around a gap), then the sums and
    counts of the detrended values by period of year and year, the effects and remainders."""
    d = y - _trend_rows(y, ordinal, m)
    ok = np.isfinite(d)
    dz = np.where(ok, d, 0.0)
    rows = len(y)
    sums = np.zeros((rows, m, len(years)))
    counts = np.zeros((rows, m, len(years)))
    # one pass: columns sorted by (period of year, year), each run summed per row
    key = pos * len(years) + np.searchsorted(years, year)
    order = np.argsort(key, kind="stable")
    runs = np.flatnonzero(np.r_[True, np.diff(key[order]) != 0])
    at = key[order][runs]
    sums.reshape(rows, -1)[:, at] = np.add.reduceat(dz[:, order], runs, axis=1)
    counts.reshape(rows, -1)[:, at] = np.add.reduceat(ok[:, order].astype(float), runs,
                                                      axis=1)
    effects = _centred(sums.sum(axis=2), counts.sum(axis=2))
    resid = d - effects[:, pos]
    return {"d": d, "ok": ok, "sums": sums, "counts": counts, "effects": effects,
            "resid": resid}


def _centred(sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Per row, the mean of each period of the year less the mean of those means (NaN for a
    period never seen)."""
    seen = counts > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        means = np.where(seen, sums / np.where(seen, counts, 1.0), np.nan)
        centre = np.where(seen, means, 0.0).sum(axis=1) / seen.sum(axis=1)
    return means - centre[:, None]


def _trend_rows(y: np.ndarray, ordinal: np.ndarray, m: int) -> np.ndarray:
    """Centred 2 x m moving average of each row at each value, NaN where its window is not
    complete (around a gap). At the two ends, where no centred window fits, the trend is
    extended by the least-squares line through the m nearest averages (as statsmodels'
    ``seasonal_decompose(..., extrapolate_trend="period")``), so every year keeps its
    points."""
    o0 = int(ordinal.min())
    rows = len(y)
    dense = np.full((rows, int(ordinal.max()) - o0 + 1), np.nan)
    dense[:, ordinal - o0] = y
    width = dense.shape[1]
    ma = np.full((rows, width), np.nan)
    if width > m:
        ok = np.isfinite(dense)
        v = np.where(ok, dense, 0.0)
        w = _weights(m)
        span = width - m
        total = np.zeros((rows, span))
        count = np.zeros((rows, span))
        for k in range(m + 1):  # the weighted window sums, one shift at a time
            total += w[k] * v[:, k:k + span]
            count += ok[:, k:k + span]
        ma[:, m // 2: m // 2 + span] = np.where(count > m + 0.5, total, np.nan)
    defined = np.isfinite(ma)
    front = defined.argmax(axis=1)
    back = width - 1 - defined[:, ::-1].argmax(axis=1)
    two = defined.sum(axis=1) >= 2
    # rows whose averages start and end at the same places are extended together
    ends, which = np.unique(np.c_[front, back][two], axis=0, return_inverse=True)
    for e, (first, last) in enumerate(ends.tolist()):
        rows_e = np.flatnonzero(two)[which.ravel() == e]
        for lo, hi, fill in ((first, min(first + m, last), np.arange(0, first)),
                             (max(first, last - m), last, np.arange(last + 1, width))):
            k = hi - lo
            if not len(fill) or k < 2:
                continue
            segs = ma[rows_e, lo:hi]
            full = np.isfinite(segs).all(axis=1)
            rows_f, segs = rows_e[full], segs[full]
            if not len(rows_f):
                continue
            # least-squares line through (lo..hi-1, seg), closed form; the dot product a
            # row at a time, as one series alone (a matrix product may sum in another order)
            xc = np.arange(k) - (k - 1) / 2
            level = segs.sum(axis=1) / k
            slope = np.array([float(xc @ seg) for seg in segs]) / (k * (k * k - 1) / 12)
            ma[np.ix_(rows_f, fill)] = (level[:, None]
                                        + slope[:, None] * (fill - (lo + (k - 1) / 2))[None, :])
    return ma[:, ordinal - o0]


def _finish(outs: list[SeasonalAdjustment], live: list[int], fits: dict[str, Any],
            ys: np.ndarray, window: np.ndarray, periods: Sequence[str], pos: np.ndarray,
            year: np.ndarray, years: np.ndarray, m: int, mode: str) -> None:
    """The live rows' tests, verdicts and (when applied) adjusted values, from the batch's
    fits (``ys`` and ``window`` hold the live rows only). The F test, the strength and the
    leave-one-year-out profiles are computed for every row at once; each row's sums are
    taken over that row alone, in its own order, so each figure is the one a batch of one
    gives (tests/analysis/test_seasonality_batch.py keeps the row-at-a-time reference)."""
    mult = fits["mult"]
    fit = {name: np.where(mult.reshape(-1, *[1] * (fits["add"][name].ndim - 1)),
                          fits["log"][name], fits["add"][name])
           for name in ("d", "ok", "sums", "counts", "effects", "resid")}
    sums, counts, ok = fit["sums"], fit["counts"], fit["ok"]
    short = ((counts > 0).sum(axis=2) < MIN_YEARS).sum(axis=1)
    total_s, total_c = sums.sum(axis=2), counts.sum(axis=2)
    groups = (total_c > 0).sum(axis=1)
    n_ok = ok.sum(axis=1)
    df1, df2 = groups - 1, n_ok - groups
    testable = (short == 0) & (df1 > 0) & (df2 > 0)
    stats = _f_tests(fit, total_s / np.maximum(total_c, 1), testable, n_ok, pos)
    rss_full, rss_null, var_sr, var_resid = stats
    with np.errstate(divide="ignore", invalid="ignore"):
        f = ((rss_null - rss_full) / df1) / (rss_full / df2)
        zero = rss_full <= 0
        f = np.where(zero, np.where(rss_null > 0, np.inf, 0.0), f)
        pv = np.where(zero, np.where(rss_null > 0, 0.0, 1.0),
                      special.fdtrc(df1, df2, np.where(zero | ~testable, 1.0, f)))
    first = window.argmax(axis=1)
    last = window.shape[1] - 1 - window[:, ::-1].argmax(axis=1)
    applied = []
    for j, r in enumerate(live):
        out = outs[r]
        if short[j]:
            out.reason = (
                f"too little history for a seasonal profile: every period of the year must "
                f"be detrended (a centred year-long moving average) in at least {MIN_YEARS} "
                f"years before the latest {m} periods ({int(short[j])} of {m} are not)"
            )
            continue
        out.window = (str(periods[first[j]]), str(periods[last[j]]))
        if not testable[j]:
            out.reason = "too few points in the profile window for the F test"
            continue
        fj, pj, vs = float(f[j]), float(pv[j]), float(var_sr[j])
        strength = 0.0 if vs == 0 else max(0.0, 1.0 - float(var_resid[j]) / vs)
        out.statistic, out.df, out.p_value = fj, (int(df1[j]), int(df2[j])), pj
        out.strength = strength
        out.detected = pj < ALPHA
        out.model = "multiplicative" if mult[j] else "additive"
        verdict = (f"seasonality {'detected' if out.detected else 'not detected'} "
                   f"(F = {fj:.2f} on {df1[j]} and {df2[j]} df, p = {pj:.2g}, "
                   f"strength {strength:.2f})")
        if mode == "on" or (mode == "auto" and out.detected):
            out.reason = verdict + ("; adjustment forced on" if mode == "on" else "")
            applied.append(j)
        else:
            out.reason = verdict + ("; adjustment switched off" if mode == "off" else
                                    ": the values are charted as reported")
    if applied:
        _adjust([outs[live[j]] for j in applied], fit, mult, np.array(applied), ys, window,
                pos, year, years)


def _f_tests(fit: dict[str, np.ndarray], means: np.ndarray, testable: np.ndarray,
             n_ok: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per row, over its detrended points: the residual sums of squares about the
    period-of-year means and about the overall mean, the variance of the detrended values
    and of the remainders (NaN for rows not testable). Rows with as many points are taken
    together, their points gathered side by side, so each row is summed as alone."""
    rows = len(n_ok)
    rss_full, rss_null, var_sr, var_resid = (np.full(rows, np.nan) for _ in range(4))
    for size in np.unique(n_ok[testable]).tolist():
        these = np.flatnonzero(testable & (n_ok == size))
        cols = np.nonzero(fit["ok"][these])[1].reshape(len(these), size)
        d = np.take_along_axis(fit["d"][these], cols, axis=1)
        resid = np.take_along_axis(fit["resid"][these], cols, axis=1)
        rss_full[these] = ((d - np.take_along_axis(means[these], pos[cols], axis=1)) ** 2
                           ).sum(axis=1)
        rss_null[these] = ((d - d.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
        var_sr[these] = np.var(d, axis=1)
        var_resid[these] = np.var(resid, axis=1)
    return rss_full, rss_null, var_sr, var_resid


def _adjust(outs: list[SeasonalAdjustment], fit: dict[str, np.ndarray], mult: np.ndarray,
            rows: np.ndarray, ys: np.ndarray, window: np.ndarray, pos: np.ndarray,
            year: np.ndarray, years: np.ndarray) -> None:
    """The adjusted values of the given rows (positions in the batch), one ``outs`` each.
    Profile: later points use the whole window; window points leave their own year out."""
    mult, y, window = mult[rows], ys[rows], window[rows]
    sums, counts, effects = fit["sums"][rows], fit["counts"][rows], fit["effects"][rows]
    scale = _scaled_rows(effects, mult)
    observed = ~np.isnan(y)
    expected = np.where(observed, scale[:, pos], np.nan)
    # every (row, year) at once: the totals less that year's sums, each a row of m
    shape = (len(rows), len(years), sums.shape[1])
    less_s = np.ascontiguousarray(sums.sum(axis=2)[:, None, :] - sums.transpose(0, 2, 1))
    less_c = np.ascontiguousarray(counts.sum(axis=2)[:, None, :] - counts.transpose(0, 2, 1))
    eff = _centred(less_s.reshape(-1, shape[2]), less_c.reshape(-1, shape[2])).reshape(shape)
    eff = np.where(np.isnan(eff), effects[:, None, :], eff)
    left_out = _scaled_rows(eff.reshape(-1, shape[2]), np.repeat(mult, shape[1])
                            ).reshape(shape)
    for i, yr in enumerate(years.tolist()):
        mine = window & (year == yr)[None, :]
        expected = np.where(mine, left_out[:, i, pos], expected)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(mult[:, None], y / expected, y - expected)
    for a, out in enumerate(outs):
        out.values = values[a]
        out.expected = expected[a]
        out.applied = True
        out.profile = dict(enumerate(scale[a].tolist(), start=1))


def _scaled_rows(effects: np.ndarray, mult: np.ndarray) -> np.ndarray:
    """Each row's effects on the values' scale: additive effects sum to zero; where
    ``mult``, factors that average one (so the adjusted values keep the level of the
    data)."""
    out = effects.copy()
    if mult.any():
        with np.errstate(over="ignore", invalid="ignore"):
            f = np.exp(effects[mult])
            out[mult] = f / f.mean(axis=1, keepdims=True)
    return out


__all__ = [
    "ALPHA",
    "MODES",
    "SEASON_LENGTHS",
    "TEST_NAME",
    "SeasonalAdjustment",
    "season_length",
    "seasonal_adjustment",
    "seasonal_adjustments",
]
