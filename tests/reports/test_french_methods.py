"""The methods annex in French (issue #18): the rows for tolerance, complete periods,
forecast, target met or missed and data quality said again from the words the analysis
writes in English, word for word in English, in French from the catalogue; and a French
pack's annex in French, the English pack's as before."""

from __future__ import annotations

import re

import pytest

from stocktake.analysis.forecast import Bounds, _interval_method
from stocktake.analysis.trajectory.verdict import met_rule
from stocktake.reports import method_words as mw
from stocktake.reports.said import language

from .test_french_documents import deck_text, text, written

FR = language("fr")


@pytest.fixture
def db_url(tmp_path) -> str:
    """SQLite only (tests/conftest.py's also runs PostgreSQL): the words of a document do
    not depend on the database its figures come from."""
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.mark.parametrize("polarity, mode", [("up", "relative"), ("down", "relative"),
                                            ("neutral", "relative"), ("neutral", "absolute")])
def test_the_target_rule_is_the_verdicts_own_in_english(polarity, mode):
    rule = met_rule(polarity, "2026-06", 82.5, 2.5, mode)
    said = mw.target_rule_in_words(polarity, "2026-06", 82.5, 2.5, mode)
    assert str(said) == rule[:1].upper() + rule[1:] + "."
    assert said.said(FR).startswith("Atteinte quand la valeur réelle de la période cible "
                                    "2026-06 est ")
    assert "82,5" in said.said(FR) and "82.5" not in said.said(FR)


@pytest.mark.parametrize("bounds", [Bounds(), Bounds(min=0.0), Bounds(min=0.0, integer=True),
                                    Bounds(min=0.0, max=100.0, scale="sqrt")])
def test_the_interval_method_is_the_forecasts_own_in_english(bounds):
    english = _interval_method(bounds)
    said = mw.intervals_in_words(english)
    assert said == english and said.said(FR) != english  # a Sentence, said again in French
    assert said.said(FR).startswith("loi de Student autour de la prévision ponctuelle ETS")
    assert " the " not in said.said(FR)


def test_why_there_is_no_forecast_in_french():
    said = mw.no_forecast_in_words("the latest complete period (2026-09) is not before the "
                                   "target period (2026-06): compare the actual with the target")
    assert said == ("no forecast: the latest complete period (2026-09) is not before the "
                    "target period (2026-06): compare the actual with the target")
    assert said.said(FR) == ("pas de prévision\u00a0: la dernière période complète (2026-09) "
                             "n’est pas antérieure à la période cible (2026-06)\u00a0: comparer "
                             "la valeur réelle à la cible")
    assert mw.no_forecast_in_words("model failed") == "no forecast: model failed"


def test_words_not_the_analysis_own_stay_as_they_are():
    assert mw.intervals_in_words("bootstrap intervals") == "bootstrap intervals"
    assert mw.probability_in_words("P(something else)") == "P(something else)"


def test_the_probability_rule_in_french():
    said = mw.probability_in_words("P(value <= 118.5 in 2027-06) from the forecast "
                                   "distribution, which holds only values within min 0")
    assert said.said(FR) == ("P(valeur <= 118,5 en 2027-06) tirée de la distribution prévue, "
                             "qui ne contient que des valeurs dans les limites min 0")


def annex(words: str) -> str:
    return words[words.index("Annex"):]


def test_a_french_packs_methods_annex_is_in_french(world, tmp_path):
    english = annex(text(written(world, tmp_path, ["pack", "MORE"], "en")))
    french = annex(text(written(world, tmp_path, ["pack", "MORE"], "fr")))
    assert re.search(r"Tolerance: within \S+ of the expected value is on track", english)
    assert "Complete periods Periods whose value is a partial roll-up" in english
    assert "Data quality Score = 100 x (0.30 completeness" in english
    assert re.search(r"Tolérance\s?: à [^ ]+ ou moins de la valeur attendue, en bonne voie",
                     french)
    assert "Périodes complètes Les périodes dont la valeur est un cumul partiel" in french
    assert "Qualité des données Note = 100 x (0,30 exhaustivité" in french
    for word in ("within", "Periods whose", "completeness", "the expected value"):
        assert word not in french, word


def test_a_french_decks_methods_slide_is_in_french(world, tmp_path):
    english, french = deck_text(world, tmp_path, "en"), deck_text(world, tmp_path, "fr")
    methods = french[french.index("Annexe"):]
    assert "Trajectoire | Une ligne droite du point de départ à la cible" in methods
    assert "Périodes complètes | les périodes dont la valeur est un cumul partiel" in methods
    assert "Qualité des données | note = 100 x (0,30 exhaustivité" in methods
    assert "Complete periods | periods whose value is a partial roll-up" in english
    for word in ("within", "A straight line", "completeness", "XmR chart with"):
        assert word not in methods, word


def test_the_french_reports_key_gives_the_quality_formula_in_french(world, tmp_path):
    english = text(written(world, tmp_path, ["report"], "en"))
    french = text(written(world, tmp_path, ["report"], "fr"))
    assert "score = 100 x (0.30 completeness + 0.25 timeliness" in english
    assert "note = 100 x (0,30 exhaustivité + 0,25 ponctualité" in french
    assert "completeness" not in french


def test_large_landmarks_and_parameters_are_written_whole_never_with_an_exponent():
    from stocktake.services.publishing.packs import _parameter

    said = mw.trajectory_in_words("landmarks", {"landmarks": [
        {"value": 27570.0, "period": "2023-12"}, {"value": 114.15, "period": "2024-12"}]})
    assert "Landmarks: 27,570 in 2023-12; 114.2 in 2024-12." in said
    assert "27\u202f570 en 2023-12" in said.said(language("fr")).replace("\u00a0", "\u202f")
    assert [_parameter(v) for v in (1277.4, 0.8, 1.0, 12)] == ["1277", "0.8", "1", "12"]
