# Written by `python -m client.stubs` from ccxt's signatures; do not edit.

from decimal import Decimal
from typing import Any, Literal

from ccxt.base.types import (
    Balances,
    BorrowInterest,
    Conversion,
    CrossBorrowRate,
    CurrencyInterface,
    IsolatedBorrowRate,
    Liquidation,
    MarginLoan,
    MarketInterface,
    Order,
    OrderBook,
    Status,
    Ticker,
    Trade,
    TransferEntry,
)

from .credentials import Credential

__all__ = [
    "borrow_cross_margin",
    "borrow_isolated_margin",
    "cancel_all_orders_ws",
    "cancel_order",
    "cancel_order_ws",
    "create_convert_trade",
    "create_limit_buy_order",
    "create_limit_sell_order",
    "create_market_buy_order",
    "create_market_buy_order_with_cost",
    "create_market_sell_order",
    "create_order",
    "create_order_ws",
    "edit_order_ws",
    "fetch_balance",
    "fetch_balance_ws",
    "fetch_borrow_interest",
    "fetch_canceled_orders",
    "fetch_closed_orders",
    "fetch_convert_quote",
    "fetch_convert_trade",
    "fetch_convert_trade_history",
    "fetch_cross_borrow_rate",
    "fetch_currencies",
    "fetch_isolated_borrow_rate",
    "fetch_isolated_borrow_rates",
    "fetch_markets",
    "fetch_my_liquidations",
    "fetch_my_trades",
    "fetch_my_trades_ws",
    "fetch_ohlcv",
    "fetch_ohlcv_ws",
    "fetch_open_orders",
    "fetch_open_orders_ws",
    "fetch_order",
    "fetch_order_book",
    "fetch_order_ws",
    "fetch_orders",
    "fetch_orders_ws",
    "fetch_status",
    "fetch_ticker",
    "fetch_tickers",
    "fetch_time",
    "fetch_trades",
    "fetch_trades_ws",
    "load_markets",
    "load_time_difference",
    "repay_cross_margin",
    "repay_isolated_margin",
    "transfer",
    "watch_balance",
    "watch_bids_asks",
    "watch_my_trades",
    "watch_ohlcv",
    "watch_order_book",
    "watch_orders",
    "watch_ticker",
    "watch_tickers",
    "watch_trades",
]

async def fetch_balance(credentials: Credential | str, params: dict[str, Any] = ...) -> Balances: ...
async def create_order(
    credentials: Credential | str,
    symbol: str,
    type: Literal['limit', 'market'],
    side: Literal['buy', 'sell'],
    amount: float,
    price: str | float | int | Decimal | None = ...,
    params: dict[str, Any] = ...,
) -> Order: ...
async def create_limit_buy_order(
    credentials: Credential | str,
    symbol: str,
    amount: float,
    price: float,
    params: dict[str, Any] = ...,
) -> Any: ...
async def create_limit_sell_order(
    credentials: Credential | str,
    symbol: str,
    amount: float,
    price: float,
    params: dict[str, Any] = ...,
) -> Any: ...
async def create_market_buy_order(
    credentials: Credential | str,
    symbol: str,
    amount: float,
    params: dict[str, Any] = ...,
) -> Any: ...
async def create_market_sell_order(
    credentials: Credential | str,
    symbol: str,
    amount: float,
    params: dict[str, Any] = ...,
) -> Any: ...
async def create_market_buy_order_with_cost(
    credentials: Credential | str,
    symbol: str,
    cost: float,
    params: dict[str, Any] = ...,
) -> Order: ...
async def cancel_order(
    credentials: Credential | str,
    id: str,
    symbol: str | None = ...,
    params: dict[str, Any] = ...,
) -> Order: ...
async def fetch_order(
    credentials: Credential | str,
    id: str,
    symbol: str | None = ...,
    params: dict[str, Any] = ...,
) -> Order: ...
async def fetch_orders(
    credentials: Credential | str,
    symbol: str | None = ...,
    since: int | None = ...,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> list[Order]: ...
async def fetch_open_orders(
    credentials: Credential | str,
    symbol: str | None = ...,
    since: int | None = ...,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> list[Order]: ...
async def fetch_canceled_orders(
    credentials: Credential | str,
    symbol: str | None = ...,
    since: int | None = ...,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> list[Order]: ...
async def fetch_closed_orders(
    credentials: Credential | str,
    symbol: str | None = ...,
    since: int | None = ...,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> list[Order]: ...
async def fetch_my_trades(
    credentials: Credential | str,
    symbol: str | None = ...,
    since: int | None = ...,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> list[Trade]: ...
async def fetch_my_liquidations(
    credentials: Credential | str,
    symbol: str | None = ...,
    since: int | None = ...,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> list[Liquidation]: ...
async def fetch_cross_borrow_rate(
    credentials: Credential | str,
    code: str,
    params: dict[str, Any] = ...,
) -> CrossBorrowRate: ...
async def fetch_isolated_borrow_rate(
    credentials: Credential | str,
    symbol: str,
    params: dict[str, Any] = ...,
) -> IsolatedBorrowRate: ...
async def fetch_isolated_borrow_rates(
    credentials: Credential | str,
    params: dict[str, Any] = ...,
) -> dict[str, IsolatedBorrowRate]: ...
async def fetch_convert_quote(
    credentials: Credential | str,
    fromCode: str,
    toCode: str,
    amount: str | float | int | Decimal | None = ...,
    params: dict[str, Any] = ...,
) -> Conversion: ...
async def create_convert_trade(
    credentials: Credential | str,
    id: str,
    fromCode: str,
    toCode: str,
    amount: str | float | int | Decimal | None = ...,
    params: dict[str, Any] = ...,
) -> Conversion: ...
async def fetch_convert_trade(
    credentials: Credential | str,
    id: str,
    code: str | None = ...,
    params: dict[str, Any] = ...,
) -> Conversion: ...
async def fetch_convert_trade_history(
    credentials: Credential | str,
    code: str | None = ...,
    since: int | None = ...,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> list[Conversion]: ...
async def fetch_borrow_interest(
    credentials: Credential | str,
    code: str | None = ...,
    symbol: str | None = ...,
    since: int | None = ...,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> list[BorrowInterest]: ...
async def borrow_cross_margin(
    credentials: Credential | str,
    code: str,
    amount: float,
    params: dict[str, Any] = ...,
) -> MarginLoan: ...
async def repay_cross_margin(
    credentials: Credential | str,
    code: str,
    amount: float,
    params: dict[str, Any] = ...,
) -> MarginLoan: ...
async def borrow_isolated_margin(
    credentials: Credential | str,
    symbol: str,
    code: str,
    amount: float,
    params: dict[str, Any] = ...,
) -> MarginLoan: ...
async def repay_isolated_margin(
    credentials: Credential | str,
    symbol: str,
    code: str,
    amount: float,
    params: dict[str, Any] = ...,
) -> MarginLoan: ...
async def transfer(
    credentials: Credential | str,
    code: str,
    amount: float,
    fromAccount: str,
    toAccount: str,
    params: dict[str, Any] = ...,
) -> TransferEntry: ...
async def load_markets(credentials: Credential | str, reload: bool = ..., params: dict[str, Any] = ...) -> Any: ...
async def fetch_markets(
    credentials: Credential | str,
    params: dict[str, Any] = ...,
) -> list[MarketInterface | None]: ...
async def fetch_currencies(
    credentials: Credential | str,
    params: dict[str, Any] = ...,
) -> dict[str, CurrencyInterface]: ...
async def fetch_status(credentials: Credential | str, params: dict[str, Any] = ...) -> Status: ...
async def fetch_ticker(credentials: Credential | str, symbol: str, params: dict[str, Any] = ...) -> Ticker: ...
async def fetch_tickers(
    credentials: Credential | str,
    symbols: list[str] | None = ...,
    params: dict[str, Any] = ...,
) -> dict[str, Ticker]: ...
async def fetch_order_book(
    credentials: Credential | str,
    symbol: str,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> OrderBook: ...
async def fetch_trades(
    credentials: Credential | str,
    symbol: str,
    since: int | None = ...,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> list[Trade]: ...
async def fetch_ohlcv(
    credentials: Credential | str,
    symbol: str,
    timeframe: str = ...,
    since: int | None = ...,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> list[list[Any]]: ...
async def fetch_time(credentials: Credential | str, params: dict[str, Any] = ...) -> int | None: ...
async def load_time_difference(credentials: Credential | str, params: dict[str, Any] = ...) -> Any: ...
async def watch_order_book(
    credentials: Credential | str,
    symbol: str,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> OrderBook: ...
async def watch_trades(
    credentials: Credential | str,
    symbol: str,
    since: int | None = ...,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> list[Trade]: ...
async def watch_ticker(credentials: Credential | str, symbol: str, params: dict[str, Any] = ...) -> Ticker: ...
async def watch_tickers(
    credentials: Credential | str,
    symbols: list[str] | None = ...,
    params: dict[str, Any] = ...,
) -> dict[str, Ticker]: ...
async def watch_ohlcv(
    credentials: Credential | str,
    symbol: str,
    timeframe: str = ...,
    since: int | None = ...,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> list[list[Any]]: ...
async def watch_bids_asks(
    credentials: Credential | str,
    symbols: list[str] | None = ...,
    params: dict[str, Any] = ...,
) -> dict[str, Ticker]: ...
async def watch_orders(
    credentials: Credential | str,
    symbol: str | None = ...,
    since: int | None = ...,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> list[Order]: ...
async def watch_my_trades(
    credentials: Credential | str,
    symbol: str | None = ...,
    since: int | None = ...,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> list[Trade]: ...
async def watch_balance(credentials: Credential | str, params: dict[str, Any] = ...) -> Balances: ...
async def create_order_ws(
    credentials: Credential | str,
    symbol: str,
    type: Literal['limit', 'market'],
    side: Literal['buy', 'sell'],
    amount: float,
    price: str | float | int | Decimal | None = ...,
    params: dict[str, Any] = ...,
) -> Order: ...
async def edit_order_ws(
    credentials: Credential | str,
    id: str,
    symbol: str,
    type: Literal['limit', 'market'],
    side: Literal['buy', 'sell'],
    amount: str | float | int | Decimal | None = ...,
    price: str | float | int | Decimal | None = ...,
    params: dict[str, Any] = ...,
) -> Order: ...
async def cancel_order_ws(
    credentials: Credential | str,
    id: str,
    symbol: str | None = ...,
    params: dict[str, Any] = ...,
) -> Order: ...
async def cancel_all_orders_ws(
    credentials: Credential | str,
    symbol: str | None = ...,
    params: dict[str, Any] = ...,
) -> list[Order]: ...
async def fetch_order_ws(
    credentials: Credential | str,
    id: str,
    symbol: str | None = ...,
    params: dict[str, Any] = ...,
) -> Order: ...
async def fetch_orders_ws(
    credentials: Credential | str,
    symbol: str | None = ...,
    since: int | None = ...,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> list[Order]: ...
async def fetch_open_orders_ws(
    credentials: Credential | str,
    symbol: str | None = ...,
    since: int | None = ...,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> list[Order]: ...
async def fetch_my_trades_ws(
    credentials: Credential | str,
    symbol: str | None = ...,
    since: int | None = ...,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> list[Trade]: ...
async def fetch_balance_ws(credentials: Credential | str, params: dict[str, Any] = ...) -> Balances: ...
async def fetch_trades_ws(
    credentials: Credential | str,
    symbol: str,
    since: int | None = ...,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> list[Trade]: ...
async def fetch_ohlcv_ws(
    credentials: Credential | str,
    symbol: str,
    timeframe: str = ...,
    since: int | None = ...,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> list[list[Any]]: ...
