"""The milestone timeline across priorities as plain SVG (Gantt-style, like the other charts
in this package: no JavaScript, the same picture in a page, a PDF and an office document).

A band per priority spans its first to its last milestone; under it a row per milestone, a
diamond on its due day. An overdue milestone is red, with a red bar from its due day to
today and "N days late" beside it (colour is never the only cue); a done one is green and
ticked, an at-risk or late one orange, a dropped one grey. A dashed line marks today.
"""

from __future__ import annotations

from datetime import date
from html import escape

from ..delivery.register import TimelineMilestone
from ..results.register import AcrossPriorities
from .charts import FORECAST, GREY, INK, ORANGE, RED, TRAJECTORY, label_width
from .locale import WRITING, gettext, short_month

GREEN = "#00703c"
# (fill, stroke, the word in the legend) of each status as read today.
MARKS = {"overdue": (RED, RED, "Overdue"), "done": (GREEN, GREEN, "Done"),
         "at_risk": (ORANGE, ORANGE, "At risk or late"), "late": (ORANGE, ORANGE, ""),
         "dropped": ("#ffffff", GREY, "Dropped"),
         "not_started": ("#ffffff", TRAJECTORY, "Open"), "on_track": ("#ffffff", TRAJECTORY, "")}
MONTH_STEPS = (1, 3, 6, 12, 24, 60)
LABEL_W, ROW_H, TOP = 400, 15, 34


def _months(d: date) -> int:
    return d.year * 12 + d.month - 1


def _ticks(first: date, last: date, plot_w: float) -> list[tuple[date, str]]:
    """The first day of every k-th month between two days, labelled "2025" in January and
    "Apr" otherwise, k the smallest step whose labels stand apart."""
    span = max(_months(last) - _months(first), 1)
    step = next((k for k in MONTH_STEPS if k * plot_w / span >= label_width("0000", 11) + 14),
                MONTH_STEPS[-1])
    out = []
    for m in range(_months(first) + 1, _months(last) + 1):
        if m % step == 0:
            day = date(m // 12, m % 12 + 1, 1)
            out.append((day, str(day.year) if day.month == 1 else short_month(day)))
    return out


def _fit(text: str, width: float, size: float) -> str:
    if label_width(text, size) <= width:
        return text
    while text and label_width(text + "…", size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _diamond(x: float, y: float, r: float, fill: str, stroke: str, title: str) -> str:
    return (f'<path d="M{x:.1f} {y - r:.1f}L{x + r:.1f} {y:.1f}L{x:.1f} {y + r:.1f}'
            f'L{x - r:.1f} {y:.1f}Z" fill="{fill}" stroke="{stroke}" stroke-width="1.5">'
            f"<title>{escape(title)}</title></path>")


def milestone_timeline(across: AcrossPriorities, *, width: int = 960) -> str:
    """Every plan's milestones on one time axis, by priority; "" when no plan has one."""
    if not across.milestones:
        return ""
    today = date.fromisoformat(across.today)
    days = [m.due for m in across.milestones] + [today]
    first = date(min(days).year, min(days).month, 1)
    last_m = _months(max(days)) + 1
    last = date(last_m // 12, last_m % 12 + 1, 1)
    plot_x, plot_w = LABEL_W, width - LABEL_W - 90  # room on the right for "N days late"

    def x(d: date) -> float:
        return plot_x + plot_w * (d - first).days / max((last - first).days, 1)

    out: list[str] = []
    row = 0
    by_priority: dict[str, list[TimelineMilestone]] = {}
    for m in across.milestones:
        by_priority.setdefault(m.priority, []).append(m)
    for code, items in by_priority.items():
        y = TOP + row * ROW_H + ROW_H / 2
        title = across.titles.get(code, code)
        out.append(f'<text x="0" y="{y + 4:.1f}" font-weight="700">'
                   f"{escape(_fit(title, LABEL_W - 10, 12.5))}<title>{escape(title)}</title>"
                   "</text>")
        x0, x1 = x(items[0].due), x(items[-1].due)
        out.append(f'<rect x="{x0:.1f}" y="{y - 4:.1f}" width="{max(x1 - x0, 2):.1f}" '
                   f'height="8" rx="3" fill="#d5dbe1"/>')
        row += 1
        for m in items:
            out.append(_milestone_row(m, TOP + row * ROW_H + ROW_H / 2, x, today))
            row += 1
    bottom = TOP + row * ROW_H + 4
    axis = [f'<line x1="{plot_x}" y1="{bottom}" x2="{plot_x + plot_w}" y2="{bottom}" '
            f'stroke="{INK}"/>']
    for day, label in _ticks(first, last, plot_w):
        tx = x(day)
        axis.append(f'<line x1="{tx:.1f}" y1="{TOP - 6}" x2="{tx:.1f}" y2="{bottom}" '
                    f'stroke="#e6e9ed"/><text x="{tx:.1f}" y="{bottom + 15}" '
                    f'text-anchor="middle" font-size="11" class="tick">{label}</text>')
    tx = x(today)
    today_label = escape(gettext("today %(day)s", day=today.isoformat()))
    axis.append(f'<line x1="{tx:.1f}" y1="{TOP - 10}" x2="{tx:.1f}" y2="{bottom}" '
                f'stroke="{INK}" stroke-dasharray="4 3"/><text x="{tx:.1f}" y="{TOP - 14}" '
                f'text-anchor="middle" font-size="11">{today_label}</text>')
    legend, lx, ly = [], float(plot_x), bottom + 38
    for status in ("overdue", "at_risk", "not_started", "done", "dropped"):
        fill, stroke, word = MARKS[status]
        word = gettext(word)
        legend.append(_diamond(lx + 6, ly - 4, 6, fill, stroke, word)
                      + f'<text x="{lx + 16:.1f}" y="{ly}">{word}</text>')
        lx += 34 + label_width(word, 12)
    late = len(across.overdue)
    summary = escape(gettext("Milestones of %(n)s priorities' plans by due date; %(late)s "
                             "overdue on %(day)s: ", n=len(by_priority), late=late,
                             day=today.isoformat()) + "; ".join(
                         f"{m.name} ({across.titles.get(m.priority, m.priority)}), "
                         + gettext("%(days)s days late", days=m.days_overdue)
                         for m in across.overdue))
    height = ly + 10
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" '
            f'role="img" aria-label="{summary}" class="chart timeline" '
            f'font-family="system-ui, sans-serif" font-size="12" fill="{INK}">'
            f"<title>{summary}</title>" + "".join(axis + out + legend) + "</svg>")


def _milestone_row(m: TimelineMilestone, y: float, x, today: date) -> str:
    fill, stroke, _ = MARKS.get(m.status, MARKS["not_started"])
    owner = f" ({m.owner})" if m.owner else ""
    title = (f"{m.name}{owner}: " if WRITING.get() == "en" else f"{m.name}{owner}\u00a0: ") + (
        gettext("due %(day)s, %(status)s", day=m.due.isoformat(),
                status=gettext(m.status.replace("_", " "))))
    parts = [f'<text x="12" y="{y + 4:.1f}" font-size="11" data-status="{m.status}">'
             f"{escape(_fit(m.name, LABEL_W - 22, 11))}<title>{escape(title)}</title></text>"]
    if m.status == "overdue":
        parts.append(f'<rect x="{x(m.due):.1f}" y="{y - 2:.1f}" '
                     f'width="{max(x(today) - x(m.due), 1):.1f}" height="4" fill="{RED}"/>'
                     f'<text x="{x(today) + 6:.1f}" y="{y + 4:.1f}" fill="{RED}" '
                     f'font-weight="700">'
                     f'{escape(gettext("%(days)s days late", days=m.days_overdue))}</text>')
    parts.append(_diamond(x(m.due), y, 5, fill, stroke, title))
    if m.status == "done":
        parts.append(f'<path d="M{x(m.due) - 3:.1f} {y:.1f}l2.5 2.5l4-5" fill="none" '
                     'stroke="#ffffff" stroke-width="1.6"/>')
    if m.status == "dropped":
        parts.append(f'<line x1="{x(m.due) - 8:.1f}" y1="{y:.1f}" x2="{x(m.due) + 8:.1f}" '
                     f'y2="{y:.1f}" stroke="{FORECAST}" stroke-width="1.5"/>')
    return "".join(parts)


__all__ = ["milestone_timeline"]
