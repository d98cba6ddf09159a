"""Statistical process control: XmR charts with NHS England's "Making Data Count" rules.

Numbers in, numbers out. ``xmr`` follows the R package NHSRplotthedots (v0.2), the reference
implementation of Making Data Count (MDC): limits mean +/- 2.66 AmR (moving ranges screened
at 3.267 AmR, after Nelson 1982), near limits at two thirds of that, the rules outside /
trend / two of three / shift (first match wins), icons from the last point, rebasing only
where asked. ``xmr_many`` does the same for many series at once, figure for figure.
``read_chart`` is what the product charts: the series read against its seasonal expectation
where it is seasonal (analysis.seasonality), the analyst's accepted rebases applied, and
rebase points suggested, never applied (analysis.changepoints).

The full method, its parameters, the edge cases (missing values, gaps, ties, turns between
trends) and the references are in docs/methods/spc.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from stocktake.analysis.changepoints import suggest_rebases
from stocktake.analysis.seasonality import Mode, SeasonalAdjustment, seasonal_adjustment
from stocktake.analysis.wording import ENGLISH, Language, Plain, Sentence, Signed
from stocktake.errors import Invalid
from stocktake.model.entities import Polarity
from stocktake.model.periods import Period, PeriodError

METHOD = "XmR (Making Data Count)"
REFERENCE = "NHS England Making Data Count; NHSRplotthedots v0.2 (Nelson 1982 screening)"

LIMIT_CONSTANT = 2.66  # 3 / d2 with d2 = 1.128 for moving ranges of 2
NEAR_LIMIT_CONSTANT = LIMIT_CONSTANT * 2 / 3  # 1.77333...
SCREEN_CONSTANT = 3.267  # D4 for n = 2: upper limit of the moving-range chart
RUN_LENGTH = 7  # points in a shift or a trend
MIN_POINTS_FIRM = 12  # fewer baseline points than this: trial limits
MIN_FIX_AFTER = 12  # NHSRplotthedots refuses to fix limits on fewer points
# Fewer observed points than this in the latest part: no verdict (docs/methods/spc.md, "Too
# few points to judge"). A shift and a trend need RUN_LENGTH points; on fewer, "no special
# cause" is no evidence of a stable process, and limits from a handful of moving ranges are
# too loose a yardstick for a point outside them to say much.
MIN_POINTS_TO_JUDGE = RUN_LENGTH

RULES: tuple[str, ...] = ("none", "outside", "trend", "two_of_three", "shift")
POINT_TYPES: tuple[str, ...] = ("common_cause", "improvement", "concern", "neutral")
_NONE, _OUTSIDE, _TREND, _TWO, _SHIFT = range(5)

# Published MDC colours (docs/methods/spc.md, section 1).
COLOURS: dict[str, str] = {
    "common_cause": "#a6a6a6",
    "improvement": "#00b0f0",
    "concern": "#e46c0a",
    "neutral": "#490092",
    "target": "#de1b1b",
}

VARIATION_ICONS: tuple[str, ...] = (
    "too_few_points",
    "common_cause",
    "improvement_high",
    "improvement_low",
    "concern_high",
    "concern_low",
    "neutral_high",
    "neutral_low",
)
ASSURANCE_ICONS: tuple[str, ...] = ("consistently_passes", "consistently_fails", "inconsistent")

# Text to show beside every icon: colour is never the only carrier of meaning.
ICON_LABELS: dict[str, str] = {
    "too_few_points": "Too few points to judge",
    "common_cause": "Common cause: no significant change",
    "improvement_high": "Improvement: special cause, higher values",
    "improvement_low": "Improvement: special cause, lower values",
    "concern_high": "Concern: special cause, higher values",
    "concern_low": "Concern: special cause, lower values",
    "neutral_high": "Special cause, higher values (neither good nor bad)",
    "neutral_low": "Special cause, lower values (neither good nor bad)",
    "consistently_passes": "Consistently passes the target",
    "consistently_fails": "Consistently fails the target",
    "inconsistent": "Hit and miss: the target lies within the process limits",
}

# Colour of each icon, following the MDC icon set (pass blue, fail orange, hit and miss grey).
ICON_COLOURS: dict[str, str] = {
    "too_few_points": COLOURS["common_cause"],
    "common_cause": COLOURS["common_cause"],
    "improvement_high": COLOURS["improvement"],
    "improvement_low": COLOURS["improvement"],
    "concern_high": COLOURS["concern"],
    "concern_low": COLOURS["concern"],
    "neutral_high": COLOURS["neutral"],
    "neutral_low": COLOURS["neutral"],
    "consistently_passes": COLOURS["improvement"],
    "consistently_fails": COLOURS["concern"],
    "inconsistent": COLOURS["common_cause"],
}

# Variation icon by point-type code * 3 + (direction + 1); direction is -1 low, 0, +1 high.
_VARIATION_BY_CODE = np.array(
    [
        "common_cause", "common_cause", "common_cause",
        "improvement_low", None, "improvement_high",
        "concern_low", None, "concern_high",
        "neutral_low", None, "neutral_high",
    ],
    dtype=object,
)  # fmt: skip

_DIRECTION_NAMES = {1: "high", -1: "low", 0: None}
_POLARITY_SIGN = {Polarity.UP: 1, Polarity.DOWN: -1, Polarity.NEUTRAL: 0}


# -- results ----------------------------------------------------------------------------------
@dataclass(slots=True)
class SPCPoint:
    """One charted point with the limits of its part and its special-cause reading."""

    period: str
    value: float
    mean: float
    lower: float
    upper: float
    near_lower: float
    near_upper: float
    rule: str  # one of RULES
    point_type: str  # one of POINT_TYPES
    direction: str | None  # "high" / "low" for special causes (side, or trend direction)
    part: int  # 0-based part index (rebasing starts a new part)
    trial: bool  # the part's limits rest on fewer than 12 points
    baseline: bool  # the point is one of those the limits were computed from

    def to_dict(self) -> dict[str, Any]:
        # plain getattr: dataclasses.asdict deep-copies and is ~10x slower
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(slots=True)
class SPCPart:
    """One part of a rebased series (the whole series when there is no rebasing)."""

    index: int
    first_period: str
    last_period: str
    n_points: int
    n_baseline: int
    mean: float
    amr: float  # after screening, when screening is on
    amr_unscreened: float
    n_moving_ranges: int
    n_screened_out: int
    lower: float
    upper: float
    near_lower: float
    near_upper: float
    trial: bool

    def to_dict(self) -> dict[str, Any]:
        # plain getattr: dataclasses.asdict deep-copies and is ~10x slower
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass
class SPCResult:
    """An XmR chart read with the Making Data Count rules; ``to_dict()`` gives plain JSON."""

    points: list[SPCPoint]
    parts: list[SPCPart]
    variation_icon: str
    assurance_icon: str | None
    warnings: list[str] = field(default_factory=list)
    method: str = METHOD
    parameters: dict[str, Any] = field(default_factory=dict)
    # Set by read_chart: the seasonality test and adjustment, the values as reported (one per
    # point, when the charted values are adjusted), suggested rebases and their method.
    seasonal: dict[str, Any] | None = None
    observed: list[float] | None = None
    seasonal_expected: list[float] | None = None  # per point: the effect or factor removed
    rebase_suggestions: list[dict[str, Any]] | None = None
    rebase_method: dict[str, Any] | None = None

    @property
    def variation_label(self) -> str:
        return ICON_LABELS[self.variation_icon]

    @property
    def assurance_label(self) -> str | None:
        return None if self.assurance_icon is None else ICON_LABELS[self.assurance_icon]

    def to_dict(self) -> dict[str, Any]:
        out = {
            "method": self.method,
            "parameters": dict(self.parameters),
            "variation_icon": self.variation_icon,
            "variation_label": self.variation_label,
            "assurance_icon": self.assurance_icon,
            "assurance_label": self.assurance_label,
            "warnings": list(self.warnings),
            "parts": [p.to_dict() for p in self.parts],
            "points": [p.to_dict() for p in self.points],
        }
        if self.observed is not None:
            key = ("seasonal_factor" if (self.seasonal or {}).get("model") == "multiplicative"
                   else "seasonal_effect")
            for point, value, effect in zip(out["points"], self.observed,
                                            self.seasonal_expected or self.observed,
                                            strict=True):
                point["observed"] = value
                point[key] = effect
        if self.seasonal is not None:
            out["seasonal_adjustment"] = self.seasonal
        if self.rebase_suggestions is not None:
            out["rebase_suggestions"] = self.rebase_suggestions
            out["rebase_method"] = self.rebase_method
        return out

    def summary(self) -> str:
        """A few lines naming the method, the parameters and the reading."""
        p = self.parameters
        lines = [
            f"{self.method}: {len(self.points)} points, {len(self.parts)} part(s); "
            f"polarity {p.get('polarity')}, screening {'on' if p.get('screen_outliers') else 'off'}"
            f", fix after {p.get('fix_after_n_points') or 'all'} points",
        ]
        for part in self.parts:
            lines.append(
                f"  part {part.index + 1} {part.first_period}..{part.last_period}: "
                f"mean {part.mean:.6g}, AmR {part.amr:.6g}, limits {part.lower:.6g} to "
                f"{part.upper:.6g}{' (trial)' if part.trial else ''}"
            )
        lines.append(f"  variation: {self.variation_label}")
        if self.assurance_icon is not None:
            lines.append(f"  assurance: {self.assurance_label} (target {p.get('target')})")
        lines.extend(f"  warning: {w}" for w in self.warnings)
        return "\n".join(lines)


@dataclass
class SPCBatch:
    """XmR readings for many series of equal length (rows), from ``xmr_many``.

    Per point (rows x columns): ``rule`` (codes into RULES), ``point_type`` (codes into
    POINT_TYPES) and ``direction`` (+1 high, -1 low, 0), with -1 for missing values and for
    uncharted rows. Per part (rows x parts): ``mean``, ``amr``, limits, ``n_baseline``,
    ``trial``; ``part`` maps each column to its part, so ``batch.upper[:, batch.part]`` gives
    per-point limits. ``charted`` is False for rows where some part has no moving range.
    """

    part: np.ndarray
    mean: np.ndarray
    amr: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    near_lower: np.ndarray
    near_upper: np.ndarray
    n_baseline: np.ndarray
    trial: np.ndarray
    rule: np.ndarray
    point_type: np.ndarray
    direction: np.ndarray
    charted: np.ndarray
    variation_icon: np.ndarray  # object array of str, None when uncharted
    assurance_icon: np.ndarray  # object array of str or None
    method: str = METHOD
    parameters: dict[str, Any] = field(default_factory=dict)


# -- the computation --------------------------------------------------------------------------
@dataclass(slots=True)
class _Block:
    mean: np.ndarray
    amr: np.ndarray
    amr_raw: np.ndarray
    n_base: np.ndarray
    n_ranges: np.ndarray
    n_kept: np.ndarray
    base: np.ndarray
    rule: np.ndarray
    direction: np.ndarray


@lru_cache(maxsize=256)
def _cover_index(starts: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative-count indices: column j is covered by windows starting in [lo[j], hi[j])."""
    j = np.arange(starts + width - 1)
    return np.maximum(j - width + 1, 0), np.minimum(j, starts - 1) + 1


def _covered(starts: np.ndarray, width: int) -> np.ndarray:
    """(..., k) flags of windows of ``width`` columns -> (..., k + width - 1) columns covered."""
    k = starts.shape[-1]
    counts = np.zeros((*starts.shape[:-1], k + 1), dtype=np.int32)
    np.cumsum(starts, axis=-1, out=counts[..., 1:])
    lo, hi = _cover_index(k, width)
    return counts[..., hi] > counts[..., lo]


def _chart_block(y: np.ndarray, adjacent: np.ndarray, fix: int | None, screen: bool) -> _Block:
    """Limits and rules for one part of many series at once (rows = series, NaN = missing;
    ``adjacent`` per column, or per row and column)."""
    rows, cols = y.shape
    valid = ~np.isnan(y)
    base = valid if fix is None else valid & (np.cumsum(valid, axis=1) <= fix)
    n_base = base.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(base, y, 0.0).sum(axis=1) / n_base
        # Moving ranges only between baseline neighbours in time; none spans a gap.
        pair = base[:, 1:] & base[:, :-1] & adjacent[..., 1:]
        mr = np.where(pair, np.abs(y[:, 1:] - y[:, :-1]), 0.0)
        n_ranges = pair.sum(axis=1)
        amr_raw = mr.sum(axis=1) / n_ranges
        if screen:
            a = amr_raw[:, None]
            keep = pair & ((mr < SCREEN_CONSTANT * a) | (a == 0))
            n_kept = keep.sum(axis=1)
            amr = np.where(keep, mr, 0.0).sum(axis=1) / n_kept
        else:
            n_kept, amr = n_ranges, amr_raw

    # Rules run over observed points in order: move missing values to the end of each row
    # (NaN compares False everywhere, so the padding joins no run).
    order = None
    yc = y
    if not valid.all():
        order = np.argsort(~valid, axis=1, kind="stable")
        yc = np.take_along_axis(y, order, axis=1)
    mu = mean[:, None]
    width = amr[:, None]
    outside = (yc > mu + LIMIT_CONSTANT * width) | (yc < mu - LIMIT_CONSTANT * width)
    # One cumulative count serves every window: above, below, near, rising, falling (the step
    # from each point to the next).
    flags = np.zeros((5, rows, cols), dtype=bool)
    np.greater(yc, mu, out=flags[0])
    np.less(yc, mu, out=flags[1])
    np.greater(yc, mu + NEAR_LIMIT_CONSTANT * width, out=flags[2])
    flags[2] |= yc < mu - NEAR_LIMIT_CONSTANT * width
    flags[2] &= ~outside
    step = yc[:, 1:] - yc[:, :-1]
    np.greater(step, 0, out=flags[3, :, :-1])
    np.less(step, 0, out=flags[4, :, :-1])
    counts = np.zeros((5, rows, cols + 1), dtype=np.int32)
    np.cumsum(flags, axis=2, out=counts[..., 1:])

    n = RUN_LENGTH
    if cols >= n:
        starts = np.empty((4, rows, cols - n + 1), dtype=bool)
        np.equal(counts[0:2, :, n:] - counts[0:2, :, :-n], n, out=starts[0:2])  # shifts
        np.equal(counts[3:5, :, n - 1 : -1] - counts[3:5, :, :-n], n - 1, out=starts[2:4])
        above_run, below_run, in_rise, in_fall = _covered(starts, n)
        shift = above_run | below_run
    else:
        shift = in_rise = in_fall = np.zeros((rows, cols), dtype=bool)
    if cols >= 3:
        w3 = counts[:, :, 3:] - counts[:, :, :-3]
        two = _covered((w3[2] >= 2) & ((w3[0] == 3) | (w3[1] == 3)), 3) & flags[2]
    else:
        two = np.zeros((rows, cols), dtype=bool)

    trend = in_rise | in_fall
    rule = np.zeros((rows, cols), dtype=np.int8)
    rule[shift] = _SHIFT
    rule[two] = _TWO
    rule[trend] = _TREND
    rule[outside] = _OUTSIDE
    side = flags[0].view(np.int8) - flags[1].view(np.int8)
    # A point in a rising and a falling trend (the turn) takes the step after it.
    trend_direction = in_rise.view(np.int8) - in_fall.view(np.int8)
    turn = in_rise & in_fall
    trend_direction[turn] = (flags[3].view(np.int8) - flags[4].view(np.int8))[turn]
    direction = np.where(rule == _TREND, trend_direction, side)
    direction[rule == _NONE] = 0
    if order is not None:
        rule_c, direction_c = rule, direction
        rule, direction = np.empty_like(rule_c), np.empty_like(direction_c)
        np.put_along_axis(rule, order, rule_c, axis=1)
        np.put_along_axis(direction, order, direction_c, axis=1)
        rule[~valid] = -1
        direction[~valid] = 0
    return _Block(mean, amr, amr_raw, n_base, n_ranges, n_kept, base, rule, direction)


def _point_type_codes(rule: np.ndarray, direction: np.ndarray, sign: int) -> np.ndarray:
    special = rule > 0
    if sign == 0:
        codes = np.where(special, 3, 0)
    else:
        codes = np.where(special, np.where(direction * sign > 0, 1, 2), 0)
    return np.where(rule < 0, -1, codes).astype(np.int8)


def _assurance(sign: int, target: float | None, lower: float, upper: float) -> str | None:
    if target is None or sign == 0:
        return None
    if target > upper:  # every expected value is below the target
        return "consistently_fails" if sign > 0 else "consistently_passes"
    if target < lower:  # every expected value is above the target
        return "consistently_passes" if sign > 0 else "consistently_fails"
    return "inconsistent"


# -- input checking ---------------------------------------------------------------------------
def _read_values(values: Sequence[float] | np.ndarray) -> np.ndarray:
    if isinstance(values, str | bytes) or not hasattr(values, "__len__"):
        raise ValueError(f"values must be a sequence of numbers, not {type(values).__name__}")
    if isinstance(values, np.ndarray) and values.dtype.kind in "iuf":
        if values.ndim != 1:
            raise ValueError(f"values must be one-dimensional, not of shape {values.shape}")
        y = values.astype(float)
    else:
        y = np.empty(len(values), dtype=float)
        for i, v in enumerate(values):
            if v is None:
                y[i] = np.nan
            elif isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
                raise ValueError(f"values[{i}] is {v!r} ({type(v).__name__}), not a number")
            else:
                y[i] = float(v)
    if len(y) == 0:
        raise ValueError("values is empty: an XmR chart needs at least 2 points")
    bad = np.flatnonzero(np.isinf(y))
    if len(bad):
        raise Invalid(f"values[{bad[0]}] is {y[bad[0]]}: values must be finite (or missing)")
    return y


@lru_cache(maxsize=65536)
def _period_or_none(code: str) -> Period | None:
    try:
        return Period.parse(code)
    except PeriodError:
        return None


def _read_periods(
    periods: Sequence[str] | None, n: int, warnings: list[str]
) -> tuple[list[str], np.ndarray]:
    """Labels for the points and whether each point directly follows the one before in time."""
    adjacent = np.ones(n, dtype=bool)
    if periods is None:
        return [str(i) for i in range(n)], adjacent
    if isinstance(periods, str):
        raise ValueError("periods must be a sequence of period codes, not one string")
    labels = []
    for i, p in enumerate(periods):
        if not isinstance(p, str | Period):
            raise ValueError(f"periods[{i}] is {p!r}, not a period code")
        labels.append(str(p))
    if len(labels) != n:
        raise ValueError(f"periods has {len(labels)} entries but values has {n}")
    if len(set(labels)) != n:
        seen: set[str] = set()
        for p in labels:
            if p in seen:
                raise ValueError(f"period '{p}' appears more than once")
            seen.add(p)
    parsed = [_period_or_none(p) for p in labels]
    if all(p is None for p in parsed):
        return labels, adjacent  # opaque labels, taken in the order given
    if any(p is None for p in parsed):
        bad = labels[parsed.index(None)]
        raise ValueError(f"period '{bad}' is not a period code like the others ({labels[0]}...)")
    if len({p.type for p in parsed}) > 1:
        raise ValueError(f"periods mix period types ({', '.join(sorted(set(labels[:3])))}...)")
    ordinals = np.fromiter((p.ordinal for p in parsed), dtype=np.int64, count=n)
    steps = np.diff(ordinals)
    if (steps <= 0).any():
        i = int(np.flatnonzero(steps <= 0)[0]) + 1
        raise ValueError(
            f"periods must be in increasing order: '{labels[i]}' comes after '{labels[i - 1]}'"
        )
    adjacent[1:] = steps == 1
    if not adjacent.all():
        absent = int((steps - 1).sum())
        first_gap = int(np.flatnonzero(~adjacent)[0])
        warnings.append(
            f"{absent} period(s) absent from the series (first gap between "
            f"{labels[first_gap - 1]} and {labels[first_gap]}): no moving range spans a gap; "
            "the run rules count observed points in order."
        )
    return labels, adjacent


def _read_polarity(polarity: str | Polarity) -> int:
    try:
        return _POLARITY_SIGN[Polarity(polarity)]
    except ValueError:
        raise ValueError(
            f"polarity {polarity!r} is not one of 'up' (higher is better), 'down' (lower is "
            "better) or 'neutral'"
        ) from None


def _read_target(target: float | None) -> float | None:
    if target is None:
        return None
    if isinstance(target, bool) or not isinstance(target, int | float | np.integer | np.floating):
        raise Invalid(f"target is {target!r}, not a number")
    if not np.isfinite(target):
        raise Invalid(f"target is {target}: give a finite number or None")
    return float(target)


def _read_fix(fix: int | None) -> int | None:
    if fix is None:
        return None
    if isinstance(fix, bool) or not isinstance(fix, int | np.integer) or fix < MIN_FIX_AFTER:
        raise Invalid(
            f"fix_after_n_points is {fix!r}: give a whole number >= {MIN_FIX_AFTER} (MDC "
            "guidance is 12 to 20) or None to use all points"
        )
    return int(fix)


def _read_rebase(rebase_at: Sequence[str | int], labels: list[str]) -> list[int]:
    if isinstance(rebase_at, str | int):
        rebase_at = [rebase_at]
    index = {p: i for i, p in enumerate(labels)}
    starts: list[int] = []
    for r in rebase_at:
        if isinstance(r, str | Period):
            code = str(r)
            if code not in index:
                raise Invalid(
                    f"rebase period '{code}' is not in the series "
                    f"(periods run {labels[0]} to {labels[-1]})"
                )
            i = index[code]
        elif isinstance(r, int | np.integer) and not isinstance(r, bool):
            i = int(r)
            if not 0 <= i < len(labels):
                raise Invalid(
                    f"rebase position {i} is outside the series (0 to {len(labels) - 1})"
                )
        else:
            raise Invalid(f"rebase_at entry {r!r} is neither a period code nor a position")
        if i == 0:
            raise Invalid(f"rebasing at the first period ({labels[0]}) changes nothing")
        if i in starts:
            raise Invalid(f"rebase at {labels[i]} is given more than once")
        starts.append(i)
    return sorted(starts)


def _parameters(
    sign: int, target: float | None, fix: int | None, screen: bool, rebase: list[str]
) -> dict[str, Any]:
    return {
        "chart": "XmR (individuals and moving range)",
        "polarity": {1: "up", -1: "down", 0: "neutral"}[sign],
        "target": target,
        "process_limit_constant": LIMIT_CONSTANT,
        "near_limit_constant": NEAR_LIMIT_CONSTANT,
        "screen_outliers": screen,
        "outlier_screen_constant": SCREEN_CONSTANT,
        "fix_after_n_points": fix,
        "rebase_at": rebase,
        "run_length": RUN_LENGTH,
        "trend_length": RUN_LENGTH,
        "trial_limits_below_n_points": MIN_POINTS_FIRM,
        "missing_values": "dropped; no moving range spans a missing value or absent period",
        "reference": REFERENCE,
    }


# -- public API -------------------------------------------------------------------------------
def xmr(
    values: Sequence[float],
    periods: Sequence[str] | None = None,
    *,
    polarity: str = "neutral",
    target: float | None = None,
    fix_after_n_points: int | None = None,
    screen_outliers: bool = True,
    rebase_at: Sequence[str | int] = (),
) -> SPCResult:
    """Read one series (in period order) as an XmR chart with the Making Data Count rules.

    ``periods`` label the points (default "0", "1", ...); stocktake period codes are checked
    for order and gaps. ``rebase_at`` holds period codes (or 0-based positions) where a new part
    with its own limits starts. Missing values (NaN/None) are dropped and reported.
    A parameter or data the user can put right (a rebase period, a target, infinite or all
    missing values, a part with no two consecutive values) is ``Invalid``; values or periods
    of the wrong type, length or order are a ValueError (the caller built them).
    """
    warnings: list[str] = []
    y = _read_values(values)
    n = len(y)
    labels, adjacent = _read_periods(periods, n, warnings)
    sign = _read_polarity(polarity)
    target_value = _read_target(target)
    fix = _read_fix(fix_after_n_points)
    starts = _read_rebase(rebase_at, labels)
    screen = bool(screen_outliers)

    missing = np.flatnonzero(np.isnan(y))
    if len(missing) == n:
        raise Invalid("values are all missing: nothing to chart")
    if len(missing):
        shown = ", ".join(labels[i] for i in missing[:5]) + (", ..." if len(missing) > 5 else "")
        warnings.append(
            f"{len(missing)} missing value(s) dropped ({shown}): no moving range spans them; "
            "the run rules count observed points in order."
        )

    points: list[SPCPoint] = []
    parts: list[SPCPart] = []
    bounds = [0, *starts, n]
    for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        block = _chart_block(y[None, a:b], adjacent[a:b], fix, screen)
        where = f"{labels[a]} to {labels[b - 1]}"
        if block.n_base[0] == 0:
            raise Invalid(f"part {k + 1} ({where}) has no observed values")
        if block.n_ranges[0] == 0:
            raise Invalid(
                f"part {k + 1} ({where}) has no two consecutive observed values, so no moving "
                "range and no limits"
            )
        mean, amr = float(block.mean[0]), float(block.amr[0])
        n_obs = int((~np.isnan(y[a:b])).sum())
        n_base = int(block.n_base[0])
        trial = n_base < MIN_POINTS_FIRM
        lower, upper = mean - LIMIT_CONSTANT * amr, mean + LIMIT_CONSTANT * amr
        near_lower = mean - NEAR_LIMIT_CONSTANT * amr
        near_upper = mean + NEAR_LIMIT_CONSTANT * amr
        parts.append(
            SPCPart(
                index=k,
                first_period=labels[a],
                last_period=labels[b - 1],
                n_points=n_obs,
                n_baseline=n_base,
                mean=mean,
                amr=amr,
                amr_unscreened=float(block.amr_raw[0]),
                n_moving_ranges=int(block.n_ranges[0]),
                n_screened_out=int(block.n_ranges[0] - block.n_kept[0]),
                lower=lower,
                upper=upper,
                near_lower=near_lower,
                near_upper=near_upper,
                trial=trial,
            )
        )
        if trial:
            warnings.append(
                f"Limits for {where} rest on {n_base} points (fewer than {MIN_POINTS_FIRM}): "
                "they are trial limits and will move as data arrive."
            )
        elif fix is not None and n_obs < fix:
            warnings.append(
                f"{where} has {n_obs} points, fewer than fix_after_n_points={fix}: the limits "
                "use all of them and are not yet fixed."
            )
        if amr == 0:
            warnings.append(
                f"{where}: the baseline does not vary (AmR = 0), so the limits sit on the mean "
                "and any different value is outside them."
            )

        point_type = _point_type_codes(block.rule, block.direction, sign)[0].tolist()
        rule = block.rule[0].tolist()
        direction = block.direction[0].tolist()
        in_base = block.base[0].tolist()
        vals = y[a:b].tolist()
        for j in np.flatnonzero(block.rule[0] >= 0).tolist():  # missing values get no point
            points.append(
                SPCPoint(
                    labels[a + j],
                    vals[j],
                    mean,
                    lower,
                    upper,
                    near_lower,
                    near_upper,
                    RULES[rule[j]],
                    POINT_TYPES[point_type[j]],
                    _DIRECTION_NAMES[direction[j]],
                    k,
                    trial,
                    in_base[j],
                )
            )

    last = points[-1]
    if parts[-1].n_points < MIN_POINTS_TO_JUDGE:
        variation = "too_few_points"  # the rules still flag its points on the chart
    elif last.point_type == "common_cause":
        variation = "common_cause"
    else:
        variation = f"{last.point_type}_{last.direction}"
    assurance = _assurance(sign, target_value, last.lower, last.upper)
    return SPCResult(
        points=points,
        parts=parts,
        variation_icon=variation,
        assurance_icon=assurance,
        warnings=warnings,
        method=METHOD,
        parameters=_parameters(sign, target_value, fix, screen, [labels[i] for i in starts]),
    )


def xmr_many(
    matrix: np.ndarray,
    *,
    polarity: str = "neutral",
    target: float | Sequence[float] | np.ndarray | None = None,
    fix_after_n_points: int | None = None,
    screen_outliers: bool = True,
    rebase_at: Sequence[int] = (),
    adjacent: np.ndarray | None = None,
    chunk_rows: int = 4096,
) -> SPCBatch:
    """``xmr`` for many series at once: rows are series, columns consecutive periods.

    NaN marks a missing value (dropped as in ``xmr``). ``target`` is one number for all rows or
    one per row (NaN for none). ``rebase_at`` holds 0-based column positions shared by all rows.
    ``adjacent`` (bool, one per column or one per row and column; default all True) is False
    where a column does not directly follow the one before it in time: no moving range spans
    it, as ``xmr`` treats a period absent from ``periods``. So rows of the observed values of
    series with gaps, packed to the left, read as ``xmr`` reads each series, figure for figure.
    Rows where some part has no two consecutive values are not charted (``charted`` False)
    rather than raising, so one bad series does not stop a batch.
    """
    y = np.asarray(matrix)
    if y.ndim != 2 or y.dtype.kind not in "iuf":
        raise ValueError(f"matrix must be a 2-D numeric array, not {y.dtype} of shape {y.shape}")
    y = y.astype(float, copy=False)
    rows, cols = y.shape
    if cols == 0:
        raise ValueError("matrix has no columns: an XmR chart needs at least 2 points")
    if np.isinf(y).any():
        r, c = np.argwhere(np.isinf(y))[0]
        raise Invalid(f"matrix[{r}, {c}] is infinite: values must be finite (or NaN)")
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows is {chunk_rows}: give a positive number of rows")
    sign = _read_polarity(polarity)
    fix = _read_fix(fix_after_n_points)
    labels = [str(i) for i in range(cols)]
    starts = _read_rebase(rebase_at, labels)
    screen = bool(screen_outliers)
    if target is None:
        targets = np.full(rows, np.nan)
    else:
        targets = np.asarray(target, dtype=float)
        if targets.ndim > 1 or (targets.ndim == 1 and len(targets) != rows):
            raise ValueError(
                f"target must be one number or one per row ({rows}), not {targets.shape}"
            )
        targets = np.broadcast_to(targets, (rows,))
        if np.isinf(targets).any():
            raise Invalid("target must be finite (NaN for no target)")

    bounds = [0, *starts, cols]
    n_parts = len(bounds) - 1
    part = np.repeat(np.arange(n_parts), np.diff(bounds))
    if adjacent is None:
        adjacent = np.ones(cols, dtype=bool)
    else:
        adjacent = np.asarray(adjacent, dtype=bool)
        if adjacent.shape not in ((cols,), (rows, cols)):
            raise ValueError(
                f"adjacent has shape {adjacent.shape}: give one flag per column ({cols},) or "
                f"one per row and column ({rows}, {cols})"
            )
    mean = np.empty((rows, n_parts))
    amr = np.empty((rows, n_parts))
    n_base = np.empty((rows, n_parts), dtype=np.int64)
    n_ranges = np.empty((rows, n_parts), dtype=np.int64)
    rule = np.empty((rows, cols), dtype=np.int8)
    direction = np.empty((rows, cols), dtype=np.int8)
    for r0 in range(0, rows, chunk_rows):
        r1 = min(r0 + chunk_rows, rows)
        for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
            adj = adjacent[a:b] if adjacent.ndim == 1 else adjacent[r0:r1, a:b]
            block = _chart_block(np.ascontiguousarray(y[r0:r1, a:b]), adj, fix, screen)
            mean[r0:r1, k] = block.mean
            amr[r0:r1, k] = block.amr
            n_base[r0:r1, k] = block.n_base
            n_ranges[r0:r1, k] = block.n_ranges
            rule[r0:r1, a:b] = block.rule
            direction[r0:r1, a:b] = block.direction

    charted = (n_ranges > 0).all(axis=1)
    rule[~charted] = -1
    direction[~charted] = 0
    point_type = _point_type_codes(rule, direction, sign)
    lower = mean - LIMIT_CONSTANT * amr
    upper = mean + LIMIT_CONSTANT * amr

    # Icons from the last observed point of each row.
    observed = ~np.isnan(y)
    last = cols - 1 - np.argmax(observed[:, ::-1], axis=1)
    idx = np.arange(rows)
    last_type = point_type[idx, last].astype(np.int64)
    variation = _VARIATION_BY_CODE[np.clip(last_type, 0, None) * 3 + direction[idx, last] + 1]
    variation[observed[:, bounds[-2]:].sum(axis=1) < MIN_POINTS_TO_JUDGE] = "too_few_points"
    variation[~charted] = None
    last_part = part[last]
    lo, hi = lower[idx, last_part], upper[idx, last_part]
    assurance = np.full(rows, None, dtype=object)
    if sign != 0:
        has = charted & ~np.isnan(targets)
        fails = np.where(sign > 0, targets > hi, targets < lo)
        passes = np.where(sign > 0, targets < lo, targets > hi)
        assurance[has] = "inconsistent"
        assurance[has & fails] = "consistently_fails"
        assurance[has & passes] = "consistently_passes"

    params = _parameters(sign, None, fix, screen, [labels[i] for i in starts])
    params["target"] = None if target is None else "per row" if np.ndim(target) else float(target)
    return SPCBatch(
        part=part,
        mean=mean,
        amr=amr,
        lower=lower,
        upper=upper,
        near_lower=mean - NEAR_LIMIT_CONSTANT * amr,
        near_upper=mean + NEAR_LIMIT_CONSTANT * amr,
        n_baseline=n_base,
        trial=n_base < MIN_POINTS_FIRM,
        rule=rule,
        point_type=point_type,
        direction=direction,
        charted=charted,
        variation_icon=variation,
        assurance_icon=assurance,
        method=METHOD,
        parameters=params,
    )


def chart_method(adjustment: SeasonalAdjustment | None) -> str:
    """The method named on a chart and in its JSON: XmR, on adjusted values where adjusted."""
    if adjustment is None or not adjustment.applied:
        return METHOD
    return Sentence("%(method)s on seasonally adjusted values", method=METHOD)


def rebase_positions(periods: Sequence[str], rebases: Sequence[str]
                     ) -> tuple[list[int], list[str]]:
    """Positions in ``periods`` where accepted rebases start new limits: each at its period or,
    when that period has no value, at the first later one. Rebases before the second point or
    after the last are not used (and said so)."""
    parsed = [_period_or_none(str(p)) for p in periods]
    positions: list[int] = []
    notes: list[str] = []
    for code in rebases:
        at = _period_or_none(str(code))
        i = None
        if at is not None and all(p is not None and p.type == at.type for p in parsed):
            i = next((k for k, p in enumerate(parsed) if p.ordinal >= at.ordinal), None)  # type: ignore[union-attr]
        elif str(code) in periods:
            i = list(periods).index(str(code))
        if i is None or i == 0:
            notes.append(f"accepted rebase at {code} is outside the charted periods: not used")
        elif i not in positions:
            if str(periods[i]) != str(code):
                notes.append(f"accepted rebase at {code}: no value then, limits restart at "
                             f"{periods[i]}")
            positions.append(i)
    return sorted(positions), notes


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


class PValue(Sentence):
    """A p-value as ``:.2g`` writes it in English (0.034, 3.4e-07) and, in another
    language, in its number format with a power of ten for the exponent (0,034;
    3,4 × 10⁻⁷): two significant figures in both."""

    value: float

    def __new__(cls, value: float) -> PValue:
        self = cls._made(f"{value:.2g}".replace("%", "%%"), None, None, {})
        self.value = value
        return self

    def said(self, language: Language = ENGLISH) -> str:
        if language is ENGLISH:
            return str(self)
        mantissa, _, exponent = str(self).partition("e")
        said = language.value(Plain(float(mantissa), ".2g"))
        if not exponent or not mantissa.replace(".", "").isdigit():
            return said  # no exponent (0.034), or inf or nan: as the number says it
        return f"{said}\u00a0×\u00a010{str(int(exponent)).translate(_SUPERSCRIPT)}"

    def __reduce__(self) -> tuple[Any, ...]:  # copied or pickled as a p-value
        return (PValue, (self.value,))


def describe_reading(chart: dict[str, Any]) -> str:
    """A sentence or three for the reader of a chart (``read_chart(...).to_dict()`` plus an
    optional ``accepted_rebases`` list): how seasonality was handled, the rebases in use and
    the rebases suggested, in plain words (a ``Sentence``: analysis.wording)."""
    out: list[Sentence] = []
    if chart.get("variation_icon") == "too_few_points":
        part = (chart.get("parts") or [{}])[-1]
        out.append(Sentence(
            "Too few points to judge: %(num)s of the %(needed)s needed. A shift or a trend "
            "needs %(needed)s points in a row, and limits on fewer points are only a first "
            "sketch, so the chart says neither \"no significant change\" nor \"special "
            "cause\" yet.", num=part.get("n_points", len(chart.get("points") or [])),
            needed=MIN_POINTS_TO_JUDGE))
    season = chart.get("seasonal_adjustment") or {}
    if season.get("applied"):
        p = PValue(season["p_value"])
        out.append(Sentence(
            "Read against the usual seasonal pattern: seasonality was detected (F test of "
            "period-of-year effects, p = %(p)s), so the limits are set on seasonally adjusted "
            "values and drawn following the seasons.", p=p) if season.get("detected") else
            Sentence("Read against the usual seasonal pattern: seasonality was not detected "
                     "but adjusted as asked (F test of period-of-year effects, p = %(p)s), so "
                     "the limits are set on seasonally adjusted values and drawn following the "
                     "seasons.", p=p))
    for r in chart.get("accepted_rebases") or []:
        out.append(Sentence("Limits restart at %(period)s: accepted by %(by)s on %(day)s "
                            "(%(reason)s).", period=r["period"], by=r["accepted_by"],
                            day=r["accepted_at"][:10], reason=r["reason"]))
    suggestions = chart.get("rebase_suggestions") or []
    if suggestions:
        last = suggestions[-1]
        said = dict(before=Plain(last["mean_before"]), after=Plain(last["mean_after"]),
                    shift=Signed(last["shift_sigma"]))
    if len(suggestions) in (1, 2):
        out.append(Sentence(
            "The level has changed: a change-point search suggests new limits from "
            "%(periods)s (latest: mean %(before)s before, %(after)s after, a shift of "
            "%(shift)s sigma). Not applied: an analyst accepts a rebase with its reason.",
            periods=", ".join(c["period"] for c in suggestions), **said))
    elif suggestions:
        # Many steps are a drift, not one change: the rebase worth weighing is the latest,
        # which would give limits for the current level.
        out.append(Sentence(
            "The level has moved in steps (%(num)s changes found, at %(earlier)s and "
            "%(last)s): a drift rather than one change. Limits from %(last)s would describe "
            "the current level (mean %(before)s before, %(after)s after, a shift of "
            "%(shift)s sigma). Not applied: an analyst accepts a rebase with its reason.",
            num=len(suggestions), earlier=", ".join(c["period"] for c in suggestions[:-1]),
            last=last["period"], **said))
    if suggestions and chart.get("assurance_icon") and \
            not (chart.get("parameters") or {}).get("rebase_at"):
        out.append(Sentence("The assurance icon compares the target with limits set on the "
                            "whole history: with the level changed, it describes the past "
                            "process more than the current one."))
    if not out:
        return ""
    note = out[0]
    for more in out[1:]:  # sentences after one another, as many as there are
        note = Sentence("%(note)s %(more)s", note=note, more=more)
    return note


def read_chart(
    values: Sequence[float],
    periods: Sequence[str],
    *,
    polarity: str = "neutral",
    target: float | None = None,
    fix_after_n_points: int | None = None,
    screen_outliers: bool = True,
    rebase_at: Sequence[str | int] = (),
    accepted_rebases: Sequence[str] = (),
    seasonal: Mode | str = "auto",
    suggest: bool = True,
    target_period: str | None = None,
) -> SPCResult:
    """The product's reading of one series (one period code per value): tested for seasonality
    and, where seasonal (``auto``) or asked (``on``), charted as seasonally adjusted values;
    limits rebased at the analyst's ``accepted_rebases`` (period codes, placed leniently: see
    ``rebase_positions``) and at ``rebase_at`` (strict, as in ``xmr``); rebase points suggested
    with their evidence (``suggest``), never applied. ``seasonal="off"`` gives the raw chart.
    On an adjusted chart the assurance icon reads the ``target`` at its ``target_period``'s
    season (``SeasonalAdjustment.on_adjusted_scale``); without a period, as given.
    """
    y = _read_values(values)
    if periods is None or isinstance(periods, str) or len(periods) != len(y):
        raise ValueError("read_chart needs one period code per value")
    labels = [str(p) for p in periods]
    adjustment = seasonal_adjustment(y, labels, mode=seasonal)
    charted = adjustment.values
    accepted, notes = rebase_positions(labels, accepted_rebases)
    asked = _read_rebase(rebase_at, labels) if len(rebase_at) else []
    starts = sorted(set(accepted) | set(asked))
    charted_target = adjusted_target(adjustment, target, target_period)
    result = xmr(charted, labels, polarity=polarity, target=charted_target,
                 fix_after_n_points=fix_after_n_points, screen_outliers=screen_outliers,
                 rebase_at=starts)
    result.parameters["target"] = target  # as stated; the adjusted one is in ``seasonal``
    result.seasonal = adjustment.to_dict()
    result.seasonal["target_on_adjusted_scale"] = (
        None if not adjustment.applied or target is None else charted_target)
    result.method = chart_method(adjustment)
    result.warnings.extend(notes)
    if adjustment.applied:
        result.observed = y[~np.isnan(y)].tolist()
        result.seasonal_expected = adjustment.expected[~np.isnan(y)].tolist()  # type: ignore[index]
        result.warnings.insert(0, f"Seasonal series: {adjustment.reason}. The chart shows "
                                  "seasonally adjusted values; the raw chart is available "
                                  "(seasonal off).")
    if suggest:
        found, params = suggest_rebases(charted, labels, accepted=starts)
        result.rebase_suggestions = [c.to_dict() for c in found]
        result.rebase_method = params
    return result


def adjusted_target(adjustment: SeasonalAdjustment, target: float | None,
                    target_period: str | None) -> float | None:
    """The target on the scale of the charted values (see ``read_chart``)."""
    if target is None or target_period is None:
        return target
    try:
        return adjustment.on_adjusted_scale(float(target), target_period)
    except PeriodError:  # a target period that is not a period of the series' type
        return target


__all__ = [
    "ASSURANCE_ICONS",
    "COLOURS",
    "ICON_COLOURS",
    "ICON_LABELS",
    "LIMIT_CONSTANT",
    "METHOD",
    "MIN_POINTS_TO_JUDGE",
    "NEAR_LIMIT_CONSTANT",
    "POINT_TYPES",
    "RULES",
    "SCREEN_CONSTANT",
    "SPCBatch",
    "SPCPart",
    "SPCPoint",
    "SPCResult",
    "VARIATION_ICONS",
    "adjusted_target",
    "chart_method",
    "describe_reading",
    "read_chart",
    "rebase_positions",
    "xmr",
    "xmr_many",
]
