"""The demo world moved between engines with one backup and one restore each way (issue
#20): SQLite -> PostgreSQL -> SQLite (and from the PostgreSQL demo, PostgreSQL -> SQLite
-> PostgreSQL). Every copy backs up with the original's per-table checksums, exports the
same bytes, and writes the same pack for the same --as-of (but for its "Generated" time).

Here rather than in tests/store/ because the demo database is a fixture of tests/demo/."""

import os
import re
from datetime import datetime

import pytest
from sqlalchemy import create_engine, make_url

from stocktake.services.data.export import export_observations
from stocktake.services.publishing.packs import write_pack
from stocktake.store.backup import backup, restore
from stocktake.store.db import open_engine

AS_OF = datetime(2026, 9, 30, 23, 59, 59)
GENERATED = re.compile(r'(<th scope="row">Generated</th><td>)[^<]*(</td>)')


@pytest.fixture
def spare_postgres():
    """A second, empty PostgreSQL database on the test server (the first holds the demo),
    made afresh for each test: both engines' runs restore into it."""
    url = os.environ.get("STOCKTAKE_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("no PostgreSQL: set STOCKTAKE_TEST_POSTGRES_URL (scripts/test does)")
    spare = make_url(url).set(database=f"{make_url(url).database}_backup")
    server = create_engine(url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{spare.database}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{spare.database}"')
    yield spare.render_as_string(hide_password=False)
    with server.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{spare.database}" WITH (FORCE)')
    server.dispose()


def _documents(url: str, folder) -> dict[str, bytes]:
    """What a reader takes away from a world: exports (latest and as known at a past
    moment) and a pack for a past --as-of, its generation time taken out."""
    folder.mkdir()
    engine = open_engine(url)
    export_observations(engine, folder / "latest.csv")
    export_observations(engine, folder / "as_of.csv", as_of=datetime(2026, 6, 30, 23, 59))
    write_pack(engine, "CRIME", str(folder / "crime.html"), as_of=AS_OF)
    engine.dispose()
    pack = (folder / "crime.html").read_text()
    assert GENERATED.search(pack), "the pack's Generated line moved: update the pattern"
    return {"latest.csv": (folder / "latest.csv").read_bytes(),
            "as_of.csv": (folder / "as_of.csv").read_bytes(),
            "crime.html": GENERATED.sub(r"\1\2", pack).encode()}


def test_the_demo_moves_between_engines_and_back(demo_engine, spare_postgres, tmp_path):
    source = demo_engine.url_text
    on_sqlite = source.startswith("sqlite")
    # Each hop to the other engine: from SQLite to PostgreSQL and back, or the reverse.
    hops = ([spare_postgres, f"sqlite:///{tmp_path / 'back.db'}"] if on_sqlite
            else [f"sqlite:///{tmp_path / 'laptop.db'}", spare_postgres])
    manifests = [backup(source, tmp_path / "0.zip")]
    for n, target in enumerate(hops, start=1):
        restore(tmp_path / f"{n - 1}.zip", target)
        manifests.append(backup(target, tmp_path / f"{n}.zip"))

    checksums = [{t.name: (t.rows, t.sha256) for t in m.tables} for m in manifests]
    assert checksums[0]["observations"][0] > 100_000  # the whole demo, not a sample
    assert checksums[1] == checksums[0] and checksums[2] == checksums[0]
    assert [m.engine for m in manifests] == [demo_engine.dialect.name,
                                             *(make_url(u).get_backend_name() for u in hops)]

    original = _documents(source, tmp_path / "original")
    for n, target in enumerate(hops, start=1):
        assert _documents(target, tmp_path / f"copy{n}") == original
