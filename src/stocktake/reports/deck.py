"""The stocktake pack as a PowerPoint deck (python-pptx) that a delivery unit can edit: a
title slide, then one slide or more for each of the pack's five questions, and the methods.

Every slide says "Data as of"; its speaker notes name the sources and the vintage. Charts
PowerPoint can draw itself are native, editable charts (the headline against its trajectory
as a line chart, the units against their share as a bar chart); the ones it cannot (the SPC
chart with its process limits, the funnel plot, the delivery chain) are the pack's own SVG
drawings as high-resolution PNG pictures. Reads the context of
services.publishing.packs.pack_context, the same the HTML and PDF pack read."""

from __future__ import annotations

import copy
import io
import math
from pathlib import Path
from typing import Any

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import (
    XL_CHART_TYPE,
    XL_LEGEND_POSITION,
    XL_MARKER_STYLE,
    XL_TICK_LABEL_POSITION,
)
from pptx.enum.text import PP_ALIGN
from pptx.util import Emu, Inches, Pt

from ..model.periods import Period, period_range
from ..results.readings import SpcChart, SpcPoint, UnitComparison
from ..results.status import ForecastReading, PriorityTrajectory
from .chain_diagram import chain_svg
from .charts import funnel_chart, headline_chart
from .figures import BarFigure
from .locale import WRITING, gettext, ngettext, office_format, period_label, writing_in
from .office import data_as_of_line, headline_facts, likelihood_text, sources_note
from .pictures import PictureCache, svg_size
from .said import said_in
from .theme import DEFAULT_THEME, Theme
from .written import day, icon_word, lead_evidence, number, pct, signed, status_word, word

WIDTH, HEIGHT = Inches(13.333), Inches(7.5)  # 16:9
MARGIN = Inches(0.5)
BODY_TOP = Inches(1.35)
BODY_HEIGHT = HEIGHT - BODY_TOP - Inches(0.75)
SPC_HEIGHT = BODY_HEIGHT - Inches(0.6)  # the SPC chart's, its icons' line below it
TABLE_ROWS = 10  # the most rows a table slide holds legibly; the rest are counted
MAX_CATEGORY_LABELS = 12  # labels on a time axis, at most
_C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
LABEL_ANGLE = -45 * 60000  # a long time axis's labels, in DrawingML's 60,000ths of a degree
TITLE_ONLY = 5  # the "Title Only" layout of python-pptx's default template


class Deck:
    """A presentation being written: every slide gets the title, the ``footer`` (which
    says "Data as of") and speaker notes ending with the ``sources``. The pack, the note
    and the report (reports.briefing_deck) are each a Deck."""

    def __init__(self, c: dict[str, Any], theme: Theme, *, footer: str, sources: str
                 ) -> None:
        self.c, self.theme = c, theme
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = WIDTH, HEIGHT
        self.footer, self.sources = footer, sources
        self.pictures = PictureCache()
        self._run_styles: dict[tuple[int, bool, str], Any] = {}  # style_runs' a:rPr
        self._cell_fills: dict[str | None, Any] = {}  # fill_cell's fill elements

    def colour(self, name: str) -> RGBColor:
        return RGBColor(*self.theme.rgb(name))

    def slide(self, title: str, notes: str) -> Any:
        """A new slide with its title in the title placeholder (so that PowerPoint's outline,
        navigation and screen readers know it), the footer, and the speaker notes."""
        s = self.prs.slides.add_slide(self.prs.slide_layouts[TITLE_ONLY])
        heading = s.shapes.title
        heading.left, heading.top = MARGIN, Inches(0.3)
        heading.width, heading.height = WIDTH - 2 * MARGIN, Inches(0.95)
        frame = heading.text_frame
        frame.word_wrap = True
        frame.text = title
        para = frame.paragraphs[0]
        para.alignment = PP_ALIGN.LEFT
        self.style_runs(para, 26, True, self.colour("primary"))
        self.text(s, self.footer, MARGIN, HEIGHT - Inches(0.55), WIDTH - 2 * MARGIN,
                  Inches(0.35), size=11, colour="forecast")
        s.notes_slide.notes_text_frame.text = (notes + "\n\n" if notes else "") + self.sources
        return s

    def style_runs(self, para: Any, size: int, bold: bool, colour: RGBColor) -> None:
        """Every run of a paragraph in the theme's font at ``size`` points, ``bold`` or not,
        in ``colour``. The first run of each style is styled through python-pptx; the
        others get a copy of its run properties (``a:rPr``), the same XML for a fraction
        of the time (a deck styles hundreds of runs, in a dozen styles)."""
        key = (size, bold, str(colour))
        for run in para.runs:
            template = self._run_styles.get(key)
            if template is not None and run._r.rPr is None:
                run._r.insert(0, copy.deepcopy(template))
                continue
            run.font.size, run.font.bold = Pt(size), bold
            run.font.name = self.theme.font
            run.font.color.rgb = colour
            self._run_styles.setdefault(key, copy.deepcopy(run._r.rPr))

    def fill_cell(self, cell: Any, colour: RGBColor | None) -> None:
        """A table cell filled with ``colour``, or None: no fill (the slide shows through).
        As style_runs: the first cell of each fill through python-pptx, the others a copy
        of its fill element."""
        key = None if colour is None else str(colour)
        template = self._cell_fills.get(key)
        props = cell._tc.get_or_add_tcPr()
        if template is not None and len(props) == 0:
            props.append(copy.deepcopy(template))
            return
        if colour is None:
            cell.fill.background()
        else:
            cell.fill.solid()
            cell.fill.fore_color.rgb = colour
        self._cell_fills.setdefault(key, copy.deepcopy(props[0]))

    def text(self, s: Any, text: str | list[str], left: int, top: int, width: int,
             height: int, *, size: int = 16, bold: bool = False, colour: str = "actual",
             align: Any = None) -> Any:
        """A text box; a list is one paragraph per item."""
        box = s.shapes.add_textbox(left, top, width, height)
        frame = box.text_frame
        frame.word_wrap = True
        for i, line in enumerate([text] if isinstance(text, str) else text):
            para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            para.text = line
            para.space_after = Pt(6)
            if align is not None:
                para.alignment = align
            self.style_runs(para, size, bold, self.colour(colour))
        return box

    def table(self, s: Any, header: list[str] | None, rows: list[list[str]], *,
              top: int = BODY_TOP, widths: list[float] | None = None, size: int = 13) -> None:
        """A table under the title (``header`` None: label and value rows, the labels
        bold); past TABLE_ROWS rows, one line says how many more."""
        shown = rows[:TABLE_ROWS]
        columns = len(header or rows[0])
        if len(rows) > len(shown):
            shown.append([gettext("and %(n)s more", n=len(rows) - len(shown))]
                         + [""] * (columns - 1))
        lines = [header, *shown] if header else shown
        width = WIDTH - 2 * MARGIN
        shape = s.shapes.add_table(len(lines), columns, MARGIN, top, width,
                                   Inches(0.4) * len(lines))
        grid = shape.table
        grid.first_row = bool(header)
        shares = widths or [1 / columns] * columns
        for i, share in enumerate(shares):
            grid.columns[i].width = Emu(int(width * share / sum(shares)))
        for r, row in enumerate(lines):
            heading = bool(header) and r == 0
            for k, value in enumerate(row):
                cell = grid.cell(r, k)
                cell.text = value
                for para in cell.text_frame.paragraphs:
                    self.style_runs(para, size, heading or (not header and k == 0),
                                    RGBColor(255, 255, 255) if heading
                                    else self.colour("actual"))
                self.fill_cell(cell, self.colour("primary") if heading else None)
        if len(rows) > TABLE_ROWS and columns > 1:  # "and N more" across the whole row
            grid.cell(len(lines) - 1, 0).merge(grid.cell(len(lines) - 1, columns - 1))

    def picture(self, s: Any, svg: str, *, top: int = BODY_TOP,
                height: int = BODY_HEIGHT) -> None:
        """An SVG drawing as a PNG picture, as large as fits under the title, centred."""
        cx, cy = _placed(svg, height)
        png = self.pictures.png(svg, width=Emu(cx).inches)
        s.shapes.add_picture(io.BytesIO(png), int((WIDTH - cx) / 2), top, cx, cy)

    def start_picture(self, svg: str, *, height: int = BODY_HEIGHT) -> str:
        """Starts drawing the picture ``picture`` will place with the same height, in the
        background while the slides before it are built (reports.pictures); the SVG."""
        self.pictures.start(svg, width=Emu(_placed(svg, height)[0]).inches)
        return svg

    def bar_figure(self, s: Any, figure: BarFigure, *, top: int = BODY_TOP,
                   height: int = BODY_HEIGHT - Inches(0.5)) -> Any:
        """A figure's bars as a native, editable bar chart (the first category at the
        top), each bar in its colour, labelled with its value; its caption below."""
        number_format = office_format(_per_cent_as_written(figure.number_format))
        data = CategoryChartData(number_format=number_format)
        data.categories = list(reversed(figure.categories))  # PowerPoint draws bottom-up
        data.add_series(figure.axis_title, list(reversed(figure.values)))
        frame = s.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, MARGIN, top,
                                   WIDTH - 2 * MARGIN, height, data)
        chart = frame.chart
        chart.has_title = chart.has_legend = False
        chart.font.size, chart.font.name = Pt(12), self.theme.font
        plot = chart.plots[0]
        plot.has_data_labels = True
        plot.data_labels.number_format = number_format
        plot.data_labels.number_format_is_linked = False
        for point, colour in zip(plot.series[0].points, reversed(figure.colours),
                                 strict=True):
            point.format.fill.solid()
            point.format.fill.fore_color.rgb = self.colour(colour)
        chart.value_axis.has_title = True
        chart.value_axis.axis_title.text_frame.text = figure.axis_title
        if figure.fixed_range:
            chart.value_axis.minimum_scale, chart.value_axis.maximum_scale = figure.fixed_range
        chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW
        self.text(s, figure.caption, MARGIN, HEIGHT - Inches(1.05), WIDTH - 2 * MARGIN,
                  Inches(0.45), size=12, colour="forecast")
        return chart

    def line_chart(self, s: Any, data: CategoryChartData, styles: list[tuple[str, bool]],
                   *, top: int = BODY_TOP, height: int = BODY_HEIGHT) -> Any:
        """A native line chart; each series styled (colour, dashed); gaps left as gaps."""
        frame = s.shapes.add_chart(XL_CHART_TYPE.LINE, MARGIN, top, WIDTH - 2 * MARGIN,
                                   height, data)
        chart = frame.chart
        chart.has_title = False  # the slide's title says what it shows
        chart.has_legend = True
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM
        chart.legend.include_in_layout = False
        chart.font.size, chart.font.name = Pt(12), self.theme.font
        for series, (colour, dashed) in zip(chart.plots[0].series, styles, strict=True):
            series.smooth = False
            series.marker.style = XL_MARKER_STYLE.NONE
            line = series.format.line
            line.color.rgb = self.colour(colour)
            line.width = Pt(2.25)
            if dashed:
                line.dash_style = 4  # MSO_LINE.DASH
        _show_gaps(chart)
        _label_every(chart, -(-len(data.categories) // MAX_CATEGORY_LABELS))
        values = [v for s in data for v in s.values if v is not None]
        low, high = _nice_range(min(values), max(values))
        chart.value_axis.minimum_scale, chart.value_axis.maximum_scale = low, high
        labels = chart.value_axis.tick_labels
        labels.number_format = office_format(tick_format(min(values), max(values)))
        labels.number_format_is_linked = False
        chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW
        return chart


def _per_cent_as_written(code: str) -> str:
    """A chart's number format with its per cent sign as the language writes it (as
    written.pct does): "7%" in English, "7 %" with a no-break space in French."""
    return code if WRITING.get() == "en" else code.replace('"%"', '"\u00a0%"')


def _placed(svg: str, height: int) -> tuple[int, int]:
    """The width and height of a drawing as large as fits across a slide and ``height``."""
    w, h = svg_size(svg)
    fit = min((WIDTH - 2 * MARGIN) / w, height / h)
    return int(w * fit), int(h * fit)


def _nice_step(low: float, high: float) -> float:
    """A round step that divides the data's span in at most six."""
    span = (high - low) or abs(high) or 1.0
    step = 10 ** math.floor(math.log10(span / 5))
    for m in (1, 2, 2.5, 5, 10):
        if span / (step * m) <= 6:
            return step * m
    return step * 10


def _nice_range(low: float, high: float) -> tuple[float, float]:
    """An axis from a round number below the data to one above, with a little room."""
    span = (high - low) or abs(high) or 1.0
    step = _nice_step(low, high)
    return math.floor((low - span * 0.05) / step) * step, math.ceil((high + span * 0.05)
                                                                    / step) * step


def tick_format(low: float, high: float) -> str:
    """The value axis's labels with thousands grouped (8,500, never 8500) and as many
    decimals as its step needs (0.5 steps: one)."""
    step = _nice_step(low, high)
    decimals = 0
    while decimals < 6 and abs(step * 10 ** decimals - round(step * 10 ** decimals)) > 1e-9:
        decimals += 1
    return "#,##0" + ("." + "0" * decimals if decimals else "")


def _label_every(chart: Any, n: int) -> None:
    """Label every n-th period on the time axis, so that labels never overlap at any
    length of series (41 years, ten years of weeks). LibreOffice ignores the skip and
    prints every label, side by side wherever they just fit (26 years ran together as
    "19901991..."): the labels of a long axis are therefore set at an angle, which keeps
    them apart there too."""
    if n <= 1:
        return
    axis = chart.category_axis._element  # python-pptx has no API for tickLblSkip
    axis.get_or_add_txPr().find(f"{{{_A}}}bodyPr").set("rot", str(LABEL_ANGLE))
    for tag in ("tickLblSkip", "tickMarkSkip"):
        element = axis.makeelement(f"{{{_C}}}{tag}", {"val": str(n)})
        after = axis.find(f"{{{_C}}}noMultiLvlLbl")
        if after is not None:
            after.addprevious(element)
        else:
            axis.append(element)


def _show_gaps(chart: Any) -> None:
    """A missing period is a gap in the line, never a line drawn across it."""
    root = chart._chartSpace.chart  # python-pptx has no API for dispBlanksAs
    blanks = root.find(f"{{{_C}}}dispBlanksAs")
    if blanks is None:
        blanks = root.makeelement(f"{{{_C}}}dispBlanksAs", {})
        root.find(f"{{{_C}}}plotVisOnly").addnext(blanks)
    blanks.set("val", "gap")


def headline_series(trajectory: PriorityTrajectory, spc: SpcChart | None, *,
                    history: int = 36
                    ) -> tuple[list[str], dict[str, list[float | None]]]:
    """The headline chart's periods, every one from the first to the last (so that a missing
    period is a gap), and its lines: actual, trajectory, forecast (the mean to the target)."""
    readings = trajectory.readings
    traj = trajectory.trajectory
    start = Period.parse(traj.baseline.period).shift(-history) if traj else None
    points = [p for p in (spc.points if spc else ()) if start is None
              or Period.parse(p.period) >= start]
    actual = ({p.period: _reported(p) for p in points}
              or {r.period: r.actual for r in readings if r.actual is not None})
    expected = {r.period: r.expected for r in readings if r.expected is not None}
    forecast = trajectory.forecast
    ahead = {f["period"]: f["mean"] for f in (forecast.path or ())} if isinstance(
        forecast, ForecastReading) else {}
    if ahead and actual:  # the forecast line starts from the last actual
        last = max(actual, key=Period.parse)
        ahead.setdefault(last, actual[last])
    codes = [*actual, *expected, *ahead]
    if not codes:
        return [], {}
    parsed = [Period.parse(code) for code in codes]
    periods = [p.code for p in period_range(min(parsed), max(parsed))]
    lines = {"Actual": actual, "Trajectory": expected, "Forecast": ahead}
    return periods, {name: [values.get(p) for p in periods]
                     for name, values in lines.items() if values}


def _reported(point: SpcPoint) -> float:
    """An SPC point's value as reported (a seasonally adjusted chart keeps it as observed)."""
    return point.value if point.observed is None else point.observed


def pack_deck(c: dict[str, Any], theme: Theme = DEFAULT_THEME, *,
              funnel: UnitComparison | None = None, funnel_note: str | None = None,
              lang: str = "en") -> Any:
    """The pack as a python-pptx Presentation (``funnel``: the units compared on the
    headline, when the headline is a rate, on a slide of its own; ``funnel_note``: why there
    is none, in the units slide's notes), written in ``lang`` (en or fr)."""
    with writing_in(lang):
        return _pack_deck(c, theme, funnel, funnel_note)


def _pack_deck(c: dict[str, Any], theme: Theme, funnel: UnitComparison | None,
               funnel_note: str | None) -> Any:
    p = c["priority"]
    deck = Deck(c, theme, footer=f"{p['title']} · {data_as_of_line(c, 'pack')}",
                sources=sources_note(c, f"stocktake pack {p['code']} --out pack.pptx"))
    # The pictures first, drawn in the background while the slides before them are built.
    chain = (deck.start_picture(chain_svg(c["chain_object"], c["chain"].analysis))
             if c.get("chain") and c.get("chain_object") is not None else None)
    spc = (deck.start_picture(headline_chart(c["trajectory"], c["spc"], width=880,
                                             height=360), height=SPC_HEIGHT)
           if c["spc"] and c["spc"].points else None)
    funnel_svg = (deck.start_picture(funnel_chart(funnel, width=880, height=440))
                  if funnel is not None else None)
    _title_slide(deck)
    _aim_slide(deck)
    _plan_slide(deck)
    if chain is not None:
        _chain_slide(deck, chain)
    _headline_slide(deck)
    _spc_slide(deck, spc)
    _units_slide(deck, funnel_note)
    if funnel_svg is not None:
        _funnel_slide(deck, funnel_svg)
    _indicators_slide(deck)
    _questions_slide(deck)
    _actions_slide(deck)
    _methods_slide(deck)
    return deck.prs


def write_deck(c: dict[str, Any], out: str | Path, theme: Theme = DEFAULT_THEME, *,
               funnel: UnitComparison | None = None, funnel_note: str | None = None,
               lang: str = "en") -> Path:
    path = Path(out)
    pack_deck(c, theme, funnel=funnel, funnel_note=funnel_note, lang=lang).save(str(path))
    return path


def _title_slide(deck: Deck) -> None:
    c, p = deck.c, deck.c["priority"]
    s = deck.slide(p["title"], p["aspiration"] or "")
    lines = [gettext("Stocktake pack · %(code)s", code=p["code"]),
             *([p["aspiration"]] if p["aspiration"] else []),
             gettext("Accountable owner: %(owner)s", owner=p["owner"] or "–"),
             gettext("Scope: %(scope)s", scope=p["scope_name"]),
             gettext("Pack date: %(day)s", day=day(c["today"])),
             gettext("Likelihood of delivery: %(likelihood)s",
                     likelihood=likelihood_text(c["assessment"])),
             data_as_of_line(c, "pack")]
    deck.text(s, lines, MARGIN, Inches(1.6), WIDTH - 2 * MARGIN, Inches(4.0), size=20)
    if c.get("world_label"):
        deck.text(s, c["world_label"], MARGIN, Inches(6.0), WIDTH - 2 * MARGIN, Inches(0.5),
                  size=14, bold=True, colour="bad")


def _question(deck: Deck, n: int, then: str = "") -> str:
    """A slide's title: the question it answers, and what on the slide answers it."""
    return f"{n} · {word(deck.c['five_questions'][n - 1])}" + (f" {then}" if then else "")


def _aim_slide(deck: Deck) -> None:
    c, p, h = deck.c, deck.c["priority"], deck.c["headline"]
    dec = h.decimals
    s = deck.slide(_question(deck, 1), p["aspiration"] or p["title"])
    better = (gettext("higher is better") if p["polarity"] == "up"
              else gettext("lower is better"))
    rows = [[gettext("Headline indicator"), f"{p['headline_name']} ({p['unit_of_measure']}; "
             f"{better})"],
            [gettext("Baseline"), gettext("%(value)s in %(period)s",
                                          value=number(p["baseline"].value, dec),
                                          period=p["baseline"].period)],
            [gettext("Target"), gettext("%(value)s by %(period)s",
                                        value=number(p["target"].value, dec),
                                        period=p["target"].period)],
            [gettext("Trajectory"), f"{c['aim_trajectory']['method'] or gettext('none')}; "
             f"{c['aim_trajectory']['tolerance']}"],
            [gettext("Lead indicators"),
             "; ".join(m.name for m in c["leads"]) or gettext("none named")],
            [gettext("Counter indicators"),
             "; ".join(m.name for m in c["counters"]) or gettext("none named")]]
    if p.get("definition"):
        rows.insert(1, [gettext("Definition"), p["definition"]])
    deck.table(s, None, rows, widths=[1, 3])
    facts = headline_facts(h, p["target"])
    width = (WIDTH - 2 * MARGIN) / len(facts)
    for i, (label, value, note) in enumerate(facts):
        left = int(MARGIN + i * width)
        deck.text(s, label, left, Inches(4.9), int(width), Inches(0.4), size=13,
                  colour="forecast")
        deck.text(s, value, left, Inches(5.25), int(width), Inches(0.6), size=28, bold=True)
        deck.text(s, note, left, Inches(5.95), int(width), Inches(0.4), size=13,
                  colour="forecast")


def _plan_slide(deck: Deck) -> None:
    plan = deck.c["plan"]
    if not plan:
        s = deck.slide(_question(deck, 2), "")
        deck.text(s, [gettext("No delivery plan has been recorded for this priority."),
                      gettext("A good-enough plan now beats a perfect plan later.")],
                  MARGIN, BODY_TOP, WIDTH - 2 * MARGIN, Inches(2), size=20)
        return
    s = deck.slide(_question(deck, 2), plan["plan"].get("summary") or "")
    periods = deck.c["period_count_word"]
    deck.text(s, gettext("Delivery plan version %(version)s of %(versions)s, by %(author)s "
                         "(%(day)s): %(reason)s.", version=plan["version"],
                         versions=plan["versions"], author=plan["author"],
                         day=day(plan["recorded_at"]), reason=plan["reason"]),
              MARGIN, BODY_TOP, WIDTH - 2 * MARGIN, Inches(0.6), size=14)
    rows = [[i["name"], i.get("owner") or gettext("no owner"),
             f"{i['start']}" + (gettext(", full after %(n)s %(periods)s", n=i["ramp"],
                                        periods=periods) if i.get("ramp") else ""),
             signed(i.get("effect"))] for i in plan["plan"].get("interventions", ())]
    late = [m for m in plan["overdue_milestones"]]
    deck.table(s, [gettext("Intervention"), gettext("Owner"), gettext("Starts"),
                   gettext("Expected effect")], rows,
               top=BODY_TOP + Inches(0.7), widths=[3, 2, 2, 1])
    if late:
        deck.text(s, ngettext("%(num)d milestone overdue: ", "%(num)d milestones overdue: ",
                              len(late))
                  + "; ".join(f"{m.name} ("
                              + gettext("%(days)s days late", days=m.days_overdue) + ")"
                              for m in late[:3]),
                  MARGIN, HEIGHT - Inches(1.3), WIDTH - 2 * MARGIN, Inches(0.6), size=14,
                  colour="bad")


def _chain_slide(deck: Deck, svg: str) -> None:
    """The delivery chain's diagram (``svg``, started by pack_deck)."""
    s = deck.slide(_question(deck, 2, gettext("The delivery chain")),
                   "\n".join(deck.c["chain"].summary))
    deck.picture(s, svg)


def _headline_slide(deck: Deck) -> None:
    c, p, h = deck.c, deck.c["priority"], deck.c["headline"]
    periods, lines = headline_series(c["trajectory"], c["spc"])
    s = deck.slide(_question(deck, 3, gettext("The headline against its trajectory")),
                   "  ".join(f"{label}: {value} ({note})."
                             for label, value, note in headline_facts(h, p["target"])))
    if not periods:
        deck.text(s, gettext("%(scope)s: no data for %(name)s yet, nothing to chart.",
                             name=p["headline_name"], scope=p["scope_name"]),
                  MARGIN, BODY_TOP, WIDTH - 2 * MARGIN, Inches(1), size=20)
        return
    data = CategoryChartData(number_format=office_format("#,##0.0"))
    data.categories = [period_label(Period.parse(code)) for code in periods]
    for name, values in lines.items():
        data.add_series(gettext(name), values)
    styles = {"Actual": ("actual", False), "Trajectory": ("primary", True),
              "Forecast": ("forecast", True)}
    chart = deck.line_chart(s, data, [styles[n] for n in lines], height=BODY_HEIGHT
                            - Inches(0.5))
    chart.value_axis.has_title = True
    chart.value_axis.axis_title.text_frame.text = p["unit_of_measure"] or ""
    deck.text(s, gettext("%(scope)s: %(name)s, complete %(periods)s only; target "
                         "%(value)s by %(period)s.", name=p["headline_name"],
                         scope=p["scope_name"], periods=c["period_word"],
                         value=number(p["target"].value, h.decimals),
                         period=p["target"].period),
              MARGIN, HEIGHT - Inches(1.05), WIDTH - 2 * MARGIN,
              Inches(0.45), size=12, colour="forecast")


def _spc_slide(deck: Deck, svg: str | None) -> None:
    """The SPC chart (``svg``, started by pack_deck; None without control limits)."""
    c, h = deck.c, deck.c["headline"]
    spc: SpcChart | None = c["spc"]  # None, or without points: no control limits yet
    reading = (spc.reading_note if spc else None) or ""
    s = deck.slide(_question(deck, 3, gettext("Statistical process control")), reading)
    if svg is None:
        why = getattr(h.spc, "error", None)
        deck.text(s, gettext("No control limits yet: %(why)s.",
                             why=why or gettext("too few periods")),
                  MARGIN, BODY_TOP, WIDTH - 2 * MARGIN, Inches(1), size=20)
        return
    icons = icon_word(getattr(h.spc, "variation_icon", None))
    if getattr(h.spc, "assurance_icon", None):
        icons += "; " + icon_word(h.spc.assurance_icon)
    deck.picture(s, svg, height=SPC_HEIGHT)
    deck.text(s, gettext("%(icons)s. The reading in full is in the notes.", icons=icons),
              MARGIN, HEIGHT - Inches(1.05), WIDTH - 2 * MARGIN, Inches(0.45), size=12,
              colour="forecast")


def _units_slide(deck: Deck, no_funnel: str | None) -> None:
    """The units against their share; ``no_funnel``: why no funnel plot follows."""
    c, p, h = deck.c, deck.c["priority"], deck.c["headline"]
    units = [u for u in c["units"] if u.gap_pct is not None]
    notes = [f"{u.unit_name}: {status_word(u.status)}"
             + (f", {pct(signed(u.gap_pct))}" if u.gap_pct is not None else "")
             + (gettext(", off track %(n)s %(periods)s running", n=u.off_track_run,
                        periods=c["period_count_word"])
                if u.off_track_run >= 2 else "") for u in c["units"]]
    if no_funnel:
        notes.append(gettext("No funnel plot of the units: %(why)s.", why=no_funnel))
    s = deck.slide(_question(deck, 3, gettext("Units against their share")), "\n".join(notes))
    if not units:
        deck.text(s, gettext("No unit has a reading against its share of the trajectory yet."),
                  MARGIN, BODY_TOP, WIDTH - 2 * MARGIN, Inches(1), size=20)
        return
    # worst first: the units that need help at the top of the bar chart
    sign = 1 if p["polarity"] == "up" else -1
    units.sort(key=lambda u: -sign * u.gap_pct)
    data = CategoryChartData(number_format=office_format("+0.0;-0.0;0"))
    data.categories = [u.unit_name for u in units]
    data.add_series(gettext("Gap against its share of the trajectory (%%)"),
                    [round(u.gap_pct, 1) for u in units])
    frame = s.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, MARGIN, BODY_TOP,
                               WIDTH - 2 * MARGIN, BODY_HEIGHT - Inches(0.5), data)
    chart = frame.chart
    chart.has_title = chart.has_legend = False
    chart.font.size, chart.font.name = Pt(12), deck.theme.font
    plot = chart.plots[0]
    plot.has_data_labels = True
    plot.data_labels.number_format = office_format("+0.0;-0.0;0")
    plot.data_labels.number_format_is_linked = False
    for point, u in zip(plot.series[0].points, units, strict=True):
        point.format.fill.solid()
        point.format.fill.fore_color.rgb = deck.colour(deck.theme.status_colour(u.status))
    chart.value_axis.has_title = True
    chart.value_axis.axis_title.text_frame.text = gettext(
        "%% against the unit's share of the trajectory")
    chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    left = len(c["units"]) - len(units)
    deck.text(s, (gettext("Higher is better") if sign > 0 else gettext("Lower is better"))
              + gettext("; green on or ahead, red off track. %(name)s in its latest complete "
                        "period.", name=h.headline_name)
              + (" " + ngettext("%(num)d unit without a reading.",
                                "%(num)d units without a reading.", left) if left else ""),
              MARGIN, HEIGHT - Inches(1.05), WIDTH - 2 * MARGIN, Inches(0.45), size=12,
              colour="forecast", align=PP_ALIGN.LEFT)


def _funnel_slide(deck: Deck, svg: str) -> None:
    """The funnel plot of the units (``svg``, started by pack_deck)."""
    s = deck.slide(_question(deck, 3, gettext("Units compared fairly")),
                   gettext("A funnel plot: each unit's rate against limits that narrow as its "
                           "denominator grows; the units outside the 99.8%% limits are the "
                           "ones to talk about."))
    deck.picture(s, svg)


def _indicators_slide(deck: Deck) -> None:
    """Lead and counter indicators beside the headline, and the units whose data are
    weakest (the pack's tables, shortened to what a slide holds)."""
    c = deck.c
    s = deck.slide(_question(deck, 3, gettext("Lead and counter indicators, data quality")),
                   "\n".join(f"{m.name}: {lead_evidence(m.evidence)}." for m in c["leads"]))
    moves = ([(m, gettext("Lead")) for m in c["leads"]]
             + [(m, gettext("Counter")) for m in c["counters"]])
    rows = [[f"{m.name} ({m.unit_of_measure})" if m.unit_of_measure else m.name, kind,
             m.period or gettext("no data"), number(m.value), signed(m.change),
             word(m.movement or "–").capitalize()] for m, kind in moves]
    top = BODY_TOP
    if rows:
        deck.table(s, [gettext("Indicator"), gettext("Kind"), gettext("Latest"),
                       gettext("Value"), gettext("Change"), gettext("Movement")], rows,
                   widths=[4, 1, 1.2, 1.2, 1.2, 1.4], size=12)
        top += Inches(0.4) * (min(len(rows), TABLE_ROWS) + 1) + Inches(0.3)
    else:
        deck.text(s, gettext("No lead or counter indicator is named for this priority."),
                  MARGIN, top, WIDTH - 2 * MARGIN, Inches(0.5), size=16)
        top += Inches(0.7)
    quality = sorted(c["quality"]["units"], key=lambda q: q.score)[:c["quality"]["shown"]]
    lines = [gettext("Data quality, the %(n)s lowest-scoring units (out of 100): ",
                     n=len(quality))
             + "; ".join(f"{q.name} {number(q.score, 1)}" for q in quality) + "."
             if quality else gettext("No unit has data to score yet.")]
    deck.text(s, lines, MARGIN, top, WIDTH - 2 * MARGIN, Inches(1), size=14)


def _questions_slide(deck: Deck) -> None:
    c = deck.c
    questions = c["questions"]
    s = deck.slide(_question(deck, 4), "\n".join(f"{q['question']} ({q['evidence']})"
                                                 for q in questions))
    lines = [f"{i}. {q['question']}" for i, q in enumerate(questions[:6], 1)] or [
        gettext("The data raise no question this round.")]
    if len(questions) > 6:
        lines.append(gettext("and %(n)s more in the notes", n=len(questions) - 6))
    lines.append(gettext("Likelihood of delivery: %(likelihood)s",
                         likelihood=likelihood_text(c["assessment"])))
    lines += [gettext("Judgement and statistics disagree: %(message)s",
                         message=said_in(f["message"], WRITING.get()))
              for f in c["assessment"].flags]
    deck.text(s, lines, MARGIN, BODY_TOP, WIDTH - 2 * MARGIN, BODY_HEIGHT, size=18)


def _actions_slide(deck: Deck) -> None:
    c = deck.c
    routine = c["routine"]
    nxt = gettext("Next stocktake: %(day)s.",
                  day=day(routine.next) if routine.next else gettext("not scheduled"))
    s = deck.slide(_question(deck, 5), nxt)
    rows = [[a.text, a.owner, day(a.due),
             gettext("Overdue (%(days)s days)", days=a.days_overdue) if a.days_overdue
             else word(str(a.status).replace("_", " ").capitalize())]
            for a in routine.carried_over]
    if rows:
        deck.table(s, [gettext("Action"), gettext("Owner"), gettext("Due"), gettext("Status")],
                   rows, widths=[4, 2, 1.2, 1.5])
    else:
        deck.text(s, gettext("No open actions from earlier stocktakes."), MARGIN, BODY_TOP,
                  WIDTH - 2 * MARGIN, Inches(1), size=20)
    deck.text(s, nxt, MARGIN, HEIGHT - Inches(1.05), WIDTH - 2 * MARGIN, Inches(0.45),
              size=14)


def _methods_slide(deck: Deck) -> None:
    c = deck.c
    s = deck.slide(gettext("Annex: data and methods"), "")
    rows = [[gettext("Data as of"), data_as_of_line(c, "pack")]]
    lang = WRITING.get()  # the methods' sentences in the deck's language
    rows += [[word(m["name"]), said_in(m["text"], lang)] for m in c["methods"]]
    deck.table(s, None, rows, widths=[1, 5], size=10)
