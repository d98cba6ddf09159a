"""The Excel template a reporting unit fills in for one period.

The sheet "Data" is in the long layout ``read_submission`` reads (indicator, unit,
period, value), its header on row ``HEADER_ROW`` under a title and a one-line reminder.
One row per expected indicator comes pre-filled with the unit and period; only the value
cells are open for typing (the sheet is protected without a password: it guards against
slips, not against the provider). Beside them, reference columns headed "... (for
reference, not read)" show each indicator's name, definition, unit of measure and last
period's value; the reader skips any column so headed. Below the list, blank rows with
drop-downs of indicator and unit codes let a provider add figures. The sheets
"Instructions" and "Codes" explain how to fill it in and list every code.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..errors import N_, Invalid, NotFound, Text
from ..model.entities import DeliveryModel, Indicator, Unit
from ..model.periods import Period
from .cells import FORMULA_START
from .formats import LONG_COLUMNS, REFERENCE_MARK
from .validate import value_domain

HEADER_ROW = 4
EXTRA_ROWS = 20  # blank rows with drop-downs, for figures beyond the pre-filled list
REFERENCE = f"(for reference, {REFERENCE_MARK})"
# Columns A-D are read; E is a gap; F-I are for reference only.
REFERENCE_COLUMNS = ("name", "definition", "unit of measure")
_FIRST_REFERENCE = 6  # column F
_OPEN = Protection(locked=False)
_HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
_INPUT_FILL = PatternFill("solid", fgColor="FFF7D6")  # where the provider types
_REFERENCE_FONT = Font(color="666666", italic=True)
_ANY_NUMBER = (-1e300, 1e300)  # "decimal" validation needs bounds; these exclude nothing


def build_template(model: DeliveryModel, unit: str, period: str, *,
                   indicators: list[str] | None = None,
                   previous: Mapping[str, float] | None = None,
                   previous_period: str | None = None) -> bytes:
    """An .xlsx for ``unit`` to report ``period``: pre-filled rows, validation, instructions.

    ``indicators`` defaults to every indicator reported by the period's type (a month,
    a quarter...), in the model's order. ``previous`` maps indicator codes to last
    period's values, shown for reference under the heading ``previous_period`` (default:
    the period before ``period``). Raises NotFound for an unknown unit or indicator,
    Invalid for a bad period code or an indicator reported by another period type.
    """
    if unit not in model.units:
        raise NotFound(Text(N_("unknown reporting unit '%(unit)s'"), unit=unit))
    p = Period.parse(period)
    chosen = _indicators(model, p, indicators)
    before = previous_period or p.shift(-1).code
    units = [model.units[unit], *model.descendants(unit)]
    all_of_type = [i for i in model.indicators.values() if i.period_type == p.type.value]

    wb = Workbook()
    data = wb.worksheets[0]
    data.title = "Data"
    _data_sheet(data, model, unit, p, chosen, dict(previous or {}), before,
                n_codes=len(all_of_type), n_units=len(units))
    _instructions_sheet(wb.create_sheet("Instructions"), model, unit, p, chosen, before)
    _codes_sheet(wb.create_sheet("Codes"), all_of_type, units, p)
    wb.active = 0
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _indicators(model: DeliveryModel, p: Period, codes: list[str] | None) -> list[Indicator]:
    if codes is None:
        chosen = [i for i in model.indicators.values() if i.period_type == p.type.value]
        if not chosen:
            raise Invalid(Text(N_("no indicator is reported by %(type)s: nothing to fill in "
                                  "for %(period)s"), type=Text(p.type.value), period=p.code))
        return chosen
    unknown = [c for c in codes if c not in model.indicators]
    if unknown:
        raise NotFound(f"unknown indicator(s): {', '.join(unknown)}")
    wrong = [c for c in codes if model.indicators[c].period_type != p.type.value]
    if wrong:
        raise Invalid(
            f"{', '.join(wrong)} reported by "
            f"{', '.join(sorted({model.indicators[c].period_type for c in wrong}))}, but "
            f"{p.code} is a {p.type.value}")
    if not codes:
        raise Invalid("no indicators given: nothing to fill in")
    return [model.indicators[c] for c in codes]


def _plain(cell: Cell) -> Cell:
    """The cell's text kept as text: model text starting with '=' would be written as a
    live formula, and '+', '-' or '@' would become one when the provider edits the cell
    (intake/cells.py). Excel's quote prefix shows the text as it is, without a quote."""
    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def _data_sheet(ws: Worksheet, model: DeliveryModel, unit: str, p: Period,
                chosen: list[Indicator], previous: dict[str, float], before: str, *,
                n_codes: int, n_units: int) -> None:
    u = model.units[unit]
    ws["A1"] = f"{u.name} ({u.code}): figures for {p.code}"
    _plain(ws["A1"]).font = Font(bold=True, size=14)
    ws["A2"] = ("Type each figure in column D (value); rows left without a value are not "
                "read. Columns F to I are for reference and are not read. See the sheet "
                "'Instructions', then submit with: stocktake submit FILE")
    ws["A2"].font = Font(italic=True)

    headers = [*LONG_COLUMNS, None,
               *[f"{h} {REFERENCE}" for h in REFERENCE_COLUMNS],
               f"{before} value {REFERENCE}"]
    for col, text in enumerate(headers, start=1):
        if text is None:
            continue
        cell = ws.cell(HEADER_ROW, col, text)
        cell.font = Font(bold=True) if col <= 4 else Font(bold=True, color="666666")
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")

    rules: dict[tuple[str, str, float, float | None, str], DataValidation] = {}
    first = HEADER_ROW + 1
    for r, ind in enumerate(chosen, start=first):
        for col, text in enumerate((ind.code, unit, p.code), start=1):
            _plain(ws.cell(r, col, text)).number_format = "@"
        value = ws.cell(r, 4)
        value.protection = _OPEN
        value.fill = _INPUT_FILL
        key = _value_rule(ind)
        if key not in rules:  # one validation per distinct rule, not one per cell
            rules[key] = _validation(*key)
            ws.add_data_validation(rules[key])
        rules[key].add(value.coordinate)
        refs = (ind.name, ind.definition, ind.unit, previous.get(ind.code))
        for col, text in enumerate(refs, start=_FIRST_REFERENCE):
            _plain(ws.cell(r, col, text)).font = _REFERENCE_FONT

    # Blank rows to add figures: codes from drop-downs, the period from a one-item list.
    start = first + len(chosen)
    end = start + EXTRA_ROWS - 1
    if EXTRA_ROWS:
        lists = [
            (1, f"Codes!$A$2:$A${n_codes + 1}", "an indicator code from the list"),
            (2, f"Codes!$G$2:$G${n_units + 1}", "a reporting unit code from the list"),
            (3, f'"{p.code}"', f"the period {p.code}"),
        ]
        for col, source, hint in lists:
            dv = DataValidation(type="list", formula1=source, allow_blank=True,
                                showErrorMessage=True, errorTitle="Not in the list",
                                error=f"Choose {hint}.")
            letter = get_column_letter(col)
            dv.add(f"{letter}{start}:{letter}{end}")
            ws.add_data_validation(dv)
        any_value = _validation("decimal", "between", *_ANY_NUMBER, "Type a number.")
        any_value.add(f"D{start}:D{end}")
        ws.add_data_validation(any_value)
        for r in range(start, end + 1):
            for col in range(1, 5):
                cell = ws.cell(r, col)
                cell.protection = _OPEN
                cell.number_format = "@" if col < 4 else "General"
            ws.cell(r, 4).fill = _INPUT_FILL
            # Names of added codes, looked up by Excel; reference only, never read.
            for offset, col in enumerate(range(_FIRST_REFERENCE, _FIRST_REFERENCE + 3)):
                ws.cell(r, col, f'=IF(A{r}="","",IFERROR(VLOOKUP(A{r},Codes!$A:$D,'
                                f'{offset + 2},FALSE),""))').font = _REFERENCE_FONT

    for letter, width in zip("ABCDEFGHI", (22, 10, 10, 14, 2, 36, 60, 16, 16), strict=True):
        ws.column_dimensions[letter].width = width
    ws.row_dimensions[HEADER_ROW].height = 32
    ws.freeze_panes = ws.cell(first, 1)
    # Protected without a password: a guard against overwriting codes by mistake.
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # False = allowed: widening columns is harmless
    ws.protection.formatRows = False


def _value_rule(ind: Indicator) -> tuple[str, str, float, float | None, str]:
    """The validation of an indicator's value cell (type, operator, bounds, message).

    The bounds are the validator's own (attributes min, max, integer; percentages 0-100),
    so Excel accepts what the submission will accept.
    """
    lo, hi, integer = value_domain(ind)
    kind = "whole" if integer else "decimal"
    what = "a whole number" if kind == "whole" else "a number"
    if lo is not None and hi is not None:
        op, f1, f2, words = "between", lo, hi, f"{what} from {lo:g} to {hi:g}"
    elif lo is not None:
        op, f1, f2, words = "greaterThanOrEqual", lo, None, f"{what} of at least {lo:g}"
    elif hi is not None:
        op, f1, f2, words = "lessThanOrEqual", hi, None, f"{what} of at most {hi:g}"
    else:
        op, (f1, f2), words = "between", _ANY_NUMBER, what
    return kind, op, f1, f2, f"{ind.code} must be {words} ({ind.unit})."


def _validation(kind: str, op: str, f1: float, f2: float | None, message: str
                ) -> DataValidation:
    return DataValidation(type=kind, operator=op, formula1=_number(f1),
                          formula2=None if f2 is None else _number(f2), allow_blank=True,
                          showErrorMessage=True, errorStyle="stop", errorTitle="Not accepted",
                          error=message[:255])


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x)).upper()


def _instructions_sheet(ws: Worksheet, model: DeliveryModel, unit: str, p: Period,
                        chosen: list[Indicator], before: str) -> None:
    u = model.units[unit]
    lines: list[tuple[str, Font | None]] = [
        ("How to fill in and submit this template", Font(bold=True, size=14)),
        ("", None),
        (f"Reporting unit: {u.code} ({u.name})", Font(bold=True)),
        (f"Period: {p.code} (a {p.type.value}, {p.start.isoformat()} to "
         f"{p.end.isoformat()})", Font(bold=True)),
        (f"Figures expected: {len(chosen)} indicators, listed on the sheet 'Data'", None),
        ("", None),
        ("Filling it in", Font(bold=True)),
        ("1. On the sheet 'Data', type each figure in column D (value), on the row of its "
         "indicator.", None),
        ("2. Type plain numbers: no thousands separators, no units or % signs, no "
         "formulas. If you work a figure out elsewhere, paste it here as a value.", None),
        ("3. If you have no figure for an indicator, leave its value empty: rows without a "
         "value are not read.", None),
        ("4. Do not change the indicator, unit and period cells, the header row "
         f"(row {HEADER_ROW}) or the sheet's name 'Data'.", None),
        ("5. To report another indicator or unit, use the empty rows below the list: pick "
         "the indicator and the unit from the drop-downs, and the period from its list.",
         None),
        (f"6. Columns F to I (name, definition, unit of measure and the {before} value) are "
         "for reference only and are not read.", None),
        ("7. The sheet 'Codes' lists every indicator and unit code.", None),
        ("", None),
        ("Submitting", Font(bold=True)),
        ("Save the workbook as 'Excel Workbook (.xlsx)', then run:", None),
        ("    stocktake submit FILE", Font(name="Courier New", bold=True)),
        ("(or upload the file on the stocktake web site). If anything is wrong you are "
         "told which cell and why, and nothing is stored until the whole file is right; "
         "fix the cells and submit the file again.", None),
    ]
    for r, (text, font) in enumerate(lines, start=1):
        cell = _plain(ws.cell(r, 1, text))
        if font is not None:
            cell.font = font
    ws.column_dimensions["A"].width = 110


def _codes_sheet(ws: Worksheet, indicators: list[Indicator], units: list[Unit],
                 p: Period) -> None:
    heads = ("indicator code", "name", "definition", "unit of measure", "period type")
    for col, text in enumerate(heads, start=1):
        ws.cell(1, col, text).font = Font(bold=True)
    for r, ind in enumerate(indicators, start=2):
        for col, text in enumerate((ind.code, ind.name, ind.definition, ind.unit,
                                    ind.period_type), start=1):
            _plain(ws.cell(r, col, text))
    for col, text in enumerate(("unit code", "name", "level", "parent"), start=7):
        ws.cell(1, col, text).font = Font(bold=True)
    for r, u in enumerate(units, start=2):
        for col, text in enumerate((u.code, u.name, u.level, u.parent), start=7):
            _plain(ws.cell(r, col, text))
    note = len(indicators) + 3
    ws.cell(note, 1, f"Indicators reported by {p.type.value}; units: the template's unit and "
            "the units below it.").font = Font(italic=True)
    for letter, width in zip("ABCDEFGHIJ", (22, 36, 60, 16, 12, 2, 12, 30, 12, 12),
                             strict=True):
        ws.column_dimensions[letter].width = width
    ws.protection.sheet = True
