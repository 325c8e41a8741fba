"""API keys and SIGNED request checks, proven against the requests ccxt itself builds."""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qsl, urlsplit

import ccxt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from hypothesis import given
from hypothesis import strategies as st

from simulator.accounts import PERMISSIONS, ApiKey, IssuedKey, KeyStore, KeyType
from simulator.auth import DEFAULT_RECV_WINDOW, MAX_RECV_WINDOW, api_key_only, authenticate, signed_payload
from simulator.binance_errors import ApiError
from tests.harness import hmac_hex

NOW = 1_700_000_000_000
IP = "203.0.113.7"
API_KEY = "AKEY" + "q" * 60
SECRET = "SECRETsecretSECRETsecret0123456789"

BAD_KEY_FORMAT = (401, -2014, "API-key format invalid.")
REJECTED_KEY = (401, -2015, "Invalid API-key, IP, or permissions for action.")
BAD_SIGNATURE = (400, -1022, "Signature for this request is not valid.")
TIMESTAMP_OUTSIDE = (400, -1021, "Timestamp for this request is outside of the recvWindow.")
TIMESTAMP_AHEAD = (400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.")
BAD_RECV_WINDOW = (400, -1131, "recvWindow must be less than 60000")
MISSING_TIMESTAMP = (400, -1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.")
MISSING_SIGNATURE = (400, -1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.")
DUPLICATE_SIGNATURE = (400, -1101, "Duplicate values for a parameter detected. Parameter 'signature'.")
ILLEGAL_TIMESTAMP = (400, -1100, "Illegal characters found in parameter 'timestamp'; legal range is '^[0-9]{1,20}$'.")
ILLEGAL_RECV_WINDOW = (
    400,
    -1100,
    "Illegal characters found in parameter 'recvWindow'; legal range is '^[0-9]{1,20}(\\.[0-9]{1,3})?$'.",
)


# ---- helpers ------------------------------------------------------------------------------------


def hex_sig(payload: str, secret: str = SECRET) -> str:
    return hmac_hex(secret, payload)


def signed(payload: str, secret: str = SECRET) -> str:
    return f"{payload}&signature={hex_sig(payload, secret)}"


def request(ts: object = NOW, recv_window: object = None, extra: str = "symbol=BTCUSDT&side=BUY") -> str:
    """A correctly signed HMAC totalParams text."""
    payload = f"{extra}&timestamp={ts}" + (f"&recvWindow={recv_window}" if recv_window is not None else "")
    return signed(payload)


def call(
    store: KeyStore,
    raw: str,
    *,
    key: str | None = API_KEY,
    ip: str = IP,
    now: int = NOW,
    permission: str | None = "SPOT",
) -> ApiKey:
    params = dict(parse_qsl(raw, keep_blank_values=True))
    return authenticate(store, key, raw, params, ip, now, permission)


def refused(expected: tuple[int, int, str], fn, *args, **kwargs) -> None:
    with pytest.raises(ApiError) as info:
        fn(*args, **kwargs)
    e = info.value
    assert (e.status, e.code, e.msg) == expected


def ccxt_request(issued: IssuedKey, method: str, params: dict | None = None) -> tuple[str, str, dict[str, str]]:
    """(X-MBX-APIKEY header, totalParams, parsed params) exactly as ccxt would send them."""
    ex = ccxt.binance({"apiKey": issued.api_key, "secret": issued.secret})
    req = ex.sign(
        "order",
        ["private"],
        method,
        dict(
            params
            or {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "quantity": "0.1",
                "price": "100.5",
                "note": "a b/c+d",
            }
        ),
    )
    raw = req["body"] if method == "POST" else urlsplit(req["url"]).query
    if method == "POST":
        assert req["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    else:
        assert req["body"] is None
    return req["headers"]["X-MBX-APIKEY"], raw, dict(parse_qsl(raw, keep_blank_values=True))


def ccxt_call(store: KeyStore, header: str, raw: str, params: dict[str, str], **kwargs) -> ApiKey:
    return authenticate(store, header, raw, params, IP, int(params["timestamp"]), kwargs.get("permission", "SPOT"))


def private_pem(private) -> str:
    return private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_pem(private) -> str:
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture
def store() -> KeyStore:
    s = KeyStore()
    s.issue(7, api_key=API_KEY, secret=SECRET, now_ms=NOW)
    return s


@pytest.fixture(scope="module")
def shared() -> tuple[KeyStore, dict[KeyType, IssuedKey]]:
    """One key of each type (RSA generation is slow, so made once)."""
    s = KeyStore()
    return s, {kt: s.issue(1, key_type=kt) for kt in KeyType}


# ---- ccxt round trips ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "GET", "DELETE"])
@pytest.mark.parametrize("key_type", list(KeyType))
def test_ccxt_signed_requests_verify(shared, key_type: KeyType, method: str) -> None:
    s, issued = shared
    header, raw, params = ccxt_request(issued[key_type], method)
    assert params["recvWindow"] == "10000"  # ccxt's default, sent on every signed call
    key = ccxt_call(s, header, raw, params)
    assert key.api_key == issued[key_type].api_key and key.key_type is key_type


def test_issued_private_keys_take_the_signing_path_ccxt_picks_by_length(shared) -> None:
    _, issued = shared
    ed, rs = issued[KeyType.ED25519].secret, issued[KeyType.RSA].secret
    assert ed.startswith("-----BEGIN PRIVATE KEY-----\n") and len(ed) == 119  # ccxt: <= 120 -> Ed25519
    assert rs.startswith("-----BEGIN PRIVATE KEY-----\n") and len(rs) > 120  # ccxt: > 120 -> RSA
    sig = ccxt_request(issued[KeyType.ED25519], "GET")[1].rpartition("signature=")[2]
    assert "%" in sig or len(sig) == 88  # percent-encoded base64, not hex
    assert len(signed_payload(f"a=1&signature={sig}")[1]) == 88  # 64 bytes in base64


@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.parametrize("key_type", list(KeyType))
def test_ccxt_requests_tampered_are_refused(shared, key_type: KeyType, method: str) -> None:
    s, issued = shared
    header, raw, params = ccxt_request(issued[key_type], method)
    tampered = raw.replace("quantity=0.1", "quantity=0.2")
    assert tampered != raw
    refused(BAD_SIGNATURE, authenticate, s, header, tampered, params, IP, int(params["timestamp"]), "SPOT")
    payload, sig = signed_payload(raw)
    flipped = sig[:10] + ("0" if sig[10].lower() != "0" else "1") + sig[11:]
    refused(BAD_SIGNATURE, ccxt_call, s, header, f"{payload}&signature={flipped}", params)


@pytest.mark.parametrize("key_type", [KeyType.ED25519, KeyType.RSA])
def test_signature_from_another_key_of_the_same_type_is_refused(shared, key_type: KeyType) -> None:
    s, issued = shared
    other = KeyStore().issue(2, key_type=key_type)
    impostor = IssuedKey(issued[key_type].api_key, other.secret)
    header, raw, params = ccxt_request(impostor, "POST")
    refused(BAD_SIGNATURE, ccxt_call, s, header, raw, params)


@pytest.mark.parametrize(
    "key_type, private",
    [
        (KeyType.ED25519, ed25519.Ed25519PrivateKey.generate()),
        (KeyType.RSA, rsa.generate_private_key(public_exponent=65537, key_size=2048)),
    ],
)
def test_client_supplied_public_keys_verify_ccxt_signatures(key_type: KeyType, private) -> None:
    s = KeyStore()
    issued = s.issue(3, key_type=key_type, public_key_pem=public_pem(private))
    assert issued.secret is None
    header, raw, params = ccxt_request(IssuedKey(issued.api_key, private_pem(private)), "POST")
    assert ccxt_call(s, header, raw, params).account_id == 3


def test_hmac_signature_accepted_in_upper_case(store) -> None:
    payload = f"symbol=BTCUSDT&timestamp={NOW}"
    assert call(store, f"{payload}&signature={hex_sig(payload).upper()}").account_id == 7


def test_signature_anywhere_in_the_parameters(store) -> None:
    sig = hex_sig(f"symbol=BTCUSDT&timestamp={NOW}")
    for raw in (f"signature={sig}&symbol=BTCUSDT&timestamp={NOW}", f"symbol=BTCUSDT&signature={sig}&timestamp={NOW}"):
        assert call(store, raw).account_id == 7


# ---- signed_payload -----------------------------------------------------------------------------


def test_signed_payload_splits_and_percent_decodes() -> None:
    assert signed_payload("a=1&b=2&signature=ab%2Bc%2F%3D") == ("a=1&b=2", "ab+c/=")
    assert signed_payload("signature=x&a=1") == ("a=1", "x")
    assert signed_payload("a=1&signature=x&b=%20") == ("a=1&b=%20", "x")
    assert signed_payload("signatures=1&a=&signature=x") == ("signatures=1&a=", "x")


@pytest.mark.parametrize("raw", ["a=1", "a=1&signature=", "a=1&signature", "", "xsignature=1&a=1"])
def test_signed_payload_missing_or_empty_signature(raw: str) -> None:
    refused(MISSING_SIGNATURE, signed_payload, raw)


@pytest.mark.parametrize("raw", ["a=1&signature=x&signature=x", "signature=&a=1&signature=y"])
def test_signed_payload_duplicate_signature(raw: str) -> None:
    refused(DUPLICATE_SIGNATURE, signed_payload, raw)


# ---- every branch of authenticate, in order -------------------------------------------------------


@pytest.mark.parametrize("header", [None, ""])
def test_missing_key_header(store, header) -> None:
    refused(BAD_KEY_FORMAT, call, store, request(), key=header)
    refused(BAD_KEY_FORMAT, api_key_only, store, header, IP)


@pytest.mark.parametrize("header", ["has space", "x" * 129, "ключ", "tab\tkey", API_KEY + "\n"])
def test_malformed_key(store, header: str) -> None:
    refused(BAD_KEY_FORMAT, call, store, request(), key=header)
    refused(BAD_KEY_FORMAT, api_key_only, store, header, IP)


def test_unknown_key(store) -> None:
    refused(REJECTED_KEY, call, store, request(), key="B" * 64)
    refused(REJECTED_KEY, api_key_only, store, "B" * 64, IP)


def test_key_format_is_checked_before_anything_else(store) -> None:
    refused(BAD_KEY_FORMAT, call, store, "nothing=here", key="bad key")
    refused(REJECTED_KEY, call, store, "nothing=here", key="unknown")


def test_ip_allow_list() -> None:
    s = KeyStore()
    issued = s.issue(9, api_key=API_KEY, secret=SECRET, ip_allow={IP, "0:0:0:0:0:0:0:1"})
    assert s.get(issued.api_key).ip_allow == frozenset({IP, "::1"})
    assert call(s, request()).account_id == 9
    assert call(s, request(), ip="::1").account_id == 9
    assert api_key_only(s, API_KEY, IP).account_id == 9
    for other in ("203.0.113.8", "not an ip", ""):
        refused(REJECTED_KEY, call, s, request(), ip=other)
        refused(REJECTED_KEY, api_key_only, s, API_KEY, other)


def test_ip_is_checked_before_the_timestamp() -> None:
    s = KeyStore()
    s.issue(9, api_key=API_KEY, secret=SECRET, ip_allow=[IP])
    refused(REJECTED_KEY, call, s, "no=timestamp", ip="198.51.100.1")


@pytest.mark.parametrize("raw", ["symbol=BTCUSDT&signature=ab", "timestamp=&signature=ab"])
def test_timestamp_missing(store, raw: str) -> None:
    refused(MISSING_TIMESTAMP, call, store, raw)


@pytest.mark.parametrize("ts", ["12a", "-1700000000000", "1700000000000.5", "%201700000000000", "1" * 21, "١٧٠٠"])
def test_timestamp_malformed(store, ts: str) -> None:
    refused(ILLEGAL_TIMESTAMP, call, store, f"timestamp={ts}&signature=ab")


def test_timestamp_with_trailing_newline_is_malformed(store) -> None:
    params = {"timestamp": f"{NOW}\n", "signature": "ab"}
    refused(ILLEGAL_TIMESTAMP, authenticate, store, API_KEY, "x&signature=ab", params, IP, NOW, None)


@pytest.mark.parametrize("rw", ["abc", "", "-5", "5000.1234", "5e3", ".5", "5000."])
def test_recv_window_malformed(store, rw: str) -> None:
    refused(ILLEGAL_RECV_WINDOW, call, store, request(recv_window=rw))


@pytest.mark.parametrize("rw", ["60001", "60000.001", "99999999999999999999"])
def test_recv_window_too_long(store, rw: str) -> None:
    refused(BAD_RECV_WINDOW, call, store, request(recv_window=rw))
    refused(BAD_RECV_WINDOW, call, store, f"timestamp={NOW}&recvWindow={rw}")  # before the signature check


def test_recv_window_limit_itself_is_allowed(store) -> None:
    assert MAX_RECV_WINDOW == 60000
    assert call(store, request(ts=NOW - 60000, recv_window="60000")).account_id == 7
    assert call(store, request(ts=NOW - 60000, recv_window="60000.000")).account_id == 7


def test_signature_missing_after_timestamp_checks(store) -> None:
    refused(MISSING_TIMESTAMP, call, store, "symbol=BTCUSDT")
    refused(MISSING_SIGNATURE, call, store, f"symbol=BTCUSDT&timestamp={NOW}")
    refused(MISSING_SIGNATURE, call, store, f"symbol=BTCUSDT&timestamp={NOW}&signature=")
    sig = hex_sig(f"timestamp={NOW}")
    refused(DUPLICATE_SIGNATURE, call, store, f"timestamp={NOW}&signature={sig}&signature={sig}")


@pytest.mark.parametrize("sig", ["0" * 64, "zz", "", "ab" * 33, "é" * 64])
def test_wrong_signature(store, sig: str) -> None:
    raw = f"symbol=BTCUSDT&timestamp={NOW}&signature={sig}"
    expected = MISSING_SIGNATURE if sig == "" else BAD_SIGNATURE
    refused(expected, call, store, raw)


def test_signature_with_another_secret(store) -> None:
    refused(BAD_SIGNATURE, call, store, signed(f"symbol=BTCUSDT&timestamp={NOW}", secret=SECRET + "x"))


def test_bad_signature_wins_over_stale_timestamp(store) -> None:
    refused(BAD_SIGNATURE, call, store, f"timestamp={NOW - 10**6}&signature={'0' * 64}")
    refused(BAD_SIGNATURE, call, store, f"timestamp={NOW + 10**6}&signature={'0' * 64}")


def test_signature_covers_the_raw_text_not_the_parsed_values(store) -> None:
    raw = request(extra="symbol=BTC%2FUSDT")
    assert call(store, raw).account_id == 7
    refused(BAD_SIGNATURE, call, store, raw.replace("%2F", "/"))  # same parsed value, other bytes


# ---- timestamps and recvWindow ------------------------------------------------------------------


def test_default_recv_window_boundaries(store) -> None:
    assert DEFAULT_RECV_WINDOW == 5000
    assert call(store, request(ts=NOW - 5000)).account_id == 7
    refused(TIMESTAMP_OUTSIDE, call, store, request(ts=NOW - 5001))


def test_explicit_recv_window_boundaries(store) -> None:
    assert call(store, request(ts=NOW - 100, recv_window=100)).account_id == 7
    refused(TIMESTAMP_OUTSIDE, call, store, request(ts=NOW - 101, recv_window=100))
    refused(TIMESTAMP_OUTSIDE, call, store, request(ts=NOW - 1, recv_window=0))
    assert call(store, request(ts=NOW, recv_window=0)).account_id == 7


def test_ahead_boundaries(store) -> None:
    assert call(store, request(ts=NOW + 1000)).account_id == 7
    refused(TIMESTAMP_AHEAD, call, store, request(ts=NOW + 1001))


def test_microsecond_timestamps(store) -> None:
    now_us = NOW * 1000
    assert call(store, request(ts=now_us - 5_000_000)).account_id == 7
    refused(TIMESTAMP_OUTSIDE, call, store, request(ts=now_us - 5_000_001))
    assert call(store, request(ts=now_us + 1_000_000)).account_id == 7
    refused(TIMESTAMP_AHEAD, call, store, request(ts=now_us + 1_000_001))
    assert len(str(now_us)) == 16


def test_fractional_recv_window(store) -> None:
    now_us = NOW * 1000
    assert call(store, request(ts=now_us - 5_000_500, recv_window="5000.5")).account_id == 7
    refused(TIMESTAMP_OUTSIDE, call, store, request(ts=now_us - 5_000_501, recv_window="5000.5"))
    assert call(store, request(ts=now_us - 1_001, recv_window="1.001")).account_id == 7
    refused(TIMESTAMP_OUTSIDE, call, store, request(ts=now_us - 1_002, recv_window="1.001"))
    # millisecond timestamps with a fractional window: 5000.5 ms admits 5000 ms, not 5001
    assert call(store, request(ts=NOW - 5000, recv_window="5000.5")).account_id == 7
    refused(TIMESTAMP_OUTSIDE, call, store, request(ts=NOW - 5001, recv_window="5000.5"))


def test_stale_timestamp_wins_over_missing_permission() -> None:
    s = KeyStore()
    s.issue(1, api_key=API_KEY, secret=SECRET, permissions=set())
    refused(TIMESTAMP_OUTSIDE, call, s, request(ts=NOW - 5001), permission="SPOT")
    refused(REJECTED_KEY, call, s, request(), permission="SPOT")


# ---- permissions --------------------------------------------------------------------------------


def test_permissions() -> None:
    s = KeyStore()
    s.issue(1, api_key=API_KEY, secret=SECRET, permissions={"MARGIN"})
    refused(REJECTED_KEY, call, s, request(), permission="SPOT")
    assert call(s, request(), permission="MARGIN").permissions == frozenset({"MARGIN"})
    assert call(s, request(), permission=None).account_id == 1  # reading is always allowed
    s.issue(2, api_key="READONLY", secret=SECRET, permissions=())
    assert call(s, request(), key="READONLY", permission=None).account_id == 2
    for wanted in PERMISSIONS:
        refused(REJECTED_KEY, call, s, request(), key="READONLY", permission=wanted)


def test_unknown_permission_asked_is_a_programming_error(store) -> None:
    with pytest.raises(ValueError):
        call(store, request(), permission="FUTURES")


# ---- revocation ---------------------------------------------------------------------------------


def test_revocation_takes_effect_at_once(store) -> None:
    raw = request()
    assert call(store, raw).account_id == 7
    assert store.revoke(API_KEY) is True
    refused(REJECTED_KEY, call, store, raw)
    refused(REJECTED_KEY, api_key_only, store, API_KEY, IP)
    assert store.get(API_KEY).revoked is True
    assert store.revoke(API_KEY) is False
    assert store.revoke("never-issued") is False
    with pytest.raises(ValueError):
        store.issue(7, api_key=API_KEY, secret=SECRET)  # a revoked key text is never reused


# ---- KeyStore.issue -----------------------------------------------------------------------------


def test_generated_hmac_keys() -> None:
    s = KeyStore()
    a, b = s.issue(1, now_ms=5), s.issue(1)
    for issued in (a, b):
        assert len(issued.api_key) == 64 and issued.api_key.isalnum() and issued.api_key.isascii()
        assert len(issued.secret) == 64 and issued.secret.isalnum() and issued.secret.isascii()
    assert a.api_key != b.api_key and a.secret != b.secret
    key = s.get(a.api_key)
    assert (key.account_id, key.key_type, key.permissions, key.ip_allow, key.revoked, key.created_ms) == (
        1,
        KeyType.HMAC,
        PERMISSIONS,
        None,
        False,
        5,
    )
    assert key.verify(b"x", hex_sig("x", a.secret))


def test_store_lookups() -> None:
    s = KeyStore()
    a, _, c = s.issue(1), s.issue(2, key_type="ED25519"), s.issue(1)
    assert len(s) == 3
    assert [k.api_key for k in s.keys_of(1)] == [a.api_key, c.api_key]
    assert [k.key_type for k in s.keys_of(2)] == [KeyType.ED25519]
    assert s.keys_of(3) == [] and s.get("nope") is None
    s.revoke(a.api_key)
    assert len(s) == 3 and s.keys_of(1)[0].revoked


@pytest.mark.parametrize("bad", ["", "with space", "x" * 129, "nön-ascii", "line\nbreak", "\x7f"])
def test_given_key_and_secret_are_validated(bad: str) -> None:
    s = KeyStore()
    for kwargs in ({"api_key": bad}, {"secret": bad}):
        with pytest.raises(ValueError) as info:
            s.issue(1, **kwargs)
        assert bad not in str(info.value) or bad == ""
    assert len(s) == 0


def test_given_key_and_secret_limits_accepted() -> None:
    s = KeyStore()
    s.issue(1, api_key="k", secret="s")
    s.issue(1, api_key="~" * 128, secret="!" * 128)
    assert len(s) == 2


def test_key_in_use_is_refused_without_naming_it(store) -> None:
    with pytest.raises(ValueError) as info:
        store.issue(8, api_key=API_KEY)
    assert API_KEY not in str(info.value)
    assert len(store) == 1


@pytest.mark.parametrize("permissions", [{"SPOT", "FUTURES"}, {"spot"}, "SPOT"])
def test_unknown_permissions_refused(permissions) -> None:
    with pytest.raises(ValueError):
        KeyStore().issue(1, permissions=permissions)


@pytest.mark.parametrize("ip_allow", [["1.2.3.999"], ["host.example"], [], "1.2.3.4"])
def test_bad_ip_allow_refused(ip_allow) -> None:
    with pytest.raises(ValueError):
        KeyStore().issue(1, ip_allow=ip_allow)


def test_key_kind_mismatches_refused_with_clear_messages() -> None:
    s = KeyStore()
    ed_private = ed25519.Ed25519PrivateKey.generate()
    rsa_private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    small_rsa = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    ec_private = ec.generate_private_key(ec.SECP256R1())
    cases = [
        (KeyType.RSA, public_pem(ed_private), "Ed25519"),
        (KeyType.ED25519, public_pem(rsa_private), "RSA 2048-bit"),
        (KeyType.ED25519, public_pem(ec_private), "secp256r1"),
        (KeyType.RSA, public_pem(small_rsa), "1024-bit"),
        (KeyType.ED25519, private_pem(ed_private), "private key"),
        (KeyType.RSA, "not a pem", "not a PEM"),
    ]
    for key_type, pem, named in cases:
        with pytest.raises(ValueError) as info:
            s.issue(1, key_type=key_type, public_key_pem=pem)
        message = str(info.value)
        assert named in message
        body = [line for line in pem.splitlines() if "-----" not in line]
        assert not any(line[:16] in message for line in body)
    with pytest.raises(ValueError):
        s.issue(1, public_key_pem=public_pem(ed_private))  # HMAC takes no public key
    with pytest.raises(ValueError):
        s.issue(1, key_type=KeyType.ED25519, secret=SECRET)
    with pytest.raises(ValueError):
        s.issue(1, key_type="DSA")
    assert len(s) == 0


# ---- verify -------------------------------------------------------------------------------------


def test_verify_rejects_garbage_without_raising(shared) -> None:
    s, issued = shared
    for key_type in KeyType:
        key = s.get(issued[key_type].api_key)
        for sig in ["", "%%%", "AAAA", "é", "A" * 88, "A" * 87 + "=", None, 123]:
            assert key.verify(b"a=1", sig) is False


# ---- secrets never shown ------------------------------------------------------------------------


def _shown(*objects) -> str:
    return " ".join(f"{o!r} {o!s}" for o in objects)


def test_reprs_hide_hmac_secrets(store) -> None:
    issued = store.issue(8, api_key="ZYXWVUTSRQ" * 3, secret="PONMLKJIHG" * 3)
    key = store.get(issued.api_key)
    text = _shown(issued, key, store, store.keys_of(8))
    raw_fields = repr(dataclasses.asdict(key))  # may show the key text, never the secret
    for secret_value in ("PONMLKJIHG" * 3, SECRET):
        assert secret_value[:4] not in text and secret_value[:4] not in raw_fields
    for api_key in ("ZYXWVUTSRQ" * 3, API_KEY):
        assert api_key[:5] not in text
    assert "ZYXW…" in repr(key) and "ZYXW…" in repr(issued)
    assert "AKEY…" in repr(store.get(API_KEY))


def test_reprs_hide_private_keys_and_generated_secrets(shared) -> None:
    s, issued = shared
    keys = [s.get(i.api_key) for i in issued.values()]
    text = _shown(s, *issued.values(), *keys)
    everything = text + repr([dataclasses.asdict(k) for k in keys])
    assert "PRIVATE" not in everything
    for i in issued.values():
        assert i.api_key[:5] not in text
        assert i.secret[:8] not in everything
        for line in i.secret.splitlines():
            if "-----" not in line:
                assert line[:8] not in everything


def test_short_keys_are_never_shown_whole() -> None:
    s = KeyStore()
    for api_key in ("k", "ab", "abcd"):
        issued = s.issue(1, api_key=api_key, secret="s3cr3tv4lue")
        assert f"'{api_key}" not in _shown(issued, s.get(api_key))
        assert "s3cr" not in _shown(issued, s.get(api_key))


def test_refusals_never_echo_the_key(store) -> None:
    for header in (API_KEY, "B" * 64, "bad key"):
        with pytest.raises(ApiError) as info:
            call(store, f"timestamp={NOW}&signature={'0' * 64}", key=header)
        assert header not in str(info.value) and header not in repr(info.value)


# ---- properties ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hmac_key() -> ApiKey:
    s = KeyStore()
    s.issue(1, api_key=API_KEY, secret=SECRET)
    return s.get(API_KEY)


@given(payload=st.text(min_size=1), data=st.data())
def test_hmac_any_payload_verifies_and_any_change_fails(hmac_key: ApiKey, payload: str, data) -> None:
    sig = hex_sig(payload)
    assert hmac_key.verify(payload.encode(), sig)
    assert hmac_key.verify(payload.encode(), sig.upper())
    i = data.draw(st.integers(0, len(payload) - 1))
    c = data.draw(st.characters().filter(lambda ch: ch != payload[i]))
    assert not hmac_key.verify((payload[:i] + c + payload[i + 1 :]).encode(), sig)
    j = data.draw(st.integers(0, 63))
    h = data.draw(st.sampled_from("0123456789abcdef").filter(lambda ch: ch != sig[j]))
    assert not hmac_key.verify(payload.encode(), sig[:j] + h + sig[j + 1 :])


@given(value=st.text(st.characters(codec="ascii", exclude_characters="&"), max_size=40), data=st.data())
def test_authenticate_any_signed_value_and_any_change_fails(value: str, data) -> None:
    s = KeyStore()
    s.issue(1, api_key=API_KEY, secret=SECRET)
    payload = f"note={value}&timestamp={NOW}"
    assert call(s, signed(payload)).account_id == 1
    i = data.draw(st.integers(0, len(payload) - 1))
    c = data.draw(st.characters(codec="ascii", exclude_characters="&").filter(lambda ch: ch != payload[i]))
    changed = payload[:i] + c + payload[i + 1 :]
    params = dict(parse_qsl(payload, keep_blank_values=True))  # timestamp kept valid; only bytes differ
    raw = f"{changed}&signature={hex_sig(payload)}"
    refused(BAD_SIGNATURE, authenticate, s, API_KEY, raw, params, IP, NOW, "SPOT")
