"""What every command module shares: the Typer app, the consoles, the common options, and
the helpers that open the database, parse --as-of and turn a service's ValueError into a
clear error. Its own module so that the command modules (cli.py, cli_delivery.py, ...)
import it rather than each other."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

app = typer.Typer(
    help="stocktake: priorities, a data system with vintages, and the routines of delivery.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True)


def show(table: Table) -> None:
    """Print a table. Where its columns cannot fit the terminal without cutting words
    (rich would end them with '…'), print each row as a block of 'column  value' lines
    instead, as the web pages do on a phone."""
    unbounded = console.options.update_width(10_000)  # else measured within the terminal
    if Measurement.get(console, unbounded, table).minimum <= console.width:
        console.print(table)
        return
    if table.title:
        console.print(table.title, style="bold")
    headers = [str(column.header).replace("\n", " ") for column in table.columns]
    for row in zip(*(list(column.cells) for column in table.columns), strict=True):
        record = Table.grid(padding=(0, 2))
        record.add_column(style="bold", no_wrap=True)
        record.add_column()
        for header, cell in zip(headers, row, strict=True):
            if str(cell).strip():
                record.add_row(header, cell)
        console.print()
        console.print(record)
    if table.caption:
        console.print()
        console.print(table.caption)


DbOption = Annotated[str | None, typer.Option(
    "--db", envvar="STOCKTAKE_DATABASE_URL", show_envvar=True, metavar="URL",
    help="Database URL (default sqlite:///stocktake.db; PostgreSQL: postgresql+psycopg://...).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
AsOfOption = Annotated[str | None, typer.Option(
    "--as-of", metavar="TIME", help="Use the data as it was known at this moment: an ISO timestamp "
    "(2025-03-01T12:00) or a date (meaning the end of that day, UTC).")]


def _engine(db: str | None):
    from .store.db import StoreError, open_engine

    try:
        return open_engine(db)
    except StoreError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None


def parse_as_of(text: str | None) -> datetime | None:
    """An --as-of value: a date means the end of that day; times are UTC."""
    from .services.clock import parse_moment

    try:
        return parse_moment(text, "--as-of")
    except ValueError:
        raise typer.BadParameter(
            f"'{text}' is not a date or timestamp; use e.g. 2025-03-01 or 2025-03-01T12:00",
            param_hint="--as-of") from None


def _service(call, *args, **kwargs) -> Any:
    """Call a service; a ValueError (bad code, bad argument) exits 2 with its message."""
    try:
        return call(*args, **kwargs)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}", markup=True)
        raise typer.Exit(2) from None


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def login_name() -> str:
    """Who is at the keyboard, for "recorded by" (some containers have no login name)."""
    import getpass

    try:
        return getpass.getuser()
    except Exception:
        return "unknown"
