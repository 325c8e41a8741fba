"""Events: what happened, in the order it happened (frozen, slotted, past tense).

Quantities are lots, prices ticks, quote amounts tick·lots (price ticks × lots, before the
market's notional factor).
"""

from __future__ import annotations

from dataclasses import dataclass

from .enums import CancelReason, ExpireReason, OrderType, Side, TimeInForce
from .errors import RejectReason


@dataclass(frozen=True, slots=True)
class OrderAccepted:
    order_id: int
    owner: int
    side: Side
    order_type: OrderType
    time_in_force: TimeInForce
    price: int
    quantity: int
    quote_quantity: int


@dataclass(frozen=True, slots=True)
class OrderFilled:
    """One trade: the taker (incoming order) met the maker (resting order) at the maker's price."""

    trade_id: int
    taker_order_id: int
    maker_order_id: int
    taker_side: Side
    price: int
    quantity: int
    taker_owner: int
    maker_owner: int
    taker_remaining: int  # lots left, or quote budget left for a market order by quote amount
    maker_remaining: int


@dataclass(frozen=True, slots=True)
class OrderCanceled:
    order_id: int
    owner: int
    side: Side
    price: int
    quantity: int  # what was left on the book and is now released
    reason: CancelReason


@dataclass(frozen=True, slots=True)
class OrderExpired:
    """(Part of) an order left without trading; ``remaining`` > 0 only for STP ``DECREMENT``."""

    order_id: int
    owner: int
    side: Side
    price: int
    quantity: int  # lots expired (0 for a market order by quote amount: see quote_quantity)
    quote_quantity: int  # quote budget expired, for market orders by quote amount
    remaining: int
    reason: ExpireReason
    counter_order_id: int  # the other order of a prevented self-trade, else 0


@dataclass(frozen=True, slots=True)
class OrderAmended:
    order_id: int
    owner: int
    side: Side
    price: int
    new_quantity: int  # the order's new total (original) quantity
    remaining: int  # open quantity after the amend; 0 means the order is now complete
    previous_remaining: int


@dataclass(frozen=True, slots=True)
class OrderRejected:
    reason: RejectReason
    order_id: int = 0  # the order a cancel or amend named, if any


BookEvent = OrderAccepted | OrderFilled | OrderCanceled | OrderExpired | OrderAmended | OrderRejected
