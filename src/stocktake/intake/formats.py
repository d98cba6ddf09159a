"""Reading a submission in any format providers use into one shape of text rows.

Every format ends as the same table: ``row`` (where the provider finds the row in their
file), ``indicator``, ``unit``, ``period``, ``value`` (all text, stripped, the value as the
provider wrote it, so the validator can say what is wrong with it) and ``value_column``
(where the value sits: ``value`` for long layouts, the indicator's column header in a wide
CSV, the cell such as ``D7`` in a workbook).

Formats and how they are recognised (the content decides; the file name only breaks ties
and explains refusals):

- ``xlsx``: a zip holding ``xl/workbook.xml``. The sheet named "Data", else the first.
- ``parquet``: starts with ``PAR1``.
- ``json``: text starting with ``[`` or ``{``, or a name ending ``.json``; a list of
  ``{indicator, unit, period, value}`` objects.
- ``csv_long``/``csv_wide``: any other text. Comma, semicolon or tab separated (the
  separator is the first of those found in the header line: Excel's "Unicode text" is
  tab separated, and in many locales Excel writes semicolons).

Layouts, decided by the header (case-insensitive):

- long: ``indicator, unit, period, value`` in any order;
- wide: ``unit, period`` and one column per indicator code; an empty cell is no value.

Columns whose header contains "not read" (the template's reference columns) and columns
with no header and nothing in them are ignored silently; any other extra column is
ignored with a warning, so a provider's own notes column does not block a submission.
Rows with nothing in any read column are skipped. In a workbook a row whose value cell
is empty is skipped too (one warning lists them): the template pre-fills a row for every
expected indicator and a provider fills the ones they have.

Text must be UTF-8 (with or without a byte-order mark) or UTF-16 with a byte-order mark;
anything else is refused with the line of the first byte that is not UTF-8, rather than
guessed, because a wrong guess silently corrupts names and codes.

``open_submission`` reads a large UTF-8 CSV file in slices of about SLICE_ROWS rows, cut
at line ends, each read as a whole file is; rows, warnings and errors are the same.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

import polars as pl

from ..errors import N_, Text
from .cells import as_written
from .findings import Finding, SubmissionError

FORMATS = ("csv_long", "csv_wide", "xlsx", "json", "parquet")
LONG_COLUMNS = ("indicator", "unit", "period", "value")
WIDE_KEYS = ("unit", "period")
REFERENCE_MARK = "not read"  # a header containing this is a reference column, never read
ROW_SCHEMA = {"row": pl.Int64, "indicator": pl.String, "unit": pl.String,
              "period": pl.String, "value": pl.String, "value_column": pl.String}
HEADER_SEARCH_ROWS = 50  # a workbook's header may sit below a few lines of instructions

_SEPARATORS = (",", ";", "\t")
_SEPARATOR_NAMES = {",": N_("comma"), ";": N_("semicolon"), "\t": N_("tab")}
_DOCUMENT_SUFFIXES = {
    ".pdf": N_("a PDF"), ".doc": N_("a Word document"), ".docx": N_("a Word document"),
    ".odt": N_("an OpenDocument text"), ".rtf": N_("a rich-text document"),
    ".xls": N_("an Excel 97-2003 workbook"), ".xlsb": N_("an Excel binary workbook"),
    ".ods": N_("an OpenDocument spreadsheet"), ".numbers": N_("a Numbers spreadsheet"),
    ".ppt": N_("a PowerPoint file"), ".pptx": N_("a PowerPoint file"),
}
_FIRST_VISIBLE = re.compile(r"\S")
_ACCEPTED = Text(N_("CSV (UTF-8), Excel workbook (.xlsx), JSON (a list of "
                    "{indicator, unit, period, value} objects) or Parquet"))


@dataclass
class Submission:
    """A submission read into text rows, before any check against the model."""

    format: str  # one of FORMATS
    rows: pl.DataFrame  # ROW_SCHEMA columns
    warnings: list[Finding] = field(default_factory=list)


def read_submission(data: bytes, filename: str) -> Submission:
    """Read a submitted file's bytes; ``filename`` is used to explain, not to decide.

    Raises SubmissionError (with findings in the provider's terms) for a file that cannot
    be read at all: empty, wrong encoding, malformed CSV, missing columns, a formula in a
    workbook, an unknown format. A header with no rows gives zero rows, not an error.
    """
    name = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1] or "the file"
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if not data or data.isspace():  # isspace, not strip: no copy of a large file
        _fail("empty_file", Text(N_("%(file)s is empty: expected a header row and rows of "
                                     "data"), file=name))
    if data.startswith(b"PK\x03\x04"):
        return _read_zip(data, name)
    if data.startswith(b"PAR1"):
        return _read_parquet(data, name)
    if suffix in (".xlsx", ".xlsm"):
        _fail("workbook", f"{name} is not a real Excel workbook: it may be damaged, or another "
              "kind of file renamed to .xlsx; open it in Excel and save it as 'Excel "
              "Workbook (.xlsx)'")
    if suffix in (".parquet", ".pq"):
        _fail("parquet", f"{name} is not a Parquet file (it does not start with PAR1)")
    if data.startswith(b"%PDF"):
        _fail("format", Text(N_("%(file)s is a PDF: submit the figures as %(accepted)s"),
                             file=name, accepted=_ACCEPTED))
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2: .xls, .doc
        _fail("format", Text(N_("%(file)s is an old Office file (Excel 97-2003 or Word): "
                                "open it and save it as 'Excel Workbook (.xlsx)' or 'CSV "
                                "UTF-8'"), file=name))
    if suffix in _DOCUMENT_SUFFIXES:
        _fail("format", Text(N_("%(file)s is %(what)s: submit the figures as %(accepted)s"),
                             file=name, what=Text(_DOCUMENT_SUFFIXES[suffix]),
                             accepted=_ACCEPTED))
    text = _decode(data, name)
    if not text or text.isspace():  # e.g. nothing but a byte-order mark
        _fail("empty_file", Text(N_("%(file)s is empty: expected a header row and rows of "
                                     "data"), file=name))
    first = _FIRST_VISIBLE.search(text)
    if suffix == ".json" or (first is not None and first.group() in "[{"):
        return _read_json(text, name)
    # Plain UTF-8 bytes go to polars as they are; anything decoded differently is re-encoded.
    plain = not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    return _read_csv(text, data if plain else b"", name)


# -- a large CSV file, slice by slice -----------------------------------------------------
SLICE_ROWS = 1_000_000  # rows in a slice of a large CSV file: bounds memory, changes no result
_ROW_BYTES_GUESS = 32  # about a long CSV row's size: where to cut the first slice
_SNIFF_BYTES = 1 << 16


class SlicedSubmission:
    """A submission read slice by slice, so that a large file never sits in memory whole.

    Opening reads the header, so ``format`` is known (and a file that cannot be read at all
    raises SubmissionError then). Iterating, once, gives the rows (ROW_SCHEMA frames) in
    file order, and raises SubmissionError for a fault found further into the file.
    ``warnings`` is complete once every slice has been read. Rows, row numbers, warnings
    and errors are those ``read_submission`` gives for the whole file. ``position`` is
    how many of the file's bytes the slices given so far come from (for progress).
    """

    def __init__(self, format: str, slices: Iterator[pl.DataFrame], warnings: list[Finding],
                 position: Callable[[], int] = lambda: 0):
        self.format = format
        self.warnings = warnings
        self._slices = slices
        self._position = position

    @property
    def position(self) -> int:
        return self._position()

    def __iter__(self) -> Iterator[pl.DataFrame]:
        return self._slices


def open_submission(path: str | Path) -> SlicedSubmission:
    """Open a submitted file. A UTF-8 CSV file of more than about one slice is read slice
    by slice; any other file whole, by ``read_submission``."""
    p = Path(path)
    with p.open("rb") as f:
        head = f.read(_SNIFF_BYTES)
    if p.stat().st_size <= SLICE_ROWS * _ROW_BYTES_GUESS or not _utf8_csv(head, p.name):
        return _whole(p)
    return _SlicedCsv(p).open()


def _whole(path: Path) -> SlicedSubmission:
    data = path.read_bytes()
    sub = read_submission(data, path.name)
    return SlicedSubmission(sub.format, iter([sub.rows]), sub.warnings, lambda: len(data))


def _suffix(filename: str) -> str:
    name = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _utf8_csv(head: bytes, filename: str) -> bool:
    """Whether read_submission reads a file starting with ``head`` as UTF-8 CSV text."""
    suffix = _suffix(filename)
    if (suffix in (".xlsx", ".xlsm", ".parquet", ".pq", ".json")
            or suffix in _DOCUMENT_SUFFIXES
            or head.startswith((b"PK\x03\x04", b"PAR1", b"%PDF", b"\xd0\xcf\x11\xe0",
                                codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
            or b"\x00" in head[:4096]):  # UTF-32's marks hold NULs
        return False
    text = head.removeprefix(codecs.BOM_UTF8).decode("utf-8", errors="ignore")
    first = _FIRST_VISIBLE.search(text)
    return first is not None and first.group() not in "[{"


class _SlicedCsv:
    """Cuts a CSV file at line ends into slices of about SLICE_ROWS rows and reads each as
    _read_csv reads a whole file, numbering rows on from the slices before. A slice the
    quick reading cannot take (a quoted value over several lines, a ragged row) sends the
    rest to the careful reading of the whole file, which names every fault as before."""

    def __init__(self, path: Path):
        self.path = path
        self.warnings: list[Finding] = []
        self._unheaded: dict[int, Finding] = {}  # the first value of each unheaded column
        self.position = 0  # bytes of the file the slices given so far come from

    def open(self) -> SlicedSubmission:
        with self.path.open("rb") as f:
            cutter = _LineCutter(f)
            piece = cutter.next(SLICE_ROWS * _ROW_BYTES_GUESS)
            resume = (f.tell(), cutter.carry)
        bom = 3 if piece.startswith(codecs.BOM_UTF8) else 0
        try:
            text, data = _unix_lines(self._text(piece, bom, 0), b"" if bom else piece)
            head = _CsvHead.parse(text, self.path.name)
        except SubmissionError:
            # Reading the whole file finds the same fault, or one further on that comes
            # first (a byte that is not UTF-8 is named before a faulty header).
            return _whole(self.path)
        body = _csv_fast(text, data, head.sep, head.cols)
        if body is None:
            return _whole(self.path)
        rows = self._shape(head, body)
        # Later slices are cut to SLICE_ROWS rows at this slice's bytes per row.
        size = SLICE_ROWS * max(1, len(piece) // max(1, rows.height))
        self.position = len(piece)
        slices = self._slices(head, rows, body.height, piece.count(b"\n"), resume, size)
        return SlicedSubmission(head.format, slices, self.warnings, lambda: self.position)

    def _slices(self, head: _CsvHead, first: pl.DataFrame, lines: int, raw_lines: int,
                resume: tuple[int, bytes], size: int) -> Iterator[pl.DataFrame]:
        """``lines``: lines read after the header (line ends as _read_csv counts them);
        ``raw_lines``: line ends in the bytes read, as an encoding error counts them."""
        yield first
        header = head.line + "\n"
        with self.path.open("rb") as f:
            f.seek(resume[0])
            cutter = _LineCutter(f, resume[1], raw_lines)
            while piece := cutter.next(size):
                self.position += len(piece)
                text, data = _unix_lines(self._text(piece, 0, raw_lines), piece)
                raw_lines += piece.count(b"\n")
                body = _csv_fast(header + text, header.encode() + data if data else b"",
                                 head.sep, head.cols)
                del text, data
                if body is None:
                    yield from self._rest_whole(lines)
                    return
                rows = self._shape(head, body.with_columns(pl.col("row") + lines))
                lines += body.height
                if rows.height:
                    yield rows

    def _text(self, piece: bytes, bom: int, raw_lines: int) -> str:
        try:
            return str(memoryview(piece)[bom:], "utf-8")
        except UnicodeDecodeError as exc:
            _not_utf8(piece, exc.start + bom, raw_lines)

    def _shape(self, head: _CsvHead, body: pl.DataFrame) -> pl.DataFrame:
        rows, unheaded = head.shape(body)
        for i, finding in unheaded.items():
            self._unheaded.setdefault(i, finding)
        self.warnings[:] = [*head.layout.warnings,
                            *(self._unheaded[i] for i in sorted(self._unheaded))]
        return rows

    def _rest_whole(self, lines: int) -> Iterator[pl.DataFrame]:
        """The rows after line ``lines`` + 1 (the header), and every warning, from the
        careful reading of the whole file."""
        whole = read_submission(self.path.read_bytes(), self.path.name)
        self.position = self.path.stat().st_size
        self.warnings[:] = whole.warnings
        yield whole.rows.filter(pl.col("row") > lines + 1)


MAX_RECORD_BYTES = 16 << 20  # a row (a line, or quoted lines) longer than this is refused


class _LineCutter:
    """A file's bytes in pieces that each end at a line end outside quotes (the last at the
    end of the file), so that no row is cut in two. A row longer than MAX_RECORD_BYTES (a
    stray quote that is never closed, or no line end at all) is refused with its line,
    rather than read to the end of the file."""

    def __init__(self, f: BinaryIO, carry: bytes = b"", lines: int = 0):
        self.f = f
        self.carry = carry  # read, not yet handed out
        self.lines = lines  # line ends in the pieces handed out

    def next(self, size: int) -> bytes:
        """A piece of about ``size`` bytes or more; empty at the end of the file."""
        buf = self.carry
        while True:
            # At least as much again as is held: the buffer doubles, so a long row costs
            # a few reads and scans, not one per 64 bytes.
            block = self.f.read(max(size - len(buf), len(buf), 64))
            if not block:
                self.carry = b""
                self.lines += buf.count(b"\n")
                return buf
            buf += block
            cut = _line_end(buf)
            if cut:
                self.carry = buf[cut:]
                self.lines += buf.count(b"\n", 0, cut)
                return buf[:cut]
            if len(buf) > MAX_RECORD_BYTES:
                self._refuse(buf)

    def _refuse(self, buf: bytes) -> NoReturn:
        """``buf`` starts a row and holds no usable line end: say which line and why."""
        line = self.lines + 1
        mb = MAX_RECORD_BYTES >> 20
        # Line ends there are (all inside quotes), or an odd number of quotes: one opened
        # a quoted field and never closed it. Otherwise it is one very long line.
        if b"\n" in buf or buf.count(b'"') % 2:
            _fail("malformed_csv", f"line {line}: a double quote (\") opens a quoted field "
                  f"that is never closed (not within {mb} MB); remove the stray quote or "
                  "close it", row=line)
        _fail("malformed_csv", f"line {line} is longer than {mb} MB without a line end: "
              "is this a CSV file?", row=line)


def _line_end(buf: bytes) -> int:
    """Just after the last line end with an even number of quotes before it (outside any
    quoted value); 0 if there is none."""
    end = buf.rfind(b"\n")
    quotes = buf.count(b'"', 0, end + 1) if end >= 0 else 0
    while end >= 0 and quotes % 2:
        before = buf.rfind(b"\n", 0, end)
        quotes -= buf.count(b'"', before + 1, end + 1)
        end = before
    return end + 1


# -- shared --------------------------------------------------------------------------------
def _fail(check: str, message: str, row: int | None = None, column: str | None = None,
          value: Any = None) -> NoReturn:
    raise SubmissionError([Finding(row, column, value, check, "error", message)])


def _empty_rows() -> pl.DataFrame:
    return pl.DataFrame(schema=ROW_SCHEMA)


@dataclass
class _Layout:
    """Which header positions hold what."""

    kind: str  # "long" | "wide"
    keys: dict[str, int]  # indicator/unit/period/value (long) or unit/period (wide)
    indicators: list[int]  # wide: positions of the indicator columns
    blank: list[int]  # columns without a header: ignored, but warned about if not empty
    warnings: list[Finding]

    def read_positions(self) -> list[int]:
        return sorted([*self.keys.values(), *self.indicators, *self.blank])


def _layout(header: list[str], header_row: int, where: Callable[[int], str]) -> _Layout:
    """Classify a header row; ``where(i)`` names position i for messages (a column or cell)."""
    names = [h.strip() for h in header]
    lowered = [n.lower() for n in names]
    shown = ", ".join(n for n in names if n) or "(nothing)"
    seen: dict[str, int] = {}
    for i, low in enumerate(lowered):
        if not low or REFERENCE_MARK in low:
            continue
        if low in seen:
            _fail("header", Text(N_("the header names '%(name)s' twice (%(first)s and "
                                    "%(second)s): each column must appear once"),
                                 name=names[i], first=where(seen[low]), second=where(i)),
                  row=header_row, column=names[i])
        seen[low] = i
    blank = [i for i, low in enumerate(lowered) if not low]
    if "indicator" in seen or "value" in seen:
        missing = [c for c in LONG_COLUMNS if c not in seen]
        if missing:
            _fail("header", Text(N_("the header lacks %(missing)s: a long layout needs the "
                                    "columns %(columns)s (found: %(found)s)"),
                                 missing=", ".join(missing), columns=",".join(LONG_COLUMNS),
                                 found=shown), row=header_row)
        keys = {c: seen[c] for c in LONG_COLUMNS}
        warnings = [
            Finding(header_row, names[i], names[i], "extra_column", "warning",
                    Text(N_("column '%(name)s' (%(where)s) is not one of %(columns)s and was "
                            "not read"), name=names[i], where=where(i),
                         columns=",".join(LONG_COLUMNS)))
            for low, i in seen.items() if low not in LONG_COLUMNS]
        return _Layout("long", keys, [], blank, warnings)
    if all(k in seen for k in WIDE_KEYS):
        keys = {k: seen[k] for k in WIDE_KEYS}
        indicators = sorted(i for low, i in seen.items() if low not in WIDE_KEYS)
        if not indicators:
            _fail("header", Text(N_("the header has unit and period but no indicator "
                                    "columns: a wide layout needs one column per indicator "
                                    "code after unit,period")), row=header_row)
        return _Layout("wide", keys, indicators, blank, [])
    _fail("header", Text(N_("the header must be indicator,unit,period,value (one row per "
                            "figure) or unit,period followed by one column per indicator code "
                            "(one row per unit and period); found: %(found)s"), found=shown),
          row=header_row)


def _shape(body: pl.DataFrame, header: list[str], layout: _Layout, *,
           value_ref: Callable[[int], pl.Expr], skip_empty_values: bool) -> tuple[
               pl.DataFrame, list[Finding]]:
    """Turn a text table (columns c0..cn and ``row``) into the submission's rows.

    ``value_ref(i)`` gives the expression naming where a value in position i sits.
    """
    rows, unheaded, more = _shape_parts(body, header, layout, value_ref=value_ref,
                                        skip_empty_values=skip_empty_values)
    return rows, [*layout.warnings, *unheaded.values(), *more]


def _shape_parts(body: pl.DataFrame, header: list[str], layout: _Layout, *,
                 value_ref: Callable[[int], pl.Expr], skip_empty_values: bool) -> tuple[
                     pl.DataFrame, dict[int, Finding], list[Finding]]:
    """_shape's rows, its warnings about unheaded columns by position, and the others
    (the layout's aside)."""
    col = [f"c{i}" for i in range(len(header))]
    body = body.with_columns(
        pl.col(col[i]).fill_null("").str.strip_chars() for i in layout.read_positions())
    # Codes as our exports write them: "'=X" is the code "=X" (intake/cells.py).
    codes = [col[layout.keys[k]] for k in ("indicator", "unit") if k in layout.keys]
    quoted = [c for c in codes if body[c].str.starts_with("'").any()]
    if quoted:
        body = body.with_columns(as_written(pl.col(c)) for c in quoted)
    unheaded = _unheaded_data(body, layout)
    warnings: list[Finding] = []
    if layout.kind == "long":
        k = layout.keys
        rows = body.select(
            "row", *[pl.col(col[k[c]]).alias(c) for c in LONG_COLUMNS],
            value_ref(k["value"]).alias("value_column"))
        rows = rows.filter(pl.any_horizontal(pl.col(c) != "" for c in LONG_COLUMNS))
        if skip_empty_values:
            empty = rows.filter(pl.col("value") == "")["row"].to_list()
            if empty:
                warnings.append(Finding(
                    None, "value", None, "empty_value", "warning",
                    Text(N_("%(num)s row(s) have no value and were not read: %(rows)s"),
                         num=len(empty), rows=_row_list(empty))))
            rows = rows.filter(pl.col("value") != "")
    else:
        k = layout.keys
        parts = [
            body.select("row", pl.col(col[k["unit"]]).alias("unit"),
                        pl.col(col[k["period"]]).alias("period"),
                        pl.lit(header[i].strip()).alias("indicator"),
                        pl.col(col[i]).alias("value"),
                        value_ref(i).alias("value_column"))
            .filter(pl.col("value") != "")
            for i in layout.indicators]
        # One frame per indicator column, concatenated: the unpivot of a wide table, with
        # each value's own location. Left in column order: sorting by row would double the
        # cost of a large file, and findings are sorted by row anyway.
        rows = pl.concat(parts)
    return rows.select(list(ROW_SCHEMA)).cast(ROW_SCHEMA), unheaded, warnings


def _unheaded_data(body: pl.DataFrame, layout: _Layout) -> dict[int, Finding]:
    """A warning for each column without a header that holds data (its first value), by
    position."""
    out = {}
    for i in layout.blank:
        filled = body.filter(pl.col(f"c{i}") != "")
        if filled.height:
            first, row = filled[f"c{i}"][0], int(filled["row"][0])
            out[i] = Finding(row, None, first, "extra_column", "warning", Text(N_(
                "a column with no header (%(letter)s) holds data, e.g. '%(first)s' on row "
                "%(row)s: it was not read"), letter=_column_letter(i), first=first, row=row))
    return out


def _row_list(rows: list[int], limit: int = 20) -> str:
    shown = ", ".join(map(str, rows[:limit]))
    if len(rows) <= limit:
        return shown
    return Text(N_("%(rows)s and %(num)s more"), rows=shown, num=len(rows) - limit)


def _column_letter(i: int) -> str:
    """0-based position -> spreadsheet column letters (0 -> A, 26 -> AA)."""
    letters = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        letters = chr(65 + r) + letters
    return letters


# -- text: encoding, CSV, JSON --------------------------------------------------------------
def _decode(data: bytes, name: str) -> str:
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        _fail("encoding", f"{name} is saved as UTF-32: save it as 'CSV UTF-8' and submit "
              "again")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            _fail("encoding", f"{name} starts as UTF-16 but is damaged at byte {exc.start}: "
                  "save it as 'CSV UTF-8' and submit again")
    head = data[:4096]
    if b"\x00" in head:
        # UTF-16 without a byte-order mark has a NUL in every other byte for plain text.
        if head.count(b"\x00") >= len(head) // 3:
            _fail("encoding", f"{name} looks like UTF-16 text without a byte-order mark: "
                  "save it as 'CSV UTF-8' and submit again")
        _fail("format", Text(N_("%(file)s is not a text file: submit the figures as "
                                "%(accepted)s"), file=name, accepted=_ACCEPTED))
    bom = 3 if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return str(memoryview(data)[bom:], "utf-8")  # a view: no copy of a large file
    except UnicodeDecodeError as exc:
        _not_utf8(data, exc.start + bom)


def _not_utf8(data: bytes, at: int, lines_before: int = 0) -> NoReturn:
    """Refuse text whose byte ``at`` is not UTF-8; ``data`` may be a part of the file that
    starts after ``lines_before`` whole lines."""
    start = data.rfind(b"\n", 0, at) + 1
    end = data.find(b"\n", at)
    line_bytes = data[start:end if end >= 0 else len(data)].rstrip(b"\r")
    line = lines_before + data.count(b"\n", 0, at) + 1
    near = line_bytes.decode("cp1252", errors="replace")[:60]
    _fail("encoding", Text(N_(
        "line %(line)s is not UTF-8 (byte 0x%(byte)s, in '%(near)s'): the file looks saved in "
        "another encoding such as Windows-1252 or Latin-1; save it as 'CSV UTF-8' (Excel: "
        "File > Save As > CSV UTF-8) and submit again"), line=line, byte=f"{data[at]:02X}",
        near=near), row=line, value=near)


def _read_csv(text: str, data: bytes, name: str) -> Submission:
    """``data`` is the file's bytes when they are exactly ``text`` in UTF-8, else empty."""
    text, data = _unix_lines(text, data)
    head = _CsvHead.parse(text, name)
    body = _csv_fast(text, data, head.sep, head.cols)
    if body is None:
        body = _csv_slow(text, head.sep, len(head.header), name)
    rows, unheaded = head.shape(body)
    return Submission(head.format, rows, [*head.layout.warnings, *unheaded.values()])


def _unix_lines(text: str, data: bytes) -> tuple[str, bytes]:
    if "\r" in text:  # Windows (\r\n) and old Mac (\r) line ends
        return text.replace("\r\n", "\n").replace("\r", "\n"), b""
    return text, data


@dataclass
class _CsvHead:
    """A CSV file's header line, separator and layout."""

    line: str
    sep: str
    header: list[str]
    layout: _Layout

    @classmethod
    def parse(cls, text: str, name: str) -> _CsvHead:
        first_line = _first_line(text)
        if not first_line.strip():
            _fail("header", f"line 1 of {name} is empty: the header "
                  f"({','.join(LONG_COLUMNS)}) must be on line 1", row=1)
        sep = next((s for s in _SEPARATORS if s in first_line), ",")
        try:
            header = next(csv.reader([first_line], delimiter=sep, strict=True))
        except csv.Error as exc:
            _fail("malformed_csv", f"line 1 (the header) is not well-formed CSV: {exc}",
                  row=1)
        layout = _layout(header, 1, lambda i: Text(N_("column %(letter)s"),
                                                   letter=_column_letter(i)))
        return cls(first_line, sep, header, layout)

    @property
    def cols(self) -> list[str]:
        return [f"c{i}" for i in range(len(self.header))]

    @property
    def format(self) -> str:
        return "csv_long" if self.layout.kind == "long" else "csv_wide"

    def shape(self, body: pl.DataFrame) -> tuple[pl.DataFrame, dict[int, Finding]]:
        """The rows of a parsed body, and the warnings about unheaded columns holding data."""
        header, long = self.header, self.layout.kind == "long"
        rows, unheaded, _ = _shape_parts(
            body, header, self.layout,
            value_ref=lambda i: pl.lit("value" if long else header[i].strip()),
            skip_empty_values=False)
        return rows, unheaded


def _first_line(text: str) -> str:
    end = text.find("\n")
    return text if end < 0 else text[:end]


def _csv_fast(text: str, data: bytes, sep: str, cols: list[str]) -> pl.DataFrame | None:
    """Parse with polars; None when the file needs the careful line-by-line reading.

    Polars keeps blank lines as empty rows, so row i of the frame is line i + 2 as long
    as no quoted field spans lines: checked by counting lines. It silently pads short rows,
    so separators are counted too.
    """
    raw = data or text.encode()
    try:
        df = pl.read_csv(raw, has_header=True, new_columns=cols, separator=sep,
                         infer_schema=False, truncate_ragged_lines=False,
                         empty_string_is_null=False, quote_char='"')
    except (pl.exceptions.PolarsError, OSError):
        return None
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if lines - 1 != df.height:
        return None  # a quoted field spans lines: number rows the careful way
    n = len(cols)
    # Separators between fields = all in the text, less the header's, less those inside
    # (quoted) values. Polars refuses a row with too many fields, so a total of exactly
    # n - 1 per row proves every row complete. When it is short (blank lines, or a short
    # row), count per line with the quoted text removed.
    between = text.count(sep) - _first_line(text).count(sep)
    if '"' in text:
        between -= sum(df.select(pl.col(c).str.count_matches(sep, literal=True).sum()
                                 for c in cols).row(0))
    if between != (n - 1) * df.height:
        body_lines = pl.Series([text]).str.split("\n").explode().slice(1, df.height)
        counts = (body_lines.str.replace_all('"[^"]*"', "")
                  .str.count_matches(sep, literal=True))
        ragged = (body_lines.str.strip_chars() != "") & (counts != n - 1)
        if ragged.any():
            return None  # the careful reading names each ragged line
    return df.with_row_index("row", offset=2).with_columns(pl.col("row").cast(pl.Int64))


def _csv_slow(text: str, sep: str, n: int, name: str) -> pl.DataFrame:
    """Read line by line with the csv module, naming the line of every structural fault."""
    reader = csv.reader(io.StringIO(text), delimiter=sep, strict=True)
    findings: list[Finding] = []
    records: list[list[str]] = []
    starts: list[int] = []
    what = _SEPARATOR_NAMES[sep]
    end = 1
    try:
        next(reader)
        end = reader.line_num
        for rec in reader:
            start, end = end + 1, reader.line_num
            if not any(f.strip() for f in rec):
                continue  # blank line, or a row of empty cells
            if len(rec) != n:
                findings.append(Finding(
                    start, None, None, "malformed_csv", "error", Text(N_(
                        "line %(line)s has %(fields)s fields but the header has %(header)s: "
                        "check for a missing or extra %(what)s, or a value containing a "
                        "%(what)s that is not in double quotes"), line=start,
                        fields=len(rec), header=n, what=Text(what))))
                continue
            records.append(rec)
            starts.append(start)
    except csv.Error as exc:
        start = end + 1
        if "end of data" in str(exc) or "field limit" in str(exc):
            msg = Text(N_("line %(line)s: a double quote (\") opens a quoted field that is "
                          "never closed; remove the stray quote or close it"), line=start)
        else:
            msg = (f"line {reader.line_num}: malformed quoting ({exc}); a field containing a "
                   f"{what} or a quote must be wrapped in double quotes, with any quote "
                   "inside doubled (\"\")")
            start = reader.line_num
        findings.append(Finding(start, None, None, "malformed_csv", "error", msg))
    if findings:
        raise SubmissionError(findings)
    columns = list(zip(*records, strict=True)) if records else [()] * n
    body = pl.DataFrame({f"c{i}": list(columns[i]) for i in range(n)},
                        schema={f"c{i}": pl.String for i in range(n)})
    return body.with_columns(pl.Series("row", starts, dtype=pl.Int64))


# Half of a UTF-16 pair, which JSON can escape (\ud800) but no UTF-8 text can hold.
_SURROGATE = re.compile("[\ud800-\udfff]")


class _Fields(dict):
    """A JSON object's fields, remembering a key it gives twice (``repeated``): json would
    silently keep the last, and readers differ on which one counts."""

    def __init__(self, pairs: list[tuple[str, Any]]):
        super().__init__(pairs)
        self.repeated: str | None = None
        if len(self) < len(pairs):  # some key came twice: find the first
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    self.repeated = key
                    break
                seen.add(key)


class _Number(str):
    """A JSON number kept as the text written, so 1e400 reaches the validator as '1e400'."""


def _read_json(text: str, name: str) -> Submission:
    try:
        items = json.loads(text, parse_float=_Number, parse_int=_Number,
                           parse_constant=_Number, object_pairs_hook=_Fields)
    except json.JSONDecodeError as exc:
        _fail("json", f"{name} is not valid JSON: {exc.msg} at line {exc.lineno}, column "
              f"{exc.colno}")
    except RecursionError:
        _fail("json", f"{name} is nested too deeply (lists or objects inside each other "
              "hundreds of levels down): expected a list of flat objects")
    if not isinstance(items, list):
        found = "an object" if isinstance(items, dict) else f"a {type(items).__name__}"
        _fail("json", f"{name} must hold a list of objects like "
              '[{"indicator": "...", "unit": "...", "period": "...", "value": 12.5}]; '
              f"found {found}")
    findings: list[Finding] = []
    warnings: list[Finding] = []
    out: list[tuple[int, str, str, str, str]] = []
    extra_seen: set[str] = set()
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            findings.append(Finding(n, None, _short(item), "json_item", "error",
                                    f"item {n} is not an object with indicator, unit, period "
                                    "and value"))
            continue
        if item.repeated is not None:
            key = _SURROGATE.sub("\ufffd", item.repeated)
            findings.append(Finding(n, key, None, "json_item", "error",
                                    f"item {n} gives '{_short_text(key, 60)}' twice: give "
                                    "each field once"))
            continue
        fields = {_SURROGATE.sub("\ufffd", str(k)).strip().lower(): v
                  for k, v in item.items()}
        for key in fields.keys() - set(LONG_COLUMNS) - extra_seen:
            extra_seen.add(key)
            warnings.append(Finding(n, key, None, "extra_column", "warning",
                                    f"item {n} has '{key}', which is not read"))
        texts: list[str] = []
        for key in LONG_COLUMNS:
            if key not in fields:
                findings.append(Finding(n, key, None, "json_item", "error",
                                        f"item {n} has no '{key}'"))
                continue
            v = fields[key]
            if isinstance(v, str) and _SURROGATE.search(v):
                findings.append(Finding(n, key, None, "json_item", "error",
                                        f"item {n}: {key} holds a lone surrogate escape "
                                        "(\\ud800-\\udfff), which is not text"))
            elif isinstance(v, str):  # a number arrives as _Number, itself a str
                texts.append(v.strip())
            elif v is None and key == "value":
                findings.append(Finding(n, key, None, "json_item", "error",
                                        f"item {n}: value is null; leave the item out if "
                                        "there is no figure"))
            else:
                kind = ("a number or a string" if key == "value" else
                        "a string")
                findings.append(Finding(n, key, _short(v), "json_item", "error",
                                        f"item {n}: {key} must be {kind}, not "
                                        f"{_json_kind(v)}"))
        if len(texts) == len(LONG_COLUMNS):
            out.append((n, *texts))  # type: ignore[arg-type]
    if findings:
        raise SubmissionError(findings)
    rows = pl.DataFrame(out, schema={c: ROW_SCHEMA[c] for c in ["row", *LONG_COLUMNS]},
                        orient="row").with_columns(pl.lit("value").alias("value_column"))
    return Submission("json", rows.cast(ROW_SCHEMA), warnings)


def _json_kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "an object"
    return type(v).__name__


def _short(v: Any) -> str:
    try:
        s = json.dumps(v)
    except RecursionError:
        return "(nested too deeply to show)"
    return s if len(s) <= 60 else s[:57] + "..."


def _short_text(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


# -- binary: parquet, xlsx ------------------------------------------------------------------
def _read_parquet(data: bytes, name: str) -> Submission:
    try:
        df = pl.read_parquet(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - any reader failure means a damaged file
        _fail("parquet", f"{name} is not a readable Parquet file: {exc}")
    header = df.columns
    layout = _layout(header, 1, lambda i: Text(N_("column '%(name)s'"), name=header[i]))
    body = df.select(
        _parquet_text(df[c], name).alias(f"c{i}") for i, c in enumerate(header)
    ).with_row_index("row", offset=1).with_columns(pl.col("row").cast(pl.Int64))
    # A Parquet file has no header line: rows are numbered from 1, like JSON items.
    rows, warnings = _shape(
        body, header, layout,
        value_ref=lambda i: pl.lit("value" if layout.kind == "long" else header[i]),
        skip_empty_values=False)
    return Submission("parquet", rows, warnings)


def _parquet_text(s: pl.Series, name: str) -> pl.Series:
    """Any column type as the text a provider would have written."""
    dt = s.dtype
    if dt.is_float():
        whole = s.is_finite() & (s == s.round(0)) & (s.abs() < 1e15)
        return pl.select(pl.when(whole).then(s.cast(pl.Int64, strict=False).cast(pl.String))
                         .otherwise(s.cast(pl.String))).to_series()
    if isinstance(dt, pl.Datetime):
        midnight = (s.dt.time() == time(0)).all()
        return s.dt.strftime("%Y-%m-%d" if midnight else "%Y-%m-%dT%H:%M:%S")
    if dt.is_nested():
        _fail("parquet", f"{name}: column '{s.name}' holds {dt} values; expected plain "
              "text or numbers", column=s.name)
    try:
        return s.cast(pl.String)
    except pl.exceptions.PolarsError:
        _fail("parquet", f"{name}: column '{s.name}' ({dt}) cannot be read as text",
              column=s.name)


def _read_zip(data: bytes, name: str) -> Submission:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError):
        _fail("workbook", Text(N_("%(file)s is not a real Excel workbook (a damaged zip "
                                  "file): open it in Excel and save it as 'Excel Workbook "
                                  "(.xlsx)'"), file=name))
    if "xl/workbook.xml" in names:
        return _read_xlsx(data, name)
    if "xl/workbook.bin" in names:
        what = "an Excel binary workbook (.xlsb)"
    elif "word/document.xml" in names:
        what = "a Word document"
    elif any(n.startswith("ppt/") for n in names):
        what = "a PowerPoint file"
    elif "content.xml" in names:
        what = "an OpenDocument file"
    else:
        what = "a zip archive"
    _fail("format", f"{name} is {what}: submit the figures as {_ACCEPTED}")


def _read_xlsx(data: bytes, name: str) -> Submission:
    import openpyxl  # imported here: only workbooks need it

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - any reader failure means a damaged workbook
        _fail("workbook", f"{name} is not a readable Excel workbook ({type(exc).__name__}): "
              "open it in Excel and save it as 'Excel Workbook (.xlsx)'")
    try:
        sheets = {ws.title.strip().lower(): ws for ws in wb.worksheets}
        if not sheets:
            _fail("workbook", f"{name} has no worksheet")
        ws = sheets.get("data", wb.worksheets[0])
        # Read-only mode trusts the sheet's declared used range (its <dimension>), which
        # a generator can set too small: forget it and read every row there is.
        ws.reset_dimensions()
        return _read_sheet(ws, name)
    except SubmissionError:
        raise
    except Exception as exc:  # noqa: BLE001 - the sheet's XML is parsed as it is read
        _fail("workbook", f"{name} is not a readable Excel workbook: its sheet is damaged "
              f"({type(exc).__name__}: {_short_text(str(exc))}); open it in Excel and save "
              "it as 'Excel Workbook (.xlsx)'")
    finally:
        wb.close()


def _read_sheet(ws: Any, name: str) -> Submission:
    rows_iter = ws.iter_rows()
    header: list[str] | None = None
    header_row = 0
    for r, cells in enumerate(rows_iter, start=1):
        found = [str(c.value).strip() if c.value is not None else "" for c in cells]
        if {"unit", "period"} <= {t.lower() for t in found}:
            header, header_row = found, r
            break
        if r >= HEADER_SEARCH_ROWS:
            break
    if header is None:
        _fail("header", Text(N_(
            "no header row found in the first %(rows)s rows of sheet '%(sheet)s' of %(file)s: "
            "expected a row with indicator, unit, period, value (or unit, period and one "
            "column per indicator code)"), rows=HEADER_SEARCH_ROWS, sheet=ws.title, file=name))
    while header and not header[-1]:
        header.pop()  # trailing empty cells are not columns
    layout = _layout(header, header_row, lambda i: Text(
        N_("cell %(cell)s"), cell=f"{_column_letter(i)}{header_row}"))
    positions = layout.read_positions()
    period_at = layout.keys["period"]
    blank = set(layout.blank)
    findings: list[Finding] = []
    warnings: list[Finding] = []
    columns: dict[int, list[str]] = {i: [] for i in positions}
    row_numbers: list[int] = []
    for r, cells in enumerate(rows_iter, start=header_row + 1):
        texts: dict[int, str] = {}
        for i in positions:
            cell = cells[i] if i < len(cells) else None
            value = None if cell is None else cell.value
            if value is None:
                texts[i] = ""
                continue
            ref = f"{_column_letter(i)}{r}"
            if cell.data_type == "f" and i not in blank:  # unheaded columns are not read
                formula = getattr(value, "text", value)
                findings.append(Finding(
                    r, header[i], formula, "excel_formula", "error", Text(N_(
                        "cell %(cell)s holds a formula (%(formula)s); paste the value instead "
                        "(Paste Special > Values)"), cell=ref, formula=formula)))
                texts[i] = ""
                continue
            text, note = _cell_text(getattr(value, "text", value), cell.number_format or "",
                                    is_period=i == period_at)
            texts[i] = text
            if note:
                warnings.append(Finding(r, header[i], text, "excel_date", "warning",
                                        f"cell {ref} {note}"))
        if not any(texts.values()):
            continue
        row_numbers.append(r)
        for i in positions:
            columns[i].append(texts[i])
    if findings:
        raise SubmissionError(findings)
    body = pl.DataFrame({f"c{i}": columns[i] for i in positions},
                        schema={f"c{i}": pl.String for i in positions})
    body = body.with_columns(pl.Series("row", row_numbers, dtype=pl.Int64))
    rows, more = _shape(
        body, header, layout,
        value_ref=lambda i: pl.lit(_column_letter(i)) + pl.col("row").cast(pl.String),
        skip_empty_values=True)
    return Submission("xlsx", rows, [*more, *warnings])


_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')


def _cell_text(value: Any, number_format: str, *, is_period: bool) -> tuple[str, str | None]:
    """A cell's value as the text the provider meant, and a note when it was reinterpreted.

    Excel turns "2024-03" typed into a cell into the date 2024-03-01 shown as "Mar-24".
    A date in a period column is read back at the precision its display format shows:
    with a day (d) it is that day, with a month but no day (mmm-yy, yyyy-mm) that month,
    with only a year (yyyy) that year; a format showing nothing of the date (General)
    counts as a day. Quarters and weeks cannot be dates, so they arrive as text.
    """
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), None
    if isinstance(value, int):
        return str(value), None
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value)), None  # Excel stores every number as a float
        return repr(value), None
    if isinstance(value, (datetime, date)):
        day = value.date() if isinstance(value, datetime) else value
        if not is_period:
            timed = isinstance(value, datetime) and value.time() != time(0)
            return (value.isoformat() if timed else day.isoformat()), None
        tokens = _QUOTED.sub("", number_format.lower())
        if "d" in tokens or not any(t in tokens for t in "my"):
            code = day.isoformat()
        elif "m" in tokens:
            code = f"{day.year:04d}-{day.month:02d}"
        else:
            code = f"{day.year:04d}"
        return code, (f"holds a date shown as '{number_format}': read as period {code} "
                      "(to stop Excel turning a period into a date, format the column as "
                      "Text or type an apostrophe first: '2024-03)")
    if isinstance(value, time):
        return value.isoformat(), None
    return str(value).strip(), None
