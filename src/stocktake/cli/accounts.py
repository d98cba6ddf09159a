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
    return typer.prompt("Password (12 characters or more, not easy to guess)", hide_input=True,
                        confirmation_prompt=True)


@user_app.command("add")
def user_add(username: UserArg, role: RoleOption, db: DbOption = None,
             unit: UnitOption = None, priority: PrioritiesOption = None,
             password_stdin: Annotated[bool, typer.Option(
                 "--password-stdin", help="Read the password from standard input instead "
                 "of asking.")] = False) -> None:
    """Create an account (the password is asked for, never given on the command line)."""
    from ..services.admin.accounts import create_user

    engine = open_db(db)
    user = create_user(engine, username, role, _password(password_stdin),
                       unit=unit, priorities=tuple(priority or ()), by="cli")
    console.print(f"Account {user.username} ({user.role}) created.")


@user_app.command("list")
def user_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Every account with its role, unit or priorities, and whether it is active."""
    from ..services.admin.accounts import list_users

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
    from ..services.admin.accounts import set_role

    user = set_role(open_db(db), username, role, unit=unit,
                    priorities=tuple(priority or ()), by="cli")
    console.print(f"{user.username} is now {user.role}.")


@user_app.command("disable")
def user_disable(username: UserArg, db: DbOption = None) -> None:
    """Disable an account: its sessions and tokens stop working at once."""
    from ..services.admin.accounts import disable_user

    disable_user(open_db(db), username, by="cli")
    console.print(f"{username} disabled.")


@user_app.command("token")
def user_token(username: UserArg, db: DbOption = None,
               scope: Annotated[str, typer.Option(
                   "--scope", metavar="SCOPE", help="read; routines to write plans, "
                   "assessments, stocktakes, actions and alert reviews as the account's role "
                   "allows; or unit:CODE to submit data as a provider for that unit.")]
               = "read",
               label: Annotated[str, typer.Option("--label", metavar="TEXT",
                                                  help="What the token is for.")] = "") -> None:
    """Make an API token for the account (shown once; only its hash is kept)."""
    from ..services.admin.accounts import create_api_token

    token = create_api_token(open_db(db), username, scope, label=label, by="cli")
    err.print(f"API token for {username} ({scope}); it is shown only now:")
    console.print(token)


@user_app.command("tokens")
def user_tokens(username: Annotated[str | None, typer.Argument(
                    metavar="[USERNAME]", help="Whose tokens (default: every user's).")] = None,
                db: DbOption = None,
                revoked: Annotated[bool, typer.Option(
                    "--revoked", help="Include revoked tokens.")] = False,
                as_json: JsonOption = False) -> None:
    """API tokens with their scope and last use (never the tokens themselves)."""
    from ..services.admin.accounts import list_all_api_tokens, list_api_tokens

    engine = open_db(db)
    if username is None:
        tokens = list_all_api_tokens(engine, live_only=not revoked)
    else:
        tokens = [t for t in list_api_tokens(engine, username) if revoked or not t.revoked_at]
    if as_json:
        print_json([{"id": t.id, "user": t.username or username, "scope": t.scope,
                     "label": t.label, "created_at": t.created_at,
                     "last_used_at": t.last_used_at, "last_used_ip": t.last_used_ip,
                     "revoked_at": t.revoked_at} for t in tokens])
        return
    t = Table(title="API tokens")
    for col in ("id", "user", "scope", "label", "made", "last used", "revoked"):
        t.add_column(col)
    for tok in tokens:
        used = (f"{tok.last_used_at:%Y-%m-%d %H:%M}"
                + (f" from {tok.last_used_ip}" if tok.last_used_ip else "")
                if tok.last_used_at else "never")
        t.add_row(str(tok.id), tok.username or username or "", tok.scope, tok.label,
                  f"{tok.created_at:%Y-%m-%d %H:%M}", used,
                  f"{tok.revoked_at:%Y-%m-%d %H:%M}" if tok.revoked_at else "")
    show(t)


@user_app.command("revoke-token")
def user_revoke_token(username: UserArg,
                      token_id: Annotated[int, typer.Argument(
                          metavar="ID", help="The token's number (see `user tokens`).")],
                      db: DbOption = None) -> None:
    """Revoke an API token of the account: it stops working at once."""
    from ..services.admin.accounts import revoke_api_token

    revoke_api_token(open_db(db), username, token_id, by="cli")
    console.print(f"API token {token_id} of {username} revoked.")


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
