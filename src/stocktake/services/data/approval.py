"""Approving a unit's period (which locks it and every unit below it) and reopening it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from ...errors import Conflict, Invalid, NotFound
from ...model.entities import DeliveryModel
from ...model.periods import Period
from ...store import approvals, model_repo
from ...store.db import utcnow, writing


class ApprovalError(Conflict):
    """The period's lock is not in the state the request needs (already locked, or not)."""


def _check(model: DeliveryModel, unit: str, period: str) -> str:
    if unit not in model.units:
        raise NotFound(f"'{unit}' is not a reporting unit")
    return Period.parse(period).code  # or PeriodError, an Invalid


def approve(engine: Engine, unit: str, period: str, *, by: str, reason: str = "",
            now: datetime | None = None) -> str:
    with writing(engine) as conn:
        code = _check(model_repo.read_model(conn), unit, period)
        if (unit, code) in approvals.current_locks(conn):
            raise ApprovalError(f"{unit} {code} is already approved and locked")
        approvals.record(conn, unit, code, "approve", by=by, reason=reason, at=now or utcnow())
    return code


def reopen(engine: Engine, unit: str, period: str, *, by: str, reason: str,
           now: datetime | None = None) -> str:
    if not reason.strip():
        raise Invalid("reopening a locked period needs a reason (--reason), "
                      "which is recorded")
    with writing(engine) as conn:
        code = _check(model_repo.read_model(conn), unit, period)
        if (unit, code) not in approvals.current_locks(conn):
            raise ApprovalError(f"{unit} {code} is not locked")
        approvals.record(conn, unit, code, "reopen", by=by, reason=reason, at=now or utcnow())
    return code
