"""A forced liquidation end to end: unmodified ccxt borrows into a long, the admin API moves the
market against it, the keeper liquidates into the synthetic makers' bids, and the record shows up
in ``fetch_my_liquidations``; money is conserved with the pool and the insurance fund included."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from simulator.config import SimulatorConfig
from simulator.launcher import running_server
from simulator.ratelimit import RateLimitConfig

from .conftest import admin, binance, new_account

ASSETS = ("BTC", "USDT", "ETH", "BNB", "SOL")


@pytest.fixture(scope="module")
def moving_server():
    config = SimulatorConfig(liquidity_mode="synthetic", rate_limits=RateLimitConfig(enabled=False))
    config = replace(config, margin=replace(config.margin, check_interval_ms=100))
    with running_server(config) as srv:
        yield srv


def supply(server) -> dict[str, int]:
    venue = server.venue
    with venue.lock:
        venue.engine.check_invariants()
        return {a: venue.engine.total_supply(a) for a in ASSETS}


def wait_for(condition, seconds: float = 15.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("timed out waiting for the liquidation")


def test_a_leveraged_long_is_liquidated_when_the_market_falls(moving_server):
    server = moving_server
    acct = new_account(server, {"USDT": "5000"})
    ex = binance(server.url, acct["apiKey"], acct["secret"])
    ex.load_markets()
    before = supply(server)
    ex.transfer("USDT", 1000, "spot", "isolated", {"symbol": "BTC/USDT"})
    price = ex.fetch_ticker("BTC/USDT")["last"] or 90_000
    amount = float(ex.amount_to_precision("BTC/USDT", 8_500 / price))  # 8.5x the 1000 USDT put in
    order = ex.create_order(
        "BTC/USDT", "market", "buy", amount, None, {"marginMode": "isolated", "sideEffectType": "MARGIN_BUY"}
    )
    assert order["status"] == "closed"
    balance = ex.fetch_balance({"marginMode": "isolated", "symbols": ["BTC/USDT"]})
    assert balance["USDT"]["debt"] > 7_000  # borrowed about 7500 USDT
    assert ex.fetch_my_liquidations("BTC/USDT") == []

    admin(server, "PUT", "/sandex/v1/markets/BTCUSDT/price", {"price": str(round(price * 0.85, 2))})
    rows = wait_for(lambda: ex.fetch_my_liquidations("BTC/USDT"))

    assert all(r["symbol"] == "BTC/USDT" and r["side"] == "sell" for r in rows)
    assert sum(r["contracts"] for r in rows) > 0 and rows[0]["price"] < price * 0.9
    after = ex.fetch_balance({"marginMode": "isolated", "symbols": ["BTC/USDT"]})
    assert after["USDT"]["debt"] == 0  # repaid from the sale (or written off)
    assert supply(server) == before  # the deposit came before ``before``; nothing since created money
