"""One declaration per Binance endpoint, and the one pipeline every request goes through.

Each ``Endpoint`` lists its parameters once: the pipeline uses the list to refuse unknown ones
(-1104) before anything runs, the handlers read them through ``Params`` (which raises Binance's
exact parameter errors), and the OpenAPI description is generated from it. Handlers read the raw
query and body themselves and answer with orjson: per-field pydantic models cost about twice as
much per request here.

Order of checks, as Binance: request weight (429/418), parameter parsing (-1100/-1101), the API
key and signature (-2014/-2015/-1022/-1021), unread parameters (-1104), the order rate limit
(-1015), then the handler. A refused request changes nothing.

``run_endpoint`` is that pipeline from the parameters on, whatever carried them: REST
(``build_handler``: query string and form body, the key in ``X-MBX-APIKEY``) and the WebSocket API
(``ws_api.py``: a JSON object, the key a parameter) both call it, so the two cannot drift apart.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Awaitable, Callable, Coroutine, Generator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Literal, TypeVar, overload
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request
from starlette.responses import Response

from .. import binance_errors as err
from ..accounts import ApiKey
from ..auth import api_key_only, authenticate, authenticate_session
from ..binance_errors import ApiError
from ..refusals import Refused
from ..wire import DECIMAL_RANGE, parse_bool, parse_int, parse_units
from .fault_hook import run_faulted
from .limits import MAX_REQUEST_BYTES, MAX_VALUE_CHARS, check_query, read_body

if TYPE_CHECKING:
    from .app import Services

log = logging.getLogger("sandex.http")
MAX_PARAMS = 64
AUTH_PARAMS = ("timestamp", "recvWindow", "signature")
_T = TypeVar("_T")


class Security(Enum):
    """Binance's endpoint security types (plus which key permission a trading call needs)."""

    NONE = "NONE"
    MARKET_DATA = "MARKET_DATA"  # an API key is accepted, not required
    USER_STREAM = "USER_STREAM"  # API key, no signature
    USER_DATA = "USER_DATA"  # signed, read-only
    TRADE = "TRADE"  # signed, needs the SPOT permission
    MARGIN = "MARGIN"  # signed, needs the MARGIN permission

    @property
    def signed(self) -> bool:
        return self in (Security.USER_DATA, Security.TRADE, Security.MARGIN)


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    kind: str = "string"  # OpenAPI type: string, integer, number, boolean
    required: bool = False
    doc: str = ""
    enum: tuple[str, ...] = ()  # the fixed choices a handler accepts (``Params.choice``), for the OpenAPI
    max_length: int = MAX_VALUE_CHARS  # longer values are refused (-1100) before anything else reads them


@dataclass(slots=True)
class Ctx:
    """What a handler gets: the venue's services, the parameters and who is asking."""

    services: Services = field(repr=False)  # the ``Services`` of app.py: venue, rate limiter, admin token
    params: Params
    key: ApiKey | None
    now: int

    @property
    def account(self) -> int:
        assert self.key is not None
        return self.key.account_id


Handler = Callable[[Ctx], object]
Weight = int | Callable[[dict[str, str]], int]
RequestHandler = Callable[[Request], Awaitable[Response]]  # what Starlette routes a request to


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    security: Security = Security.NONE
    weight: Weight = 1
    params: tuple[Param, ...] = ()
    summary: str = ""
    places_order: bool = False
    names: frozenset[str] = field(init=False)
    max_lengths: dict[str, int] = field(init=False)  # the parameters allowed more than MAX_VALUE_CHARS
    signed: bool = field(init=False)  # ``security.signed``, read once per request
    keyed: bool = field(init=False)  # an API key is checked: signed, or USER_STREAM
    permission: str | None = field(init=False)  # the key's right the endpoint needs beyond reading

    def __post_init__(self) -> None:
        names = {p.name for p in self.params}
        signed = self.security.signed
        if signed:
            names |= set(AUTH_PARAMS)
        object.__setattr__(self, "names", frozenset(names))
        object.__setattr__(self, "signed", signed)
        object.__setattr__(self, "keyed", signed or self.security is Security.USER_STREAM)
        permission = {Security.TRADE: "SPOT", Security.MARGIN: "MARGIN"}.get(self.security)
        object.__setattr__(self, "permission", permission)
        object.__setattr__(
            self, "max_lengths", {p.name: p.max_length for p in self.params if p.max_length != MAX_VALUE_CHARS}
        )

    def check_lengths(self, data: dict[str, str]) -> None:
        """Every value within its bound (-1100 names the first one too long)."""
        for name, value in data.items():
            if len(value) > MAX_VALUE_CHARS:
                most = self.max_lengths.get(name, MAX_VALUE_CHARS)
                if len(value) > most:
                    raise err.illegal_chars(name, f"^.{{0,{most}}}$")

    def weight_of(self, params: dict[str, str]) -> int:
        return self.weight(params) if callable(self.weight) else self.weight


class Params:
    """Typed, Binance-checked access to a request's parameters."""

    __slots__ = ("data",)

    def __init__(self, data: dict[str, str]) -> None:
        self.data = data

    def has(self, name: str) -> bool:
        return bool(self.data.get(name))

    @overload
    def text(self, name: str, required: Literal[True]) -> str: ...
    @overload
    def text(self, name: str, required: bool = False) -> str | None: ...

    def text(self, name: str, required: bool = False) -> str | None:
        value = self.data.get(name)
        if not value:
            if required:
                raise err.mandatory(name)
            return None
        return value

    # a dict maps the value sent to what it stands for; a frozenset answers the value itself
    @overload
    def choice(
        self, name: str, choices: dict[str, _T], error: ApiError | None = None, *, required: Literal[True]
    ) -> _T: ...
    @overload
    def choice(
        self, name: str, choices: dict[str, _T], error: ApiError | None = None, required: bool = False, *, default: _T
    ) -> _T: ...
    @overload
    def choice(
        self, name: str, choices: dict[str, _T], error: ApiError | None = None, required: bool = False
    ) -> _T | None: ...
    @overload
    def choice(
        self, name: str, choices: frozenset[str], error: ApiError | None = None, *, required: Literal[True]
    ) -> str: ...
    @overload
    def choice(
        self, name: str, choices: frozenset[str], error: ApiError | None = None, required: bool = False, *, default: str
    ) -> str: ...
    @overload
    def choice(
        self, name: str, choices: frozenset[str], error: ApiError | None = None, required: bool = False
    ) -> str | None: ...

    def choice(
        self,
        name: str,
        choices: Mapping[str, object] | frozenset[str],
        error: ApiError | None = None,
        required: bool = False,
        default: object = None,
    ) -> object:
        value = self.text(name, required)
        if value is None:
            return default
        if value not in choices:
            raise error or err.illegal_chars(name, "|".join(sorted(choices)))
        return choices[value] if isinstance(choices, dict) else value

    # ``int`` below is this method inside the class body: the type is spelled ``builtins.int``
    @overload
    def int(
        self,
        name: str,
        low: builtins.int,
        high: builtins.int,
        required: Literal[True],
        default: builtins.int | None = None,
    ) -> builtins.int: ...
    @overload
    def int(
        self, name: str, low: builtins.int, high: builtins.int, required: bool = False, *, default: builtins.int
    ) -> builtins.int: ...
    @overload
    def int(
        self, name: str, low: builtins.int, high: builtins.int, required: bool = False, default: None = None
    ) -> builtins.int | None: ...

    def int(
        self,
        name: str,
        low: builtins.int,
        high: builtins.int,
        required: bool = False,
        default: builtins.int | None = None,
    ) -> builtins.int | None:
        value = self.text(name, required)
        return default if value is None else parse_int(value, name, low, high)

    def limit(self, default: builtins.int, cap: builtins.int, name: str = "limit") -> builtins.int:
        """A page size: at least 1; above ``cap`` it is cut to ``cap``, as Binance does for depth and aggTrades."""
        value = self.int(name, -(2**62), 2**62)
        if value is None:
            return default
        if value < 1:
            raise err.illegal_chars(name, f"[1, {cap}]")
        return min(value, cap)

    @overload
    def units(self, name: str, decimals: builtins.int, required: Literal[True]) -> builtins.int: ...
    @overload
    def units(self, name: str, decimals: builtins.int, required: bool = False) -> builtins.int | None: ...

    def units(self, name: str, decimals: builtins.int, required: bool = False) -> builtins.int | None:
        value = self.text(name, required)
        return None if value is None else parse_units(value, decimals, name)

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.text(name)
        return default if value is None else parse_bool(value, name)

    def json_list(self, name: str) -> list[str] | None:
        """Binance's list parameters: ``["BTCUSDT","ETHUSDT"]`` (also accepted without quotes)."""
        value = self.text(name)
        if value is None:
            return None
        try:
            items = orjson.loads(value)
        except orjson.JSONDecodeError:
            if not (value.startswith("[") and value.endswith("]")):
                raise err.illegal_chars(name, '["ITEM1","ITEM2"]') from None
            items = [v.strip() for v in value[1:-1].split(",") if v.strip()]
        if not isinstance(items, list) or not items or not all(isinstance(i, str) and i for i in items):
            raise err.illegal_chars(name, '["ITEM1","ITEM2"]')
        return items


def parse_params(query: str, body: str) -> dict[str, str]:
    """Query and form body -> one dict; a repeated name is -1101, bad encoding -1100.

    The raw text was decoded with ``surrogateescape`` (the signature is checked over the bytes as
    sent); bytes that are not UTF-8 are refused here, before any name or value reaches a message."""
    out: dict[str, str] = {}
    for where, part in (("query", query), ("body", body)):
        if not part:
            continue
        if not part.isascii():
            try:
                part.encode("utf-8")
            except UnicodeEncodeError:
                raise err.illegal_chars(where, "UTF-8 text") from None
        if "%" not in part and "+" not in part and part.count("&") < MAX_PARAMS:  # nothing to decode: split
            for pair in part.split("&"):
                if not pair:
                    continue
                name, _, value = pair.partition("=")
                if name in out:
                    raise err.duplicate_param(name)
                out[name] = value
            continue
        try:
            pairs = parse_qsl(part, keep_blank_values=True, errors="strict", max_num_fields=MAX_PARAMS)
        except UnicodeDecodeError:
            raise err.illegal_chars(where, "UTF-8 text") from None
        except ValueError:
            raise err.too_many_params(MAX_PARAMS, part.count("&") + 1) from None
        for name, value in pairs:
            if name in out:
                raise err.duplicate_param(name)
            out[name] = value
    return out


def _json(status: int, body: object, headers: dict[str, str]) -> Response:
    return Response(orjson.dumps(body), status, headers, "application/json")


def error_response(refusal: ApiError | Refused, headers: dict[str, str] | None = None) -> Response:
    """Binance's error body for a refusal, the edge's own or the venue's (``binance_errors``' table)."""
    e = err.as_api_error(refusal)
    merged = dict(headers or {})
    if e.headers:
        merged.update(e.headers)
    return _json(e.status, e.body(), merged)


class Faulted:
    """What ``run_endpoint`` returns when an armed fault fired on the request: await it for the
    handler's result (or the fault's answer). Only a faulted request waits; the rest run straight
    through, with nothing allocated for this."""

    __slots__ = ("_run",)

    def __init__(self, run: Coroutine[object, object, object]) -> None:
        self._run = run

    def __await__(self) -> Generator[object, None, object]:
        return self._run.__await__()


def run_endpoint(
    services: Services,
    ep: Endpoint,
    data: dict[str, str],
    signed: str,
    api_key: str | None,
    ip: str,
    headers: dict[str, str],
    *,
    signature: str | None = None,
    session: ApiKey | None = None,
) -> object:
    """One request from its parameters on: weight, key and signature, unread parameters, order
    limit, armed faults, the handler. Returns the handler's result (a ``Faulted`` to await when a
    fault fired); raises the ``ApiError`` or ``Refused`` to answer with. The usage headers of the
    request are added to ``headers`` as they are counted.

    ``data`` is the parameters read (it loses ``timestamp``, ``recvWindow`` and ``signature`` on the
    way); ``signed`` the exact text the signature covers (REST: totalParams as sent, the signature
    parameter inside it; ignored by unsigned endpoints); ``api_key`` the key the request names.
    The WebSocket API also passes ``signature`` (its payload is built without it) and ``session``,
    the key its connection logged on with, used when the request names none: then no signature is
    needed, only the key's checks and the timestamp's.
    """
    headers.update(services.limiter.charge_request(ip, ep.weight_of(data)))
    venue = services.venue
    key = None
    now = venue.now()
    if ep.keyed:
        if not ep.signed:
            key = api_key_only(venue.keys, api_key, ip)
        elif session is not None and api_key is None:
            key = authenticate_session(venue.keys, session, data, ip, now, ep.permission)
        else:
            key = authenticate(venue.keys, api_key, signed, data, ip, now, ep.permission, signature)
    unknown = data.keys() - ep.names
    if unknown:  # Binance counts every parameter sent, timestamp and signature included
        raise err.unread(len(data) - len(unknown), len(data))
    if ep.signed:
        for name in AUTH_PARAMS:
            data.pop(name, None)
    if key is not None:
        limiter = services.limiter
        headers.update(
            limiter.charge_order(key.account_id) if ep.places_order else limiter.order_headers(key.account_id)
        )
    ctx = Ctx(services, Params(data), key, now)
    faults = services.faults  # armed faults (simulator/faults.py); ``active`` is false unless one is armed
    fault = (
        faults.take(ep.method, ep.path, ep.places_order, None if key is None else key.api_key)
        if faults.active
        else None
    )
    if fault is None:
        return ep.handler(ctx)
    return Faulted(run_faulted(fault, lambda: ep.handler(ctx), venue.now))


def build_handler(services: Services, methods: dict[str, Endpoint]) -> RequestHandler:
    """The request pipeline for one path (all its methods): the query string and form body read
    into parameters, then ``run_endpoint``."""
    limiter = services.limiter

    async def handle(request: Request) -> Response:
        ep = methods.get(request.method)
        if ep is None:
            return error_response(err.METHOD_NOT_ALLOWED)
        headers: dict[str, str] = {}
        client = request.client
        ip = client.host if client else "unknown"
        try:
            raw_query = request.scope["query_string"]
            query = raw_query.decode("utf-8", "surrogateescape")
            try:
                check_query(raw_query)
                body = (
                    ""
                    if ep.method == "GET"
                    else (await read_body(request, MAX_REQUEST_BYTES - len(raw_query))).decode(
                        "utf-8", "surrogateescape"
                    )
                )
                data = parse_params(query, body)
                ep.check_lengths(data)
            except ApiError:  # weighed like any request (a banned IP still gets its 418), then refused
                headers.update(limiter.charge_request(ip, ep.weight_of({})))
                raise
            result = run_endpoint(
                services,
                ep,
                data,
                query + body if ep.signed else "",
                request.headers.get("x-mbx-apikey") if ep.keyed else None,
                ip,
                headers,
            )
            if isinstance(result, Faulted):
                result = await result
            if isinstance(result, Response):
                result.headers.update(headers)
                return result
            return _json(200, result, headers)  # inside the try: a result orjson cannot write is a bug too
        except (ApiError, Refused) as e:
            # Refusals are mostly shared instances (binance_errors): each raise would add this
            # request's frames to the one traceback they carry, and keep them, for good.
            e.__traceback__ = None
            return error_response(e, headers)
        except Exception:  # a bug: answer like Binance does, keep the details in our log only
            log.exception("unexpected error in %s %s", ep.method, ep.path)
            return error_response(err.UNKNOWN, headers)

    return handle


ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "msg"],
    "additionalProperties": False,
    "properties": {
        "code": {"type": "integer", "description": "Binance's error code (negative)"},
        "msg": {"type": "string", "description": "Binance's exact message text"},
        "data": {"description": "cancelReplace only: the results of its two halves"},
    },
}
API_KEY_SCHEME = {
    "type": "apiKey",
    "in": "header",
    "name": "X-MBX-APIKEY",
    "description": "The API key. SIGNED endpoints also take `timestamp` and `signature`: HMAC-SHA256 (hex) with "
    "the secret, or Ed25519 / RSA (base64) with the private key, over the query string followed by "
    "the form body exactly as sent.",
}
_ERRORS = {
    "description": 'Binance error: {"code": int, "msg": str}. 400 parameters and signatures, 401 keys, '
    "404 no such path, 405 method, 408 body too slow, 409 cancelReplace half done, "
    "413 request over 64 KiB, 414 query over 16 KiB, 418 banned, 429 rate limited",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BinanceError"}}},
}
_SIGNED_PARAMS = (
    {
        "name": "timestamp",
        "in": "query",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
        "description": "milliseconds (or microseconds) since the epoch",
    },
    {
        "name": "recvWindow",
        "in": "query",
        "required": False,
        "schema": {"type": "number", "minimum": 0, "maximum": 60000},
        "description": "at most 60000 ms (three decimals for microseconds); default 5000",
    },
    {
        "name": "signature",
        "in": "query",
        "required": True,
        "schema": {"type": "string", "maxLength": MAX_VALUE_CHARS},
        "description": "HMAC-SHA256 hex, or base64 Ed25519/RSA, over the other parameters as sent",
    },
)


def param_schema(p: Param) -> dict[str, object]:
    """One parameter's JSON schema: its type, its fixed choices, its bounds."""
    schema: dict[str, object] = {"type": p.kind}
    if p.kind == "number":
        schema |= {"minimum": 0, "pattern": DECIMAL_RANGE}  # Binance's decimal text; the pattern documents it
    elif p.kind == "string" and not p.enum:
        schema["maxLength"] = p.max_length
    if p.enum:
        schema["enum"] = [int(v) for v in p.enum] if p.kind == "integer" else list(p.enum)
    return schema


def openapi_paths(endpoints: list[Endpoint]) -> dict[str, dict[str, object]]:
    """OpenAPI path items generated from the endpoint declarations."""
    paths: dict[str, dict[str, object]] = {}
    for ep in endpoints:
        params = [
            {"name": p.name, "in": "query", "required": p.required, "description": p.doc, "schema": param_schema(p)}
            for p in ep.params
        ]
        if ep.security.signed:
            params += [dict(p) for p in _SIGNED_PARAMS]
        op: dict[str, object] = {
            "summary": ep.summary or ep.path,
            "description": f"Security: {ep.security.value}. Weight: "
            f"{ep.weight if isinstance(ep.weight, int) else 'depends on the parameters'}. "
            "POST, PUT and DELETE also take their parameters as a form body "
            "(application/x-www-form-urlencoded), as Binance does.",
            "parameters": params,
            "responses": {
                "200": {"description": "Binance's JSON", "content": {"application/json": {"schema": {}}}},
                "4XX": _ERRORS,
            },
        }
        if ep.security is Security.MARKET_DATA:
            op["security"] = [{}, {"ApiKey": []}]  # a key is accepted, not required
        elif ep.security is not Security.NONE:
            op["security"] = [{"ApiKey": []}]
        paths.setdefault(ep.path, {})[ep.method.lower()] = op
    return paths
