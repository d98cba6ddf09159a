"""Accounts: the first admin before `serve`, and users and API tokens from the command
line. Thin: parse, call services.accounts, print."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from .common import DbOption, JsonOption, console, err, open_db, print_json, show

user_app = typer.Typer(help="Accounts and roles: admin, analyst, owner, provider, executive.",
                       no_args_is_help=True)
UserArg = Annotated[str, typer.Argument(metavar="USERNAME", help="The account's name.")]
RoleOption = Annotated[str, typer.Option(
    "--role", metavar="ROLE", help="admin, analyst, owner, provider or executive.")]
UnitOption = Annotated[str | None, typer.Option(
    "--unit", metavar="CODE", help="A provider's reporting unit (it and the units below).")]
PrioritiesOption = Annotated[list[str] | None, typer.Option(
    "--priority", metavar="CODE", help="A priority an owner owns (repeat for more).")]


def _password(stdin: bool) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt("Password (12 characters or more)", hide_input=True,
                        confirmation_prompt=True)


@user_app.command("add")
def user_add(username: UserArg, role: RoleOption, db: DbOption = None,
             unit: UnitOption = None, priority: PrioritiesOption = None,
             password_stdin: Annotated[bool, typer.Option(
                 "--password-stdin", help="Read the password from standard input instead "
                 "of asking.")] = False) -> None:
    """Create an account (the password is asked for, never given on the command line)."""
    from ..services.accounts import create_user

    engine = open_db(db)
    user = create_user(engine, username, role, _password(password_stdin),
                       unit=unit, priorities=tuple(priority or ()), by="cli")
    console.print(f"Account {user.username} ({user.role}) created.")


@user_app.command("list")
def user_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Every account with its role, unit or priorities, and whether it is active."""
    from ..services.accounts import list_users

    render_users(list_users(open_db(db)), as_json=as_json)


def render_users(users: list, *, as_json: bool = False) -> None:
    """Every account with its role, unit or priorities, and whether it is active."""
    if as_json:
        print_json([{"username": u.username, "role": u.role, "unit": u.unit,
                     "priorities": list(u.priorities), "active": u.active,
                     "last_login_at": u.last_login_at} for u in users])
        return
    t = Table(title="Accounts")
    for col in ("username", "role", "unit", "priorities", "active", "last sign-in"):
        t.add_column(col)
    for u in users:
        t.add_row(u.username, u.role, u.unit or "", ", ".join(u.priorities),
                  "yes" if u.active else "no",
                  f"{u.last_login_at:%Y-%m-%d %H:%M}" if u.last_login_at else "never")
    show(t)


@user_app.command("set-role")
def user_set_role(username: UserArg, role: RoleOption, db: DbOption = None,
                  unit: UnitOption = None, priority: PrioritiesOption = None) -> None:
    """Change an account's role (and its unit or priorities)."""
    from ..services.accounts import set_role

    user = set_role(open_db(db), username, role, unit=unit,
                    priorities=tuple(priority or ()), by="cli")
    console.print(f"{user.username} is now {user.role}.")


@user_app.command("disable")
def user_disable(username: UserArg, db: DbOption = None) -> None:
    """Disable an account: its sessions and tokens stop working at once."""
    from ..services.accounts import disable_user

    disable_user(open_db(db), username, by="cli")
    console.print(f"{username} disabled.")


@user_app.command("token")
def user_token(username: UserArg, db: DbOption = None,
               scope: Annotated[str, typer.Option(
                   "--scope", metavar="SCOPE", help="read, or unit:CODE to submit data as a "
                   "provider for that unit.")] = "read",
               label: Annotated[str, typer.Option("--label", metavar="TEXT",
                                                  help="What the token is for.")] = "") -> None:
    """Make an API token for the account (shown once; only its hash is kept)."""
    from ..services.accounts import create_api_token

    token = create_api_token(open_db(db), username, scope, label=label, by="cli")
    err.print(f"API token for {username} ({scope}); it is shown only now:")
    console.print(token)


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
