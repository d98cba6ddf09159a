"""When a slow drift began: a continuous piecewise-linear ("broken stick") fit.

Numbers in, numbers out. A change of mean is found where the level differs most, which for
a slow slide is its middle; the slide began where the slope changed. ``broken_stick`` fits

    y = a + b t + c1 (t - k1)+ + c2 (t - k2)+        (k1 < k2, integer positions)

by least squares, searched exactly over every pair of hinges (``k2`` absent: one hinge, a
slide still going at the end), and keeps the second hinge only where it lowers the squared
error by more than 2 log(n) sigma^2 (BIC's price of its slope and its place). The first
period of the drift is k1 + 1: the first point off the old line. Its interval is the
profile-likelihood set of k1: every k1 whose best fit is within chi2(1, 0.95) = 3.84
residual variances of the best, the variance raised by the long-run factor
(1 + rho) / (1 - rho) where the residuals are autocorrelated (rho clipped to [0, 0.8]).
Method and measurements: docs/methods/alerts.md, "Dating a drift".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CHI2_95 = 3.841  # chi-squared, one degree of freedom, 95%
MAX_RHO = 0.8
MIN_SIDE = 2  # points on the old line before the first hinge, and after the second


@dataclass(frozen=True)
class HingeFit:
    """Positions (in the values given) of a broken-stick fit's slide."""

    start: int  # first point off the old line (first hinge + 1)
    start_low: int  # the start's 95% profile-likelihood interval
    start_high: int
    end: int | None  # the point from which the second slope holds; None: one hinge
    sse: float


def broken_stick(values: np.ndarray, *, latest_start: int | None = None,
                 sigma: float | None = None, level: bool = True) -> HingeFit:
    """The best broken-stick fit of ``values`` (finite, in order, evenly spaced), its first
    hinge no later than ``latest_start`` - 1 (the slide starts by then).

    ``level`` (the default): level before the slide and after it, y = a + c ((t - k1)+ -
    (t - k2)+), every k1 < k2 searched; a second hinge fewer than ``MIN_SIDE`` points from
    the end is not seen (``end`` None: the slide still going). Otherwise free slopes
    either side: the best of one hinge and two (the form in the module's docstring), the
    second kept where it lowers the squared error by more than 2 log(n) sigma^2 (``sigma``:
    default the one-hinge fit's residual standard deviation)."""
    y = np.asarray(values, dtype=float)
    n = len(y)
    if n < 2 * MIN_SIDE + 2 or not np.isfinite(y).all():
        raise ValueError(f"a broken stick needs at least {2 * MIN_SIDE + 2} finite values")
    t = np.arange(n, dtype=float)
    last_k1 = min(n - MIN_SIDE - 2, (latest_start if latest_start is not None else n) - 1)
    k1s = np.arange(MIN_SIDE - 1, max(last_k1, MIN_SIDE - 1) + 1)
    hinges = np.maximum(t[:, None] - t[None, :], 0.0)  # column k: (t - k)+
    # Every fit at once: take the level (or the straight line) out of y and of each hinge
    # column; one or two hinge columns are then a regression on their Gram matrix and
    # cross-products.
    base, _ = np.linalg.qr(np.ones((n, 1)) if level else np.column_stack([np.ones(n), t]))
    h = hinges - base @ (base.T @ hinges)
    y0 = y - base @ (base.T @ y)
    gram, cross, total = h.T @ h, h.T @ y0, float(y0 @ y0)
    g11, g22, g12 = np.diag(gram)[k1s][:, None], np.diag(gram)[None, :], gram[k1s]
    b1, b2 = cross[k1s][:, None], cross[None, :]
    k2 = np.arange(n)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        if level:  # one column, (t - k1)+ - (t - k2)+
            dd = g11 - 2 * g12 + g22
            two = np.where((k2 > k1s[:, None]) & (dd > 1e-12), total - (b1 - b2) ** 2 / dd,
                           np.inf)
        else:
            det = g11 * g22 - g12**2
            two = total - (g22 * b1**2 - 2 * g12 * b1 * b2 + g11 * b2**2) / det
            two = np.where((k2 > k1s[:, None]) & (k2 < n - MIN_SIDE) & (det > 1e-9 * g11 * g22),
                           two, np.inf)
            one = total - np.where(g11[:, 0] > 1e-12, cross[k1s] ** 2 / g11[:, 0], 0.0)
    i2, k2_best = np.unravel_index(int(np.argmin(two)), two.shape)
    k1, end = int(k1s[i2]), int(k2_best)
    profile, best = two.min(axis=1), float(two[i2, k2_best])
    if level:
        fitted = [hinges[:, k1] - hinges[:, end]]
        params = 4  # level, slope, two hinges
        end_seen: int | None = end if end < n - MIN_SIDE else None
    else:
        best1 = int(np.argmin(one))
        noise2 = sigma**2 if sigma is not None and sigma > 0 else one[best1] / max(n - 4, 1)
        if one[best1] - best > 2 * np.log(n) * noise2:
            fitted, params, end_seen = [hinges[:, k1], hinges[:, end]], 6, end
        else:
            profile, best, k1 = one, float(one[best1]), int(k1s[best1])
            fitted, params, end_seen = [hinges[:, k1]], 4, None
    x = np.column_stack([np.ones(n), *([] if level else [t]), *fitted])
    rho = _lag1(y - x @ np.linalg.lstsq(x, y, rcond=None)[0])
    variance = best / max(n - params, 1) * (1 + rho) / (1 - rho)
    inside = k1s[profile - best <= CHI2_95 * variance]
    return HingeFit(start=k1 + 1, start_low=int(inside.min()) + 1,
                    start_high=int(inside.max()) + 1, end=end_seen, sse=best)


def _lag1(r: np.ndarray) -> float:
    den = float(r @ r)
    return float(np.clip((r[1:] @ r[:-1]) / den, 0.0, MAX_RHO)) if den > 0 else 0.0


__all__ = ["HingeFit", "broken_stick"]
