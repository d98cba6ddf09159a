"""The domain's sentences in a document's, a page's or an e-mail's language: one builder of
the ``text.Language`` they are written in, for every catalogue domain of delivery/locale (the
chains' and plans' ``chains_plans``, the ``questions`` from the data, the ``reminders``), each
with the catalogue of its domain and the locale's numbers, plural rule and long days."""

from __future__ import annotations

from functools import cache

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal

from ..delivery import questions as dq
from ..delivery import reminders as dr
from ..delivery import wording as dw
from ..text import Language
from .locale import BABEL_LOCALES, WRITING, check_lang, compiled, number

# Each domain's English, the messages themselves with the number forms that domain always
# wrote (the questions their own: fixed decimals, thousands separated).
ENGLISH = {dw.DOMAIN: dw.ENGLISH, dq.DOMAIN: dq.ENGLISH, dr.DOMAIN: dw.ENGLISH}


@cache
def wording(lang: str, domain: str = dw.DOMAIN) -> Language:
    """The sentences of catalogue ``domain`` (default the chains' and plans') in ``lang``:
    English as they always were, or French by Canadian conventions (1 234,5; a count of
    1,5 points takes the singular; lundi 7 décembre 2026)."""
    if domain not in ENGLISH:
        raise ValueError(f"no catalogue domain {domain!r}: {', '.join(ENGLISH)}")
    if check_lang(lang) == "en":
        return ENGLISH[domain]
    locale = BABEL_LOCALES[lang]
    words = compiled(dw.CATALOGUES / lang / "LC_MESSAGES" / f"{domain}.po", locale)
    plural_form = Locale.parse(locale).plural_form

    def in_words(value: float, decimals: int | None = None) -> str:
        if decimals is None:  # as many decimals as it has (English writes it :g)
            return format_decimal(value, format="#,##0.######", locale=locale)
        return number(value, lang, decimals)

    return Language(words=words, number=in_words,
                    singular=lambda x: plural_form(abs(x)) == "one",
                    long_day=lambda day: format_date(day, "EEEE d MMMM y", locale=locale))


def writing() -> Language:
    """The chains' and plans' wording of the language being written (reports.locale.
    writing_in)."""
    return wording(WRITING.get())
