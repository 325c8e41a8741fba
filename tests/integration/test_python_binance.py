"""A second real client: python-binance (``binance.client.Client``, PyPI ``python-binance``).

Unmodified python-binance builds every spot URL as ``API_URL + "/v3/" + path`` (and sapi ones from
``MARGIN_API_URL``), so pointing it at sandex is one attribute per instance. It is built with
``ping=False`` so construction never reaches the real Binance (it pings in ``__init__`` otherwise).
The tests check the fields of python-binance's answers as a user reads them, and that orders are
one set whichever client placed them: python-binance sees ccxt's orders and ccxt sees python-binance's.
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import pytest

pytest.importorskip("binance.client")  # PyPI: python-binance
from binance.async_client import AsyncClient
from binance.client import Client
from binance.exceptions import BinanceAPIException

from .conftest import binance as ccxt_binance
from .conftest import new_account

SYMBOLS = {"BTCUSDT", "ETHUSDT", "ETHBTC", "BNBUSDT", "SOLUSDT"}
BALANCES = {"USDT": "100000", "BTC": "2", "ETH": "20"}
ORDER_FIELDS = {
    "symbol",
    "orderId",
    "orderListId",
    "clientOrderId",
    "transactTime",
    "price",
    "origQty",
    "executedQty",
    "cummulativeQuoteQty",
    "status",
    "timeInForce",
    "type",
    "side",
    "workingTime",
    "fills",
    "selfTradePreventionMode",
}
QUERY_FIELDS = {
    "symbol",
    "orderId",
    "orderListId",
    "clientOrderId",
    "price",
    "origQty",
    "executedQty",
    "cummulativeQuoteQty",
    "status",
    "timeInForce",
    "type",
    "side",
    "stopPrice",
    "icebergQty",
    "time",
    "updateTime",
    "isWorking",
    "workingTime",
    "origQuoteOrderQty",
    "selfTradePreventionMode",
}
MY_TRADE_FIELDS = {
    "symbol",
    "id",
    "orderId",
    "orderListId",
    "price",
    "qty",
    "quoteQty",
    "commission",
    "commissionAsset",
    "time",
    "isBuyer",
    "isMaker",
    "isBestMatch",
}


def point(client, url: str):
    """python-binance's own URL attributes, set on the instance (the class stays untouched)."""
    client.API_URL = url + "/api"
    client.MARGIN_API_URL = url + "/sapi"
    return client


_opened: list[Client] = []  # closed after each test: an open session's sockets would outlive it


@pytest.fixture(autouse=True)
def _close_clients():
    """python-binance's Client also takes the thread's event loop (making one if there is none) for
    its websocket API: give it one, and close it with the clients."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    while _opened:
        _opened.pop().close_connection()
    asyncio.set_event_loop(None)
    loop.close()


def pb_client(server, account: dict | None = None) -> Client:
    creds = (account["apiKey"], account["secret"]) if account else (None, None)
    client = point(Client(*creds, ping=False), server.url)
    _opened.append(client)
    return client


@pytest.fixture()
def pb(server, account) -> Client:
    return pb_client(server, account)


def _filters(info: dict) -> dict[str, dict]:
    return {f["filterType"]: f for f in info["filters"]}


def _touch(client: Client, symbol: str) -> tuple[Decimal, Decimal]:
    book = client.get_order_book(symbol=symbol, limit=5)
    return Decimal(book["bids"][0][0]), Decimal(book["asks"][0][0])


def _far_bid(client: Client, symbol: str = "BTCUSDT") -> str:
    """A price 10% under the best bid, on the tick grid: rests without filling."""
    bid, _ = _touch(client, symbol)
    tick = Decimal(_filters(client.get_symbol_info(symbol))["PRICE_FILTER"]["tickSize"])
    return str((bid * Decimal("0.9") / tick).to_integral_value() * tick)


# ---- construction, public endpoints ----------------------------------------------------------------


def test_construction_does_not_ping_and_urls_are_local(server):
    client = Client("k", "s", ping=False)
    _opened.append(client)
    assert client.API_URL == "https://api.binance.com/api"  # formatted by __init__, not yet used
    point(client, server.url)
    assert client._create_api_uri("ping", signed=False) == f"{server.url}/api/v3/ping"
    assert client._create_margin_api_uri("system/status") == f"{server.url}/sapi/v1/system/status"
    assert client.ping() == {}
    server_time = client.get_server_time()["serverTime"]
    assert abs(server_time - time.time() * 1000) < 5_000
    assert Client.API_URL == "https://api{}.binance.{}/api", "the class attribute must stay untouched"


def test_exchange_info_and_symbol_info(server):
    client = pb_client(server)
    info = client.get_exchange_info()
    assert info["timezone"] == "UTC" and isinstance(info["serverTime"], int)
    assert {s["symbol"] for s in info["symbols"]} == SYMBOLS
    assert {r["rateLimitType"] for r in info["rateLimits"]} >= {"REQUEST_WEIGHT", "ORDERS"}
    btc = client.get_symbol_info("BTCUSDT")
    assert btc["status"] == "TRADING" and btc["baseAsset"] == "BTC" and btc["quoteAsset"] == "USDT"
    assert btc["baseAssetPrecision"] == 8 and btc["quoteAssetPrecision"] == 8
    assert {"LIMIT", "MARKET", "LIMIT_MAKER"} <= set(btc["orderTypes"])
    assert btc["isSpotTradingAllowed"] is True
    filters = _filters(btc)
    assert Decimal(filters["PRICE_FILTER"]["tickSize"]) == Decimal("0.01")
    assert Decimal(filters["LOT_SIZE"]["stepSize"]) == Decimal("0.00001")
    assert Decimal(filters["LOT_SIZE"]["minQty"]) == Decimal("0.00001")
    assert Decimal(filters["NOTIONAL"]["minNotional"]) == Decimal("5")
    assert client.get_symbol_info("NOPEUSDT") is None  # python-binance filters exchangeInfo itself


def test_order_book(server):
    client = pb_client(server)
    book = client.get_order_book(symbol="BTCUSDT", limit=10)
    assert set(book) == {"lastUpdateId", "bids", "asks"} and isinstance(book["lastUpdateId"], int)
    assert len(book["bids"]) == 10 and len(book["asks"]) == 10
    bids = [Decimal(p) for p, _ in book["bids"]]
    asks = [Decimal(p) for p, _ in book["asks"]]
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks) and bids[0] < asks[0]
    assert all(isinstance(p, str) and isinstance(q, str) and Decimal(q) > 0 for p, q in book["bids"] + book["asks"])


def test_ticker_helpers(server):
    client = pb_client(server)
    bid, ask = _touch(client, "ETHUSDT")
    top = client.get_orderbook_ticker(symbol="ETHUSDT")
    assert Decimal(top["bidPrice"]) == bid and Decimal(top["askPrice"]) == ask
    assert {t["symbol"] for t in client.get_ticker()} == SYMBOLS
    assert client.get_ticker(symbol="ETHUSDT")["symbol"] == "ETHUSDT"
    assert {t["symbol"] for t in client.get_symbol_ticker()} == SYMBOLS
    assert set(client.get_avg_price(symbol="ETHUSDT")) >= {"mins", "price"}


def test_system_status_and_trade_fee(pb):
    assert pb.get_system_status() == {"status": 0, "msg": "normal"}
    fee = pb.get_trade_fee(symbol="BTCUSDT")
    assert fee == [{"symbol": "BTCUSDT", "makerCommission": "0.001", "takerCommission": "0.001"}]


# ---- account and orders -------------------------------------------------------------------------------


def test_account(server):
    account = new_account(server, BALANCES)
    client = pb_client(server, account)
    acct = client.get_account()
    assert acct["canTrade"] is True and acct["accountType"] == "SPOT"
    assert acct["commissionRates"]["maker"] == "0.00100000" and acct["makerCommission"] == 10
    balances = {b["asset"]: b for b in acct["balances"]}
    assert Decimal(balances["USDT"]["free"]) == 100000 and Decimal(balances["USDT"]["locked"]) == 0
    assert Decimal(balances["BTC"]["free"]) == 2
    assert client.get_asset_balance(asset="ETH") == {"asset": "ETH", "free": "20.00000000", "locked": "0.00000000"}


def test_limit_order_lifecycle(pb):
    price = _far_bid(pb)
    placed = pb.create_order(
        symbol="BTCUSDT",
        side=Client.SIDE_BUY,
        type=Client.ORDER_TYPE_LIMIT,
        timeInForce=Client.TIME_IN_FORCE_GTC,
        quantity="0.001",
        price=price,
    )
    assert set(placed) >= ORDER_FIELDS, ORDER_FIELDS - set(placed)
    assert placed["status"] == "NEW" and placed["fills"] == [] and Decimal(placed["executedQty"]) == 0
    assert placed["type"] == "LIMIT" and placed["side"] == "BUY" and placed["timeInForce"] == "GTC"
    assert Decimal(placed["price"]) == Decimal(price) and Decimal(placed["origQty"]) == Decimal("0.001")
    assert placed["clientOrderId"].startswith(Client.SPOT_ORDER_PREFIX)  # python-binance's generated id
    oid = placed["orderId"]

    got = pb.get_order(symbol="BTCUSDT", orderId=oid)
    assert set(got) >= QUERY_FIELDS, QUERY_FIELDS - set(got)
    assert got["status"] == "NEW" and got["isWorking"] is True and got["clientOrderId"] == placed["clientOrderId"]
    assert pb.get_order(symbol="BTCUSDT", origClientOrderId=placed["clientOrderId"])["orderId"] == oid
    assert [o["orderId"] for o in pb.get_open_orders(symbol="BTCUSDT")] == [oid]
    assert [o["orderId"] for o in pb.get_open_orders()] == [oid]
    locked = Decimal(pb.get_asset_balance(asset="USDT")["locked"])
    assert locked == Decimal(price) * Decimal("0.001")

    canceled = pb.cancel_order(symbol="BTCUSDT", orderId=oid)
    assert canceled["status"] == "CANCELED" and canceled["orderId"] == oid
    assert canceled["origClientOrderId"] == placed["clientOrderId"]
    assert pb.get_open_orders(symbol="BTCUSDT") == []
    assert Decimal(pb.get_asset_balance(asset="USDT")["locked"]) == 0
    all_orders = pb.get_all_orders(symbol="BTCUSDT")
    assert [(o["orderId"], o["status"]) for o in all_orders] == [(oid, "CANCELED")]
    assert set(all_orders[0]) >= QUERY_FIELDS


def test_market_orders_and_my_trades(pb):
    bought = pb.order_market_buy(symbol="BTCUSDT", quantity="0.002")
    assert set(bought) >= ORDER_FIELDS
    assert bought["status"] == "FILLED" and bought["type"] == "MARKET" and bought["side"] == "BUY"
    assert Decimal(bought["executedQty"]) == Decimal("0.002") == Decimal(bought["origQty"])
    fills = bought["fills"]
    assert fills and {"price", "qty", "commission", "commissionAsset", "tradeId"} <= set(fills[0])
    assert sum(Decimal(f["qty"]) for f in fills) == Decimal("0.002")
    assert sum(Decimal(f["price"]) * Decimal(f["qty"]) for f in fills) == Decimal(bought["cummulativeQuoteQty"])
    assert {f["commissionAsset"] for f in fills} == {"BTC"}  # a buyer pays its fee in what it receives

    spent = pb.order_market_buy(symbol="BTCUSDT", quoteOrderQty="100")  # by quote amount
    assert spent["status"] == "FILLED" and Decimal(spent["cummulativeQuoteQty"]) <= 100
    assert Decimal(spent["origQuoteOrderQty"]) == 100 and Decimal(spent["executedQty"]) > 0

    sold = pb.order_market_sell(symbol="BTCUSDT", quantity="0.001")
    assert sold["status"] == "FILLED" and {f["commissionAsset"] for f in sold["fills"]} == {"USDT"}

    trades = pb.get_my_trades(symbol="BTCUSDT")
    assert all(set(t) >= MY_TRADE_FIELDS for t in trades)
    assert {t["orderId"] for t in trades} == {bought["orderId"], spent["orderId"], sold["orderId"]}
    assert [t["id"] for t in trades] == sorted(t["id"] for t in trades)
    mine = [t for t in trades if t["orderId"] == bought["orderId"]]
    assert sorted(t["id"] for t in mine) == sorted(f["tradeId"] for f in fills)
    assert all(t["isBuyer"] is True and t["isMaker"] is False for t in mine)
    assert all(Decimal(t["quoteQty"]) == Decimal(t["price"]) * Decimal(t["qty"]) for t in trades)
    assert [t["orderId"] for t in pb.get_my_trades(symbol="BTCUSDT", orderId=sold["orderId"])] == [
        sold["orderId"]
    ] * len(sold["fills"])
    assert {o["status"] for o in pb.get_all_orders(symbol="BTCUSDT")} == {"FILLED"}


def test_two_accounts_trade_inside_the_spread(server):
    maker = pb_client(server, new_account(server, BALANCES))
    taker = pb_client(server, new_account(server, BALANCES))
    bid, ask = _touch(maker, "ETHBTC")
    tick = Decimal(_filters(maker.get_symbol_info("ETHBTC"))["PRICE_FILTER"]["tickSize"])
    price = ask - tick  # nobody else rests here, so the taker meets only the maker
    assert price > bid, f"no room inside the spread {bid}..{ask}"
    rest = maker.order_limit_sell(symbol="ETHBTC", quantity="1.5", price=str(price))
    assert rest["status"] == "NEW"
    take = taker.order_limit_buy(symbol="ETHBTC", quantity="1.5", price=str(price))
    assert take["status"] == "FILLED" and len(take["fills"]) == 1
    assert Decimal(take["fills"][0]["price"]) == price
    assert Decimal(take["cummulativeQuoteQty"]) == price * Decimal("1.5")
    assert maker.get_order(symbol="ETHBTC", orderId=rest["orderId"])["status"] == "FILLED"

    (made,) = maker.get_my_trades(symbol="ETHBTC")
    (took,) = taker.get_my_trades(symbol="ETHBTC")
    assert made["id"] == took["id"] == take["fills"][0]["tradeId"]
    assert (made["isMaker"], made["isBuyer"], took["isMaker"], took["isBuyer"]) == (True, False, False, True)
    assert made["commissionAsset"] == "BTC" and took["commissionAsset"] == "ETH"
    assert Decimal(made["commission"]) == price * Decimal("1.5") * Decimal("0.001")

    recent = maker.get_recent_trades(symbol="ETHBTC", limit=10)
    last = recent[-1]
    assert set(last) == {"id", "price", "qty", "quoteQty", "time", "isBuyerMaker", "isBestMatch"}
    assert last["id"] == made["id"] and Decimal(last["price"]) == price and Decimal(last["qty"]) == Decimal("1.5")
    assert last["isBuyerMaker"] is False  # the buyer was the taker
    agg = maker.get_aggregate_trades(symbol="ETHBTC", limit=10)
    assert agg[-1]["l"] == made["id"] and Decimal(agg[-1]["p"]) == price

    # the candle of our trade ends a page asked for up to the trade's time
    klines = maker.get_klines(symbol="ETHBTC", interval=Client.KLINE_INTERVAL_1MINUTE, limit=5, endTime=took["time"])
    assert klines and all(len(k) == 12 for k in klines)
    open_time, _o, h, low, c, volume, close_time = klines[-1][:7]
    assert close_time == open_time + 59_999 and open_time % 60_000 == 0 <= took["time"] - open_time < 60_000
    assert Decimal(low) <= price <= Decimal(h) and Decimal(c) == price and Decimal(volume) >= Decimal("1.5")
    # without bounds the page runs to the open candle holding now, minute after minute; any minute
    # after our trade is flat at its price (nobody else trades ETHBTC here)
    newest = maker.get_klines(symbol="ETHBTC", interval=Client.KLINE_INTERVAL_1MINUTE, limit=5)
    assert [k[0] for k in newest] == [newest[0][0] + 60_000 * n for n in range(len(newest))]
    assert newest[-1][0] <= maker.get_server_time()["serverTime"] < newest[-1][0] + 120_000
    for k in newest:
        if k[0] > open_time:
            assert [Decimal(x) for x in k[1:6]] == [price] * 4 + [0] and k[8] == 0, k
    history = maker.get_historical_klines("ETHBTC", Client.KLINE_INTERVAL_1MINUTE, "1 hour ago UTC")
    mine = [k for k in history if k[0] == open_time]
    assert mine and Decimal(mine[0][5]) == Decimal(volume) and history[-1][0] >= open_time
    assert [k[0] for k in history] == [history[0][0] + 60_000 * n for n in range(len(history))]


def test_errors_surface_as_binance_api_exception(pb):
    with pytest.raises(BinanceAPIException) as missing:
        pb.get_order(symbol="BTCUSDT", orderId=987654321)
    assert missing.value.code == -2013 and missing.value.status_code == 400
    with pytest.raises(BinanceAPIException) as bad_lot:
        pb.order_limit_buy(symbol="BTCUSDT", quantity="0.000001", price=_far_bid(pb))
    assert bad_lot.value.code == -1013 and "LOT_SIZE" in bad_lot.value.message
    with pytest.raises(BinanceAPIException) as bad_symbol:
        pb.get_order_book(symbol="NOPEUSDT")
    assert bad_symbol.value.code == -1121


# ---- one order book, two clients ---------------------------------------------------------------------


def test_orders_are_shared_between_python_binance_and_ccxt(server, account):
    pb = pb_client(server, account)
    ex = ccxt_binance(server.url, account["apiKey"], account["secret"])
    ex.load_markets()
    price = _far_bid(pb, "ETHUSDT")

    from_pb = pb.order_limit_buy(symbol="ETHUSDT", quantity="0.01", price=price)
    seen = ex.fetch_order(str(from_pb["orderId"]), "ETH/USDT")
    assert seen["status"] == "open" and seen["clientOrderId"] == from_pb["clientOrderId"]
    assert seen["price"] == float(price) and seen["amount"] == 0.01 and seen["side"] == "buy"

    from_ccxt = ex.create_order("ETH/USDT", "limit", "buy", 0.02, float(price))
    got = pb.get_order(symbol="ETHUSDT", orderId=int(from_ccxt["id"]))
    assert got["status"] == "NEW" and got["clientOrderId"] == from_ccxt["clientOrderId"]
    assert Decimal(got["origQty"]) == Decimal("0.02") and Decimal(got["price"]) == Decimal(price)
    assert sorted(o["orderId"] for o in pb.get_open_orders(symbol="ETHUSDT")) == sorted(
        [from_pb["orderId"], int(from_ccxt["id"])]
    )
    assert sorted(o["id"] for o in ex.fetch_open_orders("ETH/USDT")) == sorted(
        [str(from_pb["orderId"]), from_ccxt["id"]]
    )

    # each client cancels the other's order
    assert ex.cancel_order(str(from_pb["orderId"]), "ETH/USDT")["status"] == "canceled"
    assert pb.cancel_order(symbol="ETHUSDT", orderId=int(from_ccxt["id"]))["status"] == "CANCELED"
    assert pb.get_open_orders(symbol="ETHUSDT") == [] and ex.fetch_open_orders("ETH/USDT") == []

    # a fill made through one client is in the other's trade list
    filled = pb.order_market_buy(symbol="ETHUSDT", quantity="0.05")
    ccxt_trades = ex.fetch_my_trades("ETH/USDT")
    assert sorted(int(t["id"]) for t in ccxt_trades) == sorted(f["tradeId"] for f in filled["fills"])
    assert all(t["order"] == str(filled["orderId"]) and t["side"] == "buy" for t in ccxt_trades)
    orders = ex.fetch_orders("ETH/USDT")
    assert {(o["id"], o["status"]) for o in orders} == {
        (str(from_pb["orderId"]), "canceled"),
        (from_ccxt["id"], "canceled"),
        (str(filled["orderId"]), "closed"),
    }


def test_async_client(server, account):
    """python-binance's AsyncClient (aiohttp), built directly so its ``create()`` ping is skipped."""

    async def run() -> None:
        client = point(AsyncClient(account["apiKey"], account["secret"]), server.url)
        try:
            assert await client.ping() == {}
            balances = {b["asset"]: b for b in (await client.get_account())["balances"]}
            assert Decimal(balances["USDT"]["free"]) == 100000
            order = await client.order_market_buy(symbol="SOLUSDT", quantity="1")
            assert order["status"] == "FILLED"
            fetched = await client.get_order(symbol="SOLUSDT", orderId=order["orderId"])
            assert fetched["status"] == "FILLED" and Decimal(fetched["executedQty"]) == 1
            book = await client.get_order_book(symbol="SOLUSDT", limit=5)
            assert len(book["bids"]) == 5
        finally:
            await client.close_connection()

    asyncio.run(run())
