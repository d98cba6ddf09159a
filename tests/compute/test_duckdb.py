"""Computed indicators on DuckDB equal a plain hand computation over the same records."""

from dataclasses import replace

import pytest

from stocktake.compute import compute
from stocktake.errors import Invalid
from stocktake.model.computed import Condition
from stocktake.model.files import load_model_dir
from stocktake.model.periods import Period

from .records import ANCESTORS, by_hand


def run_all(model_dir, engine=None, **kw):
    model = load_model_dir(model_dir)
    return {code: compute(code, spec, model.sources[spec.source],
                          model.indicators[code].period_type, engine=engine, base=model_dir,
                          **kw)
            for code, spec in model.computes.items()}


@pytest.mark.parametrize("levels", [False, True], ids=["hospitals", "every level"])
def test_every_measure_equals_the_hand_computation(model_dir, rows, levels):
    hand = by_hand(rows, levels=levels)
    for code, result in run_all(model_dir, ancestors=ANCESTORS if levels else None).items():
        got = {(u, p): v for u, p, v in result.values}
        assert set(got) == set(hand[code]), code
        for key, value in hand[code].items():
            assert got[key] == pytest.approx(value, rel=1e-11), (code, key)


def test_the_lineage_names_the_files_and_the_query(model_dir):
    result = run_all(model_dir)["seen_4h"]
    assert result.engine == "duckdb"
    assert [f["file"] for f in result.snapshot["files"]] == ["records/part-1.parquet",
                                                             "records/part-2.parquet"]
    assert result.snapshot["bytes"] == sum(f.stat().st_size
                                           for f in (model_dir / "records").iterdir())
    assert '"attendances"' in result.sql and "<= 240" in result.sql
    assert result.definition["where"] == [{"column": "minutes", "op": "<=", "value": 240}]


def test_a_period_range_keeps_only_its_records(model_dir, rows):
    feb = Period.parse("2024-02")
    result = run_all(model_dir, start=feb.start, end=feb.end)["attendances"]
    assert {p for _, p, _ in result.values} == {"2024-02"}
    assert sum(v for _, _, v in result.values) == sum(
        1 for r in rows if (r["arrived"].year, r["arrived"].month) == (2024, 2))


def test_spark_or_duckdb_only_for_files_and_no_files_is_named(model_dir):
    model = load_model_dir(model_dir)
    spec = model.computes["attendances"]
    with pytest.raises(Invalid, match="cannot be read by postgres"):
        compute("attendances", spec, model.sources["attendances"], "month", engine="postgres",
                base=model_dir)
    for f in (model_dir / "records").iterdir():
        f.unlink()
    with pytest.raises(Invalid, match="no parquet files at records"):
        compute("attendances", spec, model.sources["attendances"], "month", base=model_dir)


def test_a_column_the_records_lack_is_named_with_the_closest(model_dir):
    model = load_model_dir(model_dir)
    spec = replace(model.computes["seen_4h"], where=(Condition("minute", "<=", 240),))
    with pytest.raises(Invalid) as info:
        compute("seen_4h", spec, model.sources["attendances"], "month", base=model_dir)
    assert str(info.value.problems[0]) == (
        "seen_4h: where: 'minute' is not a column of source 'attendances' (did you mean "
        "'minutes'?); its columns: hospital, arrived, minutes, kind, admitted")
    wrong_type = replace(spec, where=(Condition("kind", "<=", 240),))
    with pytest.raises(Invalid, match="does not fit the columns of source 'attendances'"):
        compute("seen_4h", wrong_type, model.sources["attendances"], "month", base=model_dir)
