"""The API's reads come from the page cache: a second read is served from it (the same
bytes, nothing computed), and a new submission makes the next read compute again."""

import json

import pytest
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from stocktake.intake.service import submit_rows
from stocktake.results import encode
from stocktake.services.admin import accounts
from stocktake.services.data.model_service import load_model
from stocktake.services.reading.quality import data_quality
from stocktake.services.reading.readings import indicator_series
from stocktake.services.reading.snapshot import Snapshot
from stocktake.services.reading.status import priority_status
from stocktake.store.db import utcnow
from stocktake.web import auth
from stocktake.web.app import create_app

from .conftest import signed_in_session

pytestmark = pytest.mark.usefixtures("cheap_hashing")  # tests/conftest.py


@pytest.fixture
def client(engine, small_model_dir):
    load_model(engine, small_model_dir, loaded_by="t")
    rows = [(i, u, f"2024-{m:02d}", v) for m in (1, 2, 3)
            for u, n, p in [("A1", 30 + m, 350000), ("A2", 20, 250000), ("B1", 40, 400000)]
            for i, v in (("incidents", n), ("population", p))]
    submit_rows(engine, rows, submitter="t")
    return TestClient(create_app(engine),
                      cookies={auth.SESSION_COOKIE: signed_in_session(engine, "analyst")})


def counts(client):
    cache = client.app.state.cache
    return cache.hits, cache.misses


def body(value) -> bytes:
    """What the endpoint sent before it was cached: the service's answer, encoded."""
    return JSONResponse(encode(value)).body


def test_a_second_status_read_is_served_from_the_cache_and_a_submission_renews_it(client):
    engine = client.app.state.engine
    first = client.get("/api/v1/status", params={"priority": "P1"})
    assert first.status_code == 200 and first.headers["content-type"] == "application/json"
    assert first.content == body(priority_status(Snapshot(engine), priority="P1"))
    hits, misses = counts(client)
    second = client.get("/api/v1/status", params={"priority": "P1"})
    assert counts(client) == (hits + 1, misses)  # served, not computed
    assert second.content == first.content
    # Another question is its own entry.
    everything = client.get("/api/v1/status")
    assert counts(client) == (hits + 1, misses + 1)
    assert everything.content == body(priority_status(Snapshot(engine)))

    # April arrives through the API: (34 + 20 + 40) / 1,000,000 x 100,000 = 9.4.
    token = accounts.create_api_token(engine, "analyst", "unit:N")
    april = [{"indicator": i, "unit": u, "period": "2024-04", "value": v}
             for u, n, p in [("A1", 34, 350000), ("A2", 20, 250000), ("B1", 40, 400000)]
             for i, v in (("incidents", n), ("population", p))]
    sent = client.post("/api/v1/submissions", json={"rows": april},
                       headers={"Authorization": f"Bearer {token}"})
    assert sent.status_code == 200 and sent.json()["accepted"]
    hits, misses = counts(client)
    third = client.get("/api/v1/status", params={"priority": "P1"})
    assert counts(client) == (hits, misses + 1)  # a new data version: computed again
    latest = third.json()["priorities"][0]["latest"]
    assert (latest["period"], latest["value"]) == ("2024-04", pytest.approx(9.4))
    assert third.content == body(priority_status(Snapshot(engine), priority="P1"))
    client.get("/api/v1/status", params={"priority": "P1"})
    assert counts(client) == (hits + 1, misses + 1)


def without_moment(answer: bytes) -> dict:
    """Quality says when it was judged (now, to the microsecond): the rest must agree."""
    return {k: v for k, v in json.loads(answer).items() if k != "as_of"}


def test_series_and_quality_are_cached_per_question_too(client):
    engine = client.app.state.engine
    for path, params, service in [
            ("/api/v1/series/incidents", {"unit": "A"},
             lambda: indicator_series(Snapshot(engine), "incidents", "A")),
            ("/api/v1/quality", {"unit": "A"},
             lambda: data_quality(Snapshot(engine), unit="A"))]:
        first = client.get(path, params=params)
        assert first.status_code == 200
        assert without_moment(first.content) == without_moment(body(service()))
        hits, misses = counts(client)
        assert client.get(path, params=params).content == first.content
        assert counts(client) == (hits + 1, misses)
        # As of another moment: another entry.
        client.get(path, params=params | {"as_of": "2024-02-01"})
        assert counts(client) == (hits + 1, misses + 1)
    submit_rows(engine, [("incidents", "A1", "2024-04", 50)], submitter="t")
    hits, misses = counts(client)
    series = client.get("/api/v1/series/incidents", params={"unit": "A"}).json()
    assert counts(client) == (hits, misses + 1)
    # Province A in 2024-04: only A1 has reported (50).
    assert {p["period"]: p["value"] for p in series["points"]}["2024-04"] == 50


def test_an_error_is_not_kept_and_the_version_holds_today(client):
    for _ in range(2):
        r = client.get("/api/v1/status", params={"priority": "NOPE"})
        assert r.status_code == 404
    cache = client.app.state.cache
    assert cache.misses == 2 and cache.hits == 0  # computed (and refused) each time
    # Without the demo's clock, "now" is today: tomorrow is another version.
    assert cache.version()[-1] == utcnow().date()


def test_the_priorities_are_encoded_once_a_data_version(client, monkeypatch):
    """/api/v1/priorities sends the bytes it encoded at the first read until the data
    change (it encoded the overview again at every request)."""
    from stocktake.services.reading.overview import priority_overview
    from stocktake.web import overview_pages

    engine = client.app.state.engine
    encoded = []
    monkeypatch.setattr(overview_pages, "encode",
                        lambda value: encoded.append(value) or encode(value))
    first = client.get("/api/v1/priorities")
    assert first.status_code == 200 and first.headers["content-type"] == "application/json"
    assert first.content == body(priority_overview(Snapshot(engine)))
    second = client.get("/api/v1/priorities")
    assert second.content == first.content and len(encoded) == 1
    submit_rows(engine, [("incidents", "A1", "2024-04", 34)], submitter="t")
    third = client.get("/api/v1/priorities")
    assert len(encoded) == 2  # a new data version: encoded again
    assert third.content == body(priority_overview(Snapshot(engine))) != first.content
