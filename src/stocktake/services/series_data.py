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

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, select

from ..analysis.rollup import Hierarchy, RollupResult, roll_up
from ..model.entities import Aggregation, DeliveryModel, Indicator, Priority
from ..model.periods import Period, PeriodError, PeriodType
from ..store import model_repo
from ..store import schema as s
from ..store.observations import data_as_of, latest


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def check_indicator(model: DeliveryModel, code: str) -> Indicator:
    if code not in model.indicators:
        raise ValueError(f"'{code}' is not an indicator of the delivery model"
                         + _suggest(code, model.indicators))
    return model.indicators[code]


def check_unit(model: DeliveryModel, code: str) -> None:
    if code not in model.units:
        raise ValueError(f"'{code}' is not a unit of the delivery model"
                         + _suggest(code, model.units))


def check_priority(model: DeliveryModel, code: str) -> Priority:
    if code not in model.priorities:
        known = ", ".join(model.priorities) or "none"
        raise ValueError(f"'{code}' is not a priority of the delivery model (priorities: "
                         f"{known})" + _suggest(code, model.priorities))
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
class Point:
    """One period of one unit's rolled-up series."""

    period: str
    value: float | None
    computed: float | None
    reported: float | None
    gap: float | None
    coverage: float | None
    children_expected: int
    children_with_data: int
    partial: bool
    value_partial: bool
    source: str

    @property
    def complete(self) -> bool:
        return self.value is not None and not self.value_partial

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class SeriesData:
    """Values of some indicators known at ``as_of``, rolled up on demand (cached)."""

    model: DeliveryModel
    hierarchy: Hierarchy
    as_of: datetime | None
    data_as_of: datetime | None
    vintages: dict[str, datetime]  # indicator -> newest recording of any of its values
    raw: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]  # code -> periods, rows, values
    _rollups: dict[str, RollupResult] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, engine: Engine, model: DeliveryModel, codes: Iterable[str],
             as_of: datetime | None) -> SeriesData:
        needed: set[str] = set()
        for code in codes:
            needed |= components(model, code)
        hierarchy = Hierarchy.from_model(model)
        with engine.connect() as conn:
            df = latest(conn, as_of=as_of, indicators=sorted(needed), with_vintage=False,
                        ordered=False)
            vintage = data_as_of(conn, as_of)
            vintages = _vintages(conn, needed, as_of) if needed else {}
        raw: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        df = df.filter(df["unit"].is_in(list(hierarchy.index)))  # retired units: not rolled up
        for (code,), part in df.group_by("indicator"):
            rows = np.array([hierarchy.index[u] for u in part["unit"].to_list()], dtype=np.int64)
            raw[code] = (part["period"].to_numpy(), rows, part["value"].to_numpy())
        return cls(model, hierarchy, as_of, vintage, vintages, raw)

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
        labels = _period_labels([self.raw[c][0] for c in codes if c in self.raw],
                                indicator.period_type)
        column = {p: t for t, p in enumerate(labels)}
        arrays = {}
        for c in codes:
            arr = np.full((self.hierarchy.n_units, len(labels)), np.nan)
            if c in self.raw:
                periods, rows, values = self.raw[c]
                cols = np.array([column.get(p, -1) for p in periods], dtype=np.int64)
                keep = cols >= 0
                arr[rows[keep], cols[keep]] = values[keep]
            arrays[c] = arr
        result = roll_up(self.hierarchy, indicator, arrays, periods=labels)
        self._rollups[code] = result
        return result

    def points(self, code: str, unit: str) -> list[Point]:
        """Every period of one unit's series, oldest first (partial periods included)."""
        result = self.rollup(code)
        return [Point(period=p, **cell) for p, cell in result.series(unit).items()
                if cell["value"] is not None or cell["computed"] is not None
                or cell["reported"] is not None]

    def complete(self, code: str, unit: str) -> tuple[list[str], list[float], list[str]]:
        """(periods, values) of the complete periods, and the partial periods left out."""
        periods, values, partial = [], [], []
        for pt in self.points(code, unit):
            if pt.complete:
                periods.append(pt.period)
                values.append(float(pt.value))  # type: ignore[arg-type]
            elif pt.value is not None:
                partial.append(pt.period)
        return periods, values, partial

    def value_at(self, code: str, unit: str, period: str) -> float | None:
        """The complete value of a unit in one period, or None."""
        result = self.rollup(code)
        if result.periods is None or period not in result.periods:
            return None
        i, t = self.hierarchy.position(unit), result.periods.index(period)
        v = result.value[i, t]
        return None if np.isnan(v) or result.value_partial[i, t] else float(v)


def _rollup_codes(indicator: Indicator) -> list[str]:
    agg = Aggregation(indicator.aggregation)
    if agg is Aggregation.RATIO:
        return [indicator.numerator, indicator.denominator, indicator.code]  # type: ignore
    if agg is Aggregation.WEIGHTED_MEAN:
        return [indicator.code, indicator.weight]  # type: ignore[list-item]
    return [indicator.code]


def _period_labels(columns: Sequence[np.ndarray], period_type: str) -> list[str]:
    """The distinct period codes of the indicator's period type, in time order."""
    ptype = PeriodType(period_type)
    found: dict[str, int] = {}
    for col in columns:
        for code in np.unique(col).tolist():
            if code in found:
                continue
            try:
                found[code] = Period.parse(code, ptype).ordinal
            except PeriodError:
                continue  # a code of another period type: not part of this series
    return sorted(found, key=found.__getitem__)


def _vintages(conn, codes: set[str], as_of: datetime | None) -> dict[str, datetime]:
    o, i = s.observations, s.indicators
    q = (select(i.c.code, func.max(o.c.recorded_at)).join(i, i.c.id == o.c.indicator_id)
         .where(i.c.code.in_(sorted(codes))).group_by(i.c.code))
    if as_of is not None:
        q = q.where(o.c.recorded_at <= as_of)
    return {code: moment for code, moment in conn.execute(q) if moment is not None}


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
    return [u.code for u in model.children(unit) if hierarchy.active[hierarchy.index[u.code]]]
