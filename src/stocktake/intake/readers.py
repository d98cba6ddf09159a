"""Reading submission files into one shape: row, indicator, unit, period, value (all text)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl

from .findings import Finding, SubmissionError

LONG_HEADER = ["indicator", "unit", "period", "value"]


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_long_csv(data: bytes, name: str = "file") -> pl.DataFrame:
    """Parse a long CSV (indicator,unit,period,value) into text columns plus ``row``.

    ``row`` is the line as a spreadsheet numbers it (header = 1), so a provider can find it.
    """
    if not data.strip():
        raise SubmissionError([Finding(None, None, None, "empty_file", "error",
                                       f"{name} is empty: expected the header "
                                       f"{','.join(LONG_HEADER)} and rows of data")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SubmissionError([Finding(line, None, None, "encoding", "error",
                                       f"{name} is not UTF-8 (byte {exc.start}, line {line}): "
                                       "save it as 'CSV UTF-8' and submit again")]) from None
    first_line = text.splitlines()[0]
    header = [h.strip().lower() for h in first_line.split(",")]
    missing = [c for c in LONG_HEADER if c not in header]
    if missing:
        raise SubmissionError([Finding(1, None, first_line, "header", "error",
                                       f"the header lacks {', '.join(missing)}; it must be "
                                       f"{','.join(LONG_HEADER)}")])
    try:
        df = pl.read_csv(text.encode(), infer_schema=False, has_header=True,
                         new_columns=header, truncate_ragged_lines=False)
    except (pl.exceptions.ComputeError, pl.exceptions.ShapeError) as exc:
        raise SubmissionError([Finding(None, None, None, "malformed_csv", "error",
                                       f"{name} is not a well-formed CSV: {exc}")]) from None
    df = df.select(LONG_HEADER).with_row_index("row", offset=2)
    return df.with_columns(
        pl.col("row").cast(pl.Int64),
        *[pl.col(c).str.strip_chars() for c in LONG_HEADER],
    )


def read_file(path: str | Path) -> tuple[bytes, str, pl.DataFrame]:
    """Read a submission file: its bytes, its detected format, and its rows."""
    p = Path(path)
    if not p.is_file():
        raise SubmissionError([Finding(None, None, str(p), "file", "error",
                                       f"no such file: {p}")])
    data = p.read_bytes()
    suffix = p.suffix.lower()
    if suffix not in (".csv", ".txt", ""):
        raise SubmissionError([Finding(None, None, p.name, "format", "error",
                                       f"{p.name}: only long CSV (indicator,unit,period,value) "
                                       "is read so far")])
    return data, "csv", read_long_csv(data, p.name)
