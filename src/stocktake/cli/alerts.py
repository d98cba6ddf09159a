"""Alerts: can we trust these numbers? ``stocktake alerts`` lists the counter, ratio-shift
and local-break alerts with their status; ``stocktake alerts review`` records an analyst's
review. Each calls a service and hands the result to its renderer."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ..results import encode
from ..results.alerts import REVIEW_STATUSES, AlertItem, AlertsReport, ReviewDone
from .common import (
    AsOfOption,
    DbOption,
    JsonOption,
    console,
    login_name,
    open_db,
    parse_as_of,
    print_json,
    show,
    signed,
)

alerts_app = typer.Typer(
    help="Alerts on numbers that may not be what they seem: gaming and changes of recording.",
    invoke_without_command=True)

KIND_WORDS = {"counter": "counter", "ratio_shift": "ratio shift", "local_break": "local break",
              "drift": "drift"}


@alerts_app.callback()
def alerts(
    ctx: typer.Context,
    priority: Annotated[str | None, typer.Option(
        "--priority", metavar="CODE", help="Only the alerts bearing on this priority.")] = None,
    unit: Annotated[str | None, typer.Option(
        "--unit", metavar="CODE", help="Only the alerts of this unit and the units below it.")]
    = None,
    db: DbOption = None,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """The alerts raised on the data, open ones first, each with its status as reviewed.

    Counter: a unit's headline improved beyond noise while a counter of its priority worsened.
    Ratio shift: two indicators declared to move together (indicators.yaml 'related') changed
    their ratio at one unit, lastingly, and its peers did not. Local break: a unit's series
    jumped to a new level its peers did not. With --as-of: the data and the reviews as they
    were then. Method: docs/methods/alerts.md.
    """
    if ctx.invoked_subcommand is not None:
        return
    from ..services.reading.alerts import alerts as alerts_of
    from ..services.reading.snapshot import Snapshot

    snap = Snapshot(open_db(db), parse_as_of(as_of))
    render_alerts(alerts_of(snap, priority=priority, unit=unit), as_json=as_json)


@alerts_app.command()
def review(
    alert: Annotated[str, typer.Argument(metavar="ID", help="The alert's id (from the list).")],
    status: Annotated[str, typer.Option(
        "--status", metavar="|".join(REVIEW_STATUSES),
        help="explained (a known reason, e.g. a new recording standard), confirmed (the "
        "figure is not to be trusted as it stands) or open (reopen it).")],
    note: Annotated[str, typer.Option(
        "--note", metavar="TEXT", help="Why (required; recorded with who and when).")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Mark an alert explained or confirmed, or reopen it, with a note.

    Reviews are appended, never edited: 'alerts --as-of' shows the status as it was then.
    """
    from ..services.reading.alerts import review_alert

    done = review_alert(open_db(db), alert, status=status, note=note, by=login_name())
    render_review(done, as_json=as_json)


def _size(a: AlertItem) -> str:
    parts = []
    for what, s in a.size.items():
        rel = s.get("relative")
        parts.append(f"{what} {signed(rel, '+,.0%')}" if rel is not None else what)
    return "; ".join(parts)


def render_alerts(report: AlertsReport, *, as_json: bool = False) -> None:
    """One row per alert; the explanation under its own heading when the table is narrow."""
    if as_json:
        print_json(encode(report))
        return
    if not report.alerts:
        console.print("No alerts.")
        return
    table = Table(title=f"Alerts: {len(report.open)} open of {len(report.alerts)}",
                  caption="Review one: stocktake alerts review ID --status explained|"
                  "confirmed|open --note TEXT")
    for col in ("id", "status", "kind", "unit", "from", "to", "size", "strength",
                "explanation"):
        table.add_column(col, justify="right" if col == "strength" else "left",
                         overflow="fold")
    for a in report.alerts:
        table.add_row(a.id, a.status, KIND_WORDS.get(a.kind, a.kind),
                      f"{a.unit_name} ({a.unit})", a.start, a.end, _size(a),
                      f"{a.strength:.1f}", escape(a.explanation))
    show(table)
    for a in report.alerts:
        if a.history:
            last = a.history[-1]
            console.print(f"{a.id} {last.status} by {last.by} on "
                          f"{last.at.isoformat(timespec='minutes')}: {escape(last.note)}")


def render_review(done: ReviewDone, *, as_json: bool = False) -> None:
    if as_json:
        print_json(encode(done))
        return
    r, a = done.review, done.alert
    console.print(f"Alert {r.alert} ({KIND_WORDS.get(a.kind, a.kind)}, {a.unit_name}, from "
                  f"{a.start}) marked {r.status} by {r.by} "
                  f"({r.at.isoformat(timespec='seconds')}): {escape(r.note)}")


def register(app: typer.Typer) -> None:
    app.add_typer(alerts_app, name="alerts")
