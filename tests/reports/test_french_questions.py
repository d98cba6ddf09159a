"""The questions from the data in the French pack (issue #18): asked in French, with the
English pack's figures written by French conventions and the model's French names."""

from __future__ import annotations

import re

from tests.reports.test_french_documents import NBSP, in_french, text, written


def questions(html: str) -> list[str]:
    """Section 4's questions, each without its line of evidence."""
    listed = re.search(r'<ol class="questions">(.*?)</ol>', html, re.S)
    assert listed, "no questions in the pack"
    return [text(re.sub(r'<span class="evidence">.*?</span>', "", item, flags=re.S)).strip()
            for item in re.findall(r"<li>(.*?)</li>", listed.group(1), re.S)]


def test_the_french_pack_asks_the_english_packs_questions_in_french(world, tmp_path):
    english = questions(written(world, tmp_path, ["pack", "MORE"], "en"))
    french = questions(written(world, tmp_path, ["pack", "MORE"], "fr"))
    assert len(french) == len(english) >= 1
    # The headline is ahead of its trajectory at the nation's April figure, 411.5 x 3 =
    # 1,234.5 hours, which a question writes whole (half to even, as every figure of 1,000
    # or more): 1,234 in English, 1 234 in French.
    credit = next(q for q in english if "ahead of its trajectory" in q)
    figure = re.search(r"\((\S+) hours in 2024-04\)", credit).group(1)
    assert figure == "1,234"
    asked = french[english.index(credit)]
    assert asked == (f"L’indicateur «{NBSP}Heures d’ouverture{NBSP}» est en avance sur sa "
                     f"trajectoire ({in_french(figure)} hours en 2024-04){NBSP}: qu’est-ce "
                     "qui a fait la différence, à qui en revient le mérite, et peut-on "
                     f"l’étendre?")
    assert f"1{NBSP}234 hours" in asked
    for word in ("ahead of", "what made", "trajectory", "Operating hours"):
        assert not any(word in q for q in french), word
