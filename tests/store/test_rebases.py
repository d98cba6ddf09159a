"""Accepted SPC rebases in the store: append-only events, in force by the newest event known at
a moment, on real SQLite (and PostgreSQL where configured)."""

from datetime import datetime

import pytest

from stocktake.store import rebases
from stocktake.store.db import writing

T = [datetime(2026, 1, d) for d in range(1, 8)]


def test_in_force_follows_the_newest_event_known_at_the_moment(engine):
    with writing(engine) as conn:
        rebases.record(conn, "ind", "U", "2024-03", "accept", reason="new service", by="ana",
                       at=T[1])
        rebases.record(conn, "ind", "U", "2022-01", "accept", reason="older change", by="bob",
                       at=T[2])
        rebases.record(conn, "ind", "V", "2024-03", "accept", reason="elsewhere", by="ana",
                       at=T[2])
        rebases.record(conn, "other", "U", "2024-05", "accept", reason="x", by="ana", at=T[2])
        rebases.record(conn, "ind", "U", "2024-03", "remove", reason="premature", by="cy",
                       at=T[4])
    with engine.connect() as conn:
        assert rebases.in_force(conn, ["ind"], T[0]) == {}
        early = rebases.in_force(conn, ["ind"], T[1])
        assert [(r.period, r.by, r.reason) for r in early[("ind", "U")]] == [
            ("2024-03", "ana", "new service")]
        mid = rebases.in_force(conn, ["ind"], T[3])
        assert [r.period for r in mid[("ind", "U")]] == ["2022-01", "2024-03"]  # by period
        assert set(mid) == {("ind", "U"), ("ind", "V")}  # only the indicators asked for
        now = rebases.in_force(conn, ["ind"])
        assert [r.period for r in now[("ind", "U")]] == ["2022-01"]
        assert [e["action"] for e in rebases.events(conn, "ind", "U")] == [
            "accept", "accept", "remove"]
        assert now[("ind", "U")][0].to_dict()["accepted_at"] == "2026-01-03T00:00:00"


def test_an_unknown_action_is_refused(engine):
    with writing(engine) as conn, pytest.raises(ValueError, match="neither 'accept'"):
        rebases.record(conn, "ind", "U", "2024-03", "apply", reason="x", by="a", at=T[0])
