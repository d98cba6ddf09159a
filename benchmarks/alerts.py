"""Detection measured: recording changes and counter gaming planted in real US state crime
series, found by analysis.alerts and by a naive rule, side by side (docs/methods/alerts.md).

    PYTHONPATH=src python benchmarks/alerts.py [--data DIR] [--quick] [--plantings N] [--seed S]

Data: FBI Uniform Crime Reporting, 51 states (50 and DC), yearly 1979-2019
(``us_state_crime_ucr_1979_2019.csv`` in ``--data``, the project's shared data folder).
Nothing below is simulated except where said.

Plantings: a state, a first year (1985-2014, so at least five years follow) and a share
(20-40%) of its aggravated assaults recorded as something else from that year on, at once
(``step``) or spread over two years (``ramp``: half the share in the first year).

1. **Recording change** (``ratio_shift``): the assaults leave violent crime for a category
   outside it (simple assault). Read: the ratio of aggravated assaults to the rest of violent
   crime (homicide, rape, robbery), a real ratio of two real series; only the planted state's
   aggravated assaults are changed.
2. **Counter gaming** (``counter``): the headline is violent crime per 100,000; the counter
   is simple assaults, simulated as twice each state's real aggravated assaults times
   exp(N(0, 0.05)) noise a year (the UCR has no simple assaults by state); the moved assaults
   are taken off the headline and added to the counter.

Methods, each scored on the same plantings:

- ``alerts (ours)``: analysis.alerts. For 1, ``ratio_shift_alerts``. For 2,
  ``counter_alerts`` (each series on its own) and ``counter_alerts_against_peers`` (each
  series against the other states' median).
- ``naive``: the ratio's (or series') year-on-year change in log beyond 3 standard
  deviations of the other states' changes that year, from their median; for 2, the headline
  improving and the counter worsening so, in the same year or one apart. Consecutive flagged
  years are one alarm, starting at the first.

Figures: **found**, the share of plantings with an alarm on the planted state in the
planted direction starting within 4 years of the true first year; **within 2**, the share
whose nearest such alarm starts within 2 years; **median distance** of the found; **false
alarms**, alarms on the unplanted states per state-series over the whole 41 years (real
series do change: some of these are real changes of recording practice, not errors of the
method, but the count is what a delivery unit would have to look into).

``--quick``: 20 plantings per case and form (default: 40, about a minute on an idle
core; the table in docs/methods/alerts.md is from ``--plantings 80``). Prints one
table; exits 0.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from stocktake.analysis.alerts import (
    counter_alerts,
    counter_alerts_against_peers,
    ratio_shift_alerts,
)

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FOUND_WITHIN = 4  # years between an alarm's start and the true start, to count as found
FIRST_YEAR, LAST_YEAR = 1985, 2014  # planted first years
NAIVE_SD = 3.0


@dataclass
class Panel:
    states: list[str]
    years: list[str]
    columns: dict[str, np.ndarray]


def load(data: Path) -> Panel:
    path = data / "us_state_crime_ucr_1979_2019.csv"
    with path.open() as f:
        rows = [r for r in csv.DictReader(f) if r["level"] == "state"]
    states = sorted({r["state"] for r in rows})
    years = sorted({int(r["year"]) for r in rows})
    cols = ("aggravated_assault", "violent_crime", "population")
    out = {c: np.full((len(states), len(years)), np.nan) for c in cols}
    for r in rows:
        i, j = states.index(r["state"]), years.index(int(r["year"]))
        for c in cols:
            if r[c]:
                out[c][i, j] = float(r[c])
    return Panel(states, [str(y) for y in years], out)


@dataclass
class Planting:
    unit: int
    start: int  # column of the first planted year
    share: float
    form: str  # step | ramp

    def moved(self, aa: np.ndarray) -> np.ndarray:
        """The assaults recorded as something else: (units, years)."""
        out = np.zeros_like(aa)
        out[self.unit, self.start:] = self.share * aa[self.unit, self.start:]
        if self.form == "ramp":
            out[self.unit, self.start] *= 0.5
        return np.nan_to_num(out)


@dataclass
class Score:
    distances: list[int] = field(default_factory=list)  # per planting: nearest start, or -1
    false_alarms: int = 0
    unplanted_series: int = 0

    def add(self, alarms: list[tuple[int, int, int]], p: Planting, sign: int) -> None:
        """``alarms``: (unit, start column, direction) of each alarm raised."""
        mine = [abs(t - p.start) for u, t, d in alarms if u == p.unit and d == sign]
        self.distances.append(min(mine) if mine else -1)
        self.false_alarms += sum(1 for u, _, _ in alarms if u != p.unit)

    def row(self) -> tuple[str, str, str, str]:
        d = np.array(self.distances)
        found = (d >= 0) & (d <= FOUND_WITHIN)
        near = (d >= 0) & (d <= 2)
        med = f"{np.median(d[found]):.0f}" if found.any() else "-"
        rate = self.false_alarms / max(self.unplanted_series, 1)
        return (f"{found.mean():.0%}", f"{near.mean():.0%}", med, f"{rate:.3f}")


# -- the naive rule ---------------------------------------------------------------------------
def naive_flags(z: np.ndarray) -> np.ndarray:
    """Per unit and year: +1 / -1 where the year-on-year change of ``z`` (log values) departs
    from the other units' median change that year by more than NAIVE_SD of their changes."""
    dz = np.diff(z, axis=1)
    flags = np.zeros_like(z, dtype=np.int8)
    for u in range(len(z)):
        others = np.delete(dz, u, axis=0)
        med = np.nanmedian(others, axis=0)
        sd = np.nanstd(others, axis=0, ddof=1)
        dev = dz[u] - med
        with np.errstate(invalid="ignore"):
            flags[u, 1:] = np.where(dev > NAIVE_SD * sd, 1, np.where(dev < -NAIVE_SD * sd,
                                                                       -1, 0))
    return flags


def alarms_from_flags(flags: np.ndarray) -> list[tuple[int, int, int]]:
    """Runs of same-direction flags, one alarm each at its first year."""
    out = []
    for u, row in enumerate(flags):
        prev = 0
        for t, f in enumerate(row.tolist()):
            if f and f != prev:
                out.append((u, t, f))
            prev = f
    return out


def naive_counter(h: np.ndarray, c: np.ndarray, better: int, worse: int
                  ) -> list[tuple[int, int, int]]:
    hf, cf = naive_flags(np.log(h)), naive_flags(np.log(c))
    out = []
    for u in range(len(h)):
        ht = np.flatnonzero(hf[u] == better)
        ct = np.flatnonzero(cf[u] == worse)
        for t in ht.tolist():
            near = [s for s in ct.tolist() if abs(s - t) <= 1]
            if near:
                out.append((u, min(t, *near), 1))
    return _dedupe(out)


def _dedupe(alarms: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Alarms of one unit starting within a year of the previous one are one alarm."""
    out: list[tuple[int, int, int]] = []
    for a in sorted(set(alarms)):
        if out and out[-1][0] == a[0] and out[-1][2] == a[2] and a[1] - out[-1][1] <= 1:
            continue
        out.append(a)
    return out


# -- the cases ----------------------------------------------------------------------------------
def recording_case(panel: Panel, plantings: list[Planting]) -> dict[str, Score]:
    aa0, vc = panel.columns["aggravated_assault"], panel.columns["violent_crime"]
    rest = vc - aa0  # homicide, rape and robbery: unchanged by the planting
    years = panel.years
    scores = {"alerts (ours)": Score(), "naive": Score()}
    pair = ("aggravated_assault", "other_violent_crime")
    for p in plantings:
        aa = aa0 - p.moved(aa0)
        found = ratio_shift_alerts(panel.states, aa, rest, years, indicators=pair)
        ours = [(panel.states.index(a.unit), years.index(a.start),
                 int(np.sign(a.evidence[0].sigma))) for a in found]
        with np.errstate(divide="ignore", invalid="ignore"):
            naive = alarms_from_flags(naive_flags(np.log(aa / rest)))
        for name, alarms in (("alerts (ours)", ours), ("naive", naive)):
            scores[name].add(alarms, p, -1)
            scores[name].unplanted_series += len(panel.states) - 1
    return scores


def counter_case(panel: Panel, plantings: list[Planting], seed: int) -> dict[str, Score]:
    aa0, vc0 = panel.columns["aggravated_assault"], panel.columns["violent_crime"]
    pop = panel.columns["population"]
    rng = np.random.default_rng(seed)
    simple0 = 2.0 * aa0 * np.exp(rng.normal(0, 0.05, aa0.shape))  # simulated counter
    years, states = panel.years, panel.states
    pair = ("violent_crime_rate", "simple_assaults")
    scores = {"alerts (ours), own series": Score(), "alerts (ours), against peers": Score(),
              "naive": Score()}
    # Own-series readings of unplanted states do not depend on the planting: read once.
    own_clean = [counter_alerts(s, vc0[i] / pop[i] * 1e5, simple0[i], years, indicators=pair,
                                headline_polarity="down", counter_polarity="down")
                 for i, s in enumerate(states)]
    for p in plantings:
        moved = p.moved(aa0)
        rate, simple = (vc0 - moved) / pop * 1e5, simple0 + moved
        own = [(i, years.index(a.start), 1) for i, alerts in enumerate(own_clean)
               if i != p.unit for a in alerts]
        own += [(p.unit, years.index(a.start), 1) for a in counter_alerts(
            states[p.unit], rate[p.unit], simple[p.unit], years, indicators=pair,
            headline_polarity="down", counter_polarity="down")]
        peers = [(states.index(a.unit), years.index(a.start), 1)
                 for a in counter_alerts_against_peers(
                     states, rate, simple, years, indicators=pair, headline_polarity="down",
                     counter_polarity="down")]
        naive = naive_counter(rate, simple, -1, 1)
        for name, alarms in (("alerts (ours), own series", own),
                             ("alerts (ours), against peers", peers), ("naive", naive)):
            scores[name].add(alarms, p, 1)
            scores[name].unplanted_series += len(states) - 1
    return scores


def plantings(panel: Panel, n: int, form: str, rng: np.random.Generator) -> list[Planting]:
    years = [int(y) for y in panel.years]
    out = []
    while len(out) < n:
        u = int(rng.integers(len(panel.states)))
        start = years.index(int(rng.integers(FIRST_YEAR, LAST_YEAR + 1)))
        if np.isnan(panel.columns["aggravated_assault"][u, :start]).sum() > 3:
            continue  # Mississippi before 1995: too little history before the planting
        out.append(Planting(u, start, float(rng.uniform(0.2, 0.4)), form))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA,
                    help="folder with us_state_crime_ucr_1979_2019.csv")
    ap.add_argument("--quick", action="store_true", help="20 plantings per case and form")
    ap.add_argument("--plantings", type=int, help="plantings per case and form")
    ap.add_argument("--seed", type=int, default=14)
    a = ap.parse_args()
    if not (a.data / "us_state_crime_ucr_1979_2019.csv").exists():
        sys.exit(f"--data {a.data}: no us_state_crime_ucr_1979_2019.csv there")
    n = a.plantings or (20 if a.quick else 40)
    panel = load(a.data)
    t0 = time.perf_counter()
    print(f"{n} plantings per case and form: 20-40% of one state's aggravated assaults "
          f"recorded as something else from a year in {FIRST_YEAR}-{LAST_YEAR}; found = "
          f"an alarm within {FOUND_WITHIN} years\n")
    print("| case | form | method | found | within 2 | median distance | false alarms "
          "per unplanted unit-series |")
    print("|---|---|---|---|---|---|---|")
    rng = np.random.default_rng(a.seed)
    cases: list[tuple[str, Callable[[list[Planting]], dict[str, Score]]]] = [
        ("recording change", lambda ps: recording_case(panel, ps)),
        ("counter gaming", lambda ps: counter_case(panel, ps, a.seed)),
    ]
    for case, run in cases:
        for form in ("step", "ramp"):
            for method, score in run(plantings(panel, n, form, rng)).items():
                print(f"| {case} | {form} | {method} | " + " | ".join(score.row()) + " |")
    print(f"\nwall time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
