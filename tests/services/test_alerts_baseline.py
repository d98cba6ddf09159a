"""An alert bears on a priority only when its change came after the priority's baseline: on
real FBI figures (the five East North Central states, 1979-2019, from the repository's US
crime example), loaded through the real services into a real database."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stocktake.intake.service import submit_rows
from stocktake.services.data.model_service import load_model
from stocktake.services.reading.alerts import alerts
from stocktake.services.reading.quality import data_quality
from stocktake.services.reading.snapshot import Snapshot

OBSERVATIONS = Path(__file__).parents[2] / "examples" / "us_crime" / "data" / "observations.csv"
STATES = ["IL", "IN", "MI", "OH", "WI"]
INDICATORS = """- code: violent_crime
  name: Violent crimes
  unit: offences
  polarity: down
  period_type: year
  aggregation: sum
  integer: true
  min: 0
- code: population
  name: Population
  unit: people
  polarity: neutral
  period_type: year
  aggregation: sum
  integer: true
  min: 0
- code: violent_crime_rate
  name: Violent crime rate
  unit: per 100,000
  polarity: down
  period_type: year
  aggregation: ratio
  numerator: violent_crime
  denominator: population
  scale: 100000
"""
# Judged from 2000: the rate of the five states together, 2000 to 2019.
PRIORITY = """- code: vc
  title: Cut violent crime
  headline: violent_crime_rate
  scope: ENC
  baseline: {period: '2000', value: 520}
  target: {period: '2019', value: 380}
"""


@pytest.fixture
def observations() -> pd.DataFrame:
    obs = pd.read_csv(OBSERVATIONS, dtype={"period": str})
    return obs[obs.unit.isin(STATES) & obs.indicator.isin(["violent_crime", "population"])]


def _against_peers(obs: pd.DataFrame, state: str) -> pd.Series:
    """log(state's rate) - median of the other states' log rates, by year."""
    wide = obs.pivot_table(index=["period", "unit"], columns="indicator", values="value")
    rate = (wide.violent_crime / wide.population).unstack("unit")
    logs = np.log(rate)
    return logs[state] - logs.drop(columns=state).median(axis=1)


def test_a_change_over_before_the_baseline_does_not_question_the_priority(
        engine, tmp_path, observations):
    # Worked out here: Ohio fell against its peers in 1983 (about 16%), Wisconsin rose
    # against them in 2006 (about 25%), each to a level that held for years after.
    ohio, wisconsin = _against_peers(observations, "OH"), _against_peers(observations, "WI")
    assert ohio["1979":"1982"].mean() - ohio["1983":"1993"].mean() > 0.15
    assert wisconsin["2006":"2011"].mean() - wisconsin["2000":"2005"].mean() > 0.2

    model = tmp_path / "model"
    model.mkdir()
    (model / "units.csv").write_text("code,name,level,parent\nENC,East North Central,division,\n"
                                     + "".join(f"{s},{s},state,ENC\n" for s in STATES))
    (model / "indicators.yaml").write_text(INDICATORS)
    (model / "priorities.yaml").write_text(PRIORITY)
    load_model(engine, model, loaded_by="t", now=datetime(1979, 1, 1))
    rows = list(observations.itertuples(index=False, name=None))
    assert submit_rows(engine, rows, submitter="t", now=datetime(2020, 9, 28)).accepted
    snap = Snapshot(engine)

    found = {(a.unit, a.start): a for a in alerts(snap).alerts}
    assert set(found) == {("OH", "1983"), ("WI", "2006")}
    # Ohio's new level held from 1983, long before the baseline: every figure the priority
    # is judged on is on the same footing, so it questions none of them. Wisconsin's
    # change came after the baseline: it does.
    assert found[("OH", "1983")].priorities == ()
    assert found[("WI", "2006")].priorities == ("vc",)
    assert [(a.unit, a.start) for a in alerts(snap, priority="vc").alerts] == [("WI", "2006")]
    # In the data-quality league only Wisconsin is held back by its alert.
    held = {row.unit: row.held_back for row in data_quality(snap).units}
    assert held["OH"] is None
    assert held["WI"] is not None and "2006" in held["WI"]
