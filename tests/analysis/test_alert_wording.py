"""The alerts' sentences and the SPC reading notes in French (issue #18): every message of
the analysis' alerts, of a chart's reading note and of the documents' words about alerts
in the French catalogue (analysis/locale, domain
``alerts``), translated with the same placeholders; a Sentence is its English text
everywhere a string goes and says the same figures in French; English, the default,
unchanged."""

from __future__ import annotations

import copy
import json
import pickle
import re
from pathlib import Path

import numpy as np
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from stocktake.analysis import alerts as aa
from stocktake.analysis import changepoints, funnel, quality, spc
from stocktake.analysis import wording as aw
from stocktake.analysis.wording import Figure, Named, Percent, Sentence
from stocktake.reports import method_words
from stocktake.reports.said import CATALOGUES, language
from stocktake.services.publishing import packs, trust
from stocktake.services.reading import alerts as reading_alerts

KEYWORDS = {"Sentence": None, "count": (1, 2), "A_": None, "NP_": (1, 2)}
SOURCES = (aa.__file__, spc.__file__, trust.__file__, reading_alerts.__file__, packs.__file__,
           method_words.__file__, changepoints.__file__, funnel.__file__, quality.__file__)
NBSP = NB = "\u00a0"
FR = language("fr")


def test_every_message_of_the_alerts_is_in_the_french_catalogue_translated():
    with (CATALOGUES / "fr" / "LC_MESSAGES" / f"{aw.DOMAIN}.po").open("rb") as f:
        catalogue = read_po(f, locale="fr_CA")
    found = {m for source in SOURCES
             for _l, m, _c, _x in extract_from_file("python", Path(source), keywords=KEYWORDS)}
    assert len(found) > 60
    for message in found:
        entry = catalogue.get(message if isinstance(message, str) else message[0])
        assert entry is not None and not entry.fuzzy, message
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        assert all(strings), message
        if isinstance(message, tuple):  # a plural in English is a plural in French
            assert isinstance(entry.id, tuple), message
    # The same placeholders on both sides (Babel's python-format check).
    assert [e for _m, errors in catalogue.check() for e in errors] == []
    # The .pot beside it lists the same messages.
    with (CATALOGUES / f"{aw.DOMAIN}.pot").open("rb") as f:
        template = read_po(f)
    assert {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id} == {
        m if isinstance(m, str) else m[0] for m in found}


def test_a_sentence_is_its_english_text_and_says_the_same_figures_in_french():
    s = Sentence("(%(before)s to %(after)s, %(percent)s)", before=Figure(3562, 0),
                 after=Figure(5198.4, 1), percent=Percent(0.4593))
    assert s == "(3,562 to 5,198.4, 46%)" and isinstance(s, str)
    assert json.dumps({"explanation": s}) == '{"explanation": "(3,562 to 5,198.4, 46%)"}'
    assert s.said() == s and s.said(aw.ENGLISH) == s
    assert s.said(FR) == f"(3{NBSP}562 à 5{NBSP}198,4, 46{NBSP}%)"
    # kept whole when copied or pickled (the caches may do either)
    for again in (copy.deepcopy(s), pickle.loads(pickle.dumps(s))):
        assert again == s and again.said(FR) == s.said(FR)
    # a count chooses its plural form by the language's rule: 1 is one in both, 0 is one
    # in French
    for n, english, french in ((1, "1 month", "1 mois"), (18, "18 months", "18 mois")):
        said = Sentence.count("%(num)s month", "%(num)s months", n)
        assert (said, said.said(FR)) == (english, french)
    assert aw.said("plain text", FR) == "plain text"


def test_names_are_said_in_the_language_of_the_model():
    class Unit:
        def __init__(self, en, fr):
            self.en, self.fr = en, fr

        def name_in(self, lang):
            return self.fr if lang == "fr" else self.en

    class Model:
        units = {"QC": Unit("Quebec", "Québec")}
        indicators = {"crime": Unit("Violent crime rate", "Taux de crimes violents")}

    fr = language("fr", Model())
    s = Sentence("from %(start)s %(unit)s's %(indicator)s", start="2024-01",
                 unit=Named("unit", "QC", "Quebec"),
                 indicator=Named("indicator", "crime", "violent crime rate"))
    assert s == "from 2024-01 Quebec's violent crime rate"
    assert s.said(fr) == "from 2024-01 Québec's taux de crimes violents"  # no such message


def _numbers(text: str, french: bool) -> list[float]:
    """The figures of a sentence as numbers: 1,234.5 in English, 1 234,5 in French."""
    if french:
        text = re.sub(r"(?<=\d)[\u00a0\u202f ](?=\d{3})", "", text).replace(",", ".")
    else:
        text = re.sub(r"(?<=\d),(?=\d{3})", "", text)
    return [float(x) for x in re.findall(r"\d+(?:\.\d+)?", text.replace("-", " "))]


def test_a_counter_alert_in_french_with_the_english_figures():
    # Worked by hand: 36 months, the headline (lower is better) steps from 1,000 to 800 at
    # month 19 while its counter (higher is better) steps from 40 to 20: both shifts are
    # 12 standard deviations of the noise, starting together.
    rng = np.random.default_rng(3)
    periods = [f"{2021 + m // 12}-{m % 12 + 1:02d}" for m in range(36)]
    step = np.r_[np.zeros(18), np.ones(18)]
    headline = 1000 - 200 * step + rng.normal(0, 15, 36)
    counter = 40 - 20 * step + rng.normal(0, 1.5, 36)
    [alert] = aa.counter_alerts("QC", headline, counter, periods,
                                indicators=("crime", "solved"), headline_polarity="down",
                                counter_polarity="up", name="Quebec",
                                words={"crime": "violent crime", "solved": "cases solved"})
    english = alert.explanation
    assert english.startswith("from 2022-07 Quebec's violent crime improved (")
    assert english.endswith(": check that the improvement is real")
    french = english.said(FR)
    assert french.startswith(f"à partir de 2022-07, pour Quebec, l’indicateur «{NBSP}violent "
                             f"crime{NBSP}» s’est amélioré (")
    assert f"tandis que son indicateur de contrôle «{NBSP}cases solved{NBSP}» s’est " \
           "détérioré (" in french
    assert french.endswith(f"{NBSP}: vérifier que l’amélioration est réelle")
    assert _numbers(french, True) == _numbers(english, False)
    assert len(_numbers(english, False)) >= 7  # the period, and both shifts' three figures
    # the SPC evidence too
    for shift in alert.evidence:
        said = shift.spc.said(FR)
        assert "limites XmR tirées des" in said and "XmR limits" in shift.spc
        assert _numbers(said, True) == _numbers(shift.spc, False)


def test_ratio_shift_words_and_peers_in_french():
    rng = np.random.default_rng(8)
    periods = [f"{2021 + m // 12}-{m % 12 + 1:02d}" for m in range(48)]
    den = rng.poisson(2000, (6, 48)).astype(float)
    share = np.full((6, 48), 0.10) * np.exp(rng.normal(0, 0.03, (6, 48)))
    share[2, 24:] *= 1.6  # one unit records 60% more unfounded from 2023-01
    num = np.round(den * share)
    units = [f"U{i}" for i in range(6)]
    [alert] = aa.ratio_shift_alerts(units, num, den, periods,
                                    indicators=("unfounded", "reports"), peer_word="region",
                                    names={u: f"Unit {u[1:]}" for u in units})
    english, french = alert.explanation, alert.explanation.said(FR)
    assert "Unit 2 records" in english and "more unfounded per reports than before" in english
    assert english.endswith("no other region changed")
    assert ("pour Unit 2, le rapport «\u00a0unfounded par reports\u00a0» est de" in french
            and "plus élevé qu’auparavant" in french)
    assert french.endswith("aucune autre unité du même niveau n’a changé")
    assert _numbers(french, True) == _numbers(english, False)


def test_a_reading_note_in_french_with_the_english_figures():
    chart = {"seasonal_adjustment": {"applied": True, "detected": True, "p_value": 0.00034},
             "rebase_suggestions": [
                 {"period": "2021-01", "mean_before": 114.06, "mean_after": 128.0,
                  "shift_sigma": 2.61},
                 {"period": "2023-07", "mean_before": 29830.4, "mean_after": 36240.0,
                  "shift_sigma": -19.62},
                 {"period": "2025-01", "mean_before": 4.567, "mean_after": 6.1,
                  "shift_sigma": 2.0}],
             "assurance_icon": "pass", "parameters": {}}
    english = spc.describe_reading(chart)
    assert english == (
        "Read against the usual seasonal pattern: seasonality was detected (F test of "
        "period-of-year effects, p = 0.00034), so the limits are set on seasonally adjusted "
        "values and drawn following the seasons. The level has moved in steps (3 changes "
        "found, at 2021-01, 2023-07 and 2025-01): a drift rather than one change. Limits "
        "from 2025-01 would describe the current level (mean 4.567 before, 6.1 after, a "
        "shift of +2.0 sigma). Not applied: an analyst accepts a rebase with its reason. The "
        "assurance icon compares the target with limits set on the whole history: with the "
        "level changed, it describes the past process more than the current one.")
    french = english.said(FR)
    assert french.startswith(f"Lu par rapport au profil saisonnier habituel{NB}: une "
                             "saisonnalité a été détectée")
    assert (f"Le niveau a évolué par paliers (3 changements trouvés, à 2021-01, 2023-07 et "
            f"2025-01){NB}: une dérive plutôt qu’un changement unique.") in french
    assert "(moyenne de 4,567 avant, de 6,1 après, un écart de +2,0 sigma)" in french
    assert french.endswith("décrit davantage le processus passé que le processus actuel.")
    # one change: thousands in French with a no-break space, the sign a true minus
    one = spc.describe_reading({"rebase_suggestions": chart["rebase_suggestions"][1:2]})
    assert "mean 29,830 before, 36,240 after, a shift of -19.6 sigma" in one
    assert (f"moyenne de 29{NBSP}830 avant, de 36{NBSP}240 après, un écart de −19,6 "
            "sigma") in one.said(FR)
    assert spc.describe_reading({}) == ""


def test_a_trajectory_in_words_in_french_with_the_english_figures():
    said = method_words.trajectory_in_words("interventions", {
        "drift": -12.5, "interventions": [
            {"name": "Hot-spot policing", "effect": -1250.75, "start": "2025-04", "ramp": 6},
            {"effect": 3, "start": "2026-01"}]})
    assert said == ("Built bottom-up from the delivery plan's interventions. Without action "
                    "it would move -12.5 a period. Hot-spot policing: -1,251 from 2025-04, in "
                    "full after 6 periods. An intervention: +3 from 2026-01.")
    french = said.said(FR)
    assert french == (
        "Construite de bas en haut à partir des interventions du plan de mise en œuvre. Sans "
        "action, il varierait de -12,5 par période. Hot-spot policing\u00a0: -1\u00a0251 à "
        "partir de 2025-04, plein effet après 6 périodes. Une intervention\u00a0: +3 à partir "
        "de 2026-01.")
    assert _numbers(french, True) == _numbers(said, False)
    curve = method_words.trajectory_in_words("s_curve", {"steepness": 1.5})
    assert curve.endswith("Steepness 1.5 (higher is a sharper middle), centred on the "
                          "halfway point in time.")
    assert curve.said(FR).endswith("Pente 1,5 (plus elle est élevée, plus le milieu est "
                                   "abrupt), centrée sur le milieu de la période.")
    assert method_words.trajectory_in_words(None, None).said(FR).startswith(
        "Aucune trajectoire n’est fixée")


def test_a_level_is_named_in_the_language_of_the_model():
    class Model:
        units: dict = {}
        indicators: dict = {}

        def level_in(self, level, lang):
            return {"region": "région"}[level] if lang == "fr" else level

    s = Sentence("the %(num)s %(levels)s", num=68, levels=Named("levels", "region", "regions"))
    assert s == "the 68 regions"
    assert s.said(language("fr", Model())) == "les 68 régions"  # French name, French plural
