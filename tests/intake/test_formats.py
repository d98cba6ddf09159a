"""Reading submissions in every format providers use, from real files.

The fixtures in tests/fixtures/submissions are written by make_fixtures.py there; the
rows expected of each are written out here by hand from what the file holds.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from stocktake.errors import Invalid
from stocktake.intake.findings import SubmissionError
from stocktake.intake.formats import ROW_SCHEMA, read_submission
from stocktake.intake.service import file_checksum as checksum
from stocktake.intake.service import submit_frame
from stocktake.services.data.model_service import load_model
from stocktake.store.observations import latest

FIXTURES = Path(__file__).parent.parent / "fixtures" / "submissions"


def read(name: str):
    return read_submission((FIXTURES / name).read_bytes(), name)


def rows(sub) -> list[tuple]:
    assert sub.rows.schema == pl.Schema(ROW_SCHEMA)
    return sub.rows.rows()


def failure(data: bytes, name: str) -> list:
    with pytest.raises(SubmissionError) as exc:
        read_submission(data, name)
    return exc.value.findings


def workbook(*sheet_rows: list, titles: tuple[str, ...] = ("Data",)) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, content in zip(titles, sheet_rows, strict=True):
        ws = wb.create_sheet(title)
        for r in content:
            ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# -- CSV -------------------------------------------------------------------------------------
def test_long_csv_in_any_column_order_with_windows_line_ends_and_a_blank_line():
    sub = read("long.csv")
    assert sub.format == "csv_long" and sub.warnings == []
    # The blank line 4 is skipped; the padded " 12.5 " is stripped; line numbers kept.
    assert rows(sub) == [(2, "incidents", "A1", "2025-01", "30", "value"),
                         (3, "population", "A1", "2025-01", "350000", "value"),
                         (5, "screening", "A2", "2025-Q1", "12.5", "value")]


def test_csv_utf8_with_bom_and_semicolons_ignores_a_notes_column_with_a_warning():
    sub = read("long_bom_semicolon.csv")
    assert sub.format == "csv_long"
    assert rows(sub) == [(2, "incidents", "A1", "2025-01", "30", "value"),
                         (3, "incidents", "A2", "2025-01", "20", "value")]
    [w] = sub.warnings
    assert (w.row, w.column, w.check, w.severity) == (1, "notes", "extra_column", "warning")
    assert "column E" in w.message and "not read" in w.message


def test_excel_unicode_text_utf16_with_bom_and_tabs():
    sub = read("long_utf16.txt")
    assert sub.format == "csv_long"
    assert rows(sub) == [(2, "incidents", "A1", "2025-01", "30", "value"),
                         (3, "population", "A2", "2025-01", "250000", "value")]


def test_wide_csv_unpivots_and_skips_empty_cells():
    sub = read("wide.csv")
    assert sub.format == "csv_wide" and sub.warnings == []
    assert sorted(rows(sub)) == [
        (2, "incidents", "A1", "2025-01", "30", "incidents"),
        (2, "population", "A1", "2025-01", "350000", "population"),
        (3, "population", "A2", "2025-01", "250000", "population"),
        (4, "incidents", "A1", "2025-02", "31", "incidents"),
    ]


def test_a_quoted_field_over_two_lines_keeps_later_rows_on_their_own_line():
    sub = read("multiline.csv")
    assert [r[0] for r in rows(sub)] == [2, 4]


@pytest.mark.parametrize("multiline", [False, True])
def test_row_numbers_agree_with_pythons_csv_module(multiline):
    # Blank lines, rows of empty cells, quoted separators and quotes, padded cells; with
    # `multiline` a quoted field spans lines too (the careful reading then numbers rows).
    lines = ["indicator,unit,period,value,note"]
    for i in range(40):
        if i % 7 == 3:
            lines.append("")
        elif i % 11 == 5:
            lines.append(",,,,")
        elif i % 5 == 1:
            note = '"two\nlines"' if multiline and i == 21 else '"a, ""quoted"" note"'
            lines.append(f"incidents, A{i} ,2025-01,{i},{note}")
        else:
            lines.append(f"incidents,A{i},2025-01,{i}.5,")
    text = "\n".join(lines) + "\n"
    expected = []
    reader = csv.reader(io.StringIO(text))
    next(reader)
    end = reader.line_num
    for rec in reader:
        start, end = end + 1, reader.line_num
        if any(f.strip() for f in rec):
            expected.append((start, rec[0].strip(), rec[1].strip(), rec[3].strip()))
    sub = read_submission(text.encode(), "f.csv")
    assert [(r, i, u, v) for r, i, u, _, v, _ in rows(sub)] == expected
    assert len(expected) == 40 - 6 - 3  # 6 blank lines and 3 rows of empty cells skipped


def test_a_field_over_two_lines_with_the_usual_separators_on_each_line():
    # Each physical line has three commas, as a complete row would: only the count of
    # lines against rows shows that line 3 continues line 2.
    data = b'indicator,unit,period,value\nincidents,A1,"2025-01,\nx,,",5\nincidents,A2,2025-01,6\n'
    assert [(r[0], r[3]) for r in rows(read_submission(data, "f.csv"))] == [
        (2, "2025-01,\nx,,"), (4, "2025-01")]


def test_header_only_gives_no_rows_not_an_error():
    sub = read("header_only.csv")
    assert sub.format == "csv_long" and rows(sub) == []


def test_an_enormous_number_is_kept_as_the_text_written():
    assert rows(read("enormous.csv"))[1] == (3, "population", "A1", "2025-01", "1e400", "value")
    assert rows(read("enormous.json"))[0][4] == "1e400"


def test_extra_columns_reference_columns_and_unheaded_columns():
    data = (b'indicator,unit,period,value,"Name (for reference, not read)",,,Comment\n'
            b"incidents,A1,2025-01,30,Violent incidents,,,checked\n"
            b"incidents,A2,2025-01,20,Violent incidents,,stray,\n")
    sub = read_submission(data, "f.csv")
    assert [r[0] for r in rows(sub)] == [2, 3]
    found = sorted((w.row, w.column, w.check) for w in sub.warnings)
    # The reference column is silent; the empty unheaded column F too; the unheaded
    # column G holding "stray" and the Comment column are named.
    assert found == [(1, "Comment", "extra_column"), (3, None, "extra_column")]
    stray = next(w for w in sub.warnings if w.row == 3)
    assert "(G)" in stray.message and "'stray'" in stray.message


@pytest.mark.parametrize(("name", "check", "row", "fragment"), [
    ("empty.csv", "empty_file", None, "empty.csv is empty"),
    ("cp1252.csv", "encoding", 3, "save it as 'CSV UTF-8'"),
    ("utf16_no_bom.csv", "encoding", None, "UTF-16 text without a byte-order mark"),
    ("unbalanced_quote.csv", "malformed_csv", 3, "never closed"),
    ("not_a_workbook.xlsx", "workbook", None, "not a real Excel workbook"),
    ("damaged.xlsx", "workbook", None, "not a real Excel workbook"),
    ("report.docx", "format", None, "is a Word document"),
    ("report.pdf", "format", None, "is a PDF"),
    ("not_a_list.json", "json", None, "found an object"),
])
def test_structural_failures_name_the_problem_and_where(name, check, row, fragment):
    [f] = failure((FIXTURES / name).read_bytes(), name)
    assert (f.check, f.severity, f.row) == (check, "error", row)
    assert fragment in f.message


@pytest.mark.parametrize("data", [b"\xef\xbb\xbf", " \r\n".encode("utf-16"), b"\n\n  "])
def test_nothing_but_a_byte_order_mark_or_blank_lines_is_empty(data):
    [f] = failure(data, "f.csv")
    assert f.check == "empty_file"


def test_the_wrong_encoding_shows_the_line_as_the_provider_would_read_it():
    [f] = failure((FIXTURES / "cp1252.csv").read_bytes(), "cp1252.csv")
    assert "line 3" in f.message and "révisé" in f.message and "0xE9" in f.message


def test_ragged_rows_are_each_named():
    findings = failure((FIXTURES / "ragged.csv").read_bytes(), "ragged.csv")
    assert [(f.row, f.check) for f in findings] == [(3, "malformed_csv"), (4, "malformed_csv")]
    assert "line 3 has 5 fields but the header has 4" in findings[0].message
    assert "line 4 has 3 fields" in findings[1].message


def test_an_unreadable_file_is_invalid_with_each_finding_a_problem_at_its_row():
    with pytest.raises(Invalid) as exc:
        read_submission((FIXTURES / "ragged.csv").read_bytes(), "ragged.csv")
    assert [p.where for p in exc.value.problems] == ["row 3", "row 4"]
    assert exc.value.problems[0].message.endswith("[malformed_csv]")
    assert str(exc.value) == "; ".join(str(f) for f in exc.value.findings)


def test_a_ragged_row_is_found_among_quoted_fields():
    data = b'"indicator","unit","period","value"\n"incidents","A1","2025-01","1,5"\n' \
           b'"incidents","A2","2025-01"\n'
    [f] = failure(data, "f.csv")
    assert (f.row, f.check) == (3, "malformed_csv")


@pytest.mark.parametrize(("header", "fragment"), [
    ("indicator,unit,value", "the header lacks period"),
    ("Indicator,unit,period,value,indicator", "names 'indicator' twice"),
    ("code,where,when,amount", "the header must be indicator,unit,period,value"),
    ("unit,period", "no indicator columns"),
    ("", "line 1 of f.csv is empty"),
])
def test_header_problems(header, fragment):
    [f] = failure(f"{header}\nincidents,A1,2025-01,30\n".encode(), "f.csv")
    assert (f.check, f.row) == ("header", 1)
    assert fragment in f.message


def test_old_excel_and_unknown_binary_files_are_refused():
    [f] = failure(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls")
    assert f.check == "format" and "Excel 97-2003" in f.message
    [f] = failure(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "chart.png")
    assert f.check == "format" and "not a text file" in f.message


# -- JSON ------------------------------------------------------------------------------------
def test_json_list_of_objects_numbers_kept_as_written():
    sub = read("submission.json")
    assert sub.format == "json" and sub.warnings == []
    assert rows(sub) == [(1, "incidents", "A1", "2025-01", "30", "value"),
                         (2, "population", "A1", "2025-01", "350000.0", "value"),
                         (3, "screening", "A2", "2025-Q1", "12.5", "value")]


def test_json_bad_items_are_each_named_by_item_number():
    findings = failure((FIXTURES / "bad_items.json").read_bytes(), "bad_items.json")
    assert [(f.row, f.column, f.check) for f in findings] == [
        (2, None, "json_item"), (3, "value", "json_item"), (4, "value", "json_item")]
    assert "item 3: value must be a number or a string, not true/false" in findings[1].message
    assert "item 4 has no 'value'" in findings[2].message


def test_json_syntax_null_values_and_empty_lists():
    [f] = failure(b'[\n {"indicator": "incidents",,}\n]', "f.json")
    assert f.check == "json" and "line 2" in f.message
    [f] = failure(b'[{"indicator": "x", "unit": "A1", "period": "2025-01", "value": null}]',
                  "f.json")
    assert (f.row, f.column, f.check) == (1, "value", "json_item") and "null" in f.message
    assert rows(read_submission(b"[]", "f.json")) == []


# -- Parquet ---------------------------------------------------------------------------------
def test_parquet_long_whole_floats_without_trailing_zero():
    sub = read("long.parquet")
    assert sub.format == "parquet"
    assert rows(sub) == [(1, "incidents", "A1", "2025-01", "30", "value"),
                         (2, "population", "A1", "2025-01", "350000", "value"),
                         (3, "screening", "A2", "2025-Q1", "12.5", "value")]


def test_parquet_of_other_types_becomes_text_and_a_null_is_an_empty_value():
    assert rows(read("typed.parquet")) == [(1, "incidents", "A1", "2025-01", "30", "value"),
                                           (2, "incidents", "A2", "2025-01", "", "value")]


def test_damaged_or_nested_parquet_is_refused():
    [f] = failure(b"PAR1" + b"\x00" * 64, "f.parquet")
    assert f.check == "parquet" and "not a readable Parquet file" in f.message
    out = io.BytesIO()
    pl.DataFrame({"indicator": ["x"], "unit": ["A1"], "period": ["2025-01"],
                  "value": [[1.0, 2.0]]}).write_parquet(out)
    [f] = failure(out.getvalue(), "f.parquet")
    assert (f.check, f.column) == ("parquet", "value") and "List" in f.message


# -- Excel -----------------------------------------------------------------------------------
def test_xlsx_reads_the_data_sheet_with_cell_references():
    sub = read("long.xlsx")
    assert sub.format == "xlsx" and sub.warnings == []
    assert rows(sub) == [(2, "incidents", "A1", "2025-01", "30", "D2"),
                         (3, "population", "A1", "2025-01", "350000", "D3"),
                         (4, "screening", "A2", "2025-Q1", "12.5", "D4"),
                         (6, "incidents", "A2", "2025-01", "20", "D6")]


def test_xlsx_wide_layout_with_the_header_below_a_title():
    sub = read("wide.xlsx")
    assert sorted(rows(sub)) == [(4, "incidents", "A1", "2025-01", "30", "C4"),
                                 (4, "population", "A1", "2025-01", "350000", "D4"),
                                 (5, "population", "A2", "2025-01", "250000", "D5")]


def test_a_formula_is_refused_naming_the_cell():
    [f] = failure((FIXTURES / "formula.xlsx").read_bytes(), "formula.xlsx")
    assert (f.row, f.column, f.value, f.check) == (5, "value", "=SUM(D2:D3)", "excel_formula")
    assert f.message.startswith("cell D5 holds a formula (=SUM(D2:D3)); paste the value instead")


def test_dates_in_period_cells_are_read_at_the_precision_shown():
    sub = read("date_period.xlsx")
    assert [(r[0], r[3]) for r in rows(sub)] == [(2, "2025-01"), (3, "2025-02"),
                                                 (4, "2025-03-15"), (5, "2025")]
    assert [(w.row, w.column, w.check) for w in sub.warnings] == [
        (r, "period", "excel_date") for r in (2, 3, 4, 5)]
    assert "cell C2 holds a date shown as 'mmm-yy': read as period 2025-01" in \
        sub.warnings[0].message


def test_xlsx_numbers_become_text_as_a_provider_typed_them():
    data = workbook([["indicator", "unit", "period", "value"],
                     ["a", 101, 2025, 0.1],
                     ["b", "A1", "2025-01", 1234567.0],
                     ["c", "A1", "2025-01", 1e20],
                     ["d", "A1", "2025-01", -3],
                     ["e", "A1", "2025-01", True],
                     ["f", "A1", "2025-01", datetime(2025, 1, 2)],
                     ["g", "A1", "2025-01", "  7 "]])
    assert [(r[2], r[3], r[4]) for r in rows(read_submission(data, "f.xlsx"))] == [
        ("101", "2025", "0.1"), ("A1", "2025-01", "1234567"), ("A1", "2025-01", "1e+20"),
        ("A1", "2025-01", "-3"), ("A1", "2025-01", "TRUE"), ("A1", "2025-01", "2025-01-02"),
        ("A1", "2025-01", "7")]


def test_xlsx_without_a_header_row_and_with_an_empty_value():
    [f] = failure(workbook([["a", "b"], [1, 2]]), "f.xlsx")
    assert f.check == "header" and "no header row found in the first 50 rows" in f.message
    data = workbook([["indicator", "unit", "period", "value"], ["x", "A1", "2025-01", None],
                     ["y", "A1", "2025-01", 4]])
    sub = read_submission(data, "f.xlsx")
    assert [r[0] for r in rows(sub)] == [3]
    assert [(w.check, w.message) for w in sub.warnings] == [
        ("empty_value", "1 row(s) have no value and were not read: 2")]


def test_the_first_sheet_is_read_when_none_is_named_data():
    data = workbook([["unit", "period", "incidents"], ["A1", "2025-01", 3]],
                    [["indicator", "unit", "period", "value"], ["x", "A1", "2025-01", 9]],
                    titles=("Sheet1", "Other"))
    assert rows(read_submission(data, "f.xlsx")) == [(2, "incidents", "A1", "2025-01", "3",
                                                      "C2")]


def test_the_content_decides_not_the_name():
    data = (FIXTURES / "long.xlsx").read_bytes()
    assert read_submission(data, "figures.csv").format == "xlsx"
    assert read_submission(b"indicator,unit,period,value\nx,A1,2025-01,1\n",
                           "figures").format == "csv_long"


# -- through the real submission service -----------------------------------------------------
def submit(engine, name: str):
    data = (FIXTURES / name).read_bytes()
    sub = read_submission(data, name)
    return submit_frame(engine, sub.rows, checksum=checksum(data), source=name,
                        format=sub.format, submitter="t", reason="", now=None)


def stored(engine) -> dict[tuple[str, str, str], float]:
    with engine.connect() as conn:
        df = latest(conn)
    return {(i, u, p): v for i, u, p, v in df.select("indicator", "unit", "period", "value")
            .iter_rows()}


@pytest.mark.parametrize(("name", "expected"), [
    ("long.csv", {("incidents", "A1", "2025-01"): 30.0,
                  ("population", "A1", "2025-01"): 350000.0,
                  ("screening", "A2", "2025-Q1"): 12.5}),
    ("wide.csv", {("incidents", "A1", "2025-01"): 30.0, ("incidents", "A1", "2025-02"): 31.0,
                  ("population", "A1", "2025-01"): 350000.0,
                  ("population", "A2", "2025-01"): 250000.0}),
    ("submission.json", {("incidents", "A1", "2025-01"): 30.0,
                         ("population", "A1", "2025-01"): 350000.0,
                         ("screening", "A2", "2025-Q1"): 12.5}),
    ("long.parquet", {("incidents", "A1", "2025-01"): 30.0,
                      ("population", "A1", "2025-01"): 350000.0,
                      ("screening", "A2", "2025-Q1"): 12.5}),
    ("long.xlsx", {("incidents", "A1", "2025-01"): 30.0, ("incidents", "A2", "2025-01"): 20.0,
                   ("population", "A1", "2025-01"): 350000.0,
                   ("screening", "A2", "2025-Q1"): 12.5}),
])
def test_each_format_is_stored_by_the_service(engine, small_model_dir, name, expected):
    load_model(engine, small_model_dir, loaded_by="t")
    result = submit(engine, name)
    assert result.accepted and result.errors == []
    assert result.added == len(expected)
    assert stored(engine) == expected


@pytest.mark.parametrize(("name", "row"), [("enormous.csv", 3), ("enormous.json", 1)])
def test_the_service_rejects_an_enormous_number(engine, small_model_dir, name, row):
    load_model(engine, small_model_dir, loaded_by="t")
    result = submit(engine, name)
    assert not result.accepted
    assert [(f.row, f.column, f.value, f.check) for f in result.errors] == [
        (row, "value", "1e400", "value_type")]
    assert "not a finite number" in result.errors[0].message
    assert stored(engine) == {}


def test_the_service_accepts_excel_dates_read_as_months_and_rejects_the_rest(
        engine, small_model_dir):
    load_model(engine, small_model_dir, loaded_by="t")
    result = submit(engine, "date_period.xlsx")
    # C2 (Jan-25) and C3 (yyyy-mm) became months; a day and a year are not months.
    assert [(f.row, f.column, f.check) for f in result.errors] == [
        (4, "period", "period"), (5, "period", "period")]
