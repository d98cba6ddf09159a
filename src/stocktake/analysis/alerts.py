"""Numbers you can trust: alerts for gaming and for changes in recording practice
(method: docs/methods/alerts.md).

Numbers in, numbers out: panels of values (units x periods, NaN for missing) and period codes;
no database, no files. Four kinds of alert, each an ``Alert``:

``counter``
    A unit's headline improves beyond noise while one of the priority's declared counter
    indicators worsens beyond noise, the two shifts starting within ``window`` periods of each
    other. Each series is read on its own (seasonally adjusted where the seasonal test says
    so); a shift of either that built up over several periods is dated where its slope
    changed, as a drift is.
``ratio_shift``
    Two indicators declared to move together (a component and its total; unfounded and all
    violent reports): a lasting shift in one unit's ratio that its peers do not show. The
    unit's log ratio is read against the median log ratio of the other units, period by
    period, so a change every unit shares (a national change of definition, a season, a
    recession) cancels out.
``local_break``
    An abrupt break in one unit's own series that its peers do not share (a local change of
    definition, or a real change to check): the unit's log value against the peers' median,
    a shift that is complete within ``BREAK_TRANSITION`` periods.
``drift``
    A counter sliding the worse way against its peers over months, standing out of their
    shifts only over longer windows (``DRIFT_WINDOW`` minimum segments either side).

A shift is found by exact optimal partitioning (analysis.changepoints: penalty 3 log(n)
sigma^2, sigma from the median moving range; the penalty raised by the long-run variance
factor (1 + rho) / (1 - rho) where the residuals are autocorrelated), with parts of at least
``min_segment`` points (``MIN_SEGMENTS`` by period type), so a shift must last to be seen.
Same-way changes close together are one shift (a build-up). Its first period is refined by
fitting a ramp around the change point (a shift may build up over months, as down-coding
does); a ramp is kept only where it beats a plain step by a BIC penalty. A drift, a
ratio shift whose move took ``BREAK_TRANSITION`` periods or more, and a counter alert's
shift whose fitted slide took as long, is then dated where its slope changed, by a
broken-stick fit (analysis.hinge) with its 95% interval; the detection is not changed by
it. Against peers, a
shift must also stand out of the shifts the other units made over the same periods (the
``min_segment`` periods before its start and from its new level on, each unit's in its own
noise): at least ``PEER_Z`` robust standard deviations from their median, and at least
``MIN_RELATIVE``. The SPC evidence is the shifted points read against XmR limits drawn from
the points before the start (analysis.spc's constants). Series shorter than twice the
minimum segment give no alert rather than a guess.
"""

from __future__ import annotations

import warnings
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from stocktake.analysis.changepoints import noise_sigma, optimal_partition
from stocktake.analysis.hinge import HingeFit, broken_stick
from stocktake.analysis.seasonality import seasonal_adjustment
from stocktake.analysis.spc import LIMIT_CONSTANT, RUN_LENGTH
from stocktake.analysis.wording import A_, NP_, Figure, Named, Percent, Sentence, pair_places
from stocktake.errors import Invalid, Problem
from stocktake.model.periods import Period, PeriodError
from stocktake.text import plural

KINDS: tuple[str, ...] = ("counter", "ratio_shift", "local_break", "drift")
STATUSES: tuple[str, ...] = ("open", "explained", "confirmed")
# Points in a part: a shift must last this long to be seen (and seen only this late).
MIN_SEGMENTS: dict[str, int] = {"day": 28, "week": 13, "month": 6, "quarter": 4, "year": 3}
PENALTY_FACTOR = 3.0  # as analysis.changepoints: penalty = 3 log(n) sigma^2
MIN_RELATIVE = 0.15  # a ratio or level moving less than 15% against its peers is not raised
BREAK_TRANSITION = 2  # periods: a local break is complete within this many
PEER_Z = 3.0  # a unit's shift must stand this many robust sds out of its peers' shifts
PEER_WINDOW = 1  # minimum segments either side of a shift compared with the peers'
DRIFT_WINDOW = 3  # the same, for a drift: longer windows, less noisy peers' shifts
MERGE_PARTS = 2  # same-way changes less than this many minimum segments apart: one shift
METHOD = ("changes in mean by exact optimal partitioning (penalty 3 log(n) sigma^2, sigma from "
          "the median moving range), on seasonally adjusted values where the series is "
          "seasonal; ratios and levels against the median of the other units")


# The results' JSON encoder (results.base.encode) leaves such a field out when it is None:
# keys only some shifts have.
_OMIT_IF_NONE = {"omit_if_none": True}


# -- results ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Shift:
    """A lasting change of level in one series: the evidence behind an alert."""

    series: str  # what was read, e.g. "violent_incidents" or "unfounded / reports vs peers"
    start: str  # first period of the shift
    transition_end: str  # the period from which the new level holds
    end: str  # last period of the new level (the next change, or the latest period)
    before: float  # mean before the shift, in the series' units (as reported)
    after: float  # mean after it
    change: float  # after - before
    relative: float | None  # change / before (None when before is 0)
    sigma: float  # the shift in noise standard deviations (of the series read)
    evidence_ratio: float  # fall in squared error from the change / the penalty it beat
    spc: str  # the shifted points against XmR limits from before the shift
    seasonal: bool  # read on seasonally adjusted values
    # against peers only: the unit's shift over these windows less the peers' median shift
    # over the same windows, in robust standard deviations of the peers' shifts
    peer_z: float | None = None
    # a shift dated by its slope only (a drift, a gradual ratio shift or counter alert's
    # shift): the first period's 95% interval from its broken-stick fit (hinge.py)
    start_low: str | None = field(default=None, metadata=_OMIT_IF_NONE)
    start_high: str | None = field(default=None, metadata=_OMIT_IF_NONE)

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name, f in self.__dataclass_fields__.items()
                if not (getattr(self, name) is None and f.metadata.get("omit_if_none"))}


@dataclass(frozen=True)
class Alert:
    """One alert, with the fields of its JSON form (``to_dict``)."""

    kind: str  # one of KINDS
    unit: str
    indicators: tuple[str, ...]
    start: str  # first period of the shift
    end: str
    size: Mapping[str, Mapping[str, float | None]]  # per indicator: before, after, change, relative
    evidence: tuple[Shift, ...]
    strength: float  # the weakest shift's size in noise standard deviations
    status: str = "open"
    explanation: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "unit": self.unit, "indicators": list(self.indicators),
            "start": self.start, "end": self.end,
            "size": {k: dict(v) for k, v in self.size.items()},
            "evidence": [s.to_dict() for s in self.evidence],
            "strength": self.strength, "status": self.status,
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class Reading:
    """How one series was read: the shifts found, or why none could be looked for."""

    shifts: tuple[Shift, ...] = ()
    note: str = ""
    seasonal: bool = False
    starts: tuple[int, ...] = field(default=(), repr=False)  # positions of each shift's start
    # per shift, positions (first before, start, transition end, end + 1) in the series given
    windows: tuple[tuple[int, int, int, int], ...] = field(default=(), repr=False)


# -- finding shifts ------------------------------------------------------------------------------
def min_segment(periods: Sequence[str]) -> int:
    """The minimum part length for these periods' type (``MIN_SEGMENTS``)."""
    try:
        kind = Period.parse(str(periods[0])).type.value if len(periods) else "month"
    except PeriodError:
        kind = "month"
    return MIN_SEGMENTS.get(kind, MIN_SEGMENTS["month"])


def _deseasonalised(y: np.ndarray, periods: Sequence[str]) -> tuple[np.ndarray, bool]:
    try:
        adj = seasonal_adjustment(y, [str(p) for p in periods], mode="auto")
    except ValueError:
        return y, False
    return (adj.values, True) if adj.applied else (y, False)


def _transition(y: np.ndarray, lo: int, cut: int, hi: int, sigma: float) -> tuple[int, int]:
    """First and last positions of the move to the new level around the change point ``cut``
    within ``y[lo:hi]``: the least-squares ramp (level, linear move, level), kept over the best
    plain step only where it beats it by log(n) sigma^2 (BIC's price of one more parameter).

    Every ramp from s to e (``lo < s <= cut <= e < hi - 1``) is x = 0 before s, (t-s+1)/L on
    s..e (L = e-s+1) and 1 after e; its fit is read from running sums of the centred values,
    so all of them cost O(n^2), not O(n^3)."""
    yc = y[lo:hi] - y[lo:hi].mean()
    m = hi - lo
    t = np.arange(lo, hi, dtype=float)
    c1 = np.concatenate([[0.0], np.cumsum(yc)])  # c1[k]: sum of yc before position lo + k
    ct = np.concatenate([[0.0], np.cumsum(t * yc)])
    s, e = np.meshgrid(np.arange(lo + 1, cut + 1), np.arange(cut, hi - 1), indexing="ij")
    ok = e >= s
    s, e = s[ok], e[ok]
    length = (e - s + 1).astype(float)
    after = (hi - 1 - e).astype(float)  # points at x = 1
    a, b = s - lo, e - lo + 1  # the ramp's slice of the centred values
    sxy = ((ct[b] - ct[a]) - (s - 1) * (c1[b] - c1[a])) / length + (c1[m] - c1[b])
    sx = (length + 1) / 2 + after
    sxx = (length + 1) * (2 * length + 1) / (6 * length) + after - sx * sx / m
    with np.errstate(divide="ignore", invalid="ignore"):
        sse = float(yc @ yc) - np.where(sxx > 1e-12, sxy * sxy / sxx, 0.0)
    step = s == e
    best_step = int(np.flatnonzero(step)[np.argmin(sse[step])])
    best = int(np.argmin(sse))
    if sse[best_step] - sse[best] < np.log(len(y)) * sigma**2:
        best = best_step
    return int(s[best]), int(e[best])


def _spc_text(y: np.ndarray, start: int, stop: int, before: tuple[int, int], sign: int) -> str:
    """The shifted points against XmR limits from the points before the shift."""
    base = y[before[0]:before[1]]
    base = base[np.isfinite(base)]
    after = y[start:stop]
    after = after[np.isfinite(after)]
    if len(base) < 2 or not len(after):
        return Sentence("too few points before the shift for XmR limits")
    mean = float(base.mean())
    amr = float(np.abs(np.diff(base)).mean())
    limit = mean + sign * LIMIT_CONSTANT * amr
    beyond = int(((after - limit) * sign > 0).sum())
    side = (after - mean) * sign > 0
    run = longest = 0
    for flag in side:
        run = run + 1 if flag else 0
        longest = max(longest, run)
    points = (Sentence("%(beyond)s of %(points)s points above the upper limit",
                       beyond=beyond, points=len(after)) if sign > 0 else
              Sentence("%(beyond)s of %(points)s points below the lower limit",
                       beyond=beyond, points=len(after)))
    if longest < RUN_LENGTH:
        return Sentence("%(points)s (XmR limits from the %(base)s points before)",
                        points=points, base=len(base))
    run = (Sentence("a run of %(run)s above the mean (shift rule: %(rule)s)",
                    run=longest, rule=RUN_LENGTH) if sign > 0 else
           Sentence("a run of %(run)s below the mean (shift rule: %(rule)s)",
                    run=longest, rule=RUN_LENGTH))
    return Sentence("%(points)s; %(run)s (XmR limits from the %(base)s points before)",
                    points=points, run=run, base=len(base))


def read_shifts(values: Sequence[float] | np.ndarray, periods: Sequence[str], *,
                series: str = "", reported: Sequence[float] | np.ndarray | None = None,
                log: bool = False, segment: int | None = None) -> Reading:
    """The lasting shifts of one series (in period order, NaN for missing).

    ``reported``: the values to describe the shift in (means before and after) when the
    values searched are a transform of them (a ratio against peers); by default the values.
    ``log``: the values searched are logarithms, so ``relative`` is exp(shift) - 1.
    """
    y_all = np.asarray(values, dtype=float)
    if len(periods) != len(y_all):
        raise Invalid(Problem(f"{len(periods)} period codes for {len(y_all)} values: give one "
                              "per value", "periods"))
    rep_all = y_all if reported is None else np.asarray(reported, dtype=float)
    size = segment or min_segment(periods)
    keep = np.flatnonzero(np.isfinite(y_all))
    if len(keep) < 2 * size:
        return Reading(note=f"{len(keep)} points: at least {2 * size} are needed to see a "
                            f"lasting shift (parts of {size})")
    adjusted, seasonal = _deseasonalised(y_all, periods)
    y = adjusted[keep]
    sigma = noise_sigma(y)
    if not sigma > 0:
        return Reading(note="the values do not vary", seasonal=seasonal)
    penalty = PENALTY_FACTOR * np.log(len(y)) * sigma**2
    cuts = optimal_partition(y, penalty, size)
    rho = _residual_autocorrelation(y, cuts)
    if rho > 0:  # wandering noise: price a change by the long-run variance
        penalty *= (1 + rho) / (1 - rho)
        cuts = optimal_partition(y, penalty, size)
    edges = [0, *cuts, len(y)]
    rep = rep_all[keep]
    shifts, starts, windows = [], [], []
    for first, last in _runs(y, edges, size):
        lo, hi = edges[first - 1], edges[last + 1]
        s = _transition(y, lo, edges[first], edges[first + 1], sigma)[0]
        e = _transition(y, edges[last - 1], edges[last], hi, sigma)[1]
        gain = sum(_sse(y[edges[k - 1]:edges[k + 1]]) - _sse(y[edges[k - 1]:edges[k]])
                   - _sse(y[edges[k]:edges[k + 1]]) for k in range(first, last + 1)) / penalty
        shifts.append(_shift(y, rep, [str(periods[k]) for k in keep], (lo, s, e, hi), sigma,
                             log=log, series=series, evidence_ratio=float(gain),
                             seasonal=seasonal))
        starts.append(int(keep[s]))
        windows.append((int(keep[lo]), int(keep[s]), int(keep[e]), int(keep[hi - 1]) + 1))
    return Reading(tuple(shifts), seasonal=seasonal, starts=tuple(starts),
                   windows=tuple(windows))


def _shift(y: np.ndarray, rep: np.ndarray, periods: Sequence[str],
           window: tuple[int, int, int, int], sigma: float, *, log: bool, series: str,
           evidence_ratio: float, seasonal: bool) -> Shift:
    """The shift of ``y`` (the values searched, finite) whose move runs from position s to
    e, read between lo and hi (``window``), described in ``rep`` (the values as reported,
    at the same positions) at ``periods`` (one per value)."""
    lo, s, e, hi = window
    shift = float(y[e:hi].mean() - y[lo:s].mean())  # the ramp reaches the new level at e
    rb, ra = float(np.nanmean(rep[lo:s])), float(np.nanmean(rep[e:hi]))
    if log:
        relative: float | None = float(np.expm1(shift))
    else:
        relative = (ra - rb) / abs(rb) if rb != 0 else None
    return Shift(
        series=series, start=periods[s], transition_end=periods[e], end=periods[hi - 1],
        before=rb, after=ra, change=ra - rb, relative=relative, sigma=shift / sigma,
        evidence_ratio=evidence_ratio,
        spc=_spc_text(y, s, hi, (lo, s), 1 if shift > 0 else -1), seasonal=seasonal)


def _runs(y: np.ndarray, edges: list[int], size: int) -> list[tuple[int, int]]:
    """Change points (indices into ``edges``) grouped into one shift where they move the same
    way with short parts between them (under ``MERGE_PARTS`` minimum segments): a change
    that builds up over a year or two (down-coding spreading through a force) is one shift,
    not a staircase of several."""
    means = [float(y[a:b].mean()) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    runs: list[tuple[int, int]] = []
    for k in range(1, len(edges) - 1):
        sign = np.sign(means[k] - means[k - 1])
        if runs and (np.sign(means[runs[-1][1]] - means[runs[-1][1] - 1]) == sign
                     and edges[k] - edges[k - 1] < MERGE_PARTS * size):
            runs[-1] = (runs[-1][0], k)
        else:
            runs.append((k, k))
    return runs


MAX_RHO = 0.8


def _residual_autocorrelation(y: np.ndarray, cuts: list[int]) -> float:
    """Lag-1 autocorrelation of the residuals from each part's mean, pairs within parts,
    clipped to [0, MAX_RHO]."""
    edges = [0, *cuts, len(y)]
    r = np.concatenate([y[a:b] - y[a:b].mean()
                        for a, b in zip(edges[:-1], edges[1:], strict=True)])
    same = np.ones(len(y) - 1, dtype=bool)
    same[np.array(cuts, dtype=int) - 1] = False
    den = float((r * r).sum())
    if den <= 0:
        return 0.0
    return float(np.clip((r[1:] * r[:-1])[same].sum() / den, 0.0, MAX_RHO))


def _sse(y: np.ndarray) -> float:
    return float(((y - y.mean()) ** 2).sum())


# -- wording -------------------------------------------------------------------------------------
# The sentences are ``Sentence``s (analysis.wording): English text that another language
# can say again from its message and values (the ``alerts`` catalogue, analysis/locale).
def _percent(relative: float) -> Percent:
    return Percent(abs(relative))


def _names(units: Sequence[str], names: Mapping[str, str] | None) -> dict[str, Named]:
    return {u: Named("unit", u, (names or {}).get(u, u)) for u in units}


def _against(series: str) -> Sentence:
    """What a series read against its peers is: "violent_incidents against the other units'
    median" (codes, which the documents write as names)."""
    return Sentence("%(series)s against the other units' median", series=series)


def _others(changed: list[Named], peer_word: str) -> Sentence:
    peer = Named("level", peer_word, peer_word)
    if not changed:
        return Sentence("no other %(peer)s changed", peer=peer)
    shown: Named | Sentence = changed[0]
    for name in changed[1:3]:
        shown = Sentence("%(names)s, %(name)s", names=shown, name=name)
    if len(changed) > 3:  # a count: French says "et 1 autre", "et 2 autres"
        shown = Sentence.count("%(names)s and %(num)s more", "%(names)s and %(num)s more",
                               len(changed) - 3, names=shown)
    return Sentence.count("%(num)s other %(peer)s changed the same way (%(shown)s)",
                          "%(num)s other %(peers)s changed the same way (%(shown)s)",
                          len(changed), peer=peer, shown=shown,
                          peers=Named("levels", peer_word, plural(peer_word)))


# -- against the peers ---------------------------------------------------------------------------
def _panel(values: Any, what: str) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    if a.ndim != 2:
        raise Invalid(Problem(f"a (units, periods) array is needed, not one of shape {a.shape}",
                              what))
    return a


def _log(a: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a > 0, np.log(np.where(a > 0, a, 1.0)), np.nan)


def against_peers(log_values: np.ndarray) -> np.ndarray:
    """Each unit's value less the median of the *other* units' values in the same period
    (units x periods, NaN ignored): a change every unit shares cancels out."""
    z = _panel(log_values, "log_values")
    out = np.full_like(z, np.nan)
    for u in range(len(z)):
        others = np.delete(z, u, axis=0)
        seen = np.isfinite(others).any(axis=0)
        med = np.full(z.shape[1], np.nan)
        if seen.any():
            med[seen] = np.nanmedian(others[:, seen], axis=0)
        out[u] = z[u] - med
    return out


def _peer_test(relative: np.ndarray, u: int, window: tuple[int, int, int, int], size: int,
               sigma: np.ndarray) -> tuple[float, np.ndarray]:
    """The unit's shift (mean of up to ``size`` periods from the new level on, less the mean
    of up to ``size`` periods before the start) against every other unit's shift over the
    same periods: (the unit's robust z, each unit's z, NaN where a unit has no values there).
    The z is from the peers' median and 1.4826 x their median absolute deviation: how unusual
    the shift is among the shifts the peers made at the same time. Short windows keep the
    slow drift of real series (which every unit has) out of the comparison."""
    lo, s, e, hi = window
    before, after = slice(max(lo, s - size), s), slice(e, min(hi, e + size))
    with warnings.catch_warnings():  # a window with no values: NaN, said by the answer
        warnings.simplefilter("ignore", RuntimeWarning)
        d = np.nanmean(relative[:, after], axis=1) - np.nanmean(relative[:, before], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        # each in its own noise (a small unit's ratio is noisier); a unit that never varies
        # and did not move scores 0, one that moved scores infinitely
        d = np.where(sigma > 0, d / sigma, np.where(d == 0, 0.0, np.sign(d) * np.inf))
    others = np.delete(d, u)
    others = others[np.isfinite(others)]
    if len(others) < 2:
        return float("nan"), np.full(len(d), np.nan)
    centre = float(np.median(others))
    spread = 1.4826 * float(np.median(np.abs(others - centre)))
    with np.errstate(divide="ignore", invalid="ignore"):
        # peers that all shifted alike (spread 0): any other shift stands out entirely
        z = (d - centre) / spread if spread > 0 else np.sign(d - centre) * np.inf
    return float(z[u]), z


def _against_peers_alerts(units: Sequence[str], relative: np.ndarray, reported: np.ndarray,
                          periods: Sequence[str], series: str, segment: int | None,
                          label: dict[str, str], peer_word: str, keep_shift: Any,
                          window: int = PEER_WINDOW, date: Any = None
                          ) -> list[tuple[int, Shift, str]]:
    """Per unit, the shifts of its series against the peers that pass ``keep_shift`` (given
    the unit's row, the shift and its window) and the peer test over ``window`` minimum
    segments either side (|z| >= PEER_Z, at least MIN_RELATIVE), each with the sentence on
    the peers. ``date``, if given, re-dates each shift kept (given the unit's row, the
    shift and its window) after the peer test, which reads the window as found."""
    sigma = np.array([noise_sigma(r[np.isfinite(r)]) for r in relative])
    size = segment or min_segment(periods)
    out = []
    for u in range(len(units)):
        reading = read_shifts(relative[u], periods, series=series, reported=reported[u],
                              log=True, segment=segment)
        for s, w in zip(reading.shifts, reading.windows, strict=True):
            if abs(s.relative or 0) < MIN_RELATIVE or not keep_shift(u, s, w):
                continue
            z, zs = _peer_test(relative, u, w, window * size, sigma)
            if not abs(z) >= PEER_Z:
                continue
            sign = np.sign(z)
            same = [label[units[v]] for v in np.flatnonzero(zs * sign >= PEER_Z).tolist()
                    if v != u]
            if date is not None:  # dated once found: the detection is as it was
                s = date(u, s, w)
            out.append((u, replace(s, peer_z=round(z, 2) if np.isfinite(z) else None),
                        _others(same, peer_word)))
    return out


def _check_units(units: Sequence[str], *panels: np.ndarray) -> None:
    for p in panels:
        if p.shape[0] != len(units):
            raise Invalid(Problem(f"{len(units)} unit codes for a panel of {p.shape[0]} rows: "
                                  "give one per row", "units"))


def ratio_shift_alerts(units: Sequence[str], numerator: Any, denominator: Any,
                       periods: Sequence[str], *, indicators: tuple[str, str],
                       ratio_words: str | None = None, names: Mapping[str, str] | None = None,
                       peer_word: str = "unit", segment: int | None = None) -> list[Alert]:
    """A lasting shift in a unit's ratio numerator / denominator that its peers do not show.

    ``numerator`` and ``denominator``: (units, periods) panels of the two indicators declared
    to move together (``indicators``: their codes). ``ratio_words`` reads the ratio in the
    explanation ("unfounded reports per violent report"). Needs at least three units.
    """
    num, den = _panel(numerator, "numerator"), _panel(denominator, "denominator")
    if num.shape != den.shape:
        raise Invalid(Problem(f"the numerator is {num.shape} and the denominator {den.shape}: "
                              "they need the same units and periods", "denominator"))
    _check_units(units, num)
    if len(units) < 3:
        return []
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    series = _against(Sentence("%(numerator)s / %(denominator)s", numerator=indicators[0],
                               denominator=indicators[1]))
    label = _names(units, names)
    words = ratio_words or Sentence("%(numerator)s per %(denominator)s",
                                    numerator=Named("indicator", *indicators[:1] * 2),
                                    denominator=Named("indicator", *indicators[1:] * 2))
    alerts = []
    relative = against_peers(_log(ratio))
    # a shift that built up over months is dated where its slope changed; a step as found
    date = _Dating(relative, ratio, periods, gradual_only=True)
    for u, s, others in _against_peers_alerts(units, relative, ratio, periods, series,
                                              segment, label, peer_word,
                                              lambda u, s, w: True, date=date):
        places = pair_places(s.before, s.after)
        said = dict(when=_from_when(s), unit=label[units[u]], percent=_percent(s.relative or 0),
                    ratio=words, before=Figure(s.before, places), after=Figure(s.after, places),
                    others=others)
        text = (Sentence("%(when)s %(unit)s records %(percent)s more %(ratio)s than before, "
                         "against its peers (%(before)s to %(after)s); %(others)s", **said)
                if s.sigma > 0 else
                Sentence("%(when)s %(unit)s records %(percent)s fewer %(ratio)s than before, "
                         "against its peers (%(before)s to %(after)s); %(others)s", **said))
        alerts.append(Alert(
            kind="ratio_shift", unit=units[u], indicators=tuple(indicators), start=s.start,
            end=s.end, size={f"{indicators[0]}/{indicators[1]}": _size(s)}, evidence=(s,),
            strength=round(abs(s.sigma), 2), explanation=text))
    return alerts


def local_break_alerts(units: Sequence[str], values: Any, periods: Sequence[str], *,
                       indicator: str, names: Mapping[str, str] | None = None,
                       peer_word: str = "unit", segment: int | None = None,
                       words: Mapping[str, str] | None = None,
                       percent: Collection[str] = ()) -> list[Alert]:
    """An abrupt break in a unit's own series (complete within ``BREAK_TRANSITION`` periods,
    at least ``MIN_RELATIVE``) that its peers do not share: read as the unit's log value
    against the other units' median. Needs at least three units."""
    y = _panel(values, "values")
    _check_units(units, y)
    if len(units) < 3:
        return []
    series = _against(indicator)
    label = _names(units, names)
    index = {str(p): i for i, p in enumerate(periods)}

    def abrupt(u: int, s: Shift, w: tuple[int, int, int, int]) -> bool:
        return index[s.transition_end] - index[s.start] < BREAK_TRANSITION

    alerts = []
    for u, s, others in _against_peers_alerts(units, against_peers(_log(y)), y, periods,
                                              series, segment, label, peer_word, abrupt):
        how, figures = _shift_said(s, indicator in percent, periods)
        said = dict(start=s.start, unit=label[units[u]], indicator=_said(indicator, words),
                    how=how, periods=BREAK_TRANSITION, figures=figures, others=others)
        text = (Sentence("from %(start)s %(unit)s's figure for %(indicator)s is %(how)s "
                         "higher against its peers, a break within %(periods)s periods "
                         "(%(figures)s); "
                         "%(others)s: a local change of definition or recording, or a real "
                         "change to check", **said) if s.sigma > 0 else
                Sentence("from %(start)s %(unit)s's figure for %(indicator)s is %(how)s "
                         "lower against its peers, a break within %(periods)s periods "
                         "(%(figures)s); "
                         "%(others)s: a local change of definition or recording, or a real "
                         "change to check", **said))
        alerts.append(Alert(
            kind="local_break", unit=units[u], indicators=(indicator,), start=s.start,
            end=s.end, size={indicator: _size(s)}, evidence=(s,),
            strength=round(abs(s.sigma), 2), explanation=text))
    return alerts


def _shift_said(s: Shift, percent: bool,
                periods: Sequence[str] = ()) -> tuple[Sentence | Percent, Sentence]:
    """A shift's size (points for a percentage, else a percent change) and the unit's own
    two levels, said as its own ("its own figure went from 195 to 226 a year"): the size is
    against the peers, so the two levels may move the other way from it."""
    if percent:
        places = _percent_places(s.before, s.after)
        before, after = Figure(s.before, places), Figure(s.after, places)
        return (Sentence("%(points)s points",
                         points=Figure(abs(s.after - s.before), places, grouped=False)),
                Sentence("its own figure went from %(before)s%% to %(after)s%%",
                         before=before, after=after))
    places = pair_places(s.before, s.after)
    before, after = Figure(s.before, places), Figure(s.after, places)
    return (_percent(s.relative or 0),
            Sentence("its own figure went from %(before)s to %(after)s %(per)s",
                     before=before, after=after, per=_per_period(periods)))


def _percent_places(before: float, after: float) -> int:
    """Decimals for two shares in percent: one is enough for a reader (12.8% to 8.1%), more
    only where one would write the two alike."""
    places = min(pair_places(before, after), 1)
    if round(before, places) == round(after, places):
        return pair_places(before, after)
    return places


_PER_PERIOD = {"day": A_("a day"), "week": A_("a week"), "month": A_("a month"),
               "quarter": A_("a quarter"), "year": A_("a year"), "period": A_("a period")}


def _period_kind(periods: Sequence[str]) -> str:
    """The type of these periods ("year", "quarter", ...), "period" where unknown."""
    try:
        return Period.parse(str(periods[0])).type.value
    except (PeriodError, IndexError):
        return "period"


def _per_period(periods: Sequence[str]) -> Sentence:
    """"a year", "a quarter": a level per period of this type."""
    return Sentence(_PER_PERIOD.get(_period_kind(periods), _PER_PERIOD["period"]))


def drift_alerts(units: Sequence[str], values: Any, periods: Sequence[str], *,
                 indicator: str, names: Mapping[str, str] | None = None,
                 peer_word: str = "unit", segment: int | None = None,
                 words: Mapping[str, str] | None = None,
                 percent: Collection[str] = (), polarity: str | None = None) -> list[Alert]:
    """A lasting shift in a unit's own series against its peers that is not a local break
    (it builds up over months, or is small against the noise of a small unit's figure) and
    stands out of the peers' shifts only over longer windows: ``DRIFT_WINDOW`` minimum
    segments either side, where the local break's test reads one. Its peers' shifts over
    18 months are less noisy than over 6, so a slow rise can stand out of them. At least
    MIN_RELATIVE and PEER_Z, as the other tests. Needs at least three units.

    ``polarity`` ("up": higher is better, or "down"): only drifts the worse way are raised.
    The service reads counters so (a counter sliding the worse way against its peers is
    what gaming leaves; a headline drifting against its peers is delivery itself, good
    or bad, and is judged elsewhere)."""
    if polarity is not None and polarity not in _SIGN:
        raise Invalid(Problem(f"polarity {polarity!r}: a drift needs 'up' (higher is "
                              "better), 'down' or none", "polarity"))
    y = _panel(values, "values")
    _check_units(units, y)
    if len(units) < 3:
        return []
    relative = against_peers(_log(y))
    sigma = np.array([noise_sigma(r[np.isfinite(r)]) for r in relative])
    size = segment or min_segment(periods)
    index = {str(p): i for i, p in enumerate(periods)}

    def not_a_break(u: int, s: Shift, w: tuple[int, int, int, int]) -> bool:
        if polarity is not None and np.sign(s.sigma) != -_SIGN[polarity]:
            return False  # the better way
        # a shift the local-break test raises is raised once, as a break
        abrupt = index[s.transition_end] - index[s.start] < BREAK_TRANSITION
        return not (abrupt and abs(_peer_test(relative, u, w, PEER_WINDOW * size, sigma)[0])
                    >= PEER_Z)

    date = _Dating(relative, y, periods)
    label = _names(units, names)
    series = _against(indicator)
    span = _periods_said(DRIFT_WINDOW * size, periods)
    alerts = []
    for u, s, others in _against_peers_alerts(units, relative, y, periods, series, segment,
                                              label, peer_word, not_a_break, DRIFT_WINDOW,
                                              date):
        how, figures = _shift_said(s, indicator in percent, periods)
        said = dict(when=_from_when(s), unit=label[units[u]],
                    indicator=_said(indicator, words), how=how, figures=figures,
                    until=_slide(s, (u, s.start) in date.still), span=span, others=others)
        text = (Sentence("%(when)s %(unit)s's figure for %(indicator)s is %(how)s higher "
                         "against its peers (%(figures)s), %(until)s: a drift that stands out "
                         "of their changes over the %(span)s before and after, dated where its "
                         "slope changed; %(others)s: a gradual change of practice or "
                         "recording, or "
                         "a real change to check", **said) if s.sigma > 0 else
                Sentence("%(when)s %(unit)s's figure for %(indicator)s is %(how)s lower "
                         "against its peers (%(figures)s), %(until)s: a drift that stands out "
                         "of their changes over the %(span)s before and after, dated where its "
                         "slope changed; %(others)s: a gradual change of practice or "
                         "recording, or "
                         "a real change to check", **said))
        alerts.append(Alert(
            kind="drift", unit=units[u], indicators=(indicator,), start=s.start, end=s.end,
            size={indicator: _size(s)}, evidence=(s,), strength=round(abs(s.sigma), 2),
            explanation=text))
    return alerts


class _Dating:
    """Dates the shifts of a panel read against the peers (``relative``, described in
    ``reported``) by ``_dated_by_hinges``: every shift, or with ``gradual_only`` only those
    whose move took ``BREAK_TRANSITION`` periods or more (a step is dated as found).
    ``still``: (unit row, start) of the slides with no second hinge."""

    def __init__(self, relative: np.ndarray, reported: np.ndarray, periods: Sequence[str],
                 *, gradual_only: bool = False) -> None:
        self.relative, self.reported, self.periods = relative, reported, periods
        self.index = {str(p): i for i, p in enumerate(periods)}
        self.gradual_only = gradual_only
        self.still: set[tuple[int, str]] = set()

    def __call__(self, u: int, s: Shift, window: tuple[int, int, int, int]) -> Shift:
        if (self.gradual_only and
                self.index[s.transition_end] - self.index[s.start] < BREAK_TRANSITION):
            return s
        dated, fit = _dated_by_hinges(self.relative[u], self.reported[u], self.periods,
                                      s, window)
        if fit.end is None:
            self.still.add((u, dated.start))
        return dated


def _from_when(s: Shift) -> Sentence:
    """"from 2024-01"; for a shift dated by its slope, "from about 2024-01 (between 2023-11
    and 2024-03)", the interval where it is more than one period."""
    if s.start_low is None:
        return Sentence("from %(start)s", start=s.start)
    if s.start_low == s.start_high:
        return Sentence("from about %(start)s", start=s.start)
    return Sentence("from about %(start)s (between %(low)s and %(high)s)", start=s.start,
                    low=s.start_low, high=s.start_high)


def _dated_by_hinges(values: np.ndarray, reported: np.ndarray, periods: Sequence[str],
                     s: Shift, window: tuple[int, int, int, int], *,
                     log: bool = True) -> tuple[Shift, HingeFit]:
    """A shift dated where its slope changed (a drift, a gradual ratio shift, a counter
    alert's gradual shift): the broken-stick fit (analysis.hinge) of the series the
    detection read (de-seasonalised where it was; ``log``: logarithms, as read against the
    peers), over the shift's window, its start no later than the new level the detection
    found. The move ends where the slope
    flattens again if the fit shows a second hinge before the window's last points (the
    fit's ``end``; else the slide is still going, and the new level is read from where the
    detection found it). Sizes and SPC evidence are read again from the dated start and end;
    the peer test and the evidence ratio stay those of the detection."""
    keep = np.flatnonzero(np.isfinite(values))
    adjusted, _ = _deseasonalised(np.asarray(values, dtype=float), periods)
    y = adjusted[keep]
    lo, _, found_end, hi = (int(np.searchsorted(keep, k)) for k in window)
    sigma = noise_sigma(y)
    fit = broken_stick(y[lo:hi], latest_start=found_end - lo)
    start = lo + fit.start
    end = lo + fit.end if fit.end is not None else max(found_end, start)
    labels = [str(periods[k]) for k in keep]
    dated = _shift(y, np.asarray(reported, dtype=float)[keep], labels, (lo, start, end, hi),
                   sigma, log=log, series=s.series, evidence_ratio=s.evidence_ratio,
                   seasonal=s.seasonal)
    return replace(dated, start_low=labels[lo + fit.start_low],
                   start_high=labels[lo + fit.start_high]), fit


_PERIODS_SAID = {  # "18 months": a count of periods of each type
    "day": NP_("%(num)s day", "%(num)s days"), "week": NP_("%(num)s week", "%(num)s weeks"),
    "month": NP_("%(num)s month", "%(num)s months"),
    "quarter": NP_("%(num)s quarter", "%(num)s quarters"),
    "year": NP_("%(num)s year", "%(num)s years"),
    "period": NP_("%(num)s period", "%(num)s periods")}


def _periods_said(n: int, periods: Sequence[str]) -> Sentence:
    """"18 months", "9 quarters": ``n`` periods of this type."""
    kind = _period_kind(periods)
    one, many = _PERIODS_SAID.get(kind, ("%(num)s " + kind, "%(num)s " + kind + "s"))
    return Sentence.count(one, many, n)


def _size(s: Shift) -> dict[str, float | None]:
    return {"before": s.before, "after": s.after, "change": s.change, "relative": s.relative}


# -- counters ------------------------------------------------------------------------------------
_SIGN = {"up": 1, "down": -1}


def counter_alerts(unit: str, headline: Sequence[float] | np.ndarray,
                   counter: Sequence[float] | np.ndarray, periods: Sequence[str], *,
                   indicators: tuple[str, str], headline_polarity: str,
                   counter_polarity: str, name: str | None = None,
                   window: int | None = None, segment: int | None = None,
                   words: Mapping[str, str] | None = None,
                   percent: Collection[str] = ()) -> list[Alert]:
    """A unit's headline improving beyond noise while its counter worsens beyond noise, the
    two shifts starting within ``window`` periods (default: the minimum segment).

    ``indicators``: (headline code, counter code); polarities "up" (higher is better) or
    "down". Each series is read on its own, seasonally adjusted where seasonal.
    ``percent``: the indicators measured in percent, whose changes are said in points.
    """
    for what, pol in (("headline", headline_polarity), ("counter", counter_polarity)):
        if pol not in _SIGN:
            raise Invalid(Problem(f"polarity {pol!r}: a counter alert needs 'up' (higher is "
                                  "better) or 'down'", f"{what}_polarity"))
    h = read_shifts(headline, periods, series=indicators[0], segment=segment)
    c = read_shifts(counter, periods, series=indicators[1], segment=segment)
    return _pair_counter(unit, _Dated(h, headline, headline, periods, log=False,
                                      segment=segment),
                         _Dated(c, counter, counter, periods, log=False, segment=segment),
                         periods, indicators,
                         headline_polarity, counter_polarity, name,
                         window if window is not None else (segment or min_segment(periods)),
                         words, percent)


def counter_alerts_against_peers(
        units: Sequence[str], headline: Any, counter: Any, periods: Sequence[str], *,
        indicators: tuple[str, str], headline_polarity: str, counter_polarity: str,
        names: Mapping[str, str] | None = None, window: int | None = None,
        segment: int | None = None) -> list[Alert]:
    """``counter_alerts`` for every unit of a panel, each series read against the other
    units' median (log values): a trend every unit shares (crime falling nationally) is
    taken out, so a unit's headline must improve, and its counter worsen, against its
    peers."""
    for what, pol in (("headline", headline_polarity), ("counter", counter_polarity)):
        if pol not in _SIGN:
            raise Invalid(Problem(f"polarity {pol!r}: a counter alert needs 'up' (higher is "
                                  "better) or 'down'", f"{what}_polarity"))
    hv, cv = _panel(headline, "headline"), _panel(counter, "counter")
    _check_units(units, hv, cv)
    if len(units) < 3:
        return []
    label = _names(units, names)
    hz, cz = against_peers(_log(hv)), against_peers(_log(cv))
    near = window if window is not None else (segment or min_segment(periods))
    alerts = []
    for u, unit in enumerate(units):
        h = read_shifts(hz[u], periods, series=_against(indicators[0]), reported=hv[u],
                        log=True, segment=segment)
        c = read_shifts(cz[u], periods, series=_against(indicators[1]), reported=cv[u],
                        log=True, segment=segment)
        alerts += _pair_counter(unit, _Dated(h, hz[u], hv[u], periods, segment=segment),
                                _Dated(c, cz[u], cv[u], periods, segment=segment), periods,
                                indicators,
                                headline_polarity, counter_polarity, label[unit], near)
    return alerts


class _Dated:
    """A series' shifts as read (``reading``: found by the detection, which pairs them), each
    dated again where its slope changed when it built up over ``BREAK_TRANSITION`` periods
    or more, by the broken-stick fit that dates a drift (``_dated_by_hinges``, on the
    series searched, ``values``, described in ``reported``). A shift whose fitted slide is
    shorter is abrupt and keeps its dating. ``dated(k)``: the k-th shift so dated, and
    whether its slide is still going at the latest figures; worked only for the shifts an
    alert pairs (most units pair none), once each.

    The fit reads from the start of the part before the shift; where that part is shorter
    than ``MERGE_PARTS`` minimum segments it may be a blip between two opposite changes (a
    month or two recorded wrongly, as the demo's Alberta has two: the detection's means
    jump up and back), and the fit, which sets such points aside, is tried first from the
    start of the part before it: else a slide that began before the blip is dated after it.
    A fit whose slide goes the other way than the detection's shift (a real hump, not a
    blip: it fitted the change before) is not taken; the next window is tried, and where
    none is left the shift keeps the detection's dating."""

    def __init__(self, reading: Reading, values: Any, reported: Any, periods: Sequence[str],
                 *, log: bool = True, segment: int | None = None) -> None:
        # the detection's starts and directions: the pairing reads these, so the dating
        # raises no alert the detection did not
        self.starts = reading.starts
        self.signs = tuple(int(np.sign(s.sigma)) for s in reading.shifts)
        self.reading, self.periods, self.log = reading, periods, log
        self.values = np.asarray(values, dtype=float)
        self.reported = np.asarray(reported, dtype=float)
        self.blip = MERGE_PARTS * (segment or min_segment(periods))
        self.index = {str(p): i for i, p in enumerate(periods)}
        self._done: dict[int, tuple[Shift, bool]] = {}

    def dated(self, k: int) -> tuple[Shift, bool]:
        """The k-th shift dated, and whether it is still sliding at the latest figures."""
        if k not in self._done:
            s, windows = self.reading.shifts[k], [self.reading.windows[k]]
            if k and 0 < self.reading.windows[k - 1][3] - windows[0][0] < self.blip:
                windows.insert(0, (self.reading.windows[k - 1][0], *windows[0][1:]))
            self._done[k] = next((fit for w in windows if (fit := self._fit(s, w)) is not None),
                                 (s, False))
        return self._done[k]

    def _fit(self, s: Shift, window: tuple[int, int, int, int]) -> tuple[Shift, bool] | None:
        """The shift dated by its slope over ``window``, or None where it is a step (kept as
        found) or the fit slid the other way."""
        dated, fit = _dated_by_hinges(self.values, self.reported, self.periods, s, window,
                                      log=self.log)
        if (fit.end is not None and self.index[dated.transition_end] - self.index[dated.start]
                < BREAK_TRANSITION):
            return None
        if np.sign(dated.sigma) != np.sign(s.sigma):
            return None
        if not fit.beats_a_step(window[3] - window[0]):
            return None  # a step read with noise around it: dated as found
        return dated, fit.end is None


def _pair_counter(unit: str, h: _Dated, c: _Dated, periods: Sequence[str],
                  indicators: tuple[str, str], headline_polarity: str, counter_polarity: str,
                  name: str | Named | None, near: int,
                  words: Mapping[str, str] | None = None,
                  percent: Collection[str] = ()) -> list[Alert]:
    """An alert for each improving headline shift with a worsening counter shift starting
    within ``near`` periods of it, both as the detection found them (directions from the
    series read, ``sigma``'s sign); each said and sized as dated (``_Dated``)."""
    better, worse = _SIGN[headline_polarity], -_SIGN[counter_polarity]
    order = {str(p): i for i, p in enumerate(periods)}
    alerts = []
    for i, (hp, h_sign) in enumerate(zip(h.starts, h.signs, strict=True)):
        if h_sign != better:
            continue
        for j, (cp, c_sign) in enumerate(zip(c.starts, c.signs, strict=True)):
            if c_sign != worse or abs(hp - cp) > near:
                continue
            (hs, h_still), (cs, c_still) = h.dated(i), c.dated(j)
            first = min(hs, cs, key=lambda s: order[s.start])
            text = Sentence(
                "%(when)s %(unit)s's %(headline)s improved %(moved)s%(since)s%(until)s while "
                "its counter %(counter)s worsened %(counter_moved)s%(counter_since)s"
                "%(counter_until)s: check that the improvement is real",
                when=_from_when(first),
                unit=name if isinstance(name, Named) else Named("unit", unit, name or unit),
                headline=_said(indicators[0], words),
                moved=_moved(hs, indicators[0] in percent), since=_since(hs, first),
                until=_until(hs, h_still, ","), counter=_said(indicators[1], words),
                counter_moved=_moved(cs, indicators[1] in percent),
                counter_since=_since(cs, first), counter_until=_until(cs, c_still, ""))
            alerts.append(Alert(
                kind="counter", unit=unit, indicators=tuple(indicators), start=first.start,
                end=max(hs.end, cs.end, key=order.__getitem__),
                size={indicators[0]: _size(hs), indicators[1]: _size(cs)},
                evidence=(hs, cs), strength=round(min(abs(hs.sigma), abs(cs.sigma)), 2),
                explanation=text))
    return alerts


def _since(s: Shift, first: Shift) -> Sentence | str:
    """" from about 2024-06" for a shift dated by its slope that is not the alert's first
    (whose start leads the sentence)."""
    if s is first or s.start_low is None:
        return ""
    return Sentence(" %(when)s", when=_from_when(s))


def _slide(s: Shift, still: bool) -> Sentence:
    """"rising until 2025-05" or "still falling at the latest figures"."""
    if still:
        return (Sentence("still rising at the latest figures") if s.sigma > 0 else
                Sentence("still falling at the latest figures"))
    return (Sentence("rising until %(period)s", period=s.transition_end) if s.sigma > 0 else
            Sentence("falling until %(period)s", period=s.transition_end))


def _until(s: Shift, still: bool, stop: str) -> Sentence | str:
    """", rising until 2025-05" or ", still falling at the latest figures" for a shift dated
    by its slope, then ``stop``; a step: nothing."""
    if s.start_low is None:
        return ""
    return Sentence(", %(slide)s%(stop)s", slide=_slide(s, still), stop=stop)


def _said(code: str, words: Mapping[str, str] | None) -> Named:
    """How an indicator reads in a sentence: its name as given in ``words``, else its code."""
    return Named("indicator", code, (words or {}).get(code, code))


def _moved(s: Shift, percent: bool = False) -> Sentence:
    """"(3,562 to 5,198, 46%)"; in percent, the change in points, to one decimal: "(14.8% to
    8.7%, 6.1 points)"."""
    places = _percent_places(s.before, s.after) if percent else pair_places(s.before, s.after)
    before, after = Figure(s.before, places), Figure(s.after, places)
    if percent:
        return Sentence("(%(before)s%% to %(after)s%%, %(points)s points)", before=before,
                        after=after,
                        points=Figure(abs(s.after - s.before), places, grouped=False))
    if s.relative is None:
        return Sentence("(%(before)s to %(after)s)", before=before, after=after)
    return Sentence("(%(before)s to %(after)s, %(percent)s)", before=before, after=after,
                    percent=_percent(s.relative))


__all__ = [
    "BREAK_TRANSITION",
    "DRIFT_WINDOW",
    "KINDS",
    "METHOD",
    "MIN_RELATIVE",
    "MIN_SEGMENTS",
    "PEER_Z",
    "Alert",
    "Reading",
    "Shift",
    "against_peers",
    "counter_alerts",
    "counter_alerts_against_peers",
    "drift_alerts",
    "local_break_alerts",
    "min_segment",
    "ratio_shift_alerts",
    "read_shifts",
]
