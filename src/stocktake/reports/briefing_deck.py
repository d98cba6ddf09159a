"""The monthly note and the delivery report as PowerPoint decks (python-pptx), for an
office that briefs from slides: a title slide, then a slide for each section of the
document, in the same words and numbers as the Word and HTML documents
(reports.briefing_text), its bar figures as native, editable bar charts and the others as
pictures (reports.figures).
Every slide says "Data as of"; the speaker notes hold each section in full, the sources,
the vintage and the command that gives the same numbers again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pptx.util import Inches, Pt

from ..delivery.plans import HIGH_RISK_SCORE
from . import briefing_text as words
from .deck import BODY_HEIGHT, BODY_TOP, HEIGHT, MARGIN, WIDTH, Deck
from .figures import (
    BarFigure,
    PictureFigure,
    likelihood_figure,
    note_figure,
    report_figure,
    timeline_figure,
)
from .locale import WRITING, gettext, month_code, writing_in
from .office import data_as_of_line, sources_note
from .theme import DEFAULT_THEME, Theme
from .written import day, said, status_word, word

LINES = 6  # the most items a slide holds legibly; all of them are in the notes
SLIDE_CHARS = 900  # about what a slide's body holds at 18 points
ITEM_CHARS = 320  # a longer item shows its first sentences on the slide, all in the notes
LINE_CHARS = 90  # about what a line of a slide's body holds at 18 points
SLIDE_LINES = 12  # the lines of body a slide holds at 18 points, with room between items


def _deck(c: dict[str, Any], theme: Theme, what: str, command: str, *,
          as_of_option: bool = True) -> Deck:
    footer = f"{c['title']} · {data_as_of_line(c, what)}" + (
        f" · {c['world_label']}" if c.get("world_label") else "")
    return Deck(c, theme, footer=footer,
                sources=sources_note(c, command, what=what, as_of_option=as_of_option))


def _title_slide(deck: Deck, title: str, lines: list[str]) -> None:
    s = deck.slide(title, "\n".join(lines))
    deck.text(s, lines, MARGIN, Inches(1.6), WIDTH - 2 * MARGIN, Inches(4.0), size=20)
    if deck.c.get("world_label"):
        deck.text(s, deck.c["world_label"], MARGIN, Inches(6.0), WIDTH - 2 * MARGIN,
                  Inches(0.5), size=14, bold=True, colour="bad")


@dataclass(frozen=True)
class Section:
    """A section of sentences: its heading, its items (lead, rest), what it says when it has
    none, and ``details`` when the notes say more than the items."""

    title: str
    items: list[tuple[str, str]]
    empty: str
    details: list[str] | None = None

    def shown(self) -> list[str]:
        """As many items as a slide holds legibly (at most LINES, a long one cut after a
        sentence), the rest counted."""
        lines = [f"{lead}{rest}" for lead, rest in self.items]
        shown: list[str] = []
        for line in lines[:LINES]:
            short = _shorten(line)
            if shown and sum(map(len, shown)) + len(short) > SLIDE_CHARS:
                break
            shown.append(short)
        if len(lines) > len(shown):
            shown.append(gettext("and %(n)s more in the notes", n=len(lines) - len(shown)))
        return shown or [self.empty]

    def notes(self) -> str:
        """Every item in full (or the details)."""
        return "\n".join(self.details if self.details is not None
                         else [f"{lead}{rest}" for lead, rest in self.items])

    def height(self) -> int:
        """About how many lines of a slide's body the section takes, its heading one."""
        return 1 + sum(-(-len(line) // LINE_CHARS) for line in self.shown())


def _items_slides(deck: Deck, sections: list[Section], together: str) -> None:
    """Sections of sentences, one after another: a section alone on its slide when it
    fills it, short ones together on one slide titled ``together`` (a slide of one line
    looked empty), each under its heading; the notes hold every item in full."""
    groups: list[list[Section]] = []
    for section in sections:
        if groups and sum(s.height() for s in groups[-1]) + section.height() <= SLIDE_LINES:
            groups[-1].append(section)
        else:
            groups.append([section])
    for group in groups:
        if len(group) == 1:
            [section] = group
            s = deck.slide(section.title, section.notes())
            deck.text(s, section.shown(), MARGIN, BODY_TOP, WIDTH - 2 * MARGIN, BODY_HEIGHT,
                      size=18)
            continue
        s = deck.slide(together, "\n\n".join(
            f"{section.title}\n{section.notes()}".rstrip() for section in group))
        lines = [line for section in group for line in [section.title, *section.shown()]]
        box = deck.text(s, lines, MARGIN, BODY_TOP, WIDTH - 2 * MARGIN, BODY_HEIGHT, size=18)
        first = 0  # a heading opens each section, in bold
        for section in group:
            para = box.text_frame.paragraphs[first]
            deck.style_runs(para, 18, True, deck.colour("primary"))
            if first:  # room between one section and the next
                para.space_before = Pt(12)
            first += 1 + len(section.shown())


def _shorten(line: str) -> str:
    """An item as the slide shows it: whole up to ITEM_CHARS, else its first sentences."""
    if len(line) <= ITEM_CHARS:
        return line
    cut = line.rfind(". ", 0, ITEM_CHARS)
    return (line[:cut + 1] if cut > 0 else line[:ITEM_CHARS].rstrip() + "…") + \
        " " + gettext("(In full in the notes.)")


def _table_slide(deck: Deck, title: str, header: list[str], rows: list[list[str]],
                 empty: str, note: str, widths: list[float]) -> None:
    s = deck.slide(title, note)
    if rows:
        deck.table(s, header, rows, widths=widths, size=12)
    else:
        deck.text(s, empty, MARGIN, BODY_TOP, WIDTH - 2 * MARGIN, Inches(1), size=20)


RISKS_SHOWN = 6  # rows of the risk register a slide holds legibly (they wrap)
LEAGUE_SHOWN = 7  # rows of the data-quality league a slide holds legibly (reasons wrap)


def _across_slides(deck: Deck, c: dict[str, Any], timeline: PictureFigure | None) -> None:
    """Risks and milestones across priorities (#17): the register, then the timeline
    (``timeline``: timeline_figure, its picture started by report_deck)."""
    across = c.get("across")
    if across is None or not (across.risks or across.milestones):
        return
    if across.risks:
        # The highest risks legibly on the slide; every risk in the notes.
        rows = words.risk_rows(across)
        more = ["", gettext("and %(n)s more (in the notes)", n=len(rows) - RISKS_SHOWN)
                ] + [""] * 5
        shown = rows[:RISKS_SHOWN] + ([more] if len(rows) > RISKS_SHOWN else [])
        notes = words.translated(words.RISK_KEY).format(high=HIGH_RISK_SCORE) + "\n" + (
            "\n".join(f"{r[0]}. {r[1]} ({r[2]}): {r[3]}, {r[4]}; "
                      + gettext("owner %(owner)s; mitigation: %(mitigation)s.", owner=r[5],
                                mitigation=r[6]) for r in rows)) + (
            "\n" + words.closed_sentence(across) if across.closed else "")
        _table_slide(deck, gettext("Risk register across priorities"),
                     words.translated(words.RISK_HEADER), shown, "", notes,
                     [0.3, 2.6, 1.6, 1.2, 1.1, 1.2, 2.4])
    _picture_slide(deck, timeline)


def _figure_slide(deck: Deck, figure: BarFigure | None) -> None:
    if figure is not None:
        s = deck.slide(figure.title, f"{figure.title}: " + "; ".join(
            f"{name} {label}" for name, label in zip(figure.categories, figure.labels,
                                                     strict=True))
            + f". {figure.caption}")
        deck.bar_figure(s, figure)


PICTURE_HEIGHT = BODY_HEIGHT - Inches(0.5)  # a figure's picture, its caption below it


def _started(deck: Deck, figure: PictureFigure | None) -> PictureFigure | None:
    """Starts drawing a figure's picture (reports.pictures): in the background, while the
    slides before it are built."""
    if figure is not None:
        deck.start_picture(figure.svg, height=PICTURE_HEIGHT)
    return figure


def _picture_slide(deck: Deck, figure: PictureFigure | None) -> None:
    """A figure as a picture under its title, its caption below and its data in the notes."""
    if figure is not None:
        s = deck.slide(figure.title, f"{figure.title}: {figure.in_words}. {figure.caption}")
        deck.picture(s, figure.svg, height=PICTURE_HEIGHT)
        deck.text(s, figure.caption, MARGIN, HEIGHT - Inches(1.05), WIDTH - 2 * MARGIN,
                  Inches(0.45), size=12, colour="forecast")


def note_deck(c: dict[str, Any], theme: Theme = DEFAULT_THEME, lang: str = "en") -> Any:
    """The monthly note (services.publishing.briefings.monthly_note_context) as a
    python-pptx Presentation, in ``lang``."""
    with writing_in(lang):
        return _note_deck(c, theme)


def _note_deck(c: dict[str, Any], theme: Theme) -> Any:
    month = (datetime.strptime(c["month_name"], "%B %Y").strftime("%Y-%m")
             if WRITING.get() == "en" else month_code(c["month_name"], WRITING.get()))
    deck = _deck(c, theme, "note", f"stocktake note --month {month} --out note.pptx",
                 as_of_option=False)
    _title_slide(deck, gettext("Delivery of the priorities: %(month)s", month=c["month_name"]),
                 [gettext("Monthly note · %(month)s", month=c["month_name"]),
                  words.note_summary(c)])
    _table_slide(deck, gettext("Where each priority stands"),
                 words.translated(words.NOTE_HEADER), words.note_rows(c),
                 gettext("No priority is in the model yet."),
                 words.translated(words.NOTE_KEY), [2.5, 1.3, 1.3, 1, 1.4, 1.3, 1.4])
    _figure_slide(deck, note_figure(c, theme))
    sections = [
        Section(gettext("What moved"), words.moved(c), gettext("No new data this month.")),
        Section(gettext("What is off track"), words.off_track(c), words.nothing_off_track(c)),
        Section(gettext("What needs a decision"), words.decisions(c),
                gettext("No decision needed this month."))]
    if c.get("care"):
        sections.append(Section(gettext("Numbers to treat with care: alerts of gaming or a "
                                        "change of recording"), words.care(c), ""))
    _items_slides(deck, sections, gettext("The month in brief"))
    return deck.prs


def report_deck(c: dict[str, Any], theme: Theme = DEFAULT_THEME, lang: str = "en") -> Any:
    """The delivery report (services.publishing.briefings.delivery_report_context) as a
    python-pptx Presentation, in ``lang``."""
    with writing_in(lang):
        return _report_deck(c, theme)


def _report_deck(c: dict[str, Any], theme: Theme) -> Any:
    deck = _deck(c, theme, "report", "stocktake report --out report.pptx")
    # The pictures first, drawn in the background while the slides before them are built.
    likelihood = _started(deck, likelihood_figure(c))
    timeline = _started(deck, timeline_figure(c))
    _title_slide(deck, gettext("How likely is each priority to be delivered?"),
                 [gettext("Delivery report"), data_as_of_line(c, "report"),
                  gettext("Report date: %(day)s", day=day(c["today"]))])
    _table_slide(deck, gettext("League table: likelihood of delivery"),
                 words.translated(words.LEAGUE_HEADER), words.league_rows(c),
                 gettext("No priority is still short of its deadline."),
                 words.report_key(c), [0.4, 2.4, 1.3, 2, 2.4, 1])
    _figure_slide(deck, report_figure(c, theme))
    _picture_slide(deck, likelihood)
    if c["concluded"]:
        _table_slide(deck, gettext("Targets at their deadline: met or missed"),
                     [gettext("Priority"), gettext("Verdict"),
                      gettext("At the deadline, and since")],
                     [[r["title"], status_word(r["status"]), r["sentence"]]
                      for r in c["concluded"]], "", words.translated(words.CONCLUDED_NOTE),
                     [2, 1, 4])
    successes = [(f"{words.success_heading(s)}: ", words.success(s)
                  + (" ⚠ " + gettext("Before giving credit: ")
                     + words.credit_alerts(s["credit_alerts"])
                     if s.get("credit_alerts") else "")) for s in c["successes"]]
    sections = [Section(gettext("Successes, and who achieved them"), successes,
                        words.no_successes(c))]
    concerns = [(f"{s['title']} ({status_word(s['status'])}): ", words.concern(s)
                 + "".join(" " + gettext("Judgement and statistics disagree.")
                           + f" {said(f['message'])}" for f in s["flags"])) for s in c["concerns"]]
    sections.append(Section(gettext("Concerns"), concerns, gettext("No concerns.")))
    if "trust" in c:  # the slide counts each priority's alerts; the notes explain them
        trust = [(f"{p['title']}: ", f"{p['counted']}.") for p in c["trust"]]
        details = [f"{p['title']}: {p['counted']}. " + " ".join(
            f"{a.explanation}. {word(str(a.status).capitalize())}; "
            + gettext("alert %(id)s", id=a.id) + "." for a in p["alerts"])
            + (" " + gettext("And %(n)s more:", n=p["more"])
               + f" stocktake alerts --priority {p['code']}." if p.get("more") else "")
            for p in c["trust"]]
        sections.append(Section(gettext("Can we trust these numbers?"), trust,
                                gettext("No alert is open or confirmed."), details))
    _items_slides(deck, sections, gettext("Successes, concerns and alerts"))
    _across_slides(deck, c, timeline)
    # The units that most need help legibly on the slide (a unit held back by an alert
    # carries its reason, which wraps); every unit in the notes.
    rows = [words.quality_row(i, e) for i, e in enumerate(c["quality"]["units"], 1)]
    more = ["", gettext("and %(n)s more (in the notes)", n=len(rows) - LEAGUE_SHOWN)
            ] + [""] * 4
    notes = "\n".join([f"{words.translated(words.QUALITY_ORDER)} {words.report_key(c)}",
                       *(f"{r[0]}. {r[1]}: {r[2]} ({', '.join(r[3:])})" for r in rows)])
    _table_slide(deck, words.quality_heading(c),
                 words.translated(words.QUALITY_HEADER),
                 rows[:LEAGUE_SHOWN] + ([more] if len(rows) > LEAGUE_SHOWN else []),
                 gettext("No unit has data to score yet."), notes,
                 [0.4, 4.4, 1, 1.2, 1.2, 1])
    return deck.prs
