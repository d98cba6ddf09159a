"""The priorities at a glance: baseline, latest actual at the priority's scope, target, vintage."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from datetime import datetime
from typing import Any

from ...analysis.spc import ICON_COLOURS, ICON_LABELS
from ...analysis.trajectory import target_verdict
from ...errors import StocktakeError
from ...model.periods import Period
from ...reports.formatting import verdict_sentence
from ...results.overview import (
    Freshness,
    LatestPoint,
    Portfolio,
    PortfolioRow,
    PriorityAtAGlance,
    PriorityOverview,
    PriorityPage,
)
from ...results.readings import UnitComparison
from ...results.status import PeriodValue, PriorityStatus, SpcHeadline, Unavailable
from ...store import delivery as delivery_store
from ...store.observations import data_as_of
from .leads import named_lead_evidence
from .readings import compare_units, spc_chart
from .series_data import Point, check_priority, iso, last_complete
from .snapshot import Snapshot
from .status import (
    priority_status,
    priority_trajectory,
    tolerance_of,
    unit_readings,
    verdict_block,
)

POLARITY_TEXT = {"up": "higher is better", "down": "lower is better", "neutral": "neutral"}


def priority_overview(snap: Snapshot) -> PriorityOverview:
    """Every priority with its latest actual at its scope, computed from data known at the
    snapshot's as_of.

    The latest actual is the newest complete period (every unit expected to report did so,
    all the way down); if no period is complete, the newest period is given with its
    coverage.
    """
    as_of, model = snap.as_of, snap.model
    with snap.engine.connect() as conn:
        vintage = data_as_of(conn, as_of)
    codes = {p.headline for p in model.priorities.values()}
    data = snap.data(codes) if codes else None
    rows = []
    for p in model.priorities.values():
        indicator = model.indicators[p.headline]
        latest_point = _latest_point(data.points(p.headline, p.scope)) if data else None
        progress = None
        if latest_point is not None and p.target.value != p.baseline.value:
            progress = (latest_point.value - p.baseline.value) / (
                p.target.value - p.baseline.value)
        verdict = None
        if data is not None:  # met or missed, once the target period is complete
            periods, values, _partial = data.complete(p.headline, p.scope)
            tolerance, mode = tolerance_of(p)
            found = target_verdict(p.baseline.period,
                                   Period.parse(p.target.period, indicator.period_type),
                                   p.target.value, dict(zip(periods, values, strict=True)),
                                   indicator.polarity, tolerance, mode)
            verdict = None if found is None else verdict_block(found, indicator.polarity)
        rows.append(PriorityAtAGlance(
            at_target_period=verdict, decimals=indicator.decimals, code=p.code, title=p.title,
            title_fr=p.title_fr or None, owner=p.owner, headline=p.headline,
            headline_name=indicator.name, headline_name_fr=indicator.name_fr or None,
            unit_of_measure=indicator.unit, unit_of_measure_fr=indicator.unit_fr or None,
            polarity=indicator.polarity.value,
            polarity_text=POLARITY_TEXT[indicator.polarity.value], scope=p.scope,
            scope_name=model.units[p.scope].name if p.scope in model.units else p.scope,
            scope_name_fr=(model.units[p.scope].name_fr or None) if p.scope in model.units
            else None,
            baseline=PeriodValue(period=p.baseline.period, value=p.baseline.value),
            target=PeriodValue(period=p.target.period, value=p.target.value),
            latest=latest_point, progress=progress))
    return PriorityOverview(as_of=as_of.isoformat() if as_of else None,
                            data_as_of=vintage.isoformat() if vintage else None,
                            priorities=tuple(rows))


def _latest_point(points: list[Point]) -> LatestPoint | None:
    with_value = [pt for pt in points if pt.value is not None]
    if not with_value:
        return None
    done = last_complete(points)
    chosen = done or with_value[-1]
    coverage = 1.0 if chosen.coverage is None else chosen.coverage
    return LatestPoint(period=chosen.period, value=chosen.value,
                       coverage=1.0 if done else coverage, complete=done is not None)


# -- the portfolio's row of icons, and the priority page ------------------------------------

PERIOD_WORDS = {"year": ("year", "years"), "quarter": ("quarter", "quarters"),
                "month": ("month", "months"), "week": ("week", "weeks"),
                "day": ("day", "days")}


def _freshness(latest_period: str | None, period_type: str, now: datetime,
               vintage: str | None) -> Freshness:
    """The newest complete period, how far it trails the period ``now`` falls in (that one is
    still running, so 1 is the usual lag), and when the data were last recorded."""
    current = Period.containing(now.date(), period_type)
    behind = None
    if latest_period is not None:
        behind = current - Period.parse(latest_period, period_type)
    one, many = PERIOD_WORDS[str(period_type)]
    if behind is None:
        text = "no complete period yet"
    elif behind == 0:
        text = f"the current {one}"
    else:
        text = f"{behind} {one if behind == 1 else many} behind the current {one}"
    return Freshness(latest_period=latest_period, current_period=current.code,
                     periods_behind=behind, period_type=str(period_type), text=text,
                     vintage=vintage)


def portfolio_rows(snap: Snapshot) -> Portfolio:
    """Every priority as one row of signals, from one snapshot: SPC variation and
    assurance icons (with their Making Data Count words), the latest likelihood of delivery,
    the gap to the trajectory (on/off track) and the data's freshness, as known at as_of."""
    as_of, model = snap.as_of, snap.model
    with snap.engine.connect() as conn:
        rounds = delivery_store.assessments(conn, None, as_of)
    status = priority_status(snap, units=False, forecasts="none")
    latest_round: dict[str, dict[str, Any]] = {}
    for r in rounds:  # oldest round first: the last one seen is the latest
        latest_round[r["priority"]] = r
    now = snap.now
    rows = [_portfolio_row(s, latest_round.get(s.code),
                           model.indicators[s.headline].period_type, now)
            for s in status.priorities]
    return Portfolio(as_of=iso(as_of), data_as_of=status.data_as_of, now=now.isoformat(),
                     priorities=tuple(rows))


def _portfolio_row(s: PriorityStatus, r: dict[str, Any] | None, period_type: str,
                   now: datetime) -> PortfolioRow:
    spc = s.spc if isinstance(s.spc, SpcHeadline) else None
    variation = None if spc is None else spc.variation_icon
    assurance = None if spc is None else spc.assurance_icon
    latest = s.latest
    base, goal = s.stated_baseline.value, s.stated_target.value
    progress = (None if latest is None or goal == base
                else (latest.value - base) / (goal - base))
    verdict = s.at_target_period
    if verdict is not None and goal != base:  # the distance covered by the deadline
        progress = (verdict.actual - base) / (goal - base)
    return PortfolioRow(
        code=s.code, title=s.title, owner=s.owner, headline=s.headline,
        headline_name=s.headline_name, unit_of_measure=s.unit_of_measure,
        polarity=s.polarity, polarity_text=POLARITY_TEXT[s.polarity], scope=s.scope,
        scope_name=s.unit_name,
        latest=None if latest is None else PeriodValue(period=latest.period,
                                                       value=latest.value),
        baseline=s.stated_baseline, target=s.stated_target, progress=progress,
        spc_error=s.spc.error if isinstance(s.spc, Unavailable) else None,
        variation_icon=variation,
        variation_label=ICON_LABELS.get(variation) if variation else None,
        variation_colour=ICON_COLOURS.get(variation) if variation else None,
        assurance_icon=assurance,
        assurance_label=ICON_LABELS.get(assurance) if assurance else None,
        assurance_colour=ICON_COLOURS.get(assurance) if assurance else None,
        assurance_note=None if spc is None else spc.assurance_note,
        status_note=s.status_note, spc_trial=spc is not None and spc.trial,
        likelihood=None if r is None else r["likelihood"],
        assessed_on=None if r is None else r["assessed_on"],
        round=None if r is None else r["round"],
        status=s.status, expected=s.expected, gap=s.gap, gap_pct=s.gap_pct,
        decimals=s.decimals, at_target_period=verdict,
        verdict_text=(verdict_sentence(verdict, s.unit_of_measure, s.decimals)
                      if verdict else None),
        freshness=_freshness(None if latest is None else latest.period, period_type, now,
                             s.data_as_of))


def with_lead_evidence(snap: Snapshot, head: PriorityStatus) -> PriorityStatus:
    """The status with each named lead's evidence (services.leads.named_lead_evidence, or
    None: not tested) on its lead rows, for the priority page and the pack."""
    p = snap.model.priorities[head.code]
    evidence = named_lead_evidence(snap, p.code)
    return dataclasses.replace(head, leads=tuple(
        dataclasses.replace(lead, evidence=evidence.get(lead.code)) for lead in head.leads))


def priority_page(snap: Snapshot, code: str) -> PriorityPage:
    """What the priority page reads, from one snapshot: the status (units one level
    down), the trajectory with its forecast, the SPC chart of the headline at the scope (None
    when there are too few periods), each unit's readings for small multiples, and a
    funnel comparison of the units one level down in the latest complete period (or why
    there is none), and whether each named lead does lead the headline. Raises NotFound
    for an unknown priority."""
    model = snap.model
    p = check_priority(model, code)
    status = priority_status(snap, priority=code, units=True, forecasts="none")
    trajectory = priority_trajectory(snap, code)
    units = unit_readings(snap, code)
    head = with_lead_evidence(snap, status.priorities[0])
    try:
        spc = spc_chart(snap, p.headline, p.scope)
    except StocktakeError:  # too few complete periods for limits: the page says so
        spc = None
    kids = [u for u in model.units.values() if u.parent == p.scope]
    level = kids[0].level if kids else None
    funnel: UnitComparison | None = None
    funnel_note: str | None = None
    if head.latest is None:
        funnel_note = "No complete period yet, so no comparison of units."
    elif level is None:
        funnel_note = f"{head.unit_name} has no units below it to compare."
    else:
        try:
            funnel = compare_units(snap, p.headline, head.latest.period, level=level)
        except StocktakeError as exc:  # e.g. not a ratio indicator: the page says why
            funnel_note = str(exc)
        else:  # the x axis's name: the denominator as the model describes it
            den = model.indicators.get(funnel.denominator)
            if den is not None:
                funnel = replace(funnel, denominator_info={"name": den.name,
                                                           "unit_of_measure": den.unit})
    return PriorityPage(status=status, p=head, trajectory=trajectory, spc=spc, units=units,
                        funnel=funnel, funnel_note=funnel_note, funnel_level=level)
