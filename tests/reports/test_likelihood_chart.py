"""The delivery report's chart of the likelihood of delivery over assessment rounds, and the
trajectory written in sentences for the methods annex."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from stocktake.reports.charts import likelihood_chart
from stocktake.reports.method_words import trajectory_in_words

SVG = "{http://www.w3.org/2000/svg}"


def grid(svg: str) -> tuple[list[str], dict[str, list[str]]]:
    """The rounds as the columns are headed, and each priority's row of ratings."""
    root = ET.fromstring(svg)
    rounds = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "round"]
    rows: dict[str, list[str]] = {}
    for cell in root.iter(f"{SVG}rect"):
        if cell.get("class") == "cell":
            title = cell.find(f"{SVG}title").text
            rows.setdefault(title.split(", ")[0], []).append(cell.get("data-rating"))
    return rounds, rows


def test_each_priority_is_a_row_of_its_ratings_by_round_oldest_first():
    svg = likelihood_chart([
        ("Cut waits", [("2025-Q3", "red"), ("2025-Q4", "amber_red"), ("2026-Q1", "green")]),
        ("Build homes", [("2025-Q4", "amber_green"), ("2026-Q1", "amber_green")]),
    ])
    rounds, rows = grid(svg)
    assert rounds == ["2025-Q3", "2025-Q4", "2026-Q1"]
    assert rows == {"Cut waits": ["red", "amber_red", "green"],
                    # not assessed in 2025-Q3: an empty cell, said in words
                    "Build homes": ["none", "amber_green", "amber_green"]}
    words = [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]
    for label in ("Green", "Amber/green", "Amber/red", "Red", "A/R", "G"):
        assert label in words, label  # every colour has its words
    assert "Cut waits, 2025-Q3: Red" in svg and "Build homes, 2025-Q3: not assessed" in svg


def test_rounds_are_put_in_time_order_and_only_the_latest_twelve_drawn():
    history = [(f"{2020 + i // 4}-Q{i % 4 + 1}", "green") for i in range(15)]
    rounds, _ = grid(likelihood_chart([("P", list(reversed(history)))]))
    assert rounds == [r for r, _ in history][-12:]


def test_no_round_no_chart():
    assert likelihood_chart([("P", []), ("Q", [])]) == ""


def test_the_trajectory_is_written_in_sentences_not_as_a_dict():
    text = trajectory_in_words("interventions", {"drift": 0.0, "interventions": [
        {"name": "Regional surgical centres open", "start": "2022-10", "ramp": 12,
         "effect": 7.2}]})
    assert "{" not in text and "'name'" not in text
    assert "Without action the headline would stay at the baseline." in text
    assert "Regional surgical centres open: +7.2 from 2022-10, in full after 12 periods." in text
    assert "Without action it would move -0.5 a period." in trajectory_in_words(
        "interventions", {"drift": -0.5, "interventions": []})
    assert trajectory_in_words("linear", {}).startswith("A straight line from the baseline")
    assert "Power 3 " in trajectory_in_words("back_loaded", {"k": 3.0})
    assert "Landmarks: 40 in 2025-06; 30 in 2026-06." in trajectory_in_words(
        "landmarks", {"landmarks": [{"period": "2025-06", "value": 40.0},
                                    {"period": "2026-06", "value": 30.0}]})
    assert trajectory_in_words(None, None).startswith("No trajectory is set")
