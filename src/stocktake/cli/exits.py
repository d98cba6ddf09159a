"""The one place where the command line turns an error into an exit code and a message.

Each kind of ``StocktakeError`` (stocktake/errors.py) exits with its own ``exit_code``
(Invalid 2, NotFound 3, Conflict 4, Forbidden 5), its message on stderr, every problem
listed with where it is; with --json, the same as an object on stdout::

    {"error": {"kind": "not_found", "message": "...",
               "problems": [{"where": "...", "message": "..."}]}}

Anything else is a bug in stocktake: exit 70 (EX_SOFTWARE) with a short message naming
the exception's type, and no traceback unless STOCKTAKE_DEBUG=1.

Click's own exceptions (bad usage, --help, typer.Exit) pass through untouched; commands
that end with a result-shaped answer (load's problems, submit's rejection) still exit
themselves.
"""

from __future__ import annotations

import os
from typing import Any, NoReturn

import typer
from rich.markup import escape
from typer.core import TyperGroup

from ..errors import Conflict, Forbidden, Invalid, NotFound, StocktakeError
from .common import JSON_WANTED, err, print_json

INTERNAL_ERROR = 70  # EX_SOFTWARE in sysexits.h
KINDS = ((NotFound, "not_found"), (Invalid, "invalid"), (Conflict, "conflict"),
         (Forbidden, "forbidden"))


class StocktakeGroup(TyperGroup):
    """The root command group: runs the command asked for, and maps what it raises."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):  # usage, --help, exits
            raise
        except Exception as exc:
            if os.environ.get("STOCKTAKE_DEBUG") == "1" and not _user_error(exc):
                raise
            fail(exc, as_json=bool(ctx.meta.get(JSON_WANTED)))


def fail(exc: Exception, *, as_json: bool = False) -> NoReturn:
    """Say what went wrong (stderr, and stdout as JSON with --json) and exit with its code."""
    user_error = _user_error(exc)
    if user_error is None:
        err.print(f"[red]internal error:[/red] this is a bug in stocktake, please report it: "
                  f"{escape(type(exc).__name__)}: {escape(_first_line(exc))} (run again with "
                  "STOCKTAKE_DEBUG=1 to see where)", highlight=False)
        if as_json:
            print_json({"error": {"kind": "internal", "type": type(exc).__name__,
                                  "message": _first_line(exc), "problems": []}})
        raise typer.Exit(INTERNAL_ERROR)
    err.print(f"[red]error:[/red] {escape(str(user_error))}")
    if as_json:
        print_json({"error": {
            "kind": kind_name(user_error), "message": str(user_error),
            "problems": [{"where": p.where, "message": p.message}
                         for p in user_error.problems]}})
    raise typer.Exit(user_error.exit_code)


def kind_name(exc: StocktakeError) -> str:
    """``not_found``, ``invalid``, ``conflict``, ``forbidden``, or ``error`` for the base."""
    return next((name for kind, name in KINDS if isinstance(exc, kind)), "error")


def _user_error(exc: Exception) -> StocktakeError | None:
    """The error as a StocktakeError if a user can put it right, else None (a bug)."""
    return exc if isinstance(exc, StocktakeError) else None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "(no message)"
