"""What the server's WebSocket connections (market streams, WebSocket API) do alike: refuse an
upgrade with Binance's error, and read frames until the client goes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..binance_errors import ApiError


async def refuse_upgrade(scope: Scope, receive: Receive, send: Send, e: ApiError) -> None:
    """An upgrade refused with Binance's status and error body (where the server can send one)."""
    await receive()  # websocket.connect
    if "websocket.http.response" in scope.get("extensions", {}):
        body = orjson.dumps(e.body())
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        headers += [(k.lower().encode(), v.encode()) for k, v in (e.headers or {}).items()]
        await send({"type": "websocket.http.response.start", "status": e.status, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 1008})


async def frames(ws: WebSocket) -> AsyncIterator[Message]:
    """The client's frames (``text`` or ``bytes``), until it disconnects."""
    while True:
        try:
            message = await ws.receive()
        except WebSocketDisconnect:
            return
        if message["type"] == "websocket.disconnect":
            return
        yield message
