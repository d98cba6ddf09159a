"""The stocktake command line: parse the arguments, call a service, hand its result to a
renderer (a table, or the same result as --json). No business logic.

One module per feature, as in ``web/``: ``admin`` (demo, serve, db), ``backup`` (backup,
restore), ``model`` (load, units, indicators, priorities, changes), ``data`` (submit,
export, history, template, quality, approve, reopen, batches), ``reading`` (status,
trajectory, series), ``spc`` (spc, spc-rebase), ``alerts`` (alerts, alerts review),
``studies`` (compare, backtest, leads, nowcast), ``documents`` (pack, note, report,
publish), ``delivery`` (plan, chain, assess, stocktakes, actions), ``commitments`` (commitments,
priority: intensity and reviews) and ``accounts`` (user).
``common`` holds what they share; ``exits`` is the one place where an error becomes an exit
code and a message.
"""

from __future__ import annotations

import typer

from . import (
    accounts,
    admin,
    alerts,
    backup,
    commitments,
    data,
    delivery,
    documents,
    model,
    reading,
    spc,
    studies,
)
from .exits import StocktakeGroup

app = typer.Typer(
    cls=StocktakeGroup,
    help="stocktake: priorities, a data system with vintages, and the routines of delivery.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

# The order here is the order of `stocktake --help` (commands first, then groups).
for feature in (admin, backup, model, data, reading, spc, alerts, studies, documents, delivery,
                commitments, accounts):
    feature.register(app)


def main() -> None:
    app()


__all__ = ["app", "main"]
