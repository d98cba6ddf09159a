"""How the web answers a failure: a user's error (NotFound, Invalid ...) with its kind's
status and every problem, as a page or as JSON under /api/; a form that re-renders itself
with its problems; our own error as a 500 with a request id that the log also has, never a
traceback in the page and never a misleading 404. And every route on a feature router."""

import logging
import re
import sys

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from stocktake.errors import Invalid, NotFound, Problem
from stocktake.intake.service import submit_rows
from stocktake.services.admin import accounts
from stocktake.services.data.model_service import load_model
from stocktake.services.reading import overview, status
from stocktake.services.routines import plans
from stocktake.web import app as web_app
from stocktake.web import auth
from stocktake.web.app import create_app
from stocktake.web.delivery_pages import problems_of

from .conftest import signed_in_session

pytestmark = pytest.mark.usefixtures("cheap_hashing")  # tests/conftest.py


@pytest.fixture
def site(engine, small_model_dir):
    load_model(engine, small_model_dir, loaded_by="t")
    rows = [(i, u, f"2024-{m:02d}", v) for m in range(1, 10)
            for u, n, p in [("A1", 31 - m, 350000), ("A2", 20 + m % 3, 250000),
                            ("B1", 39 - m % 4, 400000)]
            for i, v in (("incidents", n), ("population", p))]
    submit_rows(engine, rows, submitter="t")
    return engine


def client_of(app, engine, role="analyst"):
    # raise_server_exceptions=False: see the 500 a browser would see, not the exception.
    return TestClient(app, raise_server_exceptions=False,
                      cookies={auth.SESSION_COOKIE: signed_in_session(engine, role)})


def csrf(engine, client):
    return accounts.resume_session(engine, client.cookies[auth.SESSION_COOKIE]).csrf_token


# -- the user's errors --------------------------------------------------------------------


@pytest.mark.slow
def test_an_unknown_priority_is_a_404_page_with_the_closest_code(site):
    client = client_of(create_app(site), site)
    for path in ("/priorities/P11", "/priorities/P11/plan", "/priorities/P11/chain",
                 "/priorities/P11/assessments"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert "text/html" in r.headers["content-type"]
        assert "no priority &#39;P11&#39; (did you mean &#39;P1&#39;?)" in r.text, path
        assert "<h1>Not found</h1>" in r.text
    # Nothing close: no hint.
    assert "did you mean" not in client.get("/priorities/ZZZZ").text


def test_an_unknown_code_on_the_api_is_a_404_in_json_with_the_closest_code(site):
    r = client_of(create_app(site), site).get("/api/v1/series/incident")
    assert r.status_code == 404
    assert r.json() == {"detail": "no indicator 'incident' (did you mean 'incidents'?)",
                        "problems": ["no indicator 'incident' (did you mean 'incidents'?)"]}


@pytest.mark.slow
def test_every_problem_of_an_invalid_is_listed_on_a_page_and_in_json(site, monkeypatch):
    app = create_app(site)
    error = Invalid([Problem("required", where="owner"), Problem("not a date", where="due")],
                    source="plan.yaml")

    @app.get("/broken-form")
    def broken_form():
        raise error

    @app.get("/api/v1/broken-form")
    def api_broken_form():
        raise error

    monkeypatch.setitem(auth.PERMISSIONS, "broken_form", auth.SIGNED_IN)
    monkeypatch.setitem(auth.PERMISSIONS, "api_broken_form", auth.SIGNED_IN)
    client = client_of(app, site)
    page = client.get("/broken-form")
    assert page.status_code == 422
    assert "plan.yaml: 2 problems:" in page.text
    assert "<li>owner: required</li><li>due: not a date</li>" in page.text
    api = client.get("/api/v1/broken-form")
    assert api.status_code == 422
    assert api.json()["problems"] == ["owner: required", "due: not a date"]
    assert api.json()["detail"].startswith("plan.yaml: 2 problems:")


def test_a_form_shows_an_invalid_upload_beside_itself_and_stores_nothing(site):
    client = client_of(create_app(site), site)
    token = csrf(site, client)
    r = client.post("/priorities/P1/plan", data={"csrf_token": token, "reason": "x"},
                    files={"plan": ("plan.yaml", b"- a list\n- not a plan\n")})
    assert r.status_code == 400
    assert 'action="/priorities/P1/plan"' in r.text  # the form itself, not an error page
    assert "a plan is a mapping (summary, interventions, milestones ...), not a list" in r.text
    with pytest.raises(NotFound):  # still no plan stored
        plans.show_plan(site, "P1")


def test_a_form_lists_each_problem_of_a_refused_document(site):
    client = client_of(create_app(site), site)
    r = client.post("/priorities/P1/stocktakes", data={
        "csrf_token": csrf(site, client), "held_on": "not a date",
        "action_text_1": "Recruit staff"})  # no owner, no due date
    assert r.status_code == 400
    problems = re.findall(r"<li>([^<]*)</li>", r.text.split('id="problems"')[1]
                          .split("</ul>")[0])
    assert len(problems) >= 2, problems
    assert any(p.startswith("held_on") for p in problems)
    assert any(p.startswith("Action row 1") for p in problems)


def test_problems_of_gives_each_problem_with_where_it_is():
    assert problems_of(Invalid([Problem("required", "owner"), "empty"])) == [
        "owner: required", "empty"]
    assert problems_of(NotFound("no plan 'P9'")) == ["no plan 'P9'"]


# -- our errors -----------------------------------------------------------------------------


def test_an_internal_error_is_a_500_with_a_request_id_that_the_log_also_has(
        site, monkeypatch, caplog):
    app = create_app(site)

    @app.get("/fails")
    def fails():
        raise RuntimeError("the disk is on fire")

    @app.get("/api/v1/fails")
    def api_fails():
        raise RuntimeError("the disk is on fire")

    monkeypatch.setitem(auth.PERMISSIONS, "fails", auth.SIGNED_IN)
    monkeypatch.setitem(auth.PERMISSIONS, "api_fails", auth.SIGNED_IN)
    client = client_of(app, site)
    with caplog.at_level(logging.ERROR, logger="stocktake.web"):
        page = client.get("/fails")
        api = client.get("/api/v1/fails")
    assert page.status_code == 500 and api.status_code == 500
    page_id = re.search(r"request id: ([0-9a-f]+)", page.text).group(1)
    api_id = api.json()["request_id"]
    assert page_id != api_id
    assert page.headers["x-request-id"] == page_id and api.headers["x-request-id"] == api_id
    assert api_id in api.json()["detail"]
    assert "went wrong on our side" in page.text and "went wrong" in api.json()["detail"]
    for body in (page.text, api.text):
        assert "Traceback" not in body and "disk is on fire" not in body
    for rid in (page_id, api_id):
        [record] = [r for r in caplog.records if rid in r.getMessage()]
        assert record.exc_info and "disk is on fire" in str(record.exc_info[1])


@pytest.mark.slow
def test_a_failing_priority_page_is_a_500_not_no_such_priority(site, monkeypatch, caplog):
    def broken(*args, **kwargs):  # what a numpy error inside the service looks like
        raise ValueError("operands could not be broadcast together with shapes (3,) (4,)")

    monkeypatch.setattr(overview, "unit_readings", broken)
    client = client_of(create_app(site), site)
    with caplog.at_level(logging.ERROR, logger="stocktake.web"):
        r = client.get("/priorities/P1")
    assert r.status_code == 500
    assert "no priority" not in r.text and "Not found" not in r.text
    rid = re.search(r"request id: ([0-9a-f]+)", r.text).group(1)
    assert any(rid in rec.getMessage() for rec in caplog.records)


def broadcast_error(*args, **kwargs):  # what a numpy error inside a service looks like
    raise ValueError("operands could not be broadcast together with shapes (3,) (4,)")


@pytest.mark.parametrize("path", ["/priorities/P1", "/api/v1/status?priority=P1"])
def test_a_value_error_inside_a_service_is_a_500_never_a_404_or_422(site, monkeypatch, caplog,
                                                                    path):
    # The status once read any ValueError from the trajectory as "refused at load time",
    # and the API answered a service's ValueError with a 422: both hid a bug.
    monkeypatch.setattr(status, "trajectory_of", broadcast_error)
    client = client_of(create_app(site), site)
    with caplog.at_level(logging.ERROR, logger="stocktake.web"):
        r = client.get(path)
    assert r.status_code == 500
    rid = r.headers["x-request-id"]
    if path.startswith("/api/"):
        assert set(r.json()) == {"detail", "request_id"} and r.json()["request_id"] == rid
        assert rid in r.json()["detail"]
    else:
        assert "text/html" in r.headers["content-type"]
        assert f"request id: {rid}" in r.text
        assert "Not found" not in r.text and "Not accepted" not in r.text
    assert "broadcast" not in r.text and "Traceback" not in r.text
    [record] = [rec for rec in caplog.records if rid in rec.getMessage()]
    assert "broadcast" in str(record.exc_info[1])


def test_a_value_error_reading_the_plan_is_a_500_not_no_plan_yet(site, monkeypatch):
    # The plan page shows "no plan yet" for the user's NotFound, and only for that.
    client = client_of(create_app(site), site)
    assert client.get("/priorities/P1/plan").status_code == 200
    monkeypatch.setattr(plans, "show_plan", broadcast_error)
    r = client.get("/priorities/P1/plan")
    assert r.status_code == 500 and f"request id: {r.headers['x-request-id']}" in r.text


# -- the shape of the app ---------------------------------------------------------------------


def test_every_route_is_a_module_level_function_on_a_feature_router(engine):
    app = create_app(engine)
    routes = [r for r in auth.routes_of(app) if not isinstance(r, Mount)]
    # A feature router may include another (api includes api_routines): its routes count.
    on_routers = [c.original_route for router in web_app.ROUTERS
                  for c in iter_route_contexts(router.routes)]
    assert {id(r) for r in routes} == {id(r) for r in on_routers}
    for route in routes:
        endpoint = route.endpoint
        assert "<locals>" not in endpoint.__qualname__, route.name
        assert getattr(sys.modules[endpoint.__module__], endpoint.__name__) is endpoint


# -- requests that gave a 500 (issue #15, item 7) -----------------------------------------


def test_an_offset_beyond_64_bits_is_a_422_naming_offset(site):
    r = client_of(create_app(site), site).get("/api/v1/observations",
                                              params={"offset": 2**63})
    assert r.status_code == 422
    assert r.json()["detail"].startswith("offset: ")
    assert r.json()["problems"] == [r.json()["detail"]]


def test_json_nested_5000_deep_is_a_422_and_stores_nothing(site):
    client = client_of(create_app(site), site)
    before = client.get("/api/v1/observations").json()["total"]
    for body in ("[" * 5000 + "]" * 5000,
                 '{"rows": ' + '{"a": ' * 5000 + "1" + "}" * 5001):
        r = client.post("/api/v1/submissions", content=body,
                        headers={"content-type": "application/json",
                                 auth.CSRF_HEADER: csrf(site, client)})
        assert r.status_code == 422, r.text
        assert r.json()["detail"] == "the body is not valid JSON: nested too deeply"
    assert client.get("/api/v1/observations").json()["total"] == before


@pytest.mark.parametrize("path", ["/account/tokens/{big}/revoke",
                                  "/admin/users/analyst/tokens/{big}/revoke"])
def test_a_token_id_beyond_64_bits_on_revoke_is_a_422_page(site, path):
    client = client_of(create_app(site), site, role="admin")
    signed_in_session(site, "analyst")
    r = client.post(path.format(big=10**25), data={"csrf_token": csrf(site, client)},
                    follow_redirects=False)
    assert r.status_code == 422
    assert "text/html" in r.headers["content-type"]
    assert "token_id" in r.text and "<h1>Not accepted</h1>" in r.text


@pytest.mark.parametrize("path", ["/priorities/P1/stocktakes?saved=abc",
                                  "/priorities/P1/plan?saved=abc",
                                  "/priorities/P1/plan?version=1.5"])
def test_a_malformed_query_parameter_on_a_page_is_a_422_page_naming_it(site, path):
    r = client_of(create_app(site), site).get(path)
    assert r.status_code == 422
    assert "text/html" in r.headers["content-type"]  # a page, not FastAPI's JSON
    name = path.split("?")[1].split("=")[0]
    assert f"{name}: " in r.text and "<h1>Not accepted</h1>" in r.text


def test_a_malformed_query_parameter_on_the_api_has_the_one_error_shape(site):
    r = client_of(create_app(site), site).get("/api/v1/observations",
                                              params={"limit": "many", "offset": -1})
    assert r.status_code == 422
    body = r.json()
    assert set(body) == {"detail", "problems"}
    assert body["detail"].startswith("2 problems:")
    assert [p.split(":")[0] for p in body["problems"]] == ["limit", "offset"]
