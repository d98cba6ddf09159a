"""Running stocktake: build and serve the demo, serve the web app, upgrade the database."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from .common import DbOption, console, err, open_db, show
from .model import render_priorities


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

    from ..demo.build import build_demo, is_current

    engine = open_db(db)
    if is_current(engine, seed) and not rebuild:
        err.print("The demo database is up to date: reusing it (--rebuild to build again).")
    else:
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task("Building the demo world", total=None)

            def step(done: int, total: int, what: str = "") -> None:
                progress.update(task, completed=done, total=total,
                                description=what or "Building the demo world")

            summary = build_demo(engine, seed=seed, force=force, progress=step)
        err.print(f"Built {summary}")
    _print_demo(engine)
    if serve:
        _serve(engine, host, port)


def _print_demo(engine) -> None:
    """The demo's priorities, then one account per role with fresh passwords to sign in
    with."""
    from ..services.accounts import ROLE_TEXT, demo_accounts
    from ..services.overview import priority_overview
    from ..services.snapshot import Snapshot

    render_priorities(priority_overview(Snapshot(engine)), title="Demo federation (simulated data)")
    table = Table(title="Demo accounts (new passwords at each start)")
    for col in ("username", "password", "role"):
        table.add_column(col)
    for username, role, password in demo_accounts(engine):
        table.add_row(username, password, ROLE_TEXT.get(role, role))
    show(table)


def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
) -> None:
    """Serve the web application on the database."""
    _serve(open_db(db), host, port)


def _serve(engine, host: str, port: int) -> None:
    import uvicorn

    from ..web.app import create_app

    err.print(f"Serving on http://{host}:{port}  (Ctrl+C to stop)")
    uvicorn.run(create_app(engine), host=host, port=port, log_level="warning")


db_app = typer.Typer(help="Database administration.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Create the database or upgrade it to the newest schema (Alembic)."""
    from ..store.db import current_revision

    engine = open_db(db)
    console.print(f"Database {engine.url.render_as_string(hide_password=True)} is at schema "
                  f"revision {current_revision(engine)}.")


def register(app: typer.Typer) -> None:
    app.command()(demo)
    app.command()(serve)
    app.add_typer(db_app, name="db")
