"""Calling the server's ASGI application in this thread: the same request and answer bytes a
socket would carry (path, query, headers, body; status, headers, JSON), without a socket, a
server thread or a connection.

Backtests use it: a strategy's ccxt calls cost what ccxt and the exchange cost, not what loopback
TCP, HTTP parsing and a thread switch cost (about three quarters of a ccxt round trip on a real
socket). Requests run one at a time on a private event loop, so the caller's own loop, if it has
one, is never entered.
"""

from __future__ import annotations

import asyncio
from typing import TypedDict
from urllib.parse import unquote, urlsplit

from starlette.types import ASGIApp, Message, Scope

from .http.limits import WHOLE_BODY

Headers = list[tuple[str, str]]
CLIENT = ("127.0.0.1", 50000)  # every in-process caller is the local machine, as on loopback


class _Answer(TypedDict):
    status: int
    headers: list[tuple[bytes, bytes]]
    body: list[bytes]


class InProcessTransport:
    """``request(method, url, headers, body) -> (status, headers, body)`` on an ASGI app."""

    def __init__(self, app: ASGIApp, host: str = "sandex.inprocess") -> None:
        self.app = app
        self.host = host
        self._loop = asyncio.new_event_loop()
        self.requests = 0

    def request(self, method: str, url: str, headers: Headers, body: bytes = b"") -> tuple[int, Headers, bytes]:
        parts = urlsplit(url)
        raw_path = parts.path or "/"
        sent = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        if body and not any(k == b"content-length" for k, _ in sent):
            sent.append((b"content-length", str(len(body)).encode()))
        scope: Scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method.upper(),
            "scheme": "http",
            "path": unquote(raw_path),
            "raw_path": raw_path.encode("latin-1"),
            "query_string": parts.query.encode("latin-1"),
            "root_path": "",
            "headers": [(b"host", self.host.encode()), *sent],
            "client": CLIENT,
            "server": (self.host, 80),
            "state": {},
            "extensions": {WHOLE_BODY: body},
        }
        answer: _Answer = {"status": 500, "headers": [], "body": []}
        pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> Message:
            if pending:
                return pending.pop()
            await asyncio.Event().wait()  # (never: the body was sent whole) as a client that sent all
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                answer["body"].append(message.get("body", b""))

        self._loop.run_until_complete(self.app(scope, receive, send))
        self.requests += 1
        out = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in answer["headers"]]
        return answer["status"], out, b"".join(answer["body"])

    def close(self) -> None:
        self._loop.close()
