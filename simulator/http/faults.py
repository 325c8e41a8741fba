"""The admin API's fault injection (``/sandex/v1/faults``): arm, list and disarm faults.

Same conventions as the rest of the admin API (http/admin.py): JSON in and out, ``Authorization:
Bearer <admin token>``, Binance-style error bodies, API keys masked in every answer. What a fault
does to a request is simulator/faults.py (the book) and http/fault_hook.py (the pipeline).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..binance_errors import ApiError
from ..faults import KIND_FIELDS, KINDS, parse_fault
from ..streams.names import parse
from .admin import _json, _ok, admin_guard, token_digest
from .endpoint import Endpoint

if TYPE_CHECKING:
    from .app import Services

FAULTS = "/sandex/v1/faults"


def build_routes(services: Services, endpoints: list[Endpoint]) -> list[Route]:
    book = services.faults
    venue = services.venue
    known = frozenset(f"{ep.method} {ep.path}" for ep in endpoints)
    defaults = sorted(f"{ep.method} {ep.path}" for ep in endpoints if ep.places_order)
    weight_limit = venue.config.rate_limits.request_weight_per_minute

    def live_key(api_key: str) -> bool:
        key = venue.keys.get(api_key)
        return key is not None and not key.revoked

    guarded = admin_guard(token_digest(services.admin_token))

    async def list_faults(request: Request) -> Response:
        return _ok({"faults": [f.describe(defaults) for f in book.faults()]})

    async def arm(request: Request) -> Response:
        fault = parse_fault(
            await _json(request),
            key_exists=live_key,
            known_paths=known,
            weight_limit=weight_limit,
            stream_name=lambda text: parse(text) is not None,
        )
        return _ok(book.arm(fault).describe(defaults))

    async def clear(request: Request) -> Response:
        return _ok({"cleared": book.clear()})

    async def disarm(request: Request) -> Response:
        text = request.path_params["fault_id"]
        fault = book.remove(int(text)) if text.isdigit() and len(text) < 19 else None
        if fault is None:
            raise ApiError(404, -1130, f"no armed fault {text[:24]!r} (it may have fired its count already)")
        return _ok(fault.describe(defaults))

    return [
        Route(FAULTS, guarded(list_faults), methods=["GET"]),
        Route(FAULTS, guarded(arm), methods=["POST"]),
        Route(FAULTS, guarded(clear), methods=["DELETE"]),
        Route(FAULTS + "/{fault_id}", guarded(disarm), methods=["DELETE"]),
    ]


_ARM_DOC = (
    'Arm a fault on Binance requests: {"kind": ' + "|".join(KINDS) + ', "apiKey": key (default: every caller), '
    '"count": N requests it fires on (default 1), "paths": ["POST /api/v3/order", "/api/v3/account", "*"] '
    '(default: the order placements), "ms": wait first} plus, by kind: '
    + "; ".join(
        f"{kind}: {', '.join(sorted(fields)) or ('(ms required)' if kind in ('delay', 'ws_delay') else '-')}"
        for kind, fields in KIND_FIELDS.items()
    )
    + ". Faults fire in arming order, one per request, after authentication. The ws_* kinds act on the "
    "WebSocket streams, their paths being stream names (default: every stream): ws_drop closes `count` "
    "connections, ws_refuse turns away `count` new ones, ws_gap never sends `count` diff depth events "
    "(a gap in U/u), ws_delay holds `count` events back `ms`, ws_terminate ends `count` user data "
    "streams (of apiKey's account, or any) with eventStreamTerminated."
)

_DOCS = {
    (FAULTS, "get"): "The armed faults in firing order, with what each has left to fire (API keys masked)",
    (FAULTS, "post"): _ARM_DOC,
    (FAULTS, "delete"): 'Disarm every fault -> {"cleared": N}',
    (FAULTS + "/{fault_id}", "delete"): "Disarm one fault",
}


def openapi_paths() -> dict[str, dict[str, object]]:
    paths: dict[str, dict[str, object]] = {}
    for (path, method), summary in _DOCS.items():
        params = (
            [{"name": "fault_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
            if "{fault_id}" in path
            else []
        )
        paths.setdefault(path, {})[method] = {
            "summary": summary,
            "parameters": params,
            "security": [{"AdminToken": []}],
            "responses": {
                "200": {"description": "JSON"},
                "400": {"description": 'bad fault: {"code", "msg"}'},
                "401": {"description": "wrong or missing admin token"},
            },
        }
    return paths
