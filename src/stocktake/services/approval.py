"""Approving a unit's period (which locks it and every unit below it) and reopening it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from ..model.entities import DeliveryModel
from ..model.periods import Period, PeriodError
from ..store import approvals, model_repo
from ..store.db import utcnow, writing


class ApprovalError(ValueError):
    pass


def _check(model: DeliveryModel, unit: str, period: str) -> str:
    if unit not in model.units:
        raise ApprovalError(f"'{unit}' is not a reporting unit")
    try:
        return Period.parse(period).code
    except PeriodError as exc:
        raise ApprovalError(str(exc)) from None


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
        raise ApprovalError("reopening a locked period needs a reason (--reason), "
                            "which is recorded")
    with writing(engine) as conn:
        code = _check(model_repo.read_model(conn), unit, period)
        if (unit, code) not in approvals.current_locks(conn):
            raise ApprovalError(f"{unit} {code} is not locked")
        approvals.record(conn, unit, code, "reopen", by=by, reason=reason, at=now or utcnow())
    return code
