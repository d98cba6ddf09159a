"""The Excel template a provider fills in: the unit's expected indicators for a period,
with last period's values for reference."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from ...errors import Invalid, NotFound
from ...intake.template import build_template
from ...model.periods import Period
from ...store import model_repo
from ...store.observations import latest


class TemplateError(Invalid):
    """A template that cannot be made as asked (the file's type, or nothing to fill in)."""


def write_template(engine: Engine, unit: str, period: str, out: str | Path) -> int:
    """Write the template; returns how many indicators it asks for."""
    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        raise TemplateError(f"{out.name}: the template is an Excel file; end the name in .xlsx")
    with engine.connect() as conn:
        model = model_repo.read_model(conn)
        if unit not in model.units:
            raise NotFound(f"'{unit}' is not a reporting unit")
        p = Period.parse(period)  # or PeriodError, an Invalid
        indicators = _expected_indicators(model, unit, p.type.value)
        if not indicators:
            raise TemplateError(f"no {p.type.value}ly indicator is expected from {unit}")
        previous = p.shift(-1).code
        known = latest(conn, indicators=indicators, units=[unit], period_from=previous,
                       period_to=previous, with_vintage=False)
    values = {i: v for i, pp, v in known.select("indicator", "period", "value").iter_rows()
              if pp == previous}
    out.write_bytes(build_template(model, unit, p.code, indicators=indicators,
                                   previous=values, previous_period=previous))
    return len(indicators)


def _expected_indicators(model, unit: str, period_type: str) -> list[str]:
    """From the data sets naming the unit; without data sets, every indicator of the
    period type that is reported rather than computed (ratios are computed)."""
    codes: list[str] = []
    for ds in model.datasets.values():
        if ds.period_type == period_type and unit in model.dataset_units(ds):
            codes += [c for c in ds.indicators if c not in codes]
    if model.datasets:
        return codes
    return [c for c, i in model.indicators.items()
            if i.period_type == period_type and i.aggregation.value != "ratio"]
