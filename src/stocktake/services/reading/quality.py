"""Data quality per reporting unit, as known at a moment: gathers what the pure scoring
in analysis.quality needs from the store and the model."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, time, timedelta

import polars as pl
from sqlalchemy import Engine, and_, false, or_, select, true

from ...analysis.quality import FORMULA, WEIGHTS, quality_scores, timeliness_rule
from ...errors import NotFound
from ...intake.rules import model_rules, violation_frame
from ...model.entities import DataSet, DeliveryModel
from ...model.periods import Period, PeriodError, period_range
from ...results.alerts import AlertItem
from ...results.quality import DataQuality, QualityByYear, UnitQuality
from ...store import model_repo
from ...store import schema as s
from ...store.observations import as_times, batch_times, known_at, latest, read_vintages
from ...text import N_, Text, joined
from .alerts import alerts
from .snapshot import Snapshot

# With no data set declared, a period is expected once this many days have passed since
# its end (completeness, and the reminders' due date); its timeliness is not assessed,
# since no deadline was declared.
DEFAULT_TIMELY_DAYS = 30


def _implicit_datasets(model: DeliveryModel, received: pl.DataFrame) -> list[DataSet]:
    """With no data sets declared, a unit that has reported an indicator is expected to
    keep reporting it, from its first period on; with no deadline declared, its timeliness
    is not assessed (``_expected``), and the reminders go by DEFAULT_TIMELY_DAYS."""
    out = []
    # In the indicators' order, so that the league and its JSON read the same every run.
    for (ind,), group in received.sort("indicator").group_by("indicator", maintain_order=True):
        if ind not in model.indicators:
            continue
        out.append(DataSet(code=f"implicit:{ind}", name=ind,
                           period_type=model.indicators[ind].period_type, indicators=[ind],
                           units=sorted(group["unit"].unique().to_list()),
                           timely_days=DEFAULT_TIMELY_DAYS))
    return out


def _last_due(ds: DataSet, moment: datetime) -> Period:
    """The last period of the data set whose deadline has passed at ``moment``."""
    last = Period.containing(moment.date(), ds.period_type)
    while datetime.combine(last.end + timedelta(days=ds.timely_days), time.max) >= moment:
        last = last.shift(-1)
    return last


def _expected(model: DeliveryModel, datasets: list[DataSet], received: pl.DataFrame,
              moment: datetime, *, implicit_due: bool = True) -> pl.DataFrame:
    """Every (unit, indicator, period) a data set asks for, with its deadline: each unit
    from the data set's start (without one, from the unit's first report), to the last
    period past its deadline or the data set's end; an implicit data set ends where its
    source stopped. An implicit data set's periods are due DEFAULT_TIMELY_DAYS after their
    end (what the reminders go by), or, with ``implicit_due`` False, not at all (the data
    quality: no deadline was declared, so timeliness is not assessed)."""
    parts = []
    for ds in datasets:
        implicit = ds.code.startswith("implicit:")
        units = ds.units if implicit else model.dataset_units(ds)
        mine = received.filter(pl.col("indicator").is_in(ds.indicators)
                               & pl.col("unit").is_in(units))
        reported = [Period.parse(p) for p in mine["period"].unique().to_list()]
        if ds.start:
            first = Period.parse(ds.start)
        elif reported:
            first = min(reported)
        else:
            continue
        last = _last_due(ds, moment)
        if ds.end:  # a collection that ended: nothing is expected after it
            last = min(last, Period.parse(ds.end))
        if implicit:
            # Inferred from the data, so it ends where the data end: a series no unit
            # reports any more (a definition retired, a collection stopped) is not missing.
            last = min(last, max(reported))
        if last < first:
            continue
        span = period_range(first, last)
        periods = pl.DataFrame(
            [(p.code, None if implicit and not implicit_due else
              datetime.combine(p.end + timedelta(days=ds.timely_days), time.max),
              str(p.start.year), i) for i, p in enumerate(span)], orient="row",
            schema={"period": pl.String, "due": pl.Datetime("us"), "bucket": pl.String,
                    "step": pl.Int64})
        # Every unit x indicator x period the data set asks for, as two cross joins, each
        # unit from the step it is expected from.
        parts.append(_unit_starts(ds, units, mine, span)
                     .join(pl.DataFrame({"indicator": list(ds.indicators)},
                                        schema={"indicator": pl.String}), how="cross")
                     .join(periods, how="cross")
                     .filter(pl.col("step") >= pl.col("from_step"))
                     .drop("step", "from_step"))
    empty = pl.DataFrame(schema={"unit": pl.String, "indicator": pl.String,
                                 "period": pl.String, "due": pl.Datetime("us"),
                                 "bucket": pl.String})
    # A key two data sets ask for counts once, under the first that asks.
    return pl.concat([empty, *parts]).unique(subset=["unit", "indicator", "period"],
                                             keep="first", maintain_order=True)


def _unit_starts(ds: DataSet, units: list[str], mine: pl.DataFrame, span: list[Period]
                 ) -> pl.DataFrame:
    """(unit, from_step): the position in ``span`` of each unit's first expected period.
    A declared start holds for every unit; without one, a unit is expected from its first
    report (a state that joined the collection late is not missing the years before), and
    one that never reported from the data set's first period."""
    start = dict.fromkeys(units, 0)
    if not ds.start and mine.height:
        step = {p.code: i for i, p in enumerate(span)}
        # Period codes of one type sort as text; a first report not yet due: nothing due.
        for unit, first in mine.group_by("unit").agg(pl.col("period").min()).rows():
            start[unit] = step.get(first, len(span))
    return pl.DataFrame({"unit": list(start), "from_step": list(start.values())},
                        schema={"unit": pl.String, "from_step": pl.Int64})


def _received(engine: Engine, moment: datetime,
              datasets: list[tuple[list[str], list[str], str | None]] | None = None
              ) -> pl.DataFrame:
    """Every key known at ``moment`` with its first vintage time, vintage count, first and
    last value, and whether that first vintage was backfilled; with ``datasets``
    ((indicators, units, first period) each), only the keys some data set expects."""
    o = s.observations
    with engine.connect() as conn:
        ind = model_repo.indicator_ids(conn)
        units = model_repo.unit_ids(conn)
        known = [known_at(conn, moment, o.c.batch_id)]
        if datasets is not None:
            # Period codes of one type sort as text ('2024-04' < '2024-10', '2024-Q1').
            known.append(or_(false(), *[
                and_(o.c.indicator_id.in_([ind[c] for c in codes if c in ind]),
                     o.c.unit_id.in_([units[u] for u in where if u in units]),
                     o.c.period >= start if start else true())
                for codes, where, start in datasets]))
        # Every vintage, aggregated here: one scan of the table (aggregating in the
        # database, then reading the revised keys again, took twice as long).
        every = read_vintages(conn, and_(*known))
        names = ["indicator_id", "unit_id", "period"]
        per_key = (every.sort("batch_id").group_by(names)
                   .agg(first_batch=pl.col("batch_id").first(),
                        vintages=pl.len().cast(pl.UInt32),
                        first_value=pl.col("value").first(),
                        last_value=pl.col("value").last()))
        del every
        times = batch_times(conn, per_key["first_batch"].unique().to_list())
        backfills = list(conn.execute(select(s.batches.c.id).where(s.batches.c.backfill))
                         .scalars())
        backfilled = pl.col("first_batch").is_in(backfills) if backfills else pl.lit(False)
    inv_i = {v: k for k, v in ind.items()}
    inv_u = {v: k for k, v in units.items()}
    return per_key.select(
        pl.col("indicator_id").replace_strict(inv_i, return_dtype=pl.String).alias("indicator"),
        pl.col("unit_id").replace_strict(inv_u, return_dtype=pl.String).alias("unit"),
        "period", as_times("first_batch", times).alias("first_recorded"), "vintages",
        "first_value", "last_value", backfilled.alias("backfilled"))


def _outliers(engine: Engine, moment: datetime) -> pl.DataFrame:
    f, b = s.findings, s.batches
    with engine.connect() as conn:
        rows = conn.execute(select(f.c.indicator, f.c.unit, f.c.period).distinct()
                            .join(b, b.c.id == f.c.batch_id)
                            .where(f.c.check.like("outlier%"), b.c.recorded_at <= moment)).all()
    return pl.DataFrame(rows, orient="row", schema={
        "indicator": pl.String, "unit": pl.String, "period": pl.String}).with_columns(
        outlier=pl.lit(True))


def _rule_checks(engine: Engine, model: DeliveryModel, moment: datetime) -> pl.DataFrame:
    """Per unit and period: rule checks made (the rule had data there) and failed."""
    empty = pl.DataFrame(schema={"unit": pl.String, "period": pl.String,
                                 "checked": pl.Int64, "failed": pl.Int64})
    rules = model_rules(model)
    if not rules:
        return empty
    codes = sorted({c for r in rules for c in r.indicators})
    with engine.connect() as conn:
        values = latest(conn, as_of=moment, indicators=codes, with_vintage=False)
    values = values.select("unit", "period", "indicator", "value")
    checked = []
    for i, rule in enumerate(rules):
        mine = values.filter(pl.col("indicator").is_in(list(rule.indicators)))
        keys = mine.select("unit", "period").unique()
        # Each distinct period is judged once, in Python; the keys are then filtered whole.
        periods = [p for p in keys["period"].unique().to_list() if _applies(rule, p)]
        keys = keys.filter(pl.col("period").is_in(periods))
        checked.append(keys.with_columns(rule=pl.lit(i)))
    made = pl.concat(checked).group_by("unit", "period").agg(checked=pl.len())
    failed = (violation_frame(rules, values).group_by("unit", "period")
              .agg(failed=pl.len()))
    return (made.join(failed, on=["unit", "period"], how="left")
            .with_columns(pl.col("failed").fill_null(0).cast(pl.Int64),
                          pl.col("checked").cast(pl.Int64)))


def _applies(rule, period: str) -> bool:
    try:
        p = Period.parse(period, rule.period_type)
    except PeriodError:
        return False
    if rule.period_from and p < Period.parse(rule.period_from):
        return False
    return not (rule.period_to and p > Period.parse(rule.period_to))


# An alert's kind and status as the held-back reason names them (the web's catalogue: a
# page says the reason in its language).
_ALERT_WORDS = {"counter": N_("counter"), "ratio_shift": N_("ratio shift"),
                "local_break": N_("local break"), "drift": N_("drift"),
                "open": N_("open"), "confirmed": N_("confirmed")}


def _alert_word(word: str) -> str:
    return Text(_ALERT_WORDS[word]) if word in _ALERT_WORDS else word.replace("_", " ")


def held_back_because(alert: AlertItem, priorities: Sequence[str]) -> Text:
    """Why a unit is held back, for one standing alert bearing on ``priorities``: "ratio shift
    from 2024-01 on CRIME (open alert 299f28c2d670)"."""
    return Text(N_("%(kind)s from %(start)s on %(priorities)s (%(status)s alert %(id)s)"),
                kind=_alert_word(alert.kind), start=alert.start, priorities=", ".join(priorities),
                status=_alert_word(alert.status), id=alert.id)


class _AlertsOnPriorities:
    """Why a unit is held back in the league: the standing alerts (open or confirmed) raised at it
    that bear on a priority (its headline, a counter, or what they are computed from), read
    once when first asked. The reason is a ``Text``, English wherever a string goes."""

    def __init__(self, snap: Snapshot) -> None:
        self._snap = snap
        self._by_unit: dict[str, list[str]] | None = None  # unit: why, one per alert

    def __call__(self, unit: str) -> str | None:
        if self._by_unit is None:
            # Priority by priority: the alerts bearing on none (related indicators far from
            # every priority) are not read at all.
            found: dict[str, tuple[AlertItem, list[str]]] = {}
            for code in self._snap.model.priorities:
                for a in alerts(self._snap, priority=code).standing:
                    found.setdefault(a.id, (a, []))[1].append(code)
            self._by_unit = {}
            for a, codes in found.values():
                self._by_unit.setdefault(a.unit, []).append(held_back_because(a, codes))
        return joined("; ", self._by_unit.get(unit, [])) or None


def _nobody(unit: str) -> None:
    """No unit held back: the scores without the league's alerts."""
    return None


def _league(rows: list[dict], held_back: Callable[[str], str | None]
            ) -> list[tuple[dict, str | None]]:
    """The rows (by score) in league order, each with why it is held back: a unit with a
    standing alert on a priority's figures comes after every unit without one, so that a
    figure in question is not praised; each group keeps the order of the scores."""
    why = [(row, held_back(row["unit"])) for row in rows]
    return [w for w in why if w[1] is None] + [w for w in why if w[1] is not None]


def data_quality(snap: Snapshot, *, unit: str | None = None, league: bool = True
                 ) -> DataQuality:
    """Quality of every unit (or ``unit`` and those below it), a league table by score
    (units with a standing alert on a priority's figures after the others: _league),
    and each unit's score by year, from what was known at the snapshot's moment.

    ``league=False``: the scores only, by score, no unit held back. Holding units back
    needs every priority's alerts (seconds of detection on the first read of a data
    version), which a reader of the scores alone (a pack's lowest scores, a chain's weak
    links) should not pay for; its ranks are then by score alone."""
    # A simulated world (the demo) has its own "now" (Snapshot.now): deadlines are judged
    # against it, so the demo reads the same next year as today.
    engine, moment, model = snap.engine, snap.now, snap.model
    if unit is not None and unit not in model.units:
        raise NotFound(f"'{unit}' is not a reporting unit")
    # Only what the declared data sets expect is scored: read only that (in the demo, a
    # third of the keys: the data sets start in 2024, the data in 2018).
    wanted = [(d.indicators, model.dataset_units(d), Period.parse(d.start).code
               if d.start else None) for d in model.datasets.values()] or None
    received = _received(engine, moment, wanted)
    datasets = list(model.datasets.values()) or _implicit_datasets(model, received)
    expected = _expected(model, datasets, received, moment, implicit_due=False)
    received = received.join(_outliers(engine, moment), on=["indicator", "unit", "period"],
                             how="left")
    checks = _rule_checks(engine, model, moment)
    parents = {code: u.parent for code, u in model.units.items()}
    deadlines = {d.code: d.timely_days for d in model.datasets.values()}
    said = dict(as_of=moment.isoformat(), formula=FORMULA, weights=WEIGHTS,
                datasets=tuple(d.code for d in datasets), deadlines=deadlines,
                timeliness_rule=timeliness_rule(deadlines))
    if expected.height == 0:
        return DataQuality(**said, units=(), trend=())
    scores = quality_scores(expected, received, checks, parents)
    trend = quality_scores(expected, received, checks, parents, by=("bucket",))
    shown = set(model.units) if unit is None else {
        unit, *[u.code for u in model.descendants(unit)]}
    scores = scores.filter(pl.col("unit").is_in(list(shown)))
    trend = trend.filter(pl.col("unit").is_in(list(shown)))
    names = {c: (u.name, u.level) for c, u in model.units.items()}
    held_back = _AlertsOnPriorities(snap) if league else _nobody
    rows = tuple(UnitQuality(**r, name=names[r["unit"]][0], level=names[r["unit"]][1], rank=i,
                             held_back=why)
                 for i, (r, why) in enumerate(_league(scores.to_dicts(), held_back), 1))
    return DataQuality(
        **said, units=rows,
        trend=tuple(QualityByYear(unit=r["unit"], year=r["bucket"], score=r["score"],
                                  completeness=r["completeness"], timeliness=r["timeliness"])
                    for r in trend.sort("unit", "bucket").to_dicts()))
