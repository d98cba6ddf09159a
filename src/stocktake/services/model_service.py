"""Loading the delivery model from files into the store, and reading it for display."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from ..analysis.trajectory import TrajectoryError, trajectory_from_spec
from ..intake.rules import model_rules
from ..model.entities import DeliveryModel
from ..model.files import PRIORITIES_FILE, ModelError, Problem, load_model_dir
from ..store import model_repo
from ..store.db import utcnow, writing
from ..store.model_repo import LoadSummary
from . import audit


def load_model(engine: Engine, directory: str | Path, *, loaded_by: str,
               now: datetime | None = None, dry_run: bool = False,
               ip: str | None = None) -> LoadSummary:
    """Validate the model files (raising ModelError with every problem) and apply them.

    With ``dry_run`` the changes are computed and reported but rolled back. A load is
    recorded in the audit log (``ip``: where the request came from; None: the CLI).
    """
    model = load_model_dir(directory)
    problems = check_trajectories(model)
    try:
        model_rules(model)
    except ModelError as exc:
        problems += exc.problems
    if problems:
        raise ModelError(problems)
    now = now or utcnow()
    with writing(engine, keep=not dry_run) as conn:
        summary = model_repo.save_model(conn, model, source=str(directory),
                                        loaded_by=loaded_by, now=now)
        audit.record(conn, "model_loaded", actor=loaded_by, subject="model", ip=ip, at=now,
                     detail={"load": summary.load_id, "changes": len(summary.changes)})
        return summary


def current_model(engine: Engine) -> DeliveryModel:
    with engine.connect() as conn:
        return model_repo.read_model(conn)


def check_trajectories(model: DeliveryModel) -> list[Problem]:
    """Build every declared trajectory once, so a bad one is refused at load time."""
    problems = []
    for p in model.priorities.values():
        spec = p.attributes.get("trajectory")
        if spec is None:
            continue
        file, line = model.locations.get(f"priority:{p.code}:trajectory", (PRIORITIES_FILE, None))
        try:
            trajectory_from_spec(spec, p.baseline.period, p.baseline.value, p.target.period,
                                 p.target.value)
        except TrajectoryError as exc:
            problems += [Problem(file, line, "trajectory", f"priority '{p.code}': {msg}")
                         for msg in exc.problems]
    return problems


def model_changes(engine: Engine, code: str | None = None) -> list[dict[str, Any]]:
    """Every recorded change to the model (optionally of one code), newest first."""
    with engine.connect() as conn:
        return list(reversed(model_repo.model_history(conn, code)))
