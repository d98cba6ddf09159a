"""The web in English and French: which language a request is answered in, the message
catalogues, and numbers and dates by locale (Babel).

The catalogues are the ``.po`` files under ``locale/`` (extracted with ``babel.cfg``; see
the guide's "Translating" section). They are compiled in memory when first used, so a fresh
checkout needs no build step. English is the source language: its "translation" is the
message itself.

The language of a request, in order: ``?lang=fr|en`` (remembered in a cookie), the
signed-in user's choice (saved by the switch's form, a POST), the cookie, the
``Accept-Language`` header, English. The pages read it through ``page_lang()`` and the
``_``/``gettext``/``ngettext`` of the templates, all from one context variable that the
``LanguageChoice`` middleware sets for the request.
"""

from __future__ import annotations

import gettext as gettext_module
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode

import jinja2
from babel import Locale, negotiate_locale
from babel.numbers import format_decimal
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import Problem, StocktakeError
from ..model.entities import is_percent
from ..reports import formatting as english
from ..reports import locale as documents
from ..reports.locale import compiled
from ..reports.wording import wording as domain_words
from ..text import Language, Text

LANGUAGES = ("en", "fr")
DEFAULT = "en"
NAMES = {"en": "English", "fr": "Français"}  # each language named in itself, for the switch
COOKIE = "stocktake_lang"
COOKIE_AGE = 365 * 24 * 3600
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"

_current: ContextVar[str] = ContextVar("stocktake_lang", default=DEFAULT)


# -- catalogues -------------------------------------------------------------------------

def catalogue_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str) -> gettext_module.NullTranslations:
    """The compiled catalogue of ``lang`` (English: the messages themselves)."""
    if lang == DEFAULT:
        return gettext_module.NullTranslations()
    return compiled(catalogue_path(lang), lang)


def current() -> str:
    """The language of the request being answered (English outside a request)."""
    return _current.get()


@contextmanager
def language(lang: str) -> Iterator[None]:
    """Answer in ``lang`` inside the block: the pages, and the charts and documents they
    draw with reports (its own setting, reports.locale.writing_in)."""
    token = _current.set(lang)
    try:
        with documents.writing_in(lang):
            yield
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """A message whose English is said two ways in French ("Change": a button's verb, a
    column's noun), told apart by its context."""
    return translations(current()).pgettext(context, message)


# -- choosing the language --------------------------------------------------------------

def from_accept_language(header: str | None) -> str | None:
    """The best of LANGUAGES for an ``Accept-Language`` header, or None."""
    if not header:
        return None
    ranked = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and quality > 0:
            ranked.append((-quality, i, tag.strip().replace("_", "-")))
    preferred = [tag for _, _, tag in sorted(ranked)]
    return negotiate_locale(preferred, LANGUAGES, sep="-")


def choose(query_lang: str | None, cookie: str | None, accept: str | None) -> str:
    """The language of a request: asked for, remembered, offered by the browser, English."""
    for lang in (query_lang, cookie):
        if lang in LANGUAGES:
            return lang  # type: ignore[return-value]
    return from_accept_language(accept) or DEFAULT


class LanguageChoice:
    """ASGI middleware: sets the request's language (see ``choose``) for everything inside
    it, and remembers a ``?lang=`` choice in a cookie."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [None])[0]
        cookies = SimpleCookie()
        try:
            cookies.load(headers.get("cookie", ""))
        except Exception:  # a malformed cookie header: as if there were none
            cookies = SimpleCookie()
        remembered = cookies[COOKIE].value if COOKIE in cookies else None
        lang = choose(asked, remembered, headers.get("accept-language"))
        scope.setdefault("state", {})["lang"] = lang
        remember = asked in LANGUAGES and asked != remembered

        async def send_with_cookie(message: Message) -> None:
            if remember and message["type"] == "http.response.start":
                secure = "; Secure" if scope.get("scheme") == "https" else ""
                cookie = (f"{COOKIE}={lang}; Max-Age={COOKIE_AGE}; Path=/; SameSite=Lax"
                          f"{secure}")
                message["headers"] = [*message.get("headers", []),
                                      (b"set-cookie", cookie.encode("latin-1"))]
            await send(message)

        with language(lang):
            await self.app(scope, receive, send_with_cookie)


async def for_the_user(request: Request) -> None:
    """The app-wide dependency after auth.guard: a signed-in user's language is theirs
    wherever they sign in, once saved (a POST: web/language_pages.py), winning over the
    browser's. A ``?lang=`` asked for on a GET changes only this page and this browser's
    cookie: a GET never writes."""
    principal = getattr(request.state, "principal", None)
    if principal is None or principal.via != "session":
        return
    if request.query_params.get("lang") in LANGUAGES:
        return
    if principal.language in LANGUAGES:
        request.state.lang = principal.language
        _current.set(principal.language)  # for the rest of this request
        documents.WRITING.set(principal.language)  # its charts too


def without_lang(request: Request) -> str:
    """The page asked for without its ``?lang=``: where the language form goes back to."""
    query = urlencode([(k, v) for k, v in parse_qsl(request.url.query, keep_blank_values=True)
                       if k != "lang"])
    return request.url.path + (f"?{query}" if query else "")


# -- numbers, dates and words by locale ------------------------------------------------
# In English, the filters of the packs and the CLI (reports.formatting), so that an English
# page is what it always was; in another language, Babel's conventions (1 234,5).

def number(value: Any, decimals: int | None = None) -> str:
    """A figure in the conventions of the language (1 234,5 in French)."""
    if current() == DEFAULT or value is None:
        return english.number(value, decimals)
    return documents.number(value, current(), decimals)  # the documents' French figures


def expected(value: Any, decimals: int | None = None) -> str:
    """An expected value on a trajectory, one decimal more where rounding would make its gap
    read wrong (reports.formatting.expected_decimals): 4,5 for a count's 4.47."""
    return number(value, english.expected_decimals(value, decimals))


def when(value: Any) -> str:
    """A moment: '6 décembre 2026, 14 h 05 UTC'."""
    if current() == DEFAULT:
        return english.when(value)
    if value is None:
        return gettext("no data yet")
    return documents.when(value, current())  # as the French documents say it


def day(value: Any) -> str:
    """A day: '6 déc. 2026'."""
    if current() == DEFAULT or value is None:
        return english.day(value)
    return documents.day(value, current(), "d MMM y")


def status_word(value: Any) -> str:
    """'On track', 'En bonne voie'."""
    return gettext(english.status_word(value))


def difference(value: Any, unit_of_measure: str | None = None,
               decimals: int | None = None) -> str:
    """A gap's size: in points for percentages (reports.formatting.difference)."""
    if current() == DEFAULT or value is None:
        return english.difference(value, unit_of_measure, decimals)
    if is_percent(unit_of_measure):
        points = abs(float(value))
        text = number(points, 1 if decimals is None else decimals)
        return ngettext("%(num)s point", "%(num)s points", 1 if text == "1" else 2) % {
            "num": text}
    return number(abs(float(value)), decimals)


def change(value: Any, unit_of_measure: str | None = None, decimals: int | None = None) -> str:
    """A signed movement with its unit: +0,3 point, −120 logements."""
    if current() == DEFAULT or value is None:
        return english.change(value, unit_of_measure, decimals)
    percent = is_percent(unit_of_measure)
    text = number(abs(float(value)), (1 if decimals is None else decimals) if percent
                  else decimals)
    sign = ("" if not english.nonzero(text)  # rounds to zero: never −0,0
            else "+" if float(value) > 0 else "−" if float(value) < 0 else "")
    if percent:
        return sign + ngettext("%(num)s point", "%(num)s points", 1 if text == "1" else 2) % {
            "num": text}
    return f"{sign}{text} {unit_of_measure}" if unit_of_measure else sign + text


def signed(value: Any, decimals: int | None = None) -> str:
    """A signed figure: +1,234.5, −1 234,5 (reports.formatting.signed in English)."""
    if current() == DEFAULT or value is None:
        return english.signed(value, decimals)
    return documents.signed(value, current(), decimals)


def percent(value: Any, decimals: int = 0) -> str:
    """A share (0..1) as a percentage: 12.5%, 12,5 % (reports.formatting.percent)."""
    if current() == DEFAULT or value is None:
        return english.percent(value, decimals)
    return documents.percent(value, current(), decimals)


# -- the services' words ----------------------------------------------------------------
# A finding or an error's problem is English (the CLI's and the API's words); one written as
# a text.Text is said again here from its message, in the page's language.

def say(text: Any) -> Any:
    """A service's words in the page's language: a ``Text`` from its translated message and
    its values (numbers and dates by locale); anything else, and every English page, as
    written."""
    if current() == DEFAULT or not isinstance(text, Text):
        return text
    return text.said(speaking(current()))


@cache
def speaking(lang: str) -> Language:
    """How a service's ``Text`` is said on a page in ``lang``: the web's catalogue (or the
    delivery domain's, for a text made in it), figures and shares by the locale (4,5;
    33 %), a number by its pattern (0,5; 1 234; +5,1 %), a day written out (7 décembre
    2026)."""
    locale = Locale.parse(documents.BABEL_LOCALES[lang])
    return Language(
        words=translations(lang),
        figure=lambda f: documents.number(f.value, lang, f.decimals),
        percent=lambda p: documents.percent(p.value, lang),
        signed=lambda s: ("+" if s.value > 0 else "−" if s.value < 0 else "")
        + documents.number(abs(s.value), lang, 1),
        number_form=lambda n: format_decimal(n.value, format=n.pattern, locale=locale),
        day=lambda d: documents.day(d, lang),
        catalogues=lambda domain: domain_words(lang, domain).words)


def say_problem(problem: Problem) -> str:
    """``where: message`` in the page's language; ``str(problem)`` in English, and where
    neither is a Text (the service's own words, as written)."""
    if current() == DEFAULT or not (isinstance(problem.message, Text)
                                    or isinstance(problem.where, Text)):
        return str(problem)
    if not problem.where:
        return say(problem.message)
    return gettext("%(where)s: %(message)s") % {"where": say(problem.where),
                                                 "message": say(problem.message)}


def say_source(exc: StocktakeError) -> str:
    """``units.csv: ``, the input an error is about, before its words on a page."""
    if not exc.source:
        return ""
    if current() == DEFAULT:
        return f"{exc.source}: "
    return gettext("%(where)s: ") % {"where": exc.source}


def say_error(exc: StocktakeError) -> str:
    """An error in one line in the page's language: ``str(exc)`` in English, as the CLI says
    it; elsewhere each problem said again (say_problem), ``; `` between them."""
    if current() == DEFAULT:
        return str(exc)
    return say_source(exc) + "; ".join(say_problem(p) for p in exc.problems)


# The filters of a page in any language (they read the current one).
FILTERS = {"number": number, "expected": expected, "when": when, "day": day,
           "status_word": status_word,
           "difference": difference, "change": change, "signed": signed, "percent": percent,
           "say": say}


# -- the templates -----------------------------------------------------------------------

def page_lang() -> str:
    """The ``lang`` of the page's <html>."""
    return current()


def other_languages() -> list[str]:
    """The languages the page is not in, for the switch (a link with ``?lang=``)."""
    return [lang for lang in LANGUAGES if lang != current()]


def alternates(page_file: str) -> list[tuple[str, str]]:
    """The same page in the other languages, (language, relative link): the English site
    at the top of the folder, each other language in its own subfolder (fr/)."""
    here = current()
    up = "" if here == DEFAULT else "../"
    return [(lang, up + (page_file if lang == DEFAULT else f"{lang}/{page_file}"))
            for lang in LANGUAGES if lang != here]


def install(env: jinja2.Environment) -> jinja2.Environment:
    """Give ``env`` the i18n extension, with the catalogue of the current language."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext, ngettext, newstyle=True, pgettext=pgettext)
    env.globals.update(page_lang=page_lang, language_names=NAMES, alternates=alternates,
                       other_languages=other_languages, without_lang=without_lang)
    return env
