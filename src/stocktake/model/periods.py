"""Reporting periods: years, quarters, months, ISO weeks and days.

Codes follow SDMX style: ``2024``, ``2024-Q1`` (``2024Q1`` accepted), ``2024-03``,
``2024-W05`` (ISO 8601 week), ``2024-03-15``. A period is stored as its type and an
integer ordinal, so periods of one type order and subtract like integers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache, total_ordering

from ..errors import N_, Invalid, Text


class PeriodType(StrEnum):
    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"
    WEEK = "week"
    DAY = "day"


class PeriodError(Invalid):
    """A period code that cannot be read, or a conversion that makes no sense."""


# The types as a message names them (said again in the page's language on the web).
TYPE_WORDS = (N_("year"), N_("quarter"), N_("month"), N_("week"), N_("day"))


# Coarser types a period can be rolled up into, finest first.
_COARSENESS = {
    PeriodType.DAY: 0,
    PeriodType.WEEK: 1,
    PeriodType.MONTH: 2,
    PeriodType.QUARTER: 3,
    PeriodType.YEAR: 4,
}

_PATTERNS: list[tuple[PeriodType, re.Pattern[str]]] = [
    (PeriodType.YEAR, re.compile(r"^(\d{4})$")),
    (PeriodType.QUARTER, re.compile(r"^(\d{4})-?[Qq]([1-4])$")),
    (PeriodType.MONTH, re.compile(r"^(\d{4})-(\d{2})$")),
    (PeriodType.WEEK, re.compile(r"^(\d{4})-?[Ww](\d{2})$")),
    (PeriodType.DAY, re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")),
]


_LONGEST_CODE = 40  # a period code is at most 10 characters; leave room for spaces


@total_ordering
@dataclass(frozen=True)
class Period:
    """One reporting period. Compare and subtract only periods of the same type."""

    type: PeriodType
    ordinal: int

    # -- construction -------------------------------------------------------------
    @classmethod
    def parse(cls, code: str, expected: PeriodType | str | None = None) -> Period:
        """Read a period code; with ``expected``, refuse codes of another period type."""
        text = str(code).strip()
        if len(text) > _LONGEST_CODE:  # no period code is this long: say so, and briefly
            raise PeriodError(f"'{text[:20]}…' ({len(text):,} characters) is not a period "
                              "code; use 2024, 2024-Q1, 2024-03, 2024-W05 or 2024-03-15")
        period = _parse(text)
        if expected is not None and period.type != PeriodType(expected):
            raise PeriodError(Text(
                N_("'%(text)s' is a %(found)s but a %(expected)s is expected here (e.g. "
                   "%(example)s)"), text=text, found=Text(period.type.value),
                expected=Text(PeriodType(expected).value),
                example=example_code(PeriodType(expected))))
        return period

    @classmethod
    def containing(cls, day: date, type_: PeriodType | str) -> Period:
        """The period of the given type that contains a calendar day."""
        t = PeriodType(type_)
        if t is PeriodType.YEAR:
            return cls(t, day.year)
        if t is PeriodType.QUARTER:
            return cls(t, day.year * 4 + (day.month - 1) // 3)
        if t is PeriodType.MONTH:
            return cls(t, day.year * 12 + day.month - 1)
        if t is PeriodType.WEEK:
            return cls(t, (day.toordinal() - 1) // 7)
        return cls(t, day.toordinal())

    # -- reading ------------------------------------------------------------------
    @property
    def code(self) -> str:
        t, n = self.type, self.ordinal
        if t is PeriodType.YEAR:
            return f"{n:04d}"
        if t is PeriodType.QUARTER:
            return f"{n // 4:04d}-Q{n % 4 + 1}"
        if t is PeriodType.MONTH:
            return f"{n // 12:04d}-{n % 12 + 1:02d}"
        if t is PeriodType.WEEK:
            year, week, _ = self.start.isocalendar()
            return f"{year:04d}-W{week:02d}"
        return date.fromordinal(n).isoformat()

    @property
    def start(self) -> date:
        t, n = self.type, self.ordinal
        if t is PeriodType.YEAR:
            return date(n, 1, 1)
        if t is PeriodType.QUARTER:
            return date(n // 4, (n % 4) * 3 + 1, 1)
        if t is PeriodType.MONTH:
            return date(n // 12, n % 12 + 1, 1)
        if t is PeriodType.WEEK:
            return date.fromordinal(n * 7 + 1)
        return date.fromordinal(n)

    @property
    def end(self) -> date:
        """The last day of the period (inclusive)."""
        try:
            return self.shift(1).start - timedelta(days=1)
        except (ValueError, OverflowError):  # the next period starts after the year 9999
            return date.max

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def shift(self, n: int) -> Period:
        return Period(self.type, self.ordinal + n)

    def __add__(self, n: int) -> Period:
        return self.shift(n)

    def __sub__(self, other: Period | int) -> int | Period:
        if isinstance(other, int):
            return self.shift(-other)
        self._same_type(other)
        return self.ordinal - other.ordinal

    def __lt__(self, other: Period) -> bool:
        self._same_type(other)
        return self.ordinal < other.ordinal

    def __str__(self) -> str:
        return self.code

    def _same_type(self, other: object) -> None:
        if not isinstance(other, Period):
            raise TypeError(f"cannot compare a period with {type(other).__name__}")
        if other.type != self.type:
            raise PeriodError(
                f"cannot compare {self.type.value} {self.code} with {other.type.value} {other.code}"
            )

    def __repr__(self) -> str:
        return f"Period('{self.code}')"

    # -- conversion ---------------------------------------------------------------
    def to(self, type_: PeriodType | str) -> Period:
        """Roll this period up into the coarser period that contains it.

        Weeks roll up only into years (the ISO week-numbering year), since a week can
        straddle two months or quarters.
        """
        t = PeriodType(type_)
        if t == self.type:
            return self
        if _COARSENESS[t] < _COARSENESS[self.type]:
            raise PeriodError(
                f"cannot convert {self.type.value} {self.code} into a finer {t.value}"
            )
        if self.type is PeriodType.WEEK:
            if t is not PeriodType.YEAR:
                raise PeriodError(
                    f"week {self.code} cannot be rolled up into a {t.value}: "
                    "a week can straddle two of them"
                )
            return Period(PeriodType.YEAR, self.start.isocalendar()[0])
        return Period.containing(self.start, t)

    def contains(self, other: Period) -> bool:
        return self.start <= other.start and other.end <= self.end

    def subperiods(self, type_: PeriodType | str) -> list[Period]:
        """The finer periods that make up this one (e.g. the 3 months of a quarter)."""
        t = PeriodType(type_)
        first = Period.containing(self.start, t)
        last = Period.containing(self.end, t)
        return period_range(first, last)


@lru_cache(maxsize=1 << 16)  # periods are immutable; reports parse the same few codes often
def _parse(text: str) -> Period:
    for type_, pattern in _PATTERNS:
        m = pattern.match(text)
        if not m:
            continue
        year = int(m.group(1))
        if year < 1000:
            break
        if type_ is PeriodType.YEAR:
            return Period(type_, year)
        if type_ is PeriodType.QUARTER:
            return Period(type_, year * 4 + int(m.group(2)) - 1)
        if type_ is PeriodType.MONTH:
            month = int(m.group(2))
            if not 1 <= month <= 12:
                raise PeriodError(Text(N_("'%(text)s': month %(month)s is not between 01 "
                                          "and 12"), text=text, month=month))
            return Period(type_, year * 12 + month - 1)
        if type_ is PeriodType.WEEK:
            week = int(m.group(2))
            try:
                monday = date.fromisocalendar(year, week, 1)
            except ValueError:
                raise PeriodError(Text(N_("'%(text)s': %(year)s has no ISO week %(week)s"),
                                       text=text, year=year, week=week)) from None
            return Period.containing(monday, type_)
        try:
            day = date(year, int(m.group(2)), int(m.group(3)))
        except ValueError as exc:
            raise PeriodError(f"'{text}' is not a calendar date ({exc})") from None
        return Period.containing(day, type_)
    raise PeriodError(Text(
        N_("'%(text)s' is not a period code; use 2024, 2024-Q1, 2024-03, 2024-W05 or "
           "2024-03-15"), text=text))


def example_code(type_: PeriodType) -> str:
    return {
        PeriodType.YEAR: "2024",
        PeriodType.QUARTER: "2024-Q1",
        PeriodType.MONTH: "2024-03",
        PeriodType.WEEK: "2024-W05",
        PeriodType.DAY: "2024-03-15",
    }[type_]


def period_range(first: Period, last: Period) -> list[Period]:
    """All periods from ``first`` to ``last`` inclusive."""
    first._same_type(last)
    return [Period(first.type, n) for n in range(first.ordinal, last.ordinal + 1)]
