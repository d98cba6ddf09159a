"""Computed indicators: ``stocktake compute`` runs the indicators' ``compute:`` definitions
over their record-level sources and submits the values as one batch (services.data.compute);
the lineage is shown by ``stocktake batches --lineage``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from .common import DbOption, JsonOption, console, err, login_name, num, open_db, print_json, show


def compute(
    indicators: Annotated[list[str] | None, typer.Argument(
        metavar="[INDICATOR]...",
        help="Indicators to compute (default: every indicator with compute:).")] = None,
    model: Annotated[Path, typer.Option(
        "--model", metavar="DIR", envvar="STOCKTAKE_MODEL_DIR", show_envvar=True,
        help="The model folder: indicators.yaml with compute: and sources.yaml.")] = Path("."),
    period: Annotated[str | None, typer.Option(
        "--period", metavar="P", help="Only the records of this period (e.g. 2024, "
        "2024-Q1, 2024-03).")] = None,
    since: Annotated[str | None, typer.Option(
        "--since", metavar="P", help="Only the records from the start of this period on.")]
    = None,
    engine: Annotated[str | None, typer.Option(
        "--engine", metavar="E", help="duckdb, postgres or spark (default: each source's "
        "own; files are read by duckdb or spark).")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show the query and the values; store nothing.")] = False,
    db: DbOption = None,
    reason: Annotated[str, typer.Option(help="Why, e.g. 'records corrected'.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Compute indicators from record-level data (sources.yaml) on DuckDB, PostgreSQL or
    Spark, and submit them as one batch, with its lineage."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from ..services.data.compute import compute_indicators

    store = None if dry_run else open_db(db)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    # On stderr, so that --json output stays clean: a bar per indicator, full once the
    # engine has brought its values back.
    with Progress(*columns, console=err, transient=True) as bar:
        tasks: dict[str, int] = {}

        def step(indicator: str, done: int, total: int) -> None:
            if indicator not in tasks:
                tasks[indicator] = bar.add_task(f"computing {indicator}", total=1)
            else:
                bar.update(tasks[indicator], completed=1)

        run = compute_indicators(store, model, indicators or [], period=period, since=since,
                                 engine=engine, dry_run=dry_run, submitter=login_name(),
                                 reason=reason, progress=step)
    if as_json:
        print_json(run.to_dict())
    else:
        render_run(run, dry_run=dry_run)
    if run.submission is not None and not run.submission.accepted:
        raise typer.Exit(1)


def render_run(run, *, dry_run: bool) -> None:
    """Each indicator's values (and, for a dry run, its query), then the submission."""
    for c in run.computed:
        table = Table(title=f"{c.indicator} on {c.engine}: {len(c.values):,} value(s)")
        for col in ("unit", "period", "value"):
            table.add_column(col, justify="right" if col == "value" else "left")
        for unit, period, value in c.values[:50]:
            table.add_row(escape(unit), period, num(value, 2))
        show(table)
        if len(c.values) > 50:
            console.print(f"... and {len(c.values) - 50:,} more (--json gives them all)")
        if dry_run:
            console.print(c.sql, markup=False, highlight=False)
    if dry_run:
        console.print("Dry run: nothing was stored.")
        return
    from .data import render_submission

    render_submission(Path("compute"), run.submission)


def register(app: typer.Typer) -> None:
    app.command()(compute)
