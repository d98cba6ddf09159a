"""Verdicts on real public data, checked against figures worked out here independently.

The series are copied from the Australian Bureau of Statistics' quarterly prisoner counts
(Corrective Services Australia, cat. 4512.0, as shipped in fpp2's prisonLF): women held on
remand in the Australian Capital Territory and the Northern Territory, 2014-2016.
"""

from __future__ import annotations

import math

import pytest

from stocktake.analysis.trajectory import (
    AHEAD,
    OFF_TRACK,
    ON_TRACK,
    assess,
    assess_one,
    chance_of_count,
    trajectory_from_spec,
)

QUARTERS = [f"{y}-Q{q}" for y in (2014, 2015, 2016) for q in (1, 2, 3, 4)]
# Women on remand, quarterly averages (ABS 4512.0).
ACT = dict(zip(QUARTERS, [5, 5, 5, 5, 7, 8, 6, 11, 13, 11, 11, 12], strict=True))
NT = dict(zip(QUARTERS, [48, 37, 43, 41, 53, 50, 43, 51, 50, 40, 43, 38], strict=True))


def poisson_pmf(k: int, mean: float) -> float:
    return math.exp(-mean) * mean ** k / math.factorial(k)


def two_sided(actual: int, mean: float) -> float:
    """Twice the Poisson tail on the actual's side, by explicit sums (no scipy)."""
    if actual < mean:
        tail = sum(poisson_pmf(k, mean) for k in range(actual + 1))
    else:
        tail = 1.0 - sum(poisson_pmf(k, mean) for k in range(actual))
    return min(1.0, 2.0 * tail)


def test_chance_of_a_count_is_the_two_sided_poisson_tail():
    # 7 women against 4.47 expected: P(X >= 7) = 1 - sum_{k<7} e^-m m^k / k! = 0.165.
    mean = 5 + (3 - 5) * 4 / 15  # ACT's trajectory, 2015-Q1 (below)
    assert chance_of_count(7, mean) == pytest.approx(two_sided(7, mean), rel=1e-9)
    assert two_sided(7, mean) == pytest.approx(0.33, abs=0.005)
    for actual, m in [(0, 2.8), (1, 2.8), (25, 9.33), (40, 53.6), (5, 5.6), (6, 5.6)]:
        assert chance_of_count(actual, m) == pytest.approx(two_sided(actual, m), rel=1e-9)
    assert chance_of_count(5, 0.0) is None  # nothing expected: no chance reading
    assert chance_of_count(-1, 3.0) is None


def test_a_small_count_is_not_off_track_on_chance_alone():
    # "Fewer women on remand in the ACT": 5 in 2014-Q1 to 3 by 2017-Q4, 5% tolerance.
    traj = trajectory_from_spec({"method": "linear"}, "2014-Q1", 5, "2017-Q4", 3)
    counted = {r.period: r for r in assess(traj, ACT, "down", 5, count=True).readings}
    plain = {r.period: r for r in assess(traj, ACT, "down", 5).readings}
    for i, q in enumerate(QUARTERS):
        expected = 5 + (3 - 5) * i / 15
        outside = abs(ACT[q] - expected) > 0.05 * expected + 1e-9
        side = AHEAD if ACT[q] < expected else OFF_TRACK
        p = two_sided(ACT[q], expected)
        assert plain[q].status == (side if outside else ON_TRACK)  # the tolerance alone
        want = side if outside and p < 0.05 else ON_TRACK
        assert counted[q].status == want, (q, ACT[q], expected, p)
        assert counted[q].chance == (pytest.approx(p) if outside and p >= 0.05 else None)
    # 2015-Q1: 7 against 4.47 reads on track (one period in three is that far off by
    # chance); by 2015-Q4 11 against 4.07 is off track (p = 0.006), as it then stayed.
    assert counted["2015-Q1"].status == ON_TRACK and plain["2015-Q1"].status == OFF_TRACK
    assert counted["2015-Q4"].status == OFF_TRACK
    assert two_sided(11, 5 + (3 - 5) * 7 / 15) < 0.01


def test_a_large_count_far_off_stays_off_track():
    # Northern Territory: 19 in 2012-Q1 to 10 by 2016-Q4. 53 women in 2015-Q1 against
    # about 12 expected: chance never does that.
    traj = trajectory_from_spec({"method": "linear"}, "2012-Q1", 19, "2016-Q4", 10)
    r = assess_one(traj, "2015-Q1", NT["2015-Q1"], "down", 5, count=True)
    expected = 19 + (10 - 19) * 12 / 19
    assert r.expected == pytest.approx(expected)
    assert r.status == OFF_TRACK and r.chance is None
    assert two_sided(53, expected) < 1e-12


def test_chance_excuses_ahead_too_and_the_rule_says_so():
    # 2 against 4.47 expected would read "ahead" on the tolerance alone; Poisson puts a
    # count at or below 2 in 2 x 0.177 of periods.
    traj = trajectory_from_spec({"method": "linear"}, "2014-Q1", 5, "2017-Q4", 3)
    r = assess_one(traj, "2015-Q1", 2, "down", 5, count=True)
    assert r.status == ON_TRACK
    assert r.chance == pytest.approx(two_sided(2, 5 - 2 * 4 / 15))
    assert assess_one(traj, "2015-Q1", 2, "down", 5).status == AHEAD
    a = assess(traj, ACT, "down", 5, count=True)
    assert "chance" in a.to_dict()["rule"] and "chance" not in assess(traj, ACT, "down", 5
                                                                       ).to_dict()["rule"]
    # Only a reading excused by chance carries the key: the JSON of others is as before.
    assert "chance" not in assess(traj, ACT, "down", 5).readings[0].to_dict()
