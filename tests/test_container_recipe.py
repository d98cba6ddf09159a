"""The container recipe (issue #20): the Dockerfile and docs/deploy.md's section on it say the
same port, volume, user and health check, and the Dockerfile's settings are real ones. The
image itself is built and run by scripts/container-check (minutes; not in CI)."""

from __future__ import annotations

import re
from pathlib import Path

from stocktake.web import monitoring

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
GUIDE = (ROOT / "docs" / "deploy.md").read_text()
SECTION = GUIDE[GUIDE.index("## 5. A container"):GUIDE.index("## 6. ")]
SETTING = re.compile(r"^\| `(STOCKTAKE_[A-Z_]+)` \|", re.M)


def instructions(name: str) -> list[str]:
    """The arguments of each Dockerfile instruction NAME, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [m.group(1).strip() for m in re.finditer(rf"^{name} (.+)$", joined, re.M)]


def image_env() -> dict[str, str]:
    return dict(re.findall(r"(STOCKTAKE_[A-Z_]+)=(\S+)", " ".join(instructions("ENV"))))


def test_the_base_is_a_build_argument_with_the_public_image_as_default():
    assert instructions("ARG") == ["BASE=python:3.12-slim-bookworm"]
    assert instructions("FROM") == ["${BASE}"]
    assert "python:3.12-slim-bookworm" in SECTION and "--build-arg BASE=" in SECTION


def test_the_port_volume_and_user_are_the_ones_the_guide_gives():
    env = image_env()
    assert instructions("EXPOSE") == [env["STOCKTAKE_PORT"]] == ["8000"]
    assert env["STOCKTAKE_HOST"] == "0.0.0.0"
    assert f"-p 127.0.0.1:8000:{env['STOCKTAKE_PORT']}" in SECTION
    (volume,) = instructions("VOLUME")
    assert env["STOCKTAKE_DATABASE_URL"] == f"sqlite:///{volume}/stocktake.db"
    assert f"`{volume}/stocktake.db`" in SECTION and f"-v stocktake:{volume}" in SECTION
    assert instructions("USER") == ["stocktake"]
    uid = re.search(r"useradd --uid (\d+)", DOCKERFILE).group(1)
    assert int(uid) > 0 and f"uid {uid}" in SECTION and f"{uid}:{uid}" in SECTION


def test_the_health_check_asks_the_applications_healthz_and_the_server_has_workers():
    (check,) = instructions("HEALTHCHECK")
    assert "http://127.0.0.1:%s/healthz' % os.environ['STOCKTAKE_PORT']" in check
    assert "/healthz" in {route.path for route in monitoring.router.routes}
    assert instructions("CMD") == ['["stocktake", "serve"]']
    workers = image_env()["STOCKTAKE_WORKERS"]
    assert int(workers) > 1 and f"STOCKTAKE_WORKERS={workers}" in SECTION


def test_every_setting_the_image_sets_is_a_documented_one():
    assert set(image_env()) <= set(SETTING.findall(GUIDE))
