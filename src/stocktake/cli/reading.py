"""Reading the data: where each priority stands, its trajectory, and any indicator's
series at any unit. Each command calls a service and hands the result to its renderer,
which prints it as a table or as JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ..reports.formatting import coverage_text, expected_decimals
from ..results.status import (
    ForecastReading,
    PriorityStatus,
    PriorityTrajectory,
    SpcHeadline,
    StageReading,
    StatusReport,
    UnitStatus,
)
from .common import (
    AsOfOption,
    DbOption,
    JsonOption,
    console,
    num,
    open_db,
    parse_as_of,
    print_json,
    show,
    signed,
    value_places,
    vintage_caption,
)

if TYPE_CHECKING:
    from ..results.readings import IndicatorSeries


def status(
    db: DbOption = None,
    priority: Annotated[str | None, typer.Option(
        "--priority", metavar="CODE", help="Only this priority.")] = None,
    unit: Annotated[str | None, typer.Option(
        "--unit", metavar="CODE", help="Read at this unit (within the priority's scope).")]
    = None,
    as_of: AsOfOption = None,
    forecasts: Annotated[str, typer.Option(
        metavar="WHICH", help="Forecasts at the scope only (scope), for every unit too (all), "
        "or none.")] = "scope",
    units: Annotated[bool, typer.Option("--units/--no-units",
                                        help="Also read each unit one level down.")] = True,
    all_units: Annotated[bool, typer.Option(
        "--all-units", help="Read every unit below, at every level (one load of the data).")]
    = False,
    as_json: JsonOption = False,
) -> None:
    """Where every priority stands: latest actual against its trajectory, SPC icons, the
    forecast at the target date and the probability of meeting the target."""
    from ..services.reading.snapshot import Snapshot
    from ..services.reading.status import priority_status

    report = priority_status(Snapshot(open_db(db), parse_as_of(as_of)), priority=priority,
                             unit=unit, units=units or all_units, forecasts=forecasts,
                             depth=None if all_units else 1)
    render_status(report, as_json=as_json)


def render_status(report: StatusReport, *, as_json: bool = False) -> None:
    """Each priority and its units: latest, expected, gap, status, SPC, forecast,
    P(meet); then any earlier stage of a priority whose target was re-set."""
    if as_json:
        print_json(report)
        return
    table = Table(title="Status of the priorities", caption=vintage_caption(report))
    for col in ("priority", "unit", "latest", "expected", "gap %", "status", "SPC",
                "forecast at target (80%)", "P(meet)"):
        table.add_column(col, justify="right" if col in ("latest", "expected", "gap %",
                                                         "P(meet)") else "left")
    for p in report.priorities:
        places = _places(p.decimals)
        for row in (p, *p.below()):
            latest, fc, spc = row.latest, row.forecast, row.spc
            prob = row.probability_of_meeting
            table.add_row(
                p.code if row is p else "", row.unit,
                "-" if latest is None else f"{num(latest.value, places)} ({latest.period})",
                num(row.expected, _expected_places(row.expected, places))
                + (" (target)" if row.at_target_period else ""),
                "-" if row.gap_pct is None else signed(row.gap_pct) + "%" + _at_deadline(row),
                _status_text(row, p.unit_of_measure, p.decimals),
                (spc.variation_label if isinstance(spc, SpcHeadline) else "-")
                + (" (trial limits: fewer than 12 points)"
                   if isinstance(spc, SpcHeadline) and spc.trial else ""),
                f"{num(fc.mean, places)} ({num(fc.lower_80, places)} to "
                f"{num(fc.upper_80, places)}) {fc.period}"
                if isinstance(fc, ForecastReading) and fc.mean is not None else "-",
                "-" if prob is None else f"{prob:.0%}")
    show(table)
    if report.forecasts != "all" and any(p.below() for p in report.priorities):
        # A "-" in a unit's forecast column is a choice, not a failure: say so.
        console.print("Units' forecasts are not computed: "
                      + ("--forecasts none." if report.forecasts == "none" else
                         "--forecasts scope (the default) forecasts each priority's scope "
                         "only; --forecasts all forecasts every unit."))
    for p in report.priorities:
        for stage in p.stages:
            if not stage.current:
                console.print(f"{p.code} earlier stage: {_stage_text(stage, p)}")


def _at_deadline(row: UnitStatus) -> str:
    """Once a target is met or missed its gap is the deadline's, not the latest figure's:
    say which period it belongs to, since the latest sits beside it."""
    verdict = row.at_target_period
    return "" if not verdict else f" (at {verdict.actual_period})"


def _coverage_cell(coverage: float | None, partial: bool) -> str:
    """The children's coverage, and whether the value is partial: every child can have
    reported while a unit further down did not ("100%, partial below", not "100% partial")."""
    if coverage is None:
        return "partial" if partial else "-"
    text = coverage_text(coverage)
    if not partial:
        return text
    return f"{text}, partial below" if coverage >= 1 else f"{text} partial"


def _places(decimals: int | None) -> int:
    """Decimals for a table column: the indicator's (0 for counts), else 1."""
    return 1 if decimals is None else decimals


def _expected_places(expected: float | None, places: int) -> int:
    """An expected value's decimals: one more than the column's where rounding would make
    its gap read wrong (reports.formatting.expected_decimals)."""
    return expected_decimals(expected, places) or 0


def _status_text(row: UnitStatus, uom: str | None, decimals: int | None) -> str:
    """The status word; once the target period is complete, met or missed at the deadline
    beside the target, and the series since."""
    from ..reports.formatting import figure

    status = str(row.status or "")
    v = row.at_target_period
    if row.status_note:
        return f"{status.replace('_', ' ')}: {row.status_note}"
    if not v or status not in ("met", "missed"):
        return status.replace("_", " ")
    text = (f"target {status}: {figure(v.actual, uom, decimals)} in {v.actual_period} "
            f"vs {figure(v.target, uom, decimals)}")
    since = v.since
    if since.period and since.period != v.actual_period:
        text += f"; since: {figure(since.value, uom, decimals)} ({since.period})"
    return text


def _stage_text(stage: StageReading, p: PriorityStatus) -> str:
    from ..reports.formatting import figure, status_word

    uom, dec = p.unit_of_measure, p.decimals
    t, b = stage.target, stage.baseline
    text = (f"{figure(b['value'], uom, dec)} ({b['period']}) to {figure(t['value'], uom, dec)} "
            f"({t['period']}): {status_word(stage.status).lower()}")
    v = stage.at_target_period
    if v:
        text += f", {figure(v.actual, uom, dec)} in {v.actual_period}"
    return text


def trajectory(
    priority: Annotated[str, typer.Argument(help="Priority code.")],
    db: DbOption = None,
    unit: Annotated[str | None, typer.Option(
        "--unit", metavar="CODE", help="A unit within the scope: its share of the "
        "trajectory.")] = None,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """Actual against the trajectory, period by period: expected, gap, gap %, on or off
    track against the priority's tolerance."""
    from ..services.reading.snapshot import Snapshot
    from ..services.reading.status import priority_trajectory

    report = priority_trajectory(Snapshot(open_db(db), parse_as_of(as_of)), priority, unit=unit)
    render_trajectory(priority, report, as_json=as_json)


def render_trajectory(priority: str, report: PriorityTrajectory, *,
                      as_json: bool = False) -> None:
    """Actual against expected, period by period, then the tolerance and any verdict."""
    if as_json:
        print_json(report)
        return
    method = "no" if report.trajectory is None else report.trajectory.method
    table = Table(title=f"{priority} at {report.unit}: {method} trajectory",
                  caption=vintage_caption(report))
    for col in ("period", "actual", "expected", "gap", "gap %", "status"):
        table.add_column(col, justify="left" if col in ("period", "status") else "right")
    places = _places(report.decimals)
    for r in report.readings:
        table.add_row(r.period, num(r.actual, places),
                      num(r.expected, _expected_places(r.expected, places)),
                      num(r.gap, places), "-" if r.gap_pct is None else signed(r.gap_pct) + "%",
                      r.status.replace("_", " "))
    show(table)
    console.print(report.tolerance.rule)
    v = report.at_target_period
    if v:
        from ..reports.formatting import verdict_sentence

        console.print(verdict_sentence(v, report.unit_of_measure, report.decimals))


def series(
    indicator: Annotated[str, typer.Argument(help="Indicator code.")],
    unit: Annotated[str, typer.Option("--unit", metavar="CODE",
                                      help="Any unit of the hierarchy.")],
    db: DbOption = None,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """An indicator's series at any unit, rolled up by its aggregation rule, with coverage
    and any reported total beside the computed one."""
    from ..services.reading.readings import indicator_series
    from ..services.reading.snapshot import Snapshot

    report = indicator_series(Snapshot(open_db(db), parse_as_of(as_of)), indicator, unit)
    render_series(indicator, unit, report, as_json=as_json)


def render_series(indicator: str, unit: str, report: IndicatorSeries, *,
                  as_json: bool = False) -> None:
    """The rolled-up series with computed and reported values, coverage and source."""
    if as_json:
        print_json(report)
        return
    table = Table(title=f"{indicator} at {unit} ({report.method})",
                  caption=vintage_caption(report))
    for col in ("period", "value", "computed", "reported", "gap", "coverage", "source"):
        table.add_column(col, justify="left" if col in ("period", "source") else "right")
    dp = value_places(report.indicator)
    for pt in report.points:
        table.add_row(pt.period, num(pt.value, dp), num(pt.computed, dp),
                      num(pt.reported, dp), num(pt.gap, dp),
                      _coverage_cell(pt.coverage, pt.value_partial), pt.source)
    show(table)


def register(app: typer.Typer) -> None:
    for command in (status, trajectory, series):
        app.command()(command)
