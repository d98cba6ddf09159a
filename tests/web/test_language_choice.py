"""Choosing the language when signed in (issue #18): following a ``?lang=`` link (a GET)
changes only this page and this browser's cookie and never writes the database; the
switch's form (a POST with the CSRF token) saves the choice for the account, and works
without JavaScript."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from stocktake.services.admin import accounts
from stocktake.store.db import open_engine
from stocktake.store.schema import metadata
from stocktake.store.schema_accounts import users
from stocktake.web import i18n
from stocktake.web.app import create_app
from stocktake.web.auth import SESSION_COOKIE

from ..services.test_publish import build
from .conftest import LiveServer, screenshot
from .test_accessibility import axe_problems, blocking

pytestmark = pytest.mark.usefixtures("cheap_hashing")  # tests/conftest.py


def everything_but_sessions(engine) -> dict[str, list[tuple]]:
    """Every row of every table, but the sessions (each request slides its expiry)."""
    with engine.connect() as conn:
        return {t.name: sorted(map(tuple, conn.execute(select(t))), key=repr)
                for t in metadata.sorted_tables if t.name != "sessions"}


def signed_in(engine) -> tuple[TestClient, str, str]:
    """A client signed in as the analyst (no language saved yet), its session token and CSRF
    token."""
    accounts.create_user(engine, "analyst", "analyst", "correct horse battery")
    session = accounts.start_session(engine, "analyst")
    client = TestClient(create_app(engine), cookies={SESSION_COOKIE: session.token})
    return client, session.token, session.csrf_token


def saved_language(engine) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(users.c.language).where(users.c.username == "analyst")
                            ).scalar_one()


def test_a_get_with_lang_changes_the_page_and_the_cookie_and_writes_nothing(
        engine, small_model_dir):
    build(engine, small_model_dir)
    client, token, _ = signed_in(engine)
    client.get("/account")  # the first page of the session
    before = everything_but_sessions(engine)
    page = client.get("/account?lang=fr")
    assert '<html lang="fr">' in page.text and "Se déconnecter" in page.text
    assert page.cookies[i18n.COOKIE] == "fr"
    assert '<html lang="fr">' in client.get("/account").text  # the cookie carries it on
    assert everything_but_sessions(engine) == before  # no preference saved, nothing audited
    assert saved_language(engine) is None
    # another browser signed in to the same account: still the browser's own language
    there = TestClient(create_app(engine), cookies={SESSION_COOKIE: token})
    assert '<html lang="en">' in there.get("/account", headers={"Accept-Language": "en"}).text


def test_the_switch_form_saves_the_choice_for_the_account(engine, small_model_dir):
    build(engine, small_model_dir)
    client, token, csrf = signed_in(engine)
    page = client.get("/commitments?q=x&lang=en").text
    # the switch: a form back to this page without its ?lang=, with the CSRF token
    assert ('<input type="hidden" name="lang" value="fr"><input type="hidden" name="next" '
            'value="/commitments?q=x"><button type="submit" lang="fr">Français</button>'
            in page)
    assert f'value="{csrf}"' in page and 'href="?lang=fr"' not in page
    moved = client.post("/account/language", data={
        "lang": "fr", "next": "/commitments?q=x", "csrf_token": csrf}, follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == "/commitments?q=x"
    assert moved.cookies[i18n.COOKIE] == "fr"
    assert saved_language(engine) == "fr"
    # another browser, English asked for by the browser and its cookie: the account wins
    there = TestClient(create_app(engine), cookies={SESSION_COOKIE: token, i18n.COOKIE: "en"})
    page = there.get("/account", headers={"Accept-Language": "en"}).text
    assert '<html lang="fr">' in page and "(analyste)" in page
    assert 'name="lang" value="en"' in page and ">English</button>" in page
    # and back to English: saved too; a page elsewhere cannot be the way back
    back = client.post("/account/language", data={
        "lang": "en", "next": "https://elsewhere.example/", "csrf_token": csrf},
        follow_redirects=False)
    assert back.headers["location"] == "/" and saved_language(engine) == "en"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # a form's rules, not SQL
@pytest.mark.parametrize(("form", "status"), [
    ({"lang": "fr", "next": "/account"}, 403),  # no CSRF token
    ({"lang": "fr", "next": "/account", "csrf_token": "forged"}, 403),
    ({"lang": "de", "next": "/account", "csrf": True}, 422),  # not a language of the site
])
def test_a_refused_choice_saves_nothing(engine, small_model_dir, form, status):
    build(engine, small_model_dir)
    client, _, csrf = signed_in(engine)
    if form.pop("csrf", False):
        form["csrf_token"] = csrf
    before = everything_but_sessions(engine)
    refused = client.post("/account/language", data=form, follow_redirects=False)
    assert refused.status_code == status
    assert everything_but_sessions(engine) == before
    if status == 422:
        assert ("&#39;de&#39; is not a language of this site: choose one of en, fr."
                in refused.text)
    signed_out = TestClient(create_app(engine))
    assert signed_out.post("/account/language", data={"lang": "fr"},
                           follow_redirects=False).status_code in (303, 401, 403)


def test_the_switch_works_without_javascript(tmp_path, small_model_dir, browser):
    """Signed in, JavaScript off: the switch's button posts the form and the same page
    comes back in French, saved for the account; the French commitments page is axe clean."""
    engine = build(open_engine(f"sqlite:///{tmp_path / 'web.db'}"), small_model_dir)
    _, token, _ = signed_in(engine)
    with LiveServer(create_app(engine)) as server:
        context = browser.new_context(java_script_enabled=False, locale="en-GB")
        context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": server.url}])
        page = context.new_page()
        page.goto(server.url + "/commitments?q=nothing")
        assert page.locator("html").get_attribute("lang") == "en"
        page.get_by_role("button", name="Français").click()
        page.wait_for_load_state()
        assert page.url == server.url + "/commitments?q=nothing"
        assert page.locator("html").get_attribute("lang") == "fr"
        assert page.locator("h1").inner_text() == "Engagements"
        context.close()
        assert saved_language(engine) == "fr"
        context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
        context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": server.url}])
        page = context.new_page()
        page.goto(server.url + "/commitments")
        assert page.locator("html").get_attribute("lang") == "fr"
        screenshot(page, "commitments-fr")
        assert blocking(axe_problems(page, "/commitments in French")) == []
        page.goto(server.url + "/escalation")
        assert page.locator("h1").inner_text().startswith("Escalade")
        screenshot(page, "escalation-fr")
        assert blocking(axe_problems(page, "/escalation in French")) == []
        context.close()
