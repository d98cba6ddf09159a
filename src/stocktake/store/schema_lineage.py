"""Where a computed batch's values came from (migration 0013_batch_lineage). Same MetaData
as ``schema``.

One row per indicator of a batch submitted by ``stocktake compute``: the definition, the
query the engine ran, the engine, the source as declared and its snapshot (the files with
their sizes and times, or the table's row count and newest date). Written once with the
batch, never edited.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from .schema import metadata

batch_lineage = Table(
    "batch_lineage",
    metadata,
    Column("batch_id", Integer, ForeignKey("batches.id"), nullable=False),
    Column("indicator", String(64), nullable=False),
    Column("engine", String(16), nullable=False),
    Column("definition", JSON, nullable=False),  # the indicator's compute:, as read
    Column("source", JSON, nullable=False),  # the source, as declared in sources.yaml
    Column("query", Text, nullable=False),  # the SQL the engine ran
    Column("snapshot", JSON, nullable=False),
    PrimaryKeyConstraint("batch_id", "indicator"),
)
