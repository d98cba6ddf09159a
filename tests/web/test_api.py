"""The REST API: status, series, quality, observations (paged) and submissions, with
sessions and API tokens, against numbers worked out by hand or by another service."""

import json

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import select

from stocktake.intake.service import submit_file, submit_rows
from stocktake.services.admin import accounts
from stocktake.services.data.model_service import load_model
from stocktake.store import schema
from stocktake.store.observations import latest
from stocktake.web import api, auth
from stocktake.web.app import create_app

from .conftest import signed_in_session

MONTHS = ("2024-01", "2024-02", "2024-03")


pytestmark = pytest.mark.usefixtures("cheap_hashing")  # tests/conftest.py


@pytest.fixture
def site(engine, small_model_dir):
    load_model(engine, small_model_dir, loaded_by="t")
    rows = [(i, u, f"2024-{m:02d}", v) for m in (1, 2, 3)
            for u, n, p in [("A1", 30 + m, 350000), ("A2", 20, 250000), ("B1", 40, 400000)]
            for i, v in (("incidents", n), ("population", p))]
    submit_rows(engine, rows, submitter="t")
    return engine


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def analyst(engine):
    return TestClient(create_app(engine),
                      cookies={auth.SESSION_COOKIE: signed_in_session(engine, "analyst")})


def stored(engine):
    with engine.connect() as conn:
        return {(r["indicator"], r["unit"], r["period"]): r["value"]
                for r in latest(conn).iter_rows(named=True)}


# -- reading ----------------------------------------------------------------------------


def test_status_and_series_give_the_figures_worked_out_by_hand(site):
    client = analyst(site)
    status = client.get("/api/v1/status", params={"priority": "P1"})
    assert status.status_code == 200
    p = status.json()["priorities"][0]
    # 2024-03: (33 + 20 + 40) / 1,000,000 x 100,000 = 9.3; on the linear trajectory from
    # 10.0 (2024-01) to 8.0 (2025-12): 10 - 2 x 2/23 = 9.8261.
    assert p["latest"] == pytest.approx({"period": "2024-03", "value": 9.3, "coverage": 1.0,
                                         "source": p["latest"]["source"]})
    assert p["expected"] == pytest.approx(10 - 4 / 23)
    assert {u["unit"] for u in p["units"]} == {"A", "B"}
    series = client.get("/api/v1/series/incident_rate", params={"unit": "A"}).json()
    by_period = {pt["period"]: pt["value"] for pt in series["points"]}
    # Province A, 2024-02: (32 + 20) / 600,000 x 100,000 = 8.6667.
    assert by_period["2024-02"] == pytest.approx(52 / 6)
    default = client.get("/api/v1/series/incidents").json()
    assert default["unit"]["code"] == "N"
    assert {pt["period"]: pt["value"] for pt in default["points"]}["2024-01"] == 91
    quality = client.get("/api/v1/quality", params={"unit": "A"}).json()
    assert {r["unit"] for r in quality["units"]} <= {"A", "A1", "A2"}


@pytest.mark.slow
def test_bad_parameters_say_what_is_wrong(site):
    client = analyst(site)
    # An unknown priority is not found (404, with the closest code), a bad parameter 422.
    cases = [("/api/v1/status?priority=NOPE", 404, "NOPE"),
             ("/api/v1/status?as_of=yesterday", 422, "as_of='yesterday'"),
             ("/api/v1/series/nope", 404, "no indicator 'nope'"),
             ("/api/v1/series/incidents?unit=Z9", 404, "Z9"),
             ("/api/v1/observations?unit=Z9", 422, "unit: unknown code(s) Z9"),
             ("/api/v1/observations?period_from=2024-13", 422, "period_from"),
             ("/api/v1/observations?cursor=zz", 422, "cursor='zz'"),
             ("/api/v1/observations?limit=0", 422, "limit")]
    for url, code, words in cases:
        r = client.get(url)
        assert r.status_code == code, url
        assert words in r.text, (url, r.text)


def test_paging_walks_every_row_exactly_once_in_one_vintage(site):
    client = analyst(site)
    expected = stored(site)
    assert len(expected) == 18  # 3 months x 3 regions x 2 indicators
    seen, pages = [], 0
    url = "/api/v1/observations?limit=5"
    while url:
        page = client.get(url).json()
        pages += 1
        assert page["total"] == 18
        seen += [(o["indicator"], o["unit"], o["period"], o["value"])
                 for o in page["observations"]]
        if pages == 1:  # a revision arriving mid-walk must not shift or change the pages
            submit_rows(site, [("population", "B1", "2024-03", 399999),
                               ("population", "A1", "2023-12", 350000)], submitter="t")
        url = page["next"]
    assert pages == 4
    assert len(seen) == len(set(seen)) == 18
    assert {(i, u, p): v for i, u, p, v in seen} == expected
    # By offset: the same rows, in the same order, once the pinned vintage is given.
    first = client.get("/api/v1/observations?limit=7&offset=0").json()
    assert first["next"] and "offset=7" in first["next"] and "cursor" not in first["next"]
    rest = client.get(first["next"]).json()
    assert rest["observations"][0]["indicator"] == "incidents" and rest["offset"] == 7


@pytest.mark.slow
def test_observations_filter_by_indicator_unit_and_periods(site):
    page = analyst(site).get("/api/v1/observations", params={
        "indicator": "incidents", "unit": ["A1", "B1"], "period_from": "2024-02",
        "period_to": "2024-03"}).json()
    got = {(o["unit"], o["period"]): o["value"] for o in page["observations"]}
    assert got == {("A1", "2024-02"): 32, ("A1", "2024-03"): 33,
                   ("B1", "2024-02"): 40, ("B1", "2024-03"): 40}
    assert page["next"] is None and page["total"] == 4


# -- who may do what --------------------------------------------------------------------


def test_anonymous_callers_get_401_and_read_only_tokens_cannot_post(site):
    client = TestClient(create_app(site))
    for method, url in [("GET", "/api/v1/status"), ("GET", "/api/v1/observations"),
                        ("POST", "/api/v1/submissions")]:
        r = client.request(method, url)
        assert r.status_code == 401, url
        assert r.headers["www-authenticate"].startswith("Bearer")
    signed_in_session(site, "analyst")
    read = accounts.create_api_token(site, "analyst", "read")
    assert client.get("/api/v1/status", headers=bearer(read)).status_code == 200
    before = stored(site)
    r = client.post("/api/v1/submissions", headers=bearer(read),
                    json={"rows": [{"indicator": "incidents", "unit": "A1",
                                    "period": "2024-03", "value": 1}]})
    assert r.status_code == 403 and "read-only" in r.json()["detail"]
    assert stored(site) == before
    assert client.get("/api/v1/status", headers=bearer("stocktake_nope")).status_code == 401


def test_a_unit_token_submits_for_its_unit_and_is_refused_for_another(site, tmp_path):
    signed_in_session(site, "provider")  # a provider for province A
    token = accounts.create_api_token(site, "provider", "unit:A")
    client = TestClient(create_app(site), headers=bearer(token))
    rows = [{"indicator": "incidents", "unit": "A1", "period": "2024-04", "value": 29},
            {"indicator": "population", "unit": "A1", "period": "2024-04", "value": "350000"}]
    r = client.post("/api/v1/submissions", json={"rows": rows, "reason": "April"})
    body = r.json()
    assert r.status_code == 200 and body["accepted"] and body["added"] == 2
    assert body["batch"] and isinstance(body["findings"], list)
    assert stored(site)[("incidents", "A1", "2024-04")] == 29

    before = stored(site)
    other = [{"indicator": "incidents", "unit": "B1", "period": "2024-04", "value": 41}]
    r = client.post("/api/v1/submissions", json={"rows": other})
    assert r.status_code == 422
    body = r.json()
    assert body["accepted"] is False and body["batch"] is None
    assert [(f["row"], f["column"], f["check"]) for f in body["findings"]] == [
        (2, "unit", "outside_scope")]
    assert stored(site) == before  # nothing stored

    # The same findings as the CLI's submit of the same rows as a file, scoped to A.
    path = tmp_path / "bad.csv"
    path.write_text("indicator,unit,period,value\nincidents,B1,2024-04,41\n"
                    "incidents,A2,2024-13,x\n")
    cli = submit_file(site, path, submitter="t", scope="A").to_dict()["findings"]
    r = client.post("/api/v1/submissions", json={"rows": [
        {"indicator": "incidents", "unit": "B1", "period": "2024-04", "value": 41},
        {"indicator": "incidents", "unit": "A2", "period": "2024-13", "value": "x"}]})
    assert r.status_code == 422
    assert [(f["row"], f["check"], f["message"]) for f in r.json()["findings"]] == [
        (f["row"], f["check"], f["message"]) for f in cli]
    assert len(cli) >= 3

    # A file upload goes the same way; reading is limited to the remit.
    upload = (b"indicator,unit,period,value\nincidents,A2,2024-04,21\n"
              b"population,A2,2024-04,250000\n")
    r = client.post("/api/v1/submissions", files={"file": ("april.csv", upload, "text/csv")},
                    data={"reason": "April, A2"})
    assert r.status_code == 200 and r.json()["accepted"] and r.json()["format"] == "csv_long"
    assert stored(site)[("incidents", "A2", "2024-04")] == 21
    assert client.get("/api/v1/status").status_code == 403  # priority-wide: not for providers
    units = {o["unit"] for o in client.get("/api/v1/observations?limit=1000").json()[
        "observations"]}
    assert units == {"A1", "A2"}
    assert client.get("/api/v1/observations?unit=B1").status_code == 403
    assert client.get("/api/v1/series/incidents?unit=B").status_code == 403
    assert client.get("/api/v1/series/incidents").json()["unit"]["code"] == "A"
    assert client.get("/api/v1/quality?unit=N").status_code == 403


def test_an_uploaded_file_is_read_in_slices_as_the_cli_reads_it(site, monkeypatch):
    """An upload goes to a file and through submit_file: read a slice at a time (never
    whole in memory), with the file's name as its source; an unreadable one is refused
    with the line named, and stores nothing."""
    from stocktake.intake import formats, service

    monkeypatch.setattr(formats, "SLICE_ROWS", 4)
    slices = []
    check = service.RowChecker.check
    monkeypatch.setattr(service.RowChecker, "check",
                        lambda self, part: slices.append(part.height) or check(self, part))
    signed_in_session(site, "analyst")
    client = TestClient(create_app(site),
                        headers=bearer(accounts.create_api_token(site, "analyst", "unit:N")))
    lines = [f"{i},{u},2024-{m:02d},{v}" for m in (4, 5, 6, 7, 8)
             for u, n, p in [("A1", 30, 350000), ("A2", 20, 250000), ("B1", 40, 400000)]
             for i, v in (("incidents", n + m), ("population", p))]
    body = ("indicator,unit,period,value\n" + "\n".join(lines) + "\n").encode()
    r = client.post("/api/v1/submissions", files={"file": ("../may.csv", body, "text/csv")})
    assert r.status_code == 200 and r.json()["accepted"], r.json()
    assert r.json()["added"] == len(lines) == 30 and len(slices) > 3 and sum(slices) == 30
    with site.connect() as conn:
        assert conn.execute(select(schema.batches.c.source).order_by(
            schema.batches.c.id.desc())).scalars().first() == "may.csv"
    assert stored(site)[("incidents", "B1", "2024-08")] == 48

    # A name no file may have (over 255 bytes) is stored under "upload" and its suffix.
    june = body.replace(b"2024-08,", b"2024-09,").replace(b"2024-0", b"2025-0")
    r = client.post("/api/v1/submissions", files={"file": ("x" * 300 + ".csv", june, "text/csv")})
    assert r.status_code == 200 and r.json()["accepted"], r.json()
    with site.connect() as conn:
        assert conn.execute(select(schema.batches.c.source).order_by(
            schema.batches.c.id.desc())).scalars().first() == "upload.csv"

    before = stored(site)
    bad = b"indicator,unit,period,value\nincidents,A1,2024-09,31\nincidents,A2,2024-09,2\xff\n"
    r = client.post("/api/v1/submissions", files={"file": ("..", bad, "text/csv")})
    assert r.status_code == 422 and not r.json()["accepted"]
    assert "line 3" in r.json()["findings"][0]["message"], r.json()["findings"]
    assert stored(site) == before


def test_bad_submission_bodies_are_refused_clearly(site):
    signed_in_session(site, "analyst")
    client = TestClient(create_app(site),
                        headers=bearer(accounts.create_api_token(site, "analyst", "unit:N")))
    for body, words in [({"rows": "no"}, '"rows"'), ({"rows": [{"indicator": "x"}]},
                                                    "rows[0] has no unit, period, value"),
                        ({"rows": [], "partial": "yes"}, '"partial"')]:
        r = client.post("/api/v1/submissions", json=body)
        assert r.status_code == 422 and words in r.json()["detail"], body
    r = client.post("/api/v1/submissions", content=b"indicator,unit", headers={
        "content-type": "text/csv"})
    assert r.status_code == 415
    r = client.post("/api/v1/submissions", json={"rows": []})
    assert r.status_code == 422 and r.json()["findings"][0]["check"] == "no_rows"


def test_a_session_submits_with_its_csrf_header(site):
    token = signed_in_session(site, "analyst")
    client = TestClient(create_app(site), cookies={auth.SESSION_COOKIE: token})
    rows = {"rows": [{"indicator": "incidents", "unit": "B1", "period": "2024-04",
                      "value": 38}]}
    assert client.post("/api/v1/submissions", json=rows).status_code == 403  # no CSRF token
    csrf = accounts.resume_session(site, token).csrf_token
    r = client.post("/api/v1/submissions", json=rows, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["accepted"]


# -- the description ----------------------------------------------------------------------


@pytest.mark.slow
def test_openapi_describes_every_endpoint_and_the_docs_page_loads_nothing_from_outside(
        site, monkeypatch):
    app = create_app(site)
    client = analyst(site)
    doc = client.get("/api/v1/openapi.json").json()
    for path, method in [("/api/v1/status", "get"), ("/api/v1/series/{indicator}", "get"),
                         ("/api/v1/quality", "get"), ("/api/v1/observations", "get"),
                         ("/api/v1/submissions", "post")]:
        op = doc["paths"][path][method]
        assert op["summary"] and op["description"], path
    params = {p["name"] for p in doc["paths"]["/api/v1/observations"]["get"]["parameters"]}
    assert params == {"indicator", "unit", "period_from", "period_to", "as_of", "limit",
                      "cursor", "offset"}
    body = doc["paths"]["/api/v1/submissions"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "multipart/form-data"}

    @app.get("/test-docs")
    def test_docs(request: Request):
        return api.render_api_docs(app, request, app.state.templates)  # the app's own

    monkeypatch.setitem(auth.PERMISSIONS, "test_docs", auth.SIGNED_IN)
    html = TestClient(app, cookies={
        auth.SESSION_COOKIE: signed_in_session(site, "analyst")}).get("/test-docs").text
    assert "<script" not in html and "cdn" not in html.lower() and "https://" not in html
    for text in ("GET /api/v1/observations", "POST /api/v1/submissions",
                 "GET /api/v1/series/{indicator}", "period_from", "Stored values, filtered"):
        assert text in html, text


def test_the_document_lists_the_api_only_with_every_error_in_one_shape(site):
    """The pages and their forms are not API operations; every operation documents the
    guard's 401 and 403, a 404 and a 422, each with the body the one handler sends."""
    doc = analyst(site).get("/api/v1/openapi.json").json()
    assert doc["paths"] and all(p.startswith("/api/v1/") for p in doc["paths"])
    assert {"/api/v1/priorities/{code}/plan", "/api/v1/actions",
            "/api/v1/alerts/{alert}/review"} <= set(doc["paths"])
    assert "HTTPValidationError" not in json.dumps(doc)
    error = {"$ref": "#/components/schemas/ErrorOut"}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            for code in ("401", "403", "404", "422"):
                schema = op["responses"][code]["content"]["application/json"]["schema"]
                assert schema == error or error in schema.get("anyOf", []), (method, path, code)
    assert doc["components"]["schemas"]["ErrorOut"]["required"] == ["detail"]
    assert set(doc["components"]["securitySchemes"]) == {"token", "session"}
