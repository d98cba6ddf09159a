"""Suggested rebase points (analysis.changepoints): the exact search against brute force, the
evidence against hand computation, and real data (41 years of US violent crime)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from stocktake.analysis.changepoints import (
    noise_sigma,
    noise_sigmas,
    optimal_partition,
    suggest_rebases,
    suggest_rebases_many,
)
from stocktake.analysis.spc import read_chart, xmr

DATA = Path(__file__).parents[2] / ".." / "shared" / "data"


def brute_force(y: np.ndarray, penalty: float, min_size: int) -> list[int]:
    """Every segmentation with parts of at least min_size, scored by a plain loop."""
    n, best, best_cuts = len(y), np.inf, []
    for k in range(n // min_size):
        for cuts in itertools.combinations(range(min_size, n - min_size + 1), k):
            edges = [0, *cuts, n]
            if any(b - a < min_size for a, b in itertools.pairwise(edges)):
                continue
            cost = sum(((y[a:b] - y[a:b].mean()) ** 2).sum() for a, b in
                       itertools.pairwise(edges)) + penalty * k
            if cost < best - 1e-9:
                best, best_cuts = cost, list(cuts)
    return best_cuts


@pytest.mark.parametrize("seed", range(12))
def test_optimal_partition_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    y = rng.normal(0, 1, 16) + np.repeat(rng.normal(0, 2, 4), 4)
    penalty = float(rng.uniform(0.5, 8))
    assert optimal_partition(y, penalty, 3) == brute_force(y, penalty, 3)


def test_a_step_is_suggested_with_its_evidence():
    rng = np.random.default_rng(5)
    y = np.r_[rng.normal(10, 1, 30), rng.normal(14, 1, 30)]
    periods = [f"{2000 + i // 12}-{i % 12 + 1:02d}" for i in range(60)]
    found, params = suggest_rebases(y, periods)
    assert [c.period for c in found] == ["2002-07"]
    c = found[0]
    sigma = np.median(np.abs(np.diff(y))) / 0.9539
    assert params["sigma"] == pytest.approx(sigma)
    assert params["penalty"] == pytest.approx(3 * np.log(60) * sigma**2)
    assert c.mean_before == pytest.approx(y[:30].mean())
    assert c.mean_after == pytest.approx(y[30:].mean())
    assert c.shift_sigma == pytest.approx((y[30:].mean() - y[:30].mean()) / sigma)
    sse = lambda v: ((v - v.mean()) ** 2).sum()  # noqa: E731
    assert c.cost_reduction == pytest.approx((sse(y) - sse(y[:30]) - sse(y[30:])) / sigma**2)
    assert c.cost_reduction > c.penalty


def test_accepted_rebases_are_not_suggested_again_and_missing_values_are_skipped():
    rng = np.random.default_rng(6)
    y = np.r_[rng.normal(10, 1, 30), rng.normal(14, 1, 30)]
    y[10] = np.nan
    periods = [str(1900 + i) for i in range(60)]
    found, _ = suggest_rebases(y, periods)
    assert [c.period for c in found] == ["1930"]
    assert found[0].n_before == 29
    found, params = suggest_rebases(y, periods, accepted=[30])
    assert found == [] and params["accepted_positions"] == [30]


def test_noise_alone_rarely_gets_a_suggestion():
    with_suggestion = 0
    for seed in range(100):
        y = np.random.default_rng(seed).normal(0, 1, 100)
        found, _ = suggest_rebases(y, [str(1900 + i) for i in range(100)])
        with_suggestion += bool(found)
    assert with_suggestion <= 10


def test_short_series_get_no_suggestion_and_say_why():
    found, params = suggest_rebases(np.arange(20.0), [str(2000 + i) for i in range(20)])
    assert found == [] and "24 are needed" in params["note"]


def test_us_violent_crime_1979_2019():
    df = pl.read_csv(DATA / "us_state_crime_ucr_1979_2019.csv")
    us = df.filter(pl.col("state") == "US").sort("year")
    rate = (us["violent_crime"] / us["population"] * 1e5).to_numpy()
    years = [str(y) for y in us["year"]]
    raw = xmr(rate, years, polarity="down")
    raw_special = np.mean([p.point_type != "common_cause" for p in raw.points])
    assert raw_special > 0.8  # one set of limits over 41 years of change: nearly every point
    r = read_chart(rate, years, polarity="down")
    suggested = [s["period"] for s in r.rebase_suggestions]
    assert suggested  # the rise to the early 1990s and the long fall are changes of level
    for s in r.rebase_suggestions:
        assert s["cost_reduction"] > s["penalty"] and abs(s["shift_sigma"]) > 2
    assert raw.variation_icon == "improvement_low"  # the latest year, against 1979-2019 limits
    rebased = read_chart(rate, years, polarity="down", rebase_at=suggested)
    # Within each part a steady fall is still a trend (a real signal); but the latest part,
    # read against its own limits, no longer flags its every point, and the latest year
    # reads as common cause.
    last = [p for p in rebased.points if p.part == len(suggested)]
    raw_last = raw.points[-len(last):]
    assert np.mean([p.point_type != "common_cause" for p in raw_last]) == 1.0
    assert np.mean([p.point_type != "common_cause" for p in last]) <= 0.4
    assert rebased.variation_icon == "common_cause"
    assert rebased.rebase_suggestions == []  # nothing more to suggest once accepted


def test_many_series_equal_each_series_alone():
    """suggest_rebases_many (the noise levels and searches of every row together) gives row
    for row the figures suggest_rebases gives one series: bit for bit."""
    rng = np.random.default_rng(13)
    n = 60
    rows = [rng.normal(0, 1, n),  # no change
            np.r_[rng.normal(0, 1, 30), rng.normal(4, 1, 30)],  # one step
            np.r_[rng.normal(10, 2, 20), rng.normal(0, 2, 20), rng.normal(6, 2, 20)],  # two
            np.full(n, 3.0),  # constant: not searchable
            np.cumsum(rng.normal(0, 1, n)),  # a wander
            np.r_[np.zeros(n - 1), 1.0]]  # median moving range 0: sigma 0
    rows += [np.r_[rng.poisson(5, 35), rng.poisson(12, 25)].astype(float) for _ in range(6)]
    y = np.array(rows)
    periods = [[f"p{i}" for i in range(n)] for _ in rows]
    many = suggest_rebases_many(y, periods)
    found = 0
    for r, (cps, params) in enumerate(many):
        want_cps, want_params = suggest_rebases(y[r], periods[r])
        assert params == want_params
        assert [c.to_dict() for c in cps] == [c.to_dict() for c in want_cps]
        found += len(cps)
        # the evidence as written out in full (each mean and sum of squares from the parts)
        edges = [0, *(c.index for c in cps), n]
        for i, c in enumerate(cps, start=1):
            before, after = y[r, edges[i - 1]:edges[i]], y[r, edges[i]:edges[i + 1]]
            both = y[r, edges[i - 1]:edges[i + 1]]
            sse = [float(((v - v.mean()) ** 2).sum()) for v in (both, before, after)]
            assert (c.mean_before, c.mean_after) == (float(before.mean()), float(after.mean()))
            assert c.shift == float(after.mean() - before.mean())
            assert c.cost_reduction == (sse[0] - sse[1] - sse[2]) / params["sigma"] ** 2
    assert found >= 8  # the steps are found, so the evidence was compared
    assert noise_sigmas(y) == [noise_sigma(row) for row in y]
