"""The questions from the data in two languages (issue #18): English word for word as before
the questions took a ``Language``; every message in the French catalogue and translated, with
French typography; the French wording's figures read back against the English ones."""

from __future__ import annotations

import re

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po

from stocktake.delivery import questions as dq
from stocktake.services.publishing.packs import questions_wording

NBSP = "\u00a0"
CONTEXT = {
    "priority_title": "the violent crime rate", "unit_of_measure": "incidents per 100,000",
    "polarity": "down", "period_word": "months",
    "headline": {"status": "off_track", "gap": 12.6, "gap_pct": 10.8, "expected": 116.7,
                 "latest": {"period": "2026-09", "value": 129.3},
                 "probability_of_meeting": 0.296, "variation_icon": "concern_high",
                 "assurance_icon": "consistently_fails"},
    "units": [{"unit_name": n, "off_track_run": k, "gap_pct": g, "status": s}
              for n, k, g, s in [("Ontario", 7, 17.64, "off_track"),
                                 ("Nunavut", 4, 8.4, "off_track"),
                                 ("Yukon", 3, None, "off_track"),
                                 ("Quebec", 3, 2.0, "off_track"),
                                 ("Alberta", 5, 1.0, "missed")]],
    "counters": [{"name": "Repeat victimisation", "direction": "worse", "change": -1.5}],
    "leads": [{"name": "Calls for service", "direction": "worse", "change": 1234.5}],
    "quality": [{"unit_name": "Nunavut", "score": 42.25}, {"unit_name": "Yukon", "score": 70}],
    "overdue_milestones": [{"name": "Recovery plan", "owner": "Delivery Unit",
                            "days_overdue": 120}],
    "overdue_actions": [{"text": "Review coding", "owner": "Justice", "days_overdue": 1},
                        {"text": "Extend programmes", "days_overdue": 47}],
    "disagreements": [{"message": "Rated green but the forecast gives 30%."}],
}
MET = {"priority_title": "the share of surgeries on time", "unit_of_measure": "%",
       "headline": {"status": "met", "at_target_period": {
           "actual": 81.0, "target": 80.0, "actual_period": "2026-03",
           "since": {"meets_target": False, "value": 79.0, "period": "2026-06"}}},
       "counters": [{"name": "Readmissions", "direction": "worse", "change": 0.4}]}
MISSED = {"unit_of_measure": "%", "headline": {"status": "missed", "at_target_period": {
    "actual": 79.0, "target": 80.0, "actual_period": "2026-03"}, "gap": -1.0}}

# The English text of these contexts as questions.py wrote it before it took a Language.
TODAY_CONTEXT = [
    ('In 2026-09 the violent crime rate was 129.3 incidents per 100,000, 12.6 incidents '
     'per 100,000 (10.8%) above its trajectory of 116.7 incidents per 100,000: what will '
     'you change to get back on track?',
     'status off_track; latest 129.3 incidents per 100,000 in 2026-09; expected 116.7 '
     'incidents per 100,000; gap +12.6; gap +10.8%; probability of meeting the target '
     '0.30; variation concern_high; assurance consistently_fails'),
    ('The forecast gives the violent crime rate a 29.6% probability of meeting its '
     'target: what would it take to change that?',
     'status off_track; latest 129.3 incidents per 100,000 in 2026-09; expected 116.7 '
     'incidents per 100,000; gap +12.6; gap +10.8%; probability of meeting the target '
     '0.30; variation concern_high; assurance consistently_fails'),
    ('Ontario has been above trajectory for 7 months, 17.6% above it at the latest: what '
     'will change?',
     'Ontario: off track for the last 7 months; gap +17.6%'),
    ("The milestone 'Recovery plan' (Delivery Unit) is 120 days overdue: when will it be "
     'done, and what does the delay do to the trajectory?',
     'Recovery plan (Delivery Unit): 120 days overdue'),
    ('The latest figure for the violent crime rate (129.3 incidents per 100,000 in '
     '2026-09) is a special-cause signal of concern, not noise: what has changed?',
     'status off_track; latest 129.3 incidents per 100,000 in 2026-09; expected 116.7 '
     'incidents per 100,000; gap +12.6; gap +10.8%; probability of meeting the target '
     '0.30; variation concern_high; assurance consistently_fails'),
    ('On its current variation the violent crime rate will consistently fail its target: '
     'what will change in how the service works, beyond more of the same?',
     'status off_track; latest 129.3 incidents per 100,000 in 2026-09; expected 116.7 '
     'incidents per 100,000; gap +12.6; gap +10.8%; probability of meeting the target '
     '0.30; variation concern_high; assurance consistently_fails'),
    ('Alberta has been above trajectory for 5 months, 1% above it at the latest: what '
     'will change?',
     'Alberta: off track for the last 5 months; gap +1%'),
    ('Nunavut has been above trajectory for 4 months, 8.4% above it at the latest: what '
     'will change?',
     'Nunavut: off track for the last 4 months; gap +8.4%'),
    ('2 more units (Quebec and Yukon) have also been above trajectory for 3 months or '
     'more: is there a common cause?',
     'Quebec: off track for the last 3 months; Yukon: off track for the last 3 months'),
    ('1 unit missed its share of the target (Alberta): what does each need at the next '
     'stage?',
     'Alberta: target missed'),
    ('Repeat victimisation, a counter indicator, has got worse (-1.5): is the target '
     'being gamed, or is there an unintended effect?',
     'Repeat victimisation: direction worse; change -1.5'),
    ('Calls for service, a lead indicator, is moving the wrong way (+1,234): what does it '
     'mean for the violent crime rate in the months ahead, and what is being done about '
     'it?',
     'Calls for service: direction worse; change +1,234'),
    ('Rated green but the forecast gives 30%: which is right, the judgement or the '
     'numbers, and why?',
     'Rated green but the forecast gives 30%.'),
    ("2 actions from earlier stocktakes are overdue, the longest 'Extend programmes' by "
     '47 days: what is holding them up?',
     'Extend programmes: 47 days overdue; Review coding (Justice): 1 day overdue'),
    ('Data from 2 units scores below 75 out of 100 for quality (Nunavut 42.2 and Yukon '
     '70): what will it take to fix them before the next stocktake?',
     'Nunavut: quality 42.2/100; Yukon: quality 70/100'),
]
TODAY_MET = [
    ('Readmissions, a counter indicator, has got worse (+0.40) while the share of '
     'surgeries on time met its target: is the target being gamed, or is there an '
     'unintended effect?',
     'Readmissions: direction worse; change +0.40'),
    ('The share of surgeries on time met its target but has since fallen back to 79% in '
     '2026-06: is the gain holding, or was it a peak?',
     'status met'),
    ('The share of surgeries on time met its target: 81% in 2026-03 against a target of '
     '80%. Who should get the credit, and what is the next stage?',
     'status met'),
]
TODAY_MISSED = [
    ('Target missed: the headline was 79% in 2026-03 against a target of 80%, 1 '
     'percentage point short. What now: a new stage with a new target, or a new deadline '
     'for this one, and what will be done differently?',
     'status missed; gap -1'),
]


def asked(context, wording=dq.ENGLISH):
    return [(q["question"], q["evidence"])
            for q in dq.questions_from_data(context, limit=20, wording=wording)]


def test_english_questions_are_word_for_word_as_before():
    assert asked(CONTEXT) == TODAY_CONTEXT
    assert asked(MET) == TODAY_MET
    assert asked(MISSED) == TODAY_MISSED
    assert asked(CONTEXT, questions_wording("en")) == TODAY_CONTEXT  # what the packs pass


def catalogue():
    with open(dq.CATALOGUES / "fr" / "LC_MESSAGES" / f"{dq.DOMAIN}.po", "rb") as f:
        return read_po(f, locale="fr")


def test_every_message_of_the_questions_is_in_the_french_catalogue_and_translated():
    found = {message: line for line, message, _c, _x in extract_from_file(
        "python", dq.__file__, keywords=DEFAULT_KEYWORDS | {"N_": None})}
    assert len(found) > 80
    french = catalogue()
    problems = []
    for message, line in found.items():
        entry = french.get(message)
        if entry is None:
            problems.append(f"questions.py:{line}: {message!r} is not in the catalogue")
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if entry.fuzzy or not all(strings):
            problems.append(f"questions.py:{line}: {message!r} is not translated")
        for s in strings:  # a no-break space before : ; ? ! and inside « »
            if re.search(r"[ ][:;?!]|«[^\u00a0]|[^\u00a0]»", s or ""):
                problems.append(f"questions.py:{line}: {s!r}: French spacing")
    problems += [f"{m.id!r}: {e}" for m, errors in french.check() for e in errors]
    assert not problems, "\n".join(problems)


def test_french_questions_carry_the_english_figures_in_french_conventions():
    english = asked(CONTEXT)
    french = asked(CONTEXT, questions_wording("fr"))
    assert len(french) == len(english)
    first = french[0][0]
    assert first.startswith("En 2026-09, the violent crime rate était de 129,3 incidents")
    assert f"(10,8{NBSP}%) au-dessus de sa trajectoire de 116,7 incidents" in first
    assert first.endswith(f"{NBSP}: que changerez-vous pour revenir sur la bonne voie?")
    # 29.6%, never a rounded 30% (below 30% is what is being said), by French rules
    assert f"une probabilité de 29,6{NBSP}%" in french[1][0]
    assert f"état{NBSP}: hors trajectoire; " in french[0][1]
    assert f"probabilité d’atteindre la cible{NBSP}: 0,30" in french[0][1]
    # every figure of the English questions is in the French ones, written the French way
    unit = "incidents per 100,000"  # the model's unit of measure, as it is
    for (q_en, e_en), (q_fr, e_fr) in zip(english, french, strict=True):
        if e_fr == e_en:
            continue  # a disagreement's message, passed in as it is written
        words = (q_en + " " + e_en).replace(unit, "")
        for figure in re.findall(r"\d[\d,]*(?:\.\d+)?%?", words):
            if re.fullmatch(r"\d{4}|\d\d", figure) or "-" in figure:
                continue  # a year or a period's part, written as it is
            fr = figure.replace(",", NBSP).replace(".", ",").replace("%", NBSP + "%")
            assert fr in q_fr + " " + e_fr, (figure, q_fr, e_fr)
    assert any("1 234" in q.replace(NBSP, " ") for q, _e in french)  # the lead's +1,234


def test_french_counts_points_in_the_singular_below_two_and_days_by_their_plural():
    missed = asked(MISSED, questions_wording("fr"))[0][0]
    assert "1 point de pourcentage de moins" in missed.replace(NBSP, " ")
    late = {**CONTEXT, "headline": None, "units": [], "quality": [], "counters": [],
            "leads": [], "disagreements": [], "overdue_milestones": [],
            "overdue_actions": [{"text": "Review coding", "days_overdue": 1}]}
    assert asked(late, questions_wording("fr"))[0][0] == (
        f"L’action «{NBSP}Review coding{NBSP}» d’un bilan précédent a 1 jour de retard{NBSP}: "
        f"qu’est-ce qui la retient?")


def test_the_credit_caveat_counts_alerts_in_english_as_before_and_agrees_in_french():
    tail = " question this priority's figures (see “Can we trust these numbers?”)."
    assert dq.credit_caveat(0, 1) == ". Before giving credit: 1 open alert" + tail
    assert dq.credit_caveat(1, 3) == ". Before giving credit: 1 confirmed and 3 open alerts" + tail
    assert dq.credit_caveat(2, 0) == ". Before giving credit: 2 confirmed alerts" + tail
    french = questions_wording("fr")
    assert dq.credit_caveat(0, 1, french).replace(NBSP, " ") == (
        ". Avant d’attribuer le mérite : 1 alerte ouverte met en doute les chiffres de cette "
        "priorité (voir « Peut-on se fier à ces chiffres? »).")
    assert "2 alertes confirmées mettent en doute" in dq.credit_caveat(2, 0, french)
