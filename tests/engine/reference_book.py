"""A small, obviously correct order book: a list of resting orders and linear scans.

It states the matching rules in the plainest Python so the compiled kernel can be checked against
it event by event. Speed is irrelevant here; clarity is the point.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine import (
    CancelReason,
    ExpireReason,
    OrderAccepted,
    OrderAmended,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderType,
    RejectReason,
    RestingOrder,
    SelfTradePrevention,
    Side,
    TimeInForce,
)

STP = SelfTradePrevention


@dataclass
class _Order:
    order_id: int
    owner: int
    side: Side
    price: int
    quantity: int
    original: int


class ReferenceBook:
    def __init__(self, min_price: int = 1, max_price: int = 1 << 40, max_quantity: int = 1 << 40) -> None:
        self.min_price, self.max_price, self.max_quantity = min_price, max_price, max_quantity
        self.resting: list[_Order] = []  # in arrival order
        self.next_order_id = 1
        self.next_trade_id = 1

    # ---- queries ----

    def _opposite_in_priority(self, side: Side) -> list[_Order]:
        others = [o for o in self.resting if o.side != side]
        if side == Side.BUY:  # a buyer meets the cheapest asks first
            return sorted(others, key=lambda o: (o.price, o.order_id))
        return sorted(others, key=lambda o: (-o.price, o.order_id))

    def best(self, side: Side) -> int | None:
        prices = [o.price for o in self.resting if o.side == side]
        if not prices:
            return None
        return max(prices) if side == Side.BUY else min(prices)

    def orders(self) -> list[RestingOrder]:
        bids = sorted((o for o in self.resting if o.side == Side.BUY), key=lambda o: (-o.price, o.order_id))
        asks = sorted((o for o in self.resting if o.side == Side.SELL), key=lambda o: (o.price, o.order_id))
        return [RestingOrder(o.order_id, o.owner, o.side, o.price, o.quantity, o.original) for o in bids + asks]

    def _find(self, order_id: int) -> _Order | None:
        return next((o for o in self.resting if o.order_id == order_id), None)

    # ---- commands ----

    def place(
        self,
        side: int,
        order_type: int,
        quantity: int = 0,
        price: int = 0,
        *,
        time_in_force: int = TimeInForce.GTC,
        owner: int = 0,
        stp: int = STP.NONE,
        quote_quantity: int = 0,
    ) -> list:
        qty, quote = quantity, quote_quantity
        if side not in (0, 1) or stp not in range(5) or time_in_force not in (0, 1, 2):
            return [OrderRejected(RejectReason.INVALID_ORDER_PARAMETERS)]
        if order_type == OrderType.MARKET:
            if (qty > 0) == (quote > 0) or qty < 0 or quote < 0 or qty > self.max_quantity:
                return [OrderRejected(RejectReason.INVALID_QUANTITY)]
        elif order_type in (OrderType.LIMIT, OrderType.LIMIT_MAKER):
            if quote != 0:
                return [OrderRejected(RejectReason.INVALID_ORDER_PARAMETERS)]
            if order_type == OrderType.LIMIT_MAKER and time_in_force != TimeInForce.GTC:
                return [OrderRejected(RejectReason.INVALID_ORDER_PARAMETERS)]
            if qty <= 0 or qty > self.max_quantity:
                return [OrderRejected(RejectReason.INVALID_QUANTITY)]
            if not self.min_price <= price <= self.max_price:
                return [OrderRejected(RejectReason.PRICE_OUT_OF_RANGE)]
            opposite = (o for o in self.resting if o.side != side)
            if order_type == OrderType.LIMIT_MAKER and any(self._crosses(side, price, o.price) for o in opposite):
                return [OrderRejected(RejectReason.WOULD_TAKE)]
        else:
            return [OrderRejected(RejectReason.INVALID_ORDER_PARAMETERS)]

        side = Side(side)
        oid = self.next_order_id
        self.next_order_id += 1
        events: list = [
            OrderAccepted(oid, owner, side, OrderType(order_type), TimeInForce(time_in_force), price, qty, quote)
        ]
        market = order_type == OrderType.MARKET
        limit = None if market else price
        fok = order_type == OrderType.LIMIT and time_in_force == TimeInForce.FOK
        if fok and not self._fok_fillable(side, limit, qty, owner, stp):
            events.append(OrderExpired(oid, owner, side, price, qty, 0, 0, ExpireReason.FOK, 0))
            return events

        by_quote = market and quote > 0
        rem, budget = qty, quote
        for maker in self._opposite_in_priority(side):
            if limit is not None and not self._crosses(side, limit, maker.price):
                break
            px = maker.price
            want = budget // px if by_quote else rem
            if want == 0:
                break  # the next whole lot would exceed the quote amount
            if stp != STP.NONE and maker.owner == owner:
                if stp in (STP.EXPIRE_MAKER, STP.EXPIRE_BOTH):
                    events.append(
                        OrderExpired(
                            maker.order_id,
                            maker.owner,
                            maker.side,
                            px,
                            maker.quantity,
                            0,
                            0,
                            ExpireReason.SELF_TRADE_PREVENTION,
                            oid,
                        )
                    )
                    self.resting.remove(maker)
                if stp in (STP.EXPIRE_TAKER, STP.EXPIRE_BOTH):
                    events.append(
                        OrderExpired(
                            oid,
                            owner,
                            side,
                            px,
                            0 if by_quote else rem,
                            budget if by_quote else 0,
                            0,
                            ExpireReason.SELF_TRADE_PREVENTION,
                            maker.order_id,
                        )
                    )
                    return events
                if stp == STP.DECREMENT:
                    prevented = min(want, maker.quantity)
                    maker.quantity -= prevented
                    events.append(
                        OrderExpired(
                            maker.order_id,
                            maker.owner,
                            maker.side,
                            px,
                            prevented,
                            0,
                            maker.quantity,
                            ExpireReason.SELF_TRADE_PREVENTION,
                            oid,
                        )
                    )
                    if maker.quantity == 0:
                        self.resting.remove(maker)
                    if by_quote:
                        budget -= prevented * px
                        events.append(
                            OrderExpired(
                                oid,
                                owner,
                                side,
                                px,
                                0,
                                prevented * px,
                                budget,
                                ExpireReason.SELF_TRADE_PREVENTION,
                                maker.order_id,
                            )
                        )
                        if maker.quantity > 0:
                            break  # still the best price, and another lot would exceed the quote
                    else:
                        rem -= prevented
                        events.append(
                            OrderExpired(
                                oid,
                                owner,
                                side,
                                px,
                                prevented,
                                0,
                                rem,
                                ExpireReason.SELF_TRADE_PREVENTION,
                                maker.order_id,
                            )
                        )
                        if rem == 0:
                            return events
                continue
            fill = min(want, maker.quantity)
            maker.quantity -= fill
            if by_quote:
                budget -= fill * px
            else:
                rem -= fill
            events.append(
                OrderFilled(
                    self.next_trade_id,
                    oid,
                    maker.order_id,
                    side,
                    px,
                    fill,
                    owner,
                    maker.owner,
                    budget if by_quote else rem,
                    maker.quantity,
                )
            )
            self.next_trade_id += 1
            if maker.quantity == 0:
                self.resting.remove(maker)
            elif by_quote:
                break  # this maker is still the best price and another lot would exceed the quote
            if not by_quote and rem == 0:
                return events

        if market:
            if by_quote and budget > 0:
                events.append(OrderExpired(oid, owner, side, 0, 0, budget, 0, ExpireReason.NO_LIQUIDITY, 0))
            elif not by_quote and rem > 0:
                events.append(OrderExpired(oid, owner, side, 0, rem, 0, 0, ExpireReason.NO_LIQUIDITY, 0))
        elif time_in_force in (TimeInForce.IOC, TimeInForce.FOK):
            reason = ExpireReason.IOC if time_in_force == TimeInForce.IOC else ExpireReason.FOK
            events.append(OrderExpired(oid, owner, side, price, rem, 0, 0, reason, 0))
        else:
            self.resting.append(_Order(oid, owner, side, price, rem, qty))
        return events

    @staticmethod
    def _crosses(side: int, limit: int, maker_price: int) -> bool:
        return maker_price <= limit if side == Side.BUY else maker_price >= limit

    def _fok_fillable(self, side: Side, limit: int, qty: int, owner: int, stp: int) -> bool:
        avail = 0
        for maker in self._opposite_in_priority(side):
            if not self._crosses(side, limit, maker.price) or avail >= qty:
                break
            if stp != STP.NONE and maker.owner == owner:
                if stp == STP.EXPIRE_MAKER:
                    continue  # it would be expired, not traded
                break  # the taker would stop (or shrink) here
            avail += maker.quantity
        return avail >= qty

    def cancel(self, order_id: int, reason: CancelReason = CancelReason.USER) -> list:
        o = self._find(order_id)
        if o is None:
            return [OrderRejected(RejectReason.UNKNOWN_ORDER, order_id)]
        self.resting.remove(o)
        return [OrderCanceled(o.order_id, o.owner, o.side, o.price, o.quantity, reason)]

    def cancel_all(self, owner: int) -> list:
        ids = sorted(o.order_id for o in self.resting if o.owner == owner)
        return [e for oid in ids for e in self.cancel(oid, CancelReason.CANCEL_ALL)]

    def amend(self, order_id: int, new_quantity: int) -> list:
        o = self._find(order_id)
        if o is None:
            return [OrderRejected(RejectReason.UNKNOWN_ORDER, order_id)]
        if not 0 < new_quantity < o.original:
            return [OrderRejected(RejectReason.INVALID_AMEND_QUANTITY, order_id)]
        executed = o.original - o.quantity
        new_rem = max(new_quantity - executed, 0)
        event = OrderAmended(o.order_id, o.owner, o.side, o.price, new_quantity, new_rem, o.quantity)
        if new_rem == 0:
            self.resting.remove(o)
        else:
            o.quantity, o.original = new_rem, new_quantity
        return [event]
