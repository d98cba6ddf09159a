"""Indicator series as known at a moment, rolled up through the hierarchy: the shared ground
of the reading services (series, SPC, comparisons, backtests, trajectories and status).

One query fetches every value the asked indicators need (their numerators, denominators and
weights too) as known at ``as_of``; each indicator is then rolled up once for every unit and
period (analysis.rollup), and a unit's series is read from that roll-up.

A period is *complete* at a unit when its value is a reported figure or a computed one with
every expected child behind it, all the way down (``value_partial`` is False). Partial
figures are shown in series but left out of the statistics (SPC, forecasts, trajectories,
backtests): a sum over some of the children is biased low, and mixing it in would signal a
change that is only a reporting gap.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import polars as pl
from sqlalchemy import Engine, select

from ...analysis.rollup import SOURCE_NAMES, Hierarchy, RollupResult, roll_up
from ...errors import NotFound, did_you_mean
from ...model.entities import Aggregation, DeliveryModel, Indicator, Priority
from ...model.periods import Period, PeriodError, PeriodType
from ...results.readings import SeriesPoint as Point
from ...store import model_repo, rebases
from ...store import schema as s
from ...store.observations import data_as_of, latest_ids


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def check_indicator(model: DeliveryModel, code: str) -> Indicator:
    if code not in model.indicators:
        raise NotFound(f"'{code}' is not an indicator of the delivery model"
                       + did_you_mean(code, model.indicators))
    return model.indicators[code]


def check_unit(model: DeliveryModel, code: str) -> None:
    if code not in model.units:
        raise NotFound(f"'{code}' is not a unit of the delivery model"
                       + did_you_mean(code, model.units))


def check_priority(model: DeliveryModel, code: str) -> Priority:
    if code not in model.priorities:
        known = ", ".join(model.priorities) or "none"
        raise NotFound(f"'{code}' is not a priority of the delivery model (priorities: "
                       f"{known})" + did_you_mean(code, model.priorities))
    return model.priorities[code]


def components(model: DeliveryModel, code: str) -> set[str]:
    """The indicator and every indicator its roll-up needs (numerator, denominator, weight)."""
    out, todo = set(), [code]
    while todo:
        c = todo.pop()
        if c in out or c not in model.indicators:
            continue
        out.add(c)
        ind = model.indicators[c]
        todo += [r for r in (ind.numerator, ind.denominator, ind.weight) if r]
    return out


def read_model(engine: Engine) -> DeliveryModel:
    with engine.connect() as conn:
        return model_repo.read_model(conn)


@dataclass
class SeriesData:
    """Values of some indicators known at ``as_of``, rolled up on demand (cached)."""

    model: DeliveryModel
    hierarchy: Hierarchy
    as_of: datetime | None
    data_as_of: datetime | None
    vintages: dict[str, datetime]  # indicator -> newest recording of any of its values
    # code -> (positions in period_codes, hierarchy rows, values) of its observations
    raw: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
    period_codes: tuple[str, ...] = ()  # the distinct period codes loaded
    # (indicator, unit) -> SPC rebases the analyst accepted, in force at as_of
    rebases: dict[tuple[str, str], list[rebases.Rebase]] = field(default_factory=dict)
    _rollups: dict[str, RollupResult] = field(default_factory=dict, repr=False)
    # code -> (ordinal of each roll-up column, column of each period code)
    _columns: dict[str, tuple[np.ndarray, dict[str, int]]] = field(default_factory=dict,
                                                                    repr=False)
    _ordinals: dict[tuple[str, PeriodType], int | None] = field(default_factory=dict,
                                                                 repr=False)

    @classmethod
    def load(cls, engine: Engine, model: DeliveryModel, codes: Iterable[str],
             as_of: datetime | None, *, pin: datetime | None = None) -> SeriesData:
        """The values of ``codes`` (and their components) known at ``as_of``. ``pin``, when
        as_of is None, is the moment to read at instead (a Snapshot's moment of opening, so
        that two loads of one snapshot read the same world); ``as_of`` is what the reader
        asked for and is kept as it was."""
        needed: set[str] = set()
        for code in codes:
            needed |= components(model, code)
        hierarchy = Hierarchy.from_model(model)
        at = as_of if as_of is not None else pin
        with engine.connect() as conn:
            ind_codes = {i: c for i, c in _id_codes(conn, s.indicators).items() if c in needed}
            unit_codes = _id_codes(conn, s.units)
            df = latest_ids(conn, as_of=at, indicators=sorted(needed), ind_codes=ind_codes,
                            unit_codes=unit_codes)
            vintage = data_as_of(conn, at)
            vintages = _vintages(conn, df, ind_codes)
            accepted = rebases.in_force(conn, sorted(needed), at)
        # Ids to positions through lookup arrays indexed by id (the indicator's among the
        # loaded codes, the unit's row in the hierarchy), periods to positions by casting to
        # an enum (its physical value is the position of its category); then one stable sort
        # of small integers groups the rows by indicator: no Python step per observation, no
        # string hashing per group. A retired unit (not in the hierarchy) gets -1: it is not
        # rolled up.
        present = set(df["indicator_id"].unique().to_list())
        loaded = sorted(ind_codes[i] for i in present)
        ind_pos = _lookup({i: loaded.index(ind_codes[i]) for i in present})
        unit_row = _lookup({i: hierarchy.index.get(c, -1) for i, c in unit_codes.items()})
        period_codes = tuple(sorted(df["period"].unique().to_list()))
        rows = unit_row[df["unit_id"].to_numpy()]
        keep = rows >= 0
        which = ind_pos[df["indicator_id"].to_numpy()[keep]].astype(np.int16)  # radix sort
        order = np.argsort(which, kind="stable")
        bounds = np.searchsorted(which[order], np.arange(len(loaded) + 1))
        positions = (df["period"].cast(pl.Enum(period_codes)).to_physical().to_numpy()
                     [keep][order])
        rows, values = rows[keep][order], df["value"].to_numpy()[keep][order]
        raw: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {
            code: (positions[a:b], rows[a:b], values[a:b])
            for code, a, b in zip(loaded, bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)
            if b > a}
        return cls(model, hierarchy, as_of, vintage, vintages, raw, period_codes, accepted)

    def accepted_rebases(self, code: str, unit: str) -> list[str]:
        """Periods where the analyst's accepted rebases start new SPC limits (as at as_of)."""
        return [r.period for r in self.rebases.get((code, unit), ())]

    def vintage(self, code: str) -> datetime | None:
        """The newest recording behind an indicator (any of its components)."""
        times = [self.vintages[c] for c in components(self.model, code) if c in self.vintages]
        return max(times) if times else None

    def rollup(self, code: str) -> RollupResult:
        """The indicator rolled up for every unit and every period of its period type."""
        hit = self._rollups.get(code)
        if hit is not None:
            return hit
        indicator = self.model.indicators[code]
        codes = _rollup_codes(indicator)
        labels, ordinals, column = self._columns_of(
            [self.raw[c][0] for c in codes if c in self.raw], indicator.period_type)
        arrays = {}
        for c in codes:
            arr = np.full((self.hierarchy.n_units, len(labels)), np.nan)
            if c in self.raw:
                positions, rows, values = self.raw[c]
                cols = column[positions]
                keep = cols >= 0
                arr[rows[keep], cols[keep]] = values[keep]
            arrays[c] = arr
        result = roll_up(self.hierarchy, indicator, arrays, periods=labels)
        self._rollups[code] = result
        self._columns[code] = (ordinals, {p: t for t, p in enumerate(labels)})
        return result

    def _columns_of(self, positions: Sequence[np.ndarray], period_type: str
                    ) -> tuple[list[str], np.ndarray, np.ndarray]:
        """The distinct period codes among ``positions`` that are of the period type, in
        time order; their ordinals; and each loaded code's column (-1: not of this type)."""
        present = (np.unique(np.concatenate(positions)) if positions
                   else np.empty(0, dtype=np.int64))
        ptype = PeriodType(period_type)
        found: list[tuple[int, int]] = []  # (ordinal, position in period_codes)
        for k in present.tolist():
            ordinal = self._ordinal(self.period_codes[k], ptype)
            if ordinal is not None:
                found.append((ordinal, k))
        found.sort()
        column = np.full(len(self.period_codes), -1, dtype=np.int64)
        column[[k for _, k in found]] = np.arange(len(found))
        return ([self.period_codes[k] for _, k in found],
                np.array([o for o, _ in found], dtype=np.int64), column)

    def _ordinal(self, code: str, ptype: PeriodType) -> int | None:
        key = (code, ptype)
        if key not in self._ordinals:
            try:
                self._ordinals[key] = Period.parse(code, ptype).ordinal
            except PeriodError:
                self._ordinals[key] = None  # a code of another period type
        return self._ordinals[key]

    def ordinals(self, code: str) -> np.ndarray:
        """The period ordinals of the roll-up's columns (consecutive periods differ by 1)."""
        self.rollup(code)
        return self._columns[code][0]

    def points(self, code: str, unit: str) -> list[Point]:
        """Every period of one unit's series, oldest first (partial periods included)."""
        result = self.rollup(code)
        i = self.hierarchy.position(unit)
        value, computed, reported = result.value[i], result.computed[i], result.reported[i]
        keep = ~(np.isnan(value) & np.isnan(computed) & np.isnan(reported))
        labels = result.periods or tuple(str(t) for t in range(result.value.shape[1]))
        # One list per field (NaN as None), zipped into points: no per-cell conversion.
        fields = [_nan_none(getattr(result, name)[i][keep].tolist())
                  if name in _FLOAT_FIELDS else getattr(result, name)[i][keep].tolist()
                  for name in _POINT_FIELDS]
        sources = [SOURCE_NAMES[k] for k in result.source[i][keep].tolist()]
        periods = [labels[t] for t in np.flatnonzero(keep).tolist()]
        return [Point(*cells) for cells in zip(periods, *fields, sources, strict=True)]

    def complete(self, code: str, unit: str) -> tuple[list[str], list[float], list[str]]:
        """(periods, values) of the complete periods, and the partial periods left out."""
        result = self.rollup(code)
        i = self.hierarchy.position(unit)
        value, flagged = result.value[i], result.value_partial[i]
        has = ~np.isnan(value)
        labels = result.periods or ()
        done = np.flatnonzero(has & ~flagged).tolist()
        partial = np.flatnonzero(has & flagged).tolist()
        return ([labels[t] for t in done], value[done].tolist(),
                [labels[t] for t in partial])

    def value_at(self, code: str, unit: str, period: str) -> float | None:
        """The complete value of a unit in one period, or None."""
        result = self.rollup(code)
        t = self._columns[code][1].get(period)
        if t is None:
            return None
        i = self.hierarchy.position(unit)
        v = result.value[i, t]
        return None if np.isnan(v) or result.value_partial[i, t] else float(v)


# Point's fields after the period, in order, as RollupResult arrays (source apart).
_POINT_FIELDS = ("value", "computed", "reported", "gap", "coverage", "children_expected",
                 "children_with_data", "partial", "value_partial")
_FLOAT_FIELDS = {"value", "computed", "reported", "gap", "coverage"}


def _nan_none(values: list[float]) -> list[float | None]:
    return [None if v != v else v for v in values]  # v != v only for NaN


def _rollup_codes(indicator: Indicator) -> list[str]:
    agg = Aggregation(indicator.aggregation)
    if agg is Aggregation.RATIO:
        return [indicator.numerator, indicator.denominator, indicator.code]  # type: ignore
    if agg is Aggregation.WEIGHTED_MEAN:
        return [indicator.code, indicator.weight]  # type: ignore[list-item]
    return [indicator.code]


def _vintages(conn, current: pl.DataFrame, ind_codes: dict[int, str]) -> dict[str, datetime]:
    """Each indicator's newest recording known at as_of, from the values already read
    (``current``, by indicator_id; ``ind_codes``: id -> code): the time of the batch of its
    newest current value. Batches are recorded in time order
    (store.observations.record_batch) and a value's time is its batch's, and a value is
    always older than the one that replaced it, so this is the newest recording of any of
    the indicator's values, without a second pass over the observations."""
    newest = current.group_by("indicator_id").agg(pl.col("batch_id").max())
    if newest.height == 0:
        return {}
    b = s.batches
    times = dict(conn.execute(select(b.c.id, b.c.recorded_at)
                              .where(b.c.id.in_(newest["batch_id"].to_list()))).all())
    return {ind_codes[i]: times[batch] for i, batch in newest.iter_rows()}


def _id_codes(conn, table) -> dict[int, str]:
    return {i: c for i, c in conn.execute(select(table.c.id, table.c.code))}


def _lookup(positions: dict[int, int]) -> np.ndarray:
    """An array indexed by id giving the id's position (-1 for ids not in ``positions``)."""
    out = np.full(max(positions, default=-1) + 1, -1, dtype=np.int64)
    out[list(positions)] = list(positions.values())
    return out


def last_complete(points: Sequence[Point]) -> Point | None:
    done = [p for p in points if p.complete]
    return done[-1] if done else None


def forecastable(periods: Sequence[str], values: Sequence[float], period_type: str
                 ) -> tuple[list[str], list[float], str | None]:
    """The trailing stretch a forecast can rest on: back from the newest value up to the
    first run of two or more missing periods (a single missing period is interpolated by
    the forecast). Returns the stretch and a note when earlier data was left out."""
    if not periods:
        return [], [], None
    ptype = PeriodType(period_type)
    ordinals = [Period.parse(p, ptype).ordinal for p in periods]
    start = 0
    for k in range(len(ordinals) - 1, 0, -1):
        if ordinals[k] - ordinals[k - 1] > 2:
            start = k
            break
    note = None
    if start:
        note = (f"the forecast uses {periods[start]} to {periods[-1]}: before that, two or "
                f"more periods in a row are missing or partial (last before the gap: "
                f"{periods[start - 1]})")
    return list(periods[start:]), list(values[start:]), note


def within(model: DeliveryModel, unit: str, scope: str) -> bool:
    """Is ``unit`` the scope itself or below it?"""
    return unit == scope or any(a.code == scope for a in model.ancestors(unit))


def active_children(model: DeliveryModel, hierarchy: Hierarchy, unit: str) -> list[str]:
    """The unit's children expected to report, in the model's unit order (the hierarchy's
    child index: model.children scans every unit, once per call)."""
    codes, active = hierarchy.codes, hierarchy.active
    return [codes[k] for k in hierarchy.children[hierarchy.index[unit]].tolist() if active[k]]
