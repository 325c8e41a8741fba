"""Every refusal a ccxt user can meet, through an unmodified ccxt.binance against a real server.

One test per error row. Each asserts

1. the exact ccxt exception class the real ccxt call raises (``type(e) is ...`` pins it where a
   subclass would also satisfy ``pytest.raises``), and, for several rows, Binance's raw JSON body
   and HTTP status; and
2. that the refusal changed nothing: the account's balances (free and used of every asset, and
   the account's ``updateTime``), the order book (levels and ``lastUpdateId``) and the account's
   open orders (in some rows also its order history) are read through a second ccxt client before
   and after and must be equal. While the server refuses this IP outright (429/418) they are read
   inside the server instead.

ccxt keeps its default options; only the scheme and host of its URLs are rewritten (conftest's
``binance``). Markets are loaded once per module through the real ``load_markets`` flow and shared
with ``set_markets_from_exchange`` (ccxt's own API for that), so the many short-lived clients here
do not spend the session server's request weight reloading them. Rows that need special limits
start their own server.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator

import ccxt
import pytest

from simulator.config import SimulatorConfig
from simulator.launcher import RunningServer, running_server
from simulator.ratelimit import RateLimitConfig
from tests.integration.conftest import admin, binance, binance_async, new_account

SYMBOL = "BTC/USDT"
SYMBOL_ID = "BTCUSDT"
WRONG_SECRET = "S" * 64
MSG_INSUFFICIENT = "Account has insufficient balance for requested action."


# ---- clients and observations -----------------------------------------------------------------


@pytest.fixture(scope="module")
def loaded(server: RunningServer) -> ccxt.binance:
    """A keyed ccxt client whose markets came from the real default ``load_markets`` flow."""
    acc = new_account(server)
    ex = binance(server.url, acc["apiKey"], acc["secret"])
    ex.load_markets()
    return ex


def connect(
    srv: RunningServer,
    loaded: ccxt.binance,
    account: dict | None = None,
    *,
    api_key: str | None = None,
    secret: str | None = None,
    asynchronous: bool = False,
    **options,
):
    """A fresh ccxt client (default options unless given) on ``srv`` with the shared markets."""
    key = api_key or (account or {}).get("apiKey")
    sec = secret or (account or {}).get("secret")
    ex = (binance_async if asynchronous else binance)(srv.url, key, sec, **options)
    ex.set_markets_from_exchange(loaded)
    return ex


def statuses(ex: ccxt.binance) -> list[int]:
    """HTTP statuses of every response the sync client gets (a requests hook; ccxt is untouched)."""
    seen: list[int] = []
    ex.session.hooks["response"].append(lambda r, *a, **k: seen.append(r.status_code))
    return seen


def body(ex) -> dict:
    return json.loads(ex.last_http_response)


def headers(ex) -> dict[str, str]:
    return {k.lower(): v for k, v in dict(ex.last_response_headers).items()}


def _orders(orders: list[dict]) -> list[tuple]:
    return sorted(
        (
            o["id"],
            o["clientOrderId"],
            o["status"],
            o["side"],
            o["type"],
            o["price"],
            o["amount"],
            o["filled"],
            o["triggerPrice"],
        )
        for o in orders
    )


def snapshot(observer: ccxt.binance, symbol: str = SYMBOL, history: bool = False) -> dict:
    """What a refusal must not change, read through ccxt (``history``: also the order history,
    which costs 20 request weight, so only some rows ask for it)."""
    bal = observer.fetch_balance()
    book = observer.fetch_order_book(symbol)
    state = {
        "balances": {asset: (bal["free"][asset], bal["used"][asset]) for asset in bal["free"]},
        "raw_balances": sorted((r["asset"], r["free"], r["locked"]) for r in bal["info"]["balances"]),
        "updateTime": bal["info"]["updateTime"],
        "book": (book["nonce"], book["bids"], book["asks"]),
        "open_orders": _orders(observer.fetch_open_orders(symbol)),
    }
    if history:
        state["all_orders"] = _orders(observer.fetch_orders(symbol))
    assert state["balances"] and state["book"][1] and state["book"][2], state
    return state


def refused(
    observer: ccxt.binance,
    exc: type,
    call: Callable[[], object],
    symbol: str = SYMBOL,
    exact: bool = True,
    history: bool = False,
) -> Exception:
    """Run ``call``, which must raise ``exc`` (exactly, unless told) and change nothing."""
    before = snapshot(observer, symbol, history)
    with pytest.raises(exc) as info:
        call()
    if exact:
        assert type(info.value) is exc, f"{type(info.value).__name__}: {info.value}"
    assert snapshot(observer, symbol, history) == before
    return info.value


def cancel_all(ex: ccxt.binance, symbol: str = SYMBOL) -> None:
    """Leave the shared server's books as found."""
    for o in ex.fetch_open_orders(symbol):
        ex.cancel_order(o["id"], symbol)


def arun(coro):
    return asyncio.run(coro)


async def aclosing_call(ex, make):
    """Await ``make(ex)`` and always close the async client; returns (exception or None, result)."""
    try:
        return None, await make(ex)
    except Exception as e:
        return e, None
    finally:
        await ex.close()


def mid_price(ex: ccxt.binance, symbol: str = SYMBOL) -> float:
    book = ex.fetch_order_book(symbol)
    return float(ex.price_to_precision(symbol, (book["bids"][0][0] + book["asks"][0][0]) / 2))


def make_trade(srv: RunningServer, loaded: ccxt.binance, symbol: str = SYMBOL, amount: float = 0.001) -> float:
    """A trade between two fresh accounts (inside the spread when there is room); its price."""
    seller = connect(srv, loaded, new_account(srv))
    buyer = connect(srv, loaded, new_account(srv))
    price = mid_price(seller, symbol)
    seller.create_order(symbol, "limit", "sell", amount, price)
    taken = buyer.create_order(symbol, "limit", "buy", amount, price, {"timeInForce": "IOC"})
    assert taken["status"] == "closed" and taken["filled"] == amount, taken
    for o in seller.fetch_open_orders(symbol):  # only if someone else's ask was at or below ours
        seller.cancel_order(o["id"], symbol)
    return float(taken["average"])


def raw_get(srv: RunningServer, path: str) -> tuple[int, dict, dict]:
    try:
        with urllib.request.urlopen(srv.url + path, timeout=10) as resp:
            return resp.status, dict(resp.headers), json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read())


# ``account`` is conftest's: a fresh funded account per test.
@pytest.fixture()
def ex(server: RunningServer, loaded, account) -> ccxt.binance:
    """The client under test: default options, fresh (no earlier private call)."""
    return connect(server, loaded, account)


@pytest.fixture()
def observer(server: RunningServer, loaded, account) -> ccxt.binance:
    """A second client on the same account, only for reading the state before and after."""
    return connect(server, loaded, account)


# ---- balance -----------------------------------------------------------------------------------


def test_insufficient_funds(ex, observer):
    seen = statuses(ex)
    e = refused(
        observer,
        ccxt.InsufficientFunds,
        lambda: ex.create_order(SYMBOL, "limit", "buy", 2, 90000, {"clientOrderId": "refused-1"}),
        history=True,
    )
    assert seen == [400]
    assert body(ex) == {"code": -2010, "msg": MSG_INSUFFICIENT}
    assert MSG_INSUFFICIENT in str(e)
    # the refused order left no trace: its client id is unknown and free for a new order
    with pytest.raises(ccxt.OrderNotFound):
        observer.fetch_order(None, SYMBOL, {"clientOrderId": "refused-1"})
    placed = ex.create_order(SYMBOL, "limit", "buy", 0.001, 60000, {"clientOrderId": "refused-1"})
    assert placed["clientOrderId"] == "refused-1" and placed["status"] == "open"
    cancel_all(ex)


def test_insufficient_funds_sell_and_market(ex, observer):
    # (a market buy by quantity is not refused: it takes what the book has, so only these three)
    refused(observer, ccxt.InsufficientFunds, lambda: ex.create_order(SYMBOL, "limit", "sell", 3, 90000))
    refused(observer, ccxt.InsufficientFunds, lambda: ex.create_order(SYMBOL, "market", "sell", 3))
    refused(observer, ccxt.InsufficientFunds, lambda: ex.create_market_buy_order_with_cost(SYMBOL, 200_000))
    assert body(ex) == {"code": -2010, "msg": MSG_INSUFFICIENT}


def test_insufficient_funds_async(server, loaded, account, observer):
    before = snapshot(observer)
    aex = connect(server, loaded, account, asynchronous=True)
    e, _ = arun(aclosing_call(aex, lambda x: x.create_order(SYMBOL, "limit", "buy", 2, 90000)))
    assert type(e) is ccxt.InsufficientFunds, repr(e)
    assert body(aex) == {"code": -2010, "msg": MSG_INSUFFICIENT}
    assert snapshot(observer) == before


# ---- filters ------------------------------------------------------------------------------------


def test_price_filter_above_max_price(ex, observer):
    seen = statuses(ex)
    refused(
        observer, ccxt.InvalidOrder, lambda: ex.create_order(SYMBOL, "limit", "buy", 0.001, 1_000_001), history=True
    )
    assert seen == [400]
    assert body(ex) == {"code": -1013, "msg": "Filter failure: PRICE_FILTER"}


def test_price_filter_below_min_price_and_off_tick(ex, observer):
    # ccxt would round a price to the tick; the implicit API sends the text as given
    order = {"symbol": SYMBOL_ID, "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.001"}
    for price in ("0.001", "90000.005"):
        refused(observer, ccxt.InvalidOrder, lambda price=price: ex.private_post_order({**order, "price": price}))
        assert body(ex) == {"code": -1013, "msg": "Filter failure: PRICE_FILTER"}


def test_lot_size_above_max_qty(ex, observer):
    refused(observer, ccxt.InvalidOrder, lambda: ex.create_order(SYMBOL, "limit", "buy", 9001, 80000))
    assert body(ex) == {"code": -1013, "msg": "Filter failure: LOT_SIZE"}


def test_lot_size_below_min_qty(ex, observer):
    order = {"symbol": SYMBOL_ID, "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "price": "80000"}
    refused(observer, ccxt.InvalidOrder, lambda: ex.private_post_order({**order, "quantity": "0.000001"}))
    assert body(ex) == {"code": -1013, "msg": "Filter failure: LOT_SIZE"}


def test_market_lot_size(ex, observer):
    # 101 BTC passes LOT_SIZE (max 9000) but not MARKET_LOT_SIZE (max 100); ccxt checks neither. A sell
    # of more than the account holds, so a server that skipped the filter could not sweep the book.
    refused(observer, ccxt.InvalidOrder, lambda: ex.create_order(SYMBOL, "market", "sell", 101))
    assert body(ex) == {"code": -1013, "msg": "Filter failure: MARKET_LOT_SIZE"}


def test_notional(ex, observer):
    # 0.00001 BTC at a price inside the percent-price band (the book's middle) is < 5 USDT
    price = mid_price(observer)
    e = refused(observer, ccxt.BadRequest, lambda: ex.create_order(SYMBOL, "limit", "buy", 0.00001, price))
    assert not isinstance(e, ccxt.InvalidOrder)
    assert body(ex) == {"code": -1013, "msg": "Filter failure: NOTIONAL"}


@pytest.mark.parametrize("side", ["buy", "sell"])
def test_percent_price_by_side(server, loaded, ex, observer, side):
    make_trade(server, loaded)
    avg = float(observer.public_get_avgprice({"symbol": SYMBOL_ID})["price"])
    assert avg > 0
    if side == "buy":  # above 5 x the average
        amount, price = 0.001, float(observer.price_to_precision(SYMBOL, avg * 6))
        assert price < 1_000_000, "the price must pass PRICE_FILTER for this row to mean anything"
    else:  # below 0.2 x the average, with a notional still above the minimum
        amount, price = 0.1, float(observer.price_to_precision(SYMBOL, avg / 6))
    refused(observer, ccxt.InvalidOrder, lambda: ex.create_order(SYMBOL, "limit", side, amount, price))
    assert body(ex) == {"code": -1013, "msg": "Filter failure: PERCENT_PRICE_BY_SIDE"}


def test_max_num_algo_orders(server, loaded, ex, observer):
    make_trade(server, loaded)
    stop = float(ex.price_to_precision(SYMBOL, mid_price(ex) / 2))
    for _ in range(5):
        placed = ex.create_order(SYMBOL, "market", "sell", 0.001, None, {"stopPrice": stop})
        assert placed["status"] == "open"
    assert len(observer.fetch_open_orders(SYMBOL)) == 5
    refused(
        observer, ccxt.BadRequest, lambda: ex.create_order(SYMBOL, "market", "sell", 0.001, None, {"stopPrice": stop})
    )
    assert body(ex) == {"code": -1013, "msg": "Filter failure: MAX_NUM_ALGO_ORDERS"}
    cancel_all(ex)


@pytest.fixture(scope="module")
def roomy_server() -> Iterator[RunningServer]:
    """Order rate limits far above MAX_NUM_ORDERS, so 200 open orders can be placed at once."""
    limits = RateLimitConfig(orders_per_10s=100_000, orders_per_day=1_000_000, request_weight_per_minute=1_000_000)
    with running_server(SimulatorConfig(liquidity_mode="static", rate_limits=limits)) as srv:
        yield srv


def test_max_num_orders(roomy_server, loaded):
    account = new_account(roomy_server)
    ex = connect(roomy_server, loaded, account)
    observer = connect(roomy_server, loaded, account)
    filler = connect(roomy_server, loaded, account, enableRateLimit=False)  # setup only: no client-side pacing
    for _ in range(200):
        filler.create_order(SYMBOL, "limit", "buy", 0.0001, 60000)
    assert len(observer.fetch_open_orders(SYMBOL)) == 200
    refused(observer, ccxt.BadRequest, lambda: ex.create_order(SYMBOL, "limit", "buy", 0.0001, 60000))
    assert body(ex) == {"code": -1013, "msg": "Filter failure: MAX_NUM_ORDERS"}


# ---- would take / would trigger -----------------------------------------------------------------


@pytest.mark.parametrize("side", ["buy", "sell"])
def test_post_only_that_would_take(ex, observer, side):
    book = observer.fetch_order_book(SYMBOL)
    price = book["asks"][0][0] if side == "buy" else book["bids"][0][0]
    refused(
        observer,
        ccxt.OrderImmediatelyFillable,
        lambda: ex.create_order(SYMBOL, "limit", side, 0.001, price, {"postOnly": True}),
        history=True,
    )
    assert body(ex) == {"code": -2010, "msg": "Order would immediately match and take."}


@pytest.mark.parametrize("kind", ["stopPrice", "takeProfitPrice"])
def test_stop_that_would_trigger_immediately(server, loaded, ex, observer, kind):
    last = make_trade(server, loaded)
    # a sell stop-loss triggers when the price falls to it, a sell take-profit when it rises to it
    trigger = last * 1.1 if kind == "stopPrice" else last * 0.9
    trigger = float(ex.price_to_precision(SYMBOL, trigger))
    refused(
        observer,
        ccxt.OrderImmediatelyFillable,
        lambda: ex.create_order(SYMBOL, "market", "sell", 0.001, None, {kind: trigger}),
    )
    assert body(ex)["code"] == -2010
    assert body(ex)["msg"] in ("Stop price would trigger immediately.", "Order would trigger immediately.")


# ---- market status ---------------------------------------------------------------------------------


@pytest.mark.parametrize("order_type", ["limit", "market"])
def test_market_closed(server, ex, observer, order_type):
    symbol = "ETH/BTC"
    price = mid_price(observer, symbol)
    admin(server, "PUT", "/sandex/v1/markets/ETHBTC/status", {"status": "HALT"})
    try:
        refused(
            observer,
            ccxt.MarketClosed,
            lambda: ex.create_order(symbol, order_type, "buy", 0.1, price if order_type == "limit" else None),
            symbol=symbol,
            history=True,
        )
        assert body(ex) == {"code": -1013, "msg": "Market is closed."}
    finally:
        admin(server, "PUT", "/sandex/v1/markets/ETHBTC/status", {"status": "TRADING"})
    assert ex.create_order(symbol, "limit", "buy", 0.1, float(ex.price_to_precision(symbol, price * 0.9)))["id"]
    cancel_all(ex, symbol)


# ---- unknown orders ----------------------------------------------------------------------------------


def test_cancel_unknown_order(ex, observer):
    seen = statuses(ex)
    refused(observer, ccxt.OrderNotFound, lambda: ex.cancel_order("987654321", SYMBOL))
    assert seen == [400]
    assert body(ex) == {"code": -2011, "msg": "Unknown order sent."}


def test_cancel_already_canceled_order(ex, observer):
    order = ex.create_order(SYMBOL, "limit", "buy", 0.001, 60000)
    ex.cancel_order(order["id"], SYMBOL)
    refused(observer, ccxt.OrderNotFound, lambda: ex.cancel_order(order["id"], SYMBOL))
    assert body(ex) == {"code": -2011, "msg": "Unknown order sent."}


def test_cancel_another_accounts_order(server, loaded, ex, observer):
    other = new_account(server)
    other_ex = connect(server, loaded, other)
    theirs = other_ex.create_order(SYMBOL, "limit", "buy", 0.001, 60000)
    their_before = snapshot(other_ex)
    refused(observer, ccxt.OrderNotFound, lambda: ex.cancel_order(theirs["id"], SYMBOL))
    assert body(ex) == {"code": -2011, "msg": "Unknown order sent."}
    assert snapshot(other_ex) == their_before
    assert other_ex.fetch_order(theirs["id"], SYMBOL)["status"] == "open"
    cancel_all(other_ex)


def test_fetch_unknown_order(server, loaded, ex, observer):
    refused(observer, ccxt.OrderNotFound, lambda: ex.fetch_order("987654321", SYMBOL))
    assert body(ex) == {"code": -2013, "msg": "Order does not exist."}
    other_ex = connect(server, loaded, new_account(server))
    theirs = other_ex.create_order(SYMBOL, "limit", "buy", 0.001, 60000)
    refused(observer, ccxt.OrderNotFound, lambda: ex.fetch_order(theirs["id"], SYMBOL))
    assert body(ex) == {"code": -2013, "msg": "Order does not exist."}
    cancel_all(other_ex)


def test_unknown_order_async(server, loaded, account, observer):
    before = snapshot(observer)
    cancel_ex = connect(server, loaded, account, asynchronous=True)
    e, _ = arun(aclosing_call(cancel_ex, lambda x: x.cancel_order("987654321", SYMBOL)))
    assert type(e) is ccxt.OrderNotFound, repr(e)
    assert body(cancel_ex) == {"code": -2011, "msg": "Unknown order sent."}
    fetch_ex = connect(server, loaded, account, asynchronous=True)
    e, _ = arun(aclosing_call(fetch_ex, lambda x: x.fetch_order("987654321", SYMBOL)))
    assert type(e) is ccxt.OrderNotFound, repr(e)
    assert body(fetch_ex) == {"code": -2013, "msg": "Order does not exist."}
    assert snapshot(observer) == before


# ---- authentication -----------------------------------------------------------------------------------


def test_bad_signature(server, loaded, account, observer):
    bad = connect(server, loaded, account, secret=WRONG_SECRET)
    seen = statuses(bad)
    refused(
        observer, ccxt.AuthenticationError, lambda: bad.create_order(SYMBOL, "limit", "buy", 0.001, 60000), history=True
    )
    assert seen == [400]
    assert body(bad) == {"code": -1022, "msg": "Signature for this request is not valid."}
    refused(observer, ccxt.AuthenticationError, bad.fetch_balance)


def test_bad_signature_async(server, loaded, account, observer):
    before = snapshot(observer)
    bad = connect(server, loaded, account, secret=WRONG_SECRET, asynchronous=True)
    e, _ = arun(aclosing_call(bad, lambda x: x.create_order(SYMBOL, "limit", "buy", 0.001, 60000)))
    assert type(e) is ccxt.AuthenticationError, repr(e)
    assert body(bad) == {"code": -1022, "msg": "Signature for this request is not valid."}
    assert snapshot(observer) == before


@pytest.mark.parametrize(
    "difference, msg",
    [
        (120_000, "Timestamp for this request is outside of the recvWindow."),  # 2 min old
        (11_000, "Timestamp for this request is outside of the recvWindow."),  # just past ccxt's recvWindow 10000
        (-120_000, "Timestamp for this request was 1000ms ahead of the server's time."),  # 2 min ahead
        (-5_000, "Timestamp for this request was 1000ms ahead of the server's time."),
    ],
)
def test_timestamp_outside_window(server, loaded, account, observer, difference, msg):
    # ccxt signs with timestamp = milliseconds() - options['timeDifference']
    skewed = connect(server, loaded, account, options={"timeDifference": difference})
    seen = statuses(skewed)
    refused(observer, ccxt.InvalidNonce, lambda: skewed.create_order(SYMBOL, "limit", "buy", 0.001, 60000))
    assert seen == [400]
    assert body(skewed) == {"code": -1021, "msg": msg}


def test_recv_window_too_large(ex, observer):
    # -1131 is only in ccxt's spot-URL table, so against any other URL it is a plain ExchangeError
    refused(
        observer,
        ccxt.ExchangeError,
        lambda: ex.create_order(SYMBOL, "limit", "buy", 0.001, 60000, {"recvWindow": 60001}),
    )
    assert body(ex) == {"code": -1131, "msg": "recvWindow must be less than 60000"}


def test_unknown_api_key(server, loaded, observer):
    stranger = connect(server, loaded, api_key="K" * 64, secret=WRONG_SECRET)
    seen = statuses(stranger)
    refused(observer, ccxt.AuthenticationError, lambda: stranger.create_order(SYMBOL, "limit", "buy", 0.001, 60000))
    assert seen == [401]
    assert body(stranger) == {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}


def test_malformed_api_key(server, loaded, observer):
    stranger = connect(server, loaded, api_key="K" * 129, secret=WRONG_SECRET)
    seen = statuses(stranger)
    refused(observer, ccxt.AuthenticationError, stranger.fetch_balance)
    assert seen == [401]
    assert body(stranger) == {"code": -2014, "msg": "API-key format invalid."}


def test_revoked_key_stops_working_at_once(server, loaded, account):
    spare = admin(server, "POST", f"/sandex/v1/accounts/{account['accountId']}/keys", {})
    observer = connect(server, loaded, spare)  # another key of the same account
    used = connect(server, loaded, account)
    used.fetch_balance()  # a successful private call: ccxt now treats -2015 as a temporary ban
    before = snapshot(observer)
    admin(server, "DELETE", f"/sandex/v1/keys/{account['apiKey']}")
    seen = statuses(used)
    with pytest.raises(ccxt.DDoSProtection):
        used.create_order(SYMBOL, "limit", "buy", 0.001, 60000)
    assert seen == [401]
    assert body(used) == {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}
    fresh = connect(server, loaded, account)
    refused(observer, ccxt.AuthenticationError, fresh.fetch_balance)
    refused(observer, ccxt.AuthenticationError, lambda: fresh.create_order(SYMBOL, "limit", "buy", 0.001, 60000))
    assert body(fresh)["code"] == -2015
    assert snapshot(observer) == before


def test_read_only_key_cannot_trade(server, loaded):
    account = new_account(server, permissions=[])
    observer = connect(server, loaded, account)
    assert observer.fetch_balance()["info"]["canTrade"] is False  # reading works
    ex = connect(server, loaded, account)  # fresh: -2015 maps to AuthenticationError (not PermissionDenied)
    seen = statuses(ex)
    refused(observer, ccxt.AuthenticationError, lambda: ex.create_order(SYMBOL, "limit", "buy", 0.001, 60000))
    assert seen == [401]
    assert body(ex) == {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}
    refused(observer, ccxt.AuthenticationError, lambda: ex.cancel_order("1", SYMBOL))
    # ccxt's documented quirk: after a successful private call, -2015 is read as a temporary ban
    ex.fetch_balance()
    refused(observer, ccxt.DDoSProtection, lambda: ex.create_order(SYMBOL, "limit", "buy", 0.001, 60000))


# ---- bad symbol and parameter errors -------------------------------------------------------------------


def test_bad_symbol(ex, observer):
    seen = statuses(ex)
    refused(observer, ccxt.BadSymbol, lambda: ex.public_get_depth({"symbol": "NOPE"}))
    assert seen == [400]
    assert body(ex) == {"code": -1121, "msg": "Invalid symbol."}
    order = {
        "symbol": "NOPE",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.001",
        "price": "60000",
    }
    refused(observer, ccxt.BadSymbol, lambda: ex.private_post_order(order))
    assert body(ex) == {"code": -1121, "msg": "Invalid symbol."}


_LIMIT = {
    "symbol": SYMBOL_ID,
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "0.001",
    "price": "60000",
}
_MARKET = {"symbol": SYMBOL_ID, "side": "BUY", "type": "MARKET", "quantity": "0.001"}


@pytest.mark.parametrize(
    "params, code, msg",
    [
        (
            {k: v for k, v in _LIMIT.items() if k != "price"},
            -1102,
            "Mandatory parameter 'price' was not sent, was empty/null, or malformed.",
        ),
        (
            {k: v for k, v in _LIMIT.items() if k != "quantity"},
            -1102,
            "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.",
        ),
        ({**_LIMIT, "fooBar": "1"}, -1104, None),
        ({**_LIMIT, "quantity": "1e-3"}, -1100, None),
        ({**_LIMIT, "quantity": "0.000010001"}, -1111, "Parameter 'quantity' has too much precision."),
        ({**_LIMIT, "timeInForce": "GTX"}, -1115, "Invalid timeInForce."),
        ({**_MARKET, "timeInForce": "GTC"}, -1106, "Parameter 'timeInForce' sent when not required."),
        ({**_LIMIT, "type": "LIMITED"}, -1116, "Invalid orderType."),
        ({**_LIMIT, "side": "HOLD"}, -1117, "Invalid side."),
    ],
    ids=[
        "missing-price",
        "missing-quantity",
        "unknown-param",
        "exponent-quantity",
        "too-precise",
        "bad-tif",
        "tif-on-market",
        "bad-type",
        "bad-side",
    ],
)
def test_parameter_errors(ex, observer, params, code, msg):
    seen = statuses(ex)
    refused(observer, ccxt.BadRequest, lambda: ex.private_post_order(params))
    assert seen == [400]
    got = body(ex)
    assert got["code"] == code, got
    if msg is not None:
        assert got["msg"] == msg
    if code == -1104:
        assert got["msg"].startswith("Not all sent parameters were read; read '")
    if code == -1100:
        assert got["msg"] == (
            "Illegal characters found in parameter 'quantity'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'."
        )


def test_unread_parameter_count_matches_binance(ex, observer):
    # ccxt sends timestamp, symbol, side, newClientOrderId, newOrderRespType, type, quantity, price,
    # timeInForce, fooBar, recvWindow, signature: Binance answers this very request (ccxt issue 24817)
    # with "read '11' parameter(s) but was sent '12'".
    refused(observer, ccxt.BadRequest, lambda: ex.create_order(SYMBOL, "limit", "buy", 0.001, 60000, {"fooBar": "1"}))
    assert body(ex) == {
        "code": -1104,
        "msg": "Not all sent parameters were read; read '11' parameter(s) but was sent '12'.",
    }


# ---- rate limits ---------------------------------------------------------------------------------------


def venue_state(srv: RunningServer, account_id: int) -> tuple:
    """The same three things read inside the server (used while HTTP is refused to this IP)."""
    venue = srv.venue
    balances, _ = venue.balances(account_id)
    return (
        {a: (b.free, b.locked) for a, b in balances.items()},
        venue.depth(SYMBOL_ID, None),
        [(r.order_id, r.status, r.executed_qty) for r in venue.open_orders(account_id, SYMBOL_ID)],
    )


@pytest.fixture()
def tight_server() -> Iterator[RunningServer]:
    """60 request weight per minute (a depth call weighs 5); Binance's defaults otherwise."""
    limits = RateLimitConfig(request_weight_per_minute=60)
    with running_server(SimulatorConfig(liquidity_mode="static", rate_limits=limits)) as srv:
        yield srv


def test_request_weight_429_then_418(tight_server, loaded):
    srv = tight_server
    account = new_account(srv)
    trader = connect(srv, loaded, account)
    state = venue_state(srv, account["accountId"])
    ex = connect(srv, loaded)  # public
    seen = statuses(ex)
    used = []
    for _ in range(40):  # the minute window is fixed, so a boundary may reset the count once
        try:
            ex.fetch_order_book(SYMBOL)
        except ccxt.DDoSProtection as e:
            first = e
            break
        used.append(int(headers(ex)["x-mbx-used-weight-1m"]))
    else:
        pytest.fail("no 429 after 40 depth requests with a 60-weight limit")
    assert type(first) is ccxt.DDoSProtection and " 429 " in str(first)
    assert seen[-1] == 429 and all(s == 200 for s in seen[:-1])
    assert used and all(u <= 60 for u in used)
    h = headers(ex)
    assert int(h["x-mbx-used-weight-1m"]) > 60
    assert int(h["retry-after"]) >= 1
    assert body(ex) == {
        "code": -1003,
        "msg": "Too much request weight used; current limit is 60 request weight "
        "per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.",
    }
    # an order refused for the IP's weight changes nothing
    with pytest.raises(ccxt.DDoSProtection):
        trader.create_order(SYMBOL, "limit", "buy", 0.001, 60000)
    assert venue_state(srv, account["accountId"]) == state
    # keep going: 429s turn into a 418 ban
    for _ in range(40):
        try:
            ex.fetch_order_book(SYMBOL)
        except ccxt.DDoSProtection as e:
            if seen[-1] == 418:
                banned = e
                break
    else:
        pytest.fail("no 418 ban after 40 more requests")
    assert type(banned) is ccxt.DDoSProtection and " 418 " in str(banned)
    got = body(ex)
    assert got["code"] == -1003 and got["msg"].startswith("Way too much request weight used; IP banned until ")
    until = int(got["msg"].split("banned until ")[1].split(".")[0])
    assert until > time.time() * 1000
    assert int(headers(ex)["retry-after"]) >= 1
    status, _, raw = raw_get(srv, "/api/v3/ping")  # the ban covers every endpoint, even free ones
    assert status == 418 and raw["code"] == -1003
    with pytest.raises(ccxt.DDoSProtection) as info:
        trader.create_order(SYMBOL, "limit", "buy", 0.001, 60000)
    assert " 418 " in str(info.value)
    assert venue_state(srv, account["accountId"]) == state


def test_request_weight_async(tight_server, loaded):
    srv = tight_server

    async def hammer(aex):
        codes = []
        for _ in range(80):
            try:
                await aex.fetch_order_book(SYMBOL)
                codes.append(200)
            except ccxt.DDoSProtection as e:
                codes.append(418 if " 418 " in str(e) else 429 if " 429 " in str(e) else 0)
                if codes[-1] == 429:
                    assert int(headers(aex)["x-mbx-used-weight-1m"]) > 60
                if codes[-1] == 418:
                    break
        return codes

    aex = connect(srv, loaded, asynchronous=True)
    e, codes = arun(aclosing_call(aex, hammer))
    assert e is None, repr(e)
    assert 429 in codes and codes[-1] == 418, codes
    assert 0 not in codes
    assert codes.index(429) >= 1  # some requests passed first
    assert body(aex)["code"] == -1003


@pytest.fixture()
def order_limited_server() -> Iterator[RunningServer]:
    with running_server(SimulatorConfig(liquidity_mode="static", rate_limits=RateLimitConfig(orders_per_10s=3))) as srv:
        yield srv


def test_orders_per_10s(order_limited_server, loaded):
    srv = order_limited_server
    account = new_account(srv)
    ex = connect(srv, loaded, account)
    observer = connect(srv, loaded, account)
    seen = statuses(ex)
    for _ in range(10):  # the 10 s window is fixed, so a boundary may reset the count once
        before = snapshot(observer)
        try:
            ex.create_order(SYMBOL, "limit", "buy", 0.0001, 60000)
        except ccxt.DDoSProtection as e:
            refusal = e
            break
    else:
        pytest.fail("no -1015 after 10 orders with a limit of 3 per 10 s")
    assert type(refusal) is ccxt.DDoSProtection and " 429 " in str(refusal)
    assert seen[-1] == 429
    assert body(ex) == {"code": -1015, "msg": "Too many new orders; current limit is 3 orders per 10 SECOND."}
    count = headers(ex).get("x-mbx-order-count-10s")  # Binance does not promise it on a refusal
    assert count is None or int(count) > 3
    assert snapshot(observer) == before
