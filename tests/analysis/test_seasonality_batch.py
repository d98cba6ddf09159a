"""The batched seasonality code (every row's F test and profile at once) against the
row-at-a-time reference (seasonality_reference.py): the same figures bit for bit, on series
of every shape status meets (monthly, quarterly, weekly; additive and multiplicative;
gaps, zeros, constants, short histories) and in every mode."""

from __future__ import annotations

import numpy as np
import pytest

from stocktake.analysis.seasonality import SeasonalAdjustment, seasonal_adjustments
from stocktake.model.periods import Period

from .seasonality_reference import seasonal_adjustments_reference


def codes(first: str, n: int) -> list[str]:
    p = Period.parse(first)
    return [p.shift(i).code for i in range(n)]


def panel(rng: np.random.Generator, n: int, m: int) -> np.ndarray:
    """Rows of many kinds on one axis of n periods with a season of m."""
    t = np.arange(n)
    season = np.sin(2 * np.pi * t / m)
    rows = [
        100 + 10 * season + rng.normal(0, 2, n),  # additive, strong
        np.exp(3 + 0.4 * season + rng.normal(0, 0.05, n)),  # multiplicative
        rng.poisson(3 * np.exp(0.8 * season)).astype(float),  # counts, some zeros
        50 + rng.normal(0, 1, n),  # no season
        np.full(n, 7.0),  # constant
        40 + 0.5 * t + 5 * season + rng.normal(0, 1, n),  # trend and season
        rng.poisson(0.3, n).astype(float),  # mostly zeros
        -20 + 3 * season + rng.normal(0, 1, n),  # negative values
    ]
    for r in range(24):  # like the world's units: one shape, scaled, with noise
        rows.append((1 + r / 10) * (200 + 30 * season) * rng.lognormal(0, 0.05, n))
    out = np.array(rows)
    gappy = out[:4].copy()
    gappy[0, n // 3: n // 3 + 2] = np.nan  # a gap inside the window
    gappy[1, : n // 4] = np.nan  # a late start
    gappy[2, -3:] = np.nan  # an early end
    gappy[3, rng.choice(n, n // 6, replace=False)] = np.nan  # scattered
    short = np.full((1, n), np.nan)
    short[0, -m - 2:] = 100 + season[-m - 2:]  # too little history
    return np.vstack([out, gappy, short, np.full((1, n), np.nan)])


def same(a: SeasonalAdjustment, b: SeasonalAdjustment) -> None:
    for name in ("mode", "season_length", "detected", "applied", "statistic", "df",
                 "p_value", "strength", "model", "profile", "window", "n_years", "reason"):
        assert getattr(a, name) == getattr(b, name), name
    # bit for bit, NaN where NaN
    assert a.values.tobytes() == b.values.tobytes()
    assert (a.expected is None) == (b.expected is None)
    if a.expected is not None:
        assert a.expected.tobytes() == b.expected.tobytes()


@pytest.mark.parametrize("first, n, m", [("2019-01", 72, 12), ("2015-Q1", 40, 4),
                                         ("2020-W01", 200, 52), ("2021-03", 30, 12)])
@pytest.mark.parametrize("mode", ["auto", "on", "off"])
def test_batched_rows_equal_the_reference(first, n, m, mode):
    rng = np.random.default_rng(n * 7 + m)
    ys = panel(rng, n, m)
    periods = codes(first, n)
    got = seasonal_adjustments(ys, periods, mode=mode)
    want = seasonal_adjustments_reference(ys, periods, mode=mode)
    assert len(got) == len(want) == len(ys)
    for a, b in zip(got, want, strict=True):
        same(a, b)
    if n >= 40:  # the cases the panel is there for all occur
        assert {o.applied for o in got} == ({False} if mode == "off" else {True, False})
        assert {o.model for o in got} == {"additive", "multiplicative", None}
        assert any(o.reason.startswith("too little history") for o in got)


def test_each_row_alone_equals_its_row_in_the_batch():
    rng = np.random.default_rng(5)
    ys = panel(rng, 72, 12)
    periods = codes("2019-01", 72)
    together = seasonal_adjustments(ys, periods)
    for r in range(len(ys)):
        same(seasonal_adjustments(ys[r:r + 1], periods)[0], together[r])


@pytest.mark.parametrize("rows, n", [(1, 30), (2, 13), (2, 25), (2, 26), (2, 40), (1, 0)])
def test_edges_equal_the_reference(rows, n):
    """All missing, too short for a profile, just long enough, constant, empty."""
    rng = np.random.default_rng(rows * 100 + n)
    ys = (np.full((rows, n), np.nan) if n == 30 else np.ones((rows, n)) if n == 40
          else 100 + rng.normal(0, 1, (rows, n)))
    periods = codes("2020-01", n)
    for mode in ("auto", "on", "off"):
        got = seasonal_adjustments(ys, periods, mode=mode)
        want = seasonal_adjustments_reference(ys, periods, mode=mode)
        for a, b in zip(got, want, strict=True):
            same(a, b)
