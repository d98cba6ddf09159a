"""Charts as plain SVG text: no JavaScript, no fonts or libraries fetched, the same picture in
a page, a PDF pack or a static site. Colours follow Making Data Count, and every colour has a
text label beside it in the legend."""

from __future__ import annotations

import math
from dataclasses import replace
from html import escape
from typing import Any

from ..delivery.assessments import LIKELIHOOD, LIKELIHOOD_LABELS
from ..model.periods import Period, PeriodError
from ..results import encode
from ..results.readings import SpcChart, SpcPoint, UnitComparison
from ..results.status import ForecastReading, PriorityTrajectory, UnitReading
from .formatting import number
from .locale import chart_number, gettext, period_label

GREY, BLUE, ORANGE, PURPLE, RED = "#a6a6a6", "#00b0f0", "#e46c0a", "#490092", "#de1b1b"
INK, TRAJECTORY, FORECAST = "#1b1f24", "#0b3d62", "#5a6470"
POINT_COLOURS = {"improvement": BLUE, "concern": ORANGE, "neutral": PURPLE}


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    span = high - low or abs(high) or 1.0
    step = 10 ** math.floor(math.log10(span / count))
    for m in (1, 2, 2.5, 5, 10):
        if span / (step * m) <= count:
            step *= m
            break
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step) + 1)]


def _fmt(v: float) -> str:
    """As the pages print figures: whole above 100, else one decimal (in the language the
    chart is drawn in: 1 234,5 in French)."""
    french = chart_number(v, 0 if abs(v) >= 100 else 1)
    if french is not None:
        return french
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.1f}"


def _tick(v: float) -> str:
    return _fmt(v).removesuffix(".0").removesuffix(",0")


# Advances in ems, at or above those of the common sans-serif fonts (DejaVu Sans, the widest
# of them, sets a digit in 0.64 em and a capital W in 0.99 em).
CHAR_WIDTH, CAPITAL_WIDTH = 0.66, 1.0
YEAR_STEPS = (1, 2, 5, 10, 20, 25, 50, 100)
PERIOD_STEPS = (1, 2, 3, 4, 6, 12, 13, 26, 52)


def label_width(text: str, font_size: float) -> float:
    """The width a label takes on the page, estimated from its length (no font metrics
    here: the same SVG goes to browsers, WeasyPrint and pictures)."""
    return sum(CAPITAL_WIDTH if c.isupper() else CHAR_WIDTH for c in text) * font_size


def time_ticks(first: Period, last: Period, plot_w: float, font_size: float,
               gap: float = 10) -> list[tuple[Period, str]]:
    """(period, label) of the ticks on a time axis ``plot_w`` wide: each January labelled by
    its year when the series spans two or more, else every k-th period by its code, k the
    smallest step whose labels stand ``gap`` apart. So 41 years get a label every five or ten
    years, ten years of weeks one a year or two, twenty months one every few months."""
    span = max(last - first, 1)
    per_period = plot_w / span

    def fits(step_periods: float, text: str) -> bool:
        return step_periods * per_period >= label_width(text, font_size) + gap

    years = [y for y in range(first.start.year, last.end.year + 1)
             if first <= Period.containing(Period.parse(f"{y}").start, first.type) <= last]
    if len(years) >= 2:
        per_year = (Period.containing(Period.parse(f"{years[1]}").start, first.type)
                    - Period.containing(Period.parse(f"{years[0]}").start, first.type))
        step = next((k for k in YEAR_STEPS if fits(k * per_year, "0000")), YEAR_STEPS[-1])
        return [(Period.containing(Period.parse(f"{y}").start, first.type), str(y))
                for y in years if y % step == 0]
    widest = max(period_label(first), period_label(last),
                 key=lambda label: label_width(label, font_size))
    step = next((k for k in PERIOD_STEPS if fits(k, widest)), span)
    return [(first.shift(i), period_label(first.shift(i)))
            for i in range(0, last - first + 1, step)]


def ticks_inside(ticks: list[tuple[Period, str]], x: Any, width: float,
                 font_size: float) -> list[tuple[Period, str]]:
    """The ticks whose centred label lies wholly inside a picture ``width`` wide."""
    return [(p, t) for p, t in ticks
            if label_width(t, font_size) / 2 <= x(p) <= width - label_width(t, font_size) / 2]


def line_path(points: list[tuple[Period, float | None]], x: Any, y: Any) -> str:
    """An SVG path through (period, value) in time order that lifts the pen over a missing
    period or value: a gap in the data is a gap in the line, never a straight join."""
    out, previous = [], None
    for p, v in points:
        if v is None:
            previous = None
            continue
        pen = "L" if previous is not None and p - previous == 1 else "M"
        out.append(f"{pen}{x(p):.1f},{y(v):.1f}")
        previous = p
    return " ".join(out)


class _TimeFrame:
    """The plot area of a chart over periods: x by period, y by value (padded, with nice
    ticks), and the horizontal gridlines with their labels. Shared by the headline chart and
    the small multiples so that both read the same way."""

    def __init__(self, periods: list[Period], values: list[float], *, width: int,
                 height: int, margins: tuple[int, int, int, int], pad: float,
                 ticks: int = 5) -> None:
        self.first, last = min(periods), max(periods)
        low, high = min(values), max(values)
        pad = (high - low) * pad or abs(high) * 0.1 or 1
        self.ticks = _nice_ticks(low - pad, high + pad, count=ticks)
        self.y_low = min(self.ticks[0], low - pad)
        self.y_high = max(self.ticks[-1], high + pad)
        self.left, self.right, self.top, self.bottom = margins
        self.width = width
        self.plot_w = width - self.left - self.right
        self.plot_h = height - self.top - self.bottom
        self.span = max(last - self.first, 1)

    def x(self, p: Period) -> float:
        return self.left + (p - self.first) / self.span * self.plot_w

    def y(self, v: float) -> float:
        return self.top + (self.y_high - v) / (self.y_high - self.y_low) * self.plot_h

    def gridlines(self, label_dx: int, label_dy: int) -> list[str]:
        out = []
        for t in self.ticks:
            out.append(f'<line x1="{self.left}" x2="{self.width - self.right}" '
                       f'y1="{self.y(t):.1f}" y2="{self.y(t):.1f}" stroke="#e3e7eb"/>')
            out.append(f'<text x="{self.left - label_dx}" y="{self.y(t) + label_dy:.1f}" '
                       f'text-anchor="end">{_tick(t)}</text>')
        return out


def headline_chart(trajectory: PriorityTrajectory, spc: SpcChart | None = None, *,
                   width: int = 880, height: int = 340, history: int = 36,
                   suggestions: bool = True) -> str:
    """Actual against trajectory, with SPC limits, the forecast band to the target date and
    the target, from the reports of services.status.priority_trajectory and
    services.readings.spc_chart. Shows up to ``history`` periods before the baseline.
    Accepted rebases are marked; suggested ones too, unless ``suggestions`` is False (the
    public site: a suggestion is the analyst's business until accepted)."""
    readings = trajectory.readings
    traj = trajectory.trajectory
    forecast = trajectory.forecast
    path_ahead = forecast.path if isinstance(forecast, ForecastReading) else None
    points = spc.points if spc else ()
    target = None if traj is None else traj.target
    baseline = None if traj is None else traj.baseline
    if not readings and not points:
        return ""
    start = Period.parse(baseline.period).shift(-history) if baseline else None
    spc_points = [_reported_scale(p) for p in points
                  if start is None or Period.parse(p.period) >= start]
    # Each drawn point as a plain mapping: an SPC point (with its limits) or, without a
    # control chart, the trajectory's actual alone.
    series: dict[str, list[tuple[Period, Any]]] = {
        "actual": [(Period.parse(p.period), _drawn(p)) for p in spc_points]
        or [(Period.parse(r.period), {"value": r.actual, "point_type": "common_cause"})
            for r in readings if r.actual is not None],
        "expected": [(Period.parse(r.period), r.expected) for r in readings
                     if r.expected is not None],
        "forecast": [(Period.parse(f["period"]), f) for f in path_ahead or ()],
    }
    periods = [p for s in series.values() for p, _ in s]
    if target:
        periods.append(Period.parse(target.period))
    first, last = min(periods), max(periods)
    values = [v["value"] for _, v in series["actual"] if v["value"] is not None]
    values += [v for _, v in series["expected"]]
    for _, f in series["forecast"]:
        values += [f["lower_95"], f["upper_95"]]
    for _, p in series["actual"]:
        values += [x for x in (p.get("lower"), p.get("upper")) if x is not None]
    if target:
        values.append(target.value)
    frame = _TimeFrame(periods, values, width=width, height=height,
                       margins=(64, 20, 16, 84), pad=0.08)
    x, y = frame.x, frame.y
    left, right, top, plot_h = frame.left, frame.right, frame.top, frame.plot_h

    def path(pairs: list[tuple[float, float]]) -> str:
        return " ".join(f"{'M' if i == 0 else 'L'}{px:.1f},{py:.1f}"
                        for i, (px, py) in enumerate(pairs))

    out = frame.gridlines(label_dx=8, label_dy=4)  # gridlines and y labels
    for p, label in ticks_inside(time_ticks(first, last, frame.plot_w, font_size=12), x,
                                 width, font_size=12):
        out.append(f'<line x1="{x(p):.1f}" x2="{x(p):.1f}" y1="{top + plot_h}" '
                   f'y2="{top + plot_h + 5}" stroke="{INK}"/>')
        out.append(f'<text class="x-tick" x="{x(p):.1f}" y="{top + plot_h + 18}" '
                   f'text-anchor="middle">{label}</text>')
    limits = [(x(p), v) for p, v in series["actual"] if v.get("upper") is not None]
    if limits:  # SPC process limits as a band, the mean dashed
        band = [(px, y(v["upper"])) for px, v in limits] + [
            (px, y(v["lower"])) for px, v in reversed(limits)]
        out.append(f'<path d="{path(band)} Z" fill="{GREY}" fill-opacity="0.18" stroke="none"/>')
        out.append(f'<path d="{path([(px, y(v["mean"])) for px, v in limits])}" fill="none" '
                   f'stroke="{GREY}" stroke-dasharray="4 3"/>')
    marks = [m for m in _rebase_marks(spc, first, last)
             if suggestions or m[0] == "accepted"]
    target_box = None  # where the target's label goes: a rebase label keeps clear of it
    if target:
        tx, ty = x(Period.parse(target.period)), y(target.value)
        tw = label_width(gettext("Target %(value)s", value=_fmt(target.value)), 12)
        target_box = (tx - 10 - tw, tx - 10, ty - 22, ty - 7)
    for i, (kind, p, label) in enumerate(marks):  # accepted solid, suggested dotted
        px = x(p) - (x(p) - x(p.shift(-1))) / 2
        dash = "" if kind == "accepted" else ' stroke-dasharray="2 3"'
        out.append(f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{top}" y2="{top + plot_h}" '
                   f'stroke="{INK}" stroke-width="1.2"{dash}/>')
        # plain text: a white halo (paint-order) hides the label in PDF renderers
        ly, lw = top + 11 + 12 * (i % 2), label_width(label, 10)
        lx, anchor = px + 3, "start"
        if target_box and _overlap((lx, lx + lw, ly - 9, ly + 2), target_box):
            lx, anchor = px - 3, "end"  # on the line's other side
        out.append(f'<text class="rebase" x="{lx:.1f}" y="{ly}" font-size="10" '
                   f'text-anchor="{anchor}" fill="{INK}">{escape(label)}</text>')
    fc = series["forecast"]
    if fc:
        for level, opacity in (("95", 0.15), ("80", 0.3)):
            band = [(x(p), y(f[f"upper_{level}"])) for p, f in fc] + [
                (x(p), y(f[f"lower_{level}"])) for p, f in reversed(fc)]
            out.append(f'<path d="{path(band)} Z" fill="{FORECAST}" fill-opacity="{opacity}" '
                       'stroke="none"/>')
        out.append(f'<path d="{path([(x(p), y(f["mean"])) for p, f in fc])}" fill="none" '
                   f'stroke="{FORECAST}" stroke-width="2" stroke-dasharray="2 3"/>')
    if series["expected"]:
        out.append(f'<path d="{path([(x(p), y(v)) for p, v in series["expected"]])}" '
                   f'fill="none" stroke="{TRAJECTORY}" stroke-width="2" stroke-dasharray="7 4"/>')
    actual = [(p, v["value"]) for p, v in series["actual"]]
    if any(v is not None for _, v in actual):
        out.append(f'<path class="actual" d="{line_path(actual, x, y)}" fill="none" '
                   f'stroke="{INK}" stroke-width="1.6"/>')
        valued = {p for p, v in actual if v is not None}
        for p in valued:  # a point alone between gaps has no line: a dot shows it
            if p.shift(-1) not in valued and p.shift(1) not in valued:
                out.append(f'<circle cx="{x(p):.1f}" cy="{y(dict(actual)[p]):.1f}" r="2" '
                           f'fill="{INK}"/>')
        for p, v in series["actual"]:
            colour = POINT_COLOURS.get(v.get("point_type", ""))
            if colour and v["value"] is not None:
                out.append(f'<circle cx="{x(p):.1f}" cy="{y(v["value"]):.1f}" r="3.2" '
                           f'fill="{colour}"/>')
    if target:
        tp, tv = Period.parse(target.period), target.value
        cx, cy = x(tp), y(tv)
        out.append(f'<path d="M{cx:.1f},{cy - 7:.1f} L{cx + 7:.1f},{cy:.1f} L{cx:.1f},'
                   f'{cy + 7:.1f} L{cx - 7:.1f},{cy:.1f} Z" fill="{RED}"/>')
        # The halo is a white-stroked copy under the label: PDF renderers without
        # paint-order would otherwise paint the stroke over the letters and hide them.
        for paint in ('fill="#fff" stroke="#fff" stroke-width="3"', f'fill="{RED}"'):
            out.append(f'<text x="{cx - 10:.1f}" y="{cy - 10:.1f}" text-anchor="end" '
                       f'{paint} font-weight="600">'
                       f'{escape(gettext("Target %(value)s", value=_fmt(tv)))}</text>')
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" '
               f'y2="{top + plot_h}" stroke="{INK}"/>')
    # Only what the chart draws is in its legend (a public chart has no forecast).
    kinds = {v.get("point_type") for _, v in series["actual"]}
    legend = [("line", INK, gettext("Actual")), ("dash", TRAJECTORY, gettext("Trajectory"))]
    if limits:
        adjusted = ((spc.seasonal_adjustment if spc else None) or {}).get("applied")
        legend += [("band", GREY, gettext("Process limits (XmR, seasonally adjusted)")
                    if adjusted else gettext("Process limits (XmR)"))]
    if any(k == "accepted" for k, _, _ in marks):
        legend += [("rule", INK, gettext("Rebased (accepted)"))]
    if any(k == "suggested" for k, _, _ in marks):
        legend += [("dotrule", INK, gettext("Suggested rebase"))]
    legend += ([("dot", ORANGE, gettext("Special cause: concern"))] if "concern" in kinds
               else [])
    legend += ([("dot", BLUE, gettext("Special cause: improvement"))]
               if "improvement" in kinds else [])
    legend += [("band", FORECAST, gettext("Forecast, 80%% and 95%%"))] if fc else []
    legend += [("diamond", RED, gettext("Target"))] if target else []
    lx, ly = left, height - 42
    for kind, colour, label in legend:
        if lx + 30 + 6.9 * len(label) > width - right:  # wrap onto a second row
            lx, ly = left, ly + 20
        if kind == "line":
            out.append(f'<line x1="{lx}" x2="{lx + 18}" y1="{ly}" y2="{ly}" stroke="{colour}" '
                       'stroke-width="2"/>')
        elif kind == "dash":
            out.append(f'<line x1="{lx}" x2="{lx + 18}" y1="{ly}" y2="{ly}" stroke="{colour}" '
                       'stroke-width="2" stroke-dasharray="5 3"/>')
        elif kind == "band":
            out.append(f'<rect x="{lx}" y="{ly - 6}" width="18" height="12" fill="{colour}" '
                       'fill-opacity="0.35"/>')
        elif kind == "dot":
            out.append(f'<circle cx="{lx + 9}" cy="{ly}" r="4" fill="{colour}"/>')
        elif kind in ("rule", "dotrule"):
            dash = ' stroke-dasharray="2 3"' if kind == "dotrule" else ""
            out.append(f'<line x1="{lx + 9}" x2="{lx + 9}" y1="{ly - 7}" y2="{ly + 7}" '
                       f'stroke="{colour}" stroke-width="1.2"{dash}/>')
        else:
            out.append(f'<path d="M{lx + 9},{ly - 6} L{lx + 15},{ly} L{lx + 9},{ly + 6} '
                       f'L{lx + 3},{ly} Z" fill="{colour}"/>')
        out.append(f'<text x="{lx + 23}" y="{ly + 4}">{escape(label)}</text>')
        lx += 30 + 6.9 * len(label)
    unit = escape(str(trajectory.unit_of_measure))
    out.append(f'<text x="12" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
               f'transform="rotate(-90 12 {top + plot_h / 2:.1f})">{unit}</text>')
    summary = escape(_summary(trajectory, spc))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{summary}" class="chart" '
            f'font-family="system-ui, sans-serif" font-size="12" fill="{INK}">'
            f"<title>{summary}</title>" + "".join(out) + "</svg>")


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]
             ) -> bool:
    """Whether two boxes (x from, x to, y from, y to) overlap."""
    return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]


def _drawn(point: SpcPoint) -> dict[str, Any]:
    """What the headline chart draws of an SPC point."""
    return {"value": point.value, "point_type": point.point_type, "lower": point.lower,
            "upper": point.upper, "mean": point.mean}


def _reported_scale(point: SpcPoint) -> SpcPoint:
    """An SPC point of a seasonally adjusted chart put back on the reported scale: the
    reported value, and the limits shifted (or scaled) by the point's seasonal effect, so
    the band follows the seasons and sits with the trajectory and the target. The special-
    cause reading is the adjusted chart's (the same comparisons, point by point)."""
    if point.observed is None:
        return point
    if point.seasonal_factor is not None:
        f = point.seasonal_factor
        return replace(point, value=point.observed, mean=point.mean * f,
                       lower=point.lower * f, upper=point.upper * f)
    e = point.seasonal_effect or 0.0
    return replace(point, value=point.observed, mean=point.mean + e, lower=point.lower + e,
                   upper=point.upper + e)


MAX_SUGGESTIONS_DRAWN = 2  # more suggested rebases than this: draw the latest only


def _rebase_marks(spc: SpcChart | None, first: Period, last: Period
                  ) -> list[tuple[str, Period, str]]:
    """(accepted | suggested, period, label) of rebases to mark within the chart."""
    marks = []
    suggested = (spc.rebase_suggestions if spc else None) or ()
    if len(suggested) > MAX_SUGGESTIONS_DRAWN:
        # A staircase of changes is a drift: only the latest, the rebase the reading note
        # names as worth weighing, is drawn; the note lists the rest.
        suggested = suggested[-1:]
    for kind, rebases in (("accepted", spc.accepted_rebases if spc else ()),
                          ("suggested", suggested)):
        for r in rebases:
            p = Period.parse(r["period"])
            if first < p <= last:
                marks.append((kind, p, gettext("rebased %(period)s", period=r["period"])
                              if kind == "accepted" else
                              gettext("suggested %(period)s", period=r["period"])))
    return marks


def _summary(trajectory: PriorityTrajectory, spc: SpcChart | None) -> str:
    actual = [r for r in trajectory.readings if r.actual is not None]
    text = gettext("%(name)s at %(unit)s", name=trajectory.headline_name,
                   unit=trajectory.unit_name)
    if actual:
        r = actual[-1]
        text += gettext(": %(value)s in %(period)s", value=_fmt(r.actual), period=r.period)
        if r.expected is not None:
            text += gettext(" against %(value)s expected on the trajectory",
                            value=_fmt(r.expected))
    target = None if trajectory.trajectory is None else trajectory.trajectory.target
    if target:
        text += gettext("; target %(value)s by %(period)s", value=_fmt(target.value),
                        period=target.period)
    if spc and spc.variation_label:
        text += f". {gettext(spc.variation_label.replace('%', '%%'))}"
        if (spc.seasonal_adjustment or {}).get("applied"):
            text += gettext(" (read against the usual seasonal pattern)")
    return text


def unit_panel(unit: UnitReading, *, width: int = 230, height: int = 120, font_size: int = 9,
               y_range: tuple[float, float] | None = None, decimals: int | None = None) -> str:
    """One small multiple: a unit's actual against its share of the trajectory, from a row of
    services.status.unit_readings, on its own scale or on ``y_range`` (low, high) shared by
    every panel of a page so that their heights compare. The latest actual is labelled
    (``decimals`` as the headline prints them, else as ``formatting.number`` writes a figure
    with none declared); the line styles match the headline chart's
    legend, and a missing period is a gap in the line."""
    actual = [(Period.parse(a.period), float(a.value)) for a in unit.actuals]
    expected = [(Period.parse(r.period), float(r.expected))
                for r in unit.readings if r.expected is not None]
    if not actual and not expected:
        return ""
    periods = [p for p, _ in actual + expected]
    first, last = min(periods), max(periods)
    values = [v for _, v in actual + expected] + list(y_range or ())
    latest = ""
    if actual:
        v = actual[-1][1]
        # as the document writes the figure: the indicator's decimals, else number's rule
        # (49.0, not the axis's 49)
        latest = chart_number(v, decimals) or number(v, decimals)
    frame = _TimeFrame(periods, values, width=width, height=height,  # room for the latest
                       margins=(round(font_size * 4.2), round(label_width(latest, font_size)) + 8,
                                6, round(font_size * 2)),
                       pad=0.02 if y_range else 0.1, ticks=3)
    x, y = frame.x, frame.y
    out = frame.gridlines(label_dx=4, label_dy=3)
    ticks = time_ticks(first, last, frame.plot_w, font_size=font_size, gap=8)
    for p, label in ticks_inside(ticks, x, width, font_size=font_size):
        out.append(f'<text class="x-tick" x="{x(p):.1f}" y="{height - 4}" '
                   f'text-anchor="middle">{label}</text>')
    if expected:
        out.append(f'<path d="{line_path(expected, x, y)}" fill="none" stroke="{TRAJECTORY}" '
                   'stroke-width="1.5" stroke-dasharray="5 3"/>')
    if actual:
        out.append(f'<path class="actual" d="{line_path(actual, x, y)}" fill="none" '
                   f'stroke="{INK}" stroke-width="1.4"/>')
        p, v = actual[-1]
        out.append(f'<circle cx="{x(p):.1f}" cy="{y(v):.1f}" r="2.6" fill="{INK}"/>')
        out.append(f'<text class="latest" x="{x(p) + 4:.1f}" y="{y(v) + 3:.1f}" '
                   f'font-weight="700" fill="{INK}">{latest}</text>')
    label = escape(gettext("%(unit)s: actual against its share of the trajectory",
                           unit=unit.unit_name))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{label}" class="panel" font-family="sans-serif" '
            f'font-size="{font_size}" fill="{FORECAST}"><title>{label}</title>'
            + "".join(out) + "</svg>")


def shared_range(units: list[UnitReading]) -> tuple[float, float] | None:
    """The (low, high) of every panel's actuals and expected values, padded: one scale for
    a page of small multiples, so that a unit's level reads against the others'."""
    values = [float(a.value) for u in units for a in u.actuals]
    values += [float(r.expected) for u in units for r in u.readings if r.expected is not None]
    if not values:
        return None
    low, high = min(values), max(values)
    pad = (high - low) * 0.08 or abs(high) * 0.1 or 1
    return low - pad, high + pad


def _log_ticks(low: float, high: float) -> list[float]:
    """1, 2, 5 times powers of ten between low and high (a log axis's gridlines)."""
    out = []
    for k in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        out += [m * 10.0 ** k for m in (1, 2, 5) if low <= m * 10.0 ** k <= high]
    return out


def _compact(v: float) -> str:
    """Axis numbers short enough to sit side by side: 50k, 2M."""
    for size, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= size:
            return f"{v / size:g}{suffix}"
    return _tick(v)


def funnel_chart(compare: UnitComparison | dict[str, Any], *, width: int = 720,
                 height: int = 400) -> str:
    """A funnel plot from the report of services.readings.compare_units: each unit a point
    (x its denominator, y its value), the pooled rate as the centre line and the 95% and 99.8%
    limits (over-dispersion adjusted when the comparison applied it) as lines. Units outside
    a limit are labelled; the denominators go on a log axis when they span more than tenfold.
    An optional ``denominator_info`` ({name, unit_of_measure}) names the x axis."""
    from ..analysis.funnel import limits_curve  # numbers in, numbers out: analysis owns them

    # The chart reads the comparison's JSON form (as --json and the API give it), so a
    # comparison made by hand is the same shape.
    compare = encode(compare)
    units = compare.get("units") or []
    if not units:
        raise ValueError("funnel_chart: the comparison has no units to draw")
    for u in units:
        for key in ("unit", "denominator", "value", "outside_95", "outside_99.8"):
            if u.get(key) is None:
                raise ValueError(f"funnel_chart: unit {u.get('unit', '?')!r} has no '{key}'")
        if not u["denominator"] > 0:
            raise ValueError(f"funnel_chart: unit {u['unit']!r} has denominator "
                             f"{u['denominator']!r}; it must be positive")
    scale, kind = float(compare["scale"]), compare["kind"]
    applied = bool(compare.get("overdispersion_applied"))
    multiplicative = compare.get("dispersion_model", "multiplicative") == "multiplicative"
    n_low = min(u["denominator"] for u in units)
    n_high = max(u["denominator"] for u in units)
    log_x = n_high / n_low > 10
    if log_x:
        grid = [n_low / 1.5 * (n_high * 1.5 / (n_low / 1.5)) ** (i / 119) for i in range(120)]
    else:
        pad_n = (n_high - n_low) * 0.08 or n_low * 0.2
        x_low, x_high = max(n_low - pad_n, n_low * 0.2), n_high + pad_n
        grid = [x_low + (x_high - x_low) * i / 119 for i in range(120)]
    curve = limits_curve(compare["overall"] / scale, grid, kind=kind, scale=scale,
                         phi=compare["phi"] if applied and multiplicative else 1.0,
                         tau2=compare.get("tau2", 0.0) if applied else 0.0)
    values = [u["value"] for u in units]
    # The frame holds every point and the 99.8% limits at the median unit's size; nearer the
    # funnel's mouth the limits run out of the frame (clipped) instead of squashing the points.
    middle = sorted(u["denominator"] for u in units)[len(units) // 2]
    near = min(range(len(grid)), key=lambda i: abs(grid[i] - middle))
    values += [curve["lower_99.8"][near], curve["upper_99.8"][near], compare["overall"]]
    low, high = min(values), max(values)
    pad = (high - low) * 0.08 or abs(high) * 0.1 or 1
    ticks = _nice_ticks(low - pad, high + pad)
    y_low, y_high = min(ticks[0], low - pad), max(ticks[-1], high + pad)
    left, right, top, bottom = 64, 24, 16, 96
    plot_w, plot_h = width - left - right, height - top - bottom
    g_low, g_high = grid[0], grid[-1]

    def x(n: float) -> float:
        if log_x:
            return left + math.log(n / g_low) / math.log(g_high / g_low) * plot_w
        return left + (n - g_low) / (g_high - g_low) * plot_w

    def y(v: float) -> float:
        return top + (y_high - v) / (y_high - y_low) * plot_h

    def line(key: str) -> str:
        return " ".join(f"{'M' if i == 0 else 'L'}{x(n):.1f},{y(float(v)):.1f}"
                        for i, (n, v) in enumerate(zip(grid, curve[key], strict=True)))

    polarity = (compare.get("indicator") or {}).get("polarity", "neutral")

    def colour(side: str) -> str:
        if polarity == "neutral":
            return PURPLE
        better = side == "above" if polarity == "up" else side == "below"
        return BLUE if better else ORANGE

    out = []
    for t in ticks:
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" '
                   'stroke="#e3e7eb"/>')
        out.append(f'<text x="{left - 8}" y="{y(t) + 4:.1f}" text-anchor="end">{_tick(t)}</text>')
    x_ticks = _log_ticks(g_low, g_high) if log_x else _nice_ticks(g_low, g_high)
    if len(x_ticks) > 7:  # keep the powers of ten only, so labels do not collide
        x_ticks = [t for t in x_ticks if math.log10(t).is_integer()] or x_ticks
    for t in x_ticks:
        out.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{top + plot_h}" '
                   f'y2="{top + plot_h + 5}" stroke="{INK}"/>')
        out.append(f'<text x="{x(t):.1f}" y="{top + plot_h + 18}" text-anchor="middle">'
                   f"{_compact(t)}</text>")
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" '
               f'y2="{top + plot_h}" stroke="{INK}"/>')
    out.append(f'<clipPath id="funnel-frame"><rect x="{left}" y="{top}" width="{plot_w}" '
               f'height="{plot_h}"/></clipPath>')
    for level, dash, stroke in (("99.8", "", GREY), ("95", ' stroke-dasharray="6 4"', GREY)):
        for side in ("lower", "upper"):
            out.append(f'<path class="limit limit-{level.replace(".", "-")}" '
                       f'd="{line(f"{side}_{level}")}" clip-path="url(#funnel-frame)" '
                       f'fill="none" stroke="{stroke}" '
                       f'stroke-width="{2 if level == "99.8" else 1.5}"{dash}/>')
    out.append(f'<line class="centre" x1="{left}" x2="{width - right}" '
               f'y1="{y(compare["overall"]):.1f}" y2="{y(compare["overall"]):.1f}" '
               f'stroke="{TRAJECTORY}" stroke-width="1.5"/>')
    labels = []
    for u in units:
        name = str(u.get("name") or u["unit"])
        cx, cy = x(u["denominator"]), y(u["value"])
        tip = escape(gettext("%(unit)s: %(value)s (denominator %(denominator)s)", unit=name,
                             value=_fmt(u["value"]), denominator=_fmt(u["denominator"])))
        if u["outside_99.8"] != "inside":
            mark = f'fill="{colour(u["outside_99.8"])}" stroke="{INK}" stroke-width="0.8"'
        elif u["outside_95"] != "inside":
            mark = f'fill="#fff" stroke="{colour(u["outside_95"])}" stroke-width="2.2"'
        else:
            mark = f'fill="{GREY}" stroke="{FORECAST}" stroke-width="0.6"'
        out.append(f'<circle class="unit" data-unit="{escape(str(u["unit"]))}" '
                   f'cx="{cx:.1f}" cy="{cy:.1f}" r="5" {mark}><title>{tip}</title></circle>')
        if u["outside_95"] != "inside":
            labels.append((cx, cy, name))
    out += _unit_labels(labels, right_edge=left + plot_w)  # after the points: none hidden
    indicator = compare.get("indicator") or {}
    den = compare.get("denominator_info") or {}
    x_label = den.get("name") or compare.get("denominator") or gettext("denominator")
    if den.get("unit_of_measure"):
        x_label += f" ({den['unit_of_measure']})"
    if log_x:
        x_label += gettext(", log scale")
    out.append(f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h + 36}" '
               f'text-anchor="middle">{escape(x_label)}</text>')
    y_label = escape(str(indicator.get("unit_of_measure") or indicator.get("name") or ""))
    out.append(f'<text x="12" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
               f'transform="rotate(-90 12 {top + plot_h / 2:.1f})">{y_label}</text>')
    legend = [("line", TRAJECTORY, gettext("Overall %(value)s",
                                              value=_fmt(compare["overall"]))),
              ("dash", GREY, gettext("95%% limits")), ("line", GREY, gettext("99.8%% limits")),
              ("dot", GREY, gettext("Unit within the limits"))]
    if polarity == "neutral":
        legend += [("ring", PURPLE, gettext("Outside 95%%")),
                   ("dot", PURPLE, gettext("Outside 99.8%%"))]
    else:
        legend += [("ring", BLUE, gettext("Better, outside 95%%")),
                   ("dot", BLUE, gettext("Better, outside 99.8%%")),
                   ("ring", ORANGE, gettext("Worse, outside 95%%")),
                   ("dot", ORANGE, gettext("Worse, outside 99.8%%"))]
    lx, ly = left, top + plot_h + 58  # the legend wraps onto as many rows as it needs
    for shape, col, label in legend:
        if lx + 30 + 6.6 * len(label) > width - right:
            lx, ly = left, ly + 20
        if shape in ("line", "dash"):
            dash = ' stroke-dasharray="6 4"' if shape == "dash" else ""
            out.append(f'<line x1="{lx}" x2="{lx + 18}" y1="{ly}" y2="{ly}" stroke="{col}" '
                       f'stroke-width="2"{dash}/>')
        elif shape == "ring":
            out.append(f'<circle cx="{lx + 9}" cy="{ly}" r="4.5" fill="#fff" stroke="{col}" '
                       'stroke-width="2.2"/>')
        else:
            out.append(f'<circle cx="{lx + 9}" cy="{ly}" r="5" fill="{col}"/>')
        out.append(f'<text x="{lx + 23}" y="{ly + 4}">{escape(label)}</text>')
        lx += 30 + 6.6 * len(label)
    summary = escape(_funnel_summary(compare))
    full_height = max(height, ly + 14)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {full_height}" '
            f'role="img" aria-label="{summary}" class="chart funnel" '
            f'font-family="system-ui, sans-serif" font-size="12" fill="{INK}">'
            f"<title>{summary}</title>" + "".join(out) + "</svg>")


def _unit_labels(labels: list[tuple[float, float, str]], right_edge: float) -> list[str]:
    """A label beside each outlying unit, moved down past any label already placed that it
    would overlap, each on a white halo drawn as a separate copy beneath it (PDF renderers
    ignore paint-order and would paint the halo over the letters)."""
    placed: list[tuple[float, float, float]] = []  # (x from, x to, baseline)
    out = []
    for cx, cy, name in sorted(labels, key=lambda label: label[1]):
        w = label_width(name, 12)
        end = cx > right_edge - w - 12  # no room on the right: write it on the left
        x0 = cx - 8 - w if end else cx + 8
        base = cy + 4
        while any(a < x0 + w and x0 < b and abs(base - yb) < 14 for a, b, yb in placed):
            base += 14
        placed.append((x0, x0 + w, base))
        for paint in ('class="halo" fill="#fff" stroke="#fff" stroke-width="3"',
                      'class="unit-label"'):
            out.append(f'<text {paint} x="{x0:.1f}" y="{base:.1f}">{escape(name)}</text>')
    return out


def _funnel_summary(compare: dict[str, Any]) -> str:
    # The indicator's name is left to the caption: a page finds its headline chart by it.
    names = {u["unit"]: str(u.get("name") or u["unit"]) for u in compare["units"]}
    level = compare.get("level") or "unit"
    text = (gettext("Funnel plot of %(n)s %(level)s values", n=len(compare["units"]),
                    level=gettext(level))
            + (gettext(" in %(period)s", period=compare["period"])
               if compare.get("period") else "")
            + gettext(", against 95%% and 99.8%% limits around the overall %(value)s",
                      value=_fmt(compare["overall"])))
    for side in ("above", "below"):
        outside = [names[u["unit"]] for u in compare["units"] if u["outside_99.8"] == side]
        if outside:
            units = ", ".join(outside)
            text += (gettext("; above the 99.8%% limit: %(units)s", units=units)
                     if side == "above" else
                     gettext("; below the 99.8%% limit: %(units)s", units=units))
    if not any(u["outside_99.8"] != "inside" for u in compare["units"]):
        text += gettext("; no unit outside the 99.8%% limits")
    return text


# The likelihood ratings as the documents' badges colour them: (fill, ink, short label).
RATING_CELLS = {"green": ("#dff3e4", "#0d5a24", "G"), "amber_green": ("#eef3d6", "#4a5a00", "A/G"),
                "amber_red": ("#fde6cf", "#8a3b00", "A/R"), "red": ("#fbd9d9", "#9b1111", "R")}
MAX_ROUNDS_DRAWN = 12


def likelihood_chart(priorities: list[tuple[str, list[tuple[str, str]]]], *,
                     width: int = 720) -> str:
    """The likelihood of delivery over assessment rounds: a row per priority (title, then
    its (round, likelihood) oldest first), a column per round in the order rounds were first
    held, each cell coloured and lettered by its rating (a colour is never the only cue).
    Only the latest MAX_ROUNDS_DRAWN rounds are drawn. "" when no priority was assessed."""
    rounds: list[str] = []
    for _, history in priorities:
        rounds += [r for r, _ in history if r not in rounds]
    if not rounds:
        return ""
    rounds = sorted(rounds)[-MAX_ROUNDS_DRAWN:] if all(
        _is_period(r) for r in rounds) else rounds[-MAX_ROUNDS_DRAWN:]
    label_w, row_h, top = 250, 26, 30
    cell_w = (width - label_w) / len(rounds)
    out = []
    for j, r in enumerate(rounds):
        cx = label_w + (j + 0.5) * cell_w
        size = 11 if label_width(r, 11) <= cell_w - 4 else 9
        out.append(f'<text class="round" x="{cx:.1f}" y="{top - 10}" text-anchor="middle" '
                   f'font-size="{size}">{escape(r)}</text>')
    for i, (title, history) in enumerate(priorities):
        y0 = top + i * row_h
        name = title if label_width(title, 12) <= label_w - 10 else _shorten(title, label_w - 10)
        out.append(f'<text class="priority" x="0" y="{y0 + row_h / 2 + 4:.1f}">'
                   f"<title>{escape(title)}</title>{escape(name)}</text>")
        rated = dict(history)
        for j, r in enumerate(rounds):
            x0 = label_w + j * cell_w
            fill, ink, short = RATING_CELLS.get(rated.get(r, ""), ("#fff", "#8b949e", "–"))
            word = gettext(LIKELIHOOD_LABELS.get(rated.get(r, ""), "not assessed"))
            out.append(f'<rect class="cell" data-rating="{rated.get(r, "none")}" '
                       f'x="{x0 + 1:.1f}" y="{y0 + 2}" width="{cell_w - 2:.1f}" '
                       f'height="{row_h - 4}" fill="{fill}" stroke="#d5dbe1">'
                       f"<title>{escape(f'{title}, {r}: {word}')}</title></rect>")
            out.append(f'<text x="{x0 + cell_w / 2:.1f}" y="{y0 + row_h / 2 + 4:.1f}" '
                       f'text-anchor="middle" font-weight="700" fill="{ink}">'
                       f"{escape(gettext(short))}</text>")
    ly = top + len(priorities) * row_h + 22
    lx = 0.0
    for code in LIKELIHOOD:
        fill, ink, short = RATING_CELLS[code]
        out.append(f'<rect x="{lx:.1f}" y="{ly - 12}" width="30" height="17" fill="{fill}" '
                   f'stroke="#d5dbe1"/><text x="{lx + 15:.1f}" y="{ly}" text-anchor="middle" '
                   f'font-weight="700" fill="{ink}">{escape(gettext(short))}</text>')
        word = gettext(LIKELIHOOD_LABELS[code])
        out.append(f'<text x="{lx + 36:.1f}" y="{ly}">{word}</text>')
        lx += 48 + label_width(word, 12)
    none_that_round = escape(gettext("– not assessed that round"))
    out.append(f'<text x="{lx:.1f}" y="{ly}" fill="{FORECAST}">{none_that_round}</text>')
    height = ly + 10
    summary = escape(gettext("Likelihood of delivery by assessment round: ") + "; ".join(
        f"{t}: " + (", ".join(gettext(LIKELIHOOD_LABELS.get(v, v)) for _, v in h)
                    or gettext("not assessed"))
        for t, h in priorities))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{summary}" class="chart likelihood" '
            f'font-family="system-ui, sans-serif" font-size="12" fill="{INK}">'
            f"<title>{summary}</title>" + "".join(out) + "</svg>")


def _is_period(code: str) -> bool:
    try:
        Period.parse(code)
    except PeriodError:
        return False
    return True


def _shorten(text: str, width: float) -> str:
    while text and label_width(text + "…", 12) > width:
        text = text[:-1]
    return text.rstrip() + "…"
