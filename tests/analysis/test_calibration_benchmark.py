"""benchmarks/calibration.py's own machinery: how sure a stratum's coverage is (the block
bootstrap over origins, against cases whose standard error is known by hand), and the
pooled-shape rule measured there (by hand, and what its pool may see at an origin)."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import special

from stocktake.analysis import calibration as cal
from stocktake.analysis.forecast import Bounds

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


# -- the pooled shape of errors across horizons --------------------------------------------
def _unit(bench, rows: list[tuple[int, int, int, float, float]]):
    """A series on the value scale with only its error rows (origin, outcome, h, error, sd)."""
    empty = np.zeros(0)
    return bench._Unit(empty, empty, empty.astype(bool), Bounds(), {}, [], [],
                       np.array(rows, dtype=float).reshape(-1, 5))


def test_the_pool_holds_only_other_units_errors_known_at_the_origin(bench) -> None:
    c = 100
    panel = bench._PanelErrors({
        "a": _unit(bench, [(95, 96, 1, 1.0, 1.0)]),  # the series itself: left out
        "b": _unit(bench, [(95, 96, 1, 2.0, 1.0),  # known at c
                           (99, 100, 1, -3.0, 2.0),  # known at c, exactly
                           (99, 101, 2, 9.0, 1.0),  # outcome after c: not yet known
                           (50, 52, 2, 4.0, 1.0)]),  # origin beyond the reach of 30
        "c": _unit(bench, [(97, 99, 2, -5.0, 2.0)]),
    })
    pool, ages, who = panel.at("a", c, horizon=2, reach=30)
    assert sorted(pool[0].tolist()) == [1.5, 2.0] and sorted(ages[0].tolist()) == [1, 5]
    assert pool[1].tolist() == [2.5] and ages[1].tolist() == [3]
    assert who[1].tolist() == [panel.index["c"]]


def test_the_shape_rule_is_the_own_one_step_times_the_panels_ratio(bench) -> None:
    rng = np.random.default_rng(11)
    zs = [rng.normal(0, 1, 20), rng.normal(0, 1.5, 18), rng.normal(0, 2, 16)]
    one, ages1 = np.abs(rng.normal(0, 1, 90)), np.tile([1, 2, 3], 30)
    two = np.abs(rng.normal(0, 2, 40))  # horizon 2: ages 2 and up
    few = np.abs(rng.normal(0, 3, 10))  # horizon 3: too few to pool
    rule, reach = bench._shape(30)
    out = rule(zs, [one, two, few], [ages1, np.full(40, 2), np.full(10, 3)])
    # by hand: the engine's own multipliers (80%: recency-weighted quantile; 95%: the larger
    # of the quantile and the variance-calibrated t's point), then the ratio of quantiles
    factor, df, _ = cal.variance_factors(zs)
    own = np.column_stack([cal.abs_quantiles(zs, (0.8,), half_life=5.0)[:, 0],
                           np.maximum(cal.abs_quantiles(zs, (0.95,))[:, 0],
                                      np.sqrt(factor) * special.stdtrit(df, 0.975))])
    same_origins = one[ages1 >= 2]  # one-step errors of the origins horizon 2's come from
    ratio = [np.quantile(two, p) / np.quantile(same_origins, p) for p in (0.8, 0.95)]
    assert reach == 30
    np.testing.assert_allclose(out[0], own[0])
    np.testing.assert_allclose(out[1], own[0] * np.array(ratio))
    np.testing.assert_allclose(out[2], own[2])
