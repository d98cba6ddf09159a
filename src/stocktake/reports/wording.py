"""The delivery chain's summary and the plan's checks and changes in a document's or a
page's language: delivery.wording's ``Wording`` with the French of the delivery catalogue
(delivery/locale/<lang>/LC_MESSAGES/chains_plans.po) and numbers by the locale's rules."""

from __future__ import annotations

from functools import cache

from babel.numbers import format_decimal

from ..delivery import wording as dw
from .locale import BABEL_LOCALES, WRITING, check_lang, compiled, number


@cache
def wording(lang: str) -> dw.Wording:
    """The chains' and plans' sentences in ``lang``: English (the messages themselves, as
    they always were) or French (Canadian conventions: 1 234,5)."""
    if check_lang(lang) == "en":
        return dw.ENGLISH
    locale = BABEL_LOCALES[lang]
    words = compiled(dw.CATALOGUES / lang / "LC_MESSAGES" / f"{dw.DOMAIN}.po", locale)

    def in_words(value: float, decimals: int | None = None) -> str:
        if decimals is None:  # as many decimals as it has (English writes it :g)
            return format_decimal(value, format="#,##0.######", locale=locale)
        return number(value, lang, decimals)

    return dw.Wording(words, in_words)


def writing() -> dw.Wording:
    """The wording of the language being written (reports.locale.writing_in)."""
    return wording(WRITING.get())
