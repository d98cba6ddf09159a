"""The commitments tracker (issue #17): load commitments from CSV or YAML, change a status
with a reason, and read them filtered and paged with their counts and the movement since
the last report.

"The last report" is ``since``: by default 30 days before the moment read (a monthly
note's span); the note and the delivery report pass their own period's start.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from ...delivery import commitments as dc
from ...errors import N_, Invalid, Problem, Text, not_found
from ...results.commitments import CommitmentsLoaded, CommitmentsReport, StatusSet
from ...store import commitments as store
from ...store.db import writing
from ..admin import audit
from ..reading.clock import now_of
from ..reading.series_data import read_model
from .documents import read_yaml

SINCE_DAYS = 30  # the default span of "movement since the last report"
PER_PAGE = 50
CSV_COLUMNS = ("code", "text", "minister", "department", "partners", "status", "rationale",
               "evidence", "priority", "indicator", "text_fr", "rationale_fr")


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of a commitments file: a CSV with a header, or YAML (a list of mappings, or
    a mapping with the list under ``commitments``)."""
    if not path.is_file():
        raise Invalid(Problem(Text(N_("no such file")), str(path)))
    if path.suffix.lower() == ".csv":
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise Invalid(Problem(Text(N_("not UTF-8 text: %(why)s"), why=str(exc)),
                                  str(path))) from None
        return list(csv.DictReader(io.StringIO(text)))
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise Invalid(Problem(Text(N_("a commitments file is .csv, .yaml or .yml")),
                              str(path)))
    raw = read_yaml(path)
    if isinstance(raw, dict):
        raw = raw.get("commitments")
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        raise Invalid(Problem(Text(N_("a list of commitments (mappings), or 'commitments:' "
                                   "holding one")), str(path)))
    return raw


def load_commitments(engine: Engine, source: Path | list[dict[str, Any]], *, by: str,
                     at: datetime | None = None, name: str = "",
                     require_languages: tuple[str, ...] = ("en",)) -> CommitmentsLoaded:
    """Add or update every commitment of a file (or rows given by the web or the demo). A
    row whose status differs from the commitment's current one records a status change,
    with the row's reason, by ``by``. All or nothing: one problem and nothing changes.

    A row lacking the French of its text or rationale is a problem when
    ``require_languages`` holds "fr", else a warning once the file holds any French (as
    for the model's files)."""
    if not by.strip():
        raise Invalid(Problem(Text(N_("a load needs the name of who loads it")), "by"))
    source_name = str(source) if isinstance(source, Path) else (name or "rows")
    raw = read_rows(source) if isinstance(source, Path) else source
    model = read_model(engine)
    rows = dc.parse_rows(raw, source=Path(source_name).name, priorities=model.priorities,
                         indicators=model.indicators)
    translations = dc.missing_french(rows, source=Path(source_name).name)
    if "fr" in require_languages and translations:
        raise Invalid(translations)
    warnings = tuple(translations) if dc.has_french(rows) else ()
    moment = now_of(engine, at)
    added = updated = changes = unchanged = 0
    with writing(engine) as conn:
        current = {code: h[-1]["status"] for code, h in store.statuses(conn).items()}
        for row in rows:
            is_new = row["code"] not in current
            changed = store.upsert(conn, row, at=moment)
            moved = current.get(row["code"]) != row["status"]
            if moved:
                store.add_status(conn, row["code"], status=row["status"],
                                 reason=row["reason"] or ("loaded" if is_new else ""),
                                 by=by, at=moment)
            added += is_new
            updated += changed and not is_new
            changes += moved and not is_new
            unchanged += not (changed or moved)
        audit.record(conn, "commitments_loaded", actor=by, subject=source_name, at=moment,
                     detail={"added": added, "updated": updated, "status_changes": changes})
    return CommitmentsLoaded(source=source_name, added=added, updated=updated,
                             status_changes=changes, unchanged=unchanged,
                             warnings=warnings or None)


def set_status(engine: Engine, code: str, status: str, *, reason: str, by: str,
               at: datetime | None = None, ip: str | None = None) -> StatusSet:
    """Change one commitment's status, with why (required: every change says why)."""
    key = dc.check_status(status)
    if not reason.strip():
        raise Invalid(Problem(Text(N_("a change of status needs a reason; it is kept with "
                                   "who changed it and when")), "reason"))
    moment = now_of(engine, at)
    with writing(engine) as conn:
        history = store.statuses(conn, codes=[code]).get(code)
        if not history:
            raise not_found("commitment", code, [r["code"] for r in store.rows(conn)])
        before = history[-1]["status"]
        store.add_status(conn, code, status=key, reason=reason.strip(), by=by, at=moment)
        audit.record(conn, "commitment_status_set", actor=by, subject=code, ip=ip, at=moment,
                     detail={"from": before, "to": key})
    return StatusSet(code=code, before=before, status=key, label=dc.STATUSES[key],
                     reason=reason.strip(), by=by, at=moment)


def _commitment(row: dict[str, Any], history: list[dict[str, Any]]) -> dc.Commitment:
    return dc.Commitment(
        code=row["code"], text=row["text"], minister=row["minister"],
        department=row["department"], partners=tuple(row["partners"]),
        rationale=row["rationale"], evidence=tuple(row["evidence"]),
        priority=row["priority"], indicator=row["indicator"], public=bool(row["public"]),
        text_fr=row["text_fr"], rationale_fr=row["rationale_fr"],
        history=tuple(dc.StatusChange(h["status"], h["reason"], h["by"], h["at"])
                      for h in history))


def read_commitments(engine: Engine, *, as_of: datetime | None = None,
                     public_only: bool = False) -> list[dc.Commitment]:
    """Every commitment known at ``as_of`` with its history up to then."""
    with engine.connect() as conn:
        rows = store.rows(conn, as_of)
        histories = store.statuses(conn, as_of)
    items = [_commitment(r, histories.get(r["code"], [])) for r in rows]
    return [c for c in items if c.public] if public_only else items


def one_commitment(engine: Engine, code: str, *,
                   as_of: datetime | None = None) -> dict[str, Any]:
    """One commitment as known at ``as_of``, with its history up to then."""
    every = read_commitments(engine, as_of=as_of)
    found = next((c for c in every if c.code.lower() == code.lower()), None)
    if found is None:
        raise not_found("commitment", code, [c.code for c in every])
    return {"as_of": now_of(engine, as_of), **found.to_dict()}


def _matches(c: dc.Commitment, status: str | None, minister: str | None,
             department: str | None, search: str | None) -> bool:
    if status and c.status != status:
        return False
    if minister and c.minister.lower() != minister.lower():
        return False
    if department and c.department.lower() != department.lower():
        return False
    if search:
        words = search.lower().split()
        hay = " ".join((c.code, c.text, c.text_fr, c.minister, c.department,
                        *c.partners)).lower()
        return all(w in hay for w in words)
    return True


def commitments_report(engine: Engine, *, as_of: datetime | None = None,
                       since: datetime | None = None, status: str | None = None,
                       minister: str | None = None, department: str | None = None,
                       search: str | None = None, public_only: bool = False, page: int = 1,
                       per_page: int = PER_PAGE) -> CommitmentsReport:
    """The commitments matching the filters, ``page`` of them (``per_page`` 0: all), the
    counts of every match by status, minister and department, and each match whose status
    moved since ``since`` (default: SINCE_DAYS before the moment read)."""
    key = dc.check_status(status) if status else None
    if page < 1 or per_page < 0:
        raise Invalid(Problem(Text(N_("page counts from 1; per_page is 0 (all) or more")),
                              "page"))
    moment = now_of(engine, as_of)
    start = since if since is not None else moment - timedelta(days=SINCE_DAYS)
    if start > moment:
        raise Invalid(Problem(Text(N_("since (%(since)s) is after the moment read "
                                   "(%(moment)s)"), since=f"{start:%Y-%m-%d}",
                              moment=f"{moment:%Y-%m-%d}"), "since"))
    every = read_commitments(engine, as_of=as_of, public_only=public_only)
    if minister and not any(c.minister.lower() == minister.lower() for c in every):
        raise not_found("minister", minister, sorted({c.minister for c in every}))
    if department and not any(c.department.lower() == department.lower() for c in every):
        raise not_found("department", department, sorted({c.department for c in every}))
    hits = [c for c in every if _matches(c, key, minister, department, search)]
    pages = max(1, math.ceil(len(hits) / per_page)) if per_page else 1
    shown = hits[(page - 1) * per_page: page * per_page] if per_page else hits
    return CommitmentsReport(
        as_of=moment, since=start,
        filters={"status": key, "minister": minister, "department": department,
                 "search": search, "public_only": public_only},
        total=len(hits), by_status=dc.status_counts(hits),
        by_minister=dc.counts(hits, "minister"), by_department=dc.counts(hits, "department"),
        movements=tuple(m.to_dict() for m in dc.movements(hits, start)),
        page=min(page, pages), pages=pages,
        commitments=tuple(_public(c) if public_only else c.to_dict() for c in shown),
        ministers=tuple(sorted({c.minister for c in every})),
        departments=tuple(sorted({c.department for c in every})))


def _public(c: dc.Commitment) -> dict[str, Any]:
    """What the public tracker shows: no names of who changed a status."""
    d = c.to_dict()
    d["history"] = [{k: h[k] for k in ("status", "label", "reason", "at")}
                    for h in d["history"]]
    return d


def commitments_csv(report: CommitmentsReport) -> str:
    """The commitments of a report as CSV (the public tracker's download)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow((*CSV_COLUMNS, "data_as_of"))
    for c in report.commitments:
        w.writerow((c["code"], c["text"], c["minister"], c["department"],
                    "; ".join(c["partners"]), c["label"], c["rationale"],
                    "; ".join(c["evidence"]), c["priority"] or "", c["indicator"] or "",
                    c.get("text_fr", ""), c.get("rationale_fr", ""),
                    report.as_of.date().isoformat()))
    return out.getvalue()


# The movements a leader reads first: a commitment that ran into trouble or was dropped,
# then those completed, then the rest.
NOTABLE = {"not_pursued": 0, "facing_challenges": 1, "completed_modified": 2,
           "completed_fully": 3, "on_track": 4}


def commitments_brief(engine: Engine, *, as_of: datetime | None = None,
                      since: datetime | None = None, shown: int = 5) -> dict[str, Any] | None:
    """What the note and the delivery report carry: the counts by status (in words), the
    number that changed status since ``since`` and the ``shown`` most notable of those
    changes (a commitment new since then is not a change). None without commitments."""
    if since is not None:  # a note on a month still to come reads from now
        since = min(since, now_of(engine, as_of))
    report = commitments_report(engine, as_of=as_of, since=since, per_page=1)
    if not report.total:
        return None
    changed = [m for m in report.movements if m["before"] is not None]
    changed.sort(key=lambda m: (NOTABLE[m["after"]], m["code"]))
    return {"total": report.total, "since": report.since,
            "by_status": {dc.STATUSES[k]: n for k, n in report.by_status.items()},
            "changed": len(changed), "notable": changed[:shown]}
