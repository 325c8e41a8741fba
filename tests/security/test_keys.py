"""API keys: rotation, revocation on the very next request, permissions, IP allow-lists.

Each refusal is Binance's -2015 ("Invalid API-key, IP, or permissions for action.") and changes
nothing. The permission checks are proven over every declared endpoint (so a new one is covered
the day it is added), not only the ones named here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator.http.app import ENDPOINTS
from simulator.http.endpoint import Security

from .conftest import REJECTED_KEY, Exchange, User, error

ORDER = [
    ("symbol", "BTCUSDT"),
    ("side", "BUY"),
    ("type", "LIMIT"),
    ("timeInForce", "GTC"),
    ("quantity", "0.001"),
    ("price", "70000"),
]
NEEDS = {Security.TRADE: "SPOT", Security.MARGIN: "MARGIN"}
PERMISSION_SETS = ([], ["SPOT"], ["MARGIN"], ["SPOT", "MARGIN"])
KEY_TYPES = ("HMAC", "ED25519", "RSA")


@pytest.fixture()
def ex() -> Iterator[Exchange]:
    with Exchange() as e:
        yield e


def refused(ex: Exchange, user: User, method: str, path: str, params=(), **kwargs) -> None:
    """-2015, and the exchange and the account as they were."""
    before = (ex.state(), ex.account_state(user))
    assert error(ex.call(user, method, path, params, **kwargs)) == REJECTED_KEY, (method, path)
    assert (ex.state(), ex.account_state(user)) == before


# ---- rotation and revocation -----------------------------------------------------------------------


@pytest.mark.parametrize("key_type", KEY_TYPES)
def test_rotation_then_revocation_takes_effect_on_the_next_request(ex: Exchange, key_type: str) -> None:
    old = ex.new_user({"USDT": "1000"}, keyType=key_type)
    placed = ex.ok(old, "POST", "/api/v3/order", ORDER)
    signed_before = ex.prepare(old, "GET", "/api/v3/account")  # signed while the key was live
    new = ex.new_key(old, keyType=key_type)
    assert new.api_key != old.api_key and new.secret != old.secret
    for user in (old, new):  # both work until one is revoked
        assert ex.ok(user, "GET", "/api/v3/openOrders")[0]["orderId"] == placed["orderId"]
    ex.revoke(old)
    assert error(ex.send(signed_before)) == REJECTED_KEY
    refused(ex, old, "GET", "/api/v3/account")
    refused(ex, old, "POST", "/api/v3/order", ORDER)
    refused(ex, old, "DELETE", "/api/v3/order", [("symbol", "BTCUSDT"), ("orderId", placed["orderId"])])
    # the account and its orders are untouched: revoking a key is not closing the account
    assert (
        ex.ok(new, "GET", "/api/v3/order", [("symbol", "BTCUSDT"), ("orderId", placed["orderId"])])["status"] == "NEW"
    )
    ex.revoke(new)
    refused(ex, new, "GET", "/api/v3/openOrders")
    shown = ex.admin_ok("GET", f"/sandex/v1/accounts/{old.account}")
    assert [k["revoked"] for k in shown["keys"]] == [True, True]


def test_revoking_twice_or_an_unknown_key_is_404_and_changes_nothing(ex: Exchange) -> None:
    user = ex.new_user()
    ex.revoke(user)
    before = ex.state()
    for key in (user.api_key, "never-issued-key", user.api_key.lower()):
        r = ex.admin("DELETE", f"/sandex/v1/keys/{key}")
        assert error(r) == (404, -2015, "no live API key by that name")
    assert ex.state() == before


def test_a_rotated_key_has_only_the_rights_asked_for(ex: Exchange) -> None:
    full = ex.new_user({"USDT": "1000"})
    reader = ex.new_key(full, permissions=[])
    refused(ex, reader, "POST", "/api/v3/order", ORDER)
    assert ex.ok(reader, "GET", "/sapi/v1/account/apiRestrictions")["enableSpotAndMarginTrading"] is False
    ex.ok(full, "POST", "/api/v3/order", ORDER)
    assert len(ex.ok(reader, "GET", "/api/v3/openOrders")) == 1


# ---- permissions --------------------------------------------------------------------------------------


def test_every_endpoint_that_changes_state_needs_a_permission() -> None:
    """No POST/PUT/DELETE is open to a read-only key: each is TRADE (SPOT) or MARGIN. The listen
    keys of the user data stream (USER_STREAM, API key only) change no exchange state: Binance
    opens them to any key, and so does sandex."""
    changing = [
        ep for ep in ENDPOINTS if ep.method in ("POST", "PUT", "DELETE") and ep.security is not Security.USER_STREAM
    ]
    assert len(changing) >= 10
    assert [(ep.method, ep.path, ep.security) for ep in changing if ep.security not in NEEDS] == []


@pytest.mark.parametrize("permissions", PERMISSION_SETS, ids=lambda p: "+".join(p) or "read-only")
def test_each_signed_endpoint_checks_the_key_s_permission(ex: Exchange, permissions: list[str]) -> None:
    """Every declared signed endpoint, called with no parameters of its own: a key without the
    permission it needs gets -2015 before anything is read; one with it gets past the key check."""
    user = ex.new_user({"USDT": "1000"}, permissions=permissions)
    for ep in ENDPOINTS:
        if not ep.security.signed:
            continue
        needed = NEEDS.get(ep.security)
        if needed is not None and needed not in permissions:
            refused(ex, user, ep.method, ep.path)
        else:
            r = ex.call(user, ep.method, ep.path)
            assert r.status_code == 200 or r.json()["code"] != REJECTED_KEY[1], (ep.method, ep.path, r.text)


def test_a_key_without_spot_cannot_trade_or_convert(ex: Exchange) -> None:
    margin_only = ex.new_user({"USDT": "1000", "BTC": "1"}, permissions=["MARGIN"])
    spot_key = ex.new_key(margin_only, permissions=["SPOT"])
    placed = ex.ok(spot_key, "POST", "/api/v3/order", ORDER)
    quote = ex.ok(
        spot_key, "POST", "/sapi/v1/convert/getQuote", [("fromAsset", "USDT"), ("toAsset", "BTC"), ("fromAmount", "10")]
    )
    ident = [("symbol", "BTCUSDT"), ("orderId", placed["orderId"])]
    for method, path, params in (
        ("POST", "/api/v3/order", ORDER),
        ("POST", "/api/v3/order/test", ORDER),
        ("DELETE", "/api/v3/order", ident),
        ("DELETE", "/api/v3/openOrders", [("symbol", "BTCUSDT")]),
        ("PUT", "/api/v3/order/amend/keepPriority", ident + [("newQty", "0.0005")]),
        (
            "POST",
            "/api/v3/order/cancelReplace",
            ORDER + [("cancelOrderId", placed["orderId"]), ("cancelReplaceMode", "STOP_ON_FAILURE")],
        ),
        ("POST", "/sapi/v1/convert/getQuote", [("fromAsset", "USDT"), ("toAsset", "BTC"), ("fromAmount", "10")]),
        ("POST", "/sapi/v1/convert/acceptQuote", [("quoteId", quote["quoteId"])]),
    ):
        refused(ex, margin_only, method, path, params)
    assert (
        ex.ok(spot_key, "POST", "/sapi/v1/convert/acceptQuote", [("quoteId", quote["quoteId"])])["orderStatus"]
        == "SUCCESS"
    )  # the refused attempt did not use the quote up


def test_a_key_without_margin_cannot_touch_margin(ex: Exchange) -> None:
    spot_only = ex.new_user({"USDT": "1000", "BTC": "1"}, permissions=["SPOT"])
    full = ex.new_key(spot_only, permissions=["SPOT", "MARGIN"])
    ex.ok(full, "POST", "/sapi/v1/asset/transfer", [("type", "MAIN_MARGIN"), ("asset", "USDT"), ("amount", "500")])
    placed = ex.ok(full, "POST", "/sapi/v1/margin/order", ORDER)
    for method, path, params in (
        ("POST", "/sapi/v1/margin/order", ORDER),
        ("DELETE", "/sapi/v1/margin/order", [("symbol", "BTCUSDT"), ("orderId", placed["orderId"])]),
        ("DELETE", "/sapi/v1/margin/openOrders", [("symbol", "BTCUSDT")]),
        ("POST", "/sapi/v1/margin/borrow-repay", [("asset", "BTC"), ("amount", "0.001"), ("type", "BORROW")]),
        ("POST", "/sapi/v1/margin/transfer", [("asset", "USDT"), ("amount", "1"), ("type", "1")]),
        (
            "POST",
            "/sapi/v1/margin/isolated/transfer",
            [
                ("asset", "USDT"),
                ("symbol", "BTCUSDT"),
                ("amount", "1"),
                ("transFrom", "SPOT"),
                ("transTo", "ISOLATED_MARGIN"),
            ],
        ),
        ("POST", "/sapi/v1/asset/transfer", [("type", "MAIN_MARGIN"), ("asset", "USDT"), ("amount", "1")]),
        ("POST", "/sapi/v1/asset/transfer", [("type", "MARGIN_MAIN"), ("asset", "USDT"), ("amount", "1")]),
    ):
        refused(ex, spot_only, method, path, params)
    restrictions = ex.ok(spot_only, "GET", "/sapi/v1/account/apiRestrictions")
    assert (restrictions["enableMargin"], restrictions["permitsUniversalTransfer"]) == (False, False)
    assert ex.ok(spot_only, "GET", "/sapi/v1/margin/openOrders")[0]["orderId"] == placed["orderId"]  # reading


# ---- IP allow-lists ------------------------------------------------------------------------------------------


def test_an_ip_restricted_key_works_only_from_its_addresses(ex: Exchange) -> None:
    user = ex.new_user({"USDT": "1000"}, ipAllow=["203.0.113.9", "2001:db8::1"])
    anywhere = ex.new_key(user)  # the account's other key has no restriction
    allowed = [ex.client_from("203.0.113.9"), ex.client_from("2001:0db8:0000:0000::0001")]
    for client in allowed:
        assert ex.send(ex.prepare(user, "GET", "/api/v3/account"), client=client).status_code == 200
    assert (
        ex.send(ex.prepare(user, "GET", "/sapi/v1/account/apiRestrictions"), client=allowed[0]).json()["ipRestrict"]
        is True
    )
    before = (ex.state(), ex.account_state(user))
    spoofed = {"X-Forwarded-For": "203.0.113.9", "X-Real-IP": "203.0.113.9", "Forwarded": "for=203.0.113.9"}
    for ip in ("198.51.100.7", "203.0.113.10", "2001:db8::2", "::ffff:203.0.113.9"):
        other = ex.client_from(ip)
        for method, path, params in (("GET", "/api/v3/account", []), ("POST", "/api/v3/order", ORDER)):
            p = ex.prepare(user, method, path, params)
            assert error(ex.send(p, client=other)) == REJECTED_KEY, ip
            assert error(ex.send(p, client=other, headers=spoofed)) == REJECTED_KEY, ip
    assert error(ex.call(user, "GET", "/api/v3/account")) == REJECTED_KEY  # the default test client's 127.0.0.1
    assert (ex.state(), ex.account_state(user)) == before
    assert (
        ex.send(ex.prepare(anywhere, "GET", "/api/v3/account"), client=ex.client_from("198.51.100.7")).status_code
        == 200
    )


# ---- accounts the exchange runs itself --------------------------------------------------------------------

NO_KEY_FOR_THE_HOUSE = "is run by the exchange itself"


def _issue_refused(ex: Exchange, account: int) -> None:
    before = (ex.state(), [k.api_key for k in ex.venue.keys.keys_of(account)])
    r = ex.admin("POST", f"/sandex/v1/accounts/{account}/keys", {"permissions": ["SPOT", "MARGIN"]})
    status, code, msg = error(r)
    assert (status, code) == (400, -1130) and NO_KEY_FOR_THE_HOUSE in msg, msg
    assert (ex.state(), [k.api_key for k in ex.venue.keys.keys_of(account)]) == before


def test_no_key_for_the_margin_desk_s_accounts(ex: Exchange) -> None:
    """The lending pool, the insurance fund and users' margin wallets are venue accounts too; a key of
    their own would trade their funds past every margin check (the pool holds a billion of each coin)."""
    user = ex.new_user({"USDT": "1000"})
    ex.ok(user, "POST", "/sapi/v1/asset/transfer", [("type", "MAIN_MARGIN"), ("asset", "USDT"), ("amount", "10")])
    ex.ok(
        user,
        "POST",
        "/sapi/v1/asset/transfer",
        [("type", "MAIN_ISOLATED_MARGIN"), ("asset", "USDT"), ("amount", "10"), ("toSymbol", "BTCUSDT")],
    )
    desk = ex.services.margin
    wallets = [account for name, account in ex.wallets(user) if name != "SPOT"]
    assert len(wallets) == 2
    for account in (desk.pool, desk.insurance, *wallets):
        _issue_refused(ex, account)
    assert ex.new_key(user).account == user.account  # the user's own account still gets keys


def test_no_key_for_house_accounts(ex: Exchange) -> None:
    maker = ex.venue.order_record("BTCUSDT", 1).account  # the static book's first order
    assert maker not in (ex.sim.demo_account, ex.services.margin.pool, ex.services.margin.insurance)
    for account in (maker, ex.services.convert.house):
        _issue_refused(ex, account)
