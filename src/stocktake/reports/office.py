"""What the PowerPoint deck and the Word documents share: the text of the figures (the
same words and numbers as the HTML and PDF documents), the footer line every slide and page
carries, and the speaker notes' sources."""

from __future__ import annotations

from typing import Any

from .locale import WRITING, gettext
from .written import day, likelihood_word, number, pct, percent, signed, status_word, when


def data_as_of_line(c: dict[str, Any], what: str) -> str:
    """"Data as of ..." in words, with the moment the document was asked for: the line on
    every slide and every page (never "as of None": a world may have no data yet)."""
    data = (gettext("Data as of %(when)s", when=when(c["data_as_of"])) if c.get("data_as_of")
            else gettext("No data had been recorded by then"))
    return data + (" · " + gettext("%(what)s as of %(when)s", what=gettext(what),
                                   when=when(c["as_of"])) if c.get("as_of") else "")


def headline_facts(h: Any, target: Any) -> list[tuple[str, str, str]]:
    """The headline's facts as (label, value, note), as the HTML's fact boxes print them:
    latest, then the verdict once the target period is complete, else expected, gap and
    the probability of meeting the target."""
    dec = h.decimals
    latest = h.latest
    facts = [(gettext("Latest"), number(latest.value if latest else None, dec),
              latest.period if latest else gettext("no data"))]
    v = h.at_target_period
    if v:
        facts += [(gettext("At the deadline"), number(v.actual, dec),
                   f"{v.actual_period}; " + gettext("target %(value)s",
                                                    value=number(v.target, dec))),
                  (gettext("Against the target"), signed(v.gap, dec), status_word(h.status))]
        return facts
    gap_note = (pct(signed(h.gap_pct)) + " · " if h.gap_pct is not None else "") + (
        status_word(h.status))
    facts += [(gettext("Expected"), number(h.expected, dec), gettext("on the trajectory")),
              (gettext("Gap"), signed(h.gap, dec), gap_note),
              (gettext("P(meeting target)"), percent(h.probability_of_meeting),
               gettext("target %(value)s by %(period)s", value=number(target.value, dec),
                       period=target.period))]
    return facts


def likelihood_text(assessment: Any) -> str:
    """The latest likelihood of delivery in words, with its round and date."""
    latest = assessment.latest if assessment is not None else None
    if not latest:
        return gettext("Not assessed")
    on = latest.assessed_on if WRITING.get() == "en" else day(latest.assessed_on)
    return f"{likelihood_word(latest.likelihood)} ({latest.round}, {on})"


def sources_note(c: dict[str, Any], command: str, *, what: str = "document",
                 as_of_option: bool = True) -> str:
    """Speaker notes' last paragraph: where the numbers come from (the headline's source as
    the model names it) and how to get the same numbers again (``as_of_option``: the
    command takes --as-of; the monthly note's --month says when instead)."""
    again = (c.get("as_of") or c.get("data_as_of")) if as_of_option else None
    p = c.get("priority") or {}
    source = (gettext("%(source)s, as submitted to stocktake", source=p["source"])
              if p.get("source") else gettext("the returns submitted to stocktake"))
    return gettext("Sources: %(source)s; %(vintage)s (the newest vintage used). The same "
                   "numbers again: %(command)s.", source=source,
                   vintage=data_as_of_line(c, what),
                   command=command + (f" --as-of {again}" if again else ""))
