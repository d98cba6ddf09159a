"""Documentation that runs: every command block of the docs and the examples' READMEs is
run, in order, in a temporary folder, and every file a block shows is the example file it
names. How to write a block the test understands is in docs/tested-docs.md.

Marked ``docs``: CI (scripts/test) runs it; the fast tier (scripts/test --fast) leaves it
out, since running the guide reads the whole demo."""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PLACEHOLDER_URL = "postgresql+psycopg://user:password@host/dbname"
WORLDS = ("repo", "guide", "guide-loaded", "demo")
DIRECTIVE = re.compile(r"^ {0,3}<!-- docs-test: (.*?) -->\s*$")
IN_WORLD = re.compile(r"in ([\w-]+)( on postgres)?")
SHOWS = re.compile(r'output of "(.+?)" shows "(.+)"')
FENCE = re.compile(r"^( *)```(\w*)\s*$")
NOT_RUN = re.compile(r"^# not run by the docs test: \S")
EXIT_STATUS = re.compile(r"#.*\bexit status (\d+)")
TIMEOUT = 600  # seconds for one command: the slowest read of the demo takes well under

pytestmark = pytest.mark.docs


def _load_script(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


sync_docs = _load_script("sync_docs", ROOT / "scripts" / "sync_docs.py")


# --- Reading a document --------------------------------------------------------------

@dataclass
class Command:
    line: int
    text: str
    status: int = 0  # the exit status its comment expects
    shown: str | None = None  # the output a console block shows (None: not compared)


@dataclass
class Step:
    """One thing to do, in document order: move to a world, run a block, check a figure."""

    line: int
    world: str | None = None
    postgres: bool = False
    commands: list[Command] = field(default_factory=list)
    skipped: str | None = None  # why a block is not run
    check: tuple[str, str] | None = None  # (command, text its output must show)


def _commands(lines: list[str], first: int) -> list[Command]:
    """A ```sh block's commands: one a line, `\\` continuing; comments and blanks left out."""
    out: list[Command] = []
    pending = ""
    for n, line in enumerate(lines, first):
        text = pending + line.strip()
        if text.endswith("\\"):
            pending = text[:-1].rstrip() + " "
            continue
        pending = ""
        if text and not text.startswith("#"):
            status = EXIT_STATUS.search(text)
            out.append(Command(n, text, int(status.group(1)) if status else 0))
    return out


def _console(lines: list[str], first: int) -> list[Command]:
    """A ```console block: commands after `$ `, each followed by the output it shows."""
    illustrative = bool(lines) and lines[0].strip().startswith("# illustrative output")
    out: list[Command] = []
    for n, line in enumerate(lines, first):
        if line.startswith("$ "):
            status = EXIT_STATUS.search(line)
            out.append(Command(n, line[2:].strip(), int(status.group(1)) if status else 0,
                               None if illustrative else ""))
        elif out and not illustrative:
            out[-1].shown += line + "\n"
    return out


def read_steps(document: Path) -> list[Step]:
    """The steps of ``document``: directives in HTML comments and its command blocks."""
    lines = document.read_text(encoding="utf-8").splitlines()
    steps: list[Step] = []
    i = 0
    while i < len(lines):
        directive, fence = DIRECTIVE.match(lines[i]), FENCE.match(lines[i])
        if directive:
            steps.append(_directive(document, i + 1, directive.group(1)))
        elif fence:
            indent, language = fence.groups()
            end = next((j for j in range(i + 1, len(lines))
                        if lines[j].strip() == "```"), len(lines))
            body = [t[len(indent):] for t in lines[i + 1:end]]
            if language in ("sh", "console"):
                skipped = NOT_RUN.match(body[0]) if body else None
                read = _commands if language == "sh" else _console
                steps.append(Step(i + 1, commands=read(body, i + 2),
                                  skipped=body[0] if skipped else None))
            i = end
        i += 1
    return steps


def _name(document: Path) -> str:
    """The document's path from the repository's root (its name, if it is elsewhere)."""
    return str(document.relative_to(ROOT)) if document.is_relative_to(ROOT) else document.name


def _directive(document: Path, line: int, text: str) -> Step:
    where = f"{_name(document)}:{line}"
    world, shows = IN_WORLD.fullmatch(text), SHOWS.fullmatch(text)
    if world and world.group(1) in WORLDS:
        return Step(line, world=world.group(1), postgres=bool(world.group(2)))
    if shows:
        return Step(line, check=(shows.group(1), shows.group(2)))
    raise AssertionError(f"{where}: not a docs-test comment: {text!r} "
                         f"(worlds: {', '.join(WORLDS)}; see docs/tested-docs.md)")


def documents() -> list[Path]:
    docs = sorted(p for p in (ROOT / "docs").rglob("*.md") if p.name != "cli.md")
    return docs + sorted((ROOT / "examples").glob("*/README.md"))


# --- Running it ----------------------------------------------------------------------

def bare(command: str) -> str:
    """A command without its trailing comment (a # after a blank, outside quotes), as a
    check names it."""
    for blank in re.finditer(r"\s#", command):
        head = command[:blank.start()]
        if head.count('"') % 2 == 0 and head.count("'") % 2 == 0:
            return head.rstrip()
    return command


def squeeze(text: str) -> str:
    return " ".join(text.split())


def matches(shown: str, printed: str) -> bool:
    """Does the output a document shows match what was printed? Runs of blanks count as
    one space, and a line `...` stands for anything."""
    parts = [squeeze(p) for p in re.split(r"^\.\.\.$", shown, flags=re.M)]
    pattern = ".*?".join(re.escape(p) for p in parts)
    return re.fullmatch(pattern, squeeze(printed), flags=re.S) is not None


class Runner:
    """Runs a document's commands one by one in bash, carrying the folder and the
    exported variables from each to the next, as a reader's terminal would."""

    def __init__(self, tmp: Path, demo_db: Path | None, postgres_url: str | None):
        self.tmp, self.demo_db, self.postgres_url = tmp, demo_db, postgres_url
        self.bin = tmp / "bin"
        self.bin.mkdir(parents=True)
        for name, target in (("stocktake", f"{shlex.quote(sys.executable)} -m stocktake"),
                             ("python", shlex.quote(sys.executable))):
            (self.bin / name).write_text(f'#!/bin/sh\nexec {target} "$@"\n')
            (self.bin / name).chmod(0o755)
        self.state = tmp / "state.sh"
        self.outputs: dict[str, str] = {}
        self.worlds = 0

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("STOCKTAKE_")}
        src = str(ROOT / "src")
        env.update(PATH=f"{self.bin}{os.pathsep}{env.get('PATH', '')}", COLUMNS="80",
                   PYTHONPATH=os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")])),
                   NO_COLOR="1", TERM="dumb")
        return env

    def enter(self, world: str, postgres: bool) -> None:
        """A fresh folder holding ``world``, and the terminal moved into it."""
        self.worlds += 1
        folder = self.tmp / f"{self.worlds}-{world}"
        if world in ("repo", "demo"):
            shutil.copytree(ROOT / "examples", folder / "examples")
            shutil.copytree(ROOT / "tests" / "fixtures" / "small_model",
                            folder / "tests" / "fixtures" / "small_model")
        else:
            shutil.copytree(ROOT / "examples" / "guide", folder)
        if world == "demo":
            shutil.copyfile(self.demo_db, folder / "stocktake.db")
        self.state.write_text(f"cd {shlex.quote(str(folder))}\n")
        if postgres:
            _empty_postgres(self.postgres_url)
        if world == "guide-loaded":
            for command in ('stocktake load model/ --by "Delivery unit analyst"',
                            'stocktake submit data/history.csv --submitter "Ontario data team"'):
                self.run(Command(0, command), "setting up guide-loaded")

    def run(self, command: Command, where: str) -> None:
        text = command.text
        if self.postgres_url:
            text = text.replace(PLACEHOLDER_URL, self.postgres_url)
        script = (f". {shlex.quote(str(self.state))}\n{text}\n__status=$?\n"
                  f"{{ export -p; echo \"cd $(printf %q \"$PWD\")\"; }} > "
                  f"{shlex.quote(str(self.state))}\nexit $__status\n")
        done = subprocess.run(["bash", "-c", script], env=self.environment(), text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, timeout=TIMEOUT)
        printed = done.stdout
        said = f"{where}: `{command.text}`"
        tail = "\n".join(printed.splitlines()[-30:])
        assert done.returncode == command.status, (
            f"{said} exited with status {done.returncode}, not {command.status}:\n{tail}")
        assert "Traceback (most recent call last)" not in printed, f"{said} crashed:\n{tail}"
        assert "as of None" not in printed, f"{said} printed 'as of None':\n{tail}"
        if command.shown is not None:
            assert matches(command.shown, printed), (
                f"{said} printed what the document does not show.\n--- shown ---\n"
                f"{command.shown}--- printed ---\n{printed}")
        self.outputs[bare(command.text)] = printed


def _empty_postgres(url: str) -> None:
    from stocktake.store.db import drop_everything, open_engine

    engine = open_engine(url, migrate=False)
    drop_everything(engine)
    engine.dispose()


def run_document(document: Path, tmp: Path, demo_db: Path | None,
                 postgres_url: str | None) -> int:
    """Run the blocks of ``document`` (those on PostgreSQL when a URL is given, the others
    when not); how many commands ran."""
    name = _name(document)
    runner = Runner(tmp, demo_db, postgres_url)
    runner.enter("repo", False)
    on_postgres, ran = False, 0
    for step in read_steps(document):
        where = f"{name}:{step.line}"
        if step.world:
            on_postgres = step.postgres
            if on_postgres == bool(postgres_url):
                runner.enter(step.world, on_postgres)
        elif on_postgres != bool(postgres_url):
            continue
        elif step.check:
            command, text = step.check
            assert command in runner.outputs, (
                f"{where}: checks the output of `{command}`, which no block above ran")
            assert squeeze(text) in squeeze(runner.outputs[command]), (
                f"{where}: `{command}` no longer shows {text!r}:\n{runner.outputs[command]}")
        elif not step.skipped:
            for command in step.commands:
                runner.run(command, f"{name}:{command.line}")
                ran += 1
    return ran


def _worlds(document: Path) -> set[tuple[str, bool]]:
    """The worlds a document's commands run in, each with whether it is on PostgreSQL."""
    return {(s.world, s.postgres) for s in read_steps(document) if s.world}


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory, request) -> Path:
    """The demo's database, as `scripts/demo --no-serve` builds it (from pytest's cache when
    the code has not changed: see tests/demo/conftest.py)."""
    demo = _load_script("demo_conftest", ROOT / "tests" / "demo" / "conftest.py")
    path = tmp_path_factory.mktemp("docs-demo") / "stocktake.db"
    demo._sqlite_demo(path, demo._cache_dir(request.config))
    return path


@pytest.mark.parametrize("document", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_command_in_the_docs_runs(document: Path, tmp_path, request):
    demo = (request.getfixturevalue("demo_db")
            if ("demo", False) in _worlds(document) else None)
    run_document(document, tmp_path, demo, None)


@pytest.mark.postgres
@pytest.mark.parametrize("document", [d for d in documents()
                                      if any(pg for _, pg in _worlds(d))],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_the_storage_commands_run_on_postgres(document: Path, tmp_path):
    url = os.environ.get("STOCKTAKE_TEST_POSTGRES_URL") or None
    if url is None:
        pytest.skip("no PostgreSQL: set STOCKTAKE_TEST_POSTGRES_URL (scripts/test does)")
    assert run_document(document, tmp_path, None, url) > 0


# --- The files the docs show ---------------------------------------------------------

def test_every_file_the_docs_show_is_its_example_file():
    stale = sync_docs.stale()
    assert not stale, ("these blocks differ from their files (run python "
                       "scripts/sync_docs.py):\n" + "\n".join(stale))


@pytest.mark.parametrize("document", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_and_csv_block_shows_a_file(document: Path):
    lines = document.read_text(encoding="utf-8").splitlines()
    loose = [f"{document.relative_to(ROOT)}:{i + 1}" for i, line in enumerate(lines)
             if (f := FENCE.match(line)) and f.group(2) in ("yaml", "csv")
             and not (i and sync_docs.INCLUDE.match(lines[i - 1]))]
    assert not loose, f"YAML or CSV blocks not included from examples/: {loose}"


# --- The test tests itself -----------------------------------------------------------

def test_the_reader_finds_commands_statuses_outputs_and_skips(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("<!-- docs-test: in guide -->\n```sh\n# a comment\nstocktake load \\\n"
                   "  model/   # refused: exit status 1\n```\n```console\n$ echo hi\nhi\n```\n"
                   "```sh\n# not run by the docs test: serves forever\nstocktake serve\n```\n"
                   '<!-- docs-test: output of "echo hi" shows "hi" -->\n')
    steps = read_steps(doc)
    assert [s.world for s in steps] == ["guide", None, None, None, None]
    assert [(c.text, c.status) for c in steps[1].commands] == [
        ("stocktake load model/   # refused: exit status 1", 1)]
    assert steps[2].commands[0].shown == "hi\n" and steps[3].skipped
    assert steps[4].check == ("echo hi", "hi")
    assert bare(steps[1].commands[0].text) == "stocktake load model/"
    assert bare("stocktake nowcast X   # the headline's next periods") == "stocktake nowcast X"
    assert bare('stocktake spc-rebase X --reason "# 3"') == 'stocktake spc-rebase X --reason "# 3"'
    doc.write_text("<!-- docs-test: in nowhere -->\n")
    with pytest.raises(AssertionError, match="not a docs-test comment"):
        read_steps(doc)


def test_shown_output_matches_with_blanks_squeezed_and_ellipses():
    assert matches("a  b\nc\n", "a b c\n")
    assert matches("Status\n...\nData as of\n", "Status\nx\ny\nData as of\n")
    assert not matches("a b\n", "a b c\n") and not matches("a\n...\nz\n", "a b c\n")


def test_a_failing_command_fails_with_where_and_what(tmp_path):
    doc = tmp_path / "broken.md"
    doc.write_text("```sh\nstocktake priorities --unknown-option\n```\n")
    with pytest.raises(AssertionError, match=r"broken.md:2: `stocktake priorities "
                                              r"--unknown-option` exited with status 2"):
        run_document(doc, tmp_path / "run", None, None)
