"""When a slow drift began: a continuous piecewise-linear ("broken stick") fit.

Numbers in, numbers out. A change of mean is found where the level differs most, which for
a slow slide is its middle; the slide began where the slope changed. ``broken_stick`` fits
a level, a straight slide from hinge k1 to hinge k2, and a new level:

    y = a + c ((t - k1)+ - (t - k2)+)        (k1 < k2, integer positions)

by least squares, searched exactly over every pair of hinges. The first period of the
slide is k1 + 1, the first point off the old level; the new level holds from k2. A k2
within ``MIN_SIDE`` points of the end is not a second hinge the data show: the slide is
still going. The start's interval is the profile-likelihood set of k1: every k1 whose best
fit is within chi2(1, 0.95) = 3.84 residual variances of the best, the variance raised by
the long-run factor (1 + rho) / (1 - rho) where the residuals are autocorrelated (rho, their
lag-1 autocorrelation, clipped to [0, 0.8]). A point more than ``OUTLIER_Z`` robust
standard deviations off the fit (a month recorded wrongly) is set aside, the fit's value in
its place, and the search run again (up to ``OUTLIER_ROUNDS`` times). ``beats_a_step``
says whether the slide fits better than the best plain step (a slide of one period) by
BIC's price of one more parameter: a caller that dates steps as found asks it first.

The slopes either side are held at zero because the series dated is a unit's value against
its peers' median, level apart from its shifts (the detection's own model); free slopes
either side fit a real series' slow wander and date the demo's planted drift seven months
later (docs/methods/alerts.md, "Dating a gradual shift").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CHI2_95 = 3.841  # chi-squared, one degree of freedom, 95%
MAX_RHO = 0.8
OUTLIER_Z = 5.0  # a point this many robust sds off the fit is set aside
OUTLIER_ROUNDS = 3
MIN_SIDE = 2  # points on the old level before the first hinge, and on the new after the second


@dataclass(frozen=True)
class HingeFit:
    """Positions (in the values given) of a broken-stick fit's slide."""

    start: int  # first point off the old level (first hinge + 1)
    start_low: int  # the start's 95% profile-likelihood interval
    start_high: int
    end: int | None  # the point from which the new level holds; None: still sliding
    sse: float  # the fit's squared error
    set_aside: int = 0  # points far off the fit, replaced by its value and searched again
    # the best plain step's squared error (a slide of one period), on the same values, and
    # the residual variance (raised for autocorrelation) that prices the slide against it
    step_sse: float = float("nan")
    variance: float = float("nan")

    def beats_a_step(self, n: int) -> bool:
        """Whether the slide fits better than the best step by more than BIC's price of
        the one more parameter, log(n) residual variances: a gradual change, not a step
        read with noise around it."""
        return self.step_sse - self.sse > np.log(n) * self.variance


def broken_stick(values: np.ndarray, *, latest_start: int | None = None) -> HingeFit:
    """The least-squares level-slide-level fit of ``values`` (finite, in order, evenly
    spaced), its slide starting no later than ``latest_start`` (a position)."""
    y = np.asarray(values, dtype=float)
    n = len(y)
    if n < 2 * MIN_SIDE + 2 or not np.isfinite(y).all():
        raise ValueError(f"a broken stick needs at least {2 * MIN_SIDE + 2} finite values")
    t = np.arange(n, dtype=float)
    last_k1 = min(n - MIN_SIDE - 2, (latest_start if latest_start is not None else n) - 1)
    k1s = np.arange(MIN_SIDE - 1, max(last_k1, MIN_SIDE - 1) + 1)
    hinges = np.maximum(t[:, None] - t[None, :], 0.0)
    hinges -= hinges.mean(axis=0)
    sse, k1, k2, fitted = _search(y, k1s, hinges)
    # A point far off the fit (a one-month recording error) would pull the squared error
    # its way: set it aside (in its place, the fit's value) and search again, a few times,
    # as the fit without it moves.
    outliers = np.zeros(n, dtype=bool)
    for _ in range(OUTLIER_ROUNDS):
        residual = y - fitted
        scale = 1.4826 * float(np.median(np.abs(residual - np.median(residual))))
        far = np.abs(residual) > OUTLIER_Z * scale if scale > 0 else outliers
        if (far == outliers).all():
            break
        outliers = far
        sse, k1, k2, fitted = _search(np.where(outliers, fitted, y), k1s, hinges)
    best = float(sse.min())
    rho = _lag1(np.where(outliers, fitted, y) - fitted)
    variance = best / max(n - 4, 1) * (1 + rho) / (1 - rho)  # level, slope, two hinges
    inside = k1s[sse.min(axis=1) - best <= CHI2_95 * variance]
    steps = sse[np.arange(len(k1s)), k1s + 1]  # k2 = k1 + 1: a step after k1
    return HingeFit(start=k1 + 1, start_low=int(inside.min()) + 1,
                    start_high=int(inside.max()) + 1,
                    end=k2 if k2 < n - MIN_SIDE else None, sse=best,
                    set_aside=int(outliers.sum()), step_sse=float(steps.min()),
                    variance=float(variance))


def _search(y: np.ndarray, k1s: np.ndarray, hinges: np.ndarray
            ) -> tuple[np.ndarray, int, int, np.ndarray]:
    """Squared errors of every fit ([k1 index, k2]), the best hinges and the best fit.

    Every fit at once: with the level taken out of y and of each hinge column (t - k)+
    (``hinges``, centred), the slide's column is the difference of two, and its fit is
    read from their Gram matrix and cross-products: O(n^2) pairs, no loop."""
    n = len(y)
    y0 = y - y.mean()
    gram, cross = hinges.T @ hinges, hinges.T @ y0
    diag = np.diag(gram)
    spread = diag[k1s][:, None] - 2 * gram[k1s] + diag[None, :]  # |slide column|^2
    with np.errstate(divide="ignore", invalid="ignore"):
        sse = float(y0 @ y0) - (cross[k1s][:, None] - cross[None, :]) ** 2 / spread
    usable = (np.arange(n)[None, :] > k1s[:, None]) & (spread > 1e-12)
    # an exact fit's error, worked as a difference, can round below 0
    sse = np.where(usable, np.maximum(sse, 0.0), np.inf)
    i, k2 = np.unravel_index(int(np.argmin(sse)), sse.shape)
    k1, k2 = int(k1s[i]), int(k2)
    x = np.column_stack([np.ones(n), np.clip(np.arange(n) - k1, 0, k2 - k1)])
    return sse, k1, k2, x @ np.linalg.lstsq(x, y, rcond=None)[0]


def _lag1(r: np.ndarray) -> float:
    """Lag-1 autocorrelation of residuals, clipped to [0, MAX_RHO]."""
    den = float(r @ r)
    return float(np.clip((r[1:] @ r[:-1]) / den, 0.0, MAX_RHO)) if den > 0 else 0.0


__all__ = ["HingeFit", "broken_stick"]
