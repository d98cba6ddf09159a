"""One consistent read of a world: the model, the data as known at one moment, and "now".

A page, a pack or a command reads several views of the same priorities (status, trajectory,
units, SPC, leads). Each used to load its own data, and a caller had to remember to pass one
load to all of them (``data=``) for them to agree. A ``Snapshot`` is opened once per page,
pack or command and handed to every read service: the model is read once, the data is
loaded once (lazily, for the indicators asked for so far) and always *as known at one
moment*, so every view reads the same world by construction even while submissions arrive.

With ``as_of`` the moment is the reader's; without it, the moment the snapshot was opened:
the newest recording then (a batch or an accepted SPC rebase). Results still say
``as_of: null`` then, as they always have: the reader asked for the newest data.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Engine, func, select

from ...model.entities import DeliveryModel
from ...store import schema as s
from .clock import now_of
from .series_data import SeriesData, components, read_model


class Snapshot:
    """The model, the data known at one moment (loaded once, lazily) and "now"."""

    def __init__(self, engine: Engine, as_of: datetime | None = None, *,
                 model: DeliveryModel | None = None) -> None:
        self.engine = engine
        self.as_of = as_of
        self._model = model
        self._now: datetime | None = None
        self._pin: datetime | None = as_of
        self._pinned = as_of is not None
        self._data: SeriesData | None = None
        self._loaded: set[str] = set()  # indicator codes in _data, components included

    @property
    def model(self) -> DeliveryModel:
        if self._model is None:
            self._model = read_model(self.engine)
        return self._model

    @property
    def now(self) -> datetime:
        """``as_of`` when given; else the world's "now" (the demo's clock, or the time)."""
        if self._now is None:
            self._now = now_of(self.engine, self.as_of)
        return self._now

    def data(self, codes: Iterable[str]) -> SeriesData:
        """The series of ``codes`` (and the indicators they are computed from) as known at
        the snapshot's moment. Loaded once: a later call for indicators not yet loaded loads
        them together with those already asked for, at the same moment."""
        model = self.model
        needed: set[str] = set()
        for code in codes:
            needed |= components(model, code)
        if self._data is None or not needed <= self._loaded:
            self._loaded |= needed
            self._data = SeriesData.load(self.engine, model, self._loaded, self.as_of,
                                         pin=self._moment())
        return self._data

    def _moment(self) -> datetime | None:
        """The moment every load reads at: as_of, or the newest recording when first read
        (None while nothing is recorded at all)."""
        if not self._pinned:
            with self.engine.connect() as conn:
                self._pin = conn.execute(select(func.max(s.batches.c.recorded_at))).scalar()
                rebased = conn.execute(select(func.max(s.spc_rebases.c.at))).scalar()
            if rebased is not None and (self._pin is None or rebased > self._pin):
                self._pin = rebased
            self._pinned = self._pin is not None
        return self._pin
