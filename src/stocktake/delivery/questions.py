"""Questions for the leader to put at a stocktake, drawn from the data.

The delivery unit's job before a stocktake is to turn the numbers into a few pointed
questions: specific (the unit, the number, the period), and each asking what will change.
:func:`questions_from_data` reads what the status, SPC, forecast, lead/counter, data quality,
plan and follow-up layers found (passed in as plain values) and writes at most eight,
most severe first. Severity: 3 act now, 2 press on it, 1 worth asking.

The sentences are written in a ``Language``: its catalogue (gettext, the ``questions``
domain under delivery/locale) and how it writes a number. The service builds the French
one (services/publishing/packs.py); English, the default, is the messages themselves.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ..model.entities import is_percent
from .assessments import LOW_PROBABILITY, _a, _at, _describe, _percent, _Problems
from .errors import DeliveryError
from .wording import N_, Language

MAX_QUESTIONS = 8
OFF_TRACK_RUN = 3  # consecutive latest periods off track before a unit is asked about
LONG_RUN = 6  # ... and before it is the most severe kind of question
QUALITY_THRESHOLD = 75.0  # data quality scores (0-100) below this are asked about
POOR_QUALITY = 50.0
LONG_OVERDUE_DAYS = 90
UNITS_NAMED = 3  # off-track units asked about one by one; the rest in one question

_CONTEXT_FIELDS = ("priority_title", "unit_of_measure", "polarity", "period_word", "headline",
                   "units", "counters", "leads", "quality", "overdue_milestones",
                   "overdue_actions", "disagreements")

# The questions' own catalogue (questions.pot, and a .po for each language beside it).
CATALOGUES = Path(__file__).parent / "locale"
DOMAIN = "questions"


# Codes the evidence lines name (a headline's status, its SPC icons): the English lines
# show the code itself, other languages a word for it.
CODES = (
    N_("on_track"), N_("ahead"), N_("off_track"), N_("no_data"), N_("no_trajectory"),
    N_("outside_trajectory"), N_("met"), N_("missed"),
    N_("common_cause"), N_("improvement_high"), N_("improvement_low"), N_("concern_high"),
    N_("concern_low"), N_("neutral_high"), N_("neutral_low"), N_("improvement"),
    N_("concern"), N_("neutral"), N_("consistently_passes"), N_("consistently_fails"),
    N_("inconsistent"), N_("too_few_points"),
)


# -- wording -------------------------------------------------------------------------------


def _english_number(x: float, decimals: int) -> str:
    return f"{x:,.{decimals}f}"


def _english_singular(x: float) -> bool:
    """Whether a count of points takes the singular: only "1" in English."""
    return _num(x) == "1"


# The questions' English: their own number forms (fixed decimals, thousands separated).
ENGLISH = Language(number=_english_number, singular=_english_singular)


class _Say:
    """The wording's sentences, figures filled in (a message's % is written %%)."""

    def __init__(self, wording: Language) -> None:
        self.wording = wording

    def gettext(self, message: str, /, **values: Any) -> str:
        return self.wording.words.gettext(message) % values

    def ngettext(self, one: str, many: str, n: int, /, **values: Any) -> str:
        return self.wording.words.ngettext(one, many, n) % {"num": n, **values}

    def num(self, x: float) -> str:
        """Whole numbers without decimals (and never -0); others with 0, 1 or 2 by size."""
        if float(x).is_integer():
            return self.wording.number(float(int(x)), 0)
        a = abs(x)
        return self.wording.number(x, 0 if a >= 1000 else 1 if a >= 1 else 2)

    def pct(self, number: str) -> str:
        return self.gettext("%(number)s%%", number=number)

    def value(self, x: float, uom: str | None) -> str:
        if not uom:
            return self.num(x)
        return self.pct(self.num(x)) if is_percent(uom) else f"{self.num(x)} {uom}"

    def difference(self, x: float, uom: str | None) -> str:
        """A gap between two values: percentage points when the values are percentages
        (unit "%", "percent", ...), never "percent"."""
        if is_percent(uom):
            if self.wording.singular(x):
                return self.gettext("%(size)s percentage point", size=self.num(x))
            return self.gettext("%(size)s percentage points", size=self.num(x))
        return self.value(x, uom)

    def signed(self, x: float) -> str:
        return f"{'+' if x > 0 else '-' if x < 0 else ''}{self.num(abs(x))}"

    def probability(self, p: float, below: float) -> str:
        """A probability as assessments writes it (29.6%, never a rounded 30% below 30%), in
        the wording's numbers."""
        english = _percent(p, below=below)
        digits = english.rstrip("%")
        return self.pct(self.wording.number(float(digits), 1 if "." in digits else 0))

    def names(self, names: list[str]) -> str:
        if len(names) == 1:
            return names[0]
        return self.gettext("%(names)s and %(last)s", names=", ".join(names[:-1]),
                            last=names[-1])

    def days(self, n: int) -> str:
        return self.ngettext("%(num)d day", "%(num)d days", n)

    def listing(self, parts: Iterable[str]) -> str:
        """Items of evidence one after the other (a no-break space before ; in French)."""
        return self.gettext("; ").join(parts)

    def code(self, code: str) -> str:
        return self.wording.words.gettext(code)


def _num(x: float) -> str:
    return _Say(ENGLISH).num(x)


# -- reading the context (every field optional, wrong types refused) ------------------------


class _Reader(_Problems):
    def number(self, raw: Mapping[str, Any], key: str, path: str) -> float | None:
        value = raw.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.add(_at(path, key), f"expected a number, got {_describe(value)}")
            return None
        return None if math.isnan(value) else float(value)  # NaN: the figure does not exist

    def entries(self, raw: Mapping[str, Any], key: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """The mappings of a list, each with its path, problems reported in list order. Extra
        keys inside are left alone so that a layer's full output can be passed straight in."""
        value = raw.get(key)
        if value is None:
            return
        if not isinstance(value, (list, tuple)):
            self.add(key, f"expected a list, got {_describe(value)}")
            return
        for i, item in enumerate(value):
            if isinstance(item, Mapping):
                yield _at(key, i), item
            else:
                self.add(_at(key, i), f"expected a mapping, got {_describe(item)}")

    def name(self, raw: Mapping[str, Any], key: str, path: str) -> str | None:
        return self.text(raw, key, path, required=True)


def _question(topic: str, severity: int, question: str, evidence: str) -> dict[str, Any]:
    return {"topic": topic, "severity": severity, "question": question, "evidence": evidence}


def questions_from_data(context: Mapping[str, Any], *, limit: int = MAX_QUESTIONS,
                        wording: Language = ENGLISH) -> list[dict[str, Any]]:
    """At most ``limit`` questions, each ``{"topic", "severity", "question", "evidence"}``,
    most severe first (ties in the order headline, units, counters, leads, judgement,
    milestones, actions, data quality), written in ``wording``. Raises DeliveryError (a
    ValueError) naming every field of the context that cannot be read."""
    r = _Reader()
    say = _Say(wording)
    _ = say.gettext
    if not isinstance(context, Mapping):
        raise DeliveryError(f"context: expected a mapping, got {_describe(context)}")
    ctx = r.mapping(context, "", _CONTEXT_FIELDS)
    assert ctx is not None  # a mapping always reads
    title = r.text(ctx, "priority_title", "") or _("the headline")
    uom = r.text(ctx, "unit_of_measure", "")
    polarity = r.text(ctx, "polarity", "")
    if polarity not in (None, "up", "down", "neutral"):
        r.add("polarity", f"{polarity!r} is not one of up, down, neutral")
    word = r.text(ctx, "period_word", "") or _("periods")

    out: list[dict[str, Any]] = []
    out += _headline(r, say, ctx, title, uom, polarity)
    out += _units(r, say, ctx, polarity, word)
    out += _indicators(r, say, ctx, "counters", title, word)
    out += _indicators(r, say, ctx, "leads", title, word)
    for path, d in r.entries(ctx, "disagreements"):
        message = r.name(d, "message", path)
        if message:
            out.append(_question("judgement", 2, _(
                "%(message)s: which is right, the judgement or the numbers, and why?",
                message=message.rstrip(".")), message))
    out += _overdue(r, say, ctx, "overdue_milestones", "milestone", "name")
    out += _overdue(r, say, ctx, "overdue_actions", "action", "text")
    out += _quality(r, say, ctx)
    r.raise_if_any()
    out.sort(key=lambda q: -q["severity"])  # stable: ties keep the order above
    return out[:limit]


def _headline(r: _Reader, say: _Say, ctx: Mapping[str, Any], title: str, uom: str | None,
              polarity: str | None) -> list[dict[str, Any]]:
    _ = say.gettext
    raw = ctx.get("headline")
    if raw is None:
        return []
    if not isinstance(raw, Mapping):
        r.add("headline", f"expected a mapping, got {_describe(raw)}")
        return []
    status = r.text(raw, "status", "headline")
    gap = r.number(raw, "gap", "headline")
    gap_pct = r.number(raw, "gap_pct", "headline")
    expected = r.number(raw, "expected", "headline")
    p = r.number(raw, "probability_of_meeting", "headline")
    variation = r.text(raw, "variation_icon", "headline") or ""
    assurance = r.text(raw, "assurance_icon", "headline")
    period = value = None
    latest = raw.get("latest")
    if isinstance(latest, Mapping):
        period = r.text(latest, "period", "headline.latest")
        value = r.number(latest, "value", "headline.latest")
    elif latest is not None:
        r.add("headline.latest", f"expected a mapping {{period, value}}, got {_describe(latest)}")
    if p is not None and not 0.0 <= p <= 1.0:
        r.add("headline.probability_of_meeting", f"{p} is not between 0 and 1")
        p = None
    subject = title[:1].upper() + title[1:]
    figure = None
    if value is not None:
        figure = (_("%(value)s in %(period)s", value=say.value(value, uom), period=period)
                  if period else say.value(value, uom))
    evidence = say.listing(x for x in (
        _("status %(status)s", status=say.code(status)) if status else "",
        _("latest %(figure)s", figure=figure) if figure else "",
        _("expected %(value)s", value=say.value(expected, uom)) if expected is not None else "",
        _("gap %(gap)s", gap=say.signed(gap)) if gap is not None else "",
        _("gap %(gap)s", gap=say.pct(say.signed(gap_pct))) if gap_pct is not None else "",
        _("probability of meeting the target %(p)s", p=say.wording.number(p, 2))
        if p is not None else "",
        _("variation %(icon)s", icon=say.code(variation)) if variation else "",
        _("assurance %(icon)s", icon=say.code(assurance)) if assurance else "") if x)
    out = []
    out += _deadline(r, say, raw, status, title, subject, uom, evidence)
    if status == "off_track":
        if gap is not None and gap != 0:
            if period and value is not None:
                was = _("In %(period)s %(title)s was %(value)s,", period=period, title=title,
                        value=say.value(value, uom))
            elif period:
                was = _("In %(period)s %(title)s was", period=period, title=title)
            elif value is not None:
                was = _("%(subject)s was %(value)s,", subject=subject,
                        value=say.value(value, uom))
            else:
                was = _("%(subject)s was", subject=subject)
            pct = f" ({say.pct(say.num(abs(gap_pct)))})" if gap_pct is not None else ""
            of = _(" of %(value)s", value=say.value(expected, uom)) if expected is not None else ""
            values = {"size": say.difference(abs(gap), uom), "pct": pct, "of": of}
            q = was + " " + (
                _("%(size)s%(pct)s below its trajectory%(of)s: what will you change to get "
                  "back on track?", **values) if gap < 0 else
                _("%(size)s%(pct)s above its trajectory%(of)s: what will you change to get "
                  "back on track?", **values))
        elif period:
            q = _("%(subject)s is off track against its trajectory in %(period)s: what will "
                  "you change?", subject=subject, period=period)
        else:
            q = _("%(subject)s is off track against its trajectory: what will you change?",
                  subject=subject)
        out.append(_question("trajectory", 3, q, evidence))
    if p is not None and p < 0.5:
        pct = say.probability(p, LOW_PROBABILITY if p < LOW_PROBABILITY else 0.5)
        an = _a(_percent(p, below=LOW_PROBABILITY if p < LOW_PROBABILITY else 0.5)) == "an"
        if p < LOW_PROBABILITY:
            q = (_("The forecast gives %(title)s an %(pct)s probability of meeting its "
                   "target: what would it take to change that?", title=title, pct=pct) if an
                 else _("The forecast gives %(title)s a %(pct)s probability of meeting its "
                        "target: what would it take to change that?", title=title, pct=pct))
        else:
            q = (_("The forecast gives %(title)s only an %(pct)s probability of meeting its "
                   "target: what would make it more likely than not?", title=title, pct=pct)
                 if an else
                 _("The forecast gives %(title)s only a %(pct)s probability of meeting its "
                   "target: what would make it more likely than not?", title=title, pct=pct))
        out.append(_question("forecast", 3 if p < LOW_PROBABILITY else 2, q, evidence))
    if status == "no_data":
        q = (_("There is no recent figure for %(title)s (the last is %(figure)s): when will "
               "the data come in?", title=title, figure=figure) if figure else
             _("There is no recent figure for %(title)s: when will the data come in?",
               title=title))
        out.append(_question("data", 2, q, evidence))
    if status == "no_trajectory":
        q = (_("%(subject)s has no trajectory to read progress against: when will one be "
               "agreed, so we can tell whether %(figure)s is good enough?", subject=subject,
               figure=figure) if figure else
             _("%(subject)s has no trajectory to read progress against: when will one be "
               "agreed?", subject=subject))
        out.append(_question("trajectory", 1, q, evidence))
    at = f" ({figure})" if figure else ""
    if variation.startswith("concern"):
        out.append(_question("variation", 2, _(
            "The latest figure for %(title)s%(at)s is a special-cause signal of concern, not "
            "noise: what has changed?", title=title, at=at), evidence))
    if assurance == "consistently_fails":
        out.append(_question("assurance", 2, _(
            "On its current variation %(title)s will consistently fail its target: what will "
            "change in how the service works, beyond more of the same?", title=title),
            evidence))
    if status == "ahead" or (status == "on_track" and variation.startswith("improvement")):
        q = (_("%(subject)s is ahead of its trajectory%(at)s: what made the difference, who "
               "should get the credit, and can it be spread?", subject=subject, at=at)
             if status == "ahead" else
             _("%(subject)s is on track against its trajectory%(at)s: what made the "
               "difference, who should get the credit, and can it be spread?",
               subject=subject, at=at))
        out.append(_question("credit", 1, q, evidence))
    return out


def _deadline(r: _Reader, say: _Say, raw: Mapping[str, Any], status: str | None, title: str,
              subject: str, uom: str | None, evidence: str) -> list[dict[str, Any]]:
    """Met or missed at the deadline: a missed target asks for a decision, a met one gives
    credit (and asks whether the gain holds when the series has fallen back since)."""
    _ = say.gettext
    if status not in ("met", "missed"):
        return []
    v = raw.get("at_target_period")
    if v is not None and not isinstance(v, Mapping):
        r.add("headline.at_target_period", f"expected a mapping, got {_describe(v)}")
        v = None
    v = v or {}
    actual = r.number(v, "actual", "headline.at_target_period")
    target = r.number(v, "target", "headline.at_target_period")
    period = r.text(v, "actual_period", "headline.at_target_period")
    known = actual is not None and target is not None and period
    at = (_("%(actual)s in %(period)s against a target of %(target)s",
            actual=say.value(actual, uom), period=period, target=say.value(target, uom))
          if known else "")  # type: ignore[arg-type]
    if status == "missed":
        was = (_("%(title)s was %(at)s, %(short)s short", title=title, at=at,
                 short=say.difference(abs(actual - target), uom))  # type: ignore[operator]
               if known else _("%(title)s did not reach its target", title=title))
        return [_question("target", 3, _(
            "Target missed: %(was)s. What now: a new stage with a new target, or a new "
            "deadline for this one, and what will be done differently?", was=was), evidence)]
    out = [_question("credit", 1, _(
        "%(subject)s met its target: %(at)s. Who should get the credit, and what is the next "
        "stage?", subject=subject, at=at) if known else _(
        "%(subject)s met its target. Who should get the credit, and what is the next stage?",
        subject=subject), evidence)]
    since = v.get("since") if isinstance(v.get("since"), Mapping) else None
    if since and since.get("meets_target") is False:
        value = r.number(since, "value", "headline.at_target_period.since")
        when = r.text(since, "period", "headline.at_target_period.since")
        if value is not None and when:
            out.append(_question("target", 2, _(
                "%(subject)s met its target but has since fallen back to %(value)s in "
                "%(period)s: is the gain holding, or was it a peak?", subject=subject,
                value=say.value(value, uom), period=when), evidence))
    return out


def _units(r: _Reader, say: _Say, ctx: Mapping[str, Any], polarity: str | None,
           word: str) -> list[dict[str, Any]]:
    _, ngettext = say.gettext, say.ngettext
    runs, missed = [], []
    for path, u in r.entries(ctx, "units"):
        name = r.name(u, "unit_name", path)
        run = u.get("off_track_run")
        if run is not None and (isinstance(run, bool) or not isinstance(run, int) or run < 0):
            r.add(_at(path, "off_track_run"), f"expected a whole number >= 0, got "
                  f"{_describe(run)}")
            run = None
        gap_pct = r.number(u, "gap_pct", path)
        if name and u.get("status") == "missed":
            missed.append(name)
        if name and run is not None and run >= OFF_TRACK_RUN:
            runs.append((name, run, gap_pct))
    runs.sort(key=lambda x: (-x[1], -abs(x[2] or 0.0), x[0]))

    def side(gap_pct: float | None) -> str:
        if polarity in ("up", "down"):
            return "below" if polarity == "up" else "above"
        if gap_pct:  # no direction of good: say where the figures are
            return "below" if gap_pct < 0 else "above"
        return "off"

    def run_of(name: str, run: int) -> str:
        return _("%(name)s: off track for the last %(run)d %(periods)s", name=name, run=run,
                 periods=word)

    out = []
    for name, run, gap_pct in runs[:UNITS_NAMED]:
        s = side(gap_pct)
        values = {"name": name, "run": run, "periods": word}
        if gap_pct and s != "off":
            size = say.pct(say.num(abs(gap_pct)))
            q = (_("%(name)s has been below trajectory for %(run)d %(periods)s, %(size)s below "
                   "it at the latest: what will change?", size=size, **values) if s == "below"
                 else _("%(name)s has been above trajectory for %(run)d %(periods)s, %(size)s "
                        "above it at the latest: what will change?", size=size, **values))
        else:
            q = {"below": _("%(name)s has been below trajectory for %(run)d %(periods)s: what "
                            "will change?", **values),
                 "above": _("%(name)s has been above trajectory for %(run)d %(periods)s: what "
                            "will change?", **values),
                 "off": _("%(name)s has been off trajectory for %(run)d %(periods)s: what will "
                          "change?", **values)}[s]
        gap = [_("gap %(gap)s", gap=say.pct(say.signed(gap_pct)))] if gap_pct is not None else []
        out.append(_question("units", 3 if run >= LONG_RUN else 2, q,
                             say.listing([run_of(name, run), *gap])))
    rest = runs[UNITS_NAMED:]
    if rest:
        values = {"names": say.names([n for n, _r, _g in rest]), "run": OFF_TRACK_RUN,
                  "periods": word}
        q = (ngettext("%(num)d more unit (%(names)s) has also been below trajectory for "
                      "%(run)d %(periods)s or more: is there a common cause?",
                      "%(num)d more units (%(names)s) have also been below trajectory for "
                      "%(run)d %(periods)s or more: is there a common cause?",
                      len(rest), **values) if side(None) == "below" else
             ngettext("%(num)d more unit (%(names)s) has also been above trajectory for "
                      "%(run)d %(periods)s or more: is there a common cause?",
                      "%(num)d more units (%(names)s) have also been above trajectory for "
                      "%(run)d %(periods)s or more: is there a common cause?",
                      len(rest), **values) if side(None) == "above" else
             ngettext("%(num)d more unit (%(names)s) has also been off trajectory for "
                      "%(run)d %(periods)s or more: is there a common cause?",
                      "%(num)d more units (%(names)s) have also been off trajectory for "
                      "%(run)d %(periods)s or more: is there a common cause?",
                      len(rest), **values))
        out.append(_question("units", 2, q, say.listing(run_of(n, k) for n, k, _g in rest)))
    if missed:
        out.append(_question("units", 2, ngettext(
            "%(num)d unit missed its share of the target (%(names)s): what does each need at "
            "the next stage?",
            "%(num)d units missed their share of the target (%(names)s): what does each need "
            "at the next stage?", len(missed), names=say.names(missed)),
            say.listing(_("%(name)s: target missed", name=n) for n in missed)))
    return out


def _indicators(r: _Reader, say: _Say, ctx: Mapping[str, Any], key: str, title: str,
                word: str) -> list[dict[str, Any]]:
    """Counter indicators getting worse (gaming, unintended effects) and lead indicators
    moving the wrong way (trouble for the headline ahead)."""
    _ = say.gettext
    headline = ctx.get("headline") if isinstance(ctx.get("headline"), Mapping) else {}
    status = headline.get("status")  # type: ignore[union-attr]
    headline_good = status in ("on_track", "ahead", "met")  # a met target invites gaming too
    out = []
    for path, d in r.entries(ctx, key):
        name = r.name(d, "name", path)
        direction = d.get("direction")
        if direction not in ("worse", "better", "flat", None):
            r.add(_at(path, "direction"), f"{direction!r} is not one of worse, better, flat")
        change = r.number(d, "change", path)
        if not name or direction != "worse":
            continue
        by = f" ({say.signed(change)})" if change is not None else ""
        evidence = (_("%(name)s: direction worse; change %(change)s", name=name,
                      change=say.signed(change)) if change is not None
                    else _("%(name)s: direction worse", name=name))
        if key == "counters":
            values = {"name": name, "by": by, "title": title}
            q = (_("%(name)s, a counter indicator, has got worse%(by)s: is the target being "
                   "gamed, or is there an unintended effect?", **values) if not headline_good
                 else _("%(name)s, a counter indicator, has got worse%(by)s while %(title)s met "
                        "its target: is the target being gamed, or is there an unintended "
                        "effect?", **values) if status == "met"
                 else _("%(name)s, a counter indicator, has got worse%(by)s while %(title)s is "
                        "on track: is the target being gamed, or is there an unintended "
                        "effect?", **values))
            out.append(_question("gaming", 3 if headline_good else 2, q, evidence))
        else:
            out.append(_question("leads", 2, _(
                "%(name)s, a lead indicator, is moving the wrong way%(by)s: what does it mean "
                "for %(title)s in the %(periods)s ahead, and what is being done about it?",
                name=name, by=by, title=title, periods=word), evidence))
    return out


def _overdue(r: _Reader, say: _Say, ctx: Mapping[str, Any], key: str, what: str,
             name_key: str) -> list[dict[str, Any]]:
    _ = say.gettext
    late = []
    for path, d in r.entries(ctx, key):
        name = r.name(d, name_key, path)
        owner = r.text(d, "owner", path)
        days = d.get("days_overdue")
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            r.add(_at(path, "days_overdue"), f"expected a whole number >= 0, got "
                  f"{_describe(days)}")
            continue
        if name and days > 0:
            late.append((name, owner, days))
    if not late:
        return []
    late.sort(key=lambda x: -x[2])
    name, owner, days = late[0]

    def of(owner: str | None) -> str:
        return f" ({owner})" if owner else ""

    values = {"name": name, "by": of(owner), "days": say.days(days), "n": len(late)}
    if what == "action" and len(late) == 1:
        q = _("The action '%(name)s'%(by)s from a previous stocktake is %(days)s overdue: what "
              "is holding it up?", **values)
    elif what == "action":
        q = _("%(n)d actions from earlier stocktakes are overdue, the longest '%(name)s'%(by)s "
              "by %(days)s: what is holding them up?", **values)
    elif len(late) == 1:
        q = _("The milestone '%(name)s'%(by)s is %(days)s overdue: when will it be done, and "
              "what does the delay do to the trajectory?", **values)
    else:
        q = _("%(n)d milestones are overdue, the longest '%(name)s'%(by)s by %(days)s: when "
              "will they be done, and what does the delay do to the trajectory?", **values)
    evidence = say.listing(_("%(name)s%(by)s: %(days)s overdue", name=n, by=of(o),
                           days=say.days(d)) for n, o, d in late)
    topic = "milestones" if what == "milestone" else "actions"
    return [_question(topic, 3 if days >= LONG_OVERDUE_DAYS else 2, q, evidence)]


def _quality(r: _Reader, say: _Say, ctx: Mapping[str, Any]) -> list[dict[str, Any]]:
    _ = say.gettext
    poor = []
    for path, d in r.entries(ctx, "quality"):
        name = r.name(d, "unit_name", path)
        score = r.number(d, "score", path)
        if score is not None and not 0 <= score <= 100:
            r.add(_at(path, "score"), f"{score} is not between 0 and 100")
        elif name and score is not None and score < QUALITY_THRESHOLD:
            poor.append((name, score))
    if not poor:
        return []
    poor.sort(key=lambda x: (x[1], x[0]))
    severity = 2 if poor[0][1] < POOR_QUALITY else 1
    if len(poor) == 1:
        q = _("Data from %(name)s scores %(score)s out of 100 for quality: what will it take "
              "to fix it before the next stocktake?", name=poor[0][0], score=say.num(poor[0][1]))
    else:
        listed = say.names([f"{n} {say.num(s)}" for n, s in poor])
        q = _("Data from %(n)d units scores below %(threshold)s out of 100 for quality "
              "(%(listed)s): what will it take to fix them before the next stocktake?",
              n=len(poor), threshold=say.num(QUALITY_THRESHOLD), listed=listed)
    evidence = say.listing(_("%(name)s: quality %(score)s/100", name=n, score=say.num(s))
                         for n, s in poor)
    return [_question("data_quality", severity, q, evidence)]


def credit_caveat(confirmed: int, still_open: int, wording: Language = ENGLISH) -> str:
    """What a question giving credit adds to its evidence when ``confirmed`` and
    ``still_open`` alerts question the figures it credits (services.publishing.trust)."""
    say = _Say(wording)
    _, ngettext = say.gettext, say.ngettext
    if confirmed and still_open:
        alerts = _("%(confirmed)d confirmed and %(open)d open alerts", confirmed=confirmed,
                   open=still_open)
    elif confirmed:
        alerts = ngettext("%(num)d confirmed alert", "%(num)d confirmed alerts", confirmed)
    else:
        alerts = ngettext("%(num)d open alert", "%(num)d open alerts", still_open)
    return ngettext(". Before giving credit: %(alerts)s question this priority's figures (see "
                    "“Can we trust these numbers?”).",
                    ". Before giving credit: %(alerts)s question this priority's figures (see "
                    "“Can we trust these numbers?”).", confirmed + still_open, alerts=alerts)
