"""Security of the web app and API (issue #15), through HTTP only, on a real SQLite or
PostgreSQL database: tokens that follow their account, security headers and a CSP with no
inline script or style, sign-in throttled by account and address, the password policy, the
audit log, and forwarded headers trusted only from configured proxies."""

import re

import pytest
from fastapi.testclient import TestClient

from stocktake.errors import Invalid
from stocktake.intake.service import submit_rows
from stocktake.services.admin import accounts, audit
from stocktake.services.admin.accounts import ROLES
from stocktake.services.data.model_service import load_model
from stocktake.web import auth
from stocktake.web.app import create_app

PW = "correct horse battery"
EXTRA = {"owner": {"priorities": ["P1"]}, "provider": {"unit": "A"}}
ROW = {"indicator": "incidents", "unit": "A1", "period": "2024-04", "value": 7}


pytestmark = pytest.mark.usefixtures("cheap_hashing")  # tests/conftest.py


@pytest.fixture
def site(engine, small_model_dir):
    load_model(engine, small_model_dir, loaded_by="t")
    rows = [(i, u, "2024-03", v) for u, n, p in [("A1", 31, 350000), ("B1", 39, 400000)]
            for i, v in (("incidents", n), ("population", p))]
    submit_rows(engine, rows, submitter="t")
    for role in ROLES:
        accounts.create_user(engine, role, role, PW, **EXTRA.get(role, {}))
    return engine


def client_of(engine, ip="10.0.0.1", **app_options):
    return TestClient(create_app(engine, **app_options), client=(ip, 5000))


def signed_in(engine, role, ip="10.0.0.1"):
    client = client_of(engine, ip)
    session = accounts.start_session(engine, role)
    client.cookies.set(auth.SESSION_COOKIE, session.token)
    return client, session.csrf_token


def sign_in(client, username, password=PW):
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token}, follow_redirects=False)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


# -- 1. tokens follow the account --------------------------------------------------------


def test_a_unit_token_stops_submitting_when_its_account_is_demoted(site):
    token = accounts.create_api_token(site, "analyst", "unit:A")
    client = client_of(site)
    first = client.post("/api/v1/submissions", json={"rows": [ROW]}, headers=bearer(token))
    assert first.status_code == 200, first.text
    accounts.set_role(site, "analyst", "executive", by="admin")
    again = client.post("/api/v1/submissions", json={"rows": [{**ROW, "value": 8}]},
                        headers=bearer(token))
    assert again.status_code == 403
    assert "no longer fits its account" in again.json()["detail"]


def test_a_read_token_reads_with_its_accounts_role_of_today(site):
    """An analyst's read token reads the delivery unit's views; once the account is a
    provider for A, the same token reads only what that provider may (A's data, not
    another unit's, not the priorities)."""
    token = accounts.create_api_token(site, "analyst", "read")
    client = client_of(site)
    assert client.get("/api/v1/priorities", headers=bearer(token)).status_code == 200
    assert client.get("/api/v1/observations?unit=B1", headers=bearer(token)).status_code == 200
    accounts.set_role(site, "analyst", "provider", unit="A", by="admin")
    r = client.get("/api/v1/priorities", headers=bearer(token))
    assert r.status_code == 403 and "not open to the provider role" in r.json()["detail"]
    assert client.get("/api/v1/observations?unit=B1", headers=bearer(token)).status_code == 403
    assert client.get("/api/v1/observations?unit=A1", headers=bearer(token)).status_code == 200


def test_a_providers_token_stops_reading_a_unit_it_was_moved_away_from(site):
    token = accounts.create_api_token(site, "provider", "unit:A1")
    client = client_of(site)
    assert client.get("/api/v1/observations?unit=A1", headers=bearer(token)).status_code == 200
    accounts.set_role(site, "provider", "provider", unit="B", by="admin")
    moved = client.get("/api/v1/observations?unit=A1", headers=bearer(token))
    assert moved.status_code == 403 and "not for A1" in moved.json()["detail"]


@pytest.mark.slow
def test_an_admin_sees_and_revokes_any_users_token(site):
    token = accounts.create_api_token(site, "provider", "unit:A", label="nightly upload")
    [made] = accounts.list_api_tokens(site, "provider")
    admin, csrf = signed_in(site, "admin")
    page = admin.get("/admin/users").text
    assert "nightly upload" in page and f"/admin/users/provider/tokens/{made.id}/revoke" in page
    done = admin.post(f"/admin/users/provider/tokens/{made.id}/revoke",
                      data={"csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303
    assert client_of(site).get("/api/v1/observations", headers=bearer(token)).status_code == 401
    analyst, csrf = signed_in(site, "analyst")  # administrators only
    refused = analyst.post(f"/admin/users/provider/tokens/{made.id}/revoke",
                           data={"csrf_token": csrf}, follow_redirects=False)
    assert refused.status_code == 403


def test_users_see_when_and_from_where_their_token_was_last_used(site):
    token = accounts.create_api_token(site, "executive", "read")
    client_of(site, ip="10.20.30.40").get("/api/v1/observations", headers=bearer(token))
    client, _ = signed_in(site, "executive")
    assert "from 10.20.30.40" in client.get("/account").text


def test_the_account_page_offers_a_routines_token_to_the_roles_that_write_routines(site):
    """Owners, analysts and admins may make one there; providers and executives are not
    offered it, and the page's words match what each is offered."""
    for role, offered in (("owner", True), ("analyst", True), ("admin", True),
                          ("provider", False), ("executive", False)):
        client, csrf = signed_in(site, role)
        page = client.get("/account").text
        assert ('<option value="routines">' in page) is offered, role
        assert ("a <strong>routines</strong> token" in page) is offered, role
        assert ("a <strong>unit</strong> token" in page) is (role != "owner" and role
                                                             != "executive"), role
    made = client.post("/account/tokens", data={"csrf_token": csrf, "scope": "routines"})
    assert made.status_code == 400 and "a &#39;routines&#39; token is for admins" in made.text
    client, csrf = signed_in(site, "owner")
    made = client.post("/account/tokens", data={"csrf_token": csrf, "scope": "routines"})
    assert made.status_code == 200 and "Your new token" in made.text
    assert [t.scope for t in accounts.list_api_tokens(site, "owner")] == ["routines"]


# -- 2. security headers -----------------------------------------------------------------


@pytest.mark.slow
def test_every_response_has_the_security_headers(site):
    token = accounts.create_api_token(site, "executive", "read")
    analyst, _ = signed_in(site, "analyst")
    anonymous = client_of(site)
    responses = {
        "login": anonymous.get("/login"), "static": anonymous.get("/static/style.css"),
        "not found": analyst.get("/no/such/page"), "page": analyst.get("/"),
        "api": anonymous.get("/api/v1/observations", headers=bearer(token)),
        "api refused": anonymous.get("/api/v1/observations"),
        "public": anonymous.get("/public/"),
    }
    for name, r in responses.items():
        csp = r.headers.get("content-security-policy", "")
        assert "frame-ancestors 'none'" in csp, name
        assert "script-src 'self'" in csp or "default-src 'none'" in csp, name
        assert "unsafe-inline" not in csp.split("script-src")[-1].split(";")[0], name
        assert r.headers.get("x-content-type-options") == "nosniff", name
        assert r.headers.get("referrer-policy") == "same-origin", name
    for name in ("login", "not found", "page", "api", "api refused"):
        assert responses[name].headers.get("cache-control") == "no-store", name
    assert "no-store" not in responses["static"].headers.get("cache-control", "")
    assert "style-src 'self';" in responses["page"].headers["content-security-policy"]


APP_PAGES = ["/", "/priorities/P1", "/actions", "/data/submit", "/data/quality",
             "/data/history", "/account", "/admin/users", "/admin/audit", "/admin/model",
             "/priorities/P1/plan", "/priorities/P1/assessments", "/priorities/P1/stocktakes",
             "/login", "/api/docs"]


@pytest.mark.slow
def test_app_pages_have_no_inline_script_or_style_that_the_csp_would_block(site):
    admin, _ = signed_in(site, "admin")
    for path in APP_PAGES:
        r = admin.get(path)
        assert r.status_code == 200, (path, r.status_code)
        html = r.text
        found = (re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html)
                 + re.findall(r"<style\b", html) + re.findall(r"\sstyle=", html)
                 + re.findall(r"\son[a-z]+=", html))
        assert not found, (path, found[:3])


# -- 3. throttling by account and address ------------------------------------------------


@pytest.mark.slow
def test_a_stranger_cannot_lock_the_admin_out(site):
    stranger = client_of(site, ip="198.51.100.7")
    codes = [sign_in(stranger, "admin", "not the password").status_code for _ in range(7)]
    assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]
    assert int(stranger.post("/login").headers.get("retry-after", "0")) >= 0
    owner = client_of(site, ip="10.0.0.1")
    assert sign_in(owner, "admin").status_code == 303


# -- 4. passwords --------------------------------------------------------------------------


def test_add_a_user_refuses_a_common_password_and_has_no_default_role(site):
    admin, csrf = signed_in(site, "admin")
    page = admin.get("/admin/users").text
    select = re.search(r'<select id="new-role".*?</select>', page, re.S).group(0)
    assert re.search(r'<option value="admin"[^>]*selected', select) is None
    assert re.search(r'<option value=""[^>]*selected', select)
    r = admin.post("/admin/users", data={"username": "newbie", "role": "analyst",
                                         "password": "password1234", "csrf_token": csrf})
    assert r.status_code == 400 and "too easy to guess" in r.text
    assert "newbie" not in {u.username for u in accounts.list_users(site)}
    r = admin.post("/admin/users", data={"username": "newbie", "role": "",
                                         "password": PW, "csrf_token": csrf})
    assert r.status_code == 400 and "unknown role" in r.text


def test_changing_your_password_to_a_common_one_is_refused(site):
    client, csrf = signed_in(site, "analyst")
    r = client.post("/account/password", data={"current": PW, "new": "qwertyuiop123",
                                               "confirm": "qwertyuiop123", "csrf_token": csrf})
    assert r.status_code == 400 and "too easy to guess" in r.text


# -- 5. the audit log -----------------------------------------------------------------------


def test_sign_ins_and_failures_appear_in_the_audit_log_for_admins_only(site):
    sign_in(client_of(site, ip="192.0.2.10"), "owner", "wrong password")
    sign_in(client_of(site, ip="192.0.2.11"), "owner")
    admin, csrf = signed_in(site, "admin")
    admin.post("/admin/users/executive/role", data={"role": "analyst", "csrf_token": csrf})
    page = admin.get("/admin/audit").text
    assert re.search(r"failed to sign in.*?owner.*?anonymous.*?192\.0\.2\.10", page, re.S)
    assert re.search(r"signed in.*?owner.*?owner.*?192\.0\.2\.11", page, re.S)
    assert re.search(r"role or scope changed.*?executive.*?admin.*?10\.0\.0\.1", page, re.S)
    only = admin.get("/admin/audit?user=owner&action=sign_in").text
    assert "192.0.2.11" in only and "192.0.2.10" not in only
    executive, _ = signed_in(site, "analyst")
    assert executive.get("/admin/audit").status_code == 403


# -- 6. behind a proxy ---------------------------------------------------------------------


def test_forwarded_headers_count_only_from_a_configured_proxy(site):
    clients = [client_of(site, ip="10.0.0.2", trusted_proxies="10.0.0.0/24"),  # the proxy
               client_of(site, ip="198.51.100.7", trusted_proxies="10.0.0.0/24"),  # not it
               client_of(site, ip="198.51.100.8")]  # no proxy configured
    for client in clients:
        client.headers["x-forwarded-for"] = "203.0.113.5"
        assert sign_in(client, "owner", "wrong password").status_code == 401
    ips = [e.ip for e in audit.read_log(site, action="sign_in_failed")][::-1]
    assert ips == ["203.0.113.5", "198.51.100.7", "198.51.100.8"]
    # Through two proxies: the nearest address that is not a trusted proxy is the client.
    chain = client_of(site, ip="10.0.0.2", trusted_proxies="10.0.0.0/24")
    chain.headers["x-forwarded-for"] = "1.2.3.4, 203.0.113.6, 10.0.0.9"
    sign_in(chain, "owner", "wrong password")
    assert audit.read_log(site, action="sign_in_failed")[0].ip == "203.0.113.6"


def test_a_trusted_proxys_https_makes_cookies_secure(site):
    proxy = client_of(site, ip="10.0.0.2", trusted_proxies="10.0.0.2")
    proxy.headers.update({"x-forwarded-for": "203.0.113.5", "x-forwarded-proto": "https"})
    r = proxy.get("/login")
    assert "secure" in r.headers["set-cookie"].lower()
    assert r.headers["strict-transport-security"].startswith("max-age=")
    plain = client_of(site, ip="10.0.0.3", trusted_proxies="10.0.0.2")
    plain.headers.update({"x-forwarded-proto": "https"})  # not from the proxy: ignored
    r = plain.get("/login")
    assert "secure" not in r.headers["set-cookie"].lower()
    assert "strict-transport-security" not in r.headers


def test_a_bad_proxy_setting_is_refused_with_its_entry_named(site, monkeypatch):
    monkeypatch.setenv("STOCKTAKE_TRUSTED_PROXIES", "10.0.0.1, not-an-address")
    with pytest.raises(Invalid, match="'not-an-address' is not an IP address"):
        create_app(site)
