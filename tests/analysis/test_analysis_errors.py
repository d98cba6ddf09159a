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


# -- reached the way a user reaches them: through the services and the CLI ------------------

def _store_months(engine, small_model_dir, months=range(1, 10)):
    from stocktake.intake.service import submit_rows
    from stocktake.services.data.model_service import load_model

    load_model(engine, small_model_dir, loaded_by="t")
    rows = [(i, u, f"2024-{m:02d}", v) for m in months
            for u, n, p in [("A1", 31 - m, 350000), ("A2", 20 + m % 3, 250000),
                            ("B1", 39 - m % 4, 400000)]
            for i, v in (("incidents", n), ("population", p))]
    assert submit_rows(engine, rows, submitter="t").accepted


def _observation_count(engine) -> int:
    from sqlalchemy import text

    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM observations")).scalar_one()


def test_an_unknown_outlier_method_is_invalid_and_nothing_is_stored(engine, small_model_dir):
    from stocktake.intake.service import submit_rows

    _store_months(engine, small_model_dir)  # a history for the outlier check to read
    before = _observation_count(engine)
    with pytest.raises(Invalid) as caught:
        submit_rows(engine, [("incidents", "A1", "2024-10", 25)], submitter="t",
                    outlier_method="z-score")
    assert str(caught.value) == ("method must be one of z_score, modified_z, min_max; "
                                 "got 'z-score'")
    assert _observation_count(engine) == before


@pytest.mark.parametrize("kwargs, words", [
    ({"window": 0}, "window must be a whole number of periods >= 1; got 0"),
    ({"min_history": 12, "window": 6}, "min_history (12) is larger than window (6)"),
    ({"method": "min_max", "threshold": 3.0}, "threshold does not apply to method 'min_max'"),
    ({"threshold": -1.0}, "threshold must be a positive number; got -1.0"),
])
def test_outlier_parameters_are_invalid(kwargs, words):
    import polars as pl

    from stocktake.analysis.outliers import check_values

    frame = pl.DataFrame({"indicator": ["x"], "unit": ["A"], "period_ordinal": [1],
                          "value": [1.0]})
    with pytest.raises(Invalid) as caught:
        check_values(frame, frame.clear(), **kwargs)
    assert words in str(caught.value)


def test_outlier_frames_built_wrong_are_a_programming_error():
    import polars as pl

    from stocktake.analysis.outliers import check_values

    with pytest.raises(ValueError, match="new is missing column"):
        check_values(pl.DataFrame({"indicator": ["x"]}), pl.DataFrame())


def test_a_ratio_whose_scale_is_not_a_number_is_refused_when_the_model_loads(
        engine, small_model_dir):
    # The loader refuses it, with file, line and field, so no roll-up ever meets it.
    from stocktake.model.files import ModelError

    indicators = small_model_dir / "indicators.yaml"
    text = indicators.read_text()
    assert "  scale: 100000\n" in text
    indicators.write_text(text.replace("  scale: 100000\n", "  scale: .inf\n"))
    with pytest.raises(ModelError, match=r"indicators.yaml:\d+: field 'scale': 'inf' must be "
                       "a positive number"):
        _store_months(engine, small_model_dir)


def test_roll_up_series_names_what_is_unknown(small_model_dir):
    from stocktake.analysis.rollup import Hierarchy, roll_up_series
    from stocktake.errors import NotFound
    from stocktake.model.files import load_model_dir

    model = load_model_dir(small_model_dir)
    with pytest.raises(NotFound, match="'incident' is not an indicator of the model"):
        roll_up_series(model, "incident", "N", {})
    with pytest.raises(NotFound, match="'Z9' is not a unit of the model"):
        roll_up_series(model, "incidents", "Z9", {})
    with pytest.raises(Invalid, match="observations for 'incidents' name unit 'Z9'"):
        roll_up_series(model, "incidents", "N", {("incidents", "Z9"): {"2024-01": 3.0}})
    with pytest.raises(Invalid, match="prefer must be 'computed' or 'reported'"):
        roll_up_series(model, "incidents", "N", {}, prefer="newest")
    with pytest.raises(NotFound, match="'Z9' is not a unit of this hierarchy"):
        Hierarchy.from_model(model).position("Z9")


@pytest.mark.slow
def test_a_pack_written_to_a_file_that_is_not_html_or_pdf_is_invalid(engine, small_model_dir,
                                                                      tmp_path):
    import json

    from typer.testing import CliRunner

    from stocktake.cli import app

    _store_months(engine, small_model_dir)
    out = tmp_path / "pack.docx"
    url = engine.url.render_as_string(hide_password=False)
    done = CliRunner().invoke(app, ["pack", "P1", "--out", str(out), "--db", url, "--json"])
    assert done.exit_code == 2
    error = json.loads(done.stdout)["error"]
    assert error["kind"] == "invalid"
    assert error["message"].endswith("pack.docx: write .html, .pdf or .pptx, not '.docx'")
    assert " ".join(done.stderr.split()).startswith("error: --out ")
    assert not out.exists()


def test_infinite_values_and_mismatched_lags_are_invalid():
    from stocktake.analysis.nowcast import nowcast

    with pytest.raises(Invalid, match=r"values\[1\] is inf: values must be finite"):
        xmr([1.0, float("inf"), 2.0])
    with pytest.raises(Invalid, match="lags must name exactly the leads"):
        nowcast(VALUES, {"x": VALUES}, lags={"y": 1})
    rng = np.random.default_rng(1)
    headline = rng.normal(size=(5, 24))
    with pytest.raises(Invalid, match="candidate 'h' is the headline itself"):
        leads(headline, {"h": headline}, headline_code="h")
