"""The colours and font of the office documents (PowerPoint and Word): a government's own,
named in the model folder (``theme.yaml``, optional, beside units.csv) or in a file given
with ``--theme``; the defaults below without either.

A theme names any of the fields, each colour as ``#RRGGBB``::

    font: Arial
    primary: "#0b3d62"     # titles, the trajectory line, table headers
    actual: "#1b1f24"      # the actual line
    forecast: "#5a6470"    # the forecast line, notes and footers
    ok: "#00703c"          # on track, met
    warn: "#e46c0a"        # a concern
    bad: "#de1b1b"         # off track, missed

Pure: the text of the file in, a Theme or every problem with its field out; the callers
read the file and say where the problems are.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import yaml

from .safe_yaml import safe_load

THEME_FILE = "theme.yaml"  # optional, in the model folder
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class Theme:
    """A document's colours (``#RRGGBB``) and font."""

    font: str = "Calibri"
    primary: str = "#0b3d62"
    actual: str = "#1b1f24"
    forecast: str = "#5a6470"
    ok: str = "#00703c"
    warn: str = "#e46c0a"
    bad: str = "#de1b1b"

    def rgb(self, name: str) -> tuple[int, int, int]:
        """One of the colours as red, green and blue (0 to 255)."""
        value = getattr(self, name).lstrip("#")
        return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)

    def status_colour(self, status: str | None) -> str:
        """The field that colours a status: good news, bad news, or neither."""
        if status in ("on_track", "ahead", "met"):
            return "ok"
        if status in ("off_track", "missed"):
            return "bad"
        return "forecast"

    def to_json(self) -> str:
        """The theme as JSON, as the store keeps it (every field, sorted)."""
        return json.dumps(asdict(self), sort_keys=True)


DEFAULT_THEME = Theme()


class ThemeProblems(Exception):
    """A theme's problems: (field or None, message) each, to be placed by the caller."""

    def __init__(self, problems: list[tuple[str | None, str]]) -> None:
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


def parse_theme(text: str) -> Theme:
    """The theme in the text of a YAML file, over the defaults. ThemeProblems, with every
    problem, for text that is not YAML, not a mapping, or names an unknown field or a
    colour that is not #RRGGBB."""
    try:
        data = safe_load(text)
    except yaml.YAMLError as exc:
        raise ThemeProblems([(None, f"is not YAML: {exc}")]) from None
    return theme_from_mapping(data)


def theme_from_mapping(data: Any) -> Theme:
    """The theme in a mapping of field: value (a parsed file, or the store's JSON)."""
    if not isinstance(data, dict):
        raise ThemeProblems([(None, "must be a mapping of field: value")])
    known = {f.name for f in fields(Theme)}
    problems: list[tuple[str | None, str]] = []
    for key, value in data.items():
        if key not in known:
            problems.append((None, f"'{key}' is not a theme field (fields: "
                                   f"{', '.join(sorted(known))})"))
        elif not isinstance(value, str) or not value.strip():
            problems.append((key, f"'{key}' must be text, not {value!r}"))
        elif key != "font" and not _COLOUR.fullmatch(value):
            problems.append((key, f"'{key}' is {value!r}: write a colour as #RRGGBB"))
    if problems:
        raise ThemeProblems(problems)
    return replace(DEFAULT_THEME, **{k: v.strip() for k, v in data.items()})
