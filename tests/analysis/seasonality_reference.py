"""The seasonality test and adjustment one series at a time (a Python loop per row with its
own F test and leave-one-year-out profiles): analysis.seasonality as it was before its rows
were finished together, kept as the reference the batched code must equal bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import special

from stocktake.analysis.seasonality import (
    ALPHA,
    MIN_YEARS,
    MODES,
    Mode,
    SeasonalAdjustment,
    _positions,
    _weights,
    season_length,
)
from stocktake.errors import Invalid
from stocktake.model.periods import Period, PeriodError


def seasonal_adjustments_reference(
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
    for j, r in enumerate(live):
        _finish(outs[r], fits, j, ys[r], window[r], periods, pos, year, years, m, str(mode))
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
    for r in np.flatnonzero(defined.sum(axis=1) >= 2).tolist():
        idx = np.flatnonzero(defined[r])
        front, back = int(idx[0]), int(idx[-1])
        for lo, hi, fill in ((front, min(front + m, back), np.arange(0, front)),
                             (max(front, back - m), back, np.arange(back + 1, width))):
            k = hi - lo
            seg = ma[r, lo:hi]
            if len(fill) and k >= 2 and np.isfinite(seg).all():
                # least-squares line through (lo..hi-1, seg), closed form
                xc = np.arange(k) - (k - 1) / 2
                level = seg.sum() / k
                slope = float(xc @ seg) / (k * (k * k - 1) / 12)
                ma[r, fill] = level + slope * (fill - (lo + (k - 1) / 2))
    return ma[:, ordinal - o0]


def _finish(out: SeasonalAdjustment, fits: dict[str, Any], j: int, y: np.ndarray,
            window: np.ndarray, periods: Sequence[str], pos: np.ndarray, year: np.ndarray,
            years: np.ndarray, m: int, mode: str) -> None:
    """One row's test, verdict and (when applied) adjusted values, from the batch's fits."""
    model = "multiplicative" if fits["mult"][j] else "additive"
    fit = fits["log" if model == "multiplicative" else "add"]
    counts, sums = fit["counts"][j], fit["sums"][j]
    years_seen = (counts > 0).sum(axis=1)
    short = int((years_seen < MIN_YEARS).sum())
    if short:
        out.reason = (
            f"too little history for a seasonal profile: every period of the year must be "
            f"detrended (a centred year-long moving average) in at least {MIN_YEARS} years "
            f"before the latest {m} periods ({short} of {m} are not)"
        )
        return
    where = np.flatnonzero(window)
    out.window = (str(periods[where[0]]), str(periods[where[-1]]))
    ok = fit["ok"][j]
    d, p, resid = fit["d"][j][ok], pos[ok], fit["resid"][j][ok]
    groups = int((counts.sum(axis=1) > 0).sum())
    df1, df2 = groups - 1, len(d) - groups
    if df1 <= 0 or df2 <= 0:
        out.reason = "too few points in the profile window for the F test"
        return
    means = sums.sum(axis=1) / np.maximum(counts.sum(axis=1), 1)
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
    out.statistic, out.df, out.p_value, out.strength = float(f), (df1, df2), pv, strength
    out.detected = pv < ALPHA
    out.model = model
    apply = mode == "on" or (mode == "auto" and out.detected)
    verdict = (f"seasonality {'detected' if out.detected else 'not detected'} "
               f"(F = {f:.2f} on {df1} and {df2} df, p = {pv:.2g}, strength {strength:.2f})")
    if not apply:
        out.reason = verdict + ("; adjustment switched off" if mode == "off" else
                                ": the values are charted as reported")
        return
    # Profile: later points use the whole window; window points leave their own year out.
    scale = _scaled(fit["effects"][j], model)
    observed = ~np.isnan(y)
    expected = np.full(len(y), np.nan)
    expected[observed] = scale[pos[observed]]
    total_s, total_c = sums.sum(axis=1), counts.sum(axis=1)
    for i, yr in enumerate(years.tolist()):
        mine = window & (year == yr)
        if not mine.any():
            continue
        eff = _centred((total_s - sums[:, i])[None], (total_c - counts[:, i])[None])[0]
        eff = np.where(np.isnan(eff), fit["effects"][j], eff)
        expected[mine] = _scaled(eff, model)[pos[mine]]
    out.values = y / expected if model == "multiplicative" else y - expected
    out.expected = expected
    out.applied = True
    out.profile = {k + 1: float(v) for k, v in enumerate(scale)}
    out.reason = verdict + ("; adjustment forced on" if mode == "on" else "")


def _scaled(effects: np.ndarray, model: str) -> np.ndarray:
    """Effects on the values' scale: additive effects sum to zero; multiplicative factors
    average one (so the adjusted values keep the level of the data)."""
    if model == "multiplicative":
        f = np.exp(effects)
        return f / f.mean()
    return effects
