"""What an armed fault does to the one request it fired on (the pipeline's side of simulator/faults.py).

Kept apart from the admin routes (http/faults.py) so the request pipeline imports nothing of the
admin API. The fault fires after authentication and parameter checks, so it only ever meets a
request Binance would have accepted up to its matching engine.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ..binance_errors import ApiError
from ..faults import Fault, partial_fill
from ..refusals import Refused


class DropConnection(Response):
    """Not an answer: the connection is cut with nothing written, as a crashed gateway or a broken
    network cuts it; the client sees a connection error (ccxt: NetworkError)."""

    def __init__(self) -> None:
        super().__init__(b"", 503)  # never sent

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # uvicorn's ``receive`` is a bound method of its request cycle, which holds the socket's transport
        transport = getattr(getattr(receive, "__self__", None), "transport", None)
        if transport is not None and hasattr(transport, "abort"):
            transport.abort()
            await asyncio.sleep(0)  # let the server see the connection lost first, so it writes nothing
            return
        # any other server (or an in-process test transport): start an answer and break it off; a
        # server closes the connection and a test transport raises this to the caller
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [(b"content-length", b"1"), (b"connection", b"close")],
            }
        )
        raise ConnectionAbortedError("sandex fault: connection dropped")


async def run_faulted(fault: Fault, handler: Callable[[], object], now: Callable[[], int]) -> object:
    """Run ``handler`` (or not) the way ``fault`` says; returns its result or a ``DropConnection``,
    or raises the ``ApiError`` the fault answers with."""
    if fault.ms:
        await asyncio.sleep(fault.ms / 1000)  # other requests go on meanwhile
    kind = fault.kind
    if kind == "delay":
        return handler()
    if kind == "partial_fill":
        with partial_fill(fault.fraction):
            return handler()
    if fault.executed:  # timeout or drop after the exchange acted: the answer is lost either way
        with contextlib.suppress(ApiError, Refused):
            handler()
    if kind == "drop":
        return DropConnection()
    raise fault.answer(now())
