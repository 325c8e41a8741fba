"""The market feed: the levels it notes after each change, applied in order to the book as it was,
give the book as it is, whether the change came through the venue's methods or an engine batch."""

from __future__ import annotations

import contextlib
import random

import pytest

from engine import OrderType, SelfTradePrevention, Side, TimeInForce, encode_orders
from engine.batch import BUY, LIMIT, SELL, X_CANCEL, X_PLACE
from simulator.assembly import Simulator, build
from simulator.clock import ManualClock
from simulator.config import SimulatorConfig
from simulator.orders import OrderRequest
from simulator.refusals import Refused
from simulator.streams.feed import MarketChange, MarketFeed
from simulator.streams.names import parse

COIN = 10**8
GTC = int(TimeInForce.GTC)


@pytest.fixture()
def sim() -> Simulator:
    s = build(SimulatorConfig(liquidity=False), clock=ManualClock(1_700_000_000_000))
    yield s
    s.close()


def book_of(sim: Simulator) -> dict[tuple[Side, int], int]:
    _, bids, asks = sim.venue.depth("BTCUSDT", None)
    return {(Side.BUY, p): q for p, q in bids} | {(Side.SELL, p): q for p, q in asks}


def replay_onto(book: dict[tuple[Side, int], int], changes: list[MarketChange]) -> dict[tuple[Side, int], int]:
    for change in changes:
        for side, price, quantity in change.levels:
            if quantity:
                book[(side, price)] = quantity
            else:
                book.pop((side, price), None)
    return book


def test_the_noted_levels_rebuild_the_book_after_orders_fills_and_cancels(sim: Simulator) -> None:
    venue = sim.venue
    feed = MarketFeed(venue)
    feed.watch("BTCUSDT")
    feed.start(lambda: None)
    traders = [venue.create_account({"USDT": 10**14, "BTC": 10**10}) for _ in range(3)]
    start = book_of(sim)
    rng = random.Random(5)
    resting: list[tuple[int, int]] = []
    for _ in range(400):
        if resting and rng.random() < 0.3:
            account, order_id = resting.pop(rng.randrange(len(resting)))
            with contextlib.suppress(Refused):  # filled meanwhile
                venue.cancel(account, "BTCUSDT", order_id, None)
            continue
        account = rng.choice(traders)
        side = rng.choice((Side.BUY, Side.SELL))
        price = (90_000 + rng.randint(-15, 15)) * COIN
        req = OrderRequest(
            "BTCUSDT",
            side,
            OrderType.LIMIT,
            TimeInForce.GTC,
            rng.randint(1, 30) * 100_000,
            price,
            0,
            0,
            None,
            SelfTradePrevention.NONE,
            "ACK",
        )
        placed = venue.place(account, req)
        if placed.order.is_open:
            resting.append((account, placed.order.order_id))
    changes = feed.take()["BTCUSDT"]
    assert replay_onto(start, changes) == book_of(sim)
    update_ids = [c.update_id for c in changes]
    assert update_ids == sorted(update_ids) and update_ids[-1] == venue.depth("BTCUSDT", 1)[0]
    trades = [t.id for c in changes for t in c.trades]
    assert trades == list(range(1, len(trades) + 1)) and trades  # every trade once, in order


def test_the_noted_levels_follow_an_engine_batch(sim: Simulator) -> None:
    venue = sim.venue
    feed = MarketFeed(venue)
    feed.watch("BTCUSDT")
    feed.start(lambda: None)
    maker, taker = (venue.create_account({"USDT": 10**14, "BTC": 10**10}) for _ in range(2))
    start = book_of(sim)
    first = venue.next_order_id("BTCUSDT")
    rows = [(X_PLACE, maker, BUY, LIMIT, GTC, (89_990 + i) * COIN, 200_000, 0, 0, 0, first + i, 0) for i in range(5)]
    rows += [
        (X_PLACE, maker, SELL, LIMIT, GTC, (90_010 + i) * COIN, 300_000, 0, 0, 0, first + 5 + i, 0) for i in range(5)
    ]
    rows += [(X_CANCEL, maker, 0, 0, 0, 0, 0, 0, 0, 0, first + 2, 0)]
    rows += [(X_PLACE, taker, SELL, LIMIT, GTC, 89_993 * COIN, 500_000, 0, 0, 0, first + 11, 0)]  # takes 89994, 89993
    venue.apply_batch("BTCUSDT", encode_orders(rows))
    changes = feed.take()["BTCUSDT"]
    assert replay_onto(start, changes) == book_of(sim)
    assert {(side, price) for c in changes for side, price, _ in c.levels} >= {
        (Side.BUY, 89_994 * COIN),
        (Side.BUY, 89_993 * COIN),
        (Side.BUY, 89_992 * COIN),
    }


def test_an_unwatched_market_notes_nothing(sim: Simulator) -> None:
    venue = sim.venue
    feed = MarketFeed(venue)
    feed.watch("ETHUSDT")
    feed.start(lambda: None)
    account = venue.create_account({"USDT": 10**14})
    venue.place(
        account,
        OrderRequest(
            "BTCUSDT",
            Side.BUY,
            OrderType.LIMIT,
            TimeInForce.GTC,
            100_000,
            80_000 * COIN,
            0,
            0,
            None,
            SelfTradePrevention.NONE,
            "ACK",
        ),
    )
    assert feed.take() == {}


@pytest.mark.parametrize(
    ("text", "kind", "symbol", "param", "speed"),
    [
        ("btcusdt@trade", "trade", "BTCUSDT", "", 1000),
        ("btcusdt@aggTrade", "aggTrade", "BTCUSDT", "", 1000),
        ("btcusdt@kline_1M", "kline", "BTCUSDT", "1M", 1000),
        ("btcusdt@kline_1s", "kline", "BTCUSDT", "1s", 1000),
        ("btcusdt@depth", "depth", "BTCUSDT", "", 1000),
        ("btcusdt@depth@100ms", "depth", "BTCUSDT", "", 100),
        ("btcusdt@depth20@100ms", "partialDepth", "BTCUSDT", "20", 100),
        ("btcusdt@ticker_4h", "windowTicker", "BTCUSDT", "4h", 1000),
        ("!miniTicker@arr", "allMiniTickers", None, "", 1000),
        ("!ticker_1d@arr", "allWindowTickers", None, "1d", 1000),
        ("nosuchcoin@bookTicker", "bookTicker", "NOSUCHCOIN", "", 1000),  # well-formed: accepted, silent
    ],
)
def test_stream_names_read_as_binance_names_them(
    text: str, kind: str, symbol: str | None, param: str, speed: int
) -> None:
    name = parse(text)
    assert name is not None
    assert (name.kind, name.symbol, name.param, name.speed_ms) == (kind, symbol, param, speed)


@pytest.mark.parametrize(
    "text",
    [
        "BTCUSDT@trade",
        "btcusdt@aggtrade",
        "btcusdt@kline_2m",
        "btcusdt@depth7",
        "btcusdt@depth@10ms",
        "btcusdt",
        "0",
        "",
    ],
)
def test_names_of_no_known_form_are_refused(text: str) -> None:
    assert parse(text) is None


def test_the_feed_listens_only_while_a_market_is_watched(sim: Simulator) -> None:
    """Unwatched, it is not a listener at all: an engine batch then copies no rows for the stream."""
    stream = sim.venue.stream
    feed = MarketFeed(sim.venue)
    feed.start(lambda: None)
    assert not stream.heard
    feed.watch("BTCUSDT")
    feed.watch("BTCUSDT")
    assert stream.heard
    feed.unwatch("BTCUSDT")
    assert stream.heard
    feed.unwatch("BTCUSDT")
    assert not stream.heard
    feed.watch("ETHUSDT")
    feed.stop()
    assert not stream.heard
