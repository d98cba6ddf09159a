"""Across priorities: the risk register and the milestone timeline of every priority's
current plan (the plan versions known at ``as_of``), each risk's trend read against the
plan's previous version (delivery.register), and the risks that version held and the current
one closed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from ...delivery import plans as dp
from ...delivery import register as dr
from ...results.register import AcrossPriorities
from ...store import delivery as store
from ..reading.clock import now_of
from ..reading.series_data import iso, read_model


def across_priorities(engine: Engine, *, as_of: datetime | None = None,
                      lang: str = "en") -> AcrossPriorities:
    """The risk register and milestone timeline of every plan current at ``as_of``, the
    priorities' titles, the risks' descriptions and the milestones' names in ``lang`` (the
    English where none is given)."""
    model = read_model(engine)
    today = now_of(engine, as_of).date()
    risks: list[dr.RegisterRisk] = []
    closed: list[dr.RegisterRisk] = []
    milestones: list[dr.TimelineMilestone] = []
    titles: dict[str, str] = {}
    without: list[str] = []
    with engine.connect() as conn:
        for code, priority in model.priorities.items():
            rows = store.versions(conn, "plan", code, as_of)
            if not rows:
                without.append(code)
                continue
            titles[code] = priority.title_in(lang)
            plan = dp.parse_plan(rows[-1]["document"], model, code)
            previous = (dp.parse_plan(rows[-2]["document"], model, code)
                        if len(rows) > 1 else None)
            risks += dr.plan_risks(code, plan, previous, lang=lang)
            closed += dr.closed_risks(code, plan, previous, lang=lang)
            milestones += dr.plan_milestones(code, plan, today, lang=lang)
    return AcrossPriorities(
        as_of=iso(as_of), today=today.isoformat(), titles=titles,
        without_plan=tuple(without),
        risks=tuple(dr.register_order(risks, list(model.priorities))),
        milestones=tuple(milestones),
        closed=tuple(dr.register_order(closed, list(model.priorities))))


__all__ = ["across_priorities"]
