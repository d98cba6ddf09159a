"""Numbers a reader stumbles on, read back from real outputs: a tolerance of 2,100 written
with its thousands separated (it read "within 2100"), a target of 34,100 in the methods
annex's probability rule, no "-0" for a gap that rounds to zero, an alert's shift of over
1,000% grouped in the CLI's table, and the funnel chart's hover text in French on a French
page.

The small model (tests/fixtures/small_model) with a count headline added: dwellings
completed, baseline 26,000 in 2024-01, target 34,100 in 2024-12, an absolute tolerance of
2,100 and a straight-line trajectory; its months from 2022 on, on SQLite."""

from __future__ import annotations

import re
import shutil

import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.intake.service import submit_rows
from stocktake.services.data.model_service import load_model
from stocktake.store.db import open_engine

from ..conftest import SMALL_MODEL
from ..services.test_alerts import PLANTED, planted_world
from ..services.test_alerts import REGIONS as ALERT_REGIONS
from ..web.test_overview_french import client_in, text_of

pytestmark = pytest.mark.usefixtures("cheap_hashing")  # tests/conftest.py

HOMES_INDICATOR = """
- code: homes
  name: Homes completed
  unit: dwellings
  polarity: up
  period_type: month
  aggregation: sum
  integer: true
"""
HOMES = """
- code: HOMES
  title: Build more homes
  headline: homes
  scope: N
  baseline: {period: 2024-01, value: 26000}
  target: {period: 2024-12, value: 34100}
  tolerance: {absolute: 2100}
  trajectory: {method: linear}
  counters: [population]
  published: true
"""
# The straight line from 26,000 (2024-01) to 34,100 (2024-12): 8,100 / 11 a month, so
# 26,736.36 expected in 2024-02. 26,736 completed then (8,912 in each region) is 0.36
# below it, 0.0013% below: a gap of "0" in whole dwellings and "0.0%", never "-0", "-0.0%".
BY_REGION = {"2024-01": 8_700, "2024-02": 8_912, "2024-03": 9_300}
# Two years before the baseline, for the forecast.
BEFORE = [f"{y}-{m:02d}" for y in (2022, 2023) for m in range(1, 13)]
REGIONS = ("A1", "A2", "B1")
PEOPLE = {"A1": 350_000, "A2": 250_000, "B1": 400_000}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    here = tmp_path_factory.mktemp("number-forms")
    model = here / "model"
    shutil.copytree(SMALL_MODEL, model)
    with open(model / "indicators.yaml", "a") as f:
        f.write(HOMES_INDICATOR)
    with open(model / "priorities.yaml", "a") as f:
        f.write(HOMES)
    url = f"sqlite:///{here / 'numbers.db'}"
    engine = open_engine(url)
    load_model(engine, model, loaded_by="t")
    rows = [("homes", u, p, 8_000 + 10 * i) for i, p in enumerate(BEFORE) for u in REGIONS]
    rows += [("homes", u, p, v) for p, v in BY_REGION.items() for u in REGIONS]
    # the rate's parts, for the funnel of P1 (incidents per 100,000 people)
    # (HOMES's counter, the population, moves by -0.04 in 2024-03: "0.0", never "-0.0")
    rows += [(i, u, p, v) for p in ("2024-01", "2024-02", "2024-03") for u in REGIONS
             for i, v in (("incidents", 30 if u == "A1" else 20),
                          ("population", PEOPLE[u] - (0.04 if (u, p) == ("B1", "2024-03")
                                                      else 0)))]
    assert submit_rows(engine, rows, submitter="t").accepted
    yield url, engine
    engine.dispose()


def cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_the_trajectory_table_writes_the_tolerance_grouped_and_no_minus_zero(world):
    url, _engine = world
    out = cli("trajectory", "HOMES", "--db", url)
    assert "within 2,100 (in the headline's units) of the expected value is on track" in out
    assert "2100" not in out
    row = next(line for line in out.splitlines() if "2024-02" in line)
    cells = [c.strip() for c in re.split(r"[│|]", row) if c.strip()]
    # period, actual, expected, gap, gap %, status
    assert cells[:5] == ["2024-02", "26,736", "26,736", "0", "0.0%"], cells


def test_the_priority_page_and_the_public_one_write_the_tolerance_grouped(world):
    _url, engine = world
    client = client_in(engine, "en")
    for path in ("/priorities/HOMES", "/public/priority-HOMES.html"):
        words = text_of(client.get(path).text)
        assert "within 2,100 (in the headline's units) of the expected value" in words, path
        assert "within 2100" not in words
    page = client.get("/priorities/HOMES").text
    counter = re.search(r'<th scope="row">Population</th><td>counter</td>.*?</tr>', page, re.S)
    cells = re.findall(r'<td class="num">([^<]*)', counter[0])
    assert cells[1] == "0.0", cells  # 1,000,000 people, then 999,999.96: a change of 0.0


def test_the_pack_writes_the_tolerance_and_the_target_grouped(world, tmp_path):
    url, _engine = world
    out = tmp_path / "pack.html"
    cli("pack", "HOMES", "--db", url, "--out", str(out))
    words = text_of(out.read_text())
    assert "Tolerance: within 2,100 (in the headline's units)" in words
    assert "within 2,100 (in the headline's units) of the expected value" in words
    assert "P(value >= 34,100 in 2024-12)" in words
    assert "2100" not in words and "34100" not in words
    # the French pack says the same sentences in French, its figures as French writes them
    cli("pack", "HOMES", "--db", url, "--out", str(out), "--lang", "fr")
    words = text_of(out.read_text())
    assert "à 2\u00a0100 ou moins (dans l’unité de l’indicateur principal)" in words
    assert "P(valeur >= 34\u00a0100 en 2024-12)" in words
    assert "headline's units" not in words and "34,100" not in words



CHANCE_EN = ("a count that chance alone puts as far off in 5% of periods or more is on track "
             "too")
CHANCE_FR = ("un comptage que le hasard seul écarte autant dans 5\u00a0% des périodes ou plus "
             "est aussi en bonne voie")


def test_a_count_headline_says_its_chance_rule_in_every_output_and_language(world, tmp_path):
    """Homes completed is a count (integer, summed): its tolerance rule says that a count
    chance alone puts as far off is on track too, in the JSON (English), the trajectory
    table, the packs in both languages and the pages in both languages."""
    url, engine = world
    status = cli("status", "--priority", "HOMES", "--json", "--db", url)
    assert CHANCE_EN in status and "within 2,100 (in the headline's units)" in status
    assert CHANCE_EN in cli("trajectory", "HOMES", "--db", url).replace("\n", " ")
    out = tmp_path / "pack.html"
    for lang, clause in (("en", CHANCE_EN), ("fr", CHANCE_FR)):
        cli("pack", "HOMES", "--db", url, "--out", str(out), "--lang", lang)
        assert clause in text_of(out.read_text()), lang
        words = text_of(client_in(engine, lang).get("/priorities/HOMES").text)
        assert clause in words, lang
        assert (CHANCE_EN in words) == (lang == "en")

def test_the_funnel_says_its_points_in_the_pages_language(world):
    _url, engine = world
    french = client_in(engine, "fr").get("/priorities/P1").text
    english = client_in(engine, "en").get("/priorities/P1").text
    # Province B (region B1): 20 incidents a month among 400,000 people, 5.0 per 100,000
    assert "<title>Province B\u00a0: 5,0 (dénominateur 400\u00a0000)</title>" in french
    assert "denominator" not in french
    assert "<title>Province B: 5.0 (denominator 400,000)</title>" in english


def test_the_alerts_table_writes_a_shift_of_over_a_thousand_percent_grouped(tmp_path):
    """The planted world of tests/services/test_alerts.py, its planted region's reports then
    revised down to half its unfounded ones from 2024-01: unfounded per report goes from
    about 0.1 to about 2, a shift of over +1,000% (it read +1869%)."""
    url = f"sqlite:///{tmp_path / 'alerts.db'}"
    engine = open_engine(url)
    panels = planted_world(engine, tmp_path / "model")
    i = ALERT_REGIONS.index(PLANTED)
    rows = [("reports", PLANTED, p, max(1, int(panels["unfounded"][i, t]) // 2))
            for t, p in enumerate(panels["periods"]) if p >= "2024-01"]
    assert submit_rows(engine, rows, submitter="t").accepted
    engine.dispose()
    out = cli("alerts", "--db", url, "--unit", PLANTED)
    shift = re.search(r"unfounded/reports (\S+)", out)[1]
    assert re.fullmatch(r"\+\d{1,3}(,\d{3})+%", shift), shift
