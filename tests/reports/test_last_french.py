"""The last English of the French documents (issue #18): question 1's trajectory and
tolerance, the reason a funnel plot is refused, and the assessment's disagreement with the
statistics and its change in French, read back from a French pack and deck; the English
pack's words as they were."""

from __future__ import annotations

from datetime import datetime

import pytest

from stocktake.services.routines.assessments import record_assessment

from .test_french_documents import deck_text, text, written


@pytest.fixture
def db_url(tmp_path) -> str:
    """SQLite only (tests/conftest.py's also runs PostgreSQL): the words of a document do
    not depend on the database its figures come from."""
    return f"sqlite:///{tmp_path / 'test.db'}"


def question_one(words: str, heading: str, end: str) -> str:
    start = words.index(heading)
    return words[start:words.index(end, start)]


def test_question_one_states_the_trajectory_and_tolerance_in_french(world, tmp_path):
    english = question_one(text(written(world, tmp_path, ["pack", "MORE"], "en")),
                           "Trajectory", "Lead indicators")
    french = question_one(text(written(world, tmp_path, ["pack", "MORE"], "fr")),
                          "Trajectoire", "Indicateurs avancés")
    assert english.startswith("Trajectory linear; within ")  # the English as it was
    assert "linear" not in french and "within" not in french
    assert "Une ligne droite du point de départ à la cible (le même changement à chaque " \
           "période);" in french
    assert "de la valeur attendue, en bonne voie; au-delà, en avance ou hors trajectoire " \
           "selon le sens de l’indicateur" in french
    deck = deck_text(world, tmp_path, "fr")
    assert "Une ligne droite du point de départ à la cible" in deck
    assert "within" not in deck and "linear;" not in deck


def test_the_refused_funnel_plot_is_explained_in_french(world, tmp_path):
    english = text(written(world, tmp_path, ["pack", "MORE"], "en"))
    french = text(written(world, tmp_path, ["pack", "MORE"], "fr"))
    # the headline (hours) is a sum: the pack says why there is no funnel plot in words, by
    # the indicator's name, not by the model's codes
    assert "No funnel plot: Operating hours is not a rate (a numerator over a denominator)" \
        in english
    assert ("Pas de graphique en entonnoir\u00a0: Heures d’ouverture n’est pas un taux (un "
            "numérateur sur un dénominateur)\u00a0: les unités ne peuvent donc pas être "
            "comparées") in french
    assert "not a rate" not in french and "aggregation" not in french


def rounds(engine) -> None:
    """Two rounds of MORE: all green, then red with the planning amber/red (worse)."""
    criteria = ("quality_of_planning", "quality_of_implementation",
                "quality_of_performance_management", "capacity_to_drive_progress",
                "likelihood")
    first = {"round": "2024-Q1", "assessed_on": "2024-03-31", "assessor": "DU",
             "degree_of_challenge": {"rating": "high", "rationale": "Hard."},
             "stage_of_delivery": {"rating": 2, "rationale": "Early."},
             **{key: {"rating": "green", "rationale": "Fine."} for key in criteria}}
    second = {**first, "round": "2024-Q2", "assessed_on": "2024-05-05",
              "quality_of_planning": {"rating": "amber_red", "rationale": "Slipping."},
              "likelihood": {"rating": "red", "rationale": "Unlikely."}}
    record_assessment(engine, "MORE", first, by="DU", at=datetime(2024, 4, 1))
    record_assessment(engine, "MORE", second, by="DU", at=datetime(2024, 5, 6))


def test_the_assessments_disagreement_and_change_in_french(world, engine, tmp_path):
    rounds(engine)
    english = text(written(world, tmp_path, ["pack", "MORE"], "en"))
    french = text(written(world, tmp_path, ["pack", "MORE"], "fr"))
    # MORE is ahead of its trajectory (1,234.5 against 1,136.4 expected in April)
    assert ("Judgement and statistics disagree. Rated Red, but the latest figure is ahead "
            "of the trajectory") in english
    assert "Quality of planning Amber/red worse Slipping." in english
    assert ("Le jugement et les statistiques divergent. Cote Rouge, mais la dernière valeur "
            "est en avance sur la trajectoire") in french
    assert "Ambre/rouge dégradé Slipping." in french  # the rationale is the assessor's own
    assert "Rated" not in french and " worse " not in french
