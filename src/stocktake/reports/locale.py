"""Documents in English and French: numbers, percentages and dates by the locale's rules
(Babel's CLDR data, never by hand) and the messages of the templates from gettext
catalogues (``reports/translations/<lang>/LC_MESSAGES/messages.po``).

English documents keep the formatting of ``formatting.py`` exactly; French ones follow
Canadian French conventions: 1 234,5 (a no-break space between thousands, a decimal comma),
42 %, 6 décembre 2026, « guillemets ».
"""

from __future__ import annotations

import gettext
from datetime import date, datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

from ..model.entities import is_percent
from .formatting import LIKELIHOOD_WORDS, STATUS_WORDS

LANGUAGES = ("en", "fr")
BABEL_LOCALES = {"en": "en_CA", "fr": "fr_CA"}
CATALOGUES = Path(__file__).parent / "translations"
DOMAIN = "messages"


def check_lang(lang: str) -> str:
    """``lang`` if a document can be written in it, else ValueError (the shells check first)."""
    if lang not in LANGUAGES:
        raise ValueError(f"no documents in {lang!r}: {', '.join(LANGUAGES)}")
    return lang


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalogue of ``lang``, compiled in memory from its .po file (no build step); the
    English messages are their own translation."""
    if check_lang(lang) == "en":
        return gettext.NullTranslations()
    return compiled(CATALOGUES / lang / "LC_MESSAGES" / f"{DOMAIN}.po", BABEL_LOCALES[lang])


def compiled(po: Path, locale: str) -> gettext.GNUTranslations:
    """A .po catalogue compiled in memory (the documents' and the web's): no build step, so
    a fresh checkout runs as it is."""
    with open(po, "rb") as f:
        catalog = read_po(f, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _babel(lang: str) -> str:
    return BABEL_LOCALES[check_lang(lang)]


def number(value: Any, lang: str, decimals: int | None = None) -> str:
    """A number with the locale's separators: 1,234.5 in English, 1 234,5 in French; with
    ``decimals`` None, whole numbers of 100 or more print without decimals, others with
    one (the rule of ``formatting.number``)."""
    if value is None:
        return "–"
    value = float(value)
    if decimals is None:
        decimals = 0 if value.is_integer() and abs(value) >= 100 else 1
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=_babel(lang))


def signed(value: Any, lang: str, decimals: int | None = None) -> str:
    """A movement with its sign: +1 234,5 or −3,0 (a true minus sign, as in English)."""
    if value is None:
        return "–"
    text = number(abs(float(value)), lang, decimals)
    return ("+" if float(value) > 0 else "−" if float(value) < 0 else "") + text


def percent(value: Any, lang: str, decimals: int = 0) -> str:
    """A probability (0..1) as a percentage: 42 % in French (a no-break space before %)."""
    if value is None:
        return "–"
    pattern = Locale.parse(_babel(lang)).percent_formats[None].pattern  # 42 % in French
    if decimals:
        pattern = pattern.replace("#,##0", "#,##0." + "0" * decimals)
    return format_percent(float(value), format=pattern, locale=_babel(lang))


def _datetime(value: Any) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def day(value: Any, lang: str) -> str:
    """A date in words: 6 décembre 2026."""
    if value is None:
        return "–"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return format_date(value, "long", locale=_babel(lang))


def when(value: Any, lang: str) -> str:
    """A moment: 6 décembre 2026, 14 h 05 UTC (times in the documents are UTC)."""
    if value is None:
        return translations(lang).gettext("no data yet")
    moment = _datetime(value)
    return (format_date(moment, "long", locale=_babel(lang)) + ", "
            + format_datetime(moment, "H' h 'mm", locale=_babel(lang)) + " UTC")


def month_name(year: int, month: int, lang: str) -> str:
    """A month and its year in words: décembre 2026."""
    return format_date(date(year, month, 1), "MMMM y", locale=_babel(lang))


def quoted(text: str, lang: str) -> str:
    """A quotation: « texte » in French (no-break spaces inside), 'text' in English."""
    return f"«\u00a0{text}\u00a0»" if lang == "fr" else f"'{text}'"


def change(value: Any, unit_of_measure: str | None, decimals: int | None, lang: str) -> str:
    """A signed movement with its unit: +0,3 point for a percentage (French counts 'point'
    in the singular below 2), −120 logements."""
    if value is None:
        return "–"
    t = translations(lang)
    if is_percent(unit_of_measure):
        text = signed(value, lang, 1 if decimals is None else decimals)
        points = abs(round(float(value), 1 if decimals is None else decimals))
        one = Locale.parse(_babel(lang)).plural_form(points) == "one"  # French: under 2
        return f"{text} " + (t.gettext("point") if one else t.gettext("points"))
    text = signed(value, lang, decimals)
    return f"{text} {unit_of_measure}" if unit_of_measure else text


def status_word(value: Any, lang: str) -> str:
    """A status in words (formatting.STATUS_WORDS), translated."""
    english = STATUS_WORDS.get(str(value), str(value or "–").replace("_", " ").capitalize())
    return translations(lang).gettext(english)


def likelihood_word(value: Any, lang: str) -> str:
    """A likelihood rating in words (formatting.LIKELIHOOD_WORDS), translated."""
    english = LIKELIHOOD_WORDS.get(str(value), "Not assessed" if value is None else str(value))
    return translations(lang).gettext(english)


def filters(lang: str) -> dict[str, Any]:
    """The templates' filters that write numbers, dates and words, in ``lang``."""
    return {
        "number": lambda v, decimals=None: number(v, lang, decimals),
        "signed": lambda v, decimals=None: signed(v, lang, decimals),
        "percent": lambda v, decimals=0: percent(v, lang, decimals),
        "when": lambda v: when(v, lang),
        "day": lambda v: day(v, lang),
        "status_word": lambda v: status_word(v, lang),
        "likelihood_word": lambda v: likelihood_word(v, lang),
        "change": lambda v, unit=None, decimals=None: change(v, unit, decimals, lang),
    }


def N_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """Marks a message for extraction that the templates translate from a variable."""
    return message


# Words the documents receive as data and translate ``_(word)``: statuses and ratings
# (formatting.py), movements (results.status), intensities (delivery.escalation) and the
# statuses of commitments (delivery.commitments) the note counts.
DATA_MESSAGES = (
    N_("On track"), N_("Ahead"), N_("Off track"), N_("No data"), N_("No trajectory"),
    N_("Outside trajectory"), N_("Target met"), N_("Target missed"),
    N_("Green"), N_("Amber/green"), N_("Amber/red"), N_("Red"), N_("Not assessed"),
    N_("improving"), N_("worsening"), N_("unchanged"), N_("up"), N_("down"),
    N_("routine"), N_("intensive"), N_("crisis"),
    N_("underway, facing challenges"), N_("not being pursued"),
)
