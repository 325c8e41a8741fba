"""The asynchronous API: the same functions as ``client``, awaitable, on ccxt.async_support
(``async_calls``, plus the calls ccxt's binance lacks, filled with ccxt's own).

``await client.aio.close()`` at the end releases the instances of the running loop (ccxt's async
instances each hold an HTTP session)."""

from __future__ import annotations

from typing import Any

import ccxt

from . import async_calls, gaps
from .async_calls import *  # noqa: F403 (ccxt's methods as awaitable functions, typed by async_calls.pyi)
from .connections import async_exchange, close_async
from .credentials import Credential


async def create_orders(
    credentials: Credential | str, orders: list[dict[str, Any]], params: dict[str, Any] | None = None
) -> list[Any]:
    """As ``client.create_orders``: one result per request, in order, a refused one as its exception."""
    exchange = async_exchange(credentials)
    results: list[Any] = []
    for request in orders:
        try:
            symbol, type_, side, amount, price, own = gaps.order_args(request)
            results.append(await exchange.create_order(symbol, type_, side, amount, price, {**(params or {}), **own}))
        except ccxt.BaseError as e:
            results.append(e)
    return results


async def fetch_cross_borrow_rates(
    credentials: Credential | str, params: dict[str, Any] | None = None
) -> dict[str, Any]:
    """As ``client.fetch_cross_borrow_rates``."""
    exchange = async_exchange(credentials)
    if not gaps.uses_cross_margin_data(exchange):
        rates: dict[str, Any] = await exchange.fetch_cross_borrow_rates(params or {})
        return rates
    await exchange.load_markets()
    return gaps.cross_rates(exchange, await exchange.sapi_get_margin_crossmargindata(params or {}))


async def close() -> None:
    """Close the async instances of the running loop (each holds an HTTP session of its loop)."""
    await close_async()


__all__ = ["close", "create_orders", "fetch_cross_borrow_rates"]
__all__ += async_calls.__all__
