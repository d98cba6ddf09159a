"""The documents the routines run on: the stocktake pack, the monthly note, the delivery
report, and the public progress site. Each command writes its document through a service
and hands what it wrote to a renderer: a line saying where, or --json."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from .common import (
    AsOfOption,
    DbOption,
    JsonOption,
    PriorityArg,
    console,
    open_db,
    parse_as_of,
    print_json,
)

PackOutOption = Annotated[Path, typer.Option(
    "--out", metavar="FILE", help="Where to write it: .pdf, .html or .pptx (PowerPoint).")]
OutOption = Annotated[Path, typer.Option(
    "--out", metavar="FILE",
    help="Where to write it: .pdf, .html, .docx (Word) or .pptx (PowerPoint).")]
ThemeOption = Annotated[str | None, typer.Option(
    "--theme", metavar="FILE", help="The colours and font of a .pptx or .docx, in place of "
    "the model's theme.yaml: a YAML file of font, primary, actual, forecast, ok, warn, bad "
    "(colours as #RRGGBB).")]
LangOption = Annotated[str, typer.Option(
    "--lang", help="The document's language: en, or fr (French headings, sentences, "
    "numbers, dates, charts and the model's French names).")]


def pack(priority: PriorityArg, out: PackOutOption, db: DbOption = None,
         as_of: AsOfOption = None, theme: ThemeOption = None, lang: LangOption = "en",
         as_json: JsonOption = False) -> None:
    """The stocktake pack for one priority, as PDF, HTML or a PowerPoint deck to edit, built
    on Barber's five questions, from the data as known at --as-of."""
    from ..services.publishing.packs import write_pack

    r = write_pack(open_db(db), priority, str(out), as_of=parse_as_of(as_of),
                   theme=theme, lang=lang)
    render_document(f"Pack for {priority}", r, as_json=as_json)


def note(month: Annotated[str, typer.Option("--month", metavar="YYYY-MM",
                                            help="The month the note covers.")],
         out: OutOption, db: DbOption = None, theme: ThemeOption = None,
         lang: LangOption = "en", as_json: JsonOption = False) -> None:
    """The monthly note to the leader: one page across all priorities: what moved, what is
    off track, what needs a decision. As PDF, HTML, or a Word document or PowerPoint deck
    to edit."""
    from ..services.publishing.briefings import write_note

    r = write_note(open_db(db), month, str(out), theme=theme, lang=lang)
    render_document(f"Monthly note for {month}", r, as_json=as_json)


def report(out: OutOption, db: DbOption = None, as_of: AsOfOption = None,
           theme: ThemeOption = None, lang: LangOption = "en",
           as_json: JsonOption = False) -> None:
    """The delivery report: every priority's likelihood of delivery as a league table,
    change since the last round, successes with credit, concerns, data-quality league. As
    PDF, HTML, or a Word document or PowerPoint deck to edit."""
    from ..services.publishing.briefings import write_report

    r = write_report(open_db(db), str(out), as_of=parse_as_of(as_of), theme=theme,
                     lang=lang)
    render_document("Delivery report", r, as_json=as_json)


def render_document(what: str, r: dict[str, Any], *, as_json: bool = False) -> None:
    """Where a document was written and how recent its data are."""
    if as_json:
        print_json(r)
        return
    console.print(f"{what} written to {r['out']} ({_vintage(r)}).")


def _vintage(r: dict[str, Any]) -> str:
    """Where a document's data stand in words: never "data as of None" (no data had been
    recorded by --as-of, or at all)."""
    from ..reports.formatting import when

    if r.get("data_as_of"):
        return f"data as of {when(r['data_as_of'])}"
    if r.get("as_of"):
        return f"no data had been recorded by {when(r['as_of'])}"
    return "no data recorded yet"


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
    link is relative, so the folder can be served from anywhere or opened from disk. The
    same site in French goes into DIR/fr/, each page linking to its other version."""
    from ..web.public import publish_site

    render_site(publish_site(open_db(db), out, as_of=parse_as_of(as_of)), as_json=as_json)


def render_site(result: dict[str, Any], *, as_json: bool = False) -> None:
    """How many files the public site has, where, and which priorities it publishes."""
    if as_json:
        print_json(result)
        return
    console.print(f"Wrote {len(result['files'])} files to {result['out']}: "
                  f"{len(result['priorities'])} published priorities "
                  f"({', '.join(result['priorities']) or 'none'}); data as of "
                  f"{result['data_as_of'] or 'no data'}.")


def register(app: typer.Typer) -> None:
    for command in (pack, note, report, publish):
        app.command()(command)
