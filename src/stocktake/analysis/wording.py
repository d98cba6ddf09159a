"""Numbers as the analysis layer's own sentences say them (reading notes, stratum labels)."""

from __future__ import annotations

import math


def plain_figure(value: float) -> str:
    """Thousands separated and no exponent from 1,000 on (29,830, not 2.983e+04); four
    significant figures below."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def figure_pair(before: float, after: float) -> tuple[str, str]:
    """Two figures of one change with the same decimals: three significant figures of the
    smaller (14.84 and 8.738 read "14.84 to 8.74", 0.1505 and 0.2341 "0.151 to 0.234");
    thousands separated and whole from 1,000 on, or where both are whole ("50 to 40")."""
    small = min(abs(before), abs(after))
    whole = all(float(v).is_integer() for v in (before, after))
    if whole or small >= 1000 or small == 0 and max(abs(before), abs(after)) >= 1000:
        return f"{before:,.0f}", f"{after:,.0f}"
    places = 2 if small == 0 else max(0, min(4, 2 - math.floor(math.log10(small))))
    return f"{before:,.{places}f}", f"{after:,.{places}f}"
