"""The delivery chain's summary and the plan's checks and change lines in French (issue
#18): every message of delivery/chains.py and delivery/plans.py in the French catalogue,
translated; French sentences worked out by hand for the chains and plans the English
tests work out, with the same counts; English, the default, unchanged."""

from __future__ import annotations

import copy
import re
from datetime import date
from pathlib import Path

import yaml
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from stocktake.delivery import chains as dc
from stocktake.delivery import plans as dp
from stocktake.delivery import wording as dw
from stocktake.reports.wording import wording

from .test_chains import MODEL as CHAIN_MODEL
from .test_chains import actor, link, small_doc
from .test_plans import (
    GAPS,
    full,
    model,  # noqa: F401 (the fixture: the small model of those tests)
)

FR = wording("fr")
KEYWORDS = {"say": None, "count": (1, 2), "N_": None}


def test_every_message_of_chains_and_plans_is_in_the_french_catalogue_translated():
    with (dw.CATALOGUES / "fr" / "LC_MESSAGES" / f"{dw.DOMAIN}.po").open("rb") as f:
        catalogue = read_po(f, locale="fr")
    found = {m for source in (dc.__file__, dp.__file__)
             for _l, m, _c, _x in extract_from_file("python", Path(source), keywords=KEYWORDS)}
    assert len(found) > 100
    for message in found:
        entry = catalogue.get(message if isinstance(message, str) else message[0])
        assert entry is not None and not entry.fuzzy, message
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        assert all(strings), message
        if isinstance(message, tuple):  # a plural read as one, in English, is one in French
            assert isinstance(entry.id, tuple), message
    # The same placeholders on both sides (Babel's python-format check).
    assert [e for _m, errors in catalogue.check() for e in errors] == []
    # Every check and every word of a chain the sentences name is there.
    for word in (*dp.CHECKS, *dc.LINK_TYPES, *dc.STRENGTHS, *dc.LEVELS):
        assert catalogue.get(word) is not None and catalogue.get(word).string, word


def test_the_chain_summary_in_french_by_hand_with_the_english_counts():
    # The chain of test_chains' summary test: fed -> prov_a -> muni_1 -> school_1 (broken)
    # and fed -> prov_b -> muni_2 (weak) / muni_3 -> school_2; ON scores 60, TOR 80.
    doc = small_doc({("muni_1", "school_1"): "broken", ("prov_b", "muni_2"): "weak"})
    doc["links"][0]["strength"] = "strong"
    chain = dc.parse_chain(doc, CHAIN_MODEL)
    analysis = dc.analyse_chain(chain, quality={"ON": 60, "TOR": 80})
    english = dc.chain_summary_lines(analysis)
    assert english[0] == "8 actors and 8 links: 1 strong, 5 adequate, 1 weak, 1 broken."
    assert dc.chain_summary_lines(analysis, dw.ENGLISH) == english
    french = dc.chain_summary_lines(analysis, FR)
    assert french == [
        "8 acteurs et 8 maillons — solides : 1, adéquats : 5, faibles : 1, rompus : 1.",
        "2 maillons faibles ou rompus : Muni 1 → School 1 (financement, rompu); "
        "Prov B → Muni 2 (financement, faible).",
        "1 acteur de première ligne joint seulement par des maillons faibles ou rompus : "
        "School 1 (voie la plus faible : Muni 1 → School 1 rompu).",
        "3 points de défaillance uniques : Prov A (seule voie vers School 1); Prov B (seule "
        "voie vers School 2); Muni 1 (seule voie vers School 1).",
        "4 maillons sont chacun la seule voie vers un acteur de première ligne : "
        "Fed → Prov A (financement); Prov A → Muni 1 (financement); Muni 1 → School 1 "
        "(financement); Fed → Prov B (financement).",
        "La mise en œuvre passe par 5 acteurs d'autres ordres de gouvernement "
        "(provincial : 2, municipal : 3), que le centre influence sans les contrôler.",
        "2 acteurs dont la qualité des données est inférieure à 75 : Prov A (moyenne 60,0; "
        "ON 60,0); Muni 1 (moyenne 70,0; TOR 80,0, ON 60,0).",
    ]
    # Each line says the same counts as its English line.
    assert [re.findall(r"\d+", e) for e in english] == [
        re.findall(r"\d+", f) for f in french]
    # A French name where the chain gives one, the English name where it does not.
    doc["actors"][0]["name_fr"] = "Fédéral"
    named = dc.actor_names(dc.parse_chain(doc, CHAIN_MODEL), "fr")
    assert named["fed"] == "Fédéral" and named["prov_a"] == "Prov A"
    assert "Fédéral → Prov A (financement)" in dc.chain_summary_lines(analysis, FR, named)[4]
    assert dc.link_title("Fed", "Prov A") == "Fed to Prov A"
    assert dc.link_title("Fed", "Prov A", FR) == "Fed → Prov A"


def test_french_plurals_and_lists_follow_the_count():
    one = dc.chain_summary_lines(dc.analyse_chain(dc.parse_chain(
        {"actors": [actor("a", "federal"), actor("hub", "provincial"),
                    {"code": "s1", "name": "Schools, north", "level": "frontline"},
                    {"code": "s2", "name": "Schools, south", "level": "frontline"}],
         "links": [link("a", "hub"), link("hub", "s1"), link("hub", "s2")]}, CHAIN_MODEL)), FR)
    assert one[0] == "4 acteurs et 3 maillons — solides : 0, adéquats : 3, faibles : 0, rompus : 0."
    assert one[1] == "Aucun maillon faible ou rompu."
    assert one[2] == ("1 point de défaillance unique : Hub (seule voie vers 2 acteurs de "
                      "première ligne).")
    assert one[4] == ("La mise en œuvre passe par 1 acteur d'autres ordres de gouvernement "
                      "(provincial : 1), que le centre influence sans le contrôler.")


def test_the_plan_checklist_in_french_by_hand(model):  # noqa: F811
    plan = dp.parse_plan(yaml.safe_load(GAPS), model, "P1")
    p = model.priorities["P1"]
    english = dp.plan_checklist(plan, p, today=date(2024, 9, 1))
    french = dp.plan_checklist(plan, p, today=date(2024, 9, 1), wording=FR)
    assert dp.plan_checklist(plan, p, today=date(2024, 9, 1), wording=dw.ENGLISH) == english
    # The same checks, verdicts and items: only the details are in French.
    assert [(c["check"], c["ok"], c["items"]) for c in french] == [
        (c["check"], c["ok"], c["items"]) for c in english]
    by_check = {c["check"]: c["detail"] for c in french}
    assert by_check[dp.CHECK_RISKS_OWNED] == (
        "3 des 4 risques n'ont pas de responsable ou de mesure d'atténuation : supply (sans "
        "mesure d'atténuation), strike (sans responsable), weather (sans mesure d'atténuation)")
    assert by_check[dp.CHECK_INTERVENTION_OWNERS] == (
        "1 des 3 interventions n'ont pas de responsable : phonics")
    assert by_check[dp.CHECK_NONE_OVERDUE] == (
        "1 jalon arrivait à échéance avant le 2024-09-01 et n'est ni atteint ni abandonné : "
        "hired")
    assert by_check[dp.CHECK_ADDS_UP].endswith("pour une cible de 70 : il manque 7, en unités "
                                               "de l'indicateur principal")
    # A number with decimals the French way: the full plan falls 0.75 short (test_plans).
    raw = full()
    del raw["interventions"][2]["effect"]
    [detail] = [c["detail"] for c in dp.plan_checklist(
        dp.parse_plan(raw, model, "P1"), p, today=date(2024, 9, 1), wording=FR)
        if c["check"] == dp.CHECK_ADDS_UP]
    assert detail == ("les interventions portent l'indicateur principal de 60 (2024-01) à 69,25 "
                      "d'ici 2026-12, pour une cible de 70 : il manque 0,75, en unités de "
                      "l'indicateur principal")


def test_the_plan_change_lines_in_french_by_hand(model):  # noqa: F811
    old = dp.parse_plan(full(), model, "P1")
    raw = copy.deepcopy(full())
    raw["interventions"][0]["effect"] = 4.5
    raw["milestones"][1].update(status="done", completed_on="2024-12-10")
    raw["risks"][1]["likelihood"] = 3
    del raw["assumptions"][0]
    new = dp.parse_plan(raw, model, "P1")
    diff = dp.plan_diff(old, new)
    english = dp.diff_lines(diff)
    assert english == [
        "~ intervention tutoring: effect 4 -> 4.5",
        "~ milestone phonics_training: status on_track -> done",
        "~ milestone phonics_training: completed_on (none) -> 2024-12-10",
        "~ risk strike: likelihood 2 -> 3",
        "- assumption: Schools release pupils for 3 hours a week",
    ]
    assert dp.diff_lines(diff, FR) == [
        "~ intervention tutoring : effet 4 → 4,5",
        "~ jalon phonics_training : statut en bonne voie → atteint",
        "~ jalon phonics_training : date d'atteinte (néant) → 2024-12-10",
        "~ risque strike : probabilité 2 → 3",
        "- hypothèse : Schools release pupils for 3 hours a week",
    ]
