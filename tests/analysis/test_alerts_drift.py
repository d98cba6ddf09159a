"""Dating a drift (analysis.hinge, analysis.alerts.drift_alerts): ramps of known start,
length and size planted in real series, the broken-stick fit checked against ordinary least
squares over every pair of hinges (statsmodels), and a step still dated at the step."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import statsmodels.api as sm

from stocktake.analysis.alerts import DRIFT_WINDOW, drift_alerts, local_break_alerts
from stocktake.analysis.hinge import CHI2_95, MIN_SIDE, broken_stick

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
PRISONERS = DATA / "au_state_prisoners_quarterly_2005_2016.csv"
needs_data = pytest.mark.skipif(not PRISONERS.exists(), reason="the shared real data is not here")
SERIES = ("prisoners_female_remanded", "prisoners_female_sentenced", "prisoners_male_remanded",
          "prisoners_male_sentenced")


def prisoners(column: str) -> tuple[list[str], list[str], np.ndarray]:
    """Australia's 8 states x 48 quarters (2005-Q1 to 2016-Q4) of one count."""
    with PRISONERS.open() as f:
        rows = list(csv.DictReader(f))
    states = sorted({r["state"] for r in rows})
    quarters = sorted({r["quarter"] for r in rows})
    out = np.full((len(states), len(quarters)), np.nan)
    for r in rows:
        out[states.index(r["state"]), quarters.index(r["quarter"])] = float(r[column])
    return states, [f"{q[:4]}-Q{q[-1]}" for q in quarters], out


def against_median(values: np.ndarray, u: int) -> np.ndarray:
    """One state's log count less the median of the other states' (as the detection reads
    it), worked here from the panel."""
    return np.log(values[u]) - np.median(np.log(np.delete(values, u, axis=0)), axis=0)


# -- the fit against an independent least squares ------------------------------------------
@needs_data
def test_the_broken_stick_is_the_least_squares_fit_over_every_pair_of_hinges():
    """A real series (New South Wales' sentenced men against the other states, a 25% rise
    planted over 8 quarters): fit y = a + c * clip(t - k1, 0, k2 - k1) by OLS
    (statsmodels) for every k1 < k2 and take the smallest residual sum of squares. The
    broken stick finds the same hinges, the same error, and the same profile interval."""
    states, _, values = prisoners("prisoners_male_sentenced")
    t = np.arange(values.shape[1])
    planted = values.copy()
    planted[states.index("NSW")] *= 1 + 0.25 * np.clip((t - 20 + 1) / 8, 0, 1)
    y = against_median(planted, states.index("NSW"))
    n = len(y)
    ssr = {}
    for k1 in range(MIN_SIDE - 1, n - MIN_SIDE - 1):
        for k2 in range(k1 + 1, n):
            x = sm.add_constant(np.clip(t - k1, 0, k2 - k1).astype(float))
            ssr[k1, k2] = sm.OLS(y, x).fit().ssr
    (k1, k2), best = min(ssr.items(), key=lambda kv: kv[1])
    fit = broken_stick(y)
    assert (fit.start, fit.end) == (k1 + 1, k2 if k2 < n - MIN_SIDE else None)
    assert fit.sse == pytest.approx(best, rel=1e-9)
    # the profile: every first hinge whose best fit is within 3.84 residual variances
    residual = sm.OLS(y, sm.add_constant(np.clip(t - k1, 0, k2 - k1).astype(float))).fit().resid
    rho = np.clip(residual[1:] @ residual[:-1] / (residual @ residual), 0, 0.8)
    variance = best / (n - 4) * (1 + rho) / (1 - rho)
    profile = {}
    for (a, _), v in ssr.items():
        profile[a] = min(profile.get(a, np.inf), v)
    inside = [a + 1 for a, v in profile.items() if v - best <= CHI2_95 * variance]
    assert (fit.start_low, fit.start_high) == (min(inside), max(inside))


def test_a_step_is_a_slide_of_one_period_and_a_ramp_is_dated_where_it_began():
    """Worked by hand: a step from 0 to 1 at position 10 is fitted exactly with the slide
    from 9 to 10 (start 10, end 10); a noiseless ramp from 0 at position 7 to 1 at 13 is
    fitted exactly from its first moved point, 8, to 13. A slide that never levels off
    has no end."""
    step = np.r_[np.zeros(10), np.ones(10)]
    assert (broken_stick(step).start, broken_stick(step).end) == (10, 10)
    ramp = np.clip((np.arange(24) - 7) / 6, 0, 1)
    fit = broken_stick(ramp)
    assert (fit.start, fit.end, fit.start_low, fit.start_high) == (8, 13, 8, 8)
    assert fit.sse == pytest.approx(0, abs=1e-18)
    still = np.r_[np.zeros(12), np.arange(1, 13) / 12]
    assert broken_stick(still).end is None
    with pytest.raises(ValueError):
        broken_stick(np.r_[1.0, np.nan, np.ones(8)])


# -- planted in real series ------------------------------------------------------------------
@needs_data
def test_planted_ramps_in_real_series_are_dated_near_their_start():
    """24 plantings in Australia's real quarterly prisoner counts (4 series, 8 states): one
    state's count rising by 30-60% over 4, 6 or 8 quarters from a random quarter, read as a
    counter (higher is worse). Where the drift test raises the planted state, its start is
    dated within two quarters of the planted one in over half the plantings, and its
    interval holds the planted start in about half; the other states raise no more than
    one new alarm in twenty of their series."""
    rng = np.random.default_rng(14)
    found = near = covered = new_elsewhere = unplanted = 0
    for column in SERIES:
        states, quarters, values = prisoners(column)
        before = {a.unit for a in drift_alerts(states, values, quarters, indicator=column,
                                               polarity="down")}
        t = np.arange(len(quarters))
        for _ in range(6):
            u = int(rng.integers(len(states)))
            length = int(rng.choice([4, 6, 8]))
            start = int(rng.integers(8, len(quarters) - DRIFT_WINDOW * 4 - length + 1))
            planted = values.copy()
            planted[u] *= 1 + rng.uniform(0.3, 0.6) * np.clip((t - start + 1) / length, 0, 1)
            alerts = drift_alerts(states, planted, quarters, indicator=column,
                                  polarity="down")
            mine = [a for a in alerts if a.unit == states[u]]
            unplanted += len(states) - 1
            new_elsewhere += len({a.unit for a in alerts} - before - {states[u]})
            if not mine:
                continue
            nearest = min(mine, key=lambda a: abs(quarters.index(a.start) - start))
            found += 1
            near += abs(quarters.index(nearest.start) - start) <= 2
            e = nearest.evidence[0]
            covered += quarters.index(e.start_low) <= start <= quarters.index(e.start_high)
            assert nearest.size[column]["change"] > 0
    # Measured: 10 of 24 found, 6 dated within two quarters (5 when dated as a change of
    # mean), 5 held by their interval; 4 new alarms on the 168 unplanted state-series, as
    # many as before (the detection is unchanged). Of the four dated far off, two are at
    # states raised before the planting (their own real drifts, 10 and 15 quarters
    # later); two are dated 7 and 14 quarters early, where the real series wandered.
    assert found >= 8, found
    assert near >= found / 2, (near, found)
    assert covered >= 0.4 * found, (covered, found)
    assert new_elsewhere <= unplanted / 20, (new_elsewhere, unplanted)


@needs_data
def test_an_abrupt_break_is_still_dated_at_the_step():
    """A 40% step from 2010-Q3 in each state's real quarterly count of remanded and of
    sentenced men, in turn: where a local break is raised at the planted state, it is dated
    at the step, as before drifts were dated by a broken stick."""
    dated = []
    for column in ("prisoners_male_remanded", "prisoners_male_sentenced"):
        states, quarters, values = prisoners(column)
        for u, state in enumerate(states):
            planted = values.copy()
            planted[u, quarters.index("2010-Q3"):] *= 1.4
            mine = [quarters.index(a.start) - quarters.index("2010-Q3") for a in
                    local_break_alerts(states, planted, quarters, indicator=column)
                    if a.unit == state]
            # a state may also have a real break of its own, years away
            dated += [d for d in mine if abs(d) <= 4]
    assert len(dated) >= 6, dated
    assert set(dated) == {0}, dated


def test_a_point_far_off_the_fit_is_set_aside_before_the_slide_is_dated():
    """A slide from position 20 to 30 with a little noise, and one month recorded at ten
    times the slide's size at position 8 (a recording error): the squared error alone would
    bend the fit towards it; set aside, the slide is dated where it is without it."""
    rng = np.random.default_rng(3)
    clean = np.clip((np.arange(48) - 19) / 10, 0, 1) + rng.normal(0, 0.05, 48)
    spiked = clean.copy()
    spiked[8] += 10
    fit, plain = broken_stick(spiked), broken_stick(clean)
    assert fit.set_aside == 1 and plain.set_aside == 0
    assert (fit.start, fit.end) == (plain.start, plain.end)
    assert abs(plain.start - 20) <= 1
