"""``sandex serve``'s default markets move on their own, and ccxt sees one consistent market.

A real server with the wall clock and synthetic liquidity; a replay server in simulated time.
"""

from __future__ import annotations

import itertools
import json
import time
import urllib.error
from pathlib import Path

import ccxt
import pytest

from simulator.config import SimulatorConfig
from simulator.launcher import running_server
from simulator.ratelimit import RateLimitConfig

from .conftest import admin, binance, new_account

SAMPLES = Path(__file__).resolve().parents[2] / "simulator" / "liquidity" / "samples"


@pytest.fixture(scope="module")
def live():
    with running_server(SimulatorConfig(rate_limits=RateLimitConfig(enabled=False))) as srv:
        deadline = time.monotonic() + 30
        while any(len(m.history) < 3 for m in srv.venue.markets.values()):  # let the takers trade a while
            assert time.monotonic() < deadline, "the synthetic takers never traded"
            time.sleep(0.2)
        yield srv


def test_ccxt_sees_a_lively_consistent_market(live) -> None:
    acct = new_account(live, {"USDT": "100000"})
    ex = binance(live.url, acct["apiKey"], acct["secret"], enableRateLimit=False)
    ex.load_markets()
    for symbol in ("BTC/USDT", "ETH/USDT", "SOL/USDT"):
        book = ex.fetch_order_book(symbol, 20)
        assert len(book["bids"]) >= 5 and len(book["asks"]) >= 5
        assert book["bids"][0][0] < book["asks"][0][0]  # never crossed
        trades = ex.fetch_trades(symbol, limit=1000, params={"fetchTradesMethod": "publicGetTrades"})
        assert len(trades) >= 3, f"{symbol}: the takers should have traded"
        ids = [int(t["id"]) for t in trades]
        assert ids == sorted(ids)
        ticker = ex.fetch_ticker(symbol)
        assert ticker["low"] <= ticker["last"] <= ticker["high"]
        assert ticker["bid"] <= ticker["ask"] and ticker["baseVolume"] > 0
        candles = ex.fetch_ohlcv(symbol, "1s", limit=10)
        for (t0, *_), (t1, *_) in itertools.pairwise(candles):
            assert t1 - t0 == 1000  # continuous
        for _, o, h, lo, c, v in candles:
            assert lo <= min(o, c) <= max(o, c) <= h and v >= 0


def test_a_resting_user_order_fills_when_the_market_comes_to_it(live) -> None:
    acct = new_account(live, {"USDT": "100000"})
    ex = binance(live.url, acct["apiKey"], acct["secret"], enableRateLimit=False)
    ex.load_markets()
    best_bid = ex.fetch_order_book("BTC/USDT", 5)["bids"][0][0]
    order = ex.create_order("BTC/USDT", "limit", "buy", 0.001, best_bid)  # joins the makers' best bid
    admin(live, "PUT", "/sandex/v1/markets/BTCUSDT/price", {"price": str(int(best_bid * 0.99))})
    deadline = time.monotonic() + 20
    while ex.fetch_order(order["id"], "BTC/USDT")["status"] == "open":
        assert time.monotonic() < deadline, "the market moved down through the order but it never filled"
        time.sleep(0.2)
    assert ex.fetch_order(order["id"], "BTC/USDT")["status"] == "closed"
    assert ex.fetch_balance()["BTC"]["free"] == pytest.approx(0.000999)  # 0.001 less the 0.1% fee


def test_the_admin_api_refuses_to_move_a_market_that_is_not_synthetic(server) -> None:
    # the shared integration server quotes a static book
    with pytest.raises(urllib.error.HTTPError) as e:
        admin(server, "PUT", "/sandex/v1/markets/BTCUSDT/price", {"price": "1"})
    body = json.loads(e.value.read())
    assert e.value.code == 400 and body["code"] == -1130 and "no synthetic market" in body["msg"]


def test_a_replay_runs_in_simulated_time_that_clients_follow() -> None:
    sample = SAMPLES / "BTCUSDT-aggTrades-2024-01-15.zip"
    with running_server(SimulatorConfig(replay=str(sample), liquidity_mode="static")) as srv:
        sim = srv.simulator
        ex = binance(srv.url, sim.demo_key, sim.demo_secret, enableRateLimit=False)
        ex.load_time_difference()  # the server's clock is the history's: sync before signed calls
        ex.load_markets()
        assert ex.iso8601(ex.fetch_time()).startswith("2024-01-15T00:00")
        time.sleep(1.5)
        trades = ex.fetch_trades("BTC/USDT")
        assert trades and all(t["datetime"].startswith("2024-01-15T00:00") for t in trades)
        assert ex.fetch_balance()["USDT"]["free"] == 100000.0
        with pytest.raises(ccxt.InvalidNonce):  # a client on the wall clock is refused, as Binance would
            binance(srv.url, sim.demo_key, sim.demo_secret).fetch_balance()


def test_health_reports_each_synthetic_market_quoting(live) -> None:
    first = admin(live, "GET", "/sandex/v1/health")
    time.sleep(0.5)
    second = admin(live, "GET", "/sandex/v1/health")
    assert set(second["quoteUpdates"]) == {"BTCUSDT", "ETHUSDT", "ETHBTC", "BNBUSDT", "SOLUSDT"}
    assert all(second["quoteUpdates"][s] > first["quoteUpdates"][s] for s in second["quoteUpdates"])
    assert second["liquidityFailures"] == 0
