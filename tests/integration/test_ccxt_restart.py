"""A server with a state directory stops and starts again: ccxt (sync and async) finds its orders,
trades and balances as they were, and the admin API's snapshot and restore reset them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from simulator.config import SimulatorConfig
from simulator.launcher import running_server
from simulator.ratelimit import RateLimitConfig

from .conftest import admin, binance, binance_async, call, new_account


def _config(state_dir: Path) -> SimulatorConfig:
    return SimulatorConfig(
        state_dir=str(state_dir),
        liquidity_mode="static",
        admin_token="r" * 32,
        demo_api_key="restart-demo",
        demo_api_secret="restart-secret",
        rate_limits=RateLimitConfig(enabled=False),
    )


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
def test_orders_trades_and_balances_come_back_after_a_restart(tmp_path: Path, use_async: bool) -> None:
    make = binance_async if use_async else binance

    async def session(url: str, key: str, secret: str, scenario):
        ex = make(url, key, secret, options={"warnOnFetchOpenOrdersWithoutSymbol": False})
        try:
            return await scenario(ex)
        finally:
            if use_async:
                await ex.close()

    async def trade(ex) -> tuple:
        resting = await call(ex, "create_order", "BTC/USDT", "limit", "buy", 0.01, 80000)
        await call(ex, "create_order", "BTC/USDT", "market", "buy", 0.001)
        saved = admin(server, "POST", "/sandex/v1/snapshots")
        await call(ex, "create_order", "ETH/USDT", "limit", "sell", 0.5, 4000)
        return resting, saved, await call(ex, "fetch_my_trades", "BTC/USDT"), await call(ex, "fetch_balance")

    async def look(ex) -> tuple:
        return (
            await call(ex, "fetch_open_orders"),
            await call(ex, "fetch_my_trades", "BTC/USDT"),
            await call(ex, "fetch_balance"),
        )

    with running_server(_config(tmp_path)) as server:
        acct = new_account(server, {"USDT": "5000", "ETH": "1"})
        resting, saved, trades, balance = asyncio.run(session(server.url, acct["apiKey"], acct["secret"], trade))
    with running_server(_config(tmp_path)) as server:
        open_orders, trades_after, balance_after = asyncio.run(
            session(server.url, acct["apiKey"], acct["secret"], look)
        )
        assert sorted(o["id"] for o in open_orders) == sorted([resting["id"], open_orders[-1]["id"]])
        assert [t["id"] for t in trades_after] == [t["id"] for t in trades] and trades
        for asset in ("USDT", "BTC", "ETH"):
            assert balance_after[asset] == balance[asset]
        # the snapshot taken between the orders survived the restart and puts the ETH order back out
        admin(server, "POST", f"/sandex/v1/snapshots/{saved['snapshotId']}/restore")
        open_orders, _, _ = asyncio.run(session(server.url, acct["apiKey"], acct["secret"], look))
        assert [o["id"] for o in open_orders] == [resting["id"]]
