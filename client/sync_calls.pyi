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
    "cancel_order",
    "create_convert_trade",
    "create_limit_buy_order",
    "create_limit_sell_order",
    "create_market_buy_order",
    "create_market_buy_order_with_cost",
    "create_market_sell_order",
    "create_order",
    "fetch_balance",
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
    "fetch_ohlcv",
    "fetch_open_orders",
    "fetch_order",
    "fetch_order_book",
    "fetch_orders",
    "fetch_status",
    "fetch_ticker",
    "fetch_tickers",
    "fetch_time",
    "fetch_trades",
    "load_markets",
    "load_time_difference",
    "repay_cross_margin",
    "repay_isolated_margin",
    "transfer",
]

def fetch_balance(credentials: Credential | str, params: dict[str, Any] = ...) -> Balances: ...
def create_order(
    credentials: Credential | str,
    symbol: str,
    type: Literal['limit', 'market'],
    side: Literal['buy', 'sell'],
    amount: float,
    price: str | float | int | Decimal | None = ...,
    params: dict[str, Any] = ...,
) -> Order: ...
def create_limit_buy_order(
    credentials: Credential | str,
    symbol: str,
    amount: float,
    price: float,
    params: dict[str, Any] = ...,
) -> Any: ...
def create_limit_sell_order(
    credentials: Credential | str,
    symbol: str,
    amount: float,
    price: float,
    params: dict[str, Any] = ...,
) -> Any: ...
def create_market_buy_order(
    credentials: Credential | str,
    symbol: str,
    amount: float,
    params: dict[str, Any] = ...,
) -> Any: ...
def create_market_sell_order(
    credentials: Credential | str,
    symbol: str,
    amount: float,
    params: dict[str, Any] = ...,
) -> Any: ...
def create_market_buy_order_with_cost(
    credentials: Credential | str,
    symbol: str,
    cost: float,
    params: dict[str, Any] = ...,
) -> Order: ...
def cancel_order(
    credentials: Credential | str,
    id: str,
    symbol: str | None = ...,
    params: dict[str, Any] = ...,
) -> Order: ...
def fetch_order(
    credentials: Credential | str,
    id: str,
    symbol: str | None = ...,
    params: dict[str, Any] = ...,
) -> Order: ...
def fetch_orders(
    credentials: Credential | str,
    symbol: str | None = ...,
    since: int | None = ...,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> list[Order]: ...
def fetch_open_orders(
    credentials: Credential | str,
    symbol: str | None = ...,
    since: int | None = ...,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> list[Order]: ...
def fetch_canceled_orders(
    credentials: Credential | str,
    symbol: str | None = ...,
    since: int | None = ...,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> list[Order]: ...
def fetch_closed_orders(
    credentials: Credential | str,
    symbol: str | None = ...,
    since: int | None = ...,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> list[Order]: ...
def fetch_my_trades(
    credentials: Credential | str,
    symbol: str | None = ...,
    since: int | None = ...,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> list[Trade]: ...
def fetch_my_liquidations(
    credentials: Credential | str,
    symbol: str | None = ...,
    since: int | None = ...,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> list[Liquidation]: ...
def fetch_cross_borrow_rate(
    credentials: Credential | str,
    code: str,
    params: dict[str, Any] = ...,
) -> CrossBorrowRate: ...
def fetch_isolated_borrow_rate(
    credentials: Credential | str,
    symbol: str,
    params: dict[str, Any] = ...,
) -> IsolatedBorrowRate: ...
def fetch_isolated_borrow_rates(
    credentials: Credential | str,
    params: dict[str, Any] = ...,
) -> dict[str, IsolatedBorrowRate]: ...
def fetch_convert_quote(
    credentials: Credential | str,
    fromCode: str,
    toCode: str,
    amount: str | float | int | Decimal | None = ...,
    params: dict[str, Any] = ...,
) -> Conversion: ...
def create_convert_trade(
    credentials: Credential | str,
    id: str,
    fromCode: str,
    toCode: str,
    amount: str | float | int | Decimal | None = ...,
    params: dict[str, Any] = ...,
) -> Conversion: ...
def fetch_convert_trade(
    credentials: Credential | str,
    id: str,
    code: str | None = ...,
    params: dict[str, Any] = ...,
) -> Conversion: ...
def fetch_convert_trade_history(
    credentials: Credential | str,
    code: str | None = ...,
    since: int | None = ...,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> list[Conversion]: ...
def fetch_borrow_interest(
    credentials: Credential | str,
    code: str | None = ...,
    symbol: str | None = ...,
    since: int | None = ...,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> list[BorrowInterest]: ...
def borrow_cross_margin(
    credentials: Credential | str,
    code: str,
    amount: float,
    params: dict[str, Any] = ...,
) -> MarginLoan: ...
def repay_cross_margin(
    credentials: Credential | str,
    code: str,
    amount: float,
    params: dict[str, Any] = ...,
) -> MarginLoan: ...
def borrow_isolated_margin(
    credentials: Credential | str,
    symbol: str,
    code: str,
    amount: float,
    params: dict[str, Any] = ...,
) -> MarginLoan: ...
def repay_isolated_margin(
    credentials: Credential | str,
    symbol: str,
    code: str,
    amount: float,
    params: dict[str, Any] = ...,
) -> MarginLoan: ...
def transfer(
    credentials: Credential | str,
    code: str,
    amount: float,
    fromAccount: str,
    toAccount: str,
    params: dict[str, Any] = ...,
) -> TransferEntry: ...
def load_markets(credentials: Credential | str, reload: bool = ..., params: dict[str, Any] = ...) -> Any: ...
def fetch_markets(credentials: Credential | str, params: dict[str, Any] = ...) -> list[MarketInterface | None]: ...
def fetch_currencies(credentials: Credential | str, params: dict[str, Any] = ...) -> dict[str, CurrencyInterface]: ...
def fetch_status(credentials: Credential | str, params: dict[str, Any] = ...) -> Status: ...
def fetch_ticker(credentials: Credential | str, symbol: str, params: dict[str, Any] = ...) -> Ticker: ...
def fetch_tickers(
    credentials: Credential | str,
    symbols: list[str] | None = ...,
    params: dict[str, Any] = ...,
) -> dict[str, Ticker]: ...
def fetch_order_book(
    credentials: Credential | str,
    symbol: str,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> OrderBook: ...
def fetch_trades(
    credentials: Credential | str,
    symbol: str,
    since: int | None = ...,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> list[Trade]: ...
def fetch_ohlcv(
    credentials: Credential | str,
    symbol: str,
    timeframe: str = ...,
    since: int | None = ...,
    limit: int | None = ...,
    params: dict[str, Any] = ...,
) -> list[list[Any]]: ...
def fetch_time(credentials: Credential | str, params: dict[str, Any] = ...) -> int | None: ...
def load_time_difference(credentials: Credential | str, params: dict[str, Any] = ...) -> Any: ...
