"""``create_app``: Binance's REST paths and the admin API on one FastAPI application."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from .. import binance_errors as err
from ..convert import ConvertDesk
from ..durability import Durability, DurabilitySettings
from ..faults import FaultBook
from ..liquidity.journaled import JournaledLiquidity
from ..margin import MarginDesk, MarginKeeper
from ..ratelimit import RateLimiter
from ..streams.hub import StreamHub
from ..streams.listen_keys import ListenKeys
from ..venue import Venue
from ..version import VERSION
from . import admin, convert, margin, margin_orders, market, spot, user_stream, wallet, websocket, ws_api
from . import faults as fault_admin
from .endpoint import (
    API_KEY_SCHEME,
    ERROR_SCHEMA,
    Endpoint,
    RequestHandler,
    build_handler,
    error_response,
    openapi_paths,
)

ENDPOINTS: list[Endpoint] = [
    *market.ENDPOINTS,
    *spot.ENDPOINTS,
    *wallet.ENDPOINTS,
    *convert.ENDPOINTS,
    *margin.ENDPOINTS,
    *margin_orders.ENDPOINTS,
    *user_stream.ENDPOINTS,
]


@dataclass(slots=True)
class Services:
    """What handlers reach through ``ctx.services``."""

    venue: Venue
    limiter: RateLimiter
    admin_token: str = field(repr=False)
    convert: ConvertDesk  # Binance Convert: quotes against the house inventory
    margin: MarginDesk  # cross and isolated margin: wallets, loans, interest, liquidation
    keeper: MarginKeeper  # interest on the clock, margin calls and liquidations (run by the liquidity driver)
    sources: JournaledLiquidity  # the synthetic markets or static book, state like the rest
    durability: Durability  # the journal, snapshots and recovery of all of the above
    liquidity: object = None  # the LiquidityDriver, once the launcher has started it
    faults: FaultBook = field(default_factory=FaultBook)  # failures armed through the admin API
    listen_keys: ListenKeys = field(default_factory=ListenKeys)  # the user data streams' keys (not state)

    def fingerprint(self) -> str:
        """A digest of every piece of exchange state (the engine's and the records around it): equal
        digests mean equal states; a refused request must leave it unchanged."""
        return self.durability.fingerprint()


class SandexApp:
    """The ASGI application: Binance's paths go straight to their handler by a dict lookup, its
    WebSocket streams to ``websocket.serve``; the rest (admin API, OpenAPI, docs, unknown paths)
    to FastAPI. Skipping FastAPI's middleware and Starlette's route-by-route matching for the hot
    paths is worth about 15% of an order's cost."""

    def __init__(self, fastapi: FastAPI, services: Services, handlers: dict[str, RequestHandler]) -> None:
        self.fastapi = fastapi
        self.services = services
        self._handlers = handlers
        self.streams = StreamHub(services.venue, services.listen_keys, services.faults)  # (started on first use)
        ws_api.bind(self.streams, services)  # the WebSocket API (/ws-api/v3) reaches the services through the hub

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await websocket.serve(self.streams, scope, receive, send)
            return
        handler = self._handlers.get(scope["path"]) if scope["type"] == "http" else None
        if handler is None:
            await self.fastapi(scope, receive, send)
            return
        response = await handler(Request(scope, receive))
        await response(scope, receive, send)


def create_services(venue: Venue, admin_token: str, durability: DurabilitySettings | None = None) -> Services:
    """The desks around the venue and the durability of all of them (not yet opened)."""
    desk = MarginDesk(venue, venue.config.margin)
    convert_desk = ConvertDesk(venue)
    keeper = MarginKeeper(desk, venue.config.margin.check_interval_ms)
    sources = JournaledLiquidity(venue)
    holders = {"venue": venue, "margin": desk, "convert": convert_desk, "keeper": keeper, "liquidity": sources}
    return Services(
        venue,
        RateLimiter(venue.config.rate_limits, venue.clock),
        admin_token,
        convert_desk,
        desk,
        keeper,
        sources,
        Durability(venue.recorder, holders, durability or DurabilitySettings()),
    )


def create_app(
    venue: Venue, admin_token: str, durability: DurabilitySettings | None = None, with_admin: bool = True
) -> SandexApp:
    """Binance's API (and the admin API unless ``with_admin`` is False: see ``create_admin_app``)."""
    services = create_services(venue, admin_token, durability)
    app = FastAPI(
        title="sandex",
        version=VERSION,
        description="A sandboxed exchange speaking Binance's spot REST API, plus an admin API.",
    )
    by_path: dict[str, dict[str, Endpoint]] = {}
    for ep in ENDPOINTS:
        by_path.setdefault(ep.path, {})[ep.method] = ep
    handlers = {path: build_handler(services, methods) for path, methods in by_path.items()}
    for path, methods in by_path.items():  # also on FastAPI's router, for the same answers under any mount
        app.router.routes.append(Route(path, handlers[path], methods=list(methods)))
    if with_admin:
        app.router.routes.extend(admin.build_routes(services))
    app.router.routes.extend(fault_admin.build_routes(services, ENDPOINTS))
    app.add_exception_handler(StarletteHTTPException, _not_found)
    app.openapi = lambda: _schema(app, with_admin)  # type: ignore[method-assign]  # FastAPI's way to supply a schema
    return SandexApp(app, services, handlers)


def create_admin_app(services: Services) -> FastAPI:
    """The admin API alone, for a listener of its own (``admin_host``): an operator can then keep
    it off the interface traders reach."""
    app = FastAPI(title="sandex admin", version=VERSION, openapi_url=None, docs_url=None, redoc_url=None)
    app.router.routes.extend(admin.build_routes(services))
    app.router.routes.extend(fault_admin.build_routes(services, ENDPOINTS))
    app.add_exception_handler(StarletteHTTPException, _not_found)
    return app


async def _not_found(request: Request, exc: Exception) -> Response:
    # registered for StarletteHTTPException only; Starlette types its handlers over any Exception
    method = isinstance(exc, StarletteHTTPException) and exc.status_code == 405
    return error_response(err.METHOD_NOT_ALLOWED if method else err.NOT_FOUND)


def _schema(app: FastAPI, with_admin: bool) -> dict[str, Any]:
    if app.openapi_schema is None:
        app.openapi_schema = {
            "openapi": "3.1.0",
            "info": {"title": app.title, "version": app.version, "description": app.description},
            "paths": openapi_paths(ENDPOINTS)
            | (admin.openapi_paths() | fault_admin.openapi_paths() if with_admin else {}),
            "components": {
                "schemas": {"BinanceError": ERROR_SCHEMA},
                "securitySchemes": {
                    "ApiKey": API_KEY_SCHEME,
                    "AdminToken": {"type": "http", "scheme": "bearer", "description": "the admin token"},
                },
            },
        }
    return app.openapi_schema
