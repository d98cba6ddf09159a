"""Copy the example files the docs show into the docs, so the two cannot drift.

A markdown file names the file a code block shows on the line just above the block:

    <!-- include: examples/guide/model/units.csv -->
    ```csv
    ...the file's text, refreshed by this script...
    ```

The path is from the repository's root; the block may be indented (inside a list item)
and is re-indented to match. GitHub shows plain markdown, so the text has to be in the
.md file: this script writes it there, and tests/test_docs_run.py fails while any block
differs from its file.

    python scripts/sync_docs.py           # refresh every included block
    python scripts/sync_docs.py --check   # list the stale blocks; exit 1 if there are any
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INCLUDE = re.compile(r"^\s*<!-- include: (\S+) -->\s*$")
FENCE = re.compile(r"^(\s*)```")


@dataclass(frozen=True)
class Included:
    """One code block that shows a file: where it is, and what it should hold."""

    document: Path
    line: int  # 1-based line of the include marker
    closing: int  # 0-based index of the block's closing ``` line
    source: str  # the file's path from the repository root
    shown: str  # the block's text as the document has it
    wanted: str  # the file's text, indented as the block is


def documents(root: Path = ROOT) -> list[Path]:
    """The markdown files that may include example files: docs/ and the examples' READMEs."""
    return sorted((root / "docs").rglob("*.md")) + sorted((root / "examples").glob("*/README.md"))


def includes(document: Path, root: Path = ROOT) -> Iterator[Included]:
    """Every include marker of ``document`` with the block below it; a marker that is not
    followed by a code block, or names a missing file, is an error."""
    lines = document.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        marker = INCLUDE.match(line)
        if not marker:
            continue
        where = f"{document.relative_to(root)}:{i + 1}"
        opening = FENCE.match(lines[i + 1]) if i + 1 < len(lines) else None
        if not opening:
            raise ValueError(f"{where}: an include marker must be followed by a ``` block")
        end = next((j for j in range(i + 2, len(lines))
                    if lines[j].strip() == "```"), None)
        if end is None:
            raise ValueError(f"{where}: the code block is never closed")
        source = root / marker.group(1)
        if not source.is_file():
            raise ValueError(f"{where}: {marker.group(1)} does not exist")
        indent = opening.group(1)
        wanted = [indent + t if t else "" for t in source.read_text(encoding="utf-8").splitlines()]
        yield Included(document, i + 1, end, marker.group(1), "\n".join(lines[i + 2:end]),
                       "\n".join(wanted))


def synced(document: Path, root: Path = ROOT) -> str:
    """The text of ``document`` with every included block refreshed from its file."""
    lines = document.read_text(encoding="utf-8").splitlines(keepends=True)
    for inc in sorted(includes(document, root), key=lambda x: -x.line):
        # inc.line is the 0-based index of the opening fence, just below the marker
        lines[inc.line + 1:inc.closing] = [t + "\n" for t in inc.wanted.split("\n")]
    return "".join(lines)


def stale(root: Path = ROOT) -> list[str]:
    """``document:line: file`` for every block that differs from the file it shows."""
    return [f"{inc.document.relative_to(root)}:{inc.line}: {inc.source}"
            for doc in documents(root) for inc in includes(doc, root) if inc.shown != inc.wanted]


def main(argv: list[str]) -> int:
    try:
        if "--check" in argv:
            found = stale()
            for line in found:
                print(f"{line} differs from the file (run python scripts/sync_docs.py)")
            return 1 if found else 0
        for doc in documents():
            text = synced(doc)
            if text != doc.read_text(encoding="utf-8"):
                doc.write_text(text, encoding="utf-8")
                print(f"refreshed {doc.relative_to(ROOT)}")
    except ValueError as exc:
        print(f"sync_docs.py: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
