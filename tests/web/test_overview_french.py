"""The overview pages in French (issue #18): the portfolio, a priority, a unit, the alerts
and the error pages, signed in, with figures and words in the page's language; the English
pages as they were; the words Python holds are the services' own; the French portfolio and
priority page in a browser, with axe."""

from __future__ import annotations

import html
import re
import shutil
from datetime import datetime
from http import HTTPStatus
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from stocktake.analysis.trajectory.verdict import met_rule
from stocktake.model.entities import Polarity
from stocktake.reports import formatting as report_formatting
from stocktake.results.alerts import REVIEW_STATUSES
from stocktake.results.leads import LeadEvidence
from stocktake.results.status import Tolerance
from stocktake.services.admin import accounts
from stocktake.services.reading.overview import PERIOD_WORDS, POLARITY_TEXT, _freshness
from stocktake.services.reading.status import (
    _partial_only_note,
    _since_movement,
    _spc_context,
)
from stocktake.store.db import open_engine
from stocktake.web import alert_pages, auth, error_pages, formatting, i18n
from stocktake.web.app import create_app

from ..conftest import SMALL_MODEL
from ..services.test_alerts import planted_world
from ..services.test_publish import build
from .conftest import LiveServer, screenshot, signed_in_session
from .test_accessibility import axe_problems, blocking

NBSP = "\u00a0"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The small model with three months of data (tests/services/test_publish.build)."""
    here = tmp_path_factory.mktemp("overview-fr")
    model = here / "model"
    shutil.copytree(SMALL_MODEL, model)
    return build(open_engine(f"sqlite:///{here / 'web.db'}"), model)


def client_in(engine, lang: str, role: str = "analyst") -> TestClient:
    """A signed-in browser whose language cookie is ``lang``."""
    return TestClient(create_app(engine), cookies={
        auth.SESSION_COOKIE: signed_in_session(engine, role), i18n.COOKIE: lang})


def text_of(page: str) -> str:
    """The words of a page, tags and entities gone, spaces as the browser shows them."""
    page = re.sub(r"<(style|script|svg)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"[ \t\n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


@pytest.mark.slow  # a world built and pages rendered: seconds
def test_the_portfolio_priority_and_unit_pages_in_french(world):
    engine = world
    fr, en = client_in(engine, "fr"), client_in(engine, "en")
    page, english = fr.get("/"), en.get("/")
    assert page.status_code == 200 and '<html lang="fr">' in page.text
    assert "<h1>Priorités</h1>" in page.text and "<h1>Priorities</h1>" in english.text
    words = text_of(page.text)
    # N, 2024-03: (33 + 20 + 40) / 1,000,000 x 100,000 = 9.3 against the linear trajectory
    # from 10.0 (2024-01) to 8.0 (2025-12): 10 - 2 x 2/23 = 9.83 expected, a gap of -0.53,
    # -5.4% of it; lower is better, so ahead
    assert "<strong>9,3</strong>" in page.text and "<strong>9.3</strong>" in english.text
    assert f"écart −0,5 (−5,4{NBSP}%), 9,8 attendu en 2024-03" in words
    assert "gap −0.5 (−5.4%), expected 9.8 in 2024-03" in text_of(english.text)
    assert "En avance" in words and "plus bas, c'est mieux" in words
    assert "mois de retard sur le mois en cours" in words  # how fresh, from its figures
    for left in ("Latest against target", "Data freshness", "baseline", "Data as of"):
        assert left not in words, left

    words = text_of(fr.get("/priorities/P1").text)
    assert "Référence" in words and "Attendu sur la trajectoire" in words
    assert f"écart −5,4{NBSP}%" in words and f"à 5{NBSP}% ou moins de la valeur attendue" in words
    assert "Gérer la mise en œuvre" in words and "Plan de mise en œuvre" in words
    assert "Expected on the trajectory" not in words

    french, english = text_of(fr.get("/units/A").text), text_of(en.get("/units/A").text)
    assert "Qualité des données" in french and "Contribution aux priorités" in french
    # the same completeness, written the French way
    share = re.search(r"Completeness (\d+)\.(\d)%", english)
    assert share and f"Exhaustivité {share[1]},{share[2]}{NBSP}%" in french


def svg_words(page: str) -> set[str]:
    """The words drawn in a page's charts (the text of its <svg> elements)."""
    drawn = " ".join(re.findall(r"<svg\b.*?</svg>", page, flags=re.S))
    return set(re.findall(r">([^<>]+)</text>", drawn)) | set(
        w for t in re.findall(r"<text[^>]*>(.*?)</text>", drawn, flags=re.S)
        for w in re.findall(r"[^<>]+", t))


@pytest.mark.slow  # a world built and pages rendered: seconds
def test_the_charts_speak_the_page_language_in_one_app(world):
    """One app (one page cache) answering a French reader, then an English one: each
    page's charts in its reader's language, whichever came first."""
    app = create_app(world)
    session = signed_in_session(world, "analyst")
    fr, en = (TestClient(app, cookies={auth.SESSION_COOKIE: session, i18n.COOKIE: lang})
              for lang in ("fr", "en"))
    french = " ".join(svg_words(fr.get("/priorities/P1").text))
    english = " ".join(svg_words(en.get("/priorities/P1").text))
    assert "Réel" in french and "Trajectoire" in french and "Actual" not in french
    assert "Actual" in english and "Trajectory" in english and "Réel" not in english
    assert "Réel" in " ".join(svg_words(fr.get("/priorities/P1").text))  # and again


@pytest.mark.slow  # a world built and pages rendered: seconds
def test_the_alerts_in_french(tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path / 'alerts.db'}")
    planted_world(engine, tmp_path / "model")
    client = client_in(engine, "fr")
    page = client.get("/alerts")
    words = text_of(page.text)
    assert "<h1>Alertes</h1>" in page.text and "Peut-on se fier à ces chiffres?" in words
    assert "changement de rapport" in words and "ouverte" in words
    assert '<option value="explained">expliquée</option>' in page.text  # the review form
    assert "What moved" not in words and "ratio shift" not in words


@pytest.mark.slow  # a world built and pages rendered: seconds
def test_the_error_pages_in_french(world):
    engine = world
    fr, en = client_in(engine, "fr"), client_in(engine, "en")
    missing = fr.get("/nowhere")
    assert missing.status_code == 404 and "<h1>Introuvable</h1>" in missing.text
    assert "Il n'y a aucune page à l'adresse /nowhere." in text_of(missing.text)
    assert "There is no page at /nowhere." in text_of(en.get("/nowhere").text)
    assert "<h1>Introuvable</h1>" in fr.get("/priorities/NOPE").text  # a NotFound
    assert "<h1>Non accepté</h1>" in fr.get("/login?signed_out=abc").text  # 422
    provider = client_in(engine, "fr", role="provider")
    refused = provider.get("/")
    assert refused.status_code == 403 and "<h1>Non ouvert à votre rôle</h1>" in refused.text
    assert ("Vous êtes connecté en tant que provider (fournisseur). Cette page n'est pas "
            "ouverte au rôle fournisseur.") in text_of(refused.text)
    english = client_in(engine, "en", role="provider").get("/")
    assert ("You are signed in as provider (provider). This page is not open to the provider "
            "role.") in text_of(english.text)
    csrf = fr.post("/alerts/abc/review", data={"status": "explained", "note": "x"})
    assert csrf.status_code == 403 and "<h1>Formulaire refusé</h1>" in csrf.text
    assert "Ce formulaire a été refusé" in text_of(csrf.text)
    # the rebase form's own refusals
    session = accounts.start_session(engine, "analyst")
    client = TestClient(create_app(engine), cookies={auth.SESSION_COOKIE: session.token,
                                                     i18n.COOKIE: "fr"})
    bad = client.post("/priorities/P1/rebases", data={
        "csrf_token": session.csrf_token, "action": "move", "period": "2024-02"})
    assert bad.status_code == 400 and "<h1>Aucune nouvelle base</h1>" in bad.text
    assert "Action inconnue «\u00a0move\u00a0» : accept ou remove." in text_of(bad.text)


@pytest.mark.slow  # a world built and pages rendered: seconds
def test_our_own_error_in_french(world, monkeypatch):
    """A 500 is answered outside the language middleware: still in the reader's language."""
    app = create_app(world)

    @app.get("/fails")
    def fails():
        raise RuntimeError("the disk is on fire")

    monkeypatch.setitem(auth.PERMISSIONS, "fails", auth.SIGNED_IN)
    client = TestClient(app, raise_server_exceptions=False, cookies={
        auth.SESSION_COOKIE: signed_in_session(world, "analyst"), i18n.COOKIE: "fr"})
    r = client.get("/fails")
    assert r.status_code == 500 and '<html lang="fr">' in r.text
    assert "<h1>Une erreur s'est produite</h1>" in html.unescape(r.text)
    assert f"identifiant de requête : {r.headers['x-request-id']}." in text_of(r.text)
    assert "disk is on fire" not in r.text


def test_words_from_their_figures():
    now = datetime(2026, 12, 7)
    cases = [(("2026-10", "month"), "2 mois de retard sur le mois en cours"),
             (("2026-Q3", "quarter"), "1 trimestre de retard sur le trimestre en cours"),
             (("2026", "year"), "l'année en cours"),
             ((None, "month"), "aucune période complète pour l'instant")]
    for (latest, period_type), french in cases:
        f = _freshness(latest, period_type, now, None)
        assert formatting.freshness(f) == f.text  # English: the service's sentence
        with i18n.language("fr"):
            assert formatting.freshness(f) == french
    evidence = LeadEvidence(lag=1, q_value=0.01, oos_gain=0.04, sign_agreement=1.0,
                            reading="lead", reading_words="", level="province", units=68,
                            periods=("2020-01", "2026-09"), period_word="months",
                            method="", notes=())
    assert formatting.lead_evidence(evidence) == report_formatting.lead_evidence(evidence)
    with i18n.language("fr"):
        assert formatting.lead_evidence(evidence) == (
            f"Devance l'indicateur principal (meilleur décalage : 1 mois; prévisions "
            f"meilleures de 4{NBSP}% avec lui; sur 68 unités)")
    for polarity, tolerance, side in (
            ("up", Tolerance(value=0.0, mode="relative", rule=""), "égale ou supérieure à 78,5"),
            ("neutral", Tolerance(value=2.0, mode="relative", rule=""), f"à 2{NBSP}% près de 78,5"),
            ("neutral", Tolerance(value=1.5, mode="absolute", rule=""), "à 1,5 près de 78,5")):
        rule = met_rule(polarity, "2026-06", 78.5, tolerance.value, tolerance.mode)
        p = SimpleNamespace(polarity=polarity, tolerance=tolerance, at_target_period=(
            SimpleNamespace(rule=rule, period="2026-06", target=78.5)))
        assert formatting.verdict_rule(p) == rule
        with i18n.language("fr"):
            assert formatting.verdict_rule(p).startswith(
                f"atteinte quand la valeur réelle de la période cible 2026-06 est {side}, "
                "manquée sinon; lue une fois cette période complète.")
    partial = SimpleNamespace(complete=lambda code, unit: ((), (), ("2024-03", "2024-04")))
    note = _partial_only_note(partial, "incidents", "N")
    assert formatting.status_note(note) == note
    with i18n.language("fr"):
        assert formatting.status_note(note).startswith(
            "aucune période complète : 2 déclarées seulement en partie (la dernière, 2024-04 :")
    note = _spc_context(None, [{"period": "2025-02"}], [], "concern_high",
                        "consistently_fails")["assurance_note"]
    assert formatting.assurance_note(note) == note
    with i18n.language("fr"):
        assert formatting.assurance_note(note) == (
            "limites calculées sur tout l'historique; le niveau a changé depuis 2025-02 "
            "(nouvelle base suggérée, non appliquée)")
        assert i18n.percent(0.875, 1) == f"87,5{NBSP}%"
        assert i18n.signed(-0.526, 1) == "−0,5"
        assert formatting.plus_minus(-1.66, 1) == "−1,7"
        assert formatting.signed_percent(-5.354) == f"−5,4{NBSP}%"
    assert (i18n.percent(0.875, 1), i18n.signed(-0.526, 1),
            formatting.plus_minus(-1.66, 1), formatting.signed_percent(-5.354)) == (
            "87.5%", "−0.5", "-1.7", "−5.4%")


def test_the_words_held_in_python_are_the_services():
    """The messages the pages translate with ``| tr`` are the ones the services write."""
    assert set(formatting.POLARITY_WORDS) == set(POLARITY_TEXT.values())
    assert set(formatting.MOVEMENT_WORDS) == {_since_movement(change, polarity)
                                              for change in (-1.0, 0.0, 1.0)
                                              for polarity in Polarity}
    assert set(formatting.BEHIND) == set(formatting.CURRENT) == set(PERIOD_WORDS)
    assert set(formatting.LAG) == {*PERIOD_WORDS, "period"}
    assert formatting.LEAD_VERDICTS == report_formatting.LEAD_VERDICTS
    frequencies = tuple(f"{t.capitalize()}ly" for t in PERIOD_WORDS if t != "day")
    assert frequencies == formatting.FREQUENCY_WORDS
    assert alert_pages.STATUS_WORDS == REVIEW_STATUSES
    kinds = (auth.AccessProblem, *auth.AccessProblem.__subclasses__())
    refusals = {kind.title for kind in kinds}
    assert refusals | {auth.CSRF_MESSAGE, HTTPStatus(405).phrase} == set(error_pages.REFUSALS)


def test_the_overview_in_french_in_a_browser(world, browser):
    engine = world
    with LiveServer(create_app(engine)) as server:
        context = browser.new_context(viewport={"width": 1280, "height": 900},
                                      bypass_csp=True)  # bypass: axe
        context.add_cookies([{"name": auth.SESSION_COOKIE, "url": server.url,
                              "value": signed_in_session(engine, "analyst")}])
        page = context.new_page()
        page.goto(server.url + "/?lang=fr")
        assert page.locator("html").get_attribute("lang") == "fr"
        assert page.locator("h1").inner_text() == "Priorités"
        screenshot(page, "portfolio-fr")
        assert blocking(axe_problems(page, "/ in French")) == []
        page.get_by_role("link", name="Cut violent crime").click()  # remembered: French
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "fr"
        assert page.locator("#delivery-heading").inner_text() == "Gérer la mise en œuvre"
        screenshot(page, "priority-fr")  # for a person to look at (axe: the portfolio's)
        context.close()


@pytest.mark.parametrize("name", ["Not found", "Not accepted", "Something went wrong"])
def test_an_error_title_is_a_message(name):
    """error.html translates its title with ``| tr``: each title must be in the catalogue."""
    with i18n.language("fr"):
        assert i18n.gettext(name) != name
