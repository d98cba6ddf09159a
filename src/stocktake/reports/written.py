"""The figures, dates and words of the office documents (PowerPoint and Word) in the
language being written (locale.writing_in): in English, ``formatting``'s own functions, so
that an English document is written as before; in another language, ``locale``'s by the
locale's rules (1 234,5; 6 décembre 2026; 42 %)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import formatting, locale
from .said import said_in


def _lang() -> str:
    return locale.WRITING.get()


def number(value: Any, decimals: int | None = None) -> str:
    lang = _lang()
    return formatting.number(value, decimals) if lang == "en" else locale.number(
        value, lang, decimals)


def signed(value: Any, decimals: int | None = None) -> str:
    lang = _lang()
    return formatting.signed(value, decimals) if lang == "en" else locale.signed(
        value, lang, decimals)


def percent(value: Any, decimals: int = 0) -> str:
    lang = _lang()
    return formatting.percent(value, decimals) if lang == "en" else locale.percent(
        value, lang, decimals)


def pct(text: str) -> str:
    """A figure already written followed by %: 10.8% in English, 10,8 % in French."""
    return f"{text}%" if _lang() == "en" else f"{text}\u00a0%"


def _in_writing(english: Callable[[Any], str], other: Callable[[Any, str], str]
                ) -> Callable[[Any], str]:
    """One value written by ``formatting`` in English, else by ``locale`` in the language."""
    def write(value: Any) -> str:
        lang = _lang()
        return english(value) if lang == "en" else other(value, lang)
    return write


day = _in_writing(formatting.day, locale.day)
when = _in_writing(formatting.when, locale.when)
status_word = _in_writing(formatting.status_word, locale.status_word)
likelihood_word = _in_writing(formatting.likelihood_word, locale.likelihood_word)
icon_word = _in_writing(formatting.icon_word, locale.icon_word)
lead_evidence = _in_writing(formatting.lead_evidence, locale.lead_evidence)


def change(value: Any, unit_of_measure: str | None = None, decimals: int | None = None
           ) -> str:
    lang = _lang()
    return (formatting.change(value, unit_of_measure, decimals) if lang == "en"
            else locale.change(value, unit_of_measure, decimals, lang))


def difference(value: Any, unit_of_measure: str | None = None, decimals: int | None = None,
               with_unit: bool = False) -> str:
    lang = _lang()
    return (formatting.difference(value, unit_of_measure, decimals, with_unit)
            if lang == "en" else locale.difference(value, unit_of_measure, decimals,
                                                    with_unit, lang=lang))


def word(text: str) -> str:
    """A word received as data (a status, a question of the routine), translated."""
    return locale.translations(_lang()).gettext(text) if text else text


def said(text: str) -> str:
    """A sentence received as data (a Text: an assessment's disagreement), said again in
    the language being written; any other text as it is."""
    return said_in(text, _lang())
