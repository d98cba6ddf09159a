"""The ETS engine behind analysis.forecast: exponential smoothing models fitted by a
two-stage grid over the smoothing parameters, with the initial states solved exactly by
least squares, at one forecast origin or at many at once.

Models (Hyndman et al. 2008): ETS(A,N,N) for short series, ETS(A,Ad,N) with damping phi in
[0.8, 1], and ETS(A,Ad,A) for quarterly and monthly data with enough points; the procedure
(``_runs_at``) fits the candidates and chooses by AICc. The batched engine fits one model at
every origin of a forecast's calibration in one pass (see its section below); the reference
path (``_runs_at_reference``) fits each origin on its own and is kept for tests and the
benchmark, which check that both choose the same grid points and give the same numbers.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import product

import numpy as np
from scipy import signal

DAMPED_TREND_MIN_POINTS = 10  # a model is fitted only when n > parameters + 4 (R forecast::ets)
_ALPHA_BOUNDS = (1e-4, 0.9999)
_SHARE_BOUNDS = (0.0, 1.0)  # beta = alpha * share, gamma = (1 - alpha) * share
# Damping: R's forecast::ets caps phi at 0.98 and offers the undamped trend as a separate
# model; we estimate phi in [0.8, 1] instead, so a steady straight-line trend (phi = 1, Holt's
# linear trend) is followed without the lag a capped damped trend shows.
_PHI_BOUNDS = (0.8, 1.0)
# Coarse grids (alpha, beta/alpha, phi, gamma/(1-alpha)), then a finer grid around the
# best point. Seasonal models have one more dimension and more states: a sparser grid.
_GRIDS = {
    False: (
        np.array([0.02, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99]),
        np.array([0.0, 0.1, 0.25, 0.45, 0.7, 0.95]),
        np.array([0.8, 0.86, 0.92, 0.98, 1.0]),
        np.array([0.0]),
    ),
    True: (
        np.array([0.05, 0.2, 0.4, 0.6, 0.8, 0.99]),
        np.array([0.0, 0.15, 0.4, 0.8]),
        np.array([0.8, 0.9, 0.98, 1.0]),
        np.array([0.0, 0.2, 0.5, 0.9]),
    ),
}


def _seasonal_min_points(m: int) -> int:
    # Two full seasons, and n > parameters + 4 with m + 5 parameters (4 smoothing, level,
    # trend and m - 1 free seasonal states).
    return max(2 * m, m + 10)


# -- the ETS engine ---------------------------------------------------------------------
@dataclass(frozen=True)
class _Spec:
    trend: bool  # damped additive trend
    m: int  # season length; 0 = no seasonal component

    @property
    def name(self) -> str:
        return f"ETS(A,{'Ad' if self.trend else 'N'},{'A' if self.m else 'N'})"

    @property
    def dim(self) -> int:
        return 1 + int(self.trend) + self.m

    @property
    def n_params(self) -> int:
        smoothing = 1 + 2 * int(self.trend) + int(self.m > 0)
        initial = 1 + int(self.trend) + max(self.m - 1, 0)
        return smoothing + initial


def _system(
    spec: _Spec, alpha: np.ndarray, beta: np.ndarray, gamma: np.ndarray, phi: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Transition F, persistence g and measurement w for a batch of parameter sets.

    State x = (level, trend, s_t, s_{t-1}, ..., s_{t-m+1});
    y_t = w'x_{t-1} + e_t and x_t = F x_{t-1} + g e_t.
    """
    G, d = alpha.shape[0], spec.dim
    F, g, w = np.zeros((G, d, d)), np.zeros((G, d)), np.zeros((G, d))
    F[:, 0, 0], w[:, 0], g[:, 0] = 1.0, 1.0, alpha
    if spec.trend:
        F[:, 0, 1], F[:, 1, 1], w[:, 1], g[:, 1] = phi, phi, phi, beta
    if spec.m:
        s0 = d - spec.m
        F[:, s0, d - 1] = 1.0  # this season's state starts from the one a year ago
        for i in range(1, spec.m):
            F[:, s0 + i, s0 + i - 1] = 1.0
        w[:, d - 1] = 1.0
        g[:, s0] = gamma
    return F, g, w


def _initial_basis(spec: _Spec) -> np.ndarray:
    """Free initial states -> full initial state, with the seasonal states summing to zero
    (otherwise level and seasonal states are confounded)."""
    d = spec.dim
    if not spec.m:
        return np.eye(d)
    basis = np.zeros((d, d - 1))
    s0 = d - spec.m
    basis[:s0, :s0] = np.eye(s0)
    for j in range(spec.m - 1):
        basis[s0 + j, s0 + j] = 1.0
        basis[d - 1, s0 + j] = -1.0
    return basis


def _responses(spec: _Spec, params: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """For each row of ``params`` (alpha, trend share, phi, season share): u_j = w'D^j and
    kappa_j = w'D^(j-1) g for j < n, where D = F - g w' is the filter's transition.

    With x_t = D x_(t-1) + g y_t, the one-step forecast of y_t is
    u_(t-1)' x0 + sum_(s<t) kappa_(t-s) y_s: affine in the initial state x0.
    """
    alpha = params[:, 0]
    beta = alpha * params[:, 1]
    phi = params[:, 2]
    gamma = (1.0 - alpha) * params[:, 3]
    F, g, w = _system(spec, alpha, beta, gamma, phi)
    D = F - g[:, :, None] * w[:, None, :]
    U = np.empty((params.shape[0], n, spec.dim))
    u = w
    for j in range(n):
        U[:, j] = u
        u = np.einsum("gi,gij->gj", u, D)
    kappa = np.einsum("gjd,gd->gj", U, g)  # kappa[:, j] = w'D^j g, the lag j + 1 weight
    return U, kappa


def _response_tables(spec: _Spec, params: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """What _responses gives, for the batched engine: Z_j = u_j' B (B = _initial_basis, so
    the one-step errors are e0 - Z x0_free) and kappa, for j < n. The powers of D come by
    repeated squaring, U[:, j + 2^i] = U[:, j] D^(2^i): log2(n) batched products, not n."""
    alpha = params[:, 0]
    F, g, w = _system(spec, alpha, alpha * params[:, 1], (1.0 - alpha) * params[:, 3], params[:, 2])
    D = F - g[:, :, None] * w[:, None, :]
    U = np.empty((params.shape[0], n, spec.dim))
    U[:, 0] = w
    filled, power = 1, D
    while filled < n:  # batched small products: one OpenBLAS thread each
        step = min(filled, n - filled)
        np.matmul(U[:, :step], power, out=U[:, filled : filled + step])
        filled += step
        if filled < n:
            power = power @ power
    kappa = np.einsum("gjd,gd->gj", U, g)
    Z = np.einsum("gjd,dk->gjk", U, _initial_basis(spec)) if spec.m else U
    return Z, kappa


# The coarse grid is the same for every series: its responses are kept and reused.
_COARSE_CACHE: dict[_Spec, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def _coarse_responses(spec: _Spec, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cached = _COARSE_CACHE.get(spec)
    if cached is None or cached[1].shape[1] < n:
        grid = _grid(spec, *_GRIDS[spec.m > 0])
        U, kappa = _responses(spec, grid, max(n, 64))
        cached = _COARSE_CACHE[spec] = (grid, U, kappa)
    return cached


def _unforced_errors(y: np.ndarray, kappa: np.ndarray) -> np.ndarray:
    """e0_t = y_t - sum_(s<t) kappa_(t-s) y_s, the one-step errors from a zero initial state,
    for each row of ``kappa`` (G, >= n): a matrix of lagged values for the usual lengths, a
    fast convolution for long (daily, weekly) series."""
    n = len(y)
    if n <= 256:
        t_idx, j_idx = np.indices((n, n))
        lagged = np.where(j_idx < t_idx, y[np.clip(t_idx - 1 - j_idx, 0, None)], 0.0)
        # einsum, not a BLAS product: OpenBLAS threads thrash on a shared machine here.
        fitted = np.einsum("gj,tj->gt", kappa[:, :n], lagged)
    else:
        conv = signal.fftconvolve(kappa[:, :n], y[None, :], axes=1)[:, : n - 1]
        fitted = np.concatenate([np.zeros((kappa.shape[0], 1)), conv], axis=1)
    return y[None, :] - fitted


def _profile_sse(
    y: np.ndarray,
    spec: _Spec,
    params: np.ndarray,
    responses: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """One-step SSE minimised over the initial states, for each row of ``params``.

    Columns of ``params``: alpha, trend share, phi, season share. With additive errors the
    one-step errors are affine in the initial state, e = e0 - Z x0, so the best x0 is a
    least-squares solution, found for all parameter sets at once.
    """
    n = len(y)
    U, kappa = responses if responses is not None else _responses(spec, params, n)
    e0 = _unforced_errors(y, kappa)[:, :, None]  # (G, n, 1)
    basis = _initial_basis(spec)
    Z = U[:, :n] @ basis  # (G, n, k)
    Zt = Z.transpose(0, 2, 1)
    ZtZ, Zte = Zt @ Z, Zt @ e0
    k = basis.shape[1]
    ridge = 1e-12 * (np.trace(ZtZ, axis1=1, axis2=2) / k)[:, None, None] * np.eye(k)
    theta = np.linalg.solve(ZtZ + ridge, Zte)
    resid = (e0 - Z @ theta)[:, :, 0]
    return np.sum(resid**2, axis=1), theta[:, :, 0] @ basis.T


def _grid(spec: _Spec, a, b, ph, s) -> np.ndarray:
    cols = [a, b if spec.trend else [0.0], ph if spec.trend else [1.0], s if spec.m else [0.0]]
    return np.array(list(product(*cols)), dtype=float)


def _around(best: float, grid: np.ndarray, bounds: tuple[float, float], points: int) -> np.ndarray:
    """Points from halfway to the lower neighbour to halfway to the upper one; at the edge
    of the grid, out to the bound itself."""
    if len(grid) == 1:
        return grid
    i = int(np.argmin(np.abs(grid - best)))
    left = (best + grid[i - 1]) / 2.0 if i > 0 else bounds[0]
    right = (best + grid[i + 1]) / 2.0 if i + 1 < len(grid) else bounds[1]
    pts = np.linspace(left, right, points)
    return np.unique(np.clip(pts, *bounds))


def _fine_grid(spec: _Spec, best: np.ndarray) -> np.ndarray:
    """The second-stage grid around the best coarse point."""
    axes = _GRIDS[spec.m > 0]
    bounds = (_ALPHA_BOUNDS, _SHARE_BOUNDS, _PHI_BOUNDS, _SHARE_BOUNDS)
    points = 3 if spec.m else 5
    return _grid(
        spec,
        *(_around(v, ax, bd, points) for v, ax, bd in zip(best, axes, bounds, strict=True)),
    )


@dataclass(frozen=True)
class _Fit:
    spec: _Spec
    alpha: float
    beta: float
    gamma: float
    phi: float
    x0: np.ndarray
    state: np.ndarray  # state after the last observation
    residuals: np.ndarray
    sse: float
    sigma: float  # one-step error sd, sqrt(SSE / (n - parameters)), floored above zero
    aicc: float

    @property
    def name(self) -> str:
        # phi = 1 (the bound) is Holt's undamped trend: name it as such.
        return self.spec.name.replace("Ad", "A") if self.phi >= 1.0 else self.spec.name

    def system(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        F, g, w = _system(
            self.spec,
            np.array([self.alpha]),
            np.array([self.beta]),
            np.array([self.gamma]),
            np.array([self.phi]),
        )
        return F[0], g[0], w[0]

    def mean(self, horizon: int) -> np.ndarray:
        F, _, w = self.system()
        out, x = np.empty(horizon), self.state.copy()
        for h in range(horizon):
            out[h] = w @ x
            x = F @ x
        return out

    def relative_variance(self, horizon: int) -> np.ndarray:
        """Var(h-step error) / sigma^2 = 1 + sum_{j<h} c_j^2 with c_j = w'F^(j-1)g."""
        F, g, w = self.system()
        c2, v = np.zeros(horizon), g.copy()
        for j in range(1, horizon):
            c2[j] = (w @ v) ** 2
            v = F @ v
        return 1.0 + np.cumsum(c2)


def _filter(y: np.ndarray, fit_spec: _Spec, p: dict[str, float], x0: np.ndarray):
    F, g, w = _system(fit_spec, *(np.array([p[k]]) for k in ("alpha", "beta", "gamma", "phi")))
    F, g, w = F[0], g[0], w[0]
    x, e = x0.copy(), np.empty(len(y))
    for t in range(len(y)):
        e[t] = y[t] - w @ x
        x = F @ x + g * e[t]
    return x, e


def _noise_floor(y: np.ndarray) -> float:
    """The smallest one-step error sd a fit is credited with (sigma is floored here)."""
    return 1e-9 * max(float(np.max(np.abs(y))), 1e-3)


def _best(sse: np.ndarray, floor: np.ndarray | float, n: np.ndarray | int) -> np.ndarray:
    """Index of the smallest SSE down each column. An SSE below floor^2 n (errors of sd
    ``floor``, where sigma and the AICc floor it too) counts as floor^2 n: such exact fits
    (a constant, a straight line) tie, and the first grid point wins, rather than whichever
    rounding error came out smallest, which differs from one computation to another."""
    return np.argmin(np.maximum(sse, floor * floor * n), axis=0)


def _finish_fit(
    y: np.ndarray,
    spec: _Spec,
    row: np.ndarray,
    x0: np.ndarray,
    state: np.ndarray,
    resid: np.ndarray,
) -> _Fit:
    """The fit at the chosen grid point ``row``: sigma and AICc from the filter's errors."""
    a, b, ph, s = row
    n, k = len(y), spec.n_params
    sse_j = float(np.sum(resid**2))
    floor = _noise_floor(y)
    sigma = max(math.sqrt(sse_j / (n - k)), floor)
    # AICc with sigma counted as a parameter, the Gaussian log-likelihood at sigma^2=SSE/n.
    q = k + 1
    loglik = -0.5 * n * (math.log(2.0 * math.pi * max(sse_j, floor**2 * n) / n) + 1.0)
    aicc = -2.0 * loglik + 2.0 * q + 2.0 * q * (q + 1) / max(n - q - 1, 1)
    return _Fit(
        spec=spec,
        alpha=float(a),
        beta=float(a * b) if spec.trend else 0.0,
        gamma=float((1.0 - a) * s) if spec.m else 0.0,
        phi=float(ph) if spec.trend else 1.0,
        x0=x0,
        state=state,
        residuals=resid,
        sse=sse_j,
        sigma=sigma,
        aicc=aicc,
    )


def _fit_reference(y: np.ndarray, spec: _Spec) -> _Fit:
    """The fit to y alone, one origin at a time: the engine before batching (with the tie
    rule of _best), kept as the reference the batched engine (_fit_at) is tested against."""
    coarse, U, kappa = _coarse_responses(spec, len(y))
    floor = _noise_floor(y)
    sse, _ = _profile_sse(y, spec, coarse, (U, kappa))
    fine = _fine_grid(spec, coarse[int(_best(sse, floor, len(y)))])
    sse, x0s = _profile_sse(y, spec, fine)
    j = int(_best(sse, floor, len(y)))
    a, b, ph, s = fine[j]
    p = {"alpha": a, "beta": a * b, "gamma": (1.0 - a) * s, "phi": ph}
    state, resid = _filter(y, spec, p, x0s[j])
    return _finish_fit(y, spec, fine[j], x0s[j], state, resid)


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
_FACTOR_BYTES = 48 << 20  # normal-matrix factors kept for the coarse grid: two sets of
# 31 monthly origins for the seasonal model (17 MB each), or many smaller ones
_FACTORS: OrderedDict[tuple[_Spec, bytes], tuple[np.ndarray, ...]] = OrderedDict()  # L, r, ok


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
    cols, rows = np.triu_indices(k)  # the lower triangle, packed column by column
    start = np.concatenate([[0], np.cumsum(np.arange(k, 0, -1))])
    L, r = np.empty((k, k, n_orig, G)), np.empty((k, n_orig, G))
    ok = np.empty((n_orig, G), dtype=bool)
    steps = n - first + 1
    step = max(1, _CHUNK // (steps * len(rows)))  # chunks of grid points that fit in cache
    for lo in range(0, G, step):
        Zc = Z[lo : lo + step, :n]
        g = len(Zc)
        Zh, ZT = Zc[:, :first], Zc[:, first:].transpose(2, 1, 0)  # ZT: (k, t, g)
        P = np.empty((len(rows), steps, g))
        P[:, 0] = (Zh.transpose(0, 2, 1) @ Zh)[:, rows, cols].T
        for j in range(k):
            np.multiply(ZT[j:], ZT[j], out=P[start[j] : start[j + 1], 1:])
        for i in range(1, steps):  # running sums (np.cumsum is slower here)
            P[:, i] += P[:, i - 1]
        A = np.empty((k, k, n_orig, g))
        A[rows, cols] = P[:, at]
        A = A.reshape(k, k, -1)
        ridge = 1e-12 * np.einsum("iib->b", A) / k  # as in _profile_sse
        for i in range(k):
            A[i, i] += ridge
        Lc, rc, okc = _cholesky(A)
        L[:, :, :, lo : lo + g] = Lc.reshape(k, k, n_orig, g)
        r[:, :, lo : lo + g] = rc.reshape(k, n_orig, g)
        ok[:, lo : lo + g] = okc.reshape(n_orig, g)
    return L, r, ok


def _coarse_factors(spec: _Spec, Z: np.ndarray, origins: np.ndarray) -> tuple[np.ndarray, ...]:
    """_normal_factors for the coarse grid, kept for the last few sets of origins: the
    forecasts of a status page or a delivery pack are mostly of series of one length."""
    key = (spec, origins.tobytes())
    with _TABLE_LOCK:
        cached = _FACTORS.get(key)
        if cached is not None:
            _FACTORS.move_to_end(key)
            return cached
    cached = _frozen(*_normal_factors(Z, origins))
    with _TABLE_LOCK:
        _FACTORS[key] = cached
        while sum(a.nbytes for v in _FACTORS.values() for a in v) > _FACTOR_BYTES:
            _FACTORS.popitem(last=False)
    return cached


def _profile_at(
    y: np.ndarray,
    spec: _Spec,
    Z: np.ndarray,
    kappa: np.ndarray,
    origins: np.ndarray,
    factors: tuple[np.ndarray, ...] | None = None,
    want_x0: bool = True,
) -> tuple[np.ndarray, np.ndarray | None]:
    """_profile_sse for the prefixes y[:o] of every origin o (ascending), in one pass.

    The normal equations of y[:o] are running sums over t < o (Z_t Z_t' in
    _normal_factors, or ``factors`` if given; Z_t e0_t here). The SSE is then summed from
    explicit residuals, as _profile_sse does, rather than e0'e0 - b'theta, which loses
    digits when the fit is close. Returns the SSE (G, O) and, if ``want_x0``, the initial
    states (G, O, dim). Batched matmuls of small matrices run on one OpenBLAS thread
    (unlike one large product).
    """
    n, first, n_orig = int(origins[-1]), int(origins[0]), len(origins)
    G, k = Z.shape[0], Z.shape[2]
    L, r, ok = factors if factors is not None else _normal_factors(Z, origins)
    e0 = _unforced_errors(y[:n], kappa)
    Zn = Z[:, :n]
    b = np.empty((k, n - first + 1, G))
    b[:, 0] = (e0[:, None, :first] @ Zn[:, :first])[:, 0].T
    np.multiply(Zn[:, first:].transpose(2, 1, 0), e0[:, first:].T, out=b[:, 1:])
    np.cumsum(b, axis=1, out=b)
    theta = _cho_solve(L.reshape(k, k, -1), r.reshape(k, -1), b[:, origins - first].reshape(k, -1))
    theta = theta.reshape(k, n_orig, G).transpose(2, 1, 0)  # (G, O, k)
    for i, gi in np.argwhere(~ok):  # not positive definite to Cholesky: as _profile_sse
        o, Zo = int(origins[i]), Zn[gi, : origins[i]]
        A = Zo.T @ Zo
        A += 1e-12 * np.trace(A) / k * np.eye(k)
        theta[gi, i] = np.linalg.solve(A, Zo.T @ e0[gi, :o])
    keep = (np.arange(n)[None, :] < origins[:, None]).astype(float)  # t inside the prefix
    sse = np.empty((G, n_orig))
    step = max(1, _CHUNK // (n_orig * n))
    for lo in range(0, G, step):
        resid = theta[lo : lo + step] @ Zn[lo : lo + step].transpose(0, 2, 1)  # fitted part
        np.subtract(e0[lo : lo + step, None, :], resid, out=resid)
        sse[lo : lo + step] = np.einsum("got,got,ot->go", resid, resid, keep)
    x0 = np.einsum("gok,dk->god", theta, _initial_basis(spec)) if want_x0 else None
    return sse, x0


def _filter_at(
    y: np.ndarray, spec: _Spec, rows: np.ndarray, x0: np.ndarray, origins: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """_filter with one parameter set and initial state per origin (ascending), each run
    over its own prefix y[:o]: the final states (O, dim) and one-step errors (O, max o),
    zero from each row's origin on."""
    alpha = rows[:, 0]
    F, g, w = _system(spec, alpha, alpha * rows[:, 1], (1.0 - alpha) * rows[:, 3], rows[:, 2])
    n = int(origins[-1])
    done = np.searchsorted(origins, np.arange(n), side="right")  # rows whose prefix ended
    x, e = x0.copy(), np.zeros((len(origins), n))
    for t in range(n):
        lo = done[t]
        err = y[t] - np.einsum("bd,bd->b", w[lo:], x[lo:])
        e[lo:, t] = err
        x[lo:] = np.einsum("bij,bj->bi", F[lo:], x[lo:]) + g[lo:] * err[:, None]
    return x, e


def _fit_at(y: np.ndarray, spec: _Spec, origins: Sequence[int]) -> dict[int, _Fit]:
    """The fit to each prefix y[:o], o in ``origins``: the same choices and numbers as
    _fit_reference(y[:o], spec) at each, computed in batched passes of up to
    _ORIGIN_BLOCK origins (a forecast's 31 make one; a backtest's many, several)."""
    orig = np.array(sorted(set(origins)), dtype=int)
    fits: dict[int, _Fit] = {}
    for lo in range(0, len(orig), _ORIGIN_BLOCK):
        fits.update(_fit_block(y, spec, orig[lo : lo + _ORIGIN_BLOCK]))
    return fits


def _fit_block(y: np.ndarray, spec: _Spec, orig: np.ndarray) -> dict[int, _Fit]:
    grid, Z, kappa = _coarse_tables(spec, int(orig[-1]))
    floor = 1e-9 * np.maximum(np.maximum.accumulate(np.abs(y))[orig - 1], 1e-3)  # _noise_floor
    sse, _ = _profile_at(y, spec, Z, kappa, orig, _coarse_factors(spec, Z, orig), want_x0=False)
    best = _best(sse, floor, orig)
    rows, x0 = np.empty((len(orig), 4)), np.empty((len(orig), spec.dim))
    # Each origin searches the fine grid around its own best coarse point; origins that
    # share that point share one pass.
    points = [int(b) for b in np.unique(best)]
    tables = _fine_tables(spec, points, grid, int(orig[-1]))
    for b, (fine, Zf, kf) in zip(points, tables, strict=True):
        sel = np.flatnonzero(best == b)
        sse_f, x0_f = _profile_at(y, spec, Zf, kf, orig[sel])
        j = _best(sse_f, floor[sel], orig[sel])
        rows[sel], x0[sel] = fine[j], x0_f[j, np.arange(len(sel))]
    states, errors = _filter_at(y, spec, rows, x0, orig)
    return {
        int(o): _finish_fit(y[:o], spec, rows[i], x0[i], states[i], errors[i, :o])
        for i, o in enumerate(orig)
    }


def _fit(y: np.ndarray, spec: _Spec) -> _Fit:
    """The model fitted to the whole of y."""
    return _fit_at(y, spec, [len(y)])[len(y)]


@dataclass(frozen=True)
class _Run:
    """The forecasting procedure applied at one origin: model choice, fit, analytic sds."""

    fit: _Fit
    mean: np.ndarray
    sd: np.ndarray
    notes: tuple[str, ...]


def _specs(n: int, m: int, seasonal: bool | None) -> tuple[_Spec, ...]:
    """The models the procedure fits to n points."""
    if n < DAMPED_TREND_MIN_POINTS:
        return (_Spec(trend=False, m=0),)
    if m and seasonal is not False and n >= _seasonal_min_points(m):
        return (_Spec(trend=True, m=0), _Spec(trend=True, m=m))
    return (_Spec(trend=True, m=0),)


def _choose(
    n: int, horizon: int, m: int, seasonal: bool | None, fits: Mapping[_Spec, _Fit]
) -> _Run:
    """Model choice among the fits _specs(n, m, seasonal) names, and its forecast."""
    notes = []
    if n < DAMPED_TREND_MIN_POINTS:
        fit = fits[_Spec(trend=False, m=0)]
        notes.append(
            f"short series ({n} points < {DAMPED_TREND_MIN_POINTS}): simple exponential "
            "smoothing, no trend"
        )
    else:
        fit = fits[_Spec(trend=True, m=0)]
        if m and seasonal is not False:
            if n >= _seasonal_min_points(m):
                sfit = fits[_Spec(trend=True, m=m)]
                chosen = seasonal or sfit.aicc < fit.aicc
                how = "requested" if seasonal else "chosen by AICc"
                notes.append(
                    f"seasonality {how}: AICc {sfit.aicc:.2f} seasonal vs {fit.aicc:.2f} "
                    f"non-seasonal -> {'seasonal' if chosen else 'non-seasonal'}"
                )
                if chosen:
                    fit = sfit
            else:
                notes.append(
                    f"too few points for a seasonal model ({n} < {_seasonal_min_points(m)})"
                )
    sd = fit.sigma * np.sqrt(fit.relative_variance(horizon))
    return _Run(fit=fit, mean=fit.mean(horizon), sd=sd, notes=tuple(notes))


def _procedure(y: np.ndarray, horizon: int, m: int, seasonal: bool | None) -> _Run:
    """The procedure at one origin, fitted on its own (the reference path)."""
    n = len(y)
    fits = {s: _fit_reference(y, s) for s in _specs(n, m, seasonal)}
    return _choose(n, horizon, m, seasonal, fits)


def _runs_at(
    y: np.ndarray, horizons: Mapping[int, int], m: int, seasonal: bool | None
) -> dict[int, _Run]:
    """The procedure at every origin o in ``horizons`` (data y[:o] only, forecasting
    horizons[o] periods ahead); each model is fitted at all its origins in one batch."""
    needs = {o: _specs(o, m, seasonal) for o in horizons}
    origins: dict[_Spec, list[int]] = {}
    for o, specs in needs.items():
        for s in specs:
            origins.setdefault(s, []).append(o)
    fits = {s: _fit_at(y, s, at) for s, at in origins.items()}
    return {
        o: _choose(o, h, m, seasonal, {s: fits[s][o] for s in needs[o]})
        for o, h in horizons.items()
    }


def _runs_at_reference(
    y: np.ndarray, horizons: Mapping[int, int], m: int, seasonal: bool | None
) -> dict[int, _Run]:
    """_runs_at one origin at a time (31 separate procedures per forecast): the path
    before batching, kept so that tests and benchmarks/forecast.py can compare."""
    return {o: _procedure(y[:o], h, m, seasonal) for o, h in horizons.items()}
