"""What every command module shares: the consoles, the common options, opening the
database, parsing --as-of, printing tables and JSON. Each command module imports this one;
errors are mapped in exits.py."""

from __future__ import annotations

import dataclasses
import json
import sys
from datetime import datetime
from typing import Annotated, Any, Protocol

import typer
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from ..reports.formatting import nonzero
from ..results import encode
from ..results.readings import IndicatorInfo

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


JSON_WANTED = "stocktake.json"  # the key in click's shared ctx.meta: did the user ask for --json?


def _remember_json(ctx: typer.Context, value: bool) -> bool:
    """Note --json where the error mapping (cli/exits.py) can see it, so that an error is
    answered in JSON too."""
    if value:
        ctx.meta[JSON_WANTED] = True
    return value


DbOption = Annotated[str | None, typer.Option(
    "--db", envvar="STOCKTAKE_DATABASE_URL", show_envvar=True, metavar="URL",
    help="Database URL (default sqlite:///stocktake.db; PostgreSQL: postgresql+psycopg://...).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.",
                                          callback=_remember_json)]
PriorityArg = Annotated[str, typer.Argument(metavar="PRIORITY", help="Priority code.")]
AsOfOption = Annotated[str | None, typer.Option(
    "--as-of", metavar="TIME", help="Use the data as it was known at this moment: an ISO timestamp "
    "(2025-03-01T12:00) or a date (meaning the end of that day, UTC).")]


def open_db(db: str | None):
    """The database engine for --db (a StoreError, e.g. not a database, is mapped by
    cli/exits.py like any user error)."""
    from ..store.db import open_engine

    return open_engine(db)


def parse_as_of(text: str | None) -> datetime | None:
    """An --as-of value: a date means the end of that day; times are UTC."""
    from ..errors import Invalid
    from ..services.reading.clock import parse_moment

    try:
        return parse_moment(text, "--as-of")
    except Invalid:
        raise typer.BadParameter(
            f"'{text}' is not a date or timestamp; use e.g. 2025-03-01 or 2025-03-01T12:00",
            param_hint="--as-of") from None


def print_json(data: Any) -> None:
    """Print a result (or plain values holding results) as JSON: results through the one
    encoder (stocktake.results.encode); any other value json cannot write, as its str()."""
    sys.stdout.write(json.dumps(data, indent=2, default=_json_default) + "\n")


def render_french_warnings(warnings: Any) -> None:
    """A load's missing French translations (issue #18), on stderr, one a line; none, nothing."""
    if not warnings:
        return
    err.print(f"[yellow]Warning:[/yellow] {len(warnings)} missing French translation(s):")
    for p in warnings:
        err.print(f"  {p}", markup=False)


def _json_default(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return encode(value)
    return str(value)


def login_name() -> str:
    """Who is at the keyboard, for "recorded by" (some containers have no login name)."""
    import getpass

    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


class Dated(Protocol):
    """A reading that says where its data stand."""

    as_of: str | None  # the moment asked for (None: the newest data)
    data_as_of: str | None  # the newest recording the reading rests on


def vintage_caption(report: Dated) -> str:
    """Where a reading's data stand, under its table."""
    vintage = report.data_as_of
    text = f"Data as of {vintage[:16].replace('T', ' ')} UTC" if vintage else "No data"
    if report.as_of:
        text += f" (as known at {report.as_of[:16].replace('T', ' ')})"
    return text


def num(value: Any, decimals: int = 1) -> str:
    """A figure with separators and the given decimals; '-' for none; no sign on a figure
    that rounds to zero (0.0, never -0.0)."""
    if value is None:
        return "-"
    return f"{0.0 if round(value, decimals) == 0 else value:,.{decimals}f}"


def signed(value: float, spec: str = "+.1f") -> str:
    """A signed figure by the format ``spec``; no sign where it rounds to zero (0.0%, never
    -0.0%)."""
    text = format(value, spec)
    return text if nonzero(text) else text.lstrip("+-")


def value_places(indicator: IndicatorInfo) -> int:
    """Decimals for an indicator's values in a table: its own (0 for counts), else 2."""
    return 2 if indicator.decimals is None else indicator.decimals
