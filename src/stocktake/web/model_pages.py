"""The administrator's view of the delivery model: its reporting units, indicators and
priorities as loaded, every change made to them (who, when), and loading a new version of
the model files, checked first, exactly as `stocktake load` does (all files checked
together; nothing stored on any problem; every change recorded)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ..model.files import ModelError
from ..services.model_service import current_model, load_model, model_changes
from ..store.db import get_meta
from . import auth

PERMISSIONS: dict[str, frozenset[str]] = {"admin_model": auth.ADMINS,
                                          "admin_model_load": auth.ADMINS}
REQUIRED = ("units.csv", "indicators.yaml", "priorities.yaml")
OPTIONAL = ("datasets.yaml", "rules.yaml")
MAX_BYTES = 5 * 1024 * 1024


def install(app: FastAPI, engine: Engine, templates: Jinja2Templates) -> None:
    """Add this feature's routes to the app."""

    def render(request: Request, status: int = 200, **extra: Any) -> HTMLResponse:
        model = current_model(engine)
        return templates.TemplateResponse(request, "admin_model.html", {
            "model": model, "depth": {c: model.depth(c) for c in model.units},
            "changes": model_changes(engine)[:50], "required": REQUIRED,
            "optional": OPTIONAL, "world_label": get_meta(engine, "world_label"),
            "problems": [], "preview": None, "loaded": None, **extra,
        }, status_code=status)

    @app.get("/admin/model", response_class=HTMLResponse, name="admin_model")
    def admin_model(request: Request) -> HTMLResponse:
        return render(request)

    @app.post("/admin/model", response_class=HTMLResponse, name="admin_model_load")
    async def admin_model_load(request: Request) -> HTMLResponse:
        form = await request.form()
        apply = form.get("action") == "load"
        principal = auth.principal_of(request)
        with tempfile.TemporaryDirectory(prefix="stocktake-model-") as folder:
            missing = []
            for name in (*REQUIRED, *OPTIONAL):
                upload = form.get(name)
                if not isinstance(upload, UploadFile) or not upload.filename:
                    if name in REQUIRED:
                        missing.append(name)
                    continue
                data = await upload.read(MAX_BYTES + 1)
                if len(data) > MAX_BYTES:
                    return render(request, 400, problems=[f"{name}: larger than 5 MB"])
                (Path(folder) / name).write_bytes(data)
            if missing:
                return render(request, 400, problems=[
                    f"{name}: required (the model is loaded whole, as `stocktake load` does)"
                    for name in missing])
            try:
                summary = await run_in_threadpool(
                    load_model, engine, folder, loaded_by=principal.username, dry_run=not apply)
            except ModelError as exc:
                return render(request, 400, problems=[str(p) for p in exc.problems])
        changes = [{"entity": c.entity, "code": c.code, "action": c.action,
                    "fields": c.fields_changed()} for c in summary.changes]
        if apply:
            return render(request, loaded=changes)
        return render(request, preview=changes)
