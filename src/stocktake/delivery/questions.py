"""Questions for the leader to put at a stocktake, drawn from the data.

The delivery unit's job before a stocktake is to turn the numbers into a few pointed
questions: specific (the unit, the number, the period), and each asking what will change.
:func:`questions_from_data` reads what the status, SPC, forecast, lead/counter, data quality,
plan and follow-up layers found (passed in as plain values) and writes at most eight,
most severe first. Severity: 3 act now, 2 press on it, 1 worth asking.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from ..model.entities import is_percent
from .assessments import LOW_PROBABILITY, _a, _at, _describe, _percent, _Problems
from .errors import DeliveryError

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


# -- wording -------------------------------------------------------------------------------


def _num(x: float) -> str:
    if float(x).is_integer():
        return f"{int(x):,}"
    a = abs(x)
    return f"{x:,.{0 if a >= 1000 else 1 if a >= 1 else 2}f}"


def _value(x: float, uom: str | None) -> str:
    if not uom:
        return _num(x)
    return f"{_num(x)}%" if is_percent(uom) else f"{_num(x)} {uom}"


def _difference(x: float, uom: str | None) -> str:
    """A gap between two values: percentage points when the values are percentages (unit
    "%", "percent", ...), never "percent"."""
    if is_percent(uom):
        return f"{_num(x)} percentage {'point' if _num(x) == '1' else 'points'}"
    return _value(x, uom)


def _signed(x: float) -> str:
    return f"{'+' if x > 0 else '-' if x < 0 else ''}{_num(abs(x))}"


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else many or word + 's'}"


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


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


def questions_from_data(context: Mapping[str, Any], *,
                        limit: int = MAX_QUESTIONS) -> list[dict[str, Any]]:
    """At most ``limit`` questions, each ``{"topic", "severity", "question", "evidence"}``,
    most severe first (ties in the order headline, units, counters, leads, judgement,
    milestones, actions, data quality). Raises DeliveryError (a ValueError) naming every
    field of the context that cannot be read."""
    r = _Reader()
    if not isinstance(context, Mapping):
        raise DeliveryError(f"context: expected a mapping, got {_describe(context)}")
    ctx = r.mapping(context, "", _CONTEXT_FIELDS)
    assert ctx is not None  # a mapping always reads
    title = r.text(ctx, "priority_title", "") or "the headline"
    uom = r.text(ctx, "unit_of_measure", "")
    polarity = r.text(ctx, "polarity", "")
    if polarity not in (None, "up", "down", "neutral"):
        r.add("polarity", f"{polarity!r} is not one of up, down, neutral")
    word = r.text(ctx, "period_word", "") or "periods"

    out: list[dict[str, Any]] = []
    out += _headline(r, ctx, title, uom, polarity)
    out += _units(r, ctx, polarity, word)
    out += _indicators(r, ctx, "counters", title, word)
    out += _indicators(r, ctx, "leads", title, word)
    for path, d in r.entries(ctx, "disagreements"):
        message = r.name(d, "message", path)
        if message:
            out.append(_question("judgement", 2, f"{message.rstrip('.')}: which is right, the "
                                 "judgement or the numbers, and why?", message))
    out += _overdue(r, ctx, "overdue_milestones", "milestone", "name")
    out += _overdue(r, ctx, "overdue_actions", "action", "text")
    out += _quality(r, ctx)
    r.raise_if_any()
    out.sort(key=lambda q: -q["severity"])  # stable: ties keep the order above
    return out[:limit]


def _headline(r: _Reader, ctx: Mapping[str, Any], title: str, uom: str | None,
              polarity: str | None) -> list[dict[str, Any]]:
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
    when = f" in {period}" if period else ""
    figure = f"{_value(value, uom)}{when}" if value is not None else None
    evidence = "; ".join(x for x in (
        f"status {status}" if status else "",
        f"latest {figure}" if figure else "",
        f"expected {_value(expected, uom)}" if expected is not None else "",
        f"gap {_signed(gap)}" if gap is not None else "",
        f"gap {_signed(gap_pct)}%" if gap_pct is not None else "",
        f"probability of meeting the target {p:.2f}" if p is not None else "",
        f"variation {variation}" if variation else "",
        f"assurance {assurance}" if assurance else "") if x)
    out = []
    out += _deadline(r, raw, status, title, subject, uom, evidence)
    if status == "off_track":
        if gap is not None and gap != 0:
            side = "below" if gap < 0 else "above"
            pct = f" ({_num(abs(gap_pct))}%)" if gap_pct is not None else ""
            now = f"In {period} {title}" if period else subject
            was = f" was {_value(value, uom)}," if value is not None else " was"
            of = f" of {_value(expected, uom)}" if expected is not None else ""
            q = (f"{now}{was} {_difference(abs(gap), uom)}{pct} {side} its trajectory{of}: "
                 "what will you change to get back on track?")
        else:
            q = f"{subject} is off track against its trajectory{when}: what will you change?"
        out.append(_question("trajectory", 3, q, evidence))
    if p is not None and p < 0.5:
        pct = _percent(p, below=LOW_PROBABILITY if p < LOW_PROBABILITY else 0.5)
        if p < LOW_PROBABILITY:
            q = (f"The forecast gives {title} {_a(pct)} {pct} probability of meeting its target: "
                 "what would it take to change that?")
        else:
            q = (f"The forecast gives {title} only {_a(pct)} {pct} probability of meeting its "
                 "target: what would make it more likely than not?")
        out.append(_question("forecast", 3 if p < LOW_PROBABILITY else 2, q, evidence))
    if status == "no_data":
        last = f" (the last is {figure})" if figure else ""
        out.append(_question("data", 2, f"There is no recent figure for {title}{last}: when "
                             "will the data come in?", evidence))
    if status == "no_trajectory":
        now = f", so we can tell whether {figure} is good enough" if figure else ""
        out.append(_question("trajectory", 1, f"{subject} has no trajectory to read progress "
                             f"against: when will one be agreed{now}?", evidence))
    if variation.startswith("concern"):
        at = f" ({figure})" if figure else ""
        out.append(_question("variation", 2, f"The latest figure for {title}{at} is a "
                             "special-cause signal of concern, not noise: what has changed?",
                             evidence))
    if assurance == "consistently_fails":
        out.append(_question("assurance", 2, f"On its current variation {title} will "
                             "consistently fail its target: what will change in how the service "
                             "works, beyond more of the same?", evidence))
    if status == "ahead" or (status == "on_track" and variation.startswith("improvement")):
        where = "ahead of" if status == "ahead" else "on track against"
        at = f" ({figure})" if figure else ""
        out.append(_question("credit", 1, f"{subject} is {where} its trajectory{at}: what made "
                             "the difference, who should get the credit, and can it be spread?",
                             evidence))
    return out


def _deadline(r: _Reader, raw: Mapping[str, Any], status: str | None, title: str,
              subject: str, uom: str | None, evidence: str) -> list[dict[str, Any]]:
    """Met or missed at the deadline: a missed target asks for a decision, a met one gives
    credit (and asks whether the gain holds when the series has fallen back since)."""
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
    at = (f"{_value(actual, uom)} in {period} against a target of {_value(target, uom)}"
          if known else "")
    if status == "missed":
        short = (f", {_difference(abs(actual - target), uom)} short"  # type: ignore[operator]
                 if known else "")
        was = f"{title} was {at}{short}" if known else f"{title} did not reach its target"
        return [_question("target", 3, f"Target missed: {was}. What now: a new stage with a "
                          "new target, or a new deadline for this one, and what will be done "
                          "differently?", evidence)]
    out = [_question("credit", 1, f"{subject} met its target" + (f": {at}" if known else "")
                     + ". Who should get the credit, and what is the next stage?", evidence)]
    since = v.get("since") if isinstance(v.get("since"), Mapping) else None
    if since and since.get("meets_target") is False:
        value = r.number(since, "value", "headline.at_target_period.since")
        when = r.text(since, "period", "headline.at_target_period.since")
        if value is not None and when:
            out.append(_question("target", 2, f"{subject} met its target but has since fallen "
                                 f"back to {_value(value, uom)} in {when}: is the gain "
                                 "holding, or was it a peak?", evidence))
    return out


def _units(r: _Reader, ctx: Mapping[str, Any], polarity: str | None,
           word: str) -> list[dict[str, Any]]:
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

    out = []
    for name, run, gap_pct in runs[:UNITS_NAMED]:
        s = side(gap_pct)
        latest = (f", {_num(abs(gap_pct))}% {s} it at the latest" if gap_pct and s != "off"
                  else "")
        out.append(_question(
            "units", 3 if run >= LONG_RUN else 2,
            f"{name} has been {s} trajectory for {run} {word}{latest}: what will change?",
            f"{name}: off track for the last {run} {word}"
            + (f"; gap {_signed(gap_pct)}%" if gap_pct is not None else "")))
    rest = runs[UNITS_NAMED:]
    if rest:
        s = side(None)
        names = [n for n, _, _ in rest]
        out.append(_question(
            "units", 2,
            f"{_plural(len(rest), 'more unit')} ({_names(names)}) "
            f"{'has' if len(rest) == 1 else 'have'} also been {s} trajectory for "
            f"{OFF_TRACK_RUN} {word} or more: is there a common cause?",
            "; ".join(f"{n}: off track for the last {k} {word}" for n, k, _ in rest)))
    if missed:
        out.append(_question(
            "units", 2,
            f"{_plural(len(missed), 'unit')} missed {'its' if len(missed) == 1 else 'their'} "
            f"share of the target ({_names(missed)}): what does each need at the next stage?",
            "; ".join(f"{n}: target missed" for n in missed)))
    return out


def _indicators(r: _Reader, ctx: Mapping[str, Any], key: str, title: str,
                word: str) -> list[dict[str, Any]]:
    """Counter indicators getting worse (gaming, unintended effects) and lead indicators
    moving the wrong way (trouble for the headline ahead)."""
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
        by = f" ({_signed(change)})" if change is not None else ""
        evidence = f"{name}: direction worse" + (f"; change {_signed(change)}" if by else "")
        if key == "counters":
            while_ = ("" if not headline_good else f" while {title} met its target"
                      if status == "met" else f" while {title} is on track")
            out.append(_question(
                "gaming", 3 if headline_good else 2,
                f"{name}, a counter indicator, has got worse{by}{while_}: is the target being "
                "gamed, or is there an unintended effect?", evidence))
        else:
            out.append(_question(
                "leads", 2,
                f"{name}, a lead indicator, is moving the wrong way{by}: what does it mean for "
                f"{title} in the {word} ahead, and what is being done about it?", evidence))
    return out


def _overdue(r: _Reader, ctx: Mapping[str, Any], key: str, what: str,
             name_key: str) -> list[dict[str, Any]]:
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
    by = f" ({owner})" if owner else ""
    if what == "action" and len(late) == 1:
        q = (f"The action '{name}'{by} from a previous stocktake is "
             f"{_plural(days, 'day')} overdue: what is holding it up?")
    elif what == "action":
        q = (f"{len(late)} actions from earlier stocktakes are overdue, the longest "
             f"'{name}'{by} by {_plural(days, 'day')}: what is holding them up?")
    elif len(late) == 1:
        q = (f"The milestone '{name}'{by} is {_plural(days, 'day')} overdue: when will it be "
             "done, and what does the delay do to the trajectory?")
    else:
        q = (f"{len(late)} milestones are overdue, the longest '{name}'{by} by "
             f"{_plural(days, 'day')}: when will they be done, and what does the delay do to "
             "the trajectory?")
    evidence = "; ".join(f"{n}" + (f" ({o})" if o else "") + f": {_plural(d, 'day')} overdue"
                         for n, o, d in late)
    topic = "milestones" if what == "milestone" else "actions"
    return [_question(topic, 3 if days >= LONG_OVERDUE_DAYS else 2, q, evidence)]


def _quality(r: _Reader, ctx: Mapping[str, Any]) -> list[dict[str, Any]]:
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
        q = (f"Data from {poor[0][0]} scores {_num(poor[0][1])} out of 100 for quality: what "
             "will it take to fix it before the next stocktake?")
    else:
        listed = _names([f"{n} {_num(s)}" for n, s in poor])
        q = (f"Data from {len(poor)} units scores below {_num(QUALITY_THRESHOLD)} out of 100 "
             f"for quality ({listed}): what will it take to fix them before the next "
             "stocktake?")
    evidence = "; ".join(f"{n}: quality {_num(s)}/100" for n, s in poor)
    return [_question("data_quality", severity, q, evidence)]
