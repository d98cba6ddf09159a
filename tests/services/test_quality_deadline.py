"""Which deadline timeliness is judged by (docs/methods/quality.md): a declared data set's,
and none when no data set is declared (timeliness not assessed, the score over the other
measures). Cases worked by hand on the small model."""

from datetime import datetime

import pytest
from typer.testing import CliRunner

from stocktake.analysis.quality import timeliness_rule
from stocktake.cli import app
from stocktake.intake.service import submit_rows
from stocktake.reports.said import said_in
from stocktake.results import encode
from stocktake.services.data.model_service import load_model
from stocktake.services.reading.quality import data_quality
from stocktake.services.reading.snapshot import Snapshot

from ..web.test_overview_french import client_in, text_of

DATASET = """\
- code: monthly
  name: Monthly police return
  period_type: month
  indicators: [incidents]
  units: [A1, A2]
  timely_days: 10
  start: 2025-01
"""


def _submit(engine, unit: str, period: str, day: datetime) -> None:
    assert submit_rows(engine, [("incidents", unit, period, 30)], submitter="t", now=day).accepted


def _world(engine, model_dir, *, declared: bool):
    """A1 reports January to March, A2 January and March (February never comes); every
    return is sent on the 20th of the month after, ten days after a 10-day deadline."""
    if declared:
        (model_dir / "datasets.yaml").write_text(DATASET)
    load_model(engine, model_dir, loaded_by="t", now=datetime(2025, 1, 2))
    for unit, period, day in [("A1", "2025-01", datetime(2025, 2, 20)),
                              ("A2", "2025-01", datetime(2025, 2, 20)),
                              ("A1", "2025-02", datetime(2025, 3, 20)),
                              ("A1", "2025-03", datetime(2025, 4, 20)),
                              ("A2", "2025-03", datetime(2025, 4, 20))]:
        _submit(engine, unit, period, day)
    return data_quality(Snapshot(engine, datetime(2025, 6, 1)))


def test_with_no_data_set_timeliness_is_not_assessed_and_the_score_reweights(
        engine, small_model_dir):
    report = _world(engine, small_model_dir, declared=False)
    units = {r.unit: r for r in report.units}
    a1, a2 = units["A1"], units["A2"]
    # January to March expected of each (the implicit set ends where the data end)
    assert (a1.expected, a1.received, a2.expected, a2.received) == (3, 3, 3, 2)
    assert a1.timeliness is None and a2.timeliness is None
    assert (a1.on_time, a1.not_assessed, a2.not_assessed) == (0, 3, 3)
    # no rules, nothing revised, no outliers; without timeliness the weights are 0.30
    # completeness + 0.10 + 0.15 = 0.55: A2 = 100 x (0.30 x 2/3 + 0.25) / 0.55 = 81.82
    # (with a 30-day deadline assumed it was 100 x 0.45 / 0.80 = 56.25, 0% on time)
    assert a1.score == pytest.approx(100.0)
    assert a2.score == pytest.approx(100 * (0.30 * 2 / 3 + 0.25) / 0.55)
    assert report.deadlines == {}
    assert report.timeliness_rule == ("Timeliness is not assessed: no data set declares a "
                                      "deadline, and none is assumed.")
    as_json = encode(report)
    assert as_json["deadlines"] == {} and as_json["timeliness_rule"].startswith("Timeliness")
    # the CLI table says so under the league, and nothing about backfills (none was made)
    url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["quality", "--db", url, "--as-of", "2025-06-01"])
    assert result.exit_code == 0, result.output
    assert "no data set declares a deadline" in " ".join(result.output.split())
    assert "history loaded after the fact" not in result.output
    # and the data-quality page, in French: the rule under the formula, each unit's reason
    page = text_of(client_in(engine, "fr").get("/data/quality").text)
    assert "La ponctualité n'est pas évaluée : aucun jeu de données ne déclare" in page
    assert page.count("non évaluée aucune échéance déclarée") >= 2, page


def test_a_declared_deadline_is_used_and_named(engine, small_model_dir):
    report = _world(engine, small_model_dir, declared=True)
    units = {r.unit: r for r in report.units}
    # January to April are due by 1 June (April's deadline 10 May; May's is 10 June)
    assert (units["A1"].expected, units["A2"].expected) == (4, 4)
    # every return came 10 days after its deadline: none on time, none left unjudged
    assert (units["A1"].timeliness, units["A1"].not_assessed) == (0.0, 0)
    # A2: 100 x (0.30 x 2/4 + 0.25 x 0 + 0.10 + 0.15) / 0.80 = 50
    assert units["A2"].score == pytest.approx(50.0)
    assert report.deadlines == {"monthly": 10}
    assert report.timeliness_rule == ("On time: first reported within 10 days of the "
                                      "period's end, the deadline the data sets declare.")


def test_the_rule_in_words_in_english_and_french():
    two = timeliness_rule({"monthly": 20, "yearly": 90})
    assert two == ("On time: first reported by each data set's deadline, in days after the "
                   "period's end (monthly 20, yearly 90).")
    assert said_in(two, "fr").startswith("À temps : transmis pour la première fois avant")
    assert said_in(timeliness_rule({}), "fr") == (
        "La ponctualité n'est pas évaluée : aucun jeu de données ne déclare d'échéance, et "
        "aucune n'est supposée.")

