"""The language the delivery chain's summary and the plan's checks and changes are written
in (issue #18): a catalogue (gettext) and how a number is written.

The domain writes finished sentences; a shell that shows them on a French page or in a
French document passes a French ``Wording`` (services.routines.chains.worded_in builds
it from this package's catalogue, ``locale/<lang>/LC_MESSAGES/chains_plans.po``). The
default, ``ENGLISH``, is the messages themselves with Python's own number forms, so an
English output is what it always was.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The catalogue of chains.py's and plans.py's sentences, one .po per language beside the
# .pot (delivery/locale); reminders.py keeps its own domain there.
CATALOGUES = Path(__file__).parent / "locale"
DOMAIN = "chains_plans"


def english_number(value: float, decimals: int | None = None) -> str:
    """A number as the English sentences always wrote it: ``:g``, or ``decimals`` fixed."""
    return f"{value:g}" if decimals is None else f"{value:.{decimals}f}"


def N_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """Marks a message for `pybabel extract`; translated where it is used."""
    return message


@dataclass(frozen=True)
class Wording:
    """A catalogue, a number format and whether a (fractional) count takes the singular;
    ``say`` and ``count`` fill a message's ``%(name)s`` placeholders (``count`` chooses
    the plural form by ``num``). The questions from the data (delivery.questions) are
    written in one too, with their own English number forms."""

    words: gettext.NullTranslations = field(default_factory=gettext.NullTranslations)
    number: Callable[[float, int | None], str] = english_number
    singular: Callable[[float], bool] = lambda x: x == 1

    def say(self, message: str, **values: Any) -> str:
        return self.words.gettext(message) % values

    def count(self, one: str, many: str, num: int, **values: Any) -> str:
        return self.words.ngettext(one, many, num) % {"num": num, **values}


ENGLISH = Wording()
