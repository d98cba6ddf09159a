"""Alias bombs ("billion laughs") in every YAML we read: refused at once, in little memory,
with the file and line; ordinary anchors and merges still load."""

import shutil
import time
import tracemalloc
from pathlib import Path

import pytest
import yaml

from stocktake.delivery.errors import DeliveryError
from stocktake.errors import Invalid
from stocktake.model.files import ModelError, load_model_dir
from stocktake.model.safe_yaml import ALIAS_LIMIT, AliasExpansion, NestedTooDeep, safe_load
from stocktake.services.routines.documents import read_yaml
from stocktake.web.delivery_pages import parse_plan_upload

SMALL = Path(__file__).parents[1] / "fixtures" / "small_model"


def laughs(levels: int = 9, indent: str = "") -> str:
    """Nine lines, 9**levels strings once expanded (9**9 = 387,420,489)."""
    lines = [f'{indent}- &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"{indent}- &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]"
              for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def model_dir(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(SMALL, folder)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def refused_quickly(call) -> Exception:
    """The exception ``call`` raises; within a second, allocating under 20 MB."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(Exception) as info:
            call()
    finally:
        took = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert took < 1.0, f"took {took:.1f} s"
    assert peak < 20 * 2**20, f"allocated {peak / 2**20:.0f} MB"
    return info.value


def test_an_alias_bomb_in_an_indicator_definition_is_refused_with_its_line(tmp_path):
    text = (SMALL / "indicators.yaml").read_text().replace(
        "  definition: Violent incidents recorded by police in the month.",
        "  definition: *a8")
    bombs = "- code: bombs\n  lol:\n" + laughs(indent="    ")
    folder = model_dir(tmp_path, **{"indicators.yaml": bombs + text})
    exc = refused_quickly(lambda: load_model_dir(folder))
    assert isinstance(exc, ModelError) and len(exc.problems) == 1
    problem = exc.problems[0]
    assert problem.file == "indicators.yaml" and problem.line is not None
    assert "alias bomb" in problem.message and f"{ALIAS_LIMIT:,}" in problem.message


def test_an_alias_bomb_in_rules_is_refused(tmp_path):
    folder = model_dir(tmp_path, **{"rules.yaml": laughs() + "- rule: *a8\n"})
    exc = refused_quickly(lambda: load_model_dir(folder))
    assert isinstance(exc, ModelError)
    assert [p.file for p in exc.problems] == ["rules.yaml"]
    assert "alias bomb" in str(exc)


def test_a_plan_file_and_a_plan_upload_refuse_an_alias_bomb(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text("bombs:\n" + laughs(indent="  ") + "summary: *a8\n")
    exc = refused_quickly(lambda: read_yaml(plan))
    assert isinstance(exc, DeliveryError) and "alias bomb" in str(exc)
    assert str(plan) in str(exc) and "line " in str(exc)
    exc = refused_quickly(lambda: parse_plan_upload(plan.read_bytes(), "plan.yaml"))
    assert isinstance(exc, Invalid) and "alias bomb" in str(exc)


@pytest.mark.slow
@pytest.mark.parametrize("levels", [400, 3000])
def test_nesting_too_deep_is_a_yaml_error_not_a_recursion_error(tmp_path, levels):
    """PyYAML recurses once per level: a plan nested a few hundred deep ended in a
    RecursionError (an internal error) from the file, the upload form and the CLI."""
    text = "summary: " + "[" * levels + "x" + "]" * levels + "\n"
    with pytest.raises(NestedTooDeep, match="nested too deeply"):
        safe_load(text)
    fifty = safe_load("summary: " + "[" * 50 + "x" + "]" * 50 + "\n")["summary"]
    for _ in range(50):  # fifty levels load as ever
        [fifty] = fifty
    assert fifty == "x"
    plan = tmp_path / "plan.yaml"
    plan.write_text(text)
    with pytest.raises(DeliveryError, match="not valid YAML \\(nested too deeply") as info:
        read_yaml(plan)
    assert str(plan) in str(info.value)
    with pytest.raises(Invalid, match="nested too deeply"):
        parse_plan_upload(text.encode(), "plan.yaml")


def test_the_limit_counts_every_value_an_alias_stands_for():
    # An anchored list of 999 numbers is 1,000 values (the list and its items); each alias
    # of it adds 1,000. 100 aliases add exactly the limit; one more is refused.
    assert ALIAS_LIMIT == 100_000
    anchored = "a: &a [" + ", ".join(["1"] * 999) + "]\n"
    at_limit = anchored + "".join(f"b{i}: *a\n" for i in range(100))
    loaded = safe_load(at_limit)
    assert len(loaded) == 101 and loaded["b99"] == [1] * 999
    with pytest.raises(AliasExpansion, match="alias bomb") as info:
        safe_load(at_limit + "b100: *a\n")
    assert info.value.problem_mark.line == 101  # the alias past the limit (0-based line)


def test_a_value_containing_itself_is_refused():
    with pytest.raises(AliasExpansion, match=r"\*a is inside the value it names"):
        safe_load("a: &a [1, *a]\n")
    with pytest.raises(AliasExpansion, match=r"\*m is inside"):
        safe_load("m: &m {x: 1, y: {z: *m}}\n")
    assert isinstance(yaml.safe_load("a: &a [1, *a]\n")["a"][1], list)  # what PyYAML builds


def test_ordinary_anchors_and_merges_still_load(tmp_path):
    # A value written once and repeated by aliases: the same model as written out.
    written_out = (SMALL / "indicators.yaml").read_text()
    shared = written_out.replace("  period_type: month\n", "  period_type: &m month\n", 1)
    shared = shared.replace("  period_type: month\n", "  period_type: *m\n")
    assert shared.count("*m") == 2
    folder = model_dir(tmp_path, **{"indicators.yaml": shared})
    assert load_model_dir(folder).indicators == load_model_dir(SMALL).indicators
    assert safe_load("d: &d {a: 1}\ne: {<<: *d, b: 2}\n") == {"d": {"a": 1},
                                                               "e": {"a": 1, "b": 2}}


def test_stocktake_load_refuses_a_bomb_and_loads_nothing(tmp_path):
    from typer.testing import CliRunner

    from stocktake.cli import app
    from stocktake.services.data.model_service import current_model
    from stocktake.store.db import open_engine

    url = f"sqlite:///{tmp_path / 'test.db'}"
    folder = model_dir(tmp_path, **{"rules.yaml": laughs() + "- rule: *a8\n"})
    start = time.perf_counter()
    answer = CliRunner().invoke(app, ["load", str(folder), "--db", url])
    assert time.perf_counter() - start < 30  # the CLI's start included; the bomb: ms
    assert answer.exit_code == 2, answer.output  # invalid input: any model problem
    assert "rules.yaml" in answer.output and "alias bomb" in answer.output
    assert not current_model(open_engine(url)).indicators
