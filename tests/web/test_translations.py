"""The web in English and French (issue #18): every message of the converted templates and
modules is in the French catalogue and translated; the language of a request (asked, a
cookie, the browser's); numbers and dates by locale; the French public site, in a browser
too, with axe."""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from jinja2.ext import babel_extract

from stocktake.analysis.quality import FORMULA
from stocktake.delivery.reminders import KIND_TEXT
from stocktake.results.audit import ACTIONS
from stocktake.services.admin import accounts
from stocktake.services.admin.addresses import ADDRESS_KINDS
from stocktake.store.db import open_engine
from stocktake.web import account_pages, data_pages, i18n, mail_pages, public_words
from stocktake.web.app import create_app
from stocktake.web.auth import SESSION_COOKIE

from ..services.test_publish import build
from .conftest import LiveServer, screenshot, signed_in_session
from .test_accessibility import axe_problems, blocking

WEB = Path(i18n.__file__).parent
# Every template is translated: each of its messages must be in the catalogue, and it holds
# no English outside a message (a new page is held to this as soon as it is added).
CONVERTED_TEMPLATES = tuple(sorted(p.name for p in (WEB / "templates").glob("*.html")))
# The modules whose words reach a page. The others hold none, or only the JSON API's and
# the logs' words, which stay English like the CLI (auth.py's and deps.py's refusals are
# said again in the page's language by error_pages.page_message).
CONVERTED_MODULES = ("i18n.py", "public_words.py", "data_pages.py", "account_pages.py",
                     "mail_pages.py", "model_pages.py", "api.py", "formatting.py",
                     "overview_pages.py", "alert_pages.py", "spc_pages.py", "error_pages.py",
                     "delivery_pages.py", "delivery_words.py", "register_pages.py",
                     "commitment_pages.py", "language_pages.py")
# Outside web/: the modules whose findings and errors a page says again in its language
# (errors.Text, marked N_; babel.cfg reads them too).
SAYING_MODULES = ("errors.py", "intake/findings.py", "intake/formats.py", "intake/rules.py",
                  "intake/service.py", "intake/template.py", "intake/validate.py",
                  "model/periods.py", "delivery/commitments.py", "delivery/escalation.py",
                  "delivery/assessments.py", "delivery/stocktakes.py",
                  *(f"services/routines/{name}.py" for name in (
                      "commitments", "plans", "chains", "stocktakes", "assessments",
                      "escalation", "documents")),
                  "services/reading/quality.py", "services/reading/status.py")
KEYWORDS = DEFAULT_KEYWORDS | {"N_": None}
NOT_WORDS = {"stocktake", "CSV"}  # the same in every language


class Contextual(NamedTuple):
    """A message with its context (``pgettext``): the same English said two ways."""
    context: str
    message: str


def extracted() -> dict[str | tuple[str, str], str]:
    """Each message of the converted templates and modules -> where it is."""
    found: dict[str | tuple[str, str], str] = {}
    for name in CONVERTED_TEMPLATES:
        for line, message, _c, context in extract_from_file(
                babel_extract, WEB / "templates" / name, keywords=KEYWORDS,
                options={"extensions": "jinja2.ext.i18n"}):
            found[Contextual(context, message) if context else message] = f"{name}:{line}"
    for path in [WEB / name for name in CONVERTED_MODULES] + [
            WEB.parent / name for name in SAYING_MODULES]:
        for line, message, _c, _x in extract_from_file("python", path, keywords=KEYWORDS):
            found[message] = f"{path.name}:{line}"
    return found


def test_every_message_is_in_the_french_catalogue_and_translated():
    with i18n.catalogue_path("fr").open("rb") as f:
        catalogue = read_po(f, locale="fr")
    messages = extracted()
    assert len(messages) > 100  # the extraction found the converted pages' messages
    problems = []
    for message, where in messages.items():
        entry = (catalogue.get(message.message, context=message.context)
                 if isinstance(message, Contextual) else catalogue.get(message))
        if entry is None:
            problems.append(f"{where}: {message!r} is not in the French catalogue")
        elif entry.fuzzy or not all(entry.string if isinstance(entry.string, tuple)
                                    else [entry.string]):
            problems.append(f"{where}: {message!r} is not translated into French")
    # placeholders: the French says %(value)s wherever the English does
    problems += [f"{m.id!r}: {e}" for m, errors in catalogue.check() for e in errors]
    assert not problems, "\n".join(problems)


def test_the_messages_held_in_python_are_extracted():
    """pybabel finds the literals of EXTRACTED; the pages translate FROM_PYTHON."""
    assert list(public_words.EXTRACTED) == list(public_words.FROM_PYTHON)


def test_the_account_and_mail_words_held_in_python_are_extracted():
    """The words these pages translate with ``| tr`` are the ones Python holds."""
    assert list(account_pages.ROLE_TEXT_WORDS) == list(accounts.ROLE_TEXT.values())
    assert list(account_pages.AUDIT_WORDS) == list(ACTIONS.values())
    assert set(mail_pages.KIND_WORDS) == set(KIND_TEXT.values())
    assert set(mail_pages.ADDRESS_WORDS) == set(ADDRESS_KINDS)
    assert data_pages.QUALITY_FORMULA == FORMULA


def test_the_words_the_commitment_pages_hold_in_python_are_extracted():
    """The escalation page shows these through ``tr``: each must be in SHOWN_WORDS."""
    from stocktake.delivery.escalation import INTENSITIES, REVIEW_STAGES
    from stocktake.delivery.stocktakes import ACTION_STATUSES
    from stocktake.web.commitment_pages import SHOWN_WORDS

    assert set(SHOWN_WORDS) == {*INTENSITIES, *INTENSITIES.values(), *REVIEW_STAGES,
                                *ACTION_STATUSES}


@pytest.mark.parametrize("name", CONVERTED_TEMPLATES)
def test_a_converted_template_has_no_english_outside_its_messages(name):
    source = (WEB / "templates" / name).read_text(encoding="utf-8")
    text = re.sub(r"<(style|script)\b.*?</\1>", " ", source, flags=re.S)
    text = re.sub(r"\{#.*?#\}|\{\{.*?\}\}|\{%.*?%\}", " ", text, flags=re.S)
    text = re.sub(r"<[^>]*>|&\w+;", " ", text)
    words = set(re.findall(r"[A-Za-z]{2,}", text)) - NOT_WORDS
    assert not words, f"{name}: English outside a message: {sorted(words)}"


def test_numbers_dates_and_words_by_locale():
    with i18n.language("fr"):  # CLDR fr_CA: a no-break space groups thousands; 14 h 05
        assert i18n.number(1234.5, 1) == "1\u00a0234,5"
        assert i18n.when("2026-12-06T14:05:00") == "6 décembre 2026, 14 h 05 UTC"
        assert i18n.FILTERS["status_word"]("on_track") == "En bonne voie"
        assert i18n.FILTERS["change"](-1.0, "%", 0) == "−1\u00a0point"
        assert i18n.FILTERS["change"](3.25, "%", 1) == "+3,2\u00a0points"
        assert public_words.percent_change(-5.43) == "−5,4\u00a0%"
    # English: the filters of the packs and the CLI, unchanged
    assert i18n.number(1234.5, 1) == "1,234.5"
    assert i18n.when("2026-12-06T14:05:00") == "6 December 2026, 14:05 UTC"
    assert public_words.percent_change(-5.43) == "-5.4%"


@pytest.mark.parametrize(("header", "lang"), [
    (None, None), ("", None), ("fr", "fr"), ("fr-CA,fr;q=0.9,en;q=0.8", "fr"),
    ("de, en-GB;q=0.5, fr;q=0.7", "fr"), ("de, en-GB;q=0.9, fr;q=0.7", "en"),
    ("de", None), ("fr;q=0, en;q=0.1", "en"), ("fr;q=bad", None)])
def test_the_browsers_language(header, lang):
    assert i18n.from_accept_language(header) == lang


def test_the_language_asked_for_is_remembered_in_a_cookie(engine, small_model_dir):
    build(engine, small_model_dir)
    client = TestClient(create_app(engine))
    first = client.get("/login", headers={"Accept-Language": "fr-CA,fr;q=0.9"})
    assert '<html lang="fr">' in first.text and "<h1>Se connecter</h1>" in first.text
    assert i18n.COOKIE not in first.cookies  # the browser's choice is not stored
    chosen = client.get("/login?lang=en", headers={"Accept-Language": "fr"})
    assert '<html lang="en">' in chosen.text and "<h1>Sign in</h1>" in chosen.text
    assert chosen.cookies[i18n.COOKIE] == "en"
    # the cookie wins over the browser's language from then on; ?lang=fr switches back
    assert '<html lang="en">' in client.get("/login", headers={"Accept-Language": "fr"}).text
    again = client.get("/login?lang=fr")
    assert "Nom d'utilisateur" in again.text and 'href="?lang=en"' in again.text
    assert '<html lang="fr">' in client.get("/login").text
    # an unknown language is ignored, not an error
    assert client.get("/login?lang=xx").status_code == 200


def test_a_signed_in_users_choice_is_remembered_for_the_account(engine, small_model_dir):
    build(engine, small_model_dir)
    token = signed_in_session(engine, "analyst")
    here = TestClient(create_app(engine), cookies={SESSION_COOKIE: token})
    assert '<html lang="en">' in here.get("/account").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', here.get("/account").text)[1]
    here.post("/account/language", data={"lang": "fr", "next": "/account",
                                          "csrf_token": csrf})  # the switch's form
    assert '<html lang="fr">' in here.get("/account").text
    # another browser, no language cookie, English asked for by the browser: still French
    there = TestClient(create_app(engine), cookies={SESSION_COOKIE: token})
    page = there.get("/account", headers={"Accept-Language": "en"}).text
    assert '<html lang="fr">' in page and "Se déconnecter" in page and "(analyste)" in page
    there.post("/account/language", data={"lang": "en", "next": "/account",
                                           "csrf_token": csrf})
    here.cookies.set(i18n.COOKIE, "fr")  # the account's choice wins over this browser's
    assert '<html lang="en">' in here.get("/account").text
    # signed out, the browser's cookie again
    signed_out = TestClient(create_app(engine), cookies={i18n.COOKIE: "fr"})
    assert '<html lang="fr">' in signed_out.get("/login").text


def test_the_french_public_site_is_served_beside_the_english(engine, small_model_dir):
    build(engine, small_model_dir)
    client = TestClient(create_app(engine))
    english, french = client.get("/public/"), client.get("/public/fr/")
    assert french.status_code == 200 and french.text == client.get("/public/fr/index.html").text
    assert '<html lang="fr">' in french.text and "Progrès des priorités" in french.text
    # N, 2024-03: (33 + 20 + 40) / 1,000,000 x 100,000 = 9.3 (tests/services/test_publish)
    assert ">9,3<" in french.text and ">9.3<" in english.text
    assert 'hreflang="en" href="../index.html"' in french.text
    assert client.get("/public/fr/data-P1.csv").text == client.get("/public/data-P1.csv").text
    assert client.get("/public/fr/style.css").status_code == 200
    for path in ("/public/de/", "/public/fr/priority-P2.html", "/public/xx/index.html"):
        assert client.get(path).status_code == 404, path


def test_switching_language_in_a_browser(tmp_path, small_model_dir, browser):
    engine = build(open_engine(f"sqlite:///{tmp_path / 'web.db'}"), small_model_dir)
    with LiveServer(create_app(engine)) as server:
        context = browser.new_context(locale="en-GB", bypass_csp=True)  # bypass: axe
        page = context.new_page()
        page.goto(server.url + "/login")
        assert page.locator("html").get_attribute("lang") == "en"
        page.get_by_role("link", name="Français").click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "fr"
        assert page.locator("h1").inner_text() == "Se connecter"
        assert blocking(axe_problems(page, "/login in French")) == []
        page.goto(server.url + "/login")  # remembered by the cookie
        assert page.locator("label[for=password]").inner_text() == "Mot de passe"
        page.goto(server.url + "/public/")
        page.get_by_role("link", name="Français").click()
        page.wait_for_load_state()
        assert page.url.endswith("/public/fr/index.html")
        assert page.locator("html").get_attribute("lang") == "fr"
        assert page.locator("h1").inner_text() == "Progrès des priorités"
        screenshot(page, "public-index-fr")
        assert blocking(axe_problems(page, "/public/fr/index.html")) == []
        page.get_by_role("link", name="Cut violent crime").first.click()
        page.wait_for_load_state()
        assert page.locator("table.units th[scope=col]").first.text_content() == "Administration"
        assert blocking(axe_problems(page, "/public/fr/priority-P1.html")) == []
        page.get_by_role("link", name="English").click()
        page.wait_for_load_state()
        assert page.url.endswith("/public/priority-P1.html")
        assert page.locator("html").get_attribute("lang") == "en"
        context.close()


def test_the_data_pages_in_french_in_a_browser(tmp_path, small_model_dir, browser):
    """Signed in, in French: a checked form's summary and severity words, the quality page
    with French figures; <html lang>, and axe on both."""
    engine = build(open_engine(f"sqlite:///{tmp_path / 'web.db'}"), small_model_dir)
    token = signed_in_session(engine, "analyst")
    with LiveServer(create_app(engine)) as server:
        context = browser.new_context(locale="en-GB", bypass_csp=True,
                                      viewport={"width": 1280, "height": 900})
        context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": server.url}])
        page = context.new_page()
        page.goto(server.url + "/data/submit?lang=fr")
        assert page.locator("html").get_attribute("lang") == "fr"
        assert page.locator("h1").inner_text() == "Soumettre des données"
        page.select_option("#ind-1", "incidents")
        page.select_option("#unit-1", "A1")
        page.fill("#period-1", "2024-03")
        page.fill("#value-1", "beaucoup")  # not a number: one error
        page.get_by_role("button", name="Vérifier ces valeurs").click()
        page.wait_for_load_state()
        summary = page.locator("p.problem[role=alert]").inner_text()
        assert summary.startswith("1 erreur dans 1 ligne. Rien n'a été enregistré.")
        assert page.locator("table.findings tbody td").nth(4).inner_text() == "Erreur"
        screenshot(page, "data-submit-findings-fr")
        assert blocking(axe_problems(page, "/data/submit in French")) == []
        page.goto(server.url + "/data/quality")  # French remembered for the account
        assert page.locator("h1").inner_text() == "Qualité des données"
        assert page.locator("th", has_text="Exhaustivité").count() == 1
        assert "100,0\u00a0%" in page.locator("table.quality").inner_text()
        screenshot(page, "data-quality-fr")
        assert blocking(axe_problems(page, "/data/quality in French")) == []
        context.close()
