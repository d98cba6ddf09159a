"""Delivery plans: parsing, the checklist, the implied trajectory and version diffs, each
checked against values written out by hand (arithmetic in the comments)."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime, timedelta

import pytest
import yaml

from stocktake.delivery.errors import DeliveryError
from stocktake.delivery.plans import (
    CHECK_ADDS_UP,
    CHECK_ASSUMPTIONS,
    CHECK_BOTTOM_UP,
    CHECK_HIGH_RISKS,
    CHECK_INTERVENTION_EFFECTS,
    CHECK_INTERVENTION_MILESTONES,
    CHECK_INTERVENTION_OWNERS,
    CHECK_MILESTONE_OWNERS,
    CHECK_NONE_OVERDUE,
    CHECK_RISKS_NAMED,
    CHECK_RISKS_OWNED,
    CHECKS,
    MILESTONE_STATUSES,
    Milestone,
    Plan,
    PlanIntervention,
    Risk,
    diff_lines,
    due_milestones,
    implied_trajectory,
    overdue_milestones,
    parse_plan,
    plan_checklist,
    plan_diff,
)
from stocktake.errors import Invalid
from stocktake.model.entities import (
    Aggregation,
    DeliveryModel,
    Indicator,
    PeriodValue,
    Polarity,
    Priority,
    Unit,
)
from stocktake.model.periods import Period, period_range


@pytest.fixture
def model() -> DeliveryModel:
    """Canada with two provinces, and the US outside the priorities' scope."""
    units = {
        "CA": Unit("CA", "Canada", "country"),
        "ON": Unit("ON", "Ontario", "province", "CA"),
        "QC": Unit("QC", "Quebec", "province", "CA"),
        "US": Unit("US", "United States", "country"),
    }
    indicators = {
        "reading": Indicator("reading", "Grade-3 reading score", "points", Polarity.UP, "month",
                             Aggregation.MEAN),
        "wait": Indicator("wait", "Weeks waited for assessment", "weeks", Polarity.DOWN,
                          "month", Aggregation.MEAN),
    }
    priorities = {
        "P1": Priority("P1", "Raise grade-3 reading", "reading", "CA",
                       PeriodValue("2024-01", 60.0), PeriodValue("2026-12", 70.0),
                       attributes={"trajectory": {"method": "interventions", "interventions": [
                           {"name": "tutoring", "start": "2024-03", "effect": 10}]}}),
        # Lower is better, with a straight-line trajectory (not built bottom-up).
        "P2": Priority("P2", "Cut waits", "wait", "CA",
                       PeriodValue("2024-01", 10.0), PeriodValue("2024-12", 8.0),
                       attributes={"trajectory": {"method": "linear"}}),
    }
    return DeliveryModel(units=units, indicators=indicators, priorities=priorities)


FULL = """
summary: How we will raise grade-3 reading
drift: 0.05
interventions:
  - code: tutoring
    name: National tutoring programme
    owner: Ministry of Education
    start: 2024-03
    ramp: 4
    effect: 4
    units: ['ON', QC]
  - code: phonics
    name: Systematic phonics in every school
    owner: Curriculum agency
    start: 2025-01
    effect: 3.5
  - code: libraries
    name: School libraries open in summer
    owner: Municipal libraries
    start: 2024-06
    ramp: 2
    effect: 0.75
milestones:
  - code: tutors_hired
    name: 2,000 tutors recruited
    owner: Provincial ministries
    due: 2024-06-30
    status: done
    intervention: tutoring
    completed_on: 2024-06-20
  - code: phonics_training
    name: Every grade 1-3 teacher trained in phonics
    owner: Curriculum agency
    due: 2024-12-15
    status: on_track
    intervention: phonics
  - code: libraries_open
    name: Summer opening agreed
    owner: Municipal libraries
    due: 2025-05-31
    intervention: libraries
risks:
  - code: tutor_supply
    description: Not enough qualified tutors in rural regions
    likelihood: 3
    impact: 5
    owner: Provincial ministries
    mitigation: Recruit retired teachers
  - code: strike
    description: Teacher strike delays training
    likelihood: 2
    impact: 3
    owner: Ministry of Education
    mitigation: Train in the summer break
assumptions:
  - Schools release pupils for 3 hours a week
  - text: Tutoring raises reading scores by 4 points within six months
    evidence: EEF toolkit, small-group tuition
"""


def full() -> dict:
    return yaml.safe_load(FULL)


def problems_of(raw: object, model: DeliveryModel, priority: str = "P1") -> list[str]:
    with pytest.raises(DeliveryError) as info:
        parse_plan(raw, model, priority)
    assert isinstance(info.value, Invalid)
    return info.value.problems


def paths(problems: list[str]) -> list[str]:
    return sorted(p.split(": ", 1)[0] for p in problems)


# -- reading a document ---------------------------------------------------------------------


def test_full_document_parses_into_typed_objects(model):
    plan = parse_plan(full(), model, "P1")
    assert plan.summary == "How we will raise grade-3 reading"
    assert plan.drift == 0.05
    assert plan.interventions[0] == PlanIntervention(
        "tutoring", "National tutoring programme", "Ministry of Education", "2024-03", 4, 4.0,
        ("ON", "QC"))
    # Defaults: ramp 0 and no units.
    assert plan.interventions[1] == PlanIntervention(
        "phonics", "Systematic phonics in every school", "Curriculum agency", "2025-01", 0, 3.5,
        ())
    assert plan.milestones[0] == Milestone(
        "tutors_hired", "2,000 tutors recruited", "Provincial ministries", date(2024, 6, 30),
        "done", "tutoring", date(2024, 6, 20))
    assert plan.milestones[2].status == "not_started"  # the default
    assert [r.score for r in plan.risks] == [15, 6]  # 3 x 5 and 2 x 3
    assert plan.assumptions == (
        {"text": "Schools release pupils for 3 hours a week", "evidence": None},
        {"text": "Tutoring raises reading scores by 4 points within six months",
         "evidence": "EEF toolkit, small-group tuition"},
    )
    assert MILESTONE_STATUSES == ("not_started", "on_track", "at_risk", "late", "done",
                                  "dropped")


def test_stored_form_is_json_safe_and_round_trips_exactly(model):
    plan = parse_plan(full(), model, "P1")
    stored = plan.to_dict()
    assert stored["milestones"][0]["due"] == "2024-06-30"
    assert stored["milestones"][0]["completed_on"] == "2024-06-20"
    assert stored["interventions"][0]["units"] == ["ON", "QC"]
    through_json = json.loads(json.dumps(stored))
    assert through_json == stored
    again = parse_plan(through_json, model, "P1")
    assert again == plan
    assert again.to_dict() == stored


def test_dates_and_periods_as_yaml_or_strings_read_the_same(model):
    raw = full()
    raw["milestones"][0]["due"] = "2024-06-30"  # JSON gives strings, YAML gives dates
    raw["interventions"][0]["start"] = "2024-03"
    assert parse_plan(raw, model, "P1") == parse_plan(full(), model, "P1")


def test_a_minimal_plan_is_enough_and_its_gaps_are_not_errors(model):
    plan = parse_plan({"interventions": [{"code": "a", "name": "A", "start": "2024-02"}]},
                      model, "P1")
    assert plan == Plan(interventions=(PlanIntervention("a", "A", None, "2024-02"),))


def test_text_is_trimmed_and_blank_optional_text_is_a_gap(model):
    doc = {"interventions": [{"code": "a", "name": "  Tutoring ", "owner": "  ",
                              "start": "2024-02"}]}
    [intervention] = parse_plan(doc, model, "P1").interventions
    assert (intervention.name, intervention.owner) == ("Tutoring", None)
    doc["interventions"][0]["units"] = ["ON", "ON"]
    assert problems_of(doc, model) == ["interventions[0].units[1]: 'ON' is listed twice"]


ERRORS = """
sumary: typo
drift: fast
interventions:
  - code: tutoring
    name: Tutoring
    start: 2024-Q3
    ramp: -1
    efect: 2
  - code: phonics
    start: 2023-06
    effect: lots
    units: [ON, XX, US]
  - code: phonics
    name: Phonics again
    start: 2024-05
    owner: 7
  - code: Bad Code
    name: X
  - just a string
milestones:
  - code: m1
    name: First
    due: '2025-02-30'
    status: on-track
    intervention: tutorng
  - code: m2
    name: Second
    due: 31/03/2025
    status: late
    completed_on: 2025-03-01
  - code: m1
    name: Third
    due: 2025-01-01
    intervention: phonics
  - code: m3
    due: 2025-01-01 10:00:00
risks:
  - code: r1
    description: Something
    likelihood: 6
  - code: r2
    likelihood: 2.5
    impact: true
assumptions:
  - 42
  - evidence: a study
  - text: fine
    source: a study
  - '  '
"""


def test_every_error_is_reported_together_with_its_path(model):
    problems = problems_of(yaml.safe_load(ERRORS), model)
    assert paths(problems) == sorted([
        "sumary", "drift",
        "interventions[0].start", "interventions[0].ramp", "interventions[0].efect",
        "interventions[1].name", "interventions[1].start", "interventions[1].effect",
        "interventions[1].units[0]", "interventions[1].units[1]", "interventions[1].units[2]",
        "interventions[2].owner", "interventions[2].code",
        "interventions[3].code", "interventions[3].start",
        "interventions[4]",
        "milestones[0].due", "milestones[0].status", "milestones[0].intervention",
        "milestones[1].due", "milestones[1].completed_on",
        "milestones[2].code",
        "milestones[3].name", "milestones[3].due",
        "risks[0].likelihood", "risks[0].impact",
        "risks[1].description", "risks[1].likelihood", "risks[1].impact",
        "assumptions[0]", "assumptions[1].text", "assumptions[2].source", "assumptions[3]",
    ])
    text = "\n".join(problems)
    for expected in (
        "sumary: unknown key (did you mean 'summary'?)",
        "interventions[0].efect: unknown key (did you mean 'effect'?)",
        "interventions[0].start: '2024-Q3' is a quarter but a month is expected",
        "interventions[1].start: 2023-06 is outside the priority's baseline 2024-01",
        "interventions[1].units[0]: got True, not a unit code",  # YAML read ON as true
        "interventions[1].units[1]: 'XX' is not a unit in the model",
        "interventions[1].units[2]: unit 'US' is outside the priority's scope 'CA'",
        "interventions[2].code: 'phonics' is already used by interventions[1]",
        "milestones[0].due: '2025-02-30' is not a calendar date",
        "milestones[0].status: 'on-track' is not one of",
        "did you mean 'on_track'?",
        "milestones[0].intervention: 'tutorng' is not an intervention in this plan "
        "(did you mean 'tutoring'?)",
        "milestones[1].due: must be an ISO date such as 2025-03-31, got '31/03/2025'",
        "milestones[1].completed_on: only a milestone with status done",
        "milestones[2].code: 'm1' is already used by milestones[0]",
        "milestones[3].due: must be a date without a time",
        "risks[0].likelihood: must be a whole number from 1 to 5, got 6",
        "risks[0].impact: required",
        "assumptions[2].source: unknown key",
    ):
        assert expected in text, expected
    # The message lists every problem, not only the first.
    with pytest.raises(DeliveryError, match="33 problems"):
        parse_plan(yaml.safe_load(ERRORS), model, "P1")


def test_empty_or_wrongly_shaped_documents_say_what_a_plan_needs(model):
    for raw in (None, {}):
        [problem] = problems_of(raw, model)
        assert problem.startswith("plan: empty;")
        assert "at least one intervention {code, name, start}" in problem
    [problem] = problems_of(["tutoring"], model)
    assert problem.startswith("plan: must be a mapping, got list")
    assert paths(problems_of({"summary": "words only"}, model)) == ["interventions"]
    assert paths(problems_of({"interventions": []}, model)) == ["interventions"]
    assert paths(problems_of({"interventions": "tutoring"}, model)) == ["interventions"]


def test_an_unknown_priority_or_reserved_code_is_an_error(model):
    [problem] = problems_of(full(), model, "p1")
    assert problem == "priority: 'p1' is not a priority in the model (did you mean 'P1'?)"
    raw = {"interventions": [{"code": "counterfactual", "name": "X", "start": "2024-02"}]}
    assert paths(problems_of(raw, model)) == ["interventions[0].code"]


# -- the implied trajectory -------------------------------------------------------------------


def test_implied_trajectory_by_hand(model):
    raw = full()
    del raw["interventions"][2]["effect"]  # libraries: no effect, so it does not count
    plan = parse_plan(raw, model, "P1")
    trajectory = implied_trajectory(plan, model.priorities["P1"])
    assert trajectory is not None
    # k = months since 2024-01. Tutoring starts 2024-03 (k=2), ramp 4: 0, 1, 2, 3, 4 at
    # k = 2..6 and 4 after. Phonics adds 3.5 from 2025-01 (k=12). Drift 0.05 a month.
    tutoring = {2: 0.0, 3: 1.0, 4: 2.0, 5: 3.0}
    months = period_range(Period.parse("2024-01"), Period.parse("2026-12"))
    expected = {}
    for k, month in enumerate(months):
        value = 60 + 0.05 * k
        value += tutoring.get(k, 4.0 if k >= 6 else 0.0)
        value += 3.5 if k >= 12 else 0.0
        expected[month.code] = value
    assert trajectory.as_series() == pytest.approx(expected)
    assert trajectory.expected_at("2024-05") == pytest.approx(62.2)  # 60 + 0.2 + 2
    assert trajectory.expected_at("2025-01") == pytest.approx(68.1)  # 60 + 0.6 + 4 + 3.5
    # At 2026-12 (k = 35): 60 + 1.75 + 4 + 3.5 = 69.25, short of 70 by 0.75.
    assert trajectory.end_value == pytest.approx(69.25)
    assert trajectory.shortfall == pytest.approx(0.75)
    assert set(trajectory.components) == {"counterfactual", "tutoring", "phonics"}
    [item] = [c for c in plan_checklist(plan, model.priorities["P1"], today=date(2024, 9, 1))
              if c["check"] == CHECK_ADDS_UP]
    assert item["ok"] is False
    assert item["detail"] == (
        "the interventions take the headline from 60 (2024-01) to 69.25 by 2026-12, against a "
        "target of 70: 0.75 short, in headline units")


def test_the_shortfall_respects_a_downward_target(model):
    p2 = model.priorities["P2"]  # 10 at 2024-01 down to 8 at 2024-12
    doc = {"interventions": [{"code": "triage", "name": "Triage", "start": "2024-02",
                              "effect": -1.5}]}
    trajectory = implied_trajectory(parse_plan(doc, model, "P2"), p2)
    assert trajectory is not None
    assert trajectory.end_value == pytest.approx(8.5)  # 10 - 1.5: 0.5 above a target of 8
    assert trajectory.shortfall == pytest.approx(0.5)
    doc["interventions"][0]["effect"] = -3  # 10 - 3 = 7: past the target, nothing short
    plan = parse_plan(doc, model, "P2")
    assert implied_trajectory(plan, p2).shortfall == 0.0
    [item] = [c for c in plan_checklist(plan, p2, today=date(2024, 3, 1))
              if c["check"] == CHECK_ADDS_UP]
    assert item["ok"] is True
    assert item["detail"].endswith("against a target of 8: they pass it by 1")
    # Moving the wrong way (up when the target is down) falls further short: 8 - 12 ... 4.
    doc["interventions"][0]["effect"] = 2
    assert implied_trajectory(parse_plan(doc, model, "P2"), p2).shortfall == pytest.approx(4)


def test_no_effects_means_no_implied_trajectory(model):
    plan = parse_plan({"interventions": [{"code": "a", "name": "A", "start": "2024-02"}]},
                      model, "P1")
    assert implied_trajectory(plan, model.priorities["P1"]) is None


def test_the_priority_seasonal_profile_is_laid_over_the_implied_path(model):
    # Additive profile: +1 in January, -1 in December, 0 otherwise (averages 0).
    p1 = model.priorities["P1"]
    p1.attributes["trajectory"] = {"method": "interventions", "seasonal_mode": "additive",
                                   "seasonal": [1.0] + [0.0] * 10 + [-1.0],
                                   "interventions": [{"name": "a", "start": "2024-02",
                                                      "effect": 12}]}
    plan = parse_plan({"interventions": [{"code": "a", "name": "A", "start": "2024-02",
                                          "effect": 12}]}, model, "P1")
    trajectory = implied_trajectory(plan, p1)
    # Adjusted baseline 60 - 1 = 59; December: 59 + 12 - 1 = 70, exactly the target
    # (without the profile it would end at 72); January 2025: 59 + 12 + 1 = 72.
    assert trajectory.end_value == pytest.approx(70)
    assert trajectory.expected_at("2025-01") == pytest.approx(72)
    assert trajectory.expected_at("2024-01") == pytest.approx(60)


def test_a_plan_read_against_another_priority_names_its_own_intervention(model):
    raw = full()
    del raw["interventions"][0]["effect"]
    plan = parse_plan(raw, model, "P1")
    # P2 ends 2024-12; phonics (plan index 1, the first with an effect) starts 2025-01.
    with pytest.raises(DeliveryError) as info:
        implied_trajectory(plan, model.priorities["P2"])
    assert paths(info.value.problems) == ["interventions[1].start"]


# -- the checklist ----------------------------------------------------------------------------


def test_a_complete_plan_passes_every_check(model):
    plan = parse_plan(full(), model, "P1")
    checklist = plan_checklist(plan, model.priorities["P1"], today=date(2024, 9, 1))
    assert [c["check"] for c in checklist] == list(CHECKS)
    assert [c for c in checklist if not c["ok"] or c["items"]] == []
    for item in checklist:
        assert set(item) == {"check", "ok", "detail", "items"}
    [adds_up] = [c for c in checklist if c["check"] == CHECK_ADDS_UP]
    # 60 + 0.05 x 35 + 4 + 3.5 + 0.75 = 70.
    assert adds_up["detail"].endswith("to 70 by 2026-12, against a target of 70: they reach it")


GAPS = """
interventions:
  - {code: tutoring, name: Tutoring, start: 2024-03, effect: 2, owner: Ministry}
  - {code: phonics, name: Phonics, start: 2024-06, effect: 1}
  - {code: libraries, name: Libraries, start: 2024-06, owner: Libraries}
milestones:
  - {code: hired, name: Tutors hired, due: 2024-05-01, intervention: tutoring, owner: Ministry}
  - {code: trained, name: Teachers trained, due: 2024-04-01, intervention: phonics,
     status: dropped, owner: Agency}
  - {code: opened, name: Libraries open, due: 2024-08-31, status: done}
risks:
  - {code: supply, description: Too few tutors, likelihood: 3, impact: 5, owner: Ministry}
  - {code: strike, description: Strike, likelihood: 2, impact: 2, mitigation: Talk early}
  - {code: budget, description: Budget cut, likelihood: 5, impact: 5, owner: Treasury,
     mitigation: Ring-fence}
  - {code: weather, description: Floods close schools, likelihood: 3, impact: 4,
     owner: Provinces}
"""


def test_a_plan_with_gaps_fails_exactly_the_checks_it_should(model):
    plan = parse_plan(yaml.safe_load(GAPS), model, "P1")
    checklist = plan_checklist(plan, model.priorities["P1"], today=date(2024, 9, 1))
    failing = {c["check"]: c["items"] for c in checklist if not c["ok"]}
    assert failing == {
        CHECK_INTERVENTION_OWNERS: ["phonics"],
        # trained is dropped, opened names no intervention: only tutoring is followed.
        CHECK_INTERVENTION_MILESTONES: ["phonics", "libraries"],
        CHECK_INTERVENTION_EFFECTS: ["libraries"],
        CHECK_ADDS_UP: [],  # 60 + 2 + 1 = 63 against 70: 7 short
        CHECK_MILESTONE_OWNERS: ["opened"],
        CHECK_NONE_OVERDUE: ["hired"],  # due 2024-05-01, not_started; opened is done
        CHECK_RISKS_OWNED: ["supply", "strike", "weather"],
        # supply 3 x 5 = 15 is high; budget (25) is mitigated; weather (12) is not high.
        CHECK_HIGH_RISKS: ["supply"],
        CHECK_ASSUMPTIONS: [],
    }
    by_check = {c["check"]: c for c in checklist}
    assert by_check[CHECK_BOTTOM_UP]["ok"] and by_check[CHECK_RISKS_NAMED]["ok"]
    assert by_check[CHECK_ADDS_UP]["detail"].endswith("against a target of 70: 7 short, "
                                                      "in headline units")
    assert by_check[CHECK_RISKS_OWNED]["detail"] == (
        "3 of 4 risks lack an owner or a mitigation: supply (no mitigation), strike (no owner), "
        "weather (no mitigation)")


def test_a_trajectory_not_built_bottom_up_and_a_plan_without_risks_are_flagged(model):
    doc = {"interventions": [{"code": "triage", "name": "Triage", "start": "2024-02",
                              "effect": -2, "owner": "Health"}]}
    checklist = plan_checklist(parse_plan(doc, model, "P2"), model.priorities["P2"],
                               today=date(2024, 3, 1))
    by_check = {c["check"]: c for c in checklist}
    assert not by_check[CHECK_BOTTOM_UP]["ok"]
    assert "uses method linear, not built bottom-up" in by_check[CHECK_BOTTOM_UP]["detail"]
    assert not by_check[CHECK_RISKS_NAMED]["ok"]
    assert by_check[CHECK_ADDS_UP]["ok"]  # 10 - 2 = 8, the target
    del model.priorities["P2"].attributes["trajectory"]
    [item] = [c for c in plan_checklist(parse_plan(doc, model, "P2"), model.priorities["P2"],
                                        today=date(2024, 3, 1)) if c["check"] == CHECK_BOTTOM_UP]
    assert not item["ok"] and "no trajectory method" in item["detail"]


# -- milestones by date -----------------------------------------------------------------------


def milestone(code: str, due: date, status: str = "not_started") -> Milestone:
    return Milestone(code, code.upper(), "Owner", due, status)


def test_overdue_and_due_milestones_at_a_date():
    today = date(2024, 12, 20)
    plan = Plan(milestones=(
        milestone("a", date(2024, 12, 19)),  # yesterday: overdue
        milestone("b", today, "on_track"),  # due today: due, not overdue
        milestone("c", date(2025, 3, 20)),  # today + 90 days (11 + 31 + 28 + 20): due
        milestone("d", date(2025, 3, 21)),  # today + 91: neither
        milestone("e", date(2024, 11, 1), "done"),  # done: neither
        milestone("f", date(2024, 11, 2), "dropped"),  # dropped: neither
        milestone("g", date(2024, 10, 1), "late"),  # overdue, and earlier than a
        milestone("h", date(2025, 1, 10), "at_risk"),  # due
        milestone("i", date(2025, 1, 5), "done"),  # done before it was due: not due
    ))
    assert date(2025, 3, 20) - today == timedelta(days=90)
    assert [m.code for m in overdue_milestones(plan, today)] == ["g", "a"]
    assert [m.code for m in due_milestones(plan, today)] == ["b", "h", "c"]
    assert [m.code for m in due_milestones(plan, today, within_days=0)] == ["b"]
    assert [m.code for m in due_milestones(plan, today, within_days=91)] == ["b", "h", "c", "d"]


def test_a_milestone_past_its_due_date_and_not_done_reads_overdue_whatever_it_says():
    from stocktake.delivery.plans import milestone_status

    today = date(2024, 12, 20)
    # Marked on track, due yesterday: overdue. Due today: still what the plan says.
    assert milestone_status(milestone("a", date(2024, 12, 19), "on_track"), today) == "overdue"
    assert milestone_status(milestone("b", today, "on_track"), today) == "on_track"
    assert milestone_status(milestone("c", date(2024, 1, 1), "at_risk"), today) == "overdue"
    assert milestone_status(milestone("d", date(2024, 1, 1), "not_started"), today) == "overdue"
    # Closed milestones are never overdue.
    assert milestone_status(milestone("e", date(2024, 1, 1), "done"), today) == "done"
    assert milestone_status(milestone("f", date(2024, 1, 1), "dropped"), today) == "dropped"


def test_bad_dates_for_milestone_queries_are_clear_errors():
    with pytest.raises(ValueError, match="today: must be a date"):
        overdue_milestones(Plan(), datetime(2024, 1, 1, 9))
    with pytest.raises(ValueError, match="within_days: must be a whole number"):
        due_milestones(Plan(), date(2024, 1, 1), within_days=-1)


# -- comparing versions -----------------------------------------------------------------------


def test_plan_diff_and_its_lines_by_hand(model):
    old = parse_plan(full(), model, "P1")
    raw = copy.deepcopy(full())
    raw["summary"] = "Raise grade-3 reading by 10 points"
    tutoring = raw["interventions"][0]
    tutoring.update(owner="Provincial ministries", effect=5, units=["ON"])
    del raw["interventions"][2]  # libraries
    raw["interventions"].append({"code": "reading_coaches",
                                 "name": "Reading coaches in low-scoring schools",
                                 "start": "2025-09", "effect": 1})
    del raw["milestones"][2]  # libraries_open
    raw["milestones"][1].update(status="done", completed_on="2024-12-10")
    raw["risks"][1]["likelihood"] = 3
    raw["risks"].append({"code": "funding", "description": "Budget cut in 2025",
                         "likelihood": 2, "impact": 4})
    del raw["assumptions"][0]
    raw["assumptions"][0]["evidence"] = "EEF toolkit and the 2023 national pilot"
    raw["assumptions"].append("Provinces keep class sizes below 25")
    new = parse_plan(raw, model, "P1")

    evidence_text = "Tutoring raises reading scores by 4 points within six months"
    assert plan_diff(old, new) == {
        "summary": {"old": "How we will raise grade-3 reading",
                    "new": "Raise grade-3 reading by 10 points"},
        "drift": None,
        "interventions": {
            "added": ["reading_coaches"],
            "removed": ["libraries"],
            "changed": [{"code": "tutoring", "fields": {
                "owner": {"old": "Ministry of Education", "new": "Provincial ministries"},
                "effect": {"old": 4.0, "new": 5.0},
                "units": {"old": ["ON", "QC"], "new": ["ON"]},
            }}],
            "names": {"reading_coaches": "Reading coaches in low-scoring schools",
                      "libraries": "School libraries open in summer",
                      "tutoring": "National tutoring programme"},
        },
        "milestones": {
            "added": [],
            "removed": ["libraries_open"],
            "changed": [{"code": "phonics_training", "fields": {
                "status": {"old": "on_track", "new": "done"},
                "completed_on": {"old": None, "new": "2024-12-10"},
            }}],
            "names": {"libraries_open": "Summer opening agreed",
                      "phonics_training": "Every grade 1-3 teacher trained in phonics"},
        },
        "risks": {
            "added": ["funding"],
            "removed": [],
            "changed": [{"code": "strike", "fields": {"likelihood": {"old": 2, "new": 3}}}],
            "names": {"funding": "Budget cut in 2025",
                      "strike": "Teacher strike delays training"},
        },
        "assumptions": {
            "added": ["Provinces keep class sizes below 25"],
            "removed": ["Schools release pupils for 3 hours a week"],
            "changed": [{"text": evidence_text, "fields": {"evidence": {
                "old": "EEF toolkit, small-group tuition",
                "new": "EEF toolkit and the 2023 national pilot"}}}],
        },
    }
    assert diff_lines(plan_diff(old, new)) == [
        "~ summary: How we will raise grade-3 reading -> Raise grade-3 reading by 10 points",
        "+ intervention reading_coaches: Reading coaches in low-scoring schools",
        "- intervention libraries: School libraries open in summer",
        "~ intervention tutoring: owner Ministry of Education -> Provincial ministries",
        "~ intervention tutoring: effect 4 -> 5",
        "~ intervention tutoring: units [ON, QC] -> [ON]",
        "- milestone libraries_open: Summer opening agreed",
        "~ milestone phonics_training: status on_track -> done",
        "~ milestone phonics_training: completed_on (none) -> 2024-12-10",
        "+ risk funding: Budget cut in 2025",
        "~ risk strike: likelihood 2 -> 3",
        "+ assumption: Provinces keep class sizes below 25",
        "- assumption: Schools release pupils for 3 hours a week",
        f"~ assumption '{evidence_text}': evidence EEF toolkit, small-group tuition -> "
        "EEF toolkit and the 2023 national pilot",
    ]


def test_identical_or_reordered_plans_have_no_differences(model):
    plan = parse_plan(full(), model, "P1")
    raw = full()
    raw["interventions"].reverse()  # order alone is not a change
    raw["assumptions"].reverse()
    diff = plan_diff(plan, parse_plan(raw, model, "P1"))
    assert diff["summary"] is None and diff["drift"] is None
    for section in ("interventions", "milestones", "risks"):
        assert diff[section] == {"added": [], "removed": [], "changed": [], "names": {}}
    assert diff["assumptions"] == {"added": [], "removed": [], "changed": []}
    assert diff_lines(diff) == []
    changed = parse_plan({**full(), "drift": 0.1}, model, "P1")
    assert diff_lines(plan_diff(plan, changed)) == ["~ drift: 0.05 -> 0.1"]


def test_diff_refuses_what_is_not_a_plan():
    with pytest.raises(ValueError, match="new: must be a Plan, got dict"):
        plan_diff(Plan(), {})  # type: ignore[arg-type]


def test_risk_score_is_likelihood_times_impact():
    assert Risk("r", "R", 4, 5).score == 20
