"""The delivery unit's views of every priority: the portfolio, a priority's page and the
same overview as JSON. Each is computed once per data version (the page cache)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from ..reports.charts import funnel_chart, headline_chart, unit_panel
from ..results import encode
from ..services.reading.overview import portfolio_rows, priority_overview
from ..services.reading.overview import priority_page as priority_page_data
from ..services.reading.snapshot import Snapshot
from .alert_pages import page_alerts
from .deps import PageCache, PriorityInPath, SnapshotDep, render, world_label

router = APIRouter()


def priority_view(snap: Snapshot, code: str) -> dict[str, Any]:
    """Everything the priority page shows. The priority is known to exist (PriorityInPath):
    any error here is ours, a 500, never "no such priority"."""
    view = priority_page_data(snap, code)
    # Every field of the page's answer but funnel_level, which only the API gives.
    return {**{f.name: getattr(view, f.name) for f in fields(view) if f.name != "funnel_level"},
            "chart": headline_chart(view.trajectory, view.spc),
            "panels": {u.unit: unit_panel(u) for u in view.units.units},
            "funnel_svg": funnel_chart(view.funnel) if view.funnel else None}


@router.get("/", response_class=HTMLResponse)
def portfolio(request: Request, snap: SnapshotDep, cache: PageCache) -> HTMLResponse:
    rows = cache.get("portfolio", lambda: portfolio_rows(snap))
    return render(request, "portfolio.html", {
        "overview": rows, "world_label": world_label(request),
    })


@router.get("/priorities/{code}", response_class=HTMLResponse)
def priority_page(request: Request, priority: PriorityInPath, snap: SnapshotDep,
                  cache: PageCache) -> HTMLResponse:
    code = priority.code
    view = cache.get(("priority", code), lambda: priority_view(snap, code))
    return render(request, "priority.html", {**view, "world_label": world_label(request),
                                             "alerts": page_alerts(snap, priority=code)})


@router.get("/api/v1/priorities")
def api_priorities(snap: SnapshotDep, cache: PageCache) -> JSONResponse:
    return JSONResponse(encode(cache.get("overview", lambda: priority_overview(snap))))
