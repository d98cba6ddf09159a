"""The documents' French catalogue (issue #18): every message of the documents' templates
and modules (the pack, the note, the report, their Word and PowerPoint forms, their charts)
is in it and translated, with the same placeholders; and every word the documents receive
as data and translate (statuses, ratings, questions, icons...) is there too."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

from stocktake.analysis.spc import ICON_LABELS
from stocktake.delivery import assessments, chains, commitments, escalation, stocktakes
from stocktake.reports import formatting, locale

REPORTS = Path(locale.__file__).parent
PUBLISHING = REPORTS.parent / "services" / "publishing"
KEYWORDS = DEFAULT_KEYWORDS | {"N_": None}


def catalogue():
    with open(locale.CATALOGUES / "fr" / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale="fr")


def extracted() -> dict[str | tuple[str, str], str]:
    """Each message of the documents' templates and modules -> where it is."""
    found: dict[str | tuple[str, str], str] = {}
    for path in sorted((REPORTS / "templates").glob("*.*")):  # .html and print.css
        for line, message, _c, _x in extract_from_file(
                babel_extract, path, keywords=KEYWORDS,
                options={"extensions": "jinja2.ext.i18n", "trimmed": "false"}):
            found[message] = f"{path.name}:{line}"
    for path in sorted([*REPORTS.glob("*.py"), *PUBLISHING.glob("*.py")]):
        for line, message, _c, _x in extract_from_file("python", path, keywords=KEYWORDS):
            found[message] = f"{path.name}:{line}"
    return found


def untranslated(messages) -> list[str]:
    french = catalogue()
    problems = []
    for message, where in messages.items():
        entry = french.get(message)
        if entry is None:
            problems.append(f"{where}: {message!r} is not in the French catalogue")
        elif entry.fuzzy or not all(entry.string if isinstance(entry.string, tuple)
                                    else [entry.string]):
            problems.append(f"{where}: {message!r} is not translated into French")
    return problems


def test_every_message_of_the_documents_is_in_the_french_catalogue_and_translated():
    messages = extracted()
    assert len(messages) > 300  # the pack's, the report's and the note's messages at least
    problems = untranslated(messages)
    # placeholders: the French says %(value)s wherever the English does
    problems += [f"{m.id!r}: {e}" for m, errors in catalogue().check() for e in errors]
    assert not problems, "\n".join(problems)


def test_every_word_the_documents_translate_as_data_is_translated():
    vocabularies = {
        "the five questions": stocktakes.FIVE_QUESTIONS,
        "criteria": [label for _key, label, _scale in assessments.CRITERIA],
        "ratings": [str(v) for v in assessments.RATING_LABELS.values()],
        "SPC icons": ICON_LABELS.values(),
        "lead verdicts": formatting.LEAD_VERDICTS.values(),
        "statuses": formatting.STATUS_WORDS.values(),
        "likelihoods": formatting.LIKELIHOOD_WORDS.values(),
        "intensities": escalation.INTENSITIES.values(),
        "review stages": escalation.REVIEW_STAGES,
        "commitments": commitments.STATUSES.values(),
        "links": [*chains.LINK_TYPES, *chains.STRENGTHS],
    }
    messages = {word: name for name, words in vocabularies.items() for word in words}
    assert not untranslated(messages)


def test_a_word_given_as_data_is_translated_and_escaped_like_any_other():
    from markupsafe import Markup

    from stocktake.reports.render import environment

    tr = environment("fr").filters["tr"]
    assert tr("Green") == "Vert" and tr("") == ""  # "" is not the catalogue's header
    assert not isinstance(tr("R&D"), Markup)  # plain text: the template escapes it
