"""Alerts: can we trust these numbers? (the method: docs/methods/alerts.md)

For each priority, at each level of units below its scope (three units or more, so that a
unit has peers), the data as known at the snapshot's moment are read for:

- **counter alerts**: each unit's headline against each of the priority's counters;
- **ratio shifts**: each pair of indicators declared to move together (indicators.yaml
  ``related``) that bears on the priority (either side is its headline, a counter, a lead
  or one of their components);
- **local breaks**: the headline and each counter (but a ratio of a declared pair, whose
  break is that pair's ratio shift);
- **drifts**: each counter (but such a ratio) sliding the worse way against its peers.

A related pair that bears on no priority is read below every top unit. An alert is known
by its id, a digest of its kind, unit, indicators and first period: the same change found
again next month (with more data) is the same alert, so its review still applies. Its
status is the newest review recorded up to the moment read ("open" without one).

Detection takes seconds on a large world: what it finds is kept per database, data version
and priority (the data of a moment never change), so pages and a review after a listing do
not read it again. Reviews are read fresh every time.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, select

from ...analysis.alerts import (
    Alert,
    counter_alerts,
    drift_alerts,
    local_break_alerts,
    ratio_shift_alerts,
)
from ...analysis.wording import Named, Sentence
from ...errors import Invalid, NotFound, Problem, did_you_mean
from ...model.entities import DeliveryModel, Polarity, Priority, is_percent
from ...model.periods import Period
from ...results.alerts import REVIEW_STATUSES, AlertItem, AlertReview, AlertsReport, ReviewDone
from ...store import alert_reviews
from ...store import schema as s
from ...store.db import utcnow, writing
from ..admin import audit
from .series_data import SeriesData, check_priority, check_unit, components
from .snapshot import Snapshot

MIN_PEERS = 3  # units at a level: fewer, and a unit has no peers to be read against


@dataclass(frozen=True)
class _Found:
    """An alert as detected, before its status is read: with where it was read."""

    alert: Alert
    level: str
    priorities: tuple[str, ...]


# -- what is read ------------------------------------------------------------------------------
def related_pairs(model: DeliveryModel) -> list[tuple[str, str]]:
    """Every declared (indicator, related indicator) pair, in the model's order."""
    return [(code, other) for code, ind in model.indicators.items() for other in ind.related
            if other in model.indicators]


def priority_pairs(model: DeliveryModel, p: Priority) -> list[tuple[str, str]]:
    """The related pairs that bear on a priority: either side is its headline, a counter, a
    lead, or an indicator one of those is computed from."""
    near: set[str] = set()
    for code in (p.headline, *p.counters, *p.leads):
        near |= components(model, code)
    return [pair for pair in related_pairs(model) if near & set(pair)]


def drifting_counters(model: DeliveryModel, counters: Iterable[str],
                      pairs: list[tuple[str, str]]) -> list[str]:
    """The counters read for a drift: those with a worse direction (not neutral) and not
    the ratio of a declared pair (whose slide is that pair's ratio shift)."""
    return [c for c in counters if c in model.indicators
            and model.indicators[c].polarity != Polarity.NEUTRAL
            and (model.indicators[c].numerator, model.indicators[c].denominator) not in pairs]


def peer_levels(model: DeliveryModel, scope: str) -> list[tuple[str, list[str]]]:
    """(level, units) for each level below ``scope`` with at least MIN_PEERS units, from the
    top down."""
    by_level: dict[str, list[str]] = {}
    for u in model.descendants(scope):
        by_level.setdefault(u.level, []).append(u.code)
    levels = sorted(by_level, key=lambda lv: model.depth(by_level[lv][0]))
    return [(lv, by_level[lv]) for lv in levels if len(by_level[lv]) >= MIN_PEERS]


def _panel(data: SeriesData, code: str, rows: list[int], periods: list[str]) -> np.ndarray:
    """(units, periods) of complete values (a partial roll-up counts as missing), on the
    given periods (NaN where the indicator has none)."""
    r = data.rollup(code)
    values = np.where(r.value_partial, np.nan, r.value)[rows]
    out = np.full((len(rows), len(periods)), np.nan)
    where = {p: i for i, p in enumerate(periods)}
    for j, p in enumerate(r.periods or ()):
        if p in where:
            out[:, where[p]] = values[:, j]
    return out


def _periods(data: SeriesData, *codes: str) -> list[str]:
    """The periods any of ``codes`` has, in order (they share a period type)."""
    seen = {p for c in codes for p in (data.rollup(c).periods or ())}
    return sorted(seen, key=lambda p: Period.parse(p).ordinal)


def _detect(data: SeriesData, model: DeliveryModel, level: str, units: list[str],
            headline: str | None, counters: list[str],
            pairs: list[tuple[str, str]]) -> Iterator[Alert]:
    """The alerts of one level of units: counters against the headline, ratio shifts of the
    pairs, local breaks of the headline and counters, drifts of the counters."""
    rows = [data.hierarchy.position(u) for u in units]
    names = {u: model.units[u].name for u in units}
    read = dict(names=names, peer_word=level)
    # Indicators by name in the explanations ("Alberta's housing completions improved ...").
    words = {c: _in_sentence(model.indicators[c].name) for c in model.indicators}
    # Changes of a percentage are said in points, not as a percent of a percent.
    percent = {c for c, ind in model.indicators.items() if is_percent(ind.unit)}
    drifting = drifting_counters(model, counters, pairs)
    for code in [c for c in (headline, *counters) if c]:
        ind = model.indicators[code]
        if (ind.numerator, ind.denominator) in pairs:
            continue  # a break in this ratio is a ratio shift of the declared pair
        periods = _periods(data, code)
        panel = _panel(data, code, rows, periods)
        yield from local_break_alerts(units, panel, periods, indicator=code, words=words,
                                      percent=percent, **read)
        if code in drifting:
            # a counter sliding the worse way; a headline's drift is delivery itself
            yield from drift_alerts(units, panel, periods, indicator=code, words=words,
                                    percent=percent, polarity=ind.polarity.value, **read)
    if headline:
        head = model.indicators[headline]
        for code in counters:
            counter = model.indicators[code]
            if (counter.period_type != head.period_type or Polarity.NEUTRAL in
                    (head.polarity, counter.polarity)):
                continue  # no better and worse direction, or not the same periods
            periods = _periods(data, headline, code)
            hv, cv = (_panel(data, c, rows, periods) for c in (headline, code))
            for i, u in enumerate(units):
                yield from counter_alerts(u, hv[i], cv[i], periods,
                                          indicators=(headline, code),
                                          headline_polarity=head.polarity.value,
                                          counter_polarity=counter.polarity.value,
                                          name=names[u], words=words, percent=percent)
    for num, den in pairs:
        periods = _periods(data, num, den)
        # said in another language by the indicators' names there (analysis.wording)
        words = Sentence("%(numerator)s per %(denominator)s",
                         numerator=Named("indicator", num, model.indicators[num].name.lower()),
                         denominator=Named("indicator", den,
                                           model.indicators[den].name.lower()))
        yield from ratio_shift_alerts(units, _panel(data, num, rows, periods),
                                      _panel(data, den, rows, periods), periods,
                                      indicators=(num, den), ratio_words=words, **read)


def _in_sentence(name: str) -> str:
    """A name as it reads mid-sentence: "Housing completions" -> "housing completions"
    (an acronym such as "ED waits" stays as it is)."""
    return name[0].lower() + name[1:] if name[1:2].islower() else name


def _scope_codes(headline: str | None, counters: list[str],
                 pairs: list[tuple[str, str]]) -> list[str]:
    return [c for c in (headline, *counters) if c] + [c for pair in pairs for c in pair]


def _scope_alerts(snap: Snapshot, scope: str, headline: str | None, counters: list[str],
                  pairs: list[tuple[str, str]]) -> list[tuple[Alert, str]]:
    model = snap.model
    codes = _scope_codes(headline, counters, pairs)
    if not codes:
        return []
    data = snap.data(codes)
    return [(a, level) for level, units in peer_levels(model, scope)
            for a in _detect(data, model, level, units, headline, counters, pairs)]


# -- kept per data version -----------------------------------------------------------------------
_cache: dict[tuple[Any, ...], list[tuple[Alert, str]]] = {}
_lock = threading.Lock()
CACHE_SIZE = 64


def _version(engine: Engine, as_of: datetime | None) -> tuple[Any, ...]:
    """What the detection read depends on: the database, the moment, the newest batch (its
    id, time and checksum) and the newest model load (its id and time, and how many changes
    all loads made): a database emptied and filled again can repeat an id, not all four."""
    b, m = s.batches, s.model_loads
    with engine.connect() as conn:
        batch = conn.execute(select(b.c.id, b.c.recorded_at, b.c.checksum)
                             .order_by(b.c.id.desc()).limit(1)).first()
        load = conn.execute(select(m.c.id, m.c.loaded_at).order_by(m.c.id.desc()).limit(1)
                            ).first()
        changes = conn.execute(select(func.count()).select_from(s.model_changes)).scalar()
    return (engine.url.render_as_string(hide_password=False), as_of,
            tuple(batch or ()), tuple(load or ()), changes)


def _cached(key: tuple[Any, ...], compute: Callable[[], list[tuple[Alert, str]]]
            ) -> list[tuple[Alert, str]]:
    """The detection for ``key``, computed once per data version (oldest dropped first)."""
    with _lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    value = compute()
    with _lock:
        if len(_cache) >= CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = value
    return value


def _found(snap: Snapshot, priority: str | None) -> list[_Found]:
    """Every alert of the priority (or of every priority and of the pairs bearing on none),
    one per id, with the priorities it bears on."""
    model = snap.model
    version = _version(snap.engine, snap.as_of)
    chosen = [model.priorities[priority]] if priority else list(model.priorities.values())
    out: dict[str, _Found] = {}

    def add(alerts: Iterable[tuple[Alert, str]], code: str | None) -> None:
        for a, level in alerts:
            key = alert_id(a)
            known = out.get(key)
            if known is None:
                out[key] = _Found(a, level, (code,) if code else ())
            elif code and code not in known.priorities:
                out[key] = replace(known, priorities=(*known.priorities, code))

    scopes = [((*version, "priority", p.code), p.code, p.scope, p.headline, list(p.counters),
               priority_pairs(model, p)) for p in chosen]
    if priority is None:
        covered = {pair for p in model.priorities.values() for pair in priority_pairs(model, p)}
        rest = [pair for pair in related_pairs(model) if pair not in covered]
        scopes += [((*version, "related", root.code), None, root.code, None, [], rest)
                   for root in model.roots()]
    # One load for every scope still to compute: a snapshot loading indicators one scope at
    # a time would read the data again for each.
    with _lock:
        missing = [sc for sc in scopes if sc[0] not in _cache]
    if missing:
        snap.data([c for sc in missing for c in _scope_codes(*sc[3:])])
    for key, code, scope, headline, counters, pairs in scopes:
        add(_cached(key, lambda a=(scope, headline, counters, pairs): _scope_alerts(snap, *a)),
            code)
    return list(out.values())


# -- the service -------------------------------------------------------------------------------
def alert_id(a: Alert) -> str:
    """The alert's identity, stable across runs: a digest of its kind, unit, indicators and
    first period (12 hex digits)."""
    key = "|".join((a.kind, a.unit, ",".join(a.indicators), a.start))
    return hashlib.sha1(key.encode()).hexdigest()[:12]  # noqa: S324 - an identity, not security


def _within(model: DeliveryModel, unit: str, code: str) -> bool:
    return unit == code or code in {u.code for u in model.ancestors(unit)}


def _review(row: dict) -> AlertReview:
    return AlertReview(alert=row["alert"], status=row["status"], note=row["note"],
                       by=row["by"], at=row["at"])


ORDER = {"open": 0, "confirmed": 1, "explained": 2}


def alerts(snap: Snapshot, *, priority: str | None = None,
           unit: str | None = None) -> AlertsReport:
    """The alerts raised on the data as known at the snapshot's moment, with their status as
    reviewed up to that moment: of one priority, and of one unit and the units below it, if
    asked. Open alerts first, then confirmed, then explained; within each, by unit and
    start."""
    model = snap.model
    if priority is not None:
        check_priority(model, priority)
    if unit is not None:
        check_unit(model, unit)
    found = [f for f in _found(snap, priority)
             if unit is None or _within(model, f.alert.unit, unit)]
    ids = [alert_id(f.alert) for f in found]
    with snap.engine.connect() as conn:
        history = alert_reviews.reviews(conn, ids, snap.as_of) if ids else {}
    items = []
    for key, f in zip(ids, found, strict=True):
        a, reviews = f.alert, tuple(_review(r) for r in history.get(key, []))
        items.append(AlertItem(
            kind=a.kind, unit=a.unit, indicators=a.indicators, start=a.start, end=a.end,
            size=a.size, evidence=a.evidence, strength=a.strength,
            status=reviews[-1].status if reviews else "open", explanation=a.explanation,
            id=key, unit_name=model.units[a.unit].name, level=f.level,
            priorities=f.priorities, history=reviews))
    order = list(model.units).index
    items.sort(key=lambda x: (ORDER[x.status], order(x.unit), Period.parse(x.start).ordinal,
                              x.kind, x.indicators))
    return AlertsReport(tuple(items))


def review_alert(engine: Engine, alert: str, *, status: str, note: str, by: str,
                 now: datetime | None = None, ip: str | None = None) -> ReviewDone:
    """Record that an analyst marked ``alert`` (its id) explained or confirmed, or reopened
    it, with a note (and in the audit log, with where from). The alert must be raised on
    the data as they now stand."""
    if status not in REVIEW_STATUSES:
        raise Invalid(Problem(f"'{status}' is not a status of an alert: "
                              f"{', '.join(REVIEW_STATUSES)}"
                              f"{did_you_mean(status, REVIEW_STATUSES)}", "status"))
    if not note.strip():
        raise Invalid(Problem("a review needs a note: why the alert is explained or "
                              "confirmed, or why it is reopened; it is recorded", "note"))
    current = {a.id: a for a in alerts(Snapshot(engine)).alerts}
    if alert not in current:
        raise NotFound(f"no alert '{alert}' is raised on the data as they stand"
                       + did_you_mean(alert, list(current)))
    a = current[alert]
    at = now or utcnow()
    with writing(engine) as conn:
        alert_reviews.record(conn, alert=alert, kind=a.kind, unit=a.unit,
                             indicators=a.indicators, start=a.start, status=status,
                             note=note.strip(), by=by, at=at)
        audit.record(conn, "alert_reviewed", actor=by, subject=alert, ip=ip, at=at,
                     detail={"status": status, "unit": a.unit, "kind": a.kind})
    review = AlertReview(alert=alert, status=status, note=note.strip(), by=by, at=at)
    return ReviewDone(review=review, alert=replace(a, status=status,
                                                   history=(*a.history, review)))


__all__ = ["alert_id", "alerts", "drifting_counters", "peer_levels", "priority_pairs",
           "related_pairs", "review_alert"]
