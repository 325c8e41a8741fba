"""What the fuzz tests share: a simulator on a hand-moved clock, request signing, raw ASGI calls,
and the three properties every answer must have.

The properties, checked after every response:
1. no 5xx;
2. an error (status >= 400) is JSON of exactly Binance's shape ``{"code": int < 0, "msg": str}``
   (cancelReplace adds ``data``, as Binance does), and never -1000 "unknown error" (what the pipeline
   answers when a handler raised) except for Binance's own 404/405 bodies;
3. an error leaves ``app.services.fingerprint()`` unchanged; the one exception is cancelReplace's
   409 -2021 ("partially failed": one half succeeded, as on Binance).

The fingerprint is taken once per request (after it; the previous one is the "before"): nothing
else moves the state between requests, because the clock only moves by hand and the liquidity
driver does not run in the background.

Run longer: ``SANDEX_FUZZ_EXAMPLES=5000`` sets every fuzz test's example count (per operation for
the schemathesis suite); add ``HYPOTHESIS_PROFILE=dev`` for fresh randomness instead of the CI
profile's fixed seed.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import orjson
from hypothesis import HealthCheck, settings

from simulator.clock import ManualClock
from simulator.config import SimulatorConfig
from simulator.launcher import build
from simulator.ratelimit import RateLimitConfig
from tests.harness import FORM, hmac_hex

T0 = 1_699_963_200_000
KEY = "FUZZKEY" + "k" * 57
SECRET = "FUZZSECRET" + "s" * 54
ADMIN_TOKEN = "fuzz-admin-token-0123456789"
CANCEL_REPLACE = "/api/v3/order/cancelReplace"


def examples(default: int) -> int:
    """The example count: ``default`` in the normal (CI) run, ``SANDEX_FUZZ_EXAMPLES`` when set."""
    text = os.environ.get("SANDEX_FUZZ_EXAMPLES", "").strip()
    return int(text) if text else default


def fuzz_settings(default: int) -> settings:
    """Bounded examples, no deadline (the first calls warm caches), one simulator shared by the
    examples of a test (so no function-scoped-fixture complaint)."""
    return settings(
        max_examples=examples(default),
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
            HealthCheck.filter_too_much,
        ],
    )


def sign(query: bytes, body: bytes, now_ms: int, secret: str = SECRET) -> tuple[bytes, bytes]:
    """Append ``timestamp`` and ``signature`` as a Binance client does: the signature is over the
    query string followed by the body, exactly as sent, and goes last (in the body when there is one)."""
    stamp = b"timestamp=%d" % now_ms
    if body:
        body = body + b"&" + stamp
    else:
        query = query + b"&" + stamp if query else stamp
    tail = b"&signature=" + hmac_hex(secret, query + body).encode()
    return (query, body + tail) if body else (query + tail, body)


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return orjson.loads(self.body)


class FuzzSim:
    """One simulator (static book, limits off, demo account with the fuzz key) and the property checks."""

    def __init__(self, book_levels: int = 5) -> None:
        self.clock = ManualClock(T0)
        limits = RateLimitConfig(enabled=False)
        self.sim = build(
            SimulatorConfig(
                liquidity=True,
                liquidity_mode="static",
                book_levels=book_levels,
                demo_api_key=KEY,
                demo_api_secret=SECRET,
                admin_token=ADMIN_TOKEN,
                rate_limits=limits,
            ),
            clock=self.clock,
        )
        self.app = self.sim.app
        self.services = self.app.services
        self.venue = self.sim.venue
        self.statuses: Counter[int] = Counter()
        self.codes: Counter[int] = Counter()
        self._last = self.services.fingerprint()
        self._loop: asyncio.AbstractEventLoop | None = None

    def close(self) -> None:
        if self._loop is not None:
            self._loop.close()
        self.sim.close()

    # ---- the properties ---------------------------------------------------------------------------

    def observe(self, path: str, status: int, content_type: str, body: bytes, what: object = None) -> None:
        """Check one answer; ``what`` (the request) goes into the assertion messages."""
        now = self.services.fingerprint()
        before, self._last = self._last, now
        self.statuses[status] += 1
        assert status < 500, (status, body[:300], what)
        if status < 400:
            return
        assert content_type.split(";")[0].strip() == "application/json", (status, content_type, body[:300], what)
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise AssertionError(("error body is not JSON", status, body[:300], what)) from None
        assert_binance_error(path, status, data, what)
        self.codes[data["code"]] += 1
        if path == CANCEL_REPLACE and status == 409 and data["code"] == -2021:
            return  # one half done: Binance's "partially failed"
        assert now == before, ("a refused request changed the state", status, data, what)

    def resync(self) -> None:
        """Take the fingerprint afresh (after a change made outside a request)."""
        self._last = self.services.fingerprint()

    # ---- raw ASGI requests --------------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        query: bytes = b"",
        body: bytes = b"",
        headers: Iterable[tuple[str, str]] = (),
        chunks: int = 1,
    ) -> Answer:
        """One request straight into the ASGI app: any bytes in the query string and the body
        (httpx would refuse some), the body delivered in ``chunks`` messages."""
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        return self._loop.run_until_complete(asgi_call(self.app, method, path, query, body, headers, chunks))

    def check(
        self,
        method: str,
        path: str,
        query: bytes = b"",
        body: bytes = b"",
        *,
        signed: bool = False,
        headers: Iterable[tuple[str, str]] = (),
        api_key: str = KEY,
    ) -> Answer:
        """Send (signed with a fresh timestamp if asked) and check the three properties."""
        headers = list(headers)
        if signed:
            query, body = sign(query, body, self.clock.now_ms())
            headers.append(("X-MBX-APIKEY", api_key))
        if body and not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", FORM))
        answer = self.call(method, path, query, body, headers)
        self.observe(
            path,
            answer.status,
            answer.headers.get("content-type", ""),
            answer.body,
            (method, path, query[:400], body[:400]),
        )
        return answer


def assert_binance_error(path: str, status: int, data: object, what: object = None) -> None:
    assert isinstance(data, dict), (status, data, what)
    allowed = {"code", "msg", "data"} if path == CANCEL_REPLACE else {"code", "msg"}
    assert {"code", "msg"} <= data.keys() <= allowed, (status, data, what)
    assert type(data["code"]) is int and data["code"] < 0, (status, data, what)
    assert type(data["msg"]) is str and data["msg"], (status, data, what)
    # -1000 is what a handler that raised unexpectedly answers; Binance's 404/405 bodies use it too
    assert data["code"] != -1000 or status in (404, 405), ("a handler raised", status, data, what)


async def asgi_call(
    app, method: str, path: str, query: bytes, body: bytes, headers: Iterable[tuple[str, str]], chunks: int = 1
) -> Answer:
    raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    if body and not any(k == b"content-length" for k, _ in raw_headers):
        raw_headers.append((b"content-length", str(len(body)).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("utf-8", "surrogateescape"),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"testserver"), *raw_headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    step = max(1, -(-len(body) // max(1, chunks)))
    parts = [body[i : i + step] for i in range(0, len(body), step)] or [b""]
    messages = [{"type": "http.request", "body": p, "more_body": i < len(parts) - 1} for i, p in enumerate(parts)]
    status = 0
    out_headers: dict[str, str] = {}
    out = bytearray()

    async def receive() -> dict:
        if messages:
            return messages.pop(0)
        await asyncio.sleep(3600)  # nothing more will come: the app must not wait for it
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            out_headers.update({k.decode("latin-1").lower(): v.decode("latin-1") for k, v in message["headers"]})
        elif message["type"] == "http.response.body":
            out.extend(message.get("body", b""))

    await asyncio.wait_for(app(scope, receive, send), timeout=30)
    return Answer(status, out_headers, bytes(out))
