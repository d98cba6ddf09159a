"""The routines through /api/v1 (issue #15): plans, assessments, stocktakes, actions and
alert reviews read and written as JSON, with the same roles and rules as their pages, and
a bad document refused with every problem and nothing stored. The expected figures come
from examples/delivery/*.yaml (loaded by test_delivery_pages.build), read there by hand."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from stocktake.services.admin import accounts
from stocktake.services.routines.assessments import show_assessments
from stocktake.services.routines.plans import show_plan
from stocktake.services.routines.stocktakes import list_actions, stocktake_overview
from stocktake.web import auth
from stocktake.web.app import create_app

from .test_delivery_pages import build, doc

pytestmark = pytest.mark.usefixtures("cheap_hashing")  # tests/conftest.py


@pytest.fixture
def site(engine, small_model_dir):
    return build(engine, small_model_dir)


def as_json(document):
    """A YAML document as an API client sends it: dates as ISO text."""
    return json.loads(json.dumps(document, default=str))


class Caller:
    """A signed-in session on the API: writes carry the session's CSRF token."""

    def __init__(self, engine, username):
        session = accounts.start_session(engine, username)
        self.client = TestClient(create_app(engine),
                                 cookies={auth.SESSION_COOKIE: session.token})
        self.headers = {auth.CSRF_HEADER: session.csrf_token}

    def get(self, path, **params):
        return self.client.get(path, params=params)

    def post(self, path, body):
        return self.client.post(path, json=body, headers=self.headers)


def test_the_routines_read_as_their_pages_do(site):
    api = Caller(site, "executive")
    plan = api.get("/api/v1/priorities/P1/plan")
    assert plan.status_code == 200
    body = plan.json()
    assert body["version"] == 1 and body["author"] == "Delivery Unit"
    assert [i["code"] for i in body["plan"]["interventions"]] == [
        "focused_deterrence", "youth_programmes"]
    rounds = api.get("/api/v1/priorities/P1/assessments").json()["rounds"]
    assert [(r["round"], r["likelihood"]) for r in rounds] == [("2024-Q3", "amber_green")]
    meetings = api.get("/api/v1/priorities/P1/stocktakes").json()
    assert [m["held_on"] for m in meetings["stocktakes"]] == ["2024-10-15"]
    actions = api.get("/api/v1/actions", priority="P1").json()["actions"]
    assert sorted(a["code"] for a in actions) == ["A1", "A2"]
    assert {a["owner"] for a in actions} == {"Ministry of Public Safety",
                                             "Province B justice ministry"}
    # Unknown codes: a 404 naming the closest.
    r = api.get("/api/v1/priorities/P11/plan")
    assert r.status_code == 404 and "did you mean 'P1'" in r.json()["detail"]
    assert api.get("/api/v1/priorities/P1/plan", version=7).status_code == 404


def test_a_plan_version_through_the_api_and_a_bad_one_stores_nothing(site):
    api = Caller(site, "owner")  # owns P1
    plan = as_json(doc("plan.yaml"))
    plan["summary"] = "Cut violent crime faster"
    r = api.post("/api/v1/priorities/P1/plan", {"plan": plan})
    assert r.status_code == 422 and "needs a reason" in r.json()["detail"]
    bad = {**plan, "interventions": [{"code": "x"}]}
    r = api.post("/api/v1/priorities/P1/plan", {"plan": bad, "reason": "r"})
    assert r.status_code == 422 and len(r.json()["problems"]) >= 2
    assert show_plan(site, "P1").version == 1  # nothing stored
    r = api.post("/api/v1/priorities/P1/plan", {"plan": plan, "reason": "stocktake"})
    assert r.status_code == 200
    assert r.json()["version"] == 2 and r.json()["changed"] is True
    assert show_plan(site, "P1").author == "owner"
    again = api.post("/api/v1/priorities/P1/plan", {"plan": plan, "reason": "same"})
    assert again.json() == {**again.json(), "version": 2, "changed": False}
    diff = api.get("/api/v1/priorities/P1/plan/diff", old=1, new=2).json()
    assert (diff["from"], diff["to"]) == (1, 2)
    assert any("summary" in line for line in diff["lines"])


def test_a_stocktake_its_actions_and_the_same_day_twice(site):
    api = Caller(site, "analyst")
    meeting = {"held_on": "2025-01-20", "chair": "Prime Minister",
               "attendees": ["Prime Minister"],
               "actions": [{"code": "A3", "text": "Open the sites", "owner": "Province A",
                            "due": "2025-03-01"}]}
    r = api.post("/api/v1/priorities/P1/stocktakes", meeting)
    assert r.status_code == 200 and r.json()["held_on"] == "2025-01-20"
    assert len(r.json()["actions"]) == 1
    assert api.post("/api/v1/priorities/P1/stocktakes", meeting).status_code == 409
    assert [s["held_on"] for s in stocktake_overview(site, "P1").stocktakes] == [
        "2024-10-15", "2025-01-20"]
    a3 = r.json()["actions"][0]
    r = api.post(f"/api/v1/actions/{a3}", {"status": "done", "note": "Opened"})
    assert r.status_code == 200
    assert (r.json()["from"], r.json()["status"]) == ("open", "done")
    row = next(a for a in list_actions(site).actions if a.id == a3)
    assert row.status == "done" and row.updates[-1].by == "analyst"
    # The page's rules: nothing to record; reopening needs a note; an unknown action.
    r = api.post(f"/api/v1/actions/{a3}", {"status": "done"})
    assert r.status_code == 422 and "nothing to record" in r.json()["detail"]
    r = api.post(f"/api/v1/actions/{a3}", {"status": "open"})
    assert r.status_code == 422 and "reopen" in r.json()["detail"]
    r = api.post(f"/api/v1/actions/{a3}", {"status": "closed"})
    assert r.status_code == 422 and r.json()["problems"][0].startswith("status: ")
    assert api.post("/api/v1/actions/99999", {"status": "done"}).status_code == 404
    updates = next(a for a in list_actions(site).actions if a.id == a3).updates
    assert [u.status for u in updates] == ["open", "done"]  # raised, then done: no more


def test_an_assessment_round_through_the_api(site):
    api = Caller(site, "analyst")
    round_ = {**as_json(doc("assessment.yaml")), "round": "2024-Q4",
              "assessed_on": "2024-12-15", "likelihood": {"rating": "red",
                                                          "rationale": "B far behind"}}
    bad = {**round_, "likelihood": {"rating": "red"}}
    r = api.post("/api/v1/priorities/P1/assessments", bad)
    assert r.status_code == 422 and "likelihood.rationale: required" in r.json()["problems"]
    assert len(show_assessments(site, "P1").rounds) == 1
    r = api.post("/api/v1/priorities/P1/assessments", round_)
    assert r.status_code == 200 and r.json()["likelihood"] == "red"
    assert [x.round for x in show_assessments(site, "P1").rounds] == ["2024-Q3", "2024-Q4"]


def test_writes_follow_the_pages_roles(site):
    plan = {"plan": as_json(doc("plan.yaml")), "reason": "r"}
    a1 = next(a for a in list_actions(site, priority="P1").actions if a.code == "A1")
    # An owner of another priority: not P1's plan, stocktakes or actions.
    other = Caller(site, "owner2")
    for path, body in (("/api/v1/priorities/P1/plan", plan),
                       ("/api/v1/priorities/P1/stocktakes", {"held_on": "2025-01-01"}),
                       (f"/api/v1/actions/{a1.id}", {"status": "done", "note": "n"})):
        r = other.post(path, body)
        assert r.status_code == 403 and "P1 is not one of them" in r.json()["detail"], path
    # Owners do not record assessments or review alerts; executives change nothing.
    owner = Caller(site, "owner")
    assert owner.post("/api/v1/priorities/P1/assessments", {}).status_code == 403
    assert owner.post("/api/v1/alerts/000000000000/review",
                      {"status": "explained", "note": "n"}).status_code == 403
    executive = Caller(site, "executive")
    assert executive.post("/api/v1/priorities/P1/plan", plan).status_code == 403
    # Providers read none of it.
    assert Caller(site, "provider").get("/api/v1/actions").status_code == 403
    assert show_plan(site, "P1").version == 1
    assert next(a for a in list_actions(site).actions if a.id == a1.id).status == "open"


def test_an_alert_review_names_what_is_wrong(site):
    api = Caller(site, "analyst")
    r = api.post("/api/v1/alerts/000000000000/review", {"status": "explained", "note": "n"})
    assert r.status_code == 404 and "no alert '000000000000'" in r.json()["detail"]
    r = api.post("/api/v1/alerts/000000000000/review", {"status": "fine", "note": "n"})
    assert r.status_code == 422 and r.json()["problems"][0].startswith("status: ")


def test_a_body_that_cannot_be_read_is_a_4xx_and_stores_nothing(site):
    api = Caller(site, "analyst")
    deep = "[" * 5000 + "]" * 5000
    for path in ("/api/v1/priorities/P1/plan", "/api/v1/priorities/P1/stocktakes",
                 "/api/v1/priorities/P1/assessments"):
        r = api.client.post(path, content=deep,
                            headers={**api.headers, "content-type": "application/json"})
        assert r.status_code == 400 and "parsing the body" in r.json()["detail"], path
        r = api.post(path, ["not", "an", "object"])
        assert r.status_code == 422 and r.json()["problems"], path
    assert show_plan(site, "P1").version == 1
    assert len(stocktake_overview(site, "P1").stocktakes) == 1
    assert len(show_assessments(site, "P1").rounds) == 1


def test_a_document_nested_too_deep_is_a_422_and_stores_nothing(site):
    """JSON that parses (under the parser's own limit, ~960 levels) but nests past the
    documents' limit gets the same plain answer as a YAML file nested too deep, whatever
    field holds it (the checks that read a document recurse: no stack depth is left to
    chance)."""
    api = Caller(site, "analyst")
    nested: object = "x"
    for _ in range(900):
        nested = [nested]
    for path, body in (("/api/v1/priorities/P1/plan", {"plan": {"summary": nested},
                                                       "reason": "r"}),
                       ("/api/v1/priorities/P1/stocktakes", {"held_on": "2025-01-20",
                                                             "chair": nested}),
                       ("/api/v1/priorities/P1/assessments", {"round": "2025-Q1",
                                                              "likelihood": nested})):
        r = api.client.post(path, content=json.dumps(body),
                            headers={**api.headers, "content-type": "application/json"})
        assert r.status_code == 422, (path, r.status_code)
        assert "nested more than 100 levels deep" in r.json()["detail"], path
    assert show_plan(site, "P1").version == 1
    assert len(stocktake_overview(site, "P1").stocktakes) == 1
    assert len(show_assessments(site, "P1").rounds) == 1


class TokenCaller:
    """An API client with a token, as another system calls: no cookie, no CSRF token."""

    def __init__(self, engine, token):
        self.client = TestClient(create_app(engine))
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path, **params):
        return self.client.get(path, params=params, headers=self.headers)

    def post(self, path, body):
        return self.client.post(path, json=body, headers=self.headers)


def test_a_routines_token_writes_the_routines_and_nothing_else(site):
    """Made by an analyst: it records a stocktake and updates its action with no session
    and no CSRF token, as the analyst; the API's other writes stay closed to it, and a read
    token of the same analyst still writes nothing."""
    analyst = TokenCaller(site, accounts.create_api_token(site, "analyst", "routines"))
    meeting = {"held_on": "2025-01-20", "chair": "Prime Minister",
               "actions": [{"code": "A3", "text": "Open the sites", "owner": "Province A",
                            "due": "2025-03-01"}]}
    r = analyst.post("/api/v1/priorities/P1/stocktakes", meeting)
    assert r.status_code == 200, r.text
    [a3] = r.json()["actions"]
    assert analyst.post(f"/api/v1/actions/{a3}", {"status": "done"}).status_code == 200
    assert next(a for a in list_actions(site).actions if a.id == a3).updates[-1].by == \
        "analyst"
    r = analyst.post("/api/v1/submissions", {"rows": [
        {"indicator": "incidents", "unit": "A1", "period": "2024-10", "value": 3}]})
    assert r.status_code == 403 and "writes only plans" in r.json()["detail"]
    reader = TokenCaller(site, accounts.create_api_token(site, "analyst", "read"))
    r = reader.post("/api/v1/priorities/P1/stocktakes", {**meeting, "held_on": "2025-02-20"})
    assert r.status_code == 403 and "read-only" in r.json()["detail"]
    assert [s["held_on"] for s in stocktake_overview(site, "P1").stocktakes] == [
        "2024-10-15", "2025-01-20"]


def test_a_routines_token_follows_its_accounts_current_role_and_priorities(site):
    """An owner's token writes their own priority's plan only; when the account owns
    another priority instead, the same token writes that one and not the first; demoted to
    executive, the token is refused (and says why); revoked, it is unknown."""
    plan = {"plan": as_json(doc("plan.yaml")) | {"summary": "Faster"}, "reason": "r"}
    token = accounts.create_api_token(site, "owner", "routines")
    owner = TokenCaller(site, token)
    assert owner.post("/api/v1/priorities/P1/plan", plan).status_code == 200
    r = owner.post("/api/v1/priorities/P2/plan", plan)
    assert r.status_code == 403 and "P2 is not one of them" in r.json()["detail"]
    accounts.set_role(site, "owner", "owner", priorities=["P2"])
    r = owner.post("/api/v1/priorities/P1/plan", {**plan, "reason": "again"})
    assert r.status_code == 403 and "P1 is not one of them" in r.json()["detail"]
    assert owner.post("/api/v1/priorities/P2/plan", plan).status_code == 200
    accounts.set_role(site, "owner", "executive")
    r = owner.get("/api/v1/priorities/P1/plan")
    assert r.status_code == 403
    assert "is now an executive, who does not write plans" in r.json()["detail"]
    assert (show_plan(site, "P1").version, show_plan(site, "P2").version) == (2, 1)
    # Listed with the others, and revoked like them.
    [listed] = accounts.list_api_tokens(site, "owner")
    assert (listed.scope, listed.revoked_at) == ("routines", None)
    accounts.revoke_api_token(site, "owner", listed.id, by="admin")
    accounts.set_role(site, "owner", "owner", priorities=["P1"])
    assert owner.get("/api/v1/priorities/P1/plan").status_code == 401


@pytest.mark.parametrize("role", ["provider", "executive"])
def test_only_roles_that_write_routines_get_a_routines_token(site, role):
    with pytest.raises(accounts.AccountInvalid, match="'routines' token is for admins"):
        accounts.create_api_token(site, role, "routines")
    assert accounts.list_api_tokens(site, role) == []
