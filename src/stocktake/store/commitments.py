"""Queries for commitments, their status changes, priorities' intensity and priority
reviews (schema_commitments). Histories are appended, never edited; reads take ``as_of``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from .schema_commitments import commitment_statuses as cs
from .schema_commitments import commitments as c
from .schema_commitments import priority_intensity as pi
from .schema_commitments import priority_reviews as pr

DETAILS = ("text", "minister", "department", "partners", "rationale", "evidence", "priority",
           "indicator", "public", "text_fr", "rationale_fr")


def upsert(conn: Connection, row: dict[str, Any], *, at: datetime) -> bool:
    """Insert a commitment or replace its details; True when anything changed."""
    values = {k: row[k] for k in DETAILS}
    old = conn.execute(select(c).where(c.c.code == row["code"])).mappings().first()
    if old is None:
        conn.execute(c.insert().values(code=row["code"], updated_at=at, **values))
        return True
    if all(old[k] == v for k, v in values.items()):
        return False
    conn.execute(c.update().where(c.c.code == row["code"]).values(updated_at=at, **values))
    return True


def add_status(conn: Connection, code: str, *, status: str, reason: str, by: str,
               at: datetime) -> None:
    conn.execute(cs.insert().values(commitment=code, status=status, reason=reason, by=by,
                                    at=at))


def rows(conn: Connection, as_of: datetime | None = None) -> list[dict[str, Any]]:
    """Every commitment (its details now) that existed at ``as_of``, by code."""
    q = select(c).order_by(c.c.code)
    if as_of is not None:
        first = select(cs.c.commitment).where(cs.c.at <= as_of)
        q = q.where(c.c.code.in_(first))
    return _dicts(conn.execute(q))


def _dicts(result: Any) -> list[dict[str, Any]]:
    """Rows as dicts, the column names read once (a RowMapping per row costs more than the
    query on a page of 500 commitments)."""
    keys = list(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result]


def statuses(conn: Connection, as_of: datetime | None = None,
             codes: list[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """code -> its status changes recorded at or before ``as_of``, oldest first."""
    q = select(cs).order_by(cs.c.at, cs.c.id)
    if as_of is not None:
        q = q.where(cs.c.at <= as_of)
    if codes is not None:
        q = q.where(cs.c.commitment.in_(codes))
    out: dict[str, list[dict[str, Any]]] = {}
    for r in _dicts(conn.execute(q)):
        out.setdefault(r["commitment"], []).append(r)
    return out


def newest_status_time(conn: Connection) -> datetime | None:
    return conn.execute(select(func.max(cs.c.at))).scalar()


def add_intensity(conn: Connection, priority: str, *, level: str, reason: str, by: str,
                  at: datetime) -> None:
    conn.execute(pi.insert().values(priority=priority, level=level, reason=reason, by=by,
                                    at=at))


def intensities(conn: Connection, as_of: datetime | None = None
                ) -> dict[str, list[dict[str, Any]]]:
    """priority -> its intensity changes recorded at or before ``as_of``, oldest first."""
    q = select(pi).order_by(pi.c.at, pi.c.id)
    if as_of is not None:
        q = q.where(pi.c.at <= as_of)
    out: dict[str, list[dict[str, Any]]] = {}
    for r in conn.execute(q).mappings():
        out.setdefault(r["priority"], []).append(dict(r))
    return out


def next_review_number(conn: Connection) -> int:
    return (conn.execute(select(func.max(pr.c.review))).scalar() or 0) + 1


def add_review_version(conn: Connection, number: int, priority: str,
                       document: dict[str, Any], *, by: str, reason: str,
                       at: datetime) -> int:
    last = conn.execute(select(func.max(pr.c.version)).where(pr.c.review == number)).scalar()
    version = (last or 0) + 1
    conn.execute(pr.insert().values(priority=priority, review=number, version=version,
                                    document={**document, "version": version}, by=by,
                                    reason=reason, at=at))
    return version


def reviews(conn: Connection, as_of: datetime | None = None,
            priority: str | None = None) -> dict[int, list[dict[str, Any]]]:
    """review number -> its versions recorded at or before ``as_of``, oldest first."""
    q = select(pr).order_by(pr.c.review, pr.c.version)
    if as_of is not None:
        q = q.where(pr.c.at <= as_of)
    if priority is not None:
        q = q.where(pr.c.priority == priority)
    out: dict[int, list[dict[str, Any]]] = {}
    for r in conn.execute(q).mappings():
        out.setdefault(r["review"], []).append(dict(r))
    return out
