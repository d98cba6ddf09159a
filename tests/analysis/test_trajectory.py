"""Trajectories checked against values worked out by hand (arithmetic in the comments)."""

from __future__ import annotations

import json
import math
from datetime import date

import numpy as np
import pytest
import yaml

from stocktake.analysis.trajectory import (
    AHEAD,
    NO_DATA,
    OFF_TRACK,
    ON_TRACK,
    Intervention,
    Trajectory,
    TrajectoryError,
    apply_seasonal,
    assess,
    back_loaded,
    bottom_up,
    constant_rate,
    constant_rate_ratio,
    front_loaded,
    linear,
    s_curve,
    split_trajectory,
    through_landmarks,
    trajectory_from_spec,
)
from stocktake.errors import StocktakeError
from stocktake.model.periods import Period, period_range


def months(first: str, last: str) -> list[Period]:
    return period_range(Period.parse(first), Period.parse(last))


def build(spec: dict, b: str, bv: float, t: str, tv: float) -> Trajectory:
    return trajectory_from_spec(spec, b, bv, t, tv)


def problems_of(spec: object, b="2024-01", bv=80.0, t="2024-12", tv=90.0) -> list[str]:
    with pytest.raises(TrajectoryError) as info:
        trajectory_from_spec(spec, b, bv, t, tv)  # type: ignore[arg-type]
    return info.value.problems


# -- 1. linear -----------------------------------------------------------------------------


def test_linear_by_hand():
    # 80 at 2024-01 to 90 at 2024-11: 10 steps of (90 - 80) / 10 = 1 a month.
    traj = build({"method": "linear"}, "2024-01", 80, "2024-11", 90)
    assert traj.expected_at("2024-02") == pytest.approx(81)
    assert traj.expected_at(Period.parse("2024-06")) == pytest.approx(85)
    assert traj.expected.tolist() == pytest.approx([80 + i for i in range(11)])
    assert traj.expected[0] == 80 and traj.expected[-1] == 90
    assert traj.reaches_target and traj.shortfall == 0


def test_linear_quarterly_function():
    # 2024-Q1 to 2025-Q1 is 4 steps: 10 -> 4 falls 1.5 a quarter.
    assert linear(10, 4, months("2024-Q1", "2025-Q1")).tolist() == pytest.approx(
        [10, 8.5, 7, 5.5, 4]
    )


# -- 2. constant rate (geometric) ----------------------------------------------------------


def test_constant_rate_by_hand():
    # 1000 -> 729 over 3 quarters: ratio (729/1000)^(1/3) = 0.9, so 900 then 810.
    quarters = months("2024-Q1", "2024-Q4")
    values = constant_rate(1000, 729, quarters)
    assert values.tolist() == pytest.approx([1000, 900, 810, 729])
    assert constant_rate_ratio(1000, 729, quarters) == pytest.approx(0.9)
    # The same percentage change every period.
    assert (values[1:] / values[:-1]).tolist() == pytest.approx([0.9, 0.9, 0.9])


def test_constant_rate_from_spec_yearly():
    # 100 in 2024 to 121 in 2026: +10% a year, so 110 in 2025.
    traj = build({"method": "constant_rate"}, "2024", 100, "2026", 121)
    assert traj.as_series() == pytest.approx({"2024": 100, "2025": 110, "2026": 121})


@pytest.mark.parametrize(("b", "t"), [(0, 10), (10, 0), (-5, 10), (10, -1)])
def test_constant_rate_refuses_non_positive(b, t):
    with pytest.raises(TrajectoryError, match="positive"):
        constant_rate(b, t, months("2024-01", "2024-03"))
    problems = problems_of({"method": "constant_rate"}, bv=b, tv=t)
    assert any("constant_rate needs positive" in p for p in problems)


# -- 3. S-curve ----------------------------------------------------------------------------


def logistic(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def test_s_curve_by_hand():
    # 5 quarters, t = 0, .25, .5, .75, 1; steepness 8, midpoint .5:
    # L(t) = 1/(1+e^(-8(t-.5))); L(0) = 1/(1+e^4) = 0.0179862, L(1) = 0.9820138,
    # L(.25) = 1/(1+e^2) = 0.1192029; f(.25) = (0.1192029-0.0179862)/0.9640276 = 0.1049936.
    values = s_curve(0, 1, months("2024-Q1", "2025-Q1"), steepness=8)
    assert values[1] == pytest.approx(0.1049936, abs=1e-7)
    assert values[2] == pytest.approx(0.5)
    assert values[3] == pytest.approx(1 - 0.1049936, abs=1e-7)


def test_s_curve_endpoints_and_symmetry():
    traj = build({"method": "s_curve", "steepness": 8}, "2024-01", 80, "2024-11", 90)
    f = (traj.expected - 80) / 10
    assert traj.expected[0] == 80 and traj.expected[-1] == 90
    # With the default midpoint, f(t) + f(1 - t) = 1 at every period.
    assert (f + f[::-1]).tolist() == pytest.approx([1.0] * 11)
    assert traj.expected_at("2024-06") == pytest.approx(85)
    assert np.all(np.diff(traj.expected) > 0)


def test_s_curve_midpoint_moves_the_fast_part():
    # Midpoint 2024-Q2 is t = .25 of 4 quarters; steepness 8:
    # L(0) = 1/(1+e^2), L(1) = 1/(1+e^-6), L(.25) = .5; f(.25) = (.5 - L(0)) / (L(1) - L(0)).
    l0, l1 = 1 / (1 + math.exp(2)), 1 / (1 + math.exp(-6))
    spec = {"method": "s_curve", "steepness": 8, "midpoint": "2024-Q2"}
    traj = build(spec, "2024-Q1", 0, "2025-Q1", 100)
    assert traj.expected[1] == pytest.approx(100 * (0.5 - l0) / (l1 - l0))  # 43.35...
    assert traj.parameters == {"steepness": 8.0, "midpoint": "2024-Q2"}


# -- 4. front- and back-loaded -------------------------------------------------------------


def test_front_and_back_loaded_by_hand():
    quarters = months("2024-Q1", "2025-Q1")  # t = 0, .25, .5, .75, 1
    # front, k = 2: 1 - (1 - t)^2 = 0, .4375, .75, .9375, 1
    assert front_loaded(0, 100, quarters).tolist() == pytest.approx([0, 43.75, 75, 93.75, 100])
    # back, k = 2: t^2 = 0, .0625, .25, .5625, 1
    assert back_loaded(0, 100, quarters).tolist() == pytest.approx([0, 6.25, 25, 56.25, 100])
    # back, k = 3 at t = .5: .125; falling indicator 200 -> 100 gives 200 - 12.5.
    traj = build({"method": "back_loaded", "k": 3}, "2024-Q1", 200, "2025-Q1", 100)
    assert traj.expected_at("2024-Q3") == pytest.approx(187.5)
    # front, k = 3 at t = .5: 1 - .5^3 = .875.
    traj = build({"method": "front_loaded", "k": 3}, "2024-Q1", 0, "2025-Q1", 100)
    assert traj.expected_at("2024-Q3") == pytest.approx(87.5)


# -- 5. landmarks --------------------------------------------------------------------------


def test_landmarks_deliverology_example():
    # 80% -> 81% -> 85% -> 88% -> 90% over a year, read monthly.
    spec = {
        "method": "landmarks",
        "landmarks": [
            {"period": "2024-04", "value": 81},
            {"period": "2024-07", "value": 85},
            {"period": "2024-10", "value": 88},
        ],
    }
    traj = build(spec, "2024-01", 80, "2025-01", 90)
    assert traj.expected_at("2024-04") == pytest.approx(81)
    assert traj.expected_at("2024-07") == pytest.approx(85)
    assert traj.expected_at("2024-02") == pytest.approx(80 + 1 / 3)  # (81 - 80) / 3 a month
    assert traj.expected_at("2024-05") == pytest.approx(81 + 4 / 3)  # (85 - 81) / 3
    assert traj.expected_at("2024-11") == pytest.approx(88 + 2 / 3)  # (90 - 88) / 3
    assert traj.expected[-1] == 90


def test_landmarks_function_refuses_out_of_range_and_disorder():
    ms = months("2024-01", "2024-06")
    with pytest.raises(TrajectoryError, match="strictly between"):
        through_landmarks(0, 10, ms, [(Period.parse("2024-06"), 5)])
    with pytest.raises(TrajectoryError, match="not after"):
        through_landmarks(0, 10, ms, [(ms[3], 5), (ms[2], 4)])


# -- 6. bottom-up from interventions -------------------------------------------------------

INTERVENTIONS = {
    "method": "interventions",
    "drift": 0.5,
    "interventions": [
        {"name": "triage", "start": "2024-03", "ramp": 4, "effect": -6},
        {"name": "beds", "start": "2024-06", "ramp": 0, "effect": -3},
    ],
}


def test_interventions_by_hand():
    # Waits rising 0.5 a month from 50 without action (counterfactual 50 + 0.5 i).
    # triage: 0 in 2024-03 (i=2), then -6 x 1/4, 2/4, 3/4, 4/4 in i = 3..6, -6 after.
    # beds: -3 from 2024-06 (i=5) on, no ramp.
    #  i:    0     1     2    3             4          5                6...
    #  v:   50  50.5    51   51.5-1.5=50   52-3=49    52.5-4.5-3=45    53-6-3=44, +0.5 a month
    traj = build(INTERVENTIONS, "2024-01", 50, "2024-12", 40)
    expected = [50, 50.5, 51, 50, 49, 45, 44, 44.5, 45, 45.5, 46, 46.5]
    assert traj.expected.tolist() == pytest.approx(expected)
    assert traj.components["triage"].tolist() == pytest.approx(
        [0, 0, 0, -1.5, -3, -4.5, -6, -6, -6, -6, -6, -6]
    )
    assert traj.components["counterfactual"][-1] == pytest.approx(55.5)
    # Target 40 (lower): ends at 46.5, 6.5 short.
    assert traj.end_value == pytest.approx(46.5)
    assert traj.shortfall == pytest.approx(6.5)
    assert not traj.reaches_target


def test_interventions_reaching_or_passing_the_target():
    # Same plan against a target of 47: it ends at 46.5, past the target, no shortfall.
    assert build(INTERVENTIONS, "2024-01", 50, "2024-12", 47).reaches_target
    # Upward: 80 -> 90 with +7 from the start: ends at 87, 3 short; +12 ends at 92, reached.
    plan = {"method": "interventions", "interventions": [{"name": "a", "start": "2024-01"}]}
    plan["interventions"][0]["effect"] = 7
    assert build(plan, "2024-01", 80, "2024-06", 90).shortfall == pytest.approx(3)
    plan["interventions"][0]["effect"] = 12
    assert build(plan, "2024-01", 80, "2024-06", 90).reaches_target


def test_bottom_up_function_matches_spec():
    ms = months("2024-01", "2024-12")
    actions = [
        Intervention("triage", Period.parse("2024-03"), -6, ramp=4),
        Intervention("beds", Period.parse("2024-06"), -3),
    ]
    values = bottom_up(50, ms, actions, drift=0.5)
    assert values[5] == pytest.approx(45)
    assert values[-1] == pytest.approx(46.5)


# -- 7. seasonal profile -------------------------------------------------------------------

# Nov 1.05, Dec 0.95, Jan 1.1, Feb 0.9, others 1: they add up to 12, average 1.
PROFILE = [1.1, 0.9, 1, 1, 1, 1, 1, 1, 1, 1, 1.05, 0.95]


def test_seasonal_multiplicative_by_hand():
    # Baseline 105 in Nov (adjusted 105/1.05 = 100); target 99 in Feb (adjusted 99/.9 = 110).
    # Adjusted linear path 100, 103.333, 106.667, 110, times Nov, Dec, Jan, Feb factors:
    # 105, 103.333 x .95 = 98.1667, 106.667 x 1.1 = 117.333, 99.
    spec = {"method": "linear", "seasonal": PROFILE}
    traj = build(spec, "2024-11", 105, "2025-02", 99)
    assert traj.expected.tolist() == pytest.approx([105, 98.1666667, 117.3333333, 99])
    assert traj.seasonal_mode == "multiplicative"


def test_seasonal_additive_by_hand():
    # Jan +6, Feb -6, others 0. Baseline 106 in Jan (adjusted 100), target 110 in Mar
    # (adjusted 110): 100, 105, 110 plus 6, -6, 0 gives 106, 99, 110.
    profile = [6, -6] + [0] * 10
    spec = {"method": "linear", "seasonal": profile, "seasonal_mode": "additive"}
    traj = build(spec, "2024-01", 106, "2024-03", 110)
    assert traj.expected.tolist() == pytest.approx([106, 99, 110])


def test_apply_seasonal_by_calendar_month():
    ms = months("2024-07", "2025-06")
    out = apply_seasonal(np.full(12, 10.0), ms, PROFILE)
    # July is index 6 of the profile; January 2025 is the 7th value.
    assert out.tolist() == pytest.approx([10 * f for f in PROFILE[6:] + PROFILE[:6]])


# -- 8. per-unit split ---------------------------------------------------------------------


def test_split_by_hand_sums_to_national():
    # National 100 -> 80; A has 60, B 40. Proportional: A 60 - 20 x .6 = 48, B 40 - 8 = 32.
    national = build({"method": "linear"}, "2024-01", 100, "2024-05", 80)
    split = split_trajectory(national, {"A": 60, "B": 40})
    assert split.unit_targets == {"A": 48, "B": 32}
    assert split.units["A"].expected.tolist() == pytest.approx([60, 57, 54, 51, 48])
    assert split.units["B"].expected.tolist() == pytest.approx([40, 38, 36, 34, 32])
    a_and_b = zip(split.units["A"].expected, split.units["B"].expected, strict=True)
    total = [a + b for a, b in a_and_b]
    assert total == pytest.approx(national.expected.tolist())


@pytest.mark.parametrize(
    "spec",
    [
        {"method": "linear"},
        {"method": "constant_rate"},
        {"method": "s_curve", "steepness": 6, "midpoint": "2024-05"},
        {"method": "front_loaded", "k": 3},
        {"method": "back_loaded"},
        {"method": "landmarks", "landmarks": [{"period": "2024-04", "value": 950}]},
        {"method": "landmarks", "landmarks": [{"period": "2024-04", "value": 1100}]},
        INTERVENTIONS,
        {"method": "linear", "seasonal": PROFILE},
        {"method": "s_curve", "seasonal": [30, -30] + [0] * 10, "seasonal_mode": "additive"},
        {**INTERVENTIONS, "seasonal": PROFILE},
        {
            "method": "landmarks",
            "landmarks": [{"period": "2024-06", "value": 850}],
            "seasonal": [40, -40] + [0] * 10,
            "seasonal_mode": "additive",
        },
    ],
    ids=lambda s: s["method"] + ("+seasonal" if "seasonal" in s else ""),
)
@pytest.mark.parametrize("targets", [None, {"A": 350, "B": 250, "C": 200}])
def test_every_method_splits_into_units_that_add_up(spec, targets):
    national = build(spec, "2024-01", 1000, "2024-12", 800)
    if spec["method"] == "constant_rate" and targets is not None:
        # -30%, -16.7%, 0%: unequal percentage changes cannot add up, and it says so.
        with pytest.raises(TrajectoryError, match="same percentage change"):
            split_trajectory(national, {"A": 500, "B": 300, "C": 200}, targets)
        return
    split = split_trajectory(national, {"A": 500, "B": 300, "C": 200}, targets)
    # Summed with a plain loop, independent of UnitSplit.total().
    for i, period in enumerate(national.periods):
        total = sum(split.units[u].expected[i] for u in ("A", "B", "C"))
        assert total == pytest.approx(national.expected[i], rel=1e-12), period
    for code, unit in split.units.items():
        assert unit.method == national.method
        assert unit.baseline_value == {"A": 500, "B": 300, "C": 200}[code]
        assert unit.expected[0] == pytest.approx(unit.baseline_value)


def test_split_unit_landmarks_and_effects_by_hand():
    # National landmark 85 at 2024-03 from baseline 100 (-15) with target 80 (-20).
    # A (60 -> 50) carries 10/20 of the change: landmark 60 - 15 x .5 = 52.5.
    spec = {"method": "landmarks", "landmarks": [{"period": "2024-03", "value": 85}]}
    national = build(spec, "2024-01", 100, "2024-05", 80)
    split = split_trajectory(national, {"A": 60, "B": 40}, {"A": 50, "B": 30})
    assert split.units["A"].expected_at("2024-03") == pytest.approx(52.5)
    assert split.units["B"].expected_at("2024-03") == pytest.approx(32.5)
    # Interventions: drift 0.5 shared by size (A .6 -> .3), effects by share of change (.5).
    plan = build(INTERVENTIONS, "2024-01", 100, "2024-12", 80)
    units = split_trajectory(plan, {"A": 60, "B": 40}, {"A": 50, "B": 30}).units
    assert units["A"].parameters["drift"] == pytest.approx(0.3)
    assert [i["effect"] for i in units["A"].parameters["interventions"]] == [-3, -1.5]


def test_split_equal_and_stated_targets_from_the_spec():
    national = build({"method": "linear"}, "2024-01", 100, "2024-05", 80)
    assert split_trajectory(national, {"A": 60, "B": 40}, method="equal").unit_targets == {
        "A": 50,
        "B": 30,
    }
    spec = {"method": "linear", "units": {"targets": {"A": 45, "B": 35}}}
    split = split_trajectory(build(spec, "2024-01", 100, "2024-05", 80), {"A": 60, "B": 40})
    assert split.unit_targets == {"A": 45, "B": 35} and split.targets_stated


def test_split_targets_that_do_not_add_up_raise_or_rescale():
    national = build({"method": "linear"}, "2024-01", 100, "2024-05", 80)
    with pytest.raises(TrajectoryError, match="add up to 85 but the national target is 80"):
        split_trajectory(national, {"A": 60, "B": 40}, {"A": 50, "B": 35})
    # Rescale: changes -10 and -5 (total -15) scaled by -20 / -15 = 4/3: -13.33 and -6.67.
    split = split_trajectory(
        national, {"A": 60, "B": 40}, {"A": 50, "B": 35}, on_mismatch="rescale"
    )
    assert split.rescaled
    assert split.unit_targets["A"] == pytest.approx(60 - 40 / 3)
    assert split.unit_targets["B"] == pytest.approx(40 - 20 / 3)
    assert (split.units["A"].expected + split.units["B"].expected).tolist() == pytest.approx(
        national.expected.tolist()
    )


def test_split_refusals():
    national = build({"method": "linear"}, "2024-01", 100, "2024-05", 80)
    with pytest.raises(TrajectoryError, match="add up to 90 but the national baseline is 100"):
        split_trajectory(national, {"A": 60, "B": 30})
    with pytest.raises(TrajectoryError) as info:
        split_trajectory(national, {"A": 60, "B": 40}, {"A": 50, "Bb": 30}, method="even")
    text = str(info.value)
    assert "no target for unit 'B'" in text and "did you mean 'B'" in text and "'even'" in text
    geometric = build({"method": "constant_rate"}, "2024-01", 100, "2024-05", 80)
    with pytest.raises(TrajectoryError, match="same percentage change"):
        split_trajectory(geometric, {"A": 60, "B": 40}, {"A": 50, "B": 30})


def test_split_non_summed_indicator():
    # A rate: national 80% -> 90%; equal split gives every unit the same +10 points.
    national = build({"method": "linear"}, "2024-01", 80, "2024-05", 90)
    split = split_trajectory(national, {"A": 60, "B": 85}, method="equal", aggregation="mean")
    assert split.unit_targets == {"A": 70, "B": 95}
    assert split.units["A"].expected_at("2024-03") == pytest.approx(65)


# -- 9. assess -----------------------------------------------------------------------------


@pytest.fixture
def rising() -> Trajectory:
    return build({"method": "linear"}, "2024-01", 80, "2024-11", 90)  # 81 in 2024-02, 82...


def statuses(result) -> dict[str, str]:
    return {r.period: r.status for r in result.readings}


def test_assess_up_absolute(rising):
    # Expected 81, 82, 83, 84 in Feb..May; tolerance 1 point.
    actuals = {"2024-02": 79.9, "2024-03": 81.0, "2024-04": 84.5, "2024-05": 84.0}
    result = assess(rising, actuals, "up", 1, "absolute")
    got = statuses(result)
    assert got["2024-02"] == OFF_TRACK  # 1.1 below
    assert got["2024-03"] == ON_TRACK  # exactly 1 below: the band is inclusive
    assert got["2024-04"] == AHEAD  # 1.5 above
    assert got["2024-05"] == ON_TRACK
    assert got["2024-01"] == NO_DATA
    feb = result.readings[1]
    assert feb.gap == pytest.approx(-1.1)
    assert feb.gap_pct == pytest.approx(-1.1 / 81 * 100)
    assert result.tolerance == 1 and result.tolerance_mode == "absolute"
    assert result.latest().period == "2024-05"
    assert result.counts() == {ON_TRACK: 2, AHEAD: 1, OFF_TRACK: 1, NO_DATA: 7}


def test_assess_down_and_neutral_mirror(rising):
    actuals = {"2024-02": 79.9, "2024-03": 81.0, "2024-04": 84.5}
    down = statuses(assess(rising, actuals, "down", 1, "absolute"))
    assert [down[p] for p in ("2024-02", "2024-03", "2024-04")] == [AHEAD, ON_TRACK, OFF_TRACK]
    neutral = statuses(assess(rising, actuals, "neutral", 1, "absolute"))
    assert [neutral[p] for p in ("2024-02", "2024-03", "2024-04")] == [
        OFF_TRACK,
        ON_TRACK,
        OFF_TRACK,
    ]


def test_assess_relative_tolerance():
    traj = build({"method": "linear"}, "2024-01", 100, "2024-11", 110)  # 101 in 2024-02
    # 2% of 101 = 2.02: 98.98 is on the edge, 98.9 is beyond it.
    on_edge = assess(traj, {"2024-02": 98.98}, "up", 2, "relative")
    assert on_edge.readings[1].status == ON_TRACK
    assert on_edge.readings[1].gap_pct == pytest.approx(-2.02 / 101 * 100)
    assert assess(traj, {"2024-02": 98.9}, "up", 2).readings[1].status == OFF_TRACK
    assert assess(traj, {"2024-02": 103.1}, "up", 2).readings[1].status == AHEAD
    assert "% of expected" in on_edge.to_dict()["rule"]


def test_assess_edge_cases():
    traj = build({"method": "linear"}, "2024-01", 0, "2024-03", 10)  # expected 0, 5, 10
    result = assess(
        traj,
        {"2024-01": 0.1, "2024-02": None, "2024-03": float("nan"), "2023-12": 1, "2024-06": 2},
        "up",
        5,
        "relative",
    )
    jan = result.readings[0]
    # Expected 0: no percentage, and a relative band of no width.
    assert jan.gap_pct is None and jan.status == AHEAD
    assert [r.status for r in result.readings[1:]] == [NO_DATA, NO_DATA]
    assert result.outside == ("2023-12", "2024-06")
    assert assess(traj, {"2024-01": 0.0}, "down", 5).readings[0].status == ON_TRACK
    assert assess(traj, {}, "up", 0).latest() is None
    json.dumps(result.to_dict())


def test_assess_refuses_bad_input(rising):
    with pytest.raises(TrajectoryError) as info:
        assess(rising, {"2024-Q1": 80, "2024-02": "high"}, "higher", -1, "percent")
    text = "\n".join(info.value.problems)
    for needle in (
        "polarity: 'higher'",
        "tolerance_mode: 'percent'",
        "tolerance: must be 0 or more",
        "actuals[2024-Q1]",
        "actuals[2024-02]: must be a finite number",
    ):
        assert needle in text
    with pytest.raises(TrajectoryError, match="given twice"):
        assess(rising, {"2024-02": 1, "2024-2": 2, Period.parse("2024-02"): 3}, "up", 1)


# -- the Trajectory object -----------------------------------------------------------------


def test_expected_at_outside_or_wrong_type(rising):
    with pytest.raises(TrajectoryError, match="outside the trajectory 2024-01..2024-11"):
        rising.expected_at("2024-12")
    with pytest.raises(StocktakeError, match="month is expected"):
        rising.expected_at("2024-Q1")


@pytest.mark.parametrize(
    "spec",
    [
        {"method": "s_curve", "steepness": 5, "seasonal": PROFILE},
        INTERVENTIONS,
        {"method": "landmarks", "landmarks": [{"period": "2024-05", "value": 70}]},
    ],
)
def test_spec_round_trip_and_to_dict(spec):
    traj = build(spec, "2024-01", 50, "2024-12", 40)
    again = trajectory_from_spec(json.loads(json.dumps(traj.spec())), "2024-01", 50, "2024-12", 40)
    assert again.expected.tolist() == traj.expected.tolist()
    d = json.loads(json.dumps(traj.to_dict()))
    assert d["method"] == spec["method"] and len(d["expected"]) == 12
    assert d["baseline"] == {"period": "2024-01", "value": 50}


def test_yaml_forms_from_the_brief():
    text = """
    - {method: linear}
    - {method: s_curve, steepness: 8}
    - {method: landmarks, landmarks: [{period: 2025-06, value: 81}]}
    - {method: interventions, drift: -0.1,
       interventions: [{name: tutoring, start: 2025-03, ramp: 6, effect: -2.5}]}
    """
    for spec in yaml.safe_load(text):
        traj = build(spec, "2025-01", 80, "2025-12", 90)
        assert len(traj.periods) == 12
    # YAML reads a year as an int and a day as a date: both are accepted as periods.
    yearly = {"method": "landmarks", "landmarks": [{"period": 2026, "value": 5}]}
    assert build(yearly, "2025", 0, "2027", 6).expected.tolist() == pytest.approx([0, 5, 6])
    daily = {"method": "landmarks", "landmarks": [{"period": date(2025, 1, 2), "value": 5}]}
    assert build(daily, "2025-01-01", 0, "2025-01-03", 6).expected[1] == pytest.approx(5)


# -- validation: every problem, with its path ----------------------------------------------


def test_trajectory_error_is_a_value_error():
    assert issubclass(TrajectoryError, StocktakeError)


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ([], "trajectory: must be a mapping"),
        ({}, "trajectory.method: required"),
        ({"method": 3}, "trajectory.method: must be a string"),
        ({"method": "linaer"}, "unknown method 'linaer' (did you mean 'linear'?)"),
        ({"method": "straight"}, "use one of linear, constant_rate"),
        ({"method": "linear", "steepnes": 3}, "trajectory.steepnes: unknown key"),
        ({"method": "linear", "seasonl": [1] * 12}, "did you mean 'seasonal'?"),
        ({"method": "linear", "k": 2}, "trajectory.k: not used by method linear"),
        ({"method": "s_curve", "steepness": 0}, "trajectory.steepness: must be above 0"),
        ({"method": "s_curve", "steepness": "x"}, "trajectory.steepness: must be a finite"),
        ({"method": "s_curve", "midpoint": "2025-06"}, "trajectory.midpoint: 2025-06 is outside"),
        ({"method": "s_curve", "midpoint": "2024-Q2"}, "trajectory.midpoint: '2024-Q2' is a"),
        ({"method": "front_loaded", "k": 0.5}, "trajectory.k: must be 1 or more"),
        ({"method": "back_loaded", "k": True}, "trajectory.k: must be a finite number"),
        ({"method": "landmarks"}, "trajectory.landmarks: required"),
        ({"method": "landmarks", "landmarks": []}, "trajectory.landmarks: must be a non-empty"),
        ({"method": "landmarks", "landmarks": [5]}, "trajectory.landmarks[0]: must be a mapping"),
        ({"method": "landmarks", "landmarks": [{"value": 1}]}, "landmarks[0].period: required"),
        ({"method": "landmarks", "landmarks": [{"period": "2024-05"}]}, "[0].value: required"),
        (
            {"method": "landmarks", "landmarks": [{"period": "2024-12", "value": 1}]},
            "trajectory.landmarks[0].period: 2024-12 must lie strictly between",
        ),
        (
            {"method": "landmarks", "landmarks": [{"period": "2024-05", "value": 1, "vlaue": 2}]},
            "trajectory.landmarks[0].vlaue: unknown key (did you mean 'value'?)",
        ),
        (
            {
                "method": "landmarks",
                "landmarks": [{"period": "2024-06", "value": 1}, {"period": "2024-03", "value": 2}],
            },
            "trajectory.landmarks[1].period: 2024-03 is not after landmarks[0]",
        ),
        ({"method": "interventions"}, "trajectory.interventions: required"),
        ({"method": "interventions", "interventions": "x"}, "must be a non-empty list"),
        ({"method": "interventions", "drift": None, "interventions": [{}]}, "trajectory.drift"),
        ({"method": "interventions", "interventions": [{}]}, "interventions[0].name: required"),
        ({"method": "interventions", "interventions": [3]}, "interventions[0]: must be a mapping"),
        (
            {"method": "interventions", "interventions": [{"name": "counterfactual"}]},
            "'counterfactual' is reserved",
        ),
        ({"method": "linear", "seasonal": [1] * 11}, "needs 12 monthly factors"),
        ({"method": "linear", "seasonal": "flat"}, "trajectory.seasonal: must be a list"),
        ({"method": "linear", "seasonal": [1.1] * 12}, "average 1"),
        ({"method": "linear", "seasonal": [2, 0] + [1] * 10}, "seasonal[1]: multiplicative"),
        ({"method": "linear", "seasonal": ["a"] + [1] * 11}, "trajectory.seasonal[0]: must be"),
        (
            {"method": "linear", "seasonal": [1] * 12, "seasonal_mode": "additiv"},
            "did you mean 'additive'?",
        ),
        (
            {"method": "linear", "seasonal": [1] * 12, "seasonal_mode": "additive"},
            "additive factors must average 0",
        ),
        ({"method": "linear", "seasonal_mode": "additive"}, "given without a seasonal profile"),
        ({"method": "linear", "units": [1]}, "trajectory.units: must be a mapping"),
        ({"method": "linear", "units": {"split": "equl"}}, "did you mean 'equal'?"),
        ({"method": "linear", "units": {"on_mismatch": "x"}}, "units.on_mismatch: 'x'"),
        ({"method": "linear", "units": {"targets": [1]}}, "units.targets: must be a mapping"),
        ({"method": "linear", "units": {"targets": {"A": "9"}}}, "units.targets.A: must be"),
        ({"method": "linear", "units": {"target": {}}}, "did you mean 'targets'?"),
    ],
)
def test_spec_problems(spec, needle):
    problems = problems_of(spec)
    assert any(needle in p for p in problems), problems


def test_intervention_problems_all_reported_with_paths():
    spec = {
        "method": "interventions",
        "interventions": [
            {"name": "a", "start": "2024-03", "ramp": 2, "effect": -1},
            {"name": "a", "start": "2024-Q2", "ramp": -1, "effect": True},
            {"name": "b", "start": "2025-03", "ramp": 1.5, "efect": 2},
        ],
    }
    problems = problems_of(spec)
    expected = [
        "trajectory.interventions[1].name: 'a' is already used by interventions[0]",
        "trajectory.interventions[1].start: '2024-Q2' is a quarter but a month is expected",
        "trajectory.interventions[1].ramp: must be a whole number",
        "trajectory.interventions[1].effect: must be a finite number, got True",
        "trajectory.interventions[2].efect: unknown key (did you mean 'effect'?)",
        "trajectory.interventions[2].start: 2025-03 is outside the trajectory 2024-01..2024-12",
        "trajectory.interventions[2].ramp: must be a whole number of periods >= 0, got 1.5",
        "trajectory.interventions[2].effect: required",
    ]
    for needle in expected:
        assert any(needle in p for p in problems), needle
    assert len(problems) == len(expected)


def test_baseline_and_target_problems():
    assert any("must come after" in p for p in problems_of({"method": "linear"}, t="2024-01"))
    assert any(
        p.startswith("target_period: '2024-Q4' is a quarter")
        for p in problems_of({"method": "linear"}, t="2024-Q4")
    )
    problems = problems_of({"method": "linear"}, b="2024-13", bv="80")
    assert any(p.startswith("baseline_period:") and "month 13" in p for p in problems)
    assert any(p.startswith("baseline_value: must be a finite number") for p in problems)
    quarterly = problems_of({"method": "linear", "seasonal": [1] * 12}, b="2024-Q1", t="2024-Q4")
    assert any(
        "trajectory.seasonal: a monthly profile needs monthly periods" in p for p in quarterly
    )


def test_many_problems_in_one_message():
    with pytest.raises(TrajectoryError) as info:
        trajectory_from_spec({"method": "s_curve", "steepness": -1, "k": 2}, "2024-01", 1, "x", 2)
    message = str(info.value)
    assert message.startswith("3 problems with the trajectory:")
    assert "- target_period:" in message and "- trajectory.k:" in message


def test_shape_functions_refuse_bad_periods_and_parameters():
    with pytest.raises(TrajectoryError, match="at least two periods"):
        linear(1, 2, months("2024-01", "2024-01"))
    gap = [Period.parse("2024-01"), Period.parse("2024-03")]
    with pytest.raises(TrajectoryError, match="consecutive"):
        linear(1, 2, gap)
    with pytest.raises(TrajectoryError, match="steepness"):
        s_curve(1, 2, months("2024-01", "2024-03"), steepness=-2)
    with pytest.raises(TrajectoryError, match="k must be"):
        front_loaded(1, 2, months("2024-01", "2024-03"), k=0.5)
    with pytest.raises(TrajectoryError, match="applies to months"):
        apply_seasonal(np.ones(2), months("2024-Q1", "2024-Q2"), [1] * 12)
    with pytest.raises(TrajectoryError, match="ramp"):
        Intervention("a", Period.parse("2024-01"), 1, ramp=-1).contribution(
            months("2024-01", "2024-03")
        )


# -- met or missed ------------------------------------------------------------------------

def test_no_verdict_until_the_target_period_is_complete():
    from stocktake.analysis.trajectory import target_verdict

    actuals = {"2024-01": 70.0, "2024-05": 79.0}  # 79 > 78, but June is not in yet
    assert target_verdict("2024-01", "2024-06", 78.0, actuals, "up") is None


def test_met_at_the_target_period_then_fell_back():
    from stocktake.analysis.trajectory import target_verdict

    # The demo's literacy story by hand: 81.2 in June against 78, 74.0 by September.
    actuals = {"2024-01": 70.0, "2024-06": 81.2, "2024-07": 76.5, "2024-09": 74.0}
    v = target_verdict("2024-01", "2024-06", 78.0, actuals, "up")
    assert v is not None and v.status == "met" and v.period == "2024-06"
    assert v.gap == pytest.approx(3.2) and v.gap_pct == pytest.approx(3.2 / 78 * 100)
    assert (v.latest_period, v.latest) == ("2024-09", 74.0)
    assert v.change_since == pytest.approx(-7.2) and v.holds is False


def test_missed_by_a_hair_is_missed_and_exactly_on_target_is_met():
    from stocktake.analysis.trajectory import target_verdict

    assert target_verdict("2024-01", "2024-06", 78.0, {"2024-06": 77.99}, "up").status == "missed"
    assert target_verdict("2024-01", "2024-06", 78.0, {"2024-06": 78.0}, "up").status == "met"
    # 0.1 + 0.2 is 0.30000000000000004 in floating point: still at the target of 0.3.
    assert target_verdict("2024-01", "2024-06", 0.3, {"2024-06": 0.1 + 0.2},
                          "down").status == "met"
    # Lower is better: 9.6 against 9.5 is missed, 9.4 met.
    assert target_verdict("2024-01", "2024-06", 9.5, {"2024-06": 9.6}, "down").status == "missed"
    assert target_verdict("2024-01", "2024-06", 9.5, {"2024-06": 9.4}, "down").status == "met"


def test_a_missing_target_period_is_read_at_the_last_complete_period_before_it():
    from stocktake.analysis.trajectory import target_verdict

    # June is missing; May (79) stands in, and says so; July is where the series is now.
    v = target_verdict("2024-01", "2024-06", 78.0,
                       {"2024-01": 70.0, "2024-05": 79.0, "2024-07": 77.0}, "up")
    assert (v.status, v.period, v.target_period, v.actual) == ("met", "2024-05", "2024-06", 79.0)
    assert v.holds is False and v.change_since == pytest.approx(-2.0)
    assert "last complete value before it" in v.rule
    # Nothing between baseline and target: no verdict rather than one read years before.
    assert target_verdict("2024-01", "2024-06", 78.0, {"2023-12": 90.0, "2024-07": 80.0},
                          "up") is None


def test_a_neutral_target_is_met_within_its_tolerance():
    from stocktake.analysis.trajectory import target_verdict

    # Hold at 50 within 5%: 52 is met (|2| <= 2.5), 53 missed; absolute 1: 52 missed.
    assert target_verdict("2020", "2024", 50.0, {"2024": 52.0}, "neutral", 5).status == "met"
    assert target_verdict("2020", "2024", 50.0, {"2024": 53.0}, "neutral", 5).status == "missed"
    assert target_verdict("2020", "2024", 50.0, {"2024": 52.0}, "neutral", 1,
                          "absolute").status == "missed"
