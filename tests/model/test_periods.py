from datetime import date

import pytest

from stocktake.model.periods import Period, PeriodError, PeriodType, period_range


@pytest.mark.parametrize("code, canonical, kind, start, end", [
    ("2024", "2024", "year", date(2024, 1, 1), date(2024, 12, 31)),
    ("2024-Q1", "2024-Q1", "quarter", date(2024, 1, 1), date(2024, 3, 31)),
    ("2024Q1", "2024-Q1", "quarter", date(2024, 1, 1), date(2024, 3, 31)),
    ("2005Q4", "2005-Q4", "quarter", date(2005, 10, 1), date(2005, 12, 31)),
    ("2024-02", "2024-02", "month", date(2024, 2, 1), date(2024, 2, 29)),  # leap year
    ("2023-02", "2023-02", "month", date(2023, 2, 1), date(2023, 2, 28)),
    # ISO week 1 of 2024 starts Monday 1 January 2024, so week 5 starts 29 January.
    ("2024-W05", "2024-W05", "week", date(2024, 1, 29), date(2024, 2, 4)),
    # 2020 has 53 ISO weeks; week 53 runs into January 2021.
    ("2020-W53", "2020-W53", "week", date(2020, 12, 28), date(2021, 1, 3)),
    # ISO week 1 of 2025 starts on Monday 30 December 2024.
    ("2025-W01", "2025-W01", "week", date(2024, 12, 30), date(2025, 1, 5)),
    ("2024-03-15", "2024-03-15", "day", date(2024, 3, 15), date(2024, 3, 15)),
])
def test_parse_codes_with_start_and_end(code, canonical, kind, start, end):
    p = Period.parse(code)
    assert (p.code, p.type.value, p.start, p.end) == (canonical, kind, start, end)
    assert Period.parse(p.code) == p  # the canonical code reads back to the same period


@pytest.mark.parametrize("bad, fragment", [
    ("2024-13", "month 13"),
    ("2021-W53", "no ISO week 53"),
    ("2023-02-29", "not a calendar date"),
    ("24-03", "not a period code"),
    ("2024-Q5", "not a period code"),
    ("", "not a period code"),
    ("March 2024", "not a period code"),
])
def test_unreadable_codes_say_why(bad, fragment):
    with pytest.raises(PeriodError, match=fragment):
        Period.parse(bad)


def test_expected_type_is_enforced_with_an_example():
    with pytest.raises(PeriodError, match="is a quarter but a month is expected.*2024-03"):
        Period.parse("2024-Q1", "month")


def test_order_and_arithmetic():
    jan, dec = Period.parse("2023-12"), Period.parse("2024-01")
    assert jan < dec and dec - jan == 1
    assert Period.parse("2024-11").shift(3).code == "2025-02"
    assert [p.code for p in period_range(Period.parse("2024-Q3"), Period.parse("2025-Q1"))] == [
        "2024-Q3", "2024-Q4", "2025-Q1"]
    assert sorted(Period.parse(c) for c in ["2024-10", "2024-02", "2023-12"]) == [
        Period.parse("2023-12"), Period.parse("2024-02"), Period.parse("2024-10")]
    with pytest.raises(PeriodError, match="cannot compare"):
        _ = Period.parse("2024") < Period.parse("2024-03")


def test_week_ordering_across_years():
    assert Period.parse("2021-W01") - Period.parse("2020-W53") == 1
    assert Period.parse("2020-W53").shift(1).code == "2021-W01"


def test_roll_months_up_to_quarters_and_years():
    assert Period.parse("2024-11").to("quarter").code == "2024-Q4"
    assert Period.parse("2024-03").to(PeriodType.QUARTER).code == "2024-Q1"
    assert Period.parse("2024-04").to("year").code == "2024"
    assert Period.parse("2024-Q2").to("year").code == "2024"
    assert Period.parse("2024-03-31").to("month").code == "2024-03"
    # 30 December 2024 belongs to ISO week 1 of 2025, and so to ISO year 2025.
    assert Period.parse("2024-12-30").to("week").code == "2025-W01"
    assert Period.parse("2025-W01").to("year").code == "2025"
    assert [p.code for p in Period.parse("2024-Q3").subperiods("month")] == [
        "2024-07", "2024-08", "2024-09"]


def test_impossible_conversions_are_refused():
    with pytest.raises(PeriodError, match="finer"):
        Period.parse("2024").to("month")
    with pytest.raises(PeriodError, match="straddle"):
        Period.parse("2024-W05").to("month")
