"""Alerts on the web: the alerts page (``/alerts``, by priority and unit) and its JSON
(``/api/v1/alerts``, as ``stocktake alerts --json``), the alerts shown on
the priority page and the data-quality page (``page_alerts``: a call of its own beside those
pages' services), and the review form. Only analysts and admins may review."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ..errors import StocktakeError
from ..results import encode
from ..results.alerts import REVIEW_STATUSES, AlertsReport
from ..services.publishing.trust import alerts_in
from ..services.reading.alerts import alerts, review_alert
from ..services.reading.snapshot import Snapshot
from . import i18n
from .auth import READERS, client_ip
from .deps import CurrentPrincipal, EngineDep, Model, SnapshotDep, render, world_label
from .model_names import alert_levels_in
from .public_words import N_

# REVIEW_STATUSES as the pages show them (``status | tr``), for the catalogue.
STATUS_WORDS = (N_("open"), N_("explained"), N_("confirmed"))

REVIEWERS = frozenset({"admin", "analyst"})
PERMISSIONS: dict[str, frozenset[str]] = {
    "alerts_page": READERS,
    "api_alerts": READERS,
    "alert_review": REVIEWERS,
}

router = APIRouter()


def page_alerts(snap: Snapshot, *, priority: str | None = None,
                unit: str | None = None) -> AlertsReport:
    """The alerts a page shows beside its own reading, from the page's snapshot (the
    detection is kept per data version by the service; the reviews are read fresh), their
    sentences in the page's language."""
    lang = i18n.current()
    return alert_levels_in(alerts_in(snap.model, alerts(snap, priority=priority, unit=unit),
                                     lang), snap.model, lang)


@router.get("/alerts", response_class=HTMLResponse, name="alerts_page")
def alerts_page(request: Request, snap: SnapshotDep, model: Model, priority: str = "",
                unit: str = "") -> Response:
    report = page_alerts(snap, priority=priority or None, unit=unit or None)
    return render(request, "alerts.html", {
        "alerts": report, "priority": priority, "unit": unit, "model": model,
        "world_label": world_label(request)})


@router.get("/api/v1/alerts", name="api_alerts")
def api_alerts(snap: SnapshotDep, priority: str = "", unit: str = "") -> JSONResponse:
    """The same answer as ``stocktake alerts --json``."""
    report = alerts(snap, priority=priority or None, unit=unit or None)
    return JSONResponse(encode(report))


def _back(raw: str, alert: str) -> str:
    """Where the review form came from (a path of this site only), at the alert's row."""
    local = raw.startswith("/") and not raw.startswith("//") and "\\" not in raw
    return f"{raw.split('#')[0] if local else '/alerts'}#alert-{alert}"


@router.post("/alerts/{alert}/review", response_class=HTMLResponse, name="alert_review")
async def alert_review(request: Request, alert: str, engine: EngineDep,
                       principal: CurrentPrincipal) -> Response:
    form = await request.form()
    status, note = str(form.get("status", "")), str(form.get("note", ""))
    try:
        await run_in_threadpool(review_alert, engine, alert, status=status, note=note,
                                by=principal.username, ip=client_ip(request))
    except StocktakeError as exc:
        return render(request, "error.html", {
            "title": N_("Not reviewed"), "message": i18n.say_error(exc),
            "world_label": world_label(request)}, exc.http_status)
    return RedirectResponse(_back(str(form.get("next", "")), alert), status_code=303)


__all__ = ["PERMISSIONS", "REVIEW_STATUSES", "page_alerts", "router"]
