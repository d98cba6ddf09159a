"""The alerts on the web (TestClient on a real SQLite world with a planted ratio shift):
the alerts page and its filters, the priority and data-quality pages showing them, the
review form, and who may review."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from stocktake.services.admin import accounts, audit
from stocktake.services.reading.alerts import alerts
from stocktake.services.reading.snapshot import Snapshot
from stocktake.web import auth
from stocktake.web.app import create_app

from ..services.test_alerts import PLANTED, planted_world

PW = "correct horse battery"


@pytest.fixture
def site(engine, tmp_path):
    planted_world(engine, tmp_path / "model")
    for role, extra in (("analyst", {}), ("executive", {}), ("provider", {"unit": "R1"})):
        accounts.create_user(engine, role, role, PW, **extra)
    return engine


def client_as(engine, role: str) -> tuple[TestClient, str]:
    session = accounts.start_session(engine, role)
    client = TestClient(create_app(engine))
    client.cookies.set(auth.SESSION_COOKIE, session.token)
    return client, session.csrf_token


def planted(engine):
    return next(a for a in alerts(Snapshot(engine)).alerts if a.kind == "ratio_shift")


@pytest.mark.slow
def test_the_alerts_page_shows_the_planted_alert_and_filters(site):
    client, _ = client_as(site, "executive")
    a = planted(site)
    page = client.get("/alerts")
    assert page.status_code == 200
    assert f'id="alert-{a.id}"' in page.text and "Region 3 records" in page.text
    assert "Record</button>" not in page.text  # an executive reads, does not review
    other = client.get("/alerts?unit=R5")
    assert other.status_code == 200 and f'id="alert-{a.id}"' not in other.text
    assert client.get("/alerts?priority=NOPE").status_code == 404


@pytest.mark.slow
def test_the_api_answers_as_the_cli(site):
    client, _ = client_as(site, "executive")
    body = client.get(f"/api/v1/alerts?unit={PLANTED}").json()
    assert list(body) == ["alerts"] and body["alerts"][0]["unit"] == PLANTED


@pytest.mark.slow
def test_the_priority_and_quality_pages_show_the_alerts(site):
    client, _ = client_as(site, "analyst")
    a = planted(site)
    for path in ("/priorities/CRIME", "/data/quality"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert "Can we trust these numbers?" in page.text and f"alert-{a.id}" in page.text


@pytest.mark.slow
def test_the_unit_page_shows_the_alerts_raised_there_and_no_others(site):
    client, _ = client_as(site, "analyst")
    a = planted(site)
    page = client.get(f"/units/{PLANTED}")
    assert page.status_code == 200
    assert "Can we trust these numbers?" in page.text and f"alert-{a.id}" in page.text
    other = client.get("/units/R5")
    assert other.status_code == 200 and f"alert-{a.id}" not in other.text
    assert "No alerts" in other.text


@pytest.mark.slow
def test_an_analyst_reviews_from_the_page_and_the_history_shows(site):
    client, csrf = client_as(site, "analyst")
    a = planted(site)
    r = client.post(f"/alerts/{a.id}/review", data={
        "csrf_token": csrf, "status": "explained", "note": "new recording standard",
        "next": "/priorities/CRIME"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/priorities/CRIME#alert-{a.id}"
    page = client.get("/alerts").text
    row = re.search(rf'<tr id="alert-{a.id}">.*?</tr>', page, re.S).group(0)
    assert "<strong>explained</strong>" in row and "new recording standard" in row
    assert planted(site).status == "explained"


@pytest.mark.slow
def test_a_bad_review_is_refused_and_nothing_is_recorded(site):
    client, csrf = client_as(site, "analyst")
    a = planted(site)
    r = client.post(f"/alerts/{a.id}/review", data={"csrf_token": csrf, "status": "closed",
                                                    "note": "x"})
    assert r.status_code == 422 and "is not a status of an alert" in r.text
    r = client.post("/alerts/nope/review", data={"csrf_token": csrf, "status": "confirmed",
                                                 "note": "x"})
    assert r.status_code == 404
    assert planted(site).history == ()
    assert audit.read_log(site, action="alert_reviewed") == []


@pytest.mark.slow
def test_a_review_is_in_the_audit_log_with_who_and_from_where(site):
    client, csrf = client_as(site, "analyst")
    a = planted(site)
    r = client.post(f"/alerts/{a.id}/review", data={
        "csrf_token": csrf, "status": "confirmed", "note": "down-coding found",
        "next": "/alerts"}, follow_redirects=False)
    assert r.status_code == 303
    (entry,) = audit.read_log(site, action="alert_reviewed")
    assert (entry.actor, entry.subject, entry.ip) == ("analyst", a.id, "testclient")
    assert entry.detail == {"status": "confirmed", "unit": a.unit, "kind": a.kind}


@pytest.mark.slow
@pytest.mark.parametrize("role, status", [("executive", 403), ("provider", 403)])
def test_only_analysts_and_admins_may_review(site, role, status):
    client, csrf = client_as(site, role)
    a = planted(site)
    r = client.post(f"/alerts/{a.id}/review", data={
        "csrf_token": csrf, "status": "confirmed", "note": "x"}, follow_redirects=False)
    assert r.status_code == status
    assert planted(site).history == ()


@pytest.mark.slow
def test_providers_do_not_see_the_alerts_page(site):
    client, _ = client_as(site, "provider")
    assert client.get("/alerts", follow_redirects=False).status_code == 403
