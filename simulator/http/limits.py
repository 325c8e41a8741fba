"""How much of a request sandex reads: every size is bounded, and an oversized request is refused
with a Binance error body before it is parsed or held in memory.

Binance's front end refuses oversized requests before its API sees them; sandex does the same in
its request pipeline (``endpoint.build_handler``) and in the admin API. The limits and why:

* the query string at most ``MAX_QUERY_BYTES`` (16 KiB) -> HTTP 414, -1101: what front ends
  (and uvicorn's h11 parser, by default) accept in a request line; the longest legitimate query,
  a signed ``symbols=[...]`` list of a few hundred markets, fits.
* query string plus body at most ``MAX_REQUEST_BYTES`` (64 KiB) -> HTTP 413, -1101. The largest
  legitimate request (an order with every parameter and an RSA-4096 signature) is under 2 KiB. The
  declared Content-Length is checked first; the body is then read in chunks and reading stops at the
  limit, so nothing bigger is ever held.
* a body that stops arriving: after ``BODY_TIMEOUT_S`` (10 s, ccxt's default timeout for a whole
  request: its client has given up by then) -> HTTP 408, -1007, and the connection is closed. A
  client that promises more than it sends holds nothing for long, and a server shutting down waits
  at most that long for such a request.
* one parameter value at most ``MAX_VALUE_CHARS`` (1024) characters once decoded -> 400, -1100
  (checked in ``endpoint.py``). The longest legitimate values are signatures (HMAC-SHA256 64 hex
  characters, Ed25519 88 and RSA-2048 344 base64 characters, RSA-4096 684) and JSON lists, which
  declare a larger bound on their ``Param``.

-1101 is Binance's TOO_MANY_PARAMETERS ("Too many parameters sent for this endpoint."), the
closest of its codes to "too much request"; ccxt maps it (like every -1100..-1106) to BadRequest
whatever the HTTP status. The 413/408 answers say ``Connection: close`` so the rest of an
oversized body is never read.
"""

from __future__ import annotations

import asyncio

from starlette.requests import ClientDisconnect, Request

from ..binance_errors import ApiError

WHOLE_BODY = "sandex.whole_body"  # a scope extension: the request body, complete (simulator/inprocess.py)
MAX_QUERY_BYTES = 16 * 1024
MAX_REQUEST_BYTES = 64 * 1024
MAX_VALUE_CHARS = 1024
BODY_TIMEOUT_S = 10.0
_CLOSE = {"Connection": "close"}

URI_TOO_LONG = ApiError(414, -1101, "Too many parameters sent for this endpoint.")
TOO_LARGE = ApiError(413, -1101, "Too many parameters sent for this endpoint.", _CLOSE)
BODY_TIMEOUT = ApiError(408, -1007, "Timeout waiting for the request body; nothing was executed.", _CLOSE)
CLIENT_GONE = ApiError(400, -1007, "The client closed the connection before sending the whole request body.", _CLOSE)


def check_query(query: bytes) -> None:
    """Refuse an over-long query string (414) before it is decoded."""
    if len(query) > MAX_QUERY_BYTES:
        raise URI_TOO_LONG


def declared_length(request: Request) -> int | None:
    """The Content-Length header as a number; None when absent or not a plain number (uvicorn has
    already refused a malformed one on a real connection; the body is then read up to the limit)."""
    text = request.headers.get("content-length")
    if text is None or not (text.isascii() and text.isdigit()):
        return None
    return int(text) if len(text) <= 18 else 10**18


async def read_body(request: Request, limit: int, too_large: ApiError = TOO_LARGE) -> bytes:
    """The request body, at most ``limit`` bytes: a larger declared length is refused unread; a body
    that turns out larger is refused at the first chunk past the limit; one that stalls, after
    ``BODY_TIMEOUT_S``."""
    declared = declared_length(request)
    if declared is not None and declared > limit:
        raise too_large
    whole: bytes | None = request.scope.get("extensions", {}).get(WHOLE_BODY)
    if whole is not None:  # handed over at once by an in-process caller: nothing can stall
        if len(whole) > limit:
            raise too_large
        return whole
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(BODY_TIMEOUT_S):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise too_large
                chunks.append(chunk)
    except TimeoutError:
        raise BODY_TIMEOUT from None
    except ClientDisconnect:
        raise CLIENT_GONE from None
    return b"".join(chunks)
