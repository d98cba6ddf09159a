"""The submission service end to end on real databases: layers, partial, locks, crashes."""

import os
import signal
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from stocktake.errors import Invalid, StocktakeError
from stocktake.intake.service import submit_file, submit_rows
from stocktake.services.data.approval import ApprovalError, approve, reopen
from stocktake.services.data.model_service import load_model
from stocktake.store import schema
from stocktake.store.observations import latest

T0 = datetime(2025, 6, 1, 9, 0)
RULES = """\
- code: parts
  name: Violent incidents cannot exceed population
  left: incidents
  operator: "<="
  right: population
  importance: high
  instruction: Check that population is a head count, not thousands.
"""


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


@pytest.fixture
def loaded(engine, small_model_dir):
    (small_model_dir / "rules.yaml").write_text(RULES)
    load_model(engine, small_model_dir, loaded_by="t", now=T0 - timedelta(days=1))
    return engine


def month_rows(period, incidents=(30, 25, 45), population=(350000, 250000, 400000)):
    return [(i, u, period, v) for u, n, p in zip(("A1", "A2", "B1"), incidents, population,
                                                 strict=True)
            for i, v in (("incidents", n), ("population", p))]


def test_a_high_importance_rule_rejects_the_batch_and_names_the_row(loaded):
    rows = month_rows("2025-01", population=(350000, 20, 400000))  # A2: 25 incidents > 20
    result = submit_rows(loaded, rows, submitter="t", now=T0)
    assert not result.accepted
    [finding] = [f for f in result.findings if f.check == "rule:parts"]
    assert (finding.row, finding.severity) == (4, "error")  # incidents,A2 is the 3rd row
    assert "Check that population is a head count" in finding.message
    assert count(loaded, schema.observations) == 0


def test_rules_use_stored_values_with_the_submitted_ones(loaded):
    submit_rows(loaded, [("population", "A1", "2025-01", 10)], submitter="t", now=T0)
    result = submit_rows(loaded, [("incidents", "A1", "2025-01", 11)], submitter="t",
                         now=T0 + timedelta(hours=1))
    assert not result.accepted and result.findings[0].check == "rule:parts"


def test_partial_stores_the_good_rows_and_quarantines_the_rest(loaded):
    rows = month_rows("2025-01") + [("incidents", "ZZ", "2025-01", 3),
                                    ("incidents", "B1", "2025-02", -4)]
    result = submit_rows(loaded, rows, submitter="t", now=T0, partial=True)
    assert result.accepted and result.quarantined == 2 and result.added == 6
    with loaded.connect() as conn:
        stored = latest(conn)
        quarantined = conn.execute(select(schema.quarantine.c.row, schema.quarantine.c.unit,
                                          schema.quarantine.c.value)).all()
        kept = conn.execute(select(schema.findings.c.row, schema.findings.c.check)).all()
        batch = conn.execute(select(schema.batches.c.status)).scalar()
    assert stored.height == 6 and batch == "partial"
    assert sorted(quarantined) == [(8, "ZZ", "3"), (9, "B1", "-4")]
    assert sorted(kept) == [(8, "unknown_unit"), (9, "below_min")]


def test_scope_refuses_units_outside_the_submitter(loaded):
    result = submit_rows(loaded, month_rows("2025-01"), submitter="t", now=T0, scope="A")
    assert not result.accepted
    assert [(f.row, f.check) for f in result.errors] == [(6, "outside_scope"),
                                                          (7, "outside_scope")]
    ok = submit_rows(loaded, month_rows("2025-01")[:4], submitter="t", now=T0, scope="A")
    assert ok.accepted


def test_future_periods_and_domain(loaded):
    rows = [("incidents", "A1", "2025-07", 3), ("incidents", "A2", "2025-06", 2.5),
            ("incidents", "B1", "2025-05", -1)]
    result = submit_rows(loaded, rows, submitter="t", now=T0)
    found = {(f.row, f.check, f.severity) for f in result.findings}
    assert found == {(2, "future_period", "error"), (3, "not_integer", "error"),
                     (3, "period_not_over", "warning"), (4, "below_min", "error")}


def test_a_reported_total_far_from_its_parts_is_a_warning(loaded):
    rows = month_rows("2025-01") + [("incidents", "A", "2025-01", 70)]  # parts: 30 + 25 = 55
    result = submit_rows(loaded, rows, submitter="t", now=T0)
    assert result.accepted
    [w] = [f for f in result.findings if f.check == "hierarchy_total"]
    assert w.row == 8 and "add up to 55" in w.message and "+27.3%" in w.message
    close = month_rows("2025-02") + [("incidents", "A", "2025-02", 55.5)]  # within 1%
    assert not [f for f in submit_rows(loaded, close, submitter="t", now=T0).findings
                if f.check == "hierarchy_total"]


@pytest.mark.slow
def test_an_outlier_is_a_warning_kept_for_follow_up(loaded):
    history = [(f"2024-{m:02d}", n) for m, n in zip(range(1, 13),
                                                    (30, 32, 29, 31, 30, 33, 28, 30, 31, 29,
                                                     32, 30), strict=True)]
    for i, (period, n) in enumerate(history):
        assert submit_rows(loaded, [("incidents", "A1", period, n)], submitter="t",
                           now=T0 + timedelta(minutes=i)).accepted
    result = submit_rows(loaded, [("incidents", "A1", "2025-01", 300)], submitter="t",
                         now=T0 + timedelta(hours=1))
    assert result.accepted
    [w] = result.warnings
    # history median 30, MAD 1 -> modified z = 0.6745 x 270 / 1 = 182 > 3.5
    assert w.check == "outlier_modified_z" and "300 for 2025-01 is far above" in w.message
    with loaded.connect() as conn:
        kept = conn.execute(select(schema.findings.c.indicator, schema.findings.c.unit,
                                   schema.findings.c.period, schema.findings.c.check)).all()
    assert kept == [("incidents", "A1", "2025-01", "outlier_modified_z")]


def test_approval_locks_the_unit_and_those_below_until_reopened(loaded):
    submit_rows(loaded, month_rows("2025-01"), submitter="t", now=T0)
    approve(loaded, "A", "2025-01", by="chief", now=T0 + timedelta(hours=1))
    with pytest.raises(ApprovalError, match="already approved"):
        approve(loaded, "A", "2025-01", by="chief")
    fix = [("incidents", "A2", "2025-01", 26)]
    refused = submit_rows(loaded, fix, submitter="t", now=T0 + timedelta(hours=2))
    assert not refused.accepted
    assert refused.errors[0].check == "locked" and "stocktake reopen A 2025-01" in \
        refused.errors[0].message
    other = submit_rows(loaded, [("incidents", "B1", "2025-01", 46)], submitter="t",
                        now=T0 + timedelta(hours=2))
    assert other.accepted  # B is not locked
    with pytest.raises(Invalid, match="needs a reason"):
        reopen(loaded, "A", "2025-01", by="chief", reason=" ")
    reopen(loaded, "A", "2025-01", by="chief", reason="late correction from A2",
           now=T0 + timedelta(hours=3))
    assert submit_rows(loaded, fix, submitter="t", now=T0 + timedelta(hours=4)).revised == 1
    with loaded.connect() as conn:
        events = conn.execute(select(schema.approvals.c.action, schema.approvals.c.reason)
                              .order_by(schema.approvals.c.id)).all()
    assert events == [("approve", ""), ("reopen", "late correction from A2")]


def test_the_clock_cannot_go_back(loaded):
    submit_rows(loaded, month_rows("2025-01"), submitter="t", now=T0)
    with pytest.raises(StocktakeError, match="is newer"):
        submit_rows(loaded, month_rows("2025-02"), submitter="t", now=T0 - timedelta(days=1))


@pytest.mark.slow
def test_concurrent_submissions_are_recorded_one_at_a_time(loaded):
    """Batch ids and times must rise together (the newest vintage is the highest batch's).
    A second submission waits while a first holds its batch uncommitted, then records
    after it. Without PostgreSQL's lock it would record at once, under a lower id than a
    batch that may commit with an earlier time; without SQLite's BEGIN IMMEDIATE it would
    fail, its snapshot older than the first batch."""
    import threading

    done = threading.Event()
    second = {}

    def submit_second() -> None:
        second["result"] = submit_rows(loaded, month_rows("2025-02"), submitter="b",
                                       now=T0 + timedelta(minutes=5))
        done.set()

    with loaded.connect() as conn, conn.begin():
        first = submit_rows(conn, month_rows("2025-01"), submitter="a", now=T0)
        assert first.accepted
        thread = threading.Thread(target=submit_second)
        thread.start()
        assert not done.wait(1.0), "the second batch did not wait for the first"
    thread.join(30)
    assert done.is_set() and second["result"].accepted
    assert second["result"].batch > first.batch
    with loaded.connect() as conn:
        rows = conn.execute(select(schema.batches.c.id, schema.batches.c.recorded_at)
                            .order_by(schema.batches.c.id)).all()
    assert [r.recorded_at for r in rows] == [T0, T0 + timedelta(minutes=5)]


def test_a_long_submission_checks_its_file_without_holding_others_up(loaded, monkeypatch):
    """A long submission (A) is still checking its file when a short one (B) arrives: B
    is not held up (no lock is held while a file is checked) and is recorded first; A then
    takes its turn and its time, and is recorded after it, not refused for a clock that
    went back (its check began before B's)."""
    import threading

    from stocktake.intake import service

    a_checking, b_done = threading.Event(), threading.Event()
    check = service.RowChecker.check
    waited = []

    def slow_for_a(self, part):
        if "2025-01" in part["period"].to_list():
            a_checking.set()
            waited.append(b_done.wait(30))  # B ends meanwhile only if it is not held up
        return check(self, part)

    monkeypatch.setattr(service.RowChecker, "check", slow_for_a)
    results = {}

    def submit(name: str, period: str) -> None:
        try:
            results[name] = submit_rows(loaded, month_rows(period), submitter=name)
        finally:
            if name == "b":
                b_done.set()

    first = threading.Thread(target=submit, args=("a", "2025-01"))
    first.start()
    assert a_checking.wait(30)
    second = threading.Thread(target=submit, args=("b", "2025-02"))
    second.start()
    first.join(60)
    second.join(60)
    assert waited == [True], "B waited for A's check"
    assert set(results) == {"a", "b"}, "a submission raised: see the thread's warning"
    assert results["a"].accepted and results["b"].accepted, results
    assert results["b"].batch < results["a"].batch
    assert results["b"].recorded_at <= results["a"].recorded_at


def test_a_model_loaded_while_a_file_is_checked_refuses_the_file(loaded, small_model_dir,
                                                                monkeypatch):
    """The checks ran against the model read at the start: if it is loaded again before
    the rows are stored, the submission is refused (nothing stored) and says why."""
    from stocktake.intake import service

    check = service.RowChecker.check

    def reload_meanwhile(self, part):
        (small_model_dir / "rules.yaml").write_text("[]\n")  # the model changes: no rules
        load_model(loaded, small_model_dir, loaded_by="t", now=T0)
        return check(self, part)

    monkeypatch.setattr(service.RowChecker, "check", reload_meanwhile)
    result = submit_rows(loaded, month_rows("2025-01"), submitter="t", now=T0)
    assert not result.accepted
    assert [(f.check, f.severity) for f in result.findings] == [("model_changed", "error")]
    assert "submit it again" in result.findings[0].message
    assert count(loaded, schema.observations) == count(loaded, schema.batches) == 0


@pytest.mark.slow
def test_the_real_crime_rule_on_the_example(engine):
    example = Path(__file__).parents[2] / "examples" / "us_crime"
    load_model(engine, example / "model", loaded_by="t", now=T0)
    result = submit_file(engine, example / "data" / "observations.csv", submitter="t",
                         now=T0 + timedelta(days=1))
    assert result.accepted
    found = sorted(f.message.split(" for ")[1][:10] for f in result.findings
                   if f.check.startswith("rule:violent-crime-parts"))
    # Exactly the four real state-year violations, and the FBI's national row in 1981 and
    # in 2013-2015 (when it still counted rape under the legacy definition).
    assert found == ["HI in 2015", "NH in 2013", "RI in 2012", "US in 1981", "US in 2013",
                     "US in 2014", "US in 2015", "WA in 1997"]
    assert all(f.severity == "warning" for f in result.findings)


KILLED = textwrap.dedent("""
    import sys, time
    from stocktake.store.db import open_engine
    from stocktake.store import observations
    from stocktake.intake.service import submit_rows

    original = observations.record_findings
    def stall(*args, **kwargs):
        original(*args, **kwargs)
        print("WRITTEN", flush=True)   # observations and batch are written, not committed
        time.sleep(60)
    observations.record_findings = stall
    engine = open_engine(sys.argv[1])
    rows = [("incidents", u, f"2024-{m:02d}", 1) for u in ("A1", "A2", "B1")
            for m in range(1, 13)]
    submit_rows(engine, rows, submitter="doomed")
""")


@pytest.mark.slow
def test_a_killed_submission_leaves_the_database_as_it_was(loaded, db_url):
    submit_rows(loaded, month_rows("2025-01"), submitter="t", now=T0)
    before = (count(loaded, schema.observations), count(loaded, schema.batches))
    proc = subprocess.Popen([sys.executable, "-c", KILLED, db_url], stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout.readline().strip() == "WRITTEN"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    loaded.dispose()
    assert (count(loaded, schema.observations), count(loaded, schema.batches)) == before
    # ...and the database still takes the same submission afterwards.
    rows = [("incidents", u, f"2024-{m:02d}", 1) for u in ("A1", "A2", "B1")
            for m in range(1, 13)]
    assert submit_rows(loaded, rows, submitter="survivor").added == 36
