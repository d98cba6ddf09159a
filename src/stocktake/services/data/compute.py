"""Computing indicators from record-level data and submitting them (``stocktake compute``).

The values go in as one batch through the one submission service, like any provider's file:
the same validation, vintages (a recomputation after the records changed records
revisions) and quality scoring. With the batch goes its lineage: per indicator the
definition, the query the engine ran, the engine and the source's snapshot.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine

from ...compute import Computed, compute
from ...compute.engines import engines_for, preflight
from ...errors import Invalid, not_found
from ...intake.formats import LONG_COLUMNS
from ...intake.service import SubmissionResult, file_checksum, submit_frame
from ...model.computed import ENGINES
from ...model.entities import DeliveryModel
from ...model.files import load_model_dir
from ...model.periods import Period, PeriodError
from ...store.db import writing
from ...store.lineage import record_lineage

# Told as each indicator starts and ends: (indicator, index, how many).
Progress = Callable[[str, int, int], None]


@dataclass
class ComputeRun:
    """What ``stocktake compute`` did: the values per indicator, and the submission (None
    for a dry run)."""

    computed: list[Computed]
    submission: SubmissionResult | None = None
    start: date | None = None
    end: date | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "indicators": [{**c.lineage(), "values": [
                {"unit": u, "period": p, "value": v} for u, p, v in c.values],
                "empty_groups": c.empty_groups} for c in self.computed],
            "submission": self.submission.to_dict() if self.submission else None,
        }


def _silent(indicator: str, index: int, total: int) -> None:
    pass


def date_range(period: str | None, since: str | None) -> tuple[date | None, date | None]:
    """The days a --period (all of it) or --since (from its start on) covers."""
    if period and since:
        raise Invalid("give --period or --since, not both", source="--period")
    try:
        if period:
            p = Period.parse(period)
            return p.start, p.end
        if since:
            return Period.parse(since).start, None
    except PeriodError as exc:
        raise Invalid(str(exc), source="--since" if since else "--period") from None
    return None, None


def chosen(model: DeliveryModel, codes: list[str]) -> list[str]:
    """The indicators asked for (all computed ones when none is named), in model order."""
    if not codes:
        if not model.computes:
            raise Invalid("no indicator of the model has compute: (indicators.yaml)")
        return list(model.computes)
    for code in codes:
        if code not in model.indicators:
            raise not_found("indicator", code, list(model.indicators))
        if code not in model.computes:
            raise Invalid(f"indicator '{code}' has no compute: in indicators.yaml; computed "
                          f"ones: {', '.join(model.computes) or 'none'}")
    return list(dict.fromkeys(codes))


def compute_indicators(db: Engine, model_dir: str | Path, codes: list[str] | None = None, *,
                       period: str | None = None, since: str | None = None,
                       engine: str | None = None, dry_run: bool = False,
                       submitter: str = "compute", reason: str = "",
                       now: datetime | None = None, progress: Progress = _silent
                       ) -> ComputeRun:
    """Compute the indicators (all with ``compute:`` when none is named) from the model
    folder's sources on ``engine`` (default: each source's own) and, unless ``dry_run``,
    submit them as one batch with its lineage. Bad input raises Invalid or NotFound before
    any engine runs; nothing is stored when the submission is refused."""
    folder = Path(model_dir)
    model = load_model_dir(folder)
    wanted = chosen(model, codes or [])
    start, end = date_range(period, since)
    if engine is not None:
        if engine not in ENGINES:
            raise Invalid(f"'{engine}' is not one of {', '.join(ENGINES)}", source="--engine")
        for code in wanted:
            source = model.sources[model.computes[code].source]
            if engine not in engines_for(source):
                raise Invalid(f"indicator '{code}': its source '{source.code}' is read by "
                              f"{' or '.join(engines_for(source))}, not {engine}",
                              source="--engine")
    for code in dict.fromkeys(model.computes[c].source for c in wanted):
        preflight(model.sources[code], engine or model.sources[code].engine, folder)
    # Every level of the hierarchy above the records' units is computed from the records.
    ancestors = {u: [a.code for a in model.ancestors(u)] for u in model.units}
    run = ComputeRun([], start=start, end=end)
    for i, code in enumerate(wanted):
        progress(code, i, len(wanted))
        spec = model.computes[code]
        run.computed.append(compute(code, spec, model.sources[spec.source],
                                    model.indicators[code].period_type, engine=engine,
                                    base=folder, start=start, end=end,
                                    ancestors=ancestors))
        progress(code, i + 1, len(wanted))
    if dry_run:
        return run
    rows = [(c.indicator, unit, p, repr(v)) for c in run.computed for unit, p, v in c.values]
    frame = pl.DataFrame(rows, schema={col: pl.String for col in LONG_COLUMNS},
                         orient="row").with_row_index("row", offset=1).with_columns(
        pl.col("row").cast(pl.Int64))
    text = json.dumps(rows, sort_keys=True).encode()
    source_name = "compute: " + ", ".join(c.indicator for c in run.computed)
    with writing(db) as conn:
        result = submit_frame(conn, frame, checksum=file_checksum(text), source=source_name,
                              format="compute", submitter=submitter, reason=reason, now=now)
        if result.batch is not None and result.accepted:
            record_lineage(conn, result.batch, [c.lineage() for c in run.computed])
    run.submission = result
    return run
