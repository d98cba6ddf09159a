"""Backing up a database into one file and restoring it, into either engine."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from .common import DbOption, JsonOption, console, err, print_json, show

if TYPE_CHECKING:
    from ..store.backup_format import Manifest


def backup(
    out: Annotated[Path, typer.Option(
        "--out", metavar="FILE", help="The backup file to write (refused if it exists), e.g. "
        "backup-2026-12-06.zip.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Copy every table of the database into one file, consistently while it is in use.

    The file (a zip of one JSON-lines file per table and a manifest with each table's rows
    and SHA-256) restores into SQLite or PostgreSQL with `stocktake restore`.
    """
    from ..store.backup import backup as take_backup

    with _progress() as step:
        manifest = take_backup(db, out, progress=step)
    if as_json:
        print_json(manifest.to_dict())
        return
    _render(manifest, f"Backed up {manifest.rows:,} rows into {escape(str(out))}")


def restore(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A file `stocktake backup` wrote.")],
    db: DbOption = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace everything in a database that holds data.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Restore a backup into a database (SQLite or PostgreSQL), all or nothing.

    The file is checked whole first (every table's rows and SHA-256); a database that holds
    data is refused unless --force; after writing, every table is read back and compared
    with the backup before the restore is committed.
    """
    from ..store.backup import restore as restore_backup

    with _progress() as step:
        restored = restore_backup(file, db, force=force, progress=step)
    if as_json:
        print_json({"database": restored.database, "replaced": restored.replaced,
                    "verified": True, "backup": restored.manifest.to_dict()})
        return
    what = "replaced what it held" if restored.replaced else "was empty"
    _render(restored.manifest, f"Restored {restored.manifest.rows:,} rows into "
            f"{escape(restored.database)} (it {what}); every table read back and verified")


def _render(manifest: Manifest, headline: str) -> None:
    table = Table(title=f"Schema revision {manifest.schema_revision}, stocktake "
                  f"{manifest.stocktake_version}, from {manifest.engine} at "
                  f"{manifest.created_at}")
    for col, justify in (("table", "left"), ("rows", "right"), ("SHA-256", "left")):
        table.add_column(col, justify=justify)
    for entry in manifest.tables:
        table.add_row(entry.name, f"{entry.rows:,}", entry.sha256[:16])
    show(table)
    console.print(headline)


@contextmanager
def _progress():
    """A bar on stderr (gone at the end, so --json stays clean) fed by the store's steps."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task("Starting", total=None)

        def step(what: str, done: int, total: int | None) -> None:
            bar.update(task, description=what, completed=done, total=total)

        yield step


def register(app: typer.Typer) -> None:
    app.command()(backup)
    app.command()(restore)
