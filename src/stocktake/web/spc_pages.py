"""Rebasing SPC limits from the priority page: an analyst accepts a suggested rebase (or any
period) with a reason, or withdraws an accepted one. The page shows the suggestions with their
evidence; nothing is rebased until someone accepts it here or with ``stocktake spc-rebase``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ..errors import StocktakeError
from ..services.reading.rebases import accept_rebase, remove_rebase
from . import i18n
from .deps import CurrentPrincipal, EngineDep, PriorityInPath, render, world_label
from .i18n import gettext as _
from .public_words import N_

REBASERS = frozenset({"admin", "analyst"})
PERMISSIONS: dict[str, frozenset[str]] = {"spc_rebase_record": REBASERS}


router = APIRouter()


def refuse(request: Request, message: str, status: int) -> HTMLResponse:
    return render(request, "error.html", {
        "title": N_("Not rebased"), "message": message, "world_label": world_label(request)},
        status)


@router.post("/priorities/{code}/rebases", response_class=HTMLResponse,
             name="spc_rebase_record")
async def spc_rebase_record(request: Request, p: PriorityInPath, engine: EngineDep,
                            principal: CurrentPrincipal) -> Response:
    form = await request.form()
    action = str(form.get("action", "accept"))
    period = str(form.get("period", "")).strip()
    reason = str(form.get("reason", ""))
    if action not in ("accept", "remove"):
        return refuse(request, _("Unknown action '%(action)s': accept or remove.") % {
            "action": action}, 400)
    if not period:
        return refuse(request, _("Give the period the new limits start from."), 400)
    act = accept_rebase if action == "accept" else remove_rebase
    try:
        await run_in_threadpool(act, engine, p.headline, p.scope, period, reason=reason,
                                by=principal.username)
    except StocktakeError as exc:
        return refuse(request, i18n.say_error(exc), 400)
    return RedirectResponse(f"/priorities/{p.code}#spc", status_code=303)
