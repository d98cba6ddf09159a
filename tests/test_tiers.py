"""The test tiers: tests/conftest.py marks every PostgreSQL run ``postgres`` and every test
that drives a browser ``browser``, so that -m "not postgres and not browser" is the fast
tier. Checked by collecting real test files with pytest, as a developer would."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[1]
ON_POSTGRES = re.compile(r"[\[-]postgresql[\]-]")  # the parameter in a test id: [postgresql-x]
FILES = ["tests/store/test_store.py", "tests/web/test_browser.py", "tests/demo/test_build.py"]


def _collected(marks: str) -> set[str]:
    run = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                          "-p", "no:cacheprovider", "-m", marks, *FILES],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    return {line for line in run.stdout.splitlines() if "::" in line}


def test_the_markers_are_registered_and_strict():
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]
    assert "--strict-markers" in options["ini_options"]["addopts"]
    markers = {m.split(":")[0] for m in options["ini_options"]["markers"]}
    assert markers == {"postgres", "browser", "docs"}


def test_each_tier_holds_what_it_should():
    marked, fast = _collected("postgres or browser"), _collected("not postgres and not browser")
    assert marked and fast and not marked & fast
    assert all(ON_POSTGRES.search(node) or node.startswith("tests/web/test_browser.py::")
               for node in marked)
    assert not any(ON_POSTGRES.search(node) or "test_browser.py" in node for node in fast)
    store = "tests/store/test_store.py::test_migrations_build_exactly_the_tables_the_code_declares"
    assert f"{store}[postgresql]" in marked and f"{store}[sqlite]" in fast
    assert "tests/demo/test_build.py::test_the_demo_is_labelled_and_reports_progress[postgresql]" \
        in marked
    assert any(node.startswith("tests/web/test_browser.py::") for node in marked)
