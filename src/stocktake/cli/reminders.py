"""Reminders by e-mail: ``stocktake remind`` runs one pass (for cron), ``stocktake mail``
keeps the address book and shows what was sent. Each calls a service and renders its
answer as a table or --json."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ..delivery.reminders import KINDS
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
)


def remind(
    db: DbOption = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="List who would get what and why; send and record nothing.")] = False,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """One pass of reminders by e-mail, for cron: late returns to reporting units, coming
    stocktakes (with the pack) to attendees, actions and milestones coming due or overdue
    to their owners, a weekly digest to the delivery unit. Each event is mailed once; a
    failed send is tried again at the next pass. Needs STOCKTAKE_SMTP_URL
    (smtp://host:port, smtps://user:password@host:port or smtp+starttls://...) and
    STOCKTAKE_MAIL_FROM; without them it says so, sends nothing and exits with 6. Links
    point at STOCKTAKE_BASE_URL."""
    from ..services.routines.reminders import remind as run_pass

    result = run_pass(open_db(db), as_of=parse_as_of(as_of), dry_run=dry_run)
    if as_json:
        print_json(result.to_dict())
        return
    if result.lease_held_by:
        console.print(f"Another pass is running ({escape(result.lease_held_by)}): nothing "
                      "sent.")
        return
    t = Table(title=f"Reminders at {result.now}" + (" (dry run: nothing sent)"
                                                     if result.dry_run else ""))
    for col in ("kind", "to", "subject", "why", "attached") + (() if result.dry_run
                                                                else ("result",)):
        t.add_column(col)
    sent, failed = set(result.sent), dict(result.failed)
    for r in result.reminders:
        row = [r.kind, f"{r.to.name} <{r.to.address}>", r.subject, r.why,
               f"pack-{r.pack}.pdf" if r.pack else ""]
        if not result.dry_run:
            row.append("sent" if r.event_key in sent else
                       f"failed: {failed[r.event_key]}" if r.event_key in failed else
                       "sent before")
        t.add_row(*(escape(c) for c in row))
    show(t)
    if not result.dry_run:
        console.print(f"{len(result.sent)} sent, {len(result.failed)} failed, "
                      f"{len(result.already)} sent before.")


mail_app = typer.Typer(help="The address book of reminders, and the messages sent.",
                       no_args_is_help=True)

KindArg = Annotated[str, typer.Argument(
    metavar="KIND", help="user (an account), unit (a reporting unit's contact) or person (a "
    "name as written for owners and attendees in plans and stocktakes).")]
KeyArg = Annotated[str, typer.Argument(
    metavar="KEY", help="The username, unit code or person's name.")]


@mail_app.command("set")
def mail_set(
    kind: KindArg, key: KeyArg,
    address: Annotated[str, typer.Argument(metavar="ADDRESS", help="The e-mail address.")],
    reminders: Annotated[str | None, typer.Option(
        "--reminders", metavar="KINDS", help="Only these reminders, comma-separated: "
        f"{', '.join(KINDS)} (default: every kind that concerns them; 'none' for none).")]
    = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Set the e-mail address (and the reminders wanted) of an account, a unit's contact
    or a person."""
    from ..services.admin.addresses import set_address

    wanted = None if reminders is None else [
        r.strip() for r in reminders.split(",") if r.strip() and r.strip() != "none"]
    a = set_address(open_db(db), kind, key, address, reminders=wanted, by=login_name())
    if as_json:
        print_json(a.to_dict())
        return
    console.print(f"{escape(a.kind)} {escape(a.key)}: {escape(a.address)} ("
                  f"{_wanted(a.reminders)})")


@mail_app.command("remove")
def mail_remove(kind: KindArg, key: KeyArg, db: DbOption = None) -> None:
    """Remove an address from the book."""
    from ..services.admin.addresses import remove_address

    remove_address(open_db(db), kind, key, by=login_name())
    console.print(f"Removed the address of {escape(kind)} {escape(key)}.")


@mail_app.command("addresses")
def mail_addresses(db: DbOption = None, as_json: JsonOption = False) -> None:
    """The address book: who gets which reminders at which address."""
    from ..services.admin.addresses import list_addresses

    book = list_addresses(open_db(db))
    if as_json:
        print_json([a.to_dict() for a in book])
        return
    t = Table(title="Address book")
    for col in ("kind", "key", "address", "reminders", "simulated"):
        t.add_column(col)
    for a in book:
        t.add_row(a.kind, escape(a.key), escape(a.address), _wanted(a.reminders),
                  "yes" if a.simulated else "")
    show(t)


@mail_app.command("log")
def mail_log(
    db: DbOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1,
                                       help="At most this many, newest first.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """The messages sent or tried: to whom, what, when, and sent or failed (with why)."""
    from ..services.routines.reminders import message_log

    log = message_log(open_db(db), limit=limit)
    if as_json:
        print_json([m.to_dict() for m in log])
        return
    t = Table(title="Messages (newest first)")
    for col in ("when (UTC)", "kind", "to", "subject", "status", "tries"):
        t.add_column(col)
    for m in log:
        status = f"{m.status}: {m.error}" if m.error else m.status
        t.add_row(f"{m.created_at:%Y-%m-%d %H:%M}", m.kind, escape(m.recipient),
                  escape(m.subject), escape(status), str(m.attempts))
    show(t)


def _wanted(reminders: tuple[str, ...] | None) -> str:
    if reminders is None:
        return "every kind"
    return ", ".join(reminders) or "none"


def register(app: typer.Typer) -> None:
    app.command()(remind)
    app.add_typer(mail_app, name="mail")



