"""Turn a gathered context into a briefing document: HTML from Jinja2 templates with the
charts inline as SVG (nothing fetched), and PDF from that HTML with WeasyPrint."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from ..delivery import assessments as da
from ..delivery import chains as dc
from ..errors import Invalid
from ..results.readings import UnitComparison
from . import contracts, locale
from .chain_diagram import chain_svg
from .charts import (
    funnel_chart,
    headline_chart,
    shared_range,
    unit_panel,
)
from .figures import likelihood_figure
from .formatting import FILTERS
from .said import said_in
from .timeline import milestone_timeline

FORMATS = (".html", ".pdf")


@cache
def environment(lang: str = "en") -> jinja2.Environment:
    """The documents' templates in ``lang``: its messages from the catalogue (gettext, the
    i18n extension) and, in French, its numbers and dates by the locale's rules."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("stocktake.reports", "templates"),
                             autoescape=jinja2.select_autoescape(("html",)),
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(locale.translations(lang), newstyle=True)
    env.globals["lang"] = lang
    env.filters.update(FILTERS)
    env.filters["assessment_change"] = lambda change: locale.assessment_change(change, "en")
    # A word the documents receive as data (a status, a question of the routine): its
    # translation, and as plain text, so that it is escaped as before.
    env.filters["tr"] = lambda word: locale.translations(lang).gettext(word) if word else word
    # The analysis' sentences (a chart's reading note): in the document's language.
    env.filters["said"] = lambda text: said_in(text, lang)
    if lang != "en":
        env.filters.update(locale.filters(lang))
    env.filters["abs"] = abs
    return contracts.enforce(env)


def _criteria() -> tuple[list[tuple[str, str]], dict[str, str]]:
    criteria = [(key, label) for key, label, _scale in da.CRITERIA]
    words = {k: v for k, v in da.LIKELIHOOD_LABELS.items()}
    words.update({k: v for k, v in getattr(da, "RATING_LABELS", {}).items()})
    return criteria, words


def render_pack(context: dict[str, Any], *, funnel: UnitComparison | None = None,
                funnel_note: str | None = None, shared_scale: bool = False,
                lang: str = "en") -> str:
    """The stocktake pack as one self-contained HTML document; with ``funnel`` (the units
    compared on the headline, services.publishing.packs.headline_funnel) its funnel plot,
    or else ``funnel_note``, why there is none. The units' small multiples are each on its
    own scale (a small unit's line is not flattened by a big one's), or with
    ``shared_scale`` on one scale, so that their levels compare. In ``lang`` (en or fr)."""
    c = dict(context)
    trajectory = c.pop("trajectory")  # drawn here, not read by the template
    spc = c["spc"] if c["spc"] and c["spc"].points else None
    with locale.writing_in(lang):
        c["headline_svg"] = headline_chart(trajectory, spc, width=760, height=340)
        y_range = shared_range(list(c["units"])) if shared_scale else None
        c["panels_shared"] = y_range is not None
        c["panels"] = {u.unit: unit_panel(u, width=200, height=110, font_size=10,
                                          y_range=y_range, decimals=c["headline"].decimals)
                       for u in c["units"]}
        c["funnel_svg"] = funnel_chart(funnel, width=760, height=400) if funnel else ""
        c["chain_svg"], c["actor_names"] = "", {}
        chain: dc.Chain | None = c.pop("chain_object", None)
        if chain is not None:
            c["chain_svg"] = chain_svg(chain, c["chain"].analysis)
            c["actor_names"] = {a.code: a.name for a in chain.actors}
    c["funnel_note"] = funnel_note
    c["criteria"], c["rating_words"] = _criteria()
    return environment(lang).get_template("pack.html").render(c=c)


def check_out(out: str | Path, formats: tuple[str, ...] = FORMATS) -> Path:
    """The path to write a document to; Invalid for a suffix not in ``formats`` or a folder
    that does not exist (checked before any work, so a refusal changes nothing)."""
    path = Path(out)
    if path.suffix.lower() not in formats:
        either = ", ".join(formats[:-1]) + f" or {formats[-1]}"
        raise Invalid(f"--out {path}: write {either}, not '{path.suffix or 'no suffix'}'")
    if not path.parent.exists():
        raise Invalid(f"--out {path}: the folder {path.parent} does not exist")
    return path


def write_document(html: str, out: str | Path) -> Path:
    """Write HTML as it is, or as PDF, by the file's suffix; Invalid for another suffix or
    a folder that does not exist."""
    path = check_out(out)
    if path.suffix.lower() == ".html":
        path.write_text(html, encoding="utf-8")
    else:
        path.write_bytes(html_to_pdf(html))
    return path


def html_to_pdf(html: str) -> bytes:
    """PDF bytes; the HTML is self-contained, so no base URL and nothing fetched."""
    import weasyprint  # imported here: it takes a moment, and only PDFs need it

    return weasyprint.HTML(string=html, url_fetcher=_refuse).write_pdf()


def _refuse(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError(f"a briefing document may not fetch anything at run time ({url})")


def render_note(context: dict[str, Any], lang: str = "en") -> str:
    """The monthly note: one page across all priorities, in ``lang`` (en or fr)."""
    return environment(lang).get_template("note.html").render(c=context)


def render_report(context: dict[str, Any], lang: str = "en") -> str:
    """The delivery report: likelihood league, successes with credit, concerns, quality; in
    ``lang`` (en or fr)."""
    c = dict(context)
    with locale.writing_in(lang):
        c["likelihood_figure"] = likelihood_figure(c)  # the same figure the office formats show
        c["timeline_svg"] = milestone_timeline(c["across"]) if "across" in c else ""
    c.pop("likelihood_rounds", None)
    return environment(lang).get_template("report.html").render(c=c)
