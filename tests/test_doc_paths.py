"""Every repository path the code and the docs cite exists: a docstring or comment in src/
that says "see docs/methods/spc.md", a link in README.md or docs/, must lead somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "src" / "stocktake"

# A cited path starts with a folder of the repository (docs/methods/spc.md) or of the
# package (analysis/ets.py, as the docs say); other slashed names in prose are URLs or
# examples (api/v1/openapi.json, returns/ontario-2025-03.csv), not citations.
TOP = ("docs", "src", "tests", "examples", "benchmarks", "scripts")
CITED = re.compile(r"(?<![\w./-])((?:[\w-]+/)+[\w.-]*\w)")
BARE_MD = re.compile(r"(?<![\w./-])([\w-]+\.md)\b")  # DESIGN.md, statistics.md
MD_LINK = re.compile(r"\]\(([^)\s]+)\)")


def cited_paths(text: str) -> set[str]:
    """The repository paths a text cites: slashed paths from a known folder, and bare
    markdown file names."""
    found = set()
    for m in CITED.finditer(text):
        path = m.group(1).rstrip(".")
        first = path.split("/")[0]
        if first in TOP or (PACKAGE / first).is_dir():
            found.add(path)
    found.update(m.group(1) for m in BARE_MD.finditer(text))
    return found


def resolves(path: str, here: Path | None = None) -> bool:
    """Does ``path`` name something in the repository: from the root, from the package
    (analysis/ets.py), or, for a bare .md name, at the root or under docs/?"""
    if "/" not in path:
        return (ROOT / path).exists() or any((ROOT / "docs").rglob(path))
    bases = [ROOT, PACKAGE] + ([here] if here is not None else [])
    for base in bases:
        target = base / path
        if target.exists() or (not target.suffix and target.with_suffix(".py").exists()):
            return True
    return False


def link_target(link: str) -> str | None:
    """The local file a markdown link points at, without its #anchor; None for a URL or a
    link within the page."""
    if re.match(r"[a-z]+:", link) or link.startswith("#"):
        return None
    return link.split("#")[0]


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*") if p.suffix in (".py", ".html"))


def _documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


@pytest.mark.parametrize("source", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_path_the_code_cites_exists(source: Path):
    missing = sorted(p for p in cited_paths(source.read_text()) if not resolves(p))
    assert not missing, f"{source.relative_to(ROOT)} cites paths that do not exist: {missing}"


@pytest.mark.parametrize("document", _documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_and_path_in_the_docs_exists(document: Path):
    text = document.read_text()
    if document.name == "cli.md":  # generated from --help (test_docs.py keeps it in sync)
        return
    links = {t for t in map(link_target, MD_LINK.findall(text)) if t}
    missing = sorted({link for link in links if not (document.parent / link).exists()}
                     | {p for p in cited_paths(text) - links if not resolves(p, document.parent)})
    assert not missing, f"{document.relative_to(ROOT)} cites paths that do not exist: {missing}"


def test_the_checker_finds_what_is_missing_and_passes_what_is_there():
    cited = cited_paths("See docs/methods/spc.md, DESIGN.md and analysis/ets.py; "
                        "GET api/v1/openapi.json; https://example.org/docs/x.md")
    assert {"docs/methods/spc.md", "DESIGN.md", "analysis/ets.py"} <= cited
    assert "api/v1/openapi.json" not in cited
    assert resolves("docs/methods/spc.md") and resolves("analysis/ets.py")
    assert not resolves("DESIGN.md") and not resolves("docs/methods/nowhere.md")
    assert link_target("methods/spc.md#references") == "methods/spc.md"
    assert link_target("https://example.org") is None and link_target("#top") is None
