"""Suggested rebase points: where a series' level changed (method: docs/methods/spc.md).

Numbers in, numbers out; nothing here is applied to a chart: a suggestion is shown to the
analyst with its evidence, and only a rebase the analyst accepts (with a reason) is used.

Method: the segmentation of the observed values into parts of constant mean that minimises

    sum over parts of the squared deviations from the part's mean  +  penalty x (parts - 1)

found exactly by optimal partitioning (Jackson et al. 2005), the search PELT (Killick,
Fearnhead & Eckley 2012) prunes; the series charted here are short enough (hundreds of
points) to search without pruning, so the answer is the exact optimum. Every part holds at
least ``MIN_SEGMENT`` points (12: enough for firm XmR limits). The penalty is the MBIC-like
``3 x log(n) x sigma^2`` (Zhang & Siegmund 2007; the default of the R package changepoint),
with sigma the robust noise level from the moving ranges, ``median |x_i - x_(i-1)| / 0.954``
(the median moving range of independent normal noise is 0.954 sigma): moving ranges are
hardly moved by a few changes of level, so a big change does not hide itself by inflating
the noise estimate.

Evidence for each suggested change: the means of the parts before and after, the shift in
units and in sigma, and the cost reduction (how much the squared deviations fall when the two
neighbouring parts get their own means, in sigma^2) beside the penalty it had to beat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

MIN_SEGMENT = 12  # points in a suggested part: enough for firm XmR limits
PENALTY_FACTOR = 3.0  # penalty = factor x log(n) x sigma^2
MR_TO_SIGMA = 0.9539  # median of |N(0, 2 sigma^2)| = 0.6745 x sqrt(2) sigma
METHOD = (
    "optimal partitioning for changes in mean (exact; the search PELT prunes), penalty "
    "3 log(n) sigma^2, sigma from the median moving range, parts of at least 12 points"
)
REFERENCE = ("Killick, Fearnhead & Eckley (2012), JASA 107:1590; Jackson et al. (2005); "
             "Zhang & Siegmund (2007) for the MBIC penalty")


@dataclass(slots=True)
class Changepoint:
    """A suggested rebase: a new part starts at ``period``."""

    period: str
    index: int  # position in the values given
    mean_before: float
    mean_after: float
    n_before: int
    n_after: int
    shift: float  # mean after - mean before, in the values' units
    shift_sigma: float  # shift / sigma
    cost_reduction: float  # in sigma^2: fall in squared deviations from splitting here
    penalty: float  # in sigma^2: what the reduction had to beat

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def noise_sigma(values: np.ndarray) -> float:
    """Robust noise level: the median moving range over 0.954."""
    mr = np.abs(np.diff(values))
    return float(np.median(mr)) / MR_TO_SIGMA if len(mr) else 0.0


def optimal_partition(values: np.ndarray, penalty: float, min_size: int) -> list[int]:
    """Start positions (excluding 0) of the parts minimising squared error + penalty x parts.

    Exact dynamic programme over every admissible last split: the cost of every part
    [s, t) is computed at once, then one vector minimum per end point t.
    """
    y = np.asarray(values, dtype=float)
    n = len(y)
    if n < 2 * min_size:
        return []
    s1 = np.concatenate([[0.0], np.cumsum(y)])
    s2 = np.concatenate([[0.0], np.cumsum(y * y)])
    length = np.arange(n + 1)[None, :] - np.arange(n + 1)[:, None]  # t - s
    with np.errstate(divide="ignore", invalid="ignore"):
        cost = (s2[None, :] - s2[:, None]) - (s1[None, :] - s1[:, None]) ** 2 / length
    cost = np.where(length >= min_size, np.maximum(cost, 0.0), np.inf) + penalty
    best = np.full(n + 1, np.inf)
    best[0] = -penalty
    last = np.zeros(n + 1, dtype=np.int64)
    for t in range(min_size, n + 1):
        total = best[: t - min_size + 1] + cost[: t - min_size + 1, t]
        k = int(np.argmin(total))
        best[t], last[t] = total[k], k
    cuts = []
    t = n
    while t > 0:
        t = int(last[t])
        if t > 0:
            cuts.append(t)
    return sorted(cuts)


def _sse(y: np.ndarray) -> float:
    return float(((y - y.mean()) ** 2).sum())


def suggest_rebases(
    values: Sequence[float] | np.ndarray,
    periods: Sequence[str],
    *,
    accepted: Sequence[int] = (),
    min_size: int = MIN_SEGMENT,
    penalty_factor: float = PENALTY_FACTOR,
) -> tuple[list[Changepoint], dict[str, Any]]:
    """Suggested rebase points of one series (in period order; NaN values are skipped).

    ``accepted`` are positions where the analyst has already rebased: each accepted part is
    searched on its own and no suggestion repeats an accepted rebase. Returns the suggestions
    and the method's parameters (sigma, penalty, minimum part length).
    """
    y_all = np.asarray(values, dtype=float)
    if len(periods) != len(y_all):
        raise ValueError(f"periods has {len(periods)} entries but values has {len(y_all)}")
    if min_size < 2:
        raise ValueError(f"min_size is {min_size}: a part needs at least 2 points")
    keep = np.flatnonzero(~np.isnan(y_all))
    y = y_all[keep]
    n = len(y)
    sigma = noise_sigma(y)
    params: dict[str, Any] = {
        "method": METHOD, "reference": REFERENCE, "min_segment": min_size,
        "penalty_factor": penalty_factor, "n": n, "sigma": sigma,
        "penalty": None, "accepted_positions": sorted(int(a) for a in accepted),
    }
    if n < 2 * min_size or sigma <= 0 or not np.isfinite(sigma):
        params["note"] = (f"{n} points: at least {2 * min_size} are needed to suggest a rebase"
                          if n < 2 * min_size else "the values do not vary")
        return [], params
    penalty = penalty_factor * np.log(n) * sigma**2
    params["penalty"] = float(penalty)
    # Accepted rebases (positions in the full series) as positions among observed values.
    bounds = sorted({int(np.searchsorted(keep, a)) for a in accepted} - {0, n})
    edges = [0, *bounds, n]
    found: list[int] = []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        found.extend(a + c for c in optimal_partition(y[a:b], penalty, min_size))
    cuts = sorted(set(found))
    all_edges = sorted({0, n, *cuts, *bounds})
    out = []
    for c in cuts:
        i = all_edges.index(c)
        before, after = y[all_edges[i - 1]:c], y[c:all_edges[i + 1]]
        both = y[all_edges[i - 1]:all_edges[i + 1]]
        shift = float(after.mean() - before.mean())
        out.append(Changepoint(
            period=str(periods[int(keep[c])]), index=int(keep[c]),
            mean_before=float(before.mean()), mean_after=float(after.mean()),
            n_before=len(before), n_after=len(after), shift=shift,
            shift_sigma=shift / sigma,
            cost_reduction=(_sse(both) - _sse(before) - _sse(after)) / sigma**2,
            penalty=float(penalty) / sigma**2,
        ))
    return out, params


__all__ = [
    "METHOD",
    "MIN_SEGMENT",
    "Changepoint",
    "noise_sigma",
    "optimal_partition",
    "suggest_rebases",
]
