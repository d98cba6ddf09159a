"""forecast_many: many series at once, each answer what forecast() gives for it.

The batched engine fits the series that share a model and a block of origins together,
and chooses grid points from a shortlist (recursive least-squares residuals, then explicit
residuals for the shortlist). Checked here against computations that share neither trick:
forecast() one series at a time (no series batching), the per-origin reference path
(_runs_at_reference: one least-squares fit per origin, np.linalg.solve), and profile_at
(explicit residuals at every grid point).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from stocktake.analysis import ets, ets_batch
from stocktake.analysis import forecast as fmod
from stocktake.analysis.forecast import ForecastError, ForecastRequest, forecast, forecast_many
from stocktake.model.periods import Period, PeriodType

from .ets_reference import profile_at

RTOL = 1e-12


def _codes(ptype: str, n: int, start: int = 0) -> list[str]:
    first = Period.containing(date(2001, 1, 1), ptype)
    return [first.shift(start + i).code for i in range(n)]


def _after(codes: list[str], ptype: str, h: int) -> str:
    return Period.parse(codes[-1], ptype).shift(h).code


def _requests() -> list[dict]:
    """A varied set: lengths 5 to 300, gaps, every period type, seasonal asked, refused
    or left to AICc, constant and exact series, several series of one length (so that they
    are fitted together), and requests forecast() refuses."""
    rng = np.random.default_rng(4)
    reqs: list[dict] = []

    def add(ptype: str, y, h: int = 6, start: int = 0, **kw) -> None:
        codes = _codes(ptype, len(y), start)
        vals = [None if v is None or (isinstance(v, float) and np.isnan(v)) else float(v)
                for v in y]
        reqs.append(dict(values=vals, periods=codes, horizon_to=_after(codes, ptype, h),
                         period_type=ptype, **kw))

    t = np.arange(150)
    for i in range(6):  # monthly series of one length: one group
        y = 200 + np.cumsum(rng.normal(0.2, 1.5, 120)) + 6 * np.sin(t[:120] * np.pi / 6 + i)
        add("month", y, h=12)
    for i in range(3):  # same length, other seasonal choices: same fits, other choices
        y = 50 + np.cumsum(rng.normal(0, 1, 120)) + 4 * np.cos(t[:120] * np.pi / 6)
        add("month", y, h=3 + i, seasonal=(True, False, None)[i])
    for n in (5, 6, 9, 10, 13, 24, 37, 150):
        add("month", 30 + np.cumsum(rng.normal(0, 1, n)), h=4)
    for n in (8, 14, 20, 33, 33, 33):
        q = 100 + np.cumsum(rng.normal(0, 1, n)) + np.tile([5.0, -2.0, 3.0, -6.0], 9)[:n]
        add("quarter", q, h=5)
    for n in (5, 11, 25, 41, 41):
        add("year", 10 + np.cumsum(rng.normal(0, 1, n)), h=3)
    add("week", 80 + np.cumsum(rng.normal(0, 1, 60)), h=8)
    add("day", 5 + np.cumsum(rng.normal(0, 0.3, 300)), h=10)  # long: convolution path
    gappy = 20 + np.cumsum(rng.normal(0, 1, 60))
    gappy[[7, 30, 52, 58]] = np.nan  # interpolated; origins after them are skipped
    add("month", gappy, h=6)
    absent = 40 + np.cumsum(rng.normal(0, 1, 30))
    codes = _codes("quarter", 31)
    del codes[17]  # a period absent from the sequence: interpolated too
    reqs.append(dict(values=list(absent), periods=codes, horizon_to=_after(codes, "quarter", 4),
                     period_type="quarter"))
    add("month", np.full(48, 3.5), h=6)  # exact fits: the first grid point
    add("year", 3.0 + 2.0 * t[:20], h=5)
    add("month", np.r_[np.zeros(30), rng.poisson(4, 30).astype(float)], h=6)
    add("month", 1e9 + np.cumsum(rng.normal(0, 1, 60)), h=6)  # a level that dwarfs its noise
    add("quarter", 1e-7 * (5 + np.cumsum(rng.normal(0, 1, 30))), h=4, levels=(0.5, 0.9, 0.99))
    # refused by forecast(): each must come back as its own ForecastError
    ok = _codes("month", 12)
    reqs += [
        dict(values=[1.0, 2.0, 3.0], periods=ok[:3], horizon_to="2002-06", period_type="month"),
        dict(values=[1.0] * 12, periods=ok, horizon_to=ok[-1], period_type="month"),
        dict(values=[1.0] * 12, periods=ok, horizon_to="2003-01", period_type="fortnight"),
        dict(values=[1.0] * 12, periods=_codes("year", 12), horizon_to="2020",
             period_type="year", seasonal=True),
        dict(values=[1.0] * 12, periods=ok, horizon_to="2003-01", period_type="month",
             levels=(0.8, 1.5)),
        dict(values=[1.0] * 11, periods=ok, horizon_to="2003-01", period_type="month"),
        dict(values=[1.0, None, None] + [2.0] * 9, periods=ok, horizon_to="2003-01",
             period_type="month"),
        dict(values=[1.0] * 12, periods=ok[:6] + ["2001-13"] + ok[7:], horizon_to="2003-01",
             period_type="month"),
        dict(values=[1.0] * 12, periods=ok, horizon_to="2003-01", period_type="month",
             seasonal=True),
    ]
    return reqs


REQUESTS = _requests()


def _one(req: dict) -> fmod.Forecast | ForecastError:
    try:
        return forecast(**req)
    except ForecastError as exc:
        return exc


def _assert_same(got: fmod.Forecast, want: fmod.Forecast, top: float) -> None:
    assert got.model == want.model
    for key in ("alpha", "beta", "gamma", "phi", "season_length"):  # the same grid point
        assert got.params.get(key) == want.params.get(key)
    assert got.params.keys() == want.params.keys()
    for key in ("sigma", "aicc"):
        assert got.params[key] == pytest.approx(want.params[key], rel=RTOL, abs=1e-14 * top)
    assert got.notes == want.notes
    for name in ("periods", "last_observed", "n_observations", "levels", "interpolated",
                 "calibration_errors", "interval_method", "period_type"):
        assert getattr(got, name) == getattr(want, name), name
    atol = RTOL * top  # means near zero: rounding relative to the series' size
    np.testing.assert_allclose(got.mean, want.mean, rtol=RTOL, atol=atol)
    for name in ("scale", "sd", "model_sd", "df", "calibration_factor"):
        np.testing.assert_allclose(getattr(got, name), getattr(want, name), rtol=RTOL)
    for lv in want.levels:
        np.testing.assert_allclose(got.lower[lv], want.lower[lv], rtol=RTOL, atol=atol)
        np.testing.assert_allclose(got.upper[lv], want.upper[lv], rtol=RTOL, atol=atol)


def _top(req: dict) -> float:
    return max(abs(v) for v in req["values"] if v is not None)


@pytest.mark.slow
def test_forecast_many_gives_what_forecast_gives_for_each_request_in_any_order():
    order = np.random.default_rng(11).permutation(len(REQUESTS))
    reqs = [REQUESTS[i] for i in order]
    got = forecast_many(reqs)
    assert len(got) == len(reqs)
    errors = 0
    for req, result in zip(reqs, got, strict=True):
        want = _one(req)
        if isinstance(want, ForecastError):
            errors += 1
            assert isinstance(result, ForecastError) and str(result) == str(want)
        else:
            assert isinstance(result, fmod.Forecast)
            _assert_same(result, want, _top(req))
    assert errors == 9
    models = {r.model for r in got if isinstance(r, fmod.Forecast)}
    assert {"ETS(A,N,N)", "ETS(A,A,N)"} <= models and any(",A)" in m for m in models)
    assert any(r.interpolated for r in got if isinstance(r, fmod.Forecast))


def test_requests_as_dataclasses_or_mappings_and_malformed_ones_in_their_slots():
    req = REQUESTS[0]
    got = forecast_many([
        ForecastRequest(**req),
        {k: v for k, v in req.items() if k != "horizon_to"},  # forecast() would raise TypeError
        dict(req, values=None),
        req,
    ])
    assert isinstance(got[0], fmod.Forecast) and got[0] == got[3]
    assert isinstance(got[1], ForecastError) and "request 1" in str(got[1])
    assert isinstance(got[2], ForecastError) and "request 2" in str(got[2])
    assert forecast_many([]) == []


@pytest.mark.slow
def test_chunked_passes_give_what_one_pass_gives(monkeypatch):
    """Series are fitted in chunks bounded in memory, and requests go to the engine in
    slices: tiny chunks (one or two series, the filter a chunk at a time) and slices of
    three requests must give the same numbers."""
    reqs = REQUESTS[:9] + REQUESTS[26:30]
    whole = forecast_many(reqs)
    monkeypatch.setattr(ets_batch, "_SERIES_ELEMENTS", 60_000)
    monkeypatch.setattr(fmod, "MANY_SLICE", 3)
    assert ets_batch._series_chunk(384, 120, 31) == 1
    chunked = forecast_many(reqs)
    for req, a, b in zip(reqs, chunked, whole, strict=True):
        _assert_same(a, b, _top(req))


@pytest.mark.slow
def test_many_series_against_the_per_origin_reference_path():
    """The grid points and numbers of the per-origin path (one fit per origin, explicit
    least squares), for series fitted together: ordinary, constant, exact-line and
    huge-level ones (where the shortlist must take in most of the grid)."""
    rng = np.random.default_rng(8)
    n = 40
    ys = [
        70 + np.cumsum(rng.normal(0, 1, n)) + np.tile([4.0, -1.0, 2.0, -5.0], 10),
        np.full(n, 12.0),
        5.0 + 0.5 * np.arange(n),
        1e9 + np.cumsum(rng.normal(0, 1, n)),
    ]
    codes = _codes("quarter", n)
    got = forecast_many([
        dict(values=list(y), periods=codes, horizon_to=_after(codes, "quarter", 6),
             period_type="quarter") for y in ys
    ])
    for y, fc in zip(ys, got, strict=True):
        prep = fmod._prepare(list(y), codes, PeriodType.QUARTER)
        ref = fmod._forecast(prep, PeriodType.QUARTER, 6, 4, None, fmod.DEFAULT_LEVELS,
                             ets._runs_at_reference)
        assert fc.model == ref.model
        for key in ("alpha", "beta", "gamma", "phi"):
            assert fc.params.get(key) == ref.params.get(key)
        top = float(np.max(np.abs(y)))
        np.testing.assert_allclose(fc.mean, ref.mean, rtol=1e-9, atol=1e-14 * top)
        rtol = 1e-9 + 1e-13 * top / ref.params["sigma"]  # as test_forecast_batched
        np.testing.assert_allclose(fc.scale, ref.scale, rtol=rtol)


# -- the shortlist search, against explicit residuals at every grid point ----------------
def _search_case(y: np.ndarray, spec, origins: np.ndarray):
    grid, Z, kappa = ets_batch._coarse_tables(spec, int(origins[-1]))
    floor = 1e-9 * np.maximum(np.maximum.accumulate(np.abs(y))[origins - 1], 1e-3)
    sse, x0 = profile_at(y, spec, Z, kappa, origins)  # explicit, every grid point
    want = ets._best(sse, floor, origins)
    tables = ets_batch._prefix_tables(Z[:, : origins[-1]], int(origins[0]), int(origins[-1]))
    return Z, kappa, tables, floor, want, x0


@pytest.mark.parametrize("m", [0, 4, 12])
def test_search_picks_the_explicit_least_sse_point_and_its_state(m):
    rng = np.random.default_rng(m)
    n = 60
    season = np.tile(rng.normal(0, 3, max(m, 1)), n)[:n] if m else 0.0
    ys = [40 + np.cumsum(rng.normal(0, 1, n)) + season for _ in range(3)]
    spec = ets._Spec(trend=True, m=m)
    origins = np.arange(n - 20, n + 1)
    Y = np.stack(ys)
    ps = np.repeat(np.arange(3), len(origins))
    at = np.tile(origins, 3)
    for s, y in enumerate(ys):
        Z, kappa, tables, floor, want, x0 = _search_case(y, spec, origins)
        if s == 0:
            fl = np.concatenate([_search_case(v, spec, origins)[3] for v in ys])
            best, x0s = ets_batch._search_many(Y, spec, Z, kappa, tables, int(origins[0]), ps,
                                               at, fl)
        mine = slice(s * len(origins), (s + 1) * len(origins))
        assert np.array_equal(best[mine], want)
        chosen = x0[want, np.arange(len(origins))]
        np.testing.assert_allclose(x0s[mine], chosen, rtol=1e-7, atol=1e-9 * np.max(np.abs(y)))


def test_search_falls_back_to_explicit_residuals_where_the_recursion_is_lost():
    """Where a normal matrix was not positive definite the recursion cannot go on (c is
    NaN): every such grid point goes to the shortlist. Marking them all so must not change
    the choice; nor must small errors in the recursion, which the margin absorbs."""
    rng = np.random.default_rng(3)
    y = 25 + np.cumsum(rng.normal(0, 1, 50))
    spec = ets._Spec(trend=True, m=0)
    origins = np.arange(30, 51)
    Z, kappa, tables, floor, want, _ = _search_case(y, spec, origins)
    L, r, ok, c, V, W = tables
    args = (y[None, :], spec, Z, kappa)
    rest = (30, np.zeros(len(origins), dtype=int), origins, floor, False)
    lost = (L, r, ok, np.full_like(c, np.nan), V, W)
    assert np.array_equal(ets_batch._search_many(*args, lost, *rest)[0], want)
    nudged = (L, r, ok, c * (1 + 1e-7 * rng.standard_normal(c.shape)), V, W)
    assert np.array_equal(ets_batch._search_many(*args, nudged, *rest)[0], want)


def test_exact_fits_tie_at_the_noise_floor_and_take_the_first_grid_point():
    y = np.full(30, 7.0)
    spec = ets._Spec(trend=True, m=0)
    origins = np.arange(10, 31)
    Z, kappa, tables, floor, want, _ = _search_case(y, spec, origins)
    best, _ = ets_batch._search_many(y[None, :], spec, Z, kappa, tables, 10,
                               np.zeros(len(origins), dtype=int), origins, floor)
    assert np.array_equal(best, want) and not best.any()  # grid point 0 at every origin
