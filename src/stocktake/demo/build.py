"""Building the demo database: the simulated world's model and submissions, through the
same loader and submission service a real delivery unit uses."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import Engine, func, select

from ..errors import Conflict
from ..intake.rules import model_rules
from ..intake.service import submit_rows
from ..model.entities import DeliveryModel
from ..model.files import parse_model
from ..model.periods import Period
from ..services.data.model_service import check_trajectories
from ..store import model_repo, schema
from ..store.db import drop_everything, get_meta, set_meta, upgrade, writing
from .commitments import record_commitments
from .delivery import record_routines
from .world import Submission, World, build_world

Progress = Callable[..., None]

# The simulated delivery unit starts work here: each data team loads its back series in
# one batch (as a new unit does), then sends its returns as they come. Keeping every
# earlier return as a batch of its own would make the demo take a minute to build.
UNIT_STARTED = datetime(2024, 5, 1, 9, 0)

# Validation rules the demo's data teams agreed: parts cannot exceed their wholes.
DEMO_RULES = """\
- code: benchmark-within-completed
  name: Surgeries within benchmark cannot exceed surgeries completed
  left: surg_within_benchmark
  operator: "<="
  right: surg_completed
  importance: medium
  instruction: Count a surgery within benchmark only if it is also counted as completed.
- code: assessed-within-enrolled
  name: Grade 3 pupils assessed plus exempted cannot exceed those enrolled
  left: grade3_assessed + grade3_exempted
  operator: "<="
  right: grade3_enrolled
  importance: medium
  instruction: Check the enrolment count and that no pupil is both assessed and exempted.
- code: screened-within-enrolment
  name: Students screened cannot exceed K-3 enrolment
  left: students_screened
  operator: "<="
  right: k3_enrolment
  importance: medium
  instruction: Screening counts pupils, not screenings; a pupil screened twice counts once.
- code: affordable-within-completions
  name: Affordable completions cannot exceed all completions
  left: affordable_completions
  operator: "<="
  right: housing_completions
  importance: medium
  instruction: Affordable units are a subset of all completed units in the same month.
- code: unfounded-within-reports
  name: Unfounded incidents cannot exceed violent incidents reported
  left: unfounded_incidents
  operator: "<="
  right: violent_reports
  importance: medium
  instruction: An incident judged unfounded must also be counted as reported.
"""


class DemoError(Conflict):
    """The database holds another world, which the demo would replace."""


def _holds_other_world(engine: Engine) -> bool:
    if get_meta(engine, "world") == "demo":
        return False
    with engine.connect() as conn:
        return bool(conn.execute(select(func.count()).select_from(schema.units)).scalar())


def fingerprint(seed: int) -> str:
    """The seed and a hash of stocktake's own code: a demo built from the same is the same
    (the world is deterministic), so it need not be built again."""
    digest = hashlib.sha256(str(seed).encode())
    for path in sorted(Path(__file__).parents[1].rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def is_current(engine: Engine, seed: int) -> bool:
    return (get_meta(engine, "world") == "demo"
            and get_meta(engine, "fingerprint") == fingerprint(seed))


def build_demo(engine: Engine, *, seed: int = 2026, force: bool = False,
               progress: Progress | None = None) -> str:
    """Replace the database's contents with the demo world. Returns a one-line summary.

    Refuses to replace a database holding another world unless ``force``.
    """
    if _holds_other_world(engine) and not force:
        raise DemoError(
            f"{engine.url.render_as_string(hide_password=True)} holds a delivery model that "
            "is not the demo; use another --db, or --force to replace it")
    report = progress or (lambda *a, **k: None)

    world: World = build_world(seed, progress=lambda d, t: report(d, t, "Simulating the world"))
    drop_everything(engine)
    upgrade(engine)
    model = parse_model(world.units_csv, world.indicators_yaml, world.priorities_yaml)
    model = parse_model(world.units_csv, world.indicators_yaml, world.priorities_yaml,
                        datasets_yaml(world, model), DEMO_RULES)
    # The same checks `stocktake load` makes beyond the files themselves.
    problems = check_trajectories(model)
    model_rules(model)
    if problems:
        # A bug in the simulation, not anything the user did.
        raise RuntimeError("the simulated model has problems: " + "; ".join(map(str, problems)))
    first = world.submissions[0].recorded_at if world.submissions else world.clock
    with writing(engine) as conn:
        model_repo.save_model(conn, model, source="demo world", loaded_by="demo",
                              now=first - timedelta(days=30))
        set_meta(conn, "world", "demo")
        set_meta(conn, "world_label", world.name)
        set_meta(conn, "clock", world.clock.isoformat())
        set_meta(conn, "seed", str(seed))
    accepted = rejected = rows = 0
    submissions = backfilled(world.submissions, UNIT_STARTED)
    total = len(submissions)
    for i, sub in enumerate(submissions, 1):
        result = submit_rows(engine, sub.rows, submitter=sub.submitter, reason=sub.reason,
                             source=sub.label, now=sub.recorded_at)
        if result.accepted:
            accepted += 1
            rows += result.rows
        else:
            rejected += 1
        report(i, total, "Submitting the returns")
    routines = record_routines(engine, model, world.clock,
                               progress=lambda d, t: report(d, t, "Recording the routines"))
    report(0, 1, "Recording the commitments and the escalation")
    tracked = record_commitments(engine, model, world.clock, seed)
    with writing(engine) as conn:  # last: a build cut short is not taken for a finished one
        set_meta(conn, "fingerprint", fingerprint(seed))
    return (f"{world.name}: {len(model.units)} units, {len(model.indicators)} indicators, "
            f"{len(model.priorities)} priorities; {accepted} batches accepted ({rows:,} rows), "
            f"{rejected} rejected with errors; {routines['plans']} plan versions, "
            f"{routines['assessments']} assessments, {routines['stocktakes']} stocktakes "
            f"with {routines['actions']} actions; {tracked['commitments']} commitments "
            f"(simulated), {tracked['reviews']} priority review")


def backfilled(submissions: list[Submission], started: datetime) -> list[Submission]:
    """Every submission before ``started`` folded into one back-series batch per submitter
    (later values of a key replacing earlier ones; returns that were rejected dropped),
    recorded at ``started``; the rest unchanged."""
    before = [s for s in submissions if s.recorded_at < started and not s.expect_errors]
    after = [s for s in submissions if s.recorded_at >= started]
    merged: dict[str, dict[tuple[str, str, str], float]] = {}
    for sub in before:
        rows = merged.setdefault(sub.submitter, {})
        for indicator, unit, period, value in sub.rows:
            rows[(indicator, unit, period)] = value
    backfill = [Submission(recorded_at=started + timedelta(minutes=i), submitter=who,
                           reason="back series loaded when the delivery unit started",
                           rows=[(*key, value) for key, value in rows.items()],
                           label="historical back series")
                for i, (who, rows) in enumerate(sorted(merged.items()))]
    return backfill + after


def datasets_yaml(world: World, model: DeliveryModel) -> str:
    """The data sets the demo's units agreed to report when the delivery unit started:
    for each period type and level, the indicators sent from that level, due 20 days after
    a month ends (45 after a quarter, 90 after a year)."""
    reported: dict[tuple[str, str], set[str]] = {}
    units: dict[tuple[str, str], set[str]] = {}
    for sub in world.submissions:
        if sub.expect_errors:
            continue
        for indicator, unit, _period, _value in sub.rows:
            ind, u = model.indicators.get(indicator), model.units.get(unit)
            if ind is None or u is None or ind.aggregation.value == "ratio":
                continue
            key = (ind.period_type, u.level)
            reported.setdefault(key, set()).add(indicator)
            units.setdefault(key, set()).add(unit)
    days = {"month": 20, "quarter": 45, "year": 90, "week": 7, "day": 2}
    items = []
    for (ptype, level), indicators in sorted(reported.items()):
        start = Period.containing(UNIT_STARTED.date(), ptype).shift(-1)
        items.append({
            "code": f"{level}-{ptype}ly".replace("dayly", "daily"),
            "name": f"{ptype.capitalize()}ly return from each {level}".replace(
                "Dayly", "Daily"),
            "period_type": ptype, "indicators": sorted(indicators),
            "units": sorted(units[(ptype, level)]), "timely_days": days[ptype],
            "start": start.code, "owner": "Delivery unit data team (simulated)",
        })
    return yaml.safe_dump(items, sort_keys=False)
