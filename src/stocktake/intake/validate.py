"""Structural and domain checks on submitted rows, vectorised with polars.

All checks are computed as flag columns in one lazy query; only the failing rows are
then turned into Findings in the provider's terms (row, column, value, what would be
accepted). Codes and periods are looked up once per distinct value, so a million rows
with a few hundred distinct codes cost little more than reading them, and a batch of a
hundred rows costs a handful of polars operations, not dozens.
"""

from __future__ import annotations

import difflib
from datetime import date

import polars as pl

from ..model.entities import DeliveryModel, Indicator
from ..model.periods import Period, PeriodError
from .findings import Finding

PERCENT_UNITS = {"%", "percent", "per cent", "percentage"}


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def value_domain(indicator: Indicator) -> tuple[float | None, float | None, bool]:
    """(min, max, whole numbers only) for an indicator's values.

    Declared min/max win; percentages default to 0-100; integer counts default to min 0.
    """
    attrs = indicator.attributes
    integer = bool(attrs.get("integer", False))
    low, high = attrs.get("min"), attrs.get("max")
    if indicator.unit.strip().lower() in PERCENT_UNITS:
        low = 0 if low is None else low
        high = 100 if high is None else high
    if integer and low is None:
        low = 0
    return low, high, integer


def _periods_table(df: pl.DataFrame, model: DeliveryModel) -> pl.DataFrame:
    """Each distinct (indicator, period) with its canonical code or the reason it fails."""
    out = []
    for indicator, code in df.select("indicator", "period").unique().iter_rows():
        ind = model.indicators.get(indicator)
        try:
            p = Period.parse(code or "", ind.period_type if ind else None)
            out.append((indicator, code, p.code, p.start, p.end, None))
        except PeriodError as exc:
            out.append((indicator, code, None, None, None, str(exc)))
    return pl.DataFrame(out, orient="row", schema={
        "indicator": pl.String, "period": pl.String, "_canonical": pl.String,
        "_start": pl.Date, "_end": pl.Date, "_period_problem": pl.String})


def _domain_table(model: DeliveryModel) -> pl.DataFrame:
    rows = [(code, *value_domain(ind)) for code, ind in model.indicators.items()]
    return pl.DataFrame(rows, orient="row", schema={
        "indicator": pl.String, "_min": pl.Float64, "_max": pl.Float64, "_integer": pl.Boolean})


def validate_rows(df: pl.DataFrame, model: DeliveryModel, *, today: date | None = None,
                  scope: str | None = None) -> tuple[pl.DataFrame, list[Finding]]:
    """Check codes, periods, values, duplicates, the indicator's domain, periods not yet
    begun, and units outside the submitter's ``scope`` (a unit code: it and those below).

    Returns every row with canonical ``period`` and float ``value`` plus a boolean ``ok``
    (no error on the row), and the findings.
    """
    indicators, units = list(model.indicators), list(model.units)
    allowed = None
    if scope is not None:
        allowed = [scope, *[u.code for u in model.descendants(scope)]]
    v = pl.col("_value")
    checked = (
        df.lazy()
        # File order is kept: the duplicate check below takes the first row of a key.
        .join(_periods_table(df, model).lazy(), on=["indicator", "period"], how="left",
              nulls_equal=True, maintain_order="left")
        .join(_domain_table(model).lazy(), on="indicator", how="left", maintain_order="left")
        .with_columns(v_raw=pl.col("value"),
                      _value=pl.col("value").cast(pl.Float64, strict=False))
        .with_columns(
            _bad_indicator=~pl.col("indicator").is_in(indicators).fill_null(False),
            _bad_unit=~pl.col("unit").is_in(units).fill_null(False),
            _bad_period=pl.col("_canonical").is_null(),
            _bad_value=v.is_null() | ~v.is_finite().fill_null(False),
            _below=(v < pl.col("_min")).fill_null(False),
            _above=(v > pl.col("_max")).fill_null(False),
            _fraction=(pl.col("_integer").fill_null(False) & (v != v.round(0))).fill_null(False),
            _future=(pl.col("_start") > today).fill_null(False) if today else pl.lit(False),
            _running=((pl.col("_start") <= today) & (pl.col("_end") >= today)).fill_null(False)
            if today else pl.lit(False),
            _outside=(~pl.col("unit").is_in(allowed)).fill_null(True)
            if allowed is not None else pl.lit(False),
            # A row after the first of its key; rows are in file order. A window
            # (min(row) over the key) would build a group for every row: at 10 million
            # rows 1.4 GB and twice the time. The first row is looked up for the
            # duplicates alone, below.
            _duplicate=pl.col("_canonical").is_not_null()
            & ~pl.struct("indicator", "unit", "_canonical").is_first_distinct(),
        )
    )
    error_flags = ["_bad_indicator", "_bad_unit", "_bad_period", "_bad_value", "_below",
                   "_above", "_fraction", "_future", "_outside", "_duplicate"]
    checked = checked.with_columns(ok=~pl.any_horizontal(error_flags)).collect()
    flagged = checked.filter(~pl.col("ok") | pl.col("_running"))
    key = ["indicator", "unit", "_canonical"]
    repeated = flagged.filter(pl.col("_duplicate")).select(key).unique()
    firsts = (checked.select("row", *key).join(repeated, on=key)
              .group_by(key).agg(pl.col("row").min().alias("_first")))
    flagged = flagged.join(firsts, on=key, how="left", maintain_order="left")
    findings = _findings(flagged, model, indicators, units, today, scope)
    clean = checked.select("row", "indicator", "unit", pl.col("_canonical").alias("period"),
                           pl.col("_value").alias("value"), "ok")
    return clean, findings


def _findings(flagged: pl.DataFrame, model: DeliveryModel, indicators: list[str],
              units: list[str], today: date | None, scope: str | None) -> list[Finding]:
    findings: list[Finding] = []
    hints: dict[tuple[str, str], str] = {}

    def hint(value: str, choices: list[str]) -> str:
        key = (value, "i" if choices is indicators else "u")
        if key not in hints:
            hints[key] = _did_you_mean(value, choices)
        return hints[key]

    for r in flagged.iter_rows(named=True):
        row, ind, unit = r["row"], r["indicator"], r["unit"]
        add = findings.append
        for column, bad, known, what in (("indicator", r["_bad_indicator"], indicators,
                                          "indicator"),
                                         ("unit", r["_bad_unit"], units, "reporting unit")):
            if not bad:
                continue
            value = r[column]
            if not value:
                add(Finding(row, column, value, f"missing_{column}", "error",
                            f"the {what} code is empty"))
            else:
                add(Finding(row, column, value, f"unknown_{column}", "error",
                            f"'{value}' is not a known {what} code{hint(value, known)}"))
        if r["_bad_period"]:
            add(Finding(row, "period", r["period"], "period", "error",
                        r["_period_problem"] or "the period is empty"))
        raw = r["v_raw"]
        if r["_bad_value"]:
            if not raw:
                add(Finding(row, "value", raw, "missing_value", "error",
                            "the value is empty: leave the row out if there is no figure"))
            elif "," in raw:
                add(Finding(row, "value", raw, "value_type", "error",
                            f"'{raw}' is not a number: write it without thousands "
                            "separators (e.g. 1234.5)"))
            else:
                add(Finding(row, "value", raw, "value_type", "error",
                            f"'{raw}' is not a finite number"))
        name = model.indicators[ind].unit if ind in model.indicators else ""
        if r["_below"]:
            add(Finding(row, "value", raw, "below_min", "error",
                        f"{raw} is below the lowest value {ind} can take ({r['_min']:g})"))
        if r["_above"]:
            add(Finding(row, "value", raw, "above_max", "error",
                        f"{raw} is above the highest value {ind} can take ({r['_max']:g})"))
        if r["_fraction"]:
            add(Finding(row, "value", raw, "not_integer", "error",
                        f"{raw} is not a whole number, but {ind} counts {name}"))
        if r["_future"]:
            add(Finding(row, "period", r["period"], "future_period", "error",
                        f"{r['_canonical']} has not started yet (today is {today})"))
        elif r["_running"]:
            add(Finding(row, "period", r["period"], "period_not_over", "warning",
                        f"{r['_canonical']} is not over yet (today is {today}): the figure "
                        "may be incomplete"))
        if r["_outside"] and not r["_bad_unit"]:
            add(Finding(row, "unit", unit, "outside_scope", "error",
                        f"{unit} is outside what you report for ({scope} and the units "
                        "below it)"))
        if r["_duplicate"]:
            add(Finding(row, None, f"{ind},{unit},{r['_canonical']}", "duplicate_key", "error",
                        f"{ind} for {unit} in {r['_canonical']} already appears on row "
                        f"{r['_first']}"))
    findings.sort(key=lambda f: (f.row or 0, f.column or ""))
    return findings
