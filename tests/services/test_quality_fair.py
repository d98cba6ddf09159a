"""Fair data-quality scores: history loaded after the fact is not judged late, a unit is
expected only for the periods it was due to report, and no unit ranks first on the league
while an open alert questions its figures. Small worlds worked out by hand; the ranking on
the alerts service's own planted world."""

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from stocktake.intake.service import submit_rows
from stocktake.services.data.model_service import load_model
from stocktake.services.reading.alerts import alerts, review_alert
from stocktake.services.reading.quality import data_quality
from stocktake.services.reading.snapshot import Snapshot
from stocktake.store import schema as s

from .test_alerts import PLANTED, REGIONS, planted_world

DATASETS = """\
- code: monthly
  name: Monthly police return
  period_type: month
  indicators: [incidents, population]
  levels: [region]
  timely_days: 10
  start: 2025-01
"""
POPULATION = {"A1": 350000, "A2": 250000, "B1": 400000}


def rows(unit, *periods):
    return [(ind, unit, p, value) for p in periods
            for ind, value in (("incidents", 30), ("population", POPULATION[unit]))]


def by_unit(report):
    return {r.unit: r for r in report.units}


def batches(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(s.batches)).scalar()


@pytest.fixture
def backfilled(engine, small_model_dir):
    """January to March loaded on 2 May as history (all three regions); then A1 sends
    April and May on time, A2 sends both late, B1 sends nothing more. Deadlines: the
    10th of the next month."""
    (small_model_dir / "datasets.yaml").write_text(DATASETS)
    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2025, 1, 2))

    def at(day, data, **options):
        result = submit_rows(engine, data, submitter="t", now=day, **options)
        assert result.accepted, result.errors
        return result

    history = at(datetime(2025, 5, 2), rows("A1", "2025-01", "2025-02", "2025-03")
                 + rows("A2", "2025-01", "2025-02", "2025-03")
                 + rows("B1", "2025-01", "2025-02", "2025-03"),
                 backfill=True, published=date(2025, 4, 30))
    assert (history.backfill, history.published) == (True, date(2025, 4, 30))
    at(datetime(2025, 5, 5), rows("A1", "2025-04"))
    at(datetime(2025, 5, 20), rows("A2", "2025-04"))  # due 10 May: late
    at(datetime(2025, 6, 5), rows("A1", "2025-05"))
    at(datetime(2025, 6, 12), rows("A2", "2025-05"))  # due 10 June: late
    return engine


def test_the_backfill_is_recorded_on_its_batch(backfilled):
    with backfilled.connect() as conn:
        found = conn.execute(select(s.batches.c.backfill, s.batches.c.published)
                             .order_by(s.batches.c.id)).all()
    assert found == [(True, date(2025, 4, 30))] + [(False, None)] * 4


def test_history_loaded_after_the_fact_is_not_assessed_on_timeliness(backfilled):
    # On 3 May January to March are due, and every value came in the backfill: timeliness
    # is not assessed, and the score is over the other measures (weights 0.75 in all).
    units = by_unit(data_quality(Snapshot(backfilled, datetime(2025, 5, 3))))
    for code in ("A1", "A2", "B1", "A", "N"):
        u = units[code]
        assert u.timeliness is None and u.not_assessed == u.expected == u.received, code
        assert u.score == pytest.approx(100.0)
    assert (units["A1"].expected, units["N"].expected) == (6, 18)


def test_a_unit_that_really_submitted_late_is_still_late(backfilled):
    # On 15 June January to May are due: 10 values per region, 6 of them backfilled, so
    # timeliness is judged on April and May (4 values).
    units = by_unit(data_quality(Snapshot(backfilled, datetime(2025, 6, 15))))
    a1, a2, b1 = units["A1"], units["A2"], units["B1"]
    assert (a1.expected, a1.received, a1.not_assessed, a1.on_time) == (10, 10, 6, 4)
    assert a1.timeliness == 1.0
    assert (a2.expected, a2.received, a2.not_assessed, a2.on_time) == (10, 10, 6, 0)
    assert a2.timeliness == 0.0  # both returns after their deadline
    assert (b1.expected, b1.received, b1.not_assessed, b1.on_time) == (10, 6, 6, 0)
    assert b1.timeliness == 0.0  # April and May never came
    # A1: 100 x (0.30 + 0.25 + 0.10 + 0.15) / 0.80 (no rules: validity left out) = 100
    # A2: 100 x (0.30 + 0.10 + 0.15) / 0.80 = 68.75
    # B1: 100 x (0.30 x 6/10 + 0.10 + 0.15) / 0.80 = 53.75
    assert (a1.score, a2.score, b1.score) == pytest.approx((100.0, 68.75, 53.75))
    # Province A: 20 expected, 12 backfilled, 4 of the other 8 on time.
    assert units["A"].timeliness == pytest.approx(0.5)


def test_the_same_history_not_marked_as_a_backfill_counts_late(engine, small_model_dir):
    (small_model_dir / "datasets.yaml").write_text(DATASETS)
    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2025, 1, 2))
    assert submit_rows(engine, rows("A1", "2025-01", "2025-02", "2025-03"), submitter="t",
                       now=datetime(2025, 5, 2)).accepted
    a1 = by_unit(data_quality(Snapshot(engine, datetime(2025, 5, 3))))["A1"]
    assert (a1.timeliness, a1.not_assessed) == (0.0, 0)


@pytest.mark.parametrize("options, message", [
    ({"published": date(2025, 4, 30)}, "submit it as a backfill"),
    ({"backfill": True, "published": date(2025, 5, 3)}, "is after today (2025-05-02)"),
])
def test_a_bad_publication_date_is_refused_and_nothing_stored(engine, small_model_dir,
                                                              options, message):
    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2025, 1, 2))
    result = submit_rows(engine, rows("A1", "2025-01"), submitter="t",
                         now=datetime(2025, 5, 2), **options)
    assert not result.accepted and result.batch is None
    [finding] = result.errors
    assert finding.check == "published" and message in finding.message
    assert batches(engine) == 0


def test_each_unit_is_expected_from_its_first_report_to_where_the_series_stopped(
        engine, small_model_dir):
    """No data sets declared: A1 reports incidents from January, A2 joined in March and
    B1 missed April; population was reported for January to March only, by everyone, and
    then the collection stopped. As of 15 August January to June are past their deadline
    (30 days after the month)."""
    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2025, 1, 2))
    six = [f"2025-0{m}" for m in range(1, 7)]
    data = [("incidents", "A1", p, 30) for p in six]
    data += [("incidents", "A2", p, 20) for p in six[2:]]
    data += [("incidents", "B1", p, 40) for p in six if p != "2025-04"]
    data += [("population", u, p, POPULATION[u]) for u in ("A1", "B1") for p in six[:3]]
    data += [("population", "A2", "2025-03", POPULATION["A2"])]
    assert submit_rows(engine, data, submitter="t", now=datetime(2025, 8, 1)).accepted
    units = by_unit(data_quality(Snapshot(engine, datetime(2025, 8, 15))))
    # A1: 6 incidents + 3 population; A2: 4 (March to June) + 1 (March);
    # B1: 6 + 3 expected, 5 + 3 received.
    assert (units["A1"].expected, units["A1"].received) == (9, 9)
    assert (units["A2"].expected, units["A2"].received) == (5, 5)
    assert (units["B1"].expected, units["B1"].received) == (9, 8)
    assert units["N"].completeness == pytest.approx(22 / 23)


# -- the league and the alerts -------------------------------------------------------------


@pytest.fixture
def planted(engine, tmp_path):
    """The alerts service's world (PLANTED down-codes from 2024-01), every other region
    then revising one value, so that the planted region has the best score."""
    planted_world(engine, tmp_path / "model")
    others = [("reports", r, "2021-01", 1) for r in REGIONS if r != PLANTED]
    # A revision of a year-old value stays within the noise the alerts read.
    assert submit_rows(engine, others, submitter="t", now=datetime(2026, 1, 11)).accepted
    return engine


def test_a_unit_with_an_open_alert_on_a_priority_cannot_rank_first(planted):
    snap = Snapshot(planted, datetime(2026, 1, 12))
    # The alerts bearing on the priority: the other regions' revised 2021-01 values also
    # raise one at R3 from 2021-03, settled before the baseline (2021-06), which bears on
    # none (services.reading.alerts.bears_on) and holds nobody back.
    found = [a for a in alerts(snap, priority="CRIME").open if a.unit == PLANTED]
    assert found and all(a.priorities == ("CRIME",) for a in found)
    before = [a for a in alerts(snap).open if a.unit == PLANTED and not a.priorities]
    league = data_quality(snap).units
    scores = sorted(league, key=lambda r: -r.score)
    assert scores[0].unit == PLANTED  # its score is the best...
    # ...but it comes after every unit without an alert, and those keep their score order
    others = [r.unit for r in scores if r.unit != PLANTED]
    assert [r.unit for r in league] == [*others, PLANTED]
    held = league[-1]
    assert held.held_back is not None and "CRIME" in held.held_back
    assert all(a.id in held.held_back for a in found)
    assert not any(a.id in held.held_back for a in before)
    assert all(r.held_back is None for r in league if r.unit != PLANTED)
    assert [r.rank for r in league] == list(range(1, len(league) + 1))


def test_the_scores_alone_read_no_alert_and_hold_no_unit_back(planted):
    """A reader of the scores only (a pack, a chain) does not pay for every priority's
    alert detection: nothing is detected, and the units come by score."""
    from stocktake.services.reading import alerts as detection
    snap = Snapshot(planted, datetime(2026, 1, 12))
    detection._cache.clear()
    scores = data_quality(snap, league=False).units
    assert not detection._cache  # no priority's alerts were detected
    assert [r.unit for r in scores] == [r.unit for r in sorted(scores, key=lambda r: -r.score)]
    assert scores[0].unit == PLANTED and all(r.held_back is None for r in scores)
    league = data_quality(snap).units
    assert detection._cache  # the league did read them
    assert {r.unit: r.score for r in league} == {r.unit: r.score for r in scores}


def test_once_the_alert_is_explained_the_unit_ranks_first_again(planted):
    snap = Snapshot(planted, datetime(2026, 1, 12))
    for alert in [a for a in alerts(snap).open if a.unit == PLANTED]:
        review_alert(planted, alert.id, status="explained", note="a new national standard",
                     by="ana", now=datetime(2026, 1, 13))
    league = data_quality(Snapshot(planted, datetime(2026, 1, 14))).units
    assert league[0].unit == PLANTED and league[0].held_back is None
    # Read as of before the review, it is held back as it was then.
    assert data_quality(Snapshot(planted, datetime(2026, 1, 12))).units[0].unit != PLANTED


# -- a data set that ended ----------------------------------------------------------------


def test_a_data_set_that_ended_expects_nothing_after_its_end(engine, small_model_dir):
    """The monthly return ended with March: as of 15 June only January to March are
    expected, though April and May are past their deadlines; A1 sent all three."""
    (small_model_dir / "datasets.yaml").write_text(DATASETS + "  end: 2025-03\n")
    load_model(engine, small_model_dir, loaded_by="t", now=datetime(2025, 1, 2))
    assert submit_rows(engine, rows("A1", "2025-01", "2025-02", "2025-03"), submitter="t",
                       now=datetime(2025, 4, 5)).accepted
    units = by_unit(data_quality(Snapshot(engine, datetime(2025, 6, 15))))
    assert (units["A1"].expected, units["A1"].received) == (6, 6)
    assert (units["B1"].expected, units["B1"].received) == (6, 0)


def test_an_end_before_the_start_is_refused_where_it_is_written(small_model_dir):
    from stocktake.model.files import ModelError, load_model_dir

    (small_model_dir / "datasets.yaml").write_text(DATASETS + "  end: 2024-12\n")
    with pytest.raises(ModelError) as info:
        load_model_dir(small_model_dir)
    [problem] = info.value.problems
    assert (problem.file, problem.line, problem.field) == ("datasets.yaml", 8, "end")
    assert "before the start, '2025-01'" in problem.message


def test_a_data_set_without_an_end_is_stored_as_before(small_model_dir):
    # Its definition has no "end" key, so a model loaded before data sets could end
    # reads as unchanged when loaded again.
    from stocktake.model.files import load_model_dir

    (small_model_dir / "datasets.yaml").write_text(DATASETS)
    assert "end" not in load_model_dir(small_model_dir).datasets["monthly"].to_dict()
