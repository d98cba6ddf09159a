"""The risk register over the demo world: the demo's plans move their risks between
versions, so the register shows risks up, down, new and closed, each checked against the
plan versions read back from the store and scored here (likelihood x impact), not against
the register's own arithmetic."""

from stocktake.demo.delivery import STORIES
from stocktake.services.routines.register import across_priorities
from stocktake.store import delivery as store


def _scores(document: dict) -> dict[str, tuple[str, int]]:
    """A plan document's risks: code -> (description, likelihood x impact)."""
    return {r["code"]: (r["description"], r["likelihood"] * r["impact"])
            for r in document.get("risks", [])}


def test_the_demo_register_shows_risks_up_down_new_and_closed(demo_engine):
    expected, closed = set(), set()
    with demo_engine.connect() as conn:
        for code in STORIES:
            rows = store.versions(conn, "plan", code)
            assert len(rows) >= 2, code
            now, before = _scores(rows[-1]["document"]), _scores(rows[-2]["document"])
            for risk, (_, score) in now.items():
                was = before.get(risk, (None, None))[1]
                trend = ("new" if was is None else "up" if score > was
                         else "down" if score < was else "same")
                expected.add((code, risk, score, was, trend))
            closed |= {(code, risk, text, score) for risk, (text, score) in before.items()
                       if risk not in now}
    across = across_priorities(demo_engine)
    assert {(r.priority, r.code, r.score, r.previous_score, r.trend)
            for r in across.risks} == expected
    assert {(r.priority, r.code, r.description, r.score) for r in across.closed} == closed
    assert all(r.trend == "closed" for r in across.closed)
    # every case shows, where each priority's story puts it
    moved = {(r.priority, r.code): r.trend for r in across.risks + across.closed}
    assert set(moved.values()) == {"up", "down", "new", "same", "closed"}
    assert moved[("SURG", "r1")] == "down"  # anaesthetists recruited
    assert moved[("CRIME", "r3")] == "up"  # data sharing over weak and broken links
    assert moved[("LIT", "r2")] == "closed"  # rural tutors recruited
    assert moved[("HOME", "r4")] == "new"  # by-name lists miss rough sleepers
    scores = {(r.priority, r.code): (r.previous_score, r.score) for r in across.risks}
    assert scores[("SURG", "r1")] == (3 * 4, 2 * 4) and scores[("CRIME", "r3")] == (12, 16)
