"""The admin API's token, and secrets kept out of every response, log record and repr.

Every admin route is taken from the app itself (so a route added later is covered without a
change here) and must refuse a missing, wrong, differently cased or padded token with 401 and
Binance's body, changing nothing. The secrets (API secrets, private keys, the admin token) may
appear only in the one response that issues them.
"""

from __future__ import annotations

import dataclasses
import hmac
import logging
import re
from collections.abc import Iterator

import httpx
import pytest

from simulator.accounts import KeyStore
from simulator.binance_errors import ApiError
from simulator.http.admin import bearer_token_matches, token_digest
from simulator.http.endpoint import Ctx, Params
from simulator.launcher import RunningServer

from .conftest import ADMIN_TOKEN, BAD_ADMIN_TOKEN, DEMO_KEY, DEMO_SECRET, Exchange, User, error

ORDER = [
    ("symbol", "BTCUSDT"),
    ("side", "BUY"),
    ("type", "LIMIT"),
    ("timeInForce", "GTC"),
    ("quantity", "0.001"),
    ("price", "70000"),
]


def admin_routes(ex: Exchange) -> list[tuple[str, str]]:
    """(method, path template) of every route of the app under /sandex/."""
    return sorted(
        (method, route.path)
        for route in ex.app.fastapi.routes
        if route.path.startswith("/sandex/")
        for method in route.methods
        if method != "HEAD"
    )


with Exchange() as _ex:
    ROUTES = admin_routes(_ex)

BAD_AUTHORIZATIONS = {
    "missing": "",
    "scheme only": "Bearer",
    "empty token": "Bearer ",
    "wrong token": "Bearer " + "x" * len(ADMIN_TOKEN),
    "upper case": "Bearer " + ADMIN_TOKEN.upper(),
    "lower case": "Bearer " + ADMIN_TOKEN.lower(),
    "swapped case": "Bearer " + ADMIN_TOKEN.swapcase(),
    "one char short": "Bearer " + ADMIN_TOKEN[:-1],
    "one char more": "Bearer " + ADMIN_TOKEN + "x",
    "prefix": "Bearer " + ADMIN_TOKEN[:8],
    "padded before": "Bearer  " + ADMIN_TOKEN,
    "padded after": "Bearer " + ADMIN_TOKEN + " ",
    "tab before": "Bearer \t" + ADMIN_TOKEN,
    "no space": "Bearer" + ADMIN_TOKEN,
    "basic scheme": "Basic " + ADMIN_TOKEN,
    "token alone": ADMIN_TOKEN,
    "demo secret": "Bearer " + DEMO_SECRET,
}
PADDED = {"padded before", "padded after", "tab before"}
assert ADMIN_TOKEN.lower() != ADMIN_TOKEN != ADMIN_TOKEN.upper()


def _cases() -> list:
    cases = []
    for method, path in ROUTES:
        for name, authorization in BAD_AUTHORIZATIONS.items():
            cases.append(pytest.param(method, path, authorization, id=f"{method} {path} [{name}]"))
    return cases


@dataclasses.dataclass
class Admin:
    ex: Exchange
    user: User
    spare: User  # a live key of the user's account, for DELETE /keys/{api_key}

    def path(self, template: str) -> str:
        values = {"account_id": str(self.user.account), "api_key": self.spare.api_key, "symbol": "BTCUSDT"}
        return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "1"), template)

    def state(self) -> tuple:
        """What a refused admin call must leave alone (the engine's digest: the full one, ~10 ms, is
        compared once over all of them by the fixture)."""
        ex, services = self.ex, self.ex.services
        return (
            ex.state(full=False),
            ex.account_state(self.user),
            [k.revoked for k in ex.venue.keys.keys_of(self.user.account)],
            {s: ex.venue.engine.market_status(s).name for s in ex.venue.markets},
            [f.describe([]) for f in services.faults.faults()],
            services.durability.saved(),
        )


@pytest.fixture(scope="module")
def admin() -> Iterator[Admin]:
    with Exchange() as ex:
        user = ex.new_user({"USDT": "100"})
        a = Admin(ex, user, ex.new_key(user))
        before = ex.services.fingerprint()
        yield a
        assert ex.services.fingerprint() == before


def test_the_routes_were_found() -> None:
    assert ("POST", "/sandex/v1/accounts") in ROUTES and ("DELETE", "/sandex/v1/keys/{api_key}") in ROUTES
    assert len(ROUTES) >= 8


@pytest.mark.parametrize("method, template, authorization", _cases())
def test_a_bad_token_is_refused_and_changes_nothing(
    admin: Admin, method: str, template: str, authorization: str
) -> None:
    before = admin.state()
    r = admin.ex.admin(method, admin.path(template), {}, authorization=authorization)
    assert error(r) == BAD_ADMIN_TOKEN
    assert r.headers["content-type"] == "application/json"
    assert admin.state() == before


def test_the_right_token_passes_every_route() -> None:
    """So that the refusals above are the token's doing: with it, no route answers 401."""
    with Exchange() as ex:
        user = ex.new_user({"USDT": "100"})
        a = Admin(ex, user, ex.new_key(user))
        for method, template in ROUTES:
            r = ex.admin(method, a.path(template), {})
            assert r.status_code != 401, (method, template, r.text)
        assert ex.admin("GET", "/sandex/v1/health", authorization="bearer " + ADMIN_TOKEN).status_code == 200


@pytest.mark.parametrize("path", ["/sandex/v1/health", "/sandex/v1/faults"])
def test_the_token_is_compared_in_constant_time(admin: Admin, monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    """Through hmac.compare_digest, over fixed-length digests: neither the content nor the length of
    what was sent changes what is compared."""
    seen: list[tuple[int, int]] = []
    real = hmac.compare_digest

    def spy(a, b):
        seen.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    for token in ("x", "x" * 31, ADMIN_TOKEN[:-1] + "x", "x" * 4000, ADMIN_TOKEN):
        r = admin.ex.admin("GET", path, authorization="Bearer " + token)
        assert r.status_code == (200 if token == ADMIN_TOKEN else 401)
    assert len(seen) == 5 and len(set(seen)) == 1 and seen[0][0] == seen[0][1]


def test_an_empty_admin_token_matches_nothing() -> None:
    """Were the app ever built with an empty token, "Bearer " must not open the admin API."""
    empty = token_digest("")
    assert [bearer_token_matches(h, empty) for h in ("Bearer ", "Bearer", "", "bearer  ")] == [False] * 4
    assert bearer_token_matches("bearer " + ADMIN_TOKEN, token_digest(ADMIN_TOKEN))


# ---- secrets: responses, logs, reprs ------------------------------------------------------------------


def _pem_body(secret: str) -> str:
    """A private key PEM's longest base64 line (the PEM text may be escaped in JSON)."""
    return max(secret.splitlines(), key=len)


@pytest.fixture()
def recorded() -> Iterator[tuple[Exchange, list[tuple[str, str, httpx.Response]]]]:
    """An exchange whose every response (Binance's and the admin API's) is kept."""
    with Exchange() as ex:
        seen: list[tuple[str, str, httpx.Response]] = []
        real = ex.client.request

        def request(method, url, *args, **kwargs):
            response = real(method, url, *args, **kwargs)
            seen.append((method, str(url), response))
            return response

        ex.client.request = request
        yield ex, seen


def _scenario(ex: Exchange) -> list[User]:
    users = [ex.new_user({"USDT": "10000", "BTC": "1"}, keyType=kt) for kt in ("HMAC", "ED25519", "RSA")]
    users.append(ex.new_key(users[0], keyType="ED25519"))
    users.append(ex.new_key(users[1]))
    for u in users[:3]:
        placed = ex.ok(u, "POST", "/api/v3/order", ORDER)
        ex.ok(u, "GET", "/api/v3/order", [("symbol", "BTCUSDT"), ("orderId", placed["orderId"])])
        ex.ok(u, "DELETE", "/api/v3/order", [("symbol", "BTCUSDT"), ("orderId", placed["orderId"])])
        ex.ok(
            u,
            "POST",
            "/api/v3/order",
            [("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "MARKET"), ("quantity", "0.001")],
        )
        for path in (
            "/api/v3/account",
            "/sapi/v1/account/apiRestrictions",
            "/sapi/v1/capital/config/getall",
            "/sapi/v1/margin/account",
        ):
            ex.ok(u, "GET", path)
        ex.ok(u, "POST", "/sapi/v1/asset/transfer", [("type", "MAIN_MARGIN"), ("asset", "USDT"), ("amount", "100")])
        ex.ok(u, "POST", "/sapi/v1/margin/borrow-repay", [("asset", "BTC"), ("amount", "0.001"), ("type", "BORROW")])
        q = ex.ok(
            u, "POST", "/sapi/v1/convert/getQuote", [("fromAsset", "USDT"), ("toAsset", "BTC"), ("fromAmount", "10")]
        )
        ex.ok(u, "POST", "/sapi/v1/convert/acceptQuote", [("quoteId", q["quoteId"])])
        ex.admin_ok("GET", f"/sandex/v1/accounts/{u.account}")
        ex.admin_ok("POST", f"/sandex/v1/accounts/{u.account}/deposit", {"asset": "USDT", "amount": "1"})
    # refusals: wrong secret, another account's key, unknown key, revoked key, bad admin token
    hmac_user, ed_user = users[0], users[1]
    assert ex.call(dataclasses.replace(hmac_user, secret="S" * 64), "GET", "/api/v3/account").status_code == 400
    assert ex.call(dataclasses.replace(ed_user, api_key=hmac_user.api_key), "GET", "/api/v3/account").status_code == 400
    assert ex.call(dataclasses.replace(hmac_user, api_key="K" * 64), "GET", "/api/v3/account").status_code == 401
    ex.revoke(users[4])
    assert ex.call(users[4], "GET", "/api/v3/account").status_code == 401
    assert ex.admin("GET", "/sandex/v1/health", authorization="Bearer " + DEMO_SECRET).status_code == 401
    ex.admin_ok("GET", "/sandex/v1/health")
    ex.admin_ok("GET", "/sandex/v1/faults")
    ex.admin_ok("POST", "/sandex/v1/faults", {"kind": "reject", "code": -1000, "apiKey": users[2].api_key})
    ex.admin_ok("GET", "/sandex/v1/faults")
    ex.admin_ok("DELETE", "/sandex/v1/faults")
    assert ex.client.get("/openapi.json").status_code == 200
    return users


def _secrets(users: list[User]) -> dict[str, str]:
    """name -> text that must not leak (for a PEM: its longest base64 line, whatever the escaping)."""
    out = {"admin token": ADMIN_TOKEN, "demo secret": DEMO_SECRET, "demo key": DEMO_KEY}
    for i, u in enumerate(users):
        out[f"secret {i}"] = _pem_body(u.secret) if "PRIVATE KEY" in u.secret else u.secret
        out[f"api key {i}"] = u.api_key
    return out


def test_secrets_appear_only_in_the_response_that_issues_them(recorded, caplog: pytest.LogCaptureFixture) -> None:
    ex, seen = recorded
    caplog.set_level(logging.DEBUG)
    users = _scenario(ex)
    secrets = _secrets(users)
    issuing = {}  # name -> index of the response that issued it
    for i, (method, url, _) in enumerate(seen):
        if method == "POST" and re.fullmatch(r".*/sandex/v1/accounts(/\d+/keys)?", url):
            body = seen[i][2].json()
            for j, u in enumerate(users):
                if body["apiKey"] == u.api_key:
                    issuing[f"secret {j}"] = issuing[f"api key {j}"] = i
    assert len(issuing) == 2 * len(users)
    for name, secret in secrets.items():
        found = [
            i for i, (_, _, r) in enumerate(seen) if secret in r.text or any(secret in v for v in r.headers.values())
        ]
        assert found == ([issuing[name]] if name in issuing else []), (name, [seen[i][:2] for i in found])
    # ... nor in a log record: ours, the server's, or the HTTP client's. (The HTTP client logs URLs, and
    # DELETE /sandex/v1/keys/{apiKey} carries an API key in its path: API keys are checked in ours only.)
    assert caplog.records, "nothing was logged at all: the check below would prove nothing"
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "") + repr(getattr(record, "args", ""))
        ours = record.name.startswith(("sandex", "simulator", "uvicorn"))
        assert not [name for name, secret in secrets.items() if secret in text and (ours or "key" not in name)], record


def test_reprs_of_keys_and_stores_hide_the_secrets() -> None:
    with Exchange() as ex:
        user = ex.new_user({"USDT": "1"})
        issued = ex.venue.issue_key(user.account, key_type="ED25519")
        key = ex.venue.keys.get(user.api_key)
        shown = [
            repr(key),
            str(key),
            repr(issued),
            repr(ex.venue.keys),
            repr(ex.sim),
            repr(RunningServer("http://127.0.0.1:1", ex.sim, "http://127.0.0.1:1")),
            repr(KeyStore()),
            str(ApiError(401, -2015, "Invalid API-key, IP, or permissions for action.")),
        ]
        secrets = (user.secret, _pem_body(issued.secret), ADMIN_TOKEN, DEMO_SECRET)
        for text in shown:  # no secret, and API keys masked
            for secret in (*secrets, user.api_key, issued.api_key):
                assert secret not in text, text
        as_dict = repr(dataclasses.asdict(key))  # a dict of the fields: the key itself, never its material
        assert user.api_key in as_dict and not [s for s in secrets if s in as_dict], as_dict


def test_the_services_repr_hides_the_admin_token() -> None:
    with Exchange() as ex:
        assert ADMIN_TOKEN not in repr(ex.services)


def test_a_handler_context_repr_hides_the_admin_token() -> None:
    with Exchange() as ex:
        user = ex.new_user()
        ctx = Ctx(ex.services, Params({}), ex.venue.keys.get(user.api_key), 0)
        assert ADMIN_TOKEN not in repr(ctx)


def test_the_config_repr_hides_the_admin_token_and_demo_secret() -> None:
    with Exchange() as ex:
        shown = repr(ex.sim.config)
        assert ADMIN_TOKEN not in shown and DEMO_SECRET not in shown
