"""Suggested rebase points: where a series' level changed.

Numbers in, numbers out; nothing here is applied to a chart: a suggestion is shown to the
analyst with its evidence, and only a rebase the analyst accepts (with a reason) is used.
The series is split exactly (optimal partitioning) into parts of constant mean, of at least
``MIN_SEGMENT`` points, against a penalty of ``3 x log(n) x sigma^2`` with sigma the robust
noise level from the moving ranges.

The method, its evidence and its references: docs/methods/spc.md, section 3.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .wording import Sentence

MIN_SEGMENT = 12  # points in a suggested part: enough for firm XmR limits
PENALTY_FACTOR = 3.0  # penalty = factor x log(n) x sigma^2
MR_TO_SIGMA = 0.9539  # median of |N(0, 2 sigma^2)| = 0.6745 x sqrt(2) sigma
# A Sentence (the English string in the JSON) that a French page says from the alerts catalogue.
METHOD = Sentence(
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


def noise_sigmas(values: np.ndarray) -> list[float]:
    """``noise_sigma`` of each row of ``values`` (rows x points, no NaN), the medians taken
    together: row for row the same figure."""
    y = np.asarray(values, dtype=float)
    if y.shape[1] < 2:
        return [0.0] * len(y)
    return [m / MR_TO_SIGMA for m in np.median(np.abs(np.diff(y, axis=1)), axis=1).tolist()]


def optimal_partition(values: np.ndarray, penalty: float, min_size: int) -> list[int]:
    """Start positions (excluding 0) of the parts minimising squared error + penalty x parts
    (``optimal_partitions`` for one series: the same arithmetic)."""
    y = np.asarray(values, dtype=float)
    return optimal_partitions(y[None, :], np.array([float(penalty)]), min_size)[0]


def optimal_partitions(values: np.ndarray, penalties: np.ndarray, min_size: int
                       ) -> list[list[int]]:
    """``optimal_partition`` for each row of ``values`` (rows x points, no NaN), each with its
    penalty. An exact dynamic programme over every admissible last split, vectorised across
    the rows: row for row the same arithmetic as one series alone."""
    y = np.asarray(values, dtype=float)
    rows, n = y.shape
    if n < 2 * min_size:
        return [[] for _ in range(rows)]
    pen = np.asarray(penalties, dtype=float)
    s1 = np.zeros((rows, n + 1))
    s2 = np.zeros((rows, n + 1))
    np.cumsum(y, axis=1, out=s1[:, 1:])
    np.cumsum(y * y, axis=1, out=s2[:, 1:])
    # A few rows: every part's cost at once, so the loop over t only adds and compares (its
    # numpy calls are the time); many rows: each step's costs as it comes (the memory).
    table = _part_costs(s1, s2) if rows * (n + 1) ** 2 <= _COST_CELLS else None
    best = np.full((rows, n + 1), np.inf)
    best[:, 0] = -pen
    last = np.zeros((rows, n + 1), dtype=np.int64)
    idx = np.arange(rows)
    for t in range(min_size, n + 1):
        s = t - min_size + 1  # the last part starts at 0 .. s-1
        cost = table[t, :, :s] if table is not None else _costs_to(s1, s2, t, s)
        total = best[:, :s] + cost + pen[:, None]
        k = np.argmin(total, axis=1)
        best[:, t] = total[idx, k]
        last[:, t] = k
    out = []
    for r in range(rows):
        cuts, t = [], n
        while t > 0:
            t = int(last[r, t])
            if t > 0:
                cuts.append(t)
        out.append(sorted(cuts))
    return out


_COST_CELLS = 500_000  # part costs held at once (4 MB)


def _costs_to(s1: np.ndarray, s2: np.ndarray, t: int, s: int) -> np.ndarray:
    """The squared deviations from their mean of each row's points i..t-1, for i < s, from
    the running sums ``s1`` (values) and ``s2`` (squares)."""
    length = t - np.arange(s)
    cost = (s2[:, t, None] - s2[:, :s]) - (s1[:, t, None] - s1[:, :s]) ** 2 / length
    return np.maximum(cost, 0.0)


def _part_costs(s1: np.ndarray, s2: np.ndarray) -> np.ndarray:
    """``_costs_to`` for every t at once: ``cost[t, r, i]`` (0 where i >= t)."""
    t = np.arange(s1.shape[1])
    length = t[:, None] - t[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        cost = ((s2.T[:, :, None] - s2[None, :, :])
                - (s1.T[:, :, None] - s1[None, :, :]) ** 2 / length[:, None, :])
    return np.where(length[:, None, :] > 0, np.maximum(cost, 0.0), 0.0)


def _sse(y: np.ndarray, mean: float | None = None) -> float:
    """Squared deviations from the mean (``mean``: y.mean() when the caller has it)."""
    return float(((y - (y.mean() if mean is None else mean)) ** 2).sum())


def _parameters(n: int, sigma: float, min_size: int, penalty_factor: float,
                accepted: Sequence[int]) -> dict[str, Any]:
    return {"method": METHOD, "reference": REFERENCE, "min_segment": min_size,
            "penalty_factor": penalty_factor, "n": n, "sigma": sigma, "penalty": None,
            "accepted_positions": sorted(int(a) for a in accepted)}


def _searchable(n: int, sigma: float, min_size: int, params: dict[str, Any]) -> bool:
    if n < 2 * min_size or sigma <= 0 or not np.isfinite(sigma):
        params["note"] = (f"{n} points: at least {2 * min_size} are needed to suggest a rebase"
                          if n < 2 * min_size else "the values do not vary")
        return False
    return True


def _evidence(y: np.ndarray, keep: np.ndarray, periods: Sequence[str], cuts: list[int],
              bounds: list[int], sigma: float, penalty: float) -> list[Changepoint]:
    all_edges = sorted({0, len(y), *cuts, *bounds})
    out = []
    for c in cuts:
        i = all_edges.index(c)
        before, after = y[all_edges[i - 1]:c], y[c:all_edges[i + 1]]
        both = y[all_edges[i - 1]:all_edges[i + 1]]
        mean_before, mean_after = before.mean(), after.mean()  # each taken once
        shift = float(mean_after - mean_before)
        out.append(Changepoint(
            period=str(periods[int(keep[c])]), index=int(keep[c]),
            mean_before=float(mean_before), mean_after=float(mean_after),
            n_before=len(before), n_after=len(after), shift=shift,
            shift_sigma=shift / sigma,
            cost_reduction=(_sse(both) - _sse(before, mean_before)
                            - _sse(after, mean_after)) / sigma**2,
            penalty=float(penalty) / sigma**2,
        ))
    return out


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
    params = _parameters(n, sigma, min_size, penalty_factor, accepted)
    if not _searchable(n, sigma, min_size, params):
        return [], params
    penalty = penalty_factor * np.log(n) * sigma**2
    params["penalty"] = float(penalty)
    # Accepted rebases (positions in the full series) as positions among observed values.
    bounds = sorted({int(np.searchsorted(keep, a)) for a in accepted} - {0, n})
    edges = [0, *bounds, n]
    found: list[int] = []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        found.extend(a + c for c in optimal_partition(y[a:b], penalty, min_size))
    return _evidence(y, keep, periods, sorted(set(found)), bounds, sigma, penalty), params


def suggest_rebases_many(
    values: np.ndarray,
    periods: Sequence[Sequence[str]],
    *,
    min_size: int = MIN_SEGMENT,
    penalty_factor: float = PENALTY_FACTOR,
) -> list[tuple[list[Changepoint], dict[str, Any]]]:
    """``suggest_rebases`` for each row of ``values`` (rows x points, no NaN, no accepted
    rebase; ``periods`` one sequence per row), the searches done together: row for row the
    same figures as one series at a time."""
    y = np.asarray(values, dtype=float)
    rows, n = y.shape
    keep = np.arange(n)
    out: list[tuple[list[Changepoint], dict[str, Any]]] = []
    search, penalties = [], []
    for r, sigma in enumerate(noise_sigmas(y)):
        params = _parameters(n, sigma, min_size, penalty_factor, ())
        out.append(([], params))
        if _searchable(n, sigma, min_size, params):
            penalty = penalty_factor * np.log(n) * sigma**2
            params["penalty"] = float(penalty)
            search.append(r)
            penalties.append(penalty)
    if search:
        cuts = optimal_partitions(y[search], np.array(penalties), min_size)
        for r, c, penalty in zip(search, cuts, penalties, strict=True):
            if not c:
                continue  # no change found: no evidence to give
            params = out[r][1]
            out[r] = (_evidence(y[r], keep, periods[r], c, [], params["sigma"], penalty),
                      params)
    return out


__all__ = [
    "METHOD",
    "MIN_SEGMENT",
    "Changepoint",
    "noise_sigma",
    "noise_sigmas",
    "optimal_partition",
    "optimal_partitions",
    "suggest_rebases",
    "suggest_rebases_many",
]
