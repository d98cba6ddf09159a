"""Alerts for gaming and recording changes (analysis.alerts), on real series with planted
changes of known size and start, and on hand-built series whose sizes are worked by hand."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from stocktake.analysis.alerts import (
    MIN_SEGMENTS,
    against_peers,
    counter_alerts,
    counter_alerts_against_peers,
    drift_alerts,
    local_break_alerts,
    ratio_shift_alerts,
    read_shifts,
)
from stocktake.errors import Invalid

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
CRIME = DATA / "us_state_crime_ucr_1979_2019.csv"
needs_data = pytest.mark.skipif(not CRIME.exists(), reason="the shared real data is not here")


def us_panel(*columns: str) -> tuple[list[str], list[str], dict[str, np.ndarray]]:
    """States x years of each column, NaN where missing (Mississippi before 1995)."""
    with CRIME.open() as f:
        rows = [r for r in csv.DictReader(f) if r["level"] == "state"]
    states = sorted({r["state"] for r in rows})
    years = sorted({int(r["year"]) for r in rows})
    out = {c: np.full((len(states), len(years)), np.nan) for c in columns}
    for r in rows:
        i, j = states.index(r["state"]), years.index(int(r["year"]))
        for c in columns:
            if r[c]:
                out[c][i, j] = float(r[c])
    return states, [str(y) for y in years], out


def months(n: int, first_year: int = 2019) -> list[str]:
    return [f"{first_year + k // 12}-{k % 12 + 1:02d}" for k in range(n)]


# -- real series, planted changes -------------------------------------------------------------
@pytest.mark.slow
@needs_data
def test_planted_recording_changes_are_found_near_their_start_and_nowhere_else():
    """Move 20-40% of one state's aggravated assaults out of violent crime from a chosen
    year (12 plantings drawn at random); the ratio of aggravated assaults to the rest of
    violent crime is read against the other states."""
    states, years, p = us_panel("aggravated_assault", "violent_crime")
    aa, rest = p["aggravated_assault"], p["violent_crime"] - p["aggravated_assault"]
    pair = ("aggravated_assault", "other_violent_crime")
    before = [(a.unit, years.index(a.start)) for a in ratio_shift_alerts(
        states, aa, rest, years, indicators=pair)]
    rng = np.random.default_rng(14)
    found = near = new_elsewhere = 0
    for _ in range(12):
        u = int(rng.integers(len(states)))
        start = int(rng.integers(6, len(years) - MIN_SEGMENTS["year"] - 2))
        share = float(rng.uniform(0.2, 0.4))
        planted = aa.copy()
        planted[u, start:] *= 1 - share
        alerts = ratio_shift_alerts(states, planted, rest, years, indicators=pair)
        mine = [abs(years.index(a.start) - start) for a in alerts
                if a.unit == states[u] and a.evidence[0].sigma < 0]
        found += bool(mine) and min(mine) <= 4
        near += bool(mine) and min(mine) <= 2
        new_elsewhere += sum(1 for a in alerts if a.unit != states[u] and not any(
            v == a.unit and abs(t - years.index(a.start)) <= 2 for v, t in before))
    # Real state series drift and change of their own, so a 20-40% change is found about
    # half the time at the false-alarm rate chosen (benchmarks/alerts.py measures it over
    # many plantings); the bar here is five of twelve, each start within two years.
    assert found >= 5, found
    assert near == found, (near, found)
    # planting in one state moves the others' median a little, and the segmentation of a
    # drifting real series is sensitive to it: alerts on the 600 unplanted state-series
    # not within two years of one raised before planting stay under one in twenty
    assert new_elsewhere <= 30, new_elsewhere


@pytest.mark.slow
@needs_data
def test_a_change_every_unit_shares_is_not_a_local_alert():
    """A national recording change (every state's aggravated assaults down 30% from 2005)
    cancels against the peers' median: the alerts are the same as without it."""
    states, years, p = us_panel("aggravated_assault", "violent_crime")
    aa, rest = p["aggravated_assault"], p["violent_crime"] - p["aggravated_assault"]
    pair = ("aggravated_assault", "other_violent_crime")
    national = aa.copy()
    national[:, years.index("2005"):] *= 0.7
    plain = ratio_shift_alerts(states, aa, rest, years, indicators=pair)
    shifted = ratio_shift_alerts(states, national, rest, years, indicators=pair)
    assert [(a.unit, a.start) for a in shifted] == [(a.unit, a.start) for a in plain]
    breaks = local_break_alerts(states, national, years, indicator="aggravated_assault")
    assert not any(a.start in ("2004", "2005", "2006") for a in breaks
                   if a.size["aggravated_assault"]["relative"] is not None
                   and a.size["aggravated_assault"]["relative"] < -0.25)
    # ... while read on its own, each state's series does break there
    own = read_shifts(np.log(national[0] / rest[0]), years, log=True)
    assert any(abs(years.index(s.start) - years.index("2005")) <= 1 for s in own.shifts)


# -- slow drifts ----------------------------------------------------------------------------
def test_a_counter_drifting_the_worse_way_is_raised_where_a_break_is_not():
    """Eight plantings of the demo's homelessness case: 30 units report a percentage of a
    few dozen people a month (binomial noise), one unit's rate rising from about 14% to
    26% over 18 months from a random month. A slow rise often stays inside the peers'
    six-month shifts (no local break); over 18 months either side it stands out. The
    drift test must add what the break test misses, raise nothing the better way, and
    keep false alarms on the 29 unplanted units under one in fifty."""
    periods = months(96)
    found = added = false = covered = 0
    for seed in range(8):
        rng = np.random.default_rng(seed)
        people = rng.poisson(rng.uniform(20, 60, (30, 1)), (30, 96))
        rate = np.clip(0.14 + rng.normal(0, 0.02, (30, 1)), 0.05, 0.3) * np.ones((30, 96))
        start = int(rng.integers(36, 66))
        rate[0] += 0.12 * np.clip((np.arange(96) - start + 1) / 18, 0, 1)
        pct = 100 * rng.binomial(people, rate) / np.maximum(people, 1)
        units = [f"U{i}" for i in range(30)]
        drifts = drift_alerts(units, pct, periods, indicator="r", polarity="down")
        breaks = local_break_alerts(units, pct, periods, indicator="r")
        mine = [a for a in drifts if a.unit == "U0"]
        assert all(a.size["r"]["change"] > 0 for a in mine)
        # dated by a broken-stick fit: in this noise (a percentage of a few dozen people,
        # the move 18 months long) its start is uncertain by about a year either way, and
        # its interval says so: it holds the planted start in most plantings
        assert all(abs(periods.index(a.start) - start) <= 15 for a in mine)
        covered += sum(periods.index(a.evidence[0].start_low) <= start
                       <= periods.index(a.evidence[0].start_high) for a in mine)
        broke = any(a.unit == "U0" for a in breaks)
        found += bool(mine) or broke
        added += bool(mine) and not broke
        false += sum(a.unit != "U0" for a in drifts)
        # a rate that falls is better: with higher as worse, the planted rise is not raised
        # when higher is better
        assert not any(a.unit == "U0" for a in drift_alerts(units, pct, periods,
                                                           indicator="r", polarity="up"))
    assert found >= 6, found
    assert added >= 4, added
    assert covered >= 4, covered  # of the 5 drifts found
    assert false <= 8 * 29 // 50, false


def test_a_drift_needs_a_polarity_it_knows():
    with pytest.raises(Invalid, match="polarity"):
        drift_alerts(["a", "b", "c"], np.ones((3, 24)), months(24), indicator="r",
                     polarity="sideways")


# -- seasonal and short series -----------------------------------------------------------------
def test_a_seasonal_series_with_no_change_gives_no_alert():
    """Monthly counts with a strong summer peak (+/-25%), Poisson noise, no change: the
    seasonal test adjusts them, so no season reads as a shift."""
    rng = np.random.default_rng(7)
    periods = months(96)
    moy = np.arange(96) % 12
    season = 1 + 0.25 * np.cos(2 * np.pi * (moy - 6) / 12)
    headline = rng.poisson(400 * season).astype(float)
    counter = rng.poisson(80 * season).astype(float)
    assert read_shifts(headline, periods).seasonal
    assert counter_alerts("X", headline, counter, periods, indicators=("h", "c"),
                          headline_polarity="down", counter_polarity="down") == []
    units = [f"U{i}" for i in range(6)]
    panel = rng.poisson(300 * season[None, :] * rng.uniform(0.5, 2, (6, 1))).astype(float)
    assert local_break_alerts(units, panel, periods, indicator="c") == []


def test_a_short_series_gives_no_alert_rather_than_a_guess():
    periods = months(2 * MIN_SEGMENTS["month"] - 1)
    y = np.r_[np.full(6, 10.0), np.full(5, 20.0)] + np.tile([0.1, -0.1], 6)[:11]
    reading = read_shifts(y, periods)
    assert reading.shifts == ()
    assert "at least 12 are needed" in reading.note
    assert counter_alerts("X", -y, y, periods, indicators=("h", "c"),
                          headline_polarity="up", counter_polarity="down") == []


# -- sizes worked by hand ----------------------------------------------------------------------
def test_the_size_of_a_step_is_the_difference_of_the_means_either_side():
    noise = np.tile([0.1, -0.1], 8)
    y = np.r_[np.full(8, 10.0), np.full(8, 15.0)] + noise
    s = read_shifts(y, months(16)).shifts
    assert len(s) == 1
    assert s[0].start == "2019-09"  # the ninth month: the first of the new level
    assert s[0].before == pytest.approx(10.0) and s[0].after == pytest.approx(15.0)
    assert s[0].change == pytest.approx(5.0) and s[0].relative == pytest.approx(0.5)
    assert s[0].end == "2020-04"


def test_a_ratio_shift_is_sized_against_the_peers_and_said_plainly():
    """Five cities with 20 unfounded reports per 100 violent reports; from 2019-09 Winnipeg
    records 30 per 100: 50% more. Winnipeg's ratio wobbles by the same factor up and down
    in each half, so the shift of its log ratio against the steady peers is exactly
    log(1.5)."""
    periods = months(16)
    wobble = np.exp(np.tile([0.02, -0.02], 8))
    reports = np.full((5, 16), 1000.0)
    unfounded = np.full((5, 16), 200.0)
    unfounded[0] *= wobble
    unfounded[0, 8:] *= 1.5
    cities = ["MB-WPG", "ON-TOR", "QC-MTL", "BC-VAN", "AB-CAL"]
    alerts = ratio_shift_alerts(cities, unfounded, reports, periods,
                                indicators=("unfounded_incidents", "violent_reports"),
                                ratio_words="unfounded reports per violent report",
                                names={"MB-WPG": "Winnipeg"}, peer_word="city")
    assert [(a.kind, a.unit, a.start) for a in alerts] == [("ratio_shift", "MB-WPG", "2019-09")]
    a = alerts[0]
    size = a.size["unfounded_incidents/violent_reports"]
    assert size["relative"] == pytest.approx(0.5)
    assert size["before"] == pytest.approx(0.2 * wobble[:8].mean())
    assert size["after"] == pytest.approx(0.3 * wobble[8:].mean())
    assert a.explanation.startswith(
        "from 2019-09 Winnipeg records 50% more unfounded reports per violent report")
    assert a.explanation.endswith("no other city changed")
    assert a.status == "open" and a.end == "2020-04"


def test_a_counter_alert_carries_both_changes_and_their_evidence():
    noise = np.tile([0.2, -0.2], 12)
    headline = np.r_[np.full(12, 50.0), np.full(12, 40.0)] + noise  # lower is better
    counter = np.r_[np.full(12, 10.0), np.full(12, 16.0)] + noise  # higher is worse
    alerts = counter_alerts("MB-WPG", headline, counter, months(24),
                            indicators=("violent_crime_rate", "unfounded_pct"),
                            headline_polarity="down", counter_polarity="down",
                            name="Winnipeg")
    assert len(alerts) == 1
    a = alerts[0]
    assert (a.kind, a.start, a.end) == ("counter", "2020-01", "2020-12")
    assert a.size["violent_crime_rate"]["change"] == pytest.approx(-10.0)
    assert a.size["violent_crime_rate"]["relative"] == pytest.approx(-0.2)
    assert a.size["unfounded_pct"]["change"] == pytest.approx(6.0)
    assert a.size["unfounded_pct"]["relative"] == pytest.approx(0.6)
    assert [e.series for e in a.evidence] == ["violent_crime_rate", "unfounded_pct"]
    assert "12 of 12 points below the lower limit" in a.evidence[0].spc
    assert a.strength == pytest.approx(min(abs(e.sigma) for e in a.evidence), abs=0.01)
    assert "(50 to 40, 20%)" in a.explanation and "(10 to 16, 60%)" in a.explanation
    # A percentage's change is said in points, both figures with the same decimals.
    (p,) = counter_alerts("MB-WPG", headline, counter + 0.3, months(24),
                          indicators=("violent_crime_rate", "unfounded_pct"),
                          headline_polarity="down", counter_polarity="down",
                          name="Winnipeg", percent={"unfounded_pct"})
    assert "(50 to 40, 20%)" in p.explanation
    assert "(10.3% to 16.3%, 6.0 points)" in p.explanation
    d = a.to_dict()
    assert list(d) == ["kind", "unit", "indicators", "start", "end", "size", "evidence",
                       "strength", "status", "explanation"]
    # the same counter improving alongside is no alert; nor a headline that worsens
    assert counter_alerts("X", headline, 26 - counter, months(24), indicators=("h", "c"),
                          headline_polarity="down", counter_polarity="down") == []
    assert counter_alerts("X", headline, counter, months(24), indicators=("h", "c"),
                          headline_polarity="up", counter_polarity="down") == []


def test_against_peers_leaves_each_unit_out_of_its_own_median():
    z = np.array([[0.0, 1.0], [2.0, 2.0], [4.0, 6.0]])
    assert against_peers(z).tolist() == [[-3.0, -3.0], [0.0, -1.5], [3.0, 4.5]]


def test_bad_input_says_what_and_where():
    with pytest.raises(Invalid) as e:
        ratio_shift_alerts(["A", "B", "C"], np.ones((3, 30)), np.ones((3, 29)), months(30),
                           indicators=("a", "b"))
    assert e.value.problems[0].where == "denominator"
    with pytest.raises(Invalid) as e:
        counter_alerts("A", np.ones(30), np.ones(30), months(30), indicators=("h", "c"),
                       headline_polarity="neutral", counter_polarity="down")
    assert e.value.problems[0].where == "headline_polarity"
    with pytest.raises(Invalid):
        read_shifts(np.ones(30), months(29))


def test_counter_alerts_against_peers_ignore_a_shared_fall_and_find_a_local_one():
    """Six forces; from month 13 crime falls 20% everywhere and the counter rises 30%
    everywhere (a national change): read against the peers, no alert, though each force's
    own series shows both. Force F0 alone also moves 30% of its crime into the counter from
    month 25: that is an alert, dated there."""
    rng = np.random.default_rng(5)
    periods = months(48)
    t = np.arange(48)
    level = rng.uniform(800, 1200, (6, 1))
    shared = np.where(t >= 12, 0.8, 1.0)
    crime = level * shared * np.exp(rng.normal(0, 0.02, (6, 48)))
    counter = 0.2 * level * np.where(t >= 12, 1.3, 1.0) * np.exp(rng.normal(0, 0.02, (6, 48)))
    forces = [f"F{i}" for i in range(6)]
    pair = ("violent_crime", "unfounded")
    common = counter_alerts_against_peers(forces, crime, counter, periods, indicators=pair,
                                          headline_polarity="down", counter_polarity="down")
    assert common == []
    own = counter_alerts("F1", crime[1], counter[1], periods, indicators=pair,
                         headline_polarity="down", counter_polarity="down")
    assert [a.start for a in own] == ["2020-01"]  # month 13, seen on its own series
    moved = np.where(t >= 24, 0.3 * crime[0], 0.0)
    crime[0] -= moved
    counter[0] += moved
    local = counter_alerts_against_peers(forces, crime, counter, periods, indicators=pair,
                                         headline_polarity="down", counter_polarity="down")
    assert [(a.unit, a.start) for a in local] == [("F0", "2021-01")]
    assert local[0].size["violent_crime"]["relative"] == pytest.approx(-0.3, abs=0.03)


def test_figures_of_one_change_share_their_decimals():
    from stocktake.analysis.wording import figure_pair

    assert figure_pair(14.84, 8.738) == ("14.84", "8.74")  # three figures of the smaller
    assert figure_pair(0.1505, 0.2341) == ("0.150", "0.234")
    assert figure_pair(109.4, 93.77) == ("109.4", "93.8")
    assert figure_pair(3562.0, 5198.4) == ("3,562", "5,198")
    assert figure_pair(50.0, 40.0) == ("50", "40")
