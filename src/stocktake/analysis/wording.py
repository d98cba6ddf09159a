"""Numbers as the analysis layer's own sentences say them (reading notes, stratum labels),
and those sentences kept so that a layer above can say them in another language (#18).

The analysis writes its sentences in English, as it always has; an alert's explanation or
its SPC evidence is a ``Sentence``: that English text itself (a ``str`` wherever one goes,
JSON included) which also keeps how it was composed, a message with ``%(name)s``
placeholders (the msgid of the ``alerts`` catalogue, ``analysis/locale``) and its values.
A shell that shows it on a French page or in a French document says it again in a
``Language`` (built with the catalogue and Babel's numbers by reports.said): the
message translated, its figures in the locale's forms, its names in the language's. The
analysis may import neither the catalogues' reader nor delivery's Wording (the layers),
so this small object is its own.
"""

from __future__ import annotations

import gettext
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# The catalogue of the analysis' sentences, one .po per language beside the .pot.
DOMAIN = "alerts"


def plain_figure(value: float) -> str:
    """Thousands separated and no exponent from 1,000 on (29,830, not 2.983e+04); four
    significant figures below."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def figure_pair(before: float, after: float) -> tuple[str, str]:
    """Two figures of one change with the same decimals: three significant figures of the
    smaller (14.84 and 8.738 read "14.84 to 8.74", 0.1505 and 0.2341 "0.151 to 0.234");
    thousands separated and whole from 1,000 on, or where both are whole ("50 to 40")."""
    places = pair_places(before, after)
    return f"{before:,.{places}f}", f"{after:,.{places}f}"


def pair_places(before: float, after: float) -> int:
    """The decimals ``figure_pair`` writes both figures with."""
    small = min(abs(before), abs(after))
    whole = all(float(v).is_integer() for v in (before, after))
    if whole or small >= 1000 or small == 0 and max(abs(before), abs(after)) >= 1000:
        return 0
    return 2 if small == 0 else max(0, min(4, 2 - math.floor(math.log10(small))))


def A_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """Marks a message of the ``alerts`` catalogue for `pybabel extract` (keyword ``A_``,
    not ``N_``: the documents' catalogue extracts that one); translated where it is said."""
    return message


def NP_(one: str, many: str) -> tuple[str, str]:  # noqa: N802 (the gettext convention)
    """Marks a message and its plural for `pybabel extract` (``Sentence.count`` says them)."""
    return one, many


# -- the values of a sentence --------------------------------------------------------------
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
class Percent:
    """A share said as a whole percentage: 0.46 is "46%" in English, "46 %" in French."""

    value: float


@dataclass(frozen=True)
class Signed:
    """A number with its sign and one decimal: "+2.3" (sizes in sigma)."""

    value: float


@dataclass(frozen=True)
class Named:
    """A unit, an indicator or a level named in a sentence: its English words (as the
    sentence says them) and what it is (``kind``: "unit", "indicator" or "level") and its
    code, so that another language can name it in its own words."""

    kind: str
    code: str
    english: str


def _english_figure(f: Figure) -> str:
    return f"{f.value:,.{f.decimals}f}" if f.grouped else f"{f.value:.{f.decimals}f}"


@dataclass(frozen=True)
class Language:
    """How a sentence is said: a catalogue (gettext), a number's and a percentage's forms,
    and how a named thing is named. The default is English: the messages themselves and
    the forms the analysis always wrote."""

    words: gettext.NullTranslations = field(default_factory=gettext.NullTranslations)
    figure: Callable[[Figure], str] = _english_figure
    percent: Callable[[Percent], str] = lambda p: f"{p.value * 100:.0f}%"
    signed: Callable[[Signed], str] = lambda s: f"{s.value:+.1f}"
    count: Callable[[int], str] = str
    named: Callable[[Named], str] = lambda n: n.english

    def value(self, v: Any) -> str:
        """One value of a sentence as this language says it."""
        if isinstance(v, Sentence):
            return v.said(self)
        if isinstance(v, Figure):
            return self.figure(v)
        if isinstance(v, Plain):
            english = plain_figure(v.value) if v.spec is None else format(v.value, v.spec)
            if self is ENGLISH or not english.lstrip("+-").replace(",", "").replace(
                    ".", "").isdigit():  # an exponent, inf or nan is said as it is
                return english
            said = self.figure(Figure(v.value, len(english.partition(".")[2])))
            return "+" + said if english.startswith("+") else said
        if isinstance(v, Percent):
            return self.percent(v)
        if isinstance(v, Signed):
            return self.signed(v)
        if isinstance(v, Named):
            return self.named(v)
        if isinstance(v, int) and not isinstance(v, bool):
            return self.count(v)
        return str(v)


ENGLISH = Language()


class Sentence(str):
    """An English sentence that keeps its message and values (``said`` says it in another
    ``Language``). Made by ``Sentence(message, **values)`` or, for a message whose words
    follow a count ``num``, ``Sentence.count(one, many, num, **values)``; a value is a
    string, a count, a ``Figure``, ``Percent``, ``Signed``, ``Named`` or another
    sentence."""

    message: str
    plural: str | None
    num: int | None
    values: dict[str, Any]

    def __new__(cls, message: str, /, **values: Any) -> Sentence:
        return cls._made(message, None, None, values)

    @classmethod
    def count(cls, one: str, many: str, num: int, /, **values: Any) -> Sentence:
        return cls._made(one, many, num, values)

    @classmethod
    def _made(cls, message: str, plural: str | None, num: int | None,
              values: dict[str, Any]) -> Sentence:
        said = cls._say(message, plural, num, values, ENGLISH)
        self = super().__new__(cls, said)
        self.message, self.plural, self.num, self.values = message, plural, num, values
        return self

    @staticmethod
    def _say(message: str, plural: str | None, num: int | None, values: dict[str, Any],
             language: Language) -> str:
        words = language.words
        text = words.gettext(message) if plural is None else words.ngettext(
            message, plural, num or 0)
        given = {k: language.value(v) for k, v in values.items()}
        if num is not None:
            given.setdefault("num", language.count(num))
        return text % given

    def __reduce__(self) -> tuple[Any, ...]:  # copied or pickled with its message and values
        return (Sentence._made, (self.message, self.plural, self.num, self.values))

    def said(self, language: Language = ENGLISH) -> str:
        """The sentence in ``language`` (in English, the sentence itself)."""
        if language is ENGLISH:
            return str(self)
        return self._say(self.message, self.plural, self.num, self.values, language)

    def capitalised(self, language: Language = ENGLISH) -> str:
        """The sentence in ``language`` with a capital first letter."""
        text = self.said(language)
        return text[:1].upper() + text[1:]


def said(text: str, language: Language = ENGLISH) -> str:
    """``text`` in ``language`` if it is a ``Sentence``; any other text as it is."""
    return text.said(language) if isinstance(text, Sentence) else text
