"""Escalation (issue #17): a priority's intensity of attention, and priority reviews.

Intensity is one of ``routine`` (the normal routines), ``intensive`` (more frequent
stocktakes, closer watch) and ``crisis`` (the centre takes the lead); every change is kept
with its reason. A priority review is commissioned (a scope and a team), reported (findings
and recommendations, each recommendation an action with an owner and a due date) and
followed up (each recommendation's status) until it is closed. Pure: documents in and out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..errors import N_, Invalid, Problem, Text, did_you_mean
from .stocktakes import ACTION_STATUSES, CLOSED_STATUSES

INTENSITIES: dict[str, str] = {
    "routine": "routine monitoring",
    "intensive": "intensive support",
    "crisis": "crisis: the centre leads",
}
DEFAULT_INTENSITY = "routine"
REVIEW_STAGES = ("commissioned", "reported", "closed")


def check_level(level: str) -> str:
    if level not in INTENSITIES:
        raise Invalid(Problem(Text(N_("'%(level)s' is not an intensity: %(levels)s%(hint)s"),
                                   level=level, levels=", ".join(INTENSITIES),
                                   hint=did_you_mean(level, INTENSITIES)), "level"))
    return level


def need_text(value: Any, where: str, what: str) -> str:
    """``value`` stripped, or Invalid at ``where`` saying ``what`` (marked N_) is required."""
    text = str(value or "").strip()
    if not text:
        raise Invalid(Problem(Text(N_("%(what)s is required"), what=Text(what)), where))
    return text


@dataclass(frozen=True)
class IntensityChange:
    priority: str
    level: str
    reason: str
    by: str
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"priority": self.priority, "level": self.level,
                "label": INTENSITIES[self.level], "reason": self.reason, "by": self.by,
                "at": self.at}


@dataclass(frozen=True)
class Recommendation:
    """A review's recommendation, followed up as an action."""

    code: str
    text: str
    owner: str
    due: date
    status: str = "open"
    note: str = ""

    def overdue(self, today: date) -> bool:
        return self.status not in CLOSED_STATUSES and self.due < today

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "text": self.text, "owner": self.owner,
                "due": self.due.isoformat(), "status": self.status, "note": self.note}


@dataclass(frozen=True)
class Review:
    """A priority review as it stands at one version."""

    number: int
    priority: str
    stage: str
    commissioned_on: date
    scope: str
    team: tuple[str, ...]
    findings: str = ""
    recommendations: tuple[Recommendation, ...] = ()
    version: int = 1

    @property
    def open(self) -> bool:
        return self.stage != "closed"

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "priority": self.priority, "stage": self.stage,
                "commissioned_on": self.commissioned_on.isoformat(), "scope": self.scope,
                "team": list(self.team), "findings": self.findings,
                "recommendations": [r.to_dict() for r in self.recommendations],
                "version": self.version}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Review:
        return cls(number=d["number"], priority=d["priority"], stage=d["stage"],
                   commissioned_on=date.fromisoformat(d["commissioned_on"]),
                   scope=d["scope"], team=tuple(d["team"]), findings=d.get("findings", ""),
                   recommendations=tuple(
                       Recommendation(code=r["code"], text=r["text"], owner=r["owner"],
                                      due=date.fromisoformat(r["due"]),
                                      status=r.get("status", "open"), note=r.get("note", ""))
                       for r in d.get("recommendations", ())),
                   version=d.get("version", 1))


def parse_recommendations(items: Any) -> tuple[Recommendation, ...]:
    """Recommendations as given (a list of {text, owner, due}); every problem at once, each
    at ``recommendations[i].field``. Codes R1, R2... in the order given."""
    if not isinstance(items, list) or not items:
        raise Invalid(Problem(Text(N_("a report needs at least one recommendation (text, "
                                   "owner, due)")), "recommendations"))
    problems: list[Problem] = []
    out = []
    for i, r in enumerate(items):
        at = f"recommendations[{i}]"
        if not isinstance(r, dict):
            problems.append(Problem(Text(N_("a mapping of text, owner and due")), at))
            continue
        text, owner = str(r.get("text") or "").strip(), str(r.get("owner") or "").strip()
        if not text:
            problems.append(Problem(Text(N_("required")), f"{at}.text"))
        if not owner:
            problems.append(Problem(Text(N_("required")), f"{at}.owner"))
        try:
            due = date.fromisoformat(str(r.get("due") or ""))
        except ValueError:
            problems.append(Problem(Text(N_("%(value)s is not a date (YYYY-MM-DD)"),
                                         value=repr(r.get("due"))), f"{at}.due"))
            continue
        out.append(Recommendation(code=f"R{i + 1}", text=text, owner=owner, due=due))
    if problems:
        raise Invalid(problems)
    return tuple(out)


def check_recommendation_status(status: str) -> str:
    if status not in ACTION_STATUSES:
        raise Invalid(Problem(Text(N_("'%(status)s' is not a status of an action: "
                                      "%(statuses)s%(hint)s"), status=status,
                                   statuses=", ".join(ACTION_STATUSES),
                                   hint=did_you_mean(status, ACTION_STATUSES)), "status"))
    return status
