"""Shared fixtures: real SQLite and PostgreSQL databases, and the small test model."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stocktake.store.db import drop_everything, open_engine

HERE = Path(__file__).parent
SMALL_MODEL = HERE / "fixtures" / "small_model"
SHARED_DATA = HERE.parent.parent / "shared" / "data"


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
def engine(db_url):
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
