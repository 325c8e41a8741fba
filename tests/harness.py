"""Talking to the exchange as a Binance client does, shared by the tests: request signing and one
client for the admin, public and signed APIs, in process or against a real server.

* ``sign`` is the signature a client sends: hex HMAC-SHA256, or base64 Ed25519 / RSA PKCS#1 v1.5
  (``secret`` is then the PKCS#8 private key PEM); ``hmac_hex`` is the HMAC one alone.
* ``signed_query`` urlencodes parameters and appends ``signature`` over exactly that text;
  ``stamped`` adds the ``timestamp`` (and ``recvWindow``) a signed call carries before it.
* ``Prepared`` is a signed request as it goes on the wire (POST/PUT in a form body, GET/DELETE in
  the query), so a test can replay or tamper with it.
* ``ApiClient`` sends all of it over an httpx client: ``ApiClient.in_process`` over Starlette's
  TestClient (the ASGI app called directly, no socket), ``ApiClient.served`` over httpx to a server
  listening on 127.0.0.1. Both answer ``httpx.Response`` and take the same calls.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding

with warnings.catch_warnings():  # starlette's notice about httpx, not about this code
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

FORM = "application/x-www-form-urlencoded"
Pairs = Iterable[tuple[str, object]] | Mapping[str, object]


# ---- signing ----------------------------------------------------------------------------------------


def hmac_hex(secret: str, payload: bytes | str) -> str:
    """Hex HMAC-SHA256 of ``payload`` (text is taken as UTF-8) under ``secret``."""
    data = payload.encode() if isinstance(payload, str) else payload
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


@functools.lru_cache(maxsize=64)
def _private_key(pem: str) -> Any:
    return serialization.load_pem_private_key(pem.encode(), password=None)


def sign(key_type: str, secret: str, payload: bytes) -> str:
    """The signature a Binance client sends: hex HMAC-SHA256, or base64 Ed25519 / RSA PKCS#1 v1.5."""
    if key_type == "HMAC":
        return hmac_hex(secret, payload)
    private = _private_key(secret)
    raw = (
        private.sign(payload)
        if isinstance(private, ed25519.Ed25519PrivateKey)
        else private.sign(payload, padding.PKCS1v15(), hashes.SHA256())
    )
    return base64.b64encode(raw).decode()


def private_pem(private: Any) -> str:
    """The PKCS#8 PEM of a private key object: the ``secret`` that ``sign`` takes for Ed25519 / RSA."""
    return private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def pairs_of(params: Pairs) -> list[tuple[str, object]]:
    """Parameters in the order given, from a mapping or from (name, value) pairs."""
    return list(params.items()) if isinstance(params, Mapping) else list(params)


def stamped(params: Pairs, timestamp: object, recv_window: object = None) -> list[tuple[str, object]]:
    """The parameters, then ``timestamp`` (then ``recvWindow`` when given), as a signed call sends them."""
    pairs = [*pairs_of(params), ("timestamp", timestamp)]
    if recv_window is not None:
        pairs.append(("recvWindow", recv_window))
    return pairs


def signed_query(params: Pairs, secret: str, key_type: str = "HMAC", *, signature: str | None = None) -> str:
    """``params`` urlencoded, then ``signature`` (percent-encoded) over exactly that text; a given
    ``signature`` is sent instead of the right one."""
    raw = urlencode(pairs_of(params))
    tail = "signature=" + quote(sign(key_type, secret, raw.encode()) if signature is None else signature, safe="")
    return f"{raw}&{tail}" if raw else tail


@dataclass(frozen=True)
class Prepared:
    """A signed request exactly as it goes on the wire (so it can be replayed or tampered with)."""

    method: str
    path: str
    query: str
    body: str
    api_key: str | None

    @classmethod
    def of(cls, method: str, path: str, payload: str, api_key: str | None) -> Prepared:
        """``payload`` where a Binance client puts it: the form body of POST/PUT, else the query."""
        if method in ("POST", "PUT"):
            return cls(method, path, "", payload, api_key)
        return cls(method, path, payload, "", api_key)


# ---- the client -------------------------------------------------------------------------------------


def wall_ms() -> int:
    """Now in epoch milliseconds, what a real server's clock reads."""
    return int(time.time() * 1000)


class ApiClient:
    """The exchange's admin, public and signed APIs over one httpx client, stamped by ``now_ms``.

    ``http`` is any ``httpx.Client``: Starlette's TestClient for the app in process
    (``in_process``), a plain one with a server's base URL (``served``). Use it as a context
    manager to keep one connection (and, in process, one event loop) for every request.
    """

    def __init__(
        self, http: httpx.Client, now_ms: Callable[[], int] = wall_ms, *, admin_token: str | None = None
    ) -> None:
        self.http = http
        self.now_ms = now_ms
        self.admin_token = admin_token

    @classmethod
    def in_process(
        cls,
        app: Any,
        now_ms: Callable[[], int] = wall_ms,
        *,
        admin_token: str | None = None,
        client_ip: str | None = None,
    ) -> ApiClient:
        """Calls straight into the ASGI ``app``; from ``client_ip`` (port 50000) when given."""
        http = TestClient(app) if client_ip is None else TestClient(app, client=(client_ip, 50000))
        return cls(http, now_ms, admin_token=admin_token)

    @classmethod
    def served(
        cls, url: str, now_ms: Callable[[], int] = wall_ms, *, admin_token: str | None = None, timeout: float = 10
    ) -> ApiClient:
        """Calls over HTTP to a running server at ``url`` (``http://127.0.0.1:<port>``)."""
        return cls(httpx.Client(base_url=url, timeout=timeout), now_ms, admin_token=admin_token)

    def __enter__(self) -> ApiClient:
        self.http.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.__exit__(*exc)

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, url, **kwargs)

    # ---- unsigned ---------------------------------------------------------------------------------

    def public(self, path: str, params: Pairs = (), method: str = "GET") -> httpx.Response:
        query = urlencode(pairs_of(params))
        return self.http.request(method, f"{path}?{query}" if query else path)

    def admin(self, method: str, path: str, body: object = None, *, authorization: str | None = None) -> httpx.Response:
        """An admin call with ``Authorization: Bearer <admin token>``, or the ``authorization`` given
        (an empty one: no header); ``body``, if any, as JSON."""
        value = f"Bearer {self.admin_token}" if authorization is None else authorization
        headers = {"Authorization": value} if value else {}
        if body is None:
            return self.http.request(method, path, headers=headers)
        return self.http.request(method, path, json=body, headers=headers)

    def admin_ok(self, method: str, path: str, body: object = None) -> Any:
        r = self.admin(method, path, body)
        assert r.status_code == 200, (path, r.text)
        return r.json()

    # ---- signed -----------------------------------------------------------------------------------

    def prepare(
        self,
        method: str,
        path: str,
        params: Pairs = (),
        *,
        key: str | None,
        secret: str,
        key_type: str = "HMAC",
        timestamp: object = None,
        recv_window: object = None,
        signature: str | None = None,
    ) -> Prepared:
        """Sign as Binance clients do: the parameters, ``timestamp`` (now unless given), ``recvWindow``
        if given, urlencoded, ``signature`` last; sent with ``X-MBX-APIKEY: key`` (none if None)."""
        pairs = stamped(params, self.now_ms() if timestamp is None else timestamp, recv_window)
        return Prepared.of(method, path, signed_query(pairs, secret, key_type, signature=signature), key)

    def send(self, p: Prepared, *, headers: Mapping[str, str] | None = None) -> httpx.Response:
        h = dict(headers or {})
        if p.api_key is not None:
            h["X-MBX-APIKEY"] = p.api_key
        if p.body:
            h["Content-Type"] = FORM
        url = f"{p.path}?{p.query}" if p.query else p.path
        return self.http.request(p.method, url, content=p.body.encode() if p.body else None, headers=h)

    def signed(
        self,
        method: str,
        path: str,
        params: Pairs = (),
        *,
        key: str | None,
        secret: str,
        headers: Mapping[str, str] | None = None,
        **options: Any,
    ) -> httpx.Response:
        """``prepare`` (``options``: key_type, timestamp, recv_window, signature), then ``send``."""
        return self.send(self.prepare(method, path, params, key=key, secret=secret, **options), headers=headers)

    def signed_ok(self, method: str, path: str, params: Pairs = (), *, key: str, secret: str, **options: Any) -> Any:
        r = self.signed(method, path, params, key=key, secret=secret, **options)
        assert r.status_code == 200, (path, pairs_of(params), r.text)
        return r.json()
