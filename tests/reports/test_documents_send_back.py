"""What a head of unit would still send back in the documents written on a world of real
data (the Gapminder world of test_documents_real_world: eight countries under regions,
continents and World, a priority whose 2015 deadline has passed): each test reads the
written file back (python-pptx, python-docx, the HTML) and fails on what was sent back."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from datetime import datetime

import pytest
from docx import Document
from pptx import Presentation

from stocktake.reports.briefing_deck import note_deck, report_deck
from stocktake.reports.deck import BODY_TOP, pack_deck
from stocktake.reports.render import (
    environment,
    html_to_pdf,
    render_note,
    render_pack,
    render_report,
)
from stocktake.reports.word import report_docx
from stocktake.reports.written import number
from stocktake.services.publishing.briefings import (
    delivery_report_context,
    monthly_note_context,
    write_note,
    write_report,
)
from stocktake.services.publishing.packs import pack_context

from . import test_documents_real_world as real_world

gapminder = real_world.gapminder  # the world, a fixture of its own in this module
C = real_world.C  # the namespace of DrawingML's charts
AFTER = datetime(2016, 12, 31, 23, 59)  # every deadline past, the last data in


@pytest.fixture(scope="module")
def packs(gapminder) -> dict[str, dict]:
    """The pack's context before the deadline (2012), in English and in French."""
    return {lang: pack_context(gapminder, "infant-survival", lang=lang,
                               as_of=datetime(2012, 12, 31, 23, 59)) for lang in ("en", "fr")}


def _deck_text(deck) -> list[str]:
    """The text of every shape of every slide of a python-pptx Presentation, and the notes."""
    return [sh.text_frame.text for s in deck.slides for sh in s.shapes if sh.has_text_frame
            ] + [s.notes_slide.notes_text_frame.text for s in deck.slides]


def _bodies(path) -> list[tuple[str, list[str]]]:
    """Each slide's title and the paragraphs of its body (the text under the title)."""
    return [(s.shapes.title.text, [p.text for sh in s.shapes
                                   if sh.has_text_frame and sh.top == BODY_TOP
                                   for p in sh.text_frame.paragraphs])
            for s in Presentation(str(path)).slides]


NOTE_HEADINGS = {"en": ["What moved", "What is off track", "What needs a decision"],
                 "fr": ["Ce qui a bougé", "Ce qui est en retard", "Ce qui demande une décision"]}
REPORT_HEADINGS = {"en": ["Successes, and who achieved them", "Concerns",
                          "Can we trust these numbers?"],
                   "fr": ["Les réussites, et qui les a obtenues", "Préoccupations",
                          "Peut-on se fier à ces chiffres?"]}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_decks_short_sections_share_a_slide_each_under_its_heading(gapminder, tmp_path,
                                                                        lang):
    """The note's and the report's decks gave each section its own slide, most of them one
    line under a title: short sections now share a slide, each opened by its heading, and
    no slide of sentences carries a single line."""
    write_note(gapminder, "2016-12", str(tmp_path / "n.pptx"), lang=lang)
    write_report(gapminder, str(tmp_path / "r.pptx"), as_of=AFTER, lang=lang)
    for deck, headings in (("n.pptx", NOTE_HEADINGS[lang]), ("r.pptx", REPORT_HEADINGS[lang])):
        bodies = _bodies(tmp_path / deck)
        [(title, body)] = [(t, b) for t, b in bodies if headings[0] in b]
        assert all(h in body for h in headings), (deck, title, body)  # one slide, each heading
        assert title not in headings
        for heading in headings:  # each heading opens a section of at least one sentence
            assert body.index(heading) + 1 < len(body) and body[body.index(heading) + 1]
        sections = [b for t, b in bodies if t in headings or set(headings) & set(b)]
        assert all(len(b) > 1 for b in sections), sections


def _report_texts(c: dict, lang: str, tmp_path) -> list[list[str]]:
    """The report of context ``c`` as HTML, Word and PowerPoint, each as its lines."""
    html = re.sub(r"<[^>]+>", "\n", render_report(c, lang))
    report_docx(c, lang=lang).save(tmp_path / "r.docx")
    report_deck(c, lang=lang).save(str(tmp_path / "r.pptx"))
    return [[line.strip() for line in html.splitlines()],
            [p.text for p in Document(str(tmp_path / "r.docx")).paragraphs],
            [line for _, body in _bodies(tmp_path / "r.pptx") for line in body]]


@pytest.mark.parametrize(("lang", "said", "not_yet"), [
    ("en", "Every priority has reached its deadline: see the verdicts above.",
     "No priority or unit is on track yet."),
    ("fr", "Chaque priorité a atteint son échéance\u00a0: voir les verdicts ci-dessus.",
     "Aucune priorité ni unité n’est encore en voie d’atteindre la cible.")])
def test_the_report_after_every_deadline_says_so_not_that_nothing_is_on_track_yet(
        gapminder, tmp_path, lang, said, not_yet):
    """Every priority concluded, the one target missed and no unit credited (as on the
    whole Gapminder world): "Successes" said "No priority or unit is on track yet", as if
    the work were still under way. Before the deadline it still says so (in English)."""
    after = delivery_report_context(gapminder, as_of=AFTER, lang=lang)
    assert after["concluded"] and not after["league"]
    for text in _report_texts({**after, "successes": []}, lang, tmp_path):
        assert said in text and not_yet not in text, text
    if lang != "en":  # the other way round once is enough
        return
    before = delivery_report_context(gapminder, as_of=datetime(2008, 12, 31, 23, 59))
    assert before["league"]
    for text in _report_texts({**before, "successes": []}, lang, tmp_path):
        assert not_yet in text and said not in text, text


def test_the_headline_charts_caption_names_the_place_as_a_label_not_after_at(packs):
    """The captions read "Infant mortality at World" ("at Australia" on another world): a
    place is not where a number is "at". The caption now opens with the unit as a label,
    in the pack's HTML and its deck, in English and in French."""
    html = re.sub(r"\s+", " ", render_pack(packs["en"]))
    html = re.sub(r"<svg.*?</svg>", "", html)  # the charts' own labels are charts.py's
    assert ("<figcaption>World: Infant mortality (per 1,000 live births), complete years "
            "only; a gap in the line") in html
    assert "Lead and counter indicators: World</h3>" in html and " at World" not in html
    target = f"{round(round(real_world._weighted_1990(real_world._rows()), 1) / 3, 1):.1f}"
    for lang, caption in (
            ("en", f"World: Infant mortality, complete years only; target {target} by 2015."),
            ("fr", "World\u00a0: Mortalité infantile, années aux données complètes seulement; "
                   f"cible {target.replace('.', ',')} d’ici 2015.")):
        texts = _deck_text(pack_deck(packs[lang], lang=lang))
        assert caption in texts, [t for t in texts if "World" in t]
        assert not any(" at World" in t or "– World" in t for t in texts)


def test_the_pack_names_the_same_lowest_scoring_units_in_the_pdf_and_the_deck(gapminder,
                                                                              tmp_path):
    """The deck's data-quality line named the 5 lowest-scoring units, the HTML and PDF 7
    (the Australian pack's 6): both now name the same units, from the one count the pack's
    context gives. The world's three scored units, and five more made from them with other
    names and scores, so that there are more than either showed."""
    c = pack_context(gapminder, "infant-survival", as_of=datetime(2016, 12, 31, 23, 59))
    scored = c["quality"]["units"]
    more = [dataclasses.replace(scored[0], name=f"Unit {i}", score=50.0 + i) for i in range(5)]
    c = {**c, "quality": {**c["quality"], "units": [*scored, *more]}}
    html = render_pack(c)
    table = html[html.index("lowest-scoring units</h3>"):]
    in_html = re.findall(r"<tr><td>([^<]+)</td><td class=\"num\">([\d.]+)</td>",
                         table[:table.index("</table>")])
    [line] = [sh.text_frame.text for s in pack_deck(c).slides for sh in s.shapes
              if sh.has_text_frame and sh.text_frame.text.startswith("Data quality, the ")]
    in_deck = re.findall(r"([^:;]+?) ([\d.]+)(?:;|\.$)", line.split(": ", 1)[1])
    assert len(in_html) == 7 and [(n.strip(), s) for n, s in in_deck] == in_html, line
    assert in_html[:5] == [(f"Unit {i}", f"{50 + i}.0") for i in range(5)]
    assert line.startswith("Data quality, the 7 lowest-scoring units")
    assert "the 7 lowest-scoring units" in html
    eighth = number(scored[0].score, 1)  # counted under the table, in the singular
    assert f"The other unit scores {eighth} (out of 100)." in html and "other 1 units" not in html


def test_the_french_pack_counts_years_in_ans(packs):
    """The French pack asked why "Africa" had been above its trajectory "depuis 15 années":
    a number of years is counted in "ans"; the years are still named "années" where they
    are not counted ("années aux données complètes seulement")."""
    html = re.sub(r"<[^>]+>", " ", render_pack(packs["fr"], lang="fr"))
    deck = " ".join(_deck_text(pack_deck(packs["fr"], lang="fr")))
    for text in (html, deck):
        counted = re.findall(r"\d+\s(ans|années)\b", text)
        assert counted and set(counted) == {"ans"}, re.findall(r".{40}\d+\sannées", text)
    assert "années aux données complètes seulement" in html


@pytest.mark.parametrize(("lang", "sign"), [("en", '"%"'), ("fr", '"\u00a0%"')])
def test_the_decks_native_bar_charts_write_per_cent_as_the_language_does(gapminder, tmp_path,
                                                                         lang, sign):
    """The French decks' native bar charts labelled a probability "7%" where the slide's
    words and every other figure write "7 %": the charts' number format follows the
    language (its labels and its axis)."""
    as_of = datetime(2012, 12, 31, 23, 59)
    write_report(gapminder, str(tmp_path / "r.pptx"), as_of=as_of, lang=lang)
    write_note(gapminder, "2012-12", str(tmp_path / "n.pptx"), lang=lang)
    charts = [sh.chart for deck in ("r.pptx", "n.pptx")
              for s in Presentation(str(tmp_path / deck)).slides for sh in s.shapes
              if sh.has_chart]
    assert len(charts) == 2  # the report's probabilities, the note's gaps
    for chart in charts:
        plot = chart.plots[0]
        codes = [plot.data_labels.number_format,  # the labels, and the data the axis reads
                 plot.series[0]._element.find(f".//{{{C}}}val//{{{C}}}formatCode").text]
        for code in codes:
            parts = [part.split("]")[-1] for part in code.split(";")]
            assert all(part.endswith(sign) for part in parts), code


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_the_packs_annex_never_leaves_one_row_alone_on_the_last_page(packs, tmp_path):
    """The Australian pack's last page held the annex's "Software" row and nothing else:
    the annex's last rows go over with the row before them. An annex of eight rows after
    a block that leaves room for seven of them (the eighth went over alone)."""
    pack = render_pack(packs["en"])
    annex = pack[pack.index("Annex: data and methods"):]
    assert annex.split("</h2>", 1)[1].lstrip().startswith('<table class="annex">')
    assert "Software" in annex.split("</table>", 1)[0]  # the pack's last row
    style = environment("en").get_template("print.css").render()
    rows = "".join(f'<tr><th scope="row">Row {i}</th><td>What row {i} says.</td></tr>'
                   for i in range(1, 9))
    html = (f"<html><head><style>{style}</style></head><body><main>"
            '<div style="height: 185mm">Before</div><section class="q"><h2>Annex</h2>'
            f'<table class="annex"><tbody>{rows}</tbody></table></section></main></body></html>')
    (tmp_path / "a.pdf").write_bytes(html_to_pdf(html))
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "a.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    pages = [re.findall(r"Row (\d)", page) for page in text.rstrip("\f").split("\f")]
    assert len(pages) == 2 and len(pages[-1]) >= 3, pages
    assert [n for page in pages for n in page] == [str(i) for i in range(1, 9)]


@pytest.mark.parametrize(("lang", "said"), [
    ("en", "2 open alerts, on the figures of Africa and 1 more unit."),
    ("fr", "2 alertes ouvertes, portant sur Africa et 1 autre unité.")])
def test_the_notes_alerts_name_their_units_without_at(gapminder, lang, said):
    """"Numbers to treat with care" read "22 open alerts, at Eritrea, Rwanda and 17 more
    units" ("à Eritrea" in French): the alerts are on the units' figures, and say so. (The
    world raises no alert: the note's own context, with the entry with_care gives.)"""
    c = monthly_note_context(gapminder, "2016-12", lang=lang)
    counted = {"en": "2 open alerts", "fr": "2 alertes ouvertes"}[lang]
    c = {**c, "care": [{"code": "infant-survival", "title": "Infant survival",
                        "counted": counted, "alerts": [], "more": 0, "units": ["Africa"],
                        "more_units": 1}]}
    html = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", render_note(c, lang)))
    deck = [line for s in note_deck(c, lang=lang).slides for sh in s.shapes
            if sh.has_text_frame for line in sh.text_frame.text.splitlines()]
    assert f"Infant survival: {said}" in html and f"Infant survival: {said}" in deck, deck
