"""Nowcasting a headline from its lead indicators: the headline for periods not yet reported.

Numbers in, numbers out. Input: one unit's headline and each lead as 1-D arrays on one grid
of consecutive periods (NaN where missing; the headline usually ends before the leads). The
headline's changes are regressed on each lead's changes at its lag (seasonal intercepts
where the data allow), the predicted changes cumulated from the last observed level, with
intervals that grow with the horizon, and backtested one step ahead against a forecast from
the headline alone.

The method as implemented (lags, model, intervals, backtest): docs/methods/nowcast.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from stocktake.errors import Invalid

DEFAULT_MAX_LAG = 12
DEFAULT_BACKTEST_FRACTION = 1 / 3
LEVELS = (0.80, 0.95)


@dataclass
class NowcastResult:
    """A nowcast: ``steps`` run h = 1, 2, ... periods after grid index ``last_index``."""

    lags: dict[str, int]
    coefficients: dict[str, float]  # one slope per lead
    intercepts: list[float]  # per position in the year (grid index t mod m), or one
    residual_sd: float
    df: int
    observations: int  # regression rows
    last_index: int
    last_level: float
    steps: list[dict[str, float | int]]
    backtest: dict[str, Any]
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def seasonal(self) -> bool:
        return len(self.intercepts) > 1

    @property
    def method(self) -> str:
        const = "seasonal intercepts" if self.seasonal else "an intercept"
        return ("OLS of the headline's change on each lead's change k periods earlier, with "
                + const + "; changes cumulated from the last "
                "observed level; interval +/- t(df) x OLS prediction se of the summed "
                "changes; backtest: rolling-origin one-step forecasts, refitted at "
                "each origin, against a random walk with drift on the same transformed series")

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "lags": dict(self.lags),
                "coefficients": dict(self.coefficients),
                "intercepts": list(self.intercepts), "residual_sd": self.residual_sd,
                "df": self.df, "observations": self.observations, "seasonal": self.seasonal,
                "last_index": self.last_index, "last_level": self.last_level,
                "steps": [dict(s) for s in self.steps], "backtest": dict(self.backtest),
                "parameters": dict(self.parameters)}


@dataclass
class _Fit:
    lags: dict[str, int]
    intercepts: np.ndarray  # one per position in the year (grid index t mod m), or one
    slopes: np.ndarray  # one per lead, in ``lags`` order
    inverse_gram: np.ndarray  # (X'X)^-1
    sigma: float
    df: int
    n: int
    y_means: np.ndarray  # the headline's mean change (per position): the drift benchmark
    dx: dict[str, np.ndarray]  # lead changes on the grid

    def row(self, t: int) -> np.ndarray:
        """The design row of grid index t (NaN where a lead value is missing)."""
        m = self.intercepts.size
        r = np.zeros(m + len(self.lags))
        r[t % m] = 1.0
        for j, (code, k) in enumerate(self.lags.items()):
            i = t - k
            r[m + j] = self.dx[code][i] if 0 <= i < self.dx[code].size else np.nan
        return r

    def change(self, t: int) -> float:
        """Predicted headline change at grid index t (NaN when a lead value is missing)."""
        return float(self.row(t) @ np.concatenate([self.intercepts, self.slopes]))

    def spread(self, rows: np.ndarray, h: int) -> float:
        """Standard error of the sum of h predicted changes with design rows summing to
        ``rows``."""
        return self.sigma * float(np.sqrt(h + rows @ self.inverse_gram @ rows))


def _diff(v: np.ndarray) -> np.ndarray:
    d = np.full(v.shape, np.nan)
    d[1:] = v[1:] - v[:-1]
    return d


def _mean_changes(d: np.ndarray, season: int, name: str) -> tuple[np.ndarray, bool]:
    finite = np.isfinite(d)
    if not finite.any():
        raise Invalid(f"{name}: no two consecutive periods observed, so no change to use")
    if season >= 2:
        pos = np.arange(d.size)[finite] % season
        counts = np.bincount(pos, minlength=season)
        if counts.min() >= 2:
            return np.bincount(pos, weights=d[finite], minlength=season) / counts, True
    return np.array([d[finite].mean()]), False


def _lagged(x: np.ndarray, k: int) -> np.ndarray:
    out = np.full(x.shape, np.nan)
    out[k:] = x[:x.size - k]
    return out


def _demean(v: np.ndarray, pos: np.ndarray, m: int) -> np.ndarray:
    means = np.bincount(pos, weights=v, minlength=m) / np.bincount(pos, minlength=m)
    return v - means[pos]


def _positions(ok: np.ndarray, season: int) -> tuple[np.ndarray, int]:
    """Position in the year of the rows ``ok`` and the number of intercepts: ``season``
    when every position has at least 2 rows, else 1."""
    if season >= 2:
        pos = np.flatnonzero(ok) % season
        if np.bincount(pos, minlength=season).min() >= 2:
            return pos, season
    return np.zeros(int(ok.sum()), dtype=int), 1


def _best_lag(dy: np.ndarray, dx: np.ndarray, max_lag: int, season: int, code: str) -> int:
    """The lag with the strongest correlation of the changes, both de-meaned per position
    on the same rows as the model would use (the partial correlation given its intercepts)."""
    best, strength = 0, -1.0
    for k in range(1, max_lag + 1):
        xl = _lagged(dx, k)
        ok = np.isfinite(dy) & np.isfinite(xl)
        if ok.sum() < 3:
            continue
        pos, m = _positions(ok, season)
        a, b = _demean(dy[ok], pos, m), _demean(xl[ok], pos, m)
        scale = np.sqrt((a @ a) * (b @ b))
        if ok.sum() - m < 2 or scale == 0:
            continue
        r = abs(float(a @ b / scale))
        if r > strength:
            best, strength = k, r
    if not best:
        raise Invalid(f"lead '{code}': too little data to choose a lag in 1..{max_lag} "
                      "(each needs 3 periods where both changes are observed)")
    return best


def _fit(y: np.ndarray, xs: Mapping[str, np.ndarray], lags: Mapping[str, int] | None,
         max_lag: int, season: int) -> _Fit:
    dy = _diff(y)
    y_means, _ = _mean_changes(dy, season, "headline")
    dx = {code: _diff(x) for code, x in xs.items()}
    for c, d in dx.items():
        if not np.isfinite(d).any():
            raise Invalid(f"lead '{c}': no two consecutive periods observed, so no change "
                          "to use")
    chosen = ({c: int(lags[c]) for c in xs} if lags is not None
              else {c: _best_lag(dy, d, max_lag, season, c) for c, d in dx.items()})
    lagged = np.column_stack([_lagged(dx[c], k) for c, k in chosen.items()])
    ok = np.isfinite(dy) & np.isfinite(lagged).all(axis=1)
    n = int(ok.sum())
    # Seasonal dummies (one intercept per position in the year) on the regression rows: by
    # Frisch-Waugh this is the regression of seasonally de-meaned changes on de-meaned
    # changes, with the means taken on the same rows.
    pos, m = _positions(ok, season)
    dummies = (pos[:, None] == np.arange(m)).astype(float)
    design = np.column_stack([dummies, lagged[ok]])
    df = n - m - len(chosen)
    if df < 2:
        raise Invalid(f"too little data: {n} periods where the headline's change and every "
                      f"lagged lead change are observed leave {df} residual df (need 2)")
    beta, *_ = np.linalg.lstsq(design, dy[ok], rcond=None)
    resid = dy[ok] - design @ beta
    sigma = float(np.sqrt(resid @ resid / df))
    inverse_gram = np.linalg.pinv(design.T @ design)
    return _Fit(chosen, beta[:m], beta[m:], inverse_gram, sigma, df, n, y_means, dx)


def _series(values: Any, name: str) -> np.ndarray:
    try:
        a = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: values must be numbers (NaN for missing)") from None
    if a.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D series, got {a.ndim}-D")
    if np.isinf(a).any():
        raise Invalid(f"{name}: infinite value at position {int(np.argmax(np.isinf(a)))}")
    return a


def _whole(value: Any, name: str, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise Invalid(f"{name} must be a whole number >= {low}, not {value!r}")
    return int(value)


def nowcast(headline: Sequence[float] | np.ndarray,
            leads: Mapping[str, Sequence[float] | np.ndarray], *,
            lags: Mapping[str, int] | None = None, max_lag: int = DEFAULT_MAX_LAG,
            season: int = 0,
            backtest_fraction: float = DEFAULT_BACKTEST_FRACTION) -> NowcastResult:
    """Nowcast ``headline`` from ``leads`` (module doc). All series on the same grid of
    consecutive periods; ``season``: periods per year (12 monthly, 4 quarterly; 0 none);
    ``lags``: a lag per lead, or None to choose each in 1..``max_lag``."""
    y = _series(headline, "headline")
    if not isinstance(leads, Mapping) or not leads:
        raise ValueError("leads must be a non-empty mapping of code -> series")
    xs = {}
    for code, values in leads.items():
        if not isinstance(code, str) or not code:
            raise ValueError(f"lead codes must be non-empty strings, not {code!r}")
        xs[code] = _series(values, f"lead '{code}'")
        if xs[code].size != y.size:
            raise ValueError(f"lead '{code}' has {xs[code].size} periods, the headline "
                             f"{y.size}: they must be on the same grid")
    max_lag = _whole(max_lag, "max_lag")
    season = _whole(season, "season", 0)
    if lags is not None:
        missing = [c for c in xs if c not in lags]
        if missing or set(lags) - set(xs):
            raise Invalid(f"lags must name exactly the leads ({', '.join(xs)}); "
                             f"got {', '.join(map(str, lags)) or 'none'}")
        lags = {c: _whole(lags[c], f"lag of '{c}'") for c in xs}
    if not (isinstance(backtest_fraction, float | int) and 0 < backtest_fraction < 1):
        raise Invalid(f"backtest_fraction must be between 0 and 1, not {backtest_fraction!r}")
    observed = np.flatnonzero(np.isfinite(y))
    if observed.size < 2:
        raise Invalid("headline: needs at least 2 observed periods")
    last = int(observed[-1])

    fit = _fit(y, xs, lags, max_lag, season)
    quantiles = {lv: float(stats.t.ppf(0.5 + lv / 2, fit.df)) for lv in LEVELS}
    steps, level, h = [], float(y[last]), 1
    rows = np.zeros(fit.intercepts.size + len(fit.lags))
    while np.isfinite(change := fit.change(last + h)):
        level += change
        rows += fit.row(last + h)
        spread = fit.spread(rows, h)
        step: dict[str, float | int] = {"step": h, "nowcast": level}
        for lv, q in quantiles.items():
            pct = round(lv * 100)
            step[f"lower_{pct}"] = level - q * spread
            step[f"upper_{pct}"] = level + q * spread
        steps.append(step)
        h += 1

    coefficients = {c: float(b) for c, b in zip(fit.lags, fit.slopes, strict=True)}
    return NowcastResult(
        lags=dict(fit.lags), coefficients=coefficients,
        intercepts=[float(a) for a in fit.intercepts], residual_sd=fit.sigma, df=fit.df,
        observations=fit.n, last_index=last, last_level=float(y[last]),
        steps=steps, backtest=_backtest(y, xs, lags, max_lag, season, backtest_fraction),
        parameters={"max_lag": max_lag, "season": season, "lags_given": lags is not None,
                    "backtest_fraction": backtest_fraction, "levels": list(LEVELS)})


def _backtest(y: np.ndarray, xs: Mapping[str, np.ndarray], lags: Mapping[str, int] | None,
              max_lag: int, season: int, fraction: float) -> dict[str, Any]:
    """One-step forecasts from rolling origins over the last ``fraction`` of the observed
    changes; data after each origin is hidden from the fit (the leads too)."""
    targets = np.flatnonzero(np.isfinite(_diff(y)))
    targets = targets[targets.size - max(1, round(fraction * targets.size)):]
    err_now, err_naive, inside, skipped = [], [], [], 0
    q80 = None
    for t in targets:
        y_train = y.copy()
        y_train[t:] = np.nan
        x_train = {c: np.where(np.arange(x.size) < t, x, np.nan) for c, x in xs.items()}
        try:
            fit = _fit(y_train, x_train, lags, max_lag, season)
        except (Invalid, ValueError):  # too little data, or a singular fit: not scored
            skipped += 1
            continue
        change = fit.change(int(t))
        if not np.isfinite(change):
            skipped += 1
            continue
        q80 = float(stats.t.ppf(0.9, fit.df))
        forecast = y[t - 1] + change
        naive = y[t - 1] + fit.y_means[t % fit.y_means.size]
        err_now.append(abs(y[t] - forecast))
        err_naive.append(abs(y[t] - naive))
        inside.append(abs(y[t] - forecast) <= q80 * fit.spread(fit.row(int(t)), 1))
    n = len(err_now)
    mae_now = float(np.mean(err_now)) if n else None
    mae_naive = float(np.mean(err_naive)) if n else None
    return {
        "forecasts": n, "skipped": skipped,
        "first_index": int(targets[0]) if targets.size else None,
        "last_index": int(targets[-1]) if targets.size else None,
        "mae_nowcast": mae_now, "mae_headline_only": mae_naive,
        "ratio": (mae_now / mae_naive if n and mae_naive else None),
        "coverage_80": float(np.mean(inside)) if n else None,
        "headline_only": "random walk with drift: last level + the training mean change "
                         "(of that position in the year when seasonal)",
    }
