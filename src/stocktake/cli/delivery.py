"""Managing delivery: plans, chains, assessments, stocktakes and actions. Each command
calls a service and hands the result to its renderer, which prints it as text and tables
or as JSON."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from .common import (
    AsOfOption,
    DbOption,
    JsonOption,
    PriorityArg,
    console,
    login_name,
    open_db,
    parse_as_of,
    print_json,
    render_french_warnings,
    show,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..results.delivery import (
        ActionList,
        ActionRow,
        AssessmentRecorded,
        AssessmentsView,
        CarriedAction,
        ChainLoaded,
        ChainReading,
        PlanDiff,
        PlanLoaded,
        PlanView,
        StocktakeOverview,
        StocktakeRecorded,
    )

FileArg = Annotated[Path, typer.Argument(metavar="FILE", help="A YAML file.")]
RequireLanguagesOption = Annotated[str, typer.Option(
    "--require-languages", help="Languages every name must have: en, or en,fr to refuse a "
    "document missing any French (name_fr...); without it a missing one is a warning, once "
    "the document holds any French.")]
ByOption = Annotated[str, typer.Option(
    "--by", metavar="NAME", help="Who records it (default: your login name).")]


plan_app = typer.Typer(help="Delivery plans: versions, checklist, differences.",
                       no_args_is_help=True)
chain_app = typer.Typer(help="Delivery chains: who depends on whom, and how strong each link "
                        "is.", no_args_is_help=True)
assess_app = typer.Typer(help="Likelihood-of-delivery assessments, beside the statistics.",
                         no_args_is_help=True)
stocktakes_app = typer.Typer(help="The routine: schedules, stocktakes, decisions and actions.",
                             no_args_is_help=True)
actions_app = typer.Typer(help="Actions from stocktakes and priority reviews, followed up "
                          "until done.",
                          no_args_is_help=True)


# -- plans ----------------------------------------------------------------------------------

@plan_app.command("load")
def plan_load(priority: PriorityArg, file: FileArg, db: DbOption = None,
              author: Annotated[str | None, typer.Option(
                  "--author", metavar="NAME", help="Who wrote this version (default: your "
                  "login name).")] = None,
              reason: Annotated[str, typer.Option(
                  "--reason", metavar="TEXT", help="Why it changed (required after version "
                  "1), e.g. the stocktake decision.")] = "",
              require_languages: RequireLanguagesOption = "en",
              as_json: JsonOption = False) -> None:
    """Store a plan from a YAML file as the priority's next version (nothing changes if it
    equals the current one, or on any problem)."""
    from ..model.files import parse_languages
    from ..services.routines.plans import load_plan

    result = load_plan(open_db(db), priority, file, author=author or login_name(),
                       reason=reason, require_languages=parse_languages(require_languages))
    render_plan_load(priority, result, as_json=as_json)


def render_plan_load(priority: str, result: PlanLoaded, *, as_json: bool = False) -> None:
    """A plan stored as a new version, with its changes, or equal to the current one."""
    if as_json:
        print_json(result)
        return
    render_french_warnings(result.warnings)
    if not result.changed:
        console.print(f"{priority}: the plan equals version {result.version}; nothing "
                      "stored.")
        return
    console.print(f"{priority}: plan version {result.version} stored.")
    for line in result.changes:
        console.print(f"  {line}", markup=False)


@plan_app.command("show")
def plan_show(priority: PriorityArg, db: DbOption = None,
              version: Annotated[int | None, typer.Option(
                  "--version", metavar="N", help="This version (default: the current one).")]
              = None, as_of: AsOfOption = None, as_json: JsonOption = False) -> None:
    """A plan version with its quality checklist, the trajectory its interventions imply,
    milestones due or late, and the list of versions."""
    from ..services.routines.plans import show_plan

    r = show_plan(open_db(db), priority, version=version, as_of=parse_as_of(as_of))
    render_plan(r, as_json=as_json)


def render_plan(r: PlanView, *, as_json: bool = False) -> None:
    """A plan version: interventions, milestones, the implied trajectory, the checklist."""
    if as_json:
        print_json(r)
        return
    console.print(f"[bold]{r.priority}[/bold] {r.title}: plan version {r.version} "
                  f"of {len(r.history)}, by {r.author} ({(r.recorded_at or '')[:10]}): "
                  f"{r.reason}", highlight=False)
    plan = r.plan
    t = Table(title="Interventions")
    for col in ("code", "name", "owner", "start", "ramp", "effect"):
        t.add_column(col, justify="right" if col in ("ramp", "effect") else "left")
    for i in plan["interventions"]:
        t.add_row(i["code"], i["name"], i.get("owner") or "-", i["start"], str(i["ramp"]),
                  "-" if i.get("effect") is None else f"{i['effect']:+g}")
    show(t)
    t = Table(title="Milestones")
    for col in ("code", "name", "owner", "due", "status"):
        t.add_column(col)
    for m in plan["milestones"]:
        t.add_row(m["code"], m["name"], m.get("owner") or "-", m["due"], m["status"])
    show(t)
    if r.implied_trajectory:
        it = r.implied_trajectory
        console.print(f"Bottom-up, the interventions reach {it.end_value:,.1f} by "
                      f"{it.end_period} against a target of {it.target:,.1f} "
                      f"(shortfall {it.shortfall:,.1f} {it.unit_of_measure}).",
                      highlight=False)
    console.print(f"Checklist: {r.gaps} gap(s)")
    for c in r.checklist:
        mark = "[green]ok[/green]  " if c["ok"] else "[red]gap[/red] "
        console.print(f"  {mark}{c['check']}" + ("" if c["ok"] else f": {c['detail']}"),
                      highlight=False)


@plan_app.command("diff")
def plan_diff(priority: PriorityArg,
              old: Annotated[int, typer.Argument(metavar="FROM", help="Older version.")],
              new: Annotated[int, typer.Argument(metavar="TO", help="Newer version.")],
              db: DbOption = None, as_json: JsonOption = False) -> None:
    """What changed between two plan versions, and the reasons given."""
    from ..services.routines.plans import diff_plan

    r = diff_plan(open_db(db), priority, old, new)
    render_plan_diff(r, as_json=as_json)


def render_plan_diff(r: PlanDiff, *, as_json: bool = False) -> None:
    """The reasons given for each version, then the lines that changed."""
    if as_json:
        print_json(r)
        return
    for reason in r.reasons:
        console.print(f"version {reason.version} by {reason.author} "
                      f"({(reason.recorded_at or '')[:10]}): {reason.reason}", highlight=False)
    for line in r.lines or ["no differences"]:
        console.print(f"  {line}", markup=False, highlight=False)


# -- chains ---------------------------------------------------------------------------------

@chain_app.command("load")
def chain_load(priority: PriorityArg, file: FileArg, db: DbOption = None,
               author: Annotated[str | None, typer.Option(
                   "--author", metavar="NAME", help="Who mapped it (default: your login "
                   "name).")] = None,
               reason: Annotated[str, typer.Option("--reason", metavar="TEXT",
                                                   help="Why it changed.")] = "",
               require_languages: RequireLanguagesOption = "en",
               as_json: JsonOption = False) -> None:
    """Store a delivery chain from a YAML file as the priority's next version."""
    from ..model.files import parse_languages
    from ..services.routines.chains import load_chain

    r = load_chain(open_db(db), priority, file, author=author or login_name(),
                   reason=reason, require_languages=parse_languages(require_languages))
    render_chain_load(priority, r, as_json=as_json)


def render_chain_load(priority: str, r: ChainLoaded, *, as_json: bool = False) -> None:
    """A chain stored as a new version, or unchanged."""
    if as_json:
        print_json(r)
        return
    render_french_warnings(r.warnings)
    console.print(f"{priority}: chain version {r.version} "
                  f"{'stored' if r.changed else 'unchanged; nothing stored'}.")


@chain_app.command("show")
def chain_show(priority: PriorityArg, db: DbOption = None, as_of: AsOfOption = None,
               svg: Annotated[Path | None, typer.Option(
                   "--svg", metavar="FILE", help="Also write the diagram as SVG.")] = None,
               as_json: JsonOption = False) -> None:
    """The chain's weak and broken links, actors with poor data, where the centre depends on
    other governments, and single points of failure."""
    from ..services.routines.chains import chain_diagram, show_chain

    engine = open_db(db)
    moment = parse_as_of(as_of)
    r = show_chain(engine, priority, as_of=moment)
    if svg is not None:
        svg.write_text(chain_diagram(engine, priority, as_of=moment), encoding="utf-8")
    render_chain(priority, r, svg, as_json=as_json)


def render_chain(priority: str, r: ChainReading, svg: Path | None, *,
                 as_json: bool = False) -> None:
    """The chain's size and what is weak in it; where the diagram went, if asked for."""
    if as_json:
        print_json(r)
        return
    counts = r.analysis["counts"]
    console.print(f"[bold]{priority}[/bold] chain version {r.version}: "
                  f"{counts['actors']} actors, {counts['links']} links", highlight=False)
    for line in r.summary or ["no weak links or single points of failure"]:
        console.print(f"  {line}", markup=False, highlight=False)
    if svg is not None:
        console.print(f"Diagram written to {svg}")


# -- assessments ----------------------------------------------------------------------------

@assess_app.command("record")
def assess_record(priority: PriorityArg, file: FileArg, db: DbOption = None,
                  by: ByOption = "", as_json: JsonOption = False) -> None:
    """Record one round's assessment from a YAML file."""
    from ..services.routines.assessments import record_assessment

    r = record_assessment(open_db(db), priority, file, by=by or login_name())
    render_assessment_recorded(priority, r, as_json=as_json)


def render_assessment_recorded(priority: str, r: AssessmentRecorded, *,
                               as_json: bool = False) -> None:
    """The round just recorded: its likelihood and the change since the last."""
    if as_json:
        print_json(r)
        return
    console.print(f"{priority} {r.round}: {r.likelihood.replace('_', '/')}. "
                  f"{r.change.get('sentence', '')}", highlight=False)


@assess_app.command("show")
def assess_show(priority: PriorityArg, db: DbOption = None, as_of: AsOfOption = None,
                as_json: JsonOption = False) -> None:
    """Every round, and the latest beside the statistics, with a flag wherever judgement
    and statistics disagree."""
    from ..services.routines.assessments import show_assessments

    r = show_assessments(open_db(db), priority, as_of=parse_as_of(as_of))
    render_assessments(priority, r, as_json=as_json)


def render_assessments(priority: str, r: AssessmentsView, *, as_json: bool = False) -> None:
    """Every round, the statistics beside the latest, and each disagreement."""
    if as_json:
        print_json(r)
        return
    t = Table(title=f"{priority}: assessments")
    for col in ("round", "assessed on", "likelihood", "change"):
        t.add_column(col)
    for row in r.rounds:
        t.add_row(row.round, row.assessed_on, row.likelihood.replace("_", "/"),
                  (row.change or {}).get("sentence", ""))
    show(t)
    e = r.evidence
    prob = e.get("probability_of_meeting")
    console.print(f"Statistics: {str(e.get('status') or '-').replace('_', ' ')}; gap "
                  f"{'-' if e.get('gap') is None else format(e['gap'], ',.1f')}; "
                  f"P(meeting target) {'-' if prob is None else format(prob, '.0%')}; "
                  f"SPC {e.get('variation_icon') or '-'}", highlight=False)
    for f in r.flags:
        console.print(f"[bold red]disagreement:[/bold red] {f['message']}")


# -- stocktakes and actions -----------------------------------------------------------------

@stocktakes_app.command("schedule")
def stocktakes_schedule(priority: PriorityArg, db: DbOption = None,
                        every: Annotated[int, typer.Option(
                            "--every", metavar="N", help="Every N weeks or months.")] = 3,
                        unit: Annotated[str, typer.Option(
                            "--unit", metavar="UNIT", help="weeks or months.")] = "months",
                        start: Annotated[str, typer.Option(
                            "--start", metavar="DATE", help="The first stocktake's date.")]
                        = "", by: ByOption = "") -> None:
    """Set how often the priority is taken stock of."""
    from ..services.routines.stocktakes import set_schedule

    doc: dict[str, Any] = {"every": every, "unit": unit, "start": start or None}
    r = set_schedule(open_db(db), priority, doc, by=by or login_name())
    console.print(f"{priority}: every {every} {unit}; next stocktake {r.next}.")


@stocktakes_app.command("record")
def stocktakes_record(priority: PriorityArg, file: FileArg, db: DbOption = None,
                      by: ByOption = "", as_json: JsonOption = False) -> None:
    """Record a stocktake (date, attendees, pack, decisions, actions) from a YAML file."""
    from ..services.routines.stocktakes import record_stocktake

    r = record_stocktake(open_db(db), priority, file, by=by or login_name())
    render_stocktake_recorded(priority, r, as_json=as_json)


def render_stocktake_recorded(priority: str, r: StocktakeRecorded, *,
                              as_json: bool = False) -> None:
    """The stocktake just recorded, with its decisions and the ids of its actions."""
    if as_json:
        print_json(r)
        return
    console.print(f"{priority}: stocktake of {r.held_on} recorded with {r.decisions} "
                  f"decision(s) and {len(r.actions)} action(s) "
                  f"(ids {', '.join(map(str, r.actions)) or '-'}).")


@stocktakes_app.command("show")
def stocktakes_show(priority: PriorityArg, db: DbOption = None, as_of: AsOfOption = None,
                    as_json: JsonOption = False) -> None:
    """The schedule, past stocktakes with decisions and actions, and the actions to follow
    up at the next one."""
    from ..services.routines.stocktakes import stocktake_overview

    r = stocktake_overview(open_db(db), priority, as_of=parse_as_of(as_of))
    render_stocktakes(priority, r, as_json=as_json)


def render_stocktakes(priority: str, r: StocktakeOverview, *, as_json: bool = False) -> None:
    """The next stocktake, the past ones, and the actions to follow up."""
    if as_json:
        print_json(r)
        return
    console.print(f"[bold]{priority}[/bold]: next stocktake {r.next or 'not scheduled'}")
    for s in r.stocktakes:
        console.print(f"{s['held_on']}: {len(s.get('decisions') or [])} decision(s), "
                      f"{len(s['actions'])} action(s)", highlight=False)
    _actions_table(r.carried_over, "To follow up")


def _actions_table(rows: Sequence[CarriedAction | ActionRow], title: str) -> None:
    """Actions carried over or listed: the fields the two share."""
    t = Table(title=title)
    for col in ("id", "raised", "action", "owner", "due", "status", "days late"):
        t.add_column(col, justify="right" if col in ("id", "days late") else "left")
    for a in rows:
        review = getattr(a, "review", None)  # a recommendation of a priority review
        raised = f"{a.raised_on} (review {review})" if review else a.raised_on
        t.add_row(str(a.id or "-"), raised, a.text, a.owner, a.due, a.status,
                  str(a.days_overdue or ""))
    show(t)


@actions_app.command("list")
def actions_list(db: DbOption = None,
                 priority: Annotated[str | None, typer.Option(
                     "--priority", metavar="CODE", help="Only this priority.")] = None,
                 open_only: Annotated[bool, typer.Option(
                     "--open", help="Only actions not yet done or dropped.")] = False,
                 as_of: AsOfOption = None, as_json: JsonOption = False) -> None:
    """Every action from stocktakes and priority reviews, with its status and days
    overdue."""
    from ..services.routines.stocktakes import list_actions

    r = list_actions(open_db(db), priority=priority, open_only=open_only,
                     as_of=parse_as_of(as_of))
    render_actions(r, as_json=as_json)


def render_actions(r: ActionList, *, as_json: bool = False) -> None:
    """Every action with its status and days overdue."""
    if as_json:
        print_json(r)
        return
    _actions_table(r.actions, f"Actions as of {r.today}")


@actions_app.command("update")
def actions_update(action_id: Annotated[int, typer.Argument(metavar="ID", help="Action id.")],
                   status: Annotated[str, typer.Option(
                       "--status", metavar="STATUS", help="open, in_progress, done or "
                       "dropped.")],
                   db: DbOption = None,
                   note: Annotated[str, typer.Option("--note", metavar="TEXT",
                                                     help="What happened.")] = "",
                   on: Annotated[str | None, typer.Option(
                       "--on", metavar="DATE", help="When (default today).")] = None,
                   by: ByOption = "") -> None:
    """Record an action's progress; its history is kept."""
    from ..services.routines.stocktakes import update_action

    try:
        day = date.fromisoformat(on) if on else None
    except ValueError:
        raise typer.BadParameter(f"'{on}' is not a date like 2026-07-31",
                                 param_hint="--on") from None
    r = update_action(open_db(db), action_id, status=status, note=note, on=day,
                      by=by or login_name())
    console.print(f"action {r.action} ({r.priority}): {r.from_status} -> {r.status} on "
                  f"{r.on}.")


def register(app: typer.Typer) -> None:
    app.add_typer(plan_app, name="plan")
    app.add_typer(chain_app, name="chain")
    app.add_typer(assess_app, name="assess")
    app.add_typer(stocktakes_app, name="stocktakes")
    app.add_typer(actions_app, name="actions")
