"""``create_app``: Binance's REST paths and the admin API on one FastAPI application."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import binance_errors as err
from ..ratelimit import RateLimiter
from ..venue import Venue
from ..convert import ConvertDesk
from ..margin import MarginDesk
from . import admin, convert, margin, margin_orders, market, spot, wallet
from .endpoint import Endpoint, build_handler, error_response, openapi_paths

ENDPOINTS: list[Endpoint] = [*market.ENDPOINTS, *spot.ENDPOINTS, *wallet.ENDPOINTS, *convert.ENDPOINTS,
                             *margin.ENDPOINTS, *margin_orders.ENDPOINTS]


@dataclass(slots=True)
class Services:
    """What handlers reach through ``ctx.services``."""

    venue: Venue
    limiter: RateLimiter
    admin_token: str
    liquidity: object = None  # the LiquidityDriver, once the launcher has started it
    convert: ConvertDesk | None = None  # Binance Convert: quotes against the house inventory
    margin: MarginDesk | None = None  # cross and isolated margin: wallets, loans, interest, liquidation

    def fingerprint(self) -> str:
        """A digest of every piece of exchange state (the engine's and the records around it): equal
        digests mean equal states; a refused request must leave it unchanged."""
        return self.venue.engine.fingerprint()


class SandexApp:
    """The ASGI application: Binance's paths go straight to their handler by a dict lookup; the
    rest (admin API, OpenAPI, docs, unknown paths) to FastAPI. Skipping FastAPI's middleware and
    Starlette's route-by-route matching for the hot paths is worth about 15% of an order's cost."""

    def __init__(self, fastapi: FastAPI, services: Services, handlers: dict[str, Callable]) -> None:
        self.fastapi = fastapi
        self.services = services
        self._handlers = handlers

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        handler = self._handlers.get(scope["path"]) if scope["type"] == "http" else None
        if handler is None:
            await self.fastapi(scope, receive, send)
            return
        response = await handler(Request(scope, receive))
        await response(scope, receive, send)


def create_app(venue: Venue, admin_token: str) -> SandexApp:
    services = Services(venue, RateLimiter(venue.config.rate_limits, venue.clock), admin_token,
                        convert=ConvertDesk(venue), margin=MarginDesk(venue, venue.config.margin))
    app = FastAPI(title="sandex", version="0.1.0",
                  description="A sandboxed exchange speaking Binance's spot REST API, plus an admin API.")
    by_path: dict[str, dict[str, Endpoint]] = {}
    for ep in ENDPOINTS:
        by_path.setdefault(ep.path, {})[ep.method] = ep
    handlers = {path: build_handler(services, methods) for path, methods in by_path.items()}
    for path, methods in by_path.items():  # also on FastAPI's router, for the same answers under any mount
        app.router.routes.append(Route(path, handlers[path], methods=list(methods)))
    app.router.routes.extend(admin.build_routes(services))

    async def not_found(request: Request, exc: StarletteHTTPException) -> Response:
        return error_response(err.METHOD_NOT_ALLOWED if exc.status_code == 405 else err.NOT_FOUND)

    app.add_exception_handler(StarletteHTTPException, not_found)
    app.openapi = lambda: _schema(app)
    return SandexApp(app, services, handlers)


def _schema(app: FastAPI) -> dict:
    if app.openapi_schema is None:
        app.openapi_schema = {
            "openapi": "3.1.0",
            "info": {"title": app.title, "version": app.version, "description": app.description},
            "paths": openapi_paths(ENDPOINTS) | admin.openapi_paths(),
            "components": {"securitySchemes": {
                "ApiKey": {"type": "apiKey", "in": "header", "name": "X-MBX-APIKEY"},
                "AdminToken": {"type": "http", "scheme": "bearer"},
            }},
        }
    return app.openapi_schema
