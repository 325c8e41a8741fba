"""One ccxt instance per credential and target (and, for async, per event loop), built once.

Markets load on the first call and are reused; instances close at exit (sync) or on
``client.aio.close()`` (async, since ccxt's async instances hold an aiohttp session of their loop).
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from collections.abc import Hashable
from importlib import metadata
from types import ModuleType

import ccxt
import ccxt.async_support as ccxt_async
import ccxt.pro as ccxt_pro

from .credentials import Credential, CredentialError
from .redaction import SECRETS
from .targets import Target, resolve

Key = tuple[str, tuple[tuple[str, str], ...], Hashable]  # exchange id, its keys, the place
_lock = threading.Lock()
_sync: dict[Key, ccxt.Exchange] = {}
_async: dict[tuple[Key, int], ccxt_async.Exchange] = {}  # per event loop, too


def _as_credential(credentials: Credential | str) -> Credential:
    """A credential, or an exchange id for public calls (no keys)."""
    if isinstance(credentials, Credential):
        return credentials
    if isinstance(credentials, str):
        if credentials not in ccxt.exchanges:
            raise CredentialError(f"unknown exchange {credentials!r}; see client.exchanges()")
        return Credential(credentials)
    raise CredentialError(f"expected a Credential or an exchange id, got {type(credentials).__name__}")


def _key(cred: Credential, target: Target) -> Key:
    """Same credential, same place -> same instance."""
    return cred.name, tuple(sorted(cred.ccxt_config().items())), target.place()


def _sandex_version() -> str:
    """The installed package's version (``pyproject.toml`` is its one source, as for the server)."""
    try:
        return metadata.version("sandex")
    except metadata.PackageNotFoundError:  # a source tree run without being installed
        return "0+unknown"


USER_AGENT = f"sandex/{_sandex_version()} ccxt/{ccxt.__version__}"  # every request the client sends


def _build(module: ModuleType, cred: Credential, target: Target, asynchronous: bool) -> ccxt.Exchange:
    """A new instance of ``module``'s (ccxt or ccxt.async_support) exchange, set up by its target."""
    fields = cred.ccxt_config()
    SECRETS.register(fields)
    exchange = getattr(module, cred.name)(
        {**fields, "enableRateLimit": True, "userAgent": USER_AGENT, **target.options(asynchronous)}
    )
    target.aim(exchange, fields)
    return exchange


def sync_exchange(credentials: Credential | str) -> ccxt.Exchange:
    """The ccxt instance for ``credentials``' exchange, keys and target, built on first use."""
    cred = _as_credential(credentials)
    target = resolve(cred.target)
    key = _key(cred, target)
    with _lock:
        exchange = _sync.get(key)
        if exchange is None:
            exchange = _sync[key] = _build(ccxt, cred, target, asynchronous=False)
        return exchange


def async_exchange(credentials: Credential | str) -> ccxt_async.Exchange:
    """As ``sync_exchange``, from ccxt.pro (ccxt.async_support with WebSocket methods), one per event
    loop (its HTTP session and its sockets are the loop's)."""
    cred = _as_credential(credentials)
    target = resolve(cred.target)
    key = (_key(cred, target), id(asyncio.get_running_loop()))
    with _lock:
        exchange = _async.get(key)
        if exchange is None:  # ccxt.pro's class where it has one: ccxt.async_support's, with the streams
            module = ccxt_pro if cred.name in ccxt_pro.exchanges else ccxt_async
            exchange = _async[key] = _build(module, cred, target, asynchronous=True)
        return exchange


async def close_async() -> None:
    """Close the async instances of the running loop."""
    loop = id(asyncio.get_running_loop())
    with _lock:
        mine = [k for k in _async if k[1] == loop]
        closing = [_async.pop(k) for k in mine]
    for exchange in closing:
        await exchange.close()


def forget_target(target: Target) -> None:
    """Drop the sync instances built for ``target`` (an in-process target that has ended)."""
    place = target.place()
    with _lock:
        for key in [k for k in _sync if k[2] == place]:
            del _sync[key]


def forget_sync() -> None:
    """Drop every sync instance (at exit; tests, after stopping the embedded simulator)."""
    with _lock:
        _sync.clear()


atexit.register(forget_sync)
