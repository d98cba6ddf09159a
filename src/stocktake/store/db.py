"""Opening a database (SQLite by default, PostgreSQL by URL) and keeping its schema current."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, select
from sqlalchemy.exc import DBAPIError

from ..errors import Conflict, Invalid, StocktakeError
from .schema import meta, metadata

DEFAULT_URL = "sqlite:///stocktake.db"
ENV_VAR = "STOCKTAKE_DATABASE_URL"
_MIGRATIONS = Path(__file__).parent / "migrations"


class StoreError(Invalid):
    """A database that cannot be opened or used (the URL given, its driver, its schema),
    with what to do about it."""


class DatabaseBusy(Conflict):
    """Another writer has held the database for longer than we wait (30 s unless the
    URL's ``timeout`` says otherwise): nothing was written; trying again later will do."""


def _write_failure(exc: DBAPIError) -> StocktakeError | None:
    """What a failed write means for the user, if it is the database's state rather than a
    bug: locked by another writer, read-only, or out of disk space. Nothing was written:
    the transaction is rolled back."""
    text = str(getattr(exc, "orig", exc)).lower()
    kind = type(getattr(exc, "orig", exc)).__name__
    if "database is locked" in text or "database is busy" in text or kind in (
            "LockNotAvailable", "DeadlockDetected"):
        return DatabaseBusy("the database is busy: another program kept writing to it for "
                            "longer than we wait; nothing was stored, try again shortly")
    if "readonly database" in text or "read-only" in text or kind == "ReadOnlySqlTransaction":
        return StoreError("the database cannot be written (the file or its folder is "
                          "read-only, or it was opened read-only); nothing was stored")
    if "disk is full" in text or "no space left" in text or kind == "DiskFull":
        return StoreError("the disk holding the database is full; nothing was stored: "
                          "free some space and try again")
    return None


def resolve_url(url: str | None) -> str:
    """The URL given, else $STOCKTAKE_DATABASE_URL, else a SQLite file here."""
    return url or os.environ.get(ENV_VAR) or DEFAULT_URL


def utcnow() -> datetime:
    """Now, as the naive UTC timestamp every stored time uses."""
    return datetime.now(UTC).replace(tzinfo=None)


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


def open_engine(url: str | None = None, *, migrate: bool = True) -> Engine:
    """An engine on the database, upgraded to the newest schema when ``migrate``."""
    url = resolve_url(url)
    kwargs = {}
    if url.startswith("sqlite") and "timeout=" not in url:  # a URL may set its own
        kwargs["connect_args"] = {"timeout": 30}
    try:
        engine = create_engine(url, **kwargs)
    except Exception as exc:  # bad URL, missing driver
        raise StoreError(f"cannot open database '{url}': {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite opens transactions lazily (not before a SAVEPOINT, nor for DDL): let
        # SQLAlchemy say BEGIN itself, so a transaction, a savepoint rolled back inside it,
        # and a migration are all-or-nothing as on PostgreSQL.
        event.listen(engine, "begin", _sqlite_begin)
    if migrate:
        upgrade(engine)
    return engine


def _sqlite_begin(conn) -> None:
    writes = conn.get_execution_options().get(_WRITES, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


_WRITES = "stocktake_writes"  # the execution option writing() sets


@contextmanager
def writing(engine: Engine, *, keep: bool = True) -> Iterator[Connection]:
    """A transaction that will write, committed at the end (rolled back on an error, or
    always when not ``keep``). On SQLite it takes the write lock as it begins (BEGIN
    IMMEDIATE): a second writer waits for the first (up to the 30 s timeout) and then
    reads what it committed. With a plain BEGIN the second would read first and then fail
    with "database is locked", its snapshot older than the first one's commit."""
    try:
        with engine.connect() as conn:
            conn.execution_options(**{_WRITES: True})
            transaction = conn.begin()
            try:
                yield conn
            except BaseException:
                transaction.rollback()
                raise
            if keep:
                transaction.commit()
            else:
                transaction.rollback()
    except DBAPIError as exc:
        failure = _write_failure(exc)
        if failure is None:
            raise
        raise failure from exc


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # the driver's own BEGIN off: see _sqlite_begin
    cursor = dbapi_connection.cursor()
    # WAL: readers never block the writer; a killed writer leaves the file consistent.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@functools.cache  # the migration scripts do not change while a process runs
def head_revision() -> str:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


class SchemaNotCurrent(Conflict):
    """A database whose schema is not the one this version of stocktake reads: made by an
    earlier version (run ``stocktake db upgrade``), or by a newer one."""


def require_current(engine: Engine) -> str:
    """The database's schema revision, if it is the newest; else SchemaNotCurrent saying
    what to run. A server must not upgrade on its own: an upgrade is a step someone takes
    (after a backup), not a side effect of starting a process, and several workers starting
    at once must not race to run it."""
    where = engine.url.render_as_string(hide_password=True)
    file = engine.url.database if engine.dialect.name == "sqlite" else None
    if file and file != ":memory:" and not Path(file).exists():  # connecting would create it
        raise SchemaNotCurrent(f"there is no database at {file}: run `stocktake db upgrade "
                               "--db URL` to create one (or `stocktake restore` a backup)")
    try:
        current = current_revision(engine)
    except Exception as exc:
        raise StoreError(f"cannot read database {where}: {exc}") from exc
    head = head_revision()
    if current == head:
        return current
    script = ScriptDirectory.from_config(_alembic_config())
    if current is None:
        state = "holds no stocktake schema yet"
    elif current in {r.revision for r in script.walk_revisions()}:
        state = f"is at schema revision {current}, this version needs {head}"
    else:
        raise SchemaNotCurrent(f"database {where} is at schema revision {current}, which this "
                               f"version of stocktake does not know (its newest is {head}): "
                               "it was made by a newer stocktake; run that version")
    raise SchemaNotCurrent(f"database {where} {state}: run `stocktake db upgrade --db URL` "
                           "first (after `stocktake backup`), then start the server again")


def upgrade(engine: Engine) -> None:
    """Create or upgrade the schema with Alembic, if it is behind."""
    try:
        if current_revision(engine) == head_revision():
            return
        cfg = _alembic_config()
        with writing(engine) as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except Exception as exc:
        raise StoreError(f"cannot open or upgrade database {engine.url!r}: {exc}") from exc


def drop_everything(engine: Engine) -> None:
    """Remove every stocktake table (used to rebuild the demo world)."""
    with writing(engine) as conn:
        metadata.drop_all(conn)
        if inspect(conn).has_table("alembic_version"):
            conn.exec_driver_sql("DROP TABLE alembic_version")


def get_meta(engine: Engine, key: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()


def set_meta(conn, key: str, value: str) -> None:
    conn.execute(meta.delete().where(meta.c.key == key))
    conn.execute(meta.insert().values(key=key, value=value))
