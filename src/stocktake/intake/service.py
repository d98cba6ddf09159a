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

A large CSV file is read and checked a slice at a time (formats.open_submission,
validate.RowChecker): what is kept of it is the rows without errors, compactly typed,
and the text of the rows with findings. The later layers and the store work on those, in
the same one transaction: ten million rows take about a gigabyte, not four.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine

from ..analysis.outliers import Outlier, check_values
from ..errors import N_, Text
from ..model.entities import Aggregation, DeliveryModel
from ..model.periods import Period
from ..store import approvals, model_repo, observations
from ..store.db import utcnow, writing
from ..text import Number
from .findings import Finding, SubmissionError
from .formats import LONG_COLUMNS, open_submission
from .rules import evaluate_rules, model_rules
from .validate import RowChecker, located

DEFAULT_TOTAL_TOLERANCE = 1.0  # percent: a reported total may differ this much from its parts
# A signed share as a page in another language writes it (Babel's pattern): +5,1 %, −0,3 %.
SIGNED_PERCENT = "+#,##0.0\u00a0%;\u2212#,##0.0\u00a0%"
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
    backfill: bool = False  # history loaded after the fact: timeliness not assessed
    published: date | None = None  # when its source published it, where known

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
            "backfill": self.backfill,
            "published": self.published.isoformat() if self.published else None,
            "findings": [f.to_dict() for f in self.findings],
        }


Progress = Callable[[str, int | None, int | None], None]  # stage, done, total (or None)
READING = "Reading and checking the file"
AGAINST_STORED = "Checking rules, totals and outliers"
STORING = "Storing the batch"


def _silent(stage: str, done: int | None, total: int | None) -> None:
    pass


def submit_file(engine: Engine, path: str | Path, *, submitter: str, reason: str = "",
                scope: str | None = None, partial: bool = False, outlier_method: str =
                "modified_z", now: datetime | None = None, progress: Progress = _silent,
                backfill: bool = False, published: date | None = None) -> SubmissionResult:
    """Read, validate and store one file (any supported format) as one batch. A large CSV
    file is read and checked slice by slice (formats.open_submission), never whole.
    ``progress`` hears each stage: reading and checking (bytes of the file), checking
    against the stored values, storing. ``backfill``: the file is history loaded after
    the fact (published by its source on ``published``, where known), whose timeliness
    is not assessed."""
    p = Path(path)
    if not p.is_file():
        return SubmissionResult(accepted=False, rows=0, findings=[Finding(
            None, None, str(p), "file", "error", f"no such file: {p}")])
    checksum = path_checksum(p)
    size = p.stat().st_size
    try:
        progress(READING, 0, size)
        submission = open_submission(p)

        def checked() -> Iterator[pl.DataFrame]:  # how far into the file the checks are
            for part in submission:
                yield part
                progress(READING, submission.position, size)

        result = _submit_slices(
            engine, checked(), checksum=checksum, source=p.name, format=submission.format,
            submitter=submitter, reason=reason, scope=scope, partial=partial,
            outlier_method=outlier_method, now=now, progress=progress, backfill=backfill,
            published=published)
    except SubmissionError as exc:  # unreadable, on opening or further into the file
        return SubmissionResult(accepted=False, rows=0, findings=exc.findings,
                                checksum=checksum)
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
        with writing(target) as conn:
            yield conn


@contextmanager
def _reading(target: Engine | Connection):
    """A connection to read with, holding no lock: a caller's connection as it is."""
    if isinstance(target, Connection):
        yield target
    else:
        with target.connect() as conn:
            yield conn


class _Rejected(Exception):
    """Raised inside the transaction to roll back everything a rejected batch touched."""


def submit_frame(target: Engine | Connection, df: pl.DataFrame, *, checksum: str, source: str,
                 format: str, submitter: str, reason: str = "", now: datetime | None = None,
                 scope: str | None = None, partial: bool = False,
                 outlier_method: str = "modified_z", backfill: bool = False,
                 published: date | None = None) -> SubmissionResult:
    """Validate rows (columns row, indicator, unit, period, value as text; optionally
    value_column) and store them as one batch; see the module docstring."""
    if df.height == 0:
        return SubmissionResult(accepted=False, rows=0, checksum=checksum, format=format,
                                findings=[_no_rows()])
    return _submit_slices(target, [df], checksum=checksum, source=source, format=format,
                          submitter=submitter, reason=reason, now=now, scope=scope,
                          partial=partial, outlier_method=outlier_method, backfill=backfill,
                          published=published)


def _no_rows() -> Finding:
    return Finding(None, None, None, "no_rows", "error",
                   Text(N_("the file has a header but no rows of data")))


def _submit_slices(target: Engine | Connection, slices: Iterable[pl.DataFrame], *,
                   checksum: str, source: str, format: str, submitter: str, reason: str,
                   now: datetime | None, scope: str | None, partial: bool,
                   outlier_method: str, progress: Progress = _silent, backfill: bool = False,
                   published: date | None = None) -> SubmissionResult:
    """submit_frame for rows that come in slices (in file order). A SubmissionError from
    reading the slices rolls everything back and passes on.

    In two steps. The file is read and checked against the model first, holding no lock,
    so that other writers (a sign-in, a plan, another provider's check) go on meanwhile.
    Then the submission takes its turn (one batch at a time, batches in time order), and
    its time, and checks the rows against the stored values and stores them."""
    result = SubmissionResult(accepted=False, rows=0, checksum=checksum, format=format,
                              backfill=backfill, published=published)
    try:
        with _reading(target) as conn:
            model = model_repo.read_model(conn)
            load = model_repo.current_load(conn)
            ids, uids = model_repo.indicator_ids(conn), model_repo.unit_ids(conn)
        refusal = _published_refusal(backfill, published, (now or utcnow()).date())
        if refusal is not None:
            result.findings.append(refusal)
            raise _Rejected
        checker = _check_file(model, (ids, uids), slices, result, today=(now or utcnow()).date(),
                              scope=scope, partial=partial)
        with _transaction(target) as conn:
            observations.lock_batches(conn)
            if model_repo.current_load(conn) != load:
                result.findings.append(Finding(
                    None, None, None, "model_changed", "error", Text(N_(
                        "the delivery model was loaded again while the file was being "
                        "checked: submit it again"))))
                raise _Rejected
            _check_and_store(conn, model, checker, (ids, uids), result, checksum=checksum,
                             source=source, format=format, submitter=submitter,
                             reason=reason, now=now or utcnow(), partial=partial,
                             scope=scope, outlier_method=outlier_method, progress=progress)
    except _Rejected:
        result.accepted = False
    return result


def _published_refusal(backfill: bool, published: date | None, today: date) -> Finding | None:
    """Why a publication date cannot be taken: it says when history loaded after the fact
    first appeared, so it goes with a backfill and is not in the future."""
    if published is None:
        return None
    if not backfill:
        return Finding(None, None, published.isoformat(), "published", "error",
                       "a publication date is for history loaded after the fact: submit "
                       "it as a backfill (--backfill), or leave the date out")
    if published > today:
        return Finding(None, None, published.isoformat(), "published", "error",
                       f"published {published.isoformat()} is after today "
                       f"({today.isoformat()}): give the date the source published the data")
    return None


def _check_file(model: DeliveryModel, db_ids: tuple[dict[str, int], dict[str, int]],
                slices: Iterable[pl.DataFrame], result: SubmissionResult, *, today: date,
                scope: str | None, partial: bool) -> RowChecker:
    """The structural and domain layer over every slice (RowChecker); raises _Rejected
    for a submission that cannot be taken at all (no model, an unknown --unit, no rows)."""
    refusal = None
    if not model.indicators or not model.units:
        refusal = Finding(None, None, None, "no_model", "error", Text(N_(
            "no delivery model is loaded: run 'stocktake load DIR' first")))
    elif scope is not None and scope not in model.units:
        refusal = Finding(None, None, scope, "scope", "error",
                          f"'{scope}' (--unit) is not a reporting unit")
    if refusal is not None:
        # Read through: an unreadable file, or one without rows, says so first.
        result.rows = sum(part.height for part in slices)
        result.findings.append(refusal if result.rows else _no_rows())
        raise _Rejected
    ids, uids = db_ids
    checker = RowChecker(model, today=today, scope=scope, keep_text=partial,
                         indicator_codes=list(ids), unit_codes=list(uids))
    for part in slices:
        checker.check(part)
    result.rows = checker.rows
    if checker.rows == 0:
        result.findings.append(_no_rows())
        raise _Rejected
    return checker


def _check_and_store(conn: Connection, model: DeliveryModel, checker: RowChecker,
                     db_ids: tuple[dict[str, int], dict[str, int]],
                     result: SubmissionResult, *, checksum: str, source: str, format: str,
                     submitter: str, reason: str, now: datetime, scope: str | None,
                     partial: bool, outlier_method: str, progress: Progress) -> None:
    """The layers that need the stored values (locks, rules, totals, outliers), then the
    batch stored, or _Rejected raised with every finding."""
    ok = checker.ok()
    progress(AGAINST_STORED, None, None)
    stored = _stored_context(conn, model, ok)
    later = _lock_findings(conn, model, ok)
    later += _rule_findings(model, ok, stored)
    later += _total_findings(model, ok, stored)
    later += _outlier_findings(model, ok, stored, outlier_method)
    findings = checker.findings + located(later, ok)
    findings.sort(key=lambda f: (f.row or 0, f.column or ""))
    result.findings = findings
    error_rows = sorted({f.row for f in findings if f.severity == "error"})
    if error_rows and not partial:
        raise _Rejected
    progress(STORING, None, None)
    _store(conn, checker, ok, stored, result, error_rows, db_ids, checksum=checksum,
           source=source, format=format, submitter=submitter, reason=reason, now=now,
           scope=scope)


def _store(conn: Connection, checker: RowChecker, ok: pl.DataFrame, stored: pl.DataFrame,
           result: SubmissionResult, error_rows: list[int],
           db_ids: tuple[dict[str, int], dict[str, int]], *, checksum: str, source: str,
           format: str, submitter: str, reason: str, now: datetime, scope: str | None
           ) -> None:
    """Store the checked rows without errors as a batch (nothing, for an identical earlier
    file), with the findings, and the rows with errors in quarantine. ``db_ids``: the
    database's ids of indicator and unit codes, in the order of ``ok``'s Enum types."""
    findings = result.findings
    ids, uids = db_ids
    good = ok.filter(~pl.col("row").is_in(error_rows)) if error_rows else ok
    if good.height == 0:  # nothing to store: every row has an error, or none is left
        raise _Rejected
    # Keep what the findings and quarantine need of the rows with findings, then let the
    # rest go: at ten million rows each copy of them is hundreds of megabytes.
    noted = ok.filter(pl.col("row").is_in(sorted({f.row for f in findings
                                                  if f.row is not None})))
    columns = [_db_ids("indicator", ids), _db_ids("unit", uids), "period", "value"]
    if stored.height:
        keyed = (good.lazy().join(stored.lazy().rename({"value": "current"}),
                                  on=["indicator", "unit", "period"], how="left")
                 .select(*columns, "current").collect())
        del ok, good
        new, counts = observations.new_vintages(keyed)
        del keyed
    else:  # nothing stored around the batch (e.g. a first submission): every key is new
        new = good.select(columns)
        del ok, good
        counts = observations.BatchCounts(added=new.height, revised=0, unchanged=0)
    earlier = observations.find_batch_by_checksum(conn, checksum)
    if earlier is not None and counts.added == counts.revised == 0 and not error_rows:
        result.accepted, result.duplicate_of, result.unchanged = True, earlier["id"], result.rows
        return
    batch_id = observations.record_batch(
        conn, new, counts, checksum=checksum, submitter=submitter, reason=reason,
        source=source, format=format, recorded_at=now, rows=result.rows, scope=scope,
        status="partial" if error_rows else "accepted",
        warnings=sum(1 for f in findings if f.severity == "warning"),
        quarantined=len(error_rows), backfill=result.backfill, published=result.published)
    del new
    flagged = checker.flagged()
    observations.record_findings(conn, batch_id, findings, pl.concat([
        flagged.select("row", "indicator", "unit", "period"),
        noted.select("row", pl.col("indicator").cast(pl.String),
                     pl.col("unit").cast(pl.String), "period")]))
    if error_rows:
        observations.record_quarantine(conn, batch_id, _as_written(flagged, noted, error_rows))
    result.accepted = True
    result.batch = batch_id
    result.added, result.revised, result.unchanged = counts.added, counts.revised, counts.unchanged
    result.quarantined = len(error_rows)
    result.recorded_at = now


def file_checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def path_checksum(path: Path) -> str:
    """file_checksum of a file's bytes, read a block at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _db_ids(column: str, ids: dict[str, int]) -> pl.Expr:
    """An Enum column of codes (categories in ``ids``' order) as the database's ids."""
    by_position = dict(enumerate(ids.values()))
    return (pl.col(column).to_physical().cast(pl.Int64)
            .replace_strict(by_position, return_dtype=pl.Int32).alias(f"{column}_id"))


def _as_written(flagged: pl.DataFrame, noted: pl.DataFrame, rows: list[int]) -> pl.DataFrame:
    """The values on rows with errors as the provider wrote them (row, indicator, unit,
    period, value), in row order: from the checker's flagged values, and the values without
    structural errors on those rows (kept with their text when partial). A row of a wide
    file holds several values, one per indicator: all of them go."""
    text = ["row", "indicator", "unit", pl.col("period_text").alias("period"),
            pl.col("value_text").alias("value")]
    return (pl.concat([flagged.select(text),
                       noted.select("row", pl.col("indicator").cast(pl.String),
                                    pl.col("unit").cast(pl.String),
                                    pl.col("period_text").alias("period"),
                                    pl.col("value_text").alias("value"))])
            .filter(pl.col("row").is_in(rows))
            .unique(["row", "indicator"], keep="first", maintain_order=True)
            .sort("row", maintain_order=True))


# -- the layers that need stored data -------------------------------------------------
# ``ok`` (RowChecker.ok) holds the rows without structural errors, codes as pl.Enum;
# ``stored`` the stored values around them, typed alike.

def _lock_findings(conn: Connection, model: DeliveryModel, ok: pl.DataFrame) -> list[Finding]:
    locks = approvals.current_locks(conn)
    if not locks or ok.height == 0:
        return []
    locked = {}
    for unit, period in ok.select("unit", "period").unique().iter_rows():
        lock = approvals.locking_unit(model, locks, unit, period)
        if lock is not None:
            locked[(unit, period)] = lock
    if not locked:
        return []
    keys = pl.DataFrame(list(locked), orient="row",
                        schema={"unit": ok.schema["unit"], "period": pl.String})
    out = []
    for row, unit, period in (ok.select("row", "unit", "period")
                              .join(keys, on=["unit", "period"]).iter_rows()):
        lock = locked[(unit, period)]
        out.append(Finding(row, "period", period, "locked", "error", Text(N_(
            "%(unit)s %(period)s is locked: %(locked)s %(period)s was approved on %(day)s by "
            "%(by)s; ask the delivery unit to reopen it ('stocktake reopen %(locked)s "
            "%(period)s --reason ...')"), unit=unit, period=period, locked=lock.unit,
            day=lock.at.date(), by=lock.by)))
    return out


def _stored_context(conn: Connection, model: DeliveryModel, ok: pl.DataFrame) -> pl.DataFrame:
    """Stored values the checks need: the submitted units, their parents and children, the
    indicators of the submission and of the rules, from the outlier window to the newest
    submitted period. Columns indicator, unit (typed as in ``ok``), period, value. It holds
    the stored value of every submitted key, if any: the batch is compared with it."""
    empty = pl.DataFrame(schema={"indicator": ok.schema["indicator"],
                                 "unit": ok.schema["unit"], "period": pl.String,
                                 "value": pl.Float64})
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
    codes = ok["period"].unique().to_list()
    periods = [Period.parse(p) for p in codes]
    # Codes compare as text; the submitted ones themselves bound the range too.
    first = min([*codes, *(p.shift(-OUTLIER_WINDOW).code for p in periods)])
    last = max(codes)
    frame = observations.latest(conn, indicators=sorted(indicators), units=sorted(units),
                                period_from=first, period_to=last, with_vintage=False,
                                ordered=False)
    return frame.select(pl.col("indicator").cast(ok.schema["indicator"]),
                        pl.col("unit").cast(ok.schema["unit"]), "period", "value")


OUTLIER_WINDOW = 36


def _overlay(stored: pl.DataFrame, ok: pl.DataFrame) -> pl.DataFrame:
    """Stored values with the submitted ones in their place."""
    new = ok.select("indicator", "unit", "period", "value")
    if stored.height == 0:
        return new
    return pl.concat([stored.join(new, on=["indicator", "unit", "period"], how="anti"), new])


def _rule_findings(model: DeliveryModel, ok: pl.DataFrame, stored: pl.DataFrame
                   ) -> list[Finding]:
    if not model.rules or ok.height == 0:
        return []
    rules = model_rules(model)
    keys = ok.select("unit", "period").unique()
    values = _overlay(stored, ok).join(keys, on=["unit", "period"])
    violations = evaluate_rules(rules, values)
    if not violations:
        return []
    # Each violation is reported on the first submitted row among its indicators.
    by_rule = {r.code: r for r in rules}
    involved = pl.DataFrame(
        [(n, v.unit, v.period, code) for n, v in enumerate(violations)
         for code in by_rule[v.rule].indicators], orient="row",
        schema={"_v": pl.Int64, "unit": pl.String, "period": pl.String,
                "indicator": pl.String})
    involved = involved.with_columns(
        pl.col("unit").cast(ok.schema["unit"], strict=False),
        pl.col("indicator").cast(ok.schema["indicator"], strict=False))
    first = dict(ok.join(involved, on=["unit", "period", "indicator"])
                 .group_by("_v").agg(pl.col("row").min()).iter_rows())
    # Violations on stored values only are not this submission's doing.
    return [v.to_finding(row=first[n], column="value") for n, v in enumerate(violations)
            if n in first]


def _total_findings(model: DeliveryModel, ok: pl.DataFrame, stored: pl.DataFrame
                    ) -> list[Finding]:
    """A reported total that differs from the sum of its children by more than the
    indicator's tolerance (``total_tolerance``, percent). Only complete sets of children
    are compared: a missing child is not a zero."""
    summed = [c for c, i in model.indicators.items() if i.aggregation is Aggregation.SUM]
    if ok.height == 0 or not ok.select(pl.col("indicator").is_in(summed).any()).item():
        return []
    # Lazy: the summed values, parents and sums are never all held at once.
    values = _overlay(stored, ok).lazy().filter(pl.col("indicator").is_in(summed))
    parents = {u.code: u.parent for u in model.units.values()}
    children_n: dict[str, int] = {}
    for u in model.units.values():
        if u.parent:
            children_n[u.parent] = children_n.get(u.parent, 0) + 1
    tolerance = {c: float(model.indicators[c].attributes.get("total_tolerance",
                                                          DEFAULT_TOTAL_TOLERANCE))
                 for c in summed}
    unit_type = ok.schema["unit"]
    kids = (values.with_columns(pl.col("unit").replace_strict(parents, default=None,
                                                              return_dtype=unit_type)
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
                  * pl.max_horizontal(pl.col("children_sum").abs(), pl.lit(1e-12)))
              .collect())
    if totals.height == 0:
        return []
    links = pl.DataFrame({"child": list(parents), "unit": list(parents.values())},
                         schema={"child": unit_type, "unit": unit_type})
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
        out.append(Finding(row, "value", value, "hierarchy_total", "warning", Text(N_(
            "%(indicator)s for %(unit)s in %(period)s is %(value)s but its %(num)s units "
            "below add up to %(parts)s (a gap of %(gap)s, beyond the %(tol)s%% allowed); "
            "check the total or the parts"), indicator=ind, unit=unit, period=period,
            value=Number(value, f"{value:,.6g}"), num=n,
            parts=Number(children_sum, f"{children_sum:,.6g}"),
            gap=Number(gap / children_sum, f"{gap / children_sum:+.1%}", SIGNED_PERCENT),
            tol=Number(tol, f"{tol:g}"))))
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
