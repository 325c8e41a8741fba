"""Bounded memory: closed orders, fills and public trades leave once past the retention or the caps,
while queries inside it answer as before; open orders stay; trims are journaled state (a replay
rebuilds the same state); steady load keeps the counts flat."""

from __future__ import annotations

import pickle
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import OrderType, SelfTradePrevention, Side, TimeInForce
from simulator import binance_errors as err
from simulator.clock import ManualClock
from simulator.config import SimulatorConfig
from simulator.history import INTERVALS, TRIM_SLACK, MarketHistory
from simulator.launcher import build, replay_state
from simulator.orders import OrderRequest
from simulator.ratelimit import RateLimitConfig
from simulator.refusals import Refused
from simulator.venue import MINUTES_KEPT_MS, Venue
from tests.harness import ApiClient

T0 = 1_699_963_200_000  # 2023-11-14 12:00:00 UTC
SEC, MIN, HOUR, DAY = 1_000, 60_000, 3_600_000, 86_400_000
COIN = 10**8
PRICE = 90_000 * COIN
QTY = 100_000  # 0.001 BTC
SYMBOL = "BTCUSDT"
KEY, SECRET = "k" * 64, "s" * 64


def config(**changes) -> SimulatorConfig:
    return SimulatorConfig(**{"liquidity": False, "rate_limits": RateLimitConfig(enabled=False), **changes})


def limit(side: Side, price: int, client_id: str | None = None) -> OrderRequest:
    return OrderRequest(
        SYMBOL, side, OrderType.LIMIT, TimeInForce.GTC, QTY, price, 0, 0, client_id, SelfTradePrevention.NONE, "FULL"
    )


def market(side: Side) -> OrderRequest:
    return OrderRequest(
        SYMBOL, side, OrderType.MARKET, TimeInForce.GTC, QTY, 0, 0, 0, None, SelfTradePrevention.NONE, "FULL"
    )


class Desk:
    """A venue on a hand-moved clock with a maker and a taker trading BTCUSDT in rounds."""

    def __init__(self, venue: Venue, clock: ManualClock) -> None:
        self.venue, self.clock = venue, clock
        self.maker = venue.create_account({"BTC": 10**6 * COIN, "USDT": 10**9 * COIN})
        self.taker = venue.create_account({"BTC": 10**6 * COIN, "USDT": 10**9 * COIN})

    @classmethod
    def new(cls, **retention) -> Desk:
        clock = ManualClock(T0)
        return cls(Venue(config(**retention), clock), clock)

    def round(self, client_id: str | None = None) -> tuple[int, int]:
        """The maker's sell, filled by the taker's market buy; the maker's buy, placed and canceled.
        Returns the two maker orders' ids."""
        sold = self.venue.place(self.maker, limit(Side.SELL, PRICE, client_id))
        self.venue.place(self.taker, market(Side.BUY))
        bid = self.venue.place(self.maker, limit(Side.BUY, PRICE // 2))
        self.venue.cancel(self.maker, SYMBOL, bid.order.order_id, None)
        return sold.order.order_id, bid.order.order_id

    def order_ids(self, account: int | None = None) -> list[int]:
        return [r.order_id for r in self.venue.all_orders(account or self.maker, SYMBOL, None, None, None, 1000)]

    def trade_ids(self, account: int | None = None) -> list[int]:
        return [f.trade_id for f in self.venue.my_trades(account or self.maker, SYMBOL, None, None, None, None, 1000)]

    def counts(self) -> dict[str, int]:
        """What the venue holds of users' orders and fills, and of the market's public history."""
        v = self.venue
        users = [a for a in v._accounts.values() if not a.house]
        history = v.markets[SYMBOL].history
        return {
            "orders": sum(len(r) for a in users for r in a.orders.values()),
            "fills": sum(len(f) for a in users for f in a.trades.values()),
            "client_ids": sum(len(a.client_ids) for a in users),
            "records": len(v._orders),
            "public": history.kept(),
            "aggs": len(history._agg_time),
            "minutes": len(history._m_start),
        }


def gone(call) -> None:
    with pytest.raises(Refused) as info:
        call()
    answer = err.for_refusal(info.value)
    assert (answer.status, answer.code, answer.msg) == (400, -2013, "Order does not exist.")


# ---- what is kept and what is answered ---------------------------------------------------------


def test_closed_orders_and_fills_past_the_retention_are_gone_those_inside_stay() -> None:
    desk = Desk.new(retention_s=3600)
    venue, maker = desk.venue, desk.maker
    old_sold, old_bid = desk.round("old-sell")
    resting = venue.place(maker, limit(Side.BUY, PRICE // 2, "resting")).order.order_id
    old_trades = desk.trade_ids()
    desk.clock.advance(30 * MIN)
    new_sold, new_bid = desk.round("new-sell")
    new_trades = desk.trade_ids()[len(old_trades) :]
    assert desk.order_ids() == [old_sold, old_bid, resting, new_sold, new_bid]
    desk.clock.advance(31 * MIN)  # the first round closed 61 minutes ago, but nothing happened since
    assert desk.order_ids() == [old_sold, old_bid, resting, new_sold, new_bid]
    other = venue.create_account({"USDT": 1000 * COIN})
    venue.place(
        other,
        OrderRequest(
            "ETHUSDT",
            Side.BUY,
            OrderType.LIMIT,
            TimeInForce.GTC,
            10**6,
            1000 * COIN,
            0,
            0,
            None,
            SelfTradePrevention.NONE,
            "ACK",
        ),
    )  # an order event: the retention moves
    assert desk.order_ids() == [resting, new_sold, new_bid]  # the old resting order is open: it stays
    assert desk.trade_ids() == new_trades
    gone(lambda: venue.order(maker, SYMBOL, old_sold, None))
    gone(lambda: venue.order(maker, SYMBOL, None, "old-sell"))
    gone(lambda: venue.order(maker, SYMBOL, old_bid, None))
    assert venue.order(maker, SYMBOL, None, "new-sell").status == "FILLED"
    assert venue.order(maker, SYMBOL, resting, None).status == "NEW"
    assert [r.order_id for r in venue.open_orders(maker, SYMBOL)] == [resting]
    with pytest.raises(Refused) as info:
        venue.cancel(maker, SYMBOL, old_bid, None)
    assert err.for_refusal(info.value).code == err.UNKNOWN_ORDER_CANCEL.code
    # the taker's side of the old fill is gone too; its fills of the new round stay
    assert [f.trade_id for f in venue.my_trades(desk.taker, SYMBOL, None, None, None, None, 10)] == new_trades
    assert venue.my_trades(maker, SYMBOL, old_sold, None, None, None, 10) == []
    assert [f.trade_id for f in venue.my_trades(maker, SYMBOL, new_sold, None, None, None, 10)] == new_trades
    # a client id is free again once its order is gone; the new order answers to it
    again = venue.place(maker, limit(Side.SELL, PRICE, "old-sell")).order.order_id
    assert venue.order(maker, SYMBOL, None, "old-sell").order_id == again


def test_an_order_closed_late_is_kept_for_the_retention_after_it_closed() -> None:
    desk = Desk.new(retention_s=3600)
    venue, maker = desk.venue, desk.maker
    old = venue.place(maker, limit(Side.BUY, PRICE // 2, "old")).order.order_id
    for _ in range(300):  # ten days of rounds: the open order stays
        desk.clock.advance(DAY // 30)
        desk.round()
    assert venue.order(maker, SYMBOL, old, None).status == "NEW"
    assert old in desk.order_ids() and [r.order_id for r in venue.open_orders(maker, SYMBOL)] == [old]
    assert venue.all_orders(maker, SYMBOL, old, None, None, 1)[0].order_id == old
    assert venue.cancel(maker, SYMBOL, None, "old").status == "CANCELED"
    for _ in range(200):  # an hour of rounds: closed just now, it stays that long
        desk.clock.advance(10 * SEC)
        desk.round()
    assert venue.order(maker, SYMBOL, None, "old").status == "CANCELED"
    desk.clock.advance(HOUR)
    desk.round()
    gone(lambda: venue.order(maker, SYMBOL, old, None))


def test_pages_inside_the_retention_are_the_full_history_less_what_is_gone() -> None:
    """allOrders and myTrades against a venue that keeps everything, given the same orders: every
    page equals the full history's, filtered by the retention rule, then paged as Binance pages."""
    rng = random.Random(7)
    kept, full = Desk.new(retention_s=6 * 3600), Desk.new(retention_s=0)
    resting: list[int] = []
    for _ in range(400):
        step = rng.choice([1, 10, 60, 600, 3600]) * SEC
        action = rng.random()
        for desk in (kept, full):
            desk.clock.advance(step)
            if action < 0.5:
                desk.round()
            elif action < 0.75 or not resting:
                placed = desk.venue.place(desk.maker, limit(Side.BUY, PRICE // 2 + rng.randrange(100) * COIN))
            else:
                desk.venue.cancel(desk.maker, SYMBOL, resting[0], None)
        if action >= 0.5:
            if action < 0.75 or not resting:
                resting.append(placed.order.order_id)
            else:
                resting.pop(0)
    now = kept.venue._record_time
    cutoff = now - 6 * HOUR
    everything = full.venue.all_orders(full.maker, SYMBOL, None, None, None, 10**9)
    visible = [r for r in everything if r.is_open or r.update_time >= cutoff]
    fills = [f for f in full.venue.my_trades(full.maker, SYMBOL, None, None, None, None, 10**9) if f.time >= cutoff]
    assert len(visible) < len(everything) and len(fills) < len(full.trade_ids())

    def page(items, key, start, end, limit, from_id=None, id_key=None):
        items = [
            x
            for x in items
            if (from_id is None or id_key(x) >= from_id)
            and (start is None or key(x) >= start)
            and (end is None or key(x) <= end)
        ]
        return items[:limit] if from_id is not None or start is not None else items[-limit:]

    times = [r.time for r in everything]
    for _ in range(300):
        limit_ = rng.choice([1, 3, 50, 1000])
        start = rng.choice([None, rng.choice(times), rng.choice(times) - 1])
        end = rng.choice([None, rng.choice(times), now])
        oid = rng.choice([None, rng.choice(everything).order_id])
        got = kept.venue.all_orders(kept.maker, SYMBOL, oid, start, end, limit_)
        want = page(visible, lambda r: r.time, start, end, limit_, oid, lambda r: r.order_id)
        assert [r.order_id for r in got] == [r.order_id for r in want]
        assert [(r.status, r.update_time) for r in got] == [(r.status, r.update_time) for r in want]
        from_id = rng.choice([None, rng.choice(full.trade_ids())])
        got_fills = kept.venue.my_trades(
            kept.maker, SYMBOL, None, None if from_id else start, None if from_id else end, from_id, limit_
        )
        want_fills = page(
            fills,
            lambda f: f.time,
            None if from_id else start,
            None if from_id else end,
            limit_,
            from_id,
            lambda f: f.trade_id,
        )
        assert got_fills == want_fills


def test_the_caps_hold_and_the_newest_are_kept() -> None:
    desk = Desk.new(retention_s=0, retention_orders=200, retention_fills=300, retention_public_trades=500)
    venue, maker = desk.venue, desk.maker
    first_sold, _ = desk.round("first")
    old = venue.place(maker, limit(Side.BUY, PRICE // 2, "old")).order.order_id
    for _ in range(2000):
        desk.clock.advance(SEC)
        desk.round()
        c = desk.counts()
        assert c["orders"] <= 2 * (200 + max(TRIM_SLACK, 225 >> 3))  # maker's and taker's lists
        assert c["fills"] <= 2 * (300 + max(TRIM_SLACK, 337 >> 3))
        assert c["client_ids"] == c["records"] == c["orders"]  # each record once, each with its id
        assert (SYMBOL, old) in venue._orders
        assert c["public"] <= 500 + max(TRIM_SLACK, 562 >> 3)
    ids = desk.order_ids()
    assert (
        len(ids) >= 200
        and ids == sorted(ids)
        and ids[-1] == venue.all_orders(maker, SYMBOL, None, None, None, 1)[0].order_id
    )
    assert len(desk.trade_ids()) >= 300
    gone(lambda: venue.order(maker, SYMBOL, first_sold, None))
    gone(lambda: venue.order(maker, SYMBOL, None, "first"))
    assert venue.order(maker, SYMBOL, None, "old").status == "NEW" and old == ids[0]
    history = venue.markets[SYMBOL].history
    assert len(history) == 2001 and history.last().id == 2001  # ids go on; recent trades are there
    assert [t.id for t in history.recent(3)] == [1999, 2000, 2001]


def test_amending_to_a_new_client_id_frees_the_old_one() -> None:
    desk = Desk.new()
    venue, maker = desk.venue, desk.maker
    order = venue.place(
        maker,
        OrderRequest(
            SYMBOL,
            Side.BUY,
            OrderType.LIMIT,
            TimeInForce.GTC,
            2 * QTY,
            PRICE // 2,
            0,
            0,
            "before",
            SelfTradePrevention.NONE,
            "ACK",
        ),
    ).order
    venue.amend(maker, SYMBOL, order.order_id, None, QTY, "after")
    assert venue.order(maker, SYMBOL, None, "after").order_id == order.order_id
    gone(lambda: venue.order(maker, SYMBOL, None, "before"))
    assert venue.place(maker, limit(Side.BUY, PRICE // 2, "before")).order.client_order_id == "before"


def test_the_query_answers_through_http() -> None:
    clock = ManualClock(T0)
    sim = build(config(retention_s=3600, demo_api_key=KEY, demo_api_secret=SECRET, admin_token="a" * 32), clock=clock)
    desk = Desk(sim.venue, clock)
    desk.maker = sim.demo_account
    old, _ = desk.round("old")
    clock.advance(2 * HOUR)
    new, _ = desk.round("new")
    client = ApiClient.in_process(sim.app, clock.now_ms)

    def get(path: str, **params):
        return client.signed("GET", path, params, key=KEY, secret=SECRET)

    resp = get("/api/v3/order", symbol=SYMBOL, orderId=old)
    assert (resp.status_code, resp.json()) == (400, {"code": -2013, "msg": "Order does not exist."})
    assert get("/api/v3/order", symbol=SYMBOL, origClientOrderId="new").json()["status"] == "FILLED"
    assert [o["orderId"] for o in get("/api/v3/allOrders", symbol=SYMBOL).json()] == [new, new + 2]
    assert [t["orderId"] for t in get("/api/v3/myTrades", symbol=SYMBOL).json()] == [new]
    for _ in range(3):  # a refusal keeps nothing of the requests it answered
        assert get("/api/v3/order", symbol=SYMBOL, orderId=old).status_code == 400
    assert err.NO_SUCH_ORDER.__traceback__ is None


# ---- the public history -------------------------------------------------------------------------


@st.composite
def trade_streams(draw) -> list[tuple]:
    n = draw(st.integers(1, 500))
    t, taker, out = T0, 1, []
    for _ in range(n):
        t += draw(st.sampled_from([0, 0, 7, SEC, 13 * SEC, MIN, 7 * MIN, HOUR, 3 * HOUR]))
        if draw(st.integers(0, 2)) == 0:
            taker += 1
        price = draw(st.sampled_from([99, 100, 100, 101, 105]))
        qty = draw(st.integers(1, 1000))
        out.append((price, qty, price * qty, t, taker % 2 == 0, taker))  # a taker's fills have its side
    return out


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(trade_streams(), st.data())
def test_a_bounded_public_history_answers_as_the_full_one_over_what_it_keeps(trades, data) -> None:
    max_trades = data.draw(st.sampled_from([0, 1, 5, 70, 200]))
    keep_ms = data.draw(st.sampled_from([0, 30 * MIN, 5 * HOUR]))
    minute_keep = data.draw(st.sampled_from([0, 5 * HOUR, DAY])) if keep_ms else 0
    minute_keep = minute_keep and max(minute_keep, keep_ms)
    full, bounded = MarketHistory(), MarketHistory()
    bounded.set_limits(max_trades, keep_ms, minute_keep)
    k = 0
    while k < len(trades):
        m = data.draw(st.integers(1, 40))
        batch = trades[k : k + m]
        for h in (full, bounded):
            if data.draw(st.booleans()):
                cols = [np.array(c, dtype=np.int64) for c in zip(*batch, strict=True)]
                h._vector_from = 0
                h.record_many(k + 1, *cols)
            else:
                for j, row in enumerate(batch):
                    h.record(k + 1 + j, *row)
        k += m
    assert len(bounded) == len(full) == len(trades)
    n = bounded.kept()
    newest = trades[-1][3]
    if max_trades:
        assert n <= max_trades + max(TRIM_SLACK, (max_trades + TRIM_SLACK) >> 2)
    if keep_ms:
        assert bounded._time[min(TRIM_SLACK, n - 1)] >= newest - keep_ms or n <= TRIM_SLACK + 1
    all_trades = full.recent(10**9)
    assert bounded.recent(10**9) == all_trades[len(all_trades) - n :]
    assert bounded.from_id(1, 10**9) == all_trades[len(all_trades) - n :]
    first_kept = all_trades[-n].id
    aggs = bounded.agg_trades(None, None, None, 10**9)
    assert aggs == [a for a in full.agg_trades(None, None, None, 10**9) if a.last_trade_id >= first_kept]
    if aggs:
        assert bounded.agg_trades(aggs[0].id, None, None, 3) == full.agg_trades(aggs[0].id, None, None, 3)
    rows = bounded._m_start
    if not minute_keep:
        assert len(rows) == len(full._m_start)
    now = newest + data.draw(st.sampled_from([0, 59 * SEC, 2 * HOUR]))
    for interval in ("1m", "5m", "1h", "1d", "1s"):
        step = INTERVALS[interval]
        oldest = bounded._time[0] if interval == "1s" else rows[0]
        start = (oldest // step + 1) * step  # from the first bucket whole in what is kept
        assert bounded.klines(interval, start, None, 1000, now=now) == full.klines(interval, start, None, 1000, now=now)
        newest_5 = [k for k in bounded.klines(interval, None, None, 5, now=now) if k.open_time >= start]
        assert newest_5 == [k for k in full.klines(interval, None, None, 5, now=now) if k.open_time >= start]
    for start in {rows[0], rows[-1], now - DAY, now - HOUR}:
        if start >= rows[0]:
            assert bounded.window(start, now) == full.window(start, now)
    for t in {bounded._time[0] + 1, newest, newest + 1}:
        assert bounded.price_before(t) == full.price_before(t)


def test_a_history_saved_before_bounds_loads_whole() -> None:
    h = MarketHistory()
    for k in range(300):
        h.record(k + 1, 100 + k % 7, 1 + k, (100 + k % 7) * (1 + k), T0 + k * 20 * SEC, k % 2 == 0, k // 3)
    old = {
        name: value
        for name, value in vars(h).items()
        if name
        not in (
            "_dropped",
            "_agg_dropped",
            "_m_open",
            "_m_close",
            "_m_t0",
            "_m_t1",
            "_m_last_qty",
            "max_trades",
            "keep_ms",
            "minute_keep_ms",
            "_bounded",
        )
    }
    loaded = MarketHistory.__new__(MarketHistory)
    loaded.__setstate__(old)
    assert pickle.loads(pickle.dumps(loaded)).__dict__ == h.__dict__ == loaded.__dict__
    now = T0 + 300 * 20 * SEC
    assert loaded.klines("1h", None, None, 10, now=now) == h.klines("1h", None, None, 10, now=now)
    assert loaded.window(T0, now) == h.window(T0, now)


def test_the_venue_gives_its_markets_the_configured_limits() -> None:
    venue = Venue(config(retention_s=60, retention_public_trades=1234), ManualClock(T0))
    history = venue.markets[SYMBOL].history
    assert (history.max_trades, history.keep_ms, history.minute_keep_ms) == (1234, 60_000, MINUTES_KEPT_MS)
    other = Venue(config(retention_s=2 * 7 * 86_400), ManualClock(T0))
    venue.markets = other.markets  # as a snapshot's markets come in: they take this venue's limits
    assert (history.max_trades, history.keep_ms) == (1234, 60_000)
    assert other.markets[SYMBOL].history.max_trades == 1234
    assert Venue(config(retention_s=0), ManualClock(T0)).markets[SYMBOL].history.keep_ms == 0
    with pytest.raises(ValueError):
        config(retention_orders=0)
    with pytest.raises(ValueError):
        config(retention_s=-1)
    assert SimulatorConfig.from_dict({"retention_s": 60, "retention_fills": 10}).retention_fills == 10


# ---- determinism and steady state ---------------------------------------------------------------


def test_a_replayed_journal_trims_the_same(tmp_path: Path) -> None:
    cfg = config(
        state_dir=str(tmp_path),
        liquidity_mode="static",
        retention_s=600,
        retention_orders=150,
        retention_fills=120,
        retention_public_trades=100,
        fingerprint_recovery=True,
        demo_api_key=KEY,
        demo_api_secret=SECRET,
        admin_token="a" * 32,
    )
    clock = ManualClock(T0)
    sim = build(cfg, clock=clock)
    desk = Desk(sim.venue, clock)
    rng = random.Random(3)
    resting = []
    for i in range(700):
        clock.advance(rng.choice([1, 100, 1000, 5000, 60_000]))
        desk.round(f"c{i % 7}")  # client ids used again: they name the newest order
        if rng.random() < 0.3:
            resting.append(sim.venue.place(desk.maker, limit(Side.BUY, PRICE // 3, f"r{i}")).order.order_id)
        if resting and rng.random() < 0.2:
            sim.venue.cancel(desk.maker, SYMBOL, resting.pop(rng.randrange(len(resting))), None)
        if i == 350:
            sim.durability.checkpoint()  # a snapshot holding trimmed lists, the journal after it
    counts = desk.counts()
    history = sim.venue.markets[SYMBOL].history
    assert len(history) > 2 * history.kept() and counts["records"] < 2 * 700  # trims happened
    assert sim.venue._order_front  # and the resting orders are in front of a trim
    before = sim.app.services.fingerprint()
    orders, trades = desk.order_ids(), desk.trade_ids()
    sim.liquidity.stop()
    sim.durability.close_without_snapshot()
    report, services = replay_state(cfg)
    assert report.fingerprint == before
    replayed = Desk.__new__(Desk)
    replayed.venue, replayed.maker = services.venue, desk.maker
    assert (replayed.order_ids(), replayed.trade_ids(), replayed.counts()) == (orders, trades, counts)
    report, services = replay_state(cfg, from_start=True)
    assert report.fingerprint == before


def test_steady_load_keeps_the_counts_flat() -> None:
    """Rounds of place, fill and cancel at a steady pace: after the retention has filled once, what is
    held stops growing (counted in objects, not bytes)."""
    desk = Desk.new(retention_s=3600)
    resting = []
    samples = []
    for i in range(1, 4001):
        desk.clock.advance(5 * SEC)  # the retention holds 720 rounds
        desk.round()
        resting.append(desk.venue.place(desk.maker, limit(Side.BUY, PRICE // 3)).order.order_id)
        if len(resting) > 20:
            desk.venue.cancel(desk.maker, SYMBOL, resting.pop(0), None)
        if i % 500 == 0:
            samples.append(desk.counts())
    warm, *later = samples[2:]  # 1500 rounds: twice the retention
    for c in later:
        for name, value in c.items():
            if name == "minutes":
                continue  # minute summaries are kept for a week
            assert value <= warm[name] * 1.2 + TRIM_SLACK, (name, value, warm[name])
    assert samples[-1]["minutes"] == 4000 * 5 * SEC // MIN + 1
    assert samples[-1]["records"] < 4 * 720 * 1.2 + 2 * TRIM_SLACK + 20


def test_the_desks_histories_keep_the_records_retention(tmp_path: Path) -> None:
    """Margin transfers and conversions, like orders, leave once past the retention or the cap (over
    all accounts for the margin desk's histories, per account for conversions), the newest kept, and
    a replay of the journal drops the same ones."""
    from simulator.margin.wallets import CROSS_MARGIN, SPOT

    clock = ManualClock(T0)
    sim = build(config(state_dir=str(tmp_path), retention_s=HOUR / 1000, retention_orders=100), clock=clock)
    services = sim.app.services
    account = sim.venue.create_account({"USDT": 10**12, "BTC": 10**10})
    maker = sim.venue.create_account({"USDT": 10**12, "BTC": 10**10})
    sim.venue.place(maker, limit(Side.BUY, PRICE - COIN))  # a price to convert at
    sim.venue.place(maker, limit(Side.SELL, PRICE + COIN))
    for i in range(300):
        source, target = (SPOT, CROSS_MARGIN) if i % 2 == 0 else (CROSS_MARGIN, SPOT)
        services.margin.transfer(account, "USDT", 10**6, source, target)
        quote = services.convert.quote(account, "USDT", "BTC", from_amount=10**8)
        services.convert.accept(account, quote.quote_id)
        clock.advance(SEC)
    transfers = services.margin.transfers
    assert 100 <= len(transfers) < 100 + TRIM_SLACK + 300 // 8
    assert transfers[-1].time == T0 + 299 * SEC and [t.time for t in transfers] == sorted(t.time for t in transfers)
    orders, more = services.convert.history(account, 0, 2 * T0, 1000)
    assert 100 <= len(orders) < 100 + TRIM_SLACK + 300 // 8 and not more
    oldest = orders[0].order_id
    with pytest.raises(Refused):
        services.convert.order(account, order_id=oldest - 1)
    assert services.convert.order(account, order_id=oldest) is orders[0]

    clock.advance(2 * HOUR)  # all of them past the retention: the next one trims them
    services.margin.transfer(account, "USDT", 10**6, SPOT, CROSS_MARGIN)
    quote = services.convert.quote(account, "USDT", "BTC", from_amount=10**8)
    services.convert.accept(account, quote.quote_id)
    assert len(services.margin.transfers) == 1
    assert len(services.convert.history(account, 0, 2 * T0, 1000)[0]) == 1
    live = services.fingerprint()
    sim.durability.close_without_snapshot()
    report, _ = replay_state(
        config(state_dir=str(tmp_path), retention_s=HOUR / 1000, retention_orders=100), from_start=True
    )
    assert report.fingerprint == live
