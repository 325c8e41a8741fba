"""Binance's market streams over WebSocket, on the REST API's host and port.

Paths, as Binance serves them:
- ``/ws`` and ``/ws/<stream>[/<stream>...]``: raw events, the streams of the path subscribed at
  once (a name of no known form in the path is ignored, as Binance ignores the ``/ws/0`` that
  ccxt.pro appends);
- ``/stream?streams=<stream>/<stream>``: combined events ``{"stream": name, "data": event}``;
- ``/stream/ws[/...]``: raw events as on ``/ws``. ccxt.pro tells a spot event from a futures one by
  ``/stream`` in the URL it connected to, as Binance's host name (stream.binance.com) has it.

On any of them a client may send ``SUBSCRIBE``, ``UNSUBSCRIBE``, ``LIST_SUBSCRIPTIONS``,
``SET_PROPERTY`` and ``GET_PROPERTY`` (``combined``), answered with Binance's replies and error
objects. Binance's limits hold: 5 incoming messages a second (more closes the connection), 1024
streams a connection, 24 hours a connection. The server pings every 20 seconds and drops a client
that has not answered for a minute (uvicorn's settings, see the launcher).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import deque
from collections.abc import Callable
from urllib.parse import parse_qs

import orjson
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from .. import binance_errors as err
from ..streams.hub import StreamHub, Subscriber
from ..streams.names import StreamName
from . import ws_api
from .ws_connection import frames, refuse_upgrade

MAX_STREAMS = 1024
MAX_MESSAGES_PER_S = 5
LIFETIME_S = 24 * 3600
METHODS = ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "SET_PROPERTY", "GET_PROPERTY")
_ID = re.compile(r"[A-Za-z0-9]{1,36}", re.ASCII)
_INT64 = (-(2**63), 2**63 - 1)


class _Refusal(Exception):
    """A control message answered with Binance's error object."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code, self.msg = code, msg


def _route(scope: Scope) -> tuple[bool, list[str]] | None:
    """(combined, the streams the URL names), or None for a path that serves no stream."""
    path: str = scope["path"]
    if path == "/stream":
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        names = query.get("streams", [""])[-1]
        return True, [n for n in names.split("/") if n]
    for base in ("/ws", "/stream/ws"):
        if path == base:
            return False, []
        if path.startswith(base + "/"):
            return False, [n for n in path[len(base) + 1 :].split("/") if n]
    return None


async def serve(hub: StreamHub, scope: Scope, receive: Receive, send: Send) -> None:
    """One WebSocket connection, from the upgrade to its close."""
    if scope["path"] == ws_api.PATH:  # Binance's WebSocket API, not a stream
        await ws_api.serve(hub, scope, receive, send)
        return
    route = _route(scope)
    if route is None:
        await refuse_upgrade(scope, receive, send, err.NOT_FOUND)
        return
    if hub.refuses(scope["path"]):  # an armed ws_refuse fault: the server turns new connections away
        await refuse_upgrade(scope, receive, send, err.OVERLOADED)
        return
    ws = WebSocket(scope, receive, send)
    await ws.accept()
    hub.ensure_started()
    closing: asyncio.Future[tuple[int, str]] = asyncio.get_running_loop().create_future()

    def close(code: int, reason: str) -> None:
        if not closing.done():
            closing.set_result((code, reason))

    combined, named = route
    sub = Subscriber(close)
    sub.combined = combined
    hub.connect(sub)
    for text in named[:MAX_STREAMS]:
        stream = hub.resolve(text)
        if stream is not None:
            hub.subscribe(sub, stream)
    sender = asyncio.create_task(_send_events(ws, sub))
    reader = asyncio.create_task(_read_requests(ws, hub, sub, close))
    lifetime = asyncio.get_running_loop().call_later(LIFETIME_S, close, 1000, "connection lifetime reached")
    try:
        waiting: set[asyncio.Future[object]] = {sender, reader, closing}  # type: ignore[arg-type]  # (any ends it)
        done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if closing in done:
            code, reason = closing.result()
            with contextlib.suppress(Exception):
                await ws.close(code, reason)
    finally:
        lifetime.cancel()
        hub.drop(sub)
        for task in (sender, reader):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def _send_events(ws: WebSocket, sub: Subscriber) -> None:
    while True:
        raw = await sub.queue.get()
        await ws.send_text(raw.decode())


async def _read_requests(ws: WebSocket, hub: StreamHub, sub: Subscriber, close: Callable[[int, str], None]) -> None:
    recent: deque[float] = deque()
    async for message in frames(ws):
        now = time.monotonic()
        recent.append(now)
        while recent and recent[0] <= now - 1.0:
            recent.popleft()
        if len(recent) > MAX_MESSAGES_PER_S:
            close(1008, "Too many requests")
            return
        text = message.get("text")
        if text is None:
            data = message.get("bytes") or b""
            text = data.decode("utf-8", errors="replace")
        reply = answer(hub, sub, text)
        await ws.send_text(orjson.dumps(reply).decode())


def answer(hub: StreamHub, sub: Subscriber, text: str) -> dict[str, object]:
    """The reply to one control message; nothing changes when it is refused."""
    request_id: object = None
    try:
        try:
            request = orjson.loads(text)
        except orjson.JSONDecodeError as e:
            raise _Refusal(3, f"Invalid JSON: {_json_problem(text, e)}") from None
        if not isinstance(request, dict):
            raise _Refusal(2, "Invalid request: expected a JSON object")
        request_id = request.get("id")
        if not _valid_id(request_id):
            request_id = None
            raise _Refusal(2, "Invalid request: request ID must be an unsigned integer")
        unknown = set(request) - {"method", "params", "id"}
        if unknown:
            raise _Refusal(2, "Invalid request: too many parameters")
        method = request.get("method")
        if method is None:
            raise _Refusal(2, f"Invalid request: missing field `method` at line 1 column {len(text)}")
        if method not in METHODS:
            expected = ", ".join(f"`{m}`" for m in METHODS)
            raise _Refusal(
                2,
                f"Invalid request: unknown variant `{method}`, expected one of {expected} at line 1 column "
                f"{_column_after(text, method)}",
            )
        return {"result": _run(hub, sub, method, request.get("params")), "id": request_id}
    except _Refusal as e:
        return {"error": {"code": e.code, "msg": e.msg}, "id": request_id}


def _run(hub: StreamHub, sub: Subscriber, method: str, params: object) -> object:
    if method == "LIST_SUBSCRIPTIONS":
        return list(sub.streams)
    if not isinstance(params, list):
        raise _Refusal(2, "Invalid request: missing field `params`")
    if method in ("SUBSCRIBE", "UNSUBSCRIBE"):
        if not all(isinstance(p, str) for p in params):
            raise _Refusal(2, "Invalid request: stream names must be strings")
        if method == "UNSUBSCRIBE":
            for text in params:
                hub.unsubscribe(sub, text)
            return None
        streams: list[StreamName] = []
        for text in params:
            stream = hub.resolve(text)
            if stream is None:
                raise _Refusal(2, f"Invalid request: invalid stream name `{text}`")
            streams.append(stream)
        if len(set(sub.streams) | {s.text for s in streams}) > MAX_STREAMS:
            raise _Refusal(2, f"Invalid request: a connection can listen to at most {MAX_STREAMS} streams")
        for stream in streams:
            hub.subscribe(sub, stream)
        return None
    if not params or not isinstance(params[0], str):
        raise _Refusal(2, "Invalid request: property name must be a string")
    if params[0] != "combined":
        raise _Refusal(0, "Unknown property")
    if method == "GET_PROPERTY":
        return sub.combined
    if len(params) != 2 or not isinstance(params[1], bool):
        raise _Refusal(1, "Invalid value type: expected Boolean")
    sub.combined = params[1]
    return None


def _valid_id(value: object) -> bool:
    """Binance's ids: a 64-bit signed integer, an alphanumeric string of at most 36, or null."""
    if value is None:
        return True
    if type(value) is int:
        return _INT64[0] <= value <= _INT64[1]
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def _column_after(text: str, method: str) -> int:
    at = text.find(f'"{method}"')
    return at + len(method) + 2 if at >= 0 else len(text)


def _json_problem(text: str, e: orjson.JSONDecodeError) -> str:
    """Where the JSON went wrong, as Binance words it (1-based line and column)."""
    pos = getattr(e, "pos", 0) or 0
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"expected value at line {line} column {column}"
