"""The findings keep their English words for the CLI and the JSON (issue #18 translates them
on French web pages only): `stocktake submit`, table and --json, says each as it always
has, written out here by hand; and each message also keeps its template and values."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.errors import Text
from stocktake.intake.findings import Finding, SubmissionError
from stocktake.store.db import utcnow
from stocktake.text import Number

runner = CliRunner()

BAD = ("indicator,unit,period,value\n"
       "incidnts,A1,2024-07,5\n"
       "incidents,Z9,2024-07,5\n"
       "incidents,A1,2024-13,5\n"
       'incidents,A2,2024-07,"1,5"\n'
       "incidents,B1,2024-07,\n"
       "population,A1,2024-07,3000\n"
       "incidents,A1,2024-07,2.5\n"
       "incidents,A1,2024-07,7\n"
       "incidents,B1,2099-01,4\n")


def english(today: str) -> list[tuple[int, str | None, str, str]]:
    return [
        (2, "indicator", "unknown_indicator",
         "'incidnts' is not a known indicator code (did you mean 'incidents'?)"),
        (3, "unit", "unknown_unit", "'Z9' is not a known reporting unit code"),
        (4, "period", "period", "'2024-13': month 13 is not between 01 and 12"),
        (5, "value", "value_type",
         "'1,5' is not a number: write it without thousands separators (e.g. 1234.5)"),
        (6, "value", "missing_value",
         "the value is empty: leave the row out if there is no figure"),
        (7, "value", "above_max", "3000 is above the highest value population can take "
         "(2500.5)"),
        (8, "value", "not_integer", "2.5 is not a whole number, but incidents counts incidents"),
        (9, None, "duplicate_key", "incidents for A1 in 2024-07 already appears on row 8"),
        (10, "period", "future_period", f"2099-01 has not started yet (today is {today})"),
    ]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the words are under test
def test_stocktake_submit_says_the_findings_in_english_as_ever(db_url, small_model_dir,
                                                                tmp_path):
    indicators = small_model_dir / "indicators.yaml"
    indicators.write_text(indicators.read_text().replace(
        "  unit: people\n", "  unit: people\n  max: 2500.5\n"))
    assert runner.invoke(app, ["load", str(small_model_dir), "--db", db_url]).exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD)
    out = runner.invoke(app, ["submit", str(bad), "--db", db_url, "--json"])
    assert out.exit_code == 1
    findings = json.loads(out.stdout)["findings"]
    expected = english(utcnow().date().isoformat())
    assert [(f["row"], f["column"], f["check"], f["message"]) for f in findings] == expected
    table = runner.invoke(app, ["submit", str(bad), "--db", db_url], env={"COLUMNS": "300"})
    assert table.exit_code == 1
    assert table.output.startswith("\nRejected bad.csv: 9 error(s) in 9 row(s); nothing was "
                                   "stored. Fix them and submit the whole file again.\n")
    for row, _column, check, message in expected:
        line = next(x for x in table.output.splitlines() if x.startswith(f"│ {row} "))
        assert check in line and line.rstrip(" │").endswith(message)


def test_a_text_is_its_english_and_keeps_its_template_and_values():
    text = Text("%(value)s is above the highest value %(indicator)s can take (%(max)s)",
                value="3000", indicator="population", max=Number(2500.5, "2500.5"))
    assert text == "3000 is above the highest value population can take (2500.5)"
    assert text.values["max"].value == 2500.5
    # a file that cannot be read: each finding a problem at its row and column, in English
    error = SubmissionError([Finding(1, "value", None, "header", "error", text)])
    assert str(error.problems[0]) == ("row 1, column 'value': 3000 is above the highest value "
                                      "population can take (2500.5) [header]")
    assert isinstance(error.problems[0].message, Text)  # for a page to say again
