"""In-process targets: ccxt's requests answered by a simulator in this process, without a socket.

A backtest registers its simulator under a name; a credential whose target is
``inprocess:<name>`` then reaches it through the ccxt instance's session, replaced by one that
hands each request to the simulator. ccxt builds, signs, sends and parses exactly as it would over the network (the same
URLs, headers, bodies and answers); only the transport differs. The instance runs on the
simulator's clock (its request timestamps are simulated time) and without ccxt's own throttle,
which sleeps on the wall clock: the simulator still enforces Binance's limits, in simulated time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Protocol

import requests
from requests.structures import CaseInsensitiveDict

from .credentials import CredentialError

PREFIX = "inprocess:"
BASE_URL = "http://sandex.inprocess"


class Transport(Protocol):
    def request(self, method: str, url: str, headers: list[tuple[str, str]],
                body: bytes = b"") -> tuple[int, list[tuple[str, str]], bytes]: ...


@dataclass(frozen=True)
class InProcessTarget:
    transport: Transport
    now_ms: Callable[[], int]  # the simulator's clock


_lock = threading.Lock()
_targets: dict[str, InProcessTarget] = {}


def register(name: str, transport: Transport, now_ms: Callable[[], int]) -> str:
    """Make ``inprocess:<name>`` reach ``transport``; returns that target text."""
    with _lock:
        if name in _targets:
            raise ValueError(f"an in-process target {name!r} is already registered")
        _targets[name] = InProcessTarget(transport, now_ms)
    return PREFIX + name


def unregister(name: str) -> None:
    with _lock:
        _targets.pop(name, None)


def lookup(name: str) -> InProcessTarget:
    with _lock:
        found = _targets.get(name)
    if found is None:
        raise LookupError(f"no in-process target {name!r} is running (it exists only while its backtest runs)")
    return found


class InProcessSession:
    """What ccxt's ``fetch`` uses of a ``requests.Session``, answered by an in-process transport.

    ccxt prepares the headers (the session's defaults included), signs, sends and parses exactly
    as ever; only requests' own request preparation and connection handling, which cost about as
    much as ccxt's work itself, are left out."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.headers = requests.utils.default_headers()  # what a requests session adds to every request
        self.cookies = requests.cookies.RequestsCookieJar()

    def request(self, method: str, url: str, data: bytes | None = None, headers: dict | None = None,
                **_: object) -> requests.Response:
        body = data or b""
        status, answer_headers, content = self.transport.request(
            method, url, list((headers or {}).items()), body.encode() if isinstance(body, str) else body)
        response = requests.Response()
        response.status_code = status
        response.headers = CaseInsensitiveDict(answer_headers)
        response._content = content
        response.encoding = "utf-8"
        response.url = url
        try:
            response.reason = HTTPStatus(status).phrase
        except ValueError:
            response.reason = ""
        return response

    def close(self) -> None:
        pass


def attach(exchange, name: str) -> None:
    """Point a sync ccxt instance at the in-process target ``name``."""
    if not isinstance(getattr(exchange, "session", None), requests.Session):
        raise CredentialError(f"inprocess:{name} is a backtest's simulator, reached by the synchronous client "
                              "only: use client.*, not client.aio.*, in a backtested strategy")
    target = lookup(name)
    exchange.session = InProcessSession(target.transport)
    exchange.milliseconds = target.now_ms
    exchange.enableRateLimit = False
