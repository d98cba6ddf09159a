"""sources.yaml and ``compute:`` in indicators.yaml: read into typed definitions, and every
mistake reported with its file, line and key."""

from pathlib import Path

import pytest

from stocktake.model.files import ModelError, load_model_dir, parse_model

MODEL = Path(__file__).parents[1] / "fixtures" / "compute_model"
TEXTS = {name: (MODEL / name).read_text() for name in
         ("units.csv", "indicators.yaml", "priorities.yaml", "sources.yaml")}


def problems(**changes: str) -> list[str]:
    t = {**TEXTS, **changes}
    with pytest.raises(ModelError) as info:
        parse_model(t["units.csv"], t["indicators.yaml"], t["priorities.yaml"],
                    sources_yaml=t["sources.yaml"])
    return [str(p) for p in info.value.problems]


def test_the_fixture_reads_into_sources_and_definitions():
    model = load_model_dir(MODEL)
    src = model.sources["attendances"]
    assert (src.engine, src.path, src.unit, src.date, src.unit_map) == (
        "duckdb", "records", "hospital", "arrived", {"rx1": "H1"})
    share = model.computes["seen_4h"]
    assert (share.measure, share.scale, share.where[0].op, share.where[0].value) == (
        "share", 100.0, "<=", 240)
    assert model.computes["p90_major"].percentile == 90.0
    ratio = model.computes["admitted_rate"]
    assert (ratio.numerator.measure, ratio.numerator.where[0].value, ratio.scale) == (
        "count", True, 100.0)
    assert model.computes["major_minutes"].filters[0].value == ("major",)
    assert model.computes["attendances"].scale == 1.0


def test_a_compute_over_an_unknown_source_is_refused():
    found = problems(**{"sources.yaml": ""})
    assert any("indicators.yaml:" in p and "compute.source" in p and "'attendances' is not "
               "a source" in p for p in found)


def test_source_mistakes_carry_line_and_key():
    bad = TEXTS["sources.yaml"].replace("engine: duckdb", "engine: duckbd").replace(
        "date: arrived", "dat: arrived")
    found = problems(**{"sources.yaml": bad})
    assert "sources.yaml:4: field 'engine': 'duckbd' is not one of duckdb, postgres, spark " \
           "(did you mean 'duckdb'?)" in found
    assert any(p.startswith("sources.yaml:9: field 'dat': is not a known field") for p in found)
    assert any("field 'date': is required" in p for p in found)


def test_a_url_in_a_file_is_refused():
    bad = TEXTS["sources.yaml"].replace(
        "engine: duckdb\n  path: records", "engine: postgres\n  table: ed.attendances\n"
        "  url_env: postgresql://u:secret@host/db")
    bad = bad.replace("  format: parquet\n", "")
    found = problems(**{"sources.yaml": bad})
    assert any("field 'url_env'" in p and "not a URL" in p for p in found)


def test_compute_mistakes_carry_line_and_key():
    bad = TEXTS["indicators.yaml"].replace("percentile: 50", "percentile: 150").replace(
        'op: "<="', 'op: "=<"').replace("measure: mean", "measure: average")
    found = problems(**{"indicators.yaml": bad})
    assert any(p.startswith("indicators.yaml:35: field 'compute.percentile': must be a "
                            "number from 0 to 100") for p in found), found
    assert any("field 'compute.where[1].op': '=<' is not one of" in p for p in found)
    assert any("field 'compute.measure': 'average' is not one of" in p for p in found)


def test_a_share_needs_its_condition_and_a_ratio_its_parts():
    bad = TEXTS["indicators.yaml"].replace(
        '    where: {column: minutes, op: "<=", value: 240}\n', "").replace(
        "    denominator: {measure: count}\n", "")
    found = problems(**{"indicators.yaml": bad})
    assert any("compute.where': a share needs the condition" in p for p in found)
    assert any("compute.denominator': a ratio needs a numerator and a denominator" in p
               for p in found)
