"""ccxt's methods as awaitable functions of the credentials (``client.aio``), on ccxt.pro (which is
ccxt.async_support plus the WebSocket methods): the twins of ``sync_calls`` and ccxt.pro's
``watch_*`` and ``*_ws`` methods, one ccxt instance per credential, target and event loop. Type
checkers read ``async_calls.pyi`` (``python -m client.stubs``)."""

from __future__ import annotations

from typing import Any

from .connections import async_exchange
from .credentials import Credential
from .methods import PRIVATE, PUBLIC, STREAMING, Args, Kwargs, build_async


async def _call(credentials: Credential | str, name: str, args: Args, kwargs: Kwargs) -> Any:
    return await getattr(async_exchange(credentials), name)(*args, **kwargs)


for _name in PRIVATE + PUBLIC + STREAMING:
    globals()[_name] = build_async(_name, _call)

__all__ = [*PRIVATE, *PUBLIC, *STREAMING]
