"""Validation rules: parsing rules.yaml, and evaluating rules over unit-period values."""

from __future__ import annotations

import csv
import operator as op
import textwrap
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from stocktake.intake.findings import Finding
from stocktake.intake.rules import (
    ExpressionError,
    Importance,
    MissingValueStrategy,
    Operator,
    evaluate_rules,
    parse_expression,
    parse_rules,
    severity_for,
    violation_frame,
)
from stocktake.model.entities import Aggregation, Indicator, Polarity
from stocktake.model.files import ModelError

SHARED_DATA = Path(__file__).parents[3] / "shared" / "data"


def indicator(code: str, period_type: str = "year") -> Indicator:
    return Indicator(code, code, "count", Polarity.NEUTRAL, period_type, Aggregation.SUM)


INDICATORS = {c: indicator(c) for c in ("a", "b", "c", "d", "homicide", "robbery")}
INDICATORS["visits"] = indicator("visits", "month")
INDICATORS["beds"] = indicator("beds", "quarter")


def rules_of(**fields) -> list:
    """One rule from keyword fields, written out as rules.yaml text and parsed."""
    fields = {"code": "R1", "name": "test rule", **fields}
    lines = ["-"]
    for key, value in fields.items():
        text = f'"{value}"' if key == "operator" else value
        lines.append(f"  {key}: {text}")
    return parse_rules("\n".join(lines) + "\n", INDICATORS)


def values(rows: dict[tuple[str, str], dict[str, float | None]]) -> pl.DataFrame:
    """Long values from {(unit, period): {indicator: value}}; None leaves a row out."""
    out = [(u, p, i, v) for (u, p), ivs in rows.items() for i, v in ivs.items() if v is not None]
    return pl.DataFrame(out, schema={"unit": pl.String, "period": pl.String,
                                     "indicator": pl.String, "value": pl.Float64}, orient="row")


def broken_units(violations) -> list[str]:
    return sorted(v.unit for v in violations)


def parse_problems(text: str) -> list[str]:
    with pytest.raises(ModelError) as info:
        parse_rules(textwrap.dedent(text), INDICATORS)
    return [str(p) for p in info.value.problems]


# -- operators ------------------------------------------------------------------------

PAIRS = [(3.0, 3.0), (3.0, 4.0), (4.0, 3.0), (-1.0, 0.0), (0.0, 0.0)]
PYTHON = {"==": op.eq, "!=": op.ne, ">": op.gt, ">=": op.ge, "<": op.lt, "<=": op.le}


@pytest.mark.parametrize("symbol", list(PYTHON))
def test_each_comparison_flags_exactly_the_pairs_python_rejects(symbol):
    rules = rules_of(left="a", operator=symbol, right="b")
    data = values({(f"U{i}", "2024"): {"a": a, "b": b} for i, (a, b) in enumerate(PAIRS)})
    expected = sorted(f"U{i}" for i, (a, b) in enumerate(PAIRS) if not PYTHON[symbol](a, b))
    assert expected  # every operator fails on some pair, so the test can fail
    got = evaluate_rules(rules, data)
    assert broken_units(got) == expected
    assert all(v.operator is Operator(symbol) for v in got)
    by_unit = {v.unit: (v.left_value, v.right_value) for v in got}
    assert by_unit == {f"U{i}": PAIRS[i] for i in range(len(PAIRS)) if f"U{i}" in expected}


def test_operators_may_be_written_by_name():
    rules = rules_of(left="a", operator="greater_than_or_equal_to", right="b")
    assert rules[0].operator is Operator.GREATER_OR_EQUAL
    data = values({("U1", "2024"): {"a": 2, "b": 3}, ("U2", "2024"): {"a": 3, "b": 3}})
    assert broken_units(evaluate_rules(rules, data)) == ["U1"]


def test_expressions_follow_arithmetic_precedence():
    # Each expression of numbers, compared with Python's own arithmetic on the same text.
    cases = ["2 + 3 * 4", "(2 + 3) * 4", "10 - 4 - 3", "12 / 4 / 3", "-2 * -3", "- (1 - 5) / 2",
             "1.5e2 + .5", "+7"]
    frame = pl.DataFrame({"x": [0.0]})
    for text in cases:
        got = frame.select(parse_expression(text).to_polars(pl.col)).item()
        assert got == pytest.approx(eval(text)), text  # noqa: S307 - literal test input


def test_expression_codes_and_braced_codes():
    expr = parse_expression("a + {odd-code} * (a - b2)")
    assert expr.indicators == ("a", "odd-code", "b2")
    frame = pl.DataFrame({"a": [10.0], "odd-code": [2.0], "b2": [4.0]})
    assert frame.select(expr.to_polars(pl.col)).item() == 10 + 2 * (10 - 4)


@pytest.mark.parametrize(("text", "position", "words"), [
    ("a + * b", 5, "found '*'"),
    ("a b", 3, "expected an operator"),
    ("(a + b", 1, "never closed"),
    ("a + b)", 6, "no matching '('"),
    ("a +", 3, "ends after '+'"),
    ("a % b", 3, "'%' at character 3 is not allowed"),
    ("1,000", 2, "not allowed"),
])
def test_expression_syntax_errors_give_the_position(text, position, words):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    assert info.value.position == position
    assert words in str(info.value) and f"character {position}" in str(info.value)


# -- missing values -------------------------------------------------------------------

MISSING_CASES = {
    ("ALL", "2024"): {"a": 5, "b": 2, "c": 2},   # 5 vs 4: broken whatever the strategy
    ("ONE", "2024"): {"a": 5, "b": 5, "c": None},  # 5 vs 5 + missing
    ("TWO", "2024"): {"a": 5, "b": None, "c": None},  # 5 vs nothing
    ("LEFT", "2024"): {"a": None, "b": 1, "c": 0},  # missing vs 1
    ("NONE", "2024"): {"d": 1},  # a unit-period with data, none for this rule
}


@pytest.mark.parametrize(("strategy", "expected"), [
    # any missing -> skip: only the complete unit-period is checked.
    ("skip_if_any_value_missing", ["ALL"]),
    # skip only if a side is all missing; the rest count as 0: ONE is 5 == 5 + 0.
    ("skip_if_all_values_missing", ["ALL"]),
    # never skip, missing = 0: TWO is 5 vs 0, LEFT is 0 vs 1, NONE is 0 vs 0 (holds).
    ("never_skip", ["ALL", "LEFT", "TWO"]),
])
def test_missing_value_strategy_for_both_sides(strategy, expected):
    rules = rules_of(left="a", operator="==", right="b + c", missing_value_strategy=strategy)
    assert rules[0].left_missing is rules[0].right_missing is MissingValueStrategy(strategy)
    assert broken_units(evaluate_rules(rules, values(MISSING_CASES))) == expected


def test_skip_if_all_counts_the_missing_part_as_zero():
    data = values({("U1", "2024"): {"a": 6, "b": 5, "c": None},
                   ("U2", "2024"): {"a": 5, "b": 5, "c": None}})
    rules = rules_of(left="a", operator="==", right="b + c",
                     missing_value_strategy="skip_if_all_values_missing")
    [v] = evaluate_rules(rules, data)
    assert (v.unit, v.left_value, v.right_value, v.missing) == ("U1", 6, 5, ("c",))
    assert v.message.endswith("difference 1; missing, counted as 0: c")


def test_a_strategy_per_side_overrides_the_shared_one():
    # Left never skips (missing a = 0); right keeps the default, skip if any missing.
    rules = rules_of(left="a", operator="==", right="b + c", left_missing="never_skip")
    rule = rules[0]
    assert rule.left_missing is MissingValueStrategy.NEVER_SKIP
    assert rule.right_missing is MissingValueStrategy.SKIP_IF_ANY_VALUE_MISSING
    assert broken_units(evaluate_rules(rules, values(MISSING_CASES))) == ["ALL", "LEFT"]
    rules = rules_of(left="a", operator="==", right="b + c", missing_value_strategy="never_skip",
                     left_missing="skip_if_any_value_missing")
    assert broken_units(evaluate_rules(rules, values(MISSING_CASES))) == ["ALL", "TWO"]


def test_a_side_of_numbers_only_is_never_missing():
    rules = rules_of(left="a", operator=">=", right="0")
    data = values({("U1", "2024"): {"a": -1}, ("U2", "2024"): {"a": 0}, ("U3", "2024"): {"b": 1}})
    assert broken_units(evaluate_rules(rules, data)) == ["U1"]


def test_division_by_zero_skips_the_rule():
    rules = rules_of(left="a / b", operator="<=", right="1", missing_value_strategy="never_skip")
    data = values({("U1", "2024"): {"a": 3, "b": 0}, ("U2", "2024"): {"a": 0, "b": 0},
                   ("U3", "2024"): {"a": 3, "b": 2}})
    assert broken_units(evaluate_rules(rules, data)) == ["U3"]


# -- tolerance ------------------------------------------------------------------------

@pytest.mark.parametrize(("symbol", "a", "b", "broken"), [
    ("==", 10, 12, False), ("==", 12, 10, False), ("==", 10, 13, True), ("==", 13, 10, True),
    ("<=", 12, 10, False), ("<=", 13, 10, True),
    ("<", 11.5, 10, False), ("<", 12, 10, True),
    (">=", 8, 10, False), (">=", 7, 10, True),
    (">", 8.5, 10, False), (">", 8, 10, True),
])
def test_tolerance_is_an_absolute_allowance(symbol, a, b, broken):
    rules = rules_of(left="a", operator=symbol, right="b", tolerance=2)
    got = evaluate_rules(rules, values({("U1", "2024"): {"a": a, "b": b}}))
    assert (len(got) == 1) is broken
    if broken:
        assert got[0].message.endswith(f"difference {a - b:,} (tolerance 2)")


def test_floating_point_rounding_is_not_a_violation():
    assert 0.1 + 0.2 != 0.3  # the rounding the rule must forgive
    rules = rules_of(left="a + b", operator="==", right="c")
    data = values({("U1", "2024"): {"a": 0.1, "b": 0.2, "c": 0.3},
                   ("U2", "2024"): {"a": 0.1, "b": 0.2, "c": 0.31}})
    assert broken_units(evaluate_rules(rules, data)) == ["U2"]


# -- pairs ----------------------------------------------------------------------------

PAIR_DATA = values({
    ("BOTH", "2024"): {"a": 1, "b": 2},
    ("LEFT", "2024"): {"a": 1},
    ("RIGHT", "2024"): {"b": 4},
    ("ZERO", "2024"): {"c": 0, "b": 4},  # a zero is data: c makes the left side a + c reported
    ("NEITHER", "2024"): {"d": 9},
})


def test_compulsory_pair_flags_one_side_without_the_other():
    rules = rules_of(left="a + c", operator="compulsory_pair", right="b")
    got = {v.unit: v for v in evaluate_rules(rules, PAIR_DATA)}
    assert sorted(got) == ["LEFT", "RIGHT"]
    assert (got["LEFT"].left_value, got["LEFT"].right_value) == (1, None)
    assert (got["RIGHT"].left_value, got["RIGHT"].right_value) == (None, 4)
    assert got["LEFT"].message == ("a + c (1) is reported but b is not for LEFT in 2024: "
                                   "both or neither must be reported")
    assert got["RIGHT"].message.startswith("b (4) is reported but a + c is not")


def test_exclusive_pair_flags_both_sides_reported():
    rules = rules_of(left="a + c", operator="exclusive_pair", right="b")
    got = evaluate_rules(rules, PAIR_DATA)
    assert broken_units(got) == ["BOTH", "ZERO"]
    assert (got[1].left_value, got[1].right_value) == (0, 4)
    assert got[0].message == "a + c (1) and b (2) must not both be reported for BOTH in 2024"


# -- periods --------------------------------------------------------------------------

def test_periods_range_limits_the_rule():
    data = values({("U1", str(y)): {"a": 1, "b": 2} for y in range(2010, 2016)})
    rules = rules_of(left="a", operator="==", right="b", periods="{from: 2012, to: 2013}")
    assert [v.period for v in evaluate_rules(rules, data)] == ["2012", "2013"]
    rules = rules_of(left="a", operator="==", right="b", periods="{from: 2014}")
    assert [v.period for v in evaluate_rules(rules, data)] == ["2014", "2015"]
    rules = rules_of(left="a", operator="==", right="b", periods="{to: 2010}")
    assert [v.period for v in evaluate_rules(rules, data)] == ["2010"]


def test_quarterly_range_and_period_order():
    # Periods compare as periods, not as text: 2024-Q4 comes before 2025-Q1.
    data = values({("U1", q): {"beds": 5} for q in ("2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2")})
    rules = rules_of(left="beds", operator="<", right="5", periods="{from: 2024Q4, to: 2025-Q1}")
    assert rules[0].period_type == "quarter"
    assert rules[0].period_from == "2024-Q4"
    assert [v.period for v in evaluate_rules(rules, data)] == ["2024-Q4", "2025-Q1"]


def test_a_rule_sees_only_periods_of_its_type():
    # A never_skip yearly rule must not run on the months a monthly indicator brings in.
    # A unit-period with data only for other indicators is in scope: its a counts as 0.
    data = values({("U1", "2024-01"): {"visits": 3}, ("U1", "2024"): {"a": 0},
                   ("U2", "2024"): {"d": 1}, ("U3", "2024"): {"a": 1}})
    rules = rules_of(left="a", operator=">", right="0", missing_value_strategy="never_skip")
    got = evaluate_rules(rules, data)
    assert [(v.unit, v.period, v.missing) for v in got] == [("U1", "2024", ()),
                                                            ("U2", "2024", ("a",))]


# -- violations and findings ----------------------------------------------------------

def test_violation_fields_message_and_finding():
    rules = rules_of(left="a", operator="==", right="b + c", importance="high",
                     instruction="Correct the total or its parts.")
    [v] = evaluate_rules(rules, values({("WA", "1997"): {"a": 24724, "b": 24000, "c": 727}}))
    assert (v.rule, v.name, v.unit, v.period) == ("R1", "test rule", "WA", "1997")
    assert (v.left_value, v.right_value, v.operator) == (24724, 24727, Operator.EQUAL)
    assert v.importance is Importance.HIGH
    assert v.message == "a (24,724) should equal b + c (24,727) for WA in 1997: difference -3"
    assert v.to_finding() == Finding(None, None, 24724, "rule:R1", "error",
                                     v.message + ". Correct the total or its parts.")
    f = v.to_finding(row=7, column="value", severity="warning")
    assert (f.row, f.column, f.severity) == (7, "value", "warning")
    with pytest.raises(ValueError, match="severity"):
        v.to_finding(severity="fatal")


def test_severity_for_importance():
    assert [severity_for(i) for i in ("high", "medium", "low")] == ["error", "warning", "warning"]
    assert severity_for(Importance.HIGH) == "error"
    with pytest.raises(ValueError):
        severity_for("urgent")


def test_violations_are_ordered_by_rule_then_unit_then_period():
    text = """
    - {code: SECOND, name: b small, left: b, operator: "<", right: "1"}
    - {code: FIRST, name: a small, left: a, operator: "<", right: "1"}
    """
    rules = parse_rules(textwrap.dedent(text), INDICATORS)
    data = values({(u, p): {"a": 5, "b": 5} for u in ("Z", "A") for p in ("2010", "2009")})
    frame = violation_frame(rules, data)
    assert frame.columns == ["rule", "unit", "period", "left", "right", "missing"]
    assert frame.select("rule", "unit", "period").rows() == [
        ("SECOND", "A", "2009"), ("SECOND", "A", "2010"), ("SECOND", "Z", "2009"),
        ("SECOND", "Z", "2010"), ("FIRST", "A", "2009"), ("FIRST", "A", "2010"),
        ("FIRST", "Z", "2009"), ("FIRST", "Z", "2010")]


def test_bad_values_raise_a_clear_error():
    rules = rules_of(left="a", operator="==", right="b")
    with pytest.raises(ValueError, match="lacks column.*indicator"):
        evaluate_rules(rules, pl.DataFrame({"unit": ["U"], "period": ["2024"], "value": [1.0]}))
    twice = pl.concat([values({("U1", "2024"): {"a": 1}})] * 2)
    with pytest.raises(ValueError, match="more than one value for unit 'U1', period '2024', "
                                         "indicator 'a'"):
        evaluate_rules(rules, twice)
    with pytest.raises(ValueError, match="'2024-13'"):
        evaluate_rules(rules, values({("U1", "2024-13"): {"a": 1}}))
    text = pl.DataFrame({"unit": ["U1"], "period": ["2024"], "indicator": ["a"],
                         "value": ["1,000"]})
    with pytest.raises(ValueError, match="'value' must hold numbers"):
        evaluate_rules(rules, text)
    assert evaluate_rules([], values({("U1", "2024"): {"a": 1}})) == []
    assert evaluate_rules(rules, values({})) == []


# -- parsing rules.yaml ---------------------------------------------------------------

def test_a_full_rule_parses():
    text = """\
    - code: VC
      name: Violent crime adds up
      left: a
      operator: "=="
      right: b + c + d
      importance: high
      instruction: Check the parts.
      missing_value_strategy: never_skip
      right_missing: skip_if_all_values_missing
      tolerance: 1.5
      periods: {from: 2001, to: 2012}
      period_type: year
    """
    [rule] = parse_rules(textwrap.dedent(text), INDICATORS)
    assert (rule.code, rule.name, rule.operator, rule.importance) == (
        "VC", "Violent crime adds up", Operator.EQUAL, Importance.HIGH)
    assert rule.left.text == "a" and rule.right.text == "b + c + d"
    assert rule.indicators == ("a", "b", "c", "d")
    assert rule.left_missing is MissingValueStrategy.NEVER_SKIP
    assert rule.right_missing is MissingValueStrategy.SKIP_IF_ALL_VALUES_MISSING
    assert (rule.tolerance, rule.period_from, rule.period_to) == (1.5, "2001", "2012")
    assert (rule.period_type, rule.instruction, rule.line) == ("year", "Check the parts.", 1)


def test_defaults_and_empty_file():
    [rule] = rules_of(left="a", operator="<=", right="b")
    assert rule.importance is Importance.MEDIUM and rule.instruction == ""
    assert rule.left_missing is rule.right_missing is MissingValueStrategy(
        "skip_if_any_value_missing")
    assert (rule.tolerance, rule.period_from, rule.period_to) == (0.0, None, None)
    assert parse_rules("", INDICATORS) == []
    assert parse_rules("# no rules yet\n", INDICATORS) == []


def test_every_problem_is_reported_with_its_line_and_field():
    text = """\
    - code: R1
      name: first
      left: homocide
      operator: "=>"
      right: robbery + * 2
    - code: R2
      name: second
      left: a
      operator: "!="
      right: b
      tolerance: 3
      importanse: high
    - code: R1
      name: third
      left: a
      operator: "=="
      right: b
    - code: R4
      left: a
      operator: compulsory_pair
      right: "7"
      missing_value_strategy: never_skip
    """
    got = parse_problems(text)
    assert got == [
        "rules.yaml:3: field 'left': 'homocide' is not an indicator code "
        "(did you mean 'homicide'?) (rule 'R1')",
        "rules.yaml:4: field 'operator': '=>' is not one of ==, !=, >, >=, <, <=, "
        "compulsory_pair, exclusive_pair (did you mean '>='?) (rule 'R1')",
        "rules.yaml:5: field 'right': syntax error in 'robbery + * 2': expected an indicator "
        "code, a number or '(' at character 11 but found '*' (rule 'R1')",
        "rules.yaml:11: field 'tolerance': is not allowed with != (rule 'R2')",
        "rules.yaml:12: field 'importanse': is not a known field (did you mean 'importance'?)",
        "rules.yaml:13: field 'code': 'R1' is already used on line 1",
        "rules.yaml:18: field 'name': is required",
        "rules.yaml:21: field 'right': compulsory_pair needs an indicator on each side "
        "(rule 'R4')",
        "rules.yaml:22: field 'missing_value_strategy': has no effect on compulsory_pair: a "
        "side has data when any of its indicators has a value (rule 'R4')",
    ]


def test_value_problems_are_reported():
    text = """\
    - code: R1
      name: bad values
      left: a
      operator: "<"
      right: b
      importance: urgent
      missing_value_strategy: skip_if_missing
      tolerance: -1
      periods: {from: 2015, to: 2012}
    - code: R2
      name: mixed types
      left: a
      operator: "<"
      right: visits
    - code: R3
      name: wrong declared type
      left: a
      operator: "<"
      right: b
      period_type: month
      periods: {since: 2012}
    - code: R4
      name: unquoted symbol
      left: a
      operator: >
      right: b
    - code: R5
      name: constants only
      left: "1"
      operator: "<"
      right: "2"
    - just text
    """
    got = parse_problems(text)
    assert got == [
        "rules.yaml:6: field 'importance': 'urgent' is not one of high, medium, low (rule 'R1')",
        "rules.yaml:7: field 'missing_value_strategy': 'skip_if_missing' is not one of "
        "skip_if_any_value_missing, skip_if_all_values_missing, never_skip "
        "(did you mean 'skip_if_any_value_missing'?) (rule 'R1')",
        "rules.yaml:8: field 'tolerance': '-1' must be a number of 0 or more (rule 'R1')",
        "rules.yaml:9: field 'periods.to': 2012 is before 'from' 2015 (rule 'R1')",
        "rules.yaml:10: field 'period_type': the indicators have different period types: "
        "a (year), visits (month); a rule compares values of one unit and one period "
        "(rule 'R2')",
        "rules.yaml:20: field 'period_type': 'month' does not match the indicators used, "
        "which are year (rule 'R3')",
        "rules.yaml:21: field 'periods': must be a mapping with 'from' and/or 'to', "
        "e.g. {from: 2013, to: 2016} (rule 'R3')",
        "rules.yaml:25: field 'operator': is required: write it in quotes, e.g. operator: "
        "\">=\" (a bare > or | starts a YAML block), or by name, e.g. "
        "greater_than_or_equal_to",
        "rules.yaml:27: the rule uses no indicator (rule 'R5')",
        "rules.yaml: item 6 is not a mapping of fields",
    ]


def test_period_range_of_the_wrong_type_and_broken_yaml():
    text = """\
    - {code: R1, name: n, left: beds, operator: "<", right: "1", periods: {from: 2024}}
    """
    assert parse_problems(text) == [
        "rules.yaml:1: field 'periods.from': '2024' is a year but a quarter is expected here "
        "(e.g. 2024-Q1) (rule 'R1')"]
    assert parse_problems("- code: [unclosed\n")[0].startswith("rules.yaml:2: is not valid YAML")
    assert parse_problems("code: R1\n") == [
        "rules.yaml:1: must be a YAML list (each rule starting with '- ')"]


# -- real data ------------------------------------------------------------------------

CRIME = SHARED_DATA / "us_state_crime_ucr_1979_2019.csv"
PARTS = ("homicide", "robbery", "aggravated_assault")

CRIME_RULES = """\
- code: VC_LEGACY
  name: Violent crime is the sum of its four offences (legacy rape definition)
  left: violent_crime
  operator: "=="
  right: homicide + rape_legacy + robbery + aggravated_assault
  importance: high
  instruction: Check violent crime against its four offences.
  periods: {to: 2012}
- code: VC_REVISED
  name: Violent crime is the sum of its four offences (revised rape definition)
  left: violent_crime
  operator: "=="
  right: homicide + rape_revised + robbery + aggravated_assault
  importance: high
  instruction: Check violent crime against its four offences.
  periods: {from: 2013}
"""


def test_the_real_violent_crime_rule_finds_the_four_known_violations():
    with CRIME.open(newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["level"] == "state"]
    # Independent check, in plain Python: which state-years break the rule?
    expected = set()
    long = []
    for r in rows:
        year = int(r["year"])
        rape = r["rape_legacy"] if year <= 2012 else r["rape_revised"]
        parts = [r[p] for p in PARTS] + [rape]
        if r["violent_crime"] and all(parts) and float(r["violent_crime"]) != sum(
                float(p) for p in parts):
            expected.add((r["state"], r["year"]))
        for code in ("violent_crime", "rape_legacy", "rape_revised", *PARTS):
            if r[code]:
                long.append((r["state"], r["year"], code, float(r[code])))
    assert expected == {("HI", "2015"), ("NH", "2013"), ("RI", "2012"), ("WA", "1997")}

    codes = ("violent_crime", "rape_legacy", "rape_revised", *PARTS)
    rules = parse_rules(CRIME_RULES, {c: indicator(c) for c in codes})
    data = pl.DataFrame(long, schema=["unit", "period", "indicator", "value"], orient="row")
    got = evaluate_rules(rules, data)
    assert {(v.unit, v.period) for v in got} == expected and len(got) == 4
    wa = next(v for v in got if v.unit == "WA")
    assert wa.rule == "VC_LEGACY"
    assert wa.message == ("violent_crime (24,724) should equal homicide + rape_legacy + robbery "
                          "+ aggravated_assault (24,727) for WA in 1997: difference -3")
    assert {v.rule for v in got if v.period >= "2013"} == {"VC_REVISED"}


# -- scale ----------------------------------------------------------------------------

@pytest.mark.slow
def test_a_million_values_are_checked_in_one_pass():
    units, years = 2000, 100  # 200,000 unit-periods x 5 indicators
    rng = np.random.default_rng(7)
    parts = rng.integers(0, 10_000, size=(4, units * years)).astype(float)
    total = parts.sum(axis=0)
    broken = np.arange(0, units * years, 1000)  # 200 planted violations
    total[broken] += 1
    unit = np.repeat([f"U{i:04d}" for i in range(units)], years)
    period = np.tile([str(y) for y in range(1920, 1920 + years)], units)
    frames = [pl.DataFrame({"unit": unit, "period": period, "indicator": code, "value": col})
              for code, col in zip(("a", "b", "c", "d", "homicide"),
                                   (*parts, total), strict=True)]
    data = pl.concat(frames)
    assert data.height == 1_000_000
    rules = rules_of(left="homicide", operator="==", right="a + b + c + d")
    start = time.perf_counter()
    got = evaluate_rules(rules, data)
    print(f"evaluated 1,000,000 values in {time.perf_counter() - start:.2f} s")
    assert sorted((v.unit, v.period) for v in got) == sorted(
        zip(unit[broken], period[broken], strict=True))
    assert all(v.left_value - v.right_value == 1 for v in got)
