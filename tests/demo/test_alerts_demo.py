"""Every gaming case the demo plants (demo.series.GAMING) is found by ``stocktake alerts``
and shown on its priority's page."""

from __future__ import annotations

import functools

import pytest
from fastapi.testclient import TestClient

from stocktake.demo.series import GAMING
from stocktake.model.periods import Period
from stocktake.services.admin import accounts
from stocktake.services.reading.alerts import alerts
from stocktake.services.reading.series_data import components
from stocktake.services.reading.snapshot import Snapshot
from stocktake.web.app import create_app

# How far the found start may be from the planted one, in months. Each planted case builds
# up over months (12 to 30); a shift against the peers that builds up is dated where its
# slope changed, by a broken-stick fit (docs/methods/alerts.md, "Dating a gradual shift"):
# the housing case, a slide of the affordable share over 30 months, at 2024-02 (planted
# 2024-01), the homelessness case, a rise over 18 months, at 2024-05 (planted 2024-06).
WITHIN = {"SURG": 2, "CRIME": 2, "LIT": 2, "HOUS": 2, "HOME": 2}


@functools.cache  # read once per database (the demo's is not changed by these tests)
def planted_alerts(engine, prio: str):
    """The alerts of the priority at its planted unit that name its counter or one of the
    indicators the counter is computed from."""
    model = Snapshot(engine).model
    unit = GAMING[prio][0]
    counter = set()
    for code in model.priorities[prio].counters:
        counter |= components(model, code)
    return [a for a in alerts(Snapshot(engine), priority=prio, unit=unit).alerts
            if a.unit == unit and counter & set(a.indicators)]


@pytest.mark.parametrize("prio", list(GAMING))
def test_each_planted_case_is_found_near_its_start_and_shown(demo_engine, prio):
    unit, start, _ = GAMING[prio]
    found = planted_alerts(demo_engine, prio)
    assert found, f"{prio}: no alert at {unit}"
    nearest = min(abs(Period.parse(a.start).ordinal - Period.parse(start).ordinal)
                  for a in found)
    assert nearest <= WITHIN[prio], (prio, [a.start for a in found])
    if "alertpage" not in {u.username for u in accounts.list_users(demo_engine)}:
        accounts.create_user(demo_engine, "alertpage", "executive", "correct horse battery")
    token = accounts.start_session(demo_engine, "alertpage").token
    page = TestClient(create_app(demo_engine), cookies={"stocktake_session": token}).get(
        f"/priorities/{prio}").text
    assert "Can we trust these numbers?" in page
    assert all(f'id="alert-{a.id}"' in page for a in found)


def test_the_housing_counter_alert_is_dated_where_the_affordable_share_began_to_slide(
        demo_engine):
    """The housing case's counter alert (completions up, the affordable share sliding over
    30 months): each series read on its own, its gradual shifts dated where their slope
    changed (docs/methods/alerts.md, "Dating a gradual shift"). As a change of mean it read
    2025-02, 13 months after the planted start; dated by its slope, within two months,
    with the interval in its words and evidence."""
    unit, start, _ = GAMING["HOUS"]
    (alert,) = [a for a in planted_alerts(demo_engine, "HOUS") if a.kind == "counter"]
    assert abs(Period.parse(alert.start).ordinal - Period.parse(start).ordinal) <= 2
    dated = min(alert.evidence, key=lambda s: Period.parse(s.start).ordinal)
    assert dated.start == alert.start and dated.start_low <= start <= dated.start_high
    assert alert.explanation.startswith(
        f"from about {alert.start} (between {dated.start_low} and {dated.start_high}) ")
