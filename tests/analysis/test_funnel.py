"""Funnel plots (Spiegelhalter 2005), checked against arithmetic done by hand."""

from __future__ import annotations

import json
import math
from statistics import NormalDist

import numpy as np
import pytest

from stocktake.analysis.funnel import funnel, league_table, limits_curve
from stocktake.errors import Invalid

# A proportion case small enough to do by hand. Pooled p0 = 200 / 2000 = 0.1, so the null
# variance p0(1-p0)/n is 0.09/n:
#   unit  y/n        p        se = sqrt(0.09/n)   z = (p - 0.1)/se
#   A     10/100     0.1      0.03                0
#   B     30/200     0.15     0.0212132034        0.05/0.0212132 = 2.3570226
#   C     55/300     0.18333  0.0173205081        0.083333/0.0173205 = 4.8112522
#   D     15/400     0.0375   0.015               -0.0625/0.015 = -4.1666667
#   E     90/1000    0.09     0.0094868330        -0.01/0.0094868 = -1.0540926
UNITS = ["A", "B", "C", "D", "E"]
Y = [10, 30, 55, 15, 90]
N = [100, 200, 300, 400, 1000]


def test_proportion_limits_and_z_scores_by_hand():
    r = funnel(UNITS, Y, N, kind="proportion", overdispersion=False)
    assert r.p0 == pytest.approx(0.1) and r.overall == pytest.approx(0.1)
    assert r.z == pytest.approx([0, 2.3570226, 4.8112522, -4.1666667, -1.0540926], abs=1e-6)
    # Unit A, n = 100: 0.1 +/- 1.959964 * 0.03 and 0.1 +/- 3.090232 * 0.03.
    lo95, hi95 = r.limits["95"]
    lo998, hi998 = r.limits["99.8"]
    assert (lo95[0], hi95[0]) == pytest.approx((0.04120108, 0.15879892), abs=1e-8)
    assert (lo998[0], hi998[0]) == pytest.approx((0.00729304, 0.19270696), abs=1e-8)
    # Unit D, n = 400: 0.1 +/- 1.959964 * 0.015 = 0.1 +/- 0.02939946.
    assert (lo95[3], hi95[3]) == pytest.approx((0.07060054, 0.12939946), abs=1e-8)
    assert r.outside["95"].tolist() == [0, 1, 1, -1, 0]
    assert r.outside["99.8"].tolist() == [0, 0, 1, -1, 0]
    assert r.flagged("99.8") == {"above": ["C"], "below": ["D"]}
    assert r.flagged("95%") == {"above": ["B", "C"], "below": ["D"]}
    assert not r.overdispersion_applied and r.z_adjusted.tolist() == r.z.tolist()


def test_dispersion_estimate_and_test_by_hand():
    # Fewer than 10 units: no Winsorising. sum z^2 = (0.5 + 2.083333 + 1.5625 + 0.1) / 0.09
    # = 47.175926, so phi = 9.4351852. Test: 47.18 against chi-square(4), whose survival
    # function is exp(-x/2) (1 + x/2).
    r = funnel(UNITS, Y, N, kind="proportion")
    assert not r.winsorised
    assert r.phi == pytest.approx(47.175926 / 5, rel=1e-7)
    x = 47.175926
    assert r.dispersion_p_value == pytest.approx(math.exp(-x / 2) * (1 + x / 2), rel=1e-5)
    assert r.overdispersed and r.overdispersion_applied  # "auto" applies it
    root_phi = math.sqrt(47.175926 / 5)  # 3.0716747
    lo, hi = r.limits["95"]
    assert hi[0] == pytest.approx(0.1 + 1.959964 * 0.03 * root_phi, rel=1e-7)
    assert r.z_adjusted[2] == pytest.approx(4.8112522 / root_phi, rel=1e-6)
    assert r.flagged("95") == {"above": [], "below": []}  # nobody stands out any more
    assert "sqrt(phi)" in r.method and "normal approximation" in r.method


def test_additive_random_effects_tau2_by_hand():
    # w = 1/se^2 = n/0.09; sum w - sum w^2/sum w = (2000 - 1,300,000/2000)/0.09 = 15000.
    # tau^2 = (N phi - (N - 1)) / 15000 = (47.175926 - 4) / 15000.
    r = funnel(UNITS, Y, N, kind="proportion", overdispersion=True,
               dispersion_model="additive")
    tau2 = (47.175926 - 4) / 15000
    assert r.tau2 == pytest.approx(tau2, rel=1e-6)
    lo, hi = r.limits["99.8"]
    assert hi[4] == pytest.approx(0.1 + 3.090232 * math.sqrt(0.09 / 1000 + tau2), rel=1e-6)


def test_rate_case_by_hand_per_100000():
    # p0 = 200 / 1,000,000 = 0.0002 (20 per 100,000); Poisson null variance p0/n.
    #   n = 100,000: se = sqrt(2e-9) = 4.472136e-5, i.e. 4.472136 per 100,000;
    #   95%: 20 +/- 1.959964 * 4.472136 = 20 +/- 8.765225; 99.8%: 20 +/- 13.819938.
    units = ["w", "x", "y", "z"]
    y = [5, 30, 50, 115]
    n = [50_000, 100_000, 250_000, 600_000]
    r = funnel(units, y, n, kind="rate", scale=100_000, overdispersion=False)
    assert r.overall == pytest.approx(20.0)
    assert r.values == pytest.approx([10.0, 30.0, 20.0, 19.1666667])
    lo95, hi95 = r.limits["95"]
    lo998, hi998 = r.limits["99.8"]
    assert (lo95[1], hi95[1]) == pytest.approx((11.234775, 28.765225), abs=1e-6)
    assert (lo998[1], hi998[1]) == pytest.approx((6.180062, 33.819938), abs=1e-6)
    assert r.z == pytest.approx([-1.5811388, 2.2360680, 0.0, -0.4564355], abs=1e-6)
    assert r.flagged("95") == {"above": ["x"], "below": []}
    assert r.flagged("99.8") == {"above": [], "below": []}
    # phi = (2.5 + 5 + 0 + 0.208333) / 4 = 1.9270833; N phi = 7.708333 on 3 df. The
    # chi-square(3) survival function is 2(1 - Phi(sqrt x)) + sqrt(2x/pi) exp(-x/2) = 0.0524:
    # not significant at 5%, so "auto" leaves the limits alone though phi > 1.
    auto = funnel(units, y, n, kind="rate", scale=100_000)
    x = 7.708333
    p = 2 * (1 - NormalDist().cdf(math.sqrt(x))) + math.sqrt(2 * x / math.pi) * math.exp(-x / 2)
    assert auto.phi == pytest.approx(1.9270833, rel=1e-6)
    assert auto.dispersion_p_value == pytest.approx(p, rel=1e-4) and p > 0.05
    assert not auto.overdispersion_applied
    forced = funnel(units, y, n, kind="rate", scale=100_000, overdispersion=True)
    assert forced.overdispersion_applied
    assert forced.limits["95"][1][1] == pytest.approx(20 + 8.765225 * math.sqrt(1.9270833),
                                                      rel=1e-6)


def test_lower_limits_are_clipped_at_zero():
    r = funnel(["a", "b"], [0, 10], [10, 1000], kind="rate", overdispersion=False)
    # p0 = 10/1010; at n = 10 the lower 99.8% limit would be negative.
    assert r.limits["99.8"][0][0] == 0.0
    assert r.outside["99.8"][0] == 0  # zero events in a tiny unit is not "below"


def test_overdispersed_simulation_recovers_phi_and_limits_widen_by_its_root():
    rng = np.random.default_rng(20050101)
    k, p0, phi_true = 500, 0.1, 3.0
    n = rng.integers(5_000, 50_000, size=k)
    # Between-unit spread chosen so that var(y/n) = phi_true * p0 (1 - p0) / n.
    p = p0 + rng.normal(size=k) * np.sqrt((phi_true - 1) * p0 * (1 - p0) / n)
    y = rng.binomial(n, p)
    units = [f"u{i}" for i in range(k)]

    plain = funnel(units, y, n, kind="proportion", overdispersion=False, winsor_fraction=0)
    assert plain.phi == pytest.approx(phi_true, rel=0.15)
    assert np.mean(plain.outside["95"] != 0) > 0.2  # a quarter of units "outside": noise

    adjusted = funnel(units, y, n, kind="proportion", overdispersion=True, winsor_fraction=0)
    widen = (adjusted.limits["95"][1] - adjusted.overall) / (plain.limits["95"][1] - plain.overall)
    assert widen == pytest.approx(np.full(k, math.sqrt(adjusted.phi)), rel=1e-9)
    assert np.mean(adjusted.outside["95"] != 0) < 0.09

    # Winsorising at 10%/90% (the published default) shrinks phi for normal z-scores to
    # E[clip(Z, -a, a)^2] = (2 Phi(a) - 1) - 2 a phi(a) + 2 a^2 (1 - Phi(a)), a = z_0.9,
    # about 0.679 of the truth.
    nd = NormalDist()
    a = nd.inv_cdf(0.9)
    shrink = (2 * nd.cdf(a) - 1) - 2 * a * nd.pdf(a) + 2 * a * a * (1 - nd.cdf(a))
    wins = funnel(units, y, n, kind="proportion")
    assert wins.winsorised and wins.overdispersed and wins.overdispersion_applied
    assert wins.phi == pytest.approx(phi_true * shrink, rel=0.15)
    assert wins.phi < plain.phi


def test_limits_curve_matches_the_units_limits_and_widens_with_phi():
    r = funnel(UNITS, Y, N, kind="proportion", overdispersion=False)
    c = limits_curve(r.p0, N, kind="proportion")
    for name in ("95", "99.8"):
        assert c[f"lower_{name}"] == pytest.approx(r.limits[name][0])
        assert c[f"upper_{name}"] == pytest.approx(r.limits[name][1])
    wide = limits_curve(0.1, [100], kind="proportion", phi=4.0)
    assert wide["upper_95"][0] == pytest.approx(0.1 + 1.959964 * 0.03 * 2)
    per100k = limits_curve(0.0002, [100_000], kind="rate", scale=100_000)
    assert per100k["upper_99.8"][0] == pytest.approx(33.819938, abs=1e-6)
    drawn = funnel(UNITS, Y, N, kind="proportion").curve(points=50)
    assert len(drawn["n"]) == 50 and drawn["n"][0] == pytest.approx(50)
    with pytest.raises(ValueError, match="n_grid"):
        limits_curve(0.1, [0, 10], kind="proportion")


def test_league_table_reports_intervals_not_bare_ranks():
    r = funnel(UNITS, Y, N, kind="proportion", overdispersion=False)
    table = league_table(r)
    assert [row.unit for row in table] == ["C", "B", "A", "E", "D"]
    by_unit = {row.unit: row for row in table}
    # C: 0.183333 +/- 1.959964 * 0.0173205 = [0.149386, 0.217281].
    assert (by_unit["C"].lower, by_unit["C"].upper) == pytest.approx((0.149386, 0.217281),
                                                                     abs=1e-6)
    assert {u: row.versus_overall for u, row in by_unit.items()} == {
        "C": "higher", "B": "higher", "A": "not distinguishable",
        "E": "not distinguishable", "D": "lower"}
    for row in table:  # the interval excludes the overall rate exactly for flagged units
        excludes = row.lower > r.overall or row.upper < r.overall
        assert excludes == (row.versus_overall != "not distinguishable")
    strict = {row.unit: row.versus_overall for row in league_table(r, level="99.8")}
    assert strict["B"] == "not distinguishable" and strict["C"] == "higher"
    assert [row.unit for row in league_table(r, descending=False)][0] == "D"


def test_to_dict_names_method_and_parameters():
    r = funnel(UNITS, Y, N, kind="proportion")
    d = r.to_dict()
    json.dumps(d)
    assert d["parameters"]["kind"] == "proportion" and d["parameters"]["z"]["99.8"] == 3.090232
    assert d["dispersion_test"]["df"] == 4 and d["overdispersion_applied"] is True
    assert d["units"][2]["unit"] == "C" and d["units"][2]["outside_95"] == "inside"
    assert "Spiegelhalter" in d["method"]


@pytest.mark.parametrize(("kwargs", "message", "kind"), [
    ({"denominators": [100, 0, 300]},
     "unit 'b': denominator 0.0 must be a positive number", Invalid),
    ({"denominators": [100, -5, 300]}, "unit 'b': denominator -5.0 must be", Invalid),
    ({"numerators": [10, 250, 30]}, "unit 'b': numerator 250.0 exceeds its denominator", Invalid),
    ({"numerators": [10, -1, 30]}, "unit 'b': numerator -1.0 must be a non-negative", Invalid),
    ({"numerators": [10, float("nan"), 30]}, "unit 'b': numerator nan", Invalid),
    ({"numerators": [10, 20]}, "differ in length: 3, 2, 3", ValueError),
    ({"units": ["a", "a", "c"]}, "unit 'a' appears more than once", ValueError),
    ({"kind": "percent"}, "kind must be 'proportion' or 'rate'", Invalid),
    ({"numerators": [0, 0, 0]}, "overall proportion is 0", Invalid),
    ({"scale": 0}, "scale must be a positive number", Invalid),
    ({"overdispersion": "yes"}, "overdispersion must be True, False or 'auto'", Invalid),
    ({"units": ["a"], "numerators": [1], "denominators": [10]}, "at least 2 units", Invalid),
])
def test_bad_input_is_refused_clearly(kwargs, message, kind):
    args = {"units": ["a", "b", "c"], "numerators": [10, 20, 30],
            "denominators": [100, 200, 300], "kind": "proportion"} | kwargs
    with pytest.raises(kind, match=message.replace("(", r"\(")):
        funnel(args.pop("units"), args.pop("numerators"), args.pop("denominators"), **args)


def test_a_rate_may_exceed_one_but_a_proportion_may_not():
    r = funnel(["a", "b"], [250, 20], [200, 200], kind="rate", overdispersion=False)
    assert r.values[0] == pytest.approx(1.25)
    with pytest.raises(Invalid, match="level must be one of"):
        r.flagged("90")
