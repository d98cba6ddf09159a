"""The batched ETS engine: one model fitted at every origin of a forecast's calibration
in one pass, and many series at once (for forecast_many), with the same choices and numbers
as fitting each origin on its own (analysis.ets, the models and the reference path).

The filter is causal: the first o one-step errors of the whole series, for given smoothing
parameters and initial state, are those of the prefix y[:o], so the normal equations of
every prefix are running sums over t. Grid points are picked from a shortlist made by
recursive least squares and checked by explicit residuals (``_search_many``). The entry
points are ``_runs_at`` (one series) and ``_runs_many`` (many).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from stocktake.analysis.ets import (
    _GRIDS,
    _choice,
    _fine_grid,
    _Fit,
    _grid,
    _initial_basis,
    _response_tables,
    _Run,
    _Spec,
    _specs,
    _system,
    _unforced_errors,
)

# -- the batched engine: one model fitted at many origins at once -----------------------
# The filter is causal: the first o one-step errors of the whole series, for given
# smoothing parameters and initial state, are those of the prefix y[:o]. So one pass over
# the series gives the normal equations of every prefix as running sums over t, and the
# procedure at 31 origins costs about what one fit used to, with the same grid choices.
_CHUNK = 1 << 18  # elements (2 MB of float64) per temporary array in the batched engine
_ORIGIN_BLOCK = 32  # origins fitted in one pass: memory grows with their number
_FINE_KEPT = 32  # fine grids (one per best coarse point) whose responses are kept
_TABLE_LOCK = threading.Lock()
_COARSE_TABLES: dict[_Spec, tuple[np.ndarray, ...]] = {}  # grid, Z, kappa
_FINE_TABLES: OrderedDict[tuple[_Spec, int], tuple[np.ndarray, ...]] = OrderedDict()
_FACTOR_BYTES = 48 << 20  # data-free tables kept for the coarse grid (_kept): two sets of
# 31 monthly origins for the seasonal model (about 20 MB each), or many smaller ones
_FACTORS: OrderedDict[tuple[_Spec, bytes], tuple[np.ndarray, ...]] = OrderedDict()


def _frozen(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """Arrays kept across calls (and threads) are read-only: a stray write would raise."""
    for a in arrays:
        a.flags.writeable = False
    return arrays


def _table_length(n: int) -> int:
    # Powers of two: a cache grows a few times, not once per longer series.
    return max(64, 1 << (n - 1).bit_length())


def _coarse_tables(spec: _Spec, n: int) -> tuple[np.ndarray, ...]:
    """Coarse grid, Z and kappa for at least n periods, kept across calls."""
    with _TABLE_LOCK:
        cached = _COARSE_TABLES.get(spec)
    if cached is None or cached[2].shape[1] < n:
        grid = _grid(spec, *_GRIDS[spec.m > 0])
        cached = _frozen(grid, *_response_tables(spec, grid, _table_length(n)))
        with _TABLE_LOCK:
            _COARSE_TABLES[spec] = cached
    return cached


def _fine_tables(
    spec: _Spec, indices: Sequence[int], coarse: np.ndarray, n: int
) -> list[tuple[np.ndarray, ...]]:
    """For each coarse grid index, the fine grid around that point with its Z and kappa for
    at least n periods; those not kept are computed together, in one batch. The last
    _FINE_KEPT are kept: neighbouring origins, and series alike, land on the same points."""
    with _TABLE_LOCK:
        found = {i: _FINE_TABLES.get((spec, i)) for i in indices}
    missing = [i for i, c in found.items() if c is None or c[2].shape[1] < n]
    if missing:
        fines = [_fine_grid(spec, coarse[i]) for i in missing]
        Z, kappa = _response_tables(spec, np.concatenate(fines), _table_length(n))
        cut = np.cumsum([len(f) for f in fines])[:-1]
        parts = zip(missing, fines, np.split(Z, cut), np.split(kappa, cut), strict=True)
        for i, fine, Zi, ki in parts:
            found[i] = _frozen(fine, Zi, ki)
    with _TABLE_LOCK:
        for i in indices:
            _FINE_TABLES[(spec, i)] = found[i]
            _FINE_TABLES.move_to_end((spec, i))
        while len(_FINE_TABLES) > _FINE_KEPT:
            _FINE_TABLES.popitem(last=False)
    return [found[i] for i in indices]


def _cholesky(A: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cholesky factors of a batch of small symmetric matrices laid out batch-last,
    A (k, k, B), reading the lower triangle only: L, 1/diag(L) (k, B), and whether each
    was positive definite. Each step is one vector operation over the batch
    (np.linalg.solve spends about 1.5 us a system in per-call overheads)."""
    k, B = A.shape[0], A.shape[2]
    # The upper triangle of L is never written nor read.
    L, r, ok = np.empty_like(A), np.empty((k, B)), np.ones(B, dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        for j in range(k):
            Lj = L[j, :j]
            d = A[j, j] - np.einsum("pb,pb->b", Lj, Lj)
            ok &= d > 0.0
            r[j] = 1.0 / np.sqrt(d)
            L[j, j] = d * r[j]
            L[j + 1 :, j] = (A[j + 1 :, j] - np.einsum("ipb,pb->ib", L[j + 1 :, :j], Lj)) * r[j]
    return L, r, ok


def _cho_solve(L: np.ndarray, r: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve L L' x = b for each column of b (k, B), given _cholesky's L and r."""
    k = L.shape[0]
    z = np.empty_like(b)
    for j in range(k):
        z[j] = (b[j] - np.einsum("pb,pb->b", L[j, :j], z[:j])) * r[j]
    x = np.empty_like(b)
    for j in range(k - 1, -1, -1):
        x[j] = (z[j] - np.einsum("pb,pb->b", L[j + 1 :, j], x[j + 1 :])) * r[j]
    return x


def _normal_factors(
    Z: np.ndarray, origins: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cholesky factors of the normal matrices of every prefix, Z[:o]'Z[:o] plus the ridge
    of _profile_sse, for every origin o (ascending) and grid point: L (k, k, O, G),
    r (k, O, G) and ok (O, G), as _cholesky gives them. They are running sums over t of
    Z_t Z_t', and do not depend on the data."""
    n, first, n_orig = int(origins[-1]), int(origins[0]), len(origins)
    G, k = Z.shape[0], Z.shape[2]
    at = origins - first  # running-sum index: 0 holds the sum over t < first
    cols, rows = np.triu_indices(k)  # the lower triangle
    L, r = np.empty((k, k, n_orig, G)), np.empty((k, n_orig, G))
    ok = np.empty((n_orig, G), dtype=bool)
    steps = n - first + 1
    step = max(1, 2 * _CHUNK // (steps * k * k))  # grid points per chunk: 4 MB of A
    for lo in range(0, G, step):
        Zc = Z[lo : lo + step, :n]
        g = len(Zc)
        Zh, ZT = Zc[:, :first], Zc[:, first:].transpose(2, 1, 0)  # ZT: (k, t, g)
        # running sums of the lower triangle, in place (the upper one is never read)
        A = np.empty((k, k, steps, g))
        A[:, :, 0] = (Zh.transpose(0, 2, 1) @ Zh).transpose(1, 2, 0)
        for j in range(k):
            np.multiply(ZT[j:], ZT[j], out=A[j:, j, 1:])
        for i in range(1, steps):  # (np.cumsum is slower here)
            A[rows, cols, i] += A[rows, cols, i - 1]
        A = (A if n_orig == steps else A[:, :, at]).reshape(k, k, -1)
        ridge = 1e-12 * np.einsum("iib->b", A) / k  # as in _profile_sse
        for i in range(k):
            A[i, i] += ridge
        Lc, rc, okc = _cholesky(A)
        if g == G:  # one chunk: no copy (for fine grids, this is most of the time saved)
            return Lc.reshape(k, k, n_orig, g), rc.reshape(k, n_orig, g), okc.reshape(n_orig, g)
        L[:, :, :, lo : lo + g] = Lc.reshape(k, k, n_orig, g)
        r[:, :, lo : lo + g] = rc.reshape(k, n_orig, g)
        ok[:, lo : lo + g] = okc.reshape(n_orig, g)
    return L, r, ok


def _kept(
    key: tuple[_Spec, bytes], make: Callable[[], tuple[np.ndarray, ...]]
) -> tuple[np.ndarray, ...]:
    """The coarse grid's data-free tables for one set of origins, kept in _FACTORS (the
    most recent first, within _FACTOR_BYTES): the forecasts of a status page or a delivery
    pack are mostly of series of one length."""
    with _TABLE_LOCK:
        cached = _FACTORS.get(key)
        if cached is not None:
            _FACTORS.move_to_end(key)
            return cached
    cached = _frozen(*make())
    with _TABLE_LOCK:
        _FACTORS[key] = cached
        while sum(a.nbytes for v in _FACTORS.values() for a in v) > _FACTOR_BYTES:
            _FACTORS.popitem(last=False)
    return cached


# -- many series at once ----------------------------------------------------------------
# Series whose fits share a model and a block of origins (a status page's series mostly
# share their length) share one pass: the response tables, the normal-matrix factors and
# the recursion weights depend on neither the data nor the series, so only the
# data-dependent steps (the unforced errors, the sums Z_t e0_t, the recursive residuals,
# the shortlist's solves and residuals) are done per series, stacked with the origins.
_SERIES_ELEMENTS = 1 << 20  # elements (8 MB) of the largest per-series temporary per chunk
# OpenBLAS runs a matrix product of up to 2^18 multiply-adds on one thread; larger ones
# start threads, which thrash on a shared machine (CPU time tripled, here). Products are
# split by rows to stay under it: each element is still one dot product, whatever the split.
_ONE_THREAD = 1 << 18


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b (stacked, broadcast), split by the rows of a so each product runs on one
    OpenBLAS thread."""
    m, k = a.shape[-2:]
    rows = max(1, _ONE_THREAD // max(1, k * b.shape[-1]))
    if rows >= m:
        return a @ b
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (m, b.shape[-1])
    out = np.empty(shape)
    for lo in range(0, m, rows):
        np.matmul(a[..., lo : lo + rows, :], b, out=out[..., lo : lo + rows, :])
    return out


def _series_chunk(G: int, n: int, n_orig: int) -> int:
    """Series per chunk in _search_many: its unforced errors (S, G, n) and SSE tables
    (G, S x origins) stay within _SERIES_ELEMENTS."""
    return max(1, _SERIES_ELEMENTS // (G * max(n, n_orig)))


def _unforced_errors_many(Y: np.ndarray, kappa: np.ndarray) -> np.ndarray:
    """_unforced_errors for each row of Y (S, n): (S, G, n). One matrix product for all
    series (rows of kappa times lagged values); a fast convolution for long series."""
    S, n = Y.shape
    if n > 256:
        return np.stack([_unforced_errors(y, kappa) for y in Y])
    j_idx, t_idx = np.indices((n, n))  # lagged[s, j, t] = y_s[t - 1 - j], laid out for BLAS
    lagged = np.where(j_idx < t_idx, Y[:, np.clip(t_idx - 1 - j_idx, 0, None)], 0.0)
    fitted = _matmul(kappa[:, :n], np.ascontiguousarray(lagged))  # (S, G, n); twice as fast
    return np.subtract(Y[:, None, :], fitted, out=fitted)


def _cho_solve_many(L: np.ndarray, r: np.ndarray, b: np.ndarray) -> np.ndarray:
    """_cho_solve with the batch dimensions of L (k, k, ...) and r (k, ...) broadcast
    against those of b (k, ...): one set of factors for many series."""
    k = L.shape[0]
    z = np.empty_like(b)
    for j in range(k):
        z[j] = (b[j] - np.einsum("p...,p...->...", L[j, :j], z[:j])) * r[j]
    x = np.empty_like(b)
    for j in range(k - 1, -1, -1):
        x[j] = (z[j] - np.einsum("p...,p...->...", L[j + 1 :, j], x[j + 1 :])) * r[j]
    return x


def _prefix_tables(Z: np.ndarray, first: int, n: int) -> tuple[np.ndarray, ...]:
    """What _search_many needs of the normal equations of the prefixes of lengths
    first..n, none of it data: their Cholesky factors L, r, ok as _normal_factors gives
    them; for each step t = first..n-1, c_t = 1 / sqrt(1 + z_t'u_t) with u_t = A_t^-1 z_t
    (A_t: the normal matrix of rows t' < t of Z; z_t: row t), NaN where A_t is not
    positive definite; and the weights that give u_t'b_t from the data, V (G, T, k) with
    V[:, t] = u_t for b_first, and W (G, T, T) with W[:, t, t'] = u_t'z_t' for t' < t."""
    G, k, T = Z.shape[0], Z.shape[2], n - first
    L, r, ok = _normal_factors(Z, np.arange(first, n + 1))
    zt = np.ascontiguousarray(Z[:, first:n].transpose(2, 1, 0))  # (k, T, G)
    # lengths first..n-1: the first T * G systems of the flattened factors (no copy)
    u = _cho_solve(
        L.reshape(k, k, -1)[:, :, : T * G], r.reshape(k, -1)[:, : T * G], zt.reshape(k, -1)
    ).reshape(k, T, G)
    c = 1.0 / np.sqrt(1.0 + np.einsum("ktg,ktg->tg", zt, u))
    c[~ok[:-1]] = np.nan
    V = np.ascontiguousarray(u.transpose(2, 1, 0))
    W = _matmul(V, Z[:, first:n].transpose(0, 2, 1))
    W *= np.tri(T, k=-1, dtype=bool)  # t' < t only
    return L, r, ok, c, V, W


def _coarse_prefix(spec: _Spec, Z: np.ndarray, first: int, n: int) -> tuple[np.ndarray, ...]:
    """_prefix_tables for the coarse grid, kept (_kept)."""
    return _kept((spec, f"prefix {first} {n}".encode()), lambda: _prefix_tables(Z, first, n))


def _solve_fallback(Zg: np.ndarray, o: int, e0: np.ndarray) -> np.ndarray:
    """Initial states by np.linalg.solve, as _profile_sse, where Cholesky refused."""
    Zo = Zg[:o]
    A = Zo.T @ Zo
    A += 1e-12 * np.trace(A) / Zo.shape[1] * np.eye(Zo.shape[1])
    return np.linalg.solve(A, Zo.T @ e0[:o])


def _search_many(
    Y: np.ndarray,
    spec: _Spec,
    Z: np.ndarray,
    kappa: np.ndarray,
    tables: tuple[np.ndarray, ...],
    first: int,
    ps: np.ndarray,
    at: np.ndarray,
    floor: np.ndarray,
    want_x0: bool = True,
) -> tuple[np.ndarray, np.ndarray | None]:
    """For each pair p of a series Y[ps[p]] and an origin at[p] (first <= at[p] <= the
    tables' last length), the grid point (row of Z) that _best picks from the one-step
    SSEs of _profile_sse on the prefix Y[ps[p], :at[p]], and, if ``want_x0``, its initial
    state. ``tables``: _prefix_tables(Z, first, max(at)); ``floor``: the pairs' noise floors.

    A shortlist first: each SSE is computed exactly (explicit residuals) on the prefix of
    length ``first`` and extended one period at a time by the recursive residuals of
    least squares, SSE_(t+1) = SSE_t + c_t^2 (e0_t - u_t'b_t)^2 with b_t = Z[:t]'e0[:t]
    (u_t'b_t comes from b_first and e0 by two products with data-free weights): no solve
    and no residuals per origin. That recursion amplifies rounding by the conditioning of
    the normal matrices (relative errors up to 1e-7 seen, 1e-9 typical), so every grid
    point within a wide margin of the smallest (1e-5 relative, plus 1e-11 of the sum of
    e0^2 against cancellation, and any the recursion could not follow) is recomputed from
    explicit residuals, as _profile_sse does, and the choice is made among those.
    """
    L, r, ok, c, V, W = tables
    n = int(at.max())
    S, G, k = Y.shape[0], Z.shape[0], Z.shape[2]
    T = n - first  # recursion steps
    e0 = _unforced_errors_many(Y[:, :n], kappa)  # (S, G, n)
    e0T = e0.transpose(1, 0, 2)  # (G, S, n)
    Zn = Z[:, :n]
    b0 = _matmul(e0T[:, :, :first], Zn[:, :first])  # (G, S, k): Z[:first]'e0[:first]
    # the exact SSE at length `first`, for every grid point
    theta0 = _cho_solve_many(L[:, :, 0, None, :], r[:, 0, None, :], b0.transpose(2, 1, 0))
    for gi in np.flatnonzero(~ok[0]):
        for s in range(S):
            theta0[:, s, gi] = _solve_fallback(Zn[gi], first, e0[s, gi])
    resid0 = _matmul(theta0.transpose(2, 1, 0), Zn[:, :first].transpose(0, 2, 1))
    np.subtract(e0T[:, :, :first], resid0, out=resid0)
    cum = np.empty((G, T + 1, S))
    cum[:, 0] = np.einsum("gst,gst->gs", resid0, resid0)
    if T:  # then one period at a time: the recursive residuals
        eps = _matmul(V[:, :T], b0.transpose(0, 2, 1))  # (G, T, S)
        eps += _matmul(W[:, :T, :T], e0T[:, :, first:n].transpose(0, 2, 1))
        np.subtract(e0T[:, :, first:n].transpose(0, 2, 1), eps, out=eps)
        eps *= c[:T].T[:, :, None]
        np.square(eps, out=eps)
        np.cumsum(eps, axis=1, out=eps)
        np.add(cum[:, :1], eps, out=cum[:, 1:])
    approx = cum[:, at - first, ps]  # (G, P)
    scale = np.einsum("sgt,sgt->gs", e0, e0)[:, ps]  # sum of e0^2: the cancellation's scale
    fl = floor * floor * at  # as _best: SSEs below floor^2 n tie there
    clipped = np.maximum(approx, fl)
    margin = 1e-5 * clipped + 1e-11 * scale
    lost = np.isnan(clipped)
    top = np.where(lost, np.inf, clipped + margin).min(axis=0)
    cp, cg = np.nonzero((lost | (clipped - margin <= top)).T)  # sorted by pair, then point
    # the shortlist, from explicit residuals
    oi, cs = at[cp] - first, ps[cp]
    tt = np.arange(n)
    C = len(cp)
    theta, sse = np.empty((k, C)), np.empty(C)
    step = max(1, _CHUNK // (n * k))
    for lo in range(0, C, step):
        sl = slice(lo, lo + step)
        g_, s_, o_ = cg[sl], cs[sl], at[cp[sl]]
        e0c = e0[s_, g_]  # (c, n)
        Zc = Zn[g_]  # (c, n, k)
        later = (tt[None, first:] < o_[:, None]) * e0c[:, first:]
        bc = b0[g_, s_].T + np.einsum("ctk,ct->kc", Zc[:, first:], later)
        th = _cho_solve(L[:, :, oi[sl], g_], r[:, oi[sl], g_], bc)
        for i in np.flatnonzero(~ok[oi[sl], g_]):
            th[:, i] = _solve_fallback(Zc[i], int(o_[i]), e0c[i])
        resid = e0c - np.einsum("ctk,kc->ct", Zc, th)
        resid *= tt[None, :] < o_[:, None]
        theta[:, sl], sse[sl] = th, np.einsum("ct,ct->c", resid, resid)
    value = np.nan_to_num(np.maximum(sse, fl[cp]), nan=np.inf)  # every pair keeps a point
    starts = np.searchsorted(cp, np.arange(len(at)))
    lowest = np.flatnonzero(value == np.minimum.reduceat(value, starts)[cp])
    chosen = lowest[np.searchsorted(cp[lowest], np.arange(len(at)))]  # first such point
    x0 = theta[:, chosen].T @ _initial_basis(spec).T if want_x0 else None
    return cg[chosen], x0


def _filter_many(
    Y: np.ndarray,
    spec: _Spec,
    rows: np.ndarray,
    x0: np.ndarray,
    series: np.ndarray,
    origins: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """_filter with one parameter set and initial state per (series, origin) pair, each
    run over its own prefix Y[series, :origin]: the final states (R, dim) and one-step
    errors (R, max origin), zero from each pair's origin on."""
    order = np.argsort(origins, kind="stable")  # pairs whose prefix has ended drop out
    rows, x0, series, origins = rows[order], x0[order], series[order], origins[order]
    alpha = rows[:, 0]
    F, g, w = _system(spec, alpha, alpha * rows[:, 1], (1.0 - alpha) * rows[:, 3], rows[:, 2])
    n = int(origins[-1])
    Yr = Y[series, :n]
    done = np.searchsorted(origins, np.arange(n), side="right")
    x, e = x0.copy(), np.zeros((len(origins), n))
    for t in range(n):
        lo = done[t]
        err = Yr[lo:, t] - np.einsum("bd,bd->b", w[lo:], x[lo:])
        e[lo:, t] = err
        x[lo:] = np.einsum("bij,bj->bi", F[lo:], x[lo:]) + g[lo:] * err[:, None]
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    return x[back], e[back]


def _fit_at(y: np.ndarray, spec: _Spec, origins: Sequence[int]) -> dict[int, _Fit]:
    """The fit to each prefix y[:o], o in ``origins``: the same choices and numbers as
    _fit_reference(y[:o], spec) at each, computed in batched passes of up to
    _ORIGIN_BLOCK origins (a forecast's 31 make one; a backtest's many, several)."""
    orig = np.array(sorted(set(origins)), dtype=int)
    fits: dict[int, _Fit] = {}
    for lo in range(0, len(orig), _ORIGIN_BLOCK):
        block = orig[lo : lo + _ORIGIN_BLOCK]
        fits.update(_fit_group(y[None, : int(block[-1])], spec, block)[0])
    return fits


def _fine_search(
    Y: np.ndarray,
    spec: _Spec,
    fine: np.ndarray,
    Zf: np.ndarray,
    kf: np.ndarray,
    sel: np.ndarray,
    at: np.ndarray,
    floor: np.ndarray,
    rows: np.ndarray,
    x0: np.ndarray,
) -> None:
    """The fine-grid search for the pairs ``sel`` (s * O + i) whose best coarse point is
    the one ``fine`` surrounds, in any series: their grid points and initial states, into
    ``rows`` and ``x0``. The tables are computed once, for the prefix lengths needed."""
    n_orig = len(at) // len(Y)
    lo_o, hi_o = int(at[sel].min()), int(at[sel].max())
    tables = _prefix_tables(Zf[:, :hi_o], lo_o, hi_o)
    chunk = _series_chunk(len(fine), hi_o, n_orig)
    members = np.unique(sel // n_orig)
    for lo in range(0, len(members), chunk):
        part = members[lo : lo + chunk]
        psel = sel[np.isin(sel // n_orig, part)]
        ps = np.searchsorted(part, psel // n_orig)
        j, x0s = _search_many(Y[part], spec, Zf, kf, tables, lo_o, ps, at[psel], floor[psel])
        rows[psel], x0[psel] = fine[j], x0s


def _fit_group(Y: np.ndarray, spec: _Spec, orig: np.ndarray) -> list[dict[int, _Fit]]:
    """The fit to each prefix Y[s, :o] of each series s (rows of Y, at least orig[-1]
    long) at each origin o in ``orig`` (ascending, at most _ORIGIN_BLOCK): the same
    choices and numbers as _fit_reference(Y[s, :o], spec) at each."""
    S, n, n_orig = Y.shape[0], int(orig[-1]), len(orig)
    Y = Y[:, :n]
    grid, Z, kappa = _coarse_tables(spec, n)
    top = np.maximum.accumulate(np.abs(Y), axis=1)[:, orig - 1]
    floor = (1e-9 * np.maximum(top, 1e-3)).ravel()  # _noise_floor, per pair s * O + i
    at = np.tile(orig, S)
    first = int(orig[0])
    tables = _coarse_prefix(spec, Z, first, n)
    best = np.empty(S * n_orig, dtype=int)
    chunk = _series_chunk(len(grid), n, n_orig)
    for lo in range(0, S, chunk):
        sl = slice(lo * n_orig, min(S, lo + chunk) * n_orig)
        ps = np.repeat(np.arange(min(S, lo + chunk) - lo), n_orig)
        best[sl] = _search_many(
            Y[lo : lo + chunk], spec, Z, kappa, tables, first, ps, at[sl], floor[sl], False
        )[0]
    # Each pair searches the fine grid around its own best coarse point; pairs that share
    # that point, in any series, share its tables (for the prefix lengths they need).
    rows, x0 = np.empty((S * n_orig, 4)), np.empty((S * n_orig, spec.dim))
    points = [int(b) for b in np.unique(best)]
    batches = [points[i : i + _FINE_KEPT // 2] for i in range(0, len(points), _FINE_KEPT // 2)]
    for batch in batches:  # the missing tables of a batch are computed together
        for b, (fine, Zf, kf) in zip(batch, _fine_tables(spec, batch, grid, n), strict=True):
            _fine_search(Y, spec, fine, Zf, kf, np.flatnonzero(best == b), at, floor, rows, x0)
    # the filter and each fit's sigma and AICc (as _finish_fit), a chunk of series at once
    fits: list[dict[int, _Fit]] = [{} for _ in range(S)]
    q = spec.n_params + 1  # sigma counts as a parameter
    a = rows[:, 0]
    params = zip(
        a.tolist(),
        (a * rows[:, 1] if spec.trend else np.zeros(len(a))).tolist(),
        ((1.0 - a) * rows[:, 3] if spec.m else np.zeros(len(a))).tolist(),
        (rows[:, 2] if spec.trend else np.ones(len(a))).tolist(),
        strict=True,
    )
    chunk = max(1, _SERIES_ELEMENTS // (n_orig * n))
    for lo in range(0, S, chunk):
        sl = slice(lo * n_orig, min(S, lo + chunk) * n_orig)
        series = np.repeat(np.arange(lo, min(S, lo + chunk)), n_orig)
        states, errors = _filter_many(Y, spec, rows[sl], x0[sl], series, at[sl])
        sse = np.einsum("pt,pt->p", errors, errors)  # zero after each origin
        m = at[sl]
        sigma = np.maximum(np.sqrt(sse / (m - spec.n_params)), floor[sl])
        fsq = np.maximum(sse, floor[sl] ** 2 * m)
        loglik = -0.5 * m * (np.log(2.0 * np.pi * fsq / m) + 1.0)
        aicc = -2.0 * loglik + 2.0 * q + 2.0 * q * (q + 1) / np.maximum(m - q - 1, 1)
        for i, p in enumerate(range(sl.start, sl.stop)):
            o = int(at[p])
            alpha, beta, gamma, phi = next(params)
            fits[series[i]][o] = _Fit(
                spec, alpha, beta, gamma, phi, x0[p], states[i], errors[i, :o],
                float(sse[i]), float(sigma[i]), float(aicc[i]),
            )
    return fits


def _fit(y: np.ndarray, spec: _Spec) -> _Fit:
    """The model fitted to the whole of y."""
    return _fit_at(y, spec, [len(y)])[len(y)]


# y, horizons, m, seasonal, and optionally trend (False: level and season only)
_Task = tuple[np.ndarray, Mapping[int, int], int, bool | None] | tuple[
    np.ndarray, Mapping[int, int], int, bool | None, bool]


def _paths(fits: Sequence[_Fit], horizons: Sequence[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Fit.mean and sigma * sqrt(Fit.relative_variance) for many fits of one model, each to
    its own horizon: one vector operation per step ahead instead of a loop per fit."""
    spec, H = fits[0].spec, max(horizons)
    F, g, w = _system(
        spec, *(np.array([getattr(f, k) for f in fits]) for k in ("alpha", "beta", "gamma", "phi"))
    )
    x = np.array([f.state for f in fits])
    mean, c2 = np.empty((len(fits), H)), np.zeros((len(fits), H))
    v = g
    for h in range(H):
        mean[:, h] = np.einsum("rd,rd->r", w, x)
        x = np.einsum("rij,rj->ri", F, x)
        if h:
            c2[:, h] = np.einsum("rd,rd->r", w, v) ** 2
            v = np.einsum("rij,rj->ri", F, v)
    sd = np.array([f.sigma for f in fits])[:, None] * np.sqrt(1.0 + np.cumsum(c2, axis=1))
    return [(mean[i, :h], sd[i, :h]) for i, h in enumerate(horizons)]


def _runs_many(tasks: Sequence[_Task]) -> list[dict[int, _Run]]:
    """_runs_at for many series at once. Each model is fitted in blocks of origins, and
    the series that need a model at the same block of origins (series of one length, as
    on a status page) are fitted together, in one pass (_fit_group)."""
    trends = [bool(t[4]) if len(t) > 4 else True for t in tasks]
    needs = [{o: _specs(o, t[2], t[3], trend) for o in t[1]}
             for t, trend in zip(tasks, trends, strict=True)]
    groups: dict[tuple[_Spec, bytes], list[int]] = {}
    for i, need in enumerate(needs):
        origins: dict[_Spec, set[int]] = {}
        for o, specs in need.items():
            for s in specs:
                origins.setdefault(s, set()).add(o)
        for s, at in origins.items():
            orig = np.array(sorted(at), dtype=int)
            for lo in range(0, len(orig), _ORIGIN_BLOCK):
                groups.setdefault((s, orig[lo : lo + _ORIGIN_BLOCK].tobytes()), []).append(i)
    fits: list[dict[tuple[_Spec, int], _Fit]] = [{} for _ in tasks]
    for (spec, key), members in groups.items():
        orig = np.frombuffer(key, dtype=int)
        n = int(orig[-1])
        Y = np.stack([tasks[i][0][:n] for i in members])
        for i, got in zip(members, _fit_group(Y, spec, orig), strict=True):
            fits[i].update(((spec, o), f) for o, f in got.items())
    chosen: dict[_Spec, list[tuple[int, int, _Fit, int, tuple[str, ...]]]] = {}
    for i, (task, need) in enumerate(zip(tasks, needs, strict=True)):
        horizons, m, seasonal = task[1], task[2], task[3]
        for o, h in horizons.items():
            fit, notes = _choice(o, m, seasonal, {s: fits[i][(s, o)] for s in need[o]},
                                 trends[i])
            chosen.setdefault(fit.spec, []).append((i, o, fit, h, notes))
    runs: list[dict[int, _Run]] = [dict.fromkeys(t[1]) for t in tasks]
    for picks in chosen.values():
        paths = _paths([p[2] for p in picks], [p[3] for p in picks])
        for (i, o, fit, _, notes), (mean, sd) in zip(picks, paths, strict=True):
            runs[i][o] = _Run(fit=fit, mean=mean, sd=sd, notes=notes)
    return runs  # type: ignore[return-value]  # every slot filled above


def _runs_at(
    y: np.ndarray, horizons: Mapping[int, int], m: int, seasonal: bool | None,
    trend: bool = True,
) -> dict[int, _Run]:
    """The procedure at every origin o in ``horizons`` (data y[:o] only, forecasting
    horizons[o] periods ahead); each model is fitted at all its origins in one batch."""
    return _runs_many([(y, horizons, m, seasonal, trend)])[0]
