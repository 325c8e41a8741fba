"""Synthetic markets: seeded reference prices, market makers quoting ladders around them, takers.

Per market a reference price moves in steps (geometric Brownian motion with drift, plus rare
jumps); market-maker house accounts keep a ladder of limit orders around it and a taker house
account sends market orders and marketable IOC limits at Poisson times with exponential sizes.
Everything goes through the venue like any user's orders, so a user's resting order fills when
takers reach it after the orders ahead of it at its price, a large user order walks the book, and
the makers put the depth back on their next refresh.

Determinism: every decision of a market comes from its own ``random.Random`` seeded with
``"sandex-synthetic:{seed}:{symbol}"`` (string seeds are hashed with SHA-512, never with the
salted ``hash``), events run in a fixed order (time, then price step < maker refresh < taker, then
market, then maker), and nothing reads the wall clock. The same seed and the same sequence of
``advance`` times give the same trade tape.

Money is integers: the reference is kept as an integer number of 1/65536 ticks (so a market whose
tick is coarse next to a price step still moves, without rounding every step to zero) and quoted
as whole ticks; quantities are whole lots. The reference is kept inside PRICE_FILTER and so that
the inner quotes are inside PERCENT_PRICE_BY_SIDE around the engine's average price; deeper levels
outside those bounds are not placed. Sizes respect LOT_SIZE, MARKET_LOT_SIZE and NOTIONAL (market
orders are measured at the same average price the engine uses). A refusal is counted, never
raised: a refused quote must not break the market.

Makers re-quote only what changed: on each refresh a level is replaced if its order is gone
(filled: looked up only when the market traded since the maker's last look), has drifted from
its target price by more than its tolerance (none for the inner level, a quarter then half a
level step deeper), or has outlived its random lifetime (``quote_lifetime_ms``, exponential);
every other order keeps its place in the queue. Quotes are post-only (LIMIT_MAKER): a level that
would cross someone else's stale quote waits, except that the first such level of a side rests
one tick off it, so the book stays two-sided and makers never trade with each other.

Bounded catch-up: events due more than ``MAX_CATCHUP_MS`` before ``now`` are not replayed one by
one. The price steps of that stretch are drawn as one move (one normal draw for the diffusion,
binomial counts for the jumps), the makers' refreshes are dropped (they refresh in the last
stretch) and the takers restart their Poisson clock (memoryless, so nothing is biased); only the
last ``MAX_CATCHUP_MS`` run event by event. An ``advance`` after ten minutes costs about as much as
one after five seconds.
"""

from __future__ import annotations

import dataclasses
import math
import random
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from engine import (
    RATE_DENOM,
    MarketSpec,
    OrderType,
    RejectReason,
    SelfTradePrevention,
    Side,
    TimeInForce,
    mul_div_ceil,
    mul_div_floor,
)

from ..clock import DAY_MS, HOUR_MS
from ..orders import OrderRequest, Placement
from ..refusals import Refused
from ..venue import Venue
from ..wire import parse_units

FINE = 1 << 16  # sub-tick units of the reference state
MAX_CATCHUP_MS = 5_000  # only the last this-many ms of a long pause are replayed event by event
HOUSE_BALANCE = 10**17  # units of the market's base and quote per house account: never runs dry
MOMENTUM_MS = 5_000  # time constant of the average the takers' side skew compares the price with
SKEW_PER_BP = 0.02  # takers' buy probability per basis point of recent move (capped at MAX_SKEW)
MAX_SKEW = 0.3
IOC_SHARE = 0.3  # share of takers sending marketable IOC limits instead of market orders
IOC_MAX_LEVELS = 3  # an IOC limit reaches up to this many level steps past the inner quote
MAX_LOG_MOVE = 5.0  # a single move (even a bulk one) changes the log price by at most this


class _Outcome(Enum):
    CROSSES = "crosses"  # a post-only quote that would have traded on entry


_CROSSES = _Outcome.CROSSES

# event kinds, in the order they run when due at the same time
_STEP, _REFRESH, _TAKER = 0, 1, 2


def _decimal(name: str, text: object, lo: Decimal, hi: Decimal, lo_open: bool = False) -> Decimal:
    if not isinstance(text, str):
        raise ValueError(f'{name} must be decimal text like "0.02", got {text!r}')
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f'{name} must be decimal text like "0.02", got {text!r}') from None
    if not value.is_finite() or value < lo or value > hi or (lo_open and value == lo):
        low = "(" if lo_open else "["
        raise ValueError(f"{name} must be in {low}{lo}, {hi}], got {text!r}")
    return value


def _integer(name: str, value: object, lo: int, hi: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be in [{lo}, {hi}], got {value}")
    return value


@dataclass(frozen=True, slots=True)
class SyntheticSettings:
    """One synthetic market's behaviour; decimal text for fractions, like the rest of the config."""

    volatility: str = "0.02"  # daily volatility of the reference price (fraction)
    drift: str = "0"  # daily drift (fraction)
    jump_probability: str = "0.001"  # per price step
    jump_size: str = "0.01"  # fraction, either way
    step_ms: int = 200  # how often the reference price moves
    spread_bps: int = 4  # makers' inner spread around the reference (at least one tick each side)
    levels: int = 10  # per side per maker
    level_step_bps: int = 2  # between a maker's levels (at least one tick)
    level_notional: str = "400"  # multiples of the market's minimum notional per level (+-50 %)
    makers: int = 2
    refresh_ms: int = 100  # how often each maker re-quotes (only changed levels)
    taker_rate: str = "2"  # taker orders per second (Poisson)
    taker_notional: str = "20"  # mean taker size in multiples of the minimum notional (exponential)
    quote_lifetime_ms: int = 1_500  # mean life of a quote before its maker renews it (0: never)

    def __post_init__(self) -> None:
        _decimal("volatility", self.volatility, Decimal(0), Decimal(10))
        _decimal("drift", self.drift, Decimal(-10), Decimal(10))
        _decimal("jump_probability", self.jump_probability, Decimal(0), Decimal(1))
        _decimal("jump_size", self.jump_size, Decimal(0), Decimal("0.9"))
        _integer("step_ms", self.step_ms, 1, HOUR_MS)
        _integer("spread_bps", self.spread_bps, 0, 5_000)
        _integer("levels", self.levels, 1, 90)  # 2 x levels orders per maker stay under MAX_NUM_ORDERS
        _integer("level_step_bps", self.level_step_bps, 0, 1_000)
        _decimal("level_notional", self.level_notional, Decimal(0), Decimal(10**6), lo_open=True)
        _integer("makers", self.makers, 0, 16)
        _integer("refresh_ms", self.refresh_ms, 1, HOUR_MS)
        _decimal("taker_rate", self.taker_rate, Decimal(0), Decimal(1_000))
        _decimal("taker_notional", self.taker_notional, Decimal(0), Decimal(10**6), lo_open=True)
        _integer("quote_lifetime_ms", self.quote_lifetime_ms, 0, DAY_MS)


class _Quote:
    __slots__ = ("expires", "order_id", "price")

    def __init__(self, order_id: int, price: int, expires: float) -> None:
        self.order_id = order_id
        self.price = price  # ticks
        self.expires = expires  # ms


class _Maker:
    __slots__ = ("account", "asks", "bids", "next_expiry", "next_refresh", "seen_ref", "seen_trades")

    def __init__(self, account: int, levels: int, first_refresh: int) -> None:
        self.account = account
        self.bids: list[_Quote | None] = [None] * levels
        self.asks: list[_Quote | None] = [None] * levels
        self.next_refresh = first_refresh
        self.seen_trades = -1  # the market's trade count at this maker's last refresh
        self.seen_ref = -1
        self.next_expiry = math.inf


class _Market:
    """One market's price process, makers and taker; all of its randomness from ``rng``."""

    def __init__(self, index: int, symbol: str, settings: SyntheticSettings, seed: int, start_price: int) -> None:
        self.index = index
        self.symbol = symbol
        self.settings = settings
        self.start_price = start_price
        self.rng = random.Random(f"sandex-synthetic:{seed}:{symbol}")
        s = settings
        dt = s.step_ms / DAY_MS
        vol, drift = float(Decimal(s.volatility)), float(Decimal(s.drift))
        self.sigma = vol * math.sqrt(dt)  # per step, of the log price
        self.mu = (drift - vol * vol / 2) * dt
        self.jump_p = float(Decimal(s.jump_probability))
        jump = float(Decimal(s.jump_size))
        self.jump_up, self.jump_down = math.log1p(jump), math.log1p(-jump)
        self.alpha = 1 - math.exp(-s.step_ms / MOMENTUM_MS)
        self.level_notional = float(Decimal(s.level_notional))
        self.taker_notional = float(Decimal(s.taker_notional))
        self.taker_per_ms = float(Decimal(s.taker_rate)) / 1000
        # filled in by start()
        self._spec: MarketSpec | None = None
        self.tick = self.lot = self.factor = 0
        self.quote_type = OrderType.LIMIT_MAKER
        self.fine = 0
        self.ema = 0.0
        self.next_step = 0
        self.next_taker = math.inf
        self.makers: list[_Maker] = []
        self.taker = 0
        self.ids = 0
        # counters
        self.quote_updates = 0
        self.filled_quotes = 0
        self.held_back = 0  # quotes not placed (yet) because they would have crossed the book
        self.takers_sent = 0
        self.refused = 0
        self.refusal_reasons: dict[str, int] = {}  # by the reason's name (MARKET_CLOSED, ...)
        self.skipped_ms = 0

    @property
    def spec(self) -> MarketSpec:
        """The market's rules, known from ``start`` on."""
        if self._spec is None:
            raise RuntimeError(f"{self.symbol}: the synthetic market has not started")
        return self._spec

    # ---- set-up ----------------------------------------------------------------------------

    def start(self, venue: Venue, now: int) -> None:
        spec = self._spec = venue.markets[self.symbol].spec
        self.tick, self.lot, self.factor = spec.price_filter.tick_size, spec.lot_size.step_size, spec.notional_factor
        self.quote_type = OrderType.LIMIT_MAKER if OrderType.LIMIT_MAKER in spec.order_types else OrderType.LIMIT
        ticks = max(spec.min_tick, min(spec.max_tick, (self.start_price + self.tick // 2) // self.tick))
        self.fine = ticks * FINE
        self.ema = float(ticks)
        balances = {spec.base.code: HOUSE_BALANCE, spec.quote.code: HOUSE_BALANCE}
        s = self.settings
        for i in range(s.makers):
            account = venue.house_account(f"synthetic:{self.symbol}:maker{i}", balances)
            # the makers refresh in turn, spread over one refresh period
            self.makers.append(_Maker(account, s.levels, now + i * s.refresh_ms // max(s.makers, 1)))
        self.taker = venue.house_account(f"synthetic:{self.symbol}:taker", balances)
        self.next_step = now + s.step_ms
        self.next_taker = now + self.rng.expovariate(self.taker_per_ms) if self.taker_per_ms > 0 else math.inf
        for maker in self.makers:  # the first ladders go up at once
            self._refresh(maker, now, venue, now)
            maker.next_refresh += s.refresh_ms

    # ---- prices ------------------------------------------------------------------------------

    def ref_ticks(self) -> int:
        return (self.fine + FINE // 2) // FINE

    def half_and_step(self, ref: int) -> tuple[int, int]:
        """The inner half-spread and the step between levels, in ticks (at least one each)."""
        s = self.settings
        return max(1, ref * s.spread_bps // 20_000), max(1, ref * s.level_step_bps // 10_000)

    def price_bounds(self, venue: Venue, now: int) -> tuple[int, int, int, int]:
        """(lowest bid, highest bid, lowest ask, highest ask) in ticks that the venue accepts now."""
        spec = self.spec
        lo, hi = spec.min_tick, spec.max_tick
        bid_lo = ask_lo = lo
        bid_hi = ask_hi = hi
        pp = spec.percent_price
        if pp is not None:
            avg = venue.avg_price(self.symbol, now, pp.avg_price_mins)
            if avg:
                a = avg // self.tick
                bid_lo = max(lo, mul_div_ceil(a, pp.bid_multiplier_down, RATE_DENOM))
                bid_hi = min(hi, mul_div_floor(a, pp.bid_multiplier_up, RATE_DENOM))
                ask_lo = max(lo, mul_div_ceil(a, pp.ask_multiplier_down, RATE_DENOM))
                ask_hi = min(hi, mul_div_floor(a, pp.ask_multiplier_up, RATE_DENOM))
        return bid_lo, bid_hi, ask_lo, ask_hi

    def _move(self, log_return: float, venue: Venue, now: int) -> None:
        """Move the reference by a log return, then keep its inner quotes valid."""
        r = max(-MAX_LOG_MOVE, min(MAX_LOG_MOVE, log_return))
        self.fine += round(self.fine * math.expm1(r))
        self._clamp(venue, now)

    def _clamp(self, venue: Venue, now: int) -> None:
        """Keep the reference where both inner quotes pass PRICE_FILTER and PERCENT_PRICE_BY_SIDE."""
        bid_lo, bid_hi, ask_lo, ask_hi = self.price_bounds(venue, now)
        for _ in range(4):  # the half-spread grows with the price: settle it (twice is almost always enough)
            half, _ = self.half_and_step(self.ref_ticks())
            lo = max(bid_lo + half, ask_lo - half)
            hi = min(bid_hi + half, ask_hi - half)
            if lo > hi:  # bounds narrower than the spread: stay inside the price filter at least
                lo, hi = self.spec.min_tick, self.spec.max_tick
            fine = max(lo * FINE, min(hi * FINE, self.fine))
            if fine == self.fine:
                return
            self.fine = fine

    def step(self, venue: Venue, now: int) -> None:
        self.next_step += self.settings.step_ms
        rng = self.rng
        r = self.mu
        if self.sigma:
            r += self.sigma * rng.gauss(0.0, 1.0)
        if self.jump_p and rng.random() < self.jump_p:
            r += self.jump_up if rng.random() < 0.5 else self.jump_down
        self._move(r, venue, now)
        self.ema += self.alpha * (self.fine / FINE - self.ema)

    def bulk_steps(self, n: int, venue: Venue, now: int) -> None:
        """``n`` price steps as one move: the same distribution (jump counts approximated when many)."""
        rng = self.rng
        r = n * self.mu
        if self.sigma:
            r += self.sigma * math.sqrt(n) * rng.gauss(0.0, 1.0)
        if self.jump_p:
            jumps = self._binomial(n, self.jump_p)
            ups = self._binomial(jumps, 0.5)
            r += ups * self.jump_up + (jumps - ups) * self.jump_down
        self._move(r, venue, now)
        self.ema = self.fine / FINE  # no momentum survives a long pause
        self.next_step += n * self.settings.step_ms

    def _binomial(self, n: int, p: float) -> int:
        rng = self.rng
        if n <= 64:
            return sum(1 for _ in range(n) if rng.random() < p)
        lam = n * p
        if lam < 30 and p <= 0.1:  # Poisson (Knuth): a handful of draws
            limit, k, prod = math.exp(-lam), 0, rng.random()
            while prod > limit and k < n:
                k += 1
                prod *= rng.random()
            return k
        return max(0, min(n, round(rng.gauss(lam, math.sqrt(lam * (1 - p))))))

    # ---- events ------------------------------------------------------------------------------

    def next_event(self) -> tuple[float, int, int]:
        """(time, kind, maker index) of the next event."""
        best: tuple[float, int, int] = (self.next_step, _STEP, 0)
        for i, maker in enumerate(self.makers):
            if (maker.next_refresh, _REFRESH, i) < best:
                best = (maker.next_refresh, _REFRESH, i)
        if (self.next_taker, _TAKER, 0) < best:
            best = (self.next_taker, _TAKER, 0)
        return best

    def catch_up(self, venue: Venue, now: int) -> None:
        """Skip what was due more than MAX_CATCHUP_MS ago (see the module's doc)."""
        horizon = now - MAX_CATCHUP_MS
        s = self.settings
        first = self.next_event()[0]
        if first > horizon:
            return
        self.skipped_ms += int(horizon - first)
        if self.next_step <= horizon:
            self.bulk_steps((horizon - self.next_step) // s.step_ms + 1, venue, now)
        for maker in self.makers:
            if maker.next_refresh <= horizon:
                maker.next_refresh += ((horizon - maker.next_refresh) // s.refresh_ms + 1) * s.refresh_ms
        if self.next_taker <= horizon:
            self.next_taker = horizon + self.rng.expovariate(self.taker_per_ms)

    def run(self, kind: int, i: int, venue: Venue, now: int) -> None:
        if kind == _STEP:
            self.step(venue, now)
        elif kind == _REFRESH:
            maker = self.makers[i]
            t = maker.next_refresh
            maker.next_refresh += self.settings.refresh_ms
            self._refresh(maker, t, venue, now)
        else:
            self.next_taker += self.rng.expovariate(self.taker_per_ms)
            self._take(venue, now)

    # ---- orders ------------------------------------------------------------------------------

    def _refused(self, e: Refused) -> None:
        self.refused += 1
        self.refusal_reasons[e.reason.name] = self.refusal_reasons.get(e.reason.name, 0) + 1

    def _place(
        self,
        account: int,
        side: Side,
        otype: OrderType,
        tif: TimeInForce,
        lots: int,
        price: int,
        stp: SelfTradePrevention,
        venue: Venue,
    ) -> Placement | None:
        self.ids += 1
        spec = self.spec
        req = OrderRequest(
            self.symbol,
            side,
            otype,
            tif,
            spec.qty_units(lots),
            spec.price_units(price),
            0,
            0,
            f"sx{self.index}-{self.ids}",
            stp,
            "ACK",
        )
        try:
            return venue.place(account, req)
        except Refused as e:
            self._refused(e)
            return None

    def lot_range(self, price: int, at_market: bool, worst: int | None = None) -> tuple[int, int]:
        """(fewest, most) lots an order may have: LOT_SIZE, MARKET_LOT_SIZE, NOTIONAL at ``price`` ticks
        (and at ``worst`` for the maximum, when a market order's notional is measured elsewhere)."""
        spec = self.spec
        ls, mls, n = spec.lot_size, spec.market_lot_size, spec.notional
        per_lot = price * self.factor
        least = max(1, -(-ls.min_qty // self.lot))
        most = ls.max_qty // self.lot
        if at_market:
            least = max(least, -(-mls.min_qty // self.lot))
            if mls.max_qty:
                most = min(most, mls.max_qty // self.lot)
        if n.min_notional and (n.apply_min_to_market or not at_market):
            least = max(least, -(-n.min_notional // per_lot))
        if n.max_notional and (n.apply_max_to_market or not at_market):
            most = min(most, n.max_notional // ((worst or price) * self.factor))
        return least, most

    def _unit_notional(self, price: int) -> int:
        """The market's minimum notional (or, if it has none, one minimum order's worth)."""
        n = self.spec.notional.min_notional
        return n or price * self.factor * max(1, self.spec.lot_size.min_qty // self.lot)

    def _quote(self, maker: _Maker, side: Side, price: int, notional: int, venue: Venue) -> Placement | _Outcome | None:
        """Place one post-only quote worth about ``notional`` at ``price`` ticks: the placement, None if
        refused (counted) or too small, or ``_CROSSES`` if it would have traded on entry."""
        least, most = self.lot_range(price, False)
        lots = min(most, max(least, notional // (price * self.factor)))
        if lots < least:
            return None
        self.ids += 1
        spec = self.spec
        req = OrderRequest(
            self.symbol,
            side,
            self.quote_type,
            TimeInForce.GTC,
            spec.qty_units(lots),
            spec.price_units(price),
            0,
            0,
            f"sx{self.index}-{self.ids}",
            SelfTradePrevention.NONE,
            "ACK",
        )
        try:
            placed = venue.place(maker.account, req)
        except Refused as e:
            if e.reason is RejectReason.WOULD_TAKE:
                return _CROSSES
            self._refused(e)
            return None
        self.quote_updates += 1
        return placed if placed.order.is_open else None

    def _refresh(self, maker: _Maker, t: float, venue: Venue, now: int) -> None:
        """Re-quote the levels that are gone (filled), have drifted from their target price by more
        than their tolerance, or have outlived their lifetime; keep the rest (and their queue place)."""
        self._clamp(venue, now)  # trades since the last price step may have moved the average price
        ref = self.ref_ticks()
        trades = len(venue.markets[self.symbol].history)
        if trades == maker.seen_trades and ref == maker.seen_ref and t < maker.next_expiry:
            return  # nothing traded, moved or expired since the last refresh
        if trades != maker.seen_trades:  # some quotes may have filled: see which are still open
            live = {r.order_id for r in venue.open_orders(maker.account, self.symbol)}
            for quotes in (maker.bids, maker.asks):
                for i, q in enumerate(quotes):
                    if q is not None and q.order_id not in live:
                        quotes[i] = None
                        self.filled_quotes += 1
        s = self.settings
        half, step = self.half_and_step(ref)
        bid_lo, bid_hi, ask_lo, ask_hi = self.price_bounds(venue, now)
        todo: list[tuple[Side, list[_Quote | None], int, int, int, int]] = []
        for side, quotes, sign, lo, hi in (
            (Side.BUY, maker.bids, -1, bid_lo, bid_hi),
            (Side.SELL, maker.asks, 1, ask_lo, ask_hi),
        ):
            for i in range(s.levels):
                target = ref + sign * (half + i * step)
                q = quotes[i]
                if q is not None:
                    # the inner level follows every tick; deeper ones tolerate a quarter, then half a step
                    if abs(q.price - target) <= min(i, 2) * step // 4 and q.expires > t:
                        continue
                    try:
                        venue.cancel(maker.account, self.symbol, q.order_id, None)
                        self.quote_updates += 1
                    except Refused as e:
                        self._refused(e)
                    quotes[i] = None
                if lo <= target <= hi:
                    todo.append((side, quotes, i, target, lo, hi))
        # Quotes are post-only (LIMIT_MAKER). A level that would trade against someone else's stale
        # quote (another maker's after a jump, or a user's) is held back until a later refresh, except
        # that the first such level of a side rests one tick off the crossing quote, so the book stays
        # two-sided. This maker's own quotes never cross (out-of-tolerance ones were cancelled above,
        # kept ones are near their target).
        held_back = self.held_back
        stepped_aside = [False, False]
        rng = self.rng
        for side, quotes, i, target, lo, hi in todo:
            notional = int(self._unit_notional(target) * self.level_notional * rng.uniform(0.5, 1.5))
            life = rng.expovariate(1 / s.quote_lifetime_ms) if s.quote_lifetime_ms else math.inf
            placed = self._quote(maker, side, target, notional, venue)
            if placed is _CROSSES:
                if stepped_aside[side]:
                    self.held_back += 1
                    continue
                stepped_aside[side] = True
                _, bids, asks = venue.depth(self.symbol, 1)
                price = (
                    asks[0][0] // self.tick - 1
                    if side == Side.BUY and asks
                    else (bids[0][0] // self.tick + 1 if side == Side.SELL and bids else 0)
                )
                placed = self._quote(maker, side, price, notional, venue) if lo <= price <= hi else _CROSSES
                if placed is _CROSSES:
                    self.held_back += 1
                    continue
            if placed is not None:
                quotes[i] = _Quote(placed.order.order_id, placed.order.price // self.tick, t + life)
        maker.seen_trades = len(venue.markets[self.symbol].history)
        maker.seen_ref = ref if self.held_back == held_back else -1  # retry held-back levels next time
        maker.next_expiry = min(
            (q.expires for quotes in (maker.bids, maker.asks) for q in quotes if q is not None), default=math.inf
        )

    def _take(self, venue: Venue, now: int) -> None:
        """One taker order: side skewed by the recent move, size exponential, at market or IOC."""
        rng = self.rng
        ref = self.ref_ticks()
        momentum_bps = (self.fine / FINE - self.ema) / self.ema * 10_000 if self.ema > 0 else 0.0
        p_buy = 0.5 + max(-MAX_SKEW, min(MAX_SKEW, momentum_bps * SKEW_PER_BP))
        side = Side.BUY if rng.random() < p_buy else Side.SELL
        notional = int(self._unit_notional(ref) * rng.expovariate(1 / self.taker_notional))
        ioc = rng.random() < IOC_SHARE
        reach = rng.randint(0, IOC_MAX_LEVELS)
        half, step = self.half_and_step(ref)
        if ioc:
            bid_lo, bid_hi, ask_lo, ask_hi = self.price_bounds(venue, now)
            if side == Side.BUY:
                price = max(bid_lo, min(bid_hi, ref + half + reach * step))
            else:
                price = max(ask_lo, min(ask_hi, ref - half - reach * step))
            least, most = self.lot_range(price, False)
        else:
            price = 0
            avg = venue.avg_price(self.symbol, now, self.spec.notional.avg_price_mins)
            at = avg // self.tick if avg else ref  # the engine measures a market order at the average
            least, most = self.lot_range(min(at, ref), True, max(at, ref))
        lots = min(most, max(least, notional // (ref * self.factor)))
        if lots < least:
            return
        self.takers_sent += 1
        if ioc:
            self._place(
                self.taker, side, OrderType.LIMIT, TimeInForce.IOC, lots, price, SelfTradePrevention.EXPIRE_TAKER, venue
            )
        else:
            self._place(
                self.taker, side, OrderType.MARKET, TimeInForce.GTC, lots, 0, SelfTradePrevention.EXPIRE_TAKER, venue
            )


class SyntheticMarkets:
    """The synthetic liquidity of every market it is given (a ``LiquiditySource``)."""

    def __init__(self, settings: dict[str, SyntheticSettings], seed: int, reference_prices: dict[str, int]) -> None:
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise ValueError(f"seed must be an integer, got {seed!r}")
        for symbol, s in settings.items():
            if not isinstance(s, SyntheticSettings):
                raise ValueError(f"{symbol}: settings must be SyntheticSettings, got {type(s).__name__}")
        for symbol, price in reference_prices.items():
            if not isinstance(price, int) or isinstance(price, bool) or price <= 0:
                raise ValueError(f"{symbol}: reference price must be a positive integer (quote units), got {price!r}")
            if symbol not in settings:
                raise ValueError(f"{symbol}: a reference price for a market without settings")
        self.seed = seed
        self._settings = dict(settings)
        self._prices = dict(reference_prices)
        self._markets: list[_Market] = []
        self._by_symbol: dict[str, _Market] = {}
        self._now: int | None = None

    @classmethod
    def for_venue(cls, venue: Venue, seed: int, settings: SyntheticSettings | None = None) -> SyntheticMarkets:
        """Every listed market with a configured ``reference_price``, all with the same settings."""
        s = settings or SyntheticSettings()
        prices = {}
        for symbol, market in venue.markets.items():
            if market.config.reference_price:
                prices[symbol] = parse_units(
                    market.config.reference_price, market.spec.quote.decimals, f"{symbol}.reference_price"
                )
        return cls({symbol: s for symbol in prices}, seed, prices)

    # ---- LiquiditySource ---------------------------------------------------------------------

    def start(self, venue: Venue, now: int) -> None:
        if self._now is not None:
            raise RuntimeError("synthetic markets already started")
        markets = []
        for index, symbol in enumerate(sorted(self._settings)):
            market = venue.markets.get(symbol)
            if market is None:
                raise ValueError(f"{symbol}: not listed on the venue; listed: {sorted(venue.markets)}")
            price = self._prices.get(symbol)
            if price is None:
                if not market.config.reference_price:
                    raise ValueError(f"{symbol}: no reference price given or configured")
                price = parse_units(
                    market.config.reference_price, market.spec.quote.decimals, f"{symbol}.reference_price"
                )
            markets.append(_Market(index, symbol, self._settings[symbol], self.seed, price))
        self._markets = markets
        self._by_symbol = {m.symbol: m for m in markets}
        self._now = now
        for m in markets:
            m.start(venue, now)

    def advance(self, venue: Venue, now: int) -> None:
        if self._now is None:
            raise RuntimeError("start the synthetic markets before advancing them")
        if now < self._now:
            return
        self._now = now
        markets = self._markets
        for m in markets:
            m.catch_up(venue, now)
        while True:
            best = None
            best_key: tuple[float, int, int, int] = (0.0, 0, 0, 0)
            for m in markets:
                t, kind, i = m.next_event()
                if t <= now and (best is None or (t, kind, m.index, i) < best_key):
                    best, best_key = m, (t, kind, m.index, i)
            if best is None:
                return
            best.run(best_key[1], best_key[3], venue, now)

    def next_due(self) -> int | None:
        if self._now is None or not self._markets:
            return None
        t = min(m.next_event()[0] for m in self._markets)
        return math.ceil(t) if t != math.inf else None

    # ---- control and statistics --------------------------------------------------------------

    @property
    def symbols(self) -> list[str]:
        """The markets this source trades, in the order they started."""
        return list(self._by_symbol)

    def _market(self, symbol: str) -> _Market:
        m = self._by_symbol.get(symbol)
        if m is None:
            raise ValueError(f"{symbol}: not a synthetic market (started: {sorted(self._by_symbol)})")
        return m

    def set_reference(self, symbol: str, price: int) -> None:
        """Move the reference price (quote units; snapped to the tick, kept inside PRICE_FILTER);
        the makers re-quote on their next refresh, the price process goes on from there."""
        m = self._market(symbol)
        if not isinstance(price, int) or isinstance(price, bool) or price <= 0:
            raise ValueError(f"{symbol}: reference price must be a positive integer (quote units), got {price!r}")
        ticks = max(m.spec.min_tick, min(m.spec.max_tick, (price + m.tick // 2) // m.tick))
        m.fine = ticks * FINE

    def reference(self, symbol: str) -> int:
        m = self._market(symbol)
        return m.ref_ticks() * m.tick

    def quote_updates(self, symbol: str | None = None) -> int:
        """Orders the makers placed or cancelled so far (of one market, or of all)."""
        if symbol is not None:
            return self._market(symbol).quote_updates
        return sum(m.quote_updates for m in self._markets)

    def refusals(self, symbol: str | None = None) -> int:
        """Orders and cancels the venue refused (counted, never raised)."""
        if symbol is not None:
            return self._market(symbol).refused
        return sum(m.refused for m in self._markets)

    def stats(self, symbol: str) -> dict[str, object]:
        m = self._market(symbol)
        return {
            "quote_updates": m.quote_updates,
            "filled_quotes": m.filled_quotes,
            "held_back": m.held_back,
            "takers": m.takers_sent,
            "refused": m.refused,
            "refusal_reasons": dict(m.refusal_reasons),
            "skipped_ms": m.skipped_ms,
            "reference": m.ref_ticks() * m.tick,
        }

    def to_record(self) -> list[object]:
        """As configured, before it started (simulator/records.py): settings, seed, start prices."""
        if self._now is not None:
            raise ValueError("only synthetic markets not yet started are journaled whole")
        return [{symbol: dataclasses.asdict(s) for symbol, s in self._settings.items()}, self.seed, self._prices]

    @classmethod
    def from_record(cls, values: list[Any]) -> SyntheticMarkets:
        settings, seed, prices = values
        return cls({symbol: SyntheticSettings(**s) for symbol, s in settings.items()}, seed, prices)

    def config_key(self) -> object:
        """Settings and seed (not the start prices: a restarted market goes on from its own)."""
        return sorted(self._settings.items()), self.seed

    def house_accounts(self) -> list[int]:
        return [a for m in self._markets for a in (*(mk.account for mk in m.makers), m.taker)]

    def accounts(self, symbol: str) -> tuple[list[int], int]:
        """(maker accounts, taker account) of a market."""
        m = self._market(symbol)
        return [mk.account for mk in m.makers], m.taker
