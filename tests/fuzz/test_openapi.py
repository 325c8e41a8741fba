"""The OpenAPI description the app serves is complete enough to fuzz from: every Binance path,
method and parameter with its type, required flag and fixed choices; the error body's schema on
every operation; the security schemes."""

from __future__ import annotations

import pytest

from simulator.http.app import ENDPOINTS
from simulator.http.order_params import STP_MODES, TIFS, TYPES

from .harness import FuzzSim

ENUMS = {
    ("post", "/api/v3/order", "side"): ["BUY", "SELL"],
    ("post", "/api/v3/order", "type"): list(TYPES),
    ("post", "/api/v3/order", "timeInForce"): list(TIFS),
    ("post", "/api/v3/order", "newOrderRespType"): ["ACK", "FULL", "RESULT"],
    ("post", "/api/v3/order", "selfTradePreventionMode"): list(STP_MODES),
    ("delete", "/api/v3/order", "cancelRestrictions"): ["ONLY_NEW", "ONLY_PARTIALLY_FILLED"],
    ("post", "/api/v3/order/cancelReplace", "cancelReplaceMode"): ["ALLOW_FAILURE", "STOP_ON_FAILURE"],
    ("post", "/api/v3/order/cancelReplace", "orderRateLimitExceededMode"): ["CANCEL_ONLY", "DO_NOTHING"],
    ("get", "/api/v3/exchangeInfo", "symbolStatus"): ["BREAK", "HALT", "TRADING"],
    ("get", "/api/v3/ticker/24hr", "type"): ["FULL", "MINI"],
    ("post", "/sapi/v1/margin/transfer", "type"): [1, 2],
    ("post", "/sapi/v1/margin/borrow-repay", "type"): ["BORROW", "REPAY"],
    ("post", "/sapi/v1/margin/isolated/transfer", "transFrom"): ["SPOT", "ISOLATED_MARGIN"],
    ("post", "/sapi/v1/margin/order", "sideEffectType"): [
        "NO_SIDE_EFFECT",
        "MARGIN_BUY",
        "AUTO_REPAY",
        "AUTO_BORROW_REPAY",
    ],
    ("post", "/sapi/v1/convert/getQuote", "validTime"): ["10s", "30s", "1m", "2m"],
}


@pytest.fixture(scope="module")
def doc() -> dict:
    sim = FuzzSim()
    try:
        answer = sim.call("GET", "/openapi.json")
        assert answer.status == 200
        return answer.json()
    finally:
        sim.close()


def test_every_endpoint_and_parameter_is_described(doc: dict):
    paths = doc["paths"]
    for ep in ENDPOINTS:
        op = paths[ep.path][ep.method.lower()]
        described = {p["name"]: p for p in op["parameters"]}
        for p in ep.params:
            d = described[p.name]
            assert (d["in"], d["required"], d["schema"]["type"]) == ("query", p.required, p.kind), (ep.path, p.name)
        if ep.security.signed:
            assert described["timestamp"]["required"] and described["signature"]["required"], ep.path
            assert op["security"] == [{"ApiKey": []}]
        error = op["responses"]["4XX"]["content"]["application/json"]["schema"]
        assert error == {"$ref": "#/components/schemas/BinanceError"}, ep.path


def test_fixed_choices_are_enums(doc: dict):
    for (method, path, name), expected in ENUMS.items():
        params = {p["name"]: p for p in doc["paths"][path][method]["parameters"]}
        assert sorted(params[name]["schema"]["enum"], key=str) == sorted(expected, key=str), (path, name)
    klines = {p["name"]: p for p in doc["paths"]["/api/v3/klines"]["get"]["parameters"]}
    assert {"1s", "1m", "1h", "1d", "1w", "1M"} <= set(klines["interval"]["schema"]["enum"])


def test_error_schema_and_security_schemes(doc: dict):
    components = doc["components"]
    error = components["schemas"]["BinanceError"]
    assert error["required"] == ["code", "msg"] and error["additionalProperties"] is False
    assert error["properties"]["code"]["type"] == "integer" and error["properties"]["msg"]["type"] == "string"
    schemes = components["securitySchemes"]
    assert schemes["ApiKey"] == schemes["ApiKey"] | {"type": "apiKey", "in": "header", "name": "X-MBX-APIKEY"}
    assert schemes["AdminToken"]["scheme"] == "bearer"
    assert doc["paths"]["/api/v3/historicalTrades"]["get"]["security"] == [{}, {"ApiKey": []}]
