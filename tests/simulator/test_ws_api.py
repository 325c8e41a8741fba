"""The WebSocket API's own rules, below the socket: what a signature covers, how a request's JSON
parameters become REST's parameter text, Binance's id rule, the connection limit, the method table.
(End to end, against a real server and unmodified clients: tests/integration/test_ws_api.py.)"""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.accounts import KeyStore, KeyType
from simulator.auth import authenticate, ws_payload
from simulator.binance_errors import ApiError
from simulator.clock import ManualClock
from simulator.config import SimulatorConfig
from simulator.http import market, spot, ws_api
from simulator.launcher import build
from simulator.ratelimit import RateLimitConfig

# Binance's worked example (web-socket-api.md, "SIGNED request example (HMAC)")
DOC_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
DOC_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
DOC_ORDER = {
    "symbol": "BTCUSDT",
    "side": "SELL",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "0.01000000",
    "price": "52000.00",
    "recvWindow": 100,
    "timestamp": 1645423376532,
    "apiKey": DOC_KEY,
}
DOC_PAYLOAD = (
    "apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&price=52000.00&quantity=0.01000000"
    "&recvWindow=100&side=SELL&symbol=BTCUSDT&timeInForce=GTC&timestamp=1645423376532&type=LIMIT"
)
DOC_SIGNATURE = "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24"
DOC_UNICODE = {
    **DOC_ORDER,
    "symbol": "１２３４５６",
    "side": "BUY",
    "quantity": "1.00000000",
    "price": "0.10000000",
    "recvWindow": 5000,
}
DOC_UNICODE_SIGNATURE = "b33892ae8e687c939f4468c6268ddd4c40ac1af18ad19a064864c47bae0752cd"


def hmac_hex(payload: str) -> str:
    return hmac.new(DOC_SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()


def params_of(json_text: str) -> dict[str, str]:
    """A request's ``params`` object read as the server reads it."""
    return ws_api.read_params(ws_api._loads(json_text))


# ---- what a signature covers -------------------------------------------------------------------


def test_the_payload_of_binances_worked_example() -> None:
    params = ws_api.read_params({**DOC_ORDER, "signature": "anything"})
    assert ws_payload(params) == DOC_PAYLOAD
    assert hmac_hex(DOC_PAYLOAD) == DOC_SIGNATURE


def test_the_payload_of_binances_unicode_example() -> None:
    payload = ws_payload(ws_api.read_params(DOC_UNICODE))
    assert "&symbol=１２３４５６&" in payload  # UTF-8 as sent: no percent-encoding
    assert hmac_hex(payload) == DOC_UNICODE_SIGNATURE


def test_the_payload_is_the_json_as_sent() -> None:
    """Numbers keep their text (no float in between), booleans are true/false, arrays their JSON,
    null is not sent; the signature is never part of it; names sort as code points (uppercase first)."""
    params = params_of(
        '{"quantity": 0.010, "recvWindow": 5000.5, "timestamp": 1645423376532000, "omitZeroBalances": true,'
        ' "symbols": ["BTCUSDT", "ETHUSDT"], "orderId": null, "signature": "x", "timeInForce": "GTC", "b": 1e-5}'
    )
    assert ws_payload(params) == (
        "b=1e-5&omitZeroBalances=true&quantity=0.010&recvWindow=5000.5"
        '&symbols=["BTCUSDT","ETHUSDT"]&timeInForce=GTC&timestamp=1645423376532000'
    )


@given(st.dictionaries(st.text(st.characters(codec="utf-8"), min_size=1), st.text(st.characters(codec="utf-8"))))
def test_the_payload_does_not_depend_on_the_order_sent(params: dict[str, str]) -> None:
    shuffled = dict(reversed(list(params.items())))
    assert ws_payload(params) == ws_payload(shuffled)
    assert ws_payload({**params, "signature": "s"}) == ws_payload({k: v for k, v in params.items() if k != "signature"})


def _store() -> tuple[KeyStore, str]:
    store = KeyStore()
    store.issue(7, key_type=KeyType.HMAC, api_key=DOC_KEY, secret=DOC_SECRET)
    return store, DOC_KEY


def test_authenticate_with_the_signature_apart() -> None:
    store, key = _store()
    params = ws_api.read_params({**DOC_ORDER, "signature": DOC_SIGNATURE.upper()})  # HMAC: either case
    now = DOC_ORDER["timestamp"]
    assert authenticate(store, key, ws_payload(params), params, "198.51.100.1", now, "SPOT", params["signature"])
    with pytest.raises(ApiError) as bad:
        authenticate(store, key, ws_payload(params) + "&x=1", params, "198.51.100.1", now, "SPOT", DOC_SIGNATURE)
    assert (bad.value.code, bad.value.msg) == (-1022, "Signature for this request is not valid.")
    with pytest.raises(ApiError) as missing:
        authenticate(store, key, ws_payload(params), params, "198.51.100.1", now, "SPOT", "")
    assert missing.value.code == -1102 and "'signature'" in missing.value.msg


# ---- parameters and ids ----------------------------------------------------------------------------


def test_json_values_become_rest_parameter_text() -> None:
    assert params_of('{"a": "x", "b": 12, "c": -0.50, "d": false, "e": null, "f": [1, "y", {"z": 2.0}]}') == {
        "a": "x",
        "b": "12",
        "c": "-0.50",
        "d": "false",
        "f": '[1,"y",{"z":2.0}]',
    }
    assert all(type(v) is str for v in params_of('{"b": 12, "c": 1.5}').values())


@pytest.mark.parametrize(
    ("params", "code", "msg"),
    [
        ([1], -1135, "Invalid 'params' in JSON request; expected an object."),
        ("x", -1135, "Invalid 'params' in JSON request; expected an object."),
        ({f"p{i}": "1" for i in range(65)}, -1101, "Too many parameters; expected '64' and received '65'."),
        ({"s": "\ud800"}, -1100, "Illegal characters found in parameter 's'; legal range is 'UTF-8 text'."),
    ],
)
def test_parameters_that_are_not_parameters(params: object, code: int, msg: str) -> None:
    with pytest.raises(ApiError) as refused:
        ws_api.read_params(params)
    assert (refused.value.status, refused.value.code, refused.value.msg) == (400, code, msg)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"id": 1}', 1),
        ('{"id": -9223372036854775808}', -(2**63)),
        ('{"id": "e2a85d9f-07a5-4f94-8d5f-789dc3deb097"}', "e2a85d9f-07a5-4f94-8d5f-789dc3deb097"),
        ('{"id": null}', None),
        ('{"id": 9223372036854775808}', ApiError),
        ('{"id": 1.0}', ApiError),
        ('{"id": true}', ApiError),
        ('{"id": "a b"}', ApiError),
        ('{"id": ""}', ApiError),
        ('{"id": "' + "a" * 37 + '"}', ApiError),
        ('{"id": [1]}', ApiError),
    ],
)
def test_binances_id_rule(text: str, expected: object) -> None:
    request = ws_api._loads(text)
    assert isinstance(request, dict)
    if expected is ApiError:
        with pytest.raises(ApiError) as refused:
            ws_api._request_id(request)
        assert refused.value.code == -1135 and refused.value.msg.startswith("Invalid 'id' in JSON request")
    else:
        assert ws_api._request_id(request) == expected


# ---- the method table and the connection limit -------------------------------------------------------


def test_every_method_with_a_rest_twin_is_that_twins_endpoint() -> None:
    rest = {id(ep) for ep in (*market.ENDPOINTS, *spot.ENDPOINTS)}
    twins = {name: ep for name, ep in ws_api.METHODS.items() if ep.method != "WS"}
    assert len(twins) == 27 and all(id(ep) in rest for ep in twins.values())  # the very declarations
    assert twins["order.place"].path == "/api/v3/order" and twins["order.place"].method == "POST"
    assert twins["order.cancel"].method == "DELETE" and twins["ticker.book"].path == "/api/v3/ticker/bookTicker"
    own = {name for name, ep in ws_api.METHODS.items() if ep.method == "WS"}
    assert own == {
        "session.logon",
        "session.status",
        "session.logout",
        "session.subscriptions",
        "userDataStream.subscribe",
        "userDataStream.subscribe.signature",
        "userDataStream.unsubscribe",
    }
    assert all(ws_api.METHODS[name].weight == 2 for name in own)
    assert ws_api.METHODS["session.logon"].signed and not ws_api.METHODS["userDataStream.subscribe"].signed


def test_three_hundred_connection_attempts_per_ip_in_five_minutes() -> None:
    clock = ManualClock(1_800_000_000_000)  # (the start of a 5-minute window)
    limits = RateLimitConfig(request_weight_per_minute=10**6)
    sim = build(SimulatorConfig(liquidity=False, rate_limits=limits), clock)
    try:
        server = ws_api._Server(sim.app.services)
        for _ in range(300):
            server.admit("198.51.100.1")
        with pytest.raises(ApiError) as refused:
            server.admit("198.51.100.1")
        assert (refused.value.status, refused.value.code) == (429, -1034)
        assert refused.value.msg == "Too many connection attempts from IP; current limit is 300 per '5 MINUTE'."
        assert server.admit("198.51.100.2")["X-MBX-USED-WEIGHT-1M"] == "2"  # another IP; connecting weighs 2
        clock.advance(5 * 60_000)
        server.admit("198.51.100.1")  # a new window
    finally:
        sim.close()
