"""`stocktake publish`: write the public progress site (published priorities only) to a
folder of static files. Thin, like cli.py: parse, call, print."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .cli_common import (
    AsOfOption,
    DbOption,
    JsonOption,
    _engine,
    _print_json,
    _service,
    console,
    parse_as_of,
)


def publish(
    out: Annotated[Path, typer.Option(
        "--out", metavar="DIR", help="The folder to write the site into (created if missing).")],
    db: DbOption = None,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write the public progress site: index.html, a page per published priority and per
    jurisdiction, each headline series as CSV, and its stylesheet. Only priorities with
    'published: true' in priorities.yaml, and only complete periods. No JavaScript; every
    link is relative, so the folder can be served from anywhere or opened from disk."""
    from .web.public import publish_site

    result = _service(publish_site, _engine(db), out, as_of=parse_as_of(as_of))
    if as_json:
        _print_json(result)
        return
    console.print(f"Wrote {len(result['files'])} files to {result['out']}: "
                  f"{len(result['priorities'])} published priorities "
                  f"({', '.join(result['priorities']) or 'none'}); data as of "
                  f"{result['data_as_of'] or 'no data'}.")


def register(app: typer.Typer) -> None:
    app.command("publish")(publish)
