"""Reading the delivery model from files: units.csv, indicators.yaml, priorities.yaml.

Every problem is collected (file, line, field, message) before anything is returned, so
a user fixes all of them in one pass; nothing is loaded while any problem remains.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .. import errors
from ..errors import did_you_mean
from .computed import parse_compute, parse_sources
from .entities import (
    Aggregation,
    DataSet,
    DeliveryModel,
    Indicator,
    IndicatorKind,
    PeriodValue,
    Polarity,
    Priority,
    Unit,
)
from .periods import Period, PeriodError, PeriodType
from .safe_yaml import AliasExpansion, BoundedLoader

UNITS_FILE = "units.csv"
INDICATORS_FILE = "indicators.yaml"
PRIORITIES_FILE = "priorities.yaml"
DATASETS_FILE = "datasets.yaml"  # optional
RULES_FILE = "rules.yaml"  # optional
SOURCES_FILE = "sources.yaml"  # optional: record-level sources of computed indicators

UNIT_COLUMNS = ("code", "name", "level", "parent")
UNIT_OPTIONAL_COLUMNS = ("name_fr", "level_fr")  # any other column is an attribute
CODE_LENGTH = 64  # the store's code columns are this wide
# Fields read as text: a list or a mapping there is a mistake, not text.
TEXT_FIELDS = frozenset({"code", "name", "unit", "definition", "source", "owner", "weight",
                         "numerator", "denominator", "title", "headline", "scope",
                         "aspiration", "department", "name_fr", "definition_fr", "title_fr",
                         "aspiration_fr", "unit_fr"})
INDICATOR_REQUIRED = ("code", "name", "unit", "polarity", "period_type", "aggregation")
INDICATOR_OPTIONAL = (
    "definition", "kind", "source", "owner", "weight", "numerator", "denominator", "scale",
    "min", "max", "integer", "decimals", "related", "compute", "name_fr", "definition_fr",
    "unit_fr",
)
PRIORITY_REQUIRED = ("code", "title", "headline", "scope", "baseline", "target")
DATASET_REQUIRED = ("code", "name", "period_type", "indicators")
DATASET_OPTIONAL = ("units", "levels", "timely_days", "start", "owner", "end")
PRIORITY_OPTIONAL = (
    "aspiration", "owner", "leads", "counters", "trajectory", "tolerance", "published",
    "department", "stages", "title_fr", "aspiration_fr",
)
# An earlier stage of a priority (its target already reached or passed): baseline and target
# like the priority's own, and an optional note (why the next target was set).
STAGE_FIELDS = ("baseline", "target", "note")


@dataclass(frozen=True, init=False)
class Problem(errors.Problem):
    """A problem in a model file: ``where`` is ``file:line`` and the field, e.g.
    ``priorities.yaml:12: field 'target'``; the parts stay readable on their own."""

    file: str = ""
    line: int | None = None
    field: str | None = None

    def __init__(self, file: str, line: int | None, field: str | None, message: str):
        where = file + (f":{line}" if line else "") + (f": field '{field}'" if field else "")
        super().__init__(message, where)
        object.__setattr__(self, "file", file)
        object.__setattr__(self, "line", line)
        object.__setattr__(self, "field", field)


class ModelError(errors.Invalid):
    """The model files hold problems; ``problems`` lists every one of them."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems)

    def _text(self) -> str:
        return f"{len(self.problems)} problem(s) in the delivery model:\n" + "\n".join(
            f"  {p}" for p in self.problems)


class _LineLoader(BoundedLoader):
    """A YAML loader that remembers the line of every mapping and of each of its keys (and
    refuses alias bombs: safe_yaml)."""


MERGE_TAG = "tag:yaml.org,2002:merge"


class _DuplicateKey(yaml.MarkedYAMLError):
    """A key given twice in one mapping: YAML would silently keep the last."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    first: dict[Any, int] = {}  # key -> its line
    for key_node, _ in node.value:
        if key_node.tag == MERGE_TAG:  # ``<<: *defaults``: its keys may be overridden here
            continue
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            again = key in first
        except TypeError:  # an unhashable key: construct_mapping refuses it below
            continue
        if again:
            raise _DuplicateKey(problem=f"'{key}' is given twice in the same mapping "
                                f"(lines {first[key]} and {line}): keep one",
                                problem_mark=key_node.start_mark)
        first[key] = line
    loader.flatten_mapping(node)  # merge keys in: the pairs they name, then this mapping's
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    mapping["__lines__"] = {k.value: k.start_mark.line + 1 for k, _ in node.value}
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(text: str, f: str) -> Any:
    """A model file's YAML, each mapping with its lines (see _LineLoader), or ModelError
    naming the file and line: invalid YAML, a key given twice in one mapping, aliases that
    expand too far (an alias bomb), nesting too deep to read."""
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except (_DuplicateKey, AliasExpansion) as exc:
        raise ModelError([Problem(f, exc.problem_mark.line + 1, None, exc.problem)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ModelError([Problem(f, mark.line + 1 if mark else None, None,
                                  f"is not valid YAML: {exc}")]) from None
    except RecursionError:
        raise ModelError([Problem(f, None, None, "is nested too deeply (lists or mappings "
                                  "inside each other hundreds of levels down)")]) from None


def strip_lines(value: Any) -> Any:
    """Remove the loader's line bookkeeping from a parsed YAML value."""
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items() if k not in ("__line__", "__lines__")}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, file: str, line: int | None, field: str | None, message: str) -> None:
        self.problems.append(Problem(file, line, field, message))


def load_model_dir(directory: str | Path) -> DeliveryModel:
    """Read and validate the three model files of a directory, or raise ModelError."""
    d = Path(directory)
    problems = _Collector()
    if not d.is_dir():
        raise ModelError([Problem(str(d), None, None, "is not a directory")])
    texts: dict[str, str] = {}
    for name in (UNITS_FILE, INDICATORS_FILE, PRIORITIES_FILE, DATASETS_FILE, RULES_FILE,
                 SOURCES_FILE):
        path = d / name
        if not path.exists():
            if name not in (DATASETS_FILE, RULES_FILE, SOURCES_FILE):
                problems.add(name, None, None, f"file is missing from {d}")
            continue
        if not path.is_file():
            problems.add(name, None, None, "is a folder or a device, not a file")
            continue
        try:
            texts[name] = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            problems.add(name, None, None, f"is not UTF-8 text ({exc.reason} at byte {exc.start})")
        except OSError as exc:
            problems.add(name, None, None, f"cannot be read: {exc.strerror or exc}")
    if problems.problems:
        raise ModelError(problems.problems)
    return parse_model(texts[UNITS_FILE], texts[INDICATORS_FILE], texts[PRIORITIES_FILE],
                       texts.get(DATASETS_FILE), texts.get(RULES_FILE),
                       texts.get(SOURCES_FILE))


def parse_model(units_csv: str, indicators_yaml: str, priorities_yaml: str,
                datasets_yaml: str | None = None, rules_yaml: str | None = None,
                sources_yaml: str | None = None) -> DeliveryModel:
    """Validate the model given as file contents, or raise ModelError with every problem.

    Rules are only read here (kept with their lines); intake.rules checks their expressions.
    """
    c = _Collector()
    texts = {UNITS_FILE: units_csv, INDICATORS_FILE: indicators_yaml,
             PRIORITIES_FILE: priorities_yaml, DATASETS_FILE: datasets_yaml or "",
             RULES_FILE: rules_yaml or "", SOURCES_FILE: sources_yaml or ""}
    for name, text in texts.items():
        if "\x00" in text:  # no database keeps it in text (PostgreSQL refuses it)
            at = text.index("\x00")
            c.add(name, text.count("\n", 0, at) + 1, None,
                  "holds a NUL character (byte 0): is it a text file? Save it as UTF-8 text")
    if c.problems:
        raise ModelError(c.problems)
    model = DeliveryModel()
    model.units = _parse_units(units_csv, c, model.locations)
    if sources_yaml:
        model.sources = parse_sources(
            _read_yaml_list(sources_yaml, SOURCES_FILE, c),
            lambda line, key, message: c.add(SOURCES_FILE, line, key, message))
    model.indicators = _parse_indicators(indicators_yaml, c, model)
    model.priorities = _parse_priorities(priorities_yaml, model, c)
    if datasets_yaml:
        model.datasets = _parse_datasets(datasets_yaml, model, c)
    if rules_yaml:
        model.rules_source = rules_yaml
        for item in _read_yaml_list(rules_yaml, RULES_FILE, c):
            code = str(item.get("code") or f"line-{item['__line__']}")
            model.locations[f"rule:{code}"] = (RULES_FILE, item["__line__"])
            model.rules.append(strip_lines(item))
    if c.problems:
        raise ModelError(c.problems)
    return model


# -- units.csv ------------------------------------------------------------------------

def _number_or_text(text: str) -> Any:
    try:
        number = float(text)
    except ValueError:
        return text
    if math.isfinite(number) and number == int(number) and "." not in text and "e" not in text:
        return int(number)
    return number


def _parse_units(text: str, c: _Collector, locations: dict[str, tuple[str, int]]
                 ) -> dict[str, Unit]:
    f = UNITS_FILE
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        c.add(f, 1, None, f"is empty: the header must be {','.join(UNIT_COLUMNS)}")
        return {}
    missing = [col for col in UNIT_COLUMNS if col not in header]
    if missing:
        c.add(f, 1, None, f"header lacks column(s) {', '.join(missing)}; "
              f"it must start with {','.join(UNIT_COLUMNS)}")
        return {}
    dupes = {h for h in header if header.count(h) > 1}
    if dupes:
        c.add(f, 1, None, f"column(s) {', '.join(sorted(dupes))} appear more than once")
        return {}
    units: dict[str, Unit] = {}
    lines: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            c.add(f, line, None, f"has {len(row)} cells but the header has {len(header)}")
            continue
        rec = {h: cell.strip() for h, cell in zip(header, row, strict=True)}
        code = rec["code"]
        if not code:
            c.add(f, line, "code", "is empty")
            continue
        if code in units:
            c.add(f, line, "code", f"'{code}' is already used on line {lines[code]}")
            continue
        problem = code_problem(code)
        if problem:
            c.add(f, line, "code", problem)
            continue
        for col in ("name", "level"):
            if not rec[col]:
                c.add(f, line, col, f"is empty for unit '{code}'")
        attributes = {
            k: _number_or_text(v) for k, v in rec.items()
            if k not in UNIT_COLUMNS + UNIT_OPTIONAL_COLUMNS and v != ""
        }
        units[code] = Unit(code, rec["name"], rec["level"], rec["parent"] or None, attributes,
                           name_fr=rec.get("name_fr", ""), level_fr=rec.get("level_fr", ""))
        lines[code] = line
        locations[f"unit:{code}"] = (f, line)
    if not units and not c.problems:
        c.add(f, 2, None, "holds no units")
    _check_level_names(units, lines, c)
    for code, unit in units.items():
        if unit.parent is not None and unit.parent not in units:
            c.add(f, lines[code], "parent",
                  f"'{unit.parent}' is not a unit code{did_you_mean(unit.parent, list(units))}")
    # A parent chain that never reaches a root is a cycle. Each unit is walked once: a
    # chain that meets a unit already settled ends there (a hierarchy may be 5,000 deep).
    settled: dict[str, bool] = {}  # code -> whether it is on or below a cycle
    for code in units:
        chain: dict[str, None] = {}
        node: str | None = code
        while node is not None and node in units and node not in settled:
            if node in chain:
                break
            chain[node] = None
            node = units[node].parent
        cyclic = node in chain or settled.get(node or "", False)
        for member in chain:
            settled[member] = cyclic
        if cyclic:  # on a cycle, or below one (as before: each such unit is named)
            c.add(f, lines[code], "parent", f"unit '{code}' is its own ancestor (a cycle)")
    return units


def _check_level_names(units: dict[str, Unit], lines: dict[str, int], c: _Collector) -> None:
    """A level has one French name: a unit may leave ``level_fr`` empty (its level's other
    units name it), but two units of a level may not name it differently."""
    named: dict[str, tuple[str, str]] = {}  # level -> (its French name, the unit naming it)
    for code, unit in units.items():
        if not unit.level_fr:
            continue
        first = named.setdefault(unit.level, (unit.level_fr, code))
        if first[0] != unit.level_fr:
            c.add(UNITS_FILE, lines[code], "level_fr",
                  f"'{unit.level_fr}' names level '{unit.level}' in French, but unit "
                  f"'{first[1]}' (line {lines[first[1]]}) names it '{first[0]}'")


# -- YAML lists -----------------------------------------------------------------------

def _read_yaml_list(text: str, f: str, c: _Collector) -> list[dict[str, Any]]:
    try:
        data = parse_yaml(text, f)
    except ModelError as exc:
        c.problems += exc.problems
        return []
    if data is None:
        return []
    if not isinstance(data, list):
        c.add(f, 1, None, "must be a YAML list (each item starting with '- ')")
        return []
    items = []
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            c.add(f, None, None, f"item {i + 1} is not a mapping of fields")
            continue
        items.append(item)
    return items


def _check_fields(item: dict[str, Any], f: str, required: tuple[str, ...],
                  optional: tuple[str, ...], c: _Collector) -> bool:
    line = item["__line__"]
    known = required + optional
    ok = True
    for key in item:
        if key in ("__line__", "__lines__"):
            continue
        if key not in known:
            c.add(f, item["__lines__"].get(key, line), key,
                  f"is not a known field{did_you_mean(str(key), known)}")
            ok = False
    for key in required:
        if item.get(key) in (None, ""):
            c.add(f, line, key, "is required")
            ok = False
    for key in TEXT_FIELDS.intersection(item):
        if isinstance(item[key], list | dict):
            kind = "a list" if isinstance(item[key], list) else "a mapping"
            c.add(f, _line(item, key), key, f"must be text, not {kind}")
            ok = False
    if "code" in item and isinstance(item["code"], str | int | float):
        problem = code_problem(str(item["code"]))
        if problem:
            c.add(f, _line(item, "code"), "code", problem)
            ok = False
    return ok


def code_problem(code: str) -> str | None:
    """Why ``code`` cannot be a code (the store keeps codes of up to CODE_LENGTH printable
    characters), or None."""
    if len(code) > CODE_LENGTH:
        return f"'{code[:20]}…' is {len(code):,} characters long: at most {CODE_LENGTH}"
    bad = next((ch for ch in code if not ch.isprintable()), None)
    if bad is not None:
        return (f"{code!r} holds a character that cannot be printed "
                f"(U+{ord(bad):04X}): codes are plain text")
    return None


def _line(item: dict[str, Any], key: str) -> int:
    return item["__lines__"].get(key, item["__line__"])


def _enum(item: dict[str, Any], key: str, enum: type, f: str, c: _Collector, default=None):
    raw = item.get(key)
    if raw is None:
        return default
    try:
        return enum(str(raw))
    except ValueError:
        choices = [e.value for e in enum]
        c.add(f, _line(item, key), key, f"'{raw}' is not one of {', '.join(choices)}"
              f"{did_you_mean(str(raw), choices)}")
        return default


# -- indicators.yaml ------------------------------------------------------------------

def _parse_indicators(text: str, c: _Collector, model: DeliveryModel
                      ) -> dict[str, Indicator]:
    f = INDICATORS_FILE
    out: dict[str, Indicator] = {}
    lines: dict[str, int] = {}
    related_lines: dict[str, int] = {}
    for item in _read_yaml_list(text, f, c):
        ok = _check_fields(item, f, INDICATOR_REQUIRED, INDICATOR_OPTIONAL, c)
        if not ok and not item.get("code"):
            continue
        code = str(item.get("code", ""))
        if code in out:
            c.add(f, item["__line__"], "code", f"'{code}' is already defined on line {lines[code]}")
            continue
        polarity = _enum(item, "polarity", Polarity, f, c, Polarity.NEUTRAL)
        aggregation = _enum(item, "aggregation", Aggregation, f, c, Aggregation.NONE)
        kind = _enum(item, "kind", IndicatorKind, f, c, IndicatorKind.CONTEXT)
        period_type = _enum(item, "period_type", PeriodType, f, c, PeriodType.YEAR)
        scale = item.get("scale", 1)
        if not _finite(scale) or scale <= 0:
            c.add(f, _line(item, "scale"), "scale", f"'{scale}' must be a positive number")
            scale = 1
        attributes: dict[str, Any] = {}
        for key in ("min", "max", "decimals"):
            if key in item:
                v = item[key]
                if not _finite(v):  # .nan would pass every comparison, .inf bounds nothing
                    c.add(f, _line(item, key), key, f"'{v}' must be a finite number")
                else:
                    attributes[key] = v
        if "integer" in item:
            if not isinstance(item["integer"], bool):
                c.add(f, _line(item, "integer"), "integer", "must be true or false")
            else:
                attributes["integer"] = item["integer"]
        if "min" in attributes and "max" in attributes and attributes["min"] > attributes["max"]:
            c.add(f, _line(item, "max"), "max", "is below min")
        if item.get("related") is not None:
            # checked against the other codes once every indicator is read (below)
            attributes["related"] = _code_list(item, "related", {}, "an indicator code", f, c)
            related_lines[code] = _line(item, "related")
        out[code] = Indicator(
            code=code,
            name=str(item.get("name", "")),
            unit=str(item.get("unit", "")),
            polarity=polarity,
            period_type=period_type.value,
            aggregation=aggregation,
            definition=str(item.get("definition") or ""),
            kind=kind,
            source=str(item.get("source") or ""),
            owner=str(item.get("owner") or ""),
            weight=_opt_str(item.get("weight")),
            numerator=_opt_str(item.get("numerator")),
            denominator=_opt_str(item.get("denominator")),
            scale=float(scale),
            attributes=attributes,
            name_fr=_text(item.get("name_fr")),
            definition_fr=_text(item.get("definition_fr")),
            unit_fr=_text(item.get("unit_fr")),
        )
        lines[code] = item["__line__"]
        model.locations[f"indicator:{code}"] = (f, item["__line__"])
        item["__code__"] = code
        if "compute" in item:
            spec = parse_compute(item["compute"], _line(item, "compute"), model.sources,
                                 lambda line, key, message: c.add(f, line, key, message))
            if spec is not None:
                model.computes[code] = spec
    # References between indicators, once every code is known.
    for code, ind in out.items():
        line = lines[code]
        if ind.aggregation is Aggregation.WEIGHTED_MEAN:
            _ref(ind.weight, "weight", code, line, out, c, "weighted_mean needs a weight indicator")
        if ind.aggregation is Aggregation.RATIO:
            _ref(ind.numerator, "numerator", code, line, out, c, "ratio needs a numerator")
            _ref(ind.denominator, "denominator", code, line, out, c, "ratio needs a denominator")
            for ref in (ind.numerator, ind.denominator):
                if ref in out and out[ref].period_type != ind.period_type:
                    c.add(f, line, "period_type", f"'{code}' is {ind.period_type} but its "
                          f"component '{ref}' is {out[ref].period_type}")
        _check_related(ind, out, related_lines.get(code, line), c)
    return out


def _check_related(ind: Indicator, known: dict[str, Indicator], line: int,
                   c: _Collector) -> None:
    """Each indicator an indicator is declared to move with (``related``) exists, is not
    itself, and is reported for the same type of period: their ratio is read period by
    period (analysis.alerts, ratio shifts)."""
    for ref in ind.related:
        if ref not in known:
            c.add(INDICATORS_FILE, line, "related",
                  f"'{ref}' is not an indicator code{did_you_mean(ref, list(known))}")
        elif ref == ind.code:
            c.add(INDICATORS_FILE, line, "related", f"'{ind.code}' cannot move with itself")
        elif known[ref].period_type != ind.period_type:
            c.add(INDICATORS_FILE, line, "related",
                  f"'{ind.code}' is {ind.period_type} but '{ref}' is "
                  f"{known[ref].period_type}: a ratio needs both for the same periods")


def _code_list(item: dict[str, Any], key: str, known, what: str, f: str,
               c: _Collector) -> list[str]:
    """A field holding a list of codes (a single code is accepted as a list of one), each
    checked against ``known`` when the model has any."""
    raw = item.get(key) or []
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        c.add(f, _line(item, key), key, f"must be a list of codes ({what})")
        return []
    codes = [str(x) for x in raw]
    for ref in codes:
        if known and ref not in known:
            c.add(f, _line(item, key), key,
                  f"'{ref}' is not {what}{did_you_mean(ref, sorted(known))}")
    return codes


def _finite(value: Any) -> bool:
    """A YAML number that is neither true/false nor .nan/.inf."""
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


def _text(value: Any) -> str:
    """An optional text field: '' when absent (a list or mapping is reported elsewhere)."""
    return "" if value is None or isinstance(value, list | dict) else str(value).strip()


def _opt_str(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _ref(ref: str | None, key: str, code: str, line: int, known: dict[str, Indicator],
         c: _Collector, missing_message: str) -> None:
    if ref is None:
        c.add(INDICATORS_FILE, line, key, f"{missing_message} (indicator '{code}')")
    elif ref not in known:
        c.add(INDICATORS_FILE, line, key,
              f"'{ref}' is not an indicator code{did_you_mean(ref, list(known))}")
    elif ref == code:
        c.add(INDICATORS_FILE, line, key, f"'{code}' cannot be built from itself")


# -- priorities.yaml ------------------------------------------------------------------

def _parse_priorities(text: str, model: DeliveryModel, c: _Collector) -> dict[str, Priority]:
    f = PRIORITIES_FILE
    out: dict[str, Priority] = {}
    for item in _read_yaml_list(text, f, c):
        _check_fields(item, f, PRIORITY_REQUIRED, PRIORITY_OPTIONAL, c)
        code = str(item.get("code") or "")
        if not code:
            continue
        if code in out:
            c.add(f, item["__line__"], "code", f"'{code}' is defined twice")
            continue
        headline = _opt_str(item.get("headline"))
        indicator = model.indicators.get(headline) if headline else None
        if headline and indicator is None and model.indicators:
            hint = did_you_mean(headline, list(model.indicators))
            c.add(f, _line(item, "headline"), "headline",
                  f"'{headline}' is not an indicator code{hint}")
        scope = _opt_str(item.get("scope"))
        if scope and model.units and scope not in model.units:
            c.add(f, _line(item, "scope"), "scope",
                  f"'{scope}' is not a unit code{did_you_mean(scope, list(model.units))}")
        period_type = indicator.period_type if indicator else None
        baseline = _period_value(item, "baseline", period_type, f, c)
        target = _period_value(item, "target", period_type, f, c)
        if baseline and target:
            try:
                if Period.parse(target.period) <= Period.parse(baseline.period):
                    c.add(f, _line(item, "target"), "target",
                          f"period {target.period} is not after the baseline {baseline.period}")
            except (PeriodError, TypeError):
                pass  # already reported, or of different types (reported above)
        lists = {}
        for key in ("leads", "counters"):
            lists[key] = _code_list(item, key, model.indicators, "an indicator code", f, c)
        for key in ("trajectory", "tolerance"):
            if key in item:
                model.locations[f"priority:{code}:{key}"] = (f, _line(item, key))
        tolerance = strip_lines(item.get("tolerance"))
        if tolerance is not None:
            value = tolerance
            if isinstance(tolerance, dict) and len(tolerance) == 1 and (
                    set(tolerance) <= {"absolute", "relative"}):
                value = next(iter(tolerance.values()))
            if not _finite(value) or value < 0:
                c.add(f, _line(item, "tolerance"), "tolerance",
                      f"'{tolerance}' must be a number of 0 or more: a percentage of the "
                      "expected value, or {absolute: X} in the headline's units")
        attributes = {k: strip_lines(item[k]) for k in
                      ("trajectory", "tolerance", "published", "department") if k in item}
        if "stages" in item:
            stages = _stages(item, period_type, baseline, f, c)
            if stages:
                attributes["stages"] = stages
        if baseline is None or target is None or not headline or not scope:
            continue
        model.locations[f"priority:{code}"] = (f, item["__line__"])
        out[code] = Priority(
            code=code,
            title=str(item.get("title") or ""),
            headline=headline,
            scope=scope,
            baseline=baseline,
            target=target,
            aspiration=str(item.get("aspiration") or ""),
            owner=str(item.get("owner") or ""),
            leads=lists["leads"],
            counters=lists["counters"],
            attributes=attributes,
            title_fr=_text(item.get("title_fr")),
            aspiration_fr=_text(item.get("aspiration_fr")),
        )
    return out


def _stages(item: dict[str, Any], period_type: str | None, baseline: PeriodValue | None,
            f: str, c: _Collector) -> list[dict[str, Any]]:
    """The earlier stages of a priority, oldest first: each a mapping with baseline and
    target ({period, value}) and an optional note; each stage ends (its target period) at
    or before the next one begins, the last at or before the priority's own baseline."""
    raw = item.get("stages")
    line = _line(item, "stages")
    if not isinstance(raw, list) or not raw:
        c.add(f, line, "stages", "must be a list of earlier stages, each with a baseline and "
              "a target ({period, value}), oldest first")
        return []
    out: list[dict[str, Any]] = []
    ends: list[tuple[str, Period | None, Period | None, int]] = []
    for i, stage in enumerate(raw):
        where = f"stages[{i}]"
        if not isinstance(stage, dict):
            c.add(f, line, where, "must be a mapping with a baseline and a target")
            continue
        here = stage["__line__"]
        for key in stage:
            if key not in ("__line__", "__lines__") and key not in STAGE_FIELDS:
                c.add(f, stage["__lines__"].get(key, here), f"{where}.{key}",
                      f"is not a known field of a stage{did_you_mean(str(key), STAGE_FIELDS)}")
        found = _Collector()
        values = {}
        for key in ("baseline", "target"):
            if key not in stage:
                c.add(f, here, f"{where}.{key}", "is missing: a stage needs a baseline and a "
                      "target, each {period, value}")
                continue
            values[key] = _period_value(stage, key, period_type, f, found)
        for problem in found.problems:
            c.add(problem.file, problem.line, f"{where}.{problem.field}", problem.message)
        start, end = values.get("baseline"), values.get("target")
        if start is None or end is None:
            continue
        b, t = Period.parse(start.period), Period.parse(end.period)
        if t <= b:
            c.add(f, _line(stage, "target"), f"{where}.target",
                  f"period {end.period} is not after the stage's baseline {start.period}")
        ends.append((where, b, t, _line(stage, "baseline")))
        entry: dict[str, Any] = {"baseline": {"period": start.period, "value": start.value},
                                 "target": {"period": end.period, "value": end.value}}
        if stage.get("note") is not None:
            entry["note"] = str(stage["note"])
        out.append(entry)
    # In time order, each ending at or before the next one starts.
    nxt = [(f"stages[{i + 1}]", e[1]) for i, e in enumerate(ends[1:])]
    if baseline is not None:  # already parsed: its code reads back
        nxt.append(("the priority's baseline", Period.parse(baseline.period)))
    for (where, _b, t, at), (after, start_next) in zip(ends, nxt, strict=False):
        try:
            late = t is not None and start_next is not None and t > start_next
        except TypeError:  # periods of different types: reported elsewhere
            late = False
        if late:
            c.add(f, at, where, f"ends in {t.code}, after {after} begins in "
                  f"{start_next.code}: list the stages oldest first, each ending (its target "
                  "period) at or before the next one's baseline")
    return out


def _period_value(item: dict[str, Any], key: str, period_type: str | None, f: str,
                  c: _Collector) -> PeriodValue | None:
    raw = item.get(key)
    if raw is None:
        return None
    line = _line(item, key)
    if not isinstance(raw, dict) or "period" not in raw or "value" not in raw:
        c.add(f, line, key, "must have a 'period' and a 'value'")
        return None
    period, value = raw["period"], raw["value"]
    ok = True
    try:
        parsed = Period.parse(str(period), period_type)
    except PeriodError as exc:
        c.add(f, line, f"{key}.period", str(exc))
        ok = False
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        c.add(f, line, f"{key}.value", f"'{value}' is not a number")
        ok = False
    return PeriodValue(parsed.code, float(value)) if ok else None


# -- datasets.yaml --------------------------------------------------------------------

def _dataset_period(item: dict, key: str, period_type: PeriodType | None,
                    c: _Collector) -> str | None:
    """A data set's first or last period expected (``start``, ``end``), as a code."""
    value = item.get(key)
    if value is None or period_type is None:
        return None
    try:
        return Period.parse(str(value), period_type).code
    except PeriodError as exc:
        c.add(DATASETS_FILE, _line(item, key), key, str(exc))
        return None

def _parse_datasets(text: str, model: DeliveryModel, c: _Collector) -> dict[str, DataSet]:
    f = DATASETS_FILE
    out: dict[str, DataSet] = {}
    levels = {u.level for u in model.units.values()}
    for item in _read_yaml_list(text, f, c):
        _check_fields(item, f, DATASET_REQUIRED, DATASET_OPTIONAL, c)
        code = str(item.get("code") or "")
        if not code:
            continue
        if code in out:
            c.add(f, item["__line__"], "code", f"'{code}' is defined twice")
            continue
        period_type = _enum(item, "period_type", PeriodType, f, c, None)
        lists: dict[str, list[str]] = {}
        for key, known, what in (("indicators", model.indicators, "an indicator code"),
                                 ("units", model.units, "a unit code"),
                                 ("levels", levels, "a level of units.csv")):
            lists[key] = _code_list(item, key, known, what, f, c)
        if period_type is not None:
            for ref in lists["indicators"]:
                ind = model.indicators.get(ref)
                if ind is not None and ind.period_type != period_type.value:
                    c.add(f, _line(item, "indicators"), "indicators",
                          f"'{ref}' is {ind.period_type} but the data set is {period_type.value}")
        if not lists["units"] and not lists["levels"]:
            c.add(f, item["__line__"], "units", "say which units report: give units or levels")
        timely = item.get("timely_days", 30)
        if not isinstance(timely, int) or isinstance(timely, bool) or timely < 0:
            c.add(f, _line(item, "timely_days"), "timely_days",
                  f"'{timely}' must be a whole number of days, 0 or more")
            timely = 30
        start, end = (_dataset_period(item, key, period_type, c) for key in ("start", "end"))
        if start and end and Period.parse(end) < Period.parse(start):
            c.add(f, _line(item, "end"), "end", f"'{end}' is before the start, '{start}'")
            end = None
        out[code] = DataSet(
            code=code, name=str(item.get("name") or ""),
            period_type=period_type.value if period_type else "",
            indicators=lists["indicators"], units=lists["units"], levels=lists["levels"],
            timely_days=timely, start=start, owner=str(item.get("owner") or ""), end=end,
        )
    return out


# -- translations ---------------------------------------------------------------------

LANGUAGES = ("en", "fr")  # the model's languages: English always, French beside it


def has_french(model: DeliveryModel) -> bool:
    """Does any unit, indicator or priority carry a French field?"""
    return any(u.name_fr or u.level_fr for u in model.units.values()) or any(
        i.name_fr or i.definition_fr or i.unit_fr for i in model.indicators.values()) or any(
        p.title_fr or p.aspiration_fr for p in model.priorities.values())


def _worded(unit: str) -> str:
    """A unit of measure with words in it ("incidents per 1,000"), "" for a bare symbol
    ("%", "$"), which reads the same in French and wants no translation."""
    return unit if any(ch.isalpha() for ch in unit) else ""


def missing_french(model: DeliveryModel) -> list[Problem]:
    """One problem per unit, indicator or priority lacking a French field its English
    side has (a name, a definition, a unit of measure in words, a title, an aspiration), at
    its file and line."""
    wanted: list[tuple[str, str, str, list[str]]] = []  # kind, code, file, missing fields
    for u in model.units.values():
        wanted.append(("unit", u.code, UNITS_FILE, [] if u.name_fr else ["name_fr"]))
    for i in model.indicators.values():
        wanted.append(("indicator", i.code, INDICATORS_FILE,
                       [k for k, en, fr in (("name_fr", i.name, i.name_fr),
                                             ("definition_fr", i.definition, i.definition_fr),
                                             ("unit_fr", _worded(i.unit), i.unit_fr))
                        if en and not fr]))
    for p in model.priorities.values():
        wanted.append(("priority", p.code, PRIORITIES_FILE,
                       [k for k, en, fr in (("title_fr", p.title, p.title_fr),
                                             ("aspiration_fr", p.aspiration, p.aspiration_fr))
                        if en and not fr]))
    problems = []
    for kind, code, file, missing in wanted:
        if missing:
            line = model.locations.get(f"{kind}:{code}", (file, None))[1]
            problems.append(Problem(file, line, missing[0],
                                    f"{kind} '{code}' has no French translation "
                                    f"({', '.join(missing)})"))
    return problems + _levels_unnamed(model)


def _levels_unnamed(model: DeliveryModel) -> list[Problem]:
    """One problem per level with no French name, at its first unit's line, once the model
    names any level in French (a model naming none loads as it did before levels had
    French names)."""
    first: dict[str, str] = {}  # level -> its first unit
    for u in model.units.values():
        first.setdefault(u.level, u.code)
    named = {u.level for u in model.units.values() if u.level_fr}
    if not named:
        return []
    return [Problem(UNITS_FILE, model.locations.get(f"unit:{code}", (UNITS_FILE, None))[1],
                    "level_fr", f"level '{level}' has no French translation (level_fr)")
            for level, code in first.items() if level not in named]


def parse_languages(text: str) -> tuple[str, ...]:
    """``en,fr`` as a tuple of the model's languages; Invalid for any other."""
    languages = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",")
                                    if part.strip()))
    unknown = [lang for lang in languages if lang not in LANGUAGES]
    if unknown or "en" not in languages:
        raise errors.Invalid([errors.Problem(
            f"'{text}' must list the model's languages, English first among them: en or "
            f"en,fr", "--require-languages")])
    return languages
