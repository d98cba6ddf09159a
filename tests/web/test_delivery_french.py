"""The delivery pages, the risk register and the milestone timeline in French (issue #18):
the words Python holds are the domain's, a signed-in analyst reads every page in French
with French figures and dates, a refused form says why in French, and a French page passes
axe in a browser. That every message is translated is tests/web/test_translations.py's."""

from __future__ import annotations

import pytest

from stocktake.delivery import assessments as da
from stocktake.delivery import chains, plans
from stocktake.delivery.stocktakes import ACTION_STATUSES, FIVE_QUESTIONS
from stocktake.reports import formatting as rf
from stocktake.services.admin import accounts
from stocktake.store.db import open_engine
from stocktake.web import auth, i18n
from stocktake.web import delivery_words as words
from stocktake.web.app import create_app

from .conftest import LiveServer, screenshot
from .test_accessibility import axe_problems, blocking
from .test_delivery_pages import build, client_as, text_of

pytestmark = pytest.mark.usefixtures("cheap_hashing")  # tests/conftest.py


def test_the_words_python_holds_are_the_domains():
    """pybabel finds delivery_words' literals; the pages translate the domain's words."""
    assert (*rf.LIKELIHOOD_WORDS.values(), rf.likelihood_word(None)) == words.LIKELIHOOD
    assert tuple(label for _key, label, _scale in da.CRITERIA) == words.CRITERIA
    assert (*da.CHALLENGE_LABELS.values(), *da.STAGE_LABELS.values()) == words.RATINGS
    assert words.FIVE_QUESTIONS == FIVE_QUESTIONS
    assert words.CHECKS == plans.CHECKS
    assert words.LINK_TYPES == chains.LINK_TYPES
    assert words.STRENGTHS == chains.STRENGTHS
    assert words.LEVELS == chains.LEVELS
    assert tuple(words.ACTION_WORDS) == ACTION_STATUSES


def test_the_filters_in_french_and_unchanged_in_english():
    with i18n.language("fr"):
        assert i18n.signed(-1234.5, 1) == "−1\u00a0234,5"
        assert i18n.percent(0.42) == "42\u00a0%"
        assert words.likelihood_word("amber_green") == "Ambre/vert"
        assert words.likelihood_word(None) == "Non évaluée"
        assert words.action_word("in_progress") == "En cours"
        assert words.milestone_word("at_risk") == "À risque"
        assert words.direction_word("worse") == "Détérioration"
        assert words.diff_word("+") == "Ajouté"
    assert i18n.signed(-1234.5, 1) == "−1,234.5"
    assert i18n.percent(0.42) == "42%"
    assert words.likelihood_word("amber_green") == "Amber/green"
    assert words.action_word("in_progress") == "In progress"
    assert words.direction_word(None) == "–"


def test_the_domains_sentences_said_again_in_french():
    """A flag and a change of likelihood: the domain writes them in English; the page says
    the same in French from the same fields (the percentage as the domain rounded it)."""
    flags = da.disagreement("green", probability=0.296, status="off_track")
    assert [f["flag"] for f in flags] == ["rated_above_forecast", "green_but_off_track"]
    # 29.6% stays 29.6%, not 30%, in a flag for "below 30%" (delivery.assessments._percent)
    assert "29.6%" in flags[0]["message"]
    red = da.disagreement("red", probability=None, status="ahead")
    first = {"round": "2024-Q3", "since": None, "sentence": "Likelihood first assessed ...",
             "criteria": {"likelihood": {"new_label": "Amber/green", "direction": "new"}}}
    worse = {"round": "2024-Q4", "since": "2024-Q3", "sentence": "Likelihood worsened ...",
             "criteria": {"likelihood": {"old_label": "Amber/green", "new_label": "Red",
                                         "direction": "worse"}}}
    with i18n.language("fr"):
        assert words.flag_message(flags[0], "green") == (
            "Cote «\u00a0Vert\u00a0», mais la prévision donne une probabilité de 29,6\u00a0% "
            "d'atteindre la cible")
        assert words.flag_message(flags[1], "green") == (
            "Cote «\u00a0Vert\u00a0», mais le dernier chiffre est hors trajectoire")
        assert words.flag_message(red[0], "red") == (
            "Cote «\u00a0Rouge\u00a0», mais le dernier chiffre est en avance sur la "
            "trajectoire")
        assert words.change_sentence(first) == (
            "Probabilité évaluée pour la première fois au cycle 2024-Q3\u00a0: Ambre/vert")
        assert words.change_sentence(worse) == (
            "Probabilité détériorée depuis 2024-Q3, passant de «\u00a0Ambre/vert\u00a0» à "
            "«\u00a0Rouge\u00a0»")
    assert words.flag_message(flags[0], "green") == flags[0]["message"]
    assert words.change_sentence(worse) == "Likelihood worsened ..."


@pytest.fixture
def french_site(tmp_path, small_model_dir):
    engine = open_engine(f"sqlite:///{tmp_path / 'web.db'}")
    yield build(engine, small_model_dir)
    engine.dispose()


@pytest.mark.slow  # a site built and several pages rendered: over a second
def test_an_analyst_reads_every_delivery_page_in_french(french_site):
    client, csrf = client_as(french_site, "analyst")
    pages = {path: client.get(path + ("&" if "?" in path else "?") + "lang=fr")
             for path in ("/priorities/P1/plan", "/priorities/P1/chain",
                          "/priorities/P1/assessments", "/priorities/P1/stocktakes",
                          "/actions?open=0", "/risks", "/milestones")}
    for path, response in pages.items():
        assert response.status_code == 200, path
        assert '<html lang="fr">' in response.text, path
    text = {path: text_of(r.text) for path, r in pages.items()}
    plan = text["/priorities/P1/plan"]
    assert "Plan de mise en œuvre : Cut violent crime" in plan
    # the example plan: ramps of 6 and 12 months, effects of -1.2 and -0.8
    assert "Chaque intervention a un responsable" in plan
    assert "6 périodes" in plan and "−1,2" in plan and "Liste de contrôle de la qualité" in plan
    chain = text["/priorities/P1/chain"]
    assert "Chaîne de mise en œuvre : Cut violent crime" in chain and "Faible" in chain
    assessments = text["/priorities/P1/assessments"]
    # the example assessment: round 2024-Q3 of 30 September 2024, likelihood amber/green
    assert "Dernière évaluation : cycle 2024-Q3" in assessments
    assert "Ambre/vert" in assessments and "30 sept. 2024" in assessments
    stocktakes = text["/priorities/P1/stocktakes"]
    assert "Que cherchez-vous à faire?" in stocktakes and "15 oct. 2024" in stocktakes
    assert "Consigner un bilan" in stocktakes
    assert "Mesures ouvertes :" in text["/actions?open=0"]
    assert "Registre des risques de toutes les priorités" in text["/risks"]
    assert "Jalons de toutes les priorités" in text["/milestones"]
    # the English page is still English for the same account, asked for
    assert "Delivery plan: Cut violent crime" in text_of(
        client.get("/priorities/P1/plan?lang=en").text)


@pytest.mark.slow  # a site built and several pages rendered: over a second
def test_a_refused_form_says_why_in_french(french_site):
    client, csrf = client_as(french_site, "analyst")
    client.get("/actions?lang=fr")  # remembered for the account
    refused = client.post("/priorities/P1/stocktakes", data={
        "csrf_token": csrf, "held_on": "2024-11-01",
        "action_text_2": "Agree funding", "action_owner_2": "", "action_due_2": ""})
    assert refused.status_code == 400
    said = text_of(refused.text)
    assert "Rien n'a été enregistré." in said and "Ligne de mesure 2" in said
    empty = client.post("/priorities/P1/plan", data={"csrf_token": csrf, "reason": "x"},
                        files={"plan": ("plan.yaml", b"- a\n- b\n", "application/yaml")})
    assert empty.status_code == 400
    assert "un plan est un dictionnaire" in text_of(empty.text)
    assert "une liste" in text_of(empty.text)
    missing = client.get("/actions?priority=NOPE")
    assert missing.status_code == 404 and "Il n'y a pas de priorité" in text_of(missing.text)


def test_a_french_delivery_page_in_a_browser(browser, french_site):
    with LiveServer(create_app(french_site)) as server:
        context = browser.new_context(viewport={"width": 1280, "height": 900},
                                      bypass_csp=True)  # bypass: to inject axe
        context.add_cookies([{"name": auth.SESSION_COOKIE, "url": server.url,
                              "value": accounts.start_session(french_site, "analyst").token}])
        page = context.new_page()
        page.goto(server.url + "/priorities/P1/assessments?lang=fr")
        assert page.locator("html").get_attribute("lang") == "fr"
        heading = page.locator("h1").inner_text()
        assert heading == "Probabilité de réalisation\u00a0: Cut violent crime"
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        screenshot(page, "delivery-assessments-fr")
        assert blocking(axe_problems(page, "/priorities/P1/assessments in French")) == []
        page.get_by_role("link", name="Plan", exact=True).click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "Plan de mise en œuvre\u00a0: Cut violent crime"
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        screenshot(page, "delivery-plan-fr")
        assert blocking(axe_problems(page, "/priorities/P1/plan in French")) == []
        context.close()
