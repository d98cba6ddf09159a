"""The administrator's view of the delivery model: its reporting units, indicators and
priorities as loaded, every change made to them (who, when), and loading a new version of
the model files, checked first, exactly as `stocktake load` does (all files checked
together; nothing stored on any problem; every change recorded)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ..errors import StocktakeError
from ..model.files import ModelError
from ..services.data.model_service import current_model, load_model, model_changes
from ..store.db import get_meta
from . import auth, i18n
from .deps import CurrentPrincipal, EngineDep, engine_of, templates_of
from .i18n import gettext as _
from .public_words import N_

PERMISSIONS: dict[str, frozenset[str]] = {"admin_model": auth.ADMINS,
                                          "admin_model_load": auth.ADMINS}
REQUIRED = ("units.csv", "indicators.yaml", "priorities.yaml")
OPTIONAL = ("datasets.yaml", "rules.yaml")
MAX_BYTES = 5 * 1024 * 1024
# A model change's words (store.model_repo's entities and actions), translated where shown.
CHANGE_WORDS = (N_("unit"), N_("indicator"), N_("priority"), N_("dataset"), N_("rule"),
                N_("added"), N_("changed"), N_("restored"), N_("retired"))


router = APIRouter()


def render(request: Request, status: int = 200, **extra: Any) -> HTMLResponse:
    engine = engine_of(request)
    model = current_model(engine)
    return templates_of(request).TemplateResponse(request, "admin_model.html", {
        "model": model, "depth": {c: model.depth(c) for c in model.units},
        "levels": {u.level: model.level_in(u.level, i18n.current())
                   for u in model.units.values()},
        "changes": model_changes(engine)[:50], "required": REQUIRED,
        "optional": OPTIONAL, "world_label": get_meta(engine, "world_label"),
        "problems": [], "preview": None, "loaded": None, **extra,
    }, status_code=status)


@router.get("/admin/model", response_class=HTMLResponse, name="admin_model")
def admin_model(request: Request) -> HTMLResponse:
    return render(request)


@router.post("/admin/model", response_class=HTMLResponse, name="admin_model_load")
async def admin_model_load(request: Request, engine: EngineDep,
                           principal: CurrentPrincipal) -> HTMLResponse:
    form = await request.form()
    apply = form.get("action") == "load"
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
                return render(request, 400,
                              problems=[_("%(file)s: larger than 5 MB") % {"file": name}])
            (Path(folder) / name).write_bytes(data)
        if missing:
            return render(request, 400, problems=[
                _("%(file)s: required (the model is loaded whole, as `stocktake load` does)")
                % {"file": name} for name in missing])
        try:
            summary = await run_in_threadpool(
                load_model, engine, folder, loaded_by=principal.username, dry_run=not apply,
                ip=auth.client_ip(request))
        except (ModelError, StocktakeError) as exc:  # every problem, beside the form
            return render(request, 400, problems=[str(p) for p in exc.problems])
    changes = [{"entity": c.entity, "code": c.code, "action": c.action,
                "fields": c.fields_changed()} for c in summary.changes]
    if apply:
        return render(request, loaded=changes)
    return render(request, preview=changes)
