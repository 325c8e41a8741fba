"""schemathesis against the ASGI app in process, from the OpenAPI description the app serves.

Every operation is one test, fuzzed with schemathesis's positive and negative cases; each answer
must keep the three properties of ``harness.py`` and conform to the description (status, content
type, the error body's schema). Two passes:

* ``test_operation``: every operation as an anonymous client sends it (admin calls with the admin
  token): the public endpoints are fully exercised, the signed ones refused at the key.
* ``test_signed_operation``: every SIGNED operation with the demo key and a valid HMAC-SHA256
  signature over the query string and body exactly as sent (a requests auth hook that replaces the
  generated ``timestamp`` and ``signature``), so parameter parsing and the handlers are reached.

The served description is loaded with ``schemathesis.openapi.from_asgi``; for generation, a copy
names this server's markets and assets as the choices of symbol and asset parameters and sends
decimals as decimal text, so positive cases reach the engine instead of stopping at -1121.
Fault injection (``/sandex/v1/faults``) is left out: failing on purpose is its job.

Examples per operation: 12 (24 signed) in the default run; ``SANDEX_FUZZ_EXAMPLES=N`` for more (see harness.py).
"""

from __future__ import annotations

import copy
from urllib.parse import urlsplit, urlunsplit

import pytest

schemathesis = pytest.importorskip("schemathesis")

import requests  # noqa: E402 - after the importorskip; schemathesis brings it
from hypothesis import given  # noqa: E402 - after the importorskip
from hypothesis import strategies as st  # noqa: E402 - after the importorskip
from schemathesis import GenerationMode  # noqa: E402 - after the importorskip
from schemathesis.checks import not_a_server_error  # noqa: E402 - after the importorskip
from schemathesis.specs.openapi.checks import (  # noqa: E402 - after the importorskip
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from simulator.http import admin  # noqa: E402 - after the importorskip
from simulator.http.app import ENDPOINTS  # noqa: E402 - after the importorskip
from simulator.http.endpoint import openapi_paths  # noqa: E402 - after the importorskip
from tests.harness import hmac_hex  # noqa: E402 - after the importorskip

from .harness import ADMIN_TOKEN, KEY, SECRET, FuzzSim, fuzz_settings  # noqa: E402 - after the importorskip

PER_OPERATION = 12  # the signed pass: twice as many (its cases reach the handlers)
DOCUMENTED = openapi_paths(ENDPOINTS) | admin.openapi_paths()
OPERATIONS = [f"{method.upper()} {path}" for path, ops in DOCUMENTED.items() for method in ops]
SIGNED = [f"{ep.method} {ep.path}" for ep in ENDPOINTS if ep.security.signed]
SYMBOL_PARAMS = {"symbol", "isolatedSymbol", "fromSymbol", "toSymbol"}
ASSET_PARAMS = {"asset", "fromAsset", "toAsset", "coin"}
SMALL_DECIMAL = r"^(0|[1-9][0-9]{0,5})(\.[0-9]{1,8})?$"  # amounts an account can have
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def targeted(doc: dict, markets: list[str], assets: list[str]) -> dict:
    """A copy of the description that names this server's markets and assets and sends decimals
    as text, for generation (negative cases still send anything else)."""
    doc = copy.deepcopy(doc)
    for ops in doc["paths"].values():
        for op in ops.values():
            for p in op.get("parameters", []):
                if p["name"] in SYMBOL_PARAMS:
                    p["schema"] = {"type": "string", "enum": markets}
                elif p["name"] in ASSET_PARAMS:
                    p["schema"] = {"type": "string", "enum": assets}
                elif p["name"] == "account_id":
                    p["schema"] = {"type": "string", "enum": ["1", "2", "3"]}
                elif p["schema"].get("type") == "number":
                    p["schema"] = {"type": "string", "pattern": SMALL_DECIMAL}
                elif p["schema"].get("type") == "string" and "enum" not in p["schema"]:
                    p["schema"]["minLength"] = 1  # Binance reads an empty value as a missing one
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body and "balances" in body.get("properties", {}):
                # amounts small enough for the ledger: huge ones meet a known venue bug (test_known_bugs.py)
                body["properties"]["balances"] = {
                    "type": "object",
                    "maxProperties": 3,
                    "propertyNames": {"enum": assets},
                    "additionalProperties": {"type": "string", "pattern": SMALL_DECIMAL},
                }
    return doc


def _bytes(body: object) -> bytes:
    return body.encode() if isinstance(body, str) else (body or b"")


class Signer(requests.auth.AuthBase):
    """Sign the prepared request as a Binance client does: drop the generated ``timestamp`` and
    ``signature``, add a fresh timestamp, and sign query string + body exactly as they will be sent."""

    def __init__(self, sim: FuzzSim) -> None:
        self.sim = sim

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        url = urlsplit(r.url)
        kept = [
            part for part in url.query.split("&") if part and part.split("=", 1)[0] not in ("timestamp", "signature")
        ]
        query = "&".join([*kept, f"timestamp={self.sim.clock.now_ms()}"])
        body = _bytes(r.body)
        query += "&signature=" + hmac_hex(SECRET, query.encode() + body)
        r.url = urlunsplit(url._replace(query=query))
        r.headers["X-MBX-APIKEY"] = KEY
        return r


def load(sim: FuzzSim):
    """The description the app serves, loaded by schemathesis, and the targeted copy bound to the app."""
    served = schemathesis.openapi.from_asgi("/openapi.json", sim.app)
    assert {f"{op.ok().method.upper()} {op.ok().path}" for op in served.get_all_operations()} >= set(OPERATIONS)
    schema = schemathesis.openapi.from_dict(
        targeted(served.raw_schema, sorted(sim.venue.markets), sorted(sim.venue.assets))
    )
    schema.app = sim.app
    return schema


@pytest.fixture(scope="module")
def fuzzed():
    """One simulator for the module (the examples pile up state, as real traffic does) and its schema."""
    sim = FuzzSim()
    yield load(sim), sim
    sim.close()


def _fuzz(fuzzed, label: str, signed: bool, per_operation: int = PER_OPERATION) -> None:
    schema, sim = fuzzed
    method, path = label.split(" ", 1)
    operation = schema[path][method]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
    if signed:
        session.auth = Signer(sim)
    modes = [operation.as_strategy(GenerationMode.POSITIVE)]
    if operation.definition.raw.get("parameters") or operation.definition.raw.get("requestBody"):
        modes.append(operation.as_strategy(GenerationMode.NEGATIVE))

    @fuzz_settings(per_operation)
    @given(case=st.one_of(modes))
    def run(case) -> None:
        response = case.call(session=session)
        sim.observe(
            path,
            response.status_code,
            (response.headers.get("content-type") or [""])[0],
            response.content,
            (label, response.request.url, response.request.body),
        )
        case.validate_response(response, checks=CHECKS)

    run()


@pytest.mark.parametrize("label", OPERATIONS)
def test_operation(fuzzed, label: str):
    _fuzz(fuzzed, label, signed=False)


@pytest.mark.parametrize("label", SIGNED)
def test_signed_operation(fuzzed, label: str):
    _fuzz(fuzzed, label, signed=True, per_operation=2 * PER_OPERATION)


def test_signer_makes_valid_requests():
    """The signing hook is right: well-formed requests built by schemathesis succeed through it."""
    sim = FuzzSim()
    schema = load(sim)
    session = requests.Session()
    session.auth = Signer(sim)
    account = schema["/api/v3/account"]["GET"].Case(query={"omitZeroBalances": "true"})
    assert account.call(session=session).status_code == 200
    order = schema["/api/v3/order"]["POST"].Case(
        query={
            "symbol": "BTCUSDT",
            "side": "BUY",
            "type": "LIMIT",
            "timeInForce": "GTC",
            "quantity": "0.001",
            "price": "80000",
            "timestamp": 1,
            "signature": "x",
        }
    )
    response = order.call(session=session)
    assert response.status_code == 200, response.content
    sim.close()
