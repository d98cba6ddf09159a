"""The administrator's view of the delivery model: its reporting units, indicators and
priorities as loaded, and every change made to them (who, when, from which files). The
model itself is edited as files and loaded with `stocktake load`, which checks everything
together and records each change; this page shows what is in force."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine

from ..services.model_service import current_model, model_changes
from ..store.db import get_meta
from . import auth

PERMISSIONS: dict[str, frozenset[str]] = {"admin_model": auth.ADMINS}


def install(app: FastAPI, engine: Engine, templates: Jinja2Templates) -> None:
    """Add this feature's routes to the app."""

    @app.get("/admin/model", response_class=HTMLResponse, name="admin_model")
    def admin_model(request: Request) -> HTMLResponse:
        model = current_model(engine)
        depth = {code: model.depth(code) for code in model.units}
        return templates.TemplateResponse(request, "admin_model.html", {
            "model": model, "depth": depth, "changes": model_changes(engine)[:50],
            "world_label": get_meta(engine, "world_label"),
        })
