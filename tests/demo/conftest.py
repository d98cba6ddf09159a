"""The demo database, built once per session on each database and shared by the demo
tests (building it takes about half a minute).

The SQLite build is also kept between sessions, in pytest's cache, under a key made of
everything the build depends on (stocktake's files, the seed, Python and the installed
libraries): the demo world is deterministic, so a build from the same inputs is the same
database (as ``stocktake demo`` itself reuses one whose fingerprint matches). A later
session copies it instead of building again. ``STOCKTAKE_TEST_FRESH_DEMO=1`` (set by
scripts/test for the full suite, so CI always builds) or ``--cache-clear`` build afresh.
Under pytest-xdist each worker has its own session: a lock on the cache makes the first
worker build while the other waits and then copies."""

import fcntl
import hashlib
import importlib.metadata
import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from stocktake.demo.build import build_demo
from stocktake.store.db import drop_everything, open_engine

SEED = 2026  # build_demo's default
PACKAGE = Path(__file__).parents[2] / "src" / "stocktake"


def _postgres_url() -> str | None:
    # An empty value counts as unset: open_engine("") would fall back to ./stocktake.db,
    # which the fixtures then wipe.
    url = os.environ.get("STOCKTAKE_TEST_POSTGRES_URL") or None
    if not url and os.environ.get("STOCKTAKE_REQUIRE_POSTGRES"):
        raise RuntimeError("STOCKTAKE_REQUIRE_POSTGRES is set but no PostgreSQL URL given")
    return url


def build_key() -> str:
    """A hash of everything a demo build depends on."""
    digest = hashlib.sha256(f"{SEED} {sys.version}".encode())
    for path in sorted(p for p in PACKAGE.rglob("*") if p.is_file()):
        if "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(PACKAGE)).encode() + path.read_bytes())
    libraries = sorted(f"{d.metadata['Name']}=={d.version}"
                       for d in importlib.metadata.distributions())
    digest.update("\n".join(libraries).encode())
    return digest.hexdigest()[:16]


def _cache_dir(config) -> Path | None:
    if os.environ.get("STOCKTAKE_TEST_FRESH_DEMO") or getattr(config, "cache", None) is None:
        return None
    return config.cache.mkdir("stocktake-demo")


def _build(engine) -> dict:
    steps: list[str] = []
    summary = build_demo(engine, seed=SEED,
                         progress=lambda done, total, what="": steps.append(what))
    return {"summary": summary, "steps": steps}


def _sqlite_demo(path: Path, cache: Path | None) -> dict:
    """Build the demo into ``path`` (or copy the cached build there); what the build said."""
    if cache is None:
        return _build_sqlite(path, None, None)
    key = build_key()
    cached, said = cache / f"demo-{key}.db", cache / f"demo-{key}.json"
    with open(cache / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if cached.exists() and said.exists():
            shutil.copyfile(cached, path)
            return json.loads(said.read_text())
        return _build_sqlite(path, cached, said)


def _build_sqlite(path: Path, cached: Path | None, said: Path | None) -> dict:
    """Build the demo into ``path``; keep the build as ``cached`` and what it said as
    ``said`` when given."""
    engine = open_engine(f"sqlite:///{path}")
    built = _build(engine)
    engine.dispose()  # closing the last connection folds the WAL into the file
    if cached is not None and said is not None:
        for old in cached.parent.glob("demo-*"):
            old.unlink()
        shutil.copyfile(path, cached.with_suffix(".part"))
        cached.with_suffix(".part").replace(cached)
        said.write_text(json.dumps(built))
    return built


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def demo_engine(request, tmp_path_factory):
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("demo") / "demo.db"
        url = f"sqlite:///{path}"
        built = _sqlite_demo(path, _cache_dir(request.config))
        engine = open_engine(url)
    else:
        url = _postgres_url()
        if url is None:
            pytest.skip("no PostgreSQL: set STOCKTAKE_TEST_POSTGRES_URL (scripts/test does)")
        # its own database, so tests that empty theirs never touch the demo
        create = request.getfixturevalue("create_postgres_database")
        url = create(url, f"{make_url(url).database}_demo")
        drop_everything(open_engine(url, migrate=False))
        engine = open_engine(url)
        built = _build(engine)
    engine.summary, engine.steps = built["summary"], built["steps"]
    engine.url_text = url
    yield engine
    engine.dispose()
