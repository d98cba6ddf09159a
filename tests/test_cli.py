"""The CLI end to end on real databases: load, submit, list, export, history."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.errors import NotFound

EXAMPLE = Path(__file__).parents[1] / "examples" / "us_crime"
runner = CliRunner()


def run(*args: str, ok: bool = True):
    result = runner.invoke(app, [str(a) for a in args])
    if ok and result.exit_code != 0:
        raise AssertionError(f"exit {result.exit_code}: {result.output}\n{result.exception!r}")
    return result


def test_load_reports_every_problem_and_exits_2(db_url, small_model_dir):
    (small_model_dir / "units.csv").write_text(
        (small_model_dir / "units.csv").read_text() + "Q,Quebec,province,NN,\n")
    result = run("load", small_model_dir, "--db", db_url, "--json", ok=False)
    assert result.exit_code == 2  # invalid input (errors.Invalid), as docs/guide.md says
    out = json.loads(result.stdout)
    assert out["loaded"] is False
    assert out["problems"] == [{"file": "units.csv", "line": 8, "field": "parent",
                                "message": "'NN' is not a unit code (did you mean 'N'?)"}]
    listed = json.loads(run("units", "--db", db_url, "--json").stdout)
    assert listed == []  # nothing was loaded


@pytest.mark.slow
def test_submit_list_export_history(db_url, small_model_dir, tmp_path):
    run("load", small_model_dir, "--db", db_url)
    data = tmp_path / "march.csv"
    data.write_text("indicator,unit,period,value\n"
                    + "".join(f"incidents,{u},2024-01,{n}\npopulation,{u},2024-01,{p}\n"
                              for u, n, p in [("A1", 30, 350000), ("A2", 25, 250000),
                                              ("B1", 45, 400000)]))
    out = json.loads(run("submit", data, "--db", db_url, "--json", "--submitter", "Prov A")
                     .stdout)
    assert (out["accepted"], out["rows"], out["added"], out["findings"]) == (True, 6, 6, [])

    overview = json.loads(run("priorities", "--db", db_url, "--json").stdout)
    p1 = overview["priorities"][0]
    # (30 + 25 + 45) incidents / 1,000,000 people x 100,000 = 10.0 per 100,000.
    assert p1["latest"] == {"period": "2024-01", "value": 10.0, "coverage": 1.0, "complete": True}
    assert p1["baseline"] == {"period": "2024-01", "value": 10.0}

    revised = tmp_path / "revision.csv"
    revised.write_text("indicator,unit,period,value\nincidents,B1,2024-01,55\n")
    run("submit", revised, "--db", db_url, "--reason", "late crimes added")
    hist = json.loads(run("history", "incidents", "B1", "2024-01", "--db", db_url, "--json")
                      .stdout)
    assert [v["value"] for v in hist["vintages"]] == [45.0, 55.0]
    assert hist["vintages"][1]["reason"] == "late crimes added"

    first_time = hist["vintages"][0]["recorded_at"]
    old = tmp_path / "old.csv"
    run("export", "--out", old, "--as-of", first_time, "--db", db_url)
    assert "incidents,B1,2024-01,45\n" in old.read_text()
    new = tmp_path / "new.csv"
    run("export", "--out", new, "--db", db_url)
    assert "incidents,B1,2024-01,55\n" in new.read_text()
    assert json.loads(run("priorities", "--db", db_url, "--json", "--as-of", first_time)
                      .stdout)["priorities"][0]["latest"]["value"] == 10.0


def test_submit_with_errors_exits_1_and_lists_findings(db_url, small_model_dir, tmp_path):
    run("load", small_model_dir, "--db", db_url)
    bad = tmp_path / "bad.csv"
    bad.write_text("indicator,unit,period,value\nincidnts,A1,2024-01,3\nincidents,A1,Jan 24,3\n")
    result = run("submit", bad, "--db", db_url, "--json", ok=False)
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert out["accepted"] is False and out["batch"] is None
    assert [(f["row"], f["column"], f["check"], f["severity"]) for f in out["findings"]] == [
        (2, "indicator", "unknown_indicator", "error"), (3, "period", "period", "error")]
    assert "did you mean 'incidents'" in out["findings"][0]["message"]
    text = run("submit", bad, "--db", db_url, ok=False)
    assert "nothing was stored" in text.output


@pytest.mark.parametrize("bad_as_of", ["yesterday", "2024-13-01"])
def test_bad_as_of_is_explained_and_touches_nothing(bad_as_of, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("STOCKTAKE_DATABASE_URL", raising=False)
    result = run("priorities", "--as-of", bad_as_of, ok=False)
    assert result.exit_code == 2 and "is not a date or timestamp" in result.output
    assert list(tmp_path.iterdir()) == []  # no database was created


@pytest.mark.slow
def test_us_crime_example_in_a_few_commands(db_url):
    run("load", EXAMPLE / "model", "--db", db_url)
    out = json.loads(run("submit", EXAMPLE / "data" / "observations.csv", "--db", db_url,
                         "--json").stdout)
    assert out["accepted"] and out["added"] == 22168
    overview = json.loads(run("priorities", "--db", db_url, "--json").stdout)
    p = overview["priorities"][0]
    assert p["baseline"] == {"period": "2014", "value": 372.0}
    # 2019: the sum of the 51 states' violent crime over their population, per 100,000.
    rows = [line.split(",") for line in
            (EXAMPLE / "data" / "observations.csv").read_text().splitlines()[1:]]
    crimes = sum(float(v) for i, u, y, v in rows
                 if i == "violent_crime" and y == "2019" and u != "US")
    people = sum(float(v) for i, u, y, v in rows
                 if i == "population" and y == "2019" and u != "US")
    assert p["latest"]["period"] == "2019"
    assert p["latest"]["value"] == pytest.approx(1e5 * crimes / people)


def _twelve_months(tmp_path):
    lines = ["indicator,unit,period,value"]
    for m in range(1, 13):
        for u, base, pop in (("A1", 30, 350000), ("A2", 25, 250000), ("B1", 45, 400000)):
            lines += [f"incidents,{u},2024-{m:02d},{base + (m % 3)}",
                      f"population,{u},2024-{m:02d},{pop}"]
    path = tmp_path / "year.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.slow
def test_reading_commands(db_url, small_model_dir, tmp_path):
    run("load", small_model_dir, "--db", db_url)
    run("submit", _twelve_months(tmp_path), "--db", db_url)
    series = json.loads(run("series", "incident_rate", "--unit", "N", "--db", db_url,
                            "--json").stdout)
    # 2024-03: (30 + 25 + 45) incidents (m % 3 == 0) / 1,000,000 x 100,000 = 10.0
    march = next(p for p in series["points"] if p["period"] == "2024-03")
    assert march["value"] == pytest.approx(10.0) and march["coverage"] == 1.0
    chart = json.loads(run("spc", "incident_rate", "--unit", "N", "--db", db_url,
                           "--json").stdout)
    assert len(chart["points"]) == 12 and chart["variation_icon"]
    assert set(chart["points"][0]) >= {"period", "value", "mean", "lower", "upper",
                                       "near_lower", "near_upper", "rule", "point_type"}
    funnel = json.loads(run("compare", "incident_rate", "--period", "2024-03", "--level",
                            "region", "--db", db_url, "--json").stdout)
    assert funnel["overall"] == pytest.approx(10.0)
    assert sorted(u["unit"] for u in funnel["units"]) == ["A1", "A2", "B1"]
    state = json.loads(run("status", "--db", db_url, "--json", "--forecasts", "none")
                       .stdout)
    p1 = state["priorities"][0]
    # 2024-12: (30 + 25 + 45) / 1,000,000 x 100,000 = 10.0 (12 % 3 == 0)
    assert p1["latest"]["period"] == "2024-12" and p1["latest"]["value"] == pytest.approx(10.0)
    table = run("status", "--db", db_url, "--forecasts", "none").stdout
    assert "Status of the priorities" in table and "Data as of" in table
    # A unit row's "-" for its forecast is explained: it was not asked for.
    assert "Units' forecasts are not computed: --forecasts none" in " ".join(table.split())
    table = " ".join(run("status", "--db", db_url, "--forecasts", "all").stdout.split())
    assert "Units' forecasts are not computed" not in table
    assert "Status of the priorities" in table
    traj = json.loads(run("trajectory", "P1", "--db", db_url, "--json").stdout)
    # Linear from 10.0 (2024-01) to 8.0 (2025-12): 23 steps, so 2024-12 expects 10 - 2 x 11/23.
    dec = next(r for r in traj["readings"] if r["period"] == "2024-12")
    assert dec["expected"] == pytest.approx(10 - 2 * 11 / 23)
    bad = run("spc", "incidnt_rate", "--unit", "N", "--db", db_url, ok=False)
    assert bad.exit_code == NotFound.exit_code and "incident_rate" in bad.output


@pytest.mark.slow
def test_template_filled_in_submits_as_it_is(db_url, small_model_dir, tmp_path):
    from openpyxl import load_workbook

    run("load", small_model_dir, "--db", db_url)
    form = tmp_path / "a1.xlsx"
    out = run("template", "--unit", "A1", "--period", "2024-05", "--out", form, "--db",
              db_url).stdout
    assert "to fill for A1, 2024-05" in out
    book = load_workbook(form)
    sheet = book["Data"]
    header = next(r for r in sheet.iter_rows() if [c.value for c in r][:4] == [
        "indicator", "unit", "period", "value"])
    filled = {}
    for row in sheet.iter_rows(min_row=header[0].row + 1):
        code = row[0].value
        if code in ("incidents", "population") and row[1].value == "A1":
            row[3].value = filled[code] = {"incidents": 31, "population": 350000}[code]
    book.save(form)
    result = json.loads(run("submit", form, "--unit", "A1", "--db", db_url, "--json").stdout)
    assert result["accepted"] and result["format"] == "xlsx" and result["added"] == 2
    exported = tmp_path / "out.csv"
    run("export", "--out", exported, "--db", db_url)
    assert exported.read_text().splitlines()[1:] == [
        "incidents,A1,2024-05,31", "population,A1,2024-05,350000"]
    bad = run("template", "--unit", "A9", "--period", "2024-05", "--out", form, "--db", db_url,
              ok=False)
    assert bad.exit_code == NotFound.exit_code
    assert "'A9' is not a reporting unit" in bad.output


@pytest.mark.parametrize("width", [40, 60, 200])
def test_a_table_too_wide_for_the_terminal_becomes_records_and_nothing_is_cut(
        width, monkeypatch, capsys):
    from rich.table import Table

    from stocktake.cli.common import console, show

    monkeypatch.setattr(console, "_width", width)
    table = Table(title="Submission batches", caption="newest first")
    for header in ("batch", "submitter", "source", "status", "warnings"):
        table.add_column(header)
    table.add_row("517", "Northwest Territories delivery office data team",
                  "monthly return", "accepted", "1")
    table.add_row("516", "Statistics office (simulated)", "annual release", "partial", "")
    show(table)
    out = capsys.readouterr().out
    assert "…" not in out and max(len(line) for line in out.splitlines()) <= width
    # Its longest words and borders need 55 columns: below that, a record per row.
    records = width < 55
    assert ("┏" in out) is not records
    if records:
        assert "submitter  Northwest Territories" in out  # the value wraps in its column
        assert "warnings   1" in out and out.count("warnings") == 1  # an empty cell: no line
        assert out.index("Submission batches") < out.index("517") < out.index("516") < (
            out.index("newest first"))
    elif width == 200:
        assert "Northwest Territories delivery office data team" in out
