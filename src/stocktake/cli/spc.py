"""Statistical process control: an XmR chart of any indicator at any unit, and the
rebases of its limits that analysts accept or remove. Each command calls a service and
hands the result to its renderer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ..analysis.spc import MIN_POINTS_TO_JUDGE
from ..errors import Invalid
from .common import (
    AsOfOption,
    DbOption,
    JsonOption,
    console,
    login_name,
    num,
    open_db,
    parse_as_of,
    print_json,
    show,
    value_places,
    vintage_caption,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..results.readings import RebaseEvent, SpcChart


def spc(
    indicator: Annotated[str, typer.Argument(help="Indicator code.")],
    unit: Annotated[str, typer.Option("--unit", metavar="CODE", help="The unit.")],
    db: DbOption = None,
    target: Annotated[float | None, typer.Option(
        help="Target for the assurance icon (default: the priority's, if any).")] = None,
    fix_after: Annotated[int | None, typer.Option(
        "--fix-after", metavar="N", help="Fix the limits on the first N points (12 or more).")]
    = None,
    screen: Annotated[bool, typer.Option(
        "--screen/--no-screen", help="Screen moving ranges above 3.267 x the mean moving "
        "range before computing limits.")] = True,
    rebase: Annotated[list[str] | None, typer.Option(
        "--rebase", metavar="PERIOD", help="Also start new limits at this period, for this "
        "chart only (repeatable); to record a rebase, use spc-rebase.")] = None,
    seasonal: Annotated[str, typer.Option(
        "--seasonal", metavar="auto|on|off", help="auto: test for seasonality (F test of "
        "period-of-year effects, p < 0.01) and chart a seasonal series as seasonally adjusted "
        "values; off: the raw chart; on: adjust even if the test does not find seasonality.")]
    = "auto",
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """An XmR chart with the Making Data Count rules, and the variation and assurance icons.

    Seasonal series are read against their seasonal expectation (--seasonal). Limits restart
    at the rebases an analyst accepted (spc-rebase); rebase points found by a change-point
    search are suggested with their evidence, never applied.
    """
    from ..services.reading.readings import spc_chart
    from ..services.reading.snapshot import Snapshot

    report = spc_chart(Snapshot(open_db(db), parse_as_of(as_of)), indicator, unit,
                       target=target, fix_after_n_points=fix_after, screen_outliers=screen,
                       rebase_at=tuple(rebase or ()), seasonal=seasonal)
    render_spc(indicator, unit, report, as_json=as_json)


def render_spc(indicator: str, unit: str, report: SpcChart, *,
               as_json: bool = False) -> None:
    """The chart's points with mean, limits and rules, then the icons, accepted rebases,
    suggested rebases and warnings."""
    if as_json:
        print_json(report)
        return
    adjusted = report.adjusted
    table = Table(title=f"{indicator} at {unit}: {report.method}",
                  caption=vintage_caption(report))
    cols = ["period", *(["reported", "adjusted"] if adjusted else ["value"]), "mean", "lower",
            "upper", "rule", "point"]
    for col in cols:
        table.add_column(col, justify="left" if col in ("period", "rule", "point") else "right")
    dp = value_places(report.indicator)
    sp = dp + 1  # limits and means: one place more than the values they summarise
    for pt in report.points:
        values = [num(pt.observed, dp), num(pt.value, sp)] if adjusted else [
            num(pt.value, dp)]
        table.add_row(pt.period, *values, num(pt.mean, sp), num(pt.lower, sp),
                      num(pt.upper, sp), pt.rule, pt.point_type.replace("_", " "))
    show(table)
    season = report.seasonal_adjustment or {}
    if season.get("reason"):
        console.print(f"Seasonal test: {season['reason']}.")
    console.print(f"Variation: {report.variation_label}" + (
        f" ({report.parts[-1].n_points} of the {MIN_POINTS_TO_JUDGE} points needed)"
        if report.variation_icon == "too_few_points" else ""))
    console.print(f"Assurance: {report.assurance_label or 'no target'}")
    for r in report.accepted_rebases:
        console.print(f"Rebased at {r['period']} (accepted by {r['accepted_by']} on "
                      f"{r['accepted_at'][:10]}: {r['reason']})")
    suggestions = report.rebase_suggestions or ()
    if suggestions:
        rt = Table(title="Suggested rebases (not applied: accept one with spc-rebase)",
                   caption=(report.rebase_method or {}).get("method"))
        for col in ("from", "mean before", "mean after", "shift", "shift (sigma)",
                    "cost reduction", "penalty"):
            rt.add_column(col, justify="left" if col == "from" else "right")
        for c in suggestions:
            rt.add_row(c["period"], num(c["mean_before"], 2), num(c["mean_after"], 2),
                       num(c["shift"], 2), f"{c['shift_sigma']:+.1f}",
                       f"{c['cost_reduction']:.0f}", f"{c['penalty']:.0f}")
        show(rt)
    for w in report.warnings:
        console.print(f"[yellow]note:[/yellow] {w}")


def spc_rebase(
    indicator: Annotated[str, typer.Argument(help="Indicator code.")],
    unit: Annotated[str, typer.Option("--unit", metavar="CODE", help="The unit.")],
    at: Annotated[str | None, typer.Option(
        "--at", metavar="PERIOD", help="The first period of the new limits.")] = None,
    reason: Annotated[str, typer.Option(
        "--reason", metavar="TEXT", help="What changed and why it is understood and "
        "sustained (required to accept or remove; recorded with who and when).")] = "",
    remove: Annotated[bool, typer.Option(
        "--remove", help="Withdraw the accepted rebase at --at (it stays in the history).")]
    = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Accept a rebase of SPC limits (or --remove one), or without --at list the history.

    An accepted rebase is used by spc, status, packs and pages from then on; readings
    --as-of an earlier moment do not use it. Suggested rebases are listed by spc.
    """
    from ..services.reading.rebases import accept_rebase, rebase_history, remove_rebase

    engine = open_db(db)
    if at is None:
        if remove:
            raise Invalid("--remove needs --at PERIOD")
        render_rebase_history(indicator, unit, rebase_history(engine, indicator, unit),
                              as_json=as_json)
        return
    act = remove_rebase if remove else accept_rebase
    done = act(engine, indicator, unit, at, reason=reason, by=login_name())
    render_rebase(indicator, unit, done, removed=remove, as_json=as_json)


def render_rebase_history(indicator: str, unit: str, history: Sequence[RebaseEvent], *,
                          as_json: bool = False) -> None:
    """Every rebase accepted or removed at a unit, in order."""
    if as_json:
        print_json(history)
        return
    table = Table(title=f"Rebases of {indicator} at {unit}")
    for col in ("period", "action", "by", "at", "reason"):
        table.add_column(col)
    for h in history:
        table.add_row(h.period, h.action, h.by, h.at, h.reason)
    show(table)


def render_rebase(indicator: str, unit: str, done: RebaseEvent, *, removed: bool,
                  as_json: bool = False) -> None:
    """The rebase just accepted or removed, with who, when and why."""
    if as_json:
        print_json(done)
        return
    what = "removed" if removed else "accepted"
    console.print(f"Rebase of {indicator} at {unit} from {done.period} {what} by "
                  f"{done.by} ({done.at}): {done.reason}")


def register(app: typer.Typer) -> None:
    app.command()(spc)
    app.command("spc-rebase")(spc_rebase)
