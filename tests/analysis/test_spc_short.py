"""SPC on too few points (docs/methods/spc.md, "Too few points to judge"): below seven
observed points in the latest part no verdict is given, neither "common cause" nor "special
cause"; the rules still flag the points. Every expected number is worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from stocktake.analysis.spc import (
    ICON_COLOURS,
    ICON_LABELS,
    MIN_POINTS_TO_JUDGE,
    describe_reading,
    read_chart,
    xmr,
    xmr_many,
)
from stocktake.reports.said import said_in


def months(n: int, start: int = 2024) -> list[str]:
    return [f"{start + i // 12}-{i % 12 + 1:02d}" for i in range(n)]


def test_the_minimum_is_the_length_of_a_shift_or_a_trend():
    assert MIN_POINTS_TO_JUDGE == 7
    assert ICON_LABELS["too_few_points"] == "Too few points to judge"
    assert ICON_COLOURS["too_few_points"] == ICON_COLOURS["common_cause"]  # grey: no signal


@pytest.mark.parametrize("n", [3, 4, 5, 6])
def test_a_quiet_short_series_is_too_few_to_judge_not_common_cause(n):
    # 9, 11, 9, ...: every point inside its limits (mean about 10, AmR 2, limits about 4.7
    # to 15.3), so the rules find nothing; the old verdict read "no significant change".
    values = [9, 11] * 3
    r = xmr(values[:n], months(n), polarity="up")
    assert all(p.rule == "none" for p in r.points)
    assert r.variation_icon == "too_few_points"
    assert r.variation_label == "Too few points to judge"


def test_seven_points_get_a_verdict():
    r = xmr([9, 11, 9, 11, 9, 11, 9], months(7), polarity="up")
    assert r.variation_icon == "common_cause"
    # a rising run of 7 inside the limits, unscreened: mean 75/7 = 10.71, ranges 10 and five
    # of 1, AmR 15/6 = 2.5, upper 10.71 + 6.65 = 17.36 > 15: the trend rule fires on 15
    r = xmr([0, 10, 11, 12, 13, 14, 15], months(7), polarity="up", screen_outliers=False)
    assert r.points[-1].rule == "trend"
    assert r.variation_icon == "improvement_high"


def test_a_point_outside_limits_from_six_points_is_flagged_but_not_a_verdict():
    # 0, 0, 0, 0, 0, 10 without screening: mean 10/6 = 1.667; moving ranges 0, 0, 0, 0, 10,
    # AmR 2; upper = 1.667 + 2.66 x 2 = 6.987 < 10: the last point is outside.
    r = xmr([0, 0, 0, 0, 0, 10], months(6), polarity="down", screen_outliers=False)
    assert r.parts[0].upper == pytest.approx(10 / 6 + 5.32)
    assert (r.points[-1].rule, r.points[-1].point_type) == ("outside", "concern")
    assert r.variation_icon == "too_few_points"
    # one more quiet point and the same limits' reading is a verdict: 0 x 5, 10, 0:
    # mean 10/7, ranges 0, 0, 0, 0, 10, 10, AmR 20/6; upper = 1.43 + 8.87 = 10.30 > 10,
    # so nothing is outside and the latest point is common cause.
    r = xmr([0, 0, 0, 0, 0, 10, 0], months(7), polarity="down", screen_outliers=False)
    assert r.variation_icon == "common_cause"


def test_missing_values_do_not_count_and_a_rebase_starts_the_count_again():
    values = [9, 11, 9, math.nan, 11, 9, 11]  # 6 observed
    assert xmr(values, months(7)).variation_icon == "too_few_points"
    # 12 points, then a new part of 6: the latest part is too short to judge
    values = [9, 11] * 6 + [19, 21, 19, 21, 19, 21]
    r = xmr(values, months(18), rebase_at=[12])
    assert r.variation_icon == "too_few_points"
    assert xmr(values + [19], months(19), rebase_at=[12]).variation_icon == "common_cause"


def test_many_series_read_as_one_series_each():
    rows = np.array([
        [9, 11, 9, 11, 9, 11, 9],  # 7 points: common cause
        [9, 11, 9, 11, 9, 11, np.nan],  # 6 observed
        [0, 0, 0, 0, 0, 10, np.nan],  # 6 observed, the last one outside
    ], dtype=float)
    batch = xmr_many(rows, polarity="up", screen_outliers=False)
    assert batch.variation_icon.tolist() == ["common_cause", "too_few_points", "too_few_points"]
    for i, row in enumerate(rows):
        kept = row[~np.isnan(row)]
        assert xmr(kept, screen_outliers=False, polarity="up").variation_icon == \
            batch.variation_icon[i]


def test_the_note_says_how_many_points_of_how_many_in_english_and_french():
    r = read_chart([9, 11, 9, 11], months(4), polarity="up")
    note = describe_reading(r.to_dict())
    assert note.startswith("Too few points to judge: 4 of the 7 needed.")
    assert "Trop peu de points pour juger : 4 sur les 7 nécessaires." in said_in(note, "fr")
    # a chart with enough points says nothing of the kind
    assert "Too few" not in describe_reading(read_chart([9, 11] * 4, months(8)).to_dict())


# -- where a reader meets it: the status, `stocktake spc`, the priority page ---------------
@pytest.fixture
def sqlite_engine(tmp_path, migrated_sqlite):
    """A migrated SQLite database: the reading is the analysis', the same on any store."""
    import shutil

    from stocktake.store.db import open_engine

    shutil.copyfile(migrated_sqlite, tmp_path / "spc.db")
    engine = open_engine(f"sqlite:///{tmp_path / 'spc.db'}")
    yield engine
    engine.dispose()


def test_four_months_read_too_few_everywhere_in_english_and_french(sqlite_engine,
                                                                    small_model_dir):
    """The small model with January to April 2024 from every region: the headline has 4
    points, so the status, the CLI and the priority page (both languages) say too few."""
    from datetime import datetime

    from typer.testing import CliRunner

    from stocktake.cli import app
    from stocktake.intake.service import submit_rows
    from stocktake.results.status import SpcHeadline
    from stocktake.services.data.model_service import load_model
    from stocktake.services.reading.snapshot import Snapshot
    from stocktake.services.reading.status import priority_status

    from ..web.test_overview_french import client_in, text_of

    engine = sqlite_engine
    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2024, 1, 2))
    for month, incidents in [("2024-01", 30), ("2024-02", 32), ("2024-03", 29),
                             ("2024-04", 31)]:
        rows = [(i, u, month, v) for u, pop in (("A1", 350000), ("A2", 250000),
                                                ("B1", 400000))
                for i, v in (("incidents", incidents), ("population", pop))]
        assert submit_rows(engine, rows, submitter="t", now=datetime(2024, 5, 20)).accepted
    [p1] = priority_status(Snapshot(engine), forecasts="none").priorities
    assert isinstance(p1.spc, SpcHeadline)
    assert (p1.spc.variation_icon, p1.spc.variation_label) == (
        "too_few_points", "Too few points to judge")
    url = engine.url.render_as_string(hide_password=False)
    out = CliRunner().invoke(app, ["spc", "incident_rate", "--unit", "N", "--db", url])
    assert out.exit_code == 0, out.output
    assert "Variation: Too few points to judge (4 of the 7 points needed)" in out.output
    en = text_of(client_in(engine, "en").get("/priorities/P1").text)
    fr = text_of(client_in(engine, "fr").get("/priorities/P1").text)
    assert "Variation: Too few points to judge." in en
    assert "Too few points to judge: 4 of the 7 needed." in en
    assert "no significant change." not in en
    assert "Trop peu de points pour juger : 4 sur les 7 nécessaires." in fr
