"""`stocktake serve --workers 4` on PostgreSQL under a bounded load (issue #20): four client
threads read the status through the API, submit data, sign in through the form and open a
signed-in page, while the requests land on whichever worker the kernel hands them to. No
request may fail; every submission is stored; a session, its CSRF token and the sign-in
throttle hold whichever worker answers (they live in the database); /metrics adds up every
worker's counts (prometheus_client's multiprocess mode); the log has one JSON line per
request.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from prometheus_client.parser import text_string_to_metric_families

from stocktake.services.admin import accounts
from stocktake.services.data.model_service import load_model
from stocktake.store.db import drop_everything, open_engine

ROOT = Path(__file__).parents[2]
SMALL_MODEL = ROOT / "tests" / "fixtures" / "small_model"
PASSWORD = "correct horse battery staple 7"
WORKERS, CLIENTS, READS, SUBMISSIONS = 4, 4, 10, 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def world(monkeypatch):
    url = os.environ.get("STOCKTAKE_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("no PostgreSQL: set STOCKTAKE_TEST_POSTGRES_URL (scripts/test does)")
    engine = open_engine(url, migrate=False)
    drop_everything(engine)
    engine.dispose()
    engine = open_engine(url)
    load_model(engine, SMALL_MODEL, loaded_by="t")
    # Cheap hashes: the server verifies with the parameters a hash holds (and rehashes it
    # at the first good sign-in), so the wrong passwords cost it next to nothing.
    monkeypatch.setattr(accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024,
                                                           parallelism=1))
    accounts.create_user(engine, "ana", "analyst", PASSWORD)
    accounts.create_user(engine, "pat", "provider", PASSWORD, unit="A")
    tokens = {"read": accounts.create_api_token(engine, "ana", "read"),
              "submit": accounts.create_api_token(engine, "pat", "unit:A")}
    yield url, engine, tokens
    engine.dispose()


@pytest.fixture
def server(world, tmp_path):
    url = world[0]
    port = _free_port()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                       os.environ.get("PYTHONPATH")]))}
    log = tmp_path / "server.log"
    with log.open("w") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "stocktake", "serve", "--db", url,
                                 "--port", str(port), "--workers", str(WORKERS)],
                                env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 300  # four workers importing at once on a busy machine
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.time() < deadline, "the server did not start\n" + log.read_text()
            time.sleep(0.2)
        yield base, metrics_dir, log
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _client_run(base: str, tokens: dict[str, str], n: int) -> list[int]:
    """One client's share of the load; the status of every request it made."""
    statuses = []
    with httpx.Client(base_url=base, timeout=60) as api:
        for i in range(READS):
            statuses.append(api.get("/api/v1/status", headers={
                "Authorization": f"Bearer {tokens['read']}"}).status_code)
            if i < SUBMISSIONS:
                unit = ("A1", "A2")[n % 2]
                rows = [{"indicator": "incidents", "unit": unit,
                         "period": f"20{20 + n // 2}-{i + 1:02d}", "value": 10 * n + i}]
                r = api.post("/api/v1/submissions", json={"rows": rows}, headers={
                    "Authorization": f"Bearer {tokens['submit']}"})
                statuses.append(r.status_code)
                assert r.json()["accepted"], r.text
    with httpx.Client(base_url=base, timeout=60) as browser:
        form = browser.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        signed_in = browser.post("/login", data={
            "username": "ana", "password": PASSWORD, "csrf_token": csrf})
        page = browser.get("/")  # signed in, whichever worker answers
        assert page.url.path == "/" and "Sign in" not in page.text
        statuses += [form.status_code, signed_in.status_code, page.status_code]
    return statuses


@pytest.mark.postgres
@pytest.mark.slow
def test_four_workers_answer_a_bounded_load_as_one_would(world, server):
    _, engine, tokens = world
    base, metrics_dir, log = server
    with ThreadPoolExecutor(CLIENTS) as pool:
        runs = list(pool.map(lambda n: _client_run(base, tokens, n), range(CLIENTS)))
    statuses = [s for run in runs for s in run]
    assert statuses.count(200) == len(statuses) - CLIENTS  # the sign-ins' 303s, followed
    assert statuses.count(303) == CLIENTS

    # The throttle counts failures stored in the database, whichever worker had them.
    with httpx.Client(base_url=base, timeout=60) as stranger:
        form = stranger.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        tries = [stranger.post("/login", data={"username": "pat", "password": pw,
                                               "csrf_token": csrf}).status_code
                 for pw in ["wrong"] * accounts.FREE_FAILURES + [PASSWORD]]
    assert tries == [401] * accounts.FREE_FAILURES + [429]
    requests = len(statuses) + 1 + len(tries)

    with engine.connect() as conn:
        batches = conn.execute(sa.text("SELECT count(*) FROM batches")).scalar()
    assert batches == CLIENTS * SUBMISSIONS

    scrape = httpx.get(base + "/metrics", timeout=30)
    assert scrape.status_code == 200
    counted = {}
    for family in text_string_to_metric_families(scrape.text):
        for s in family.samples:
            if s.name == "stocktake_http_requests_total":
                counted[s.labels["route"]] = counted.get(s.labels["route"], 0) + s.value
            if s.name == "stocktake_submissions_total":
                counted[s.labels["outcome"]] = s.value
    assert counted["accepted"] == CLIENTS * SUBMISSIONS and "refused" not in counted
    assert counted["/api/v1/status"] == CLIENTS * READS
    # Every request but the health checks while waiting, and this scrape, which is counted
    # once it is answered.
    assert sum(v for k, v in counted.items() if k.startswith("/")) - counted["/healthz"] == (
        requests)
    answering = {p.stem.rsplit("_", 1)[-1] for p in metrics_dir.glob("counter_*.db")}
    assert len(answering) >= 2, "one worker answered everything"

    time.sleep(0.5)  # the scrape's own line
    lines = [json.loads(line) for line in log.read_text().splitlines()
             if line.startswith("{")]
    logged = [line for line in lines if line["message"] == "request"
              and line["route"] != "/healthz"]
    assert len(logged) == requests + 1
    assert len({line["request_id"] for line in logged}) == len(logged)
    assert sum(line["message"] == "submission" for line in lines) == CLIENTS * SUBMISSIONS
