"""Indicators computed from record-level data: one definition (``compute:`` in
indicators.yaml, over a source of sources.yaml) applied identically to every unit and period,
on DuckDB, PostgreSQL or Spark through Ibis. The records stay in the engine: only one row per
unit and period comes back (docs/methods/computed-indicators.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ibis.common.exceptions import IbisTypeError

from ..errors import Invalid, Problem, did_you_mean
from ..model.computed import Compute, Source
from ..model.periods import Period
from .engines import open_source
from .expressions import aggregate, value_of


@dataclass
class Computed:
    """One indicator's values, and how they were computed (the lineage of its batch)."""

    indicator: str
    engine: str
    values: list[tuple[str, str, float]]  # unit, period, value
    sql: str
    snapshot: dict[str, Any]
    definition: dict[str, Any]
    empty_groups: int = 0  # units and periods with records but no value (e.g. 0 / 0)
    source: dict[str, Any] = field(default_factory=dict)

    def lineage(self) -> dict[str, Any]:
        return {"indicator": self.indicator, "engine": self.engine,
                "definition": self.definition, "source": self.source, "sql": self.sql,
                "snapshot": self.snapshot}


def compute(indicator: str, spec: Compute, source: Source, period_type: str, *,
            engine: str | None = None, base: Path = Path("."), start: date | None = None,
            end: date | None = None, ancestors: Mapping[str, Sequence[str]] | None = None
            ) -> Computed:
    """Compute one indicator for every unit and period of its records within [start, end]
    (either open) on ``engine`` (default: the source's). The range is widened to whole
    periods of the indicator's type: a quarter is never computed from one of its months.
    With ``ancestors`` (unit code: its parent, grandparent...; the model's hierarchy) the
    ancestors of the records' units get values too, each from the records below it."""
    engine = engine or source.engine
    if start is not None:
        start = Period.containing(start, period_type).start
    if end is not None:
        end = Period.containing(end, period_type).end
    opened = open_source(source, engine, base)
    _check_columns(indicator, spec, source, list(opened.table.columns))
    try:
        expr = aggregate(opened.table, spec, source, period_type, start=start, end=end,
                         ancestors=ancestors)
    except (IbisTypeError, TypeError) as exc:  # e.g. a text column compared with a number
        raise Invalid(f"indicator '{indicator}': its compute: does not fit the columns of "
                      f"source '{source.code}': {exc}", source="indicators.yaml") from None
    values, empty = [], 0
    for row in opened.run(expr):
        value = value_of(row, spec)
        if value is None or row["unit"] is None:
            empty += 1
            continue
        period = Period.containing(_as_date(row["start"]), period_type).code
        values.append((str(row["unit"]), period, value))
    return Computed(indicator=indicator, engine=engine, values=values, sql=opened.sql(expr),
                    snapshot=opened.snapshot, definition=spec.to_dict(),
                    empty_groups=empty, source=source.to_dict())


def _check_columns(indicator: str, spec: Compute, source: Source, columns: list[str]) -> None:
    """Every column the definition and the source name is in the records, or Invalid
    naming each one that is not (with the closest column)."""
    named = [("unit", source.unit), ("date", source.date)]
    named += [("column", spec.column)] if spec.column else []
    for part in (spec.numerator, spec.denominator):
        if part is not None:
            named += [("column", part.column)] if part.column else []
            named += [("where", c.column) for c in part.where]
    named += [("where", c.column) for c in spec.where]
    named += [("filters", c.column) for c in spec.filters]
    problems = [Problem(f"'{col}' is not a column of source '{source.code}'"
                        f"{did_you_mean(col, columns)}; its columns: {', '.join(columns)}",
                        f"{indicator}: {key}") for key, col in dict.fromkeys(named)
                if col not in columns]
    if problems:
        raise Invalid(problems)


def _as_date(value: Any) -> date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value
