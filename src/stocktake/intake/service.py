"""The submission service: one batch in, validated in layers, stored atomically.

The CLI, the web upload, the API and the demo all submit through ``submit_file`` or
``submit_frame``. Validation layers, all reported together:

1. structure and domain (validate.py): codes, periods, values, duplicates, the
   indicator's range, periods not yet begun, the submitter's scope;
2. locks: periods approved and locked for the unit or a unit above it;
3. rules (rules.py), over the submitted values together with the stored ones;
4. hierarchy: a reported total against the sum of its children, within a tolerance;
5. statistics: outliers against the unit's own history (warnings, never rejections).

A batch with any error stores nothing, unless ``partial``: then the valid rows are stored
and the rows with errors are quarantined with their findings, to be fixed and resubmitted.
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine

from ..analysis.outliers import Outlier, check_values
from ..model.entities import Aggregation, DeliveryModel
from ..model.periods import Period
from ..store import approvals, model_repo, observations
from ..store.db import utcnow
from .findings import Finding, SubmissionError
from .formats import LONG_COLUMNS, read_submission
from .rules import evaluate_rules, model_rules
from .validate import validate_rows

DEFAULT_TOTAL_TOLERANCE = 1.0  # percent: a reported total may differ this much from its parts
PERIOD_WORDS = {"year": "years", "quarter": "quarters", "month": "months", "week": "weeks",
                "day": "days"}


@dataclass
class SubmissionResult:
    accepted: bool
    rows: int
    findings: list[Finding] = field(default_factory=list)
    batch: int | None = None
    duplicate_of: int | None = None  # an identical earlier file: nothing was stored
    added: int = 0
    revised: int = 0
    unchanged: int = 0
    quarantined: int = 0
    checksum: str = ""
    format: str = ""
    recorded_at: datetime | None = None

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "batch": self.batch,
            "accepted": self.accepted,
            "rows": self.rows,
            "format": self.format,
            "duplicate_of": self.duplicate_of,
            "added": self.added,
            "revised": self.revised,
            "unchanged": self.unchanged,
            "quarantined": self.quarantined,
            "checksum": self.checksum,
            "recorded_at": self.recorded_at.isoformat() if self.recorded_at else None,
            "findings": [f.to_dict() for f in self.findings],
        }


def submit_file(engine: Engine, path: str | Path, *, submitter: str, reason: str = "",
                scope: str | None = None, partial: bool = False, outlier_method: str =
                "modified_z", now: datetime | None = None) -> SubmissionResult:
    """Read, validate and store one file (any supported format) as one batch."""
    p = Path(path)
    if not p.is_file():
        return SubmissionResult(accepted=False, rows=0, findings=[Finding(
            None, None, str(p), "file", "error", f"no such file: {p}")])
    data = p.read_bytes()
    checksum = file_checksum(data)
    try:
        submission = read_submission(data, p.name)
    except SubmissionError as exc:
        return SubmissionResult(accepted=False, rows=0, findings=exc.findings,
                                checksum=checksum)
    del data  # read: the file's bytes (327 MB for 10 million rows) need not wait for the store
    result = submit_frame(engine, submission.rows, checksum=checksum, source=p.name,
                          format=submission.format, submitter=submitter, reason=reason,
                          scope=scope, partial=partial, outlier_method=outlier_method, now=now)
    result.findings = sorted(submission.warnings + result.findings,
                             key=lambda f: (f.row or 0, f.column or ""))
    return result


def submit_rows(engine: Engine | Connection, rows: list[tuple[str, str, str, Any]], *,
                submitter: str, reason: str = "", source: str = "rows",
                now: datetime | None = None, **options: Any) -> SubmissionResult:
    """Submit (indicator, unit, period, value) tuples, e.g. from the demo or a web form."""
    df = pl.DataFrame(
        [tuple("" if v is None else str(v) for v in r) for r in rows],
        schema={c: pl.String for c in LONG_COLUMNS}, orient="row",
    ).with_row_index("row", offset=2).with_columns(pl.col("row").cast(pl.Int64))
    text = "\n".join(",".join(map(str, r)) for r in rows).encode()
    return submit_frame(engine, df, checksum=file_checksum(text), source=source, format="rows",
                        submitter=submitter, reason=reason, now=now, **options)


@contextmanager
def _transaction(target: Engine | Connection):
    """A transaction of its own on an engine; a savepoint inside a caller's connection."""
    if isinstance(target, Connection):
        with target.begin_nested():
            yield target
    else:
        with target.begin() as conn:
            yield conn


class _Rejected(Exception):
    """Raised inside the transaction to roll back everything a rejected batch touched."""


def submit_frame(target: Engine | Connection, df: pl.DataFrame, *, checksum: str, source: str,
                 format: str, submitter: str, reason: str = "", now: datetime | None = None,
                 scope: str | None = None, partial: bool = False,
                 outlier_method: str = "modified_z") -> SubmissionResult:
    """Validate rows (columns row, indicator, unit, period, value as text; optionally
    value_column) and store them as one batch; see the module docstring."""
    now = now or utcnow()
    result = SubmissionResult(accepted=False, rows=df.height, checksum=checksum, format=format)
    if df.height == 0:
        result.findings.append(Finding(None, None, None, "no_rows", "error",
                                       "the file has a header but no rows of data"))
        return result
    try:
        with _transaction(target) as conn:
            _submit(conn, df, result, checksum=checksum, source=source, format=format,
                    submitter=submitter, reason=reason, now=now, scope=scope,
                    partial=partial, outlier_method=outlier_method)
    except _Rejected:
        result.accepted = False
    return result


def _submit(conn: Connection, df: pl.DataFrame, result: SubmissionResult, *, checksum: str,
            source: str, format: str, submitter: str, reason: str, now: datetime,
            scope: str | None, partial: bool, outlier_method: str) -> None:
    model = model_repo.read_model(conn)
    if not model.indicators or not model.units:
        result.findings.append(Finding(None, None, None, "no_model", "error",
                                       "no delivery model is loaded: run "
                                       "'stocktake load DIR' first"))
        raise _Rejected
    if scope is not None and scope not in model.units:
        result.findings.append(Finding(None, None, scope, "scope", "error",
                                       f"'{scope}' (--unit) is not a reporting unit"))
        raise _Rejected
    checked, findings = validate_rows(df, model, today=now.date(), scope=scope)
    ok = checked.filter(pl.col("ok"))
    findings += _lock_findings(conn, model, ok)
    stored = _stored_context(conn, model, ok)
    findings += _rule_findings(model, ok, stored)
    findings += _total_findings(model, ok, stored)
    findings += _outlier_findings(model, ok, stored, outlier_method)
    if "value_column" in df.columns:  # point value findings at the provider's own column
        where = dict(zip(df["row"].to_list(), df["value_column"].to_list(), strict=True))
        findings = [Finding(f.row, where.get(f.row, f.column), f.value, f.check, f.severity,
                            f.message) if f.column == "value" else f for f in findings]
    findings.sort(key=lambda f: (f.row or 0, f.column or ""))
    result.findings = findings
    error_rows = {f.row for f in findings if f.severity == "error"}
    if error_rows and not partial:
        raise _Rejected
    good = ok.filter(~pl.col("row").is_in(list(error_rows)))
    if good.height == 0 and not error_rows:
        raise _Rejected
    ids, uids = model_repo.indicator_ids(conn), model_repo.unit_ids(conn)
    keyed = good.select(
        pl.col("indicator").replace_strict(ids, return_dtype=pl.Int64).alias("indicator_id"),
        pl.col("unit").replace_strict(uids, return_dtype=pl.Int64).alias("unit_id"),
        "period", "value")
    observations.stage(conn, keyed)
    counts = observations.staged_counts(conn)
    earlier = observations.find_batch_by_checksum(conn, checksum)
    if earlier is not None and counts.added == counts.revised == 0 and not error_rows:
        result.accepted, result.duplicate_of, result.unchanged = True, earlier["id"], df.height
        observations.unstage(conn)
        return
    batch_id = observations.record_batch(
        conn, counts, checksum=checksum, submitter=submitter, reason=reason, source=source,
        format=format, recorded_at=now, rows=df.height, scope=scope,
        status="partial" if error_rows else "accepted",
        warnings=sum(1 for f in findings if f.severity == "warning"),
        quarantined=len(error_rows))
    quarantine = df.filter(pl.col("row").is_in(list(error_rows)))
    observations.record_findings(conn, batch_id, findings, checked)
    observations.record_quarantine(conn, batch_id, quarantine)
    result.accepted = True
    result.batch = batch_id
    result.added, result.revised, result.unchanged = counts.added, counts.revised, counts.unchanged
    result.quarantined = len(error_rows)
    result.recorded_at = now


def file_checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- the layers that need stored data -------------------------------------------------

def _lock_findings(conn: Connection, model: DeliveryModel, ok: pl.DataFrame) -> list[Finding]:
    locks = approvals.current_locks(conn)
    if not locks:
        return []
    out = []
    for row, unit, period in ok.select("row", "unit", "period").iter_rows():
        lock = approvals.locking_unit(model, locks, unit, period)
        if lock is not None:
            out.append(Finding(row, "period", period, "locked", "error",
                               f"{unit} {period} is locked: {lock.unit} {period} was approved "
                               f"on {lock.at:%Y-%m-%d} by {lock.by}; ask the delivery unit to "
                               f"reopen it ('stocktake reopen {lock.unit} {period} --reason ...')"))
    return out


def _stored_context(conn: Connection, model: DeliveryModel, ok: pl.DataFrame) -> pl.DataFrame:
    """Stored values the checks need: the submitted units, their parents and children, the
    indicators of the submission and of the rules, from the outlier window to the newest
    submitted period. Columns indicator, unit, period, value."""
    empty = pl.DataFrame(schema={"indicator": pl.String, "unit": pl.String,
                                 "period": pl.String, "value": pl.Float64})
    if ok.height == 0:
        return empty
    units = set(ok["unit"].unique().to_list())
    children: dict[str, list[str]] = {}
    for u in model.units.values():  # once: model.children(code) scans every unit
        if u.parent:
            children.setdefault(u.parent, []).append(u.code)
    for code in list(units):
        if model.units[code].parent:
            units.add(model.units[code].parent)
        units.update(children.get(code, ()))
    indicators = set(ok["indicator"].unique().to_list())
    if model.rules:
        for rule in model_rules(model):
            indicators.update(rule.indicators)
    periods = [Period.parse(p) for p in ok["period"].unique().to_list()]
    first = min(p.shift(-OUTLIER_WINDOW).code for p in periods)
    last = max(p.code for p in periods)
    frame = observations.latest(conn, indicators=sorted(indicators), units=sorted(units),
                                period_from=first, period_to=last, with_vintage=False)
    return frame.select("indicator", "unit", "period", "value")


OUTLIER_WINDOW = 36


def _overlay(stored: pl.DataFrame, ok: pl.DataFrame) -> pl.DataFrame:
    """Stored values with the submitted ones in their place."""
    new = ok.select("indicator", "unit", "period", "value")
    return pl.concat([stored.join(new, on=["indicator", "unit", "period"], how="anti"), new])


def _rule_findings(model: DeliveryModel, ok: pl.DataFrame, stored: pl.DataFrame
                   ) -> list[Finding]:
    if not model.rules or ok.height == 0:
        return []
    rules = model_rules(model)
    keys = ok.select("unit", "period").unique()
    values = _overlay(stored, ok).join(keys, on=["unit", "period"])
    out = []
    rows = {(u, p, i): r for r, i, u, p in ok.select("row", "indicator", "unit", "period")
            .iter_rows()}
    by_rule = {r.code: r for r in rules}
    for v in evaluate_rules(rules, values):
        involved = [rows[(v.unit, v.period, code)] for code in by_rule[v.rule].indicators
                    if (v.unit, v.period, code) in rows]
        if not involved:
            continue  # only stored values break it: not this submission's doing
        out.append(v.to_finding(row=min(involved), column="value"))
    return out


def _total_findings(model: DeliveryModel, ok: pl.DataFrame, stored: pl.DataFrame
                    ) -> list[Finding]:
    """A reported total that differs from the sum of its children by more than the
    indicator's tolerance (``total_tolerance``, percent). Only complete sets of children
    are compared: a missing child is not a zero."""
    summed = [c for c, i in model.indicators.items() if i.aggregation is Aggregation.SUM]
    sub = ok.filter(pl.col("indicator").is_in(summed))
    if sub.height == 0:
        return []
    values = _overlay(stored, ok).filter(pl.col("indicator").is_in(summed))
    parents = {u.code: u.parent for u in model.units.values()}
    children_n: dict[str, int] = {}
    for u in model.units.values():
        if u.parent:
            children_n[u.parent] = children_n.get(u.parent, 0) + 1
    tolerance = {c: float(model.indicators[c].attributes.get("total_tolerance",
                                                          DEFAULT_TOTAL_TOLERANCE))
                 for c in summed}
    kids = (values.with_columns(pl.col("unit").replace_strict(parents, default=None)
                                .alias("parent"))
            .filter(pl.col("parent").is_not_null())
            .group_by("indicator", "parent", "period")
            .agg(pl.col("value").sum().alias("children_sum"), pl.len().alias("n")))
    # Only complete sets of children, and only gaps beyond the tolerance, leave polars:
    # a dict of every submitted row would cost a second per million rows and gigabytes.
    gap = pl.col("value") - pl.col("children_sum")
    totals = (values.join(kids, left_on=["indicator", "unit", "period"],
                          right_on=["indicator", "parent", "period"])
              .filter(pl.col("n") >= pl.col("unit").replace_strict(children_n, default=0,
                                                                   return_dtype=pl.UInt32))
              .filter(gap.abs() > pl.col("indicator").replace_strict(
                  tolerance, return_dtype=pl.Float64) / 100
                  * pl.max_horizontal(pl.col("children_sum").abs(), pl.lit(1e-12))))
    if totals.height == 0:
        return []
    links = pl.DataFrame({"child": list(parents), "unit": list(parents.values())},
                         schema={"child": pl.String, "unit": pl.String})
    keys = totals.select("indicator", "unit", "period")
    wanted = pl.concat([keys, keys.join(links, on="unit").select(
        "indicator", pl.col("child").alias("unit"), "period")])
    rows = {(i, u, p): r for r, i, u, p in ok.join(wanted, on=["indicator", "unit", "period"])
            .select("row", "indicator", "unit", "period").iter_rows()}
    out = []
    for ind, unit, period, value, children_sum, n in totals.select(
            "indicator", "unit", "period", "value", "children_sum", "n").iter_rows():
        tol = float(model.indicators[ind].attributes.get("total_tolerance",
                                                         DEFAULT_TOTAL_TOLERANCE))
        gap = value - children_sum
        if abs(gap) <= tol / 100 * max(abs(children_sum), 1e-12):
            continue
        child_rows = [rows[(ind, c.code, period)] for c in model.children(unit)
                      if (ind, c.code, period) in rows]
        row = rows.get((ind, unit, period)) or (min(child_rows) if child_rows else None)
        if row is None:
            continue  # stored values only
        out.append(Finding(row, "value", value, "hierarchy_total", "warning",
                           f"{ind} for {unit} in {period} is {value:,.6g} but its "
                           f"{n} units below add up to {children_sum:,.6g} (a gap of "
                           f"{gap / children_sum:+.1%}, beyond the {tol:g}% allowed); "
                           "check the total or the parts"))
    return out


def _outlier_findings(model: DeliveryModel, ok: pl.DataFrame, stored: pl.DataFrame,
                      method: str) -> list[Finding]:
    if ok.height == 0 or stored.height == 0:
        return []
    ordinals = {p: Period.parse(p).ordinal for p in
                set(ok["period"].unique().to_list()) | set(stored["period"].unique().to_list())}
    types = {c: i.period_type for c, i in model.indicators.items()}

    def with_ordinal(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(
            pl.col("period").replace_strict(ordinals, return_dtype=pl.Int64)
            .alias("period_ordinal"))

    new = with_ordinal(ok)
    history = with_ordinal(stored).select("indicator", "unit", "period_ordinal", "value")
    checked = check_values(new.select("indicator", "unit", "period_ordinal", "value"),
                           history, method=method, window=OUTLIER_WINDOW)
    flagged = checked.with_columns(new["row"], new["period"]).filter(pl.col("flagged"))
    out = []
    for r in flagged.iter_rows(named=True):
        period_word = PERIOD_WORDS.get(types.get(r["indicator"], ""), "periods")
        o = Outlier.from_row(r)
        out.append(Finding(r["row"], "value", r["value"], f"outlier_{method}", "warning",
                           o.message(period_word, period=r["period"])))
    return out
