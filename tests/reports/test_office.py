"""The office documents: the pack as a PowerPoint deck, the note and the report as Word
documents. Each is written through the CLI or the services on a real SQLite world, opened
with python-pptx / python-docx, and read against `stocktake status --json` for the same
--as-of; every figure expected here is formatted in this file from that JSON, not by the
code under test."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from docx import Document
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE
from pptx.enum.shapes import MSO_SHAPE_TYPE
from typer.testing import CliRunner

from stocktake.cli import app
from stocktake.errors import Invalid
from stocktake.intake.service import submit_rows
from stocktake.services.data.model_service import load_model

ROOT = Path(__file__).resolve().parents[2]
RECORDED = datetime(2024, 10, 5, 9, 0)  # when the small world's returns arrived


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _cli(*args: str) -> dict:
    done = CliRunner().invoke(app, [*args, "--json"])
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)


@pytest.fixture
def small_world(engine, small_model_dir):
    """The small model (one priority, no plan, chain or assessment) with returns for
    January to September 2024, recorded on 5 October 2024."""
    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2024, 1, 2))
    rows = [(i, u, f"2024-{m:02d}", v) for m in range(1, 10)
            for u, n, p in [("A1", 31 - m, 350000), ("A2", 20 + m % 3, 250000),
                            ("B1", 39 - m % 4, 400000)]
            for i, v in (("incidents", n), ("population", p))]
    assert submit_rows(engine, rows, submitter="t", now=RECORDED).accepted
    return engine


def _fixed(value: float, decimals: int | None) -> str:
    """A figure as the documents print it, written out here: whole numbers from 100 up, else
    one decimal, unless the indicator fixes its decimals."""
    places = decimals if decimals is not None else (
        0 if float(value).is_integer() and abs(value) >= 100 else 1)
    return f"{value:,.{places}f}"


def _when(iso: str) -> str:
    return f"{datetime.fromisoformat(iso):%-d %B %Y, %H:%M} UTC"


def _slide_text(slide) -> str:
    parts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            parts.append(shape.text_frame.text)
        if shape.has_table:
            parts += [cell.text for row in shape.table.rows for cell in row.cells]
    return "\n".join(parts)


def _title(slide) -> str:
    """The slide's title, from its title placeholder (what PowerPoint's outline shows)."""
    return slide.shapes.title.text_frame.text


def _charts(prs, kind):
    return [(s, sh.chart) for s in prs.slides for sh in s.shapes
            if sh.has_chart and sh.chart.chart_type == kind]


@pytest.mark.slow
def test_the_deck_says_what_status_says_with_native_charts(small_world, tmp_path):
    url, out = _url(small_world), tmp_path / "pack.pptx"
    written = _cli("pack", "P1", "--out", str(out), "--db", url, "--as-of", "2024-10-10")
    status = _cli("status", "--priority", "P1", "--db", url, "--as-of", "2024-10-10")
    head = status["priorities"][0]
    assert written["out"] == str(out) and written["data_as_of"] == status["data_as_of"]
    prs = Presentation(str(out))
    slides = list(prs.slides)
    vintage = f"Data as of {_when(status['data_as_of'])}"
    assert _title(slides[0]) == "Cut violent crime"
    for slide in slides:  # the vintage on every slide, the sources in every slide's notes
        assert vintage in _slide_text(slide), _title(slide)
        notes = slide.notes_slide.notes_text_frame.text
        assert "Sources:" in notes and vintage in notes
        assert "stocktake pack P1 --out pack.pptx --as-of 2024-10-10" in notes
        assert "Sources: the returns submitted to stocktake" in notes  # the model names none
    titles = [_title(s) for s in slides]
    for n, question in enumerate(("What are you trying to do?", "How are you going to do it?",
                                  "How do you know you are succeeding?",
                                  "If you are not succeeding, what will you change?",
                                  "How can we help?"), 1):
        assert any(t.startswith(f"{n} · {question}") for t in titles), question

    # the headline's facts, as status reads them
    dec = head["decimals"]
    aim = _slide_text(slides[titles.index("1 · What are you trying to do?")])
    latest = head["latest"]["value"]
    assert _fixed(latest, dec) in aim and head["latest"]["period"] in aim
    assert _fixed(head["expected"], dec) in aim
    sign = "+" if head["gap"] > 0 else "−"
    assert sign + _fixed(abs(head["gap"]), dec) in aim
    assert {"off_track": "Off track", "on_track": "On track", "ahead": "Ahead"}[
        head["status"]] in aim

    # the headline against its trajectory: a native line chart holding status's numbers
    [(slide, line)] = _charts(prs, XL_CHART_TYPE.LINE)
    assert _title(slide).endswith("The headline against its trajectory")
    series = {s.name: list(s.values) for s in line.plots[0].series}
    periods = list(line.plots[0].categories)
    assert {"Actual", "Trajectory"} <= set(series)
    at = periods.index(head["latest"]["period"])
    assert series["Actual"][at] == pytest.approx(latest)
    assert series["Trajectory"][at] == pytest.approx(head["expected"])
    months = [f"{2024 + i // 12}-{i % 12 + 1:02d}" for i in range(len(periods))]
    assert periods == months and periods[-1] == "2025-12"  # every month to the target

    # the units against their share: a native bar chart, one bar per unit, status's gaps
    [(_, bar)] = _charts(prs, XL_CHART_TYPE.BAR_CLUSTERED)
    gaps = {u["unit_name"]: u["gap_pct"] for u in head["units"] if u["gap_pct"] is not None}
    bars = dict(zip(bar.plots[0].categories, bar.plots[0].series[0].values, strict=True))
    assert bars == pytest.approx({name: round(g, 1) for name, g in gaps.items()})

    # lead and counter indicators, as status reads them
    [slide] = [s for s in slides if _title(s).endswith("Lead and counter indicators, "
                                                       "data quality")]
    [counter] = head["counters"]
    text = _slide_text(slide)
    assert "Screening rate (%)" in text and "Violent incidents (incidents)" in text
    assert _fixed(counter["value"], None) in text and counter["period"] in text

    # SPC and the funnel plot: pictures, sharp enough to project
    for ending in ("Statistical process control", "Units compared fairly"):
        [slide] = [s for s in slides if _title(s).endswith(ending)]
        [picture] = [sh for sh in slide.shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert picture.image.content_type == "image/png"
        assert picture.image.size[0] >= 1600, ending


def test_a_missing_period_is_a_gap_in_the_native_line(engine, small_model_dir, tmp_path):
    from stocktake.reports.deck import headline_series
    from stocktake.services.publishing.packs import pack_context

    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2024, 1, 2))
    rows = [(i, u, f"2024-{m:02d}", v) for m in (1, 2, 3, 5, 6)  # no April
            for u, n, p in [("A1", 30, 350000), ("A2", 20, 250000), ("B1", 38, 400000)]
            for i, v in (("incidents", n), ("population", p))]
    submit_rows(engine, rows, submitter="t", now=RECORDED)
    periods, lines = headline_series(*(pack_context(engine, "P1")[k]
                                       for k in ("trajectory", "spc")))
    actual = dict(zip(periods, lines["Actual"], strict=True))
    assert actual["2024-04"] is None
    assert actual["2024-03"] == pytest.approx(88 / 1e6 * 1e5)  # 30 + 20 + 38 per million
    out = tmp_path / "gap.pptx"
    _cli("pack", "P1", "--out", str(out), "--db", _url(engine))
    [(_, line)] = _charts(Presentation(str(out)), XL_CHART_TYPE.LINE)
    assert 'dispBlanksAs val="gap"' in line._chartSpace.xml


@pytest.mark.slow
def test_the_note_and_the_report_as_word_documents(small_world, tmp_path):
    url = _url(small_world)
    note, report = tmp_path / "note.docx", tmp_path / "report.docx"
    _cli("note", "--month", "2024-10", "--out", str(note), "--db", url)
    _cli("report", "--out", str(report), "--db", url, "--as-of", "2024-10-31T23:59:59")
    status = _cli("status", "--db", url, "--as-of", "2024-10-31T23:59:59.999999")
    head = status["priorities"][0]
    vintage = f"Data as of {_when(status['data_as_of'])}"

    doc = Document(str(note))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings == ["Delivery of the priorities: October 2024", "Where each priority stands",
                        "What moved", "What is off track", "What needs a decision"]
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "1 priority;" in text and "1 priorities" not in text
    assert vintage in doc.sections[0].footer.paragraphs[0].text
    [table] = doc.tables
    header, row = ([c.text for c in r.cells] for r in table.rows)
    assert header[:4] == ["Priority", "Latest", "Expected", "Gap"]
    assert row[0].startswith("Cut violent crime")
    assert row[1] == f"{_fixed(head['latest']['value'], head['decimals'])} " \
                     f"({head['latest']['period']})"
    assert row[2] == _fixed(head["expected"], head["decimals"])
    assert row[5] == f"{head['probability_of_meeting'] * 100:.0f}%"

    doc = Document(str(report))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings[0] == "League table: likelihood of delivery"
    assert "Data-quality league: provinces" in headings
    league = doc.tables[0]
    assert [c.text for c in league.rows[1].cells][1].startswith("Cut violent crime")
    assert league.rows[1].cells[5].text == f"{head['probability_of_meeting'] * 100:.0f}%"
    assert league.rows[1].cells[2].text == "Not assessed"
    assert vintage in doc.sections[0].footer.paragraphs[0].text


def _observations(indicators: set[str], units: set[str]) -> list[tuple[str, str, str, str]]:
    path = ROOT / "examples" / "us_crime" / "data" / "observations.csv"
    with path.open(newline="", encoding="utf-8") as f:
        return [(r["indicator"], r["unit"], r["period"], r["value"]) for r in csv.DictReader(f)
                if r["indicator"] in indicators and r["unit"] in units]


def _world(name: str, engine, small_model_dir, tmp_path):
    """A thin world, the priority to read and the month and moment to read it at."""
    if name == "small model, nothing submitted":
        load_model(engine, small_model_dir, loaded_by="t", now=datetime(2024, 1, 2))
        return "P1", "2024-10", None
    if name == "small model, one region's return only":  # no complete period at all
        load_model(engine, small_model_dir, loaded_by="t", now=datetime(2024, 1, 2))
        submit_rows(engine, [("incidents", "A1", "2024-01", 30),
                             ("population", "A1", "2024-01", 350000)],
                    submitter="t", now=RECORDED)
        return "P1", "2024-10", datetime(2024, 10, 31)
    if name == "the guide's model and its history":
        folder = tmp_path / "guide"
        shutil.copytree(ROOT / "examples" / "guide", folder)
        load_model(engine, folder / "model", loaded_by="t", now=datetime(2025, 3, 1))
        with (folder / "data" / "history.csv").open(newline="", encoding="utf-8") as f:
            rows = [tuple(r.values()) for r in csv.DictReader(f)]
        assert submit_rows(engine, rows, submitter="t", now=datetime(2025, 3, 2)).accepted
        return "safer-communities", "2025-03", datetime(2025, 3, 31)
    # US crime: the states' violent crime and population, read before they were recorded
    load_model(engine, ROOT / "examples" / "us_crime" / "model", loaded_by="t",
               now=datetime(2019, 1, 1))
    rows = _observations({"violent_crime", "population"}, {"US", "R-NE", "R-MW", "R-S", "R-W"})
    assert submit_rows(engine, rows, submitter="t", now=datetime(2020, 2, 1)).accepted
    return "cut-violent-crime", "2019-12", datetime(2019, 12, 31)


# each world, and whether its documents have data to show
THIN = {"small model, nothing submitted": False, "small model, one region's return only": True,
        "the guide's model and its history": True, "US crime, before its data": False}


@pytest.mark.slow
@pytest.mark.parametrize("name", THIN)
def test_every_document_works_on_a_thin_world(name, engine, small_model_dir, tmp_path):
    from stocktake.reports.briefing_deck import note_deck, report_deck
    from stocktake.reports.deck import pack_deck
    from stocktake.reports.render import render_note, render_pack, render_report
    from stocktake.reports.word import note_docx, report_docx
    from stocktake.services.publishing.briefings import (
        delivery_report_context,
        monthly_note_context,
    )
    from stocktake.services.publishing.packs import headline_funnel, pack_context

    priority, month, as_of = _world(name, engine, small_model_dir, tmp_path)
    pack = pack_context(engine, priority, as_of=as_of)
    note = monthly_note_context(engine, month)
    report = delivery_report_context(engine, as_of=as_of)
    has_data = THIN[name]
    assert bool(pack["data_as_of"]) is has_data
    said = "Data as of" if has_data else "No data had been recorded by then"

    assert said in render_pack(pack) and "1 priority;" in render_note(note)
    assert render_report(report)
    funnel, why_not = headline_funnel(engine, pack, as_of=as_of)
    assert (funnel is None) == bool(why_not)
    deck = pack_deck(pack, funnel=funnel, funnel_note=why_not)
    deck.save(str(tmp_path / "pack.pptx"))
    slides = list(Presentation(str(tmp_path / "pack.pptx")).slides)
    assert len(slides) >= 9
    for slide in slides:
        assert said in _slide_text(slide), _title(slide)
    if name == "the guide's model and its history":  # the model names the headline's source
        assert ("Sources: Violent incidents: Police services' monthly returns, as submitted "
                "to stocktake"
                in slides[0].notes_slide.notes_text_frame.text)
    if not pack["headline"].latest:  # what is missing is said, not drawn empty
        [spc] = [s for s in slides if _title(s).endswith("Statistical process control")]
        assert "No control limits yet" in _slide_text(spc)
        [units] = [s for s in slides if _title(s).endswith("Units against their share")]
        assert ("No funnel plot of the units: no complete period of the headline yet."
                in units.notes_slide.notes_text_frame.text)
        assert not [s for s in slides if _title(s).endswith("Units compared fairly")]
    for document in (note_docx(note), report_docx(report)):
        path = document.save(tmp_path / "doc.docx")
        doc = Document(str(path))
        assert said in doc.sections[0].footer.paragraphs[0].text
        assert doc.tables or any("No priority" in p.text for p in doc.paragraphs)
    for briefing in (note_deck(note), report_deck(report)):
        briefing.save(str(tmp_path / "briefing.pptx"))
        slides = list(Presentation(str(tmp_path / "briefing.pptx")).slides)
        assert len(slides) >= 3  # short sections share a slide (test_documents_send_back)
        for slide in slides:
            assert said in _slide_text(slide), _title(slide)
            assert "Sources:" in slide.notes_slide.notes_text_frame.text


def test_a_theme_colours_the_deck_and_the_document(small_world, tmp_path):
    theme = tmp_path / "theme.yaml"
    theme.write_text('font: Arial\nprimary: "#5F2167"\n', encoding="utf-8")
    url = _url(small_world)
    _cli("pack", "P1", "--out", str(tmp_path / "p.pptx"), "--db", url, "--theme", str(theme))
    _cli("note", "--month", "2024-10", "--out", str(tmp_path / "n.docx"), "--db", url,
         "--theme", str(theme))
    title = next(iter(Presentation(str(tmp_path / "p.pptx")).slides)).shapes.title
    run = title.text_frame.paragraphs[0].runs[0]
    assert str(run.font.color.rgb) == "5F2167" and run.font.name == "Arial"
    heading = Document(str(tmp_path / "n.docx")).styles["Heading 1"]
    assert str(heading.font.color.rgb) == "5F2167" and heading.font.name == "Arial"


def test_a_bad_theme_or_format_is_refused_and_nothing_is_written(small_world, tmp_path):
    from stocktake.reports.theme import load_theme

    theme = tmp_path / "theme.yaml"
    theme.write_text('primary: navy\nlogo: crest.png\n', encoding="utf-8")
    with pytest.raises(Invalid) as caught:
        load_theme(theme)
    assert [p.message for p in caught.value.problems] == [
        "'primary' is 'navy': write a colour as #RRGGBB",
        "'logo' is not a theme field (fields: actual, bad, font, forecast, ok, primary, warn)"]
    assert all(p.where == f"--theme {theme}" for p in caught.value.problems)
    url = _url(small_world)
    for args, message in [
            (["pack", "P1", "--out", str(tmp_path / "p.pptx"), "--theme", str(theme)],
             "write a colour as #RRGGBB"),
            (["pack", "P1", "--out", str(tmp_path / "p.docx")],
             "write .html, .pdf or .pptx, not '.docx'"),
            (["note", "--month", "2024-10", "--out", str(tmp_path / "n.xlsx")],
             "write .html, .pdf, .docx or .pptx, not '.xlsx'"),
            (["report", "--out", str(tmp_path / "r.odt")],
             "write .html, .pdf, .docx or .pptx, not '.odt'")]:
        done = CliRunner().invoke(app, [*args, "--db", url, "--json"])
        assert done.exit_code == 2, done.output
        assert message in json.loads(done.stdout)["error"]["message"]
    assert not [p for p in tmp_path.iterdir() if p.suffix in (".pptx", ".docx", ".xlsx",
                                                                ".odt")]


@pytest.mark.slow
@pytest.mark.parametrize("command", [("pack", "P1"), ("note", "--month", "2024-10"),
                                     ("report",)], ids=lambda c: c[0])
def test_libreoffice_draws_every_slide(command, small_world, tmp_path):
    """Each deck opened by another program than the one that wrote it: LibreOffice turns it
    into a PDF with one page per slide, each drawn (not blank); pictures of the pages are
    left in the test's folder to look at."""
    soffice = shutil.which("soffice")
    if soffice is None or shutil.which("pdftoppm") is None:
        pytest.skip("LibreOffice and poppler-utils are needed (scripts/test installs them)")
    from PIL import Image

    out = tmp_path / f"{command[0]}.pptx"
    _cli(*command, "--out", str(out), "--db", _url(small_world))
    slides = len(Presentation(str(out)).slides)
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(out)],
                   check=True, capture_output=True, timeout=180)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(out.with_suffix(".pdf")),
                    str(tmp_path / "slide")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("slide-*.png"))
    assert len(pages) == slides
    for page in pages:
        grey = Image.open(page).convert("L")
        inked = sum(grey.histogram()[:200])  # pixels darker than light grey
        assert inked > 0.002 * grey.width * grey.height, page.name  # more than a footer
    assert re.match(r"slide-0*1\.png", pages[0].name)


def test_a_pack_without_control_limits_says_why(engine, small_model_dir, tmp_path):
    """Two months are too few for an XmR chart: the SPC slide says so, whether the context
    holds an SPC reading without points or none at all."""
    from stocktake.reports.deck import pack_deck
    from stocktake.services.publishing.packs import pack_context

    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2024, 1, 2))
    rows = [(i, u, f"2024-{m:02d}", v) for m in (1,)
            for u, n, p in [("A1", 30, 350000), ("A2", 20, 250000), ("B1", 38, 400000)]
            for i, v in (("incidents", n), ("population", p))]
    submit_rows(engine, rows, submitter="t", now=RECORDED)
    context = pack_context(engine, "P1")
    for spc in (context["spc"], None):
        deck = pack_deck({**context, "spc": spc})
        [slide] = [s for s in deck.slides if _title(s).endswith("Statistical process control")]
        text = _slide_text(slide)
        assert "No control limits yet: 1 complete period(s): an XmR chart needs at least 2." in text
