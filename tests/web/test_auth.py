"""Accounts on the web: the permission table (tried route by route in test_role_route),
sign-in, sessions, CSRF, the rate limit and API tokens; then the same in a real browser."""

import re

import pytest
from fastapi.testclient import TestClient
from starlette.routing import Mount

from stocktake.intake.service import submit_rows
from stocktake.services.admin import accounts
from stocktake.services.admin.accounts import ROLES
from stocktake.services.data.model_service import load_model
from stocktake.store.db import open_engine
from stocktake.web import auth
from stocktake.web.app import create_app
from stocktake.web.auth import ANONYMOUS, PERMISSIONS

from .conftest import LiveServer, screenshot

PW = "correct horse battery"
EXTRA = {"owner": {"priorities": ["P1"]}, "provider": {"unit": "A"}}


pytestmark = pytest.mark.usefixtures("cheap_hashing")  # tests/conftest.py


def _populate(engine, model_dir):
    load_model(engine, model_dir, loaded_by="t")
    rows = [(i, u, "2024-03", v) for u, n, p in [("A1", 31, 350000), ("A2", 20, 250000),
                                                 ("B1", 39, 400000)]
            for i, v in (("incidents", n), ("population", p))]
    submit_rows(engine, rows, submitter="t")
    for role in ROLES:  # one account per role, named after it
        accounts.create_user(engine, role, role, PW, **EXTRA.get(role, {}))
    return engine


@pytest.fixture
def site(engine, small_model_dir):
    return _populate(engine, small_model_dir)


def session_cookie(engine, role):
    s = accounts.start_session(engine, role)
    return {"Cookie": f"{auth.SESSION_COOKIE}={s.token}"}, s.csrf_token


def sign_in(client, username, password=PW, next_page=""):
    """Sign in through the form, as a browser does (GET the form, POST it with its token)."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token, "next": next_page},
                       follow_redirects=False)


def csrf_of(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


# -- the permission table (every role against every route: test_role_route.py) ----------


def test_every_route_has_an_entry_in_the_permission_table(engine):
    names = {r.name for r in auth.routes_of(create_app(engine))}
    assert names - set(PERMISSIONS) == set(), "routes without a permission entry"
    assert set(PERMISSIONS) - names == set(), "permission entries for routes that are gone"


def test_the_table_says_what_the_issue_says(engine):
    """Independent of the table's shorthand: the public, executives and providers."""
    app = create_app(engine)
    routes = auth.routes_of(app)
    unsafe = {r.name for r in routes if not isinstance(r, Mount) and r.methods - {"GET"}}
    reads = {r.name for r in routes if r.name not in unsafe}
    public = {n for n, roles in PERMISSIONS.items() if ANONYMOUS in roles}
    assert public == {"static", "healthz", "metrics", "login_form", "login"} | {
        n for n in PERMISSIONS if n.startswith("public_")}  # the published site only
    for name in public - {"static", "healthz", "metrics", "login_form", "login"}:
        assert PERMISSIONS[name] == auth.PUBLIC
    admin_only = {n for n, roles in PERMISSIONS.items() if roles == {"admin"}}
    assert admin_only == {n for n in PERMISSIONS if n.startswith("admin_")}
    assert {n for n, roles in PERMISSIONS.items() if "analyst" not in roles} == admin_only
    # An executive reads whatever an analyst reads, and changes only their own account.
    assert {n for n in reads if "executive" in PERMISSIONS[n]} == {
        n for n in reads if "analyst" in PERMISSIONS[n]}
    assert {n for n in unsafe if "executive" in PERMISSIONS[n]} == {
        "login", "logout", "account_password", "account_token_create", "account_token_revoke",
        "account_mail_set", "account_language_set"}
    # A provider sees no priority-wide views (they carry every unit's drafts).
    for name in ("portfolio", "priority_page", "api_priorities"):
        assert "provider" not in PERMISSIONS[name]


def test_a_route_missing_from_the_table_is_closed_to_everyone(site):
    app = create_app(site)

    @app.get("/unlisted")
    def unlisted() -> dict:
        return {}

    headers, _ = session_cookie(site, "admin")
    r = TestClient(app).get("/unlisted", headers=headers)
    assert r.status_code == 403 and "no entry in the permission table" in r.text


# -- signing in and out -----------------------------------------------------------------


@pytest.mark.slow
def test_signing_in_sets_a_safe_cookie_and_goes_where_asked(site):
    client = TestClient(create_app(site))
    r = client.get("/priorities/P1", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/login?next=%2Fpriorities%2FP1")
    r = sign_in(client, "Executive", next_page="/priorities/P1")
    assert (r.status_code, r.headers["location"]) == (303, "/priorities/P1")
    cookie = next(c for c in r.headers.get_list("set-cookie")
                  if c.startswith(auth.SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie and "Max-Age" not in cookie
    page = client.get("/priorities/P1")
    assert page.status_code == 200 and "executive" in page.text and "Sign out" in page.text

    # A provider asked for a page it may not open lands on its own start page instead;
    # other sites are never a destination.
    for user, asked, landed in [("provider", "/", "/data/due"),
                                ("analyst", "//evil.test/", "/"),
                                ("analyst", "https://evil.test/", "/"), ("admin", "", "/")]:
        r = sign_in(TestClient(create_app(site)), user, next_page=asked)
        assert r.headers["location"] == landed, (user, asked)


def test_over_https_the_cookie_is_secure(site):
    client = TestClient(create_app(site), base_url="https://testserver")
    r = sign_in(client, "analyst")
    cookie = next(c for c in r.headers.get_list("set-cookie")
                  if c.startswith(auth.SESSION_COOKIE))
    assert "Secure" in cookie


def test_signing_out_ends_the_session_and_signing_in_again_replaces_it(site):
    client = TestClient(create_app(site))
    sign_in(client, "analyst")
    first = client.cookies[auth.SESSION_COOKIE]
    sign_in(client, "analyst")
    second = client.cookies[auth.SESSION_COOKIE]
    assert first != second
    assert accounts.resume_session(site, first) is None  # the old token is gone
    page = client.get("/")
    r = client.post("/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/login?signed_out=1")
    assert accounts.resume_session(site, second) is None
    assert client.get("/login?signed_out=1").text.count("You have signed out.") == 1
    stale = TestClient(create_app(site), cookies={auth.SESSION_COOKIE: second})
    assert stale.get("/", follow_redirects=False).status_code == 303


def test_five_wrong_passwords_then_refusal_with_429(site):
    client = TestClient(create_app(site))
    for _ in range(5):
        r = sign_in(client, "analyst", "not the password")
        assert r.status_code == 401 and "Wrong username or password." in r.text
    r = sign_in(client, "analyst")  # the right password, but too soon from this address
    assert r.status_code == 429 and "Too many failed sign-in attempts" in r.text
    assert 1 <= int(r.headers["retry-after"]) <= 60  # the 5th failure waits a minute
    assert auth.SESSION_COOKIE not in client.cookies


# -- CSRF -------------------------------------------------------------------------------


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(site):
    client = TestClient(create_app(site))
    sign_in(client, "admin")
    token = csrf_of(client.get("/admin/users").text)
    new = {"username": "newbie", "role": "analyst", "password": PW}
    for data, headers in [(new, {}), ({**new, "csrf_token": "forged"}, {}),
                          ({**new, "csrf_token": session_cookie(site, "admin")[1]}, {})]:
        r = client.post("/admin/users", data=data, headers=headers, follow_redirects=False)
        assert r.status_code == 403 and "security token (csrf_token)" in r.text
    assert "newbie" not in {u.username for u in accounts.list_users(site)}
    # The page's own token works, in the form or in the X-CSRF-Token header (for scripts).
    r = client.post("/admin/users", data={**new, "csrf_token": token}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/admin/users?done=created&user=newbie")
    r = client.post("/admin/users", data={**new, "username": "second"},
                    headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert {"newbie", "second"} <= {u.username for u in accounts.list_users(site)}


def test_the_sign_in_form_needs_its_token_too(site):
    client = TestClient(create_app(site))
    r = client.post("/login", data={"username": "admin", "password": PW})
    assert r.status_code == 403 and "csrf_token" in r.text  # no cookie, no field
    client.get("/login")
    r = client.post("/login", data={"username": "admin", "password": PW, "csrf_token": "x"})
    assert r.status_code == 403


# -- API tokens -------------------------------------------------------------------------


def test_api_tokens_on_the_api(site, monkeypatch):
    app = create_app(site)

    @app.post("/api/v1/echo")
    def echo() -> dict:
        return {"ok": True}

    monkeypatch.setitem(PERMISSIONS, "echo", auth.SIGNED_IN)
    client = TestClient(app)
    read = accounts.create_api_token(site, "analyst", "read")
    unit = accounts.create_api_token(site, "analyst", "unit:A")

    def bearer(token):
        return {"Authorization": f"Bearer {token}"}

    r = client.get("/api/v1/priorities", headers=bearer(read))
    assert r.status_code == 200 and r.json()["priorities"][0]["code"] == "P1"
    assert client.get("/api/v1/priorities", headers=bearer(unit)).status_code == 403
    # Tokens skip CSRF (no cookie is involved), but a read token changes nothing.
    assert client.post("/api/v1/echo", headers=bearer(unit)).json() == {"ok": True}
    r = client.post("/api/v1/echo", headers=bearer(read))
    assert r.status_code == 403 and "read-only" in r.json()["detail"]
    for header in (bearer("stocktake_made-up"), {"Authorization": f"Basic {read}"}, {}):
        r = client.get("/api/v1/priorities", headers=header)
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    # Outside the API a token is not a way in.
    assert client.get("/", headers=bearer(read), follow_redirects=False).status_code == 303
    [first, _] = accounts.list_api_tokens(site, "analyst")
    accounts.revoke_api_token(site, "analyst", first.id)
    assert client.get("/api/v1/priorities", headers=bearer(read)).status_code == 401


def test_the_account_page_makes_a_token_shown_once(site):
    client = TestClient(create_app(site))
    sign_in(client, "provider")
    page = client.get("/account")
    assert "Reports for" in page.text and "Region A1" in page.text
    assert "Region B1" not in page.text  # not the provider's
    r = client.post("/account/tokens", data={"scope": "unit:A1", "label": "nightly upload",
                                             "csrf_token": csrf_of(page.text)})
    token = re.search(r'value="(stocktake_[^"]+)"', r.text).group(1)
    assert accounts.resolve_api_token(site, token).unit == "A1"
    assert token not in client.get("/account").text  # shown once
    r = client.post("/account/tokens", data={"scope": "unit:B", "csrf_token": csrf_of(page.text)})
    assert r.status_code == 400 and "not for B" in r.text


# -- in a real browser ------------------------------------------------------------------


@pytest.fixture
def browser_site(tmp_path, small_model_dir):
    engine = open_engine(f"sqlite:///{tmp_path / 'web.db'}")
    yield _populate(engine, small_model_dir)
    engine.dispose()


def browser_sign_in(page, base, username, password=PW):
    page.goto(base + "/")
    assert page.url.startswith(base + "/login?next=")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_response(lambda r: r.request.method == "POST") as response:
        page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return response.value


# What each role sees (status of a visit) on each page.
SEES = {
    "admin": {"/": 200, "/priorities/P1": 200, "/admin/users": 200, "/account": 200},
    "analyst": {"/": 200, "/priorities/P1": 200, "/admin/users": 403, "/account": 200},
    "owner": {"/": 200, "/priorities/P1": 200, "/admin/users": 403, "/account": 200},
    "provider": {"/": 403, "/priorities/P1": 403, "/admin/users": 403, "/account": 200},
    "executive": {"/": 200, "/priorities/P1": 200, "/admin/users": 403, "/account": 200},
}


def test_each_role_signs_in_and_sees_what_it_should_and_nothing_more(browser, browser_site):
    with LiveServer(create_app(browser_site)) as server:
        for role in ROLES:
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            browser_sign_in(page, server.url, role)
            home = "/data/due" if role == "provider" else "/"
            assert page.url == server.url + home, (role, page.url)
            nav = page.get_by_role("navigation", name="Your account")
            assert f"{role} ({role})" in nav.inner_text()
            assert nav.get_by_role("link", name="Users").count() == (role == "admin")
            main = page.get_by_role("navigation", name="Main")  # only what the role may open
            assert main.get_by_role("link", name="Submit data").count() == (
                role in ("admin", "analyst", "provider"))
            assert main.get_by_role("link", name="Priorities").count() == (role != "provider")
            for path, status in SEES[role].items():
                response = page.goto(server.url + path)
                assert response.status == status, (role, path)
                if status == 403:
                    assert page.get_by_role("heading", level=1).inner_text() == \
                        "Not open to your role"
                    assert f"not open to the {role} role" in page.inner_text("main")
            if role == "admin":
                page.goto(server.url + "/admin/users")
                for other in ROLES:
                    assert page.get_by_role("row", name=re.compile(f"^{other} ")).is_visible()
            if role == "provider":
                page.goto(server.url + "/account")
                assert "Region A2" in page.inner_text("main")
                assert "Region B1" not in page.inner_text("main")
            page.get_by_role("button", name="Sign out").click()
            page.wait_for_url(server.url + "/login?signed_out=1")
            assert page.get_by_role("status").inner_text() == "You have signed out."
            page.goto(server.url + "/account")
            assert page.url.startswith(server.url + "/login?next=")
            context.close()


def test_five_wrong_passwords_in_the_browser_bring_the_rate_limit_message(browser,
                                                                         browser_site):
    with LiveServer(create_app(browser_site)) as server:
        page = browser.new_page()
        for attempt in range(5):
            response = browser_sign_in(page, server.url, "analyst", "wrong password!")
            assert response.status == 401, attempt
            assert page.get_by_role("alert").inner_text() == "Wrong username or password."
        response = browser_sign_in(page, server.url, "analyst")  # right, but too soon
        assert response.status == 429
        alert = page.get_by_role("alert").inner_text()
        assert alert.startswith("Too many failed sign-in attempts") and "1 more minute" in alert
        screenshot(page, "login-rate-limited")
        page.close()


def test_a_form_without_the_csrf_token_is_refused_in_the_browser(browser, browser_site):
    with LiveServer(create_app(browser_site)) as server:
        page = browser.new_page()
        browser_sign_in(page, server.url, "admin")
        page.goto(server.url + "/admin/users")

        def add(username, strip_token):
            form = page.locator("form[action='/admin/users']")
            if strip_token:
                form.locator("input[name=csrf_token]").evaluate("e => e.remove()")
            page.get_by_label("Username").fill(username)
            page.locator("#new-role").select_option("executive")
            page.get_by_label("Initial password").fill(PW)
            with page.expect_response(lambda r: r.request.method == "POST") as response:
                page.get_by_role("button", name="Add user").click()
            page.wait_for_load_state()
            return response.value

        assert add("mallory", strip_token=True).status == 403
        assert page.get_by_role("heading", level=1).inner_text() == "Form refused"
        assert "security token (csrf_token)" in page.get_by_role("alert").inner_text()
        page.goto(server.url + "/admin/users")
        response = add("trudy", strip_token=False)  # the same form with its token works
        assert response.status == 303
        assert page.get_by_role("status").inner_text() == "Account trudy created."
        users = {u.username for u in accounts.list_users(browser_site)}
        assert "trudy" in users and "mallory" not in users
        page.close()


@pytest.mark.parametrize("width, height, name", [(1280, 800, "desktop"), (390, 844, "phone")])
def test_account_pages_fit_and_are_captured(browser, browser_site, width, height, name):
    with LiveServer(create_app(browser_site)) as server:
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(server.url + "/login")
        screenshot(page, f"login-{name}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        browser_sign_in(page, server.url, "admin")
        for path, shot in (("/admin/users", "admin-users"), ("/account", "account")):
            page.goto(server.url + path)
            for summary in page.locator("summary").all()[:1]:
                summary.click()
            assert page.evaluate("document.documentElement.scrollWidth") <= width, path
            screenshot(page, f"{shot}-{name}")
        page.close()
