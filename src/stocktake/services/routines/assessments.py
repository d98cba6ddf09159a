"""Likelihood-of-delivery assessments, round by round, shown beside the statistics, with a
flag wherever judgement and statistics disagree."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from ...delivery import assessments as da
from ...delivery.errors import DeliveryError
from ...errors import N_, Invalid, Text
from ...results.delivery import AssessmentRecorded, AssessmentRound, AssessmentsView
from ...results.status import PriorityStatus, SpcHeadline
from ...store import delivery as store
from ...store.db import writing
from ..reading.clock import now_of
from ..reading.series_data import check_priority, iso, read_model
from ..reading.snapshot import Snapshot
from ..reading.status import priority_status
from .documents import load_document


def record_assessment(engine: Engine, priority: str, source: str | Path | Any, *, by: str,
                      at: datetime | None = None) -> AssessmentRecorded:
    """Store one round's assessment (re-recording a round replaces it from then on)."""
    if not by.strip():
        raise Invalid(Text(N_("an assessment needs the name of who records it (--by)")))
    model = read_model(engine)
    check_priority(model, priority)
    raw, name = load_document(source)
    try:
        current = da.parse_assessment(raw)
    except DeliveryError as exc:
        raise DeliveryError(exc.problems, source=name) from None
    with writing(engine) as conn:
        day = current.assessed_on.isoformat()
        earlier = [r for r in store.assessments(conn, priority)
                   if r["round"] != current.round and r["assessed_on"] <= day]
        store.add_assessment(conn, priority, round=current.round,
                             assessed_on=current.assessed_on.isoformat(),
                             likelihood=current.likelihood, document=current.to_dict(), by=by,
                             at=now_of(engine) if at is None else at)
    previous = da.parse_assessment(earlier[-1]["document"]) if earlier else None
    return AssessmentRecorded(priority=priority, round=current.round,
                              likelihood=current.likelihood,
                              change=da.change(previous, current))


def evidence(status_row: PriorityStatus) -> dict[str, Any]:
    """The statistics an assessment is read beside, from a priority_status row."""
    spc = status_row.spc if isinstance(status_row.spc, SpcHeadline) else None
    icon = None if spc is None else spc.variation_icon
    return {"status": status_row.status, "gap": status_row.gap,
            "gap_pct": status_row.gap_pct,
            "latest": status_row.latest, "expected": status_row.expected,
            "probability_of_meeting": status_row.probability_of_meeting,
            "variation_icon": icon,
            # 'concern_high' -> 'concern': the judgement is about good or bad, not direction
            "variation": (icon or "").removesuffix("_high").removesuffix("_low") or None,
            "assurance_icon": None if spc is None else spc.assurance_icon,
            "data_as_of": status_row.data_as_of}


def flags(assessment: da.Assessment, stats: dict[str, Any]) -> list[dict[str, Any]]:
    return da.disagreement(assessment.likelihood,
                           probability=stats.get("probability_of_meeting"),
                           status=stats.get("status"),
                           variation_icon=stats.get("variation"))


def assessment_rounds(engine: Engine, priority: str, *, as_of: datetime | None = None
                      ) -> list[tuple[AssessmentRound, da.Assessment]]:
    """Every round known at ``as_of``, oldest first, each with its change since the last
    (and the parsed assessment, to read beside the statistics)."""
    with engine.connect() as conn:
        rows = store.assessments(conn, priority, as_of)
    out, previous = [], None
    for r in rows:
        current = da.parse_assessment(r["document"])
        out.append((AssessmentRound(
            round=r["round"], assessed_on=r["assessed_on"], likelihood=current.likelihood,
            recorded_by=r["recorded_by"], recorded_at=iso(r["recorded_at"]),
            assessment=current.to_dict(), change=da.change(previous, current)), current))
        previous = current
    return out


def show_assessments(engine: Engine, priority: str, *, as_of: datetime | None = None,
                     status_row: PriorityStatus | None = None) -> AssessmentsView:
    """The history of rounds, and the latest beside the statistics known at ``as_of``."""
    model = read_model(engine)
    check_priority(model, priority)
    rounds = assessment_rounds(engine, priority, as_of=as_of)
    if status_row is None:
        (status_row,) = priority_status(Snapshot(engine, as_of), priority=priority,
                                       units=False).priorities
    stats = evidence(status_row)
    latest = rounds[-1] if rounds else None
    return AssessmentsView(
        priority=priority, as_of=iso(as_of), today=now_of(engine, as_of).date().isoformat(),
        evidence=stats, latest=None if latest is None else latest[0],
        flags=() if latest is None else tuple(flags(latest[1], stats)),
        rounds=tuple(r for r, _ in rounds))
