"""The US crime example (examples/us_crime): its files against the raw FBI file.

Every expectation is computed here from the raw CSV with the csv module, or written by
hand from the FBI's published figures, never read back from prepare.py's own functions.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from stocktake.model.entities import Aggregation, IndicatorKind, Polarity
from stocktake.model.files import load_model_dir

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "us_crime"
RAW = EXAMPLE / "raw" / "us_state_crime_ucr_1979_2019.csv"
SHARED_RAW = Path("/work/shared/data/us_state_crime_ucr_1979_2019.csv")
RAW_SHA256 = "361901d35fbe044ea0e9d4d5d71437f37e044f4dc7f7f67f2dd19d0485bb411a"
GENERATED = ["model/units.csv", "model/indicators.yaml", "model/priorities.yaml",
             "model/rules.yaml", "data/observations.csv"]
COUNTS = ["population", "violent_crime", "homicide", "rape_legacy", "rape_revised", "robbery",
          "aggravated_assault", "property_crime", "burglary", "larceny", "motor_vehicle_theft",
          "prisoner_count"]
# Found by the loop in test_violent_crime_identity; listed in the README.
IDENTITY_VIOLATIONS = {("HI", 2015), ("NH", 2013), ("RI", 2012), ("WA", 1997)}


@pytest.fixture(scope="module")
def raw_rows() -> list[dict[str, str]]:
    with RAW.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def observations() -> list[dict[str, str]]:
    with (EXAMPLE / "data" / "observations.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def model():
    return load_model_dir(EXAMPLE / "model")


def test_raw_file_is_the_untouched_source():
    data = RAW.read_bytes()
    assert hashlib.sha256(data).hexdigest() == RAW_SHA256
    if SHARED_RAW.exists():  # the shared copy is only on the development machine
        assert data == SHARED_RAW.read_bytes()


def test_model_loads_with_every_indicator(model):
    assert set(model.indicators) == set(COUNTS) | {
        "violent_crime_rate", "homicide_rate", "robbery_rate", "aggravated_assault_rate",
        "property_crime_rate", "imprisonment_rate"}
    for code in COUNTS:
        ind = model.indicators[code]
        assert ind.aggregation is Aggregation.SUM and ind.period_type == "year"
        # aggravated assaults are declared to move with violent crime (alerts: ratio shifts)
        related = {"related": ["violent_crime"]} if code == "aggravated_assault" else {}
        assert ind.attributes == {"integer": True, "min": 0, **related}
        assert ind.definition
        assert ind.source.startswith("Bureau of Justice" if code == "prisoner_count" else "FBI")
    rate = model.indicators["violent_crime_rate"]
    assert rate.aggregation is Aggregation.RATIO
    assert (rate.numerator, rate.denominator, rate.scale) == ("violent_crime", "population", 1e5)
    assert rate.kind is IndicatorKind.HEADLINE and rate.polarity is Polarity.DOWN
    assert model.indicators["homicide"].polarity is Polarity.DOWN


def test_hierarchy_state_division_region_nation(model, raw_rows):
    by_level = Counter(u.level for u in model.units.values())
    assert by_level == {"nation": 1, "region": 4, "division": 9, "state": 51}
    assert [u.code for u in model.roots()] == ["US"]
    states = {r["state"]: r for r in raw_rows if r["level"] == "state"}
    assert {u.code for u in model.units.values() if u.level == "state"} == set(states)
    assert "DC" in states and "MS" in states
    for code, r in states.items():
        division, region, nation = model.ancestors(code)
        assert (division.level, division.name) == ("division", r["division"])
        assert (region.level, region.name) == ("region", r["region"])
        assert nation.code == "US"
    for region in model.children("US"):
        assert region.level == "region"
        assert all(d.level == "division" for d in model.children(region.code))
    assert len(model.descendants("US")) == 4 + 9 + 51


def test_population_attribute_is_2019(model, raw_rows):
    pop2019 = {r["state"]: int(r["population"]) for r in raw_rows if r["year"] == "2019"}
    for code, unit in model.units.items():
        if unit.level == "state" or code == "US":
            assert unit.attributes["population"] == pop2019[code]
    # A division's figure is the sum of its states; in 2019 the FBI's nation equals their sum.
    assert model.units["D-NEW-ENGLAND"].attributes["population"] == sum(
        pop2019[s] for s in ("CT", "MA", "ME", "NH", "RI", "VT"))
    assert sum(pop2019[s] for s in pop2019 if s != "US") == pop2019["US"]


def test_observations_round_trip_the_raw_file(observations, raw_rows):
    assert list(observations[0]) == ["indicator", "unit", "period", "value"]
    expected = Counter()
    for r in raw_rows:
        for code in COUNTS:
            if r[code] != "":
                expected[(code, r["state"], r["year"], int(float(r[code])))] += 1
    written = Counter((o["indicator"], o["unit"], o["period"], int(o["value"]))
                      for o in observations)
    assert written == expected
    assert max(written.values()) == 1
    assert len(observations) == 22168
    # Integers as written by the FBI: no '76390.0' for the rape columns.
    assert all(o["value"].isdigit() for o in observations)
    # Only what is reported: no division or region rows, no rates.
    assert {o["unit"] for o in observations} == {r["state"] for r in raw_rows}
    assert {o["indicator"] for o in observations} == set(COUNTS)


def test_known_figures(observations):
    value = {(o["indicator"], o["unit"], o["period"]): o["value"] for o in observations}
    assert value[("violent_crime", "US", "1979")] == "1208030"
    assert value[("homicide", "US", "1979")] == "21460"
    assert value[("rape_legacy", "US", "1979")] == "76390"
    ms_years = {int(o["period"]) for o in observations if o["unit"] == "MS"}
    assert ms_years == set(range(1995, 2020))
    prisoner_years = {int(o["period"]) for o in observations if o["indicator"] == "prisoner_count"}
    assert prisoner_years == set(range(2001, 2017))
    assert not [o for o in observations if o["indicator"] == "prisoner_count" and o["unit"] == "US"]


def _violent_parts(r: dict[str, str], rape_column: str) -> int:
    return sum(int(float(r[c])) for c in ("homicide", rape_column, "robbery", "aggravated_assault"))


def test_violent_crime_identity(observations):
    """violent = homicide + rape + robbery + aggravated assault, in every state-year but four."""
    series: dict[tuple[str, int], dict[str, int]] = {}
    for o in observations:
        if o["unit"] != "US":
            series.setdefault((o["unit"], int(o["period"])), {})[o["indicator"]] = int(o["value"])
    violations = set()
    for (state, year), v in series.items():
        rape = v["rape_legacy"] if year <= 2012 else v["rape_revised"]
        if v["homicide"] + rape + v["robbery"] + v["aggravated_assault"] != v["violent_crime"]:
            violations.add((state, year))
    assert len(series) == 51 * 41 - 16  # Mississippi's 16 missing years
    assert violations == IDENTITY_VIOLATIONS
    readme = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    for state, year in IDENTITY_VIOLATIONS:
        assert f"| {state} | {year} |" in readme


def test_national_row_is_the_fbi_estimate_not_the_sum(raw_rows):
    national = {int(r["year"]): r for r in raw_rows if r["level"] == "national"}
    ratios = {}
    for year, nat in national.items():
        states = [r for r in raw_rows if r["level"] == "state" and int(r["year"]) == year]
        ratios[year] = sum(int(r["violent_crime"]) for r in states) / int(nat["violent_crime"])
    assert (round(min(ratios.values()), 3), round(max(ratios.values()), 3)) == (0.993, 1.030)
    assert ratios[1979] != 1
    # The national row keeps the legacy rape definition in violent crime for 2013-2015.
    for year in (2013, 2014, 2015):
        r = national[year]
        assert int(r["violent_crime"]) == _violent_parts(r, "rape_legacy")
        assert int(r["violent_crime"]) != _violent_parts(r, "rape_revised")
    assert int(national[2016]["violent_crime"]) == _violent_parts(national[2016], "rape_revised")


def test_priority_baseline_and_target_from_the_sum_of_the_states(model, raw_rows):
    p = model.priorities["cut-violent-crime"]
    assert (p.headline, p.scope) == ("violent_crime_rate", "US")
    states = [r for r in raw_rows if r["level"] == "state" and r["year"] == "2014"]
    crimes = sum(int(r["violent_crime"]) for r in states)
    people = sum(int(r["population"]) for r in states)
    assert len(states) == 51
    assert round(1e5 * crimes / people, 1) == 372.0
    assert (p.baseline.period, p.baseline.value) == ("2014", 372.0)
    assert (p.target.period, p.target.value) == ("2019", 334.8)  # 10% lower: 334.80
    assert p.attributes["trajectory"] == {"method": "linear"}
    for code in p.leads + p.counters:
        assert code in model.indicators
    assert model.indicators[p.counters[0]].numerator == "prisoner_count"


def test_prepare_regenerates_the_committed_files(tmp_path):
    result = subprocess.run(
        [sys.executable, str(EXAMPLE / "prepare.py"), "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    for name in GENERATED:
        assert (tmp_path / name).read_bytes() == (EXAMPLE / name).read_bytes(), name


def _load_prepare():
    spec = importlib.util.spec_from_file_location("us_crime_prepare", EXAMPLE / "prepare.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_prepare_refuses_a_count_that_is_not_whole(tmp_path):
    lines = RAW.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[1].startswith("US,United States,national,,,1979,220099000,1208030,21460,76390.0")
    lines[1] = lines[1].replace("76390.0", "76390.5", 1)
    bad = tmp_path / "bad.csv"
    bad.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 2, column rape_legacy: '76390.5'"):
        _load_prepare().prepare(bad, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # nothing half-written
