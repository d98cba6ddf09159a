"""One builder of the domain's Language (reports.wording.wording) for every catalogue domain
of delivery/locale: the chains' and plans', the questions', the reminders'. Each French one
reads its own catalogue and writes numbers, counts and days by the French conventions
(worked out by hand); each English one is the domain's own English, as it always was."""

from datetime import date

import pytest

from stocktake.delivery import questions as dq
from stocktake.delivery import reminders as dr
from stocktake.delivery import wording as dw
from stocktake.reports.wording import wording
from stocktake.services.publishing.packs import questions_wording
from stocktake.services.routines.reminders import composed_in


def test_each_domain_in_french_reads_its_own_catalogue():
    assert wording("fr", dw.DOMAIN).say("Every intervention has an owner") == (
        "Chaque intervention a un responsable")
    assert wording("fr", dr.DOMAIN).say("Dear %(name)s,", name="Ana") == "Bonjour Ana,"
    question = "%(actual)s in %(period)s against a target of %(target)s"
    assert wording("fr", dq.DOMAIN).say(question, actual="1", period="2024", target="2") == (
        "1 en 2024 pour une cible de 2")
    # a message of one domain is not in another's catalogue: it stays English
    assert wording("fr", dr.DOMAIN).say("Every intervention has an owner") == (
        "Every intervention has an owner")


def test_french_numbers_counts_and_days_the_same_in_every_domain():
    for domain in (dw.DOMAIN, dq.DOMAIN, dr.DOMAIN):
        w = wording("fr", domain)
        assert w.number(1234.5, 1) == "1\u00a0234,5"  # a no-break space between thousands
        assert w.number(0.25, None) == "0,25"  # as many decimals as it has
        assert (w.singular(1.5), w.singular(2)) == (True, False)  # French: 1,5 point
        assert w.long_day(date(2026, 12, 7)) == "lundi 7 décembre 2026"


def test_english_is_each_domain_s_own_and_the_shells_ask_the_one_builder():
    assert wording("en", dq.DOMAIN) is dq.ENGLISH  # its own number forms: 1,234.50
    assert dq.ENGLISH.number(1234.5, 2) == "1,234.50"
    assert wording("en", dw.DOMAIN) is wording("en", dr.DOMAIN) is dw.ENGLISH
    assert (dw.ENGLISH.singular(1.5), dw.ENGLISH.long_day(date(2026, 12, 7))) == (
        False, "Monday 07 December 2026")
    assert questions_wording("fr") is wording("fr", dq.DOMAIN)
    assert composed_in("fr") is wording("fr", dr.DOMAIN)
    assert composed_in(None) is composed_in("de") is dw.ENGLISH  # unset or not offered
    with pytest.raises(ValueError, match="no catalogue domain"):
        wording("fr", "nonesuch")
