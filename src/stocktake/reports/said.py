"""The analysis' sentences (alert explanations and their SPC evidence: text.Text, called
``Sentence`` there) and the alerts' own words in a document's or a page's language: a
``text.Language`` with the French of the ``alerts`` catalogue (analysis/locale/<lang>/
LC_MESSAGES/alerts.po), numbers by the locale's rules (Babel) and the model's names in that
language. English is text.ENGLISH: the sentences as they always were."""

from __future__ import annotations

import gettext as _gettext
from functools import cache
from pathlib import Path

from babel.numbers import format_decimal

from ..analysis import wording as aw
from ..model.entities import DeliveryModel
from ..text import ENGLISH, Language, Named, plural, said
from .locale import BABEL_LOCALES, check_lang, compiled, number, percent
from .wording import wording

CATALOGUES = Path(aw.__file__).parent / "locale"


@cache
def catalogue(lang: str) -> _gettext.NullTranslations:
    """The ``alerts`` catalogue of ``lang``, compiled in memory (English: the messages)."""
    if check_lang(lang) == "en":
        return _gettext.NullTranslations()
    return compiled(CATALOGUES / lang / "LC_MESSAGES" / f"{aw.DOMAIN}.po", BABEL_LOCALES[lang])


def mid_sentence(name: str) -> str:
    """A name as it reads mid-sentence ("Violent reports" -> "violent reports"; an acronym
    such as "ED waits" stays)."""
    return name[0].lower() + name[1:] if name[1:2].islower() else name


def said_in(text: str, lang: str) -> str:
    """``text`` in ``lang`` where it is an analysis sentence (a chart's reading note or
    method); any other text as it is."""
    return said(text, language(lang))


def language(lang: str, model: DeliveryModel | None = None) -> Language:
    """How the analysis' sentences are said in ``lang``: English as they are; French with
    the catalogue, 1 234,5 and 46 %, and the units, indicators and levels by their French names
    (from ``model``, the English where it has none)."""
    if check_lang(lang) == "en":
        return ENGLISH

    def named(n: Named) -> str:
        if model is None:
            return n.english
        if n.kind == "unit" and n.code in model.units:
            return model.units[n.code].name_in(lang)
        if n.kind == "indicator" and n.code in model.indicators:
            return mid_sentence(model.indicators[n.code].name_in(lang))
        if n.kind == "level":
            return model.level_in(n.code, lang)
        if n.kind == "levels":  # every unit of a level: "les 13 provinces"
            return plural(model.level_in(n.code, lang), lang)
        return n.english

    return Language(
        words=catalogue(lang),
        figure=lambda f: number(f.value, lang, f.decimals),
        percent=lambda p: percent(p.value, lang),
        signed=lambda s: ("+" if s.value > 0 else "−" if s.value < 0 else "")
        + number(abs(s.value), lang, 1),
        whole=lambda n: number(n, lang, 0),
        # a figure by its Babel pattern ("@###": four significant figures, as .4g writes it)
        number_form=lambda n: format_decimal(n.value, format=n.pattern,
                                             locale=BABEL_LOCALES[lang]),
        named=named,
        # a domain's sentence (delivery's, Text.in_catalogue) from its catalogue
        catalogues=lambda domain: wording(lang, domain).words)
