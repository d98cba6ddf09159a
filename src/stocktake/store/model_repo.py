"""Saving the delivery model, with a history of every change, and reading it back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from ..model.entities import (
    Aggregation,
    DataSet,
    DeliveryModel,
    Indicator,
    IndicatorKind,
    PeriodValue,
    Polarity,
    Priority,
    Unit,
)
from . import schema as s


@dataclass
class ModelChange:
    entity: str  # unit | indicator | priority | dataset | rule
    code: str
    action: str  # added | changed | retired | restored
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None

    def fields_changed(self) -> list[str]:
        if not self.before or not self.after:
            return []
        keys = set(self.before) | set(self.after)
        return sorted(k for k in keys if self.before.get(k) != self.after.get(k))


@dataclass
class LoadSummary:
    load_id: int | None
    changes: list[ModelChange] = field(default_factory=list)
    # What the load let through but a reader should know (a missing French translation):
    # model-file problems, filled in by the service that loads the model.
    warnings: list[Any] = field(default_factory=list)

    def count(self, entity: str, action: str) -> int:
        return sum(1 for c in self.changes if c.entity == entity and c.action == action)


def _unit_path(model: DeliveryModel, code: str) -> str:
    chain = [code] + [u.code for u in model.ancestors(code)]
    return "/" + "/".join(reversed(chain)) + "/"


def save_model(conn: Connection, model: DeliveryModel, *, source: str, loaded_by: str,
               now: datetime) -> LoadSummary:
    """Apply ``model`` as the current model; record what changed. Call inside a transaction.

    Nothing is deleted: a unit, indicator or priority missing from the new model is
    retired (kept, inactive), because observations and history still refer to it.
    """
    changes: list[ModelChange] = []
    changes += _sync(conn, s.units, "unit", {
        code: _unit_row(model, u) for code, u in model.units.items()
    }, _unit_state)
    changes += _sync(conn, s.indicators, "indicator", {
        code: {"definition": i.to_dict(), "period_type": i.period_type}
        for code, i in model.indicators.items()
    }, lambda row: row["definition"])
    changes += _sync(conn, s.priorities, "priority", {
        code: {"definition": p.to_dict()} for code, p in model.priorities.items()
    }, lambda row: row["definition"])
    changes += _sync(conn, s.datasets, "dataset", {
        code: {"definition": d.to_dict()} for code, d in model.datasets.items()
    }, lambda row: row["definition"])
    changes += _sync(conn, s.rules, "rule", {
        str(r["code"]): {"definition": r} for r in model.rules if r.get("code")
    }, lambda row: row["definition"])
    if not changes:
        return LoadSummary(None, [])
    load_id = conn.execute(s.model_loads.insert().values(
        loaded_at=now, source=source, loaded_by=loaded_by)).inserted_primary_key[0]
    conn.execute(s.model_changes.insert(), [
        {"load_id": load_id, "entity": c.entity, "code": c.code, "action": c.action,
         "before": c.before, "after": c.after} for c in changes
    ])
    return LoadSummary(load_id, changes)


# A unit's French name and its level's are kept in its attributes' JSON (no column of
# their own, so no migration), under these keys, and taken out again when it is read back.
UNIT_NAME_FR = "name_fr"
UNIT_LEVEL_FR = "level_fr"


def _unit_row(model: DeliveryModel, u: Unit) -> dict[str, Any]:
    french = {k: v for k, v in ((UNIT_NAME_FR, u.name_fr), (UNIT_LEVEL_FR, u.level_fr)) if v}
    attributes = u.attributes | french if french else u.attributes
    return {"name": u.name, "level": u.level, "parent_code": u.parent,
            "path": _unit_path(model, u.code), "depth": model.depth(u.code),
            "attributes": attributes}


def _unit_state(row: dict[str, Any]) -> dict[str, Any]:
    return {"code": row["code"], "name": row["name"], "level": row["level"],
            "parent": row["parent_code"], "attributes": row["attributes"]}


def _sync(conn: Connection, table, entity: str, wanted: dict[str, dict[str, Any]],
          state) -> list[ModelChange]:
    existing = {r["code"]: dict(r) for r in conn.execute(select(table)).mappings()}
    changes: list[ModelChange] = []
    for code, values in wanted.items():
        new_state = state({"code": code, **values})
        old = existing.get(code)
        if old is None:
            conn.execute(table.insert().values(code=code, active=True, **values))
            changes.append(ModelChange(entity, code, "added", None, new_state))
            continue
        old_state = state(old)
        if old_state != new_state or not old["active"]:
            conn.execute(table.update().where(table.c.code == code).values(active=True, **values))
            action = "restored" if not old["active"] else "changed"
            changes.append(ModelChange(entity, code, action, old_state, new_state))
        elif any(old[k] != v for k, v in values.items()):
            # Derived columns only (e.g. a path after a parent moved): no user-visible change.
            conn.execute(table.update().where(table.c.code == code).values(**values))
    for code, old in existing.items():
        if code not in wanted and old["active"]:
            conn.execute(table.update().where(table.c.code == code).values(active=False))
            changes.append(ModelChange(entity, code, "retired", state(old), None))
    return changes


_cache: dict[tuple[str, bool], tuple[Any, DeliveryModel]] = {}


def read_model(conn: Connection, *, include_retired: bool = False) -> DeliveryModel:
    """The current delivery model (active entities only, unless asked).

    Cached per database until the next model load, because every submission and page
    needs it. Treat the returned model as read-only.
    """
    # The newest load's id, time and source, and how many changes all loads made: a database
    # emptied and loaded again (a restore, a test) can repeat the id and even the time.
    changes = select(func.count()).select_from(s.model_changes).scalar_subquery()
    newest = conn.execute(select(s.model_loads.c.id, s.model_loads.c.loaded_at,
                                 s.model_loads.c.source, changes)
                          .order_by(s.model_loads.c.id.desc()).limit(1)).first()
    key = (conn.engine.url.render_as_string(hide_password=False), include_retired)
    hit = _cache.get(key)
    if hit is not None and newest is not None and hit[0] == tuple(newest):
        return hit[1]
    model = _read_model(conn, include_retired)
    if newest is not None:
        _cache[key] = (tuple(newest), model)
    return model


def _read_model(conn: Connection, include_retired: bool) -> DeliveryModel:
    model = DeliveryModel()
    for r in conn.execute(select(s.units).order_by(s.units.c.path)).mappings():
        if r["active"] or include_retired:
            attributes = dict(r["attributes"])
            name_fr = str(attributes.pop(UNIT_NAME_FR, "") or "")
            level_fr = str(attributes.pop(UNIT_LEVEL_FR, "") or "")
            model.units[r["code"]] = Unit(r["code"], r["name"], r["level"], r["parent_code"],
                                          attributes, name_fr=name_fr, level_fr=level_fr)
    for r in conn.execute(select(s.indicators).order_by(s.indicators.c.id)).mappings():
        if r["active"] or include_retired:
            model.indicators[r["code"]] = indicator_from_dict(r["definition"])
    for r in conn.execute(select(s.priorities).order_by(s.priorities.c.id)).mappings():
        if r["active"] or include_retired:
            model.priorities[r["code"]] = priority_from_dict(r["definition"])
    for r in conn.execute(select(s.datasets).order_by(s.datasets.c.id)).mappings():
        if r["active"] or include_retired:
            model.datasets[r["code"]] = DataSet(**r["definition"])
    for r in conn.execute(select(s.rules).order_by(s.rules.c.id)).mappings():
        if r["active"] or include_retired:
            model.rules.append(dict(r["definition"]))
    return model


def indicator_from_dict(d: dict[str, Any]) -> Indicator:
    d = dict(d)
    d["polarity"] = Polarity(d["polarity"])
    d["aggregation"] = Aggregation(d["aggregation"])
    d["kind"] = IndicatorKind(d["kind"])
    return Indicator(**d)


def priority_from_dict(d: dict[str, Any]) -> Priority:
    d = dict(d)
    d["baseline"] = PeriodValue(**d["baseline"])
    d["target"] = PeriodValue(**d["target"])
    return Priority(**d)


def model_history(conn: Connection, code: str | None = None) -> list[dict[str, Any]]:
    """Every recorded model change, oldest first (optionally for one code)."""
    q = (select(s.model_changes, s.model_loads.c.loaded_at, s.model_loads.c.source,
                s.model_loads.c.loaded_by)
         .join(s.model_loads, s.model_loads.c.id == s.model_changes.c.load_id)
         .order_by(s.model_changes.c.id))
    if code is not None:
        q = q.where(s.model_changes.c.code == code)
    return [dict(r) for r in conn.execute(q).mappings()]


def current_load(conn: Connection) -> int | None:
    """The id of the newest model load: it changes whenever the model does."""
    return conn.execute(select(func.max(s.model_loads.c.id))).scalar()


def unit_ids(conn: Connection) -> dict[str, int]:
    return {r.code: r.id for r in conn.execute(select(s.units.c.code, s.units.c.id))}


def indicator_ids(conn: Connection) -> dict[str, int]:
    return {r.code: r.id for r in conn.execute(select(s.indicators.c.code, s.indicators.c.id))}
