"""A real uvicorn server on 127.0.0.1 and unmodified ccxt clients pointed at it.

ccxt keeps its default options; only the scheme and host of its API URLs are rewritten, which is
all a user does.
"""

from __future__ import annotations

import asyncio
import json
import re
import urllib.request
from collections.abc import Iterator

import ccxt
import ccxt.async_support as ccxt_async
import pytest

from simulator.config import SimulatorConfig
from simulator.launcher import RunningServer, running_server
from simulator.ratelimit import RateLimitConfig


def point_at(exchange, url: str):
    """Rewrite only the scheme and host of every REST URL ccxt has for Binance."""
    for name, value in exchange.urls["api"].items():
        if isinstance(value, str):
            exchange.urls["api"][name] = re.sub(r"^https://[^/]+", url, value)
    return exchange


def binance(url: str, api_key: str | None = None, secret: str | None = None, **options) -> ccxt.binance:
    creds = {"apiKey": api_key, "secret": secret} if api_key else {}
    return point_at(ccxt.binance({**creds, **options}), url)


def binance_async(url: str, api_key: str | None = None, secret: str | None = None, **options):
    creds = {"apiKey": api_key, "secret": secret} if api_key else {}
    return point_at(ccxt_async.binance({**creds, **options}), url)


def admin(server: RunningServer, method: str, path: str, body: dict | None = None) -> dict:
    """Call the admin API with the server's admin token."""
    req = urllib.request.Request(
        server.url + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {server.simulator.admin_token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def new_account(server: RunningServer, balances: dict[str, str] | None = None, **options) -> dict:
    """A fresh funded account: ``{"accountId", "apiKey", "secret"}``."""
    return admin(
        server,
        "POST",
        "/sandex/v1/accounts",
        {"balances": balances or {"USDT": "100000", "BTC": "2", "ETH": "20"}, **options},
    )


@pytest.fixture(scope="session")
def server() -> Iterator[RunningServer]:
    """One simulator for the session: default markets and a static book, so expectations can be
    computed from prices that hold still (tests of moving markets start their own). The whole
    suite calls from one IP far faster than Binance's 6000 weight a minute allows, so limits are
    off here (headers still count); the rate-limit tests start servers of their own."""
    config = SimulatorConfig(liquidity_mode="static", rate_limits=RateLimitConfig(enabled=False))
    with running_server(config) as srv:
        yield srv


@pytest.fixture()
def account(server: RunningServer) -> dict:
    return new_account(server)


@pytest.fixture()
def exchange(server: RunningServer, account: dict) -> ccxt.binance:
    """Sync ccxt with default options on a fresh account, markets loaded."""
    ex = binance(server.url, account["apiKey"], account["secret"])
    ex.load_markets()
    return ex


async def call(ex, name: str, *args, **kwargs):
    """``ex.name(...)`` for a sync or an async ccxt instance alike, so one scenario serves both."""
    result = getattr(ex, name)(*args, **kwargs)
    return await result if asyncio.iscoroutine(result) else result


def run_scenario(server: RunningServer, scenario, use_async: bool, balances: dict[str, str] | None = None) -> None:
    """Run ``await scenario(exchange)`` on a fresh account with sync or async ccxt (closed after)."""
    acct = new_account(server, balances)

    async def main() -> None:
        make = binance_async if use_async else binance
        ex = make(server.url, acct["apiKey"], acct["secret"])
        try:
            await scenario(ex)
        finally:
            if use_async:
                await ex.close()

    asyncio.run(main())
