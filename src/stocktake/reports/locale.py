"""Documents in English and French: numbers, percentages and dates by the locale's rules
(Babel's CLDR data, never by hand) and the messages of the templates from gettext
catalogues (``reports/translations/<lang>/LC_MESSAGES/messages.po``).

English documents keep the formatting of ``formatting.py`` exactly; French ones follow
Canadian French conventions: 1 234,5 (a no-break space between thousands, a decimal comma),
42 %, 6 décembre 2026, « guillemets ».
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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
from .formatting import LEAD_VERDICTS, LIKELIHOOD_WORDS, STATUS_WORDS, expected_decimals, nonzero
from .formatting import icon_word as english_icon_word

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
def translations(lang: str) -> _gettext.NullTranslations:
    """The catalogue of ``lang``, compiled in memory from its .po file (no build step); the
    English messages are their own translation."""
    if check_lang(lang) == "en":
        return _gettext.NullTranslations()
    return compiled(CATALOGUES / lang / "LC_MESSAGES" / f"{DOMAIN}.po", BABEL_LOCALES[lang])


def compiled(po: Path, locale: str) -> _gettext.GNUTranslations:
    """A .po catalogue compiled in memory (the documents' and the web's): no build step, so
    a fresh checkout runs as it is."""
    with open(po, "rb") as f:
        catalog = read_po(f, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


# The language a document is being written in: its charts and, in PowerPoint and Word, its
# every line. A document sets it once around its writing (``writing_in``) rather than
# through every helper that writes a tick, a legend or a table head; outside one, charts
# and office documents are written in English, as the web's charts are.
WRITING: ContextVar[str] = ContextVar("writing", default="en")


@contextmanager
def writing_in(lang: str) -> Iterator[None]:
    """Write the charts and office documents made inside this block in ``lang``."""
    token = WRITING.set(check_lang(lang))
    try:
        yield
    finally:
        WRITING.reset(token)


def gettext(message: str, /, **values: Any) -> str:
    """A message in the language being written, its ``%(name)s`` filled from
    ``values`` (always formatted, as the templates' messages are: a % is written %%)."""
    return translations(WRITING.get()).gettext(message) % values


def ngettext(one: str, many: str, n: int, /, **values: Any) -> str:
    """A message with a count ``num`` in the language being written (its plural form by
    the locale's rules)."""
    return translations(WRITING.get()).ngettext(one, many, n) % {"num": n, **values}


# Windows' locale identifiers, for a native office chart's number formats: a format tagged
# [$-C0C] is written by the rules of fr-CA (1 234,5) wherever it is opened.
OFFICE_LOCALES = {"fr": "C0C"}


def office_format(code: str) -> str:
    """A native chart's number format (an Excel format code) in the language being written:
    the code itself in English, each of its sections tagged with the locale otherwise."""
    tag = OFFICE_LOCALES.get(WRITING.get())
    return code if tag is None else ";".join(f"[$-{tag}]{part}" for part in code.split(";"))


def chart_number(value: float, decimals: int | None = None) -> str | None:
    """A number in the language being written; None in English (the chart keeps its own
    format there)."""
    lang = WRITING.get()
    return None if lang == "en" else number(value, lang, decimals)


def period_label(period: Any) -> str:
    """A period as a chart's axis names it: its code in English (2026-09), the month in
    words in French (sept. 2026)."""
    lang = WRITING.get()
    if lang == "en" or period.type != "month":
        return period.code
    return format_date(period.start, "MMM y", locale=_babel(lang))


def month_code(month_name: str, lang: str) -> str:
    """A month in words (month_name: décembre 2026) as its code, 2026-12."""
    name, year = month_name.rsplit(" ", 1)
    months = {format_date(date(2000, m, 1), "MMMM", locale=_babel(lang)): m
              for m in range(1, 13)}
    return f"{int(year):04d}-{months[name]:02d}"


def short_month(day: date) -> str:
    """A month's short name for a chart's axis, in the language being drawn in: Apr, avr."""
    lang = WRITING.get()
    return f"{day:%b}" if lang == "en" else format_date(day, "MMM", locale=_babel(lang))


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
    if round(value, decimals) == 0:  # rounds to zero: no sign (0,0 for -0.04, never -0,0)
        value = 0.0
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=_babel(lang))


def signed(value: Any, lang: str, decimals: int | None = None) -> str:
    """A movement with its sign: +1 234,5 or −3,0 (a true minus sign, as in English)."""
    if value is None:
        return "–"
    text = number(abs(float(value)), lang, decimals)
    if not nonzero(text):  # rounds to zero: never −0,0
        return text
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


def day(value: Any, lang: str, form: str = "long") -> str:
    """A date in words: 6 décembre 2026, 1er décembre 2026 (``form`` a Babel format:
    "d MMM y" gives 6 déc. 2026)."""
    if value is None:
        return "–"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return _date(value, lang, form)


def _date(value: date, lang: str, form: str) -> str:
    """Babel's date, and what it leaves to the writer in French: the first of the month
    is "1er" (1er décembre 2026)."""
    text = format_date(value, form, locale=_babel(lang))
    if lang == "fr" and value.day == 1 and text.startswith("1 "):
        text = "1er" + text[1:]
    return text


def when(value: Any, lang: str) -> str:
    """A moment: 6 décembre 2026, 14 h 05 UTC (times in the documents are UTC)."""
    if value is None:
        return translations(lang).gettext("no data yet")
    moment = _datetime(value)
    return (_date(moment.date() if isinstance(moment, datetime) else moment, lang, "long")
            + ", " + format_datetime(moment, "H' h 'mm", locale=_babel(lang)) + " UTC")


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


def figure(value: Any, unit_of_measure: str | None, decimals: int | None, lang: str) -> str:
    """A value in a sentence that names its indicator (formatting.figure): 81,2 % for a
    percentage, else the number alone."""
    if value is None:
        return "–"
    if is_percent(unit_of_measure):
        return number(value, lang, 1 if decimals is None else decimals) + "\u00a0%"
    return number(value, lang, decimals)


def difference(value: Any, unit_of_measure: str | None = None, decimals: int | None = None,
               with_unit: bool = False, *, lang: str = "fr") -> str:
    """The size of a gap (formatting.difference): in points between percentages, else the
    number alone (``with_unit``: followed by the unit)."""
    if value is None:
        return "–"
    t = translations(lang)
    if is_percent(unit_of_measure):
        size = abs(round(float(value), 1 if decimals is None else decimals))
        text = number(size, lang, 1 if decimals is None else decimals)
        one = Locale.parse(_babel(lang)).plural_form(size) == "one"
        return f"{text} " + (t.gettext("point") if one else t.gettext("points"))
    text = number(abs(float(value)), lang, decimals)
    return f"{text} {unit_of_measure}" if with_unit and unit_of_measure else text


def verdict_sentence(v: Any, unit_of_measure: str | None, decimals: int | None, lang: str
                     ) -> str:
    """A target's verdict at its deadline and where the series has gone since, in ``lang``
    (formatting.verdict_sentence, sentence for sentence)."""
    _ = translations(lang).gettext

    def a(x: Any) -> str:
        return figure(x, unit_of_measure, decimals, lang)

    def apart(x: float) -> str:
        return difference(x, unit_of_measure, decimals, lang=lang)

    when = v.actual_period
    if v.read_earlier:
        when += " " + _("(the last complete period before the target period %(period)s)") % {
            "period": v.period}
    gap = v.gap or 0.0
    side = (_("exactly on it") if gap == 0 else
            (_("%(size)s above") if gap > 0 else _("%(size)s below")) % {"size": apart(gap)})
    text = _("%(verdict)s: %(actual)s in %(period)s against a target of %(target)s "
             "(%(side)s).") % {"verdict": status_word(v.status, lang), "actual": a(v.actual),
                               "period": when, "target": a(v.target), "side": side}
    since = v.since
    if since.period and since.period != v.actual_period:
        moved = since.change or 0.0
        how = (_("unchanged") if moved == 0 else
               (_("%(size)s higher") if moved > 0 else _("%(size)s lower"))
               % {"size": apart(moved)})
        holds = (_("still meeting the target") if since.meets_target
                 else _("not meeting the target now"))
        text += " " + _("Since then: %(value)s in %(period)s, %(moved)s, %(holds)s.") % {
            "value": a(since.value), "period": since.period, "moved": how, "holds": holds}
    return text


def assessment_change(change: Any, lang: str) -> str:
    """How the likelihood moved since the previous round (delivery.assessments.change's
    ``sentence``), in ``lang``; "" without a change."""
    if not change:
        return ""
    if lang == "en":
        return change.get("sentence") or ""
    _ = translations(lang).gettext
    like = (change.get("criteria") or {}).get("likelihood") or {}
    new, old = (_(like[k]) if like.get(k) else "" for k in ("new_label", "old_label"))
    direction = change.get("direction")
    if change.get("since") is None or direction == "new":
        return _("Likelihood first assessed as %(new)s in %(round)s") % {
            "new": new, "round": change.get("round")}
    if direction == "same":
        return _("Likelihood unchanged at %(new)s since %(since)s") % {
            "new": new, "since": change["since"]}
    message = (_("Likelihood improved from %(old)s to %(new)s since %(since)s")
               if direction == "improved" else
               _("Likelihood worsened from %(old)s to %(new)s since %(since)s"))
    return message % {"old": old, "new": new, "since": change["since"]}


def icon_word(value: Any, lang: str) -> str:
    """An SPC icon in words (formatting.ICON_WORDS), translated."""
    return translations(lang).gettext(english_icon_word(value)) if value else "–"


def lead_evidence(evidence: Any, lang: str) -> str:
    """Whether a named lead leads its headline (formatting.lead_evidence), in ``lang``."""
    t = translations(lang)
    if not evidence:
        return t.gettext("Not tested: too little data in common with the headline")
    verdict = t.gettext(LEAD_VERDICTS.get(evidence.reading, str(evidence.reading)))
    if evidence.reading == "no_evidence":
        return verdict
    gain = evidence.oos_gain
    better = ("" if gain is None else "; " + (
        t.gettext("forecasts %(gain)s better with it") if gain >= 0
        else t.gettext("forecasts %(gain)s worse with it")) % {"gain": percent(abs(gain), lang)})
    word = evidence.period_word or "periods"
    word = t.gettext(word[:-1] if evidence.lag == 1 else word)
    return t.gettext("%(verdict)s (best lag %(lag)s %(periods)s%(better)s; across %(units)s "
                     "units)") % {"verdict": verdict, "lag": evidence.lag, "periods": word,
                                  "better": better, "units": evidence.units}


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
        "expected": lambda v, decimals=None: number(v, lang, expected_decimals(v, decimals)),
        "signed": lambda v, decimals=None: signed(v, lang, decimals),
        "percent": lambda v, decimals=0: percent(v, lang, decimals),
        "when": lambda v: when(v, lang),
        "day": lambda v: day(v, lang),
        "status_word": lambda v: status_word(v, lang),
        "likelihood_word": lambda v: likelihood_word(v, lang),
        "change": lambda v, unit=None, decimals=None: change(v, unit, decimals, lang),
        "figure": lambda v, unit=None, decimals=None: figure(v, unit, decimals, lang),
        "difference": lambda v, unit=None, decimals=None, with_unit=False: difference(
            v, unit, decimals, with_unit, lang=lang),
        "verdict_sentence": lambda v, unit=None, decimals=None: verdict_sentence(
            v, unit, decimals, lang),
        "icon_word": lambda v: icon_word(v, lang),
        "lead_evidence": lambda e: lead_evidence(e, lang),
        "assessment_change": lambda change: assessment_change(change, lang),
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

# The pack's and the report's words received as data (the ``tr`` filter): Barber's five
# questions (delivery.stocktakes), the assessment's criteria, ratings and their changes
# (delivery.assessments), SPC icons (analysis.spc), lead verdicts (formatting), the annex's
# methods (services.publishing.packs), statuses of actions, milestones, alerts and
# commitments, intensities, review stages, the chain's links, and the period words.
# tests/reports/test_document_translations.py holds them to those vocabularies.
DOCUMENT_WORDS = (
    N_("What are you trying to do?"), N_("How are you going to do it?"),
    N_("How do you know you are succeeding?"),
    N_("If you are not succeeding, what will you change?"), N_("How can we help?"),
    N_("Degree of challenge"), N_("Quality of planning"), N_("Quality of implementation"),
    N_("Quality of performance management"), N_("Capacity to drive progress"),
    N_("Stage of delivery"), N_("Likelihood of delivery"),
    N_("Low"), N_("Medium"), N_("High"), N_("Very high"), N_("Policy development"),
    N_("Early implementation"), N_("Implementation well under way"), N_("Embedded"),
    N_("improved"), N_("worsened"), N_("same"), N_("new"),
    N_("worse"), N_("removed"),  # a criterion's change (delivery.assessments.change)
    N_("Too few points to judge"), N_("Common cause: no significant change"),
    N_("Improvement: special cause, higher values"),
    N_("Improvement: special cause, lower values"),
    N_("Concern: special cause, higher values"), N_("Concern: special cause, lower values"),
    N_("Special cause, higher values (neither good nor bad)"),
    N_("Special cause, lower values (neither good nor bad)"),
    N_("Consistently passes the target"), N_("Consistently fails the target"),
    N_("Hit and miss: the target lies within the process limits"),
    N_("Leads the headline"),
    N_("Moves with the headline: the headline leads it at least as strongly"),
    N_("Significant, but points different ways in different units"),
    N_("Significant, but its effect and its correlation point different ways"),
    N_("Significant, but too few periods to check it improves forecasts"),
    N_("Significant, but does not improve forecasts of the headline"),
    N_("No evidence that it leads"),
    N_("Trajectory"), N_("Complete periods"), N_("Forecast"), N_("Target met or missed"),
    N_("Statistical process control"), N_("Data quality"), N_("Alerts"), N_("Software"),
    # the data-quality score's formula (analysis.quality.FORMULA), in the report's key
    N_("score = 100 x (0.30 completeness + 0.25 timeliness + 0.20 validity + 0.10 (1 - "
       "revision rate) + 0.15 (1 - outlier rate)), over the components that can be "
       "measured, weights rescaled to sum to 1"),
    N_("Open"), N_("In progress"), N_("Done"), N_("Dropped"), N_("Not started"),
    N_("On track"), N_("At risk"), N_("Late"), N_("Explained"), N_("Confirmed"),
    N_("open"), N_("explained"), N_("confirmed"), N_("not started"), N_("on track"),
    N_("at risk"), N_("late"), N_("done"), N_("dropped"), N_("in progress"),
    N_("Improving"), N_("Worsening"), N_("Unchanged"),
    N_("completed fully"), N_("completed, modified"), N_("underway, on track"),
    N_("routine monitoring"), N_("intensive support"), N_("crisis: the centre leads"),
    N_("commissioned"), N_("reported"), N_("closed"),
    N_("funding"), N_("legislation"), N_("guidance"), N_("data"), N_("service"),
    N_("strong"), N_("adequate"), N_("weak"), N_("broken"),
    N_("days"), N_("weeks"), N_("months"), N_("quarters"), N_("years"), N_("periods"),
    N_("day"), N_("week"), N_("month"), N_("quarter"), N_("year"), N_("period"),
    # the charts' short ratings and the timeline's legend
    N_("G"), N_("A/G"), N_("A/R"), N_("R"), N_("At risk or late"), N_("not assessed"),
    # what a document is, in its "... as of" line (office.data_as_of_line)
    N_("pack"), N_("note"), N_("report"), N_("document"),
)
