"""XmR charts with the Making Data Count rules (statistics.md s.1).

Every expected number is worked by hand in a comment, or comes from ``reference_xmr`` below: a
plain-Python loop written from the text of statistics.md, sharing no code with the module.
"""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pytest

from stocktake.analysis.spc import (
    COLOURS,
    ICON_COLOURS,
    ICON_LABELS,
    POINT_TYPES,
    RULES,
    xmr,
    xmr_many,
)
from stocktake.errors import Invalid

# A stable baseline used by many tests: 9, 11 repeated six times (12 points).
#   mean = (6 x 9 + 6 x 11) / 12 = 120 / 12 = 10
#   11 moving ranges, each |11 - 9| = 2, so AmR = 22 / 11 = 2
#   screening: 3.267 x 2 = 6.534, no range reaches it, AmR stays 2
#   upper = 10 + 2.66 x 2 = 15.32            lower = 10 - 5.32 = 4.68
#   near upper = 10 + (2/3 x 2.66) x 2 = 10 + 3.546666... = 13.546666...
#   near lower = 10 - 3.546666... = 6.453333...
# It alternates around the mean, so on its own it raises no signal. With
# fix_after_n_points=12 these limits hold for any points appended after it.
B = [9, 11] * 6
MEAN, UPPER, LOWER = 10.0, 15.32, 4.68
NEAR_UPPER, NEAR_LOWER = 10 + 2.66 * 2 / 3 * 2, 10 - 2.66 * 2 / 3 * 2


def rules(result):
    return [p.rule for p in result.points]


def types(result):
    return [p.point_type for p in result.points]


def months(n, start_year=2023):
    return [f"{start_year + i // 12}-{i % 12 + 1:02d}" for i in range(n)]


# -- limits -----------------------------------------------------------------------------------
def test_limits_worked_by_hand_and_no_signal_in_a_stable_series():
    r = xmr(B, months(12), polarity="up")
    p = r.points[0]
    assert p.mean == pytest.approx(MEAN)
    assert p.upper == pytest.approx(UPPER)
    assert p.lower == pytest.approx(LOWER)
    assert p.near_upper == pytest.approx(13.546666667)
    assert p.near_lower == pytest.approx(6.453333333)
    assert r.parts[0].amr == pytest.approx(2.0)
    assert rules(r) == ["none"] * 12
    assert types(r) == ["common_cause"] * 12
    assert r.variation_icon == "common_cause"
    assert r.assurance_icon is None
    assert r.warnings == []
    assert not any(p.trial for p in r.points)


def test_screening_on_and_off_changes_the_limits():
    # 21 points: (1, -1) x 6, then 10, -10, then (1, -1) x 3, then 6.
    values = [1, -1] * 6 + [10, -10] + [1, -1] * 3 + [6]
    # mean = (0 x 9 pairs + 10 - 10 + 6) / 21 = 6 / 21 = 0.285714...
    # 20 moving ranges: 11 x 2 in the first 12 points = 22; |10 - -1| = 11; |-10 - 10| = 20;
    #   |1 - -10| = 11; 5 x 2 in (1, -1, 1, -1, 1, -1) = 10; |6 - -1| = 7. Sum 81.
    # AmR unscreened = 81 / 20 = 4.05.
    # Screening: 3.267 x 4.05 = 13.23135: the 20 goes, 19 ranges sum 61, AmR = 61 / 19
    #   = 3.2105263...
    mean = 6 / 21
    on = xmr(values, screen_outliers=True)
    off = xmr(values, screen_outliers=False)
    assert on.parts[0].amr == pytest.approx(61 / 19)
    assert on.parts[0].amr_unscreened == pytest.approx(4.05)
    assert on.parts[0].n_screened_out == 1
    assert off.parts[0].amr == pytest.approx(4.05)
    assert off.parts[0].n_screened_out == 0
    # screened: upper = 0.285714 + 2.66 x 3.2105263 = 0.285714 + 8.54 = 8.825714
    #           lower = 0.285714 - 8.54 = -8.254286
    assert on.points[0].upper == pytest.approx(mean + 8.54)
    assert on.points[0].lower == pytest.approx(mean - 8.54)
    # unscreened: upper = 0.285714 + 2.66 x 4.05 = 0.285714 + 10.773 = 11.058714
    assert off.points[0].upper == pytest.approx(mean + 10.773)
    assert off.points[0].lower == pytest.approx(mean - 10.773)
    # So 10 and -10 are outside only with screening (8.83 < 10 < 11.06).
    assert [p.rule for p in on.points[12:14]] == ["outside", "outside"]
    assert [p.rule for p in off.points[12:14]] == ["none", "none"]
    assert on.parameters["screen_outliers"] is True
    assert off.parameters["screen_outliers"] is False


def test_screening_drops_a_range_exactly_at_the_threshold():
    # values 0, 733, 0, 733, 10534: ranges 733, 733, 733 and 9801.
    # AmR = (3 x 733 + 9801) / 4 = 12000 / 4 = 3000; 3.267 x 3000 = 9801 (exactly, in floats
    # too, checked below). ">= 3.267 AmR" drops the 9801: AmR = 2199 / 3 = 733.
    assert 3.267 * 3000.0 == 9801.0
    r = xmr([0, 733, 0, 733, 10534])
    assert r.parts[0].n_screened_out == 1
    assert r.parts[0].amr == pytest.approx(733.0)


def test_fix_after_n_points_holds_the_limits_for_later_points():
    values = B + [30, 9, 11]
    fixed = xmr(values, fix_after_n_points=12)
    # Baseline is B: mean 10, AmR 2, upper 15.32 for all 15 points.
    assert [p.mean for p in fixed.points] == pytest.approx([MEAN] * 15)
    assert [p.upper for p in fixed.points] == pytest.approx([UPPER] * 15)
    assert [p.baseline for p in fixed.points] == [True] * 12 + [False] * 3
    assert fixed.points[12].rule == "outside"
    assert fixed.parameters["fix_after_n_points"] == 12
    # Unfixed: mean = (120 + 30 + 9 + 11) / 15 = 170 / 15 = 11.3333
    # ranges: 11 x 2, |30-11| = 19, |9-30| = 21, |11-9| = 2: sum 22 + 19 + 21 + 2 = 64, 14 ranges
    # AmR = 64 / 14 = 4.5714; screen 3.267 x 4.5714 = 14.935 drops 19 and 21;
    # AmR = 24 / 12 = 2, upper = 11.3333 + 5.32 = 16.6533
    free = xmr(values)
    assert free.points[0].mean == pytest.approx(170 / 15)
    assert free.parts[0].amr_unscreened == pytest.approx(64 / 14)
    assert free.parts[0].amr == pytest.approx(2.0)
    assert free.points[0].upper == pytest.approx(170 / 15 + 5.32)


def test_fix_after_more_points_than_the_series_has_uses_all_and_says_so():
    values = B + [9, 11, 9]  # 15 points, fix after 20
    r = xmr(values, fix_after_n_points=20)
    # mean = (120 + 29) / 15 = 149 / 15; 14 ranges of 2, AmR 2
    assert r.points[0].mean == pytest.approx(149 / 15)
    assert r.parts[0].amr == pytest.approx(2.0)
    assert any("fix_after_n_points=20" in w for w in r.warnings)


def test_a_flat_baseline_puts_the_limits_on_the_mean_and_says_so():
    # twelve 5s: mean 5, every moving range 0, AmR 0 (screening has nothing to drop), so all
    # four limits are 5 and the 6 after the baseline is outside.
    r = xmr([5] * 12 + [6], fix_after_n_points=12, polarity="up")
    assert (r.points[-1].lower, r.points[-1].upper) == (5.0, 5.0)
    assert rules(r) == ["none"] * 12 + ["outside"]
    assert any("AmR = 0" in w for w in r.warnings)


# -- the four rules ---------------------------------------------------------------------------
def test_outside_the_limits():
    r = xmr(B + [16, 10, 4], fix_after_n_points=12, polarity="up")
    # 16 > 15.32 and 4 < 4.68: outside; 10 sits on the mean.
    assert rules(r)[12:] == ["outside", "none", "outside"]
    assert types(r)[12:] == ["improvement", "common_cause", "concern"]
    assert [r.points[12].direction, r.points[14].direction] == ["high", "low"]
    # A point exactly on the upper limit is inside (the rule is strictly greater). Baseline
    # (0, 2) x 6: mean 12 / 12 = 1 and AmR 22 / 11 = 2 exactly, so the limit is 1 + 2.66 x 2.
    on_limit = xmr([0, 2] * 6 + [1 + 2.66 * 2], fix_after_n_points=12)
    assert on_limit.points[-1].upper == 1 + 2.66 * 2
    assert on_limit.points[-1].rule == "none"
    assert xmr([0, 2] * 6 + [1 + 2.66 * 2 + 1e-9], fix_after_n_points=12).points[-1].rule == (
        "outside"
    )


def test_shift_of_seven_on_one_side():
    # The last point of B (11) and six 12s: seven in a row above the mean of 10.
    r = xmr(B + [12] * 6, fix_after_n_points=12, polarity="down")
    assert rules(r) == ["none"] * 11 + ["shift"] * 7
    assert types(r)[11:] == ["concern"] * 7  # higher is worse for 'down'
    # Six in a row is not enough: B + 12 x 5 gives 11 plus five 12s.
    assert "shift" not in rules(xmr(B + [12] * 5, fix_after_n_points=12))


def test_a_point_exactly_on_the_mean_breaks_a_shift():
    # 11, 12, 12, 12 (4 above), then 10 = the mean, then 12, 12, 12 (3 above): no shift.
    broken = xmr(B + [12, 12, 12, 10, 12, 12, 12], fix_after_n_points=12)
    assert set(rules(broken)) == {"none"}
    # The same with 10.5 (above the mean) is eight in a row above: a shift.
    unbroken = xmr(B + [12, 12, 12, 10.5, 12, 12, 12], fix_after_n_points=12)
    assert rules(unbroken) == ["none"] * 11 + ["shift"] * 8


def test_two_of_three_flags_only_the_near_limit_points():
    # 14 lies between the near upper limit 13.5467 and the upper limit 15.32; 12 does not.
    # Window (14, 12, 14): two near points, all three above the mean of 10.
    r = xmr(B + [14, 12, 14], fix_after_n_points=12, polarity="up")
    assert rules(r)[12:] == ["two_of_three", "none", "two_of_three"]
    assert types(r)[12:] == ["improvement", "common_cause", "improvement"]
    # Window (14, 8, 14): 8 is below the mean, so the three are not on one side: nothing.
    r = xmr(B + [14, 8, 14], fix_after_n_points=12)
    assert set(rules(r)) == {"none"}
    # A point outside counts for its side but is not a near point: (14, 16, 14) still has
    # two near points, and 16 is flagged as outside.
    r = xmr(B + [14, 16, 14], fix_after_n_points=12)
    assert rules(r)[12:] == ["two_of_three", "outside", "two_of_three"]
    # Low side: 6 is below the near lower limit 6.4533; (6, 8, 6) all below the mean.
    r = xmr(B + [6, 8, 6], fix_after_n_points=12, polarity="up")
    assert rules(r)[12:] == ["two_of_three", "none", "two_of_three"]
    assert types(r)[12:] == ["concern", "common_cause", "concern"]


def test_trend_below_the_mean_is_oriented_by_its_direction():
    # 5, 6, 7, 7.5, 8, 8.5, 9: six rises, seven points, all below the mean of 10.
    # They are also a shift (7 below the mean) and 5, 6 are below the near lower limit
    # 6.4533 (a two-of-three), but trend comes first. 5 > 4.68, so nothing is outside.
    values = B + [5, 6, 7, 7.5, 8, 8.5, 9]
    up = xmr(values, fix_after_n_points=12, polarity="up")
    assert rules(up) == ["none"] * 12 + ["trend"] * 7
    # rising is good for 'up' even though every point is below the mean
    assert types(up)[12:] == ["improvement"] * 7
    assert {p.direction for p in up.points[12:]} == {"high"}
    assert up.variation_icon == "improvement_high"
    down = xmr(values, fix_after_n_points=12, polarity="down")
    assert types(down)[12:] == ["concern"] * 7
    assert down.variation_icon == "concern_high"
    neutral = xmr(values, fix_after_n_points=12, polarity="neutral")
    assert types(neutral)[12:] == ["neutral"] * 7
    assert neutral.variation_icon == "neutral_high"


def test_an_unchanged_value_breaks_a_trend():
    # 5, 6, 7, 7, 8, 9, 10: the repeated 7 is not "higher than the one before".
    r = xmr(B + [5, 6, 7, 7, 8, 9, 10], fix_after_n_points=12)
    assert "trend" not in rules(r)
    # (5, 6, 7) has two points below the near lower limit 6.4533, all below the mean: 2-of-3.
    assert rules(r)[12:] == ["two_of_three", "two_of_three"] + ["none"] * 5


def test_precedence_outside_over_trend_over_shift():
    # 9, 11 (the end of B), 11.5, 12, 12.5, 13, 14, 16: eight rising points (a trend); the last
    # seven are above the mean (a shift); 16 > 15.32 is outside. 14 is the only near point in
    # (13, 14, 16), so no two-of-three.
    r = xmr(B + [11.5, 12, 12.5, 13, 14, 16], fix_after_n_points=12, polarity="up")
    assert rules(r) == ["none"] * 10 + ["trend"] * 7 + ["outside"]
    assert set(types(r)[10:]) == {"improvement"}


def test_precedence_two_of_three_over_shift():
    # 11, 12, 12, 14, 12, 14, 12: seven above the mean (shift); (14, 12, 14) is a two-of-three.
    r = xmr(B + [12, 12, 14, 12, 14, 12], fix_after_n_points=12)
    assert rules(r)[11:] == [
        "shift", "shift", "shift", "two_of_three", "shift", "two_of_three", "shift",
    ]  # fmt: skip


def test_the_point_joining_two_trends_takes_the_step_after_it():
    # 7, 8, ..., 13 rises (positions 12-18); 13, 12, ..., 7 falls (positions 18-24).
    # Nothing is outside or near (7 > 6.4533, 13 < 13.5467); no seven on one side.
    r = xmr(B + list(range(7, 14)) + list(range(12, 6, -1)), fix_after_n_points=12, polarity="up")
    assert rules(r) == ["none"] * 12 + ["trend"] * 13
    directions = [p.direction for p in r.points[12:]]
    # the peak (13, position 18) belongs to both trends and takes the fall after it
    assert directions == ["high"] * 6 + ["low"] * 7
    assert types(r)[12:] == ["improvement"] * 6 + ["concern"] * 7
    assert r.variation_icon == "concern_low"


def test_the_end_of_a_trend_followed_by_a_drop_keeps_its_own_direction():
    # 7..13 rises, drops to 7, then 7..13 rises again. The first 13 is in a rising trend only;
    # the step after it (a fall) belongs to no trend, so the 13 stays "high". (NHSRplotthedots'
    # code would read it from the step after; the module docstring explains the choice.)
    r = xmr(B + list(range(7, 14)) * 2, fix_after_n_points=12, polarity="up")
    assert rules(r)[12:] == ["trend"] * 14
    assert {p.direction for p in r.points[12:]} == {"high"}


# -- rebasing and trial limits ----------------------------------------------------------------
def test_rebasing_gives_each_part_its_own_limits():
    values = B + [19, 21] * 6
    periods = months(24)  # 2023-01 .. 2024-12
    whole = xmr(values, periods)
    # One part: mean = (120 + 240) / 24 = 15; ranges 11 x 2 + |19 - 11| = 8 + 11 x 2 = 52 over
    # 23, AmR 2.2609; 3.267 x 2.2609 = 7.386 drops the 8, AmR = 44 / 22 = 2.
    # upper = 15 + 5.32 = 20.32, lower = 9.68: every 9 and every 21 is outside.
    assert whole.points[0].mean == pytest.approx(15.0)
    assert whole.points[0].upper == pytest.approx(20.32)
    assert rules(whole).count("outside") == 12
    rebased = xmr(values, periods, rebase_at=["2024-01"])
    # Part 1 = B: mean 10, limits 4.68..15.32. Part 2 = (19, 21) x 6: mean 20, AmR 2,
    # limits 14.68..25.32. The 11 -> 19 jump is in no part, so it is no moving range.
    first, second = rebased.parts
    assert (first.mean, second.mean) == (pytest.approx(10.0), pytest.approx(20.0))
    assert (first.amr, second.amr) == (pytest.approx(2.0), pytest.approx(2.0))
    assert (first.n_moving_ranges, second.n_moving_ranges) == (11, 11)
    assert rebased.points[12].lower == pytest.approx(14.68)
    assert rebased.points[12].upper == pytest.approx(25.32)
    assert [p.part for p in rebased.points] == [0] * 12 + [1] * 12
    assert set(rules(rebased)) == {"none"}
    assert rebased.parameters["rebase_at"] == ["2024-01"]
    # A 0-based position works too.
    assert rules(xmr(values, periods, rebase_at=[12])) == rules(rebased)


def test_each_part_has_its_own_fix_after_logic():
    values = B + [30] + [19, 21] * 6 + [40]
    r = xmr(values, rebase_at=[13], fix_after_n_points=12)
    # part 1: baseline B (mean 10), the 30 comes after it; part 2: baseline (19, 21) x 6
    # (mean 20), the 40 after it. Unfixed, part 1's mean would be (120 + 30) / 13 = 11.54.
    assert r.points[12].mean == pytest.approx(10.0)
    assert r.points[-1].mean == pytest.approx(20.0)
    assert [p.rule for p in (r.points[12], r.points[-1])] == ["outside", "outside"]
    assert xmr(values, rebase_at=[13]).points[0].mean == pytest.approx(150 / 13)


def test_rules_do_not_run_across_a_rebase():
    # 13, 14, 15 | 16, 17, 18, 19 rises across the rebase: no trend within either part.
    values = B + [13, 14, 15] + [16, 17, 18, 19] + [20, 18] * 4
    r = xmr(values, rebase_at=[15])
    assert "trend" not in rules(r)
    assert "trend" in rules(xmr(values))


def test_short_part_has_trial_limits_with_a_warning():
    values = B + [19, 21, 19, 21, 19]
    r = xmr(values, months(17), rebase_at=["2024-01"], polarity="up")
    # second part: mean = 99 / 5 = 19.8, four ranges of 2, AmR 2
    assert r.parts[1].mean == pytest.approx(19.8)
    assert r.parts[1].trial and not r.parts[0].trial
    assert [p.trial for p in r.points] == [False] * 12 + [True] * 5
    assert len(r.warnings) == 1
    assert "trial" in r.warnings[0] and "2024-01" in r.warnings[0] and "5 points" in r.warnings[0]
    short = xmr([9, 11, 9, 11, 9, 11, 9, 11])
    assert all(p.trial for p in short.points)
    assert any("8 points" in w and "trial" in w for w in short.warnings)


# -- missing values and gaps ------------------------------------------------------------------
def test_missing_values_are_dropped_and_no_range_spans_them():
    r = xmr([10, 12, None, 20, 22], months(5))
    # mean = (10 + 12 + 20 + 22) / 4 = 16; ranges |12 - 10| = 2 and |22 - 20| = 2: AmR 2.
    # (Bridging the gap would add |20 - 12| = 8: AmR 4 and upper 26.64.)
    # upper = 16 + 5.32 = 21.32, so 22 is outside.
    assert [p.period for p in r.points] == ["2023-01", "2023-02", "2023-04", "2023-05"]
    assert r.parts[0].amr == pytest.approx(2.0)
    assert r.points[-1].upper == pytest.approx(21.32)
    assert r.points[-1].rule == "outside"
    assert any("missing" in w and "2023-03" in w for w in r.warnings)
    assert rules(xmr([10, 12, math.nan, 20, 22])) == rules(r)


def test_absent_periods_break_moving_ranges_like_missing_values():
    r = xmr([10, 12, 20, 22], ["2024-01", "2024-02", "2024-04", "2024-05"])
    assert r.parts[0].amr == pytest.approx(2.0)  # same arithmetic as above
    assert any("absent" in w for w in r.warnings)
    # labels that are not period codes are taken in the order given
    assert xmr([10, 12, 20, 22], ["a", "b", "c", "d"]).parts[0].amr == pytest.approx(4.0)


def test_a_run_counts_observed_points_across_a_missing_value():
    # 11 and six 12s above the mean, with a missing value among the 12s: still a shift.
    r = xmr(B + [12, 12, 12, None, 12, 12, 12], fix_after_n_points=12)
    assert rules(r) == ["none"] * 11 + ["shift"] * 7


# -- icons ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("last", "polarity", "icon"),
    [
        (16, "up", "improvement_high"),
        (16, "down", "concern_high"),
        (16, "neutral", "neutral_high"),
        (4, "up", "concern_low"),
        (4, "down", "improvement_low"),
        (4, "neutral", "neutral_low"),
        (10, "up", "common_cause"),
    ],
)
def test_variation_icon_from_the_last_point(last, polarity, icon):
    # 16 > 15.32 and 4 < 4.68 are outside; 10 is common cause.
    r = xmr(B + [last], fix_after_n_points=12, polarity=polarity)
    assert r.variation_icon == icon
    assert r.variation_label == ICON_LABELS[icon]


@pytest.mark.parametrize(
    ("polarity", "target", "icon"),
    [
        ("up", 16, "consistently_fails"),  # target above the upper limit 15.32
        ("up", 4, "consistently_passes"),  # target below the lower limit 4.68
        ("up", 10, "inconsistent"),
        ("down", 16, "consistently_passes"),
        ("down", 4, "consistently_fails"),
        ("down", 10, "inconsistent"),
        ("neutral", 16, None),
        ("up", None, None),
    ],
)
def test_assurance_icon_from_the_last_points_limits(polarity, target, icon):
    r = xmr(B, polarity=polarity, target=target)
    assert r.assurance_icon == icon
    assert r.assurance_label == (None if icon is None else ICON_LABELS[icon])


def test_a_target_exactly_on_a_limit_is_hit_and_miss():
    # B: mean 120 / 12 = 10 and AmR 22 / 11 = 2 exactly, so the limits are 10 +/- 2.66 x 2.
    assert xmr(B, polarity="up", target=10 + 2.66 * 2).assurance_icon == "inconsistent"
    assert xmr(B, polarity="down", target=10 - 2.66 * 2).assurance_icon == "inconsistent"
    assert xmr(B, polarity="up", target=10 + 2.66 * 2 + 1e-9).assurance_icon == (
        "consistently_fails"
    )


def test_assurance_uses_the_limits_of_the_last_part():
    values = B + [19, 21] * 6
    # whole series: limits 9.68..20.32 (see the rebasing test), 12 inside them
    assert xmr(values, polarity="up", target=12).assurance_icon == "inconsistent"
    # last part: limits 14.68..25.32, target 12 below the lower limit
    rebased = xmr(values, polarity="up", target=12, rebase_at=[12])
    assert rebased.assurance_icon == "consistently_passes"


def test_published_colours_and_labels():
    assert COLOURS == {
        "common_cause": "#a6a6a6",
        "improvement": "#00b0f0",
        "concern": "#e46c0a",
        "neutral": "#490092",
        "target": "#de1b1b",
    }
    icons = {"too_few_points", "common_cause", "consistently_passes", "consistently_fails",
             "inconsistent"}
    icons |= {f"{t}_{d}" for t in ("improvement", "concern", "neutral") for d in ("high", "low")}
    assert set(ICON_LABELS) == icons == set(ICON_COLOURS)
    assert all(label.strip() for label in ICON_LABELS.values())
    assert ICON_COLOURS["concern_low"] == "#e46c0a"


# -- output -----------------------------------------------------------------------------------
def test_to_dict_is_json_and_names_the_method():
    r = xmr(B + [16], months(13), polarity="up", target=12.0, fix_after_n_points=12)
    d = json.loads(json.dumps(r.to_dict()))
    assert d["method"] == "XmR (Making Data Count)"
    assert d["variation_icon"] == "improvement_high"
    assert d["assurance_icon"] == "inconsistent"
    params = d["parameters"]
    assert params["process_limit_constant"] == 2.66
    assert params["near_limit_constant"] == pytest.approx(1.7733, abs=1e-4)
    assert params["outlier_screen_constant"] == 3.267
    assert params["screen_outliers"] is True
    assert params["fix_after_n_points"] == 12
    assert params["rebase_at"] == []
    last = d["points"][-1]
    for key in ("period", "value", "mean", "lower", "upper", "near_lower", "near_upper"):
        assert key in last
    assert (last["period"], last["value"], last["rule"], last["point_type"]) == (
        "2024-01", 16.0, "outside", "improvement",
    )  # fmt: skip
    assert d["warnings"] == []
    assert "XmR" in r.summary() and "part 1" in r.summary()


# -- bad input --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message", "kind"),
    [
        ({"values": []}, "empty", ValueError),
        ({"values": ["a", "b"]}, r"values\[0\]", ValueError),
        ({"values": [1.0, "2"]}, r"values\[1\]", ValueError),
        ({"values": [1.0, math.inf, 2.0]}, "finite", Invalid),
        ({"values": [None, None]}, "all missing", Invalid),
        ({"values": "123"}, "sequence", ValueError),
        ({"values": B, "periods": months(11)}, "11 entries", ValueError),
        ({"values": [1, 2, 3], "periods": ["2024-01", "2024-01", "2024-02"]},
         "more than once", ValueError),
        ({"values": [1, 2, 3], "periods": ["2024-02", "2024-01", "2024-03"]},
         "increasing", ValueError),
        ({"values": [1, 2, 3], "periods": ["2024-01", "2024-02", "March"]}, "March", ValueError),
        ({"values": [1, 2, 3], "periods": ["2024-01", "2024-02", "2024-Q3"]}, "mix", ValueError),
        ({"values": B, "periods": months(12), "rebase_at": ["2030-01"]},
         "not in the series", Invalid),
        ({"values": B, "rebase_at": [12]}, "outside the series", Invalid),
        ({"values": B, "rebase_at": [0]}, "first period", Invalid),
        ({"values": B, "rebase_at": [4, 4]}, "more than once", Invalid),
        ({"values": B, "rebase_at": [11]}, "no two consecutive", Invalid),
        ({"values": B, "polarity": "sideways"}, "polarity", ValueError),
        ({"values": B, "fix_after_n_points": 5}, ">= 12", Invalid),
        ({"values": B, "target": "high"}, "target", Invalid),
        ({"values": [1.0, None, 2.0]}, "no two consecutive", Invalid),
    ],
)
def test_bad_input_raises_a_clear_error_of_its_kind(kwargs, message, kind):
    with pytest.raises(kind, match=message):
        xmr(**kwargs)


def test_xmr_many_on_rows_worked_by_hand():
    nan = math.nan
    matrix = np.array(
        [
            B + [16],  # fixed on B: mean 10, upper 15.32; 16 is outside (improvement for 'up')
            [1, nan] * 6 + [1],  # no two consecutive values: no moving range, not charted
            B + [nan],  # last observed point is the 11: common cause
        ]
    )
    batch = xmr_many(matrix, polarity="up", target=[20, 20, 10], fix_after_n_points=12)
    assert batch.charted.tolist() == [True, False, True]
    assert batch.mean[0, 0] == pytest.approx(10.0)
    assert batch.upper[0, 0] == pytest.approx(15.32)
    assert batch.lower[2, 0] == pytest.approx(4.68)
    assert not batch.trial[0, 0]
    assert RULES[batch.rule[0, 12]] == "outside"
    assert batch.rule[1].tolist() == [-1] * 13
    assert batch.rule[2, 12] == -1
    assert batch.variation_icon.tolist() == ["improvement_high", None, "common_cause"]
    # 20 > 15.32: fails for 'up'; 10 lies within 4.68..15.32
    assert batch.assurance_icon.tolist() == ["consistently_fails", None, "inconsistent"]


def test_bad_matrix_for_xmr_many():
    with pytest.raises(ValueError, match="2-D"):
        xmr_many(np.array([1.0, 2.0]))
    with pytest.raises(Invalid, match=">= 12"):
        xmr_many(np.ones((2, 20)), fix_after_n_points=3)
    with pytest.raises(ValueError, match="one per row"):
        xmr_many(np.ones((2, 20)), target=[1.0, 2.0, 3.0])


# -- against an independent implementation ----------------------------------------------------
NEAR = 2.66 * 2 / 3


def reference_xmr(values, polarity, fix=None, screen=True, rebase=()):
    """Plain loops from the text of statistics.md. ``values`` holds floats or None.

    Returns {position: (mean, lower, upper, near_lower, near_upper, rule, point_type, direction)}
    for observed positions, or None when some part has no moving range.
    """
    sign = {"up": 1, "down": -1, "neutral": 0}[polarity]
    n = len(values)
    cuts = [0, *sorted(rebase), n]
    out = {}
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        observed = [i for i in range(a, b) if values[i] is not None]
        baseline = observed if fix is None else observed[:fix]
        chosen = set(baseline)
        ranges = [abs(values[i] - values[i - 1]) for i in baseline if i - 1 in chosen]
        if not ranges:
            return None
        mean = sum(values[i] for i in baseline) / len(baseline)
        amr = sum(ranges) / len(ranges)
        if screen and amr > 0:
            kept = [r for r in ranges if r < 3.267 * amr]
            amr = sum(kept) / len(kept)
        upper, lower = mean + 2.66 * amr, mean - 2.66 * amr
        near_upper, near_lower = mean + NEAR * amr, mean - NEAR * amr

        ys = [values[i] for i in observed]
        k = len(ys)
        outside = [y > upper or y < lower for y in ys]
        side = [1 if y > mean else -1 if y < mean else 0 for y in ys]
        near = [
            not o and (y > near_upper or y < near_lower) for y, o in zip(ys, outside, strict=True)
        ]
        rising, falling, shift, two = [False] * k, [False] * k, [False] * k, [False] * k
        for s in range(k - 6):
            rises = [ys[s + t + 1] > ys[s + t] for t in range(6)]
            falls = [ys[s + t + 1] < ys[s + t] for t in range(6)]
            for t in range(7):
                rising[s + t] = rising[s + t] or all(rises)
                falling[s + t] = falling[s + t] or all(falls)
            if all(v == 1 for v in side[s : s + 7]) or all(v == -1 for v in side[s : s + 7]):
                for t in range(7):
                    shift[s + t] = True
        for s in range(k - 2):
            window = side[s : s + 3]
            same_side = all(v == 1 for v in window) or all(v == -1 for v in window)
            if same_side and sum(near[s : s + 3]) >= 2:
                for t in range(s, s + 3):
                    two[t] = two[t] or near[t]
        for j in range(k):
            if outside[j]:
                rule, d = "outside", side[j]
            elif rising[j] and falling[j]:
                rule, d = "trend", 1 if ys[j + 1] > ys[j] else -1
            elif rising[j] or falling[j]:
                rule, d = "trend", 1 if rising[j] else -1
            elif two[j]:
                rule, d = "two_of_three", side[j]
            elif shift[j]:
                rule, d = "shift", side[j]
            else:
                rule, d = "none", 0
            if rule == "none":
                kind = "common_cause"
            elif sign == 0:
                kind = "neutral"
            else:
                kind = "improvement" if d * sign > 0 else "concern"
            out[observed[j]] = (mean, lower, upper, near_lower, near_upper, rule, kind, d)
    return out


def reference_icons(ref, polarity, target, rebase=()):
    last = ref[max(ref)]
    _, lower, upper, _, _, _, kind, d = last
    variation = "common_cause" if kind == "common_cause" else f"{kind}_{'high' if d > 0 else 'low'}"
    if sum(1 for i in ref if i >= max([0, *rebase])) < 7:  # observed points in the last part
        variation = "too_few_points"
    if target is None or polarity == "neutral":
        return variation, None
    good_high = polarity == "up"
    if target > upper:
        return variation, "consistently_fails" if good_high else "consistently_passes"
    if target < lower:
        return variation, "consistently_passes" if good_high else "consistently_fails"
    return variation, "inconsistent"


def random_series(rng: random.Random, n: int, missing: float):
    """Integer-valued series (sums are exact, so both implementations get identical floats)."""
    shape = rng.choice(["noise", "walk", "step", "slope", "flat", "spiky"])
    level, values = rng.randint(-20, 50), []
    for i in range(n):
        if shape == "walk":
            level += rng.randint(-3, 3)
            v = level
        elif shape == "step":
            v = level + (15 if i > n // 2 else 0) + rng.randint(-3, 3)
        elif shape == "slope":
            v = level + i + rng.randint(-2, 2)
        elif shape == "flat":
            v = level + (rng.random() < 0.1) * rng.randint(-2, 2)
        elif shape == "spiky":
            v = level + rng.randint(-2, 2) + (rng.random() < 0.1) * rng.randint(-40, 40)
        else:
            v = level + rng.randint(-5, 5)
        values.append(None if rng.random() < missing else float(v))
    return values


def check_against_reference(values, polarity, fix, screen, rebase, target):
    ref = reference_xmr(values, polarity, fix, screen, rebase)
    kwargs = dict(
        polarity=polarity,
        fix_after_n_points=fix,
        screen_outliers=screen,
        rebase_at=rebase,
        target=target,
    )
    if ref is None:  # a part with no two consecutive values: the data's problem
        with pytest.raises(Invalid):
            xmr(values, **kwargs)
        return None
    r = xmr(values, **kwargs)
    assert [int(p.period) for p in r.points] == sorted(ref)
    for p in r.points:
        mean, lower, upper, near_lower, near_upper, rule, kind, d = ref[int(p.period)]
        assert (p.rule, p.point_type) == (rule, kind), (values, p)
        assert p.direction == {1: "high", -1: "low", 0: None}[d]
        assert (p.mean, p.lower, p.upper) == (
            pytest.approx(mean),
            pytest.approx(lower),
            pytest.approx(upper),
        )
        assert (p.near_lower, p.near_upper) == (
            pytest.approx(near_lower),
            pytest.approx(near_upper),
        )
    assert (r.variation_icon, r.assurance_icon) == reference_icons(ref, polarity, target, rebase)
    return ref


@pytest.mark.slow
def test_xmr_matches_the_plain_python_reference_on_random_series():
    rng = random.Random(20240601)
    signals = set()
    for _ in range(400):
        n = rng.randint(2, 60)
        values = random_series(rng, n, missing=rng.choice([0.0, 0.0, 0.1]))
        polarity = rng.choice(["up", "down", "neutral"])
        fix = rng.choice([None, None, 12, 15])
        rebase = sorted(rng.sample(range(1, n), k=min(n - 1, rng.choice([0, 0, 1, 2]))))
        target = rng.choice([None, float(rng.randint(-20, 60))])
        ref = check_against_reference(values, polarity, fix, rng.random() < 0.7, rebase, target)
        if ref:
            signals |= {v[5] for v in ref.values()}
    # the random cases did exercise every rule
    assert signals == set(RULES)


@pytest.mark.slow
def test_xmr_many_matches_the_reference_row_by_row():
    rng = random.Random(7)
    rows, cols, rebase = 300, 40, [25]
    series = [random_series(rng, cols, missing=rng.choice([0.0, 0.05])) for _ in range(rows)]
    matrix = np.array([[math.nan if v is None else v for v in s] for s in series])
    targets = np.array([rng.choice([math.nan, float(rng.randint(-20, 60))]) for _ in range(rows)])
    for polarity in ("up", "down", "neutral"):
        batch = xmr_many(matrix, polarity=polarity, target=targets, rebase_at=rebase, chunk_rows=64)
        assert batch.upper.shape == (rows, 2)
        for i, values in enumerate(series):
            ref = reference_xmr(values, polarity, None, True, rebase)
            if ref is None:
                assert not batch.charted[i]
                continue
            assert batch.charted[i]
            for j in range(cols):
                if j not in ref:
                    assert batch.rule[i, j] == -1
                    continue
                mean, lower, upper, _, _, rule, kind, _ = ref[j]
                k = batch.part[j]
                assert RULES[batch.rule[i, j]] == rule
                assert POINT_TYPES[batch.point_type[i, j]] == kind
                assert batch.mean[i, k] == pytest.approx(mean)
                assert batch.upper[i, k] == pytest.approx(upper)
            target = None if math.isnan(targets[i]) else float(targets[i])
            assert (batch.variation_icon[i], batch.assurance_icon[i]) == reference_icons(
                ref, polarity, target, rebase
            )


# -- read_chart: accepted rebases placed leniently, the reading described ------------------
def test_accepted_rebases_start_at_their_period_or_the_next_one_with_a_value():
    from stocktake.analysis.spc import rebase_positions

    periods = ["2024-01", "2024-02", "2024-04", "2024-05", "2024-06"]
    positions, notes = rebase_positions(periods, ["2024-03", "2024-05", "2023-12", "2025-01"])
    assert positions == [2, 3]
    assert any("2024-03: no value then, limits restart at 2024-04" in n for n in notes)
    assert any("2023-12 is outside" in n for n in notes)
    assert any("2025-01 is outside" in n for n in notes)


def test_read_chart_applies_accepted_rebases_and_describes_the_reading():
    from stocktake.analysis.spc import describe_reading, read_chart

    rng = np.random.default_rng(11)
    y = np.r_[rng.normal(50, 1, 30), rng.normal(56, 1, 30)]
    periods = [str(1950 + i) for i in range(60)]
    plain = read_chart(y, periods, polarity="up")
    assert plain.seasonal["season_length"] is None and not plain.seasonal["applied"]
    assert [s["period"] for s in plain.rebase_suggestions] == ["1980"]
    assert len(plain.parts) == 1  # suggested, not applied
    d = plain.to_dict()
    assert "suggests new limits from 1980" in describe_reading(d)
    assert "Not applied" in describe_reading(d)
    rebased = read_chart(y, periods, polarity="up", accepted_rebases=["1980"])
    assert [p.first_period for p in rebased.parts] == ["1950", "1980"]
    assert rebased.parts[1].mean == pytest.approx(y[30:].mean())
    assert rebased.rebase_suggestions == []
    d = rebased.to_dict()
    d["accepted_rebases"] = [{"period": "1980", "accepted_by": "ana",
                              "accepted_at": "2026-01-02T10:00:00", "reason": "new service"}]
    assert describe_reading(d) == ("Limits restart at 1980: accepted by ana on 2026-01-02 "
                                   "(new service).")
    with pytest.raises(ValueError, match="one period code per value"):
        read_chart(y, periods[:-1])


def test_a_seasonal_chart_reads_the_target_at_its_own_season():
    """A target for June on a chart of seasonally adjusted values is moved by June's effect
    before it meets the limits: June runs 8 above the year's level, so a target of 77.5 in
    June is 69.5 on the adjusted scale (worked by hand from the planted profile), hit and
    miss against limits around 70; read as given it would 'consistently fail'."""
    from stocktake.analysis.spc import read_chart

    rng = np.random.default_rng(5)
    periods = [f"{2018 + i // 12}-{i % 12 + 1:02d}" for i in range(96)]
    season = {6: 8.0, 12: -8.0}
    y = [70 + season.get(i % 12 + 1, 0.0) + rng.normal(0, 0.5) for i in range(96)]
    chart = read_chart(y, periods, polarity="up", target=77.5, target_period="2026-06")
    assert chart.seasonal["applied"] and chart.seasonal["model"] == "additive"
    assert chart.seasonal["target_on_adjusted_scale"] == pytest.approx(69.5, abs=0.3)
    last = chart.parts[-1]
    assert last.lower < chart.seasonal["target_on_adjusted_scale"] < last.upper
    assert chart.assurance_icon == "inconsistent"
    assert chart.parameters["target"] == 77.5  # the stated target is kept as stated
    as_given = read_chart(y, periods, polarity="up", target=77.5)
    assert as_given.assurance_icon == "consistently_fails"
    assert as_given.seasonal["target_on_adjusted_scale"] == 77.5
