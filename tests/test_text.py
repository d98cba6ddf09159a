"""text.Text, the one kind of words that remember how they were made (#18): the English
string itself, its message and values kept, said again in a Language with its catalogue
(the one the sayer is given, or the one the text was made in). Every expected text is
written by hand."""

from __future__ import annotations

import copy
import gettext
import pickle
from datetime import date

from stocktake.text import (
    ENGLISH,
    Figure,
    Language,
    Number,
    Percent,
    Plain,
    Text,
    joined,
    number,
    said,
)


class Words(gettext.NullTranslations):
    """A catalogue held in a dict (msgid -> msgstr; (one, many) -> (form 1, form 2))."""

    def __init__(self, entries: dict) -> None:
        super().__init__()
        self.entries = entries

    def gettext(self, message: str) -> str:
        return self.entries.get(message, message)

    def ngettext(self, one: str, many: str, n: int) -> str:
        forms = self.entries.get((one, many))
        return (one if n == 1 else many) if forms is None else forms[0 if n <= 1 else 1]


PAGE = Words({"no %(kind)s '%(word)s'": "%(kind)s « %(word)s » introuvable",
              "priority": "priorité", "%(num)s month": "%(num)s mois",
              ("%(num)s month", "%(num)s months"): ("%(num)s mois", "%(num)s mois"),
              "%(value)s is above %(max)s on %(day)s": "%(value)s dépasse %(max)s le %(day)s"})
DOMAIN = Words({"required": "obligatoire"})
FRENCH = Language(words=PAGE, figure=lambda f: f"{f.value:.{f.decimals}f}".replace(".", ","),
                  number_form=lambda n: n.english.replace(".", ","),
                  day=lambda d: f"{d.day} décembre {d.year}",
                  catalogues={"chains_plans": DOMAIN}.__getitem__)


def test_a_text_is_its_english_and_keeps_its_message_and_values():
    t = Text("no %(kind)s '%(word)s'", kind=Text("priority"), word="LITT")
    assert t == "no priority 'LITT'" and isinstance(t, str)
    assert t.message == t.template == "no %(kind)s '%(word)s'"
    assert t.values["word"] == "LITT" and t.values["kind"] == "priority"
    assert t.said() == "no priority 'LITT'" and t.said(ENGLISH) == t


def test_a_text_is_said_again_nested_values_and_numbers_included():
    t = Text("no %(kind)s '%(word)s'", kind=Text("priority"), word="LITT")
    assert t.said(FRENCH) == "priorité « LITT » introuvable"
    over = Text("%(value)s is above %(max)s on %(day)s", value=number(2.5),
                max=Number(2500.5, "2500.5"), day=date(2026, 12, 7))
    assert over == "2.5 is above 2500.5 on 2026-12-07"
    assert over.said(FRENCH) == "2,5 dépasse 2500,5 le 7 décembre 2026"
    share = Text("%(before)s to %(after)s (%(share)s)", before=Figure(3562, 0),
                 after=Plain(114.06), share=Percent(0.4593))
    assert share == "3,562 to 114.1 (46%)"


def test_a_count_takes_its_plural_form():
    assert Text.count("%(num)s month", "%(num)s months", 1) == "1 month"
    assert Text.count("%(num)s month", "%(num)s months", 3) == "3 months"
    assert Text.count("%(num)s month", "%(num)s months", 3).said(FRENCH) == "3 mois"


def test_a_text_made_in_a_catalogue_is_said_from_that_one():
    t = Text.in_catalogue("chains_plans", "required")
    assert t == "required" and t.domain == "chains_plans"
    assert t.said(FRENCH) == "obligatoire"
    # a language without that catalogue keeps the English words, not another catalogue's
    assert t.said(Language(words=Words({"required": "requis"}))) == "required"
    # the page's own catalogue for a text made without one
    assert Text("required").said(Language(words=Words({"required": "requis"}))) == "requis"


def test_without_values_the_message_is_the_text_not_formatted():
    assert Text("50%% done") == "50%% done"
    assert Text("%(a)s is 50%%", a="x") == "x is 50%"


def test_joined_it_becomes_plain_english():
    t = Text("no %(kind)s '%(word)s'", kind=Text("priority"), word="LITT")
    for plain in (t + ".", "Error: " + t, f"{t}", "; ".join([t, t])):
        assert type(plain) is str and "no priority 'LITT'" in plain
    assert said("plain words", FRENCH) == "plain words"
    assert said(t, FRENCH) == "priorité « LITT » introuvable"


def test_copied_or_pickled_it_keeps_how_it_was_made():
    t = Text.in_catalogue("chains_plans", "required")
    for again in (copy.copy(t), copy.deepcopy(t), pickle.loads(pickle.dumps(t))):
        assert again == t and again.domain == "chains_plans" and again.said(FRENCH) == "obligatoire"


def test_joined_parts_are_each_said_again():
    parts = joined("; ", [Text("priority"), "LITT", Text("%(num)s month", num=1)])
    assert parts == "priority; LITT; 1 month"
    assert parts.said(FRENCH) == "priorité; LITT; 1 mois"
    assert joined(", ", []) == ""


def test_english_numbers_in_sentences_are_grouped_and_never_an_exponent():
    from stocktake.text import ENGLISH, Percent, english_number

    assert english_number(34437.2) == "34,437.2"  # a plan's end value
    assert english_number(26259.0) == "26,259"
    assert english_number(1234567.0) == "1,234,567"  # :g alone wrote 1.23457e+06
    assert english_number(2.5) == "2.5"
    assert english_number(1033.0, 1) == "1,033.0"
    assert ENGLISH.percent(Percent(10.08)) == "1,008%"  # an alert's shift


def test_a_level_in_the_plural_of_each_language():
    from stocktake.text import plural

    assert [plural(w) for w in ("country", "province", "day", "bus", "church")] == [
        "countries", "provinces", "days", "buses", "churches"]
    assert [plural(w, "fr") for w in ("pays", "région", "hôpital", "bureau")] == [
        "pays", "régions", "hôpitaux", "bureaux"]
    assert plural("province or territory") == "provinces or territories"
    assert plural("province ou territoire", "fr") == "provinces ou territoires"


def test_an_alert_names_the_other_units_of_its_level_in_the_plural():
    """It read "12 other countrys changed the same way" on the Gapminder countries."""
    from stocktake.analysis.alerts import _others
    from stocktake.text import Named

    names = [Named("unit", c, c) for c in ("Kenya", "Malawi")]
    assert _others(names, "country") == "2 other countries changed the same way (Kenya, Malawi)"
    assert _others(names[:1], "country") == "1 other country changed the same way (Kenya)"
    assert _others([], "country") == "no other country changed"
