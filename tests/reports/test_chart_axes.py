"""The charts' time axes: tick labels that never overlap, measured with a real font's metrics
(DejaVu Sans, what WeasyPrint and the browsers here draw "sans-serif" with), at series lengths
a delivery unit meets; and a gap in the data drawn as a gap in the line."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import ImageFont

from stocktake.model.periods import Period
from stocktake.reports.charts import headline_chart, unit_panel
from stocktake.results.status import PeriodValue, UnitReading
from tests.reports.trajectories import trajectory_reading

SVG = "{http://www.w3.org/2000/svg}"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

# (first period, length): 12 months, 41 years, 20 years of months, 10 years of weeks, 20 months
SERIES = [("2024-01", 12), ("1985", 41), ("2005-01", 240), ("2015-W01", 520), ("2025-05", 20)]


def periods(first: str, n: int) -> list[str]:
    start = Period.parse(first)
    return [start.shift(i).code for i in range(n)]


def chart(first: str, n: int) -> str:
    codes = periods(first, n)
    readings = [(p, 50 + (i % 7), 50.0) for i, p in enumerate(codes)]
    return headline_chart(trajectory_reading(readings, (codes[0], 50.0), (codes[-1], 40.0)))


def panel(first: str, n: int, missing: tuple[int, ...] = ()) -> str:
    codes = periods(first, n)
    actuals = tuple(PeriodValue(period=p, value=1000 + 3 * i) for i, p in enumerate(codes)
                    if i not in missing)
    return unit_panel(UnitReading(
        unit="U", unit_name="Unit", readings=(), actuals=actuals, off_track_run=0,
        status="on_track", latest=actuals[-1], expected=None, gap=None, gap_pct=None,
        trajectory_note=None, at_target_period=None), decimals=0)


def tick_extents(svg: str) -> tuple[float, list[tuple[float, float, str]]]:
    """The picture's width and each x tick label's (left, right, text), measured with the
    font the PDF is drawn with at the size the SVG sets."""
    root = ET.fromstring(svg)
    width = float(root.get("viewBox").split()[2])
    size = float(root.get("font-size"))
    font = ImageFont.truetype(str(FONT), size=100)  # measured large, scaled: no rounding
    out = []
    for t in root.iter(f"{SVG}text"):
        if t.get("class") == "x-tick":
            w = font.getlength(t.text) * size / 100
            x = float(t.get("x"))
            assert t.get("text-anchor") == "middle"
            out.append((x - w / 2, x + w / 2, t.text))
    return width, out


@pytest.mark.skipif(not FONT.exists(), reason="needs DejaVu Sans (fonts-dejavu-core)")
@pytest.mark.parametrize("draw", [chart, panel], ids=["headline", "small multiple"])
@pytest.mark.parametrize(("first", "n"), SERIES)
def test_tick_labels_never_overlap_and_stay_in_the_picture(draw, first, n):
    width, ticks = tick_extents(draw(first, n))
    assert len(ticks) >= 2, f"{n} periods from {first}: {ticks}"  # an axis one can read
    for (_, right, a), (left, _, b) in zip(ticks, ticks[1:], strict=False):
        assert right + 2 <= left, f"{a!r} and {b!r} overlap ({n} periods from {first})"
    assert ticks[0][0] >= 0 and ticks[-1][1] <= width


def test_forty_one_years_are_labelled_at_round_years():
    _, ticks = tick_extents(chart("1985", 41))
    years = [int(t) for _, _, t in ticks]
    step = years[1] - years[0]
    assert step in (2, 5, 10) and all(y % step == 0 for y in years)
    assert all(b - a == step for a, b in zip(years, years[1:], strict=False))


def moves(svg: str) -> list[str]:
    """The subpaths ("M..." runs) of the actual line."""
    root = ET.fromstring(svg)
    path = next(p for p in root.iter(f"{SVG}path") if p.get("class") == "actual")
    return re.findall(r"M[^M]+", path.get("d"))


def test_a_gap_in_the_data_is_a_gap_in_the_line():
    assert len(moves(panel("2024-01", 24))) == 1
    runs = moves(panel("2024-01", 24, missing=(9, 10, 11)))
    # two runs: months 0..8 (9 points) and 12..23 (12 points); no segment spans the gap
    assert [r.count(",") for r in runs] == [9, 12]


def test_the_small_multiple_labels_its_latest_value():
    root = ET.fromstring(panel("2024-01", 24))
    latest = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "latest"]
    assert latest == [f"{1000 + 3 * 23:,}"]


def text_box(t: ET.Element, font: ImageFont.FreeTypeFont, size: float
             ) -> tuple[float, float, float, float]:
    """(x from, x to, y from, y to) of a text element as drawn at ``size``."""
    w = font.getlength(t.text) * size / 100
    x = float(t.get("x"))
    left = {"start": x, "middle": x - w / 2, "end": x - w}[t.get("text-anchor") or "start"]
    return left, left + w, float(t.get("y")) - size * 0.8, float(t.get("y")) + size * 0.2


@pytest.mark.skipif(not FONT.exists(), reason="needs DejaVu Sans (fonts-dejavu-core)")
def test_a_rebase_label_keeps_clear_of_the_target_label():
    from tests.reports.test_headline_chart_spc import _spc

    for target in (("2024-06", 140.0), ("2024-03", 140.0), ("2023-12", 150.0)):
        svg = headline_chart(trajectory_reading([], ("2021-01", 100.0), target), _spc())
        root = ET.fromstring(svg)
        font = ImageFont.truetype(str(FONT), size=100)
        texts = list(root.iter(f"{SVG}text"))
        rebase = [text_box(t, font, 10) for t in texts if t.get("class") == "rebase"]
        goal = [text_box(t, font, 12) for t in texts if (t.text or "").startswith("Target ")
                and t.get("fill") != "#fff"]
        assert rebase and goal
        for a in rebase:
            for b in goal:
                assert not (a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]), target
