"""Charts as plain SVG text: no JavaScript, no fonts or libraries fetched, the same picture in
a page, a PDF pack or a static site. Colours follow Making Data Count, and every colour has a
text label beside it in the legend."""

from __future__ import annotations

import math
from html import escape
from typing import Any

from ..model.periods import Period

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
    """As the pages print figures: whole above 100, else one decimal."""
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.1f}"


def _tick(v: float) -> str:
    return _fmt(v).removesuffix(".0")


def headline_chart(trajectory: dict[str, Any], spc: dict[str, Any] | None = None, *,
                   width: int = 880, height: int = 340, history: int = 36) -> str:
    """Actual against trajectory, with SPC limits, the forecast band to the target date and
    the target, from the reports of services.status.priority_trajectory and
    services.readings.spc_chart. Shows up to ``history`` periods before the baseline."""
    readings = trajectory.get("readings") or []
    traj = trajectory.get("trajectory") or {}
    forecast = trajectory.get("forecast") or {}
    points = (spc or {}).get("points") or []
    target = traj.get("target")
    baseline = traj.get("baseline")
    if not readings and not points:
        return ""
    start = Period.parse(baseline["period"]).shift(-history) if baseline else None
    spc_points = [p for p in points if start is None or Period.parse(p["period"]) >= start]
    series: dict[str, list[tuple[Period, Any]]] = {
        "actual": [(Period.parse(p["period"]), p) for p in spc_points]
        or [(Period.parse(r["period"]), {"value": r["actual"], "point_type": "common_cause"})
            for r in readings if r["actual"] is not None],
        "expected": [(Period.parse(r["period"]), r["expected"]) for r in readings
                     if r["expected"] is not None],
        "forecast": [(Period.parse(f["period"]), f) for f in forecast.get("path") or []],
    }
    periods = [p for s in series.values() for p, _ in s]
    if target:
        periods.append(Period.parse(target["period"]))
    first, last = min(periods), max(periods)
    values = [v["value"] for _, v in series["actual"] if v["value"] is not None]
    values += [v for _, v in series["expected"]]
    for _, f in series["forecast"]:
        values += [f["lower_95"], f["upper_95"]]
    for _, p in series["actual"]:
        values += [x for x in (p.get("lower"), p.get("upper")) if x is not None]
    if target:
        values.append(target["value"])
    low, high = min(values), max(values)
    pad = (high - low) * 0.08 or abs(high) * 0.1 or 1
    ticks = _nice_ticks(low - pad, high + pad)
    y_low, y_high = min(ticks[0], low - pad), max(ticks[-1], high + pad)
    left, right, top, bottom = 64, 20, 16, 84
    plot_w, plot_h = width - left - right, height - top - bottom
    span = max(last - first, 1)

    def x(p: Period) -> float:
        return left + (p - first) / span * plot_w

    def y(v: float) -> float:
        return top + (y_high - v) / (y_high - y_low) * plot_h

    def path(pairs: list[tuple[float, float]]) -> str:
        return " ".join(f"{'M' if i == 0 else 'L'}{px:.1f},{py:.1f}"
                        for i, (px, py) in enumerate(pairs))

    out = []
    for t in ticks:  # gridlines and y labels
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" '
                   f'stroke="#e3e7eb"/>')
        out.append(f'<text x="{left - 8}" y="{y(t) + 4:.1f}" text-anchor="end">{_tick(t)}</text>')
    year = first.start.year
    while year <= last.end.year:  # x labels at each January
        p = Period.containing(Period.parse(f"{year}").start, first.type)
        if first <= p <= last:
            out.append(f'<line x1="{x(p):.1f}" x2="{x(p):.1f}" y1="{top + plot_h}" '
                       f'y2="{top + plot_h + 5}" stroke="{INK}"/>')
            out.append(f'<text x="{x(p):.1f}" y="{top + plot_h + 18}" '
                       f'text-anchor="middle">{year}</text>')
        year += 1
    limits = [(x(p), v) for p, v in series["actual"] if v.get("upper") is not None]
    if limits:  # SPC process limits as a band, the mean dashed
        band = [(px, y(v["upper"])) for px, v in limits] + [
            (px, y(v["lower"])) for px, v in reversed(limits)]
        out.append(f'<path d="{path(band)} Z" fill="{GREY}" fill-opacity="0.18" stroke="none"/>')
        out.append(f'<path d="{path([(px, y(v["mean"])) for px, v in limits])}" fill="none" '
                   f'stroke="{GREY}" stroke-dasharray="4 3"/>')
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
    actual = [(x(p), y(v["value"])) for p, v in series["actual"] if v["value"] is not None]
    if actual:
        out.append(f'<path d="{path(actual)}" fill="none" stroke="{INK}" stroke-width="1.6"/>')
        for p, v in series["actual"]:
            colour = POINT_COLOURS.get(v.get("point_type", ""))
            if colour and v["value"] is not None:
                out.append(f'<circle cx="{x(p):.1f}" cy="{y(v["value"]):.1f}" r="3.2" '
                           f'fill="{colour}"/>')
    if target:
        tp, tv = Period.parse(target["period"]), target["value"]
        cx, cy = x(tp), y(tv)
        out.append(f'<path d="M{cx:.1f},{cy - 7:.1f} L{cx + 7:.1f},{cy:.1f} L{cx:.1f},'
                   f'{cy + 7:.1f} L{cx - 7:.1f},{cy:.1f} Z" fill="{RED}"/>')
        out.append(f'<text x="{cx - 10:.1f}" y="{cy - 10:.1f}" text-anchor="end" '
                   f'fill="{RED}" stroke="#fff" stroke-width="3" paint-order="stroke" '
                   f'font-weight="600">Target {_fmt(tv)}</text>')
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" '
               f'y2="{top + plot_h}" stroke="{INK}"/>')
    legend = [("line", INK, "Actual"), ("dash", TRAJECTORY, "Trajectory"),
              ("band", GREY, "Process limits (SPC)"), ("dot", ORANGE, "Special cause: concern"),
              ("dot", BLUE, "Special cause: improvement"),
              ("band", FORECAST, "Forecast, 80% and 95%"),
              ("diamond", RED, "Target")]
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
        else:
            out.append(f'<path d="M{lx + 9},{ly - 6} L{lx + 15},{ly} L{lx + 9},{ly + 6} '
                       f'L{lx + 3},{ly} Z" fill="{colour}"/>')
        out.append(f'<text x="{lx + 23}" y="{ly + 4}">{escape(label)}</text>')
        lx += 30 + 6.9 * len(label)
    unit = escape(str(trajectory.get("unit_of_measure", "")))
    out.append(f'<text x="12" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
               f'transform="rotate(-90 12 {top + plot_h / 2:.1f})">{unit}</text>')
    summary = escape(_summary(trajectory, spc))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{summary}" class="chart" '
            f'font-family="system-ui, sans-serif" font-size="12" fill="{INK}">'
            f"<title>{summary}</title>" + "".join(out) + "</svg>")


def _summary(trajectory: dict[str, Any], spc: dict[str, Any] | None) -> str:
    name = trajectory.get("headline_name", trajectory.get("headline", ""))
    actual = [r for r in trajectory.get("readings") or [] if r["actual"] is not None]
    text = f"{name} at {trajectory.get('unit_name', '')}"
    if actual:
        r = actual[-1]
        text += f": {_fmt(r['actual'])} in {r['period']}"
        if r["expected"] is not None:
            text += f" against {_fmt(r['expected'])} expected on the trajectory"
    target = (trajectory.get("trajectory") or {}).get("target")
    if target:
        text += f"; target {_fmt(target['value'])} by {target['period']}"
    if spc and spc.get("variation_label"):
        text += f". {spc['variation_label']}"
    return text


def unit_panel(unit: dict[str, Any], *, width: int = 230, height: int = 120) -> str:
    """One small multiple: a unit's actual against its share of the trajectory, on its own
    scale, from a row of services.status.unit_readings. The status is written beside it by
    the page; here the line styles match the headline chart's legend."""
    actual = [(Period.parse(a["period"]), float(a["value"])) for a in unit.get("actuals") or []]
    expected = [(Period.parse(r["period"]), float(r["expected"]))
                for r in unit.get("readings") or [] if r.get("expected") is not None]
    if not actual and not expected:
        return ""
    periods = [p for p, _ in actual + expected]
    values = [v for _, v in actual + expected]
    first, last = min(periods), max(periods)
    low, high = min(values), max(values)
    pad = (high - low) * 0.1 or abs(high) * 0.1 or 1
    ticks = _nice_ticks(low - pad, high + pad, count=3)
    y_low, y_high = min(ticks[0], low - pad), max(ticks[-1], high + pad)
    left, right, top, bottom = 38, 6, 6, 18
    plot_w, plot_h = width - left - right, height - top - bottom
    span = max(last - first, 1)

    def x(p: Period) -> float:
        return left + (p - first) / span * plot_w

    def y(v: float) -> float:
        return top + (y_high - v) / (y_high - y_low) * plot_h

    def path(pairs: list[tuple[Period, float]]) -> str:
        return " ".join(f"{'M' if i == 0 else 'L'}{x(p):.1f},{y(v):.1f}"
                        for i, (p, v) in enumerate(pairs))

    out = []
    for t in ticks:
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" '
                   'stroke="#e3e7eb"/>')
        out.append(f'<text x="{left - 4}" y="{y(t) + 3:.1f}" text-anchor="end">'
                   f"{_tick(t)}</text>")
    for year in (first.start.year, last.end.year):
        p = Period.containing(Period.parse(f"{year}").start, first.type)
        if first <= p <= last:
            anchor = "start" if year == first.start.year else "end"
            out.append(f'<text x="{x(p):.1f}" y="{height - 4}" text-anchor="{anchor}">'
                       f"{year}</text>")
    if expected:
        out.append(f'<path d="{path(expected)}" fill="none" stroke="{TRAJECTORY}" '
                   'stroke-width="1.5" stroke-dasharray="5 3"/>')
    if actual:
        out.append(f'<path d="{path(actual)}" fill="none" stroke="{INK}" stroke-width="1.4"/>')
        p, v = actual[-1]
        out.append(f'<circle cx="{x(p):.1f}" cy="{y(v):.1f}" r="2.6" fill="{INK}"/>')
    label = escape(f"{unit.get('unit_name', '')}: actual against its share of the trajectory")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{label}" class="panel" font-family="sans-serif" '
            f'font-size="9" fill="{FORECAST}"><title>{label}</title>' + "".join(out) + "</svg>")
