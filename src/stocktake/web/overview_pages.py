"""The delivery unit's views of every priority: the portfolio, a priority's page and the
same overview as JSON. Each is computed once per data version (the page cache); the open
alerts and the escalation beside the portfolio once per data version and audit-log version
(every review of an alert and every change of escalation is audited)."""

from __future__ import annotations

import threading
from collections.abc import Hashable
from dataclasses import fields, replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy import Engine

from ..model.entities import DeliveryModel
from ..reports.charts import funnel_chart, headline_chart, unit_panel
from ..results import encode
from ..results.overview import Portfolio, PortfolioRow
from ..results.readings import UnitComparison
from ..services.publishing.packs import funnel_in, trajectory_in
from ..services.reading.overview import portfolio_rows, priority_overview
from ..services.reading.overview import priority_page as priority_page_data
from ..services.reading.snapshot import Snapshot
from ..services.routines.escalation import escalation_brief
from . import i18n
from .alert_pages import page_alerts
from .cache import ResultCache, cached_json
from .deps import PageCache, PriorityInPath, SnapshotDep, render, world_label

router = APIRouter()


def priority_view(snap: Snapshot, code: str, cache: ResultCache) -> dict[str, Any]:
    """Everything the priority page shows: its figures once per data version, its charts
    once per data version and language (their words are the page's). The priority is known
    to exist (PriorityInPath): any error here is ours, a 500, never "no such priority"."""
    view = cache.get(("priority", code), lambda: priority_page_data(snap, code))
    # Every field of the page's answer but funnel_level, which only the API gives, with the
    # model's names in the page's language.
    shown = named_in({f.name: getattr(view, f.name) for f in fields(view)
                      if f.name != "funnel_level"}, snap.model, i18n.current())
    charts = cache.get(("priority charts", code, i18n.current()), lambda: {
        "chart": headline_chart(shown["trajectory"], view.spc),
        "panels": {u.unit: unit_panel(u, decimals=view.p.decimals)
                   for u in shown["units"].units},
        "funnel_svg": funnel_chart(shown["funnel"]) if view.funnel else None})
    return {**shown, **charts}


def named_in(view: dict[str, Any], model: DeliveryModel, lang: str) -> dict[str, Any]:
    """The priority page's view with the model's names in ``lang`` (the English one where
    the model has no translation): the priority's title, its headline and the unit of
    measure it is in (the charts' axes too), its scope, the units below it and their level,
    its leads and counters, and the funnel's units and level."""
    if lang == "en":
        return view
    p = view["p"]
    ind = model.indicators[p.headline]

    def unit_name(code: str, english: str) -> str:
        return model.units[code].name_in(lang) if code in model.units else english

    def renamed(units: Any) -> tuple[Any, ...]:  # each unit's reading with its name
        return tuple(replace(u, unit_name=unit_name(u.unit, u.unit_name)) for u in units)

    def leveled(units: Any) -> tuple[Any, ...]:  # and the level it is at, when it says one
        return tuple(replace(u, level=model.level_in(u.level, lang)) for u in units)

    p = replace(p, title=model.priorities[p.code].title_in(lang),
                headline_name=ind.name_in(lang), unit_of_measure=ind.unit_in(lang),
                unit_name=unit_name(p.unit, p.unit_name))
    if hasattr(p, "units"):  # the units below the scope, when read
        p = replace(p, units=leveled(renamed(p.units)))

    def indicators(movements: Any) -> tuple[Any, ...]:  # the leads' and counters' names
        return tuple(replace(m, name=model.indicators[m.code].name_in(lang))
                     if m.code in model.indicators else m for m in movements)

    p = replace(p, leads=indicators(p.leads), counters=indicators(p.counters))
    funnel = view["funnel"] and _funnel_named(funnel_in(view["funnel"], model, lang), model,
                                              lang)
    return {**view, "p": p, "units": replace(view["units"], units=renamed(view["units"].units)),
            "trajectory": trajectory_in(view["trajectory"], model, lang), "funnel": funnel}


def _funnel_named(funnel: UnitComparison, model: DeliveryModel, lang: str) -> UnitComparison:
    """The funnel comparison with its axes (funnel_in), its units, the ones left out and the
    level they are at named in ``lang``: its caption and the chart's points say them."""
    def name(code: str, english: str) -> str:
        return model.units[code].name_in(lang) if code in model.units else english

    return replace(funnel, level=model.level_in(funnel.level, lang),
                   units=tuple(replace(u, name=name(u.unit, u.name)) for u in funnel.units),
                   excluded=tuple(replace(u, name=name(u.unit, u.name))
                                  for u in funnel.excluded))


def rows_in(portfolio: Portfolio, model: DeliveryModel, lang: str) -> Portfolio:
    """The portfolio with the model's names in ``lang`` (the English one where the model
    has no translation): each priority's title, headline, unit of measure and scope."""
    if lang == "en":
        return portfolio

    def named(r: PortfolioRow) -> PortfolioRow:
        ind, scope = model.indicators.get(r.headline), model.units.get(r.scope)
        p = model.priorities.get(r.code)
        return replace(r, title=p.title_in(lang) if p else r.title,
                       headline_name=ind.name_in(lang) if ind else r.headline_name,
                       unit_of_measure=ind.unit_in(lang) if ind else r.unit_of_measure,
                       scope_name=scope.name_in(lang) if scope else r.scope_name)

    return replace(portfolio, priorities=tuple(named(r) for r in portfolio.priorities))


# How long the portfolio waits for the alerts of new data (a large world takes seconds to
# read) before it is shown without them, saying so; the reading goes on in the background.
ALERT_WAIT = 1.0


def _detection(engine: Engine) -> threading.Thread:
    """The alerts of every priority read in the background (the service keeps them per
    data version)."""
    thread = threading.Thread(target=lambda: page_alerts(Snapshot(engine)), name="alerts",
                              daemon=True)
    thread.start()
    return thread


def open_alerts(snap: Snapshot, cache: ResultCache,
                audited: Hashable) -> dict[str, int] | None:
    """How many open alerts bear on each priority (priorities without one are left out),
    or None while the alerts of new data are still being read. ``audited`` is the audit
    log's version: every review of an alert is audited in its own transaction."""
    detection = cache.get("alert detection", lambda: _detection(snap.engine))  # once a version
    detection.join(ALERT_WAIT)
    if detection.is_alive():
        return None

    def counts() -> dict[str, int]:
        out: dict[str, int] = {}
        for a in page_alerts(snap).open:  # the detection kept; the reviews read here
            for code in a.priorities:
                out[code] = out.get(code, 0) + 1
        return out
    return cache.get(("open alerts", audited), counts)


@router.get("/", response_class=HTMLResponse)
def portfolio(request: Request, snap: SnapshotDep, cache: PageCache) -> HTMLResponse:
    rows = cache.get("portfolio", lambda: portfolio_rows(snap))
    # Reviews of alerts, intensities and escalation reviews are each audited in the same
    # transaction, so the audit log's version (with the page cache's own: actions, the
    # clock) says when these two were last changed; read each time, they were most of the
    # page's cost.
    audited = request.app.state.commitments.version()
    escalated = cache.get(("escalated", audited), lambda: {
        e["code"]: e for e in escalation_brief(snap.engine, model=snap.model)})
    return render(request, "portfolio.html", {
        "overview": rows_in(rows, snap.model, i18n.current()),
        "open_alerts": open_alerts(snap, cache, audited),
        "escalated": escalated, "world_label": world_label(request)})


@router.get("/priorities/{code}", response_class=HTMLResponse)
def priority_page(request: Request, priority: PriorityInPath, snap: SnapshotDep,
                  cache: PageCache) -> HTMLResponse:
    code = priority.code
    view = priority_view(snap, code, cache)
    return render(request, "priority.html", {**view, "world_label": world_label(request),
                                             "alerts": page_alerts(snap, priority=code)})


@router.get("/api/v1/priorities")
def api_priorities(snap: SnapshotDep, cache: PageCache) -> JSONResponse:
    # Encoded once a data version, like the other API reads; the rows are the page's too.
    return cached_json(cache, "api_priorities", lambda: encode(
        cache.get("overview", lambda: priority_overview(snap))))
