"""Input that must never crash, hang or load when it should not (issue 15, items 8-14).

Each test writes real files, uses a real SQLite (and PostgreSQL, when given) database and
the real CLI, and checks both the answer (a clear error saying what and where) and that
nothing was stored on a rejection."""

from __future__ import annotations

import io
import json
import time
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.intake import formats
from stocktake.intake.findings import SubmissionError
from stocktake.intake.formats import read_submission
from stocktake.intake.service import submit_file
from stocktake.services.data.model_service import load_model
from stocktake.store import schema

T0 = datetime(2025, 6, 1, 9, 0)
# Times are CPU seconds (time.process_time, all threads): the machines that run the tests
# are shared, and a busy neighbour stretches wall time, not the work done.
HEADER = "indicator,unit,period,value\n"
runner = CliRunner()


@pytest.fixture
def loaded(engine, small_model_dir):
    load_model(engine, small_model_dir, loaded_by="t", now=T0 - timedelta(days=1))
    return engine


def counts(engine) -> tuple[int, int, int]:
    """Observations, batches and quarantined rows stored."""
    with engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar()
                     for t in (schema.observations, schema.batches, schema.quarantine))


def submit(engine, path: Path, **options):
    return submit_file(engine, path, submitter="t", now=T0, **options)


def checks(result) -> list[str]:
    return [f.check for f in result.errors]


# -- 8: every row quarantined -------------------------------------------------------------
def test_a_partial_submission_whose_every_row_has_an_error_is_not_accepted(loaded, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "incidents,ZZ,2024-01,3\npopulation,A1,2024-01,x\n")
    result = submit(loaded, path, partial=True)
    assert not result.accepted
    assert result.batch is None and result.quarantined == 0
    assert sorted(checks(result)) == ["unknown_unit", "value_type"]
    assert counts(loaded) == (0, 0, 0)


def test_a_partial_submission_with_one_good_row_is_still_accepted(loaded, tmp_path):
    path = tmp_path / "half.csv"
    path.write_text(HEADER + "incidents,ZZ,2024-01,3\nincidents,A1,2024-01,4\n")
    result = submit(loaded, path, partial=True)
    assert result.accepted and result.quarantined == 1
    assert counts(loaded) == (1, 1, 1)


# -- 9: a worksheet that declares a smaller used range than it holds ---------------------
def test_every_row_of_a_sheet_is_read_whatever_its_declared_range(loaded, tmp_path):
    path = tmp_path / "short.xlsx"
    # 12 rows, one per month of 2024, declared as holding only A1:B5.
    path.write_bytes(_with_sheet(_workbook(12), lambda xml: xml.replace(
        b'<dimension ref="A1:D13"', b'<dimension ref="A1:B5"')))
    sub = read_submission(path.read_bytes(), path.name)
    assert sub.rows["period"].to_list() == [f"2024-{m:02d}" for m in range(1, 13)]
    assert sub.rows["value"].to_list() == [str(n) for n in range(12)]
    result = submit(loaded, path)
    assert result.accepted and result.added == 12


# -- 10: a large CSV whose first slice has no usable line end ---------------------------
@pytest.mark.slow
def test_a_large_csv_with_a_stray_quote_early_is_refused_quickly(loaded, tmp_path):
    path = tmp_path / "big.csv"
    with path.open("wb") as f:  # over 32 MB: read slice by slice
        f.write(b'indicator,unit,period,value\nincidents,A1,"2024-01,3\n')
        f.write(b"incidents,A1,2024-01,3\n" * 1_500_000)
    start = time.process_time()
    result = submit(loaded, path)
    took = time.process_time() - start
    assert not result.accepted
    [finding] = result.errors
    assert (finding.check, finding.row) == ("malformed_csv", 2)
    assert "never closed" in finding.message
    assert took < 30  # it ran for minutes
    assert counts(loaded) == (0, 0, 0)


def test_a_line_longer_than_a_record_may_be_is_refused_with_its_line(loaded, tmp_path,
                                                                     monkeypatch):
    # Small slices and a small limit stand for 32 MB and 16 MB: the same code paths.
    monkeypatch.setattr(formats, "SLICE_ROWS", 4)
    monkeypatch.setattr(formats, "MAX_RECORD_BYTES", 1 << 20)
    path = tmp_path / "long.csv"
    path.write_bytes(HEADER.encode() + b"incidents,A1,2024-01,3\n" * 10
                     + b"incidents,A1,2024-02," + b"9" * 5_000_000 + b"\n")
    start = time.process_time()
    result = submit(loaded, path)
    took = time.process_time() - start
    [finding] = result.errors
    assert (finding.check, finding.row) == ("malformed_csv", 12)
    assert "line 12 is longer than 1 MB" in finding.message
    assert took < 30
    assert counts(loaded) == (0, 0, 0)


# -- 11: tracebacks instead of a clear finding -------------------------------------------
def _finding(data: bytes, name: str):
    with pytest.raises(SubmissionError) as caught:
        read_submission(data, name)
    return caught.value.findings


def test_json_nested_a_thousand_deep_is_a_clear_error():
    [finding] = _finding(b"[" * 100_000 + b"]" * 100_000, "deep.json")
    assert finding.check == "json" and "nested" in finding.message


def test_a_lone_surrogate_in_json_is_named_with_its_item(loaded, tmp_path):
    path = tmp_path / "s.json"
    path.write_text('[{"indicator": "incidents", "unit": "A1", "period": "2024-01", '
                    '"value": 3}, {"indicator": "incidents", "unit": "A\\ud800", '
                    '"period": "2024-02", "value": 3}]')
    result = submit(loaded, path)
    assert not result.accepted
    [finding] = result.errors
    assert (finding.check, finding.row, finding.column) == ("json_item", 2, "unit")
    assert "surrogate" in finding.message
    assert counts(loaded) == (0, 0, 0)


def _workbook(rows: int = 200) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["indicator", "unit", "period", "value"])
    for n in range(rows):
        ws.append(["incidents", "A1", f"2024-{n % 12 + 1:02d}", n])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _with_sheet(data: bytes, change) -> bytes:
    """The workbook with ``change`` applied to its first sheet's XML."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            body = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = change(body)
            zout.writestr(item, body)
    return out.getvalue()


def _cut_in_half(xml: bytes) -> bytes:
    return xml[:len(xml) // 2]


def _external_entity(xml: bytes) -> bytes:
    """A DTD declaring an external entity, used in a cell far down the sheet."""
    head, rest = xml.split(b"<worksheet", 1)
    dtd = b'<!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    cell = b"<v>150</v>"
    return head + dtd + b"<worksheet" + rest.replace(cell, b"<v>&x;</v>")


@pytest.mark.parametrize("change", [_cut_in_half, _external_entity], ids=["damaged", "dtd"])
def test_a_damaged_worksheet_or_one_with_a_dtd_is_a_clear_error(loaded, tmp_path, change):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(_with_sheet(_workbook(), change))
    result = submit(loaded, path)
    assert not result.accepted
    [finding] = result.errors
    assert finding.check == "workbook" and "bad.xlsx" in finding.message
    assert counts(loaded) == (0, 0, 0)


@pytest.mark.parametrize("period", ["9999-12", "9999", "9999-Q4", "9999-12-31", "9999-W52"])
def test_the_last_period_of_the_year_9999_is_a_finding_not_a_crash(loaded, tmp_path, period):
    path = tmp_path / "far.csv"
    path.write_text(HEADER + f"incidents,A1,{period},3\n")
    result = submit(loaded, path)
    assert not result.accepted
    assert {f.check for f in result.errors} <= {"future_period", "period"}
    assert result.errors
    assert counts(loaded) == (0, 0, 0)


@pytest.mark.slow
def test_findings_with_markup_are_printed_as_written(engine, small_model_dir, tmp_path):
    url = str(engine.url)
    runner.invoke(app, ["load", str(small_model_dir), "--db", url])
    path = tmp_path / "markup.csv"
    path.write_text(HEADER + "incidents,[/],2024-01,3\nincidents,[bold]x[/bold],2024-01,3\n")
    result = runner.invoke(app, ["submit", str(path), "--db", url])
    assert result.exit_code == 1, result.output
    cells = [c.strip() for line in result.output.splitlines() for c in line.split("│")]
    assert "[/]" in cells and "[bold]x[/bold]" in cells, cells  # as written, not markup
    assert "internal error" not in result.output


# -- 13: slow rejections ------------------------------------------------------------------
@pytest.mark.slow
def test_two_hundred_thousand_unknown_unit_codes_are_rejected_in_seconds(
        engine, small_model_dir, tmp_path):
    units = small_model_dir / "units.csv"  # 500 more units: a hint is looked up among them
    units.write_text(units.read_text() + "".join(f"R{n:04d},Region {n},region,B,1\n"
                                                 for n in range(500)))
    load_model(engine, small_model_dir, loaded_by="t", now=T0 - timedelta(days=1))
    loaded = engine
    path = tmp_path / "codes.csv"
    path.write_text(HEADER + "".join(f"incidents,U{n},2024-01,3\n" for n in range(200_000)))
    start = time.process_time()
    result = submit(loaded, path)
    took = time.process_time() - start
    assert not result.accepted
    assert len(result.errors) == 200_000  # every row is named (quarantine needs them)
    assert result.errors[0].message == "'U0' is not a known reporting unit code"
    assert took < 20  # it took 100 s
    assert counts(loaded) == (0, 0, 0)


@pytest.mark.slow
def test_a_five_megabyte_code_is_cut_short_in_messages(engine, small_model_dir, tmp_path):
    url = str(engine.url)
    runner.invoke(app, ["load", str(small_model_dir), "--db", url])
    path = tmp_path / "long.csv"
    code = "Z" * 5_000_000
    path.write_text(HEADER + f"incidents,{code},2024-01,3\n")
    start = time.process_time()
    result = runner.invoke(app, ["submit", str(path), "--db", url])
    took = time.process_time() - start
    assert result.exit_code == 1
    assert len(result.output) < 5_000 and "(5,000,000" in result.output
    assert took < 30  # it took 63 s
    out = runner.invoke(app, ["submit", str(path), "--db", url, "--json"]).stdout
    [finding] = json.loads(out)["findings"]
    assert finding["message"] == ("'" + "Z" * 59 + "… (5,000,000 characters)' is not a "
                                  "known reporting unit code")
    assert finding["value"] == code  # the value itself stays as written


@pytest.mark.slow
def test_the_units_table_of_a_hierarchy_5000_deep_prints_in_seconds(small_model_dir, capsys):
    from stocktake.cli.model import render_units
    from stocktake.model.files import load_model_dir

    lines = ["code,name,level,parent", "N,Nation,nation,", "A,Province A,province,N",
             "B,Province B,province,N", "A1,Region A1,region,A", "A2,Region A2,region,A",
             "B1,Region B1,region,B"]
    lines += [f"D{n},Deep {n},deep,{'B1' if n == 0 else f'D{n - 1}'}" for n in range(5000)]
    (small_model_dir / "units.csv").write_text("\n".join(lines) + "\n")
    start = time.process_time()
    model = load_model_dir(small_model_dir)
    render_units(model)
    took = time.process_time() - start
    out = capsys.readouterr().out
    assert took < 60  # it ran for over 3 minutes
    assert "│     A1 " in out  # two levels down: indented as before
    assert "(5002)" in out  # deeper than MAX_INDENT: its depth shown instead
    assert model.depths()["D4999"] == 5002 == model.depth("D4999")


def test_a_json_field_given_twice_is_refused_with_its_item(loaded, tmp_path):
    path = tmp_path / "twice.json"
    path.write_text('[{"indicator": "incidents", "unit": "A1", "period": "2024-01", '
                    '"value": 3}, {"indicator": "incidents", "unit": "A1", "unit": "A2", '
                    '"period": "2024-02", "value": 3}]')
    result = submit(loaded, path)
    assert not result.accepted
    [finding] = result.errors
    assert (finding.row, finding.column, finding.check) == (2, "unit", "json_item")
    assert finding.message == "item 2 gives 'unit' twice: give each field once"
    assert counts(loaded) == (0, 0, 0)


# -- 11 and 12: model files that crash the load, or load but should not ----------------
def load_json(url: str, directory: Path, *more: str):
    result = runner.invoke(app, ["load", str(directory), "--db", url, "--json", *more])
    return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else None


def model_state(engine) -> list:
    """Units, indicators and priorities (code, active), and how many changes are recorded."""
    with engine.connect() as conn:
        return [conn.execute(select(t.c.code, t.c.active).order_by(t.c.code)).all()
                for t in (schema.units, schema.indicators, schema.priorities)] + [
            conn.execute(select(func.count()).select_from(schema.model_changes)).scalar()]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


RULE = "- code: r\n  name: r\n  left: {left}\n  operator: '<='\n  right: population\n"


@pytest.mark.slow
@pytest.mark.parametrize("change, where, fragment", [
    (lambda d: (d / "rules.yaml").write_text(RULE.format(left="(" * 3000 + "incidents"
                                                         + ")" * 3000)),
     ("rules.yaml", 3, "left"), "is too long: 6,001 codes, numbers and operators"),
    (lambda d: (d / "rules.yaml").write_text(RULE.format(left="(" * 60 + "incidents"
                                                         + ")" * 60)),
     ("rules.yaml", 3, "left"), "nested more than 50 deep"),
    (lambda d: (d / "rules.yaml").write_text(RULE.format(left="+".join(["incidents"] * 3000))),
     ("rules.yaml", 3, "left"), "is too long"),
    (lambda d: (d / "rules.yaml").write_text("- code: r\n  name: " + "[" * 3000
                                             + "]" * 3000 + "\n"),
     ("rules.yaml", None, None), "nested too deeply"),
    (lambda d: ((d / "units.csv").unlink(), (d / "units.csv").mkdir()),
     ("units.csv", None, None), "is a folder"),
    (lambda d: _edit(d / "indicators.yaml", "  min: 0\n", "  min: .nan\n"),
     ("indicators.yaml", 11, "min"), "'nan' must be a finite number"),
    (lambda d: _edit(d / "indicators.yaml", "  min: 0\n", "  min: 0\n  max: .inf\n"),
     ("indicators.yaml", 12, "max"), "'inf' must be a finite number"),
    (lambda d: _edit(d / "units.csv", "A2,Region", "A\x002,Region"),
     ("units.csv", 6, None), "NUL character"),
    (lambda d: _edit(d / "indicators.yaml", "code: population", "code: \"pop\\tulation\""),
     ("indicators.yaml", 12, "code"), "cannot be printed"),
    (lambda d: _edit(d / "units.csv", "B1,Region", "B" * 65 + ",Region"),
     ("units.csv", 7, "code"), "65 characters long: at most 64"),
    (lambda d: _edit(d / "indicators.yaml", "  min: 0\n", "  min: 0\n  min: 5\n"),
     ("indicators.yaml", 12, None), "'min' is given twice in the same mapping (lines 11 and 12)"),
    (lambda d: _edit(d / "indicators.yaml", "  definition: Violent incidents recorded by "
                     "police in the month.", "  definition: [a, b]"),
     ("indicators.yaml", 4, "definition"), "must be text, not a list"),
], ids=["parentheses", "nesting", "long-sum", "yaml-nesting", "folder", "nan", "inf", "nul",
        "tab-code", "long-code", "duplicate-key", "list-definition"])
def test_model_files_that_must_not_load(engine, small_model_dir, change, where, fragment):
    url = str(engine.url)
    change(small_model_dir)
    code, out = load_json(url, small_model_dir)
    assert code == 2 and out["loaded"] is False
    [problem] = [p for p in out["problems"] if fragment in p["message"]]
    assert (problem["file"], problem["line"], problem["field"]) == where
    assert model_state(engine) == [[], [], [], 0]  # nothing loaded


def test_an_empty_indicators_file_asks_for_force_before_retiring_everything(
        engine, small_model_dir):
    url = str(engine.url)
    assert load_json(url, small_model_dir)[0] == 0
    before = model_state(engine)
    (small_model_dir / "indicators.yaml").write_text("# nothing here yet\n")
    (small_model_dir / "priorities.yaml").write_text("")
    code, out = load_json(url, small_model_dir)
    assert code == 4 and out["error"]["kind"] == "conflict"
    messages = [p["message"] for p in out["error"]["problems"]]
    assert messages == [
        "holds no indicators: loading it would retire all 4 indicators now loaded; if that "
        "is meant, load again with --force",
        "holds no priorities: loading it would retire all 1 priorities now loaded; if that "
        "is meant, load again with --force"]
    assert model_state(engine) == before
    code, out = load_json(url, small_model_dir, "--force")
    assert code == 0 and out["loaded"] is True
    assert model_state(engine)[1] == [(code, False) for code, _ in before[1]]


@pytest.mark.slow
def test_the_period_type_of_an_indicator_with_data_cannot_change(engine, small_model_dir,
                                                                  tmp_path):
    url = str(engine.url)
    assert load_json(url, small_model_dir)[0] == 0
    data = tmp_path / "data.csv"
    data.write_text(HEADER + "incidents,A1,2024-01,3\n")
    assert runner.invoke(app, ["submit", str(data), "--db", url]).exit_code == 0
    before = model_state(engine)
    # population has no data: its type may change; incidents has, and may not.
    text = (small_model_dir / "indicators.yaml").read_text()
    text = text.replace("period_type: month", "period_type: quarter")
    (small_model_dir / "indicators.yaml").write_text(text)
    (small_model_dir / "priorities.yaml").write_text("")
    code, out = load_json(url, small_model_dir, "--force")
    assert code == 4
    [problem] = out["error"]["problems"]
    assert problem["where"] == "indicators.yaml: field 'period_type'"
    assert problem["message"].startswith("indicator 'incidents' has data by month: its "
                                         "period type cannot become quarter")
    assert model_state(engine) == before


# -- 14: spreadsheet formula injection ----------------------------------------------------
INJECTED_UNIT = '=HYPERLINK("http://example.invalid","x")'


@pytest.fixture
def injected(engine, small_model_dir):
    """The small model with a unit whose code and name, and an indicator whose code and
    name, a spreadsheet would read as formulas."""
    _edit(small_model_dir / "units.csv", "A2,Region A2,region,A,",
          f'"{INJECTED_UNIT.replace(chr(34), chr(34) * 2)}",@SUM(1),region,A,')
    _edit(small_model_dir / "indicators.yaml", "code: population\n  name: Population",
          "code: '-population'\n  name: +Population")
    _edit(small_model_dir / "indicators.yaml", "denominator: population",
          "denominator: '-population'")
    load_model(engine, small_model_dir, loaded_by="t", now=T0 - timedelta(days=1))
    return engine


def test_model_text_is_never_a_formula_in_the_template(injected, tmp_path):
    out = tmp_path / "form.xlsx"
    result = runner.invoke(app, ["template", "--unit", INJECTED_UNIT, "--period", "2024-01",
                                 "--out", str(out), "--db", str(injected.url)])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    written = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@")):
                    written[cell.value] = (cell.data_type, cell.quotePrefix)
    # The template's own look-ups in the added rows are formulas; model text never is.
    ours = {v for v in written if v.startswith("=IF(")}
    assert {v: written[v] for v in set(written) - ours} == {
        INJECTED_UNIT: ("s", True), "@SUM(1)": ("s", True), "-population": ("s", True),
        "+Population": ("s", True),
        f"@SUM(1) ({INJECTED_UNIT}): figures for 2024-01": ("s", True)}  # the title
    # The provider's filled form reads back with the codes as written.
    ws = wb["Data"]
    for row in ws.iter_rows(min_row=5, max_row=6):
        row[3].value = 7
    wb.save(out)
    rows = read_submission(out.read_bytes(), out.name).rows
    assert set(rows["unit"]) == {INJECTED_UNIT}
    assert set(rows["indicator"]) == {"incidents", "-population"}


@pytest.mark.slow
def test_an_export_escapes_codes_keeps_negative_numbers_and_submits_back(injected, tmp_path):
    data = tmp_path / "data.csv"
    data.write_text(HEADER + f'incidents,"{INJECTED_UNIT.replace(chr(34), chr(34) * 2)}",'
                    "2024-01,3\n-population,A1,2024-01,-5\n")
    result = submit(injected, data)
    assert result.accepted, result.findings
    out = tmp_path / "export.csv"
    assert runner.invoke(app, ["export", "--out", str(out), "--db",
                               str(injected.url)]).exit_code == 0
    lines = out.read_text().splitlines()
    assert lines[1:] == ["'-population,A1,2024-01,-5",
                         f'incidents,"\'{INJECTED_UNIT.replace(chr(34), chr(34) * 2)}",2024-01,3']
    again = submit(injected, out)  # the same values: nothing new
    assert again.accepted and (again.added, again.revised) == (0, 0), again.findings


def test_the_public_sites_csv_escapes_text_but_not_numbers():
    from stocktake.services.publishing.publish import CSV_COLUMNS, series_csv

    row = dict.fromkeys(CSV_COLUMNS, "x") | {"unit_name": "=1+1", "level": "@lvl",
                                             "value": -5.0, "expected": None}
    lines = series_csv([row]).splitlines()
    assert lines[1].split(",")[CSV_COLUMNS.index("unit_name")] == "'=1+1"
    assert lines[1].split(",")[CSV_COLUMNS.index("level")] == "'@lvl"
    assert lines[1].split(",")[CSV_COLUMNS.index("value")] == "-5.0"


# -- 11: the database locked, read-only or on a full disk ---------------------------------
@pytest.fixture
def sqlite_loaded(tmp_path, small_model_dir) -> Path:
    """A SQLite file with the small model loaded, and no engine left open on it."""
    from stocktake.store.db import open_engine

    path = tmp_path / "db" / "data.db"
    path.parent.mkdir()
    engine = open_engine(f"sqlite:///{path}")
    load_model(engine, small_model_dir, loaded_by="t", now=T0 - timedelta(days=1))
    engine.dispose()
    return path


def sqlite_counts(path: Path) -> tuple[int, int]:
    import sqlite3

    with sqlite3.connect(path) as conn:
        return tuple(conn.execute(f"select count(*) from {t}").fetchone()[0]
                     for t in ("observations", "batches"))


@pytest.mark.slow
def test_a_database_locked_by_another_writer_is_a_clear_conflict(sqlite_loaded, tmp_path):
    import sqlite3

    data = tmp_path / "d.csv"
    data.write_text(HEADER + "incidents,A1,2024-01,3\n")
    other = sqlite3.connect(sqlite_loaded, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another program holds the write lock throughout
    try:  # timeout=1 stands for the 30 s we wait by default
        result = runner.invoke(app, ["submit", str(data), "--db",
                                     f"sqlite:///{sqlite_loaded}?timeout=1", "--json"])
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert result.exit_code == 4, result.output
    error = json.loads(result.stdout)["error"]
    assert error["kind"] == "conflict" and "the database is busy" in error["message"]
    assert sqlite_counts(sqlite_loaded) == (0, 0)


def test_a_read_only_database_is_a_clear_error(sqlite_loaded, tmp_path):
    data = tmp_path / "d.csv"
    data.write_text(HEADER + "incidents,A1,2024-01,3\n")
    # Opened read-only, as SQLite opens a file it may not write (we run as root in CI,
    # where a file's mode does not stop writes).
    url = f"sqlite:///file:{sqlite_loaded}?mode=ro&uri=true"
    result = runner.invoke(app, ["submit", str(data), "--db", url])
    assert result.exit_code == 2, result.output
    assert "the database cannot be written" in result.output
    assert sqlite_counts(sqlite_loaded) == (0, 0)


@pytest.fixture
def tiny_disk(tmp_path):
    """A 2 MB tmpfs: a real disk that fills up. Needs the right to mount (root in a
    container that allows it); skipped elsewhere."""
    import subprocess

    where = tmp_path / "disk"
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(where)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: " + done.stderr.decode().strip())
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_full_disk_is_a_clear_error_and_stores_nothing(sqlite_loaded, tiny_disk,
                                                         tmp_path):
    import shutil

    path = tiny_disk / "data.db"
    shutil.copyfile(sqlite_loaded, path)
    filler = tiny_disk / "filler"
    with filler.open("wb") as f:  # leave about 64 KB free
        free = shutil.disk_usage(tiny_disk).free
        f.write(b"\0" * max(0, free - (64 << 10)))
    data = tmp_path / "d.csv"
    data.write_text(HEADER + "".join(f"incidents,{u},{y}-{m:02d},{n}\n"
                                     for n, (u, y, m) in enumerate(
                                         (u, y, m) for u in ("A1", "A2", "B1")
                                         for y in range(2000, 2024) for m in range(1, 13))))
    result = runner.invoke(app, ["submit", str(data), "--db", f"sqlite:///{path}"])
    assert result.exit_code == 2, result.output
    assert "the disk holding the database is full" in result.output
    filler.unlink()
    assert sqlite_counts(path) == (0, 0)


@pytest.mark.slow
def test_a_file_name_and_a_reason_with_markup_are_printed_as_written(engine, small_model_dir,
                                                                     tmp_path):
    url = str(engine.url)
    runner.invoke(app, ["load", str(small_model_dir), "--db", url])
    path = tmp_path / "[red]march.csv"  # as markup: 'march.csv' in red
    path.write_text(HEADER + "incidents,A1,2024-01,3\n")
    result = runner.invoke(app, ["submit", str(path), "--db", url, "--reason", "[/]fix"])
    assert result.exit_code == 0, result.output
    assert "Accepted [red]march.csv as batch 1" in result.output
    for command in (["batches"], ["history", "incidents", "A1", "2024-01"]):
        shown = runner.invoke(app, [*command, "--db", url])
        assert shown.exit_code == 0, shown.output
        assert "[red]" in shown.output
    assert "[/]fix" in runner.invoke(app, ["history", "incidents", "A1", "2024-01", "--db",
                                           url]).output
