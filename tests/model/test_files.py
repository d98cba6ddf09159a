"""Loading model files: every problem reported with file, line and field."""

from pathlib import Path

import pytest

from stocktake.model.files import ModelError, load_model_dir, parse_model

SMALL = Path(__file__).parents[1] / "fixtures" / "small_model"
UNITS = (SMALL / "units.csv").read_text()
INDICATORS = (SMALL / "indicators.yaml").read_text()
PRIORITIES = (SMALL / "priorities.yaml").read_text()


def problems(units=UNITS, indicators=INDICATORS, priorities=PRIORITIES) -> list[str]:
    with pytest.raises(ModelError) as info:
        parse_model(units, indicators, priorities)
    return [str(p) for p in info.value.problems]


def test_the_small_model_loads():
    model = load_model_dir(SMALL)
    assert list(model.units) == ["N", "A", "B", "A1", "A2", "B1"]
    assert model.units["A1"].attributes == {"population": 350000}
    assert [u.code for u in model.descendants("A")] == ["A1", "A2"]
    assert [u.code for u in model.ancestors("B1")] == ["B", "N"]
    rate = model.indicators["incident_rate"]
    assert (rate.numerator, rate.denominator, rate.scale) == ("incidents", "population", 100000)
    p = model.priorities["P1"]
    assert (p.baseline.period, p.baseline.value, p.target.period) == ("2024-01", 10.0, "2025-12")
    assert p.leads == ["screening"] and p.counters == ["incidents"]


def test_missing_files_are_named(tmp_path):
    (tmp_path / "units.csv").write_text(UNITS)
    with pytest.raises(ModelError) as info:
        load_model_dir(tmp_path)
    text = str(info.value)
    assert "indicators.yaml: file is missing" in text and "priorities.yaml: file is missing" in text


def test_not_utf8_is_reported(tmp_path):
    for f in SMALL.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    (tmp_path / "units.csv").write_bytes(UNITS.replace("Nation", "Nati\xf3n").encode("latin-1"))
    with pytest.raises(ModelError, match="units.csv: is not UTF-8"):
        load_model_dir(tmp_path)


def test_unit_problems_carry_their_line():
    units = UNITS + "A1,Duplicate,region,A,\nC1,Orphan,region,Z,\nX,,region,A,\nY,Short,region\n"
    found = problems(units=units)
    assert "units.csv:8: field 'code': 'A1' is already used on line 5" in found
    assert "units.csv:9: field 'parent': 'Z' is not a unit code" in found
    assert "units.csv:10: field 'name': is empty for unit 'X'" in found
    assert "units.csv:11: has 3 cells but the header has 5" in found


def test_unit_parent_suggestion_and_cycle():
    units = "code,name,level,parent\nN,Nation,nation,\nA,A,province,NN\nB,B,p,C\nC,C,p,B\n"
    found = problems(units=units)
    assert "units.csv:3: field 'parent': 'NN' is not a unit code (did you mean 'N'?)" in found
    assert any("units.csv:4: field 'parent': unit 'B' is its own ancestor" in p for p in found)


def test_units_header_must_have_the_columns():
    assert problems(units="code,name,parent\nN,Nation,\n") == [
        "units.csv:1: header lacks column(s) level; it must start with code,name,level,parent"]


def test_indicator_problems_carry_line_and_field():
    indicators = INDICATORS.replace("polarity: up", "polarity: upp").replace(
        "  denominator: population\n", "").replace("kind: context", "kind: context\n  colour: red")
    found = problems(indicators=indicators)
    assert any(p.startswith("indicators.yaml:32: field 'polarity': 'upp' is not one of up, down, "
                            "neutral (did you mean 'up'?)") for p in found), found
    assert any("field 'denominator': ratio needs a denominator (indicator 'incident_rate')" in p
               for p in found), found
    assert "indicators.yaml:19: field 'colour': is not a known field" in found


def test_required_fields_and_references():
    indicators = INDICATORS + (
        "- code: avg_wait\n  name: Average wait\n  unit: weeks\n  polarity: down\n"
        "  period_type: month\n  aggregation: weighted_mean\n  weight: patients\n"
        "- code: nameless\n  unit: x\n  polarity: up\n  period_type: fortnight\n"
        "  aggregation: sum\n  scale: -3\n")
    found = problems(indicators=indicators)
    assert any("field 'weight': 'patients' is not an indicator code" in p for p in found)
    assert any(p.endswith("field 'name': is required") for p in found)
    assert any("field 'period_type': 'fortnight' is not one of year, quarter, month, week, day"
               in p for p in found)
    assert any("field 'scale': '-3' must be a positive number" in p for p in found)


def test_invalid_yaml_reports_its_line():
    found = problems(indicators="- code: a\n  name: [unclosed\n")
    assert len(found) == 1
    assert found[0].startswith("indicators.yaml:") and "not valid YAML" in found[0]


def test_priority_problems():
    priorities = PRIORITIES.replace("scope: N", "scope: NN").replace(
        "baseline: {period: 2024-01, value: 10.0}", "baseline: {period: 2024-Q1, value: ten}"
    ).replace("leads: [screening]", "leads: [screening, scrrening]")
    found = problems(priorities=priorities)
    assert "priorities.yaml:6: field 'scope': 'NN' is not a unit code (did you mean 'N'?)" in found
    assert any("field 'baseline.period': '2024-Q1' is a quarter but a month is expected" in p
               for p in found)
    assert any("field 'baseline.value': 'ten' is not a number" in p for p in found)
    assert any("'scrrening' is not an indicator code (did you mean 'screening'?)" in p
               for p in found)


def test_target_must_come_after_the_baseline():
    priorities = PRIORITIES.replace("{period: 2025-12, value: 8.0}", "{period: 2023-12, value: 8}")
    assert problems(priorities=priorities) == [
        "priorities.yaml:8: field 'target': period 2023-12 is not after the baseline 2024-01"]


def test_all_problems_are_reported_together():
    found = problems(units=UNITS + "A1,Dup,region,A,\n",
                     indicators=INDICATORS.replace("polarity: up", "polarity: sideways"),
                     priorities=PRIORITIES.replace("headline: incident_rate", "headline: nope"))
    files = {p.split(":")[0] for p in found}
    assert files == {"units.csv", "indicators.yaml", "priorities.yaml"}


# -- stages: a priority given its next target, the old one kept -------------------------------

STAGED = PRIORITIES.replace(
    "  baseline: {period: 2024-01, value: 10.0}\n  target: {period: 2025-12, value: 8.0}\n",
    "  baseline: {period: 2024-01, value: 10.0}\n  target: {period: 2025-12, value: 8.0}\n"
    "  stages:\n"
    "    - baseline: {period: 2022-01, value: 12.0}\n"
    "      target: {period: 2023-06, value: 11.0}\n"
    "      note: the first stage, agreed in 2021\n"
    "    - baseline: {period: 2023-06, value: 11.4}\n"
    "      target: {period: 2024-01, value: 10.5}\n", 1)


def test_a_priority_keeps_its_earlier_stages():
    model = parse_model(UNITS, INDICATORS, STAGED)
    p = model.priorities["P1"]
    assert (p.baseline.period, p.target.period) == ("2024-01", "2025-12")  # the current stage
    assert p.attributes["stages"] == [
        {"baseline": {"period": "2022-01", "value": 12.0},
         "target": {"period": "2023-06", "value": 11.0},
         "note": "the first stage, agreed in 2021"},
        {"baseline": {"period": "2023-06", "value": 11.4},
         "target": {"period": "2024-01", "value": 10.5}}]
    # Without stages nothing changes (backward compatible).
    assert "stages" not in parse_model(UNITS, INDICATORS, PRIORITIES).priorities["P1"].attributes


def test_stage_problems_say_what_and_where():
    lines = STAGED.splitlines()
    first = next(i for i, line in enumerate(lines) if "stages:" in line) + 1  # 1-based
    bad = STAGED.replace("      target: {period: 2023-06, value: 11.0}\n",
                         "      target: {period: 2021-06, value: 11.0}\n"
                         "      targte: 3\n")
    bad = bad.replace("    - baseline: {period: 2023-06, value: 11.4}\n",
                      "    - baseline: {period: 2023-13, value: 11.4}\n")
    found = problems(priorities=bad)
    assert (f"priorities.yaml:{first + 2}: field 'stages[0].target': period 2021-06 is not "
            "after the stage's baseline 2022-01") in found
    assert any(p.startswith(f"priorities.yaml:{first + 3}: field 'stages[0].targte': is not a "
                            "known field of a stage (did you mean 'target'?)") for p in found)
    assert any("field 'stages[1].baseline.period'" in p for p in found), found


def test_stages_must_come_oldest_first_and_end_before_the_next_begins():
    late = STAGED.replace("      target: {period: 2024-01, value: 10.5}\n",
                          "      target: {period: 2024-06, value: 10.5}\n")
    found = problems(priorities=late)
    assert any("field 'stages[1]': ends in 2024-06, after the priority's baseline begins in "
               "2024-01" in p for p in found), found
    for text in ("  stages: []\n", "  stages: 2022\n", "  stages:\n    - {baseline: {period: "
                 "2022-01, value: 1}}\n"):
        broken = PRIORITIES.replace("  counters: [incidents]\n",
                                    "  counters: [incidents]\n" + text, 1)
        found = problems(priorities=broken)
        assert any("stages" in p for p in found), (text, found)


def test_yaml_merge_keys_share_defaults_and_are_overridden_by_the_mapping():
    """``<<: *defaults`` (YAML's merge key) brings an anchored mapping's keys in; the
    mapping's own keys win over them, and a key given twice by the mapping itself is still
    refused. It failed once with "could not determine a constructor for the tag ...merge"."""
    indicators = INDICATORS.replace(
        "- code: population\n  name: Population\n  unit: people\n  polarity: neutral\n"
        "  period_type: month\n  aggregation: sum\n",
        "- code: population\n  name: Population\n  unit: people\n"
        "  <<: &monthly_sum {polarity: up, period_type: month, aggregation: sum}\n"
        "  polarity: neutral\n")
    assert indicators != INDICATORS
    indicators += ("- code: households\n  name: Households\n  unit: households\n"
                   "  kind: context\n  <<: *monthly_sum\n")
    model = parse_model(UNITS, indicators, PRIORITIES)
    population, households = model.indicators["population"], model.indicators["households"]
    assert (population.polarity.value, population.period_type,
            population.aggregation.value) == ("neutral", "month", "sum")
    assert (households.polarity.value, households.period_type,
            households.aggregation.value) == ("up", "month", "sum")
    twice = indicators + "  unit: dwellings\n"
    assert problems(indicators=twice) == [
        f"indicators.yaml:{twice.count(chr(10))}: 'unit' is given twice in the same mapping "
        f"(lines {twice.count(chr(10)) - 3} and {twice.count(chr(10))}): keep one"]
