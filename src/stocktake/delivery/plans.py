"""Delivery plans: how a priority will be delivered, as a pure domain module.

A plan belongs to one priority and says how its headline will move from baseline to target
(deliverology idea 5): the interventions and the effect each is expected to have, the
milestones that show they are happening, the risks and the assumptions. Plans start "good
enough" and are refined at each review, so the store keeps every version; this module reads
one version (as parsed from YAML, or the stored JSON form), judges its quality against the
checklist, builds the trajectory its interventions imply (idea 3: bottom-up) and compares
two versions.

Nothing here touches files, the store or services: the caller parses YAML and passes the
object in. Every problem in a document is reported at once, each prefixed by its field path
(``interventions[1].start: ...``), in one ``DeliveryError``. A missing owner, effect or
mitigation is not an error: it is a gap the checklist shows, since a workable plan published
now beats a perfect one later.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from numbers import Integral, Real
from typing import Any

from stocktake.analysis.trajectory import Trajectory, TrajectoryError, trajectory_from_spec
from stocktake.delivery.errors import DeliveryError
from stocktake.delivery.errors import problem_at as _at
from stocktake.delivery.wording import DOMAIN, ENGLISH, N_, Language
from stocktake.errors import StocktakeError, TextProblem, did_you_mean
from stocktake.model.entities import DeliveryModel, Priority
from stocktake.model.periods import Period, PeriodError, PeriodType
from stocktake.text import Text

MILESTONE_STATUSES: tuple[str, ...] = (
    "not_started",
    "on_track",
    "at_risk",
    "late",
    "done",
    "dropped",
)
# Milestones in these states can no longer be overdue or coming due.
CLOSED_STATUSES: tuple[str, ...] = ("done", "dropped")
# Risks scored likelihood x impact (each 1..5) at or above this are "high".
HIGH_RISK_SCORE = 15

# The checklist, in the order plan_checklist returns it.
CHECK_INTERVENTION_OWNERS = N_("Every intervention has an owner")
CHECK_INTERVENTION_MILESTONES = N_("Every intervention has a milestone")
CHECK_INTERVENTION_EFFECTS = N_("Every intervention has an expected effect")
CHECK_BOTTOM_UP = N_("The trajectory is built bottom-up from the interventions")
CHECK_ADDS_UP = N_("The interventions add up to the target")
CHECK_MILESTONE_OWNERS = N_("Every milestone has an owner")
CHECK_NONE_OVERDUE = N_("No milestone is overdue")
CHECK_RISKS_NAMED = N_("At least one risk is recorded")
CHECK_RISKS_OWNED = N_("Every risk has an owner and a mitigation")
CHECK_HIGH_RISKS = N_("High risks have a mitigation")
CHECK_ASSUMPTIONS = N_("At least one assumption is stated")
CHECKS: tuple[str, ...] = (
    CHECK_INTERVENTION_OWNERS,
    CHECK_INTERVENTION_MILESTONES,
    CHECK_INTERVENTION_EFFECTS,
    CHECK_BOTTOM_UP,
    CHECK_ADDS_UP,
    CHECK_MILESTONE_OWNERS,
    CHECK_NONE_OVERDUE,
    CHECK_RISKS_NAMED,
    CHECK_RISKS_OWNED,
    CHECK_HIGH_RISKS,
    CHECK_ASSUMPTIONS,
)

_PLAN_KEYS = ("summary", "drift", "interventions", "milestones", "risks", "assumptions")
_INTERVENTION_KEYS = ("code", "name", "owner", "start", "ramp", "effect", "units", "name_fr")
_MILESTONE_KEYS = ("code", "name", "owner", "due", "status", "intervention", "completed_on",
                   "name_fr")
_RISK_KEYS = ("code", "description", "likelihood", "impact", "owner", "mitigation",
              "description_fr")
# The French beside the English (issue #18): section -> (English key, French key). Each is
# kept in the plan's version, like the English, and left out of it where none is given.
FRENCH = {"interventions": ("name", "name_fr"), "milestones": ("name", "name_fr"),
          "risks": ("description", "description_fr")}
_ASSUMPTION_KEYS = ("text", "evidence")
_CODE = re.compile(r"[a-z0-9_]+")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# The trajectory module names the no-action path "counterfactual" among its components.
_RESERVED_CODES = ("counterfactual",)
_WHAT_A_PLAN_NEEDS = Text.in_catalogue(DOMAIN, N_(
    "a plan needs at least one intervention {code, name, start} and may add summary, drift, "
    "milestones, risks and assumptions"))


def _words(exc: StocktakeError) -> str:
    """An error's words as a value of another message: its one problem's message (a Text
    where it is one), or its whole text."""
    [first, *more] = exc.problems
    return first.message if not more and not first.where and not exc.source else str(exc)


# ---------------------------------------------------------------------------------------
# The document
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanIntervention:
    """An action expected to move the headline by ``effect`` (signed, headline units).

    Its effect builds up linearly over ``ramp`` periods after ``start`` (as in
    ``stocktake.analysis.trajectory.Intervention``). ``units`` lists the reporting units it
    applies in; empty means everywhere in the priority's scope.
    """

    code: str
    name: str
    owner: str | None
    start: str  # a period code of the headline's period type
    ramp: int = 0
    effect: float | None = None
    units: tuple[str, ...] = ()
    name_fr: str | None = None


@dataclass(frozen=True)
class Milestone:
    code: str
    name: str
    owner: str | None
    due: date
    status: str = "not_started"
    intervention: str | None = None
    completed_on: date | None = None
    name_fr: str | None = None


@dataclass(frozen=True)
class Risk:
    code: str
    description: str
    likelihood: int  # 1 (rare) .. 5 (almost certain)
    impact: int  # 1 (minor) .. 5 (severe)
    owner: str | None = None
    mitigation: str | None = None
    description_fr: str | None = None

    @property
    def score(self) -> int:
        return self.likelihood * self.impact


@dataclass(frozen=True)
class Plan:
    """One version of a priority's delivery plan."""

    summary: str | None = None
    drift: float = 0.0  # counterfactual change of the headline per period without action
    interventions: tuple[PlanIntervention, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    risks: tuple[Risk, ...] = ()
    assumptions: tuple[dict[str, str | None], ...] = ()  # each {"text", "evidence"}

    def to_dict(self) -> dict[str, Any]:
        """The JSON-safe stored form (dates as ISO strings); parse_plan reads it back."""
        return {
            "summary": self.summary,
            "drift": self.drift,
            "interventions": [_stored(i) for i in self.interventions],
            "milestones": [_stored(m) for m in self.milestones],
            "risks": [_stored(r) for r in self.risks],
            "assumptions": [
                {"text": a["text"], "evidence": a.get("evidence")} for a in self.assumptions
            ],
        }


def _item_dict(item: PlanIntervention | Milestone | Risk) -> dict[str, Any]:
    return {f.name: _json_value(getattr(item, f.name)) for f in fields(item)}


def _stored(item: PlanIntervention | Milestone | Risk) -> dict[str, Any]:
    """An item's stored form: a French field only where one is given, so a plan without
    French is stored (and shown) as before."""
    return {k: v for k, v in _item_dict(item).items() if not (k.endswith("_fr") and v is None)}


def missing_french(plan: Plan) -> list[tuple[str, str, str]]:
    """(item path, its code, French key) of every item lacking the French of its name or
    description, e.g. ``("milestones[2]", "permits_1", "name_fr")``, in document order."""
    return [(f"{section}[{n}]", item.code, fr)
            for section, (en, fr) in FRENCH.items()
            for n, item in enumerate(getattr(plan, section))
            if getattr(item, en) and not getattr(item, fr)]


def has_french(plan: Plan) -> bool:
    """Does any item of the plan carry a French field?"""
    return any(getattr(item, fr) for section, (_, fr) in FRENCH.items()
               for item in getattr(plan, section))


def _json_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


# ---------------------------------------------------------------------------------------
# Reading a document
# ---------------------------------------------------------------------------------------


def parse_plan(raw: Any, model: DeliveryModel, priority: str) -> Plan:
    """Validate a plan document for ``priority`` (a code in ``model``) and build the Plan.

    ``raw`` is the document as parsed from YAML or JSON. Every problem is reported at once
    in one DeliveryError, each prefixed by its field path.
    """
    prio = model.priorities.get(priority) if isinstance(priority, str) else None
    if prio is None:
        raise DeliveryError(_at("priority", N_("%(value)s is not a priority in the model%(hint)s"),
                                value=repr(priority),
                                hint=did_you_mean(str(priority), list(model.priorities))))
    if raw is None or (isinstance(raw, Mapping) and not raw):
        raise DeliveryError(_at("plan", N_("empty; %(needs)s"), needs=_WHAT_A_PLAN_NEEDS))
    if not isinstance(raw, Mapping):
        raise DeliveryError(_at("plan", N_("must be a mapping, got %(type)s; %(needs)s"),
                                type=type(raw).__name__, needs=_WHAT_A_PLAN_NEEDS))
    r = _Reader(model, prio)
    r.unknown_keys(raw, _PLAN_KEYS, "")
    summary = r.text(raw.get("summary"), "summary", required=False)
    drift = r.number(raw["drift"], "drift") if raw.get("drift") is not None else 0.0
    interventions = tuple(
        r.items(raw.get("interventions"), "interventions", r.intervention, required=True)
    )
    known = {i.code for i in interventions}
    # Codes of interventions that failed to parse still count as known, so a milestone
    # pointing at one is not also reported as a broken reference.
    known |= r.codes_seen.get("interventions", set())
    milestones = tuple(
        r.items(raw.get("milestones"), "milestones", lambda m, p: r.milestone(m, p, known))
    )
    risks = tuple(r.items(raw.get("risks"), "risks", r.risk))
    assumptions = tuple(r.items(raw.get("assumptions"), "assumptions", r.assumption,
                                coded=False))
    if r.problems:
        raise DeliveryError(r.problems)
    return Plan(
        summary=summary,
        drift=drift or 0.0,  # None only when reported above
        interventions=interventions,  # type: ignore[arg-type]
        milestones=milestones,  # type: ignore[arg-type]
        risks=risks,  # type: ignore[arg-type]
        assumptions=assumptions,  # type: ignore[arg-type]
    )


class _Reader:
    """Checks one document, collecting every problem with its path."""

    def __init__(self, model: DeliveryModel, priority: Priority):
        self.model = model
        self.priority = priority
        self.problems: list[str] = []
        self.codes_seen: dict[str, set[str]] = {}
        self.ptype: PeriodType | None = None
        self.first: Period | None = None
        self.last: Period | None = None
        try:
            self.first = Period.parse(priority.baseline.period)
            self.last = Period.parse(priority.target.period, self.first.type)
            self.ptype = self.first.type
        except PeriodError as exc:
            self.problems.append(f"priority {priority.code}: {exc}")
        # Units an intervention may name: the priority's scope and every unit below it.
        scope = priority.scope
        if scope in model.units:
            self.in_scope = {scope} | {u.code for u in model.descendants(scope)}
        else:
            self.in_scope = set(model.units)

    def fail(self, path: str, message: str, **values: Any) -> None:
        """Note a problem at ``path`` (``message`` marked N_, in the domain's catalogue)."""
        self.problems.append(_at(path, message, **values))

    # -- lists -------------------------------------------------------------------------
    def items(
        self,
        raw: Any,
        path: str,
        read: Callable[[Any, str], Any],
        required: bool = False,
        coded: bool = True,
    ) -> list[Any]:
        if raw is None:
            if required:
                self.fail(path, N_("required, %(needs)s"), needs=_WHAT_A_PLAN_NEEDS)
            return []
        if not isinstance(raw, Sequence) or isinstance(raw, str):
            self.fail(path, N_("must be a list, got %(type)s"), type=type(raw).__name__)
            return []
        if required and not raw:
            self.fail(path, N_("empty; %(needs)s"), needs=_WHAT_A_PLAN_NEEDS)
            return []
        out = []
        first_use: dict[str, int] = {}
        for i, item in enumerate(raw):
            where = f"{path}[{i}]"
            before = len(self.problems)
            parsed = read(item, where)
            code = self._raw_code(item) if coded else None
            if code is not None:
                self.codes_seen.setdefault(path, set()).add(code)
                if code in first_use:
                    self.fail(f"{where}.code", N_("'%(code)s' is already used by %(other)s"),
                              code=code, other=f"{path}[{first_use[code]}]")
                else:
                    first_use[code] = i
            if parsed is not None and len(self.problems) == before:
                out.append(parsed)
        return out

    @staticmethod
    def _raw_code(item: Any) -> str | None:
        # Tracked even when the rest of the item is broken, so duplicates are still found.
        code = item.get("code") if isinstance(item, Mapping) else None
        return code if isinstance(code, str) and _CODE.fullmatch(code) else None

    def mapping(self, item: Any, path: str, keys: Sequence[str]) -> bool:
        if not isinstance(item, Mapping):
            self.fail(path, N_("must be a mapping {%(keys)s}, got %(value)s"),
                      keys=", ".join(keys), value=repr(item))
            return False
        self.unknown_keys(item, keys, path + ".")
        return True

    def unknown_keys(self, item: Mapping[Any, Any], allowed: Sequence[str], prefix: str) -> None:
        for key in item:
            if key not in allowed:
                self.fail(f"{prefix}{key}", N_("unknown key%(hint)s"),
                          hint=did_you_mean(str(key), allowed))

    # -- the four kinds of item --------------------------------------------------------
    def intervention(self, item: Any, path: str) -> PlanIntervention | None:
        if not self.mapping(item, path, _INTERVENTION_KEYS):
            return None
        code = self.code(item.get("code"), f"{path}.code")
        name = self.text(item.get("name"), f"{path}.name", required=True)
        owner = self.text(item.get("owner"), f"{path}.owner", required=False)
        start = self.period(item.get("start"), f"{path}.start")
        ramp = 0
        if item.get("ramp") is not None:
            ramp = self.whole(item["ramp"], f"{path}.ramp", 0, None, N_("periods"))
        effect = None
        if item.get("effect") is not None:
            effect = self.number(item["effect"], f"{path}.effect")
        units = self.unit_codes(item.get("units"), f"{path}.units")
        name_fr = self.text(item.get("name_fr"), f"{path}.name_fr", required=False)
        if None in (code, name, start, ramp) or (
            item.get("effect") is not None and effect is None
        ):
            return None
        return PlanIntervention(code, name, owner, start, ramp, effect, units, name_fr)  # type: ignore[arg-type]

    def milestone(self, item: Any, path: str, interventions: set[str]) -> Milestone | None:
        if not self.mapping(item, path, _MILESTONE_KEYS):
            return None
        code = self.code(item.get("code"), f"{path}.code")
        name = self.text(item.get("name"), f"{path}.name", required=True)
        owner = self.text(item.get("owner"), f"{path}.owner", required=False)
        due = self.date(item.get("due"), f"{path}.due", required=True)
        status = item.get("status")
        if status is None:
            status = "not_started"
        elif not isinstance(status, str) or status not in MILESTONE_STATUSES:
            self.fail(f"{path}.status", N_("%(value)s is not one of %(choices)s%(hint)s"),
                      value=repr(status), choices=", ".join(MILESTONE_STATUSES),
                      hint=did_you_mean(str(status), MILESTONE_STATUSES))
            status = None
        intervention = None
        if item.get("intervention") is not None:
            ref = item["intervention"]
            if not isinstance(ref, str):
                self.fail(f"{path}.intervention",
                          N_("must be an intervention code, got %(value)s"), value=repr(ref))
            elif ref not in interventions:
                self.fail(f"{path}.intervention",
                          N_("'%(code)s' is not an intervention in this plan%(hint)s"),
                          code=ref, hint=did_you_mean(ref, sorted(interventions)))
            else:
                intervention = ref
        completed_on = self.date(item.get("completed_on"), f"{path}.completed_on", required=False)
        if completed_on is not None and status is not None and status != "done":
            self.fail(f"{path}.completed_on", N_(
                "only a milestone with status done has a completion date, but the status is "
                "%(status)s"), status=status)
        name_fr = self.text(item.get("name_fr"), f"{path}.name_fr", required=False)
        if None in (code, name, due, status):
            return None
        return Milestone(code, name, owner, due, status, intervention, completed_on, name_fr)  # type: ignore[arg-type]

    def risk(self, item: Any, path: str) -> Risk | None:
        if not self.mapping(item, path, _RISK_KEYS):
            return None
        code = self.code(item.get("code"), f"{path}.code")
        description = self.text(item.get("description"), f"{path}.description", required=True)
        scores = []
        for key in ("likelihood", "impact"):
            if item.get(key) is None:
                self.fail(f"{path}.{key}", N_("required, a whole number from 1 to 5"))
                scores.append(None)
            else:
                scores.append(self.whole(item[key], f"{path}.{key}", 1, 5, N_("from 1 to 5")))
        owner = self.text(item.get("owner"), f"{path}.owner", required=False)
        mitigation = self.text(item.get("mitigation"), f"{path}.mitigation", required=False)
        description_fr = self.text(item.get("description_fr"), f"{path}.description_fr",
                                   required=False)
        if None in (code, description, *scores):
            return None
        return Risk(code, description, scores[0], scores[1], owner, mitigation,  # type: ignore[arg-type]
                    description_fr)

    def assumption(self, item: Any, path: str) -> dict[str, str | None] | None:
        if isinstance(item, str):
            text = self.text(item, path, required=True)
            return {"text": text, "evidence": None} if text is not None else None
        if not isinstance(item, Mapping):
            self.fail(path, N_("must be text or a mapping {text, evidence}, got %(value)s"),
                      value=repr(item))
            return None
        self.unknown_keys(item, _ASSUMPTION_KEYS, path + ".")
        text = self.text(item.get("text"), f"{path}.text", required=True)
        evidence = self.text(item.get("evidence"), f"{path}.evidence", required=False)
        return {"text": text, "evidence": evidence} if text is not None else None

    # -- values ------------------------------------------------------------------------
    def code(self, value: Any, path: str) -> str | None:
        if value is None:
            self.fail(path, N_("required, lower-case letters, digits and _"))
            return None
        if not isinstance(value, str) or not _CODE.fullmatch(value):
            self.fail(path, N_("%(value)s must be lower-case letters, digits and _ (e.g. "
                               "tutoring)"), value=repr(value))
            return None
        if value in _RESERVED_CODES:
            self.fail(path, N_("'%(value)s' is reserved; choose another code"), value=value)
            return None
        return value

    def text(self, value: Any, path: str, *, required: bool) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(path, N_("required"))
            return None
        if not isinstance(value, str):
            self.fail(path, N_("must be text, got %(value)s"), value=repr(value))
            return None
        return value.strip()

    def number(self, value: Any, path: str) -> float | None:
        if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
            self.fail(path, N_("must be a finite number, got %(value)s"), value=repr(value))
            return None
        return float(value)

    def whole(
        self, value: Any, path: str, low: int, high: int | None, what: str
    ) -> int | None:
        ok = isinstance(value, Integral) and not isinstance(value, bool)
        if ok and (value < low or (high is not None and value > high)):
            ok = False
        if not ok:
            said = Text.in_catalogue(DOMAIN, what)
            rule = said if high is not None else Text.in_catalogue(
                DOMAIN, N_("of %(what)s >= %(low)s"), what=said, low=low)
            self.fail(path, N_("must be a whole number %(rule)s, got %(value)s"), rule=rule,
                      value=repr(value))
            return None
        return int(value)

    def period(self, value: Any, path: str) -> str | None:
        if value is None:
            self.fail(path, N_("required, a period such as 2024-09"))
            return None
        # YAML reads 2025 as an int and 2025-03-15 as a date: take their text.
        if isinstance(value, bool) or not isinstance(value, str | int | date):
            self.fail(path, N_("must be a period code such as 2024-09, got %(value)s"),
                      value=repr(value))
            return None
        if self.ptype is None or self.first is None or self.last is None:
            return None  # the priority's own periods are broken (reported once)
        text = value.isoformat() if isinstance(value, date) else str(value)
        try:
            p = Period.parse(text, self.ptype)
        except PeriodError as exc:
            self.problems.append(TextProblem.at(path, _words(exc)))
            return None
        if not self.first <= p <= self.last:
            self.fail(path, N_("%(period)s is outside the priority's baseline %(first)s .. "
                               "target %(last)s"), period=str(p), first=str(self.first),
                      last=str(self.last))
            return None
        return p.code

    def date(self, value: Any, path: str, *, required: bool) -> date | None:
        if value is None:
            if required:
                self.fail(path, N_("required, an ISO date such as 2025-03-31"))
            return None
        if isinstance(value, datetime):
            self.fail(path, N_("must be a date without a time, got %(value)s"), value=repr(value))
            return None
        if isinstance(value, date):
            return value
        if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
            try:
                return date.fromisoformat(value.strip())
            except ValueError as exc:
                self.fail(path, N_("'%(value)s' is not a calendar date (%(why)s)"), value=value,
                          why=str(exc))
                return None
        self.fail(path, N_("must be an ISO date such as 2025-03-31, got %(value)s"),
                  value=repr(value))
        return None

    def unit_codes(self, value: Any, path: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, Sequence) or isinstance(value, str):
            self.fail(path, N_("must be a list of unit codes, got %(value)s"), value=repr(value))
            return ()
        out: list[str] = []
        for i, code in enumerate(value):
            where = f"{path}[{i}]"
            if isinstance(code, bool):
                # YAML 1.1 reads ON, OFF, YES and NO (Ontario, Norway...) as booleans.
                self.fail(where, N_("got %(value)s, not a unit code; YAML reads ON, OFF, YES and "
                                    "NO as true/false, so quote such codes ('ON')"),
                          value=repr(code))
            elif not isinstance(code, str):
                self.fail(where, N_("must be a unit code, got %(value)s"), value=repr(code))
            elif code not in self.model.units:
                self.fail(where, N_("'%(code)s' is not a unit in the model%(hint)s"), code=code,
                          hint=did_you_mean(code, list(self.model.units)))
            elif code not in self.in_scope:
                self.fail(where, N_("unit '%(code)s' is outside the priority's scope "
                                    "'%(scope)s'"), code=code, scope=self.priority.scope)
            elif code in out:
                self.fail(where, N_("'%(code)s' is listed twice"), code=code)
            else:
                out.append(code)
        return tuple(out)


# ---------------------------------------------------------------------------------------
# The trajectory the plan implies
# ---------------------------------------------------------------------------------------


def implied_trajectory(plan: Plan, priority: Priority) -> Trajectory | None:
    """The headline's path if the plan works as expected: built bottom-up.

    From the priority's baseline, the plan's drift per period (the counterfactual) plus each
    intervention's effect as it ramps up, to the target period. Interventions without an
    expected effect do not count; None when no intervention has one. When the priority's
    trajectory spec has a seasonal profile, it is laid over the path as the priority's own
    trajectory would be, so the end is comparable with the stated target.
    """
    counted = [(n, i) for n, i in enumerate(plan.interventions) if i.effect is not None]
    actions = [
        {"name": i.code, "start": i.start, "ramp": i.ramp, "effect": i.effect}
        for _, i in counted
    ]
    if not actions:
        return None
    spec: dict[str, Any] = {"method": "interventions", "drift": plan.drift,
                            "interventions": actions}
    own = priority.attributes.get("trajectory")
    if isinstance(own, Mapping) and own.get("seasonal") is not None:
        spec["seasonal"] = own["seasonal"]
        if own.get("seasonal_mode") is not None:
            spec["seasonal_mode"] = own["seasonal_mode"]
    try:
        return trajectory_from_spec(
            spec,
            priority.baseline.period,
            priority.baseline.value,
            priority.target.period,
            priority.target.value,
        )
    except TrajectoryError as exc:
        # E.g. a plan parsed for another priority, whose starts fall outside this one.
        # Point at the plan's own intervention index, not the index among those counted.
        def plan_path(m: re.Match[str]) -> str:
            return f"interventions[{counted[int(m.group(1))][0]}]"

        raise DeliveryError(
            [re.sub(r"^trajectory\.interventions\[(\d+)\]", plan_path, p).removeprefix(
                "trajectory.") for p in exc.problems],
            source=f"implied trajectory of {priority.code}",
        ) from exc


# ---------------------------------------------------------------------------------------
# The plan-quality checklist and milestones by date
# ---------------------------------------------------------------------------------------


def plan_checklist(plan: Plan, priority: Priority, *, today: date,
                   wording: Language = ENGLISH) -> list[dict[str, Any]]:
    """Judge the plan's quality: one item per check in CHECKS, in that order.

    Each item is ``{"check", "ok", "detail", "items"}``, ``items`` listing the codes of the
    interventions, milestones or risks that fail the check. ``check`` is the check's
    English name (its key); ``detail`` is in the language of ``wording``.
    """
    _check_today(today)
    out: list[dict[str, Any]] = []
    w = wording
    say = w.say

    def add(check: str, failing: list[str], detail_ok: str, detail_gap: str) -> None:
        ok = not failing
        out.append({"check": check, "ok": ok, "detail": detail_ok if ok else detail_gap,
                    "items": failing})

    interventions = plan.interventions
    n = len(interventions)
    no_owner = [i.code for i in interventions if not i.owner]
    add(CHECK_INTERVENTION_OWNERS, no_owner, say("all %(num)d interventions have an owner", num=n),
        say("%(gaps)d of %(num)d interventions have no owner: %(items)s", gaps=len(no_owner),
            num=n, items=", ".join(no_owner)))

    # A dropped milestone no longer shows that its intervention is happening.
    followed = {m.intervention for m in plan.milestones if m.status != "dropped"}
    unfollowed = [i.code for i in interventions if i.code not in followed]
    add(CHECK_INTERVENTION_MILESTONES, unfollowed,
        say("all %(num)d interventions have at least one milestone", num=n),
        say("%(gaps)d of %(num)d interventions have no milestone (dropped ones do not "
            "count): %(items)s", gaps=len(unfollowed), num=n, items=", ".join(unfollowed)))

    no_effect = [i.code for i in interventions if i.effect is None]
    add(CHECK_INTERVENTION_EFFECTS, no_effect,
        say("all %(num)d interventions have an expected effect on the headline", num=n),
        say("%(gaps)d of %(num)d interventions have no expected effect, so they add nothing "
            "to the implied trajectory: %(items)s", gaps=len(no_effect), num=n,
            items=", ".join(no_effect)))

    out.append(_bottom_up_item(priority, w))
    out.append(_adds_up_item(plan, priority, w))

    milestones = plan.milestones
    no_owner = [m.code for m in milestones if not m.owner]
    add(CHECK_MILESTONE_OWNERS, no_owner,
        say("all %(num)d milestones have an owner", num=len(milestones)) if milestones
        else say("no milestones"),
        say("%(gaps)d of %(num)d milestones have no owner: %(items)s", gaps=len(no_owner),
            num=len(milestones), items=", ".join(no_owner)))

    overdue = [m.code for m in overdue_milestones(plan, today)]
    day = today.isoformat()
    add(CHECK_NONE_OVERDUE, overdue,
        say("no milestone was due before %(day)s without being done or dropped", day=day),
        w.count("%(num)d milestone was due before %(day)s and is not done or dropped: "
                "%(items)s",
                "%(num)d milestones were due before %(day)s and are not done or dropped: "
                "%(items)s", len(overdue), day=day, items=", ".join(overdue)))

    risks = plan.risks
    out.append({
        "check": CHECK_RISKS_NAMED,
        "ok": bool(risks),
        "detail": (w.count("%(num)d risk recorded", "%(num)d risks recorded", len(risks))
                   if risks else say("the plan records no risks")),
        "items": [],
    })
    unowned = [r.code for r in risks if not r.owner or not r.mitigation]
    gaps = []
    for r in risks:
        if not r.owner and not r.mitigation:
            gaps.append(say("%(code)s (no owner and no mitigation)", code=r.code))
        elif not r.owner:
            gaps.append(say("%(code)s (no owner)", code=r.code))
        elif not r.mitigation:
            gaps.append(say("%(code)s (no mitigation)", code=r.code))
    add(CHECK_RISKS_OWNED, unowned,
        say("all %(num)d risks have an owner and a mitigation", num=len(risks)) if risks
        else say("no risks"),
        say("%(gaps)d of %(num)d risks lack an owner or a mitigation: %(items)s",
            gaps=len(unowned), num=len(risks), items=", ".join(gaps)))

    high = [r for r in risks if r.score >= HIGH_RISK_SCORE]
    unmitigated = [r.code for r in high if not r.mitigation]
    add(CHECK_HIGH_RISKS, unmitigated,
        say("all %(num)d high risks (score >= %(score)d) have a mitigation", num=len(high),
            score=HIGH_RISK_SCORE)
        if high else say("no high risks (score >= %(score)d)", score=HIGH_RISK_SCORE),
        say("%(gaps)d of %(num)d high risks (score >= %(score)d) have no mitigation: "
            "%(items)s", gaps=len(unmitigated), num=len(high), score=HIGH_RISK_SCORE,
            items=", ".join(unmitigated)))

    out.append({
        "check": CHECK_ASSUMPTIONS,
        "ok": bool(plan.assumptions),
        "detail": w.count("%(num)d assumptions stated", "%(num)d assumptions stated",
                          len(plan.assumptions))
        if plan.assumptions else say("the plan states no assumptions"),
        "items": [],
    })
    return out


def _bottom_up_item(priority: Priority, w: Language) -> dict[str, Any]:
    spec = priority.attributes.get("trajectory")
    method = spec.get("method") if isinstance(spec, Mapping) else None
    ok = method == "interventions"
    if ok:
        detail = w.say("the priority's trajectory is built from interventions (method "
                       "interventions)")
    elif method is None:
        detail = w.say("the priority has no trajectory method; set trajectory method: "
                       "interventions to build it bottom-up from the plan")
    else:
        detail = w.say("the priority's trajectory uses method %(method)s, not built "
                       "bottom-up; use method: interventions with the plan's effects",
                       method=method)
    return {"check": CHECK_BOTTOM_UP, "ok": ok, "detail": detail, "items": []}


def _adds_up_item(plan: Plan, priority: Priority, w: Language) -> dict[str, Any]:
    item: dict[str, Any] = {"check": CHECK_ADDS_UP, "ok": False, "items": []}
    trajectory = implied_trajectory(plan, priority)
    if trajectory is None:
        item["detail"] = w.say("no intervention has an expected effect, so nothing adds up "
                               "to the target")
        return item
    end, target = trajectory.end_value, trajectory.target_value
    start = w.say("the interventions take the headline from %(baseline)s (%(period)s) to "
                  "%(end)s by %(target_period)s, against a target of %(target)s",
                  baseline=w.number(trajectory.baseline_value, None),
                  period=trajectory.baseline_period, end=w.number(end, None),
                  target_period=trajectory.target_period, target=w.number(target, None))
    shortfall = trajectory.shortfall
    if shortfall > 0:
        item["detail"] = w.say("%(start)s: %(shortfall)s short, in headline units",
                               start=start, shortfall=w.number(shortfall, None))
        return item
    item["ok"] = True
    beyond = abs(end - target)
    if target == trajectory.baseline_value or beyond <= 1e-9 * max(1.0, abs(target)):
        item["detail"] = w.say("%(start)s: they reach it", start=start)
    else:
        item["detail"] = w.say("%(start)s: they pass it by %(beyond)s", start=start,
                               beyond=w.number(beyond, None))
    return item


OVERDUE = "overdue"  # a reading, never declared: past its due date and not closed


def milestone_status(m: Milestone, today: date) -> str:
    """A milestone's status as read on ``today``: the one declared in the plan, except that
    a milestone past its due date and neither done nor dropped is ``overdue`` whatever the
    plan says (a milestone past due is never "on track")."""
    _check_today(today)
    return OVERDUE if m.due < today and m.status not in CLOSED_STATUSES else m.status


def overdue_milestones(plan: Plan, today: date) -> list[Milestone]:
    """Milestones due before ``today`` and neither done nor dropped, earliest first."""
    _check_today(today)
    late = [m for m in plan.milestones if m.due < today and m.status not in CLOSED_STATUSES]
    return sorted(late, key=lambda m: m.due)


def due_milestones(plan: Plan, today: date, within_days: int = 90) -> list[Milestone]:
    """Milestones neither done nor dropped, due from ``today`` to ``within_days`` later
    (both inclusive), earliest first."""
    _check_today(today)
    if isinstance(within_days, bool) or not isinstance(within_days, Integral) or within_days < 0:
        raise ValueError(f"within_days: must be a whole number of days >= 0, got {within_days!r}")
    until = today + timedelta(days=int(within_days))
    due = [m for m in plan.milestones
           if today <= m.due <= until and m.status not in CLOSED_STATUSES]
    return sorted(due, key=lambda m: m.due)


def _check_today(today: Any) -> None:
    # A datetime is a date subclass but does not compare with dates.
    if not isinstance(today, date) or isinstance(today, datetime):
        raise ValueError(f"today: must be a date (not a datetime), got {today!r}")


# ---------------------------------------------------------------------------------------
# Comparing two versions
# ---------------------------------------------------------------------------------------

_KINDS = (("interventions", "intervention", "name"), ("milestones", "milestone", "name"),
          ("risks", "risk", "description"))


def plan_diff(old: Plan, new: Plan) -> dict[str, Any]:
    """What changed from ``old`` to ``new``; items are matched by code, assumptions by text.

    Values are in the JSON-safe stored form. Beyond the sections named in the brief, each
    item section has ``names`` (code -> name, or description for risks, of every code it
    mentions) so the diff can be read alone, and ``assumptions`` has ``changed`` for
    evidence that changed under the same text.
    """
    for name, plan in (("old", old), ("new", new)):
        if not isinstance(plan, Plan):
            raise ValueError(f"{name}: must be a Plan, got {type(plan).__name__}")
    out: dict[str, Any] = {
        "summary": _change(old.summary, new.summary),
        "drift": _change(old.drift, new.drift),
    }
    for section, _, label in _KINDS:
        before = {i.code: _item_dict(i) for i in getattr(old, section)}
        after = {i.code: _item_dict(i) for i in getattr(new, section)}
        changed = []
        for code, item in after.items():
            if code in before and item != before[code]:
                changed.append({"code": code, "fields": {
                    k: {"old": before[code][k], "new": v}
                    for k, v in item.items() if v != before[code][k]
                }})
        added = [c for c in after if c not in before]
        removed = [c for c in before if c not in after]
        names = {c: (after.get(c) or before[c])[label]
                 for c in (*added, *removed, *(ch["code"] for ch in changed))}
        out[section] = {"added": added, "removed": removed, "changed": changed, "names": names}
    before_a = {a["text"]: a.get("evidence") for a in old.assumptions}
    after_a = {a["text"]: a.get("evidence") for a in new.assumptions}
    out["assumptions"] = {
        "added": [t for t in after_a if t not in before_a],
        "removed": [t for t in before_a if t not in after_a],
        "changed": [
            {"text": t, "fields": {"evidence": {"old": before_a[t], "new": e}}}
            for t, e in after_a.items() if t in before_a and before_a[t] != e
        ],
    }
    return out


def _change(old: Any, new: Any) -> dict[str, Any] | None:
    return None if old == new else {"old": old, "new": new}


# The words of a plan's change lines, marked for `pybabel extract` (a French line says
# them from the catalogue): the sections' kinds, the items' fields, a milestone's statuses.
DIFF_WORDS = (N_("summary"), N_("drift"), N_("intervention"), N_("milestone"), N_("risk"),
              N_("code"), N_("name"), N_("owner"), N_("start"), N_("ramp"), N_("effect"),
              N_("units"), N_("due"), N_("status"), N_("completed_on"), N_("description"),
              N_("likelihood"), N_("impact"), N_("mitigation"), N_("evidence"),
              N_("name_fr"), N_("description_fr"),
              N_("not_started"), N_("on_track"), N_("at_risk"), N_("late"), N_("done"),
              N_("dropped"))


def diff_lines(diff: Mapping[str, Any], wording: Language = ENGLISH) -> list[str]:
    """One readable line per change: ``+`` added, ``-`` removed, ``~`` changed field, in the
    language of ``wording`` (the signs and the `` -> `` stay, for the pages to read)."""
    w = wording
    say = w.say

    def show(value: Any, field_name: str = "") -> str:
        if value is None:
            return say("(none)")
        if field_name == "status" and isinstance(value, str):
            return say(value)
        return _show(value, w)

    def changed(what: str, field_name: str, values: Mapping[str, Any]) -> str:
        return say("~ %(what)s: %(field)s %(old)s -> %(new)s", what=what,
                   field=say(field_name), old=show(values["old"], field_name),
                   new=show(values["new"], field_name))

    lines: list[str] = []
    for key in ("summary", "drift"):
        change = diff.get(key)
        if change:
            lines.append(say("~ %(field)s: %(old)s -> %(new)s", field=say(key),
                             old=show(change["old"]), new=show(change["new"])))
    for section, kind, _ in _KINDS:
        part = diff.get(section) or {}
        names = part.get("names", {})
        for key in ("added", "removed"):
            for c in part.get(key, []):
                values = {"kind": say(kind), "code": c, "name": names.get(c)}
                if key == "added":
                    lines.append(say("+ %(kind)s %(code)s: %(name)s", **values)
                                 if names.get(c) else say("+ %(kind)s %(code)s", **values))
                else:
                    lines.append(say("- %(kind)s %(code)s: %(name)s", **values)
                                 if names.get(c) else say("- %(kind)s %(code)s", **values))
        for change in part.get("changed", []):
            for field_name, values in change["fields"].items():
                lines.append(changed(say("%(kind)s %(code)s", kind=say(kind),
                                         code=change["code"]), field_name, values))
    part = diff.get("assumptions") or {}
    lines += [say("+ assumption: %(text)s", text=t) for t in part.get("added", [])]
    lines += [say("- assumption: %(text)s", text=t) for t in part.get("removed", [])]
    for change in part.get("changed", []):
        for field_name, values in change["fields"].items():
            lines.append(changed(say("assumption %(text)r", text=change["text"]), field_name,
                                 values))
    return lines


def _show(value: Any, w: Language = ENGLISH) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, float):
        return w.number(value, None)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)
