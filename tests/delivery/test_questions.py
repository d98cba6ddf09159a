"""Questions for the leader: wording with the unit, the number and the period; thresholds at
their boundaries; most severe first; at most eight; unreadable context refused."""

import pytest

from stocktake.delivery.assessments import disagreement
from stocktake.delivery.errors import DeliveryError
from stocktake.delivery.questions import MAX_QUESTIONS, questions_from_data
from stocktake.errors import StocktakeError


def _only(context: dict) -> dict:
    qs = questions_from_data(context)
    assert len(qs) == 1, qs
    return qs[0]


def test_nothing_to_ask():
    assert questions_from_data({}) == []
    assert questions_from_data({"headline": None, "units": None, "priority_title": None}) == []
    assert questions_from_data({"headline": {"status": "on_track"}}) == []


def test_a_unit_below_trajectory_names_the_unit_the_run_and_the_period_word():
    q = _only({"polarity": "up", "period_word": "months", "units": [
        {"unit_name": "Manitoba", "status": "off_track", "off_track_run": 5, "gap_pct": -8.2}]})
    assert q == {
        "topic": "units", "severity": 2,
        "question": "Manitoba has been below trajectory for 5 months, 8.2% below it at the "
                    "latest: what will change?",
        "evidence": "Manitoba: off track for the last 5 months; gap -8.2%"}


def test_polarity_decides_below_or_above_and_the_default_period_word():
    q = _only({"polarity": "down", "units": [{"unit_name": "Yukon", "off_track_run": 6}]})
    assert q["question"] == "Yukon has been above trajectory for 6 periods: what will change?"
    assert q["severity"] == 3  # six in a row
    q = _only({"units": [{"unit_name": "Yukon", "off_track_run": 4}]})
    assert q["question"] == "Yukon has been off trajectory for 4 periods: what will change?"


def test_a_run_of_two_is_not_asked_about_and_three_is():
    units = [{"unit_name": "Nunavut", "off_track_run": 2},
             {"unit_name": "Quebec", "off_track_run": 3}]
    qs = questions_from_data({"polarity": "up", "units": units, "period_word": "quarters"})
    assert [q["question"] for q in qs] == [
        "Quebec has been below trajectory for 3 quarters: what will change?"]


def test_beyond_three_units_the_rest_are_asked_about_together():
    units = [{"unit_name": n, "off_track_run": k, "gap_pct": g} for n, k, g in [
        ("Alberta", 3, -1.0), ("Ontario", 8, -2.0), ("Quebec", 3, -5.0), ("Yukon", 4, None),
        ("Manitoba", 3, -3.0), ("Nunavut", 1, -9.0)]]
    qs = questions_from_data({"polarity": "up", "units": units, "period_word": "months"})
    assert [(q["severity"], q["question"]) for q in qs] == [
        (3, "Ontario has been below trajectory for 8 months, 2% below it at the latest: what "
            "will change?"),
        (2, "Yukon has been below trajectory for 4 months: what will change?"),
        # equal runs: the larger gap first
        (2, "Quebec has been below trajectory for 3 months, 5% below it at the latest: what "
            "will change?"),
        (2, "2 more units (Manitoba and Alberta) have also been below trajectory for 3 months "
            "or more: is there a common cause?"),
    ]


def test_the_headline_off_track_gives_the_numbers_and_the_period():
    q = questions_from_data({
        "priority_title": "grade-3 reading", "unit_of_measure": "%", "polarity": "up",
        "headline": {"status": "off_track", "gap": -4.2, "gap_pct": -6.34, "expected": 66.2,
                     "latest": {"period": "2026-05", "value": 62.0}}})[0]
    assert q["topic"] == "trajectory" and q["severity"] == 3
    assert q["question"] == ("In 2026-05 grade-3 reading was 62%, 4.2 percentage points (6.3%) "
                             "below its trajectory of 66.2%: what will you change to get back "
                             "on track?")
    assert q["evidence"] == ("status off_track; latest 62% in 2026-05; expected 66.2%; gap -4.2; "
                             "gap -6.3%")
    q = _only({"unit_of_measure": "crimes per 1,000", "headline": {
        "status": "off_track", "gap": 3.0, "expected": 40.0,
        "latest": {"period": "2026-Q1", "value": 43.0}}})
    assert q["question"] == ("In 2026-Q1 the headline was 43 crimes per 1,000, 3 crimes per "
                             "1,000 above its trajectory of 40 crimes per 1,000: what will you "
                             "change to get back on track?")


@pytest.mark.parametrize("p, severity, question", [
    (0.22, 3, "The forecast gives reading a 22% probability of meeting its target: what would "
              "it take to change that?"),
    (0.2996, 3, "The forecast gives reading a 29.9% probability of meeting its target: what "
                "would it take to change that?"),
    (0.30, 2, "The forecast gives reading only a 30% probability of meeting its target: what "
              "would make it more likely than not?"),
    (0.4999, 2, "The forecast gives reading only a 49.9% probability of meeting its target: "
                "what would make it more likely than not?"),
])
def test_forecast_questions_at_the_thresholds(p, severity, question):
    q = _only({"priority_title": "reading", "headline": {"probability_of_meeting": p}})
    assert (q["topic"], q["severity"], q["question"]) == ("forecast", severity, question)


def test_no_forecast_question_at_even_odds_or_better():
    assert questions_from_data({"headline": {"probability_of_meeting": 0.5}}) == []


def test_counters_leads_and_gaming_while_the_headline_is_on_track():
    qs = questions_from_data({
        "priority_title": "A&E waits", "period_word": "weeks",
        "headline": {"status": "on_track"},
        "counters": [{"name": "Trolley waits", "direction": "worse", "change": 3.1},
                     {"name": "Readmissions", "direction": "better", "change": -1.0}],
        "leads": [{"name": "Bed occupancy", "direction": "worse", "change": -2},
                  {"name": "Discharges", "direction": "flat", "change": 0}]})
    assert [(q["topic"], q["severity"], q["question"]) for q in qs] == [
        ("gaming", 3, "Trolley waits, a counter indicator, has got worse (+3.1) while A&E waits "
                      "is on track: is the target being gamed, or is there an unintended "
                      "effect?"),
        ("leads", 2, "Bed occupancy, a lead indicator, is moving the wrong way (-2): what does "
                     "it mean for A&E waits in the weeks ahead, and what is being done about "
                     "it?"),
    ]
    q = _only({"counters": [{"name": "Trolley waits", "direction": "worse"}]})
    assert (q["severity"], q["question"]) == (2, "Trolley waits, a counter indicator, has got "
                                                 "worse: is the target being gamed, or is "
                                                 "there an unintended effect?")


def test_data_quality_below_75_only():
    assert questions_from_data({"quality": [{"unit_name": "Yukon", "score": 75}]}) == []
    q = _only({"quality": [{"unit_name": "Yukon", "score": 74.9},
                           {"unit_name": "Quebec", "score": 90}]})
    assert (q["severity"], q["question"]) == (1, "Data from Yukon scores 74.9 out of 100 for "
                                                 "quality: what will it take to fix it before "
                                                 "the next stocktake?")
    q = _only({"quality": [{"unit_name": "Yukon", "score": 62},
                           {"unit_name": "Nunavut", "score": 41}]})
    assert (q["severity"], q["question"]) == (2, "Data from 2 units scores below 75 out of 100 "
                                                 "for quality (Nunavut 41 and Yukon 62): what "
                                                 "will it take to fix them before the next "
                                                 "stocktake?")


def test_overdue_milestones_and_actions():
    q = _only({"overdue_milestones": [{"name": "2,000 tutors recruited",
                                       "owner": "Provincial ministries", "due": "2026-03-31",
                                       "days_overdue": 45}]})
    assert (q["topic"], q["severity"], q["question"]) == (
        "milestones", 2, "The milestone '2,000 tutors recruited' (Provincial ministries) is 45 "
                         "days overdue: when will it be done, and what does the delay do to the "
                         "trajectory?")
    q = _only({"overdue_actions": [{"text": "Publish allocation", "owner": "MoE",
                                    "days_overdue": 1}]})
    assert q["question"] == ("The action 'Publish allocation' (MoE) from a previous stocktake "
                             "is 1 day overdue: what is holding it up?")
    q = _only({"overdue_actions": [{"text": "A", "owner": None, "days_overdue": 12},
                                   {"text": "B", "owner": "DU", "days_overdue": 90},
                                   {"text": "C", "owner": "DU", "days_overdue": 0}]})
    assert (q["severity"], q["question"], q["evidence"]) == (
        3, "2 actions from earlier stocktakes are overdue, the longest 'B' (DU) by 90 days: "
           "what is holding them up?", "B (DU): 90 days overdue; A: 12 days overdue")


def test_a_disagreement_from_the_assessment_becomes_a_question():
    flags = disagreement("green", probability=0.22, status=None)
    q = _only({"disagreements": flags})
    assert q == {"topic": "judgement", "severity": 2,
                 "question": "Rated Green, but the forecast gives a 22% probability of meeting "
                             "the target: which is right, the judgement or the numbers, and why?",
                 "evidence": "Rated Green, but the forecast gives a 22% probability of meeting "
                             "the target"}


def test_headline_signals_and_credit():
    qs = questions_from_data({"priority_title": "reading", "unit_of_measure": "%", "headline": {
        "status": "no_data", "variation_icon": "concern_low",
        "assurance_icon": "consistently_fails",
        "latest": {"period": "2026-02", "value": 61.5}}})
    assert [(q["topic"], q["severity"], q["question"]) for q in qs] == [
        ("data", 2, "There is no recent figure for reading (the last is 61.5% in 2026-02): when "
                    "will the data come in?"),
        ("variation", 2, "The latest figure for reading (61.5% in 2026-02) is a special-cause "
                         "signal of concern, not noise: what has changed?"),
        ("assurance", 2, "On its current variation reading will consistently fail its target: "
                         "what will change in how the service works, beyond more of the same?"),
    ]
    q = _only({"priority_title": "reading", "headline": {"status": "ahead",
                                                         "latest": {"period": "2026-05",
                                                                    "value": 70}}})
    assert (q["topic"], q["severity"], q["question"]) == (
        "credit", 1, "Reading is ahead of its trajectory (70 in 2026-05): what made the "
                     "difference, who should get the credit, and can it be spread?")
    q = _only({"headline": {"status": "no_trajectory"}})
    assert q["question"] == ("The headline has no trajectory to read progress against: when "
                             "will one be agreed?")


def test_most_severe_first_at_most_eight_every_one_a_question():
    context = {
        "priority_title": "reading", "polarity": "up", "period_word": "months",
        "quality": [{"unit_name": "Yukon", "score": 70}],  # severity 1, generated last
        "overdue_actions": [{"text": "Publish", "owner": "MoE", "days_overdue": 5}],
        "units": [{"unit_name": f"Unit {i}", "off_track_run": 6 + i} for i in range(5)],
        "headline": {"status": "off_track", "probability_of_meeting": 0.1},
        "leads": [{"name": "Attendance", "direction": "worse"}],
        "counters": [{"name": "Exclusions", "direction": "worse"}],
    }
    qs = questions_from_data(context)
    assert len(qs) == MAX_QUESTIONS == 8
    severities = [q["severity"] for q in qs]
    assert severities == sorted(severities, reverse=True)
    assert severities == [3, 3, 3, 3, 3, 2, 2, 2]
    assert [q["topic"] for q in qs] == ["trajectory", "forecast", "units", "units", "units",
                                        "units", "gaming", "leads"]
    assert all(q["question"].endswith("?") for q in qs)
    assert len(questions_from_data(context, limit=20)) == 10


def test_unreadable_context_is_refused_with_every_path():
    with pytest.raises(DeliveryError) as err:
        questions_from_data({
            "priority_tilte": "x", "polarity": "upward",
            "headline": {"gap": "big", "probability_of_meeting": 1.5, "latest": 62},
            "units": [{"unit_name": "Yukon", "off_track_run": 2.5}, "Quebec"],
            "counters": [{"name": "Exclusions", "direction": "down"}],
            "quality": [{"unit_name": "Yukon", "score": 120}],
            "overdue_actions": [{"text": "Publish"}],
            "leads": {"name": "x"},
        })
    assert err.value.problems == [
        "priority_tilte: unknown field (did you mean 'priority_title'?)",
        "polarity: 'upward' is not one of up, down, neutral",
        "headline.gap: expected a number, got 'big' (text)",
        "headline.latest: expected a mapping {period, value}, got 62 (a number)",
        "headline.probability_of_meeting: 1.5 is not between 0 and 1",
        "units[0].off_track_run: expected a whole number >= 0, got 2.5 (a number)",
        "units[1]: expected a mapping, got 'Quebec' (text)",
        "counters[0].direction: 'down' is not one of worse, better, flat",
        "leads: expected a list, got {'name': 'x'} (a mapping)",
        "overdue_actions[0].days_overdue: expected a whole number >= 0, got nothing",
        "quality[0].score: 120.0 is not between 0 and 100",
    ]
    with pytest.raises(StocktakeError, match="context: expected a mapping, got"):
        questions_from_data(["headline"])  # type: ignore[arg-type]


# -- met or missed at the deadline, and numbers said right ---------------------------------

def _deadline(status, actual, target, since_value, meets_target):
    return {"status": status, "actual": actual, "actual_period": "2026-06", "target": target,
            "since": {"period": "2026-09", "value": since_value,
                      "meets_target": meets_target}}


def test_a_missed_target_asks_for_a_decision_not_for_a_return_to_track():
    qs = questions_from_data({
        "priority_title": "grade-3 reading", "unit_of_measure": "percent", "polarity": "up",
        "headline": {"status": "missed", "gap": -5.1, "gap_pct": -6.5, "expected": 78.0,
                     "latest": {"period": "2026-09", "value": 70.0},
                     "at_target_period": _deadline("missed", 72.9, 78.0, 70.0, False)}})
    assert qs[0]["topic"] == "target" and qs[0]["severity"] == 3
    # 78.0 - 72.9 = 5.1 percentage points short; "percent" is a percentage unit.
    assert qs[0]["question"] == (
        "Target missed: grade-3 reading was 72.9% in 2026-06 against a target of 78%, 5.1 "
        "percentage points short. What now: a new stage with a new target, or a new deadline "
        "for this one, and what will be done differently?")
    assert not any("back on track" in q["question"] for q in qs)


def test_a_met_target_gives_credit_and_asks_whether_the_gain_holds():
    qs = questions_from_data({
        "priority_title": "grade-3 reading", "unit_of_measure": "percent", "polarity": "up",
        "headline": {"status": "met", "latest": {"period": "2026-09", "value": 74.0},
                     "at_target_period": _deadline("met", 81.2, 78.0, 74.0, False)}})
    assert [(q["topic"], q["severity"]) for q in qs] == [("target", 2), ("credit", 1)]
    assert qs[1]["question"] == ("Grade-3 reading met its target: 81.2% in 2026-06 against a "
                                 "target of 78%. Who should get the credit, and what is the "
                                 "next stage?")
    assert "fallen back to 74% in 2026-09" in qs[0]["question"]
    held = questions_from_data({"headline": {
        "status": "met", "at_target_period": _deadline("met", 81.2, 78.0, 80.0, True)}})
    assert [q["topic"] for q in held] == ["credit"]


def test_units_that_missed_their_share_are_named():
    qs = questions_from_data({"units": [
        {"unit_name": "Saskatchewan", "status": "missed", "off_track_run": 0},
        {"unit_name": "Ontario", "status": "met", "off_track_run": 0},
        {"unit_name": "Quebec", "status": "missed", "off_track_run": 0}]})
    assert [q["question"] for q in qs] == [
        "2 units missed their share of the target (Saskatchewan and Quebec): what does each "
        "need at the next stage?"]


@pytest.mark.parametrize("uom", ["%", "percent", "Percent", "per cent", "percentage"])
def test_a_gap_in_a_percentage_is_in_points_whatever_the_unit_is_called(uom):
    q = _only({"unit_of_measure": uom, "headline": {
        "status": "off_track", "gap": -3.1, "gap_pct": -3.9, "expected": 78.0,
        "latest": {"period": "2026-05", "value": 74.9}}})
    assert "3.1 percentage points (3.9%) below its trajectory of 78%" in q["question"]
    assert "percent (" not in q["question"]


def test_a_counter_getting_worse_while_the_target_is_met_asks_about_gaming():
    q = questions_from_data({
        "priority_title": "grade-3 reading", "headline": {"status": "met"},
        "counters": [{"name": "Exemptions", "direction": "worse", "change": 1.5}]})[0]
    assert (q["topic"], q["severity"]) == ("gaming", 3)
    assert q["question"] == ("Exemptions, a counter indicator, has got worse (+1.5) while "
                             "grade-3 reading met its target: is the target being gamed, or is "
                             "there an unintended effect?")
