"""The delivery services on real databases (SQLite and PostgreSQL): plan versions and diffs,
chains and their analysis, assessment rounds, schedules, stocktakes and the follow-up of
actions. Every expectation is worked out by hand from examples/delivery/*.yaml."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, Table, func, select

from stocktake.delivery.errors import DeliveryError
from stocktake.errors import StocktakeError
from stocktake.intake.service import submit_rows
from stocktake.results import dumps
from stocktake.results.delivery import (
    ActionList,
    ActionRow,
    ActionUpdated,
    ChainLoaded,
    PlanLoaded,
    PlanVersionInfo,
    PlanView,
)
from stocktake.services.data.model_service import load_model
from stocktake.services.routines.assessments import record_assessment, show_assessments
from stocktake.services.routines.chains import chain_diagram, load_chain, show_chain
from stocktake.services.routines.plans import diff_plan, load_plan, show_plan
from stocktake.services.routines.stocktakes import (
    list_actions,
    record_stocktake,
    set_schedule,
    stocktake_overview,
    update_action,
)
from stocktake.store import schema

EXAMPLES = Path(__file__).parents[2] / "examples" / "delivery"
PLAN, CHAIN = EXAMPLES / "plan.yaml", EXAMPLES / "chain.yaml"
ASSESSMENT, STOCKTAKE = EXAMPLES / "assessment.yaml", EXAMPLES / "stocktake.yaml"


@pytest.fixture
def world(engine: Engine, small_model_dir: Path) -> Engine:
    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2024, 1, 2))
    return engine


def rows(engine: Engine, table: Table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def document(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def revised_plan() -> dict[str, Any]:
    """plan.yaml with one milestone's status changed and one intervention added."""
    doc = document(PLAN)
    doc["milestones"][1]["status"] = "at_risk"  # youth_sites_open, on_track in v1
    doc["interventions"].append({"code": "hotspot_policing", "name": "Hot-spot policing",
                                 "owner": "Police services", "start": "2024-06", "ramp": 3,
                                 "effect": -0.3})
    return doc


# -- plans ----------------------------------------------------------------------------------

def test_plan_versions_reload_reason_and_diff(world):
    first = load_plan(world, "P1", PLAN, author="Delivery Unit", reason="",
                      at=datetime(2024, 2, 1))
    assert first == PlanLoaded(priority="P1", version=1, changed=True, changes=())
    assert rows(world, schema.plan_versions) == 1

    same = load_plan(world, "P1", PLAN, author="Someone else", reason="again",
                     at=datetime(2024, 2, 10))
    assert same == PlanLoaded(priority="P1", version=1, changed=False, changes=())
    assert rows(world, schema.plan_versions) == 1

    with pytest.raises(StocktakeError, match="needs a reason"):
        load_plan(world, "P1", revised_plan(), author="Delivery Unit", reason="  ",
                  at=datetime(2024, 3, 1))
    assert rows(world, schema.plan_versions) == 1

    second = load_plan(world, "P1", revised_plan(), author="Delivery Unit",
                       reason="Stocktake of 2024-02-28: add hot-spot policing",
                       at=datetime(2024, 3, 1))
    expected_lines = ["+ intervention hotspot_policing: Hot-spot policing",
                      "~ milestone youth_sites_open: status on_track -> at_risk"]
    assert second == PlanLoaded(priority="P1", version=2, changed=True,
                                changes=tuple(expected_lines))
    assert rows(world, schema.plan_versions) == 2

    d = diff_plan(world, "P1", 1, 2)
    assert d.lines == tuple(expected_lines) and (d.from_version, d.to) == (1, 2)
    diff = d.diff
    assert diff["summary"] is None and diff["drift"] is None
    assert diff["interventions"] == {"added": ["hotspot_policing"], "removed": [],
                                     "changed": [],
                                     "names": {"hotspot_policing": "Hot-spot policing"}}
    assert diff["milestones"]["added"] == [] and diff["milestones"]["removed"] == []
    assert diff["milestones"]["changed"] == [
        {"code": "youth_sites_open", "fields": {"status": {"old": "on_track",
                                                           "new": "at_risk"}}}]
    assert diff["risks"] == {"added": [], "removed": [], "changed": [], "names": {}}
    assert diff["assumptions"] == {"added": [], "removed": [], "changed": []}
    assert d.reasons == (PlanVersionInfo(
        version=2, author="Delivery Unit", reason="Stocktake of 2024-02-28: add hot-spot policing",
        recorded_at="2024-03-01T00:00:00"),)
    assert json.loads(dumps(d))["from"] == 1  # the JSON key, as before
    # Backwards, the same changes read the other way.
    assert diff_plan(world, "P1", 2, 1).lines == (
        "- intervention hotspot_policing: Hot-spot policing",
        "~ milestone youth_sites_open: status at_risk -> on_track")
    with pytest.raises(StocktakeError, match="no plan version 3"):
        diff_plan(world, "P1", 1, 3)


def test_show_plan_by_version_and_as_of(world):
    load_plan(world, "P1", PLAN, author="a", reason="", at=datetime(2024, 2, 1))
    load_plan(world, "P1", revised_plan(), author="b", reason="why", at=datetime(2024, 3, 1))

    current = show_plan(world, "P1", as_of=datetime(2024, 3, 2))
    assert current.version == 2 and current.author == "b"
    assert [h.version for h in current.history] == [1, 2]
    assert len(current.plan["interventions"]) == 3

    for shown in (show_plan(world, "P1", version=1),
                  show_plan(world, "P1", as_of=datetime(2024, 2, 15))):
        assert shown.version == 1
        assert shown.author == "a" and shown.reason == "first version"
        plan = shown.plan
        assert [i["code"] for i in plan["interventions"]] == ["focused_deterrence",
                                                               "youth_programmes"]
        assert [(m["code"], m["status"]) for m in plan["milestones"]] == [
            ("deterrence_funded", "done"), ("youth_sites_open", "on_track")]
        # The bare string assumption gains evidence None; the mapping keeps its evidence.
        assert plan["assumptions"] == [
            {"text": "Police forces record violent crime to the same national standard",
             "evidence": None},
            {"text": "Both provinces keep their community-safety budgets",
             "evidence": "Bilateral agreements signed 2024"}]
    # Between the two versions only version 1 is known.
    assert [h.version for h in show_plan(world, "P1", as_of=datetime(2024, 2, 15))
            .history] == [1]
    with pytest.raises(StocktakeError, match="no delivery plan as of 2024-01-31"):
        show_plan(world, "P1", as_of=datetime(2024, 1, 31))


def test_plan_summary_worked_by_hand(world):
    load_plan(world, "P1", PLAN, author="a", reason="", at=datetime(2024, 2, 1))
    load_plan(world, "P1", revised_plan(), author="b", reason="why", at=datetime(2024, 3, 1))
    v1 = show_plan(world, "P1", version=1, as_of=datetime(2024, 3, 2))
    # From the baseline 10.0 (2024-01), both effects are fully ramped by 2025-12:
    # focused deterrence from 2024-04 over 6 months, youth programmes from 2024-09 over 12.
    # 10.0 - 1.2 - 0.8 = 8.0, exactly the target; v2 adds -0.3 -> 7.7, beyond it.
    it = v1.implied_trajectory
    assert (it.end_period, it.target, it.shortfall) == ("2025-12", 8.0, 0.0)
    assert it.end_value == pytest.approx(8.0)
    v2 = show_plan(world, "P1", as_of=datetime(2024, 3, 2))
    assert v2.implied_trajectory.end_value == pytest.approx(7.7)
    assert v2.implied_trajectory.shortfall == 0.0

    def gaps(shown: PlanView) -> dict[str, list[str]]:
        return {c["check"]: c["items"] for c in shown.checklist if not c["ok"]}

    # The small model's P1 has no trajectory method: not built bottom-up (the one v1 gap).
    bottom_up = "The trajectory is built bottom-up from the interventions"
    assert gaps(v1) == {bottom_up: []} and v1.gaps == 1
    # v2's new intervention has no milestone.
    assert gaps(v2) == {bottom_up: [], "Every intervention has a milestone":
                        ["hotspot_policing"]} and v2.gaps == 2
    # youth_sites_open (due 2024-12-31) is due within 90 days of 2024-10-15, and 31 days
    # overdue on 2025-01-31.
    autumn = show_plan(world, "P1", version=1, as_of=datetime(2024, 10, 15))
    assert [m.code for m in autumn.due_milestones] == ["youth_sites_open"]
    assert autumn.overdue_milestones == ()
    winter = show_plan(world, "P1", version=1, as_of=datetime(2025, 1, 31))
    assert [(m.code, m.days_overdue) for m in winter.overdue_milestones] == [
        ("youth_sites_open", 31)]
    assert gaps(winter)["No milestone is overdue"] == ["youth_sites_open"]


def test_missing_milestone_owner_is_a_checklist_gap_not_an_error(world):
    # docs/delivery.md and delivery/plans.py: a missing owner is a gap the checklist shows.
    doc = document(PLAN)
    del doc["milestones"][1]["owner"]
    assert load_plan(world, "P1", doc, author="a", reason="",
                     at=datetime(2024, 2, 1)).version == 1
    shown = show_plan(world, "P1", as_of=datetime(2024, 2, 2))
    [owners] = [c for c in shown.checklist if c["check"] == "Every milestone has an owner"]
    assert owners["ok"] is False and owners["items"] == ["youth_sites_open"]


def test_bad_plan_names_every_path_and_stores_nothing(world, tmp_path):
    doc = document(PLAN)
    doc["owners"] = "Delivery Unit"  # unknown key
    del doc["milestones"][1]["due"]  # a milestone without its due date
    doc["interventions"][0]["start"] = "2024-13"  # not a month
    bad = tmp_path / "bad_plan.yaml"
    bad.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(DeliveryError) as caught:
        load_plan(world, "P1", bad, author="a", reason="", at=datetime(2024, 2, 1))
    problems = caught.value.problems
    assert len(problems) == 3
    assert [p.split(":")[0] for p in problems] == [
        "owners", "interventions[0].start", "milestones[1].due"]
    assert "unknown key" in problems[0] and "month 13" in problems[1]
    assert "required" in problems[2]
    assert str(bad) in str(caught.value)  # the message names the file
    assert rows(world, schema.plan_versions) == 0

    # With a good version stored, the bad one adds nothing either.
    load_plan(world, "P1", PLAN, author="a", reason="", at=datetime(2024, 2, 1))
    with pytest.raises(DeliveryError):
        load_plan(world, "P1", bad, author="a", reason="fix", at=datetime(2024, 3, 1))
    assert rows(world, schema.plan_versions) == 1
    with pytest.raises(StocktakeError, match="needs an author"):
        load_plan(world, "P1", revised_plan(), author=" ", reason="r", at=datetime(2024, 3, 1))
    with pytest.raises(StocktakeError, match="P9"):
        load_plan(world, "P9", PLAN, author="a", reason="", at=datetime(2024, 3, 1))
    assert rows(world, schema.plan_versions) == 1


@pytest.mark.parametrize("levels", [150, 400, 3000])
def test_a_plan_nested_too_deep_is_refused_plainly_and_stores_nothing(world, tmp_path, levels):
    """A YAML file nested hundreds of levels deep (PyYAML recurses: a RecursionError
    once), or a document given already parsed (the API's JSON) past MAX_DEPTH levels."""
    nested: Any = "x"
    for _ in range(levels):
        nested = [nested]
    doc = {**document(PLAN), "summary": nested}
    path = tmp_path / "deep.yaml"
    path.write_text(PLAN.read_text().replace("summary: ", "summary: " + "[" * levels + "x"
                                             + "]" * levels + " #", 1), encoding="utf-8")
    for source in (path, doc):
        with pytest.raises(DeliveryError, match="nested") as caught:
            load_plan(world, "P1", source, author="a", reason="", at=datetime(2024, 2, 1))
        assert len(caught.value.problems) == 1
    assert rows(world, schema.plan_versions) == 0


def test_plan_version_earlier_than_the_newest_is_refused(world):
    load_plan(world, "P1", PLAN, author="a", reason="", at=datetime(2024, 3, 1))
    with pytest.raises(StocktakeError, match="already recorded later, at 2024-03-01 00:00:00"):
        load_plan(world, "P1", revised_plan(), author="a", reason="backdated",
                  at=datetime(2024, 2, 1))
    assert rows(world, schema.plan_versions) == 1
    assert show_plan(world, "P1").version == 1


# -- chains ---------------------------------------------------------------------------------

def test_chain_analysis_worked_by_hand(world):
    assert load_chain(world, "P1", CHAIN, author="a", at=datetime(2024, 7, 1)) == ChainLoaded(
        priority="P1", version=1, changed=True)
    assert load_chain(world, "P1", CHAIN, author="b", at=datetime(2024, 7, 2)) == ChainLoaded(
        priority="P1", version=1, changed=False)
    assert rows(world, schema.chain_versions) == 1

    shown = show_chain(world, "P1", as_of=datetime(2024, 7, 3))
    a = shown.analysis
    # ministry is the only actor no link runs into; patrol_a1 and patrol_b are frontline.
    assert a["roots"] == ["ministry"]
    assert a["counts"] == {"actors": 7, "links": 6, "strong": 3, "adequate": 2, "weak": 1,
                           "broken": 0}
    assert [(w["from"], w["to"], w["strength"]) for w in a["weak_links"]] == [
        ("province_b", "patrol_b", "weak")]
    # patrol_b's only route is ministry -> province_b -> patrol_b, whose last link is weak.
    assert [(b["frontline"], b["path"]) for b in a["broken_paths"]] == [
        ("patrol_b", ["ministry", "province_b", "patrol_b"])]
    # Each chain is a single path: every non-root, non-frontline actor on one is a single
    # point of failure for its frontline; stats leads to no frontline actor.
    assert {s["actor"]: s["frontline_cut_off"] for s in a["single_points_of_failure"]} == {
        "province_a": ["patrol_a1"], "province_b": ["patrol_b"], "police_a1": ["patrol_a1"]}
    # Likewise every link except ministry -> stats.
    assert {(s["from"], s["to"]): s["frontline_cut_off"] for s in a["single_links"]} == {
        ("ministry", "province_a"): ["patrol_a1"], ("ministry", "province_b"): ["patrol_b"],
        ("province_a", "police_a1"): ["patrol_a1"], ("police_a1", "patrol_a1"): ["patrol_a1"],
        ("province_b", "patrol_b"): ["patrol_b"]}
    # Delivery passes through the two provinces and a municipal police service, none
    # controlled by the centre.
    assert [(x["actor"], x["level"], x["controls"]) for x in a["cross_government"]] == [
        ("province_a", "provincial", False), ("province_b", "provincial", False),
        ("police_a1", "municipal", False)]
    assert shown.version == 1 and shown.author == "a" and shown.as_of == "2024-07-03T00:00:00"
    assert shown.summary[0] == "7 actors and 6 links: 3 strong, 2 adequate, 1 weak, " \
                                  "0 broken."
    with pytest.raises(StocktakeError, match="no delivery chain"):
        show_chain(world, "P1", as_of=datetime(2024, 6, 30))


def test_chain_diagram_is_svg(world):
    load_chain(world, "P1", CHAIN, author="a", at=datetime(2024, 7, 1))
    svg = chain_diagram(world, "P1")
    root = ET.fromstring(svg)
    assert root.tag in ("svg", "{http://www.w3.org/2000/svg}svg")
    text = " ".join("".join(t.itertext()) for t in root.iter()
                    if t.tag.rsplit("}", 1)[-1] == "text")
    assert "Ministry of Public Safety" in text and "weak" in text


def test_changed_and_bad_chains(world):
    load_chain(world, "P1", CHAIN, author="a", at=datetime(2024, 7, 1))
    doc = document(CHAIN)
    doc["links"][4]["strength"] = "adequate"  # province_b -> patrol_b repaired
    assert load_chain(world, "P1", doc, author="a", reason="returns on time",
                      at=datetime(2024, 9, 1)).version == 2
    assert show_chain(world, "P1").analysis["weak_links"] == []
    assert len(show_chain(world, "P1", as_of=datetime(2024, 8, 1)).analysis
               ["weak_links"]) == 1
    doc["links"].append({"from": "patrol_b", "to": "ministri", "type": "data",
                         "strength": "weak"})
    with pytest.raises(DeliveryError) as caught:
        load_chain(world, "P1", doc, author="a", at=datetime(2024, 10, 1))
    assert [p.split(":")[0] for p in caught.value.problems] == [
        "links[6].to", "links[6].evidence"]
    assert rows(world, schema.chain_versions) == 2


# -- assessments ----------------------------------------------------------------------------

def worse_round() -> dict[str, Any]:
    doc = document(ASSESSMENT)
    doc["round"] = "2024-Q4"
    doc["assessed_on"] = "2024-12-31"
    doc["likelihood"] = {"rating": "amber_red", "rationale": "Province B is slipping."}
    return doc


def test_assessment_rounds_and_change(world):
    first = record_assessment(world, "P1", ASSESSMENT, by="DU", at=datetime(2024, 10, 1))
    assert (first.round, first.likelihood, first.change["direction"]) == (
        "2024-Q3", "amber_green", "new")
    second = record_assessment(world, "P1", worse_round(), by="DU", at=datetime(2025, 1, 5))
    assert (second.round, second.likelihood) == ("2024-Q4", "amber_red")
    assert second.change["direction"] == "worse"
    assert second.change["since"] == "2024-Q3"
    assert second.change["sentence"] == (
        "Likelihood worsened from Amber/green to Amber/red since 2024-Q3")
    # Only the likelihood changed; every other criterion stayed the same.
    assert {k: c["direction"] for k, c in second.change["criteria"].items()
            if c["direction"] != "same"} == {"likelihood": "worse"}

    shown = show_assessments(world, "P1")
    assert [(r.round, r.likelihood) for r in shown.rounds] == [
        ("2024-Q3", "amber_green"), ("2024-Q4", "amber_red")]
    assert shown.latest.change["direction"] == "worse"
    assert shown.rounds[0].change["direction"] == "new"
    # No observations: no statistics, so nothing for judgement to disagree with.
    assert shown.evidence["probability_of_meeting"] is None and shown.flags == ()

    before = show_assessments(world, "P1", as_of=datetime(2025, 1, 4))
    assert [r.round for r in before.rounds] == ["2024-Q3"]
    assert before.latest.likelihood == "amber_green"
    assert show_assessments(world, "P1", as_of=datetime(2024, 9, 30)).rounds == ()


def test_bad_or_backdated_assessment_stores_nothing(world):
    record_assessment(world, "P1", ASSESSMENT, by="DU", at=datetime(2024, 10, 1))
    bad = worse_round()
    bad["likelihood"] = {"rating": "amber", "rationale": "?"}
    with pytest.raises(DeliveryError, match="likelihood"):
        record_assessment(world, "P1", bad, by="DU", at=datetime(2025, 1, 5))
    with pytest.raises(StocktakeError, match="already recorded later"):
        record_assessment(world, "P1", worse_round(), by="DU", at=datetime(2024, 9, 1))
    assert rows(world, schema.assessments) == 1


# -- stocktakes and actions -----------------------------------------------------------------

CADENCE = {"every": 3, "unit": "months", "start": "2024-01-15"}


def test_schedule_next_date_by_hand(world):
    # Stocktakes fall on 15 Jan, 15 Apr, 15 Jul, 15 Oct 2024, 15 Jan 2025...
    for at, expected in [(datetime(2024, 1, 10), "2024-01-15"),
                         (datetime(2024, 4, 15, 9), "2024-07-15"),  # strictly after the day
                         (datetime(2024, 5, 1), "2024-07-15"),
                         (datetime(2024, 10, 16), "2025-01-15")]:
        r = set_schedule(world, "P1", CADENCE, by="DU", at=at)
        assert r.next == expected, at
        assert r.cadence == CADENCE
    assert rows(world, schema.stocktake_schedules) == 4
    assert stocktake_overview(world, "P1", as_of=datetime(2024, 11, 1)).next == "2025-01-15"
    assert stocktake_overview(world, "P1", as_of=datetime(2024, 1, 9)).cadence is None
    with pytest.raises(DeliveryError, match="unit"):
        set_schedule(world, "P1", {**CADENCE, "unit": "fortnights"}, by="DU",
                     at=datetime(2024, 11, 1))
    assert rows(world, schema.stocktake_schedules) == 4


@pytest.fixture
def stocktaken(world):
    set_schedule(world, "P1", CADENCE, by="DU", at=datetime(2024, 1, 10))
    r = record_stocktake(world, "P1", STOCKTAKE, by="DU", at=datetime(2024, 10, 16))
    return world, r


def by_code(listed: ActionList) -> dict[str, ActionRow]:
    return {a.code: a for a in listed.actions}


def test_record_stocktake_and_refuse_the_same_date(stocktaken):
    engine, r = stocktaken
    assert (r.held_on, r.decisions, len(r.actions)) == ("2024-10-15", 2, 2)
    assert rows(engine, schema.actions) == 2
    with pytest.raises(StocktakeError, match="on 2024-10-15 is already recorded"):
        record_stocktake(engine, "P1", STOCKTAKE, by="DU", at=datetime(2024, 10, 17))
    assert rows(engine, schema.stocktakes) == 1 and rows(engine, schema.actions) == 2

    overview = stocktake_overview(engine, "P1", as_of=datetime(2024, 10, 20))
    [meeting] = overview.stocktakes
    assert meeting["chair"] == "Prime Minister" and len(meeting["attendees"]) == 3
    assert [d["plan_change"] for d in meeting["decisions"]] == [False, True]
    assert [a["code"] for a in meeting["actions"]] == ["A1", "A2"]
    assert overview.next == "2025-01-15"
    assert len(overview.five_questions) == 5
    assert stocktake_overview(engine, "P1", as_of=datetime(2024, 10, 15)).stocktakes == ()


def test_actions_overdue_update_and_carry_over(stocktaken):
    engine, r = stocktaken
    ids = dict(zip(("A1", "A2"), r.actions, strict=True))

    # On 1 Dec 2024: A1 (due 30 Nov) is 1 day late, A2 (due 15 Nov) 16 days.
    listed = list_actions(engine, open_only=True, as_of=datetime(2024, 12, 1, 12))
    assert {c: (a.status, a.days_overdue) for c, a in by_code(listed).items()} == {
        "A1": ("open", 1), "A2": ("open", 16)}
    assert listed.summary["overdue"] == 2 and listed.summary["most_days_overdue"] == 16

    done = update_action(engine, ids["A2"], status="done", note="Explained: staff shortage",
                         on=date(2024, 12, 2), by="Province B", at=datetime(2024, 12, 3))
    assert done == ActionUpdated(action=ids["A2"], priority="P1", from_status="open",
                                 status="done", on="2024-12-02")
    assert json.loads(dumps(done))["from"] == "open"  # the JSON key, as before

    # Before the update was recorded A2 is still open (17 days late on 2 Dec) ...
    before = by_code(list_actions(engine, as_of=datetime(2024, 12, 2, 23)))
    assert (before["A2"].status, before["A2"].days_overdue) == ("open", 17)
    # ... after, it is done as of 2 Dec and no longer late; A1 is 4 days late on 4 Dec.
    after = by_code(list_actions(engine, as_of=datetime(2024, 12, 4)))
    assert (after["A2"].status, after["A2"].status_on, after["A2"].days_overdue) \
        == ("done", "2024-12-02", 0)
    assert [u.status for u in after["A2"].updates] == ["open", "done"]
    assert (after["A1"].status, after["A1"].days_overdue) == ("open", 4)
    assert list(by_code(list_actions(engine, open_only=True,
                                      as_of=datetime(2024, 12, 4)))) == ["A1"]

    carried = stocktake_overview(engine, "P1", as_of=datetime(2024, 12, 4)).carried_over
    assert [(c.id, c.code, c.days_overdue) for c in carried] == [(ids["A1"], "A1", 4)]
    carried = stocktake_overview(engine, "P1", as_of=datetime(2024, 12, 2, 23)).carried_over
    assert [c.code for c in carried] == ["A1", "A2"]


def test_bad_action_updates_change_nothing(stocktaken):
    engine, r = stocktaken
    a1 = r.actions[0]
    with pytest.raises(StocktakeError, match=f"there is no action {a1 + 1000}"):
        update_action(engine, a1 + 1000, status="done", by="DU", at=datetime(2024, 12, 3))
    with pytest.raises(StocktakeError, match="'finished' is not one of"):
        update_action(engine, a1, status="finished", by="DU", at=datetime(2024, 12, 3))
    with pytest.raises(StocktakeError, match="before the action was raised"):
        update_action(engine, a1, status="done", on=date(2024, 10, 1), by="DU",
                      at=datetime(2024, 12, 3))
    with pytest.raises(StocktakeError, match="needs the name"):
        update_action(engine, a1, status="done", by=" ", at=datetime(2024, 12, 3))
    assert rows(engine, schema.action_updates) == 2  # the two "raised" updates only
    assert by_code(list_actions(engine))["A1"].status == "open"

    # Reopening a done action needs a note, and an update cannot be backdated in the store.
    update_action(engine, a1, status="done", on=date(2024, 12, 3), by="DU",
                  at=datetime(2024, 12, 3))
    with pytest.raises(StocktakeError, match="note: required to reopen"):
        update_action(engine, a1, status="open", on=date(2024, 12, 4), by="DU",
                      at=datetime(2024, 12, 4))
    with pytest.raises(StocktakeError, match="already recorded later"):
        update_action(engine, a1, status="dropped", on=date(2024, 12, 3), by="DU",
                      at=datetime(2024, 12, 2))
    assert rows(engine, schema.action_updates) == 3
    reopened = update_action(engine, a1, status="open", note="Funding fell through",
                             on=date(2024, 12, 5), by="DU", at=datetime(2024, 12, 5))
    assert (reopened.from_status, reopened.status) == ("done", "open")



# -- a chain beside the data quality of its actors' units -----------------------------------

MONTHLY_RETURN = """\
- code: monthly
  name: Monthly police return
  period_type: month
  indicators: [incidents, population]
  levels: [region]
  timely_days: 10
  start: 2025-01
"""
PARTS_RULE = """\
- code: parts
  name: Incidents cannot exceed population
  left: incidents
  operator: "<="
  right: population
  importance: medium
"""


@pytest.mark.slow
def test_chain_flags_actors_whose_units_report_poor_data(engine, small_model_dir):
    # The data of tests/services/test_quality.py, whose scores are worked by hand there.
    (small_model_dir / "datasets.yaml").write_text(MONTHLY_RETURN)
    (small_model_dir / "rules.yaml").write_text(PARTS_RULE)
    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2025, 1, 2))
    load_chain(engine, "P1", CHAIN, author="a", at=datetime(2025, 1, 3))

    def pair(unit, period, incidents, population):
        return [("incidents", unit, period, incidents), ("population", unit, period, population)]

    for day, data in [
        (datetime(2025, 2, 5), pair("A1", "2025-01", 30, 350000)
         + pair("A2", "2025-01", 25, 250000) + pair("B1", "2025-01", 45, 20)),
        (datetime(2025, 3, 1), [("incidents", "A1", "2025-01", 33)]),
        (datetime(2025, 3, 5), pair("A1", "2025-02", 31, 350000)
         + pair("A2", "2025-02", 24, 250000)),
        (datetime(2025, 4, 5), pair("A1", "2025-03", 29, 350000)),
        (datetime(2025, 4, 12), pair("A2", "2025-03", 26, 250000)),
    ]:
        assert submit_rows(engine, data, submitter="t", now=day).accepted

    # 15 April: Province B is its one region B1: 2 of 6 values received, both on time, its
    # one rule check failed, nothing revised: 100 x (0.3 x 2/6 + 0.25 x 2/6 + 0 + 0.1 +
    # 0.15) = 43.33, under 75. Nation 81.43, Province A 95.0 and A1 98.33 are not.
    april = show_chain(engine, "P1", as_of=datetime(2025, 4, 15)).analysis
    assert [(p["actor"], [u["unit"] for u in p["units"]]) for p in
            april["poor_quality_actors"]] == [("province_b", ["B"])]
    assert april["poor_quality_actors"][0]["mean_score"] == pytest.approx(43.3333, abs=1e-3)
    # 20 February: only January was due; B1 sent it on time, so only the failed rule
    # counts against it: 100 x (0.3 + 0.25 + 0 + 0.1 + 0.15) = 80, not poor.
    february = show_chain(engine, "P1", as_of=datetime(2025, 2, 20)).analysis
    assert february["poor_quality_actors"] == []


# -- refusals: nothing unattributed, nothing backdated ---------------------------------------

def test_schedule_needs_who_sets_it(world):
    with pytest.raises(StocktakeError, match="--by"):
        set_schedule(world, "P1", CADENCE, by="  ", at=datetime(2024, 1, 10))
    assert rows(world, schema.stocktake_schedules) == 0


def test_stocktake_recorded_before_the_newest_is_refused(stocktaken):
    engine, _ = stocktaken  # recorded at 2024-10-16
    earlier = document(STOCKTAKE)
    earlier["held_on"] = "2024-07-15"
    for action in earlier["actions"]:
        action["due"] = "2024-08-01"
    seen = list_actions(engine, as_of=datetime(2024, 8, 1)).actions
    with pytest.raises(StocktakeError, match="already recorded later"):
        record_stocktake(engine, "P1", earlier, by="DU", at=datetime(2024, 7, 16))
    assert list_actions(engine, as_of=datetime(2024, 8, 1)).actions == seen == ()


# -- a pack on thin data ---------------------------------------------------------------------

@pytest.mark.parametrize("months", [0, 1, 9])
def test_a_pack_renders_whatever_little_there_is(world, months):
    """A new priority: no data (or one month: no control limits, no forecast), one plan
    version, no chain, no assessment, no stocktake. The pack still renders, and says so."""
    from stocktake.reports.render import render_pack
    from stocktake.services.publishing.packs import pack_context

    rows_in = [(ind, unit, f"2024-{m + 1:02d}", value) for m in range(months)
               for unit, n, pop in (("A1", 30 - m, 350000), ("A2", 20, 250000),
                                    ("B1", 40, 400000))
               for ind, value in (("incidents", n), ("population", pop))]
    if rows_in:
        result = submit_rows(world, rows_in, submitter="t", now=datetime(2024, months + 1, 5))
        assert result.accepted
    load_plan(world, "P1", PLAN, author="DU", reason="", at=datetime(2024, 11, 1))
    context = pack_context(world, "P1", as_of=datetime(2024, 11, 2))
    latest = context["headline"].latest
    assert (latest is None) if months == 0 else latest.period == f"2024-{months:02d}"
    html = render_pack(context)
    assert "Cut violent crime" in html and "How can we help?" in html
    assert "Not assessed" in html and "No open actions" in html
    if months <= 1:  # one point: no control limits, and the pack says why
        assert "no control limits yet" in html


def test_a_string_is_a_document_never_a_path(world):
    """Text from a form or an API body cannot make the service open a file."""
    with pytest.raises(DeliveryError) as info:
        load_plan(world, "P1", str(PLAN), author="DU", reason="")
    assert "No such file" not in str(info.value) and rows(world, schema.plan_versions) == 0
