"""The monthly note and the delivery report as Word documents (python-docx) that a private
office can edit: real headings (the navigation pane lists them), real tables, lists, and
"Data as of" in every page's footer. The words and numbers are the HTML documents' own,
from the same contexts (services.publishing.briefings)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Emu, Inches, Pt, RGBColor

from ..delivery.plans import HIGH_RISK_SCORE
from . import briefing_text as words
from .figures import (
    BarFigure,
    PictureFigure,
    bars_svg,
    likelihood_figure,
    note_figure,
    report_figure,
    timeline_figure,
)
from .locale import gettext, writing_in
from .office import data_as_of_line
from .pictures import PictureCache
from .theme import DEFAULT_THEME, Theme
from .written import day, said, status_word, word


class _Doc:
    """A Word document being written in a theme's font and colours."""

    def __init__(self, c: dict[str, Any], theme: Theme, what: str) -> None:
        self.theme = theme
        self.pictures = PictureCache()
        self.doc = Document()
        normal = self.doc.styles["Normal"]
        normal.font.name, normal.font.size = theme.font, Pt(10.5)
        for name in ("Title", "Heading 1", "Heading 2"):
            style = self.doc.styles[name]
            style.font.name = theme.font
            style.font.color.rgb = RGBColor(*theme.rgb("primary"))
        for name in ("Heading 1", "Heading 2"):  # Word's 24 pt above each heading left the
            style = self.doc.styles[name]    # one-page note's last line on a second page
            style.paragraph_format.space_before = Pt(12 if name == "Heading 1" else 8)
        section = self.doc.sections[0]
        section.left_margin = section.right_margin = Inches(0.9)  # room for the tables
        footer = section.footer.paragraphs[0]
        footer.text = f"{c['title']} · {data_as_of_line(c, what)}"
        if c.get("world_label"):
            footer.text += f" · {c['world_label']}"

    def para(self, text: str = "", *, style: str | None = None, bold: str = "",
             muted: bool = False) -> Any:
        """A paragraph; ``bold`` is written first, in bold."""
        p = self.doc.add_paragraph(style=style)
        if bold:
            p.add_run(bold).bold = True
        run = p.add_run(text)
        if muted:
            run.font.color.rgb = RGBColor(*self.theme.rgb("forecast"))
        return p

    def table(self, header: list[str], rows: list[list[str]], *,
              widths: list[float] | None = None, numeric: tuple[int, ...] = ()) -> Any:
        """A table with a header row across the page, its columns in the shares of
        ``widths`` (equal without); the ``numeric`` columns aligned right."""
        table = self.doc.add_table(rows=1, cols=len(header))
        table.style = "Light Grid Accent 1"
        table.autofit = False
        section = self.doc.sections[0]
        page = section.page_width - section.left_margin - section.right_margin
        shares = widths or [1.0] * len(header)
        for k, text in enumerate(header):
            table.rows[0].cells[k].text = text
        for row in rows:
            cells = table.add_row().cells
            for k, text in enumerate(row):
                cells[k].text = text
        sizes = [Emu(int(size)) for size in _fitted(shares, header, page)]
        for k, size in enumerate(sizes):  # the grid (LibreOffice) and each cell (Word)
            table.columns[k].width = size
        for row in table.rows:
            for k, cell in enumerate(row.cells):
                cell.width = sizes[k]
                for run in cell.paragraphs[0].runs:
                    run.font.size = Pt(9)
                if k in numeric:
                    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        return table

    def items(self, items: list[tuple[str, str]], style: str) -> None:
        """A list: each item's lead in bold, then the rest of its sentence."""
        for lead, rest in items:
            self.para(rest, bold=lead, style=style)

    def figure(self, figure: BarFigure | PictureFigure | None) -> None:
        """A figure as a picture across the page, its title and caption below it
        (nothing for None: a figure without data)."""
        if figure is None:
            return
        section = self.doc.sections[0]
        width = section.page_width - section.left_margin - section.right_margin
        svg = figure.svg if isinstance(figure, PictureFigure) else bars_svg(figure, self.theme)
        png = self.pictures.png(svg, width=Emu(width).inches)
        self.doc.add_picture(io.BytesIO(png), width=width)
        self.para(f" {figure.caption}", bold=gettext("Figure: %(title)s.", title=figure.title),
                  muted=True)

    def save(self, out: str | Path) -> Path:
        path = Path(out)
        self.doc.save(str(path))
        return path


# A head's longest word must fit its column, or Word breaks it mid-word ("Probabilit|é"):
# letters of the 9 pt bold head at about 0.7 em each, and Word's cell margins either side.
HEAD_LETTER, CELL_MARGINS = Pt(9 * 0.7), Inches(0.16)


def _fitted(shares: list[float], header: list[str], page: int) -> list[float]:
    """The columns' widths (EMU) in the shares given, each widened to its head's longest
    word where it must be, the widening taken from the columns with room to spare."""
    sizes = [page * share / sum(shares) for share in shares]
    needs = [max((len(w) for w in head.split()), default=0) * HEAD_LETTER + CELL_MARGINS
             for head in header]
    short = sum(max(need - size, 0) for size, need in zip(sizes, needs, strict=True))
    spare = sum(max(size - need, 0) for size, need in zip(sizes, needs, strict=True))
    if short == 0 or spare < short:
        return sizes
    return [need if size < need else size - (size - need) * short / spare
            for size, need in zip(sizes, needs, strict=True)]


def note_docx(c: dict[str, Any], theme: Theme = DEFAULT_THEME, lang: str = "en") -> _Doc:
    """The monthly note (services.publishing.briefings.monthly_note_context), with its
    figure (reports.figures) under the table of where each priority stands, in ``lang``."""
    with writing_in(lang):
        return _note_docx(c, theme)


def _note_docx(c: dict[str, Any], theme: Theme) -> _Doc:
    d = _Doc(c, theme, "note")
    d.para(gettext("Monthly note · %(month)s", month=c["month_name"]), muted=True)
    d.doc.add_heading(gettext("Delivery of the priorities: %(month)s", month=c["month_name"]),
                      level=0)
    d.para(words.note_summary(c))
    d.doc.add_heading(gettext("Where each priority stands"), level=1)
    rows = words.note_rows(c)
    if not rows:
        d.para(gettext("No priority is in the model yet."), muted=True)
    else:
        d.table(words.translated(words.NOTE_HEADER), rows,
                widths=[2.5, 1.3, 1.3, 1, 1.4, 1.3, 1.4], numeric=(1, 2, 3, 5))
    d.figure(note_figure(c, theme))
    d.doc.add_heading(gettext("What moved"), level=1)
    d.items(words.moved(c), "List Bullet")
    if not c["moved"]:
        d.para(gettext("No new data this month."), style="List Bullet", muted=True)
    d.doc.add_heading(gettext("What is off track"), level=1)
    d.items(words.off_track(c), "List Bullet")
    if not c["off_track"]:
        d.para(words.nothing_off_track(c), style="List Bullet")
    d.doc.add_heading(gettext("What needs a decision"), level=1)
    d.items(words.decisions(c), "List Number")
    if not c["decisions"]:
        d.para(gettext("No decision needed this month."), muted=True)
    if c.get("care"):  # alerts on the priorities' figures, where the note has them
        d.doc.add_heading(gettext("Numbers to treat with care: alerts of gaming or a change "
                                  "of recording"), level=1)
        d.items(words.care(c), "List Bullet")
    d.para(f"{words.translated(words.NOTE_KEY)} stocktake {c['version']}.", muted=True)
    return d


def report_docx(c: dict[str, Any], theme: Theme = DEFAULT_THEME, lang: str = "en") -> _Doc:
    """The delivery report (services.publishing.briefings.delivery_report_context), with
    its figures (reports.figures) under the league table, in ``lang``."""
    with writing_in(lang):
        return _report_docx(c, theme, lang)


def _report_docx(c: dict[str, Any], theme: Theme, lang: str) -> _Doc:
    d = _Doc(c, theme, "report")
    d.para(gettext("Delivery report"), muted=True)
    d.doc.add_heading(gettext("How likely is each priority to be delivered?"), level=0)
    d.para(f"{data_as_of_line(c, 'report')}. " + gettext(
        "Report date: %(day)s.", day=day(c["today"])))
    d.doc.add_heading(gettext("League table: likelihood of delivery"), level=1)
    rows = words.league_rows(c)
    if rows:
        d.table(words.translated(words.LEAGUE_HEADER), rows,
                widths=[0.4, 2.4, 1.3, 2, 2.4, 1], numeric=(0, 5))
    else:
        d.para(gettext("No priority is still short of its deadline."), muted=True)
    d.figure(report_figure(c, theme))
    d.figure(likelihood_figure(c))
    if c["concluded"]:
        d.doc.add_heading(gettext("Targets at their deadline: met or missed"), level=1)
        d.para(words.translated(words.CONCLUDED_NOTE), muted=True)
        d.table([gettext("Priority"), gettext("Verdict"), gettext("At the deadline, and since")],
                [[r["title"], status_word(r["status"]), r["sentence"]]
                 for r in c["concluded"]], widths=[2, 1, 4])
    d.doc.add_heading(gettext("Successes, and who achieved them"), level=1)
    for s in c["successes"]:
        d.doc.add_heading(words.success_heading(s), level=2)
        d.para(words.success(s))
        if s.get("credit_alerts"):
            d.para(words.credit_alerts(s["credit_alerts"]),
                   bold="⚠ " + gettext("Before giving credit: "))
    if not c["successes"]:
        d.para(words.no_successes(c), muted=True)
    d.doc.add_heading(gettext("Concerns"), level=1)
    for s in c["concerns"]:
        d.doc.add_heading(f"{s['title']} ({status_word(s['status'])})", level=2)
        d.para(words.concern(s))
        for f in s["flags"]:
            d.para(said(f["message"]), bold=gettext("Judgement and statistics disagree.") + " ")
    if not c["concerns"]:
        d.para(gettext("No concerns."), muted=True)
    if "trust" in c:  # alerts on the priorities' figures, where the report has them
        _trust(d, c["trust"])
    _across(d, c)
    d.doc.add_heading(words.quality_heading(c), level=1)
    units = c["quality"]["units"]
    if units:
        d.para(words.translated(words.QUALITY_ORDER))
        d.table(words.translated(words.QUALITY_HEADER),
                [words.quality_row(i, e) for i, e in enumerate(units, 1)],
                widths=[0.4, 2.6, 0.8, 1.2, 1.1, 0.9], numeric=(0, 2, 3, 4, 5))
    else:
        d.para(gettext("No unit has data to score yet."), muted=True)
    d.para(words.report_key(c), muted=True)
    return d


def _across(d: _Doc, c: dict[str, Any]) -> None:
    """Risks and milestones across priorities (#17): the register and the timeline."""
    across = c.get("across")
    if across is None or not (across.risks or across.milestones):
        return
    d.doc.add_heading(gettext("Risks and milestones across priorities"), level=1)
    if across.risks:
        d.table(words.translated(words.RISK_HEADER), words.risk_rows(across),
                widths=[0.5, 2, 1.3, 1, 1.2, 1.35, 1.75], numeric=(0,))
        if across.closed:
            d.para(words.closed_sentence(across))
        d.para(words.translated(words.RISK_KEY).format(high=HIGH_RISK_SCORE), muted=True)
    d.figure(timeline_figure(c))


def _trust(d: _Doc, trust: list[dict[str, Any]]) -> None:
    """Can we trust these numbers? Each priority's open or confirmed alerts, in words."""
    d.doc.add_heading(gettext("Can we trust these numbers?"), level=1)
    if not trust:
        d.para(gettext("No alert is open or confirmed: no counter worsened as a headline "
                       "improved, no unit changed a declared ratio on its own, and no unit's "
                       "series broke from its peers'."))
        return
    d.para(gettext("Open alerts are questions on a figure, not verdicts; confirmed alerts "
                   "mean the figure is not to be trusted as it stands. The strongest of each "
                   "priority:"))
    for p in trust:
        d.doc.add_heading(f"{p['title']}: {p['counted']}", level=2)
        for a in p["alerts"]:
            d.para(f"{a.explanation}. {word(str(a.status).capitalize())}; "
                   + gettext("alert %(id)s", id=a.id) + ".", style="List Bullet")
        if p.get("more"):
            d.para(words.more_alerts(p["more"], p["code"]),
                   style="List Bullet", muted=True)
