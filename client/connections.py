"""One ccxt instance per credential and target (and, for async, per event loop), built once.

Markets load on the first call and are reused; instances close at exit (sync) or on
``client.aio.close()`` (async, since ccxt's async instances hold an aiohttp session of their loop).
"""

from __future__ import annotations

import asyncio
import atexit
import threading

import ccxt
import ccxt.async_support as ccxt_async

from . import embedded, inprocess
from .credentials import Credential, CredentialError
from .redaction import SECRETS
from .targets import EMBEDDED, INPROCESS, TESTNET, URL, point_at, resolve

_lock = threading.Lock()
_sync: dict[tuple, ccxt.Exchange] = {}
_async: dict[tuple, ccxt_async.Exchange] = {}


def _as_credential(credentials: Credential | str) -> Credential:
    """A credential, or an exchange id for public calls (no keys)."""
    if isinstance(credentials, Credential):
        return credentials
    if isinstance(credentials, str):
        if credentials not in ccxt.exchanges:
            raise CredentialError(f"unknown exchange {credentials!r}; see client.exchanges()")
        return Credential(credentials)
    raise CredentialError(f"expected a Credential or an exchange id, got {type(credentials).__name__}")


def _configure(exchange, cred: Credential) -> None:
    SECRETS.register(cred.ccxt_config())
    target = resolve(cred.target)
    if target.kind == EMBEDDED:
        fields = cred.ccxt_config()
        point_at(exchange, embedded.url_for(fields.get("apiKey", ""), fields.get("secret", "")))
    elif target.kind == URL:
        point_at(exchange, target.url)
    elif target.kind == INPROCESS:
        inprocess.attach(exchange, target.url)
        point_at(exchange, inprocess.BASE_URL)
    elif target.kind == TESTNET:
        exchange.set_sandbox_mode(True)  # ccxt's testnet URLs; raises NotSupported where there are none


def _key(cred: Credential) -> tuple:
    """Same credential, same place -> same instance; a restarted embedded simulator is a new place."""
    target = resolve(cred.target)
    where = embedded.identity() if target.kind == EMBEDDED else str(target)
    return cred.name, tuple(sorted(cred.ccxt_config().items())), where


def _cached(cache: dict, module, cred: Credential, key: tuple):
    """The instance for ``key``, built from ``module`` (ccxt or ccxt.async_support) on first use."""
    with _lock:
        exchange = cache.get(key)
        if exchange is None:
            exchange = getattr(module, cred.name)({**cred.ccxt_config(), "enableRateLimit": True})
            _configure(exchange, cred)
            cache[key] = exchange
        return exchange


def sync_exchange(credentials: Credential | str) -> ccxt.Exchange:
    cred = _as_credential(credentials)
    return _cached(_sync, ccxt, cred, _key(cred))


def async_exchange(credentials: Credential | str) -> ccxt_async.Exchange:
    cred = _as_credential(credentials)
    return _cached(_async, ccxt_async, cred, (*_key(cred), id(asyncio.get_running_loop())))


async def close_async() -> None:
    """Close the async instances of the running loop."""
    loop = id(asyncio.get_running_loop())
    with _lock:
        mine = [k for k in _async if k[-1] == loop]
        closing = [_async.pop(k) for k in mine]
    for exchange in closing:
        await exchange.close()


def forget_target(text: str) -> None:
    """Drop the sync instances built for the target ``text`` (an in-process target that has ended)."""
    with _lock:
        for key in [k for k in _sync if k[-1] == text]:
            del _sync[key]


def forget_sync() -> None:
    with _lock:
        _sync.clear()


atexit.register(forget_sync)
