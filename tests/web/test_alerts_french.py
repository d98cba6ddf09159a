"""The alerts and a chart's reading note on French pages (issue #18), TestClient on a real
SQLite world where one region down-codes violent reports from 2024-01
(tests/services/test_alerts.py): the alerts page, the priority page and the French pack
say the explanations, their SPC evidence and the reading note in French, with the figures
of the English ones; the English pages say them as before."""

from __future__ import annotations

import html
import re
import shutil

import pytest
from fastapi.testclient import TestClient

from stocktake.reports.render import render_pack
from stocktake.services.admin import accounts
from stocktake.services.publishing.packs import pack_context
from stocktake.services.reading.alerts import alerts
from stocktake.services.reading.rebases import accept_rebase
from stocktake.services.reading.snapshot import Snapshot
from stocktake.store.db import open_engine
from stocktake.web import auth
from stocktake.web.app import create_app

from ..analysis.test_alert_wording import _numbers
from ..services.test_alerts import planted_world

NBSP = "\u00a0"


@pytest.fixture
def site(migrated_sqlite, tmp_path):
    """The planted world on SQLite only: the words do not depend on the database (the
    alerts' tests read it on PostgreSQL too)."""
    shutil.copyfile(migrated_sqlite, tmp_path / "site.db")
    engine = open_engine(f"sqlite:///{tmp_path / 'site.db'}")
    planted_world(engine, tmp_path / "model")
    # an accepted rebase gives the headline's chart a reading note to say
    accept_rebase(engine, "incidents", "N", "2024-01", reason="new counting rules",
                  by="ana")
    accounts.create_user(engine, "analyst", "analyst", "correct horse battery")
    yield engine
    engine.dispose()


def _text(page: str) -> str:
    body = re.sub(r"</?(strong|em|span|code|a|div)\b[^>]*>", "", page.split("<body", 1)[-1])
    # spaces run together; a no-break space stays one (French puts one before a colon)
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def _between(text: str, start: str, end: str) -> str:
    i = text.index(start)
    return text[i:text.index(end, i + len(start)) + len(end)]


@pytest.mark.slow
def test_alerts_and_the_reading_note_read_in_french_with_the_english_figures(site):
    counter = next(a for a in alerts(Snapshot(site)).alerts if a.kind == "counter")
    client = TestClient(create_app(site))
    client.cookies.set(auth.SESSION_COOKIE, accounts.start_session(site, "analyst").token)

    english = _text(client.get("/alerts?lang=en").text)
    french = _text(client.get("/alerts?lang=fr").text)
    said = _between(english, "from 2024-01 Region 3's violent incidents improved",
                    "check that the improvement is real")
    assert said == counter.explanation
    in_french = _between(french, f"à partir de 2024-01, pour Region 3, l’indicateur «{NBSP}"
                         f"violent incidents{NBSP}» s’est amélioré",
                         "vérifier que l’amélioration est réelle")
    assert "tandis que son indicateur de contrôle" in in_french
    assert _numbers(in_french, True) == _numbers(said, False)
    assert len(_numbers(said, False)) >= 7
    # its SPC evidence too
    assert "points below the lower limit" in english
    assert "points sous la limite inférieure" in french
    assert "limites XmR tirées des 36 points précédents" in french
    assert "XmR limits" not in french and "check that the improvement" not in french

    # the priority page: the chart's reading note and the alerts
    english = _text(client.get("/priorities/CRIME?lang=en").text)
    french = _text(client.get("/priorities/CRIME?lang=fr").text)
    note = _between(english, "Limits restart at 2024-01:", "(new counting rules).")
    assert "accepted by ana on" in note
    in_french = _between(french, f"Les limites repartent de 2024-01{NBSP}:",
                         "(new counting rules).")
    assert "nouvelle base acceptée par ana le" in in_french
    assert _numbers(in_french, True) == _numbers(note, False)
    assert "s’est amélioré" in french and "improved (" not in french


@pytest.mark.slow
def test_the_french_pack_says_the_alerts_and_the_reading_note_in_french(site):
    english = _text(render_pack(pack_context(site, "CRIME")))
    french = _text(render_pack(pack_context(site, "CRIME", lang="fr"), lang="fr"))
    said = _between(english, "From 2024-01 Region 3's violent incidents improved",
                    "check that the improvement is real")
    in_french = _between(french, f"À partir de 2024-01, pour Region 3, l’indicateur «{NBSP}"
                         f"violent incidents{NBSP}» s’est amélioré",
                         "vérifier que l’amélioration est réelle")
    assert _numbers(in_french, True) == _numbers(said, False)
    ratio = _between(english, "From 2024-01 Region 3 records", "than before")
    ratio_fr = _between(french, f"À partir de 2024-01, pour Region 3, le rapport «{NBSP}",
                        "qu’auparavant")
    assert _numbers(ratio_fr, True) == _numbers(ratio, False)
    # the kinds, the count and what was checked
    assert "A counter worsened as the headline improved" in english
    assert ("Un indicateur de contrôle s’est détérioré pendant que l’indicateur phare "
            "s’améliorait") in french
    assert "2 open alerts" in english and "2 alertes ouvertes" in french
    assert "Lecture faite pour les 8 regions" in french  # the level in the plural (no French name)
    # the chart's reading note
    assert "Limits restart at 2024-01: accepted by ana" in english
    assert f"Les limites repartent de 2024-01{NBSP}: nouvelle base acceptée par ana" in french
    for words in ("check that the improvement", "points above the upper limit",
                  "Limits restart", "Read at the 8 regions"):
        assert words not in french
