"""Random parameters against the HTTP API: never a 5xx, always JSON, Binance's error shape, and a
refused request changes nothing in the engine.

One simulator per test function (the hypothesis examples share it, so successful requests pile
up state the later ones meet); its invariants are checked at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.clock import ManualClock
from simulator.config import SimulatorConfig
from simulator.launcher import build
from simulator.ratelimit import RateLimitConfig
from tests.harness import FORM, ApiClient, hmac_hex

T0 = 1_699_963_200_000
KEY = "FUZZKEY" + "k" * 57
SECRET = "FUZZSECRET" + "s" * 54
LAST_DATE_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z, the last instant Python's date can hold

# the examples of one test share one simulator, so they may not be function-scoped fixtures
SHARED = settings(
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
    ]
)


@dataclass(frozen=True)
class Raw:
    """Text put into the query as is (percent-encoded garbage); everything else is percent-encoded."""

    text: str


def encode(pairs: list[tuple[object, object]]) -> str:
    def one(x: object) -> str:
        return x.text if isinstance(x, Raw) else quote(str(x), safe="")

    return "&".join(f"{one(k)}={one(v)}" for k, v in pairs)


class FuzzSim:
    def __init__(self) -> None:
        self.clock = ManualClock(T0)
        limits = RateLimitConfig(
            request_weight_per_minute=10**9, orders_per_10s=10**6, orders_per_day=10**8, raw_requests_per_5min=10**9
        )
        self.sim = build(
            SimulatorConfig(
                liquidity=True, liquidity_mode="static", demo_api_key=KEY, demo_api_secret=SECRET, rate_limits=limits
            ),
            clock=self.clock,
        )
        self.venue = self.sim.venue
        self.api = ApiClient.in_process(self.sim.app, self.clock.now_ms)
        self.client = self.api.http
        self.statuses: dict[int, int] = {}

    def snapshot(self) -> tuple:
        account = self.sim.demo_account
        balances, _ = self.venue.balances(account)
        return (
            self.venue.engine.fingerprint(),
            [
                (r.symbol, r.order_id, r.status, r.executed_qty, r.orig_qty)
                for r in self.venue.open_orders(account, None)
            ],
            {a: (b.free, b.locked) for a, b in balances.items()},
            {s: m.update_id for s, m in self.venue.markets.items()},
        )

    def send(self, method: str, path: str, pairs: list, signed: bool):
        raw = encode(pairs)
        headers = {}
        if signed:
            raw = f"{raw}&timestamp={self.clock.now_ms()}" if raw else f"timestamp={self.clock.now_ms()}"
            raw = f"{raw}&signature={hmac_hex(SECRET, raw.encode('utf-8', 'surrogateescape'))}"
            headers["X-MBX-APIKEY"] = KEY
        if method in ("POST", "PUT"):
            headers["Content-Type"] = FORM
            return self.client.request(method, path, content=raw.encode("utf-8", "surrogateescape"), headers=headers)
        return self.client.request(method, f"{path}?{raw}", headers=headers)

    def check(self, method: str, path: str, pairs: list, signed: bool = True):
        self.clock.advance(1)
        before = self.snapshot()
        r = self.send(method, path, pairs, signed)
        self.statuses[r.status_code] = self.statuses.get(r.status_code, 0) + 1
        assert r.status_code < 500, (r.status_code, r.text)
        assert r.headers["content-type"] == "application/json", r.headers
        body = r.json()
        if r.status_code != 200:
            assert isinstance(body, dict) and set(body) == {"code", "msg"}, body
            assert type(body["code"]) is int and body["code"] < 0, body
            assert isinstance(body["msg"], str) and body["msg"], body
            # -1000 is what the server answers when a handler raised unexpectedly
            assert body["code"] != -1000, (pairs, body)
            assert self.snapshot() == before, (pairs, body)
        return r.status_code, body


# ---- value and name strategies ---------------------------------------------------------------------

GARBAGE = st.sampled_from(
    [
        "%",
        "%F",
        "%FF",
        "%zz",
        "%E2%82",
        "%00",
        "%26",
        "%3D",
        "a%2",
        "%C3%28",
        "+",
        "%2B",
        "%ED%A0%80",
        "%F0%9F%98%80",
        "%%",
        "%u0041",
        "=",
        "&",
        "%0A",
        "%20",
    ]
).map(Raw)
NUMBERS = st.one_of(
    st.integers(min_value=-(10**6), max_value=10**6).map(str),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.from_regex(r"-?[0-9]{1,22}\.[0-9]{0,22}", fullmatch=True),
    st.sampled_from(
        [
            "0",
            "0.0",
            "00.1",
            "1e5",
            "1E-8",
            "NaN",
            "inf",
            "-0",
            "0x10",
            "1_000",
            " 1",
            "1 ",
            ".5",
            "5.",
            "１２",
            "٣",
            "9223372036854775807",
            "9223372036854775808",
            "18446744073709551616",
            str(2**53),
            str(2**53 + 1),
            str(2**63),
            "99999999999999999999.99999999999999999999",
        ]
    ),
)
TEXT = st.one_of(
    st.just(""),
    st.text(max_size=12),
    st.integers(min_value=100, max_value=3000).map(lambda n: "x" * n),
    st.integers(min_value=21, max_value=400).map(lambda n: "9" * n),
    st.sampled_from(
        [
            "null",
            "None",
            "true",
            "[]",
            '["BTCUSDT"]',
            "{}",
            "BTCUSDT\x00",
            "ÄÖÜ",
            "😀",
            "\u202e",
            "' OR 1=1 --",
            "<script>",
            "..",
            "/",
            "\\",
            "\r\n",
        ]
    ),
)
GENERIC = st.one_of(NUMBERS, TEXT, GARBAGE)

SYMBOLS = st.one_of(
    st.just("BTCUSDT"),
    st.just("BTCUSDT"),
    st.just("BTCUSDT"),
    st.sampled_from(["ETHUSDT", "ETHBTC", "BNBUSDT", "SOLUSDT"]),
    st.sampled_from(["btcusdt", "BTC", "XYZUSDT", "BTCUSDT ", "ETH/BTC"]),
)
ORDER_VALUES = {
    "symbol": SYMBOLS,
    "side": st.sampled_from(["BUY", "SELL", "BUY", "SELL", "buy", "HOLD"]),
    "type": st.sampled_from(
        [
            "LIMIT",
            "MARKET",
            "LIMIT_MAKER",
            "STOP_LOSS",
            "STOP_LOSS_LIMIT",
            "TAKE_PROFIT",
            "TAKE_PROFIT_LIMIT",
            "OCO",
            "limit",
        ]
    ),
    "timeInForce": st.sampled_from(["GTC", "IOC", "FOK", "GTD", "gtc"]),
    "quantity": st.one_of(
        st.sampled_from(["0.001", "0.002", "0.01"]),
        st.sampled_from(["0.00001", "1", "0.5", "100", "0.000001", "9000", "9001"]),
    ),
    "quoteOrderQty": st.one_of(
        st.sampled_from(["10", "100", "250.5"]), st.sampled_from(["5", "1", "0.001", "1000000"])
    ),
    "price": st.one_of(
        st.sampled_from(["90000", "89990.5", "90100", "89500", "91000"]),
        st.sampled_from(["3000", "0.033", "600", "150", "1", "0.01", "1000000", "90000.001"]),
    ),
    "stopPrice": st.one_of(st.sampled_from(["89000", "91000"]), st.sampled_from(["1", "0.5", "3100"])),
    "newClientOrderId": st.sampled_from(["fuzz-1", "fuzz-2", "c1", "a" * 36, "a" * 37, "bad id", "ü"]),
    "strategyId": st.sampled_from(["1", "-1", "0"]),
    "strategyType": st.sampled_from(["1000000", "999999", "2147483648"]),
    "trailingDelta": st.sampled_from(["10", "0"]),
    "icebergQty": st.sampled_from(["0", "0.001", "0.00000000"]),
    "newOrderRespType": st.sampled_from(["ACK", "RESULT", "FULL", "FAST"]),
    "selfTradePreventionMode": st.sampled_from(
        ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT", "TRANSFER"]
    ),
    "recvWindow": st.sampled_from(["5000", "60000", "60001", "0", "1.5", "-1"]),
}
SOMETIMES = st.sampled_from([False, False, False, True])  # signing a public request: -1104 for its extras
JUNK_NAMES = st.sampled_from(
    [
        "foo",
        "",
        "Symbol",
        "symbol[]",
        "timestamp",
        "signature",
        "orderId",
        "ünï",
        "n" * 300,
        "price ",
        "limit",
        "apiKey",
    ]
)


def pairs_from(values: dict, always: tuple[str, ...] = ()):
    """A random parameter list: the endpoint's own names (each likely present) with fitting values;
    sometimes wild values too; sometimes junk names and a repeated name; in any order."""
    names = list(values)
    any_name = st.one_of(st.sampled_from(names), JUNK_NAMES, GARBAGE)

    @st.composite
    def build(draw) -> list[tuple[object, object]]:
        mode = draw(st.integers(min_value=0, max_value=9))
        wild, junk = mode >= 6, mode >= 8  # 0-5 clean, 6-7 wild values, 8-9 also junk names and repeats
        pairs: list[tuple[object, object]] = []
        for name in names:
            if name in always or draw(st.sampled_from([True, True, False])):
                fitting = values[name]
                pairs.append((name, draw(st.one_of(fitting, fitting, GENERIC) if wild else fitting)))
        if junk:
            pairs += draw(st.lists(st.tuples(any_name, st.one_of(GENERIC, *values.values())), min_size=1, max_size=3))
            if pairs and draw(st.booleans()):
                pairs.append(draw(st.sampled_from(pairs)))  # a repeated name
        return draw(st.permutations(pairs))

    return build()


NEEDS = {
    "LIMIT": ("timeInForce", "quantity", "price"),
    "LIMIT_MAKER": ("quantity", "price"),
    "STOP_LOSS": ("quantity", "stopPrice"),
    "STOP_LOSS_LIMIT": ("timeInForce", "quantity", "price", "stopPrice"),
    "TAKE_PROFIT": ("quantity", "stopPrice"),
    "TAKE_PROFIT_LIMIT": ("timeInForce", "quantity", "price", "stopPrice"),
}
OPTIONAL = (
    "newClientOrderId",
    "newOrderRespType",
    "selfTradePreventionMode",
    "strategyId",
    "strategyType",
    "icebergQty",
    "recvWindow",
)


@st.composite
def order_pairs(draw) -> list[tuple[object, object]]:
    """A well-formed order of a random type, then (mostly) broken a little, sometimes a lot."""
    order_type = draw(
        st.sampled_from(
            [
                "LIMIT",
                "LIMIT",
                "LIMIT",
                "MARKET",
                "MARKET",
                "LIMIT_MAKER",
                "STOP_LOSS",
                "STOP_LOSS_LIMIT",
                "TAKE_PROFIT",
                "TAKE_PROFIT_LIMIT",
            ]
        )
    )
    params: dict[object, object] = {
        "symbol": draw(SYMBOLS),
        "side": draw(st.sampled_from(["BUY", "SELL"])),
        "type": order_type,
    }
    needs = NEEDS.get(order_type) or (draw(st.sampled_from(["quantity", "quoteOrderQty"])),)
    for name in needs:
        params[name] = draw(ORDER_VALUES[name])
    for name in OPTIONAL:
        if draw(st.integers(min_value=0, max_value=4)) == 0:
            params[name] = draw(ORDER_VALUES[name])
    mode = draw(st.integers(min_value=0, max_value=9))
    if mode >= 5:  # break it: change, drop or add a few parameters
        for _ in range(draw(st.integers(min_value=1, max_value=3))):
            name = draw(st.sampled_from(sorted(ORDER_VALUES)))
            action = draw(st.sampled_from(["value", "wild", "drop"]))
            if action == "drop":
                params.pop(name, None)
            else:
                params[name] = draw(ORDER_VALUES[name] if action == "value" else GENERIC)
    pairs = list(params.items())
    if mode >= 8:  # junk names, a repeated name
        pairs += draw(st.lists(st.tuples(st.one_of(JUNK_NAMES, GARBAGE), GENERIC), min_size=1, max_size=3))
        if draw(st.booleans()):
            pairs.append(draw(st.sampled_from(pairs)))
    return draw(st.permutations(pairs))


def texts(pairs: list) -> dict[str, str]:
    """The parameters as the server would read them (when they are readable)."""
    try:
        return dict(parse_qsl(encode(pairs), keep_blank_values=True, errors="strict"))
    except (UnicodeDecodeError, ValueError):
        return {}


# ---- the tests ---------------------------------------------------------------------------------------


def test_fuzz_new_order():
    sim = FuzzSim()

    @SHARED
    @given(order_pairs())
    def run(pairs):
        status, body = sim.check("POST", "/api/v3/order", pairs)
        if status == 200:
            assert {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"} <= set(body)
            assert body["symbol"] in sim.venue.markets
            assert (
                sim.venue.order(sim.sim.demo_account, body["symbol"], body["orderId"], None).client_order_id
                == body["clientOrderId"]
            )

    run()
    sim.venue.engine.check_invariants()
    assert sim.statuses.get(200, 0) > 0 and sim.statuses.get(400, 0) > 0


def test_fuzz_depth():
    sim = FuzzSim()
    values = {
        "symbol": SYMBOLS,
        "limit": st.sampled_from(
            ["1", "5", "100", "101", "500", "1000", "5000", "5001", "0", "-1", "1.0", "", "10000000000000000000000"]
        ),
    }

    @SHARED
    @given(pairs_from(values, always=("symbol",)), SOMETIMES)
    def run(pairs, signed):
        status, body = sim.check("GET", "/api/v3/depth", pairs, signed=signed)
        if status == 200:
            assert set(body) == {"lastUpdateId", "bids", "asks"}
            limit = min(int(texts(pairs).get("limit") or 100), 5000)
            assert len(body["bids"]) <= limit and len(body["asks"]) <= limit
            bids = [float(p) for p, _ in body["bids"]]
            asks = [float(p) for p, _ in body["asks"]]
            assert bids == sorted(bids, reverse=True) and asks == sorted(asks)

    run()
    sim.venue.engine.check_invariants()
    assert sim.statuses.get(200, 0) > 0 and sim.statuses.get(400, 0) > 0


TIMES = st.one_of(
    st.sampled_from(
        [
            str(T0),
            str(T0 - 60_000),
            str(T0 + 86_400_000),
            "0",
            "-1",
            str(2**53),
            str(2**53 + 1),
            str(LAST_DATE_MS),
            str(LAST_DATE_MS + 1),
            "1.5",
            "",
        ]
    ),
    st.integers(min_value=0, max_value=2**53).map(str),
)


def test_fuzz_klines():
    sim = FuzzSim()
    # a few trades so that klines have rows to cut
    taker = sim.venue.create_account({"USDT": 10**14, "BTC": 10**9})
    issued = sim.venue.keys.issue(taker, now_ms=T0)
    for i in range(5):
        sim.clock.advance(61_000)
        side = "BUY" if i % 2 else "SELL"
        r = sim.api.signed(
            "POST",
            "/api/v3/order",
            {"symbol": "BTCUSDT", "side": side, "type": "MARKET", "quantity": "0.01"},
            key=issued.api_key,
            secret=issued.secret,
        )
        assert r.status_code == 200, r.text
    values = {
        "symbol": SYMBOLS,
        "interval": st.sampled_from(
            [
                "1s",
                "1m",
                "3m",
                "5m",
                "15m",
                "30m",
                "1h",
                "2h",
                "4h",
                "6h",
                "8h",
                "12h",
                "1d",
                "3d",
                "1w",
                "1M",
                "1y",
                "2m",
                "1H",
                "",
            ]
        ),
        "startTime": TIMES,
        "endTime": TIMES,
        "timeZone": st.sampled_from(["0", "8", "+08:00", "-5:30", "14", "-12:00", "+14:01", "15", "05:60", "x", ""]),
        "limit": st.sampled_from(["1", "2", "500", "1000", "1001", "0", "-5"]),
    }

    @SHARED
    @given(pairs_from(values, always=("symbol", "interval")), SOMETIMES)
    def run(pairs, signed):
        status, body = sim.check("GET", "/api/v3/klines", pairs, signed=signed)
        if status == 200:
            assert isinstance(body, list)
            opens = [k[0] for k in body]
            assert opens == sorted(set(opens))
            assert all(len(k) == 12 for k in body)

    run()
    sim.venue.engine.check_invariants()
    assert sim.statuses.get(200, 0) > 0 and sim.statuses.get(400, 0) > 0


def test_fuzz_cancel_order():
    sim = FuzzSim()
    placed = []
    for i in range(25):
        r = sim.api.signed(
            "POST",
            "/api/v3/order",
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "0.001",
                "price": 80000 + i,
                "newClientOrderId": f"c{i}",
                "newOrderRespType": "ACK",
            },
            key=KEY,
            secret=SECRET,
        )
        assert r.status_code == 200, r.text
        placed.append(r.json()["orderId"])
    names = {
        "newClientOrderId": st.sampled_from(["cancel-1", "c3", "", "bad id", "x" * 36]),
        "cancelRestrictions": st.sampled_from(["ONLY_NEW", "ONLY_PARTIALLY_FILLED", "NEW", ""]),
        "recvWindow": ORDER_VALUES["recvWindow"],
    }

    @st.composite
    def cancel_pairs(draw) -> list[tuple[object, object]]:
        k = draw(st.integers(min_value=0, max_value=len(placed) - 1))
        by = draw(st.sampled_from(["id", "id", "cid", "cid", "both", "mismatch", "none", "wild"]))
        pairs: list[tuple[object, object]] = [("symbol", draw(SYMBOLS))]
        if by in ("id", "both", "mismatch"):
            pairs.append(("orderId", str(placed[k])))
        if by in ("cid", "both"):
            pairs.append(("origClientOrderId", f"c{k}"))
        if by == "mismatch":
            pairs.append(("origClientOrderId", f"c{(k + 1) % len(placed)}"))
        if by == "wild":
            pairs.append((draw(st.sampled_from(["orderId", "origClientOrderId"])), draw(GENERIC)))
        for name, values in names.items():
            if draw(st.integers(min_value=0, max_value=3)) == 0:
                pairs.append((name, draw(values)))
        if draw(st.integers(min_value=0, max_value=4)) == 0:
            pairs += draw(st.lists(st.tuples(st.one_of(JUNK_NAMES, GARBAGE), GENERIC), min_size=1, max_size=2))
            if draw(st.booleans()):
                pairs.append(draw(st.sampled_from(pairs)))
        return draw(st.permutations(pairs))

    @SHARED
    @given(cancel_pairs())
    def run(pairs):
        status, body = sim.check("DELETE", "/api/v3/order", pairs)
        if status == 200:
            assert body["status"] == "CANCELED" and body["orderId"] in placed
            rec = sim.venue.order(sim.sim.demo_account, "BTCUSDT", body["orderId"], None)
            assert rec.status == "CANCELED"

    run()
    sim.venue.engine.check_invariants()
    assert sim.statuses.get(200, 0) > 0 and sim.statuses.get(400, 0) > 0
    # what was not canceled is still there, exactly
    still = {r.order_id for r in sim.venue.open_orders(sim.sim.demo_account, "BTCUSDT")}
    for oid in placed:
        rec = sim.venue.order(sim.sim.demo_account, "BTCUSDT", oid, None)
        assert (rec.status == "NEW") == (oid in still)


def test_fuzz_any_signed_endpoint_with_garbage_never_breaks():
    """Junk-only parameter lists against every trading path: always a clean Binance error."""
    sim = FuzzSim()
    paths = [
        ("POST", "/api/v3/order"),
        ("POST", "/api/v3/order/test"),
        ("DELETE", "/api/v3/order"),
        ("GET", "/api/v3/order"),
        ("POST", "/api/v3/order/cancelReplace"),
        ("PUT", "/api/v3/order/amend/keepPriority"),
        ("GET", "/api/v3/allOrders"),
        ("GET", "/api/v3/myTrades"),
        ("DELETE", "/api/v3/openOrders"),
        ("GET", "/api/v3/account"),
    ]
    junk = st.lists(st.tuples(st.one_of(JUNK_NAMES, GARBAGE, st.sampled_from(list(ORDER_VALUES))), GENERIC), max_size=6)

    @SHARED
    @given(st.sampled_from(paths), junk)
    def run(route, pairs):
        sim.check(route[0], route[1], pairs)

    run()
    sim.venue.engine.check_invariants()
