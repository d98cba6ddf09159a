"""Structural checks on submitted rows, vectorised with polars.

Each failing row becomes a Finding in the provider's terms (row, column, value, what
would be accepted). Checks look at unique values where they can, so a million rows with
a few hundred distinct codes and periods cost little more than reading them.
"""

from __future__ import annotations

import difflib

import polars as pl

from ..model.entities import DeliveryModel
from ..model.periods import Period, PeriodError
from .findings import Finding


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _code_findings(df: pl.DataFrame, column: str, known: list[str], what: str) -> list[Finding]:
    findings: list[Finding] = []
    bad = df.filter(~pl.col(column).is_in(known))
    if bad.height == 0:
        return findings
    hints: dict[str, str] = {}
    for row, value in bad.select("row", column).iter_rows():
        if value is None or value == "":
            findings.append(Finding(row, column, value, f"missing_{column}", "error",
                                    f"the {what} code is empty"))
            continue
        if value not in hints:
            hints[value] = _did_you_mean(value, known)
        findings.append(Finding(row, column, value, f"unknown_{column}", "error",
                                f"'{value}' is not a known {what} code{hints[value]}"))
    return findings


def validate_structure(df: pl.DataFrame,
                       model: DeliveryModel) -> tuple[pl.DataFrame, list[Finding]]:
    """Check codes, periods, values and duplicates.

    Returns the rows that passed, with canonical ``period`` and float ``value``, and the
    findings for the rest.
    """
    findings: list[Finding] = []
    findings += _code_findings(df, "indicator", list(model.indicators), "indicator")
    findings += _code_findings(df, "unit", list(model.units), "reporting unit")

    # Periods: parse each distinct (period type, code) once.
    period_types = {code: ind.period_type for code, ind in model.indicators.items()}
    df = df.with_columns(pl.col("indicator").replace_strict(
        period_types, default=None, return_dtype=pl.String).alias("_ptype"))
    canonical: dict[tuple[str, str], str | None] = {}
    problems: dict[tuple[str, str], str] = {}
    for ptype, code in df.select("_ptype", "period").unique().iter_rows():
        try:
            canonical[(ptype, code)] = Period.parse(code or "", ptype).code
        except PeriodError as exc:
            canonical[(ptype, code)] = None
            problems[(ptype, code)] = str(exc)
    keys = pl.DataFrame(
        [(t, c, v) for (t, c), v in canonical.items()],
        schema={"_ptype": pl.String, "period": pl.String, "_canonical": pl.String},
        orient="row",
    )
    df = df.join(keys, on=["_ptype", "period"], how="left", nulls_equal=True)
    for row, ptype, code in (df.filter(pl.col("_canonical").is_null())
                             .select("row", "_ptype", "period").iter_rows()):
        findings.append(Finding(row, "period", code, "period", "error",
                                problems.get((ptype, code), "the period is empty")))

    # Values: numbers only; no thousands separators, no text, nothing infinite.
    df = df.with_columns(pl.col("value").cast(pl.Float64, strict=False).alias("_value"))
    bad_values = df.filter(pl.col("_value").is_null() | ~pl.col("_value").is_finite())
    for row, raw in bad_values.select("row", "value").iter_rows():
        if raw is None or raw == "":
            msg, check = "the value is empty: leave the row out if there is no figure", \
                "missing_value"
        elif "," in raw:
            msg, check = f"'{raw}' is not a number: write it without thousands separators " \
                "(e.g. 1234.5)", "value_type"
        else:
            msg, check = f"'{raw}' is not a finite number", "value_type"
        findings.append(Finding(row, "value", raw, check, "error", msg))

    # Duplicate keys inside the file: which figure is meant is ambiguous.
    keyed = df.filter(pl.col("_canonical").is_not_null())
    firsts = (keyed.group_by("indicator", "unit", "_canonical")
              .agg(pl.col("row").min().alias("_first")))
    dupes = keyed.join(firsts, on=["indicator", "unit", "_canonical"]).filter(
        pl.col("row") != pl.col("_first"))
    for row, ind, unit, period, first in dupes.select(
            "row", "indicator", "unit", "_canonical", "_first").iter_rows():
        findings.append(Finding(row, None, f"{ind},{unit},{period}", "duplicate_key", "error",
                                f"{ind} for {unit} in {period} already appears on row {first}"))

    bad_rows = {f.row for f in findings if f.severity == "error"}
    clean = (df.filter(~pl.col("row").is_in(list(bad_rows)))
             .select("row", "indicator", "unit", pl.col("_canonical").alias("period"),
                     pl.col("_value").alias("value")))
    findings.sort(key=lambda f: (f.row or 0, f.column or ""))
    return clean, findings
