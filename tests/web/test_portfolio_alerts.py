"""The portfolio's alert marker (TestClient on a real SQLite world where one region
down-codes violent reports): the count of open alerts per priority, linking to its alerts,
nothing once they are reviewed, and a page that does not wait long for the reading."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from stocktake.services.reading.alerts import alerts, review_alert
from stocktake.services.reading.snapshot import Snapshot
from stocktake.web import overview_pages
from stocktake.web.app import create_app

from ..services.test_alerts import planted_world
from .conftest import signed_in_session

MARK = 'class="alert-mark" href="/alerts?priority=CRIME"'


def _portfolio(client: TestClient) -> str:
    """The portfolio once the alerts of the data have been read (in the background)."""
    deadline = time.monotonic() + 120
    while True:
        page = client.get("/")
        assert page.status_code == 200
        if "still being read" not in page.text or time.monotonic() > deadline:
            return page.text
        time.sleep(0.2)


def test_each_priority_shows_its_open_alerts_and_links_to_them(engine, tmp_path):
    planted_world(engine, tmp_path / "model")
    client = TestClient(create_app(engine),
                        cookies={"stocktake_session": signed_in_session(engine, "executive")})
    raised = alerts(Snapshot(engine), priority="CRIME").open
    assert len(raised) >= 1
    page = _portfolio(client)
    assert page.count(MARK) == 1
    n = len(raised)
    assert f'{n} open alert{"s" if n > 1 else ""}<span class="visually-hidden"> on the data of ' \
           "Reduce violent crime: can we trust these numbers?</span>" in page
    assert client.get("/alerts?priority=CRIME").status_code == 200
    # Reviewed, an alert is no longer open: the count falls, and with none the marker goes.
    review_alert(engine, raised[0].id, status="explained", note="a new standard", by="ana")
    page = _portfolio(client)
    if n > 1:
        assert f"{n - 1} open alert" in page
    for a in raised[1:]:
        review_alert(engine, a.id, status="confirmed", note="audited", by="ana")
    assert MARK not in _portfolio(client)


def test_the_page_does_not_wait_for_the_alerts_of_new_data(engine, tmp_path, monkeypatch):
    planted_world(engine, tmp_path / "model")
    monkeypatch.setattr(overview_pages, "ALERT_WAIT", 0.0)
    client = TestClient(create_app(engine),
                        cookies={"stocktake_session": signed_in_session(engine, "executive")})
    first = client.get("/")
    assert first.status_code == 200 and "Reduce violent crime" in first.text
    assert "The alerts on the newest data are still being read" in first.text
    assert MARK not in first.text
    assert MARK in _portfolio(client)  # once read, shown
