"""Numbers, percentages and dates in the documents' two languages. The expected strings are
the CLDR rules for Canadian French, written out by hand: a no-break space (U+00A0) between
thousands and before %, a decimal comma, months in lower case; English as before."""

from datetime import date, datetime

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from stocktake.reports import formatting, locale

NBSP = "\u00a0"


def test_french_numbers_have_a_space_between_thousands_and_a_decimal_comma():
    assert locale.number(1234.5, "fr") == f"1{NBSP}234,5"
    assert locale.number(1234567.25, "fr", 2) == f"1{NBSP}234{NBSP}567,25"
    assert locale.number(2500, "fr") == f"2{NBSP}500"  # whole and over 100: no decimals
    assert locale.number(7, "fr") == "7,0"
    assert locale.signed(-3, "fr", 1) == "−3,0"
    assert locale.number(None, "fr") == "–"


def test_english_numbers_are_those_of_the_english_documents():
    for value, decimals in ((1234.5, None), (1234567.25, 2), (2500, None), (7, None),
                            (0.05, 2)):
        assert locale.number(value, "en", decimals) == formatting.number(value, decimals)
    assert locale.number(1234.5, "en") == "1,234.5"


def test_french_percentages_dates_and_quotations():
    assert locale.percent(0.42, "fr") == f"42{NBSP}%"
    assert locale.percent(0.425, "fr", 1) == f"42,5{NBSP}%"
    assert locale.percent(0.42, "en") == "42%"
    assert locale.day("2026-12-06", "fr") == "6 décembre 2026"
    assert locale.when("2026-12-06T14:05:00", "fr") == "6 décembre 2026, 14 h 05 UTC"
    assert locale.month_name(2026, 8, "fr") == "août 2026"
    assert locale.quoted("Publier les taux", "fr") == f"«{NBSP}Publier les taux{NBSP}»"
    assert locale.quoted("Publish", "en") == "'Publish'"


def test_french_points_are_singular_below_two():
    # French counts 0 to 1.9 in the singular ("1,5 point"), English only 1.
    assert locale.change(1.5, "percent", 1, "fr") == "+1,5 point"
    assert locale.change(-2, "percent", 1, "fr") == "−2,0 points"
    assert locale.change(120, "dwellings", 0, "fr") == "+120 dwellings"


def test_every_document_message_has_a_french_translation():
    root = locale.CATALOGUES.parents[1]  # src/stocktake: the reports and the note's service
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    found = set()
    for folder in ("reports", "services/publishing"):
        for _file, _line, message, _comments, _context in extract_from_dir(
                root / folder, method_map,
                options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}},
                keywords={"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}):
            found.add(message if isinstance(message, str) else message[0])
    with open(locale.CATALOGUES / "fr" / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalogue = read_po(f)
    assert "What needs a decision" in found  # the extraction reads the templates
    untranslated = sorted(m for m in found
                          if m not in catalogue or not all(_strings(catalogue[m].string)))
    assert untranslated == []


def _strings(string):
    return string if isinstance(string, tuple) else (string,)


def test_the_first_of_the_month_is_premier_in_french():
    # Canadian French writes the first day of a month as an ordinal: « 1er décembre ».
    assert locale.day(date(2026, 12, 1), "fr") == "1er décembre 2026"
    assert locale.day("2026-12-01", "fr", "d MMM y") == "1er déc. 2026"
    assert locale.day(date(2026, 12, 2), "fr") == "2 décembre 2026"
    assert locale.when(datetime(2026, 3, 1, 9, 30), "fr") == "1er mars 2026, 9 h 30 UTC"
