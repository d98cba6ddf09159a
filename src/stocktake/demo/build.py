"""Building the demo database: the simulated world's model and submissions, through the
same loader and submission service a real delivery unit uses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine, func, select

from ..intake.service import submit_rows
from ..model.files import parse_model
from ..store import model_repo, schema
from ..store.db import drop_everything, get_meta, set_meta, upgrade
from .world import World, build_world

Progress = Callable[..., None]


class DemoError(Exception):
    pass


def _holds_other_world(engine: Engine) -> bool:
    if get_meta(engine, "world") == "demo":
        return False
    with engine.connect() as conn:
        return bool(conn.execute(select(func.count()).select_from(schema.units)).scalar())


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
    first = world.submissions[0].recorded_at if world.submissions else world.clock
    with engine.begin() as conn:
        model_repo.save_model(conn, model, source="demo world", loaded_by="demo",
                              now=first - timedelta(days=30))
        set_meta(conn, "world", "demo")
        set_meta(conn, "world_label", world.name)
        set_meta(conn, "clock", world.clock.isoformat())
        set_meta(conn, "seed", str(seed))
    accepted = rejected = rows = 0
    total = len(world.submissions)
    for i, sub in enumerate(world.submissions, 1):
        result = submit_rows(engine, sub.rows, submitter=sub.submitter, reason=sub.reason,
                             source=sub.label, now=sub.recorded_at)
        if result.accepted:
            accepted += 1
            rows += result.rows
        else:
            rejected += 1
        report(i, total, "Submitting the returns")
    return (f"{world.name}: {len(model.units)} units, {len(model.indicators)} indicators, "
            f"{len(model.priorities)} priorities; {accepted} batches accepted ({rows:,} rows), "
            f"{rejected} rejected with errors")
