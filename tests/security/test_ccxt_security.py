"""The important cases end to end: unmodified ccxt.binance (sync and async) against a real uvicorn
server, asserting the exception classes users actually see.

ccxt maps Binance's answers by message, then code (shared/reference/binance-wire.md §8): -2011 and
-2013 are OrderNotFound, -1021 InvalidNonce, -1022 and -2015 AuthenticationError, but -2015 after
a successful /api/v3 private call on the same instance is DDoSProtection (ccxt reads it as a
temporary ban). ccxt has no PermissionDenied for Binance's -2015: a missing permission is an
AuthenticationError, as against Binance.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import ccxt
import pytest

from simulator.config import SimulatorConfig
from simulator.launcher import RunningServer, running_server
from simulator.ratelimit import RateLimitConfig
from tests.integration.conftest import admin, binance, binance_async, call, new_account

SYMBOL = "BTC/USDT"
MODES = pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    config = SimulatorConfig(liquidity_mode="static", rate_limits=RateLimitConfig(enabled=False))
    with running_server(config) as srv:
        yield srv


@pytest.fixture(scope="module")
def loaded(server: RunningServer) -> ccxt.binance:
    """Markets through ccxt's own load_markets, shared with every other client here (so that a client
    whose key is refused fails on the call under test, not while loading markets)."""
    acct = new_account(server)
    ex = binance(server.url, acct["apiKey"], acct["secret"])
    ex.load_markets()
    return ex


@pytest.fixture(scope="module")
def alice(server: RunningServer, loaded: ccxt.binance) -> dict:
    """An account with a spot order, a cross margin order and a conversion: their ids."""
    acct = new_account(server, {"USDT": "100000", "BTC": "2"})
    ex = connect(server, loaded, acct)
    ids = {"spot": ex.create_order(SYMBOL, "limit", "buy", 0.001, 70000)["id"]}
    ex.transfer("USDT", 1000, "spot", "margin")
    ids["margin"] = ex.create_order(SYMBOL, "limit", "buy", 0.001, 70000, {"marginMode": "cross"})["id"]
    quote = ex.fetch_convert_quote("USDT", "BTC", 10)
    ids["convert"] = ex.create_convert_trade(quote["id"], "USDT", "BTC", 10)["id"]
    return acct | {"ids": ids, "client": ex}


def connect(
    server: RunningServer,
    loaded: ccxt.binance,
    account: dict | None = None,
    *,
    use_async: bool = False,
    api_key: str | None = None,
    secret: str | None = None,
    **options,
):
    key = api_key or (account or {}).get("apiKey")
    sec = secret or (account or {}).get("secret")
    ex = (binance_async if use_async else binance)(server.url, key, sec, **options)
    ex.set_markets_from_exchange(loaded)
    return ex


def run(use_async: bool, clients: list, scenario) -> None:
    """``await scenario()`` and close the async clients after."""

    async def main() -> None:
        try:
            await scenario()
        finally:
            if use_async:
                for c in clients:
                    await c.close()

    asyncio.run(main())


async def raises(exc: type, ex, name: str, *args, **kwargs) -> Exception:
    """The call raises exactly ``exc`` (not a subclass: ccxt's classes nest)."""
    with pytest.raises(exc) as info:
        await call(ex, name, *args, **kwargs)
    assert type(info.value) is exc, f"{name}: {type(info.value).__name__}: {info.value}"
    return info.value


def last_body(ex) -> dict:
    return json.loads(ex.last_http_response)


# ---- another account's ids ---------------------------------------------------------------------------


@MODES
def test_another_accounts_ids_are_order_not_found(server, loaded, alice, use_async: bool) -> None:
    bob = connect(server, loaded, new_account(server), use_async=use_async)
    ids = alice["ids"]

    async def scenario() -> None:
        await raises(ccxt.OrderNotFound, bob, "fetch_order", ids["spot"], SYMBOL)
        assert last_body(bob) == {"code": -2013, "msg": "Order does not exist."}
        await raises(ccxt.OrderNotFound, bob, "cancel_order", ids["spot"], SYMBOL)
        assert last_body(bob) == {"code": -2011, "msg": "Unknown order sent."}
        for mode in ("cross", "isolated"):
            await raises(ccxt.OrderNotFound, bob, "fetch_order", ids["margin"], SYMBOL, {"marginMode": mode})
            await raises(ccxt.OrderNotFound, bob, "cancel_order", ids["margin"], SYMBOL, {"marginMode": mode})
        await raises(ccxt.OrderNotFound, bob, "fetch_convert_trade", ids["convert"])
        assert last_body(bob) == {"code": -2013, "msg": "Order does not exist."}
        assert await call(bob, "fetch_my_trades", SYMBOL, None, None, {"orderId": ids["spot"]}) == []
        assert await call(bob, "fetch_orders", SYMBOL) == []
        assert await call(bob, "fetch_open_orders", SYMBOL) == []

    run(use_async, [bob], scenario)
    mine = alice["client"]
    assert mine.fetch_order(ids["spot"], SYMBOL)["status"] == "open"
    assert mine.fetch_order(ids["margin"], SYMBOL, {"marginMode": "cross"})["status"] == "open"
    assert mine.fetch_convert_trade(ids["convert"])["id"] == ids["convert"]


@MODES
def test_editing_another_accounts_order_fails_without_touching_it(server, loaded, alice, use_async: bool) -> None:
    """ccxt's edit_order is Binance's cancelReplace (STOP_ON_FAILURE): -2022, with the -2011 inside."""
    bob = connect(server, loaded, new_account(server), use_async=use_async)

    async def scenario() -> None:
        e = await raises(
            ccxt.ExchangeError, bob, "edit_order", alice["ids"]["spot"], SYMBOL, "limit", "buy", 0.002, 71000
        )
        body = last_body(bob)
        assert (body["code"], body["data"]["cancelResponse"]) == (-2022, {"code": -2011, "msg": "Unknown order sent."})
        assert "cancel-replace failed" in str(e)
        assert await call(bob, "fetch_open_orders", SYMBOL) == []

    run(use_async, [bob], scenario)
    assert alice["client"].fetch_order(alice["ids"]["spot"], SYMBOL)["amount"] == 0.001


# ---- keys -----------------------------------------------------------------------------------------------


@MODES
def test_revocation_reaches_a_cached_client_on_its_next_call(server, loaded, use_async: bool) -> None:
    acct = new_account(server)
    cached = connect(server, loaded, acct, use_async=use_async)
    fresh = connect(server, loaded, acct, use_async=use_async)

    async def scenario() -> None:
        await call(cached, "fetch_balance")  # a successful private call: ccxt now reads -2015 as a ban
        admin(server, "DELETE", f"/sandex/v1/keys/{acct['apiKey']}")
        await raises(ccxt.DDoSProtection, cached, "create_order", SYMBOL, "limit", "buy", 0.001, 70000)
        assert last_body(cached) == {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}
        await raises(ccxt.AuthenticationError, fresh, "fetch_balance")
        await raises(ccxt.AuthenticationError, fresh, "create_order", SYMBOL, "limit", "buy", 0.001, 70000)

    run(use_async, [cached, fresh], scenario)
    shown = admin(server, "GET", f"/sandex/v1/accounts/{acct['accountId']}")
    assert shown["balances"]["spot"]["USDT"]["locked"] == "0.00000000"


@MODES
def test_a_rotated_key_keeps_working_after_the_old_one_is_revoked(server, loaded, use_async: bool) -> None:
    acct = new_account(server)
    rotated = admin(server, "POST", f"/sandex/v1/accounts/{acct['accountId']}/keys", {"keyType": "ED25519"})
    old = connect(server, loaded, acct, use_async=use_async)
    new = connect(server, loaded, rotated, use_async=use_async)

    async def scenario() -> None:
        order = await call(old, "create_order", SYMBOL, "limit", "buy", 0.001, 70000)
        admin(server, "DELETE", f"/sandex/v1/keys/{acct['apiKey']}")
        await raises(ccxt.DDoSProtection, old, "fetch_order", order["id"], SYMBOL)
        assert (await call(new, "cancel_order", order["id"], SYMBOL))["status"] == "canceled"

    run(use_async, [old, new], scenario)


@MODES
def test_missing_permissions_are_authentication_errors(server, loaded, use_async: bool) -> None:
    read_only = connect(server, loaded, new_account(server, permissions=[]), use_async=use_async)
    spot_only = connect(server, loaded, new_account(server, permissions=["SPOT"]), use_async=use_async)

    async def scenario() -> None:
        await raises(ccxt.AuthenticationError, read_only, "create_order", SYMBOL, "limit", "buy", 0.001, 70000)
        await raises(ccxt.AuthenticationError, read_only, "cancel_order", "1", SYMBOL)
        await raises(ccxt.AuthenticationError, read_only, "create_convert_trade", "0" * 32, "USDT", "BTC", 10)
        await raises(
            ccxt.AuthenticationError,
            spot_only,
            "create_order",
            SYMBOL,
            "limit",
            "buy",
            0.001,
            70000,
            {"marginMode": "cross"},
        )
        await raises(ccxt.AuthenticationError, spot_only, "transfer", "USDT", 10, "spot", "margin")
        await raises(ccxt.AuthenticationError, spot_only, "borrow_cross_margin", "BTC", 0.001)
        assert (await call(read_only, "fetch_balance"))["USDT"]["free"] == 100000.0  # reading works

    run(use_async, [read_only, spot_only], scenario)


@MODES
def test_an_ip_restricted_key_is_refused_from_elsewhere(server, loaded, use_async: bool) -> None:
    ex = connect(server, loaded, new_account(server, ipAllow=["192.0.2.1"]), use_async=use_async)

    async def scenario() -> None:
        await raises(ccxt.AuthenticationError, ex, "fetch_balance")
        assert last_body(ex) == {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}

    run(use_async, [ex], scenario)


# ---- signatures and time -----------------------------------------------------------------------------------


@MODES
@pytest.mark.parametrize("key_type", ["HMAC", "ED25519", "RSA"])
def test_another_accounts_secret_is_an_authentication_error(server, loaded, use_async: bool, key_type: str) -> None:
    mine, theirs = new_account(server, keyType=key_type), new_account(server, keyType=key_type)
    forged = connect(server, loaded, api_key=mine["apiKey"], secret=theirs["secret"], use_async=use_async)

    async def scenario() -> None:
        await raises(ccxt.AuthenticationError, forged, "create_order", SYMBOL, "limit", "buy", 0.001, 70000)
        assert last_body(forged) == {"code": -1022, "msg": "Signature for this request is not valid."}

    run(use_async, [forged], scenario)
    assert (
        admin(server, "GET", f"/sandex/v1/accounts/{mine['accountId']}")["balances"]["spot"]["USDT"]["locked"]
        == "0.00000000"
    )


@MODES
@pytest.mark.parametrize(
    "skew, msg",
    [
        (11_000, "Timestamp for this request is outside of the recvWindow."),  # past ccxt's recvWindow of 10 s
        (-2_000, "Timestamp for this request was 1000ms ahead of the server's time."),
    ],
)
def test_a_skewed_clock_is_invalid_nonce(server, loaded, use_async: bool, skew: int, msg: str) -> None:
    acct = new_account(server)
    skewed = connect(server, loaded, acct, use_async=use_async, options={"timeDifference": skew})

    async def scenario() -> None:
        await raises(ccxt.InvalidNonce, skewed, "create_order", SYMBOL, "limit", "buy", 0.001, 70000)
        assert last_body(skewed) == {"code": -1021, "msg": msg}
        await raises(ccxt.ExchangeError, skewed, "fetch_balance", {"recvWindow": 60001})
        assert last_body(skewed) == {"code": -1131, "msg": "recvWindow must be less than 60000"}

    run(use_async, [skewed], scenario)
    assert (
        admin(server, "GET", f"/sandex/v1/accounts/{acct['accountId']}")["balances"]["spot"]["USDT"]["locked"]
        == "0.00000000"
    )
