"""Across priorities on the web (TestClient on a real database): the risk register and the
milestone timeline pages, linked from the navigation, for the delivery unit and owners,
refused to providers."""

from __future__ import annotations

import re
from datetime import datetime

import yaml
from fastapi.testclient import TestClient

from stocktake.services.admin import accounts
from stocktake.services.routines.plans import load_plan
from stocktake.web import auth
from stocktake.web.app import create_app

from ..services.test_register import (
    PLAN,
    plans,  # noqa: F401  (the fixture: two plans, P3 none)
)

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


def test_the_register_lists_a_risk_closed_since_the_previous_version(plans):  # noqa: F811
    """P1's third version drops courts (3 x 3): the page counts it and lists it apart."""
    third = yaml.safe_load(PLAN.read_text(encoding="utf-8"))
    third["risks"][0]["likelihood"] = 4  # staffing as the second version scored it
    load_plan(plans, "P1", third, author="DU", reason="courts cleared", at=datetime(2024, 9, 1))
    page = client_as(plans, "analyst").get("/risks")
    assert re.findall(r'<tr id="risk-(\w+)-(\w+)">', page.text) == [("P1", "staffing"),
                                                                   ("P2", "nurses")]
    assert "0 rising, 0 falling, 1 new and 1 closed" in page.text
    assert "Closed since the previous version" in page.text
    row = re.search(r'<tr id="closed-P1-courts"[^>]*>(.*?)</tr>', page.text, re.S).group(1)
    assert "Court backlog delays cases" in row and "3 × 3 = 9" in row
    assert 'data-label="Likelihood"' in page.text  # the cards on a phone say which is which
