"""``/api/v3/userDataStream``: listen keys for the spot user data stream (``/ws/<listenKey>``)."""

from __future__ import annotations

from .. import binance_errors as err
from .endpoint import Ctx, Endpoint, Param, Security

_KEY = Param("listenKey", required=True, doc="the key POST gave", max_length=100)


def create(ctx: Ctx) -> dict[str, str]:
    return {"listenKey": ctx.services.listen_keys.create(ctx.account)}


def keep_alive(ctx: Ctx) -> dict[str, object]:
    if not ctx.services.listen_keys.keep_alive(ctx.params.text("listenKey", required=True), ctx.account):
        raise err.UNKNOWN_LISTEN_KEY
    return {}


def close(ctx: Ctx) -> dict[str, object]:
    if not ctx.services.listen_keys.close(ctx.params.text("listenKey", required=True), ctx.account):
        raise err.UNKNOWN_LISTEN_KEY
    return {}


_PATH = "/api/v3/userDataStream"
ENDPOINTS = [
    Endpoint("POST", _PATH, create, Security.USER_STREAM, 2, (), "Start a user data stream (a listen key)"),
    Endpoint("PUT", _PATH, keep_alive, Security.USER_STREAM, 2, (_KEY,), "Keep a listen key alive for 60 minutes"),
    Endpoint("DELETE", _PATH, close, Security.USER_STREAM, 2, (_KEY,), "Close a user data stream"),
]
