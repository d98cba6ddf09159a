"""French at the right depth (issue #18): the change-point search's method, a funnel plot's
method and the data-quality page's "held back" reason are ``text.Text``s where they are
written (the analysis, the service), so a French page says them from the catalogue, not by
matching the English; the English string, the JSON's too, is what it always was."""

from __future__ import annotations

import dataclasses
import json

import pytest

from stocktake.analysis import changepoints
from stocktake.analysis.funnel import funnel
from stocktake.reports.said import said_in
from stocktake.results import encode
from stocktake.results.alerts import AlertItem
from stocktake.results.quality import UnitQuality
from stocktake.services.reading.quality import held_back_because
from stocktake.text import Text
from stocktake.web import i18n

NB = "\u00a0"
# Twelve units, one far above the others: a proportion (and a rate) over-dispersed enough
# for the limits to be widened.
UNITS = tuple(f"U{i}" for i in range(12))
EVENTS = (30, 42, 55, 38, 61, 47, 33, 52, 44, 150, 36, 58)
SIZES = (400, 500, 450, 420, 480, 510, 390, 470, 440, 460, 410, 490)
PROPORTION = ("Spiegelhalter (2005) funnel plot for a proportion: pooled rate p0 = sum(y)/sum(n); "
              "limits p0 +/- z sqrt(p0(1-p0)/n) (normal approximation)")
PROPORTION_FR = ("Graphique en entonnoir de Spiegelhalter (2005) pour une proportion : taux "
                 "commun p0 = somme(y)/somme(n); limites p0 +/- z sqrt(p0(1-p0)/n) "
                 "(approximation normale)")
RATE = ("Spiegelhalter (2005) funnel plot for a rate: pooled rate p0 = sum(y)/sum(n); limits "
        "p0 +/- z sqrt(p0/n) (normal approximation)")
RATE_FR = ("Graphique en entonnoir de Spiegelhalter (2005) pour un taux : taux commun p0 = "
           "somme(y)/somme(n); limites p0 +/- z sqrt(p0/n) (approximation normale)")


def french_figure(english: str) -> str:
    """A figure of up to four significant figures, as the French writes it: 581,6."""
    assert "e" not in english and "," not in english, english
    return english.replace(".", ",")


def test_the_change_point_method_is_said_from_the_catalogue():
    method = changepoints.METHOD
    assert isinstance(method, Text)
    assert json.dumps({"method": method}) == json.dumps({"method": str(method)})
    assert method.startswith("optimal partitioning for changes in mean (exact; the search PELT")
    assert said_in(method, "en") == method
    assert said_in(method, "fr") == (
        "partitionnement optimal selon les changements de moyenne (exact; la recherche élaguée "
        "par PELT), pénalité 3 log(n) sigma^2, sigma tiré de l'étendue mobile médiane, "
        "segments d'au moins 12 points")


@pytest.mark.parametrize("kind, english, french", [("proportion", PROPORTION, PROPORTION_FR),
                                                   ("rate", RATE, RATE_FR)])
def test_a_funnel_method_without_widening_in_both_languages(kind, english, french):
    result = funnel(UNITS, EVENTS, SIZES, kind=kind, overdispersion=False)
    assert not result.overdispersion_applied
    assert result.method == english and said_in(result.method, "fr") == french
    assert result.to_dict()["method"] == english


def test_a_widened_funnel_says_phi_in_french_figures():
    result = funnel(UNITS, EVENTS, SIZES, kind="proportion", overdispersion=True)
    assert result.overdispersion_applied and result.dispersion_model == "multiplicative"
    phi = f"{result.phi:.4g}"
    assert result.method == f"{PROPORTION}, inflated by sqrt(phi), phi = {phi}"
    assert said_in(result.method, "fr") == (
        f"{PROPORTION_FR}, élargies par sqrt(phi), phi = {french_figure(phi)}")
    # the JSON keeps the English string
    assert json.loads(json.dumps(result.to_dict()))["method"] == result.method


def test_an_additive_funnel_says_tau2_in_french_figures():
    result = funnel(UNITS, EVENTS, SIZES, kind="rate", overdispersion=True,
                    dispersion_model="additive")
    assert result.overdispersion_applied and result.dispersion_model == "additive"
    tau2 = f"{result.tau2:.4g}"
    assert result.method == f"{RATE}, with additive between-unit variance tau^2 = {tau2}"
    assert said_in(result.method, "fr") == (
        f"{RATE_FR}, avec une variance additive entre les unités tau^2 = "
        f"{french_figure(tau2)}")


def alert(kind: str, status: str) -> AlertItem:
    return AlertItem(kind=kind, unit="A1", indicators=("incidents",), start="2024-03",
                     end="2024-12", size={}, evidence=(), strength=3.2, status=status,
                     explanation="", id="299f28c2d670", unit_name="Region A1", level="region",
                     priorities=("P1", "P2"), history=())


def test_the_held_back_reason_is_said_on_a_french_page():
    reason = held_back_because(alert("ratio_shift", "confirmed"), ["P1", "P2"])
    assert reason == "ratio shift from 2024-03 on P1, P2 (confirmed alert 299f28c2d670)"
    with i18n.language("fr"):
        assert i18n.say(reason) == ("changement de rapport à partir de 2024-03 sur P1, P2 "
                                    "(alerte confirmée 299f28c2d670)")
    with i18n.language("en"):
        assert i18n.say(reason) is reason
    # a kind the catalogue does not know keeps its English words, the rest in French
    other = held_back_because(alert("new_kind", "open"), ["P1"])
    assert other == "new kind from 2024-03 on P1 (open alert 299f28c2d670)"
    with i18n.language("fr"):
        assert i18n.say(other) == ("new kind à partir de 2024-03 sur P1 "
                                   "(alerte ouverte 299f28c2d670)")


def test_the_held_back_reason_is_english_in_the_json():
    reason = held_back_because(alert("drift", "open"), ["P1"])
    row = UnitQuality(unit="A1", expected=10, received=10, on_time=10, not_assessed=0,
                      revised=0, mean_revision_size=None, outliers=0, rule_checks=0,
                      rule_failures=0, completeness=1.0, timeliness=1.0, validity=None,
                      revision_rate=0.0, outlier_rate=0.0, score=80.0, name="Region A1",
                      level="region", rank=1, held_back=reason)
    assert encode(row)["held_back"] == "drift from 2024-03 on P1 (open alert 299f28c2d670)"
    plain = dataclasses.replace(row, held_back=str(reason))
    assert json.dumps(encode(row)) == json.dumps(encode(plain))


@pytest.mark.parametrize(("mode", "tolerance", "within_en", "within_fr"), [
    ("relative", 5.0, "5%", f"5{NB}%"), ("absolute", 0.5, "±0.5", "±0,5")])
def test_a_count_read_on_track_by_chance_says_why_in_french(mode, tolerance, within_en,
                                                            within_fr):
    """The status note of a small count outside the tolerance but within chance (7 women on
    remand against 4.47 expected: chance alone puts a count that far off in a third of
    periods) is a Text: English as it always was, French on a French page."""
    from stocktake.analysis.trajectory import PeriodReading
    from stocktake.services.reading.status import _chance_note
    from stocktake.web.formatting import status_note

    reading = PeriodReading(period="2015-Q2", actual=7.0, expected=4.47, gap=2.53,
                            gap_pct=56.6, status="on_track", chance=0.3344)
    note = _chance_note(reading, tolerance, mode, 0)
    assert note == (f"7 against 4.5 expected is outside the tolerance ({within_en}), but "
                    "chance alone puts a count this far off in 33% of periods")
    with i18n.language("fr"):
        assert status_note(note) == (
            f"7 pour 4,5 attendus{NB}: hors de la tolérance ({within_fr}), mais le hasard "
            f"seul écarte autant un comptage dans 33{NB}% des périodes")
    with i18n.language("en"):
        assert status_note(note) == note
