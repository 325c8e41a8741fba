"""The API's functions, declared once: each is ccxt's method of the same name with the credentials
first, so the sync (``client``) and async (``client.aio``) functions are built from this one list
and keep ccxt's signatures, defaults and documentation (``client.stubs`` writes the same signatures
out for type checkers)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import ccxt

from .credentials import Credential

PRIVATE = (
    "fetch_balance",
    "create_order",
    "create_limit_buy_order",
    "create_limit_sell_order",
    "create_market_buy_order",
    "create_market_sell_order",
    "create_market_buy_order_with_cost",
    "cancel_order",
    "fetch_order",
    "fetch_orders",
    "fetch_open_orders",
    "fetch_canceled_orders",
    "fetch_closed_orders",
    "fetch_my_trades",
    "fetch_my_liquidations",
    "fetch_cross_borrow_rate",
    "fetch_isolated_borrow_rate",
    "fetch_isolated_borrow_rates",
    "fetch_convert_quote",
    "create_convert_trade",
    "fetch_convert_trade",
    "fetch_convert_trade_history",
    "fetch_borrow_interest",
    "borrow_cross_margin",
    "repay_cross_margin",
    "borrow_isolated_margin",
    "repay_isolated_margin",
    "transfer",
)
PUBLIC = (
    "load_markets",
    "fetch_markets",
    "fetch_currencies",
    "fetch_status",
    "fetch_ticker",
    "fetch_tickers",
    "fetch_order_book",
    "fetch_trades",
    "fetch_ohlcv",
    "fetch_time",
    "load_time_difference",
)
# ccxt.pro's: awaitable only (``client.aio``), over the target's WebSocket streams and API; ccxt's
# binance serves fetch_order_book_ws and fetch_ticker_ws for futures only, so they wait for those.
STREAMING = (
    "watch_order_book",
    "watch_trades",
    "watch_ticker",
    "watch_tickers",
    "watch_ohlcv",
    "watch_bids_asks",
    "watch_orders",
    "watch_my_trades",
    "watch_balance",
    "create_order_ws",
    "edit_order_ws",
    "cancel_order_ws",
    "cancel_all_orders_ws",
    "fetch_order_ws",
    "fetch_orders_ws",
    "fetch_open_orders_ws",
    "fetch_my_trades_ws",
    "fetch_balance_ws",
    "fetch_trades_ws",
    "fetch_ohlcv_ws",
)
CREDENTIALS = inspect.Parameter("credentials", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Credential | str)

Args = tuple[Any, ...]
Kwargs = dict[str, Any]
SyncCall = Callable[[Credential | str, str, Args, Kwargs], Any]
AsyncCall = Callable[[Credential | str, str, Args, Kwargs], Awaitable[Any]]


def ccxt_parameters(name: str) -> list[inspect.Parameter]:
    """ccxt's parameters of ``name`` (unified, as ``ccxt.Exchange`` declares them), without ``self``."""
    return list(inspect.signature(getattr(ccxt.Exchange, name)).parameters.values())[1:]


def signature(name: str) -> inspect.Signature:
    """ccxt's signature of ``name`` with ``credentials`` (a Credential, or an exchange id for public
    calls) in front of it."""
    return inspect.Signature([CREDENTIALS, *ccxt_parameters(name)])


def _describe(function: Callable[..., Any], name: str, is_async: bool) -> None:
    function.__name__ = function.__qualname__ = name
    function.__signature__ = signature(name)  # type: ignore[attr-defined]  # read by inspect and editors
    function.__doc__ = (
        f"ccxt's ``{name}`` on the exchange and target of ``credentials``"
        f"{' (awaitable)' if is_async else ''}; ccxt's exceptions pass through unchanged."
    )


def build_sync(name: str, call: SyncCall) -> Callable[..., Any]:
    """A module-level function ``name(credentials, ...)`` that runs ccxt's ``name`` through ``call``."""

    def function(credentials: Credential | str, *args: Any, **kwargs: Any) -> Any:
        return call(credentials, name, args, kwargs)

    _describe(function, name, is_async=False)
    return function


def build_async(name: str, call: AsyncCall) -> Callable[..., Awaitable[Any]]:
    """As ``build_sync``, awaitable."""

    async def function(credentials: Credential | str, *args: Any, **kwargs: Any) -> Any:
        return await call(credentials, name, args, kwargs)

    _describe(function, name, is_async=True)
    return function
