"""Across priorities on the web (TestClient on a real database): the risk register and the
milestone timeline pages, linked from the navigation, for the delivery unit and owners,
refused to providers."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from stocktake.services.admin import accounts
from stocktake.web import auth
from stocktake.web.app import create_app

from ..services.test_register import plans  # noqa: F401  (the fixture: two plans, P3 none)

PW = "correct horse battery"


def client_as(engine, role: str) -> TestClient:
    accounts.create_user(engine, role, role, PW, **({"unit": "A"} if role == "provider" else {}))
    session = accounts.start_session(engine, role)
    client = TestClient(create_app(engine))
    client.cookies.set(auth.SESSION_COOKIE, session.token)
    return client


def _cells(html: str, row_id: str) -> list[str]:
    row = re.search(rf'<tr id="{row_id}">(.*?)</tr>', html, re.S).group(1)
    return [re.sub(r"<[^>]+>|\s+", " ", c).strip()
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]


def test_the_register_and_the_timeline_across_priorities(plans):  # noqa: F811
    client = client_as(plans, "analyst")
    page = client.get("/risks")
    assert page.status_code == 200
    assert '<a href="/risks">Risks</a>' in page.text  # in the navigation
    order = re.findall(r'<tr id="risk-(\w+)-(\w+)">', page.text)
    assert order == [("P1", "staffing"), ("P1", "courts"), ("P2", "nurses")]
    assert _cells(page.text, "risk-P1-staffing")[3:7] == ["4", "4", "16 high", "↑ up from 12"]
    assert _cells(page.text, "risk-P2-nurses")[6:8] == ["new in this version", "Province B"]
    assert "No plan yet for P3" in page.text and "1 high" in page.text

    page = client.get("/milestones")
    assert page.status_code == 200
    assert '<a href="/milestones">Milestones</a>' in page.text
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page.text
    assert 'data-status="overdue"' in page.text and "days late" in page.text
    assert "Screening nurses hired" in page.text


def test_a_provider_may_not_read_them(plans):  # noqa: F811
    client = client_as(plans, "provider")
    for path in ("/risks", "/milestones"):
        assert client.get(path).status_code == 403
    assert '<a href="/risks">' not in client.get("/data/submit").text
