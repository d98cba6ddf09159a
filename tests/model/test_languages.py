"""The model's French fields read from the files: kept beside the English, left out of
``to_dict`` when absent, and a French field that is not text refused with its line."""

import pytest

from stocktake.errors import Invalid
from stocktake.model.files import ModelError, missing_french, parse_languages, parse_model

UNITS = "code,name,level,parent,name_fr\nN,Nation,nation,,Nation\nA,North,region,N,\n"
INDICATORS = """\
- code: x
  name: Homes finished
  name_fr: Logements achevés
  unit: homes
  unit_fr: logements
  polarity: up
  period_type: year
  aggregation: sum
"""
PRIORITIES = """\
- code: P
  title: Build homes
  headline: x
  scope: N
  baseline: {period: '2020', value: 1}
  target: {period: '2024', value: 2}
"""


def test_french_fields_are_read_beside_the_english_and_missing_ones_listed():
    model = parse_model(UNITS, INDICATORS, PRIORITIES)
    assert model.units["N"].name_fr == "Nation"
    assert model.units["A"].name_in("fr") == "North"  # no French: the English name
    assert model.indicators["x"].name_in("fr") == "Logements achevés"
    assert model.indicators["x"].to_dict()["name_fr"] == "Logements achevés"
    assert "definition_fr" not in model.indicators["x"].to_dict()  # none given: absent
    assert "title_fr" not in model.priorities["P"].to_dict()
    assert [str(p) for p in missing_french(model)] == [
        "units.csv:3: field 'name_fr': unit 'A' has no French translation (name_fr)",
        "priorities.yaml:1: field 'title_fr': priority 'P' has no French translation "
        "(title_fr)",
    ]


def test_a_french_field_that_is_not_text_is_refused_at_its_line():
    with pytest.raises(ModelError) as caught:
        parse_model(UNITS, INDICATORS.replace("name_fr: Logements achevés",
                                              "name_fr: [Logements]"), PRIORITIES)
    assert [str(p) for p in caught.value.problems] == [
        "indicators.yaml:3: field 'name_fr': must be text, not a list"]


def test_the_languages_a_load_may_require():
    assert parse_languages("en,fr") == ("en", "fr")
    assert parse_languages(" EN ") == ("en",)
    for bad in ("fr", "en,de", ""):
        with pytest.raises(Invalid):
            parse_languages(bad)


def test_a_unit_of_measure_in_french_is_read_used_and_warned_when_missing():
    indicators = INDICATORS + """\
- code: y
  name: Homes started
  name_fr: Logements mis en chantier
  unit: homes
  polarity: up
  period_type: year
  aggregation: sum
- code: r
  name: Violent incidents per 100,000
  name_fr: Incidents violents pour 100 000
  unit: incidents per 100,000
  unit_fr: incidents pour 100 000
  polarity: down
  period_type: year
  aggregation: none
- code: s
  name: Share on time
  name_fr: Part à temps
  unit: '%'
  polarity: up
  period_type: year
  aggregation: none
"""
    model = parse_model(UNITS, indicators, PRIORITIES)
    r, s, y = model.indicators["r"], model.indicators["s"], model.indicators["y"]
    assert (r.unit_in("fr"), r.unit_in("en")) == ("incidents pour 100 000",
                                                  "incidents per 100,000")
    assert r.to_dict()["unit_fr"] == "incidents pour 100 000"
    assert model.indicators["x"].unit_in("fr") == "logements"
    assert y.unit_in("fr") == "homes" and "unit_fr" not in y.to_dict()  # none: the English
    warned = [str(p) for p in missing_french(model) if "indicator" in str(p)]
    # words want a translation; a bare symbol ('%') reads the same in French
    assert warned == ["indicators.yaml:9: field 'unit_fr': indicator 'y' has no French "
                      "translation (unit_fr)"]
    assert s.unit_in("fr") == "%"


LEVELLED = ("code,name,level,parent,name_fr,level_fr\n"
            "N,Nation,nation,,Nation,pays\n"
            "A,North,region,N,Nord,région\n"
            "B,South,region,N,Sud,\n"
            "C,East,district,A,Est,\n")


def test_french_level_names_are_read_and_a_level_without_one_is_warned_at_its_first_unit():
    model = parse_model(LEVELLED, INDICATORS, PRIORITIES)
    assert model.level_in("region", "fr") == "région"  # B leaves it to A
    assert model.level_in("region", "en") == "region"
    assert model.level_in("district", "fr") == "district"  # none given: as the model names it
    assert model.units["A"].to_dict()["level_fr"] == "région"
    assert "level_fr" not in model.units["B"].to_dict()
    assert [str(p) for p in missing_french(model) if "level" in str(p)] == [
        "units.csv:5: field 'level_fr': level 'district' has no French translation "
        "(level_fr)"]


def test_a_model_naming_no_level_in_french_is_not_warned_about_levels():
    assert not [p for p in missing_french(parse_model(UNITS, INDICATORS, PRIORITIES))
                if "level" in str(p)]


def test_two_french_names_for_one_level_are_refused_at_the_second():
    with pytest.raises(ModelError) as caught:
        parse_model(LEVELLED.replace("Sud,", "Sud,zone"), INDICATORS, PRIORITIES)
    assert [str(p) for p in caught.value.problems] == [
        "units.csv:4: field 'level_fr': 'zone' names level 'region' in French, but unit 'A' "
        "(line 3) names it 'région'"]
