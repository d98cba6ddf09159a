"""The batched forecast engine against the per-origin path it replaced, and plain loops.

forecast() runs the procedure at the last origin and at the 30 earlier ones that calibrate
its intervals. The batched engine (_runs_at) fits each model at all those origins in one
pass; the reference (_runs_at_reference) is the old path, one origin at a time. They must
choose the same grid points and give the same numbers: to about 1e-9 relative, plus the
rounding both paths carry when the level of a series dwarfs its noise (a filter run on
values near 1e9 has rounding of about 1e9 * eps in every one-step error, whichever path).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from stocktake.analysis import ets, ets_batch
from stocktake.analysis import forecast as fmod
from stocktake.model.periods import Period, PeriodType

from .ets_reference import profile_at

RTOL = 1e-9
EPS_Y = 1e-14  # rounding allowance per unit of max |y| (about 45 eps)


def _codes(ptype: str, n: int) -> list[str]:
    if ptype == "year":
        return [str(1950 + i) for i in range(n)]
    if ptype == "quarter":
        return [f"{1990 + i // 4}-Q{i % 4 + 1}" for i in range(n)]
    return [f"{1990 + i // 12}-{i % 12 + 1:02d}" for i in range(n)]


def _series() -> dict[str, tuple[str, np.ndarray, bool | None]]:
    """(period type, values, seasonal) for every kind of series the engine must match on."""
    rng = np.random.default_rng(20240611)
    t40 = np.arange(40)
    out: dict[str, tuple[str, np.ndarray, bool | None]] = {}
    for i in range(2):
        out[f"random walk {i}"] = ("year", 100 + np.cumsum(rng.normal(0, 1, 40)), None)
        out[f"trend {i}"] = ("year", 50 + 0.8 * t40[:30] + rng.normal(0, 2, 30), None)
        m48 = np.arange(48)
        out[f"monthly seasonal {i}"] = (
            "month",
            80 + np.cumsum(rng.normal(0, 1, 48)) + 10 * np.sin(m48 * 2 * np.pi / 12),
            None,
        )
        out[f"quarterly seasonal {i}"] = (
            "quarter",
            200 + np.cumsum(rng.normal(0, 1, 32)) + np.tile([12.0, -6.0, 9.0, -15.0], 8),
            None,
        )
    out["quarterly, seasonal asked"] = ("quarter", 30 + rng.normal(0, 1, 20), True)
    out["monthly, seasonal refused"] = ("month", 5 + np.cumsum(rng.normal(0, 1, 30)), False)
    for n in (5, 6, 9, 10, 11, 17, 30):
        out[f"short {n}"] = ("year", 10 + np.cumsum(rng.normal(0, 1, n)), None)
    out["constant"] = ("year", np.full(25, 7.0), None)
    out["constant monthly"] = ("month", np.full(40, 3.5), None)
    out["exact line"] = ("year", 3.0 + 2.0 * t40[:20], None)
    out["zeros then counts"] = (
        "year", np.r_[np.zeros(12), rng.poisson(3, 18).astype(float)], None
    )
    out["steps"] = ("year", np.repeat(rng.normal(10, 3, 6), 5), None)
    out["huge"] = ("month", 1e9 + 1e6 * np.cumsum(rng.normal(0, 1, 36)), None)
    out["huge level, small noise"] = ("year", 1e9 + np.cumsum(rng.normal(0, 1, 40)), None)
    out["small"] = ("quarter", 1e-7 * (5 + np.cumsum(rng.normal(0, 1, 30))), None)
    out["tiny"] = ("year", 1e-12 * (3 + np.cumsum(rng.normal(0, 1, 25))), None)
    gappy = 20 + np.cumsum(rng.normal(0, 1, 36))
    gappy[[4, 20, 31, 34]] = np.nan  # interpolated; origins just after them are skipped
    out["interpolated gaps"] = ("year", gappy, None)
    return out


SERIES = _series()


def _prepared(name: str):
    ptype, values, seasonal = SERIES[name]
    pt = PeriodType(ptype)
    prep = fmod._prepare(list(values), _codes(ptype, len(values)), pt)
    return prep, pt, fmod.SEASON_LENGTH.get(pt, 0), seasonal


def _wanted(prep, horizon: int) -> dict[int, int]:
    """The origins forecast() runs (as _forecast builds them), each with its horizon."""
    n = len(prep.y)
    wanted = {
        o: min(horizon, n - o)
        for o in range(n - fmod.CALIBRATION_WINDOW, n)
        if o >= fmod.MIN_POINTS and prep.observed[o - 1]
    }
    return {**wanted, n: horizon}


def _words(notes) -> list[str]:
    return [re.sub(r"-?\d+\.\d+", "#", note) for note in notes]


def _assert_runs_equal(new, ref, y: np.ndarray) -> None:
    top = float(np.max(np.abs(y)))
    assert new.keys() == ref.keys()
    for o in ref:
        a, b = new[o], ref[o]
        fa, fb = a.fit, b.fit
        # the same grid point, bit for bit, and the same model
        assert (fa.name, fa.alpha, fa.beta, fa.gamma, fa.phi) == (
            fb.name, fb.alpha, fb.beta, fb.gamma, fb.phi
        ), o
        assert _words(a.notes) == _words(b.notes), o
        np.testing.assert_allclose(a.mean, b.mean, rtol=RTOL, atol=EPS_Y * top)
        np.testing.assert_allclose(fa.state, fb.state, rtol=RTOL, atol=RTOL * top)
        np.testing.assert_allclose(fa.residuals, fb.residuals, rtol=0, atol=RTOL * top)
        # sigma carries the rounding of every one-step error: about eps * max |y|
        sig_tol = RTOL * fb.sigma + EPS_Y * top
        assert fa.sigma == pytest.approx(fb.sigma, rel=0, abs=sig_tol), o
        np.testing.assert_allclose(a.sd, b.sd, rtol=0, atol=sig_tol * np.max(b.sd / fb.sigma))
        aicc_tol = 2 * o * sig_tol / fb.sigma + RTOL * abs(fb.aicc)
        assert fa.aicc == pytest.approx(fb.aicc, rel=0, abs=aicc_tol), o


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SERIES))
def test_batched_runs_choose_and_compute_as_the_per_origin_path(name):
    prep, _, m, seasonal = _prepared(name)
    wanted = _wanted(prep, horizon=7)
    new = ets_batch._runs_at(prep.y, wanted, m, seasonal)
    ref = ets._runs_at_reference(prep.y, wanted, m, seasonal)
    _assert_runs_equal(new, ref, prep.y)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SERIES))
def test_batched_forecast_equals_the_per_origin_forecast(name):
    prep, pt, m, seasonal = _prepared(name)
    new = fmod._forecast(prep, pt, 7, m, seasonal, (0.8, 0.95))
    ref = fmod._forecast(prep, pt, 7, m, seasonal, (0.8, 0.95), ets._runs_at_reference)
    top = float(np.max(np.abs(prep.y)))
    assert new.model == ref.model
    for key in ("alpha", "beta", "gamma", "phi"):
        assert new.params.get(key) == ref.params.get(key)
    assert new.calibration_errors == ref.calibration_errors
    assert _words(new.notes) == _words(ref.notes)
    np.testing.assert_allclose(new.mean, ref.mean, rtol=RTOL, atol=EPS_Y * top)
    # z = (outcome - forecast) / sd at earlier origins: rounding relative to the noise
    cond = top / ref.params["sigma"]
    rtol = RTOL + 10 * EPS_Y * cond
    np.testing.assert_allclose(new.model_sd, ref.model_sd, rtol=rtol)
    # The widths are quantiles of those z: one z each, where a mean of 26 squares averaged
    # their rounding out (seen on the constant series, whose z are all rounding)
    wtol = 5 * rtol
    np.testing.assert_allclose(new.calibration_factor, ref.calibration_factor, rtol=2 * wtol)
    np.testing.assert_allclose(new.scale, ref.scale, rtol=wtol)
    # df is the t's through the 80% and 95% half-widths: where the tails are near normal
    # the ratio of the two barely moves with df, so rounding moves df by more
    np.testing.assert_allclose(new.df, ref.df, rtol=max(1e4 * rtol, 1e-8))
    for lv in (0.8, 0.95):
        width = np.array(ref.upper[lv]) - np.array(ref.lower[lv])
        for bound in (new.lower, ref.lower), (new.upper, ref.upper):
            assert np.all(np.abs(np.subtract(*(b[lv] for b in bound))) <= wtol * width)


def test_many_origins_in_blocks_as_a_backtest_runs_them():
    """A backtest reruns the procedure at almost every origin: more than one block."""
    prep, _, m, seasonal = _prepared("monthly seasonal 0")
    origins = range(1, len(prep.y))
    assert len(origins) > ets_batch._ORIGIN_BLOCK
    new = fmod._inner_runs(prep.y, prep.observed, origins, 8, m, seasonal)
    ref = fmod._inner_runs(
        prep.y, prep.observed, origins, 8, m, seasonal, engine=ets._runs_at_reference
    )
    assert min(new) == fmod.MIN_POINTS
    _assert_runs_equal(new, ref, prep.y)


# -- cases written by hand --------------------------------------------------------------
def test_a_constant_series_is_an_exact_fit_and_takes_the_first_grid_point():
    """Every parameter set fits a constant exactly, so the SSEs tie at the noise floor and
    the first point wins: the coarse corner (0.02, 0, 0.8), then the fine grid's lower
    bounds alpha = 1e-4, trend share 0, phi = 0.8. sigma is the floor, 1e-9 x 7, and
    c_j = alpha + beta(...) = 1e-4, so model sd_h = 7e-9 sqrt(1 + (h - 1) 1e-8)."""
    fc = fmod.forecast([7.0] * 25, _codes("year", 25), "1979", period_type="year")
    assert fc.model == "ETS(A,Ad,N)"
    assert (fc.params["alpha"], fc.params["beta"], fc.params["phi"]) == (1e-4, 0.0, 0.8)
    assert fc.params["sigma"] == pytest.approx(7e-9, rel=1e-12)
    np.testing.assert_allclose(fc.mean, 7.0, rtol=1e-9)
    expected = [7e-9 * math.sqrt(1 + (h - 1) * 1e-8) for h in range(1, 6)]
    np.testing.assert_allclose(fc.model_sd, expected, rtol=1e-9)
    assert any("fits the history exactly" in note for note in fc.notes)


def test_an_exact_line_is_followed_by_the_first_undamped_grid_point():
    """y_t = 3 + 2t for t < 20. Only phi = 1 fits exactly; the first such point is alpha =
    1e-4 (the bound), no trend smoothing, and the forecast is 3 + 2(19 + h)."""
    y = 3.0 + 2.0 * np.arange(20)
    fc = fmod.forecast(y, _codes("year", 20), "1974", period_type="year")
    assert fc.model == "ETS(A,A,N)"
    assert (fc.params["alpha"], fc.params["beta"], fc.params["phi"]) == (1e-4, 0.0, 1.0)
    np.testing.assert_allclose(fc.mean, [3 + 2 * (19 + h) for h in range(1, 6)], rtol=1e-9)


def _plain_profile(y: np.ndarray, spec, row: np.ndarray, o: int) -> tuple[float, np.ndarray]:
    """SSE and initial state for y[:o] by plain loops: the filter run from a zero state
    gives e0, the filter run on zeros from each basis state gives a column of -Z, and
    least squares (np.linalg.lstsq, an SVD) does the rest."""
    a, sb, ph, ss = row
    F, g, w = (v[0] for v in ets._system(
        spec, np.array([a]), np.array([a * sb]), np.array([(1 - a) * ss]), np.array([ph])
    ))

    def errors(data: np.ndarray, x0: np.ndarray) -> np.ndarray:
        x, out = x0.copy(), []
        for value in data:
            out.append(value - w @ x)
            x = F @ x + g * out[-1]
        return np.array(out)

    basis = ets._initial_basis(spec)
    e0 = errors(y[:o], np.zeros(spec.dim))
    Z = np.column_stack([-errors(np.zeros(o), basis[:, j]) for j in range(basis.shape[1])])
    theta = np.linalg.lstsq(Z, e0, rcond=None)[0]
    return float(np.sum((e0 - Z @ theta) ** 2)), basis @ theta


@pytest.mark.parametrize("m", [0, 4])
def test_profile_at_every_origin_matches_least_squares_on_each_prefix(m):
    rng = np.random.default_rng(7)
    y = 40 + np.cumsum(rng.normal(0, 1, 30)) + (np.tile([3.0, -1.0, 2.0, -4.0], 8)[:30] if m else 0)
    spec = ets._Spec(trend=True, m=m)
    rows = np.array([[0.3, 0.2, 0.9, 0.4], [0.7, 0.0, 1.0, 0.1], [0.05, 0.9, 0.8, 0.0]])
    Z, kappa = ets._response_tables(spec, rows, 64)
    origins = np.array([14, 15, 22, 30])
    sse, x0 = profile_at(y, spec, Z, kappa, origins)
    for g, row in enumerate(rows):
        for i, o in enumerate(origins):
            want_sse, want_x0 = _plain_profile(y, spec, row, int(o))
            assert sse[g, i] == pytest.approx(want_sse, rel=1e-9)
            np.testing.assert_allclose(x0[g, i], want_x0, rtol=1e-7, atol=1e-7 * 40)


def test_response_tables_by_squaring_match_the_step_by_step_recursion():
    spec = ets._Spec(trend=True, m=12)
    grid = ets._grid(spec, *ets._GRIDS[True])
    U, kappa = ets._responses(spec, grid, 100)
    Z, kappa2 = ets._response_tables(spec, grid, 100)
    np.testing.assert_allclose(kappa2, kappa, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(Z, U @ ets._initial_basis(spec), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("k", [1, 2, 5, 13])
def test_batched_cholesky_solves_as_numpy(k):
    rng = np.random.default_rng(k)
    X = rng.normal(size=(50, 3 * k, k))
    A = X.transpose(0, 2, 1) @ X + 1e-3 * np.eye(k)
    b = rng.normal(size=(50, k))
    L, r, ok = ets_batch._cholesky(np.ascontiguousarray(A.transpose(1, 2, 0)))
    x = ets_batch._cho_solve(L, r, np.ascontiguousarray(b.T)).T
    assert ok.all()
    np.testing.assert_allclose(x, np.linalg.solve(A, b[..., None])[..., 0], rtol=1e-9)
    # an indefinite matrix is flagged, not solved wrongly in silence
    bad = -np.eye(k)[:, :, None]
    assert not ets_batch._cholesky(bad)[2][0]


def test_systems_cholesky_refuses_fall_back_to_numpy():
    """Where Cholesky reports a system not positive definite, profile_at solves it as
    _profile_sse does; marking every system so must not change the result."""
    prep, _, _, _ = _prepared("monthly seasonal 1")
    spec = ets._Spec(trend=True, m=12)
    grid, Z, kappa = ets_batch._coarse_tables(spec, len(prep.y))
    origins = np.array([30, 41, 48])
    L, r, ok = ets_batch._normal_factors(Z, origins)
    sse, x0 = profile_at(prep.y, spec, Z, kappa, origins, (L, r, ok))
    sse2, x02 = profile_at(prep.y, spec, Z, kappa, origins, (L, r, np.zeros_like(ok)))
    np.testing.assert_allclose(sse2, sse, rtol=1e-9)
    assert np.array_equal(np.argmin(sse2, axis=0), np.argmin(sse, axis=0))
    # and the fallback is _profile_sse's computation itself, at each origin
    for i, o in enumerate(origins):
        want, _ = ets._profile_sse(prep.y[:o], spec, grid, ets._responses(spec, grid, o))
        np.testing.assert_allclose(sse2[:, i], want, rtol=1e-9)


def test_the_batched_engine_never_looks_past_an_origin():
    prep, _, m, seasonal = _prepared("monthly seasonal 0")
    wanted = _wanted(prep, horizon=6)
    y2 = prep.y.copy()
    y2[40:] = y2[40:] * 3 + 100
    a = ets_batch._runs_at(prep.y, wanted, m, seasonal)
    b = ets_batch._runs_at(y2, wanted, m, seasonal)
    for o in wanted:
        if o <= 40:
            assert np.array_equal(a[o].mean, b[o].mean) and np.array_equal(a[o].sd, b[o].sd)
    assert not np.array_equal(a[48].mean, b[48].mean)


def test_coarse_factors_are_kept_within_their_budget(monkeypatch):
    spec = ets._Spec(trend=True, m=4)
    grid, Z, kappa = ets_batch._coarse_tables(spec, 40)
    monkeypatch.setattr(ets_batch, "_FACTORS", type(ets_batch._FACTORS)())
    first = ets_batch._coarse_prefix(spec, Z, 10, 40)
    assert ets_batch._coarse_prefix(spec, Z, 10, 40) is first  # kept
    size = sum(a.nbytes for a in first)
    monkeypatch.setattr(ets_batch, "_FACTOR_BYTES", int(2.5 * size))
    for start in (11, 12, 13):
        ets_batch._coarse_prefix(spec, Z, start, 40)
    assert sum(a.nbytes for v in ets_batch._FACTORS.values() for a in v) <= ets_batch._FACTOR_BYTES
    assert len(ets_batch._FACTORS) == 2  # the two most recent
    assert (spec, b"prefix 13 40") in ets_batch._FACTORS


def test_forecast_periods_and_public_api_unchanged_by_the_engine():
    """forecast() is the batched engine's caller: its answer is _forecast's."""
    prep, pt, m, seasonal = _prepared("quarterly seasonal 1")
    codes = [p.code for p in prep.periods]
    values = list(SERIES["quarterly seasonal 1"][1])
    fc = fmod.forecast(values, codes, "1999-Q2", period_type="quarter")
    horizon = Period.parse("1999-Q2", pt) - prep.periods[-1]
    assert fc == fmod._forecast(prep, pt, horizon, m, seasonal, fmod.DEFAULT_LEVELS)
