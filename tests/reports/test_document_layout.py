"""The demo's pack and delivery report as PDF, looked at page by page: no nearly blank page,
the funnel plot in the pack, the likelihood chart in the report, and an annex in sentences.

A page's fill is measured two ways, because a page of charts carries little text: how far
down the page the ink reaches (rendered with pdftoppm, header and footer left out), and its
share of the text (pdftotext). Before the sections ran on, the demo pack had pages inked to
1%, 27% and 38% of their height, the report one to 38%."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from stocktake.reports.render import html_to_pdf, render_report
from stocktake.services.publishing.briefings import delivery_report_context
from stocktake.services.publishing.packs import write_pack
from stocktake.services.routines.assessments import assessment_rounds
from tests.demo import conftest as demo

demo_engine = demo.demo_engine  # the demo world, built once a session (tests/demo)

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None,
                                reason="needs poppler-utils (pdftoppm, pdftotext)")
A4_MM, HEADER_MM, FOOTER_MM = 297, 20, 18  # print.css's @page margins
MIN_REACH, MIN_TEXT_SHARE = 0.5, 0.15


def ink_reach(pdf: Path, tmp: Path) -> list[float]:
    """For each page, how far down its body (0 top, 1 bottom) the lowest ink lies."""
    subprocess.run(["pdftoppm", "-gray", "-r", "30", str(pdf), str(tmp / "page")], check=True)
    out = []
    for page in sorted(tmp.glob("page-*.pgm")):
        image = Image.open(page)
        w, h = image.size
        top, bottom = h * HEADER_MM // A4_MM, h * (A4_MM - FOOTER_MM) // A4_MM
        px = image.load()
        inked = [y for y in range(top, bottom) if any(px[x, y] < 200 for x in range(w))]
        out.append((max(inked) - top) / (bottom - top) if inked else 0.0)
    return out


def page_texts(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def assert_no_nearly_blank_page(pdf: Path, tmp: Path) -> list[str]:
    reach, texts = ink_reach(pdf, tmp), page_texts(pdf)
    assert len(reach) == len(texts) >= 2
    mean = sum(len("".join(t.split())) for t in texts) / len(texts)
    for number, (r, text) in enumerate(zip(reach[:-1], texts[:-1], strict=True), 1):
        share = len("".join(text.split())) / mean
        assert r >= MIN_REACH, f"{pdf.name} page {number} is inked to {r:.0%} of its height"
        assert share >= MIN_TEXT_SHARE, f"{pdf.name} page {number} has {share:.0%} of the text"
    return texts


def test_the_pack_has_no_nearly_blank_page_its_funnel_and_an_annex_in_words(demo_engine,
                                                                            tmp_path):
    pdf = tmp_path / "pack.pdf"
    write_pack(demo_engine, "SURG", str(pdf))
    text = " ".join(" ".join(assert_no_nearly_blank_page(pdf, tmp_path)).split())
    assert "The units compared on" in text and "Overall 75.9" in text  # the funnel, drawn
    assert "Priority surgeries completed (surgeries), log scale" in text  # its x axis named
    assert "parameters {" not in text and "'name':" not in text
    assert "Built bottom-up from the delivery plan's interventions." in text


def test_the_report_has_no_nearly_blank_page_and_charts_the_likelihood(demo_engine, tmp_path):
    context = delivery_report_context(demo_engine)
    html = render_report(context)
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(html_to_pdf(html))
    assert_no_nearly_blank_page(pdf, tmp_path)
    # Each priority's row holds its rounds as the assessments service reads them.
    titles = {r["code"]: r["title"] for r in context["league"]}
    assert titles
    for code, title in titles.items():
        rounds = assessment_rounds(demo_engine, code)
        assert rounds, code
        for r, _ in rounds[-12:]:
            assert f'data-rating="{r.likelihood}"' in html
            word = {"green": "Green", "amber_green": "Amber/green", "amber_red": "Amber/red",
                    "red": "Red"}[r.likelihood]
            assert f"{title}, {r.round}: {word}" in html, (title, r.round)
