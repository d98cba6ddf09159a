"""The office documents' theme (model.theme holds what a theme is) read from a file given
with ``--theme FILE``, which overrides the theme named in the model folder."""

from __future__ import annotations

from pathlib import Path

from ..errors import Invalid, Problem
from ..model.theme import DEFAULT_THEME, Theme, ThemeProblems, parse_theme

__all__ = ["DEFAULT_THEME", "Theme", "load_theme"]


def load_theme(path: str | Path | None, default: Theme = DEFAULT_THEME) -> Theme:
    """The theme in a YAML file, over the defaults; ``default`` (the model's theme, or the
    defaults) without a file. Invalid, with every problem and where, for a file that is
    missing, not YAML, or names an unknown field or a colour that is not #RRGGBB."""
    if path is None:
        return default
    where = f"--theme {path}"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise Invalid(Problem(f"cannot be read: {exc.strerror or exc}", where)) from None
    try:
        return parse_theme(text)
    except ThemeProblems as exc:
        raise Invalid([Problem(message, where) for _, message in exc.problems]) from None
