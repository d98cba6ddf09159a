"""The unit page and /escalation in French (issue #18): the unit's name, its parent's and
children's, its level, its indicators' names and its priorities' titles, headlines and units
of measure from the model's French fields; the escalation's priority titles too. The English
pages name them as before.

The small world of test_delivery_pages (the small model on SQLite, with P1 and P2), its
units.csv given French names and level names and its P1 a French title."""

from __future__ import annotations

import pytest

from stocktake.store.db import open_engine

from .test_delivery_pages import build, client_as, text_of

pytestmark = pytest.mark.usefixtures("cheap_hashing")  # tests/conftest.py

UNITS_FR = {"N": "Pays N", "A": "Province A en français", "A1": "Région A1 en français"}
LEVELS_FR = {"nation": "pays", "province": "province ou territoire", "region": "région"}
TITLE_FR = "Réduire la criminalité violente"
HEADLINE_FR = "Incidents violents pour 100 000 personnes"
UNIT_OF_MEASURE_FR = "pour 100 000 habitants"


@pytest.fixture(scope="module")
def french_world(tmp_path_factory):
    from tests.conftest import SMALL_MODEL

    model_dir = tmp_path_factory.mktemp("model")
    for f in SMALL_MODEL.iterdir():
        (model_dir / f.name).write_text(f.read_text())
    lines = (model_dir / "units.csv").read_text().splitlines()
    rows = [lines[0] + ",name_fr,level_fr"]
    for line in lines[1:]:
        code, level = line.split(",")[0], line.split(",")[2]
        rows.append(f"{line},{UNITS_FR.get(code, '')},{LEVELS_FR[level]}")
    (model_dir / "units.csv").write_text("\n".join(rows) + "\n")
    priorities = model_dir / "priorities.yaml"
    priorities.write_text(priorities.read_text().replace(
        "  title: Cut violent crime\n", f"  title: Cut violent crime\n  title_fr: {TITLE_FR}\n"))
    indicators = model_dir / "indicators.yaml"
    indicators.write_text(indicators.read_text().replace(
        "  name: Violent incidents per 100,000 people\n  unit: per 100,000\n",
        "  name: Violent incidents per 100,000 people\n"
        f"  name_fr: {HEADLINE_FR}\n  unit: per 100,000\n  unit_fr: {UNIT_OF_MEASURE_FR}\n"))
    engine = build(open_engine(f"sqlite:///{model_dir.parent / 'web.db'}"), model_dir)
    yield engine
    engine.dispose()


def test_a_french_unit_page_names_the_unit_its_level_its_family_and_its_priorities(
        french_world):
    client, _ = client_as(french_world, "analyst")
    page = text_of(client.get("/units/A?lang=fr").text)
    assert "Province A en français A Niveau : province ou territoire, dans Pays N." in page
    assert "Région A1 en français" in page  # a unit below it
    assert "Region A2" in page  # no French name: the English one
    assert f"P1 {TITLE_FR} {HEADLINE_FR} ({UNIT_OF_MEASURE_FR})" in page
    assert "Cut violent crime" not in page
    assert "note = 100 x (0,30 exhaustivité" in page  # the quality score's formula


def test_the_english_unit_page_names_them_in_english(french_world):
    client, _ = client_as(french_world, "analyst")
    page = text_of(client.get("/units/A?lang=en").text)
    assert "Province A A A province in Nation." in page
    assert "P1 Cut violent crime Violent incidents per 100,000 people (per 100,000)" in page
    assert not any(word in page for word in (*UNITS_FR.values(), TITLE_FR, "région"))


def test_escalation_names_the_priorities_in_the_pages_language(french_world):
    client, _ = client_as(french_world, "analyst")
    french = text_of(client.get("/escalation?lang=fr").text)
    english = text_of(client.get("/escalation?lang=en").text)
    assert f"P1 {TITLE_FR}" in french and "Cut violent crime" not in french
    assert "P1 Cut violent crime" in english and TITLE_FR not in english


def test_a_french_escalation_page_writes_the_reviews_days_in_french(french_world):
    from datetime import date

    from stocktake.services.routines.escalation import commission_review, report_review

    n = commission_review(french_world, "P1", scope="Why it stalls", team=["DU"], by="ana",
                          on=date(2024, 7, 3)).review["number"]
    report_review(french_world, n, findings="F", by="ana", recommendations=[
        {"text": "Hire a delivery lead", "owner": "Health", "due": "2024-09-21"}])
    client, _ = client_as(french_world, "analyst")
    french = text_of(client.get("/escalation?lang=fr").text)
    english = text_of(client.get("/escalation?lang=en").text)
    assert "Commandé le 3 juill. 2024." in french and "échéance : 21 sept. 2024" in french
    assert "Commissioned 2024-07-03." in english and "due 2024-09-21" in english


def test_an_alerts_peers_are_named_by_their_level_in_french(french_world):
    from stocktake.results.alerts import AlertItem, AlertsReport
    from stocktake.store.model_repo import read_model
    from stocktake.web.model_names import alert_levels_in

    with french_world.connect() as conn:
        model = read_model(conn)  # the level names as stored and read back
    alert = AlertItem(kind="local_break", unit="A1", indicators=("incidents",), start="2024-03",
                      end="2024-09", size={}, evidence=(), strength=3.0, status="open",
                      explanation="", id="x", unit_name="Region A1", level="region",
                      priorities=("P1",), history=())
    report = AlertsReport(alerts=(alert,))
    assert [a.level for a in alert_levels_in(report, model, "fr").alerts] == ["région"]
    assert alert_levels_in(report, model, "en") is report
