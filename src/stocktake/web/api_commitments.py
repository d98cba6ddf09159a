"""The commitments tracker and escalation through /api/v1 (issue #17), read only: the same
services, filters and roles as their pages (commitment_pages), so that another system can
follow them.

Who may read: as the pages, a signed-in account or its API token (the commitments: every
role; escalation: the internal readers). The public reads the published commitments on
the public tracker (/public/commitments.html and .csv), never through the API, so the API
shows every commitment, published or not, with who changed each status.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from ..delivery.commitments import STATUSES
from ..results import encode
from ..services.reading.clock import parse_moment
from ..services.routines import commitments as sc
from ..services.routines import escalation as se
from . import auth
from .api_routines import AsOf, Report
from .deps import EngineDep

PERMISSIONS: dict[str, frozenset[str]] = {
    "api_commitments": auth.SIGNED_IN,
    "api_commitment": auth.SIGNED_IN,
    "api_escalation": auth.READERS,
}
MAX_PER_PAGE = 1000
MAX_PAGE = 2**31 - 1

router = APIRouter(tags=["commitments"])

Text = Annotated[str | None, Query(max_length=200)]


@router.get("/api/v1/commitments", name="api_commitments", response_model=Report,
            summary="Commitments with their status, counts and movement",
            description="The commitments matching the filters (`page` of them, `per_page` "
            "a page), the counts of every match by status, minister and department, and "
            "each match whose status moved since `since` (default: 30 days before the "
            "moment read), as `stocktake commitments --json`. Statuses: "
            + "; ".join(f"`{k}` ({v})" for k, v in STATUSES.items()) + ".")
def api_commitments(
        engine: EngineDep, as_of: AsOf = None,
        status: Annotated[str | None, Query(description="Only this status (a key)",
                                            max_length=64)] = None,
        minister: Annotated[str | None, Query(description="Only this minister's",
                                              max_length=200)] = None,
        department: Annotated[str | None, Query(description="Only this department's",
                                                max_length=200)] = None,
        search: Annotated[str | None, Query(description="Only those whose text, code, "
                                            "minister, department or partners hold every "
                                            "word", max_length=200)] = None,
        since: Annotated[str | None, Query(description="The last report: movement is "
                                           "counted from then", examples=["2025-03-01"])
                         ] = None,
        page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
        per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = sc.PER_PAGE,
) -> JSONResponse:
    return JSONResponse(encode(sc.commitments_report(
        engine, as_of=parse_moment(as_of), since=parse_moment(since, "since"),
        status=status or None, minister=minister or None, department=department or None,
        search=search or None, page=page, per_page=per_page)))


@router.get("/api/v1/commitments/{code}", name="api_commitment", response_model=Report,
            summary="One commitment with its history of status changes")
def api_commitment(engine: EngineDep,
                   code: Annotated[str, Path(description="The commitment's code",
                                             max_length=64)],
                   as_of: AsOf = None) -> JSONResponse:
    return JSONResponse(encode(sc.one_commitment(engine, code, as_of=parse_moment(as_of))))


@router.get("/api/v1/escalation", name="api_escalation", response_model=Report,
            summary="Each priority's intensity and its priority reviews",
            description="As `stocktake priority escalation --json`: the intensity with its "
            "history of changes, and every review (scope, team, findings, recommendations "
            "and their follow-up) newest first.")
def api_escalation(engine: EngineDep, as_of: AsOf = None,
                   priority: Annotated[str | None, Query(description="A priority code",
                                                         max_length=64)] = None
                   ) -> JSONResponse:
    return JSONResponse(encode(se.escalation(engine, priority=priority or None,
                                             as_of=parse_moment(as_of))))
