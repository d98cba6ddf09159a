"""Accepting and removing rebases of SPC limits. A rebase is suggested by the analysis (with
its evidence) but used only once an analyst accepts it, with a reason that is recorded with
who and when; readings --as-of a moment before the acceptance do not use it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Engine

from ...errors import Conflict, Invalid, NotFound
from ...model.periods import Period, PeriodError
from ...results.readings import RebaseEvent
from ...store import model_repo, rebases
from ...store.db import utcnow, writing
from .series_data import check_indicator, check_unit


def _key(conn: Connection, indicator: str, unit: str, period: str) -> str:
    model = model_repo.read_model(conn)
    ind = check_indicator(model, indicator)
    check_unit(model, unit)
    try:
        return Period.parse(period, ind.period_type).code
    except PeriodError as exc:
        raise Invalid(f"rebase period for '{indicator}': {exc}") from None


def accept_rebase(engine: Engine, indicator: str, unit: str, period: str, *, reason: str,
                  by: str, now: datetime | None = None) -> RebaseEvent:
    """Record that SPC limits of ``indicator`` at ``unit`` restart at ``period``."""
    if not reason.strip():
        raise Invalid("accepting a rebase needs a reason (--reason): what changed, and why "
                      "the change is understood and sustained; it is recorded")
    with writing(engine) as conn:
        code = _key(conn, indicator, unit, period)
        in_force = rebases.in_force(conn, [indicator]).get((indicator, unit), [])
        if any(r.period == code for r in in_force):
            raise Conflict(f"a rebase of '{indicator}' at '{unit}' at {code} is already "
                           "accepted")
        at = now or utcnow()
        rebases.record(conn, indicator, unit, code, "accept", reason=reason.strip(), by=by,
                       at=at)
    return RebaseEvent(indicator=indicator, unit=unit, period=code, action="accept",
                       reason=reason.strip(), by=by, at=at.isoformat(timespec="seconds"))


def remove_rebase(engine: Engine, indicator: str, unit: str, period: str, *, reason: str,
                  by: str, now: datetime | None = None) -> RebaseEvent:
    """Record that an accepted rebase no longer applies (it stays in the history)."""
    if not reason.strip():
        raise Invalid("removing a rebase needs a reason (--reason); it is recorded")
    with writing(engine) as conn:
        code = _key(conn, indicator, unit, period)
        in_force = rebases.in_force(conn, [indicator]).get((indicator, unit), [])
        if not any(r.period == code for r in in_force):
            shown = ", ".join(r.period for r in in_force) or "none"
            raise NotFound(f"no accepted rebase of '{indicator}' at '{unit}' at {code} "
                           f"(accepted: {shown})")
        at = now or utcnow()
        rebases.record(conn, indicator, unit, code, "remove", reason=reason.strip(), by=by,
                       at=at)
    return RebaseEvent(indicator=indicator, unit=unit, period=code, action="remove",
                       reason=reason.strip(), by=by, at=at.isoformat(timespec="seconds"))


def rebase_history(engine: Engine, indicator: str, unit: str) -> tuple[RebaseEvent, ...]:
    """Every acceptance and removal for one indicator at one unit, oldest first."""
    with engine.connect() as conn:
        model = model_repo.read_model(conn)
        check_indicator(model, indicator)
        check_unit(model, unit)
        rows = rebases.events(conn, indicator, unit)
    return tuple(RebaseEvent(**{**r, "at": r["at"].isoformat(timespec="seconds")})
                 for r in rows)
