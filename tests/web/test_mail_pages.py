"""Reminders on the web (TestClient on real SQLite and PostgreSQL worlds): a provider's home
page "due from me" shows only their units' late and coming returns, rejected rows and the
reminders mailed to them; the upload page offers a provider only the indicators their units
report; only administrators read the record of every message.

The world is tests/services/test_reminders.py's, its clock set to 2025-01-10: region B1
owes incidents for 2024-09, -10 and -11; region A1 is up to date."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from stocktake.services.admin import accounts
from stocktake.services.admin.addresses import list_addresses, set_address
from stocktake.store import mail as mail_store
from stocktake.store.db import set_meta, writing
from stocktake.web import auth
from stocktake.web.app import create_app

from ..services.test_reminders import AS_OF, world  # noqa: F401 - the fixture

pytestmark = pytest.mark.usefixtures("cheap_hashing")


@pytest.fixture
def site(world):  # noqa: F811 - the imported fixture
    with writing(world) as conn:
        set_meta(conn, "clock", AS_OF.isoformat())
    for name, role, unit in (("prov.b", "provider", "B"), ("prov.a", "provider", "A"),
                             ("ana", "analyst", None), ("adm", "admin", None)):
        accounts.create_user(world, name, role, "correct horse battery 42", unit=unit)
    set_address(world, "user", "prov.b", "prov.b@example.test")
    set_address(world, "user", "prov.a", "prov.a@example.test")
    for key, to in (("late:b", "prov.b@example.test"), ("late:a", "prov.a@example.test")):
        with writing(world) as conn:
            mail_store.claim(conn, key, at=datetime(2025, 1, 10, 9), kind="late_returns",
                             recipient=to, name=to, subject=f"Reminder to {to}", body="b",
                             attachment=None)
            mail_store.settle(conn, key, error=None, at=datetime(2025, 1, 10, 9, 1))
    return world


def client_as(engine, username: str) -> TestClient:
    client = TestClient(create_app(engine))
    client.cookies.set(auth.SESSION_COOKIE, accounts.start_session(engine, username).token)
    return client


def test_a_provider_sees_what_is_due_from_their_units_only(site):
    page = client_as(site, "prov.b").get("/data/due")
    assert page.status_code == 200
    html = page.text
    assert "Late (3)" in html
    for period, due, days in (("2024-09", "2024-10-30", 72), ("2024-10", "2024-11-30", 41),
                              ("2024-11", "2024-12-30", 11)):
        assert (f"<td data-label=\"Period\">{period}</td><td data-label=\"Due\">{due}</td>"
                f"<td data-label=\"Days late\">{days}</td>") in html
    assert "unit=B1&amp;period=2024-11" in html  # the template of the late period
    assert "(A1)" not in html  # another province's region
    assert "Reminder to prov.b@example.test" in html
    assert "Reminder to prov.a@example.test" not in html  # only their own reminders

    other = client_as(site, "prov.a").get("/data/due").text
    assert "Late (0)" in other and "(B1)" not in other
    assert "Region A1 (A1)</th><td data-label=\"Indicator\">Violent incidents</td><td " \
           "data-label=\"Period\">2024-12</td><td data-label=\"Due\">2025-01-30</td>" in other
    assert "Reminder to prov.a@example.test" in other
    assert "Reminder to prov.b@example.test" not in other


def test_a_provider_lands_on_due_from_me():
    assert auth.HOME["provider"] == "/data/due"


def test_the_upload_page_offers_a_provider_only_their_indicators_and_only_admins_read_mail(
        site):
    provider = client_as(site, "prov.a").get("/data/submit").text
    analyst = client_as(site, "ana").get("/data/submit").text
    assert '<option value="incidents"' in provider
    assert '<option value="screening"' not in provider  # no unit of A reports it
    assert '<option value="screening"' in analyst

    assert client_as(site, "prov.b").get("/admin/mail").status_code == 403
    assert client_as(site, "ana").get("/admin/mail").status_code == 403
    page = client_as(site, "adm").get("/admin/mail")
    assert page.status_code == 200
    assert "Reminder to prov.a@example.test" in page.text
    assert "Reminder to prov.b@example.test" in page.text


def test_an_account_sets_its_own_address_and_reminders_and_a_bad_one_changes_nothing(site):
    session = accounts.start_session(site, "ana")
    client = TestClient(create_app(site))
    client.cookies.set(auth.SESSION_COOKIE, session.token)
    form = {auth.CSRF_FIELD: session.csrf_token, "address": "ana@example.test",
            "reminders": ["digest", "due"]}
    r = client.post("/account/mail", data=form, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/account/mail?done=1")
    [entry] = [a for a in list_addresses(site) if a.key == "ana"]
    assert (entry.address, entry.reminders) == ("ana@example.test", ("due", "digest"))
    page = client.get("/account/mail").text
    assert 'value="ana@example.test"' in page
    assert 'value="digest" checked' in page and 'value="stocktakes">' in page

    bad = client.post("/account/mail", data={**form, "address": "ana at home"})
    assert bad.status_code == 400 and "is not an e-mail address" in bad.text
    assert [a for a in list_addresses(site) if a.key == "ana"] == [entry]
    refused = client.post("/account/mail", data={"address": "x@example.test"})
    assert refused.status_code == 403  # no CSRF token
