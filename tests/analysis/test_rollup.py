"""Roll-ups through the unit hierarchy, checked on real data and on small hand-made trees."""

from __future__ import annotations

import csv
import math
import random
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from stocktake.analysis.rollup import (
    SOURCE_COMPUTED,
    SOURCE_REPORTED,
    Hierarchy,
    roll_up,
    roll_up_series,
)
from stocktake.errors import Invalid, NotFound
from stocktake.model.entities import Aggregation, DeliveryModel, Indicator, Polarity, Unit

DATA = Path(__file__).parents[3] / "shared" / "data"
NAN = math.nan


def indicator(code: str, aggregation: str, **kw) -> Indicator:
    return Indicator(code=code, name=code, unit="", polarity=Polarity.NEUTRAL,
                     period_type="year", aggregation=Aggregation(aggregation), **kw)


# -- real data: US states (FBI UCR) ---------------------------------------------------------

@pytest.fixture(scope="module")
def us():
    with open(DATA / "us_state_crime_ucr_1979_2019.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    years = sorted({int(r["year"]) for r in rows})
    state_rows = [r for r in rows if r["level"] == "state"]
    states = sorted({r["state"] for r in state_rows})
    division = {r["state"]: r["division"] for r in state_rows}
    region = {r["division"]: r["region"] for r in state_rows}
    codes = (["US"] + [f"R:{x}" for x in sorted(set(region.values()))]
             + [f"D:{d}" for d in sorted(region)] + states)
    parents = ([None] + ["US"] * len(set(region.values()))
               + [f"R:{region[d]}" for d in sorted(region)] + [f"D:{division[s]}" for s in states])
    h = Hierarchy.from_parents(codes, parents)
    arrays = {k: np.full((h.n_units, len(years)), np.nan) for k in ("violent_crime", "population")}
    for r in rows:
        i, t = h.index[r["state"]], years.index(int(r["year"]))
        for k in arrays:
            arrays[k][i, t] = float(r[k])
    return {"rows": rows, "years": years, "states": states, "division": division,
            "region": region, "h": h, "arrays": arrays}


def test_region_violent_crime_rate_is_a_ratio_of_sums_not_a_mean_of_rates(us):
    rate = indicator("violent_rate", "ratio", numerator="violent_crime",
                     denominator="population", scale=100000)
    res = roll_up(us["h"], rate, us["arrays"])
    # Plain Python: per region and year, sum the states present, then divide.
    vc: dict[tuple[str, int], float] = defaultdict(float)
    pop: dict[tuple[str, int], float] = defaultdict(float)
    rates: dict[tuple[str, int], list[float]] = defaultdict(list)
    for r in us["rows"]:
        if r["level"] != "state":
            continue
        key = (r["region"], int(r["year"]))
        vc[key] += float(r["violent_crime"])
        pop[key] += float(r["population"])
        rates[key].append(100000 * float(r["violent_crime"]) / float(r["population"]))
    checked = 0
    for (reg, year), total in vc.items():
        i, t = us["h"].index[f"R:{reg}"], us["years"].index(year)
        expected = 100000 * total / pop[(reg, year)]
        assert res.computed[i, t] == pytest.approx(expected, rel=1e-12)
        assert res.value[i, t] == pytest.approx(expected, rel=1e-12)
        assert res.numerator[i, t] == pytest.approx(total, rel=1e-12)
        assert res.denominator[i, t] == pytest.approx(pop[(reg, year)], rel=1e-12)
        # The mean of the state rates is a different (wrong) number, by over 1 per 100,000.
        assert abs(expected - sum(rates[(reg, year)]) / len(rates[(reg, year)])) > 1.0
        checked += 1
    assert checked == 4 * 41


def test_national_fbi_estimate_is_kept_beside_the_sum_of_states(us):
    h, years = us["h"], us["years"]
    reported = dict(us["arrays"])
    vc = reported["violent_crime"].copy()
    nation = {int(r["year"]): float(r["violent_crime"]) for r in us["rows"] if r["state"] == "US"}
    us_row = h.index["US"]
    vc[us_row] = [nation[y] for y in years]
    res = roll_up(h, indicator("violent_crime", "sum"), {"violent_crime": vc})

    sums: dict[int, float] = defaultdict(float)
    for r in us["rows"]:
        if r["level"] == "state":
            sums[int(r["year"])] += float(r["violent_crime"])
    computed = res.computed[us_row]
    assert list(computed) == pytest.approx([sums[y] for y in years], rel=1e-12)
    assert res.reported[us_row, 0] == 1_208_030
    np.testing.assert_allclose(res.gap[us_row], vc[us_row] - computed)
    q = computed / res.reported[us_row]
    # The data README's "between 0.993 and 1.030" is to 3 decimals: the exact minimum is
    # 0.99291 in 1994, when Mississippi is missing from the sum of the states.
    assert np.all(np.round(q, 3) >= 0.993) and np.all(np.round(q, 3) <= 1.030)
    assert years[int(np.argmin(q))] == 1994 and q.min() == pytest.approx(0.99291, abs=1e-5)
    assert years[int(np.argmax(q))] == 2015 and q.max() == pytest.approx(1.02964, abs=1e-5)
    # The best figure: the FBI's estimate while the states are incomplete, the sum after.
    before = np.array(years) <= 1994
    assert np.all(res.source[us_row, before] == SOURCE_REPORTED)
    assert np.all(res.value[us_row, before] == vc[us_row, before])
    assert np.all(res.source[us_row, ~before] == SOURCE_COMPUTED)
    assert np.all(res.value[us_row, ~before] == computed[~before])
    # prefer="reported" keeps the FBI's figure throughout.
    res_r = roll_up(h, indicator("violent_crime", "sum"), {"violent_crime": vc},
                    prefer="reported")
    assert np.array_equal(res_r.value[us_row], vc[us_row])


def test_mississippi_gap_shows_in_coverage_and_partial_flags(us):
    h, years = us["h"], us["years"]
    res = roll_up(h, indicator("violent_crime", "sum"), us["arrays"])
    missing = np.array(years) <= 1994
    esc = h.index["D:East South Central"]
    assert sorted(h.children_of("D:East South Central")) == ["AL", "KY", "MS", "TN"]
    assert np.all(res.coverage[esc, missing] == 0.75)
    assert np.all(res.coverage[esc, ~missing] == 1.0)
    assert np.all(res.children_with_data[esc] == np.where(missing, 3, 4))
    assert np.all(res.children_expected[esc] == 4)
    for code in ("D:East South Central", "R:South", "US"):
        i = h.index[code]
        assert np.array_equal(res.partial[i], missing), code
    for code in ("D:East South Central", "R:South"):  # nothing reported: partial sums shown
        assert np.array_equal(res.value_partial[h.index[code]], missing), code
    assert not res.value_partial[h.index["US"]].any()  # the FBI's estimate fills the gap
    # The South's divisions all have data, but one of them is partial: it propagates.
    assert np.all(res.coverage[h.index["R:South"]] == 1.0)
    west = h.index["R:West"]
    assert not res.partial[west].any() and np.all(res.coverage[west] == 1.0)

    strict = roll_up(h, indicator("violent_crime", "sum"), us["arrays"], require_complete=True)
    for code in ("D:East South Central", "R:South", "US"):
        i = h.index[code]
        assert np.all(np.isnan(strict.computed[i, missing])), code
        assert np.all(~np.isnan(strict.computed[i, ~missing])), code
        assert np.array_equal(strict.partial[i], missing), code
    assert np.array_equal(strict.computed[west], res.computed[west])


# -- real data: Australian prisoners, a crossed hierarchy as a tree -------------------------

def test_australian_national_total_is_the_sum_of_the_32_bottom_series():
    with open(DATA / "au_state_prisoners_quarterly_2005_2016.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    quarters = sorted({r["quarter"] for r in rows})
    states = sorted({r["state"] for r in rows})
    codes, parents = ["AU"], [None]
    for s in states:
        codes.append(s)
        parents.append("AU")
        for sex in ("female", "male"):
            codes.append(f"{s}/{sex}")
            parents.append(s)
            for status in ("remanded", "sentenced"):
                codes.append(f"{s}/{sex}/{status}")
                parents.append(f"{s}/{sex}")
    h = Hierarchy.from_parents(codes, parents)
    assert int(h.is_leaf.sum()) == 32 and h.n_units == 57
    prisoners = np.full((h.n_units, len(quarters)), np.nan)
    plain: dict[str, float] = defaultdict(float)
    for r in rows:
        t = quarters.index(r["quarter"])
        for sex in ("female", "male"):
            for status in ("remanded", "sentenced"):
                v = float(r[f"prisoners_{sex}_{status}"])
                prisoners[h.index[f"{r['state']}/{sex}/{status}"], t] = v
                plain[r["quarter"]] += v
    res = roll_up(h, indicator("prisoners", "sum"), {"prisoners": prisoners}, periods=quarters)
    au = h.index["AU"]
    assert res.value[au, quarters.index("2005Q1")] == 24_296
    assert res.value[au, quarters.index("2016Q4")] == 39_526
    assert list(res.value[au]) == [plain[q] for q in quarters]
    assert np.all(res.coverage[~h.is_leaf] == 1.0) and not res.partial.any()
    assert res.series("AU")["2005Q1"]["value"] == 24_296


# -- small hand-made trees ------------------------------------------------------------------
#   R
#   |-- A
#   |   |-- a1
#   |   `-- a2
#   `-- B

def tree(**active) -> Hierarchy:
    codes = ["R", "A", "a1", "a2", "B"]
    return Hierarchy.from_parents(codes, [None, "R", "A", "A", "R"],
                                  levels=["nation", "region", "town", "town", "region"],
                                  active=[active.get(c, True) for c in codes])


def col(*values: float) -> np.ndarray:
    """One period: values for R, A, a1, a2, B."""
    return np.array(values, dtype=float)[:, None]


def test_hierarchy_indices():
    h = tree()
    assert h.codes == ("R", "A", "a1", "a2", "B")
    assert list(h.parent) == [-1, 0, 1, 1, 0]
    assert list(h.depth) == [0, 1, 2, 2, 1]
    assert h.children_of("R") == ["A", "B"] and h.children_of("a1") == []
    assert list(h.is_leaf) == [False, False, True, True, True]
    assert list(h.bottom_up) == [2, 3, 1, 4, 0]


def test_sum_recurses_through_an_unreported_middle_level():
    x = col(NAN, NAN, 10, 20, 30)
    res = roll_up(tree(), indicator("x", "sum"), {"x": x})
    assert np.isnan(x[0, 0]) and np.isnan(x[1, 0])  # the input is not written to
    assert res.computed[:, 0].tolist()[:2] == [60, 30]
    assert np.isnan(res.computed[2:, 0]).all()  # leaves compute nothing
    assert res.value[:, 0].tolist() == [60, 30, 10, 20, 30]
    assert res.coverage[:2, 0].tolist() == [1.0, 1.0] and np.isnan(res.coverage[2:, 0]).all()
    assert not res.partial.any()


def test_missing_child_is_partial_never_a_silent_zero():
    res = roll_up(tree(), indicator("x", "sum"), {"x": col(NAN, NAN, 10, NAN, 30)})
    assert res.computed[1, 0] == 10 and res.coverage[1, 0] == 0.5
    assert res.children_expected[1, 0] == 2 and res.children_with_data[1, 0] == 1
    assert res.computed[0, 0] == 40 and res.coverage[0, 0] == 1.0  # A has data, but partial
    assert res.partial[:, 0].tolist() == [True, True, False, False, False]
    assert res.value_partial[:, 0].tolist() == [True, True, False, False, False]

    strict = roll_up(tree(), indicator("x", "sum"), {"x": col(NAN, NAN, 10, NAN, 30)},
                     require_complete=True)
    assert np.isnan(strict.computed[0, 0]) and np.isnan(strict.computed[1, 0])
    assert np.isnan(strict.value[0, 0]) and np.isnan(strict.value[1, 0])
    assert strict.partial[:2, 0].tolist() == [True, True]


def test_reported_total_fills_in_for_an_incomplete_child():
    # A reports 35 but a2 is missing: A's best figure is its reported total, and R is complete.
    res = roll_up(tree(), indicator("x", "sum"), {"x": col(NAN, 35, 10, NAN, 30)})
    assert res.computed[1, 0] == 10 and res.partial[1, 0]
    assert res.value[1, 0] == 35 and res.source[1, 0] == SOURCE_REPORTED
    assert res.gap[1, 0] == 25
    assert res.computed[0, 0] == 65 and not res.partial[0, 0]
    # Complete children: the computed figure is preferred; with prefer="reported" the total.
    full = {"x": col(NAN, 35, 10, 20, 30)}
    assert roll_up(tree(), indicator("x", "sum"), full).value[1, 0] == 30
    assert roll_up(tree(), indicator("x", "sum"), full).gap[1, 0] == 5
    assert roll_up(tree(), indicator("x", "sum"), full, prefer="reported").value[1, 0] == 35
    assert roll_up(tree(), indicator("x", "sum"), full, prefer="reported").value[0, 0] == 65


def test_inactive_children_are_not_expected():
    res = roll_up(tree(a2=False), indicator("x", "sum"), {"x": col(NAN, NAN, 10, NAN, 30)})
    assert res.coverage[1, 0] == 1.0 and not res.partial.any() and res.value[0, 0] == 40
    # Per period: a2 expected in the second period only.
    x = np.array([[NAN, NAN], [NAN, NAN], [10, 10], [NAN, NAN], [30, 30]])
    active = np.ones((5, 2), dtype=bool)
    active[3, 0] = False
    res = roll_up(tree(), indicator("x", "sum"), {"x": x}, active=active)
    assert res.coverage[1].tolist() == [1.0, 0.5]
    assert res.partial[0].tolist() == [False, True]


def test_mean_is_the_mean_over_the_leaves_not_a_mean_of_means():
    # Unbalanced: region A has 3 leaves, region B 1. Nation = mean of the 4 leaves.
    h = Hierarchy.from_parents(["N", "A", "a1", "a2", "a3", "B", "b1"],
                               [None, "N", "A", "A", "A", "N", "B"])
    x = np.array([NAN, NAN, 10, 20, 30, NAN, 100], dtype=float)[:, None]
    res = roll_up(h, indicator("x", "mean"), {"x": x})
    assert res.value[1, 0] == 20  # (10 + 20 + 30) / 3
    assert res.value[5, 0] == 100
    assert res.value[0, 0] == 40  # (10 + 20 + 30 + 100) / 4; a mean of the means gives 60
    assert res.coverage[0, 0] == 1 and not res.partial.any()
    # A leaf missing: the mean over the leaves that reported, flagged partial up the tree.
    x[3, 0] = NAN
    res = roll_up(h, indicator("x", "mean"), {"x": x})
    assert res.value[1, 0] == 20 and res.coverage[1, 0] == pytest.approx(2 / 3)
    assert res.value[0, 0] == pytest.approx((10 + 30 + 100) / 3)
    assert res.partial[1, 0] and res.partial[0, 0] and res.value_partial[0, 0]
    # A region that reports its own mean in place of its missing leaves stands for them all:
    # B reports 50 for its leaf b1 that did not report.
    x = np.array([NAN, NAN, 10, 20, 30, 50, NAN], dtype=float)[:, None]
    res = roll_up(h, indicator("x", "mean"), {"x": x})
    assert res.value[5, 0] == 50 and res.source[5, 0] == SOURCE_REPORTED
    assert res.value[0, 0] == pytest.approx((10 + 20 + 30 + 50) / 4)
    assert res.coverage[0, 0] == 1


def test_mean_of_a_three_level_tree_matches_the_plain_leaf_mean():
    # The old tree: R > A > (a1, a2), R > B. R is the mean of a1, a2 and B (leaves), 20.
    res = roll_up(tree(), indicator("x", "mean"), {"x": col(NAN, NAN, 10, 20, 30)})
    assert res.value[1, 0] == 15
    assert res.value[0, 0] == 20  # not mean(15, 30) = 22.5
    assert res.numerator is None and res.denominator is None


def test_weighted_mean_carries_the_weights_up():
    x = col(NAN, NAN, 10, 20, 30)
    w = col(NAN, NAN, 1, 3, 4)
    res = roll_up(tree(), indicator("x", "weighted_mean", weight="w"), {"x": x, "w": w})
    assert res.value[1, 0] == pytest.approx((10 * 1 + 20 * 3) / 4)  # 17.5
    assert res.value[0, 0] == pytest.approx((10 * 1 + 20 * 3 + 30 * 4) / 8)  # 23.75
    assert res.denominator[:, 0].tolist() == [8, 4, 1, 3, 4]
    # A leaf without its weight cannot take part: A is partial, built on a1 alone.
    res = roll_up(tree(), indicator("x", "weighted_mean", weight="w"),
                  {"x": x, "w": col(NAN, NAN, 1, NAN, 4)})
    assert res.value[1, 0] == 10 and res.coverage[1, 0] == 0.5 and res.partial[0, 0]
    assert res.value[0, 0] == pytest.approx((10 + 120) / 5)


def test_ratio_at_a_leaf_from_its_components_and_above_from_sums():
    rate = indicator("rate", "ratio", numerator="cases", denominator="pop", scale=1000)
    cases, pop = col(NAN, NAN, 5, 30, 2), col(NAN, NAN, 1000, 2000, 4000)
    res = roll_up(tree(), rate, {"cases": cases, "pop": pop})
    assert np.array_equal(cases, col(NAN, NAN, 5, 30, 2), equal_nan=True)  # inputs untouched
    assert np.array_equal(pop, col(NAN, NAN, 1000, 2000, 4000), equal_nan=True)
    assert res.value[2:, 0].tolist() == [5.0, 15.0, 0.5]  # leaves: own components
    assert res.source[2, 0] == SOURCE_REPORTED
    assert res.value[1, 0] == pytest.approx(1000 * 35 / 3000)
    assert res.value[0, 0] == pytest.approx(1000 * 37 / 7000)
    # not the mean of the leaf rates (6.83) nor the mean of A and B (6.08)
    assert abs(res.value[0, 0] - 5.2857) < 1e-4
    # A ratio reported without components is shown but cannot be summed: coverage drops.
    given = col(NAN, NAN, NAN, 99, NAN)
    res = roll_up(tree(), rate, {"cases": col(NAN, NAN, 5, NAN, 2), "pop": pop, "rate": given})
    assert res.value[3, 0] == 99 and res.coverage[1, 0] == 0.5 and res.partial[1, 0]
    assert res.computed[1, 0] == pytest.approx(5.0)


def test_aggregation_none_is_not_rolled_up_and_says_why():
    res = roll_up(tree(), indicator("x", "none"), {"x": col(7, NAN, 10, 20, 30)})
    assert np.isnan(res.computed).all()
    assert res.value[:, 0].tolist()[0] == 7 and np.isnan(res.value[1, 0])
    assert "none" in res.reason and res.to_dict()["reason"] == res.reason


def test_vectorised_pass_matches_a_plain_recursive_roll_up_on_a_random_tree():
    rng = random.Random(7)
    codes, parents = ["root"], [None]
    for i in range(1, 300):
        codes.append(f"u{i}")
        parents.append(codes[rng.randrange(max(0, i - 40), i)])  # deep, uneven tree
    h = Hierarchy.from_parents(codes, parents)
    n_periods = 6
    x = np.full((len(codes), n_periods), np.nan)
    for i in range(len(codes)):
        for t in range(n_periods):
            if rng.random() < (0.85 if h.is_leaf[i] else 0.15):
                x[i, t] = rng.randint(0, 100)
    res = roll_up(h, indicator("x", "sum"), {"x": x})

    kids = defaultdict(list)
    for c, p in zip(codes, parents, strict=True):
        if p is not None:
            kids[p].append(c)

    def plain(code: str, t: int) -> tuple[float, bool]:
        """(value, partial) of one unit in one period, by recursion."""
        own = x[codes.index(code), t]
        if not kids[code]:
            return own, False
        total, seen, partial = 0.0, 0, False
        for k in kids[code]:
            v, p = plain(k, t)
            if not math.isnan(v):
                total, seen, partial = total + v, seen + 1, partial or p
        if seen == 0:
            return own, False
        partial = partial or seen < len(kids[code])
        if not partial or math.isnan(own):
            return total, partial
        return own, False

    for i, code in enumerate(codes):
        for t in range(n_periods):
            v, p = plain(code, t)
            assert (math.isnan(v) and math.isnan(res.value[i, t])) or v == res.value[i, t]
            assert p == res.value_partial[i, t]
    assert res.value_partial.any() and (res.source == SOURCE_COMPUTED).any()


def test_roll_up_series_from_observations():
    model = DeliveryModel()
    for code, parent in (("R", None), ("A", "R"), ("B", "R")):
        model.units[code] = Unit(code, code, "x", parent)
    model.indicators["cases"] = indicator("cases", "sum")
    model.indicators["pop"] = indicator("pop", "sum")
    model.indicators["rate"] = indicator("rate", "ratio", numerator="cases", denominator="pop",
                                         scale=100)
    observed = {
        ("cases", "A"): {"2024-10": 3, "2024-02": 1},
        ("cases", "B"): {"2024-10": 5},
        ("pop", "A"): {"2024-10": 100, "2024-02": 100},
        ("pop", "B"): {"2024-10": 300, "2024-02": 300},
    }
    out = roll_up_series(model, "rate", "R", observed)
    assert list(out) == ["2024-02", "2024-10"]
    assert out["2024-10"]["value"] == pytest.approx(2.0)  # 100 * 8 / 400
    assert out["2024-10"]["source"] == "computed" and out["2024-10"]["partial"] is False
    assert out["2024-02"]["value"] == pytest.approx(1.0)  # only A: 100 * 1 / 100
    assert out["2024-02"]["partial"] is True and out["2024-02"]["coverage"] == 0.5
    assert out["2024-02"]["reported"] is None
    with pytest.raises(NotFound, match="'Z' is not a unit"):
        roll_up_series(model, "rate", "Z", observed)
    with pytest.raises(Invalid, match="unit 'Q', which is not in the model"):
        roll_up_series(model, "cases", "R", {("cases", "Q"): {"2024-01": 1}})


def test_bad_input_is_refused_clearly():
    h = tree()
    x = col(NAN, NAN, 1, 2, 3)
    with pytest.raises(ValueError, match="needs reported arrays for 'pop'"):
        roll_up(h, indicator("r", "ratio", numerator="x", denominator="pop"), {"x": x})
    with pytest.raises(ValueError, match="needs a numerator and a denominator"):
        roll_up(h, indicator("r", "ratio", numerator="x"), {"x": x})
    with pytest.raises(ValueError, match="needs a weight"):
        roll_up(h, indicator("x", "weighted_mean"), {"x": x})
    with pytest.raises(ValueError, match=r"shape \(4, 1\); expected \(5, n_periods\)"):
        roll_up(h, indicator("x", "sum"), {"x": x[:4]})
    with pytest.raises(ValueError, match="'pop' have 2 periods but those for 'x' have 1"):
        roll_up(h, indicator("r", "ratio", numerator="x", denominator="pop"),
                {"x": x, "pop": np.ones((5, 2))})
    with pytest.raises(ValueError, match="infinite value at unit 'a2', period index 0"):
        roll_up(h, indicator("x", "sum"), {"x": col(NAN, NAN, 1, math.inf, 3)})
    with pytest.raises(Invalid, match="prefer must be"):
        roll_up(h, indicator("x", "sum"), {"x": x}, prefer="best")
    with pytest.raises(ValueError, match="active flags have shape"):
        roll_up(h, indicator("x", "sum"), {"x": x}, active=np.ones(3, dtype=bool))
    with pytest.raises(ValueError, match="2 period labels"):
        roll_up(h, indicator("x", "sum"), {"x": x}, periods=["2024", "2025"])
    with pytest.raises(ValueError, match="parent 'Z', which is not a unit"):
        Hierarchy.from_parents(["a", "b"], [None, "Z"])
    with pytest.raises(ValueError, match="cycle"):
        Hierarchy.from_parents(["r", "a", "b"], [None, "b", "a"])
    with pytest.raises(ValueError, match="'a' appears twice"):
        Hierarchy.from_parents(["a", "a"], [None, None])


def test_from_model_reads_active_flags():
    model = DeliveryModel()
    model.units["R"] = Unit("R", "R", "nation")
    model.units["A"] = Unit("A", "A", "region", "R")
    model.units["B"] = Unit("B", "B", "region", "R", {"active": "false"})
    h = Hierarchy.from_model(model)
    assert h.codes == ("R", "A", "B") and h.levels == ("nation", "region", "region")
    assert h.active.tolist() == [True, True, False]
    assert Hierarchy.from_model(model, active={"B": True}).active.tolist() == [True] * 3
