"""SVG charts as PNG pictures for the office documents, drawn on this machine by CairoSVG
(the Cairo library WeasyPrint's platform already has; nothing fetched, no browser)."""

from __future__ import annotations

import hashlib
import re

# Twice the SVG's own size: sharp on a projector and when a slide is printed.
SCALE = 2.0
# Pixels per inch of the picture as placed: sharp on a projector and in print, and no more
# (CairoSVG's time grows with the pixels drawn).
DPI = 150


def svg_to_png(svg: str, *, scale: float = SCALE) -> bytes:
    """A PNG of an SVG drawing, on white, at ``scale`` times its size in pixels."""
    import cairosvg  # imported here: only the office documents need it

    return cairosvg.svg2png(bytestring=svg.encode("utf-8"), scale=scale,
                            background_color="white")


class PictureCache:
    """The PNG pictures of one document, each drawn once: a drawing placed twice at the
    same size (the same content hash) is drawn once."""

    def __init__(self) -> None:
        self._drawn: dict[tuple[str, float], bytes] = {}

    def png(self, svg: str, *, width: float) -> bytes:
        """The drawing as a PNG of DPI pixels per inch at ``width`` inches wide."""
        scale = round(width * DPI / svg_size(svg)[0], 2)
        key = (hashlib.sha256(svg.encode("utf-8")).hexdigest(), scale)
        if key not in self._drawn:
            self._drawn[key] = svg_to_png(svg, scale=scale)
        return self._drawn[key]


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
