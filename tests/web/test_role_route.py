"""Every route, every role, every method, generated from the route table (issue #15): each
request gets what the permission table (auth.PERMISSIONS) says, and nothing else. Allowed:
the guard lets it through (the route may still answer 404 or 422 for the sample values,
never 5xx). Not allowed: the public is sent to sign in (pages) or gets 401 (API); a role
gets the guard's 403, naming the role. The same for API tokens: a read token carries its
account's role and changes nothing; a routines token carries its account's role and writes
only the routines' routes; a unit token acts as a provider. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from starlette.routing import Mount

from stocktake.services.admin import accounts
from stocktake.services.admin.accounts import ROLES
from stocktake.web import auth
from stocktake.web.api_routines import router as routines_router
from stocktake.web.app import create_app
from stocktake.web.auth import ANONYMOUS, PERMISSIONS, ROUTINE_WRITES, SAFE_METHODS

from .test_auth import _populate

# Values for path parameters and paths inside mounts, for requests to every route.
SAMPLE_PARAMS = {"code": "P1", "username": "executive", "token_id": "999",
                 "indicator": "incidents", "action_id": "999", "alert": "000000000000",
                 "number": "999", "lang": "fr",
                 "name": "index.html"}
SAMPLE_MOUNT_PATHS = {"static": "/static/style.css"}


pytestmark = pytest.mark.usefixtures("cheap_hashing")  # tests/conftest.py


@pytest.fixture
def site(engine, small_model_dir):
    """One database (SQLite, then PostgreSQL) with an account per role named after it
    (owner owns P1, provider reports for A)."""
    return _populate(engine, small_model_dir)


def every_request(app) -> list[tuple[str, str, str]]:
    """(route name, method, path) for every route of the app and every method it takes
    (HEAD too), its path filled with sample values."""
    out = []
    for route in auth.routes_of(app):
        if isinstance(route, Mount):
            assert route.name in SAMPLE_MOUNT_PATHS, f"add a sample path for mount {route.name}"
            out += [(route.name, m, SAMPLE_MOUNT_PATHS[route.name]) for m in ("GET", "HEAD")]
            continue
        missing = set(route.param_convertors) - set(SAMPLE_PARAMS)
        assert not missing, f"add sample values for {missing} (route {route.name})"
        path = route.path.format(**SAMPLE_PARAMS)
        out += [(route.name, m, path) for m in sorted(route.methods)]
    return out


def is_api(path: str) -> bool:
    return path.startswith("/api/v1")


def verdict(r, role: str, allowed: bool, path: str) -> str | None:
    """What is wrong with response ``r`` to a request the table allows or refuses to
    ``role``, or None."""
    to_login = r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    if allowed:
        refused = (to_login or r.status_code == 401
                   or r.status_code == 403 and "not open to the" in r.text)
        return f"refused ({r.status_code})" if refused or r.status_code >= 500 else None
    if role == ANONYMOUS:
        ok = r.status_code == 401 if is_api(path) else to_login
    else:
        body = r.text if r.request.method != "HEAD" else f"not open to the {role} role"
        ok = r.status_code == 403 and f"not open to the {role} role" in body
    return None if ok else f"not refused as the table says ({r.status_code})"


@pytest.mark.slow
def test_every_role_with_a_session_against_every_route_and_method(site):
    app = create_app(site)
    client = TestClient(app)
    requests = every_request(app)
    assert {name for name, _, _ in requests} == set(PERMISSIONS)  # none left out
    wrong = []
    for role in (ANONYMOUS, *ROLES):
        for name, method, path in requests:
            client.cookies.clear()
            if role == ANONYMOUS:
                csrf = "anonymous-form-token"
                client.cookies.set(auth.ANON_CSRF_COOKIE, csrf)
            else:  # a new session each time: one of the routes signs out
                session = accounts.start_session(site, role)
                client.cookies.set(auth.SESSION_COOKIE, session.token)
                csrf = session.csrf_token
            unsafe = method not in SAFE_METHODS
            r = client.request(method, path, data={"csrf_token": csrf} if unsafe else None,
                               headers={auth.CSRF_HEADER: csrf} if unsafe else None,
                               follow_redirects=False)
            problem = verdict(r, role, role in PERMISSIONS[name], path)
            if problem:
                wrong.append(f"{role:9} {method:6} {path} ({name}): {problem}")
    assert wrong == []


@pytest.mark.slow
def test_every_role_with_a_token_against_every_api_route_and_method(site):
    """A read token: its account's role, reads only (the guard refuses every write the role
    could make, as read-only, and the rest as not open to the role). A routines token: its
    account's role, writing the routines' routes only. A unit token (an analyst's, for A):
    a provider's rights. Off the API a token is no way in."""
    app = create_app(site)
    client = TestClient(app)
    tokens = {(role, "read"): accounts.create_api_token(site, role, "read") for role in ROLES}
    tokens.update({(role, "routines"): accounts.create_api_token(site, role, "routines")
                   for role in accounts.ROUTINE_WRITERS})
    tokens["analyst", "unit:A"] = accounts.create_api_token(site, "analyst", "unit:A")
    wrong = []
    for (role, scope), token in tokens.items():
        acts_as = "provider" if scope.startswith("unit:") else role
        for name, method, path in every_request(app):
            unsafe = method not in SAFE_METHODS
            client.cookies.set(auth.ANON_CSRF_COOKIE, "anonymous-form-token")
            r = client.request(method, path, headers={"Authorization": f"Bearer {token}"},
                               data={"csrf_token": "anonymous-form-token"} if unsafe else None,
                               follow_redirects=False)
            if not is_api(path):
                # The token is ignored: the request is the public's.
                problem = verdict(r, ANONYMOUS, ANONYMOUS in PERMISSIONS[name], path)
            elif unsafe and scope == "read" and role in PERMISSIONS[name]:
                ok = r.status_code == 403 and "read-only" in r.json()["detail"]
                problem = None if ok else f"a read token wrote ({r.status_code})"
            elif (unsafe and scope == "routines" and role in PERMISSIONS[name]
                  and name not in ROUTINE_WRITES):
                ok = r.status_code == 403 and "writes only plans" in r.json()["detail"]
                problem = None if ok else f"a routines token wrote ({r.status_code})"
            else:
                problem = verdict(r, acts_as, acts_as in PERMISSIONS[name], path)
            if problem:
                wrong.append(f"{role}/{scope} {method:6} {path} ({name}): {problem}")
    assert wrong == []


def test_routine_writes_are_the_writes_of_the_routines_api(site):
    """ROUTINE_WRITES (what a routines token may write) names exactly the routes that
    change something in api_routines: none left out, none from elsewhere."""
    app = create_app(site)
    writes = {route.name for route in auth.routes_of(app)
              if getattr(route, "methods", None) and set(route.methods) - SAFE_METHODS}
    routines = {route.name for route in routines_router.routes
                if set(route.methods) - SAFE_METHODS}
    assert routines == ROUTINE_WRITES and writes >= ROUTINE_WRITES
