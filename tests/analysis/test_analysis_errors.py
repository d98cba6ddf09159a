"""Parameters a user passes through the CLI or the API to the analysis layer are refused as
the error model's Invalid (exit code 2, 422 on the web), with the message saying what and
where; a wrong shape of data built by code stays a plain ValueError (a bug)."""

import numpy as np
import pytest

from stocktake.analysis.leads import leads
from stocktake.analysis.spc import xmr
from stocktake.errors import Invalid

MONTHS = [f"2024-{m:02d}" for m in range(1, 13)] + [f"2025-{m:02d}" for m in range(1, 13)]
VALUES = [10.0 + (i % 5) for i in range(24)]


@pytest.mark.parametrize("kwargs, words", [
    ({"rebase_at": ["2019-01"]}, "rebase period '2019-01' is not in the series"),
    ({"rebase_at": ["2024-01"]}, "changes nothing"),
    ({"rebase_at": ["2024-06", "2024-06"]}, "more than once"),
    ({"fix_after_n_points": 3}, "fix_after_n_points is 3"),
    ({"target": float("inf")}, "give a finite number"),
])
def test_spc_parameters_are_invalid(kwargs, words):
    with pytest.raises(Invalid, match=words):
        xmr(VALUES, MONTHS, **kwargs)


def test_spc_data_of_the_wrong_shape_is_a_programming_error():
    with pytest.raises(ValueError) as caught:
        xmr(np.ones((3, 3)), None)
    assert not isinstance(caught.value, Invalid)


@pytest.mark.parametrize("kwargs, words", [
    ({"max_lag": 0}, "max_lag must be a positive whole number"),
    ({"inference": "bootstrap"}, "inference must be 'permutation' or 'f'"),
    ({"permutations": 5}, "permutations must be a whole number of at least 19"),
    ({"max_lag": 22}, "24 periods are too few for max_lag 22"),
])
def test_lead_parameters_are_invalid(kwargs, words):
    rng = np.random.default_rng(1)
    headline, candidate = rng.normal(size=(5, 24)), rng.normal(size=(5, 24))
    with pytest.raises(Invalid, match=words):
        leads(headline, {"x": candidate}, **kwargs)


@pytest.mark.parametrize("args, kwargs, words", [
    ((["A", "B"], [5, 3], [10, 2]), {"kind": "proportion"},
     "unit 'B': numerator 3.0 exceeds its denominator 2.0"),
    ((["A"], [5], [10]), {"kind": "rate"}, "at least 2 units"),
    ((["A", "B"], [5, 3], [10, 0]), {"kind": "rate"}, "unit 'B': denominator 0.0"),
    ((["A", "B"], [5, 3], [10, 20]), {"kind": "share"}, "kind must be 'proportion' or"),
])
def test_funnel_inputs_are_invalid(args, kwargs, words):
    from stocktake.analysis.funnel import funnel

    with pytest.raises(Invalid, match=words):
        funnel(*args, **kwargs)


def test_nowcast_and_seasonal_parameters_are_invalid():
    from stocktake.analysis.nowcast import nowcast
    from stocktake.analysis.seasonality import seasonal_adjustment

    with pytest.raises(Invalid, match="backtest_fraction must be between 0 and 1"):
        nowcast(VALUES, {"x": VALUES}, backtest_fraction=2.0)
    with pytest.raises(Invalid, match="headline: needs at least 2 observed periods"):
        nowcast([1.0] + [float("nan")] * 23, {"x": VALUES})
    with pytest.raises(Invalid, match="seasonal mode 'sometimes' is not one of"):
        seasonal_adjustment(VALUES, MONTHS, mode="sometimes")
