"""Monitoring (issue #20): /healthz, /metrics in Prometheus' format (parsed with
prometheus_client's own parser) and who may read it, the JSON-lines request and submission
logs (with a request id, never a password or a token), and `serve` refusing a database that
needs upgrading."""

from __future__ import annotations

import json
import logging
import re
import shutil
from datetime import datetime

import pytest
from alembic import command
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from stocktake.cli import app as cli
from stocktake.errors import Invalid
from stocktake.intake.service import submit_rows
from stocktake.services.admin import accounts
from stocktake.services.data.model_service import load_model
from stocktake.store import mail as mail_store
from stocktake.store.db import _alembic_config, current_revision, head_revision, open_engine
from stocktake.web import logs, monitoring
from stocktake.web.app import create_app

PASSWORD = "correct horse battery staple 7"
ROWS = [{"indicator": "incidents", "unit": "A1", "period": "2024-04", "value": 29},
        {"indicator": "population", "unit": "A1", "period": "2024-04", "value": 350000}]


pytestmark = pytest.mark.usefixtures("cheap_hashing")  # tests/conftest.py


@pytest.fixture
def engine(tmp_path, migrated_sqlite):
    """On SQLite only: nothing here depends on the engine, and the upgrade and workers tests
    run on PostgreSQL."""
    shutil.copyfile(migrated_sqlite, tmp_path / "site.db")
    engine = open_engine(f"sqlite:///{tmp_path / 'site.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def site(engine, small_model_dir):
    load_model(engine, small_model_dir, loaded_by="t")
    submit_rows(engine, [("incidents", "A1", "2024-03", 30)], submitter="t")
    accounts.create_user(engine, "ana", "analyst", PASSWORD)
    accounts.create_user(engine, "pat", "provider", PASSWORD, unit="A")
    return engine


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, by name and labels."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def older_database(tmp_path) -> str:
    """A SQLite database one revision behind the newest."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = open_engine(url, migrate=False)
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        command.downgrade(cfg, "-1")
    engine.dispose()
    return url


def test_healthz_says_the_database_answers_at_the_current_schema(site, tmp_path):
    r = TestClient(create_app(site)).get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok", "schema": head_revision()}

    old = open_engine(older_database(tmp_path), migrate=False)
    r = TestClient(create_app(old)).get("/healthz")
    assert r.status_code == 503 and r.json()["status"] == "error"
    assert "stocktake db upgrade" in r.json()["schema"]
    old.dispose()


def test_metrics_count_requests_submissions_rows_and_cache_hits(site, monkeypatch):
    monkeypatch.setenv(monitoring.METRICS_TOKEN_ENV, "s3cret-metrics")
    scrape = {"Authorization": "Bearer s3cret-metrics"}
    client = TestClient(create_app(site))
    before = samples(client.get("/metrics", headers=scrape).text)
    api = {"Authorization": f"Bearer {accounts.create_api_token(site, 'pat', 'unit:A')}"}
    reader = {"Authorization": f"Bearer {accounts.create_api_token(site, 'ana', 'read')}"}

    assert client.post("/api/v1/submissions", json={"rows": ROWS}, headers=api).is_success
    bad = [{"indicator": "incidents", "unit": "A1", "period": "2024-13", "value": 1}]
    assert client.post("/api/v1/submissions", json={"rows": bad}, headers=api).status_code == 422
    for _ in range(2):
        assert client.get("/api/v1/status", headers=reader).status_code == 200
    response = client.get("/metrics", headers=scrape)
    assert response.headers["content-type"].startswith("text/plain")
    after = samples(response.text)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    submit = {"method": "POST", "route": "/api/v1/submissions"}
    assert grew("stocktake_http_requests_total", **submit, status="200") == 1
    assert grew("stocktake_http_requests_total", **submit, status="422") == 1
    assert grew("stocktake_http_request_duration_seconds_count", **submit) == 2
    assert grew("stocktake_submissions_total", outcome="accepted") == 1
    assert grew("stocktake_submissions_total", outcome="refused") == 1
    assert grew("stocktake_observations_stored_total") == 2  # the two new rows
    assert grew("stocktake_cache_lookups_total", cache="results", result="miss") == 1
    assert grew("stocktake_cache_lookups_total", cache="results", result="hit") == 1
    # reminders come from the record of messages: none sent in this world
    assert after[("stocktake_reminders_total", (("outcome", "sent"),))] == 0
    assert after[("stocktake_reminders_total", (("outcome", "failed"),))] == 0


def test_reminders_in_the_metrics_are_the_record_of_messages(site):
    # three messages recorded as another process (cron's `stocktake remind`) would
    at = datetime(2025, 1, 10, 9, 0)
    with site.begin() as conn:
        for key, error in (("a", None), ("b", None), ("c", "refused by the server")):
            assert mail_store.claim(conn, key, at=at, kind="due", recipient=f"{key}@x.org",
                                    name=key, subject="s", body="b")
            mail_store.settle(conn, key, error=error, at=at)
    local = TestClient(create_app(site), client=("127.0.0.1", 5000))
    seen = samples(local.get("/metrics").text)
    assert seen[("stocktake_reminders_total", (("outcome", "sent"),))] == 2
    assert seen[("stocktake_reminders_total", (("outcome", "failed"),))] == 1


def test_metrics_are_open_only_to_the_allowed_addresses_or_the_token(site, monkeypatch):
    monkeypatch.setenv(monitoring.METRICS_ALLOW_ENV, "10.9.0.0/16")
    monkeypatch.delenv(monitoring.METRICS_TOKEN_ENV, raising=False)
    app = create_app(site)
    assert TestClient(app, client=("10.9.3.4", 5000)).get("/metrics").status_code == 200
    stranger = TestClient(app, client=("10.8.3.4", 5000))
    assert stranger.get("/metrics").status_code == 404
    monkeypatch.setenv(monitoring.METRICS_TOKEN_ENV, "s3cret-metrics")
    assert stranger.get("/metrics", headers={
        "Authorization": "Bearer wrong"}).status_code == 404
    assert stranger.get("/metrics", headers={
        "Authorization": "Bearer s3cret-metrics"}).status_code == 200


def test_a_bad_metrics_network_is_named():
    with pytest.raises(Invalid, match="STOCKTAKE_METRICS_ALLOW: 'ten' is not an IP"):
        monitoring.parse_networks("10.0.0.1, ten", monitoring.METRICS_ALLOW_ENV)


def test_one_json_line_per_request_and_submission_never_a_password_or_token(site, caplog):
    caplog.set_level(logging.INFO, logger="stocktake")
    client = TestClient(create_app(site))
    form = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    signed_in = client.post("/login", data={"username": "pat", "password": PASSWORD,
                                            "csrf_token": csrf}, follow_redirects=False)
    assert signed_in.status_code == 303
    token = accounts.create_api_token(site, "pat", "unit:A")
    sent = client.post("/api/v1/submissions?token=" + token, json={"rows": ROWS},
                       headers={"Authorization": f"Bearer {token}"})
    assert sent.is_success

    formatter = logs.JsonLines()
    lines = [json.loads(formatter.format(r)) for r in caplog.records
             if r.name.startswith("stocktake.")]
    text = "\n".join(formatter.format(r) for r in caplog.records)
    session = client.cookies.get("stocktake_session")
    for secret in (PASSWORD, token, csrf, session):
        assert secret and secret not in text
    requests = [line for line in lines if line["message"] == "request"]
    assert [(r["method"], r["route"], r["status"]) for r in requests] == [
        ("GET", "/login", 200), ("POST", "/login", 303), ("POST", "/api/v1/submissions", 200)]
    ids = [r["request_id"] for r in requests]
    assert len(set(ids)) == 3 and ids[-1] == sent.headers["x-request-id"]
    assert requests[-1]["path"] == "/api/v1/submissions" and requests[-1]["user"] == "pat"
    (submission,) = [line for line in lines if line["message"] == "submission"]
    assert submission["request_id"] == ids[-1]
    assert (submission["accepted"], submission["added"], submission["via"]) == (True, 2, "api")


def test_serve_refuses_a_database_that_needs_upgrading_and_says_what_to_run(tmp_path):
    url = older_database(tmp_path)
    before = current_revision(open_engine(url, migrate=False))
    result = CliRunner().invoke(cli, ["serve", "--db", url])
    assert result.exit_code == 4  # Conflict
    message = " ".join(result.output.split())
    assert "stocktake db upgrade" in message and f"revision {before}" in message
    assert current_revision(open_engine(url, migrate=False)) == before  # nothing changed


def test_serve_refuses_an_unknown_log_format_before_opening_anything(tmp_path):
    url = f"sqlite:///{tmp_path / 'none.db'}"
    result = CliRunner().invoke(cli, ["serve", "--db", url, "--log-format", "xml"])
    assert result.exit_code == 2 and "'xml' is not one of json, text" in result.output
    assert not (tmp_path / "none.db").exists()


def test_serve_creates_no_database_where_there_is_none(tmp_path):
    result = CliRunner().invoke(cli, ["serve", "--db", f"sqlite:///{tmp_path / 'none.db'}"])
    assert result.exit_code == 4 and "stocktake db upgrade" in " ".join(result.output.split())
    assert not (tmp_path / "none.db").exists()


def test_the_workers_log_configuration_is_light_to_import():
    """uvicorn builds each worker's logging (logging_config's formatters) before the worker
    answers its supervisor's health ping, which must come within 5 s or the worker is killed
    and restarted, forever: found running the container with 2 workers, where importing the
    metrics (and with them the whole application) took 10 to 20 s on a busy machine."""
    import subprocess
    import sys

    heavy = ("stocktake.web.monitoring", "stocktake.intake.service", "fastapi", "polars")
    probe = ("import sys, logging.config; from stocktake.web.logs import logging_config; "
             "logging.config.dictConfig(logging_config('json')); "
             f"print([m for m in {heavy!r} if m in sys.modules])")
    imported = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                              check=True).stdout.strip()
    assert imported == "[]"
