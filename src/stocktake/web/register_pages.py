"""Across priorities on the web (issue #17): the risk register of every current plan
(``/risks``) and the milestone timeline (``/milestones``), for the delivery unit and the
priorities' owners. The figures and rules are the service's (services/routines/register.py);
this module only renders them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..delivery.plans import HIGH_RISK_SCORE
from ..reports.timeline import milestone_timeline
from ..services.routines.register import across_priorities
from . import i18n
from .auth import READERS
from .deps import EngineDep, render, world_label

PERMISSIONS: dict[str, frozenset[str]] = {
    "risk_register": READERS,
    "milestone_timeline": READERS,
}

router = APIRouter()


@router.get("/risks", response_class=HTMLResponse, name="risk_register")
def risk_register(request: Request, engine: EngineDep) -> Response:
    return render(request, "risks.html", {"across": across_priorities(engine,
                                                                      lang=i18n.current()),
                                          "high_score": HIGH_RISK_SCORE,
                                          "world_label": world_label(request)})


@router.get("/milestones", response_class=HTMLResponse, name="milestone_timeline")
def milestones(request: Request, engine: EngineDep) -> Response:
    across = across_priorities(engine, lang=i18n.current())
    return render(request, "milestones.html", {
        "across": across, "timeline_svg": milestone_timeline(across),
        "world_label": world_label(request)})


__all__ = ["PERMISSIONS", "router"]
