"""Shared fixtures: real SQLite and PostgreSQL databases, and the small test model; and the
test tiers: every test that needs PostgreSQL is marked ``postgres``, every test that needs a
real browser ``browser``, and every test on the demo world (tests/demo/, or any test using
the demo database) ``slow``, by the fixtures it uses, so no new test can forget its mark.
Other tests that take over about a second (long statistical runs on real data, large
inputs, the command line in a subprocess) carry ``slow`` by hand. The fast tier
(scripts/test --fast) leaves all of these out; CI runs them.

Both tiers run in two processes (pytest-xdist, ``-n 2``): every database a test writes is
its own (a file under its tmp_path, a copy of a session template; on PostgreSQL a database
per worker, and another for the demo), so tests share nothing but read-only inputs. The
full run keeps the demo tests of each engine on one worker (``--dist loadgroup``, groups
"demo-sqlite" and "demo-postgresql") so each demo is built once, and every other file's
tests together, as ``loadfile`` would."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from stocktake.services.admin import accounts
from stocktake.store.db import drop_everything, open_engine

HERE = Path(__file__).parent
SMALL_MODEL = HERE / "fixtures" / "small_model"
SHARED_DATA = HERE.parent.parent / "shared" / "data"
# Every template render in the tests is checked against the template's context contract
# (stocktake.reports.contracts): a page and its handler cannot drift apart unseen.
os.environ.setdefault("STOCKTAKE_CHECK_TEMPLATES", "1")

# A pytest-xdist worker starts with COLUMNS=80 in its environment. rich reads COLUMNS once,
# when the CLI's consoles are made at import, and would then ignore the width a test gives
# CliRunner (and wrap a long tmp path mid-word): give workers the environment of a serial run.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.pop("COLUMNS", None)
    os.environ.pop("LINES", None)


# Fixtures whose "postgresql" parameter runs a test on PostgreSQL, and the fixtures that
# drive a real browser.
POSTGRES_FIXTURES = ("db_url", "demo_engine")
BROWSER_FIXTURES = ("browser",)
SLOW_FIXTURES = ("demo_engine",)  # the demo world: a half-minute build, then full reads


def postgres_database(url: str, name: str) -> str:
    """The URL of database ``name`` on the server of ``url``, created if missing."""
    target = make_url(url).set(database=name)
    server = create_engine(url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        if conn.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %(n)s",
                                {"n": name}).first() is None:
            # made meanwhile by another process: it is there all the same
            with contextlib.suppress(DBAPIError):
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    server.dispose()
    return target.render_as_string(hide_password=False)


def pytest_configure(config) -> None:
    # Each xdist worker gets its own PostgreSQL database, set in the environment so that
    # every reader (fixtures, the docs' commands, subprocesses) uses it.
    # (``workerinput`` marks an xdist worker of this run; a pytest a test starts in a
    # subprocess inherits the worker's environment, and so its database, but is not one.)
    worker, url = getattr(config, "workerinput", {}).get("workerid"), _postgres_url()
    if worker and url:
        name = f"{make_url(url).database}_{worker}"
        os.environ["STOCKTAKE_TEST_POSTGRES_URL"] = postgres_database(url, name)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config, items) -> None:
    grouped = getattr(config.option, "dist", None) == "loadgroup"
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if any(params.get(name) == "postgresql" for name in POSTGRES_FIXTURES):
            item.add_marker(pytest.mark.postgres)
        if any(name in item.fixturenames for name in BROWSER_FIXTURES):
            item.add_marker(pytest.mark.browser)
        if (any(name in item.fixturenames for name in SLOW_FIXTURES)
                or HERE / "demo" in item.path.parents):
            item.add_marker(pytest.mark.slow)
        if grouped:
            demo = params.get("demo_engine")  # "sqlite" or "postgresql"
            item.add_marker(pytest.mark.xdist_group(f"demo-{demo}" if demo
                                                    else str(item.path)))


def _postgres_url() -> str | None:
    # An empty value counts as unset: open_engine("") would fall back to ./stocktake.db,
    # which the fixtures then wipe.
    url = os.environ.get("STOCKTAKE_TEST_POSTGRES_URL") or None
    if not url and os.environ.get("STOCKTAKE_REQUIRE_POSTGRES"):
        raise RuntimeError("STOCKTAKE_REQUIRE_POSTGRES is set but no "
                           "STOCKTAKE_TEST_POSTGRES_URL was given")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """A fresh, empty database URL: a SQLite file, then the throwaway PostgreSQL cluster."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    url = _postgres_url()
    if url is None:
        pytest.skip("no PostgreSQL: set STOCKTAKE_TEST_POSTGRES_URL (scripts/test does)")
    engine = open_engine(url, migrate=False)
    drop_everything(engine)
    engine.dispose()
    return url


@pytest.fixture
def cheap_hashing(monkeypatch) -> None:
    """Real argon2id at parameters cheap enough for the many tests that sign in (the
    account tests check the real parameters and the rehash on their own)."""
    monkeypatch.setattr(accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024,
                                                           parallelism=1))


@pytest.fixture(scope="session")
def create_postgres_database():
    """``postgres_database``, for fixtures in other folders' conftest files."""
    return postgres_database


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """An empty SQLite database at the newest schema, migrated once per session: copying
    the file takes milliseconds where running the migrations takes most of a second."""
    path = tmp_path_factory.mktemp("migrated") / "empty.db"
    open_engine(f"sqlite:///{path}").dispose()  # closing the last connection ends the WAL
    return path


@pytest.fixture
def engine(db_url, request):
    """An engine on ``db_url``, migrated to the newest schema (on SQLite a copy of
    ``migrated_sqlite``, which ``open_engine`` finds already at the head)."""
    if db_url.startswith("sqlite:///"):
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), db_url[len("sqlite:///"):])
    engine = open_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def small_model_dir(tmp_path) -> Path:
    """A writable copy of the small model, so tests can edit it."""
    target = tmp_path / "model"
    target.mkdir()
    for f in SMALL_MODEL.iterdir():
        (target / f.name).write_text(f.read_text())
    return target
