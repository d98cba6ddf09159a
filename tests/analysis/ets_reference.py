"""Explicit residuals at every grid point and origin: the computation the batched engine's
shortlist search (analysis.ets_batch._search_many) shortcuts, kept here as the reference the
tests check the search against (and check, in turn, against least squares on each prefix).
"""

from __future__ import annotations

import numpy as np

from stocktake.analysis.ets import _initial_basis, _Spec
from stocktake.analysis.ets_batch import (
    _CHUNK,
    _ONE_THREAD,
    _cho_solve_many,
    _matmul,
    _normal_factors,
    _unforced_errors_many,
)


def profile_many(
    Y: np.ndarray,
    spec: _Spec,
    Z: np.ndarray,
    kappa: np.ndarray,
    origins: np.ndarray,
    factors: tuple[np.ndarray, ...],
    pairs: tuple[np.ndarray, np.ndarray] | None = None,
    want_x0: bool = True,
) -> tuple[np.ndarray, np.ndarray | None]:
    """_profile_sse for the prefixes Y[s, :o] of (series s, origin o) pairs, in one pass:
    explicit residuals at every grid point, the computation _search_many shortcuts.

    ``origins`` ascending (O,); ``pairs``: series and origin indices (P,), by default every
    series at every origin (pair s * O + i). ``factors``: _normal_factors(Z, origins).
    The normal equations of a prefix are running sums over t < o (Z_t Z_t' in the factors,
    Z_t e0_t here); the SSE is summed from explicit residuals, as _profile_sse does,
    rather than e0'e0 - b'theta, which loses digits when the fit is close. Returns the SSE
    (G, P) and, if ``want_x0``, the initial states (G, P, dim).
    """
    n, first, n_orig = int(origins[-1]), int(origins[0]), len(origins)
    S, G, k = Y.shape[0], Z.shape[0], Z.shape[2]
    if pairs is None:
        ps, po = np.repeat(np.arange(S), n_orig), np.tile(np.arange(n_orig), S)
    else:
        ps, po = pairs
    L, r, ok = factors
    e0 = _unforced_errors_many(Y[:, :n], kappa)  # (S, G, n)
    e0T = e0.transpose(1, 0, 2)  # (G, S, n)
    Zn = Z[:, :n]
    steps = n - first + 1
    b = np.empty((k, steps, S, G))
    b[:, 0] = _matmul(e0T[:, :, :first], Zn[:, :first]).transpose(2, 1, 0)
    np.multiply(
        Zn[:, first:].transpose(2, 1, 0)[:, :, None, :],
        e0[:, :, first:].transpose(2, 0, 1)[None],
        out=b[:, 1:],
    )
    np.cumsum(b, axis=1, out=b)
    # theta for every series at every origin (k, O, S, G): a solve is cheap next to the
    # residuals, which are formed for the wanted pairs only
    theta = _cho_solve_many(L[:, :, :, None, :], r[:, :, None, :], b[:, origins - first])
    theta = theta[:, po, ps].transpose(2, 1, 0)  # (G, P, k)
    for i, gi in np.argwhere(~ok):  # not positive definite to Cholesky: as _profile_sse
        o, Zo = int(origins[i]), Zn[gi, : origins[i]]
        A = Zo.T @ Zo
        A += 1e-12 * np.trace(A) / k * np.eye(k)
        for p in np.flatnonzero(po == i):
            theta[gi, p] = np.linalg.solve(A, Zo.T @ e0[ps[p], gi, :o])
    keep = (np.arange(n)[None, :] < origins[po][:, None]).astype(float)  # t in the prefix
    P = len(ps)
    sse = np.empty((G, P))
    width = max(1, min(P, _ONE_THREAD // (k * n)))  # pairs per product: one thread
    step = max(1, _CHUNK // (width * n))
    for lp in range(0, P, width):
        sp, pp = ps[lp : lp + width], slice(lp, lp + width)
        for lo in range(0, G, step):
            gg = slice(lo, lo + step)
            resid = theta[gg, pp] @ Zn[gg].transpose(0, 2, 1)  # the fitted part
            np.subtract(e0T[gg][:, sp], resid, out=resid)
            sse[gg, pp] = np.einsum("gpt,gpt,pt->gp", resid, resid, keep[pp])
    x0 = np.einsum("gpk,dk->gpd", theta, _initial_basis(spec)) if want_x0 else None
    return sse, x0


def profile_at(
    y: np.ndarray,
    spec: _Spec,
    Z: np.ndarray,
    kappa: np.ndarray,
    origins: np.ndarray,
    factors: tuple[np.ndarray, ...] | None = None,
    want_x0: bool = True,
) -> tuple[np.ndarray, np.ndarray | None]:
    """profile_many for one series: the SSE (G, O) and, if ``want_x0``, the initial
    states (G, O, dim) of the prefixes y[:o] of every origin o (ascending)."""
    if factors is None:
        factors = _normal_factors(Z, origins)
    return profile_many(y[None, :], spec, Z, kappa, origins, factors, want_x0=want_x0)
