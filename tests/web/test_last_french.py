"""The last English on French signed-in pages (issue #18): the levels of units, the units'
names and the leads' and counters' on the priority page (its tables, its funnel), the
change-point method of its rebase suggestions, the data quality page's level column, unit
names and alerts, and the model page's level column; read back from the French pages, the
English ones as they were.

The small model (tests/fixtures/small_model) with French names for its units and levels
and its counter, three months of data (tests/services/test_publish.build) with two years
before them and the rest of 2024 (history), on SQLite."""

from __future__ import annotations

import re
import shutil

import pytest

from stocktake.intake.service import submit_rows
from stocktake.store.db import open_engine

from ..conftest import SMALL_MODEL
from ..services.test_publish import build
from .test_overview_french import client_in, text_of

pytestmark = pytest.mark.usefixtures("cheap_hashing")  # tests/conftest.py

# units.csv with a French name for each unit and level (the nation's level has none)
UNITS_FR = """code,name,name_fr,level,level_fr,parent,population
N,Nation,Pays,nation,,,1000000
A,Province A,Province Alpha,province,province ou territoire,N,600000
B,Province B,Province Bêta,province,province ou territoire,N,400000
A1,Region A1,Région Alpha 1,region,région,A,350000
A2,Region A2,Région Alpha 2,region,région,A,250000
B1,Region B1,Région Bêta 1,region,région,B,400000
"""


def history() -> list[tuple[str, str, str, float]]:
    """Two years before the baseline, about half the incidents a month there have been since:
    a change of level the change-point search suggests a rebase at.
    With the months from 2024-04 to 2024-12 (B1 and A2 too), at least 12 points after."""
    rows = []
    for i, period in enumerate([f"{y}-{m:02d}" for y in (2022, 2023) for m in range(1, 13)]):
        for unit, n, people in (("A1", 15, 350000), ("A2", 10, 250000), ("B1", 20, 400000)):
            rows += [("incidents", unit, period, n + i % 3),
                     ("population", unit, period, people)]
    for m in range(4, 13):
        for unit, n, people in (("A1", 33 + m % 2, 350000), ("A2", 20 + m % 3, 250000),
                                ("B1", 40 + m % 2, 400000)):
            if (unit, m) != ("A1", 4):  # build() gave A1's April
                rows += [("incidents", unit, f"2024-{m:02d}", n),
                         ("population", unit, f"2024-{m:02d}", people)]
    return rows


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    here = tmp_path_factory.mktemp("last-french")
    model = here / "model"
    shutil.copytree(SMALL_MODEL, model)
    (model / "units.csv").write_text(UNITS_FR)
    indicators = model / "indicators.yaml"  # the counter's French name
    indicators.write_text(indicators.read_text().replace(
        "  name: Violent incidents\n", "  name: Violent incidents\n  name_fr: Crimes violents\n"))
    engine = build(open_engine(f"sqlite:///{here / 'web.db'}"), model)
    submit_rows(engine, history(), submitter="t")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def pages(world):
    """Each page in French and in English, as an admin sees it (the model page is theirs)."""
    fr, en = client_in(world, "fr", "admin"), client_in(world, "en", "admin")
    return {path: (fr.get(path).text, en.get(path).text)
            for path in ("/priorities/P1", "/data/quality", "/admin/model")}


def test_the_priority_page_names_levels_and_units_in_french(pages):
    french, english = pages["/priorities/P1"]
    words = text_of(french)
    assert "Par unité (province ou territoire)" in words
    assert "Chaque unité (province ou territoire) par rapport à sa part" in words
    assert "Province Alpha" in words and "Province A " not in words
    # the funnel's caption, its points and its note on the units outside the limits
    assert "pour chaque unité (province ou territoire), par rapport à des limites" in words
    assert "<title>Province Bêta\u00a0: " in french and "<title>Province B:" not in french
    # each unit's small multiple, titled by its name
    assert "<title>Province Bêta\u00a0: réel par rapport à sa part de la trajectoire" in french
    assert "Aucune unité (province ou territoire) n'est hors des limites" in words
    assert "By province" in text_of(english) and "Province Alpha" not in english
    # the counter indicator's name in the lead and counter table
    assert re.search(r'<th scope="row">Crimes violents</th><td>contrôle</td>', french)
    assert re.search(r'<th scope="row">Violent incidents</th><td>counter</td>', english)


def test_the_priority_page_says_its_methods_in_french(pages):
    french, english = pages["/priorities/P1"]
    words, english_words = text_of(french), text_of(english)
    # the change-point search behind the suggested rebase at 2024-01
    assert "Accepter la nouvelle base à 2024-01" in words
    assert ("recherche de points de rupture (partitionnement optimal selon les changements "
            "de moyenne (exact; la recherche élaguée par PELT), pénalité 3 log(n) sigma^2"
            in words)
    assert "optimal partitioning" not in words and "optimal partitioning" in english_words
    # the funnel's limits (a rate: incidents per 100,000 people)
    assert ("Graphique en entonnoir de Spiegelhalter (2005) pour un taux : taux commun p0 = "
            "somme(y)/somme(n); limites p0 +/- z sqrt(p0/n) (approximation normale)." in words)
    assert "Spiegelhalter (2005) funnel plot for a rate" in english_words


def test_the_data_quality_page_names_levels_units_and_held_back_alerts_in_french(pages):
    french, english = pages["/data/quality"]
    words, english_words = text_of(french), text_of(english)
    # each unit's name and level in the league (the nation's level has no French: as is)
    assert "Province Bêta B province ou territoire" in words
    assert "Région Alpha 2 A2 région" in words and "Pays N nation" in words
    assert "Province B B province" in english_words
    # Region A1's drift since 2024-03 on P1 holds it back, said in French
    said = re.search(r"demeure\s:\sdérive à partir de 2024-03 sur P1 \(alerte ouverte (\w+)\)",
                     words)
    assert said, words
    assert (f"stands: drift from 2024-03 on P1 (open alert {said[1]})" in english_words)


def test_the_model_page_names_the_levels_in_french(pages):
    french, english = pages["/admin/model"]
    # the units as units.csv names them (the page is the model's record), their level in French
    assert "<td>— Province B</td><td>province ou territoire</td><td>N</td>" in french
    assert "<td>— — Region B1</td><td>région</td><td>B</td>" in french
    assert "<td>Nation</td><td>nation</td>" in french  # no French for it: as the model has it
    assert "<td>— Province B</td><td>province</td><td>N</td>" in english


def test_a_lead_without_data_says_so_in_either_language(pages):
    """A lead or counter with no value yet reads "no data", not Python's "None"."""
    fr, en = (text_of(page) for page in pages["/priorities/P1"])
    table = re.compile(r"Lead and counter indicators(.*?)(?:Open alerts|Managing delivery)", re.S)
    assert "None" not in en and "None" not in fr
    assert "no data" in table.search(en).group(1)
