"""Commitments and escalation: ``stocktake commitments`` (list, load, set) and ``stocktake
priority`` (intensity, escalation, review ...). Each calls a service and prints its result,
or the same result as --json."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ..delivery.commitments import STATUSES
from ..delivery.escalation import INTENSITIES
from ..results.commitments import (
    CommitmentsReport,
    EscalationReport,
    PriorityEscalation,
    ReviewDone,
)
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

commitments_app = typer.Typer(
    help="The commitments tracker: every commitment's status, counts and movement.",
    invoke_without_command=True)
priority_app = typer.Typer(help="Escalation: a priority's intensity and its priority reviews.")
review_app = typer.Typer(help="Priority reviews: commission, report, follow up, close.")
priority_app.add_typer(review_app, name="review")

ByOption = Annotated[str | None, typer.Option(
    "--by", metavar="NAME", help="Who records it (default: your login name).")]
STATUS_HELP = "; ".join(f"{k} ({v})" for k, v in STATUSES.items())


@commitments_app.callback()
def commitments(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(
        "--status", metavar="S", help=f"Only this status: {STATUS_HELP}.")] = None,
    minister: Annotated[str | None, typer.Option(
        "--minister", metavar="NAME", help="Only this minister's commitments.")] = None,
    department: Annotated[str | None, typer.Option(
        "--department", metavar="NAME", help="Only this department's.")] = None,
    search: Annotated[str | None, typer.Option(
        "--search", metavar="WORDS", help="Only those whose text, code, minister, department "
        "or partners hold every word.")] = None,
    since: Annotated[str | None, typer.Option(
        "--since", metavar="DATE", help="The last report: movement is counted from then "
        "(default: 30 days before the moment read).")] = None,
    db: DbOption = None,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """The commitments with their status, counts by status, minister and department, and
    every change of status since the last report (--since)."""
    if ctx.invoked_subcommand is not None:
        return
    from ..services.routines.commitments import commitments_report

    report = commitments_report(open_db(db), as_of=parse_as_of(as_of),
                                since=_since(since), status=status, minister=minister,
                                department=department, search=search, per_page=0)
    render_commitments(report, as_json=as_json)


def _since(text: str | None):
    from ..errors import Invalid
    from ..services.reading.clock import parse_moment

    try:
        return parse_moment(text, "--since")
    except Invalid:
        raise typer.BadParameter(f"'{text}' is not a date; use e.g. 2025-03-01",
                                 param_hint="--since") from None


def render_commitments(report: CommitmentsReport, *, as_json: bool = False) -> None:
    if as_json:
        print_json(report)
        return
    table = Table(title=f"Commitments: {report.total} (data as of "
                  f"{report.as_of:%Y-%m-%d %H:%M})")
    for col in ("code", "status", "minister", "department", "commitment"):
        table.add_column(col, overflow="fold")
    for c in report.commitments:
        table.add_row(c["code"], c["label"], escape(c["minister"]), escape(c["department"]),
                      escape(c["text"]))
    show(table)
    counts = Table(title="By status")
    counts.add_column("status")
    counts.add_column("commitments", justify="right")
    for key, n in report.by_status.items():
        counts.add_row(STATUSES[key], str(n))
    show(counts)
    for by, title in ((report.by_minister, "By minister"),
                      (report.by_department, "By department")):
        t = Table(title=title)
        t.add_column(title.removeprefix("By "))
        for key in STATUSES:
            t.add_column(STATUSES[key], justify="right")
        for name, row in by.items():
            t.add_row(escape(name), *(str(row[k]) for k in STATUSES))
        show(t)
    console.print(f"Movement since {report.since:%Y-%m-%d}: {len(report.movements)} "
                  "changed status.")
    for m in report.movements:
        console.print(f"  {m['code']}: {m['before_label'] or 'new'} -> {m['after_label']}"
                      + (f" ({m['reason']})" if m["reason"] else ""), markup=False)


@commitments_app.command("load")
def commitments_load(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A CSV or YAML file.")],
    db: DbOption = None, by: ByOption = None,
    require_languages: Annotated[str, typer.Option(
        "--require-languages", help="Languages every text and rationale must have: en, or "
        "en,fr to refuse a file missing any French (text_fr, rationale_fr); without it a "
        "missing one is a warning, once the file holds any French.")] = "en",
    as_json: JsonOption = False,
) -> None:
    """Add or update commitments from a CSV or YAML file (docs/guide.md, "Commitments").
    A row whose status differs records a change, with its 'reason' column; all or nothing."""
    from ..model.files import parse_languages
    from ..services.routines.commitments import load_commitments

    done = load_commitments(open_db(db), file, by=by or login_name(),
                            require_languages=parse_languages(require_languages))
    if as_json:
        print_json(done)
        return
    render_french_warnings(done.warnings)
    console.print(f"{done.source}: {done.added} added, {done.updated} updated, "
                  f"{done.status_changes} changed status, {done.unchanged} unchanged.",
                  markup=False)


@commitments_app.command("set")
def commitments_set(
    code: Annotated[str, typer.Argument(metavar="CODE", help="The commitment's code.")],
    status: Annotated[str, typer.Argument(metavar="STATUS", help=STATUS_HELP)],
    reason: Annotated[str, typer.Option("--reason", metavar="TEXT",
                                        help="Why (required; kept with who and when).")],
    db: DbOption = None, by: ByOption = None, as_json: JsonOption = False,
) -> None:
    """Change one commitment's status, with the reason."""
    from ..services.routines.commitments import set_status

    done = set_status(open_db(db), code, status, reason=reason, by=by or login_name())
    if as_json:
        print_json(done)
        return
    console.print(f"{done.code}: {STATUSES.get(done.before or '', 'none')} -> {done.label} "
                  f"by {done.by}: {done.reason}", markup=False)


@priority_app.command("intensity")
def priority_intensity(
    priority: PriorityArg,
    level: Annotated[str, typer.Argument(metavar="LEVEL", help=", ".join(INTENSITIES))],
    reason: Annotated[str, typer.Option("--reason", metavar="TEXT",
                                        help="Why (required; kept with who and when).")],
    db: DbOption = None, by: ByOption = None, as_json: JsonOption = False,
) -> None:
    """Move a priority to routine, intensive or crisis, with the reason."""
    from ..services.routines.escalation import set_intensity

    p = set_intensity(open_db(db), priority, level, reason=reason, by=by or login_name())
    if as_json:
        print_json(p)
        return
    render_priority(p)


@priority_app.command("escalation")
def priority_escalation(
    priority: Annotated[str | None, typer.Argument(metavar="[PRIORITY]",
                                                   help="One priority (default: all).")]
    = None,
    db: DbOption = None, as_of: AsOfOption = None, as_json: JsonOption = False,
) -> None:
    """Each priority's intensity, with its history, and its priority reviews."""
    from ..services.routines.escalation import escalation

    report = escalation(open_db(db), priority=priority, as_of=parse_as_of(as_of))
    render_escalation(report, as_json=as_json)


def render_escalation(report: EscalationReport, *, as_json: bool = False) -> None:
    if as_json:
        print_json(report)
        return
    table = Table(title="Escalation")
    for col in ("priority", "intensity", "since", "reason", "open reviews"):
        table.add_column(col, overflow="fold")
    for p in report.priorities:
        last = p.history[-1] if p.history else None
        table.add_row(p.priority, p.level, f"{last['at']:%Y-%m-%d}" if last else "",
                      escape(last["reason"]) if last else "", str(p.open_reviews))
    show(table)
    for p in report.priorities:
        for r in p.reviews:
            _print_review(r)


def render_priority(p: PriorityEscalation) -> None:
    console.print(f"{p.priority}: {p.level} ({p.label})", markup=False)
    for h in p.history:
        console.print(f"  {h['at']:%Y-%m-%d} {h['level']} by {h['by']}: {h['reason']}",
                      markup=False)


def _print_review(r: dict) -> None:
    console.print(f"Review {r['number']} of {r['priority']} ({r['stage']}, commissioned "
                  f"{r['commissioned_on']}): {r['scope']}; team: {', '.join(r['team'])}",
                  markup=False)
    if r["findings"]:
        console.print(f"  findings: {r['findings']}", markup=False)
    for rec in r["recommendations"]:
        console.print(f"  {rec['code']} [{rec['status']}] {rec['text']} ({rec['owner']}, "
                      f"due {rec['due']})", markup=False)


def _render_done(done: ReviewDone, as_json: bool) -> None:
    if as_json:
        print_json(done)
        return
    console.print(f"Review {done.review['number']}: {done.what}.", markup=False)
    _print_review(done.review)


@review_app.command("commission")
def review_commission(
    priority: PriorityArg,
    scope: Annotated[str, typer.Option("--scope", metavar="TEXT",
                                       help="What the review will look at.")],
    team: Annotated[list[str], typer.Option("--team", metavar="NAME",
                                            help="A member of the team (repeat).")],
    db: DbOption = None, by: ByOption = None, as_json: JsonOption = False,
) -> None:
    """Commission a priority review: its scope and its team."""
    from ..services.routines.escalation import commission_review

    _render_done(commission_review(open_db(db), priority, scope=scope, team=team,
                                   by=by or login_name()), as_json)


@review_app.command("report")
def review_report(
    number: Annotated[int, typer.Argument(metavar="N", help="The review's number.")],
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A YAML file: findings, and "
                                         "recommendations (each text, owner, due).")],
    db: DbOption = None, by: ByOption = None, as_json: JsonOption = False,
) -> None:
    """Record a review's findings and recommendations (each becomes an action to follow
    up)."""
    from ..errors import Invalid, Problem
    from ..services.routines.documents import load_document
    from ..services.routines.escalation import report_review

    doc, _ = load_document(file)
    if not isinstance(doc, dict):
        raise Invalid(Problem("a mapping with findings and recommendations", str(file)))
    _render_done(report_review(open_db(db), number, findings=doc.get("findings", ""),
                               recommendations=doc.get("recommendations"),
                               by=by or login_name()), as_json)


@review_app.command("follow-up")
def review_follow_up(
    number: Annotated[int, typer.Argument(metavar="N", help="The review's number.")],
    recommendation: Annotated[str, typer.Argument(metavar="R", help="e.g. R1.")],
    status: Annotated[str, typer.Option("--status", metavar="open|in_progress|done|dropped",
                                        help="The recommendation's new status.")],
    note: Annotated[str, typer.Option("--note", metavar="TEXT", help="What was done.")] = "",
    db: DbOption = None, by: ByOption = None, as_json: JsonOption = False,
) -> None:
    """Follow up one recommendation of a reported review."""
    from ..services.routines.escalation import follow_up

    _render_done(follow_up(open_db(db), number, recommendation, status=status, note=note,
                           by=by or login_name()), as_json)


@review_app.command("close")
def review_close(
    number: Annotated[int, typer.Argument(metavar="N", help="The review's number.")],
    reason: Annotated[str, typer.Option("--reason", metavar="TEXT", help="Why it is closed.")],
    db: DbOption = None, by: ByOption = None, as_json: JsonOption = False,
) -> None:
    """Close a priority review."""
    from ..services.routines.escalation import close_review

    _render_done(close_review(open_db(db), number, reason=reason, by=by or login_name()),
                 as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(commitments_app, name="commitments")
    app.add_typer(priority_app, name="priority")
