"""Rebasing SPC limits from the priority page: an analyst accepts a suggested rebase (or any
period) with a reason, or withdraws an accepted one. The page shows the suggestions with their
evidence; nothing is rebased until someone accepts it here or with ``stocktake spc-rebase``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from ..services.model_service import current_model
from ..services.rebases import accept_rebase, remove_rebase
from ..store.db import get_meta
from . import auth

REBASERS = frozenset({"admin", "analyst"})
PERMISSIONS: dict[str, frozenset[str]] = {"spc_rebase_record": REBASERS}


def install(app: FastAPI, engine: Engine, templates: Jinja2Templates) -> None:
    """Add the rebase route."""

    def refuse(request: Request, message: str, status: int) -> HTMLResponse:
        return templates.TemplateResponse(request, "error.html", {
            "title": "Not rebased", "message": message,
            "world_label": get_meta(engine, "world_label")}, status_code=status)

    @app.post("/priorities/{code}/rebases", response_class=HTMLResponse,
              name="spc_rebase_record")
    async def spc_rebase_record(request: Request, code: str) -> Response:
        model = current_model(engine)
        p = model.priorities.get(code)
        if p is None:
            return refuse(request, f"There is no priority '{code}'.", 404)
        principal = auth.principal_of(request)
        assert principal is not None
        form = await request.form()
        action = str(form.get("action", "accept"))
        period = str(form.get("period", "")).strip()
        reason = str(form.get("reason", ""))
        if action not in ("accept", "remove"):
            return refuse(request, f"Unknown action '{action}': accept or remove.", 400)
        if not period:
            return refuse(request, "Give the period the new limits start from.", 400)
        act = accept_rebase if action == "accept" else remove_rebase
        try:
            await run_in_threadpool(act, engine, p.headline, p.scope, period, reason=reason,
                                    by=principal.username)
        except ValueError as exc:
            return refuse(request, str(exc), 400)
        return RedirectResponse(f"/priorities/{code}#spc", status_code=303)
