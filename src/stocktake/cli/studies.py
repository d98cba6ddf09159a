"""Studies across units and time: fair comparison of units, forecast backtests, lead
indicators and nowcasts. Each command calls a service and hands the result to its
renderer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

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
    vintage_caption,
)

if TYPE_CHECKING:
    from ..results.leads import LeadFinding, Nowcast
    from ..results.readings import BacktestReport, UnitComparison


def compare(
    indicator: Annotated[str, typer.Argument(help="A ratio indicator (a rate or a share).")],
    period: Annotated[str, typer.Option("--period", metavar="PERIOD", help="The period.")],
    db: DbOption = None,
    level: Annotated[str | None, typer.Option(
        "--level", metavar="LEVEL", help="Compare the units at this level (default: the "
        "level below the root).")] = None,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fair comparison of units: funnel-plot limits at 95% and 99.8% for each unit's
    denominator, over-dispersion adjusted when needed, and a league table with intervals."""
    from ..services.reading.readings import compare_units
    from ..services.reading.snapshot import Snapshot

    report = compare_units(Snapshot(open_db(db), parse_as_of(as_of)), indicator, period,
                           level=level)
    render_comparison(indicator, period, report, as_json=as_json)


def render_comparison(indicator: str, period: str, report: UnitComparison, *,
                      as_json: bool = False) -> None:
    """The units from highest to lowest value, each against its funnel limits, then the
    over-dispersion found."""
    if as_json:
        print_json(report)
        return
    table = Table(title=f"{indicator} in {period}: overall {num(report.overall, 2)} "
                        f"({report.kind})", caption=vintage_caption(report))
    for col in ("unit", "value", "denominator", "95% limits", "99.8% limits", "outside"):
        table.add_column(col, justify="left" if col in ("unit", "outside") else "right")
    for u in sorted(report.units, key=lambda r: -r.value):
        flag = u.outside_99_8 if u.outside_99_8 != "inside" else (
            f"{u.outside_95} (95% only)" if u.outside_95 != "inside" else "")
        table.add_row(f"{u.unit} {u.name}", num(u.value, 2), f"{u.denominator:,.0f}",
                      f"{num(u.lower_95, 2)} to {num(u.upper_95, 2)}",
                      f"{num(u.lower_99_8, 2)} to {num(u.upper_99_8, 2)}", flag)
    show(table)
    adjusted = "applied" if report.overdispersion_applied else "not needed"
    console.print(f"Over-dispersion: phi = {report.phi:.2f}, adjustment {adjusted}.")


def backtest(
    indicator: Annotated[str | None, typer.Argument(
        help="Indicator code (default: every priority's headline).")] = None,
    db: DbOption = None,
    as_of: AsOfOption = None,
    max_series: Annotated[int, typer.Option(
        help="Units sampled per indicator (evenly, the same every run).")] = 4,
    as_json: JsonOption = False,
) -> None:
    """Backtest the forecasts with rolling origins: measured coverage of the 80% and 95%
    prediction intervals, and the mean absolute scaled error."""
    from ..services.reading.readings import backtest_indicator
    from ..services.reading.snapshot import Snapshot

    report = backtest_indicator(Snapshot(open_db(db), parse_as_of(as_of)), indicator,
                                max_series=max_series)
    render_backtest(report, as_json=as_json)


def render_backtest(report: BacktestReport, *, as_json: bool = False) -> None:
    """Coverage and MASE per indicator, then coverage by stratum, then any indicator that
    could not be backtested and why."""
    if as_json:
        print_json(report)
        return
    table = Table(title="Forecast backtest (rolling origins)")
    for col in ("indicator", "series", "forecasts", "80% covered", "95% covered", "MASE"):
        table.add_column(col, justify="left" if col == "indicator" else "right")

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{v:.1%}"

    for r in report.indicators:
        if "error" in r:
            table.add_row(r["indicator"].code, "-", "0", "-", "-", "-")
            continue
        table.add_row(r["indicator"].code, str(r["n_series"]), f"{r['n_forecasts']:,}",
                      pct(r["coverage_80"]), pct(r["coverage_95"]), num(r["mase"], 2))
    show(table)
    for r in report.indicators:
        if not r.get("strata"):
            continue
        st = Table(title=f"{r['indicator'].code}: coverage by stratum (claimed: what the "
                         "forecasts themselves give their intervals)")
        for col in ("stratum", "forecasts", "80% covered", "80% claimed", "95% covered",
                    "95% claimed"):
            st.add_column(col, justify="left" if col == "stratum" else "right")
        for name in ("horizon", "level", "actual"):
            for group, g in r["strata"].get(name, {}).items():
                st.add_row(f"{name} {group}", f"{g['n']:,}", pct(g["coverage_80"]),
                           pct(g["claimed_80"]), pct(g["coverage_95"]), pct(g["claimed_95"]))
        show(st)
    for r in report.indicators:
        if "error" in r:
            console.print(f"{r['indicator'].code}: {r['error']}")


def leads(
    headline: Annotated[str, typer.Argument(help="The headline indicator.")],
    db: DbOption = None,
    candidates: Annotated[str | None, typer.Option(
        metavar="A,B,...", help="Candidate indicators (default: every indicator of the "
        "headline's period type other than its own parts).")] = None,
    max_lag: Annotated[int, typer.Option(
        "--max-lag", metavar="L", help="Test lags 1 to L periods. A candidate needs L + 4 "
        "periods in common with the headline on a wide panel (3 rows per unit after the "
        "difference and the lags), more on a narrow one (10 residual degrees of freedom "
        "in the pooled regression): 9 years on 265 units allow L = 5.")] = 6,
    level: Annotated[str | None, typer.Option(
        "--level", metavar="LEVEL", help="The units to pool (default: the deepest level).")]
    = None,
    time_effects: Annotated[bool | None, typer.Option(
        "--time-effects/--no-time-effects", help="Remove each period's mean across units "
        "(two-way fixed effects), or not. Default: removed where Pesaran's CD test finds a "
        "shock common to the units (a season, a national shock) in the headline.",
        show_default=False)] = None,
    inference: Annotated[str, typer.Option(
        "--inference", metavar="permutation|f", help="How p-values are found: 'permutation' "
        "re-pairs candidate and headline units at random (valid under common shocks; needs "
        "6 units); 'f' reads the pooled F distribution, which assumes no common shock.")]
    = "permutation",
    permutations: Annotated[int, typer.Option(
        "--permutations", metavar="B", help="Random re-pairings of the units (every one "
        "when there are fewer). A test that fewer than 10 of them beat draws more, up to "
        "10 x the number of tests / 5% when it is the only one (at most 45,999), so a "
        "strong lead can pass the false discovery rate over many tests.")] = 999,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """Find lead indicators of a headline: Granger tests per unit and pooled, p-values by
    permutation across units, out-of-sample gain, Benjamini-Hochberg q-values, sign
    agreement and the reverse direction."""
    from ..services.reading.leads import lead_indicators
    from ..services.reading.snapshot import Snapshot

    report = lead_indicators(Snapshot(open_db(db), parse_as_of(as_of)), headline,
                             candidates=candidates.split(",") if candidates else None,
                             max_lag=max_lag, level=level, time_effects=time_effects,
                             inference=inference, permutations=permutations)
    render_leads(headline, report, as_json=as_json)


def render_leads(headline: str, report: LeadFinding, *, as_json: bool = False) -> None:
    """The candidates ranked, with how to read each column, then notes and skips."""
    if as_json:
        print_json(report)
        return
    table = Table(title=f"Lead indicators of {headline} ({len(report.units)} units at "
                        f"level {report.level}, {report.periods[0]} to "
                        f"{report.periods[1]})", caption=vintage_caption(report))
    for col in ("candidate", "lag", "r", "q", "forecast gain", "sign agrees",
                "reverse q", "reading"):
        table.add_column(col, justify="left" if col in ("candidate", "reading") else "right",
                         overflow="fold" if col == "candidate" else "ellipsis")

    def num(x: float | None, fmt: str) -> str:
        return "–" if x is None else signed(x, fmt)  # 0.00, never -0.00

    for r in report.ranked:
        table.add_row(r["candidate"], str(r["lag"]), num(r["correlation"], "+.2f"),
                      num(r["q_value"], ".2g"), num(r["oos_gain"], "+.1%"),
                      num(r["sign_agreement"], ".0%"), num(r["reverse_q_value"], ".2g"),
                      _LEAD_WORDS[r["reading"]])
    show(table)
    if report.ranked:
        console.print(report.ranked[0]["transform"])
    p_words = ("permutation across units" if report.inference == "permutation"
               else "the F distribution")
    console.print("r: pooled correlation of the candidate's change with the headline's "
                  "change lag periods later (--json also gives the Granger effect); "
                  "sign agrees: units whose own r has that sign; "
                  "q: Benjamini-Hochberg q-value of the pooled Granger test, p-value by "
                  f"{p_words}; forecast gain: "
                  "1 - MSE with / MSE without the candidate, out of sample (it counts when "
                  "Clark-West's test finds it at 5%); reverse q: the "
                  "headline leading the candidate. Reading: " + "; ".join(f"{_LEAD_WORDS[k]} = {v}"
                                          for k, v in report.readings.items()) + ".")
    console.print(f"Time effects: {report.parameters['time_effects_choice']}.")
    for note in report.notes:
        console.print(f"Note: {note}.")
    for s in report.skipped:
        console.print(f"Skipped {s['candidate']}: {s['reason']}.")


_LEAD_WORDS = {"lead": "lead", "two_way": "two-way", "mixed_units": "mixed",
               "sign_conflict": "sign conflict", "no_forecast_check": "unchecked",
               "no_forecast_gain": "no gain",
               "no_evidence": "none"}


def nowcast(
    headline: Annotated[str, typer.Argument(help="The headline indicator.")],
    unit: Annotated[str, typer.Option("--unit", metavar="CODE", help="The unit.")],
    db: DbOption = None,
    lead: Annotated[list[str] | None, typer.Option(
        "--lead", metavar="CODE", help="A lead indicator (repeatable; default: the leads "
        "named by the priorities with this headline).")] = None,
    max_lag: Annotated[int, typer.Option("--max-lag", metavar="L",
                                         help="Longest lag considered.")] = 12,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """The headline for periods not yet reported, from its lead indicators, with 80% and
    95% intervals, and a backtest of its error against a headline-only forecast."""
    from ..services.reading.nowcast import nowcast as nowcast_service
    from ..services.reading.snapshot import Snapshot

    report = nowcast_service(Snapshot(open_db(db), parse_as_of(as_of)), headline, unit,
                             leads=lead or None, max_lag=max_lag)
    render_nowcast(headline, unit, report, as_json=as_json)


def render_nowcast(headline: str, unit: str, report: Nowcast, *,
                   as_json: bool = False) -> None:
    """The nowcast per period with its intervals, then its backtest."""
    if as_json:
        print_json(report)
        return
    last = report.last_observed
    leads_text = ", ".join(f"{x.code} (lag {x.lag})" for x in report.leads)
    table = Table(title=f"Nowcast of {headline} at {unit} from {leads_text}",
                  caption=f"Last reported: {num(last['value'], 2)} in {last['period']}. "
                  + vintage_caption(report))
    for col in ("period", "nowcast", "80% interval", "95% interval"):
        table.add_column(col, justify="left" if col == "period" else "right")
    for p in report.periods:
        table.add_row(p["period"], num(p["nowcast"], 2),
                      f"{num(p['lower_80'], 2)} to {num(p['upper_80'], 2)}",
                      f"{num(p['lower_95'], 2)} to {num(p['upper_95'], 2)}")
    show(table)
    bt = report.backtest
    if bt.get("forecasts"):
        console.print(f"Backtest, {bt['forecasts']} one-step nowcasts: mean absolute error "
                      f"{num(bt['mae_nowcast'], 3)} against {num(bt['mae_headline_only'], 3)} "
                      f"for the headline alone (ratio {bt['ratio']:.2f}); 80% interval covered "
                      f"{bt['coverage_80']:.0%}.")


def register(app: typer.Typer) -> None:
    for command in (compare, backtest, leads, nowcast):
        app.command()(command)
