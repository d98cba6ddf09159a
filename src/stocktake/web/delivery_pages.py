"""The delivery pages of a priority (issue #7): its plan (versions, checklist, diffs, upload),
its delivery chain, its likelihood assessments, its stocktakes (agenda, record, pack) and the
action tracker. Every figure and rule comes from the services; this module turns forms into
documents for them and their answers into pages.

Who may change what: analysts and admins everything; an owner the plans, stocktakes and
actions of their own priorities (Principal.may_edit_priority, checked in each route after
the role table has let them in); assessments are the delivery unit's (analysts, admins).
"""

from __future__ import annotations

import contextlib
import re
from datetime import date
from typing import Any
from urllib.parse import urlencode

import jinja2
import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from ..delivery import assessments as da
from ..delivery import chains as dc
from ..delivery.errors import DeliveryError
from ..delivery.stocktakes import ACTION_STATUSES
from ..errors import Invalid, Problem, StocktakeError
from ..model.entities import Priority
from ..model.safe_yaml import safe_load
from ..reports.chain_diagram import chain_svg
from ..services.data.model_service import current_model
from ..services.publishing import packs
from ..services.reading.snapshot import Snapshot
from ..services.routines import assessments, chains, plans, stocktakes
from . import auth, i18n, public_words
from . import delivery_words as words
from .deps import (
    CurrentPrincipal,
    Editor,
    EngineDep,
    Model,
    PriorityInPath,
    editor,
    engine_of,
    render,
    world_label,
)
from .i18n import gettext as _

READERS = auth.READERS
EDITORS = frozenset({"admin", "analyst", "owner"})  # owners: their own priorities only
ASSESSORS = frozenset({"admin", "analyst"})

# Route name -> roles, merged into auth.PERMISSIONS (every route needs an entry).
PERMISSIONS: dict[str, frozenset[str]] = {
    "delivery_plan": READERS,
    "delivery_plan_yaml": READERS,
    "delivery_plan_diff": READERS,
    "delivery_plan_upload": EDITORS,
    "delivery_chain": READERS,
    "delivery_assessments": READERS,
    "delivery_assessment_record": ASSESSORS,
    "delivery_stocktakes": READERS,
    "delivery_stocktake_record": EDITORS,
    "delivery_pack_pdf": READERS,
    "delivery_pack_html": READERS,
    "delivery_actions": READERS,
    "delivery_action_update": EDITORS,
}

MAX_PLAN_BYTES = 512 * 1024  # a plan is a few kilobytes; refuse anything that is not one
ACTION_ROWS = 5  # blank action rows on the stocktake form (no JavaScript to add more)
DECISION_ROWS = 3
MAX_ROWS = 30


# -- small pure helpers (tested directly) ------------------------------------------------


def _clean(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _row_count(form: FormData | dict[str, Any], prefix: str, default: int) -> int:
    """How many numbered rows the form sent (action_text_1 ...), at least ``default``."""
    found = [int(m.group(1)) for key in form
             if (m := re.fullmatch(rf"{prefix}_\w+?_(\d+)", key))]
    return min(MAX_ROWS, max([default, *found]))


def stocktake_document(form: FormData | dict[str, Any]) -> tuple[dict[str, Any],
                                                                 dict[str, str]]:
    """The stocktake document a form describes, and a map from the document's paths to the
    form's row names (``actions[0]`` -> ``Action row 2``) for problems. Rows left wholly
    blank are dropped; a half-filled row is kept so that its gaps are reported."""
    doc: dict[str, Any] = {}
    for key in ("held_on", "chair", "summary"):
        value = _clean(form.get(key))
        if value:
            doc[key] = value
    attendees = _lines(_clean(form.get("attendees")))
    if attendees:
        doc["attendees"] = attendees
    rows: dict[str, str] = {}
    decisions = []
    for n in range(1, _row_count(form, "decision", DECISION_ROWS) + 1):
        text = _clean(form.get(f"decision_text_{n}"))
        changes_plan = form.get(f"decision_plan_{n}") is not None
        if text or changes_plan:
            rows[f"decisions[{len(decisions)}]"] = _("Decision row %(n)s") % {"n": n}
            decisions.append({"text": text, "plan_change": changes_plan})
    if decisions:
        doc["decisions"] = decisions
    actions = []
    for n in range(1, _row_count(form, "action", ACTION_ROWS) + 1):
        fields = {k: _clean(form.get(f"action_{k}_{n}")) for k in ("text", "owner", "due")}
        if any(fields.values()):
            rows[f"actions[{len(actions)}]"] = _("Action row %(n)s") % {"n": n}
            actions.append({k: v for k, v in fields.items() if v})
    if actions:
        doc["actions"] = actions
    if form.get("pack_used") is not None:  # the pack this page links to, as of then
        pack = {k: _clean(form.get(f"pack_{k}")) for k in ("as_of", "data_as_of")}
        if any(pack.values()):
            doc["pack"] = {k: v for k, v in pack.items() if v}
    return doc, rows


def assessment_document(form: FormData | dict[str, Any]) -> dict[str, Any]:
    """The assessment document a form describes; criteria left unrated are left out."""
    doc: dict[str, Any] = {}
    for key in ("round", "assessed_on", "assessor"):
        value = _clean(form.get(key))
        if value:
            doc[key] = value
    for key, _label, scale in da.CRITERIA:
        rating: Any = _clean(form.get(f"{key}_rating"))
        rationale = _clean(form.get(f"{key}_rationale"))
        if not rating and not rationale:
            continue
        if rating and isinstance(scale.values[0], int):
            # stages are numbers 1-4; text that is no number goes through to be refused
            rating = int(rating) if rating.isdigit() else rating
        entry: dict[str, Any] = {"rating": rating or None}
        if rationale:
            entry["rationale"] = rationale
        doc[key] = entry
    return doc


def readable_problems(problems: list[str], rows: dict[str, str]) -> list[str]:
    """Problems with the document's paths renamed to the form's rows, e.g.
    ``actions[1].owner: required`` -> ``Action row 3, owner: required``."""
    out = []
    for p in problems:
        # ": " in English, " : " (a no-break space before) as a French page says it
        m = re.match(r"^((?:actions|decisions)\[\d+\])(?:\.(\w+))?(\u00a0?: )", p)
        if m and m.group(1) in rows:
            where = rows[m.group(1)] + (f", {m.group(2)}" if m.group(2) else "")
            p = where + m.group(3) + p[m.end():]
        out.append(p)
    return out


def problems_of(exc: Exception) -> list[str]:
    """Each problem of a user error, one line each, for the list above the form."""
    if isinstance(exc, StocktakeError):  # in the page's language where they are Text
        return [i18n.say_problem(p) for p in exc.problems]
    if isinstance(exc, DeliveryError):
        return list(exc.problems)
    return [str(exc)]


def parse_plan_upload(data: bytes, filename: str) -> Any:
    """The parsed YAML of an uploaded plan, or Invalid saying what is wrong with it.
    Only a mapping goes on: the plan service reads a bare string as a file path."""
    name = filename or _("the uploaded file")
    if not data.strip():
        raise Invalid(_("the file is empty: choose a plan YAML file"), source=name)
    if len(data) > MAX_PLAN_BYTES:
        raise Invalid(_("the file is %(size)s bytes; a plan is at most %(most)s") % {
            "size": i18n.number(len(data), 0), "most": i18n.number(MAX_PLAN_BYTES, 0)},
            source=name)
    try:
        raw = safe_load(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise Invalid(_("not UTF-8 text: save the plan as a UTF-8 YAML file"),
                      source=name) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = _("line %(line)s: ") % {"line": mark.line + 1} if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise Invalid(where + _("not valid YAML (%(problem)s)") % {"problem": problem},
                      source=name) from None
    if not isinstance(raw, dict):
        kind = _("a list") if isinstance(raw, list) else _("text") if isinstance(raw, str) \
            else type(raw).__name__
        raise Invalid(_("a plan is a mapping (summary, interventions, milestones ...), "
                        "not %(kind)s") % {"kind": kind}, source=name)
    return raw


def diff_rows(lines: list[str]) -> list[dict[str, str]]:
    """diff_lines' '+ ...', '- ...', '~ ...' as {change word, text} rows."""
    return [{"sign": line[:1], "change": words.diff_word(line[:1]),
             "text": (line[2:] if line[:1] in words.DIFF_WORDS else line).replace(" -> ", " → ")}
            for line in lines]


# -- wiring ------------------------------------------------------------------------------

# Filters the delivery pages' templates use, in the page's language (in English, what
# reports.formatting gives). Numbers, moments and days are the i18n filters of the public
# pages, which in English are reports.formatting's too.
FILTERS = {
    "number": i18n.number, "when": i18n.when, "day": i18n.day,
    "status_word": i18n.status_word, "percent_change": public_words.percent_change,
    "signed": i18n.signed, "percent": i18n.percent,
    "likelihood_word": words.likelihood_word, "icon_word": words.icon_word,
    "action_word": words.action_word, "milestone_word": words.milestone_word,
    "direction_word": words.direction_word, "change_sentence": words.change_sentence,
    "flag_message": words.flag_message,
}

router = APIRouter()


def page(request: Request, name: str, context: dict[str, Any],
         status: int = 200) -> HTMLResponse:
    context = {"world_label": world_label(request), **context}
    return render(request, name, context, status)


def not_found(request: Request, message: str) -> HTMLResponse:
    return page(request, "error.html", {"title": _("Not found"), "message": message}, 404)


def may_edit(request: Request, code: str) -> bool:
    principal = auth.principal_of(request)
    return principal is not None and principal.may_edit_priority(code)


def base(request: Request, p: Priority, tab: str) -> dict[str, Any]:
    return {"code": p.code, "priority": p, "tab": tab}


# -- the plan ------------------------------------------------------------------------


def plan_page(request: Request, p: Priority, *, version: int | None = None,
              status: int = 200, problems: list[str] | None = None,
              reason: str = "", done: dict[str, Any] | None = None) -> HTMLResponse:
    plan = None
    try:
        plan = plans.show_plan(engine_of(request), p.code, version=version,
                               lang=i18n.current())
    except StocktakeError as exc:  # no plan yet: the page says so; no such version: 404
        if version is not None:
            return not_found(request, i18n.say_error(exc))
    return page(request, "delivery_plan.html", {
        **base(request, p, "plan"), "may_edit": may_edit(request, p.code), "plan": plan,
        "problems": problems or [],
        "reason": reason, "done": done}, status)


@router.get("/priorities/{code}/plan", response_class=HTMLResponse, name="delivery_plan")
def delivery_plan(request: Request, p: PriorityInPath, version: int | None = None,
                  saved: int | None = None, unchanged: int | None = None) -> HTMLResponse:
    done = None
    if saved is not None:
        done = {"version": saved, "changed": True}
    elif unchanged is not None:
        done = {"version": unchanged, "changed": False}
    return plan_page(request, p, version=version, done=done)


@router.get("/priorities/{code}/plan.yaml", name="delivery_plan_yaml")
def delivery_plan_yaml(request: Request, p: PriorityInPath, engine: EngineDep,
                       version: int | None = None) -> Response:
    code = p.code
    try:
        shown = plans.show_plan(engine, code, version=version)
    except StocktakeError as exc:
        return not_found(request, i18n.say_error(exc))
    text = (f"# Delivery plan of {code}, version {shown.version} "
            f"({shown.recorded_at}, {shown.author}).\n# Edit it and upload it on "
            f"/priorities/{code}/plan to make the next version.\n"
            + yaml.safe_dump(shown.plan, sort_keys=False, allow_unicode=True))
    filename = f"plan-{code}-v{shown.version}.yaml"
    return Response(text, media_type="application/yaml; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/priorities/{code}/plan/diff", response_class=HTMLResponse,
            name="delivery_plan_diff")
def delivery_plan_diff(request: Request, p: PriorityInPath, engine: EngineDep
                       ) -> HTMLResponse:
    # ?from=1&to=3 ("from" is a Python keyword, so read it from the query itself)
    query = request.query_params
    try:
        old = int(query.get("from") or 0)
        new = int(query.get("to") or 0)
    except ValueError:
        return page(request, "error.html", {
            "title": _("Not a version"), "message": _("from and to are plan version numbers "
                                                      "such as ?from=1&to=3.")}, 400)
    try:
        shown = plans.show_plan(engine, p.code)
    except StocktakeError as exc:
        return not_found(request, i18n.say_error(exc))
    old = old or max(1, shown.version - 1)
    new = new or shown.version
    try:
        diff = plans.diff_plan(engine, p.code, old, new, lang=i18n.current())
    except StocktakeError as exc:
        return not_found(request, i18n.say_error(exc))
    return page(request, "delivery_plan_diff.html", {
        **base(request, p, "plan"), "diff": diff,
        "rows": diff_rows(diff.lines), "history": shown.history})


@router.post("/priorities/{code}/plan", response_class=HTMLResponse,
             name="delivery_plan_upload")
async def delivery_plan_upload(request: Request, p: PriorityInPath, username: Editor,
                               engine: EngineDep) -> Response:
    form = await request.form()
    upload = form.get("plan")
    reason = _clean(form.get("reason"))
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise Invalid(Problem(_("choose a plan YAML file to upload")))
        data = await upload.read(MAX_PLAN_BYTES + 1)
        raw = parse_plan_upload(data, upload.filename)
        result = await run_in_threadpool(plans.load_plan, engine, p.code, raw,
                                         author=username, reason=reason)
    except StocktakeError as exc:
        problems = problems_of(exc)
        return await run_in_threadpool(
            lambda: plan_page(request, p, status=400, problems=problems, reason=reason))
    key = "saved" if result.changed else "unchanged"
    return RedirectResponse(f"/priorities/{p.code}/plan?{key}={result.version}",
                            status_code=303)


# -- the chain -----------------------------------------------------------------------


@router.get("/priorities/{code}/chain", response_class=HTMLResponse, name="delivery_chain")
def delivery_chain(request: Request, p: PriorityInPath, model: Model, engine: EngineDep
                   ) -> HTMLResponse:
    try:
        chain = chains.show_chain(engine, p.code, lang=i18n.current())
    except StocktakeError:  # no chain yet: the page says so
        chain, svg = None, None
    else:
        # Drawn from the analysis just made (chains.chain_diagram would analyse again,
        # and data quality is the slow part).
        svg = chain_svg(dc.parse_chain(chain.chain, model), chain.analysis)
    return page(request, "delivery_chain.html", {
        **base(request, p, "chain"), "chain": chain, "svg": svg})


# -- assessments ---------------------------------------------------------------------


def assessments_page(request: Request, p: Priority, *, status: int = 200,
                     problems: list[str] | None = None,
                     form: dict[str, Any] | None = None,
                     done: str | None = None) -> HTMLResponse:
    shown = assessments.show_assessments(engine_of(request), p.code)
    principal = auth.principal_of(request)
    latest = shown.latest.assessment if shown.latest else {}
    defaults = {"round": "", "assessed_on": shown.today,
                "assessor": latest.get("assessor", "")}
    for key, _label, _scale in da.CRITERIA:  # start from the last round's ratings
        defaults[f"{key}_rating"] = str((latest.get(key) or {}).get("rating", ""))
        defaults[f"{key}_rationale"] = (latest.get(key) or {}).get("rationale", "")
    return page(request, "delivery_assessments.html", {
        **base(request, p, "assessments"), "a": shown,
        "criteria": [(key, _(label), [(str(v), _(scale.label(v))) for v in scale.values])
                     for key, label, scale in da.CRITERIA],
        "may_assess": principal is not None and principal.role in ASSESSORS
        and not principal.read_only,
        "form": form if form is not None else defaults, "problems": problems or [],
        "done": done}, status)


@router.get("/priorities/{code}/assessments", response_class=HTMLResponse,
            name="delivery_assessments")
def delivery_assessments(request: Request, p: PriorityInPath, saved: str = ""
                         ) -> HTMLResponse:
    return assessments_page(request, p, done=saved or None)


@router.post("/priorities/{code}/assessments", response_class=HTMLResponse,
             name="delivery_assessment_record")
async def delivery_assessment_record(request: Request, p: PriorityInPath, engine: EngineDep,
                                     principal: CurrentPrincipal) -> Response:
    form = await request.form()
    document = assessment_document(form)
    try:
        result = await run_in_threadpool(assessments.record_assessment, engine, p.code,
                                         document, by=principal.username)
    except StocktakeError as exc:
        problems = problems_of(exc)
        kept = {k: _clean(v) for k, v in form.items() if k != auth.CSRF_FIELD}
        return await run_in_threadpool(
            lambda: assessments_page(request, p, status=400, problems=problems, form=kept))
    return RedirectResponse(f"/priorities/{p.code}/assessments?"
                            + urlencode({"saved": result.round}), status_code=303)


# -- stocktakes ----------------------------------------------------------------------


def stocktakes_page(request: Request, p: Priority, *, status: int = 200,
                    problems: list[str] | None = None,
                    form: dict[str, Any] | None = None,
                    done: str | None = None) -> HTMLResponse:
    # The agenda's questions come from the same gathering as the pack, so they match it.
    context = packs.pack_context(engine_of(request), p.code, lang=i18n.current())
    routine = context["routine"]
    form = form or {}
    n_actions = _row_count(form, "action", ACTION_ROWS) if form else ACTION_ROWS
    n_decisions = _row_count(form, "decision", DECISION_ROWS) if form else DECISION_ROWS
    # ?rows=N asks for more blank action rows (the form has no script to add them)
    with contextlib.suppress(ValueError):
        n_actions = max(n_actions, min(MAX_ROWS, int(request.query_params.get("rows", 0))))
    return page(request, "delivery_stocktakes.html", {
        **base(request, p, "stocktakes"), "may_edit": may_edit(request, p.code),
        "routine": routine,
        "questions": context["questions"], "five_questions": context["five_questions"],
        "pack_as_of": context["today"], "data_as_of": context["data_as_of"],
        "form": form, "n_actions": n_actions, "n_decisions": n_decisions,
        "problems": problems or [], "done": done}, status)


@router.get("/priorities/{code}/stocktakes", response_class=HTMLResponse,
            name="delivery_stocktakes")
def delivery_stocktakes(request: Request, p: PriorityInPath, saved: date | None = None
                        ) -> HTMLResponse:
    # A date, or a 422 naming it: the page shows it as a day.
    return stocktakes_page(request, p, done=saved.isoformat() if saved else None)


@router.post("/priorities/{code}/stocktakes", response_class=HTMLResponse,
             name="delivery_stocktake_record")
async def delivery_stocktake_record(request: Request, p: PriorityInPath, username: Editor,
                                    engine: EngineDep) -> Response:
    form = await request.form()
    document, rows = stocktake_document(form)
    try:
        result = await run_in_threadpool(stocktakes.record_stocktake, engine, p.code,
                                         document, by=username)
    except StocktakeError as exc:
        problems = readable_problems(problems_of(exc), rows)
        kept = {k: _clean(v) for k, v in form.items() if k != auth.CSRF_FIELD}
        return await run_in_threadpool(
            lambda: stocktakes_page(request, p, status=400, problems=problems, form=kept))
    return RedirectResponse(f"/priorities/{p.code}/stocktakes?"
                            + urlencode({"saved": result.held_on}) + "#recorded",
                            status_code=303)


# -- the pack ------------------------------------------------------------------------


def pack_html(engine: Engine, code: str, lang: str = "en") -> tuple[str, dict[str, Any]]:
    """The pack as the CLI writes it, in ``lang`` (the page's)."""
    from ..reports.render import render_pack

    snap = Snapshot(engine)  # one world for the pack and its funnel plot, read once
    context = packs.pack_context(engine, code, lang=lang, snapshot=snap)
    if context["plan"] is not None:
        # pack.html reads this key strictly, but pack_context sets it only from a plan's
        # second version on: a priority with one version would fail (reported upstream).
        context["plan"].setdefault("changes_since_last", [])
    # The funnel plot as write_pack draws it, so the pack from the web is the same pack.
    funnel, why_not = packs.headline_funnel(engine, context, lang=lang, snapshot=snap)
    return render_pack(context, funnel=funnel, funnel_note=why_not, lang=lang), context


def pack_failed(request: Request, code: str, exc: Exception) -> HTMLResponse:
    # A fault, so a 500, but one that says what failed rather than a bare error.
    return page(request, "error.html", {
        "title": _("The pack could not be made"), "message": _(
            "The stocktake pack of %(code)s could not be drawn from the data there are "
            "(%(error)s). This happens while a priority has too little data for the pack's "
            "statistics; please report it.") % {"code": code, "error": exc}},
        500)


def pack_name(code: str, context: dict[str, Any], suffix: str) -> str:
    return f"stocktake-pack-{code}-{context['today']}{suffix}"


@router.get("/priorities/{code}/pack.pdf", name="delivery_pack_pdf")
def delivery_pack_pdf(request: Request, p: PriorityInPath, engine: EngineDep) -> Response:
    from ..reports.render import html_to_pdf

    try:
        html, context = pack_html(engine, p.code, i18n.current())
    except jinja2.UndefinedError as exc:
        return pack_failed(request, p.code, exc)
    return Response(html_to_pdf(html), media_type="application/pdf", headers={
        "Content-Disposition":
            f'attachment; filename="{pack_name(p.code, context, ".pdf")}"'})


@router.get("/priorities/{code}/pack.html", name="delivery_pack_html")
def delivery_pack_html(request: Request, p: PriorityInPath, engine: EngineDep) -> Response:
    try:
        html, context = pack_html(engine, p.code, i18n.current())
    except jinja2.UndefinedError as exc:
        return pack_failed(request, p.code, exc)
    return HTMLResponse(html, headers={
        "Content-Disposition": f'inline; filename="{pack_name(p.code, context, ".html")}"'})


# -- actions -------------------------------------------------------------------------


def actions_page(request: Request, *, priority: str = "", open_only: bool = True,
                 status: int = 200, problem: dict[str, Any] | None = None,
                 done: dict[str, str] | None = None) -> HTMLResponse:
    engine = engine_of(request)
    model = current_model(engine)
    if priority and priority not in model.priorities:
        return not_found(request, _("There is no priority '%(code)s'.") % {"code": priority})
    listed = stocktakes.list_actions(engine, priority=priority or None,
                                     open_only=open_only)
    principal = auth.principal_of(request)
    editable = {c for c in model.priorities
                if principal is not None and principal.may_edit_priority(c)}
    return page(request, "delivery_actions.html", {
        "listed": listed, "priorities": list(model.priorities.values()),
        "titles": {c: p.title_in(i18n.current()) for c, p in model.priorities.items()},
        "filter_priority": priority, "open_only": open_only, "editable": editable,
        "statuses": ACTION_STATUSES, "problem": problem, "done": done}, status)


@router.get("/actions", response_class=HTMLResponse, name="delivery_actions")
def delivery_actions(request: Request, priority: str = "", open: str = "1",
                     updated: int | None = None, to: str = "") -> HTMLResponse:
    done = {"id": str(updated), "status": to} if updated is not None else None
    return actions_page(request, priority=priority, open_only=open == "1", done=done)


@router.post("/actions/{action_id}", response_class=HTMLResponse,
             name="delivery_action_update")
async def delivery_action_update(request: Request, action_id: int, engine: EngineDep,
                                 who: CurrentPrincipal) -> Response:
    form = await request.form()
    priority_filter = _clean(form.get("filter_priority"))
    open_filter = _clean(form.get("filter_open")) or "1"
    listed = await run_in_threadpool(stocktakes.list_actions, engine)
    row = next((a for a in listed.actions if a.id == action_id), None)
    if row is None:
        return not_found(request, _("There is no action %(id)s.") % {"id": action_id})
    username = editor(row.priority, who)
    status, note = _clean(form.get("status")), _clean(form.get("note"))
    try:
        if status and status not in ACTION_STATUSES:
            raise Invalid(Problem(_("%(status)s is not one of %(choices)s") % {
                "status": repr(status), "choices": ", ".join(ACTION_STATUSES)},
                where="status"))
        if status in ("", row.status) and not note:
            raise Invalid(_("nothing to record: the action is already %(status)s; change its "
                            "status or write a note") % {
                                "status": words.action_word(row.status).lower()})
        result = await run_in_threadpool(
            lambda: stocktakes.update_action(engine, action_id, status=status or row.status,
                                             note=note, by=username))
    except StocktakeError as exc:
        problem = {"id": action_id, "code": row.code, "priority": row.priority,
                   "messages": problems_of(exc), "status": status, "note": note}
        return await run_in_threadpool(
            lambda: actions_page(request, priority=priority_filter,
                                 open_only=open_filter == "1", status=400,
                                 problem=problem))
    query = urlencode({"priority": priority_filter, "open": open_filter,
                       "updated": action_id, "to": result.status})
    return RedirectResponse(f"/actions?{query}#action-{action_id}", status_code=303)
