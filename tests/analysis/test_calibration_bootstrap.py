"""How sure a stratum's coverage is: benchmarks/calibration.py's block bootstrap over
origins, against cases whose standard error is known by hand."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "calibration.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("calibration_benchmark", _PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


ORIGINS, UNITS, P = 200, 10, 0.8


def _panel(hits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    origins = np.repeat([f"o{i:03d}" for i in range(ORIGINS)], UNITS)
    units = np.tile([f"u{j}" for j in range(UNITS)], ORIGINS)
    return origins, units


def test_independent_forecasts_give_the_binomial_standard_error(bench) -> None:
    hits = np.random.default_rng(7).random(ORIGINS * UNITS) < P
    origins, units = _panel(hits)
    s = bench.origin_bootstrap(origins, hits, units)
    p, n = hits.mean(), hits.size
    assert s.coverage == pytest.approx(p)
    assert s.se == pytest.approx(math.sqrt(p * (1 - p) / n), rel=0.12)
    assert (s.origins, s.units) == (ORIGINS, UNITS)
    # the 90% interval: about 1.645 standard errors either side
    assert s.lower < p < s.upper
    assert (s.upper - s.lower) / 2 == pytest.approx(1.645 * s.se, rel=0.15)


def test_forecasts_sharing_an_origin_count_as_one(bench) -> None:
    # every unit at an origin hits or misses together: the evidence is ORIGINS outcomes,
    # not ORIGINS x UNITS, and a bootstrap of single forecasts would be sqrt(10) too sure
    block = np.random.default_rng(8).random(ORIGINS) < P
    hits = np.repeat(block, UNITS)
    origins, units = _panel(hits)
    s = bench.origin_bootstrap(origins, hits, units)
    p = block.mean()
    assert s.se == pytest.approx(math.sqrt(p * (1 - p) / ORIGINS), rel=0.12)
    assert s.se > 2.5 * math.sqrt(p * (1 - p) / hits.size)


def test_the_bootstrap_is_seeded(bench) -> None:
    hits = np.random.default_rng(9).random(ORIGINS * UNITS) < P
    origins, units = _panel(hits)
    a, b = (bench.origin_bootstrap(origins, hits, units, seed=3) for _ in range(2))
    assert a == b
    assert bench.origin_bootstrap(origins, hits, units, seed=4) != a


def test_runs_of_neighbouring_origins_are_drawn_together(bench) -> None:
    # outcomes shared by runs of 5 consecutive origins: 40 independent outcomes, which the
    # bootstrap of single origins takes for 200; runs of 5 see them
    shared = np.random.default_rng(10).random(ORIGINS // 5) < P
    hits = np.repeat(np.repeat(shared, 5), UNITS)
    origins, units = _panel(hits)
    single = bench.origin_bootstrap(origins, hits, units)
    runs = bench.origin_bootstrap(origins, hits, units, run=5)
    p = shared.mean()
    assert single.se == pytest.approx(math.sqrt(p * (1 - p) / ORIGINS), rel=0.12)
    # a moving block straddles two of the true runs more often than not, so blocks of the
    # runs' own length understate their variance somewhat (about a fifth of the se here)
    truth = math.sqrt(p * (1 - p) / (ORIGINS // 5))
    assert 0.7 * truth < runs.se < 1.05 * truth
    assert runs.se > 1.7 * single.se
