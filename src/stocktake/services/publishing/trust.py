"""Can we trust these numbers? The alerts (services/reading/alerts.py) as the documents put
them, in plain words, and the one rule by which credit and league tables respect them.

The rule: an alert *bears on a unit's headline* when it stands (open, or confirmed: the
figure is not to be trusted as it stands), was raised at that unit, and bears on a
priority (the service ties an alert to a priority when it reads the priority's headline, a
counter or the indicators they are computed from: each questions whether the headline's
movement is real). Each level of units is read against its own peers, so a region's
change large enough to move its province is raised at the province too. An explained
alert no longer bears.

A unit with an alert bearing on its headline is credited with a warning beside its name,
and cannot rank first in a data-quality league: the quality service
(services/reading/quality.py) lists it after every unit without one; ``quality_league``
says why in the documents' words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...delivery.questions import ENGLISH, Wording, credit_caveat
from ...model.entities import DeliveryModel
from ...model.periods import Period
from ...results.alerts import STANDING, AlertItem, AlertsReport
from ...results.quality import UnitQuality
from ..reading.alerts import drifting_counters, peer_levels, priority_pairs

KIND_WORDS = {
    "counter": "a counter worsened as the headline improved",
    "ratio_shift": "a recording change: a declared ratio shifted",
    "local_break": "a break its peers did not share",
    "drift": "a counter drifted the worse way, as its peers did not",
}
STATUS_ORDER = {"confirmed": 0, "open": 1, "explained": 2}  # the documents: findings first


@dataclass(frozen=True)
class SizeInWords:
    """One measured change: what (by name), before, after, and by how much."""

    what: str
    before: str
    after: str
    relative: float | None  # after / before - 1


@dataclass(frozen=True)
class AlertInWords:
    """One alert as a document states it: who, what (by name), from when, how big, the
    evidence, and what the analysts made of it."""

    id: str
    kind: str
    kind_words: str
    unit: str
    unit_name: str
    peers: str  # "the other regions"
    indicators: tuple[str, ...]  # by name
    start: str
    end: str
    explanation: str  # the service's sentence, capitalised
    sizes: tuple[SizeInWords, ...]
    evidence: tuple[str, ...]
    strength: float
    status: str
    reviewed_by: str | None  # the newest review, if any
    reviewed_at: datetime | None
    review_note: str | None
    priorities: tuple[str, ...]

    @property
    def moved(self) -> str:
        """What moved, from when: "from 2024-01, unfounded reports per violent reports
        +55%"."""
        sizes = (" while " if self.kind == "counter" else "; ").join(
            f"{_mid(s.what)} {_relative(s.relative)}".rstrip() for s in self.sizes)
        return f"from {self.start}, {sizes}"

    @property
    def short(self) -> str:
        """One line: "Winnipeg, from 2024-01, unfounded reports per violent reports +55%"."""
        return f"{self.unit_name}, {self.moved}"


def _relative(r: float | None) -> str:
    return "" if r is None else f"{'+' if r > 0 else '−' if r < 0 else ''}{abs(r):.0%}"


def _name(model: DeliveryModel, code: str) -> str:
    ind = model.indicators.get(code)
    return ind.name if ind else code


def _mid(name: str) -> str:
    """A name as it reads mid-sentence ("Violent reports" -> "violent reports"; an
    acronym such as "ED waits" stays)."""
    return name[0].lower() + name[1:] if name[1:2].islower() else name


def _figure(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def _size_label(model: DeliveryModel, key: str) -> str:
    """A size's key in words: an indicator's name, or "A per B" for a ratio "a/b"."""
    parts = key.split("/")
    if len(parts) == 2:
        return f"{_name(model, parts[0])} per {_mid(_name(model, parts[1]))}"
    return _name(model, key)


def _by_names(model: DeliveryModel, text: str, codes: Iterable[str]) -> str:
    """``text`` with the indicator codes in it written as names."""
    known = sorted(set(codes), key=len, reverse=True)
    if not known:
        return text
    pattern = re.compile(r"\b(" + "|".join(re.escape(c) for c in known) + r")\b")
    return pattern.sub(lambda m: _mid(_name(model, m[1])), text)


def in_words(model: DeliveryModel, a: AlertItem) -> AlertInWords:
    """An alert in the words of the documents."""
    last = a.history[-1] if a.history else None
    sizes = tuple(SizeInWords(_size_label(model, key), _figure(s.get("before")),
                              _figure(s.get("after")), s.get("relative"))
                  for key, s in a.size.items())
    evidence = tuple(
        _by_names(model, f"{e.series}: {e.spc}", a.indicators)
        + (" (seasonally adjusted)" if e.seasonal else "") for e in a.evidence)
    return AlertInWords(
        id=a.id, kind=a.kind, kind_words=KIND_WORDS.get(a.kind, a.kind), unit=a.unit,
        unit_name=a.unit_name, peers=f"the other {a.level}s",
        indicators=tuple(_name(model, c) for c in a.indicators), start=a.start, end=a.end,
        explanation=a.explanation[:1].upper() + a.explanation[1:], sizes=sizes,
        evidence=evidence, strength=a.strength, status=a.status,
        reviewed_by=last.by if last else None, reviewed_at=last.at if last else None,
        review_note=last.note if last else None, priorities=a.priorities)


def for_documents(report: AlertsReport) -> list[AlertItem]:
    """Confirmed alerts first (the figure is not to be trusted), then open ones, then the
    explained; the strongest first within each."""
    return sorted(report.alerts, key=lambda a: (STATUS_ORDER.get(a.status, 9), -a.strength))


def what_was_checked(model: DeliveryModel, priority: str) -> str:
    """What the alerts read for a priority, in one sentence."""
    p = model.priorities[priority]
    levels = peer_levels(model, p.scope)
    scope = model.units[p.scope].name if p.scope in model.units else p.scope
    if not levels:
        return (f"No level of units below {scope} has three units or more, so no unit "
                "could be read against its peers.")
    where = " and ".join(f"the {len(units)} {level}s" for level, units in levels)
    head = _mid(_name(model, p.headline))
    counters = [_mid(_name(model, c)) for c in p.counters]
    parts = []
    if counters:
        parts.append(f"{head} against its counter{'s' if len(counters) > 1 else ''} "
                     f"{' and '.join(counters)}, for a counter that worsened as the headline "
                     "improved")
    pairs = priority_pairs(model, p)
    if pairs:
        ratios = "; ".join(f"{_mid(_name(model, a))} per {_mid(_name(model, b))}"
                           for a, b in pairs)
        parts.append(f"the declared ratio{'s' if len(pairs) > 1 else ''} ({ratios}), for "
                     "a lasting shift at one unit that its peers did not show")
    also = f" and its counter{'s' if len(counters) > 1 else ''}" if counters else ""
    parts.append(f"{head}{also}, for a break in one unit's series that its peers did not "
                 "share")
    drifting = [_mid(_name(model, c)) for c in drifting_counters(model, p.counters, pairs)]
    if drifting:
        parts.append(f"{' and '.join(drifting)}, for a slow drift the worse way that its "
                     "peers did not show")
    return f"Read at {where}, each against its peers: " + "; ".join(parts) + "."


@dataclass(frozen=True)
class AlertGroup:
    """The alerts of one kind, as a page a head of unit reads in a minute puts them: how
    many, where (the most serious first), and the most serious of them in words."""

    kind: str
    kind_words: str
    counted: str  # "1 confirmed and 3 open alerts"
    units: tuple[str, ...]  # unit names, each once, the most serious first
    lead: AlertInWords  # the most serious: confirmed, then open, then explained; strongest
    first: str  # the earliest start
    last: str  # the latest start


def by_kind(model: DeliveryModel, items: Sequence[AlertItem]) -> list[AlertGroup]:
    """``items`` (in ``for_documents`` order: the most serious first) grouped by kind, the
    group with the most serious alert first."""
    kinds: dict[str, list[AlertItem]] = {}
    for a in items:
        kinds.setdefault(a.kind, []).append(a)
    return [AlertGroup(
        kind=kind, kind_words=KIND_WORDS.get(kind, kind), counted=counted(group),
        units=tuple(dict.fromkeys(a.unit_name for a in group)),
        lead=in_words(model, group[0]),
        first=min((a.start for a in group), key=lambda p: Period.parse(p).ordinal),
        last=max((a.start for a in group), key=lambda p: Period.parse(p).ordinal))
        for kind, group in kinds.items()]


def priority_trust(model: DeliveryModel, priority: str, report: AlertsReport
                   ) -> dict[str, object]:
    """A pack's "Can we trust these numbers?": the priority's alerts grouped by kind for
    the section (one page however many), each alert in words for the annex (confirmed,
    open, then explained), and what was checked."""
    ordered = for_documents(report)
    return {"groups": by_kind(model, ordered), "alerts": [in_words(model, a) for a in ordered],
            "counted": counted(report.alerts), "checked": what_was_checked(model, priority),
            "at_units": len({a.unit for a in ordered})}


def counted(items: Sequence[AlertItem]) -> str:
    """"1 confirmed and 3 open alerts", "2 explained alerts", "no alert"."""
    counts = [(n, st) for st in STATUS_ORDER
              if (n := sum(a.status == st for a in items))]
    if not counts:
        return "no alert"
    words = [f"{n} {st}" for n, st in counts]
    listed = ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else words[0]
    return f"{listed} alert{'s' if len(items) > 1 else ''}"


def with_care(model: DeliveryModel, report: AlertsReport, titles: dict[str, str],
              shown: int = 1) -> list[dict[str, object]]:
    """Each priority (in ``titles``' order) with open or confirmed alerts: how many, the
    first ``shown`` of them in words (confirmed, then the strongest) and the first
    ``shown`` units they were raised at."""
    out: list[dict[str, object]] = []
    for code, title in titles.items():
        if standing := standing_on(report, code):
            units = list(dict.fromkeys(a.unit_name for a in standing))
            out.append({"code": code, "title": title, "counted": counted(standing),
                        "alerts": [in_words(model, a) for a in standing[:shown]],
                        "more": max(len(standing) - shown, 0),
                        "units": units[:shown], "more_units": max(len(units) - shown, 0)})
    return out


# -- the rule ----------------------------------------------------------------------------------


def standing_on(report: AlertsReport, priority: str) -> list[AlertItem]:
    """The open or confirmed alerts bearing on a priority, as the documents list them."""
    return [a for a in for_documents(report) if a.status in STANDING
            and priority in a.priorities]


def with_credit(questions: list[dict[str, Any]], report: AlertsReport, priority: str,
                wording: Wording = ENGLISH) -> list[dict[str, Any]]:
    """The questions from the data, a question giving credit saying (in ``wording``) when
    alerts question the figures it credits."""
    standing = standing_on(report, priority)
    if not standing:
        return questions
    caveat = credit_caveat(sum(a.status == "confirmed" for a in standing),
                           sum(a.status == "open" for a in standing), wording)
    return [{**q, "evidence": q["evidence"].rstrip(". ") + caveat}
            if q.get("topic") == "credit" else q for q in questions]


def bearing_on_headline(report: AlertsReport, unit: str, priority: str | None = None
                        ) -> list[AlertItem]:
    """The open or confirmed alerts raised at ``unit`` that bear on ``priority``'s headline
    (or on any priority's, if none is named)."""
    return [a for a in report.alerts if a.status in STANDING and a.unit == unit
            and (priority in a.priorities if priority else a.priorities)]


@dataclass(frozen=True)
class LeagueEntry:
    """A unit's place in a data-quality league, and the alerts that keep it off the top."""

    rank: int
    quality: UnitQuality
    alerts: tuple[AlertItem, ...]  # open or confirmed alerts bearing on its headlines
    reason: str | None  # why it is listed after the units without one


def quality_league(units: Sequence[UnitQuality], report: AlertsReport,
                   titles: dict[str, str] | None = None, *, worst_first: bool = False
                   ) -> list[LeagueEntry]:
    """The units in the data-quality service's league order (which already lists a unit with
    a standing alert on a headline after every unit without one), each with those alerts
    and the reason in words.

    ``worst_first`` turns the league round, for a document whose league is there to find
    who needs help: the units whose headline figures an alert questions come first, then
    the rest from the lowest score up; rank 1 is the unit to help first."""
    titles = titles or {}
    out = []
    for i, q in enumerate(reversed(units) if worst_first else units, 1):
        alerts = tuple(bearing_on_headline(report, q.unit))
        reason = None
        if alerts:
            on = list(dict.fromkeys(titles.get(p, p) for a in alerts for p in a.priorities))
            since = f" (from {alerts[0].start})" if len(alerts) == 1 else ""
            reason = (f"{counted(alerts)}{since} on the headline{'s' if len(on) > 1 else ''} "
                      f"of {' and '.join(on)}")
        out.append(LeagueEntry(rank=i, quality=q, alerts=alerts, reason=reason))
    return out


__all__ = ["AlertGroup", "AlertInWords", "LeagueEntry", "bearing_on_headline", "by_kind",
           "counted", "for_documents", "in_words", "priority_trust", "quality_league",
           "standing_on", "what_was_checked", "with_care", "with_credit"]
