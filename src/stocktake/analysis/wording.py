"""Numbers as the analysis layer's own sentences say them (reading notes, stratum labels),
and the names the analysis knows the product's one kind of remembering words by (#18).

The analysis writes its sentences in English, as it always has; an alert's explanation or
its SPC evidence is a ``Sentence``, which is ``text.Text`` (the English text itself, which
keeps its message, the msgid of the ``alerts`` catalogue in ``analysis/locale``, and its
values). A shell that shows it on a French page or in a French document says it again in a
``text.Language`` built with that catalogue and Babel's numbers (reports.said). The value
types (``Figure``, ``Plain``, ``Percent``, ``Signed``, ``Named``) are text's, named here
too. ``Sentence`` stays the name the catalogue's extraction looks for (its keyword)."""

from __future__ import annotations

import math

from ..text import (  # noqa: F401 (the analysis' names for the one design, text.Text)
    ENGLISH,
    NP_,
    Figure,
    Language,
    Named,
    Percent,
    Plain,
    Signed,
    plain_figure,
    said,
)
from ..text import Text as Sentence  # noqa: F401 (its name in the analysis)

# The catalogue of the analysis' sentences, one .po per language beside the .pot.
DOMAIN = "alerts"


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
