"""The office documents' work done once: the pack's snapshot read again by its funnel plot
(the same world, never another moment's), and the run properties and table cells' fills a
deck copies from the first of each style (the same XML python-pptx writes for each)."""

from __future__ import annotations

import shutil
from datetime import datetime

import pytest
from lxml import etree
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Inches, Pt

from stocktake.intake.service import submit_rows
from stocktake.reports.deck import Deck
from stocktake.reports.theme import DEFAULT_THEME
from stocktake.services.data.model_service import load_model
from stocktake.services.publishing.packs import headline_funnel, pack_context
from stocktake.services.reading.snapshot import Snapshot
from stocktake.store.db import open_engine

EARLY, LATE = datetime(2024, 7, 5, 9, 0), datetime(2024, 10, 5, 9, 0)


@pytest.fixture
def two_moments(migrated_sqlite, tmp_path, small_model_dir):
    """The small model with returns for January to June recorded at EARLY, and July to
    September at LATE: two worlds in one SQLite database (what is shared is the reading,
    not SQL: one dialect is enough)."""
    shutil.copyfile(migrated_sqlite, tmp_path / "two.db")
    engine = open_engine(f"sqlite:///{tmp_path / 'two.db'}")
    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2024, 1, 2))
    for months, now in ((range(1, 7), EARLY), (range(7, 10), LATE)):
        rows = [(i, u, f"2024-{m:02d}", v) for m in months
                for u, n, p in [("A1", 31 - m, 350000), ("A2", 20 + m % 3, 250000),
                                ("B1", 39 - m % 4, 400000)]
                for i, v in (("incidents", n), ("population", p))]
        assert submit_rows(engine, rows, submitter="t", now=now).accepted
    yield engine
    engine.dispose()


def _reading(pack: dict, funnel) -> tuple:
    head = pack["headline"]
    return (pack["data_as_of"], head.latest, head.expected, head.status, funnel)


def test_a_shared_snapshot_gives_each_moment_its_own_pack_and_funnel(two_moments):
    engine = two_moments
    readings = {}
    for moment in (EARLY, LATE):
        snap = Snapshot(engine, moment)
        shared = pack_context(engine, "P1", as_of=moment, snapshot=snap)
        funnel, why_not = headline_funnel(engine, shared, as_of=moment, snapshot=snap)
        alone = pack_context(engine, "P1", as_of=moment)
        own = headline_funnel(engine, alone, as_of=moment)
        assert why_not is None and funnel is not None
        # the shared snapshot reads what separate reads at that moment read
        assert _reading(shared, funnel) == _reading(alone, own[0])
        readings[moment] = _reading(shared, funnel)
    # ... and never another moment's world: June's latest month early, September's late
    assert readings[EARLY][1].period == "2024-06" and readings[LATE][1].period == "2024-09"
    assert readings[EARLY][4].period == "2024-06" and readings[LATE][4].period == "2024-09"


def test_a_snapshot_of_another_moment_is_refused(two_moments):
    late = Snapshot(two_moments, LATE)
    with pytest.raises(ValueError, match="another database or moment"):
        pack_context(two_moments, "P1", as_of=EARLY, snapshot=late)
    pack = pack_context(two_moments, "P1", as_of=LATE, snapshot=late)
    with pytest.raises(ValueError, match="another database or moment"):
        headline_funnel(two_moments, pack, as_of=EARLY, snapshot=late)


def _styled_by_python_pptx(text: str, size: int, bold: bool, colour: RGBColor) -> bytes:
    """A run's properties as python-pptx's font API writes them, in a deck of its own."""
    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    para = slide.shapes.add_textbox(0, 0, Inches(1), Inches(1)).text_frame.paragraphs[0]
    para.text = text
    run = para.runs[0]
    run.font.size, run.font.bold = Pt(size), bold
    run.font.name = DEFAULT_THEME.font
    run.font.color.rgb = colour
    return etree.tostring(run._r.rPr)


def test_every_run_and_cell_has_the_properties_python_pptx_would_write():
    deck = Deck({}, DEFAULT_THEME, footer="Data as of today", sources="Sources: here")
    s = deck.slide("A title", "notes")
    styles = [(16, False, "actual"), (16, True, "actual"), (16, False, "bad"),
              (12, False, "actual")]
    for size, bold, colour in styles * 2:  # each style twice: the second run is a copy
        deck.text(s, [f"{size} {bold} {colour}", "a second line"], 0, 0, Inches(4),
                  Inches(1), size=size, bold=bold, colour=colour)
    deck.table(s, ["Head", "Er"], [["label", "value"], ["label", "value"]])
    boxes = [sh for sh in s.shapes if sh.has_text_frame and sh.text_frame.text[:2] in
             ("16", "12")]
    assert len(boxes) == 8
    seen = set()
    for box, (size, bold, colour) in zip(boxes, styles * 2, strict=True):
        for para in box.text_frame.paragraphs:
            [run] = para.runs
            written = etree.tostring(run._r.rPr)
            assert written == _styled_by_python_pptx(run.text, size, bold,
                                                     deck.colour(colour))
            seen.add(written)
    assert len(seen) == len(styles)  # no style served for another
    table = next(sh for sh in s.shapes if sh.has_table).table
    for r, row in enumerate(table.rows):
        for cell in row.cells:
            [run] = cell.text_frame.paragraphs[0].runs
            colour = RGBColor(255, 255, 255) if r == 0 else deck.colour("actual")
            assert etree.tostring(run._r.rPr) == _styled_by_python_pptx(
                run.text, 13, r == 0, colour)
            assert etree.tostring(cell._tc.tcPr) == _filled_by_python_pptx(
                deck.colour("primary") if r == 0 else None)


def _filled_by_python_pptx(colour: RGBColor | None) -> bytes:
    """A table cell's properties as python-pptx's fill API writes them."""
    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    cell = slide.shapes.add_table(1, 1, 0, 0, Inches(1), Inches(1)).table.cell(0, 0)
    if colour is None:
        cell.fill.background()
    else:
        cell.fill.solid()
        cell.fill.fore_color.rgb = colour
    return etree.tostring(cell._tc.tcPr)
