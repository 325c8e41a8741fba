"""Binance's WebSocket API (``/ws-api/v3``) on the REST API's host and port.

A request is a JSON text frame ``{"id", "method", "params"}``; the answer is
``{"id", "status": 200, "result", "rateLimits"}`` or ``{"id", "status": 4xx, "error": {"code", "msg"}}``.
Every method that has a REST twin is that twin's ``Endpoint`` (``market.py``, ``spot.py``) run
through the same pipeline (``endpoint.run_endpoint``): the same parameters, weights, key checks,
order counts, armed faults, handler and refusals, so an answer here is the REST answer in another
envelope, and the rate limiter (per IP and per account) is shared with REST.

What differs from REST, as Binance's WebSocket API has it:

* parameters are a JSON object: strings, numbers and booleans are read as the text they were sent
  as (``1.50`` stays ``1.50``, ``true`` is ``true``), arrays (``symbols``) as their JSON text, as
  REST takes them; a ``null`` counts as not sent;
* ``apiKey`` is a parameter; a signature covers every parameter but ``signature`` sorted by name,
  ``name=value`` joined by ``&`` (``auth.ws_payload``);
* ``session.logon`` (Ed25519 keys) authenticates the connection: its later SIGNED requests may omit
  ``apiKey`` and ``signature`` (not ``timestamp``); ``session.status``, ``session.logout``;
* ``returnRateLimits`` (a parameter, default true, or ``?returnRateLimits=false`` on the URL for the
  connection's default) decides whether ``rateLimits`` is in the answer; connecting costs 2 weight;
* user data: ``userDataStream.subscribe.signature`` (signed) and ``userDataStream.subscribe`` (logged
  on) answer ``{"subscriptionId": N}``, and the account's events then arrive on the same socket as
  ``{"subscriptionId": N, "event": {...}}``; ``userDataStream.unsubscribe`` and
  ``session.subscriptions``. At most 1000 active subscriptions, 65535 over a connection's life.

A frame that is not a request (not JSON, no or a bad ``id``, an unknown method) gets Binance's error
and changes nothing. Limits: a frame of at most 64 KiB (as a REST request), 300 connection attempts
per IP in 5 minutes (when rate limits are on), 24 hours a connection; an IP banned for request weight
is disconnected. The server pings every 20 seconds (uvicorn's settings, see the launcher).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

import orjson
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from .. import binance_errors as err
from ..accounts import ApiKey, KeyType
from ..auth import api_key_only, ws_payload
from ..binance_errors import ApiError
from ..clock import MINUTE_MS
from ..ratelimit import ORDERS_1D_HEADER, ORDERS_10S_HEADER, WEIGHT_HEADER
from ..refusals import Refused
from ..wire import parse_bool
from . import market, spot
from .endpoint import MAX_PARAMS, Ctx, Endpoint, Faulted, Param, Security, run_endpoint
from .limits import MAX_REQUEST_BYTES
from .ws_connection import frames, refuse_upgrade

if TYPE_CHECKING:
    from ..streams.hub import StreamHub
    from .app import Services

log = logging.getLogger("sandex.ws_api")

PATH = "/ws-api/v3"
CONNECT_WEIGHT = 2
LIFETIME_S = 24 * 3600
MAX_FRAME_BYTES = MAX_REQUEST_BYTES
MAX_ACTIVE_SUBSCRIPTIONS = 1000
MAX_SUBSCRIPTION_IDS = 65535
CONNECTIONS_PER_WINDOW = 300
CONNECTION_WINDOW_MS = 5 * MINUTE_MS
MAX_QUEUED = 10_000  # frames waiting for a slow reader; past that the connection is closed
_ID = re.compile(r"[a-zA-Z0-9\-_]{1,36}", re.ASCII)
_INT64 = (-(2**63), 2**63 - 1)
_CONTROL = ("apiKey", "returnRateLimits")  # read by this module, never by an endpoint


# ---- the methods -------------------------------------------------------------------------------

_REST = {(ep.method, ep.path): ep for ep in (*market.ENDPOINTS, *spot.ENDPOINTS)}
_TWINS = {
    "ping": ("GET", "/api/v3/ping"),
    "time": ("GET", "/api/v3/time"),
    "exchangeInfo": ("GET", "/api/v3/exchangeInfo"),
    "depth": ("GET", "/api/v3/depth"),
    "trades.recent": ("GET", "/api/v3/trades"),
    "trades.historical": ("GET", "/api/v3/historicalTrades"),
    "trades.aggregate": ("GET", "/api/v3/aggTrades"),
    "klines": ("GET", "/api/v3/klines"),
    "uiKlines": ("GET", "/api/v3/uiKlines"),
    "avgPrice": ("GET", "/api/v3/avgPrice"),
    "ticker.24hr": ("GET", "/api/v3/ticker/24hr"),
    "ticker.price": ("GET", "/api/v3/ticker/price"),
    "ticker.book": ("GET", "/api/v3/ticker/bookTicker"),
    "ticker": ("GET", "/api/v3/ticker"),
    "order.place": ("POST", "/api/v3/order"),
    "order.test": ("POST", "/api/v3/order/test"),
    "order.status": ("GET", "/api/v3/order"),
    "order.cancel": ("DELETE", "/api/v3/order"),
    "order.cancelReplace": ("POST", "/api/v3/order/cancelReplace"),
    "order.amend.keepPriority": ("PUT", "/api/v3/order/amend/keepPriority"),
    "openOrders.status": ("GET", "/api/v3/openOrders"),
    "openOrders.cancelAll": ("DELETE", "/api/v3/openOrders"),
    "allOrders": ("GET", "/api/v3/allOrders"),
    "myTrades": ("GET", "/api/v3/myTrades"),
    "account.status": ("GET", "/api/v3/account"),
    "account.commission": ("GET", "/api/v3/account/commission"),
    "account.rateLimits.orders": ("GET", "/api/v3/rateLimit/order"),
}


def _accept(ctx: Ctx) -> Ctx:
    """The session methods' handler: what the pipeline checked, for the connection to act on."""
    return ctx


def _own(name: str, security: Security = Security.NONE, params: tuple[Param, ...] = (), summary: str = "") -> Endpoint:
    """A method of the WebSocket API alone (``method`` "WS": an armed fault on every path meets it)."""
    return Endpoint("WS", name, _accept, security, 2, params, summary)


_OWN = {
    "session.logon": _own("session.logon", Security.USER_DATA, summary="Authenticate the connection (Ed25519)"),
    "session.status": _own("session.status", summary="The connection's key and subscriptions"),
    "session.logout": _own("session.logout", summary="Forget the connection's key"),
    "session.subscriptions": _own("session.subscriptions", summary="Active user data subscriptions"),
    "userDataStream.subscribe": _own("userDataStream.subscribe", summary="User data of the logged-on account"),
    "userDataStream.subscribe.signature": _own(
        "userDataStream.subscribe.signature", Security.USER_DATA, summary="User data of the signing key's account"
    ),
    "userDataStream.unsubscribe": _own(
        "userDataStream.unsubscribe", params=(Param("subscriptionId", "integer"),), summary="Stop user data"
    ),
}
METHODS: dict[str, Endpoint] = {name: _REST[twin] for name, twin in _TWINS.items()} | _OWN


# ---- reading a frame ---------------------------------------------------------------------------


class _Int(str):
    """A JSON integer, kept as the text it was sent as."""

    __slots__ = ()


class _Float(str):
    """A JSON number with a fraction or exponent, kept as the text it was sent as."""

    __slots__ = ()


class _Duplicate(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _no_constant(text: str) -> object:
    raise ValueError(f"{text} is not JSON")


def _object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, value in pairs:
        if name in out:
            raise _Duplicate(name)
        out[name] = value
    return out


def _loads(text: str) -> object:
    """JSON with its numbers as their text; a repeated name raises ``_Duplicate``."""
    return json.loads(text, parse_int=_Int, parse_float=_Float, parse_constant=_no_constant, object_pairs_hook=_object)


def _request_id(request: dict[str, object]) -> int | str | None:
    """Binance's ids: a 64-bit integer, a string of at most 36 of ``[a-zA-Z0-9-_]``, or null."""
    if "id" not in request:
        raise err.mandatory("id")
    value = request["id"]
    if value is None:
        return None
    if isinstance(value, _Int):
        number = int(value)
        if _INT64[0] <= number <= _INT64[1]:
            return number
    elif isinstance(value, str) and not isinstance(value, _Float) and _ID.fullmatch(value):
        return value
    raise err.INVALID_ID


def _json_text(value: object) -> str:
    """An array or object parameter as compact JSON text, its numbers as sent."""
    if isinstance(value, (_Int, _Float)):
        return str.__str__(value)
    if isinstance(value, list):
        return "[" + ",".join(_json_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{_json_text(k)}:{_json_text(v)}" for k, v in value.items()) + "}"
    return orjson.dumps(value).decode()


def _utf8(name: str, text: str) -> str:
    """Text a UTF-8 payload can carry (a lone surrogate from ``\\ud800`` cannot)."""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise err.illegal_chars(name, "UTF-8 text") from None
    return text


def read_params(params: object) -> dict[str, str]:
    """A request's ``params`` as REST's parameter text: every value a string, ``null`` left out."""
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise err.invalid_json_field("params", "an object")
    if len(params) > MAX_PARAMS:
        raise err.too_many_params(MAX_PARAMS, len(params))
    out: dict[str, str] = {}
    for name, value in params.items():
        _utf8("params", name)
        if value is None:
            continue
        if value is True or value is False:
            text = "true" if value else "false"
        elif isinstance(value, str):
            text = str.__str__(value)  # (a plain str, also of an _Int or _Float)
        else:
            text = _json_text(value)
        out[name] = _utf8(name, text)
    return out


# ---- the server's side: which services, how many connections -------------------------------------


@dataclass(slots=True)
class _Server:
    services: Services
    attempts: dict[str, tuple[int, int]] = field(default_factory=dict)  # ip -> (window start, count)

    def admit(self, ip: str) -> dict[str, str]:
        """Count a connection attempt of ``ip``: Binance's 300 in 5 minutes, then 2 request weight."""
        services = self.services
        if services.venue.config.rate_limits.enabled:
            now = services.venue.clock.now_ms()
            window = now - now % CONNECTION_WINDOW_MS
            if len(self.attempts) > 10_000:  # old windows go (memory stays bounded)
                self.attempts = {k: v for k, v in self.attempts.items() if v[0] == window}
            start, count = self.attempts.get(ip, (window, 0))
            count = count + 1 if start == window else 1
            self.attempts[ip] = (window, count)
            if count > CONNECTIONS_PER_WINDOW:
                raise err.too_many_connections(CONNECTIONS_PER_WINDOW, "5 MINUTE")
        return services.limiter.charge_request(ip, CONNECT_WEIGHT)


_SERVERS: weakref.WeakKeyDictionary[StreamHub, _Server] = weakref.WeakKeyDictionary()


def bind(hub: StreamHub, services: Services) -> None:
    """Serve the WebSocket API of ``services`` on connections that reach ``hub`` (``websocket.serve``
    hands ``/ws-api/v3`` here with its hub)."""
    _SERVERS[hub] = _Server(services)


# ---- one connection --------------------------------------------------------------------------------


@dataclass(slots=True)
class _Subscription:
    account: int
    stop: Callable[[], None]
    logon: bool  # opened by userDataStream.subscribe (ends with session.logout)


class Connection:
    """One WebSocket API connection: its session key, its user data subscriptions, its outbox."""

    def __init__(
        self, services: Services, hub: StreamHub, ip: str, rate_limits: bool, close: Callable[[int, str], None]
    ):
        self.services = services
        self.hub = hub
        self.ip = ip
        self.return_rate_limits = rate_limits  # the connection's default
        self.close = close
        self.connected_since = services.venue.now()
        self.key: ApiKey | None = None
        self.authorized_since: int | None = None
        self.subscriptions: dict[int, _Subscription] = {}
        self.next_subscription = 0
        self.outbox: asyncio.Queue[str] = asyncio.Queue()
        self.pending: set[asyncio.Task[None]] = set()  # faulted requests still running

    # ---- frames in ---------------------------------------------------------------------------

    def on_text(self, text: str | None) -> None:
        """Answer one frame (None: a binary one); a request an armed fault holds back answers later,
        from a task."""
        request_id: int | str | None = None
        headers: dict[str, str] = {}
        show = self.return_rate_limits
        ep: Endpoint | None = None
        method = ""
        session = None
        limiter = self.services.limiter
        try:
            try:
                request = self._envelope(text)
                request_id = _request_id(request)
                method = self._method(request)
                ep = METHODS.get(method[3:] if method.startswith("v3/") else method)
                if ep is None:
                    raise err.UNSUPPORTED
            except ApiError:
                headers.update(limiter.charge_request(self.ip, 1))
                raise
            try:
                data = read_params(request.get("params"))
                if "returnRateLimits" in data:
                    show = parse_bool(data["returnRateLimits"], "returnRateLimits")
                ep.check_lengths(data)
            except ApiError:
                headers.update(limiter.charge_request(self.ip, ep.weight_of({})))
                raise
            api_key = data.get("apiKey") or None
            if ep.keyed and api_key is None and self.key is None:
                headers.update(limiter.charge_request(self.ip, ep.weight_of(data)))
                raise err.mandatory("apiKey")
            signed = ws_payload(data) if ep.signed and api_key is not None else ""
            for name in _CONTROL:
                data.pop(name, None)
            session = self.key if api_key is None else None
            result = run_endpoint(
                self.services,
                ep,
                data,
                signed,
                api_key,
                self.ip,
                headers,
                signature=data.get("signature", "") if api_key is not None else None,
                session=session,
            )
            if isinstance(result, Faulted):
                task = asyncio.get_running_loop().create_task(
                    self._later(result, request_id, show, ep, method, headers, session)
                )
                self.pending.add(task)
                task.add_done_callback(self.pending.discard)
                return
            self._answer(request_id, show, ep, method, result, headers)
        except (ApiError, Refused) as e:
            e.__traceback__ = None
            self._refuse(request_id, show, ep, e, headers, session)
        except Exception:  # a bug: answer as Binance does, the details in our log only
            log.exception("unexpected error in WebSocket API method %r", method)
            self._refuse(request_id, show, ep, err.UNKNOWN, headers, session)

    async def _later(
        self,
        faulted: Faulted,
        request_id: int | str | None,
        show: bool,
        ep: Endpoint,
        method: str,
        headers: dict[str, str],
        session: ApiKey | None,
    ) -> None:
        try:
            self._answer(request_id, show, ep, method, await faulted, headers)
        except (ApiError, Refused) as e:
            e.__traceback__ = None
            self._refuse(request_id, show, ep, e, headers, session)
        except Exception:
            log.exception("unexpected error in WebSocket API method %r", method)
            self._refuse(request_id, show, ep, err.UNKNOWN, headers, session)

    def _envelope(self, text: str | None) -> dict[str, object]:
        if text is None:
            raise err.INVALID_JSON
        if len(text) > MAX_FRAME_BYTES and len(text.encode("utf-8", "surrogatepass")) > MAX_FRAME_BYTES:
            raise ApiError(413, -1101, "Too many parameters sent for this endpoint.")
        try:
            request = _loads(text)
        except _Duplicate as e:
            raise err.duplicate_param(e.name) from None
        except (ValueError, RecursionError):
            raise err.INVALID_JSON from None
        if not isinstance(request, dict):
            raise err.INVALID_JSON
        return request

    @staticmethod
    def _method(request: dict[str, object]) -> str:
        method = request.get("method")
        if method is None:
            raise err.mandatory("method")
        if not isinstance(method, str) or isinstance(method, (_Int, _Float)):
            raise err.invalid_json_field("method", "a string")
        return method

    # ---- answers out ---------------------------------------------------------------------------

    def _answer(
        self,
        request_id: int | str | None,
        show: bool,
        ep: Endpoint,
        method: str,
        result: object,
        headers: dict[str, str],
    ) -> None:
        if isinstance(result, Response):  # an armed fault dropped the connection: nothing is written
            self.close(1011, "")
            return
        if isinstance(result, Ctx):  # a session method: the connection acts on what the pipeline checked
            result = _SESSION[ep.path](self, result)
        reply: dict[str, object] = {"id": request_id, "status": 200, "result": result}
        if show:
            reply["rateLimits"] = self._rate_limits(headers, ep.places_order)
        self.push(orjson.dumps(reply).decode())

    def _refuse(
        self,
        request_id: int | str | None,
        show: bool,
        ep: Endpoint | None,
        refusal: ApiError | Refused,
        headers: dict[str, str],
        session: ApiKey | None,
    ) -> None:
        e = err.as_api_error(refusal)
        if e.headers:
            headers = {**headers, **e.headers}
        body = e.body()
        retry = headers.get("Retry-After")
        if e.status in (418, 429) and retry is not None and "data" not in body:
            now = self.services.venue.now()
            body["data"] = {"serverTime": now, "retryAfter": now + int(retry) * 1000}
        reply: dict[str, object] = {"id": request_id, "status": e.status, "error": body}
        if show and WEIGHT_HEADER in headers:
            reply["rateLimits"] = self._rate_limits(headers, ep is not None and ep.places_order)
        self.push(orjson.dumps(reply).decode())
        if session is not None and e.code == -2015:  # the logged-on key went bad: the session ends
            self._logout()
        if e.status == 418:  # banned: Binance disconnects
            self.close(1008, "IP banned")

    def _rate_limits(self, headers: dict[str, str], orders: bool) -> list[dict[str, object]]:
        config = self.services.venue.config.rate_limits
        out: list[dict[str, object]] = []
        if orders and ORDERS_10S_HEADER in headers:
            out.append(_limit("ORDERS", "SECOND", 10, config.orders_per_10s, headers[ORDERS_10S_HEADER]))
            out.append(_limit("ORDERS", "DAY", 1, config.orders_per_day, headers[ORDERS_1D_HEADER]))
        if WEIGHT_HEADER in headers:
            out.append(_limit("REQUEST_WEIGHT", "MINUTE", 1, config.request_weight_per_minute, headers[WEIGHT_HEADER]))
        return out

    def push(self, frame: str) -> None:
        if self.outbox.qsize() >= MAX_QUEUED:
            self.close(1008, "Too many messages queued")
            return
        self.outbox.put_nowait(frame)

    # ---- sessions and user data ----------------------------------------------------------------

    def status(self, now: int) -> dict[str, object]:
        return {
            "apiKey": None if self.key is None else self.key.api_key,
            "authorizedSince": self.authorized_since,
            "connectedSince": self.connected_since,
            "returnRateLimits": self.return_rate_limits,
            "serverTime": now,
            "userDataStream": bool(self.subscriptions),
        }

    def logon(self, ctx: Ctx) -> dict[str, object]:
        key = ctx.key
        assert key is not None  # (USER_DATA: the pipeline authenticated it)
        if key.key_type is not KeyType.ED25519:  # Binance: session authentication takes Ed25519 keys only
            raise err.UNAUTHORIZED
        if self.key is not None and self.key.account_id != key.account_id:
            self._end(logon=True)
        self.key, self.authorized_since = key, ctx.now
        return self.status(ctx.now)

    def _logout(self) -> None:
        self._end(logon=True)
        self.key = self.authorized_since = None

    def subscribe(self, account: int, logon: bool) -> dict[str, int]:
        if any(s.account == account for s in self.subscriptions.values()):
            raise err.SUBSCRIPTION_ACTIVE
        if len(self.subscriptions) >= MAX_ACTIVE_SUBSCRIPTIONS:
            raise err.too_many_subscriptions(MAX_ACTIVE_SUBSCRIPTIONS)
        if self.next_subscription >= MAX_SUBSCRIPTION_IDS:
            raise err.MAX_SUBSCRIPTION_IDS
        sid = self.next_subscription
        self.next_subscription += 1
        self.hub.ensure_started()

        def deliver(event: dict[str, object]) -> None:
            self.push(orjson.dumps({"subscriptionId": sid, "event": event}).decode())

        self.subscriptions[sid] = _Subscription(account, self.hub.user.subscribe(account, deliver), logon)
        return {"subscriptionId": sid}

    def unsubscribe(self, ctx: Ctx) -> dict[str, object]:
        sid = ctx.params.int("subscriptionId", 0, 2**31 - 1)
        if sid is None:
            if not self.subscriptions:
                raise err.SUBSCRIPTION_INACTIVE
            self._end()
        elif sid not in self.subscriptions:
            raise err.SUBSCRIPTION_INACTIVE
        else:
            self._end(only=sid)
        return {}

    def _end(self, logon: bool = False, only: int | None = None) -> None:
        """Stop subscriptions (those of the logon, one, or all), each with its
        ``eventStreamTerminated`` after the answer that stopped it."""
        ended = [
            sid for sid, s in self.subscriptions.items() if (only is None or sid == only) and (not logon or s.logon)
        ]
        now = self.services.venue.now()
        for sid in ended:
            self.subscriptions.pop(sid).stop()
            frame = orjson.dumps({"subscriptionId": sid, "event": {"e": "eventStreamTerminated", "E": now}}).decode()
            asyncio.get_running_loop().call_soon(self.push, frame)

    def stop_all(self) -> None:
        for s in self.subscriptions.values():
            s.stop()
        self.subscriptions.clear()
        for task in self.pending:
            task.cancel()


def _limit(kind: str, interval: str, num: int, limit: int, count: str) -> dict[str, object]:
    return {"rateLimitType": kind, "interval": interval, "intervalNum": num, "limit": limit, "count": int(count)}


def _session_logout(conn: Connection, ctx: Ctx) -> object:
    conn._logout()
    return conn.status(ctx.now)


def _subscribe_logon(conn: Connection, ctx: Ctx) -> object:
    if conn.key is None:  # needs a connection logged on with session.logon
        raise err.UNAUTHORIZED
    key = api_key_only(conn.services.venue.keys, conn.key.api_key, conn.ip)  # still live for this IP
    return conn.subscribe(key.account_id, logon=True)


def _subscribe_signed(conn: Connection, ctx: Ctx) -> object:
    assert ctx.key is not None  # (USER_DATA: the pipeline authenticated it)
    return conn.subscribe(ctx.key.account_id, logon=False)


_SESSION: dict[str, Callable[[Connection, Ctx], object]] = {
    "session.logon": Connection.logon,
    "session.status": lambda conn, ctx: conn.status(ctx.now),
    "session.logout": _session_logout,
    "session.subscriptions": lambda conn, ctx: [{"subscriptionId": sid} for sid in conn.subscriptions],
    "userDataStream.subscribe": _subscribe_logon,
    "userDataStream.subscribe.signature": _subscribe_signed,
    "userDataStream.unsubscribe": Connection.unsubscribe,
}


# ---- the socket ----------------------------------------------------------------------------------


async def serve(hub: StreamHub, scope: Scope, receive: Receive, send: Send) -> None:
    """One WebSocket API connection, from the upgrade to its close."""
    server = _SERVERS.get(hub)
    client = scope.get("client")
    ip = client[0] if client else "unknown"
    if server is None:
        await refuse_upgrade(scope, receive, send, err.NOT_FOUND)
        return
    try:
        server.admit(ip)
    except ApiError as e:  # banned, over the weight limit or connecting too often: no upgrade
        await refuse_upgrade(scope, receive, send, e)
        return
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    default = query.get("returnRateLimits", ["true"])[-1].lower() != "false"
    ws = WebSocket(scope, receive, send)
    await ws.accept()
    loop = asyncio.get_running_loop()
    closing: asyncio.Future[tuple[int, str]] = loop.create_future()

    def close(code: int, reason: str) -> None:
        if not closing.done():
            closing.set_result((code, reason))

    conn = Connection(server.services, hub, ip, default, close)
    sender = asyncio.create_task(_send(ws, conn))
    reader = asyncio.create_task(_read(ws, conn))
    lifetime = loop.call_later(LIFETIME_S, close, 1000, "connection lifetime reached")
    try:
        waiting: set[asyncio.Future[object]] = {sender, reader, closing}  # type: ignore[arg-type]  # (any ends it)
        done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if closing in done:
            code, reason = closing.result()
            with contextlib.suppress(Exception):
                await _drain(ws, conn)
                await ws.close(code, reason)
    finally:
        lifetime.cancel()
        conn.stop_all()
        for task in (sender, reader):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def _drain(ws: WebSocket, conn: Connection) -> None:
    """What is queued goes out before a close Binance announces (a ban's 418, the lifetime's end)."""
    while not conn.outbox.empty():
        await ws.send_text(conn.outbox.get_nowait())


async def _send(ws: WebSocket, conn: Connection) -> None:
    while True:
        await ws.send_text(await conn.outbox.get())


async def _read(ws: WebSocket, conn: Connection) -> None:
    async for message in frames(ws):
        conn.on_text(message.get("text"))  # (None for a binary frame: Binance reads text frames only)
