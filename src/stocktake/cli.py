"""The stocktake command line: parse arguments, call a service, print. No business logic."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from .cli_common import (  # noqa: F401  (re-exported: tests and modules import them here)
    AsOfOption,
    DbOption,
    JsonOption,
    _engine,
    _print_json,
    _service,
    app,
    console,
    err,
    login_name,
    parse_as_of,
    show,
)
from .intake.findings import Finding
from .model.files import ModelError
from .reports.formatting import coverage_text


def _fmt(value: float | None, decimals: int | None = None) -> str:
    if value is None:
        return "-"
    if decimals is None:
        decimals = 0 if float(value).is_integer() and abs(value) >= 100 else 1
    return f"{value:,.{decimals}f}"


# -- demo and serve ---------------------------------------------------------------------

@app.command()
def demo(
    db: DbOption = None,
    serve: Annotated[bool, typer.Option(
        "--serve/--no-serve", help="Serve the demo on the web after building it.")] = True,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
    seed: Annotated[int, typer.Option(help="Seed of the simulated world.")] = 2026,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace a database that holds something other than the demo.")] = False,
    rebuild: Annotated[bool, typer.Option(
        "--rebuild", help="Build again even if the database holds this very demo.")] = False,
) -> None:
    """Build the simulated demo federation into the database, print its priorities, serve it.

    A database already holding the demo built from the same seed and code is reused.
    """
    from rich.progress import Progress

    from .demo.build import DemoError, build_demo, is_current
    from .services.overview import priority_overview

    engine = _engine(db)
    if is_current(engine, seed) and not rebuild:
        err.print("The demo database is up to date: reusing it (--rebuild to build again).")
        _print_overview(priority_overview(engine), title="Demo federation (simulated data)")
        _print_demo_accounts(engine)
        if serve:
            _serve(engine, host, port)
        return
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("Building the demo world", total=None)

        def step(done: int, total: int, what: str = "") -> None:
            progress.update(task, completed=done, total=total,
                            description=what or "Building the demo world")

        try:
            summary = build_demo(engine, seed=seed, force=force, progress=step)
        except DemoError as exc:
            err.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from None
    err.print(f"Built {summary}")
    _print_overview(priority_overview(engine), title="Demo federation (simulated data)")
    _print_demo_accounts(engine)
    if serve:
        _serve(engine, host, port)


def _print_demo_accounts(engine) -> None:
    """One account per role, with fresh passwords, to sign in to the demo with."""
    from .services.accounts import ROLE_TEXT, demo_accounts

    table = Table(title="Demo accounts (new passwords at each start)")
    for col in ("username", "password", "role"):
        table.add_column(col)
    for username, role, password in demo_accounts(engine):
        table.add_row(username, password, ROLE_TEXT.get(role, role))
    show(table)


@app.command()
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
) -> None:
    """Serve the web application on the database."""
    _serve(_engine(db), host, port)


def _serve(engine, host: str, port: int) -> None:
    import uvicorn

    from .web.app import create_app

    err.print(f"Serving on http://{host}:{port}  (Ctrl+C to stop)")
    uvicorn.run(create_app(engine), host=host, port=port, log_level="warning")


# -- the delivery model -----------------------------------------------------------------

@app.command()
def load(
    directory: Annotated[Path, typer.Argument(help="Folder with units.csv, indicators.yaml, "
                                                   "priorities.yaml.")],
    db: DbOption = None,
    by: Annotated[str | None, typer.Option("--by", help="Who is loading (default: you).")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Check and show the changes; store nothing.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Validate the delivery model files and apply them; every change is kept in the history."""
    from .services.model_service import load_model

    engine = _engine(db)
    try:
        summary = load_model(engine, directory, loaded_by=by or login_name(),
                             dry_run=dry_run)
    except ModelError as exc:
        if as_json:
            _print_json({"loaded": False, "problems": [
                {"file": p.file, "line": p.line, "field": p.field, "message": p.message}
                for p in exc.problems]})
        else:
            err.print(f"[red]Nothing loaded:[/red] {len(exc.problems)} problem(s) in {directory}")
            for p in exc.problems:
                err.print(f"  {p}", markup=False)
        raise typer.Exit(1) from None
    if as_json:
        _print_json({"loaded": not dry_run, "load_id": summary.load_id, "changes": [
            {"entity": c.entity, "code": c.code, "action": c.action,
             "fields": c.fields_changed()} for c in summary.changes]})
        return
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


@app.command()
def units(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List the reporting units, as a tree."""
    from .services.model_service import current_model

    model = current_model(_engine(db))
    if as_json:
        _print_json([u.to_dict() | {"depth": model.depth(u.code)} for u in model.units.values()])
        return
    table = Table(title=f"{len(model.units)} reporting units")
    extra = sorted({k for u in model.units.values() for k in u.attributes})
    for col in ["code", "name", "level", "parent", *extra]:
        table.add_column(col, justify="right" if col in extra else "left")
    for u in model.units.values():
        indent = "  " * model.depth(u.code)
        table.add_row(indent + u.code, u.name, u.level, u.parent or "",
                      *[_attr(u.attributes.get(k)) for k in extra])
    show(table)


def _attr(value: Any) -> str:
    if isinstance(value, int | float):
        return f"{value:,}"
    return "" if value is None else str(value)


@app.command()
def indicators(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List the indicator definitions."""
    from .services.model_service import current_model

    model = current_model(_engine(db))
    if as_json:
        _print_json([i.to_dict() for i in model.indicators.values()])
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


@app.command()
def priorities(db: DbOption = None, as_of: AsOfOption = None, as_json: JsonOption = False) -> None:
    """List the priorities with baseline, latest actual, target and the data vintage."""
    from .services.overview import priority_overview

    moment = parse_as_of(as_of)
    overview = priority_overview(_engine(db), as_of=moment)
    if as_json:
        _print_json(overview)
        return
    _print_overview(overview)


def _print_overview(overview: dict[str, Any], title: str = "Priorities") -> None:
    vintage = overview["data_as_of"]
    vintage = f"{datetime.fromisoformat(vintage):%Y-%m-%d %H:%M} UTC" if vintage else "no data"
    table = Table(title=title, caption=f"Data as of {vintage}")
    for col, justify in (("code", "left"), ("priority", "left"), ("headline", "left"),
                         ("scope", "left"), ("baseline", "right"), ("latest actual", "right"),
                         ("target", "right"), ("owner", "left")):
        table.add_column(col, justify=justify)
    for p in overview["priorities"]:
        latest, dec = p["latest"], p.get("decimals")
        latest_text = "no data" if latest is None else (
            f"{_fmt(latest['value'], dec)} ({latest['period']})"
            + ("" if latest["complete"] else f" {coverage_text(latest['coverage'])} reported"))
        v = p.get("at_target_period")
        verdict = "" if not v else (f": target {v['status']}, {_fmt(v['actual'], dec)} in "
                                    f"{v['actual_period']}")
        table.add_row(
            p["code"], p["title"], f"{p['headline']} ({p['unit_of_measure']})", p["scope"],
            f"{_fmt(p['baseline']['value'], dec)} ({p['baseline']['period']})",
            latest_text,
            f"{_fmt(p['target']['value'], dec)} ({p['target']['period']}){verdict}",
            p["owner"],
        )
    show(table)


@app.command()
def changes(
    code: Annotated[str | None, typer.Argument(help="Only changes to this code.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show the history of the delivery model: what changed, when, and who loaded it."""
    from .store.model_repo import model_history

    engine = _engine(db)
    with engine.connect() as conn:
        rows = model_history(conn, code)
    if as_json:
        _print_json(rows)
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


# -- data -------------------------------------------------------------------------------

@app.command()
def submit(
    file: Annotated[Path, typer.Argument(
        help="Long CSV (indicator,unit,period,value), wide CSV (unit,period,<indicator>...), "
        "Excel .xlsx (e.g. a filled template), JSON or Parquet.")],
    db: DbOption = None,
    unit: Annotated[str | None, typer.Option(
        "--unit", metavar="CODE",
        help="Submit for this unit: rows for other units than it and those below it are "
        "refused.")] = None,
    submitter: Annotated[str | None, typer.Option(help="Who is submitting (default: you).")]
    = None,
    reason: Annotated[str, typer.Option(help="Why, e.g. 'correction after audit'.")] = "",
    partial: Annotated[bool, typer.Option(
        "--partial", help="Store the valid rows and quarantine the rows with errors, "
        "instead of storing nothing.")] = False,
    outliers: Annotated[str, typer.Option(
        "--outliers", metavar="METHOD",
        help="Outlier check against each unit's history: modified_z, z_score or min_max.")]
    = "modified_z",
    as_json: JsonOption = False,
) -> None:
    """Validate a file of observations and store it as one batch, or store nothing."""
    from .intake.service import submit_file

    if outliers not in ("modified_z", "z_score", "min_max"):
        raise typer.BadParameter("use modified_z, z_score or min_max", param_hint="--outliers")
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    engine = _engine(db)
    # On stderr, so that --json output stays clean; gone once the submission ends. A bar
    # per stage: the file's bytes while it is read, then a pulse while the rest runs.
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[size]}"),
               TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        stages: dict[str, Any] = {}

        def step(stage: str, done: int | None, total: int | None) -> None:
            if stage not in stages:
                for earlier in stages.values():
                    bar.update(earlier, visible=False)
                stages[stage] = bar.add_task(stage, total=total, size="")
            size = f"{(done or 0) / 1e6:,.1f} of {total / 1e6:,.1f} MB" if total else ""
            bar.update(stages[stage], completed=done or 0, size=size)

        result = submit_file(engine, file, submitter=submitter or login_name(),
                             reason=reason, scope=unit, partial=partial,
                             outlier_method=outliers, progress=step)
    if as_json:
        _print_json(result.to_dict())
    else:
        _print_submission(file, result)
    if not result.accepted:
        raise typer.Exit(1)


def _print_submission(file: Path, result) -> None:
    errors = result.errors
    if errors and not result.accepted:
        err.print(f"[red]Rejected {file.name}:[/red] {len(errors):,} error(s) in "
                  f"{result.rows:,} row(s); nothing was stored. Fix them and submit the whole "
                  "file again.")
        _print_findings(result.findings)
        return
    if result.duplicate_of is not None:
        console.print(f"{file.name} is identical to batch {result.duplicate_of}: "
                      "nothing changed.")
        return
    console.print(f"Accepted {file.name} as batch {result.batch}: {result.rows:,} row(s); "
                  f"{result.added:,} new, {result.revised:,} revised, {result.unchanged:,} "
                  "unchanged" + (f"; {result.quarantined:,} quarantined with errors"
                                 if result.quarantined else "") + ".")
    if result.findings:
        _print_findings(result.findings)


def _print_findings(findings: list[Finding], limit: int = 50) -> None:
    table = Table(show_lines=False)
    for col in ("row", "column", "value", "severity", "check", "message"):
        table.add_column(col, overflow="fold")
    for f in findings[:limit]:
        table.add_row("" if f.row is None else str(f.row), f.column or "",
                      "" if f.value is None else str(f.value), f.severity, f.check, f.message)
    err.print(table)
    if len(findings) > limit:
        err.print(f"... and {len(findings) - limit} more (use --json for all of them)")


@app.command()
def export(
    out: Annotated[Path, typer.Option("--out", metavar="FILE",
                                      help="File to write: .csv or .parquet.")],
    db: DbOption = None,
    as_of: AsOfOption = None,
    indicator: Annotated[list[str] | None, typer.Option(
        metavar="CODE", help="Only this indicator (repeatable).")] = None,
    unit: Annotated[list[str] | None, typer.Option(
        metavar="CODE", help="Only this unit (repeatable).")] = None,
) -> None:
    """Write the observations (latest, or as known at --as-of) to CSV or Parquet."""
    from .services.export import export_observations

    moment = parse_as_of(as_of)
    n = _service(export_observations, _engine(db), out, as_of=moment, indicators=indicator,
                 units=unit)
    console.print(f"Wrote {n:,} value(s) to {out}")


@app.command()
def history(
    indicator: Annotated[str, typer.Argument(help="Indicator code.")],
    unit: Annotated[str, typer.Argument(help="Reporting unit code.")],
    period: Annotated[str, typer.Argument(help="Period, e.g. 2024-03.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show every vintage of one value: when it was recorded, by which batch, and why."""
    from .model.periods import Period, PeriodError
    from .store.observations import history as value_history

    try:
        code = Period.parse(period).code
    except PeriodError as exc:
        raise typer.BadParameter(str(exc), param_hint="PERIOD") from None
    engine = _engine(db)
    with engine.connect() as conn:
        rows = value_history(conn, indicator, unit, code)
    if as_json:
        _print_json({"indicator": indicator, "unit": unit, "period": code, "vintages": rows})
        return
    if not rows:
        err.print(f"No value recorded for {indicator} at {unit} in {code}.")
        raise typer.Exit(1)
    table = Table(title=f"{indicator} at {unit}, {code}: {len(rows)} vintage(s)")
    for col in ("recorded at", "value", "batch", "submitter", "reason", "source"):
        table.add_column(col)
    for r in rows:
        table.add_row(f"{r['recorded_at']:%Y-%m-%d %H:%M:%S}", _fmt(r["value"], 2),
                      str(r["batch_id"]), r["submitter"], r["reason"], r["source"])
    show(table)


@app.command()
def template(
    unit: Annotated[str, typer.Option("--unit", metavar="CODE", help="The reporting unit.")],
    period: Annotated[str, typer.Option("--period", metavar="PERIOD",
                                        help="The period, e.g. 2025-03.")],
    out: Annotated[Path, typer.Option("--out", metavar="FILE.xlsx", help="File to write.")],
    db: DbOption = None,
) -> None:
    """Write the Excel form a provider fills in for one unit and period, then submits."""
    from .services.templates import write_template

    n = _service(write_template, _engine(db), unit, period, out)
    console.print(f"Wrote {out}: {n} indicator(s) to fill for {unit}, {period}.")


@app.command()
def quality(
    db: DbOption = None,
    unit: Annotated[str | None, typer.Option(
        "--unit", metavar="CODE", help="Only this unit and the units below it.")] = None,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """Data quality per reporting unit: a league table with completeness, timeliness,
    validity, revisions, outliers and a combined score (formula printed)."""
    from .services.quality import data_quality

    report = _service(data_quality, _engine(db), as_of=parse_as_of(as_of), unit=unit)
    if as_json:
        _print_json(report)
        return
    _quality_tables(report)


def _quality_tables(report: dict[str, Any]) -> None:
    """The league table, then each unit's score by year. On a narrow terminal the units
    go by code, level and expected values are left to --json and the headers shorten,
    so no figure is cut."""
    wide = console.width >= 110
    table = Table(title=f"Data quality as of {report['as_of'][:16].replace('T', ' ')} UTC",
                  caption=report["formula"])
    columns = (("rank", "unit", "level", "expected", "completeness", "timeliness", "validity",
                "revised", "outliers", "score") if wide else
               ("#", "unit", "complete", "timely", "valid", "revised", "outliers", "score"))
    for col in columns:
        table.add_column(col, justify="left" if col in ("unit", "level") else "right",
                         no_wrap=not wide or col != "unit")

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{v:.1%}"

    for r in report["units"]:
        figures = [pct(r["completeness"]), pct(r["timeliness"]), pct(r["validity"]),
                   pct(r["revision_rate"]), pct(r["outlier_rate"]), f"{r['score']:.1f}"]
        if wide:
            table.add_row(str(r["rank"]), f"{r['unit']} {r['name']}", r["level"],
                          f"{r['expected']:,}", *figures)
        else:
            table.add_row(str(r["rank"]), r["unit"], *figures)
    show(table)
    by_unit: dict[str, dict[str, float]] = {}
    for point in report["trend"]:
        by_unit.setdefault(point["unit"], {})[point["year"]] = point["score"]
    years = sorted({y for scores in by_unit.values() for y in scores})
    if not years:
        return
    trend = Table(title="Score by year (over each calendar year's expected values)")
    trend.add_column("unit")
    for year in years:
        trend.add_column(year, justify="right", no_wrap=True)
    trend.add_column("last change", no_wrap=True)
    for r in report["units"]:
        scores = by_unit.get(r["unit"], {})
        known = [y for y in years if y in scores]
        change = "-"
        if len(known) >= 2:
            step = scores[known[-1]] - scores[known[-2]]
            change = (f"up {step:.1f}" if step > 0.05 else f"down {-step:.1f}"
                      if step < -0.05 else "level")
        trend.add_row(r["unit"], *(f"{scores[y]:.1f}" if y in scores else "-" for y in years),
                      change)
    show(trend)


@app.command()
def approve(
    unit: Annotated[str, typer.Argument(help="Reporting unit code.")],
    period: Annotated[str, typer.Argument(help="Period, e.g. 2025-03.")],
    db: DbOption = None,
    by: Annotated[str | None, typer.Option("--by", help="Who approves (default: you).")] = None,
    reason: Annotated[str, typer.Option(help="A note kept with the approval.")] = "",
) -> None:
    """Approve a unit's period: it and the units below it are locked for that period."""
    from .services.approval import approve as approve_period

    code = _service(approve_period, _engine(db), unit, period, by=by or login_name(),
                    reason=reason)
    console.print(f"Approved and locked {unit} {code} (and the units below it).")


@app.command()
def reopen(
    unit: Annotated[str, typer.Argument(help="Reporting unit code.")],
    period: Annotated[str, typer.Argument(help="Period, e.g. 2025-03.")],
    reason: Annotated[str, typer.Option(help="Why it is reopened (required, recorded).")],
    db: DbOption = None,
    by: Annotated[str | None, typer.Option("--by", help="Who reopens (default: you).")] = None,
) -> None:
    """Reopen a locked period so corrections can be submitted; the reason is recorded."""
    from .services.approval import reopen as reopen_period

    code = _service(reopen_period, _engine(db), unit, period, by=by or login_name(),
                    reason=reason)
    console.print(f"Reopened {unit} {code}.")


@app.command()
def batches(
    db: DbOption = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """List the newest submission batches: who, when, what changed, what was flagged."""
    from .store.observations import list_batches

    engine = _engine(db)
    with engine.connect() as conn:
        rows = list_batches(conn, limit)
    if as_json:
        _print_json(rows)
        return
    table = Table(title="Submission batches (newest first)")
    for col in ("batch", "recorded at", "submitter", "source", "status", "rows", "new",
                "revised", "warnings", "quarantined"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["id"]), f"{r['recorded_at']:%Y-%m-%d %H:%M}", r["submitter"],
                      r["source"], r["status"], str(r["rows"]), str(r["added"]),
                      str(r["revised"]), str(r["warnings"]), str(r["quarantined"]))
    show(table)


# -- reading the data -------------------------------------------------------------------

def _vintage_caption(report: dict[str, Any]) -> str:
    vintage = report.get("data_as_of")
    text = f"Data as of {vintage[:16].replace('T', ' ')} UTC" if vintage else "No data"
    if report.get("as_of"):
        text += f" (as known at {report['as_of'][:16].replace('T', ' ')})"
    return text


def _num(value: Any, decimals: int = 1) -> str:
    return "-" if value is None else f"{value:,.{decimals}f}"


@app.command()
def status(
    db: DbOption = None,
    priority: Annotated[str | None, typer.Option(
        "--priority", metavar="CODE", help="Only this priority.")] = None,
    unit: Annotated[str | None, typer.Option(
        "--unit", metavar="CODE", help="Read at this unit (within the priority's scope).")]
    = None,
    as_of: AsOfOption = None,
    forecasts: Annotated[str, typer.Option(
        metavar="WHICH", help="Forecasts at the scope only (scope), for every unit too (all), "
        "or none.")] = "scope",
    units: Annotated[bool, typer.Option("--units/--no-units",
                                        help="Also read each unit one level down.")] = True,
    all_units: Annotated[bool, typer.Option(
        "--all-units", help="Read every unit below, at every level (one load of the data).")]
    = False,
    as_json: JsonOption = False,
) -> None:
    """Where every priority stands: latest actual against its trajectory, SPC icons, the
    forecast at the target date and the probability of meeting the target."""
    from .services.status import priority_status

    report = _service(priority_status, _engine(db), priority=priority, unit=unit,
                      as_of=parse_as_of(as_of), units=units or all_units, forecasts=forecasts,
                      depth=None if all_units else 1)
    if as_json:
        _print_json(report)
        return
    table = Table(title="Status of the priorities", caption=_vintage_caption(report))
    for col in ("priority", "unit", "latest", "expected", "gap %", "status", "SPC",
                "forecast at target (80%)", "P(meet)"):
        table.add_column(col, justify="right" if col in ("latest", "expected", "gap %",
                                                         "P(meet)") else "left")
    for p in report["priorities"]:
        places = _places(p.get("decimals"))
        for row in [p, *(p.get("units") or [])]:
            latest = row.get("latest")
            fc = row.get("forecast") or {}
            spc = row.get("spc") or {}
            prob = row.get("probability_of_meeting")
            table.add_row(
                p["code"] if row is p else "", row["unit"],
                "-" if latest is None else
                f"{_num(latest['value'], places)} ({latest['period']})",
                _num(row.get("expected"), places)
                + (" (target)" if row.get("at_target_period") else ""),
                "-" if row.get("gap_pct") is None else f"{row['gap_pct']:+.1f}%"
                + _at_deadline(row),
                _status_text(row, p["unit_of_measure"], p.get("decimals")),
                (spc.get("variation_label", "-") or "-")
                + (" (trial limits: fewer than 12 points)" if spc.get("trial") else ""),
                f"{_num(fc.get('mean'), places)} ({_num(fc.get('lower_80'), places)} to "
                f"{_num(fc.get('upper_80'), places)}) {fc.get('period', '')}"
                if fc.get("mean") is not None else "-",
                "-" if prob is None else f"{prob:.0%}")
    show(table)
    for p in report["priorities"]:
        for stage in p.get("stages") or []:
            if not stage.get("current"):
                console.print(f"{p['code']} earlier stage: {_stage_text(stage, p)}")


def _at_deadline(row: dict[str, Any]) -> str:
    """Once a target is met or missed its gap is the deadline's, not the latest figure's:
    say which period it belongs to, since the latest sits beside it."""
    verdict = row.get("at_target_period")
    return "" if not verdict else f" (at {verdict['actual_period']})"


def _coverage_cell(coverage: float | None, partial: bool) -> str:
    """The children's coverage, and whether the value is partial: every child can have
    reported while a unit further down did not ("100%, partial below", not "100% partial")."""
    if coverage is None:
        return "partial" if partial else "-"
    text = coverage_text(coverage)
    if not partial:
        return text
    return f"{text}, partial below" if coverage >= 1 else f"{text} partial"


def _value_places(report: dict[str, Any]) -> int:
    """Decimals for an indicator's values in a table: its own (0 for counts), else 2."""
    decimals = (report.get("indicator") or {}).get("decimals")
    return 2 if decimals is None else decimals


def _places(decimals: int | None) -> int:
    """Decimals for a table column: the indicator's (0 for counts), else 1."""
    return 1 if decimals is None else decimals


def _status_text(row: dict[str, Any], uom: str | None, decimals: int | None) -> str:
    """The status word; once the target period is complete, met or missed at the deadline
    beside the target, and the series since."""
    from .reports.formatting import figure

    status = str(row.get("status") or "")
    v = row.get("at_target_period")
    if row.get("status_note"):
        return f"{status.replace('_', ' ')}: {row['status_note']}"
    if not v or status not in ("met", "missed"):
        return status.replace("_", " ")
    text = (f"target {status}: {figure(v['actual'], uom, decimals)} in {v['actual_period']} "
            f"vs {figure(v['target'], uom, decimals)}")
    since = v.get("since") or {}
    if since.get("period") and since["period"] != v["actual_period"]:
        text += f"; since: {figure(since['value'], uom, decimals)} ({since['period']})"
    return text


def _stage_text(stage: dict[str, Any], p: dict[str, Any]) -> str:
    from .reports.formatting import figure, status_word

    uom, dec = p["unit_of_measure"], p.get("decimals")
    t, b = stage["target"], stage["baseline"]
    text = (f"{figure(b['value'], uom, dec)} ({b['period']}) to {figure(t['value'], uom, dec)} "
            f"({t['period']}): {status_word(stage['status']).lower()}")
    v = stage.get("at_target_period")
    if v:
        text += f", {figure(v['actual'], uom, dec)} in {v['actual_period']}"
    return text


@app.command()
def trajectory(
    priority: Annotated[str, typer.Argument(help="Priority code.")],
    db: DbOption = None,
    unit: Annotated[str | None, typer.Option(
        "--unit", metavar="CODE", help="A unit within the scope: its share of the "
        "trajectory.")] = None,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """Actual against the trajectory, period by period: expected, gap, gap %, on or off
    track against the priority's tolerance."""
    from .services.status import priority_trajectory

    report = _service(priority_trajectory, _engine(db), priority, unit=unit,
                      as_of=parse_as_of(as_of))
    if as_json:
        _print_json(report)
        return
    traj = report.get("trajectory") or {}
    table = Table(title=f"{priority} at {report['unit']}: {traj.get('method', 'no')} "
                        "trajectory", caption=_vintage_caption(report))
    for col in ("period", "actual", "expected", "gap", "gap %", "status"):
        table.add_column(col, justify="left" if col in ("period", "status") else "right")
    places = _places(report.get("decimals"))
    for r in report.get("readings", []):
        table.add_row(r["period"], _num(r["actual"], places), _num(r["expected"], places),
                      _num(r["gap"], places),
                      "-" if r["gap_pct"] is None else f"{r['gap_pct']:+.1f}%",
                      r["status"].replace("_", " "))
    show(table)
    console.print(report["tolerance"]["rule"])
    v = report.get("at_target_period")
    if v:
        from .reports.formatting import verdict_sentence

        console.print(verdict_sentence(v, report["unit_of_measure"], report.get("decimals")))


@app.command()
def series(
    indicator: Annotated[str, typer.Argument(help="Indicator code.")],
    unit: Annotated[str, typer.Option("--unit", metavar="CODE",
                                      help="Any unit of the hierarchy.")],
    db: DbOption = None,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """An indicator's series at any unit, rolled up by its aggregation rule, with coverage
    and any reported total beside the computed one."""
    from .services.readings import indicator_series

    report = _service(indicator_series, _engine(db), indicator, unit, as_of=parse_as_of(as_of))
    if as_json:
        _print_json(report)
        return
    table = Table(title=f"{indicator} at {unit} ({report['method']})",
                  caption=_vintage_caption(report))
    for col in ("period", "value", "computed", "reported", "gap", "coverage", "source"):
        table.add_column(col, justify="left" if col in ("period", "source") else "right")
    dp = _value_places(report)
    for pt in report["points"]:
        cov = pt["coverage"]
        table.add_row(pt["period"], _num(pt["value"], dp), _num(pt["computed"], dp),
                      _num(pt["reported"], dp), _num(pt["gap"], dp),
                      _coverage_cell(cov, pt["value_partial"]), pt["source"])
    show(table)


@app.command()
def spc(
    indicator: Annotated[str, typer.Argument(help="Indicator code.")],
    unit: Annotated[str, typer.Option("--unit", metavar="CODE", help="The unit.")],
    db: DbOption = None,
    target: Annotated[float | None, typer.Option(
        help="Target for the assurance icon (default: the priority's, if any).")] = None,
    fix_after: Annotated[int | None, typer.Option(
        "--fix-after", metavar="N", help="Fix the limits on the first N points (12 or more).")]
    = None,
    screen: Annotated[bool, typer.Option(
        "--screen/--no-screen", help="Screen moving ranges above 3.267 x the mean moving "
        "range before computing limits.")] = True,
    rebase: Annotated[list[str] | None, typer.Option(
        "--rebase", metavar="PERIOD", help="Also start new limits at this period, for this "
        "chart only (repeatable); to record a rebase, use spc-rebase.")] = None,
    seasonal: Annotated[str, typer.Option(
        "--seasonal", metavar="auto|on|off", help="auto: test for seasonality (F test of "
        "period-of-year effects, p < 0.01) and chart a seasonal series as seasonally adjusted "
        "values; off: the raw chart; on: adjust even if the test does not find seasonality.")]
    = "auto",
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """An XmR chart with the Making Data Count rules, and the variation and assurance icons.

    Seasonal series are read against their seasonal expectation (--seasonal). Limits restart
    at the rebases an analyst accepted (spc-rebase); rebase points found by a change-point
    search are suggested with their evidence, never applied.
    """
    from .services.readings import spc_chart

    report = _service(spc_chart, _engine(db), indicator, unit, target=target,
                      as_of=parse_as_of(as_of), fix_after_n_points=fix_after,
                      screen_outliers=screen, rebase_at=tuple(rebase or ()), seasonal=seasonal)
    if as_json:
        _print_json(report)
        return
    adjusted = "observed" in (report["points"][0] if report["points"] else {})
    table = Table(title=f"{indicator} at {unit}: {report['method']}",
                  caption=_vintage_caption(report))
    cols = ["period", *(["reported", "adjusted"] if adjusted else ["value"]), "mean", "lower",
            "upper", "rule", "point"]
    for col in cols:
        table.add_column(col, justify="left" if col in ("period", "rule", "point") else "right")
    dp = _value_places(report)
    sp = dp + 1  # limits and means: one place more than the values they summarise
    for pt in report["points"]:
        values = [_num(pt["observed"], dp), _num(pt["value"], sp)] if adjusted else [
            _num(pt["value"], dp)]
        table.add_row(pt["period"], *values, _num(pt["mean"], sp),
                      _num(pt["lower"], sp), _num(pt["upper"], sp), pt["rule"],
                      pt["point_type"].replace("_", " "))
    show(table)
    season = report.get("seasonal_adjustment") or {}
    if season.get("reason"):
        console.print(f"Seasonal test: {season['reason']}.")
    console.print(f"Variation: {report['variation_label']}")
    console.print(f"Assurance: {report['assurance_label'] or 'no target'}")
    for r in report.get("accepted_rebases") or []:
        console.print(f"Rebased at {r['period']} (accepted by {r['accepted_by']} on "
                      f"{r['accepted_at'][:10]}: {r['reason']})")
    suggestions = report.get("rebase_suggestions") or []
    if suggestions:
        rt = Table(title="Suggested rebases (not applied: accept one with spc-rebase)",
                   caption=(report.get("rebase_method") or {}).get("method"))
        for col in ("from", "mean before", "mean after", "shift", "shift (sigma)",
                    "cost reduction", "penalty"):
            rt.add_column(col, justify="left" if col == "from" else "right")
        for c in suggestions:
            rt.add_row(c["period"], _num(c["mean_before"], 2), _num(c["mean_after"], 2),
                       _num(c["shift"], 2), f"{c['shift_sigma']:+.1f}",
                       f"{c['cost_reduction']:.0f}", f"{c['penalty']:.0f}")
        show(rt)
    for w in report["warnings"]:
        console.print(f"[yellow]note:[/yellow] {w}")


@app.command("spc-rebase")
def spc_rebase(
    indicator: Annotated[str, typer.Argument(help="Indicator code.")],
    unit: Annotated[str, typer.Option("--unit", metavar="CODE", help="The unit.")],
    at: Annotated[str | None, typer.Option(
        "--at", metavar="PERIOD", help="The first period of the new limits.")] = None,
    reason: Annotated[str, typer.Option(
        "--reason", metavar="TEXT", help="What changed and why it is understood and "
        "sustained (required to accept or remove; recorded with who and when).")] = "",
    remove: Annotated[bool, typer.Option(
        "--remove", help="Withdraw the accepted rebase at --at (it stays in the history).")]
    = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Accept a rebase of SPC limits (or --remove one), or without --at list the history.

    An accepted rebase is used by spc, status, packs and pages from then on; readings
    --as-of an earlier moment do not use it. Suggested rebases are listed by spc.
    """
    from .services.rebases import accept_rebase, rebase_history, remove_rebase

    engine = _engine(db)
    if at is None:
        if remove:
            err.print("[red]error:[/red] --remove needs --at PERIOD")
            raise typer.Exit(2)
        history = _service(rebase_history, engine, indicator, unit)
        if as_json:
            _print_json(history)
            return
        table = Table(title=f"Rebases of {indicator} at {unit}")
        for col in ("period", "action", "by", "at", "reason"):
            table.add_column(col)
        for h in history:
            table.add_row(h["period"], h["action"], h["by"], h["at"], h["reason"])
        show(table)
        return
    act = remove_rebase if remove else accept_rebase
    done = _service(act, engine, indicator, unit, at, reason=reason, by=login_name())
    if as_json:
        _print_json(done)
        return
    what = "removed" if remove else "accepted"
    console.print(f"Rebase of {indicator} at {unit} from {done['period']} {what} by "
                  f"{done['by']} ({done['at']}): {done['reason']}")


@app.command()
def compare(
    indicator: Annotated[str, typer.Argument(help="A ratio indicator (a rate or a share).")],
    period: Annotated[str, typer.Option("--period", metavar="PERIOD", help="The period.")],
    db: DbOption = None,
    level: Annotated[str | None, typer.Option(
        "--level", metavar="LEVEL", help="Compare the units at this level (default: the "
        "level below the root).")] = None,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fair comparison of units: funnel-plot limits at 95% and 99.8% for each unit's
    denominator, over-dispersion adjusted when needed, and a league table with intervals."""
    from .services.readings import compare_units

    report = _service(compare_units, _engine(db), indicator, period, level=level,
                      as_of=parse_as_of(as_of))
    if as_json:
        _print_json(report)
        return
    table = Table(title=f"{indicator} in {period}: overall {_num(report['overall'], 2)} "
                        f"({report['kind']})", caption=_vintage_caption(report))
    for col in ("unit", "value", "denominator", "95% limits", "99.8% limits", "outside"):
        table.add_column(col, justify="left" if col in ("unit", "outside") else "right")
    for u in sorted(report["units"], key=lambda r: -r["value"]):
        flag = u["outside_99.8"] if u["outside_99.8"] != "inside" else (
            f"{u['outside_95']} (95% only)" if u["outside_95"] != "inside" else "")
        table.add_row(f"{u['unit']} {u['name']}", _num(u["value"], 2),
                      f"{u['denominator']:,.0f}",
                      f"{_num(u['lower_95'], 2)} to {_num(u['upper_95'], 2)}",
                      f"{_num(u['lower_99.8'], 2)} to {_num(u['upper_99.8'], 2)}", flag)
    show(table)
    adjusted = "applied" if report["overdispersion_applied"] else "not needed"
    console.print(f"Over-dispersion: phi = {report['phi']:.2f}, adjustment {adjusted}.")


@app.command()
def backtest(
    indicator: Annotated[str | None, typer.Argument(
        help="Indicator code (default: every priority's headline).")] = None,
    db: DbOption = None,
    as_of: AsOfOption = None,
    max_series: Annotated[int, typer.Option(
        help="Units sampled per indicator (evenly, the same every run).")] = 4,
    as_json: JsonOption = False,
) -> None:
    """Backtest the forecasts with rolling origins: measured coverage of the 80% and 95%
    prediction intervals, and the mean absolute scaled error."""
    from .services.readings import backtest_indicator

    report = _service(backtest_indicator, _engine(db), indicator, as_of=parse_as_of(as_of),
                      max_series=max_series)
    if as_json:
        _print_json(report)
        return
    table = Table(title="Forecast backtest (rolling origins)")
    for col in ("indicator", "series", "forecasts", "80% covered", "95% covered", "MASE"):
        table.add_column(col, justify="left" if col == "indicator" else "right")

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{v:.1%}"

    for r in report["indicators"]:
        if "error" in r:
            table.add_row(r["indicator"]["code"], "-", "0", "-", "-", "-")
            continue
        table.add_row(r["indicator"]["code"], str(r["n_series"]), f"{r['n_forecasts']:,}",
                      pct(r["coverage_80"]), pct(r["coverage_95"]), _num(r["mase"], 2))
    show(table)
    for r in report["indicators"]:
        if not r.get("strata"):
            continue
        st = Table(title=f"{r['indicator']['code']}: coverage by stratum (claimed: what the "
                         "forecasts themselves give their intervals)")
        for col in ("stratum", "forecasts", "80% covered", "80% claimed", "95% covered",
                    "95% claimed"):
            st.add_column(col, justify="left" if col == "stratum" else "right")
        for name in ("horizon", "level", "actual"):
            for group, g in r["strata"].get(name, {}).items():
                st.add_row(f"{name} {group}", f"{g['n']:,}", pct(g["coverage_80"]),
                           pct(g["claimed_80"]), pct(g["coverage_95"]), pct(g["claimed_95"]))
        show(st)
    for r in report["indicators"]:
        if "error" in r:
            console.print(f"{r['indicator']['code']}: {r['error']}")


@app.command()
def leads(
    headline: Annotated[str, typer.Argument(help="The headline indicator.")],
    db: DbOption = None,
    candidates: Annotated[str | None, typer.Option(
        metavar="A,B,...", help="Candidate indicators (default: every indicator of the "
        "headline's period type other than its own parts).")] = None,
    max_lag: Annotated[int, typer.Option(
        "--max-lag", metavar="L", help="Test lags 1 to L periods. A candidate needs L + 4 "
        "periods in common with the headline on a wide panel (3 rows per unit after the "
        "difference and the lags), more on a narrow one (10 residual degrees of freedom "
        "in the pooled regression): 9 years on 265 units allow L = 5.")] = 6,
    level: Annotated[str | None, typer.Option(
        "--level", metavar="LEVEL", help="The units to pool (default: the deepest level).")]
    = None,
    time_effects: Annotated[bool | None, typer.Option(
        "--time-effects/--no-time-effects", help="Remove each period's mean across units "
        "(two-way fixed effects), or not. Default: removed where Pesaran's CD test finds a "
        "shock common to the units (a season, a national shock) in the headline.",
        show_default=False)] = None,
    inference: Annotated[str, typer.Option(
        "--inference", metavar="permutation|f", help="How p-values are found: 'permutation' "
        "re-pairs candidate and headline units at random (valid under common shocks; needs "
        "6 units); 'f' reads the pooled F distribution, which assumes no common shock.")]
    = "permutation",
    permutations: Annotated[int, typer.Option(
        "--permutations", metavar="B", help="Random re-pairings of the units (every one "
        "when there are fewer). A test that fewer than 10 of them beat draws more, up to "
        "10 x the number of tests / 5% when it is the only one (at most 45,999), so a "
        "strong lead can pass the false discovery rate over many tests.")] = 999,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """Find lead indicators of a headline: Granger tests per unit and pooled, p-values by
    permutation across units, out-of-sample gain, Benjamini-Hochberg q-values, sign
    agreement and the reverse direction."""
    from .services.leads import lead_indicators

    report = _service(lead_indicators, _engine(db), headline,
                      candidates=candidates.split(",") if candidates else None,
                      max_lag=max_lag, level=level, as_of=parse_as_of(as_of),
                      time_effects=time_effects, inference=inference,
                      permutations=permutations)
    if as_json:
        _print_json(report)
        return
    table = Table(title=f"Lead indicators of {headline} ({len(report['units'])} units at "
                        f"level {report['level']}, {report['periods'][0]} to "
                        f"{report['periods'][1]})", caption=_vintage_caption(report))
    for col in ("candidate", "lag", "r", "q", "forecast gain", "sign agrees",
                "reverse q", "reading"):
        table.add_column(col, justify="left" if col in ("candidate", "reading") else "right",
                         overflow="fold" if col == "candidate" else "ellipsis")

    def num(x: float | None, fmt: str) -> str:
        return "–" if x is None else format(x, fmt)

    for r in report["ranked"]:
        table.add_row(r["candidate"], str(r["lag"]), num(r["correlation"], "+.2f"),
                      num(r["q_value"], ".2g"), num(r["oos_gain"], "+.1%"),
                      num(r["sign_agreement"], ".0%"), num(r["reverse_q_value"], ".2g"),
                      _LEAD_WORDS[r["reading"]])
    show(table)
    if report["ranked"]:
        console.print(report["ranked"][0]["transform"])
    p_words = ("permutation across units" if report["inference"] == "permutation"
               else "the F distribution")
    console.print("r: pooled correlation of the candidate's change with the headline's "
                  "change lag periods later (--json also gives the Granger effect); "
                  "sign agrees: units whose own r has that sign; "
                  "q: Benjamini-Hochberg q-value of the pooled Granger test, p-value by "
                  f"{p_words}; forecast gain: "
                  "1 - MSE with / MSE without the candidate, out of sample (it counts when "
                  "Clark-West's test finds it at 5%); reverse q: the "
                  "headline leading the candidate. Reading: " + "; ".join(f"{_LEAD_WORDS[k]} = {v}"
                                          for k, v in report["readings"].items()) + ".")
    console.print(f"Time effects: {report['parameters']['time_effects_choice']}.")
    for note in report["notes"]:
        console.print(f"Note: {note}.")
    for s in report["skipped"]:
        console.print(f"Skipped {s['candidate']}: {s['reason']}.")


_LEAD_WORDS = {"lead": "lead", "two_way": "two-way", "mixed_units": "mixed",
               "sign_conflict": "sign conflict", "no_forecast_check": "unchecked",
               "no_forecast_gain": "no gain",
               "no_evidence": "none"}


@app.command()
def nowcast(
    headline: Annotated[str, typer.Argument(help="The headline indicator.")],
    unit: Annotated[str, typer.Option("--unit", metavar="CODE", help="The unit.")],
    db: DbOption = None,
    lead: Annotated[list[str] | None, typer.Option(
        "--lead", metavar="CODE", help="A lead indicator (repeatable; default: the leads "
        "named by the priorities with this headline).")] = None,
    max_lag: Annotated[int, typer.Option("--max-lag", metavar="L",
                                         help="Longest lag considered.")] = 12,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """The headline for periods not yet reported, from its lead indicators, with 80% and
    95% intervals, and a backtest of its error against a headline-only forecast."""
    from .services.nowcast import nowcast as nowcast_service

    report = _service(nowcast_service, _engine(db), headline, unit, leads=lead or None,
                      max_lag=max_lag, as_of=parse_as_of(as_of))
    if as_json:
        _print_json(report)
        return
    last = report["last_observed"]
    leads_text = ", ".join(f"{x['code']} (lag {x['lag']})" for x in report["leads"])
    table = Table(title=f"Nowcast of {headline} at {unit} from {leads_text}",
                  caption=f"Last reported: {_num(last['value'], 2)} in {last['period']}. "
                  + _vintage_caption(report))
    for col in ("period", "nowcast", "80% interval", "95% interval"):
        table.add_column(col, justify="left" if col == "period" else "right")
    for p in report["periods"]:
        table.add_row(p["period"], _num(p["nowcast"], 2),
                      f"{_num(p['lower_80'], 2)} to {_num(p['upper_80'], 2)}",
                      f"{_num(p['lower_95'], 2)} to {_num(p['upper_95'], 2)}")
    show(table)
    bt = report["backtest"]
    if bt.get("forecasts"):
        console.print(f"Backtest, {bt['forecasts']} one-step nowcasts: mean absolute error "
                      f"{_num(bt['mae_nowcast'], 3)} against {_num(bt['mae_headline_only'], 3)} "
                      f"for the headline alone (ratio {bt['ratio']:.2f}); 80% interval covered "
                      f"{bt['coverage_80']:.0%}.")


db_app = typer.Typer(help="Database administration.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Create the database or upgrade it to the newest schema (Alembic)."""
    from .store.db import current_revision

    engine = _engine(db)
    console.print(f"Database {engine.url.render_as_string(hide_password=True)} is at schema "
                  f"revision {current_revision(engine)}.")


# Delivery commands live in their own module; registered last, as they use the helpers above.
from .cli_accounts import register as register_accounts  # noqa: E402
from .cli_delivery import register  # noqa: E402
from .cli_publish import register as register_publish  # noqa: E402

register(app)
register_accounts(app)
register_publish(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
