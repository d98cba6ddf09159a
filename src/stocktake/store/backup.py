"""Backing up a whole stocktake database into one file, and restoring it into another,
on either engine (a SQLite world moves to PostgreSQL, and back, this way).

A backup is consistent while the application runs: every table is read in one transaction
(SQLite: one read transaction, whose WAL snapshot no later commit changes; PostgreSQL: one
REPEATABLE READ, READ ONLY transaction). A restore checks the whole file first (manifest,
row counts, SHA-256 of every table), then writes every table in one transaction, resets
PostgreSQL's id sequences, and re-reads every table from the target to compare its rows and
checksum with the manifest before it commits: on any problem nothing is written.
The file's format is in ``backup_format`` and docs/backup-format.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from sqlalchemy import Connection, Engine, Integer, String, Table, func, inspect, select, text
from sqlalchemy.exc import DBAPIError

from .. import __version__
from ..errors import Conflict, NotFound, Problem
from .backup_format import (
    MANIFEST,
    DamagedBackup,
    Manifest,
    TableEntry,
    TableWriter,
    check_tables,
    decode_line,
    open_backup,
    row_encoder,
    table_columns,
    table_lines,
)
from .db import (
    StoreError,
    _alembic_config,
    current_revision,
    head_revision,
    open_engine,
    utcnow,
    writing,
)
from .schema import metadata

# Told what is being done, how many rows of how many (None: not known yet).
Progress = Callable[[str, int, int | None], None]
_CHUNK = 5_000  # rows inserted per statement batch


class RestoreMismatch(Conflict):
    """The target did not read back what the backup holds (an engine that changed a value):
    nothing was restored."""


def backup_tables() -> list[Table]:
    """Every table of the schema, parents before children (the order restored)."""
    return list(metadata.sorted_tables)


def _ordered(table: Table, dialect: str):
    """The rows of a table in one order on every engine: by primary key, text compared by
    code point (SQLite's BINARY; PostgreSQL's "C" collation, not the server's locale)."""
    keys = list(table.primary_key.columns)
    if not keys:
        raise ValueError(f"table {table.name} has no primary key to order its rows by")
    if dialect == "postgresql":
        keys = [k.collate("C") if isinstance(k.type, String) else k for k in keys]
    return select(table).order_by(*keys)


def read_rows(conn: Connection, table: Table) -> Iterator[bytes]:
    """A table's rows, each as its canonical line, in the canonical order."""
    encode = row_encoder(tuple(kind for _, kind in table_columns(table)))
    result = conn.execution_options(yield_per=10_000).execute(
        _ordered(table, conn.dialect.name))
    for row in result:
        yield encode(row)


# -- backup --------------------------------------------------------------------------------

def _source_engine(url: str | None) -> Engine:
    """The database to back up, as it is: never created, never migrated."""
    engine = open_engine(url, migrate=False)
    where = engine.url.render_as_string(hide_password=True)
    if engine.dialect.name == "sqlite" and not (
            engine.url.database and Path(engine.url.database).is_file()):
        raise NotFound(f"no database at {where}")
    try:
        revision = current_revision(engine)
    except DBAPIError as exc:
        raise StoreError(f"cannot read the database at {where}: {exc.orig}") from None
    if revision is None:
        raise NotFound(f"no stocktake database at {where} (it has no schema)")
    if revision != head_revision():
        raise Conflict(f"the database at {where} is at schema revision {revision}, this "
                       f"stocktake's is {head_revision()}: run `stocktake db upgrade` first")
    return engine


def _snapshot(engine: Engine) -> Connection:
    """A connection whose reads all see one moment of the database."""
    conn = engine.connect()
    if engine.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ",
                                      postgresql_readonly=True)
    return conn


def backup(url: str | None, out: Path, *, progress: Progress | None = None) -> Manifest:
    """Write every table of the database at ``url`` into the file ``out`` (refused if it
    exists); the manifest written. The file appears whole or not at all."""
    out = Path(out)
    if out.exists():
        raise Conflict(Problem("the file exists: give a new name (backups are never "
                               "written over)", str(out)))
    if not out.parent.is_dir():
        raise NotFound(Problem("no such folder to write the backup in", str(out.parent)))
    engine = _source_engine(url)
    fd, temp = tempfile.mkstemp(prefix=".backup-", suffix=".part", dir=out.parent)
    os.close(fd)
    try:
        with (zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
              _snapshot(engine) as conn, conn.begin()):
            entries = tuple(_write_table(archive, conn, t, progress) for t in backup_tables())
            manifest = Manifest(__version__, _revision_in(conn) or "", engine.dialect.name,
                                utcnow().isoformat(timespec="seconds") + "Z", entries)
            archive.writestr(MANIFEST, _manifest_text(manifest))
        os.replace(temp, out)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
        engine.dispose()
    return manifest


def _manifest_text(manifest: Manifest) -> str:
    return json.dumps(manifest.to_dict(), indent=2) + "\n"


def _write_table(archive: zipfile.ZipFile, conn: Connection, table: Table,
                 progress: Progress | None) -> TableEntry:
    writer = TableWriter(archive, table.name)
    for line in read_rows(conn, table):
        writer.write(line)
        if progress and writer.rows % 100_000 == 0:
            progress(f"Backing up {table.name}", writer.rows, None)
    digest = writer.close()
    if progress:
        progress(f"Backed up {table.name}", writer.rows, writer.rows)
    return TableEntry(table.name, table_columns(table), writer.rows, digest)


# -- restore -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Restored:
    """What a restore wrote: the backup's manifest, and the database it went into."""

    manifest: Manifest
    database: str  # the target's URL, without its password
    replaced: bool  # the target held data that --force replaced


def check(path: Path, *, progress: Progress | None = None) -> Manifest:
    """Check a backup file whole, writing nothing: its manifest against this stocktake's
    schema, and every table's row count and SHA-256. DamagedBackup lists every problem."""
    archive, manifest = open_backup(Path(path))
    with archive:
        if manifest.schema_revision != head_revision():
            raise DamagedBackup(Problem(
                f"the backup is at schema revision {manifest.schema_revision}, this "
                f"stocktake's is {head_revision()}: restore it with stocktake "
                f"{manifest.stocktake_version}, which made it", f"{path}:{MANIFEST}"))
        expected = {t.name: table_columns(t) for t in backup_tables()}
        check_tables(archive, manifest, expected, str(path), progress)
    return manifest


def restore(path: Path, url: str | None, *, force: bool = False,
            progress: Progress | None = None) -> Restored:
    """Restore the backup at ``path`` into the database at ``url``: refused (Conflict) if it
    holds data unless ``force``, when everything in it is replaced. One transaction."""
    path = Path(path)
    manifest = check(path, progress=progress)
    engine = open_engine(url, migrate=False)
    where = engine.url.render_as_string(hide_password=True)
    try:
        with writing(engine) as conn:
            held = _rows_held(conn)
            if held and not force:
                raise Conflict(Problem(
                    f"the database holds data ({_held_text(held)}): restore writes only "
                    "into an empty database, or replaces everything with --force; "
                    "nothing was written", where))
            _fresh_schema(conn, drop=bool(held) or _revision_in(conn)
                          not in (None, head_revision()))
            archive, _ = open_backup(path)
            with archive:
                for entry in manifest.tables:
                    _insert_table(conn, archive, entry, path, progress)
            if conn.dialect.name == "postgresql":
                _reset_sequences(conn)
            _verify(conn, manifest, progress)
    finally:
        engine.dispose()
    return Restored(manifest, where, bool(held))


def _revision_in(conn: Connection) -> str | None:
    """The schema revision of the database on ``conn`` (None: it has no schema)."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _rows_held(conn: Connection) -> dict[str, int]:
    """Each stocktake table of the target that holds rows, and how many."""
    present = set(inspect(conn).get_table_names())
    held = {}
    for table in backup_tables():
        if table.name in present:
            n = conn.execute(select(func.count()).select_from(table)).scalar_one()
            if n:
                held[table.name] = n
    return held


def _held_text(held: dict[str, int]) -> str:
    shown = ", ".join(f"{n:,} row{'s' * (n != 1)} in {name}"
                      for name, n in list(held.items())[:3])
    return shown + (f" and {len(held) - 3} more tables" if len(held) > 3 else "")


def _fresh_schema(conn: Connection, *, drop: bool) -> None:
    """The newest schema on the connection, inside its transaction; emptied first when
    ``drop`` (the audit log refuses DELETE, so its table is dropped and made again)."""
    if drop:
        metadata.drop_all(conn)
        if inspect(conn).has_table("alembic_version"):
            conn.exec_driver_sql("DROP TABLE alembic_version")
    cfg = _alembic_config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


def _insert_table(conn: Connection, archive: zipfile.ZipFile, entry: TableEntry,
                  path: Path, progress: Progress | None) -> None:
    table = metadata.tables[entry.name]
    names = tuple(c.name for c in table.columns)
    kinds = tuple(kind for _, kind in entry.columns)
    nullable = tuple(c.nullable for c in table.columns)
    chunk, done = [], 0
    for number, line in enumerate(table_lines(archive, entry), start=1):
        try:
            chunk.append(decode_line(line, names, kinds, nullable))
        except ValueError as exc:
            raise DamagedBackup(Problem(f"{exc}; nothing was written",
                                        f"{path}:{entry.file}:{number}")) from None
        if len(chunk) == _CHUNK:
            conn.execute(table.insert(), chunk)
            done += len(chunk)
            chunk = []
            if progress:
                progress(f"Restoring {entry.name}", done, entry.rows)
    if chunk:
        conn.execute(table.insert(), chunk)


def _reset_sequences(conn: Connection) -> None:
    """Each serial id's sequence past the highest id restored, so the next insert does not
    collide (SQLite takes the highest id plus one by itself)."""
    for table in backup_tables():
        keys = list(table.primary_key.columns)
        if len(keys) == 1 and isinstance(keys[0].type, Integer):
            column = keys[0].name
            conn.execute(text(
                f"SELECT setval(pg_get_serial_sequence(:t, :c), "
                f"COALESCE(MAX({column}), 0) + 1, false) FROM {table.name}"),
                {"t": table.name, "c": column})


def _verify(conn: Connection, manifest: Manifest, progress: Progress | None) -> None:
    """Re-read every table from the target: the rows and SHA-256 the manifest gives."""
    problems = []
    for entry in manifest.tables:
        digest, rows = hashlib.sha256(), 0
        for line in read_rows(conn, metadata.tables[entry.name]):
            digest.update(line)
            rows += 1
        if progress:
            progress(f"Verified {entry.name}", rows, entry.rows)
        if rows != entry.rows or digest.hexdigest() != entry.sha256:
            problems.append(Problem(f"read back {rows} rows (the backup has {entry.rows})"
                                    + ("" if rows != entry.rows else
                                       " whose SHA-256 differs from the backup's"),
                                    entry.name))
    if problems:
        raise RestoreMismatch(problems)
