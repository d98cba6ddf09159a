"""The data pages: submitting a file (or a few rows typed in a form), data quality, the
history of a value, and a reporting unit's page.

A submission is checked first and stored only when the person presses "Submit": the check
runs the submission service itself inside a transaction that is then rolled back, so what
the page shows is exactly what storing would do. The uploaded bytes wait on the server, in
a private temporary directory keyed by a random id and tied to the session that sent them,
so the "Submit" button stores the very file that was checked.

Providers are held to their remit (their unit and the units below it): the service refuses
their rows for other units (scope), and every page refuses other units with 403.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Sequence
from contextlib import suppress
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Engine

from ..errors import StocktakeError
from ..intake.findings import Finding
from ..intake.service import SubmissionResult, submit_file
from ..model.entities import DeliveryModel
from ..model.periods import Period, PeriodError
from ..reports import formatting as report_formatting
from ..results.quality import QualityByYear
from ..services.admin.accounts import Principal
from ..services.data.model_service import current_model
from ..services.data.templates import write_template
from ..services.reading.dues import indicators_reported_by
from ..services.reading.quality import data_quality
from ..services.reading.snapshot import Snapshot
from ..services.reading.status import priority_status
from ..store import observations
from ..store.db import writing
from . import auth, i18n, logs
from . import model_names as named
from .alert_pages import page_alerts
from .deps import CurrentPrincipal, EngineDep, Model, SnapshotDep, engine_of, render
from .i18n import gettext as _
from .public_words import N_

SUBMITTERS = frozenset({"admin", "analyst", "provider"})
READERS_AND_PROVIDERS = auth.READERS | {"provider"}

# Route name -> roles, merged into auth.PERMISSIONS (every route needs an entry). The form
# page is open to every reader (an executive reads what an analyst reads) but shows the
# upload form only to the roles that may submit; only they may POST.
PERMISSIONS: dict[str, frozenset[str]] = {
    "data_submit_form": READERS_AND_PROVIDERS,
    "data_submit_check": SUBMITTERS,
    "data_submit_commit": SUBMITTERS,
    "data_template": READERS_AND_PROVIDERS,
    "data_quality_page": READERS_AND_PROVIDERS,
    "data_history": READERS_AND_PROVIDERS,
    "unit_page": READERS_AND_PROVIDERS,
}

MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # a web upload; larger files go through the CLI or API
UPLOAD_LIFETIME = 24 * 3600  # seconds a checked file waits for its "Submit"
FORM_ROWS = 5  # blank lines offered in the typed-in form
FINDINGS_SHOWN = 500  # rows of findings on the page; the count says how many more
FORM_SOURCE = "web-form.csv"
# Filters the data pages' templates use, from the packs' formatting.
FILTERS = {name: report_formatting.FILTERS[name]
           for name in ("percent", "signed", "status_word", "day")}
# The quality score's formula as analysis.quality.FORMULA words it, for the page to
# translate (tests/web/test_translations.py checks the two are the same).
QUALITY_FORMULA = N_(
    "score = 100 x (0.30 completeness + 0.25 timeliness + 0.20 validity + 0.10 (1 - revision "
    "rate) + 0.15 (1 - outlier rate)), over the components that can be measured, weights "
    "rescaled to sum to 1")
_UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


# -- uploads waiting for their "Submit" --------------------------------------------------


class Uploads:
    """Checked files waiting on the server: <root>/<random id>/<file name> and meta.json
    naming the user and (a hash of) the session that sent it."""

    def __init__(self, root: Path | None = None):
        self.root = root or Path(tempfile.gettempdir()) / "stocktake-uploads"

    def save(self, data: bytes, filename: str, *, username: str, session: str) -> str:
        self.sweep()
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        upload_id = secrets.token_urlsafe(24)
        folder = self.root / upload_id
        folder.mkdir(mode=0o700)
        (folder / safe_filename(filename)).write_bytes(data)
        (folder / "meta.json").write_text(json.dumps({
            "username": username, "session": _digest(session), "name": filename,
            "saved": time.time()}))
        return upload_id

    def find(self, upload_id: str, *, username: str, session: str) -> Path | None:
        """The file, if this id exists, is fresh and was sent by this user in this session."""
        if not _UPLOAD_ID.match(upload_id or ""):
            return None
        folder = self.root / upload_id
        try:
            meta = json.loads((folder / "meta.json").read_text())
        except (OSError, ValueError):
            return None
        if (meta.get("username") != username or meta.get("session") != _digest(session)
                or time.time() - meta.get("saved", 0) > UPLOAD_LIFETIME):
            return None
        files = [p for p in folder.iterdir() if p.name != "meta.json"]
        return files[0] if len(files) == 1 else None

    def discard(self, upload_id: str) -> None:
        if _UPLOAD_ID.match(upload_id or ""):
            shutil.rmtree(self.root / upload_id, ignore_errors=True)

    def sweep(self) -> None:
        """Remove uploads older than UPLOAD_LIFETIME (checked, never submitted)."""
        if not self.root.is_dir():
            return
        cutoff = time.time() - UPLOAD_LIFETIME
        for folder in self.root.iterdir():
            with suppress(OSError):
                if folder.stat().st_mtime < cutoff:
                    shutil.rmtree(folder, ignore_errors=True)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def safe_filename(name: str) -> str:
    """The base name with anything but letters, digits, dot, dash and underscore replaced;
    the suffix is kept, since the reader names the format from it in its messages."""
    base = re.split(r"[\\/]", name or "")[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", base).lstrip(".")[-100:]
    return cleaned or "upload"


# -- checking without storing --------------------------------------------------------------


def check_submission(engine: Engine, path: Path, *, submitter: str, scope: str | None
                     ) -> SubmissionResult:
    """What submitting this file would do, with nothing stored: the submission service runs
    on a connection whose transaction is rolled back (the service takes a savepoint in it;
    store.db makes SQLite begin the transaction, as PostgreSQL does). On PostgreSQL the
    batch id the check drew from its sequence is not returned: ids may skip numbers.
    """
    with writing(engine, keep=False) as conn:
        # submit_file passes its target to submit_frame, which accepts a Connection.
        return submit_file(conn, path, submitter=submitter,  # type: ignore[arg-type]
                           scope=scope)


def findings_for_display(findings: list[Finding]) -> list[Finding]:
    """Errors first, then warnings, each by row and column."""
    return sorted(findings, key=lambda f: (f.severity != "error", f.row or 0, f.column or ""))


def form_csv(rows: list[tuple[str, str, str, str]]) -> bytes:
    """The lines typed into the form as a long CSV, so that they go through the same reader
    and the same checks as an uploaded file."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["indicator", "unit", "period", "value"])
    writer.writerows(rows)
    return out.getvalue().encode()


def form_lines(indicator: list[str], unit: list[str], period: list[str], value: list[str]
               ) -> list[tuple[str, str, str, str]]:
    """The non-blank lines of the form, in order."""
    n = max(len(indicator), len(unit), len(period), len(value), 0)

    def at(items: list[str], i: int) -> str:
        return items[i].strip() if i < len(items) else ""

    lines = [(at(indicator, i), at(unit, i), at(period, i), at(value, i)) for i in range(n)]
    return [line for line in lines if any(line)]


# -- who may see what ----------------------------------------------------------------------


def _principal(request: Request) -> Principal:
    principal = auth.principal_of(request)
    assert principal is not None  # the guard lets only signed-in roles reach these routes
    return principal


def _remit(principal: Principal, model: DeliveryModel) -> frozenset[str] | None:
    """The units this principal may see (None: all). A provider with no unit sees none."""
    remit = principal.remit(model)
    if remit is not None and not remit:
        raise auth.Forbidden(_("%(user)s is a provider with no reporting unit: ask an "
                               "administrator to set your unit") % {"user": principal.username})
    return remit


def _require_unit(principal: Principal, model: DeliveryModel, unit: str) -> None:
    remit = _remit(principal, model)
    if remit is not None and unit not in remit:
        raise auth.Forbidden(_("%(unit)s is outside what you report for (%(mine)s and the "
                               "units below it)") % {"unit": unit, "mine": principal.unit})


def _scope(principal: Principal, chosen: str) -> str | None:
    """The unit a submission is held to: a provider's own; for the delivery unit, the unit
    chosen on the form (none: any unit)."""
    if principal.role == "provider":
        return principal.unit
    return chosen.strip() or None


# -- pages ---------------------------------------------------------------------------------

router = APIRouter()


def uploads_of(request: Request) -> Uploads:
    return request.app.state.uploads


UploadStore = Annotated[Uploads, Depends(uploads_of)]


def problem(request: Request, title: str, message: str, status: int) -> Response:
    return render(request, "error.html", {"title": title, "message": message}, status)


def visible_units(principal: Principal, model: DeliveryModel) -> list[Any]:
    remit = _remit(principal, model)
    return [u for c, u in model.units.items() if remit is None or c in remit]


# -- submitting ----------------------------------------------------------------------


def submit_page(request: Request, *, status: int = 200, **context: Any) -> Response:
    principal = _principal(request)
    engine = engine_of(request)
    model = current_model(engine)
    units = visible_units(principal, model)
    # A provider is offered the indicators their units report, not the whole model's.
    remit = principal.remit(model)
    offered = (set(indicators_reported_by(Snapshot(engine), remit)) if remit is not None
               else set(model.indicators))
    lines = list(context.pop("lines", None) or [])
    lines += [("", "", "", "")] * max(FORM_ROWS - len(lines), 2 if lines else 0)
    result: SubmissionResult | None = context.get("result")
    shown = findings_for_display(result.findings) if result else []
    return render(request, "data_submit.html", {
        "may_submit": principal.role in SUBMITTERS, "principal": principal,
        "units": units,
        "indicators": [i for c, i in model.indicators.items() if c in offered],
        "lines": lines, "findings": shown[:FINDINGS_SHOWN],
        "more_findings": max(len(shown) - FINDINGS_SHOWN, 0),
        "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024), "scope": context.pop("scope", ""),
        **context}, status)


@router.get("/data/submit", response_class=HTMLResponse)
def data_submit_form(request: Request) -> Response:
    return submit_page(request)


@router.post("/data/submit/check", response_class=HTMLResponse)
def data_submit_check(
        request: Request, engine: EngineDep, store: UploadStore, principal: CurrentPrincipal,
        model: Model, source: Annotated[str, Form()] = "file",
        file: Annotated[UploadFile | None, File()] = None,
        scope: Annotated[str, Form()] = "",
        indicator: Annotated[list[str] | None, Form()] = None,
        unit: Annotated[list[str] | None, Form()] = None,
        period: Annotated[list[str] | None, Form()] = None,
        value: Annotated[list[str] | None, Form()] = None) -> Response:
    _remit(principal, model)
    held_to = _scope(principal, scope)
    lines: list[tuple[str, str, str, str]] = []
    if source == "form":
        lines = form_lines(indicator or [], unit or [], period or [], value or [])
        if not lines:
            return submit_page(request, status=400, scope=scope, error=_(
                "The form is empty: type at least one line (indicator, unit, period, "
                "value)."))
        data, filename = form_csv(lines), FORM_SOURCE
    else:
        if file is None or not file.filename:
            return submit_page(request, status=400, scope=scope,
                               error=_("Choose a file to check."))
        data = file.file.read(MAX_UPLOAD_BYTES + 1)
        filename = file.filename
        if len(data) > MAX_UPLOAD_BYTES:
            return submit_page(request, status=413, scope=scope, error=_(
                "%(file)s is larger than %(mb)s MB: submit it with 'stocktake submit' or the "
                "API, or split it.") % {"file": filename, "mb": MAX_UPLOAD_BYTES // (1024 * 1024)})
    session = request.cookies.get(auth.SESSION_COOKIE, "")
    upload_id = store.save(data, filename, username=principal.username, session=session)
    path = store.find(upload_id, username=principal.username, session=session)
    assert path is not None
    try:
        result = check_submission(engine, path, submitter=principal.username,
                                  scope=held_to)
    except StocktakeError as exc:  # e.g. the clock behind the newest batch
        store.discard(upload_id)
        return submit_page(request, status=400, scope=scope,
                           error=_("Not checked: %(why)s") % {"why": i18n.say_error(exc)})
    if result.errors or result.duplicate_of is not None:
        store.discard(upload_id)  # nothing to submit: fix the file and check it again
        upload_id = ""
    return submit_page(request, status=200, result=result, checked_name=filename,
                       upload_id=upload_id, from_form=source == "form", lines=lines,
                       scope=scope)


@router.post("/data/submit/commit", response_class=HTMLResponse)
def data_submit_commit(request: Request, engine: EngineDep, store: UploadStore,
                       principal: CurrentPrincipal, model: Model,
                       upload_id: Annotated[str, Form()] = "",
                       reason: Annotated[str, Form()] = "",
                       scope: Annotated[str, Form()] = "",
                       backfill: Annotated[bool, Form()] = False,
                       published: Annotated[str, Form()] = "") -> Response:
    _remit(principal, model)
    session = request.cookies.get(auth.SESSION_COOKIE, "")
    path = store.find(upload_id, username=principal.username, session=session)
    if path is None:
        return submit_page(request, status=404, scope=scope, error=_(
            "That checked file is no longer waiting here (it was submitted already, is "
            "more than a day old, or was sent from another session): check it again."))
    held_to = _scope(principal, scope)
    try:
        published_on = date.fromisoformat(published.strip()) if published.strip() else None
    except ValueError:
        return submit_page(request, status=400, scope=scope, error=_(
            "Not stored: '%(published)s' is not a date. Check the file again and give the "
            "publication date as YYYY-MM-DD, or leave it empty.") % {"published": published})
    if published_on is not None and not backfill:
        return submit_page(request, status=400, scope=scope, error=_(
            "Not stored: a publication date goes with history loaded after the fact. Check "
            "the file again and tick that box, or leave the date empty."))
    try:
        result = submit_file(engine, path, submitter=principal.username,
                             reason=reason.strip(), scope=held_to, backfill=backfill,
                             published=published_on)
    except StocktakeError as exc:
        return submit_page(request, status=400, scope=scope,
                           error=_("Not stored: %(why)s") % {"why": i18n.say_error(exc)})
    logs.submission(result, submitter=principal.username, via="web")
    name = json.loads((path.parent / "meta.json").read_text())["name"]
    if result.accepted:
        store.discard(upload_id)
        return submit_page(request, stored=result, result=result, checked_name=name,
                           scope=scope)
    # The data changed since the check (another batch, a lock): show why, store nothing.
    store.discard(upload_id)
    return submit_page(request, status=409, result=result, checked_name=name, scope=scope,
                       error=_("Nothing was stored: the checks now find errors (the data "
                               "changed since the file was checked). Fix them and check the "
                               "file again."))


@router.get("/data/template")
def data_template(request: Request, engine: EngineDep, principal: CurrentPrincipal,
                  model: Model, unit: str = "", period: str = "") -> Response:
    if unit not in model.units:
        return problem(request, _("No such unit"),
                       _("'%(code)s' is not a reporting unit.") % {"code": unit}, 404)
    _require_unit(principal, model, unit)
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "template.xlsx"
        try:
            n = write_template(engine, unit, period.strip(), target)
            period_code = Period.parse(period.strip()).code
        except StocktakeError as exc:  # TemplateError, PeriodError
            return problem(request, _("No template"), f"{i18n.say_error(exc)}.", 400)
        body = target.read_bytes()
    return Response(body, media_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), headers={
        "Content-Disposition": f'attachment; filename="stocktake-{safe_filename(unit)}-'
                               f'{period_code}.xlsx"', "X-Indicators": str(n)})


# -- quality -------------------------------------------------------------------------


@router.get("/data/quality", response_class=HTMLResponse)
def data_quality_page(request: Request, snap: SnapshotDep, principal: CurrentPrincipal,
                      model: Model) -> Response:
    _remit(principal, model)
    report = data_quality(snap, unit=principal.unit if principal.role == "provider" else None)
    return render(request, "data_quality.html", {
        "report": named.quality_in(report, model, i18n.current()), "years": _years(report.trend),
        "trend": _trend_by_unit(report.trend), "principal": principal,
        "alerts": page_alerts(snap, unit=principal.unit if principal.role == "provider"
                              else None)})


# -- history -------------------------------------------------------------------------


@router.get("/data/history", response_class=HTMLResponse)
def data_history(request: Request, engine: EngineDep, principal: CurrentPrincipal,
                 model: Model, indicator: str = "", unit: str = "",
                 period: str = "") -> Response:
    context: dict[str, Any] = {
        "indicators": list(model.indicators.values()),
        "units": visible_units(principal, model), "indicator": indicator, "unit": unit,
        "period": period, "vintages": None, "error": None}
    if not (indicator or unit or period):
        return render(request, "data_history.html", context)
    if unit in model.units:
        _require_unit(principal, model, unit)
    problems = []
    if indicator not in model.indicators:
        problems.append(_("'%(code)s' is not an indicator") % {"code": indicator})
    if unit not in model.units:
        problems.append(_("'%(code)s' is not a reporting unit") % {"code": unit})
    try:
        code = Period.parse(period.strip()).code
    except PeriodError as exc:
        problems.append(i18n.say_error(exc))
    if problems:
        context["error"] = "; ".join(problems).capitalize() + "."
        return render(request, "data_history.html", context, 400)
    with engine.connect() as conn:
        context["vintages"] = observations.history(conn, indicator, unit, code)
    context.update(period=code, indicator_name=model.indicators[indicator].name,
                   unit_name=model.units[unit].name)
    return render(request, "data_history.html", context)


# -- a reporting unit ----------------------------------------------------------------


@router.get("/units/{code}", response_class=HTMLResponse)
def unit_page(request: Request, code: str, engine: EngineDep, principal: CurrentPrincipal,
              model: Model) -> Response:
    if code not in model.units:
        return problem(request, _("No such unit"),
                       _("'%(code)s' is not a reporting unit.") % {"code": code}, 404)
    _require_unit(principal, model, code)
    remit = _remit(principal, model)
    unit = model.units[code]
    datasets = [d for d in model.datasets.values() if code in model.dataset_units(d)]
    wanted = sorted({c for d in datasets for c in d.indicators})
    with engine.connect() as conn:
        received = observations.latest(conn, units=[code], indicators=wanted or None,
                                       with_vintage=True)
    last = {i: (p, v, t) for i, p, v, t in received.sort("period").select(
        "indicator", "period", "value", "recorded_at").iter_rows()}
    if not datasets:  # no data sets declared: what the unit has sent
        wanted = sorted(last)
    snap = Snapshot(engine)
    quality = data_quality(snap, unit=code)
    mine = next((r for r in quality.units if r.unit == code), None)
    trend = [t for t in quality.trend if t.unit == code]
    status = priority_status(snap, unit=code, units=False, forecasts="none")
    lang = i18n.current()  # the model's names in the page's language
    return render(request, "unit.html", {
        "unit": named.unit_in(unit, lang), "level": model.level_in(unit.level, lang),
        "parent": named.unit_in(model.units.get(unit.parent or ""), lang),
        "children": named.units_in([u for u in model.children(code)
                                    if remit is None or u.code in remit], lang),
        "may_open_parent": remit is None or (unit.parent or "") in remit,
        "datasets": datasets, "indicators": named.indicators_in(model.indicators, lang),
        "wanted": wanted, "last": last, "quality": mine, "quality_report": quality,
        "trend": trend, "priorities": named.statuses_in(status.priorities, model, lang),
        "data_as_of": status.data_as_of, "reader": principal.role != "provider",
        "alerts": page_alerts(snap, unit=code)})


def _years(trend: Sequence[QualityByYear]) -> list[str]:
    return sorted({t.year for t in trend})


def _trend_by_unit(trend: Sequence[QualityByYear]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for t in trend:
        out.setdefault(t.unit, {})[t.year] = t.score
    return out
