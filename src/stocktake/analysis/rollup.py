"""Roll-ups through the unit hierarchy: numbers in, numbers out.

Each indicator's ``aggregation`` (sum, ratio, weighted_mean, mean, none) says how a parent's
figure is made from its children's. Every unit and period carries its ``computed`` figure
(from the children, recursively), its ``reported`` one, and the ``value`` chosen between
them (``source`` says which); a missing child is never a silent zero (``coverage``,
``partial``). Arrays are ``(n_units, n_periods)``, NaN for missing, in the hierarchy's unit
order; one bottom-up pass per indicator does a few sparse matrix products per tree level.

The rules in full: docs/methods/rollup.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy import sparse

from stocktake.errors import Invalid, NotFound
from stocktake.model.entities import Aggregation, DeliveryModel, Indicator
from stocktake.model.periods import Period, PeriodError

Prefer = Literal["computed", "reported"]

# Where a unit's value came from, as stored in RollupResult.source.
SOURCE_NONE = 0
SOURCE_REPORTED = 1
SOURCE_COMPUTED = 2
SOURCE_NAMES = ("none", "reported", "computed")

_FALSE_WORDS = {"false", "no", "0", "n", "f", "inactive"}


# -- the hierarchy --------------------------------------------------------------------------

@dataclass(frozen=True)
class _Step:
    """One tree level of the bottom-up pass: children at one depth into their parents."""

    child_idx: np.ndarray  # units at this depth
    parent_idx: np.ndarray  # their distinct parents (all one level up)
    matrix: sparse.csr_matrix  # (len(parent_idx), len(child_idx)), 1 where parent of child


@dataclass(frozen=True, eq=False)
class Hierarchy:
    """The unit tree as index arrays: unit order, parent index (-1 at a root), depth, levels."""

    codes: tuple[str, ...]
    parent: np.ndarray  # int64 index of the parent, -1 for a root
    depth: np.ndarray  # 0 at a root
    levels: tuple[str, ...]
    active: np.ndarray  # bool per unit: is it expected to report?
    index: Mapping[str, int] = field(repr=False)
    children: tuple[np.ndarray, ...] = field(repr=False)
    steps: tuple[_Step, ...] = field(repr=False)  # deepest level first

    @classmethod
    def from_model(cls, model: DeliveryModel,
                   active: Mapping[str, bool] | None = None) -> Hierarchy:
        """The model's units in their order. A unit is active unless ``active`` says otherwise
        or its attributes hold ``active`` as false (``false``/``no``/``0``)."""
        codes = list(model.units)
        flags = []
        for code in codes:
            if active is not None and code in active:
                flags.append(bool(active[code]))
            else:
                flags.append(_truthy(model.units[code].attributes.get("active", True)))
        return cls.from_parents(
            codes,
            [model.units[c].parent for c in codes],
            levels=[model.units[c].level for c in codes],
            active=flags,
        )

    @classmethod
    def from_parents(cls, codes: Sequence[str], parents: Sequence[str | None],
                     levels: Sequence[str] | None = None,
                     active: Sequence[bool] | None = None) -> Hierarchy:
        """Build from parallel lists of unit codes and parent codes (None at a root)."""
        codes = [str(c) for c in codes]
        n = len(codes)
        if n == 0:
            raise ValueError("a hierarchy needs at least one unit")
        if len(parents) != n:
            raise ValueError(f"{n} unit codes but {len(parents)} parent codes")
        if levels is not None and len(levels) != n:
            raise ValueError(f"{n} unit codes but {len(levels)} levels")
        if active is not None and len(active) != n:
            raise ValueError(f"{n} unit codes but {len(active)} active flags")
        index: dict[str, int] = {}
        for i, code in enumerate(codes):
            if code in index:
                raise ValueError(f"unit code '{code}' appears twice (positions "
                                 f"{index[code]} and {i})")
            index[code] = i
        parent = np.full(n, -1, dtype=np.int64)
        for i, p in enumerate(parents):
            if p is None or p == "":
                continue
            if p not in index:
                raise ValueError(f"unit '{codes[i]}' has parent '{p}', which is not a unit")
            if p == codes[i]:
                raise ValueError(f"unit '{codes[i]}' is its own parent")
            parent[i] = index[p]
        depth = np.full(n, -1, dtype=np.int64)
        for i in range(n):
            chain = []
            j = i
            while j != -1 and depth[j] == -1:
                if j in chain:
                    raise ValueError(f"unit '{codes[i]}' is its own ancestor (a cycle)")
                chain.append(j)
                j = int(parent[j])
            base = -1 if j == -1 else int(depth[j])
            for k, unit in enumerate(reversed(chain)):
                depth[unit] = base + 1 + k
        order = np.argsort(parent, kind="stable")
        bounds = np.searchsorted(parent[order], np.arange(n + 1))
        children = tuple(order[bounds[i]:bounds[i + 1]] for i in range(n))
        steps = []
        for d in range(int(depth.max()), 0, -1):
            child_idx = np.flatnonzero(depth == d)
            parent_idx, rows = np.unique(parent[child_idx], return_inverse=True)
            matrix = sparse.csr_matrix(
                (np.ones(len(child_idx)), (rows, np.arange(len(child_idx)))),
                shape=(len(parent_idx), len(child_idx)),
            )
            steps.append(_Step(child_idx, parent_idx, matrix))
        return cls(
            codes=tuple(codes),
            parent=parent,
            depth=depth,
            levels=tuple(str(x) for x in levels) if levels is not None else ("",) * n,
            active=np.array([bool(a) for a in active], dtype=bool) if active is not None
            else np.ones(n, dtype=bool),
            index=index,
            children=children,
            steps=tuple(steps),
        )

    @property
    def n_units(self) -> int:
        return len(self.codes)

    @property
    def is_leaf(self) -> np.ndarray:
        return np.array([len(c) == 0 for c in self.children], dtype=bool)

    @property
    def bottom_up(self) -> np.ndarray:
        """Unit indices, deepest first: every unit comes before its parent."""
        return np.argsort(-self.depth, kind="stable")

    def position(self, code: str) -> int:
        """The row of a unit in every array, or NotFound naming the unknown code."""
        try:
            return self.index[code]
        except KeyError:
            raise NotFound(f"'{code}' is not a unit of this hierarchy") from None

    def children_of(self, code: str) -> list[str]:
        return [self.codes[i] for i in self.children[self.position(code)]]


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE_WORDS
    return bool(value)


# -- the result -----------------------------------------------------------------------------

@dataclass(eq=False)
class RollupResult:
    """A roll-up of one indicator; every array is ``(n_units, n_periods)`` in unit order."""

    indicator: str
    aggregation: str
    hierarchy: Hierarchy
    computed: np.ndarray  # from the children; NaN at leaves and where no child has data
    reported: np.ndarray  # the unit's own figure
    value: np.ndarray  # the best figure (see module docstring)
    source: np.ndarray  # uint8: SOURCE_NONE / SOURCE_REPORTED / SOURCE_COMPUTED
    gap: np.ndarray  # reported - computed where both exist
    coverage: np.ndarray  # expected children with data / expected children; NaN at leaves
    children_expected: np.ndarray  # int: active children
    children_with_data: np.ndarray  # int: active children that contributed
    partial: np.ndarray  # bool: the computed figure misses a child or rests on a partial one
    value_partial: np.ndarray  # bool: the value is a partial computed figure
    # For ratio and weighted_mean: the numerator and denominator behind each value (own
    # components, or the sums over children), e.g. to feed a funnel plot. None otherwise.
    numerator: np.ndarray | None
    denominator: np.ndarray | None
    prefer: str
    require_complete: bool
    scale: float = 1.0
    periods: tuple[str, ...] | None = None
    reason: str | None = None  # why nothing was rolled up (aggregation 'none')

    @property
    def method(self) -> str:
        return {
            "sum": "sum of the children",
            "mean": "plain mean over the leaf units below (sum of leaf figures / leaves with "
                    "data), not a mean of the children's means",
            "weighted_mean": "sum(w*x)/sum(w) over children with both x and w",
            "ratio": "scale * sum(numerators) / sum(denominators) over children with both",
            "none": "not rolled up",
        }[self.aggregation]

    @property
    def parameters(self) -> dict[str, Any]:
        return {"aggregation": self.aggregation, "scale": self.scale, "prefer": self.prefer,
                "require_complete": self.require_complete}

    def unit(self, code: str) -> dict[str, np.ndarray]:
        """Every array's row for one unit."""
        i = self.hierarchy.position(code)
        row = {name: getattr(self, name)[i] for name in _ARRAY_FIELDS}
        row["source"] = np.array([SOURCE_NAMES[s] for s in self.source[i]])
        return row

    def series(self, code: str) -> dict[str, dict[str, Any]]:
        """One unit as ``{period: {value, computed, reported, gap, coverage, ...}}``."""
        i = self.hierarchy.position(code)
        labels = self.periods or tuple(str(t) for t in range(self.value.shape[1]))
        out: dict[str, dict[str, Any]] = {}
        for t, label in enumerate(labels):
            cell: dict[str, Any] = {name: _plain(getattr(self, name)[i, t])
                                    for name in _ARRAY_FIELDS}
            cell["source"] = SOURCE_NAMES[int(self.source[i, t])]
            out[label] = cell
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain lists (NaN as None), with the method and parameters, for JSON."""
        out: dict[str, Any] = {
            "indicator": self.indicator,
            "method": self.method,
            "parameters": self.parameters,
            "reason": self.reason,
            "units": list(self.hierarchy.codes),
            "periods": list(self.periods) if self.periods is not None else None,
        }
        for name in _ARRAY_FIELDS:
            out[name] = [[_plain(x) for x in row] for row in getattr(self, name)]
        out["source"] = [[SOURCE_NAMES[int(s)] for s in row] for row in self.source]
        return out


_ARRAY_FIELDS = ("value", "computed", "reported", "gap", "coverage", "children_expected",
                 "children_with_data", "partial", "value_partial")


def _plain(x: Any) -> Any:
    if isinstance(x, np.bool_ | bool):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    x = float(x)
    return None if np.isnan(x) else x


# -- the roll-up ----------------------------------------------------------------------------

def required_codes(indicator: Indicator) -> list[str]:
    """The indicator codes whose reported arrays a roll-up of ``indicator`` needs."""
    agg = Aggregation(indicator.aggregation)
    if agg is Aggregation.RATIO:
        return [c for c in (indicator.numerator, indicator.denominator) if c]
    if agg is Aggregation.WEIGHTED_MEAN:
        return [indicator.code] + ([indicator.weight] if indicator.weight else [])
    return [indicator.code]


def roll_up(hierarchy: Hierarchy, indicator: Indicator, reported: Mapping[str, np.ndarray], *,
            prefer: Prefer = "computed", require_complete: bool = False,
            active: np.ndarray | None = None,
            periods: Sequence[str] | None = None) -> RollupResult:
    """Roll one indicator up the hierarchy for every period at once.

    ``reported`` maps indicator codes to ``(n_units, n_periods)`` arrays (NaN = not reported;
    a 1-D array is one period; the arrays are only read):
    the indicator itself, and for ``ratio`` its numerator and denominator (the ratio's own
    array is optional), for ``weighted_mean`` its weight. ``active`` (bool, per unit or per
    unit and period) says which children are expected; by default the hierarchy's flags.
    A wrong ``prefer`` or a ratio's scale that is not a positive number (a model's) is
    ``Invalid``; arrays of the wrong shape are a ValueError: the caller built them.
    """
    agg = Aggregation(indicator.aggregation)
    if prefer not in ("computed", "reported"):
        raise Invalid(f"prefer must be 'computed' or 'reported', not {prefer!r}")
    if agg is Aggregation.RATIO and not (indicator.numerator and indicator.denominator):
        raise ValueError(f"ratio indicator '{indicator.code}' needs a numerator and a "
                         "denominator indicator code")
    if agg is Aggregation.WEIGHTED_MEAN and not indicator.weight:
        raise ValueError(f"weighted_mean indicator '{indicator.code}' needs a weight "
                         "indicator code")
    needed = required_codes(indicator)
    missing = [c for c in needed if c not in reported]
    if missing:
        raise ValueError(f"rolling up '{indicator.code}' ({agg.value}) needs reported arrays "
                         f"for {', '.join(repr(c) for c in missing)}")
    optional = [indicator.code] if agg is Aggregation.RATIO and indicator.code in reported else []
    arrays = {c: _as_array(reported[c], c, hierarchy) for c in needed + optional}
    n, n_periods = next(iter(arrays.values())).shape
    for code, arr in arrays.items():
        if arr.shape != (n, n_periods):
            raise ValueError(f"reported values for '{code}' have {arr.shape[1]} periods but "
                             f"those for '{needed[0]}' have {n_periods}")
    if periods is not None and len(periods) != n_periods:
        raise ValueError(f"{len(periods)} period labels for arrays with {n_periods} periods")
    act = _active(hierarchy, active, n_periods)
    scale = float(indicator.scale) if agg is Aggregation.RATIO else 1.0
    if agg is Aggregation.RATIO and not (np.isfinite(scale) and scale > 0):
        raise Invalid(f"ratio indicator '{indicator.code}' has scale {scale}; it must be a "
                         "positive number")

    # Each unit's own figure, and for ratio and weighted_mean the pair (a, b) behind it:
    # (numerator, denominator) or (w * x, w); the figure is f(a, b).
    paired = agg in (Aggregation.RATIO, Aggregation.WEIGHTED_MEAN, Aggregation.MEAN)
    if agg is Aggregation.RATIO:
        num, den = arrays[indicator.numerator], arrays[indicator.denominator]
        both = ~np.isnan(num) & ~np.isnan(den)
        own_a, own_b = np.where(both, num, np.nan), np.where(both, den, np.nan)
        own_fig = _divide(scale * own_a, own_b)
        given = arrays.get(indicator.code)
        # The ratio as reported wins over the one made from the unit's own components.
        if given is not None:
            own_fig = np.where(np.isnan(given), own_fig, given)
    elif agg is Aggregation.WEIGHTED_MEAN:
        x, w = arrays[indicator.code], arrays[indicator.weight]
        both = ~np.isnan(x) & ~np.isnan(w)
        own_a, own_b = np.where(both, w * x, np.nan), np.where(both, w, np.nan)
        own_fig = x.copy()
    elif agg is Aggregation.MEAN:
        # (sum of leaf figures, leaves): a unit's own figure stands for every leaf below it.
        x = arrays[indicator.code]
        leaves = np.broadcast_to(_leaf_counts(hierarchy)[:, None], x.shape)
        own_a, own_b = np.where(np.isnan(x), np.nan, x * leaves), np.where(np.isnan(x), np.nan,
                                                                            leaves)
        own_fig = x.copy()
    else:
        own_fig = arrays[indicator.code].copy()

    shape = (n, n_periods)
    result = RollupResult(
        indicator=indicator.code,
        aggregation=agg.value,
        hierarchy=hierarchy,
        computed=np.full(shape, np.nan),
        reported=own_fig,
        value=own_fig.copy(),
        source=np.where(np.isnan(own_fig), SOURCE_NONE, SOURCE_REPORTED).astype(np.uint8),
        gap=np.full(shape, np.nan),
        coverage=np.full(shape, np.nan),
        children_expected=np.zeros(shape, dtype=np.int32),
        children_with_data=np.zeros(shape, dtype=np.int32),
        partial=np.zeros(shape, dtype=bool),
        value_partial=np.zeros(shape, dtype=bool),
        numerator=None,
        denominator=None,
        prefer=prefer,
        require_complete=require_complete,
        scale=scale,
        periods=tuple(str(p) for p in periods) if periods is not None else None,
    )
    if agg is Aggregation.NONE:
        result.reason = (f"indicator '{indicator.code}' has aggregation 'none': its figures "
                         "are not rolled up; only reported values are shown")
        return result

    # What each unit passes up to its parent. For sum that is its value; for ratio,
    # weighted_mean and mean the pair behind its value (for mean: leaf sum, leaf count).
    # Rows of units with children are written level by level, deepest first, before their
    # parents read them; a row of own_a/own_b is read in the same step that overwrites it.
    up_a, up_b = (own_a, own_b) if paired else (result.value, None)
    up_partial = result.value_partial
    for step in hierarchy.steps:
        kids, rows, m = step.child_idx, step.parent_idx, step.matrix
        a = up_a[kids]
        if paired:
            b = up_b[kids]
            has = ~np.isnan(a) & ~np.isnan(b)
        else:
            has = ~np.isnan(a)
        kid_active = act[kids]
        sum_a = m @ np.where(has, a, 0.0)
        n_has = m @ has.astype(np.float64)
        sum_b = m @ np.where(has, b, 0.0) if paired else n_has
        n_expected = m @ kid_active.astype(np.float64)
        n_has_expected = m @ (has & kid_active).astype(np.float64)
        n_partial_kids = m @ (has & up_partial[kids]).astype(np.float64)

        any_data = n_has > 0
        partial = any_data & ((n_has_expected < n_expected) | (n_partial_kids > 0))
        usable = any_data & ~partial if require_complete else any_data
        comp_a = np.where(usable, sum_a, np.nan)
        comp_b = np.where(usable, sum_b, np.nan)
        if agg is Aggregation.SUM:
            comp_fig = comp_a
        elif agg is Aggregation.RATIO:
            comp_fig = _divide(scale * comp_a, comp_b)
        else:  # mean, weighted_mean
            comp_fig = _divide(comp_a, comp_b)

        rep = result.reported[rows]
        has_comp = ~np.isnan(comp_fig)
        has_rep = ~np.isnan(rep)
        if prefer == "computed":
            take_comp = has_comp & (~partial | ~has_rep)
        else:
            take_comp = has_comp & ~has_rep
        take_rep = ~take_comp & has_rep

        result.computed[rows] = comp_fig
        result.children_expected[rows] = n_expected
        result.children_with_data[rows] = n_has_expected
        with np.errstate(invalid="ignore", divide="ignore"):
            result.coverage[rows] = np.where(n_expected > 0, n_has_expected / n_expected, np.nan)
        result.partial[rows] = partial
        result.value[rows] = np.where(take_comp, comp_fig, rep)
        result.source[rows] = np.select([take_comp, take_rep], [SOURCE_COMPUTED, SOURCE_REPORTED],
                                        SOURCE_NONE)
        result.value_partial[rows] = take_comp & partial
        if paired:
            up_a[rows] = np.where(take_comp, comp_a, own_a[rows])
            up_b[rows] = np.where(take_comp, comp_b, own_b[rows])

    result.gap = result.reported - result.computed
    if paired and agg is not Aggregation.MEAN:
        result.numerator, result.denominator = up_a, up_b
    return result


def _leaf_counts(hierarchy: Hierarchy) -> np.ndarray:
    """Leaf units at or below each unit (1 at a leaf), from the tree's structure."""
    counts = hierarchy.is_leaf.astype(np.float64)
    for step in hierarchy.steps:  # deepest first: children are complete before parents
        counts[step.parent_idx] += step.matrix @ counts[step.child_idx]
    return counts


def _divide(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.full(np.broadcast(a, b).shape, np.nan)
    np.divide(a, b, out=out, where=(b != 0) & ~np.isnan(b))
    return out


def _as_array(values: Any, code: str, hierarchy: Hierarchy) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)  # never written to: no copy needed
    except (TypeError, ValueError) as exc:
        raise ValueError(f"reported values for '{code}' are not numbers: {exc}") from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] != hierarchy.n_units:
        raise ValueError(f"reported values for '{code}' have shape {arr.shape}; expected "
                         f"({hierarchy.n_units}, n_periods), one row per unit in hierarchy order")
    if np.isinf(arr).any():
        i, t = np.argwhere(np.isinf(arr))[0]
        raise ValueError(f"reported values for '{code}' hold an infinite value at unit "
                         f"'{hierarchy.codes[i]}', period index {t}")
    return arr


def _active(hierarchy: Hierarchy, active: np.ndarray | None, n_periods: int) -> np.ndarray:
    if active is None:
        flags = hierarchy.active[:, None]
    else:
        flags = np.asarray(active, dtype=bool)
        if flags.ndim == 1:
            flags = flags[:, None]
        if flags.shape not in ((hierarchy.n_units, 1), (hierarchy.n_units, n_periods)):
            raise ValueError(f"active flags have shape {flags.shape}; expected "
                             f"({hierarchy.n_units},) or ({hierarchy.n_units}, {n_periods})")
    return np.broadcast_to(flags, (hierarchy.n_units, n_periods))


# -- convenience for the CLI and tests ------------------------------------------------------

def roll_up_series(model: DeliveryModel, indicator_code: str, unit_code: str,
                   observed: Mapping[tuple[str, str], Mapping[str, float | None]], *,
                   prefer: Prefer = "computed",
                   require_complete: bool = False) -> dict[str, dict[str, Any]]:
    """Roll up one indicator for one unit from ``{(indicator, unit): {period: value}}``.

    Returns ``{period: {value, computed, reported, gap, coverage, children_expected,
    children_with_data, partial, value_partial, source}}`` over every period that any needed
    series mentions, in period order (NaN as None).
    """
    if indicator_code not in model.indicators:
        raise NotFound(f"'{indicator_code}' is not an indicator of the model")
    if unit_code not in model.units:
        raise NotFound(f"'{unit_code}' is not a unit of the model")
    indicator = model.indicators[indicator_code]
    hierarchy = Hierarchy.from_model(model)
    codes = required_codes(indicator)
    if Aggregation(indicator.aggregation) is Aggregation.RATIO:
        codes.append(indicator.code)
    labels: set[str] = set()
    for (ind, unit), series in observed.items():
        if ind in codes:
            if unit not in hierarchy.index:
                raise Invalid(f"observations for '{ind}' name unit '{unit}', which is not "
                                 "in the model")
            labels.update(str(p) for p in series)
    periods = _sort_periods(labels)
    col = {p: t for t, p in enumerate(periods)}
    arrays = {c: np.full((hierarchy.n_units, len(periods)), np.nan) for c in codes}
    for (ind, unit), series in observed.items():
        if ind in arrays:
            row = arrays[ind][hierarchy.index[unit]]
            for p, v in series.items():
                row[col[str(p)]] = np.nan if v is None else v
    result = roll_up(hierarchy, indicator, arrays, prefer=prefer,
                     require_complete=require_complete, periods=periods)
    return result.series(unit_code)


def _sort_periods(labels: Iterable[str]) -> list[str]:
    labels = list(labels)
    try:
        return sorted(labels, key=Period.parse)
    except (PeriodError, TypeError):
        return sorted(labels)
