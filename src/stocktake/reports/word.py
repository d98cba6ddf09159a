"""The monthly note and the delivery report as Word documents (python-docx) that a private
office can edit: real headings (the navigation pane lists them), real tables, lists, and
"Data as of" in every page's footer. The words and numbers are the HTML documents' own,
from the same contexts (services.publishing.briefings)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Emu, Inches, Pt, RGBColor

from .formatting import (
    change,
    difference,
    likelihood_word,
    number,
    percent,
    signed,
    status_word,
)
from .office import data_as_of_line, plural
from .theme import DEFAULT_THEME, Theme


class _Doc:
    """A Word document being written in a theme's font and colours."""

    def __init__(self, c: dict[str, Any], theme: Theme, what: str) -> None:
        self.theme = theme
        self.doc = Document()
        normal = self.doc.styles["Normal"]
        normal.font.name, normal.font.size = theme.font, Pt(10.5)
        for name in ("Title", "Heading 1", "Heading 2"):
            style = self.doc.styles[name]
            style.font.name = theme.font
            style.font.color.rgb = RGBColor(*theme.rgb("primary"))
        section = self.doc.sections[0]
        section.left_margin = section.right_margin = Inches(0.9)  # room for the tables
        footer = section.footer.paragraphs[0]
        footer.text = f"{c['title']} · {data_as_of_line(c, what)}"
        if c.get("world_label"):
            footer.text += f" · {c['world_label']}"

    def para(self, text: str = "", *, style: str | None = None, bold: str = "",
             muted: bool = False) -> Any:
        """A paragraph; ``bold`` is written first, in bold."""
        p = self.doc.add_paragraph(style=style)
        if bold:
            p.add_run(bold).bold = True
        run = p.add_run(text)
        if muted:
            run.font.color.rgb = RGBColor(*self.theme.rgb("forecast"))
        return p

    def table(self, header: list[str], rows: list[list[str]], *,
              widths: list[float] | None = None, numeric: tuple[int, ...] = ()) -> Any:
        """A table with a header row across the page, its columns in the shares of
        ``widths`` (equal without); the ``numeric`` columns aligned right."""
        table = self.doc.add_table(rows=1, cols=len(header))
        table.style = "Light Grid Accent 1"
        table.autofit = False
        section = self.doc.sections[0]
        page = section.page_width - section.left_margin - section.right_margin
        shares = widths or [1.0] * len(header)
        for k, text in enumerate(header):
            table.rows[0].cells[k].text = text
        for row in rows:
            cells = table.add_row().cells
            for k, text in enumerate(row):
                cells[k].text = text
        sizes = [Emu(int(page * share / sum(shares))) for share in shares]
        for k, size in enumerate(sizes):  # the grid (LibreOffice) and each cell (Word)
            table.columns[k].width = size
        for row in table.rows:
            for k, cell in enumerate(row.cells):
                cell.width = sizes[k]
                for run in cell.paragraphs[0].runs:
                    run.font.size = Pt(9)
                if k in numeric:
                    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        return table

    def save(self, out: str | Path) -> Path:
        path = Path(out)
        self.doc.save(str(path))
        return path


def note_summary(c: dict[str, Any]) -> str:
    """The note's opening line: the vintage, then how many priorities and how they stand."""
    parts = [plural(len(c["priorities"]), "priority", "priorities"),
             f"{len(c['off_track'])} off track"]
    for status in ("met", "missed"):
        n = sum(1 for r in c["concluded"] if r["status"] == status)
        if n:
            parts.append(f"{plural(n, 'target', 'targets')} {status}")
    parts.append(f"{plural(c['open_actions'], 'open action', 'open actions')}, "
                 f"{c['overdue_actions']} overdue")
    return f"{data_as_of_line(c, 'note')}. " + "; ".join(parts) + "."


def note_docx(c: dict[str, Any], theme: Theme = DEFAULT_THEME) -> _Doc:
    """The monthly note (services.publishing.briefings.monthly_note_context)."""
    d = _Doc(c, theme, "note")
    d.para(f"Monthly note · {c['month_name']}", muted=True)
    d.doc.add_heading(f"Delivery of the priorities: {c['month_name']}", level=0)
    d.para(note_summary(c))
    d.doc.add_heading("Where each priority stands", level=1)
    rows = []
    for p in c["priorities"]:
        latest = p["latest"]
        v = p["at_target_period"]
        rows.append([
            f"{p['title']} ({p['unit_of_measure']})" if p["unit_of_measure"] else p["title"],
            number(latest.value if latest else None, p["decimals"])
            + (f" ({latest.period})" if latest else ""),
            number(p["expected"], p["decimals"]) + (" (target)" if v else ""),
            signed(p["gap_pct"]) + ("%" if p["gap_pct"] is not None else ""),
            status_word(p["status"]) + (f": {number(v.actual, p['decimals'])} in "
                                        f"{v.actual_period}" if v else ""),
            percent(p["probability"]), likelihood_word(p["likelihood"])])
    if not rows:
        d.para("No priority is in the model yet.", muted=True)
    else:
        d.table(["Priority", "Latest", "Expected", "Gap", "Status", "P(target)",
                 "Likelihood"], rows, widths=[2.5, 1.3, 1.3, 1, 1.4, 1.3, 1.4],
                numeric=(1, 2, 3, 5))
    d.doc.add_heading("What moved", level=1)
    for m in c["moved"]:
        care = f"; ⚠ {m['alerts']}" if m.get("alerts") else ""
        d.para(f": {change(m['change'], m['unit_of_measure'], m['decimals'])} in "
               f"{m['period']} on the period before ({m['movement']}{care}).",
               bold=m["title"], style="List Bullet")
    if not c["moved"]:
        d.para("No new data this month.", style="List Bullet", muted=True)
    d.doc.add_heading("What is off track", level=1)
    for o in c["off_track"]:
        behind = o["units_behind"]
        named = ", ".join(behind[:2]) + (f" and {len(behind) - 2} more"
                                         if len(behind) > 2 else "")
        d.para(f": {len(behind)} of {o['units']} units behind their share"
               + (f" ({named})" if behind else "") + ".", bold=o["title"],
               style="List Bullet")
    if not c["off_track"]:
        d.para("Nothing is off track.", style="List Bullet")
    d.doc.add_heading("What needs a decision", level=1)
    for item in c["decisions"][:6]:
        d.para(f" {item['why']} {item['ask']}", bold=f"{item['title']}.",
               style="List Number")
    if not c["decisions"]:
        d.para("No decision needed this month.", muted=True)
    if c.get("care"):  # alerts on the priorities' figures, where the note has them
        d.doc.add_heading("Numbers to treat with care: alerts of gaming or a change of "
                          "recording", level=1)
        for p in c["care"]:
            more = p.get("more_units", 0)
            d.para(f": {p['counted']}, at {', '.join(p['units'])}"
                   + (f" and {plural(more, 'more unit', 'more units')}" if more else "")
                   + ".", bold=p["title"], style="List Bullet")
    d.para("Status: the latest complete period against the trajectory and tolerance; once "
           "the target period is complete, target met or missed there. P(target): from the "
           "forecast distribution. Likelihood: the latest assessment. "
           f"stocktake {c['version']}.", muted=True)
    return d


def report_docx(c: dict[str, Any], theme: Theme = DEFAULT_THEME) -> _Doc:
    """The delivery report (services.publishing.briefings.delivery_report_context)."""
    d = _Doc(c, theme, "report")
    d.para("Delivery report", muted=True)
    d.doc.add_heading("How likely is each priority to be delivered?", level=0)
    d.para(f"{data_as_of_line(c, 'report')}. Report date: {c['today']}.")
    d.doc.add_heading("League table: likelihood of delivery", level=1)
    rows = [[str(i), f"{r['title']} ({r['owner']})" if r["owner"] else r["title"],
             likelihood_word(r["likelihood"]) + (f" ({r['round']})" if r["round"] else ""),
             r["change"] or ("first round" if r["likelihood"] else "not assessed"),
             status_word(r["status"]) + (f" {signed(r['gap_pct'])}%"
                                         if r["gap_pct"] is not None else "")
             + "".join(f"; disagrees: {f['message']}" for f in r["flags"]),
             percent(r["probability"])] for i, r in enumerate(c["league"], 1)]
    if rows:
        d.table(["#", "Priority", "Likelihood", "Change since last round", "Statistics",
                 "P(target)"], rows, widths=[0.4, 2.4, 1.3, 2, 2.4, 1], numeric=(0, 5))
    else:
        d.para("No priority is still short of its deadline.", muted=True)
    if c["concluded"]:
        d.doc.add_heading("Targets at their deadline: met or missed", level=1)
        d.para("The target period is complete, so these are verdicts, not progress: not "
               "ranked with the priorities still under way.", muted=True)
        d.table(["Priority", "Verdict", "At the deadline, and since"],
                [[r["title"], status_word(r["status"]), r["sentence"]]
                 for r in c["concluded"]], widths=[2, 1, 4])
    d.doc.add_heading("Successes, and who achieved them", level=1)
    for s in c["successes"]:
        d.doc.add_heading(s["title"] + (f" ({status_word(s['status'])})" if s["status"] in (
            "on_track", "ahead", "met") else ""), level=2)
        d.para(_success(s))
        if s.get("credit_alerts"):
            d.para(_credit_alerts(s["credit_alerts"]), bold="⚠ Before giving credit: ")
    if not c["successes"]:
        d.para("No priority or unit is on track yet.", muted=True)
    d.doc.add_heading("Concerns", level=1)
    for s in c["concerns"]:
        d.doc.add_heading(f"{s['title']} ({status_word(s['status'])})", level=2)
        d.para(_concern(s))
        for f in s["flags"]:
            d.para(f["message"], bold="Judgement and statistics disagree. ")
    if not c["concerns"]:
        d.para("No concerns.", muted=True)
    if "trust" in c:  # alerts on the priorities' figures, where the report has them
        _trust(d, c["trust"])
    d.doc.add_heading("Data-quality league: provinces and territories", level=1)
    units = c["quality"]["units"]
    if units:
        d.table(["#", "Unit", "Score", "Completeness", "Timeliness"],
                [_league_row(i, e) for i, e in enumerate(units, 1)],
                widths=[0.4, 3, 1, 1.2, 1.2], numeric=(0, 2, 3, 4))
    else:
        d.para("No unit has data to score yet.", muted=True)
    d.para(f"{c['quality']['formula']}. Likelihood: the delivery unit's latest assessment; "
           "statistics: the latest complete period against the trajectory; P(target) from "
           f"the forecast distribution. stocktake {c['version']}.", muted=True)
    return d


def _league_row(i: int, entry: Any) -> list[str]:
    """A row of the data-quality league: a unit's quality, or a league entry holding it
    with its rank and why an alert keeps it off the top."""
    q = getattr(entry, "quality", entry)
    name = q.name + (f" (listed after the units without an alert: {entry.reason})"
                     if getattr(entry, "reason", None) else "")
    return [str(getattr(entry, "rank", i)), name, number(q.score, 1), percent(q.completeness),
            percent(q.timeliness)]


def _trust(d: _Doc, trust: list[dict[str, Any]]) -> None:
    """Can we trust these numbers? Each priority's open or confirmed alerts, in words."""
    d.doc.add_heading("Can we trust these numbers?", level=1)
    if not trust:
        d.para("No alert is open or confirmed: no counter worsened as a headline improved, "
               "no unit changed a declared ratio on its own, and no unit's series broke from "
               "its peers'.")
        return
    d.para("Open alerts are questions on a figure, not verdicts; confirmed alerts mean the "
           "figure is not to be trusted as it stands. The strongest of each priority:")
    for p in trust:
        d.doc.add_heading(f"{p['title']}: {p['counted']}", level=2)
        for a in p["alerts"]:
            d.para(f"{a.explanation}. {str(a.status).capitalize()}; alert {a.id}.",
                   style="List Bullet")
        if p.get("more"):
            d.para(f"and {p['more']} more: stocktake alerts --priority {p['code']}",
                   style="List Bullet", muted=True)


def _credit_alerts(flagged: list[Any]) -> str:
    """The units credited whose figures alerts question, as the HTML report says it."""
    parts = []
    for q in flagged:
        alerts = q["alerts"]
        first = alerts[0]
        more = f"; and {len(alerts) - 1} more" if len(alerts) > 1 else ""
        parts.append(f"{q['unit_name']} ({first.status}: {first.moved}{more})")
    which = "an alert questions" if len(flagged) == 1 else "alerts question"
    return (f"{which} the figures of " + "; ".join(parts)
            + ". Credit the improvement once they are explained.")


def _success(s: dict[str, Any]) -> str:
    did = ("met their share of the target" if s["status"] == "met"
           else "are on or ahead of their share of the trajectory")
    text = (f"{s['sentence']} " if s["sentence"] else "") + (
        f"{s['units_ahead']} of {s['units']} units {did}")
    if s["credit_units"]:
        text += f"; credit to {', '.join(s['credit_units'])}"
    text += "."
    if s["actions_done"]:
        text += (f" {plural(s['actions_done'], 'stocktake action', 'stocktake actions')} "
                 "delivered in the last six months")
        text += (f" by {', '.join(s['credit_owners'])}." if s["credit_owners"] else ".")
    return text


def _concern(s: dict[str, Any]) -> str:
    if s["sentence"]:
        text = s["sentence"]
        if s["units_missed"]:
            text += f" Units that missed their share: {', '.join(s['units_missed'])}."
    else:
        text = ""
        if s["gap"] is not None:
            text = (f"{difference(s['gap'], s['unit_of_measure'], s['decimals'], True)} "
                    f"{'above' if s['gap'] > 0 else 'below'} the trajectory "
                    f"({signed(s['gap_pct'])}%); ")
        text += f"{percent(s['probability'])} probability of meeting the target."
    if s["units_behind"]:
        text += " Off track for three periods or more: " + ", ".join(
            f"{u['name']} ({u['run']})" for u in s["units_behind"]) + "."
    return text

