"""One computed indicator as one Ibis expression: the records filtered, grouped by unit and
period start, reduced to a few numbers per group. The engine runs it where the records are
(DuckDB, PostgreSQL, Spark); only the groups come back.

What comes back is the parts of each value, not the value: a count and a total, a numerator
and a denominator; ``value_of`` divides them in Python, so the same parts give the same
value on every engine. Only a percentile is taken whole from the engine: each of DuckDB's
``quantile_cont``, PostgreSQL's ``percentile_cont`` and Spark's ``percentile`` interpolates
linearly between the two nearest order statistics (docs/methods/computed-indicators.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import ibis
import ibis.expr.types as ir

from ..model.computed import Compute, Condition, Part, Source

# Ibis's unit for truncating a date to the start of each type of period. Weeks start on
# Monday in all three engines, as ISO weeks do.
TRUNCATE = {"year": "Y", "quarter": "Q", "month": "M", "week": "W", "day": "D"}
# Engines sum floating-point numbers in different orders: a value is kept to this many
# significant digits, so the last bits of rounding do not tell the engines apart.
SIGNIFICANT = 12


def condition(t: ir.Table, c: Condition) -> ir.BooleanValue:
    """One condition on the records' columns, as an Ibis boolean."""
    col = t[c.column]
    if c.op == "is_null":
        return col.isnull()
    if c.op == "not_null":
        return col.notnull()
    if c.op == "in":
        return col.isin(list(c.value))
    if c.op == "not_in":
        return ~col.isin(list(c.value))
    return {"==": col.__eq__, "!=": col.__ne__, "<": col.__lt__, "<=": col.__le__,
            ">": col.__gt__, ">=": col.__ge__}[c.op](c.value)


def _all(t: ir.Table, conditions: tuple[Condition, ...]) -> ir.BooleanValue | None:
    out = None
    for c in conditions:
        b = condition(t, c)
        out = b if out is None else out & b
    return out


def _part(t: ir.Table, part: Part) -> ir.NumericScalar:
    where = _all(t, part.where)
    if part.measure == "count":
        return t.count(where=where)
    return t[part.column].sum(where=where)


def aggregate(t: ir.Table, spec: Compute, source: Source, period_type: str, *,
              start: date | None = None, end: date | None = None,
              ancestors: Mapping[str, Sequence[str]] | None = None) -> ir.Table:
    """Per unit and period start (columns ``unit`` and ``start``) the parts of the value:
    ``num`` and ``den`` (count, sum, mean, share, ratio) or ``value`` (percentile), for
    the records of ``t`` within [start, end] that pass the filters.

    With ``ancestors`` (a unit's parent, grandparent... by unit code) every ancestor of a
    records' unit gets a value too, computed from the records of all the units below it
    with the same definition, as DHIS2's analytics do: a region's share is the share of
    its attendances, not the mean of its hospitals' shares, and its median the median of
    its attendances (which no figure of its hospitals could give)."""
    unit = t[source.unit].cast("string")
    if source.unit_map:
        unit = unit.substitute(source.unit_map, else_=unit)
    day = t[source.date].cast("date")
    # Every reduction below is over this one relation, filtered once.
    f = t.mutate(_unit=unit, _start=day.truncate(TRUNCATE[period_type]), _day=day)
    keep = [condition(f, c) for c in spec.filters]
    if start is not None:
        keep.append(f._day >= ibis.literal(start))
    if end is not None:
        keep.append(f._day <= ibis.literal(end))
    if keep:
        f = f.filter(*keep)
    f = _with_ancestors(f, ancestors or {})
    measures: dict[str, Any]
    if spec.measure == "count":
        measures = {"num": f.count(), "den": ibis.literal(1)}
    elif spec.measure == "sum":
        measures = {"num": f[spec.column].sum(), "den": ibis.literal(1)}
    elif spec.measure == "mean":
        measures = {"num": f[spec.column].sum(), "den": f[spec.column].count()}
    elif spec.measure == "share":
        measures = {"num": f.count(where=_all(f, spec.where)), "den": f.count()}
    elif spec.measure == "ratio":
        measures = {"num": _part(f, spec.numerator), "den": _part(f, spec.denominator)}
    else:  # percentile
        measures = {"value": f[spec.column].quantile(spec.percentile / 100)}
    return (f.group_by(unit=f._unit, start=f._start).aggregate(**measures)
            .order_by(["unit", "start"]))


def _with_ancestors(f: ir.Table, ancestors: Mapping[str, Sequence[str]]) -> ir.Table:
    """The records once for their own unit and once more for each ancestor of it: one copy
    per level of the hierarchy, relabelled (``_unit``) to the unit that level up, so that
    one grouping gives every level (a UNION ALL the engine runs; the records stay there).
    Units of the records that the hierarchy does not know, and roots, add nothing."""
    depth = max((len(a) for a in ancestors.values()), default=0)
    out = f
    for k in range(depth):
        up = {unit: chain[k] for unit, chain in ancestors.items() if len(chain) > k}
        level = f.filter(f._unit.isin(list(up))).mutate(_unit=f._unit.substitute(up))
        out = out.union(level, distinct=False)
    return out


def value_of(row: dict[str, Any], spec: Compute) -> float | None:
    """A group's value from its parts, per ``scale``; None where it has none (no records
    with a value, a zero denominator)."""
    if spec.measure == "percentile":
        v = row["value"]
        return None if v is None else _significant(float(v) * spec.scale)
    num, den = row["num"], row["den"]
    if num is None or den is None or den == 0:
        return None
    if spec.measure in ("count", "sum") and spec.scale == 1:
        return _significant(float(num))
    return _significant(float(num) / float(den) * spec.scale)


def _significant(v: float) -> float:
    return float(f"{v:.{SIGNIFICANT}g}")
