"""User data streams: each subscribed account's ``executionReport``, ``outboundAccountPosition``
and ``balanceUpdate`` events, built from the venue's event stream.

A change is read on the thread that made it, under the venue's lock, once it is complete: one
execution report per engine event of an account's order, in the engine's order (the order placed,
then each fill, then its expiry...), with the order's state as of that event (cumulative quantity
and status counted back from the record as the change left it), then one account position with the
balances of the assets the change touched, then a balance update per deposit, withdrawal or
transfer. The events are queued and handed to the subscribers on the server's event loop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import count

from engine import (
    BalanceChanged,
    ExpireReason,
    OrderAccepted,
    OrderAmended,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderType,
    Side,
)

from ..http.render import px, qty
from ..orders import OrderRecord
from ..stream import Attachment, Change
from ..venue import Venue
from ..wire import format_units

Event = dict[str, object]
Deliver = Callable[[Event], None]
_EXPIRY_REASONS = {
    ExpireReason.IOC: "UNFILLED_IOC_QUANTITY_EXPIRED",
    ExpireReason.FOK: "UNFILLED_FOK_ORDER_EXPIRED",
    ExpireReason.NO_LIQUIDITY: "INSUFFICIENT_LIQUIDITY",
    ExpireReason.REJECTED_ON_TRIGGER: "REJECTED",
}
_ORDER_EVENTS = (OrderAccepted, OrderCanceled, OrderExpired, OrderAmended)


class UserStreams:
    """Subscriptions by account; ``pump`` (on the loop) hands the queued events to them."""

    def __init__(self, venue: Venue) -> None:
        self.venue = venue
        self._lock = threading.Lock()
        self._subscribers: dict[int, dict[int, Deliver]] = {}  # account -> token -> deliver
        self._tokens = count(1)
        self._execution_ids = count(1)  # each report's ``I``
        self._pending: list[tuple[int, Event]] = []
        self._wake: Callable[[], None] | None = None
        self._attachment = Attachment(venue.stream, self._on_change)  # attached while an account is watched

    def start(self, wake: Callable[[], None]) -> None:
        with self._lock:
            self._wake = wake
            self._attach()

    def stop(self) -> None:
        with self._lock:
            self._wake = None
            self._attach()

    def _attach(self) -> None:
        """(under ``_lock``) Listen to the venue's stream only while started and somebody listens here."""
        self._attachment.want(self._wake is not None and bool(self._subscribers))

    def subscribe(self, account: int, deliver: Deliver) -> Callable[[], None]:
        """``deliver`` gets every event of ``account`` from now on (on the event loop); returns
        what stops it."""
        token = next(self._tokens)
        with self._lock:
            self._subscribers.setdefault(account, {})[token] = deliver
            self._attach()

        def stop() -> None:
            with self._lock:
                subs = self._subscribers.get(account)
                if subs is not None:
                    subs.pop(token, None)
                    if not subs:
                        del self._subscribers[account]
                self._attach()

        return stop

    def accounts(self) -> list[int]:
        """The accounts somebody listens to."""
        with self._lock:
            return list(self._subscribers)

    def terminate(self, account: int, now: int) -> None:
        """End every subscription of ``account`` with ``eventStreamTerminated`` (their last event)."""
        with self._lock:
            subs = self._subscribers.pop(account, {})
            self._attach()
        for deliver in subs.values():
            deliver({"e": "eventStreamTerminated", "E": now})

    def pump(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
            subscribers = {a: tuple(s.values()) for a, s in self._subscribers.items()}
        for account, event in pending:
            for deliver in subscribers.get(account, ()):
                deliver(event)

    # ---- on the changing thread, under the venue's lock ----------------------------------------

    def _on_change(self, change: Change) -> None:
        watched = self._subscribers
        if not watched:
            return
        reports = _Reports(self.venue, change.time, frozenset(watched), self._execution_ids)
        for e in change.events:
            if isinstance(e, OrderFilled):
                reports.fill(e)
            elif isinstance(e, _ORDER_EVENTS):
                reports.order_event(e)
            elif isinstance(e, BalanceChanged) and e.account in watched:
                reports.touch(e.account, e.asset)
                reports.balance_updates.append((e.account, e.asset, e.amount))
        out = reports.finish()
        if out:
            with self._lock:
                self._pending.extend(out)
                wake = self._wake
            if wake is not None:
                wake()


@dataclass(slots=True)
class _Report:
    """One execution report in the making: what the event says, before the order's totals."""

    account: int
    rec: OrderRecord  # the order as the change left it
    execution: str  # x
    status: str | None  # X; None: the record's
    working: bool = False
    fill: tuple[int, int, int, int, str, int, bool] | None = None  # qty, price, quote, fee, fee asset, trade id, maker
    extra: dict[str, object] = field(default_factory=dict)  # conditional fields, rendered


class _Reports:
    """The events of one change for the watched accounts."""

    def __init__(self, venue: Venue, time: int, watched: frozenset[int], execution_ids: Iterator[int]) -> None:
        self.venue = venue
        self.time = time
        self.watched = watched
        self.execution_ids = execution_ids
        self.reports: list[_Report] = []
        self.touched: dict[int, dict[str, None]] = {}  # account -> assets
        self.balance_updates: list[tuple[int, str, int]] = []
        self._records: dict[tuple[str, int], OrderRecord | None] = {}

    def _record(self, symbol: str, order_id: int) -> OrderRecord | None:
        key = (symbol, order_id)
        if key not in self._records:
            rec = self.venue.order_record(symbol, order_id)
            self._records[key] = rec if rec is not None and rec.account in self.watched else None
        return self._records[key]

    def touch(self, account: int, *assets: str) -> None:
        mine = self.touched.setdefault(account, {})
        for asset in assets:
            mine[asset] = None

    def _market_assets(self, symbol: str) -> tuple[str, str]:
        spec = self.venue.markets[symbol].spec
        return spec.base.code, spec.quote.code

    def order_event(self, e: OrderAccepted | OrderCanceled | OrderExpired | OrderAmended) -> None:
        rec = self._record(e.market, e.order_id)
        if rec is None:
            return
        self.touch(rec.account, *self._market_assets(e.market))
        if isinstance(e, OrderAccepted):
            report = _Report(rec.account, rec, "NEW", "NEW", working=not e.stop_price)
        elif isinstance(e, OrderCanceled):
            report = _Report(rec.account, rec, "CANCELED", "CANCELED", extra={"C": rec.client_order_id})
        elif isinstance(e, OrderExpired) and e.reason == ExpireReason.SELF_TRADE_PREVENTION:
            spec = self.venue.markets[e.market].spec
            prevented = qty(spec, e.quantity)
            report = _Report(
                rec.account,
                rec,
                "TRADE_PREVENTION",
                None if e.remaining > 0 else "EXPIRED_IN_MATCH",  # (DECREMENT left part of it open)
                working=e.remaining > 0,
                extra={"v": e.counter_order_id, "A": prevented, "B": prevented, "U": e.counter_order_id},
            )
        elif isinstance(e, OrderExpired):
            reason = _EXPIRY_REASONS.get(e.reason)
            report = _Report(rec.account, rec, "EXPIRED", "EXPIRED", extra={"eR": reason} if reason else {})
        else:
            report = _Report(rec.account, rec, "REPLACED", None, working=e.remaining > 0)
        self.reports.append(report)

    def fill(self, e: OrderFilled) -> None:
        base, quote = self._market_assets(e.market)
        buy = e.taker_side == Side.BUY
        for order_id, maker, fee, remaining in (
            (e.taker_order_id, False, e.taker_fee, e.taker_remaining),
            (e.maker_order_id, True, e.maker_fee, e.maker_remaining),
        ):
            rec = self._record(e.market, order_id)
            if rec is None:
                continue
            self.touch(rec.account, base, quote)
            fee_asset = base if buy != maker else quote  # the asset the order received
            self.reports.append(
                _Report(
                    rec.account,
                    rec,
                    "TRADE",
                    "FILLED" if remaining == 0 else "PARTIALLY_FILLED",
                    working=remaining > 0 and rec.order_type != OrderType.MARKET,
                    fill=(e.quantity, e.price, e.quote_quantity, fee, fee_asset, e.trade_id, maker),
                )
            )

    def finish(self) -> list[tuple[int, Event]]:
        """The reports with each order's state as of each event, then positions and balance updates."""
        # what each order had executed before this change: its record's totals less what traded here
        before: dict[tuple[str, int], tuple[int, int]] = {}
        last_of: dict[tuple[str, int], int] = {}
        for i, r in enumerate(self.reports):
            key = (r.rec.symbol, r.rec.order_id)
            last_of[key] = i
            q, z = before.get(key, (r.rec.executed_qty, r.rec.cummulative_quote_qty))
            before[key] = (q - r.fill[0], z - r.fill[2]) if r.fill else (q, z)
        out: list[tuple[int, Event]] = []
        for i, r in enumerate(self.reports):
            key = (r.rec.symbol, r.rec.order_id)
            executed, quote = before[key]
            if r.fill:
                executed, quote = executed + r.fill[0], quote + r.fill[2]
                before[key] = (executed, quote)
            status = r.rec.status if last_of[key] == i or r.status is None else r.status
            out.append((r.account, self._execution_report(r, status, executed, quote)))
        for account, assets in self.touched.items():
            out.append((account, self._position(account, list(assets))))
        for account, asset, amount in self.balance_updates:
            d = self.venue.assets[asset].decimals
            event: Event = {"e": "balanceUpdate", "E": self.time, "a": asset, "d": format_units(amount, d)}
            out.append((account, event | {"T": self.time}))
        return out

    def _execution_report(self, r: _Report, status: str, executed: int, quote: int) -> Event:
        rec = r.rec
        spec = self.venue.markets[rec.symbol].spec
        last_qty, last_price, last_quote, fee, fee_asset, trade_id, maker = r.fill or (0, 0, 0, 0, None, -1, False)
        event: Event = {
            "e": "executionReport",
            "E": self.time,
            "s": rec.symbol,
            # a cancel's report carries the cancel's own id, the order's in ``C``
            "c": self.venue.reply_client_id() if r.execution == "CANCELED" else rec.client_order_id,
            "S": rec.side.name,
            "o": rec.order_type.name,
            "f": rec.time_in_force.name,
            "q": qty(spec, rec.orig_qty),
            "p": px(spec, rec.price),
            "P": px(spec, rec.stop_price),
            "F": qty(spec, 0),
            "g": -1,
            "C": r.extra.get("C", ""),
            "x": r.execution,
            "X": status,
            "r": "NONE",
            "i": rec.order_id,
            "l": qty(spec, last_qty),
            "z": qty(spec, executed),
            "L": px(spec, last_price),
            "n": format_units(fee, 8) if r.fill else "0",
            "N": fee_asset,
            "T": self.time,
            "t": trade_id,
            "I": next(self.execution_ids),
            "w": r.working,
            "m": maker,
            "M": False,
            "O": rec.time,
            "Z": px(spec, quote),
            "Y": px(spec, last_quote),
            "Q": px(spec, rec.orig_quote_qty),
        }
        if rec.working_time != -1:
            event["W"] = rec.working_time
        event["V"] = rec.stp.name
        event.update((k, v) for k, v in r.extra.items() if k != "C")
        return event

    def _position(self, account: int, assets: list[str]) -> Event:
        balances, updated = self.venue.balances(account)
        rows = []
        for asset in assets:
            b = balances.get(asset)
            if b is not None:
                d = self.venue.assets[asset].decimals
                rows.append({"a": asset, "f": format_units(b.free, d), "l": format_units(b.locked, d)})
        return {"e": "outboundAccountPosition", "E": self.time, "u": updated, "B": rows}
