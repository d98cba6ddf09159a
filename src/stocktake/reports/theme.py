"""The colours and font of the office documents (PowerPoint and Word): a government's own,
read from a small YAML file (``--theme FILE``), or the defaults below.

A theme file names any of the fields, each colour as ``#RRGGBB``::

    font: Arial
    primary: "#0b3d62"     # titles, the trajectory line, table headers
    actual: "#1b1f24"      # the actual line
    forecast: "#5a6470"    # the forecast line, notes and footers
    ok: "#00703c"          # on track, met
    warn: "#e46c0a"        # a concern
    bad: "#de1b1b"         # off track, missed
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from pathlib import Path

import yaml

from ..errors import Invalid, Problem

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


DEFAULT_THEME = Theme()


def load_theme(path: str | Path | None) -> Theme:
    """The theme in a YAML file, over the defaults; the defaults without a file. Invalid,
    with every problem and where, for a file that is missing, not YAML, or names an unknown
    field or a colour that is not #RRGGBB."""
    if path is None:
        return DEFAULT_THEME
    where = f"--theme {path}"
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise Invalid(Problem(f"cannot be read: {exc.strerror or exc}", where)) from None
    except yaml.YAMLError as exc:
        raise Invalid(Problem(f"is not YAML: {exc}", where)) from None
    if not isinstance(data, dict):
        raise Invalid(Problem("must be a mapping of field: value", where))
    known = {f.name for f in fields(Theme)}
    problems = []
    for key, value in data.items():
        if key not in known:
            problems.append(Problem(f"'{key}' is not a theme field (fields: "
                                    f"{', '.join(sorted(known))})", where))
        elif not isinstance(value, str) or not value.strip():
            problems.append(Problem(f"'{key}' must be text, not {value!r}", where))
        elif key != "font" and not _COLOUR.fullmatch(value):
            problems.append(Problem(f"'{key}' is {value!r}: write a colour as #RRGGBB", where))
    if problems:
        raise Invalid(problems)
    return replace(DEFAULT_THEME, **{k: v.strip() for k, v in data.items()})
