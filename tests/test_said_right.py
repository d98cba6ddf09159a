"""Numbers said right in the analysis layer's own words and the CLI's cells (issue 13,
found by a new user on real data): counts in a reading note without exponents, stratum
labels that cannot be read as years, coverage that never rounds up to "100% partial", and
a gap after the deadline that names the period it belongs to."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from stocktake.analysis.backtest import _level_groups
from stocktake.analysis.spc import describe_reading
from stocktake.cli.reading import _at_deadline
from stocktake.reports.formatting import coverage_text


def test_reading_note_says_counts_with_separators():
    chart = {"rebase_suggestions": [{"period": "2014-Q1", "mean_before": 29830.4,
                                     "mean_after": 36240.0, "shift_sigma": 19.6}]}
    note = describe_reading(chart)
    assert "mean 29,830 before, 36,240 after" in note and "e+0" not in note
    small = describe_reading({"rebase_suggestions": [{"period": "2020", "mean_before": 4.567,
                                                      "mean_after": 6.1, "shift_sigma": 2.0}]})
    assert "mean 4.567 before, 6.1 after" in small


def test_level_strata_are_labelled_as_values():
    levels = np.array([100.0, 500.0, 1999.0, 2500.0, 4958.0, 9000.0])
    labels, group = _level_groups(levels)
    cuts = np.quantile(levels, [1 / 3, 2 / 3])  # 1,499 and 3,319
    assert labels == [f"value <= {cuts[0]:,.0f}", f"value {cuts[0]:,.0f} to {cuts[1]:,.0f}",
                      f"value > {cuts[1]:,.0f}"]
    assert group.tolist() == [sum(v > c for c in cuts) for v in levels.tolist()]
    assert labels[0] == "value <= 1,499"  # not "<= 1499", which reads as a year


def test_coverage_never_rounds_to_all_or_none():
    assert coverage_text(51 / 52) == "98%"
    assert coverage_text(0.996) == "99%"  # not "100%" beside "partial"
    assert coverage_text(1.0) == "100%"
    assert coverage_text(0.003) == "<1%"
    assert coverage_text(0.0) == "0%"


def test_gap_after_the_deadline_names_its_period():
    def row(verdict):
        return SimpleNamespace(at_target_period=verdict)

    assert _at_deadline(row(SimpleNamespace(period="2015-Q4", actual_period="2015-Q4"))) \
        == " (at 2015-Q4)"
    assert _at_deadline(row(SimpleNamespace(period="2015-Q4", actual_period="2015-Q3"))) \
        == " (at 2015-Q3)"
    assert _at_deadline(row(None)) == ""


def test_series_cells_follow_decimals_and_say_where_a_value_is_partial():
    from stocktake.cli.common import value_places as _value_places
    from stocktake.cli.reading import _coverage_cell

    assert _coverage_cell(1.0, True) == "100%, partial below"  # a grandchild is missing
    assert _coverage_cell(51 / 52, True) == "98% partial"
    assert _coverage_cell(1.0, False) == "100%"
    assert _coverage_cell(None, False) == "-"
    from stocktake.results.readings import IndicatorInfo

    def info(decimals):
        return IndicatorInfo(code="x", name="X", unit_of_measure="count", polarity="up",
                             period_type="month", aggregation="sum", decimals=decimals)

    assert _value_places(info(0)) == 0
    assert _value_places(info(None)) == 2
