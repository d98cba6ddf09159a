"""The language the domain's sentences are written in (issue #18): a catalogue (gettext),
how a number is written, whether a (fractional) count takes the singular, and how a long
day is written.

The domain writes finished sentences: the delivery chain's summary, the plan's checks and
changes (catalogue domain ``chains_plans``), the questions from the data (``questions``)
and the reminders by e-mail (``reminders``), each domain a catalogue under ``locale/<lang>/
LC_MESSAGES/<domain>.po``. A shell that shows them in French passes a French ``Wording``,
built by the one function reports.wording.wording(lang, domain). The default,
``ENGLISH``, is the messages themselves with Python's own number forms, so an English
output is what it always was.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

# The catalogues of the domain's sentences, one .po per language and domain beside each
# domain's .pot (delivery/locale): chains.py's and plans.py's are DOMAIN; questions.py and
# reminders.py keep their own domains there.
CATALOGUES = Path(__file__).parent / "locale"
DOMAIN = "chains_plans"


def english_number(value: float, decimals: int | None = None) -> str:
    """A number as the English sentences always wrote it: ``:g``, or ``decimals`` fixed."""
    return f"{value:g}" if decimals is None else f"{value:.{decimals}f}"


def english_day(day: date) -> str:
    """A day written long, as the English reminders always wrote it: Monday 07 December 2026."""
    return f"{day:%A %d %B %Y}"


def N_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """Marks a message for `pybabel extract`; translated where it is used."""
    return message


@dataclass(frozen=True)
class Wording:
    """A catalogue, a number format, whether a (fractional) count takes the singular and a
    long day's form; ``say`` and ``count`` fill a message's ``%(name)s`` placeholders
    (``count`` chooses the plural form by ``num``). The questions from the data
    (delivery.questions) are written in one too, with their own English number forms, and
    so are the reminders (delivery.reminders), which write a meeting's day long."""

    words: gettext.NullTranslations = field(default_factory=gettext.NullTranslations)
    number: Callable[[float, int | None], str] = english_number
    singular: Callable[[float], bool] = lambda x: x == 1
    long_day: Callable[[date], str] = english_day

    def say(self, message: str, **values: Any) -> str:
        return self.words.gettext(message) % values

    def count(self, one: str, many: str, num: int, **values: Any) -> str:
        return self.words.ngettext(one, many, num) % {"num": num, **values}


ENGLISH = Wording()
