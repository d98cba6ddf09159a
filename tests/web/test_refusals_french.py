"""A refused delivery form says why in the page's language (#18): a plan upload's problems
from the chains' and plans' catalogue, a commitment form's from the web's, at the field
they are about; the same forms in English as they always were. Every expected text is
written by hand."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from stocktake.services.admin import accounts
from stocktake.services.data.model_service import load_model
from stocktake.services.routines.commitments import load_commitments
from stocktake.web import auth
from stocktake.web.app import create_app

from ..services.test_commitments import EXAMPLE, T0
from ..services.test_commitments import world as world  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.usefixtures("cheap_hashing"),  # tests/conftest.py
              pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

NB = "\u00a0"  # the no-break space of French punctuation
PW = "correct horse battery"
BAD_PLAN = (b"interventions:\n"
            b"  - code: Tutoring\n"
            b"    name: Tutoring\n"
            b"    start: 1999-01\n"
            b"    colour: red\n")


def client_as(engine, username: str, role: str, **extra) -> tuple[TestClient, str]:
    accounts.create_user(engine, username, role, PW, **extra)
    client = TestClient(create_app(engine))
    session = accounts.start_session(engine, username)
    client.cookies.set(auth.SESSION_COOKIE, session.token)
    return client, session.csrf_token


def words(page: str) -> str:
    """The page's words, tags dropped and spaces folded (a no-break space kept)."""
    return html.unescape(re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", page)))


def upload(client: TestClient, csrf: str, lang: str):
    return client.post(f"/priorities/P1/plan?lang={lang}", data={"csrf_token": csrf},
                       files={"plan": ("plan.yaml", BAD_PLAN, "application/yaml")},
                       follow_redirects=False)


def test_a_refused_plan_upload_says_why_in_french_and_in_english(engine, small_model_dir):
    load_model(engine, small_model_dir, loaded_by="t")
    client, csrf = client_as(engine, "owner", "owner", priorities=["P1"])
    french = upload(client, csrf, "fr")
    assert french.status_code == 400 and '<html lang="fr">' in french.text
    said = words(french.text)
    for line in (f"interventions[0].code{NB}: 'Tutoring' doit être en lettres minuscules, "
                 "chiffres et _ (p. ex. tutorat)",
                 f"interventions[0].start{NB}: 1999-01 est hors de la période de la priorité, "
                 "de la référence 2024-01 à la cible 2025-12",
                 f"interventions[0].colour{NB}: clé inconnue"):
        assert line in said
    english = words(upload(client, csrf, "en").text)
    for line in ("interventions[0].code: 'Tutoring' must be lower-case letters, digits and _ "
                 "(e.g. tutoring)",
                 "interventions[0].start: 1999-01 is outside the priority's baseline 2024-01 "
                 ".. target 2025-12",
                 "interventions[0].colour: unknown key"):
        assert line in english
    assert "doit" not in english


def test_a_refused_commitment_status_says_why_in_french_and_in_english(world):  # noqa: F811
    load_commitments(world, EXAMPLE, by="ana", at=T0)
    client, csrf = client_as(world, "analyst", "analyst")

    def change(status: str, reason: str, lang: str) -> tuple[int, str]:
        r = client.post(f"/commitments/C1/status?lang={lang}", data={
            "status": status, "reason": reason, "csrf_token": csrf})
        return r.status_code, words(r.text)

    status, said = change("not_pursued", "", "fr")
    assert status == 422
    assert (f"reason{NB}: un changement de statut demande une raison; elle est conservée "
            "avec l'auteur et la date du changement") in said
    status, said = change("finishd", "done", "fr")
    assert status == 422
    assert (f"status{NB}: «{NB}finishd{NB}» n'est pas un statut d'engagement{NB}: l'un de "
            f"«{NB}completed_fully{NB}» (réalisé entièrement); «{NB}completed_modified{NB}» "
            f"(réalisé, modifié); «{NB}on_track{NB}» (en cours, en bonne voie); "
            f"«{NB}facing_challenges{NB}» (en cours, avec des difficultés); "
            f"«{NB}not_pursued{NB}» (abandonné)") in said
    status, said = change("not_pursued", "", "en")
    assert status == 422 and ("reason: a change of status needs a reason; it is kept with who "
                              "changed it and when") in said
    status, said = change("finishd", "done", "en")
    assert ("status: 'finishd' is not a status of a commitment: one of 'completed_fully' "
            "(completed fully); 'completed_modified' (completed, modified); 'on_track' "
            "(underway, on track); 'facing_challenges' (underway, facing challenges); "
            "'not_pursued' (not being pursued)") in said


def test_a_refused_stocktake_form_names_its_rows_in_french(engine, small_model_dir):
    load_model(engine, small_model_dir, loaded_by="t")
    client, csrf = client_as(engine, "analyst", "analyst")
    form = {"csrf_token": csrf, "held_on": "2024-11-20", "chair": "Prime Minister",
            "action_text_1": "Open five more sites", "action_owner_1": "Province A",
            "action_due_1": "2024-11-01",
            "action_text_2": "Report the waiting list", "action_owner_2": "",
            "action_due_2": "2025-01-15"}
    french = client.post("/priorities/P1/stocktakes?lang=fr", data=form)
    assert french.status_code == 400
    said = words(french.text)
    assert f"Ligne de mesure 2, owner{NB}: obligatoire" in said
    assert (f"Ligne de mesure 1, due{NB}: 2024-11-01 précède l'ouverture de l'action "
            "(2024-11-20)") in said
    english = words(client.post("/priorities/P1/stocktakes?lang=en", data=form).text)
    assert "Action row 2, owner: required" in english
    assert "Action row 1, due: 2024-11-01 is before the action was raised (2024-11-20)" in english
