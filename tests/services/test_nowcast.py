"""The nowcast service on a tiny monthly world whose regression is worked out by hand here."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from stocktake.errors import StocktakeError
from stocktake.intake.service import submit_rows
from stocktake.model.periods import Period
from stocktake.results import dumps
from stocktake.results.leads import NowcastLead
from stocktake.services.data.model_service import load_model
from stocktake.services.reading.nowcast import nowcast
from stocktake.services.reading.snapshot import Snapshot

LEAD = """
- code: applications
  name: Applications received
  unit: applications
  polarity: neutral
  period_type: month
  aggregation: sum
  kind: lead
"""
T0 = datetime(2024, 3, 1)
T1 = datetime(2024, 3, 10)  # after every period submitted
# Applications change by these (even) amounts each month from 2022-02 to 2024-02; incidents
# change by half the change in applications two months earlier, give or take 1.
STEPS_X = [4, -2, 6, 0, -4, 8, 2, -6, 4, 10, -2, 0, 6, -8, 2, 4, -4, 6, 0, 2, -6, 8, 4, -2,
           6]
NOISE = [1, -1, 0, 1, 0, -1, 1, 0, -1, 0, 1, -1, 0, 0, 1, -1, 0, 1, -1, 0, 1]
MONTHS = [Period.parse("2022-01").shift(i).code for i in range(26)]  # 2022-01 .. 2024-02


def _levels():
    x = [200]
    for d in STEPS_X:
        x.append(x[-1] + d)
    y = [100, 101, 99]  # 2022-01 .. 2022-03, then driven by x two months earlier
    for t in range(3, 24):  # to 2023-12
        y.append(y[-1] + (x[t - 2] - x[t - 3]) // 2 + NOISE[t - 3])
    return x, y


@pytest.fixture
def world(engine, small_model_dir):
    with open(small_model_dir / "indicators.yaml", "a") as f:
        f.write(LEAD)
    load_model(engine, small_model_dir, loaded_by="t", now=T0)
    x, y = _levels()
    rows = [("applications", "A1", p, v) for p, v in zip(MONTHS, x, strict=True)]
    rows += [("incidents", "A1", p, v) for p, v in zip(MONTHS, y, strict=False)]
    result = submit_rows(engine, rows, submitter="t", now=T1)
    assert result.accepted, result.errors
    return engine


def test_nowcast_shape_and_first_value_by_hand(world):
    out = nowcast(Snapshot(world), "incidents", "A1", leads=["applications"], max_lag=4)
    assert set(json.loads(dumps(out))) == {  # the CLI's --json
        "headline", "unit", "leads", "model", "periods", "last_observed", "backtest", "as_of",
        "data_as_of"}
    assert out.leads == (NowcastLead(code="applications", lag=2),)
    assert out.last_observed == {"period": "2023-12", "value": _levels()[1][-1]}
    # Applications reach 2024-02, two months ahead: incidents to 2024-04.
    assert [p["period"] for p in out.periods] == ["2024-01", "2024-02", "2024-03",
                                                     "2024-04"]
    assert set(out.periods[0]) == {"period", "nowcast", "lower_80", "upper_80",
                                      "lower_95", "upper_95"}
    # By hand: simple regression of incidents' change at t on applications' change at t - 2,
    # over t = 2022-04 .. 2023-12 (21 rows); 2024-01 uses applications' change in 2023-11.
    x, y = _levels()
    rows = [(y[t] - y[t - 1], x[t - 2] - x[t - 3]) for t in range(3, 24)]
    n = len(rows)
    my = sum(r[0] for r in rows) / n
    mx = sum(r[1] for r in rows) / n
    b = (sum((r[0] - my) * (r[1] - mx) for r in rows)
         / sum((r[1] - mx) ** 2 for r in rows))
    a = my - b * mx
    first = y[23] + a + b * (x[22] - x[21])
    assert out.periods[0]["nowcast"] == pytest.approx(first, rel=1e-12)
    assert out.model["coefficients"]["applications"] == pytest.approx(b, rel=1e-12)
    assert out.model["df"] == n - 2 and not out.model["seasonal"]
    p0 = out.periods[0]
    assert p0["lower_95"] < p0["lower_80"] < p0["nowcast"] < p0["upper_80"] < p0["upper_95"]
    bt = out.backtest
    assert bt["forecasts"] + bt["skipped"] == 8  # a third of 23 observed changes
    assert bt["periods"] == ["2023-05", "2023-12"]
    assert bt["ratio"] < 1


def test_as_of_before_the_data_and_default_leads(world):
    with pytest.raises(StocktakeError, match="no complete data for 'incidents'"):
        nowcast(Snapshot(world, datetime(2024, 1, 1)), "incidents", "A1",
                leads=["applications"])
    # incidents heads no priority; incident_rate's priority names a quarterly lead.
    with pytest.raises(StocktakeError, match="no priority with headline 'incidents'"):
        nowcast(Snapshot(world), "incidents", "A1")
    with pytest.raises(StocktakeError, match="'screening' is quarterly"):
        nowcast(Snapshot(world), "incident_rate", "A1")


def test_unknown_codes_raise(world):
    with pytest.raises(StocktakeError, match="'incidentz' is not an indicator.*'incidents'"):
        nowcast(Snapshot(world), "incidentz", "A1", leads=["applications"])
    with pytest.raises(StocktakeError, match="'A9' is not a unit"):
        nowcast(Snapshot(world), "incidents", "A9", leads=["applications"])
    with pytest.raises(StocktakeError, match="headline itself"):
        nowcast(Snapshot(world), "incidents", "A1", leads=["incidents"])
