"""The asynchronous API: the same functions as ``client``, awaitable, on ccxt.async_support.

``await client.aio.close()`` at the end releases the instances of the running loop (ccxt's async
instances each hold an HTTP session)."""

from __future__ import annotations

import ccxt

from . import gaps
from .connections import async_exchange, close_async
from .credentials import Credential
from .methods import PRIVATE, PUBLIC, build


async def _call(credentials: Credential | str, name: str, args: tuple, kwargs: dict):
    return await getattr(async_exchange(credentials), name)(*args, **kwargs)


async def create_orders(credentials: Credential | str, orders: list[dict], params: dict | None = None) -> list:
    """As ``client.create_orders``: one result per request, in order, a refused one as its exception."""
    exchange = async_exchange(credentials)
    results: list = []
    for request in orders:
        try:
            symbol, type_, side, amount, price, own = gaps.order_args(request)
            results.append(await exchange.create_order(symbol, type_, side, amount, price, {**(params or {}), **own}))
        except ccxt.BaseError as e:
            results.append(e)
    return results


async def fetch_cross_borrow_rates(credentials: Credential | str, params: dict | None = None) -> dict:
    """As ``client.fetch_cross_borrow_rates``."""
    exchange = async_exchange(credentials)
    if not gaps.uses_cross_margin_data(exchange):
        return await exchange.fetch_cross_borrow_rates(params or {})
    await exchange.load_markets()
    return gaps.cross_rates(exchange, await exchange.sapi_get_margin_crossmargindata(params or {}))


async def close() -> None:
    await close_async()


for _name in PRIVATE + PUBLIC:
    globals()[_name] = build(_name, _call, is_async=True)

__all__ = [*PRIVATE, *PUBLIC, "create_orders", "fetch_cross_borrow_rates", "close"]
