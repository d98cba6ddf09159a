"""A submission's findings and the errors of the pages in the page's language (issue #18):
each finding of a French check in French at its row and column, numbers and dates in French
conventions; a French 404 and 403; the same pages in English as they always were; the JSON
API in English whatever the page's language. Every expected text is written by hand."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from stocktake.model.periods import Period
from stocktake.services.admin import accounts
from stocktake.services.data.model_service import load_model
from stocktake.store.db import utcnow
from stocktake.web import auth, i18n
from stocktake.web.app import create_app

# The words, not the database, are under test here: SQLite only (the pages' tests cover both).
pytestmark = [pytest.mark.usefixtures("cheap_hashing"),  # tests/conftest.py
              pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

NB = "\u00a0"  # the no-break space of French punctuation: « x », x : y
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")


def french_day(day: date) -> str:
    """6 décembre 2026; 1er décembre 2026 (written out here, not by Babel)."""
    return f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]} {day.year}"


# Rows 2-9 are errors of each kind a provider meets most, row 10 a warning (its month is
# not over) and row 11 an error (its month has not begun).
def upload() -> str:
    running = Period.containing(utcnow().date(), "month").code
    return ("indicator,unit,period,value\n"
            "incidnts,A1,2024-07,5\n"          # 2: unknown indicator, with a hint
            "incidents,Z9,2024-07,5\n"         # 3: unknown unit
            "incidents,A1,2024-13,5\n"         # 4: no month 13
            'incidents,A2,2024-07,"1,5"\n'     # 5: a comma in the number
            "incidents,B1,2024-07,\n"          # 6: no value
            "population,A1,2024-07,3000\n"     # 7: above the maximum, 2500.5
            "incidents,A1,2024-07,2.5\n"       # 8: a count with a fraction
            "incidents,A1,2024-07,7\n"         # 9: the key of row 8 again
            f"incidents,A2,{running},4\n"      # 10: not over yet
            "incidents,B1,2099-01,4\n")        # 11: not begun


def french_findings(today: date) -> dict[tuple[str, str], str]:
    running = Period.containing(today, "month").code
    return {
        ("2", "indicator"): f"«{NB}incidnts{NB}» n'est pas un code d'indicateur connu "
                            f"(vouliez-vous dire «{NB}incidents{NB}»?)",
        ("3", "unit"): f"«{NB}Z9{NB}» n'est pas un code d'unité déclarante connu",
        ("4", "period"): f"«{NB}2024-13{NB}»{NB}: le mois 13 n'est pas entre 01 et 12",
        ("5", "value"): f"«{NB}1,5{NB}» n'est pas un nombre{NB}: écrivez-le sans séparateur "
                        "de milliers, avec un point décimal (p. ex. 1234.5)",
        ("6", "value"): f"la valeur est vide{NB}: omettez la ligne s'il n'y a pas de chiffre",
        ("7", "value"): f"3000 dépasse la plus grande valeur que population peut prendre "
                        f"(2{NB}500,5)",
        ("8", "value"): "2.5 n'est pas un nombre entier, mais incidents est un dénombrement "
                        "(incidents)",
        ("9", "–"): "incidents pour A1 en 2024-07 figure déjà à la ligne 8",
        ("10", "period"): f"la période {running} n'est pas encore terminée (nous sommes le "
                          f"{french_day(today)}){NB}: le chiffre peut être incomplet",
        ("11", "period"): "la période 2099-01 n'a pas encore commencé (nous sommes le "
                          f"{french_day(today)})",
    }


def english_findings(today: date) -> dict[tuple[str, str], str]:
    running = Period.containing(today, "month").code
    return {
        ("2", "indicator"): "'incidnts' is not a known indicator code (did you mean "
                            "'incidents'?)",
        ("3", "unit"): "'Z9' is not a known reporting unit code",
        ("4", "period"): "'2024-13': month 13 is not between 01 and 12",
        ("5", "value"): "'1,5' is not a number: write it without thousands separators "
                        "(e.g. 1234.5)",
        ("6", "value"): "the value is empty: leave the row out if there is no figure",
        ("7", "value"): "3000 is above the highest value population can take (2500.5)",
        ("8", "value"): "2.5 is not a whole number, but incidents counts incidents",
        ("9", "–"): "incidents for A1 in 2024-07 already appears on row 8",
        ("10", "period"): f"{running} is not over yet (today is {today.isoformat()}): the "
                          "figure may be incomplete",
        ("11", "period"): f"2099-01 has not started yet (today is {today.isoformat()})",
    }


class _Findings(HTMLParser):
    """(row, column) -> message of the findings table, entities read, spaces as sent."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self._in = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and "findings" in (dict(attrs).get("class") or ""):
            self._in = True
        elif self._in and tag == "tr":
            self.rows.append([])
        elif self._in and tag == "td":
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.rows[-1].append(re.sub(r"[ \t\n]+", " ", "".join(self._cell)).strip())
            self._cell = None
        elif tag == "table":
            self._in = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def findings_of(html: str) -> dict[tuple[str, str], str]:
    parser = _Findings()
    parser.feed(html)
    return {(r[0], r[1]): r[5] for r in parser.rows if r}


@pytest.fixture
def site(engine, small_model_dir):
    indicators = small_model_dir / "indicators.yaml"  # a maximum with a decimal and a 1,000s
    indicators.write_text(indicators.read_text().replace(
        "  unit: people\n", "  unit: people\n  max: 2500.5\n"))
    load_model(engine, small_model_dir, loaded_by="t")
    accounts.create_user(engine, "analyst", "analyst", "correct horse battery")
    accounts.create_user(engine, "provider", "provider", "correct horse battery", unit="A")
    return engine


def client_as(engine, role: str, lang: str | None = None) -> tuple[TestClient, str]:
    session = accounts.start_session(engine, role)
    client = TestClient(create_app(engine), raise_server_exceptions=False)
    client.cookies.set(auth.SESSION_COOKIE, session.token)
    if lang:
        client.cookies.set(i18n.COOKIE, lang)
    return client, session.csrf_token


def check(client: TestClient, csrf: str, text: str | None = None, encoding: str = "utf-8"):
    return client.post("/data/submit/check", data={"csrf_token": csrf, "source": "file"},
                       files={"file": ("july.csv", (text or upload()).encode(encoding),
                                       "text/csv")})


def test_a_french_check_says_each_finding_in_french_at_its_row_and_column(site):
    client, csrf = client_as(site, "analyst", "fr")
    page = check(client, csrf)
    assert page.status_code == 200 and '<html lang="fr">' in page.text
    assert findings_of(page.text) == french_findings(utcnow().date())
    # a file that cannot be read: its one finding in French too
    header = check(client, csrf, "indicator,unit\nincidents,A1\n")
    assert findings_of(header.text) == {("1", "–"): (
        f"il manque period, value à l'en-tête{NB}: une disposition longue demande les "
        f"colonnes indicator,unit,period,value (trouvé{NB}: indicator, unit)")}
    # the same checks in English: every message as it always was
    client.cookies.set(i18n.COOKIE, "en")
    assert findings_of(check(client, csrf).text) == english_findings(utcnow().date())
    assert findings_of(check(client, csrf, "indicator,unit\nincidents,A1\n").text) == {
        ("1", "–"): "the header lacks period, value: a long layout needs the columns "
                    "indicator,unit,period,value (found: indicator, unit)"}


def test_a_french_file_in_another_encoding_and_a_total_off_its_parts(site):
    client, csrf = client_as(site, "analyst", "fr")
    latin = check(client, csrf, "indicator,unit,period,value\nincidents,A1,2024-07,5\n"
                  "# café\n", encoding="cp1252")  # as Excel saves a French "CSV" file
    assert findings_of(latin.text) == {("3", "–"): (
        f"la ligne 3 n'est pas en UTF-8 (octet 0xE9, dans «{NB}# café{NB}»){NB}: le fichier "
        "semble enregistré dans un autre encodage, comme Windows-1252 ou Latin-1; "
        f"enregistrez-le en «{NB}CSV UTF-8{NB}» (Excel{NB}: Fichier > Enregistrer sous > "
        "CSV UTF-8) et soumettez-le de nouveau")}
    # A is reported as 1,500 while A1 and A2 add up to 10: 1,490 / 10 = +14,900.0%
    total = check(client, csrf, "indicator,unit,period,value\nincidents,A,2024-07,1500\n"
                  "incidents,A1,2024-07,4\nincidents,A2,2024-07,6\n")
    assert findings_of(total.text) == {("2", "value"): (
        f"incidents pour A en 2024-07 vaut 1{NB}500, mais ses 2 unités en dessous totalisent "
        f"10 (un écart de +14{NB}900,0{NB}%, au-delà des 1{NB}% permis); vérifiez le total "
        "ou les parties")}


RULE = """\
- code: FEW
  name: No more incidents than people
  left: incidents
  operator: "<="
  right: population
  importance: high
"""


def test_a_broken_rule_in_french_and_in_english(site, small_model_dir):
    (small_model_dir / "rules.yaml").write_text(RULE)
    load_model(site, small_model_dir, loaded_by="t")
    client, csrf = client_as(site, "analyst", "fr")
    rows = "indicator,unit,period,value\nincidents,B1,2024-07,5000\npopulation,B1,2024-07,1234.5\n"
    french = findings_of(check(client, csrf, rows).text)
    assert list(french.values()) == [
        f"incidents (5{NB}000) devrait être au plus égal à population (1{NB}234,5) pour B1 en "
        f"2024-07{NB}: écart de 3{NB}765,5"]
    client.cookies.set(i18n.COOKIE, "en")
    assert list(findings_of(check(client, csrf, rows).text).values()) == [
        "incidents (5,000) should be at most population (1,234.5) for B1 in 2024-07: "
        "difference 3,765.5"]


def test_a_french_404_and_403_and_the_same_in_english(site):
    analyst, _ = client_as(site, "analyst", "fr")
    missing = analyst.get("/priorities/P11")
    assert missing.status_code == 404 and "<h1>Introuvable</h1>" in missing.text
    assert (f"priorité «{NB}P11{NB}» introuvable (vouliez-vous dire «{NB}P1{NB}»?)"
            in missing.text)
    wrong = analyst.get("/priorities/P1/plan?version=abc")  # a parameter FastAPI refuses
    assert wrong.status_code == 422
    assert f"version{NB}: La valeur doit être un nombre entier" in wrong.text
    provider, _ = client_as(site, "provider", "fr")
    outside = provider.get("/units/B1")  # the provider reports for A and the units below it
    assert outside.status_code == 403 and "<h1>Non ouvert à votre rôle</h1>" in outside.text
    assert "B1 est en dehors de ce que vous déclarez (A et les unités en dessous)" in outside.text
    no_token = provider.post("/data/submit/check", data={"source": "form"})
    assert no_token.status_code == 403 and "<h1>Formulaire refusé</h1>" in no_token.text
    analyst.cookies.set(i18n.COOKIE, "en")
    missing = analyst.get("/priorities/P11")
    assert missing.status_code == 404 and "<h1>Not found</h1>" in missing.text
    assert "no priority &#39;P11&#39; (did you mean &#39;P1&#39;?)" in missing.text
    wrong = analyst.get("/priorities/P1/plan?version=abc")
    assert ("version: Input should be a valid integer, unable to parse string as an integer"
            in wrong.text)


def test_the_api_answers_in_english_on_a_french_browser(site):
    client, csrf = client_as(site, "analyst", "fr")
    french = {"Accept-Language": "fr-CA,fr;q=0.9"}
    missing = client.get("/api/v1/series/incidnts", headers=french)
    text = "no indicator 'incidnts' (did you mean 'incidents'?)"
    assert missing.status_code == 404
    assert missing.json() == {"detail": text, "problems": [text]}
    sent = client.post("/api/v1/submissions", headers={**french, "X-CSRF-Token": csrf},
                       json={"rows": [{"indicator": "incidents", "unit": "A1",
                                       "period": "2024-07", "value": 2.5}]})
    assert sent.status_code == 422
    assert [f["message"] for f in sent.json()["findings"]] == [
        "2.5 is not a whole number, but incidents counts incidents"]
