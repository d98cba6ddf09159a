"""Short histories that moved steadily one way: the flat forecast plus the mean step.

With 5 to 9 points the procedure fits no trend (ETS(A,N,N), analysis.ets): too few points
for a damped trend's five parameters, and a short history that fell every year was
forecast flat. Such a history, when it is also steady (every step of one sign, the steps'
sd at most STEADY_CV of the mean step: a smooth modelled estimate, not a noisy count), is
forecast with its drift (Hyndman and Athanasopoulos, "Forecasting: Principles and
Practice", section 5.2, the drift method):

    centre at h = last value + h * d,   d = the mean step (y_n - y_1) / (n - 1)
    sd at h     = sqrt(sd_flat(h)^2 + h^2 s^2 / (n - 1)),   s = the sd of the steps

sd_flat is the simple exponential smoothing's own sd (the steps taken as noise, so the
interval still holds a rise or fall that stops); the second term is the drift's own
uncertainty (sd s / sqrt(n - 1), carried h periods). For a forecast of a short history the
rule is applied at its origin and at the earlier origins that calibrate it, so the
calibration measures the errors of the procedure used (with_drift).

Measured on every 5-9 point window of the real panels (benchmarks/calibration.py --short,
docs/methods/forecast.md "Short histories"): the drift of any one-way history (counts of
crimes and prisoners included) made their errors worse (MASE 1.49 to 3.56 on homicide) and
its own intervals far too narrow; restricted to steady histories it cut the error of
Gapminder's infant mortality from 2.56 to 1.07 MASE and kept every panel's coverage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from stocktake.analysis.ets import DAMPED_TREND_MIN_POINTS, _Run

DRIFT_MIN_POINTS = 5  # four steps at least
STEADY_CV = 0.25  # the steps' sd at most this share of the mean step


@dataclass(frozen=True)
class DriftRun(_Run):
    """The procedure's run at one origin, with the history's drift added."""

    drift: float = 0.0  # the mean step
    step_sd: float = 0.0  # the sd of the steps

    @property
    def model(self) -> str:
        return self.fit.name + " with drift"


def one_way(y: np.ndarray) -> bool:
    """Whether every step of ``y`` is in one direction (strictly up, or strictly down)."""
    d = np.diff(y)
    return len(d) > 0 and bool(np.all(d > 0) or np.all(d < 0))


def steady(y: np.ndarray) -> bool:
    """Whether ``y`` moved one way in even steps (sd at most STEADY_CV of the mean)."""
    d = np.diff(y)
    return len(d) > 1 and one_way(y) and float(d.std(ddof=1)) <= STEADY_CV * abs(float(d.mean()))


def drift_run(y: np.ndarray, run: _Run) -> DriftRun:
    """``run`` (the flat procedure on the whole of ``y``) with the drift of ``y`` added."""
    n, horizon = len(y), len(run.mean)
    steps = np.diff(y)
    d, s = float(steps.mean()), float(steps.std(ddof=1))
    h = np.arange(1, horizon + 1, dtype=float)
    note = (f"short series ({n} points < {DAMPED_TREND_MIN_POINTS}) that moved "
            f"{'up' if d > 0 else 'down'} in even steps: the flat forecast plus the mean "
            f"step ({d:+.4g} a period), the interval widened for the step's own uncertainty")
    return DriftRun(fit=run.fit, mean=run.mean + h * d,
                    sd=np.sqrt(run.sd**2 + (h * s) ** 2 / (n - 1)), notes=(note,),
                    drift=d, step_sd=s)


def uneven_note(y: np.ndarray) -> str | None:
    """What a flat forecast of a short history that moved one way unevenly should say."""
    if not (DRIFT_MIN_POINTS <= len(y) < DAMPED_TREND_MIN_POINTS) or not one_way(y):
        return None
    way = "up" if y[-1] > y[0] else "down"
    return (f"every step of the {len(y)} points was {way}, but unevenly: the forecast is "
            "flat (on real panels, extending such a short run did worse than not; see the "
            "method's notes on short histories)")


def with_drift(runs: Mapping[int, _Run], y: np.ndarray, origin: int, trend: bool = True
               ) -> dict[int, _Run]:
    """The runs for a forecast at ``origin`` (o: the procedure on the first o values of
    ``y``), with the run of each short steady history given its drift when the forecast
    itself is of a short history. A forecast of 10 or more points keeps the runs as they
    were, its calibration included: drift runs at its early origins made the errors of
    its damped trend look smaller than they were (Gapminder's 95% coverage 92.7% -> 89.5%,
    docs/methods/forecast.md). ``trend=False`` (small counts on the square-root scale,
    analysis.forecast): unchanged."""
    out = dict(runs)
    if not trend or origin >= DAMPED_TREND_MIN_POINTS:
        return out
    for o, run in runs.items():
        if (DRIFT_MIN_POINTS <= o < DAMPED_TREND_MIN_POINTS and not run.fit.spec.trend
                and not run.fit.spec.m and steady(y[:o])):
            out[o] = drift_run(y[:o], run)
    return out
