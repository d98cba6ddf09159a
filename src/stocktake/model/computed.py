"""Record-level sources (``sources.yaml``) and computed indicators (``compute:`` in
``indicators.yaml``): plain typed definitions, read and checked here; ``stocktake.compute``
runs them on an engine.

A source names where the records are (Parquet or CSV files, a PostgreSQL table, a Spark
table), which engine reads them by default, the column giving the reporting unit (with an
optional mapping to unit codes) and the column giving the date. Connection URLs are never
written in the file: ``url_env`` names the environment variable that holds one.

A computed indicator is one measure over one source, applied identically to every unit and
period: ``count``, ``sum``, ``mean``, ``share`` (of the records meeting a condition, per
``scale``, 100 by default), ``percentile`` (linear interpolation between order statistics,
docs/methods/computed-indicators.md) or ``ratio`` (a numerator over a denominator, each a
count or a sum with conditions of its own), after the ``filters``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import did_you_mean

ENGINES = ("duckdb", "postgres", "spark")
FILE_FORMATS = ("parquet", "csv")
MEASURES = ("count", "sum", "mean", "share", "percentile", "ratio")
PART_MEASURES = ("count", "sum")  # what a ratio's numerator and denominator may be
OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "in", "not_in", "is_null", "not_null")
SOURCE_FIELDS = ("code", "engine", "path", "format", "table", "url_env", "unit", "unit_map",
                 "date", "description")
COMPUTE_FIELDS = ("source", "measure", "column", "where", "percentile", "numerator",
                  "denominator", "filters", "scale")
PART_FIELDS = ("measure", "column", "where")
CONDITION_FIELDS = ("column", "op", "value")

# Where a problem is: (line, field, message); the caller adds the file.
Report = Callable[[int | None, str | None, str], None]


@dataclass(frozen=True)
class Source:
    """Where a computed indicator's records are, and which columns give unit and date."""

    code: str
    engine: str  # the default engine: duckdb, postgres or spark
    unit: str  # the column holding the reporting unit
    date: str  # the column holding the date (or timestamp) of each record
    path: str | None = None  # a file, a folder or a glob (relative to the model folder)
    format: str = "parquet"
    table: str | None = None  # a PostgreSQL or Spark table (schema.table)
    url_env: str | None = None  # the environment variable holding the connection URL
    unit_map: dict[str, str] = field(default_factory=dict)  # column value -> unit code
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, "", {})}


@dataclass(frozen=True)
class Condition:
    """``column op value``: e.g. minutes <= 240, type in [ED, UTC], discharged not_null."""

    column: str
    op: str
    value: Any = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"column": self.column, "op": self.op}
        if self.op not in ("is_null", "not_null"):
            d["value"] = self.value
        return d


@dataclass(frozen=True)
class Part:
    """A ratio's numerator or denominator: a count or a sum over the records meeting
    every condition in ``where``."""

    measure: str
    column: str | None = None
    where: tuple[Condition, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"measure": self.measure}
        if self.column:
            d["column"] = self.column
        if self.where:
            d["where"] = [c.to_dict() for c in self.where]
        return d


@dataclass(frozen=True)
class Compute:
    """One measure over one source's records, after ``filters``, per unit and period."""

    source: str
    measure: str
    column: str | None = None  # sum, mean, percentile
    where: tuple[Condition, ...] = ()  # share: the condition a record meets
    percentile: float | None = None  # 0..100
    numerator: Part | None = None
    denominator: Part | None = None
    filters: tuple[Condition, ...] = ()
    scale: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"source": self.source, "measure": self.measure}
        if self.column:
            d["column"] = self.column
        if self.where:
            d["where"] = [c.to_dict() for c in self.where]
        if self.percentile is not None:
            d["percentile"] = self.percentile
        if self.numerator:
            d["numerator"] = self.numerator.to_dict()
        if self.denominator:
            d["denominator"] = self.denominator.to_dict()
        if self.filters:
            d["filters"] = [c.to_dict() for c in self.filters]
        d["scale"] = self.scale
        return d


# -- reading --------------------------------------------------------------------------

def _lines(item: dict[str, Any]) -> tuple[int | None, dict[str, int]]:
    return item.get("__line__"), item.get("__lines__", {})


def _text(item: dict[str, Any], key: str, report: Report, *, required: bool = False
          ) -> str | None:
    line, lines = _lines(item)
    value = item.get(key)
    if value is None or value == "":
        if required:
            report(line, key, "is required")
        return None
    if isinstance(value, list | dict | bool):
        report(lines.get(key, line), key, "must be text")
        return None
    return str(value)


def _unknown(item: dict[str, Any], known: tuple[str, ...], report: Report, prefix: str) -> None:
    line, lines = _lines(item)
    for key in item:
        if key not in ("__line__", "__lines__") and key not in known:
            report(lines.get(key, line), f"{prefix}{key}",
                   f"is not a known field{did_you_mean(str(key), known)}")


def parse_sources(items: list[dict[str, Any]], report: Report) -> dict[str, Source]:
    """The sources of ``sources.yaml`` (a YAML list of mappings, each with its lines)."""
    out: dict[str, Source] = {}
    for item in items:
        line, lines = _lines(item)
        _unknown(item, SOURCE_FIELDS, report, "")
        code = _text(item, "code", report, required=True)
        engine = _text(item, "engine", report) or "duckdb"
        if engine not in ENGINES:
            report(lines.get("engine", line), "engine", f"'{engine}' is not one of "
                   f"{', '.join(ENGINES)}{did_you_mean(engine, ENGINES)}")
        unit = _text(item, "unit", report, required=True)
        day = _text(item, "date", report, required=True)
        path = _text(item, "path", report)
        table = _text(item, "table", report)
        if (path is None) == (table is None):
            report(line, "path", "give either a path (Parquet or CSV files) or a table")
        if table and engine == "duckdb":
            report(lines.get("table", line), "table", "a table is read by postgres or spark; "
                   "for DuckDB give the path of the files")
        if path and engine == "postgres":
            report(lines.get("path", line), "path", "PostgreSQL reads a table: give table")
        fmt = _text(item, "format", report) or (
            "csv" if (path or "").lower().endswith(".csv") else "parquet")
        if fmt not in FILE_FORMATS:
            report(lines.get("format", line), "format",
                   f"'{fmt}' is not one of {', '.join(FILE_FORMATS)}")
        url_env = _text(item, "url_env", report)
        if engine == "postgres" and not url_env:
            report(line, "url_env", "PostgreSQL needs the name of the environment variable "
                   "that holds its URL (never the URL itself)")
        if url_env and ("://" in url_env or not url_env.replace("_", "").isalnum()):
            report(lines.get("url_env", line), "url_env", "is the name of an environment "
                   "variable (e.g. ED_DATABASE_URL), not a URL: keep secrets out of files")
        raw_map = item.get("unit_map") or {}
        if not isinstance(raw_map, dict):
            report(lines.get("unit_map", line), "unit_map",
                   "must be a mapping of column values to unit codes")
            raw_map = {}
        unit_map = {str(k): str(v) for k, v in raw_map.items()
                    if k not in ("__line__", "__lines__")}
        if code is None or unit is None or day is None:
            continue
        if code in out:
            report(line, "code", f"'{code}' is already defined")
            continue
        out[code] = Source(code=code, engine=engine, unit=unit, date=day, path=path,
                           format=fmt, table=table, url_env=url_env, unit_map=unit_map,
                           description=_text(item, "description", report) or "")
    return out


def _conditions(raw: Any, line: int | None, key: str, report: Report) -> tuple[Condition, ...]:
    if raw is None:
        return ()
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        report(line, key, "must be a list of conditions, each {column, op, value}")
        return ()
    out = []
    for i, cond in enumerate(raw):
        where = f"{key}[{i + 1}]"
        if not isinstance(cond, dict):
            report(line, where, "must be a mapping {column, op, value}")
            continue
        cline = cond.get("__line__", line)
        _unknown(cond, CONDITION_FIELDS, report, f"{where}.")
        column = cond.get("column")
        if not isinstance(column, str) or not column:
            report(cline, f"{where}.column", "is required: the name of a column")
            continue
        op = str(cond.get("op", "=="))
        if op not in OPERATORS:
            report(cline, f"{where}.op", f"'{op}' is not one of {', '.join(OPERATORS)}")
            continue
        value = cond.get("value")
        if op in ("in", "not_in") and not isinstance(value, list):
            report(cline, f"{where}.value", f"'{op}' needs a list of values")
            continue
        if op not in ("is_null", "not_null", "in", "not_in") and (
                value is None or isinstance(value, list | dict)):
            report(cline, f"{where}.value", f"'{op}' needs one value")
            continue
        if isinstance(value, float) and not math.isfinite(value):
            report(cline, f"{where}.value", "must be a finite number")
            continue
        out.append(Condition(column, op, tuple(value) if isinstance(value, list) else value))
    return tuple(out)


def _part(raw: Any, line: int | None, key: str, report: Report) -> Part | None:
    if not isinstance(raw, dict):
        report(line, key, "must be a mapping {measure: count or sum, column, where}")
        return None
    pline = raw.get("__line__", line)
    _unknown(raw, PART_FIELDS, report, f"{key}.")
    measure = str(raw.get("measure", "count"))
    if measure not in PART_MEASURES:
        report(pline, f"{key}.measure", f"'{measure}' is not one of {', '.join(PART_MEASURES)}")
        return None
    column = _text(raw, "column", report, required=measure == "sum")
    if measure == "sum" and column is None:
        return None
    return Part(measure, column, _conditions(raw.get("where"), pline, f"{key}.where", report))


def parse_compute(raw: Any, line: int | None, sources: dict[str, Source], report: Report
                  ) -> Compute | None:
    """An indicator's ``compute:`` mapping, checked against the sources; problems are
    reported with their line and key (``compute.percentile``)."""
    def at(ln: int | None, key: str | None, message: str) -> None:
        report(ln, f"compute.{key}" if key else "compute", message)

    if not isinstance(raw, dict):
        at(line, None, "must be a mapping: source, measure and what the measure needs")
        return None
    line, lines = raw.get("__line__", line), raw.get("__lines__", {})
    _unknown(raw, COMPUTE_FIELDS, at, "")
    problems = _Counter(at)
    source = _text(raw, "source", problems, required=True)
    if source is not None and source not in sources:
        problems(lines.get("source", line), "source", f"'{source}' is not a source of "
                        f"sources.yaml{did_you_mean(source, list(sources))}")
    measure = _text(raw, "measure", problems, required=True)
    if measure is not None and measure not in MEASURES:
        problems(lines.get("measure", line), "measure", f"'{measure}' is not one of "
                        f"{', '.join(MEASURES)}{did_you_mean(measure, MEASURES)}")
    column = _text(raw, "column", problems,
                   required=measure in ("sum", "mean", "percentile"))
    where = _conditions(raw.get("where"), lines.get("where", line), "where", problems)
    if measure == "share" and not where:
        problems(line, "where", "a share needs the condition its records meet")
    percentile = raw.get("percentile")
    if measure == "percentile":
        if isinstance(percentile, bool) or not isinstance(percentile, int | float) or not (
                0 <= percentile <= 100):
            problems(lines.get("percentile", line), "percentile",
                            "must be a number from 0 to 100 (50 is the median)")
            percentile = None
    elif percentile is not None:
        problems(lines.get("percentile", line), "percentile",
                        "is only for measure: percentile")
    numerator = denominator = None
    if measure == "ratio":
        for key in ("numerator", "denominator"):
            if key not in raw:
                problems(line, key, "a ratio needs a numerator and a denominator")
        numerator = _part(raw.get("numerator"), lines.get("numerator", line), "numerator",
                          problems) if "numerator" in raw else None
        denominator = _part(raw.get("denominator"), lines.get("denominator", line),
                            "denominator", problems) if "denominator" in raw else None
    filters = _conditions(raw.get("filters"), lines.get("filters", line), "filters",
                          problems)
    scale = raw.get("scale", 100 if measure == "share" else 1)
    if isinstance(scale, bool) or not isinstance(scale, int | float) or not (
            math.isfinite(scale) and scale > 0):
        problems(lines.get("scale", line), "scale", "must be a positive number")
        scale = 1
    if problems.count or source is None or measure is None:
        return None
    return Compute(source=source, measure=measure, column=column, where=where,
                   percentile=float(percentile) if percentile is not None else None,
                   numerator=numerator, denominator=denominator, filters=filters,
                   scale=float(scale))


class _Counter:
    """A Report that also counts what it reported."""

    def __init__(self, report: Report) -> None:
        self.report, self.count = report, 0

    def __call__(self, line: int | None, key: str | None, message: str) -> None:
        self.count += 1
        self.report(line, key, message)
