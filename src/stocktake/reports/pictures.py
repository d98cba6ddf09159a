"""SVG charts as PNG pictures for the office documents, drawn on this machine: by librsvg
(the system's SVG library, in C) where it is installed, else by CairoSVG (in Python, about
four times slower on these charts, and the same picture to the eye). Nothing is fetched and
no browser is started."""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import math
import re
import struct
import sys
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache

# Twice the SVG's own size: sharp on a projector and when a slide is printed.
SCALE = 2.0
# Pixels per inch of the picture as placed: sharp on a projector and in print, and no more
# (the drawing time grows with the pixels drawn).
DPI = 150


def svg_to_png(svg: str, *, scale: float = SCALE) -> bytes:
    """A PNG of an SVG drawing, on white, at ``scale`` times its size in pixels."""
    rsvg = _librsvg()
    if rsvg is not None:
        return rsvg.png(svg, scale)
    import cairosvg  # imported here: only the office documents need it

    return cairosvg.svg2png(bytestring=svg.encode("utf-8"), scale=scale,
                            background_color="white")


class _Viewport(ctypes.Structure):
    _fields_ = [("x", ctypes.c_double), ("y", ctypes.c_double),
                ("width", ctypes.c_double), ("height", ctypes.c_double)]


_RGB24 = 1  # cairo_format_t: 32-bit words, the top 8 bits unused


class _LibRsvg:
    """librsvg's C interface (2.46 or later), drawing on a cairo image surface, both called
    through ctypes. Only the drawing itself lets go of Python's lock: each call that lets go
    must take the lock back, which a busy main thread (building the slides meanwhile) holds
    for up to Python's switch interval (5 ms); with every small call letting go, as a
    wrapper library's do, a picture waited tens of milliseconds for nothing."""

    def __init__(self, rsvg: str, cairo: str, gobject: str) -> None:
        held = ctypes.PyDLL(rsvg)  # calls that keep the lock: quick ones
        held.rsvg_handle_new_from_data.restype = ctypes.c_void_p
        held.rsvg_handle_new_from_data.argtypes = [ctypes.c_char_p, ctypes.c_size_t,
                                                   ctypes.c_void_p]
        drawing = ctypes.CDLL(rsvg).rsvg_handle_render_document  # lets go of the lock
        drawing.restype = ctypes.c_int
        drawing.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(_Viewport),
                            ctypes.c_void_p]
        c = ctypes.PyDLL(cairo)
        for name, result, args in (
                ("cairo_image_surface_create", ctypes.c_void_p,
                 [ctypes.c_int, ctypes.c_int, ctypes.c_int]),
                ("cairo_create", ctypes.c_void_p, [ctypes.c_void_p]),
                ("cairo_set_source_rgb", None, [ctypes.c_void_p] + [ctypes.c_double] * 3),
                ("cairo_paint", None, [ctypes.c_void_p]),
                ("cairo_scale", None, [ctypes.c_void_p, ctypes.c_double, ctypes.c_double]),
                ("cairo_status", ctypes.c_int, [ctypes.c_void_p]),
                ("cairo_surface_flush", None, [ctypes.c_void_p]),
                ("cairo_image_surface_get_data", ctypes.c_void_p, [ctypes.c_void_p]),
                ("cairo_image_surface_get_stride", ctypes.c_int, [ctypes.c_void_p]),
                ("cairo_destroy", None, [ctypes.c_void_p]),
                ("cairo_surface_destroy", None, [ctypes.c_void_p])):
            getattr(c, name).restype, getattr(c, name).argtypes = result, args
        unref = ctypes.PyDLL(gobject).g_object_unref
        unref.argtypes = [ctypes.c_void_p]
        self.held, self.drawing, self.cairo, self.unref = held, drawing, c, unref

    def png(self, svg: str, scale: float) -> bytes:
        c = self.cairo
        width, height = svg_size(svg)
        across, down = round(width * scale), round(height * scale)
        surface = c.cairo_image_surface_create(_RGB24, across, down)
        context = c.cairo_create(surface)
        try:
            c.cairo_set_source_rgb(context, 1, 1, 1)
            c.cairo_paint(context)
            c.cairo_scale(context, scale, scale)  # the drawing at its own size, scaled
            if c.cairo_status(context):
                raise MemoryError(f"cairo could not make a picture of {across}x{down} pixels")
            data = svg.encode("utf-8")
            handle = self.held.rsvg_handle_new_from_data(data, len(data), None)
            if not handle:
                raise ValueError("librsvg could not read an SVG drawing")
            try:
                drawn = self.drawing(handle, context,
                                     ctypes.byref(_Viewport(0, 0, width, height)), None)
            finally:
                self.unref(handle)
            if not drawn:
                raise ValueError("librsvg could not draw an SVG drawing")
            c.cairo_surface_flush(surface)
            stride = c.cairo_image_surface_get_stride(surface)
            words = ctypes.string_at(c.cairo_image_surface_get_data(surface), stride * down)
        finally:
            c.cairo_destroy(context)
            c.cairo_surface_destroy(surface)
        return _png(words, across, down, stride)


def _png(words: bytes, width: int, height: int, stride: int) -> bytes:
    """The pixels of a cairo RGB24 image (``stride`` bytes a row) as PNG bytes, lossless.
    Encoding used to take longer than librsvg's drawing: Pillow tries five filters on every
    row, which a chart (mostly flat colour) does not need. Rows unfiltered and deflated at
    zlib level 3 encode in a third of the time, to files a fifth smaller (the deck's three
    pictures: 24 ms against 64)."""
    import numpy as np

    # cairo's RGB24 pixels are native 32-bit words 0x00RRGGBB: B, G, R, unused in memory on
    # a little-endian machine, unused, R, G, B on a big-endian one
    pixels = np.frombuffer(words, np.uint8).reshape(height, stride)
    pixels = pixels[:, :4 * width].reshape(height, width, 4)
    rows = np.zeros((height, 1 + 3 * width), np.uint8)  # each row: filter 0 (none), RGB
    rows[:, 1:].reshape(height, width, 3)[...] = (pixels[:, :, 2::-1] if sys.byteorder ==
                                                  "little" else pixels[:, :, 1:])
    deflated = zlib.compress(rows.tobytes(), 3)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", deflated) + \
        _chunk(b"IEND", b"")


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: its length, kind, data and the CRC of kind and data."""
    return struct.pack(">I", len(data)) + kind + data + \
        struct.pack(">I", zlib.crc32(kind + data))


@cache
def _librsvg() -> _LibRsvg | None:
    """librsvg, if the system has a version that draws a whole document, else None."""
    found = [ctypes.util.find_library(name) or default for name, default in
             (("rsvg-2", "librsvg-2.so.2"), ("cairo", "libcairo.so.2"),
              ("gobject-2.0", "libgobject-2.0.so.0"))]
    try:
        ctypes.CDLL(found[0]).rsvg_handle_render_document  # noqa: B018  (since 2.46)
        return _LibRsvg(*found)
    except (OSError, AttributeError):
        return None


class PictureCache:
    """The PNG pictures of one document, each drawn once: a drawing placed twice at the
    same size (the same content hash) is drawn once. Drawn in a worker thread: a document
    starts its pictures before it builds the slides or pages before them, and librsvg and
    Pillow (C code that lets go of Python's lock) draw them on another core meanwhile;
    ``png`` waits for the one being placed."""

    def __init__(self) -> None:
        self._drawn: dict[tuple[str, float], Future[bytes]] = {}

    def start(self, svg: str, *, width: float) -> None:
        """Starts drawing the picture ``png`` will ask for with the same arguments."""
        self._drawing(svg, width)

    def png(self, svg: str, *, width: float) -> bytes:
        """The drawing as a PNG of DPI pixels per inch at ``width`` inches wide."""
        return self._drawing(svg, width).result()

    def _drawing(self, svg: str, width: float) -> Future[bytes]:
        # whole pixels, rounded up: never fewer than DPI per inch as placed
        pixels = math.ceil(round(width * DPI, 6))
        key = (hashlib.sha256(svg.encode("utf-8")).hexdigest(), pixels)
        if key not in self._drawn:
            self._drawn[key] = _drawer().submit(svg_to_png, svg,
                                                scale=pixels / svg_size(svg)[0])
        return self._drawn[key]


@cache
def _drawer() -> ThreadPoolExecutor:
    """The one thread that draws the documents' pictures, one at a time, in order."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="stocktake-pictures")


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
