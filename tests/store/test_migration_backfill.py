"""Migration 0010_backfill on a database already holding batches with findings (the
findings' foreign key to batches forbids copying the table and dropping the old one)."""

from datetime import datetime

import sqlalchemy as sa
from alembic import command

from stocktake.store.db import _alembic_config, current_revision, head_revision, open_engine


def test_batches_with_findings_gain_the_backfill_columns_and_lose_them_again(db_url):
    engine = open_engine(db_url, migrate=False)
    cfg = _alembic_config()

    def migrate(to: str, down: bool = False) -> None:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            (command.downgrade if down else command.upgrade)(cfg, to)

    migrate("0009_alert_reviews")
    batches = sa.table("batches", *[sa.column(c) for c in (
        "id", "checksum", "submitter", "reason", "source", "format", "rows", "added",
        "revised", "unchanged")], sa.column("recorded_at", sa.DateTime))
    findings = sa.table("findings", *[sa.column(c) for c in (
        "id", "batch_id", "check", "severity", "message")])
    with engine.begin() as conn:
        conn.execute(batches.insert(), [{
            "id": 1, "checksum": "x", "submitter": "t", "reason": "", "source": "f.csv",
            "format": "csv", "rows": 1, "added": 1, "revised": 0, "unchanged": 0,
            "recorded_at": datetime(2024, 2, 5)}])
        conn.execute(findings.insert(), [{"id": 1, "batch_id": 1, "check": "outlier",
                                          "severity": "warning", "message": "m"}])

    upgraded = open_engine(db_url)
    assert current_revision(upgraded) == head_revision()
    with upgraded.connect() as conn:
        assert conn.execute(sa.text("SELECT id, backfill, published FROM batches")).all() == [
            (1, False, None)]
        assert conn.execute(sa.text("SELECT count(*) FROM findings")).scalar() == 1
    upgraded.dispose()

    migrate("0009_alert_reviews", down=True)
    with engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("batches")}
        assert "backfill" not in columns and "published" not in columns
        assert conn.execute(sa.text("SELECT count(*) FROM findings")).scalar() == 1
