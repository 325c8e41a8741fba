"""Armed faults: the failures real exchanges throw, on demand, so clients can rehearse them in CI.

An admin arms a fault (``POST /sandex/v1/faults``); the request pipeline asks the ``FaultBook``
about every Binance request once it is authenticated and its parameters are read, and the first
armed fault that matches (in arming order) fires on it and counts down; at zero it disarms itself.
Nothing here knows about HTTP: a fault says *what* answer to give (an ``ApiError``, a dropped
connection, a delay, a capped fill) and the pipeline gives it.

A partial fill reaches the venue as ``OrderRequest.fill_cap``: a context variable, set only while
the faulted request's handler runs, is read where the request's order parameters are parsed, so
the handlers and the margin desk between pipeline and venue need not know about faults, and the
journal (which replays calls from their arguments) replays the cap with the order. Liquidity
sources build their own requests in other threads and are never capped.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any

from engine import OrderType, PlaceOrder, RejectReason, TimeInForce

from . import binance_errors as err
from .accounts import mask
from .binance_errors import ApiError
from .wire import format_units_short, parse_units

STREAM_KINDS = ("ws_drop", "ws_gap", "ws_delay", "ws_refuse", "ws_terminate")
KINDS = ("reject", "delay", "timeout", "rate_limit", "ban", "drop", "partial_fill", *STREAM_KINDS)
COMMON_FIELDS = frozenset({"kind", "apiKey", "count", "paths", "ms"})
KIND_FIELDS: dict[str, frozenset[str]] = {
    "reject": frozenset({"code", "msg", "status"}),
    "delay": frozenset(),
    "timeout": frozenset({"executed", "status"}),
    "rate_limit": frozenset({"retryAfter"}),
    "ban": frozenset({"retryAfter"}),
    "drop": frozenset({"executed"}),
    "partial_fill": frozenset({"fraction"}),
    # on the WebSocket streams: ``paths`` are stream names (``btcusdt@depth@100ms``; default every
    # stream), ``count`` connections (drop, refuse), events (gap, delay) or user streams (terminate)
    "ws_drop": frozenset(),
    "ws_gap": frozenset(),
    "ws_delay": frozenset(),
    "ws_refuse": frozenset(),
    "ws_terminate": frozenset(),
}
EVERY_REQUEST = "*"
METHODS = frozenset({"GET", "POST", "PUT", "DELETE"})
FRACTION_DECIMALS = 8
ONE: int = 10**FRACTION_DECIMALS  # fractions are integers over ONE: no float touches a quantity
MAX_COUNT = 1_000_000
MAX_MS = 300_000  # five minutes: far past any client's timeout (ccxt's default is 10 s)
MAX_RETRY_AFTER = 3 * 86_400  # Binance's longest IP ban

TIMEOUT_CODE = err.EXECUTION_UNKNOWN.code
TIMEOUT_MSG = err.EXECUTION_UNKNOWN.msg
TIMEOUT_STATUS = err.EXECUTION_UNKNOWN.status

# Binance's own text for the codes a rehearsal most often wants; any other code needs a ``msg``.
KNOWN_MESSAGES: dict[int, str] = {
    1: "System is under maintenance.",
    -1000: err.UNKNOWN.msg,
    -1001: err.INTERNAL.msg,
    -1002: err.UNAUTHORIZED.msg,
    -1003: err.weight_exceeded(6000, "1 MINUTE", 1).msg,
    -1007: TIMEOUT_MSG,
    -1008: err.OVERLOADED.msg,
    -1013: "Filter failure: LOT_SIZE",
    -1015: err.orders_exceeded(100, "10 SECOND", 1).msg,
    -1021: err.TIMESTAMP_OUTSIDE.msg,
    -1022: err.BAD_SIGNATURE.msg,
    -1121: err.BAD_SYMBOL.msg,
    -2010: err.for_reject(RejectReason.INSUFFICIENT_BALANCE).msg,
    -2011: err.UNKNOWN_ORDER_CANCEL.msg,
    -2013: err.NO_SUCH_ORDER.msg,
    -2014: err.BAD_KEY_FORMAT.msg,
    -2015: err.REJECTED_KEY.msg,
}


def _bad(msg: str) -> ApiError:
    return ApiError(400, -1130, msg)


def _missing(name: str) -> ApiError:
    return ApiError(400, -1102, f"{name} is required")


@dataclass(slots=True)
class Fault:
    """One armed fault. ``paths`` None means the order placements (the endpoints declared
    ``places_order``); ``"*"`` in it means every Binance request; ``api_key`` None means every caller."""

    kind: str
    count: int
    api_key: str | None = None
    paths: frozenset[str] | None = None
    ms: int = 0  # wait this long before anything else (the whole point of ``delay``)
    code: int = 0  # reject
    msg: str = ""  # reject
    status: int = 0  # reject, timeout
    executed: bool = False  # timeout, drop: whether the request still runs behind the lost answer
    retry_after: int = 0  # rate_limit, ban: seconds, in the Retry-After header
    fraction: int = 0  # partial_fill: over ONE
    weight_limit: int = 6000  # rate_limit: the limit its message quotes
    fault_id: int = 0
    remaining: int = field(init=False)

    def __post_init__(self) -> None:
        self.remaining = self.count

    def matches(self, method: str, path: str, places_order: bool, api_key: str | None) -> bool:
        if self.kind in STREAM_KINDS or (self.api_key is not None and api_key != self.api_key):
            return False
        if self.paths is None:
            return places_order
        return EVERY_REQUEST in self.paths or path in self.paths or f"{method} {path}" in self.paths

    @property
    def stream(self) -> bool:
        """A fault on the WebSocket streams (``paths`` name streams), not on requests."""
        return self.kind in STREAM_KINDS

    def matches_stream(self, streams: Collection[str], api_key: str | None = None) -> bool:
        """A stream fault's match: one of ``streams`` named (or every stream), the key if one was given."""
        if self.api_key is not None and api_key != self.api_key:
            return False
        return self.paths is None or EVERY_REQUEST in self.paths or not self.paths.isdisjoint(streams)

    def answer(self, now_ms: int) -> ApiError:
        """The Binance error this fault answers with (reject, timeout, rate_limit, ban)."""
        if self.kind == "reject":
            return ApiError(self.status, self.code, self.msg)
        if self.kind == "timeout":
            return ApiError(self.status, TIMEOUT_CODE, TIMEOUT_MSG)
        if self.kind == "rate_limit":
            return err.weight_exceeded(self.weight_limit, "1 MINUTE", self.retry_after)
        if self.kind == "ban":
            return err.banned(now_ms + self.retry_after * 1000, self.retry_after)
        raise ValueError(f"a {self.kind} fault answers with no Binance error")

    def describe(self, default_paths: list[str]) -> dict[str, object]:
        """The admin API's view of it (the API key masked, as everywhere in the admin API)."""
        out: dict[str, object] = {
            "id": self.fault_id,
            "kind": self.kind,
            "apiKey": None if self.api_key is None else mask(self.api_key),
            "count": self.count,
            "remaining": self.remaining,
            "paths": sorted(self.paths)
            if self.paths is not None
            else [EVERY_REQUEST]
            if self.stream
            else default_paths,
            "ms": self.ms,
        }
        if self.kind in ("reject", "timeout"):
            error = self.answer(0)
            out |= {"code": error.code, "msg": error.msg, "status": error.status}
        if self.kind in ("timeout", "drop"):
            out["executed"] = self.executed
        if self.kind in ("rate_limit", "ban"):
            out["retryAfter"] = self.retry_after
        if self.kind == "partial_fill":
            out["fraction"] = format_units_short(self.fraction, FRACTION_DECIMALS)
        return out

    def __repr__(self) -> str:
        scope = "global" if self.api_key is None else mask(self.api_key)
        return f"Fault(#{self.fault_id} {self.kind} {scope} {self.remaining}/{self.count})"


class FaultBook:
    """The armed faults, thread-safe. ``active`` is read without the lock on every request (one
    attribute check when nothing is armed); it only changes under the lock."""

    __slots__ = ("_faults", "_ids", "_lock", "active")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self.active = False

    def arm(self, fault: Fault) -> Fault:
        """Arm ``fault`` (after those already armed); returns it with its id."""
        with self._lock:
            armed = replace(fault, fault_id=next(self._ids))
            self._faults.append(armed)
            self.active = True
            return armed

    def take(self, method: str, path: str, places_order: bool, api_key: str | None) -> Fault | None:
        """The first armed fault matching this request, counted down (and disarmed at zero)."""
        return self._take(lambda fault: fault.matches(method, path, places_order, api_key))

    def take_stream(self, kind: str, streams: Collection[str], api_key: str | None = None) -> Fault | None:
        """The first armed stream fault of ``kind`` matching, counted down (and disarmed at zero)."""
        return self._take(lambda fault: fault.kind == kind and fault.matches_stream(streams, api_key))

    def _take(self, matches: Callable[[Fault], bool]) -> Fault | None:
        with self._lock:
            for i, fault in enumerate(self._faults):
                if matches(fault):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        del self._faults[i]
                        self.active = bool(self._faults)
                    return fault
            return None

    def faults(self) -> list[Fault]:
        """The armed faults in firing order (copies)."""
        with self._lock:
            return [_copy(f) for f in self._faults]

    def remove(self, fault_id: int) -> Fault | None:
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault.fault_id == fault_id:
                    del self._faults[i]
                    self.active = bool(self._faults)
                    return fault
            return None

    def clear(self) -> int:
        with self._lock:
            n = len(self._faults)
            self._faults.clear()
            self.active = False
            return n

    def __len__(self) -> int:
        return len(self._faults)

    def __repr__(self) -> str:
        return f"FaultBook({len(self._faults)} armed)"


def _copy(fault: Fault) -> Fault:
    dup = replace(fault)
    dup.remaining = fault.remaining
    return dup


# ---- parsing what the admin sent ------------------------------------------------------------------


def _int(data: dict[str, Any], name: str, low: int, high: int, default: int | None = None) -> int:
    value = data.get(name, default)
    if value is None:
        raise _missing(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(f"{name} must be a whole number in [{low}, {high}], got {value!r}")
    return value


def _flag(data: dict[str, Any], name: str) -> bool:
    value = data.get(name, False)
    if not isinstance(value, bool):
        raise _bad(f"{name} must be true or false, got {value!r}")
    return value


def _stream_names(value: object, known: Callable[[str], bool]) -> frozenset[str] | None:
    """``["*"]`` or stream names as clients subscribe to them (``btcusdt@depth@100ms``)."""
    if value is None:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(p, str) for p in value):
        raise _bad(
            'paths of a stream fault must be a non-empty list of stream names, such as ["btcusdt@trade"] or ["*"]'
        )
    for entry in value:
        if entry != EVERY_REQUEST and not known(entry):
            raise _bad(f"paths: {entry[:80]!r} is not a stream name sandex serves (such as btcusdt@depth@100ms)")
    return frozenset(value)


def _paths(value: object, known: Collection[str]) -> frozenset[str] | None:
    """``["*"]``, or endpoints as ``"POST /api/v3/order"`` (that method) or ``"/api/v3/order"`` (any)."""
    if value is None:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(p, str) for p in value):
        raise _bad('paths must be a non-empty list such as ["POST /api/v3/order"] or ["*"]')
    bare = {k.partition(" ")[2] for k in known}
    out = set()
    for entry in value:
        if entry == EVERY_REQUEST:
            out.add(entry)
            continue
        method, _, path = entry.strip().rpartition(" ")
        method = method.upper()
        if (method and (method not in METHODS or f"{method} {path}" not in known)) or (not method and path not in bare):
            raise _bad(
                f"paths: {entry[:80]!r} names no Binance endpoint sandex serves (see /openapi.json); "
                'write "METHOD /path", "/path" (any method) or "*"'
            )
        out.add(f"{method} {path}" if method else path)
    return frozenset(out)


def _fraction(value: object) -> int:
    if value is None:
        return ONE // 2
    if not isinstance(value, str):
        raise _bad(f'fraction is a decimal string such as "0.5" (got {type(value).__name__})')
    try:
        units = parse_units(value, FRACTION_DECIMALS, "fraction")
    except ApiError:
        raise _bad(f"fraction {value[:40]!r} is not a decimal with at most {FRACTION_DECIMALS} decimals") from None
    if not 0 < units < ONE:
        raise _bad(f"fraction must be above 0 and below 1, got {value!r}")
    return units


def parse_fault(
    data: dict[str, Any],
    *,
    key_exists: Callable[[str], bool],
    known_paths: Collection[str],
    weight_limit: int = 6000,
    stream_name: Callable[[str], bool] = lambda text: True,
) -> Fault:
    """An admin's JSON object -> an unarmed ``Fault``; refuses unknown fields and bad values with
    Binance-style errors (-1102 missing, -1130 invalid) that say what is allowed."""
    kind = data.get("kind")
    if kind is None:
        raise _missing("kind")
    if kind not in KINDS:
        raise _bad(f"kind must be one of {list(KINDS)}, got {str(kind)[:40]!r}")
    allowed = COMMON_FIELDS | KIND_FIELDS[kind]
    unknown = set(data) - allowed
    if unknown:
        raise _bad(
            f"unknown fields {sorted(str(u)[:40] for u in unknown)} for a {kind} fault; allowed: {sorted(allowed)}"
        )
    api_key = data.get("apiKey")
    if api_key is not None and (not isinstance(api_key, str) or not key_exists(api_key)):
        shown = mask(api_key) if isinstance(api_key, str) else type(api_key).__name__
        raise _bad(f"apiKey names no live API key (got {shown}); leave it out for a fault on every caller")
    timed = kind in ("delay", "ws_delay")
    fault = Fault(
        kind,
        _int(data, "count", 1, MAX_COUNT, 1),
        api_key,
        _stream_names(data.get("paths"), stream_name)
        if kind in STREAM_KINDS
        else _paths(data.get("paths"), known_paths),
        _int(data, "ms", 1 if timed else 0, MAX_MS, None if timed else 0),
        weight_limit=weight_limit,
    )
    if kind == "reject":
        fault.code = _int(data, "code", -(2**31), 2**31 - 1)
        if fault.code in (0, 200):
            raise _bad("code 0 and 200 mean success to Binance clients; pick an error code such as -2010")
        msg = data.get("msg", KNOWN_MESSAGES.get(fault.code))
        if msg is None:
            raise _bad(
                f"msg is required for code {fault.code}; codes with Binance's text built in: {sorted(KNOWN_MESSAGES)}"
            )
        if not isinstance(msg, str) or not msg or len(msg) > 500:
            raise _bad("msg must be a non-empty string of at most 500 characters")
        fault.msg = msg
        fault.status = _int(data, "status", 400, 599, 400)
    elif kind == "timeout":
        fault.status = _int(data, "status", 400, 599, TIMEOUT_STATUS)
        fault.executed = _flag(data, "executed")
    elif kind == "drop":
        fault.executed = _flag(data, "executed")
    elif kind in ("rate_limit", "ban"):
        fault.retry_after = _int(data, "retryAfter", 1, MAX_RETRY_AFTER, 1 if kind == "rate_limit" else 120)
    elif kind == "partial_fill":
        fault.fraction = _fraction(data.get("fraction"))
    return fault


# ---- partial fills: pipeline -> venue -----------------------------------------------------------

_PENDING_FRACTION: ContextVar[list[int] | None] = ContextVar("sandex_partial_fill", default=None)


@contextmanager
def partial_fill(fraction: int) -> Iterator[None]:
    """While a faulted request's handler runs, the first order it reads fills at most
    ``fraction``/ONE of its size (``order_request`` asks ``pending_fill_cap`` and puts the cap on
    the ``OrderRequest``, which ``Venue.place`` obeys)."""
    token = _PENDING_FRACTION.set([fraction])
    try:
        yield
    finally:
        _PENDING_FRACTION.reset(token)


def pending_fill_cap(size: int) -> int | None:
    """The cap a partial_fill fault puts on an order of ``size`` (quote units for a quoteOrderQty
    order, else base units), or None; used up by the first order read in the faulted request."""
    pending = _PENDING_FRACTION.get()
    if not pending:
        return None
    return size * pending.pop() // ONE


def capped_order(command: PlaceOrder, cap: int, step: int) -> PlaceOrder | None:
    """The engine order a capped placement sends: at most ``cap`` (base units rounded down to the
    lot ``step``, or quote units for a quote-sized market order), taking what it can at once and
    expiring the rest, as a market or IOC order that ran out of liquidity does: a LIMIT order goes
    in as IOC. None for the types that never take at once (LIMIT_MAKER, stop orders)."""
    if command.order_type is OrderType.MARKET:
        if command.quote_quantity:
            return replace(command, quote_quantity=cap)
        return replace(command, quantity=cap // step * step)
    if command.order_type is OrderType.LIMIT:
        return replace(command, quantity=cap // step * step, time_in_force=TimeInForce.IOC)
    return None
