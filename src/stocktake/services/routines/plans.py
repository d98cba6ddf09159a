"""Delivery plans: load a version from YAML, show any version with its quality checklist,
and compare versions. Version 1 is "good enough"; each later one says who changed it and why."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from ...delivery import plans as dp
from ...delivery.errors import DeliveryError
from ...errors import N_, Invalid, NotFound, Text
from ...model.entities import DeliveryModel, Priority
from ...reports.wording import wording
from ...results.delivery import (
    ImpliedTrajectory,
    MilestoneDue,
    PlanDiff,
    PlanLoaded,
    PlanSummary,
    PlanVersionInfo,
    PlanView,
)
from ...store import delivery as store
from ...store.db import writing
from ..reading.clock import now_of
from ..reading.series_data import check_priority, iso, read_model
from .documents import french_warnings, load_document


def _parse(model: DeliveryModel, priority: str, source: str | Path | Any) -> dp.Plan:
    raw, name = load_document(source)
    try:
        return dp.parse_plan(raw, model, priority)
    except DeliveryError as exc:
        raise DeliveryError(exc.problems, source=name) from None


def load_plan(engine: Engine, priority: str, source: str | Path | Any, *, author: str,
              reason: str, at: datetime | None = None,
              require_languages: tuple[str, ...] = ("en",)) -> PlanLoaded:
    """Store the plan in ``source`` (a YAML file, or a parsed document) as the priority's
    next version, unless it equals the current one. Nothing is stored on any problem.

    An intervention or milestone without its French name, or a risk without its French
    description, is a problem with "fr" in ``require_languages``, else a warning once the
    plan holds any French (documents.french_warnings)."""
    if not author.strip():
        raise Invalid(Text(N_("a plan version needs an author (--author)")))
    model = read_model(engine)
    check_priority(model, priority)
    plan = _parse(model, priority, source)
    warnings = french_warnings(dp.missing_french(plan), holds_french=dp.has_french(plan),
                               kind=N_("plan item"), source=source,
                               name=str(source) if isinstance(source, Path) else None,
                               require_languages=require_languages)
    with writing(engine) as conn:  # the time taken once it is this writer's turn
        moment = now_of(engine) if at is None else at
        known = store.versions(conn, "plan", priority)
        previous = dp.parse_plan(known[-1]["document"], model, priority) if known else None
        if previous is not None and previous.to_dict() == plan.to_dict():
            return PlanLoaded(priority=priority, version=known[-1]["version"], changed=False,
                              changes=(), warnings=warnings)
        if previous is not None and not reason.strip():
            raise Invalid(Text(N_("a new plan version needs a reason (--reason), for example "
                                  "the stocktake decision that changed it")))
        version = store.add_version(conn, "plan", priority, plan.to_dict(), author=author,
                                    reason=reason.strip() or "first version", at=moment)
    changes = dp.diff_lines(dp.plan_diff(previous, plan)) if previous is not None else []
    return PlanLoaded(priority=priority, version=version, changed=True, changes=tuple(changes),
                      warnings=warnings)


def _version_row(rows: list[dict[str, Any]], priority: str, version: int | None,
                 as_of: datetime | None) -> dict[str, Any]:
    if not rows:
        when = Text(N_(" as of %(moment)s"), moment=iso(as_of)) if as_of else ""
        raise NotFound(Text(N_("priority '%(priority)s' has no delivery plan%(when)s; load one "
                               "with `stocktake plan load %(priority)s FILE`"),
                            priority=priority, when=when))
    if version is None:
        return rows[-1]
    for r in rows:
        if r["version"] == version:
            return r
    raise NotFound(Text(N_("priority '%(priority)s' has no plan version %(version)s (versions "
                           "%(first)s..%(last)s)"), priority=priority, version=str(version),
                        first=str(rows[0]["version"]), last=str(rows[-1]["version"])))


def plan_summary(model: DeliveryModel, p: Priority, plan: dp.Plan,
                 today: datetime, *, lang: str = "en") -> PlanSummary:
    """The checklist (its details in ``lang``), the trajectory the interventions imply,
    and milestones due or late."""
    day = today.date()
    implied = dp.implied_trajectory(plan, p)
    checklist = tuple(dp.plan_checklist(plan, p, today=day, wording=wording(lang)))
    return PlanSummary(
        checklist=checklist,
        overdue_milestones=tuple(_milestone(m, day) for m in dp.overdue_milestones(plan, day)),
        due_milestones=tuple(_milestone(m, day) for m in dp.due_milestones(plan, day)),
        # Every milestone's status as read today (overdue when past due and not closed).
        milestone_status={m.code: dp.milestone_status(m, day) for m in plan.milestones},
        implied_trajectory=None if implied is None else ImpliedTrajectory(
            method=implied.method, end_period=implied.target_period.code,
            end_value=implied.end_value, target=p.target.value, shortfall=implied.shortfall,
            unit_of_measure=model.indicators[p.headline].unit_in(lang)),
        gaps=sum(1 for c in checklist if not c["ok"]),
    )


def _milestone(m: dp.Milestone, day: Any) -> MilestoneDue:
    return MilestoneDue(code=m.code, name=m.name, owner=m.owner, due=m.due.isoformat(),
                        status=dp.milestone_status(m, day), stated_status=m.status,
                        days_overdue=max(0, (day - m.due).days))


def _version_info(row: dict[str, Any]) -> PlanVersionInfo:
    return PlanVersionInfo(version=row["version"], author=row["author"], reason=row["reason"],
                           recorded_at=iso(row["recorded_at"]))


def show_plan(engine: Engine, priority: str, *, version: int | None = None,
              as_of: datetime | None = None, lang: str = "en") -> PlanView:
    """A plan version (default: the current one at ``as_of``), its history and checklist
    (the checks' details in ``lang``: the web's French page passes fr)."""
    model = read_model(engine)
    p = check_priority(model, priority)
    with engine.connect() as conn:
        rows = store.versions(conn, "plan", priority, as_of)
    row = _version_row(rows, priority, version, as_of)
    plan = dp.parse_plan(row["document"], model, priority)
    summary = plan_summary(model, p, plan, now_of(engine, as_of), lang=lang)
    return PlanView(
        priority=priority, title=p.title, version=row["version"], author=row["author"],
        reason=row["reason"], recorded_at=iso(row["recorded_at"]), as_of=iso(as_of),
        plan=plan.to_dict(), checklist=summary.checklist,
        overdue_milestones=summary.overdue_milestones, due_milestones=summary.due_milestones,
        milestone_status=summary.milestone_status,
        implied_trajectory=summary.implied_trajectory, gaps=summary.gaps,
        history=tuple(_version_info(r) for r in rows))


def diff_plan(engine: Engine, priority: str, old: int, new: int, *,
              lang: str = "en") -> PlanDiff:
    """What changed between two versions, item by item and field by field (the lines in
    ``lang``)."""
    model = read_model(engine)
    check_priority(model, priority)
    with engine.connect() as conn:
        rows = store.versions(conn, "plan", priority)
    a, b = (_version_row(rows, priority, v, None) for v in (old, new))
    diff = dp.plan_diff(dp.parse_plan(a["document"], model, priority),
                        dp.parse_plan(b["document"], model, priority))
    return PlanDiff(priority=priority, from_version=old, to=new, diff=diff,
                    lines=tuple(dp.diff_lines(diff, wording(lang))),
                    reasons=tuple(_version_info(r) for r in rows
                                  if min(old, new) < r["version"] <= max(old, new)))
