"""The model's names in a page's language (issue #18): the services answer with the
English names (as the CLI and the JSON show them); a French page names the units,
indicators and priorities from the model's French fields, the English where it has none.
An English page gets the very objects it was given."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from ..model.entities import DeliveryModel, Indicator, Unit
from ..results.alerts import AlertsReport
from ..results.commitments import EscalationReport
from ..results.quality import DataQuality
from ..results.status import PriorityStatus


def unit_in(unit: Unit | None, lang: str) -> Unit | None:
    """The unit with its name in ``lang``."""
    if unit is None or lang == "en":
        return unit
    return replace(unit, name=unit.name_in(lang))


def units_in(units: Sequence[Unit], lang: str) -> list[Unit]:
    return [u for u in (unit_in(u, lang) for u in units) if u is not None]


def indicators_in(indicators: Mapping[str, Indicator], lang: str) -> Mapping[str, Indicator]:
    """The indicators by code with their names and units of measure in ``lang``."""
    if lang == "en":
        return indicators
    return {code: replace(i, name=i.name_in(lang), unit=i.unit_in(lang))
            for code, i in indicators.items()}


def statuses_in(statuses: Sequence[PriorityStatus], model: DeliveryModel,
                lang: str) -> Sequence[PriorityStatus]:
    """Priorities' statuses with their titles, headlines' names and units of measure in
    ``lang``."""
    if lang == "en":
        return statuses

    def named(s: PriorityStatus) -> PriorityStatus:
        p, ind = model.priorities.get(s.code), model.indicators.get(s.headline)
        return replace(s, title=p.title_in(lang) if p else s.title,
                       headline_name=ind.name_in(lang) if ind else s.headline_name,
                       unit_of_measure=ind.unit_in(lang) if ind else s.unit_of_measure)

    return [named(s) for s in statuses]


def escalation_in(report: EscalationReport, model: DeliveryModel,
                  lang: str) -> EscalationReport:
    """The escalation report with each priority's title in ``lang``."""
    if lang == "en":
        return report
    return replace(report, priorities=tuple(
        replace(p, title=model.priorities[p.priority].title_in(lang))
        if p.priority in model.priorities else p for p in report.priorities))


def alert_levels_in(report: AlertsReport, model: DeliveryModel, lang: str) -> AlertsReport:
    """The alerts with the level of units each was read against (its peers) named in
    ``lang``."""
    if lang == "en":
        return report
    return replace(report, alerts=tuple(replace(a, level=model.level_in(a.level, lang))
                                        for a in report.alerts))


def quality_in(report: DataQuality, model: DeliveryModel, lang: str) -> DataQuality:
    """The data quality league with each unit's name and level in ``lang``."""
    if lang == "en":
        return report
    return replace(report, units=tuple(
        replace(u, name=model.units[u.unit].name_in(lang) if u.unit in model.units else u.name,
                level=model.level_in(u.level, lang)) for u in report.units))
