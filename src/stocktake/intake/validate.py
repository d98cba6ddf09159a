"""Structural and domain checks on submitted rows, vectorised with polars, slice by slice.

All checks are computed as flag columns in one lazy query per slice; only the failing rows
are then turned into Findings in the provider's terms (row, column, value, what would be
accepted). Codes and periods are looked up once per distinct value, so a million rows
with a few hundred distinct codes cost little more than reading them, and a batch of a
hundred rows costs a handful of polars operations, not dozens.

A large file arrives in slices (formats.open_submission); a slice's rows are checked and
reduced to what the later layers need: the rows without errors, compactly typed, and the
text of the rows with findings. Duplicates are found across slices by one integer per
key (indicator, unit and period packed together) remembered from the slices before.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from ..errors import N_, Invalid, Text, did_you_mean, hint
from ..model.entities import DeliveryModel, Indicator
from ..model.periods import Period, PeriodError
from ..text import number
from .findings import Finding, shorten

PERCENT_UNITS = {"%", "percent", "per cent", "percentage"}
# A key packs (indicator, unit) above a period number. Every valid period of every type
# (days from the year 1000 on, weeks, months, ...) numbers fewer than 2**23.
_PERIOD_BITS = 23
_PAIR_LIMIT = 1 << (63 - _PERIOD_BITS)
HINTED = 1_000  # distinct unknown codes that get a "did you mean" from the closest code
_LONGEST_HINTED = 200  # no code is longer; a longer value is not compared
_ERROR_FLAGS = ["_bad_indicator", "_bad_unit", "_bad_period", "_bad_value", "_below",
                "_above", "_fraction", "_future", "_outside", "_duplicate"]


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


def _domain_table(model: DeliveryModel) -> pl.DataFrame:
    rows = [(code, *value_domain(ind)) for code, ind in model.indicators.items()]
    return pl.DataFrame(rows, orient="row", schema={
        "indicator": pl.String, "_min": pl.Float64, "_max": pl.Float64, "_integer": pl.Boolean})


class RowChecker:
    """Checks a submission's rows, slice by slice: codes, periods, values, duplicates (across
    slices too), the indicator's domain, periods not yet begun, and units outside the
    submitter's ``scope`` (a unit code: it and those below).

    ``check(rows)`` takes one slice (columns row, indicator, unit, period, value as text,
    optionally value_column); slices come in file order. Then:

    - ``findings``: every finding, by row and column (columns ``value`` named as the
      slice's value_column says);
    - ``ok()`` (once, at the end): the rows without errors: row, indicator and unit
      (``pl.Enum`` of ``indicator_codes`` and ``unit_codes``, by default the model's),
      canonical period, float value; value_column where a row's is not ``value``; with
      ``keep_text`` also period_text and value_text as written;
    - ``flagged()``: the rows with findings: row, indicator and unit as written, canonical
      period (null if invalid), period_text and value_text as written.
    """

    def __init__(self, model: DeliveryModel, *, today: date | None = None,
                 scope: str | None = None, keep_text: bool = False,
                 indicator_codes: list[str] | None = None, unit_codes: list[str] | None = None):
        self.model, self.today, self.scope, self.keep_text = model, today, scope, keep_text
        self.indicators, self.units = list(model.indicators), list(model.units)
        self.indicator_type = pl.Enum(indicator_codes or self.indicators)
        self.unit_type = pl.Enum(unit_codes or self.units)
        if len(self.indicators) * len(self.units) >= _PAIR_LIMIT:
            raise Invalid(f"the model has {len(self.indicators):,} indicators and "
                             f"{len(self.units):,} units: too many pairs to check for "
                             "duplicates")
        self._indicator_pos = {c: i for i, c in enumerate(self.indicators)}
        self._unit_pos = {c: i for i, c in enumerate(self.units)}
        self._allowed = None
        if scope is not None:
            self._allowed = [scope, *[u.code for u in model.descendants(scope)]]
        self._domain = _domain_table(model).lazy()
        self._periods: dict[tuple[str | None, str | None], tuple] = {}
        self._period_texts: dict[str, str] = {}  # why a period fails, as its Text
        self._period_ids: dict[str, int] = {}
        self._unknown_pairs: dict[tuple[str | None, str | None], int] = {}
        self._seen: list[pl.DataFrame] = []  # _key, row: the first row of each key so far
        self._earlier: pl.DataFrame | None = None  # the slice's keys seen before, with rows
        self._ok: list[pl.DataFrame] = []
        self._flagged: list[pl.DataFrame] = []
        self._hints: dict[tuple[str, str], str] = {}
        self._by_case: dict[str, dict[str, str]] = {}
        self.findings: list[Finding] = []
        self.rows = 0

    # -- one slice ----------------------------------------------------------------------
    def check(self, df: pl.DataFrame) -> None:
        """Check one slice of rows; rows of later slices come later in the file."""
        self.rows += df.height
        if df.height == 0:
            return
        checked = self._flags(df)
        checked = self._duplicates(checked)
        checked = checked.with_columns(ok=~pl.any_horizontal(_ERROR_FLAGS))
        flagged = checked.filter(~pl.col("ok") | pl.col("_running"))
        if flagged.height:
            firsts = self._firsts(checked, flagged)
            flagged = flagged.join(firsts, on="_key", how="left", maintain_order="left")
            self.findings += located(self._findings(flagged), df)
            self._flagged.append(flagged.select(
                "row", "indicator", "unit", pl.col("_canonical").alias("period"),
                pl.col("period").alias("period_text"), pl.col("v_raw").alias("value_text")))
        self._ok.append(self._ok_rows(checked))

    def _flags(self, df: pl.DataFrame) -> pl.DataFrame:
        v = pl.col("_value")
        today = self.today
        units = len(self.units)
        return (
            df.lazy()
            # File order is kept: the duplicate check takes the first row of a key.
            .join(self._periods_table(df).lazy(), on=["indicator", "period"], how="left",
                  nulls_equal=True, maintain_order="left")
            .join(self._domain, on="indicator", how="left", maintain_order="left")
            .with_columns(
                v_raw=pl.col("value"), _value=pl.col("value").cast(pl.Float64, strict=False),
                _i=pl.col("indicator").replace_strict(self._indicator_pos, default=None,
                                                      return_dtype=pl.Int64),
                _u=pl.col("unit").replace_strict(self._unit_pos, default=None,
                                                 return_dtype=pl.Int64))
            .with_columns(
                _bad_indicator=pl.col("_i").is_null(),
                _bad_unit=pl.col("_u").is_null(),
                _bad_period=pl.col("_canonical").is_null(),
                _bad_value=v.is_null() | ~v.is_finite().fill_null(False),
                _below=(v < pl.col("_min")).fill_null(False),
                _above=(v > pl.col("_max")).fill_null(False),
                _fraction=(pl.col("_integer").fill_null(False) & (v != v.round(0)))
                .fill_null(False),
                _future=(pl.col("_start") > today).fill_null(False) if today
                else pl.lit(False),
                _running=((pl.col("_start") <= today) & (pl.col("_end") >= today))
                .fill_null(False) if today else pl.lit(False),
                _outside=(~pl.col("unit").is_in(self._allowed)).fill_null(True)
                if self._allowed is not None else pl.lit(False),
                # Null unless the indicator, unit and period are all valid.
                _key=(pl.col("_i") * units + pl.col("_u")) * (1 << _PERIOD_BITS)
                + pl.col("_pid"),
            )
            # A slice fits in memory: the in-memory engine takes a quarter less CPU here
            # than polars' default streaming one.
            .collect(engine="in-memory")
        )

    def _periods_table(self, df: pl.DataFrame) -> pl.DataFrame:
        """Each distinct (indicator, period) of the slice with its canonical code, dates and
        number, or the reason it fails; each pair is parsed once per submission."""
        out = []
        for indicator, code in df.select("indicator", "period").unique().iter_rows():
            known = self._periods.get((indicator, code))
            if known is None:
                ind = self.model.indicators.get(indicator)
                try:
                    p = Period.parse(code or "", ind.period_type if ind else None)
                    pid = self._period_ids.setdefault(p.code, len(self._period_ids))
                    known = (p.code, p.start, p.end, None, pid)
                except PeriodError as exc:
                    known = (None, None, None, str(exc), None)
                    self._period_texts[str(exc)] = exc.problems[0].message  # a Text
                self._periods[(indicator, code)] = known
            out.append((indicator, code, *known))
        if len(self._period_ids) >= 1 << _PERIOD_BITS:
            raise ValueError("more distinct periods than valid period codes exist")
        return pl.DataFrame(out, orient="row", schema={
            "indicator": pl.String, "period": pl.String, "_canonical": pl.String,
            "_start": pl.Date, "_end": pl.Date, "_period_problem": pl.String,
            "_pid": pl.Int64})

    def _duplicates(self, checked: pl.DataFrame) -> pl.DataFrame:
        """Flag each row whose key (indicator, unit, canonical period) came earlier in the
        file, and remember the keys that came first in this slice."""
        unknown = checked.filter(pl.col("_key").is_null() & pl.col("_pid").is_not_null())
        if unknown.height:
            # Unknown codes (errors anyway) still repeat: they get keys of their own, below 0.
            pairs = self._unknown_pairs
            for pair in unknown.select("indicator", "unit").unique().iter_rows():
                pairs.setdefault(pair, len(pairs))
            if len(pairs) >= _PAIR_LIMIT:
                raise Invalid("too many distinct unknown codes to check for duplicates")
            ids = pl.DataFrame([(i, u, n) for (i, u), n in pairs.items()], orient="row",
                               schema={"indicator": pl.String, "unit": pl.String,
                                       "_pair": pl.Int64})
            checked = (checked.join(ids, on=["indicator", "unit"], how="left", nulls_equal=True,
                                    maintain_order="left")
                       .with_columns(pl.coalesce(
                           "_key", -(pl.col("_pair") * (1 << _PERIOD_BITS) + pl.col("_pid"))
                           - 1)).drop("_pair"))
        key = pl.col("_key")
        # One hash table of this slice's keys, probed by every key seen before.
        self._earlier = (pl.concat(self._seen).join(checked.select("_key"), on="_key",
                                                    how="semi")
                         if self._seen else None)
        repeats = ~key.is_first_distinct()
        if self._earlier is not None and self._earlier.height:
            repeats |= key.is_in(self._earlier["_key"].implode())
        checked = checked.with_columns(_duplicate=key.is_not_null() & repeats)
        # Select, then filter: filtering copies every column it is given.
        self._seen.append(checked.select("_key", "row", "_duplicate")
                          .filter(key.is_not_null() & ~pl.col("_duplicate")).drop("_duplicate"))
        return checked

    def _firsts(self, checked: pl.DataFrame, flagged: pl.DataFrame) -> pl.DataFrame:
        """The first row of each key a flagged row repeats (``_first``)."""
        repeated = flagged.filter(pl.col("_duplicate")).select("_key").unique()
        here = checked.select("_key", "row").join(repeated, on="_key")
        parts = [here] if self._earlier is None else [self._earlier, here]
        return (pl.concat(parts).join(repeated, on="_key").group_by("_key")
                .agg(pl.col("row").min().alias("_first")))

    def _ok_rows(self, checked: pl.DataFrame) -> pl.DataFrame:
        columns = ["row", pl.col("indicator").cast(self.indicator_type),
                   pl.col("unit").cast(self.unit_type), pl.col("_canonical").alias("period"),
                   pl.col("_value").alias("value")]
        ok = pl.col("ok")
        if "value_column" in checked.columns and not checked.select(
                (pl.col("value_column").filter(ok) == "value").all()).item():
            columns.append("value_column")
        if self.keep_text:
            columns += [pl.col("period").alias("period_text"),
                        pl.col("v_raw").alias("value_text")]
        # Only the kept columns are filtered (and copied); the casts run on kept rows only.
        return checked.lazy().filter(ok).select(columns).collect(engine="in-memory")

    # -- the results --------------------------------------------------------------------
    def ok(self) -> pl.DataFrame:
        """The rows without errors (see the class). Call once, after the last slice: the
        checker then lets go of them, and of the keys it remembered, so that the caller's
        frame is the only copy."""
        parts = self._ok or [self._ok_rows(pl.DataFrame(schema=_EMPTY_CHECKED))]
        self._ok, self._seen, self._earlier = [], [], None
        located = [p.columns for p in parts if "value_column" in p.columns]
        if located:  # some slice's values sit elsewhere than "value"
            parts = [p.with_columns(value_column=pl.lit("value")).select(located[0])
                     if "value_column" not in p.columns else p for p in parts]
        return pl.concat(parts, how="vertical")

    def flagged(self) -> pl.DataFrame:
        """The rows with findings, of every slice so far (see the class)."""
        if not self._flagged:
            return pl.DataFrame(schema={"row": pl.Int64, "indicator": pl.String,
                                        "unit": pl.String, "period": pl.String,
                                        "period_text": pl.String, "value_text": pl.String})
        return pl.concat(self._flagged, how="vertical")

    def _hint(self, value: str, kind: str) -> str:
        """`` (did you mean 'X'?)``. A close match costs a scan of every code, so only the
        first HINTED distinct unknown codes get one; a code differing only in case always
        does (a dictionary look-up). 200,000 unknown codes once took minutes."""
        key = (value, kind)
        if key not in self._hints:
            codes = self.indicators if kind == "i" else self.units
            if kind not in self._by_case:
                self._by_case[kind] = {c.lower(): c for c in reversed(codes)}
            same = self._by_case[kind].get(value.lower())
            if same is not None:
                self._hints[key] = hint(same)
            elif len(self._hints) < HINTED and len(value) <= _LONGEST_HINTED:
                self._hints[key] = did_you_mean(value, codes)
            else:
                self._hints[key] = ""
        return self._hints[key]

    def _findings(self, flagged: pl.DataFrame) -> list[Finding]:
        model, today, scope = self.model, self.today, self.scope
        findings: list[Finding] = []
        # Each message is a Text: English as ever, said again on a French page (web.i18n).
        for r in flagged.iter_rows(named=True):
            row, ind, unit = r["row"], r["indicator"], r["unit"]
            add = findings.append
            for column, bad, kind, empty, unknown in (
                    ("indicator", r["_bad_indicator"], "i", N_("the indicator code is empty"),
                     N_("'%(code)s' is not a known indicator code%(hint)s")),
                    ("unit", r["_bad_unit"], "u", N_("the reporting unit code is empty"),
                     N_("'%(code)s' is not a known reporting unit code%(hint)s"))):
                if not bad:
                    continue
                value = r[column]
                if not value:
                    add(Finding(row, column, value, f"missing_{column}", "error", Text(empty)))
                else:
                    add(Finding(row, column, value, f"unknown_{column}", "error", Text(
                        unknown, code=shorten(value), hint=self._hint(value, kind))))
            if r["_bad_period"]:
                add(Finding(row, "period", r["period"], "period", "error",
                            self._period_texts.get(r["_period_problem"], r["_period_problem"])
                            or Text(N_("the period is empty"))))
            raw = r["v_raw"]
            if r["_bad_value"]:
                if not raw:
                    add(Finding(row, "value", raw, "missing_value", "error", Text(N_(
                        "the value is empty: leave the row out if there is no figure"))))
                elif "," in raw:
                    add(Finding(row, "value", raw, "value_type", "error", Text(N_(
                        "'%(value)s' is not a number: write it without thousands separators "
                        "(e.g. 1234.5)"), value=shorten(raw))))
                else:
                    add(Finding(row, "value", raw, "value_type", "error", Text(N_(
                        "'%(value)s' is not a finite number"), value=shorten(raw))))
            name = model.indicators[ind].unit if ind in model.indicators else ""
            if r["_below"]:
                add(Finding(row, "value", raw, "below_min", "error", Text(N_(
                    "%(value)s is below the lowest value %(indicator)s can take (%(min)s)"),
                    value=raw, indicator=ind, min=number(r["_min"]))))
            if r["_above"]:
                add(Finding(row, "value", raw, "above_max", "error", Text(N_(
                    "%(value)s is above the highest value %(indicator)s can take (%(max)s)"),
                    value=raw, indicator=ind, max=number(r["_max"]))))
            if r["_fraction"]:
                add(Finding(row, "value", raw, "not_integer", "error", Text(N_(
                    "%(value)s is not a whole number, but %(indicator)s counts %(what)s"),
                    value=raw, indicator=ind, what=name)))
            if r["_future"]:
                add(Finding(row, "period", r["period"], "future_period", "error", Text(N_(
                    "%(period)s has not started yet (today is %(today)s)"),
                    period=r["_canonical"], today=today)))
            elif r["_running"]:
                add(Finding(row, "period", r["period"], "period_not_over", "warning", Text(N_(
                    "%(period)s is not over yet (today is %(today)s): the figure may be "
                    "incomplete"), period=r["_canonical"], today=today)))
            if r["_outside"] and not r["_bad_unit"]:
                add(Finding(row, "unit", unit, "outside_scope", "error", Text(N_(
                    "%(unit)s is outside what you report for (%(scope)s and the units below "
                    "it)"), unit=unit, scope=scope)))
            if r["_duplicate"]:
                add(Finding(row, None, f"{ind},{unit},{r['_canonical']}", "duplicate_key",
                            "error", Text(N_(
                                "%(indicator)s for %(unit)s in %(period)s already appears on "
                                "row %(first)s"), indicator=ind, unit=unit,
                                period=r["_canonical"], first=r["_first"])))
        findings.sort(key=lambda f: (f.row or 0, f.column or ""))
        return findings


_EMPTY_CHECKED = {"row": pl.Int64, "indicator": pl.String, "unit": pl.String,
                  "period": pl.String, "_canonical": pl.String, "_value": pl.Float64,
                  "v_raw": pl.String, "ok": pl.Boolean}


def located(findings: list[Finding], df: pl.DataFrame) -> list[Finding]:
    """Findings about a value, pointed at the provider's own column for it (a wide file's
    indicator column, a workbook's cell) when the rows say where it sits."""
    if "value_column" not in df.columns:
        return findings
    rows = [f.row for f in findings if f.column == "value"]
    if not rows:
        return findings
    where = dict(df.filter(pl.col("row").is_in(rows)).select("row", "value_column")
                 .iter_rows())
    return [Finding(f.row, where.get(f.row, f.column), f.value, f.check, f.severity,
                    f.message) if f.column == "value" else f for f in findings]
