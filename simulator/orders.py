"""What the venue remembers about orders and trades beyond the engine's open book.

The engine keeps only open orders; Binance answers for every order an account ever placed
(``allOrders``, ``GET order`` on a filled order) and every trade it made (``myTrades``). These
records are updated from the engine's events and copied out for rendering, so a response never
sees a record change under it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine import OrderType, SelfTradePrevention, Side, TimeInForce

OPEN_STATUSES = frozenset({"NEW", "PARTIALLY_FILLED"})


class OrderRecord:
    """One order as Binance reports it; amounts in asset units."""

    __slots__ = (
        "account",
        "client_order_id",
        "cummulative_quote_qty",
        "executed_qty",
        "order_id",
        "order_type",
        "orig_qty",
        "orig_quote_qty",
        "prevented_qty",
        "price",
        "side",
        "status",
        "stop_price",
        "stp",
        "symbol",
        "time",
        "time_in_force",
        "update_time",
        "working_time",
    )

    def __init__(
        self,
        symbol: str,
        order_id: int,
        account: int,
        client_order_id: str,
        side: Side,
        order_type: OrderType,
        time_in_force: TimeInForce,
        price: int,
        orig_qty: int,
        orig_quote_qty: int,
        stop_price: int,
        stp: SelfTradePrevention,
        time: int,
    ) -> None:
        self.symbol = symbol
        self.order_id = order_id
        self.account = account
        self.client_order_id = client_order_id
        self.side = side
        self.order_type = order_type
        self.time_in_force = time_in_force
        self.price = price
        self.orig_qty = orig_qty
        self.orig_quote_qty = orig_quote_qty
        self.stop_price = stop_price
        self.stp = stp
        self.executed_qty = 0
        self.cummulative_quote_qty = 0
        self.prevented_qty = 0
        self.status = "NEW"
        self.time = time
        self.update_time = time
        self.working_time = -1 if stop_price else time

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def copy(self) -> OrderRecord:
        dup = OrderRecord.__new__(OrderRecord)
        for name in OrderRecord.__slots__:
            setattr(dup, name, getattr(self, name))
        return dup

    def __repr__(self) -> str:
        return (
            f"OrderRecord({self.symbol} #{self.order_id} {self.side.name} {self.order_type.name} "
            f"{self.status} qty={self.orig_qty} executed={self.executed_qty})"
        )


@dataclass(frozen=True, slots=True)
class Fill:
    """One trade of an order, from that order's side: what ``FULL`` responses and ``myTrades`` show."""

    symbol: str
    trade_id: int
    order_id: int
    price: int
    qty: int
    quote_qty: int
    commission: int
    commission_asset: str
    time: int
    is_buyer: bool
    is_maker: bool


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """A new order as the venue takes it: parsed, in asset units, not yet checked by the engine."""

    symbol: str
    side: Side
    order_type: OrderType
    time_in_force: TimeInForce
    quantity: int
    price: int
    quote_quantity: int
    stop_price: int
    client_order_id: str | None
    stp: SelfTradePrevention
    resp_type: str  # ACK, RESULT or FULL
    # a partial_fill fault (simulator/faults.py): fill at most this much at once and expire the rest,
    # in the units the order is sized in (quote units for quoteOrderQty, else base units); part of
    # the request so that the journal, which replays calls from their arguments, replays it too
    fill_cap: int | None = None

    def __reduce__(self) -> tuple[Callable[..., OrderRequest], tuple[object, ...]]:
        """Pickled as plain values: every order's journal record goes through this, and the
        default (a state dict, an enum reduce each) costs three times as much."""
        return (_order_request, tuple(self.to_record()))

    def to_record(self) -> list[object]:
        """Its journal record form (simulator/records.py): plain values, enums by value."""
        return [
            self.symbol,
            self.side.value,
            self.order_type.value,
            self.time_in_force.value,
            self.quantity,
            self.price,
            self.quote_quantity,
            self.stop_price,
            self.client_order_id,
            self.stp.value,
            self.resp_type,
            self.fill_cap,
        ]

    @staticmethod
    def from_record(values: list[Any]) -> OrderRequest:
        return _order_request(*values)


_SIDES: dict[int, Side] = {m.value: m for m in Side}
_TYPES: dict[int, OrderType] = {m.value: m for m in OrderType}
_TIFS: dict[int, TimeInForce] = {m.value: m for m in TimeInForce}
_STPS: dict[int, SelfTradePrevention] = {m.value: m for m in SelfTradePrevention}


def _order_request(
    symbol: str,
    side: int,
    order_type: int,
    tif: int,
    quantity: int,
    price: int,
    quote_quantity: int,
    stop_price: int,
    client_id: str | None,
    stp: int,
    resp_type: str,
    fill_cap: int | None,
) -> OrderRequest:
    return OrderRequest(
        symbol,
        _SIDES[side],
        _TYPES[order_type],
        _TIFS[tif],
        quantity,
        price,
        quote_quantity,
        stop_price,
        client_id,
        _STPS[stp],
        resp_type,
        fill_cap,
    )


@dataclass(frozen=True, slots=True)
class Placement:
    order: OrderRecord
    fills: list[Fill]
    transact_time: int
