"""Binance's spot REST semantics through the whole ASGI app, in process, with exact JSON.

Every test builds its own simulator on a ManualClock, so times, ids and weights are exact; requests
are signed here byte for byte as a Binance client signs them (HMAC-SHA256 over the urlencoded
parameters as sent, ``signature`` last; POST/PUT in a form body, GET/DELETE in the query).
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from simulator.clock import ManualClock
from simulator.config import DEFAULT_MARKETS, SimulatorConfig
from simulator.launcher import build
from simulator.ratelimit import RateLimitConfig
from simulator.wire import parse_units
from tests.harness import FORM, ApiClient, Prepared, pairs_of, signed_query, stamped

T0 = 1_699_963_200_000  # 2023-11-14 12:00:00 UTC: on a day-, hour- and minute boundary
MIN = 60_000
HOUR = 3_600_000
DAY = 86_400_000
ADMIN_TOKEN = "test-admin-token-0123456789"
DEMO_KEY = "DEMOKEY" + "k" * 57
DEMO_SECRET = "DEMOSECRET" + "s" * 54
ROOT = Path(__file__).resolve().parents[2]


# ---- helpers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trader:
    account: int
    key: str
    secret: str


def units(text: str) -> int:
    return parse_units(text, 8, "test")


class Sim:
    """One simulator on a ManualClock with a TestClient and a signing helper."""

    def __init__(
        self, *, liquidity: bool = False, rate_limits: RateLimitConfig | None = None, start_ms: int = T0, markets=()
    ) -> None:
        self.clock = ManualClock(start_ms)
        config = SimulatorConfig(
            liquidity=liquidity,
            liquidity_mode="static",
            rate_limits=rate_limits or RateLimitConfig(),
            admin_token=ADMIN_TOKEN,
            demo_api_key=DEMO_KEY,
            demo_api_secret=DEMO_SECRET,
            markets=tuple(markets),
        )
        self.sim = build(config, clock=self.clock)
        self.venue = self.sim.venue
        self.api = ApiClient.in_process(self.sim.app, self.clock.now_ms, admin_token=ADMIN_TOKEN)
        self.client = self.api.http
        self.demo = Trader(self.sim.demo_account, DEMO_KEY, DEMO_SECRET)

    # accounts
    def trader(self, balances: dict[str, str] | None = None, **key_options) -> Trader:
        account = self.venue.create_account({a: units(v) for a, v in (balances or {}).items()})
        issued = self.venue.keys.issue(account, now_ms=self.clock.now_ms(), **key_options)
        return Trader(account, issued.api_key, issued.secret)

    # requests
    def signed(
        self,
        method: str,
        path: str,
        params=(),
        trader: Trader | None = None,
        *,
        timestamp: int | None = None,
        add_timestamp: bool = True,
        signature: str | None = None,
        key: str | bool | None = True,
    ) -> httpx.Response:
        """Signed by ``trader`` (the demo account's), stamped now or at ``timestamp`` (not at all
        without ``add_timestamp``), sent with ``trader``'s key, the ``key`` given, or none (None)."""
        trader = trader or self.demo
        pairs = pairs_of(params)
        if add_timestamp:
            pairs.append(("timestamp", self.clock.now_ms() if timestamp is None else timestamp))
        api_key = trader.key if key is True else key if isinstance(key, str) else None
        return self.api.send(
            Prepared.of(method, path, signed_query(pairs, trader.secret, signature=signature), api_key)
        )

    def public(self, path: str, params=(), method: str = "GET") -> httpx.Response:
        return self.api.public(path, params, method)

    def ok(self, response: httpx.Response):
        assert response.status_code == 200, response.text
        return response.json()

    def place(self, trader: Trader | None = None, **params) -> dict:
        return self.ok(self.signed("POST", "/api/v3/order", params, trader))

    # state
    def state(self, trader: Trader | None = None) -> tuple:
        """Everything a refused request must leave alone."""
        account = (trader or self.demo).account
        balances, _ = self.venue.balances(account)
        opens = [
            (r.symbol, r.order_id, r.status, r.executed_qty, r.orig_qty) for r in self.venue.open_orders(account, None)
        ]
        return (
            self.venue.engine.fingerprint(),
            {a: (b.free, b.locked) for a, b in balances.items()},
            opens,
            {s: m.update_id for s, m in self.venue.markets.items()},
        )


def error(response: httpx.Response) -> tuple[int, int, str]:
    body = response.json()
    assert set(body) == {"code", "msg"}, body
    return response.status_code, body["code"], body["msg"]


LIMIT = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "0.01",
    "price": "50000",
}


def order(base: dict | None = None, **changes) -> list[tuple[str, str]]:
    """The base order's parameters with changes applied (None removes one)."""
    d = dict(LIMIT if base is None else base)
    for name, value in changes.items():
        if value is None:
            d.pop(name, None)
        else:
            d[name] = value
    return list(d.items())


MARKET = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01"}
DECIMAL = "^([0-9]{1,20})(\\.[0-9]{1,20})?$"
INTEGER = "^-?[0-9]{1,20}$"


def mandatory(name: str):
    return 400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."


def illegal(name: str, legal: str):
    return 400, -1100, f"Illegal characters found in parameter '{name}'; legal range is '{legal}'."


def not_required(name: str):
    return 400, -1106, f"Parameter '{name}' sent when not required."


def precision(name: str):
    return 400, -1111, f"Parameter '{name}' has too much precision."


def unread(read: int, sent: int):
    return 400, -1104, f"Not all sent parameters were read; read '{read}' parameter(s) but was sent '{sent}'."


COMBO = (400, -1128, "Combination of optional parameters invalid.")
BAD_SYMBOL = (400, -1121, "Invalid symbol.")
REJECTED_KEY = (401, -2015, "Invalid API-key, IP, or permissions for action.")
INSUFFICIENT = (400, -2010, "Account has insufficient balance for requested action.")


# ---- parameter errors: exact code/msg/status, and nothing changes -------------------------------

SIGNED = True
PUBLIC = False
PARAM_ERRORS = [
    # mandatory parameters
    pytest.param("POST", "/api/v3/order", order(symbol=None), SIGNED, mandatory("symbol"), id="order-no-symbol"),
    pytest.param("POST", "/api/v3/order", order(side=None), SIGNED, mandatory("side"), id="order-no-side"),
    pytest.param("POST", "/api/v3/order", order(type=None), SIGNED, mandatory("type"), id="order-no-type"),
    pytest.param("POST", "/api/v3/order", order(price=None), SIGNED, mandatory("price"), id="limit-no-price"),
    pytest.param("POST", "/api/v3/order", order(quantity=None), SIGNED, mandatory("quantity"), id="limit-no-qty"),
    pytest.param("POST", "/api/v3/order", order(timeInForce=None), SIGNED, mandatory("timeInForce"), id="limit-no-tif"),
    pytest.param("POST", "/api/v3/order", order(symbol=""), SIGNED, mandatory("symbol"), id="order-empty-symbol"),
    pytest.param(
        "POST",
        "/api/v3/order",
        order(type="STOP_LOSS_LIMIT", stopPrice=None),
        SIGNED,
        mandatory("stopPrice"),
        id="stop-limit-no-stop-price",
    ),
    pytest.param(
        "POST",
        "/api/v3/order",
        order(MARKET, quantity=None),
        SIGNED,
        (400, -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"),
        id="market-neither-qty",
    ),
    pytest.param("GET", "/api/v3/depth", [], PUBLIC, mandatory("symbol"), id="depth-no-symbol"),
    pytest.param(
        "GET", "/api/v3/klines", [("symbol", "BTCUSDT")], PUBLIC, mandatory("interval"), id="klines-no-interval"
    ),
    pytest.param(
        "GET",
        "/api/v3/order",
        [("symbol", "BTCUSDT")],
        SIGNED,
        (400, -1102, "Param 'orderId' or 'origClientOrderId' must be sent, but both were empty/null!"),
        id="query-no-id",
    ),
    pytest.param(
        "DELETE",
        "/api/v3/order",
        [("symbol", "BTCUSDT")],
        SIGNED,
        (400, -1102, "Param 'orderId' or 'origClientOrderId' must be sent, but both were empty/null!"),
        id="cancel-no-id",
    ),
    pytest.param(
        "GET",
        "/api/v3/ticker",
        [],
        PUBLIC,
        (400, -1102, "Param 'symbol' or 'symbols' must be sent, but both were empty/null!"),
        id="rolling-ticker-no-symbol",
    ),
    pytest.param(
        "PUT",
        "/api/v3/order/amend/keepPriority",
        [("symbol", "BTCUSDT"), ("orderId", "1")],
        SIGNED,
        mandatory("newQty"),
        id="amend-no-newqty",
    ),
    # duplicates
    pytest.param(
        "POST",
        "/api/v3/order",
        order() + [("quantity", "0.01")],
        SIGNED,
        (400, -1101, "Duplicate values for a parameter detected. Parameter 'quantity'."),
        id="order-duplicate-qty",
    ),
    pytest.param(
        "GET",
        "/api/v3/depth",
        [("symbol", "BTCUSDT"), ("symbol", "ETHUSDT")],
        PUBLIC,
        (400, -1101, "Duplicate values for a parameter detected. Parameter 'symbol'."),
        id="depth-duplicate-symbol",
    ),
    pytest.param(
        "GET",
        "/api/v3/depth",
        [("symbol", "BTCUSDT")] + [(f"p{i}", "1") for i in range(70)],
        PUBLIC,
        (400, -1101, "Too many parameters; expected '64' and received '71'."),
        id="too-many-params",
    ),
    # unknown parameters, with the read/sent counts
    pytest.param(
        "GET", "/api/v3/depth", [("symbol", "BTCUSDT"), ("foo", "1")], PUBLIC, unread(1, 2), id="depth-unknown"
    ),
    pytest.param("GET", "/api/v3/ping", [("a", "1"), ("b", "2")], PUBLIC, unread(0, 2), id="ping-unknown"),
    pytest.param("POST", "/api/v3/order", order(foo="bar"), SIGNED, unread(8, 9), id="order-unknown"),
    pytest.param(
        "GET", "/api/v3/account", [("symbol", "BTCUSDT"), ("x", "1")], SIGNED, unread(2, 4), id="account-unknown"
    ),
    # malformed numbers and too much precision
    pytest.param("POST", "/api/v3/order", order(price="abc"), SIGNED, illegal("price", DECIMAL), id="price-abc"),
    pytest.param(
        "POST", "/api/v3/order", order(quantity="1e-2"), SIGNED, illegal("quantity", DECIMAL), id="qty-exponent"
    ),
    pytest.param(
        "POST", "/api/v3/order", order(price="-50000"), SIGNED, illegal("price", DECIMAL), id="price-negative"
    ),
    pytest.param(
        "POST", "/api/v3/order", order(quantity=".5"), SIGNED, illegal("quantity", DECIMAL), id="qty-no-whole-part"
    ),
    pytest.param(
        "POST", "/api/v3/order", order(price="50000.000000001"), SIGNED, precision("price"), id="price-precision"
    ),
    pytest.param(
        "POST", "/api/v3/order", order(quantity="0.000000001"), SIGNED, precision("quantity"), id="qty-precision"
    ),
    pytest.param(
        "POST",
        "/api/v3/order",
        order(MARKET, quantity=None, quoteOrderQty="10.123456789"),
        SIGNED,
        precision("quoteOrderQty"),
        id="quote-qty-precision",
    ),
    pytest.param(
        "GET",
        "/api/v3/depth",
        [("symbol", "BTCUSDT"), ("limit", "ten")],
        PUBLIC,
        illegal("limit", INTEGER),
        id="depth-limit-text",
    ),
    pytest.param(
        "DELETE",
        "/api/v3/order",
        [("symbol", "BTCUSDT"), ("orderId", "1.5")],
        SIGNED,
        illegal("orderId", INTEGER),
        id="cancel-order-id-decimal",
    ),
    # enumerations
    pytest.param("POST", "/api/v3/order", order(side="BUYY"), SIGNED, (400, -1117, "Invalid side."), id="invalid-side"),
    pytest.param(
        "POST", "/api/v3/order", order(type="LIMITED"), SIGNED, (400, -1116, "Invalid orderType."), id="invalid-type"
    ),
    pytest.param(
        "POST",
        "/api/v3/order",
        order(timeInForce="GTD"),
        SIGNED,
        (400, -1115, "Invalid timeInForce."),
        id="invalid-tif",
    ),
    pytest.param(
        "POST",
        "/api/v3/order",
        order(newClientOrderId=""),
        SIGNED,
        (400, -1118, "New client order ID was empty."),
        id="empty-client-id",
    ),
    pytest.param(
        "POST",
        "/api/v3/order",
        order(newClientOrderId="has space"),
        SIGNED,
        illegal("newClientOrderId", "^[a-zA-Z0-9-_]{1,36}$"),
        id="bad-client-id",
    ),
    pytest.param(
        "DELETE",
        "/api/v3/order",
        [("symbol", "BTCUSDT"), ("orderId", "1"), ("cancelRestrictions", "ONLY_OLD")],
        SIGNED,
        (400, -1145, "cancelRestrictions has to be either ONLY_NEW or ONLY_PARTIALLY_FILLED."),
        id="bad-cancel-restriction",
    ),
    # parameters sent when not required
    pytest.param(
        "POST", "/api/v3/order", order(MARKET, price="50000"), SIGNED, not_required("price"), id="market-with-price"
    ),
    pytest.param(
        "POST",
        "/api/v3/order",
        order(MARKET, timeInForce="GTC"),
        SIGNED,
        not_required("timeInForce"),
        id="market-with-tif",
    ),
    pytest.param(
        "POST",
        "/api/v3/order",
        order(type="LIMIT_MAKER"),
        SIGNED,
        not_required("timeInForce"),
        id="limit-maker-with-tif",
    ),
    pytest.param(
        "POST", "/api/v3/order", order(stopPrice="49000"), SIGNED, not_required("stopPrice"), id="limit-with-stop-price"
    ),
    pytest.param(
        "POST",
        "/api/v3/order",
        order(MARKET, quoteOrderQty="100"),
        SIGNED,
        not_required("quoteOrderQty"),
        id="market-qty-and-quote-qty",
    ),
    pytest.param(
        "POST",
        "/api/v3/order",
        order(quoteOrderQty="100"),
        SIGNED,
        not_required("quoteOrderQty"),
        id="limit-with-quote-qty",
    ),
    # symbols
    pytest.param("POST", "/api/v3/order", order(symbol="BTCEUR"), SIGNED, BAD_SYMBOL, id="order-bad-symbol"),
    pytest.param("GET", "/api/v3/depth", [("symbol", "NOPE")], PUBLIC, BAD_SYMBOL, id="depth-bad-symbol"),
    pytest.param(
        "GET", "/api/v3/ticker/price", [("symbols", '["BTCUSDT","NOPE"]')], PUBLIC, BAD_SYMBOL, id="price-bad-symbols"
    ),
    pytest.param(
        "GET",
        "/api/v3/ticker/24hr",
        [("symbol", "BTCUSDT"), ("symbols", '["ETHUSDT"]')],
        PUBLIC,
        COMBO,
        id="symbol-and-symbols",
    ),
    pytest.param(
        "GET",
        "/api/v3/ticker/bookTicker",
        [("symbols", '["BTCUSDT","BTCUSDT"]')],
        PUBLIC,
        (400, -1151, "Symbol is present multiple times in the list."),
        id="duplicate-symbols",
    ),
    pytest.param(
        "GET",
        "/api/v3/exchangeInfo",
        [("symbols", "BTCUSDT")],
        PUBLIC,
        illegal("symbols", '["ITEM1","ITEM2"]'),
        id="symbols-not-a-list",
    ),
    # intervals, windows and limits
    pytest.param(
        "GET",
        "/api/v3/klines",
        [("symbol", "BTCUSDT"), ("interval", "2m")],
        PUBLIC,
        (400, -1120, "Invalid interval."),
        id="bad-interval",
    ),
    pytest.param(
        "GET",
        "/api/v3/klines",
        [("symbol", "BTCUSDT"), ("interval", "1m"), ("startTime", str(T0 + 1)), ("endTime", str(T0))],
        PUBLIC,
        COMBO,
        id="klines-start-after-end",
    ),
    pytest.param(
        "GET",
        "/api/v3/allOrders",
        [("symbol", "BTCUSDT"), ("startTime", str(T0)), ("endTime", str(T0 + DAY + 1))],
        SIGNED,
        (400, -1127, "More than 24 hours between startTime and endTime."),
        id="all-orders-window",
    ),
    pytest.param(
        "GET",
        "/api/v3/myTrades",
        [("symbol", "BTCUSDT"), ("startTime", str(T0)), ("endTime", str(T0 + DAY + 1))],
        SIGNED,
        (400, -1127, "More than 24 hours between startTime and endTime."),
        id="my-trades-window",
    ),
    pytest.param(
        "GET",
        "/api/v3/myTrades",
        [("symbol", "BTCUSDT"), ("startTime", str(T0 + 5)), ("endTime", str(T0))],
        SIGNED,
        COMBO,
        id="my-trades-start-after-end",
    ),
    pytest.param(
        "GET",
        "/api/v3/myTrades",
        [("symbol", "BTCUSDT"), ("fromId", "1"), ("startTime", str(T0))],
        SIGNED,
        COMBO,
        id="my-trades-from-id-and-time",
    ),
    pytest.param(
        "GET",
        "/api/v3/aggTrades",
        [("symbol", "BTCUSDT"), ("startTime", str(T0)), ("endTime", str(T0 + HOUR + 1))],
        PUBLIC,
        (400, -1127, "More than 1 hours between startTime and endTime."),
        id="agg-trades-window",
    ),
    pytest.param(
        "GET",
        "/api/v3/aggTrades",
        [("symbol", "BTCUSDT"), ("fromId", "1"), ("endTime", str(T0))],
        PUBLIC,
        COMBO,
        id="agg-trades-from-id-and-time",
    ),
    pytest.param(
        "GET",
        "/api/v3/depth",
        [("symbol", "BTCUSDT"), ("limit", "0")],
        PUBLIC,
        illegal("limit", "[1, 5000]"),
        id="depth-limit-0",
    ),
    pytest.param(
        "GET",
        "/api/v3/trades",
        [("symbol", "BTCUSDT"), ("limit", "1001")],
        PUBLIC,
        illegal("limit", "[1, 1000]"),
        id="trades-limit-1001",
    ),
    pytest.param(
        "GET",
        "/api/v3/klines",
        [("symbol", "BTCUSDT"), ("interval", "1m"), ("limit", "0")],
        PUBLIC,
        illegal("limit", "[1, 1000]"),
        id="klines-limit-0",
    ),
    pytest.param(
        "GET",
        "/api/v3/allOrders",
        [("symbol", "BTCUSDT"), ("limit", "1001")],
        SIGNED,
        illegal("limit", "[1, 1000]"),
        id="all-orders-limit",
    ),
    pytest.param(
        "GET",
        "/api/v3/ticker",
        [("symbol", "BTCUSDT"), ("windowSize", "8d")],
        PUBLIC,
        (400, -1130, "Invalid data sent for a parameter. Parameter 'windowSize'."),
        id="window-size-8d",
    ),
    pytest.param(
        "GET",
        "/api/v3/klines",
        [("symbol", "BTCUSDT"), ("interval", "1h"), ("timeZone", "+15:00")],
        PUBLIC,
        (400, -1130, "Invalid data sent for a parameter. Parameter 'timeZone'."),
        id="time-zone-out-of-range",
    ),
    # recvWindow
    pytest.param(
        "GET",
        "/api/v3/account",
        [("recvWindow", "60001")],
        SIGNED,
        (400, -1131, "recvWindow must be less than 60000"),
        id="recv-window-60001",
    ),
    pytest.param(
        "POST",
        "/api/v3/order",
        order(recvWindow="70000"),
        SIGNED,
        (400, -1131, "recvWindow must be less than 60000"),
        id="order-recv-window",
    ),
    # failures after parsing: filters and balance
    pytest.param(
        "POST",
        "/api/v3/order",
        order(quantity="0.000001"),
        SIGNED,
        (400, -1013, "Filter failure: LOT_SIZE"),
        id="lot-size",
    ),
    pytest.param(
        "POST",
        "/api/v3/order",
        order(price="50000.001"),
        SIGNED,
        (400, -1013, "Filter failure: PRICE_FILTER"),
        id="price-tick",
    ),
    pytest.param(
        "POST",
        "/api/v3/order",
        order(quantity="0.00001"),
        SIGNED,
        (400, -1013, "Filter failure: NOTIONAL"),
        id="notional",
    ),
    pytest.param("POST", "/api/v3/order", order(quantity="10"), SIGNED, INSUFFICIENT, id="insufficient"),
    pytest.param(
        "POST",
        "/api/v3/order",
        order(trailingDelta="100"),
        SIGNED,
        (400, -2010, "Trailing stop orders are not supported for this symbol."),
        id="trailing",
    ),
    pytest.param(
        "GET",
        "/api/v3/order",
        [("symbol", "BTCUSDT"), ("orderId", "999")],
        SIGNED,
        (400, -2013, "Order does not exist."),
        id="query-unknown",
    ),
    pytest.param(
        "DELETE",
        "/api/v3/order",
        [("symbol", "BTCUSDT"), ("orderId", "999")],
        SIGNED,
        (400, -2011, "Unknown order sent."),
        id="cancel-unknown",
    ),
    pytest.param(
        "DELETE",
        "/api/v3/openOrders",
        [("symbol", "ETHUSDT")],
        SIGNED,
        (400, -2011, "Unknown order sent."),
        id="cancel-all-none-open",
    ),
]


@pytest.fixture
def resting() -> Sim:
    """A simulator where the demo account has one resting order (so open orders are not empty)."""
    sim = Sim()
    sim.place(**dict(LIMIT, price="40000", newClientOrderId="rest-1"))
    return sim


@pytest.mark.parametrize("method, path, params, signed, expected", PARAM_ERRORS)
def test_parameter_errors_are_exact_and_change_nothing(resting: Sim, method, path, params, signed, expected):
    before = resting.state()
    if signed:
        response = resting.signed(method, path, params)
    else:
        response = resting.public(path, params, method)
    assert error(response) == expected
    assert response.headers["content-type"] == "application/json"
    assert resting.state() == before


def _auth_case(sim: Sim, case: str) -> httpx.Response:
    p = order()
    if case == "no-timestamp":
        return sim.signed("POST", "/api/v3/order", p, add_timestamp=False)
    if case == "bad-timestamp":
        return sim.signed("POST", "/api/v3/order", p, timestamp="17e11")
    if case == "wrong-signature":
        return sim.signed("POST", "/api/v3/order", p, signature="0" * 64)
    if case == "signature-other-secret":
        return sim.signed("POST", "/api/v3/order", p, Trader(0, DEMO_KEY, "another-secret"))
    if case == "stale":
        return sim.signed("POST", "/api/v3/order", p, timestamp=sim.clock.now_ms() - 5001)
    if case == "ahead":
        return sim.signed("POST", "/api/v3/order", p, timestamp=sim.clock.now_ms() + 1001)
    if case == "no-key":
        return sim.signed("POST", "/api/v3/order", p, key=None)
    if case == "unknown-key":
        return sim.signed("POST", "/api/v3/order", p, key="NOSUCHKEY")
    if case == "bad-key-format":
        return sim.signed("POST", "/api/v3/order", p, key="has space")
    if case == "no-signature":
        return sim.client.post(
            "/api/v3/order",
            content=urlencode(p + [("timestamp", sim.clock.now_ms())]),
            headers={"X-MBX-APIKEY": DEMO_KEY, "Content-Type": "application/x-www-form-urlencoded"},
        )
    raise AssertionError(case)


AUTH_ERRORS = {
    "no-timestamp": mandatory("timestamp"),
    "bad-timestamp": illegal("timestamp", "^[0-9]{1,20}$"),
    "wrong-signature": (400, -1022, "Signature for this request is not valid."),
    "signature-other-secret": (400, -1022, "Signature for this request is not valid."),
    "stale": (400, -1021, "Timestamp for this request is outside of the recvWindow."),
    "ahead": (400, -1021, "Timestamp for this request was 1000ms ahead of the server's time."),
    "no-key": (401, -2014, "API-key format invalid."),
    "bad-key-format": (401, -2014, "API-key format invalid."),
    "unknown-key": REJECTED_KEY,
    "no-signature": mandatory("signature"),
}


@pytest.mark.parametrize("case", list(AUTH_ERRORS))
def test_authentication_errors_change_nothing(resting: Sim, case: str):
    before = resting.state()
    assert error(_auth_case(resting, case)) == AUTH_ERRORS[case]
    assert resting.state() == before


def test_timestamp_exactly_at_the_window_edges_is_accepted(resting: Sim):
    now = resting.clock.now_ms()
    resting.ok(resting.signed("GET", "/api/v3/account", timestamp=now - 5000))
    resting.ok(resting.signed("GET", "/api/v3/account", timestamp=now + 1000))
    resting.ok(resting.signed("GET", "/api/v3/account", [("recvWindow", "60000")], timestamp=now - 60000))


def test_unknown_path_and_wrong_method_answer_json(resting: Sim):
    before = resting.state()
    r = resting.client.get("/api/v3/nothingHere")
    assert r.status_code == 404
    body = r.json()
    assert set(body) == {"code", "msg"} and isinstance(body["code"], int) and body["code"] < 0 and body["msg"]
    for method, path in (("POST", "/api/v3/ping"), ("PUT", "/api/v3/order"), ("DELETE", "/api/v3/depth")):
        r = resting.client.request(method, path)
        assert r.status_code == 405, (method, path)
        body = r.json()
        assert set(body) == {"code", "msg"} and body["code"] < 0 and body["msg"]
    assert resting.state() == before


_CHOICE_PROBE = """
from simulator.clock import ManualClock
from simulator.config import SimulatorConfig
from simulator.launcher import build
from tests.harness import ApiClient
sim = build(SimulatorConfig(liquidity=False, demo_api_key="K" * 64, demo_api_secret="S" * 64), clock=ManualClock())
c = ApiClient.in_process(sim.app)
r = c.signed("POST", "/api/v3/order", [("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "LIMIT"),
             ("timeInForce", "GTC"), ("quantity", "0.01"), ("price", "50000"), ("newOrderRespType", "NONE")],
             key="K" * 64, secret="S" * 64, timestamp=1700000000000)
print(r.json()["msg"])
print(c.public("/api/v3/ticker/24hr", [("symbol", "BTCUSDT"), ("type", "SMALL")]).json()["msg"])
"""


@pytest.mark.slow
def test_choice_error_messages_do_not_depend_on_the_hash_seed():
    """Regression: the legal range of a choice was joined from a frozenset, so its order (and the
    message) followed the process's string hash seed."""
    outputs = []
    for seed in ("0", "1"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-c", _CHOICE_PROBE], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert "newOrderRespType" in outputs[0] and "'type'" in outputs[0]
    assert outputs[0] == outputs[1]


# ---- the order lifecycle --------------------------------------------------------------------------

ACK_KEYS = ["symbol", "orderId", "orderListId", "clientOrderId", "transactTime"]
RESULT_KEYS = ACK_KEYS + [
    "price",
    "origQty",
    "executedQty",
    "origQuoteOrderQty",
    "cummulativeQuoteQty",
    "status",
    "timeInForce",
    "type",
    "side",
    "workingTime",
    "selfTradePreventionMode",
]
FULL_KEYS = RESULT_KEYS + ["fills"]
QUERY_KEYS = {
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


def test_new_order_response_types_exact():
    sim = Sim()
    seller = sim.trader({"BTC": "1"})
    ack = sim.place(
        seller, **dict(LIMIT, side="SELL", quantity="0.05", newClientOrderId="maker-1", newOrderRespType="ACK")
    )
    assert ack == {"symbol": "BTCUSDT", "orderId": 1, "orderListId": -1, "clientOrderId": "maker-1", "transactTime": T0}
    assert list(ack) == ACK_KEYS

    sim.clock.advance(1500)
    result = sim.place(
        **dict(LIMIT, price="49000", quantity="0.002", newClientOrderId="rest-1", newOrderRespType="RESULT")
    )
    assert result == {
        "symbol": "BTCUSDT",
        "orderId": 2,
        "orderListId": -1,
        "clientOrderId": "rest-1",
        "transactTime": T0 + 1500,
        "price": "49000.00000000",
        "origQty": "0.00200000",
        "executedQty": "0.00000000",
        "origQuoteOrderQty": "0.00000000",
        "cummulativeQuoteQty": "0.00000000",
        "status": "NEW",
        "timeInForce": "GTC",
        "type": "LIMIT",
        "side": "BUY",
        "workingTime": T0 + 1500,
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }
    assert list(result) == RESULT_KEYS

    full = sim.place(**dict(LIMIT, price="50100", quantity="0.02", newClientOrderId="taker-1", newOrderRespType="FULL"))
    assert full == {
        "symbol": "BTCUSDT",
        "orderId": 3,
        "orderListId": -1,
        "clientOrderId": "taker-1",
        "transactTime": T0 + 1500,
        "price": "50100.00000000",
        "origQty": "0.02000000",
        "executedQty": "0.02000000",
        "origQuoteOrderQty": "0.00000000",
        "cummulativeQuoteQty": "1000.00000000",
        "status": "FILLED",
        "timeInForce": "GTC",
        "type": "LIMIT",
        "side": "BUY",
        "workingTime": T0 + 1500,
        "selfTradePreventionMode": "EXPIRE_MAKER",
        "fills": [
            {
                "price": "50000.00000000",
                "qty": "0.02000000",
                "commission": "0.00002000",
                "commissionAsset": "BTC",
                "tradeId": 1,
            }
        ],
    }
    assert list(full) == FULL_KEYS
    assert list(full["fills"][0]) == ["price", "qty", "commission", "commissionAsset", "tradeId"]


def test_market_order_by_quote_quantity_full():
    sim = Sim()
    seller = sim.trader({"BTC": "1"})
    sim.place(seller, **dict(LIMIT, side="SELL", quantity="0.01", price="50000"))
    sim.place(seller, **dict(LIMIT, side="SELL", quantity="0.01", price="50010"))
    full = sim.place(symbol="BTCUSDT", side="BUY", type="MARKET", quoteOrderQty="750", newClientOrderId="q1")
    assert full["status"] == "FILLED" and full["type"] == "MARKET" and full["price"] == "0.00000000"
    assert full["origQuoteOrderQty"] == "750.00000000"
    # 0.01 at 50000 (500) then 250 / 50010 = 0.00499900... -> 0.00499 in whole steps of 0.00001
    assert full["fills"] == [
        {
            "price": "50000.00000000",
            "qty": "0.01000000",
            "commission": "0.00001000",
            "commissionAsset": "BTC",
            "tradeId": 1,
        },
        {
            "price": "50010.00000000",
            "qty": "0.00499000",
            "commission": "0.00000499",
            "commissionAsset": "BTC",
            "tradeId": 2,
        },
    ]
    assert full["executedQty"] == "0.01499000"
    assert full["cummulativeQuoteQty"] == "749.54990000"


@pytest.mark.parametrize(
    "params, resp_keys",
    [
        ({**LIMIT}, FULL_KEYS),
        ({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.001"}, FULL_KEYS),
        ({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT_MAKER", "quantity": "0.01", "price": "40000"}, ACK_KEYS),
        (
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "STOP_LOSS_LIMIT",
                "quantity": "0.01",
                "price": "95000",
                "stopPrice": "94000",
                "timeInForce": "GTC",
            },
            ACK_KEYS,
        ),
        (
            {"symbol": "BTCUSDT", "side": "SELL", "type": "TAKE_PROFIT", "quantity": "0.01", "stopPrice": "95000"},
            ACK_KEYS,
        ),
    ],
    ids=["LIMIT", "MARKET", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT"],
)
def test_default_response_type(params, resp_keys):
    sim = Sim()
    body = sim.place(**params)
    assert list(body) == resp_keys


def test_query_order_by_id_and_client_id():
    sim = Sim()
    placed = sim.place(**dict(LIMIT, newClientOrderId="mine-1", newOrderRespType="ACK"))
    sim.clock.advance(10)
    by_id = sim.ok(sim.signed("GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": placed["orderId"]}))
    by_cid = sim.ok(sim.signed("GET", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "mine-1"}))
    both = sim.ok(
        sim.signed(
            "GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": placed["orderId"], "origClientOrderId": "mine-1"}
        )
    )
    assert by_id == by_cid == both
    assert set(by_id) == QUERY_KEYS
    assert by_id == {
        "symbol": "BTCUSDT",
        "orderId": 1,
        "orderListId": -1,
        "clientOrderId": "mine-1",
        "price": "50000.00000000",
        "origQty": "0.01000000",
        "executedQty": "0.00000000",
        "cummulativeQuoteQty": "0.00000000",
        "status": "NEW",
        "timeInForce": "GTC",
        "type": "LIMIT",
        "side": "BUY",
        "stopPrice": "0.00000000",
        "icebergQty": "0.00000000",
        "time": T0,
        "updateTime": T0,
        "isWorking": True,
        "workingTime": T0,
        "origQuoteOrderQty": "0.00000000",
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }
    mismatch = sim.signed(
        "GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": placed["orderId"], "origClientOrderId": "someone-else"}
    )
    assert error(mismatch) == (400, -2013, "Order does not exist.")
    # another account cannot see it
    other = sim.trader({"USDT": "10"})
    assert error(sim.signed("GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": 1}, other)) == (
        400,
        -2013,
        "Order does not exist.",
    )


def test_cancel_order_response_ids():
    sim = Sim()
    sim.place(**dict(LIMIT, newClientOrderId="orig-1", newOrderRespType="ACK"))
    sim.clock.advance(7)
    before = sim.venue.balances(sim.demo.account)[0]["USDT"]
    assert before.locked == units("500")
    body = sim.ok(
        sim.signed(
            "DELETE",
            "/api/v3/order",
            {"symbol": "BTCUSDT", "origClientOrderId": "orig-1", "newClientOrderId": "cancel-1"},
        )
    )
    assert body == {
        "symbol": "BTCUSDT",
        "origClientOrderId": "orig-1",
        "orderId": 1,
        "orderListId": -1,
        "clientOrderId": "cancel-1",
        "transactTime": T0 + 7,
        "price": "50000.00000000",
        "origQty": "0.01000000",
        "executedQty": "0.00000000",
        "origQuoteOrderQty": "0.00000000",
        "cummulativeQuoteQty": "0.00000000",
        "status": "CANCELED",
        "timeInForce": "GTC",
        "type": "LIMIT",
        "side": "BUY",
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }
    after = sim.venue.balances(sim.demo.account)[0]["USDT"]
    assert after.locked == 0 and after.free == units("100000")
    # a second cancel of the same order
    again = sim.signed("DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": 1})
    assert error(again) == (400, -2011, "Unknown order sent.")
    # without newClientOrderId the cancel gets a generated one, different from the order's
    sim.place(**dict(LIMIT, newClientOrderId="orig-2"))
    body = sim.ok(sim.signed("DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": 2}))
    assert body["origClientOrderId"] == "orig-2"
    assert body["clientOrderId"] != "orig-2" and len(body["clientOrderId"]) > 0


def test_cancel_restrictions():
    sim = Sim()
    buyer = sim.trader({"USDT": "100000"})
    sim.place(**dict(LIMIT, side="SELL", quantity="0.05", newClientOrderId="partial"))
    sim.place(**dict(LIMIT, side="SELL", quantity="0.05", price="51000", newClientOrderId="fresh"))
    sim.place(buyer, **dict(LIMIT, quantity="0.02"))
    status = sim.ok(sim.signed("GET", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "partial"}))
    assert status["status"] == "PARTIALLY_FILLED" and status["executedQty"] == "0.02000000"
    before = sim.state()
    restricted = (400, -2011, "Order was not canceled due to cancel restrictions.")
    assert (
        error(
            sim.signed(
                "DELETE",
                "/api/v3/order",
                {"symbol": "BTCUSDT", "origClientOrderId": "partial", "cancelRestrictions": "ONLY_NEW"},
            )
        )
        == restricted
    )
    assert (
        error(
            sim.signed(
                "DELETE",
                "/api/v3/order",
                {"symbol": "BTCUSDT", "origClientOrderId": "fresh", "cancelRestrictions": "ONLY_PARTIALLY_FILLED"},
            )
        )
        == restricted
    )
    assert sim.state() == before
    a = sim.ok(
        sim.signed(
            "DELETE",
            "/api/v3/order",
            {"symbol": "BTCUSDT", "origClientOrderId": "partial", "cancelRestrictions": "ONLY_PARTIALLY_FILLED"},
        )
    )
    b = sim.ok(
        sim.signed(
            "DELETE",
            "/api/v3/order",
            {"symbol": "BTCUSDT", "origClientOrderId": "fresh", "cancelRestrictions": "ONLY_NEW"},
        )
    )
    assert (a["status"], a["executedQty"], b["status"]) == ("CANCELED", "0.02000000", "CANCELED")
    sim.venue.engine.check_invariants()


def test_cancel_open_orders():
    sim = Sim()
    before = sim.state()
    assert error(sim.signed("DELETE", "/api/v3/openOrders", {"symbol": "BTCUSDT"})) == (
        400,
        -2011,
        "Unknown order sent.",
    )
    assert sim.state() == before
    sim.place(**dict(LIMIT, price="40000", newClientOrderId="a"))
    sim.place(**dict(LIMIT, price="41000", newClientOrderId="b"))
    sim.place(**dict(LIMIT, symbol="ETHUSDT", price="2000", quantity="0.1", newClientOrderId="c"))
    canceled = sim.ok(sim.signed("DELETE", "/api/v3/openOrders", {"symbol": "BTCUSDT"}))
    assert sorted((c["origClientOrderId"], c["status"], c["orderId"]) for c in canceled) == [
        ("a", "CANCELED", 1),
        ("b", "CANCELED", 2),
    ]
    remaining = sim.ok(sim.signed("GET", "/api/v3/openOrders"))
    assert [(o["symbol"], o["clientOrderId"]) for o in remaining] == [("ETHUSDT", "c")]
    bal = sim.venue.balances(sim.demo.account)[0]["USDT"]
    assert bal.locked == units("200")


def test_duplicate_client_order_id():
    sim = Sim()
    sim.place(**dict(LIMIT, price="40000", newClientOrderId="dup"))
    before = sim.state()
    assert error(sim.signed("POST", "/api/v3/order", order(price="41000", newClientOrderId="dup"))) == (
        400,
        -2010,
        "Duplicate order sent.",
    )
    assert sim.state() == before
    # the same id on another symbol, or by another account, is a different order
    sim.place(**dict(LIMIT, symbol="ETHUSDT", price="2000", quantity="0.1", newClientOrderId="dup"))
    other = sim.trader({"USDT": "1000"})
    sim.place(other, **dict(LIMIT, price="40000", newClientOrderId="dup"))
    # once the order is closed the id is free again, and the id then names the newest order
    sim.ok(sim.signed("DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "dup"}))
    again = sim.place(**dict(LIMIT, price="42000", newClientOrderId="dup"))
    assert again["status"] == "NEW"
    named = sim.ok(sim.signed("GET", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "dup"}))
    assert (named["orderId"], named["price"]) == (again["orderId"], "42000.00000000")


def test_order_test_endpoint():
    sim = Sim()
    sim.place(**dict(LIMIT, price="40000", newClientOrderId="live"))
    before = sim.state()
    assert sim.ok(sim.signed("POST", "/api/v3/order/test", order())) == {}
    assert sim.ok(sim.signed("POST", "/api/v3/order/test", order(MARKET))) == {}
    rates = sim.ok(sim.signed("POST", "/api/v3/order/test", order(computeCommissionRates="true")))
    assert rates == {
        "standardCommissionForOrder": {"maker": "0.00100000", "taker": "0.00100000"},
        "specialCommissionForOrder": {"maker": "0.00000000", "taker": "0.00000000"},
        "taxCommissionForOrder": {"maker": "0.00000000", "taker": "0.00000000"},
        "discount": {
            "enabledForAccount": False,
            "enabledForSymbol": False,
            "discountAsset": "BNB",
            "discount": "0.00000000",
        },
    }
    # the same refusals as a real order
    assert error(sim.signed("POST", "/api/v3/order/test", order(quantity="10"))) == INSUFFICIENT
    assert error(sim.signed("POST", "/api/v3/order/test", order(newClientOrderId="live"))) == (
        400,
        -2010,
        "Duplicate order sent.",
    )
    assert error(sim.signed("POST", "/api/v3/order/test", order(quantity="0.000001"))) == (
        400,
        -1013,
        "Filter failure: LOT_SIZE",
    )
    assert error(sim.signed("POST", "/api/v3/order/test", order(MARKET, price="1"))) == not_required("price")
    assert error(sim.signed("POST", "/api/v3/order/test", order(symbol="NOPE"))) == BAD_SYMBOL
    assert sim.state() == before
    assert sim.ok(sim.signed("GET", "/api/v3/allOrders", {"symbol": "BTCUSDT"}))[-1]["clientOrderId"] == "live"
    assert len(sim.ok(sim.signed("GET", "/api/v3/allOrders", {"symbol": "BTCUSDT"}))) == 1


def test_cancel_replace_success():
    sim = Sim()
    sim.place(**dict(LIMIT, price="40000", newClientOrderId="old"))
    sim.clock.advance(3)
    body = sim.ok(
        sim.signed(
            "POST",
            "/api/v3/order/cancelReplace",
            order(
                price="41000",
                cancelReplaceMode="STOP_ON_FAILURE",
                cancelOrigClientOrderId="old",
                cancelNewClientOrderId="cxl",
                newClientOrderId="new",
                newOrderRespType="RESULT",
            ),
        )
    )
    assert set(body) == {"cancelResult", "newOrderResult", "cancelResponse", "newOrderResponse"}
    assert (body["cancelResult"], body["newOrderResult"]) == ("SUCCESS", "SUCCESS")
    assert body["cancelResponse"] == {
        "symbol": "BTCUSDT",
        "origClientOrderId": "old",
        "orderId": 1,
        "orderListId": -1,
        "clientOrderId": "cxl",
        "transactTime": T0 + 3,
        "price": "40000.00000000",
        "origQty": "0.01000000",
        "executedQty": "0.00000000",
        "origQuoteOrderQty": "0.00000000",
        "cummulativeQuoteQty": "0.00000000",
        "status": "CANCELED",
        "timeInForce": "GTC",
        "type": "LIMIT",
        "side": "BUY",
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }
    assert body["newOrderResponse"] == {
        "symbol": "BTCUSDT",
        "orderId": 2,
        "orderListId": -1,
        "clientOrderId": "new",
        "transactTime": T0 + 3,
        "price": "41000.00000000",
        "origQty": "0.01000000",
        "executedQty": "0.00000000",
        "origQuoteOrderQty": "0.00000000",
        "cummulativeQuoteQty": "0.00000000",
        "status": "NEW",
        "timeInForce": "GTC",
        "type": "LIMIT",
        "side": "BUY",
        "workingTime": T0 + 3,
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }
    opens = sim.ok(sim.signed("GET", "/api/v3/openOrders", {"symbol": "BTCUSDT"}))
    assert [o["clientOrderId"] for o in opens] == ["new"]
    assert sim.venue.balances(sim.demo.account)[0]["USDT"].locked == units("410")


def test_cancel_replace_stop_on_failure_places_nothing():
    sim = Sim()
    sim.place(**dict(LIMIT, price="40000"))
    before = sim.state()
    r = sim.signed(
        "POST",
        "/api/v3/order/cancelReplace",
        order(price="41000", cancelReplaceMode="STOP_ON_FAILURE", cancelOrderId="77"),
    )
    assert r.status_code == 400
    assert r.json() == {
        "code": -2022,
        "msg": "Order cancel-replace failed.",
        "data": {
            "cancelResult": "FAILURE",
            "newOrderResult": "NOT_ATTEMPTED",
            "cancelResponse": {"code": -2011, "msg": "Unknown order sent."},
            "newOrderResponse": None,
        },
    }
    assert sim.state() == before


def test_cancel_replace_allow_failure_places_the_new_order():
    sim = Sim()
    r = sim.signed(
        "POST",
        "/api/v3/order/cancelReplace",
        order(
            price="41000",
            cancelReplaceMode="ALLOW_FAILURE",
            cancelOrderId="77",
            newClientOrderId="placed",
            newOrderRespType="ACK",
        ),
    )
    assert r.status_code == 409
    assert r.json() == {
        "code": -2021,
        "msg": "Order cancel-replace partially failed.",
        "data": {
            "cancelResult": "FAILURE",
            "newOrderResult": "SUCCESS",
            "cancelResponse": {"code": -2011, "msg": "Unknown order sent."},
            "newOrderResponse": {
                "symbol": "BTCUSDT",
                "orderId": 1,
                "orderListId": -1,
                "clientOrderId": "placed",
                "transactTime": T0,
            },
        },
    }
    opens = sim.ok(sim.signed("GET", "/api/v3/openOrders", {"symbol": "BTCUSDT"}))
    assert [o["clientOrderId"] for o in opens] == ["placed"]


def test_cancel_replace_new_order_failing_after_cancel():
    sim = Sim()
    sim.place(**dict(LIMIT, price="40000", newClientOrderId="old"))
    r = sim.signed(
        "POST",
        "/api/v3/order/cancelReplace",
        order(
            quantity="100",
            cancelReplaceMode="STOP_ON_FAILURE",
            cancelOrigClientOrderId="old",
            cancelNewClientOrderId="cx",
        ),
    )
    assert r.status_code == 409
    body = r.json()
    assert (body["code"], body["msg"]) == (-2021, "Order cancel-replace partially failed.")
    assert body["data"]["cancelResult"] == "SUCCESS" and body["data"]["newOrderResult"] == "FAILURE"
    assert body["data"]["cancelResponse"]["status"] == "CANCELED"
    assert body["data"]["cancelResponse"]["clientOrderId"] == "cx"
    assert body["data"]["newOrderResponse"] == {"code": -2010, "msg": INSUFFICIENT[2]}
    assert sim.ok(sim.signed("GET", "/api/v3/openOrders")) == []
    assert sim.venue.balances(sim.demo.account)[0]["USDT"].locked == 0


def test_cancel_replace_both_failing():
    sim = Sim()
    before = sim.state()
    r = sim.signed(
        "POST",
        "/api/v3/order/cancelReplace",
        order(quantity="100", cancelReplaceMode="ALLOW_FAILURE", cancelOrderId="5"),
    )
    assert r.status_code == 400
    assert r.json() == {
        "code": -2022,
        "msg": "Order cancel-replace failed.",
        "data": {
            "cancelResult": "FAILURE",
            "newOrderResult": "FAILURE",
            "cancelResponse": {"code": -2011, "msg": "Unknown order sent."},
            "newOrderResponse": {"code": -2010, "msg": INSUFFICIENT[2]},
        },
    }
    assert sim.state() == before


def test_amend_keep_priority():
    sim = Sim()
    first = sim.trader({"BTC": "1"})
    second = sim.trader({"BTC": "1"})
    sim.place(first, **dict(LIMIT, side="SELL", quantity="0.05", newClientOrderId="f1", newOrderRespType="ACK"))
    sim.clock.advance(1)
    sim.place(second, **dict(LIMIT, side="SELL", quantity="0.05", newClientOrderId="s1", newOrderRespType="ACK"))
    update_id = sim.ok(sim.public("/api/v3/depth", {"symbol": "BTCUSDT"}))["lastUpdateId"]
    sim.clock.advance(1)
    amended = sim.ok(
        sim.signed(
            "PUT",
            "/api/v3/order/amend/keepPriority",
            {"symbol": "BTCUSDT", "orderId": 1, "newQty": "0.03", "newClientOrderId": "f2"},
            first,
        )
    )
    assert amended["transactTime"] == T0 + 2
    assert isinstance(amended["executionId"], int)
    assert amended["amendedOrder"] == {
        "symbol": "BTCUSDT",
        "orderId": 1,
        "orderListId": -1,
        "origClientOrderId": "f1",
        "clientOrderId": "f2",
        "price": "50000.00000000",
        "qty": "0.03000000",
        "executedQty": "0.00000000",
        "preventedQty": "0.00000000",
        "quoteOrderQty": "0.00000000",
        "cumulativeQuoteQty": "0.00000000",
        "status": "NEW",
        "timeInForce": "GTC",
        "type": "LIMIT",
        "side": "SELL",
        "workingTime": T0,
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }
    depth = sim.ok(sim.public("/api/v3/depth", {"symbol": "BTCUSDT"}))
    assert depth["asks"] == [["50000.00000000", "0.08000000"]]
    assert depth["lastUpdateId"] > update_id
    assert sim.venue.balances(first.account)[0]["BTC"].locked == units("0.03")
    # same quantity, larger quantity: refused, nothing changes
    before = sim.state(first)
    assert error(
        sim.signed(
            "PUT", "/api/v3/order/amend/keepPriority", {"symbol": "BTCUSDT", "orderId": 1, "newQty": "0.03"}, first
        )
    ) == (400, -2010, "The requested action would change no state; rejecting.")
    assert error(
        sim.signed(
            "PUT", "/api/v3/order/amend/keepPriority", {"symbol": "BTCUSDT", "orderId": 1, "newQty": "0.04"}, first
        )
    ) == (400, -2010, "Order amend (quantity increase) is not supported.")
    assert error(
        sim.signed(
            "PUT", "/api/v3/order/amend/keepPriority", {"symbol": "BTCUSDT", "orderId": 2, "newQty": "0.01"}, first
        )
    ) == (400, -2013, "Order does not exist.")
    assert sim.state(first) == before
    # a buy taking part of the level still meets the amended (first) order first
    taken = sim.place(**dict(LIMIT, quantity="0.02", newOrderRespType="FULL"))
    assert [f["qty"] for f in taken["fills"]] == ["0.02000000"]
    f = sim.ok(sim.signed("GET", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "f2"}, first))
    s = sim.ok(sim.signed("GET", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "s1"}, second))
    assert (f["status"], f["executedQty"], f["origQty"]) == ("PARTIALLY_FILLED", "0.02000000", "0.03000000")
    assert (s["status"], s["executedQty"]) == ("NEW", "0.00000000")
    sim.venue.engine.check_invariants()


def test_time_in_force_self_trade_prevention_and_stops():
    sim = Sim()
    other = sim.trader({"BTC": "1", "USDT": "100000"})
    sim.place(other, **dict(LIMIT, side="SELL", quantity="0.05", newOrderRespType="ACK"))
    fok = sim.place(**dict(LIMIT, quantity="0.06", timeInForce="FOK"))
    assert (fok["status"], fok["executedQty"], fok["fills"]) == ("EXPIRED", "0.00000000", [])
    ioc = sim.place(**dict(LIMIT, quantity="0.06", timeInForce="IOC"))
    assert (ioc["status"], ioc["executedQty"], ioc["cummulativeQuoteQty"]) == ("EXPIRED", "0.05000000", "2500.00000000")
    assert sim.venue.balances(sim.demo.account)[0]["USDT"].locked == 0
    # self-trade prevention against the account's own resting sell
    sim.place(**dict(LIMIT, side="SELL", quantity="0.02", price="51000", newClientOrderId="own"))
    taker = sim.place(**dict(LIMIT, price="51000", selfTradePreventionMode="EXPIRE_TAKER"))
    assert (taker["status"], taker["fills"]) == ("EXPIRED_IN_MATCH", [])
    query = sim.ok(sim.signed("GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": taker["orderId"]}))
    assert query["preventedQuantity"] == "0.01000000"
    dec = sim.place(**dict(LIMIT, price="51000", quantity="0.005", selfTradePreventionMode="DECREMENT"))
    assert dec["status"] == "EXPIRED_IN_MATCH"
    own = sim.ok(sim.signed("GET", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "own"}))
    assert (own["status"], own["preventedQuantity"]) == ("NEW", "0.00500000")
    assert sim.ok(sim.public("/api/v3/depth", {"symbol": "BTCUSDT"}))["asks"] == [["51000.00000000", "0.01500000"]]
    # a stop waits (not working) until a trade reaches its stop price, then rests as a limit order
    sim.place(other, **dict(LIMIT, side="SELL", quantity="0.01", price="51500", newOrderRespType="ACK"))
    stop = sim.place(
        other,
        symbol="BTCUSDT",
        side="BUY",
        type="STOP_LOSS_LIMIT",
        quantity="0.01",
        stopPrice="51500",
        price="52000",
        timeInForce="GTC",
        newClientOrderId="stop-1",
    )
    waiting = sim.ok(sim.signed("GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": stop["orderId"]}, other))
    assert (waiting["isWorking"], waiting["workingTime"], waiting["stopPrice"]) == (False, -1, "51500.00000000")
    assert error(
        sim.signed("POST", "/api/v3/order", order(type="STOP_LOSS_LIMIT", stopPrice="40000", price="40000"), other)
    ) == (400, -2010, "Order would trigger immediately.")
    sim.clock.advance(9)
    sim.place(**dict(LIMIT, quantity="0.025", price="51500", selfTradePreventionMode="NONE"))  # trades at 51500
    fired = sim.ok(sim.signed("GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": stop["orderId"]}, other))
    assert (fired["isWorking"], fired["workingTime"], fired["status"]) == (True, T0 + 9, "NEW")
    assert sim.ok(sim.public("/api/v3/depth", {"symbol": "BTCUSDT", "limit": 1}))["bids"] == [
        ["52000.00000000", "0.01000000"]
    ]
    sim.venue.engine.check_invariants()


# ---- paging --------------------------------------------------------------------------------------


def ids(rows: list[dict], key: str = "orderId") -> list[int]:
    return [r[key] for r in rows]


def test_all_orders_paging():
    sim = Sim()
    for i in range(6):  # orders 1..6 at T0, T0+1m, ... T0+5m
        sim.place(**dict(LIMIT, price=str(40000 + i), newOrderRespType="ACK"))
        sim.clock.advance(MIN)

    def all_orders(**params):
        return ids(sim.ok(sim.signed("GET", "/api/v3/allOrders", {"symbol": "BTCUSDT", **params})))

    assert all_orders() == [1, 2, 3, 4, 5, 6]
    assert all_orders(limit=2) == [5, 6]
    assert all_orders(orderId=3) == [3, 4, 5, 6]
    assert all_orders(orderId=3, limit=2) == [3, 4]
    assert all_orders(startTime=T0 + MIN, endTime=T0 + 3 * MIN) == [2, 3, 4]
    assert all_orders(startTime=T0 + MIN + 1, endTime=T0 + 3 * MIN - 1) == [3]
    assert all_orders(startTime=T0 + 2 * MIN, limit=2) == [3, 4]
    assert all_orders(startTime=T0 + 10 * MIN) == []
    assert all_orders(orderId=7) == []
    rows = sim.ok(sim.signed("GET", "/api/v3/allOrders", {"symbol": "BTCUSDT", "orderId": 2, "limit": 1}))
    assert rows[0]["time"] == T0 + MIN and rows[0]["price"] == "40001.00000000"
    assert sim.ok(sim.signed("GET", "/api/v3/allOrders", {"symbol": "ETHUSDT"})) == []


def _five_trades(sim: Sim) -> tuple[Trader, list[int]]:
    """A seller rests 0.1 BTC at 50000; the demo account buys 0.01 five times, a minute apart."""
    seller = sim.trader({"BTC": "1"})
    sim.place(seller, **dict(LIMIT, side="SELL", quantity="0.1", newOrderRespType="ACK"))
    buys = []
    for _ in range(5):
        buys.append(sim.place(**dict(LIMIT, newOrderRespType="ACK"))["orderId"])
        sim.clock.advance(MIN)
    return seller, buys


def test_my_trades_paging():
    sim = Sim()
    seller, buys = _five_trades(sim)

    def trades(trader=None, **params):
        return sim.ok(sim.signed("GET", "/api/v3/myTrades", {"symbol": "BTCUSDT", **params}, trader))

    assert ids(trades(), "id") == [1, 2, 3, 4, 5]
    assert ids(trades(limit=2), "id") == [4, 5]
    assert ids(trades(fromId=3), "id") == [3, 4, 5]
    assert ids(trades(fromId=3, limit=2), "id") == [3, 4]
    assert ids(trades(orderId=buys[2]), "id") == [3]
    assert ids(trades(startTime=T0 + MIN, endTime=T0 + 2 * MIN), "id") == [2, 3]
    assert ids(trades(startTime=T0 + 3 * MIN), "id") == [4, 5]
    assert trades(orderId=buys[1]) == [
        {
            "symbol": "BTCUSDT",
            "id": 2,
            "orderId": buys[1],
            "orderListId": -1,
            "price": "50000.00000000",
            "qty": "0.01000000",
            "quoteQty": "500.00000000",
            "commission": "0.00001000",
            "commissionAsset": "BTC",
            "time": T0 + MIN,
            "isBuyer": True,
            "isMaker": False,
            "isBestMatch": True,
        }
    ]
    maker = trades(seller)
    assert ids(maker, "id") == [1, 2, 3, 4, 5] and set(ids(maker)) == {1}
    assert all(
        t["isMaker"] and not t["isBuyer"] and t["commissionAsset"] == "USDT" and t["commission"] == "0.50000000"
        for t in maker
    )


def test_public_trades_paging():
    sim = Sim()
    _five_trades(sim)
    trades = sim.ok(sim.public("/api/v3/trades", {"symbol": "BTCUSDT", "limit": 2}))
    assert trades == [
        {
            "id": 4,
            "price": "50000.00000000",
            "qty": "0.01000000",
            "quoteQty": "500.00000000",
            "time": T0 + 3 * MIN,
            "isBuyerMaker": False,
            "isBestMatch": True,
        },
        {
            "id": 5,
            "price": "50000.00000000",
            "qty": "0.01000000",
            "quoteQty": "500.00000000",
            "time": T0 + 4 * MIN,
            "isBuyerMaker": False,
            "isBestMatch": True,
        },
    ]
    assert ids(sim.ok(sim.public("/api/v3/trades", {"symbol": "BTCUSDT"})), "id") == [1, 2, 3, 4, 5]
    hist = sim.ok(sim.public("/api/v3/historicalTrades", {"symbol": "BTCUSDT", "fromId": 2, "limit": 2}))
    assert ids(hist, "id") == [2, 3]
    assert ids(sim.ok(sim.public("/api/v3/historicalTrades", {"symbol": "BTCUSDT", "limit": 1})), "id") == [5]
    assert ids(sim.ok(sim.public("/api/v3/aggTrades", {"symbol": "BTCUSDT", "limit": 2})), "a") == [4, 5]
    assert ids(sim.ok(sim.public("/api/v3/aggTrades", {"symbol": "BTCUSDT", "fromId": 2, "limit": 2})), "a") == [2, 3]
    window = sim.ok(
        sim.public("/api/v3/aggTrades", {"symbol": "BTCUSDT", "startTime": T0 + MIN, "endTime": T0 + 2 * MIN})
    )
    assert ids(window, "a") == [2, 3]


def test_agg_trades_aggregate_one_taker_at_one_price():
    sim = Sim()
    a, b = sim.trader({"BTC": "1"}), sim.trader({"BTC": "1"})
    sim.place(a, **dict(LIMIT, side="SELL", quantity="0.01"))
    sim.place(b, **dict(LIMIT, side="SELL", quantity="0.02"))
    sim.place(a, **dict(LIMIT, side="SELL", quantity="0.01", price="50010"))
    sim.clock.advance(5)
    full = sim.place(**dict(LIMIT, quantity="0.04", price="50010"))
    assert [f["tradeId"] for f in full["fills"]] == [1, 2, 3]
    aggs = sim.ok(sim.public("/api/v3/aggTrades", {"symbol": "BTCUSDT"}))
    assert aggs == [
        {"a": 1, "p": "50000.00000000", "q": "0.03000000", "f": 1, "l": 2, "T": T0 + 5, "m": False, "M": True},
        {"a": 2, "p": "50010.00000000", "q": "0.01000000", "f": 3, "l": 3, "T": T0 + 5, "m": False, "M": True},
    ]


def test_klines_selection():
    sim = Sim()
    seller = sim.trader({"BTC": "1"})
    # trades: minute 0 at 50000 and 50100, minute 1 at 49900, minute 6 at 50200; minutes 2..5 are quiet
    plan = [(0, "50000", "0.01"), (30_000, "50100", "0.02"), (MIN, "49900", "0.01"), (6 * MIN, "50200", "0.03")]
    for at, price, qty in plan:
        sim.clock.set(T0 + at)
        sim.place(seller, **dict(LIMIT, side="SELL", price=price, quantity=qty))
        sim.place(**dict(LIMIT, price=price, quantity=qty))

    def klines(**params):
        return sim.ok(sim.public("/api/v3/klines", {"symbol": "BTCUSDT", **params}))

    def opens(**params):
        return [k[0] for k in klines(**params)]

    one_min = klines(interval="1m")
    assert one_min[0] == [
        T0,
        "50000.00000000",
        "50100.00000000",
        "50000.00000000",
        "50100.00000000",
        "0.03000000",
        T0 + MIN - 1,
        "1502.00000000",
        2,
        "0.03000000",
        "1502.00000000",
        "0",
    ]
    # continuous up to now (minute 6): the quiet minutes are flat candles at the previous close
    assert [k[0] for k in one_min] == [T0 + m * MIN for m in range(7)]
    assert one_min[2] == [
        T0 + 2 * MIN,
        "49900.00000000",
        "49900.00000000",
        "49900.00000000",
        "49900.00000000",
        "0.00000000",
        T0 + 3 * MIN - 1,
        "0.00000000",
        0,
        "0.00000000",
        "0.00000000",
        "0",
    ]
    assert one_min[2:6] == [
        [T0 + m * MIN, *one_min[2][1:6], T0 + (m + 1) * MIN - 1, *one_min[2][7:]] for m in range(2, 6)
    ]
    assert opens(interval="1m", limit=2) == [T0 + 5 * MIN, T0 + 6 * MIN]
    assert opens(interval="1m", startTime=T0, limit=2) == [T0, T0 + MIN]
    assert opens(interval="1m", startTime=T0 + MIN, endTime=T0 + 5 * MIN) == [T0 + m * MIN for m in range(1, 6)]
    assert opens(interval="1m", startTime=T0 + 2 * MIN, endTime=T0 + 5 * MIN, limit=2) == [T0 + 2 * MIN, T0 + 3 * MIN]
    assert opens(interval="1m", endTime=T0 + MIN) == [T0, T0 + MIN]
    assert opens(interval="1m", endTime=T0 + 4 * MIN, limit=2) == [T0 + 3 * MIN, T0 + 4 * MIN]
    assert opens(interval="1m", startTime=T0 - HOUR, limit=1) == [T0]  # nothing before the first trade
    assert klines(interval="1m", endTime=T0 - 1) == []
    five = klines(interval="5m")
    assert five == [
        [
            T0,
            "50000.00000000",
            "50100.00000000",
            "49900.00000000",
            "49900.00000000",
            "0.04000000",
            T0 + 5 * MIN - 1,
            "2001.00000000",
            3,
            "0.04000000",
            "2001.00000000",
            "0",
        ],
        [
            T0 + 5 * MIN,
            "50200.00000000",
            "50200.00000000",
            "50200.00000000",
            "50200.00000000",
            "0.03000000",
            T0 + 10 * MIN - 1,
            "1506.00000000",
            1,
            "0.03000000",
            "1506.00000000",
            "0",
        ],
    ]
    assert klines(interval="1h") == [
        [
            T0,
            "50000.00000000",
            "50200.00000000",
            "49900.00000000",
            "50200.00000000",
            "0.07000000",
            T0 + HOUR - 1,
            "3507.00000000",
            4,
            "0.07000000",
            "3507.00000000",
            "0",
        ]
    ]
    assert sim.ok(sim.public("/api/v3/uiKlines", {"symbol": "BTCUSDT", "interval": "1h"})) == klines(interval="1h")
    # time passes without trades: the candle holding the server's now is open and flat; none after it
    sim.clock.set(T0 + 12 * MIN + 30_000)
    assert opens(interval="1m", startTime=T0 + 6 * MIN) == [T0 + m * MIN for m in range(6, 13)]
    assert klines(interval="1m", limit=1) == [
        [
            T0 + 12 * MIN,
            *["50200.00000000"] * 4,
            "0.00000000",
            T0 + 13 * MIN - 1,
            "0.00000000",
            0,
            "0.00000000",
            "0.00000000",
            "0",
        ]
    ]
    assert opens(interval="5m") == [T0, T0 + 5 * MIN, T0 + 10 * MIN]
    assert opens(interval="1m", endTime=T0 + DAY, limit=2) == [T0 + 11 * MIN, T0 + 12 * MIN]
    assert klines(interval="1m", startTime=T0 + 13 * MIN) == []
    assert len(klines(interval="1s", startTime=T0 + 6 * MIN, limit=1000)) == 6 * 60 + 31
    assert sim.ok(sim.public("/api/v3/uiKlines", {"symbol": "BTCUSDT", "interval": "1m", "limit": 3})) == klines(
        interval="1m", limit=3
    )


@pytest.mark.parametrize("bound", ["startTime", "endTime"])
@pytest.mark.parametrize("interval", ["1M", "1w", "1d", "1s"])
@pytest.mark.parametrize("when", [2**47, 253_402_300_800_000, 2**53, 2**63])
def test_far_future_kline_times_are_not_an_internal_error(bound: str, interval: str, when: int):
    """Regression: 1M klines with a time past year 9999 (then inside the accepted range) raised in
    the calendar code -> 400 -1000. Any time is either refused as a parameter or answers []."""
    sim = Sim()
    _five_trades(sim)
    r = sim.public("/api/v3/klines", {"symbol": "BTCUSDT", "interval": interval, bound: str(when)})
    if r.status_code == 200:
        rows = r.json()
        assert rows == [] if bound == "startTime" else len(rows) >= 1
    else:
        status, code, _ = error(r)
        assert status == 400 and code in (-1100, -1130)


# ---- market data ----------------------------------------------------------------------------------


def test_depth_levels_limit_and_update_id():
    sim = Sim()
    a = sim.trader({"ETH": "10", "USDT": "100000"})
    b = sim.trader({"ETH": "10", "USDT": "100000"})
    eth = dict(LIMIT, symbol="ETHUSDT", newOrderRespType="ACK")
    seen = [sim.ok(sim.public("/api/v3/depth", {"symbol": "ETHUSDT"}))["lastUpdateId"]]

    def step():
        seen.append(sim.ok(sim.public("/api/v3/depth", {"symbol": "ETHUSDT"}))["lastUpdateId"])
        assert seen[-1] > seen[-2], seen

    for trader, side, price, qty in (
        (a, "SELL", "3001", "0.5"),
        (b, "SELL", "3001", "0.25"),
        (a, "SELL", "3002", "1"),
        (b, "BUY", "2999", "0.3"),
        (a, "BUY", "2999", "0.2"),
        (b, "BUY", "2998", "1"),
    ):
        sim.place(trader, **dict(eth, side=side, price=price, quantity=qty))
        step()
    depth = sim.ok(sim.public("/api/v3/depth", {"symbol": "ETHUSDT"}))
    assert depth == {
        "lastUpdateId": seen[-1],
        "bids": [["2999.00000000", "0.50000000"], ["2998.00000000", "1.00000000"]],
        "asks": [["3001.00000000", "0.75000000"], ["3002.00000000", "1.00000000"]],
    }
    assert sim.ok(sim.public("/api/v3/depth", {"symbol": "ETHUSDT", "limit": 1})) == {
        "lastUpdateId": seen[-1],
        "bids": [["2999.00000000", "0.50000000"]],
        "asks": [["3001.00000000", "0.75000000"]],
    }
    # a refused order and a read change nothing
    r = sim.signed("POST", "/api/v3/order", order(eth, price="3000", quantity="100"), a)
    assert error(r) == INSUFFICIENT
    assert sim.ok(sim.public("/api/v3/depth", {"symbol": "ETHUSDT"}))["lastUpdateId"] == seen[-1]
    # a fill, a cancel and an amend each move it
    sim.place(**dict(eth, side="BUY", price="3001", quantity="0.1"))
    step()
    sim.ok(sim.signed("DELETE", "/api/v3/order", {"symbol": "ETHUSDT", "orderId": 3}, a))
    step()
    sim.ok(
        sim.signed("PUT", "/api/v3/order/amend/keepPriority", {"symbol": "ETHUSDT", "orderId": 6, "newQty": "0.5"}, b)
    )
    step()
    assert sim.ok(sim.public("/api/v3/depth", {"symbol": "ETHUSDT"})) == {
        "lastUpdateId": seen[-1],
        "bids": [["2999.00000000", "0.50000000"], ["2998.00000000", "0.50000000"]],
        "asks": [["3001.00000000", "0.65000000"]],
    }
    # other markets keep their own ids
    assert sim.ok(sim.public("/api/v3/depth", {"symbol": "BTCUSDT"})) == {"lastUpdateId": 0, "bids": [], "asks": []}


def _three_eth_trades(sim: Sim) -> None:
    """ETHUSDT: 1 @ 3000 at T0 (taker buys), 2 @ 3010 at T0+1m (taker buys), 1 @ 2990 at T0+2m (taker
    sells); then a resting bid 0.5 @ 2980 and ask 0.7 @ 3020; the clock ends at T0+3m."""
    mm = sim.trader({"ETH": "100", "USDT": "1000000"})
    eth = dict(LIMIT, symbol="ETHUSDT", newOrderRespType="ACK")
    sim.place(mm, **dict(eth, side="SELL", price="3000", quantity="1"))
    sim.place(**dict(eth, side="BUY", price="3000", quantity="1"))
    sim.clock.advance(MIN)
    sim.place(mm, **dict(eth, side="SELL", price="3010", quantity="2"))
    sim.place(**dict(eth, side="BUY", price="3010", quantity="2"))
    sim.clock.advance(MIN)
    sim.place(mm, **dict(eth, side="BUY", price="2990", quantity="1"))
    sim.place(**dict(eth, side="SELL", price="2990", quantity="1"))
    sim.place(mm, **dict(eth, side="BUY", price="2980", quantity="0.5"))
    sim.place(mm, **dict(eth, side="SELL", price="3020", quantity="0.7"))
    sim.clock.advance(MIN)


FULL_TICKER_KEYS = [
    "symbol",
    "priceChange",
    "priceChangePercent",
    "weightedAvgPrice",
    "prevClosePrice",
    "lastPrice",
    "lastQty",
    "bidPrice",
    "bidQty",
    "askPrice",
    "askQty",
    "openPrice",
    "highPrice",
    "lowPrice",
    "volume",
    "quoteVolume",
    "openTime",
    "closeTime",
    "firstId",
    "lastId",
    "count",
]
MINI_TICKER_KEYS = [
    "symbol",
    "openPrice",
    "highPrice",
    "lowPrice",
    "lastPrice",
    "volume",
    "quoteVolume",
    "openTime",
    "closeTime",
    "firstId",
    "lastId",
    "count",
]
ROLLING_KEYS = [
    "symbol",
    "priceChange",
    "priceChangePercent",
    "weightedAvgPrice",
    "openPrice",
    "highPrice",
    "lowPrice",
    "lastPrice",
    "volume",
    "quoteVolume",
    "openTime",
    "closeTime",
    "firstId",
    "lastId",
    "count",
]


def test_ticker_24hr():
    sim = Sim()
    _three_eth_trades(sim)
    now = T0 + 3 * MIN
    one = sim.ok(sim.public("/api/v3/ticker/24hr", {"symbol": "ETHUSDT"}))
    assert sorted(one) == sorted(FULL_TICKER_KEYS)
    one.pop("prevClosePrice")  # see test_ticker_24hr_prev_close_price
    assert one == {
        "symbol": "ETHUSDT",
        "priceChange": "-10.00000000",
        "priceChangePercent": "-0.333",
        "weightedAvgPrice": "3002.50000000",
        "lastPrice": "2990.00000000",
        "lastQty": "1.00000000",
        "bidPrice": "2980.00000000",
        "bidQty": "0.50000000",
        "askPrice": "3020.00000000",
        "askQty": "0.70000000",
        "openPrice": "3000.00000000",
        "highPrice": "3010.00000000",
        "lowPrice": "2990.00000000",
        "volume": "4.00000000",
        "quoteVolume": "12010.00000000",
        "openTime": now - DAY,
        "closeTime": now,
        "firstId": 1,
        "lastId": 3,
        "count": 3,
    }
    mini = sim.ok(sim.public("/api/v3/ticker/24hr", {"symbol": "ETHUSDT", "type": "MINI"}))
    assert sorted(mini) == sorted(MINI_TICKER_KEYS)
    assert {k: one[k] for k in MINI_TICKER_KEYS} == mini
    many = sim.ok(sim.public("/api/v3/ticker/24hr", {"symbols": '["ETHUSDT","BTCUSDT"]'}))
    assert isinstance(many, list) and [t["symbol"] for t in many] == ["ETHUSDT", "BTCUSDT"]
    assert many[1]["count"] == 0 and many[1]["firstId"] == -1 and many[1]["lastId"] == -1
    assert many[1]["lastPrice"] == "0.00000000"
    every = sim.ok(sim.public("/api/v3/ticker/24hr"))
    assert [t["symbol"] for t in every] == [m.symbol for m in DEFAULT_MARKETS]
    # the window moves: a day later the trades are gone from it
    sim.clock.advance(DAY)
    later = sim.ok(sim.public("/api/v3/ticker/24hr", {"symbol": "ETHUSDT"}))
    assert (later["count"], later["volume"], later["lastPrice"]) == (0, "0.00000000", "2990.00000000")


def test_ticker_24hr_prev_close_price():
    """Regression: prevClosePrice was the window's own last price, not the last one before it."""
    sim = Sim()
    mm = sim.trader({"ETH": "100", "USDT": "1000000"})
    eth = dict(LIMIT, symbol="ETHUSDT", newOrderRespType="ACK")
    sim.place(mm, **dict(eth, side="SELL", price="3000", quantity="1"))
    sim.place(**dict(eth, side="BUY", price="3000", quantity="1"))
    sim.clock.advance(DAY + HOUR)
    sim.place(mm, **dict(eth, side="SELL", price="3100", quantity="1"))
    sim.place(**dict(eth, side="BUY", price="3100", quantity="1"))
    t = sim.ok(sim.public("/api/v3/ticker/24hr", {"symbol": "ETHUSDT"}))
    assert (t["openPrice"], t["lastPrice"], t["count"]) == ("3100.00000000", "3100.00000000", 1)
    assert t["prevClosePrice"] == "3000.00000000"


def test_rolling_ticker():
    sim = Sim()
    _three_eth_trades(sim)
    now = T0 + 3 * MIN
    day = sim.ok(sim.public("/api/v3/ticker", {"symbol": "ETHUSDT"}))
    assert list(day) == ROLLING_KEYS
    assert (day["openPrice"], day["lastPrice"], day["count"], day["volume"]) == (
        "3000.00000000",
        "2990.00000000",
        3,
        "4.00000000",
    )
    two = sim.ok(sim.public("/api/v3/ticker", {"symbol": "ETHUSDT", "windowSize": "2m"}))
    assert two == {
        "symbol": "ETHUSDT",
        "priceChange": "-20.00000000",
        "priceChangePercent": "-0.664",
        "weightedAvgPrice": "3003.33333333",
        "openPrice": "3010.00000000",
        "highPrice": "3010.00000000",
        "lowPrice": "2990.00000000",
        "lastPrice": "2990.00000000",
        "volume": "3.00000000",
        "quoteVolume": "9010.00000000",
        "openTime": now - 2 * MIN,
        "closeTime": now,
        "firstId": 2,
        "lastId": 3,
        "count": 2,
    }
    mini = sim.ok(sim.public("/api/v3/ticker", {"symbols": '["ETHUSDT"]', "windowSize": "1m", "type": "MINI"}))
    assert isinstance(mini, list) and len(mini) == 1
    assert list(mini[0]) == MINI_TICKER_KEYS
    assert (mini[0]["firstId"], mini[0]["lastId"], mini[0]["openPrice"]) == (3, 3, "2990.00000000")


def test_price_book_ticker_and_avg_price():
    sim = Sim()
    _three_eth_trades(sim)
    assert sim.ok(sim.public("/api/v3/ticker/price", {"symbol": "ETHUSDT"})) == {
        "symbol": "ETHUSDT",
        "price": "2990.00000000",
    }
    prices = sim.ok(sim.public("/api/v3/ticker/price"))
    assert [p["symbol"] for p in prices] == [m.symbol for m in DEFAULT_MARKETS]
    assert sim.ok(sim.public("/api/v3/ticker/price", {"symbols": '["ETHUSDT"]'})) == [
        {"symbol": "ETHUSDT", "price": "2990.00000000"}
    ]
    assert sim.ok(sim.public("/api/v3/ticker/bookTicker", {"symbol": "ETHUSDT"})) == {
        "symbol": "ETHUSDT",
        "bidPrice": "2980.00000000",
        "bidQty": "0.50000000",
        "askPrice": "3020.00000000",
        "askQty": "0.70000000",
    }
    books = sim.ok(sim.public("/api/v3/ticker/bookTicker", {"symbols": '["BTCUSDT","ETHUSDT"]'}))
    assert books[0] == {
        "symbol": "BTCUSDT",
        "bidPrice": "0.00000000",
        "bidQty": "0.00000000",
        "askPrice": "0.00000000",
        "askQty": "0.00000000",
    }
    assert sim.ok(sim.public("/api/v3/avgPrice", {"symbol": "ETHUSDT"})) == {
        "mins": 5,
        "price": "3002.50000000",
        "closeTime": T0 + 2 * MIN,
    }


def test_exchange_info():
    markets = DEFAULT_MARKETS[:4] + (replace(DEFAULT_MARKETS[4], margin=False),)
    sim = Sim(markets=markets)
    info = sim.ok(sim.public("/api/v3/exchangeInfo"))
    assert info["timezone"] == "UTC" and info["serverTime"] == T0 and info["exchangeFilters"] == []
    assert info["rateLimits"] == [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
        {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
        {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
    ]
    assert [s["symbol"] for s in info["symbols"]] == ["BTCUSDT", "ETHUSDT", "ETHBTC", "BNBUSDT", "SOLUSDT"]
    btc = info["symbols"][0]
    assert (btc["status"], btc["baseAsset"], btc["quoteAsset"], btc["baseAssetPrecision"]) == (
        "TRADING",
        "BTC",
        "USDT",
        8,
    )
    assert btc["orderTypes"] == [
        "LIMIT",
        "LIMIT_MAKER",
        "MARKET",
        "STOP_LOSS",
        "STOP_LOSS_LIMIT",
        "TAKE_PROFIT",
        "TAKE_PROFIT_LIMIT",
    ]
    filters = {f["filterType"]: f for f in btc["filters"]}
    assert filters["PRICE_FILTER"] == {
        "filterType": "PRICE_FILTER",
        "minPrice": "0.01000000",
        "maxPrice": "1000000.00000000",
        "tickSize": "0.01000000",
    }
    assert filters["LOT_SIZE"] == {
        "filterType": "LOT_SIZE",
        "minQty": "0.00001000",
        "maxQty": "9000.00000000",
        "stepSize": "0.00001000",
    }
    assert set(filters["MARKET_LOT_SIZE"]) == {"filterType", "minQty", "maxQty", "stepSize"}
    assert filters["MARKET_LOT_SIZE"]["maxQty"] == "100.00000000"
    assert filters["NOTIONAL"] == {
        "filterType": "NOTIONAL",
        "minNotional": "5.00000000",
        "applyMinToMarket": True,
        "maxNotional": "9000000.00000000",
        "applyMaxToMarket": False,
        "avgPriceMins": 5,
    }
    assert filters["PERCENT_PRICE_BY_SIDE"] == {
        "filterType": "PERCENT_PRICE_BY_SIDE",
        "bidMultiplierUp": "5",
        "bidMultiplierDown": "0.2",
        "askMultiplierUp": "5",
        "askMultiplierDown": "0.2",
        "avgPriceMins": 5,
    }
    assert set(filters["MAX_NUM_ORDERS"]) == {"filterType", "maxNumOrders"}
    assert set(filters["MAX_NUM_ALGO_ORDERS"]) == {"filterType", "maxNumAlgoOrders"}

    def symbols(**params):
        return [s["symbol"] for s in sim.ok(sim.public("/api/v3/exchangeInfo", params))["symbols"]]

    assert symbols(symbol="ETHBTC") == ["ETHBTC"]
    assert symbols(symbols='["SOLUSDT","BTCUSDT"]') == ["SOLUSDT", "BTCUSDT"]
    assert symbols(permissions="MARGIN") == ["BTCUSDT", "ETHUSDT", "ETHBTC", "BNBUSDT"]
    assert symbols(permissions='["SPOT"]') == ["BTCUSDT", "ETHUSDT", "ETHBTC", "BNBUSDT", "SOLUSDT"]
    sol = sim.ok(sim.public("/api/v3/exchangeInfo", {"symbol": "SOLUSDT"}))["symbols"][0]
    assert (sol["isMarginTradingAllowed"], sol["permissionSets"]) == (False, [["SPOT"]])
    assert error(sim.public("/api/v3/exchangeInfo", {"symbol": "NOPE"})) == BAD_SYMBOL


def test_page_sizes_above_the_cap_are_truncated():
    """Binance cuts depth's limit to 5000 and aggTrades' to 1000 rather than refusing them."""
    sim = Sim()
    maker = sim.trader({"BTC": "1"})
    for i in range(3):
        sim.place(maker, **dict(LIMIT, side="SELL", price=str(60000 + i), quantity="0.001"))
    used = int(sim.public("/api/v3/ping").headers["X-MBX-USED-WEIGHT-1M"])
    depth = sim.public("/api/v3/depth", {"symbol": "BTCUSDT", "limit": 6000})
    assert sim.ok(depth)["asks"] == [[f"{60000 + i}.00000000", "0.00100000"] for i in range(3)]
    assert int(depth.headers["X-MBX-USED-WEIGHT-1M"]) == used + 250
    sim.place(**dict(LIMIT, price="60002", quantity="0.003"))
    assert len(sim.ok(sim.public("/api/v3/aggTrades", {"symbol": "BTCUSDT", "limit": 1001}))) == 3


def test_time_and_ping():
    sim = Sim()
    assert sim.ok(sim.public("/api/v3/ping")) == {}
    assert sim.ok(sim.public("/api/v3/time")) == {"serverTime": T0}
    sim.clock.advance(1234)
    assert sim.ok(sim.public("/api/v3/time")) == {"serverTime": T0 + 1234}


# ---- headers and rate limits ----------------------------------------------------------------------


def test_used_weight_header_grows_by_endpoint_weight():
    sim = Sim()
    sequence = [
        (lambda: sim.public("/api/v3/ping"), 1),
        (lambda: sim.public("/api/v3/time"), 1),
        (lambda: sim.public("/api/v3/depth", {"symbol": "BTCUSDT"}), 5),
        (lambda: sim.public("/api/v3/depth", {"symbol": "BTCUSDT", "limit": 500}), 25),
        (lambda: sim.public("/api/v3/depth", {"symbol": "BTCUSDT", "limit": 1000}), 50),
        (lambda: sim.public("/api/v3/depth", {"symbol": "BTCUSDT", "limit": 5000}), 250),
        (lambda: sim.public("/api/v3/exchangeInfo"), 20),
        (lambda: sim.public("/api/v3/trades", {"symbol": "BTCUSDT"}), 25),
        (lambda: sim.public("/api/v3/aggTrades", {"symbol": "BTCUSDT"}), 4),
        (lambda: sim.public("/api/v3/klines", {"symbol": "BTCUSDT", "interval": "1m"}), 2),
        (lambda: sim.public("/api/v3/avgPrice", {"symbol": "BTCUSDT"}), 2),
        (lambda: sim.public("/api/v3/ticker/24hr", {"symbol": "BTCUSDT"}), 2),
        (lambda: sim.public("/api/v3/ticker/24hr"), 80),
        (lambda: sim.public("/api/v3/ticker/price", {"symbol": "BTCUSDT"}), 2),
        (lambda: sim.public("/api/v3/ticker/price"), 4),
        (lambda: sim.public("/api/v3/ticker", {"symbols": '["BTCUSDT","ETHUSDT"]'}), 8),
        (lambda: sim.signed("GET", "/api/v3/account"), 20),
        (lambda: sim.signed("GET", "/api/v3/openOrders", {"symbol": "BTCUSDT"}), 6),
        (lambda: sim.signed("GET", "/api/v3/openOrders"), 80),
        (lambda: sim.signed("GET", "/api/v3/allOrders", {"symbol": "BTCUSDT"}), 20),
        (lambda: sim.signed("GET", "/api/v3/myTrades", {"symbol": "BTCUSDT"}), 20),
        (lambda: sim.signed("POST", "/api/v3/order", order()), 1),
        (lambda: sim.signed("GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": 1}), 4),
        (lambda: sim.signed("POST", "/api/v3/order/test", order()), 1),
        (lambda: sim.signed("POST", "/api/v3/order/test", order(computeCommissionRates="true")), 20),
        (lambda: sim.signed("DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": 1}), 1),
        (lambda: sim.signed("GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": 99}), 4),  # an error too
        (lambda: sim.public("/api/v3/depth", {"symbol": "NOPE"}), 5),
    ]
    used = 0
    for call, weight in sequence:
        response = call()
        used += weight
        assert response.headers["X-MBX-USED-WEIGHT-1M"] == str(used), (response.request.url, response.text)
    # a new minute starts from zero
    sim.clock.advance(MIN)
    assert sim.public("/api/v3/ping").headers["X-MBX-USED-WEIGHT-1M"] == "1"


def test_parse_errors_are_weighed_like_every_request():
    """Regression: a request refused while parsing (duplicate name -1101, bad encoding -1100, too many
    parameters) was answered before its weight was charged: no header, no weight, no 418 for a banned IP."""
    sim = Sim(rate_limits=RateLimitConfig(request_weight_per_minute=12, ban_after=1))
    r = sim.public("/api/v3/ping", [("a", "1"), ("a", "2")])
    assert error(r)[1] == -1101 and r.headers["X-MBX-USED-WEIGHT-1M"] == "1"
    r = sim.client.get("/api/v3/ping?a=%FF")
    assert error(r)[1] == -1100 and r.headers["X-MBX-USED-WEIGHT-1M"] == "2"
    r = sim.public("/api/v3/time", [(f"p{i}", "1") for i in range(70)])
    assert error(r)[1] == -1101 and r.headers["X-MBX-USED-WEIGHT-1M"] == "3"
    r = sim.public("/api/v3/depth", [("symbol", "BTCUSDT"), ("symbol", "BTCUSDT")])
    assert error(r)[1] == -1101
    used = int(r.headers["X-MBX-USED-WEIGHT-1M"])
    assert used > 3
    while used <= 12:
        used = int(sim.public("/api/v3/ping").headers["X-MBX-USED-WEIGHT-1M"])
    # over the limit now (and banned by the first 429): weight is checked before the parameters
    r = sim.public("/api/v3/ping", [("a", "1"), ("a", "2")])
    assert error(r)[0] == 418


def test_order_count_headers():
    sim = Sim()
    account = sim.signed("GET", "/api/v3/account")
    assert (account.headers["X-MBX-ORDER-COUNT-10S"], account.headers["X-MBX-ORDER-COUNT-1D"]) == ("0", "0")
    assert "X-MBX-ORDER-COUNT-10S" not in sim.public("/api/v3/ping").headers
    for n in (1, 2):
        r = sim.signed("POST", "/api/v3/order", order(price=str(40000 + n)))
        assert (r.headers["X-MBX-ORDER-COUNT-10S"], r.headers["X-MBX-ORDER-COUNT-1D"]) == (str(n), str(n))
    r = sim.signed("GET", "/api/v3/openOrders", {"symbol": "BTCUSDT"})
    assert (r.headers["X-MBX-ORDER-COUNT-10S"], r.headers["X-MBX-ORDER-COUNT-1D"]) == ("2", "2")
    r = sim.signed("DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": 1})
    assert (r.headers["X-MBX-ORDER-COUNT-10S"], r.headers["X-MBX-ORDER-COUNT-1D"]) == ("2", "2")
    assert sim.ok(sim.signed("GET", "/api/v3/rateLimit/order")) == [
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100, "count": 2},
        {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000, "count": 2},
    ]
    sim.clock.advance(10_000)
    r = sim.signed("POST", "/api/v3/order", order(price="40003"))
    assert (r.headers["X-MBX-ORDER-COUNT-10S"], r.headers["X-MBX-ORDER-COUNT-1D"]) == ("1", "3")
    # counts are per account
    other = sim.trader({"USDT": "1000"})
    r = sim.signed("POST", "/api/v3/order", order(price="40004"), other)
    assert (r.headers["X-MBX-ORDER-COUNT-10S"], r.headers["X-MBX-ORDER-COUNT-1D"]) == ("1", "1")


def test_weight_limit_429_then_418():
    sim = Sim(rate_limits=RateLimitConfig(request_weight_per_minute=10, ban_after=2, ban_ms=90_000))
    for n in range(1, 11):
        r = sim.public("/api/v3/ping")
        assert (r.status_code, r.headers["X-MBX-USED-WEIGHT-1M"]) == (200, str(n))
    too_much = (
        429,
        -1003,
        "Too much request weight used; current limit is 10 request weight per 1 MINUTE. "
        "Please use WebSocket Streams for live updates to avoid polling the API.",
    )
    sim.clock.advance(20_000)
    r = sim.public("/api/v3/ping")
    assert error(r) == too_much and r.headers["Retry-After"] == "40"
    r = sim.public("/api/v3/ping")  # the second strike: refused, and the ban starts now
    assert error(r) == too_much
    r = sim.public("/api/v3/ping")
    assert error(r) == (
        418,
        -1003,
        f"Way too much request weight used; IP banned until {T0 + 110_000}. "
        "Please use WebSocket Streams for live updates to avoid bans.",
    )
    assert r.headers["Retry-After"] == "90"
    # signed requests are refused before anything runs
    before = sim.state()
    assert error(sim.signed("POST", "/api/v3/order", order()))[0] == 418
    assert sim.state() == before
    sim.clock.set(T0 + 110_000)
    assert sim.public("/api/v3/ping").status_code == 200


def test_order_rate_limit():
    sim = Sim(rate_limits=RateLimitConfig(orders_per_10s=2))
    sim.place(**dict(LIMIT, price="40000"))
    sim.place(**dict(LIMIT, price="40001"))
    before = sim.state()
    r = sim.signed("POST", "/api/v3/order", order(price="40002"))
    assert error(r) == (429, -1015, "Too many new orders; current limit is 2 orders per 10 SECOND.")
    assert r.headers["Retry-After"] == "10"
    assert sim.state() == before
    sim.ok(sim.signed("GET", "/api/v3/openOrders"))  # reading is still fine
    sim.clock.advance(10_000)
    sim.place(**dict(LIMIT, price="40002"))


# ---- accounts and keys ---------------------------------------------------------------------------


def test_account_json():
    sim = Sim()
    sim.clock.advance(500)
    trader = sim.trader({"USDT": "1234.5", "BTC": "0.25"})
    sim.clock.advance(500)
    body = sim.ok(sim.signed("GET", "/api/v3/account", trader=trader))
    assert body == {
        "makerCommission": 10,
        "takerCommission": 10,
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": {
            "maker": "0.00100000",
            "taker": "0.00100000",
            "buyer": "0.00000000",
            "seller": "0.00000000",
        },
        "canTrade": True,
        "canWithdraw": True,
        "canDeposit": True,
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": T0 + 500,
        "accountType": "SPOT",
        "balances": [
            {"asset": "BTC", "free": "0.25000000", "locked": "0.00000000"},
            {"asset": "USDT", "free": "1234.50000000", "locked": "0.00000000"},
            {"asset": "ETH", "free": "0.00000000", "locked": "0.00000000"},
            {"asset": "BNB", "free": "0.00000000", "locked": "0.00000000"},
            {"asset": "SOL", "free": "0.00000000", "locked": "0.00000000"},
        ],
        "permissions": ["SPOT", "MARGIN"],
        "uid": trader.account,
    }
    sim.place(trader, **dict(LIMIT, price="40000", quantity="0.01"))
    body = sim.ok(sim.signed("GET", "/api/v3/account", trader=trader))
    assert body["balances"][:2] == [
        {"asset": "BTC", "free": "0.25000000", "locked": "0.00000000"},
        {"asset": "USDT", "free": "834.50000000", "locked": "400.00000000"},
    ]
    omitted = sim.ok(sim.signed("GET", "/api/v3/account", {"omitZeroBalances": "true"}, trader))
    assert [b["asset"] for b in omitted["balances"]] == ["BTC", "USDT"]
    assert sim.ok(sim.signed("GET", "/api/v3/account", {"omitZeroBalances": "false"}, trader)) == body
    assert error(sim.signed("GET", "/api/v3/account", {"omitZeroBalances": "maybe"}, trader)) == illegal(
        "omitZeroBalances", "true|false"
    )
    # a spot-only account lists only SPOT
    spot = Trader(sim.venue.create_account({}, permissions=("SPOT",)), *("", ""))
    key, secret = _second_key(sim, spot.account)
    assert sim.ok(sim.signed("GET", "/api/v3/account", trader=Trader(spot.account, key, secret)))["permissions"] == [
        "SPOT"
    ]


def test_account_update_time_moves_when_an_order_locks_funds():
    """Regression: placing a resting order locked funds without moving updateTime."""
    sim = Sim()
    trader = sim.trader({"USDT": "1000"})
    sim.clock.advance(1000)
    sim.place(trader, **dict(LIMIT, price="40000", quantity="0.01"))
    body = sim.ok(sim.signed("GET", "/api/v3/account", trader=trader))
    assert body["balances"][1] == {"asset": "USDT", "free": "600.00000000", "locked": "400.00000000"}
    assert body["updateTime"] == T0 + 1000


def test_read_only_key_cannot_trade():
    sim = Sim()
    reader = sim.trader({"USDT": "1000"}, permissions=[])
    sim.place(Trader(reader.account, *_second_key(sim, reader.account)), **dict(LIMIT, price="40000"))
    body = sim.ok(sim.signed("GET", "/api/v3/account", trader=reader))
    assert body["canTrade"] is False
    before = sim.state(reader)
    for method, path, params in (
        ("POST", "/api/v3/order", order()),
        ("POST", "/api/v3/order/test", order()),
        ("DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": 1}),
        ("DELETE", "/api/v3/openOrders", {"symbol": "BTCUSDT"}),
        ("PUT", "/api/v3/order/amend/keepPriority", {"symbol": "BTCUSDT", "orderId": 1, "newQty": "0.001"}),
    ):
        assert error(sim.signed(method, path, params, reader)) == REJECTED_KEY, path
    assert sim.state(reader) == before
    # reading works
    assert len(sim.ok(sim.signed("GET", "/api/v3/openOrders", trader=reader))) == 1
    assert len(sim.ok(sim.signed("GET", "/api/v3/allOrders", {"symbol": "BTCUSDT"}, reader))) == 1


def _second_key(sim: Sim, account: int, **options) -> tuple[str, str]:
    issued = sim.venue.keys.issue(account, now_ms=sim.clock.now_ms(), **options)
    return issued.api_key, issued.secret


def test_spot_only_key_trades_spot():
    sim = Sim()
    spot = sim.trader({"USDT": "1000"}, permissions=["SPOT"])
    placed = sim.place(spot, **dict(LIMIT, price="40000"))
    assert placed["status"] == "NEW"
    restrictions = sim.ok(sim.signed("GET", "/sapi/v1/account/apiRestrictions", trader=spot))
    assert (restrictions["enableSpotAndMarginTrading"], restrictions["enableMargin"], restrictions["ipRestrict"]) == (
        True,
        False,
        False,
    )


def test_ip_allow_list():
    sim = Sim()
    allowed = sim.trader({"USDT": "1000"}, ip_allow=["10.1.2.3"])
    # TestClient's peer is not that address
    assert sim.client.get("/api/v3/ping").status_code == 200
    assert error(sim.signed("GET", "/api/v3/account", trader=allowed)) == REJECTED_KEY
    assert error(sim.signed("POST", "/api/v3/order", order(price="40000"), allowed)) == REJECTED_KEY

    def from_ip(ip: str) -> list[httpx.Response]:
        with ApiClient.in_process(sim.sim.app, sim.clock.now_ms, client_ip=ip) as client:
            return [
                client.signed("GET", path, key=allowed.key, secret=allowed.secret)
                for path in ("/api/v3/account", "/sapi/v1/account/apiRestrictions")
            ]

    good = from_ip("10.1.2.3")
    assert [r.status_code for r in good] == [200, 200]
    assert good[1].json()["ipRestrict"] is True
    bad = from_ip("10.1.2.4")
    assert [error(r) for r in bad] == [REJECTED_KEY, REJECTED_KEY]


def test_revoked_key_is_refused_at_once():
    sim = Sim()
    trader = sim.trader({"USDT": "1000"})
    spare_key, spare_secret = _second_key(sim, trader.account)
    sim.place(trader, **dict(LIMIT, price="40000"))
    r = sim.client.delete(f"/sandex/v1/keys/{trader.key}", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert r.status_code == 200
    before = sim.state(trader)
    assert error(sim.signed("GET", "/api/v3/account", trader=trader)) == REJECTED_KEY
    assert error(sim.signed("POST", "/api/v3/order", order(price="40001"), trader)) == REJECTED_KEY
    assert error(sim.signed("DELETE", "/api/v3/openOrders", {"symbol": "BTCUSDT"}, trader)) == REJECTED_KEY
    assert sim.state(trader) == before
    spare = Trader(trader.account, spare_key, spare_secret)
    assert len(sim.ok(sim.signed("GET", "/api/v3/openOrders", trader=spare))) == 1


# ---- concurrency -----------------------------------------------------------------------------------


def test_concurrent_orders_from_four_accounts():
    sim = Sim()
    start = {"BTC": "10", "USDT": "1000000"}
    traders = [sim.trader(start) for _ in range(4)]
    rng = random.Random(7)
    requests = []
    for i in range(200):
        trader = traders[i % 4]
        side = rng.choice(["BUY", "SELL"])
        qty = f"0.{rng.randint(1, 20):03d}"
        if rng.random() < 0.15:
            params = {"symbol": "BTCUSDT", "side": side, "type": "MARKET", "quantity": qty}
        else:
            params = dict(
                LIMIT,
                side=side,
                quantity=qty,
                price=str(50000 + 10 * rng.randint(-5, 5)),
                timeInForce=rng.choice(["GTC", "GTC", "IOC"]),
            )
        params["newClientOrderId"] = f"c{i}"
        params["newOrderRespType"] = "FULL"
        params["selfTradePreventionMode"] = "NONE"
        requests.append((trader, signed_query(stamped(params, sim.clock.now_ms()), trader.secret)))

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=sim.sim.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await asyncio.gather(
                *(
                    client.post("/api/v3/order", content=body, headers={"X-MBX-APIKEY": t.key, "Content-Type": FORM})
                    for t, body in requests
                )
            )

    responses = asyncio.run(run())
    sim.venue.engine.check_invariants()
    accepted: dict[int, dict[int, dict]] = {t.account: {} for t in traders}
    for (trader, _), r in zip(requests, responses, strict=True):
        assert r.status_code == 200, r.text  # every order is valid and funded
        body = r.json()
        accepted[trader.account][body["orderId"]] = body
    assert sum(len(v) for v in accepted.values()) == 200

    bought = sold = 0
    commissions = {"BTC": 0, "USDT": 0}
    for trader in traders:
        rows = sim.ok(sim.signed("GET", "/api/v3/allOrders", {"symbol": "BTCUSDT", "limit": 1000}, trader))
        assert {r["orderId"] for r in rows} == set(accepted[trader.account])
        fills = sim.ok(sim.signed("GET", "/api/v3/myTrades", {"symbol": "BTCUSDT", "limit": 1000}, trader))
        per_order: dict[int, int] = {}
        for f in fills:
            per_order[f["orderId"]] = per_order.get(f["orderId"], 0) + units(f["qty"])
            commissions[f["commissionAsset"]] += units(f["commission"])
        opens = {o["orderId"] for o in sim.ok(sim.signed("GET", "/api/v3/openOrders", {"symbol": "BTCUSDT"}, trader))}
        for row in rows:
            executed = units(row["executedQty"])
            assert executed == per_order.get(row["orderId"], 0), row
            assert (row["status"] in ("NEW", "PARTIALLY_FILLED")) == (row["orderId"] in opens), row
            if row["side"] == "BUY":
                bought += executed
            else:
                sold += executed
    public = sim.ok(sim.public("/api/v3/trades", {"symbol": "BTCUSDT", "limit": 1000}))
    traded = sum(units(t["qty"]) for t in public)
    assert bought == sold == traded > 0
    # money is conserved: what the four hold plus the fees they paid is what they started with
    for asset in ("BTC", "USDT"):
        held = 0
        for trader in traders:
            b = sim.venue.balances(trader.account)[0][asset]
            held += b.free + b.locked
        assert held + commissions[asset] == 4 * units(start[asset]), asset
        desk = sim.sim.app.services.margin  # the house's lending pool and insurance fund hold the rest
        house = sum(sim.venue.engine.balance(a, asset).free for a in (desk.pool, desk.insurance))
        assert (
            sim.venue.engine.total_supply(asset)
            == units(start[asset]) * 4 + units({"BTC": "1", "USDT": "100000"}[asset]) + house
        )
