"""The figures of the monthly note and the delivery report: one definition each, made from
the document's context. A BarFigure is drawn as a native, editable bar chart in the
PowerPoint deck (reports.deck) and as a picture in the Word document (``bars_svg``, then
reports.pictures); a PictureFigure, which no native office chart can draw, is the same
picture in both."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from ..delivery.assessments import LIKELIHOOD_LABELS
from .briefing_text import overdue_sentence
from .charts import likelihood_chart
from .locale import N_, gettext
from .theme import Theme
from .timeline import milestone_timeline
from .written import pct, percent, signed

STATUS_KEY = N_("green: on track, ahead or met; red: off track or missed; grey: neither yet")


@dataclass(frozen=True)
class BarFigure:
    """Horizontal bars, one per category, first at the top: ``colours`` names each bar's
    theme colour, ``labels`` its value as printed; ``number_format`` is the same label as
    an Excel number format (for the native chart); ``fixed_range`` the value axis, if
    fixed (None: from the data)."""

    title: str
    categories: list[str]
    values: list[float]
    colours: list[str]
    labels: list[str]
    axis_title: str
    number_format: str
    caption: str
    fixed_range: tuple[float, float] | None = None


def note_figure(c: dict[str, Any], theme: Theme) -> BarFigure | None:
    """The note's figure: each priority's gap against its trajectory (%), coloured by its
    status; None when no priority has a gap yet."""
    rows = [p for p in c["priorities"] if p["gap_pct"] is not None]
    if not rows:
        return None
    left = len(c["priorities"]) - len(rows)
    return BarFigure(
        title=gettext("Gap against the trajectory"),
        categories=[p["title"] for p in rows],
        values=[round(p["gap_pct"], 1) for p in rows],
        colours=[theme.status_colour(p["status"]) for p in rows],
        labels=[pct(signed(round(p["gap_pct"], 1), 1)) for p in rows],
        axis_title=gettext("%% against the trajectory, latest complete period"),
        number_format='+0.0"%";-0.0"%";0"%"',
        caption=gettext("Each priority's headline against its trajectory (%(key)s).",
                        key=gettext(STATUS_KEY))
                + (" " + gettext("%(n)s without a reading yet.", n=left) if left else ""))


def report_figure(c: dict[str, Any], theme: Theme) -> BarFigure | None:
    """The report's figure: the probability of meeting each target, in the league's
    order, coloured by status; None when no priority has a forecast."""
    rows = [r for r in c["league"] if r["probability"] is not None]
    if not rows:
        return None
    left = len(c["league"]) - len(rows)
    return BarFigure(
        title=gettext("Probability of meeting the target"),
        categories=[r["title"] for r in rows],
        values=[round(r["probability"] * 100) for r in rows],
        colours=[theme.status_colour(r["status"]) for r in rows],
        labels=[percent(r["probability"]) for r in rows],
        axis_title=gettext("%% probability of meeting the target by its deadline"),
        number_format='0"%"',
        caption=gettext("The forecast's probability of meeting each target by its deadline, "
                        "in the league's order (%(key)s).", key=gettext(STATUS_KEY))
                + (" " + gettext("%(n)s without a forecast.", n=left) if left else ""),
        fixed_range=(0, 100))


@dataclass(frozen=True)
class PictureFigure:
    """A figure drawn only as a picture (a grid of coloured cells has no native office
    chart): its SVG drawing, and its data in words (``in_words``, for the speaker notes:
    a picture's numbers cannot be read back out of it)."""

    title: str
    svg: str
    caption: str
    in_words: str


def likelihood_figure(c: dict[str, Any]) -> PictureFigure | None:
    """The report's second figure: each priority's likelihood of delivery over the
    assessment rounds (reports.charts.likelihood_chart, the HTML report's chart); None
    when no priority was assessed."""
    rounds = c.get("likelihood_rounds") or []
    svg = likelihood_chart(rounds)
    if not svg:
        return None
    return PictureFigure(
        title=gettext("Likelihood of delivery over the rounds"),
        svg=svg,
        caption=gettext("Likelihood of delivery at each assessment round, as the delivery "
                        "unit judged it: the priorities in the league's order, then those at "
                        "their deadline."),
        in_words="; ".join(f"{title}: " + (", ".join(
            f"{r} {gettext(LIKELIHOOD_LABELS.get(v, v))}" for r, v in history)
            or gettext("not assessed")) for title, history in rounds))


def timeline_figure(c: dict[str, Any]) -> PictureFigure | None:
    """The report's milestone timeline across priorities (reports.timeline, the HTML
    report's chart); None when the report has none or no plan has a milestone."""
    across = c.get("across")
    svg = milestone_timeline(across) if across is not None else ""
    if not svg:
        return None
    return PictureFigure(
        title=gettext("Milestones across priorities"),
        svg=svg,
        caption=gettext("Each priority's milestones by due day; an overdue milestone is red, "
                        "with a bar from its due day to today."),
        in_words=overdue_sentence(across))


ROW, LABELS, WIDTH, PAD = 30, 250, 720, 12


def bars_svg(figure: BarFigure, theme: Theme) -> str:
    """The figure as an SVG drawing: a row per category, its name on the left, the bar
    from zero, its label at the bar's end, and the axis title below."""
    low, high = figure.fixed_range or (min(0.0, *figure.values), max(0.0, *figure.values))
    span = (high - low) or 1.0
    plot = WIDTH - LABELS - 2 * PAD - 60  # room for the labels past the bars' ends

    def x(v: float) -> float:
        return LABELS + PAD + (v - low) / span * plot

    height = ROW * len(figure.values) + 3 * PAD + 20
    font = f'font-family="{escape(theme.font)}, sans-serif"'
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
             f'width="{WIDTH}" height="{height}" {font} font-size="13">']
    for i, (name, value, colour, label) in enumerate(zip(
            figure.categories, figure.values, figure.colours, figure.labels, strict=True)):
        y = PAD + i * ROW
        start, end = sorted((x(0), x(value)))
        parts.append(f'<text x="{LABELS}" y="{y + 19}" text-anchor="end" '
                     f'fill="{theme.actual}">{escape(_short(name))}</text>')
        parts.append(f'<rect x="{start:.1f}" y="{y + 5}" width="{max(end - start, 1):.1f}" '
                     f'height="{ROW - 10}" fill="{getattr(theme, colour)}"/>')
        parts.append(f'<text x="{end + 4:.1f}" y="{y + 19}" fill="{theme.actual}">'
                     f'{escape(label)}</text>')
    bottom = PAD + ROW * len(figure.values)
    parts.append(f'<line x1="{x(0):.1f}" y1="{PAD}" x2="{x(0):.1f}" y2="{bottom}" '
                 f'stroke="{theme.forecast}"/>')
    parts.append(f'<text x="{LABELS + PAD}" y="{bottom + PAD + 12}" fill="{theme.forecast}">'
                 f'{escape(figure.axis_title)}</text></svg>')
    return "".join(parts)


def _short(name: str, most: int = 34) -> str:
    """A category name that fits left of the bars."""
    return name if len(name) <= most else name[:most - 1].rstrip() + "…"
