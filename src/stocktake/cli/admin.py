"""Running stocktake: build and serve the demo, serve the web app, upgrade the database, read
the audit log, show the settings."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ..results.audit import ACTIONS as AUDIT_ACTIONS
from .common import DbOption, JsonOption, console, err, open_db, print_json, show
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
    if serve:  # a demo on one's own machine: no log line per request in the terminal
        _serve(engine, host, port, log_format="text", log_requests=False)


def _print_demo(engine) -> None:
    """The demo's priorities, then one account per role with fresh passwords to sign in
    with."""
    from ..services.admin.accounts import ROLE_TEXT, demo_accounts
    from ..services.admin.addresses import simulated_addresses
    from ..services.reading.overview import priority_overview
    from ..services.reading.snapshot import Snapshot

    render_priorities(priority_overview(Snapshot(engine)), title="Demo federation (simulated data)")
    table = Table(title="Demo accounts (new passwords at each start)")
    for col in ("username", "password", "role"):
        table.add_column(col)
    for username, role, password in demo_accounts(engine):
        table.add_row(username, password, ROLE_TEXT.get(role, role))
    show(table)
    # Made-up addresses (example.org) so that `stocktake remind --dry-run` shows real messages.
    simulated_addresses(engine)


WorkersOption = Annotated[int, typer.Option(
    "--workers", min=1, envvar="STOCKTAKE_WORKERS", show_envvar=True,
    help="Worker processes answering requests (uvicorn workers); sessions, CSRF, the "
    "sign-in throttle and the caches hold across them.")]
LogFormatOption = Annotated[str, typer.Option(
    "--log-format", envvar="STOCKTAKE_LOG_FORMAT", show_envvar=True, metavar="json|text",
    help="One log line per request and per submission on stderr: JSON lines or text.")]


def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to serve on.", envvar="STOCKTAKE_HOST",
                                      show_envvar=True)] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.", envvar="STOCKTAKE_PORT",
                                      show_envvar=True)] = 8000,
    workers: WorkersOption = 1,
    log_format: LogFormatOption = "json",
    remind_every: Annotated[str | None, typer.Option(
        "--remind-every", metavar="INTERVAL", help="Also run a pass of reminders by e-mail "
        "(as `stocktake remind`) now and then every INTERVAL, e.g. 1h, 30m or 1d (off by "
        "default). Several processes may do so: a lease in the database lets one pass run "
        "at a time.")] = None,
) -> None:
    """Serve the web application on the database.

    A database made by an earlier version is refused: run `stocktake db upgrade` first.
    """
    from ..store.db import open_engine, require_current
    from ..web.logs import LOG_FORMATS

    if log_format not in LOG_FORMATS:
        raise typer.BadParameter(f"'{log_format}' is not one of {', '.join(LOG_FORMATS)}",
                                 param_hint="--log-format")
    engine = open_engine(db, migrate=False)
    require_current(engine)  # a SchemaNotCurrent says what to run (cli/exits.py)
    if remind_every:  # in this process only, however many workers answer requests
        _remind_on_schedule(engine, remind_every)
    _serve(engine, host, port, workers=workers, log_format=log_format)


def _remind_on_schedule(engine, every: str) -> None:
    """Reminders in a background thread for as long as the server runs."""
    import threading

    from ..services.admin.mailer import MailConfig
    from ..services.routines.reminders import parse_interval, run_every

    interval = parse_interval(every)
    MailConfig.from_env()  # not configured: say so now, not at the first pass

    def said(result) -> None:
        if isinstance(result, Exception):
            err.print(f"[red]reminders:[/red] {escape(str(result))}")
        elif not result.lease_held_by:
            err.print(f"reminders: {len(result.sent)} sent, {len(result.failed)} failed")

    threading.Thread(target=run_every, args=(engine, interval, threading.Event(), said),
                     name="reminders", daemon=True).start()
    err.print(f"Reminders by e-mail every {every}")


def _serve(engine, host: str, port: int, *, workers: int = 1, log_format: str = "json",
           log_requests: bool = True) -> None:
    import os
    import tempfile

    import uvicorn

    from ..web.logs import logging_config

    several = f" with {workers} workers" if workers > 1 else ""
    err.print(f"Serving on http://{host}:{port}{several}  (Ctrl+C to stop)")
    # Forwarded headers are trusted only from STOCKTAKE_TRUSTED_PROXIES (web/security.py), so
    # uvicorn's own handling (which trusts 127.0.0.1 by default) is off.
    options = {"host": host, "port": port, "proxy_headers": False, "log_level": "warning",
               "log_config": logging_config(log_format, requests=log_requests)}
    if workers == 1:
        from ..web.app import create_app

        uvicorn.run(create_app(engine), **options)
        return
    # Several processes: each builds its own app (web.app.app_from_environment) on the
    # database named here, and counts its metrics in one shared folder (web/monitoring.py).
    os.environ["STOCKTAKE_DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    with tempfile.TemporaryDirectory(prefix="stocktake-metrics-") as folder:
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", folder)
        uvicorn.run("stocktake.web.app:app_from_environment", factory=True, workers=workers,
                    **options)


def audit(
    db: DbOption = None,
    user: Annotated[str | None, typer.Option(
        "--user", metavar="USERNAME", help="Only events about this account.")] = None,
    action: Annotated[str | None, typer.Option(
        "--action", metavar="ACTION", help="Only this kind of event: "
        f"{', '.join(AUDIT_ACTIONS)}.")] = None,
    limit: Annotated[int, typer.Option(
        "--limit", min=1, help="At most this many events, newest first.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """The audit log of security events: sign-ins and failures, account and role changes,
    API tokens, model loads; with who, when and from which address (newest first)."""
    from ..services.admin.accounts import normalise_username
    from ..services.admin.audit import read_log

    entries = read_log(open_db(db), subject=normalise_username(user) if user else None,
                       action=action, limit=limit)
    if as_json:
        print_json([e.to_dict() for e in entries])
        return
    t = Table(title="Audit log (newest first)")
    for col in ("when (UTC)", "event", "account", "by", "from", "detail"):
        t.add_column(col)
    for e in entries:
        detail = "; ".join(f"{k}: {v}" for k, v in e.detail.items())
        t.add_row(f"{e.at:%Y-%m-%d %H:%M:%S}", e.words, e.subject or "", e.actor,
                  e.ip or "command line", detail)
    show(t)


def settings(as_json: JsonOption = False) -> None:
    """Every setting of this installation, its value and where it came from: the
    environment, the config file (STOCKTAKE_CONFIG) or the default. Secrets show only
    whether they are set."""
    from .settings import apply_config, effective

    apply_config()
    rows = effective()
    if as_json:
        print_json([{"name": s.name, "value": value, "from": source}
                    for s, value, source in rows])
        return
    t = Table(title="Settings (docs/deploy.md explains each)")
    for col in ("setting", "value", "from"):
        t.add_column(col)
    for s, value, source in rows:
        t.add_row(s.name, value, source)
    show(t)


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
    app.command()(audit)
    app.command()(settings)
    app.add_typer(db_app, name="db")
