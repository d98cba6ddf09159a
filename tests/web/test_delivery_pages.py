"""The delivery pages (issue #7): plan, chain, assessments, stocktakes, actions and the pack,
read and written through the web on both databases, the edit rules (an owner only for their
own priorities, an executive never), bad forms that store nothing, and the flows in a real
browser. Expected figures are worked out by hand from examples/delivery/*.yaml."""

from __future__ import annotations

import html as html_lib
import re
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from stocktake.errors import Invalid
from stocktake.intake.service import submit_rows
from stocktake.services.admin import accounts
from stocktake.services.data.model_service import load_model
from stocktake.services.routines.assessments import record_assessment, show_assessments
from stocktake.services.routines.chains import load_chain
from stocktake.services.routines.plans import load_plan, show_plan
from stocktake.services.routines.stocktakes import (
    list_actions,
    record_stocktake,
    stocktake_overview,
)
from stocktake.web import auth
from stocktake.web.app import create_app
from stocktake.web.delivery_pages import (
    assessment_document,
    parse_plan_upload,
    readable_problems,
    stocktake_document,
)

from .conftest import LiveServer, screenshot

EXAMPLES = Path(__file__).parents[2] / "examples" / "delivery"
PW = "correct horse battery"


pytestmark = pytest.mark.usefixtures("cheap_hashing")  # tests/conftest.py


def doc(name: str):
    return yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))


def build(engine, model_dir: Path):
    """The small model with a second priority (P2, for an owner of another priority), data
    for 2024-01 to 2024-09, the example plan, chain, assessment and stocktake of P1, and one account
    per role (owner owns P1; owner2 owns P2)."""
    text = (model_dir / "priorities.yaml").read_text()
    second = text.replace("code: P1", "code: P2").replace("Cut violent crime",
                                                            "Second priority")
    (model_dir / "priorities.yaml").write_text(text + second)
    load_model(engine, model_dir, loaded_by="t", now=datetime(2024, 1, 2))
    # Nine months, so that the pack has process limits to draw.
    rows = [(i, u, f"2024-{m:02d}", v) for m in range(1, 10)
            for u, n, p in [("A1", 31 - m, 350000), ("A2", 20 + m % 3, 250000),
                            ("B1", 39 - m % 4, 400000)]
            for i, v in (("incidents", n), ("population", p))]
    submit_rows(engine, rows, submitter="t")
    load_plan(engine, "P1", doc("plan.yaml"), author="Delivery Unit", reason="",
              at=datetime(2024, 2, 1))
    load_chain(engine, "P1", doc("chain.yaml"), author="Delivery Unit",
               at=datetime(2024, 2, 1))
    record_assessment(engine, "P1", doc("assessment.yaml"), by="Delivery Unit",
                      at=datetime(2024, 9, 30))
    record_stocktake(engine, "P1", doc("stocktake.yaml"), by="Delivery Unit",
                     at=datetime(2024, 10, 15))
    for role in accounts.ROLES:
        extra = {"owner": {"priorities": ["P1"]}, "provider": {"unit": "A"}}.get(role, {})
        accounts.create_user(engine, role, role, PW, **extra)
    accounts.create_user(engine, "owner2", "owner", PW, priorities=["P2"])
    return engine


@pytest.fixture
def site(engine, small_model_dir):
    return build(engine, small_model_dir)


@pytest.fixture
def sqlite_site(tmp_path, small_model_dir):
    from stocktake.store.db import open_engine

    engine = open_engine(f"sqlite:///{tmp_path / 'web.db'}")
    yield build(engine, small_model_dir)
    engine.dispose()


def client_as(engine, username: str) -> tuple[TestClient, str]:
    client = TestClient(create_app(engine))
    session = accounts.start_session(engine, username)
    client.cookies.set(auth.SESSION_COOKIE, session.token)
    return client, session.csrf_token


def text_of(html: str) -> str:
    """The page's words, tags dropped and spaces folded, for plain-text assertions."""
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
                             ).replace(" .", ".")


# -- the form helpers --------------------------------------------------------------------


def test_stocktake_form_rows_become_a_document_and_problems_name_the_rows():
    form = {"held_on": "2024-11-01", "attendees": "Minister\n\n  Head of unit  \n",
            "decision_text_1": "", "decision_text_2": "Fund more sites",
            "decision_plan_2": "on",
            "action_text_1": "", "action_owner_1": "", "action_due_1": "",
            "action_text_2": "Agree funding", "action_owner_2": "Ministry",
            "action_due_2": "2024-12-01",
            "action_text_7": "Report back", "action_owner_7": "", "action_due_7": ""}
    document, rows = stocktake_document(form)
    assert document == {
        "held_on": "2024-11-01", "attendees": ["Minister", "Head of unit"],
        "decisions": [{"text": "Fund more sites", "plan_change": True}],
        "actions": [{"text": "Agree funding", "owner": "Ministry", "due": "2024-12-01"},
                    {"text": "Report back"}]}
    # Row 7 is read although the form's default has 5 rows: rows come from the field names.
    assert rows == {"decisions[0]": "Decision row 2", "actions[0]": "Action row 2",
                    "actions[1]": "Action row 7"}
    assert readable_problems(["actions[1].owner: required", "held_on: required",
                              "actions[5].due: required"], rows) == [
        "Action row 7, owner: required", "held_on: required", "actions[5].due: required"]


def test_assessment_form_reads_stages_as_numbers_and_drops_unrated_criteria():
    form = {"round": " 2024-Q4 ", "assessed_on": "2024-12-01", "assessor": "Head",
            "stage_of_delivery_rating": "3", "stage_of_delivery_rationale": "",
            "quality_of_planning_rating": "", "quality_of_planning_rationale": "",
            "likelihood_rating": "red", "likelihood_rationale": "Far behind"}
    assert assessment_document(form) == {
        "round": "2024-Q4", "assessed_on": "2024-12-01", "assessor": "Head",
        "stage_of_delivery": {"rating": 3},
        "likelihood": {"rating": "red", "rationale": "Far behind"}}


@pytest.mark.parametrize("data, message", [
    (b"", "empty"), (b"/etc/passwd\n", "not text"), (b"- a\n- b\n", "not a list"),
    (b"summary: [unclosed\n", "line 2: not valid YAML"), (b"\xff\xfe", "not UTF-8")])
def test_an_uploaded_plan_must_be_a_yaml_mapping(data, message):
    # A bare string must never reach the plan service: it reads a string as a file path.
    with pytest.raises(Invalid, match=re.escape(message)):
        parse_plan_upload(data, "plan.yaml")
    assert parse_plan_upload(b"summary: x\n", "p.yaml") == {"summary": "x"}


# -- reading -----------------------------------------------------------------------------


@pytest.mark.slow
def test_the_pages_show_plan_chain_assessments_stocktakes_and_actions(site):
    client, _ = client_as(site, "executive")  # reads everything, changes nothing
    plan = client.get("/priorities/P1/plan")
    assert plan.status_code == 200
    words = text_of(plan.text)
    assert "Version 1 of 1" in words
    assert "Focused deterrence in the worst neighbourhoods" in words
    assert re.search(r"Every intervention has an owner\s+Met", words)
    assert "Upload a new version" not in words  # no form for a reader

    # Version 2 changes one milestone and adds an intervention: the diff says exactly that.
    revised = doc("plan.yaml")
    revised["milestones"][1]["status"] = "at_risk"
    revised["interventions"].append({"code": "hotspot_policing", "name": "Hot-spot policing",
                                     "owner": "Police", "start": "2024-06", "effect": -0.3})
    load_plan(site, "P1", revised, author="Unit", reason="stocktake decision")
    diff = text_of(client.get("/priorities/P1/plan/diff?from=1&to=2").text)
    assert "Added intervention hotspot_policing: Hot-spot policing" in diff
    assert "Changed milestone youth_sites_open: status on_track → at_risk" in diff
    assert "stocktake decision" in diff
    old = text_of(client.get("/priorities/P1/plan?version=1").text)
    assert "Version 1 of 2" in old and "This is an earlier version" in old
    assert client.get("/priorities/P1/plan?version=9").status_code == 404
    yaml_text = client.get("/priorities/P1/plan.yaml?version=1")
    assert yaml.safe_load(yaml_text.text)["interventions"][0]["code"] == "focused_deterrence"

    chain = client.get("/priorities/P1/chain")
    assert chain.status_code == 200 and "<svg" in chain.text
    # chain.yaml: 7 actors; links strong ministry->province_a, police_a1->patrol_a1,
    # ministry->stats; adequate ministry->province_b, province_a->police_a1; weak one.
    words = text_of(chain.text)
    assert "7 actors and 6 links: 3 strong, 2 adequate, 1 weak, 0 broken." in words
    assert "Province B justice ministry → Patrol officers in Province B" in words
    assert "Province B's returns arrive two months late" in words

    words = text_of(client.get("/priorities/P1/assessments").text)
    assert "Likelihood first assessed as Amber/green in 2024-Q3" in words
    assert "Record an assessment" not in words

    words = text_of(client.get("/priorities/P1/stocktakes").text)
    assert "What are you trying to do?" in words and "How can we help?" in words
    # Both actions of 15 Oct 2024 are still open, so both are carried over.
    assert "Agree weekend programme funding with Province B" in words
    assert "Explain the late returns from Province B" in words
    assert "Record a stocktake" not in words

    words = text_of(client.get("/actions?priority=P1").text)
    assert "2 open (0 in progress)" in words
    assert "only its owner or the delivery unit" in words  # no update form for a reader


def test_a_priority_without_delivery_records_says_so(site):
    client, _ = client_as(site, "owner2")
    plan = text_of(client.get("/priorities/P2/plan").text)
    assert "Second priority has no delivery plan yet" in plan and "Upload the first" in plan
    assert "has no delivery chain yet" in text_of(client.get("/priorities/P2/chain").text)
    assert "No assessment recorded yet" in text_of(
        client.get("/priorities/P2/assessments").text)
    assert client.get("/priorities/P9/plan").status_code == 404


# -- writing, and who may ----------------------------------------------------------------


def stocktake_form(csrf: str, **extra: str) -> dict[str, str]:
    return {"csrf_token": csrf, "held_on": "2024-11-20", "chair": "Prime Minister",
            "attendees": "Prime Minister\nHead of the Delivery Unit",
            "decision_text_1": "Move the youth-sites milestone", "decision_plan_1": "on",
            "action_text_1": "Open five more sites", "action_owner_1": "Province A",
            "action_due_1": "2024-12-31",
            "action_text_2": "Report the waiting list", "action_owner_2": "Province B",
            "action_due_2": "2025-01-15", **extra}


def test_an_owner_records_a_stocktake_for_their_priority(site):
    client, csrf = client_as(site, "owner")
    r = client.post("/priorities/P1/stocktakes", data=stocktake_form(csrf),
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(
        "/priorities/P1/stocktakes?saved=2024-11-20")
    [meeting] = [s for s in stocktake_overview(site, "P1").stocktakes
                 if s["held_on"] == "2024-11-20"]
    assert meeting["chair"] == "Prime Minister"
    assert meeting["attendees"] == ["Prime Minister", "Head of the Delivery Unit"]
    assert meeting["decisions"] == [{"text": "Move the youth-sites milestone",
                                     "plan_change": True}]
    assert [(a["code"], a["text"], a["owner"], a["due"], a["status"])
            for a in meeting["actions"]] == [
        ("A1", "Open five more sites", "Province A", "2024-12-31", "open"),
        ("A2", "Report the waiting list", "Province B", "2025-01-15", "open")]
    words = text_of(client.get("/actions?priority=P1").text)
    assert "4 open" in words and "Open five more sites" in words


def test_a_bad_stocktake_form_shows_the_problems_and_stores_nothing(site):
    client, csrf = client_as(site, "analyst")
    before = stocktake_overview(site, "P1").stocktakes
    form = stocktake_form(csrf, action_owner_2="", action_due_1="2024-11-01")
    r = client.post("/priorities/P1/stocktakes", data=form)
    assert r.status_code == 400
    words = text_of(r.text)
    assert "Nothing was stored" in words
    assert "Action row 2, owner: required" in words
    assert "Action row 1, due: 2024-11-01 is before the action was raised (2024-11-20)" in words
    assert 'value="Open five more sites"' in r.text  # what was typed is kept
    assert stocktake_overview(site, "P1").stocktakes == before
    # The same date twice is refused too (a ValueError from the service, not the document).
    assert client.post("/priorities/P1/stocktakes", data=stocktake_form(
        csrf, held_on="2024-10-15", action_due_1="2024-12-01")).status_code == 400
    assert stocktake_overview(site, "P1").stocktakes == before


@pytest.mark.slow
def test_an_owner_is_refused_another_priority_and_an_executive_every_change(site):
    actions = list_actions(site, priority="P1").actions
    plan_before = show_plan(site, "P1").version
    for username in ("owner2", "executive"):
        client, csrf = client_as(site, username)
        assert client.get("/priorities/P1/stocktakes").status_code == 200  # reading is open
        for path, data in [
            ("/priorities/P1/stocktakes", stocktake_form(csrf)),
            (f"/actions/{actions[0].id}", {"csrf_token": csrf, "status": "done",
                                               "note": "x"}),
            ("/priorities/P1/assessments", {"csrf_token": csrf}),
        ]:
            r = client.post(path, data=data)
            assert r.status_code == 403, (username, path)
        r = client.post("/priorities/P1/plan", data={"csrf_token": csrf, "reason": "r"},
                        files={"plan": ("plan.yaml", b"summary: x\n")})
        assert r.status_code == 403
        # No form is offered where it would be refused.
        assert "Record a stocktake" not in client.get("/priorities/P1/stocktakes").text
        assert 'action="/actions/' not in client.get("/actions?priority=P1").text
    assert list_actions(site, priority="P1").actions == actions
    assert show_plan(site, "P1").version == plan_before
    assert len(stocktake_overview(site, "P1").stocktakes) == 1
    # An owner may not assess even their own priority: assessments are the unit's.
    client, csrf = client_as(site, "owner")
    assert client.post("/priorities/P1/assessments", data={"csrf_token": csrf}).status_code \
        == 403


def test_the_refusal_names_the_priorities_an_owner_owns(site):
    client, csrf = client_as(site, "owner2")
    r = client.post("/priorities/P1/stocktakes", data=stocktake_form(csrf))
    assert r.status_code == 403
    assert "You may change only the priorities you own (P2); P1 is not one of them" in \
        text_of(r.text)


def test_action_updates_and_their_rules(site):
    client, csrf = client_as(site, "owner")
    a1 = next(a for a in list_actions(site, priority="P1").actions if a.code == "A1")
    r = client.post(f"/actions/{a1.id}", data={"csrf_token": csrf, "status": "done",
                                                  "note": "Funding agreed",
                                                  "filter_priority": "P1",
                                                  "filter_open": "0"},
                    follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/actions?priority=P1&open=0&updated=")
    after = next(a for a in list_actions(site, priority="P1").actions
                 if a.id == a1.id)
    assert after.status == "done" and after.updates[-1].note == "Funding agreed"
    assert after.updates[-1].by == "owner"
    # Reopening needs a note; nothing changes without one.
    r = client.post(f"/actions/{a1.id}", data={"csrf_token": csrf, "status": "open"})
    assert r.status_code == 400
    assert "required to reopen an action that is done" in text_of(r.text)
    # Neither a status change nor a note: nothing to record.
    a2 = next(a for a in list_actions(site, priority="P1").actions if a.code == "A2")
    r = client.post(f"/actions/{a2.id}", data={"csrf_token": csrf, "status": "open"})
    assert r.status_code == 400 and "nothing to record" in r.text
    r = client.post(f"/actions/{a2.id}", data={"csrf_token": csrf, "status": "closed"})
    assert r.status_code == 400 and "is not one of open, in_progress, done, dropped" in \
        text_of(r.text)
    assert len(next(a for a in list_actions(site, priority="P1").actions
                    if a.id == a2.id).updates) == len(a2.updates)
    assert client.post("/actions/99999", data={"csrf_token": csrf,
                                               "status": "done"}).status_code == 404


@pytest.mark.slow
def test_recording_an_assessment_and_a_bad_one(site):
    client, csrf = client_as(site, "analyst")
    form = {"csrf_token": csrf, "round": "2024-Q4", "assessed_on": "2024-12-15",
            "assessor": "Head of the Delivery Unit", "likelihood_rating": "red",
            "likelihood_rationale": "Province B far behind",
            "stage_of_delivery_rating": "3", "stage_of_delivery_rationale": "Under way"}
    bad = {**form, "likelihood_rationale": "", "stage_of_delivery_rating": "7"}
    r = client.post("/priorities/P1/assessments", data=bad)
    assert r.status_code == 400
    words = text_of(r.text)
    assert "likelihood.rationale: required" in words
    assert "stage_of_delivery.rating: 7 is not one of 1, 2, 3, 4" in words
    assert len(show_assessments(site, "P1").rounds) == 1
    r = client.post("/priorities/P1/assessments", data=form, follow_redirects=False)
    assert r.status_code == 303
    rounds = show_assessments(site, "P1").rounds
    assert [(x.round, x.likelihood) for x in rounds] == [("2024-Q3", "amber_green"),
                                                         ("2024-Q4", "red")]
    assert rounds[-1].assessment["stage_of_delivery"] == {"rating": 3,
                                                             "rationale": "Under way"}
    words = text_of(client.get("/priorities/P1/assessments").text)
    assert "Likelihood worsened from Amber/green to Red since 2024-Q3" in words


def test_uploading_a_plan(site):
    client, csrf = client_as(site, "owner")
    revised = doc("plan.yaml")
    revised["drift"] = 0.1
    body = yaml.safe_dump(revised).encode()

    def upload(data: bytes, reason: str = "stocktake of 2024-10-15"):
        return client.post("/priorities/P1/plan", data={"csrf_token": csrf, "reason": reason},
                           files={"plan": ("plan.yaml", data, "application/yaml")},
                           follow_redirects=False)

    assert upload(body, reason="").status_code == 400  # a later version needs a reason
    r = upload(b"interventions:\n  - code: x\n    name: X\n    start: 1999-01\n")
    assert r.status_code == 400 and "Nothing was stored" in r.text
    assert "interventions[0].start" in r.text
    r = upload(b"/etc/passwd\n")
    assert r.status_code == 400 and "a plan is a mapping" in r.text
    assert show_plan(site, "P1").version == 1
    r = upload(body)
    assert (r.status_code, r.headers["location"]) == (303, "/priorities/P1/plan?saved=2")
    shown = show_plan(site, "P1")
    assert shown.version == 2 and shown.author == "owner"
    assert shown.plan["drift"] == 0.1
    r = upload(body)
    assert r.headers["location"] == "/priorities/P1/plan?unchanged=2"
    assert "nothing new was stored" in client.get(r.headers["location"]).text


# -- the pack ----------------------------------------------------------------------------


@pytest.mark.slow
def test_the_pack_downloads_as_a_real_pdf(sqlite_site, tmp_path):
    client, _ = client_as(sqlite_site, "analyst")
    r = client.get("/priorities/P1/pack.pdf")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"].startswith(
        'attachment; filename="stocktake-pack-P1-')
    assert r.content.startswith(b"%PDF")
    (tmp_path / "pack.pdf").write_bytes(r.content)
    text = subprocess.run(["pdftotext", str(tmp_path / "pack.pdf"), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "Cut violent crime" in text
    html = client.get("/priorities/P1/pack.html")
    assert html.headers["content-type"].startswith("text/html")
    assert "Stocktake: Cut violent crime" in html.text


@pytest.mark.slow
def test_the_web_pack_has_the_funnel_plot_the_written_pack_has(sqlite_site, tmp_path):
    from stocktake.services.publishing.packs import write_pack

    client, _ = client_as(sqlite_site, "analyst")
    web = client.get("/priorities/P1/pack.html")
    assert web.status_code == 200
    write_pack(sqlite_site, "P1", str(tmp_path / "pack.html"))
    written = (tmp_path / "pack.html").read_text(encoding="utf-8")

    def funnel(html: str) -> str:
        found = re.search(r'<figure class="chart funnel">.*?</figure>', html, re.S)
        assert found, "no funnel plot in the pack"
        return found.group(0)

    # the units below the scope compared on the headline: the same plot from both
    assert funnel(web.text) == funnel(written)
    assert "The units compared on" in text_of(funnel(web.text))
    assert "No funnel plot" not in web.text


# -- in a browser ------------------------------------------------------------------------


def browser_page(browser, server, engine, username, width=1280, height=900):
    page = browser.new_page(viewport={"width": width, "height": height},
                            accept_downloads=True)
    page.context.add_cookies([{"name": auth.SESSION_COOKIE, "url": server.url,
                               "value": accounts.start_session(engine, username).token}])
    return page


def test_an_analyst_opens_a_priority_and_downloads_the_pack(browser, sqlite_site, tmp_path):
    with LiveServer(create_app(sqlite_site)) as server:
        page = browser_page(browser, server, sqlite_site, "analyst")
        page.goto(server.url + "/priorities/P1")
        assert page.get_by_role("img", name=re.compile("Violent incidents")).is_visible()
        page.get_by_role("link", name="Stocktakes").first.click()
        page.wait_for_load_state()
        assert page.url.endswith("/priorities/P1/stocktakes")
        with page.expect_download() as info:
            page.get_by_role("link", name="Download the pack (PDF)").click()
        path = tmp_path / "pack.pdf"
        info.value.save_as(path)
        assert path.read_bytes().startswith(b"%PDF")
        text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                              text=True).stdout
        assert "Cut violent crime" in text
        page.close()


def test_a_stocktake_recorded_in_the_browser_then_its_actions_are_tracked(browser,
                                                                         sqlite_site):
    with LiveServer(create_app(sqlite_site)) as server:
        page = browser_page(browser, server, sqlite_site, "owner")
        page.goto(server.url + "/priorities/P1/stocktakes")
        page.get_by_label("Held on", exact=True).fill("2024-11-20")
        page.get_by_label("Chair", exact=True).fill("Prime Minister")
        page.get_by_role("textbox", name="Attendees").fill(
            "Prime Minister\nHead of the Delivery Unit")
        page.get_by_label("Decision 1", exact=True).fill("Fund two more sites")
        page.get_by_role("textbox", name="Action 1", exact=True).fill("Open two more youth sites")
        page.get_by_label("Owner of action 1").fill("Province A")
        page.get_by_label("Due date of action 1").fill("2024-12-31")
        # A half-filled row first: the problem is shown and nothing stored.
        page.get_by_role("textbox", name="Action 2", exact=True).fill("Report on waiting lists")
        page.get_by_role("button", name="Record the stocktake").click()
        page.wait_for_load_state()
        alert = page.get_by_role("alert")
        assert "Action row 2, owner: required" in alert.inner_text()
        assert len(stocktake_overview(sqlite_site, "P1").stocktakes) == 1
        assert page.get_by_role("textbox", name="Action 1", exact=True).input_value() == \
            "Open two more youth sites"
        page.get_by_label("Owner of action 2").fill("Province B")
        page.get_by_label("Due date of action 2").fill("2025-01-15")
        page.get_by_role("button", name="Record the stocktake").click()
        page.wait_for_load_state()
        assert "was recorded" in page.get_by_role("status").inner_text()
        page.get_by_role("link", name="Follow the actions up").click()
        page.wait_for_load_state()
        assert page.url.endswith("/actions?priority=P1")
        row = page.get_by_role("row", name=re.compile("Open two more youth sites"))
        assert "Province A" in row.inner_text() and "31 Dec 2024" in row.inner_text()
        row.get_by_label(re.compile("^Status")).select_option("in_progress")
        row.get_by_label(re.compile("^Note")).fill("Sites chosen")
        row.get_by_role("button", name="Save").click()
        page.wait_for_load_state()
        assert "now in progress" in page.get_by_role("status").inner_text()
        [action] = [a for a in list_actions(sqlite_site, priority="P1").actions
                    if a.text == "Open two more youth sites"]
        assert action.status == "in_progress" and action.updates[-1].by == "owner"
        page.close()


PAGES = [("plan", "/priorities/P1/plan"), ("plan-diff", "/priorities/P1/plan/diff?from=1&to=2"),
         ("chain", "/priorities/P1/chain"), ("assessments", "/priorities/P1/assessments"),
         ("stocktakes", "/priorities/P1/stocktakes"), ("actions", "/actions?open=0"),
         ("priority", "/priorities/P1")]


@pytest.mark.parametrize("width, height, name", [(1280, 900, "desktop"), (390, 844, "phone")])
def test_screenshots_of_every_delivery_page(browser, sqlite_site, width, height, name):
    revised = doc("plan.yaml")
    revised["milestones"][1]["status"] = "at_risk"
    load_plan(sqlite_site, "P1", revised, author="Unit", reason="stocktake decision")
    with LiveServer(create_app(sqlite_site)) as server:
        page = browser_page(browser, server, sqlite_site, "analyst", width, height)
        for label, path in PAGES:
            page.goto(server.url + path)
            assert page.get_by_role("heading", level=1).count() == 1
            # Nothing overflows sideways (the chain diagram scrolls inside its own box).
            assert page.evaluate("document.documentElement.scrollWidth") <= width, label
            screenshot(page, f"delivery-{label}-{name}")
        page.close()
