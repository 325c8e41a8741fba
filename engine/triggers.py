"""Stop orders waiting for their trigger price, outside the book.

Binance's rules: a stop triggers when the last trade price reaches its stop price. A BUY
STOP_LOSS(_LIMIT) and a SELL TAKE_PROFIT(_LIMIT) wait for the price to rise to the stop; a SELL
STOP_LOSS(_LIMIT) and a BUY TAKE_PROFIT(_LIMIT) for it to fall. Due stops fire one at a time in
the order the price reached them (nearest stop first, then oldest order), because each one's
execution moves the price the next is judged against.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

from sortedcontainers import SortedList

from .enums import OrderType, SelfTradePrevention, Side, TimeInForce

NO_TRIGGER_UP = (1 << 63) - 1
NO_TRIGGER_DOWN = 0


def restore_fields(obj: object, names: Sequence[str], state: Sequence[object]) -> None:
    """Restore a frozen slotted dataclass from its pickled field values, dropping the one value more
    (a trailing client order id) of the layout pickled before client order ids left the engine."""
    if len(state) == len(names) + 1:
        state = state[:-1]
    for name, value in zip(names, state, strict=True):
        object.__setattr__(obj, name, value)


def rises(side: Side, order_type: OrderType) -> bool:
    """Whether this stop waits for the price to rise to its stop price."""
    stop_loss = order_type in (OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT)
    return (side == Side.BUY) == stop_loss


@dataclass(frozen=True, slots=True)
class StopOrder:
    order_id: int
    account: int
    side: Side
    order_type: OrderType
    quantity: int  # base units
    price: int  # quote units (0 for STOP_LOSS / TAKE_PROFIT: they execute at market)
    stop_price: int  # quote units
    stop_ticks: int
    time_in_force: TimeInForce
    stp: SelfTradePrevention
    lock: int  # units locked while waiting (quote for a buy, base for a sell)

    def __setstate__(self, state: Sequence[object]) -> None:
        """Snapshots pickle waiting stops; one written before client order ids left the engine has
        a last value more (that id), dropped here so the snapshot still loads."""
        restore_fields(self, [f.name for f in fields(self)], state)

    @property
    def book_type(self) -> OrderType:
        """What enters the book when it triggers."""
        if self.order_type in (OrderType.STOP_LOSS, OrderType.TAKE_PROFIT):
            return OrderType.MARKET
        return OrderType.LIMIT


class TriggerBook:
    """One market's waiting stop orders, indexed by trigger direction and price."""

    __slots__ = ("_falling", "_rising", "orders")

    def __init__(self) -> None:
        self.orders: dict[int, StopOrder] = {}
        self._rising = SortedList()  # (stop ticks, order id): fire when last >= stop
        self._falling = SortedList()  # (-stop ticks, order id): fire when last <= stop

    def __len__(self) -> int:
        return len(self.orders)

    def add(self, stop: StopOrder) -> None:
        self.orders[stop.order_id] = stop
        self._index(stop).add(self._key(stop))

    def remove(self, order_id: int) -> StopOrder | None:
        stop = self.orders.pop(order_id, None)
        if stop is not None:
            self._index(stop).remove(self._key(stop))
        return stop

    def pop_due(self, last: int) -> StopOrder | None:
        """The next stop the last trade price ``last`` (ticks) has reached, removed; else None."""
        if last <= 0:
            return None
        if self._rising and self._rising[0][0] <= last:
            return self.remove(self._rising[0][1])
        if self._falling and -self._falling[0][0] >= last:
            return self.remove(self._falling[0][1])
        return None

    def thresholds(self) -> tuple[int, int]:
        """(lowest rising stop, highest falling stop) in ticks, for the compiled trigger check."""
        up = self._rising[0][0] if self._rising else NO_TRIGGER_UP
        down = -self._falling[0][0] if self._falling else NO_TRIGGER_DOWN
        return up, down

    def of_account(self, account: int) -> list[StopOrder]:
        """The account's stops, oldest first."""
        return sorted((s for s in self.orders.values() if s.account == account), key=lambda s: s.order_id)

    def _index(self, stop: StopOrder) -> SortedList:
        return self._rising if rises(stop.side, stop.order_type) else self._falling

    @staticmethod
    def _key(stop: StopOrder) -> tuple[int, int]:
        ticks = stop.stop_ticks if rises(stop.side, stop.order_type) else -stop.stop_ticks
        return (ticks, stop.order_id)
