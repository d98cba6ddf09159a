"""The ETS models behind analysis.forecast: exponential smoothing fitted by a two-stage
grid over the smoothing parameters, with the initial states solved exactly by least
squares, and the procedure that chooses among them.

Models (Hyndman et al. 2008): ETS(A,N,N) for short series, ETS(A,Ad,N) with damping phi in
[0.8, 1], and ETS(A,Ad,A) for quarterly and monthly data with enough points; the procedure
fits the candidates and chooses by AICc (``_choice``). This module fits one origin at a time
(``_fit_reference``, ``_procedure``, ``_runs_at_reference``): the plain path, kept as the
reference the batched engine (analysis.ets_batch, used by forecasts) is tested against:
both choose the same grid points and give the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
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


@dataclass(frozen=True)
class _Run:
    """The forecasting procedure applied at one origin: model choice, fit, analytic sds."""

    fit: _Fit
    mean: np.ndarray
    sd: np.ndarray
    notes: tuple[str, ...]


def _specs(n: int, m: int, seasonal: bool | None, trend: bool = True) -> tuple[_Spec, ...]:
    """The models the procedure fits to n points. ``trend=False``: level (and season)
    only, never a trend (small counts on the square-root scale, see analysis.forecast)."""
    if n < DAMPED_TREND_MIN_POINTS:
        return (_Spec(trend=False, m=0),)
    if m and seasonal is not False and n >= _seasonal_min_points(m):
        return (_Spec(trend=trend, m=0), _Spec(trend=trend, m=m))
    return (_Spec(trend=trend, m=0),)


def _choice(
    n: int, m: int, seasonal: bool | None, fits: Mapping[_Spec, _Fit], trend: bool = True
) -> tuple[_Fit, tuple[str, ...]]:
    """Model choice among the fits _specs(n, m, seasonal, trend) names, with its notes."""
    notes = []
    if n < DAMPED_TREND_MIN_POINTS:
        fit = fits[_Spec(trend=False, m=0)]
        notes.append(
            f"short series ({n} points < {DAMPED_TREND_MIN_POINTS}): simple exponential "
            "smoothing, no trend"
        )
    else:
        fit = fits[_Spec(trend=trend, m=0)]
        if not trend:
            notes.append("small counts: level only, no trend is extrapolated")
        if m and seasonal is not False:
            if n >= _seasonal_min_points(m):
                sfit = fits[_Spec(trend=trend, m=m)]
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
    return fit, tuple(notes)


def _choose(
    n: int, horizon: int, m: int, seasonal: bool | None, fits: Mapping[_Spec, _Fit],
    trend: bool = True,
) -> _Run:
    """Model choice among the fits _specs(n, m, seasonal, trend) names, and its forecast."""
    fit, notes = _choice(n, m, seasonal, fits, trend)
    sd = fit.sigma * np.sqrt(fit.relative_variance(horizon))
    return _Run(fit=fit, mean=fit.mean(horizon), sd=sd, notes=notes)


def _procedure(
    y: np.ndarray, horizon: int, m: int, seasonal: bool | None, trend: bool = True
) -> _Run:
    """The procedure at one origin, fitted on its own (the reference path)."""
    n = len(y)
    fits = {s: _fit_reference(y, s) for s in _specs(n, m, seasonal, trend)}
    return _choose(n, horizon, m, seasonal, fits, trend)


def _runs_at_reference(
    y: np.ndarray, horizons: Mapping[int, int], m: int, seasonal: bool | None,
    trend: bool = True,
) -> dict[int, _Run]:
    """_runs_at one origin at a time (31 separate procedures per forecast): the path
    before batching, kept so that tests and benchmarks/forecast.py can compare."""
    return {o: _procedure(y[:o], h, m, seasonal, trend) for o, h in horizons.items()}
