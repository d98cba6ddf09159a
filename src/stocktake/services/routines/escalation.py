"""Escalation (issue #17): each priority's intensity (routine, intensive, crisis) with the
history of its changes and their reasons, and priority reviews: commissioned (scope, team),
reported (findings, recommendations, each an action with an owner and a due date), followed
up (each recommendation's status) and closed. Every change is a new row or a new version:
what was known at T is read back as it was."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine

from ...delivery import escalation as de
from ...errors import N_, Conflict, Invalid, NotFound, Problem, Text
from ...model.entities import DeliveryModel
from ...results.commitments import EscalationReport, PriorityEscalation, ReviewDone
from ...store import commitments as store
from ...store import delivery as actions_store
from ...store.db import writing
from ..admin import audit
from ..reading.clock import now_of
from ..reading.series_data import check_priority, read_model
from .stocktakes import record_update


def set_intensity(engine: Engine, priority: str, level: str, *, reason: str, by: str,
                  at: datetime | None = None, ip: str | None = None) -> PriorityEscalation:
    """Move a priority to ``level`` with why (required)."""
    check_priority(read_model(engine), priority)
    de.check_level(level)
    why = de.need_text(reason, "reason", N_("a reason for the change of intensity"))
    moment = now_of(engine, at)
    with writing(engine) as conn:
        store.add_intensity(conn, priority, level=level, reason=why, by=by, at=moment)
        audit.record(conn, "intensity_set", actor=by, subject=priority, ip=ip, at=moment,
                     detail={"level": level})
    return escalation(engine, priority=priority).priorities[0]


def _review(versions: list[dict[str, Any]]) -> de.Review:
    return de.Review.from_dict(versions[-1]["document"])


def escalation(engine: Engine, *, priority: str | None = None,
               as_of: datetime | None = None,
               model: DeliveryModel | None = None) -> EscalationReport:
    """Every priority's (or one's) intensity and reviews as known at ``as_of`` (``model``:
    the one already read, e.g. a page's snapshot's)."""
    model = model or read_model(engine)
    if priority is not None:
        check_priority(model, priority)
    with engine.connect() as conn:
        levels = store.intensities(conn, as_of)
        reviews = store.reviews(conn, as_of, priority)
        followed = _followed_up(conn, priority, as_of)
    by_priority: dict[str, list[de.Review]] = {}
    for versions in reviews.values():
        r = _as_followed_up(_review(versions), followed)
        by_priority.setdefault(r.priority, []).append(r)
    out = []
    for code, p in model.priorities.items():
        if priority is not None and code != priority:
            continue
        history = levels.get(code, [])
        level = history[-1]["level"] if history else de.DEFAULT_INTENSITY
        mine = sorted(by_priority.get(code, []), key=lambda r: -r.number)
        out.append(PriorityEscalation(
            priority=code, title=p.title, level=level, label=de.INTENSITIES[level],
            history=tuple(de.IntensityChange(code, h["level"], h["reason"], h["by"],
                                             h["at"]).to_dict() for h in history),
            reviews=tuple(r.to_dict() for r in mine),
            open_reviews=sum(r.open for r in mine)))
    return EscalationReport(as_of=now_of(engine, as_of), priorities=tuple(out))


def _followed_up(conn: Connection, priority: str | None, as_of: datetime | None
                 ) -> dict[tuple[int, str], dict[str, Any]]:
    """The actions of the reviews' recommendations, by (review, code): their status is the
    one of record, however it was followed up (here or as an action)."""
    return {(a["review"], a["code"]): a for a in actions_store.actions(conn, priority, as_of)
            if a["review"] is not None}


def _as_followed_up(review: de.Review, followed: dict[tuple[int, str], dict[str, Any]]
                    ) -> de.Review:
    recs = []
    for r in review.recommendations:
        action = followed.get((review.number, r.code))
        if action is not None:
            notes = [u["note"] for u in action["updates"][1:] if u["note"].strip()]
            r = de.Recommendation(**{**r.__dict__, "status": action["status"],
                                     "note": notes[-1] if notes else r.note})
        recs.append(r)
    return de.Review(**{**review.__dict__, "recommendations": tuple(recs)})


def _save(engine: Engine, review: de.Review, *, what: str, by: str, moment: datetime,
          ip: str | None, also: Callable[[Connection], Any] | None = None) -> ReviewDone:
    """Store the review's next version with its audit entry and, in the same transaction,
    ``also`` (the actions a report raises, or the update a follow-up records)."""
    with writing(engine) as conn:
        if also is not None:
            also(conn)
        version = store.add_review_version(conn, review.number, review.priority,
                                           review.to_dict(), by=by, reason=what, at=moment)
        audit.record(conn, "review_changed", actor=by, subject=review.priority, ip=ip,
                     at=moment, detail={"review": review.number, "what": what})
    doc = {**review.to_dict(), "version": version}
    return ReviewDone(what=what, review=doc, by=by, at=moment)


def _current(engine: Engine, number: int) -> de.Review:
    with engine.connect() as conn:
        versions = store.reviews(conn).get(number)
        known = sorted(store.reviews(conn))
    if not versions:
        raise NotFound(Text(N_("no priority review %(number)s (reviews: %(known)s)"),
                            number=str(number),
                            known=", ".join(map(str, known)) or Text(N_("none yet"))))
    review = _review(versions)
    with engine.connect() as conn:
        return _as_followed_up(review, _followed_up(conn, review.priority, None))


def commission_review(engine: Engine, priority: str, *, scope: str, team: list[str],
                      by: str, on: date | None = None, at: datetime | None = None,
                      ip: str | None = None) -> ReviewDone:
    """Commission a review of ``priority``: what it will look at and who will do it."""
    check_priority(read_model(engine), priority)
    scope = de.need_text(scope, "scope", N_("the review's scope (what it will look at)"))
    members = tuple(t.strip() for t in team if t.strip())
    if not members:
        raise Invalid(Problem(Text(N_("a review needs its team (one name at least)")), "team"))
    moment = now_of(engine, at)
    with engine.connect() as conn:
        number = store.next_review_number(conn)
    review = de.Review(number=number, priority=priority, stage="commissioned",
                       commissioned_on=on or moment.date(), scope=scope, team=members)
    return _save(engine, review, what="commissioned", by=by, moment=moment, ip=ip)


def report_review(engine: Engine, number: int, *, findings: str,
                  recommendations: list[dict[str, Any]], by: str,
                  at: datetime | None = None, ip: str | None = None) -> ReviewDone:
    """Record what a commissioned review found and recommends (each recommendation an
    action: text, owner, due)."""
    review = _current(engine, number)
    if review.stage != "commissioned":
        raise Conflict(Text(N_("review %(number)s is already %(stage)s"), number=str(number),
                            stage=review.stage))
    text = de.need_text(findings, "findings", N_("the review's findings"))
    recs = de.parse_recommendations(recommendations)
    moment = now_of(engine, at)
    done = de.Review(**{**review.__dict__, "stage": "reported", "findings": text,
                        "recommendations": recs})

    def raise_actions(conn: Connection) -> None:  # each recommendation an action
        for r in recs:
            actions_store.add_action(
                conn, review.priority, None, review=number, code=r.code, text=r.text,
                owner=r.owner, due=r.due.isoformat(), raised_on=moment.date().isoformat(),
                status=r.status, by=by, at=moment)

    return _save(engine, done, what="reported", by=by, moment=moment, ip=ip,
                 also=raise_actions)


def follow_up(engine: Engine, number: int, recommendation: str, *, status: str,
              note: str = "", by: str, at: datetime | None = None,
              ip: str | None = None) -> ReviewDone:
    """A new status (and note) for one recommendation of a reported review."""
    review = _current(engine, number)
    if review.stage != "reported":
        raise Conflict(Text(N_("review %(number)s is %(stage)s: only a reported review's "
                               "recommendations are followed up"), number=str(number),
                            stage=review.stage))
    de.check_recommendation_status(status)
    codes = [r.code for r in review.recommendations]
    if recommendation not in codes:
        raise NotFound(Text(N_("review %(number)s has no recommendation '%(code)s' (it has "
                               "%(codes)s)"), number=str(number), code=recommendation,
                            codes=", ".join(codes)))
    recs = tuple(de.Recommendation(**{**r.__dict__, "status": status,
                                      "note": note.strip() or r.note})
                 if r.code == recommendation else r for r in review.recommendations)
    done = de.Review(**{**review.__dict__, "recommendations": recs})
    moment = now_of(engine, at)

    def update_action(conn: Connection) -> None:  # the same record as `actions update`
        action_id = actions_store.review_action_ids(conn, number)[recommendation]
        record_update(conn, action_id, status=status, note=note.strip(), on=moment.date(),
                      by=by, at=moment)

    return _save(engine, done, what=f"{recommendation} {status}", by=by, moment=moment,
                 ip=ip, also=update_action)


def close_review(engine: Engine, number: int, *, reason: str, by: str,
                 at: datetime | None = None, ip: str | None = None) -> ReviewDone:
    review = _current(engine, number)
    if review.stage == "closed":
        raise Conflict(Text(N_("review %(number)s is already closed"), number=str(number)))
    why = de.need_text(reason, "reason", N_("why the review is closed"))
    done = de.Review(**{**review.__dict__, "stage": "closed"})
    return _save(engine, done, what=f"closed: {why}", by=by, moment=now_of(engine, at),
                 ip=ip)


def escalation_brief(engine: Engine, *, priority: str | None = None,
                     as_of: datetime | None = None,
                     model: DeliveryModel | None = None) -> list[dict[str, Any]]:
    """What the portfolio, pack and note show: each priority (or the one) that is not on
    routine monitoring or has an open review, with its intensity, the latest reason and its
    open reviews (number, stage, scope). Empty when every priority is routine and no review
    is open, so that documents without escalation read as before."""
    out = []
    for p in escalation(engine, priority=priority, as_of=as_of, model=model).priorities:
        if p.level == de.DEFAULT_INTENSITY and not p.open_reviews:
            continue
        out.append({"code": p.priority, "title": p.title, "level": p.level,
                    "label": p.label,
                    "reason": p.history[-1]["reason"] if p.history else "",
                    "since": p.history[-1]["at"] if p.history else None,
                    "open_reviews": [{"number": r["number"], "stage": r["stage"],
                                      "scope": r["scope"]}
                                     for r in p.reviews if r["stage"] != "closed"]})
    return out
