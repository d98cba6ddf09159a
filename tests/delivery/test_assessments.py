"""Assessments of likelihood of delivery: parsing, gaps, change between rounds, and the flags
where judgement and statistics disagree. Expected values are written out by hand."""

import json
import math
from datetime import date

import pytest
import yaml

from stocktake.delivery.assessments import (
    CRITERIA,
    HIGH_PROBABILITY,
    LIKELIHOOD,
    LIKELIHOOD_LABELS,
    LOW_PROBABILITY,
    RATING_LABELS,
    Assessment,
    change,
    disagreement,
    parse_assessment,
)
from stocktake.delivery.errors import DeliveryError
from stocktake.errors import StocktakeError

DOC = """
round: 2026-Q3
assessed_on: 2026-09-30
assessor: Head of Delivery Unit
degree_of_challenge: {rating: high, rationale: "Literacy moves slowly"}
quality_of_planning: {rating: amber_green, rationale: "Plan agreed with provinces"}
quality_of_implementation: {rating: amber_red}
quality_of_performance_management: {rating: green, rationale: "Monthly data from all 13"}
stage_of_delivery: {rating: 2, rationale: "Tutoring started in 2026"}
likelihood: {rating: amber_green, rationale: "  On track in 10 of 13 provinces  "}
"""


def _assessment(round_: str, on: str, **ratings: object) -> Assessment:
    doc = {"round": round_, "assessed_on": on, "assessor": "DU"}
    doc.update({k: {"rating": v, "rationale": "why"} for k, v in ratings.items()})
    return parse_assessment(doc)


def test_parse_reads_every_field_and_orders_ratings_as_the_criteria():
    a = parse_assessment(yaml.safe_load(DOC))
    assert a.round == "2026-Q3"
    assert a.assessed_on == date(2026, 9, 30)
    assert a.assessor == "Head of Delivery Unit"
    assert a.likelihood == "amber_green"
    assert a.likelihood_label == "Amber/green"
    assert a.ratings["likelihood"]["rationale"] == "On track in 10 of 13 provinces"
    assert a.ratings["quality_of_implementation"] == {"rating": "amber_red", "rationale": None}
    assert a.ratings["stage_of_delivery"]["rating"] == 2
    assert list(a.ratings) == ["degree_of_challenge", "quality_of_planning",
                               "quality_of_implementation", "quality_of_performance_management",
                               "stage_of_delivery", "likelihood"]


def test_to_dict_is_json_safe_and_round_trips():
    a = parse_assessment(yaml.safe_load(DOC))
    again = parse_assessment(json.loads(json.dumps(a.to_dict())))
    assert again == a
    assert a.to_dict()["assessed_on"] == "2026-09-30"
    assert a.to_dict()["quality_of_implementation"] == {"rating": "amber_red"}


def test_gaps_lists_missing_ratings_and_rationales_in_criteria_order():
    a = parse_assessment(yaml.safe_load(DOC))
    assert a.gaps() == [
        {"criterion": "quality_of_implementation", "missing": "rationale",
         "message": "Quality of implementation is rated Amber/red with no rationale"},
        {"criterion": "capacity_to_drive_progress", "missing": "rating",
         "message": "Capacity to drive progress is not rated"},
    ]


def test_the_scales_and_labels():
    assert LIKELIHOOD == ("green", "amber_green", "amber_red", "red")
    assert [LIKELIHOOD_LABELS[k] for k in LIKELIHOOD] == ["Green", "Amber/green", "Amber/red",
                                                         "Red"]
    assert [c[0] for c in CRITERIA] == [
        "degree_of_challenge", "quality_of_planning", "quality_of_implementation",
        "quality_of_performance_management", "capacity_to_drive_progress", "stage_of_delivery",
        "likelihood"]
    assert dict((k, s.values) for k, _, s in CRITERIA)["stage_of_delivery"] == (1, 2, 3, 4)
    assert (RATING_LABELS["very_high"], RATING_LABELS[3], RATING_LABELS["amber_red"]) == (
        "Very high", "Implementation well under way", "Amber/red")


def test_every_problem_is_reported_with_its_path():
    raw = {"round": 1.5, "assesed_on": "2026-09-30", "assessor": "  ",
           "quality_of_planning": "green", "stage_of_delivery": {"rating": True},
           "degree_of_challenge": {"rating": "very high", "rationle": "x"},
           "likelihood": {"rating": "amber-green"}}
    with pytest.raises(DeliveryError) as err:
        parse_assessment(raw)
    assert err.value.problems == [
        "assesed_on: unknown field (did you mean 'assessed_on'?)",
        "round: expected text, got 1.5 (a number)",
        "assessed_on: required",
        "assessor: required",
        "degree_of_challenge.rationle: unknown field (did you mean 'rationale'?)",
        "degree_of_challenge.rating: 'very high' is not one of low, medium, high, very_high "
        "(did you mean 'very_high'?)",
        "quality_of_planning: expected a mapping, got 'green' (text)",
        "stage_of_delivery.rating: True is not one of 1, 2, 3, 4",
        "likelihood.rating: 'amber-green' is not one of green, amber_green, amber_red, red "
        "(did you mean 'amber_green'?)",
        "likelihood.rationale: required",
    ]
    assert isinstance(err.value, StocktakeError)


@pytest.mark.parametrize("raw, problem", [
    (None, "an assessment needs round, assessed_on, assessor and likelihood "
           "({rating, rationale}); got nothing"),
    (["round"], "expected a mapping, got ['round'] (a list)"),
    ({"round": "Q3", "assessed_on": "2026-02-30", "assessor": "x",
      "likelihood": {"rating": "red", "rationale": "y"}},
     "assessed_on: '2026-02-30' is not a real date (day is out of range for month)"),
    ({"round": "Q3", "assessed_on": "30/09/2026", "assessor": "x",
      "likelihood": {"rating": "red", "rationale": "y"}},
     "assessed_on: expected a date (YYYY-MM-DD), got '30/09/2026' (text)"),
    ({"round": "Q3", "assessed_on": "2026-09-30", "assessor": "x"}, "likelihood: required"),
    ({"round": "Q3", "assessed_on": "2026-09-30", "assessor": "x",
      "likelihood": {"rationale": "y"}}, "likelihood.rating: required"),
])
def test_single_problems(raw, problem):
    with pytest.raises(DeliveryError) as err:
        parse_assessment(raw)
    assert err.value.problems == [problem]


def test_a_numeric_round_is_read_as_a_label():
    a = parse_assessment({"round": 2026, "assessed_on": date(2026, 9, 30), "assessor": "x",
                          "likelihood": {"rating": "red", "rationale": "y"}})
    assert a.round == "2026"


def test_change_reads_each_criterion_on_its_own_scale():
    before = _assessment("2026-Q2", "2026-06-30", degree_of_challenge="high",
                         quality_of_planning="green", stage_of_delivery=2,
                         capacity_to_drive_progress="amber_red", likelihood="amber_red")
    after = _assessment("2026-Q3", "2026-09-30", degree_of_challenge="medium",
                        quality_of_planning="amber_green", stage_of_delivery=3,
                        quality_of_implementation="amber_green", likelihood="amber_green")
    c = change(before, after)
    directions = {k: v["direction"] for k, v in c["criteria"].items()}
    assert directions == {
        "degree_of_challenge": "improved",  # less challenge
        "quality_of_planning": "worse",
        "quality_of_implementation": "new",
        "capacity_to_drive_progress": "removed",
        "stage_of_delivery": "improved",  # later stage, higher number
        "likelihood": "improved",
    }
    assert c["criteria"]["stage_of_delivery"] == {
        "label": "Stage of delivery", "old": 2, "new": 3, "old_label": "Early implementation",
        "new_label": "Implementation well under way", "direction": "improved"}
    assert c["sentence"] == "Likelihood improved from Amber/red to Amber/green since 2026-Q2"
    assert (c["round"], c["since"], c["direction"]) == ("2026-Q3", "2026-Q2", "improved")


@pytest.mark.parametrize("old, new, sentence", [
    ("green", "amber_green", "Likelihood worsened from Green to Amber/green since 2026-Q2"),
    ("red", "red", "Likelihood unchanged at Red since 2026-Q2"),
    ("amber_green", "red", "Likelihood worsened from Amber/green to Red since 2026-Q2"),
])
def test_change_sentence(old, new, sentence):
    c = change(_assessment("2026-Q2", "2026-06-30", likelihood=old),
               _assessment("2026-Q3", "2026-09-30", likelihood=new))
    assert c["sentence"] == sentence


def test_change_from_nothing_and_out_of_order():
    first = _assessment("2026-Q3", "2026-09-30", likelihood="amber_red")
    c = change(None, first)
    assert c["sentence"] == "Likelihood first assessed as Amber/red in 2026-Q3"
    assert c["criteria"]["likelihood"]["direction"] == "new"
    assert c["since"] is None
    earlier = _assessment("2026-Q2", "2026-06-30", likelihood="green")
    with pytest.raises(ValueError, match="later than the current one"):
        change(first, earlier)


# -- disagreement: thresholds at their boundaries ------------------------------------------


def test_thresholds():
    assert (LOW_PROBABILITY, HIGH_PROBABILITY) == (0.30, 0.70)


@pytest.mark.parametrize("likelihood, p, message", [
    ("green", 0.22, "Rated Green, but the forecast gives a 22% probability of meeting the target"),
    ("amber_green", 0.08, "Rated Amber/green, but the forecast gives an 8% probability of "
                          "meeting the target"),
    # 29.96% would round to the threshold itself: one decimal, rounded down, instead.
    ("green", 0.2996, "Rated Green, but the forecast gives a 29.9% probability of meeting "
                      "the target"),
    ("amber_red", 0.85, "Rated Amber/red, but the forecast gives an 85% probability of "
                        "meeting the target"),
    ("red", 0.7001, "Rated Red, but the forecast gives a 70.1% probability of meeting "
                    "the target"),
    ("red", 1.0, "Rated Red, but the forecast gives a 100% probability of meeting the target"),
])
def test_rating_against_forecast_flags(likelihood, p, message):
    flags = disagreement(likelihood, probability=p, status=None)
    assert [f["message"] for f in flags] == [message]


@pytest.mark.parametrize("likelihood, p", [
    ("green", 0.30), ("amber_green", 0.30), ("green", 0.95),  # at the boundary: no flag
    ("red", 0.70), ("amber_red", 0.70), ("red", 0.05),
    ("amber_red", 0.10), ("amber_green", 0.9),
    ("amber_red", 0.29),  # rated amber/red and the forecast is low: they agree
])
def test_agreement_gives_no_flag(likelihood, p):
    assert disagreement(likelihood, probability=p, status=None) == []


def test_flag_codes_and_status_checks():
    assert disagreement("green", probability=0.1, status="off_track") == [
        {"flag": "rated_above_forecast",
         "message": "Rated Green, but the forecast gives a 10% probability of meeting the "
                    "target"},
        {"flag": "green_but_off_track",
         "message": "Rated Green, but the latest figure is off track against the trajectory"},
    ]
    assert disagreement("red", probability=None, status="ahead") == [
        {"flag": "red_but_on_track",
         "message": "Rated Red, but the latest figure is ahead of the trajectory"}]
    assert [f["flag"] for f in disagreement("red", probability=None, status="on_track")] == [
        "red_but_on_track"]
    # Only the ends of the scale are checked against the status.
    assert disagreement("amber_green", probability=None, status="off_track") == []
    assert disagreement("amber_red", probability=None, status="on_track") == []
    assert disagreement("green", probability=None, status="on_track") == []


def test_a_rating_that_contradicts_the_verdict_at_the_deadline_is_flagged():
    assert disagreement("amber_green", probability=None, status="missed") == [
        {"flag": "rated_above_missed",
         "message": "Rated Amber/green, but the target was missed at its deadline"}]
    assert [f["flag"] for f in disagreement("red", probability=None, status="met")] == [
        "rated_below_met"]
    # Agreement, and a met target is never "on track" for the red_but_on_track flag.
    assert disagreement("green", probability=None, status="met") == []
    assert disagreement("red", probability=None, status="missed") == []


def test_concern_icon_in_either_spelling():
    expected = [{"flag": "green_but_concern",
                 "message": "Rated Green, but the latest figure shows special-cause variation "
                            "of concern"}]
    assert disagreement("green", probability=None, status=None,
                        variation_icon="concern") == expected
    assert disagreement("green", probability=None, status=None,
                        variation_icon="concern_low") == expected
    assert disagreement("green", probability=None, status=None,
                        variation_icon="improvement_high") == []
    assert disagreement("amber_green", probability=None, status=None,
                        variation_icon="concern") == []


def test_no_statistic_no_flag():
    assert disagreement("green", probability=None, status=None) == []
    assert disagreement("green", probability=math.nan, status="no_data") == []
    assert disagreement("red", probability=None, status="no_trajectory") == []


def test_bad_input_is_refused_with_every_problem():
    with pytest.raises(DeliveryError) as err:
        disagreement("amber", probability=1.2, status="offtrack", variation_icon="alarm")
    assert err.value.problems == [
        "likelihood: 'amber' is not one of green, amber_green, amber_red, red "
        "(did you mean 'amber_red'?)",
        "probability: 1.2 is not between 0 and 1",
        "status: 'offtrack' is not one of on_track, ahead, off_track, no_data, no_trajectory, "
        "outside_trajectory, met, missed (did you mean 'off_track'?)",
        "variation_icon: 'alarm' is not one of improvement, concern, common_cause, neutral, "
        "too_few_points (optionally with _high or _low)",
    ]
    with pytest.raises(StocktakeError, match="probability: expected a number"):
        disagreement("green", probability="0.2", status=None)  # type: ignore[arg-type]
