"""Hypothesis-generated raw requests, straight into the ASGI app: query strings and bodies as bytes.

What goes in: each endpoint's own parameter names with fitting values, mutated into huge numbers,
exponents, signs, unicode (raw and percent-encoded), percent-escapes good and bad, random bytes,
NUL bytes, empty values, names without ``=``, repeated names, junk names; split between the query
string and the form body. Signed endpoints are signed correctly (HMAC-SHA256 over the exact bytes,
fresh timestamp), so every request reaches parameter parsing and most reach the handlers.

Each answer must keep the three properties of ``harness.py``. Examples: a few hundred per test in
the default run; ``SANDEX_FUZZ_EXAMPLES=N`` for more.
"""

from __future__ import annotations

import json
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.http.app import ENDPOINTS
from simulator.http.endpoint import Endpoint, Param

from .harness import ADMIN_TOKEN, FuzzSim, fuzz_settings

SIGNED = [ep for ep in ENDPOINTS if ep.security.signed]
PUBLIC = [ep for ep in ENDPOINTS if not ep.security.signed]
MARKETS = ["BTCUSDT", "ETHUSDT", "ETHBTC", "BNBUSDT", "SOLUSDT"]
ASSETS = ["BTC", "ETH", "USDT", "BNB", "SOL"]


@pytest.fixture(scope="module")
def sim():
    s = FuzzSim()
    yield s
    s.close()


# ---- values ------------------------------------------------------------------------------------------


def enc(text: str) -> bytes:
    return quote_from_bytes(text.encode(), safe="").encode()


NUMBERS = st.one_of(
    st.integers(min_value=-(10**6), max_value=10**6).map(str),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.integers(min_value=19, max_value=5000).map(lambda n: "9" * n),
    st.from_regex(r"-?[0-9]{1,22}\.[0-9]{0,22}", fullmatch=True),
    st.sampled_from(
        [
            "0",
            "0.0",
            "00.1",
            "1e5",
            "1E-8",
            "1e400",
            "-1e-400",
            "NaN",
            "nan",
            "inf",
            "-inf",
            "-0",
            "+1",
            "0x10",
            "0b1",
            "1_000",
            " 1",
            "1 ",
            ".5",
            "5.",
            "1.2.3",
            "１２",
            "٣",
            "²",
            "9223372036854775807",
            "9223372036854775808",
            "18446744073709551616",
            str(2**53 + 1),
            "0.000000001",
            "1,5",
        ]
    ),
).map(enc)
TEXT = st.one_of(
    st.text(max_size=12).map(enc),  # unicode, percent-encoded
    st.text(max_size=12).map(lambda t: t.encode("utf-8")),  # unicode, raw bytes
    st.binary(max_size=16),  # anything, raw
    st.binary(max_size=16).map(lambda b: quote_from_bytes(b, safe="").encode()),  # anything, percent-encoded
    st.sampled_from(
        [
            b"",
            b"%",
            b"%F",
            b"%FF",
            b"%zz",
            b"%E2%82",
            b"%00",
            b"\x00",
            b"%26",
            b"%3D",
            b"+",
            b"%2B",
            b"%ED%A0%80",
            b"%C3%28",
            b"\xc3\x28",
            b"\xed\xa0\x80",
            b"%F0%9F%98%80",
            b"%%",
            b"%u0041",
            b"=",
            b"==",
            b"&",
            b"%0A",
            b"\r\n",
            b"null",
            b"true",
            b"[]",
            b"%5B%22BTCUSDT%22%5D",
            b'["BTCUSDT",',
            b"[" * 50,
            b"{}",
            b"' OR 1=1 --",
            b"%22",
            b"\\",
        ]
    ),
    st.integers(min_value=1025, max_value=3000).map(lambda n: b"x" * n),
)
JUNK_NAMES = st.sampled_from(
    [
        b"foo",
        b"",
        b"Symbol",
        b"symbol[]",
        b"symbol%5B%5D",
        b"%00",
        b"\x00",
        b"\xff",
        b"timestamp",
        b"signature",
        b"recvWindow",
        b"%73ymbol",
        b"symbol%00",
        b"n" * 300,
        "ünï".encode(),
        enc("ünï"),
        b"price ",
        b"+",
        b"%20",
    ]
)


def fitting(p: Param) -> st.SearchStrategy[bytes]:
    """Values that pass parsing (or nearly): the declared choices, markets, assets, numbers."""
    if p.enum:
        return st.sampled_from(p.enum).map(str.encode)
    if "ymbol" in p.name:
        return st.sampled_from(MARKETS).map(str.encode)
    if p.name in ("asset", "fromAsset", "toAsset", "coin"):
        return st.sampled_from(ASSETS).map(str.encode)
    if p.kind == "number":
        return st.sampled_from([b"0.001", b"0.01", b"1", b"10", b"90000", b"89990.5", b"3000", b"0.05", b"0"])
    if p.kind == "integer":
        return st.sampled_from([b"1", b"5", b"100", b"1000", b"0", b"1699963200000", b"2"])
    if p.kind == "boolean":
        return st.sampled_from([b"true", b"false", b"TRUE"])
    return st.sampled_from([b"abc", b"c1", b"fuzz-1", b"1"])


@st.composite
def pairs_for(draw, ep: Endpoint) -> list[bytes]:
    """``name=value`` items: the endpoint's names (fitting values, sometimes mutated), junk, repeats."""
    items: list[bytes] = []
    mutate = draw(st.integers(min_value=0, max_value=9))  # 0-3 clean, 4-7 some mutated values, 8-9 also junk
    for p in ep.params:
        if not (p.required or draw(st.booleans())):
            continue
        value = draw(fitting(p) if mutate < 4 or draw(st.booleans()) else st.one_of(NUMBERS, TEXT))
        items.append(p.name.encode() + b"=" + value)
    if mutate >= 8:
        for _ in range(draw(st.integers(min_value=1, max_value=3))):
            name = draw(st.one_of(JUNK_NAMES, st.sampled_from([p.name.encode() for p in ep.params] or [b"x"])))
            shape = draw(st.sampled_from(["pair", "pair", "bare", "empty-name", "two-equals"]))
            value = draw(st.one_of(NUMBERS, TEXT))
            items.append(
                {
                    "pair": name + b"=" + value,
                    "bare": name,
                    "empty-name": b"=" + value,
                    "two-equals": name + b"=" + value + b"=" + value,
                }[shape]
            )
        if items and draw(st.booleans()):
            items.append(draw(st.sampled_from(items)))  # a repeated name
    return draw(st.permutations(items))


@st.composite
def raw_request(draw, endpoints: list[Endpoint]) -> tuple[Endpoint, bytes, bytes]:
    ep = draw(st.sampled_from(endpoints))
    items = draw(pairs_for(ep))
    if ep.method == "GET":
        return ep, b"&".join(items), b""
    in_body = [draw(st.booleans()) for _ in items]
    query = b"&".join(i for i, b in zip(items, in_body, strict=True) if not b)
    body = b"&".join(i for i, b in zip(items, in_body, strict=True) if b)
    return ep, query, body


# ---- orders that reach the engine ----------------------------------------------------------------------

ORDER_ENDPOINTS = [ep for ep in SIGNED if ep.places_order or ep.path == "/api/v3/order/test"]
REFERENCE = {"BTCUSDT": 90000, "ETHUSDT": 3000, "ETHBTC": 0.033, "BNBUSDT": 600, "SOLUSDT": 150}
NEEDS = {
    "LIMIT": ("timeInForce", "quantity", "price"),
    "MARKET": (),
    "LIMIT_MAKER": ("quantity", "price"),
    "STOP_LOSS": ("quantity", "stopPrice"),
    "STOP_LOSS_LIMIT": ("timeInForce", "quantity", "price", "stopPrice"),
    "TAKE_PROFIT": ("quantity", "stopPrice"),
    "TAKE_PROFIT_LIMIT": ("timeInForce", "quantity", "price", "stopPrice"),
}
FACTORS = [0.5, 0.9, 0.99, 0.999, 1, 1.001, 1.01, 1.1, 2, 10, 0.01]


@st.composite
def order_items(draw, ep: Endpoint) -> list[bytes]:
    """A well-formed order of a random type near the book (filters, balances and matching decide
    its fate), then often broken a little; with or without newClientOrderId."""
    symbol = draw(st.sampled_from(MARKETS))
    order_type = draw(st.sampled_from(list(NEEDS)))
    ref = REFERENCE[symbol]
    params: dict[str, str] = {"symbol": symbol, "side": draw(st.sampled_from(["BUY", "SELL"])), "type": order_type}
    for name in NEEDS[order_type] or (draw(st.sampled_from(["quantity", "quoteOrderQty"])),):
        if name == "timeInForce":
            params[name] = draw(st.sampled_from(["GTC", "IOC", "FOK"]))
        elif name in ("price", "stopPrice"):
            params[name] = f"{ref * draw(st.sampled_from(FACTORS)):.8f}".rstrip("0").rstrip(".")
        elif name == "quoteOrderQty":
            params[name] = draw(st.sampled_from(["5", "11", "100", "2500", "1000000"]))
        else:
            params[name] = draw(st.sampled_from(["0.00001", "0.001", "0.01", "0.1", "1", "50", "1000"]))
    if draw(st.booleans()):
        params["newClientOrderId"] = draw(st.sampled_from(["fz-1", "fz-2", "a" * 36]))
    for name, values in (
        ("newOrderRespType", ["ACK", "RESULT", "FULL"]),
        ("selfTradePreventionMode", ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"]),
    ):
        if draw(st.integers(min_value=0, max_value=3)) == 0:
            params[name] = draw(st.sampled_from(values))
    if ep.path == "/sapi/v1/margin/order":
        params["sideEffectType"] = draw(
            st.sampled_from(["NO_SIDE_EFFECT", "MARGIN_BUY", "AUTO_REPAY", "AUTO_BORROW_REPAY"])
        )
        if draw(st.booleans()):
            params["isIsolated"] = "TRUE"
    if ep.path.endswith("cancelReplace"):
        params["cancelReplaceMode"] = draw(st.sampled_from(["STOP_ON_FAILURE", "ALLOW_FAILURE"]))
        params["cancelOrderId"] = str(draw(st.integers(min_value=1, max_value=60)))
    items = [k.encode() + b"=" + v.encode() for k, v in params.items()]
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):  # break it a little
        i = draw(st.integers(min_value=0, max_value=len(items) - 1))
        name = items[i].split(b"=", 1)[0]
        items[i] = name + b"=" + draw(st.one_of(NUMBERS, TEXT)) if draw(st.booleans()) else b""
    return draw(st.permutations([i for i in items if i]))


@st.composite
def order_request(draw) -> tuple[Endpoint, bytes, bytes]:
    ep = draw(st.sampled_from(ORDER_ENDPOINTS))
    items = draw(order_items(ep))
    in_body = [draw(st.sampled_from([True, True, False])) for _ in items]
    return (
        ep,
        b"&".join(i for i, b in zip(items, in_body, strict=True) if not b),
        b"&".join(i for i, b in zip(items, in_body, strict=True) if b),
    )


# ---- the tests ---------------------------------------------------------------------------------------


def test_signed_endpoints_with_raw_parameters(sim: FuzzSim):
    @fuzz_settings(400)
    @given(raw_request(SIGNED))
    def run(request) -> None:
        ep, query, body = request
        sim.check(ep.method, ep.path, query, body, signed=True)

    run()
    assert sim.statuses[200] > 0 and sim.statuses[400] > 0
    sim.venue.engine.check_invariants()


def test_orders_that_reach_the_engine(sim: FuzzSim):
    @fuzz_settings(300)
    @given(order_request())
    def run(request) -> None:
        ep, query, body = request
        sim.check(ep.method, ep.path, query, body, signed=True)

    run()
    assert sim.codes[-1013] > 0 and sim.codes[-2010] > 0 and sim.statuses[200] > 0  # the engine decided
    sim.venue.engine.check_invariants()


def test_signed_endpoints_with_random_bytes(sim: FuzzSim):
    endpoints = st.sampled_from(SIGNED)

    @fuzz_settings(150)
    @given(endpoints, st.binary(max_size=200), st.binary(max_size=200))
    def run(ep: Endpoint, query: bytes, body: bytes) -> None:
        sim.check(ep.method, ep.path, query, b"" if ep.method == "GET" else body, signed=True)

    run()


def test_public_endpoints_with_raw_parameters(sim: FuzzSim):
    @fuzz_settings(200)
    @given(raw_request(PUBLIC), st.sampled_from([False, False, False, True]))
    def run(request, signed: bool) -> None:  # a signature on a public endpoint: -1104 for its extras
        ep, query, body = request
        sim.check(ep.method, ep.path, query, body, signed=signed)

    run()
    assert sim.statuses[200] > 0


# ---- admin JSON --------------------------------------------------------------------------------------

JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False),
    st.text(max_size=10),
    st.sampled_from(
        [
            "1",
            "0.5",
            "100",
            "-1",
            "1e5",
            "USDT",
            "BTCUSDT",
            "HALT",
            "TRADING",
            "HMAC",
            "ED25519",
            "RSA",
            "SPOT",
            "MARGIN",
            "127.0.0.1",
            "",
        ]
    ),
)
JSON = st.recursive(
    JSON_LEAVES,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)
FIELDS = st.sampled_from(
    ["balances", "permissions", "keyType", "publicKey", "ipAllow", "asset", "amount", "status", "price", "extra"]
)
SMALL = st.from_regex(r"(0|[1-9][0-9]{0,5})(\.[0-9]{1,8})?", fullmatch=True)
ADMIN_CALLS = [
    ("POST", "/sandex/v1/accounts"),
    ("POST", "/sandex/v1/accounts/1/deposit"),
    ("POST", "/sandex/v1/accounts/2/keys"),
    ("PUT", "/sandex/v1/markets/BTCUSDT/status"),
    ("PUT", "/sandex/v1/markets/ETHBTC/price"),
    ("PUT", "/sandex/v1/markets/NOPE/status"),
    ("POST", "/sandex/v1/accounts/99999/deposit"),
    ("GET", "/sandex/v1/accounts/1"),
    ("DELETE", "/sandex/v1/keys/nope"),
    ("POST", "/sandex/v1/snapshots/s999/restore"),
]


@st.composite
def admin_body(draw) -> bytes:
    kind = draw(st.integers(min_value=0, max_value=9))
    if kind == 0:
        return draw(st.binary(max_size=60))
    if kind == 1:
        return json.dumps(draw(JSON)).encode()
    obj = {draw(FIELDS): draw(JSON) for _ in range(draw(st.integers(min_value=0, max_value=3)))}
    if draw(st.booleans()):  # a near-valid account: known assets, amounts the ledger can hold
        obj["balances"] = draw(st.dictionaries(st.sampled_from(ASSETS), SMALL, max_size=3))
    return json.dumps(obj).encode()  # stdlib: integers of any size


def test_admin_api_with_random_json(sim: FuzzSim):
    auth = [("Authorization", f"Bearer {ADMIN_TOKEN}"), ("Content-Type", "application/json")]

    @fuzz_settings(200)
    @given(st.sampled_from(ADMIN_CALLS), admin_body())
    def run(call, body: bytes) -> None:
        method, path = call
        sim.check(method, path, b"", b"" if method in ("GET", "DELETE") else body, headers=auth)

    run()
    assert sim.statuses[200] > 0


# ---- margin and convert as time passes -----------------------------------------------------------------

TIMED = [ep for ep in SIGNED if ep.path.startswith(("/sapi/v1/margin", "/sapi/v1/asset", "/sapi/v1/convert"))]


def test_margin_and_convert_as_time_passes():
    """With loans running and the clock moving between requests (the keeper's pass done first, as a
    running server's is, so only what a request itself does is seen), refusals still change nothing."""
    from simulator.margin import CROSS_MARGIN, SPOT, WalletRef

    sim = FuzzSim()
    desk, account = sim.services.margin, sim.sim.demo_account
    desk.transfer(account, "USDT", 2_000 * 10**8, SPOT, CROSS_MARGIN)
    desk.borrow(account, "USDT", 500 * 10**8, CROSS_MARGIN)
    desk.transfer(account, "USDT", 1_000 * 10**8, SPOT, WalletRef("ISOLATED", "BTCUSDT"))
    desk.borrow(account, "USDT", 200 * 10**8, WalletRef("ISOLATED", "BTCUSDT"))

    @fuzz_settings(150)
    @given(raw_request(TIMED), st.integers(min_value=0, max_value=3 * 3_600_000))
    def run(request, wait_ms: int) -> None:
        sim.clock.advance(wait_ms)
        sim.sim.liquidity.step()
        sim.resync()
        ep, query, body = request
        sim.check(ep.method, ep.path, query, body, signed=True)

    try:
        run()
        assert sim.statuses[200] > 0
        sim.venue.engine.check_invariants()
    finally:
        sim.close()
