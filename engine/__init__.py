"""sandex engine: a deterministic, in-memory exchange core.

Integers only (asset units at the ``Engine``, price ticks and quantity lots inside a book);
commands in, events out; no I/O and no wall clock. The hot path is compiled with numba.
"""

from .book import Level, OrderBook, RestingOrder, decode, encode
from .commands import (
    AmendOrder,
    CancelAllOrders,
    CancelOrder,
    Command,
    Deposit,
    ListAsset,
    ListMarket,
    PlaceOrder,
    SetFeeRates,
    SetMarketStatus,
    Withdraw,
)
from .engine import Balance, Engine, OpenOrder, encode_orders
from .enums import (
    CancelReason,
    ExpireReason,
    MarketStatus,
    OrderStatus,
    OrderType,
    SelfTradePrevention,
    Side,
    TimeInForce,
)
from .errors import InvariantViolation, RejectReason
from .events import (
    AssetListed,
    BalanceChanged,
    BookEvent,
    CommandRejected,
    Event,
    FeeRatesChanged,
    MarketListed,
    MarketStatusChanged,
    OrderAccepted,
    OrderAmended,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    StopTriggered,
)
from .specs import AssetSpec, LotSize, MarketLotSize, MarketSpec, NotionalFilter, PercentPriceBySide, PriceFilter
from .triggers import StopOrder
from .units import RATE_DENOM

__all__ = [
    "AmendOrder",
    "AssetListed",
    "AssetSpec",
    "Balance",
    "BalanceChanged",
    "BookEvent",
    "CancelAllOrders",
    "CancelOrder",
    "CancelReason",
    "Command",
    "CommandRejected",
    "Deposit",
    "Engine",
    "Event",
    "ExpireReason",
    "FeeRatesChanged",
    "InvariantViolation",
    "Level",
    "ListAsset",
    "ListMarket",
    "LotSize",
    "MarketListed",
    "MarketLotSize",
    "MarketSpec",
    "MarketStatus",
    "MarketStatusChanged",
    "NotionalFilter",
    "OpenOrder",
    "OrderAccepted",
    "OrderAmended",
    "OrderBook",
    "OrderCanceled",
    "OrderExpired",
    "OrderFilled",
    "OrderRejected",
    "OrderStatus",
    "OrderType",
    "PercentPriceBySide",
    "PlaceOrder",
    "PriceFilter",
    "RATE_DENOM",
    "RejectReason",
    "RestingOrder",
    "SelfTradePrevention",
    "SetFeeRates",
    "SetMarketStatus",
    "Side",
    "StopOrder",
    "StopTriggered",
    "TimeInForce",
    "Withdraw",
    "decode",
    "encode",
    "encode_orders",
]
