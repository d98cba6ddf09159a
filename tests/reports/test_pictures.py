"""The office documents' pictures: an SVG drawing as a PNG of the size asked, on white, the
same to the eye whichever library draws it (librsvg where the system has it, CairoSVG
otherwise: each checked against the other)."""

from __future__ import annotations

import io
import sys

import cairosvg
import pytest
from PIL import Image, ImageChops, ImageStat
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.util import Emu, Inches

from stocktake.reports import pictures
from stocktake.reports.charts import likelihood_chart
from stocktake.reports.deck import Deck
from stocktake.reports.theme import DEFAULT_THEME

# A red square in the top left quarter, black text below it, nothing on the right half.
DRAWING = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 100">'
           '<rect x="10" y="10" width="40" height="40" fill="#de1b1b"/>'
           '<text x="10" y="80" font-size="16" font-family="sans-serif">Target 79.0</text>'
           '</svg>')


def _image(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def test_a_drawing_is_a_png_of_the_size_asked_on_white():
    image = _image(pictures.svg_to_png(DRAWING, scale=3))
    assert image.size == (600, 300)
    assert image.getpixel((90, 90)) == (0xDE, 0x1B, 0x1B)  # inside the square (30, 30)
    assert image.getpixel((500, 50)) == (255, 255, 255)  # the empty right half: white
    text = image.crop((30, 190, 300, 260))  # where the label is: dark strokes drawn
    assert text.getextrema()[0][0] < 80


@pytest.mark.skipif(pictures._librsvg() is None, reason="librsvg is not installed")
def test_librsvg_draws_what_cairosvg_draws():
    """The fast path checked against the slow one on a real chart: the same size, and the
    same picture but for anti-aliasing and glyph placement (a small mean difference)."""
    svg = likelihood_chart([("Cut crime", [("2024-Q2", "amber_red"),
                                           ("2024-Q3", "amber_green")]),
                            ("More homes", [("2024-Q3", "red")])])
    ours = _image(pictures.svg_to_png(svg, scale=2))
    theirs = _image(cairosvg.svg2png(bytestring=svg.encode(), scale=2,
                                     background_color="white"))
    assert ours.size == theirs.size
    # Compared in blocks of 8 by 8 pixels, where a glyph a pixel to the side is no change.
    ours, theirs = ours.reduce(8), theirs.reduce(8)
    assert _mean_difference(ours, theirs) < 2  # of 255 (measured: 0.7)
    assert _mean_difference(ours, Image.new("RGB", ours.size, "white")) > 6  # (9.9)


def _mean_difference(a: Image.Image, b: Image.Image) -> float:
    return ImageStat.Stat(ImageChops.difference(a, b).convert("L")).mean[0]


def test_a_drawing_placed_twice_at_one_size_is_drawn_once():
    cache = pictures.PictureCache()
    first = cache.png(DRAWING, width=2)
    assert cache.png(DRAWING, width=2) is first
    assert _image(first).size == (2 * pictures.DPI, pictures.DPI)
    assert cache.png(DRAWING, width=4) is not first


def test_the_same_drawing_gives_the_same_bytes():
    """A picture is a function of its SVG and size: the same in another document (another
    cache, drawn again in the drawing thread) and drawn directly."""
    svg = likelihood_chart([("Cut crime", [("2024-Q2", "amber_red")])])
    first = pictures.PictureCache().png(svg, width=5.5)
    assert pictures.PictureCache().png(svg, width=5.5) == first
    assert pictures.svg_to_png(svg, scale=_image(first).width / pictures.svg_size(svg)[0]) \
        == first


@pytest.mark.parametrize("height", [Inches(5.4), Inches(4.8), Inches(2.05)])
def test_a_deck_picture_has_at_least_dpi_pixels_per_inch_as_placed(height, tmp_path):
    """Placed on a slide at whatever size fits (wide drawings by their width, tall ones by
    the height given), read back from the saved deck: at least DPI pixels per inch across,
    and down but for the rounding of the drawing's proportions (a pixel)."""
    tall = DRAWING.replace('viewBox="0 0 200 100"', 'viewBox="0 0 90 83"')
    wide = likelihood_chart([("Cut crime", [("2024-Q2", "amber_red")])])
    deck = Deck({}, DEFAULT_THEME, footer="Data as of today", sources="Sources: a test")
    for svg in (tall, wide):
        deck.start_picture(svg, height=height)  # drawn in the background, then placed
        deck.picture(deck.slide("A picture", ""), svg, height=height)
    deck.prs.save(str(tmp_path / "deck.pptx"))
    placed = [sh for slide in Presentation(str(tmp_path / "deck.pptx")).slides
              for sh in slide.shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert len(placed) == 2
    for shape in placed:
        across, down = shape.image.size
        assert across >= pictures.DPI * Emu(shape.width).inches
        assert down >= pictures.DPI * Emu(shape.height).inches - 1
        assert across < pictures.DPI * Emu(shape.width).inches + 1  # and no more


def test_the_png_holds_every_pixel_drawn_exactly():
    """Our PNG writer is lossless: decoded by Pillow, every pixel is the surface's own,
    read through Pillow's decoder of cairo's raw pixel layout (an independent path)."""
    cairo = pytest.importorskip("cairocffi")
    surface = cairo.ImageSurface(cairo.FORMAT_RGB24, 37, 11)  # an odd width
    context = cairo.Context(surface)
    context.set_source_rgb(1, 1, 1)
    context.paint()
    context.set_source_rgb(0.87, 0.11, 0.4)
    context.arc(12, 5, 6, 0, 6.3)  # anti-aliased: many shades at its edge
    context.fill()
    context.set_source_rgb(0.1, 0.5, 0.9)
    context.rectangle(25.5, 2, 9, 6)
    context.fill()
    surface.flush()
    ours = _image(pictures._png(bytes(surface.get_data()), 37, 11, surface.get_stride()))
    raw = "BGRX" if sys.byteorder == "little" else "XRGB"
    theirs = Image.frombuffer("RGB", (37, 11), bytes(surface.get_data()), "raw", raw,
                              surface.get_stride(), 1)
    assert ours.size == (37, 11)
    assert ours.tobytes() == theirs.tobytes()
    assert len(ours.getcolors()) > 5  # white, the two colours and their edges
