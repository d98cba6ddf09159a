"""The language the domain's sentences are written in (issue #18): a ``text.Language``, the
one object for how a language says things: its catalogue (gettext), how it writes a number,
whether a (fractional) count takes the singular, and how it writes a long day.

The domain writes finished sentences: the delivery chain's summary, the plan's checks and
changes (catalogue domain ``chains_plans``), the questions from the data (``questions``)
and the reminders by e-mail (``reminders``), each domain a catalogue under ``locale/<lang>/
LC_MESSAGES/<domain>.po``. A shell that shows them in French passes a French ``Language``,
built by the one function reports.wording.wording(lang, domain). The default,
``ENGLISH``, is the messages themselves with Python's own number forms, so an English
output is what it always was.
"""

from __future__ import annotations

from pathlib import Path

from ..text import ENGLISH, Language  # noqa: F401 (the domain's names for them)

# The catalogues of the domain's sentences, one .po per language and domain beside each
# domain's .pot (delivery/locale): chains.py's and plans.py's are DOMAIN; questions.py and
# reminders.py keep their own domains there.
CATALOGUES = Path(__file__).parent / "locale"
DOMAIN = "chains_plans"


def N_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """Marks a message for `pybabel extract`; translated where it is used."""
    return message
