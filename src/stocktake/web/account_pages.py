"""Accounts on the web: signing in and out, your own account (password, API tokens) and
the administration of users, every user's API tokens and the audit log. Who may open each
page is in auth.PERMISSIONS; the rules themselves (passwords, the sign-in throttle,
sessions, tokens, roles) are in ``services.accounts``, the log in ``services.audit``."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..services.admin import accounts, audit
from ..services.admin.accounts import ROLES, AccountError, LoginFailed, LoginRefused, Principal
from ..services.data.model_service import current_model
from .auth import (
    ANON_CSRF_COOKIE,
    SESSION_COOKIE,
    client_ip,
    next_page_for,
    principal_of,
    set_anon_csrf,
)
from .deps import CurrentPrincipal, EngineDep, engine_of, templates_of
from .i18n import gettext as _
from .public_words import N_

router = APIRouter(include_in_schema=False)

# Words Python holds that these pages translate where they show them (`| tr`): each role in
# words (accounts.ROLE_TEXT), each kind of audit event (results.audit.ACTIONS) and each
# account change (accounts' events); tests/web/test_translations.py checks they are these.
ROLE_TEXT_WORDS = (
    N_("administers accounts and the model, and does everything an analyst does"),
    N_("works in the delivery unit: reads and edits everything except accounts"),
    N_("reads everything; edits the plans and actions of their own priorities"),
    N_("submits data and sees drafts for their unit and the units below it"),
    N_("reads everything"),
)
AUDIT_WORDS = (
    N_("signed in"), N_("failed to sign in"), N_("sign-in refused (too many failures)"),
    N_("account created"), N_("role or scope changed"), N_("account disabled"),
    N_("account enabled"), N_("password set"), N_("API token made"), N_("API token revoked"),
    N_("API token refused (beyond its account's powers)"), N_("model loaded"),
    N_("alert reviewed (explained, confirmed or reopened)"),
    N_("e-mail address or reminders set"), N_("e-mail address removed"),
    N_("commitments loaded"), N_("commitment's status changed"),
    N_("priority's intensity changed"),
    N_("priority review commissioned, reported, followed up or closed"),
)
ACCOUNT_CHANGE_WORDS = (N_("created"), N_("role"), N_("disabled"), N_("enabled"),
                        N_("password"), N_("token created"), N_("token revoked"))


def _cookie(request: Request, response: Response, token: str) -> None:
    # No Max-Age: the cookie lasts the browser session; the server enforces the 12 h expiry.
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")


def login_page(request: Request, *, message: str | None = None, error: str | None = None,
               next_page: str = "", username: str = "", status: int = 200,
               headers: dict[str, str] | None = None) -> Response:
    response = templates_of(request).TemplateResponse(request, "login.html", {
        "message": message, "error": error, "next": next_page, "username": username,
        "principal": principal_of(request),
    }, status_code=status, headers=headers)
    return set_anon_csrf(request, response)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "", signed_out: int = 0) -> Response:
    return login_page(request, next_page=next,
                      message=_("You have signed out.") if signed_out else None)


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, engine: EngineDep, username: Annotated[str, Form()] = "",
          password: Annotated[str, Form()] = "",
          next: Annotated[str, Form()] = "") -> Response:
    if not username.strip() or not password:
        return login_page(request, error=_("Enter your username and your password."),
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
    response = RedirectResponse(next_page_for(request.app, next, principal), status_code=303)
    _cookie(request, response, session.token)
    response.delete_cookie(ANON_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, engine: EngineDep) -> Response:
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
    engine = engine_of(request)
    user = accounts.get_user(engine, p.username)
    model = current_model(engine)
    codes = accounts.unit_remit(model, user.unit) if user.role == "provider" else set()
    remit: list[Any] = [u for c, u in model.units.items() if c in codes]
    # The scopes this user may give a token (see accounts.create_api_token).
    scopes = ["read"]
    if user.role in accounts.ROUTINE_WRITERS:
        scopes.append(accounts.ROUTINES_SCOPE)
    if user.role == "provider":
        scopes += [f"unit:{u.code}" for u in remit]
    elif user.role in ("admin", "analyst"):
        scopes += [f"unit:{c}" for c in model.units]
    return templates_of(request).TemplateResponse(request, "account.html", {
        "user": user, "role_text": accounts.ROLE_TEXT[user.role], "remit": remit,
        "tokens": accounts.list_api_tokens(engine, user.username), "scopes": scopes,
        "error": error, "done": done, "new_token": new_token,
        "min_length": accounts.MIN_PASSWORD_LENGTH,
    }, status_code=status)


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, done: str = "") -> Response:
    return account_page(request, done=done or None)


@router.post("/account/password", response_class=HTMLResponse)
def account_password(request: Request, engine: EngineDep, p: CurrentPrincipal,
                     current: Annotated[str, Form()] = "",
                     new: Annotated[str, Form()] = "",
                     confirm: Annotated[str, Form()] = "") -> Response:
    if not current or not new:
        return account_page(request, status=400,
                            error=_("Enter your current password and a new one."))
    if new != confirm:
        return account_page(request, status=400,
                            error=_("The new password and its confirmation differ."))
    try:
        accounts.change_own_password(engine, p.username, current, new,
                                     ip=client_ip(request))
    except LoginRefused as exc:
        return account_page(request, status=429, error=str(exc))
    except LoginFailed:
        return account_page(request, status=400, error=_("The current password is wrong."))
    except AccountError as exc:
        return account_page(request, status=400, error=_("Not changed: %(why)s.") % {"why": exc})
    # Every session ended with the old password; this browser gets a new one.
    session = accounts.start_session(engine, p.username, ip=client_ip(request))
    response = RedirectResponse("/account?done=password", status_code=303)
    _cookie(request, response, session.token)
    return response


@router.post("/account/tokens", response_class=HTMLResponse)
def account_token_create(request: Request, engine: EngineDep, p: CurrentPrincipal,
                         scope: Annotated[str, Form()] = "read",
                         label: Annotated[str, Form()] = "") -> Response:
    try:
        token = accounts.create_api_token(engine, p.username, scope, label=label,
                                          ip=client_ip(request))
    except AccountError as exc:
        return account_page(request, status=400,
                            error=_("No token made: %(why)s.") % {"why": exc})
    return account_page(request, new_token=token)


# A token's id as the database can hold it (64 bits): a larger one is a 422, not a 500.
TokenId = Annotated[int, Path(ge=1, le=2**63 - 1, description="A token's number")]


@router.post("/account/tokens/{token_id}/revoke")
def account_token_revoke(request: Request, engine: EngineDep, p: CurrentPrincipal,
                         token_id: TokenId) -> Response:
    try:
        accounts.revoke_api_token(engine, p.username, token_id, ip=client_ip(request))
    except AccountError as exc:
        return account_page(request, status=404, error=f"{exc}.")
    return RedirectResponse("/account?done=revoked", status_code=303)


# -- administration -----------------------------------------------------------------


def admin_page(request: Request, *, status: int = 200, error: str | None = None,
               form: dict[str, str] | None = None) -> Response:
    engine = engine_of(request)
    model = current_model(engine)
    done, who = request.query_params.get("done"), request.query_params.get("user", "")
    done_text = {
        "created": _("Account %(who)s created."), "role": _("The role of %(who)s was changed."),
        "disabled": _("%(who)s is disabled: their sessions have ended."),
        "enabled": _("%(who)s is enabled again."),
        "password": _("A new password was set for %(who)s: their sessions have ended."),
        "revoked": _("The API token of %(who)s was revoked: it no longer works."),
    }.get(done or "")
    done_text = done_text % {"who": who} if done_text else None
    return templates_of(request).TemplateResponse(request, "admin_users.html", {
        "users": accounts.list_users(engine), "roles": ROLES,
        "role_text": accounts.ROLE_TEXT, "units": list(model.units.values()),
        "priorities": list(model.priorities.values()),
        "events": accounts.account_events(engine)[-20:][::-1],
        "tokens": accounts.list_all_api_tokens(engine),
        "error": error, "done": done_text, "form": form or {},
        "min_length": accounts.MIN_PASSWORD_LENGTH,
    }, status_code=status)


def _done(what: str, username: str) -> Response:
    return RedirectResponse(f"/admin/users?done={what}&user={quote(username)}",
                            status_code=303)


def _codes(text: str) -> list[str]:
    return [c for c in text.replace(",", " ").split() if c]


@router.get("/admin/users", response_class=HTMLResponse)
def admin_users(request: Request) -> Response:
    return admin_page(request)


@router.post("/admin/users", response_class=HTMLResponse)
def admin_user_create(request: Request, engine: EngineDep, p: CurrentPrincipal,
                      username: Annotated[str, Form()] = "",
                      role: Annotated[str, Form()] = "", unit: Annotated[str, Form()] = "",
                      priorities: Annotated[str, Form()] = "",
                      password: Annotated[str, Form()] = "") -> Response:
    try:
        user = accounts.create_user(engine, username, role, password, unit=unit or None,
                                    priorities=_codes(priorities), by=p.username,
                                    ip=client_ip(request))
    except AccountError as exc:
        return admin_page(request, status=400,
                          error=_("No account made: %(why)s.") % {"why": exc}, form={
            "username": username, "role": role, "unit": unit, "priorities": priorities})
    return _done("created", user.username)


@router.post("/admin/users/{username}/role", response_class=HTMLResponse)
def admin_user_role(request: Request, engine: EngineDep, p: CurrentPrincipal, username: str,
                    role: Annotated[str, Form()] = "",
                    unit: Annotated[str, Form()] = "",
                    priorities: Annotated[str, Form()] = "") -> Response:
    try:
        user = accounts.set_role(engine, username, role, unit=unit or None,
                                 priorities=_codes(priorities), by=p.username,
                                 ip=client_ip(request))
    except AccountError as exc:
        return admin_page(request, status=400,
                          error=_("Role not changed: %(why)s.") % {"why": exc})
    return _done("role", user.username)


@router.post("/admin/users/{username}/active", response_class=HTMLResponse)
def admin_user_active(request: Request, engine: EngineDep, p: CurrentPrincipal,
                      username: str,
                      active: Annotated[str, Form()] = "") -> Response:
    try:
        if active == "0":
            user = accounts.disable_user(engine, username, by=p.username,
                                         ip=client_ip(request))
        elif active == "1":
            user = accounts.enable_user(engine, username, by=p.username, ip=client_ip(request))
        else:
            raise AccountError("say active=1 (enable) or active=0 (disable)")
    except AccountError as exc:
        return admin_page(request, status=400, error=_("Not changed: %(why)s.") % {"why": exc})
    return _done("enabled" if user.active else "disabled", user.username)


@router.post("/admin/users/{username}/password", response_class=HTMLResponse)
def admin_user_password(request: Request, engine: EngineDep, p: CurrentPrincipal,
                        username: str,
                        password: Annotated[str, Form()] = "") -> Response:
    try:
        accounts.set_password(engine, username, password, by=p.username,
                              ip=client_ip(request))
    except AccountError as exc:
        return admin_page(request, status=400,
                          error=_("Password not set: %(why)s.") % {"why": exc})
    return _done("password", accounts.normalise_username(username))



@router.post("/admin/users/{username}/tokens/{token_id}/revoke", response_class=HTMLResponse)
def admin_token_revoke(request: Request, engine: EngineDep, p: CurrentPrincipal,
                       username: str, token_id: TokenId) -> Response:
    try:
        accounts.revoke_api_token(engine, username, token_id, by=p.username,
                                  ip=client_ip(request))
    except AccountError as exc:
        return admin_page(request, status=404, error=_("Not revoked: %(why)s.") % {"why": exc})
    return _done("revoked", accounts.normalise_username(username))


# -- the audit log --------------------------------------------------------------------

AUDIT_PAGE_SIZE = 200


@router.get("/admin/audit", response_class=HTMLResponse)
def admin_audit(request: Request, engine: EngineDep, user: str = "",
                action: str = "") -> Response:
    """The newest security events, optionally for one account or of one kind."""
    subject = accounts.normalise_username(user) or None
    error = None
    if action and action not in audit.ACTIONS:
        error = _("There is no event kind '%(action)s': showing every kind.") % {
            "action": action}
        action = ""
    entries = audit.read_log(engine, subject=subject, action=action or None,
                             limit=AUDIT_PAGE_SIZE)
    return templates_of(request).TemplateResponse(request, "admin_audit.html", {
        "entries": entries, "actions": audit.ACTIONS, "user": user, "action": action,
        "limit": AUDIT_PAGE_SIZE, "error": error}, status_code=400 if error else 200)
