"""The exchange façade: ``Engine.apply(command) -> list[Event]``.

Deterministic and pure: the same commands give the same events and the same ``fingerprint()``.
Order commands run in one compiled call per command (checks, matching, settlement, fees: see
``_exchange``); this module keeps what is rare or keyed by text: markets and assets by name,
stop orders waiting for their trigger, deposits and withdrawals. Orders are named by id only:
client order ids are the venue's.
Every check runs before any change, so a rejected command leaves the state as it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import TypeVar, cast

import numpy as np

from . import _exchange as x
from . import _kernel as k
from .book import OrderBook, batch_buffer
from .commands import (
    AmendOrder,
    Borrow,
    CancelAllOrders,
    CancelOrder,
    ChargeInterest,
    Command,
    Deposit,
    ListAsset,
    ListMarket,
    PlaceOrder,
    Repay,
    SetFeeRates,
    SetInterestRate,
    SetMarketStatus,
    Transfer,
    Withdraw,
    WriteOff,
)
from .enums import CancelReason, ExpireReason, MarketStatus, OrderType, SelfTradePrevention, Side, TimeInForce
from .errors import InvariantViolation, RejectReason
from .events import (
    AssetListed,
    BalanceChanged,
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
from .fees import valid_rate
from .ledger import MAX_ACCOUNT_ID, Ledger
from .lending import Lending
from .margin import Loan
from .specs import AssetSpec, MarketSpec
from .triggers import StopOrder, TriggerBook, restore_fields
from .units import INT64_SAFE

_SIDES = tuple(Side)
_REASONS = {int(r): r for r in RejectReason}
_CANCEL_REASONS = {int(r): r for r in CancelReason}
_EXPIRE_REASONS = {int(r): r for r in ExpireReason}
_STATUSES = {int(s): s for s in MarketStatus}
_FILL, _EXPIRED, _CANCELED, _AMENDED, _REJECTED = k.EV_FILL, k.EV_EXPIRED, k.EV_CANCELED, k.EV_AMENDED, k.EV_REJECTED
_ex_one = x.ex_one


@dataclass(frozen=True, slots=True)
class Balance:
    free: int
    locked: int


@dataclass(frozen=True, slots=True)
class OpenOrder:
    """An order on the book, in asset units."""

    order_id: int
    account: int
    side: Side
    price: int
    quantity: int  # open (remaining)
    original_quantity: int

    def __setstate__(self, state: Sequence[object]) -> None:
        """Loads the layout pickled before client order ids left the engine too (one value more)."""
        restore_fields(self, [f.name for f in fields(self)], state)


_RETIRED_SLOTS = frozenset({"client_ids", "client_of"})  # of markets pickled by earlier versions


class _Market:
    """One listed market: its spec, compiled book and waiting stops."""

    __slots__ = (
        "base",
        "book",
        "factor",
        "index",
        "last_rows",
        "lot",
        "quote",
        "spec",
        "tick",
        "triggers",
    )

    def __init__(self, spec: MarketSpec, index: int, base: int, quote: int) -> None:
        self.spec = spec
        self.index = index
        self.base, self.quote = base, quote  # asset indexes in the ledger
        self.tick = spec.price_filter.tick_size
        self.lot = spec.lot_size.step_size
        self.factor = spec.notional_factor
        self.book = OrderBook(spec.min_tick, spec.max_tick, max_quantity=spec.lot_size.max_qty // self.lot)
        self.triggers = TriggerBook()
        self.last_rows = 0  # rows the last compiled call left in ``book._out``

    def __setstate__(self, state: tuple[None, Mapping[str, object]]) -> None:
        """Snapshots pickle the whole engine; a market pickled before client order ids left the
        engine also holds its client id maps, dropped here so that snapshot still loads."""
        _, slots = state
        for name, value in slots.items():
            if name not in _RETIRED_SLOTS:
                setattr(self, name, value)

    @property
    def st(self) -> np.ndarray:
        return self.book._st

    def write_rules(self, ledger: Ledger) -> None:
        """Put the market's rules, in ticks and lots, where the compiled checks read them."""
        s, st, lot = self.spec, self.st, self.lot
        mls, n, pp = s.market_lot_size, s.notional, s.percent_price
        st[x.M_TICK], st[x.M_LOT], st[x.M_FACTOR] = self.tick, lot, self.factor
        st[x.M_MIN_Q], st[x.M_MAX_Q] = s.lot_size.min_qty // lot, s.lot_size.max_qty // lot
        st[x.M_MKT_MIN_Q], st[x.M_MKT_MAX_Q] = mls.min_qty // lot, mls.max_qty // lot
        st[x.M_MKT_STEP] = mls.step_size // lot
        st[x.M_MIN_NOTIONAL], st[x.M_MAX_NOTIONAL] = n.min_notional, n.max_notional
        st[x.M_NOTIONAL_MARKET] = int(n.apply_min_to_market) | 2 * int(n.apply_max_to_market)
        st[x.M_NOTIONAL_MINS] = n.avg_price_mins
        if pp is not None:
            st[x.M_PP], st[x.M_PP_MINS] = 1, pp.avg_price_mins
            st[x.M_BID_UP], st[x.M_BID_DOWN] = pp.bid_multiplier_up, pp.bid_multiplier_down
            st[x.M_ASK_UP], st[x.M_ASK_DOWN] = pp.ask_multiplier_up, pp.ask_multiplier_down
        st[x.M_MAX_ORDERS], st[x.M_MAX_ALGO] = s.max_num_orders, s.max_num_algo_orders
        st[x.M_TYPES] = sum(1 << int(t) for t in s.order_types)
        st[x.M_STATUS] = int(s.status)
        self.write_columns(ledger)
        self.write_thresholds()

    def write_columns(self, ledger: Ledger) -> None:
        st = self.st
        st[x.M_BASE], st[x.M_QUOTE] = ledger.free_col(self.base), ledger.free_col(self.quote)
        st[x.M_COUNT] = ledger.count_col(self.index)

    def write_thresholds(self) -> None:
        self.st[x.M_TRIG_UP], self.st[x.M_TRIG_DOWN] = self.triggers.thresholds()

    def rows(self, n: int) -> list[list[int]]:
        """The event rows the last compiled call wrote, as Python ints."""
        rows: list[list[int]] = self.book._out[:n].tolist()
        return rows

    def decode(self, rows: list[list[int]], quote_taker: int = 0) -> list[Event]:
        """Event objects in asset units from compiled event rows; ``quote_taker`` is the id of a
        market order by quote amount, whose remaining amounts are quote, not base."""
        events: list[Event] = []
        append = events.append
        tick, lot, f, sym = self.tick, self.lot, self.factor, self.spec.symbol
        for kind, oid, other, price, qty, owner, oowner, rem, mrem, tid, side, reason, x1, x2 in rows:
            if kind == _FILL:
                append(
                    OrderFilled(
                        tid,
                        oid,
                        other,
                        _SIDES[side],
                        price * tick,
                        qty * lot,
                        owner,
                        oowner,
                        rem * (f if quote_taker else lot),
                        mrem * lot,
                        sym,
                        price * qty * f,
                        x1,
                        x2,
                    )
                )
            elif kind == _EXPIRED:
                append(
                    OrderExpired(
                        oid,
                        owner,
                        _SIDES[side],
                        price * tick,
                        qty * lot,
                        tid * f,
                        rem * (f if oid == quote_taker else lot),
                        _EXPIRE_REASONS[reason],
                        other,
                        sym,
                    )
                )
            elif kind == _CANCELED:
                append(OrderCanceled(oid, owner, _SIDES[side], price * tick, qty * lot, _CANCEL_REASONS[reason], sym))
            elif kind == _AMENDED:
                append(OrderAmended(oid, owner, _SIDES[side], price * tick, qty * lot, rem * lot, mrem * lot, sym))
            elif kind == _REJECTED:
                append(OrderRejected(_REASONS[reason], oid, sym))
            else:
                raise InvariantViolation(f"unexpected event row kind {kind} after the first row")
        return events


Handler = Callable[[Command], list[Event]]
_C = TypeVar("_C", bound=Command)


def _handler(kind: type[_C], handle: Callable[[_C], list[Event]]) -> tuple[type, Handler]:
    """A command type and its handler, checked to belong together: ``apply`` looks the handler up
    by the command's own type, so it is only ever called with that type."""
    return kind, cast(Handler, handle)


class Engine:
    """A deterministic exchange: markets, accounts, balances, fees, stop orders.

    Amounts are integers in asset units (see ``commands``). Time comes only from commands.
    """

    def __init__(self) -> None:
        self._ledger = Ledger()
        self._markets: dict[str, _Market] = {}
        self._ledger.on_relayout(self._rewrite_columns)
        self._lending = Lending(self._ledger)
        self._handlers: dict[type, Handler] = dict(
            [
                _handler(PlaceOrder, self._place),
                _handler(CancelOrder, self._cancel),
                _handler(CancelAllOrders, self._cancel_all),
                _handler(AmendOrder, self._amend),
                _handler(Deposit, self._deposit),
                _handler(Withdraw, self._withdraw),
                _handler(Transfer, self._transfer),
                _handler(Borrow, self._lending.borrow),
                _handler(Repay, self._lending.repay),
                _handler(ChargeInterest, self._lending.charge),
                _handler(WriteOff, self._lending.write_off),
                _handler(SetInterestRate, self._lending.set_rate),
                _handler(ListAsset, self._list_asset),
                _handler(ListMarket, self._list_market),
                _handler(SetMarketStatus, self._set_status),
                _handler(SetFeeRates, self._set_fees),
            ]
        )

    def apply(self, command: Command) -> list[Event]:
        """Apply one command; returns what happened (a single rejection event if it was refused)."""
        handler = self._handlers.get(type(command))
        if handler is None:
            raise TypeError(f"not an engine command: {type(command).__name__}")
        return handler(command)

    # ---- orders ------------------------------------------------------------------------------

    def _run(
        self,
        mk: _Market,
        kind: int,
        acct: int,
        side: int,
        otype: int,
        tif: int,
        price: int,
        qty: int,
        quote: int,
        stop: int,
        stp: int,
        oid: int,
        now: int,
    ) -> int:
        """One compiled exchange call, growing the book when it asks; returns the rows written."""
        book = mk.book
        n = _ex_one(
            book._st,
            self._ledger.array,
            book._out,
            kind,
            acct,
            side,
            otype,
            tif,
            price,
            qty,
            quote,
            stop,
            stp,
            oid,
            now,
        )
        while n == k.NEED_GROWTH:
            book._grow()
            n = _ex_one(
                book._st,
                self._ledger.array,
                book._out,
                kind,
                acct,
                side,
                otype,
                tif,
                price,
                qty,
                quote,
                stop,
                stp,
                oid,
                now,
            )
        if n == x.BOOK_REJECTED:
            raise InvariantViolation(f"{mk.spec.symbol}: the book refused an order every check had passed")
        mk.last_rows = n
        return n

    def _place(self, c: PlaceOrder) -> list[Event]:
        mk = self._markets.get(c.market)
        if mk is None:
            return [OrderRejected(RejectReason.UNKNOWN_MARKET, 0, c.market)]
        try:  # plain ints: numba's type dispatch on enum members costs several microseconds per call
            n = self._run(
                mk,
                x.X_PLACE,
                c.account,
                int(c.side),
                int(c.order_type),
                int(c.time_in_force),
                c.price,
                c.quantity,
                c.quote_quantity,
                c.stop_price,
                int(c.stp),
                0,
                c.time,
            )
        except OverflowError:  # a number beyond int64 never reaches compiled code
            return [OrderRejected(_out_of_range(c), 0, c.market)]
        rows = mk.rows(n)
        first = rows[0]
        if first[k.E_KIND] == k.EV_REJECTED:
            return [OrderRejected(_REASONS[first[k.E_REASON]], 0, c.market)]
        oid = first[k.E_OID]
        accepted = OrderAccepted(
            oid,
            c.account,
            c.side,
            c.order_type,
            c.time_in_force,
            c.price,
            c.quantity,
            c.quote_quantity,
            c.market,
            c.stop_price,
        )
        if c.stop_price:
            self._file_stop(mk, c, oid, first[k.E_X1], first[k.E_X2])
            return [accepted]
        events: list[Event] = [accepted]
        events += mk.decode(rows[1:], oid if c.quote_quantity else 0)
        if mk.triggers.orders and x.trigger_reached(mk.st):
            self._fire(mk, c.time, events)
        return events

    def check(self, c: PlaceOrder) -> RejectReason | None:
        """Why ``apply(c)`` would be rejected right now, or None if it would be accepted; changes nothing."""
        mk = self._markets.get(c.market)
        if mk is None:
            return RejectReason.UNKNOWN_MARKET
        try:
            n = self._run(
                mk,
                x.X_CHECK,
                c.account,
                int(c.side),
                int(c.order_type),
                int(c.time_in_force),
                c.price,
                c.quantity,
                c.quote_quantity,
                c.stop_price,
                int(c.stp),
                0,
                c.time,
            )
        except OverflowError:
            return _out_of_range(c)
        return _REASONS[int(mk.book._out[0, k.E_REASON])] if n else None

    def requirement(self, c: PlaceOrder) -> tuple[RejectReason | None, str, int]:
        """What ``c`` would lock if its account had unlimited funds of the asset it spends:
        (why it would still be refused or None, that asset, the units). Changes nothing; margin
        orders that borrow what they lack ask this first."""
        mk = self._markets.get(c.market)
        if mk is None:
            return RejectReason.UNKNOWN_MARKET, "", 0
        asset = mk.spec.quote.code if c.side == Side.BUY else mk.spec.base.code
        if not self._ledger.is_live(c.account):
            return RejectReason.UNKNOWN_ACCOUNT, asset, 0
        col = self._ledger.free_col(mk.quote if c.side == Side.BUY else mk.base)
        arr = self._ledger.array
        saved = int(arr[c.account, col])
        arr[c.account, col] = INT64_SAFE
        try:
            reason = self.check(c)
        finally:
            arr[c.account, col] = saved
        return reason, asset, (0 if reason else int(mk.book._out[0, k.E_X1]))

    def _file_stop(self, mk: _Market, c: PlaceOrder, oid: int, lock: int, stop_ticks: int) -> None:
        mk.triggers.add(
            StopOrder(
                oid,
                c.account,
                c.side,
                c.order_type,
                c.quantity,
                c.price,
                c.stop_price,
                stop_ticks,
                c.time_in_force,
                c.stp,
                lock,
            )
        )
        mk.write_thresholds()

    def _release_stop(self, mk: _Market, stop: StopOrder) -> None:
        """Give a stop order's lock back and drop it from the open stop count."""
        col = mk.st[x.M_QUOTE] if stop.side == Side.BUY else mk.st[x.M_BASE]
        self._ledger.move_to_free(stop.account, int(col), stop.lock)
        self._ledger.array[stop.account, mk.st[x.M_COUNT] + 1] -= 1
        mk.write_thresholds()

    def _fire(
        self, mk: _Market, now: int, events: list[Event] | None, sink: Callable[[np.ndarray], None] | None = None
    ) -> int:
        """Trigger due stops one by one: each enters the book as a new order with its own id.

        Events are appended to ``events``; in batch mode the raw rows go to ``sink`` instead.
        Returns the number of rows the triggered orders produced."""
        st = mk.st
        count = 0
        while (stop := mk.triggers.pop_due(int(st[x.M_LAST]))) is not None:
            self._release_stop(mk, stop)
            if events is not None:
                events.append(
                    StopTriggered(
                        stop.order_id, stop.account, mk.spec.symbol, stop.stop_price, int(st[x.M_LAST]) * mk.tick
                    )
                )
            book_type = stop.book_type
            n = self._run(
                mk,
                x.X_PLACE,
                stop.account,
                int(stop.side),
                int(book_type),
                int(stop.time_in_force),
                stop.price,
                stop.quantity,
                0,
                0,
                int(stop.stp),
                stop.order_id,
                now,
            )
            count += n
            if sink is not None:
                sink(mk.book._out[:n])
            rows = mk.rows(n)
            if events is None:
                continue
            rejected = rows[0][k.E_KIND] == k.EV_REJECTED
            if rejected:
                events.append(
                    OrderExpired(
                        stop.order_id,
                        stop.account,
                        stop.side,
                        stop.price,
                        stop.quantity,
                        0,
                        0,
                        ExpireReason.REJECTED_ON_TRIGGER,
                        0,
                        mk.spec.symbol,
                        _REASONS[rows[0][k.E_REASON]],
                    )
                )
            else:
                events.append(
                    OrderAccepted(
                        stop.order_id,
                        stop.account,
                        stop.side,
                        book_type,
                        stop.time_in_force,
                        stop.price,
                        stop.quantity,
                        0,
                        mk.spec.symbol,
                    )
                )
                events += mk.decode(rows[1:])
        return count

    def _named_order(self, c: CancelOrder | AmendOrder) -> tuple[_Market, int, StopOrder | None] | OrderRejected:
        """The market and order id a cancel or amend names, and the order if it is one of the
        account's waiting stops."""
        mk = self._markets.get(c.market)
        if mk is None:
            return OrderRejected(RejectReason.UNKNOWN_MARKET, c.order_id, c.market)
        oid = c.order_id
        stop = mk.triggers.orders.get(oid)
        return mk, oid, stop if stop is not None and stop.account == c.account else None

    def _cancel(self, c: CancelOrder) -> list[Event]:
        named = self._named_order(c)
        if isinstance(named, OrderRejected):
            return [named]
        mk, oid, stop = named
        if stop is not None:
            return [self._cancel_stop(mk, stop, CancelReason.USER)]
        try:
            n = self._run(mk, x.X_CANCEL, c.account, 0, 0, 0, 0, 0, 0, 0, 0, oid, c.time)
        except OverflowError:  # no order has such an id or owner
            return [OrderRejected(RejectReason.UNKNOWN_ORDER, c.order_id, c.market)]
        events = mk.decode(mk.rows(n))
        if isinstance(events[0], OrderRejected):
            return [OrderRejected(RejectReason.UNKNOWN_ORDER, c.order_id, c.market)]
        return events

    def _cancel_stop(self, mk: _Market, stop: StopOrder, reason: CancelReason) -> OrderCanceled:
        mk.triggers.remove(stop.order_id)
        self._release_stop(mk, stop)
        return OrderCanceled(stop.order_id, stop.account, stop.side, stop.price, stop.quantity, reason, mk.spec.symbol)

    def _cancel_all(self, c: CancelAllOrders) -> list[Event]:
        mk = self._markets.get(c.market)
        if mk is None:
            return [OrderRejected(RejectReason.UNKNOWN_MARKET, 0, c.market)]
        stops = mk.triggers.of_account(c.account)
        events: list[Event] = [self._cancel_stop(mk, s, CancelReason.CANCEL_ALL) for s in stops]
        try:
            n = self._run(mk, x.X_CANCEL_ALL, c.account, 0, 0, 0, 0, 0, 0, 0, 0, 0, c.time)
        except OverflowError:  # no such account has orders
            return events
        events += mk.decode(mk.rows(n))
        return events

    def _amend(self, c: AmendOrder) -> list[Event]:
        named = self._named_order(c)
        if isinstance(named, OrderRejected):
            return [named]
        mk, oid, stop = named
        if stop is not None:  # a waiting stop has no queue place to keep
            return [OrderRejected(RejectReason.INVALID_ORDER_PARAMETERS, oid, c.market)]
        try:
            n = self._run(mk, x.X_AMEND, c.account, 0, 0, 0, 0, c.new_quantity, 0, 0, 0, oid, c.time)
        except OverflowError:
            named_ok = _fits(c.account, oid, c.time)
            reason = RejectReason.INVALID_AMEND_QUANTITY if named_ok else RejectReason.UNKNOWN_ORDER
            return [OrderRejected(reason, oid, c.market)]
        return mk.decode(mk.rows(n))

    # ---- money -------------------------------------------------------------------------------

    def _deposit(self, c: Deposit) -> list[Event]:
        asset = self._ledger.assets.get(c.asset)
        if not 0 < c.account <= MAX_ACCOUNT_ID:
            return [CommandRejected(RejectReason.UNKNOWN_ACCOUNT)]
        if asset is None:
            return [CommandRejected(RejectReason.UNKNOWN_ASSET)]
        if not self._ledger.can_deposit(asset[0], c.amount):
            return [CommandRejected(RejectReason.INVALID_AMOUNT)]
        self._ledger.open_account(c.account)
        return [BalanceChanged(c.account, c.asset, c.amount, self._ledger.credit(c.account, asset[0], c.amount))]

    def _withdraw(self, c: Withdraw) -> list[Event]:
        asset = self._ledger.assets.get(c.asset)
        if not self._ledger.is_live(c.account):
            return [CommandRejected(RejectReason.UNKNOWN_ACCOUNT)]
        if asset is None:
            return [CommandRejected(RejectReason.UNKNOWN_ASSET)]
        if c.amount <= 0:
            return [CommandRejected(RejectReason.INVALID_AMOUNT)]
        if self._ledger.free(c.account, asset[0]) < c.amount:
            return [CommandRejected(RejectReason.INSUFFICIENT_BALANCE)]
        return [BalanceChanged(c.account, c.asset, -c.amount, self._ledger.credit(c.account, asset[0], -c.amount))]

    def _transfer(self, c: Transfer) -> list[Event]:
        led = self._ledger
        if not c.legs:
            return [CommandRejected(RejectReason.INVALID_AMOUNT)]
        needed: dict[tuple[int, int], int] = {}
        for leg in c.legs:
            asset = led.assets.get(leg.asset)
            if not led.is_live(leg.from_account) or not 0 < leg.to_account <= MAX_ACCOUNT_ID:
                return [CommandRejected(RejectReason.UNKNOWN_ACCOUNT)]
            if asset is None:
                return [CommandRejected(RejectReason.UNKNOWN_ASSET)]
            if not 0 < leg.amount < INT64_SAFE:
                return [CommandRejected(RejectReason.INVALID_AMOUNT)]
            key = (leg.from_account, asset[0])
            needed[key] = needed.get(key, 0) + leg.amount
        if any(led.free(account, i) < amount for (account, i), amount in needed.items()):
            return [CommandRejected(RejectReason.INSUFFICIENT_BALANCE)]
        events: list[Event] = []
        for leg in c.legs:  # every check passed: now move
            i = led.assets[leg.asset][0]
            col = led.free_col(i)
            led.open_account(leg.to_account)
            led.array[leg.from_account, col] -= leg.amount
            led.array[leg.to_account, col] += leg.amount
            events.append(
                BalanceChanged(leg.from_account, leg.asset, -leg.amount, int(led.array[leg.from_account, col]))
            )
            events.append(BalanceChanged(leg.to_account, leg.asset, leg.amount, int(led.array[leg.to_account, col])))
        return events

    def _set_fees(self, c: SetFeeRates) -> list[Event]:
        if not 0 < c.account <= MAX_ACCOUNT_ID:
            return [CommandRejected(RejectReason.UNKNOWN_ACCOUNT)]
        if not (valid_rate(c.maker_rate) and valid_rate(c.taker_rate)):
            return [CommandRejected(RejectReason.INVALID_FEE_RATE)]
        self._ledger.open_account(c.account)
        self._ledger.set_rates(c.account, c.maker_rate, c.taker_rate)
        return [FeeRatesChanged(c.account, c.maker_rate, c.taker_rate)]

    # ---- listing -----------------------------------------------------------------------------

    def _list_asset(self, c: ListAsset) -> list[Event]:
        if c.spec.code in self._ledger.assets:
            return [CommandRejected(RejectReason.ALREADY_LISTED)]
        self._ledger.add_asset(c.spec)
        return [AssetListed(c.spec.code)]

    def _list_market(self, c: ListMarket) -> list[Event]:
        spec = c.spec
        known = [self._ledger.assets.get(a.code) for a in (spec.base, spec.quote)]
        clash = any(a is not None and a[1] != s for a, s in zip(known, (spec.base, spec.quote), strict=True))
        if spec.symbol in self._markets or clash:
            return [CommandRejected(RejectReason.ALREADY_LISTED)]
        events: list[Event] = []
        for asset in (spec.base, spec.quote):
            if asset.code not in self._ledger.assets:
                events += self._list_asset(ListAsset(asset))
        mk = _Market(
            spec,
            self._ledger.add_market(),
            self._ledger.assets[spec.base.code][0],
            self._ledger.assets[spec.quote.code][0],
        )
        mk.write_rules(self._ledger)
        self._markets[spec.symbol] = mk
        events.append(MarketListed(spec.symbol))
        return events

    def _set_status(self, c: SetMarketStatus) -> list[Event]:
        mk = self._markets.get(c.market)
        if mk is None:
            return [CommandRejected(RejectReason.UNKNOWN_MARKET)]
        if c.status not in _STATUSES:
            return [CommandRejected(RejectReason.INVALID_MARKET_STATUS)]
        status = _STATUSES[c.status]
        mk.st[x.M_STATUS] = int(status)
        return [MarketStatusChanged(c.market, status)]

    def _rewrite_columns(self) -> None:
        for mk in self._markets.values():
            mk.write_columns(self._ledger)

    # ---- batch (replay) ----------------------------------------------------------------------

    def apply_batch(self, market: str, cmds: np.ndarray, sink: Callable[[np.ndarray], None] | None = None) -> int:
        """Apply rows of order commands for one market (see ``encode_orders``) in one compiled loop.

        Stops are filed, triggered and cancelled as in ``apply``. Raw event rows of the book (ticks,
        lots, ``_kernel`` columns) go to ``sink`` in chunks valid only during the call; a stop order's
        filing, trigger and cancellation have no row (the engine's views show them). Returns the
        number of rows.
        """
        mk = self._markets[market]
        if cmds.dtype != np.int64 or cmds.ndim != 2 or cmds.shape[1] != x.XW:
            raise ValueError(f"commands must be an int64 array of shape (n, {x.XW})")
        book = mk.book
        out = batch_buffer(mk.st)
        i, total, end = 0, 0, cmds.shape[0]
        while i < end:
            i, n, why = x.ex_batch(book._st, self._ledger.array, out, cmds, i, end)
            if n == x.BOOK_REJECTED or why == x.BOOK_REJECTED:
                raise InvariantViolation(f"{market}: the book refused an order every check had passed")
            total += n
            if sink is not None and n:
                sink(out[:n])
            if why == x.B_GROW:
                book._grow()
                out = batch_buffer(mk.st, out)
            elif why == x.B_STOP_PLACED:
                r = cmds[i - 1]
                c = PlaceOrder(
                    market,
                    int(r[x.X_ACCT]),
                    Side(int(r[x.X_SIDE])),
                    OrderType(int(r[x.X_TYPE])),
                    int(r[x.X_QTY]),
                    int(r[x.X_PRICE]),
                    0,
                    int(r[x.X_STOP]),
                    TimeInForce(int(r[x.X_TIF])),
                    SelfTradePrevention(int(r[x.X_STP])),
                )
                last = out[n - 1]
                self._file_stop(mk, c, int(last[k.E_OID]), int(last[k.E_X1]), int(last[k.E_X2]))
            elif why == x.B_TRIGGER:
                total += self._fire(mk, int(cmds[i - 1, x.X_TIME]), None, sink)
            elif why == x.B_STOP_CANCEL:
                r = cmds[i]
                acct, oid, now = int(r[x.X_ACCT]), int(r[x.X_OID]), int(r[x.X_TIME])
                mk.last_rows = 0
                if r[x.X_KIND] == x.X_CANCEL:
                    self._cancel(CancelOrder(market, acct, oid, time=now))
                elif r[x.X_KIND] == x.X_CANCEL_ALL:
                    self._cancel_all(CancelAllOrders(market, acct, now))
                else:
                    self._amend(AmendOrder(market, acct, int(r[x.X_QTY]), oid, time=now))
                if sink is not None and mk.last_rows:
                    sink(book._out[: mk.last_rows])
                total += mk.last_rows
                i += 1
        return total

    # ---- views -------------------------------------------------------------------------------

    def markets(self) -> list[MarketSpec]:
        return [mk.spec for mk in self._markets.values()]

    def market(self, symbol: str) -> MarketSpec:
        return self._markets[symbol].spec

    def market_status(self, symbol: str) -> MarketStatus:
        return MarketStatus(int(self._markets[symbol].st[x.M_STATUS]))

    def assets(self) -> list[AssetSpec]:
        return [spec for _, spec in self._ledger.assets.values()]

    def accounts(self) -> list[int]:
        """Live account ids, the fee account (0) first."""
        return self._ledger.accounts()

    def balance(self, account: int, asset: str) -> Balance:
        i = self._ledger.assets[asset][0]
        return Balance(self._ledger.free(account, i), self._ledger.locked(account, i))

    def balances(self, account: int) -> dict[str, Balance]:
        return {code: self.balance(account, code) for code in self._ledger.assets}

    def can_deposit(self, asset: str, amount: int) -> bool:
        """Whether a deposit of ``amount`` would be taken: lets a caller check several before making any."""
        found = self._ledger.assets.get(asset)
        return found is not None and self._ledger.can_deposit(found[0], amount)

    def total_supply(self, asset: str) -> int:
        """Deposits minus withdrawals: what all balances of the asset add up to, fees included."""
        return self._ledger.supply[self._ledger.assets[asset][0]]

    def loans(self, account: int | None = None) -> list[Loan]:
        """Open loans (copies), of one account or all, by account then asset listing order."""
        order = {code: i for code, (i, _) in self._ledger.assets.items()}
        found = [replace(loan) for loan in self._lending.loans.values() if account is None or loan.account == account]
        return sorted(found, key=lambda loan: (loan.account, order[loan.asset]))

    def loan(self, account: int, asset: str) -> Loan | None:
        loan = self._lending.loans.get((account, asset))
        return None if loan is None else replace(loan)

    def interest_rate(self, asset: str) -> int:
        """The asset's daily interest rate over RATE_DENOM (0 until set)."""
        return self._lending.rates.get(asset, 0)

    def fee_rates(self, account: int) -> tuple[int, int]:
        """(maker, taker) over ``units.RATE_DENOM``."""
        return self._ledger.rates(account)

    def last_price(self, market: str) -> int | None:
        mk = self._markets[market]
        last = int(mk.st[x.M_LAST])
        return last * mk.tick if last else None

    def avg_price(self, market: str, now: int, minutes: int = 5) -> int | None:
        """Volume-weighted trade price over ``minutes`` before ``now`` (Binance's avgPrice)."""
        mk = self._markets[market]
        avg = int(x.avg_price(mk.st, now, minutes))
        return avg * mk.tick if avg else None

    def open_orders(self, market: str, account: int | None = None) -> list[OpenOrder]:
        """Resting orders in priority order (bids best first, then asks best first)."""
        mk = self._markets[market]
        return [
            OpenOrder(o.order_id, o.owner, o.side, o.price * mk.tick, o.quantity * mk.lot, o.original_quantity * mk.lot)
            for o in mk.book.orders()
            if account is None or o.owner == account
        ]

    def next_order_id(self, market: str) -> int:
        """The id the market's next order will get: ids are given in order, one per accepted order
        (a batch's planner names the orders it places by them, as ``apply`` would number them)."""
        return self._markets[market].book.next_order_id

    def order_rows(self, market: str) -> np.ndarray:
        """Resting orders as an int64 array of shape (n, 6), in ``open_orders``' priority order (bids
        best first, then asks best first), without an object per order (for batch-driven callers).

        Columns, in ticks (price / tick size) and lots (quantity / step size), not asset units:
        0 side (``Side`` value), 1 price in ticks, 2 order id, 3 remaining lots, 4 owner account,
        5 original lots. A fresh array: the caller may keep or change it.
        """
        return k.dump_orders(self._markets[market].st)

    def stop_orders(self, market: str, account: int | None = None) -> list[StopOrder]:
        mk = self._markets[market]
        return sorted(
            (s for s in mk.triggers.orders.values() if account is None or s.account == account),
            key=lambda s: s.order_id,
        )

    def depth(self, market: str, limit: int | None = None) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """(price, quantity) levels in asset units: bids best first, asks best first."""
        mk = self._markets[market]
        tick, lot = mk.tick, mk.lot
        return (
            [(p * tick, q * lot) for p, q, _ in mk.book.top(Side.BUY, limit).tolist()],
            [(p * tick, q * lot) for p, q, _ in mk.book.top(Side.SELL, limit).tolist()],
        )

    def level_quantities(self, market: str, levels: list[tuple[Side, int]]) -> list[int]:
        """The total quantity resting at each (side, price) (asset units, as ``depth``): 0 where
        none rests. A few steps a level however deep the book: market-data streams read the
        levels a change touched after every change."""
        mk = self._markets[market]
        sides = np.array([int(side) for side, _ in levels], dtype=np.int64)
        lots = mk.book.level_lots(sides, np.array([p // mk.tick for _, p in levels], dtype=np.int64))
        return [q * mk.lot for q in lots.tolist()]

    # ---- checks ------------------------------------------------------------------------------

    def fingerprint(self) -> str:
        """A hash of everything that decides future behaviour (not of capacities or free lists)."""
        h = hashlib.blake2b(digest_size=16)
        led = self._ledger
        for code, (i, spec) in led.assets.items():
            h.update(repr((code, spec.decimals, led.supply[i])).encode())
        for account in led.accounts():
            row = led.array[account]
            h.update(repr((account, led.rates(account))).encode())
            h.update(row[x.ASSET0 : x.ASSET0 + 2 * len(led.assets)].tobytes())
            c0 = led.count_col(0)
            h.update(row[c0 : c0 + 2 * len(self._markets)].tobytes())
        for symbol, mk in self._markets.items():
            st = mk.st
            h.update(repr((symbol, mk.spec, int(st[k.H_NEXT_OID]), int(st[k.H_NEXT_TID]))).encode())
            h.update(st[x.M_STATUS : x.HEADER_END].tobytes())
            h.update(k.dump_orders(st).tobytes())
            h.update(repr(sorted(mk.triggers.orders.items())).encode())
        h.update(repr(self._lending.fingerprint_items()).encode())
        return h.hexdigest()

    def check_invariants(self) -> None:
        """Raise ``InvariantViolation`` unless money is conserved and every lock is accounted for.

        Per asset, free + locked over all accounts (fee account included) equals deposits minus
        withdrawals; nothing is negative; each account's locked balance equals what its open
        orders and waiting stops reserve; order counts match; every book is consistent.
        """
        self._lending.check_invariants()
        led = self._ledger
        arr = led.array
        n_assets = len(led.assets)
        reserved = np.zeros_like(arr)
        for mk in self._markets.values():
            mk.book.check_invariants()
            qcol, bcol, ccol = int(mk.st[x.M_QUOTE]), int(mk.st[x.M_BASE]), int(mk.st[x.M_COUNT])
            for o in mk.book.orders():
                if o.side == Side.BUY:
                    reserved[o.owner, qcol + 1] += o.price * o.quantity * mk.factor
                else:
                    reserved[o.owner, bcol + 1] += o.quantity * mk.lot
                reserved[o.owner, ccol] += 1
            for s in mk.triggers.orders.values():
                reserved[s.account, (qcol if s.side == Side.BUY else bcol) + 1] += s.lock
                reserved[s.account, ccol + 1] += 1
            if tuple(int(v) for v in mk.st[[x.M_TRIG_UP, x.M_TRIG_DOWN]]) != mk.triggers.thresholds():
                raise InvariantViolation(f"{mk.spec.symbol}: trigger thresholds out of date")
        for code, (i, _) in led.assets.items():
            col = led.free_col(i)
            if (arr[:, col : col + 2] < 0).any():
                raise InvariantViolation(f"negative {code} balance")
            total = int(arr[:, col].sum()) + int(arr[:, col + 1].sum())
            if total != led.supply[i]:
                raise InvariantViolation(
                    f"{code}: balances add up to {total}, deposits minus withdrawals {led.supply[i]}"
                )
        locks = [led.free_col(i) + 1 for i in range(n_assets)]
        counts = list(range(led.count_col(0), led.count_col(len(self._markets))))
        for cols, what in ((locks, "locked balance"), (counts, "open order count")):
            bad = np.argwhere(arr[:, cols] != reserved[:, cols])
            if len(bad):
                account, j = (int(v) for v in bad[0])
                raise InvariantViolation(
                    f"account {account}: {what} column {cols[j]} is {int(arr[account, cols[j]])}, "
                    f"open orders account for {int(reserved[account, cols[j]])}"
                )


def _fits(*values: int) -> bool:
    """Whether every value is an int64, the only integers compiled code takes."""
    return all(-(1 << 63) <= v < (1 << 63) for v in values)


def _out_of_range(c: PlaceOrder) -> RejectReason:
    """The rejection for an order with a number beyond int64 (no market accepts one)."""
    if not _fits(c.account):
        return RejectReason.UNKNOWN_ACCOUNT
    if not _fits(c.price, c.stop_price):
        return RejectReason.PRICE_FILTER
    if not _fits(c.quantity, c.quote_quantity):
        return RejectReason.LOT_SIZE if c.quantity > 0 else RejectReason.INVALID_QUANTITY
    return RejectReason.INVALID_ORDER_PARAMETERS  # the time


def encode_orders(rows: Sequence[tuple[int, ...]]) -> np.ndarray:
    """Command rows for ``Engine.apply_batch`` from tuples in ``_exchange`` column order:
    (kind, account, side, type, tif, price, quantity, quote, stop, stp, order id, time)."""
    return np.array(rows, dtype=np.int64).reshape(-1, x.XW)
