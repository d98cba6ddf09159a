"""The reviews of alerts (migration 0009_alert_reviews). Same MetaData as ``schema``.

Appended, never edited: an alert's status at moment T is the status of its newest review
recorded at or before T ("open" without one). An alert is known by its id (a digest of its
kind, unit, indicators and first period, stable across runs); those four are kept beside
it so that a review stays readable after its alert is no longer raised.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, String, Table, Text

from .schema import metadata

alert_reviews = Table(
    "alert_reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alert", String(32), nullable=False),  # the alert's id
    Column("kind", String(16), nullable=False),
    Column("unit", String(64), nullable=False),
    Column("indicators", Text, nullable=False),  # codes joined by ","
    Column("start", String(10), nullable=False),  # the first period of the shift
    Column("status", String(16), nullable=False),  # open | explained | confirmed
    Column("note", Text, nullable=False),
    Column("by", Text, nullable=False),
    Column("at", DateTime, nullable=False),
    Index("ix_alert_reviews_alert", "alert"),
)
