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
from typing import Any

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


class _LibRsvg:
    """librsvg's C interface (2.46 or later), drawing on a cairocffi image surface."""

    def __init__(self, lib: ctypes.CDLL, gobject: ctypes.CDLL) -> None:
        lib.rsvg_handle_new_from_data.restype = ctypes.c_void_p
        lib.rsvg_handle_new_from_data.argtypes = [ctypes.c_char_p, ctypes.c_size_t,
                                                  ctypes.c_void_p]
        lib.rsvg_handle_render_document.restype = ctypes.c_int
        lib.rsvg_handle_render_document.argtypes = [
            ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(_Viewport), ctypes.c_void_p]
        gobject.g_object_unref.argtypes = [ctypes.c_void_p]
        self.lib, self.gobject = lib, gobject

    def png(self, svg: str, scale: float) -> bytes:
        import cairocffi as cairo

        width, height = svg_size(svg)
        surface = cairo.ImageSurface(cairo.FORMAT_RGB24, round(width * scale),
                                     round(height * scale))
        context = cairo.Context(surface)
        context.set_source_rgb(1, 1, 1)
        context.paint()
        context.scale(scale, scale)  # the drawing at its own size, scaled by cairo
        data = svg.encode("utf-8")
        handle = self.lib.rsvg_handle_new_from_data(data, len(data), None)
        if not handle:
            raise ValueError("librsvg could not read an SVG drawing")
        try:
            pointer = int(cairo.ffi.cast("uintptr_t", context._pointer))
            drawn = self.lib.rsvg_handle_render_document(
                handle, pointer, ctypes.byref(_Viewport(0, 0, width, height)), None)
        finally:
            self.gobject.g_object_unref(handle)
        if not drawn:
            raise ValueError("librsvg could not draw an SVG drawing")
        surface.flush()
        return _png(surface)


def _png(surface: Any) -> bytes:
    """A cairo RGB surface as PNG bytes, lossless. Encoding used to take longer than
    librsvg's drawing: Pillow tries five filters on every row, which a chart (mostly flat
    colour) does not need. Rows unfiltered and deflated at zlib level 3 encode in a third
    of the time, to files a fifth smaller (the deck's three pictures: 24 ms against 64)."""
    import numpy as np

    width, height, stride = surface.get_width(), surface.get_height(), surface.get_stride()
    # cairo's RGB24 pixels are native 32-bit words 0x00RRGGBB: B, G, R, unused in memory on
    # a little-endian machine, unused, R, G, B on a big-endian one
    words = np.frombuffer(surface.get_data(), np.uint8).reshape(height, stride)
    words = words[:, :4 * width].reshape(height, width, 4)
    rows = np.zeros((height, 1 + 3 * width), np.uint8)  # each row: filter 0 (none), RGB
    rows[:, 1:].reshape(height, width, 3)[...] = (words[:, :, 2::-1] if sys.byteorder ==
                                                  "little" else words[:, :, 1:])
    pixels = zlib.compress(rows.tobytes(), 3)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", pixels) + \
        _chunk(b"IEND", b"")


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: its length, kind, data and the CRC of kind and data."""
    return struct.pack(">I", len(data)) + kind + data + \
        struct.pack(">I", zlib.crc32(kind + data))


@cache
def _librsvg() -> _LibRsvg | None:
    """librsvg, if the system has a version that draws a whole document, else None."""
    try:
        import cairocffi  # noqa: F401  (the surface librsvg draws on)

        lib = ctypes.CDLL(ctypes.util.find_library("rsvg-2") or "librsvg-2.so.2")
        gobject = ctypes.CDLL(ctypes.util.find_library("gobject-2.0") or
                              "libgobject-2.0.so.0")
        lib.rsvg_handle_render_document  # noqa: B018  (since librsvg 2.46)
    except (ImportError, OSError, AttributeError):
        return None
    return _LibRsvg(lib, gobject)


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
