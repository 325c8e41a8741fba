"""A live mirror: the simulated book kept in step with a real exchange's public book and trades.

For paper trading against real prices. A feed (``mirror_feed``) hands timestamped observations
in integer asset units: order-book snapshots and public trades. ``LiveMirror``, a liquidity
source, replays them through the venue with two house accounts:

* a **maker** whose resting orders are the external book's top ``depth`` levels. Each snapshot is
  diffed against what the maker has resting: levels that vanished are cancelled, levels that
  shrank are reduced from the back of the maker's queue with amend-keepPriority, levels that grew
  get a new order for the difference (joining the back of the queue, as new real orders do), and
  unchanged levels are not touched, so whoever queues behind them keeps their place;
* a **taker** that re-enacts each external trade: a LIMIT IOC at the trade's price and quantity.
  It meets the book in price-time order, so a user's order at a better price, or queued at the
  trade's price behind less than the traded quantity, is filled by the real market's flow, and
  one queued behind more waits. Before it, maker orders the real market has already traded
  through (asks below a buy's price, bids above a sell's) are cancelled: the real book had none
  left there. If the book holds less at the trade's price or better than was traded, the real
  market evidently had orders there that arrived after the last snapshot: the maker adds the
  shortfall at that price, behind everyone already queued (unless it would cross a user's order),
  so the simulated tape prints the real trades price for price.

A user's fill takes some of the real flow, so the maker's level ends larger than the real one;
the next snapshot reduces it. Prices are rounded onto the simulated market's tick (bids down,
asks and buy trades up, sell trades down) and quantities down onto its lot step; whatever the
market's filters cannot take (price range, minimum quantity, minimum notional) is skipped and
counted in ``LiveMirror.stats``, and every refusal of the venue (a ``Refused``) is caught and
counted by reason: ``advance`` never raises for market data.

Feeds: ``ccxt_feeds`` (a live exchange through ccxt) and ``recorded_feed`` (a JSON-lines
recording).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from engine import MarketSpec, OrderType, RejectReason, SelfTradePrevention, Side, TimeInForce

from ..orders import OrderRecord, OrderRequest
from ..refusals import Refusal, Refused
from ..venue import Venue
from .mirror_feed import BookSnapshot, MirrorFeed, PublicTrade

log = logging.getLogger("sandex.liquidity.mirror")

HOUSE_BALANCE = 10**17  # per asset, in units: ample, like the static book's maker


@dataclass
class MirrorStats:
    """What the mirror did and what it had to leave out."""

    snapshots: int = 0  # applied
    snapshots_superseded: int = 0  # released together with a later one and no trade between
    trades: int = 0  # external trades seen
    trades_reenacted: int = 0  # of them, re-enacted by the house taker
    trades_before_book: int = 0  # seen before the first snapshot: nothing to trade against
    traded_qty: int = 0  # base units the taker's orders filled
    unfilled_qty: int = 0  # base units of re-enacted trades the simulated book could not fill
    skipped_price: int = 0  # levels or trades outside the market's price filter
    skipped_qty: int = 0  # levels or trades below the minimum quantity once on the lot step
    skipped_notional: int = 0  # levels or trades below the minimum notional
    crossed_levels: int = 0  # external bids at or above the best ask (a locked or crossed book)
    orders_placed: int = 0
    orders_canceled: int = 0
    orders_amended: int = 0
    levels_consolidated: int = 0  # a level's several maker orders merged (no one else queued there)
    stale_cleared: int = 0  # maker orders the real market had traded through, cancelled
    topped_up_qty: int = 0  # base units added at a trade's price beyond what the last snapshot showed
    rejected: Counter[Refusal | RejectReason] = field(default_factory=Counter)  # venue refusals by reason


class LiveMirror:
    """A liquidity source mirroring one external market onto ``symbol`` (the ``LiquiditySource``
    protocol: ``start``, ``advance``, ``next_due``), driven by the venue's clock.

    Use it on a market nothing else quotes (``SimulatorConfig(liquidity=False)``), and with a feed
    whose decimals are the market's. ``max_orders_per_level``: when a grown level already holds that
    many maker orders and nobody else queues at it, they are replaced by one order (no queue
    position changes); otherwise a grown level always gets a new order behind the others."""

    def __init__(
        self,
        symbol: str,
        feed: MirrorFeed,
        depth: int = 20,
        *,
        house_balance: int = HOUSE_BALANCE,
        max_orders_per_level: int = 4,
        coalesce_books: bool = True,
    ) -> None:
        if depth <= 0:
            raise ValueError(f"depth must be positive, got {depth}")
        self.symbol = symbol
        self.feed = feed
        self.depth = depth
        self.house_balance = house_balance
        self.max_orders_per_level = max(1, max_orders_per_level)
        self.coalesce_books = coalesce_books
        self.stats = MirrorStats()
        self.maker: int | None = None
        self.taker: int | None = None
        self._spec: MarketSpec | None = None
        self._have_book = False

    def __repr__(self) -> str:
        return f"LiveMirror({self.symbol!r}, {self.feed!r}, depth={self.depth})"

    @property
    def spec(self) -> MarketSpec:
        """The mirrored market's rules, known from ``start`` on."""
        if self._spec is None:
            raise RuntimeError(f"{self.symbol}: the mirror has not started")
        return self._spec

    def _house(self, account: int | None) -> int:
        """A house account: opened by ``start`` (nothing is mirrored before)."""
        if account is None:
            raise RuntimeError(f"{self.symbol}: the mirror has not started")
        return account

    # ---- the LiquiditySource protocol ----

    def start(self, venue: Venue, now: int) -> None:
        market = venue.markets.get(self.symbol)
        if market is None:
            raise ValueError(f"{self.symbol}: not a listed market; listed: {sorted(venue.markets)}")
        spec = market.spec
        if (self.feed.price_decimals, self.feed.qty_decimals) != (spec.quote.decimals, spec.base.decimals):
            raise ValueError(
                f"{self.symbol}: the feed counts prices in {self.feed.price_decimals} and quantities "
                f"in {self.feed.qty_decimals} decimals, the market in {spec.quote.decimals} and "
                f"{spec.base.decimals}"
            )
        if 2 * self.depth > spec.max_num_orders:
            raise ValueError(
                f"{self.symbol}: depth {self.depth} needs more than the {spec.max_num_orders} "
                "open orders an account may have"
            )
        self._spec = spec
        with venue.lock:
            budget = {spec.base.code: self.house_balance, spec.quote.code: self.house_balance}
            self.maker = venue.house_account(f"mirror:{self.symbol}:maker", budget)
            self.taker = venue.house_account(f"mirror:{self.symbol}:taker", budget)
        self.feed.start()
        self.advance(venue, now)

    def advance(self, venue: Venue, now: int) -> None:
        if self._spec is None:
            return
        batch = self.feed.poll(now)
        if not batch:
            return
        with venue.lock:
            for i, obs in enumerate(batch):
                if isinstance(obs, PublicTrade):
                    self._reenact(venue, obs)
                elif self.coalesce_books and i + 1 < len(batch) and isinstance(batch[i + 1], BookSnapshot):
                    self.stats.snapshots_superseded += 1  # the next one says all this one would
                else:
                    self._apply_book(venue, obs)

    def next_due(self) -> int | None:
        return None if self._spec is None else self.feed.next_time()

    def close(self) -> None:
        """Stop the feed (the maker's orders stay where they are)."""
        self.feed.close()

    # ---- snapshots ----

    def _target_levels(self, snap: BookSnapshot) -> tuple[dict[int, int], dict[int, int]]:
        """What the maker should rest for a snapshot: {price: qty} per side on the market's grid."""
        bids = self._side_targets(snap.bids[: self.depth], Side.BUY)
        asks = self._side_targets(snap.asks[: self.depth], Side.SELL)
        if asks and bids:
            best_ask = min(asks)
            for p in [p for p in bids if p >= best_ask]:
                del bids[p]
                self.stats.crossed_levels += 1
        return bids, asks

    def _side_targets(self, levels: Iterable[tuple[int, int]], side: Side) -> dict[int, int]:
        spec = self.spec
        tick = spec.price_filter.tick_size
        merged: dict[int, int] = {}
        for price, qty in levels:
            p = price // tick * tick if side == Side.BUY else -(-price // tick) * tick
            if not self._price_ok(p):
                self.stats.skipped_price += 1
                continue
            merged[p] = merged.get(p, 0) + qty
        out = {}
        for p, qty in merged.items():
            q = self._lot_floor(qty)
            if self._qty_ok(p, q):
                out[p] = q
        return out

    def _apply_book(self, venue: Venue, snap: BookSnapshot) -> None:
        self.stats.snapshots += 1
        self._have_book = True
        bids, asks = self._target_levels(snap)
        targets = {Side.BUY: bids, Side.SELL: asks}
        levels = self._house_levels(venue)
        # 1. take away first, so nothing placed next can meet the maker's own stale orders
        for (side, price), orders in levels.items():
            have = sum(_remaining(r) for r in orders)
            want = targets[side].get(price, 0)
            if want < have:
                self._reduce(venue, orders, have - want)
        # 2. then add, best prices first
        levels = self._house_levels(venue)
        for side, target in targets.items():
            for price in sorted(target, reverse=side == Side.BUY):
                want = target[price]
                orders = levels.get((side, price), [])
                have = sum(_remaining(r) for r in orders)
                if want <= have:
                    continue
                if len(orders) >= self.max_orders_per_level and self._alone_at(venue, side, price, have):
                    for rec in orders:
                        self._cancel(venue, rec)
                    self.stats.levels_consolidated += 1
                    self._place_maker(venue, side, price, want)
                else:
                    self._place_maker(venue, side, price, want - have)

    def _house_levels(self, venue: Venue) -> dict[tuple[Side, int], list[OrderRecord]]:
        """The maker's open orders by level, in queue order (ids rise with time; amends keep place)."""
        levels: dict[tuple[Side, int], list[OrderRecord]] = {}
        for rec in venue.open_orders(self._house(self.maker), self.symbol):
            levels.setdefault((rec.side, rec.price), []).append(rec)
        return levels

    def _alone_at(self, venue: Venue, side: Side, price: int, house_qty: int) -> bool:
        """Whether the maker's orders are all there is at this level (merging them moves no one)."""
        _, bids, asks = venue.depth(self.symbol, None)
        for p, q in bids if side == Side.BUY else asks:
            if p == price:
                return q == house_qty
        return house_qty == 0

    def _reduce(self, venue: Venue, orders: list[OrderRecord], excess: int) -> None:
        """Take ``excess`` off a level from the back of the maker's queue."""
        for rec in reversed(orders):
            if excess <= 0:
                return
            rem = _remaining(rec)
            if rem <= excess:
                if self._cancel(venue, rec):
                    excess -= rem
                continue
            try:
                venue.amend(self._house(self.maker), self.symbol, rec.order_id, None, rec.orig_qty - excess, None)
                self.stats.orders_amended += 1
                excess = 0
            except Refused as e:
                self._refused(e)

    def _cancel(self, venue: Venue, rec: OrderRecord) -> bool:
        try:
            venue.cancel(self._house(self.maker), self.symbol, rec.order_id, None)
        except Refused as e:
            self._refused(e)
            return False
        self.stats.orders_canceled += 1
        return True

    def _place_maker(self, venue: Venue, side: Side, price: int, qty: int) -> None:
        for chunk in self._chunks(price, qty):
            req = OrderRequest(
                self.symbol,
                side,
                OrderType.LIMIT,
                TimeInForce.GTC,
                chunk,
                price,
                0,
                0,
                None,
                SelfTradePrevention.NONE,
                "ACK",
            )
            try:
                venue.place(self._house(self.maker), req)
                self.stats.orders_placed += 1
            except Refused as e:
                self._refused(e)

    # ---- trades ----

    def _reenact(self, venue: Venue, trade: PublicTrade) -> None:
        """The house taker trades the real trade's quantity at its price against the book."""
        stats = self.stats
        stats.trades += 1
        if not self._have_book:
            stats.trades_before_book += 1
            return
        tick = self.spec.price_filter.tick_size
        buy = trade.taker_side == Side.BUY
        price = -(-trade.price // tick) * tick if buy else trade.price // tick * tick
        if not self._price_ok(price):
            stats.skipped_price += 1
            return
        qty = self._lot_floor(trade.qty)
        if not self._qty_ok(price, qty):
            return
        maker_side = Side.SELL if buy else Side.BUY
        # the real book had nothing left better than the trade's price: stale maker orders go
        stats.stale_cleared += self._clear(venue, maker_side, lambda p: p < price if buy else p > price)
        shortfall = qty - self._resting(venue, maker_side, price)
        if shortfall > 0:
            self._top_up(venue, maker_side, price, shortfall)
        stats.trades_reenacted += 1
        for chunk in self._chunks(price, qty):
            req = OrderRequest(
                self.symbol,
                trade.taker_side,
                OrderType.LIMIT,
                TimeInForce.IOC,
                chunk,
                price,
                0,
                0,
                None,
                SelfTradePrevention.NONE,
                "FULL",
            )
            try:
                placement = venue.place(self._house(self.taker), req)
            except Refused as e:
                self._refused(e)
                stats.unfilled_qty += chunk
                continue
            filled = sum(f.qty for f in placement.fills)
            stats.traded_qty += filled
            stats.unfilled_qty += chunk - filled

    def _top_up(self, venue: Venue, side: Side, price: int, qty: int) -> None:
        """The real trade shows more resting at ``price`` than the last snapshot did: orders that
        arrived since, so behind everyone queued there. Placed unless it would cross a user's order."""
        opposite = Side.BUY if side == Side.SELL else Side.SELL
        crossing: Callable[[int], bool] = (lambda p: p >= price) if side == Side.SELL else (lambda p: p <= price)
        self.stats.stale_cleared += self._clear(venue, opposite, crossing)  # the real book had none there
        _, bids, asks = venue.depth(self.symbol, 1)
        best = bids if opposite == Side.BUY else asks
        if best and crossing(best[0][0]):
            return
        if self._below_minimums(price, qty) is not None:  # too small to rest: the taker fills less
            return
        self.stats.topped_up_qty += qty
        self._place_maker(venue, side, price, qty)

    def _resting(self, venue: Venue, side: Side, price: int) -> int:
        """All quantity on ``side`` at ``price`` or better (anyone's)."""
        _, bids, asks = venue.depth(self.symbol, None)
        if side == Side.SELL:
            return sum(q for p, q in asks if p <= price)
        return sum(q for p, q in bids if p >= price)

    def _clear(self, venue: Venue, side: Side, where: Callable[[int], bool]) -> int:
        """Cancel the maker's orders on ``side`` at prices ``where`` holds; returns how many."""
        n = 0
        for rec in venue.open_orders(self._house(self.maker), self.symbol):
            if rec.side == side and where(rec.price) and self._cancel(venue, rec):
                n += 1
        return n

    # ---- the market's filters ----

    def _price_ok(self, price: int) -> bool:
        pf = self.spec.price_filter
        return price > 0 and price >= pf.min_price and (not pf.max_price or price <= pf.max_price)

    def _lot_floor(self, qty: int) -> int:
        step = self.spec.lot_size.step_size
        return qty // step * step if step else qty

    def _below_minimums(self, price: int, qty: int) -> str | None:
        """Which of LOT_SIZE's minimum ("qty") or NOTIONAL's ("notional") a quantity fails, if any."""
        spec = self.spec
        if qty <= 0 or qty < spec.lot_size.min_qty:
            return "qty"
        if qty * price < spec.notional.min_notional * 10**spec.base.decimals:
            return "notional"
        return None

    def _qty_ok(self, price: int, qty: int) -> bool:
        """Whether a level or a trade passes the minimums; what does not is counted."""
        failed = self._below_minimums(price, qty)
        if failed == "qty":
            self.stats.skipped_qty += 1
        elif failed == "notional":
            self.stats.skipped_notional += 1
        return failed is None

    def _chunks(self, price: int, qty: int) -> list[int]:
        """Split a quantity into orders each within LOT_SIZE's maximum and the maximum notional."""
        spec = self.spec
        cap = spec.lot_size.max_qty or qty
        if spec.notional.max_notional:
            cap = min(cap, self._lot_floor(spec.notional.max_notional * 10**spec.base.decimals // price))
        if cap <= 0 or qty <= cap:
            return [qty]
        step = spec.lot_size.step_size or 1
        lots, cap_lots = qty // step, cap // step
        n = -(-lots // cap_lots)
        each, extra = divmod(lots, n)  # n near-equal chunks, each within the cap
        return [(each + (i < extra)) * step for i in range(n)]

    def _refused(self, e: Refused) -> None:
        self.stats.rejected[e.reason] += 1
        log.debug("%s mirror: venue refused (%s)", self.symbol, e)


def _remaining(rec: OrderRecord) -> int:
    return rec.orig_qty - rec.executed_qty
