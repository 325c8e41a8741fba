"""Signed requests: replay outside the window, clock skew, recvWindow, tampering, other keys.

Every case runs with each kind of key Binance offers (HMAC, Ed25519, RSA) and must leave the
exchange as it was. What Binance does not refuse is not refused here either: an identical request
replayed inside its recvWindow is accepted (Binance keeps no nonces); ``newClientOrderId`` is what
makes an order idempotent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from urllib.parse import quote, unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .conftest import (
    BAD_RECV_WINDOW,
    BAD_SIGNATURE,
    TIMESTAMP_AHEAD,
    TIMESTAMP_OUTSIDE,
    Exchange,
    Prepared,
    User,
    error,
)

KEY_TYPES = ("HMAC", "ED25519", "RSA")
ORDER = [
    ("symbol", "BTCUSDT"),
    ("side", "BUY"),
    ("type", "LIMIT"),
    ("timeInForce", "GTC"),
    ("quantity", "0.001"),
    ("price", "70000"),
]


@dataclass
class Keys:
    ex: Exchange
    users: dict[str, tuple[User, User]]  # key type -> (alice, bob): two accounts, one key each
    changed: bool = False  # set by a test whose accepted requests changed the state on purpose

    def snapshot(self) -> tuple:
        return (self.ex.state(full=False), [self.ex.account_state(u) for pair in self.users.values() for u in pair])


@pytest.fixture(scope="module")
def keys() -> Iterator[Keys]:
    with Exchange() as ex:
        users = {
            kt: (ex.new_user({"USDT": "1000"}, keyType=kt), ex.new_user({"USDT": "1000"}, keyType=kt))
            for kt in KEY_TYPES
        }
        yield Keys(ex, users)


@pytest.fixture(autouse=True)
def unchanged(keys: Keys) -> Iterator[None]:
    """No test here changes anything but through requests it expects to succeed (and says so)."""
    before = keys.ex.services.fingerprint()
    yield
    if not keys.changed:
        assert keys.ex.services.fingerprint() == before
    keys.changed = False


def refused(keys: Keys, p: Prepared, expected: tuple[int, int, str]) -> None:
    before = keys.snapshot()
    assert error(keys.ex.send(p)) == expected, p
    assert keys.snapshot() == before


def order_request(keys: Keys, user: User, **kwargs) -> Prepared:
    return keys.ex.prepare(user, "POST", "/api/v3/order", ORDER, **kwargs)


# ---- time ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key_type", KEY_TYPES)
def test_a_captured_request_replayed_after_its_window_is_refused(keys: Keys, key_type: str) -> None:
    alice, _ = keys.users[key_type]
    ex = keys.ex
    for window, wait in ((None, 5001), ("100", 101), ("60000", 60_001)):
        captured = order_request(keys, alice, recv_window=window)
        ex.clock.advance(wait)
        refused(keys, captured, TIMESTAMP_OUTSIDE)
    account = ex.prepare(alice, "GET", "/api/v3/account")
    ex.clock.advance(5001)
    refused(keys, account, TIMESTAMP_OUTSIDE)


@pytest.mark.parametrize("key_type", KEY_TYPES)
def test_a_replay_inside_the_window_is_what_binance_does_with_it(keys: Keys, key_type: str) -> None:
    """Accepted (no nonce on Binance); an order replayed with its newClientOrderId while the first is
    open is a duplicate (-2010), so exactly one order exists."""
    alice, _ = keys.users[key_type]
    ex = keys.ex
    reading = ex.prepare(alice, "GET", "/api/v3/account")
    assert ex.send(reading).status_code == 200
    ex.clock.advance(4999)
    assert ex.send(reading).status_code == 200
    placing = ex.prepare(alice, "POST", "/api/v3/order", ORDER + [("newClientOrderId", f"replay-{key_type}")])
    first = ex.send(placing)
    assert first.status_code == 200, first.text
    refused(keys, placing, (400, -2010, "Duplicate order sent."))
    ex.ok(alice, "DELETE", "/api/v3/order", [("symbol", "BTCUSDT"), ("orderId", first.json()["orderId"])])
    keys.changed = True


@pytest.mark.parametrize("key_type", KEY_TYPES)
def test_timestamps_ahead_of_the_server(keys: Keys, key_type: str) -> None:
    alice, _ = keys.users[key_type]
    now = keys.ex.clock.now_ms()
    for ahead, window in ((1001, None), (60_000, "60000"), (86_400_000, "60000")):
        refused(keys, order_request(keys, alice, timestamp=now + ahead, recv_window=window), TIMESTAMP_AHEAD)
    assert keys.ex.send(keys.ex.prepare(alice, "GET", "/api/v3/account", timestamp=now + 1000)).status_code == 200


@pytest.mark.parametrize("key_type", KEY_TYPES)
def test_recv_window_over_a_minute_is_refused(keys: Keys, key_type: str) -> None:
    alice, _ = keys.users[key_type]
    for window in ("60001", "60000.001", "99999999999"):
        refused(keys, order_request(keys, alice, recv_window=window), BAD_RECV_WINDOW)
    now = keys.ex.clock.now_ms()
    ok = keys.ex.prepare(alice, "GET", "/api/v3/account", timestamp=now - 60_000, recv_window="60000")
    assert keys.ex.send(ok).status_code == 200


# ---- the signed bytes ---------------------------------------------------------------------------------


def _moved(p: Prepared, query: str, body: str) -> Prepared:
    return replace(p, query=query, body=body)


@pytest.mark.parametrize("key_type", KEY_TYPES)
def test_a_signature_over_other_bytes_is_refused(keys: Keys, key_type: str) -> None:
    alice, _ = keys.users[key_type]
    p = order_request(keys, alice)
    payload, _, signature = p.body.rpartition("&signature=")
    pairs = payload.split("&")
    sig = f"&signature={signature}"
    variants = {
        "reordered": "&".join([pairs[1], pairs[0], *pairs[2:]]) + sig,
        "signature first": f"signature={signature}&" + payload,  # allowed: the signature may be anywhere...
        "one more parameter": payload + "&newOrderRespType=ACK" + sig,
        "one parameter less": "&".join(pairs[:-2] + pairs[-1:]) + sig,
        "same value, other encoding": payload.replace("BTCUSDT", "BTC%55SDT") + sig,
        "price changed": payload.replace("price=70000", "price=70001") + sig,
        "quantity changed": payload.replace("quantity=0.001", "quantity=0.002") + sig,
    }
    for name, body in variants.items():
        if name == "signature first":
            assert keys.ex.send(_moved(p, "", body)).status_code == 200  # ...as long as the rest is as signed
            keys.changed = True
            continue
        refused(keys, _moved(p, "", body), BAD_SIGNATURE)
    # query and body are joined as they are (Binance's totalParams): a split that changes those bytes
    split = len(pairs) // 2
    query, rest = "&".join(pairs[:split]), "&".join(pairs[split:]) + sig
    refused(keys, _moved(p, query, rest), BAD_SIGNATURE)
    refused(keys, _moved(p, query + "&", "&" + rest), BAD_SIGNATURE)


@pytest.mark.parametrize("key_type", KEY_TYPES)
def test_the_whole_payload_may_move_to_the_query(keys: Keys, key_type: str) -> None:
    """The same totalParams bytes, whichever part of the request carries them: accepted, as on Binance."""
    alice, _ = keys.users[key_type]
    p = keys.ex.prepare(alice, "GET", "/api/v3/openOrders")
    assert keys.ex.send(p).status_code == 200
    posted = order_request(keys, alice)
    split = posted.body.index("&", 20) + 1
    r = keys.ex.send(_moved(posted, posted.body[:split], posted.body[split:]))
    assert r.status_code == 200, r.text
    keys.ex.ok(alice, "DELETE", "/api/v3/order", [("symbol", "BTCUSDT"), ("orderId", r.json()["orderId"])])
    keys.changed = True


@settings(max_examples=40)
@given(data=st.data())
def test_any_one_character_changed_is_refused(keys: Keys, data: st.DataObject) -> None:
    """Change one character of any parameter's value (digit for digit, letter for letter, so the request
    still parses): -1022, and nothing happens."""
    key_type = data.draw(st.sampled_from(KEY_TYPES), label="key type")
    alice, _ = keys.users[key_type]
    p = order_request(keys, alice)
    payload, _, signature = p.body.rpartition("&signature=")
    positions = [i for i, c in enumerate(payload) if c.isalnum() and "=" in payload[payload.rfind("&", 0, i) + 1 : i]]
    at = data.draw(st.sampled_from(positions), label="position")
    old = payload[at]
    pool = (
        "0123456789"
        if old.isdigit()
        else "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        if old.isupper()
        else "abcdefghijklmnopqrstuvwxyz"
    )
    new = data.draw(st.sampled_from(pool).filter(lambda c: c != old), label="replacement")
    tampered = payload[:at] + new + payload[at + 1 :] + f"&signature={signature}"
    refused(keys, _moved(p, "", tampered), BAD_SIGNATURE)


@pytest.mark.parametrize("key_type", ["ED25519", "RSA"])
def test_a_changed_asymmetric_signature_is_refused(keys: Keys, key_type: str) -> None:
    alice, _ = keys.users[key_type]
    p = order_request(keys, alice)
    payload, _, sent = p.body.rpartition("&signature=")
    signature = unquote(sent)  # changed as base64 text, then sent percent-encoded again as clients do
    flipped = "B" if signature[5] == "A" else "A"
    refused(
        keys,
        _moved(p, "", f"{payload}&signature={quote(signature[:5] + flipped + signature[6:], safe='')}"),
        BAD_SIGNATURE,
    )
    refused(keys, _moved(p, "", f"{payload}&signature={quote(signature[:-8], safe='')}"), BAD_SIGNATURE)


# ---- one account's key, another's signature -------------------------------------------------------------


@pytest.mark.parametrize("key_type", KEY_TYPES)
@pytest.mark.parametrize("signer_type", KEY_TYPES)
def test_another_accounts_signature_is_refused(keys: Keys, key_type: str, signer_type: str) -> None:
    alice, _ = keys.users[key_type]
    _, bob = keys.users[signer_type]
    # Alice's key, signed with Bob's secret or private key
    forged = keys.ex.prepare(replace(bob, api_key=alice.api_key), "POST", "/api/v3/order", ORDER)
    refused(keys, forged, BAD_SIGNATURE)
    # a request Alice signed, sent under Bob's key: a captured request cannot be moved to another account
    captured = order_request(keys, alice)
    refused(keys, replace(captured, api_key=bob.api_key), BAD_SIGNATURE)
