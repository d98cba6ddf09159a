"""Mutated submissions never crash, hang or change stored data on rejection (issue 15).

Hypothesis edits valid CSV (long and wide), JSON and Excel files byte by byte (inserting
the characters that break readers: quotes, line ends, NULs, brackets, BOMs, surrogate
escapes, formula signs, huge numbers), and each result is submitted to a real SQLite
database holding the small model and a first batch. Every answer must be a result (or a
StocktakeError), never another exception; a rejection must leave the database as it was.
A bounded number of examples keeps this to seconds in CI; benchmarks/fuzz.py runs
thousands.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from stocktake.errors import StocktakeError
from stocktake.intake.service import submit_file
from stocktake.services.data.model_service import load_model
from stocktake.store import schema
from stocktake.store.db import open_engine

SMALL_MODEL = Path(__file__).parents[1] / "fixtures" / "small_model"
T0 = datetime(2025, 6, 1, 9, 0)
ROWS = [("incidents", u, f"2024-{m:02d}", str(n + m)) for n, u in enumerate(("A1", "A2", "B1"))
        for m in range(1, 5)]
# Pieces that have broken readers before, or could.
NASTY = [b'"', b"\n", b"\r", b"\r\n", b"\x00", b",", b";", b"\t", b"[", b"{", b"]", b"}",
         b"\xef\xbb\xbf", b"\xff\xfe", b"\\ud800", b"=cmd|' /C calc'!A0", b"-", b"@", b"+",
         b"1e400", b"NaN", b"9999-12", b"9999", b"[/]", b"\xe9", b"\x80", b'"",""',
         b"<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>", b"&e;", b"9" * 400,
         b"[" * 2000, b"indicator,unit,period,value\n"]


def _csv_long() -> bytes:
    return ("indicator,unit,period,value\n"
            + "".join(f"{i},{u},{p},{v}\n" for i, u, p, v in ROWS)).encode()


def _csv_wide() -> bytes:
    return ("unit,period,incidents,population\n"
            + "".join(f"{u},{p},{v},{int(v) * 1000}\n" for _, u, p, v in ROWS)).encode()


def _json() -> bytes:
    return ("[" + ",".join(f'{{"indicator": "{i}", "unit": "{u}", "period": "{p}", '
                           f'"value": {v}}}' for i, u, p, v in ROWS) + "]").encode()


def _xlsx() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["indicator", "unit", "period", "value"])
    for i, u, p, v in ROWS:
        ws.append([i, u, p, int(v)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


SEEDS = {"long.csv": _csv_long(), "wide.csv": _csv_wide(), "items.json": _json(),
         "form.xlsx": _xlsx()}
SHEET = "xl/worksheets/sheet1.xml"


def mutate(data: bytes, edits: list[tuple[int, int, int, bytes]]) -> bytes:
    """Apply edits (kind, where, length, piece): 0 insert, 1 delete, 2 replace, 3 cut
    the end off, 4 repeat a stretch; positions wrap around the data's length."""
    for kind, where, length, piece in edits:
        at = where % (len(data) + 1)
        if kind == 0:
            data = data[:at] + piece + data[at:]
        elif kind == 1:
            data = data[:at] + data[at + length:]
        elif kind == 2:
            data = data[:at] + piece + data[at + len(piece):]
        elif kind == 3:
            data = data[:at]
        else:
            data = data[:at] + data[at:at + length] * 3 + data[at:]
    return data


def mutate_file(name: str, edits: list, inside: bool) -> bytes:
    """A seed with the edits applied: to a workbook's sheet XML when ``inside`` (the zip
    stays readable), else to the file's bytes."""
    data = SEEDS[name]
    if not (inside and name.endswith(".xlsx")):
        return mutate(data, edits)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            body = zin.read(item.filename)
            zout.writestr(item, mutate(body, edits) if item.filename == SHEET else body)
    return out.getvalue()


edit = st.tuples(st.integers(0, 4), st.integers(0, 10_000), st.integers(1, 200),
                 st.one_of(st.sampled_from(NASTY), st.binary(min_size=1, max_size=8)))


def stored(engine) -> tuple[int, ...]:
    with engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar()
                     for t in (schema.observations, schema.batches, schema.quarantine,
                               schema.findings))


@pytest.fixture(scope="module")
def fuzz_db(tmp_path_factory):
    """One database for every example: the model and a first batch (so that a mutated
    file may also revise stored values)."""
    where = tmp_path_factory.mktemp("fuzz")
    engine = open_engine(f"sqlite:///{where / 'fuzz.db'}")
    load_model(engine, SMALL_MODEL, loaded_by="t", now=T0 - timedelta(days=1))
    seed = where / "seed.csv"
    seed.write_bytes(SEEDS["long.csv"])
    assert submit_file(engine, seed, submitter="t", now=T0).accepted
    yield engine, where
    engine.dispose()


@settings(max_examples=60, deadline=timedelta(seconds=20), database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(SEEDS)), edits=st.lists(edit, min_size=1, max_size=4),
       inside=st.booleans(), partial=st.booleans())
def test_a_mutated_file_gives_a_result_or_a_clear_error_and_changes_nothing_if_refused(
        fuzz_db, name, edits, inside, partial):
    engine, where = fuzz_db
    path = where / name
    path.write_bytes(mutate_file(name, edits, inside))
    before = stored(engine)
    try:
        result = submit_file(engine, path, submitter="t", now=T0, partial=partial)
    except StocktakeError:
        assert stored(engine) == before
        return
    if not result.accepted:
        assert result.errors, "a refusal says why"
        assert stored(engine) == before
