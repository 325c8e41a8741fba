"""sandex's admin API (``/sandex/v1``) and the OpenAPI description, through the ASGI app in process."""

from __future__ import annotations

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from simulator.clock import ManualClock
from simulator.config import SimulatorConfig
from simulator.http.app import ENDPOINTS
from simulator.launcher import build
from tests.harness import ApiClient, private_pem

T0 = 1_699_963_200_000
TOKEN = "admin-token-for-tests-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ASSETS = ["BTC", "USDT", "ETH", "BNB", "SOL"]
BAD_TOKEN = (401, -1002, "You are not authorized to execute this request.")


class Admin:
    def __init__(self) -> None:
        self.clock = ManualClock(T0)
        self.sim = build(
            SimulatorConfig(liquidity=False, admin_token=TOKEN, demo_api_key="D" * 64, demo_api_secret="S" * 64),
            clock=self.clock,
        )
        self.venue = self.sim.venue
        self.api = ApiClient.in_process(self.sim.app, self.clock.now_ms, admin_token=TOKEN)
        self.client = self.api.http

    def call(
        self, method: str, path: str, body=None, *, raw: bytes | None = None, headers: dict | None = None
    ) -> httpx.Response:
        h = dict(AUTH if headers is None else headers)
        if raw is not None:
            return self.client.request(method, path, content=raw, headers={**h, "Content-Type": "application/json"})
        if body is None:
            return self.client.request(method, path, headers=h)
        return self.client.request(method, path, json=body, headers=h)

    def ok(self, method: str, path: str, body=None) -> dict:
        r = self.call(method, path, body)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/json"
        return r.json()

    def signed(self, method: str, path: str, api_key: str, signer: tuple[str, str], params=()) -> httpx.Response:
        key_type, secret = signer
        return self.api.signed(method, path, params, key=api_key, secret=secret, key_type=key_type)

    def state(self) -> tuple:
        """Everything a refused admin call must leave alone."""
        return (
            self.venue.engine.fingerprint(),
            tuple(self.venue.account_ids()),
            len(self.venue.keys),
            {a: self.venue.engine.total_supply(a) for a in ASSETS},
            {s: self.venue.engine.market_status(s).name for s in self.venue.markets},
        )


def hmac_signer(secret: str) -> tuple[str, str]:
    return "HMAC", secret


def ed25519_signer(private) -> tuple[str, str]:
    return "ED25519", private_pem(private)


def rsa_signer(private) -> tuple[str, str]:
    return "RSA", private_pem(private)


def error(r: httpx.Response) -> tuple[int, int, str]:
    body = r.json()
    assert set(body) == {"code", "msg"}, body
    assert isinstance(body["msg"], str) and body["msg"]
    return r.status_code, body["code"], body["msg"]


@pytest.fixture
def admin() -> Admin:
    return Admin()


# ---- accounts and keys ---------------------------------------------------------------------------


def test_create_account_hmac(admin: Admin):
    supply = admin.venue.engine.total_supply("USDT")
    body = admin.ok("POST", "/sandex/v1/accounts", {"balances": {"USDT": "1000.5", "BTC": 2}, "permissions": ["SPOT"]})
    assert set(body) == {"accountId", "apiKey", "secret", "keyType"}
    assert body["keyType"] == "HMAC" and body["accountId"] == max(admin.venue.account_ids())
    assert len(body["apiKey"]) == 64 and len(body["secret"]) == 64
    assert admin.venue.engine.total_supply("USDT") == supply + 1000.5 * 10**8
    sign = hmac_signer(body["secret"])
    account = admin.signed("GET", "/api/v3/account", body["apiKey"], sign, [("omitZeroBalances", "true")]).json()
    assert account["balances"] == [
        {"asset": "BTC", "free": "2.00000000", "locked": "0.00000000"},
        {"asset": "USDT", "free": "1000.50000000", "locked": "0.00000000"},
    ]
    assert account["permissions"] == ["SPOT"] and account["canTrade"] is True
    assert account["uid"] == body["accountId"] and account["updateTime"] == T0
    placed = admin.signed(
        "POST",
        "/api/v3/order",
        body["apiKey"],
        sign,
        [
            ("symbol", "BTCUSDT"),
            ("side", "SELL"),
            ("type", "LIMIT"),
            ("timeInForce", "GTC"),
            ("quantity", "0.5"),
            ("price", "60000"),
            ("newOrderRespType", "ACK"),
        ],
    )
    assert placed.status_code == 200, placed.text


def test_create_account_without_anything(admin: Admin):
    body = admin.ok("POST", "/sandex/v1/accounts", {})
    assert body["keyType"] == "HMAC"
    shown = admin.ok("GET", f"/sandex/v1/accounts/{body['accountId']}")
    assert all(v == {"free": "0.00000000", "locked": "0.00000000"} for v in shown["balances"]["spot"].values())
    assert shown["keys"][0]["permissions"] == ["MARGIN", "SPOT"]
    # an empty body is the same as {}
    r = admin.call("POST", "/sandex/v1/accounts", raw=b"")
    assert r.status_code == 200 and r.json()["accountId"] == body["accountId"] + 1


def test_read_only_account_key(admin: Admin):
    body = admin.ok("POST", "/sandex/v1/accounts", {"balances": {"USDT": "100"}, "permissions": []})
    sign = hmac_signer(body["secret"])
    account = admin.signed("GET", "/api/v3/account", body["apiKey"], sign).json()
    assert account["canTrade"] is False
    r = admin.signed(
        "POST",
        "/api/v3/order",
        body["apiKey"],
        sign,
        [
            ("symbol", "BTCUSDT"),
            ("side", "BUY"),
            ("type", "LIMIT"),
            ("timeInForce", "GTC"),
            ("quantity", "0.001"),
            ("price", "50000"),
        ],
    )
    assert error(r) == (401, -2015, "Invalid API-key, IP, or permissions for action.")


@pytest.mark.parametrize("key_type", ["ED25519", "RSA"])
def test_create_account_generated_key_pair(admin: Admin, key_type: str):
    body = admin.ok("POST", "/sandex/v1/accounts", {"balances": {"USDT": "50"}, "keyType": key_type})
    assert body["keyType"] == key_type
    pem = body["secret"]
    assert pem.startswith("-----BEGIN PRIVATE KEY-----\n") and pem.rstrip().endswith("-----END PRIVATE KEY-----")
    private = serialization.load_pem_private_key(pem.encode(), password=None)
    if key_type == "ED25519":
        assert isinstance(private, ed25519.Ed25519PrivateKey)
        sign = ed25519_signer(private)
    else:
        assert isinstance(private, rsa.RSAPrivateKey) and private.key_size >= 2048
        sign = rsa_signer(private)
    r = admin.signed("GET", "/api/v3/account", body["apiKey"], sign, [("omitZeroBalances", "true")])
    assert r.status_code == 200, r.text
    assert r.json()["balances"] == [{"asset": "USDT", "free": "50.00000000", "locked": "0.00000000"}]
    # a signature by another key is refused
    other = ed25519.Ed25519PrivateKey.generate() if key_type == "ED25519" else rsa.generate_private_key(65537, 2048)
    wrong = ed25519_signer(other) if key_type == "ED25519" else rsa_signer(other)
    assert error(admin.signed("GET", "/api/v3/account", body["apiKey"], wrong)) == (
        400,
        -1022,
        "Signature for this request is not valid.",
    )


def test_create_account_with_supplied_public_key(admin: Admin):
    private = ed25519.Ed25519PrivateKey.generate()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    body = admin.ok(
        "POST", "/sandex/v1/accounts", {"keyType": "ED25519", "publicKey": public_pem, "balances": {"ETH": "1.25"}}
    )
    assert body["secret"] is None and body["keyType"] == "ED25519"
    r = admin.signed("GET", "/api/v3/account", body["apiKey"], ed25519_signer(private), [("omitZeroBalances", "true")])
    assert r.status_code == 200, r.text
    assert r.json()["balances"] == [{"asset": "ETH", "free": "1.25000000", "locked": "0.00000000"}]


def test_deposit(admin: Admin):
    supply = admin.venue.engine.total_supply("BTC")
    account = admin.ok("POST", "/sandex/v1/accounts", {"balances": {"USDT": "10"}})
    aid = account["accountId"]
    admin.clock.advance(250)
    body = admin.ok("POST", f"/sandex/v1/accounts/{aid}/deposit", {"asset": "USDT", "amount": "5.12345678"})
    assert body == {"accountId": aid, "asset": "USDT", "free": "15.12345678", "locked": "0.00000000"}
    body = admin.ok("POST", f"/sandex/v1/accounts/{aid}/deposit", {"asset": "BTC", "amount": 3})
    assert body == {"accountId": aid, "asset": "BTC", "free": "3.00000000", "locked": "0.00000000"}
    assert admin.venue.engine.total_supply("BTC") == supply + 3 * 10**8
    shown = admin.ok("GET", f"/sandex/v1/accounts/{aid}")
    assert shown["updateTime"] == T0 + 250
    assert shown["balances"]["spot"]["USDT"] == {"free": "15.12345678", "locked": "0.00000000"}
    admin.venue.engine.check_invariants()


def test_show_account_masks_keys_and_never_shows_secrets(admin: Admin):
    created = admin.ok("POST", "/sandex/v1/accounts", {"balances": {"BTC": "0.5"}, "permissions": ["SPOT"]})
    aid = created["accountId"]
    second = admin.ok("POST", f"/sandex/v1/accounts/{aid}/keys", {"keyType": "ED25519", "permissions": []})
    r = admin.call("GET", f"/sandex/v1/accounts/{aid}")
    assert r.status_code == 200
    body = r.json()
    assert body == {
        "accountId": aid,
        "updateTime": T0,
        "balances": {
            "spot": {
                "BTC": {"free": "0.50000000", "locked": "0.00000000"},
                "USDT": {"free": "0.00000000", "locked": "0.00000000"},
                "ETH": {"free": "0.00000000", "locked": "0.00000000"},
                "BNB": {"free": "0.00000000", "locked": "0.00000000"},
                "SOL": {"free": "0.00000000", "locked": "0.00000000"},
            },
            "crossMargin": {},
            "isolatedMargin": {},
        },
        "loans": [],
        "keys": [
            {"apiKey": created["apiKey"][:4] + "…", "keyType": "HMAC", "permissions": ["SPOT"], "revoked": False},
            {"apiKey": second["apiKey"][:4] + "…", "keyType": "ED25519", "permissions": [], "revoked": False},
        ],
    }
    text = r.text
    for secret_text in (
        created["apiKey"],
        created["secret"],
        second["apiKey"],
        second["secret"],
        created["apiKey"][:16],
        created["secret"][:16],
    ):
        assert secret_text not in text
    assert "PRIVATE" not in text


def test_new_key_and_revoke(admin: Admin):
    created = admin.ok("POST", "/sandex/v1/accounts", {"balances": {"USDT": "100"}})
    aid = created["accountId"]
    extra = admin.ok("POST", f"/sandex/v1/accounts/{aid}/keys", {"permissions": ["SPOT"]})
    assert extra["accountId"] == aid and extra["keyType"] == "HMAC" and extra["apiKey"] != created["apiKey"]
    first_sign, extra_sign = hmac_signer(created["secret"]), hmac_signer(extra["secret"])
    assert admin.signed("GET", "/api/v3/account", extra["apiKey"], extra_sign).json()["uid"] == aid

    revoked = admin.ok("DELETE", f"/sandex/v1/keys/{created['apiKey']}")
    assert revoked == {"apiKey": created["apiKey"][:4] + "…", "revoked": True}
    assert error(admin.signed("GET", "/api/v3/account", created["apiKey"], first_sign)) == (
        401,
        -2015,
        "Invalid API-key, IP, or permissions for action.",
    )
    assert admin.signed("GET", "/api/v3/account", extra["apiKey"], extra_sign).status_code == 200
    keys = admin.ok("GET", f"/sandex/v1/accounts/{aid}")["keys"]
    assert [(k["revoked"], k["permissions"]) for k in keys] == [(True, ["MARGIN", "SPOT"]), (False, ["SPOT"])]
    before = admin.state()
    assert error(admin.call("DELETE", f"/sandex/v1/keys/{created['apiKey']}")) == (
        404,
        -2015,
        "no live API key by that name",
    )
    assert error(admin.call("DELETE", "/sandex/v1/keys/never-issued")) == (404, -2015, "no live API key by that name")
    assert admin.state() == before


def test_new_key_for_unknown_account(admin: Admin):
    before = admin.state()
    for aid in ("999", "abc", "-1"):
        status, code, msg = error(admin.call("POST", f"/sandex/v1/accounts/{aid}/keys", {}))
        assert (status, code) == (404, -1130) and aid in msg
        status, code, _ = error(admin.call("GET", f"/sandex/v1/accounts/{aid}"))
        assert (status, code) == (404, -1130)
        status, code, _ = error(
            admin.call("POST", f"/sandex/v1/accounts/{aid}/deposit", {"asset": "USDT", "amount": "1"})
        )
        assert (status, code) == (404, -1130)
    assert admin.state() == before


def test_market_halt_refuses_orders_but_allows_cancels(admin: Admin):
    created = admin.ok("POST", "/sandex/v1/accounts", {"balances": {"USDT": "10000"}})
    sign = hmac_signer(created["secret"])
    key = created["apiKey"]
    order = [
        ("symbol", "BTCUSDT"),
        ("side", "BUY"),
        ("type", "LIMIT"),
        ("timeInForce", "GTC"),
        ("quantity", "0.01"),
        ("price", "50000"),
    ]
    resting = admin.signed("POST", "/api/v3/order", key, sign, order + [("newClientOrderId", "before-halt")])
    assert resting.status_code == 200

    assert admin.ok("PUT", "/sandex/v1/markets/BTCUSDT/status", {"status": "HALT"}) == {
        "symbol": "BTCUSDT",
        "status": "HALT",
    }
    info = admin.client.get("/api/v3/exchangeInfo?symbol=BTCUSDT").json()
    assert info["symbols"][0]["status"] == "HALT"
    before = admin.state()
    closed = (400, -1013, "Market is closed.")
    assert error(admin.signed("POST", "/api/v3/order", key, sign, order)) == closed
    assert error(admin.signed("POST", "/api/v3/order/test", key, sign, order)) == closed
    assert admin.state() == before
    # other markets trade on
    eth = [
        ("symbol", "ETHUSDT"),
        ("side", "BUY"),
        ("type", "LIMIT"),
        ("timeInForce", "GTC"),
        ("quantity", "0.1"),
        ("price", "2000"),
    ]
    assert admin.signed("POST", "/api/v3/order", key, sign, eth).status_code == 200
    # cancels still work on the halted market
    canceled = admin.signed(
        "DELETE", "/api/v3/order", key, sign, [("symbol", "BTCUSDT"), ("origClientOrderId", "before-halt")]
    )
    assert canceled.status_code == 200 and canceled.json()["status"] == "CANCELED"
    assert admin.ok("PUT", "/sandex/v1/markets/BTCUSDT/status", {"status": "TRADING"}) == {
        "symbol": "BTCUSDT",
        "status": "TRADING",
    }
    assert admin.signed("POST", "/api/v3/order", key, sign, order).status_code == 200
    admin.venue.engine.check_invariants()


def test_health(admin: Admin):
    admin.clock.advance(42)
    assert admin.ok("GET", "/sandex/v1/health") == {
        "status": "ok",
        "readOnlyReason": None,
        "serverTime": T0 + 42,
        "markets": 5,
        "accounts": 3,
        "quoteUpdates": {},
        "liquidityFailures": 0,
    }
    admin.ok("POST", "/sandex/v1/accounts", {})
    assert admin.ok("GET", "/sandex/v1/health")["accounts"] == 4


# ---- the admin token -----------------------------------------------------------------------------

ROUTES = [
    ("GET", "/sandex/v1/health", None),
    ("POST", "/sandex/v1/accounts", {"balances": {"USDT": "1"}}),
    ("GET", "/sandex/v1/accounts/1", None),
    ("POST", "/sandex/v1/accounts/1/deposit", {"asset": "USDT", "amount": "1"}),
    ("POST", "/sandex/v1/accounts/1/keys", {}),
    ("DELETE", "/sandex/v1/keys/" + "D" * 64, None),
    ("PUT", "/sandex/v1/markets/BTCUSDT/status", {"status": "HALT"}),
]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
        {"Authorization": "Bearer"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Bearer {TOKEN[:-1]}"},
    ],
    ids=["missing", "wrong", "basic", "no-scheme", "empty", "longer", "shorter"],
)
@pytest.mark.parametrize("method, path, body", ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_admin_token_required(admin: Admin, method, path, body, headers):
    before = admin.state()
    assert error(admin.call(method, path, body, headers=headers)) == BAD_TOKEN
    assert admin.state() == before
    assert admin.venue.keys.get("D" * 64).revoked is False


def test_bearer_scheme_is_case_insensitive(admin: Admin):
    assert admin.call("GET", "/sandex/v1/health", headers={"Authorization": f"bearer {TOKEN}"}).status_code == 200


# ---- malformed requests: 400 with a clear message, and nothing changes --------------------------------

BAD_BODIES = [
    pytest.param("POST", "/sandex/v1/accounts", b"{not json", "not JSON", id="create-malformed-json"),
    pytest.param("POST", "/sandex/v1/accounts", b"[1, 2]", "JSON object", id="create-not-an-object"),
    pytest.param("POST", "/sandex/v1/accounts", b'{"balance": {"USDT": "1"}}', "unknown fields", id="create-typo"),
    pytest.param(
        "POST", "/sandex/v1/accounts", b'{"balances": {"USDT": 1.5}}', "decimal strings", id="create-float-amount"
    ),
    pytest.param(
        "POST", "/sandex/v1/accounts", b'{"balances": {"USDT": 1e3}}', "decimal strings", id="create-exponent-amount"
    ),
    pytest.param(
        "POST", "/sandex/v1/accounts", b'{"balances": {"USDT": true}}', "decimal strings", id="create-bool-amount"
    ),
    pytest.param("POST", "/sandex/v1/accounts", b'{"balances": {"USDT": "-5"}}', "USDT", id="create-negative"),
    pytest.param(
        "POST",
        "/sandex/v1/accounts",
        b'{"balances": {"USDT": "1.123456789"}}',
        "at most 8 decimals",
        id="create-too-precise",
    ),
    pytest.param(
        "POST", "/sandex/v1/accounts", b'{"balances": {"DOGE": "5"}}', "unknown asset", id="create-unknown-asset"
    ),
    pytest.param("POST", "/sandex/v1/accounts", b'{"balances": ["USDT", "5"]}', "balances", id="create-balances-list"),
    pytest.param(
        "POST",
        "/sandex/v1/accounts",
        b'{"permissions": ["SPOT", "FUTURES"]}',
        "permissions",
        id="create-unknown-permission",
    ),
    pytest.param(
        "POST", "/sandex/v1/accounts", b'{"permissions": "SPOT"}', "permissions", id="create-permissions-string"
    ),
    pytest.param("POST", "/sandex/v1/accounts", b'{"keyType": "DSA"}', "keyType", id="create-bad-key-type"),
    pytest.param("POST", "/sandex/v1/accounts", b'{"ipAllow": "10.0.0.1"}', "ipAllow", id="create-ip-string"),
    pytest.param(
        "POST", "/sandex/v1/accounts", b'{"publicKey": 5, "keyType": "RSA"}', "publicKey", id="create-public-key-number"
    ),
    pytest.param(
        "POST", "/sandex/v1/accounts/1/deposit", b'{"asset": "USDT", "amount": "0"}', "positive", id="deposit-zero"
    ),
    pytest.param(
        "POST", "/sandex/v1/accounts/1/deposit", b'{"asset": "USDT", "amount": 0}', "positive", id="deposit-zero-int"
    ),
    pytest.param(
        "POST", "/sandex/v1/accounts/1/deposit", b'{"asset": "USDT", "amount": "-1"}', "USDT", id="deposit-negative"
    ),
    pytest.param(
        "POST", "/sandex/v1/accounts/1/deposit", b'{"asset": "USDT", "amount": -1}', "USDT", id="deposit-negative-int"
    ),
    pytest.param(
        "POST",
        "/sandex/v1/accounts/1/deposit",
        b'{"asset": "USDT", "amount": 2.5}',
        "decimal strings",
        id="deposit-float",
    ),
    pytest.param(
        "POST", "/sandex/v1/accounts/1/deposit", b'{"asset": "USDT", "amount": "2.5.1"}', "USDT", id="deposit-malformed"
    ),
    pytest.param(
        "POST",
        "/sandex/v1/accounts/1/deposit",
        b'{"asset": "XRP", "amount": "1"}',
        "unknown asset",
        id="deposit-unknown-asset",
    ),
    pytest.param("POST", "/sandex/v1/accounts/1/deposit", b'{"amount": "1"}', "unknown asset", id="deposit-no-asset"),
    pytest.param(
        "POST", "/sandex/v1/accounts/1/deposit", b'{"asset": "USDT"}', "decimal strings", id="deposit-no-amount"
    ),
    pytest.param(
        "POST",
        "/sandex/v1/accounts/1/deposit",
        b'{"asset": "USDT", "amount": "1"',
        "not JSON",
        id="deposit-malformed-json",
    ),
    pytest.param("POST", "/sandex/v1/accounts/1/deposit", b'"USDT"', "JSON object", id="deposit-string-body"),
    pytest.param(
        "POST",
        "/sandex/v1/accounts/1/keys",
        b'{"keyType": "HMAC", "publicKey": "x"}',
        "HMAC",
        id="key-hmac-with-public-key",
    ),
    pytest.param(
        "POST",
        "/sandex/v1/accounts/1/keys",
        b'{"keyType": "ED25519", "publicKey": "not a pem"}',
        "PEM",
        id="key-bad-pem",
    ),
    pytest.param("POST", "/sandex/v1/accounts/1/keys", b'{"ipAllow": ["300.1.1.1"]}', "IP address", id="key-bad-ip"),
    pytest.param("POST", "/sandex/v1/accounts/1/keys", b'{"ipAllow": []}', "empty", id="key-empty-ip-list"),
    pytest.param("POST", "/sandex/v1/accounts/1/keys", b'{"color": "red"}', "unknown fields", id="key-unknown-field"),
    pytest.param("PUT", "/sandex/v1/markets/BTCUSDT/status", b'{"status": "CLOSED"}', "status", id="status-unknown"),
    pytest.param("PUT", "/sandex/v1/markets/BTCUSDT/status", b"{}", "status", id="status-missing"),
    pytest.param("PUT", "/sandex/v1/markets/BTCUSDT/status", b'{"status": "halt"}', "status", id="status-lowercase"),
    pytest.param("PUT", "/sandex/v1/markets/BTCUSDT/status", b"nope", "not JSON", id="status-malformed-json"),
    pytest.param(
        "POST",
        "/sandex/v1/accounts",
        b'{"balances": {"USDT": "' + b"9" * 70_000 + b'"}}',
        "bytes",
        id="create-body-too-large",
    ),
]


@pytest.mark.parametrize("method, path, raw, fragment", BAD_BODIES)
def test_malformed_admin_requests_are_refused_and_change_nothing(admin: Admin, method, path, raw, fragment):
    before = admin.state()
    status, code, msg = error(admin.call(method, path, raw=raw))
    assert (status, code) == (413 if len(raw) > 64 * 1024 else 400, -1130)  # 413: over the admin body limit
    assert fragment in msg, msg
    assert admin.state() == before


def test_deposit_amount_beyond_the_engine_range_is_refused(admin: Admin):
    before = admin.state()
    r = admin.call("POST", "/sandex/v1/accounts/1/deposit", {"asset": "USDT", "amount": "99999999999999999999"})
    assert r.status_code == 400
    _status, code, _msg = error(r)
    assert code < 0 and code != -1000
    assert admin.state() == before
    admin.venue.engine.check_invariants()


def test_status_for_unknown_market(admin: Admin):
    before = admin.state()
    assert error(admin.call("PUT", "/sandex/v1/markets/DOGEUSDT/status", {"status": "HALT"})) == (
        400,
        -1121,
        "Invalid symbol.",
    )
    assert admin.state() == before


def test_unknown_admin_path_and_method(admin: Admin):
    r = admin.call("GET", "/sandex/v1/nothing")
    assert r.status_code == 404 and set(r.json()) == {"code", "msg"}
    r = admin.call("POST", "/sandex/v1/health")
    assert r.status_code == 405 and set(r.json()) == {"code", "msg"}


@pytest.mark.parametrize(
    "body",
    [
        {"balances": {"USDT": "100"}, "ipAllow": ["not-an-ip"]},
        {"balances": {"USDT": "100"}, "ipAllow": []},
        {"balances": {"USDT": "100"}, "keyType": "ED25519", "publicKey": "-----BEGIN PUBLIC KEY-----\nxx\n"},
    ],
    ids=["bad-ip", "empty-ip-list", "bad-public-key"],
)
def test_refused_create_account_leaves_nothing_behind(admin: Admin, body):
    """Regression: the account was opened and funded before its key was issued, so a refused key
    left a keyless funded account behind."""
    before = admin.state()
    status, code, _ = error(admin.call("POST", "/sandex/v1/accounts", body))
    assert (status, code) == (400, -1130)
    assert admin.state() == before


def test_deposit_refuses_unknown_fields(admin: Admin):
    """Regression: an extra field in a deposit was silently ignored and the deposit made."""
    before = admin.state()
    status, code, msg = error(
        admin.call("POST", "/sandex/v1/accounts/1/deposit", {"asset": "USDT", "amount": "5", "memo": "x"})
    )
    assert (status, code) == (400, -1130) and "unknown fields" in msg
    assert admin.state() == before


def test_market_status_refuses_unknown_fields(admin: Admin):
    """Regression: an extra field in a status change was silently ignored and the status applied."""
    before = admin.state()
    status, code, msg = error(admin.call("PUT", "/sandex/v1/markets/BTCUSDT/status", {"status": "HALT", "until": 5}))
    assert (status, code) == (400, -1130) and "unknown fields" in msg
    assert admin.state() == before


@pytest.mark.parametrize(
    "body, field",
    [
        ({"ipAllow": []}, "ipAllow"),
        ({"ipAllow": ["x"]}, "ipAllow"),
        ({"keyType": "HMAC", "publicKey": "x"}, "publicKey"),
        ({"keyType": "ED25519", "publicKey": "x"}, "publicKey"),
    ],
    ids=["empty-ip-list", "bad-ip", "hmac-public-key", "bad-pem"],
)
def test_key_option_messages_name_the_json_fields(admin: Admin, body, field):
    status, code, msg = error(admin.call("POST", "/sandex/v1/accounts", body))
    assert (status, code) == (400, -1130)
    assert field in msg
    assert "ip_allow" not in msg and "public_key_pem" not in msg and "None" not in msg


# ---- OpenAPI ---------------------------------------------------------------------------------------

# Binance's paths and the parameters each must document (an independent list, not the server's own)
BINANCE_PATHS = {
    ("get", "/api/v3/ping"): set(),
    ("get", "/api/v3/time"): set(),
    ("get", "/api/v3/exchangeInfo"): {"symbol", "symbols", "permissions"},
    ("get", "/api/v3/depth"): {"symbol", "limit"},
    ("get", "/api/v3/trades"): {"symbol", "limit"},
    ("get", "/api/v3/historicalTrades"): {"symbol", "limit", "fromId"},
    ("get", "/api/v3/aggTrades"): {"symbol", "fromId", "startTime", "endTime", "limit"},
    ("get", "/api/v3/klines"): {"symbol", "interval", "startTime", "endTime", "timeZone", "limit"},
    ("get", "/api/v3/uiKlines"): {"symbol", "interval", "startTime", "endTime", "timeZone", "limit"},
    ("get", "/api/v3/avgPrice"): {"symbol"},
    ("get", "/api/v3/ticker/24hr"): {"symbol", "symbols", "type"},
    ("get", "/api/v3/ticker/price"): {"symbol", "symbols"},
    ("get", "/api/v3/ticker/bookTicker"): {"symbol", "symbols"},
    ("get", "/api/v3/ticker"): {"symbol", "symbols", "windowSize", "type"},
    ("get", "/api/v3/account"): {"omitZeroBalances", "recvWindow", "timestamp", "signature"},
    ("get", "/api/v3/account/commission"): {"symbol", "timestamp", "signature"},
    ("get", "/api/v3/rateLimit/order"): {"recvWindow", "timestamp", "signature"},
    ("post", "/api/v3/order"): {
        "symbol",
        "side",
        "type",
        "timeInForce",
        "quantity",
        "quoteOrderQty",
        "price",
        "newClientOrderId",
        "stopPrice",
        "newOrderRespType",
        "selfTradePreventionMode",
        "recvWindow",
        "timestamp",
        "signature",
    },
    ("post", "/api/v3/order/test"): {
        "symbol",
        "side",
        "type",
        "quantity",
        "price",
        "computeCommissionRates",
        "timestamp",
        "signature",
    },
    ("get", "/api/v3/order"): {"symbol", "orderId", "origClientOrderId", "recvWindow", "timestamp", "signature"},
    ("delete", "/api/v3/order"): {
        "symbol",
        "orderId",
        "origClientOrderId",
        "newClientOrderId",
        "cancelRestrictions",
        "recvWindow",
        "timestamp",
        "signature",
    },
    ("get", "/api/v3/openOrders"): {"symbol", "recvWindow", "timestamp", "signature"},
    ("delete", "/api/v3/openOrders"): {"symbol", "recvWindow", "timestamp", "signature"},
    ("get", "/api/v3/allOrders"): {"symbol", "orderId", "startTime", "endTime", "limit", "timestamp", "signature"},
    ("get", "/api/v3/myTrades"): {
        "symbol",
        "orderId",
        "startTime",
        "endTime",
        "fromId",
        "limit",
        "timestamp",
        "signature",
    },
    ("post", "/api/v3/order/cancelReplace"): {
        "symbol",
        "side",
        "type",
        "cancelReplaceMode",
        "cancelOrderId",
        "cancelOrigClientOrderId",
        "cancelNewClientOrderId",
        "quantity",
        "price",
        "timestamp",
        "signature",
    },
    ("put", "/api/v3/order/amend/keepPriority"): {
        "symbol",
        "orderId",
        "origClientOrderId",
        "newClientOrderId",
        "newQty",
        "timestamp",
        "signature",
    },
    ("get", "/sapi/v1/capital/config/getall"): {"timestamp", "signature"},
    ("get", "/sapi/v1/margin/allPairs"): {"symbol"},
    ("get", "/sapi/v1/margin/isolated/allPairs"): {"symbol"},
    ("get", "/sapi/v1/system/status"): set(),
    ("get", "/sapi/v1/asset/tradeFee"): {"symbol", "timestamp", "signature"},
    ("get", "/sapi/v1/account/status"): {"timestamp", "signature"},
    ("get", "/sapi/v1/account/apiRestrictions"): {"timestamp", "signature"},
}
ADMIN_PATHS = {
    ("get", "/sandex/v1/health"): set(),
    ("post", "/sandex/v1/accounts"): set(),
    ("get", "/sandex/v1/accounts/{account_id}"): {"account_id"},
    ("post", "/sandex/v1/accounts/{account_id}/deposit"): {"account_id"},
    ("post", "/sandex/v1/accounts/{account_id}/keys"): {"account_id"},
    ("delete", "/sandex/v1/keys/{api_key}"): {"api_key"},
    ("put", "/sandex/v1/markets/{symbol}/status"): {"symbol"},
}
REQUIRED = {
    ("post", "/api/v3/order"): {"symbol", "side", "type", "timestamp", "signature"},
    ("get", "/api/v3/depth"): {"symbol"},
    ("get", "/api/v3/klines"): {"symbol", "interval"},
    ("put", "/api/v3/order/amend/keepPriority"): {"symbol", "newQty", "timestamp", "signature"},
    ("post", "/api/v3/order/cancelReplace"): {"symbol", "side", "type", "cancelReplaceMode", "timestamp", "signature"},
}


def test_openapi_lists_every_path_with_its_parameters(admin: Admin):
    r = admin.client.get("/openapi.json")
    assert r.status_code == 200
    schema = r.json()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for (method, path), expected in {**BINANCE_PATHS, **ADMIN_PATHS}.items():
        assert path in paths and method in paths[path], (method, path)
        documented = {p["name"] for p in paths[path][method]["parameters"]}
        assert expected <= documented, (method, path, expected - documented)
    for (method, path), names in REQUIRED.items():
        required = {p["name"] for p in paths[path][method]["parameters"] if p["required"]}
        assert names <= required, (method, path, names - required)
    for method, path in ADMIN_PATHS:
        assert paths[path][method]["security"] == [{"AdminToken": []}]
        for p in paths[path][method]["parameters"]:
            assert p["in"] == "path" and p["required"] is True
    assert paths["/api/v3/order"]["post"]["security"] == [{"ApiKey": []}]
    assert "security" not in paths["/api/v3/depth"]["get"]
    assert set(schema["components"]["securitySchemes"]) == {"ApiKey", "AdminToken"}
    # every operation described is served (no 404 "Not found." / 405), also for paths Binance has that
    # the independent list above does not name (futures stubs and the like)
    for path, ops in paths.items():
        concrete = path.replace("{account_id}", "1").replace("{api_key}", "no-such-key").replace("{symbol}", "BTCUSDT")
        for method in ops:
            body = b"{}" if method in ("post", "put") else None
            r = admin.client.request(method.upper(), concrete, content=body, headers=AUTH)
            assert r.status_code != 405, (method, path)
            assert not (r.status_code == 404 and r.json().get("code") == -1000), (method, path)
    assert {(ep.method.lower(), ep.path) for ep in ENDPOINTS} <= {(m, p) for p, ops in paths.items() for m in ops}


def test_openapi_parameters_have_types(admin: Admin):
    paths = admin.client.get("/openapi.json").json()["paths"]
    params = {p["name"]: p for p in paths["/api/v3/order"]["post"]["parameters"]}
    assert params["quantity"]["schema"]["type"] == "number"
    assert params["timestamp"]["schema"]["type"] == "integer"
    assert params["symbol"]["schema"]["type"] == "string"
    limit = {p["name"]: p for p in paths["/api/v3/depth"]["get"]["parameters"]}["limit"]
    assert limit["schema"]["type"] == "integer" and limit["required"] is False


def test_docs_page(admin: Admin):
    r = admin.client.get("/docs")
    assert r.status_code == 200
    assert "text/html" in r.headers["content-type"]
    assert "/openapi.json" in r.text


def test_show_account_lists_margin_wallets_and_loans(admin: Admin):
    from simulator.margin import CROSS_MARGIN, SPOT, WalletRef

    aid = admin.ok("POST", "/sandex/v1/accounts", {"balances": {"USDT": "1000"}})["accountId"]
    desk = admin.sim.app.services.margin
    desk.transfer(aid, "USDT", 300 * 10**8, SPOT, CROSS_MARGIN)
    desk.transfer(aid, "USDT", 100 * 10**8, SPOT, WalletRef("ISOLATED", "BTCUSDT"))
    desk.borrow(aid, "USDT", 50 * 10**8, CROSS_MARGIN)
    body = admin.ok("GET", f"/sandex/v1/accounts/{aid}")
    # the first hour's interest at 0.0002 a day: ceil(50e8 * 20000 / 24e8) = 41667 units
    assert body["balances"]["crossMargin"] == {
        "USDT": {"free": "350.00000000", "locked": "0.00000000", "borrowed": "50.00000000", "interest": "0.00041667"}
    }
    assert body["balances"]["isolatedMargin"] == {
        "BTCUSDT": {
            "USDT": {"free": "100.00000000", "locked": "0.00000000", "borrowed": "0.00000000", "interest": "0.00000000"}
        }
    }
    assert body["balances"]["spot"]["USDT"]["free"] == "600.00000000"
    assert body["loans"] == [
        {"wallet": "CROSS", "symbol": None, "asset": "USDT", "principal": "50.00000000", "interest": "0.00041667"}
    ]
