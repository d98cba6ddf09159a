"""What reporting units owe ("due from me"): the returns late or coming for a set of units,
and the rows set aside from their submissions that still await a fix. The provider's home
page and the late-returns reminders read it.

What is expected is what the data quality reads (quality._expected: the declared data
sets, each unit from its start, each period by its deadline). A return is *late* when its
deadline passed within the last ``window_days`` and no value has arrived; older gaps are
the data quality page's business, not a reminder's. It is *coming* when its deadline is
within the next ``window_days``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta

import polars as pl
from sqlalchemy import select

from ...model.entities import DataSet, DeliveryModel
from ...model.periods import Period
from ...results.dues import Dues, ReturnDue, SetAside
from ...store import model_repo
from ...store import schema as s
from .quality import _expected, _implicit_datasets, _last_due, _received
from .snapshot import Snapshot

WINDOW_DAYS = 180


def dues(snap: Snapshot, units: Iterable[str] | None = None, *,
         window_days: int = WINDOW_DAYS) -> Dues:
    """What ``units`` (every unit when None) owe at the snapshot's moment."""
    model, moment = snap.model, snap.now
    mine = list(model.units) if units is None else [u for u in model.units if u in set(units)]
    # Only the keys the data sets ask of these units are read (a provider's page reads
    # their own returns, not the country's).
    wanted = [(d.indicators, [u for u in model.dataset_units(d) if u in set(mine)],
               Period.parse(d.start).code if d.start else None)
              for d in model.datasets.values()] or None
    received = _received(snap.engine, moment, wanted)
    datasets = list(model.datasets.values()) or _implicit_datasets(model, received)
    expected = _expected(model, datasets, received, moment).filter(pl.col("unit").is_in(mine))
    since = moment - timedelta(days=window_days)
    late = (expected.filter(pl.col("due") >= since)
            .join(received.select("unit", "indicator", "period"),
                  on=["unit", "indicator", "period"], how="anti")
            .sort("due", "unit", "indicator"))
    coming = _coming(model, datasets, received, moment, mine, window_days)
    return Dues(
        now=moment.isoformat(), units=tuple(mine), window_days=window_days,
        late=tuple(_due(model, r, moment) for r in late.to_dicts()),
        coming=tuple(_due(model, r, moment) for r in coming),
        rejected=_set_aside(snap, set(mine)),
        indicators=reported_indicators(model, datasets, received, set(mine)))


def _due(model: DeliveryModel, r: dict, moment: datetime) -> ReturnDue:
    due = r["due"]
    return ReturnDue(unit=r["unit"], unit_name=model.units[r["unit"]].name,
                     indicator=r["indicator"],
                     indicator_name=model.indicators[r["indicator"]].name
                     if r["indicator"] in model.indicators else r["indicator"],
                     period=r["period"], due=due.date().isoformat(),
                     days_late=max(0, (moment.date() - due.date()).days))


def _coming(model: DeliveryModel, datasets: list[DataSet], received: pl.DataFrame,
            moment: datetime, units: list[str], window_days: int) -> list[dict]:
    """The next period of each data set whose deadline is still ahead (within the window),
    for each unit and indicator that has not sent it yet."""
    have = set(received.select("unit", "indicator", "period").iter_rows())
    until = moment + timedelta(days=window_days)
    out = []
    for ds in datasets:
        if ds.end:
            continue
        implicit = ds.code.startswith("implicit:")
        expected_units = ds.units if implicit else model.dataset_units(ds)
        last_due = _last_due(ds, moment)
        if implicit:
            # Inferred from the data: a series nobody has sent up to its last deadline has
            # stopped (as in quality._expected), and nothing more is coming from it.
            sent = received.filter(pl.col("indicator").is_in(ds.indicators))["period"]
            if sent.is_empty() or Period.parse(sent.max()) < last_due:
                continue
        period = last_due.shift(1)  # the first whose deadline is ahead
        due = datetime.combine(period.end + timedelta(days=ds.timely_days), time.max)
        if due > until or (ds.start and period < Period.parse(ds.start)):
            continue
        for unit in expected_units:
            if unit not in units:
                continue
            for ind in ds.indicators:
                if (unit, ind, period.code) not in have:
                    out.append({"unit": unit, "indicator": ind, "period": period.code,
                                "due": due})
    out.sort(key=lambda r: (r["due"], r["unit"], r["indicator"]))
    # One entry per key (two data sets may ask for the same).
    return list({(r["unit"], r["indicator"], r["period"]): r for r in out}.values())


def reported_indicators(model: DeliveryModel, datasets: list[DataSet], received: pl.DataFrame,
                        units: set[str]) -> tuple[str, ...]:
    """The indicators ``units`` report: asked of them by a data set, or sent by them."""
    codes: set[str] = set()
    for ds in datasets:
        expected_units = ds.units if ds.code.startswith("implicit:") else model.dataset_units(ds)
        if units & set(expected_units):
            codes |= set(ds.indicators)
    codes |= set(received.filter(pl.col("unit").is_in(list(units)))["indicator"].to_list())
    return tuple(c for c in model.indicators if c in codes)


def indicators_reported_by(snap: Snapshot, units: Iterable[str]) -> tuple[str, ...]:
    """The indicators the units report (the upload page offers only these to a provider):
    those the data sets ask of them and those they have sent, in the model's order. Reads
    no values: the data sets, and which indicators the units have any value of."""
    model, wanted = snap.model, set(units)
    codes = {c for d in model.datasets.values() if wanted & set(model.dataset_units(d))
             for c in d.indicators}
    o = s.observations
    with snap.engine.connect() as conn:
        unit_ids = model_repo.unit_ids(conn)
        names = {v: k for k, v in model_repo.indicator_ids(conn).items()}
        ids = [unit_ids[u] for u in wanted if u in unit_ids]
        if ids:
            codes |= {names.get(i) for i in conn.execute(
                select(o.c.indicator_id).where(o.c.unit_id.in_(ids)).distinct()).scalars()}
    return tuple(c for c in model.indicators if c in codes)


def _set_aside(snap: Snapshot, units: set[str]) -> tuple[SetAside, ...]:
    q, b, f = s.quarantine, s.batches, s.findings
    with snap.engine.connect() as conn:
        rows = conn.execute(
            select(q.c.batch_id, q.c.row, q.c.unit, q.c.indicator, q.c.period, q.c.value,
                   b.c.scope)
            .join(b, b.c.id == q.c.batch_id)
            .where(q.c.resolved_by.is_(None), b.c.recorded_at <= snap.now)
            .order_by(q.c.batch_id, q.c.row)).all()
        problems: dict[tuple[int, int], list[str]] = {}
        batch_ids = sorted({r.batch_id for r in rows})
        if batch_ids:
            for batch, row, message in conn.execute(
                    select(f.c.batch_id, f.c.row, f.c.message)
                    .where(f.c.batch_id.in_(batch_ids), f.c.severity == "error")
                    .order_by(f.c.id)):
                problems.setdefault((batch, row), []).append(message)
    return tuple(SetAside(batch=r.batch_id, row=r.row, unit=r.unit, indicator=r.indicator,
                          period=r.period, value=r.value,
                          problem="; ".join(problems.get((r.batch_id, r.row), [])))
                 for r in rows if (r.unit in units or r.scope in units))
