"""The lead finder and named-lead evidence on a short, wide yearly panel stored in a real
database: 150 municipalities x 9 years, spending leading revenue by a year (issue 13.6)."""

from __future__ import annotations

import json
from datetime import datetime

import numpy as np
import pytest

from stocktake.errors import StocktakeError
from stocktake.intake.service import submit_rows
from stocktake.services.data.model_service import load_model
from stocktake.services.reading.leads import lead_indicators, named_lead_evidence
from stocktake.services.reading.snapshot import Snapshot

UNITS = 150
YEARS = [str(y) for y in range(2015, 2024)]  # 9 years
T0 = datetime(2024, 3, 1)
T1 = datetime(2024, 3, 10)

INDICATORS = """
- code: revenue
  name: Own revenue per resident
  unit: euros
  polarity: up
  period_type: year
  aggregation: mean
  kind: headline
- code: spending
  name: Investment spending per resident
  unit: euros
  polarity: neutral
  period_type: year
  aggregation: mean
  kind: lead
- code: unrelated
  name: An unrelated indicator
  unit: points
  polarity: neutral
  period_type: year
  aggregation: mean
  kind: context
"""
PRIORITIES = """
- code: REV
  title: Raise own revenue
  owner: Minister of Local Government
  headline: revenue
  scope: N
  baseline: {period: "2015", value: 100.0}
  target: {period: "2026", value: 120.0}
  leads: [spending, unrelated]
"""


@pytest.fixture
def yearly(engine, tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    lines = ["code,name,level,parent", "N,Nation,nation,"]
    lines += [f"M{i:03d},Municipality {i},municipality,N" for i in range(UNITS)]
    (model / "units.csv").write_text("\n".join(lines) + "\n")
    (model / "indicators.yaml").write_text(INDICATORS)
    (model / "priorities.yaml").write_text(PRIORITIES)
    load_model(engine, model, loaded_by="t", now=T0)
    rng = np.random.default_rng(9)
    n = len(YEARS)
    dx = rng.normal(0, 1, (UNITS, n))
    dy = rng.normal(0, 1, (UNITS, n))
    dy[:, 1:] += 0.5 * dx[:, :-1]  # this year's spending moves next year's revenue
    x, y = 100 + dx.cumsum(axis=1), 100 + dy.cumsum(axis=1)
    z = 50 + rng.normal(0, 1, (UNITS, n)).cumsum(axis=1)
    rows = []
    for i in range(UNITS):
        for t, year in enumerate(YEARS):
            rows += [("revenue", f"M{i:03d}", year, round(float(y[i, t]), 4)),
                     ("spending", f"M{i:03d}", year, round(float(x[i, t]), 4)),
                     ("unrelated", f"M{i:03d}", year, round(float(z[i, t]), 4))]
    result = submit_rows(engine, rows, submitter="t", now=T1)
    assert result.accepted, result.errors
    return engine


def test_nine_years_on_many_units_are_tested_not_refused(yearly):
    out = lead_indicators(Snapshot(yearly), "revenue", candidates=["spending", "unrelated"],
                          max_lag=3)
    assert out.level == "municipality" and out.periods == ("2015", "2023")
    assert out.skipped == () and out.inference == "permutation"
    best = {r["candidate"]: r for r in out.ranked}
    assert best["spending"]["lag"] == 1 and best["spending"]["discovered"]
    assert best["spending"]["reverse_q_value"] > 0.05
    assert not best["unrelated"]["discovered"]
    assert any("Nickell" in note for note in out.notes)
    assert "CD test" in out.parameters["time_effects_choice"]


def test_too_many_lags_for_the_periods_is_refused_with_the_reason(yearly):
    # 9 years allow lags up to 5 (3 rows per unit after the difference and the lags).
    assert lead_indicators(Snapshot(yearly), "revenue", candidates=["spending"],
                           max_lag=5).results
    with pytest.raises(StocktakeError, match="needs 10 periods.*smaller --max-lag"):
        lead_indicators(Snapshot(yearly), "revenue", candidates=["spending"], max_lag=6)


def test_named_lead_evidence_works_for_a_yearly_headline(yearly):
    evidence = named_lead_evidence(Snapshot(yearly), "REV")
    spending = evidence["spending"]
    assert spending.level == "municipality" and spending.lag == 1
    assert spending.q_value <= 0.05 and spending.units == UNITS
    assert spending.period_word == "years"
    assert "permutation" in spending.method
    assert evidence["unrelated"].reading == "no_evidence"


@pytest.mark.slow
def test_the_leads_command_on_a_short_panel(yearly, db_url):
    """`stocktake leads` as a reader sees it: the lead, the time-effects choice, the
    permutation and Nickell notes; too many lags refused with the periods it needs."""
    from typer.testing import CliRunner

    from stocktake.cli import app

    args = ["leads", "revenue", "--candidates", "spending,unrelated", "--max-lag", "3",
            "--db", db_url]
    out = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    rows = {line.split("│")[1].strip(): line for line in out.output.splitlines()
            if line.startswith("│")}
    assert rows["spending"].split("│")[2].strip() == "1"  # the lag
    assert "Time effects: auto: Pesaran's CD test" in out.output
    assert "permutation across units" in out.output and "Nickell 1981" in out.output
    old = CliRunner().invoke(app, [*args, "--inference", "f", "--no-time-effects", "--json"])
    report = json.loads(old.stdout)
    assert report["inference"] == "f" and report["parameters"]["time_effects"] is False
    refused = CliRunner().invoke(app, [*args[:-4], "--max-lag", "6", "--db", db_url])
    assert refused.exit_code != 0 and "needs 10 periods" in refused.output
