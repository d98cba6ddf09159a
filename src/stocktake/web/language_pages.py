"""Saving a signed-in user's language: the switch in the masthead is a small form that
POSTs here (a GET must never write: following a ``?lang=`` link changes only this browser's
cookie and the page, see ``i18n``). The choice is kept for the account and this browser,
and the user goes back to the page they were on, in the language chosen."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ..errors import Invalid
from ..services.admin import accounts
from . import auth, i18n
from .deps import CurrentPrincipal, EngineDep, render

PERMISSIONS: dict[str, frozenset[str]] = {"account_language_set": auth.SIGNED_IN}

router = APIRouter(include_in_schema=False)


@router.post("/account/language", response_class=HTMLResponse, name="account_language_set")
async def language_set(request: Request, engine: EngineDep, who: CurrentPrincipal,
                       lang: Annotated[str, Form()] = "",
                       next: Annotated[str, Form()] = "") -> Response:
    if lang not in i18n.LANGUAGES:  # nothing is saved
        return render(request, "error.html", {
            "title": i18n.gettext("Language not changed"),
            "message": i18n.gettext("%(lang)r is not a language of this site: choose one of "
                                    "%(choices)s.") % {"lang": lang,
                                                       "choices": ", ".join(i18n.LANGUAGES)}},
            Invalid.http_status)
    await run_in_threadpool(accounts.set_language, engine, who.user_id, lang)
    response = RedirectResponse(auth.next_page_for(request.app, next, who), status_code=303)
    response.set_cookie(i18n.COOKIE, lang, max_age=i18n.COOKIE_AGE, path="/", samesite="lax",
                        secure=request.url.scheme == "https")
    return response
