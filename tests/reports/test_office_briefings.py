"""The monthly note and the delivery report as PowerPoint decks and their figures in Word,
the theme named in the model folder, and the pictures drawn at the size they are placed.
Written through the CLI or the services on a real SQLite world, opened with python-pptx /
python-docx, and read against `stocktake status --json` for the same moment; every figure
expected here is formatted in this file from that JSON, not by the code under test."""

from __future__ import annotations

import io
import shutil
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from docx import Document
from PIL import Image
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE
from pptx.enum.shapes import MSO_SHAPE_TYPE

from stocktake.model.files import ModelError
from stocktake.model.theme import DEFAULT_THEME
from stocktake.reports.pictures import DPI, PictureCache
from stocktake.services.data.model_service import load_model, model_changes, model_theme
from stocktake.services.routines.assessments import record_assessment
from stocktake.store.db import get_meta

from . import test_office
from .test_office import _charts, _cli, _fixed, _slide_text, _title, _url, _when

small_world = test_office.small_world  # the fixture: the small model with nine months

EXAMPLES = Path(__file__).parents[2] / "examples" / "delivery"
END_OF_OCTOBER = "2024-10-31T23:59:59.999999"  # the note for October reads the data then
# The default theme's colours of a status, written out here: green good, red bad.
STATUS_FILL = {"on_track": "00703C", "ahead": "00703C", "off_track": "DE1B1B"}


def _notes(slide) -> str:
    return slide.notes_slide.notes_text_frame.text


def _bar_fills(chart) -> list[str]:
    return [str(point.format.fill.fore_color.rgb) for point in chart.plots[0].series[0].points]


def test_the_note_as_a_deck_says_what_status_says(small_world, tmp_path):
    url, out = _url(small_world), tmp_path / "note.pptx"
    written = _cli("note", "--month", "2024-10", "--out", str(out), "--db", url)
    status = _cli("status", "--db", url, "--as-of", END_OF_OCTOBER)
    [head] = status["priorities"]
    assert written["out"] == str(out) and written["data_as_of"] == status["data_as_of"]
    prs = Presentation(str(out))
    slides = list(prs.slides)
    assert [_title(s) for s in slides] == [
        "Delivery of the priorities: October 2024", "Where each priority stands",
        "Gap against the trajectory", "The month in brief"]
    # the short sections share a slide, each under its heading
    body = _slide_text(slides[3])
    assert all(h in body for h in ("What moved", "What is off track", "What needs a decision"))
    vintage = f"Data as of {_when(status['data_as_of'])}"
    for slide in slides:  # the vintage on every slide; sources and the command in the notes
        assert vintage in _slide_text(slide), _title(slide)
        notes = _notes(slide)
        assert "Sources: the returns submitted to stocktake" in notes and vintage in notes
        assert "The same numbers again: stocktake note --month 2024-10 --out note.pptx." \
            in notes
    assert "1 priority;" in _slide_text(slides[0])

    # the table, as status reads the priority
    [table] = [sh.table for sh in slides[1].shapes if sh.has_table]
    header, row = ([c.text for c in r.cells] for r in table.rows)
    assert header == ["Priority", "Latest", "Expected", "Gap", "Status", "P(target)",
                      "Likelihood"]
    dec = head["decimals"]
    assert row[0].startswith("Cut violent crime")
    assert row[1] == f"{_fixed(head['latest']['value'], dec)} ({head['latest']['period']})"
    assert row[2] == _fixed(head["expected"], dec)
    assert row[5] == f"{head['probability_of_meeting'] * 100:.0f}%"

    # the figure: a native bar chart of status's gap, in the status's colour
    [(slide, bar)] = _charts(prs, XL_CHART_TYPE.BAR_CLUSTERED)
    assert _title(slide) == "Gap against the trajectory"
    assert list(bar.plots[0].categories) == ["Cut violent crime"]
    assert list(bar.plots[0].series[0].values) == [pytest.approx(round(head["gap_pct"], 1))]
    assert _bar_fills(bar) == [STATUS_FILL[head["status"]]]


def test_the_report_as_a_deck_says_what_status_says(small_world, tmp_path):
    url, out = _url(small_world), tmp_path / "report.pptx"
    _cli("report", "--out", str(out), "--db", url, "--as-of", "2024-10-31T23:59:59")
    status = _cli("status", "--db", url, "--as-of", END_OF_OCTOBER)
    [head] = status["priorities"]
    prs = Presentation(str(out))
    slides = list(prs.slides)
    titles = [_title(s) for s in slides]
    assert titles[:3] == ["How likely is each priority to be delivered?",
                          "League table: likelihood of delivery",
                          "Probability of meeting the target"]
    assert titles[-1] == "Data-quality league: provinces"
    vintage = f"Data as of {_when(status['data_as_of'])}"
    for slide in slides:
        assert vintage in _slide_text(slide), _title(slide)
        assert ("stocktake report --out report.pptx --as-of 2024-10-31T23:59:59"
                in _notes(slide))

    [league] = [sh.table for sh in slides[1].shapes if sh.has_table]
    row = [c.text for c in league.rows[1].cells]
    assert row[1].startswith("Cut violent crime") and row[2] == "Not assessed"
    assert row[5] == f"{head['probability_of_meeting'] * 100:.0f}%"

    [(_, bar)] = _charts(prs, XL_CHART_TYPE.BAR_CLUSTERED)
    assert list(bar.plots[0].series[0].values) == [
        round(head["probability_of_meeting"] * 100)]
    axis = bar.value_axis
    assert (axis.minimum_scale, axis.maximum_scale) == (0, 100)  # a probability's whole range

    # the quality league: a row per region of the small model, each scored
    [quality] = [sh.table for sh in slides[-1].shapes if sh.has_table]
    assert [c.text for c in quality.rows[0].cells] == ["#", "Unit", "Score", "Completeness",
                                                       "Timeliness", "Validity"]
    assert len(quality.rows) > 1
    # worst first (no alert stands in the small model): the scores from the lowest up
    scores = [float(r.cells[2].text) for r in list(quality.rows)[1:]]
    assert scores == sorted(scores) and "Worst first" in _notes(slides[-1])


def _picture_pixels_per_inch(doc, shape) -> float:
    blip = shape._inline.graphic.graphicData.pic.blipFill.blip
    image = doc.part.related_parts[blip.embed].image
    return image.px_width / shape.width.inches


def test_the_word_documents_hold_their_figures(small_world, tmp_path):
    url = _url(small_world)
    note, report = tmp_path / "note.docx", tmp_path / "report.docx"
    _cli("note", "--month", "2024-10", "--out", str(note), "--db", url)
    _cli("report", "--out", str(report), "--db", url, "--as-of", "2024-10-31T23:59:59")
    for path, caption in ((note, "Figure: Gap against the trajectory."),
                          (report, "Figure: Probability of meeting the target.")):
        doc = Document(str(path))
        [picture] = doc.inline_shapes
        assert _picture_pixels_per_inch(doc, picture) == pytest.approx(DPI, rel=0.02)
        assert picture.width.inches > 6  # across the page
        texts = [p.text for p in doc.paragraphs]
        [where] = [i for i, t in enumerate(texts) if t.startswith(caption)]
        assert "Cut violent crime" not in texts[where]  # the caption says how to read it
        assert "green: on track" in texts[where]


def _assessed(engine) -> None:
    """Two rounds of the example assessment of P1: amber/red in 2024-Q2, amber/green in
    2024-Q3."""
    doc = yaml.safe_load((EXAMPLES / "assessment.yaml").read_text(encoding="utf-8"))
    for round_, rating, on in (("2024-Q2", "amber_red", datetime(2024, 6, 30)),
                               ("2024-Q3", "amber_green", datetime(2024, 9, 30))):
        doc = {**doc, "round": round_, "assessed_on": on.date().isoformat(),
               "likelihood": {**doc["likelihood"], "rating": rating}}
        record_assessment(engine, "P1", doc, by="Delivery Unit", at=on)


LIKELIHOOD_TITLE = "Likelihood of delivery over the rounds"


def test_the_report_in_word_and_powerpoint_has_the_likelihood_chart(small_world, tmp_path):
    url = _url(small_world)
    docx, pptx = tmp_path / "report.docx", tmp_path / "report.pptx"
    _cli("report", "--out", str(docx), "--db", url, "--as-of", "2024-10-31T23:59:59")
    assert len(Document(str(docx)).inline_shapes) == 1  # not assessed: no such chart
    _assessed(small_world)
    for out in (docx, pptx):
        _cli("report", "--out", str(out), "--db", url, "--as-of", "2024-10-31T23:59:59")

    # Word: a second picture across the page under the first, then its caption
    doc = Document(str(docx))
    bars, likelihood = doc.inline_shapes
    assert _picture_pixels_per_inch(doc, likelihood) == pytest.approx(DPI, rel=0.02)
    assert likelihood.width.inches > 6
    texts = [p.text for p in doc.paragraphs]
    [first] = [i for i, t in enumerate(texts) if t.startswith("Figure: Probability")]
    [second] = [i for i, t in enumerate(texts) if t.startswith(f"Figure: {LIKELIHOOD_TITLE}.")]
    assert first < second and "each assessment round" in texts[second]

    # PowerPoint: a slide of its own after the probabilities, the picture, the ratings in words
    slides = list(Presentation(str(pptx)).slides)
    titles = [_title(s) for s in slides]
    assert titles[2:4] == ["Probability of meeting the target", LIKELIHOOD_TITLE]
    slide = slides[3]
    assert [sh.shape_type for sh in slide.shapes].count(MSO_SHAPE_TYPE.PICTURE) == 1
    assert "each assessment round" in _slide_text(slide)
    assert ("Cut violent crime: 2024-Q2 Amber/red, 2024-Q3 Amber/green" in _notes(slide))


@pytest.mark.slow
def test_the_theme_named_in_the_model_folder_colours_every_office_document(
        engine, small_model_dir, tmp_path):
    (small_model_dir / "theme.yaml").write_text('font: Georgia\nprimary: "#5F2167"\n',
                                                encoding="utf-8")
    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2024, 1, 2))
    shutil.rmtree(small_model_dir)  # the database holds the theme: the folder is not read
    url = _url(engine)
    for args in (["pack", "P1"], ["note", "--month", "2024-10"], ["report"]):
        out = tmp_path / f"{args[0]}.pptx"
        _cli(*args, "--out", str(out), "--db", url)
        run = next(iter(Presentation(str(out)).slides)).shapes.title.text_frame.paragraphs[
            0].runs[0]
        assert (str(run.font.color.rgb), run.font.name) == ("5F2167", "Georgia"), args[0]
        _cli(*args, "--out", str(tmp_path / f"{args[0]}.pdf" if args[0] == "pack"
                                  else tmp_path / f"{args[0]}.docx"), "--db", url)
    for name in ("note", "report"):
        heading = Document(str(tmp_path / f"{name}.docx")).styles["Heading 1"]
        assert (str(heading.font.color.rgb), heading.font.name) == ("5F2167", "Georgia")

    # --theme names the whole theme: its fields over the defaults, not over the model's
    other = tmp_path / "other.yaml"
    other.write_text('primary: "#123456"\n', encoding="utf-8")
    _cli("note", "--month", "2024-10", "--out", str(tmp_path / "o.pptx"), "--db", url,
         "--theme", str(other))
    run = next(iter(Presentation(str(tmp_path / "o.pptx")).slides)).shapes.title.text_frame \
        .paragraphs[0].runs[0]
    assert (str(run.font.color.rgb), run.font.name) == ("123456", "Calibri")


def test_a_model_folder_without_a_theme_goes_back_to_the_defaults(engine, small_model_dir):
    (small_model_dir / "theme.yaml").write_text('ok: "#117733"\n', encoding="utf-8")
    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2024, 1, 2))
    assert model_theme(engine).ok == "#117733" and model_theme(engine).bad == "#de1b1b"
    (small_model_dir / "theme.yaml").unlink()
    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2024, 1, 3))
    assert model_theme(engine) == DEFAULT_THEME


def test_a_bad_theme_in_the_model_folder_is_refused_and_nothing_is_loaded(
        engine, small_model_dir):
    (small_model_dir / "theme.yaml").write_text('primary: navy\nlogo: crest.png\n',
                                                encoding="utf-8")
    with pytest.raises(ModelError) as caught:
        load_model(engine, small_model_dir, loaded_by="t", now=datetime(2024, 1, 2))
    assert [(p.where, p.message) for p in caught.value.problems] == [
        ("theme.yaml: field 'primary'", "'primary' is 'navy': write a colour as #RRGGBB"),
        ("theme.yaml", "'logo' is not a theme field (fields: actual, bad, font, forecast, "
                       "ok, primary, warn)")]
    assert model_changes(engine) == [] and get_meta(engine, "model_theme") is None


SVG = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 200" width="400" '
       'height="200"><rect x="10" y="10" width="380" height="180" fill="#0b3d62"/></svg>')


def test_a_picture_is_drawn_once_at_the_size_it_is_placed():
    cache = PictureCache()
    png = cache.png(SVG, width=4.0)
    assert cache.png(SVG, width=4.0) is png  # the same drawing at the same size: once
    assert Image.open(io.BytesIO(png)).size == (4 * DPI, 2 * DPI)
    small = cache.png(SVG, width=2.0)
    assert Image.open(io.BytesIO(small)).size == (2 * DPI, DPI)


def test_a_long_section_shows_what_a_slide_holds_and_keeps_all_in_the_notes(small_world):
    from stocktake.reports.briefing_deck import note_deck
    from stocktake.services.publishing.briefings import monthly_note_context

    context = monthly_note_context(small_world, "2024-10")
    why = "A return is late. " * 30  # 540 characters: longer than a slide shows of one
    decisions = [{"code": "P1", "title": f"Priority {i}", "why": why.strip(),
                  "ask": "Press the owner for a date?"} for i in range(1, 9)]
    deck = note_deck({**context, "decisions": decisions})
    [slide] = [s for s in deck.slides if _title(s) == "What needs a decision"]
    [body] = [sh for sh in slide.shapes if sh.has_text_frame
              and sh.text_frame.text.startswith("Priority 1.")]
    shown = [p.text for p in body.text_frame.paragraphs]
    assert shown[-1] == f"and {6 - (len(shown) - 1)} more in the notes"  # the first six
    assert 1 <= len(shown) - 1 < 6  # fewer than six: the sentences are long
    assert all(line.endswith("(In full in the notes.)") for line in shown[:-1])
    assert sum(map(len, shown)) < 1100  # what a slide holds legibly at 18 points
    notes = _notes(slide)
    for i in range(1, 7):  # the note's first six decisions, each in full
        assert f"Priority {i}. {why.strip()} Press the owner for a date?" in notes


def test_the_reports_quality_league_keeps_to_what_a_slide_holds(small_world, tmp_path,
                                                                monkeypatch):
    """Thirteen provinces, the ones an alert holds back carrying their reasons, ran off the
    French demo report's last slide. The slide holds LEAGUE_SHOWN rows and says how many
    more the notes give; the notes list every unit: here one of the small model's two
    provinces on the slide."""
    from stocktake.reports import briefing_deck

    monkeypatch.setattr(briefing_deck, "LEAGUE_SHOWN", 1)
    url, out = _url(small_world), tmp_path / "report.pptx"
    _cli("report", "--out", str(out), "--db", url, "--as-of", "2024-10-31T23:59:59")
    last = list(Presentation(str(out)).slides)[-1]
    [table] = [sh.table for sh in last.shapes if sh.has_table]
    rows = [[c.text for c in r.cells] for r in list(table.rows)[1:]]
    assert len(rows) == 2 and rows[1][1] == "and 1 more (in the notes)"
    assert rows[0][1] in ("Province A", "Province B")
    assert "1. " + rows[0][1] in _notes(last) and "2. Province " in _notes(last)
