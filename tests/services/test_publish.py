"""The static public site: published priorities only, complete periods only, every link
relative and resolving, CSVs that parse and match the services' numbers."""

import csv
import io
import posixpath
import re

import pytest
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.intake.service import submit_rows
from stocktake.services.data.model_service import load_model
from stocktake.services.reading.readings import indicator_series
from stocktake.services.reading.snapshot import Snapshot
from stocktake.services.reading.status import priority_status
from stocktake.web.public import publish_site

SECRET = """
- code: P2
  title: Zebra secret programme
  owner: Nobody public
  headline: incidents
  scope: N
  baseline: {period: 2024-01, value: 4321.5}
  target: {period: 2025-12, value: 1234.5}
"""


def build(engine, model_dir):
    text = (model_dir / "priorities.yaml").read_text()
    (model_dir / "priorities.yaml").write_text(
        text.replace("  counters: [incidents]", "  counters: [incidents]\n  published: true")
        + SECRET)
    load_model(engine, model_dir, loaded_by="t")
    rows = [(i, u, f"2024-{m:02d}", v) for m in (1, 2, 3)
            for u, n, p in [("A1", 30 + m, 350000), ("A2", 20, 250000), ("B1", 40, 400000)]
            for i, v in (("incidents", n), ("population", p))]
    rows += [("incidents", "A1", "2024-04", 77), ("population", "A1", "2024-04", 350000)]
    submit_rows(engine, rows, submitter="t")  # 2024-04: only A1, so partial above it
    return engine


def test_the_site_shows_published_priorities_and_complete_periods_only(engine,
                                                                       small_model_dir,
                                                                       tmp_path):
    build(engine, small_model_dir)
    out = tmp_path / "site"
    result = publish_site(engine, out)
    assert result["priorities"] == ["P1"]
    english = {"index.html", "priority-P1.html", "unit-A.html", "unit-B.html",
               "data-P1.csv", "style.css"}
    # the English site as before, and the same files in French under fr/
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert names == english | {f"fr/{n}" for n in english} == set(result["files"])
    texts = {n: (out / n).read_text() for n in names}
    for name, text in texts.items():
        # The unpublished priority and the partial period never appear.
        for secret in ("P2", "Zebra", "Nobody public", "4321", "1234", "4,321", "1,234",
                       "1 234", "4 321", "2024-04"):
            assert secret not in text, (name, secret)
        if name.endswith(".html"):
            assert ("Données au" if name.startswith("fr/") else "Data as of") in text, name
            assert "<script" not in text, name
            for link in re.findall(r'(?:href|src)="([^"]*)"', text):
                target = link.split("#", 1)[0]
                assert "://" not in link and not link.startswith("/"), (name, link)
                resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
                assert target == "" or resolved in names, (name, link)
    index = texts["index.html"]
    # N, 2024-03: (33 + 20 + 40) / 1,000,000 x 100,000 = 9.3; expected on the linear
    # trajectory 10 - 2 x 2/23 = 9.83: 5.4% below, better than expected (down is better).
    assert "Cut violent crime" in index and ">9.3<" in index and "<svg" in index
    assert "Ahead: 9.3 in 2024-03, against 9.8 expected on the trajectory (-5.4%)" in index
    # The French copy says the same in French, with French numbers, and each version
    # links to the other (hreflang).
    french = texts["fr/index.html"]
    assert '<html lang="fr">' in french and '<html lang="en">' in index
    assert ("En avance\u00a0: 9,3 en 2024-03, pour 9,8 attendus sur la trajectoire "
            "(−5,4\u00a0%)") in french
    assert '<link rel="alternate" hreflang="fr" href="fr/index.html">' in index
    assert '<link rel="alternate" hreflang="en" href="../index.html">' in french
    assert texts["fr/data-P1.csv"] == texts["data-P1.csv"]
    assert 'href="priority-P1.html"' in index and 'href="data-P1.csv"' in index
    unit_a = texts["unit-A.html"]
    # A, 2024-03: (33 + 20) / 600,000 x 100,000 = 8.83.
    assert "Province A" in unit_a and ">8.8<" in unit_a

    rows = list(csv.DictReader(io.StringIO(texts["data-P1.csv"])))
    assert {r["unit"] for r in rows} == {"N", "A", "B"}
    assert len(rows) == 9  # 3 complete months at N, A and B; A's 2024-04 is partial
    for unit in ("N", "A", "B"):
        series = indicator_series(Snapshot(engine), "incident_rate", unit)
        want = {p.period: p.value for p in series.points if p.complete}
        got = {r["period"]: float(r["value"]) for r in rows if r["unit"] == unit}
        assert got == want, unit
    n = {r["period"]: r for r in rows if r["unit"] == "N"}
    assert float(n["2024-03"]["value"]) == pytest.approx(9.3)
    assert float(n["2024-03"]["expected"]) == pytest.approx(10 - 4 / 23)
    head = priority_status(Snapshot(engine), priority="P1", forecasts="none").priorities[0]
    assert head.latest.period == "2024-03"
    (b,) = priority_status(Snapshot(engine), priority="P1", unit="B",
                           forecasts="none").priorities
    assert float([r for r in rows if r["unit"] == "B"][-1]["value"]) == pytest.approx(
        b.latest.value)


def test_publish_command_writes_the_site(engine, small_model_dir, tmp_path, db_url):
    build(engine, small_model_dir)
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["publish", "--out", str(out), "--db", db_url])
    assert r.exit_code == 0, r.output
    assert "1 published priorities (P1)" in " ".join(r.output.split())
    assert (out / "index.html").is_file() and (out / "data-P1.csv").is_file()
    (tmp_path / "file").write_text("x")
    r = CliRunner().invoke(app, ["publish", "--out", str(tmp_path / "file"), "--db", db_url])
    assert r.exit_code == 2 and "not a folder" in " ".join(r.output.split())


def test_the_csv_carries_both_names_where_the_model_has_french_ones():
    from stocktake.services.publishing.publish import CSV_COLUMNS, series_csv

    row = dict.fromkeys(CSV_COLUMNS, "x") | {"value": 1.5, "expected": None}
    english_only = series_csv([row | {"unit_name": "Quebec", "unit_name_fr": None}])
    assert english_only.splitlines()[0] == ",".join(CSV_COLUMNS)  # as before
    both = list(csv.DictReader(io.StringIO(series_csv([
        row | {"unit_name": "Quebec", "unit_name_fr": "Québec"},
        row | {"unit_name": "Yukon", "unit_name_fr": None}]))))
    assert [(r["unit_name"], r["unit_name_fr"]) for r in both] == [("Quebec", "Québec"),
                                                                   ("Yukon", "")]


def test_the_french_site_shows_the_models_french_names_where_it_has_them():
    from stocktake.services.publishing.publish import in_french

    unit = {"unit_name": "Quebec", "unit_name_fr": "Québec"}
    page = {"title": "Cut crime", "title_fr": "Réduire la criminalité", "aspiration": "Safer",
            "aspiration_fr": None, "headline_name": "Incidents", "headline_name_fr": None,
            "scope_name": "Canada", "scope_name_fr": "Canada", "units": [unit]}
    site = {"priorities": [page], "jurisdictions": [
        {"name": "Quebec", "name_fr": "Québec", "readings": [unit | page]}]}
    french = in_french(site)
    (p,) = french["priorities"]
    assert (p["title"], p["aspiration"], p["units"][0]["unit_name"]) == (
        "Réduire la criminalité", "Safer", "Québec")
    (j,) = french["jurisdictions"]
    assert (j["name"], j["readings"][0]["title"]) == ("Québec", "Réduire la criminalité")
    assert site["priorities"][0]["title"] == "Cut crime"  # the English site is left as it is
