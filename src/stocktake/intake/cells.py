"""Text we write into spreadsheets and CSV files, kept from being taken for a formula.

A spreadsheet treats a cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (or a tab
or carriage return before one) as a formula: a unit named ``=HYPERLINK(...)`` in the
template sent to providers, or a code in an export, would run on the reader's machine.
Following OWASP's advice on CSV injection, such text is written with a leading ``'``
(in a workbook: as text with Excel's own quote prefix, which shows no apostrophe).
Numbers are numbers, not text: ``-5`` stays a number. The readers take a ``'`` before
such a character off again, so an export submits back unchanged.
"""

from __future__ import annotations

import polars as pl

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_PATTERN = r"^[=+\-@\t\r]"


def csv_text(text: str) -> str:
    """``text`` as a CSV cell that no spreadsheet reads as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_column(column: str) -> pl.Expr:
    """csv_text over a text column."""
    col = pl.col(column)
    return (pl.when(col.str.contains(_FORMULA_PATTERN)).then(pl.lit("'") + col)
            .otherwise(col).alias(column))


def as_written(column: pl.Expr) -> pl.Expr:
    """A read text column with the ``'`` that csv_text adds taken off again."""
    return column.str.replace(r"^'([=+\-@\t\r])", "${1}")
