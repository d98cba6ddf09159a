"""SVG charts as PNG pictures for the office documents, drawn on this machine by CairoSVG
(the Cairo library WeasyPrint's platform already has; nothing fetched, no browser)."""

from __future__ import annotations

import re

# Twice the SVG's own size: sharp on a projector and when a slide is printed.
SCALE = 2.0


def svg_to_png(svg: str, *, scale: float = SCALE) -> bytes:
    """A PNG of an SVG drawing, on white, at ``scale`` times its size in pixels."""
    import cairosvg  # imported here: only the office documents need it

    return cairosvg.svg2png(bytestring=svg.encode("utf-8"), scale=scale,
                            background_color="white")


def svg_size(svg: str) -> tuple[float, float]:
    """The width and height of an SVG drawing from its viewBox (or width and height)."""
    box = re.search(r'viewBox="\s*[-\d.]+[ ,]+[-\d.]+[ ,]+([\d.]+)[ ,]+([\d.]+)"', svg)
    if box:
        return float(box.group(1)), float(box.group(2))
    w = re.search(r'\bwidth="([\d.]+)', svg)
    h = re.search(r'\bheight="([\d.]+)', svg)
    if not (w and h):
        raise ValueError("an SVG drawing without a viewBox or a width and height")
    return float(w.group(1)), float(h.group(1))
