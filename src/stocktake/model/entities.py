"""The delivery model: reporting units, indicators and priorities as plain typed objects."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from .computed import Compute, Source


class Polarity(StrEnum):
    UP = "up"  # higher is better
    DOWN = "down"  # lower is better
    NEUTRAL = "neutral"


class Aggregation(StrEnum):
    SUM = "sum"
    MEAN = "mean"
    WEIGHTED_MEAN = "weighted_mean"
    RATIO = "ratio"
    NONE = "none"


class IndicatorKind(StrEnum):
    HEADLINE = "headline"
    LEAD = "lead"
    INPUT = "input"
    COUNTER = "counter"
    CONTEXT = "context"


# Units of measure that are percentages: a difference between two of them is in percentage
# points, never "percent" (78% against 81% is 3 points, or 3.8%, apart).
PERCENT_UNITS = frozenset({"%", "percent", "per cent", "percentage", "percentages", "pct",
                           "percentage points",
                           # the same in French, as a French page or document names the unit
                           "pour cent", "pourcentage", "pourcentages",
                           "points de pourcentage"})
# Units of measure that count whole things: summed, they print without decimals.
COUNT_UNITS = frozenset({"people", "persons", "dwellings", "homes", "households", "students",
                         "children", "patients", "incidents", "cases", "deaths", "beds",
                         "staff"})


# The French fields of the model (beside the English ones): left out of ``to_dict`` when
# empty, so a model without French stores and prints exactly as before.
FRENCH_FIELDS = ("name_fr", "definition_fr", "title_fr", "aspiration_fr", "unit_fr",
                 "level_fr")


def _without_empty_french(d: dict[str, Any]) -> dict[str, Any]:
    for key in FRENCH_FIELDS:
        if key in d and not d[key]:
            del d[key]
    return d


def is_percent(unit_of_measure: str | None) -> bool:
    """Is a value in this unit of measure a percentage (so differences are points)?"""
    return (unit_of_measure or "").strip().lower() in PERCENT_UNITS


@dataclass
class Unit:
    """A reporting unit: a nation, province, municipality, police force, hospital..."""

    code: str
    name: str
    level: str
    parent: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    name_fr: str = ""
    level_fr: str = ""  # its level's name in French ("région" for "region")

    def name_in(self, lang: str) -> str:
        """Its name in ``lang`` (en or fr), the English one when no French is given."""
        return (self.name_fr if lang == "fr" else "") or self.name

    def to_dict(self) -> dict[str, Any]:
        return _without_empty_french(asdict(self))


@dataclass
class Indicator:
    """One agreed definition of a measure, reported by units for periods of one type."""

    code: str
    name: str
    unit: str
    polarity: Polarity
    period_type: str
    aggregation: Aggregation
    definition: str = ""
    kind: IndicatorKind = IndicatorKind.CONTEXT
    source: str = ""
    owner: str = ""
    weight: str | None = None  # indicator code, for weighted_mean
    numerator: str | None = None  # indicator codes, for ratio
    denominator: str | None = None
    scale: float = 1.0  # ratio = scale * numerator / denominator
    attributes: dict[str, Any] = field(default_factory=dict)  # min, max, integer, decimals...
    name_fr: str = ""
    definition_fr: str = ""
    unit_fr: str = ""  # its unit of measure in French ("incidents pour 100 000 par mois")

    def name_in(self, lang: str) -> str:
        """Its name in ``lang`` (en or fr), the English one when no French is given."""
        return (self.name_fr if lang == "fr" else "") or self.name

    def unit_in(self, lang: str) -> str:
        """Its unit of measure in ``lang`` (en or fr), the English one when no French is
        given. The English ``unit`` alone decides what kind of number it is (a percentage,
        a count)."""
        return (self.unit_fr if lang == "fr" else "") or self.unit

    @property
    def decimals(self) -> int | None:
        """How many decimals its values print with: the declared ``decimals``; 0 for a
        count (``integer: true`` and summed or not aggregated, or a summed indicator in
        people, dwellings...), whose totals, trajectories and gaps are whole things; None
        (the default rule of the formatter) otherwise."""
        declared = self.attributes.get("decimals")
        if (isinstance(declared, int | float) and not isinstance(declared, bool)
                and 0 <= declared <= 10 and float(declared).is_integer()):
            return int(declared)
        summed = self.aggregation in (Aggregation.SUM, Aggregation.NONE)
        if summed and (self.attributes.get("integer") is True
                       or self.unit.strip().lower() in COUNT_UNITS):
            return 0
        return None

    @property
    def related(self) -> list[str]:
        """The indicators this one is declared to move in proportion with (indicators.yaml
        ``related``): a part and its total, or unfounded and all reports. A lasting change
        of their ratio at one unit that its peers do not show raises an alert."""
        return list(self.attributes.get("related") or [])

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["polarity"] = self.polarity.value
        d["aggregation"] = self.aggregation.value
        d["kind"] = self.kind.value
        return _without_empty_french(d)


@dataclass
class PeriodValue:
    period: str
    value: float


@dataclass
class Priority:
    """A top priority: a headline indicator moved from baseline to target in a scope."""

    code: str
    title: str
    headline: str
    scope: str
    baseline: PeriodValue
    target: PeriodValue
    aspiration: str = ""
    owner: str = ""
    leads: list[str] = field(default_factory=list)
    counters: list[str] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)  # trajectory, tolerance...
    title_fr: str = ""
    aspiration_fr: str = ""

    def title_in(self, lang: str) -> str:
        """Its title in ``lang`` (en or fr), the English one when no French is given."""
        return (self.title_fr if lang == "fr" else "") or self.title

    def to_dict(self) -> dict[str, Any]:
        return _without_empty_french(asdict(self))


@dataclass
class DataSet:
    """What must be reported: these indicators, by these units, every period, on time."""

    code: str
    name: str
    period_type: str
    indicators: list[str]
    units: list[str] = field(default_factory=list)  # explicit unit codes, and/or
    levels: list[str] = field(default_factory=list)  # every unit at these levels
    timely_days: int = 30  # days after the period ends within which a report is on time
    start: str | None = None  # first period expected (default: the first with data)
    owner: str = ""
    end: str | None = None  # last period expected (default: none, the collection goes on)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if self.end is None:  # as stored before data sets could end: no change recorded
            del out["end"]
        return out


@dataclass
class DeliveryModel:
    """The whole model, with the hierarchy questions every layer asks."""

    units: dict[str, Unit] = field(default_factory=dict)
    indicators: dict[str, Indicator] = field(default_factory=dict)
    priorities: dict[str, Priority] = field(default_factory=dict)
    datasets: dict[str, DataSet] = field(default_factory=dict)
    # Validation rules as declared in rules.yaml (checked and compiled by intake.rules).
    rules: list[dict[str, Any]] = field(default_factory=list)
    rules_source: str | None = field(default=None, compare=False, repr=False)  # rules.yaml
    # Where each part was read from, e.g. {"priority:P1:trajectory": ("priorities.yaml", 14)},
    # so checks made later (by the analysis layer) can still point at a file and line.
    locations: dict[str, tuple[str, int]] = field(default_factory=dict, compare=False,
                                                   repr=False)
    # Record-level sources (sources.yaml) and the indicators computed from them (their
    # ``compute:``), read from the model folder by ``stocktake compute``; not stored.
    sources: dict[str, Source] = field(default_factory=dict, compare=False, repr=False)
    computes: dict[str, Compute] = field(default_factory=dict, compare=False, repr=False)

    def children(self, code: str) -> list[Unit]:
        return [u for u in self.units.values() if u.parent == code]

    def ancestors(self, code: str) -> list[Unit]:
        """Parent, grandparent, ... up to the root."""
        out: list[Unit] = []
        parent = self.units[code].parent
        while parent is not None:
            out.append(self.units[parent])
            parent = self.units[parent].parent
        return out

    def descendants(self, code: str) -> list[Unit]:
        """Every unit below ``code``, breadth first."""
        out: list[Unit] = []
        frontier = [code]
        while frontier:
            kids = [u for c in frontier for u in self.children(c)]
            out.extend(kids)
            frontier = [u.code for u in kids]
        return out

    def depth(self, code: str) -> int:
        return len(self.ancestors(code))

    def depths(self) -> dict[str, int]:
        """Every unit's depth (a root's is 0), in one pass: ``depth`` for each unit of a
        hierarchy thousands deep would walk millions of parents."""
        out: dict[str, int] = {}
        for code in self.units:
            chain = []
            while code not in out and code is not None:
                chain.append(code)
                code = self.units[code].parent
            known = -1 if code is None else out[code]
            for c in reversed(chain):
                known += 1
                out[c] = known
        return out

    def level_in(self, level: str, lang: str) -> str:
        """The name of a level of units in ``lang`` (en or fr): the French one its units
        give (units.csv's ``level_fr``), else the level as the model names it."""
        if lang == "fr":
            named = next((u.level_fr for u in self.units.values()
                          if u.level == level and u.level_fr), "")
            return named or level
        return level

    def roots(self) -> list[Unit]:
        return [u for u in self.units.values() if u.parent is None]

    def dataset_units(self, dataset: DataSet) -> list[str]:
        """The units a data set expects reports from, in model order."""
        wanted = set(dataset.units)
        levels = set(dataset.levels)
        return [c for c, u in self.units.items() if c in wanted or u.level in levels]
