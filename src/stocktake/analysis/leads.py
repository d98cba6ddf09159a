"""Lead indicators: does a candidate's movement predict the headline's, k periods later?

Numbers in, numbers out. Input is a panel: the headline as an array of shape (units,
periods) and each candidate likewise, NaN for missing values, every array on the same units
and periods in the same order. ``leads`` tests every candidate at every lag (each series
transformed, Granger tests per unit and pooled, a permutation test across units so that a
shock common to the units is not read as a lead, out-of-sample gain, the false discovery
rate); ``lead_reading`` puts the result into words a delivery unit can act on.

The method step by step, why it is so and how it was checked: docs/methods/leads.md.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy import sparse, stats

from stocktake.errors import Invalid
from stocktake.model.periods import PeriodType

Transform = Literal["difference", "growth", "auto"]

SEASON_LENGTH: dict[PeriodType, int] = {
    PeriodType.MONTH: 12,
    PeriodType.QUARTER: 4,
    PeriodType.WEEK: 52,
    PeriodType.DAY: 7,
    PeriodType.YEAR: 0,
}
DEFAULT_FDR = 0.05
DEFAULT_OOS_FRACTION = 1 / 3
# Inference that survives common shocks (module doc, "Permutation across units"): the
# pooled statistic's p-value from re-pairing candidate and headline units at random.
Inference = Literal["permutation", "f"]
DEFAULT_PERMUTATIONS = 999
# A p-value with fewer than this many re-pairings at or above the observed statistic is
# refined with more re-pairings, REFINE_CHUNK at a time, up to max(permutations,
# 10 m / (fdr r)) for r such tests among m, at most MAX_PERMUTATIONS: the smallest p-value
# must be small enough for the false discovery rate over m tests to find a lead that is
# strong at one lag only (r = 1).
REFINE_EXCEEDANCES = 10
REFINE_CHUNK = 9_000
MAX_PERMUTATIONS = 45_999
# Fewer units than this leave too few distinct pairings (5 units: 120, smallest p 1/120):
# the F test is used instead, and a note says common shocks are then not controlled.
MIN_PERMUTATION_UNITS = 6
# Pesaran's CD test on the headline finds common shocks at this level: with
# ``time_effects="auto"`` each period's mean across units is then removed.
CD_ALPHA = 0.05
# Short panels: a lag is tested only if the pooled regression keeps this many residual
# degrees of freedom after every parameter it estimates (unit and period means, slopes),
# and every unit has at least MIN_ROWS_PER_UNIT rows at the longest lag (two to estimate
# its mean, one more to forecast). Per-unit tests need MIN_UNIT_DF residual df each.
MIN_RESIDUAL_DF = 10
MIN_ROWS_PER_UNIT = 3
MIN_UNIT_DF = 5
# Below this many rows per unit the Nickell (1981) bias of the own-lag coefficient,
# about -(1 + rho) / (T - 1), is stated in the notes.
SHORT_PANEL_ROWS = 20
# What a delivery unit should make of a test, beyond its q-value (``lead_reading``): a lead
# worth watching must also improve out-of-sample forecasts (Clark-West test at this level)
# and point the same way in at least this share of units.
FORECAST_GAIN_ALPHA = 0.05
MIN_SIGN_AGREEMENT = 0.6
LEAD_READINGS = {
    "lead": "leads the headline",
    "two_way": "the headline leads it at least as strongly: a shared trend may drive both",
    "mixed_units": "significant, but the effect points different ways in different units",
    "sign_conflict": "significant, but the pooled effect and the lagged correlation point "
                     "different ways: not read as a lead",
    "no_forecast_check": "significant, but too few periods to check that it improves "
                         "forecasts of the headline (fewer than 3 forecast origins)",
    "no_forecast_gain": "significant, but does not improve forecasts of the headline",
    "no_evidence": "no evidence that it leads",
}
# Bytes of design matrix built at once; bounds memory for large panels.
_CHUNK_BYTES = 48 * 1024 * 1024


# --------------------------------------------------------------------------- results


@dataclass(eq=False)
class LeadResult:
    """Every candidate x lag: arrays of shape (candidates, lags), in the order of
    ``candidates`` and ``lags``; per-unit arrays (candidates, lags, units).

    ``p_value`` is the p-value the inference uses (the permutation p-value by default, else
    the F test's) and enters the q-values; ``f_p_value`` is always the pooled F test's."""

    headline: str
    candidates: tuple[str, ...]
    lags: tuple[int, ...]
    transform: str  # how the headline was transformed (the candidates: ``transforms``)
    transforms: dict[str, str]  # series code -> transform used
    fdr: float
    effect: np.ndarray
    correlation: np.ndarray
    f_stat: np.ndarray
    df_num: np.ndarray
    df_denom: np.ndarray
    p_value: np.ndarray
    q_value: np.ndarray
    reverse_f_stat: np.ndarray
    reverse_p_value: np.ndarray
    reverse_q_value: np.ndarray
    oos_gain: np.ndarray
    oos_forecasts: np.ndarray  # forecasts the gain is measured on
    oos_p_value: np.ndarray  # Clark-West: does the candidate improve the forecasts?
    sign_agreement: np.ndarray
    units_used: np.ndarray  # units in the pooled regression
    periods_used: np.ndarray  # distinct periods t with at least one row
    observations: np.ndarray  # unit-period rows in the pooled regression
    unit_f_stat: np.ndarray  # per-unit ssr F (statsmodels' ssr_ftest)
    unit_p_value: np.ndarray
    unit_df_denom: np.ndarray
    unit_effect: np.ndarray  # per-unit sum of the candidate's lag coefficients
    f_p_value: np.ndarray | None = None  # the pooled F test's p (= p_value with "f")
    reverse_f_p_value: np.ndarray | None = None
    # Permutation z-score of the lag-k coefficient alone (chooses the best of tied lags).
    lag_z: np.ndarray | None = None
    inference: str = "f"
    notes: list[str] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.f_p_value is None:
            self.f_p_value = self.p_value
        if self.reverse_f_p_value is None:
            self.reverse_f_p_value = self.reverse_p_value

    @property
    def method(self) -> str:
        if self.inference == "permutation":
            how = self.parameters.get("permutations_text", "permutations")
            p_text = (f"p-value by permutation across units ({how}: candidate units re-paired "
                      "with headline units at random; valid under shocks common to all units)")
        else:
            p_text = "p-value from the pooled F distribution (assumes no common shock)"
        two_way = self.parameters.get("time_effects")
        return ("Granger tests of each candidate on the transformed headline "
                f"({self.transform}): per unit (statsmodels ssr F-test) and pooled with unit "
                + ("and period " if two_way else "")
                + "fixed effects (F with N - G s - 2k df, s means removed per unit"
                + (", less the period means" if two_way else "") + "); "
                + p_text + "; effect = pooled coefficient of the candidate's lag k; "
                "Benjamini-Hochberg q-values over all candidate x lag tests; best lag: "
                "smallest q, then p, then the lag whose own coefficient stands out most "
                "from its permutation distribution; "
                "reverse test with roles swapped; out-of-sample gain 1 - MSE_u/MSE_r of "
                "rolling-origin one-step pooled forecasts; complete cases per unit")

    @property
    def discovered(self) -> np.ndarray:
        """Boolean (candidates, lags): q-value at or below ``fdr``."""
        return np.nan_to_num(self.q_value, nan=np.inf) <= self.fdr

    @property
    def reverse_warning(self) -> np.ndarray:
        """Boolean (candidates, lags): the headline significantly leads the candidate."""
        return np.nan_to_num(self.reverse_q_value, nan=np.inf) <= self.fdr

    @property
    def sign_conflict(self) -> np.ndarray:
        """Boolean (candidates, lags): the pooled effect and the lagged correlation beside it
        have opposite signs, so neither can be read as the direction of a lead."""
        e, r = np.nan_to_num(self.effect), np.nan_to_num(self.correlation)
        return np.sign(e) * np.sign(r) < 0

    def best_lag_index(self) -> np.ndarray:
        """Per candidate, the index into ``lags`` of its best lag, by the tests: the smallest
        q-value, then the smallest p-value; among lags still tied, the one whose own lag
        (x_(t-k) alone) stands out most from its permutation distribution (``lag_z``);
        then the shortest. A Granger test at lag k contains every shorter lag, so once the
        true lag is reached every longer one passes too: a strong lead ties at the
        permutation floor 1/(B+1) from its lag on, and the joint test cannot say where
        (its F p-value keeps falling as lags absorb noise, drifting to the longest lag)."""
        q = np.nan_to_num(self.q_value, nan=np.inf)
        p = np.nan_to_num(self.p_value, nan=np.inf)
        lags = np.broadcast_to(np.array(self.lags), q.shape)
        z = (np.zeros(q.shape) if self.lag_z is None
             else -np.nan_to_num(np.abs(self.lag_z), nan=-np.inf))
        order = np.lexsort((lags, z, p, q), axis=-1)
        return order[:, 0].copy()

    def _row(self, c: int, j: int) -> dict[str, Any]:
        conflict = bool(self.sign_conflict[c, j])
        return {
            "candidate": self.candidates[c],
            "lag": self.lags[j],
            "transform": self.transforms[self.candidates[c]],
            # An effect whose sign contradicts the correlation beside it is not shown.
            "effect": None if conflict else _num(self.effect[c, j]),
            "correlation": _num(self.correlation[c, j]),
            "sign_conflict": conflict,
            "f_stat": _num(self.f_stat[c, j]),
            "df": [int(self.df_num[c, j]), int(self.df_denom[c, j])],
            "p_value": _num(self.p_value[c, j]),
            "f_p_value": _num(self.f_p_value[c, j]),
            "q_value": _num(self.q_value[c, j]),
            "discovered": bool(self.discovered[c, j]),
            "oos_gain": _num(self.oos_gain[c, j]),
            "oos_p_value": _num(self.oos_p_value[c, j]),
            "sign_agreement": _num(self.sign_agreement[c, j]),
            "reverse_p_value": _num(self.reverse_p_value[c, j]),
            "reverse_f_p_value": _num(self.reverse_f_p_value[c, j]),
            "reverse_q_value": _num(self.reverse_q_value[c, j]),
            "reverse_warning": bool(self.reverse_warning[c, j]),
            "units": int(self.units_used[c, j]),
            "periods": int(self.periods_used[c, j]),
            "observations": int(self.observations[c, j]),
            "reading": lead_reading(self.q_value[c, j], self.oos_gain[c, j],
                                    self.oos_p_value[c, j], self.sign_agreement[c, j],
                                    self.reverse_q_value[c, j], fdr=self.fdr,
                                    sign_conflict=conflict,
                                    f_p_value=self.f_p_value[c, j],
                                    reverse_f_p_value=self.reverse_f_p_value[c, j]),
        }

    def ranked(self) -> list[dict[str, Any]]:
        """One row per candidate at its best lag, most convincing first (q, then p)."""
        best = self.best_lag_index()
        rows = [self._row(c, int(best[c])) for c in range(len(self.candidates))]
        rows.sort(key=lambda r: (_sort_key(r["q_value"]), _sort_key(r["p_value"]),
                                 _sort_key(r["f_p_value"]), r["candidate"]))
        return rows

    def to_dict(self) -> dict[str, Any]:
        """``{headline, transform, results: [...]}`` with one row per candidate and lag."""
        return {
            "headline": self.headline,
            "transform": self.transform,
            "method": self.method,
            "inference": self.inference,
            "parameters": dict(self.parameters),
            "notes": list(self.notes),
            "results": [self._row(c, j) for c in range(len(self.candidates))
                        for j in range(len(self.lags))],
        }


def lead_reading(q_value: float | None, oos_gain: float | None, oos_p_value: float | None,
                 sign_agreement: float | None, reverse_q_value: float | None, *,
                 fdr: float = DEFAULT_FDR, gain_alpha: float = FORECAST_GAIN_ALPHA,
                 min_agreement: float = MIN_SIGN_AGREEMENT,
                 sign_conflict: bool = False, f_p_value: float | None = None,
                 reverse_f_p_value: float | None = None) -> str:
    """One word on a candidate at a lag (a key of LEAD_READINGS), the checks in order.

    A significant Granger test alone is weak evidence across many units: trends shared by
    indicators (the same provinces improving on everything) pass it in both directions. So
    a lead must also point one way (its pooled effect and its lagged correlation agree in
    sign), improve out-of-sample forecasts, agree in sign across most units, and not be
    explained at least as well the other way round (the reverse q-value at or below both
    ``fdr`` and its own q-value; when both q-values are equal, as at the permutation
    floor, the F tests' p-values ``f_p_value`` and ``reverse_f_p_value`` say which way is
    stronger). A forecast gain that cannot be tested (``oos_p_value`` missing: fewer than
    3 forecast origins, as on a short panel) reads ``no_forecast_check``, not ``lead``.
    """
    def missing(x: float | None) -> bool:
        return x is None or not np.isfinite(x)

    if missing(q_value) or q_value > fdr:
        return "no_evidence"
    if sign_conflict:
        return "sign_conflict"
    if missing(oos_p_value) and not (not missing(oos_gain) and oos_gain <= 0):
        return "no_forecast_check"
    if missing(oos_gain) or oos_gain <= 0 or missing(oos_p_value) or oos_p_value > gain_alpha:
        return "no_forecast_gain"
    if missing(sign_agreement) or sign_agreement < min_agreement:
        return "mixed_units"
    if not missing(reverse_q_value) and reverse_q_value <= min(fdr, q_value):
        tied = reverse_q_value == q_value and not missing(f_p_value) \
            and not missing(reverse_f_p_value)
        if not (tied and reverse_f_p_value > f_p_value):
            return "two_way"
    return "lead"


def _num(x: float) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def _sort_key(x: float | None) -> float:
    return np.inf if x is None else x


# --------------------------------------------------------------------------- BH


def bh_q_values(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values (adjusted p-values), any shape; NaN stays NaN and is
    not counted among the tests. q_(i) = min_(j >= i) p_(j) m / j, at most 1."""
    p = np.asarray(p_values, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    finite = np.isfinite(p)
    if np.any((p[finite] < 0) | (p[finite] > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    pf = p[finite]
    m = pf.size
    if m == 0:
        return out
    order = np.argsort(pf, kind="mergesort")
    scaled = pf[order] * m / np.arange(1, m + 1)
    q_sorted = np.minimum.accumulate(scaled[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(q_sorted, 1.0)
    out[finite] = q
    return out


# --------------------------------------------------------------------------- transform


def season_length(period_type: PeriodType | str | None) -> int:
    """Periods in a year for seasonal adjustment (0: none)."""
    if period_type is None:
        return 0
    try:
        return SEASON_LENGTH[PeriodType(period_type)]
    except ValueError:
        raise ValueError(f"period_type must be one of {', '.join(t.value for t in PeriodType)}"
                         f", not {period_type!r}") from None


def transform_series(values: np.ndarray, *, method: Transform = "difference",
                     period_type: PeriodType | str | None = None,
                     name: str = "series") -> tuple[np.ndarray, str]:
    """Transform one panel (units, periods) as the module doc says; returns the transformed
    panel (units, periods - 1) and a description of what was done."""
    v = _panel(values, name)
    m = season_length(period_type)
    if method not in ("difference", "growth", "auto"):
        raise ValueError(f"transform must be 'difference', 'growth' or 'auto', not {method!r}")
    observed = v[np.isfinite(v)]
    if method == "auto":
        method = "growth" if observed.size and np.all(observed > 0) else "difference"
    if method == "growth":
        if np.any(observed <= 0):
            raise Invalid(f"{name}: growth rates need positive values; it has values <= 0 "
                          "(use transform='difference')")
        d = v[:, 1:] / v[:, :-1] - 1.0
        text = "growth rate x_t / x_(t-1) - 1"
    else:
        d = v[:, 1:] - v[:, :-1]
        text = "first difference x_t - x_(t-1)"
    t = d.shape[1]
    with np.errstate(invalid="ignore"), _quiet_mean():
        if m and t >= 2 * m:
            pos = np.arange(t) % m
            means = np.stack([np.nanmean(d[:, pos == s], axis=1) for s in range(m)], axis=1)
            d = d - means[:, pos]
            text += f"; seasonal means (period {m}) removed per unit"
        else:
            d = d - np.nanmean(d, axis=1, keepdims=True)
            if m:
                text += f"; too few periods ({t} < {2 * m}) to remove seasonality"
            text += "; unit means removed"
    return d, text


class _quiet_mean:
    """nanmean of an all-NaN slice warns; an unobserved unit is simply NaN here."""

    def __enter__(self) -> None:
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc: object) -> None:
        self._w.__exit__(*exc)


# --------------------------------------------------------------------------- engine


def _design(y: np.ndarray, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows t = k..T-1 of the lag-k design for y: (C|1, U, T) and x: (C|1, U, T).
    Columns: const, y_(t-1..t-k), x_(t-1..t-k), y_t, x_t (so the reverse test reads the
    same Gram). Rows with any missing entry are zeroed; returns (D, valid)."""
    c = max(y.shape[0], x.shape[0])
    u, t = y.shape[1], y.shape[2]
    n = t - k
    # A row is complete when neither series is missing anywhere in t-k..t: count the
    # missing values in that window from cumulative sums.
    missing = ~(np.isfinite(y) & np.isfinite(x))
    total = np.concatenate([np.zeros((c, u, 1), np.int32),
                            np.cumsum(missing, axis=2, dtype=np.int32)], axis=2)
    valid = (total[:, :, k + 1:] - total[:, :, :n]) == 0
    y0 = np.where(np.isfinite(y), y, 0.0)
    x0 = np.where(np.isfinite(x), x, 0.0)
    d = np.empty((c, u, n, 2 * k + 3))
    d[..., 0] = 1.0
    for j in range(1, k + 1):
        d[..., j] = y0[:, :, k - j:t - j]
        d[..., k + j] = x0[:, :, k - j:t - j]
    d[..., 2 * k + 1] = y0[:, :, k:]
    d[..., 2 * k + 2] = x0[:, :, k:]
    if not valid.all():
        d *= valid[..., None]
    return d, valid


def _solve(a: np.ndarray, b: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Batched a x = b for the matrices where ``ok``; NaN elsewhere and for singular ones."""
    p = a.shape[-1]
    a = np.where(ok[..., None, None], a, np.eye(p))
    b = np.where(ok[..., None], b, 0.0)
    try:
        x = np.linalg.solve(a, b[..., None])[..., 0]
    except np.linalg.LinAlgError:
        # Rare (an exactly collinear design): solve one by one, NaN for the singular ones.
        flat_a, flat_b = a.reshape(-1, p, p), b.reshape(-1, p)
        x = np.empty_like(flat_b)
        for i in range(flat_a.shape[0]):
            try:
                x[i] = np.linalg.solve(flat_a[i], flat_b[i])
            except np.linalg.LinAlgError:
                x[i] = np.nan
        x = x.reshape(b.shape)
    x[~ok] = np.nan
    return x


def _rss(g: np.ndarray, cols: np.ndarray, target: int,
         ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Residual sum of squares and coefficients of ``target`` on ``cols`` from Gram ``g``."""
    a = g[..., cols[:, None], cols]
    b = g[..., cols, target]
    beta = _solve(a, b, ok)
    rss = g[..., target, target] - np.einsum("...i,...i->...", b, beta)
    return rss, beta


def _f_test(rss_r: np.ndarray, rss_u: np.ndarray, k: int,
            df: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        f = (rss_r - rss_u) / k / (rss_u / df)
    f = np.where((df >= 1) & (rss_u > 0), f, np.nan)
    return f, stats.f.sf(f, k, np.where(df >= 1, df, 1))


@dataclass
class _Lag:
    """Statistics of one lag for a batch of candidates (arrays over candidates)."""

    unit_f: np.ndarray
    unit_p: np.ndarray
    unit_df: np.ndarray
    unit_effect: np.ndarray
    unit_cov: np.ndarray
    f: np.ndarray
    p: np.ndarray
    df: np.ndarray
    effect: np.ndarray  # scaled units
    correlation: np.ndarray
    reverse_f: np.ndarray
    reverse_p: np.ndarray
    units: np.ndarray
    periods: np.ndarray
    observations: np.ndarray
    oos_gain: np.ndarray
    oos_forecasts: np.ndarray
    oos_p: np.ndarray
    own_lag: np.ndarray
    rows_per_unit: np.ndarray


def _remove_period_means(panel: np.ndarray) -> tuple[np.ndarray, int]:
    """Each period's mean across the units observed in it, subtracted; with the number of
    those means that are new parameters (periods with data, less one: the unit means
    already sum the rest away)."""
    observed = np.isfinite(panel)
    counts = observed.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, np.nansum(panel, axis=0) / np.maximum(counts, 1), np.nan)
    return panel - means[None, :], max(int((counts > 0).sum()) - 1, 0)


def _lag_stats(y: np.ndarray, x: np.ndarray, k: int, oos_rows: int, means_per_unit: int,
               per_unit: bool = True, period_means: int = 0) -> _Lag:
    """All statistics at lag k; y (1, U, T) the headline, x (C, U, T) the candidates;
    ``means_per_unit`` the means the transform removed from each unit (1, or m seasonal);
    ``period_means`` the further means removed across units (time effects), charged too."""
    d, valid = _design(y, x, k)
    g = np.matmul(d.transpose(0, 1, 3, 2), d)  # (C, U, p, p)
    ty, tx = 2 * k + 1, 2 * k + 2
    own = np.arange(0, k + 1)  # const + y lags
    full = np.arange(0, 2 * k + 1)  # + x lags
    n_unit = g[..., 0, 0]

    c, u = g.shape[0], g.shape[1]
    if per_unit:
        df_unit = n_unit - 2 * k - 1
        ok = df_unit >= MIN_UNIT_DF  # a unit's own test only where it has enough rows
        rss_r, _ = _rss(g, own, ty, ok)
        rss_u, beta = _rss(g, full, ty, ok)
        unit_f, unit_p = _f_test(rss_r, rss_u, k, df_unit)
        unit_effect = np.where(np.isfinite(unit_f), beta[..., k + 1:].sum(axis=-1), np.nan)
    else:
        unit_f = unit_p = unit_effect = np.full((c, u), np.nan)
        df_unit = n_unit - 2 * k - 1
    # Each unit's own covariance of x_(t-k) with y_t on its rows: the sign that agreement
    # compares (a sum of k Granger coefficients is unstable in sign at long lags).
    xk = 2 * k
    with np.errstate(divide="ignore", invalid="ignore"):
        unit_cov = g[..., xk, ty] - g[..., 0, xk] * g[..., 0, ty] / n_unit
    unit_cov = np.where(n_unit >= 3, unit_cov, np.nan)

    # Pooled within (fixed-effects) Gram: each unit's Gram less n * mean mean'.
    used = n_unit >= 2
    s = g[..., 0, 1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        centred = g[..., 1:, 1:] - s[..., :, None] * s[..., None, :] / n_unit[..., None, None]
    w = np.where(used[..., None, None], centred, 0.0).sum(axis=1)  # (C, p-1, p-1)
    n_obs = np.where(used, n_unit, 0).sum(axis=1)
    groups = used.sum(axis=1)
    # Charge the means the transform estimated per unit (the fixed effect is among them):
    # without this, 12 seasonal means on a few years inflate F well beyond its nominal size.
    df_pool = n_obs - groups * means_per_unit - period_means - 2 * k
    ok = df_pool >= MIN_RESIDUAL_DF
    ylag, xlag = np.arange(0, k), np.arange(k, 2 * k)
    wy, wx = ty - 1, tx - 1
    both = np.concatenate([ylag, xlag])
    rss_r, own = _rss(w, ylag, wy, ok)
    rss_u, beta = _rss(w, both, wy, ok)
    f, p = _f_test(rss_r, rss_u, k, df_pool)
    own_lag = own[..., 0]  # the headline's first own-lag coefficient (Nickell's bias)
    # The coefficient of x_(t-k): the headline's change k periods after a unit change of the
    # candidate, other lags held (the sum of all k coefficients flips sign by chance).
    effect = beta[..., 2 * k - 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = w[:, 2 * k - 1, wy] / np.sqrt(w[:, 2 * k - 1, 2 * k - 1] * w[:, wy, wy])
    # Reverse: x_t on x lags, then adding y lags.
    rss_r, _ = _rss(w, xlag, wx, ok)
    rss_u, _ = _rss(w, both, wx, ok)
    rf, rp = _f_test(rss_r, rss_u, k, df_pool)

    periods = (valid & used[..., None]).any(axis=1).sum(axis=-1)
    gain, forecasts, gain_p = _oos(d[..., 1:], valid, g, k, oos_rows)
    return _Lag(unit_f, unit_p, df_unit, unit_effect, unit_cov, f, p, df_pool, effect, corr,
                rf, rp, groups, periods, n_obs, gain, forecasts, gain_p, own_lag,
                n_obs / np.maximum(groups, 1))


def _oos(z: np.ndarray, valid: np.ndarray, g: np.ndarray, k: int,
         oos_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rolling-origin one-step forecasts of y_t (column 2k of z) over the last ``oos_rows``
    rows, pooled fixed-effects models refitted on all earlier rows. z (C, U, n, 2k+2) with
    invalid rows zeroed; g the per-unit Grams of all rows (const first). Returns (gain,
    number of forecasts, Clark-West p-value) per candidate."""
    c, u, n, q = z.shape
    ty = 2 * k
    first = n - oos_rows
    # Training sums at each origin = all rows less the rows from the origin on, so only the
    # forecast rows are touched here: (C, O, U, q), time before unit.
    late = np.ascontiguousarray(z[:, :, first:].transpose(0, 2, 1, 3))
    late_valid = valid[:, :, first:].transpose(0, 2, 1)  # (C, O, U)
    step = np.matmul(late.transpose(0, 1, 3, 2), late)  # (C, O, q, q): one row per unit
    tail = np.cumsum(step[:, ::-1], axis=1)[:, ::-1]  # rows >= origin
    before = g[..., 1:, 1:].sum(axis=1)[:, None] - tail  # pooled raw Gram, rows < origin
    sums = g[:, None, :, 0, 1:] - np.cumsum(late[:, ::-1], axis=1)[:, ::-1]
    count = g[:, None, :, 0, 0] - np.cumsum(late_valid[:, ::-1], axis=1)[:, ::-1]
    has = count >= 1
    inv = np.where(has, 1.0 / np.where(has, count, 1.0), 0.0)  # (C, O, U)
    root = sums * np.sqrt(inv)[..., None]
    w = before - np.matmul(root.transpose(0, 1, 3, 2), root)  # within Gram at each origin
    df = count.sum(axis=2) - has.sum(axis=2) - 2 * k
    ok = df >= 1
    _, beta_r = _rss(w, np.arange(0, k), ty, ok)
    _, beta_u = _rss(w, np.arange(0, 2 * k), ty, ok)
    # Forecast error = (row - unit training mean) . b with b = (-beta, +1 at y_t), both
    # models at once as two columns.
    b = np.zeros((c, oos_rows, q, 2))
    b[:, :, :k, 0] = -np.nan_to_num(beta_r)
    b[:, :, :2 * k, 1] = -np.nan_to_num(beta_u)
    b[:, :, ty, :] = 1.0
    err = np.matmul(late, b) - inv[..., None] * np.matmul(sums, b)  # (C, O, U, 2)
    use = late_valid & has & ok[:, :, None]
    count_f = use.sum(axis=(1, 2))
    sse = np.where(use[..., None], err**2, 0.0).sum(axis=(1, 2))  # (C, 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = np.where((count_f > 0) & (sse[:, 0] > 0), 1.0 - sse[:, 1] / sse[:, 0], np.nan)
    return gain, count_f, _clark_west(err, use)


def _clark_west(err: np.ndarray, use: np.ndarray) -> np.ndarray:
    """One-sided p-value of Clark and West's (2007) test that the larger (nested) model
    forecasts better: f = e_r^2 - e_u^2 + (e_r - e_u)^2 (the last term removes the noise the
    extra, estimated coefficients add under the null). Forecasts of one origin share its
    shocks across units, so f is summed per origin and the t-test runs over origins.
    err (C, O, U, 2): restricted and unrestricted errors; use (C, O, U)."""
    e_r, e_u = err[..., 0], err[..., 1]
    f = np.where(use, e_r**2 - e_u**2 + (e_r - e_u) ** 2, 0.0).sum(axis=2)  # (C, O)
    origins = use.any(axis=2)
    n = origins.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(origins, f, 0.0).sum(axis=1) / n
        var = np.where(origins, (f - mean[:, None]) ** 2, 0.0).sum(axis=1) / (n - 1)
        t = mean / np.sqrt(var / n)
    # Student's t over origins: a short panel has few origins, and the normal would
    # overstate the evidence of 3 or 4 of them.
    p = stats.t.sf(t, np.maximum(n - 1, 1))
    return np.where((n >= 3) & (var > 0), p, np.nan)


# --------------------------------------------------------------------------- common shocks


def pesaran_cd(panel: np.ndarray) -> tuple[float, float, int]:
    """Pesaran's (2004) CD test of cross-sectional dependence on a panel (units, periods),
    NaN for missing: CD = sqrt(1 / P) sum over unit pairs of sqrt(T_ij) rho_ij, rho_ij the
    correlation of units i and j over the T_ij periods both observe (pairs with T_ij >= 3;
    P such pairs; with a balanced panel sqrt(1/P) = sqrt(2 / (N (N - 1)))). N(0, 1) under
    no dependence. Returns (CD, two-sided p-value, pairs)."""
    a = np.asarray(panel, dtype=np.float64)
    m = np.isfinite(a).astype(np.float64)
    v = np.where(m > 0, a, 0.0)
    n = m @ m.T  # periods both observe
    s = v @ m.T  # s[i, j]: sum of unit i over the periods j observes too
    ss = (v * v) @ m.T
    sxy = v @ v.T
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = sxy - s * s.T / n
        var_i = ss - s * s / n
        rho = cov / np.sqrt(var_i * var_i.T)
    iu = np.triu_indices(a.shape[0], 1)
    rho, n = rho[iu], n[iu]
    ok = (n >= 3) & np.isfinite(rho)
    pairs = int(ok.sum())
    if pairs == 0:
        return float("nan"), float("nan"), 0
    cd = float(np.sum(np.sqrt(n[ok]) * rho[ok]) / np.sqrt(pairs))
    return cd, float(2 * stats.norm.sf(abs(cd))), pairs


def permutation_pairings(units: int, permutations: int,
                         seed: int = 0) -> tuple[np.ndarray, bool]:
    """The re-pairings of candidate units with headline units: row b, position i is the
    candidate unit paired with headline unit i. Every permutation when there are at most
    ``permutations + 1`` of them (exact: the observed pairing is among them), else
    ``permutations`` drawn at random (seeded: the same data give the same p-values).
    Returns (pairings, exact)."""
    if math.factorial(units) <= permutations + 1:
        return np.array(list(itertools.permutations(range(units))), dtype=np.int64), True
    rng = np.random.default_rng(seed)
    return np.argsort(rng.random((permutations, units)), axis=1), False


def _standardise(panel: np.ndarray) -> np.ndarray:
    """Each unit's series over its standard deviation, missing values as 0 (the unit's
    mean, since the transform removed it): units of different sizes become exchangeable."""
    with _quiet_mean():
        sd = np.nanstd(panel, axis=-1, keepdims=True)
    sd = np.where(np.isfinite(sd) & (sd > 0), sd, 1.0)
    return np.where(np.isfinite(panel), panel / sd, 0.0)


def _own_lag_residuals(z: np.ndarray, observed: np.ndarray, k: int) -> np.ndarray:
    """z (C, U, T) standardised: residuals (C, U, T - k) of the pooled regression of z_t on
    z_(t-1..t-k) (common slopes per C), 0 where z_t was not observed."""
    t = z.shape[-1]
    lags = np.stack([z[..., k - a:t - a] for a in range(1, k + 1)], axis=-1)  # (C, U, n, k)
    now = z[..., k:]
    c, u, n = now.shape
    flat = lags.reshape(c, u * n, k)
    a = np.matmul(flat.transpose(0, 2, 1), flat)
    b = np.matmul(flat.transpose(0, 2, 1), now.reshape(c, u * n, 1))[..., 0]
    beta = np.stack([np.linalg.lstsq(a[i], b[i], rcond=None)[0] for i in range(len(a))])
    e = now - np.matmul(flat, beta[..., None]).reshape(c, u, n)
    return np.where(observed[..., k:], e, 0.0)


def _pairing_matrix(pairings: np.ndarray) -> sparse.csr_matrix:
    """(B, U*U) 0/1: row b picks the cross-product (j, i) of each pair in pairing b."""
    b_count, u = pairings.shape
    return sparse.csr_matrix((np.ones(b_count * u), (np.repeat(np.arange(b_count), u),
                                                     (pairings * u + np.arange(u)).ravel())),
                             shape=(b_count, u * u))


def _permutation_p(dep: np.ndarray, dep_observed: np.ndarray, reg: np.ndarray, k: int,
                   pairings: np.ndarray | sparse.csr_matrix, exact: bool, max_pairings: int = 0,
                   seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Permutation p-value at lag k of "the regressor's lags predict the dependent series,
    unit by unit", for every candidate: dep (Cd, U, T) and reg (Cr, U, T) standardised
    (Cd or Cr is 1: the headline, shared), Cd/Cr broadcast to C.

    Statistic, for a pairing pi of regressor units with dependent units: the explained sum
    of squares S = v' G^-1 v of the regression of the dependent series' own-lag residuals e
    on the regressor's k lags, v = sum_i X_pi(i)' e_i, G = sum_j X_j' X_j (the same for
    every pairing: each regressor unit is used once). The cross-products X_j' e_i of every
    pair of units are made once; each pairing is then a sum of U of them.
    p = (1 + #{S_pi >= S_observed}) / (B + 1) over random pairings; over every pairing
    (observed included) p = #{S_pi >= S_observed} / U!. A test with fewer than
    REFINE_EXCEEDANCES pairings at or above the observed statistic draws more, in chunks,
    up to ``max_pairings`` in all (a p-value near the floor is otherwise too coarse for a
    false discovery rate over many tests; Besag and Clifford 1991); the first B are always
    the same, so a refined p-value extends the unrefined one. Returns (p, z): z the lag-k
    column's own standing against the first B pairings."""
    e = _own_lag_residuals(dep, dep_observed, k)  # (Cd, U, n)
    t = reg.shape[-1]
    lags = [reg[..., k - a:t - a] for a in range(1, k + 1)]  # each (Cr, U, n)
    c = max(e.shape[0], reg.shape[0])
    u = e.shape[1]
    stacked = np.stack(lags, axis=-1).reshape(reg.shape[0], -1, k)  # (Cr, U n, k)
    g = np.matmul(stacked.transpose(0, 2, 1), stacked)
    # ``pairings`` as (B, U) unit indices, or already as _pairing_matrix (made once).
    flat = pairings if sparse.issparse(pairings) else _pairing_matrix(pairings)
    b_count = flat.shape[0]
    crosses = []
    v = np.empty((c, b_count, k))
    v_obs = np.empty((c, k))
    n = e.shape[-1]
    for a in range(k):
        # cross[c, j, i] = X_j(lag a)' e_i for every regressor unit j and dependent unit i,
        # as one matrix product (the shared side, headline, on the right or the left).
        if e.shape[0] == 1:
            cross = (np.ascontiguousarray(lags[a]).reshape(-1, n) @ e[0].T).reshape(c, u, u)
        elif lags[a].shape[0] == 1:
            cross = (lags[a][0] @ e.reshape(-1, n).T).reshape(u, c, u).transpose(1, 0, 2)
        else:
            cross = np.matmul(lags[a], e.transpose(0, 2, 1))
        v_obs[:, a] = np.trace(cross, axis1=1, axis2=2)
        flat_cross = cross.reshape(c, u * u).T  # (U*U, C)
        v[:, :, a] = (flat @ flat_cross).T
        crosses.append(flat_cross)
    g = np.broadcast_to(g, (c, k, k))
    ginv = np.linalg.pinv(g)
    s_obs = np.einsum("ci,cij,cj->c", v_obs, ginv, v_obs)
    s_perm = np.einsum("cbi,cij,cbj->cb", v, ginv, v)
    above = (s_perm >= s_obs[:, None] * (1 - 1e-12)).sum(axis=1)
    total = np.full(c, b_count)
    chunk = 0
    while not exact:
        refine = np.flatnonzero((above < REFINE_EXCEEDANCES) & (total < max_pairings)
                                & np.isfinite(s_obs))
        if refine.size == 0:
            break
        chunk += 1
        rng = np.random.default_rng([seed, chunk])
        size = int(min(REFINE_CHUNK, max_pairings - total[refine].max()))  # all alike
        more = _pairing_matrix(np.argsort(rng.random((size, u)), axis=1))
        vm = np.stack([(more @ crosses[a][:, refine]).T for a in range(k)], axis=-1)
        sm = np.einsum("cbi,cij,cbj->cb", vm, ginv[refine], vm)
        above[refine] += (sm >= s_obs[refine, None] * (1 - 1e-12)).sum(axis=1)
        total[refine] += size
    p = above / b_count if exact else (1 + above) / (total + 1)
    # The lag-k column alone, against its own permutation distribution: how far the
    # own-unit pairing stands out at exactly this lag (chooses among tied lags).
    last = v[:, :, k - 1] / np.sqrt(g[:, k - 1, k - 1])[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (v_obs[:, k - 1] / np.sqrt(g[:, k - 1, k - 1]) - last.mean(axis=1)) / last.std(axis=1)
    return np.where(np.isfinite(s_obs), p, np.nan), z


# --------------------------------------------------------------------------- entry point


def minimum_periods(max_lag: int, units: int, *, means_per_unit: int = 1,
                    time_effects: bool = True) -> int:
    """The fewest periods (before the transform) a panel of ``units`` units needs for the
    pooled test at lag ``max_lag``: every unit keeps MIN_ROWS_PER_UNIT rows after the
    difference and the lags, and the pooled regression keeps MIN_RESIDUAL_DF residual
    degrees of freedom after its parameters (a mean per unit and per removed season, a
    mean per period with time effects, 2 max_lag slopes)."""
    if units < 1 or max_lag < 1:
        raise ValueError("units and max_lag must be at least 1")
    periods = max_lag + 1 + MIN_ROWS_PER_UNIT
    while True:
        t = periods - 1
        df = (units * (t - max_lag) - units * means_per_unit
              - ((t - max_lag - 1) if time_effects else 0) - 2 * max_lag)
        if df >= MIN_RESIDUAL_DF:
            return periods
        periods += 1


def leads(headline: np.ndarray, candidates: Mapping[str, np.ndarray], *,
          headline_code: str = "headline", max_lag: int = 4,
          period_type: PeriodType | str | None = None, transform: Transform = "difference",
          fdr: float = DEFAULT_FDR, oos_fraction: float = DEFAULT_OOS_FRACTION,
          units: Sequence[str] | None = None, time_effects: bool | Literal["auto"] = "auto",
          inference: Inference = "permutation", permutations: int = DEFAULT_PERMUTATIONS,
          max_permutations: int | None = None, seed: int = 0) -> LeadResult:
    """Test every candidate as a lead of ``headline`` at lags 1..``max_lag`` (module doc).

    ``headline`` and each candidate: arrays (units, periods), NaN where missing, on the
    same units and periods. ``period_type`` (e.g. "month") sets the seasonal adjustment.
    ``oos_fraction``: the share of the transformed periods forecast out of sample.
    ``time_effects``: remove each period's mean across units (two-way fixed effects);
    "auto" (default) does so when Pesaran's CD test finds common shocks in the headline.
    ``inference``: "permutation" (default; ``permutations`` random re-pairings of units,
    seeded by ``seed``, more for a test near the floor, up to ``max_permutations``: by
    default enough for the false discovery rate over every test, see REFINE_EXCEEDANCES)
    or "f" (the pooled F distribution, which assumes no common shock).
    """
    if not isinstance(headline_code, str) or not headline_code:
        raise ValueError("headline_code must be a non-empty string")
    y_raw = _panel(headline, f"headline '{headline_code}'")
    if not isinstance(candidates, Mapping) or not candidates:
        raise ValueError("candidates must be a non-empty mapping of code -> (units, periods) "
                         "array")
    codes = tuple(candidates)
    for code in codes:
        if not isinstance(code, str) or not code:
            raise ValueError(f"candidate codes must be non-empty strings, not {code!r}")
        if code == headline_code:
            raise Invalid(f"candidate '{code}' is the headline itself")
    if isinstance(max_lag, bool) or not isinstance(max_lag, int | np.integer) or max_lag < 1:
        raise Invalid(f"max_lag must be a positive whole number, not {max_lag!r}")
    max_lag = int(max_lag)
    if not (isinstance(fdr, float | int) and 0 < fdr < 1):
        raise Invalid(f"fdr must be between 0 and 1, not {fdr!r}")
    if not (isinstance(oos_fraction, float | int) and 0 < oos_fraction < 1):
        raise Invalid(f"oos_fraction must be between 0 and 1, not {oos_fraction!r}")
    if time_effects not in (True, False, "auto"):
        raise Invalid(f"time_effects must be True, False or 'auto', not {time_effects!r}")
    if inference not in ("permutation", "f"):
        raise Invalid(f"inference must be 'permutation' or 'f', not {inference!r}")
    if isinstance(permutations, bool) or not isinstance(permutations, int | np.integer) \
            or permutations < 19:
        raise Invalid(f"permutations must be a whole number of at least 19, not "
                      f"{permutations!r}")
    if max_permutations is not None and (isinstance(max_permutations, bool) or not isinstance(
            max_permutations, int | np.integer) or max_permutations < permutations):
        raise Invalid(f"max_permutations must be a whole number at least permutations "
                      f"({permutations}), not {max_permutations!r}")
    n_units, n_periods = y_raw.shape
    if units is not None and len(units) != n_units:
        raise ValueError(f"units has {len(units)} codes but the headline has {n_units} rows")
    t = n_periods - 1  # after the transform
    if t - max_lag < MIN_ROWS_PER_UNIT:
        raise Invalid(f"{n_periods} periods are too few for max_lag {max_lag}: each unit "
                      f"needs {MIN_ROWS_PER_UNIT} rows after the difference and the lags, "
                      f"so at least {max_lag + 1 + MIN_ROWS_PER_UNIT} periods")
    y, y_text = transform_series(y_raw, method=transform, period_type=period_type,
                                 name=f"headline '{headline_code}'")
    xs, texts = [], {headline_code: y_text}
    for code in codes:
        raw = _panel(candidates[code], f"candidate '{code}'")
        if raw.shape != y_raw.shape:
            raise ValueError(f"candidate '{code}' has shape {raw.shape}, the headline "
                             f"{y_raw.shape} (units, periods): they must match")
        x, texts[code] = transform_series(raw, method=transform, period_type=period_type,
                                          name=f"candidate '{code}'")
        xs.append(x)
    x_all = np.stack(xs)
    notes: list[str] = []
    cd, cd_p, cd_pairs = pesaran_cd(y) if n_units >= 2 else (float("nan"), float("nan"), 0)
    if time_effects == "auto":
        two_way = bool(n_units >= 3 and np.isfinite(cd_p) and cd_p <= CD_ALPHA)
        p_text = "p < 0.0001" if cd_p < 1e-4 else f"p = {cd_p:.2g}"
        choice = (f"auto: Pesaran's CD test on the transformed headline, CD = {cd:.2f}, "
                  f"{p_text}: " + ("common shocks found, time effects removed"
                                         if two_way else "no common shock found at "
                                         f"{CD_ALPHA:g}, unit effects only"))
    else:
        two_way = bool(time_effects)
        choice = "time effects " + ("removed" if two_way else "not removed") + " as asked"
    period_means = 0
    if two_way:
        if n_units < 3:
            raise Invalid(f"time effects need at least 3 units, not {n_units}: with fewer "
                          "the period means leave almost nothing to test")
        y, period_means = _remove_period_means(y)
        x_all = np.stack([_remove_period_means(x)[0] for x in x_all])
        note = "; then each period's mean across units removed (time effects)"
        texts = {code: text + note for code, text in texts.items()}
        y_text += note
    # Scale per series (statistics unchanged; coefficients rescaled below) for conditioning.
    y_scale = _scale(y)
    x_scale = np.array([_scale(x) for x in x_all])
    ys = (y / y_scale)[None]
    xs_scaled = x_all / x_scale[:, None, None]

    lags = tuple(range(1, max_lag + 1))
    m = season_length(period_type)
    means_per_unit = m if m and t >= 2 * m else 1
    # Forecast the last rows, keeping at least 2 training rows per unit at the longest lag.
    oos_rows = max(1, min(int(round(oos_fraction * t)), t - max_lag - 2))
    out = _allocate(len(codes), max_lag, n_units)
    per_candidate = n_units * t * (2 * max_lag + 3) * 8 * 3
    step = max(1, _CHUNK_BYTES // per_candidate)
    for start in range(0, len(codes), step):
        block = slice(start, min(start + step, len(codes)))
        for j, k in enumerate(lags):
            r = _lag_stats(ys, xs_scaled[block], k, oos_rows, means_per_unit,
                           period_means=period_means)
            for name, value in vars(r).items():
                out[name][block, j] = value
    f_p, f_rp = out["p"], out["reverse_p"]
    tested = np.isfinite(f_p)

    use_perm = inference == "permutation" and n_units >= MIN_PERMUTATION_UNITS
    params_extra: dict[str, Any] = {}
    lag_z = None
    if use_perm:
        pairings, exact = permutation_pairings(n_units, int(permutations), seed)
        b = len(pairings)
        flat = _pairing_matrix(pairings)
        zy, zx = _standardise(y)[None], _standardise(x_all)
        obs_y, obs_x = np.isfinite(y)[None], np.isfinite(x_all)
        p, rp = np.full(f_p.shape, np.nan), np.full(f_p.shape, np.nan)
        lag_z = np.full(f_p.shape, np.nan)
        # Bound the (candidates, units, units) cross-products of every lag held at once.
        step = max(1, _CHUNK_BYTES // (n_units * n_units * 8 * (max_lag + 1)))
        for start in range(0, len(codes), step):
            block = slice(start, min(start + step, len(codes)))
            for j, k in enumerate(lags):
                p[block, j], lag_z[block, j] = _permutation_p(
                    zy, obs_y, zx[block], k, flat, exact, b, seed)
                rp[block, j] = _permutation_p(zx[block], obs_x[block], zy, k, flat,
                                              exact, b, seed)[0]
        # Refine the p-values near the floor (fewer than REFINE_EXCEEDANCES re-pairings beat
        # them): enough re-pairings that r such tests among m can pass BH at fdr, with
        # room (10 m / (fdr r); a lead strong at one lag only, r = 1, gets 10 m / fdr).
        most = {}
        for name, pv in (("forward", p), ("reverse", rp)):
            near = np.isfinite(pv) & tested & (pv <= REFINE_EXCEEDANCES / (b + 1))
            m = int((np.isfinite(pv) & tested).sum())
            most[name] = (int(max_permutations) if max_permutations is not None else min(
                MAX_PERMUTATIONS, max(b, math.ceil(10 * m / (fdr * max(int(near.sum()), 1))))))
            if exact or most[name] <= b:
                continue
            for j, k in enumerate(lags):
                sel = np.flatnonzero(near[:, j])
                for start in range(0, sel.size, step):
                    part = sel[start:start + step]
                    if name == "forward":
                        pv[part, j] = _permutation_p(zy, obs_y, zx[part], k, flat, exact,
                                                     most[name], seed)[0]
                    else:
                        pv[part, j] = _permutation_p(zx[part], obs_x[part], zy, k, flat,
                                                     exact, most[name], seed)[0]
        most, most_reverse = most["forward"], most["reverse"]
        p = np.where(tested, p, np.nan)
        rp = np.where(tested, rp, np.nan)
        how = (f"all {len(pairings):,} pairings" if exact
               else f"{len(pairings):,} random pairings, seed {seed}")
        if not exact and most > len(pairings):
            how += f", up to {most:,} where fewer than {REFINE_EXCEEDANCES} beat the observed"
        params_extra = {"permutations": len(pairings), "permutations_exact": exact,
                        "max_permutations": len(pairings) if exact else max(most, b),
                        "max_permutations_reverse": len(pairings) if exact
                        else max(most_reverse, b),
                        "permutations_text": how, "seed": seed}
        floor = 1 / len(pairings) if exact else 1 / (max(most, len(pairings)) + 1)
        notes.append(f"p-values by permutation across units ({how}): the smallest possible "
                     f"is {floor:.2g}; a lead is evidence that each unit's candidate predicts "
                     "its own headline better than another unit's does, so a movement every "
                     "unit shares (a season, a national shock) is not counted as a lead")
    else:
        p, rp = f_p, f_rp
        if inference == "permutation":
            notes.append(f"{n_units} units are too few to permute (at least "
                         f"{MIN_PERMUTATION_UNITS}): p-values from the F distribution, which "
                         "assumes no shock common to the units beyond the time effects")
    if not tested.all():
        short = sorted({lags[j] for j in np.argwhere(~tested)[:, 1]})
        notes.append(f"lags {', '.join(map(str, short))} not tested: fewer than "
                     f"{MIN_RESIDUAL_DF} residual degrees of freedom in the pooled regression")
    rows = out["rows_per_unit"][:, 0]
    rows = float(np.nanmin(rows)) if np.isfinite(rows).any() else float("nan")
    rho = out["own_lag"][:, 0]
    rho = float(np.nanmedian(rho)) if np.isfinite(rho).any() else float("nan")
    nickell = -(1 + rho) / (rows - 1) if rows > 1 and np.isfinite(rho) else float("nan")
    if np.isfinite(nickell) and rows < SHORT_PANEL_ROWS:
        notes.append(f"short panel ({rows:.0f} periods per unit in the regression at lag 1): "
                     f"the headline's own-lag coefficient ({rho:.2f}) is biased by about "
                     f"-(1 + rho) / (T - 1) = {nickell:.2f} (Nickell 1981), so its size is "
                     "not to be read; the test of the candidate's lags remains a valid screen")

    ratio = (y_scale / x_scale)[:, None]
    effect = out["effect"] * ratio
    unit_effect = out["unit_effect"] * ratio[..., None]
    return LeadResult(
        headline=headline_code, candidates=codes, lags=lags, transform=y_text,
        transforms=texts, fdr=float(fdr), effect=effect, correlation=out["correlation"],
        f_stat=out["f"], df_num=np.broadcast_to(np.array(lags), p.shape).copy(),
        df_denom=out["df"].astype(int), p_value=p, q_value=bh_q_values(p),
        reverse_f_stat=out["reverse_f"], reverse_p_value=rp, reverse_q_value=bh_q_values(rp),
        oos_gain=out["oos_gain"], oos_forecasts=out["oos_forecasts"].astype(int),
        oos_p_value=out["oos_p"],
        sign_agreement=_agreement(out["unit_cov"], out["correlation"]),
        units_used=out["units"].astype(int), periods_used=out["periods"].astype(int),
        observations=out["observations"].astype(int), unit_f_stat=out["unit_f"],
        unit_p_value=out["unit_p"], unit_df_denom=out["unit_df"].astype(int),
        unit_effect=unit_effect, f_p_value=f_p, reverse_f_p_value=f_rp, lag_z=lag_z,
        inference="permutation" if use_perm else "f", notes=notes,
        parameters={"max_lag": max_lag, "period_type": None if period_type is None
                    else str(PeriodType(period_type)), "transform": transform, "fdr": fdr,
                    "oos_fraction": oos_fraction, "oos_rows": oos_rows,
                    "means_per_unit": means_per_unit, "time_effects": two_way,
                    "time_effects_choice": choice, "cd_statistic": _num(cd),
                    "cd_p_value": _num(cd_p), "cd_pairs": cd_pairs,
                    "period_means_charged": period_means, "inference_asked": inference,
                    "min_residual_df": MIN_RESIDUAL_DF, "min_unit_df": MIN_UNIT_DF,
                    "own_lag_coefficient": _num(rho), "nickell_bias": _num(nickell),
                    "units": list(units) if units is not None else n_units,
                    "periods": n_periods, **params_extra},
    )


def _allocate(c: int, lags: int, units: int) -> dict[str, np.ndarray]:
    shapes = {"unit_f": 3, "unit_p": 3, "unit_df": 3, "unit_effect": 3, "unit_cov": 3}
    return {name: np.full((c, lags, units) if shapes.get(name) else (c, lags), np.nan)
            for name in _Lag.__dataclass_fields__}


def _agreement(unit_effect: np.ndarray, effect: np.ndarray) -> np.ndarray:
    finite = np.isfinite(unit_effect)
    same = (np.sign(unit_effect) == np.sign(effect)[..., None]) & finite
    n = finite.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = same.sum(axis=-1) / n
    return np.where((n > 0) & np.isfinite(effect) & (effect != 0), share, np.nan)


def _scale(x: np.ndarray) -> float:
    with _quiet_mean():
        s = float(np.nanstd(x))
    return s if np.isfinite(s) and s > 0 else 1.0


def _panel(values: Any, name: str) -> np.ndarray:
    try:
        a = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: values must be numbers (NaN for missing)") from None
    if a.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D array (units, periods), got {a.ndim}-D")
    if a.shape[0] < 1 or a.shape[1] < 2:
        raise ValueError(f"{name}: needs at least 1 unit and 2 periods, got shape {a.shape}")
    if np.isinf(a).any():
        i, t = np.argwhere(np.isinf(a))[0]
        raise Invalid(f"{name}: infinite value at unit row {i}, period column {t}")
    return a
