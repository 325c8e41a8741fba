"""The exchange service: one engine, its markets and accounts, and the histories Binance answers from.

One writer: every change goes through a method here holding one lock, as a clock-stamped engine
command, and the engine's events update the order records, trade histories and balances' times
before the lock is released. Nothing here knows about HTTP: a refusal is a ``Refused`` carrying
its reason (simulator/refusals.py), which only the HTTP edge turns into Binance's answer.
"""

from __future__ import annotations

import random
import string
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TypeVar, Unpack, cast

import numpy as np

from engine import (
    AmendOrder,
    AssetSpec,
    Balance,
    CancelAllOrders,
    CancelOrder,
    Command,
    CommandRejected,
    Deposit,
    Engine,
    Event,
    ExpireReason,
    ListMarket,
    Loan,
    LotSize,
    MarketLotSize,
    MarketSpec,
    MarketStatus,
    NotionalFilter,
    OrderAccepted,
    OrderAmended,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderType,
    PercentPriceBySide,
    PlaceOrder,
    PriceFilter,
    RejectReason,
    SelfTradePrevention,
    SetFeeRates,
    SetMarketStatus,
    Side,
    StopOrder,
    StopTriggered,
    TimeInForce,
)

from .accounts import ApiKey, IssuedKey, KeyOptions, KeyStore
from .clock import DAY_MS, Clock
from .config import MarketConfig, SimulatorConfig
from .durability import Recorder, journaled
from .faults import capped_order
from .history import MarketHistory
from .orders import Fill, OrderRecord, OrderRequest, Placement
from .refusals import Refusal, Refused
from .retention import TRIM_SLACK, Retention, row_time
from .stream import BookBatch
from .wire import parse_units

_ID_CHARS = string.ascii_letters + string.digits
_Row = TypeVar("_Row")
MINUTES_KEPT_MS = 7 * DAY_MS  # a market's minute summaries: at least the longest ticker window


def _order_id(rec: OrderRecord) -> int:
    return rec.order_id


def _trade_id(fill: Fill) -> int:
    return fill.trade_id


@dataclass(slots=True)
class Market:
    """A listed market: the engine's spec plus what only the venue keeps."""

    spec: MarketSpec
    config: MarketConfig
    history: MarketHistory = field(default_factory=MarketHistory)
    update_id: int = 0  # counts changes to the book (depth's lastUpdateId)


@dataclass(slots=True)
class _Account:
    account_id: int
    permissions: frozenset[str]
    update_time: int
    house: bool = False  # a liquidity source's: its closed orders and fills are not kept
    orders: dict[str, list[OrderRecord]] = field(default_factory=dict)  # symbol -> the orders kept, by id
    open: dict[tuple[str, int], OrderRecord] = field(default_factory=dict)
    trades: dict[str, list[Fill]] = field(default_factory=dict)  # symbol -> the fills kept, by trade id
    client_ids: dict[tuple[str, str], OrderRecord] = field(default_factory=dict)  # newest order per id


def market_spec(mc: MarketConfig, decimals: int) -> MarketSpec:
    """A Binance-style market description in decimal text -> the engine's integer spec."""

    def units(text: str, what: str) -> int:
        return parse_units(text, decimals, f"{mc.symbol}.{what}")

    tick = units(mc.tick_size, "tick_size")
    step = units(mc.step_size, "step_size")
    up, down = units(mc.percent_price_up, "percent_price_up"), units(mc.percent_price_down, "percent_price_down")
    return MarketSpec(
        symbol=mc.symbol,
        base=AssetSpec(mc.base, decimals),
        quote=AssetSpec(mc.quote, decimals),
        price_filter=PriceFilter(
            units(mc.min_price, "min_price") if mc.min_price else tick, units(mc.max_price, "max_price"), tick
        ),
        lot_size=LotSize(units(mc.min_qty, "min_qty"), units(mc.max_qty, "max_qty"), step),
        market_lot_size=MarketLotSize(0, units(mc.market_max_qty, "market_max_qty"), 0),
        notional=NotionalFilter(
            units(mc.min_notional, "min_notional"), True, units(mc.max_notional, "max_notional"), False, 5
        ),
        percent_price=PercentPriceBySide(up, down, up, down, 5),
    )


class Venue:
    """The exchange behind every API: thread-safe, one command at a time.

    Each method marked ``@journaled`` is one change: what the journal records and replays.

    Retention (``SimulatorConfig.retention_*``): a user's closed orders and fills leave memory once
    past the retention or beyond the per-market caps, from the oldest, inside the change that
    appends a newer one of the same account and market, at that change's time (so a replay of the
    journal drops the same ones); open orders always stay. The retention counts back from the time
    of the newest order event (a placement, fill, cancel or expiry of anyone's order), so queries
    answer from the state alone: a closed order past it that no trim has reached yet is answered
    as gone already."""

    journal_name = "venue"
    durable_fields = (
        "engine",
        "keys",
        "markets",
        "assets",
        "labels",
        "_accounts",
        "_orders",
        "_rng",
        "_order_front",
        "_record_time",
    )

    def __init__(self, config: SimulatorConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.engine = Engine()
        self.keys = KeyStore()
        self.lock = threading.RLock()
        self.recorder = Recorder(self.lock, self._clock_now)
        self.stream = self.recorder.stream  # every change's events, in order (simulator/stream.py)
        self.labels: dict[str, int] = {}  # well-known accounts by name ("demo")
        self._keep_ms = round(config.retention_s * 1000)  # 0: no time limit
        self._max_orders = config.retention_orders
        self.fill_retention = Retention(self._keep_ms, config.retention_fills)  # per account and market
        # the desks' records (loans, interest, transfers, liquidations, conversions): as orders
        self.record_retention = Retention(self._keep_ms, config.retention_orders)
        self._history_limits = (
            config.retention_public_trades,
            self._keep_ms,
            self._keep_ms and max(self._keep_ms, MINUTES_KEPT_MS),
        )
        self.markets: dict[str, Market] = {}
        self.assets: dict[str, AssetSpec] = {}
        self._accounts: dict[int, _Account] = {}
        self._orders: dict[tuple[str, int], OrderRecord] = {}
        # (account, symbol) -> how many orders at the front of its list the last trim kept (open ones,
        # or closed within the retention though placed before it): the next trim looks past them
        self._order_front: dict[tuple[int, str], int] = {}
        self._record_time = 0  # of the newest order event: what the retention counts back from
        self._rng = random.Random(config.seed)
        self._reply_rng = random.Random(f"sandex-replies:{config.seed}")
        self._last_time = 0
        self._maker_rate = parse_units(config.maker_fee, 8, "maker_fee")
        self._taker_rate = parse_units(config.taker_fee, 8, "taker_fee")
        for mc in config.markets:
            self.list_market(mc)

    @property
    def markets(self) -> dict[str, Market]:
        return self._markets

    @markets.setter
    def markets(self, markets: dict[str, Market]) -> None:
        """(A snapshot's markets come in here too: their histories take this configuration's limits.)"""
        self._markets = markets
        for market in markets.values():
            market.history.set_limits(*self._history_limits)

    # ---- time, markets, accounts ---------------------------------------------------------------

    @property
    def read_only(self) -> str | None:
        """Why the exchange takes no changes until a restart (a journal that cannot be written, a
        broken invariant), or None while it takes them."""
        return self.recorder.failure

    def now(self) -> int:
        """The clock's time, never going back (commands and histories need monotone time); inside a
        change, the one time stamped on it (on replay, the time it first ran at)."""
        pinned = self.recorder.pinned
        if pinned is not None:
            if pinned > self._last_time:
                self._last_time = pinned
            return pinned
        return self._clock_now()

    def _clock_now(self) -> int:
        t = self.clock.now_ms()
        if t > self._last_time:
            self._last_time = t
        return self._last_time

    def list_market(self, mc: MarketConfig) -> Market:
        spec = market_spec(mc, self.config.asset_decimals)
        with self.lock:
            events = self._engine_apply(ListMarket(spec))
            if isinstance(events[0], CommandRejected):
                raise ValueError(f"{mc.symbol}: cannot list ({events[0].reason.name})")
            market = self.markets[mc.symbol] = Market(spec, mc)
            market.history.set_limits(*self._history_limits)
            self.assets.setdefault(spec.base.code, spec.base)
            self.assets.setdefault(spec.quote.code, spec.quote)
            return market

    def market(self, symbol: str) -> Market:
        market = self.markets.get(symbol)
        if market is None:
            raise Refused(RejectReason.UNKNOWN_MARKET)
        return market

    @journaled
    def create_account(
        self,
        balances: dict[str, int],
        permissions: Iterable[str] = ("SPOT", "MARGIN"),
        key: ApiKey | None = None,
        house: bool = False,
    ) -> int:
        """Open an account with the house fee rates and starting balances (asset units), and ``key``
        (a ``KeyStore.draft``) as its API key if given: if the key cannot be added, nothing opens.
        A ``house`` account (a liquidity source's) trades like any other, but the venue forgets its
        orders once closed and keeps none of its fills, so a market maker quoting all day costs no
        memory; its trades still make the public tape."""
        with self.lock:
            for asset, amount in balances.items():
                if asset not in self.assets:
                    raise ValueError(f"unknown asset {asset!r}; listed: {sorted(self.assets)}")
                if amount < 0:
                    raise ValueError(f"{asset}: a starting balance cannot be negative ({amount})")
                if amount and not self.engine.can_deposit(asset, amount):
                    raise Refused(RejectReason.INVALID_AMOUNT)
            account = max(self._accounts, default=0) + 1
            if key is not None:
                self.keys.add(replace(key, account_id=account))
            self._engine_apply(SetFeeRates(account, self._maker_rate, self._taker_rate))
            self._accounts[account] = _Account(account, frozenset(permissions), self.now(), house)
            for asset, amount in balances.items():
                if amount:
                    self.deposit(account, asset, amount)
            return account

    @journaled
    def house_account(self, label: str, balances: dict[str, int]) -> int:
        """The house account named ``label``, opened with ``balances`` the first time it is asked
        for: a liquidity source started again (after a restart, a restore, another configuration)
        takes back the account it had, so restarts never add supply."""
        with self.lock:
            known = self.labels.get(label)
            if known is not None:
                if not self.is_house(known):
                    raise ValueError(f"account {known} ({label!r}) is not a house account")
                return known
            account = self.create_account(balances, permissions=("SPOT",), house=True)
            self.labels[label] = account
            return account

    def has_account(self, account: int) -> bool:
        return account in self._accounts

    def is_house(self, account: int) -> bool:
        """A liquidity source's or the exchange's own account (no user's)."""
        acct = self._accounts.get(account)
        return acct is not None and acct.house

    def account_ids(self) -> list[int]:
        return sorted(self._accounts)

    @journaled
    def deposit(self, account: int, asset: str, amount: int) -> Balance:
        with self.lock:
            acct = self._account(account)
            if asset not in self.assets:
                raise Refused(Refusal.UNKNOWN_ASSET, asset)
            events = self._engine_apply(Deposit(account, asset, amount, self.now()))
            if isinstance(events[0], CommandRejected):
                raise Refused(events[0].reason)
            acct.update_time = self.now()
            return self.engine.balance(account, asset)

    def balances(self, account: int) -> tuple[dict[str, Balance], int]:
        """Every listed asset's balance and the time it last changed."""
        with self.lock:
            acct = self._account(account)
            return self.engine.balances(account), acct.update_time

    def permissions(self, account: int) -> frozenset[str]:
        return self._account(account).permissions

    def fee_rates(self, account: int) -> tuple[int, int]:
        """(maker, taker) over ``RATE_DENOM``."""
        return self.engine.fee_rates(account)

    def issue_key(self, account: int, **options: Unpack[KeyOptions]) -> IssuedKey:
        """A new API key for ``account`` (``KeyStore.draft``'s options): its random parts are drawn
        here, outside the change, so that the journal replays the very same key."""
        with self.lock:
            self._account(account)
            key, issued = self.keys.draft(account, now_ms=self.now(), **options)
            self.add_key(key)
            return issued

    @journaled
    def add_key(self, key: ApiKey) -> None:
        self._account(key.account_id)
        self.keys.add(key)

    @journaled
    def revoke_key(self, api_key: str) -> bool:
        """Refuse the key from its next request on; True if it existed and was live."""
        return self.keys.revoke(api_key)

    @journaled
    def set_market_status(self, symbol: str, status: MarketStatus) -> None:
        with self.lock:
            self.market(symbol)
            self._engine_apply(SetMarketStatus(symbol, status))

    def _account(self, account: int) -> _Account:
        acct = self._accounts.get(account)
        if acct is None:
            raise Refused(RejectReason.UNKNOWN_ACCOUNT)
        return acct

    # ---- orders ------------------------------------------------------------------------------

    def new_client_id(self) -> str:
        """A server-made client order id; part of the state (drawn inside a journaled change only)."""
        return "".join(self._rng.choices(_ID_CHARS, k=22))

    def reply_client_id(self) -> str:
        """A client id made up for an answer only (a cancel's own ``clientOrderId``): drawn from a
        generator outside the state, so answering changes nothing a replay must repeat."""
        return "".join(self._reply_rng.choices(_ID_CHARS, k=22))

    def _command(self, account: int, req: OrderRequest, now: int) -> PlaceOrder:
        return PlaceOrder(
            req.symbol,
            account,
            req.side,
            req.order_type,
            req.quantity,
            req.price,
            req.quote_quantity,
            req.stop_price,
            req.time_in_force,
            req.stp,
            time=now,
        )

    def _check_client_id(self, acct: _Account, symbol: str, client_id: str) -> None:
        previous = acct.client_ids.get((symbol, client_id))
        if previous is not None and previous.is_open:
            raise Refused(RejectReason.DUPLICATE_CLIENT_ORDER_ID)

    def test_order(self, account: int, req: OrderRequest) -> None:
        """Every check a new order gets, without placing it (``order/test``)."""
        with self.lock:
            acct = self._account(account)
            self.market(req.symbol)
            if req.client_order_id is not None:
                self._check_client_id(acct, req.symbol, req.client_order_id)
            reason = self.engine.check(self._command(account, req, self.now()))
            if reason is not None:
                raise Refused(reason)

    def requirement(self, account: int, req: OrderRequest) -> tuple[str, int]:
        """(asset, units) the order would lock, whatever the account holds; raises what else would
        refuse it. An order that borrows what it lacks asks this before borrowing."""
        with self.lock:
            acct = self._account(account)
            self.market(req.symbol)
            if req.client_order_id is not None:
                self._check_client_id(acct, req.symbol, req.client_order_id)
            reason, asset, units = self.engine.requirement(self._command(account, req, self.now()))
            if reason is not None:
                raise Refused(reason)
            return asset, units

    @journaled
    def place(self, account: int, req: OrderRequest) -> Placement:
        """A new order. With ``req.fill_cap`` (a partial_fill fault) it is checked whole but takes at
        most the cap at once and the rest expires; its record keeps the quantity asked for."""
        with self.lock:
            acct = self._account(account)
            self.market(req.symbol)
            if req.client_order_id:
                self._check_client_id(acct, req.symbol, req.client_order_id)
            now = self.now()
            command = self._command(account, req, now)
            capped = (
                None
                if req.fill_cap is None
                else capped_order(command, req.fill_cap, self.markets[req.symbol].spec.lot_size.step_size)
            )
            if capped is not None and (reason := self.engine.check(command)) is not None:
                raise Refused(reason)  # refused as the whole order would be
            events = self._engine_apply(capped or command)
            first = events[0]
            if isinstance(first, OrderRejected):
                raise Refused(first.reason)
            self.markets[req.symbol].update_id += 1
            assert isinstance(first, OrderAccepted)
            client_id = req.client_order_id or self.new_client_id()  # drawn only now: a refusal changes nothing
            record = OrderRecord(
                req.symbol,
                first.order_id,
                account,
                client_id,
                req.side,
                req.order_type,
                req.time_in_force,
                req.price,
                req.quantity,
                req.quote_quantity,
                req.stop_price,
                req.stp,
                now,
            )
            self._orders[(req.symbol, record.order_id)] = record
            acct.open[(req.symbol, record.order_id)] = record
            if not acct.house:
                recs = acct.orders.get(req.symbol)
                if recs is None:
                    recs = acct.orders[req.symbol] = []
                recs.append(record)
                acct.client_ids[(req.symbol, client_id)] = record
                self._trim_orders(acct, req.symbol, recs, now)
            acct.update_time = now  # the order locked funds
            fills = self.absorb(events[1:], now, record.order_id)
            if capped is not None and record.status == "FILLED":
                record.status = "EXPIRED"  # only the capped part was there to fill; the rest expired
            return Placement(record.copy(), fills, now)

    def _named(self, acct: _Account, symbol: str, order_id: int | None, client_id: str | None) -> OrderRecord | None:
        """Binance's lookup: by id if given (the client id, if also given, must then match), else by
        client id; a closed order past the retention is not found."""
        if order_id is not None:
            rec = self._orders.get((symbol, order_id))
            if rec is None or rec.account != acct.account_id:
                return None
            if client_id is not None and rec.client_order_id != client_id:
                return None
        elif client_id is not None:
            rec = acct.client_ids.get((symbol, client_id))
        else:
            return None
        if (
            rec is not None
            and self._keep_ms
            and not rec.is_open
            and (rec.update_time < self._record_time - self._keep_ms)
        ):
            return None  # (its record goes with the next trim)
        return rec

    @journaled
    def cancel(
        self, account: int, symbol: str, order_id: int | None, client_id: str | None, restriction: str | None = None
    ) -> OrderRecord:
        with self.lock:
            acct = self._account(account)
            self.market(symbol)
            rec = self._named(acct, symbol, order_id, client_id)
            if rec is None or not rec.is_open:
                raise Refused(RejectReason.UNKNOWN_ORDER)
            if (restriction == "ONLY_NEW" and rec.status != "NEW") or (
                restriction == "ONLY_PARTIALLY_FILLED" and rec.status != "PARTIALLY_FILLED"
            ):
                raise Refused(Refusal.CANCEL_RESTRICTED)
            now = self.now()
            events = self._engine_apply(CancelOrder(symbol, account, rec.order_id, time=now))
            if isinstance(events[0], OrderRejected):
                raise Refused(RejectReason.UNKNOWN_ORDER)
            self.markets[symbol].update_id += 1
            self.absorb(events, now)
            return rec.copy()

    @journaled
    def cancel_all(self, account: int, symbol: str) -> list[OrderRecord]:
        with self.lock:
            acct = self._account(account)
            self.market(symbol)
            if not any(s == symbol for s, _ in acct.open):
                raise Refused(RejectReason.UNKNOWN_ORDER)
            now = self.now()
            events = self._engine_apply(CancelAllOrders(symbol, account, now))
            self.markets[symbol].update_id += 1
            self.absorb(events, now)
            return [self._orders[(symbol, e.order_id)].copy() for e in events if isinstance(e, OrderCanceled)]

    @journaled
    def amend(
        self,
        account: int,
        symbol: str,
        order_id: int | None,
        client_id: str | None,
        new_qty: int,
        new_client_id: str | None,
    ) -> tuple[OrderRecord, str]:
        """Reduce an order keeping its place (``order/amend/keepPriority``); returns it and its old client id."""
        with self.lock:
            acct = self._account(account)
            self.market(symbol)
            rec = self._named(acct, symbol, order_id, client_id)
            if rec is None or not rec.is_open:
                raise Refused(Refusal.NO_SUCH_ORDER)
            if new_qty >= rec.orig_qty:
                raise Refused(
                    Refusal.NO_STATE_CHANGE if new_qty == rec.orig_qty else RejectReason.INVALID_AMEND_QUANTITY
                )
            if new_client_id is not None and new_client_id != rec.client_order_id:
                self._check_client_id(acct, symbol, new_client_id)
            now = self.now()
            events = self._engine_apply(AmendOrder(symbol, account, new_qty, rec.order_id, time=now))
            if isinstance(events[0], OrderRejected):
                raise Refused(events[0].reason)
            self.markets[symbol].update_id += 1
            self.absorb(events, now)
            old = rec.client_order_id
            if new_client_id is not None:
                rec.client_order_id = new_client_id
                if acct.client_ids.get((symbol, old)) is rec:  # the order answers to its new id only
                    del acct.client_ids[(symbol, old)]
                acct.client_ids[(symbol, new_client_id)] = rec
            return rec.copy(), old

    # ---- queries -----------------------------------------------------------------------------

    def depth(self, symbol: str, limit: int | None) -> tuple[int, list[tuple[int, int]], list[tuple[int, int]]]:
        """(lastUpdateId, bids best first, asks best first) in asset units."""
        with self.lock:
            market = self.market(symbol)
            bids, asks = self.engine.depth(symbol, limit)
            return market.update_id, bids, asks

    def level_quantities(self, symbol: str, levels: list[tuple[Side, int]]) -> list[int]:
        """The total quantity resting at each (side, price), 0 where none rests (the levels a change
        touched, for the depth streams)."""
        with self.lock:
            return self.engine.level_quantities(symbol, levels)

    def order(self, account: int, symbol: str, order_id: int | None, client_id: str | None) -> OrderRecord:
        with self.lock:
            acct = self._account(account)
            self.market(symbol)
            rec = self._named(acct, symbol, order_id, client_id)
            if rec is None:
                raise Refused(Refusal.NO_SUCH_ORDER)
            return rec.copy()

    def open_orders(self, account: int, symbol: str | None) -> list[OrderRecord]:
        with self.lock:
            acct = self._account(account)
            if symbol is not None:
                self.market(symbol)
            recs = [r for (s, _), r in acct.open.items() if symbol is None or s == symbol]
            return [r.copy() for r in sorted(recs, key=lambda r: (r.symbol, r.order_id))]

    def all_orders(
        self, account: int, symbol: str, order_id: int | None, start: int | None, end: int | None, limit: int
    ) -> list[OrderRecord]:
        """Binance's paging: from ``order_id`` up, else from ``start`` up, else the newest ``limit``;
        closed orders past the retention are left out."""
        with self.lock:
            acct = self._account(account)
            self.market(symbol)
            recs = acct.orders.get(symbol, [])
            lo = 0 if order_id is None else bisect_left(recs, order_id, key=_order_id)
            kept: Callable[[OrderRecord], bool] | None = None
            if self._keep_ms and lo < len(recs):
                cutoff = self._record_time - self._keep_ms
                if recs[lo].time < cutoff:  # (an order placed since cannot have closed before it)
                    kept = lambda r: r.is_open or r.update_time >= cutoff  # noqa: E731 - a filter, only when needed
            picked = _window(recs, start, end, limit, row_time, order_id is not None, lo, kept)
            return [r.copy() for r in picked]

    def my_trades(
        self,
        account: int,
        symbol: str,
        order_id: int | None,
        start: int | None,
        end: int | None,
        from_id: int | None,
        limit: int,
    ) -> list[Fill]:
        with self.lock:
            acct = self._account(account)
            self.market(symbol)
            fills = acct.trades.get(symbol, [])
            lo = bisect_left(fills, self._record_time - self._keep_ms, key=row_time) if self._keep_ms else 0
            if order_id is not None:
                rec = self._orders.get((symbol, order_id))
                if rec is not None and rec.account == account:  # its fills come after it was placed
                    lo = bisect_left(fills, rec.time, lo, key=row_time)
                fills = [f for f in fills[lo:] if f.order_id == order_id]
                lo = 0
            if from_id is not None:
                lo = bisect_left(fills, from_id, lo, key=_trade_id)
            return _window(fills, start, end, limit, row_time, from_id is not None, lo)

    # ---- the ledger and books, for the desks and sources around the venue --------------------
    # Nothing outside the venue holds the engine: the desks' own commands (loans, interest,
    # transfers) come through ``apply``, inside one of their journaled changes.

    def _engine_apply(self, command: Command) -> list[Event]:
        """Every engine command of the venue: its events go to the venue's stream as well."""
        events = self.engine.apply(command)
        self.stream.emit(events)
        return events

    def apply(self, command: Command) -> list[Event]:
        """An engine command of a desk, as part of the journaled change that is running."""
        with self.lock:
            if not self.recorder.in_change:
                raise RuntimeError(f"{type(command).__name__} outside a journaled change: it would not be replayed")
            return self._engine_apply(command)

    def balance(self, account: int, asset: str) -> Balance:
        return self.engine.balance(account, asset)

    def loans(self, account: int | None = None) -> list[Loan]:
        return self.engine.loans(account)

    def loan(self, account: int, asset: str) -> Loan | None:
        return self.engine.loan(account, asset)

    def interest_rate(self, asset: str) -> int:
        """An asset's daily interest rate over ``RATE_DENOM``."""
        return self.engine.interest_rate(asset)

    def last_price(self, symbol: str) -> int | None:
        return self.engine.last_price(symbol)

    def avg_price(self, symbol: str, now: int, minutes: int = 5) -> int | None:
        return self.engine.avg_price(symbol, now, minutes)

    def market_status(self, symbol: str) -> MarketStatus:
        return self.engine.market_status(symbol)

    def stop_orders(self, symbol: str) -> list[StopOrder]:
        return self.engine.stop_orders(symbol)

    # ---- batch-driven sources ----------------------------------------------------------------
    # A liquidity source sending its house orders through ``Engine.apply_batch`` (the historical
    # replay) bypasses ``place``/``cancel``/``amend``, so the venue holds no record of those orders
    # and sees none of their events. These let it keep the records it needs (the house orders left
    # resting, for openOrders and for fills with users later) without reaching into the venue's state.
    # Only a house account's orders are handled so: a user's orders always come through ``place``.

    def order_record(self, symbol: str, order_id: int) -> OrderRecord | None:
        """Any kept order by id, whoever's it is (a copy)."""
        with self.lock:
            rec = self._orders.get((symbol, order_id))
            return None if rec is None else rec.copy()

    def is_open(self, symbol: str, order_id: int) -> bool:
        """Whether the venue keeps an open record of the order."""
        with self.lock:
            rec = self._orders.get((symbol, order_id))
            return rec is not None and rec.is_open

    def adopt_resting(
        self,
        account: int,
        symbol: str,
        order_id: int,
        side: Side,
        order_type: OrderType,
        price: int,
        qty: int,
        time: int,
        executed_qty: int = 0,
        executed_quote_qty: int = 0,
    ) -> None:
        """Record an order of house ``account`` that the engine holds from a batch as an open GTC order
        of ``qty`` at ``price`` (asset units) placed at ``time``, as ``place`` would have, with
        ``executed_qty`` of it filled for ``executed_quote_qty``; for an order already recorded only
        the executed amounts (and NEW / PARTIALLY_FILLED) are brought up to date. From then on the
        order's events (``absorb``) keep the record; a record of an order the engine no longer holds
        is dropped by ``forget_order``. Also gives an order of the batch a passing record so that a
        fill with a user's order can go through ``absorb``."""
        with self.lock:
            acct = self._account(account)
            if not acct.house:
                raise ValueError(f"account {account} is not a house account; its orders come through place()")
            key = (symbol, order_id)
            rec = self._orders.get(key)
            if rec is None:
                rec = OrderRecord(
                    symbol,
                    order_id,
                    account,
                    "",
                    side,
                    order_type,
                    TimeInForce.GTC,
                    price,
                    qty,
                    0,
                    0,
                    SelfTradePrevention.NONE,
                    time,
                )
                self._orders[key] = rec
                acct.open[key] = rec
            if rec.executed_qty != executed_qty:
                rec.executed_qty = executed_qty
                rec.cummulative_quote_qty = executed_quote_qty
                rec.status = "PARTIALLY_FILLED" if executed_qty else "NEW"

    def book_rows(self, symbol: str) -> np.ndarray:
        """The engine's rows of a market's resting orders (``Engine.order_rows``)."""
        return self.engine.order_rows(symbol)

    def next_order_id(self, symbol: str) -> int:
        return self.engine.next_order_id(symbol)

    def apply_batch(self, symbol: str, cmds: np.ndarray, sink: Callable[[np.ndarray], None] | None = None) -> int:
        """House commands in one engine batch (``Engine.apply_batch``); the source keeps the records.
        The stream is told the batch's rows (``BookBatch``), copied, when anything listens."""
        with self.lock:
            if not self.stream.heard:
                return self.engine.apply_batch(symbol, cmds, sink)
            chunks: list[np.ndarray] = []

            def keep(rows: np.ndarray) -> None:
                chunks.append(rows.copy())  # (the engine reuses its buffer)
                if sink is not None:
                    sink(rows)

            try:
                return self.engine.apply_batch(symbol, cmds, keep)
            finally:
                if chunks:
                    self.stream.emit([BookBatch(symbol, np.concatenate(chunks))])

    def forget_order(self, symbol: str, order_id: int) -> None:
        """Drop the record of a house order the engine closed inside a batch (no event of it reached
        the venue), or a passing record; the venue keeps no closed order of a house account anyway."""
        with self.lock:
            key = (symbol, order_id)
            rec = self._orders.get(key)
            if rec is None:
                return
            acct = self._accounts[rec.account]
            if not acct.house:
                raise ValueError(f"order {order_id} is account {rec.account}'s, not a house account's")
            del self._orders[key]
            acct.open.pop(key, None)

    # ---- events -> records -------------------------------------------------------------------

    def absorb(self, events: list[Event], now: int, taker_id: int = 0) -> list[Fill]:
        """Apply the engine's events to the records; returns the fills of order ``taker_id``.

        Every command sent through this class ends here. Public for batch-driven sources
        (``Engine.apply_batch``), whose commands bypass ``place``/``cancel``/``amend``: they hand over
        the events the records need (a fill with a user's order); every order the events name must
        then have a record (``adopt_resting`` gives a house order one)."""
        with self.lock:
            if now > self._record_time:
                self._record_time = now
            taker_fills: list[Fill] = []
            # (``type(e) is`` dispatch, the fastest; each branch's cast names the type it found)
            for e in events:
                kind = type(e)
                if kind is OrderFilled:
                    filled = cast("OrderFilled", e)
                    fill = self._on_fill(filled, now)
                    if filled.taker_order_id == taker_id:
                        taker_fills.append(fill)
                elif kind is OrderCanceled:
                    canceled = cast("OrderCanceled", e)
                    self._close(self._orders[(canceled.market, canceled.order_id)], "CANCELED", now)
                elif kind is OrderExpired:
                    self._on_expired(cast("OrderExpired", e), now)
                elif kind is OrderAmended:
                    amended = cast("OrderAmended", e)
                    rec = self._orders[(amended.market, amended.order_id)]
                    rec.orig_qty = amended.new_quantity
                    rec.update_time = now
                    self.touch(rec.account, now)
                    if amended.remaining == 0:
                        self._close(rec, "FILLED", now)
                elif kind is StopTriggered:
                    triggered = cast("StopTriggered", e)
                    rec = self._orders[(triggered.market, triggered.order_id)]
                    rec.working_time = rec.update_time = now
                elif kind is OrderAccepted:  # a triggered stop entering the book
                    self.touch(cast("OrderAccepted", e).owner, now)
            return taker_fills

    def _on_fill(self, e: OrderFilled, now: int) -> Fill:
        market = self.markets[e.market]
        spec = market.spec
        taker = self._orders[(e.market, e.taker_order_id)]
        maker = self._orders[(e.market, e.maker_order_id)]
        buy = e.taker_side == Side.BUY
        market.history.record(e.trade_id, e.price, e.quantity, e.quote_quantity, now, not buy, e.taker_order_id)
        base, quote = spec.base.code, spec.quote.code
        taker_fill = Fill(
            e.market,
            e.trade_id,
            taker.order_id,
            e.price,
            e.quantity,
            e.quote_quantity,
            e.taker_fee,
            base if buy else quote,
            now,
            buy,
            False,
        )
        maker_fill = Fill(
            e.market,
            e.trade_id,
            maker.order_id,
            e.price,
            e.quantity,
            e.quote_quantity,
            e.maker_fee,
            quote if buy else base,
            now,
            not buy,
            True,
        )
        for rec, fill, remaining in ((maker, maker_fill, e.maker_remaining), (taker, taker_fill, e.taker_remaining)):
            rec.executed_qty += e.quantity
            rec.cummulative_quote_qty += e.quote_quantity
            rec.update_time = now
            acct = self._accounts[rec.account]
            if not acct.house:
                fills = acct.trades.get(e.market)
                if fills is None:
                    fills = acct.trades[e.market] = []
                fills.append(fill)
                self.fill_retention.trim(fills, now)
            acct.update_time = now
            if remaining == 0:
                self._close(rec, "FILLED", now)
            elif rec.status == "NEW":
                rec.status = "PARTIALLY_FILLED"
        return taker_fill

    def _on_expired(self, e: OrderExpired, now: int) -> None:
        rec = self._orders[(e.market, e.order_id)]
        if e.reason == ExpireReason.SELF_TRADE_PREVENTION:
            rec.prevented_qty += e.quantity
            if e.remaining > 0:  # DECREMENT left part of it open
                rec.update_time = now
                return
            self._close(rec, "EXPIRED_IN_MATCH", now)
            return
        if rec.orig_quote_qty and rec.executed_qty and e.quote_quantity < self._lot_cost(e.market):
            self._close(rec, "FILLED", now)  # only dust below one lot's price was left of the budget
            return
        self._close(rec, "EXPIRED", now)

    def _lot_cost(self, symbol: str) -> int:
        """What one more lot costs at the last trade price (a quote budget's leftover below it is dust)."""
        spec = self.markets[symbol].spec
        last = self.engine.last_price(symbol) or 0
        one_base: int = 10**spec.base.decimals
        return last * spec.lot_size.step_size // one_base

    # ---- retention ---------------------------------------------------------------------------

    def _trim_orders(self, acct: _Account, symbol: str, recs: list[OrderRecord], now: int) -> None:
        """After an order joined ``recs``: trim if a batch of its orders may be due to leave (an eighth
        of them, at least ``TRIM_SLACK``, past the front the last trim kept, beyond the cap or placed
        before the retention), so each order pays amortised O(1) for trimming."""
        n = len(recs)
        t = self._order_front.get((acct.account_id, symbol), 0) + max(TRIM_SLACK, n >> 3) - 1
        if t < n and (t < n - self._max_orders or (self._keep_ms and recs[t].time < now - self._keep_ms)):
            self._drop_orders(acct, symbol, recs, now)

    def _drop_orders(self, acct: _Account, symbol: str, recs: list[OrderRecord], now: int) -> None:
        """Drop every closed order of ``recs`` beyond the newest ``retention_orders`` or closed before
        the retention, with its id and client id (unless a newer order took the client id over)."""
        n = len(recs)
        over = n - self._max_orders
        end = over
        if self._keep_ms:
            cutoff = now - self._keep_ms
            end = max(end, bisect_left(recs, cutoff, key=row_time))  # placed since: closed since
        kept: list[OrderRecord] = []
        client_ids = acct.client_ids
        for i in range(end):
            rec = recs[i]
            if rec.is_open or (i >= over and (not self._keep_ms or rec.update_time >= cutoff)):
                kept.append(rec)
                continue
            del self._orders[(symbol, rec.order_id)]
            key = (symbol, rec.client_order_id)
            if client_ids.get(key) is rec:
                del client_ids[key]
        recs[:end] = kept
        if kept:
            self._order_front[(acct.account_id, symbol)] = len(kept)
        else:
            self._order_front.pop((acct.account_id, symbol), None)

    def _close(self, rec: OrderRecord, status: str, now: int) -> None:
        rec.status = status
        rec.update_time = now
        if rec.orig_quote_qty and not rec.orig_qty:
            rec.orig_qty = rec.executed_qty
        acct = self._accounts[rec.account]
        acct.open.pop((rec.symbol, rec.order_id), None)
        acct.update_time = now
        if acct.house:
            self._orders.pop((rec.symbol, rec.order_id), None)

    @journaled
    def retire_house_orders(self, keep: tuple[int, ...] = ()) -> int:
        """Cancel every open order of the house accounts but those in ``keep`` (a restart's or a
        restore's liquidity sources that start afresh must not find their predecessors' quotes;
        the journaled sources in ``keep`` come back with theirs); returns how many."""
        return self._retire([a for a, acct in self._accounts.items() if acct.house and a not in keep])

    @journaled
    def retire_house_orders_of(self, accounts: tuple[int, ...]) -> int:
        """Cancel every open order of these house accounts (a liquidity source stopped)."""
        if any(not self.is_house(a) for a in accounts):
            raise ValueError(f"not all of {accounts} are house accounts")
        return self._retire(accounts)

    def _retire(self, accounts: Iterable[int]) -> int:
        retired = 0
        now = self.now()
        for account in accounts:
            acct = self._accounts[account]
            if acct.open:
                for symbol in sorted({s for s, _ in acct.open}):
                    events = self._engine_apply(CancelAllOrders(symbol, acct.account_id, now))
                    self.markets[symbol].update_id += 1
                    self.absorb(events, now)
                    retired += sum(isinstance(e, OrderCanceled) for e in events)
        return retired

    def touch(self, account: int, now: int) -> None:
        """Date the account's balances (a conversion or transfer changed them outside the book)."""
        acct = self._accounts.get(account)
        if acct is not None:
            acct.update_time = now


def _window(
    items: list[_Row],
    start: int | None,
    end: int | None,
    limit: int,
    key: Callable[[_Row], int],
    oldest_first: bool,
    lo: int = 0,
    kept: Callable[[_Row], bool] | None = None,
) -> list[_Row]:
    """Binance's time paging over ``items[lo:]``, sorted by time: [start, end], oldest first from
    ``start`` (or when paging by id), else the newest ``limit``; only items ``kept`` says yes to
    (all, without it)."""
    if start is not None:
        lo = bisect_left(items, start, lo, key=key)
    hi = len(items) if end is None else bisect_right(items, end, lo, key=key)
    forward = oldest_first or start is not None
    if kept is None:
        return items[lo : min(hi, lo + limit)] if forward else items[max(lo, hi - limit) : hi]
    out: list[_Row] = []
    for i in range(lo, hi) if forward else range(hi - 1, lo - 1, -1):
        if kept(items[i]):
            out.append(items[i])
            if len(out) == limit:
                break
    if not forward:
        out.reverse()
    return out
