"""The demo's commitments and escalation (issue #17), all simulated and labelled so: a few
hundred (500) mandate-letter commitments across ministers and departments, some serving a
priority, each with a history of status changes; and an escalation: the priority rated
worst moved to intensive support, a priority review commissioned, reported with
recommendations (actions) and followed up. Recorded through the same services a delivery
unit uses, at fixed simulated times."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from ..model.entities import DeliveryModel
from ..services.routines.commitments import load_commitments, set_status
from ..services.routines.escalation import (
    commission_review,
    follow_up,
    report_review,
    set_intensity,
)
from .delivery import STORIES, UNIT
from .french import commitment_fr

COMMITMENTS = 500  # the tracker's load and paging are measured on these
# Minister (simulated) -> department; the department names echo the priorities' stories.
MINISTERS = {
    "Minister of Health (simulated)": "Health",
    "Minister of Public Safety (simulated)": "Public Safety",
    "Minister of Education (simulated)": "Education",
    "Minister of Housing (simulated)": "Housing, Infrastructure and Communities",
    "Minister of Finance (simulated)": "Finance",
    "Minister of Environment (simulated)": "Environment and Climate Change",
    "Minister of Transport (simulated)": "Transport",
    "Minister of Employment (simulated)": "Employment and Social Development",
}
VERBS = ["Introduce", "Expand", "Fund", "Review", "Launch", "Modernise", "Reform", "Publish",
         "Double", "Establish"]
OBJECTS = ["a national strategy for {}", "support for {} in rural communities",
           "the data on {} every quarter", "a fund for {}", "legislation on {}",
           "a pilot programme for {}", "the standards for {}", "training places in {}"]
TOPICS = {
    "Health": ["primary care", "mental health", "long-term care", "pharmacare"],
    "Public Safety": ["youth violence", "border services", "emergency response"],
    "Education": ["early learning", "adult literacy", "skills for trades"],
    "Housing, Infrastructure and Communities": ["affordable housing", "public transit",
                                                "water systems"],
    "Finance": ["tax fairness", "small business credit", "pension security"],
    "Environment and Climate Change": ["clean electricity", "protected areas",
                                       "methane reduction"],
    "Transport": ["rail safety", "airport capacity", "electric vehicles"],
    "Employment and Social Development": ["child care", "disability benefits",
                                          "student grants"],
}
PARTNERS = ["Provinces and territories", "Ontario", "Quebec", "British Columbia",
            "First Nations partners", "Municipalities"]
# How a status moves over a year: from -> the statuses it may move to.
MOVES = {"on_track": ["facing_challenges", "completed_fully", "completed_modified"],
         "facing_challenges": ["on_track", "not_pursued", "completed_modified"]}
REASONS = {"facing_challenges": "Delivery partner reported delays (simulated)",
           "on_track": "Recovery plan agreed (simulated)",
           "completed_fully": "Delivered as promised (simulated)",
           "completed_modified": "Delivered with a narrower scope (simulated)",
           "not_pursued": "Superseded by a later budget decision (simulated)"}


def _rows(model: DeliveryModel, rng: random.Random) -> list[dict[str, Any]]:
    priorities = list(model.priorities.values())
    ministers = list(MINISTERS.items())
    rows = []
    for i in range(COMMITMENTS):
        minister, department = ministers[i % len(ministers)]
        topic = rng.choice(TOPICS[department])
        verb, obj = rng.choice(VERBS), rng.choice(OBJECTS)
        text = f"{verb} {obj.format(topic)} (simulated)"
        # Three commitments in four carry their French; the rest wait for a translation
        # (as a real tracker's newest commitments would), and a load warns of them.
        text_fr, rationale_fr = commitment_fr(verb, obj, topic) if i % 4 != 3 else ("", "")
        served = priorities[i % len(priorities)] if priorities and i % 9 == 0 else None
        rows.append({"code": f"MC-{i + 1:03d}", "text": text, "minister": minister,
                     "department": department,
                     "partners": "; ".join(rng.sample(PARTNERS, rng.randint(0, 2))),
                     "status": "on_track", "reason": "",
                     "rationale": f"Mandate letter commitment on {topic} (simulated)",
                     "evidence": "",
                     "priority": served.code if served else "",
                     "indicator": served.headline if served else "",
                     "public": "no" if i % 5 == 4 else "yes",
                     "text_fr": text_fr, "rationale_fr": rationale_fr})
    return rows


def record_commitments(engine: Engine, model: DeliveryModel, clock: datetime,
                       seed: int) -> dict[str, int]:
    """Load the commitments a year before ``clock`` and move some of them since, in time
    order; then the escalation and its review. Returns counts."""
    rng = random.Random(seed)
    start = (clock - timedelta(days=365)).replace(hour=9, minute=0, second=0, microsecond=0)
    rows = _rows(model, rng)
    load_commitments(engine, rows, by=UNIT, at=start, name="mandate letters (simulated)")
    changes = []
    status = {r["code"]: "on_track" for r in rows}
    for r in rows:
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            nxt = rng.choice(MOVES.get(status[r["code"]], [])) if status[r["code"]] in MOVES \
                else None
            if nxt is None:
                break
            status[r["code"]] = nxt
            changes.append((r["code"], nxt))
    # Spread the changes over the year, oldest first, each code's in its own order.
    days = sorted(rng.randint(1, 360) for _ in changes)
    for (code, nxt), day in zip(changes, days, strict=True):
        set_status(engine, code, nxt, reason=REASONS[nxt], by=UNIT,
                   at=start + timedelta(days=day, hours=rng.randint(0, 7)))
    return {"commitments": len(rows), "status_changes": len(changes),
            **_escalate(engine, model, clock)}


def _escalate(engine: Engine, model: DeliveryModel, clock: datetime) -> dict[str, int]:
    """The priority whose latest rating is worst goes to intensive support; a review of it
    is commissioned, reported and partly followed up."""
    scale = ["red", "amber_red", "amber_green", "green"]
    rated = [(scale.index(s.likelihood[-1]), code) for code, s in STORIES.items()
             if code in model.priorities]
    if not rated:
        return {"reviews": 0}
    code = min(rated)[1]
    day = clock.replace(hour=10, minute=0, second=0, microsecond=0)
    set_intensity(engine, code, "intensive", reason="Rated amber/red for two rounds; the "
                  "Prime Minister asked for closer follow-up (simulated)", by=UNIT,
                  at=day - timedelta(days=150))
    number = commission_review(
        engine, code, scope="Why progress stalled in the units furthest behind (simulated)",
        team=["Delivery Unit (simulated)", f"{STORIES[code].department}",
              "Treasury Board analyst (simulated)"],
        by=UNIT, at=day - timedelta(days=140)).review["number"]
    recs = [{"text": "Agree a recovery trajectory with each unit furthest behind (simulated)",
             "owner": STORIES[code].ministry, "due": (day - timedelta(days=60)).date()
             .isoformat()},
            {"text": "Publish monthly data by unit to the stocktake (simulated)",
             "owner": UNIT, "due": (day - timedelta(days=20)).date().isoformat()},
            {"text": "Fund a delivery lead in each lagging region (simulated)",
             "owner": STORIES[code].department, "due": (day + timedelta(days=45)).date()
             .isoformat()}]
    report_review(engine, number, findings="Data arrive late from the units furthest behind, "
                  "and no one owns the recovery locally (simulated)", recommendations=recs,
                  by=UNIT, at=day - timedelta(days=100))
    follow_up(engine, number, "R2", status="done", note="Monthly by-unit data now in the "
              "pack (simulated)", by=UNIT, at=day - timedelta(days=25))
    follow_up(engine, number, "R1", status="in_progress", note="Two of four units agreed "
              "(simulated)", by=UNIT, at=day - timedelta(days=10))
    return {"reviews": 1}
