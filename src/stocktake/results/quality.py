"""The answer of data quality per reporting unit (services/reading/quality.py): a league of units by
score and each unit's score by year. Field order is the key order of ``--json`` and the API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .base import Result


@dataclass(frozen=True)
class UnitQuality(Result):
    """One unit's data quality over it and every unit below it (analysis.quality)."""

    unit: str
    expected: int  # values expected for periods past their deadline
    received: int
    on_time: int
    not_assessed: int  # values not judged on time (history loaded later, or no deadline)
    revised: int  # values changed by a later submission
    mean_revision_size: float | None  # mean relative change of the revised values
    outliers: int  # values flagged as outliers when submitted
    rule_checks: int
    rule_failures: int
    completeness: float
    timeliness: float | None  # None: not assessed (every value loaded later, or no deadline)
    validity: float | None  # None: no rule applies
    revision_rate: float | None
    outlier_rate: float | None
    score: float  # 0 to 100, by the formula
    name: str
    level: str
    rank: int  # units with a standing alert on a priority come after every other unit
    # Why the unit is listed after the units without one: its standing alerts on a
    # priority, e.g. "ratio shift from 2024-01 on CRIME (open alert 299f28c2d670)".
    held_back: str | None = None


@dataclass(frozen=True)
class QualityByYear(Result):
    """A unit's score in one year (of the periods' start)."""

    unit: str
    year: str
    score: float
    completeness: float
    timeliness: float | None  # None: not assessed


@dataclass(frozen=True)
class DataQuality(Result):
    """Quality of every unit (or one and those below it) as known at a moment: a league by
    score and each unit's score by year."""

    as_of: str  # the moment deadlines are judged at
    formula: str
    weights: Mapping[str, float]
    datasets: tuple[str, ...]  # the data sets scored (implicit:<indicator> when none declared)
    # Days after a period's end by which a value is on time, per declared data set; none
    # declared: timeliness is not assessed. And the rule in words (analysis.quality).
    deadlines: Mapping[str, int]
    timeliness_rule: str
    units: tuple[UnitQuality, ...]  # by rank: by score, none first with an open alert
    trend: tuple[QualityByYear, ...]  # by unit, then year
