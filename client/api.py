"""The synchronous API: ``fetch_balance(credentials, params)``, ``create_order(credentials, symbol, ...)``
and the rest, each ccxt's method of the same name on one cached instance per credential and target
(``sync_calls``), plus the calls ccxt's binance lacks, filled with ccxt's own (``gaps``)."""

from __future__ import annotations

from typing import Any

import ccxt

from . import gaps, sync_calls
from .connections import sync_exchange
from .credentials import Credential
from .sync_calls import *  # noqa: F403 (ccxt's methods as functions, typed by sync_calls.pyi)


def create_orders(
    credentials: Credential | str, orders: list[dict[str, Any]], params: dict[str, Any] | None = None
) -> list[Any]:
    """Place ``orders`` (dicts of symbol, type, side, amount, price, params) one by one, in order; each
    result is the order ccxt returned or, for a refused one, the ccxt exception it raised."""
    exchange = sync_exchange(credentials)
    results: list[Any] = []
    for request in orders:
        try:
            symbol, type_, side, amount, price, own = gaps.order_args(request)
            results.append(exchange.create_order(symbol, type_, side, amount, price, {**(params or {}), **own}))
        except ccxt.BaseError as e:
            results.append(e)
    return results


def fetch_cross_borrow_rates(credentials: Credential | str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every asset's cross margin daily rate, keyed by currency code."""
    exchange = sync_exchange(credentials)
    if not gaps.uses_cross_margin_data(exchange):
        rates: dict[str, Any] = exchange.fetch_cross_borrow_rates(params or {})
        return rates
    exchange.load_markets()
    return gaps.cross_rates(exchange, exchange.sapi_get_margin_crossmargindata(params or {}))


__all__ = ["create_orders", "fetch_cross_borrow_rates"]
__all__.extend(sync_calls.__all__)
