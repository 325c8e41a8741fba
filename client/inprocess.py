"""In-process targets: ccxt's requests answered by a simulator in this process, without a socket.

A backtest makes an ``InProcessTarget`` of its simulator and hands it to the strategy's credential
(``Credential.new(..., target=InProcessTarget(...))``); ccxt instances for that credential get a
session that hands each request to the simulator, through ccxt's own ``session`` option. ccxt
builds, signs, sends and parses exactly as it would over the network (the same URLs, headers,
bodies and answers); only the transport differs. The instance runs on the simulator's clock (its
request timestamps are simulated time) and without ccxt's own throttle, which sleeps on the wall
clock: the simulator still enforces Binance's limits, in simulated time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import ClassVar, Protocol

import ccxt
import requests
from requests.structures import CaseInsensitiveDict

from .credentials import CredentialError
from .targets import INPROCESS, Target, point_at

PREFIX = "inprocess:"
BASE_URL = "http://sandex.inprocess"


class Transport(Protocol):
    def request(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes = b""
    ) -> tuple[int, list[tuple[str, str]], bytes]: ...


class InProcessSession:
    """What ccxt's ``fetch`` uses of a ``requests.Session``, answered by an in-process transport.

    ccxt prepares the headers (the session's defaults included), signs, sends and parses exactly
    as ever; only requests' own request preparation and connection handling, which cost about as
    much as ccxt's work itself, are left out."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.headers = requests.utils.default_headers()  # what a requests session adds to every request
        self.cookies = requests.cookies.RequestsCookieJar()

    def request(
        self, method: str, url: str, data: bytes | None = None, headers: dict[str, str] | None = None, **_: object
    ) -> requests.Response:
        body = data or b""
        status, answer_headers, content = self.transport.request(
            method, url, list((headers or {}).items()), body.encode() if isinstance(body, str) else body
        )
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


@dataclass(frozen=True, eq=False)
class InProcessTarget(Target):
    """A simulator in this process, reached through ``transport`` on its own clock ``now_ms``;
    each one is a place of its own (equal only to itself), named ``name`` in messages."""

    transport: Transport = field(repr=False)
    now_ms: Callable[[], int] = field(repr=False)  # the simulator's clock
    name: str = "simulator"
    kind: ClassVar[str] = INPROCESS

    def options(self, asynchronous: bool) -> dict[str, object]:
        if asynchronous:
            raise CredentialError(
                f"{self} is a backtest's simulator, reached by the synchronous client only: "
                "use client.*, not client.aio.*, in a backtested strategy"
            )
        return {"session": InProcessSession(self.transport), "milliseconds": self.now_ms, "enableRateLimit": False}

    def aim(self, exchange: ccxt.Exchange, fields: Mapping[str, str]) -> None:
        point_at(exchange, BASE_URL)

    def __str__(self) -> str:
        return f"{PREFIX}{self.name}"
