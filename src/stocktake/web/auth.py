"""Accounts on the web: who is asking (a session cookie, or an API token on /api), what
their role may open (PERMISSIONS, checked before every route runs), CSRF on every form,
and how a refusal is answered. The sign-in, account and user-administration pages are in
account_pages.

The rules themselves (passwords, the sign-in rate limit, sessions, tokens, roles) are in
``services.accounts``; this module turns them into cookies, redirects and status codes.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import iter_route_contexts
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute, Match

from ..services.admin import accounts
from ..services.admin.accounts import ROLES, ROUTINES_SCOPE, Principal

SESSION_COOKIE = "stocktake_session"
ANON_CSRF_COOKIE = "stocktake_csrf"  # double-submit token for forms sent before signing in
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"  # for scripts (htmx, fetch) posting with the session cookie
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

ANONYMOUS = "anonymous"
PUBLIC = frozenset({ANONYMOUS, *ROLES})
SIGNED_IN = frozenset(ROLES)
READERS = frozenset({"admin", "analyst", "owner", "executive"})  # internal views, drafts too
ADMINS = frozenset({"admin"})

# Route name -> the roles that may call it. Every route of the app must be here: a route
# missing from the table is refused to everyone, and tests/web/test_auth.py fails.
# Finer rules (an owner's own priorities, a provider's units) are checked in the route
# with Principal.may_edit_priority and Principal.remit.
PERMISSIONS: dict[str, frozenset[str]] = {
    # Open to the public: assets, health, signing in (and, to come, the /public site).
    "static": PUBLIC,
    "healthz": PUBLIC,
    "metrics": PUBLIC,  # to an allowed address or the metrics token only (web/monitoring.py)
    "login_form": PUBLIC,
    "login": PUBLIC,
    # Anyone signed in: their own account, and the API's description.
    "logout": SIGNED_IN,
    "account": SIGNED_IN,
    "account_password": SIGNED_IN,
    "account_token_create": SIGNED_IN,
    "account_token_revoke": SIGNED_IN,
    "openapi_document": SIGNED_IN,
    "api_docs": SIGNED_IN,
    # The delivery unit's views of every priority (not providers, not the public).
    "portfolio": READERS,
    "priority_page": READERS,
    "api_priorities": READERS,
    # Administration.
    "admin_users": ADMINS,
    "admin_user_create": ADMINS,
    "admin_user_role": ADMINS,
    "admin_user_active": ADMINS,
    "admin_user_password": ADMINS,
    "admin_token_revoke": ADMINS,
    "admin_audit": ADMINS,
}

# The routes a ``routines`` API token may write (api_routines' writes): nothing else, even
# where its account's role could (tests/web/test_role_route.py checks the list is theirs).
ROUTINE_WRITES = frozenset({"api_plan_load", "api_assessment_record", "api_stocktake_record",
                            "api_action_update", "api_alert_review"})

# Where each role lands after signing in (when no permitted page was asked for).
HOME: dict[str, str] = {"provider": "/data/due"}  # "due from me"
DEFAULT_HOME = "/"


# -- refusals ---------------------------------------------------------------------------


class AccessProblem(Exception):
    """A request refused before its route ran; rendered as a page or as JSON under /api."""

    status = 403
    title = "Not allowed"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class LoginRequired(AccessProblem):
    status = 401
    title = "Please sign in"


class Forbidden(AccessProblem):
    title = "Not open to your role"


class CsrfRefused(AccessProblem):
    title = "Form refused"


class BadToken(AccessProblem):
    status = 401
    title = "API token refused"


CSRF_MESSAGE = ("This form was refused because its security token (csrf_token) is missing or "
                "does not match your session. This happens when a page was opened before you "
                "last signed in, or when another site tries to send the form. Reload the page "
                "and send it again.")


def is_api(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") and not path.startswith("/api/docs")


def client_ip(request: Request) -> str:
    # Behind a trusted proxy, security.ForwardedHeaders has put the forwarded address here.
    return request.client.host if request.client else "unknown"


# -- who is asking ----------------------------------------------------------------------


def identify(request: Request) -> Principal | None:
    """The principal of a request: an API token (on /api only), else the session cookie."""
    engine: Engine = request.app.state.engine
    header = request.headers.get("authorization")
    if header and is_api(request):
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise BadToken("send the API token as 'Authorization: Bearer stocktake_...'")
        try:
            principal = accounts.resolve_api_token(engine, token.strip(), ip=client_ip(request))
        except accounts.TokenRefused as exc:
            raise Forbidden(str(exc)) from None
        if principal is None:
            raise BadToken("this API token is unknown, revoked, or its account is disabled")
        return principal
    token = request.cookies.get(SESSION_COOKIE)
    return accounts.resume_session(engine, token) if token else None


def principal_of(request: Request) -> Principal | None:
    return getattr(request.state, "principal", None)


def role_of(principal: Principal | None) -> str:
    return principal.role if principal is not None else ANONYMOUS


async def guard(request: Request) -> None:
    """The app-wide dependency: identify, check the route's permission, check CSRF."""
    route = request.scope.get("route")
    name = getattr(route, "name", None)
    principal = await run_in_threadpool(identify, request)
    request.state.principal = principal
    allowed = PERMISSIONS.get(name)
    if allowed is None:
        raise Forbidden(f"route '{name}' has no entry in the permission table "
                        f"(stocktake/web/auth.py PERMISSIONS), so it is closed to everyone")
    if role_of(principal) not in allowed:
        if principal is None:
            raise LoginRequired("sign in, or send an API token as 'Authorization: Bearer "
                                "stocktake_...'")
        raise Forbidden(f"You are signed in as {principal.username} ({principal.role}). "
                        f"This page is not open to the {principal.role} role.")
    if request.method in SAFE_METHODS:
        return
    if principal is not None and principal.read_only:
        raise Forbidden("this API token is read-only: it cannot change anything")
    if principal is not None and principal.scope == ROUTINES_SCOPE and (
            name not in ROUTINE_WRITES):
        raise Forbidden("this API token (routines) writes only plans, assessments, "
                        "stocktakes, actions and alert reviews")
    if principal is None or principal.via == "session":
        await check_csrf(request, principal)


async def check_csrf(request: Request, principal: Principal | None) -> None:
    """The form field (or X-CSRF-Token header) must equal the session's token; before
    signing in, the token in the stocktake_csrf cookie (SameSite: other sites can't send it)."""
    expected = (principal.csrf_token if principal is not None
                else request.cookies.get(ANON_CSRF_COOKIE))
    given = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if not given and content_type.startswith(("application/x-www-form-urlencoded",
                                              "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not expected or not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise CsrfRefused(CSRF_MESSAGE)


def csrf_token(request: Request) -> str:
    """The token forms on this page must carry."""
    principal = principal_of(request)
    if principal is not None and principal.csrf_token:
        return principal.csrf_token
    token = request.cookies.get(ANON_CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if token is None:
        token = request.state.new_csrf = secrets.token_urlsafe(32)
    return token


def csrf_field(request: Request) -> Markup:
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        CSRF_FIELD, escape(csrf_token(request)))


def set_anon_csrf(request: Request, response: Response) -> Response:
    new = getattr(request.state, "new_csrf", None)
    if new is not None:
        response.set_cookie(ANON_CSRF_COOKIE, new, httponly=True, samesite="lax",
                            secure=request.url.scheme == "https", path="/")
    return response


def routes_of(app: FastAPI) -> list[BaseRoute]:
    """Every route of the app, those of its included routers too (FastAPI keeps an included
    router as one entry of ``app.routes``): what the permission table must cover."""
    return [context.original_route for context in iter_route_contexts(app.routes)]


def may_open(app: FastAPI, path: str, role: str) -> bool:
    """Whether ``role`` may GET this local path (used to honour ?next= after sign-in)."""
    scope = {"type": "http", "path": path, "method": "GET", "root_path": ""}
    for route in routes_of(app):
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return role in PERMISSIONS.get(route.name, ())
    return False


def home_of(principal: Principal | None) -> str:
    return HOME.get(role_of(principal), DEFAULT_HOME) if principal else "/login"


def next_page_for(app: FastAPI, raw: str, principal: Principal) -> str:
    path = raw.split("?", 1)[0]
    local = raw.startswith("/") and not raw.startswith("//") and "\\" not in raw
    if local and path not in ("/login", "/logout") and may_open(app, path, principal.role):
        return raw
    return home_of(principal)


# -- wiring -----------------------------------------------------------------------------


def check_guarded(app: FastAPI) -> None:
    """Refuse to build an app whose routes are not all checked: it must be created with
    ``dependencies=[Depends(guard)]``."""
    if not any(d.dependency is guard for d in app.router.dependencies):
        raise RuntimeError("create the app with FastAPI(dependencies=[Depends(auth.guard)]), "
                           "so that every route is checked")


def template_globals() -> dict[str, Any]:
    """What every page's template may call: the CSRF field of its forms, the way home."""
    return {"csrf_field": csrf_field, "home_url": lambda r: home_of(principal_of(r))}


async def refused(request: Request, exc: Exception) -> Response:
    """A request the guard (or a route's finer rule) refused: sign-in redirect, 401, 403."""
    assert isinstance(exc, AccessProblem)
    if isinstance(exc, LoginRequired) and not is_api(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/login?next=" + quote(target, safe=""), status_code=303)
    headers = ({"WWW-Authenticate": 'Bearer realm="stocktake"'} if exc.status == 401
               else None)
    if is_api(request):
        return JSONResponse({"detail": exc.message}, status_code=exc.status,
                            headers=headers)
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, "error.html", {
        "title": exc.title, "message": exc.message}, status_code=exc.status,
        headers=headers)
