"""The US crime example loaded as the guide says, its history submitted with --backfill:
the states are scored on what they really did. Every expected figure is computed here from
the example's CSV files with the csv module, not read back from the quality service."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stocktake.cli import app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "us_crime"
PARTS = ("homicide", "robbery", "aggravated_assault")


def _csv(name: str) -> list[dict[str, str]]:
    with (EXAMPLE / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('us') / 'us_crime.db'}"
    _run("load", str(EXAMPLE / "model"), "--db", url)
    submitted = json.loads(_run("submit", str(EXAMPLE / "data" / "observations.csv"),
                                "--backfill", "--published", "2020-09-28", "--db", url,
                                "--json"))
    quality = json.loads(_run("quality", "--db", url, "--json"))
    return submitted, {u["unit"]: u for u in quality["units"]}


def _expected_by_state() -> dict[str, dict[str, float]]:
    """Per state: values expected (each indicator from the state's first year with it to
    the last year any unit reported it), received, rule checks made and failed, outliers
    flagged when submitted (none are expected in this file: see the test)."""
    rows = _csv("data/observations.csv")
    states = {u["code"] for u in _csv("model/units.csv") if u["level"] == "state"}
    years: dict[tuple[str, str], set[int]] = defaultdict(set)
    last: dict[str, int] = {}
    for r in rows:
        year = int(r["period"])
        years[(r["unit"], r["indicator"])].add(year)
        last[r["indicator"]] = max(last.get(r["indicator"], year), year)
    value = {(r["unit"], r["indicator"], int(r["period"])): float(r["value"]) for r in rows}
    out = {}
    for state in states:
        expected = received = checks = failed = 0
        for (unit, indicator), have in years.items():
            if unit == state:
                expected += last[indicator] - min(have) + 1
                received += len(have)
        # The two rules: violent crime = its four offences, legacy rape to 2012 and revised
        # rape from 2013; a check where the rule's indicators have a value that year.
        for rape, span in (("rape_legacy", range(1979, 2013)), ("rape_revised",
                                                                 range(2013, 2020))):
            codes = ("violent_crime", rape, *PARTS)
            for year in span:
                if any((state, c, year) in value for c in codes):
                    checks += 1
                    left = value[(state, "violent_crime", year)]
                    if left != sum(value[(state, c, year)] for c in (rape, *PARTS)):
                        failed += 1
        out[state] = {"expected": expected, "received": received, "checks": checks,
                      "failed": failed}
    return out


@pytest.mark.slow  # 22,168 rows submitted and scored: some 20 seconds
def test_the_states_are_scored_on_what_they_did_not_on_when_it_was_loaded(loaded):
    submitted, units = loaded
    assert submitted["accepted"] and submitted["backfill"] is True
    assert submitted["published"] == "2020-09-28"
    # No value was flagged as an outlier when submitted (the findings are the four rule
    # breaches of the states and four of the national row), so that measure is 1 for all.
    assert not [f for f in submitted["findings"] if f["check"].startswith("outlier")]
    expected = _expected_by_state()
    assert len(expected) == 51
    assert expected["MS"]["expected"] < expected["AL"]["expected"]  # reports from 1995 only
    for state, e in expected.items():
        u = units[state]
        assert (u["expected"], u["received"]) == (e["expected"], e["received"]), state
        assert (u["rule_checks"], u["rule_failures"]) == (e["checks"], e["failed"]), state
        # no data set declares a deadline: no value is judged on time or late
        assert u["timeliness"] is None and u["not_assessed"] == u["expected"], state
        completeness = e["received"] / e["expected"]
        validity = 1 - e["failed"] / e["checks"]
        # 100 x (0.30 completeness + 0.20 validity + 0.10 + 0.15) / 0.75: one batch, so
        # nothing revised; no outliers; timeliness not assessed.
        score = 100 * (0.30 * completeness + 0.20 * validity + 0.10 + 0.15) / 0.75
        assert u["score"] == pytest.approx(score), state
    # The four breaches of the identity (README), each a state's only failure.
    assert {s for s, e in expected.items() if e["failed"]} == {"HI", "NH", "RI", "WA"}
    assert units["HI"]["score"] == pytest.approx(100 * (0.30 + 0.20 * 40 / 41 + 0.25) / 0.75)


@pytest.mark.slow
def test_the_table_says_not_assessed(tmp_path, monkeypatch):
    from stocktake.cli.common import console

    monkeypatch.setattr(console, "_width", 140)
    url = f"sqlite:///{tmp_path / 'small.db'}"
    _run("load", str(EXAMPLE / "model"), "--db", url)
    part = tmp_path / "vt.csv"
    lines = [r for r in _csv("data/observations.csv") if r["unit"] == "VT"]
    part.write_text("indicator,unit,period,value\n" + "".join(
        f"{r['indicator']},{r['unit']},{r['period']},{r['value']}\n" for r in lines))
    out = _run("submit", str(part), "--backfill", "--db", url)
    assert "history loaded after the fact" in out
    table = _run("quality", "--db", url)
    [vermont] = [line for line in table.splitlines() if "VT Vermont" in line]
    assert "not assessed" in vermont and "100.0" in vermont, table
    assert "Timeliness is not assessed: no data set declares a deadline" in table
