"""How the web answers when a request goes wrong: one handler per kind of failure, each
answering JSON under /api/ and a page elsewhere.

- A ``StocktakeError`` (stocktake.errors) is the user's to put right: its kind's status
  (NotFound 404, Invalid 422, Conflict 409, Forbidden 403) with its message and every
  problem listed. Forms that show their problems beside the fields catch it themselves.
- A request FastAPI cannot read into its route's parameters (``offset=abc``, ``saved=abc``
  on a page) is an ``Invalid`` like any other: 422, each parameter named.
- An ``HTTPException`` (an unknown path, a wrong method, the API's own refusals) keeps
  FastAPI's ``{"detail": ...}`` under /api/ and becomes a page elsewhere.

Under /api/ every error body is one shape, ``ErrorOut``: ``detail`` always, ``problems``
and ``request_id`` where there are some; the OpenAPI document describes it so.
- Anything else is our fault: a 500 that says so, with a request id that is also written
  to the log beside the traceback, so a report can be matched to its cause. Never a 404.

Refusals by the guard (sign in, not your role, CSRF) are auth.refused.
"""

from __future__ import annotations

import logging
import re
import secrets

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import Conflict, Forbidden, Invalid, NotFound, Problem, StocktakeError, Text
from . import auth, i18n
from .deps import render, world_label
from .i18n import gettext as _
from .i18n import ngettext
from .public_words import N_, tr

log = logging.getLogger("stocktake.web")

# The titles are English here and translated on the page (error.html: ``title | tr``).
TITLES: dict[type[StocktakeError], str] = {
    NotFound: N_("Not found"), Invalid: N_("Not accepted"), Conflict: N_("Not possible now"),
    Forbidden: N_("Not allowed")}
HTTP_TITLES = {404: N_("Not found"), 400: N_("Bad request"), 405: N_("Not allowed")}
SOMETHING_WRONG = N_("Something went wrong")
INTERNAL = N_("Something went wrong on our side, not in what you sent. If it happens again, "
              "please report it with this request id: %(request_id)s.")
# The titles and fixed messages of the guard's refusals (auth.py), translated on the same
# page; tests/web/test_translations.py checks that these are auth's.
REFUSALS = (N_("Not allowed"), N_("Please sign in"), N_("Not open to your role"),
            N_("Form refused"), N_("API token refused"),
            N_("This form was refused because its security token (csrf_token) is missing or "
               "does not match your session. This happens when a page was opened before you "
               "last signed in, or when another site tries to send the form. Reload the page "
               "and send it again."),
            N_("Method Not Allowed"))  # Starlette's detail of a 405

# auth.guard's refusal of a role, said again in the page's language from its two words
_ROLE_REFUSAL = re.compile(r"You are signed in as (?P<user>.+) \((?P<role>\w+)\)\. This page "
                           r"is not open to the (?P=role) role\.")


def page_message(message: str) -> str:
    """An error's message as error.html shows it: a fixed message of the catalogue in the
    page's language, the guard's refusal of a role said again from its words, a message a
    service wrote as it was written."""
    found = None if i18n.current() == i18n.DEFAULT else _ROLE_REFUSAL.fullmatch(message)
    if found is None:
        return tr(message)
    return _("You are signed in as %(user)s (%(role)s). This page is not open to the "
             "%(role)s role.") % {"user": found["user"], "role": _(found["role"])}


class ErrorOut(BaseModel):
    """The body of every error answer under /api/ (the OpenAPI document's error schema)."""

    detail: str = Field(description="What went wrong, in words")
    problems: list[str] = Field(default=[], description="Each problem found, with where "
                                "it is (a parameter, a field path, a row), when several")
    request_id: str | None = Field(default=None, description="On a 500 only: quote it "
                                   "when reporting the failure (the log has it too)")


async def user_error(request: Request, exc: Exception) -> Response:
    """A StocktakeError: its kind's status, its message, each of its problems."""
    assert isinstance(exc, StocktakeError)
    if auth.is_api(request):
        return JSONResponse({"detail": str(exc), "problems": exc.messages},
                            status_code=exc.http_status)
    title = next((t for kind, t in TITLES.items() if isinstance(exc, kind)), "Not accepted")
    # Each problem in the page's language (i18n.say_problem; English as the CLI says it).
    count = len(exc.problems)
    message = (i18n.say_source(exc) + ngettext("%(num)s problem:", "%(num)s problems:", count)
               % {"num": count} if count > 1 else i18n.say_error(exc))
    return render(request, "error.html", {
        "title": title, "message": message,
        "problems": [i18n.say_problem(p) for p in exc.problems] if count > 1 else [],
        "world_label": world_label(request)}, exc.http_status)


# Pydantic's words for the commonest wrong parameters, as Text: a page says them in its
# language, the API as pydantic wrote them.
PYDANTIC_WORDS = {message: Text(message) for message in (
    N_("Input should be a valid integer, unable to parse string as an integer"),
    N_("Input should be a valid number, unable to parse string as a number"),
    N_("Input should be a valid boolean, unable to interpret input"),
    N_("Field required"))}


def invalid_request(exc: RequestValidationError) -> Invalid:
    """FastAPI's findings on a request's parameters and body as one Invalid, each problem
    at its place (``offset``, ``body.rows``): a wrong parameter is the user's to put right."""
    problems = []
    for error in exc.errors():
        # loc is (where it came from, name, ...): ("query", "offset"), ("body", "rows", 0)
        where = ".".join(str(part) for part in error.get("loc", ())[1:]) or "request"
        message = str(error.get("msg", "not valid"))
        problems.append(Problem(PYDANTIC_WORDS.get(message, message), where))
    return Invalid(problems or [Problem("the request is not valid")])


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return await user_error(request, invalid_request(exc))


async def http_error(request: Request, exc: Exception) -> Response:
    """The API answers in JSON; a person gets a page (with its title, language, way home)."""
    assert isinstance(exc, StarletteHTTPException)
    if request.url.path.startswith("/api/"):
        return await http_exception_handler(request, exc)
    title = HTTP_TITLES.get(exc.status_code, SOMETHING_WRONG)
    detail = exc.detail if isinstance(exc.detail, str) else title  # translated on the page
    if exc.status_code == 404 and detail == "Not Found":
        detail = _("There is no page at %(path)s.") % {"path": request.url.path}
    return render(request, "error.html", {
        "title": title, "message": detail, "world_label": world_label(request),
    }, exc.status_code, headers=getattr(exc, "headers", None))


async def internal_error(request: Request, exc: Exception) -> Response:
    """Any other exception: a 500 with a request id, the traceback in the log only."""
    request_id = getattr(request.state, "request_id", None) or secrets.token_hex(8)  # logs.py
    log.error("request %s failed: %s %s", request_id, request.method, request.url.path,
              exc_info=exc)
    headers = {"X-Request-Id": request_id}
    if auth.is_api(request):  # the API speaks English
        return JSONResponse({"detail": INTERNAL % {"request_id": request_id},
                             "request_id": request_id}, status_code=500, headers=headers)
    # This handler runs outside i18n.LanguageChoice: the request's language is in its state.
    with i18n.language(getattr(request.state, "lang", i18n.DEFAULT)):
        message = _(INTERNAL) % {"request_id": request_id}
        try:  # no world label: the database may be what failed
            return render(request, "error.html", {"title": SOMETHING_WRONG,
                                                  "message": message}, 500, headers=headers)
        except Exception:  # the page itself failed: plain words still say what to report
            log.exception("request %s: the error page failed too", request_id)
            return HTMLResponse(f"<!doctype html><title>{_(SOMETHING_WRONG)}</title>"
                                f"<p>{message}</p>", status_code=500, headers=headers)


def add_handlers(app: FastAPI) -> None:
    """Register the handlers (the guard's refusals too) on the app."""
    app.add_exception_handler(auth.AccessProblem, auth.refused)
    app.add_exception_handler(StocktakeError, user_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, internal_error)
