"""The stocktake command line: parse the arguments, call a service, hand its result to a
renderer (a table, or the same result as --json). No business logic.

One module per feature, as in ``web/``: ``admin`` (demo, serve, audit, settings, db),
``backup`` (backup, restore), ``model`` (load, units, indicators, priorities, changes),
``data`` (submit, export, history, template, quality, approve, reopen, batches), ``compute``
(indicators computed from record-level data), ``reading`` (status, trajectory, series),
``spc`` (spc, spc-rebase), ``alerts`` (alerts, alerts review), ``studies`` (compare,
backtest, leads, nowcast), ``documents`` (pack, note, report, publish), ``delivery`` (plan,
chain, assess, stocktakes, actions), ``commitments`` (commitments; priority: intensity
and reviews), ``reminders`` (remind, mail) and ``accounts`` (user).
``common`` holds what they share; ``exits`` is the one place where an error becomes an exit
code and a message; ``settings`` is the table of every setting and the config file.
"""

from __future__ import annotations

import typer

from ..errors import StocktakeError
from . import (
    accounts,
    admin,
    alerts,
    backup,
    commitments,
    compute,
    data,
    delivery,
    documents,
    model,
    reading,
    reminders,
    settings,
    spc,
    studies,
)
from .exits import StocktakeGroup, fail

app = typer.Typer(
    cls=StocktakeGroup,
    help="stocktake: priorities, a data system with vintages, and the routines of delivery.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

# The order here is the order of `stocktake --help` (commands first, then groups).
for feature in (admin, backup, model, data, compute, reading, spc, alerts, studies, documents,
                delivery, commitments, reminders, accounts):
    feature.register(app)


def main() -> None:
    try:
        settings.apply_config()  # the config file, before any option reads the environment
    except StocktakeError as exc:
        try:
            fail(exc)
        except typer.Exit as done:
            raise SystemExit(done.exit_code) from None
    app()


__all__ = ["app", "main"]
