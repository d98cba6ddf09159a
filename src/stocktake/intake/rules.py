"""Validation rules in DHIS2's form: ``left operator right`` over indicators of one unit and period.

``rules.yaml`` (optional, in the model folder) is a list of rules::

    - code: VC_SUM
      name: Violent crime is the sum of its parts
      left: violent_crime
      operator: "=="            # quote symbols: a bare > starts a YAML block
      right: homicide + rape_legacy + robbery + aggravated_assault
      importance: high          # high | medium (default) | low
      instruction: Check the four offence counts against the total.
      missing_value_strategy: skip_if_any_value_missing   # both sides (the default)
      right_missing: never_skip # optional, overrides it for one side (also left_missing)
      tolerance: 0              # absolute slack; not for != or the pairs
      periods: {from: 1979, to: 2012}   # optional; either end may be left out
      period_type: year         # optional; must match the indicators used

Operators: ``==  !=  >  >=  <  <=`` (or the names ``equal_to``, ``not_equal_to``,
``greater_than``, ``greater_than_or_equal_to``, ``less_than``, ``less_than_or_equal_to``),
``compulsory_pair`` (if one side has data the other must too) and ``exclusive_pair``
(not both). A side "has data" when any of its indicators has a value; the pairs take no
missing-value strategy and no tolerance.

Expressions: indicator codes, numbers, ``+ - * /``, unary minus and parentheses; a code
holding other characters is written in braces, ``{my-code}``. Parsed by a small
recursive-descent parser into a tree that becomes a polars expression: nothing is eval'd.

Missing values (per side, as in DHIS2): ``skip_if_any_value_missing`` skips the rule for a
unit and period if any indicator of that side is missing; ``skip_if_all_values_missing``
skips it only if all are missing, and counts the others as 0; ``never_skip`` counts every
missing value as 0. A side made of numbers only is never missing. A side that cannot be
computed (division by zero) skips the rule. Comparisons allow the tolerance plus
floating-point rounding (1e-9 of the larger magnitude): values that close count as equal.

Rules run over every unit and period present in the values given (with data for any
indicator), restricted to the rule's period type and period range.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import polars as pl
import yaml

from ..errors import N_, Invalid, Text, did_you_mean
from ..model.entities import DeliveryModel, Indicator
from ..model.files import ModelError, Problem, parse_yaml, strip_lines
from ..model.periods import Period, PeriodError, PeriodType
from ..text import Number
from .findings import Finding, shorten

RULES_FILE = "rules.yaml"

RULE_REQUIRED = ("code", "name", "left", "operator", "right")
RULE_OPTIONAL = (
    "importance", "instruction", "missing_value_strategy", "left_missing", "right_missing",
    "tolerance", "periods", "period_type",
)

# Rounding allowance, relative to the larger side: sums of floats are rarely exact.
_ROUNDING = 1e-9


class Operator(StrEnum):
    EQUAL = "=="
    NOT_EQUAL = "!="
    GREATER = ">"
    GREATER_OR_EQUAL = ">="
    LESS = "<"
    LESS_OR_EQUAL = "<="
    COMPULSORY_PAIR = "compulsory_pair"
    EXCLUSIVE_PAIR = "exclusive_pair"

    @property
    def is_pair(self) -> bool:
        return self in (Operator.COMPULSORY_PAIR, Operator.EXCLUSIVE_PAIR)


_OPERATOR_NAMES = {
    "equal_to": Operator.EQUAL,
    "not_equal_to": Operator.NOT_EQUAL,
    "greater_than": Operator.GREATER,
    "greater_than_or_equal_to": Operator.GREATER_OR_EQUAL,
    "less_than": Operator.LESS,
    "less_than_or_equal_to": Operator.LESS_OR_EQUAL,
}

_PHRASES = {
    Operator.EQUAL: N_("should equal"),
    Operator.NOT_EQUAL: N_("should not equal"),
    Operator.GREATER: N_("should be greater than"),
    Operator.GREATER_OR_EQUAL: N_("should be at least"),
    Operator.LESS: N_("should be less than"),
    Operator.LESS_OR_EQUAL: N_("should be at most"),
}


class MissingValueStrategy(StrEnum):
    SKIP_IF_ANY_VALUE_MISSING = "skip_if_any_value_missing"
    SKIP_IF_ALL_VALUES_MISSING = "skip_if_all_values_missing"
    NEVER_SKIP = "never_skip"


class Importance(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


def severity_for(importance: Importance | str) -> str:
    """The default severity of a violation: ``error`` for high importance, else ``warning``."""
    return "error" if Importance(importance) is Importance.HIGH else "warning"


# -- expressions ----------------------------------------------------------------------

class ExpressionError(Invalid):
    """An expression that cannot be parsed; ``position`` is 1-based (0 if not known)."""

    def __init__(self, message: str, position: int = 0):
        self.position = position
        super().__init__(message)


@dataclass(frozen=True)
class _Number:
    value: float


@dataclass(frozen=True)
class _Ref:
    code: str


@dataclass(frozen=True)
class _Negate:
    operand: _Node


@dataclass(frozen=True)
class _BinOp:
    op: str
    left: _Node
    right: _Node


_Node = _Number | _Ref | _Negate | _BinOp

_TOKEN = re.compile(
    r"(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<braced>\{[^{}]*\})"
    r"|(?P<op>[-+*/()])"
)


@dataclass(frozen=True)
class Expression:
    """One side of a rule: its text as written, its parse tree and the codes it uses."""

    text: str
    tree: _Node = field(repr=False)
    indicators: tuple[str, ...]  # in order of first appearance, without repeats

    def to_polars(self, column: Callable[[str], pl.Expr]) -> pl.Expr:
        """The side as a polars expression; ``column(code)`` gives each indicator's value."""
        return _compile(self.tree, column)


def parse_expression(text: str) -> Expression:
    """Parse ``text`` (codes, numbers, + - * /, parentheses), or raise ExpressionError."""
    tokens = _tokenize(text)
    if len(tokens) > MAX_TOKENS:
        raise ExpressionError(f"is too long: {len(tokens):,} codes, numbers and operators, at "
                              f"most {MAX_TOKENS}")
    parser = _Parser(text, tokens)
    tree = parser.expression()
    if parser.i < len(tokens):
        kind, value, pos = tokens[parser.i]
        if value == ")":
            raise ExpressionError(f"')' at character {pos} has no matching '('", pos)
        raise ExpressionError(
            f"expected an operator (+ - * /) at character {pos} but found '{value}'", pos)
    codes: list[str] = []
    _collect(tree, codes)
    return Expression(text.strip(), tree, tuple(codes))


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        m = _TOKEN.match(text, i)
        if not m:
            raise ExpressionError(
                f"'{text[i]}' at character {i + 1} is not allowed: use indicator codes, "
                "numbers, + - * / and parentheses", i + 1)
        kind = m.lastgroup or ""
        value = m.group()
        if kind == "braced":
            kind, value = "name", value[1:-1].strip()
            if not value:
                raise ExpressionError(f"empty braces at character {i + 1}", i + 1)
        tokens.append((kind, value, i + 1))
        i = m.end()
    return tokens


# Bounds that keep the recursive parser (and the trees it builds) far from Python's
# recursion limit: no rule needs more, and 3,000 nested parentheses once crashed a load.
MAX_TOKENS = 400
MAX_NESTING = 50  # parentheses and signs inside each other


class _Parser:
    """expression := term (('+'|'-') term)*; term := factor (('*'|'/') factor)*;
    factor := ('-'|'+') factor | number | code | '(' expression ')'."""

    def __init__(self, text: str, tokens: list[tuple[str, str, int]]):
        self.text = text
        self.tokens = tokens
        self.i = 0
        self.depth = 0  # parentheses and signs open around the current factor

    def _peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def expression(self) -> _Node:
        node = self.term()
        while (tok := self._peek()) and tok[1] in "+-" and tok[0] == "op":
            self.i += 1
            node = _BinOp(tok[1], node, self.term())
        return node

    def term(self) -> _Node:
        node = self.factor()
        while (tok := self._peek()) and tok[1] in "*/" and tok[0] == "op":
            self.i += 1
            node = _BinOp(tok[1], node, self.factor())
        return node

    def factor(self) -> _Node:
        tok = self._peek()
        if tok is None:
            if not self.tokens:
                raise ExpressionError("is empty")
            _, last, pos = self.tokens[-1]
            raise ExpressionError(
                f"ends after '{last}' at character {pos}: expected an indicator code, "
                "a number or '('", pos)
        kind, value, pos = tok
        self.i += 1
        if kind == "number":
            return _Number(float(value))
        if kind == "name":
            return _Ref(value)
        if value in "+-(":
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise ExpressionError(f"'{value}' at character {pos} is nested more than "
                                      f"{MAX_NESTING} deep", pos)
            try:
                return self._nested(value, pos)
            finally:
                self.depth -= 1
        raise ExpressionError(
            f"expected an indicator code, a number or '(' at character {pos} "
            f"but found '{value}'", pos)

    def _nested(self, value: str, pos: int) -> _Node:
        """A signed factor, or a parenthesised expression, after its '+', '-' or '('."""
        if value in "+-":
            operand = self.factor()
            return _Negate(operand) if value == "-" else operand
        inner = self.expression()
        closing = self._peek()
        if closing is None or closing[1] != ")" or closing[0] != "op":
            raise ExpressionError(f"'(' at character {pos} is never closed", pos)
        self.i += 1
        return inner


def _collect(node: _Node, codes: list[str]) -> None:
    if isinstance(node, _Ref):
        if node.code not in codes:
            codes.append(node.code)
    elif isinstance(node, _Negate):
        _collect(node.operand, codes)
    elif isinstance(node, _BinOp):
        _collect(node.left, codes)
        _collect(node.right, codes)


def _compile(node: _Node, column: Callable[[str], pl.Expr]) -> pl.Expr:
    if isinstance(node, _Number):
        return pl.lit(node.value, dtype=pl.Float64)
    if isinstance(node, _Ref):
        return column(node.code)
    if isinstance(node, _Negate):
        return -_compile(node.operand, column)
    left, right = _compile(node.left, column), _compile(node.right, column)
    if node.op == "+":
        return left + right
    if node.op == "-":
        return left - right
    if node.op == "*":
        return left * right
    return left / right  # x/0 gives inf or NaN, which skips the rule


# -- rules ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    left: Expression
    operator: Operator
    right: Expression
    period_type: str
    importance: Importance = Importance.MEDIUM
    instruction: str = ""
    left_missing: MissingValueStrategy = MissingValueStrategy.SKIP_IF_ANY_VALUE_MISSING
    right_missing: MissingValueStrategy = MissingValueStrategy.SKIP_IF_ANY_VALUE_MISSING
    tolerance: float = 0.0
    period_from: str | None = None  # canonical period codes, inclusive
    period_to: str | None = None
    line: int | None = None  # where the rule starts in rules.yaml

    @property
    def indicators(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.left.indicators + self.right.indicators))


def parse_rules(text: str, indicators: Mapping[str, Indicator],
                file: str = RULES_FILE) -> list[Rule]:
    """Read rules.yaml's text, or raise ModelError listing every problem (file, line, field)."""
    problems: list[Problem] = []

    def add(line: int | None, fld: str | None, message: str) -> None:
        problems.append(Problem(file, line, fld, message))

    data = parse_yaml(text, file)
    if data is None:
        return []
    if not isinstance(data, list):
        raise ModelError([Problem(file, 1, None,
                                  "must be a YAML list (each rule starting with '- ')")])
    rules: list[Rule] = []
    first_line: dict[str, int] = {}
    for n, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            add(None, None, f"item {n} is not a mapping of fields")
            continue
        code = str(item.get("code") or "")
        if code in first_line:
            add(item["__line__"], "code", f"'{code}' is already used on line {first_line[code]}")
            continue
        if code:
            first_line[code] = item["__line__"]
        rule = _parse_rule(item, indicators, add)
        if rule is not None:
            rules.append(rule)
    if problems:
        # In file order, so they can be fixed top to bottom.
        problems.sort(key=lambda p: p.line if p.line is not None else float("inf"))
        raise ModelError(problems)
    return rules


def _parse_rule(item: dict[str, Any], indicators: Mapping[str, Indicator],
                add: Callable[[int | None, str | None, str], None]) -> Rule | None:
    line: int = item["__line__"]

    def at(key: str) -> int:
        return item["__lines__"].get(key, line)

    before = _Counter(add)
    add = before.add
    known = RULE_REQUIRED + RULE_OPTIONAL
    for key in item:
        if key not in ("__line__", "__lines__") and key not in known:
            add(at(key), str(key), f"is not a known field{did_you_mean(str(key), known)}")
    for key in RULE_REQUIRED:
        if item.get(key) in (None, ""):
            hint = ""
            if key == "operator" and key in item:
                hint = (": write it in quotes, e.g. operator: \">=\" (a bare > or | starts a "
                        "YAML block), or by name, e.g. greater_than_or_equal_to")
            add(at(key), key, f"is required{hint}")
    code = str(item.get("code") or "")
    label = f" (rule '{code}')" if code else ""

    operator: Operator | None = None
    raw_op = item.get("operator")
    if raw_op not in (None, ""):
        text = str(raw_op).strip()
        operator = _OPERATOR_NAMES.get(text.lower())
        if operator is None:
            try:
                operator = Operator(text.lower())
            except ValueError:
                choices = [o.value for o in Operator] + list(_OPERATOR_NAMES)
                # '=>' is '>=' written backwards; difflib would offer '>' instead.
                hint = (f" (did you mean '{text[::-1]}'?)" if text[::-1] in choices
                        else did_you_mean(text, choices))
                add(at("operator"), "operator", f"'{raw_op}' is not one of "
                    f"{', '.join(o.value for o in Operator)}{hint}{label}")

    sides: dict[str, Expression | None] = {}
    for side in ("left", "right"):
        raw = item.get(side)
        sides[side] = None
        if raw in (None, ""):
            continue
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            add(at(side), side, f"must be an expression such as 'a + b'{label}")
            continue
        try:
            expr = parse_expression(str(raw))
        except ExpressionError as exc:
            add(at(side), side, f"'{raw}' {exc}" if str(exc) == "is empty"
                else f"syntax error in '{shorten(str(raw), 80)}': {exc}{label}")
            continue
        unknown = [c for c in expr.indicators if c not in indicators]
        for c in unknown:
            add(at(side), side, f"'{c}' is not an indicator code"
                f"{did_you_mean(c, list(indicators))}{label}")
        if not unknown:
            sides[side] = expr

    importance = _enum(item, "importance", Importance, Importance.MEDIUM, at, add, label)
    shared = _enum(item, "missing_value_strategy", MissingValueStrategy,
                   MissingValueStrategy.SKIP_IF_ANY_VALUE_MISSING, at, add, label)
    left_missing = _enum(item, "left_missing", MissingValueStrategy, shared, at, add, label)
    right_missing = _enum(item, "right_missing", MissingValueStrategy, shared, at, add, label)

    tolerance = item.get("tolerance", 0)
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or tolerance < 0:
        add(at("tolerance"), "tolerance", f"'{tolerance}' must be a number of 0 or more{label}")
        tolerance = 0
    if operator is not None and operator.is_pair:
        for key in ("missing_value_strategy", "left_missing", "right_missing"):
            if key in item:
                add(at(key), key, f"has no effect on {operator.value}: a side has data when "
                    f"any of its indicators has a value{label}")
        for side in ("left", "right"):
            expr = sides[side]
            if expr is not None and not expr.indicators:
                add(at(side), side, f"{operator.value} needs an indicator on each side{label}")
    if "tolerance" in item and operator is not None and (
            operator.is_pair or operator is Operator.NOT_EQUAL):
        add(at("tolerance"), "tolerance", f"is not allowed with {operator.value}{label}")

    # Period type: every indicator used must share it (values are compared within one
    # unit and period; rolling months up into years is not done here).
    used = [c for s in sides.values() if s is not None for c in s.indicators]
    types = sorted({indicators[c].period_type for c in used})
    period_type: str | None = None
    declared = item.get("period_type")
    if declared not in (None, ""):
        try:
            period_type = PeriodType(str(declared)).value
        except ValueError:
            choices = [t.value for t in PeriodType]
            add(at("period_type"), "period_type", f"'{declared}' is not one of "
                f"{', '.join(choices)}{did_you_mean(str(declared), choices)}{label}")
    if len(types) > 1:
        detail = ", ".join(f"{c} ({indicators[c].period_type})" for c in dict.fromkeys(used))
        add(line, "period_type", f"the indicators have different period types: {detail}; "
            f"a rule compares values of one unit and one period{label}")
    elif types and period_type is not None and types[0] != period_type:
        add(at("period_type"), "period_type", f"'{period_type}' does not match the "
            f"indicators used, which are {types[0]}{label}")
    elif types:
        period_type = types[0]
    if not used and all(sides.values()) and not (operator and operator.is_pair):
        add(line, None, f"the rule uses no indicator{label}")

    period_from = period_to = None
    raw_periods = item.get("periods")
    if raw_periods is not None:
        period_from, period_to = _periods(raw_periods, period_type, at("periods"), add, label)

    if before.count or operator is None or period_type is None:
        return None
    left, right = sides["left"], sides["right"]
    assert left is not None and right is not None  # noqa: S101 - problems counted above
    return Rule(
        code=code,
        name=str(item.get("name")),
        left=left,
        operator=operator,
        right=right,
        period_type=period_type,
        importance=importance,
        instruction=str(item.get("instruction") or ""),
        left_missing=left_missing,
        right_missing=right_missing,
        tolerance=float(tolerance),
        period_from=period_from,
        period_to=period_to,
        line=line,
    )


class _Counter:
    """Counts the problems one rule adds, so a rule with any is not built."""

    def __init__(self, add: Callable[[int | None, str | None, str], None]):
        self._add = add
        self.count = 0

    def add(self, line: int | None, fld: str | None, message: str) -> None:
        self.count += 1
        self._add(line, fld, message)


def _enum(item: dict[str, Any], key: str, enum: type[StrEnum], default: Any,
          at: Callable[[str], int], add: Callable[[int | None, str | None, str], None],
          label: str) -> Any:
    raw = item.get(key)
    if raw in (None, ""):
        return default
    try:
        return enum(str(raw).strip().lower())
    except ValueError:
        choices = [e.value for e in enum]
        add(at(key), key, f"'{raw}' is not one of {', '.join(choices)}"
            f"{did_you_mean(str(raw), choices)}{label}")
        return default


def _periods(raw: Any, period_type: str | None, line: int,
             add: Callable[[int | None, str | None, str], None],
             label: str) -> tuple[str | None, str | None]:
    raw = strip_lines(raw)
    if not isinstance(raw, dict) or not raw or set(raw) - {"from", "to"}:
        add(line, "periods", f"must be a mapping with 'from' and/or 'to', "
            f"e.g. {{from: 2013, to: 2016}}{label}")
        return None, None
    parsed: dict[str, Period | None] = {"from": None, "to": None}
    for end in ("from", "to"):
        if raw.get(end) is None:
            continue
        try:
            parsed[end] = Period.parse(str(raw[end]), period_type)
        except PeriodError as exc:
            add(line, f"periods.{end}", f"{exc}{label}")
    first, last = parsed["from"], parsed["to"]
    if first is not None and last is not None and last < first:
        add(line, "periods.to", f"{last.code} is before 'from' {first.code}{label}")
    return (first.code if first else None), (last.code if last else None)


# -- evaluation -----------------------------------------------------------------------

@dataclass(frozen=True)
class Violation:
    rule: str  # the rule's code
    name: str
    unit: str
    period: str
    left_value: float | None  # None: that side has no data (pairs only)
    right_value: float | None
    operator: Operator
    importance: Importance
    instruction: str
    message: str
    missing: tuple[str, ...] = ()  # the rule's indicators with no value (counted as 0)

    def to_finding(self, row: int | None = None, column: str | None = None,
                   severity: str | None = None) -> Finding:
        """This violation as an intake Finding; severity defaults to severity_for(importance)."""
        severity = severity or severity_for(self.importance)
        if severity not in ("error", "warning"):
            raise ValueError(f"severity '{severity}' must be 'error' or 'warning'")
        message = (Text(N_("%(message)s. %(instruction)s"), message=self.message,
                        instruction=self.instruction) if self.instruction else self.message)
        return Finding(row, column, self.left_value, f"rule:{self.rule}", severity, message)


VALUE_COLUMNS = ("unit", "period", "indicator", "value")
_COLUMN = "indicator:"


def violation_frame(rules: Sequence[Rule], values: pl.DataFrame) -> pl.DataFrame:
    """Every violation as a row: rule, unit, period, left, right, missing; vectorised.

    ``values`` has columns unit, period, indicator, value (one row per unit, period and
    indicator). Sorted by rule (in the order given), unit and period. ``missing`` lists the
    rule's indicators with no value there, comma-separated.
    """
    return _violations(rules, values).drop("_rule_index", "_ordinal")


def _violations(rules: Sequence[Rule], values: pl.DataFrame) -> pl.DataFrame:
    schema = {"rule": pl.String, "unit": pl.String, "period": pl.String,
              "left": pl.Float64, "right": pl.Float64, "missing": pl.String,
              "_rule_index": pl.Int64, "_ordinal": pl.Int64}
    absent = [c for c in VALUE_COLUMNS if c not in values.columns]
    if absent:
        raise ValueError(f"values lacks column(s) {', '.join(absent)}; "
                         f"it needs {', '.join(VALUE_COLUMNS)}")
    if not rules or values.height == 0:
        return pl.DataFrame(schema=schema)
    try:
        values = values.select(
            pl.col("unit").cast(pl.String), pl.col("period").cast(pl.String),
            pl.col("indicator").cast(pl.String),
            pl.col("value").cast(pl.Float64).fill_nan(None),
        )
    except pl.exceptions.PolarsError as exc:
        raise ValueError(f"values: column 'value' must hold numbers ({exc})") from None
    needed = list(dict.fromkeys(c for r in rules for c in r.indicators))
    extra = not set(values.get_column("indicator").unique().to_list()) <= set(needed)
    wide = _pivot(values.filter(pl.col("indicator").is_in(needed)) if extra else values)
    # Indicator columns are prefixed so no code can clash with unit, period or ours.
    wide = wide.rename({c: _COLUMN + c for c in wide.columns if c not in ("unit", "period")})
    if extra:
        # Every unit and period with any data is in scope, even with none for the rules'
        # indicators: under never_skip such a unit-period is checked with zeros, as in DHIS2.
        keys = values.select("unit", "period").unique()
        wide = keys.join(wide, on=["unit", "period"], how="left")
    periods = _period_table(wide.get_column("period").unique())
    wide = wide.join(periods, on="period")
    present = set(wide.columns)

    frames = []
    lazy = wide.lazy()
    for index, rule in enumerate(rules):
        frames.append(_rule_frame(lazy, rule, index, present))
    out = pl.concat(pl.collect_all(frames), how="vertical")
    return out.sort("_rule_index", "unit", "_ordinal")


def evaluate_rules(rules: Sequence[Rule], values: pl.DataFrame) -> list[Violation]:
    """Check ``values`` (unit, period, indicator, value) against ``rules``; list violations."""
    frame = _violations(rules, values)
    out: list[Violation] = []
    for code, unit, period, left, right, missing, index, _ in frame.iter_rows():
        rule = rules[index]
        gone = tuple(missing.split(", ")) if missing else ()
        out.append(Violation(
            rule=code, name=rule.name, unit=unit, period=period, left_value=left,
            right_value=right, operator=rule.operator, importance=rule.importance,
            instruction=rule.instruction, message=_message(rule, unit, period, left, right, gone),
            missing=gone,
        ))
    return out


def _pivot(long: pl.DataFrame) -> pl.DataFrame:
    if long.height == 0:
        return pl.DataFrame(schema={"unit": pl.String, "period": pl.String})
    try:
        return long.pivot(on="indicator", index=["unit", "period"], values="value",
                          aggregate_function=None)
    except pl.exceptions.ComputeError:
        dupes = long.filter(pl.struct("unit", "period", "indicator").is_duplicated())
        unit, period, indicator = dupes.row(0)[:3]
        raise ValueError(f"values hold more than one value for unit '{unit}', period "
                         f"'{period}', indicator '{indicator}' ({dupes.height} rows "
                         "repeat a unit, period and indicator)") from None


def _period_table(codes: pl.Series) -> pl.DataFrame:
    rows = []
    for code in codes.to_list():
        try:
            p = Period.parse(code or "")
        except PeriodError as exc:
            raise ValueError(f"values: {exc}") from None
        rows.append((code, p.type.value, p.ordinal))
    return pl.DataFrame(rows, schema={"period": pl.String, "_ptype": pl.String,
                                      "_ordinal": pl.Int64}, orient="row")


def _rule_frame(wide: pl.LazyFrame, rule: Rule, index: int, present: set[str]) -> pl.LazyFrame:
    def raw(code: str) -> pl.Expr:
        name = _COLUMN + code
        return pl.col(name) if name in present else pl.lit(None, dtype=pl.Float64)

    scope = pl.col("_ptype") == rule.period_type
    if rule.period_from is not None:
        scope &= pl.col("_ordinal") >= Period.parse(rule.period_from).ordinal
    if rule.period_to is not None:
        scope &= pl.col("_ordinal") <= Period.parse(rule.period_to).ordinal

    def has_data(expr: Expression) -> pl.Expr:
        return pl.any_horizontal([raw(c).is_not_null() for c in expr.indicators])

    def zero_filled(expr: Expression) -> pl.Expr:
        return expr.to_polars(lambda c: raw(c).fill_null(0.0))

    if rule.operator.is_pair:
        has_left, has_right = has_data(rule.left), has_data(rule.right)
        broken = (has_left != has_right if rule.operator is Operator.COMPULSORY_PAIR
                  else has_left & has_right)
        left = pl.when(has_left).then(zero_filled(rule.left))
        right = pl.when(has_right).then(zero_filled(rule.right))
    else:
        left, skip_left = _side(rule.left, rule.left_missing, raw)
        right, skip_right = _side(rule.right, rule.right_missing, raw)
        computable = ~skip_left & ~skip_right & left.is_finite() & right.is_finite()
        broken = computable.fill_null(False) & ~_holds(rule, left, right).fill_null(True)

    codes = rule.indicators
    missing = (pl.concat_str([pl.when(raw(c).is_null()).then(pl.lit(c)) for c in codes],
                             separator=", ", ignore_nulls=True)
               if codes else pl.lit("", dtype=pl.String))
    return (
        wide.filter(scope)
        .select(
            pl.lit(rule.code, dtype=pl.String).alias("rule"), "unit", "period",
            left.cast(pl.Float64).alias("left"), right.cast(pl.Float64).alias("right"),
            missing.alias("missing"), pl.lit(index, dtype=pl.Int64).alias("_rule_index"),
            "_ordinal", broken.alias("_broken"),
        )
        .filter(pl.col("_broken"))
        .drop("_broken")
    )


def _side(expr: Expression, strategy: MissingValueStrategy,
          raw: Callable[[str], pl.Expr]) -> tuple[pl.Expr, pl.Expr]:
    """A side's value and whether it makes the rule skip, under its missing-value strategy."""
    nulls = [raw(c).is_null() for c in expr.indicators]
    if not nulls or strategy is MissingValueStrategy.NEVER_SKIP:
        skip = pl.lit(False)
    elif strategy is MissingValueStrategy.SKIP_IF_ANY_VALUE_MISSING:
        skip = pl.any_horizontal(nulls)
    else:
        skip = pl.all_horizontal(nulls)
    return expr.to_polars(lambda c: raw(c).fill_null(0.0)), skip


def _holds(rule: Rule, left: pl.Expr, right: pl.Expr) -> pl.Expr:
    diff = left - right
    rounding = _ROUNDING * pl.max_horizontal(pl.lit(1.0), left.abs(), right.abs())
    tol = rule.tolerance
    op = rule.operator
    if op is Operator.EQUAL:
        return diff.abs() <= tol + rounding
    if op is Operator.NOT_EQUAL:
        return diff.abs() > rounding
    if op is Operator.GREATER:
        return diff > -tol + rounding
    if op is Operator.GREATER_OR_EQUAL:
        return diff >= -tol - rounding
    if op is Operator.LESS:
        return diff < tol - rounding
    return diff <= tol + rounding  # LESS_OR_EQUAL


def _number(x: float) -> str:
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:,.6f}".rstrip("0").rstrip(".")


def _figure(x: float) -> Number:
    return Number(x, _number(x), "#,##0.######")  # 1 234,5 on a French page


def _side_text(expr: Expression, value: float | None) -> str:
    if not expr.indicators or value is None:
        return expr.text
    return Text(N_("%(side)s (%(value)s)"), side=expr.text, value=_figure(value))


def _message(rule: Rule, unit: str, period: str, left: float | None, right: float | None,
             missing: tuple[str, ...]) -> str:
    """What a violation breaks, as a Text (said again on a French page)."""
    where = Text(N_("for %(unit)s in %(period)s"), unit=unit, period=period)
    if rule.operator is Operator.COMPULSORY_PAIR:
        has, lacks = ((rule.left, left), rule.right) if left is not None else (
            (rule.right, right), rule.left)
        return Text(N_("%(has)s is reported but %(lacks)s is not %(where)s: both or neither "
                       "must be reported"), has=_side_text(*has), lacks=lacks.text, where=where)
    if rule.operator is Operator.EXCLUSIVE_PAIR:
        return Text(N_("%(left)s and %(right)s must not both be reported %(where)s"),
                    left=_side_text(rule.left, left), right=_side_text(rule.right, right),
                    where=where)
    assert left is not None and right is not None  # noqa: S101 - skipped otherwise
    tolerance = (Text(N_(" (tolerance %(tolerance)s)"), tolerance=_figure(rule.tolerance))
                 if rule.tolerance else "")
    zeros = (Text(N_("; missing, counted as 0: %(codes)s"), codes=", ".join(missing))
             if missing else "")
    return Text(N_("%(left)s %(phrase)s %(right)s %(where)s: difference %(difference)s"
                   "%(tolerance)s%(zeros)s"), left=_side_text(rule.left, left),
                phrase=Text(_PHRASES[rule.operator]), right=_side_text(rule.right, right),
                where=where, difference=_figure(left - right + 0.0), tolerance=tolerance,
                zeros=zeros)


_model_rules: dict[int, tuple[DeliveryModel, list[Rule]]] = {}


def model_rules(model: DeliveryModel) -> list[Rule]:
    """The model's rules, parsed once per model (read from rules.yaml, with its lines, when
    the model was loaded from files; from the stored definitions otherwise). Raises
    ModelError."""
    hit = _model_rules.get(id(model))
    if hit is not None and hit[0] is model:
        return hit[1]
    rules: list[Rule] = []
    if model.rules:
        text = model.rules_source or yaml.safe_dump(model.rules, sort_keys=False)
        rules = parse_rules(text, model.indicators)
    _model_rules.clear()
    _model_rules[id(model)] = (model, rules)
    return rules
