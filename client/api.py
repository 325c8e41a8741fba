"""The synchronous API: ``fetch_balance(credentials, params)``, ``create_order(credentials, symbol, ...)``
and the rest, each ccxt's method of the same name on one cached instance per credential and target."""

from __future__ import annotations

import ccxt

from . import gaps
from .connections import sync_exchange
from .credentials import Credential
from .methods import PRIVATE, PUBLIC, build


def _call(credentials: Credential | str, name: str, args: tuple, kwargs: dict):
    return getattr(sync_exchange(credentials), name)(*args, **kwargs)


def create_orders(credentials: Credential | str, orders: list[dict], params: dict | None = None) -> list:
    """Place ``orders`` (dicts of symbol, type, side, amount, price, params) one by one, in order; each
    result is the order ccxt returned or, for a refused one, the ccxt exception it raised."""
    exchange = sync_exchange(credentials)
    results: list = []
    for request in orders:
        try:
            symbol, type_, side, amount, price, own = gaps.order_args(request)
            results.append(exchange.create_order(symbol, type_, side, amount, price, {**(params or {}), **own}))
        except ccxt.BaseError as e:
            results.append(e)
    return results


def fetch_cross_borrow_rates(credentials: Credential | str, params: dict | None = None) -> dict:
    """Every asset's cross margin daily rate, keyed by currency code."""
    exchange = sync_exchange(credentials)
    if not gaps.uses_cross_margin_data(exchange):
        return exchange.fetch_cross_borrow_rates(params or {})
    exchange.load_markets()
    return gaps.cross_rates(exchange, exchange.sapi_get_margin_crossmargindata(params or {}))


for _name in PRIVATE + PUBLIC:
    globals()[_name] = build(_name, _call, is_async=False)

__all__ = [*PRIVATE, *PUBLIC, "create_orders", "fetch_cross_borrow_rates"]
