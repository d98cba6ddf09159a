"""The one error model: each kind maps to one exit code and one HTTP status, problems
are listed with where they are, and the did-you-mean hint reads one way everywhere."""

import pytest

from stocktake.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Problem,
    StocktakeError,
    TextProblem,
    did_you_mean,
    not_found,
)


def test_each_kind_has_its_own_exit_code_and_status():
    kinds = [NotFound, Invalid, Conflict, Forbidden]
    assert len({k.exit_code for k in kinds}) == 4
    assert [k.http_status for k in kinds] == [404, 422, 409, 403]
    assert all(issubclass(k, StocktakeError) for k in kinds)


def test_problems_are_listed_with_where_they_are():
    err = Invalid([Problem("required", "interventions[2].owner"), "dates are reversed"],
                  source="plan.yaml")
    assert err.messages == ["interventions[2].owner: required", "dates are reversed"]
    assert str(err) == ("plan.yaml: 2 problems:\n  - interventions[2].owner: required\n"
                        "  - dates are reversed")
    assert str(Invalid("as_of is not a date")) == "as_of is not a date"


def test_did_you_mean():
    assert did_you_mean("LITT", ["LIT", "CRIME"]) == " (did you mean 'LIT'?)"
    assert did_you_mean("ZZZ", ["LIT", "CRIME"]) == ""
    # a code differing only in case is offered, though too short for difflib alone
    assert did_you_mean("p1", ["P1", "P2"]) == " (did you mean 'P1'?)"
    err = not_found("priority", "CRIM", ["LIT", "CRIME"])
    assert isinstance(err, NotFound)
    assert str(err) == "no priority 'CRIM' (did you mean 'CRIME'?)"


def test_an_error_can_be_caught_by_its_kind():
    with pytest.raises(NotFound):
        raise not_found("unit", "XX", [])


def test_a_text_problem_is_its_text_and_a_problem_with_its_field_path_as_where():
    p = TextProblem("interventions[2].owner: required")
    assert p == "interventions[2].owner: required" and isinstance(p, Problem)
    assert (p.where, p.message) == ("interventions[2].owner", "required")
    whole = TextProblem("a plan needs at least one intervention: add one")
    assert (whole.where, whole.message) == ("", "a plan needs at least one intervention: add one")
    assert Invalid([p, whole]).messages == [str(p), str(whole)]
