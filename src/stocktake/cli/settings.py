"""Every setting of a stocktake installation, from the environment or one config file
(issue #20). The table below is the one list: docs/deploy.md documents each entry (a test
holds the two together) and ``stocktake settings`` shows what each is and where it came from.

The config file, named by ``STOCKTAKE_CONFIG``, is TOML with the names in lower case and
without the ``STOCKTAKE_`` prefix (``database_url = "postgresql+psycopg://..."``, ``workers =
4``, ``allowed_hosts = ["stocktake.example.gov"]``). It is read once as the command starts,
into the environment, where every part of stocktake (the options of the commands, the web
application in each worker) reads its settings; a variable already in the environment wins
over the file, so one can be changed for one run without editing it.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import Invalid, Problem, did_you_mean

CONFIG_ENV = "STOCKTAKE_CONFIG"
PREFIX = "STOCKTAKE_"


@dataclass(frozen=True)
class Setting:
    name: str  # the environment variable
    default: str  # "" for none
    meaning: str
    secret: bool = False  # never printed, only whether it is set
    url: bool = False  # a URL, printed with its password hidden

    @property
    def key(self) -> str:
        """Its name in the config file."""
        return self.name.removeprefix(PREFIX).lower()


SETTINGS = (
    Setting(CONFIG_ENV, "", "The config file (TOML) holding any of the settings below."),
    Setting("STOCKTAKE_DATABASE_URL", "sqlite:///stocktake.db",
            "The database: a SQLite file, or postgresql+psycopg://user:password@host/name.",
            url=True),
    Setting("STOCKTAKE_HOST", "127.0.0.1", "The address `stocktake serve` listens on."),
    Setting("STOCKTAKE_PORT", "8000", "The port `stocktake serve` listens on."),
    Setting("STOCKTAKE_WORKERS", "1", "Worker processes of `stocktake serve`."),
    Setting("STOCKTAKE_ALLOWED_HOSTS", "*",
            "Host names the web application answers to (comma-separated); other Host "
            "headers get 400. * answers any."),
    Setting("STOCKTAKE_TRUSTED_PROXIES", "",
            "Reverse proxies (addresses or networks) whose X-Forwarded-For and "
            "X-Forwarded-Proto are believed; none by default."),
    Setting("STOCKTAKE_LOG_FORMAT", "json",
            "`json` (one JSON object a line) or `text`: the request and submission log."),
    Setting("STOCKTAKE_METRICS_ALLOW", "127.0.0.1, ::1",
            "Addresses or networks that may read /metrics."),
    Setting("STOCKTAKE_METRICS_TOKEN", "",
            "A token that opens /metrics from anywhere (Authorization: Bearer ...).",
            secret=True),
    Setting("STOCKTAKE_SMTP_URL", "",
            "The mail server for e-mail reminders: smtp://host:25 (plain), "
            "smtp+starttls://user:password@host:587 (STARTTLS) or "
            "smtps://user:password@host:465 (TLS); no mail is sent without it.", url=True),
    Setting("STOCKTAKE_SMTP_CA_FILE", "",
            "A file of certificates (PEM) the mail server's is checked against, for a "
            "server whose certificate your organisation's own authority signed; the "
            "system's authorities by default."),
    Setting("STOCKTAKE_MAIL_FROM", "", "The sender address of e-mail reminders."),
    Setting("STOCKTAKE_BASE_URL", "http://127.0.0.1:8000",
            "The address people reach the web application at, for the links in e-mails."),
    Setting("STOCKTAKE_MODEL_DIR", "",
            "The model folder `stocktake compute` reads sources.yaml and the computed "
            "indicators from."),
    Setting("STOCKTAKE_DEBUG", "", "1: show the traceback of an internal error."),
)
BY_KEY = {s.key: s for s in SETTINGS if s.name != CONFIG_ENV}
FROM_FILE: dict[str, str] = {}  # names apply_config set, and the file they came from


def read_config(path: Path) -> dict[str, str]:
    """The file's settings by environment name. Raises Invalid naming every bad entry."""
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise Invalid(f"cannot read the config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise Invalid(f"the config file {path} is not TOML: {exc}") from None
    values, problems = {}, []
    for key, value in data.items():
        setting = BY_KEY.get(key)
        if setting is None:
            problems.append(Problem(f"unknown setting '{key}'"
                                    f"{did_you_mean(key, list(BY_KEY))}", key))
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            values[setting.name] = ", ".join(value)
        elif isinstance(value, str | int) and not isinstance(value, bool):
            values[setting.name] = str(value)
        else:
            problems.append(Problem("write a string, a number or a list of strings", key))
    if problems:
        raise Invalid(problems, source=f"config file {path}")
    return values


def apply_config(environ: MutableMapping[str, str] = os.environ) -> None:
    """Put the config file's settings into the environment, under those already there."""
    path = environ.get(CONFIG_ENV)
    if not path:
        return
    for name, value in read_config(Path(path)).items():
        if name not in environ:
            environ[name] = value
            FROM_FILE[name] = path


def effective(environ: MutableMapping[str, str] = os.environ
              ) -> list[tuple[Setting, str, str]]:
    """Each setting with its value (a secret's hidden) and where it came from."""
    rows = []
    for s in SETTINGS:
        value = environ.get(s.name)
        source = ("default" if value is None else
                  f"file {FROM_FILE[s.name]}" if s.name in FROM_FILE else "environment")
        shown = s.default if value is None else value
        if s.secret and value is not None:
            shown = "(set)"
        elif s.url and value:
            shown = _without_password(value)
        rows.append((s, shown, source))
    return rows


def _without_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    credentials, at, place = rest.rpartition("@")
    if not sep or not at or ":" not in credentials:
        return url
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{place}"
