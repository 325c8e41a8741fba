"""Checking who sent a request: Binance's API-key and SIGNED endpoint rules, in Binance's order.

The order matters because clients (ccxt among them) react to the first error they get: a bad
key must win over a bad timestamp, a bad signature over a stale one.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from . import binance_errors as err
from .accounts import PERMISSIONS, ApiKey, KeyStore, is_token

MAX_RECV_WINDOW = 60000
DEFAULT_RECV_WINDOW = 5000
MAX_AHEAD_MS = 1000
TIMESTAMP_RANGE = r"^[0-9]{1,20}$"
RECV_WINDOW_RANGE = r"^[0-9]{1,20}(\.[0-9]{1,3})?$"
_TIMESTAMP = re.compile(TIMESTAMP_RANGE[1:-1])
_RECV_WINDOW = re.compile(RECV_WINDOW_RANGE[1:-1])
_MICROS_FROM = 10**15  # 16-digit timestamps are microseconds; 13-digit ones milliseconds
_SIGNATURE = "signature"


def signed_payload(raw: str) -> tuple[str, str]:
    """Split Binance's totalParams (query string + request body, exactly as sent) into (payload
    without the signature parameter, the signature value percent-decoded). The signature parameter
    may be anywhere; a missing or empty one -> -1102; more than one -> -1101."""
    parts = raw.split("&")
    at = [i for i, part in enumerate(parts) if part == _SIGNATURE or part.startswith(_SIGNATURE + "=")]
    if len(at) > 1:
        raise err.duplicate_param(_SIGNATURE)
    value = parts[at[0]][len(_SIGNATURE) + 1 :] if at else ""
    if not value:
        raise err.mandatory(_SIGNATURE)
    del parts[at[0]]
    return "&".join(parts), unquote(value)


def _live_key(store: KeyStore, api_key: str | None, client_ip: str) -> ApiKey:
    """The X-MBX-APIKEY checks every keyed endpoint makes."""
    if not api_key or not is_token(api_key):
        raise err.BAD_KEY_FORMAT
    key = store.get(api_key)
    if key is None or key.revoked or not key.allows_ip(client_ip):
        raise err.REJECTED_KEY
    return key


def _timestamp_us(params: dict[str, str]) -> int:
    text = params.get("timestamp")
    if not text:
        raise err.mandatory("timestamp")
    if _TIMESTAMP.fullmatch(text) is None:
        raise err.illegal_chars("timestamp", TIMESTAMP_RANGE)
    value = int(text)
    return value if value >= _MICROS_FROM else value * 1000


def _recv_window_us(params: dict[str, str]) -> int:
    text = params.get("recvWindow")
    if text is None:
        return DEFAULT_RECV_WINDOW * 1000
    if _RECV_WINDOW.fullmatch(text) is None:
        raise err.illegal_chars("recvWindow", RECV_WINDOW_RANGE)
    whole, _, frac = text.partition(".")
    window = int(whole) * 1000 + int(frac.ljust(3, "0"))
    if window > MAX_RECV_WINDOW * 1000:
        raise err.BAD_RECV_WINDOW
    return window


def authenticate(
    store: KeyStore,
    api_key: str | None,
    raw: str,
    params: dict[str, str],
    client_ip: str,
    now_ms: int,
    permission: str | None,
    signature: str | None = None,
) -> ApiKey:
    """The key a SIGNED request was sent with, checked as Binance does; raises the first failure.

    ``raw`` is totalParams as sent (the signature is checked over these very bytes, never a
    re-encoding); ``params`` is the same text already parsed. ``permission`` is the right the
    endpoint needs beyond reading (one of ``PERMISSIONS``), or None. The WebSocket API passes the
    ``signature`` apart: its ``raw`` is then the payload itself (``ws_payload``).
    """
    if permission is not None and permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}; known: {sorted(PERMISSIONS)}")
    key = _live_key(store, api_key, client_ip)
    sent_us = _timestamp_us(params)
    window_us = _recv_window_us(params)
    if signature is None:
        payload, signature = signed_payload(raw)
    elif not signature:
        raise err.mandatory(_SIGNATURE)
    else:
        payload = raw
    if not key.verify(payload.encode("utf-8", "surrogateescape"), signature):
        raise err.BAD_SIGNATURE
    return _in_time(key, sent_us, window_us, now_ms, permission)


def authenticate_session(
    store: KeyStore, session: ApiKey, params: dict[str, str], client_ip: str, now_ms: int, permission: str | None
) -> ApiKey:
    """A SIGNED request on a WebSocket API connection logged on with ``session`` and naming no key
    of its own: no signature, but the key must still be live for this IP and the timestamp fresh."""
    key = _live_key(store, session.api_key, client_ip)
    return _in_time(key, _timestamp_us(params), _recv_window_us(params), now_ms, permission)


def _in_time(key: ApiKey, sent_us: int, window_us: int, now_ms: int, permission: str | None) -> ApiKey:
    now_us = now_ms * 1000
    if sent_us - now_us > MAX_AHEAD_MS * 1000:
        raise err.TIMESTAMP_AHEAD
    if now_us - sent_us > window_us:
        raise err.TIMESTAMP_OUTSIDE
    if permission is not None and permission not in key.permissions:
        raise err.REJECTED_KEY
    return key


def ws_payload(params: dict[str, str]) -> str:
    """What a WebSocket API signature covers: every parameter but ``signature``, sorted by name,
    as ``name=value`` joined by ``&``, the values as sent (no percent-encoding)."""
    return "&".join(f"{name}={params[name]}" for name in sorted(params) if name != _SIGNATURE)


def api_key_only(store: KeyStore, api_key: str | None, client_ip: str) -> ApiKey:
    """MARKET_DATA and USER_STREAM endpoints: the key header must name a live key for this IP."""
    return _live_key(store, api_key, client_ip)
