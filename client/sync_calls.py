"""ccxt's methods as functions of the credentials, synchronous: ``fetch_balance(credentials, params)``
and the rest (``methods.PRIVATE`` and ``methods.PUBLIC``), each on the cached ccxt instance of the
credential's exchange, keys and target. Type checkers read ``sync_calls.pyi`` (``python -m client.stubs``)."""

from __future__ import annotations

from typing import Any

from .connections import sync_exchange
from .credentials import Credential
from .methods import PRIVATE, PUBLIC, Args, Kwargs, build_sync


def _call(credentials: Credential | str, name: str, args: Args, kwargs: Kwargs) -> Any:
    return getattr(sync_exchange(credentials), name)(*args, **kwargs)


for _name in PRIVATE + PUBLIC:
    globals()[_name] = build_sync(_name, _call)

__all__ = [*PRIVATE, *PUBLIC]
