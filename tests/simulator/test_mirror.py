"""The live mirror: the simulated book follows an external book and tape, and users fill against it.

Everything runs offline: the mirror replays ``data/mirror_btcusdt.jsonl`` (a synthetic BTCUSDT
recording made by ``synthesize`` below; ``python -m tests.simulator.test_mirror`` rewrites it) on a
ManualClock, and the ccxt adapters are driven by tiny fake exchanges with canned answers.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from engine import MarketStatus, OrderType, SelfTradePrevention, Side, TimeInForce
from simulator.clock import ManualClock
from simulator.config import SimulatorConfig
from simulator.launcher import build
from simulator.liquidity.ccxt_feeds import CcxtPollingFeed, CcxtProWatchFeed, to_units
from simulator.liquidity.driver import LiquidityDriver
from simulator.liquidity.mirror import LiveMirror
from simulator.liquidity.mirror_feed import BookSnapshot, MirrorFeed, PublicTrade
from simulator.liquidity.recorded_feed import RecordedFeed, observation_from_json, observation_to_json, record
from simulator.orders import OrderRequest
from simulator.wire import parse_units

SAMPLE = Path(__file__).parent / "data" / "mirror_btcusdt.jsonl"
SYMBOL = "BTCUSDT"
TICK = 1_000_000  # 0.01 USDT in units
MIN_NOTIONAL = 5 * 10**8


def units(text: str) -> int:
    return parse_units(text, 8, "test")


# ---- the sample recording ------------------------------------------------------------------------

SAMPLE_T0 = 1_700_000_000_000


def synthesize(seed: int = 5, duration_ms: int = 4500, snap_ms: int = 250, levels: int = 20) -> list[dict]:
    """A BTCUSDT-like market as Binance shows it over REST: 20-level depth polled every ``snap_ms``
    and aggregate trades (one per taker order and price level). One-tick spread, thick best levels,
    sparse deeper ones; 1.5 s of buying that eats through the first best ask, a 2 s sell-off, then
    a recovery. Levels never fall below the market's minimum notional (dust is cancelled)."""
    rng = random.Random(seed)

    def size(mu: float, sigma: float = 1.1, lo: int = 12, hi: int = 400_000) -> int:  # in lots of 0.00001
        return max(lo, min(hi, int(math.exp(rng.gauss(math.log(mu), sigma)))))

    def ptext(ticks: int) -> str:
        return f"{ticks // 100}.{ticks % 100:02d}"

    def qtext(lots: int) -> str:
        return f"{lots // 100_000}.{lots % 100_000:05d}"

    bids: dict[int, int] = {}
    asks: dict[int, int] = {}
    p = 8_999_999
    for i in range(30):
        bids[p] = size(50_000 if i == 0 else 12_000)
        p -= 1 if i < 4 else rng.randint(1, 5)
    p = 9_000_000
    for i in range(30):
        asks[p] = size(30_000 if i == 0 else 12_000)
        p += 1 if i < 4 else rng.randint(1, 5)
    lines: list[dict] = []
    trade_id = 3_301_245_000
    t = next_snap = SAMPLE_T0
    end = SAMPLE_T0 + duration_ms

    def snapshot(at: int) -> None:
        b = sorted(bids.items(), reverse=True)[:levels]
        a = sorted(asks.items())[:levels]
        lines.append(
            {
                "type": "book",
                "time": at,
                "bids": [[ptext(x), qtext(y)] for x, y in b],
                "asks": [[ptext(x), qtext(y)] for x, y in a],
            }
        )

    while t < end:
        while next_snap <= t:
            snapshot(next_snap)
            next_snap += snap_ms
        elapsed = t - SAMPLE_T0
        selloff = 1500 <= elapsed < 3500
        buy_bias = 0.15 if selloff else (0.75 if elapsed < 1500 else 0.6)
        best_b, best_a = max(bids), min(asks)
        r = rng.random()
        if best_a - best_b > 1 and r < 0.5:  # market makers close the spread
            if rng.random() < (0.8 if selloff else 0.5):
                asks[best_a - 1] = size(9_000)
            else:
                bids[best_b + 1] = size(9_000)
        elif r < 0.38:  # a market order sweeping from the best level: one trade per level
            buy = rng.random() < buy_bias
            want = size(20_000 if selloff else 7_000, 1.0, 12, 150_000)
            book = asks if buy else bids
            while want > 0:
                best = min(book) if buy else max(book)
                take = min(want, book[best])
                trade_id += 1
                lines.append(
                    {
                        "type": "trade",
                        "time": t,
                        "id": str(trade_id),
                        "price": ptext(best),
                        "qty": qtext(take),
                        "side": "buy" if buy else "sell",
                    }
                )
                book[best] -= take
                want -= take
                if book[best] == 0:
                    del book[best]
        elif r < 0.78:  # a new limit order near the top
            bid_side = rng.random() < (0.35 if selloff else 0.5)
            book = bids if bid_side else asks
            price = best_b - rng.randint(0, 6) if bid_side else best_a + rng.randint(0, 6)
            book[price] = book.get(price, 0) + size(7_000, 1.2)
        else:  # a cancel near the top
            bid_side = rng.random() < (0.6 if selloff else 0.5)
            book = bids if bid_side else asks
            price = rng.choice(sorted(book, reverse=bid_side)[:12])
            book[price] -= max(1, int(book[price] * rng.uniform(0.2, 1.0)))
        for book, away in ((bids, -1), (asks, 1)):
            for price in [q for q, lots in book.items() if lots * q < 5 * 100 * 100_000]:  # dust: < 5 USDT
                del book[price]
            while len(book) < 30:
                far = min(book) if away < 0 else max(book)
                book[far + away * rng.randint(1, 5)] = size(12_000)
            while len(book) > 40:
                del book[min(book) if away < 0 else max(book)]
        t += max(1, int(rng.expovariate(1 / 20)))
        if t == next_snap:  # keep snapshot times free of trades, so each snapshot can be checked alone
            t += 1
    while next_snap <= end:
        snapshot(next_snap)
        next_snap += snap_ms
    return lines


def write_sample(path: Path = SAMPLE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(
            json.dumps(observation_to_json(observation_from_json(line)), separators=(",", ":")) + "\n"
            for line in synthesize()
        )  # in the canonical text ``record`` writes


def sample() -> list[BookSnapshot | PublicTrade]:
    return list(RecordedFeed(SAMPLE))


# ---- replaying on a ManualClock ------------------------------------------------------------------


class Replay:
    """A fresh simulator (no static book) on a ManualClock with a mirror over a recording."""

    def __init__(self, path: Path = SAMPLE, **mirror_options) -> None:
        self.observations = list(RecordedFeed(path))
        self.t0 = self.observations[0].time
        self.clock = ManualClock(self.t0 - 1_000)
        self.sim = build(SimulatorConfig(liquidity=False), clock=self.clock)
        self.venue = self.sim.venue
        self.mirror = LiveMirror(SYMBOL, RecordedFeed(path), **mirror_options)
        self.driver = LiquidityDriver(self.venue, [self.mirror])
        self.driver.start()

    def to(self, t: int) -> None:
        self.clock.set(t)
        self.driver.step()
        self.venue.engine.check_invariants()

    def times(self) -> list[int]:
        return sorted({o.time for o in self.observations})

    def at(self, t: int) -> list[BookSnapshot | PublicTrade]:
        return [o for o in self.observations if o.time == t]

    def depth(self, limit: int = 20) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        _, bids, asks = self.venue.depth(SYMBOL, limit)
        return bids, asks

    def place(self, side: Side, price: int, qty: int, account: int | None = None) -> int:
        req = OrderRequest(
            SYMBOL, side, OrderType.LIMIT, TimeInForce.GTC, qty, price, 0, 0, None, SelfTradePrevention.NONE, "ACK"
        )
        return self.venue.place(self.sim.demo_account if account is None else account, req).order.order_id

    def order(self, order_id: int):
        return self.venue.order(self.sim.demo_account, SYMBOL, order_id, None)

    def house_at(self, side: Side, price: int) -> list:
        return [r for r in self.venue.open_orders(self.mirror.maker, SYMBOL) if r.side == side and r.price == price]


def expected_levels(snap: BookSnapshot, depth: int = 20):
    keep = (
        [(p, q) for p, q in snap.bids[:depth] if p * q >= MIN_NOTIONAL * 10**8],
        [(p, q) for p, q in snap.asks[:depth] if p * q >= MIN_NOTIONAL * 10**8],
    )
    return keep


def test_the_sample_is_a_realistic_consistent_recording() -> None:
    obs = sample()
    books = [o for o in obs if isinstance(o, BookSnapshot)]
    trades = [o for o in obs if isinstance(o, PublicTrade)]
    assert len(books) >= 15 and len(trades) >= 50
    assert SAMPLE.stat().st_size < 64_000
    assert [o.time for o in obs] == sorted(o.time for o in obs)
    for b in books:
        assert len(b.bids) == len(b.asks) == 20
        assert [p for p, _ in b.bids] == sorted({p for p, _ in b.bids}, reverse=True)
        assert [p for p, _ in b.asks] == sorted({p for p, _ in b.asks})
        assert b.bids[0][0] < b.asks[0][0]
        assert all(p % TICK == 0 and q % 1000 == 0 and p * q >= MIN_NOTIONAL * 10**8 for p, q in b.bids + b.asks)
    assert len({t.trade_id for t in trades}) == len(trades)
    assert {t.taker_side for t in trades} == {Side.BUY, Side.SELL}


# ---- the book and the tape follow the recording ----------------------------------------------------


def test_observations_wait_until_the_clock_passes_their_time() -> None:
    r = Replay()
    assert r.depth() == ([], [])
    assert r.mirror.next_due() == r.t0
    r.to(r.t0 - 1)
    assert r.depth() == ([], []) and r.mirror.stats.snapshots == 0
    r.to(r.t0)
    first = r.observations[0]
    assert isinstance(first, BookSnapshot)
    assert r.depth() == expected_levels(first)
    assert r.mirror.next_due() == min(o.time for o in r.observations if o.time > r.t0)


def test_the_simulated_book_follows_every_snapshot_level_by_level() -> None:
    r = Replay()
    checked = 0
    for t in r.times():
        r.to(t)
        last = r.at(t)[-1]
        if isinstance(last, BookSnapshot):
            assert r.depth() == expected_levels(last), f"at +{t - r.t0} ms"
            checked += 1
        # the maker never piles up orders: at most a few per mirrored level
        assert len(r.venue.open_orders(r.mirror.maker, SYMBOL)) <= 2 * 20 * r.mirror.max_orders_per_level
    assert checked == sum(isinstance(o, BookSnapshot) for o in r.observations)
    assert r.mirror.next_due() is None  # the recording is over
    s = r.mirror.stats
    assert s.snapshots == checked and s.skipped_price == s.skipped_qty == s.skipped_notional == 0
    assert not s.rejected and s.orders_amended > 0 and s.orders_canceled > 0


def test_the_trade_tape_follows_the_recorded_trades() -> None:
    r = Replay()
    for t in r.times():
        r.to(t)
    recorded = [o for o in r.observations if isinstance(o, PublicTrade)]
    tape = r.venue.markets[SYMBOL].history.recent(10_000)

    def by_print(rows) -> Counter:
        out: Counter = Counter()
        for time_, price, qty, buy in rows:
            out[(time_, price, buy)] += qty
        return out

    assert by_print((t.time, t.price, t.qty, t.taker_side == Side.BUY) for t in recorded) == by_print(
        (t.time, t.price, t.qty, not t.buyer_is_maker) for t in tape
    )
    s = r.mirror.stats
    assert s.trades == s.trades_reenacted == len(recorded)
    assert s.traded_qty == sum(t.qty for t in recorded) and s.unfilled_qty == 0
    # house trades make the public tape but no account's history
    assert r.venue.my_trades(r.sim.demo_account, SYMBOL, None, None, None, None, 1000) == []


# ---- users trade against the real flow ----------------------------------------------------------


def test_a_resting_order_the_market_trades_through_is_filled_at_its_price() -> None:
    r = Replay()
    r.to(r.t0)
    best_bid = r.depth()[0][0][0]
    price, qty = best_bid - 20 * TICK, units("0.002")
    reached = [
        o.time for o in r.observations if isinstance(o, PublicTrade) and o.taker_side == Side.SELL and o.price < price
    ]
    assert reached, "the sample must trade below the user's bid"
    touched = min(
        o.time
        for o in r.observations
        if (isinstance(o, PublicTrade) and o.price <= price) or (isinstance(o, BookSnapshot) and o.asks[0][0] <= price)
    )
    oid = r.place(Side.BUY, price, qty)
    filled_at = None
    for t in r.times():
        if t <= r.t0:
            continue
        r.to(t)
        rec = r.order(oid)
        if rec.executed_qty and filled_at is None:
            filled_at = t
        if t < touched:
            assert rec.executed_qty == 0, "filled before the market reached its price"
    rec = r.order(oid)
    assert rec.status == "FILLED" and rec.executed_qty == qty
    assert rec.cummulative_quote_qty == price * qty // 10**8  # as the maker, at its own price
    assert touched <= filled_at <= reached[0]
    fills = r.venue.my_trades(r.sim.demo_account, SYMBOL, oid, None, None, None, 100)
    assert fills and all(f.is_maker and f.price == price for f in fills)


def test_an_order_behind_the_mirrored_level_waits_its_turn() -> None:
    r = Replay()
    r.to(r.t0)
    ask, ask_qty = r.depth()[1][0]
    qty = units("0.01")
    oid = r.place(Side.SELL, ask, qty)
    ahead_at_start = sum(h.orig_qty - h.executed_qty for h in r.house_at(Side.SELL, ask))
    assert ahead_at_start == ask_qty
    trades_at_ask_while_waiting = 0
    for t in r.times():
        if t <= r.t0:
            continue
        before = r.order(oid).executed_qty
        r.to(t)
        after = r.order(oid).executed_qty
        ahead = sum(h.orig_qty - h.executed_qty for h in r.house_at(Side.SELL, ask) if h.order_id < oid)
        if after > before:
            assert ahead == 0, f"filled at +{t - r.t0} ms with {ahead} still queued ahead of it"
        elif (
            after == 0
            and ahead > 0
            and any(isinstance(o, PublicTrade) and o.taker_side == Side.BUY and o.price == ask for o in r.at(t))
        ):
            trades_at_ask_while_waiting += 1
        # nothing queued behind it at its price trades before it is done
        if r.order(oid).is_open:
            behind = [h for h in r.house_at(Side.SELL, ask) if h.order_id > oid]
            assert all(h.executed_qty == 0 for h in behind)
    assert trades_at_ask_while_waiting >= 1, "the sample must trade at the user's price while it waits"
    rec = r.order(oid)
    assert rec.status == "FILLED" and rec.cummulative_quote_qty == ask * qty // 10**8


# ---- the market's filters and the venue's refusals -------------------------------------------------


def write_lines(path: Path, lines: list[dict]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_levels_are_rounded_onto_the_market_and_what_it_cannot_take_is_counted(tmp_path: Path) -> None:
    t0 = SAMPLE_T0
    bids = [["90000.005", "0.5"], ["89999.999", "0.25"], ["89999.5", "0.123456"], ["89999", "0.00001"]]
    bids += [[f"{89990 - i}", "0.1"] for i in range(10)]
    asks = [["90000.011", "0.3"], ["90000.02", "0.2"], ["2000000", "1"], ["90001", "0.000004"]]
    lines = [
        {"type": "trade", "time": t0 - 5, "price": "90000", "qty": "1", "side": "buy"},  # before any book
        {"type": "book", "time": t0, "bids": bids, "asks": asks},
        {"type": "trade", "time": t0 + 10, "price": "3000000", "qty": "0.1", "side": "buy"},  # above max price
        {"type": "trade", "time": t0 + 20, "price": "90000.02", "qty": "0.00003", "side": "buy"},  # < 5 USDT
        {"type": "trade", "time": t0 + 30, "price": "90000.02", "qty": "0.000004", "side": "buy"},  # < one lot
        {"type": "trade", "time": t0 + 40, "price": "90000.011", "qty": "0.1", "side": "buy"},  # -> 90000.02
    ]
    r = Replay(write_lines(tmp_path / "odd.jsonl", lines), depth=5)
    for t in r.times():
        r.to(t)
    bids_now, asks_now = r.depth(50)
    # bids floor onto the tick and merge (90000.005 and 89999.999 -> 90000.00 and 89999.99), quantities
    # floor onto the lot step; only the top 5 external levels are mirrored; dust is left out
    assert bids_now == [
        (units("90000"), units("0.5")),
        (units("89999.99"), units("0.25")),
        (units("89999.5"), units("0.12345")),
        (units("89990"), units("0.1")),
    ]
    # asks ceil onto the tick (90000.011 -> 90000.02, merged with the 0.2 there), then the re-enacted
    # buy at 90000.011 (-> 90000.02) took 0.1 of it; 2000000 is above the market's max price
    assert asks_now == [(units("90000.02"), units("0.4"))]
    s = r.mirror.stats
    assert s.trades_before_book == 1 and s.trades == 5 and s.trades_reenacted == 1
    assert s.skipped_price == 2  # the 2000000 ask and the 3000000 trade
    assert s.skipped_notional == 2  # the 0.00001 bid and the 0.00003 trade
    assert s.skipped_qty == 2  # the 0.000004 ask and the 0.000004 trade
    assert s.traded_qty == units("0.1") and not s.rejected


def test_refusals_of_the_venue_are_counted_not_raised(tmp_path: Path) -> None:
    t0 = SAMPLE_T0
    lines = [
        {"type": "book", "time": t0, "bids": [["90000", "1"]], "asks": [["90000.01", "1"]]},
        {"type": "book", "time": t0 + 10, "bids": [["90000", "1"], ["89999", "2"]], "asks": [["90000.01", "1"]]},
        {"type": "trade", "time": t0 + 20, "price": "90000.01", "qty": "0.5", "side": "buy"},
    ]
    r = Replay(write_lines(tmp_path / "halt.jsonl", lines))
    r.to(t0)
    r.venue.set_market_status(SYMBOL, MarketStatus.HALT)
    r.to(t0 + 10)
    r.to(t0 + 20)
    s = r.mirror.stats
    assert sum(s.rejected.values()) == 2  # the new 89999 bid and the taker's order
    assert s.unfilled_qty == units("0.5")
    assert r.depth() == ([(units("90000"), units("1"))], [(units("90000.01"), units("1"))])


def test_a_crossed_external_book_does_not_trade_the_maker_with_itself(tmp_path: Path) -> None:
    t0 = SAMPLE_T0
    lines = [
        {
            "type": "book",
            "time": t0,
            "bids": [["90000.01", "1"], ["90000", "1"]],
            "asks": [["90000.01", "2"], ["90000.02", "1"]],
        }
    ]
    r = Replay(write_lines(tmp_path / "crossed.jsonl", lines))
    r.to(t0)
    assert r.depth() == (
        [(units("90000"), units("1"))],
        [(units("90000.01"), units("2")), (units("90000.02"), units("1"))],
    )
    assert r.mirror.stats.crossed_levels == 1 and len(r.venue.markets[SYMBOL].history) == 0


def test_a_grown_level_gets_a_new_order_behind_the_queue_and_shrinks_from_the_back(tmp_path: Path) -> None:
    t0 = SAMPLE_T0

    def book(t: int, q: str) -> dict:
        return {"type": "book", "time": t, "bids": [["89000", "1"]], "asks": [["90000", q]]}

    lines = [
        book(t0, "1"),
        book(t0 + 10, "1.5"),
        book(t0 + 20, "1.2"),
        book(t0 + 30, "0.7"),
        {"type": "trade", "time": t0 + 40, "price": "90000", "qty": "0.75", "side": "buy"},
    ]
    r = Replay(write_lines(tmp_path / "queue.jsonl", lines))
    r.to(t0)
    first = r.house_at(Side.SELL, units("90000"))
    user = r.place(Side.SELL, units("90000"), units("0.1"))
    r.to(t0 + 10)  # grew by 0.5: a new maker order behind the user
    house = r.house_at(Side.SELL, units("90000"))
    assert house[0].order_id == first[0].order_id and house[1].order_id > user
    assert [h.orig_qty for h in house] == [units("1"), units("0.5")]
    r.to(t0 + 20)  # shrank by 0.3: taken from the back, the order ahead of the user keeps its place
    assert [h.orig_qty for h in r.house_at(Side.SELL, units("90000"))] == [units("1"), units("0.2")]
    r.to(t0 + 30)  # shrank by 0.5 more: the back order goes, the front one is reduced in place
    house = r.house_at(Side.SELL, units("90000"))
    assert [(h.order_id, h.orig_qty) for h in house] == [(first[0].order_id, units("0.7"))]
    r.to(t0 + 40)  # 0.75 bought: 0.7 ahead of the user, then 0.05 of the user's 0.1
    assert r.order(user).executed_qty == units("0.05") and r.house_at(Side.SELL, units("90000")) == []


# ---- feeds ---------------------------------------------------------------------------------------


class FakeExchange:
    """Just enough of a sync ccxt exchange: canned books, and a trade list that grows between calls."""

    id = "fake"

    def __init__(self) -> None:
        self.books = [
            {
                "bids": [[90000.01, 0.5, 3], [90000.0, 1e-05]],
                "asks": [[90000.02, 0.30000000000000004], [90000.1, 2.0]],
                "timestamp": None,
            },
            {"bids": [[90000.0, 0.25]], "asks": [[90000.02, 0.3]], "timestamp": SAMPLE_T0 + 1_500},
            {"bids": [[89999.99, 0.1]], "asks": [[90000.01, 0.2]], "timestamp": None},
        ]
        self.trades = [
            {"id": "1", "timestamp": SAMPLE_T0 - 500, "price": 90000.02, "amount": 0.1, "side": "buy"},
        ]
        self.later = [
            [
                {"id": "2", "timestamp": SAMPLE_T0 + 200, "price": 90000.01, "amount": 0.003, "side": "sell"},
                {"id": "3", "timestamp": SAMPLE_T0 + 200, "price": 90000.0, "amount": 1e-05, "side": "sell"},
            ],
            [{"id": "4", "timestamp": SAMPLE_T0 + 1_200, "price": 90000.02, "amount": 0.2, "side": "buy"}],
        ]
        self.calls: list[tuple] = []

    def fetch_order_book(self, symbol, limit=None, params=None):
        self.calls.append(("fetch_order_book", symbol, limit))
        return self.books[min(len([c for c in self.calls if c[0] == "fetch_order_book"]), len(self.books)) - 1]

    def fetch_trades(self, symbol, since=None, limit=None, params=None):
        self.calls.append(("fetch_trades", symbol, since))
        out = [t for t in self.trades if since is None or t["timestamp"] >= since]
        if self.later:
            self.trades += self.later.pop(0)  # these appear for the next call
        return [dict(t) for t in out]


def test_the_polling_feed_reads_ccxt_numbers_exactly_and_deduplicates_trades() -> None:
    clock = ManualClock(SAMPLE_T0)
    ex = FakeExchange()
    feed = CcxtPollingFeed(ex, "BTC/USDT", 500, limit=20, clock=clock)  # never started: fetches when told
    assert isinstance(feed, MirrorFeed)
    first = feed.fetch_once()
    # the first book has no exchange time: stamped at its fetch; 3-element rows read; trades already
    # printed before the first book are only marked seen
    assert first == [
        BookSnapshot(
            SAMPLE_T0,
            ((units("90000.01"), units("0.5")), (units("90000"), units("0.00001"))),
            ((units("90000.02"), units("0.3")), (units("90000.1"), units("2"))),
        )
    ]
    clock.advance(500)
    second = feed.fetch_once()
    assert second == [
        BookSnapshot(SAMPLE_T0 + 1_500, ((units("90000"), units("0.25")),), ((units("90000.02"), units("0.3")),)),
        PublicTrade(SAMPLE_T0 + 200, units("90000.01"), units("0.003"), Side.SELL, "2"),
        PublicTrade(SAMPLE_T0 + 200, units("90000"), units("0.00001"), Side.SELL, "3"),
    ]
    clock.advance(1_000)
    third = feed.fetch_once()
    assert third == [
        BookSnapshot(SAMPLE_T0 + 1_500, ((units("89999.99"), units("0.1")),), ((units("90000.01"), units("0.2")),)),
        PublicTrade(SAMPLE_T0 + 1_200, units("90000.02"), units("0.2"), Side.BUY, "4"),
    ]
    clock.advance(500)
    assert feed.fetch_once()[1:] == []  # the same trades again (since is inclusive): all dropped by id
    assert [c for c in ex.calls if c[0] == "fetch_trades"] == [
        ("fetch_trades", "BTC/USDT", None),
        ("fetch_trades", "BTC/USDT", SAMPLE_T0 - 500),
        ("fetch_trades", "BTC/USDT", SAMPLE_T0 + 200),
        ("fetch_trades", "BTC/USDT", SAMPLE_T0 + 1_200),
    ]
    assert all(c[2] == 20 for c in ex.calls if c[0] == "fetch_order_book")
    # poll hands everything out in time order, each once
    out = feed.poll(SAMPLE_T0 + 1_400)
    assert [o.time for o in out] == [SAMPLE_T0, SAMPLE_T0 + 200, SAMPLE_T0 + 200, SAMPLE_T0 + 1_200]
    assert [o.time for o in feed.poll(SAMPLE_T0 + 10_000)] == [SAMPLE_T0 + 1_500] * 2 + [SAMPLE_T0 + 2_000]
    assert feed.poll(SAMPLE_T0 + 10_000) == []


def test_the_polling_feed_polls_when_due_and_counts_failures() -> None:
    clock = ManualClock(SAMPLE_T0)
    ex = FakeExchange()
    feed = CcxtPollingFeed(ex, "BTC/USDT", 1_000, background=False, clock=clock)
    assert len(feed.poll(SAMPLE_T0)) == 1 and feed.next_time() == SAMPLE_T0 + 1_000
    assert feed.poll(SAMPLE_T0 + 999) == [] and feed.polls == 1
    clock.set(SAMPLE_T0 + 1_000)
    assert len(feed.poll(SAMPLE_T0 + 1_000)) == 2  # the two sell trades (the book is timed later)
    assert feed.next_time() == SAMPLE_T0 + 1_500

    def broken(*args, **kwargs):
        raise ConnectionError("network is down")

    ex.fetch_order_book = broken
    clock.set(SAMPLE_T0 + 2_000)
    assert [o.time for o in feed.poll(SAMPLE_T0 + 2_000)] == [SAMPLE_T0 + 1_500]
    assert feed.errors == 1 and "network is down" in feed.last_error
    feed.close()
    assert feed.next_time() is None


def test_the_polling_feed_fetches_in_a_background_thread() -> None:
    ex = FakeExchange()
    feed = CcxtPollingFeed(ex, "BTC/USDT", 20)
    feed.start()
    deadline = time.monotonic() + 10
    while feed.polls < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    feed.close()
    assert feed.polls >= 4 and not any(t.name.startswith("sandex-mirror-poll") for t in threading.enumerate())
    out = feed.poll(2**62)
    assert [o.trade_id for o in out if isinstance(o, PublicTrade)] == ["2", "3", "4"]
    assert [o.time for o in out] == sorted(o.time for o in out)


def test_the_polling_feed_reads_a_real_ccxt_exchange_with_canned_http() -> None:
    """ccxt's own parsing of Binance's REST answers, its HTTP layer replaced: no network."""
    ccxt = pytest.importorskip("ccxt")
    agg = [
        {
            "a": 26129,
            "p": "90000.02000000",
            "q": "0.10000000",
            "f": 100,
            "l": 105,
            "T": SAMPLE_T0 - 100,
            "m": False,
            "M": True,
        }
    ]
    more = [
        {
            "a": 26130,
            "p": "90000.01000000",
            "q": "0.00300000",
            "f": 106,
            "l": 106,
            "T": SAMPLE_T0 + 200,
            "m": True,
            "M": True,
        }
    ]
    urls: list[str] = []

    def fetch(url, method="GET", headers=None, body=None):
        urls.append(url)
        if "/depth" in url:
            return {
                "lastUpdateId": 1,
                "bids": [["90000.01000000", "0.50000000"], ["90000.00000000", "0.00001000"]],
                "asks": [["90000.02000000", "0.30000000"]],
            }
        if "/aggTrades" in url:
            out = list(agg)
            agg.extend(more)
            more.clear()
            return out
        raise AssertionError(f"unexpected request {url}")

    ex = ccxt.binance()
    ex.fetch = fetch
    ex.set_markets(
        [
            {
                "id": "BTCUSDT",
                "symbol": "BTC/USDT",
                "base": "BTC",
                "quote": "USDT",
                "baseId": "BTC",
                "quoteId": "USDT",
                "type": "spot",
                "spot": True,
                "active": True,
                "lowercaseId": "btcusdt",
                "precision": {"price": 0.01, "amount": 0.00001},
                "limits": {},
                "info": {},
            }
        ]
    )
    feed = CcxtPollingFeed(ex, "BTC/USDT", 1_000, clock=ManualClock(SAMPLE_T0))
    assert feed.fetch_once() == [
        BookSnapshot(
            SAMPLE_T0, ((units("90000.01"), units("0.5")), (units("90000"), 1000)), ((units("90000.02"), units("0.3")),)
        )
    ]
    assert feed.fetch_once()[1:] == [
        PublicTrade(SAMPLE_T0 + 200, units("90000.01"), units("0.003"), Side.SELL, "26130")
    ]  # m: the buyer was the maker, so a sell took it
    assert feed.fetch_once()[1:] == []
    window = [f"startTime={t}&endTime={t + 3_600_000}" for t in (SAMPLE_T0 - 100, SAMPLE_T0 + 200)]
    assert [u.split("/api/v3/")[1] for u in urls if "aggTrades" in u] == [
        "aggTrades?symbol=BTCUSDT",
        f"aggTrades?symbol=BTCUSDT&{window[0]}",
        f"aggTrades?symbol=BTCUSDT&{window[1]}",
    ]


class FakeProExchange:
    """Just enough of a ccxt.pro exchange: each watch resolves with the next canned update."""

    def __init__(self) -> None:
        self.books = [
            {"bids": [[90000.0, 0.5]], "asks": [[90000.01, 0.25]], "timestamp": SAMPLE_T0 + i} for i in range(3)
        ]
        self.trade_batches = [
            [{"id": "7", "timestamp": SAMPLE_T0 + 1, "price": 90000.01, "amount": 0.01, "side": "buy"}],
            [
                {"id": "7", "timestamp": SAMPLE_T0 + 1, "price": 90000.01, "amount": 0.01, "side": "buy"},
                {"id": "8", "timestamp": SAMPLE_T0 + 2, "price": 90000.0, "amount": 0.02, "side": "sell"},
                {"id": "9", "timestamp": SAMPLE_T0 + 2, "price": 90000.0, "amount": 0.02, "side": None},
            ],
        ]
        self.closed = False

    async def watch_order_book(self, symbol, limit=None, params=None):
        if not self.books:
            await asyncio.sleep(3600)
        await asyncio.sleep(0.001)
        return self.books.pop(0)

    async def watch_trades(self, symbol, since=None, limit=None, params=None):
        if not self.trade_batches:
            await asyncio.sleep(3600)
        await asyncio.sleep(0.001)
        return self.trade_batches.pop(0)

    async def close(self):
        self.closed = True


def test_the_watch_feed_queues_ccxt_pro_updates_and_closes_the_exchange() -> None:
    ex = FakeProExchange()
    feed = CcxtProWatchFeed(ex, "BTC/USDT", limit=20)
    feed.start()
    deadline = time.monotonic() + 10
    while feed.pending() < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    feed.close()
    assert ex.closed
    out = feed.poll(2**62)
    assert [type(o).__name__ for o in out].count("BookSnapshot") == 3
    assert [(o.trade_id, o.taker_side) for o in out if isinstance(o, PublicTrade)] == [
        ("7", Side.BUY),
        ("8", Side.SELL),
    ]
    assert feed.skipped == 1 and feed.errors == 0 and feed.next_time() is None


def test_a_mirror_over_the_polling_feed_trades_the_fetched_flow() -> None:
    clock = ManualClock(SAMPLE_T0)
    sim = build(SimulatorConfig(liquidity=False), clock=clock)
    venue = sim.venue
    feed = CcxtPollingFeed(FakeExchange(), "BTC/USDT", 1_000, background=False, clock=clock)
    mirror = LiveMirror(SYMBOL, feed)
    driver = LiquidityDriver(venue, [mirror])
    driver.start()
    assert venue.depth(SYMBOL, 5)[1:] == (
        [(units("90000.01"), units("0.5"))],
        [(units("90000.02"), units("0.3")), (units("90000.1"), units("2"))],
    )
    user = venue.place(
        sim.demo_account,
        OrderRequest(
            SYMBOL,
            Side.BUY,
            OrderType.LIMIT,
            TimeInForce.GTC,
            units("0.001"),
            units("90000.01"),
            0,
            0,
            None,
            SelfTradePrevention.NONE,
            "ACK",
        ),
    ).order.order_id
    clock.set(SAMPLE_T0 + 1_000)
    driver.step()  # sells of 0.003 at 90000.01 and of 0.00001 at 90000 (0.9 USDT: below the minimum notional)
    assert venue.order(sim.demo_account, SYMBOL, user, None).executed_qty == 0  # the maker's 0.5 is ahead
    assert mirror.stats.traded_qty == units("0.003")
    assert mirror.stats.skipped_notional == 2  # that trade and the first book's 0.00001 bid
    clock.set(SAMPLE_T0 + 2_000)
    driver.step()  # a buy of 0.2 at 90000.02 (+1.2 s), the book of +1.5 s, superseded by the one of +2 s
    assert mirror.stats.traded_qty == units("0.203") and mirror.stats.snapshots_superseded == 1
    _, bids, asks = venue.depth(SYMBOL, 5)
    # the market fell to 89999.99 / 90000.01: the maker's new ask at 90000.01 met the user's bid there
    assert bids == [(units("89999.99"), units("0.1"))]
    assert asks == [(units("90000.01"), units("0.199"))]
    rec = venue.order(sim.demo_account, SYMBOL, user, None)
    assert rec.status == "FILLED" and rec.cummulative_quote_qty == units("90.00001")
    venue.engine.check_invariants()


# ---- recordings ----------------------------------------------------------------------------------


def test_record_and_recorded_feed_round_trip(tmp_path: Path) -> None:
    copy = tmp_path / "copy.jsonl"
    n = record(RecordedFeed(SAMPLE), copy, 0, clock=ManualClock(2**50))
    assert n == len(sample()) and list(RecordedFeed(copy)) == sample()
    assert copy.read_text() == SAMPLE.read_text()  # the same canonical text, line for line

    clock = ManualClock(SAMPLE_T0)
    live = CcxtPollingFeed(FakeExchange(), "BTC/USDT", 500, background=False, clock=clock)
    path = tmp_path / "live.jsonl"
    n = record(live, path, 2_000, clock=clock, poll_ms=250, sleep=lambda s: clock.advance(round(s * 1000)))
    replayed = list(RecordedFeed(path))
    assert n == len(replayed) == 8  # 5 books and trades 2, 3, 4
    assert [o.trade_id for o in replayed if isinstance(o, PublicTrade)] == ["2", "3", "4"]
    for obs in replayed:
        assert observation_from_json(observation_to_json(obs)) == obs


def test_recorded_feed_shifts_time_and_names_bad_lines(tmp_path: Path) -> None:
    feed = RecordedFeed(SAMPLE, start_at=5_000)
    assert feed.next_time() == 5_000
    got = feed.poll(5_000 + 300)
    assert got and all(o.time <= 5_300 for o in got) and got[0].time == 5_000
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"type":"book","time":1,"bids":[],"asks":[]}\n{"type":"trade","time":2,"price":"1e5","qty":"1","side":"buy"}\n'
    )
    with pytest.raises(ValueError, match=r"bad\.jsonl:2"):
        list(RecordedFeed(bad))


def test_ccxt_numbers_become_units_through_their_text() -> None:
    assert to_units(1e-05, 8) == 1000
    assert to_units(90000.01, 8) == 9_000_001_000_000
    assert to_units("0.1", 8) == 10_000_000
    assert to_units(0.1 + 0.2, 8) == 30_000_000  # '0.30000000000000004' rounded at the 8th decimal
    with pytest.raises(ValueError):
        to_units(float("nan"), 8)
    with pytest.raises(ValueError):
        to_units(-1.0, 8)


def test_the_mirror_refuses_a_feed_in_other_units() -> None:
    sim = build(SimulatorConfig(liquidity=False), clock=ManualClock(SAMPLE_T0))
    with pytest.raises(ValueError, match="decimals"):
        LiveMirror(SYMBOL, RecordedFeed(SAMPLE, price_decimals=2)).start(sim.venue, SAMPLE_T0)
    with pytest.raises(ValueError, match="not a listed market"):
        LiveMirror("BTCEUR", RecordedFeed(SAMPLE)).start(sim.venue, SAMPLE_T0)


if __name__ == "__main__":
    write_sample()
    print(f"wrote {SAMPLE}")
