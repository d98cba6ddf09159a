"""The test tiers: tests/conftest.py marks every PostgreSQL run ``postgres``, every test
that drives a browser ``browser`` and every test on the demo world ``slow``; other tests over
about a second are marked ``slow`` by hand, so that -m "not postgres and not browser and not
slow and not docs" is the fast tier (scripts/test --fast). Checked by collecting real test
files with pytest, as a developer would."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
ON_POSTGRES = re.compile(r"[\[-]postgresql[\]-]")  # the parameter in a test id: [postgresql-x]
FILES = ["tests/store/test_store.py", "tests/web/test_browser.py", "tests/demo/test_build.py",
         "tests/analysis/test_forecast.py", "tests/analysis/test_leads.py"]
FAST = "not postgres and not browser and not slow and not docs"
# The tests marked slow in FILES: long statistical runs the fast tier leaves to CI.
COVERAGE = ("tests/analysis/test_forecast.py::"
            "test_interval_coverage_on_real_data_is_within_10_points")
SLOW = (f"{COVERAGE}[",
        "tests/analysis/test_forecast.py::test_the_model_own_intervals_would_be_too_narrow_on_",
        "tests/analysis/test_leads.py::test_false_discovery_share_over_null_panels_at_most_",
        "tests/analysis/test_leads.py::test_planted_leads_are_found_at_their_lags_among_decoys",
        "tests/analysis/test_leads.py::test_time_effects_hold_the_false_discovery_rate_on_",
        "tests/store/test_store.py::test_a_database_emptied_and_loaded_again_at_the_same_")
DEMO = "tests/demo/"  # every test there reads the demo world


def _collected(*marks: str) -> list[set[str]]:
    """The test ids pytest collects from FILES under each marker expression (the
    collections run side by side)."""
    runs = [subprocess.Popen([sys.executable, "-m", "pytest", "--collect-only", "-q",
                              "-p", "no:cacheprovider", "-p", "no:xdist", "-m", m, *FILES],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for m in marks]
    found = []
    for run in runs:
        out, err = run.communicate()
        assert run.returncode == 0, out + err
        found.append({line for line in out.splitlines() if "::" in line})
    return found


def test_the_markers_are_registered_and_strict():
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]
    assert "--strict-markers" in options["ini_options"]["addopts"]
    assert {m.split(":")[0] for m in options["ini_options"]["markers"]} == {
        "postgres", "browser", "slow", "docs"}
    script = (ROOT / "scripts" / "test").read_text()
    assert f'-m "{FAST}"' in script


@pytest.mark.slow
def test_each_tier_holds_what_it_should():
    fast, rest = _collected(FAST, f"not ({FAST})")
    assert fast and rest and not fast & rest
    browser = "tests/web/test_browser.py::"

    def marked(node: str) -> bool:
        return bool(ON_POSTGRES.search(node)) or node.startswith((browser, DEMO, *SLOW))

    assert all(marked(node) for node in rest) and not any(marked(node) for node in fast)
    store = "tests/store/test_store.py::test_migrations_build_exactly_the_tables_the_code_declares"
    assert f"{store}[postgresql]" in rest and f"{store}[sqlite]" in fast
    demo = "tests/demo/test_build.py::test_the_demo_is_labelled_and_reports_progress"
    assert f"{demo}[postgresql]" in rest and f"{demo}[sqlite]" in rest
    assert any(node.startswith(browser) for node in rest)
    assert sum(node.startswith(f"{COVERAGE}[") for node in rest) == 3  # the three panels
    assert all(any(node.startswith(slow) for node in rest) for slow in SLOW)
