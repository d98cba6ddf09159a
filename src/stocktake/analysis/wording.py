"""Numbers as the analysis layer's own sentences say them (reading notes, stratum labels)."""

from __future__ import annotations


def plain_figure(value: float) -> str:
    """Thousands separated and no exponent from 1,000 on (29,830, not 2.983e+04); four
    significant figures below."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
