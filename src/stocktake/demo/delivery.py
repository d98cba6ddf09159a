"""The routines of the simulated demo world: for each priority, delivery plans refined
version by version, a delivery chain, quarterly likelihood assessments, and stocktakes with
decisions and actions that are followed up (some late), recorded through the same services
a delivery unit uses. The story follows the simulated data: surgery a little behind,
violent crime behind, literacy and housing ahead, homelessness far off track (and rated
more kindly than its statistics, so the pack flags the disagreement)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine

from ..model.entities import DeliveryModel, Priority
from ..model.periods import Period
from ..services.routines.assessments import record_assessment
from ..services.routines.chains import load_chain
from ..services.routines.plans import load_plan
from ..services.routines.stocktakes import record_stocktake, set_schedule, update_action
from .french import MILESTONE_STAGES_FR, RECOVERY_PLAN_FR, delivery_fr

UNIT = "Delivery Unit (simulated)"

Score = tuple[int, int]  # a risk's likelihood and impact, each 1 to 5


@dataclass(frozen=True)
class Story:
    """What differs between priorities: who is in the chain, what the plan holds, how the
    assessors judge it, and where the chain is weak."""

    department: str
    ministry: str  # provincial body, e.g. "Ministry of Health"
    local: str  # local body, e.g. "health region"
    frontline: str  # e.g. "surgical teams"
    external: str  # e.g. a data or professional body
    interventions: list[tuple[str, str, int, int, float]]  # name, owner, start+, ramp, share
    likelihood: list[str]  # oldest first; the last is the current rating
    weak: dict[tuple[str, str], tuple[str, str]]  # (from, to) -> (strength, evidence)
    decisions: list[str]
    actions: list[tuple[str, str]]  # text, owner
    # description, mitigation, and its (likelihood, impact) in plan versions 1, 2 and 3:
    # None where that version does not hold it (raised later, or closed)
    risks: list[tuple[str, str, tuple[Score | None, Score | None, Score | None]]]


STORIES: dict[str, Story] = {
    "SURG": Story(
        "Health Canada (simulated)", "Ministry of Health", "health region", "surgical teams",
        "Wait-time registry (simulated)", [],
        ["amber_red", "amber_red", "amber_green", "amber_green", "amber_green",
         "amber_green", "amber_green"],
        {("mb", "wpg"): ("weak", "Winnipeg's operating-room returns arrive 6-8 weeks late"),
         ("fed", "ext"): ("adequate", "registry refreshed monthly")},
        ["Publish operating-room utilisation by region every month",
         "Pool the longest wait lists across Ontario regions",
         "Fund weekend lists in the three regions furthest behind"],
        [("Report weekend-list uptake by region", "Ministries of Health"),
         ("Audit removals from wait lists in Central region", "Ontario Ministry of Health"),
         ("Agree a common definition of 'ready to treat'", "Wait-time registry (simulated)")],
        # recruitment lands: the retired anaesthetists are back, the shortage eases
        [("Anaesthetist shortages limit extra operating-room hours",
          "Bring retired anaesthetists back on sessional contracts", ((4, 4), (3, 4), (2, 4))),
         ("Wait lists are 'validated' to remove hard cases", "", ((3, 4), (3, 4), (3, 4))),
         ("Winter surges cancel elective surgery", "Ring-fence surgical beds",
          ((4, 3), (4, 3), (4, 3)))]),
    "CRIME": Story(
        "Public Safety (simulated)", "Ministry of Justice", "police service",
        "patrol and youth workers", "Crime statistics office (simulated)",
        [("Focused deterrence in the ten worst neighbourhoods", "Provincial police services",
          3, 12, 0.35),
         ("Youth intervention programmes", "Public Safety (simulated)", 6, 18, 0.3),
         ("Illegal-firearms task forces", "Provincial police services", 12, 12, 0.2)],
        ["amber_green", "amber_green", "amber_red", "amber_red", "amber_red", "amber_red",
         "amber_red"],
        {("mb", "wpg"): ("broken", "Winnipeg reclassified violent reports as unfounded from "
                                   "2024; counts not comparable"),
         ("nu", "qik"): ("weak", "one analyst for the territory; returns often late")},
        ["Review Winnipeg's unfounded rate with the provincial auditor",
         "Extend youth programmes to two more cities",
         "Ask the statistics office for a monthly weapons-call series"],
        [("Independent review of unfounded coding in Winnipeg", "Manitoba Ministry of Justice"),
         ("Plan to extend youth programmes", "Public Safety (simulated)"),
         ("Share weapons-call data monthly", "Crime statistics office (simulated)")],
        # Winnipeg's link is broken and Qikiqtaaluk's weak: the data sharing the counts
        # depend on, raised at the second version, grows likelier to fail
        [("Reclassification hides real violence (counter: unfounded %)",
          "Independent audit of coding", ((4, 5), (4, 5), (4, 5))),
         ("Youth programme places unfilled", "", ((3, 3), (3, 3), (3, 3))),
         ("Police services stop sharing incident-level data", "Data-sharing agreements "
          "with every police service", (None, (3, 4), (4, 4)))]),
    "LIT": Story(
        "Council of education ministers (simulated)", "Ministry of Education",
        "school board", "grade 1-3 teachers", "Assessment agency (simulated)",
        [("Universal literacy screening in grades 1-2", "Ministries of Education", 3, 12,
          0.4),
         ("Reading tutors in every school", "School boards", 9, 18, 0.35),
         ("Structured-literacy training for teachers", "Faculties of education", 15, 12, 0.3)],
        ["amber_green", "amber_green", "green", "green", "green", "green", "green"],
        {("on", "tor"): ("adequate", "board returns complete; exemptions rising in "
                                     "Mississauga"),
         ("nu", "qik"): ("weak", "screening tools not yet in Inuktitut")},
        ["Publish exemption rates beside results",
         "Keep tutoring funding for 2026-27",
         "Translate screening tools into Inuktitut"],
        [("Publish exemption rates by board", "Assessment agency (simulated)"),
         ("Confirm tutoring funding", "Ministries of Education"),
         ("Commission Inuktitut screening tools", "Nunavut Department of Education")],
        # ahead: the rural tutors are recruited, so that risk is closed
        [("Weak readers exempted from the assessment", "Publish exemption rates; cap at 5%",
          ((3, 4), (3, 4), (3, 4))),
         ("Tutor recruitment stalls in rural boards", "Remote tutoring",
          ((2, 3), (2, 3), None))]),
    "HOUS": Story(
        "Housing, Infrastructure and Communities (simulated)", "Ministry of Housing",
        "municipality", "builders and permit offices", "Mortgage and housing agency "
        "(simulated)",
        [("Housing accelerator fund", "Housing, Infrastructure and Communities (simulated)",
          3, 18, 0.45),
         ("Faster permits: 60-day guarantee", "Municipalities", 6, 12, 0.3),
         ("Factory-built homes programme", "Provincial housing ministries", 12, 18, 0.25)],
        ["amber_red", "amber_green", "amber_green", "amber_green", "green", "amber_green",
         "amber_green"],
        {("qc", "mtl"): ("weak", "permit data shared quarterly, not monthly"),
         ("fed", "ext"): ("strong", "starts and completions survey monthly")},
        ["Tie accelerator payments to permits issued within 60 days",
         "Track the affordable share beside completions",
         "Ask Alberta for its affordable-housing pipeline"],
        [("Report permits issued within 60 days", "Municipalities"),
         ("Add the affordable share to the monthly note", UNIT),
         ("Alberta affordable-housing pipeline", "Alberta Ministry of Housing")],
        # rates fall: starts pick up
        [("Interest rates slow starts", "Low-cost construction finance",
          ((3, 4), (3, 4), (2, 4))),
         ("Completions rise only in market housing", "", ((3, 3), (3, 3), (3, 3)))]),
    "HOME": Story(
        "Reaching Home (simulated)", "Ministry of Social Services", "community entity",
        "shelter and outreach staff", "Homelessness information system (simulated)", [],
        ["amber_red", "amber_red", "amber_green", "amber_green", "amber_green",
         "amber_green", "amber_green"],
        {("mb", "wpg"): ("weak", "by-name list covers 60% of shelters"),
         ("nu", "qik"): ("broken", "no by-name list; counts are point-in-time estimates")},
        ["Every community to run a by-name list by March",
         "Rent supplements follow the person, not the shelter",
         "Review Vancouver placements that do not last"],
        [("By-name list coverage plan", "Community entities"),
         ("Portable rent supplement design", "Ministries of Social Services"),
         ("Review of returns to homelessness in Vancouver Coastal",
          "British Columbia Ministry of Social Services")],
        # far off track, and the by-name lists (a weak link) miss people: a new risk
        [("Placements into housing that does not last", "Follow-up support for 12 months",
          ((4, 4), (4, 4), (4, 4))),
         ("Supportive housing construction delayed", "", ((4, 5), (4, 5), (4, 5))),
         ("Rents rise faster than supplements", "Index supplements to rents",
          ((3, 4), (3, 4), (3, 4))),
         ("By-name lists miss people sleeping outside shelters", "Outreach counts every "
          "quarter", (None, None, (4, 3)))]),
}

SKIPPED = {"HOME"}  # priorities whose third-newest stocktake was cancelled

PLACES = [("on", "ON", "tor", "ON-TOR"), ("qc", "QC", "mtl", "QC-MTL"),
          ("mb", "MB", "wpg", "MB-WPG"), ("nu", "NU", "qik", "NU-QIK")]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:40]


def _at(d: date, hour: int = 17) -> datetime:
    return datetime.combine(d, time(hour))


def _months(d: date, n: int) -> date:
    m = d.month - 1 + n
    return date(d.year + m // 12, m % 12 + 1, min(d.day, 28))


def _with_french(item: dict[str, Any], key: str, french: str | None = None) -> dict[str, Any]:
    """``item`` with ``key``_fr beside ``key``: ``french``, or the demo's French of it."""
    french = french or delivery_fr(item[key])
    return item | {f"{key}_fr": french} if french else item


def _chain(model: DeliveryModel, p: Priority, s: Story) -> dict[str, Any]:
    names = {c: model.units[c].name for _, c, _, _ in PLACES} | {
        c: model.units[c].name for _, _, _, c in PLACES}
    fr = {c: model.units[c].name_fr or model.units[c].name for c in names}
    french = {k: delivery_fr(getattr(s, k)) or getattr(s, k)
              for k in ("ministry", "local", "frontline")}
    actors = [_with_french({"code": "fed", "name": s.department, "level": "federal",
                            "units": [p.scope], "indicators": [p.headline]}, "name"),
              _with_french({"code": "ext", "name": s.external, "level": "external"}, "name")]
    # The centre commissions the data body: a link down from it, so the federal department
    # stays the top of the chain.
    links = [{"from": "fed", "to": "ext", "type": "data", "strength": "strong",
              "evidence": "monthly feed"}]
    for i, (prov, prov_unit, local, local_unit) in enumerate(PLACES):
        actors += [
            {"code": prov, "name": f"{names[prov_unit]} {s.ministry}", "level": "provincial",
             "units": [prov_unit], "name_fr": f"{french['ministry']} ({fr[prov_unit]})"},
            {"code": local, "name": f"{names[local_unit]} {s.local}", "level": "municipal",
             "units": [local_unit], "name_fr": f"{french['local']} ({fr[local_unit]})"},
            {"code": f"front_{local}", "name": f"{s.frontline.capitalize()}, "
             f"{names[local_unit]}", "level": "frontline",
             "name_fr": f"{french['frontline'].capitalize()}, {fr[local_unit]}"},
        ]
        links += [
            {"from": "fed", "to": prov, "type": "funding",
             "strength": ["strong", "adequate", "adequate", "strong"][i]},
            {"from": prov, "to": local, "type": ["guidance", "service", "data", "guidance"][i],
             "strength": "adequate"},
            {"from": local, "to": f"front_{local}", "type": "service",
             "strength": ["strong", "adequate", "adequate", "weak"][i]},
        ]
    # Second routes: Quebec's ministry also guides Montréal's frontline directly, and the
    # federal department funds northern services itself.
    links += [{"from": "qc", "to": "front_mtl", "type": "guidance", "strength": "adequate"},
              {"from": "fed", "to": "front_qik", "type": "funding", "strength": "adequate"}]
    for link in links:
        key = (link["from"], link["to"])
        if key in s.weak:
            link["strength"], link["evidence"] = s.weak[key]
        if link["strength"] in ("weak", "broken") and not link.get("evidence"):
            link["evidence"] = "returns late and incomplete"
    links = [_with_french(link, "evidence") if link.get("evidence") else link
             for link in links]
    return {"actors": actors, "links": links}


def _interventions(p: Priority, s: Story) -> list[dict[str, Any]]:
    spec = p.attributes.get("trajectory") or {}
    base = Period.parse(p.baseline.period)
    if spec.get("method") == "interventions":
        owners = [s.department, f"Provincial {s.ministry.lower()}s", f"{s.local.capitalize()}s"]
        return [_with_french({"code": _slug(i["name"]), "name": i["name"],
                              "owner": owners[k % 3], "start": i["start"],
                              "ramp": i.get("ramp", 0), "effect": i["effect"]}, "name")
                for k, i in enumerate(spec["interventions"])]
    change = p.target.value - p.baseline.value
    return [_with_french({"code": _slug(name), "name": name, "owner": owner,
                          "start": base.shift(start).code, "ramp": ramp,
                          "effect": round(change * share, 1)}, "name")
            for name, owner, start, ramp, share in s.interventions]


def _plan(p: Priority, s: Story, version: int, at: date, extra: bool) -> dict[str, Any]:
    interventions = _interventions(p, s)
    if version == 1:  # good enough: one owner still to find
        interventions[-1] = {k: v for k, v in interventions[-1].items() if k != "owner"}
    milestones = []
    for k, i in enumerate(interventions):
        start = Period.parse(i["start"]).start
        for j, (label, months) in enumerate((("Funding agreed", -1), ("Fully running",
                                                                       i["ramp"] or 3))):
            due = _months(start, months)
            if due <= at - timedelta(days=30):
                status = "done"
            elif due < at:
                status = "late" if (k + j) % 3 == 0 else "at_risk"
            else:
                status = "on_track" if version > 1 else "not_started"
            m = {"code": f"{i['code'][:30]}_{j + 1}", "name": f"{i['name']}: {label.lower()}",
                 "owner": i.get("owner", "to be named"), "due": due.isoformat(),
                 "status": status, "intervention": i["code"]}
            if i.get("name_fr"):  # the French colon takes a (non-breaking) space before it
                m["name_fr"] = f"{i['name_fr']}\u00a0: {MILESTONE_STAGES_FR[label.lower()]}"
            if status == "done":
                m["completed_on"] = (due - timedelta(days=3)).isoformat()
            milestones.append(m)
    if extra:
        i = interventions[0]
        milestones.append({"code": "recovery_plan", "name": "Recovery plan for the units "
                           "furthest behind", "name_fr": RECOVERY_PLAN_FR, "owner": UNIT,
                           "due": _months(at, 2).isoformat(), "status": "on_track"})
    risks = []
    for k, (text, mitigation, scores) in enumerate(s.risks):
        score = scores[min(version, len(scores)) - 1]
        if score is None:  # not yet raised, or closed: the version does not hold it
            continue
        likelihood, impact = score
        r = _with_french({"code": f"r{k + 1}", "description": text, "likelihood": likelihood,
                          "impact": impact, "owner": s.department if k == 0 else s.ministry},
                         "description")
        if mitigation or version > 2:
            r["mitigation"] = mitigation or "Monthly review at the delivery unit"
        risks.append(r)
    return {"summary": f"How {s.department} and its partners will deliver: "
                       f"{p.title.lower()}.",
            "drift": float((p.attributes.get("trajectory") or {}).get("drift", 0.0)),
            "interventions": interventions, "milestones": milestones, "risks": risks,
            "assumptions": [f"Provinces keep the {s.ministry.lower()} budgets agreed in "
                            "the bilateral deals",
                            "Data returns arrive within 30 days of the period end"]}


def _assessment(s: Story, rating: str, on: date, k: int) -> dict[str, Any]:
    quarter = f"{on.year}-Q{(on.month - 1) // 3 + 1}"
    scale = ["red", "amber_red", "amber_green", "green"]
    level = scale.index(rating)
    near = scale[min(3, max(0, level + (k % 2)))]
    return {
        "round": quarter, "assessed_on": on.isoformat(), "assessor": "Head of the Delivery "
        "Unit (simulated)",
        "degree_of_challenge": {"rating": "high" if level < 2 else "medium",
                                "rationale": "Depends on thirteen governments acting together."},
        "quality_of_planning": {"rating": near, "rationale": "Plan owned; bottom-up trajectory."},
        "quality_of_implementation": {"rating": rating,
                                      "rationale": "Milestones mostly on time."},
        "quality_of_performance_management": {"rating": scale[max(0, level - (k % 2))],
                                              "rationale": "Monthly data; some late returns."},
        "capacity_to_drive_progress": {"rating": near,
                                       "rationale": "Named leads in every province."},
        "stage_of_delivery": {"rating": min(4, 2 + k // 3),
                              "rationale": "Implementation under way."},
        "likelihood": {"rating": rating, "rationale": {
            "green": "On or ahead of trajectory and the plan is working.",
            "amber_green": "Broadly on course; the risks are known and managed.",
            "amber_red": "Behind trajectory; the plan needs to change.",
            "red": "Will not be met without a step change."}[rating]},
    }


def record_routines(engine: Engine, model: DeliveryModel, clock: datetime,
                    progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Record every priority's plans, chain, schedule, assessments, stocktakes and action
    updates, in time order. Returns counts."""
    events: list[tuple[datetime, int, Callable[[], Any]]] = []
    counts = {"plans": 0, "chains": 0, "assessments": 0, "stocktakes": 0, "actions": 0,
              "updates": 0}
    today = clock.date()
    for order, (code, s) in enumerate(STORIES.items()):
        p = model.priorities.get(code)
        if p is None:
            continue
        base = Period.parse(p.baseline.period).end
        first_meeting = max(_months(base, 3), _months(today, -21))
        meetings = []
        d = first_meeting
        while d < today - timedelta(days=14):
            meetings.append(d)
            d = _months(d, 3)
        plan_dates = [(_months(first_meeting, -1), 1, "first version: good enough to start")]
        if len(meetings) > 1:
            plan_dates.append((meetings[1] + timedelta(days=7), 2,
                               f"stocktake of {meetings[1]}: owners named, milestones "
                               "updated"))
        if len(meetings) > 4:
            plan_dates.append((meetings[4] + timedelta(days=7), 3,
                               f"stocktake of {meetings[4]}: recovery plan added, risks "
                               "re-scored"))
        for day, version, reason in plan_dates:
            doc = _plan(p, s, version, day, extra=version == 3)
            events.append((_at(day, 9), order, lambda c=code, d=doc, r=reason, t=day:
                           load_plan(engine, c, d, author=UNIT, reason=r, at=_at(t, 9))))
            counts["plans"] += 1
        chain_day = _months(first_meeting, -1)
        events.append((_at(chain_day, 10), order, lambda c=code, d=_chain(model, p, s),
                       t=chain_day: load_chain(engine, c, d, author=UNIT,
                                               reason="mapped with the provinces",
                                               at=_at(t, 10))))
        counts["chains"] += 1
        cadence = {"every": 3, "unit": "months", "start": first_meeting.isoformat()}
        events.append((_at(chain_day, 11), order, lambda c=code, d=cadence, t=chain_day:
                       set_schedule(engine, c, d, by=UNIT, at=_at(t, 11))))
        ratings = s.likelihood[-len(meetings):] if meetings else []
        for k, (meeting, rating) in enumerate(zip(meetings, ratings, strict=False)):
            on = meeting - timedelta(days=7)
            events.append((_at(on, 12), order, lambda c=code, d=_assessment(s, rating, on, k),
                           t=on: record_assessment(engine, c, d, by=UNIT, at=_at(t, 12))))
            counts["assessments"] += 1
            pool = [s.actions[(k + j) % len(s.actions)] for j in range(2)]
            due = _months(meeting, 1) + timedelta(days=14)
            doc = {"held_on": meeting.isoformat(), "chair": "Prime Minister (simulated)",
                   "attendees": ["Prime Minister (simulated)", f"Minister, {s.department}",
                                 p.owner, "Head of the Delivery Unit (simulated)"],
                   "pack": {"as_of": _at(meeting - timedelta(days=2), 8).isoformat()},
                   "decisions": [s.decisions[k % len(s.decisions)]],
                   "actions": [{"code": f"A{j + 1}", "text": text, "owner": owner,
                                "due": due.isoformat()} for j, (text, owner) in
                               enumerate(pool)]}
            late = k >= len(meetings) - 2  # the newest meetings' second actions stay open
            if code in SKIPPED and k == len(meetings) - 3:
                continue  # cancelled: the pack counts it as missed
            events.append((_at(meeting, 16), order, lambda c=code, d=doc, t=meeting, m=late,
                           dd=due: _meeting(engine, c, d, t, dd, m, today, counts)))
            counts["stocktakes"] += 1
    events.sort(key=lambda e: (e[0], e[1]))
    for i, (_, _, run) in enumerate(events, 1):
        run()
        if progress:
            progress(i, len(events))
    return counts


def _meeting(engine: Engine, code: str, doc: dict[str, Any], held: date, due: date,
             late: bool, today: date, counts: dict[str, int]) -> None:
    ids = record_stocktake(engine, code, doc, by=UNIT, at=_at(held, 16)).actions
    counts["actions"] += len(ids)
    # Progress is reported before the next meeting: the first action done on time, the
    # second done late, except at the newest meetings where it is still open. Nothing is
    # recorded after the simulated "now".
    updates = [(ids[0], "in_progress", "work started", held + timedelta(days=7)),
               (ids[0], "done", "delivered", due - timedelta(days=5))]
    if not late:
        updates.append((ids[1], "done", "delivered late", due + timedelta(days=20)))
    for action, status, note, on in updates:
        if on < today:
            update_action(engine, action, status=status, note=note, by="owner", on=on,
                          at=_at(on, 9))
            counts["updates"] += 1
