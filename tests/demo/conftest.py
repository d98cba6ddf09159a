"""The demo database, built once per session on each database and shared by the demo
tests (building it takes about half a minute)."""

import os

import pytest

from stocktake.demo.build import build_demo
from stocktake.store.db import drop_everything, open_engine


def _postgres_url() -> str | None:
    # An empty value counts as unset: open_engine("") would fall back to ./stocktake.db,
    # which the fixtures then wipe.
    url = os.environ.get("STOCKTAKE_TEST_POSTGRES_URL") or None
    if not url and os.environ.get("STOCKTAKE_REQUIRE_POSTGRES"):
        raise RuntimeError("STOCKTAKE_REQUIRE_POSTGRES is set but no PostgreSQL URL given")
    return url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def demo_engine(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    else:
        url = _postgres_url()
        if url is None:
            pytest.skip("no PostgreSQL: set STOCKTAKE_TEST_POSTGRES_URL (scripts/test does)")
        drop_everything(open_engine(url, migrate=False))
    engine = open_engine(url)
    steps = []
    summary = build_demo(engine, progress=lambda done, total, what="": steps.append(what))
    engine.summary, engine.steps = summary, steps
    engine.url_text = url
    yield engine
    engine.dispose()


