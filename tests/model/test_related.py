"""Declaring indicators that should move together (indicators.yaml ``related``)."""

import pytest

from stocktake.model.files import ModelError, parse_model

from .test_files import INDICATORS, PRIORITIES, UNITS

YEARLY = ("- code: officers\n  name: Officers\n  unit: officers\n  polarity: neutral\n"
          "  period_type: year\n  aggregation: sum\n")


def with_related(related: str, extra: str = "") -> str:
    """The small model's indicators with ``related`` declared on 'incidents'."""
    marker = "- code: incidents\n"
    assert marker in INDICATORS
    head, tail = INDICATORS.split(marker, 1)
    return head + marker + f"  related: {related}\n" + tail + extra


def problems(indicators: str) -> list[str]:
    with pytest.raises(ModelError) as info:
        parse_model(UNITS, indicators, PRIORITIES)
    return [str(p) for p in info.value.problems]


def test_related_is_read_as_a_list_of_codes():
    model = parse_model(UNITS, with_related("[population]"), PRIORITIES)
    assert model.indicators["incidents"].related == ["population"]
    assert model.indicators["population"].related == []
    single = parse_model(UNITS, with_related("population"), PRIORITIES)
    assert single.indicators["incidents"].related == ["population"]


def test_an_undeclared_related_leaves_the_definition_as_it_was():
    model = parse_model(UNITS, INDICATORS, PRIORITIES)
    assert "related" not in model.indicators["incidents"].to_dict()["attributes"]


def test_unknown_codes_are_named_with_a_suggestion_and_the_line():
    found = problems(with_related("[populaton]"))
    line = with_related("[populaton]").splitlines().index("  related: [populaton]") + 1
    assert (f"indicators.yaml:{line}: field 'related': 'populaton' is not an indicator code "
            "(did you mean 'population'?)") in found, found


def test_a_ratio_of_different_period_types_is_refused():
    found = problems(with_related("[officers]", YEARLY))
    assert any("field 'related': 'incidents' is month but 'officers' is year" in p
               for p in found), found


def test_an_indicator_cannot_move_with_itself():
    found = problems(with_related("[incidents]"))
    assert any("'incidents' cannot move with itself" in p for p in found), found
