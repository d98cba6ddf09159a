"""The one JSON encoder of read results: field order is key order, names and omissions as
declared, nesting, times, enums and numpy scalars; results cannot be changed once built."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from enum import Enum

import numpy as np
import pytest

from stocktake.results import Result, dumps, encode, json_name, omit_if_none


class Colour(Enum):
    RED = "red"


@dataclasses.dataclass(frozen=True)
class Inner(Result):
    period: str
    value: float | None


@dataclasses.dataclass(frozen=True)
class Outer(Result):
    zeta: int
    alpha: tuple[Inner, ...]
    when: datetime
    day: date
    colour: Colour
    count: object
    by_unit: dict[str, Inner]
    from_: str = json_name("from", default="2024-01")
    note: str | None = omit_if_none()


def outer(**changes):
    base = Outer(zeta=1, alpha=(Inner("2024-01", 1.5), Inner("2024-02", None)),
                 when=datetime(2024, 8, 5, 10, 30), day=date(2024, 8, 6), colour=Colour.RED,
                 count=np.int64(7), by_unit={"A1": Inner("2024-03", 2.0)})
    return dataclasses.replace(base, **changes)


def test_keys_in_field_order_with_declared_names_and_omissions():
    out = encode(outer())
    assert list(out) == ["zeta", "alpha", "when", "day", "colour", "count", "by_unit", "from"]
    assert out["alpha"] == [{"period": "2024-01", "value": 1.5},
                            {"period": "2024-02", "value": None}]
    assert (out["when"], out["day"], out["colour"]) == ("2024-08-05T10:30:00", "2024-08-06",
                                                         "red")
    assert out["count"] == 7 and type(out["count"]) is int
    assert out["by_unit"] == {"A1": {"period": "2024-03", "value": 2.0}}
    assert "note" in encode(outer(note="seasonal"))
    assert encode(outer(note="seasonal"))["note"] == "seasonal"


def test_dumps_is_json_text_of_the_encoding():
    text = dumps(outer())
    assert json.loads(text) == encode(outer())
    assert text.startswith('{\n  "zeta": 1,')


def test_results_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        outer().zeta = 2  # type: ignore[misc]


def test_unknown_types_are_refused_not_stringified():
    with pytest.raises(TypeError, match="cannot encode object"):
        encode(outer(count=object()))


def test_results_are_read_by_attribute_not_by_key():
    r = outer()
    assert r.zeta == 1 and r.from_ == "2024-01"
    with pytest.raises(TypeError):
        r["zeta"]  # the JSON names are for --json and the API, not for readers
