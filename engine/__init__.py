"""sandex engine: a deterministic, in-memory limit-order-book exchange core.

Integers only (price ticks, quantity lots, asset units); commands in, events out; no I/O and no
wall clock. The hot path is compiled with numba.
"""

from .book import Level, OrderBook, RestingOrder, decode, encode
from .enums import (
    CancelReason,
    ExpireReason,
    OrderStatus,
    OrderType,
    SelfTradePrevention,
    Side,
    TimeInForce,
)
from .errors import InvariantViolation, RejectReason
from .events import (
    BookEvent,
    OrderAccepted,
    OrderAmended,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
)

__all__ = [
    "BookEvent",
    "CancelReason",
    "ExpireReason",
    "InvariantViolation",
    "Level",
    "OrderAccepted",
    "OrderAmended",
    "OrderBook",
    "OrderCanceled",
    "OrderExpired",
    "OrderFilled",
    "OrderRejected",
    "OrderStatus",
    "OrderType",
    "RejectReason",
    "RestingOrder",
    "SelfTradePrevention",
    "Side",
    "TimeInForce",
    "decode",
    "encode",
]
