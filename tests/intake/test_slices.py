"""A large CSV file is read, checked and stored slice by slice: the same findings, row
numbers and stored rows as reading it whole, and still all or nothing. The slice size is
set to a few rows (formats.SLICE_ROWS) so that a small file is cut into many slices."""

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from stocktake.intake import formats
from stocktake.intake.formats import open_submission, read_submission
from stocktake.intake.service import submit_file, submit_rows
from stocktake.services.data.model_service import load_model
from stocktake.store import observations, schema
from stocktake.store.observations import latest

T0 = datetime(2025, 6, 1, 9, 0)
HEADER = "indicator,unit,period,value,"  # a fifth column without a header: not read
MONTHS = [f"{y}-{m:02d}" for y in (2023, 2024) for m in range(1, 13)]


@pytest.fixture
def loaded(engine, small_model_dir):
    load_model(engine, small_model_dir, loaded_by="t", now=T0 - timedelta(days=1))
    return engine


@pytest.fixture
def small_slices(monkeypatch):
    """Slices of about four rows (the first cut at 4 x 32 bytes)."""
    monkeypatch.setattr(formats, "SLICE_ROWS", 4)


def clean_lines() -> list[str]:
    """Two years of incidents and population for every unit, totals adding up, sorted by
    indicator and unit: a parent's rows and its children's fall in different slices."""
    lines = []
    for indicator, base in (("incidents", 20), ("population", 100000)):
        values = {}
        for n, month in enumerate(MONTHS):
            values["A1", month] = base + n
            values["A2", month] = base + 2 * n
            values["B1", month] = base + 3 * n
            values["A", month] = values["A1", month] + values["A2", month]
            values["B", month] = values["B1", month]
            values["N", month] = values["A", month] + values["B", month]
        for unit in ("A", "A1", "A2", "B", "B1", "N"):
            lines += [f"{indicator},{unit},{m},{values[unit, m]}," for m in MONTHS]
    return lines


def write(path: Path, lines: list[str], end: bytes = b"") -> Path:
    path.write_bytes(("\n".join([HEADER, *lines]) + "\n").encode() + end)
    return path


def faulty_lines() -> tuple[list[str], dict[str, int]]:
    """The clean lines with faults early and late; returns them and the line (row) number
    of each fault, header = 1."""
    lines = clean_lines()
    lines.insert(1, "incidents,ZZ,2024-01,4,")  # line 3: an unknown unit
    total = next(n for n, line in enumerate(lines) if line.startswith("incidents,A,2024-06,"))
    parts = int(lines[total].split(",")[3])
    lines[total] = f"incidents,A,2024-06,{parts + 10},"  # no longer A1 + A2
    late = ["incidents,ZZ,2024-01,5,",  # the unknown key again, many slices later
            "incidents,A1,2023-01,7,",  # a duplicate of the first A1 row
            'incidents,B1,2025-02,"1,5",',
            "population,A1,2024-13,100,",
            "incidents,A2,2025-06,3,",  # the month is not over (a warning)
            "incidents,A2,2025-07,3,",  # not begun
            "incidents,B1,2025-03,2,stray note"]  # the unheaded column's first value
    at = {"first_zz": 3, "total": total + 2, "parts": parts,
          "first_a1": lines.index("incidents,A1,2023-01,20,") + 2}
    for n in range(len(late)):
        at[f"late{n}"] = len(lines) + 2 + n
    return lines + late, at


def stored(conn) -> dict[str, list]:
    """Everything a batch leaves in the database, without ids."""
    o, b, f, q = schema.observations, schema.batches, schema.findings, schema.quarantine
    return {
        "observations": sorted(conn.execute(
            select(schema.indicators.c.code, schema.units.c.code, o.c.period, o.c.value,
                   b.c.recorded_at)
            .join(b, b.c.id == o.c.batch_id)
            .join(schema.indicators, schema.indicators.c.id == o.c.indicator_id)
            .join(schema.units, schema.units.c.id == o.c.unit_id)).all()),
        "batches": conn.execute(select(b.c.rows, b.c.added, b.c.revised, b.c.unchanged,
                                       b.c.status, b.c.warnings, b.c.quarantined)).all(),
        "findings": conn.execute(select(f.c.row, f.c.column, f.c.value, f.c.check,
                                        f.c.severity, f.c.message, f.c.indicator, f.c.unit,
                                        f.c.period).order_by(f.c.id)).all(),
        "quarantine": conn.execute(select(q.c.row, q.c.indicator, q.c.unit, q.c.period,
                                          q.c.value).order_by(q.c.row)).all(),
    }


def whole_then_sliced(engine, path: Path, monkeypatch, **options):
    """Submit the file read whole, note the outcome and roll it back; then submit it cut
    into many slices. Returns both (result as a dict without the batch id, stored)."""
    with engine.connect() as conn:
        outer = conn.begin()
        whole = submit_file(conn, path, submitter="t", now=T0, **options)
        whole_stored = stored(conn)
        outer.rollback()
    monkeypatch.setattr(formats, "SLICE_ROWS", 4)
    assert sum(1 for _ in open_submission(path)) >= 20  # the file really is cut up
    sliced = submit_file(engine, path, submitter="t", now=T0, **options)
    with engine.connect() as conn:
        sliced_stored = stored(conn)
    return ((dict(whole.to_dict(), batch=None), whole_stored),
            (dict(sliced.to_dict(), batch=None), sliced_stored))


@pytest.mark.slow
def test_slices_give_the_findings_and_stored_rows_of_the_whole_file(loaded, tmp_path,
                                                                     monkeypatch):
    lines, at = faulty_lines()
    path = write(tmp_path / "big.csv", lines)
    whole, sliced = whole_then_sliced(loaded, path, monkeypatch, partial=True)
    assert sliced == whole
    result, kept = sliced
    found = {(f["row"], f["check"]): f for f in result["findings"]}
    # Duplicates across slices name the first row, for known and for unknown codes.
    assert found[at["late1"], "duplicate_key"]["message"].endswith(
        f"already appears on row {at['first_a1']}")
    assert found[at["late0"], "duplicate_key"]["message"].endswith("already appears on row 3")
    assert (at["late0"], "unknown_unit") in found and (3, "unknown_unit") in found
    assert (at["late2"], "value_type") in found and (at["late3"], "period") in found
    assert (at["late4"], "period_not_over") in found and (at["late5"], "future_period") in found
    # A total checked against children read in other slices.
    assert f"add up to {at['parts']}" in found[at["total"], "hierarchy_total"]["message"]
    # The unheaded column's first value, found in a late slice.
    assert "'stray note' on row " + str(at["late6"]) in found[at["late6"], "extra_column"][
        "message"]
    errors = {at[k] for k in ("first_zz", "late0", "late1", "late2", "late3", "late5")}
    assert result["quarantined"] == len(errors)
    assert [r[0] for r in kept["quarantine"]] == sorted(errors)
    assert kept["quarantine"][-1] == (at["late5"], "incidents", "A2", "2025-07", "3")
    assert result["added"] == len(lines) - len(errors) == len(kept["observations"])


@pytest.mark.slow
def test_a_fault_in_the_last_slice_stores_nothing(loaded, tmp_path, monkeypatch):
    lines = [*clean_lines(), "incidents,A1,2025-07,3,"]  # not begun: an error, last line
    path = write(tmp_path / "big.csv", lines)
    whole, sliced = whole_then_sliced(loaded, path, monkeypatch)
    assert sliced == whole
    result, kept = sliced
    assert not result["accepted"] and result["rows"] == len(lines)
    assert [(f["row"], f["check"]) for f in result["findings"]] == [
        (len(lines) + 1, "future_period")]
    assert kept == {"observations": [], "batches": [], "findings": [], "quarantine": []}


@pytest.mark.slow
@pytest.mark.parametrize(("end", "check", "fragment"), [
    (b"incidents,A1,2025-01,\xe9,\n", "encoding", "(byte 0xE9, in 'incidents,A1,2025-01,"),
    (b"incidents,A1,2025-01\n", "malformed_csv", "has 3 fields but the header has 5"),
])
def test_an_unreadable_line_in_a_late_slice_is_named_and_nothing_is_stored(
        loaded, tmp_path, monkeypatch, end, check, fragment):
    lines = clean_lines()
    path = write(tmp_path / "big.csv", lines, end=end)
    whole = read_failure(path)
    monkeypatch.setattr(formats, "SLICE_ROWS", 4)
    result = submit_file(loaded, path, submitter="t", now=T0)
    assert [f.to_dict() for f in result.findings] == [f.to_dict() for f in whole]
    [f] = result.findings
    assert (f.row, f.check) == (len(lines) + 2, check) and fragment in f.message
    assert not result.accepted
    with loaded.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.batches)).scalar() == 0


def read_failure(path: Path) -> list:
    with pytest.raises(formats.SubmissionError) as caught:
        read_submission(path.read_bytes(), path.name)
    return caught.value.findings


@pytest.mark.slow
def test_a_quoted_value_over_two_lines_in_a_late_slice_keeps_the_row_numbers(
        loaded, tmp_path, monkeypatch):
    lines = [*clean_lines(), 'incidents,B1,2025-01,2,"a note\nover two lines"',
             "incidents,QQ,2025-01,1,"]
    path = write(tmp_path / "big.csv", lines)
    whole, sliced = whole_then_sliced(loaded, path, monkeypatch, partial=True)
    assert sliced == whole
    result, kept = sliced
    # Header, the clean lines, the note on two lines: the unknown unit is on line n + 4.
    assert [(f["row"], f["check"]) for f in result["findings"] if f["severity"] == "error"] \
        == [(len(clean_lines()) + 4, "unknown_unit")]
    assert len(kept["observations"]) == len(clean_lines()) + 1


def test_a_byte_order_mark_does_not_shift_the_byte_named(tmp_path):
    data = b"\xef\xbb\xbf" + HEADER.encode() + b"\nincidents,A1,2025-01,3,\n" \
        b"incidents,A1,2025-02,4,caf\xe9\n"
    [f] = read_failure(write_raw(tmp_path / "bom.csv", data))
    assert f.row == 3 and "byte 0xE9, in 'incidents,A1,2025-02,4,caf" in f.message


def write_raw(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_many_rows_per_insert_and_the_rest_are_all_stored(loaded, monkeypatch):
    # 3 rows a statement and 7 a slice: full statements, a short one, several slices.
    monkeypatch.setattr(observations, "_ROWS_PER_STATEMENT", 3)
    monkeypatch.setattr(observations, "INSERT_SLICE", 7)
    rows = [("incidents", u, m, n) for n, (u, m) in enumerate(
        (u, m) for u in ("A1", "A2", "B1") for m in MONTHS[:8])]
    result = submit_rows(loaded, rows, submitter="t", now=T0)
    assert result.accepted and result.added == 24
    with loaded.connect() as conn:
        got = latest(conn).select("unit", "period", "value").rows()
    assert sorted(got) == sorted((u, m, float(n)) for _, u, m, n in rows)


def test_values_are_stored_exactly(loaded):
    # Shortest round-trip texts: the COPY (PostgreSQL) and INSERT (SQLite) paths must not
    # round them.
    texts = ["0.1", "0.30000000000000004", "3.141592653589793", "1e-300",
             "1.7976931348623157e+308", "-2.5", "1234567.0000001", "123456789012345.67"]
    rows = [("incident_rate", "A1", MONTHS[n], t) for n, t in enumerate(texts)]
    assert submit_rows(loaded, rows, submitter="t", now=T0).accepted
    with loaded.connect() as conn:
        got = dict(latest(conn).select("period", "value").rows())
    assert got == {MONTHS[n]: float(t) for n, t in enumerate(texts)}


def test_a_wide_file_in_slices_quarantines_every_value_of_a_faulty_row(loaded, tmp_path,
                                                                      monkeypatch):
    lines = [f"{u},{m},{20 + n},{1000 + n}" for u in ("A1", "A2", "B1")
             for n, m in enumerate(MONTHS)]
    lines += ["ZZ,2024-01,4,100", "A1,2023-01,9,9"]  # an unknown unit; a repeated row
    path = tmp_path / "wide.csv"
    path.write_text("\n".join(["unit,period,incidents,population", *lines]) + "\n")
    whole, sliced = whole_then_sliced(loaded, path, monkeypatch, partial=True)
    assert sliced == whole
    result, kept = sliced
    zz, again = len(lines), len(lines) + 1  # their line numbers (header = 1)
    assert [(f["row"], f["column"], f["check"]) for f in result["findings"]] == [
        (zz, "unit", "unknown_unit"), (zz, "unit", "unknown_unit"),
        (again, None, "duplicate_key"), (again, None, "duplicate_key")]
    assert {f["message"] for f in result["findings"] if f["row"] == again} == {
        "incidents for A1 in 2023-01 already appears on row 2",
        "population for A1 in 2023-01 already appears on row 2"}
    assert sorted(kept["quarantine"]) == [
        (zz, "incidents", "ZZ", "2024-01", "4"), (zz, "population", "ZZ", "2024-01", "100"),
        (again, "incidents", "A1", "2023-01", "9"), (again, "population", "A1", "2023-01", "9")]
    assert len(kept["observations"]) == 2 * 3 * len(MONTHS)


@pytest.mark.slow
def test_progress_follows_the_file_through_every_stage(loaded, tmp_path, small_slices):
    """submit_file reports how far into the file the checks are, slice by slice, then the
    checks against stored values, then storing; a rejected file never reaches storing."""
    from stocktake.intake.service import AGAINST_STORED, READING, STORING

    path = write(tmp_path / "big.csv", clean_lines())
    size = path.stat().st_size
    heard = []
    result = submit_file(loaded, path, submitter="t", now=T0,
                         progress=lambda *event: heard.append(event))
    assert result.accepted
    reading = [done for stage, done, total in heard if stage == READING]
    assert all(total == size for stage, _, total in heard if stage == READING)
    assert reading[0] == 0 and reading[-1] == size and len(reading) > 10
    assert reading == sorted(reading)
    assert [s for s, _, _ in heard if s != READING] == [AGAINST_STORED, STORING]

    heard.clear()
    bad = write(tmp_path / "bad.csv", [*clean_lines(), "incidents,A1,2025-07,3,"])
    assert not submit_file(loaded, bad, submitter="t", now=T0,
                           progress=lambda *event: heard.append(event)).accepted
    assert [s for s, _, _ in heard if s != READING] == [AGAINST_STORED]
