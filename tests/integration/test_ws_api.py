"""Binance's WebSocket API (``/ws-api/v3``) against a real uvicorn on 127.0.0.1.

Unmodified ccxt.pro trades through it (its ``*_ws`` methods) and meets the same exceptions as over
REST; a raw ``websockets`` client checks the envelope, ``rateLimits``, the errors of frames that are
not requests, signatures, logged-on sessions and user data subscriptions, and that a refused request
leaves the exchange's state as it was; Binance's own SDK (binance-sdk-spot) talks to it unchanged.
The raw client signs here, independently of the server: every parameter but ``signature`` sorted by
name, ``name=value`` joined by ``&``, as Binance's documentation words it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import ccxt
import ccxt.pro as ccxtpro
import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from client.targets import point_at
from simulator.clock import ManualClock
from simulator.config import SimulatorConfig
from simulator.launcher import RunningServer, running_server
from simulator.ratelimit import RateLimitConfig

from .conftest import admin, binance, new_account

BTC = "BTC/USDT"
INSUFFICIENT = "Account has insufficient balance for requested action."
WEIGHT = {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000}


# ---- a raw client ---------------------------------------------------------------------------------


def ws_url(server: RunningServer, query: str = "") -> str:
    return server.url.replace("http://", "ws://") + "/ws-api/v3" + query


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def signature(payload: str, secret: str) -> str:
    """HMAC-SHA256 hex with a secret, or base64 Ed25519 / RSA (PKCS#1 v1.5, SHA-256) with a private key PEM."""
    if "PRIVATE KEY" not in secret:
        return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    key = serialization.load_pem_private_key(secret.encode(), None)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        raw = key.sign(payload.encode())
    else:
        assert isinstance(key, rsa.RSAPrivateKey)
        raw = key.sign(payload.encode(), padding.PKCS1v15(), hashes_sha256())
    return base64.b64encode(raw).decode()


def hashes_sha256():  # (cryptography's hash object, imported where it is used)
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA256()


def signed(server: RunningServer, acct: dict, params: dict | None = None, key: bool = True) -> dict:
    """``params`` with ``apiKey`` (unless ``key`` is false), the server's time as ``timestamp`` and
    the signature over them as Binance's WebSocket API wants it."""
    out = dict(params or {})
    if key:
        out["apiKey"] = acct["apiKey"]
    out.setdefault("timestamp", server.venue.now())
    payload = "&".join(f"{name}={_text(out[name])}" for name in sorted(out))
    return {**out, "signature": signature(payload, acct["secret"])}


class Api:
    """A raw WebSocket API connection: requests by id; user data events kept as they arrive."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.events: list[dict] = []

    async def frame(self, timeout: float = 5.0) -> dict:
        return orjson.loads(await asyncio.wait_for(self.ws.recv(), timeout))

    async def reply(self, request_id: object) -> dict:
        while True:
            message = await self.frame()
            if "event" in message and "id" not in message:
                self.events.append(message)
            elif message.get("id") == request_id:
                return message

    async def call(self, method: str, params: dict | None = None) -> dict:
        request_id = next(self.ids)
        request: dict[str, object] = {"id": request_id, "method": method}
        if params is not None:
            request["params"] = params
        await self.ws.send(orjson.dumps(request).decode())
        return await self.reply(request_id)

    async def raw(self, text: str | bytes) -> dict:
        """A frame as given; the answer is the next non-event frame (its id may be null)."""
        await self.ws.send(text)
        while True:
            message = await self.frame()
            if "event" in message and "id" not in message:
                self.events.append(message)
            else:
                return message

    async def event(self, kind: str, timeout: float = 5.0) -> dict:
        """The next user data event of type ``kind`` (the wrapper ``{"subscriptionId", "event"}``)."""
        async with asyncio.timeout(timeout):
            while True:
                for i, message in enumerate(self.events):
                    if message["event"].get("e") == kind:
                        return self.events.pop(i)
                message = await self.frame(timeout)
                if "event" in message and "id" not in message:
                    self.events.append(message)


def rest(server: RunningServer, path: str, params: dict | None = None) -> tuple[object, dict[str, str]]:
    """A public REST GET: its JSON and headers (the twin of a WebSocket API method)."""
    query = urllib.parse.urlencode(params or {})
    with urllib.request.urlopen(f"{server.url}{path}?{query}", timeout=10) as resp:
        return json.loads(resp.read()), {k.lower(): v for k, v in resp.headers.items()}


def rest_signed(
    server: RunningServer, method: str, path: str, acct: dict, params: dict | None = None
) -> tuple[int, object, dict[str, str]]:
    """A signed REST request (status, JSON, headers), the query signed as REST wants it."""
    query = urllib.parse.urlencode({**(params or {}), "timestamp": server.venue.now()})
    query += "&signature=" + urllib.parse.quote(signature(query, acct["secret"]), safe="")
    req = urllib.request.Request(f"{server.url}{path}?{query}", method=method, headers={"X-MBX-APIKEY": acct["apiKey"]})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read()), {k.lower(): v for k, v in resp.headers.items()}
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read()), {k.lower(): v for k, v in e.headers.items()}


def pro(server: RunningServer, acct: dict) -> ccxtpro.binance:
    """Unmodified ccxt.pro with default options, its URLs pointed at the server."""
    ex = ccxtpro.binance({"apiKey": acct["apiKey"], "secret": acct["secret"]})
    point_at(ex, server.url)
    return ex


@pytest.fixture(scope="module")
def quiet() -> Iterator[RunningServer]:
    """No liquidity and a hand-moved clock: nothing changes unless a test changes it."""
    config = SimulatorConfig(liquidity=False, rate_limits=RateLimitConfig(enabled=False))
    with running_server(config, clock=ManualClock(1_800_000_000_000)) as srv:
        yield srv


# ---- ccxt.pro ----------------------------------------------------------------------------------------


def test_ccxt_pro_trades_over_the_websocket_api(server: RunningServer) -> None:
    acct = new_account(server)
    rest_ex = binance(server.url, acct["apiKey"], acct["secret"])
    rest_ex.load_markets()

    async def main() -> None:
        ex = pro(server, acct)
        try:
            await ex.load_markets()
            order = await ex.create_order_ws(BTC, "limit", "buy", 0.001, 80000)
            assert (order["status"], order["price"], order["amount"]) == ("open", 80000, 0.001)
            fetched = await ex.fetch_order_ws(order["id"], BTC)
            over_rest = rest_ex.fetch_order(order["id"], BTC)
            fields = ("id", "clientOrderId", "status", "price", "amount", "filled", "side", "type", "timestamp")
            assert {f: fetched[f] for f in fields} == {f: over_rest[f] for f in fields}
            assert [o["id"] for o in await ex.fetch_open_orders_ws(BTC)] == [order["id"]]

            edited = await ex.edit_order_ws(order["id"], BTC, "limit", "buy", 0.002, 80500)  # order.cancelReplace
            assert (edited["status"], edited["price"], edited["amount"]) == ("open", 80500, 0.002)
            assert rest_ex.fetch_order(order["id"], BTC)["status"] == "canceled"
            canceled = await ex.cancel_order_ws(edited["id"], BTC)
            assert (canceled["id"], canceled["status"]) == (edited["id"], "canceled")

            resting = [await ex.create_order_ws(BTC, "limit", "sell", 0.001, p) for p in (95000, 96000)]
            gone = await ex.cancel_all_orders_ws(BTC)
            assert sorted(o["id"] for o in gone) == sorted(o["id"] for o in resting)
            assert {o["status"] for o in gone} == {"canceled"} and rest_ex.fetch_open_orders(BTC) == []

            filled = await ex.create_order_ws(BTC, "market", "buy", 0.001)
            assert (filled["status"], filled["filled"]) == ("closed", 0.001)
            mine = await ex.fetch_my_trades_ws(BTC)
            mine_rest = rest_ex.fetch_my_trades(BTC)
            fields = ("id", "order", "price", "amount", "cost", "side", "takerOrMaker", "timestamp")
            assert [{f: t[f] for f in fields} for t in mine] == [{f: t[f] for f in fields} for t in mine_rest]
            assert [t["order"] for t in mine] == [filled["id"]] and mine[0]["fee"] == mine_rest[0]["fee"]

            orders = await ex.fetch_orders_ws(BTC)
            assert [o["id"] for o in orders] == [o["id"] for o in rest_ex.fetch_orders(BTC)]
            assert len(orders) == 5

            # ccxt 4.5.90 parses spot account.status without the market type, so it reads no
            # currencies out of "balances"; what the server answered is in "info"
            balance = await ex.fetch_balance_ws()
            assert balance["info"]["balances"] == rest_ex.private_get_account()["balances"]

            public = await ex.fetch_trades_ws(BTC, limit=5)
            assert [t["id"] for t in public] == [t["id"] for t in rest_ex.fetch_trades(BTC, limit=5)]
            assert mine[0]["id"] in [t["id"] for t in public]
            candles = await ex.fetch_ohlcv_ws(BTC, "1m", limit=3)
            assert candles == rest_ex.fetch_ohlcv(BTC, "1m", limit=3) and candles
        finally:
            await ex.close()

    asyncio.run(main())


def test_ccxt_pro_meets_the_exceptions_it_meets_over_rest(server: RunningServer) -> None:
    acct = new_account(server, {"USDT": "1000", "BTC": "1"})
    forged = {**acct, "secret": new_account(server)["secret"]}  # the right key, another secret
    rest_ex = binance(server.url, acct["apiKey"], acct["secret"])
    rest_forged = binance(server.url, forged["apiKey"], forged["secret"])
    cases = [  # (what, the call over REST and over the WebSocket API, the ccxt class both raise)
        ("insufficient funds", "create_order", (BTC, "limit", "buy", 1, 80000), ccxt.InsufficientFunds),
        ("no such order", "fetch_order", ("987654321", BTC), ccxt.OrderNotFound),
        ("cancel no such order", "cancel_order", ("987654321", BTC), ccxt.OrderNotFound),
        ("post-only would take", "create_order", (BTC, "LIMIT_MAKER", "buy", 0.001, 95000), ccxt.InvalidOrder),
        ("unknown symbol", "fetch_order", ("1", "BTC/USDT", {"symbol": "NOPE"}), ccxt.BadSymbol),
    ]

    async def main() -> None:
        ex, bad = pro(server, acct), pro(server, forged)
        try:
            await ex.load_markets()
            for what, name, args, cls in cases:
                with pytest.raises(cls) as over_rest:
                    getattr(rest_ex, name)(*args)
                with pytest.raises(cls) as over_ws:
                    await getattr(ex, name + "_ws")(*args)
                assert type(over_ws.value) is type(over_rest.value), what
                assert str(over_ws.value).split(" ", 1)[1] in str(over_rest.value), what  # Binance's text
            with pytest.raises(ccxt.AuthenticationError):
                rest_forged.fetch_balance()
            bad.set_markets(ex.markets, ex.currencies)  # (its own load_markets would sign, and fail, first)
            with pytest.raises(ccxt.AuthenticationError, match="Signature for this request is not valid"):
                await bad.create_order_ws(BTC, "limit", "buy", 0.001, 80000)
            # A filter failure (-1013) is the same answer both ways, but ccxt reads it apart: over REST
            # it finds "LOT_SIZE" in a body with an HTTP status (InvalidOrder), over the WebSocket API
            # it goes by the code alone (BadRequest).
            with pytest.raises(ccxt.InvalidOrder, match="Filter failure: LOT_SIZE"):
                rest_ex.create_order(BTC, "limit", "buy", 10000, 80000)
            with pytest.raises(ccxt.BadRequest, match="Filter failure: LOT_SIZE"):
                await ex.create_order_ws(BTC, "limit", "buy", 10000, 80000)
            assert rest_ex.fetch_open_orders(BTC) == []
        finally:
            await ex.close()
            await bad.close()

    asyncio.run(main())


def test_ccxt_pro_order_book_and_ticker_over_the_websocket_api_are_swap_only_in_ccxt(server) -> None:
    """ccxt 4.5.90 sends fetch_order_book_ws and fetch_ticker_ws for linear swaps only (it refuses a
    spot market before sending anything); their spot methods, depth and ticker.book, are checked
    against REST by the raw client below."""
    acct = new_account(server)

    async def main() -> None:
        ex = pro(server, acct)
        try:
            await ex.load_markets()
            with pytest.raises(ccxt.BadRequest, match="only supports swap markets"):
                await ex.fetch_order_book_ws(BTC)
            with pytest.raises(ccxt.BadRequest, match="only supports swap markets"):
                await ex.fetch_ticker_ws(BTC)
        finally:
            await ex.close()

    asyncio.run(main())


def test_ccxt_pro_watches_orders_and_balances_through_a_signature_subscription(server: RunningServer) -> None:
    """watch_orders / watch_balance on spot subscribe with userDataStream.subscribe.signature; the
    events then come on the WebSocket API connection, wrapped with their subscriptionId."""
    acct = new_account(server)
    rest_ex = binance(server.url, acct["apiKey"], acct["secret"])
    rest_ex.load_markets()

    async def main() -> None:
        ex = pro(server, acct)
        try:
            await ex.load_markets()
            watching = asyncio.ensure_future(ex.watch_orders(BTC))
            await asyncio.sleep(0.5)  # subscribed
            placed = await asyncio.to_thread(rest_ex.create_order, BTC, "limit", "buy", 0.001, 80000)
            orders = await asyncio.wait_for(watching, 10)
            assert [(o["id"], o["status"], o["price"]) for o in orders][-1] == (placed["id"], "open", 80000)
            watching = asyncio.ensure_future(ex.watch_balance())
            await asyncio.sleep(0.2)
            await asyncio.to_thread(rest_ex.cancel_order, placed["id"], BTC)
            balance = await asyncio.wait_for(watching, 10)
            assert balance["USDT"]["free"] == 100000.0 and balance["USDT"]["used"] == 0.0
        finally:
            await ex.close()

    asyncio.run(main())


# ---- the envelope -------------------------------------------------------------------------------------


def test_the_envelope_and_rate_limits_on_and_off(server: RunningServer) -> None:
    acct = new_account(server)

    async def main() -> None:
        async with connect(ws_url(server)) as ws:
            api = Api(ws)
            await ws.send('{"id":"a-b_C9","method":"time"}')
            first = await api.reply("a-b_C9")
            assert list(first) == ["id", "status", "result", "rateLimits"]
            assert first["status"] == 200 and set(first["result"]) == {"serverTime"}
            [weight] = first["rateLimits"]
            assert weight.keys() == {*WEIGHT, "count"} and {k: weight[k] for k in WEIGHT} == WEIGHT
            depth = await api.call("depth", {"symbol": "BTCUSDT", "limit": 5})
            assert depth["rateLimits"][0]["count"] == weight["count"] + 5  # depth's REST weight
            assert await api.call("ping", {"returnRateLimits": False}) == {"id": 2, "status": 200, "result": {}}
            order = await api.call("order.place", signed(server, acct, ORDER))
            kinds = [(r["rateLimitType"], r["interval"], r["intervalNum"], r["count"]) for r in order["rateLimits"]]
            assert kinds == [
                ("ORDERS", "SECOND", 10, 1),
                ("ORDERS", "DAY", 1, 1),
                ("REQUEST_WEIGHT", "MINUTE", 1, kinds[2][3]),
            ]
            status = await api.call("order.status", signed(server, acct, {"symbol": "BTCUSDT", "orderId": 1}))
            assert [r["rateLimitType"] for r in status["rateLimits"]] == ["REQUEST_WEIGHT"]  # no ORDERS: placed none
            await api.call("openOrders.cancelAll", signed(server, acct, {"symbol": "BTCUSDT"}))
        async with connect(ws_url(server, "?returnRateLimits=false")) as ws:
            api = Api(ws)
            assert "rateLimits" not in await api.call("time")
            assert "rateLimits" in await api.call("time", {"returnRateLimits": True})
            assert (await api.call("session.status"))["result"]["returnRateLimits"] is False
            refused = await api.call("time", {"returnRateLimits": "maybe"})
            assert refused["error"] == {
                "code": -1100,
                "msg": "Illegal characters found in parameter 'returnRateLimits'; legal range is 'true|false'.",
            }

    asyncio.run(main())


ORDER = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "0.001",
    "price": "80000",
}
NOT_A_REQUEST = [  # (frame, answer): Binance's error, and the connection stays
    ("not json", {"id": None, "status": 400, "error": {"code": -1135, "msg": "Invalid JSON Request"}}),
    ("[1, 2]", {"id": None, "status": 400, "error": {"code": -1135, "msg": "Invalid JSON Request"}}),
    (
        '{"id": 1, "method": "time"',
        {"id": None, "status": 400, "error": {"code": -1135, "msg": "Invalid JSON Request"}},
    ),
    (
        '{"method": "time"}',
        {
            "id": None,
            "status": 400,
            "error": {"code": -1102, "msg": "Mandatory parameter 'id' was not sent, was empty/null, or malformed."},
        },
    ),
    (
        '{"id": {"a": 1}, "method": "time"}',
        {
            "id": None,
            "status": 400,
            "error": {
                "code": -1135,
                "msg": "Invalid 'id' in JSON request; expected an integer, a string matching "
                "'^[a-zA-Z0-9-_]{1,36}$', or null.",
            },
        },
    ),
    ('{"id": "' + "x" * 37 + '", "method": "time"}', None),  # (the same answer: longer than 36)
    ('{"id": 1.5, "method": "time"}', None),
    ('{"id": 9223372036854775808, "method": "time"}', None),
    (
        '{"id": 7}',
        {
            "id": 7,
            "status": 400,
            "error": {"code": -1102, "msg": "Mandatory parameter 'method' was not sent, was empty/null, or malformed."},
        },
    ),
    (
        '{"id": 7, "method": 12}',
        {
            "id": 7,
            "status": 400,
            "error": {"code": -1135, "msg": "Invalid 'method' in JSON request; expected a string."},
        },
    ),
    (
        '{"id": 7, "method": "order.teleport"}',
        {"id": 7, "status": 400, "error": {"code": -1020, "msg": "This operation is not supported."}},
    ),
    (
        '{"id": 7, "method": "time", "params": ["x"]}',
        {
            "id": 7,
            "status": 400,
            "error": {"code": -1135, "msg": "Invalid 'params' in JSON request; expected an object."},
        },
    ),
    (
        '{"id": 7, "method": "time", "params": {"x": 1}}',
        {
            "id": 7,
            "status": 400,
            "error": {
                "code": -1104,
                "msg": "Not all sent parameters were read; read '0' parameter(s) but was sent '1'.",
            },
        },
    ),
    (
        '{"id": 7, "method": "depth", "params": {"symbol": "BTCUSDT", "symbol": "ETHUSDT"}}',
        {
            "id": None,
            "status": 400,
            "error": {"code": -1101, "msg": "Duplicate values for a parameter detected. Parameter 'symbol'."},
        },
    ),
    (
        '{"id": 7, "method": "depth", "params": {"symbol": "NOPE"}}',
        {"id": 7, "status": 400, "error": {"code": -1121, "msg": "Invalid symbol."}},
    ),
    (
        '{"id": 7, "method": "depth", "params": {"symbol": "\\ud800"}}',
        {
            "id": 7,
            "status": 400,
            "error": {
                "code": -1100,
                "msg": "Illegal characters found in parameter 'symbol'; legal range is 'UTF-8 text'.",
            },
        },
    ),
    (
        b'{"id": 7, "method": "time"}',  # a binary frame: requests are text frames
        {"id": None, "status": 400, "error": {"code": -1135, "msg": "Invalid JSON Request"}},
    ),
    (
        '{"id": 7, "method": "time", "params": {"x": "' + "y" * 70_000 + '"}}',
        {"id": None, "status": 413, "error": {"code": -1101, "msg": "Too many parameters sent for this endpoint."}},
    ),
]


def test_frames_that_are_not_requests_get_binances_errors(quiet: RunningServer) -> None:
    before = quiet.simulator.app.services.fingerprint()

    async def main() -> None:
        async with connect(ws_url(quiet, "?returnRateLimits=false"), max_size=None) as ws:
            api = Api(ws)
            expected = None
            for frame, answer in NOT_A_REQUEST:
                expected = answer or expected
                assert await api.raw(frame) == expected, frame
            assert await api.call("v3/ping") == {
                "id": 1,
                "status": 200,
                "result": {},
            }  # still open; the prefix is allowed

    asyncio.run(main())
    assert quiet.simulator.app.services.fingerprint() == before


def test_every_method_answers_what_its_rest_twin_answers(quiet: RunningServer) -> None:
    """The same Endpoint behind both: equal answers (times that move between the calls aside)."""
    acct = new_account(quiet, {"USDT": "100000", "BTC": "2"})
    other = new_account(quiet, {"USDT": "100000", "BTC": "2"})
    for side, price in (("SELL", "90000"), ("BUY", "89000")):  # a book, and a trade between the two
        assert rest_signed(quiet, "POST", "/api/v3/order", other, {**ORDER, "side": side, "price": price})[0] == 200
    status, taken, _ = rest_signed(quiet, "POST", "/api/v3/order", acct, {**ORDER, "price": "90000"})
    assert (status, taken["status"]) == (200, "FILLED")
    assert rest_signed(quiet, "POST", "/api/v3/order", acct, ORDER)[0] == 200
    public = [
        ("ping", {}, "/api/v3/ping"),
        ("time", {}, "/api/v3/time"),
        ("exchangeInfo", {"symbols": ["BTCUSDT", "ETHUSDT"]}, "/api/v3/exchangeInfo"),
        ("depth", {"symbol": "BTCUSDT", "limit": 10}, "/api/v3/depth"),
        ("trades.recent", {"symbol": "BTCUSDT"}, "/api/v3/trades"),
        ("trades.historical", {"symbol": "BTCUSDT", "fromId": 0}, "/api/v3/historicalTrades"),
        ("trades.aggregate", {"symbol": "BTCUSDT"}, "/api/v3/aggTrades"),
        ("klines", {"symbol": "BTCUSDT", "interval": "1m"}, "/api/v3/klines"),
        ("uiKlines", {"symbol": "BTCUSDT", "interval": "1h", "timeZone": "8"}, "/api/v3/uiKlines"),
        ("avgPrice", {"symbol": "BTCUSDT"}, "/api/v3/avgPrice"),
        ("ticker.24hr", {"symbols": ["BTCUSDT"]}, "/api/v3/ticker/24hr"),
        ("ticker.price", {"symbol": "BTCUSDT"}, "/api/v3/ticker/price"),
        ("ticker.book", {}, "/api/v3/ticker/bookTicker"),
        ("ticker", {"symbol": "BTCUSDT", "windowSize": "2h", "type": "MINI"}, "/api/v3/ticker"),
    ]
    private = [
        ("order.status", {"symbol": "BTCUSDT", "orderId": taken["orderId"]}, "GET", "/api/v3/order"),
        ("openOrders.status", {}, "GET", "/api/v3/openOrders"),
        ("allOrders", {"symbol": "BTCUSDT"}, "GET", "/api/v3/allOrders"),
        ("myTrades", {"symbol": "BTCUSDT"}, "GET", "/api/v3/myTrades"),
        ("account.status", {"omitZeroBalances": True}, "GET", "/api/v3/account"),
        ("account.commission", {"symbol": "BTCUSDT"}, "GET", "/api/v3/account/commission"),
        ("account.rateLimits.orders", {}, "GET", "/api/v3/rateLimit/order"),
        ("order.test", {**ORDER, "computeCommissionRates": True}, "POST", "/api/v3/order/test"),
    ]

    def rest_query(params: dict) -> dict:
        return {
            k: (json.dumps(v, separators=(",", ":")) if isinstance(v, list) else _text(v)) for k, v in params.items()
        }

    async def main() -> None:
        async with connect(ws_url(quiet)) as ws:
            api = Api(ws)
            for method, params, path in public:
                answer = await api.call(method, params)
                assert answer["status"] == 200, (method, answer)
                assert answer["result"] == rest(quiet, path, rest_query(params))[0], method
            for method, params, verb, path in private:
                answer = await api.call(method, signed(quiet, acct, params))
                assert answer["status"] == 200, (method, answer)
                assert answer["result"] == rest_signed(quiet, verb, path, acct, rest_query(params))[1], method

    asyncio.run(main())


def test_trading_methods_and_their_refusals_match_rest(quiet: RunningServer) -> None:
    """order.place/cancel/cancelReplace/amend.keepPriority and openOrders.cancelAll, each with a
    refusal sent both ways: the same status, code and message."""
    acct = new_account(quiet, {"USDT": "1000", "BTC": "1"})

    async def main() -> None:
        async with connect(ws_url(quiet)) as ws:
            api = Api(ws)
            placed = await api.call("order.place", signed(quiet, acct, {**ORDER, "newOrderRespType": "RESULT"}))
            assert placed["result"]["status"] == "NEW" and placed["result"]["price"] == "80000.00000000"
            oid = placed["result"]["orderId"]
            amended = await api.call(
                "order.amend.keepPriority",
                signed(quiet, acct, {"symbol": "BTCUSDT", "orderId": oid, "newQty": "0.0005"}),
            )
            assert amended["result"]["amendedOrder"]["qty"] == "0.00050000"
            replaced = await api.call(
                "order.cancelReplace",
                signed(
                    quiet,
                    acct,
                    {**ORDER, "cancelReplaceMode": "STOP_ON_FAILURE", "cancelOrderId": oid, "price": "81000"},
                ),
            )
            assert replaced["result"]["cancelResult"] == "SUCCESS" and replaced["result"]["newOrderResult"] == "SUCCESS"
            new_id = replaced["result"]["newOrderResponse"]["orderId"]
            cancel_all = await api.call("openOrders.cancelAll", signed(quiet, acct, {"symbol": "BTCUSDT"}))
            assert [o["orderId"] for o in cancel_all["result"]] == [new_id]
            refusals = [
                ("order.place", {**ORDER, "quantity": "1"}, "POST", "/api/v3/order"),
                ("order.place", {**ORDER, "timeInForce": "NOPE"}, "POST", "/api/v3/order"),
                ("order.cancel", {"symbol": "BTCUSDT", "orderId": 999}, "DELETE", "/api/v3/order"),
                ("order.status", {"symbol": "BTCUSDT", "orderId": 999}, "GET", "/api/v3/order"),
                (
                    "order.cancelReplace",
                    {**ORDER, "cancelReplaceMode": "STOP_ON_FAILURE", "cancelOrderId": 999},
                    "POST",
                    "/api/v3/order/cancelReplace",
                ),
                ("order.place", {**ORDER, "stopPrice": "1"}, "POST", "/api/v3/order"),
                ("allOrders", {"symbol": "BTCUSDT", "startTime": 5, "endTime": 1}, "GET", "/api/v3/allOrders"),
            ]
            for method, params, verb, path in refusals:
                answer = await api.call(method, signed(quiet, acct, params))
                status, body, _ = rest_signed(quiet, verb, path, acct, params)
                assert (answer["status"], answer["error"]) == (status, body), method
            assert answer["status"] == 400 and answer["error"]["code"] == -1128
            insufficient = await api.call("order.place", signed(quiet, acct, {**ORDER, "quantity": "1"}))
            assert insufficient["error"] == {"code": -2010, "msg": INSUFFICIENT}

    asyncio.run(main())


def test_a_refused_request_changes_nothing(quiet: RunningServer) -> None:
    acct = new_account(quiet, {"USDT": "1000", "BTC": "1"})
    stranger = new_account(quiet, {"USDT": "1"})
    services = quiet.simulator.app.services

    async def main() -> None:
        async with connect(ws_url(quiet)) as ws:
            api = Api(ws)
            before = services.fingerprint()
            forged = signed(quiet, {**acct, "secret": stranger["secret"]}, ORDER)
            late = signed(quiet, acct, {**ORDER, "timestamp": quiet.venue.now() - 6000})
            unsigned = {**ORDER, "apiKey": acct["apiKey"], "timestamp": quiet.venue.now()}
            refused = [
                (forged, -1022),
                (late, -1021),
                (unsigned, -1102),
                ({**signed(quiet, acct, ORDER), "price": "80001"}, -1022),  # changed after signing
                (signed(quiet, acct, {**ORDER, "quantity": "1"}), -2010),
                (signed(quiet, acct, {**ORDER, "symbol": "NOPE"}), -1121),
                (signed(quiet, acct, {**ORDER, "colour": "red"}), -1104),
                (signed(quiet, acct, {**ORDER, "apiKey": stranger["apiKey"]}, key=False), -1022),
                ({k: v for k, v in signed(quiet, acct, ORDER).items() if k != "apiKey"}, -1102),
            ]
            for params, code in refused:
                answer = await api.call("order.place", params)
                assert answer["error"]["code"] == code, (params, answer)
            assert services.fingerprint() == before
            assert (await api.call("order.place", signed(quiet, acct, ORDER)))["status"] == 200
            assert services.fingerprint() != before  # (the fingerprint sees an order)

    asyncio.run(main())


# ---- signatures and sessions -------------------------------------------------------------------------


@pytest.mark.parametrize("key_type", ["HMAC", "ED25519", "RSA"])
def test_signatures_of_every_key_type(server: RunningServer, key_type: str) -> None:
    acct = new_account(server, {"USDT": "1000"}, keyType=key_type)

    async def main() -> None:
        async with connect(ws_url(server)) as ws:
            api = Api(ws)
            answer = await api.call("account.status", signed(server, acct, {"recvWindow": 10000}))
            assert answer["status"] == 200
            assert {b["asset"]: b["free"] for b in answer["result"]["balances"]}["USDT"] == "1000.00000000"
            params = signed(server, acct, {"omitZeroBalances": True})
            sent_order = {k: params[k] for k in reversed(list(params))}  # the order sent does not matter
            assert (await api.call("account.status", sent_order))["status"] == 200
            # percent-encoded, or in the order sent, the payload is another text: refused
            in_order = {"omitZeroBalances": "true", "apiKey": acct["apiKey"], "timestamp": server.venue.now()}
            wrong = signature("&".join(f"{k}={v}" for k, v in in_order.items()), acct["secret"])
            refused = await api.call("account.status", {**in_order, "signature": wrong})
            assert refused["error"] == {"code": -1022, "msg": "Signature for this request is not valid."}

    asyncio.run(main())


def test_a_logged_on_session_signs_nothing_more(server: RunningServer) -> None:
    acct = new_account(server, {"USDT": "1000"}, keyType="ED25519")
    hmac_acct = new_account(server, {"USDT": "1000"})

    async def main() -> None:
        async with connect(ws_url(server)) as ws:
            api = Api(ws)
            status = (await api.call("session.status"))["result"]
            assert (status["apiKey"], status["authorizedSince"], status["userDataStream"]) == (None, None, False)
            assert status["returnRateLimits"] is True and status["connectedSince"] <= status["serverTime"]
            refused = await api.call("session.logon", signed(server, hmac_acct))
            assert (refused["status"], refused["error"]["code"]) == (401, -1002)  # Ed25519 keys only
            logon = await api.call("session.logon", signed(server, acct))
            assert logon["result"]["apiKey"] == acct["apiKey"] and logon["result"]["authorizedSince"]
            placed = await api.call("order.place", {**ORDER, "timestamp": server.venue.now()})
            assert placed["status"] == 200 and placed["result"]["status"] == "NEW"
            stale = await api.call("account.status", {"timestamp": server.venue.now() - 60_000})
            assert stale["error"]["code"] == -1021  # the timestamp is still checked
            other = await api.call("account.status", signed(server, hmac_acct))  # an ad hoc key wins
            assert [b["free"] for b in other["result"]["balances"] if b["asset"] == "USDT"] == ["1000.00000000"]
            mine = await api.call("account.status", {"timestamp": server.venue.now()})
            assert [b["locked"] for b in mine["result"]["balances"] if b["asset"] == "USDT"] == ["80.00000000"]
            logout = await api.call("session.logout")
            assert (logout["result"]["apiKey"], logout["result"]["authorizedSince"]) == (None, None)
            after = await api.call("account.status", {"timestamp": server.venue.now()})
            assert after["error"] == {
                "code": -1102,
                "msg": "Mandatory parameter 'apiKey' was not sent, was empty/null, or malformed.",
            }
            # a revoked key ends the session on its next request
            await api.call("session.logon", signed(server, acct))
            admin(server, "DELETE", f"/sandex/v1/keys/{acct['apiKey']}")
            gone = await api.call("account.status", {"timestamp": server.venue.now()})
            assert (gone["status"], gone["error"]["code"]) == (401, -2015)
            assert (await api.call("session.status"))["result"]["apiKey"] is None

    asyncio.run(main())


# ---- user data ----------------------------------------------------------------------------------------


def test_user_data_subscriptions(server: RunningServer) -> None:
    acct = new_account(server, {"USDT": "1000"}, keyType="ED25519")
    other = new_account(server, {"USDT": "1000"})

    async def main() -> None:
        async with connect(ws_url(server)) as ws:
            api = Api(ws)
            not_logged_on = await api.call("userDataStream.subscribe")
            assert (not_logged_on["status"], not_logged_on["error"]["code"]) == (401, -1002)
            first = await api.call("userDataStream.subscribe.signature", signed(server, other))
            assert first["result"] == {"subscriptionId": 0}
            again = await api.call("userDataStream.subscribe.signature", signed(server, other))
            assert again["error"] == {"code": -2035, "msg": "User Data Stream subscription already active."}
            await api.call("session.logon", signed(server, acct))
            second = await api.call("userDataStream.subscribe")
            assert second["result"] == {"subscriptionId": 1}
            listed = await api.call("session.subscriptions")
            assert listed["result"] == [{"subscriptionId": 0}, {"subscriptionId": 1}]
            assert (await api.call("session.status"))["result"]["userDataStream"] is True

            placed = await api.call("order.place", signed(server, other, ORDER))
            report = await api.event("executionReport")
            assert report["subscriptionId"] == 0
            event = report["event"]
            assert (event["i"], event["X"], event["x"], event["s"]) == (
                placed["result"]["orderId"],
                "NEW",
                "NEW",
                "BTCUSDT",
            )
            position = await api.event("outboundAccountPosition")
            assert position["subscriptionId"] == 0
            assert {b["a"]: b["l"] for b in position["event"]["B"]}["USDT"] == "80.00000000"
            await api.call("order.place", {**ORDER, "timestamp": server.venue.now()})  # the logged-on account's
            assert (await api.event("executionReport"))["subscriptionId"] == 1

            gone = await api.call("userDataStream.unsubscribe", {"subscriptionId": 0})
            assert gone["result"] == {}
            ended = await api.event("eventStreamTerminated")
            assert ended["subscriptionId"] == 0 and set(ended["event"]) == {"e", "E"}
            assert (await api.call("userDataStream.unsubscribe", {"subscriptionId": 0}))["error"] == {
                "code": -2036,
                "msg": "User Data Stream subscription not active.",
            }
            await api.call("session.logout")  # ends the logon's subscription, not signature ones
            assert (await api.event("eventStreamTerminated"))["subscriptionId"] == 1
            assert (await api.call("session.subscriptions"))["result"] == []
            third = await api.call("userDataStream.subscribe.signature", signed(server, other))
            assert third["result"] == {"subscriptionId": 2}  # ids are not reused
            assert (await api.call("userDataStream.unsubscribe"))["result"] == {}
            await api.call("openOrders.cancelAll", signed(server, other, {"symbol": "BTCUSDT"}))

    asyncio.run(main())


# ---- limits shared with REST ----------------------------------------------------------------------------


def test_weight_and_order_counts_are_shared_with_rest() -> None:
    clock = ManualClock(1_800_000_000_000)  # the start of a minute and of a day: no window ends meanwhile
    limits = RateLimitConfig(request_weight_per_minute=60, orders_per_10s=3, ban_after=2)
    with running_server(SimulatorConfig(liquidity=False, rate_limits=limits), clock=clock) as server:
        acct = new_account(server)

        def rest_weight() -> int:
            return int(rest(server, "/api/v3/time")[1]["x-mbx-used-weight-1m"])

        async def main() -> None:
            async with connect(ws_url(server)) as ws:
                api = Api(ws)
                assert (await api.call("time"))["rateLimits"][0]["count"] == 3  # connecting cost 2
                assert await asyncio.to_thread(rest_weight) == 4
                assert (await api.call("ping"))["rateLimits"][0]["count"] == 5
                for n in (1, 2):
                    placed = await api.call("order.place", signed(server, acct, ORDER))
                    assert placed["rateLimits"][0]["count"] == n
                status, _, headers = await asyncio.to_thread(rest_signed, server, "POST", "/api/v3/order", acct, ORDER)
                assert (status, headers["x-mbx-order-count-10s"]) == (200, "3")
                over = await api.call("order.place", signed(server, acct, ORDER))
                assert over["status"] == 429 and over["error"]["code"] == -1015
                assert over["error"]["msg"] == "Too many new orders; current limit is 3 orders per 10 SECOND."
                assert over["error"]["data"] == {"serverTime": clock.now_ms(), "retryAfter": clock.now_ms() + 10_000}
                assert over["rateLimits"][0]["count"] == 4
                # weight: exchangeInfo costs 20; past 60 a 429; the second 429 bans the IP: then 418, disconnected
                answers = [await api.call("exchangeInfo", {"symbols": ["BTCUSDT"]}) for _ in range(3)]
                answers.append(await api.call("time"))
                assert [a["status"] for a in answers] == [200, 200, 429, 429]
                assert (
                    answers[2]["error"]["code"] == -1003 and answers[2]["error"]["data"]["retryAfter"] > clock.now_ms()
                )
                assert (
                    "Too much request weight used; current limit is 60 request weight per 1 MINUTE."
                    in (answers[2]["error"]["msg"])
                )
                banned = await api.call("time")
                assert banned["status"] == 418 and banned["error"]["code"] == -1003
                with pytest.raises(ConnectionClosed):
                    await api.call("time")
            with pytest.raises(InvalidStatus) as refused:
                async with connect(ws_url(server)):
                    pass
            assert refused.value.response.status_code == 418
            assert orjson.loads(refused.value.response.body)["code"] == -1003

        asyncio.run(main())


def test_an_armed_fault_meets_the_websocket_api_too(server: RunningServer) -> None:
    """Faults are armed by REST path: the pipeline is one, so POST /api/v3/order's fault fires on order.place."""
    acct = new_account(server)
    try:
        admin(
            server,
            "POST",
            "/sandex/v1/faults",
            {"apiKey": acct["apiKey"], "kind": "reject", "code": -2010, "paths": ["POST /api/v3/order"]},
        )

        async def main() -> None:
            async with connect(ws_url(server, "?returnRateLimits=false")) as ws:
                api = Api(ws)
                answer = await api.call("order.place", signed(server, acct, ORDER))
                assert answer == {"id": 1, "status": 400, "error": {"code": -2010, "msg": INSUFFICIENT}}
                assert (await api.call("order.place", signed(server, acct, ORDER)))["status"] == 200  # fired once

        asyncio.run(main())
    finally:
        admin(server, "DELETE", "/sandex/v1/faults")


# ---- Binance's own SDK -----------------------------------------------------------------------------------


def test_binance_sdk_spot_websocket_api(server: RunningServer) -> None:
    """binance-sdk-spot's WebSocket API client, unchanged, on the server's URL. (It signs the
    percent-encoded payload; for the values below that is the same text.)"""
    pytest.importorskip("binance_sdk_spot")
    from binance_common.configuration import ConfigurationWebSocketAPI
    from binance_sdk_spot.spot import Spot

    acct = new_account(server, {"USDT": "1000"})
    ed = new_account(server, {"USDT": "1000"}, keyType="ED25519")

    async def main() -> None:
        url = ws_url(server)
        client = Spot(
            config_ws_api=ConfigurationWebSocketAPI(api_key=acct["apiKey"], api_secret=acct["secret"], stream_url=url)
        )
        conn = await client.websocket_api.create_connection()
        try:
            assert (await conn.time()).data().result.server_time > 0
            depth = (await conn.depth(symbol="BTCUSDT", limit=5)).data().result
            assert len(depth.bids) == 5 and depth.last_update_id > 0
            placed = await conn.order_place(
                symbol="BTCUSDT", side="BUY", type="LIMIT", time_in_force="GTC", quantity=0.001, price=80000.0
            )
            order = placed.data().result
            assert (order.status, order.price) == ("NEW", "80000.00000000")
            assert [r.rateLimitType for r in placed.rate_limits] == ["ORDERS", "ORDERS", "REQUEST_WEIGHT"]
            status = (await conn.order_status(symbol="BTCUSDT", order_id=order.order_id)).data().result
            assert status.order_id == order.order_id
            balances = (await conn.account_status()).data().result.balances
            assert [(b.asset, b.locked) for b in balances if b.asset == "USDT"] == [("USDT", "80.00000000")]
            refused = (
                await conn.order_place(
                    symbol="BTCUSDT", side="BUY", type="LIMIT", time_in_force="GTC", quantity=1.0, price=80000.0
                )
            ).data()
            assert refused == {"error": {"code": -2010, "msg": INSUFFICIENT}}
            canceled = (await conn.order_cancel(symbol="BTCUSDT", order_id=order.order_id)).data().result
            assert canceled.status == "CANCELED"
        finally:
            await conn.close_connection(close_session=True)

        pem = ed["secret"]
        client = Spot(config_ws_api=ConfigurationWebSocketAPI(api_key=ed["apiKey"], private_key=pem, stream_url=url))
        conn = await client.websocket_api.create_connection()
        try:
            logon = (await conn.session_logon()).data().result
            assert logon.api_key == ed["apiKey"]
            subscribed = await conn.user_data_stream_subscribe()
            events: list[object] = []
            subscribed.stream.on("message", events.append)
            await conn.order_place(
                symbol="BTCUSDT", side="BUY", type="LIMIT", time_in_force="GTC", quantity=0.001, price=80000.0
            )
            async with asyncio.timeout(5):
                while not events:
                    await asyncio.sleep(0.05)
            report = events[0].actual_instance  # (the SDK's model of the event it recognised)
            assert (type(report).__name__, report.s, report.X, report.p) == (
                "ExecutionReport",
                "BTCUSDT",
                "NEW",
                "80000.00000000",
            )
            await conn.open_orders_cancel_all(symbol="BTCUSDT")
        finally:
            await conn.close_connection(close_session=True)

    asyncio.run(main())
