"""The routines of delivery through /api/v1 (issue #15): plans, assessments, stocktakes,
actions and alert reviews, read and written by the same services and the same roles as
their pages (delivery_pages, alert_pages), so that another system can drive a routine.

Each route is a thin shell: parse the JSON, call the service, encode its typed result with
the one encoder. Documents are the model files' YAML documents written as JSON
(examples/delivery/*.yaml; dates as "2024-10-15"). A service's user errors go to the one
error handler (NotFound 404, Invalid 422, Conflict 409); who may write is the page's rule:
analysts and admins every priority, an owner only their own (deps.editor). Another system
writes with a ``routines`` API token, which acts as its account does at each request and
may write these routes only (auth.ROUTINE_WRITES); or with a session and its CSRF token.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ..delivery.stocktakes import ACTION_STATUSES
from ..errors import Invalid
from ..results import encode
from ..results.alerts import REVIEW_STATUSES
from ..services.reading.alerts import review_alert
from ..services.reading.clock import parse_moment
from ..services.routines import assessments, plans, stocktakes
from .alert_pages import REVIEWERS
from .auth import READERS, client_ip
from .delivery_pages import ASSESSORS, EDITORS
from .deps import CurrentPrincipal, Editor, EngineDep, PriorityInPath, editor

# Route name -> roles: the same sets as the pages that read and write the same things.
PERMISSIONS: dict[str, frozenset[str]] = {
    "api_plan": READERS,
    "api_plan_diff": READERS,
    "api_plan_load": EDITORS,
    "api_assessments": READERS,
    "api_assessment_record": ASSESSORS,
    "api_stocktakes": READERS,
    "api_stocktake_record": EDITORS,
    "api_actions": READERS,
    "api_action_update": EDITORS,
    "api_alert_review": REVIEWERS,
}

router = APIRouter(tags=["routines"])

MAX_VERSION = 2**31 - 1  # versions, rounds and ids are database integers
AsOf = Annotated[str | None, Query(
    description="Read as known at this moment: an ISO timestamp or a date (the end of "
                "that day). Default: now.", examples=["2025-03-01"])]


class Report(BaseModel):
    """A service's answer, as ``stocktake ... --json`` prints it."""

    model_config = {"extra": "allow"}


Document = Annotated[dict[str, Any], Body(
    description="The document as in its YAML file (examples/delivery), written as JSON")]


class PlanIn(BaseModel):
    plan: dict[str, Any] = Field(description="The plan document (examples/delivery/plan.yaml "
                                             "as JSON)")
    reason: str = Field(default="", description="Why it changed: needed from version 2 on")


class ActionUpdateIn(BaseModel):
    status: Literal[ACTION_STATUSES] = Field(  # type: ignore[valid-type]
        description="The action's status from now on")
    note: str = Field(default="", description="What happened; kept in its history")


class ReviewIn(BaseModel):
    status: Literal[REVIEW_STATUSES] = Field(  # type: ignore[valid-type]
        description="explained, confirmed, or open (reopened)")
    note: str = Field(description="Why: recorded with the review")


def _json(result: Any) -> JSONResponse:
    return JSONResponse(encode(result))


# -- plans ------------------------------------------------------------------------------


@router.get("/api/v1/priorities/{code}/plan", name="api_plan", response_model=Report,
            summary="A priority's delivery plan",
            description="A plan version (default: the current one at `as_of`) with its "
            "history, the quality checklist, milestones due or late and the trajectory "
            "its interventions imply, as `stocktake plan show --json`.")
def api_plan(engine: EngineDep, p: PriorityInPath, as_of: AsOf = None,
             version: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None
             ) -> JSONResponse:
    return _json(plans.show_plan(engine, p.code, version=version,
                                 as_of=parse_moment(as_of)))


@router.get("/api/v1/priorities/{code}/plan/diff", name="api_plan_diff",
            response_model=Report, summary="What changed between two plan versions")
def api_plan_diff(engine: EngineDep, p: PriorityInPath,
                  old: Annotated[int, Query(ge=1, le=MAX_VERSION)],
                  new: Annotated[int, Query(ge=1, le=MAX_VERSION)]) -> JSONResponse:
    return _json(plans.diff_plan(engine, p.code, old, new))


@router.post("/api/v1/priorities/{code}/plan", name="api_plan_load", response_model=Report,
             summary="Load a new plan version",
             description="Stored as the next version unless it equals the current one "
             "(then `changed` is false); from version 2 on it needs a `reason`. Nothing is "
             "stored on any problem. Owners: their own priorities only.")
async def api_plan_load(engine: EngineDep, p: PriorityInPath, author: Editor,
                        body: PlanIn) -> JSONResponse:
    return _json(await run_in_threadpool(plans.load_plan, engine, p.code, body.plan,
                                         author=author, reason=body.reason))


# -- assessments ------------------------------------------------------------------------


@router.get("/api/v1/priorities/{code}/assessments", name="api_assessments",
            response_model=Report, summary="A priority's likelihood-of-delivery rounds")
def api_assessments(engine: EngineDep, p: PriorityInPath, as_of: AsOf = None
                    ) -> JSONResponse:
    return _json(assessments.show_assessments(engine, p.code, as_of=parse_moment(as_of)))


@router.post("/api/v1/priorities/{code}/assessments", name="api_assessment_record",
             response_model=Report, summary="Record an assessment round",
             description="Re-recording a round replaces it from then on. Analysts and "
             "admins.")
async def api_assessment_record(engine: EngineDep, p: PriorityInPath,
                                who: CurrentPrincipal, document: Document) -> JSONResponse:
    return _json(await run_in_threadpool(assessments.record_assessment, engine, p.code,
                                         document, by=who.username))


# -- stocktakes and actions ---------------------------------------------------------------


@router.get("/api/v1/priorities/{code}/stocktakes", name="api_stocktakes",
            response_model=Report, summary="A priority's stocktakes and actions to follow up")
def api_stocktakes(engine: EngineDep, p: PriorityInPath, as_of: AsOf = None
                   ) -> JSONResponse:
    return _json(stocktakes.stocktake_overview(engine, p.code, as_of=parse_moment(as_of)))


@router.post("/api/v1/priorities/{code}/stocktakes", name="api_stocktake_record",
             response_model=Report, summary="Record a stocktake with its decisions and actions",
             description="A second stocktake on the same day is a 409. Owners: their own "
             "priorities only.")
async def api_stocktake_record(engine: EngineDep, p: PriorityInPath,
                               author: Editor, document: Document) -> JSONResponse:
    return _json(await run_in_threadpool(stocktakes.record_stocktake, engine, p.code,
                                         document, by=author))


@router.get("/api/v1/actions", name="api_actions", response_model=Report,
            summary="Actions from stocktakes and priority reviews, with days overdue")
def api_actions(engine: EngineDep, as_of: AsOf = None,
                priority: Annotated[str | None, Query(description="A priority code")] = None,
                open_only: Annotated[bool, Query(alias="open", description="Only open "
                                                 "actions")] = False) -> JSONResponse:
    return _json(stocktakes.list_actions(engine, priority=priority or None,
                                         open_only=open_only, as_of=parse_moment(as_of)))


@router.post("/api/v1/actions/{action_id}", name="api_action_update", response_model=Report,
             summary="Record an action's progress",
             description="Its history is kept; the newest update is its status. Owners: "
             "actions of their own priorities only.")
async def api_action_update(engine: EngineDep, who: CurrentPrincipal, body: ActionUpdateIn,
                            action_id: Annotated[int, Path(ge=1, le=2**63 - 1)]
                            ) -> JSONResponse:
    listed = await run_in_threadpool(stocktakes.list_actions, engine)
    row = next((a for a in listed.actions if a.id == action_id), None)
    if row is not None:
        editor(row.priority, who)  # a 403 for an owner of another priority
    if row is not None and body.status == row.status and not body.note.strip():
        raise Invalid(f"nothing to record: action {action_id} is already {row.status}; "
                      "change its status or write a note")
    return _json(await run_in_threadpool(
        lambda: stocktakes.update_action(engine, action_id, status=body.status,
                                         note=body.note, by=who.username)))


# -- alerts -----------------------------------------------------------------------------


@router.post("/api/v1/alerts/{alert}/review", name="api_alert_review", response_model=Report,
             summary="Review an alert",
             description="Mark an alert (its `id` in GET /api/v1/alerts) explained or "
             "confirmed, or reopen it, with a note. Analysts and admins.")
async def api_alert_review(request: Request, engine: EngineDep, who: CurrentPrincipal,
                           body: ReviewIn,
                           alert: Annotated[str, Path(description="The alert's id")]
                           ) -> JSONResponse:
    ip = client_ip(request)
    return _json(await run_in_threadpool(
        lambda: review_alert(engine, alert, status=body.status, note=body.note,
                             by=who.username, ip=ip)))
