"""The docs stay true: the CLI reference matches --help, the README keeps its two commands."""

from pathlib import Path

from stocktake.clidoc import render

ROOT = Path(__file__).parents[1]


def test_cli_reference_is_in_sync():
    on_disk = (ROOT / "docs" / "cli.md").read_text()
    assert on_disk == render(), "docs/cli.md is stale: run python -m stocktake.clidoc > docs/cli.md"


def test_every_command_is_in_the_user_guide():
    guide = (ROOT / "docs" / "guide.md").read_text()
    for line in render().splitlines():
        if line.startswith("## `stocktake ") and line != "## `stocktake db`":
            command = line[4:-1]
            assert command in guide, f"docs/guide.md does not mention {command}"


def test_readme_quickstart_has_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "scripts/demo" in readme and "scripts/test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "scripts/test" in ci
