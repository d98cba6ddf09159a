"""Reading delivery documents (plans, chains, assessments, stocktakes) from YAML files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ...delivery.errors import DeliveryError
from ...model.safe_yaml import safe_load


def read_yaml(path: str | Path) -> Any:
    """The parsed document, or a DeliveryError naming the file (and line) that is wrong."""
    p = Path(path)
    if not p.is_file():
        raise DeliveryError(f"no such file: {p}")
    try:
        return safe_load(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise DeliveryError(f"not UTF-8 text: {exc}", source=str(p)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise DeliveryError(f"{where}not valid YAML ({problem})", source=str(p)) from None


def load_document(source: Path | Any) -> tuple[Any, str | None]:
    """A document from a file (a ``Path``: only the command line names files), or one given
    already parsed (the web, the API, the demo); with its file name for errors. A plain
    string is a document, never a path: text typed into a form cannot open a file."""
    if isinstance(source, Path):
        return read_yaml(source), str(source)
    return source, None
