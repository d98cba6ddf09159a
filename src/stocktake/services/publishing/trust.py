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
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ...analysis import wording as aw
from ...analysis.wording import A_, NP_, Named, Sentence
from ...delivery.questions import ENGLISH, Language, credit_caveat
from ...model.entities import DeliveryModel
from ...model.periods import Period
from ...reports.said import language as said_in
from ...results.alerts import STANDING, AlertItem, AlertsReport
from ...results.quality import UnitQuality
from ...text import plural
from ..reading.alerts import drifting_counters, peer_levels, priority_pairs

# The words of the documents are in the analysis' ``alerts`` catalogue (analysis/locale),
# said in the document's language (``lang``: reports.said).
KIND_WORDS = {
    "counter": A_("a counter worsened as the headline improved"),
    "ratio_shift": A_("a recording change: a declared ratio shifted"),
    "local_break": A_("a break its peers did not share"),
    "drift": A_("a counter drifted the worse way, as its peers did not"),
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
    language: aw.Language = field(default=aw.ENGLISH, repr=False, compare=False)

    @property
    def moved(self) -> str:
        """What moved, from when: "from 2024-01, unfounded reports per violent reports
        +55%"."""
        said = [Sentence("%(what)s %(relative)s", what=_mid(s.what),
                         relative=_relative(s.relative)).said(self.language).rstrip()
                for s in self.sizes]
        sizes = said[0] if said else ""
        for more in said[1:]:
            sizes = (Sentence("%(one)s while %(other)s", one=sizes, other=more)
                     if self.kind == "counter" else
                     Sentence("%(one)s; %(other)s", one=sizes, other=more)).said(self.language)
        return Sentence("from %(start)s, %(sizes)s", start=self.start,
                        sizes=sizes).said(self.language)

    @property
    def short(self) -> str:
        """One line: "Winnipeg, from 2024-01, unfounded reports per violent reports +55%"."""
        return f"{self.unit_name}, {self.moved}"


def _relative(r: float | None) -> Sentence | str:
    """"+55%", "−12%" (a true minus sign)."""
    if r is None:
        return ""
    sign = "+" if r > 0 else "−" if r < 0 else ""
    return Sentence("%(sign)s%(percent)s", sign=sign, percent=aw.Percent(abs(r)))


def _name(model: DeliveryModel, code: str, lang: str = "en") -> str:
    ind = model.indicators.get(code)
    return ind.name_in(lang) if ind else code


def _mid(name: str) -> str:
    """A name as it reads mid-sentence ("Violent reports" -> "violent reports"; an
    acronym such as "ED waits" stays)."""
    return name[0].lower() + name[1:] if name[1:2].islower() else name


def _figure(value: float | None, language: aw.Language = aw.ENGLISH) -> str:
    return "–" if value is None else language.value(aw.Plain(value))


def _size_label(model: DeliveryModel, key: str, lang: str = "en") -> str:
    """A size's key in words: an indicator's name, or "A per B" for a ratio "a/b"."""
    parts = key.split("/")
    if len(parts) == 2:
        return Sentence("%(numerator)s per %(denominator)s",
                        numerator=_name(model, parts[0], lang),
                        denominator=_mid(_name(model, parts[1], lang))
                        ).said(said_in(lang, model))
    return _name(model, key, lang)


def _by_names(model: DeliveryModel, text: str, codes: Iterable[str], lang: str = "en") -> str:
    """``text`` with the indicator codes in it written as names."""
    known = sorted(set(codes), key=len, reverse=True)
    if not known:
        return text
    pattern = re.compile(r"\b(" + "|".join(re.escape(c) for c in known) + r")\b")
    return pattern.sub(lambda m: _mid(_name(model, m[1], lang)), text)


def _kind_words(kind: str, language: aw.Language) -> str:
    return language.words.gettext(KIND_WORDS[kind]) if kind in KIND_WORDS else kind


def in_words(model: DeliveryModel, a: AlertItem, lang: str = "en") -> AlertInWords:
    """An alert in the words of the documents, in ``lang`` (en or fr)."""
    language = said_in(lang, model)
    last = a.history[-1] if a.history else None
    sizes = tuple(SizeInWords(_size_label(model, key, lang), _figure(s.get("before"), language),
                              _figure(s.get("after"), language), s.get("relative"))
                  for key, s in a.size.items())
    evidence = []
    for e in a.evidence:
        text = _by_names(model, Sentence("%(series)s: %(spc)s", series=e.series, spc=e.spc
                                         ).said(language), a.indicators, lang)
        evidence.append(Sentence("%(evidence)s (seasonally adjusted)", evidence=text
                                 ).said(language) if e.seasonal else text)
    explanation = aw.said(a.explanation, language)
    unit_name = model.units[a.unit].name_in(lang) if a.unit in model.units else a.unit_name
    return AlertInWords(
        id=a.id, kind=a.kind, kind_words=_kind_words(a.kind, language), unit=a.unit,
        unit_name=unit_name,
        peers=Sentence("the other %(levels)s", levels=Named("levels", a.level, plural(a.level))
                       ).said(language),
        indicators=tuple(_name(model, c, lang) for c in a.indicators), start=a.start,
        end=a.end, explanation=explanation[:1].upper() + explanation[1:], sizes=sizes,
        evidence=tuple(evidence), strength=a.strength, status=a.status,
        reviewed_by=last.by if last else None, reviewed_at=last.at if last else None,
        review_note=last.note if last else None, priorities=a.priorities, language=language)


def alerts_in(model: DeliveryModel, report: AlertsReport, lang: str) -> AlertsReport:
    """The alerts as a page in ``lang`` shows them: each explanation and its evidence said
    in that language, the unit by its name there. In English, the report as it is."""
    if lang == "en":
        return report
    language = said_in(lang, model)

    def said(a: AlertItem) -> AlertItem:
        evidence = tuple(replace(e, series=aw.said(e.series, language),
                                 spc=aw.said(e.spc, language)) for e in a.evidence)
        return replace(a, explanation=aw.said(a.explanation, language), evidence=evidence,
                       unit_name=_unit_name(model, a, lang))

    return replace(report, alerts=tuple(said(a) for a in report.alerts))


def for_documents(report: AlertsReport) -> list[AlertItem]:
    """Confirmed alerts first (the figure is not to be trusted), then open ones, then the
    explained; the strongest first within each."""
    return sorted(report.alerts, key=lambda a: (STATUS_ORDER.get(a.status, 9), -a.strength))


def _and(items: Sequence[str], language: aw.Language) -> str:
    """"a and b and c" (as the English always joined them)."""
    out = items[0] if items else ""
    for item in items[1:]:
        out = Sentence("%(one)s and %(other)s", one=out, other=item).said(language)
    return out


def what_was_checked(model: DeliveryModel, priority: str, lang: str = "en") -> str:
    """What the alerts read for a priority, in one sentence, in ``lang``."""
    language = said_in(lang, model)
    p = model.priorities[priority]
    levels = peer_levels(model, p.scope)
    scope = model.units[p.scope].name_in(lang) if p.scope in model.units else p.scope
    if not levels:
        return Sentence("No level of units below %(scope)s has three units or more, so no "
                        "unit could be read against its peers.", scope=scope).said(language)
    where = _and([Sentence("the %(num)s %(levels)s", num=len(units),
                           levels=Named("levels", level, plural(level))).said(language)
                  for level, units in levels], language)
    head = _mid(_name(model, p.headline, lang))
    counters = [_mid(_name(model, c, lang)) for c in p.counters]
    parts = []
    if counters:
        parts.append(Sentence.count(
            "%(headline)s against its counter %(counters)s, for a counter that worsened as "
            "the headline improved",
            "%(headline)s against its counters %(counters)s, for a counter that worsened as "
            "the headline improved", len(counters), headline=head,
            counters=_and(counters, language)).said(language))
    pairs = priority_pairs(model, p)
    if pairs:
        ratios = "; ".join(Sentence("%(numerator)s per %(denominator)s",
                                    numerator=_mid(_name(model, a, lang)),
                                    denominator=_mid(_name(model, b, lang))).said(language)
                           for a, b in pairs)
        parts.append(Sentence.count(
            "the declared ratio (%(ratios)s), for a lasting shift at one unit that its peers "
            "did not show",
            "the declared ratios (%(ratios)s), for a lasting shift at one unit that its peers "
            "did not show", len(pairs), ratios=ratios).said(language))
    if counters:
        parts.append(Sentence.count(
            "%(headline)s and its counter, for a break in one unit's series that its peers "
            "did not share",
            "%(headline)s and its counters, for a break in one unit's series that its peers "
            "did not share", len(counters), headline=head).said(language))
    else:
        parts.append(Sentence("%(headline)s, for a break in one unit's series that its peers "
                              "did not share", headline=head).said(language))
    drifting = [_mid(_name(model, c, lang))
                for c in drifting_counters(model, p.counters, pairs)]
    if drifting:
        parts.append(Sentence("%(counters)s, for a slow drift the worse way that its peers "
                              "did not show", counters=_and(drifting, language)
                              ).said(language))
    return Sentence("Read at %(where)s, each against its peers: %(parts)s.", where=where,
                    parts="; ".join(parts)).said(language)


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


def by_kind(model: DeliveryModel, items: Sequence[AlertItem], lang: str = "en"
            ) -> list[AlertGroup]:
    """``items`` (in ``for_documents`` order: the most serious first) grouped by kind, the
    group with the most serious alert first, in ``lang``."""
    kinds: dict[str, list[AlertItem]] = {}
    for a in items:
        kinds.setdefault(a.kind, []).append(a)
    return [AlertGroup(
        kind=kind, kind_words=_kind_words(kind, said_in(lang, model)),
        counted=counted(group, lang),
        units=tuple(dict.fromkeys(_unit_name(model, a, lang) for a in group)),
        lead=in_words(model, group[0], lang),
        first=min((a.start for a in group), key=lambda p: Period.parse(p).ordinal),
        last=max((a.start for a in group), key=lambda p: Period.parse(p).ordinal))
        for kind, group in kinds.items()]


def priority_trust(model: DeliveryModel, priority: str, report: AlertsReport,
                   lang: str = "en") -> dict[str, object]:
    """A pack's "Can we trust these numbers?": the priority's alerts grouped by kind for
    the section (one page however many), each alert in words for the annex (confirmed,
    open, then explained), and what was checked, in ``lang``."""
    ordered = for_documents(report)
    return {"groups": by_kind(model, ordered, lang),
            "alerts": [in_words(model, a, lang) for a in ordered],
            "counted": counted(report.alerts, lang),
            "checked": what_was_checked(model, priority, lang),
            "at_units": len({a.unit for a in ordered})}


def _unit_name(model: DeliveryModel, a: AlertItem, lang: str) -> str:
    return model.units[a.unit].name_in(lang) if a.unit in model.units else a.unit_name


# How many alerts of each status, for ``counted``: "1 confirmed alert", "3 open alerts"; the
# whole said as one alert or many by the count of all (the English always has).
_COUNTED = {"confirmed": NP_("%(num)s confirmed", "%(num)s confirmed"),
            "open": NP_("%(num)s open", "%(num)s open"),
            "explained": NP_("%(num)s explained", "%(num)s explained")}


def counted(items: Sequence[AlertItem], lang: str = "en") -> str:
    """"1 confirmed and 3 open alerts", "2 explained alerts", "no alert"."""
    language = said_in(lang)
    counts = [(n, st) for st in STATUS_ORDER
              if (n := sum(a.status == st for a in items))]
    if not counts:
        return Sentence("no alert").said(language)
    words = [Sentence.count(*_COUNTED[st], n).said(language) for n, st in counts]
    listed = words[-1]
    if len(words) > 1:
        listed = Sentence("%(some)s and %(last)s", some=", ".join(words[:-1]),
                          last=words[-1]).said(language)
    return Sentence.count("%(listed)s alert", "%(listed)s alerts", len(items),
                          listed=listed).said(language)


def with_care(model: DeliveryModel, report: AlertsReport, titles: dict[str, str],
              shown: int = 1, lang: str = "en") -> list[dict[str, object]]:
    """Each priority (in ``titles``' order) with open or confirmed alerts: how many, the
    first ``shown`` of them in words (confirmed, then the strongest) and the first
    ``shown`` units they were raised at, in ``lang``."""
    out: list[dict[str, object]] = []
    for code, title in titles.items():
        if standing := standing_on(report, code):
            units = list(dict.fromkeys(_unit_name(model, a, lang) for a in standing))
            out.append({"code": code, "title": title, "counted": counted(standing, lang),
                        "alerts": [in_words(model, a, lang) for a in standing[:shown]],
                        "more": max(len(standing) - shown, 0),
                        "units": units[:shown], "more_units": max(len(units) - shown, 0)})
    return out


# -- the rule ----------------------------------------------------------------------------------


def standing_on(report: AlertsReport, priority: str) -> list[AlertItem]:
    """The open or confirmed alerts bearing on a priority, as the documents list them."""
    return [a for a in for_documents(report) if a.status in STANDING
            and priority in a.priorities]


def with_credit(questions: list[dict[str, Any]], report: AlertsReport, priority: str,
                wording: Language = ENGLISH) -> list[dict[str, Any]]:
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
                   titles: dict[str, str] | None = None, *, worst_first: bool = False,
                   lang: str = "en") -> list[LeagueEntry]:
    """The units in the data-quality service's league order (which already lists a unit with
    a standing alert on a headline after every unit without one), each with those alerts
    and the reason in words (in ``lang``).

    ``worst_first`` turns the league round, for a document whose league is there to find
    who needs help: the units whose headline figures an alert questions come first, then
    the rest from the lowest score up; rank 1 is the unit to help first."""
    titles = titles or {}
    language = said_in(lang)
    out = []
    for i, q in enumerate(reversed(units) if worst_first else units, 1):
        alerts = tuple(bearing_on_headline(report, q.unit))
        reason = None
        if alerts:
            on = list(dict.fromkeys(titles.get(p, p) for a in alerts for p in a.priorities))
            what = (Sentence("%(counted)s (from %(start)s)", counted=counted(alerts, lang),
                             start=alerts[0].start).said(language) if len(alerts) == 1
                    else counted(alerts, lang))
            reason = Sentence.count("%(alerts)s on the headline of %(titles)s",
                                    "%(alerts)s on the headlines of %(titles)s", len(on),
                                    alerts=what, titles=_and(on, language)).said(language)
        out.append(LeagueEntry(rank=i, quality=q, alerts=alerts, reason=reason))
    return out


__all__ = ["AlertGroup", "AlertInWords", "LeagueEntry", "alerts_in", "bearing_on_headline",
           "by_kind",
           "counted", "for_documents", "in_words", "priority_trust", "quality_league",
           "standing_on", "what_was_checked", "with_care", "with_credit"]
