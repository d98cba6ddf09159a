"""Packs benchmark: every stocktake pack of the demo, and the delivery report, against
WeasyPrint alone rendering the same finished HTML (the floor).

    python benchmarks/packs.py [--db URL] [--as-of T] [--repeat R]

The demo database is built first if the one at --db is not the current demo (about half a
minute; default a SQLite file in the system's temporary folder, kept for the next run).
Measured in one process, one run, for each of the demo's five priorities and for the
delivery report:

(a) ours: everything `stocktake pack P --out F.pdf` does after start-up: gather the
    context (status, trajectory and forecast, SPC, unit readings, data quality, chain
    analysis, plan, assessments, actions, questions), render the HTML (charts and the
    chain diagram as SVG) and write the PDF with WeasyPrint;
(b) the floor: WeasyPrint alone turning the finished HTML of (a) into the same PDF.

WeasyPrint is warmed once before timing (fonts loaded), for both. The best of --repeat
runs is kept for each. Target (the "managing delivery" issue): (a) within 3x of (b), per
pack. A report, not a test: it always exits 0 and prints PASS or MISS.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from stocktake.demo.build import build_demo, is_current  # noqa: E402
from stocktake.reports.render import (  # noqa: E402
    html_to_pdf,
    render_pack,
    render_report,
)
from stocktake.services.publishing.briefings import delivery_report_context  # noqa: E402
from stocktake.services.publishing.packs import pack_context  # noqa: E402
from stocktake.services.reading.series_data import read_model  # noqa: E402
from stocktake.store.db import open_engine  # noqa: E402

TARGET = 3.0


def _best(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=f"sqlite:///{Path(tempfile.gettempdir())}"
                        "/stocktake-bench-demo.db")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    console = Console()
    engine = open_engine(args.db)
    if not is_current(engine, 2026):
        with Progress(console=console) as bar:
            task = bar.add_task("Building the demo", total=None)
            build_demo(engine, force=True,
                       progress=lambda d, t, what="": bar.update(task, completed=d, total=t,
                                                                 description=what))
    model = read_model(engine)
    html_to_pdf("<p>warm up: fonts and WeasyPrint's own start-up</p>")

    jobs = [(code, lambda c=code: render_pack(pack_context(engine, c)))
            for code in model.priorities]
    jobs.append(("report", lambda: render_report(delivery_report_context(engine))))
    rows = []
    with Progress(console=console) as bar:
        task = bar.add_task("Packs", total=len(jobs))
        for name, make_html in jobs:
            ours, pdf = _best(lambda m=make_html: html_to_pdf(m()), args.repeat)
            html = make_html()
            floor, _ = _best(lambda h=html: html_to_pdf(h), args.repeat)
            gather, _ = _best(make_html, 1)
            rows.append((name, ours, floor, gather, len(pdf)))
            bar.advance(task)

    table = Table(title=f"Packs of the demo ({engine.url.render_as_string(hide_password=True)})")
    for col in ("document", "ours (a) s", "WeasyPrint floor (b) s", "gather + HTML s",
                "a / b", "PDF kB", f"target <= {TARGET:g}x"):
        table.add_column(col, justify="left" if col == "document" else "right")
    worst = 0.0
    for name, ours, floor, gather, size in rows:
        ratio = ours / floor
        worst = max(worst, ratio)
        table.add_row(name, f"{ours:.2f}", f"{floor:.2f}", f"{gather:.2f}", f"{ratio:.2f}x",
                      f"{size / 1024:.0f}", "PASS" if ratio <= TARGET else "MISS")
    total_ours = sum(r[1] for r in rows)
    total_floor = sum(r[2] for r in rows)
    table.add_row("all", f"{total_ours:.2f}", f"{total_floor:.2f}",
                  f"{sum(r[3] for r in rows):.2f}", f"{total_ours / total_floor:.2f}x", "",
                  "PASS" if worst <= TARGET else "MISS")
    console.print(table)
    console.print(f"Time per pack (mean of {len(rows) - 1} packs): "
                  f"{sum(r[1] for r in rows[:-1]) / (len(rows) - 1):.2f} s, floor "
                  f"{sum(r[2] for r in rows[:-1]) / (len(rows) - 1):.2f} s; worst ratio "
                  f"{worst:.2f}x.")


if __name__ == "__main__":
    main()
