"""The base of every read result and the one JSON encoder.

A result is a frozen dataclass: built once by a service, never changed after (a reader
that wants a variant builds a new one with ``dataclasses.replace``). Its JSON form is its
fields in declaration order, so the order of a class's fields *is* the order of the keys in
``--json`` and the API; a field can carry another JSON name (``json_name``) or be left out
when it is None (``omit_if_none``), for keys that only some answers have.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

_JSON_NAME = "json_name"
_OMIT_IF_NONE = "omit_if_none"


def json_name(name: str, **kwargs: Any) -> Any:
    """A field whose key in JSON is ``name`` (for a key that is not a Python name)."""
    return dataclasses.field(metadata={_JSON_NAME: name}, **kwargs)


def omit_if_none(**kwargs: Any) -> Any:
    """A field left out of the JSON when it is None (default None)."""
    kwargs.setdefault("default", None)
    return dataclasses.field(metadata={_OMIT_IF_NONE: True}, **kwargs)


@dataclasses.dataclass(frozen=True)
class Result:
    """Base of the read results: frozen, and encoded to JSON by ``encode``."""

    def to_json(self) -> dict[str, Any]:
        return encode(self)


def encode(value: Any) -> Any:
    """Plain JSON values (dict, list, str, int, float, bool, None) for a result, any nesting
    of results, mappings, lists and tuples, times (ISO 8601), dates and enums (their value).
    Numpy scalars become Python numbers; a float NaN stays NaN (``json.dumps`` writes it as
    NaN, as before): a service that means "no value" says None."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            v = getattr(value, f.name)
            if v is None and f.metadata.get(_OMIT_IF_NONE):
                continue
            out[f.metadata.get(_JSON_NAME, f.name)] = encode(v)
        return out
    if isinstance(value, str | bool | int | float) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(k) if not isinstance(k, str) else k: encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return encode(value.value)
    item = getattr(value, "item", None)  # a numpy scalar
    if callable(item):
        return item()
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def dumps(value: Any, indent: int | None = 2) -> str:
    """The JSON text of a result (or of plain values), as ``--json`` prints it."""
    return json.dumps(encode(value), indent=indent)
