"""Backup and restore on real SQLite and PostgreSQL: a small world (the test model, two
batches, an account with its audit events, a note in meta) backed up and restored into
either engine holds the same rows; a damaged file or a database holding data is refused
with nothing written; a backup taken while another writer commits holds one moment."""

import hashlib
import json
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from stocktake.errors import Conflict, Invalid, NotFound
from stocktake.intake.service import submit_rows
from stocktake.services.admin.accounts import create_user
from stocktake.services.data.model_service import load_model
from stocktake.store.backup import backup, restore
from stocktake.store.backup_format import DamagedBackup
from stocktake.store.db import open_engine, set_meta, writing
from stocktake.store.schema import metadata

T0 = datetime(2025, 1, 10, 9, 0)
ROWS = [("incidents", "A1", "2025-01", 30), ("incidents", "A2", "2025-01", 12),
        ("population", "A1", "2025-01", 350000), ("screening", "A2", "2025-Q1", 12.5)]


def build_world(engine, model_dir) -> None:
    load_model(engine, model_dir, loaded_by="tester", now=T0)
    submit_rows(engine, ROWS, submitter="ana", reason="first", now=T0)
    submit_rows(engine, [("incidents", "A1", "2025-01", 31)], submitter="ben",
                reason="correction", now=datetime(2025, 2, 1, 8, 30, 0, 250_000))
    create_user(engine, "carla", "analyst", "a long and unusual passphrase 7", now=T0)
    with writing(engine) as conn:
        set_meta(conn, "note", "Ünïcode, \"quotes\" and a\nnewline")


def contents(engine) -> dict[str, list[tuple]]:
    """Every row of every table, as Python values, in an order of Python's own making (so
    that it owes nothing to the backup's encoding or order)."""
    with engine.connect() as conn:
        return {t.name: sorted((tuple(r) for r in conn.execute(select(t))), key=repr)
                for t in metadata.sorted_tables}


@pytest.fixture
def world(engine, small_model_dir):
    build_world(engine, small_model_dir)
    return engine


@pytest.fixture
def world_file(tmp_path, small_model_dir):
    """A backup of the small world built on SQLite, and the world's rows."""
    source = open_engine(f"sqlite:///{tmp_path / 'source.db'}")
    build_world(source, small_model_dir)
    out = tmp_path / "world.zip"
    backup(str(source.url), out)
    rows = contents(source)
    source.dispose()
    return out, rows


def test_a_world_restores_with_every_row_on_either_engine(world_file, db_url):
    path, rows = world_file
    restored = restore(path, db_url)
    target = open_engine(db_url)
    assert contents(target) == rows
    assert rows["observations"] and rows["audit_log"] and rows["users"]  # a real test
    assert not restored.replaced
    # The ids go on from the restored ones (PostgreSQL's sequences were reset).
    after = submit_rows(target, [("incidents", "B1", "2025-01", 5)], submitter="dan")
    assert after.accepted and after.batch == max(r[0] for r in rows["batches"]) + 1
    target.dispose()


def test_a_backup_from_either_engine_restores_into_sqlite(world, tmp_path):
    out = tmp_path / "b.zip"
    manifest = backup(str(world.url.render_as_string(hide_password=False)), out)
    copy = f"sqlite:///{tmp_path / 'copy.db'}"
    restore(out, copy)
    assert contents(open_engine(copy)) == contents(world)
    assert manifest.engine == world.dialect.name


def test_the_manifest_counts_and_hashes_each_tables_file(world_file):
    path, rows = world_file
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert {t["name"] for t in manifest["tables"]} == set(rows)
        for table in manifest["tables"]:
            data = archive.read(table["file"])
            assert table["sha256"] == hashlib.sha256(data).hexdigest()
            assert table["rows"] == len(rows[table["name"]]) == data.count(b"\n")
        # One JSON array a row, in column order: the newest vintage of A1's incidents.
        names = [c["name"] for c in next(t for t in manifest["tables"]
                                         if t["name"] == "observations")["columns"]]
        lines = archive.read("tables/observations.jsonl").decode().splitlines()
        values = [dict(zip(names, json.loads(line), strict=True)) for line in lines]
    assert {(v["unit_id"], v["period"], v["value"]) for v in values} >= {(4, "2025-01", 31.0)}


def test_a_database_that_holds_data_is_refused_unless_forced(world_file, world):
    path, rows = world_file
    url = world.url.render_as_string(hide_password=False)
    before = contents(world)
    with pytest.raises(Conflict, match="holds data .*--force; nothing was written"):
        restore(path, url)
    assert contents(world) == before
    replaced = restore(path, url, force=True)  # the audit log, append-only, is replaced too
    assert replaced.replaced and contents(world) == rows


def _rewrite(path: Path, out: Path, member: str, change) -> Path:
    """A copy of the backup with one member's bytes changed by ``change``."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item.filename, change(data) if item.filename == member else data)
    return out


def _empty(url: str) -> bool:
    engine = open_engine(url, migrate=False)
    with engine.connect() as conn:
        tables = conn.dialect.get_table_names(conn)
    engine.dispose()
    return tables == []


def test_a_changed_value_is_refused_before_anything_is_written(world_file, db_url, tmp_path):
    path, _ = world_file
    bad = _rewrite(path, tmp_path / "bad.zip", "tables/observations.jsonl",
                   lambda data: data.replace(b",31.0]", b",13.0]"))
    with pytest.raises(DamagedBackup) as caught:
        restore(bad, db_url)
    assert [p.where for p in caught.value.problems] == [f"{bad}:tables/observations.jsonl"]
    assert "SHA-256 differs" in caught.value.problems[0].message
    assert _empty(db_url)


def test_a_truncated_file_is_refused(world_file, tmp_path):
    path, _ = world_file
    cut = tmp_path / "cut.zip"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    target = f"sqlite:///{tmp_path / 'target.db'}"
    with pytest.raises(DamagedBackup, match="damaged or truncated"):
        restore(cut, target)
    assert not (tmp_path / "target.db").exists()


def test_every_problem_of_a_manifest_is_listed_with_where(world_file, tmp_path):
    path, _ = world_file

    def change(data: bytes) -> bytes:
        doc = json.loads(data)
        doc["tables"] = [t for t in doc["tables"] if t["name"] != "users"]
        for t in doc["tables"]:
            if t["name"] == "batches":
                t["rows"] += 1
        return json.dumps(doc).encode()

    bad = _rewrite(path, tmp_path / "bad.zip", "manifest.json", change)
    with pytest.raises(DamagedBackup) as caught:
        restore(bad, f"sqlite:///{tmp_path / 'target.db'}")
    assert sorted(str(p) for p in caught.value.problems) == [
        f"{bad}:manifest.json: table users is missing",
        f"{bad}:tables/batches.jsonl: 2 rows, the manifest says 3",
    ]


def test_a_line_that_is_not_a_row_is_refused_with_its_line(world_file, tmp_path):
    """A file whose checksum was made to match a bad line (by hand, say) is still refused
    where the line is, and the transaction that began writing is rolled back."""
    path, _ = world_file
    bad = _rewrite(path, tmp_path / "bad.zip", "tables/meta.jsonl",
                   lambda data: data + b'["zz",5]\n')  # meta: key, value (text)
    with zipfile.ZipFile(bad) as archive:  # make the manifest agree with the bad file
        doc = json.loads(archive.read("manifest.json"))
        digest = hashlib.sha256(archive.read("tables/meta.jsonl")).hexdigest()
    for t in doc["tables"]:
        if t["name"] == "meta":
            t["sha256"], t["rows"] = digest, t["rows"] + 1
    worse = _rewrite(bad, tmp_path / "worse.zip", "manifest.json",
                     lambda _: json.dumps(doc).encode())
    target = f"sqlite:///{tmp_path / 'target.db'}"
    with pytest.raises(DamagedBackup) as caught:
        restore(worse, target)
    assert str(caught.value.problems[0]) == (
        f"{worse}:tables/meta.jsonl:2: value: 5 is not a text; nothing was written")
    assert _empty(target)  # not even the tables made before the bad line was read


def test_a_backup_is_never_written_over_a_file_nor_made_of_nothing(world, tmp_path):
    out = tmp_path / "there.zip"
    out.write_text("keep me")
    with pytest.raises(Conflict, match="the file exists"):
        backup(world.url.render_as_string(hide_password=False), out)
    assert out.read_text() == "keep me"
    with pytest.raises(NotFound, match="no database"):
        backup(f"sqlite:///{tmp_path / 'nothing.db'}", tmp_path / "b.zip")
    assert not (tmp_path / "nothing.db").exists() and not (tmp_path / "b.zip").exists()
    (tmp_path / "notes.db").write_text("not a database")
    with pytest.raises(Invalid, match="cannot read the database .* not a database"):
        backup(f"sqlite:///{tmp_path / 'notes.db'}", tmp_path / "b.zip")
    with pytest.raises(NotFound, match="no such folder"):
        backup(world.url.render_as_string(hide_password=False), tmp_path / "no" / "b.zip")
    assert not (tmp_path / "b.zip").exists() and not (tmp_path / "no").exists()


def test_a_backup_holds_one_moment_while_another_writer_commits(world, tmp_path):
    """A batch committed while the backup runs (after its first table, before batches and
    observations are read) is in neither table of the backup: the rows are the world's as
    the backup began."""
    before = contents(world)
    url = world.url.render_as_string(hide_password=False)
    writer = open_engine(url)
    written = []

    def step(what: str, done: int, total: int | None) -> None:
        if not written:
            written.append(submit_rows(writer, [("incidents", "B1", "2025-01", 9)],
                                       submitter="eve"))

    out = tmp_path / "during.zip"
    manifest = backup(url, out, progress=step)
    assert written[0].accepted and contents(world) != before  # the batch was committed meanwhile
    copy = f"sqlite:///{tmp_path / 'copy.db'}"
    restore(out, copy)
    assert contents(open_engine(copy)) == before
    assert {t.name: t.rows for t in manifest.tables}["batches"] == len(before["batches"])
    writer.dispose()
