"""Accounts on the web: who is asking (a session cookie, or an API token on /api), what
their role may open (PERMISSIONS, checked before every route runs), CSRF on every form,
and the sign-in, account and user-administration pages.

The rules themselves (passwords, the sign-in rate limit, sessions, tokens, roles) are in
``services.accounts``; this module turns them into cookies, redirects and status codes.
"""

from __future__ import annotations

import hmac
import secrets
from functools import partial
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match

from ..services import accounts
from ..services.accounts import ROLES, AccountError, LoginFailed, LoginRefused, Principal
from ..services.model_service import current_model

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
}

# Where each role lands after signing in (when no permitted page was asked for).
HOME: dict[str, str] = {"provider": "/data/submit"}
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
    # uvicorn puts the real address here when run with --proxy-headers behind a proxy.
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
        principal = accounts.resolve_api_token(engine, token.strip())
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


def _set_anon_csrf(request: Request, response: Response) -> Response:
    new = getattr(request.state, "new_csrf", None)
    if new is not None:
        response.set_cookie(ANON_CSRF_COOKIE, new, httponly=True, samesite="lax",
                            secure=request.url.scheme == "https", path="/")
    return response


def may_open(app: FastAPI, path: str, role: str) -> bool:
    """Whether ``role`` may GET this local path (used to honour ?next= after sign-in)."""
    scope = {"type": "http", "path": path, "method": "GET", "root_path": ""}
    for route in app.router.routes:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return role in PERMISSIONS.get(route.name, ())
    return False


def home_of(principal: Principal | None) -> str:
    return HOME.get(role_of(principal), DEFAULT_HOME) if principal else "/login"


def _next_page(app: FastAPI, raw: str, principal: Principal) -> str:
    path = raw.split("?", 1)[0]
    local = raw.startswith("/") and not raw.startswith("//") and "\\" not in raw
    if local and path not in ("/login", "/logout") and may_open(app, path, principal.role):
        return raw
    return home_of(principal)


# -- wiring -----------------------------------------------------------------------------


def install(app: FastAPI, engine: Engine, templates: Jinja2Templates) -> None:
    """Add the account pages and the refusal pages. The app must also be created with
    ``dependencies=[Depends(guard)]`` so that every route is checked."""
    if not any(d.dependency is guard for d in app.router.dependencies):
        raise RuntimeError("create the app with FastAPI(dependencies=[Depends(auth.guard)]), "
                           "so that every route is checked")
    app.state.engine = engine
    templates.env.globals.update(csrf_field=csrf_field, home_url=lambda r: home_of(
        principal_of(r)))

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AccessProblem)
        if isinstance(exc, LoginRequired) and not is_api(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse("/login?next=" + quote(target, safe=""), status_code=303)
        headers = ({"WWW-Authenticate": 'Bearer realm="stocktake"'} if exc.status == 401
                   else None)
        if is_api(request):
            return JSONResponse({"detail": exc.message}, status_code=exc.status,
                                headers=headers)
        return templates.TemplateResponse(request, "error.html", {
            "title": exc.title, "message": exc.message}, status_code=exc.status,
            headers=headers)

    app.add_exception_handler(AccessProblem, refused)
    _add_routes(app, engine, templates)


def _cookie(request: Request, response: Response, token: str) -> None:
    # No Max-Age: the cookie lasts the browser session; the server enforces the 12 h expiry.
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")


def _add_routes(app: FastAPI, engine: Engine, templates: Jinja2Templates) -> None:
    # On the app itself (not an included router), so app.routes lists them for the matrix.
    get = partial(app.get, include_in_schema=False)
    post = partial(app.post, include_in_schema=False)

    def login_page(request: Request, *, message: str | None = None, error: str | None = None,
                   next_page: str = "", username: str = "", status: int = 200,
                   headers: dict[str, str] | None = None) -> Response:
        response = templates.TemplateResponse(request, "login.html", {
            "message": message, "error": error, "next": next_page, "username": username,
            "principal": principal_of(request), "min_length": accounts.MIN_PASSWORD_LENGTH,
        }, status_code=status, headers=headers)
        return _set_anon_csrf(request, response)

    @get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "", signed_out: int = 0) -> Response:
        return login_page(request, next_page=next,
                          message="You have signed out." if signed_out else None)

    @post("/login", response_class=HTMLResponse)
    def login(request: Request, username: Annotated[str, Form()] = "",
              password: Annotated[str, Form()] = "",
              next: Annotated[str, Form()] = "") -> Response:
        if not username.strip() or not password:
            return login_page(request, error="Enter your username and your password.",
                              next_page=next, username=username, status=400)
        try:
            user = accounts.authenticate(engine, username, password, ip=client_ip(request))
        except LoginRefused as exc:
            return login_page(request, error=str(exc), next_page=next, username=username,
                              status=429, headers={"Retry-After": str(exc.retry_after)})
        except LoginFailed as exc:
            return login_page(request, error=str(exc), next_page=next, username=username,
                              status=401)
        old = request.cookies.get(SESSION_COOKIE)
        if old:  # a new token at every sign-in: a planted cookie is never promoted
            accounts.end_session(engine, old)
        session = accounts.start_session(engine, user.username, ip=client_ip(request))
        principal = Principal(user_id=user.id, username=user.username, role=user.role,
                              unit=user.unit, priorities=user.priorities)
        response = RedirectResponse(_next_page(request.app, next, principal), status_code=303)
        _cookie(request, response, session.token)
        response.delete_cookie(ANON_CSRF_COOKIE, path="/")
        return response

    @post("/logout")
    def logout(request: Request) -> Response:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            accounts.end_session(engine, token)
        response = RedirectResponse("/login?signed_out=1", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # -- your account -------------------------------------------------------------------

    def account_page(request: Request, *, status: int = 200, error: str | None = None,
                     done: str | None = None, new_token: str | None = None) -> Response:
        p = principal_of(request)
        assert p is not None  # the guard let only signed-in people here
        user = accounts.get_user(engine, p.username)
        model = current_model(engine)
        codes = accounts.unit_remit(model, user.unit) if user.role == "provider" else set()
        remit: list[Any] = [u for c, u in model.units.items() if c in codes]
        # The scopes this user may give a token (see accounts.create_api_token).
        scopes = ["read"]
        if user.role == "provider":
            scopes += [f"unit:{u.code}" for u in remit]
        elif user.role in ("admin", "analyst"):
            scopes += [f"unit:{c}" for c in model.units]
        return templates.TemplateResponse(request, "account.html", {
            "user": user, "role_text": accounts.ROLE_TEXT[user.role], "remit": remit,
            "tokens": accounts.list_api_tokens(engine, user.username), "scopes": scopes,
            "error": error, "done": done, "new_token": new_token,
            "min_length": accounts.MIN_PASSWORD_LENGTH,
        }, status_code=status)

    @get("/account", response_class=HTMLResponse)
    def account(request: Request, done: str = "") -> Response:
        return account_page(request, done=done or None)

    @post("/account/password", response_class=HTMLResponse)
    def account_password(request: Request, current: Annotated[str, Form()] = "",
                         new: Annotated[str, Form()] = "",
                         confirm: Annotated[str, Form()] = "") -> Response:
        p = principal_of(request)
        assert p is not None
        if not current or not new:
            return account_page(request, status=400,
                                error="Enter your current password and a new one.")
        if new != confirm:
            return account_page(request, status=400,
                                error="The new password and its confirmation differ.")
        try:
            accounts.change_own_password(engine, p.username, current, new,
                                         ip=client_ip(request))
        except LoginRefused as exc:
            return account_page(request, status=429, error=str(exc))
        except LoginFailed:
            return account_page(request, status=400, error="The current password is wrong.")
        except AccountError as exc:
            return account_page(request, status=400, error=f"Not changed: {exc}.")
        # Every session ended with the old password; this browser gets a new one.
        session = accounts.start_session(engine, p.username, ip=client_ip(request))
        response = RedirectResponse("/account?done=password", status_code=303)
        _cookie(request, response, session.token)
        return response

    @post("/account/tokens", response_class=HTMLResponse)
    def account_token_create(request: Request, scope: Annotated[str, Form()] = "read",
                             label: Annotated[str, Form()] = "") -> Response:
        p = principal_of(request)
        assert p is not None
        try:
            token = accounts.create_api_token(engine, p.username, scope, label=label)
        except AccountError as exc:
            return account_page(request, status=400, error=f"No token made: {exc}.")
        return account_page(request, new_token=token)

    @post("/account/tokens/{token_id}/revoke")
    def account_token_revoke(request: Request, token_id: int) -> Response:
        p = principal_of(request)
        assert p is not None
        try:
            accounts.revoke_api_token(engine, p.username, token_id)
        except AccountError as exc:
            return account_page(request, status=404, error=f"{exc}.")
        return RedirectResponse("/account?done=revoked", status_code=303)

    # -- administration -----------------------------------------------------------------

    def admin_page(request: Request, *, status: int = 200, error: str | None = None,
                   form: dict[str, str] | None = None) -> Response:
        model = current_model(engine)
        done, who = request.query_params.get("done"), request.query_params.get("user", "")
        done_text = {
            "created": f"Account {who} created.", "role": f"The role of {who} was changed.",
            "disabled": f"{who} is disabled: their sessions have ended.",
            "enabled": f"{who} is enabled again.",
            "password": f"A new password was set for {who}: their sessions have ended.",
        }.get(done or "")
        return templates.TemplateResponse(request, "admin_users.html", {
            "users": accounts.list_users(engine), "roles": ROLES,
            "role_text": accounts.ROLE_TEXT, "units": list(model.units.values()),
            "priorities": list(model.priorities.values()),
            "events": accounts.account_events(engine)[-20:][::-1],
            "error": error, "done": done_text, "form": form or {},
            "min_length": accounts.MIN_PASSWORD_LENGTH,
        }, status_code=status)

    def _done(what: str, username: str) -> Response:
        return RedirectResponse(f"/admin/users?done={what}&user={quote(username)}",
                                status_code=303)

    def _codes(text: str) -> list[str]:
        return [c for c in text.replace(",", " ").split() if c]

    @get("/admin/users", response_class=HTMLResponse)
    def admin_users(request: Request) -> Response:
        return admin_page(request)

    @post("/admin/users", response_class=HTMLResponse)
    def admin_user_create(request: Request, username: Annotated[str, Form()] = "",
                          role: Annotated[str, Form()] = "", unit: Annotated[str, Form()] = "",
                          priorities: Annotated[str, Form()] = "",
                          password: Annotated[str, Form()] = "") -> Response:
        p = principal_of(request)
        assert p is not None
        try:
            user = accounts.create_user(engine, username, role, password, unit=unit or None,
                                        priorities=_codes(priorities), by=p.username)
        except AccountError as exc:
            return admin_page(request, status=400, error=f"No account made: {exc}.", form={
                "username": username, "role": role, "unit": unit, "priorities": priorities})
        return _done("created", user.username)

    @post("/admin/users/{username}/role", response_class=HTMLResponse)
    def admin_user_role(request: Request, username: str, role: Annotated[str, Form()] = "",
                        unit: Annotated[str, Form()] = "",
                        priorities: Annotated[str, Form()] = "") -> Response:
        p = principal_of(request)
        assert p is not None
        try:
            user = accounts.set_role(engine, username, role, unit=unit or None,
                                     priorities=_codes(priorities), by=p.username)
        except AccountError as exc:
            return admin_page(request, status=400, error=f"Role not changed: {exc}.")
        return _done("role", user.username)

    @post("/admin/users/{username}/active", response_class=HTMLResponse)
    def admin_user_active(request: Request, username: str,
                          active: Annotated[str, Form()] = "") -> Response:
        p = principal_of(request)
        assert p is not None
        try:
            if active == "0":
                user = accounts.disable_user(engine, username, by=p.username)
            elif active == "1":
                user = accounts.enable_user(engine, username, by=p.username)
            else:
                raise AccountError("say active=1 (enable) or active=0 (disable)")
        except AccountError as exc:
            return admin_page(request, status=400, error=f"Not changed: {exc}.")
        return _done("enabled" if user.active else "disabled", user.username)

    @post("/admin/users/{username}/password", response_class=HTMLResponse)
    def admin_user_password(request: Request, username: str,
                            password: Annotated[str, Form()] = "") -> Response:
        p = principal_of(request)
        assert p is not None
        try:
            accounts.set_password(engine, username, password, by=p.username)
        except AccountError as exc:
            return admin_page(request, status=400, error=f"Password not set: {exc}.")
        return _done("password", accounts.normalise_username(username))

