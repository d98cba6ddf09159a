"""A delivery chain as a layered SVG diagram: one band per level of government, from the
centre at the top to the frontline, with external actors in a band of their own.

Plain SVG text (no JavaScript, no fonts fetched). The layout is a small Sugiyama-style one:
actors are ranked into rows inside their band, links that skip rows get waypoints in the
rows between (so they run between boxes, never through them), rows are ordered by the
barycentre of their neighbours to reduce crossings, then placed as close to their
neighbours as the spacing allows. Every link carries a text label (type and strength) and a
line style, so colour is never the only signal; text is wrapped with a fixed character-width
estimate (CHAR_EM) so that it stays inside its box.
"""

from __future__ import annotations

import json
import zlib
from html import escape
from typing import Any

import numpy as np

from ..delivery.chains import (
    LEVELS,
    STRENGTHS,
    Chain,
    actor_names,
    analyse_chain,
    chain_summary_lines,
    link_title,
)
from .charts import INK, ORANGE, RED, TRAJECTORY
from .locale import N_, WRITING, gettext
from .wording import writing

FONT = "'Liberation Sans', Arial, Helvetica, sans-serif"  # Arial metrics, on every platform
CHAR_EM = 0.6  # assumed width of a character as a share of the font size (generous for Arial)
NAME_SIZE, SMALL_SIZE, LABEL_SIZE = 12, 10, 10
NAME_LINE, SMALL_LINE, LABEL_LINE = 15, 13, 13
PAD_X, PAD_TOP, PAD_BOTTOM = 8, 8, 7
LEFT_COL, RIGHT_MARGIN, TOP_MARGIN = 124, 14, 12
MIN_BOX_W, MAX_BOX_W = 112, 176
BOX_GAP, WAYPOINT_GAP, WAYPOINT_W = 22, 12, 6
MIN_ROW_GAP, GAP_STEP = 56, 16
MAX_GROWTH = 4  # times a gap may grow only so that a label need not cross a link
AMBER, AMBER_TEXT, RED_TEXT = "#d98a00", "#8a5300", "#b3141c"

STYLES = {  # strength -> stroke colour, width, dash pattern, label text colour
    "strong": (INK, 3.2, "", INK),
    "adequate": ("#56616d", 1.6, "", "#333b44"),
    "weak": (AMBER, 2.0, "7 4", AMBER_TEXT),
    "broken": (RED, 2.2, "0.1 5", RED_TEXT),
}
BOX_STYLES = {True: ("#e6eef6", TRAJECTORY), False: ("#ffffff", "#6b7785")}  # controls?
# The diagram's words in English, drawn in the language being written (locale.gettext).
LEGEND_STRENGTH = {"strong": N_("Strong"), "adequate": N_("Adequate"),
                   "weak": N_("Weak (dashed)"), "broken": N_("Broken (dotted)")}
BANDS = {
    "federal": (N_("Federal"), N_("the centre")),
    "provincial": (N_("Provincial"), N_("other governments")),
    "municipal": (N_("Municipal"), N_("other governments")),
    "frontline": (N_("Frontline"), N_("where citizens are served")),
    "external": (N_("External"), N_("outside government")),
}
FLAGS = {  # flag -> marker shape, colour, legend text
    "spof": ("triangle", RED, N_("Single point of failure")),
    "quality": ("square", ORANGE, N_("Poor data quality")),
    "route": ("circle", RED, N_("Reached only by weak links")),
}


def text_width(text: str, size: float) -> float:
    """The width a line of text is assumed to take (fixed per-character estimate)."""
    return len(text) * CHAR_EM * size


def wrap(text: str, width: float, size: float) -> list[str]:
    """Greedy word wrap to ``width`` pixels; a word longer than a line is hyphenated."""
    cap = max(2, int(width // (CHAR_EM * size)))
    lines: list[str] = []
    line = ""
    for word in text.split():
        while len(word) > cap:  # never let one long word overflow the box
            if line:
                lines.append(line)
                line = ""
            lines.append(word[: cap - 1] + "-")
            word = word[cap - 1:]
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= cap:
            line += " " + word
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines or [""]


# ----------------------------------------------------------------------------- layout

def _rows(chain: Chain, per_row: int) -> list[tuple[str, list[str]]]:
    """(level, actor codes) per row: each band's actors ranked by the longest run of links
    inside the band (a minister above the department it directs), then wrapped."""
    rows = []
    for level in LEVELS:
        members = [a.code for a in chain.actors if a.level == level]
        if not members:
            continue
        inside = [(k.source, k.target) for k in chain.links
                  if k.source in members and k.target in members]
        rank = dict.fromkeys(members, 0)
        for _ in members:  # the chain has no cycles, so this settles
            for s, t in inside:
                rank[t] = max(rank[t], rank[s] + 1)
        for r in range(max(rank.values()) + 1):
            ranked = [c for c in members if rank[c] == r]
            for i in range(0, len(ranked), per_row):
                rows.append((level, ranked[i:i + per_row]))
    return rows


def _route(chain: Chain, rows: list[list[str]]) -> list[list[str]]:
    """Each link as the items it passes: its source, a waypoint in every row between, its
    target. Waypoints are added to their rows."""
    row_of = {c: r for r, row in enumerate(rows) for c in row}
    routes = []
    for j, link in enumerate(chain.links):
        rs, rt = row_of[link.source], row_of[link.target]
        step = 1 if rt > rs else -1
        items = [link.source]
        for r in range(rs + step, rt, step):
            waypoint = f"~{j}:{r}"
            rows[r].append(waypoint)
            items.append(waypoint)
        items.append(link.target)
        routes.append(items)
    return routes


def _order(rows: list[list[str]], routes: list[list[str]]) -> list[list[str]]:
    """Barycentre sweeps down and up; keep the order with the fewest crossings."""
    up: dict[str, list[str]] = {i: [] for row in rows for i in row}
    down: dict[str, list[str]] = {i: [] for row in rows for i in row}
    row_of = {i: r for r, row in enumerate(rows) for i in row}
    pairs = []
    for items in routes:
        for a, b in zip(items, items[1:], strict=False):
            if row_of[a] > row_of[b]:
                a, b = b, a
            down[a].append(b)
            up[b].append(a)
            pairs.append((a, b))

    def crossings(order: list[list[str]]) -> int:
        pos = {i: k for row in order for k, i in enumerate(row)}
        by_row: dict[int, list[tuple[int, int]]] = {}
        for a, b in pairs:
            by_row.setdefault(row_of[a], []).append((pos[a], pos[b]))
        return sum((p[0] - q[0]) * (p[1] - q[1]) < 0
                   for segs in by_row.values()
                   for n, p in enumerate(segs) for q in segs[n + 1:])

    def resort(order: list[list[str]], r: int, nbrs: dict[str, list[str]]) -> None:
        pos = {i: (k + 0.5) / len(row) for row in order for k, i in enumerate(row)}
        order[r] = sorted(order[r], key=lambda i: (
            sum(pos[n] for n in nbrs[i]) / len(nbrs[i]) if nbrs[i] else pos[i]))

    order = [list(row) for row in rows]
    best, fewest = [list(row) for row in order], crossings(order)
    for _ in range(6):
        for r in range(1, len(order)):
            resort(order, r, up)
        for r in range(len(order) - 2, -1, -1):
            resort(order, r, down)
        if (n := crossings(order)) < fewest:
            best, fewest = [list(row) for row in order], n
    return best


def _gap(a: str, b: str) -> float:
    return BOX_GAP if not (a.startswith("~") or b.startswith("~")) else WAYPOINT_GAP


def _row_width(row: list[str], box_w: float) -> float:
    widths = sum(WAYPOINT_W if i.startswith("~") else box_w for i in row)
    return widths + sum(_gap(a, b) for a, b in zip(row, row[1:], strict=False))


def _place(row: list[str], desired: dict[str, float], width: dict[str, float],
           lo: float, hi: float) -> dict[str, float]:
    """Centres as near ``desired`` as possible keeping order and spacing: with offsets c,
    y = x - c must not decrease, which is isotonic regression (pool adjacent violators),
    clamped so the row stays within [lo, hi]."""
    offsets = [0.0]
    for a, b in zip(row, row[1:], strict=False):
        offsets.append(offsets[-1] + width[a] / 2 + _gap(a, b) + width[b] / 2)
    blocks: list[list[float]] = []  # [mean, count]
    for item, c in zip(row, offsets, strict=True):
        blocks.append([desired[item] - c, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, n2 = blocks.pop()
            m1, n1 = blocks.pop()
            blocks.append([(m1 * n1 + m2 * n2) / (n1 + n2), n1 + n2])
    ys = [m for m, n in blocks for _ in range(int(n))]
    y_lo = lo + width[row[0]] / 2
    y_hi = max(y_lo, hi - offsets[-1] - width[row[-1]] / 2)
    return {i: min(max(y, y_lo), y_hi) + c for i, y, c in zip(row, ys, offsets, strict=True)}


def _positions(rows: list[list[str]], routes: list[list[str]], box_w: float, lo: float,
               hi: float) -> dict[str, float]:
    width = {i: WAYPOINT_W if i.startswith("~") else box_w for row in rows for i in row}
    row_of = {i: r for r, row in enumerate(rows) for i in row}
    nbrs: dict[str, dict[int, list[str]]] = {i: {-1: [], 1: []} for i in width}
    for items in routes:
        for a, b in zip(items, items[1:], strict=False):
            nbrs[a][row_of[b] - row_of[a]].append(b)
            nbrs[b][row_of[a] - row_of[b]].append(a)
    x: dict[str, float] = {}
    for row in rows:  # start packed and centred
        start = (lo + hi) / 2 - _row_width(row, box_w) / 2
        for a, b in zip([None, *row], row, strict=False):
            start += (width[b] / 2 if a is None else width[a] / 2 + _gap(a, b) + width[b] / 2)
            x[b] = start
    passes = [(-1,), (1,)] * 4 + [(-1, 1)] * 2
    for sides in passes:
        sequence = range(len(rows)) if sides[0] == -1 else range(len(rows) - 1, -1, -1)
        for r in sequence:
            desired = {}
            for i in rows[r]:
                near = [x[n] for s in sides for n in nbrs[i][s]]
                desired[i] = sum(near) / len(near) if near else x[i]
            x.update(_place(rows[r], desired, width, lo, hi))
    return x


def _bezier(p0: tuple[float, float], p1: tuple[float, float], t: float) -> tuple[float, float]:
    """A point on the vertical-tangent cubic drawn between two points."""
    dy = (p1[1] - p0[1]) / 2
    c0, c1 = (p0[0], p0[1] + dy), (p1[0], p1[1] - dy)
    u = 1 - t
    return (u ** 3 * p0[0] + 3 * u * u * t * c0[0] + 3 * u * t * t * c1[0] + t ** 3 * p1[0],
            u ** 3 * p0[1] + 3 * u * u * t * c0[1] + 3 * u * t * t * c1[1] + t ** 3 * p1[1])


def _samples(ends: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Links (rows of owner, x0, y0, x1, y1) sampled as _bezier draws them at 41 points:
    the owner of each point, its x and its y."""
    t = np.arange(41)[None, :] / 40
    u = 1 - t
    x0, y0, x1, y1 = (ends[:, k, None] for k in range(1, 5))
    dy = (y1 - y0) / 2
    x = u ** 3 * x0 + 3 * u * u * t * x0 + 3 * u * t * t * x1 + t ** 3 * x1
    y = u ** 3 * y0 + 3 * u * u * t * (y0 + dy) + 3 * u * t * t * (y1 - dy) + t ** 3 * y1
    return np.repeat(ends[:, 0].astype(int), 41), x.ravel(), y.ravel()


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float],
              margin: float = 0.0) -> bool:
    return not (a[2] + margin <= b[0] or b[2] + margin <= a[0]
                or a[3] + margin <= b[1] or b[3] + margin <= a[1])


# ----------------------------------------------------------------------------- drawing

def _marker(shape: str, colour: str, x: float, y: float, size: float = 8) -> str:
    h = size / 2
    if shape == "triangle":
        return (f'<path d="M{x:.1f},{y - h - 0.5:.1f} L{x + h + 0.5:.1f},{y + h:.1f} '
                f'L{x - h - 0.5:.1f},{y + h:.1f} Z" fill="{colour}"/>')
    if shape == "square":
        return (f'<rect x="{x - h + 0.5:.1f}" y="{y - h + 0.5:.1f}" width="{size - 1:.1f}" '
                f'height="{size - 1:.1f}" fill="{colour}"/>')
    return (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{h - 0.5:.1f}" fill="#fff" '
            f'stroke="{colour}" stroke-width="2"/>')


def _flags(chain: Chain, analysis: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    notes: dict[str, list[tuple[str, str]]] = {a.code: [] for a in chain.actors}
    for s in analysis.get("single_points_of_failure") or []:
        if s["actor"] in notes:
            notes[s["actor"]].append(
                ("spof", gettext("Single point of failure")))
    below = (analysis.get("parameters") or {}).get("poor_quality_below", 75.0)
    for p in analysis.get("poor_quality_actors") or []:
        if p["actor"] in notes:
            notes[p["actor"]].append(
                ("quality", gettext("Data quality %(score).0f (below %(below)g)",
                                    score=p["mean_score"], below=below)))
    for b in analysis.get("broken_paths") or []:
        if b["frontline"] in notes:
            notes[b["frontline"]].append(("route",
                                          gettext("Reached only by weak or broken links")))
    return notes


def _layout(chain: Chain, lo: float, hi: float) -> dict[str, Any]:
    """Rows, routes, order and x centres. The box width comes from the busiest row; rows
    wrap, and boxes narrow, until every row (waypoints included) fits between lo and hi."""
    plot_w = hi - lo
    widest = max(len(row) for _, row in _rows(chain, len(chain.actors)))
    box_w = max(MIN_BOX_W, min(MAX_BOX_W, (plot_w - (widest - 1) * BOX_GAP) / widest))
    per_row = max(1, int((plot_w + BOX_GAP) // (box_w + BOX_GAP)))
    while True:
        spec = _rows(chain, per_row)
        rows = [list(codes) for _, codes in spec]
        routes = _route(chain, rows)
        need = max(_row_width(row, box_w) for row in rows)
        if need <= plot_w:
            break
        n_boxes = max(sum(not i.startswith("~") for i in row) for row in rows)
        squeezed = box_w - (need - plot_w) / n_boxes
        if squeezed >= MIN_BOX_W:
            box_w = squeezed
        elif per_row > 1:
            per_row -= 1
        else:  # one actor per row and still too many waypoints: widen the drawing
            hi = lo + need
            break
    rows = _order(rows, routes)
    return {"rows": rows, "routes": routes, "levels": [level for level, _ in spec],
            "row_of": {i: r for r, row in enumerate(rows) for i in row}, "box_w": box_w,
            "x": _positions(rows, routes, box_w, lo, hi), "hi": hi}


def _ports(routes: list[list[str]], row_of: dict[str, int], x: dict[str, float],
           box_w: float) -> dict[tuple[str, int], float]:
    """Where each link leaves or enters a box: its own point on the side facing the far
    end, in the order of the far ends, so links from one box do not cross each other."""
    sides: dict[tuple[str, bool], list[tuple[float, int]]] = {}
    for j, items in enumerate(routes):
        for item, other in ((items[0], items[1]), (items[-1], items[-2])):
            sides.setdefault((item, row_of[other] > row_of[item]), []).append((x[other], j))
    ports = {}
    for (code, _), conns in sides.items():
        conns.sort()
        n = len(conns)
        spacing = min(26.0, box_w * 0.76 / (n - 1)) if n > 1 else 0.0
        for k, (_, j) in enumerate(conns):
            ports[(code, j)] = x[code] + (k - (n - 1) / 2) * spacing
    return ports


def _geometry(routes: list[list[str]], row_of: dict[str, int], x: dict[str, float],
              ports: dict[tuple[str, int], float], tops: list[float], row_h: list[float]
              ) -> list[tuple[list[tuple[float, float]], list[tuple[int, Any, Any]]]]:
    """Per link: its points (box side, waypoint entries and exits, box side) and its
    segments across gaps as (gap index, start, end)."""
    out = []
    for j, items in enumerate(routes):
        down = row_of[items[-1]] > row_of[items[0]]
        pts = []
        for k, item in enumerate(items):
            r = row_of[item]
            enter, leave = ((tops[r], tops[r] + row_h[r]) if down
                            else (tops[r] + row_h[r], tops[r]))
            if k == 0:
                pts.append((ports[(item, j)], leave))
            elif k == len(items) - 1:
                pts.append((ports[(item, j)], enter))
            else:
                pts += [(x[item], enter), (x[item], leave)]
        segs = [(row_of[items[k]] if down else row_of[items[k + 1]], pts[2 * k],
                 pts[2 * k + 1]) for k in range(len(items) - 1)]
        out.append((pts, segs))
    return out


def _label_spots(groups: list[list[int]], sizes: list[tuple[float, float]],
                 geometry: list[Any], tops: list[float], row_h: list[float], lo: float,
                 hi: float, grown: list[int]) -> tuple[list[Any], set[int], set[int]]:
    """A spot on its links for each label (links between the same two actors share one),
    taking the first (middle first) that overlaps no other label or arrowhead and crosses
    no other link, else the one crossing fewest. Returns the spots, the gaps where a label
    found no spot, and the gaps where more room might stop a label crossing a link."""
    # Each gap's links sampled at 41 points, as arrays: the count of another link's points
    # under a candidate label is then one comparison of arrays, not a loop per point.
    ends: dict[int, list[tuple[int, float, float, float, float]]] = {}
    for n, (_, segs) in enumerate(geometry):
        for g, p0, p1 in segs:
            ends.setdefault(g, []).append((n, *p0, *p1))
    samples = {g: _samples(np.array(rows)) for g, rows in ends.items()}
    heads = [(pts[-1][0] - 6, pts[-1][1] - 11, pts[-1][0] + 6, pts[-1][1] + 11)
             for pts, _ in geometry]
    placed: list[tuple[float, float, float, float]] = []
    spots: list[Any] = []
    failing: set[int] = set()
    crossing: set[int] = set()
    for group, (w, h) in zip(groups, sizes, strict=True):
        members = set(group)
        others = np.ones(len(geometry), bool)
        others[group] = False  # the links this label belongs to may pass under it
        segs_of = [geometry[j][1] for j in group]
        n_segs = len(segs_of[0])
        middle = (n_segs - 1) // 2
        found, fewest = None, None
        for k in sorted(range(n_segs), key=lambda k: (abs(k - (n_segs - 1) / 2), k)):
            g = segs_of[0][k][0]
            top, bottom = tops[g] + row_h[g] + 3, tops[g + 1] - 3
            for t in (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8):
                points = [_bezier(segs[k][1], segs[k][2], t) for segs in segs_of]
                cx = sum(p[0] for p in points) / len(points)
                cy = sum(p[1] for p in points) / len(points)
                box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
                if (box[1] < top or box[3] > bottom or box[0] < lo or box[2] > hi
                        or any(_overlaps(box, b, 3) for b in placed)
                        or any(_overlaps(box, b) for n, b in enumerate(heads)
                               if n not in members)):
                    continue
                owners, xs, ys = samples[g]
                # within a pixel of the box, as the drawn line's own width
                crossed = int(np.count_nonzero(
                    (xs >= box[0] - 1) & (xs <= box[2] + 1) & (ys >= box[1] - 1)
                    & (ys <= box[3] + 1) & others[owners]))
                if fewest is None or crossed < fewest:
                    found, fewest = (cx, cy, box), crossed
                if not crossed:
                    break
            if fewest == 0:
                break
        gap = segs_of[0][middle][0]
        if found is None:
            failing.add(gap)
            spots.append(None)
            continue
        if fewest and grown[gap] < MAX_GROWTH:
            crossing.add(gap)
        placed.append(found[2])
        spots.append(found)
    return spots, failing, crossing


def _band_svg(levels: list[str], tops: list[float], row_h: list[float], gaps: list[float],
              total_w: float) -> list[str]:
    """A shaded strip per level, with its name and role in the left column."""
    out = []
    bottom = tops[-1] + row_h[-1] + TOP_MARGIN
    band_rows: dict[str, list[int]] = {}
    for r, level in enumerate(levels):
        band_rows.setdefault(level, []).append(r)
    for n, (level, rs) in enumerate(band_rows.items()):
        first, last = rs[0], rs[-1]
        y0 = 0.0 if first == 0 else tops[first] - gaps[first - 1] / 2
        y1 = bottom if last == len(levels) - 1 else tops[last] + row_h[last] + gaps[last] / 2
        fill = "#f3f5f8" if n % 2 == 0 else "#ffffff"
        out.append(f'<rect class="band" data-level="{level}" x="0" y="{y0:.1f}" '
                   f'width="{total_w:.0f}" height="{y1 - y0:.1f}" fill="{fill}"/>')
        if n:
            out.append(f'<line x1="0" x2="{total_w:.0f}" y1="{y0:.1f}" y2="{y0:.1f}" '
                       'stroke="#d5dbe1"/>')
        title, role = (gettext(word) for word in BANDS[level])
        role_lines = wrap(role, LEFT_COL - 22, SMALL_SIZE)
        ty = (y0 + y1) / 2 - (NAME_LINE + len(role_lines) * SMALL_LINE) / 2 + 11
        out.append(f'<text class="band-label" x="12" y="{ty:.1f}" font-weight="700" '
                   f'font-size="{NAME_SIZE}">{escape(title)}</text>')
        for k, line in enumerate(role_lines):
            out.append(f'<text x="12" y="{ty + NAME_LINE + k * SMALL_LINE:.1f}" '
                       f'font-size="{SMALL_SIZE}" fill="#5a6470">{escape(line)}</text>')
    out.append(f'<line x1="{LEFT_COL - 6}" x2="{LEFT_COL - 6}" y1="0" y2="{bottom:.1f}" '
               'stroke="#d5dbe1"/>')
    return out


def _legend_svg(sid: str, top: float, lo: float, hi: float) -> tuple[list[str], float]:
    """The key: line styles with their words, the label, box styles and markers. Returns
    the elements and the y of its last row."""
    key = escape(gettext("Key"))
    out = [f'<text x="12" y="{top + 4:.1f}" font-weight="700" font-size="{NAME_SIZE}">'
           f'{key}</text>']
    groups: list[list[tuple[str, str, str]]] = [
        [("line", s, gettext(LEGEND_STRENGTH[s])) for s in STRENGTHS]
        + [("label", gettext("type \u00b7 strength"), gettext("labels every link"))],
        [("box", "control", gettext("Centre controls")),
         ("box", "influence", gettext("Centre influences"))]
        + [("flag", f, gettext(FLAGS[f][2])) for f in FLAGS]]
    ly = top
    for n, group in enumerate(groups):
        lx = lo
        if n:
            ly += 22
        for kind, key, text in group:
            sample = {"line": 42, "label": text_width(key, LABEL_SIZE) + 16}.get(kind, 18)
            step = sample + text_width(text, SMALL_SIZE) + 16
            if lx + step > hi and lx > lo:
                lx, ly = lo, ly + 20
            if kind == "line":
                colour, stroke_w, dash, _ = STYLES[key]
                extra = f' stroke-dasharray="{dash}" stroke-linecap="round"' if dash else ""
                out.append(f'<path d="M{lx:.1f},{ly:.1f} L{lx + 28:.1f},{ly:.1f}" '
                           f'stroke="{colour}" stroke-width="{stroke_w}"{extra} '
                           f'marker-end="url(#{sid}-{key})"/>')
            elif kind == "label":
                w = sample - 6
                out.append(f'<rect x="{lx:.1f}" y="{ly - 8:.1f}" width="{w:.1f}" height="16" '
                           'rx="3" fill="#fff" stroke="#56616d" stroke-width="0.8"/>'
                           f'<text x="{lx + w / 2:.1f}" y="{ly + 3.5:.1f}" text-anchor="middle" '
                           f'font-size="{LABEL_SIZE}">{escape(key)}</text>')
            elif kind == "box":
                fill, stroke = BOX_STYLES[key == "control"]
                out.append(f'<rect x="{lx:.1f}" y="{ly - 6:.1f}" width="14" height="12" rx="3" '
                           f'fill="{fill}" stroke="{stroke}" stroke-width="1.3"/>')
            else:
                shape, colour, _ = FLAGS[key]
                out.append(_marker(shape, colour, lx + 6, ly))
            out.append(f'<text x="{lx + sample:.1f}" y="{ly + 3.5:.1f}" '
                       f'font-size="{SMALL_SIZE}">{escape(text)}</text>')
            lx += step
    return out, ly


def chain_svg(chain: Chain, analysis: dict[str, Any] | None = None, *,
              width: int = 900) -> str:
    """The chain as a layered SVG diagram, flags from ``analysis`` (analyse_chain's result;
    computed without quality scores when not given) marked on the actors."""
    if isinstance(width, bool) or not isinstance(width, int) or width < 480:
        raise ValueError(f"width: must be a whole number of pixels, at least 480, got {width!r}")
    if not chain.actors:
        raise ValueError("chain: has no actors to draw")
    if analysis is None:
        analysis = analyse_chain(chain)
    # The summary (its <desc>), the tooltips and the boxes in the language being written.
    words, named = writing(), actor_names(chain, WRITING.get())
    lo = LEFT_COL + 4.0
    lay = _layout(chain, lo, width - RIGHT_MARGIN)
    rows, routes, row_of, x, box_w = (lay["rows"], lay["routes"], lay["row_of"], lay["x"],
                                      lay["box_w"])
    hi = lay["hi"]
    total_w = hi + RIGHT_MARGIN

    # Box contents, and so each row's height (boxes in a row share it).
    notes = _flags(chain, analysis)
    content: dict[str, tuple[list[str], str, list[tuple[str, str]]]] = {}
    box_h: dict[str, float] = {}
    for a in chain.actors:
        name_lines = wrap(named[a.code], box_w - 2 * PAD_X, NAME_SIZE)  # in its language
        control = gettext("Centre controls") if a.controls else gettext("Centre influences")
        note_lines = [(flag, line) for flag, text in notes[a.code]
                      for line in wrap(text, box_w - 2 * PAD_X - 13, SMALL_SIZE)]
        content[a.code] = (name_lines, control, note_lines)
        box_h[a.code] = (PAD_TOP + len(name_lines) * NAME_LINE + 2 + SMALL_LINE
                         + (4 + len(note_lines) * SMALL_LINE if note_lines else 0) + PAD_BOTTOM)
    row_h = [max(box_h[i] for i in row if not i.startswith("~")) for row in rows]
    ports = _ports(routes, row_of, x, box_w)

    # Links between the same two actors share one label, a line for each.
    pairs: dict[tuple[str, str], list[int]] = {}
    for j, link in enumerate(chain.links):
        pairs.setdefault((link.source, link.target), []).append(j)
    groups = list(pairs.values())
    texts = [f"{gettext(k.type)} \u00b7 {gettext(k.strength)}" for k in chain.links]
    sizes = [(max(text_width(texts[j], LABEL_SIZE) for j in group) + 10,
              len(group) * LABEL_LINE + 4) for group in groups]

    # Grow the gaps between rows until every label has a spot.
    gaps = [float(MIN_ROW_GAP)] * (len(rows) - 1)
    grown = [0] * len(gaps)  # times a gap grew only so a label need not cross a link
    for _attempt in range(40):
        tops = [float(TOP_MARGIN)]
        for r in range(1, len(rows)):
            tops.append(tops[-1] + row_h[r - 1] + gaps[r - 1])
        geometry = _geometry(routes, row_of, x, ports, tops, row_h)
        spots, failing, crossing = _label_spots(groups, sizes, geometry, tops, row_h, lo, hi,
                                                grown)
        if not failing and not crossing:
            break
        for g in failing | crossing:
            gaps[g] += GAP_STEP
            grown[g] += g in crossing and g not in failing

    sid = f"chain{zlib.crc32(json.dumps(chain.to_dict(), sort_keys=True).encode()):08x}"
    out = ["<defs>" + "".join(
        f'<marker id="{sid}-{s}" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="10" '
        'markerHeight="10" markerUnits="userSpaceOnUse" orient="auto">'
        f'<path d="M0,0.8 L10,5 L0,9.2 Z" fill="{STYLES[s][0]}"/></marker>'
        for s in STRENGTHS) + "</defs>"]
    out += _band_svg(lay["levels"], tops, row_h, gaps, total_w)

    for link, (pts, segs) in zip(chain.links, geometry, strict=True):
        colour, stroke_w, dash, _ = STYLES[link.strength]
        d = f"M{pts[0][0]:.1f},{pts[0][1]:.1f}"
        for k, (_, p0, p1) in enumerate(segs):
            if k:
                d += f" L{p0[0]:.1f},{p0[1]:.1f}"
            dy = (p1[1] - p0[1]) / 2
            # The last piece stops short; the arrowhead (refX) reaches on to the box.
            end = p1 if k < len(segs) - 1 else (p1[0], p1[1] - (5 if dy > 0 else -5))
            d += (f" C{p0[0]:.1f},{p0[1] + dy:.1f} {p1[0]:.1f},{p1[1] - dy:.1f} "
                  f"{end[0]:.1f},{end[1]:.1f}")
        extra = f' stroke-dasharray="{dash}" stroke-linecap="round"' if dash else ""
        evidence = f": {link.evidence}" if link.evidence else ""
        ends = link_title(named[link.source], named[link.target], words)
        out.append(f'<path class="link" data-from="{escape(link.source)}" '
                   f'data-to="{escape(link.target)}" data-type="{link.type}" '
                   f'data-strength="{link.strength}" d="{d}" fill="none" stroke="{colour}" '
                   f'stroke-width="{stroke_w}"{extra} marker-end="url(#{sid}-{link.strength})">'
                   f'<title>{escape(ends)}: {gettext(link.type)}, '
                   f'{gettext(link.strength)}'
                   f'{escape(evidence)}</title></path>')

    for group, (w, h), spot in zip(groups, sizes, spots, strict=True):
        if spot is None:  # no free spot even after growing the gaps: at the midpoint
            segs = geometry[group[0]][1]
            _, p0, p1 = segs[(len(segs) - 1) // 2]
            cx, cy = _bezier(p0, p1, 0.5)
        else:
            cx, cy = spot[0], spot[1]
        strengths = {chain.links[j].strength for j in group}
        border = STYLES[max(strengths, key=STRENGTHS.index)][0]
        parts = [f'<g class="link-label" data-links="{" ".join(map(str, group))}">'
                 f'<rect x="{cx - w / 2:.1f}" y="{cy - h / 2:.1f}" width="{w:.1f}" '
                 f'height="{h:.1f}" rx="3" fill="#fff" stroke="{border}" stroke-width="0.8"/>']
        for k, j in enumerate(group):
            strength = chain.links[j].strength
            ty = cy - h / 2 + 2 + (k + 0.5) * LABEL_LINE + LABEL_SIZE * 0.35
            weight = ' font-weight="700"' if strength == "broken" else ""
            parts.append(f'<text data-link="{j}" x="{cx:.1f}" y="{ty:.1f}" '
                         f'text-anchor="middle" font-size="{LABEL_SIZE}" '
                         f'fill="{STYLES[strength][3]}"{weight}>{escape(texts[j])}</text>')
        out.append("".join(parts) + "</g>")

    for a in chain.actors:
        r = row_of[a.code]
        bx, by = x[a.code] - box_w / 2, tops[r]
        name_lines, control, note_lines = content[a.code]
        fill, stroke = BOX_STYLES[a.controls]
        parts = [f'<g class="actor" data-code="{escape(a.code)}" data-level="{a.level}">',
                 f'<rect x="{bx:.1f}" y="{by:.1f}" width="{box_w:.1f}" height="{row_h[r]:.1f}" '
                 f'rx="7" fill="{fill}" stroke="{stroke}" stroke-width="1.3"/>']
        ty = by + PAD_TOP + NAME_SIZE - 1
        for line in name_lines:
            parts.append(f'<text x="{bx + PAD_X:.1f}" y="{ty:.1f}" font-size="{NAME_SIZE}" '
                         f'font-weight="600">{escape(line)}</text>')
            ty += NAME_LINE
        ty += 2 - NAME_LINE + SMALL_LINE
        parts.append(f'<text x="{bx + PAD_X:.1f}" y="{ty:.1f}" font-size="{SMALL_SIZE}" '
                     f'fill="#4a5560">{control}</text>')
        ty += 4 if note_lines else 0
        previous = None
        for flag, line in note_lines:
            ty += SMALL_LINE
            shape, colour, _ = FLAGS[flag]
            if flag != previous:  # one marker per note, on its first line
                parts.append(_marker(shape, colour, bx + PAD_X + 4, ty - 3.5))
            previous = flag
            parts.append(f'<text class="note" data-flag="{flag}" x="{bx + PAD_X + 13:.1f}" '
                         f'y="{ty:.1f}" font-size="{SMALL_SIZE}" '
                         f'fill="{AMBER_TEXT if flag == "quality" else RED_TEXT}">'
                         f'{escape(line)}</text>')
        out.append("".join(parts) + "</g>")

    legend, last = _legend_svg(sid, tops[-1] + row_h[-1] + TOP_MARGIN + 22, lo, hi)
    out += legend
    title = gettext("Delivery chain: %(actors)s actors and %(links)s links",
                    actors=len(chain.actors), links=len(chain.links))
    summary = " ".join(chain_summary_lines(analysis, words, named))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {total_w:.0f} '
            f'{last + 16:.0f}" role="img" aria-labelledby="{sid}-title {sid}-desc" '
            f'class="chart chain" font-family="{FONT}" font-size="{SMALL_SIZE}" fill="{INK}">'
            f'<title id="{sid}-title">{escape(title)}</title>'
            f'<desc id="{sid}-desc">{escape(summary)}</desc>'
            + "".join(out) + "</svg>")
