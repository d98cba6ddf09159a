"""Data-quality scores on a small case worked by hand."""

from datetime import datetime

import pytest

from stocktake.errors import StocktakeError
from stocktake.intake.service import submit_rows
from stocktake.services.data.model_service import load_model
from stocktake.services.reading.quality import data_quality
from stocktake.services.reading.snapshot import Snapshot

DATASETS = """\
- code: monthly
  name: Monthly police return
  period_type: month
  indicators: [incidents, population]
  levels: [region]
  timely_days: 10
  start: 2025-01
"""
RULES = """\
- code: parts
  name: Incidents cannot exceed population
  left: incidents
  operator: "<="
  right: population
  importance: medium
"""


def rows(unit, period, incidents, population):
    return [("incidents", unit, period, incidents), ("population", unit, period, population)]


@pytest.fixture
def world(engine, small_model_dir):
    (small_model_dir / "datasets.yaml").write_text(DATASETS)
    (small_model_dir / "rules.yaml").write_text(RULES)
    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2025, 1, 2))

    def at(day, data):
        assert submit_rows(engine, data, submitter="t", now=day).accepted

    at(datetime(2025, 2, 5), rows("A1", "2025-01", 30, 350000) + rows("A2", "2025-01", 25, 250000)
       + rows("B1", "2025-01", 45, 20))  # B1 breaks the rule: 45 incidents > 20 people
    at(datetime(2025, 3, 1), [("incidents", "A1", "2025-01", 33)])  # a revision: +10%
    at(datetime(2025, 3, 5), rows("A1", "2025-02", 31, 350000) + rows("A2", "2025-02", 24, 250000))
    at(datetime(2025, 4, 5), rows("A1", "2025-03", 29, 350000))
    at(datetime(2025, 4, 12), rows("A2", "2025-03", 26, 250000))  # due 10 April: late
    return engine


def by_unit(report):
    return {r.unit: r for r in report.units}


def test_scores_by_hand(world):
    # As of 15 April, January to March are due (deadlines 10 Feb, 10 Mar, 10 Apr):
    # 3 periods x 2 indicators = 6 values expected from each region.
    report = data_quality(Snapshot(world, datetime(2025, 4, 15)))
    units = by_unit(report)
    a1, a2, b1 = units["A1"], units["A2"], units["B1"]
    assert (a1.expected, a1.received, a1.on_time) == (6, 6, 6)
    assert (a2.expected, a2.received, a2.on_time) == (6, 6, 4)
    assert (b1.expected, b1.received, b1.on_time) == (6, 2, 2)
    assert (a1.rule_checks, a1.rule_failures, b1.rule_checks, b1.rule_failures) == (
        3, 0, 1, 1)
    assert a1.revised == 1 and a1.mean_revision_size == pytest.approx(0.1)
    # A1: 100 x (0.3 + 0.25 + 0.2 + 0.1 x 5/6 + 0.15) = 98.333
    assert a1.score == pytest.approx(98.3333, abs=1e-3)
    # A2: 100 x (0.3 + 0.25 x 4/6 + 0.2 + 0.1 + 0.15) = 91.667
    assert a2.score == pytest.approx(91.6667, abs=1e-3)
    # B1: 100 x (0.3 x 2/6 + 0.25 x 2/6 + 0.2 x 0 + 0.1 + 0.15) = 43.333
    assert b1.score == pytest.approx(43.3333, abs=1e-3)
    # Province A covers A1 and A2: 12 expected, 10 on time, 1 of 12 revised:
    # 100 x (0.3 + 0.25 x 10/12 + 0.2 + 0.1 x 11/12 + 0.15) = 95.0
    assert units["A"].score == pytest.approx(95.0, abs=1e-3)
    # The nation: 18 expected, 14 received, 12 on time, 7 checks 1 failed, 1 of 14 revised:
    # 100 x (0.3 x 14/18 + 0.25 x 12/18 + 0.2 x 6/7 + 0.1 x 13/14 + 0.15) = 81.4286
    assert units["N"].score == pytest.approx(81.4286, abs=1e-3)
    assert [r.unit for r in report.units][:3] == ["A1", "A", "A2"]  # league order
    assert "0.30 completeness" in report.formula


def test_as_of_an_earlier_moment(world):
    # On 20 March only January and February are due, the revision is known, and A2's
    # March return has not arrived (nor is it due).
    units = by_unit(data_quality(Snapshot(world, datetime(2025, 3, 20))))
    assert (units["A2"].expected, units["A2"].on_time) == (4, 4)
    assert units["B1"].received == 2
    before_revision = by_unit(data_quality(Snapshot(world, datetime(2025, 2, 20))))
    assert before_revision["A1"].revised == 0 and before_revision["A1"].expected == 2


def test_one_unit_and_those_below(world):
    report = data_quality(Snapshot(world, datetime(2025, 4, 15)), unit="A")
    assert sorted(r.unit for r in report.units) == ["A", "A1", "A2"]
    with pytest.raises(StocktakeError, match="not a reporting unit"):
        data_quality(Snapshot(world), unit="Z")


@pytest.mark.parametrize("width", [80, 140])
def test_the_cli_table_keeps_every_figure_at_any_width(world, width, monkeypatch):
    """The league table and the score by year, on a narrow and a wide terminal: no figure
    cut, every line within the width, the numbers those worked out above."""
    from typer.testing import CliRunner

    from stocktake.cli import app
    from stocktake.cli.common import console

    monkeypatch.setattr(console, "_width", width)
    url = world.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["quality", "--db", url, "--as-of", "2025-04-15"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= width
    assert "…" not in result.output
    rows = {line.split("│")[2].split()[0]: line for line in lines
            if line.startswith("│") and line.split("│")[1].strip().isdigit()}
    assert rows["A1"].rstrip(" │").endswith("98.3") and "66.7%" in rows["A2"]  # 4 of 6 on time
    assert rows["B1"].rstrip(" │").endswith("43.3") and "0.0%" in rows["B1"]  # validity
    assert ("Region A1" in rows["A1"]) == (width >= 110)  # names only where they fit
    trend = lines[next(i for i, line in enumerate(lines) if "Score by year" in line):]
    assert [c.strip() for c in next(line for line in trend if line.startswith("┃")).split(
        "┃")[1:-1]] == ["unit", "2025", "last change"]
    by_year = {line.split("│")[1].strip(): line.split("│")[2].strip()
               for line in trend if line.startswith("│")}
    assert by_year["A1"] == "98.3" and by_year["B1"] == "43.3"


def test_implicit_data_sets_are_listed_in_one_order(engine, small_model_dir):
    # With no data sets declared each indicator is its own; polars' group_by order varies
    # from run to run, which made `quality --json` differ between two runs of one world.
    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2025, 1, 2))
    assert submit_rows(engine, rows("A1", "2025-01", 30, 350000), submitter="t",
                       now=datetime(2025, 2, 5)).accepted
    report = data_quality(Snapshot(engine, datetime(2025, 3, 1)))
    assert report.datasets == ("implicit:incidents", "implicit:population")
