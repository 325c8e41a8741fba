"""Binance Convert: quotes priced from the live book, accepted against a house inventory.

The desk holds an inventory account (a house account: ample balances of every asset). A quote
prices the pair from the direct market between the two assets (mid of the best bid and ask, or
the last trade price when a side is empty) less a spread, the user always getting the worse side,
and every division rounded in the house's favour. Accepting a quote is one engine ``Transfer`` of
two legs (user -> house the FROM asset, house -> user the TO asset): both move or neither does.

Amounts are integer asset units throughout; a rate is kept as the exact fraction ``num / den`` of
TO units per FROM unit, so a quote's amounts are exact to the unit.
"""

from __future__ import annotations

import random
from collections import OrderedDict
from dataclasses import dataclass, field

from engine import INT64_SAFE, CommandRejected, Leg, Transfer, mul_div_ceil, mul_div_floor

from .clock import HOUR_MS
from .durability import Recorder, journaled
from .refusals import Refusal, Refused
from .venue import Market, Venue
from .wire import format_units

SECOND = 1_000
VALID_TIMES = {"10s": 10 * SECOND, "30s": 30 * SECOND, "1m": 60 * SECOND, "2m": 120 * SECOND}
DEFAULT_VALID_TIME = "10s"
DEFAULT_SPREAD_BPS = 10  # 0.1%
BPS = 10_000
INVENTORY_COINS = 10**9  # the house's starting balance of every asset, in whole coins
MAX_COINS = 10**6  # the largest amount of either side one quote may name, in whole coins
QUOTE_RETENTION_MS = HOUR_MS  # how long an expired or used quote is still recognised as such


@dataclass(frozen=True, slots=True)
class Rate:
    """TO units per FROM unit, as the exact fraction ``num / den`` (spread included)."""

    num: int
    den: int

    def to_for(self, from_amount: int) -> int:
        """What ``from_amount`` buys, rounded down (the house keeps the remainder)."""
        return mul_div_floor(from_amount, self.num, self.den)

    def from_for(self, to_amount: int) -> int:
        """What ``to_amount`` costs, rounded up (the house keeps the remainder)."""
        return mul_div_ceil(to_amount, self.den, self.num)


@dataclass(slots=True)
class Quote:
    quote_id: str
    account: int
    from_asset: str
    to_asset: str
    from_amount: int
    to_amount: int
    ratio: str
    inverse_ratio: str
    created: int
    valid_until: int
    used: bool = False


@dataclass(slots=True)
class ConvertOrder:
    order_id: int
    quote: Quote
    create_time: int
    status: str = "SUCCESS"


def _created(order: ConvertOrder) -> int:
    return order.create_time


@dataclass(slots=True)
class _Book:
    """One account's convert orders, oldest first (as many as the venue's records retention keeps)."""

    orders: list[ConvertOrder] = field(default_factory=list)
    by_quote: dict[str, ConvertOrder] = field(default_factory=dict)


class ConvertDesk:
    """Quotes and conversions against the house inventory; each ``@journaled`` method is one change."""

    journal_name = "convert"
    durable_fields = ("_rng", "_quotes", "_orders", "_books", "_next_order_id", "_house")

    def __init__(self, venue: Venue, spread_bps: int = DEFAULT_SPREAD_BPS) -> None:
        if not 0 <= spread_bps < BPS:
            raise ValueError(f"spread_bps must be in [0, {BPS}), got {spread_bps}")
        self.venue = venue
        self.spread_bps = spread_bps
        self._rng = random.Random(venue.config.seed)
        self._quotes: OrderedDict[str, Quote] = OrderedDict()  # by creation time
        self._orders: dict[int, ConvertOrder] = {}
        self._books: dict[int, _Book] = {}
        self._next_order_id = 1
        self._house: int | None = None

    @property
    def recorder(self) -> Recorder:
        return self.venue.recorder

    @property
    def house(self) -> int:
        """The inventory account, opened on first use (so a venue nobody converts on is untouched:
        its accounts' ids and its assets' total supplies are as before)."""
        with self.venue.lock:
            if self._house is None:
                self._house = self.venue.create_account(
                    {code: self._inventory(code) for code in self.venue.assets}, permissions=("SPOT",), house=True
                )
            return self._house

    def _inventory(self, asset: str) -> int:
        one_coin: int = 10 ** self.venue.assets[asset].decimals
        return min(INVENTORY_COINS * one_coin, INT64_SAFE // 32)

    def max_units(self, asset: str) -> int:
        one_coin: int = 10 ** self.venue.assets[asset].decimals
        return MAX_COINS * one_coin

    # ---- pairs and prices ------------------------------------------------------------------------

    def _check_asset(self, asset: str) -> None:
        if asset not in self.venue.assets:
            raise Refused(Refusal.UNKNOWN_ASSET, asset)

    def market_between(self, from_asset: str, to_asset: str) -> Market:
        """The direct market of the two assets (either way round); refused if there is none."""
        self._check_asset(from_asset)
        self._check_asset(to_asset)
        for symbol in (from_asset + to_asset, to_asset + from_asset):
            market = self.venue.markets.get(symbol)
            if market is not None and {market.spec.base.code, market.spec.quote.code} == {from_asset, to_asset}:
                return market
        for market in self.venue.markets.values():  # symbols are not always base + quote
            if {market.spec.base.code, market.spec.quote.code} == {from_asset, to_asset}:
                return market
        raise Refused(Refusal.NO_CONVERT_PAIR, from_asset, to_asset)

    def pairs(self) -> list[tuple[str, str]]:
        """Every (fromAsset, toAsset) a quote may name: both ways round each market."""
        out = []
        for m in self.venue.markets.values():
            out += [(m.spec.base.code, m.spec.quote.code), (m.spec.quote.code, m.spec.base.code)]
        return out

    def rate(self, from_asset: str, to_asset: str) -> Rate:
        """The rate the user gets now: the reference price less the spread, either way round."""
        with self.venue.lock:
            market = self.market_between(from_asset, to_asset)
            spec = market.spec
            _, bids, asks = self.venue.depth(spec.symbol, 1)
            if bids and asks:
                price2 = bids[0][0] + asks[0][0]  # twice the mid: kept exact, no halving
            else:
                last = self.venue.last_price(spec.symbol)
                if not last:
                    raise Refused(Refusal.NO_PRICE, spec.symbol)
                price2 = 2 * last
            # price: quote units per whole base coin = price2 / 2 per 10**base_decimals base units
            per_base = 2 * 10**spec.base.decimals * BPS
            if spec.base.code == from_asset:  # selling the base: the bid side of the mid
                return Rate(price2 * (BPS - self.spread_bps), per_base)
            return Rate(per_base, price2 * (BPS + self.spread_bps))  # buying the base: the ask side

    # ---- quotes ------------------------------------------------------------------------------

    @journaled
    def quote(
        self,
        account: int,
        from_asset: str,
        to_asset: str,
        from_amount: int | None = None,
        to_amount: int | None = None,
        valid_time: str = DEFAULT_VALID_TIME,
    ) -> Quote:
        """A firm quote for ``from_amount`` (what the user gives) or ``to_amount`` (what the user gets)."""
        if (from_amount is None) == (to_amount is None):
            raise Refused(Refusal.QUOTE_AMOUNTS)
        if valid_time not in VALID_TIMES:
            raise Refused(Refusal.UNKNOWN_VALID_TIME, "|".join(VALID_TIMES))
        if from_asset == to_asset:
            raise Refused(Refusal.NO_CONVERT_PAIR, from_asset, to_asset)
        with self.venue.lock:
            self.venue.balances(account)  # an unknown account is refused as any call would
            rate = self.rate(from_asset, to_asset)
            if from_amount is not None:
                self._check_range("fromAmount", from_asset, from_amount)
                to_amount = rate.to_for(from_amount)
                self._check_range("toAmount", to_asset, to_amount)
            else:
                assert to_amount is not None
                self._check_range("toAmount", to_asset, to_amount)
                from_amount = rate.from_for(to_amount)
                self._check_range("fromAmount", from_asset, from_amount)
            fd, td = self.venue.assets[from_asset].decimals, self.venue.assets[to_asset].decimals
            ratio = mul_div_floor(10**fd, rate.num, rate.den)  # TO per whole FROM coin, user's side
            inverse = mul_div_ceil(10**td, rate.den, rate.num)  # FROM per whole TO coin
            now = self.venue.now()
            self._prune(now)
            quote_id = f"{self._rng.getrandbits(128):032x}"
            q = Quote(
                quote_id,
                account,
                from_asset,
                to_asset,
                from_amount,
                to_amount,
                format_units(ratio, td),
                format_units(inverse, fd),
                now,
                now + VALID_TIMES[valid_time],
            )
            self._quotes[quote_id] = q
            return q

    def _check_range(self, param: str, asset: str, amount: int) -> None:
        decimals = self.venue.assets[asset].decimals
        high = self.max_units(asset)
        if not 1 <= amount <= high:
            raise Refused(Refusal.AMOUNT_OUT_OF_RANGE, param, format_units(1, decimals), format_units(high, decimals))

    def _prune(self, now: int) -> None:
        """Forget quotes long past their expiry (the oldest first; none lives longer than 2 minutes)."""
        horizon = now - max(VALID_TIMES.values()) - QUOTE_RETENTION_MS
        while self._quotes:
            q = next(iter(self._quotes.values()))
            if q.created >= horizon:
                break
            self._quotes.popitem(last=False)

    # ---- conversions -------------------------------------------------------------------------

    @journaled
    def accept(self, account: int, quote_id: str) -> ConvertOrder:
        """Execute a quote: both legs move, or nothing does."""
        with self.venue.lock:
            self.venue.balances(account)
            q = self._quotes.get(quote_id)
            if q is None or q.account != account:
                raise Refused(Refusal.UNKNOWN_QUOTE)
            if q.used:
                raise Refused(Refusal.QUOTE_USED)
            now = self.venue.now()
            if now > q.valid_until:
                raise Refused(Refusal.QUOTE_EXPIRED)
            house = self.house
            if self.venue.balance(house, q.to_asset).free < q.to_amount:
                raise Refused(Refusal.INVENTORY_SHORT, q.to_asset)
            events = self.venue.apply(
                Transfer(
                    (
                        Leg(account, house, q.from_asset, q.from_amount),
                        Leg(house, account, q.to_asset, q.to_amount),
                    ),
                    now,
                )
            )
            if isinstance(events[0], CommandRejected):
                raise Refused(events[0].reason)
            self.venue.touch(account, now)  # the balances' time, as a trade sets it
            q.used = True
            order = ConvertOrder(self._next_order_id, q, now)
            self._next_order_id += 1
            self._orders[order.order_id] = order
            book = self._books.setdefault(account, _Book())
            book.orders.append(order)
            book.by_quote[quote_id] = order
            for gone in self.venue.record_retention.trim(book.orders, now, _created):
                del self._orders[gone.order_id]
                del book.by_quote[gone.quote.quote_id]
            return order

    def order(self, account: int, order_id: int | None = None, quote_id: str | None = None) -> ConvertOrder:
        with self.venue.lock:
            if order_id is not None:
                order = self._orders.get(order_id)
            else:
                order = self._books.get(account, _Book()).by_quote.get(quote_id or "")
            if order is None or order.quote.account != account:
                raise Refused(Refusal.NO_SUCH_ORDER)
            return order

    def history(self, account: int, start: int, end: int, limit: int) -> tuple[list[ConvertOrder], bool]:
        """Orders created in [start, end], oldest first, at most ``limit``; and whether more matched."""
        with self.venue.lock:
            orders = [o for o in self._books.get(account, _Book()).orders if start <= o.create_time <= end]
            return orders[:limit], len(orders) > limit
