"""A region's computed value comes from the records of its hospitals, with the same
definition, as DHIS2's analytics aggregate records at every level: its share is the share
of the region's attendances (not the mean of its hospitals' shares) and its median the
median of its attendances (which no figure of the hospitals could give)."""

import shutil
from datetime import datetime

import pytest

from stocktake.services.data.compute import compute_indicators

from .records import MODEL, _percentile, write_parquet

JAN = datetime(2024, 1, 15, 9, 30)


def attendance(hospital: str, minutes: int) -> dict:
    return {"hospital": hospital, "arrived": JAN, "minutes": minutes, "kind": "major",
            "admitted": False}


# Made to tell the two answers apart: a small hospital that does well beside a large one
# that does not (H1: 9 of 10 within four hours; H2: 45 of 90).
RECORDS = ([attendance("H1", 100)] * 9 + [attendance("H1", 300)]
           + [attendance("H2", 200)] * 45 + [attendance("H2", 500)] * 45
           + [attendance("H3", 230)] * 3)


@pytest.fixture
def values(tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(MODEL, folder)
    write_parquet(RECORDS, folder / "records")
    run = compute_indicators(None, folder, ["seen_4h", "median_minutes"], period="2024-01",
                             dry_run=True)
    return {c.indicator: {u: v for u, _, v in c.values} for c in run.computed}


def test_a_regions_share_is_the_share_of_its_records(values):
    region = [r for r in RECORDS if r["hospital"] in ("H1", "H2")]
    by_hand = 100 * sum(r["minutes"] <= 240 for r in region) / len(region)
    assert by_hand == 54.0
    assert values["seen_4h"]["R1"] == pytest.approx(by_hand, rel=1e-12)
    mean_of_shares = (values["seen_4h"]["H1"] + values["seen_4h"]["H2"]) / 2
    assert mean_of_shares == pytest.approx(70.0) and values["seen_4h"]["R1"] != mean_of_shares
    # The nation: all 103 attendances, 57 of them within four hours.
    assert values["seen_4h"]["N"] == pytest.approx(100 * 57 / 103, rel=1e-12)
    assert values["seen_4h"]["R2"] == values["seen_4h"]["H3"] == 100.0


def test_a_regions_median_is_the_median_of_its_records(values):
    region = [r["minutes"] for r in RECORDS if r["hospital"] in ("H1", "H2")]
    assert values["median_minutes"]["R1"] == _percentile(region, 0.5) == 200
    # Neither the mean nor the median of the hospitals' medians (100 and 350) gives it.
    assert (values["median_minutes"]["H1"], values["median_minutes"]["H2"]) == (100, 350)
    everyone = [r["minutes"] for r in RECORDS]
    assert values["median_minutes"]["N"] == _percentile(everyone, 0.5)
