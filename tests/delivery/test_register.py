"""Across priorities, the pure part: each risk's trend against the plan's previous version,
the register's order and the milestones as read on a day, worked out by hand from small
plans built here."""

from __future__ import annotations

from datetime import date

from stocktake.delivery.plans import Milestone, Plan, Risk
from stocktake.delivery.register import (
    closed_risks,
    plan_milestones,
    plan_risks,
    register_order,
    risk_trend,
)


def test_a_trend_compares_the_score_with_the_previous_version():
    assert risk_trend(12, None) == "new"
    assert [risk_trend(12, p) for p in (9, 12, 16)] == ["up", "same", "down"]


def test_each_risk_is_read_against_the_same_risk_of_the_previous_version():
    before = Plan(risks=(Risk("staffing", "Too few youth workers", 3, 4),  # 12
                         Risk("budget", "Budget cut", 2, 5),  # 10
                         Risk("data", "Late data", 2, 2)))  # 4, gone in the new version
    after = Plan(risks=(Risk("staffing", "Too few youth workers", 4, 4, "Province A"),  # 16
                        Risk("budget", "Budget cut", 2, 4, None, "Ring-fence it"),  # 8
                        Risk("courts", "Court backlog", 3, 3)))  # 9, new
    risks = plan_risks("P1", after, before)
    assert [(r.code, r.score, r.previous_score, r.trend, r.high) for r in risks] == [
        ("staffing", 16, 12, "up", True), ("budget", 8, 10, "down", False),
        ("courts", 9, None, "new", False)]
    assert risks[0].owner == "Province A" and risks[1].mitigation == "Ring-fence it"
    assert [r.trend for r in plan_risks("P1", after, None)] == ["new", "new", "new"]
    assert [r.trend for r in plan_risks("P1", after, after)] == ["same", "same", "same"]


def test_a_risk_the_new_version_no_longer_holds_is_closed_at_its_last_score():
    before = Plan(risks=(Risk("staffing", "Too few youth workers", 3, 4),
                         Risk("data", "Late data", 4, 5, "Province B", "Chase monthly")))  # 20
    after = Plan(risks=(Risk("staffing", "Too few youth workers", 4, 4),))
    [closed] = closed_risks("P1", after, before)
    assert (closed.priority, closed.code, closed.likelihood, closed.impact, closed.score,
            closed.previous_score, closed.trend, closed.high) == (
        "P1", "data", 4, 5, 20, 20, "closed", True)
    assert closed.owner == "Province B" and closed.mitigation == "Chase monthly"
    assert closed_risks("P1", after, None) == [] and closed_risks("P1", before, before) == []


def test_the_register_lists_the_highest_score_first_then_the_likelier():
    p1 = plan_risks("P1", Plan(risks=(Risk("a", "A", 2, 5), Risk("b", "B", 4, 4))), None)
    p2 = plan_risks("P2", Plan(risks=(Risk("c", "C", 5, 2), Risk("d", "D", 4, 4))), None)
    ordered = register_order(p2 + p1, ["P1", "P2"])
    # 16 (P1 before P2 in the model), 16, then the two tens: likelihood 5 before 2
    assert [(r.priority, r.code) for r in ordered] == [("P1", "b"), ("P2", "d"), ("P2", "c"),
                                                       ("P1", "a")]


def test_milestones_by_due_day_an_open_one_past_due_overdue_by_its_days():
    plan = Plan(milestones=(
        Milestone("open_late", "Sites open", "Province A", date(2024, 12, 31), "on_track"),
        Milestone("funded", "Funded", None, date(2024, 3, 31), "done",
                  completed_on=date(2024, 3, 20)),
        Milestone("dropped", "Old idea", None, date(2024, 6, 30), "dropped"),
        Milestone("later", "Evaluation", None, date(2025, 6, 30), "not_started")))
    read = plan_milestones("P1", plan, date(2025, 2, 1))
    assert [(m.code, m.status, m.days_overdue) for m in read] == [
        ("funded", "done", 0), ("dropped", "dropped", 0),
        ("open_late", "overdue", 32),  # 31 December to 1 February
        ("later", "not_started", 0)]
    assert read[0].completed_on == date(2024, 3, 20)


def test_risks_and_milestones_in_french_where_the_plan_gives_it_else_in_english():
    previous = Plan(risks=(Risk("gone", "Funding lapses", 2, 2, description_fr="Le "
                                "financement s’éteint"),))
    plan = Plan(risks=(Risk("staff", "Too few staff", 3, 4, description_fr="Trop peu de "
                            "personnel"), Risk("rates", "Rates rise", 2, 3)),
                milestones=(Milestone("open", "Sites open", None, date(2025, 1, 1),
                                      name_fr="Sites ouverts"),))
    assert [r.description for r in plan_risks("P", plan, previous, lang="fr")] == [
        "Trop peu de personnel", "Rates rise"]  # no French: the English
    assert [r.description for r in plan_risks("P", plan, previous)] == [
        "Too few staff", "Rates rise"]
    assert [r.description for r in closed_risks("P", plan, previous, lang="fr")] == [
        "Le financement s’éteint"]
    today = date(2024, 6, 1)
    assert [m.name for m in plan_milestones("P", plan, today, lang="fr")] == ["Sites ouverts"]
    assert [m.name for m in plan_milestones("P", plan, today)] == ["Sites open"]
