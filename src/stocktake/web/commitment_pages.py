"""Commitments and escalation on the web (issue #17): the commitments page for signed-in
users (filter, search, paging; analysts change a status with a reason), the escalation page
(each priority's intensity and its priority reviews; analysts change them), and the public
tracker under /public (published commitments only, filter, search, CSV download).

Only analysts and admins change a status, an intensity or a review; the public sees only
the commitments marked public, and never who changed them."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from ..delivery.commitments import STATUSES
from ..delivery.escalation import INTENSITIES
from ..delivery.stocktakes import ACTION_STATUSES
from ..errors import StocktakeError
from ..results.commitments import CommitmentsReport
from ..services.routines import commitments as sc
from ..services.routines import escalation as se
from . import auth, i18n, public
from . import model_names as named
from .deps import CurrentPrincipal, EngineDep, Model, render, world_label
from .i18n import gettext as _
from .public_words import N_

ANALYSTS = frozenset({"admin", "analyst"})
PERMISSIONS: dict[str, frozenset[str]] = {
    "commitments_page": auth.SIGNED_IN,
    "commitment_status": ANALYSTS,
    "escalation_page": auth.READERS,
    "intensity_set": ANALYSTS,
    "review_commission": ANALYSTS,
    "review_report": ANALYSTS,
    "review_follow_up": ANALYSTS,
    "review_close": ANALYSTS,
    "public_commitments": auth.PUBLIC,
    "public_commitments_csv": auth.PUBLIC,
}
PER_PAGE = 50

# Words Python holds that these pages show through ``tr``, marked for the catalogue: each
# intensity (its key and its words), the stages of a review and the statuses of its
# recommendations (tests/web/test_translations.py checks they are these).
SHOWN_WORDS = (
    N_("routine"), N_("intensive"), N_("crisis"),
    N_("routine monitoring"), N_("intensive support"), N_("crisis: the centre leads"),
    N_("commissioned"), N_("reported"), N_("closed"),
    N_("open"), N_("in_progress"), N_("done"), N_("dropped"),
)

router = APIRouter()


def _filters(status: str, minister: str, department: str, q: str) -> dict[str, Any]:
    return {"status": status or None, "minister": minister or None,
            "department": department or None, "search": q or None}


def _report(request: Request, engine: Engine, filters: dict[str, Any], *,
            public_only: bool = False, page: int = 1,
            per_page: int = PER_PAGE) -> CommitmentsReport:
    """The commitments report, read once per version of the commitments (web.cache): a
    page read costs the version query, not the read of every commitment and its history."""
    key = ("report", public_only, page, per_page, tuple(sorted(filters.items())))
    return request.app.state.commitments.get(key, lambda: sc.commitments_report(
        engine, public_only=public_only, page=page, per_page=per_page, **filters))


def _query(filters: dict[str, Any], page: int) -> str:
    keep = {("q" if k == "search" else k): v for k, v in filters.items() if v}
    return urlencode({**keep, "page": page})


@router.get("/commitments", response_class=HTMLResponse, name="commitments_page")
def commitments_page(request: Request, engine: EngineDep, who: CurrentPrincipal,
                     status: str = "", minister: str = "", department: str = "",
                     q: str = "", page: int = 1, done: str = "") -> Response:
    filters = _filters(status, minister, department, q)
    try:
        report = _report(request, engine, filters, page=max(page, 1))
    except StocktakeError as exc:
        return render(request, "error.html", {
            "title": _("No such commitments"), "message": i18n.say_error(exc),
            "world_label": world_label(request)}, exc.http_status)
    return render(request, "commitments.html", {
        "report": report, "filters": filters, "statuses": STATUSES,
        "editable": who.role in ANALYSTS,
        "prev_url": f"?{_query(filters, report.page - 1)}" if report.page > 1 else "",
        "next_url": (f"?{_query(filters, report.page + 1)}" if report.page < report.pages
                     else ""),
        "done": done, "world_label": world_label(request)})


@router.post("/commitments/{code}/status", response_class=HTMLResponse,
             name="commitment_status")
async def commitment_status(request: Request, code: str, engine: EngineDep,
                            who: CurrentPrincipal) -> Response:
    form = await request.form()
    try:
        await run_in_threadpool(sc.set_status, engine, code, str(form.get("status", "")),
                                reason=str(form.get("reason", "")), by=who.username,
                                ip=auth.client_ip(request))
    except StocktakeError as exc:
        return render(request, "error.html", {
            "title": _("Status not changed"), "message": i18n.say_error(exc),
            "world_label": world_label(request)}, exc.http_status)
    return RedirectResponse(f"/commitments?{urlencode({'q': code, 'done': code})}",
                            status_code=303)


@router.get("/escalation", response_class=HTMLResponse, name="escalation_page")
def escalation_page(request: Request, engine: EngineDep, who: CurrentPrincipal,
                    model: Model) -> Response:
    report = named.escalation_in(se.escalation(engine), model, i18n.current())
    return render(request, "escalation.html", {
        "report": report, "levels": INTENSITIES,
        "statuses": ACTION_STATUSES, "editable": who.role in ANALYSTS,
        "today": date.today(), "world_label": world_label(request)})


def _refused(request: Request, exc: StocktakeError) -> Response:
    return render(request, "error.html", {
        "title": _("Not recorded"), "message": i18n.say_error(exc),
        "world_label": world_label(request)}, exc.http_status)


async def _do(request: Request, call: Any, *args: Any, **kwargs: Any) -> Response:
    try:
        await run_in_threadpool(call, *args, **kwargs)
    except StocktakeError as exc:
        return _refused(request, exc)
    return RedirectResponse("/escalation", status_code=303)


@router.post("/priorities/{code}/intensity", response_class=HTMLResponse,
             name="intensity_set")
async def intensity_set(request: Request, code: str, engine: EngineDep,
                        who: CurrentPrincipal) -> Response:
    form = await request.form()
    return await _do(request, se.set_intensity, engine, code, str(form.get("level", "")),
                     reason=str(form.get("reason", "")), by=who.username,
                     ip=auth.client_ip(request))


@router.post("/escalation/reviews", response_class=HTMLResponse, name="review_commission")
async def review_commission(request: Request, engine: EngineDep,
                            who: CurrentPrincipal) -> Response:
    form = await request.form()
    team = [t for t in str(form.get("team", "")).split(",")]
    return await _do(request, se.commission_review, engine, str(form.get("priority", "")),
                     scope=str(form.get("scope", "")), team=team, by=who.username,
                     ip=auth.client_ip(request))


@router.post("/escalation/reviews/{number}/report", response_class=HTMLResponse,
             name="review_report")
async def review_report(request: Request, number: int, engine: EngineDep,
                        who: CurrentPrincipal) -> Response:
    """Recommendations come one a line: text | owner | due (YYYY-MM-DD)."""
    form = await request.form()
    recs = []
    for line in str(form.get("recommendations", "")).splitlines():
        if line.strip():
            parts = [p.strip() for p in line.split("|")] + ["", ""]
            recs.append({"text": parts[0], "owner": parts[1], "due": parts[2]})
    return await _do(request, se.report_review, engine, number,
                     findings=str(form.get("findings", "")), recommendations=recs,
                     by=who.username, ip=auth.client_ip(request))


@router.post("/escalation/reviews/{number}/follow-up", response_class=HTMLResponse,
             name="review_follow_up")
async def review_follow_up(request: Request, number: int, engine: EngineDep,
                           who: CurrentPrincipal) -> Response:
    form = await request.form()
    return await _do(request, se.follow_up, engine, number,
                     str(form.get("recommendation", "")), status=str(form.get("status", "")),
                     note=str(form.get("note", "")), by=who.username,
                     ip=auth.client_ip(request))


@router.post("/escalation/reviews/{number}/close", response_class=HTMLResponse,
             name="review_close")
async def review_close(request: Request, number: int, engine: EngineDep,
                       who: CurrentPrincipal) -> Response:
    form = await request.form()
    return await _do(request, se.close_review, engine, number,
                     reason=str(form.get("reason", "")), by=who.username,
                     ip=auth.client_ip(request))


# -- the public tracker: published commitments only ----------------------------------------

@router.get("/public/commitments.html", response_class=HTMLResponse,
            name="public_commitments", include_in_schema=False)
def public_commitments(request: Request, engine: EngineDep, status: str = "",
                       minister: str = "", department: str = "", q: str = "",
                       page: int = 1) -> Response:
    filters, problem = _filters(status, minister, department, q), ""
    try:
        report = _report(request, engine, filters, public_only=True, page=max(page, 1))
    except StocktakeError as exc:  # an unknown filter: say so above every commitment
        problem = i18n.say_error(exc)
        report = _report(request, engine, _filters("", "", "", ""), public_only=True)
    html = public.render_page("public_commitments.html", {
        "report": report, "filters": filters, "problem": problem, "statuses": STATUSES,
        "world_label": world_label(request),
        "csv_url": f"commitments.csv?{_query(filters, 1)}",
        "prev_url": f"?{_query(filters, report.page - 1)}" if report.page > 1 else "",
        "next_url": (f"?{_query(filters, report.page + 1)}" if report.page < report.pages
                     else "")})
    return HTMLResponse(html, status_code=422 if problem else 200)


@router.get("/public/commitments.csv", name="public_commitments_csv",
            include_in_schema=False)
def public_commitments_csv(request: Request, engine: EngineDep, status: str = "",
                           minister: str = "", department: str = "", q: str = "") -> Response:
    try:
        report = _report(request, engine, _filters(status, minister, department, q),
                         public_only=True, per_page=0)
    except StocktakeError as exc:
        return PlainTextResponse(str(exc), status_code=exc.http_status)
    return PlainTextResponse(sc.commitments_csv(report), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition":
                                      'attachment; filename="commitments.csv"'})
