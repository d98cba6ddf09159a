"""The delivery model: load its files, list units, indicators and priorities, and show its
history. Each command calls a service and hands the result to its renderer, which prints
it as a table or as JSON."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ..reports.formatting import coverage_text
from ..results.overview import PriorityOverview
from .common import (
    AsOfOption,
    DbOption,
    JsonOption,
    console,
    err,
    login_name,
    open_db,
    parse_as_of,
    print_json,
    show,
)


def load(
    directory: Annotated[Path, typer.Argument(help="Folder with units.csv, indicators.yaml, "
                                                   "priorities.yaml.")],
    db: DbOption = None,
    by: Annotated[str | None, typer.Option("--by", help="Who is loading (default: you).")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Check and show the changes; store nothing.")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Load even if it retires every unit, indicator or priority.")]
    = False,
    require_languages: Annotated[str, typer.Option(
        "--require-languages", help="Languages every name, definition and title must have: "
        "en, or en,fr to refuse a model missing any French translation (without it a "
        "missing one is a warning, once the model holds any French).")] = "en",
    as_json: JsonOption = False,
) -> None:
    """Validate the delivery model files and apply them; every change is kept in the history."""
    from ..model.files import ModelError, parse_languages
    from ..services.data.model_service import load_model

    languages = parse_languages(require_languages)
    engine = open_db(db)
    try:
        summary = load_model(engine, directory, loaded_by=by or login_name(),
                             dry_run=dry_run, force=force, require_languages=languages)
    except ModelError as exc:  # an answer of its own: every problem, "loaded": false
        render_model_problems(exc, directory, as_json=as_json)
        raise typer.Exit(ModelError.exit_code) from None  # Invalid's: 2
    render_load(summary, directory, dry_run=dry_run, as_json=as_json)


def render_model_problems(exc, directory: Path, *, as_json: bool = False) -> None:
    """Why nothing was loaded: every problem in the model files, with file, line and field."""
    if as_json:
        print_json({"loaded": False, "problems": [
            {"file": p.file, "line": p.line, "field": p.field, "message": p.message}
            for p in exc.problems]})
        return
    err.print(f"[red]Nothing loaded:[/red] {len(exc.problems)} problem(s) in {directory}")
    for p in exc.problems:
        err.print(f"  {p}", markup=False)


def render_load(summary, directory: Path, *, dry_run: bool, as_json: bool = False) -> None:
    """What a load changed (or would change, on a dry run), counted by entity and action,
    and its warnings (on stderr; in JSON only when there are some)."""
    if as_json:
        answer: dict[str, Any] = {
            "loaded": not dry_run, "load_id": summary.load_id, "changes": [
                {"entity": c.entity, "code": c.code, "action": c.action,
                 "fields": c.fields_changed()} for c in summary.changes]}
        if summary.warnings:
            answer["warnings"] = [{"file": p.file, "line": p.line, "field": p.field,
                                   "message": p.message} for p in summary.warnings]
        print_json(answer)
        return
    if summary.warnings:
        err.print(f"[yellow]Warning:[/yellow] {len(summary.warnings)} missing French "
                  "translation(s):")
        for p in summary.warnings:
            err.print(f"  {p}", markup=False)
    verb = "Would apply" if dry_run else "Loaded"
    if not summary.changes:
        console.print("The model is unchanged.")
        return
    parts = []
    for entity, plural in (("unit", "units"), ("indicator", "indicators"),
                           ("priority", "priorities"), ("dataset", "data sets"),
                           ("rule", "rules")):
        counts = [f"{summary.count(entity, a)} {a}" for a in ("added", "changed", "retired",
                                                              "restored")
                  if summary.count(entity, a)]
        if counts:
            parts.append(f"{plural}: " + ", ".join(counts))
    console.print(f"{verb} {directory}: " + "; ".join(parts))
    for c in summary.changes:
        if c.action == "changed":
            console.print(f"  {c.entity} {c.code}: changed {', '.join(c.fields_changed())}",
                          markup=False)


def units(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List the reporting units, as a tree."""
    from ..services.data.model_service import current_model

    render_units(current_model(open_db(db)), as_json=as_json)


def render_units(model, *, as_json: bool = False) -> None:
    """The model's units in hierarchy order, each with its depth (indented in the table)."""
    depths = model.depths()
    if as_json:
        print_json([u.to_dict() | {"depth": depths[u.code]} for u in model.units.values()])
        return
    table = Table(title=f"{len(model.units)} reporting units")
    extra = sorted({k for u in model.units.values() for k in u.attributes})
    for col in ["code", "name", "level", "parent", *extra]:
        table.add_column(col, justify="right" if col in extra else "left")
    for u in model.units.values():
        table.add_row(*(escape(text) for text in (
            _indent(depths[u.code]) + u.code, u.name, u.level, u.parent or "",
            *[_attr(u.attributes.get(k)) for k in extra])))
    show(table)


MAX_INDENT = 10  # levels shown by indenting; deeper units show their depth instead


def _indent(depth: int) -> str:
    """Two spaces a level; a hierarchy thousands deep would make rows thousands wide."""
    if depth <= MAX_INDENT:
        return "  " * depth
    return "  " * MAX_INDENT + f"({depth}) "


def _attr(value: Any) -> str:
    if isinstance(value, int | float):
        return f"{value:,}"
    return "" if value is None else str(value)


def indicators(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List the indicator definitions."""
    from ..services.data.model_service import current_model

    render_indicators(current_model(open_db(db)), as_json=as_json)


def render_indicators(model, *, as_json: bool = False) -> None:
    """The model's indicators, with how each rolls up."""
    if as_json:
        print_json([i.to_dict() for i in model.indicators.values()])
        return
    table = Table(title=f"{len(model.indicators)} indicators")
    for col in ("code", "name", "unit", "polarity", "period", "aggregation", "kind"):
        table.add_column(col)
    for i in model.indicators.values():
        agg = i.aggregation.value
        if i.aggregation.value == "ratio":
            agg = f"ratio {i.numerator}/{i.denominator} x {i.scale:g}"
        elif i.aggregation.value == "weighted_mean":
            agg = f"weighted_mean by {i.weight}"
        table.add_row(i.code, i.name, i.unit, i.polarity.value, i.period_type, agg, i.kind.value)
    show(table)


def priorities(db: DbOption = None, as_of: AsOfOption = None, as_json: JsonOption = False) -> None:
    """List the priorities with baseline, latest actual, target and the data vintage."""
    from ..services.reading.overview import priority_overview
    from ..services.reading.snapshot import Snapshot

    moment = parse_as_of(as_of)  # a bad --as-of is refused before a database is opened
    snap = Snapshot(open_db(db), moment)
    render_priorities(priority_overview(snap), as_json=as_json)


def render_priorities(overview: PriorityOverview, title: str = "Priorities", *,
                      as_json: bool = False) -> None:
    """The priority overview: baseline, latest actual, target (and its verdict), owner."""
    if as_json:
        print_json(overview)
        return
    vintage = overview.data_as_of
    vintage = f"{datetime.fromisoformat(vintage):%Y-%m-%d %H:%M} UTC" if vintage else "no data"
    table = Table(title=title, caption=f"Data as of {vintage}")
    for col, justify in (("code", "left"), ("priority", "left"), ("headline", "left"),
                         ("scope", "left"), ("baseline", "right"), ("latest actual", "right"),
                         ("target", "right"), ("owner", "left")):
        table.add_column(col, justify=justify)
    for p in overview.priorities:
        latest, dec = p.latest, p.decimals
        latest_text = "no data" if latest is None else (
            f"{_fmt(latest.value, dec)} ({latest.period})"
            + ("" if latest.complete else f" {coverage_text(latest.coverage)} reported"))
        v = p.at_target_period
        verdict = "" if not v else (f": target {v.status}, {_fmt(v.actual, dec)} in "
                                    f"{v.actual_period}")
        table.add_row(
            p.code, p.title, f"{p.headline} ({p.unit_of_measure})", p.scope,
            f"{_fmt(p.baseline.value, dec)} ({p.baseline.period})",
            latest_text,
            f"{_fmt(p.target.value, dec)} ({p.target.period}){verdict}",
            p.owner,
        )
    show(table)


def _fmt(value: float | None, decimals: int | None = None) -> str:
    """A figure with the indicator's decimals; without them, whole above 100, else one."""
    if value is None:
        return "-"
    if decimals is None:
        decimals = 0 if float(value).is_integer() and abs(value) >= 100 else 1
    return f"{value:,.{decimals}f}"


def changes(
    code: Annotated[str | None, typer.Argument(help="Only changes to this code.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show the history of the delivery model: what changed, when, and who loaded it."""
    from ..store.model_repo import model_history

    with open_db(db).connect() as conn:
        rows = model_history(conn, code)
    render_changes(rows, as_json=as_json)


def render_changes(rows: list[dict[str, Any]], *, as_json: bool = False) -> None:
    """The model's history, newest last, with the fields each change touched."""
    if as_json:
        print_json(rows)
        return
    table = Table(title="Model history")
    for col in ("when", "by", "entity", "code", "action", "fields"):
        table.add_column(col)
    for r in rows:
        fields = ""
        if r["before"] and r["after"]:
            fields = ", ".join(sorted(k for k in set(r["before"]) | set(r["after"])
                                      if r["before"].get(k) != r["after"].get(k)))
        table.add_row(f"{r['loaded_at']:%Y-%m-%d %H:%M}", r["loaded_by"], r["entity"], r["code"],
                      r["action"], fields)
    show(table)


def register(app: typer.Typer) -> None:
    for command in (load, units, indicators, priorities, changes):
        app.command()(command)
