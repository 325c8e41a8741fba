"""In-process targets: ccxt's requests answered by a simulator in this process, without a socket.

A backtest registers its simulator under a name; a credential whose target is
``inprocess:<name>`` then reaches it through a requests adapter mounted on the ccxt instance's
session. ccxt builds, signs, sends and parses exactly as it would over the network (the same
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
from requests.adapters import BaseAdapter
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


class InProcessAdapter(BaseAdapter):
    """requests' transport interface over an in-process ``Transport``."""

    def __init__(self, transport: Transport) -> None:
        super().__init__()
        self.transport = transport

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout=None, verify=True, cert=None,
             proxies=None) -> requests.Response:
        body = request.body or b""
        status, headers, content = self.transport.request(
            request.method or "GET", request.url or "", list(request.headers.items()),
            body.encode() if isinstance(body, str) else body)
        response = requests.Response()
        response.status_code = status
        response.headers = CaseInsensitiveDict(headers)
        response._content = content
        response.encoding = "utf-8"
        response.url = request.url
        response.request = request
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
    exchange.session.mount(BASE_URL, InProcessAdapter(target.transport))
    exchange.milliseconds = target.now_ms
    exchange.enableRateLimit = False
