"""A small world with French names, for the documents in French: the small model, an
indicator and a priority with French names, units with French names, and four months of
operating hours submitted through the real services."""

from __future__ import annotations

import csv
from datetime import datetime

import pytest

from stocktake.intake.service import submit_rows
from stocktake.services.data.model_service import load_model

HOURS = """
- code: hours
  name: Operating hours
  name_fr: Heures d’ouverture
  unit: hours
  polarity: up
  period_type: month
  aggregation: sum
"""
MORE = """
- code: MORE
  title: More operating hours
  title_fr: Plus d’heures d’ouverture
  headline: hours
  scope: N
  baseline: {period: 2024-01, value: 1000.0}
  target: {period: 2024-12, value: 1500.0}
"""
UNITS_FR = {"A": "Première province", "B": "Deuxième province", "A1": "Région A1",
            "A2": "Région A2", "B1": "Région B1"}
# Hours at A1, A2 and B1; the nation's April total is 411.5 x 3 = 1,234.5.
HOURS_BY_MONTH = {"2024-01": 333.3, "2024-02": 350.0, "2024-03": 380.0, "2024-04": 411.5}
LOADED, SUBMITTED = datetime(2024, 5, 1), datetime(2024, 5, 10, 9, 30)


@pytest.fixture
def world(engine, db_url, small_model_dir):
    """The database URL of the small world with French names and hours submitted."""
    with open(small_model_dir / "indicators.yaml", "a") as f:
        f.write(HOURS)
    with open(small_model_dir / "priorities.yaml", "a") as f:
        f.write(MORE)
    units = small_model_dir / "units.csv"
    with open(units, newline="") as f:
        rows = list(csv.DictReader(f))
    with open(units, "w", newline="") as f:
        out = csv.DictWriter(f, [*rows[0], "name_fr"])
        out.writeheader()
        out.writerows({**r, "name_fr": UNITS_FR.get(r["code"], "")} for r in rows)
    load_model(engine, small_model_dir, loaded_by="t", now=LOADED)
    rows = [("hours", unit, period, value) for period, value in HOURS_BY_MONTH.items()
            for unit in ("A1", "A2", "B1")]
    assert submit_rows(engine, rows, submitter="t", now=SUBMITTED).accepted
    return db_url
