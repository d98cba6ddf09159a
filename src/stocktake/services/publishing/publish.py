"""The public progress site: what the public may see of the priorities marked
``published: true`` in priorities.yaml, and writing it out as a static site.

Only published priorities appear, and only complete periods (the figures status uses: a
partial roll-up is a draft, not a fact). For each priority: headline, baseline, latest
actual, target, status in words, the headline chart, each unit one level below the scope
against its share of the trajectory, and the headline series as CSV (scope and those
units). Rendering is the caller's (web.public renders the same pages it serves under
/public), so this module holds the numbers and the file layout, not the HTML.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from ...delivery.commitments import STATUSES
from ...errors import Invalid, Problem, StocktakeError
from ...intake.cells import csv_text
from ...model.entities import DeliveryModel, Priority
from ...reports.charts import headline_chart, unit_panel
from ...reports.formatting import status_sentence
from ...reports.locale import writing_in
from ...results.readings import SpcChart
from ...results.status import PriorityTrajectory, UnitReading, UnitStatus
from ...store.db import get_meta
from ..reading.readings import PARTIAL_RULE, spc_chart
from ..reading.series_data import iso
from ..reading.snapshot import Snapshot
from ..reading.status import priority_codes, priority_status, priority_trajectory, unit_readings
from ..routines.commitments import commitments_csv, commitments_report
from .packs import trajectory_in

INDEX = "index.html"
TRACKER, TRACKER_CSV = "commitments.html", "commitments.csv"
STYLESHEET = "style.css"
SAFE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
CSV_COLUMNS = ("priority", "indicator", "unit", "unit_name", "level", "period", "value",
               "expected")
FRENCH_NAME = "unit_name_fr"  # a CSV column only when the model names a unit in French

# A page renderer: (template name, context) -> HTML text.
Render = Callable[[str, dict[str, Any]], str]


def priority_page(code: str) -> str:
    return f"priority-{code}.html"


def unit_page(code: str) -> str:
    return f"unit-{code}.html"


def csv_file(code: str) -> str:
    return f"data-{code}.csv"


def is_published(p: Priority) -> bool:
    # Only an explicit true publishes: a typo or a missing key keeps a priority internal.
    return p.attributes.get("published") is True


def published_priorities(model: DeliveryModel) -> list[Priority]:
    chosen = [p for p in model.priorities.values() if is_published(p)]
    for p in chosen:
        for code in (p.code, *(u.code for u in model.children(p.scope))):
            if not SAFE_CODE.match(code):  # codes become file names on the site
                raise Invalid(f"code '{code}' (priority {p.code}) cannot be a file name on "
                              "the public site: use letters, digits, '_', '.' and '-'")
    return chosen


def french(thing: Any, field: str = "name") -> str | None:
    """The French of a model field (``name_fr``, ``title_fr``, ``unit_fr``), where the model
    has one."""
    return getattr(thing, f"{field}_fr", None) or None


def _jurisdiction(row: UnitStatus, readings: UnitReading | None,
                  polarity: str, uom: str | None, decimals: int | None,
                  name_fr: str | None = None, uom_fr: str | None = None) -> dict[str, Any]:
    return {"unit": row.unit, "unit_name": row.unit_name, "level": row.level,
            "latest": row.latest, "expected": row.expected, "gap": row.gap,
            "gap_pct": row.gap_pct, "status": row.status,
            "status_text": status_sentence(row, polarity, uom, decimals),
            "target": row.target, "at_target_period": row.at_target_period,
            "baseline": row.baseline, "unit_name_fr": name_fr,
            # what a page needs to say the status in another language
            "polarity": polarity, "unit_of_measure": uom, "unit_of_measure_fr": uom_fr,
            "decimals": decimals,
            "panel": unit_panel(readings, decimals=decimals) if readings else ""}


def _priority(snap: Snapshot, p: Priority) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One published priority for the site, and its headline series as CSV rows."""
    model = snap.model
    (head,) = priority_status(snap, priority=p.code, units=True, forecasts="none").priorities
    trajectory = priority_trajectory(snap, p.code, with_forecast=False)
    data = snap.data(priority_codes(model, [p]))
    try:
        spc: SpcChart | None = spc_chart(snap, p.headline, p.scope)
    except StocktakeError:  # too few complete periods for process limits
        spc = None
    units = {u.unit: u for u in unit_readings(snap, p.code).units}
    polarity, uom = head.polarity, head.unit_of_measure
    decimals = model.indicators[p.headline].decimals
    uom_fr = french(model.indicators[p.headline], "unit")
    page = {
        "code": p.code, "title": p.title, "aspiration": p.aspiration,
        "owner": p.owner, "headline": head.headline, "headline_name": head.headline_name,
        "unit_of_measure": uom, "polarity": polarity,
        "scope": p.scope, "scope_name": model.units[p.scope].name,
        "baseline": head.baseline, "target": head.target, "latest": head.latest,
        "expected": head.expected, "gap": head.gap, "gap_pct": head.gap_pct,
        "status": head.status,
        "status_text": status_sentence(head, polarity, uom, decimals),
        "at_target_period": head.at_target_period, "decimals": decimals,
        "stages": head.stages,
        "tolerance": head.tolerance.rule, "tolerance_value": head.tolerance.value,
        "tolerance_mode": head.tolerance.mode,
        "method": None if head.trajectory is None else head.trajectory.method,
        "data_as_of": head.data_as_of,
        "chart": headline_chart(trajectory, spc if spc and spc.points else None,
                                suggestions=False),
        "chart_fr": _chart_in("fr", model, trajectory, spc),
        "spc_label": spc.variation_label if spc else None,
        "page": priority_page(p.code), "csv": csv_file(p.code),
        "units": [_jurisdiction(u, units.get(u.unit), polarity, uom, decimals,
                                french(model.units.get(u.unit)), uom_fr)
                  for u in head.below()],
        # the French of the model's names, where it has them (the French site shows them)
        "title_fr": french(p, "title"), "aspiration_fr": french(p, "aspiration"),
        "headline_name_fr": french(model.indicators[p.headline]),
        "scope_name_fr": french(model.units[p.scope]), "unit_of_measure_fr": uom_fr,
    }
    # The series: complete periods only, with the expected value where a trajectory has one.
    expected = {(p.scope, r.period): r.expected for r in trajectory.readings}
    for code, u in units.items():
        expected.update({(code, r.period): r.expected for r in u.readings})
    rows = []
    for code in (p.scope, *(u["unit"] for u in page["units"])):
        periods, values, _partial = data.complete(p.headline, code)
        unit = model.units[code]
        rows += [{"priority": p.code, "indicator": p.headline, "unit": code,
                  "unit_name": unit.name, "unit_name_fr": french(unit),
                  "level": unit.level, "period": period,
                  "value": value, "expected": expected.get((code, period))}
                 for period, value in zip(periods, values, strict=True)]
    return page, rows


def _chart_in(lang: str, model: DeliveryModel, trajectory: PriorityTrajectory,
              spc: SpcChart | None) -> str:
    """The headline chart of the site in ``lang``: its words, and the model's names and
    unit of measure (its y axis) in that language."""
    with writing_in(lang):
        return headline_chart(trajectory_in(trajectory, model, lang),
                              spc if spc and spc.points else None, suggestions=False)


def public_site(engine: Engine, *, as_of: datetime | None = None) -> dict[str, Any]:
    """Everything the public site shows, from the data known at ``as_of``: the published
    priorities, each jurisdiction's readings, and the CSV rows of each headline series."""
    snap = Snapshot(engine, as_of)
    model = snap.model
    published = published_priorities(model)
    if published:  # one load for every published priority
        snap.data(priority_codes(model, published))
    priorities, series = [], {}
    for p in published:
        page, rows = _priority(snap, p)
        priorities.append(page)
        series[p.code] = rows
    jurisdictions: dict[str, dict[str, Any]] = {}
    for page in priorities:
        for u in page["units"]:
            j = jurisdictions.setdefault(u["unit"], {
                "code": u["unit"], "name": u["unit_name"], "name_fr": u["unit_name_fr"],
                "level": u["level"],
                "page": unit_page(u["unit"]), "readings": []})
            j["readings"].append(u | {"priority": page["code"], "title": page["title"],
                                      "title_fr": page["title_fr"],
                                      "headline_name_fr": page["headline_name_fr"],
                                      "decimals": page["decimals"],
                                      "headline_name": page["headline_name"],
                                      "unit_of_measure": page["unit_of_measure"],
                                      "unit_of_measure_fr": page["unit_of_measure_fr"],
                                      "priority_page": page["page"]})
    vintages = [p["data_as_of"] for p in priorities if p["data_as_of"]]
    # the commitments tracker: only commitments marked public, all on one page
    tracker = commitments_report(engine, as_of=as_of, public_only=True, per_page=0)
    return {"as_of": iso(as_of), "data_as_of": max(vintages) if vintages else None,
            "commitments": tracker if tracker.total else None,
            "world_label": get_meta(engine, "world_label"), "partial_rule": PARTIAL_RULE,
            "priorities": priorities,
            "jurisdictions": sorted(jurisdictions.values(), key=lambda j: j["name"]),
            "series": series}


def series_csv(rows: list[dict[str, Any]]) -> str:
    """A headline series as CSV text (full precision: a download is for re-use), with the
    units' French names beside the English where the model has them."""
    columns = list(CSV_COLUMNS)
    if any(r.get(FRENCH_NAME) for r in rows):
        columns.insert(columns.index("unit_name") + 1, FRENCH_NAME)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for r in rows:  # text no spreadsheet runs as a formula (intake/cells.py)
        writer.writerow({k: ("" if r.get(k) is None else repr(r[k]) if isinstance(r[k], float)
                             else csv_text(r[k]) if isinstance(r[k], str) else r[k])
                         for k in columns})
    return out.getvalue()


def in_french(site: dict[str, Any]) -> dict[str, Any]:
    """The site with the model's French names in place of the English where it has them."""
    def swap(d: dict[str, Any], *fields: str) -> dict[str, Any]:
        return d | {f: d[f"{f}_fr"] for f in fields if d.get(f"{f}_fr")}

    def priority(p: dict[str, Any]) -> dict[str, Any]:
        return swap(p, "title", "aspiration", "headline_name", "scope_name",
                    "unit_of_measure", "chart") | {
            "units": [swap(u, "unit_name", "unit_of_measure") for u in p["units"]]}

    jurisdictions = [swap(j, "name") | {"readings": [
                         swap(r, "unit_name", "title", "headline_name", "unit_of_measure")
                         for r in j["readings"]]}
                     for j in site["jurisdictions"]]
    tracker = site.get("commitments")
    if tracker is not None:  # each commitment's French text where it has one
        tracker = replace(tracker, commitments=tuple(
            swap(c, "text", "rationale") for c in tracker.commitments),
            movements=tuple(swap(m, "text") for m in tracker.movements))
    return site | {"priorities": [priority(p) for p in site["priorities"]],
                   "jurisdictions": sorted(jurisdictions, key=lambda j: j["name"]),
                   "commitments": tracker}


def site_pages(site: dict[str, Any], render: Render) -> dict[str, str]:
    """Every page and download of the site, by file name (all in one folder, so that every
    link is a bare relative file name and the site works from any address or a disk)."""
    common = {"site": site, "stylesheet": STYLESHEET, "index": INDEX}
    files = {INDEX: render("public_index.html", common | {"page_title": "Progress",
                                                          "page_file": INDEX})}
    for p in site["priorities"]:
        files[p["page"]] = render("public_priority.html", common | {
            "p": p, "page_title": p["title"], "page_file": p["page"]})
        files[p["csv"]] = series_csv(site["series"][p["code"]])
    for j in site["jurisdictions"]:
        files[j["page"]] = render("public_unit.html", common | {
            "j": j, "page_title": j["name"], "page_file": j["page"]})
    if site["commitments"]:  # a static page: filtered in the reader's browser, no server
        files[TRACKER] = render("public_commitments.html", {
            "report": site["commitments"], "statuses": STATUSES, "static": True,
            "filters": {"status": None, "minister": None, "department": None, "search": None},
            "problem": "", "world_label": site["world_label"], "csv_url": TRACKER_CSV,
            "prev_url": "", "next_url": ""})
        files[TRACKER_CSV] = commitments_csv(site["commitments"])
    return files


def translated_pages(site: dict[str, Any], translations: dict[str, Render]) -> dict[str, str]:
    """The pages of each translation of the site, by path (``fr/index.html``): the same
    files as the English site, each language in its own folder."""
    files = {}
    for lang, render in translations.items():
        shown = in_french(site) if lang == "fr" else site
        files |= {f"{lang}/{name}": text for name, text in site_pages(shown, render).items()}
        if site["commitments"]:  # the download carries both languages, as in English
            files[f"{lang}/{TRACKER_CSV}"] = commitments_csv(site["commitments"])
        files[f"{lang}/{STYLESHEET}"] = ""  # copied below, so that links stay bare names
    return files


def write_site(engine: Engine, out: str | Path, *, render: Render, stylesheet: Path,
               as_of: datetime | None = None,
               translations: dict[str, Render] | None = None) -> dict[str, Any]:
    """Write the static site into ``out`` (created if missing; files of the same names are
    replaced, others left alone), each of ``translations`` (language -> renderer) in a
    folder of its own (``fr/``). Returns what was written."""
    target = Path(out)
    if target.exists() and not target.is_dir():
        raise Invalid(Problem("this is a file, not a folder", f"--out {target}"))
    site = public_site(engine, as_of=as_of)
    files = site_pages(site, render)
    files |= translated_pages(site, translations or {})
    for lang in translations or {}:
        (target / lang).mkdir(parents=True, exist_ok=True)
    target.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        if name.endswith(STYLESHEET):
            shutil.copyfile(stylesheet, target / name)
        else:
            (target / name).write_text(text, encoding="utf-8")
    shutil.copyfile(stylesheet, target / STYLESHEET)
    return {"out": str(target), "files": sorted({*files, STYLESHEET}),
            "priorities": [p["code"] for p in site["priorities"]],
            "data_as_of": site["data_as_of"]}
