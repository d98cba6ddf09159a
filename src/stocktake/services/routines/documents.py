"""Reading delivery documents (plans, chains, assessments, stocktakes) from YAML files, or
taking them already parsed (the web, the API, the demo), never deeper than MAX_DEPTH; and
placing their missing French translations at file, line and key."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from ...delivery.errors import DeliveryError
from ...errors import N_, Invalid, Problem, Text
from ...model.safe_yaml import safe_load

# Lists and mappings inside each other: a plan needs four levels. The checks that read a
# document recurse, so a document nested ~1,000 deep would end in a RecursionError.
MAX_DEPTH = 100


def read_yaml(path: str | Path) -> Any:
    """The parsed document, or a DeliveryError naming the file (and line) that is wrong."""
    p = Path(path)
    if not p.is_file():
        raise DeliveryError(Text(N_("no such file: %(path)s"), path=str(p)))
    try:
        return safe_load(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise DeliveryError(Text(N_("not UTF-8 text: %(why)s"), why=str(exc)),
                            source=str(p)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = Text(N_("line %(line)s: "), line=str(mark.line + 1)) if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise DeliveryError(Text(N_("%(where)snot valid YAML (%(problem)s)"), where=where,
                                 problem=problem), source=str(p)) from None


def depth(document: Any) -> int:
    """How many lists and mappings deep ``document`` goes (0 for a plain value); counted
    without recursion, and stopping once past MAX_DEPTH."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict | list | tuple):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                break
            items = value.values() if isinstance(value, dict) else value
            stack.extend((v, level + 1) for v in items)
    return deepest


def load_document(source: Path | Any) -> tuple[Any, str | None]:
    """A document from a file (a ``Path``: only the command line names files), or one given
    already parsed (the web, the API, the demo); with its file name for errors. A plain
    string is a document, never a path: text typed into a form cannot open a file."""
    raw, name = (read_yaml(source), str(source)) if isinstance(source, Path) else (source,
                                                                                   None)
    if depth(raw) > MAX_DEPTH:
        raise DeliveryError(Text(N_("the document is nested more than %(depth)s levels deep "
                                    "(lists or mappings inside each other): no delivery "
                                    "document is"), depth=str(MAX_DEPTH)), source=name)
    return raw, name


def item_lines(path: Path) -> dict[str, int]:
    """The line of each item of a document's top-level lists, by its path (``risks[1]``:
    14), so that a problem found after parsing can still say where it is."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):  # read once already: not expected
        return {}
    if not isinstance(root, yaml.MappingNode):
        return {}
    return {f"{key.value}[{n}]": item.start_mark.line + 1
            for key, value in root.value if isinstance(value, yaml.SequenceNode)
            for n, item in enumerate(value.value)}


def french_warnings(missing: Sequence[tuple[str, str, str]], *, holds_french: bool,
                    kind: str, source: Path | Any, name: str | None,
                    require_languages: Sequence[str]) -> tuple[Problem, ...] | None:
    """Each item of a document lacking its French (``missing``: path, code, French key, as
    delivery's ``missing_french`` lists them), at its file, line and key. With "fr" in
    ``require_languages`` they are one Invalid; else they are warnings once the document
    holds any French (issue #18, as for the model's files); None: nothing to warn about."""
    lines = item_lines(source) if isinstance(source, Path) and missing else {}
    problems = []
    for path, code, key in missing:
        line = lines.get(path)
        place = f"{name}:{line}: " if name and line else f"{name}: " if name else ""
        problems.append(Problem(Text(N_("%(kind)s '%(code)s' has no French translation "
                                        "(%(key)s)"), kind=Text(kind), code=code, key=key),
                                f"{place}{path}.{key}"))
    if "fr" in require_languages and problems:
        raise Invalid(problems)
    return tuple(problems) if problems and holds_french else None
