"""Commitments and escalation on the web (TestClient on real databases): the commitments
page with its filters and paging, the public tracker (published commitments only, search,
CSV), and the role rules: only analysts and admins change a status, an intensity or a
review; the public sees only what is published, and never who changed it."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from stocktake.services.admin import accounts
from stocktake.services.routines.commitments import commitments_report, load_commitments
from stocktake.services.routines.escalation import escalation
from stocktake.web import auth
from stocktake.web.app import create_app

from ..services.test_commitments import EXAMPLE, T0
from ..services.test_commitments import world as world  # noqa: F401  (the fixture)

PW = "correct horse battery"
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # pages alike on PG


pytestmark = pytest.mark.usefixtures("cheap_hashing")  # tests/conftest.py


@pytest.fixture
def site(world):  # noqa: F811
    load_commitments(world, EXAMPLE, by="ana", at=T0)
    return world


EXTRA = {"owner": {"priorities": ["P1"]}, "provider": {"unit": "N"}}


def client_as(engine, role: str | None) -> tuple[TestClient, str]:
    client = TestClient(create_app(engine))
    if role is None:
        return client, ""
    accounts.create_user(engine, role, role, PW, **EXTRA.get(role, {}))  # one per role
    session = accounts.start_session(engine, role)
    client.cookies.set(auth.SESSION_COOKIE, session.token)
    return client, session.csrf_token


def test_page_filters_and_analyst_changes_status(site):
    client, csrf = client_as(site, "analyst")
    page = client.get("/commitments", params={"minister": "Minister of Health"})
    assert page.status_code == 200
    assert "Hire 100 nurses" in page.text and "Fix the roads" not in page.text
    assert 'action="/commitments/C1/status"' in page.text
    r = client.post("/commitments/C1/status", data={
        "status": "facing_challenges", "reason": "Recruitment stalled", "csrf_token": csrf},
        follow_redirects=False)
    assert r.status_code == 303
    c1 = next(c for c in commitments_report(site).commitments if c["code"] == "C1")
    assert (c1["status"], c1["history"][-1]["by"]) == ("facing_challenges", "analyst")
    refused = client.post("/commitments/C1/status", data={
        "status": "not_pursued", "reason": "", "csrf_token": csrf})
    assert refused.status_code == 422 and "needs a reason" in refused.text


def test_a_change_shows_at_once_though_the_pages_are_cached(site):
    """The commitments pages are read once per version of the commitments (web.cache): a
    second read is served from the cache, and a status change, or a load that publishes a
    commitment, shows on the very next read."""
    client, csrf = client_as(site, "analyst")
    public = client_as(site, None)[0]
    cache = client.app.state.commitments
    before = client.get("/commitments", params={"q": "C1"}).text
    assert "<td data-label=\"Status\">underway, on track</td>" in before
    assert "Reform the tax code" not in public.get("/public/commitments.html").text
    hits = cache.hits
    assert client.get("/commitments", params={"q": "C1"}).text == before
    assert cache.hits == hits + 1  # the second read came from the cache
    assert "Reform the tax code" not in public.get("/public/commitments.csv").text
    rows = list(csv.DictReader(EXAMPLE.open(encoding="utf-8")))
    for row in rows:
        row["public"] = "yes"
    load_commitments(site, rows, by="ana", at=T0)  # details only: no status moves
    assert "Reform the tax code" in public.get("/public/commitments.html").text
    assert "Reform the tax code" in public.get("/public/commitments.csv").text
    client.post("/commitments/C1/status", data={
        "status": "facing_challenges", "reason": "Recruitment stalled", "csrf_token": csrf})
    after = client.get("/commitments", params={"q": "C1"}).text
    assert "<td data-label=\"Status\">underway, facing challenges</td>" in after
    assert "Recruitment stalled" in after
    # the public tracker is cached too (in another app): the change shows there at once
    assert "underway, facing challenges" in public.get("/public/commitments.html").text


def test_only_analysts_change(site):
    for role in ("executive", "owner", "provider"):
        refused_to(site, role)


def refused_to(site, role: str) -> None:
    client, csrf = client_as(site, role)
    r = client.post("/commitments/C1/status", data={
        "status": "completed_fully", "reason": "x", "csrf_token": csrf})
    assert r.status_code == 403
    r = client.post("/priorities/P1/intensity", data={
        "level": "crisis", "reason": "x", "csrf_token": csrf})
    assert r.status_code == 403
    c1 = next(c for c in commitments_report(site).commitments if c["code"] == "C1")
    assert c1["status"] == "on_track" and escalation(site).priorities[0].level == "routine"
    if role != "provider":
        assert 'action="/commitments/C1/status"' not in client.get("/commitments").text


@SQLITE_ONLY
def test_intensity_and_review_on_the_web(site):
    client, csrf = client_as(site, "analyst")
    assert client.post("/priorities/P1/intensity", data={
        "level": "intensive", "reason": "Two quarters off track", "csrf_token": csrf},
        follow_redirects=False).status_code == 303
    client.post("/escalation/reviews", data={"priority": "P1", "scope": "Hiring",
                                             "team": "DU, Treasury", "csrf_token": csrf})
    client.post("/escalation/reviews/1/report", data={
        "findings": "Pay", "recommendations": "Raise pay | Treasury | 2030-01-31",
        "csrf_token": csrf})
    p = escalation(site).priorities[0]
    assert p.level == "intensive" and p.reviews[0]["stage"] == "reported"
    assert p.reviews[0]["team"] == ["DU", "Treasury"]
    page = client_as(site, "executive")[0].get("/escalation")
    assert "Two quarters off track" in page.text and "Raise pay" in page.text
    assert "/escalation/reviews/1/follow-up" not in page.text  # an executive reads only
    portfolio = client.get("/").text
    assert "Intensive support</a> · 1 open priority review<" in portfolio


@SQLITE_ONLY
def test_the_portfolio_follows_each_change_of_intensity_at_once(site):
    """The portfolio keeps its escalation beside its figures between changes: a change of
    intensity (audited) shows on the next request, without new data."""
    client, csrf = client_as(site, "analyst")
    assert "Intensive support</a>" not in client.get("/").text
    for level, shown in (("intensive", True), ("routine", False)):
        client.post("/priorities/P1/intensity", data={
            "level": level, "reason": f"now {level}", "csrf_token": csrf})
        assert ("Intensive support</a>" in client.get("/").text) is shown, level


def test_public_tracker_shows_published_only(site):
    client, _ = client_as(site, None)
    page = client.get("/public/commitments.html")
    assert page.status_code == 200
    assert "Hire 100 nurses" in page.text and "Open two clinics" in page.text
    assert "Reform the tax code" not in page.text and "Fix the roads" not in page.text
    assert "ana" not in page.text.split("<main")[1]  # who changed it is not public
    assert "Data as of" in page.text
    found = client.get("/public/commitments.html", params={"q": "clinics"})
    assert "Open two clinics" in found.text and "Hire 100 nurses" not in found.text
    rows = list(csv.DictReader(io.StringIO(client.get("/public/commitments.csv").text)))
    assert [r["code"] for r in rows] == ["C1", "C2"]
    # A minister with only unpublished commitments is not even suggested.
    bad = client.get("/public/commitments.html", params={"minister": "Minister of Finance"})
    assert bad.status_code == 422 and "Reform" not in bad.text
    assert client.get("/commitments", follow_redirects=False).status_code in (303, 401)


@SQLITE_ONLY
def test_paging_500(world, tmp_path):  # noqa: F811
    rows = [{"code": f"K{i:03d}", "text": f"Commitment {i}", "minister": f"M{i % 7}",
             "department": f"D{i % 5}", "public": "yes"} for i in range(500)]
    load_commitments(world, rows, by="ana", at=datetime(2024, 1, 5))
    client, _ = client_as(world, "analyst")
    page = client.get("/commitments", params={"page": 10})
    assert "Page 10 of 10" in page.text and "K499" in page.text and "K449" not in page.text
    public = client_as(world, None)[0].get("/public/commitments.html", params={"page": 2})
    assert "Commitment 50</th>" in public.text and "Commitment 49</th>" not in public.text
    assert "page 2 of 10" in public.text


@SQLITE_ONLY
def test_pages_with_content_pass_axe_in_a_browser(site, browser):
    """The three pages holding commitments, an escalation and a reported review (the
    accessibility test sees them empty): no serious or critical axe violation, desktop and
    phone; screenshots kept for a person to look at."""
    from stocktake.services.routines.escalation import (
        commission_review,
        report_review,
        set_intensity,
    )

    from .conftest import LiveServer, screenshot
    from .test_accessibility import DESKTOP, PHONE, axe_problems, blocking, open_as

    set_intensity(site, "P1", "crisis", reason="Off track", by="ana")
    n = commission_review(site, "P1", scope="Hiring", team=["DU"], by="ana").review["number"]
    report_review(site, n, findings="Pay", by="ana", recommendations=[
        {"text": "Raise pay", "owner": "Treasury", "due": "2020-01-31"}])
    found = []
    with LiveServer(create_app(site)) as server:
        for path, role in (("/commitments", "analyst"), ("/escalation", "analyst"),
                           ("/public/commitments.html", None)):
            # Phone width too where the layout changes (the tables become cards).
            sizes = ((DESKTOP, "desktop"), (PHONE, "phone")) if role else ((DESKTOP, "desktop"),)
            for size, name in sizes:
                page = open_as(browser, server, site, role, size)
                page.goto(server.url + path)
                found += blocking(axe_problems(page, f"{path} {name}"))
                screenshot(page, f"commitments-{path.strip('/').replace('/', '-')}-{name}")
                page.context.close()
    assert not found, "\n".join(map(str, found))


@SQLITE_ONLY
def test_the_published_site_carries_the_tracker_filtered_in_the_browser(site, browser,
                                                                          tmp_path):
    """`stocktake publish` writes the tracker as a static page (published commitments only,
    and their CSV), linked from the index; with no server behind it, its form filters the
    rows in the reader's browser."""
    from stocktake.web.public import publish_site

    written = publish_site(site, tmp_path / "site")
    assert {"commitments.html", "commitments.csv"} <= set(written["files"])
    index = (tmp_path / "site" / "index.html").read_text()
    assert 'href="commitments.html"' in index
    rows = list(csv.DictReader(io.StringIO((tmp_path / "site" / "commitments.csv").read_text())))
    assert [r["code"] for r in rows] == ["C1", "C2"]
    page = browser.new_page()
    page.goto((tmp_path / "site" / "commitments.html").as_uri())
    assert "Reform the tax code" not in page.content()
    shown = page.locator("tbody tr[data-status]:visible")
    assert shown.count() == 2
    page.fill("#f-q", "clinics")
    page.click("form button[type=submit]")
    assert shown.count() == 1 and "Open two clinics" in shown.first.inner_text()
    assert page.inner_text("#shown") == "1 shown."
    page.close()


# -- the API: /api/v1/commitments and /api/v1/escalation ---------------------------------


def test_api_commitments_filters_pages_and_one(site):
    client, _ = client_as(site, "provider")
    r = client.get("/api/v1/commitments", params={"minister": "minister of health"})
    assert r.status_code == 200
    body = r.json()
    assert [c["code"] for c in body["commitments"]] == ["C1", "C2"]  # C3, C4: other ministers
    assert body["total"] == 2 and body["by_status"]["on_track"] == 1
    paged = client.get("/api/v1/commitments", params={"per_page": 1, "page": 2}).json()
    assert (paged["page"], paged["pages"], len(paged["commitments"])) == (2, 4, 1)
    assert paged["commitments"][0]["code"] == "C2"
    unpublished = client.get("/api/v1/commitments", params={"search": "roads"}).json()
    assert [c["code"] for c in unpublished["commitments"]] == ["C4"]  # not public: shown
    one = client.get("/api/v1/commitments/C3").json()
    assert (one["status"], one["history"][-1]["reason"]) == ("not_pursued",
                                                           "Superseded by the budget")
    assert one["history"][-1]["by"] == "ana"  # who changed it: signed-in readers see it
    before = client.get("/api/v1/commitments/C1", params={"as_of": "2024-01-01"})
    assert before.status_code == 404  # not loaded yet on that day
    missing = client.get("/api/v1/commitments/C9")
    assert missing.status_code == 404 and "commitment" in missing.json()["detail"]
    wrong = client.get("/api/v1/commitments", params={"status": "nearly"})
    assert wrong.status_code == 422
    assert client.get("/api/v1/commitments", params={"minister": "Nobody"}).status_code == 404


def test_api_escalation_and_who_may_read(site):
    client, _ = client_as(site, "executive")
    r = client.get("/api/v1/escalation", params={"priority": "P1"})
    assert r.status_code == 200
    assert [p["priority"] for p in r.json()["priorities"]] == ["P1"]
    assert r.json()["priorities"][0]["level"] == "routine"  # no change recorded
    anonymous, _ = client_as(site, None)
    for path in ("/api/v1/commitments", "/api/v1/commitments/C1", "/api/v1/escalation"):
        assert anonymous.get(path).status_code == 401  # the public reads the public tracker
    provider, _ = client_as(site, "provider")
    assert provider.get("/api/v1/escalation").status_code == 403  # as the page
    document = provider.get("/api/v1/openapi.json").json()
    assert {"/api/v1/commitments", "/api/v1/commitments/{code}",
            "/api/v1/escalation"} <= set(document["paths"])


@SQLITE_ONLY
def test_a_recommendation_is_on_the_actions_page_and_in_the_api(site):
    from stocktake.services.routines.escalation import commission_review, report_review

    n = commission_review(site, "P1", scope="Why it stalls", team=["DU"], by="ana",
                          at=T0).review["number"]
    report_review(site, n, findings="F", recommendations=[
        {"text": "Hire a delivery lead", "owner": "Health", "due": "2024-04-30"}],
        by="ana", at=T0)
    client, _ = client_as(site, "analyst")
    page = client.get("/actions")
    assert "Hire a delivery lead" in page.text
    assert f'by <a href="/escalation#review-{n}">priority review {n}</a>' in page.text
    [action] = client.get("/api/v1/actions").json()["actions"]
    assert (action["code"], action["review"], action["owner"]) == ("R1", n, "Health")
