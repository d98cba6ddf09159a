"""The REST API under /api/v1 (JSON): status, series, data quality, observations (paged) and
submissions, each a thin shell over a service; the routines (plans, assessments, stocktakes,
actions, alert reviews) are in api_routines, the commitments tracker and escalation in
api_commitments, both included in this router. Who may call what is
in PERMISSIONS; a provider (a session or a ``unit:X`` token) reads and submits only within
its remit. The description of every endpoint is in /api/v1/openapi.json (``api_document``)
and, as a page that loads nothing from elsewhere, at /api/docs (``render_api_docs``)."""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import pathlib
import shutil
import tempfile
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.routing import iter_route_contexts
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from ..errors import StocktakeError, not_found
from ..intake.service import submit_file, submit_rows
from ..model.entities import DeliveryModel
from ..model.periods import Period, PeriodError
from ..results import encode
from ..services.admin.accounts import Principal
from ..services.data.model_service import current_model
from ..services.reading.clock import parse_moment
from ..services.reading.quality import data_quality
from ..services.reading.readings import indicator_series
from ..services.reading.snapshot import Snapshot
from ..services.reading.status import priority_status
from ..store.observations import data_as_of, latest
from . import api_commitments, api_routines, auth, logs
from .cache import ResultCache, cached_json
from .deps import EngineDep, PageCache, Templates
from .error_pages import ErrorOut

# Who may read what: status is priority-wide (every unit's figures), so not for providers;
# series, quality and observations are open to providers for the units of their remit.
T = TypeVar("T")

UNIT_READERS = auth.READERS | {"provider"}
SUBMITTERS = frozenset({"admin", "analyst", "provider"})  # never the executive: reads only

# Route name -> roles, merged into auth.PERMISSIONS (every route needs an entry).
PERMISSIONS: dict[str, frozenset[str]] = {
    "api_status": auth.READERS,
    "api_series": UNIT_READERS,
    "api_quality": UNIT_READERS,
    "api_observations": UNIT_READERS,
    "api_submit": SUBMITTERS,
    **api_routines.PERMISSIONS,  # plans, assessments, stocktakes, actions, alert reviews
    **api_commitments.PERMISSIONS,  # the commitments tracker and escalation, read only
}

def observation_walks(request: Request) -> ResultCache:
    return request.app.state.walks


Walks = Annotated[ResultCache, Depends(observation_walks)]

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10000
# Larger offsets than any table holds: polars (and the database) count rows in 64 bits.
MAX_OFFSET = 2**53 - 1
MAX_JSON_ROWS = 100_000  # a larger batch goes as a file upload

AsOf = Annotated[str | None, Query(
    description="Read the data as it was known at this moment: an ISO timestamp "
                "(2025-03-01T12:00, UTC) or a date (the end of that day). Default: now.",
    examples=["2025-03-01"])]


# -- response shapes, for the OpenAPI document ------------------------------------------


class FindingOut(BaseModel):
    row: int | None = Field(description="The row in the submission (header = 1)")
    column: str | None
    value: Any = None
    check: str = Field(description="e.g. unknown_indicator, period_format, outside_scope")
    severity: str = Field(description="error (the batch is refused) or warning")
    message: str


class SubmissionOut(BaseModel):
    batch: int | None = Field(description="The stored batch; null when nothing was stored")
    accepted: bool
    rows: int
    format: str
    duplicate_of: int | None
    added: int
    revised: int
    unchanged: int
    quarantined: int
    checksum: str
    recorded_at: str | None
    backfill: bool = Field(description="Recorded as history loaded after the fact")
    published: str | None = Field(description="When the source published it, where known")
    findings: list[FindingOut]


class ObservationOut(BaseModel):
    indicator: str
    unit: str
    period: str
    value: float
    recorded_at: str = Field(description="When this value (vintage) was recorded")
    batch: int


class ObservationPage(BaseModel):
    as_of: str | None = Field(description="The moment the data is read at; the next link "
                                          "keeps it, so paging reads one fixed vintage")
    total: int = Field(description="Rows matching the filters, on all pages")
    offset: int
    limit: int
    observations: list[ObservationOut]
    next: str | None = Field(description="The URL of the next page; null on the last")


class ReportOut(BaseModel):
    """A service report: JSON named by its method and parameters, with its data vintage."""

    model_config = {"extra": "allow"}
    as_of: str | None = None


# Every error answer under /api/ has one body, error_pages.ErrorOut; api_document adds the
# answers every operation can give (ERRORS, and 404 / 409 where they apply) to each one.
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "No or an unknown API token / session"},
    403: {"model": ErrorOut, "description": "Not open to this role, or outside its remit"},
    422: {"model": ErrorOut, "description": "A parameter is wrong: the message says which"},
}
NOT_FOUND = {"model": ErrorOut, "description": "No such thing: the message names it, with "
             "the closest code"}
CONFLICT = {"model": ErrorOut, "description": "Right, but the present state does not allow "
            "it (e.g. the plan has a newer version than the one edited)"}


# -- helpers ----------------------------------------------------------------------------


def unprocessable(message: str) -> HTTPException:
    return HTTPException(status_code=422, detail=message)


def _principal(request: Request) -> Principal:
    p = auth.principal_of(request)
    assert p is not None  # the guard admits no anonymous caller here
    return p


def _remit(request: Request, model: DeliveryModel) -> frozenset[str] | None:
    return _principal(request).remit(model)


def _check_in_remit(request: Request, model: DeliveryModel, unit: str) -> None:
    remit = _remit(request, model)
    if remit is not None and unit not in remit:
        p = _principal(request)
        raise HTTPException(status_code=403, detail=(
            f"unit '{unit}' is outside what {p.username} reports for ({p.unit} and the "
            "units below it)"))


def _default_unit(request: Request, model: DeliveryModel) -> str:
    """A provider's own unit; for others the top of the hierarchy."""
    p = _principal(request)
    if p.role == "provider" and p.unit:
        return p.unit
    roots = [c for c, u in model.units.items() if u.parent is None]
    if not roots:
        raise unprocessable("no delivery model is loaded")
    return roots[0]


def _encode_cursor(key: tuple[str, str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[str, str, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
        if (not isinstance(key, list) or len(key) != 3
                or not all(isinstance(k, str) for k in key)):
            raise ValueError
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise unprocessable(f"cursor={cursor!r} is not a cursor this API gave: use the "
                            "'next' link of the previous page") from None
    return key[0], key[1], key[2]


def observation_page(engine: Engine, *, indicators: list[str] | None, units: list[str] | None,
                     period_from: str | None, period_to: str | None, as_of: datetime | None,
                     limit: int, cursor: str | None, offset: int | None,
                     cache: ResultCache | None = None
                     ) -> tuple[dict[str, Any], tuple[str, str, str] | None, int]:
    """One page of current values (as known at as_of), ordered by indicator, unit, period.
    Returns the page, the key of its last row (for the next cursor) and the next offset.
    With ``cache``, the rows of one walk (same filters, same pinned vintage) are read once
    and its later pages sliced from them."""
    bounds = {}
    for name, code in (("period_from", period_from), ("period_to", period_to)):
        if code:
            try:
                bounds[name] = Period.parse(code)
            except PeriodError as exc:
                raise unprocessable(f"{name}: {exc}") from None
    if len(bounds) == 2 and bounds["period_from"].type != bounds["period_to"].type:
        raise unprocessable("period_from and period_to must be periods of the same type")
    after = _decode_cursor(cursor) if cursor else None
    with engine.connect() as conn:
        # Pin the vintage: every page of one walk reads the same data, even if a batch
        # arrives between two requests.
        vintage = data_as_of(conn, as_of)

    def rows_of_walk() -> Any:
        with engine.connect() as conn:
            df = latest(conn, as_of=vintage or as_of, indicators=indicators, units=units,
                        period_from=period_from or None, period_to=period_to or None)
        if bounds:  # codes of one type sort as text; keep only the type asked about
            kind = next(iter(bounds.values())).type
            df = df.filter(df["period"].map_elements(
                lambda c: Period.parse(c).type == kind, return_dtype=bool))
        return df

    key = ("observations", tuple(indicators or ()), tuple(units or ()), period_from,
           period_to, vintage or as_of)
    df = cache.get(key, rows_of_walk) if cache is not None else rows_of_walk()
    total = df.height
    if after is not None:
        # Rows are sorted by (indicator, unit, period): start after the last row sent.
        start = bisect.bisect_right(df.select("indicator", "unit", "period").rows(), after)
    else:
        start = offset or 0
    page = df.slice(start, limit)
    rows = [{"indicator": r["indicator"], "unit": r["unit"], "period": r["period"],
             "value": r["value"], "recorded_at": r["recorded_at"].isoformat(),
             "batch": r["batch_id"]} for r in page.iter_rows(named=True)]
    last = (rows[-1]["indicator"], rows[-1]["unit"], rows[-1]["period"]) if rows else None
    more = start + len(rows) < total
    return ({"as_of": vintage.isoformat() if vintage else (as_of.isoformat() if as_of
                                                             else None),
             "total": total, "offset": start, "limit": limit, "observations": rows},
            last if more else None, start + len(rows))


async def _submission_rows(request: Request) -> tuple[str, Any, dict[str, Any]]:
    """('rows', [(indicator, unit, period, value)], options) from a JSON body, or
    ('file', (file object, filename), options) from a multipart upload (spooled to disk
    by Starlette when large)."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise unprocessable("send the file in a form field named 'file'")
        options = {"reason": str(form.get("reason") or ""),
                   "partial": str(form.get("partial") or "").lower() in ("1", "true", "yes"),
                   **_backfill(str(form.get("backfill") or "").lower() in ("1", "true", "yes"),
                               form.get("published"))}
        return "file", (upload.file, upload.filename or "upload"), options
    if not content_type.startswith("application/json"):
        raise HTTPException(status_code=415, detail=(
            "send JSON ({\"rows\": [...]}) as application/json, or a file as "
            "multipart/form-data in a field named 'file'"))
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError) as exc:
        raise unprocessable(f"the body is not valid JSON: {exc}") from None
    except RecursionError:  # arrays or objects nested ~1,000 deep: no submission is so
        raise unprocessable("the body is not valid JSON: nested too deeply") from None
    if not isinstance(body, dict) or not isinstance(body.get("rows"), list):
        raise unprocessable('the body must be an object with "rows": a list of '
                            '{"indicator", "unit", "period", "value"}')
    rows = body["rows"]
    if len(rows) > MAX_JSON_ROWS:
        raise unprocessable(f"{len(rows)} rows: send more than {MAX_JSON_ROWS} as a file")
    out = []
    for n, row in enumerate(rows):
        if not isinstance(row, dict):
            raise unprocessable(f"rows[{n}] is not an object with indicator, unit, period "
                                "and value")
        missing = [k for k in ("indicator", "unit", "period", "value") if k not in row]
        if missing:
            raise unprocessable(f"rows[{n}] has no {', '.join(missing)}")
        out.append((row["indicator"], row["unit"], row["period"], row["value"]))
    partial = body.get("partial", False)
    if not isinstance(partial, bool):
        raise unprocessable('"partial" must be true or false')
    backfill = body.get("backfill", False)
    if not isinstance(backfill, bool):
        raise unprocessable('"backfill" must be true or false')
    return "rows", out, {"reason": str(body.get("reason") or ""), "partial": partial,
                         **_backfill(backfill, body.get("published"))}


def _backfill(backfill: bool, published: Any) -> dict[str, Any]:
    """History loaded after the fact (``backfill``), published on ``published``
    (YYYY-MM-DD, optional), as the submission service takes them."""
    if published in (None, ""):
        return {"backfill": backfill, "published": None}
    try:
        return {"backfill": backfill, "published": date.fromisoformat(str(published))}
    except ValueError:
        raise unprocessable(f'"published" must be a date, YYYY-MM-DD: not {published!r}'
                            ) from None


def _submit(engine: Engine, principal: Principal, kind: str, payload: Any,
            options: dict[str, Any]) -> dict[str, Any]:
    """Submit as the CLI does; a provider's scope is its unit (a unit:X token's unit)."""
    scope = principal.unit if principal.role == "provider" else None
    if principal.role == "provider" and not scope:
        raise HTTPException(status_code=403, detail=(
            f"{principal.username} is a provider with no unit: an administrator must give "
            "the account a unit before it can submit"))
    submitter = principal.username + (" (API token)" if principal.via == "token" else "")
    if kind == "rows":
        result = submit_rows(engine, payload, submitter=submitter, source="api",
                             scope=scope, **options)
    else:
        upload, filename = payload
        # Copied to a file of the name sent (its messages name it; its suffix may tell the
        # format), then read as the CLI reads a file: in slices, so a large upload is
        # never held in memory whole. A name no file can have becomes "upload".
        name = pathlib.PurePath(filename).name
        if not name.strip(".") or "\x00" in name or len(name.encode()) > 200:
            name = "upload" + pathlib.PurePath(name.replace("\x00", "")).suffix[:16]
        with tempfile.TemporaryDirectory(prefix="stocktake-api-") as folder:
            path = pathlib.Path(folder) / name
            with path.open("wb") as out:
                shutil.copyfileobj(upload, out, 1 << 20)
            result = submit_file(engine, path, submitter=submitter, scope=scope,
                                 **options)
    logs.submission(result, submitter=submitter, via="api")
    return result.to_dict()


# -- routes -----------------------------------------------------------------------------


router = APIRouter()
docs_router = APIRouter(include_in_schema=False)  # the API's description, after the pages


def moment(text: str | None) -> datetime | None:
    try:
        return parse_moment(text)
    except StocktakeError as exc:
        raise unprocessable(str(exc)) from None


def call(service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A service's answer; its user errors go to the one error handler (NotFound 404,
    Invalid 422, Conflict 409), anything else is a bug (a 500 with a request id)."""
    return service(*args, **kwargs)

@router.get("/api/v1/status", name="api_status", tags=["status"],
         summary="Where each priority stands", response_model=ReportOut,
         responses=ERRORS,
         description="For each priority (or one), at its scope or at `unit`: baseline, "
         "latest complete actual, expected value on the trajectory, gap, on track / ahead "
         "/ off track, SPC icons, forecast at the target date and the probability of "
         "meeting the target, and each unit one level below on its share of the "
         "trajectory. Complete periods only. Not open to providers (it shows every "
         "unit).")
def api_status(
    engine: EngineDep,
    cache: PageCache,
    priority: Annotated[str | None, Query(description="A priority code; default all")]
    = None,
    unit: Annotated[str | None, Query(
        description="Read at this unit (within the priority's scope)")] = None,
    as_of: AsOf = None,
) -> JSONResponse:
    at, priority, unit = moment(as_of), priority or None, unit or None
    return cached_json(cache, ("api_status", priority, unit, at), lambda: encode(call(
        priority_status, Snapshot(engine, at), priority=priority, unit=unit)))

@router.get("/api/v1/series/{indicator}", name="api_series", tags=["data"],
         summary="An indicator's series at one unit", response_model=ReportOut,
         responses=ERRORS | {404: NOT_FOUND},
         description="The indicator at `unit` (default: the top of the hierarchy, or a "
         "provider's own unit), rolled up from the units below by its aggregation rule, "
         "period by period with coverage, whether the value is partial and its source.")
def api_series(
    engine: EngineDep,
    indicator: Annotated[str, Path(description="An indicator code")],
    request: Request,
    cache: PageCache,
    unit: Annotated[str | None, Query(description="A unit code")] = None,
    as_of: AsOf = None,
) -> JSONResponse:
    model = current_model(engine)
    if indicator not in model.indicators:
        raise not_found("indicator", indicator, model.indicators)
    unit = unit or _default_unit(request, model)
    if unit in model.units:
        _check_in_remit(request, model, unit)
    at = moment(as_of)
    return cached_json(cache, ("api_series", indicator, unit, at), lambda: encode(call(
        indicator_series, Snapshot(engine, at), indicator, unit)))

@router.get("/api/v1/quality", name="api_quality", tags=["data"],
         summary="Data quality by unit", response_model=ReportOut, responses=ERRORS,
         description="Completeness, timeliness, validity and a score for every unit (or "
         "`unit` and those below it), as a league table, with each unit's score by "
         "year. A provider sees its own unit and those below it.")
def api_quality(
    engine: EngineDep,
    request: Request,
    cache: PageCache,
    unit: Annotated[str | None, Query(description="A unit code: it and those below")]
    = None,
    as_of: AsOf = None,
) -> JSONResponse:
    model = current_model(engine)
    if _principal(request).role == "provider":
        unit = unit or _default_unit(request, model)
    if unit:
        if unit not in model.units:
            raise unprocessable(f"unit: '{unit}' is not a reporting unit")
        _check_in_remit(request, model, unit)
    at, unit = moment(as_of), unit or None
    return cached_json(cache, ("api_quality", unit, at), lambda: encode(call(
        data_quality, Snapshot(engine, at), unit=unit)))

@router.get("/api/v1/observations", name="api_observations", tags=["data"],
         summary="Stored values, filtered and paged", response_model=ObservationPage,
         responses=ERRORS,
         description="The current value of each (indicator, unit, period) as known at "
         "`as_of`, with the time it was recorded and its batch, ordered by indicator, "
         "unit and period. Page with `limit` and the `next` link (a cursor; it also "
         "pins `as_of`, so a walk through the pages reads one vintage and sees each "
         "row once), or with `offset`. A provider sees the units of its remit only.")
def api_observations(
    engine: EngineDep,
    walks: Walks,
    request: Request,
    indicator: Annotated[list[str] | None, Query(
        description="Indicator code(s); repeat for several")] = None,
    unit: Annotated[list[str] | None, Query(
        description="Unit code(s); repeat for several")] = None,
    period_from: Annotated[str | None, Query(
        description="First period (inclusive), e.g. 2024-01; only periods of its type")]
    = None,
    period_to: Annotated[str | None, Query(description="Last period (inclusive)")] = None,
    as_of: AsOf = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows per page")]
    = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(description="From the previous page's `next`")]
    = None,
    offset: Annotated[int | None, Query(
        ge=0, le=MAX_OFFSET, description="Rows to skip (instead of a cursor)")] = None,
) -> JSONResponse:
    if cursor and offset is not None:
        raise unprocessable("give either cursor or offset, not both")
    model = current_model(engine)
    for codes, known, what in ((indicator, model.indicators, "indicator"),
                               (unit, model.units, "unit")):
        unknown = [c for c in codes or [] if c not in known]
        if unknown:
            raise unprocessable(f"{what}: unknown code(s) {', '.join(unknown)}")
    remit = _remit(request, model)
    if remit is not None:
        for u in unit or []:
            _check_in_remit(request, model, u)
        unit = list(unit) if unit else sorted(remit)
    page, last, next_offset = observation_page(
        engine, indicators=indicator, units=unit, period_from=period_from,
        period_to=period_to, as_of=moment(as_of), limit=limit, cursor=cursor,
        offset=offset, cache=walks)
    page["next"] = None
    if last is not None:
        params: list[tuple[str, Any]] = [("indicator", c) for c in indicator or []]
        params += [("unit", c) for c in (request.query_params.getlist("unit"))]
        params += [(k, v) for k, v in (("period_from", period_from),
                                       ("period_to", period_to)) if v]
        if page["as_of"]:
            params.append(("as_of", page["as_of"]))
        params.append(("limit", limit))
        params.append(("offset", next_offset) if offset is not None
                      else ("cursor", _encode_cursor(last)))
        page["next"] = f"{request.url.path}?{urlencode(params)}"
    return JSONResponse(page)

@router.post("/api/v1/submissions", name="api_submit", tags=["data"],
          summary="Submit data (one batch)", response_model=SubmissionOut,
          responses=ERRORS | {
              422: {"content": {"application/json": {"schema": {"anyOf": [
                        {"$ref": "#/components/schemas/SubmissionOut"},
                        {"$ref": "#/components/schemas/ErrorOut"}]}}},
                    "description": "Refused: the findings say what and where (or, for a "
                                   "body that is not a submission, the message); nothing "
                                   "was stored"},
              415: {"model": ErrorOut, "description": "Neither JSON nor a file upload"}},
          description="Validate and store one batch, exactly as `stocktake submit`: "
          "codes, periods, values, the indicator's range, locked periods, rules, "
          "reported totals against their parts and outliers. A batch with an error "
          "stores nothing (unless `partial`: then the valid rows are stored and the "
          "rest quarantined). Send JSON `{\"rows\": [{\"indicator\", \"unit\", "
          "\"period\", \"value\"}], \"reason\": \"...\", \"partial\": false}` or a file "
          "(CSV, XLSX, JSON, Parquet) as multipart/form-data field `file`. History loaded "
          "after the fact: `\"backfill\": true` (and `\"published\": \"YYYY-MM-DD\"` where "
          "known), as `stocktake submit --backfill`: its timeliness is not assessed. A provider, "
          "or a token with scope `unit:X`, submits for its unit and those below it; "
          "read-only and routines tokens get 403. With a session cookie, send the X-CSRF-Token "
          "header.",
          openapi_extra={"requestBody": {"required": True, "content": {
              "application/json": {"schema": {
                  "type": "object", "required": ["rows"], "properties": {
                      "rows": {"type": "array", "items": {
                          "type": "object",
                          "required": ["indicator", "unit", "period", "value"],
                          "properties": {k: {"type": "string"} for k in
                                         ("indicator", "unit", "period")} | {
                              "value": {"type": ["number", "string", "null"]}}}},
                      "reason": {"type": "string"},
                      "partial": {"type": "boolean"},
                      "backfill": {"type": "boolean"},
                      "published": {"type": "string", "format": "date"}}}},
              "multipart/form-data": {"schema": {
                  "type": "object", "required": ["file"], "properties": {
                      "file": {"type": "string", "format": "binary"},
                      "reason": {"type": "string"},
                      "partial": {"type": "boolean"},
                      "backfill": {"type": "boolean"},
                      "published": {"type": "string", "format": "date"}}}}}}})
async def api_submit(request: Request, engine: EngineDep) -> JSONResponse:
    principal = _principal(request)
    kind, payload, options = await _submission_rows(request)
    result = await run_in_threadpool(_submit, engine, principal, kind, payload, options)
    return JSONResponse(result, status_code=200 if result["accepted"] else 422)


router.include_router(api_routines.router)  # plans, assessments, stocktakes, actions, alerts
router.include_router(api_commitments.router)  # commitments and escalation


@docs_router.get("/api/v1/openapi.json")
def openapi_document(request: Request) -> JSONResponse:
    return JSONResponse(api_document(request.app))


API_PREFIX = "/api/v1/"
SECURITY_SCHEMES = {
    "token": {"type": "http", "scheme": "bearer", "description": "An API token "
              "(stocktake_...), made on the account page; it acts for its account, "
              "narrowed to its scope (read; routines: writes plans, assessments, "
              "stocktakes, actions and alert reviews too; or unit:X)"},
    "session": {"type": "apiKey", "in": "cookie", "name": auth.SESSION_COOKIE,
                "description": "A signed-in session; writes also send X-CSRF-Token"},
}


def api_document(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of /api/v1: its operations only (the pages and their forms are
    not an API), each with every answer it can give, errors in the one shape (ErrorOut).
    Built once per app."""
    document = getattr(app.state, "api_document", None)
    if document is None:
        contexts = [c for c in iter_route_contexts(app.routes)
                    if (c.path or "").startswith(API_PREFIX)
                    and getattr(c.original_route, "include_in_schema", False)]
        document = get_openapi(title=app.title, version=app.version, routes=contexts)
        _document_errors(document)
        app.state.api_document = document
    return document


def _document_errors(document: dict[str, Any]) -> None:
    """Every operation's error answers, as the guard and the one error handler give them:
    401 and 403 (the guard), 422 (a parameter), 404 (a code the model does not hold), 409
    for writes; FastAPI's own validation shape is replaced, as the handler never sends it."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["ErrorOut"] = ErrorOut.model_json_schema()
    error = {"content": {"application/json": {"schema": {
        "$ref": "#/components/schemas/ErrorOut"}}}}
    document["components"]["securitySchemes"] = SECURITY_SCHEMES
    document["security"] = [{name: []} for name in SECURITY_SCHEMES]
    for item in document.get("paths", {}).values():
        for method, op in item.items():
            answers = op.setdefault("responses", {})
            wanted = {str(code): r["description"] for code, r in ERRORS.items()}
            wanted["404"] = NOT_FOUND["description"]  # a code in the path or a parameter
            if method != "get":
                wanted["409"] = CONFLICT["description"]
                wanted["400"] = "The body could not be read (e.g. JSON nested too deeply)"
            for code, description in wanted.items():
                answer = answers.setdefault(code, {"description": description})
                schema = answer.get("content", {}).get("application/json", {}).get("schema")
                if schema is None or "HTTPValidationError" in str(schema):
                    answer.update(error)


@docs_router.get("/api/docs")
def api_docs(request: Request, templates: Templates) -> Response:
    # The endpoints listed from the OpenAPI document: no Swagger UI from a CDN.
    return render_api_docs(request.app, request, templates)


def render_api_docs(app: FastAPI, request: Request, templates: Jinja2Templates) -> Response:
    """/api/docs: the endpoints of the OpenAPI document as a plain page (nothing from a
    CDN)."""
    document = api_document(app)
    endpoints = []
    for path, item in document.get("paths", {}).items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            body = (op.get("requestBody") or {}).get("content", {})
            endpoints.append({
                "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                "description": op.get("description", ""),
                "anchor": op.get("operationId") or f"{method}-{path}",
                "parameters": [{"name": p["name"], "in": p["in"],
                                "required": p.get("required", False),
                                "type": _type_of(p.get("schema", {})),
                                "description": p.get("description", "")}
                               for p in op.get("parameters", [])],
                "body": list(body),
                "responses": [(code, r.get("description", ""))
                              for code, r in op.get("responses", {}).items()],
            })
    return templates.TemplateResponse(request, "api_docs.html", {
        "title": document.get("info", {}).get("title", "API"),
        "version": document.get("info", {}).get("version", ""), "endpoints": endpoints})


def _type_of(schema: dict[str, Any]) -> str:
    if "anyOf" in schema:
        return " or ".join(_type_of(s) for s in schema["anyOf"] if s.get("type") != "null")
    if schema.get("type") == "array":
        return f"list of {_type_of(schema.get('items', {}))}"
    return str(schema.get("type", ""))

