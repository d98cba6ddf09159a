"""Commitments and escalation (migrations 0011_commitments and 0016_commitments_french).
Same MetaData as ``schema``.

A commitment's details are its one row (a load replaces them); its status is its newest
row in ``commitment_statuses`` recorded at or before T. A priority's intensity is its
newest ``priority_intensity`` row ("routine" without one). A priority review is a numbered
document whose every change (commissioned, reported, a recommendation followed up, closed)
is a new version.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, Index, Integer, String, Table, Text

from .schema import metadata

commitments = Table(
    "commitments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("text", Text, nullable=False),
    Column("minister", Text, nullable=False),
    Column("department", Text, nullable=False),
    Column("partners", JSON, nullable=False),  # list of names (other governments)
    Column("rationale", Text, nullable=False),
    Column("evidence", JSON, nullable=False),  # list of links
    Column("priority", String(64), nullable=True),  # the priority it serves, if any
    Column("indicator", String(64), nullable=True),  # the indicator it serves, if any
    Column("public", Boolean, nullable=False),  # shown on the public tracker
    Column("updated_at", DateTime, nullable=False),
    # The French beside the English, "" where none is given (0016_commitments_french).
    Column("text_fr", Text, nullable=False, server_default=""),
    Column("rationale_fr", Text, nullable=False, server_default=""),
)

commitment_statuses = Table(
    "commitment_statuses",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("commitment", String(64), nullable=False),  # the commitment's code
    Column("status", String(32), nullable=False),  # a key of delivery.commitments.STATUSES
    Column("reason", Text, nullable=False),
    Column("by", Text, nullable=False),
    Column("at", DateTime, nullable=False),
    Index("ix_commitment_statuses_commitment", "commitment"),
)

priority_intensity = Table(
    "priority_intensity",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("priority", String(64), nullable=False),
    Column("level", String(16), nullable=False),  # routine | intensive | crisis
    Column("reason", Text, nullable=False),
    Column("by", Text, nullable=False),
    Column("at", DateTime, nullable=False),
    Index("ix_priority_intensity_priority", "priority"),
)

priority_reviews = Table(
    "priority_reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("priority", String(64), nullable=False),
    Column("review", Integer, nullable=False),  # the review's number, 1, 2, ... overall
    Column("version", Integer, nullable=False),
    Column("document", JSON, nullable=False),  # delivery.escalation.Review.to_dict()
    Column("by", Text, nullable=False),
    Column("reason", Text, nullable=False),  # what this version changed
    Column("at", DateTime, nullable=False),
    Index("ux_priority_reviews", "review", "version", unique=True),
)
