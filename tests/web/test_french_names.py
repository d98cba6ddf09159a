"""The model's French where a French page or document names a thing (issue #18): the
priority's title in every signed-in delivery page's heading and crumbs and in the
portfolio, a risk's French description on /risks, a French actor's name in the chain
diagram's box, the headline's unit of measure in a French pack, note, page and public site
(their charts' axes too), the risks in a French report; the English pages as they were.

The small world of test_delivery_pages (examples/delivery's plan and chain on SQLite), its
model given a French title and unit, its plan a French risk and its chain a French actor."""

from __future__ import annotations

import re

import pytest

from stocktake.services.publishing.briefings import write_note, write_report
from stocktake.services.publishing.packs import write_pack
from stocktake.services.routines.chains import load_chain
from stocktake.services.routines.plans import load_plan
from stocktake.store.db import open_engine

from .test_delivery_pages import build, client_as, doc, text_of

pytestmark = pytest.mark.usefixtures("cheap_hashing")  # tests/conftest.py

TITLE_FR = "Réduire la criminalité violente"
UNIT_FR = "pour 100 000 habitants"
RISK_FR = "Pas assez d’intervenants jeunesse dans les régions rurales"
ACTOR_FR = "Bureau de la statistique criminelle"


@pytest.fixture
def french_site(tmp_path, small_model_dir):
    priorities = small_model_dir / "priorities.yaml"
    priorities.write_text(priorities.read_text().replace(
        "  title: Cut violent crime\n", f"  title: Cut violent crime\n  title_fr: {TITLE_FR}\n"))
    indicators = small_model_dir / "indicators.yaml"
    indicators.write_text(indicators.read_text().replace(
        "  unit: per 100,000\n", f"  unit: per 100,000\n  unit_fr: {UNIT_FR}\n"))
    engine = build(open_engine(f"sqlite:///{tmp_path / 'web.db'}"), small_model_dir)
    plan = doc("plan.yaml")
    plan["risks"][0]["description_fr"] = RISK_FR
    load_plan(engine, "P1", plan, author="Unit", reason="French")
    chain = doc("chain.yaml")
    next(a for a in chain["actors"] if a["code"] == "stats")["name_fr"] = ACTOR_FR
    load_chain(engine, "P1", chain, author="Unit")
    yield engine
    engine.dispose()


def heading_and_crumbs(html: str) -> str:
    return text_of(" ".join(re.findall(r'<h1>.*?</h1>|<p class="crumbs">.*?</p>', html,
                                       flags=re.S)))


def test_every_delivery_page_heads_and_crumbs_with_the_french_title(french_site):
    client, _ = client_as(french_site, "analyst")
    for path in ("", "/plan", "/chain", "/assessments", "/stocktakes"):
        english = heading_and_crumbs(client.get(f"/priorities/P1{path}?lang=en").text)
        french = heading_and_crumbs(client.get(f"/priorities/P1{path}?lang=fr").text)
        assert "Cut violent crime" in english and TITLE_FR not in english, path
        assert TITLE_FR in french and "Cut violent crime" not in french, path
    # The priority page's lede names the headline's unit of measure in French.
    lede = re.search(r'<p class="lede">(.*?)</p>', client.get("/priorities/P1?lang=fr").text,
                     flags=re.S).group(1)
    assert f"({UNIT_FR})" in text_of(lede)
    assert "(per 100,000)" in text_of(client.get("/priorities/P1?lang=en").text)
    # The portfolio lists the priority by its French title, the English one by its own.
    assert TITLE_FR in text_of(client.get("/?lang=fr").text)
    assert TITLE_FR not in text_of(client.get("/?lang=en").text)
    # and the headline chart's y axis
    assert f">{UNIT_FR}</text>" in client.get("/priorities/P1?lang=fr").text
    assert ">per 100,000</text>" in client.get("/priorities/P1?lang=en").text


def test_the_risk_register_and_the_chain_diagram_in_french(french_site):
    client, _ = client_as(french_site, "analyst")
    english, french = (text_of(client.get(f"/risks?lang={lang}").text) for lang in ("en", "fr"))
    assert "Not enough youth workers in rural regions" in english and RISK_FR not in english
    assert RISK_FR in french and "Not enough youth workers" not in french
    assert TITLE_FR in french  # the priority the risk belongs to, by its French title

    def drawn(lang: str) -> str:  # the words drawn in the diagram, a box's lines joined
        svg = client.get(f"/priorities/P1/chain?lang={lang}").text
        return " ".join(text_of(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg,
                                                        flags=re.S))

    assert "Crime statistics office" in drawn("en") and ACTOR_FR not in drawn("en")
    assert ACTOR_FR in drawn("fr") and "Crime statistics office" not in drawn("fr")


def test_french_documents_name_the_unit_and_the_risks_in_french(french_site, tmp_path):
    out = tmp_path / "pack-fr.html"
    write_pack(french_site, "P1", str(out), lang="fr")
    html = out.read_text()
    row = re.search(r"<tr><th scope=\"row\">[^<]*</th><td>[^<]*<span class=\"muted\">"
                    r"\(([^;]*);", html).group(1)
    assert row == UNIT_FR
    assert f">{UNIT_FR}</text>" in html and ">per 100,000</text>" not in html  # the chart
    # The monthly note's table names each headline's unit; the report lists the risks.
    write_note(french_site, "2024-09", str(tmp_path / "note-fr.html"), lang="fr")
    note = (tmp_path / "note-fr.html").read_text()
    assert f'<span class="muted">{UNIT_FR}</span>' in note
    assert '<span class="muted">per 100,000</span>' not in note
    write_report(french_site, str(tmp_path / "report-fr.html"), lang="fr")
    report = text_of((tmp_path / "report-fr.html").read_text())
    assert RISK_FR in report and "Not enough youth workers" not in report


def test_the_french_public_site_names_the_headline_s_unit_in_french(small_model_dir,
                                                                     tmp_path):
    from stocktake.web.public import publish_site

    from ..services.test_publish import build as build_public

    indicators = small_model_dir / "indicators.yaml"
    indicators.write_text(indicators.read_text().replace(
        "  unit: per 100,000\n", f"  unit: per 100,000\n  unit_fr: {UNIT_FR}\n"))
    engine = build_public(open_engine(f"sqlite:///{tmp_path / 'site.db'}"), small_model_dir)
    publish_site(engine, tmp_path / "site")
    engine.dispose()
    for page in ("index.html", "priority-P1.html", "unit-A.html"):
        english = text_of((tmp_path / "site" / page).read_text())
        french = text_of((tmp_path / "site" / "fr" / page).read_text())
        # (the headline's name, "Violent incidents per 100,000 people", has no French here)
        assert "(per 100,000)" in english and UNIT_FR not in english, page
        assert f"({UNIT_FR})" in french and "(per 100,000)" not in french, page
    chart = (tmp_path / "site" / "fr" / "priority-P1.html").read_text()
    assert f">{UNIT_FR}</text>" in chart and ">per 100,000</text>" not in chart
