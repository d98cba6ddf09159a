"""The answers of the delivery routines' services: plans (services/routines/plans.py), and the write
answers that say what was stored. Field order is the key order of ``--json`` and the API.

A plan's own content (interventions, milestones, risks, as ``delivery.plans.Plan.to_dict``
gives it) stays the document it was loaded from: a mapping, read by key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import Problem
from .base import Result, json_name, omit_if_none


@dataclass(frozen=True)
class PlanLoaded(Result):
    """What loading a plan did: the version stored (or the current one, when unchanged)."""

    priority: str
    version: int
    changed: bool
    changes: tuple[str, ...]  # what changed from the previous version, line by line
    # Items lacking a French translation, once the plan holds any French (issue #18).
    warnings: tuple[Problem, ...] | None = omit_if_none()


@dataclass(frozen=True)
class MilestoneDue(Result):
    """A milestone due soon or late, as read on a day."""

    code: str
    name: str
    owner: str | None
    due: str
    status: str  # as read that day: overdue when past due and not closed
    stated_status: str  # as the plan states it
    days_overdue: int


@dataclass(frozen=True)
class ImpliedTrajectory(Result):
    """Where the plan's interventions, added up, take the headline by the target period."""

    method: str
    end_period: str
    end_value: float
    target: float
    shortfall: float  # how far short of the target the interventions fall
    unit_of_measure: str


@dataclass(frozen=True)
class PlanSummary(Result):
    """A plan read on a day: its quality checklist, milestones late or due, and the
    trajectory its interventions imply."""

    checklist: tuple[Mapping[str, Any], ...]  # each: check, ok, detail
    overdue_milestones: tuple[MilestoneDue, ...]
    due_milestones: tuple[MilestoneDue, ...]
    milestone_status: Mapping[str, str]  # every milestone's code -> status that day
    implied_trajectory: ImpliedTrajectory | None
    gaps: int  # checks not passed


@dataclass(frozen=True)
class PlanVersionInfo(Result):
    """One version in a plan's history: who recorded it, when, and why."""

    version: int
    author: str
    reason: str
    recorded_at: str | None


@dataclass(frozen=True)
class PlanView(Result):
    """A plan version (default: the current one) with its summary and its history."""

    priority: str
    title: str
    version: int
    author: str
    reason: str
    recorded_at: str | None
    as_of: str | None
    plan: Mapping[str, Any]  # the plan document (delivery.plans.Plan.to_dict)
    checklist: tuple[Mapping[str, Any], ...]
    overdue_milestones: tuple[MilestoneDue, ...]
    due_milestones: tuple[MilestoneDue, ...]
    milestone_status: Mapping[str, str]
    implied_trajectory: ImpliedTrajectory | None
    gaps: int
    history: tuple[PlanVersionInfo, ...]


@dataclass(frozen=True)
class PlanDiff(Result):
    """What changed between two plan versions, and the reasons given in between."""

    priority: str
    from_version: int = json_name("from")
    to: int
    diff: Mapping[str, Any]  # item by item, field by field
    lines: tuple[str, ...]  # the same, as sentences
    reasons: tuple[PlanVersionInfo, ...]


@dataclass(frozen=True)
class ChainLoaded(Result):
    """What loading a delivery chain did: the version stored (or the current one)."""

    priority: str
    version: int
    changed: bool
    # Actors or links lacking a French translation, once the chain holds any (issue #18).
    warnings: tuple[Problem, ...] | None = omit_if_none()


@dataclass(frozen=True)
class ChainReading(Result):
    """A delivery chain version with where it is weak (delivery.chains.analyse_chain)."""

    priority: str
    version: int
    author: str
    reason: str
    recorded_at: str | None
    chain: Mapping[str, Any]  # the chain document (delivery.chains.Chain.to_dict)
    analysis: Mapping[str, Any]  # weak links, poor-quality actors, single points, counts
    summary: tuple[str, ...]  # the analysis in sentences
    poor_quality_below: float  # the data-quality score under which an actor is flagged
    quality_as_of: str
    as_of: str | None


@dataclass(frozen=True)
class AssessmentRecorded(Result):
    """What recording an assessment did: the round, its likelihood and the change since
    the round before."""

    priority: str
    round: str
    likelihood: str
    change: Mapping[str, Any]  # delivery.assessments.change: sentence, criteria, since


@dataclass(frozen=True)
class AssessmentRound(Result):
    """One round's likelihood-of-delivery assessment, with its change since the last."""

    round: str
    assessed_on: str
    likelihood: str
    recorded_by: str
    recorded_at: str | None
    assessment: Mapping[str, Any]  # the assessment document, criterion by criterion
    change: Mapping[str, Any] | None  # since the round before (delivery.assessments.change)


@dataclass(frozen=True)
class AssessmentsView(Result):
    """Every round of a priority, and the latest beside the statistics, with a flag
    wherever judgement and statistics disagree."""

    priority: str
    as_of: str | None
    today: str
    evidence: Mapping[str, Any]  # the statistics (services.assessments.evidence)
    latest: AssessmentRound | None
    flags: tuple[Mapping[str, Any], ...]  # each disagreement, with its message
    rounds: tuple[AssessmentRound, ...]  # oldest first


@dataclass(frozen=True)
class ScheduleSet(Result):
    """A priority's stocktake schedule as set, and the next stocktake it gives."""

    priority: str
    cadence: Mapping[str, Any]  # every, unit, start
    next: str


@dataclass(frozen=True)
class StocktakeRecorded(Result):
    """A stocktake as recorded: its id, the actions it raised (their ids), how many
    decisions it took."""

    priority: str
    stocktake: int
    held_on: str
    actions: tuple[int, ...]
    decisions: int


@dataclass(frozen=True)
class ActionUpdated(Result):
    """An action's progress as recorded: its status before and after."""

    action: int
    priority: str
    from_status: str = json_name("from")
    status: str
    on: str


@dataclass(frozen=True)
class ActionUpdate(Result):
    """One update in an action's history."""

    status: str
    note: str
    on: str
    by: str


@dataclass(frozen=True)
class ActionRow(Result):
    """An action raised at a stocktake or by a priority review (``review``: its number),
    with its status and days overdue on a day."""

    id: int
    priority: str
    code: str
    text: str
    owner: str
    due: str
    raised_on: str
    status: str
    status_on: str | None  # the day of the newest status
    days_overdue: int
    updates: tuple[ActionUpdate, ...]
    review: int | None = None  # the priority review that recommended it; None: a stocktake


@dataclass(frozen=True)
class ActionList(Result):
    """Every action (or the open ones) known at a moment, and the follow-up counts."""

    as_of: str | None
    today: str
    actions: tuple[ActionRow, ...]
    summary: Mapping[str, Any]  # total, open, in_progress, overdue, done, dropped, ...


@dataclass(frozen=True)
class CarriedAction(Result):
    """An open action from an earlier stocktake, for the next one to follow up."""

    raised_on: str
    code: str
    text: str
    owner: str
    due: str
    status: str
    days_overdue: int  # at the day of the overview
    id: int | None  # the recorded action (None when the record cannot be matched)


@dataclass(frozen=True)
class StocktakeOverview(Result):
    """A priority's routine: the schedule and the next date, past stocktakes with their
    decisions and actions, and the actions to follow up at the next one."""

    priority: str
    as_of: str | None
    today: str
    cadence: Mapping[str, Any] | None
    next: str | None
    kept: Mapping[str, Any] | None  # whether the schedule was kept
    stocktakes: tuple[Mapping[str, Any], ...]  # each the recorded document, with its actions
    carried_over: tuple[CarriedAction, ...]  # open actions from earlier stocktakes
    five_questions: tuple[str, ...]
