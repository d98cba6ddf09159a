"""Delivery chains: load a version, and analyse it beside the data quality of the units its
actors are tied to (weak links, poor data, dependence on other governments, single points
of failure)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from ...delivery import chains as dc
from ...delivery.errors import DeliveryError
from ...errors import N_, Invalid, NotFound, Text
from ...model.entities import DeliveryModel
from ...reports.wording import wording
from ...results.delivery import ChainLoaded, ChainReading
from ...results.quality import DataQuality
from ...store import delivery as store
from ...store.db import writing
from ..reading.clock import now_of
from ..reading.quality import data_quality
from ..reading.series_data import check_priority, iso, read_model
from ..reading.snapshot import Snapshot
from .documents import french_warnings, load_document

POOR_QUALITY_BELOW = 75.0  # the data-quality score (0-100) under which an actor is flagged


def load_chain(engine: Engine, priority: str, source: str | Path | Any, *, author: str,
               reason: str = "", at: datetime | None = None,
               require_languages: tuple[str, ...] = ("en",)) -> ChainLoaded:
    """Store the chain in ``source`` as the priority's next version (unless unchanged).

    An actor without its French name, or a link's evidence without its French, is a
    problem with "fr" in ``require_languages``, else a warning once the chain holds any
    French (documents.french_warnings)."""
    if not author.strip():
        raise Invalid(Text(N_("a chain version needs an author (--author)")))
    model = read_model(engine)
    check_priority(model, priority)
    raw, name = load_document(source)
    try:
        chain = dc.parse_chain(raw, model)
    except DeliveryError as exc:
        raise DeliveryError(exc.problems, source=name) from None
    warnings = french_warnings(dc.missing_french(chain), holds_french=dc.has_french(chain),
                               kind=N_("chain item"), source=source, name=name,
                               require_languages=require_languages)
    with writing(engine) as conn:  # the time taken once it is this writer's turn
        moment = now_of(engine) if at is None else at
        known = store.versions(conn, "chain", priority)
        if known and known[-1]["document"] == chain.to_dict():
            return ChainLoaded(priority=priority, version=known[-1]["version"], changed=False,
                               warnings=warnings)
        version = store.add_version(conn, "chain", priority, chain.to_dict(), author=author,
                                    reason=reason.strip() or ("first version" if not known
                                                              else "revised"), at=moment)
    return ChainLoaded(priority=priority, version=version, changed=True, warnings=warnings)


def current_chain(engine: Engine, model: DeliveryModel, priority: str,
                  as_of: datetime | None = None) -> tuple[dict[str, Any], dc.Chain] | None:
    with engine.connect() as conn:
        rows = store.versions(conn, "chain", priority, as_of)
    if not rows:
        return None
    return rows[-1], dc.parse_chain(rows[-1]["document"], model)


def unit_scores(quality: DataQuality) -> dict[str, float]:
    return {r.unit: float(r.score) for r in quality.units}


def analyse(engine: Engine, model: DeliveryModel, priority: str, *,
            as_of: datetime | None = None, quality: DataQuality | None = None,
            lang: str = "en") -> tuple[ChainReading, dc.Chain] | None:
    """The chain known at ``as_of`` with its analysis and its summary in ``lang`` (and
    the chain itself, to draw), or None when there is none."""
    found = current_chain(engine, model, priority, as_of)
    if found is None:
        return None
    row, chain = found
    if quality is None:
        # The scores only (a weak link is a low score): no league places to hold back.
        quality = data_quality(Snapshot(engine, now_of(engine, as_of), model=model),
                               league=False)
    analysis = dc.analyse_chain(chain, quality=unit_scores(quality),
                                poor_quality_below=POOR_QUALITY_BELOW)
    reading = ChainReading(
        priority=priority, version=row["version"], author=row["author"], reason=row["reason"],
        recorded_at=iso(row["recorded_at"]), chain=chain.to_dict(), analysis=analysis,
        summary=tuple(dc.chain_summary_lines(analysis, wording(lang),
                                             dc.actor_names(chain, lang))),
        poor_quality_below=POOR_QUALITY_BELOW, quality_as_of=quality.as_of, as_of=iso(as_of))
    return reading, chain


def show_chain(engine: Engine, priority: str, *, as_of: datetime | None = None,
               lang: str = "en") -> ChainReading:
    """The chain known at ``as_of``, analysed, its summary in ``lang``."""
    model = read_model(engine)
    check_priority(model, priority)
    found = analyse(engine, model, priority, as_of=as_of, lang=lang)
    if found is None:
        raise NotFound(Text(N_("priority '%(priority)s' has no delivery chain; load one with "
                               "`stocktake chain load %(priority)s FILE`"), priority=priority))
    return found[0]


def chain_diagram(engine: Engine, priority: str, *, as_of: datetime | None = None) -> str:
    """The chain as an SVG diagram, weak links and flagged actors marked."""
    from ...reports.chain_diagram import chain_svg

    model = read_model(engine)
    check_priority(model, priority)
    found = analyse(engine, model, priority, as_of=as_of)
    if found is None:
        raise NotFound(Text(N_("priority '%(priority)s' has no delivery chain"),
                            priority=priority))
    reading, chain = found
    return chain_svg(chain, reading.analysis)
