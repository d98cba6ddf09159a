"""The Excel template: what it holds, and that a filled one reads back exactly."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from stocktake.errors import StocktakeError
from stocktake.intake.formats import read_submission
from stocktake.intake.service import file_checksum as checksum
from stocktake.intake.service import submit_frame
from stocktake.intake.template import HEADER_ROW, build_template
from stocktake.model.files import load_model_dir
from stocktake.services.data.model_service import load_model
from stocktake.store.observations import latest

SMALL_MODEL = Path(__file__).parent.parent / "fixtures" / "small_model"
FIRST = HEADER_ROW + 1  # the first pre-filled row


@pytest.fixture
def model():
    return load_model_dir(SMALL_MODEL)


def open_book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def fill(data: bytes, cells: dict[str, object]) -> bytes:
    """Type values into the Data sheet as a provider would, and save."""
    wb = open_book(data)
    for ref, value in cells.items():
        wb["Data"][ref] = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def validation_of(ws, ref: str):
    found = [dv for dv in ws.data_validations.dataValidation if ref in dv.sqref]
    assert len(found) == 1, f"{ref} has {len(found)} validations"
    return found[0]


def test_data_sheet_prefills_every_indicator_of_the_periods_type(model):
    wb = open_book(build_template(model, "A1", "2025-01"))
    assert wb.sheetnames == ["Data", "Instructions", "Codes"]
    ws = wb["Data"]
    assert [c.value for c in ws[HEADER_ROW]][:4] == ["indicator", "unit", "period", "value"]
    got = [tuple(c.value for c in row[:4]) for row in ws.iter_rows(min_row=FIRST,
                                                                    max_row=FIRST + 3)]
    assert got == [("incidents", "A1", "2025-01", None), ("population", "A1", "2025-01", None),
                   ("incident_rate", "A1", "2025-01", None), (None, None, None, None)]
    quarterly = open_book(build_template(model, "A1", "2025Q1"))["Data"]
    assert [quarterly.cell(FIRST, c).value for c in (1, 2, 3)] == ["screening", "A1", "2025-Q1"]
    assert quarterly.cell(FIRST + 1, 1).value is None


def test_indicators_can_be_chosen(model):
    ws = open_book(build_template(model, "A1", "2025-01",
                                  indicators=["population", "incidents"]))["Data"]
    assert [ws.cell(r, 1).value for r in (FIRST, FIRST + 1, FIRST + 2)] == [
        "population", "incidents", None]


@pytest.mark.parametrize(("kwargs", "fragment"), [
    ({"unit": "Z9"}, "unknown reporting unit 'Z9'"),
    ({"period": "2025-13"}, "month 13"),
    ({"indicators": ["nope"]}, "unknown indicator(s): nope"),
    ({"indicators": ["screening"]}, "screening reported by quarter, but 2025-01 is a month"),
    ({"period": "2025-W03"}, "no indicator is reported by week"),
])
def test_bad_requests_raise_value_error(model, kwargs, fragment):
    args = {"unit": "A1", "period": "2025-01", **kwargs}
    with pytest.raises(StocktakeError) as exc:
        build_template(model, args.pop("unit"), args.pop("period"), **args)
    assert fragment in str(exc.value)


def test_only_value_cells_and_added_rows_are_open(model):
    ws = open_book(build_template(model, "A1", "2025-01"))["Data"]
    assert ws.protection.sheet
    for col in "ABC":
        assert ws[f"{col}{FIRST}"].protection.locked
    assert not ws[f"D{FIRST}"].protection.locked
    added = FIRST + 3
    assert all(not ws[f"{col}{added}"].protection.locked for col in "ABCD")
    assert ws[f"F{FIRST}"].protection.locked


def test_value_cells_are_validated_from_the_indicators_attributes(model):
    model.indicators["population"].attributes = {"min": 0, "max": 2_000_000}
    model.indicators["incident_rate"].attributes = {"max": 1e5, "integer": True}
    ws = open_book(build_template(model, "A1", "2025-01"))["Data"]
    incidents = validation_of(ws, f"D{FIRST}")  # integer, min 0
    assert (incidents.type, incidents.operator, incidents.formula1) == (
        "whole", "greaterThanOrEqual", "0")
    assert incidents.showErrorMessage and "at least 0" in incidents.error
    population = validation_of(ws, f"D{FIRST + 1}")
    assert (population.type, population.operator, population.formula1,
            population.formula2) == ("decimal", "between", "0", "2000000")
    rate = validation_of(ws, f"D{FIRST + 2}")  # integer with a max: min 0 by default
    assert (rate.type, rate.operator, rate.formula1, rate.formula2) == (
        "whole", "between", "0", "100000")
    model.indicators["incident_rate"].attributes = {"max": 1e5}
    rate = validation_of(open_book(build_template(model, "A1", "2025-01"))["Data"],
                         f"D{FIRST + 2}")
    assert (rate.type, rate.operator, rate.formula1) == ("decimal", "lessThanOrEqual", "100000")
    # A percentage is 0-100 unless declared otherwise, as the validator has it.
    screening = validation_of(open_book(build_template(model, "A1", "2025-Q1"))["Data"],
                              f"D{FIRST}")
    assert (screening.type, screening.operator, screening.formula1, screening.formula2) == (
        "decimal", "between", "0", "100")


def test_added_rows_have_drop_downs_of_the_codes(model):
    wb = open_book(build_template(model, "A", "2025-01"))
    ws, codes = wb["Data"], wb["Codes"]
    added = FIRST + 3
    indicator_list = validation_of(ws, f"A{added}")
    unit_list = validation_of(ws, f"B{added}")
    period_list = validation_of(ws, f"C{added}")
    assert indicator_list.type == unit_list.type == period_list.type == "list"
    assert indicator_list.formula1 == "Codes!$A$2:$A$4"
    assert [codes[f"A{r}"].value for r in (2, 3, 4)] == ["incidents", "population",
                                                         "incident_rate"]
    assert unit_list.formula1 == "Codes!$G$2:$G$4"
    assert [codes[f"G{r}"].value for r in (2, 3, 4, 5)] == ["A", "A1", "A2", None]
    assert period_list.formula1 == '"2025-01"'
    assert validation_of(ws, f"D{added}").type == "decimal"


def test_reference_columns_say_they_are_not_read_and_show_last_period(model):
    ws = open_book(build_template(model, "A1", "2025-01",
                                  previous={"incidents": 28.0, "population": 350000}))["Data"]
    heads = [ws.cell(HEADER_ROW, c).value for c in range(6, 10)]
    assert heads == ["name (for reference, not read)", "definition (for reference, not read)",
                     "unit of measure (for reference, not read)",
                     "2024-12 value (for reference, not read)"]
    assert [ws.cell(FIRST, c).value for c in range(6, 10)] == [
        "Violent incidents", "Violent incidents recorded by police in the month.",
        "incidents", 28]
    assert ws.cell(FIRST + 1, 9).value == 350000 and ws.cell(FIRST + 2, 9).value is None
    other = open_book(build_template(model, "A1", "2025-01", previous={"incidents": 1},
                                     previous_period="2024-01"))["Data"]
    assert other.cell(HEADER_ROW, 9).value == "2024-01 value (for reference, not read)"


def test_instructions_and_codes(model):
    wb = open_book(build_template(model, "A1", "2025-01"))
    text = "\n".join(str(c.value) for c in wb["Instructions"]["A"] if c.value)
    assert "stocktake submit FILE" in text
    assert "Reporting unit: A1 (Region A1)" in text
    assert "Period: 2025-01 (a month, 2025-01-01 to 2025-01-31)" in text
    codes = wb["Codes"]
    assert [c.value for c in codes[1][:5]] == ["indicator code", "name", "definition",
                                               "unit of measure", "period type"]
    assert [c.value for c in codes[2][:5]] == [
        "incidents", "Violent incidents", "Violent incidents recorded by police in the month.",
        "incidents", "month"]
    assert [c.value for c in codes[1][6:10]] == ["unit code", "name", "level", "parent"]
    assert [c.value for c in codes[2][6:10]] == ["A1", "Region A1", "region", "A"]


# -- filled in and read back -----------------------------------------------------------------
def test_a_filled_template_reads_back_exactly(model):
    template = build_template(model, "A", "2025-01", previous={"incidents": 50})
    added = FIRST + 3
    filled = fill(template, {
        f"D{FIRST}": 51, f"D{FIRST + 1}": 600000.0, f"D{FIRST + 2}": 8.5,
        f"A{added}": "incidents", f"B{added}": "A1", f"C{added}": "2025-01", f"D{added}": 30,
        f"G{FIRST}": "a note typed in a reference column",   # not read
    })
    sub = read_submission(filled, "A-2025-01.xlsx")
    assert sub.format == "xlsx" and sub.warnings == []
    assert sub.rows.rows() == [
        (FIRST, "incidents", "A", "2025-01", "51", f"D{FIRST}"),
        (FIRST + 1, "population", "A", "2025-01", "600000", f"D{FIRST + 1}"),
        (FIRST + 2, "incident_rate", "A", "2025-01", "8.5", f"D{FIRST + 2}"),
        (added, "incidents", "A1", "2025-01", "30", f"D{added}"),
    ]


def test_a_partly_filled_template_gives_only_the_filled_rows(model):
    template = build_template(model, "A1", "2025-01")
    sub = read_submission(fill(template, {f"D{FIRST + 1}": 350000}), "t.xlsx")
    assert sub.rows.rows() == [(FIRST + 1, "population", "A1", "2025-01", "350000",
                                f"D{FIRST + 1}")]
    [w] = sub.warnings
    assert (w.check, w.severity) == ("empty_value", "warning")
    assert w.message == f"2 row(s) have no value and were not read: {FIRST}, {FIRST + 2}"
    assert read_submission(template, "t.xlsx").rows.height == 0


def test_a_filled_template_is_stored_by_the_service(engine, small_model_dir):
    load_model(engine, small_model_dir, loaded_by="t")
    template = build_template(load_model_dir(small_model_dir), "A1", "2025-01")
    filled = fill(template, {f"D{FIRST}": 30, f"D{FIRST + 1}": 350000})
    sub = read_submission(filled, "t.xlsx")
    result = submit_frame(engine, sub.rows, checksum=checksum(filled), source="t.xlsx",
                          format=sub.format, submitter="A1", reason="", now=None)
    assert result.accepted and result.added == 2
    with engine.connect() as conn:
        df = latest(conn)
    assert sorted(df.select("indicator", "unit", "period", "value").rows()) == [
        ("incidents", "A1", "2025-01", 30.0), ("population", "A1", "2025-01", 350000.0)]
