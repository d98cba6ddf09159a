"""The stocktake pack and the delivery report in French (issue #18) on a small world with
French names, written through the CLI: French headings, the model's French names, numbers,
percentages and dates in French conventions, each French figure read against the same
figure in the English document; the English documents keep their words."""

from __future__ import annotations

import re
from html import unescape

import pytest
from typer.testing import CliRunner

from stocktake.cli import app

runner = CliRunner()
NBSP = "\u00a0"


def written(world: str, tmp_path, command: list[str], lang: str) -> str:
    out = tmp_path / f"{command[0]}-{lang}.html"
    result = runner.invoke(app, [*command, "--db", world, "--lang", lang, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out.read_text()


def text(html: str) -> str:
    """The words a reader sees, spaces as they are (a no-break space stays one)."""
    html = re.sub(r"<(style|svg)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"[ \t\n]+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def in_french(english: str) -> str:
    """An English figure as French writes it (1,234.5 -> 1 234,5; 42% -> 42 %)."""
    figure = english.replace(",", NBSP).replace(".", ",")
    return figure.replace("%", NBSP + "%")


def test_the_french_pack_is_in_french_with_the_english_packs_figures(world, tmp_path):
    english = text(written(world, tmp_path, ["pack", "MORE"], "en"))
    html = written(world, tmp_path, ["pack", "MORE"], "fr")
    words = text(html)
    assert '<html lang="fr">' in html
    # Canadian French: a no-break space before a colon, none before ? ! ;
    for heading in ("Bilan : Plus d’heures d’ouverture", "Que cherchez-vous à faire?",
                    "Ce dossier suit les cinq questions", "Indicateur phare",
                    "Peut-on se fier à ces chiffres?", "Annexe : données et méthodes",
                    "Les unités par rapport à leur part de la trajectoire"):
        assert heading.replace(" :", NBSP + ":") in words, heading
    assert "Heures d’ouverture" in words and "Première province" in words  # the model's French
    # The latest figure, the nation's April hours: 1,234.5 in English, 1 234,5 in French.
    assert "Latest 1,234.5 2024-04" in english
    assert f"Dernière valeur 1{NBSP}234,5 2024-04" in words
    # The gap to the trajectory in percent, as the English pack has it.
    gap = re.search(r"Gap \S+ ([+−][\d.]+%)", english).group(1)
    assert in_french(gap) in words
    assert "Données au 10 mai 2024, 9 h 30 UTC" in words
    assert "Data as of 10 May 2024, 09:30 UTC" in english
    for word in ("Data as of", "Headline indicator", "1,234.5", "Stocktake pack",
                 "Can we trust these numbers?", "Operating hours", "Province A"):
        assert word not in words, word


def test_the_french_report_is_in_french_with_the_english_reports_figures(world, tmp_path):
    english = text(written(world, tmp_path, ["report"], "en"))
    html = written(world, tmp_path, ["report"], "fr")
    words = text(html)
    assert '<html lang="fr">' in html
    for heading in ("Rapport de mise en œuvre", "Classement : probabilité de réalisation",
                    "Les réussites, et qui les a obtenues", "Préoccupations"):
        assert heading.replace(" :", NBSP + ":") in words, heading
    assert "Plus d’heures d’ouverture" in words and "More operating hours" not in words
    assert "Cut violent crime" in words  # no French title in the model: the English one
    # The data-quality league's scores and shares, as the English report has them.
    # (timeliness "–": no data set declares a deadline, so it is not assessed)
    rows = re.findall(r" (\d+\.\d) (\d+%) (\d+%|–) ", english)
    assert rows
    for row in rows:
        assert " ".join(in_french(figure) for figure in row) in words
    assert "no data set declares a deadline" in english
    assert "aucun jeu de données ne déclare d" in words
    assert "Données au 10 mai 2024, 9 h 30 UTC" in words
    for word in ("Delivery report", "Data as of", "League table", "Concerns"):
        assert word not in words, word


@pytest.mark.parametrize("command", [["pack", "MORE"], ["report"]])
def test_the_english_documents_keep_their_words(world, tmp_path, command):
    html = written(world, tmp_path, command, "en")
    assert '<html lang="en">' in html
    words = text(html)
    assert "Data as of 10 May 2024, 09:30 UTC" in words
    assert "Plus d’heures" not in words and "Données" not in words


def test_the_french_packs_charts_speak_french(world, tmp_path):
    english = written(world, tmp_path, ["pack", "MORE"], "en")
    html = written(world, tmp_path, ["pack", "MORE"], "fr")
    svgs = " ".join(re.findall(r"<svg\b.*?</svg>", html, flags=re.S))
    english_svgs = " ".join(re.findall(r"<svg\b.*?</svg>", english, flags=re.S))
    # The target's label: 1,500 in English, 1 500 in French; the legend and the axis.
    assert "Target 1,500" in english_svgs
    assert f"Cible 1{NBSP}500" in svgs
    assert ">Réel</text>" in svgs and ">Trajectoire</text>" in svgs
    assert ">Actual</text>" not in svgs
    # Months on the time axis: by their code in English, in words in French.
    assert ">2024-01</text>" in english_svgs
    assert ">janv. 2024</text>" in svgs and ">2024-01</text>" not in svgs
    assert "Page %(page)s" not in html and '"Page " counter(page) " sur "' in html


def slides_text(path, *, charts: bool = False) -> str:
    """Every line of a PowerPoint deck: its slides' text and tables, the native charts'
    series and categories (``charts``), and the speaker notes."""
    from pptx import Presentation

    lines = []
    for slide in Presentation(str(path)).slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                lines.append(shape.text_frame.text)
            if shape.has_table:
                lines += [" | ".join(c.text for c in row.cells) for row in shape.table.rows]
            if charts and shape.has_chart:
                plot = shape.chart.plots[0]
                lines += [str(s.name) for s in plot.series] + list(map(str, plot.categories))
        lines.append(slide.notes_slide.notes_text_frame.text)
    return "\n".join(lines)


def deck_text(world: str, tmp_path, lang: str) -> str:
    """Every line of the pack's PowerPoint deck, its charts' series and categories too."""
    out = tmp_path / f"pack-{lang}.pptx"
    result = runner.invoke(app, ["pack", "MORE", "--db", world, "--lang", lang,
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    return slides_text(out, charts=True)


def test_the_french_pack_deck_is_in_french_with_the_english_decks_figures(world, tmp_path):
    english, words = deck_text(world, tmp_path, "en"), deck_text(world, tmp_path, "fr")
    assert "Stocktake pack · MORE" in english and "Dossier du bilan · MORE" in words
    assert "Latest\n1,234.5\n2024-04" in english
    assert f"Dernière valeur\n1{NBSP}234,5\n2024-04" in words
    assert "Données au 10 mai 2024, 9 h 30 UTC" in words  # the footer and the notes
    assert "Que cherchez-vous à faire" in words and "Réel" in words and "janv. 2024" in words
    for english_only in ("Data as of", "Latest", "Accountable owner", "Actual", "1,234.5"):
        assert english_only not in words, english_only


def office_text(world: str, tmp_path, command: list[str], suffix: str, lang: str) -> str:
    """Every paragraph and table cell of a Word document, or every slide's text, table
    and speaker notes of a PowerPoint deck."""
    from docx import Document

    out = tmp_path / f"{command[0]}-{lang}{suffix}"
    result = runner.invoke(app, [*command, "--db", world, "--lang", lang, "--out", str(out)])
    assert result.exit_code == 0, result.output
    if suffix == ".docx":
        doc = Document(str(out))
        return "\n".join([p.text for p in doc.paragraphs] + [
            " | ".join(c.text for c in row.cells) for t in doc.tables for row in t.rows])
    return slides_text(out)


@pytest.mark.parametrize("suffix", [".docx", ".pptx"])
def test_the_french_report_in_word_and_powerpoint(world, tmp_path, suffix):
    english = office_text(world, tmp_path, ["report"], suffix, "en")
    words = office_text(world, tmp_path, ["report"], suffix, "fr")
    assert "How likely is each priority to be delivered?" in english
    assert "Quelle est la probabilité de réaliser chaque priorité?" in words
    assert "Plus d’heures d’ouverture" in words and "Données au 10 mai 2024, 9 h 30 UTC" in words
    # The data-quality league's scores and shares, as the English document has them.
    rows = re.findall(r"\| (\d+\.\d) \| (\d+%) \| (\d+%|–) \|", english)
    assert rows
    for row in rows:
        assert " | ".join(in_french(figure) for figure in row) in words
    for english_only in ("Data as of", "League table", "Priority |", "Concerns"):
        assert english_only not in words, english_only


@pytest.mark.parametrize("suffix", [".docx", ".pptx"])
def test_the_french_note_in_word_and_powerpoint(world, tmp_path, suffix):
    command = ["note", "--month", "2024-05"]
    english = office_text(world, tmp_path, command, suffix, "en")
    words = office_text(world, tmp_path, command, suffix, "fr")
    assert "1,234.5 (2024-04)" in english  # the nation's April hours
    assert f"1{NBSP}234,5 (2024-04)" in words
    assert f"Réalisation des priorités{NBSP}: mai 2024" in words
    assert "Données au 10 mai 2024, 9 h 30 UTC" in words
    for english_only in ("Data as of", "What moved", "May 2024", "1,234.5"):
        assert english_only not in words, english_only


def test_the_french_decks_native_charts_format_numbers_the_french_way(world, tmp_path):
    """A native chart's number formats carry fr-CA's locale tag, so that PowerPoint and
    LibreOffice write 1 234,5 there too; the English deck's are as before."""
    from pptx import Presentation

    formats = {}
    for lang in ("en", "fr"):
        out = tmp_path / f"pack-{lang}.pptx"
        result = runner.invoke(app, ["pack", "MORE", "--db", world, "--lang", lang,
                                     "--out", str(out)])
        assert result.exit_code == 0, result.output
        formats[lang] = [shape.chart.plots[0].data_labels.number_format
                         for slide in Presentation(str(out)).slides
                         for shape in slide.shapes
                         if shape.has_chart and shape.chart.plots[0].has_data_labels]
    assert formats["en"] == ["+0.0;-0.0;0"]
    assert formats["fr"] == ["[$-C0C]+0.0;[$-C0C]-0.0;[$-C0C]0"]
