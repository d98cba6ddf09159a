"""Words that remember how they were made, so that a layer above can say them again in
another language (#18). The bottom of the layers: everything may import it, it imports
nothing of the product.

The product writes its sentences in English, as it always has: a finding, an error's
problem, an alert's explanation, an SPC note. Such a sentence is a ``Text``: the English
string itself (a ``str`` wherever one goes: the CLI, the JSON, the logs) which also keeps
its message, with ``%(name)s`` placeholders (the msgid of a catalogue, marked ``N_`` or the
like where it is written), and its values. A shell that shows it in French says it again in
a ``Language``: the catalogue to translate with (the web's ``messages`` for findings and
errors, web.i18n; the analysis' ``alerts`` for its sentences, reports.said) and how that
language writes numbers, dates and names. A value is a string, a count, a date, another
``Text`` (said again too) or one of the value types below. The same ``Language`` writes the
delivery domain's finished sentences (``say``, ``count``; reports.wording builds them).
"""

from __future__ import annotations

import gettext
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any


def N_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """Marks an English message for `pybabel extract`; translated where it is said."""
    return message


def NP_(one: str, many: str) -> tuple[str, str]:  # noqa: N802 (the gettext convention)
    """Marks a message and its plural for `pybabel extract` (``Text.count`` says them)."""
    return one, many


# -- the values of a text ------------------------------------------------------------------
def plain_figure(value: float) -> str:
    """Thousands separated and no exponent from 1,000 on (29,830, not 2.983e+04); four
    significant figures below."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


@dataclass(frozen=True)
class Figure:
    """A number with its decimals; ``grouped``: thousands separated (1,234) in English."""

    value: float
    decimals: int
    grouped: bool = True


@dataclass(frozen=True)
class Plain:
    """A number as ``plain_figure`` writes it (29,830; 114.1), or as the format ``spec``
    writes it in English ("+,.4g": +1.5), in another language with the same decimals
    (29 830; 114,1; +1,5)."""

    value: float
    spec: str | None = None


@dataclass(frozen=True)
class Number:
    """A number written in English as the message has always had it (``5``, ``0.5``,
    ``1e+06``: ``english``), for a language that writes numbers its own way: by ``pattern``
    (a Babel number pattern, e.g. ``+#,##0.0 %`` for a signed share) or, without one, with
    as many decimals as it has, up to three."""

    value: float
    english: str
    pattern: str | None = None

    def __str__(self) -> str:
        return self.english


def number(value: float) -> Number:
    """``value`` written as ``f"{value:g}"`` in English."""
    return Number(value, f"{value:g}")


@dataclass(frozen=True)
class Percent:
    """A share said as a whole percentage: 0.46 is "46%" in English, "46 %" in French."""

    value: float


@dataclass(frozen=True)
class Signed:
    """A number with its sign and one decimal: "+2.3" (sizes in sigma)."""

    value: float


@dataclass(frozen=True)
class Named:
    """A unit, an indicator or a level named in a text: its English words (as the text says
    them), what it is (``kind``: "unit", "indicator", "level", or "levels": every unit of a
    level, in the plural) and its code, so that
    another language can name it in its own words."""

    kind: str
    code: str
    english: str


def _english_figure(f: Figure) -> str:
    return f"{f.value:,.{f.decimals}f}" if f.grouped else f"{f.value:.{f.decimals}f}"


def english_number(value: float, decimals: int | None = None) -> str:
    """A number in the domain's English sentences, thousands separated: ``decimals`` fixed,
    or six significant figures (``:g``), whole from 100,000 on (never an exponent)."""
    if decimals is not None:
        return f"{value:,.{decimals}f}"
    return f"{value:,.0f}" if abs(value) >= 100_000 else f"{value:,g}"


def plural(word: str, lang: str = "en") -> str:
    """A noun in the plural of ``lang`` (en or fr): a level of units, named by the model in
    the singular, for every unit of it: "countries", "provinces", "régions", "pays"; each
    of two nouns joined by or (ou): "provinces or territories"."""
    for joint in (" or ", " ou "):
        if joint in word:
            return joint.join(plural(part, lang) for part in word.split(joint))
    if lang == "fr":
        if word.endswith(("s", "x", "z")):
            return word
        if word.endswith("al"):
            return word[:-2] + "aux"
        return word + ("x" if word.endswith(("au", "eu")) else "s")
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "i", "o", "u", ""):
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word + "s"


def english_day(day: date) -> str:
    """A day written long, as the English reminders always wrote it: Monday 07 December 2026."""
    return f"{day:%A %d %B %Y}"


# -- a language ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Language:
    """How a language says things: a catalogue (gettext) and how it writes numbers, days and
    names. The default is English: the messages themselves and the forms the product always
    wrote.

    It says a ``Text`` again (``Text.said``), each value by its kind: ``figure``, ``percent``,
    ``signed``, ``whole`` (a count), ``named``, ``number_form`` (a ``Number``), ``day``. And it
    writes the domain's finished sentences (the chains' and plans' summaries, the questions
    from the data, the reminders: built by reports.wording.wording(lang, domain)): ``say`` and
    ``count`` fill a message's ``%(name)s`` placeholders (``count`` chooses the plural form by
    ``num``), with ``number`` (a float with fixed decimals, or as many as it has), whether a
    fractional count takes the singular (``singular``) and a day written long (``long_day``)."""

    words: gettext.NullTranslations = field(default_factory=gettext.NullTranslations)
    figure: Callable[[Figure], str] = _english_figure
    percent: Callable[[Percent], str] = lambda p: f"{p.value * 100:,.0f}%"
    signed: Callable[[Signed], str] = lambda s: f"{s.value:+.1f}"
    whole: Callable[[int], str] = str
    named: Callable[[Named], str] = lambda n: n.english
    number_form: Callable[[Number], str] = str
    day: Callable[[date], str] = str
    # The catalogue of a text made for a named one (Text.in_catalogue); None: none but
    # ``words``, and such a text keeps its English words.
    catalogues: Callable[[str], gettext.NullTranslations] | None = None
    number: Callable[[float, int | None], str] = english_number
    singular: Callable[[float], bool] = lambda x: x == 1
    long_day: Callable[[date], str] = english_day

    def say(self, message: str, **values: Any) -> str:
        """A finished sentence: ``message`` translated, its placeholders filled."""
        return self.words.gettext(message) % values

    def count(self, one: str, many: str, num: int, **values: Any) -> str:
        """A finished sentence whose words follow the count ``num`` (its plural form)."""
        return self.words.ngettext(one, many, num) % {"num": num, **values}

    def words_of(self, domain: str | None) -> gettext.NullTranslations:
        """The catalogue a text of ``domain`` is translated with (None: ``words``)."""
        if domain is None:
            return self.words
        return self.catalogues(domain) if self.catalogues else _NO_WORDS

    def value(self, v: Any) -> str:
        """One value of a text as this language says it."""
        if isinstance(v, Text):
            return v.said(self)
        if isinstance(v, Figure):
            return self.figure(v)
        if isinstance(v, Plain):
            english = plain_figure(v.value) if v.spec is None else format(v.value, v.spec)
            if self is ENGLISH or not english.lstrip("+-").replace(",", "").replace(
                    ".", "").isdigit():  # an exponent, inf or nan is said as it is
                return english
            decimals = len(english.partition(".")[2])
            said = self.figure(Figure(v.value, decimals))
            return "+" + said if english.startswith("+") else said
        if isinstance(v, Number):
            return self.number_form(v)
        if isinstance(v, Percent):
            return self.percent(v)
        if isinstance(v, Signed):
            return self.signed(v)
        if isinstance(v, Named):
            return self.named(v)
        if isinstance(v, date):
            return self.day(v)
        if isinstance(v, int) and not isinstance(v, bool):
            return self.whole(v)
        return str(v)


ENGLISH = Language()
_NO_WORDS = gettext.NullTranslations()


# -- the text --------------------------------------------------------------------------------
class Text(str):
    """English words that keep their message and values (``said`` says them in another
    ``Language``). Made by ``Text(message, **values)`` or, for a message whose words follow
    a count ``num``, ``Text.count(one, many, num, **values)``. Its message is looked up in the
    catalogue the ``Language`` is given, or, made by ``Text.in_catalogue(domain, ...)``, in
    the one of that name, which travels with it. With no values (and no count)
    the message is the text, not %-formatted. Joined to other text it becomes a plain
    ``str``: English in every language, never wrong."""

    message: str
    plural: str | None
    num: int | None
    values: dict[str, Any]
    domain: str | None

    def __new__(cls, message: str, /, **values: Any) -> Text:
        return cls._made(message, None, None, values)

    @classmethod
    def count(cls, one: str, many: str, num: int, /, **values: Any) -> Text:
        return cls._made(one, many, num, values)

    @classmethod
    def in_catalogue(cls, domain: str, message: str, /, **values: Any) -> Text:
        """A text whose message is in catalogue ``domain``, whatever the language that says
        it is given (a delivery error's words, in the domain's own catalogue, on a page)."""
        return cls._made(message, None, None, values, domain)

    @classmethod
    def _made(cls, message: str, plural: str | None, num: int | None,
              values: dict[str, Any], domain: str | None = None) -> Text:
        self = super().__new__(cls, cls._say(message, plural, num, values, None, ENGLISH))
        self.message, self.plural, self.num, self.values = message, plural, num, values
        self.domain = domain
        return self

    @staticmethod
    def _say(message: str, plural: str | None, num: int | None, values: dict[str, Any],
             domain: str | None, language: Language) -> str:
        words = language.words_of(domain)
        text = words.gettext(message) if plural is None else words.ngettext(
            message, plural, num or 0)
        if not values and num is None:
            return text
        given = {k: language.value(v) for k, v in values.items()}
        if num is not None:
            given.setdefault("num", language.whole(num))
        return text % given

    @property
    def template(self) -> str:
        """The message (the name the findings' code knows it by)."""
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:  # copied or pickled with its message and values
        return (Text._made, (self.message, self.plural, self.num, self.values, self.domain))

    def said(self, language: Language = ENGLISH) -> str:
        """The text in ``language`` (in English, the text itself)."""
        if language is ENGLISH:
            return str(self)
        return self._say(self.message, self.plural, self.num, self.values, self.domain,
                         language)

    def capitalised(self, language: Language = ENGLISH) -> str:
        """The text in ``language`` with a capital first letter."""
        text = self.said(language)
        return text[:1].upper() + text[1:]


def joined(between: str, texts: Sequence[str]) -> Text:
    """``texts`` with ``between`` between them, as one Text whose parts (each a Text or
    plain words) are said again in a language: ``"; ".join`` that remembers."""
    if "%" in between:
        raise ValueError(f"a % in {between!r}: it would be read as a placeholder")
    names = [f"part{i}" for i in range(len(texts))]
    return Text(between.join(f"%({n})s" for n in names) or "%(none)s",
                **(dict(zip(names, texts, strict=True)) or {"none": ""}))


def said(text: str, language: Language = ENGLISH) -> str:
    """``text`` in ``language`` if it is a ``Text``; any other text as it is."""
    return text.said(language) if isinstance(text, Text) else text

