"""The monthly note in French on a small world loaded and submitted through the real
services: French headings and sentences, the model's French names (English where it has
none), numbers and dates in French conventions; the English note as before."""

from __future__ import annotations

import re
from html import unescape

import pytest
from typer.testing import CliRunner

from stocktake.cli import app

runner = CliRunner()


def note(db_url, tmp_path, *lang: str) -> str:
    out = tmp_path / f"note{'-'.join(lang)}.html"
    result = runner.invoke(app, ["note", "--month", "2024-05", "--out", str(out),
                                 "--db", db_url, *lang])
    assert result.exit_code == 0, result.output
    html = out.read_text()
    return html


def text(html: str) -> str:
    """The words a reader sees, spaces as they are (a no-break space stays one)."""
    return re.sub(r"[ \t\n]+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_the_french_note_is_in_french_with_french_numbers_dates_and_names(world, tmp_path):
    html = note(world, tmp_path, "--lang", "fr")
    words = text(html)
    assert '<html lang="fr">' in html
    for heading in ("Où en est chaque priorité", "Ce qui a bougé", "Ce qui est en retard",
                    "Ce qui demande une décision", "Note mensuelle au dirigeant"):
        assert heading in words
    assert "Réalisation des priorités\u00a0: mai 2024" in words
    assert "Données au 10 mai 2024, 9 h 30 UTC" in words
    assert "Plus d’heures d’ouverture" in words  # the French title from the model
    assert "Cut violent crime" in words  # P1 has no French title: the English one
    assert "1\u00a0234,5" in words  # the nation's April hours
    assert "+94,5 hours en 2024-04 sur la période précédente" in words  # 3 x (411.5 - 380)
    for english in ("What moved", "Where each priority stands", "Data as of", "1,234.5",
                    "May 2024"):
        assert english not in words


def test_the_english_note_stays_english(world, tmp_path):
    html = note(world, tmp_path)
    words = text(html)
    assert '<html lang="en">' in html
    assert "Delivery of the priorities: May 2024" in words
    assert "Data as of 10 May 2024, 09:30 UTC" in words
    assert "More operating hours" in words and "Plus d’heures" not in words
    assert "1,234.5" in words
    assert "+94.5 hours in 2024-04 on the period before" in words
    assert note(world, tmp_path, "--lang", "en") == html


@pytest.mark.parametrize("command", [["note", "--month", "2024-05"], ["report"],
                                     ["pack", "MORE"]])
def test_a_language_the_documents_are_not_written_in_is_refused(world, tmp_path, command):
    out = tmp_path / "n.pdf"
    result = runner.invoke(app, [*command, "--db", world, "--lang", "de", "--out", str(out)])
    assert result.exit_code == 2
    assert "--lang" in result.output and "'de' is not a language" in result.output
    assert not out.exists()
