"""Outlier detection in submitted data, against each unit's own history (DHIS2's methods).

Numbers in, numbers out (docs/providers.md says it in words). Every new value is set
against the stored values of the same indicator at the same unit over the previous
``window`` periods, by ``z_score``, ``modified_z`` (the default), ``min_max_generated`` or
``min_max_explicit``, and the result names the method, threshold, window, value, centre,
spread, bounds and, where no normal judgement was made, the ``reason``.

An outlier is a *question* for the data provider, never a rejection. This module only scores
and flags; the caller turns a flag into a warning (e.g. an intake finding with severity
"warning") that asks the provider to check the value, and still accepts the submission.

The window, each method and how it differs from DHIS2: docs/methods/quality.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import polars as pl

from stocktake.errors import Invalid

KEYS = ("indicator", "unit")
COLUMNS = ("indicator", "unit", "period_ordinal", "value")
RANGE_COLUMNS = ("indicator", "unit", "min", "max")
METHODS = ("z_score", "modified_z", "min_max")
DEFAULT_THRESHOLDS = {"z_score": 3.0, "modified_z": 3.5}
MODIFIED_Z_CONSTANT = 0.6745  # the 0.75 normal quantile: MAD / 0.6745 estimates sd if normal
RESULT_COLUMNS = (
    "indicator",
    "unit",
    "period_ordinal",
    "value",
    "method",
    "threshold",
    "window",
    "n_history",
    "centre",
    "spread",
    "lower",
    "upper",
    "score",
    "flagged",
    "reason",
    "warning",
)
MIN_MAX_WARNING = (
    "generated min-max range (mean +/- k sd): it assumes a steady, roughly normal series. On "
    "seasonal series it flags ordinary peaks and troughs; on zero-inflated series (mostly "
    "zeros) the range is narrow around a small mean and flags ordinary non-zero values."
)
_CHUNK_CELLS = 1_000_000  # window-matrix cells per chunk (8 MB of float64)


def check_values(
    new: pl.DataFrame,
    history: pl.DataFrame,
    *,
    method: str = "modified_z",
    threshold: float | None = None,
    window: int = 36,
    min_history: int = 6,
    k: float = 2.0,
    ranges: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Score each new value against its unit's own history; one result row per new value.

    ``new`` and ``history`` have columns indicator, unit, period_ordinal (integer), value
    (numeric); ``history`` holds one current value per indicator, unit and period.
    ``ranges`` (method "min_max" only) has indicator, unit, min, max. ``threshold`` defaults
    to 3.0 (z_score) or 3.5 (modified_z); min_max uses ``k`` instead. Result columns are
    ``RESULT_COLUMNS``, rows in the order of ``new``. See the module docstring for the rules.
    A wrong parameter (a submitter's choice of method, say) is ``Invalid``; frames of the
    wrong columns or types are a ValueError: the caller built them.
    """
    method, threshold = _check_parameters(method, threshold, window, min_history, k, ranges)
    q = _validated(new, "new", COLUMNS)
    key_types = {c: q.schema[c] for c in KEYS}
    h = _validated(history, "history", COLUMNS, key_types)

    # Series ids in key order, so that new values sorted by key are searched in order.
    keys = q.select(KEYS).unique().sort(list(KEYS)).with_row_index("_sid")
    q = q.with_row_index("_row").join(keys, on=list(KEYS), how="left").sort("_row")
    h_ids = (
        h.lazy()
        .with_row_index("_hrow")
        # Only series in `new`; any order (sorted below), as keeping it costs more than sorting.
        .join(keys.lazy(), on=list(KEYS), how="inner")
        .filter(pl.col("value").is_not_null())
        .select("_hrow", "_sid", "period_ordinal", "value")
        .collect()
    )
    n, lo, hx = _windows(
        q["_sid"].to_numpy(), q["period_ordinal"].to_numpy(), h_ids, h, window, len(keys)
    )
    if method == "min_max" and ranges is not None:
        r = _validated_ranges(ranges, key_types)
        q = q.join(r, on=list(KEYS), how="left").sort("_row")
        explicit = q["_min"].is_not_null().to_numpy()
    else:
        q = q.with_columns(_min=pl.lit(None, pl.Float64), _max=pl.lit(None, pl.Float64))
        explicit = np.zeros(q.height, dtype=bool)

    needs_stats = (n >= min_history) & ~explicit
    centre, spread = _window_statistics(hx, lo, n, needs_stats, robust=method == "modified_z")
    q = q.with_columns(
        n_history=pl.Series(n, dtype=pl.Int64),
        centre=pl.Series(centre, nan_to_null=True),
        spread=pl.Series(spread, nan_to_null=True),
        _explicit=pl.Series(explicit),
    )
    return _judge(q, method, threshold, window, min_history, k)


def _check_parameters(
    method: str,
    threshold: float | None,
    window: int,
    min_history: int,
    k: float,
    ranges: pl.DataFrame | None,
) -> tuple[str, float | None]:
    if method not in METHODS:
        raise Invalid(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise Invalid(f"window must be a whole number of periods >= 1; got {window!r}")
    if isinstance(min_history, bool) or not isinstance(min_history, int) or min_history < 1:
        raise Invalid(f"min_history must be a whole number >= 1; got {min_history!r}")
    if min_history > window:
        raise Invalid(
            f"min_history ({min_history}) is larger than window ({window}): no value could "
            "ever be judged"
        )
    if method == "min_max":
        if threshold is not None:
            raise Invalid("threshold does not apply to method 'min_max': set k instead")
        if not _positive(k):
            raise Invalid(f"k must be a positive number of standard deviations; got {k!r}")
        return method, None
    if ranges is not None:
        raise Invalid(f"ranges apply only to method 'min_max', not {method!r}")
    if threshold is None:
        return method, DEFAULT_THRESHOLDS[method]
    if not _positive(threshold):
        raise Invalid(f"threshold must be a positive number; got {threshold!r}")
    return method, float(threshold)


def _positive(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) and x > 0


def _validated(
    frame: object,
    name: str,
    columns: tuple[str, ...],
    key_types: Mapping[str, pl.DataType] | None = None,
) -> pl.DataFrame:
    """The needed columns, checked: keys present and typed alike, numbers finite or missing."""
    if not isinstance(frame, pl.DataFrame):
        raise ValueError(f"{name} must be a polars DataFrame; got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{name} is missing column(s) {', '.join(missing)}; expected {', '.join(columns)}"
        )
    f = frame.select(columns)
    if key_types:
        for c, dtype in key_types.items():
            if f.schema[c] != dtype:
                try:
                    f = f.with_columns(pl.col(c).cast(dtype, strict=True))
                except Exception as exc:  # polars raises several kinds of cast error
                    raise ValueError(
                        f"{name}.{c} has type {f.schema[c]}, which does not match new.{c} ({dtype})"
                    ) from exc
    numbers = [c for c in columns if c not in KEYS and c != "period_ordinal"]
    for c in columns:
        dtype = f.schema[c]
        if c == "period_ordinal" and not (dtype.is_integer() or dtype == pl.Null):
            raise ValueError(
                f"{name}.period_ordinal must hold integer period ordinals; got type {dtype}"
            )
        if c in numbers and not (dtype.is_numeric() or dtype == pl.Null):
            raise ValueError(f"{name}.{c} must be numeric; got type {dtype}")
    for c in (c for c in columns if c not in numbers):
        if f[c].null_count():
            row = f[c].is_null().arg_true()[0]
            raise ValueError(f"{name}.{c} is empty at row {row} (0-based)")
    f = f.with_columns(
        *(pl.col(c).cast(pl.Int64) for c in columns if c == "period_ordinal"),
        *(pl.col(c).cast(pl.Float64).fill_nan(None) for c in numbers),
    )
    for c in numbers:
        bad = f[c].is_infinite().fill_null(False)
        if bad.any():
            row = bad.arg_true()[0]
            raise ValueError(f"{name}.{c} is not finite at row {row} (0-based): {f[c][row]}")
    return f


def _validated_ranges(ranges: pl.DataFrame, key_types: Mapping[str, pl.DataType]) -> pl.DataFrame:
    r = _validated(ranges, "ranges", RANGE_COLUMNS, key_types)
    for c in ("min", "max"):
        if r[c].null_count():
            row = r[c].is_null().arg_true()[0]
            raise ValueError(f"ranges.{c} is empty at row {row} (0-based)")
    reversed_ = (r["min"] > r["max"]).arg_true()
    if len(reversed_):
        row = reversed_[0]
        raise ValueError(
            f"ranges row {row} (0-based) has min {r['min'][row]} > max {r['max'][row]}"
        )
    dup = r.select(KEYS).is_duplicated().arg_true()
    if len(dup):
        row = dup[0]
        raise ValueError(
            f"ranges has more than one range for indicator {r['indicator'][row]!r}, unit "
            f"{r['unit'][row]!r} (row {row}, 0-based)"
        )
    return r.rename({"min": "_min", "max": "_max"})


def _windows(
    q_sid: np.ndarray,
    q_p: np.ndarray,
    h: pl.DataFrame,
    history: pl.DataFrame,
    window: int,
    n_series: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each new value: how many history values its window holds, and where they start.

    History is sorted on one integer key, series x stride + period, so each window is a
    contiguous slice found by two binary searches (no per-row or per-series loop).
    """
    nq = len(q_sid)
    if h.height == 0 or nq == 0:
        return np.zeros(nq, np.int64), np.zeros(nq, np.int64), np.zeros(0)
    h_sid = h["_sid"].to_numpy().astype(np.int64)
    h_p = h["period_ordinal"].to_numpy()
    # Shift periods so p - window >= 1: a window then never reaches the previous series' keys.
    base = min(int(q_p.min()), int(h_p.min())) - window - 1
    stride = max(int(q_p.max()), int(h_p.max())) - base + 1
    if stride * n_series >= 2**62:
        raise ValueError(
            "period_ordinal spans too wide a range to index; expected period ordinals "
            "(e.g. stocktake's Period.ordinal), not timestamps"
        )
    h_key = h_sid * stride + (h_p - base)
    order = None
    if np.any(h_key[1:] < h_key[:-1]):
        order = np.argsort(h_key, kind="stable")
        h_key = h_key[order]
    same = np.flatnonzero(h_key[1:] == h_key[:-1])
    if len(same):
        # Two stored values for one period would make the window ambiguous: refuse them.
        pair = [same[0], same[0] + 1] if order is None else order[[same[0], same[0] + 1]]
        rows = sorted(int(h["_hrow"][int(i)]) for i in pair)
        first = history.row(rows[0], named=True)
        raise ValueError(
            f"history has more than one value for indicator {first['indicator']!r}, unit "
            f"{first['unit']!r}, period_ordinal {first['period_ordinal']} (rows {rows[0]} "
            f"and {rows[1]}, 0-based): pass one current value per period"
        )
    hx = h["value"].to_numpy()
    if order is not None:
        hx = hx[order]
    q_key = q_sid.astype(np.int64) * stride + (q_p - base)
    # Binary search is much faster on sorted needles (cache locality): search in key order.
    q_order = np.argsort(q_key) if np.any(q_key[1:] < q_key[:-1]) else np.arange(nq)
    lo = np.empty(nq, np.int64)
    hi = np.empty(nq, np.int64)
    lo[q_order] = np.searchsorted(h_key, q_key[q_order] - window, side="left")
    hi[q_order] = np.searchsorted(h_key, q_key[q_order], side="left")  # not its own period
    return hi - lo, lo, hx


def _window_statistics(
    hx: np.ndarray, lo: np.ndarray, n: np.ndarray, needed: np.ndarray, *, robust: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and population sd, or median and MAD, of each needed window (NaN elsewhere).

    Windows are gathered into a rows x width matrix, in chunks to bound memory.
    """
    centre = np.full(len(n), np.nan)
    spread = np.full(len(n), np.nan)
    rows = np.flatnonzero(needed)
    if len(rows) == 0:
        return centre, spread
    width = int(n[rows].max())
    step = max(1, _CHUNK_CELLS // width)
    for start in range(0, len(rows), step):
        idx = rows[start : start + step]
        m = n[idx]
        cols = np.arange(int(m.max()))
        valid = cols < m[:, None]
        x = hx[np.where(valid, lo[idx, None] + cols, 0)]
        if robust:
            x = np.where(valid, x, np.nan)
            med = _row_medians(np.sort(x, axis=1), m)  # NaN sorts last
            mad = _row_medians(np.sort(np.abs(x - med[:, None]), axis=1), m)
            centre[idx], spread[idx] = med, mad
        else:
            # Two-pass, shifted by the first value: a constant history gives sd exactly 0.
            ref = x[:, 0]
            y = np.where(valid, x - ref[:, None], 0.0)
            mean_y = y.sum(axis=1) / m
            dev = np.where(valid, y - mean_y[:, None], 0.0)
            centre[idx] = ref + mean_y
            spread[idx] = np.sqrt((dev * dev).sum(axis=1) / m)
    return centre, spread


def _row_medians(sorted_rows: np.ndarray, m: np.ndarray) -> np.ndarray:
    r = np.arange(len(m))
    return (sorted_rows[r, (m - 1) // 2] + sorted_rows[r, m // 2]) / 2


def _judge(
    q: pl.DataFrame,
    method: str,
    threshold: float | None,
    window: int,
    min_history: int,
    k: float,
) -> pl.DataFrame:
    v, c, s = pl.col("value"), pl.col("centre"), pl.col("spread")
    explicit = pl.col("_explicit")
    has_value = v.is_not_null()
    enough = pl.col("n_history") >= min_history
    if method == "min_max":
        t = float(k)
        method_name = pl.when(explicit).then(pl.lit("min_max_explicit"))
        method_name = method_name.otherwise(pl.lit("min_max_generated"))
        lower = pl.when(explicit).then(pl.col("_min")).otherwise(c - t * s)
        upper = pl.when(explicit).then(pl.col("_max")).otherwise(c + t * s)
        score = pl.when(explicit | (s == 0)).then(None).otherwise((v - c).abs() / s)
        no_spread = pl.lit(False)
    else:
        t = float(threshold)  # type: ignore[arg-type]
        method_name = pl.lit(method)
        if method == "z_score":
            half_width, raw = t * s, (v - c).abs() / s
        else:
            half_width = t * s / MODIFIED_Z_CONSTANT
            raw = MODIFIED_Z_CONSTANT * (v - c).abs() / s
        no_spread = s == 0
        lower = pl.when(no_spread).then(None).otherwise(c - half_width)
        upper = pl.when(no_spread).then(None).otherwise(c + half_width)
        score = pl.when(no_spread).then(0.0).otherwise(raw)

    judged = has_value & (explicit | enough)
    if method == "min_max":
        above, below = v > pl.col("upper"), v < pl.col("lower")
    else:
        above = (pl.col("score") > t) & (v > c)
        below = (pl.col("score") > t) & (v < c)
    spread_name = "MAD" if method == "modified_z" else "sd"
    reason = (
        pl.when(~has_value)
        .then(pl.lit("no value to check"))
        .when(~judged)
        .then(pl.format("insufficient history ({} of {})", "n_history", pl.lit(min_history)))
        .when(pl.col("_above"))
        .then(pl.lit("above upper bound"))
        .when(pl.col("_below"))
        .then(pl.lit("below lower bound"))
        .when(pl.col("_no_spread"))
        .then(pl.lit(f"no spread in history ({spread_name} = 0): score 0, not flagged"))
        .otherwise(None)
    )
    out = (
        q.with_columns(
            # No judgement without enough history: statistics from 3 points would mislead.
            centre=pl.when(explicit | ~enough).then(None).otherwise(c),
            spread=pl.when(explicit | ~enough).then(None).otherwise(s),
        )
        .with_columns(
            method=method_name,
            threshold=pl.when(explicit).then(None).otherwise(pl.lit(t)),
            window=pl.when(explicit).then(None).otherwise(pl.lit(window, pl.Int64)),
            n_history=pl.when(explicit).then(None).otherwise(pl.col("n_history")),
            lower=lower,
            upper=upper,
            _no_spread=no_spread & judged,
        )
        .with_columns(score=pl.when(judged).then(score).otherwise(None))
        .with_columns(
            _above=(judged & above).fill_null(False),
            _below=(judged & below).fill_null(False),
        )
        .with_columns(
            flagged=pl.col("_above") | pl.col("_below"),
            reason=reason,
            warning=pl.when(pl.col("method") == "min_max_generated")
            .then(pl.lit(MIN_MAX_WARNING))
            .otherwise(None),
        )
    )
    return out.select(
        *KEYS,
        "period_ordinal",
        "value",
        "method",
        pl.col("threshold").cast(pl.Float64),
        "window",
        "n_history",
        *(pl.col(x).cast(pl.Float64) for x in ("centre", "spread", "lower", "upper", "score")),
        "flagged",
        pl.col("reason").cast(pl.String),
        pl.col("warning").cast(pl.String),
    )


# --- A message in the data provider's terms -------------------------------------------------


@dataclass(frozen=True)
class Outlier:
    """One flagged value, with what it was judged against (a row of ``check_values``)."""

    indicator: Any
    unit: Any
    period_ordinal: int
    value: float
    method: str
    threshold: float | None
    window: int | None
    n_history: int | None
    centre: float | None
    spread: float | None
    lower: float | None
    upper: float | None
    score: float | None
    reason: str | None
    warning: str | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Outlier:
        if not row.get("flagged"):
            raise ValueError(
                f"value {row.get('value')!r} at period_ordinal {row.get('period_ordinal')} was "
                "not flagged: only flagged values are outliers"
            )
        return cls(**{f.name: row[f.name] for f in fields(cls)})

    @property
    def direction(self) -> str:
        """ "above" or "below" the values the unit usually reports."""
        return "above" if self.upper is not None and self.value > self.upper else "below"

    def message(self, period_label: str = "periods", *, period: str | None = None) -> str:
        """E.g. "1,412 is far above this unit's usual values (median 402, typical range 310 to
        494 over the last 36 months); please check it".

        ``period_label`` names the periods of the window in the plural ("months", "weeks");
        ``period`` optionally names the value's own period ("March 2024").
        """
        what = _fmt(self.value) + (f" for {period}" if period else "")
        lo, hi = _fmt(self.lower), _fmt(self.upper)  # type: ignore[arg-type]
        if self.method == "min_max_explicit":
            return (
                f"{what} is {self.direction} the range set for this unit ({lo} to {hi}); "
                "please check it"
            )
        centre = "median" if self.method == "modified_z" else "mean"
        over = f"over the last {self.window} {period_label}"
        if self.n_history is not None and self.window is not None and self.n_history < self.window:
            over = f"from {self.n_history} values {over}"
        return (
            f"{what} is far {self.direction} this unit's usual values ({centre} "
            f"{_fmt(self.centre)}, typical range {lo} to {hi} {over}); "  # type: ignore[arg-type]
            "please check it"
        )


def outliers(result: pl.DataFrame) -> list[Outlier]:
    """The flagged rows of a ``check_values`` result, as ``Outlier`` objects."""
    return [Outlier.from_row(r) for r in result.filter(pl.col("flagged")).iter_rows(named=True)]


def _fmt(x: float) -> str:
    """Thousands separators; whole numbers (and anything >= 100) to the unit, else 3 figures."""
    if x == 0 or abs(x) >= 100 or float(x).is_integer():
        return f"{x:,.0f}"
    decimals = max(0, 2 - math.floor(math.log10(abs(x))))
    return f"{x:,.{decimals}f}".rstrip("0").rstrip(".")
