"""The journal's record format: one change as plain JSON data, readable without this code.

Format 2 (every record written now) is one UTF-8 JSON array::

    [at, holder, method, args, kwargs, outcome]

- ``at``: the change's time, ms since the epoch; everything inside the change reads this time.
- ``holder``: the part of the state the change went to: ``venue``, ``margin``, ``convert``,
  ``keeper`` or ``liquidity``.
- ``method``: the change, a ``@journaled`` method of that holder (``place``, ``cancel``, ``deposit``,
  ``step``, ...); ``args`` (an array) and ``kwargs`` (an object) are its arguments.
- ``outcome``: ``null`` if the change went through, else how it was refused
  (``"ApiError:-2010"``): a replay that ends otherwise stops the recovery.

Arguments are JSON numbers (integers in asset units, never fractions of money), strings, ``null``,
booleans, arrays and objects; everything else is a tagged object ``{"$": TAG, "v": VALUE}``:

| TAG | VALUE |
| --- | --- |
| ``tuple``, ``set`` | an array of the members (a set's sorted) |
| ``int`` | a decimal string, for an integer beyond 64 bits (only ever in a refused change) |
| ``float`` | ``"inf"``, ``"-inf"`` or ``"nan"`` (finite floats are JSON numbers) |
| ``bytes`` | base64 |
| ``dict`` | an array of ``[key, value]`` pairs (a mapping with a non-string key, or the key ``$``) |
| ``enum:NAME`` | the member's value, of the enum ``NAME`` (``Side``, ``MarketStatus``, ...) |
| ``OrderRequest``, ``ApiKey``, ``WalletRef``, ``SyntheticMarkets``, ``StaticBook`` | their ``to_record`` array |

Format 1 records (Python pickles, first byte 0x80) are still read, so a state directory written
by an earlier sandex recovers; nothing writes them any more.
"""

from __future__ import annotations

import base64
import functools
import math
import pickle
from collections.abc import Callable
from enum import Enum
from typing import Any

import orjson

from engine import MarketStatus, OrderType, SelfTradePrevention, Side, TimeInForce

from .accounts import KeyType

RECORD_FORMAT = 2
_PICKLE = 0x80  # the first byte of a format 1 record
_INT64 = (-(2**63), 2**63 - 1)
_ENUMS: dict[str, type[Enum]] = {
    e.__name__: e for e in (Side, OrderType, TimeInForce, SelfTradePrevention, MarketStatus, KeyType)
}


@functools.cache
def _types() -> tuple[dict[type, tuple[str, Callable[[Any], Any]]], dict[str, Callable[[Any], Any]]]:
    """The exchange's own types: (class -> (tag, to_record)), (tag -> from_record). Imported on first
    use: the modules that define them journal through this one."""
    from .accounts import ApiKey
    from .liquidity.static_book import StaticBook
    from .liquidity.synthetic import SyntheticMarkets
    from .margin.wallets import WalletRef
    from .orders import OrderRequest

    classes: list[tuple[type, Callable[[Any], Any], Callable[[Any], Any]]] = [
        (OrderRequest, OrderRequest.to_record, OrderRequest.from_record),
        (ApiKey, ApiKey.to_record, ApiKey.from_record),
        (WalletRef, lambda ref: [ref.kind, ref.symbol], lambda v: WalletRef(*v)),
        (SyntheticMarkets, SyntheticMarkets.to_record, SyntheticMarkets.from_record),
        (StaticBook, StaticBook.to_record, StaticBook.from_record),
    ]
    return ({c: (c.__name__, write) for c, write, _ in classes}, {c.__name__: read for c, _, read in classes})


class RecordError(ValueError):
    """A value that has no place in a record, or a record that cannot be read."""


def encode(
    at: int, holder: str, method: str, args: tuple[object, ...], kwargs: dict[str, object], outcome: str | None
) -> bytes:
    return orjson.dumps(
        [at, holder, method, [_plain(a) for a in args], {k: _plain(v) for k, v in kwargs.items()}, outcome]
    )


Record = tuple[int, str, str, tuple[object, ...], dict[str, object], str | None]


def decode(payload: bytes) -> Record:
    """A record of either format, as (at, holder, method, args, kwargs, outcome)."""
    if payload[:1] == bytes([_PICKLE]):
        # format 1: written by this program's earlier versions, in a private directory
        record: Record = pickle.loads(payload)
        return record
    try:
        at, holder, method, args, kwargs, outcome = orjson.loads(payload)
    except (orjson.JSONDecodeError, ValueError, TypeError) as e:
        raise RecordError(f"not a journal record: {e}") from None
    return at, holder, method, tuple(_value(a) for a in args), {k: _value(v) for k, v in kwargs.items()}, outcome


def _tag(tag: str, value: object) -> dict[str, object]:
    return {"$": tag, "v": value}


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind is str or value is None:
        return value
    if kind is int:
        return value if _INT64[0] <= value <= _INT64[1] else _tag("int", str(value))
    if kind is bool:
        return value
    if kind is float:
        return value if math.isfinite(value) else _tag("float", repr(value))
    if kind is list:
        return [_plain(v) for v in value]
    if kind is tuple:
        return _tag("tuple", [_plain(v) for v in value])
    if kind is dict:
        if all(type(k) is str and k != "$" for k in value):
            return {k: _plain(v) for k, v in value.items()}
        return _tag("dict", [[_plain(k), _plain(v)] for k, v in value.items()])
    if kind is set or kind is frozenset:
        return _tag("set", sorted((_plain(v) for v in value), key=orjson.dumps))
    if kind is bytes:
        return _tag("bytes", base64.b64encode(value).decode("ascii"))
    if isinstance(value, Enum) and kind.__name__ in _ENUMS:
        return _tag(f"enum:{kind.__name__}", value.value)
    known = _types()[0].get(kind)
    if known is None:
        raise RecordError(f"a {kind.__name__} cannot be journaled: add it to simulator/records.py")
    return {"$": known[0], "v": known[1](value)}  # (to_record gives plain JSON values)


def _value(data: Any) -> Any:
    kind = type(data)
    if kind is list:
        return [_value(v) for v in data]
    if kind is not dict:
        return data
    tag = data.get("$")
    if tag is None:
        return {k: _value(v) for k, v in data.items()}
    v = data["v"]
    if tag == "tuple":
        return tuple(_value(x) for x in v)
    if tag == "set":
        return {_value(x) for x in v}
    if tag == "dict":
        return {_value(k): _value(x) for k, x in v}
    if tag == "int":
        return int(v)
    if tag == "float":
        return float(v)
    if tag == "bytes":
        return base64.b64decode(v)
    if tag.startswith("enum:") and tag[5:] in _ENUMS:
        return _ENUMS[tag[5:]](v)
    reader = _types()[1].get(tag)
    if reader is None:
        raise RecordError(f"unknown value type {tag!r} in a journal record")
    return reader(v)
