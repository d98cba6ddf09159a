"""Across priorities: every plan's risks in one register and every plan's milestones on one
timeline (issue #17), as a pure domain module.

A risk's trend compares its score (likelihood x impact) with the same risk, by code, in the
plan's previous version: "new" when that version did not hold it (or there is none),
"up" or "down" when the score moved, "same" otherwise; a risk of the previous version that
the current one no longer holds is "closed", listed apart at its last score. The register
lists the highest score first, so the risks that most threaten delivery lead; the timeline
lists milestones by due date within each priority, an open milestone past its due day being
overdue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .plans import HIGH_RISK_SCORE, Plan, Risk, milestone_status

TRENDS = ("new", "up", "same", "down", "closed")


@dataclass(frozen=True)
class RegisterRisk:
    """One plan's risk in the register, with its trend since the previous version."""

    priority: str
    code: str
    description: str
    likelihood: int
    impact: int
    score: int
    high: bool  # score at or above HIGH_RISK_SCORE
    owner: str | None
    mitigation: str | None
    trend: str  # one of TRENDS
    previous_score: int | None  # in the previous plan version, if it held the risk


@dataclass(frozen=True)
class TimelineMilestone:
    """One plan's milestone on the timeline, read on ``today``."""

    priority: str
    code: str
    name: str
    owner: str | None
    due: date
    status: str  # as read today: "overdue" when past due and not done or dropped
    completed_on: date | None
    days_overdue: int  # 0 unless overdue


def risk_trend(score: int, previous: int | None) -> str:
    """"new", "up", "down" or "same": a score against the same risk's previous score."""
    if previous is None:
        return "new"
    return "up" if score > previous else "down" if score < previous else "same"


def _described(risk: Risk, lang: str) -> str:
    """A risk's description in ``lang`` (en or fr), the English one when no French is given."""
    return (risk.description_fr if lang == "fr" else None) or risk.description


def plan_risks(priority: str, plan: Plan, previous: Plan | None, *,
               lang: str = "en") -> list[RegisterRisk]:
    """A plan's risks for the register, each with its trend since ``previous`` and
    described in ``lang``."""
    before = {r.code: r.score for r in previous.risks} if previous else {}
    return [RegisterRisk(priority=priority, code=r.code, description=_described(r, lang),
                         likelihood=r.likelihood, impact=r.impact, score=r.score,
                         high=r.score >= HIGH_RISK_SCORE, owner=r.owner,
                         mitigation=r.mitigation,
                         trend=risk_trend(r.score, before.get(r.code)),
                         previous_score=before.get(r.code))
            for r in plan.risks]


def closed_risks(priority: str, plan: Plan, previous: Plan | None, *,
                 lang: str = "en") -> list[RegisterRisk]:
    """The risks of ``previous`` that ``plan`` no longer holds, "closed", each as
    ``previous`` last scored it (its score and previous score both that one), described in
    ``lang``."""
    held = {r.code for r in plan.risks}
    return [RegisterRisk(priority=priority, code=r.code, description=_described(r, lang),
                         likelihood=r.likelihood, impact=r.impact, score=r.score,
                         high=r.score >= HIGH_RISK_SCORE, owner=r.owner,
                         mitigation=r.mitigation, trend="closed", previous_score=r.score)
            for r in (previous.risks if previous else ()) if r.code not in held]


def register_order(risks: list[RegisterRisk], order: list[str]) -> list[RegisterRisk]:
    """The register's order: the highest score first, then the likelier, then the
    priorities in ``order`` (the model's) and each plan's own order."""
    place = {code: i for i, code in enumerate(order)}
    return sorted(risks, key=lambda r: (-r.score, -r.likelihood, place.get(r.priority, 0)))


def plan_milestones(priority: str, plan: Plan, today: date, *,
                    lang: str = "en") -> list[TimelineMilestone]:
    """A plan's milestones on the timeline, read on ``today``, by due date, named in
    ``lang`` (the English name when no French is given)."""
    out = []
    for m in sorted(plan.milestones, key=lambda m: m.due):
        status = milestone_status(m, today)
        out.append(TimelineMilestone(
            priority=priority, code=m.code, name=(m.name_fr if lang == "fr" else None) or m.name,
            owner=m.owner, due=m.due,
            status=status, completed_on=m.completed_on,
            days_overdue=(today - m.due).days if status == "overdue" else 0))
    return out


__all__ = ["TRENDS", "RegisterRisk", "TimelineMilestone", "closed_risks", "plan_milestones",
           "plan_risks", "register_order", "risk_trend"]
