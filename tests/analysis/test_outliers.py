"""Outlier detection against each unit's own history, checked by hand and by a plain loop."""

from __future__ import annotations

import math
import random
import statistics

import polars as pl
import pytest

from stocktake.analysis.outliers import (
    MIN_MAX_WARNING,
    RESULT_COLUMNS,
    Outlier,
    check_values,
    outliers,
)
from stocktake.errors import Invalid


def frame(rows: list[tuple]) -> pl.DataFrame:
    """(indicator, unit, period_ordinal, value) rows."""
    return pl.DataFrame(
        rows,
        schema={
            "indicator": pl.String,
            "unit": pl.String,
            "period_ordinal": pl.Int64,
            "value": pl.Float64,
        },
        orient="row",
    )


def series(values: list[float | None], *, first: int = 1, indicator="anc", unit="u1"):
    return frame([(indicator, unit, first + i, v) for i, v in enumerate(values)])


def new_values(values: list[float | None], period: int, *, indicator="anc", unit="u1"):
    return frame([(indicator, unit, period, v) for v in values])


# History [10, 12, 11, 13, 12, 50] (periods 1..6), one wild value in it.
#   sorted 10 11 12 12 13 50 -> median = (12 + 12) / 2 = 12
#   |x - 12| = 2 0 1 1 0 38, sorted 0 0 1 1 2 38 -> MAD = (1 + 1) / 2 = 1
#   modified z(20) = 0.6745 * |20 - 12| / 1 = 5.396 > 3.5: flagged (above)
#   modified z(14) = 0.6745 * 2 = 1.349: not flagged
#   modified z(6) = 0.6745 * 6 = 4.047 > 3.5: flagged (below)
#   modified z(8) = 0.6745 * 4 = 2.698: not flagged
#   bounds 12 -/+ 3.5 * 1 / 0.6745 = 12 -/+ 5.189029 -> 6.810971 and 17.189029
# The mean and sd are dragged by the 50: mean = 108 / 6 = 18; deviations -8 -6 -7 -5 -6 32,
# squares sum to 64 + 36 + 49 + 25 + 36 + 1024 = 1234, population sd = sqrt(1234 / 6)
# = 14.341083, so z(20) = 2 / 14.341083 = 0.139459: the z-score misses what the MAD catches.
WILD = [10, 12, 11, 13, 12, 50]


def test_modified_z_by_hand():
    r = check_values(new_values([20, 14, 6, 8], 7), series(WILD))
    assert r["method"].to_list() == ["modified_z"] * 4
    assert r["threshold"].to_list() == [3.5] * 4 and r["window"].to_list() == [36] * 4
    assert r["n_history"].to_list() == [6] * 4
    assert r["centre"].to_list() == [12.0] * 4 and r["spread"].to_list() == [1.0] * 4
    assert r["score"].to_list() == pytest.approx([5.396, 1.349, 4.047, 2.698], abs=1e-12)
    assert r["lower"].to_list() == pytest.approx([6.810971] * 4, abs=1e-6)
    assert r["upper"].to_list() == pytest.approx([17.189029] * 4, abs=1e-6)
    assert r["flagged"].to_list() == [True, False, True, False]
    assert r["reason"].to_list() == ["above upper bound", None, "below lower bound", None]
    assert r["warning"].to_list() == [None] * 4


def test_z_score_on_the_same_history_is_dragged_by_the_wild_value():
    r = check_values(new_values([20], 7), series(WILD), method="z_score")
    assert r["centre"][0] == pytest.approx(18.0)
    assert r["spread"][0] == pytest.approx(math.sqrt(1234 / 6))
    assert r["score"][0] == pytest.approx(0.139459, abs=1e-6)
    assert not r["flagged"][0]


# History [2, 4, 4, 4, 5, 5, 7, 9]: mean 40 / 8 = 5; squared deviations 9 1 1 1 0 0 4 16 sum
# to 32, population sd = sqrt(32 / 8) = 2 (the sample sd would be sqrt(32 / 7) = 2.138090).
#   z(12)   = 7 / 2 = 3.5 > 3: flagged above
#   z(11)   = 6 / 2 = 3.0, not > 3: not flagged (the bound itself is inside)
#   z(11.2) = 6.2 / 2 = 3.1: flagged; with the sample sd it would be 6.2 / 2.138 = 2.90, not
#   z(-1.5) = 6.5 / 2 = 3.25: flagged below
#   bounds 5 -/+ 3 * 2 = -1 and 11
CLASSIC = [2, 4, 4, 4, 5, 5, 7, 9]


def test_z_score_by_hand_uses_the_population_sd():
    r = check_values(new_values([12, 11, 11.2, -1.5], 9), series(CLASSIC), method="z_score")
    assert r["threshold"].to_list() == [3.0] * 4
    assert r["centre"].to_list() == [5.0] * 4 and r["spread"].to_list() == [2.0] * 4
    assert r["score"].to_list() == pytest.approx([3.5, 3.0, 3.1, 3.25])
    assert r["lower"].to_list() == [-1.0] * 4 and r["upper"].to_list() == [11.0] * 4
    assert r["flagged"].to_list() == [True, False, True, True]
    assert r["reason"].to_list() == [
        "above upper bound",
        None,
        "above upper bound",
        "below lower bound",
    ]


def test_threshold_is_the_callers_when_given():
    # z(12) = 3.5 is not above a threshold of 4; modified z(20) = 5.396 is not above 6.
    r = check_values(new_values([12], 9), series(CLASSIC), method="z_score", threshold=4)
    assert r["threshold"][0] == 4.0 and r["upper"][0] == 5 + 4 * 2 and not r["flagged"][0]
    r = check_values(new_values([20], 7), series(WILD), threshold=6)
    assert r["upper"][0] == pytest.approx(12 + 6 / 0.6745) and not r["flagged"][0]


def test_no_spread_gives_score_zero_and_no_flag():
    # 0.1 six times: a naive mean (0.6000000000000001 / 6) would leave a tiny sd and an
    # enormous z for any other value; the sd must be exactly 0.
    r = check_values(new_values([0.1, 100], 7), series([0.1] * 6), method="z_score")
    assert r["spread"].to_list() == [0.0, 0.0] and r["centre"].to_list() == [0.1, 0.1]
    assert r["score"].to_list() == [0.0, 0.0] and r["flagged"].to_list() == [False, False]
    assert r["lower"].to_list() == [None, None] and r["upper"].to_list() == [None, None]
    assert r["reason"].to_list() == ["no spread in history (sd = 0): score 0, not flagged"] * 2


def test_mad_zero_on_a_zero_inflated_series():
    # [0, 0, 0, 7, 0, 0]: median 0; |x - 0| = 0 0 0 7 0 0, median 0 = MAD: no modified z.
    r = check_values(new_values([500], 7), series([0, 0, 0, 7, 0, 0]))
    assert r["centre"][0] == 0.0 and r["spread"][0] == 0.0
    assert r["score"][0] == 0.0 and not r["flagged"][0]
    assert r["upper"][0] is None
    assert r["reason"][0] == "no spread in history (MAD = 0): score 0, not flagged"


def test_window_takes_only_the_previous_periods():
    # Periods 1-4 hold 1000s; with window 6 a value at period 11 sees periods 5-10 only, i.e.
    # WILD, so the case above repeats (median 12, MAD 1). A stored value at period 11 itself
    # (an earlier version) and one at period 12 (later) are not in its window either.
    hist = series([1000, 1000, 1000, 1000, *WILD, 9999, 9999])
    r = check_values(new_values([20], 11), hist, window=6)
    assert r["window"][0] == 6 and r["n_history"][0] == 6
    assert r["centre"][0] == 12.0 and r["spread"][0] == 1.0
    assert r["score"][0] == pytest.approx(5.396)
    # With window 10 the 1000s come in: 1000 x4, 10 12 11 13 12 50, sorted
    # 10 11 12 12 13 50 1000 1000 1000 1000 -> median (13 + 50) / 2 = 31.5.
    r = check_values(new_values([20], 11), hist, window=10, method="z_score")
    assert r["n_history"][0] == 10 and r["centre"][0] == pytest.approx(4108 / 10)
    r = check_values(new_values([20], 11), hist, window=10)
    assert r["centre"][0] == 31.5


def test_gaps_and_missing_values_are_not_counted():
    # Periods 1..8 with period 3 absent and period 5 missing (null) and 6 NaN: 5 values.
    hist = frame(
        [
            ("anc", "u1", p, v)
            for p, v in [(1, 10), (2, 12), (4, 11), (5, None), (6, float("nan")), (7, 13), (8, 12)]
        ]
    )
    r = check_values(new_values([12], 9), hist, window=8, min_history=5)
    # 10 11 12 12 13 -> median 12; |x - 12| = 2 0 1 1 0 -> sorted 0 0 1 1 2 -> MAD 1.
    assert r["n_history"][0] == 5 and r["centre"][0] == 12 and r["spread"][0] == 1
    r = check_values(new_values([12], 9), hist, window=8)
    assert r["reason"][0] == "insufficient history (5 of 6)"


def test_insufficient_history_makes_no_judgement():
    r = check_values(new_values([1e9], 4), series([10, 11, 12]))
    row = r.row(0, named=True)
    assert row["n_history"] == 3 and row["reason"] == "insufficient history (3 of 6)"
    assert row["flagged"] is False
    assert row["score"] is None and row["centre"] is None and row["lower"] is None
    # Exactly min_history points: judged.
    r = check_values(new_values([1e9], 4), series([10, 11, 12]), min_history=3)
    assert r["flagged"][0] and r["reason"][0] == "above upper bound"
    # A unit with no history at all.
    r = check_values(new_values([5], 4, unit="new-unit"), series([10, 11, 12]))
    assert r["n_history"][0] == 0 and r["reason"][0] == "insufficient history (0 of 6)"


def test_min_max_generated_by_hand_carries_the_warning():
    # CLASSIC: mean 5, population sd 2, k = 2 -> range 1 to 9 (inclusive).
    r = check_values(new_values([9, 9.5, 1, 0.5], 9), series(CLASSIC), method="min_max")
    assert r["method"].to_list() == ["min_max_generated"] * 4
    assert r["threshold"].to_list() == [2.0] * 4
    assert r["lower"].to_list() == [1.0] * 4 and r["upper"].to_list() == [9.0] * 4
    assert r["flagged"].to_list() == [False, True, False, True]
    assert r["score"].to_list() == pytest.approx([2.0, 2.25, 2.0, 2.25])  # z = |x - 5| / 2
    assert r["warning"].to_list() == [MIN_MAX_WARNING] * 4
    assert "seasonal" in MIN_MAX_WARNING and "zero-inflated" in MIN_MAX_WARNING
    # k = 3 -> range -1 to 11.
    r = check_values(new_values([9.5], 9), series(CLASSIC), method="min_max", k=3)
    assert (r["lower"][0], r["upper"][0], r["flagged"][0]) == (-1.0, 11.0, False)


def test_min_max_generated_on_a_constant_series_is_a_single_value():
    # As DHIS2 generates it: sd = 0 gives the range [mean, mean]; any other value is outside.
    r = check_values(new_values([4, 5], 7), series([4] * 6), method="min_max")
    assert r["lower"].to_list() == [4.0, 4.0] and r["upper"].to_list() == [4.0, 4.0]
    assert r["flagged"].to_list() == [False, True] and r["score"].to_list() == [None, None]


def test_min_max_explicit_ranges_need_no_history():
    ranges = pl.DataFrame({"indicator": ["anc"], "unit": ["u1"], "min": [300], "max": [500]})
    new = pl.concat([new_values([501, 500, 300, 299], 7), new_values([9.5], 9, unit="u2")])
    hist = series(CLASSIC, unit="u2")  # u1 has no history at all; u2 has no explicit range
    r = check_values(new, hist, method="min_max", ranges=ranges)
    assert r["method"].to_list() == ["min_max_explicit"] * 4 + ["min_max_generated"]
    assert r["flagged"].to_list() == [True, False, False, True, True]
    assert r["reason"].to_list() == [
        "above upper bound",
        None,
        None,
        "below lower bound",
        "above upper bound",
    ]
    explicit = r.head(4)
    assert explicit["lower"].to_list() == [300.0] * 4 and explicit["upper"].to_list() == [500.0] * 4
    for c in ("threshold", "window", "n_history", "centre", "spread", "score", "warning"):
        assert explicit[c].to_list() == [None] * 4, c
    assert r["warning"][4] == MIN_MAX_WARNING and r["upper"][4] == 9.0


def test_result_shape_order_and_missing_new_value():
    new = frame([("anc", "u2", 9, 3.0), ("anc", "u1", 7, None), ("anc", "u1", 7, 20.0)])
    hist = pl.concat([series(WILD), series(CLASSIC, unit="u2")])
    r = check_values(new, hist)
    assert r.columns == list(RESULT_COLUMNS)
    assert r.schema["period_ordinal"] == pl.Int64 and r.schema["flagged"] == pl.Boolean
    assert r.schema["n_history"] == pl.Int64 and r.schema["score"] == pl.Float64
    assert r["unit"].to_list() == ["u2", "u1", "u1"]  # the order of `new`, duplicates kept
    missing = r.row(1, named=True)
    assert missing["reason"] == "no value to check" and missing["flagged"] is False
    assert missing["score"] is None and missing["centre"] == 12.0  # the history still shown
    assert r["flagged"].to_list() == [False, False, True]
    empty = check_values(new.head(0), hist)
    assert empty.height == 0 and empty.columns == list(RESULT_COLUMNS)


def test_values_of_the_same_submission_count_only_when_passed_as_history():
    new = series([10, 12, 11, 13, 12, 50, 20], first=1)  # a first return of 7 periods
    r = check_values(new, series([], first=1))
    assert r["reason"].to_list() == [f"insufficient history ({0} of 6)"] * 7
    r = check_values(new, pl.concat([series([]), new]))
    assert r["n_history"].to_list() == [0, 1, 2, 3, 4, 5, 6]
    assert r["flagged"].to_list() == [False] * 6 + [True]  # 20 against WILD, as above
    assert r["score"][6] == pytest.approx(5.396)


# --- many series at once against an independent per-series loop ----------------------------


def _loop_reference(new_rows, hist_rows, method, threshold, window, min_history, k):
    """Plain Python: a dict of each series' history, statistics from the standard library."""
    by_series: dict[tuple, dict[int, float]] = {}
    for ind, unit, p, v in hist_rows:
        if v is not None and not math.isnan(v):
            by_series.setdefault((ind, unit), {})[p] = v
    out = []
    for ind, unit, p, v in new_rows:
        past = by_series.get((ind, unit), {})
        xs = [x for q, x in past.items() if p - window <= q <= p - 1]
        row = {
            "n_history": len(xs),
            "centre": None,
            "spread": None,
            "score": None,
            "flagged": False,
            "reason": None,
        }
        if len(xs) < min_history:
            row["reason"] = f"insufficient history ({len(xs)} of {min_history})"
            out.append(row)
            continue
        if method == "modified_z":
            c = statistics.median(xs)
            s = statistics.median([abs(x - c) for x in xs])
            score = 0.0 if s == 0 else 0.6745 * abs(v - c) / s
            flagged = score > threshold
        elif method == "z_score":
            c, s = statistics.fmean(xs), statistics.pstdev(xs)
            score = 0.0 if s == 0 else abs(v - c) / s
            flagged = score > threshold
        else:
            c, s = statistics.fmean(xs), statistics.pstdev(xs)
            score = None if s == 0 else abs(v - c) / s
            flagged = v < c - k * s or v > c + k * s
        row.update(centre=c, spread=s, score=score, flagged=flagged)
        if flagged:
            row["reason"] = "above upper bound" if v > c else "below lower bound"
        elif s == 0 and method != "min_max":
            row["reason"] = "no spread"
        out.append(row)
    return out


@pytest.mark.parametrize("method", ["modified_z", "z_score", "min_max"])
def test_many_series_match_a_plain_per_series_loop(method):
    rnd = random.Random(20240301)
    hist_rows, new_rows = [], []
    for s in range(150):
        ind, unit = f"ind{s % 4}", f"unit{s // 4}"
        level = rnd.uniform(1, 1000)
        kind = s % 5  # some flat, some zero-inflated, some short, some with gaps
        for p in range(1, rnd.randint(2, 60)):
            if kind == 4 and rnd.random() < 0.3:
                continue  # absent period
            v = (
                level
                if kind == 0
                else (
                    0.0
                    if kind == 1 and rnd.random() < 0.8
                    else round(rnd.gauss(level, level / 5), 1)
                )
            )
            if rnd.random() < 0.03:
                v = None  # missing value
            hist_rows.append((ind, unit, p, v))
        for _ in range(rnd.randint(1, 12)):
            p = rnd.randint(1, 70)  # later periods, and revisions of earlier ones
            new_rows.append((ind, unit, p, round(rnd.gauss(level, level / 2), 1)))
    rnd.shuffle(hist_rows)
    rnd.shuffle(new_rows)
    threshold = {"modified_z": 3.5, "z_score": 3.0, "min_max": None}[method]
    args = dict(method=method, threshold=threshold, window=24, min_history=4)
    r = check_values(frame(new_rows), frame(hist_rows), **args)
    expected = _loop_reference(new_rows, hist_rows, method, threshold, 24, 4, 2.0)
    assert r.height == len(expected) == len(new_rows)
    assert sum(e["flagged"] for e in expected) > 10  # the comparison has flags to compare
    assert sum(e["reason"] is not None and "insufficient" in e["reason"] for e in expected) > 10
    for got, exp in zip(r.iter_rows(named=True), expected, strict=True):
        assert got["n_history"] == exp["n_history"]
        for c in ("centre", "spread", "score"):
            if exp[c] is None:
                assert got[c] is None, (c, got, exp)
            else:
                assert got[c] == pytest.approx(exp[c], rel=1e-9, abs=1e-9), (c, got, exp)
        assert got["flagged"] == exp["flagged"], (got, exp)
        if exp["reason"] == "no spread":
            assert got["reason"].startswith("no spread in history")
        else:
            assert got["reason"] == exp["reason"], (got, exp)


# --- the message for the data provider --------------------------------------------------------


def _row(**kw):
    row = dict(
        indicator="anc",
        unit="u1",
        period_ordinal=24290,
        value=1412.0,
        method="modified_z",
        threshold=3.5,
        window=36,
        n_history=36,
        centre=402.0,
        spread=17.9,
        lower=310.0,
        upper=494.0,
        score=38.1,
        flagged=True,
        reason="above upper bound",
        warning=None,
    )
    row.update(kw)
    return row


def test_message_in_the_data_providers_terms():
    o = Outlier.from_row(_row())
    assert o.message("months") == (
        "1,412 is far above this unit's usual values (median 402, typical range 310 to 494 "
        "over the last 36 months); please check it"
    )
    assert o.message("months", period="March 2024").startswith("1,412 for March 2024 is far")
    low = Outlier.from_row(_row(value=12.5, method="z_score", centre=402.4, n_history=30))
    assert low.message("weeks") == (
        "12.5 is far below this unit's usual values (mean 402, typical range 310 to 494 from "
        "30 values over the last 36 weeks); please check it"
    )
    fixed = Outlier.from_row(
        _row(method="min_max_explicit", window=None, n_history=None, centre=None, value=520.0)
    )
    assert fixed.message("months") == (
        "520 is above the range set for this unit (310 to 494); please check it"
    )
    with pytest.raises(ValueError, match="not flagged"):
        Outlier.from_row(_row(flagged=False))


def test_outliers_from_a_result():
    r = check_values(new_values([20, 14], 7), series(WILD))
    found = outliers(r)
    assert len(found) == 1 and found[0].value == 20 and found[0].direction == "above"
    assert found[0].message("months") == (
        "20 is far above this unit's usual values (median 12, typical range 6.81 to 17.2 from "
        "6 values over the last 36 months); please check it"
    )


# --- bad input ---------------------------------------------------------------------------------


def test_bad_input_is_refused_with_what_and_where():
    good = series(WILD)
    with pytest.raises(ValueError, match="new is missing column.*period_ordinal"):
        check_values(good.drop("period_ordinal"), good)
    with pytest.raises(ValueError, match="history is missing column.*value"):
        check_values(good, good.drop("value"))
    with pytest.raises(ValueError, match=r"new.value must be numeric; got type String"):
        check_values(good.with_columns(pl.col("value").cast(pl.String)), good)
    with pytest.raises(ValueError, match=r"history.value must be numeric"):
        check_values(good, good.with_columns(value=pl.lit(True)))
    with pytest.raises(ValueError, match="period_ordinal must hold integer"):
        check_values(good.with_columns(pl.col("period_ordinal").cast(pl.Float64)), good)
    with pytest.raises(ValueError, match=r"new.unit is empty at row 2"):
        check_values(good.with_columns(unit=pl.Series(["u", "u", None, "u", "u", "u"])), good)
    with pytest.raises(ValueError, match=r"history.value is not finite at row 1"):
        check_values(good, series([1, float("inf"), 3]))
    with pytest.raises(ValueError, match=r"history.unit has type String.*new.unit \(Int64\)"):
        check_values(good.with_columns(unit=pl.lit(1, pl.Int64)), good)
    with pytest.raises(ValueError, match="polars DataFrame"):
        check_values(good.to_dicts(), good)  # type: ignore[arg-type]


def test_duplicate_history_is_refused():
    hist = pl.concat([series(WILD), frame([("anc", "u1", 3, 99.0)])])
    with pytest.raises(
        ValueError,
        match=r"more than one value .*'u1', period_ordinal 3 "
        r"\(rows 2 and 6",
    ):
        check_values(new_values([1], 7), hist)


def test_bad_parameters_are_refused():
    h = series(WILD)
    n = new_values([1], 7)
    for kwargs, message in [
        (dict(method="iqr"), "method must be one of"),
        (dict(window=0), "window must be"),
        (dict(window=2.5), "window must be"),
        (dict(min_history=0), "min_history must be"),
        (dict(window=4, min_history=6), "no value could ever be judged"),
        (dict(threshold=-1), "threshold must be a positive"),
        (dict(method="min_max", threshold=3), "set k instead"),
        (dict(method="min_max", k=0), "k must be a positive"),
        (dict(ranges=pl.DataFrame()), "ranges apply only"),
    ]:
        with pytest.raises(Invalid, match=message):  # a parameter: the caller's choice
            check_values(n, h, **kwargs)
    bad = pl.DataFrame({"indicator": ["anc"], "unit": ["u1"], "min": [5], "max": [1]})
    with pytest.raises(ValueError, match="min 5.0 > max 1.0"):
        check_values(n, h, method="min_max", ranges=bad)
    twice = pl.DataFrame(
        {"indicator": ["anc"] * 2, "unit": ["u1"] * 2, "min": [1, 2], "max": [5, 6]}
    )
    with pytest.raises(ValueError, match="more than one range"):
        check_values(n, h, method="min_max", ranges=twice)
    with pytest.raises(ValueError, match="ranges is missing column.*max"):
        check_values(n, h, method="min_max", ranges=twice.drop("max"))
