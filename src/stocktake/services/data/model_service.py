"""Loading the delivery model from files into the store, and reading it for display."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select

from ...analysis.trajectory import TrajectoryError, trajectory_from_spec
from ...errors import Conflict
from ...intake.rules import model_rules
from ...model.entities import DeliveryModel
from ...model.files import (
    INDICATORS_FILE,
    PRIORITIES_FILE,
    UNITS_FILE,
    ModelError,
    Problem,
    has_french,
    load_model_dir,
    missing_french,
)
from ...model.theme import (
    DEFAULT_THEME,
    THEME_FILE,
    Theme,
    ThemeProblems,
    parse_theme,
    theme_from_mapping,
)
from ...store import model_repo, schema
from ...store.db import get_meta, set_meta, utcnow, writing
from ...store.model_repo import LoadSummary
from ..admin import audit


def load_model(engine: Engine, directory: str | Path, *, loaded_by: str,
               now: datetime | None = None, dry_run: bool = False,
               ip: str | None = None, force: bool = False,
               require_languages: tuple[str, ...] = ("en",)) -> LoadSummary:
    """Validate the model files (raising ModelError with every problem) and apply them.

    With ``dry_run`` the changes are computed and reported but rolled back. Raises
    Conflict, storing nothing, for a load that would change the period type of an
    indicator with data (its stored periods would no longer read), or, unless ``force``,
    retire every unit, indicator or priority (an empty file, more likely than the intent).
    A load is recorded in the audit log (``ip``: where the request came from; None: the CLI).

    A missing French translation is a problem when ``require_languages`` holds "fr", else a
    warning of the summary once the model holds any French at all.
    """
    model = load_model_dir(directory)
    problems = check_trajectories(model)
    translations = missing_french(model)
    if "fr" in require_languages:
        problems += translations
    theme, theme_problems = _folder_theme(Path(directory))
    problems += theme_problems
    try:
        model_rules(model)
    except ModelError as exc:
        problems += exc.problems
    if problems:
        raise ModelError(problems)
    now = now or utcnow()
    with writing(engine, keep=not dry_run) as conn:
        summary = model_repo.save_model(conn, model, source=str(directory),
                                        loaded_by=loaded_by, now=now or utcnow())
        refusals = _period_types_with_data(conn, summary)
        if not force:
            refusals += _retiring_everything(model, summary)
        if refusals:
            raise Conflict(refusals)  # rolls back the whole load
        _store_theme(conn, theme)
        if "fr" not in require_languages and has_french(model):
            summary.warnings = translations
        audit.record(conn, "model_loaded", actor=loaded_by, subject="model", ip=ip, at=now,
                     detail={"load": summary.load_id, "changes": len(summary.changes)})
        return summary


# The model's theme is a setting of the model, kept in the store's meta table (key: value)
# as JSON: one small value needs no table of its own, and the database stays
# self-contained (a document never reads the model folder after the load).
THEME_KEY = "model_theme"


def _folder_theme(directory: Path) -> tuple[Theme | None, list[Problem]]:
    """The theme named in the model folder (theme.yaml; None without one), or its
    problems, each placed in the file."""
    path = directory / THEME_FILE
    if not path.is_file():
        return None, []
    try:
        return parse_theme(path.read_text(encoding="utf-8")), []
    except ThemeProblems as exc:
        return None, [Problem(THEME_FILE, None, field, message)
                      for field, message in exc.problems]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(THEME_FILE, None, None, f"cannot be read: {exc}")]


def _store_theme(conn: Connection, theme: Theme | None) -> None:
    """Keep the folder's theme; a folder without theme.yaml goes back to the defaults."""
    conn.execute(schema.meta.delete().where(schema.meta.c.key == THEME_KEY))
    if theme is not None:
        set_meta(conn, THEME_KEY, theme.to_json())


def model_theme(engine: Engine) -> Theme:
    """The theme the model was loaded with: every office document's colours and font
    unless --theme names another; the defaults when the model names none."""
    stored = get_meta(engine, THEME_KEY)
    return theme_from_mapping(json.loads(stored)) if stored else DEFAULT_THEME


# Entities a load may not retire all of without --force, with their file.
_EVERY = (("unit", "units", UNITS_FILE), ("indicator", "indicators", INDICATORS_FILE),
          ("priority", "priorities", PRIORITIES_FILE))


def _retiring_everything(model: DeliveryModel, summary: LoadSummary) -> list[Problem]:
    problems = []
    left = {"unit": model.units, "indicator": model.indicators, "priority": model.priorities}
    for entity, plural, file in _EVERY:
        retired = summary.count(entity, "retired")
        if retired and not left[entity]:
            problems.append(Problem(file, None, None, f"holds no {plural}: loading it would "
                                    f"retire all {retired} {plural} now loaded; if that is "
                                    "meant, load again with --force"))
    return problems


def _period_types_with_data(conn: Connection, summary: LoadSummary) -> list[Problem]:
    """An indicator whose period type changes while observations of it are stored."""
    changed = [c for c in summary.changes if c.entity == "indicator" and c.action == "changed"
               and c.before["period_type"] != c.after["period_type"]]
    if not changed:
        return []
    ids = model_repo.indicator_ids(conn)
    problems = []
    for c in changed:
        has_data = conn.execute(select(schema.observations.c.indicator_id).where(
            schema.observations.c.indicator_id == ids[c.code]).limit(1)).first()
        if has_data:
            problems.append(Problem(
                INDICATORS_FILE, None, "period_type",
                f"indicator '{c.code}' has data by {c.before['period_type']}: its period "
                f"type cannot become {c.after['period_type']} (its stored periods would no "
                "longer read); give the new definition a new code"))
    return problems


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
