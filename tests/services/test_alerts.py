"""The alerts service on a small real world: eight regions report violent reports, unfounded
reports and founded incidents monthly; one region down-codes from 2024-01 (its share of
unfounded reports rises from 10% to 18%). The service must find it, date it, size it, leave
the other regions alone, and keep the history of its reviews."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from stocktake.errors import Invalid, NotFound
from stocktake.intake.service import submit_rows
from stocktake.model.periods import Period
from stocktake.results import encode
from stocktake.services.data.model_service import load_model
from stocktake.services.reading.alerts import alerts, review_alert
from stocktake.services.reading.snapshot import Snapshot
from stocktake.store.db import drop_everything, open_engine
from stocktake.store.schema_alerts import alert_reviews

REGIONS = [f"R{i}" for i in range(1, 9)]
PLANTED, PLANTED_START = "R3", "2024-01"
LOADED, SUBMITTED = datetime(2026, 1, 5), datetime(2026, 1, 10)

INDICATORS = """
- code: reports
  name: Violent reports
  unit: reports
  polarity: neutral
  period_type: month
  aggregation: sum
- code: unfounded
  name: Unfounded reports
  unit: reports
  polarity: neutral
  period_type: month
  aggregation: sum
  related: [reports]
- code: incidents
  name: Violent incidents
  unit: incidents
  polarity: down
  period_type: month
  aggregation: sum
  kind: headline
- code: unfounded_pct
  name: Reports classified unfounded
  unit: percent
  polarity: down
  period_type: month
  aggregation: ratio
  numerator: unfounded
  denominator: reports
  scale: 100
  kind: counter
"""
PRIORITIES = """
- code: CRIME
  title: Reduce violent crime
  headline: incidents
  scope: N
  baseline: {period: "2021-06", value: 7000}
  target: {period: "2026-12", value: 6000}
  counters: [unfounded_pct]
"""


def months(first: str, last: str) -> list[str]:
    a, b = Period.parse(first).ordinal, Period.parse(last).ordinal
    return [f"{o // 12}-{o % 12 + 1:02d}" for o in range(a, b + 1)]


def planted_world(engine, directory: Path, *, first: str = "2021-01",
                  last: str = "2025-12", seed: int = 14) -> dict[str, np.ndarray]:
    """Load the model and submit the series; returns the submitted panels (regions x
    months) so that tests can size the planted change on their own."""
    directory.mkdir(exist_ok=True)
    lines = ["code,name,level,parent", "N,Nation,nation,"]
    lines += [f"{r},Region {r[1:]},region,N" for r in REGIONS]
    (directory / "units.csv").write_text("\n".join(lines) + "\n")
    (directory / "indicators.yaml").write_text(INDICATORS)
    (directory / "priorities.yaml").write_text(PRIORITIES)
    load_model(engine, directory, loaded_by="t", now=LOADED)
    rng = np.random.default_rng(seed)
    periods = months(first, last)
    size = rng.uniform(0.5, 2.0, len(REGIONS))
    reports = rng.poisson(1000 * size[:, None], (len(REGIONS), len(periods)))
    share = np.full(reports.shape, 0.10) * np.exp(rng.normal(0, 0.05, reports.shape))
    planted = REGIONS.index(PLANTED)
    if PLANTED_START in periods:
        share[planted, periods.index(PLANTED_START):] *= 1.8
    unfounded = rng.binomial(reports, share)
    rows = []
    for i, r in enumerate(REGIONS):
        for t, p in enumerate(periods):
            rows += [("reports", r, p, int(reports[i, t])),
                     ("unfounded", r, p, int(unfounded[i, t])),
                     ("incidents", r, p, int(reports[i, t] - unfounded[i, t]))]
    result = submit_rows(engine, rows, submitter="t", now=SUBMITTED)
    assert result.accepted, result.errors
    return {"periods": np.array(periods), "reports": reports, "unfounded": unfounded}


@pytest.fixture
def world(engine, tmp_path):
    return engine, planted_world(engine, tmp_path / "model")


def _distance(a: str, b: str) -> int:
    return abs(Period.parse(a).ordinal - Period.parse(b).ordinal)


def test_the_planted_ratio_shift_is_found_dated_and_sized(world):
    engine, data = world
    report = alerts(Snapshot(engine))
    shifts = [a for a in report.alerts if a.kind == "ratio_shift"]
    assert [a.unit for a in shifts] == [PLANTED], shifts  # no false alarm on the other seven
    a = shifts[0]
    assert a.indicators == ("unfounded", "reports") and a.status == "open"
    assert _distance(a.start, PLANTED_START) <= 2
    assert a.level == "region" and a.priorities == ("CRIME",)
    # the size, worked out from the submitted counts: the ratio after against before
    ratio = data["unfounded"][REGIONS.index(PLANTED)] / data["reports"][REGIONS.index(PLANTED)]
    cut = list(data["periods"]).index(PLANTED_START)
    expected = ratio[cut:].mean() / ratio[:cut].mean() - 1
    size = a.size["unfounded/reports"]
    assert size["relative"] == pytest.approx(expected, abs=0.1)
    assert size["before"] == pytest.approx(ratio[:cut].mean(), rel=0.05)
    assert "Region 3 records" in a.explanation and "more unfounded reports per" in a.explanation


def test_the_json_form_starts_with_the_contracted_fields(world):
    engine, _ = world
    out = encode(alerts(Snapshot(engine)))
    assert list(out) == ["alerts"]
    first = out["alerts"][0]
    assert list(first)[:9] == ["kind", "unit", "indicators", "start", "end", "size",
                               "evidence", "strength", "status"]
    assert {"explanation", "id", "history"} <= set(first)


def test_an_alerts_identity_is_stable_across_runs(world, tmp_path):
    engine, _ = world
    ids = [a.id for a in alerts(Snapshot(engine)).alerts]
    again = [a.id for a in alerts(Snapshot(engine)).alerts]
    assert ids == again and len(set(ids)) == len(ids)


def test_filters_by_priority_and_by_unit(world):
    engine, _ = world
    everything = alerts(Snapshot(engine)).alerts
    assert alerts(Snapshot(engine), priority="CRIME").alerts == everything
    mine = alerts(Snapshot(engine), unit=PLANTED).alerts
    assert mine and all(a.unit == PLANTED for a in mine)
    assert alerts(Snapshot(engine), unit="N").alerts == everything  # N and every unit below
    with pytest.raises(NotFound, match="did you mean 'CRIME'"):
        alerts(Snapshot(engine), priority="CRIM")
    with pytest.raises(NotFound, match="'R33' is not a unit"):
        alerts(Snapshot(engine), unit="R33")


def test_a_short_series_raises_no_alert_rather_than_a_guess(engine, tmp_path):
    planted_world(engine, tmp_path / "model", first="2023-09", last="2024-06")  # 10 months
    assert alerts(Snapshot(engine)).alerts == ()


def _planted(engine):
    return next(a for a in alerts(Snapshot(engine)).alerts if a.kind == "ratio_shift")


def _reviews(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(alert_reviews)).scalar()


def test_a_review_is_kept_with_its_history_and_read_as_of_a_moment(world):
    engine, _ = world
    a = _planted(engine)
    t1, t2 = datetime(2026, 2, 1, 9), datetime(2026, 3, 1, 9)
    done = review_alert(engine, a.id, status="explained", note="a new recording standard",
                        by="ana", now=t1)
    assert done.alert.status == "explained" and done.review.by == "ana"
    review_alert(engine, a.id, status="open", note="the standard does not explain all of it",
                 by="ben", now=t2)
    now = next(x for x in alerts(Snapshot(engine)).alerts if x.id == a.id)
    assert now.status == "open"
    assert [(r.status, r.by) for r in now.history] == [("explained", "ana"), ("open", "ben")]
    then = next(x for x in alerts(Snapshot(engine, datetime(2026, 2, 15))).alerts
                if x.id == a.id)
    assert then.status == "explained" and len(then.history) == 1
    before = next(x for x in alerts(Snapshot(engine, datetime(2026, 1, 20))).alerts
                  if x.id == a.id)
    assert before.status == "open" and before.history == ()


def test_reviewed_alerts_follow_the_open_ones(world):
    engine, _ = world
    report = alerts(Snapshot(engine))
    if len(report.alerts) < 2:
        pytest.skip("one alert only: nothing to order")
    review_alert(engine, report.alerts[0].id, status="confirmed", note="recorded away",
                 by="ana")
    statuses = [a.status for a in alerts(Snapshot(engine)).alerts]
    assert statuses[-1] == "confirmed" and "open" in statuses[:-1]


def test_bad_reviews_are_refused_and_change_nothing(world):
    engine, _ = world
    a = _planted(engine)
    with pytest.raises(Invalid, match="did you mean 'explained'"):
        review_alert(engine, a.id, status="explaned", note="x", by="ana")
    with pytest.raises(Invalid, match="needs a note"):
        review_alert(engine, a.id, status="confirmed", note="  ", by="ana")
    with pytest.raises(NotFound, match=f"did you mean '{a.id}'"):
        review_alert(engine, a.id[:-1] + "z", status="confirmed", note="x", by="ana")
    assert _reviews(engine) == 0
    assert _planted(engine).status == "open"


def test_a_database_emptied_and_filled_again_is_read_again(engine, tmp_path):
    # the same URL, the same batch id and times: only the data differ (the kept detection
    # must not answer for the old world)
    planted_world(engine, tmp_path / "first")
    assert alerts(Snapshot(engine)).alerts
    drop_everything(engine)
    again = open_engine(engine.url.render_as_string(hide_password=False))
    planted_world(again, tmp_path / "second", first="2023-09", last="2024-06")
    assert alerts(Snapshot(again)).alerts == ()
    again.dispose()
