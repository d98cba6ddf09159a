"""The delivery chain's summary and the plan's checks and changes on French pages and in a
French pack (issue #18), read back from the HTML on the small world of
test_delivery_pages (examples/delivery's plan and chain, on SQLite): French sentences
whose counts are the English page's, the English pages as they were."""

from __future__ import annotations

import re

import pytest

from stocktake.services.publishing.packs import write_pack
from stocktake.services.routines.plans import load_plan

from .test_delivery_pages import client_as, doc, sqlite_site, text_of  # noqa: F401

pytestmark = pytest.mark.usefixtures("cheap_hashing")  # tests/conftest.py


def summary(html: str) -> list[str]:
    """The chain page's summary: the items of its first plain list."""
    items = re.search(r'<ul class="plain">(.*?)</ul>', html, flags=re.S).group(1)
    return [text_of(li) for li in re.findall(r"<li>(.*?)</li>", items, flags=re.S)]


def counts(line: str) -> list[str]:
    return re.findall(r"\d+", line)


def test_the_french_chain_and_plan_pages_say_the_domain_s_sentences_in_french(
        sqlite_site):  # noqa: F811
    client, _ = client_as(sqlite_site, "executive")  # (a page's ?lang= is remembered)
    english = client.get("/priorities/P1/chain?lang=en")
    french = client.get("/priorities/P1/chain?lang=fr")
    assert english.status_code == french.status_code == 200
    # chain.yaml: 7 actors, 6 links (test_delivery_pages works them out by hand).
    en, fr = summary(english.text), summary(french.text)
    assert en[0] == "7 actors and 6 links: 3 strong, 2 adequate, 1 weak, 0 broken."
    assert fr[0] == "7 acteurs et 6 maillons — solides : 3, adéquats : 2, faibles : 1, rompus : 0."
    assert len(en) == len(fr) and [counts(x) for x in en] == [counts(x) for x in fr]
    assert fr[1].startswith("1 maillon faible ou rompu : ")
    assert not any(w in " ".join(fr) for w in ("actors", "links", "weak", "single point"))
    # The diagram's tooltips and its description in French too.
    assert "Province B justice ministry → Patrol officers in Province B" in french.text
    assert " to Patrol officers in Province B" in english.text
    assert "<desc id=" in french.text and fr[0] in french.text

    # The plan's checklist: the checks' details in French, the English page as it was.
    plan_en = text_of(client.get("/priorities/P1/plan?lang=en").text)
    plan_fr = text_of(client.get("/priorities/P1/plan?lang=fr").text)
    assert "interventions have an owner" in plan_en
    assert "ont toutes un responsable" in plan_fr and "have an owner" not in plan_fr

    # A change line: v2 moves a milestone to at_risk.
    revised = doc("plan.yaml")
    revised["milestones"][1]["status"] = "at_risk"
    load_plan(sqlite_site, "P1", revised, author="Unit", reason="stocktake decision")
    diff_en = text_of(client.get("/priorities/P1/plan/diff?from=1&to=2&lang=en").text)
    diff_fr = text_of(client.get("/priorities/P1/plan/diff?from=1&to=2&lang=fr").text)
    assert "Changed milestone youth_sites_open: status on_track → at_risk" in diff_en
    assert "jalon youth_sites_open : statut en bonne voie → à risque" in diff_fr


def test_the_french_pack_writes_the_chain_summary_and_the_plan_checks_in_french(
        sqlite_site, tmp_path):  # noqa: F811
    pages = {}
    for lang in ("en", "fr"):
        out = tmp_path / f"pack-{lang}.html"
        write_pack(sqlite_site, "P1", str(out), lang=lang)
        pages[lang] = text_of(out.read_text())
    assert "7 actors and 6 links: 3 strong, 2 adequate, 1 weak, 0 broken." in pages["en"]
    french = "7 acteurs et 6 maillons — solides : 3, adéquats : 2, faibles : 1, rompus : 0."
    assert french in pages["fr"] and "7 actors and 6 links" not in pages["fr"]
    assert "Chaque intervention a un responsable" in pages["fr"]
    assert "Every intervention has an owner" in pages["en"]


def test_the_pack_and_the_stocktake_agenda_follow_the_page_language(sqlite_site):  # noqa: F811
    """The pack the web serves, and the agenda's questions on the stocktakes page, are in
    the reader's language: the same pack as `stocktake pack --lang fr`."""
    client, _ = client_as(sqlite_site, "executive")
    english = text_of(client.get("/priorities/P1/pack.html?lang=en").text)
    french = text_of(client.get("/priorities/P1/pack.html?lang=fr").text)
    assert "What are you trying to do?" in english and "Que cherchez-vous à faire?" in french
    assert "What are you trying to do?" not in french
    agenda = text_of(client.get("/priorities/P1/stocktakes?lang=fr").text)
    assert "Que cherchez-vous à faire?" in agenda and "What are you trying" not in agenda
