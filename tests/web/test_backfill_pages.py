"""History loaded after the fact, on the web: the upload page's Submit form and the API
submit endpoint record a backfill, and the data-quality page stops counting it late.
On the data pages' world (tests/web/test_data_pages.py): B1 never sent February and May."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from stocktake.services.admin import accounts
from stocktake.store import schema as s
from stocktake.store.db import set_meta
from stocktake.web.app import create_app

from .test_data_pages import _populate, check, client_as, counts, table

B1_MISSING = ("indicator,unit,period,value\n"
              "incidents,B1,2024-02,30\npopulation,B1,2024-02,300000\n"
              "incidents,B1,2024-05,30\npopulation,B1,2024-05,300000\n")


pytestmark = pytest.mark.usefixtures("cheap_hashing")  # tests/conftest.py


# Timeliness is judged against a declared deadline only (docs/methods/quality.md): the
# monthly return, due 30 days after the month, January to June.
DATASET = """\
- code: monthly
  name: Monthly police return
  period_type: month
  indicators: [incidents, population]
  units: [A1, A2, B1]
  timely_days: 30
  end: 2024-06
"""


@pytest.fixture
def site(engine, small_model_dir):
    (small_model_dir / "datasets.yaml").write_text(DATASET)
    return _populate(engine, small_model_dir)


def _b1_timeliness(client) -> list[str]:
    # Cells: rank, unit (its name, code and level), score, expected, completeness,
    # timeliness (the share, then how many values came late)...
    row = next(r for r in table(client.get("/data/quality").text, "records quality")
               if "B1" in r[1].split())
    return row[5].split(" ", 1)


def _clock_after_the_upload(engine) -> None:
    """The world's clock (mid-August 2024) moved past the upload, recorded at the real
    time, so that the quality page reads it. The data set ends in June: January to June
    stay the periods expected."""
    with engine.begin() as conn:
        set_meta(conn, "clock", (datetime.now() + timedelta(days=1)).isoformat())


def _last_batch(engine):
    with engine.connect() as conn:
        return conn.execute(select(s.batches.c.backfill, s.batches.c.published)
                            .order_by(s.batches.c.id.desc()).limit(1)).one()


def _checked(client, csrf) -> str:
    r = check(client, csrf, "b1-history.csv", B1_MISSING)
    assert r.status_code == 200 and "No errors" in r.text, r.text
    assert 'name="backfill"' in r.text and 'name="published"' in r.text
    return re.search(r'name="upload_id" value="([^"]+)"', r.text).group(1)


def test_a_backfill_from_the_upload_page_is_not_counted_late(site):
    client, csrf = client_as(site, "analyst")
    # B1 sent 8 of 12 values, all on time: timeliness 8 of 12 while four are missing.
    assert _b1_timeliness(client) == ["66.7%", "0 late"]
    r = client.post("/data/submit/commit", data={
        "csrf_token": csrf, "upload_id": _checked(client, csrf), "reason": "back series",
        "backfill": "true", "published": "2024-07-01"})
    assert r.status_code == 200 and "Stored" in r.text
    assert "history loaded after the fact, published 2024-07-01" in r.text
    assert tuple(_last_batch(site)) == (True, date(2024, 7, 1))
    _clock_after_the_upload(site)
    # Now complete; the four values loaded after the fact are not judged: 8 of 8 on time.
    assert _b1_timeliness(client) == ["100.0%", "0 late"]


def test_the_same_file_without_the_box_is_late(site):
    client, csrf = client_as(site, "analyst")
    r = client.post("/data/submit/commit", data={"csrf_token": csrf,
                                                 "upload_id": _checked(client, csrf)})
    assert r.status_code == 200 and "after the fact" not in r.text
    assert tuple(_last_batch(site)) == (False, None)
    _clock_after_the_upload(site)
    assert _b1_timeliness(client) == ["66.7%", "4 late"]


def test_a_bad_publication_date_on_the_page_stores_nothing(site):
    client, csrf = client_as(site, "analyst")
    before = counts(site)
    for fields, words in [({"backfill": "true", "published": "1 July"}, "is not a date"),
                          ({"published": "2024-07-01"}, "tick that box")]:
        r = client.post("/data/submit/commit", data={
            "csrf_token": csrf, "upload_id": _checked(client, csrf), **fields})
        assert r.status_code == 400 and words in r.text, fields
        assert counts(site) == before


def test_the_api_takes_a_backfill_and_refuses_a_bad_one(site):
    client = TestClient(create_app(site), headers={
        "Authorization": f"Bearer {accounts.create_api_token(site, 'analyst', 'unit:N')}"})
    rows = [{"indicator": "incidents", "unit": "B1", "period": "2024-02", "value": 30}]
    before = counts(site)
    for body, words in [({"backfill": "yes"}, '"backfill"'),
                        ({"backfill": True, "published": "2024-13-01"}, '"published"')]:
        r = client.post("/api/v1/submissions", json={"rows": rows, **body})
        assert r.status_code == 422 and words in r.json()["detail"], body
    r = client.post("/api/v1/submissions", json={"rows": rows, "published": "2024-07-01"})
    assert r.status_code == 422 and r.json()["findings"][0]["check"] == "published"
    assert counts(site) == before
    r = client.post("/api/v1/submissions", json={"rows": rows, "backfill": True,
                                                 "published": "2024-07-01"})
    body = r.json()
    assert r.status_code == 200 and (body["backfill"], body["published"]) == (
        True, "2024-07-01")
    upload = b"indicator,unit,period,value\npopulation,B1,2024-02,300000\n"
    r = client.post("/api/v1/submissions", files={"file": ("b1.csv", upload, "text/csv")},
                    data={"backfill": "true"})
    assert r.status_code == 200 and r.json()["backfill"] is True
    assert tuple(_last_batch(site)) == (True, None)
