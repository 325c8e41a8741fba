"""Every function of the client's API, sync (``client``) and async (``client.aio``), against two
targets: the embedded simulator (a fresh account per test, so balances start at the demo ones)
and a ``sandex serve --static`` subprocess reached through a URL target with its demo key (one
account for the whole run, so values there are checked as differences).

Each scenario is a coroutine over ``Api``, which awaits ``client`` and ``client.aio`` functions
the same way, and runs four times (two targets x sync/async). Expected numbers are computed with
``Decimal`` from the order book read just before trading; the embedded simulator is shared with
the other test files, so no scenario assumes which levels of the static book are still there.
ccxt's client-side throttle is turned off on the instances used here (as in
``benchmarks/client.py``): the servers' own limits are off or far away, and it would only add
seconds of sleeping.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

import ccxt
import pytest

import client
from client import Credential, connections
from client.methods import STREAMING

from .conftest import DEMO_BALANCES, Served, fresh_credential

pytestmark = pytest.mark.usefixtures("no_remote_network")

SYMBOL = "BTC/USDT"
SYMBOLS = ["BNB/USDT", "BTC/USDT", "ETH/BTC", "ETH/USDT", "SOL/USDT"]
CODES = {"BNB", "BTC", "ETH", "SOL", "USDT"}
STEP = Decimal("0.00001")  # BTC/USDT amount step
UNIT = Decimal("0.00000001")  # every asset's smallest unit
FEE = Decimal("0.001")  # taker commission
CONVERT_SPREAD = Decimal("0.001")
USDT_500_HOUR = Decimal("0.00416667")  # ceil(500 x 0.0002 / 24) at 8 decimals: the interest charged on borrowing
UNKNOWN_ID = "987654321"


# ---- numbers and shapes -------------------------------------------------------------------------


def D(x: Any) -> Decimal:
    """The exact decimal of a ccxt float (parsed from Binance's decimal text) or of a literal."""
    return Decimal(str(x))


def amounts(balance: dict, code: str) -> tuple[Decimal, Decimal]:
    """(free, used) of ``code`` in a ccxt balance, zeros when absent."""
    entry = balance.get(code) or {}
    return D(entry.get("free") or 0), D(entry.get("used") or 0)


def change(before: dict, after: dict, code: str) -> tuple[Decimal, Decimal]:
    """How (free, used) of ``code`` moved between two balances."""
    (f0, u0), (f1, u1) = amounts(before, code), amounts(after, code)
    return f1 - f0, u1 - u0


def ids(orders: list[dict]) -> set[str]:
    return {o["id"] for o in orders}


def subset(actual: dict, expected: dict) -> dict:
    """The entries of ``actual`` named in ``expected`` (``assert subset(a, e) == e`` diffs nicely)."""
    return {k: actual.get(k, "<missing>") for k in expected}


def fill(
    levels: list[list[float]], amount: Decimal | None = None, budget: Decimal | None = None, step: Decimal = STEP
) -> tuple[Decimal, Decimal]:
    """(amount, cost) a taker gets walking ``levels`` for ``amount`` of base or a quote ``budget``."""
    filled = cost = Decimal(0)
    for price, qty in levels:
        price, qty = D(price), D(qty)
        room = amount - filled if amount is not None else ((budget - cost) / price).quantize(step, ROUND_DOWN)
        take = min(qty, room)
        if take <= 0:
            break
        filled, cost = filled + take, cost + take * price
    return filled, cost


# ---- the two APIs, awaited alike ----------------------------------------------------------------


class Api:
    """``client`` (sync) or ``client.aio``, each function awaited alike: ``await api.fetch_balance(cred)``."""

    def __init__(self, is_async: bool) -> None:
        self.is_async = is_async

    def __repr__(self) -> str:
        return "aio" if self.is_async else "sync"

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        function = getattr(client.aio if self.is_async else client, name)

        async def call(credentials: Credential | str, *args: Any, **kwargs: Any) -> Any:
            instance = (connections.async_exchange if self.is_async else connections.sync_exchange)(credentials)
            instance.enableRateLimit = False
            result = function(credentials, *args, **kwargs)
            return await result if self.is_async else result

        return call


def run(api: Api, scenario: Callable[..., Awaitable[None]], *args: Any) -> None:
    """Run ``scenario(api, *args)`` in a fresh event loop, closing the async instances after it."""

    async def main() -> None:
        try:
            await scenario(api, *args)
        finally:
            if api.is_async:
                await client.aio.close()

    asyncio.run(main())


@dataclass(frozen=True)
class Where:
    """A target under test and how to get a credential there (the fixture also aims the exchange id's
    public calls there, through SANDEX_TARGET for the URL target)."""

    name: str
    served: Served | None = None

    @property
    def fresh(self) -> bool:
        """Whether each credential is a new account holding the demo balances."""
        return self.served is None

    def credential(self) -> Credential:
        return fresh_credential() if self.served is None else self.served.credential()


@pytest.fixture(params=["embedded", "url"])
def where(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Where:
    """The embedded simulator, or ``sandex serve`` (for public calls by exchange id, via SANDEX_TARGET)."""
    if request.param == "embedded":
        return Where("embedded")
    served: Served = request.getfixturevalue("served")
    monkeypatch.setenv("SANDEX_TARGET", served.url)
    return Where("url", served)


@pytest.fixture(params=[False, True], ids=["sync", "aio"])
def api(request: pytest.FixtureRequest) -> Api:
    return Api(request.param)


# ---- scenarios ----------------------------------------------------------------------------------


async def _limit_orders(api: Api, cred: Credential, fresh: bool) -> None:
    """Limit orders rest, hold funds, are found by every query, cancel, and release the funds."""
    before = await api.fetch_balance(cred)
    if fresh:
        assert {c: v for c, v in before["total"].items() if v} == DEMO_BALANCES
    buy = await api.create_limit_buy_order(cred, SYMBOL, 0.001, 80_000)
    sell = await api.create_limit_sell_order(cred, SYMBOL, 0.001, 100_000)
    other = await api.create_order(cred, SYMBOL, "limit", "buy", 0.002, 81_000)
    shape = ("symbol", "type", "side", "amount", "price", "filled", "status")
    assert [tuple(o[k] for k in shape) for o in (buy, sell, other)] == [
        (SYMBOL, "limit", "buy", 0.001, 80_000.0, 0.0, "open"),
        (SYMBOL, "limit", "sell", 0.001, 100_000.0, 0.0, "open"),
        (SYMBOL, "limit", "buy", 0.002, 81_000.0, 0.0, "open"),
    ]
    placed = ids([buy, sell, other])
    assert len(placed) == 3 and all(re.fullmatch(r"\d+", i) for i in placed)

    held = await api.fetch_balance(cred)
    assert change(before, held, "USDT") == (D("-242"), D("242"))  # 0.001 x 80000 + 0.002 x 81000
    assert change(before, held, "BTC") == (D("-0.001"), D("0.001"))

    fetched = await api.fetch_order(cred, buy["id"], SYMBOL)
    expected = {"id": buy["id"], "clientOrderId": buy["clientOrderId"], "status": "open", "price": 80_000.0}
    assert subset(fetched, expected) == expected
    assert placed <= ids(await api.fetch_open_orders(cred, SYMBOL))

    for order in (buy, sell, other):
        canceled = await api.cancel_order(cred, order["id"], SYMBOL)
        assert (canceled["id"], canceled["status"]) == (order["id"], "canceled")
    assert placed <= ids(await api.fetch_canceled_orders(cred, SYMBOL))
    assert not placed & ids(await api.fetch_open_orders(cred, SYMBOL))
    statuses = {o["id"]: o["status"] for o in await api.fetch_orders(cred, SYMBOL)}
    assert {i: statuses.get(i) for i in placed} == dict.fromkeys(placed, "canceled")

    after = await api.fetch_balance(cred)
    assert [change(before, after, code) for code in ("USDT", "BTC")] == [(0, 0), (0, 0)]


async def _market_orders(api: Api, cred: Credential, fresh: bool) -> None:
    """Market orders by amount and by cost fill at the book's prices and move the balances exactly."""
    before = await api.fetch_balance(cred)
    asks = (await api.fetch_order_book(cred, SYMBOL, 20))["asks"]
    _, buy_cost = fill(asks, amount=D("0.001"))
    buy = await api.create_market_buy_order(cred, SYMBOL, 0.001)
    assert (buy["status"], D(buy["filled"]), D(buy["cost"])) == ("closed", D("0.001"), buy_cost)
    assert (buy["fee"]["currency"], D(buy["fee"]["cost"])) == ("BTC", D("0.001") * FEE)

    bids = (await api.fetch_order_book(cred, SYMBOL, 20))["bids"]
    _, sell_cost = fill(bids, amount=D("0.001"))
    sell = await api.create_market_sell_order(cred, SYMBOL, 0.001)
    assert (sell["status"], D(sell["filled"]), D(sell["cost"])) == ("closed", D("0.001"), sell_cost)
    assert (sell["fee"]["currency"], D(sell["fee"]["cost"])) == ("USDT", sell_cost * FEE)

    asks = (await api.fetch_order_book(cred, SYMBOL, 20))["asks"]
    spent_amount, spent = fill(asks, budget=D(100))
    by_cost = await api.create_market_buy_order_with_cost(cred, SYMBOL, 100)
    assert (by_cost["status"], D(by_cost["filled"]), D(by_cost["cost"])) == ("closed", spent_amount, spent)
    assert spent <= 100 and by_cost["info"]["origQuoteOrderQty"] == "100.00000000"

    after = await api.fetch_balance(cred)
    btc = D("0.001") * (1 - FEE) - D("0.001") + spent_amount * (1 - FEE)
    usdt = -buy_cost + sell_cost * (1 - FEE) - spent
    assert change(before, after, "BTC") == (btc, 0) and change(before, after, "USDT") == (usdt, 0)
    if fresh:
        assert (D(after["BTC"]["total"]), D(after["USDT"]["total"])) == (1 + btc, 100_000 + usdt)

    filled = {buy["id"]: buy, sell["id"]: sell, by_cost["id"]: by_cost}
    closed = {o["id"]: o for o in await api.fetch_closed_orders(cred, SYMBOL)}
    assert {i: (closed[i]["status"], closed[i]["filled"], closed[i]["side"]) for i in filled} == {
        i: ("closed", o["filled"], o["side"]) for i, o in filled.items()
    }
    assert (await api.fetch_order(cred, sell["id"], SYMBOL))["average"] == sell["average"]
    mine = [t for t in await api.fetch_my_trades(cred, SYMBOL) if t["order"] in filled]
    for order_id, order in filled.items():
        trades = [t for t in mine if t["order"] == order_id]
        assert trades and all(t["side"] == order["side"] and t["takerOrMaker"] == "taker" for t in trades)
        assert sum(D(t["amount"]) for t in trades) == D(order["filled"])
        assert sum(D(t["cost"]) for t in trades) == D(order["cost"])


async def _refusals(api: Api, cred: Credential) -> None:
    """ccxt's exception classes pass through unchanged, and a refused call moves nothing."""
    before = await api.fetch_balance(cred)
    refused: list[tuple[type[ccxt.BaseError], Callable[[], Awaitable[Any]]]] = [
        (ccxt.InsufficientFunds, lambda: api.create_limit_buy_order(cred, SYMBOL, 50, 80_000)),  # 4,000,000 USDT
        (ccxt.InsufficientFunds, lambda: api.create_market_sell_order(cred, SYMBOL, 50)),
        (ccxt.OrderNotFound, lambda: api.cancel_order(cred, UNKNOWN_ID, SYMBOL)),
        (ccxt.OrderNotFound, lambda: api.fetch_order(cred, UNKNOWN_ID, SYMBOL)),
        (ccxt.BadSymbol, lambda: api.create_limit_buy_order(cred, "NOPE/USDT", 1, 1)),
    ]
    for cls, call in refused:
        with pytest.raises(cls) as info:
            await call()
        assert type(info.value) is cls and str(info.value).startswith("binance ")
    after = await api.fetch_balance(cred)
    assert [change(before, after, code) for code in ("USDT", "BTC")] == [(0, 0), (0, 0)]


async def _create_orders(api: Api, cred: Credential) -> None:
    """A batch keeps its order; refused entries hold their ccxt exception; later entries are still placed."""
    tag = uuid.uuid4().hex[:20]
    requests = [
        {"symbol": SYMBOL, "type": "limit", "side": "buy", "amount": 0.001, "price": 80_000},
        {"symbol": SYMBOL, "type": "limit", "side": "buy", "amount": 50, "price": 80_000},  # too large
        {"symbol": "ETH/USDT", "type": "limit", "side": "buy", "amount": 0.01, "price": 2_000},
        {"symbol": "NOPE/USDT", "type": "limit", "side": "buy", "amount": 1, "price": 1},
        {"symbol": SYMBOL, "type": "limit", "side": "sell"},  # no amount
        {
            "symbol": "ETH/USDT",
            "type": "limit",
            "side": "sell",
            "amount": 0.01,
            "price": 5_000,
            "params": {"clientOrderId": f"batch-{tag}"},
        },
    ]
    results = await api.create_orders(cred, requests)
    assert [type(r) for r in results] == [
        dict,
        ccxt.InsufficientFunds,
        dict,
        ccxt.BadSymbol,
        ccxt.ArgumentsRequired,
        dict,
    ]
    placed = [results[0], results[2], results[5]]
    assert [(o["symbol"], o["side"], o["price"], o["amount"], o["status"]) for o in placed] == [
        (SYMBOL, "buy", 80_000.0, 0.001, "open"),
        ("ETH/USDT", "buy", 2_000.0, 0.01, "open"),
        ("ETH/USDT", "sell", 5_000.0, 0.01, "open"),
    ]
    assert results[5]["clientOrderId"] == f"batch-{tag}"
    assert results[0]["id"] in ids(await api.fetch_open_orders(cred, SYMBOL))
    assert {results[2]["id"], results[5]["id"]} <= ids(await api.fetch_open_orders(cred, "ETH/USDT"))
    for order in placed:
        assert (await api.cancel_order(cred, order["id"], order["symbol"]))["status"] == "canceled"


async def _debt_and_interest(
    api: Api, cred: Credential, code: str, params: dict, symbol: str | None = None
) -> tuple[Decimal, dict[Any, Decimal]]:
    """The debt of ``code`` and the interest records ({txId: interest}), read on the same side of a charge."""
    while True:
        charged = await api.fetch_borrow_interest(cred, code, symbol)
        balance = await api.fetch_balance(cred, params)
        again = await api.fetch_borrow_interest(cred, code, symbol)
        if [c["info"]["txId"] for c in again] == [c["info"]["txId"] for c in charged]:
            return D((balance.get(code) or {}).get("debt") or 0), {c["info"]["txId"]: D(c["interest"]) for c in again}


async def _margin(api: Api, cred: Credential) -> None:
    """Transfers, cross and isolated loans and repayments, interest, rates, and no liquidations."""
    cross, isolated = {"type": "margin"}, {"marginMode": "isolated"}
    spot0 = await api.fetch_balance(cred)
    cross0 = await api.fetch_balance(cred, cross)
    debt0, interest0 = await _debt_and_interest(api, cred, "USDT", cross)

    moved = await api.transfer(cred, "USDT", 1000, "spot", "margin")
    loan = await api.borrow_cross_margin(cred, "USDT", 500)
    assert moved["id"] and moved["currency"] == "USDT" and loan["id"] and loan["currency"] == "USDT"
    debt1, interest1 = await _debt_and_interest(api, cred, "USDT", cross)
    assert change(cross0, await api.fetch_balance(cred, cross), "USDT") == (1500, 0)
    new = {tx: amount for tx, amount in interest1.items() if tx not in interest0}
    assert USDT_500_HOUR in new.values() and debt1 - debt0 == 500 + sum(new.values())
    on_borrow = [
        c
        for c in await api.fetch_borrow_interest(cred, "USDT")
        if c["info"]["txId"] in new and c["info"]["type"] == "ON_BORROW"
    ]
    assert [(c["currency"], c["marginMode"], D(c["amountBorrowed"]), D(c["interestRate"])) for c in on_borrow] == [
        ("USDT", "cross", 500, D("0.0002"))
    ]

    repaid = await api.repay_cross_margin(cred, "USDT", 200)  # interest first, then principal
    assert repaid["id"] and repaid["currency"] == "USDT"
    assert change(cross0, await api.fetch_balance(cred, cross), "USDT") == (1300, 0)
    await api.transfer(cred, "USDT", 100, "margin", "spot")
    assert change(cross0, await api.fetch_balance(cred, cross), "USDT") == (1200, 0)

    iso0 = await api.fetch_balance(cred, isolated)
    await api.transfer(cred, "USDT", 300, "spot", "isolated", {"symbol": SYMBOL})
    await api.borrow_isolated_margin(cred, SYMBOL, "BTC", 0.001)
    iso1 = await api.fetch_balance(cred, isolated)
    assert (change(iso0, iso1, "USDT"), change(iso0, iso1, "BTC")) == ((300, 0), (D("0.001"), 0))
    assert D(iso1["BTC"]["debt"]) - D((iso0.get("BTC") or {}).get("debt") or 0) > D("0.001")
    charged = await api.fetch_borrow_interest(cred, "BTC", SYMBOL)
    assert any(c["marginMode"] == "isolated" and D(c["amountBorrowed"]) == D("0.001") for c in charged)
    await api.repay_isolated_margin(cred, SYMBOL, "BTC", 0.0005)
    await api.transfer(cred, "USDT", 50, "isolated", "spot", {"symbol": SYMBOL})
    iso2 = await api.fetch_balance(cred, isolated)
    assert (change(iso0, iso2, "USDT"), change(iso0, iso2, "BTC")) == ((250, 0), (D("0.0005"), 0))

    assert change(spot0, await api.fetch_balance(cred), "USDT") == (-1000 + 100 - 300 + 50, 0)
    assert await api.fetch_my_liquidations(cred) == []
    assert await api.fetch_my_liquidations(cred, SYMBOL) == []

    rate = await api.fetch_cross_borrow_rate(cred, "BTC")
    assert (rate["currency"], D(rate["rate"]), rate["period"]) == ("BTC", D("0.00005"), 86_400_000)
    rates = await api.fetch_cross_borrow_rates(cred)
    assert set(rates) == CODES
    assert {c: (r["currency"], D(r["rate"])) for c, r in rates.items()} == {
        "BTC": ("BTC", D("0.00005")),
        "ETH": ("ETH", D("0.00005")),
        "USDT": ("USDT", D("0.0002")),
        "BNB": ("BNB", D("0.0003")),
        "SOL": ("SOL", D("0.0003")),
    }
    pair = await api.fetch_isolated_borrow_rate(cred, SYMBOL)
    assert (pair["symbol"], pair["base"], D(pair["baseRate"]), pair["quote"], D(pair["quoteRate"])) == (
        SYMBOL,
        "BTC",
        D("0.00005"),
        "USDT",
        D("0.0002"),
    )
    pairs = await api.fetch_isolated_borrow_rates(cred)
    assert sorted(pairs) == SYMBOLS and D(pairs["ETH/BTC"]["quoteRate"]) == D("0.00005")


async def _convert(api: Api, cred: Credential) -> None:
    """A quote priced from the book's mid less the spread, accepted once, moving exactly its amounts."""
    before = await api.fetch_balance(cred)
    book = await api.fetch_order_book(cred, SYMBOL, 1)
    rate = (D(book["bids"][0][0]) + D(book["asks"][0][0])) / 2 * (1 - CONVERT_SPREAD)
    quote = await api.fetch_convert_quote(cred, "BTC", "USDT", 0.01)
    gets = (D("0.01") * rate).quantize(UNIT, ROUND_DOWN)
    assert (quote["fromCurrency"], D(quote["fromAmount"]), quote["toCurrency"], D(quote["toAmount"])) == (
        "BTC",
        D("0.01"),
        "USDT",
        gets,
    )
    assert D(quote["info"]["ratio"]) == rate.quantize(UNIT, ROUND_DOWN)

    trade = await api.create_convert_trade(cred, quote["id"], "BTC", "USDT", 0.01)
    assert trade["id"] and trade["info"]["orderStatus"] == "SUCCESS"
    after = await api.fetch_balance(cred)
    assert (change(before, after, "BTC"), change(before, after, "USDT")) == ((D("-0.01"), 0), (gets, 0))

    fetched = await api.fetch_convert_trade(cred, trade["id"])
    assert (fetched["id"], fetched["fromCurrency"], D(fetched["fromAmount"]), D(fetched["toAmount"])) == (
        trade["id"],
        "BTC",
        D("0.01"),
        gets,
    )
    history = await api.fetch_convert_trade_history(cred, "BTC")
    assert trade["id"] in {h["id"] for h in history}
    with pytest.raises(ccxt.ExchangeError):  # a quote converts once
        await api.create_convert_trade(cred, quote["id"], "BTC", "USDT", 0.01)
    assert change(after, await api.fetch_balance(cred), "BTC") == (0, 0)


async def _public(api: Api, cred: Credential) -> None:
    """Market data, by credential and by exchange id (the id's calls go to the same target)."""
    for who in (cred, "binance"):
        assert sorted(await api.load_markets(who)) == SYMBOLS
        markets = {m["symbol"]: m for m in await api.fetch_markets(who)}
        assert sorted(markets) == SYMBOLS
        assert (markets[SYMBOL]["precision"]["amount"], markets[SYMBOL]["limits"]["cost"]["min"]) == (0.00001, 5.0)
        # Binance's currency list is a signed endpoint: ccxt returns {} for it when it has no keys
        assert set(await api.fetch_currencies(who)) == (CODES if who is cred else set())
        assert (await api.fetch_status(who))["status"] == "ok"
        assert abs(await api.fetch_time(who) - time.time() * 1000) < 60_000
        assert abs(await api.load_time_difference(who)) < 60_000  # local time minus the server's, in ms
        book = await api.fetch_order_book(who, SYMBOL, 5)
        bids, asks = [p for p, _ in book["bids"]], [p for p, _ in book["asks"]]
        assert len(bids) == len(asks) == 5 and bids == sorted(bids, reverse=True) and asks == sorted(asks)
        assert bids[0] < asks[0]
        ticker = await api.fetch_ticker(who, SYMBOL)
        assert (ticker["symbol"], ticker["bid"], ticker["ask"]) == (SYMBOL, bids[0], asks[0])
        assert sorted(await api.fetch_tickers(who)) == SYMBOLS
        assert sorted(await api.fetch_tickers(who, ["ETH/USDT", SYMBOL])) == [SYMBOL, "ETH/USDT"]

    order = await api.create_market_buy_order(cred, "SOL/USDT", 1)
    mine = [t for t in await api.fetch_my_trades(cred, "SOL/USDT") if t["order"] == order["id"]]
    for who in (cred, "binance"):
        tape = [t for t in await api.fetch_trades(who, "SOL/USDT") if t["timestamp"] >= order["timestamp"]]
        assert sum(D(t["amount"]) for t in tape) == 1 and {t["price"] for t in tape} == {t["price"] for t in mine}
        candle = (await api.fetch_ohlcv(who, "SOL/USDT", "1m"))[-1]
        assert candle[0] == order["timestamp"] // 60_000 * 60_000 and candle[4] == tape[-1]["price"]
        assert D(candle[5]) >= 1


# ---- the tests ----------------------------------------------------------------------------------


def test_limit_orders(where: Where, api: Api) -> None:
    run(api, _limit_orders, where.credential(), where.fresh)


def test_market_orders(where: Where, api: Api) -> None:
    run(api, _market_orders, where.credential(), where.fresh)


def test_refusals_raise_ccxts_classes(where: Where, api: Api) -> None:
    run(api, _refusals, where.credential())


def test_create_orders_keeps_going_past_a_refusal(where: Where, api: Api) -> None:
    run(api, _create_orders, where.credential())


def test_margin(where: Where, api: Api) -> None:
    run(api, _margin, where.credential())


def test_convert(where: Where, api: Api) -> None:
    run(api, _convert, where.credential())


def test_public(where: Where, api: Api) -> None:
    run(api, _public, where.credential())


async def _streams(api: Api, cred: Credential) -> None:
    """ccxt.pro's methods through ``client.aio``: the books, trades, tickers and candles on the
    target's WebSocket streams, and the account's own orders, trades and balance as they change."""
    book = await api.watch_order_book(cred, "BTC/USDT")
    assert book["bids"] and book["asks"] and book["bids"][0][0] < book["asks"][0][0]
    assert book["nonce"] <= (await api.fetch_order_book(cred, "BTC/USDT"))["nonce"]  # (never ahead of the book)
    trades = asyncio.ensure_future(api.watch_trades(cred, "BTC/USDT"))
    orders = asyncio.ensure_future(api.watch_orders(cred, "BTC/USDT"))
    mine = asyncio.ensure_future(api.watch_my_trades(cred, "BTC/USDT"))
    balance = asyncio.ensure_future(api.watch_balance(cred))
    await asyncio.sleep(0.5)
    bought = await api.create_market_buy_order(cred, "BTC/USDT", 0.001)
    assert (await trades)[-1]["symbol"] == "BTC/USDT"
    assert bought["id"] in {o["id"] for o in await orders}
    assert bought["id"] in {t["order"] for t in await mine}
    assert (await balance)["BTC"]["total"] > 0
    ticker = await api.watch_ticker(cred, "BTC/USDT")
    assert ticker["symbol"] == "BTC/USDT" and ticker["last"] > 0
    updated = await api.watch_tickers(cred, ["BTC/USDT", "ETH/USDT"])  # (ccxt.pro: the ones just updated)
    assert updated and set(updated) <= {"BTC/USDT", "ETH/USDT"}
    tops = asyncio.ensure_future(api.watch_bids_asks(cred, ["BTC/USDT"]))  # (sent when the top moves)
    await asyncio.sleep(0.5)
    book = await api.fetch_order_book(cred, "BTC/USDT")
    inside = await api.create_limit_buy_order(cred, "BTC/USDT", 0.001, round(book["bids"][0][0] + 0.01, 2))
    assert (await tops)["BTC/USDT"]["bid"] > 0
    await api.cancel_order(cred, inside["id"], "BTC/USDT")
    candles = await api.watch_ohlcv(cred, "BTC/USDT", "1m")
    assert candles and len(candles[-1]) == 6
    # the WebSocket API's twins of the REST calls
    low = round(ticker["last"] * 0.8, 2)
    placed = await api.create_order_ws(cred, "BTC/USDT", "limit", "buy", 0.001, low)
    assert (await api.fetch_order_ws(cred, placed["id"], "BTC/USDT"))["status"] == "open"
    assert placed["id"] in ids(await api.fetch_open_orders_ws(cred, "BTC/USDT"))
    edited = await api.edit_order_ws(
        cred, placed["id"], "BTC/USDT", "limit", "buy", 0.002, round(ticker["last"] * 0.8, 2)
    )
    assert (await api.cancel_order_ws(cred, edited["id"], "BTC/USDT"))["status"] == "canceled"
    await api.create_order_ws(cred, "BTC/USDT", "limit", "buy", 0.001, low)
    await api.cancel_all_orders_ws(cred, "BTC/USDT")
    assert await api.fetch_open_orders_ws(cred, "BTC/USDT") == []
    assert placed["id"] in ids(await api.fetch_orders_ws(cred, "BTC/USDT"))
    assert bought["id"] in {t["order"] for t in await api.fetch_my_trades_ws(cred, "BTC/USDT")}
    # (ccxt 4.5.90 parses a spot account.status without its type and returns no currencies, against
    # Binance too: the account the server sent is in ``info``)
    assert any(b["asset"] == "USDT" for b in (await api.fetch_balance_ws(cred))["info"]["balances"])
    assert await api.fetch_trades_ws(cred, "BTC/USDT")
    assert await api.fetch_ohlcv_ws(cred, "BTC/USDT", "1m")


def test_streams(where: Where) -> None:
    """Awaitable only: ``client.aio``'s ccxt.pro methods against the embedded simulator and a server."""
    run(Api(True), _streams, where.credential())


# ---- the API's shape ----------------------------------------------------------------------------


def test_every_function_is_exercised_here() -> None:
    """Each name in ``client.api.__all__`` is called by a scenario above (both APIs run every scenario)."""
    called = set(re.findall(r"\bapi\.(\w+)\(", Path(__file__).read_text()))
    assert set(client.api.__all__) <= called, set(client.api.__all__) - called
    assert set(client.aio.__all__) == {*client.api.__all__, *STREAMING, "close"}
    assert set(STREAMING) <= called, set(STREAMING) - called


@pytest.mark.parametrize("name", client.api.__all__)
def test_functions_take_credentials_then_ccxts_parameters(name: str) -> None:
    sync, aio = getattr(client, name), getattr(client.aio, name)
    assert inspect.iscoroutinefunction(aio) and not inspect.iscoroutinefunction(sync)
    params = list(inspect.signature(sync).parameters)
    assert params[0] == "credentials" and list(inspect.signature(aio).parameters) == params
    assert params[1:] == list(inspect.signature(getattr(ccxt.Exchange, name)).parameters)[1:]
