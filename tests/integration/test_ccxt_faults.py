"""Each fault kind (``/sandex/v1/faults``) met by unmodified ccxt.binance, sync and async, against a
real server: the exception class a user's code will catch, and what the exchange did meanwhile.

Faults here are scoped to the scenario's own API key, so they cannot fire on another test's
requests to the shared server; every test disarms whatever is left when it ends.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

import ccxt
import pytest

from .conftest import admin, call, run_scenario

BTC = "BTC/USDT"
INSUFFICIENT = "Account has insufficient balance for requested action."
BOTH = pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])


@pytest.fixture(autouse=True)
def disarm(server):
    yield
    admin(server, "DELETE", "/sandex/v1/faults")


def arm(server, ex, **spec) -> dict:
    return admin(server, "POST", "/sandex/v1/faults", {"apiKey": ex.apiKey, **spec})


def armed(server) -> list[dict]:
    return admin(server, "GET", "/sandex/v1/faults")["faults"]


async def _expect(exc: type[Exception], coro_or_value) -> Exception:
    try:
        await coro_or_value
    except Exception as e:
        assert type(e) is exc, f"{type(e).__name__}: {e}"
        return e
    raise AssertionError(f"no {exc.__name__} raised")


REJECTS = [  # (fault fields, the class ccxt raises); one scenario walks them all (a scenario costs ~0.7 s)
    ({"code": -2010}, ccxt.InsufficientFunds),
    ({"code": -1013}, ccxt.InvalidOrder),  # "Filter failure: LOT_SIZE"
    ({"code": -1021}, ccxt.InvalidNonce),
    ({"code": -1003}, ccxt.RateLimitExceeded),  # -1003 with HTTP 400; the 429 of rate_limit is DDoSProtection
    ({"code": 1}, ccxt.OnMaintenance),
    ({"code": -1001, "status": 503}, ccxt.OperationFailed),
    ({"code": -9000, "msg": "Something Binance never said."}, ccxt.ExchangeError),
]


@BOTH
def test_reject(server, use_async):
    async def scenario(ex):
        await call(ex, "load_markets")
        for spec, exc in REJECTS:
            arm(server, ex, kind="reject", **spec)
            await _expect(exc, call(ex, "create_order", BTC, "market", "buy", 0.001))
            assert armed(server) == []
        assert await call(ex, "fetch_open_orders", BTC) == []
        order = await call(ex, "create_order", BTC, "market", "buy", 0.001)  # each fired once, then was gone
        assert order["status"] == "closed"

    run_scenario(server, scenario, use_async)


@BOTH
def test_reject_message_is_what_ccxt_reports(server, use_async):
    async def scenario(ex):
        await call(ex, "load_markets")
        arm(server, ex, kind="reject", code=-2010)
        e = await _expect(ccxt.InsufficientFunds, call(ex, "create_order", BTC, "limit", "buy", 0.001, 80000))
        assert INSUFFICIENT in str(e)

    run_scenario(server, scenario, use_async)


@BOTH
@pytest.mark.parametrize("executed", [False, True], ids=["lost", "executed"])
def test_timeout_then_look_for_the_order(server, use_async, executed):
    async def scenario(ex):
        await call(ex, "load_markets")
        arm(server, ex, kind="timeout", executed=executed)
        cid = f"maybe-{int(executed)}-{int(use_async)}"
        await _expect(
            ccxt.RequestTimeout, call(ex, "create_order", BTC, "limit", "buy", 0.001, 80000, {"clientOrderId": cid})
        )
        opened = await call(ex, "fetch_open_orders", BTC)
        if not executed:
            assert opened == []
            await _expect(ccxt.OrderNotFound, call(ex, "fetch_order", None, BTC, {"origClientOrderId": cid}))
            return
        assert [(o["clientOrderId"], o["status"], o["amount"]) for o in opened] == [(cid, "open", 0.001)]
        found = await call(ex, "fetch_order", opened[0]["id"], BTC)
        assert (found["clientOrderId"], found["status"]) == (cid, "open")
        await call(ex, "cancel_order", found["id"], BTC)

    run_scenario(server, scenario, use_async)


@BOTH
def test_rate_limit_and_ban_are_ddos_protection(server, use_async):
    async def scenario(ex):
        await call(ex, "load_markets")
        for kind, status in (("rate_limit", "429"), ("ban", "418")):
            arm(server, ex, kind=kind, paths=["GET /api/v3/account"])
            e = await _expect(ccxt.DDoSProtection, call(ex, "fetch_balance"))
            assert not isinstance(e, ccxt.RateLimitExceeded) and status in str(e)
        assert (await call(ex, "fetch_balance"))["USDT"]["free"] == 100000

    run_scenario(server, scenario, use_async)


@BOTH
@pytest.mark.parametrize("executed", [False, True], ids=["lost", "executed"])
def test_drop_is_a_network_error(server, use_async, executed):
    """requests reports the cut as NetworkError itself, aiohttp as its subclass ExchangeNotAvailable."""

    async def scenario(ex):
        await call(ex, "load_markets")
        arm(server, ex, kind="drop", executed=executed)
        e = await _expect(
            ccxt.ExchangeNotAvailable if use_async else ccxt.NetworkError,
            call(ex, "create_order", BTC, "limit", "buy", 0.001, 80000, {"clientOrderId": "cut"}),
        )
        assert isinstance(e, ccxt.NetworkError)
        opened = await call(ex, "fetch_open_orders", BTC)  # a new connection: the server is fine
        assert [o["clientOrderId"] for o in opened] == (["cut"] if executed else [])

    run_scenario(server, scenario, use_async)


@BOTH
def test_drop_on_a_read_and_aiohttps_one_silent_retry(server, use_async):
    """aiohttp resends an idempotent request once when a kept-alive connection closes without an
    answer, so async ccxt sees a dropped GET only from the second drop on; requests does not retry."""

    async def scenario(ex):
        await call(ex, "load_markets")
        await call(ex, "fetch_open_orders", BTC)  # a kept-alive connection to be cut
        arm(server, ex, kind="drop", paths=["GET /api/v3/openOrders"], count=2)
        await _expect(ccxt.ExchangeNotAvailable if use_async else ccxt.NetworkError, call(ex, "fetch_open_orders", BTC))
        assert [f["remaining"] for f in armed(server)] == ([] if use_async else [1])

    run_scenario(server, scenario, use_async)


@BOTH
def test_delay_past_the_client_timeout_is_a_request_timeout_and_still_executes(server, use_async):
    async def scenario(ex):
        await call(ex, "load_markets")
        arm(server, ex, kind="delay", ms=600)
        ex.timeout = 200  # ms: ccxt gives up before the answer comes
        await _expect(
            ccxt.RequestTimeout, call(ex, "create_order", BTC, "limit", "buy", 0.001, 80000, {"clientOrderId": "slow"})
        )
        ex.timeout = 10_000
        await asyncio.sleep(0.6)  # the delayed request runs all the same
        opened = await call(ex, "fetch_open_orders", BTC)
        assert [o["clientOrderId"] for o in opened] == ["slow"]

    run_scenario(server, scenario, use_async)


@BOTH
def test_short_delay_is_only_slower(server, use_async):
    async def scenario(ex):
        await call(ex, "load_markets")
        arm(server, ex, kind="delay", ms=50, paths=["*"])
        assert (await call(ex, "fetch_balance"))["USDT"]["free"] == 100000

    run_scenario(server, scenario, use_async)


@BOTH
def test_partial_fill_market_order(server, use_async):
    async def scenario(ex):
        await call(ex, "load_markets")
        arm(server, ex, kind="partial_fill", fraction="0.5")
        order = await call(ex, "create_order", BTC, "market", "buy", 0.002)
        assert (order["status"], order["amount"], order["filled"], order["remaining"]) == (
            "expired",
            0.002,
            0.001,
            0.001,
        )
        assert Decimal(str(order["cost"])) > 0 and order["trades"]
        balance = await call(ex, "fetch_balance")
        fee = sum(Decimal(str(t["fee"]["cost"])) for t in order["trades"])
        assert Decimal(str(balance["BTC"]["total"])) == Decimal("2.001") - fee
        assert Decimal(str(balance["USDT"]["total"])) == Decimal(100000) - Decimal(str(order["cost"]))
        again = await call(ex, "fetch_order", order["id"], BTC)
        assert (again["status"], again["filled"]) == ("expired", 0.001)

    run_scenario(server, scenario, use_async)
