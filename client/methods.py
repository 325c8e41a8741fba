"""The API's functions, declared once: each is ccxt's method of the same name with the credentials
first, so the sync (``client``) and async (``client.aio``) functions are built from this one list
and keep ccxt's signatures, defaults and documentation."""

from __future__ import annotations

import inspect
from collections.abc import Callable

import ccxt

from .credentials import Credential

PRIVATE = (
    "fetch_balance", "create_order", "create_limit_buy_order", "create_limit_sell_order", "create_market_buy_order",
    "create_market_sell_order", "create_market_buy_order_with_cost", "cancel_order", "fetch_order", "fetch_orders",
    "fetch_open_orders", "fetch_canceled_orders", "fetch_closed_orders", "fetch_my_trades", "fetch_my_liquidations",
    "fetch_cross_borrow_rate", "fetch_isolated_borrow_rate", "fetch_isolated_borrow_rates", "fetch_convert_quote",
    "create_convert_trade", "fetch_convert_trade", "fetch_convert_trade_history", "fetch_borrow_interest",
    "borrow_cross_margin", "repay_cross_margin", "borrow_isolated_margin", "repay_isolated_margin", "transfer",
)
PUBLIC = (
    "load_markets", "fetch_markets", "fetch_currencies", "fetch_status", "fetch_ticker", "fetch_tickers",
    "fetch_order_book", "fetch_trades", "fetch_ohlcv", "fetch_time", "load_time_difference",
)
CREDENTIALS = inspect.Parameter("credentials", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                annotation=Credential | str)


def signature(name: str) -> inspect.Signature:
    """ccxt's signature of ``name`` with ``credentials`` (a Credential, or an exchange id for public
    calls) in front of it."""
    params = list(inspect.signature(getattr(ccxt.Exchange, name)).parameters.values())[1:]  # no self
    return inspect.Signature([CREDENTIALS, *params])


def build(name: str, call: Callable, is_async: bool) -> Callable:
    """A module-level function ``name(credentials, ...)`` that runs ccxt's ``name`` through ``call``."""
    if is_async:
        async def function(credentials, *args, **kwargs):
            return await call(credentials, name, args, kwargs)
    else:
        def function(credentials, *args, **kwargs):
            return call(credentials, name, args, kwargs)
    function.__name__ = function.__qualname__ = name
    function.__signature__ = signature(name)
    function.__doc__ = (f"ccxt's ``{name}`` on the exchange and target of ``credentials``"
                        f"{' (awaitable)' if is_async else ''}; ccxt's exceptions pass through unchanged.")
    return function
