"""The data pages: a submission checked without storing, then stored; providers held to
their remit; the quality league table; the history of a value; a reporting unit's page;
then the whole round in a real browser, with screenshots at desktop and phone widths."""

from __future__ import annotations

import io
import re
from datetime import datetime, time, timedelta
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from stocktake.intake.service import submit_rows
from stocktake.model.periods import Period
from stocktake.services.admin import accounts
from stocktake.services.data.model_service import load_model
from stocktake.services.reading.quality import data_quality
from stocktake.services.reading.snapshot import Snapshot
from stocktake.store import observations
from stocktake.store import schema as s
from stocktake.store.db import open_engine, set_meta
from stocktake.web import auth
from stocktake.web.app import create_app

from .conftest import CHROMIUM, LiveServer, screenshot

PW = "correct horse battery"
MONTHS = [f"2024-0{m}" for m in range(1, 7)]
B1_GAPS = {"2024-02", "2024-05"}  # months B1 never sent: its completeness is 8 of 12

# A provider for A (A, A1, A2) sends this: row 2 is only a warning (the month is not over),
# rows 3-5 are errors, one of them a unit outside the remit.
BAD = ("indicator,unit,period,value\n"
       "incidents,A1,{running},5\n"
       "incidents,A1,2024-07,-5\n"
       "incidents,A2,2024-07,abc\n"
       "incidents,B1,2024-07,12\n"
       "population,A1,2024-07,350000\n")
GOOD = ("indicator,unit,period,value\n"
        "incidents,A1,2024-07,29\n"
        "incidents,A2,2024-07,21\n"
        "population,A1,2024-07,350000\n"
        "population,A2,2024-07,250000\n")


pytestmark = pytest.mark.usefixtures("cheap_hashing")  # tests/conftest.py


def _populate(engine, model_dir):
    """Six months from A1, A2 and B1 (B1 missing two), each sent five days after the month
    ended; the clock set to mid-August 2024, so January to June are past their deadline."""
    load_model(engine, model_dir, loaded_by="t")
    for month in MONTHS:
        p = Period.parse(month)
        rows = [(i, u, month, v) for u in ("A1", "A2", "B1")
                for i, v in (("incidents", 30), ("population", 300000))
                if not (u == "B1" and month in B1_GAPS)]
        sent = datetime.combine(p.end, time(9)) + timedelta(days=5)
        result = submit_rows(engine, rows, submitter="loader", reason="monthly return",
                             now=sent)
        assert result.accepted, result.findings
    # A second vintage of one value: a correction.
    fixed = submit_rows(engine, [("incidents", "A1", "2024-03", 33)], submitter="auditor",
                        reason="correction after audit", now=datetime(2024, 7, 20, 10))
    assert fixed.accepted and fixed.revised == 1
    with engine.begin() as conn:
        set_meta(conn, "clock", "2024-08-15T12:00:00")
    for role, extra in (("admin", {}), ("analyst", {}), ("executive", {}),
                        ("provider", {"unit": "A"})):
        accounts.create_user(engine, role, role, PW, **extra)
    return engine


@pytest.fixture
def site(engine, small_model_dir):
    return _populate(engine, small_model_dir)


def client_as(engine, role: str) -> tuple[TestClient, str]:
    session = accounts.start_session(engine, role)
    client = TestClient(create_app(engine))
    client.cookies.set(auth.SESSION_COOKIE, session.token)
    return client, session.csrf_token


class _Tables(HTMLParser):
    """The text of every cell of every table, by the table's class."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._table = self.tables.setdefault(dict(attrs).get("class") or "", [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []
        elif tag in ("div", "br") and self._cell is not None:
            self._cell.append(" ")  # a line of its own: a word of its own

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self._table[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def table(html: str, css_class: str) -> list[list[str]]:
    """Body rows (the header row dropped) of the table with this class."""
    parser = _Tables()
    parser.feed(html)
    return parser.tables[css_class][1:]


def counts(engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(s.observations)).scalar(),
                conn.execute(select(func.count()).select_from(s.batches)).scalar())


def check(client, csrf, name: str, text: str, **fields):
    return client.post("/data/submit/check", data={"csrf_token": csrf, "source": "file",
                                                   **fields},
                       files={"file": (name, text.encode(), "text/csv")})


def running_month() -> str:
    return Period.containing(datetime.now().date(), "month").code


# -- submitting ---------------------------------------------------------------------------


def test_a_check_shows_the_findings_errors_first_and_stores_nothing(site):
    client, csrf = client_as(site, "provider")
    before = counts(site)
    r = check(client, csrf, "june.csv", BAD.format(running=running_month()))
    assert r.status_code == 200
    rows = table(r.text, "records findings")
    # (row, column, check, severity) as written by hand from the file above.
    seen = [(row[0], row[1], row[3], row[4]) for row in rows]
    errors = [x for x in seen if x[3] == "Error"]
    assert {(x[0], x[1]) for x in errors} >= {("3", "value"), ("4", "value"), ("5", "unit")}
    assert ("5", "unit", "outside_scope", "Error") in seen
    assert ("2", "period", "period_not_over", "Warning") in seen
    # Errors first: no error after the first warning.
    severities = [x[3] for x in seen]
    assert severities == sorted(severities, key=lambda w: w != "Error")
    assert "B1 is outside what you report for (A and the units below it)" in r.text
    assert "Nothing has been stored" in r.text
    assert 'action="/data/submit/commit"' not in r.text  # no Submit button with errors
    assert counts(site) == before


def test_a_clean_file_is_checked_then_stored_as_checked(site):
    client, csrf = client_as(site, "provider")
    before = counts(site)
    r = check(client, csrf, "july.csv", GOOD)
    assert r.status_code == 200 and "No errors" in r.text
    assert "would add 4 new values, revise 0 and leave 0 unchanged" in r.text
    assert counts(site) == before  # the check stored nothing, not even a batch
    upload_id = re.search(r'name="upload_id" value="([^"]+)"', r.text).group(1)
    r = client.post("/data/submit/commit", data={"csrf_token": csrf, "upload_id": upload_id,
                                                 "reason": "July return"})
    assert r.status_code == 200 and "Stored" in r.text
    assert counts(site) == (before[0] + 4, before[1] + 1)
    with site.connect() as conn:
        latest = observations.latest(conn, period_from="2024-07", period_to="2024-07")
        assert sorted(latest.select("indicator", "unit", "value").iter_rows()) == [
            ("incidents", "A1", 29.0), ("incidents", "A2", 21.0),
            ("population", "A1", 350000.0), ("population", "A2", 250000.0)]
        batch = observations.list_batches(conn, 1)[0]
    assert (batch["submitter"], batch["reason"], batch["scope"], batch["source"]) == (
        "provider", "July return", "A", "july.csv")
    # The upload is gone once stored: the same button cannot store it twice.
    again = client.post("/data/submit/commit", data={"csrf_token": csrf,
                                                     "upload_id": upload_id})
    assert again.status_code == 404 and counts(site) == (before[0] + 4, before[1] + 1)


def test_values_typed_in_the_form_go_through_the_same_checks(site):
    client, csrf = client_as(site, "analyst")
    form = {"csrf_token": csrf, "source": "form",
            "indicator": ["incidents", "", "incidents"], "unit": ["B1", "", "B1"],
            "period": ["2024-07", "", "2024-07"], "value": ["12", "", "13"]}
    r = client.post("/data/submit/check", data=form)
    seen = [(row[0], row[3], row[4]) for row in table(r.text, "records findings")]
    assert ("2", "duplicate_key", "Error") in seen  # form line 2 = the second typed line
    form.update(indicator=["incidents"], unit=["B1"], period=["2024-07"], value=["12"])
    before = counts(site)
    r = client.post("/data/submit/check", data=form)
    upload_id = re.search(r'name="upload_id" value="([^"]+)"', r.text).group(1)
    r = client.post("/data/submit/commit", data={"csrf_token": csrf, "upload_id": upload_id})
    assert r.status_code == 200 and counts(site) == (before[0] + 1, before[1] + 1)
    with site.connect() as conn:
        assert [v["value"] for v in observations.history(conn, "incidents", "B1",
                                                         "2024-07")] == [12.0]


def test_a_checked_file_is_stored_only_by_the_session_that_checked_it(site):
    client, csrf = client_as(site, "provider")
    r = check(client, csrf, "july.csv", GOOD)
    upload_id = re.search(r'name="upload_id" value="([^"]+)"', r.text).group(1)
    before = counts(site)
    other, other_csrf = client_as(site, "analyst")  # another person
    r = other.post("/data/submit/commit", data={"csrf_token": other_csrf,
                                                "upload_id": upload_id})
    assert r.status_code == 404
    later, later_csrf = client_as(site, "provider")  # the same person, another session
    r = later.post("/data/submit/commit", data={"csrf_token": later_csrf,
                                                "upload_id": upload_id})
    assert r.status_code == 404 and counts(site) == before


def test_an_analyst_may_hold_a_file_to_one_unit(site):
    client, csrf = client_as(site, "analyst")
    r = check(client, csrf, "july.csv", GOOD, scope="A2")
    seen = {(row[0], row[3]) for row in table(r.text, "records findings")}
    assert seen == {("2", "outside_scope"), ("4", "outside_scope")}  # the A1 rows


@pytest.mark.slow
def test_who_may_submit(site):
    for role in ("executive",):
        client, csrf = client_as(site, role)
        r = check(client, csrf, "july.csv", GOOD)
        assert r.status_code == 403
        page = client.get("/data/submit")
        assert page.status_code == 200 and 'action="/data/submit/check"' not in page.text
    client, csrf = client_as(site, "provider")
    r = client.post("/data/submit/check", data={"csrf_token": csrf, "source": "file"})
    assert r.status_code == 400 and "Choose a file" in r.text


def test_the_excel_template_for_a_providers_unit(site):
    client, _ = client_as(site, "provider")
    r = client.get("/data/template", params={"unit": "A1", "period": "2024-07"})
    assert r.status_code == 200 and r.content[:2] == b"PK"
    sheet = load_workbook(io.BytesIO(r.content))["Data"]
    cells = {c.value for row in sheet.iter_rows() for c in row}
    assert {"A1", "2024-07", "incidents", "population"} <= cells
    assert client.get("/data/template", params={"unit": "B1", "period": "2024-07"}
                      ).status_code == 403
    bad = client.get("/data/template", params={"unit": "A1", "period": "July"})
    assert bad.status_code == 400


# -- quality, history, a unit ---------------------------------------------------------------


def _league(html: str) -> list[tuple[str, str]]:
    """(unit code, score) down the league table."""
    body = html.split('class="records quality"', 1)[1].split("</table>", 1)[0]
    codes = re.findall(r'<a href="/units/([^"]+)">', body)
    scores = [row[2].split(" ")[0] for row in table(html, "records quality")]
    return list(zip(codes, scores, strict=True))


def test_the_quality_league_table_ranks_as_worked_out_by_hand(site):
    client, _ = client_as(site, "analyst")
    r = client.get("/data/quality")
    assert r.status_code == 200
    league = _league(r.text)
    # Over Jan-Jun 2024, two indicators: A1 and A2 sent all 12 values, B1 8 of 12,
    # nothing revised except one A1 value. No rules: validity is left out; no data set
    # declares a deadline: timeliness is not assessed (weights rescaled over 0.55).
    # B1: c = 2/3 -> (0.30 x 2/3 + 0.25) / 0.55 = 81.8.
    # A1: one of 12 revised -> stability 11/12 -> (0.30 + 0.10 x 11/12 + 0.15) / 0.55.
    a1 = 100 * (0.30 + 0.10 * 11 / 12 + 0.15) / 0.55
    a = 100 * (0.30 + 0.10 * 23 / 24 + 0.15) / 0.55
    n = 100 * (0.30 * 32 / 36 + 0.10 * 31 / 32 + 0.15) / 0.55
    b = 100 * (0.30 * 2 / 3 + 0.25) / 0.55
    assert league == [("A2", "100.0"), ("A", f"{a:.1f}"), ("A1", f"{a1:.1f}"),
                      ("N", f"{n:.1f}"), ("B", f"{b:.1f}"), ("B1", f"{b:.1f}")]
    # ... and in the order the service gives.
    assert [u for u, _ in league] == [u.unit for u in data_quality(Snapshot(site)).units]
    trend = table(r.text, "records trend")
    assert [row[0].split(" ")[-1] for row in trend][:1] == ["A2"] and trend[0][1] == "100.0"


def test_a_provider_sees_the_quality_of_its_own_units_only(site):
    client, _ = client_as(site, "provider")
    league = _league(client.get("/data/quality").text)
    assert sorted(u for u, _ in league) == ["A", "A1", "A2"]


def test_the_history_lists_every_vintage(site):
    client, _ = client_as(site, "provider")
    r = client.get("/data/history", params={"indicator": "incidents", "unit": "A1",
                                            "period": "2024-03"})
    assert r.status_code == 200
    rows = table(r.text, "records vintages")
    assert [(row[1].split(" ")[0], row[3], row[4]) for row in rows] == [
        ("30.00", "loader", "monthly return"), ("33.00", "auditor", "correction after audit")]
    assert "(in use)" in rows[1][0] and "(in use)" not in rows[0][0]
    assert rows[1][1].endswith("+3.00")
    assert client.get("/data/history", params={"indicator": "incidents", "unit": "B1",
                                               "period": "2024-03"}).status_code == 403
    bad = client.get("/data/history", params={"indicator": "nope", "unit": "A1",
                                              "period": "2024-13"})
    assert bad.status_code == 400 and "&#39;nope&#39; is not an indicator" in bad.text


@pytest.mark.slow
def test_the_unit_page_and_who_may_open_it(site):
    provider, _ = client_as(site, "provider")
    assert provider.get("/units/B1").status_code == 403
    assert provider.get("/units/N").status_code == 403
    assert provider.get("/units/ZZ").status_code == 404
    r = provider.get("/units/A1")
    assert r.status_code == 200
    assert "2024-06" in r.text  # the last period received
    assert 'href="/priorities/P1"' not in r.text  # no priority-wide view for a provider
    analyst, _ = client_as(site, "analyst")
    r = analyst.get("/units/B1")
    assert r.status_code == 200 and 'href="/priorities/P1"' in r.text
    b = 100 * (0.30 * 2 / 3 + 0.25) / 0.55  # timeliness not assessed: no deadline
    assert f"{b:.1f}" in r.text and "4 missing" in r.text


# -- in a browser -------------------------------------------------------------------------


@pytest.fixture
def browser_site(tmp_path, small_model_dir):
    engine = open_engine(f"sqlite:///{tmp_path / 'web.db'}")
    yield _populate(engine, small_model_dir)
    engine.dispose()


def test_a_provider_fixes_a_file_in_the_browser_and_submits_it(browser, browser_site,
                                                                 tmp_path):
    bad = tmp_path / "bad" / "july.csv"
    good = tmp_path / "good" / "july.csv"
    for path, text in ((bad, BAD.format(running=running_month())), (good, GOOD)):
        path.parent.mkdir()
        path.write_text(text)
    token = accounts.start_session(browser_site, "provider").token
    analyst = accounts.start_session(browser_site, "analyst").token
    with LiveServer(create_app(browser_site)) as server:
        for width, height, tag in ((1280, 900, "desktop"), (390, 844, "phone")):
            context = browser.new_context(viewport={"width": width, "height": height})
            context.add_cookies([{"name": auth.SESSION_COOKIE, "value": token,
                                  "url": server.url}])
            page = context.new_page()
            page.goto(server.url + "/data/submit")
            page.set_input_files("#file", str(bad))
            page.get_by_role("button", name="Check the file").click()
            page.wait_for_load_state()
            findings = page.locator("table.findings tbody tr")
            assert findings.first.locator("td").nth(4).inner_text().strip() == "Error"
            assert page.get_by_text("B1 is outside what you report for").is_visible()
            screenshot(page, f"data-submit-findings-{tag}")
            if tag == "desktop":
                page.set_input_files("#file", str(good))
                page.get_by_role("button", name="Check the file").click()
                page.wait_for_load_state()
                assert page.get_by_text("No errors").is_visible()
                screenshot(page, f"data-submit-clean-{tag}")
                page.get_by_label("Reason").fill("July return")
                page.get_by_role("button", name="Submit", exact=True).click()
                page.wait_for_load_state()
                assert page.get_by_role("heading", name="Stored").is_visible()
                screenshot(page, f"data-submit-stored-{tag}")
            for path, name in (("/data/history?indicator=incidents&unit=A1&period=2024-03",
                                "data-history"), ("/units/A", "unit"),
                               ("/data/quality", "data-quality-provider")):
                page.goto(server.url + path)
                assert page.locator("h1").count() == 1
                screenshot(page, f"{name}-{tag}")
            context.close()
            context = browser.new_context(viewport={"width": width, "height": height})
            context.add_cookies([{"name": auth.SESSION_COOKIE, "value": analyst,
                                  "url": server.url}])
            page = context.new_page()
            page.goto(server.url + "/data/quality")
            screenshot(page, f"data-quality-{tag}")
            context.close()
    with browser_site.connect() as conn:
        stored = observations.history(conn, "incidents", "A1", "2024-07")
    assert [(v["value"], v["submitter"], v["reason"]) for v in stored] == [
        (29.0, "provider", "July return")]
    assert CHROMIUM
