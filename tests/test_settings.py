"""Settings (issue #20): every setting from the environment or one config file, each in the
one table of docs/deploy.md, shown by `stocktake settings` with secrets hidden; a bad config
file refused naming every bad entry, with nothing applied; the allowed hosts enforced."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from stocktake.cli import app as cli
from stocktake.cli import settings
from stocktake.errors import Invalid
from stocktake.store.db import open_engine
from stocktake.web.app import create_app

ROOT = Path(__file__).parents[1]
ROW = re.compile(r"^\| `(STOCKTAKE_[A-Z_]+)` \| (.+?) \| .+ \|$", re.M)
TEST_SWITCHES = {"STOCKTAKE_CHECK_TEMPLATES"}  # set by the tests, not by an installation


def test_the_deployment_guide_documents_every_setting_and_no_other():
    table = dict(ROW.findall((ROOT / "docs" / "deploy.md").read_text()))
    assert list(table) == [s.name for s in settings.SETTINGS]
    for s in settings.SETTINGS:
        assert table[s.name] == (f"`{s.default}`" if s.default else "none"), s.name


# In the table but read by no other module: the config file's own name, and the mail
# settings kept for the e-mail reminders.
NOT_READ_ELSEWHERE = {"STOCKTAKE_CONFIG"}


def test_every_setting_the_code_reads_is_in_the_table():
    table = ROOT / "src" / "stocktake" / "cli" / "settings.py"
    read = {name for path in (ROOT / "src" / "stocktake").rglob("*.py") if path != table
            for name in re.findall(r"[\"'](STOCKTAKE_[A-Z_]+)[\"']", path.read_text())}
    assert read - TEST_SWITCHES == {s.name for s in settings.SETTINGS} - NOT_READ_ELSEWHERE


def test_the_config_file_fills_what_the_environment_does_not_set(tmp_path):
    path = tmp_path / "stocktake.toml"
    path.write_text('workers = 4\nallowed_hosts = ["a.example.gov", "localhost"]\n'
                    'database_url = "postgresql+psycopg://st:pw@db/st"\n')
    environ = {settings.CONFIG_ENV: str(path), "STOCKTAKE_WORKERS": "2"}
    settings.apply_config(environ)
    assert environ["STOCKTAKE_WORKERS"] == "2"  # the environment wins
    assert environ["STOCKTAKE_ALLOWED_HOSTS"] == "a.example.gov, localhost"
    shown = {s.name: (value, source) for s, value, source in settings.effective(environ)}
    assert shown["STOCKTAKE_WORKERS"] == ("2", "environment")
    assert shown["STOCKTAKE_DATABASE_URL"] == ("postgresql+psycopg://st:***@db/st",
                                               f"file {path}")
    assert shown["STOCKTAKE_LOG_FORMAT"] == ("json", "default")


def test_a_bad_config_file_is_refused_whole_naming_each_entry(tmp_path):
    path = tmp_path / "stocktake.toml"
    path.write_text('wokers = 4\nlog_format = "json"\ntrusted_proxies = true\n')
    environ = {settings.CONFIG_ENV: str(path)}
    with pytest.raises(Invalid) as refused:
        settings.apply_config(environ)
    assert [(p.where, p.message) for p in refused.value.problems] == [
        ("wokers", "unknown setting 'wokers' (did you mean 'workers'?)"),
        ("trusted_proxies", "write a string, a number or a list of strings")]
    assert environ == {settings.CONFIG_ENV: str(path)}  # nothing applied
    path.write_text("workers = [")
    with pytest.raises(Invalid, match="is not TOML"):
        settings.apply_config(environ)


def test_the_settings_command_hides_secrets(monkeypatch):
    monkeypatch.setenv("STOCKTAKE_METRICS_TOKEN", "s3cret-metrics")
    monkeypatch.setenv("STOCKTAKE_SMTP_URL", "smtp://mailer:hunter22@mail.example.gov:587")
    result = CliRunner().invoke(cli, ["settings", "--json"])
    assert result.exit_code == 0
    assert "s3cret" not in result.output and "hunter22" not in result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert rows["STOCKTAKE_METRICS_TOKEN"] == {"name": "STOCKTAKE_METRICS_TOKEN",
                                               "value": "(set)", "from": "environment"}
    assert rows["STOCKTAKE_SMTP_URL"]["value"] == "smtp://mailer:***@mail.example.gov:587"


def test_a_host_outside_the_allowed_hosts_is_refused(tmp_path, migrated_sqlite, monkeypatch):
    monkeypatch.setenv("STOCKTAKE_ALLOWED_HOSTS", "stocktake.example.gov, localhost")
    shutil.copyfile(migrated_sqlite, tmp_path / "site.db")
    engine = open_engine(f"sqlite:///{tmp_path / 'site.db'}")
    client = TestClient(create_app(engine), base_url="http://stocktake.example.gov")
    assert client.get("/healthz").status_code == 200
    assert client.get("/healthz", headers={"host": "evil.example"}).status_code == 400
    engine.dispose()
