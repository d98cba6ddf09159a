"""One error for every delivery document (plan, chain, assessment, stocktake): all the
problems found at once, each with the path of the field it is about."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import Invalid, TextProblem
from ..text import Text
from .wording import DOMAIN


def problem_at(path: str, message: str, **values: Any) -> TextProblem:
    """``path: message``, the message (marked N_ where it is written) kept as a Text of the
    chains' and plans' catalogue, so that a page can say it again in its language."""
    return TextProblem.at(path, Text.in_catalogue(DOMAIN, message, **values))


class DeliveryError(Invalid):
    """Raised with every problem found, e.g. ``interventions[2].owner: required``: each
    problem's ``where`` is its field path. The problems still compare and read as their text
    (``TextProblem``), as the delivery forms of the web read them."""

    def __init__(self, problems: str | Sequence[str], *, source: str | None = None):
        texts = [problems] if isinstance(problems, str) else list(problems)
        # A TextProblem made with its message as a Text (TextProblem.at) stays one, and a
        # Text is a problem of the whole document (no path), for a page to say again.
        super().__init__([p if isinstance(p, TextProblem) else TextProblem.at("", p)
                          if isinstance(p, Text) else TextProblem(str(p)) for p in texts],
                         source=source)
