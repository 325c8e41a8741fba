"""Events: what happened, in the order it happened (immutable, past tense).

Events are named tuples rather than frozen dataclasses: an engine emits millions of them and a
named tuple is built several times faster. Equality also compares the event type, so an
``OrderCanceled`` never equals an ``OrderExpired`` with the same fields.

Units: ``OrderBook`` speaks its own ticks and lots (quote amounts in tick·lots); ``Engine``
speaks asset units (prices in quote units per whole base coin, quantities in base units, quote
amounts in quote units) and fills the ``market`` field.
"""

from __future__ import annotations

from typing import NamedTuple

from .enums import CancelReason, ExpireReason, MarketStatus, OrderType, Side, TimeInForce
from .errors import RejectReason


class OrderAccepted(NamedTuple):
    order_id: int
    owner: int
    side: Side
    order_type: OrderType
    time_in_force: TimeInForce
    price: int
    quantity: int
    quote_quantity: int
    market: str = ""
    stop_price: int = 0  # > 0: a stop order, waiting for its trigger


class OrderFilled(NamedTuple):
    """One trade: the taker (incoming order) met the maker (resting order) at the maker's price."""

    trade_id: int
    taker_order_id: int
    maker_order_id: int
    taker_side: Side
    price: int
    quantity: int
    taker_owner: int
    maker_owner: int
    taker_remaining: int  # quantity left, or quote budget left for a market order by quote amount
    maker_remaining: int
    market: str = ""
    quote_quantity: int = 0  # price x quantity in quote units
    taker_fee: int = 0  # in units of the asset the taker received
    maker_fee: int = 0  # in units of the asset the maker received


class OrderCanceled(NamedTuple):
    order_id: int
    owner: int
    side: Side
    price: int
    quantity: int  # what was left on the book and is now released
    reason: CancelReason
    market: str = ""


class OrderExpired(NamedTuple):
    """(Part of) an order left without trading; ``remaining`` > 0 only for STP ``DECREMENT``."""

    order_id: int
    owner: int
    side: Side
    price: int
    quantity: int  # quantity expired (0 for a market order by quote amount: see quote_quantity)
    quote_quantity: int  # quote budget expired, for market orders by quote amount
    remaining: int
    reason: ExpireReason
    counter_order_id: int  # the other order of a prevented self-trade, else 0
    market: str = ""
    detail: RejectReason | None = None  # the failed check, for REJECTED_ON_TRIGGER


class OrderAmended(NamedTuple):
    order_id: int
    owner: int
    side: Side
    price: int
    new_quantity: int  # the order's new total (original) quantity
    remaining: int  # open quantity after the amend; 0 means the order is now complete
    previous_remaining: int
    market: str = ""


class OrderRejected(NamedTuple):
    reason: RejectReason
    order_id: int = 0  # the order a cancel or amend named, if any
    market: str = ""


class StopTriggered(NamedTuple):
    """A stop order's trigger was reached; its order follows (accepted, then fills or expiry)."""

    order_id: int
    owner: int
    market: str
    stop_price: int
    last_price: int


class CommandRejected(NamedTuple):
    """A command that is not about an order (deposit, withdrawal, listing...) was refused."""

    reason: RejectReason


class BalanceChanged(NamedTuple):
    """Free balance in (amount > 0) or out (amount < 0): a deposit, a withdrawal or a transfer leg."""

    account: int
    asset: str
    amount: int
    free: int


class Borrowed(NamedTuple):
    """A loan grew: ``amount`` moved from the pool to the borrower's free balance."""

    account: int
    asset: str
    amount: int
    principal: int  # owed after the change
    interest: int
    time: int


class Repaid(NamedTuple):
    """A loan shrank: interest is paid first, then principal; the amounts moved to the pool."""

    account: int
    asset: str
    interest_paid: int
    principal_paid: int
    principal: int  # owed after the change
    interest: int
    time: int


class InterestCharged(NamedTuple):
    """One hour's interest added to a loan (``on_borrow``: the first hour, charged when borrowing)."""

    account: int
    asset: str
    amount: int
    principal: int  # the principal it was charged on
    interest: int  # unpaid interest after the charge
    daily_rate: int  # over RATE_DENOM
    time: int  # the hour it was charged for (the borrow time for the first hour)
    on_borrow: bool


class DebtWrittenOff(NamedTuple):
    """A liability closed without the borrower paying it: ``covered`` came from ``payer``
    (the insurance fund) to the pool, the rest is the pool's loss."""

    account: int
    asset: str
    principal: int
    interest: int
    covered: int
    payer: int
    time: int


class InterestRateChanged(NamedTuple):
    asset: str
    daily_rate: int  # over RATE_DENOM


class AssetListed(NamedTuple):
    asset: str


class MarketListed(NamedTuple):
    market: str


class MarketStatusChanged(NamedTuple):
    market: str
    status: MarketStatus


class FeeRatesChanged(NamedTuple):
    account: int
    maker_rate: int
    taker_rate: int


BookEvent = OrderAccepted | OrderFilled | OrderCanceled | OrderExpired | OrderAmended | OrderRejected
Event = (
    BookEvent
    | StopTriggered
    | CommandRejected
    | BalanceChanged
    | Borrowed
    | Repaid
    | InterestCharged
    | DebtWrittenOff
    | InterestRateChanged
    | AssetListed
    | MarketListed
    | MarketStatusChanged
    | FeeRatesChanged
)


def _typed_eq(self: tuple[object, ...], other: object) -> bool:
    return type(self) is type(other) and tuple.__eq__(self, other)


def _typed_ne(self: tuple[object, ...], other: object) -> bool:
    return not _typed_eq(self, other)


def _typed_hash(self: tuple[object, ...]) -> int:
    return hash((type(self).__name__, tuple(self)))


for _cls in Event.__args__:
    _cls.__eq__, _cls.__ne__, _cls.__hash__ = _typed_eq, _typed_ne, _typed_hash
