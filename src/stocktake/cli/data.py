"""Data: submit files of observations, export them, follow one value's vintages, write
the provider's form, approve and reopen periods, list batches, and rate each unit's data
quality. Each command calls a service and hands the result to its renderer."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from .common import (
    AsOfOption,
    DbOption,
    JsonOption,
    console,
    err,
    login_name,
    num,
    open_db,
    parse_as_of,
    print_json,
    show,
)

if TYPE_CHECKING:
    from ..results.quality import DataQuality


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
    backfill: Annotated[bool, typer.Option(
        "--backfill", help="The file is history loaded after the fact (e.g. past years "
        "from a published source): stored as usual, but its timeliness is not assessed, "
        "since it was not late.")] = False,
    published: Annotated[str | None, typer.Option(
        "--published", metavar="YYYY-MM-DD",
        help="With --backfill: the date the source published the data, where known.")]
    = None,
    as_json: JsonOption = False,
) -> None:
    """Validate a file of observations and store it as one batch, or store nothing."""
    from ..intake.service import submit_file

    if outliers not in ("modified_z", "z_score", "min_max"):
        raise typer.BadParameter("use modified_z, z_score or min_max", param_hint="--outliers")
    published_on = _date_option(published, "--published")
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    engine = open_db(db)
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
                             outlier_method=outliers, progress=step, backfill=backfill,
                             published=published_on)
    render_submission(file, result, as_json=as_json)
    if not result.accepted:
        raise typer.Exit(1)


def _date_option(text: str | None, name: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"'{text}' is not a date: use YYYY-MM-DD",
                                 param_hint=name) from None


def render_submission(file: Path, result, *, as_json: bool = False) -> None:
    """A submission's outcome: accepted as a batch (with what changed and what was
    flagged), identical to an earlier batch, or rejected with every finding."""
    if as_json:
        print_json(result.to_dict())
        return
    errors = result.errors
    if errors and not result.accepted:
        err.print(f"[red]Rejected {escape(file.name)}:[/red] {len(errors):,} error(s) in "
                  f"{result.rows:,} row(s); nothing was stored. Fix them and submit the whole "
                  "file again.")
        _print_findings(result.findings)
        return
    if result.duplicate_of is not None:
        console.print(f"{file.name} is identical to batch {result.duplicate_of}: "
                      "nothing changed.", markup=False)
        return
    console.print(f"Accepted {file.name} as batch {result.batch}: {result.rows:,} row(s); "
                  f"{result.added:,} new, {result.revised:,} revised, {result.unchanged:,} "
                  "unchanged" + (f"; {result.quarantined:,} quarantined with errors"
                                 if result.quarantined else "") + ".", markup=False)
    if result.backfill:
        console.print("Recorded as history loaded after the fact" + (
            f", published {result.published.isoformat()}" if result.published else "")
            + ": its timeliness is not assessed.", markup=False)
    if result.findings:
        _print_findings(result.findings)


def _print_findings(findings: list, limit: int = 50) -> None:
    from ..intake.findings import shorten

    table = Table(show_lines=False)
    for col in ("row", "column", "value", "severity", "check", "message"):
        table.add_column(col, overflow="fold")
    for f in findings[:limit]:
        # The provider's text, as written: '[/]' is a code, not rich markup.
        texts = (f.column or "", "" if f.value is None else str(f.value), f.message)
        column, value, message = (escape(shorten(t, 200)) for t in texts)
        table.add_row("" if f.row is None else str(f.row), column, value, f.severity,
                      f.check, message)
    err.print(table)
    if len(findings) > limit:
        err.print(f"... and {len(findings) - limit} more (use --json for all of them)")


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
    from ..services.data.export import export_observations

    moment = parse_as_of(as_of)
    n = export_observations(open_db(db), out, as_of=moment, indicators=indicator,
                            units=unit)
    console.print(f"Wrote {n:,} value(s) to {out}")


def history(
    indicator: Annotated[str, typer.Argument(help="Indicator code.")],
    unit: Annotated[str, typer.Argument(help="Reporting unit code.")],
    period: Annotated[str, typer.Argument(help="Period, e.g. 2024-03.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show every vintage of one value: when it was recorded, by which batch, and why."""
    from ..model.periods import Period, PeriodError
    from ..store.observations import history as value_history

    try:
        code = Period.parse(period).code
    except PeriodError as exc:
        raise typer.BadParameter(str(exc), param_hint="PERIOD") from None
    with open_db(db).connect() as conn:
        rows = value_history(conn, indicator, unit, code)
    render_history(indicator, unit, code, rows, as_json=as_json)
    if not rows and not as_json:
        raise typer.Exit(1)


def render_history(indicator: str, unit: str, code: str, rows: list[dict[str, Any]], *,
                   as_json: bool = False) -> None:
    """Every vintage of one value, oldest first."""
    if as_json:
        print_json({"indicator": indicator, "unit": unit, "period": code, "vintages": rows})
        return
    if not rows:
        err.print(f"No value recorded for {indicator} at {unit} in {code}.", markup=False)
        return
    table = Table(title=f"{indicator} at {unit}, {code}: {len(rows)} vintage(s)")
    for col in ("recorded at", "value", "batch", "submitter", "reason", "source"):
        table.add_column(col)
    for r in rows:
        table.add_row(f"{r['recorded_at']:%Y-%m-%d %H:%M:%S}", num(r["value"], 2),
                      str(r["batch_id"]), *(escape(r[k] or "") for k in ("submitter",
                                                                          "reason", "source")))
    show(table)


def template(
    unit: Annotated[str, typer.Option("--unit", metavar="CODE", help="The reporting unit.")],
    period: Annotated[str, typer.Option("--period", metavar="PERIOD",
                                        help="The period, e.g. 2025-03.")],
    out: Annotated[Path, typer.Option("--out", metavar="FILE.xlsx", help="File to write.")],
    db: DbOption = None,
) -> None:
    """Write the Excel form a provider fills in for one unit and period, then submits."""
    from ..services.data.templates import write_template

    n = write_template(open_db(db), unit, period, out)
    console.print(f"Wrote {out}: {n} indicator(s) to fill for {unit}, {period}.")


def quality(
    db: DbOption = None,
    unit: Annotated[str | None, typer.Option(
        "--unit", metavar="CODE", help="Only this unit and the units below it.")] = None,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """Data quality per reporting unit: a league table with completeness, timeliness,
    validity, revisions, outliers and a combined score (formula printed)."""
    from ..services.reading.quality import data_quality
    from ..services.reading.snapshot import Snapshot

    render_quality(data_quality(Snapshot(open_db(db), parse_as_of(as_of)), unit=unit),
                   as_json=as_json)


def render_quality(report: DataQuality, *, as_json: bool = False) -> None:
    """The league table, then each unit's score by year. On a narrow terminal the units
    go by code, level and expected values are left to --json and the headers shorten,
    so no figure is cut."""
    if as_json:
        print_json(report)
        return
    wide = console.width >= 110
    table = Table(title=f"Data quality as of {report.as_of[:16].replace('T', ' ')} UTC",
                  caption=report.formula)
    columns = (("rank", "unit", "level", "expected", "completeness", "timeliness", "validity",
                "revised", "outliers", "score") if wide else
               ("#", "unit", "complete", "timely", "valid", "revised", "outliers", "score"))
    for col in columns:
        table.add_column(col, justify="left" if col in ("unit", "level") else "right",
                         no_wrap=not wide or col != "unit")

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{v:.1%}"

    for r in report.units:
        timely = "not assessed" if r.timeliness is None else pct(r.timeliness)
        figures = [pct(r.completeness), timely, pct(r.validity),
                   pct(r.revision_rate), pct(r.outlier_rate), f"{r.score:.1f}"]
        if wide:
            table.add_row(str(r.rank), f"{r.unit} {r.name}", r.level,
                          f"{r.expected:,}", *figures)
        else:
            table.add_row(str(r.rank), r.unit, *figures)
    show(table)
    for r in report.units:
        if r.held_back:
            console.print(f"{r.unit} is listed after the units without an alert, whatever its "
                          f"score, while an alert on its figures stands: {r.held_back}; see "
                          f"stocktake alerts --unit {r.unit}.", markup=False)
    console.print(report.timeliness_rule, markup=False)
    if report.deadlines and any(r.not_assessed for r in report.units):
        console.print("Timeliness is not assessed for history loaded after the fact "
                      "(submitted with --backfill).", markup=False)
    by_unit: dict[str, dict[str, float]] = {}
    for point in report.trend:
        by_unit.setdefault(point.unit, {})[point.year] = point.score
    years = sorted({y for scores in by_unit.values() for y in scores})
    if not years:
        return
    trend = Table(title="Score by year (over each calendar year's expected values)")
    trend.add_column("unit")
    for year in years:
        trend.add_column(year, justify="right", no_wrap=True)
    trend.add_column("last change", no_wrap=True)
    for r in report.units:
        scores = by_unit.get(r.unit, {})
        known = [y for y in years if y in scores]
        change = "-"
        if len(known) >= 2:
            step = scores[known[-1]] - scores[known[-2]]
            change = (f"up {step:.1f}" if step > 0.05 else f"down {-step:.1f}"
                      if step < -0.05 else "level")
        trend.add_row(r.unit, *(f"{scores[y]:.1f}" if y in scores else "-" for y in years),
                      change)
    show(trend)


def approve(
    unit: Annotated[str, typer.Argument(help="Reporting unit code.")],
    period: Annotated[str, typer.Argument(help="Period, e.g. 2025-03.")],
    db: DbOption = None,
    by: Annotated[str | None, typer.Option("--by", help="Who approves (default: you).")] = None,
    reason: Annotated[str, typer.Option(help="A note kept with the approval.")] = "",
) -> None:
    """Approve a unit's period: it and the units below it are locked for that period."""
    from ..services.data.approval import approve as approve_period

    code = approve_period(open_db(db), unit, period, by=by or login_name(),
                          reason=reason)
    console.print(f"Approved and locked {unit} {code} (and the units below it).")


def reopen(
    unit: Annotated[str, typer.Argument(help="Reporting unit code.")],
    period: Annotated[str, typer.Argument(help="Period, e.g. 2025-03.")],
    reason: Annotated[str, typer.Option(help="Why it is reopened (required, recorded).")],
    db: DbOption = None,
    by: Annotated[str | None, typer.Option("--by", help="Who reopens (default: you).")] = None,
) -> None:
    """Reopen a locked period so corrections can be submitted; the reason is recorded."""
    from ..services.data.approval import reopen as reopen_period

    code = reopen_period(open_db(db), unit, period, by=by or login_name(),
                         reason=reason)
    console.print(f"Reopened {unit} {code}.")


def batches(
    db: DbOption = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20,
    lineage: Annotated[int | None, typer.Option(
        "--lineage", metavar="BATCH",
        help="Where a computed batch's values came from: per indicator its definition, "
        "the engine, the query it ran and the source's snapshot.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List the newest submission batches: who, when, what changed, what was flagged."""
    from ..store.observations import list_batches

    if lineage is not None:
        from ..store.lineage import batch_lineage

        with open_db(db).connect() as conn:
            entries = batch_lineage(conn, lineage)
        if not entries:
            from ..errors import NotFound

            raise NotFound(f"batch {lineage} has no lineage: it was not computed by "
                           "stocktake compute (or does not exist)", source="--lineage")
        render_lineage(lineage, entries, as_json=as_json)
        return
    with open_db(db).connect() as conn:
        rows = list_batches(conn, limit)
    render_batches(rows, as_json=as_json)


def render_lineage(batch: int, entries: list[dict[str, Any]], *, as_json: bool = False
                   ) -> None:
    """Per indicator of a computed batch: engine, definition, source, snapshot, query."""
    if as_json:
        print_json({"batch": batch, "lineage": entries})
        return
    import json

    for e in entries:
        console.print(f"[bold]Batch {batch}: {escape(e['indicator'])}[/bold] on {e['engine']}")
        snap = e["snapshot"]
        if "files" in snap:
            what = f"{len(snap['files']):,} file(s), {snap['bytes']:,} bytes"
        else:
            what = f"table {snap.get('table')}: {snap.get('rows', 0):,} rows, newest " \
                   f"{snap.get('newest')}"
        for label, text in (("definition", json.dumps(e["definition"])),
                            ("source", json.dumps(e["source"])), ("snapshot", what),
                            ("query", e["sql"])):
            console.print(f"  {label}: {text}", markup=False, highlight=False)


def render_batches(rows: list[dict[str, Any]], *, as_json: bool = False) -> None:
    """Submission batches, newest first, with what each changed and flagged."""
    if as_json:
        print_json(rows)
        return
    table = Table(title="Submission batches (newest first)")
    for col in ("batch", "recorded at", "submitter", "source", "status", "rows", "new",
                "revised", "warnings", "quarantined"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["id"]), f"{r['recorded_at']:%Y-%m-%d %H:%M}",
                      escape(r["submitter"] or ""), escape(r["source"] or ""), r["status"],
                      str(r["rows"]), str(r["added"]), str(r["revised"]), str(r["warnings"]),
                      str(r["quarantined"]))
    show(table)


def register(app: typer.Typer) -> None:
    for command in (submit, export, history, template, quality, approve, reopen, batches):
        app.command()(command)
